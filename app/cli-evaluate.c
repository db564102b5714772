/* dermagan-cli evaluate */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli-options.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-job-cnn.h"

static double num(JsonObject *o, const char *k)
{
    JsonNode *n = o ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_double(n) : NAN;
}

/* The metrics as a readable report on stdout. */
static void show(JsonObject *r)
{
    printf("%s split of %s, %d images%s\n", json_object_get_string_member_with_default(r, "split", "?"),
           json_object_get_string_member_with_default(r, "data", "?"), (int)num(r, "n"),
           json_object_get_boolean_member_with_default(r, "tta", FALSE) ? " (test-time augmentation)" : "");
    if (num(r, "shift") > 0)
        printf("every image changed in colour balance, exposure and gamma (--shift %g): a "
               "simulated change of source\n",
               num(r, "shift"));
    printf("model: %s\n\n", json_object_get_string_member_with_default(r, "model", "?"));
    JsonArray *ci = json_object_has_member(r, "balanced_accuracy_ci95")
                        ? json_object_get_array_member(r, "balanced_accuracy_ci95") : NULL;
    printf("  accuracy           %.4f\n", num(r, "accuracy"));
    printf("  balanced accuracy  %.4f", num(r, "balanced_accuracy"));
    if (ci && json_array_get_length(ci) == 2)
        printf("  (95%% bootstrap interval %.4f - %.4f)", json_array_get_double_element(ci, 0),
               json_array_get_double_element(ci, 1));
    printf("\n  macro F1           %.4f\n", num(r, "macro_f1"));
    printf("  macro AUC          %.4f\n", num(r, "auc_macro"));
    printf("  ECE                %.4f", num(r, "ece"));
    if (json_object_has_member(r, "ece_sd") && isfinite(num(r, "ece_sd")))
        printf(" (bootstrap sd %.4f)", num(r, "ece_sd"));
    if (json_object_has_member(r, "ece_uncalibrated"))
        printf("  (%.4f before temperature scaling, T = %.3f)", num(r, "ece_uncalibrated"),
               num(r, "temperature"));
    printf("\n\n");
    if (json_object_has_member(r, "unseen")) {
        JsonObject *u = json_object_get_object_member(r, "unseen");
        printf("  %d of the images were in the model's training split and %d in its validation "
               "split",
               (int)num(r, "n_seen_in_training"), (int)num(r, "n_seen_in_validation"));
        if (num(r, "n_seen_in_calibration") > 0)
            printf("; %d more were used to calibrate it (on %s)", (int)num(r, "n_seen_in_calibration"),
                   json_object_get_string_member_with_default(r, "calibration_data", "another data set"));
        printf(".\n  On the %d images it never saw: accuracy %.4f, balanced accuracy %.4f, "
               "macro AUC %.4f\n\n",
               (int)num(u, "n"), num(u, "accuracy"), num(u, "balanced_accuracy"),
               num(u, "auc_macro"));
    } else if (g_strcmp0(json_object_get_string_member_with_default(r, "provenance", ""),
                         "unknown") == 0) {
        printf("  (the model file does not record its training images: whether these were among "
               "them is unknown)\n\n");
    }
    if (json_object_has_member(r, "with_patient_metadata")) {
        JsonObject *w = json_object_get_object_member(r, "with_patient_metadata");
        JsonArray *wci = json_object_has_member(w, "balanced_accuracy_ci95")
                             ? json_object_get_array_member(w, "balanced_accuracy_ci95") : NULL;
        printf("  With the patient metadata (age, sex, site; %d of the images have some the model knows; weight %.1f):\n"
               "  accuracy %.4f, balanced accuracy %.4f",
               (int)num(w, "n_with_metadata"), num(w, "weight"), num(w, "accuracy"),
               num(w, "balanced_accuracy"));
        if (wci && json_array_get_length(wci) == 2)
            printf(" (%.4f - %.4f)", json_array_get_double_element(wci, 0),
                   json_array_get_double_element(wci, 1));
        printf(", macro AUC %.4f, ECE %.4f", num(w, "auc_macro"), num(w, "ece"));
        if (json_object_has_member(w, "ece_sd") && isfinite(num(w, "ece_sd")))
            printf(" (bootstrap sd %.4f)", num(w, "ece_sd"));
        printf("\n");
        JsonObject *wpc = json_object_get_object_member(w, "per_class");
        if (wpc) {
            printf("  recall:");
            GList *ids = json_object_get_members(wpc);
            for (GList *l = ids; l; l = l->next)
                printf(" %s %.4f", (const char *)l->data,
                       num(json_object_get_object_member(wpc, l->data), "recall"));
            g_list_free(ids);
            printf("\n");
        }
        printf("\n");
    }
    JsonObject *pc = json_object_get_object_member(r, "per_class");
    JsonObject *cm = json_object_get_object_member(r, "confusion_matrix");
    JsonArray *labels = cm ? json_object_get_array_member(cm, "labels") : NULL;
    JsonArray *rows = cm ? json_object_get_array_member(cm, "matrix") : NULL;
    if (!pc || !labels || !rows)
        return;
    guint K = json_array_get_length(labels);
    printf("  %-8s %9s %9s %9s %9s %8s\n", "class", "precision", "recall", "F1", "AUC", "support");
    for (guint k = 0; k < K; k++) {
        const char *id = json_array_get_string_element(labels, k);
        JsonObject *c = json_object_get_object_member(pc, id);
        printf("  %-8s %9.4f %9.4f %9.4f %9.4f %8d\n", id, num(c, "precision"), num(c, "recall"),
               num(c, "f1"), num(c, "auc"), (int)num(c, "support"));
    }
    printf("\n  confusion matrix (rows: true class, columns: predicted)\n  %-8s", "");
    for (guint k = 0; k < K; k++)
        printf(" %7s", json_array_get_string_element(labels, k));
    printf("\n");
    for (guint i = 0; i < K && i < json_array_get_length(rows); i++) {
        JsonArray *row = json_array_get_array_element(rows, i);
        printf("  %-8s", json_array_get_string_element(labels, i));
        for (guint j = 0; j < K && j < json_array_get_length(row); j++)
            printf(" %7d", (int)json_array_get_int_element(row, j));
        printf("\n");
    }
}

int cli_evaluate(int argc, char **argv)
{
    dg_evaluate_config *c = dg_evaluate_config_new();
    char *model = NULL, *data = NULL, *split = NULL, *cache = NULL;
    int threads = 0;
    double shift = 0;
    gint64 split_seed = 1;
    gboolean json = FALSE, tta = FALSE, all = FALSE, follow = FALSE;
    GOptionEntry entries[] = {
        {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Classifier model (default: the bundled one)", "FILE"},
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "Data set folder (HAM10000 or ImageFolder)", "PATH"},
        {"split", 0, 0, G_OPTION_ARG_STRING, &split, "test (default), val, or all: every image", "NAME"},
        {"tta", 0, 0, G_OPTION_ARG_NONE, &tta, "Test-time augmentation (average over 8 flips/rotations)", NULL},
        {"all-classes", 0, 0, G_OPTION_ARG_NONE, &all, "HAM10000: all seven classes", NULL},
        {"follow-symlinks", 0, 0, G_OPTION_ARG_NONE, &follow, "Also read symlinks that lead out of the data set's folder", NULL},
        {"cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache, "Decoded-image cache folder (\"\" for none)", "DIR"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "The metrics as one JSON document on stdout", NULL},
        {NULL}};
    cli_num nums[] = {
        {"split-seed", CLI_INT64, &split_seed, 0, DG_LIMIT_SEED, "Seed of the split (default 1, as in training)", "N", FALSE},
        {"shift", CLI_DOUBLE, &shift, 0, 4, "Simulate another source: change each image's colour balance, exposure and gamma at random (seeded per image), with this strength (1: gains within exp(+-0.2), gamma within exp(+-0.3))", "S", FALSE},
        {"threads", CLI_INT, &threads, 1, DG_LIMIT_THREADS, "Threads (default: all cores)", "N", FALSE},
        {NULL}};
    GError *error = NULL;
    if (!cli_parse("- evaluate a classifier on a data set", entries, nums, &argc, &argv, &error)) {
        dg_evaluate_config_free(c);
        return cli_fail_error(error);
    }
    if (!data) {
        g_free(model), g_free(split), g_free(cache);
        dg_evaluate_config_free(c);
        return cli_fail("evaluate needs --data PATH");
    }
    c->model = model;
    c->data = data;
    if (split) {
        g_free(c->split);
        c->split = split;
    }
    c->split_seed = (uint64_t)split_seed;
    c->tta = tta;
    c->shift = shift;
    c->all_classes = all;
    c->follow_symlinks = follow;
    c->threads = threads;
    c->cache_dir = cache;
    return cli_run_results(&dg_job_evaluate, c, json, show);
}

/* dermagan-cli predict */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli-options.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-job-cnn.h"

static int n_failed;

static void show(JsonObject *r)
{
    const char *image = json_object_get_string_member_with_default(r, "image", "?");
    if (json_object_has_member(r, "error")) {
        fprintf(stderr, "dermagan-cli: %s: %s\n", image,
                json_object_get_string_member_with_default(r, "error", "?"));
        return;
    }
    JsonObject *p = json_object_get_object_member(r, "probabilities");
    const char *top = json_object_get_string_member_with_default(r, "top", "?");
    if (!json_object_get_boolean_member_with_default(r, "judged", TRUE)) {
        /* not a diagnosis: say why, and show the numbers only as numbers */
        printf("%s: does not look like a dermoscopy image: %s\n"
               "  (the model's probabilities, which mean nothing for such an image:)\n",
               image, json_object_get_string_member_with_default(r, "assessment", "?"));
    } else {
        printf("%s: %s (%s)\n", image, json_object_get_string_member_with_default(r, "top_name", top),
               top);
    }
    if (json_object_has_member(r, "patient_fields_used"))
        printf("  with the patient metadata (%d field%s used%s%s)\n",
               (int)json_object_get_int_member(r, "patient_fields_used"),
               json_object_get_int_member(r, "patient_fields_used") == 1 ? "" : "s",
               json_object_has_member(r, "patient_note") ? "; " : "",
               json_object_get_string_member_with_default(r, "patient_note", ""));
    GList *keys = p ? json_object_get_members(p) : NULL;
    for (GList *l = keys; l; l = l->next) {
        double v = json_object_get_double_member(p, l->data);
        char bar[41] = "";
        int n = (int)(v * 40 + 0.5);
        for (int i = 0; i < n && i < 40; i++)
            bar[i] = '#';
        printf("  %-6s %6.1f%%  %s\n", (const char *)l->data, 100 * v, bar);
    }
    g_list_free(keys);
    if (json_object_has_member(r, "saliency"))
        printf("  saliency map: %s\n", json_object_get_string_member(r, "saliency"));
}

static void count_and_show(JsonObject *r)
{
    if (json_object_has_member(r, "error"))
        n_failed++;
    show(r);
}

static void count_only(JsonObject *r)
{
    if (json_object_has_member(r, "error"))
        n_failed++;
}

static gboolean json_mode;

static void on_result(JsonObject *r)
{
    if (json_mode) {
        count_only(r);
        JsonNode *n = json_node_new(JSON_NODE_OBJECT);
        json_node_set_object(n, r);
        char *s = json_to_string(n, FALSE);
        printf("%s\n", s);
        g_free(s);
        json_node_unref(n);
    } else {
        count_and_show(r);
    }
}

int cli_predict(int argc, char **argv)
{
    dg_predict_config *c = dg_predict_config_new();
    char *model = NULL, *saliency = NULL, *sex = NULL, *site = NULL;
    char **images = NULL;
    int threads = 1;
    double age = NAN;
    gboolean json = FALSE, tta = FALSE;
    GOptionEntry entries[] = {
        {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Classifier model (default: the bundled one)", "FILE"},
        {"saliency", 0, 0, G_OPTION_ARG_FILENAME, &saliency, "Write a Grad-CAM overlay of the top class as PNG (one image)", "OUT.png"},
        {"tta", 0, 0, G_OPTION_ARG_NONE, &tta, "Test-time augmentation (average over 8 flips/rotations)", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per image on stdout", NULL},
        {"sex", 0, 0, G_OPTION_ARG_STRING, &sex, "The patient's sex (male, female), if the model uses patient metadata", "SEX"},
        {"site", 0, 0, G_OPTION_ARG_STRING, &site, "The lesion's body site (back, face, lower extremity, ... as in HAM10000's localization column)", "SITE"},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &images, NULL, "IMAGE..."},
        {NULL}};
    cli_num nums[] = {
        {"threads", CLI_INT, &threads, 1, DG_LIMIT_THREADS, "Threads (default 1)", "N", FALSE},
        {"age", CLI_DOUBLE, &age, 0, 120, "The patient's age in years, if the model uses patient metadata", "YEARS", FALSE},
        {NULL}};
    GError *error = NULL;
    if (!cli_parse("- classify lesion images (a research demonstration, not a diagnosis)", entries, nums, &argc, &argv, &error)) {
        dg_predict_config_free(c);
        return cli_fail_error(error);
    }
    if (!images || !images[0]) {
        g_free(model), g_free(saliency), g_strfreev(images), g_free(sex), g_free(site);
        dg_predict_config_free(c);
        return cli_fail("predict needs at least one IMAGE");
    }
    if (saliency && images[1]) {
        g_free(model), g_free(saliency), g_strfreev(images), g_free(sex), g_free(site);
        dg_predict_config_free(c);
        return cli_fail("--saliency writes one file: give a single IMAGE");
    }
    c->model = model;
    c->images = images;
    c->tta = tta;
    c->saliency = saliency != NULL;
    c->saliency_out = saliency;
    c->threads = threads;
    c->age = age;
    c->sex = sex;
    c->site = site;
    json_mode = json;
    n_failed = 0;
    /* results are printed by on_result in both modes (the sink's json mode
     * would print them too, so it is told "not json") */
    cli_job_sink *sink = cli_job_sink_new_results(FALSE, on_result);
    dg_job *job = dg_job_new(&dg_job_predict, c, cli_job_events, sink);
    int rc = cli_run_job(job, json);
    dg_job_free(job);
    cli_job_sink_free(sink);
    if (rc == 0 && n_failed > 0)
        rc = 1; /* some image could not be read: said on stderr / in its JSON */
    return rc;
}

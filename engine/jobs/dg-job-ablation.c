/* dg-job-ablation.c: the with/without-GAN ablation. */
#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-gan.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-job-gan-private.h"
#include "models/dg-gan.h"
#include "models/dg-gan-quality.h"
#include "models/dg-metrics.h"
#include "models/dg-plot.h"
#include "models/dg-safetensors.h"

#define ABL_BATCH 64

/* ---- the ablation ------------------------------------------------------------------ */

dg_ablation_config *dg_ablation_config_new(void)
{
    dg_ablation_config *c = g_new0(dg_ablation_config, 1);
    c->arch = g_strdup("dermanet");
    c->seeds = 3;
    c->epochs = 40;
    c->split_seed = 1;
    return c;
}

void dg_ablation_config_free(void *p)
{
    dg_ablation_config *c = p;
    if (!c)
        return;
    g_free(c->data);
    g_free(c->out);
    g_free(c->arch);
    g_free(c->generator);
    g_free(c->cache_dir);
    g_free(c);
}

#define N_ARMS 2
static const char *const arm_ids[N_ARMS] = {"real", "real+synthetic"};
static const char *const arm_dirs[N_ARMS] = {"real", "synthetic"};
static const char *const arm_titles[N_ARMS] = {"real only", "real + synthetic"};

#define N_HEADLINE 5
static const char *const headline[N_HEADLINE] = {"accuracy", "balanced_accuracy", "macro_f1",
                                                 "auc_macro", "ece"};
static const char *const headline_titles[N_HEADLINE] = {"accuracy", "balanced accuracy",
                                                        "macro F1", "macro AUC", "ECE"};

/* Validation balanced accuracy per validation round, from a run's history.csv. */
static GArray *read_val_curve(const char *run_dir)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(double));
    char *path = g_build_filename(run_dir, "history.csv", NULL), *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);
        for (int i = 1; lines[i]; i++) {
            char **f = g_strsplit(lines[i], ",", -1);
            if (g_strv_length(f) >= 6) {
                double v = g_ascii_strtod(f[5], NULL);
                g_array_append_val(a, v);
            }
            g_strfreev(f);
        }
        g_strfreev(lines);
    }
    g_free(text), g_free(path);
    return a;
}

typedef struct {
    dg_job *job;
    dg_ablation_config *cfg;
    char *gen;
    int K;             /* classes of the data set */
    char **class_ids;  /* of the data set */
    int seeds;
    int64_t steps;
    int pass;
    JsonNode *runs[N_ARMS][64];    /* test metrics per arm and seed */
    GArray *curves[N_ARMS][64];    /* validation balanced accuracy per round */
} ablation;

static gboolean run_one(ablation *a, int arm, int s, const char *syn_dir, GError **error)
{
    dg_ablation_config *cfg = a->cfg;
    const uint64_t seed = (uint64_t)(s + 1);
    char *name = g_strdup_printf("%s-seed%" G_GUINT64_FORMAT, arm_dirs[arm], seed);
    char *run_dir = g_build_filename(cfg->out, name, NULL);
    char *metrics_path = g_build_filename(run_dir, "test-metrics.json", NULL);
    char *ckpt = g_build_filename(run_dir, "checkpoint.safetensors", NULL);
    gboolean ok = FALSE;
    JsonNode *m = dg_json_read_object(metrics_path);
    if (m) {
        dg_job_message(a->job, "info", "%s: done before, metrics reused", name);
    } else {
        dg_cnn_train_config *t = dg_cnn_train_config_new();
        t->data = g_strdup(cfg->data);
        t->out = g_strdup(run_dir);
        g_free(t->arch);
        t->arch = g_strdup(cfg->arch);
        t->steps = (int)a->steps;
        t->eval_every = a->pass;
        t->seed = seed;
        t->split_seed = cfg->split_seed;
        t->threads = cfg->threads;
        t->all_classes = cfg->all_classes;
        t->cache_dir = g_strdup(cfg->cache_dir);
        t->synthetic = syn_dir ? g_strdup(syn_dir) : NULL;
        t->resume = g_file_test(ckpt, G_FILE_TEST_EXISTS);
        char *res = NULL;
        dg_job_state st = dg_job_run_child_part(a->job, &dg_job_cnn_train, t, s * N_ARMS + arm,
                                                a->seeds * N_ARMS, &res, error);
        g_free(res);
        if (st != DG_JOB_SUCCEEDED) {
            ok = st == DG_JOB_CANCELLED; /* cancelled: the run's checkpoint stays for later */
            goto out;
        }
        /* the best epoch's model on the test split */
        char *model = g_build_filename(run_dir, "model.safetensors", NULL);
        dg_cnn *cnn = dg_cnn_load(model, ABL_BATCH, error);
        g_free(model);
        if (!cnn)
            goto out;
        dg_dataset *ds = dg_job_load_dataset(a->job, cfg->data, cfg->all_classes, cnn->cfg.size,
                                             cfg->cache_dir, cfg->split_seed, error);
        if (!ds) {
            dg_cnn_free(cnn);
            goto out;
        }
        int n = dg_dataset_indices(ds, DG_SPLIT_TEST, -1, NULL);
        int *idx = g_new(int, MAX(n, 1));
        dg_dataset_indices(ds, DG_SPLIT_TEST, -1, idx);
        dg_ctx *ctx = dg_ctx_new(cfg->threads);
        /* (no job: its progress would interrupt the ablation's; it takes seconds) */
        m = dg_job_evaluate_items(NULL, cnn, ctx, ds, idx, n, FALSE, seed, NULL, NULL, NULL);
        dg_ctx_free(ctx);
        g_free(idx);
        dg_dataset_free(ds);
        dg_cnn_free(cnn);
        if (!m) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_FAILED, "%s: no test images", name);
            goto out;
        }
        JsonObject *o = json_node_get_object(m);
        json_object_set_int_member(o, "seed", (gint64)seed);
        json_object_set_string_member(o, "arm", arm_ids[arm]);
        json_object_set_string_member(o, "run", run_dir);
        if (!dg_json_write(metrics_path, m, error)) {
            json_node_unref(m);
            m = NULL;
            goto out;
        }
    }
    a->runs[arm][s] = m;
    a->curves[arm][s] = read_val_curve(run_dir);
    ok = TRUE;
out:
    g_free(name), g_free(run_dir), g_free(metrics_path), g_free(ckpt);
    return ok;
}

/* x[arm][seed] of one number from each run's metrics */
typedef double (*metric_fn)(JsonObject *metrics, const void *arg);

static double get_top(JsonObject *m, const void *key)
{
    return dg_json_member_double(m, key);
}

static double get_recall(JsonObject *m, const void *cls)
{
    JsonObject *pc = json_object_get_object_member(m, "per_class");
    JsonObject *c = pc && json_object_has_member(pc, cls) ? json_object_get_object_member(pc, cls)
                                                          : NULL;
    return dg_json_member_double(c, "recall");
}

static void add_summary(JsonBuilder *b, const char *name, dg_summary s)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "mean");
    json_builder_add_double_value(b, s.mean);
    json_builder_set_member_name(b, "std");
    if (isfinite(s.std))
        json_builder_add_double_value(b, s.std);
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
}

typedef struct {
    dg_summary arm[N_ARMS];
    dg_paired diff;
} comparison;

static comparison compare(ablation *a, metric_fn fn, const void *arg)
{
    comparison c;
    double x[N_ARMS][64];
    for (int arm = 0; arm < N_ARMS; arm++) {
        for (int s = 0; s < a->seeds; s++)
            x[arm][s] = fn(json_node_get_object(a->runs[arm][s]), arg);
        c.arm[arm] = dg_summarize(x[arm], a->seeds);
    }
    c.diff = dg_paired_compare(x[0], x[1], a->seeds);
    return c;
}

static void add_comparison(JsonBuilder *b, const char *name, comparison c)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    for (int arm = 0; arm < N_ARMS; arm++)
        add_summary(b, arm_ids[arm], c.arm[arm]);
    json_builder_set_member_name(b, "difference");
    json_builder_begin_object(b);
#define NUM(k, v)                                                                                  \
    json_builder_set_member_name(b, k);                                                            \
    if (isfinite(v))                                                                               \
        json_builder_add_double_value(b, v);                                                       \
    else                                                                                           \
        json_builder_add_null_value(b);
    NUM("mean", c.diff.mean)
    NUM("std", c.diff.std)
    NUM("t", c.diff.t)
    NUM("p_sign_flip", c.diff.p)
#undef NUM
    json_builder_end_object(b);
    json_builder_end_object(b);
}

/* Sum of the confusion matrices of an arm's runs (K x K). */
static void confusion_sum(ablation *a, int arm, double *cm)
{
    const int K = a->K;
    memset(cm, 0, sizeof(double) * K * K);
    for (int s = 0; s < a->seeds; s++) {
        JsonObject *o = json_object_get_object_member(json_node_get_object(a->runs[arm][s]),
                                                      "confusion_matrix");
        JsonArray *rows = o ? json_object_get_array_member(o, "matrix") : NULL;
        for (int i = 0; rows && i < K && i < (int)json_array_get_length(rows); i++) {
            JsonArray *r = json_array_get_array_element(rows, i);
            for (int j = 0; j < K && j < (int)json_array_get_length(r); j++)
                cm[i * K + j] += (double)json_array_get_int_element(r, j);
        }
    }
}

static char *fmt_ms(dg_summary s, int digits)
{
    if (!isfinite(s.std))
        return g_strdup_printf("%.*f", digits, s.mean);
    return g_strdup_printf("%.*f ± %.*f", digits, s.mean, digits, s.std);
}

static gboolean write_plots(ablation *a, GError **error)
{
    const int K = a->K;
    gboolean ok = TRUE;
    /* per-class recall, both arms, mean ± sd */
    dg_bar_chart *bc = dg_bar_chart_new();
    dg_bar_chart_set_title(bc, "Test recall per class (mean ± sd over seeds)");
    dg_bar_chart_set_labels(bc, NULL, "recall");
    dg_bar_chart_set_categories(bc, K, (const char *const *)a->class_ids);
    for (int arm = 0; arm < N_ARMS; arm++) {
        double mean[64], sd[64];
        for (int k = 0; k < K; k++) {
            comparison c = compare(a, get_recall, a->class_ids[k]);
            mean[k] = c.arm[arm].mean;
            sd[k] = isfinite(c.arm[arm].std) ? c.arm[arm].std : 0.0;
        }
        dg_bar_chart_add_series(bc, arm_titles[arm], mean, sd);
    }
    dg_bar_chart_set_y_range(bc, 0, 1);
    dg_bar_chart_set_value_labels(bc, TRUE, "%.2f");
    char *p = g_build_filename(a->cfg->out, "recall.png", NULL);
    ok = ok && dg_bar_chart_save(bc, p, 760, 420, NULL, error);
    g_free(p);
    dg_bar_chart_free(bc);

    /* validation curves: every run, arms in two colours */
    dg_line_chart *lc = dg_line_chart_new();
    dg_line_chart_set_title(lc, "Validation balanced accuracy during training");
    dg_line_chart_set_labels(lc, "epoch (passes over the real training images)",
                             "balanced accuracy", NULL);
    for (int arm = 0; arm < N_ARMS && ok; arm++)
        for (int s = 0; s < a->seeds; s++) {
            char *nm = g_strdup_printf("%s, seed %d", arm_titles[arm], s + 1);
            int si = dg_line_chart_add_series(lc, nm);
            g_free(nm);
            dg_line_chart_set_series_color(lc, si, arm);
            GArray *cv = a->curves[arm][s];
            for (guint e = 0; cv && e < cv->len; e++)
                dg_line_chart_append(lc, si, e + 1, g_array_index(cv, double, e));
        }
    dg_line_chart_set_y_clip(lc, 0);
    dg_line_chart_set_legend(lc, DG_PLOT_LEGEND_OUTSIDE);
    p = g_build_filename(a->cfg->out, "curves.png", NULL);
    ok = ok && dg_line_chart_save(lc, p, 900, 420, NULL, error);
    g_free(p);
    dg_line_chart_free(lc);

    /* confusion matrices summed over seeds */
    for (int arm = 0; arm < N_ARMS && ok; arm++) {
        double *cm = g_new(double, K * K);
        confusion_sum(a, arm, cm);
        dg_heatmap *hm = dg_heatmap_new();
        char *t = g_strdup_printf("Confusion, %s (test, %d seeds summed)", arm_titles[arm], a->seeds);
        dg_heatmap_set_title(hm, t);
        dg_heatmap_set_data(hm, K, K, cm, (const char *const *)a->class_ids,
                            (const char *const *)a->class_ids);
        char *f = g_strdup_printf("confusion-%s.png", arm_dirs[arm]);
        p = g_build_filename(a->cfg->out, f, NULL);
        ok = dg_heatmap_save(hm, p, 460, 440, NULL, error);
        g_free(p), g_free(f), g_free(t), g_free(cm);
        dg_heatmap_free(hm);
    }
    return ok;
}

static char *report_markdown(ablation *a)
{
    GString *s = g_string_new(NULL);
    dg_ablation_config *cfg = a->cfg;
    g_string_append_printf(s, "# Ablation: real images only vs real + synthetic\n\n");
    g_string_append_printf(s,
                           "Architecture `%s`, %d seeds (1..%d), %" G_GINT64_FORMAT
                           " optimizer steps per run in both arms (%d epochs of the real "
                           "training split at batch %d), validation every %d steps, the best "
                           "validation balanced accuracy's model tested. Split seed %" G_GUINT64_FORMAT
                           " (by lesion); generator `%s`, trained on that split's training images "
                           "only. Real-only runs use a class-weighted loss; real + synthetic runs "
                           "add images generated to fill every class up to the largest one (per "
                           "seed, with that seed).\n\n",
                           cfg->arch, a->seeds, a->seeds, a->steps, cfg->epochs, ABL_BATCH, a->pass,
                           cfg->split_seed, a->gen);
    g_string_append(s, "| test metric | real only | real + synthetic | difference (paired) | "
                       "p (sign flip) |\n|---|---|---|---|---|\n");
    for (int i = 0; i < N_HEADLINE; i++) {
        comparison c = compare(a, get_top, headline[i]);
        char *x = fmt_ms(c.arm[0], 4), *y = fmt_ms(c.arm[1], 4);
        g_string_append_printf(s, "| %s | %s | %s | %+.4f ± %.4f | %.2f |\n", headline_titles[i], x,
                               y, c.diff.mean, isfinite(c.diff.std) ? c.diff.std : 0.0, c.diff.p);
        g_free(x), g_free(y);
    }
    for (int k = 0; k < a->K; k++) {
        comparison c = compare(a, get_recall, a->class_ids[k]);
        char *x = fmt_ms(c.arm[0], 4), *y = fmt_ms(c.arm[1], 4);
        g_string_append_printf(s, "| recall %s | %s | %s | %+.4f ± %.4f | %.2f |\n",
                               a->class_ids[k], x, y, c.diff.mean,
                               isfinite(c.diff.std) ? c.diff.std : 0.0, c.diff.p);
        g_free(x), g_free(y);
    }
    g_string_append_printf(s,
                           "\nMeans ± sample standard deviations over the seeds; the difference "
                           "is (real + synthetic) − (real only), seed by seed. The sign-flip "
                           "test is exact and assumes nothing about the distribution; with %d "
                           "seeds its smallest possible p is %.3g, so no difference can be "
                           "called significant at 0.05 with fewer than 6 seeds.\n\n",
                           a->seeds, a->seeds < 31 ? 2.0 / (double)(1 << a->seeds) : 0.0);
    g_string_append(s, "Per run (test split):\n\n| arm | seed | accuracy | balanced accuracy | "
                       "macro F1 | macro AUC |\n|---|---|---|---|---|---|\n");
    for (int arm = 0; arm < N_ARMS; arm++)
        for (int k = 0; k < a->seeds; k++) {
            JsonObject *o = json_node_get_object(a->runs[arm][k]);
            g_string_append_printf(s, "| %s | %d | %.4f | %.4f | %.4f | %.4f |\n", arm_titles[arm],
                                   k + 1, dg_json_member_double(o, "accuracy"),
                                   dg_json_member_double(o, "balanced_accuracy"),
                                   dg_json_member_double(o, "macro_f1"), dg_json_member_double(o, "auc_macro"));
        }
    g_string_append(s, "\n![per-class recall](recall.png)\n\n![validation curves](curves.png)\n\n"
                       "![confusion, real only](confusion-real.png) "
                       "![confusion, real + synthetic](confusion-synthetic.png)\n");
    return g_string_free(s, FALSE);
}

static JsonNode *summary_json(ablation *a)
{
    dg_ablation_config *cfg = a->cfg;
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "arch");
    json_builder_add_string_value(b, cfg->arch);
    json_builder_set_member_name(b, "data");
    json_builder_add_string_value(b, cfg->data);
    json_builder_set_member_name(b, "generator");
    json_builder_add_string_value(b, a->gen);
    json_builder_set_member_name(b, "seeds");
    json_builder_add_int_value(b, a->seeds);
    json_builder_set_member_name(b, "split_seed");
    json_builder_add_int_value(b, (gint64)cfg->split_seed);
    json_builder_set_member_name(b, "steps");
    json_builder_add_int_value(b, a->steps);
    json_builder_set_member_name(b, "epochs");
    json_builder_add_int_value(b, cfg->epochs);
    json_builder_set_member_name(b, "classes");
    json_builder_begin_array(b);
    for (int k = 0; k < a->K; k++)
        json_builder_add_string_value(b, a->class_ids[k]);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "arms");
    json_builder_begin_array(b);
    for (int arm = 0; arm < N_ARMS; arm++)
        json_builder_add_string_value(b, arm_ids[arm]);
    json_builder_end_array(b);

    json_builder_set_member_name(b, "metrics");
    json_builder_begin_object(b);
    for (int i = 0; i < N_HEADLINE; i++)
        add_comparison(b, headline[i], compare(a, get_top, headline[i]));
    json_builder_end_object(b);
    json_builder_set_member_name(b, "recall");
    json_builder_begin_object(b);
    for (int k = 0; k < a->K; k++)
        add_comparison(b, a->class_ids[k], compare(a, get_recall, a->class_ids[k]));
    json_builder_end_object(b);

    json_builder_set_member_name(b, "confusion_matrix_sum");
    json_builder_begin_object(b);
    for (int arm = 0; arm < N_ARMS; arm++) {
        double *cm = g_new(double, a->K * a->K);
        confusion_sum(a, arm, cm);
        json_builder_set_member_name(b, arm_ids[arm]);
        json_builder_begin_array(b);
        for (int i = 0; i < a->K; i++) {
            json_builder_begin_array(b);
            for (int j = 0; j < a->K; j++)
                json_builder_add_int_value(b, (gint64)cm[i * a->K + j]);
            json_builder_end_array(b);
        }
        json_builder_end_array(b);
        g_free(cm);
    }
    json_builder_end_object(b);

    json_builder_set_member_name(b, "runs");
    json_builder_begin_object(b);
    for (int arm = 0; arm < N_ARMS; arm++) {
        json_builder_set_member_name(b, arm_ids[arm]);
        json_builder_begin_array(b);
        for (int s = 0; s < a->seeds; s++)
            json_builder_add_value(b, json_node_copy(a->runs[arm][s]));
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    json_builder_set_member_name(b, "val_curves");
    json_builder_begin_object(b);
    for (int arm = 0; arm < N_ARMS; arm++) {
        json_builder_set_member_name(b, arm_ids[arm]);
        json_builder_begin_array(b);
        for (int s = 0; s < a->seeds; s++) {
            json_builder_begin_array(b);
            GArray *cv = a->curves[arm][s];
            for (guint e = 0; cv && e < cv->len; e++)
                json_builder_add_double_value(b, g_array_index(cv, double, e));
            json_builder_end_array(b);
        }
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    g_object_unref(b);
    return root;
}

static gboolean ablation_run(dg_job *job, void *config, GError **error)
{
    dg_ablation_config *cfg = config;
    ablation a = {.job = job, .cfg = cfg};
    gboolean ok = FALSE;
    dg_dataset *ds = NULL;
    dg_event sev = {.kind = DG_EVENT_STARTED, .eta = -1,
                    .message = "ablation: real only vs real + synthetic"};
    dg_job_emit(job, &sev);
    a.seeds = cfg->seeds > 0 ? cfg->seeds : 3;
    if (a.seeds > 64) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "at most 64 seeds");
        return FALSE;
    }
    if (!cfg->out || !*cfg->out) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no output folder given (--out)");
        return FALSE;
    }
    dg_cnn_config cc;
    if (!dg_cnn_config_arch(&cc, cfg->arch, 2, error))
        return FALSE;
    a.gen = dg_job_find_generator(cfg->generator, error);
    if (!a.gen || !dg_job_check_generator_split(a.gen, cfg->split_seed, error))
        goto out;
    if (g_mkdir_with_parents(cfg->out, 0755) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                    cfg->out, g_strerror(errno));
        goto out;
    }
    ds = dg_job_load_dataset(job, cfg->data, cfg->all_classes, cc.size, cfg->cache_dir,
                             cfg->split_seed, error);
    if (!ds) {
        if (error && *error && g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_clear_error(error);
            ok = TRUE;
        }
        goto out;
    }
    a.K = ds->n_classes;
    a.class_ids = g_new0(char *, a.K + 1);
    for (int k = 0; k < a.K; k++)
        a.class_ids[k] = g_strdup(ds->classes[k].id);
    a.pass = MAX(1, dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, NULL) / ABL_BATCH);
    a.steps = (int64_t)MAX(1, cfg->epochs) * a.pass;
    dg_dataset_free(ds);
    ds = NULL;

    for (int s = 0; s < a.seeds; s++) {
        const uint64_t seed = (uint64_t)(s + 1);
        /* the synthetic images of this seed: generated once, kept */
        char *sname = g_strdup_printf("synthetic-images-seed%" G_GUINT64_FORMAT, seed);
        char *syn_dir = g_build_filename(cfg->out, sname, NULL);
        char *manifest = g_build_filename(syn_dir, "manifest.json", NULL);
        g_free(sname);
        if (!g_file_test(manifest, G_FILE_TEST_EXISTS)) {
            dg_job_message(job, "info", "seed %" G_GUINT64_FORMAT ": generating synthetic images "
                           "to balance the training split", seed);
            dg_gan_generate_config *g = dg_gan_generate_config_new();
            g->model = g_strdup(a.gen);
            g->out = g_strdup(syn_dir);
            g->balance = TRUE;
            g->data = g_strdup(cfg->data);
            g->all_classes = cfg->all_classes;
            g->split_seed = cfg->split_seed;
            g->seed = seed;
            g->threads = cfg->threads;
            g->cache_dir = g_strdup(cfg->cache_dir);
            dg_job_state st = dg_job_run_child_part(job, &dg_job_gan_generate, g, 0, -1, NULL, error);
            if (st != DG_JOB_SUCCEEDED) {
                ok = st == DG_JOB_CANCELLED;
                g_free(syn_dir), g_free(manifest);
                goto out;
            }
        }
        /* nothing to fill (a balanced training split): the second arm has no
         * synthetic images and repeats the first */
        JsonNode *mf = dg_json_read_object(manifest);
        gint64 n_syn = 0;
        JsonObject *mc = mf ? json_object_get_object_member(json_node_get_object(mf), "classes") : NULL;
        GList *keys = mc ? json_object_get_members(mc) : NULL;
        for (GList *l = keys; l; l = l->next)
            n_syn += json_object_get_int_member(json_object_get_object_member(mc, l->data), "count");
        g_list_free(keys);
        if (mf)
            json_node_unref(mf);
        g_free(manifest);
        if (n_syn == 0)
            dg_job_message(job, "warning", "the training split is balanced already: no synthetic "
                           "images to add, both arms train on the same images");
        for (int arm = 0; arm < N_ARMS; arm++) {
            dg_job_message(job, "info", "ablation run %d of %d: seed %" G_GUINT64_FORMAT ", %s",
                           s * N_ARMS + arm + 1, a.seeds * N_ARMS, seed, arm_titles[arm]);
            if (!run_one(&a, arm, s, arm == 1 && n_syn > 0 ? syn_dir : NULL, error) ||
                dg_job_cancel_requested(job)) {
                ok = !(error && *error);
                g_free(syn_dir);
                goto out;
            }
        }
        g_free(syn_dir);
    }

    JsonNode *summary = summary_json(&a);
    char *p = g_build_filename(cfg->out, "ablation.json", NULL);
    ok = dg_json_write(p, summary, error);
    g_free(p);
    if (ok)
        ok = write_plots(&a, error);
    if (ok) {
        char *md = report_markdown(&a);
        p = g_build_filename(cfg->out, "report.md", NULL);
        ok = dg_write_text(p, md, error);
        g_free(p), g_free(md);
    }
    if (ok) {
        char *js = json_to_string(summary, TRUE);
        dg_event ev = {.kind = DG_EVENT_RESULT, .eta = -1, .json = js};
        dg_job_emit(job, &ev);
        g_free(js);
    }
    json_node_unref(summary);
out:
    for (int arm = 0; arm < N_ARMS; arm++)
        for (int s = 0; s < 64; s++) {
            if (a.runs[arm][s])
                json_node_unref(a.runs[arm][s]);
            if (a.curves[arm][s])
                g_array_free(a.curves[arm][s], TRUE);
        }
    g_strfreev(a.class_ids);
    g_free(a.gen);
    dg_dataset_free(ds);
    return ok;
}

const dg_job_kind dg_job_ablation = {"ablation", ablation_run, dg_ablation_config_free};


/* dg-job-ablation.c: the with/without-GAN ablation. */
#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-gan.h"
#include "data/dg-file.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-run-dir.h"
#include "jobs/dg-job-gan-private.h"
#include "models/dg-gan.h"
#include "models/dg-gan-quality.h"
#include "models/dg-metrics.h"
#include "plot/dg-plot.h"
#include "models/dg-safetensors.h"

#define ABL_BATCH 64

/* ---- the ablation ------------------------------------------------------------------ */

dg_ablation_config *dg_ablation_config_new(void)
{
    dg_ablation_config *c = g_new0(dg_ablation_config, 1);
    c->arch = g_strdup("dermanet");
    c->seeds = 5;
    c->protocols = g_strdup("balance,share,pretrain,filter");
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
    g_free(c->protocols);
    g_free(c);
}

/* How synthetic images are used, one protocol per arm; arm 0 is always
 * "real".  Every arm takes the same number of optimizer steps with the same
 * seeds. */
typedef enum { P_REAL, P_BALANCE, P_SHARE, P_PRETRAIN, P_FILTER, N_PROTOCOLS } protocol;
static const struct {
    const char *id, *dir, *title, *description;
} protocols[N_PROTOCOLS] = {
    {"real", "real", "real only", "real training images only, class-weighted loss"},
    {"balance", "synthetic", "balance",
     "synthetic images fill every class up to the largest, pooled with the real ones"},
    {"share", "share", "fixed share",
     "a quarter of every batch is synthetic (classes in equal shares), the rest real"},
    {"pretrain", "pretrain", "pretrain",
     "the first third of the steps on synthetic images only, then real images only from "
     "those weights"},
    {"filter", "filter", "filtered balance",
     "as balance, with the synthetic images the bundled classifier assigns most confidently "
     "to their intended class (the better half of twice as many candidates)"},
};
#define SHARE_RATIO 0.25
#define MAX_ARMS N_PROTOCOLS
#define MAX_SEEDS 64

/* "real,balance,share" -> protocol list with real first; FALSE on an unknown word. */
static gboolean parse_protocols(const char *spec, int *arms, int *n, GError **error)
{
    *n = 0;
    arms[(*n)++] = P_REAL;
    char **w = g_strsplit(spec && *spec ? spec : "balance", ",", -1);
    gboolean ok = TRUE;
    for (int i = 0; w[i] && ok; i++) {
        char *t = g_strstrip(w[i]);
        int p = -1;
        for (int k = 0; k < N_PROTOCOLS; k++)
            if (strcmp(t, protocols[k].id) == 0)
                p = k;
        if (p < 0) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "unknown protocol '%s' (balance, share, pretrain, filter)", t);
            ok = FALSE;
        } else if (p != P_REAL) {
            gboolean dup = FALSE;
            for (int k = 0; k < *n; k++)
                dup |= arms[k] == p;
            if (!dup)
                arms[(*n)++] = p;
        }
    }
    g_strfreev(w);
    return ok;
}

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
    gsize len = 0;
    if (dg_file_read_regular(path, DG_CSV_MAX_FILE_BYTES, &text, &len, NULL)) {
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
    int arms[MAX_ARMS], n_arms; /* protocols; arms[0] = P_REAL */
    int chosen;        /* the arm (> 0) with the best mean validation balanced accuracy, or 0 */
    int part, n_parts; /* trainings done / in all, for progress */
    JsonNode *runs[MAX_ARMS][MAX_SEEDS];  /* test metrics per arm and seed */
    GArray *curves[MAX_ARMS][MAX_SEEDS];  /* validation balanced accuracy per round */
    double val[MAX_ARMS][MAX_SEEDS];      /* best validation balanced accuracy */
} ablation;

/* What one training of an arm takes. */
typedef struct {
    const char *data;      /* training data (the real data set, or synthetic images only) */
    const char *synthetic; /* synthetic images mixed in, or NULL */
    double ratio;          /* their share of each batch; 0: pooled */
    const char *init;      /* initial weights, or NULL */
    int64_t steps;
} train_spec;

/* Trains into run_dir (resuming a run interrupted before); the best validation
 * balanced accuracy in *val.  Cancelled: TRUE with the job's cancel flag set. */
static gboolean train(ablation *a, const char *run_dir, const train_spec *ts, uint64_t seed,
                      double *val, GError **error)
{
    dg_ablation_config *cfg = a->cfg;
    char *model = g_build_filename(run_dir, "model.safetensors", NULL);
    char *done = g_build_filename(run_dir, "result.json", NULL);
    char *ckpt = g_build_filename(run_dir, "checkpoint.safetensors", NULL);
    gboolean ok = FALSE;
    JsonNode *r = dg_json_read_object(done);
    if (!r) {
        dg_cnn_train_config *t = dg_cnn_train_config_new();
        t->data = g_strdup(ts->data);
        t->out = g_strdup(run_dir);
        g_free(t->arch);
        t->arch = g_strdup(cfg->arch);
        t->steps = (int)ts->steps;
        t->eval_every = a->pass;
        t->seed = seed;
        t->split_seed = cfg->split_seed;
        t->threads = cfg->threads;
        t->all_classes = cfg->all_classes;
        t->cache_dir = g_strdup(cfg->cache_dir);
        t->synthetic = g_strdup(ts->synthetic);
        t->synthetic_ratio = ts->ratio;
        t->init_model = g_strdup(ts->init);
        t->resume = g_file_test(ckpt, G_FILE_TEST_EXISTS);
        char *res = NULL;
        dg_job_state st = dg_job_run_child_part(a->job, &dg_job_cnn_train, t, a->part, a->n_parts,
                                                &res, error);
        if (st != DG_JOB_SUCCEEDED) {
            g_free(res);
            ok = st == DG_JOB_CANCELLED; /* cancelled: the run's checkpoint stays for later */
            goto out;
        }
        ok = res && dg_write_text(done, res, error);
        g_free(res);
        if (!ok)
            goto out;
        r = dg_json_read_object(done);
    }
    *val = dg_json_member_double(r ? json_node_get_object(r) : NULL, "best_val_balanced_accuracy");
    ok = TRUE;
out:
    if (r)
        json_node_unref(r);
    a->part++;
    g_free(model), g_free(done), g_free(ckpt);
    return ok;
}

/* The best validation epoch's model of run_dir on the real test split. */
static JsonNode *test_metrics(ablation *a, const char *run_dir, uint64_t seed, GError **error)
{
    dg_ablation_config *cfg = a->cfg;
    char *model = g_build_filename(run_dir, "model.safetensors", NULL);
    dg_cnn *cnn = dg_cnn_load(model, ABL_BATCH, error);
    g_free(model);
    if (!cnn)
        return NULL;
    dg_dataset *ds = dg_job_load_dataset(a->job, cfg->data, cfg->all_classes, cnn->cfg.size,
                                         cfg->cache_dir, cfg->split_seed, error);
    if (!ds) {
        dg_cnn_free(cnn);
        return NULL;
    }
    int n = dg_dataset_indices(ds, DG_SPLIT_TEST, -1, NULL);
    int *idx = g_new(int, MAX(n, 1));
    dg_dataset_indices(ds, DG_SPLIT_TEST, -1, idx);
    dg_ctx *ctx = dg_ctx_new(cfg->threads);
    /* (no job: its progress would interrupt the ablation's; it takes seconds) */
    JsonNode *m = dg_job_evaluate_items(NULL, cnn, ctx, ds, idx, n, FALSE, seed, NULL, NULL, NULL);
    dg_ctx_free(ctx);
    g_free(idx);
    dg_dataset_free(ds);
    dg_cnn_free(cnn);
    if (!m)
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_FAILED, "%s: no test images", run_dir);
    return m;
}

/* The synthetic image sets of one seed (generated once, kept in out/). */
typedef struct {
    char *balance, *pool, *filtered;
    gint64 n_balance;
} synthetic_sets;

static gint64 manifest_count(const char *dir)
{
    char *manifest = g_build_filename(dir, "manifest.json", NULL);
    JsonNode *mf = dg_json_read_object(manifest);
    g_free(manifest);
    gint64 n = 0;
    JsonObject *mc = mf ? json_object_get_object_member(json_node_get_object(mf), "classes") : NULL;
    GList *keys = mc ? json_object_get_members(mc) : NULL;
    for (GList *l = keys; l; l = l->next)
        n += json_object_get_int_member(json_object_get_object_member(mc, l->data), "count");
    g_list_free(keys);
    if (mf)
        json_node_unref(mf);
    return n;
}

/* Generates into dir unless a manifest shows it done: balance (per_class 0),
 * or per_class images of every class; filter: "classifier" or NULL. */
static gboolean generate(ablation *a, const char *dir, uint64_t seed, int per_class,
                         const char *filter, GError **error)
{
    char *manifest = g_build_filename(dir, "manifest.json", NULL);
    gboolean have = g_file_test(manifest, G_FILE_TEST_EXISTS);
    g_free(manifest);
    if (have)
        return TRUE;
    dg_ablation_config *cfg = a->cfg;
    dg_gan_generate_config *g = dg_gan_generate_config_new();
    g->model = g_strdup(a->gen);
    g->out = g_strdup(dir);
    g->balance = per_class <= 0;
    g->per_class = per_class;
    g->data = g_strdup(cfg->data);
    g->all_classes = cfg->all_classes;
    g->split_seed = cfg->split_seed;
    g->seed = seed;
    g->threads = cfg->threads;
    g->cache_dir = g_strdup(cfg->cache_dir);
    if (filter) {
        g->filter = g_strdup(filter);
        g->keep = 0.5;
    }
    dg_job_state st = dg_job_run_child_part(a->job, &dg_job_gan_generate, g, 0, -1, NULL, error);
    return st == DG_JOB_SUCCEEDED || (st == DG_JOB_CANCELLED && !(error && *error));
}

static gboolean arm_uses(const ablation *a, int p)
{
    for (int i = 0; i < a->n_arms; i++)
        if (a->arms[i] == p)
            return TRUE;
    return FALSE;
}

static gboolean make_sets(ablation *a, uint64_t seed, int largest, synthetic_sets *ss,
                          GError **error)
{
    const char *out = a->cfg->out;
    ss->balance = g_strdup_printf("%s/synthetic-images-seed%" G_GUINT64_FORMAT, out, seed);
    ss->pool = g_strdup_printf("%s/synthetic-pool-seed%" G_GUINT64_FORMAT, out, seed);
    ss->filtered = g_strdup_printf("%s/synthetic-filtered-seed%" G_GUINT64_FORMAT, out, seed);
    if (arm_uses(a, P_BALANCE) && !generate(a, ss->balance, seed, 0, NULL, error))
        return FALSE;
    if ((arm_uses(a, P_SHARE) || arm_uses(a, P_PRETRAIN)) &&
        !generate(a, ss->pool, seed, largest, NULL, error))
        return FALSE;
    if (arm_uses(a, P_FILTER) && !generate(a, ss->filtered, seed, 0, "classifier", error))
        return FALSE;
    ss->n_balance = arm_uses(a, P_BALANCE) ? manifest_count(ss->balance)
                                           : arm_uses(a, P_FILTER) ? manifest_count(ss->filtered) : 1;
    return !dg_job_cancel_requested(a->job);
}

static void sets_free(synthetic_sets *ss)
{
    g_free(ss->balance), g_free(ss->pool), g_free(ss->filtered);
}

/* Arm i (protocol arms[i]) for seed s: its trainings, then its test metrics. */
static gboolean run_arm(ablation *a, int i, int s, const synthetic_sets *ss, GError **error)
{
    dg_ablation_config *cfg = a->cfg;
    const int p = a->arms[i];
    const uint64_t seed = (uint64_t)(s + 1);
    char *name = g_strdup_printf("%s-seed%" G_GUINT64_FORMAT, protocols[p].dir, seed);
    char *run_dir = g_build_filename(cfg->out, name, NULL);
    char *metrics_path = g_build_filename(run_dir, "test-metrics.json", NULL);
    gboolean ok = FALSE;
    JsonNode *m = dg_json_read_object(metrics_path);
    double val = NAN;
    if (m) {
        dg_job_message(a->job, "info", "%s: done before, metrics reused", name);
        val = dg_json_member_double(json_node_get_object(m), "val_balanced_accuracy");
        a->part += p == P_PRETRAIN ? 2 : 1;
    } else {
        train_spec ts = {.data = cfg->data, .steps = a->steps};
        switch (p) {
        case P_REAL:
            break;
        case P_BALANCE:
            ts.synthetic = ss->n_balance > 0 ? ss->balance : NULL;
            break;
        case P_FILTER:
            ts.synthetic = ss->filtered;
            break;
        case P_SHARE:
            ts.synthetic = ss->pool;
            ts.ratio = SHARE_RATIO;
            break;
        case P_PRETRAIN: {
            /* stage 1: synthetic images only (validated on held-out synthetic ones) */
            char *s1 = g_strdup_printf("%s-stage1", run_dir);
            const int64_t n1 = CLAMP(a->steps / 3, 1, a->steps - 1);
            train_spec t1 = {.data = ss->pool, .steps = n1};
            double v1;
            gboolean k = train(a, s1, &t1, seed, &v1, error);
            char *init = g_build_filename(s1, "model.safetensors", NULL);
            g_free(s1);
            if (!k || dg_job_cancel_requested(a->job)) {
                g_free(init);
                ok = k;
                goto out;
            }
            ts.init = init;
            ts.steps = a->steps - n1;
            k = train(a, run_dir, &ts, seed, &val, error);
            g_free(init);
            if (!k || dg_job_cancel_requested(a->job)) {
                ok = k;
                goto out;
            }
            break;
        }
        }
        if (p != P_PRETRAIN &&
            (!train(a, run_dir, &ts, seed, &val, error) || dg_job_cancel_requested(a->job))) {
            ok = !(error && *error);
            goto out;
        }
        m = test_metrics(a, run_dir, seed, error);
        if (!m)
            goto out;
        JsonObject *o = json_node_get_object(m);
        json_object_set_int_member(o, "seed", (gint64)seed);
        json_object_set_string_member(o, "arm", protocols[p].id);
        json_object_set_string_member(o, "run", run_dir);
        json_object_set_double_member(o, "val_balanced_accuracy", val);
        if (!dg_json_write(metrics_path, m, error)) {
            json_node_unref(m);
            m = NULL;
            goto out;
        }
    }
    a->runs[i][s] = m;
    a->curves[i][s] = read_val_curve(run_dir);
    a->val[i][s] = val;
    ok = TRUE;
out:
    g_free(name), g_free(run_dir), g_free(metrics_path);
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

static void add_num(JsonBuilder *b, const char *k, double v)
{
    json_builder_set_member_name(b, k);
    if (isfinite(v))
        json_builder_add_double_value(b, v);
    else
        json_builder_add_null_value(b);
}

static void add_summary(JsonBuilder *b, const char *name, dg_summary s)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    add_num(b, "mean", s.mean);
    add_num(b, "std", s.std);
    json_builder_end_object(b);
}

/* Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
static double t975(int df)
{
    static const double q[30] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
                                 2.228,  2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
                                 2.093,  2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
                                 2.048,  2.045, 2.042};
    return df < 1 ? NAN : df <= 30 ? q[df - 1] : 1.96;
}

typedef struct {
    dg_summary arm[MAX_ARMS];
    dg_paired diff[MAX_ARMS]; /* arm i vs arm 0 (real only); diff[0] unused */
    double lo[MAX_ARMS], hi[MAX_ARMS]; /* 95% t interval of the paired mean difference */
} comparison;

static comparison compare(ablation *a, metric_fn fn, const void *arg)
{
    comparison c;
    double x[MAX_ARMS][MAX_SEEDS];
    for (int i = 0; i < a->n_arms; i++) {
        for (int s = 0; s < a->seeds; s++)
            x[i][s] = fn(json_node_get_object(a->runs[i][s]), arg);
        c.arm[i] = dg_summarize(x[i], a->seeds);
        c.diff[i] = dg_paired_compare(x[0], x[i], a->seeds);
        double h = t975(a->seeds - 1) * c.diff[i].std / sqrt((double)a->seeds);
        c.lo[i] = c.diff[i].mean - h;
        c.hi[i] = c.diff[i].mean + h;
    }
    return c;
}

static void add_difference(JsonBuilder *b, const char *name, const comparison *c, int i)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    add_num(b, "mean", c->diff[i].mean);
    add_num(b, "std", c->diff[i].std);
    add_num(b, "t", c->diff[i].t);
    add_num(b, "p_sign_flip", c->diff[i].p);
    add_num(b, "ci95_low", c->lo[i]);
    add_num(b, "ci95_high", c->hi[i]);
    json_builder_end_object(b);
}

/* The comparison of one metric: every arm's summary and difference from real;
 * "real+synthetic" and "difference" are the chosen protocol's (as read by the
 * app's Ablation page). */
static void add_comparison(ablation *a, JsonBuilder *b, const char *name, comparison c)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    for (int i = 0; i < a->n_arms; i++)
        add_summary(b, protocols[a->arms[i]].id, c.arm[i]);
    if (a->chosen > 0) {
        add_summary(b, "real+synthetic", c.arm[a->chosen]);
        add_difference(b, "difference", &c, a->chosen);
    }
    json_builder_set_member_name(b, "differences");
    json_builder_begin_object(b);
    for (int i = 1; i < a->n_arms; i++)
        add_difference(b, protocols[a->arms[i]].id, &c, i);
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
    /* per-class recall, every arm, mean ± sd */
    dg_bar_chart *bc = dg_bar_chart_new();
    dg_bar_chart_set_title(bc, "Test recall per class (mean ± sd over seeds)");
    dg_bar_chart_set_labels(bc, NULL, "recall");
    dg_bar_chart_set_categories(bc, K, (const char *const *)a->class_ids);
    for (int i = 0; i < a->n_arms; i++) {
        double mean[64], sd[64];
        for (int k = 0; k < K; k++) {
            comparison c = compare(a, get_recall, a->class_ids[k]);
            mean[k] = c.arm[i].mean;
            sd[k] = isfinite(c.arm[i].std) ? c.arm[i].std : 0.0;
        }
        dg_bar_chart_add_series(bc, protocols[a->arms[i]].title, mean, sd);
    }
    dg_bar_chart_set_y_range(bc, 0, 1);
    dg_bar_chart_set_value_labels(bc, a->n_arms <= 3, "%.2f");
    char *p = g_build_filename(a->cfg->out, "recall.png", NULL);
    ok = ok && dg_bar_chart_save(bc, p, 760 + 120 * MAX(0, a->n_arms - 2), 420, NULL, error);
    g_free(p);
    dg_bar_chart_free(bc);

    /* validation curves: every run, arms in their colours */
    dg_line_chart *lc = dg_line_chart_new();
    dg_line_chart_set_title(lc, "Validation balanced accuracy during training");
    dg_line_chart_set_labels(lc, "epoch (passes over the real training images)",
                             "balanced accuracy", NULL);
    for (int i = 0; i < a->n_arms && ok; i++)
        for (int s = 0; s < a->seeds; s++) {
            char *nm = g_strdup_printf("%s, seed %d", protocols[a->arms[i]].title, s + 1);
            int si = dg_line_chart_add_series(lc, nm);
            g_free(nm);
            dg_line_chart_set_series_color(lc, si, i);
            GArray *cv = a->curves[i][s];
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
    for (int i = 0; i < a->n_arms && ok; i++) {
        double *cm = g_new(double, K * K);
        confusion_sum(a, i, cm);
        dg_heatmap *hm = dg_heatmap_new();
        char *t = g_strdup_printf("Confusion, %s (test, %d seeds summed)",
                                  protocols[a->arms[i]].title, a->seeds);
        dg_heatmap_set_title(hm, t);
        dg_heatmap_set_data(hm, K, K, cm, (const char *const *)a->class_ids,
                            (const char *const *)a->class_ids);
        char *f = g_strdup_printf("confusion-%s.png", protocols[a->arms[i]].dir);
        p = g_build_filename(a->cfg->out, f, NULL);
        ok = dg_heatmap_save(hm, p, 460, 440, NULL, error);
        g_free(p), g_free(f), g_free(t), g_free(cm);
        dg_heatmap_free(hm);
    }
    return ok;
}

static void report_row(ablation *a, GString *s, const char *title, comparison c)
{
    char *x = fmt_ms(c.arm[0], 3);
    g_string_append_printf(s, "| %s | %s |", title, x);
    g_free(x);
    for (int i = 1; i < a->n_arms; i++) {
        char *y = fmt_ms(c.arm[i], 3);
        g_string_append_printf(s, " %s (%+.3f [%+.3f, %+.3f], p %.2f) |", y, c.diff[i].mean,
                               c.lo[i], c.hi[i], c.diff[i].p);
        g_free(y);
    }
    g_string_append(s, "\n");
}

static char *report_markdown(ablation *a)
{
    GString *s = g_string_new(NULL);
    dg_ablation_config *cfg = a->cfg;
    g_string_append_printf(s, "# Ablation: how synthetic images are used\n\n");
    g_string_append_printf(s,
                           "Architecture `%s`, %d seeds (1..%d), %" G_GINT64_FORMAT
                           " optimizer steps per run in every arm (%d epochs of the real "
                           "training split at batch %d), validation every %d steps, the best "
                           "validation balanced accuracy's model tested. Split seed %" G_GUINT64_FORMAT
                           " (by lesion); generator `%s`, trained on that split's training images "
                           "only; synthetic images generated anew for each seed.\n\n",
                           cfg->arch, a->seeds, a->seeds, a->steps, cfg->epochs, ABL_BATCH, a->pass,
                           cfg->split_seed, a->gen);
    for (int i = 0; i < a->n_arms; i++)
        g_string_append_printf(s, "- **%s**: %s.\n", protocols[a->arms[i]].title,
                               protocols[a->arms[i]].description);
    g_string_append(s, "\nValidation balanced accuracy (mean over seeds), which chooses the "
                       "protocol:\n\n");
    for (int i = 0; i < a->n_arms; i++) {
        dg_summary v = dg_summarize(a->val[i], a->seeds);
        g_string_append_printf(s, "- %s: %.4f%s\n", protocols[a->arms[i]].title, v.mean,
                               i == a->chosen && i > 0 ? " (chosen)" : "");
    }
    g_string_append(s, "\nTest split (mean ± sd; in brackets the paired difference from real "
                       "only with its 95% t interval, and the sign-flip p):\n\n| test metric |");
    for (int i = 0; i < a->n_arms; i++)
        g_string_append_printf(s, " %s |", protocols[a->arms[i]].title);
    g_string_append(s, "\n|---|");
    for (int i = 0; i < a->n_arms; i++)
        g_string_append(s, "---|");
    g_string_append(s, "\n");
    for (int i = 0; i < N_HEADLINE; i++)
        report_row(a, s, headline_titles[i], compare(a, get_top, headline[i]));
    for (int k = 0; k < a->K; k++) {
        char *t = g_strdup_printf("recall %s", a->class_ids[k]);
        report_row(a, s, t, compare(a, get_recall, a->class_ids[k]));
        g_free(t);
    }
    g_string_append_printf(s,
                           "\nThe sign-flip test is exact and assumes nothing about the "
                           "distribution; with %d seeds its smallest possible p is %.3g.\n\n",
                           a->seeds, a->seeds < 31 ? 2.0 / (double)(1 << a->seeds) : 0.0);
    g_string_append(s, "Per run (test split):\n\n| arm | seed | validation bacc | accuracy | "
                       "balanced accuracy | macro F1 | macro AUC |\n|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < a->n_arms; i++)
        for (int k = 0; k < a->seeds; k++) {
            JsonObject *o = json_node_get_object(a->runs[i][k]);
            g_string_append_printf(s, "| %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f |\n",
                                   protocols[a->arms[i]].title, k + 1, a->val[i][k],
                                   dg_json_member_double(o, "accuracy"),
                                   dg_json_member_double(o, "balanced_accuracy"),
                                   dg_json_member_double(o, "macro_f1"),
                                   dg_json_member_double(o, "auc_macro"));
        }
    g_string_append(s, "\n![per-class recall](recall.png)\n\n![validation curves](curves.png)\n\n");
    for (int i = 0; i < a->n_arms; i++)
        g_string_append_printf(s, "![confusion, %s](confusion-%s.png) ",
                               protocols[a->arms[i]].title, protocols[a->arms[i]].dir);
    g_string_append(s, "\n");
    return g_string_free(s, FALSE);
}

static void add_runs(JsonBuilder *b, ablation *a, int i, const char *name)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (int s = 0; s < a->seeds; s++)
        json_builder_add_value(b, json_node_copy(a->runs[i][s]));
    json_builder_end_array(b);
}

static void add_confusion(JsonBuilder *b, ablation *a, int i, const char *name)
{
    double *cm = g_new(double, a->K * a->K);
    confusion_sum(a, i, cm);
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (int r = 0; r < a->K; r++) {
        json_builder_begin_array(b);
        for (int c = 0; c < a->K; c++)
            json_builder_add_int_value(b, (gint64)cm[r * a->K + c]);
        json_builder_end_array(b);
    }
    json_builder_end_array(b);
    g_free(cm);
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
    /* "arms": the two the app compares (real, and the chosen protocol as "real+synthetic") */
    json_builder_set_member_name(b, "arms");
    json_builder_begin_array(b);
    json_builder_add_string_value(b, "real");
    if (a->chosen > 0)
        json_builder_add_string_value(b, "real+synthetic");
    json_builder_end_array(b);
    json_builder_set_member_name(b, "chosen_protocol");
    if (a->chosen > 0)
        json_builder_add_string_value(b, protocols[a->arms[a->chosen]].id);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "chosen_by");
    json_builder_add_string_value(b, "mean validation balanced accuracy over the seeds");
    json_builder_set_member_name(b, "protocols");
    json_builder_begin_array(b);
    for (int i = 0; i < a->n_arms; i++) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, protocols[a->arms[i]].id);
        json_builder_set_member_name(b, "title");
        json_builder_add_string_value(b, protocols[a->arms[i]].title);
        json_builder_set_member_name(b, "description");
        json_builder_add_string_value(b, protocols[a->arms[i]].description);
        add_summary(b, "val_balanced_accuracy", dg_summarize(a->val[i], a->seeds));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    json_builder_set_member_name(b, "metrics");
    json_builder_begin_object(b);
    for (int i = 0; i < N_HEADLINE; i++)
        add_comparison(a, b, headline[i], compare(a, get_top, headline[i]));
    json_builder_end_object(b);
    json_builder_set_member_name(b, "recall");
    json_builder_begin_object(b);
    for (int k = 0; k < a->K; k++)
        add_comparison(a, b, a->class_ids[k], compare(a, get_recall, a->class_ids[k]));
    json_builder_end_object(b);

    json_builder_set_member_name(b, "confusion_matrix_sum");
    json_builder_begin_object(b);
    for (int i = 0; i < a->n_arms; i++)
        add_confusion(b, a, i, protocols[a->arms[i]].id);
    if (a->chosen > 0)
        add_confusion(b, a, a->chosen, "real+synthetic");
    json_builder_end_object(b);

    json_builder_set_member_name(b, "runs");
    json_builder_begin_object(b);
    for (int i = 0; i < a->n_arms; i++)
        add_runs(b, a, i, protocols[a->arms[i]].id);
    if (a->chosen > 0)
        add_runs(b, a, a->chosen, "real+synthetic");
    json_builder_end_object(b);
    json_builder_set_member_name(b, "val_curves");
    json_builder_begin_object(b);
    for (int i = 0; i < a->n_arms; i++) {
        json_builder_set_member_name(b, protocols[a->arms[i]].id);
        json_builder_begin_array(b);
        for (int s = 0; s < a->seeds; s++) {
            json_builder_begin_array(b);
            GArray *cv = a->curves[i][s];
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

/* The protocol with the best mean validation balanced accuracy (0: none). */
static void choose(ablation *a)
{
    double best = -1.0;
    for (int i = 1; i < a->n_arms; i++) {
        double v = dg_summarize(a->val[i], a->seeds).mean;
        if (isfinite(v) && v > best) {
            best = v;
            a->chosen = i;
        }
    }
}

/* ---- over several processes (MPI) ---------------------------------------------------
 * Each training is independent: the trainings (seed, arm) are shared out
 * round-robin, each rank running its own one at a time in this process (the
 * classifier jobs are not data-parallel here).  First the synthetic sets of
 * seed s are made by rank s % N; then, once all ranks have theirs, training
 * t = s * arms + i by rank t % N; then rank 0 gathers every run's results
 * and writes the summary.  The output folder must be the same folder for
 * every rank (one machine, or a shared file system). */

/* What a rank did: "ok" with its runs, "cancelled", or "failed" with a message. */
static char *rank_results(ablation *a, gboolean ok, const GError *err)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, !ok ? "failed" : dg_job_cancel_requested(a->job) ? "cancelled" : "ok");
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, err ? err->message : "");
    json_builder_set_member_name(b, "runs");
    json_builder_begin_array(b);
    for (int i = 0; ok && i < a->n_arms; i++)
        for (int s = 0; s < a->seeds; s++) {
            if (!a->runs[i][s])
                continue;
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "arm");
            json_builder_add_int_value(b, i);
            json_builder_set_member_name(b, "seed");
            json_builder_add_int_value(b, s);
            json_builder_set_member_name(b, "val");
            json_builder_add_double_value(b, a->val[i][s]);
            json_builder_set_member_name(b, "metrics");
            json_builder_add_value(b, json_node_copy(a->runs[i][s]));
            json_builder_set_member_name(b, "curve");
            json_builder_begin_array(b);
            for (guint e = 0; a->curves[i][s] && e < a->curves[i][s]->len; e++)
                json_builder_add_double_value(b, g_array_index(a->curves[i][s], double, e));
            json_builder_end_array(b);
            json_builder_end_object(b);
        }
    json_builder_end_array(b);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *str = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    return str;
}

/* Rank 0: every rank's runs into a; FALSE + error naming a rank that failed;
 * TRUE with the job cancelled when one was. */
static gboolean take_results(ablation *a, char **all, GError **error)
{
    for (int r = 0; all && all[r]; r++) {
        JsonNode *n = json_from_string(all[r], NULL);
        JsonObject *o = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        const char *status = o ? json_object_get_string_member_with_default(o, "status", "") : "";
        if (strcmp(status, "ok") != 0) {
            gboolean cancelled = strcmp(status, "cancelled") == 0;
            if (cancelled)
                dg_job_cancel(a->job);
            else {
                const char *msg = o ? json_object_get_string_member_with_default(o, "message", "failed")
                                    : "sent no results";
                if (r == 0) /* rank 0's own failure */
                    g_set_error_literal(error, DG_JOB_ERROR, DG_JOB_ERROR_FAILED, msg);
                else
                    g_set_error(error, DG_DIST_ERROR, DG_DIST_ERROR_PEER, "rank %d: %s", r, msg);
            }
            if (n)
                json_node_unref(n);
            return cancelled;
        }
        JsonArray *runs = json_object_get_array_member(o, "runs");
        for (guint k = 0; runs && k < json_array_get_length(runs); k++) {
            JsonObject *run = json_array_get_object_element(runs, k);
            int i = (int)json_object_get_int_member(run, "arm"), s = (int)json_object_get_int_member(run, "seed");
            if (i < 0 || i >= a->n_arms || s < 0 || s >= a->seeds || a->runs[i][s])
                continue;
            a->runs[i][s] = json_node_copy(json_object_get_member(run, "metrics"));
            a->val[i][s] = json_object_get_double_member(run, "val");
            JsonArray *cv = json_object_get_array_member(run, "curve");
            a->curves[i][s] = g_array_new(FALSE, FALSE, sizeof(double));
            for (guint e = 0; cv && e < json_array_get_length(cv); e++) {
                double v = json_array_get_double_element(cv, e);
                g_array_append_val(a->curves[i][s], v);
            }
        }
        json_node_unref(n);
    }
    for (int i = 0; i < a->n_arms; i++)
        for (int s = 0; s < a->seeds; s++)
            if (!a->runs[i][s]) {
                g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_FAILED,
                            "no results for %s, seed %d", protocols[a->arms[i]].id, s + 1);
                return FALSE;
            }
    return TRUE;
}

/* A cancel of this rank's part, as an error every rank can agree on. */
static gboolean part_done(ablation *a, gboolean ok, GError **error)
{
    if (ok && dg_job_cancel_requested(a->job)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
        return FALSE;
    }
    return ok;
}

static gboolean run_all_shared(ablation *a, int largest, GError **error)
{
    dg_dist *d = a->cfg->dist;
    const int N = dg_dist_size(d), me = dg_dist_rank(d);
    gboolean ok = TRUE;
    /* the synthetic images, seed by seed */
    for (int s = me; a->n_arms > 1 && s < a->seeds && ok; s += N) {
        synthetic_sets ss = {0};
        dg_job_message(a->job, "info", "seed %d: synthetic images", s + 1);
        ok = make_sets(a, (uint64_t)(s + 1), largest, &ss, error);
        sets_free(&ss);
        ok = !(error && *error) && !dg_job_cancel_requested(a->job) && ok;
    }
    if (!dg_dist_agree_patient(d, part_done(a, ok, error), error)) {
        if (error && *error && g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            dg_job_cancel(a->job); /* stopped on another rank: here too */
        return FALSE;
    }
    /* the trainings */
    const int tasks = a->seeds * a->n_arms;
    a->part = 0;
    a->n_parts = 0;
    for (int t = me; t < tasks; t += N)
        a->n_parts += a->arms[t % a->n_arms] == P_PRETRAIN ? 2 : 1;
    for (int t = me; t < tasks && ok; t += N) {
        const int s = t / a->n_arms, i = t % a->n_arms;
        synthetic_sets ss = {0};
        if (a->n_arms > 1) { /* made in the first phase: only their paths and counts here */
            const char *out = a->cfg->out;
            ss.balance = g_strdup_printf("%s/synthetic-images-seed%d", out, s + 1);
            ss.pool = g_strdup_printf("%s/synthetic-pool-seed%d", out, s + 1);
            ss.filtered = g_strdup_printf("%s/synthetic-filtered-seed%d", out, s + 1);
            ss.n_balance = arm_uses(a, P_BALANCE) ? manifest_count(ss.balance)
                           : arm_uses(a, P_FILTER) ? manifest_count(ss.filtered) : 1;
        }
        dg_job_message(a->job, "info", "ablation seed %d of %d: %s", s + 1, a->seeds,
                       protocols[a->arms[i]].title);
        ok = run_arm(a, i, s, &ss, error) && !dg_job_cancel_requested(a->job);
        ok = ok || !(error && *error); /* a cancel is not a failure */
        sets_free(&ss);
        if (dg_job_cancel_requested(a->job))
            break;
    }
    /* every rank's results to rank 0 (ranks may finish hours apart) */
    char *mine = rank_results(a, ok, error ? *error : NULL);
    char **all = dg_dist_gather_strings(d, mine);
    g_free(mine);
    if (!dg_dist_is_root(d))
        return ok; /* rank 0 reports */
    g_clear_error(error);
    ok = take_results(a, all, error);
    g_strfreev(all);
    if (ok && !dg_job_cancel_requested(a->job))
        choose(a);
    return ok;
}

/* Runs every arm of every seed (synthetic sets first), resuming what an
 * interrupted ablation left; then chooses the protocol on validation. */
static gboolean run_all(ablation *a, int largest, GError **error)
{
    if (a->cfg->dist)
        return run_all_shared(a, largest, error);
    for (int s = 0; s < a->seeds; s++) {
        const uint64_t seed = (uint64_t)(s + 1);
        synthetic_sets ss = {0};
        if (a->n_arms > 1) {
            dg_job_message(a->job, "info", "seed %" G_GUINT64_FORMAT ": synthetic images", seed);
            if (!make_sets(a, seed, largest, &ss, error)) {
                sets_free(&ss);
                return !(error && *error);
            }
            if (ss.n_balance == 0)
                dg_job_message(a->job, "warning", "the training split is balanced already: no "
                               "synthetic images to add for balance");
        }
        for (int i = 0; i < a->n_arms; i++) {
            dg_job_message(a->job, "info", "ablation seed %" G_GUINT64_FORMAT " of %d: %s", seed,
                           a->seeds, protocols[a->arms[i]].title);
            if (!run_arm(a, i, s, &ss, error) || dg_job_cancel_requested(a->job)) {
                sets_free(&ss);
                return !(error && *error);
            }
        }
        sets_free(&ss);
    }
    choose(a);
    return TRUE;
}

static gboolean ablation_run(dg_job *job, void *config, GError **error)
{
    dg_ablation_config *cfg = config;
    ablation a = {.job = job, .cfg = cfg};
    gboolean ok = FALSE;
    dg_dataset *ds = NULL;
    dg_run_dir *dir = NULL;
    dg_event sev = {.kind = DG_EVENT_STARTED, .eta = -1,
                    .message = "ablation: real only vs the ways of adding synthetic images"};
    dg_job_emit(job, &sev);
    if (!dg_job_check_int("seeds", cfg->seeds, 1, MIN(MAX_SEEDS, DG_LIMIT_SEEDS), TRUE, error) ||
        !dg_job_check_int("epochs", cfg->epochs, 1, DG_LIMIT_EPOCHS, FALSE, error) ||
        !dg_job_check_int("threads", cfg->threads, 1, DG_LIMIT_THREADS, TRUE, error))
        return FALSE;
    a.seeds = cfg->seeds > 0 ? cfg->seeds : 5;
    if (!cfg->out || !*cfg->out) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no output folder given (--out)");
        return FALSE;
    }
    if (!parse_protocols(cfg->protocols, a.arms, &a.n_arms, error))
        return FALSE;
    dg_cnn_config cc;
    if (!dg_cnn_config_arch(&cc, cfg->arch, 2, error))
        return FALSE;
    /* (with several ranks: rank 0 owns the output folder, and all agree that
     * their setup went well before they share out the work) */
    gboolean set = (a.gen = dg_job_find_generator(cfg->generator, error)) &&
                   dg_job_check_generator_split(a.gen, cfg->split_seed, error) &&
                   (!dg_dist_is_root(cfg->dist) || (dir = dg_run_dir_open(cfg->out, error))) &&
                   (ds = dg_job_load_dataset(job, cfg->data, cfg->all_classes, cc.size,
                                             cfg->cache_dir, cfg->split_seed, error));
    int largest = 0;
    if (set) {
        a.K = ds->n_classes;
        a.class_ids = g_new0(char *, a.K + 1);
        for (int k = 0; k < a.K; k++) {
            a.class_ids[k] = g_strdup(ds->classes[k].id);
            largest = MAX(largest, dg_dataset_indices(ds, DG_SPLIT_TRAIN, k, NULL));
        }
        a.pass = MAX(1, dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, NULL) / ABL_BATCH);
        a.steps = (int64_t)MAX(1, cfg->epochs) * a.pass;
        a.n_parts = a.seeds * (a.n_arms + (arm_uses(&a, P_PRETRAIN) ? 1 : 0));
        if (arm_uses(&a, P_PRETRAIN) && a.steps < 2) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "the pretraining protocol needs at least 2 optimizer steps");
            set = FALSE;
        }
    }
    if (!dg_job_agree(job, cfg->dist, set, error))
        goto out; /* a cancelled load: the job runner calls it a cancel */
    if (cfg->dist)
        dg_job_message(job, "info", "the %d trainings shared out over %d processes",
                       a.seeds * a.n_arms, dg_dist_size(cfg->dist));
    dg_dataset_free(ds);
    ds = NULL;

    if (!run_all(&a, largest, error) || dg_job_cancel_requested(job)) {
        ok = !(error && *error);
        goto out;
    }
    if (!dg_dist_is_root(cfg->dist)) { /* rank 0 writes the summary */
        ok = TRUE;
        goto out;
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
    for (int i = 0; i < MAX_ARMS; i++)
        for (int s = 0; s < MAX_SEEDS; s++) {
            if (a.runs[i][s])
                json_node_unref(a.runs[i][s]);
            if (a.curves[i][s])
                g_array_free(a.curves[i][s], TRUE);
        }
    g_strfreev(a.class_ids);
    g_free(a.gen);
    dg_dataset_free(ds);
    dg_run_dir_close(dir);
    return ok;
}

const dg_job_kind dg_job_ablation = {"ablation", ablation_run, dg_ablation_config_free};

/* dg-job-ablation.c: the with/without-GAN ablation: the synthetic image
 * sets, every arm's trainings and test metrics for every seed, the choice
 * of protocol on validation; its report is in dg-job-ablation-report.c. */
#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/dg-file.h"
#include "data/dg-json.h"
#include "jobs/dg-job-ablation-private.h"
#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-gan-private.h"
#include "jobs/dg-job-gan.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-run-dir.h"
#include "models/dg-gan-quality.h"
#include "models/dg-gan.h"
#include "models/dg-metrics.h"
#include "models/dg-safetensors.h"

const dg_ablation_protocol dg_ablation_protocols[N_PROTOCOLS] = {
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
gboolean dg_ablation_protocol_info(int i, const char **id, const char **title,
                                   const char **description)
{
    if (i < 0 || i + 1 >= N_PROTOCOLS)
        return FALSE;
    const dg_ablation_protocol *p = &dg_ablation_protocols[i + 1];
    if (id)
        *id = p->id;
    if (title)
        *title = p->title;
    if (description)
        *description = p->description;
    return TRUE;
}

#define SHARE_RATIO 0.25 /* of every batch, in the share protocol */

/* ---- the ablation ------------------------------------------------------------------ */

dg_ablation_config *dg_ablation_config_new(void)
{
    dg_ablation_config *c = g_new0(dg_ablation_config, 1);
    c->arch = g_strdup("dermanet");
    c->seeds = 5;
    c->protocols = g_strdup("balance,share,pretrain,filter");
    c->epochs = 40;
    c->color_shift = 0.5; /* the recipe a classifier is trained with */
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
            if (strcmp(t, dg_ablation_protocols[k].id) == 0)
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

/* What one training of an arm takes. */
typedef struct {
    const char *data;      /* training data (the real data set, or synthetic images only) */
    const char *synthetic; /* synthetic images mixed in, or NULL */
    double ratio;          /* their share of each batch; 0: pooled */
    const char *init;      /* initial weights, or NULL */
    int64_t steps;
} train_spec;

/* A finished run is reused only if it was trained with this ablation's
 * colour shift (the setting's default changed; an older folder resumed
 * without --color-shift 0 would mix two recipes under one report).  Runs
 * still to finish are checked by their own resume. */
static gboolean same_recipe(const dg_ablation_config *cfg, const char *run_dir, const char *ckpt,
                            GError **error)
{
    dg_st *st = dg_st_load(ckpt, NULL);
    const char *run = st ? dg_st_metadata(st, "run") : NULL;
    JsonNode *n = run ? dg_json_parse_bounded(run, -1, DG_JSON_MAX_DEPTH, NULL) : NULL;
    const char *had = n && JSON_NODE_HOLDS_OBJECT(n)
                          ? json_object_get_string_member_with_default(json_node_get_object(n),
                                                                       "color-shift", "0")
                          : NULL;
    char want[32];
    g_snprintf(want, sizeof want, "%g", cfg->color_shift);
    gboolean same = !had || strcmp(had, want) == 0; /* (no record: nothing to compare) */
    if (!same) {
        g_autofree char *disp = dg_file_display_name(run_dir);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s was trained with colour shift %s, and this ablation asks for %s: run it "
                    "with --color-shift %s, or into another folder",
                    disp, had, want, had);
    }
    if (n)
        json_node_unref(n);
    dg_st_free(st);
    return same;
}

/* Trains into run_dir (resuming a run interrupted before); the best validation
 * balanced accuracy in *val.  Cancelled: TRUE with the job's cancel flag set. */
static gboolean train(dg_ablation *a, const char *run_dir, const train_spec *ts, uint64_t seed,
                      double *val, GError **error)
{
    dg_ablation_config *cfg = a->cfg;
    char *model = g_build_filename(run_dir, "model.safetensors", NULL);
    char *done = g_build_filename(run_dir, "result.json", NULL);
    char *ckpt = g_build_filename(run_dir, "checkpoint.safetensors", NULL);
    gboolean ok = FALSE;
    JsonNode *r = dg_json_read_object(done);
    if (r && !same_recipe(cfg, run_dir, ckpt, error)) {
        json_node_unref(r);
        g_free(model), g_free(done), g_free(ckpt);
        return FALSE;
    }
    if (!r) {
        dg_cnn_train_config *t = dg_cnn_train_config_new();
        t->data = g_strdup(ts->data);
        t->out = g_strdup(run_dir);
        g_free(t->arch);
        t->arch = g_strdup(cfg->arch);
        t->steps = (int)ts->steps;
        t->color_shift = cfg->color_shift;
        t->eval_every = a->pass;
        t->seed = seed;
        t->split_seed = cfg->split_seed;
        t->threads = cfg->threads;
        t->all_classes = cfg->all_classes;
        t->follow_symlinks = cfg->follow_symlinks;
        t->cache_dir = g_strdup(cfg->cache_dir);
        t->synthetic = g_strdup(ts->synthetic);
        t->synthetic_ratio = ts->ratio;
        t->init_model = g_strdup(ts->init);
        t->resume = g_file_test(ckpt, G_FILE_TEST_EXISTS);
        char *res = NULL;
        dg_job_state st = dg_job_run_child_part(a->job, &dg_job_cnn_train, t, a->part, a->n_parts,
                                                &res, error);
        a->part++; /* parts count the trainings run now, not those done before */
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
    g_free(model), g_free(done), g_free(ckpt);
    return ok;
}

/* The best validation epoch's model of run_dir on the real test split. */
static JsonNode *test_metrics(dg_ablation *a, const char *run_dir, uint64_t seed, GError **error)
{
    dg_ablation_config *cfg = a->cfg;
    char *model = g_build_filename(run_dir, "model.safetensors", NULL);
    dg_cnn *cnn = dg_cnn_load(model, ABL_BATCH, error);
    g_free(model);
    if (!cnn)
        return NULL;
    dg_dataset *ds = dg_job_load_dataset_ex(a->job, cfg->data, cfg->all_classes, cfg->follow_symlinks, cnn->cfg.size,
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
    float *probs = NULL;
    int used = 0;
    GError *bad = NULL;
    JsonNode *m = dg_job_evaluate_items(NULL, cnn, ctx, ds, idx, n, FALSE, seed, &probs, NULL, &used);
    if (m && !dg_job_check_outputs(probs, (long)used * cnn->cfg.n_classes, &bad)) {
        json_node_unref(m); /* (a run folder's model.safetensors replaced by a damaged one) */
        m = NULL;
    }
    g_free(probs);
    dg_ctx_free(ctx);
    g_free(idx);
    dg_dataset_free(ds);
    dg_cnn_free(cnn);
    if (bad)
        g_propagate_prefixed_error(error, bad, "%s: ", run_dir);
    else if (!m)
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
    JsonNode *cn = mf ? json_object_get_member(json_node_get_object(mf), "classes") : NULL;
    JsonObject *mc = cn && JSON_NODE_HOLDS_OBJECT(cn) ? json_node_get_object(cn) : NULL;
    GList *keys = mc ? json_object_get_members(mc) : NULL;
    for (GList *l = keys; l; l = l->next) { /* a folder's manifest: checked, not trusted */
        JsonNode *c = json_object_get_member(mc, l->data);
        if (c && JSON_NODE_HOLDS_OBJECT(c))
            n += MAX(0, json_object_get_int_member_with_default(json_node_get_object(c), "count", 0));
    }
    g_list_free(keys);
    if (mf)
        json_node_unref(mf);
    return n;
}

/* Generates into dir unless a manifest shows it done: balance (per_class 0),
 * or per_class images of every class; filter: "classifier" or NULL. */
static gboolean generate(dg_ablation *a, const char *dir, uint64_t seed, int per_class,
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
    g->follow_symlinks = cfg->follow_symlinks;
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

static gboolean arm_uses(const dg_ablation *a, int p)
{
    for (int i = 0; i < a->n_arms; i++)
        if (a->arms[i] == p)
            return TRUE;
    return FALSE;
}

static gboolean make_sets(dg_ablation *a, uint64_t seed, int largest, synthetic_sets *ss,
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

static gboolean readable_object(const char *dir, const char *suffix, const char *file)
{
    char *path = g_strdup_printf("%s%s/%s", dir, suffix, file);
    JsonNode *n = dg_json_read_object(path);
    g_free(path);
    if (n)
        json_node_unref(n);
    return n != NULL;
}

/* The trainings run_arm still has to run for arm i and seed s (as it
 * decides: none where the test metrics exist, else each training without
 * its result.json): a resumed ablation's progress and time left count
 * these, not the runs done before. */
static int trainings_left(const dg_ablation *a, int i, int s)
{
    const int p = a->arms[i];
    char *name = g_strdup_printf("%s-seed%d", dg_ablation_protocols[p].dir, s + 1);
    char *run_dir = g_build_filename(a->cfg->out, name, NULL);
    int n = 0;
    if (!readable_object(run_dir, "", "test-metrics.json")) {
        n = !readable_object(run_dir, "", "result.json");
        if (p == P_PRETRAIN)
            n += !readable_object(run_dir, "-stage1", "result.json");
    }
    g_free(name), g_free(run_dir);
    return n;
}

/* The progress parts of this rank's tasks (me, me + N, ... of seed-major
 * arm x seed): the trainings still to run. */
static void count_parts(dg_ablation *a, int me, int N)
{
    a->part = 0;
    a->n_parts = 0;
    int n_all = 0;
    for (int t = me; t < a->seeds * a->n_arms; t += N) {
        n_all += a->arms[t % a->n_arms] == P_PRETRAIN ? 2 : 1;
        a->n_parts += trainings_left(a, t % a->n_arms, t / a->n_arms);
    }
    if (a->n_parts < n_all)
        dg_job_message(a->job, "info", "%d of %d trainings done before; %d to run",
                       n_all - a->n_parts, n_all, a->n_parts);
}

/* Arm i (protocol arms[i]) for seed s: its trainings, then its test metrics. */
static gboolean run_arm(dg_ablation *a, int i, int s, const synthetic_sets *ss, GError **error)
{
    dg_ablation_config *cfg = a->cfg;
    const int p = a->arms[i];
    const uint64_t seed = (uint64_t)(s + 1);
    char *name = g_strdup_printf("%s-seed%" G_GUINT64_FORMAT, dg_ablation_protocols[p].dir, seed);
    char *run_dir = g_build_filename(cfg->out, name, NULL);
    char *metrics_path = g_build_filename(run_dir, "test-metrics.json", NULL);
    gboolean ok = FALSE;
    JsonNode *m = dg_json_read_object(metrics_path);
    double val = NAN;
    char *ckpt = g_build_filename(run_dir, "checkpoint.safetensors", NULL);
    const gboolean same = !m || same_recipe(cfg, run_dir, ckpt, error);
    g_free(ckpt);
    if (!same) {
        json_node_unref(m);
        m = NULL;
        goto out;
    }
    if (m) {
        dg_job_message(a->job, "info", "%s: done before, metrics reused", name);
        val = dg_json_member_double(json_node_get_object(m), "val_balanced_accuracy");
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
        json_object_set_string_member(o, "arm", dg_ablation_protocols[p].id);
        dg_json_set_path(o, "run", run_dir);
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

/* The protocol with the best mean validation balanced accuracy (0: none). */
static void choose(dg_ablation *a)
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
static char *rank_results(dg_ablation *a, gboolean ok, const GError *err)
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
static gboolean take_results(dg_ablation *a, char **all, GError **error)
{
    for (int r = 0; all && all[r]; r++) {
        JsonNode *n = dg_json_parse_bounded(all[r], -1, DG_JSON_MAX_DEPTH, NULL);
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
                            "no results for %s, seed %d", dg_ablation_protocols[a->arms[i]].id, s + 1);
                return FALSE;
            }
    return TRUE;
}

/* A cancel of this rank's part, as an error every rank can agree on. */
static gboolean part_done(dg_ablation *a, gboolean ok, GError **error)
{
    if (ok && dg_job_cancel_requested(a->job)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
        return FALSE;
    }
    return ok;
}

static gboolean run_all_shared(dg_ablation *a, int largest, GError **error)
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
    count_parts(a, me, N);
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
                       dg_ablation_protocols[a->arms[i]].title);
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
static gboolean run_all(dg_ablation *a, int largest, GError **error)
{
    if (a->cfg->dist)
        return run_all_shared(a, largest, error);
    count_parts(a, 0, 1);
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
                           a->seeds, dg_ablation_protocols[a->arms[i]].title);
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
    dg_ablation a = {.job = job, .cfg = cfg};
    gboolean ok = FALSE;
    dg_dataset *ds = NULL;
    dg_run_dir *dir = NULL;
    dg_event sev = {.kind = DG_EVENT_STARTED, .eta = -1,
                    .message = "ablation: real only vs the ways of adding synthetic images"};
    dg_job_emit(job, &sev);
    if (!dg_job_check_int("seeds", cfg->seeds, 1, MIN(MAX_SEEDS, DG_LIMIT_SEEDS), TRUE, error) ||
        !dg_job_check_int("epochs", cfg->epochs, 1, DG_LIMIT_EPOCHS, FALSE, error) ||
        !dg_job_check_double("color-shift", cfg->color_shift, 0.0, 4.0, FALSE, error) ||
        !dg_job_check_int("threads", cfg->threads, 1, DG_LIMIT_THREADS, TRUE, error))
        return FALSE;
    a.seeds = cfg->seeds > 0 ? cfg->seeds : 5;
    if (!cfg->out || !*cfg->out) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no output folder given (--out)");
        return FALSE;
    }
    /* (its synthetic images would join an ImageFolder data set's classes) */
    if (!dg_job_check_outside_data("out", cfg->out, cfg->data, NULL, error))
        return FALSE;
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
                   (ds = dg_job_load_dataset_ex(job, cfg->data, cfg->all_classes, cfg->follow_symlinks, cc.size,
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
    JsonNode *summary = dg_ablation_summary_json(&a);
    char *p = g_build_filename(cfg->out, "ablation.json", NULL);
    ok = dg_json_write(p, summary, error);
    g_free(p);
    if (ok)
        ok = dg_ablation_write_plots(&a, error);
    if (ok) {
        char *md = dg_ablation_report_markdown(&a);
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

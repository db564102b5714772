/* dg-job-cnn.c: the classifier training job. */
#include "dg-job-cnn.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "data/dg-dataset.h"
#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-run-dir.h"
#include "models/dg-checkpoint.h"
#include "models/dg-classifier.h"
#include "models/dg-metrics.h"
#include "models/dg-model-file.h"
#include "numerics/dg-loss.h"

#define HIST_COLS 7 /* epoch, train_loss, train_acc, val_loss, val_acc, val_bacc, lr */

dg_cnn_train_config *dg_cnn_train_config_new(void)
{
    dg_cnn_train_config *c = g_new0(dg_cnn_train_config, 1);
    c->arch = g_strdup("dermanet");
    c->epochs = 40;
    c->batch = 64;
    c->lr = 2e-3;
    c->weight_decay = 5e-4;
    c->label_smoothing = 0.1;
    c->balance = g_strdup("weights");
    c->schedule = g_strdup("cosine");
    c->augment = TRUE;
    c->seed = 1;
    c->split_seed = 1;
    return c;
}

void dg_cnn_train_config_free(void *p)
{
    dg_cnn_train_config *c = p;
    if (!c)
        return;
    g_free(c->data);
    g_free(c->out);
    g_free(c->arch);
    g_free(c->balance);
    g_free(c->schedule);
    g_free(c->synthetic);
    g_free(c->init_model);
    g_free(c->cache_dir);
    g_free(c);
}

/* One training image: a real one (src 0) or a synthetic one (src 1). */
typedef struct {
    int src, idx, label;
} pool_item;

typedef struct {
    dg_job *job;
    dg_cnn_train_config *cfg;
    dg_dataset *ds, *syn;
    dg_cnn *cnn;
    dg_ctx *ctx;
    dg_opt opt;
    dg_rng rng;
    GArray *pool;      /* pool_item */
    GArray *syn_pool;  /* pool_item, when mixing at a fixed ratio */
    int *perm, *syn_perm;
    int pos, syn_pos;  /* position in the permutations */
    int64_t step, total_steps;
    int epoch, steps_per_epoch;
    float class_w[64];
    int *val_idx, n_val;
    double best_bacc;
    int best_epoch;
    double ep_loss;    /* running sums of the epoch in progress */
    int64_t ep_correct, ep_n;
    GArray *history;   /* floats, HIST_COLS per epoch */
    char *ckpt_path, *model_path;
    /* auxiliary classes: the task classes' indices, a task-only copy of the
     * model (validated and saved), and data set class -> task index */
    int n_task, task[64], task_map[64];
    dg_cnn *task_cnn;
    dg_cnn *ema_cnn;          /* the weights' moving average (cfg->ema > 0) */
    int64_t last_ckpt_step;   /* -1: none written by this run yet */
    dg_run_dir *dir;          /* the run folder, locked while the job runs */
    dg_run_identity *identity; /* the settings that define the run */
    /* data-parallel (dist/dg-dist.h): every rank takes images [part_off,
     * part_off + part_n) of each batch; rank 0 alone writes files and events */
    dg_dist *dist;
    int part_off, part_n;
} cnn_run;

/* ---- learning rate --------------------------------------------------------------- */

static float lr_at(const cnn_run *r, int64_t step)
{
    const double base = r->cfg->lr > 0 ? r->cfg->lr : 2e-3;
    const double T = (double)r->total_steps;
    const double warm = MIN(200.0, 0.03 * T);
    if (step < warm)
        return (float)(base * (step + 1) / warm);
    const char *s = r->cfg->schedule ? r->cfg->schedule : "cosine";
    if (strcmp(s, "constant") == 0)
        return (float)base;
    if (strcmp(s, "step") == 0)
        return (float)(base * (step < 0.5 * T ? 1.0 : step < 0.75 * T ? 0.1 : 0.01));
    double t = (step - warm) / MAX(1.0, T - warm);
    return (float)(base * (0.01 + 0.99 * 0.5 * (1.0 + cos(G_PI * t))));
}

/* ---- data ------------------------------------------------------------------------- */

static void shuffle_pool(cnn_run *r)
{
    for (guint i = 0; i < r->pool->len; i++)
        r->perm[i] = (int)i;
    dg_rng_shuffle(&r->rng, r->perm, (int)r->pool->len);
    r->pos = 0;
}

static void next_batch(cnn_run *r, int B, pool_item *items)
{
    const int K = r->ds->n_classes;
    const gboolean sampler = g_strcmp0(r->cfg->balance, "sampler") == 0;
    int n_syn = 0;
    if (r->syn_pool && r->cfg->synthetic_ratio > 0)
        n_syn = CLAMP((int)lround(r->cfg->synthetic_ratio * B), 0, B);
    for (int b = 0; b < B - n_syn; b++) {
        if (sampler) {
            /* class first, then an image of that class: balanced in expectation */
            int c = (int)dg_rng_below(&r->rng, K), tries = 0;
            pool_item it;
            do {
                it = g_array_index(r->pool, pool_item, dg_rng_below(&r->rng, r->pool->len));
            } while (it.label != c && ++tries < 64);
            items[b] = it;
            continue;
        }
        if (r->pos >= (int)r->pool->len)
            shuffle_pool(r);
        items[b] = g_array_index(r->pool, pool_item, r->perm[r->pos++]);
    }
    for (int b = B - n_syn; b < B; b++) {
        if (r->syn_pos >= (int)r->syn_pool->len) {
            for (guint i = 0; i < r->syn_pool->len; i++)
                r->syn_perm[i] = (int)i;
            dg_rng_shuffle(&r->rng, r->syn_perm, (int)r->syn_pool->len);
            r->syn_pos = 0;
        }
        items[b] = g_array_index(r->syn_pool, pool_item, r->syn_perm[r->syn_pos++]);
    }
}

static void fill_batch(cnn_run *r, const pool_item *items, int B, float *x, int *y,
                       const dg_augment *aug)
{
    const int S = r->cnn->cfg.size;
    const long img = 3L * S * S;
    for (int b = 0; b < B; b++) {
        const dg_dataset *d = items[b].src == 0 ? r->ds : r->syn;
        const uint8_t *src = dg_dataset_image(d, items[b].idx);
        if (aug)
            dg_augment_image(aug, &r->rng, src, S, x + b * img);
        else
            dg_image_to_float(src, S, x + b * img);
        y[b] = items[b].label;
    }
}

/* ---- evaluation on the validation split ---------------------------------------------- */

/* Class probabilities of items idx[0..n) into p (n * K). */
static void predict_items(dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds, const int *idx, int n,
                          float *p)
{
    const int K = cnn->cfg.n_classes, S = cnn->cfg.size, MB = dg_net_max_batch(cnn->net);
    const long img = 3L * S * S;
    float *x = g_new(float, (long)MB * img);
    for (int i0 = 0; i0 < n; i0 += MB) {
        int b = MIN(MB, n - i0);
        for (int i = 0; i < b; i++)
            dg_image_to_float(dg_dataset_image(ds, idx[i0 + i]), S, x + i * img);
        dg_cnn_predict(cnn, ctx, x, b, false, p + (long)i0 * K);
    }
    g_free(x);
}

/* Loss, accuracy and balanced accuracy of the probabilities p of items idx. */
static double score_items(const dg_cnn *cnn, const dg_dataset *ds, const int *idx, int n,
                          const int *label_map, const float *p, double *loss, double *acc)
{
    const int K = cnn->cfg.n_classes;
    int *y = g_new(int, MAX(n, 1));
    double l = 0.0;
    for (int i = 0; i < n; i++) {
        int c = ds->items[idx[i]].cls;
        y[i] = label_map ? label_map[c] : c;
        l -= log(fmax(p[(long)i * K + y[i]], 1e-12));
    }
    dg_metrics *m = dg_metrics_compute(n, K, p, y, 0, 0);
    double bacc = m ? m->balanced_accuracy : NAN;
    if (loss)
        *loss = n ? l / n : NAN;
    if (acc)
        *acc = m ? m->accuracy : NAN;
    dg_metrics_free(m);
    g_free(y);
    return bacc;
}

double dg_cnn_eval_split(dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds, const int *idx, int n,
                         const int *label_map, double *loss, double *acc, float *probs_out)
{
    float *p = probs_out ? probs_out : g_new(float, (long)n * cnn->cfg.n_classes);
    predict_items(cnn, ctx, ds, idx, n, p);
    double bacc = score_items(cnn, ds, idx, n, label_map, p, loss, acc);
    if (!probs_out)
        g_free(p);
    return bacc;
}

/* The same, for a data-parallel run: each rank predicts its part of the
 * items, and the probabilities are summed into place (a sum with zeros is
 * exact: the same numbers as one process's). */
static double eval_split_dist(dg_dist *dist, dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds,
                              const int *idx, int n, const int *label_map, double *loss,
                              double *acc)
{
    if (!dist)
        return dg_cnn_eval_split(cnn, ctx, ds, idx, n, label_map, loss, acc, NULL);
    const int K = cnn->cfg.n_classes;
    int off, count;
    dg_dist_part(dist, n, &off, &count);
    float *p = g_new0(float, (long)MAX(n, 1) * K);
    if (count > 0)
        predict_items(cnn, ctx, ds, idx + off, count, p + (long)off * K);
    dg_dist_sum_float(dist, p, (long)n * K);
    double bacc = score_items(cnn, ds, idx, n, label_map, p, loss, acc);
    g_free(p);
    return bacc;
}

/* ---- checkpoints ------------------------------------------------------------------- */

static gboolean save_checkpoint(cnn_run *r, GError **error)
{
    if (!dg_model_check_finite(r->cnn->net, "the classifier", error)) {
        g_prefix_error(error, "not saving a checkpoint at step %" G_GINT64_FORMAT ": ", r->step);
        return FALSE;
    }
    dg_st_writer *w = dg_st_writer_new();
    dg_net_write(w, r->cnn->net, "net.", TRUE);
    if (r->ema_cnn)
        dg_net_write(w, r->ema_cnn->net, "ema.", FALSE);
    dg_rng_write(w, "rng", &r->rng);
    dg_rng_write(w, "net_rng", dg_net_rng(r->cnn->net)); /* dropout */
    int64_t state[8] = {r->step,    r->epoch,      r->pos,      r->syn_pos,
                        r->opt.t,   r->best_epoch, r->ep_correct, r->ep_n};
    int64_t s8[1] = {8};
    dg_st_writer_add(w, "state", DG_ST_I64, 1, s8, state);
    double sums[2] = {r->best_bacc, r->ep_loss};
    int64_t s2[1] = {2};
    dg_st_writer_add(w, "best_bacc", DG_ST_F64, 1, s2, sums);
    int64_t sp[1] = {(int64_t)r->pool->len};
    dg_st_writer_add(w, "perm", DG_ST_I32, 1, sp, r->perm);
    if (r->syn_pool) {
        int64_t ss[1] = {(int64_t)r->syn_pool->len};
        dg_st_writer_add(w, "syn_perm", DG_ST_I32, 1, ss, r->syn_perm);
    }
    int64_t hs[2] = {(int64_t)(r->history->len / HIST_COLS), HIST_COLS};
    dg_st_writer_add(w, "history", DG_ST_F32, 2, hs, r->history->data);
    char *cfg = dg_cnn_config_to_json(&r->cnn->cfg);
    dg_st_writer_set_metadata(w, "format", "dermagan-classifier-checkpoint");
    dg_st_writer_set_metadata(w, "classifier", cfg);
    char *n = g_strdup_printf("%u", r->pool->len);
    dg_st_writer_set_metadata(w, "pool_size", n);
    char *run = dg_run_identity_to_json(r->identity);
    dg_st_writer_set_metadata(w, "run", run);
    gboolean ok = dg_st_writer_save(w, r->ckpt_path, error);
    dg_st_writer_free(w);
    g_free(cfg), g_free(n), g_free(run);
    if (ok)
        r->last_ckpt_step = r->step;
    return ok;
}

static gboolean get_i64(const dg_st *st, const char *name, int n, int64_t *out, GError **error)
{
    const dg_st_tensor *t = dg_st_find(st, name);
    if (!t || t->dtype != DG_ST_I64 || t->ndim != 1 || t->shape[0] != n) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "checkpoint: '%s' missing or wrong",
                    name);
        return FALSE;
    }
    memcpy(out, t->data, 8 * (size_t)n);
    return TRUE;
}

static gboolean get_perm(const dg_st *st, const char *name, int n, int *out, GError **error)
{
    const dg_st_tensor *t = dg_st_find(st, name);
    if (!t || t->dtype != DG_ST_I32 || t->ndim != 1 || t->shape[0] != n) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "checkpoint: '%s' missing or does not match this data set (%d images)", name, n);
        return FALSE;
    }
    memcpy(out, t->data, 4 * (size_t)n);
    for (int i = 0; i < n; i++)
        if (out[i] < 0 || out[i] >= n) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "checkpoint: '%s' is corrupt", name);
            return FALSE;
        }
    return TRUE;
}

static gboolean load_checkpoint(cnn_run *r, GError **error)
{
    dg_st *st = dg_job_read_st(r->dist, r->ckpt_path, error);
    if (!st)
        return FALSE;
    gboolean ok = FALSE;
    int64_t state[8];
    if (g_strcmp0(dg_st_metadata(st, "format"), "dermagan-classifier-checkpoint") != 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "%s is not a classifier checkpoint",
                    r->ckpt_path);
        goto out;
    }
    char *cfg = dg_cnn_config_to_json(&r->cnn->cfg);
    gboolean same = g_strcmp0(cfg, dg_st_metadata(st, "classifier")) == 0;
    g_free(cfg);
    if (!same) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "the checkpoint in %s was made with another architecture; resume with the same "
                    "settings",
                    r->cfg->out);
        goto out;
    }
    if (!dg_run_identity_check(r->identity, dg_st_metadata(st, "run"), r->cfg->out, error) ||
        !dg_net_read(st, r->cnn->net, "net.", TRUE, error) ||
        (r->ema_cnn && !dg_net_read(st, r->ema_cnn->net, "ema.", FALSE, error)) ||
        !dg_rng_read(st, "rng", &r->rng, error) ||
        !dg_rng_read(st, "net_rng", dg_net_rng(r->cnn->net), error) ||
        !get_i64(st, "state", 8, state, error) ||
        !get_perm(st, "perm", (int)r->pool->len, r->perm, error))
        goto out;
    if (r->syn_pool && !get_perm(st, "syn_perm", (int)r->syn_pool->len, r->syn_perm, error))
        goto out;
    const dg_st_tensor *b = dg_st_find(st, "best_bacc"), *h = dg_st_find(st, "history");
    if (!b || b->dtype != DG_ST_F64 || b->numel != 2 || !h || h->dtype != DG_ST_F32 ||
        h->ndim != 2 || h->shape[1] != HIST_COLS) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "checkpoint: history missing");
        goto out;
    }
    double sums[2];
    memcpy(sums, b->data, sizeof sums);
    /* every field within what a run can reach (a hostile file must not make
     * the loop run backwards or forever) */
    const int64_t max_images = (int64_t)dg_net_max_batch(r->cnn->net) * MAX(state[0], 0);
    if (state[0] < 0 || state[1] < 0 || state[1] > state[0] || state[2] < 0 ||
        state[2] > (int64_t)r->pool->len || state[3] < 0 ||
        state[3] > (r->syn_pool ? (int64_t)r->syn_pool->len : 0) || state[4] < 0 ||
        state[4] > state[0] || state[5] < 0 || state[5] > state[1] || state[7] < 0 ||
        state[7] > max_images || state[6] < 0 || state[6] > state[7] ||
        !(sums[0] >= -1.0 && sums[0] <= 1.0) || !(sums[1] >= 0.0) || !isfinite(sums[1]) ||
        h->shape[0] != state[1]) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_STATE,
                    "checkpoint %s is corrupt: its training state is out of range", r->ckpt_path);
        goto out;
    }
    if (state[0] > r->total_steps) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "the run in %s is at step %" G_GINT64_FORMAT ", past the %" G_GINT64_FORMAT
                    " steps asked for: give more --epochs or --steps to continue it",
                    r->cfg->out, state[0], r->total_steps);
        goto out;
    }
    r->best_bacc = sums[0];
    r->ep_loss = sums[1];
    g_array_set_size(r->history, 0);
    g_array_append_vals(r->history, h->data, (guint)(h->shape[0] * HIST_COLS));
    r->step = state[0];
    r->epoch = (int)state[1];
    r->pos = (int)state[2];
    r->syn_pos = (int)state[3];
    r->opt.t = state[4];
    r->best_epoch = (int)state[5];
    r->ep_correct = state[6];
    r->ep_n = state[7];
    r->last_ckpt_step = r->step;
    ok = TRUE;
out:
    dg_st_free(st);
    return ok;
}

/* The model that is validated and saved: the task classes only, when
 * auxiliary classes take part in training. */
static dg_cnn *task_model(cnn_run *r)
{
    dg_cnn *m = r->ema_cnn ? r->ema_cnn : r->cnn;
    if (!r->task_cnn)
        return m;
    dg_cnn_copy_subset(r->task_cnn, m, r->task);
    return r->task_cnn;
}

/* The moving average of the weights after step t (Polyak averaging, warmed
 * up as in TensorFlow's ExponentialMovingAverage); batch-norm statistics
 * are the training net's. */
static void update_ema(cnn_run *r)
{
    if (!r->ema_cnn)
        return;
    const float d = (float)fmin(r->cfg->ema, (1.0 + r->step) / (10.0 + r->step));
    float *e = dg_net_params(r->ema_cnn->net);
    const float *p = dg_net_params(r->cnn->net);
    for (long i = 0, n = dg_net_n_params(r->cnn->net); i < n; i++)
        e[i] = d * e[i] + (1.0f - d) * p[i];
    memcpy(dg_net_buffers(r->ema_cnn->net), dg_net_buffers(r->cnn->net),
           sizeof(float) * dg_net_n_buffers(r->cnn->net));
}

static gboolean save_model(cnn_run *r, GError **error)
{
    GHashTable *meta = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    g_hash_table_insert(meta, "best_epoch", g_strdup_printf("%d", r->best_epoch));
    g_hash_table_insert(meta, "val_balanced_accuracy", g_strdup_printf("%.4f", r->best_bacc));
    g_hash_table_insert(meta, "seed", g_strdup_printf("%" G_GUINT64_FORMAT, r->cfg->seed));
    g_hash_table_insert(meta, "split_seed", g_strdup_printf("%" G_GUINT64_FORMAT, r->cfg->split_seed));
    g_hash_table_insert(meta, "training_data", g_strdup(r->cfg->data));
    g_hash_table_insert(meta, "synthetic_data", g_strdup(r->cfg->synthetic ? r->cfg->synthetic : ""));
    g_hash_table_insert(meta, "steps", g_strdup_printf("%" G_GINT64_FORMAT, r->step));
    if (r->task_cnn) {
        GString *aux = g_string_new(NULL);
        for (int c = 0; c < r->ds->n_classes; c++)
            if (r->task_map[c] < 0)
                g_string_append_printf(aux, "%s%s", aux->len ? "," : "", r->ds->classes[c].id);
        g_hash_table_insert(meta, "auxiliary_classes", g_string_free(aux, FALSE));
    }
    gboolean ok = dg_cnn_save(task_model(r), r->model_path, meta, error);
    g_hash_table_unref(meta);
    return ok;
}

/* ---- setup ------------------------------------------------------------------------ */

/* Start from another model's weights: same architecture, size and classes. */
static gboolean init_from_model(cnn_run *r, const char *path, GError **error)
{
    dg_cnn *src = dg_cnn_load(path, 1, error);
    if (!src) {
        g_prefix_error(error, "initial weights: ");
        return FALSE;
    }
    const dg_cnn *dst = r->cnn;
    gboolean same = src->cfg.size == dst->cfg.size && src->cfg.n_classes == dst->cfg.n_classes &&
                    dg_net_n_params(src->net) == dg_net_n_params(dst->net) &&
                    dg_net_n_buffers(src->net) == dg_net_n_buffers(dst->net) &&
                    g_strcmp0(src->cfg.arch, dst->cfg.arch) == 0;
    for (int k = 0; same && k < dst->cfg.n_classes; k++)
        same = g_strcmp0(src->class_ids[k], dst->class_ids[k]) == 0;
    if (!same) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "initial weights: %s is not a %s at %dx%d with this data set's classes", path,
                    dst->cfg.arch, dst->cfg.size, dst->cfg.size);
        dg_cnn_free(src);
        return FALSE;
    }
    dg_net_copy_weights(r->cnn->net, src->net);
    dg_cnn_free(src);
    dg_job_message(r->job, "info", "starting from the weights of %s", path);
    return TRUE;
}

/* Every number of the config within its stated range (dg-limits.h). */
static gboolean check_config(const dg_cnn_train_config *c, GError **error)
{
    return dg_job_check_int("epochs", c->epochs, 1, DG_LIMIT_EPOCHS, FALSE, error) &&
           dg_job_check_int("steps", c->steps, 1, DG_LIMIT_STEPS, TRUE, error) &&
           dg_job_check_int("batch", c->batch, 1, DG_LIMIT_CNN_BATCH, FALSE, error) &&
           dg_job_check_double("lr", c->lr, 1e-8, 1.0, FALSE, error) &&
           dg_job_check_double("weight-decay", c->weight_decay, 0.0, 1.0, FALSE, error) &&
           dg_job_check_double("label-smoothing", c->label_smoothing, 0.0, 0.5, FALSE, error) &&
           dg_job_check_double("synthetic-ratio", c->synthetic_ratio, 0.0, 1.0, FALSE, error) &&
           dg_job_check_int("threads", c->threads, 1, DG_LIMIT_THREADS, TRUE, error) &&
           dg_job_check_int("width", c->width, DG_CNN_MIN_WIDTH, DG_LIMIT_CNN_WIDTH, TRUE, error) &&
           dg_job_check_int("eval-every", c->eval_every, 1, DG_LIMIT_STEPS, TRUE, error) &&
           dg_job_check_double("ema", c->ema, 0.5, 0.99999, TRUE, error) &&
           dg_job_check_double("cutmix", c->cutmix, 0.0, 1.0, FALSE, error) &&
           dg_job_check_int("color-constancy", c->color_p, 1, 16, TRUE, error);
}

/* The settings that define the run: all but its length and how it runs. */
static dg_run_identity *run_identity(const dg_cnn_train_config *cfg, const dg_cnn_config *cc)
{
    dg_run_identity *id = dg_run_identity_new();
    char *data = dg_run_canonical_path(cfg->data);
    char *syn = cfg->synthetic ? dg_run_canonical_path(cfg->synthetic) : g_strdup("none");
    char *init = cfg->init_model ? dg_run_canonical_path(cfg->init_model) : g_strdup("none");
    char *arch = dg_cnn_config_to_json(cc);
    dg_run_identity_add(id, "data", "%s", data);
    dg_run_identity_add(id, "all-classes", "%s", cfg->all_classes ? "yes" : "no");
    dg_run_identity_add(id, "auxiliary-classes", "%s", cfg->auxiliary ? "yes" : "no");
    dg_run_identity_add(id, "split-seed", "%" G_GUINT64_FORMAT, cfg->split_seed);
    dg_run_identity_add(id, "seed", "%" G_GUINT64_FORMAT, cfg->seed);
    dg_run_identity_add(id, "arch", "%s", arch);
    dg_run_identity_add(id, "batch", "%d", cfg->batch);
    dg_run_identity_add(id, "lr", "%g", cfg->lr);
    dg_run_identity_add(id, "weight-decay", "%g", cfg->weight_decay);
    dg_run_identity_add(id, "label-smoothing", "%g", cfg->label_smoothing);
    dg_run_identity_add(id, "balance", "%s", cfg->balance ? cfg->balance : "weights");
    dg_run_identity_add(id, "schedule", "%s", cfg->schedule ? cfg->schedule : "cosine");
    dg_run_identity_add(id, "synthetic", "%s", syn);
    dg_run_identity_add(id, "synthetic-ratio", "%g", cfg->synthetic_ratio);
    dg_run_identity_add(id, "augment", "%s", cfg->augment ? "yes" : "no");
    dg_run_identity_add(id, "init-model", "%s", init);
    dg_run_identity_add(id, "eval-every", "%d", cfg->eval_every);
    dg_run_identity_add(id, "ema", "%g", cfg->ema);
    if (cfg->cutmix > 0) /* absent when off: runs from before it resume */
        dg_run_identity_add(id, "cutmix", "%g", cfg->cutmix);
    g_free(data), g_free(syn), g_free(init), g_free(arch);
    return id;
}

/* The names the config gives for balancing and the schedule are known. */
static gboolean check_names(const dg_cnn_train_config *cfg, GError **error)
{
    if (cfg->balance && strcmp(cfg->balance, "weights") != 0 && strcmp(cfg->balance, "sampler") != 0 &&
        strcmp(cfg->balance, "none") != 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "unknown balancing '%s' (weights, sampler, none)", cfg->balance);
        return FALSE;
    }
    if (cfg->schedule && strcmp(cfg->schedule, "cosine") != 0 && strcmp(cfg->schedule, "step") != 0 &&
        strcmp(cfg->schedule, "constant") != 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "unknown schedule '%s' (cosine, step, constant)", cfg->schedule);
        return FALSE;
    }
    if (cfg->size != 0 && cfg->size != 32 && cfg->size != 64 && cfg->size != 96 && cfg->size != 128) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "image size %d is not one of 32, 64, 96, 128", cfg->size);
        return FALSE;
    }
    return TRUE;
}

/* With auxiliary classes: which of the data set's classes are the task's.
 * The split of a class does not depend on which other classes are loaded,
 * so the task classes' validation and test images are the same as without
 * the auxiliary classes. */
static gboolean map_task_classes(cnn_run *r, GError **error)
{
    if (r->ds->layout != DG_LAYOUT_HAM10000) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "auxiliary classes need a HAM10000 data set (the task classes are "
                    "akiec, bcc, bkl, mel)");
        return FALSE;
    }
    for (int c = 0; c < r->ds->n_classes && c < 64; c++) {
        r->task_map[c] = -1;
        if (dg_class_is_task(r->ds->classes[c].id)) {
            r->task_map[c] = r->n_task;
            r->task[r->n_task++] = c;
        }
    }
    if (r->n_task < 2 || r->n_task == r->ds->n_classes) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "auxiliary classes: the data set has %d task classes and %d others",
                    r->n_task, r->ds->n_classes - r->n_task);
        return FALSE;
    }
    return TRUE;
}

/* The classifier for the data set's classes (and, with auxiliary classes,
 * its task-only copy), after its size and memory are checked. */
static gboolean make_model(cnn_run *r, dg_cnn_config *cc, GError **error)
{
    const dg_cnn_train_config *cfg = r->cfg;
    const int K = r->ds->n_classes, B = cfg->batch;
    if (!dg_cnn_config_arch(cc, cfg->arch, K, error))
        return FALSE;
    if (cfg->size > 0)
        cc->size = cfg->size;
    if (cfg->width > 0)
        cc->width = cfg->width;
    cc->color_p = cfg->color_p;
    if (!dg_cnn_config_validate(cc, error) || !dg_cnn_config_check_memory(cc, B, error))
        return FALSE;
    const char **ids = g_new0(const char *, K + 1), **names = g_new0(const char *, K + 1);
    for (int k = 0; k < K; k++) {
        ids[k] = r->ds->classes[k].id;
        names[k] = r->ds->classes[k].name;
    }
    r->identity = run_identity(cfg, cc);
    dg_dist_part(r->dist, B, &r->part_off, &r->part_n);
    if (r->part_n < 1) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "a batch of %d images cannot be shared by %d processes", B,
                    dg_dist_size(r->dist));
        g_free(ids);
        g_free(names);
        return FALSE;
    }
    r->cnn = dg_cnn_new(cc, r->dist ? r->part_n : B, ids, names);
    if (r->dist) /* dropout: this part of the whole batch's masks */
        dg_net_set_shard(r->cnn->net, r->part_off, B);
    if (cfg->ema > 0) /* validated in evaluation mode: the validation batch size */
        r->ema_cnn = dg_cnn_new(cc, B, ids, names);
    g_free(ids);
    g_free(names);
    if (cfg->auxiliary)
        r->task_cnn = dg_cnn_new_subset(r->cnn, r->n_task, r->task, r->dist ? r->part_n : B);
    return TRUE;
}

/* Synthetic images join the pool, or a pool of their own when they take a
 * fixed share of each batch. */
static gboolean add_synthetic(cnn_run *r, int size, GError **error)
{
    const dg_cnn_train_config *cfg = r->cfg;
    dg_load_options opt;
    dg_load_options_init(&opt);
    opt.size = size;
    opt.cache_dir = cfg->cache_dir;
    opt.cancel = dg_job_cancel_flag(r->job);
    opt.min_classes = 1; /* balancing fills only the smaller classes */
    r->syn = dg_dataset_load(cfg->synthetic, &opt, error);
    if (!r->syn) {
        g_prefix_error(error, "synthetic images: ");
        return FALSE;
    }
    GArray *dst = r->pool;
    if (cfg->synthetic_ratio > 0) {
        r->syn_pool = g_array_new(FALSE, FALSE, sizeof(pool_item));
        dst = r->syn_pool;
    }
    int used = 0;
    for (int i = 0; i < r->syn->n_items; i++) {
        int c = dg_dataset_class_index(r->ds, r->syn->classes[r->syn->items[i].cls].id);
        if (c < 0)
            continue;
        pool_item it = {1, i, c};
        g_array_append_val(dst, it);
        used++;
    }
    for (int k = 0; k < r->syn->n_classes; k++)
        if (dg_dataset_class_index(r->ds, r->syn->classes[k].id) < 0)
            dg_job_message(r->job, "warning",
                           "synthetic class '%s' is not a class of the data set; ignored",
                           r->syn->classes[k].id);
    dg_job_message(r->job, "info", "%d synthetic images mixed in%s", used,
                   cfg->synthetic_ratio > 0 ? " at a fixed share of each batch" : "");
    if (r->syn_pool && r->syn_pool->len == 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no usable synthetic images in %s",
                    cfg->synthetic);
        return FALSE;
    }
    if (r->syn_pool)
        r->syn_perm = g_new0(int, r->syn_pool->len);
    return TRUE;
}

/* The training pool: the real training images, plus synthetic ones. */
static gboolean make_pool(cnn_run *r, int size, GError **error)
{
    r->pool = g_array_new(FALSE, FALSE, sizeof(pool_item));
    int n_train = dg_dataset_indices(r->ds, DG_SPLIT_TRAIN, -1, NULL);
    int *tr = g_new(int, n_train);
    dg_dataset_indices(r->ds, DG_SPLIT_TRAIN, -1, tr);
    for (int i = 0; i < n_train; i++) {
        pool_item it = {0, tr[i], r->ds->items[tr[i]].cls};
        g_array_append_val(r->pool, it);
    }
    g_free(tr);
    if (r->cfg->synthetic && !add_synthetic(r, size, error))
        return FALSE;
    r->perm = g_new0(int, r->pool->len);
    return TRUE;
}

/* Class weights N / (K n_c) over the training pool (real + pooled synthetic),
 * or 1 without "weights" balancing. */
static gboolean class_weights(cnn_run *r, GError **error)
{
    const int K = r->ds->n_classes;
    int counts[64] = {0};
    for (guint i = 0; i < r->pool->len; i++)
        counts[g_array_index(r->pool, pool_item, i).label]++;
    for (int k = 0; k < K; k++) {
        if (counts[k] == 0) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "class %s has no training images", r->ds->classes[k].id);
            return FALSE;
        }
        r->class_w[k] = g_strcmp0(r->cfg->balance, "weights") == 0
                            ? (float)r->pool->len / ((float)K * counts[k])
                            : 1.0f;
        /* a tiny auxiliary class (df: 80 images) must not dominate the loss */
        if (r->cfg->auxiliary && r->task_map[k] < 0)
            r->class_w[k] = MIN(r->class_w[k], 3.0f);
    }
    return TRUE;
}

/* The validation images (of the task classes only, with auxiliary ones). */
static void validation_set(cnn_run *r)
{
    r->n_val = dg_dataset_indices(r->ds, DG_SPLIT_VAL, -1, NULL);
    r->val_idx = g_new(int, MAX(1, r->n_val));
    dg_dataset_indices(r->ds, DG_SPLIT_VAL, -1, r->val_idx);
    if (r->task_cnn) {
        int m = 0;
        for (int i = 0; i < r->n_val; i++)
            if (r->task_map[r->ds->items[r->val_idx[i]].cls] >= 0)
                r->val_idx[m++] = r->val_idx[i];
        r->n_val = m;
    }
}

/* Weights, optimizer and the first shuffles, all from the seed; the
 * schedule's length from the pool. */
static gboolean initialize(cnn_run *r, GError **error)
{
    const dg_cnn_train_config *cfg = r->cfg;
    const int pass = MAX(1, (int)(r->pool->len / cfg->batch)); /* steps per pass over the pool */
    r->steps_per_epoch = cfg->eval_every > 0 ? cfg->eval_every : pass;
    r->total_steps = cfg->steps > 0 ? cfg->steps : (int64_t)cfg->epochs * pass;
    r->ctx = dg_ctx_new(cfg->threads);
    dg_rng_seed(&r->rng, cfg->seed);
    dg_cnn_init(r->cnn, &r->rng);
    if (cfg->init_model && !init_from_model(r, cfg->init_model, error))
        return FALSE;
    dg_rng_fork(&r->rng, 1, dg_net_rng(r->cnn->net));
    if (r->ema_cnn)
        dg_net_copy_weights(r->ema_cnn->net, r->cnn->net);
    dg_opt_adam(&r->opt, (float)cfg->lr, 0.9f, 0.999f);
    r->opt.kind = DG_OPT_ADAMW;
    r->opt.weight_decay = (float)cfg->weight_decay;
    r->history = g_array_new(FALSE, FALSE, sizeof(float));
    r->best_bacc = -1.0;
    shuffle_pool(r);
    if (r->syn_pool) {
        for (guint i = 0; i < r->syn_pool->len; i++)
            r->syn_perm[i] = (int)i;
        dg_rng_shuffle(&r->rng, r->syn_perm, (int)r->syn_pool->len);
    }
    return TRUE;
}

/* The run's state: from its checkpoint when resuming; otherwise its
 * config.json is written. */
static gboolean start_or_resume(cnn_run *r, const dg_cnn_config *cc, GError **error)
{
    if (!dg_dist_is_root(r->dist)) /* the others only read the checkpoint, from rank 0 */
        return !r->cfg->resume || load_checkpoint(r, error);
    if (r->cfg->resume) {
        if (!load_checkpoint(r, error))
            return FALSE;
        dg_job_message(r->job, "info", "resumed at step %" G_GINT64_FORMAT " (epoch %d)", r->step,
                       r->epoch);
        return TRUE;
    }
    char *cj = dg_cnn_config_to_json(cc);
    char *path = g_build_filename(r->cfg->out, "config.json", NULL);
    gboolean ok = dg_write_text(path, cj, error);
    g_free(cj), g_free(path);
    return ok;
}

static gboolean setup(cnn_run *r, GError **error)
{
    const dg_cnn_train_config *cfg = r->cfg;
    r->last_ckpt_step = -1;
    dg_cnn_config cc;
    if (!check_config(cfg, error) || !check_names(cfg, error) ||
        (dg_dist_is_root(r->dist) && /* rank 0 owns the run folder */
         !(r->dir = dg_run_dir_open_training(r->job, cfg->out, cfg->resume, error))) ||
        !dg_cnn_config_arch(&cc, cfg->arch, 2, error))
        return FALSE;
    r->ckpt_path = g_build_filename(cfg->out, "checkpoint.safetensors", NULL);
    r->model_path = g_build_filename(cfg->out, "model.safetensors", NULL);
    const int size = cfg->size > 0 ? cfg->size : cc.size;
    r->ds = dg_job_load_dataset_ex(r->job, cfg->data, cfg->all_classes || cfg->auxiliary, cfg->follow_symlinks, size,
                                cfg->cache_dir, cfg->split_seed, error);
    if (!r->ds || (cfg->auxiliary && !map_task_classes(r, error)) || !make_model(r, &cc, error) ||
        !make_pool(r, size, error) || !class_weights(r, error))
        return FALSE;
    validation_set(r);
    return initialize(r, error);
}

/* A fingerprint of the training state every rank must share. */
static uint64_t state_fingerprint(cnn_run *r)
{
    uint64_t h = dg_dist_hash(0, &r->rng, sizeof r->rng);
    h = dg_dist_hash(h, dg_net_rng(r->cnn->net), sizeof(dg_rng));
    h = dg_dist_hash(h, &r->step, sizeof r->step);
    h = dg_dist_hash(h, r->perm, sizeof(int) * r->pool->len);
    return dg_dist_hash(h, dg_net_params(r->cnn->net), sizeof(float) * dg_net_n_params(r->cnn->net));
}

/* The run's state, new or from its checkpoint (every rank takes part: with
 * several, they agree that all went well and that they hold the same images
 * and weights). */
static gboolean begin(cnn_run *r, GError **error)
{
    const dg_cnn_train_config *cfg = r->cfg;
    const dg_cnn_config cc = r->cnn->cfg;
    if (!dg_job_agree(r->job, r->dist, start_or_resume(r, &cc, error), error))
        return FALSE;
    if (r->dist) {
        uint64_t images = dg_job_dataset_fingerprint(r->ds);
        if (r->syn)
            images = dg_dist_hash(images, &(uint64_t){dg_job_dataset_fingerprint(r->syn)}, 8);
        if (!dg_dist_check_same(r->dist, images, "training images", error) ||
            !dg_dist_check_same(r->dist, state_fingerprint(r), "weights and random state", error))
            return FALSE;
        dg_job_message(r->job, "info", "data-parallel over %d processes, %d to %d images each",
                       dg_dist_size(r->dist), cfg->batch / dg_dist_size(r->dist),
                       (cfg->batch + dg_dist_size(r->dist) - 1) / dg_dist_size(r->dist));
    }
    dg_job_message(r->job, "info",
                   "classifier %s: %ld parameters, %u training images (%d classes), %d validation, "
                   "batch %d, %" G_GINT64_FORMAT " steps (validation every %d)",
                   cc.arch, dg_net_n_params(r->cnn->net), r->pool->len, r->ds->n_classes, r->n_val,
                   cfg->batch, r->total_steps, r->steps_per_epoch);
    return TRUE;
}

static void run_free(cnn_run *r)
{
    dg_run_dir_close(r->dir);
    dg_run_identity_free(r->identity);
    dg_cnn_free(r->cnn);
    dg_cnn_free(r->task_cnn);
    dg_cnn_free(r->ema_cnn);
    dg_ctx_free(r->ctx);
    dg_dataset_free(r->ds);
    dg_dataset_free(r->syn);
    if (r->pool)
        g_array_free(r->pool, TRUE);
    if (r->syn_pool)
        g_array_free(r->syn_pool, TRUE);
    if (r->history)
        g_array_free(r->history, TRUE);
    g_free(r->perm);
    g_free(r->syn_perm);
    g_free(r->val_idx);
    g_free(r->ckpt_path);
    g_free(r->model_path);
}

static gboolean write_history_csv(cnn_run *r, GError **error)
{
    GString *s = g_string_new("epoch,train_loss,train_acc,val_loss,val_acc,val_bacc,lr\n");
    const float *h = (const float *)r->history->data;
    for (guint i = 0; i < r->history->len / HIST_COLS; i++) {
        const float *row = h + i * HIST_COLS;
        g_string_append_printf(s, "%d,%.5f,%.4f,%.5f,%.4f,%.4f,%.6g\n", (int)row[0], row[1], row[2],
                               row[3], row[4], row[5], row[6]);
    }
    char *path = g_build_filename(r->cfg->out, "history.csv", NULL);
    gboolean ok = dg_write_text(path, s->str, error);
    g_free(path);
    g_string_free(s, TRUE);
    return ok;
}

/* ---- the run ------------------------------------------------------------------------ */

/* The best model learns its temperature, logit adjustment and OOD
 * statistics on the validation split, and records its images. */
static gboolean calibrate_best(cnn_run *r, GError **error)
{
    if (r->n_val < 10) {
        dg_job_message(r->job, "info", "not calibrated: %d validation images are too few", r->n_val);
        return TRUE;
    }
    dg_cnn *best = dg_cnn_load(r->model_path, dg_net_max_batch(r->cnn->net), error);
    if (!best)
        return FALSE;
    gboolean ok = dg_cnn_calibrate(r->job, best, r->ctx, r->ds, 0.95, NULL, error) &&
                  dg_cnn_save_over(best, r->model_path, r->model_path, error);
    dg_cnn_free(best);
    return ok;
}

/* Training went numerically wrong: say so, and what is kept. */
static void diverged(cnn_run *r, const char *what, GError **error)
{
    if (r->last_ckpt_step >= 0)
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_DIVERGED,
                    "training diverged by step %" G_GINT64_FORMAT
                    ": %s (try a lower learning rate); the last good checkpoint (step %" G_GINT64_FORMAT
                    ") is kept in %s",
                    r->step + 1, what, r->last_ckpt_step, r->cfg->out);
    else
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_DIVERGED,
                    "training diverged by step %" G_GINT64_FORMAT
                    ": %s (try a lower learning rate); no checkpoint had been written yet",
                    r->step + 1, what);
}

/* A save failed: non-finite weights end the run as diverged. */
static void save_failed(cnn_run *r, GError *e, GError **error)
{
    if (g_error_matches(e, DG_MODEL_ERROR, DG_MODEL_ERROR_NOT_FINITE)) {
        diverged(r, e->message, error);
        g_error_free(e);
    } else {
        g_propagate_error(error, e);
    }
}

/* Data-parallel: the gradient summed over the ranks before the update. */
static void sum_grads(dg_net *net, void *user)
{
    dg_dist_sum_float(user, dg_net_grads(net), dg_net_n_params(net));
}

static gboolean train_run(dg_job *job, dg_cnn_train_config *cfg, GError **error)
{
    cnn_run r = {.job = job, .cfg = cfg, .dist = cfg->dist};
    gboolean ok = FALSE;
    if (!dg_job_agree(job, r.dist, setup(&r, error), error) || !begin(&r, error))
        goto out; /* a cancelled load: the job runner calls it a cancel */

    const gboolean root = dg_dist_is_root(r.dist);
    const int S = r.cnn->cfg.size, B = cfg->batch; /* the whole batch: every rank draws it */
    float *x = g_new(float, (long)B * 3 * S * S);
    int *y = g_new(int, B), *y2 = g_new(int, B);
    float *lam = g_new(float, B);
    pool_item *items = g_new(pool_item, B);
    dg_augment aug;
    dg_augment_defaults(&aug);
    dg_rate rate;
    dg_rate_init(&rate);

    dg_dist_reset_stats(r.dist);
    while (r.step < r.total_steps) {
        if (!dg_job_continue_all(job, r.dist)) {
            GError *e = NULL;
            ok = !root || (save_checkpoint(&r, &e) && write_history_csv(&r, &e));
            if (ok && root && !g_file_test(r.model_path, G_FILE_TEST_EXISTS))
                ok = save_model(&r, &e); /* stopped before the first epoch ended */
            ok = dg_job_agree(job, r.dist, ok, &e);
            if (ok)
                dg_job_message(job, "info", "stopped at step %" G_GINT64_FORMAT "; checkpoint saved",
                               r.step);
            else
                save_failed(&r, e, error);
            goto done;
        }
        /* every rank draws the whole batch, and prepares and trains on its part */
        const dg_augment *augp = cfg->augment ? &aug : NULL;
        next_batch(&r, B, items);
        dg_job_skip_augment(augp, &r.rng, r.part_off);
        fill_batch(&r, items + r.part_off, r.part_n, x, y, augp);
        dg_job_skip_augment(augp, &r.rng, B - r.part_off - r.part_n);
        gboolean mixed = FALSE;
        if (cfg->cutmix > 0 && dg_rng_uniform(&r.rng) < cfg->cutmix) {
            /* every rank mixes within its part, with the same box */
            const float l = dg_cutmix_batch(&r.rng, x, r.part_n, S, y2);
            for (int b = 0; b < r.part_n; b++)
                lam[b] = l, y2[b] = y[y2[b]];
            mixed = TRUE;
        } else if (cfg->cutmix > 0) {
            for (int i = 0; i < DG_CUTMIX_DRAWS; i++)
                dg_rng_uniform(&r.rng);
        }
        const float lr = lr_at(&r, r.step);
        r.opt.lr = lr;
        dg_cnn_step_stats st;
        if (r.dist) { /* the whole batch's class weights normalize every part's loss */
            double wsum = 0.0;
            for (int b = 0; b < B; b++)
                wsum += r.class_w[items[b].label];
            r.cnn->batch_weight = wsum;
        }
        dg_dist_attach(r.dist, r.ctx);
        gboolean stepped = dg_cnn_train_step(r.cnn, r.ctx, &r.opt, x, y, mixed ? y2 : NULL,
                                             mixed ? lam : NULL, r.part_n, r.class_w,
                                             (float)cfg->label_smoothing,
                                             r.dist ? sum_grads : NULL, r.dist, &st);
        dg_dist_detach(r.dist, r.ctx);
        if (!stepped) {
            diverged(&r, "the loss is not finite", error);
            goto done;
        }
        if (r.dist) { /* the whole batch's loss and hits */
            float v[2] = {st.loss, (float)st.correct};
            dg_dist_sum_float(r.dist, v, 2);
            st.loss = v[0];
            st.correct = (int)v[1];
        }
        const float loss = st.loss;
        r.ep_correct += st.correct;
        r.ep_n += B;
        r.ep_loss += (double)loss * B;
        r.step++;
        update_ema(&r);

        double spp = dg_rate_tick(&rate);
        dg_event ev = {.kind = DG_EVENT_PROGRESS, .step = r.step, .total = r.total_steps,
                       .epoch = r.epoch, .rate = B / spp, .eta = spp * (r.total_steps - r.step)};
        dg_event_set(&ev, "loss", loss);
        dg_event_set(&ev, "lr", lr);
        dg_job_emit(job, &ev);

        if (r.step % r.steps_per_epoch == 0 || r.step == r.total_steps) {
            /* end of an epoch: validate, keep the best, checkpoint */
            double vl = NAN, va = NAN;
            double vb = r.n_val > 0 ? eval_split_dist(r.dist, task_model(&r), r.ctx, r.ds,
                                                      r.val_idx, r.n_val,
                                                      r.task_cnn ? r.task_map : NULL, &vl, &va)
                                    : NAN;
            r.epoch++;
            float row[HIST_COLS] = {(float)r.epoch, (float)(r.ep_loss / MAX(1, r.ep_n)),
                                    (float)r.ep_correct / MAX(1, r.ep_n), (float)vl, (float)va,
                                    (float)vb, lr};
            g_array_append_vals(r.history, row, HIST_COLS);
            gboolean better = isfinite(vb) && vb > r.best_bacc;
            if (better || (!isfinite(vb) && r.best_epoch == 0)) {
                r.best_bacc = isfinite(vb) ? vb : r.best_bacc;
                r.best_epoch = r.epoch;
                GError *e = NULL;
                if (!dg_job_agree(job, r.dist, !root || save_model(&r, &e), &e)) {
                    save_failed(&r, e, error);
                    goto done;
                }
            }
            dg_event ee = {.kind = DG_EVENT_EPOCH, .step = r.step, .total = r.total_steps,
                           .epoch = r.epoch, .eta = spp * (r.total_steps - r.step)};
            dg_event_set(&ee, "train_loss", row[1]);
            dg_event_set(&ee, "train_acc", row[2]);
            dg_event_set(&ee, "val_loss", vl);
            dg_event_set(&ee, "val_acc", va);
            dg_event_set(&ee, "val_bacc", vb);
            dg_event_set(&ee, "best_bacc", r.best_bacc);
            dg_job_emit(job, &ee);
            r.ep_loss = 0.0;
            r.ep_correct = r.ep_n = 0;
            GError *e = NULL;
            if (!dg_job_agree(job, r.dist,
                              !root || (save_checkpoint(&r, &e) && write_history_csv(&r, &e)), &e)) {
                save_failed(&r, e, error);
                goto done;
            }
        }
    }
    ok = calibrate_best(&r, error);
    if (ok) {
        JsonObject *res = json_object_new();
        json_object_set_string_member(res, "run", cfg->out);
        json_object_set_string_member(res, "model", r.model_path);
        json_object_set_int_member(res, "steps", r.step);
        json_object_set_int_member(res, "epochs", r.epoch);
        json_object_set_int_member(res, "best_epoch", r.best_epoch);
        json_object_set_double_member(res, "best_val_balanced_accuracy", r.best_bacc);
        json_object_set_double_member(res, "seconds", dg_job_elapsed(job));
        dg_job_report_dist(job, r.dist, res, dg_job_elapsed(job));
        dg_job_emit_result(job, res);
    }
done:
    g_free(x);
    g_free(y), g_free(y2), g_free(lam);
    g_free(items);
out:
    run_free(&r);
    return ok;
}

static gboolean cnn_train_run(dg_job *job, void *config, GError **error)
{
    dg_event ev = {.kind = DG_EVENT_STARTED, .eta = -1, .message = "training a classifier"};
    dg_job_emit(job, &ev);
    return train_run(job, config, error);
}

const dg_job_kind dg_job_cnn_train = {"cnn-train", cnn_train_run, dg_cnn_train_config_free};

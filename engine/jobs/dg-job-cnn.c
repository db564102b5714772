/* dg-job-cnn.c: the classifier training job. */
#include "dg-job-cnn.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "data/dg-dataset.h"
#include "data/dg-file.h"
#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-run-dir.h"
#include "models/dg-classifier-post.h"
#include "models/dg-classifier.h"
#include "models/dg-metrics.h"
#include "models/dg-model-file.h"
#include "numerics/dg-loss.h"


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
    c->color_shift = DG_CNN_DEFAULT_COLOR_SHIFT;
    c->distill = DG_CNN_DEFAULT_DISTILL;
    c->distill_temperature = DG_CNN_DEFAULT_DISTILL_T;
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
    g_free(c->teacher);
    g_free(c->cache_dir);
    g_free(c);
}

/* ---- learning rate --------------------------------------------------------------- */

static float lr_at(const cnn_run *r, int64_t step)
{
    const double base = r->cfg->lr > 0 ? r->cfg->lr : 2e-3;
    const double T = (double)r->total_steps;
    const double warm = MIN(200.0, 0.03 * T);
    if (step < warm) /* never above the peak: a warm-up under 2 steps long would be */
        return (float)(base * MIN(1.0, (step + 1) / warm));
    const char *s = r->cfg->schedule ? r->cfg->schedule : "cosine";
    if (strcmp(s, "constant") == 0)
        return (float)base;
    if (strcmp(s, "step") == 0)
        return (float)(base * (step < 0.5 * T ? 1.0 : step < 0.75 * T ? 0.1 : 0.01));
    double t = (step - warm) / MAX(1.0, T - warm);
    return (float)(base * (0.01 + 0.99 * 0.5 * (1.0 + cos(G_PI * t))));
}

/* ---- data ------------------------------------------------------------------------- */

void dg_cnn_run_shuffle_pool(cnn_run *r)
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
            dg_cnn_run_shuffle_pool(r);
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

/* Images items[0..B) (places off.. of the whole batch) into x and y. */
static void fill_batch(cnn_run *r, const pool_item *items, int B, int off, float *x, int *y,
                       const dg_augment *aug)
{
    const int S = r->cnn->cfg.size;
    const long img = 3L * S * S;
    const double shift = r->cfg->augment ? r->cfg->color_shift : 0.0;
    for (int b = 0; b < B; b++) {
        const dg_dataset *d = items[b].src == 0 ? r->ds : r->syn;
        const uint8_t *src = dg_dataset_image(d, items[b].idx);
        if (aug)
            dg_augment_image(aug, &r->rng, src, S, x + b * img);
        else
            dg_image_to_float(src, S, x + b * img);
        if (shift > 0) {
            /* its own stream (the run's draws stay as they were without it) */
            dg_rng s;
            dg_rng_seed(&s, r->cfg->seed * 0x9E3779B97F4A7C15ULL ^
                                ((uint64_t)r->step * 1048576u + (uint64_t)(off + b)) ^ 0xc01005ULL);
            dg_source_shift(x + b * img, S, shift, &s);
        }
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
    if (r->cfg->teacher) {
        g_hash_table_insert(meta, "teacher", g_path_get_basename(r->cfg->teacher));
        g_hash_table_insert(meta, "distill", g_strdup_printf("%g", r->cfg->distill));
        g_hash_table_insert(meta, "distill_temperature",
                            g_strdup_printf("%g", r->cfg->distill_temperature));
    }
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
    if (!dg_job_agree(r->job, r->dist, dg_cnn_run_start_or_resume(r, &cc, error), error))
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
    dg_cnn_free(r->teacher);
    g_free(r->teacher_logits);
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
    gboolean ok = dg_cnn_calibrate(r->job, best, r->ctx, r->ds, 0.95, TRUE, NULL, error) &&
                  dg_cnn_save_over(best, r->model_path, r->model_path, NULL, error);
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
    if (!dg_job_agree(job, r.dist, dg_cnn_run_setup(&r, error), error) || !begin(&r, error))
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
            ok = !root || (dg_cnn_run_save_checkpoint(&r, &e) && write_history_csv(&r, &e));
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
        fill_batch(&r, items + r.part_off, r.part_n, r.part_off, x, y, augp);
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
        if (r.teacher) { /* the teacher's view of the same (augmented, mixed) images */
            dg_cnn_logits(r.teacher, r.ctx, x, r.part_n, r.teacher_logits);
            r.cnn->distill_logits = r.teacher_logits;
            r.cnn->distill_alpha = (float)cfg->distill;
            r.cnn->distill_T = (float)cfg->distill_temperature;
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
            /* (a damaged teacher file is no matter of the learning rate) */
            if (r.teacher &&
                !dg_job_check_finite(r.teacher_logits, (long)r.part_n * r.teacher->cfg.n_classes,
                                     "the teacher", error)) {
                g_autofree char *disp = dg_file_display_name(cfg->teacher);
                g_prefix_error(error, "%s: ", disp);
            }
            else
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
                              !root || (dg_cnn_run_save_checkpoint(&r, &e) &&
                                        write_history_csv(&r, &e)),
                              &e)) {
                save_failed(&r, e, error);
                goto done;
            }
        }
    }
    ok = calibrate_best(&r, error);
    if (ok) {
        JsonObject *res = json_object_new();
        dg_json_set_path(res, "run", cfg->out);
        dg_json_set_path(res, "model", r.model_path);
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

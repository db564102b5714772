/* dg-job-cnn-setup.c: building and resuming a classifier training run (the
 * checkpoint, the model, the training pool, the validation images). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/dg-dataset.h"
#include "data/dg-file.h"
#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-run-dir.h"
#include "models/dg-checkpoint.h"
#include "models/dg-classifier.h"
#include "models/dg-model-file.h"

/* ---- checkpoints ------------------------------------------------------------------- */

gboolean dg_cnn_run_save_checkpoint(cnn_run *r, GError **error)
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
    dg_st *st = dg_job_read_checkpoint(r->dist, r->ckpt_path, error);
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

/* ---- setup ------------------------------------------------------------------------ */

/* Start from another model's weights: same architecture, size and classes. */
static gboolean init_from_model(cnn_run *r, const char *path, GError **error)
{
    g_autofree char *disp = dg_file_display_name(path);
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
                    "initial weights: %s is not a %s at %dx%d with this data set's classes", disp,
                    dst->cfg.arch, dst->cfg.size, dst->cfg.size);
        dg_cnn_free(src);
        return FALSE;
    }
    dg_net_copy_weights(r->cnn->net, src->net);
    dg_cnn_free(src);
    dg_job_message(r->job, "info", "starting from the weights of %s", disp);
    return TRUE;
}

/* The distillation teacher: a classifier of the same image size and the
 * data set's classes in the same order, kept in evaluation mode. */
static gboolean load_teacher(cnn_run *r, GError **error)
{
    const dg_cnn *dst = r->cnn;
    const int B = dg_net_max_batch(dst->net);
    g_autofree char *disp = dg_file_display_name(r->cfg->teacher);
    dg_cnn *t = dg_cnn_load(r->cfg->teacher, B, error);
    if (!t) {
        g_prefix_error(error, "teacher: ");
        return FALSE;
    }
    gboolean same = t->cfg.size == dst->cfg.size && t->cfg.n_classes == dst->cfg.n_classes;
    for (int k = 0; same && k < dst->cfg.n_classes; k++)
        same = g_strcmp0(t->class_ids[k], dst->class_ids[k]) == 0;
    if (!same) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "teacher: %s is not a classifier of %dx%d images with this data set's classes "
                    "in the same order",
                    disp, dst->cfg.size, dst->cfg.size);
        dg_cnn_free(t);
        return FALSE;
    }
    r->teacher = t;
    r->teacher_logits = g_new(float, (long)B * dst->cfg.n_classes);
    dg_job_message(r->job, "info", "distilling from %s (share %g, temperature %g)", disp,
                   r->cfg->distill, r->cfg->distill_temperature);
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
           dg_job_check_double("color-shift", c->color_shift, 0.0, 4.0, FALSE, error) &&
           dg_job_check_int("color-constancy", c->color_p, 1, 16, TRUE, error) &&
           dg_job_check_double("distill", c->distill, 0.0, 1.0, FALSE, error) &&
           dg_job_check_double("distill-temperature", c->distill_temperature, 0.1, 100.0, FALSE,
                               error);
}

/* The settings that define the run: all but its length and how it runs. */
static dg_run_identity *run_identity(const dg_cnn_train_config *cfg, const dg_cnn_config *cc)
{
    dg_run_identity *id = dg_run_identity_new();
    char *data = dg_run_canonical_path(cfg->data);
    char *syn = cfg->synthetic ? dg_run_canonical_path(cfg->synthetic) : g_strdup("none");
    char *init = cfg->init_model ? dg_run_canonical_path(cfg->init_model) : g_strdup("none");
    char *teacher = cfg->teacher ? dg_run_canonical_path(cfg->teacher) : g_strdup("none");
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
    /* added later: a run recorded without them had them off */
    dg_run_identity_add(id, "cutmix", "%g", cfg->cutmix);
    dg_run_identity_set_absent(id, "cutmix", "0");
    dg_run_identity_add(id, "color-shift", "%g", cfg->color_shift);
    dg_run_identity_set_absent(id, "color-shift", "0");
    dg_run_identity_add(id, "teacher", "%s", teacher);
    dg_run_identity_set_absent(id, "teacher", "none");
    dg_run_identity_add(id, "distill", "%g", cfg->teacher ? cfg->distill : 0.0);
    dg_run_identity_set_absent(id, "distill", "0");
    dg_run_identity_add(id, "distill-temperature", "%g",
                        cfg->teacher ? cfg->distill_temperature : 0.0);
    dg_run_identity_set_absent(id, "distill-temperature", "0");
    if (cfg->teacher) /* read at every step: a teacher changed in place is another run */
        dg_run_identity_add_file_contents(id, "teacher", cfg->teacher, DG_ST_MAX_FILE_SIZE);
    g_free(data), g_free(syn), g_free(init), g_free(teacher), g_free(arch);
    return id;
}

/* The names the config gives for balancing and the schedule are known. */
static gboolean check_names(const dg_cnn_train_config *cfg, GError **error)
{
    if (cfg->balance && strcmp(cfg->balance, "weights") != 0 && strcmp(cfg->balance, "sampler") != 0 &&
        strcmp(cfg->balance, "none") != 0 && strcmp(cfg->balance, "logit-adjust") != 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "unknown balancing '%s' (weights, sampler, logit-adjust, none)", cfg->balance);
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
    if (g_strcmp0(cfg->balance, "logit-adjust") == 0 && cfg->synthetic_ratio > 0 && cfg->synthetic) {
        /* its bias is the training pool's class prior, which a fixed share of
         * synthetic images in every batch changes */
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "--balance logit-adjust cannot be combined with --synthetic-ratio (the "
                    "batches' class prior is not the training pool's)");
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

/* TRUE when one of the folders a and b is, or holds, the other (symlinks
 * resolved where they can be). */
static gboolean folders_overlap(const char *a, const char *b)
{
    char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
    char *ca = ra ? g_strdup(ra) : dg_run_canonical_path(a),
         *cb = rb ? g_strdup(rb) : dg_run_canonical_path(b);
    free(ra), free(rb);
    const size_t la = strlen(ca), lb = strlen(cb);
    gboolean o = strcmp(ca, cb) == 0 ||
                 (la < lb && strncmp(ca, cb, la) == 0 && (cb[la] == '/' || ca[la - 1] == '/')) ||
                 (lb < la && strncmp(cb, ca, lb) == 0 && (ca[lb] == '/' || cb[lb - 1] == '/'));
    g_free(ca), g_free(cb);
    return o;
}

/* Synthetic images join the pool, or a pool of their own when they take a
 * fixed share of each batch. */
static gboolean add_synthetic(cnn_run *r, int size, GError **error)
{
    const dg_cnn_train_config *cfg = r->cfg;
    if (folders_overlap(cfg->synthetic, cfg->data)) {
        g_autofree char *syn = dg_file_display_name(cfg->synthetic),
                        *data = dg_file_display_name(cfg->data);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "the synthetic images' folder %s and the data set %s overlap: real images, "
                    "validation and test ones too, would be trained on as synthetic",
                    syn, data);
        return FALSE;
    }
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
        g_autofree char *disp = dg_file_display_name(cfg->synthetic);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no usable synthetic images in %s",
                    disp);
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
 * or 1 without "weights" balancing; with "logit-adjust", the loss's bias
 * log(n_c / N) (Menon et al. 2021, tau 1: the balanced error's optimum). */
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
        r->logit_bias[k] = logf((float)counts[k] / (float)r->pool->len);
    }
    if (g_strcmp0(r->cfg->balance, "logit-adjust") == 0)
        r->cnn->train_logit_bias = r->logit_bias;
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
    /* a class without validation images (a tiny data set) cannot count in
     * the balanced accuracy that chooses the epoch: say so */
    for (int c = 0; c < r->ds->n_classes; c++)
        if ((!r->task_cnn || r->task_map[c] >= 0) &&
            dg_dataset_indices(r->ds, DG_SPLIT_VAL, c, NULL) == 0)
            dg_job_message(r->job, "warning",
                           "class '%s' has no validation images: the validation balanced "
                           "accuracy that chooses the model leaves it out",
                           r->ds->classes[c].id);
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
    if ((cfg->init_model && !init_from_model(r, cfg->init_model, error)) ||
        (cfg->teacher && !load_teacher(r, error)))
        return FALSE;
    dg_rng_fork(&r->rng, 1, dg_net_rng(r->cnn->net));
    if (r->ema_cnn)
        dg_net_copy_weights(r->ema_cnn->net, r->cnn->net);
    dg_opt_adam(&r->opt, (float)cfg->lr, 0.9f, 0.999f);
    r->opt.kind = DG_OPT_ADAMW;
    r->opt.weight_decay = (float)cfg->weight_decay;
    r->history = g_array_new(FALSE, FALSE, sizeof(float));
    r->best_bacc = -1.0;
    dg_cnn_run_shuffle_pool(r);
    if (r->syn_pool) {
        for (guint i = 0; i < r->syn_pool->len; i++)
            r->syn_perm[i] = (int)i;
        dg_rng_shuffle(&r->rng, r->syn_perm, (int)r->syn_pool->len);
    }
    return TRUE;
}

/* The run's state: from its checkpoint when resuming; otherwise its
 * config.json is written. */
gboolean dg_cnn_run_start_or_resume(cnn_run *r, const dg_cnn_config *cc, GError **error)
{
    if (!dg_dist_is_root(r->dist)) /* the others only read the checkpoint, from rank 0 */
        return !r->cfg->resume || load_checkpoint(r, error);
    if (r->cfg->resume) {
        if (!load_checkpoint(r, error))
            return FALSE;
        /* the best epoch's weights are only there: the training would end,
         * hours on, failing to calibrate them */
        if (r->best_epoch > 0 && !g_file_test(r->model_path, G_FILE_TEST_IS_REGULAR)) {
            g_autofree char *disp = dg_file_display_name(r->model_path);
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "%s is missing: it holds the weights of the run's best epoch (%d), which "
                        "the checkpoint does not; restore it, or start a new run",
                        disp, r->best_epoch);
            return FALSE;
        }
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

gboolean dg_cnn_run_setup(cnn_run *r, GError **error)
{
    const dg_cnn_train_config *cfg = r->cfg;
    r->last_ckpt_step = -1;
    dg_cnn_config cc;
    static const char *const writes[] = {"checkpoint.safetensors", "model.safetensors", NULL};
    if (!check_config(cfg, error) || !check_names(cfg, error) ||
        !dg_job_check_not_run_output("teacher", cfg->teacher, cfg->out, writes, error) ||
        !dg_job_check_not_run_output("init-model", cfg->init_model, cfg->out, writes, error) ||
        !dg_job_check_outside_data("out", cfg->out, cfg->data, NULL, error) ||
        !dg_job_check_outside_data("out", cfg->out, cfg->synthetic, NULL, error) ||
        (dg_dist_is_root(r->dist) && /* rank 0 owns the run folder */
         !(r->dir = dg_run_dir_open_training(r->job, cfg->out, FALSE, cfg->resume, error))) ||
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

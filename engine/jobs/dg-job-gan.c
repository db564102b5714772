/* dg-job-gan.c: the GAN training job. */
#include "dg-job-gan.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "data/dg-dataset.h"
#include "data/dg-file.h"
#include "jobs/dg-gan-monitor.h"
#include "jobs/dg-job-gan-train-private.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-run-dir.h"
#include "models/dg-checkpoint.h"
#include "models/dg-gan.h"
#include "models/dg-model-file.h"
#include "plot/dg-plot.h"
#include "numerics/dg-ctx.h"

#define GRID_COLS 8
#define DWIN_STEPS 300 /* consecutive steps of an outright D win before warning */

dg_gan_train_config *dg_gan_train_config_new(void)
{
    dg_gan_train_config *c = g_new0(dg_gan_train_config, 1);
    c->preset = g_strdup("default");
    c->seed = 1;
    c->split_seed = 1;
    return c;
}

void dg_gan_train_config_free(void *p)
{
    dg_gan_train_config *c = p;
    if (!c)
        return;
    g_free(c->data);
    g_free(c->out);
    g_free(c->preset);
    g_free(c->cache_dir);
    g_free(c->loss);
    g_free(c->diffaug);
    g_free(c->g_upsample);
    g_free(c->quality_model);
    g_free(c->init_from);
    g_free(c);
}

/* ---- samples --------------------------------------------------------------------- */

static void emit_grid(gan_run *r)
{
    if (!dg_dist_is_root(r->dist))
        return;
    const int K = r->ds->n_classes, n = K * GRID_COLS, S = r->gan->cfg.size;
    dg_rng srng;
    dg_rng_seed(&srng, r->cfg->seed ^ 0x6E1Dull ^ (uint64_t)r->step);
    dg_gan_refresh_stats(r->gan, r->ctx, &srng, 4);
    float *img = g_new(float, (long)n * 3 * S * S);
    uint8_t *rgb = g_new(uint8_t, (long)n * 3 * S * S);
    dg_gan_generate(r->gan, r->ctx, NULL, r->z_fixed, r->grid_labels, n, img);
    dg_images_to_rgb(img, n, S, rgb);
    const uint8_t bg[3] = {24, 24, 28};
    int w = 0, h = 0;
    uint8_t *grid = dg_plot_image_grid(rgb, n, S, K, GRID_COLS, 2, bg, &w, &h);
    char *name = g_strdup_printf("step-%06" G_GINT64_FORMAT ".png", r->step);
    char *path = g_build_filename(r->samples_dir, name, NULL);
    char *latest = g_build_filename(r->samples_dir, "latest.png", NULL);
    GError *error = NULL;
    if (grid && (!dg_write_png(path, grid, w, h, &error) ||
                 !dg_write_png(latest, grid, w, h, &error))) {
        dg_job_message(r->job, "warning", "could not write the sample grid: %s", error->message);
        g_clear_error(&error);
    }
    if (grid) {
        dg_event ev = {.kind = DG_EVENT_IMAGE, .step = r->step, .total = r->total, .eta = -1,
                       .width = w, .height = h, .rgb = grid, .path = path};
        dg_job_emit(r->job, &ev);
    }
    g_free(grid), g_free(name), g_free(path), g_free(latest), g_free(img), g_free(rgb);
}

/* The quality figure of the sampling generator now, as an EPOCH event. */
static void measure_quality(gan_run *r)
{
    dg_rng srng;
    dg_rng_seed(&srng, r->cfg->seed ^ 0x9A11ull ^ (uint64_t)r->step);
    dg_gan_refresh_stats(r->gan, r->ctx, &srng, 4);
    double fd = dg_gan_monitor_measure(r->monitor, r->gan, r->ctx);
    float row[2] = {(float)r->step, (float)fd};
    g_array_append_vals(r->quality, row, 2);
    dg_event ev = {.kind = DG_EVENT_EPOCH, .step = r->step, .total = r->total, .eta = -1,
                   .epoch = (int)(r->quality->len / 2)};
    dg_event_set(&ev, "frechet", fd);
    dg_job_emit(r->job, &ev);
    /* the best generator by this figure so far, beside the last one: a GAN's
     * quality often peaks before the end of its schedule */
    if (r->step > 0 && isfinite(fd) && fd < r->best_frechet) {
        GError *e = NULL;
        if (gan_run_save_model_to(r, r->best_path, fd, &e)) {
            r->best_frechet = fd;
            r->best_step = r->step;
        } else {
            dg_job_message(r->job, "warning", "could not write the best generator so far: %s",
                           e->message);
            g_error_free(e);
        }
    }
}

/* ---- the run --------------------------------------------------------------------- */

static void sample_batch(gan_run *r, int B, int pair, int *idx)
{
    const dg_gan_config *c = &r->gan->cfg;
    for (int b = 0; b < B; b++) {
        int cls;
        if (!c->conditional)
            cls = pair;
        else if (c->balanced)
            cls = (int)dg_rng_below(&r->rng, (uint32_t)r->ds->n_classes);
        else {
            idx[b] = r->all_train[dg_rng_below(&r->rng, (uint32_t)r->n_all_train)];
            continue;
        }
        idx[b] = r->train_idx[cls][dg_rng_below(&r->rng, (uint32_t)r->n_train[cls])];
    }
}

/* The nets' batch: this process's part of the training batch, or the
 * sample grid (at most 64). */
static int max_batch(const gan_run *r, const dg_gan_config *gc)
{
    return MAX(r->dist ? r->part_n : gc->batch, MIN(r->ds->n_classes * GRID_COLS, 64));
}

/* Every number of the config within its stated range (dg-limits.h). */
static gboolean check_config(const dg_gan_train_config *c, GError **error)
{
    if (c->resume && c->init_from) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "--init-from starts a new run and --resume continues one: give one of them");
        return FALSE;
    }
    return dg_job_check_int("steps", c->steps, 1, DG_LIMIT_STEPS, TRUE, error) &&
           dg_job_check_int("threads", c->threads, 1, DG_LIMIT_THREADS, TRUE, error) &&
           dg_job_check_int("batch", c->batch, 1, DG_LIMIT_GAN_BATCH, TRUE, error) &&
           dg_job_check_double("lr", c->lr, 1e-8, 1.0, TRUE, error) &&
           dg_job_check_int("width", c->width, 1, DG_LIMIT_GAN_WIDTH, TRUE, error) &&
           dg_job_check_int("sample-every", c->sample_every, 1, DG_LIMIT_STEPS, TRUE, error) &&
           dg_job_check_int("checkpoint-every", c->checkpoint_every, 1, DG_LIMIT_STEPS, TRUE,
                            error) &&
           dg_job_check_int("sample-seconds", c->sample_seconds, 1, DG_LIMIT_SECONDS, TRUE,
                            error) &&
           (c->quality_every < 0 ||
            dg_job_check_int("quality-every", c->quality_every, 1, DG_LIMIT_SECONDS, TRUE, error));
}

/* The settings that define the run: all but its length and how it runs. */
static dg_run_identity *run_identity(const dg_gan_train_config *cfg, const dg_gan_config *gc)
{
    dg_run_identity *id = dg_run_identity_new();
    char *data = dg_run_canonical_path(cfg->data);
    char aug[64];
    dg_diffaug_format(&gc->diffaug, aug, sizeof aug);
    dg_run_identity_add(id, "data", "%s", data);
    dg_run_identity_add(id, "all-classes", "%s", cfg->all_classes ? "yes" : "no");
    dg_run_identity_add(id, "split-seed", "%" G_GUINT64_FORMAT, cfg->split_seed);
    dg_run_identity_add(id, "seed", "%" G_GUINT64_FORMAT, cfg->seed);
    dg_run_identity_add(id, "preset", "%s", gc->preset);
    dg_run_identity_add(id, "batch", "%d", gc->batch);
    dg_run_identity_add(id, "lr", "%g/%g", gc->lr_g, gc->lr_d);
    dg_run_identity_add(id, "loss", "%s", dg_gan_loss_name(gc->loss));
    dg_run_identity_add(id, "diffaug", "%s", aug);
    dg_run_identity_add(id, "width", "%d/%d", gc->ngf, gc->ndf);
    dg_run_identity_add(id, "g-upsample", "%s",
                        !gc->upsample_conv ? "convt" : gc->up_bilinear ? "bilinear" : "nearest");
    g_free(data);
    return id;
}

/* The GAN's config: the preset for the data set's classes, then what the
 * job's config overrides; validated, and sized against the memory limit. */
static gboolean resolve_config(gan_run *r, dg_gan_config *gc, GError **error)
{
    const dg_gan_train_config *cfg = r->cfg;
    if (!dg_gan_config_preset(gc, cfg->preset, r->ds->n_classes, error))
        return FALSE;
    if (cfg->batch > 0)
        gc->batch = cfg->batch;
    if (cfg->lr > 0)
        gc->lr_g = gc->lr_d = (float)cfg->lr;
    if (cfg->width > 0)
        gc->ngf = gc->ndf = cfg->width;
    if (cfg->g_upsample) {
        if (strcmp(cfg->g_upsample, "nearest") != 0 && strcmp(cfg->g_upsample, "convt") != 0 &&
            strcmp(cfg->g_upsample, "bilinear") != 0) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "unknown generator upsampling '%s' (convt, nearest, bilinear)",
                        cfg->g_upsample);
            return FALSE;
        }
        gc->upsample_conv = strcmp(cfg->g_upsample, "convt") != 0;
        gc->up_bilinear = strcmp(cfg->g_upsample, "bilinear") == 0;
    }
    if (cfg->loss) {
        if (strcmp(cfg->loss, "hinge") != 0 && strcmp(cfg->loss, "bce") != 0) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "unknown loss '%s' (bce, hinge)",
                        cfg->loss);
            return FALSE;
        }
        gc->loss = strcmp(cfg->loss, "hinge") == 0 ? DG_GAN_LOSS_HINGE : DG_GAN_LOSS_BCE;
    }
    if (cfg->diffaug && !dg_diffaug_parse(cfg->diffaug, &gc->diffaug)) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "unknown DiffAugment policy '%s' (color, translation, cutout)", cfg->diffaug);
        return FALSE;
    }
    r->total = cfg->steps > 0 ? cfg->steps : gc->steps;
    dg_dist_part(r->dist, gc->batch, &r->part_off, &r->part_n);
    if (r->part_n < 1) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "a batch of %d images cannot be shared by %d processes", gc->batch,
                    dg_dist_size(r->dist));
        return FALSE;
    }
    return dg_gan_config_validate(gc, error) &&
           dg_gan_config_check_memory(gc, max_batch(r, gc), TRUE, FALSE, error);
}

/* Each class's training images (for class-balanced batches). */
static gboolean index_classes(gan_run *r, GError **error)
{
    const int K = r->ds->n_classes;
    r->class_ids = g_new0(char *, K + 1);
    r->class_names = g_new0(char *, K + 1);
    for (int k = 0; k < K; k++) {
        r->class_ids[k] = g_strdup(r->ds->classes[k].id);
        r->class_names[k] = g_strdup(r->ds->classes[k].name);
        r->n_train[k] = dg_dataset_indices(r->ds, DG_SPLIT_TRAIN, k, NULL);
        if (r->n_train[k] == 0) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "class %s has no training images", r->class_ids[k]);
            return FALSE;
        }
        r->train_idx[k] = g_new(int, r->n_train[k]);
        dg_dataset_indices(r->ds, DG_SPLIT_TRAIN, k, r->train_idx[k]);
    }
    r->n_all_train = dg_dataset_indices(r->ds, DG_SPLIT_TRAIN, -1, NULL);
    r->all_train = g_new(int, r->n_all_train);
    dg_dataset_indices(r->ds, DG_SPLIT_TRAIN, -1, r->all_train);
    return TRUE;
}

static void shard_sum(float *x, long n, void *user)
{
    dg_dist_sum_float(user, x, n);
}

static void shard_sum_double(double *x, long n, void *user)
{
    dg_dist_sum_double(user, x, n);
}

/* The nets from the seed, the quality monitor, and the sample grid's fixed
 * noise (its own stream, so training is unaffected). */
static void make_gan(gan_run *r, const dg_gan_config *gc)
{
    const dg_gan_train_config *cfg = r->cfg;
    const int grid_n = r->ds->n_classes * GRID_COLS;
    r->ctx = dg_ctx_new(cfg->threads);
    r->gan = dg_gan_new(gc, max_batch(r, gc), TRUE, FALSE);
    dg_rng_seed(&r->rng, cfg->seed);
    dg_gan_init(r->gan, &r->rng);
    if (r->dist) {
        r->shard = (dg_gan_shard){.offset = r->part_off, .total = gc->batch,
                                  .sum = shard_sum,
                                  .sum_double = shard_sum_double, .user = r->dist};
        r->gan->shard = &r->shard;
    }
    r->history = g_array_new(FALSE, FALSE, sizeof(float));
    if (gc->aux > 0)
        r->class_history = g_array_new(FALSE, FALSE, sizeof(float));
    r->quality = g_array_new(FALSE, FALSE, sizeof(float));
    if (cfg->quality_every >= 0 && dg_dist_is_root(r->dist)) { /* rank 0 measures */
        char *why = NULL;
        r->monitor = dg_gan_monitor_new(cfg->quality_model, r->ds, r->all_train, r->n_all_train,
                                        r->gan, r->ctx, cfg->seed, &why);
        if (!r->monitor) {
            dg_job_message(r->job, "info", "no quality curve while training: %s", why);
            g_free(why);
        }
    }
    dg_rng frng;
    dg_rng_seed(&frng, cfg->seed ^ 0xF1EDull);
    r->z_fixed = g_new(float, (long)grid_n * gc->nz);
    dg_rng_fill_normal(&frng, r->z_fixed, (long)grid_n * gc->nz, 0.0f, 1.0f);
    r->grid_labels = g_new(int, grid_n);
    for (int i = 0; i < grid_n; i++)
        r->grid_labels[i] = i / GRID_COLS;
}

/* --init-from: a new run from another run's weights (dg_gan_read_weights:
 * the optimizer, the LeCam anchors and the EMA's warm-up start afresh). */
static gboolean warm_start(gan_run *r, GError **error)
{
    const char *path = r->cfg->init_from;
    g_autofree char *disp = dg_file_display_name(path);
    dg_st *st = dg_job_read_st(r->dist, path, error);
    if (!st) {
        g_prefix_error(error, "cannot start from %s: ", disp);
        return FALSE;
    }
    gboolean ok = gan_run_read_weights_by_class(r, st, error);
    if (ok) {
        const char *steps = dg_st_metadata(st, "trained_steps");
        const dg_st_tensor *ts = dg_st_find(st, "step");
        int64_t n = -1;
        if (ts && ts->dtype == DG_ST_I64 && ts->ndim == 1 && ts->shape[0] == 1)
            memcpy(&n, ts->data, 8);
        else if (steps)
            n = g_ascii_strtoll(steps, NULL, 10);
        /* its own run's steps and those its weights had before (a chain of
         * --init-from runs: the bundled generator's two stages) */
        if (n >= 0 && n <= DG_GAN_MAX_STEPS)
            n += gan_steps_before(st);
        else
            n = -1;
        r->steps_before = MAX(n, 0);
        r->initialized_from = n >= 0 ? g_strdup_printf("%s (after %" G_GINT64_FORMAT " steps)", disp, n)
                                     : g_strdup(disp);
        dg_job_message(r->job, "info", "starting from the weights of %s", r->initialized_from);
    } else {
        g_prefix_error(error, "cannot start from %s: ", disp);
    }
    dg_st_free(st);
    return ok;
}

/* The run's state: from its checkpoint when resuming; otherwise its
 * config.json is written (and, with --init-from, the weights read). */
static gboolean start_or_resume(gan_run *r, const dg_gan_config *gc, GError **error)
{
    if (!dg_dist_is_root(r->dist)) /* the others only read the checkpoint, from rank 0 */
        return r->cfg->resume ? gan_run_load_checkpoint(r, error)
                              : !r->cfg->init_from || warm_start(r, error);
    if (!r->cfg->resume && r->cfg->init_from && !warm_start(r, error))
        return FALSE; /* before anything is written into the run folder */
    if (g_mkdir_with_parents(r->samples_dir, 0755) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                    r->samples_dir, g_strerror(errno));
        return FALSE;
    }
    if (r->cfg->resume) {
        if (!gan_run_load_checkpoint(r, error))
            return FALSE;
        dg_job_message(r->job, "info", "resumed from step %" G_GINT64_FORMAT, r->step);
        if (r->quality && g_file_test(r->best_path, G_FILE_TEST_IS_REGULAR)) {
            const float *q = (const float *)r->quality->data; /* the best file's figure */
            for (guint i = 0; i + 1 < r->quality->len; i += 2)
                if (q[i] > 0 && isfinite(q[i + 1]) && q[i + 1] < r->best_frechet)
                    r->best_frechet = q[i + 1], r->best_step = (int64_t)q[i];
        }
        return TRUE;
    }
    char *cj = dg_gan_config_to_json(gc);
    char *path = g_build_filename(r->cfg->out, "config.json", NULL);
    gboolean ok = dg_write_text(path, cj, error);
    g_free(cj), g_free(path);
    return ok;
}

/* What the run needs, up to its state (begin). */
static gboolean setup(gan_run *r, GError **error)
{
    const dg_gan_train_config *cfg = r->cfg;
    dg_gan_config gc;
    static const char *const writes[] = {"checkpoint.safetensors", "generator.safetensors",
                                         "generator-best.safetensors", NULL};
    if (!check_config(cfg, error) ||
        !dg_job_check_not_run_output("init-from", cfg->init_from, cfg->out, writes, error) ||
        /* (its sample grids in a class folder would be that class's images) */
        !dg_job_check_outside_data("out", cfg->out, cfg->data, NULL, error) ||
        (dg_dist_is_root(r->dist) && /* rank 0 owns the run folder */
         !(r->dir = dg_run_dir_open_training(r->job, cfg->out, TRUE, cfg->resume, error))) ||
        !dg_gan_config_preset(&gc, cfg->preset, 2, error)) /* its image size, for loading */
        return FALSE;
    r->ckpt_path = g_build_filename(cfg->out, "checkpoint.safetensors", NULL);
    r->model_path = g_build_filename(cfg->out, "generator.safetensors", NULL);
    r->best_path = g_build_filename(cfg->out, "generator-best.safetensors", NULL);
    r->best_frechet = INFINITY;
    r->samples_dir = g_build_filename(cfg->out, "samples", NULL);
    r->ds = dg_job_load_dataset_ex(r->job, cfg->data, cfg->all_classes, cfg->follow_symlinks, gc.size, cfg->cache_dir,
                                cfg->split_seed, error);
    if (!r->ds || !resolve_config(r, &gc, error) || !index_classes(r, error))
        return FALSE;
    r->identity = run_identity(cfg, &gc);
    make_gan(r, &gc);
    return TRUE;
}

/* A fingerprint of the training state every rank must share. */
static uint64_t state_fingerprint(gan_run *r)
{
    uint64_t h = dg_dist_hash(0, &r->rng, sizeof r->rng);
    h = dg_dist_hash(h, &r->step, sizeof r->step);
    for (int p = 0; p < r->gan->n_pairs; p++) {
        h = dg_dist_hash(h, dg_net_params(r->gan->G[p]), sizeof(float) * dg_net_n_params(r->gan->G[p]));
        h = dg_dist_hash(h, dg_net_params(r->gan->D[p]), sizeof(float) * dg_net_n_params(r->gan->D[p]));
    }
    return h;
}

/* The run's state, new or from its checkpoint (every rank takes part: with
 * several, they agree that all went well and that they hold the same data
 * and weights). */
static gboolean begin(gan_run *r, GError **error)
{
    const dg_gan_config gc = r->gan->cfg;
    if (!dg_job_agree(r->job, r->dist, start_or_resume(r, &gc, error), error) ||
        (r->dist && (!dg_dist_check_same(r->dist, dg_job_dataset_fingerprint(r->ds),
                                         "training images", error) ||
                     !dg_dist_check_same(r->dist, state_fingerprint(r), "weights and random state",
                                         error))))
        return FALSE;
    if (r->dist)
        dg_job_message(r->job, "info", "data-parallel over %d processes, %d to %d images each",
                       dg_dist_size(r->dist), gc.batch / dg_dist_size(r->dist),
                       (gc.batch + dg_dist_size(r->dist) - 1) / dg_dist_size(r->dist));
    dg_job_message(r->job, "info",
                   "GAN preset %s: %s, %d classes, %ld generator / %ld discriminator parameters, "
                   "batch %d, %" G_GINT64_FORMAT " steps",
                   gc.preset, gc.conditional ? "class-conditional" : "one per class",
                   r->ds->n_classes, dg_gan_n_params_g(r->gan), dg_gan_n_params_d(r->gan), gc.batch,
                   r->total);
    return TRUE;
}

static void run_free(gan_run *r)
{
    dg_run_dir_close(r->dir);
    dg_run_identity_free(r->identity);
    g_free(r->initialized_from);
    dg_gan_free(r->gan);
    dg_ctx_free(r->ctx);
    dg_dataset_free(r->ds);
    if (r->history)
        g_array_free(r->history, TRUE);
    if (r->class_history)
        g_array_free(r->class_history, TRUE);
    if (r->quality)
        g_array_free(r->quality, TRUE);
    dg_gan_monitor_free(r->monitor);
    g_strfreev(r->class_ids);
    g_strfreev(r->class_names);
    for (int k = 0; k < DG_GAN_MAX_CLASSES; k++)
        g_free(r->train_idx[k]);
    g_free(r->all_train);
    g_free(r->z_fixed);
    g_free(r->grid_labels);
    g_free(r->ckpt_path);
    g_free(r->model_path);
    g_free(r->best_path);
    g_free(r->samples_dir);
}

/* Training went numerically wrong: say so, and what is kept. */
static void diverged(gan_run *r, const char *what, GError **error)
{
    if (r->last_ckpt_step > 0)
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

/* A checkpoint and the model; weights that are no longer finite are not
 * written (the previous files stay) and end the run as diverged. */
static gboolean save_all(gan_run *r, GError **error)
{
    GError *e = NULL;
    gboolean ok = !dg_dist_is_root(r->dist) || (gan_run_save_checkpoint(r, &e) && gan_run_save_model(r, &e));
    if (dg_job_agree(r->job, r->dist, ok, &e))
        return TRUE;
    if (g_error_matches(e, DG_MODEL_ERROR, DG_MODEL_ERROR_NOT_FINITE)) {
        diverged(r, e->message, error);
        g_error_free(e);
    } else {
        g_propagate_prefixed_error(error, e, "checkpoint at step %" G_GINT64_FORMAT ": ", r->step);
    }
    return FALSE;
}

static gboolean finish(gan_run *r, GError **error)
{
    if (!save_all(r, error))
        return FALSE;
    emit_grid(r);
    return TRUE;
}

static gboolean gan_train_run(dg_job *job, void *config, GError **error)
{
    gan_run r = {.job = job, .cfg = config, .dist = ((dg_gan_train_config *)config)->dist};
    gboolean ok = FALSE;
    {
        dg_event ev = {.kind = DG_EVENT_STARTED, .eta = -1, .message = "training a GAN"};
        dg_job_emit(job, &ev);
    }
    if (!dg_job_agree(job, r.dist, setup(&r, error), error) || !begin(&r, error))
        goto out; /* a cancelled load: the job runner calls it a cancel */

    const dg_gan_config *c = &r.gan->cfg;
    const int B = c->batch, S = c->size, K = r.ds->n_classes;
    const int sample_every = r.cfg->sample_every > 0 ? r.cfg->sample_every : 200;
    const int ckpt_every = r.cfg->checkpoint_every > 0 ? r.cfg->checkpoint_every : 500;
    float *x = g_new(float, (long)B * 3 * S * S);
    int *idx = g_new(int, B), *y = g_new(int, B);
    dg_augment aug;
    dg_augment_none(&aug);
    aug.hflip = aug.vflip = aug.rot90 = TRUE; /* lesions have no up or left */
    dg_rate rate;
    dg_rate_init(&rate);
    int dwin = 0;
    gboolean warned = FALSE;
    if (r.step == 0)
        emit_grid(&r); /* what the untrained generator makes */
    const double quality_every = r.cfg->quality_every > 0 ? r.cfg->quality_every : 300;
    double last_quality = dg_job_elapsed(job), last_grid = last_quality;
    if (r.monitor && r.quality->len == 0)
        measure_quality(&r);

    dg_dist_reset_stats(r.dist);
    while (r.step < r.total) {
        if (!dg_job_continue_all(job, r.dist)) {
            dg_job_message(job, "info", "stopped at step %" G_GINT64_FORMAT "; checkpoint saved",
                           r.step);
            ok = finish(&r, error);
            goto done;
        }
        int pair = c->conditional ? 0 : (int)(r.step % K);
        /* every rank draws the whole batch, and prepares and trains on its part */
        sample_batch(&r, B, pair, idx);
        dg_job_skip_augment(&aug, &r.rng, r.part_off);
        dg_dataset_batch(r.ds, idx + r.part_off, r.part_n, &aug, &r.rng, x, y);
        dg_job_skip_augment(&aug, &r.rng, B - r.part_off - r.part_n);
        dg_gan_stats st;
        dg_dist_attach(r.dist, r.ctx);
        gboolean stepped = dg_gan_train_step(r.gan, r.ctx, &r.rng, x, y, r.part_n, pair, &st);
        dg_dist_detach(r.dist, r.ctx);
        if (!stepped) {
            diverged(&r, "a loss or gradient is not finite", error);
            goto done;
        }
        r.step++;
        float row[HIST_COLS] = {(float)r.step, st.d_loss, st.g_loss, st.d_real, st.d_fake};
        g_array_append_vals(r.history, row, HIST_COLS);
        if (r.class_history) {
            float cls[CLASS_HIST_COLS] = {st.aux_real, st.aux_fake,
                                          r.gan->cfg.aux_twin ? st.aux_twin : NAN};
            g_array_append_vals(r.class_history, cls, CLASS_HIST_COLS);
        }

        double spp = dg_rate_tick(&rate);
        dg_event ev = {.kind = DG_EVENT_PROGRESS, .step = r.step, .total = r.total,
                       .epoch = (int)(r.step * B / MAX(1, r.n_all_train)), .rate = B / spp,
                       .eta = spp * (r.total - r.step)};
        dg_event_set(&ev, "d_loss", st.d_loss);
        dg_event_set(&ev, "g_loss", st.g_loss);
        dg_event_set(&ev, "d_real", st.d_real);
        dg_event_set(&ev, "d_fake", st.d_fake);
        if (r.gan->spectral)
            dg_event_set(&ev, "spectral", st.spectral);
        if (r.gan->cfg.aux > 0) {
            dg_event_set(&ev, "class_real", st.aux_real);
            dg_event_set(&ev, "class_fake", st.aux_fake);
            if (r.gan->cfg.aux_twin)
                dg_event_set(&ev, "class_twin", st.aux_twin);
        }
        dg_job_emit(job, &ev);

        if (st.d_real > 0.95f && st.d_fake < 0.05f) {
            if (++dwin >= DWIN_STEPS && !warned) {
                dg_job_message(job, "warning",
                               "the discriminator has won outright for %d steps (D(real) > 0.95, "
                               "D(fake) < 0.05): the generator gets little signal; consider more "
                               "augmentation, a lower discriminator learning rate or stopping",
                               dwin);
                warned = TRUE;
            }
        } else {
            dwin = 0;
            warned = FALSE;
        }
        double now = dg_job_elapsed(job);
        if ((r.step % sample_every == 0 ||
             (r.cfg->sample_seconds > 0 && now - last_grid >= r.cfg->sample_seconds)) &&
            r.step < r.total) {
            emit_grid(&r);
            last_grid = now;
        }
        if (r.monitor && now - last_quality >= quality_every) {
            measure_quality(&r);
            last_quality = now;
        }
        if (r.step % ckpt_every == 0 && r.step < r.total && !save_all(&r, error))
            goto done;
    }
    ok = finish(&r, error);
    if (ok) {
        JsonObject *res = json_object_new();
        dg_json_set_path(res, "run", r.cfg->out);
        json_object_set_int_member(res, "steps", r.step);
        dg_json_set_path(res, "model", r.model_path);
        dg_json_set_path(res, "checkpoint", r.ckpt_path);
        if (r.best_step > 0) {
            dg_json_set_path(res, "best_model", r.best_path);
            json_object_set_int_member(res, "best_step", r.best_step);
            json_object_set_double_member(res, "best_frechet", r.best_frechet);
        }
        json_object_set_double_member(res, "seconds", dg_job_elapsed(job));
        dg_job_report_dist(job, r.dist, res, dg_job_elapsed(job));
        dg_job_emit_result(job, res);
    }
done:
    g_free(x);
    g_free(idx);
    g_free(y);
out:
    run_free(&r);
    return ok;
}

const dg_job_kind dg_job_gan_train = {"gan-train", gan_train_run, dg_gan_train_config_free};

/* dg-job-gan-checkpoint.c: a GAN run's files: its checkpoint (written and
 * read back with every count checked) and its model files. */
#include <math.h>
#include <string.h>

#include "data/dg-dataset.h"
#include "jobs/dg-job-gan-train-private.h"
#include "jobs/dg-job-util.h"
#include "models/dg-checkpoint.h"
#include "models/dg-model-file.h"

char *gan_run_classes_meta(gan_run *r)
{
    return dg_model_classes_json((const char *const *)r->class_ids,
                                 (const char *const *)r->class_names, r->ds->n_classes);
}

gboolean gan_run_save_checkpoint(gan_run *r, GError **error)
{
    if (!dg_gan_check_finite(r->gan, error)) {
        g_prefix_error(error, "not saving a checkpoint at step %" G_GINT64_FORMAT ": ", r->step);
        return FALSE;
    }
    dg_st_writer *w = dg_st_writer_new();
    int64_t steps[2 * DG_GAN_MAX_CLASSES];
    dg_gan_write_state(r->gan, w, steps);
    dg_rng rng = r->rng;
    dg_rng_write(w, "rng", &rng);
    int64_t step = r->step, one[1] = {1};
    dg_st_writer_add(w, "step", DG_ST_I64, 1, one, &step);
    int64_t hshape[2] = {(int64_t)(r->history->len / HIST_COLS), HIST_COLS};
    dg_st_writer_add(w, "history", DG_ST_F32, 2, hshape, r->history->data);
    int64_t cshape[2] = {r->class_history ? (int64_t)(r->class_history->len / CLASS_HIST_COLS) : 0,
                         CLASS_HIST_COLS};
    if (r->class_history && r->class_history->len)
        dg_st_writer_add(w, "class_history", DG_ST_F32, 2, cshape, r->class_history->data);
    int64_t qshape[2] = {(int64_t)(r->quality->len / 2), 2};
    if (r->quality->len)
        dg_st_writer_add(w, "quality", DG_ST_F32, 2, qshape, r->quality->data);
    char *cfg = dg_gan_config_to_json(&r->gan->cfg);
    char *cls = gan_run_classes_meta(r);
    char *seed = g_strdup_printf("%" G_GUINT64_FORMAT, r->cfg->seed);
    char *split = g_strdup_printf("%" G_GUINT64_FORMAT, r->cfg->split_seed);
    dg_st_writer_set_metadata(w, "format", "dermagan-gan-checkpoint");
    dg_st_writer_set_metadata(w, "gan", cfg);
    dg_st_writer_set_metadata(w, "classes", cls);
    dg_st_writer_set_metadata(w, "data", r->cfg->data);
    dg_st_writer_set_metadata(w, "seed", seed);
    dg_st_writer_set_metadata(w, "split_seed", split);
    char *run = dg_run_identity_to_json(r->identity);
    dg_st_writer_set_metadata(w, "run", run);
    if (r->initialized_from)
        dg_st_writer_set_metadata(w, "initialized_from", r->initialized_from);
    char *before = g_strdup_printf("%" G_GINT64_FORMAT, r->steps_before);
    if (r->steps_before > 0)
        dg_st_writer_set_metadata(w, "steps_before", before);
    gboolean ok = dg_st_writer_save(w, r->ckpt_path, error);
    g_free(before);
    dg_st_writer_free(w);
    g_free(cfg), g_free(cls), g_free(seed), g_free(split), g_free(run);
    if (ok)
        r->last_ckpt_step = r->step;
    return ok;
}

/* A model file: EMA generator with fresh batch-norm statistics, plus D. */
gboolean gan_run_save_model_to(gan_run *r, const char *path, double frechet, GError **error)
{
    dg_rng srng;
    dg_rng_seed(&srng, r->cfg->seed ^ 0x57A75ull ^ (uint64_t)r->step);
    dg_gan_refresh_stats(r->gan, r->ctx, &srng, 8);
    GHashTable *meta = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    g_hash_table_insert(meta, "trained_steps", g_strdup_printf("%" G_GINT64_FORMAT, r->step));
    g_hash_table_insert(meta, "seed", g_strdup_printf("%" G_GUINT64_FORMAT, r->cfg->seed));
    g_hash_table_insert(meta, "split_seed",
                        g_strdup_printf("%" G_GUINT64_FORMAT, r->cfg->split_seed));
    g_hash_table_insert(meta, "training_data", g_strdup(r->cfg->data));
    if (r->initialized_from)
        g_hash_table_insert(meta, "initialized_from", g_strdup(r->initialized_from));
    if (r->steps_before > 0)
        g_hash_table_insert(meta, "steps_before",
                            g_strdup_printf("%" G_GINT64_FORMAT, r->steps_before));
    if (isfinite(frechet))
        g_hash_table_insert(meta, "monitor_frechet", g_strdup_printf("%.4f", frechet));
    gboolean ok = dg_gan_save_model(r->gan, path, (const char *const *)r->class_ids,
                                    (const char *const *)r->class_names, TRUE, meta, error);
    g_hash_table_unref(meta);
    return ok;
}

gboolean gan_run_save_model(gan_run *r, GError **error)
{
    return gan_run_save_model_to(r, r->model_path, NAN, error);
}

/* The classes of a checkpoint or model file: this data set's, in its order. */
gboolean gan_run_same_classes(gan_run *r, const dg_st *st, const char *what, GError **error)
{
    char **ids = NULL, **names = NULL;
    gboolean same = dg_model_parse_classes(dg_st_metadata(st, "classes"), r->ds->n_classes, &ids,
                                           &names, NULL);
    for (int k = 0; same && k < r->ds->n_classes; k++)
        same = strcmp(ids[k], r->class_ids[k]) == 0;
    g_strfreev(ids);
    g_strfreev(names);
    if (!same)
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s's classes differ from this data set's", what);
    return same;
}

gboolean gan_run_read_weights_by_class(gan_run *r, const dg_st *st, GError **error)
{
    /* the kind of file first: a classifier's has no 'gan' metadata, and "the
     * 'gan' metadata is not a JSON object" did not say what was wrong */
    const char *format = dg_st_metadata(st, "format");
    if (g_strcmp0(format, "dermagan-gan-checkpoint") != 0 &&
        g_strcmp0(format, "dermagan-gan") != 0) {
        if (g_strcmp0(format, "dermagan-classifier") == 0 ||
            g_strcmp0(format, "dermagan-classifier-checkpoint") == 0) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "it is a classifier %s, not a GAN checkpoint or generator model",
                        g_str_has_suffix(format, "-checkpoint") ? "checkpoint" : "model");
        } else {
            g_autofree char *q = dg_st_quoted(format);
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "not a DermaGAN GAN checkpoint or generator model (format %s)", q);
        }
        return FALSE;
    }
    dg_gan_config saved;
    char **ids = NULL, **names = NULL;
    if (!dg_gan_config_from_json(&saved, dg_st_metadata(st, "gan"), error) ||
        !dg_model_parse_classes(dg_st_metadata(st, "classes"), saved.n_classes, &ids, &names,
                                error))
        return FALSE;
    const int K = r->ds->n_classes;
    int rows[DG_GAN_MAX_CLASSES];
    gboolean same = saved.n_classes == K, shared = FALSE;
    GString *fresh = g_string_new(NULL);
    for (int k = 0; k < K; k++) {
        rows[k] = -1;
        for (int q = 0; q < saved.n_classes; q++)
            if (strcmp(ids[q], r->class_ids[k]) == 0)
                rows[k] = q;
        same = same && rows[k] == k;
        shared = shared || rows[k] >= 0;
        if (rows[k] < 0)
            g_string_append_printf(fresh, "%s%s", fresh->len ? ", " : "", r->class_ids[k]);
    }
    gboolean ok;
    if (same) {
        ok = dg_gan_read_weights(r->gan, st, error);
    } else if (!shared) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "it has none of this data set's classes");
        ok = FALSE;
    } else {
        dg_class_map map = {.rows = rows, .file_classes = saved.n_classes};
        ok = dg_gan_read_weights_classes(r->gan, st, &map, error);
        if (ok && fresh->len)
            dg_job_message(r->job, "info",
                           "classes new to the weights (%s) start from the mean of its %d "
                           "classes' conditioning",
                           fresh->str, saved.n_classes);
    }
    g_string_free(fresh, TRUE);
    g_strfreev(ids), g_strfreev(names);
    return ok;
}

gboolean gan_run_load_checkpoint(gan_run *r, GError **error)
{
    dg_st *st = dg_job_read_checkpoint(r->dist, r->ckpt_path, error);
    if (!st)
        return FALSE;
    gboolean ok = FALSE;
    if (g_strcmp0(dg_st_metadata(st, "format"), "dermagan-gan-checkpoint") != 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s is not a DermaGAN GAN checkpoint", r->ckpt_path);
        goto out;
    }
    dg_gan_config saved;
    if (!dg_gan_config_from_json(&saved, dg_st_metadata(st, "gan"), error))
        goto out;
    const dg_gan_config *c = &r->gan->cfg;
    if (saved.size != c->size || saved.n_classes != c->n_classes ||
        saved.conditional != c->conditional || saved.nz != c->nz || saved.ngf != c->ngf ||
        saved.ndf != c->ndf || saved.batch != c->batch || saved.loss != c->loss) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "the checkpoint in %s was made with other settings (preset %s, %d classes); "
                    "resume with the same preset and data set",
                    r->cfg->out, saved.preset, saved.n_classes);
        goto out;
    }
    if (!gan_run_same_classes(r, st, "the checkpoint", error))
        goto out;
    if (!dg_run_identity_check(r->identity, dg_st_metadata(st, "run"), r->cfg->out, error) ||
        !dg_gan_read_state(r->gan, st, error) || !dg_rng_read(st, "rng", &r->rng, error))
        goto out;
    const dg_st_tensor *ts = dg_st_find(st, "step");
    const dg_st_tensor *th = dg_st_find(st, "history");
    if (!ts || ts->dtype != DG_ST_I64 || ts->ndim != 1 || ts->shape[0] != 1 || !th ||
        th->dtype != DG_ST_F32 || th->ndim != 2 || th->shape[1] != HIST_COLS) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "checkpoint %s: step or history missing", r->ckpt_path);
        goto out;
    }
    memcpy(&r->step, ts->data, 8);
    g_free(r->initialized_from);
    r->initialized_from = g_strdup(dg_st_metadata(st, "initialized_from"));
    r->steps_before = gan_steps_before(st);
    if (r->step < 0 || th->shape[0] != r->step) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_STATE,
                    "checkpoint %s is corrupt: step %" G_GINT64_FORMAT " with %" G_GINT64_FORMAT
                    " rows of history",
                    r->ckpt_path, r->step, th->shape[0]);
        goto out;
    }
    if (r->step > r->total) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "the run in %s is at step %" G_GINT64_FORMAT ", past the %" G_GINT64_FORMAT
                    " steps asked for: give --steps above %" G_GINT64_FORMAT " to continue it",
                    r->cfg->out, r->step, r->total, r->step);
        goto out;
    }
    for (int p = 0; p < r->gan->n_pairs; p++)
        if (r->gan->opt_g[p].t < 0 || r->gan->opt_g[p].t > r->step || r->gan->opt_d[p].t < 0 ||
            r->gan->opt_d[p].t > r->step) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_STATE,
                        "checkpoint %s is corrupt: optimizer step counts outside 0..%" G_GINT64_FORMAT,
                        r->ckpt_path, r->step);
            goto out;
        }
    g_array_set_size(r->history, 0);
    g_array_append_vals(r->history, th->data, (guint)(th->shape[0] * HIST_COLS));
    if (r->class_history) {
        /* a run from before the class losses were kept has none: NaN, not drawn */
        const dg_st_tensor *tc = dg_st_find(st, "class_history");
        if (tc && (tc->dtype != DG_ST_F32 || tc->ndim != 2 || tc->shape[1] != CLASS_HIST_COLS ||
                   tc->shape[0] != r->step)) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_STATE,
                        "checkpoint %s is corrupt: its class-head history does not match its "
                        "%" G_GINT64_FORMAT " steps",
                        r->ckpt_path, r->step);
            goto out;
        }
        g_array_set_size(r->class_history, (guint)(r->step * CLASS_HIST_COLS));
        float *c = (float *)r->class_history->data;
        if (tc)
            memcpy(c, tc->data, sizeof(float) * (size_t)(r->step * CLASS_HIST_COLS));
        else
            for (gint64 i = 0; i < r->step * CLASS_HIST_COLS; i++)
                c[i] = NAN;
    }
    const dg_st_tensor *tq = dg_st_find(st, "quality");
    g_array_set_size(r->quality, 0);
    if (tq) {
        if (tq->dtype != DG_ST_F32 || tq->ndim != 2 || tq->shape[1] != 2) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "checkpoint %s: the quality series has the wrong shape", r->ckpt_path);
            goto out;
        }
        g_array_append_vals(r->quality, tq->data, (guint)(tq->shape[0] * 2));
        const float *q = (const float *)r->quality->data;
        for (guint i = 0; i < r->quality->len; i += 2)
            if (!(q[i] >= 0 && q[i] <= r->step) || isnan(q[i + 1])) {
                g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_STATE,
                            "checkpoint %s is corrupt: its quality series", r->ckpt_path);
                goto out;
            }
    }
    r->last_ckpt_step = r->step;
    ok = TRUE;
out:
    dg_st_free(st);
    return ok;
}

int64_t gan_steps_before(const dg_st *st)
{
    const char *s = dg_st_metadata(st, "steps_before");
    guint64 n = 0; /* at most a thousand runs of the longest */
    if (!s || !g_ascii_string_to_unsigned(s, 10, 0, 1000 * (guint64)DG_GAN_MAX_STEPS, &n, NULL))
        return 0;
    return (int64_t)n;
}

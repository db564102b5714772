/* dg-job-dataset.c: the dataset-load job (see dg-job-dataset.h). */
#include "dg-job-dataset.h"

#include <gio/gio.h>

#include "jobs/dg-job-util.h"

dg_dataset_load_config *dg_dataset_load_config_new(void)
{
    return g_new0(dg_dataset_load_config, 1);
}

void dg_dataset_load_config_free(void *p)
{
    dg_dataset_load_config *c = p;
    if (!c)
        return;
    g_free(c->path);
    g_free(c->cache_dir);
    if (c->dataset)
        dg_dataset_free(c->dataset);
    g_free(c);
}

dg_dataset *dg_dataset_load_config_take(dg_dataset_load_config *c)
{
    dg_dataset *ds = c->dataset;
    c->dataset = NULL;
    return ds;
}

typedef struct {
    dg_job *job;
    gint64 last_us;
} progress;

static void on_progress(double fraction, const char *what, void *user)
{
    progress *p = user;
    gint64 now = g_get_monotonic_time();
    if (fraction < 1.0 && now - p->last_us < 100000)
        return; /* ten a second at most */
    p->last_us = now;
    dg_event ev = {.kind = DG_EVENT_PROGRESS, .eta = -1, .message = what,
                   .step = (int64_t)(CLAMP(fraction, 0.0, 1.0) * 1000), .total = 1000};
    dg_job_emit(p->job, &ev);
}

static gboolean dataset_load_run(dg_job *job, void *config, GError **error)
{
    dg_dataset_load_config *c = config;
    if (!c->path) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no data set given");
        return FALSE;
    }
    dg_event st = {.kind = DG_EVENT_STARTED, .eta = -1, .message = "loading a data set"};
    dg_job_emit(job, &st);
    dg_load_options opt;
    dg_load_options_init(&opt);
    opt.all_classes = c->all_classes;
    if (c->size > 0)
        opt.size = c->size;
    opt.threads = c->threads;
    opt.cache_dir = c->cache_dir;
    progress p = {job, 0};
    opt.progress = on_progress;
    opt.progress_user = &p;
    opt.cancel = dg_job_cancel_flag(job);
    dg_dataset *ds = dg_dataset_load(c->path, &opt, error);
    if (!ds)
        return FALSE; /* a cancelled load: the job runner calls it a cancel */
    GError *split_error = NULL;
    if (!dg_dataset_split(ds, c->split_seed ? c->split_seed : 1, DG_SPLIT_TRAIN_FRACTION,
                          DG_SPLIT_VAL_FRACTION, &split_error)) {
        /* still worth showing; the training jobs refuse it with the same reason */
        g_ptr_array_add(ds->warnings,
                        g_strdup_printf("cannot be split for training: %s", split_error->message));
        g_error_free(split_error);
    }
    int files = 0, rows = 0;
    dg_dataset_skip_counts(ds, &files, &rows);
    JsonObject *res = json_object_new();
    dg_json_set_path(res, "root", ds->root);
    json_object_set_string_member(res, "layout", dg_layout_name(ds->layout));
    json_object_set_int_member(res, "images", ds->n_items);
    json_object_set_int_member(res, "classes", ds->n_classes);
    json_object_set_int_member(res, "skipped_files", files);
    json_object_set_int_member(res, "skipped_rows", rows);
    json_object_set_int_member(res, "left_out_rows", ds->n_rows_left_out);
    json_object_set_boolean_member(res, "has_split", ds->has_split);
    c->dataset = ds; /* before RESULT and FINISHED, which the caller waits for */
    dg_job_emit_result(job, res);
    return TRUE;
}

const dg_job_kind dg_job_dataset_load = {"dataset-load", dataset_load_run,
                                         dg_dataset_load_config_free};

#include "dg-job.h"

#include <gio/gio.h>

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdarg.h>

#include "data/dg-json.h"
#include "jobs/dg-job-util.h"

struct dg_job {
    const dg_job_kind *kind;
    void *config;
    dg_event_fn fn;
    void *user;

    GMutex mu;
    GCond cond;
    dg_job_state state;
    gboolean pause_requested;
    volatile int cancel_flag;
    GThread *thread;
    GError *error;

    gint64 t_start;  /* monotonic us when running started */
    gint64 t_paused; /* accumulated paused us */
};

G_DEFINE_QUARK(dg-job-error-quark, dg_job_error)

static const char *const kind_names[] = {"started", "progress", "epoch",   "image",
                                         "message", "result",   "finished"};
static const char *const state_names[] = {"ready",     "running",   "paused",
                                          "succeeded", "cancelled", "failed"};

const char *dg_event_kind_name(dg_event_kind k)
{
    return (unsigned)k < G_N_ELEMENTS(kind_names) ? kind_names[k] : "unknown";
}

const char *dg_job_state_name(dg_job_state s)
{
    return (unsigned)s < G_N_ELEMENTS(state_names) ? state_names[s] : "unknown";
}

void dg_event_set(dg_event *ev, const char *key, double value)
{
    for (int i = 0; i < ev->n_values; i++)
        if (g_strcmp0(ev->keys[i], key) == 0) {
            ev->values[i] = value;
            return;
        }
    if (ev->n_values < DG_EVENT_MAX_VALUES) {
        ev->keys[ev->n_values] = key;
        ev->values[ev->n_values++] = value;
    }
}

double dg_event_get(const dg_event *ev, const char *key, double def)
{
    for (int i = 0; i < ev->n_values; i++)
        if (g_strcmp0(ev->keys[i], key) == 0)
            return ev->values[i];
    return def;
}

static void add_number(JsonBuilder *b, const char *key, double v)
{
    json_builder_set_member_name(b, key);
    if (isfinite(v))
        json_builder_add_double_value(b, v);
    else
        json_builder_add_null_value(b); /* JSON has no NaN/Inf */
}

char *dg_event_to_json(const dg_event *ev)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "event");
    json_builder_add_string_value(b, dg_event_kind_name(ev->kind));
    if (ev->job) {
        json_builder_set_member_name(b, "job");
        json_builder_add_string_value(b, ev->job);
    }
    add_number(b, "elapsed", ev->elapsed);
    if (ev->kind == DG_EVENT_PROGRESS || ev->kind == DG_EVENT_EPOCH ||
        ev->kind == DG_EVENT_IMAGE) {
        json_builder_set_member_name(b, "step");
        json_builder_add_int_value(b, ev->step);
        json_builder_set_member_name(b, "total");
        json_builder_add_int_value(b, ev->total);
        json_builder_set_member_name(b, "epoch");
        json_builder_add_int_value(b, ev->epoch);
    }
    if (ev->kind == DG_EVENT_PROGRESS) {
        add_number(b, "rate", ev->rate);
        add_number(b, "eta", ev->eta);
    }
    if (ev->n_values > 0) {
        json_builder_set_member_name(b, "values");
        json_builder_begin_object(b);
        for (int i = 0; i < ev->n_values; i++)
            add_number(b, ev->keys[i], ev->values[i]);
        json_builder_end_object(b);
    }
    if (ev->level) {
        json_builder_set_member_name(b, "level");
        json_builder_add_string_value(b, ev->level);
    }
    if (ev->message) {
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, ev->message);
    }
    if (ev->kind == DG_EVENT_IMAGE) {
        json_builder_set_member_name(b, "width");
        json_builder_add_int_value(b, ev->width);
        json_builder_set_member_name(b, "height");
        json_builder_add_int_value(b, ev->height);
        if (ev->path) {
            json_builder_set_member_name(b, "path");
            dg_json_add_path(b, ev->path);
        }
    }
    if (ev->kind == DG_EVENT_FINISHED) {
        json_builder_set_member_name(b, "state");
        json_builder_add_string_value(b, dg_job_state_name(ev->state));
    }
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    if (ev->kind == DG_EVENT_RESULT && ev->json) {
        JsonNode *res = dg_json_parse_bounded(ev->json, -1, DG_JSON_MAX_DEPTH, NULL);
        if (res)
            json_object_set_member(json_node_get_object(root), "result", res);
    }
    char *s = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    return s;
}

dg_job *dg_job_new(const dg_job_kind *kind, void *config, dg_event_fn fn, void *user)
{
    dg_job *job = g_new0(dg_job, 1);
    job->kind = kind;
    job->config = config;
    job->fn = fn;
    job->user = user;
    g_mutex_init(&job->mu);
    g_cond_init(&job->cond);
    job->state = DG_JOB_READY;
    return job;
}

void dg_job_free(dg_job *job)
{
    if (!job)
        return;
    if (job->thread) {
        dg_job_cancel(job);
        dg_job_wait(job, NULL);
    }
    if (job->kind->free_config && job->config)
        job->kind->free_config(job->config);
    g_clear_error(&job->error);
    g_mutex_clear(&job->mu);
    g_cond_clear(&job->cond);
    g_free(job);
}

const char *dg_job_name(const dg_job *job)
{
    return job->kind->name;
}

void *dg_job_config(dg_job *job)
{
    return job->config;
}

double dg_job_elapsed(dg_job *job)
{
    g_mutex_lock(&job->mu);
    gint64 now = g_get_monotonic_time();
    double s = job->t_start ? (now - job->t_start - job->t_paused) / 1e6 : 0.0;
    g_mutex_unlock(&job->mu);
    return s;
}

void dg_job_emit(dg_job *job, dg_event *ev)
{
    ev->job = job->kind->name;
    ev->elapsed = dg_job_elapsed(job);
    /* a message is text: a path's raw bytes left in one (not the display
     * name) would make a --json event that is not UTF-8 */
    const char *message = ev->message;
    g_autofree char *valid = NULL;
    if (message && !g_utf8_validate(message, -1, NULL))
        ev->message = valid = g_utf8_make_valid(message, -1);
    if (job->fn)
        job->fn(ev, job->user);
    ev->message = message;
}

void dg_job_message(dg_job *job, const char *level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    dg_event ev = {.kind = DG_EVENT_MESSAGE, .level = level, .message = msg, .eta = -1};
    dg_job_emit(job, &ev);
    g_free(msg);
}

static void finish(dg_job *job, gboolean ok, GError *error)
{
    g_mutex_lock(&job->mu);
    if (!ok)
        job->state = DG_JOB_FAILED;
    else if (g_atomic_int_get(&job->cancel_flag))
        job->state = DG_JOB_CANCELLED;
    else
        job->state = DG_JOB_SUCCEEDED;
    job->error = error;
    dg_job_state st = job->state;
    g_mutex_unlock(&job->mu);
    dg_event ev = {.kind = DG_EVENT_FINISHED, .state = st, .eta = -1,
                   .message = error ? error->message : NULL};
    dg_job_emit(job, &ev);
    g_mutex_lock(&job->mu);
    g_cond_broadcast(&job->cond);
    g_mutex_unlock(&job->mu);
}

static void run_body(dg_job *job)
{
    GError *error = NULL;
    gboolean ok = job->kind->run(job, job->config, &error);
    /* work below the jobs layer (e.g. loading a data set) that saw the cancel
     * flag fails with G_IO_ERROR_CANCELLED: that is a cancel, not a failure */
    if (!ok && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        dg_job_cancel_requested(job)) {
        g_clear_error(&error);
        ok = TRUE;
    }
    if (!ok && !error)
        g_set_error(&error, DG_JOB_ERROR, DG_JOB_ERROR_FAILED, "%s failed", job->kind->name);
    if (ok)
        g_clear_error(&error);
    finish(job, ok, error);
}

static gpointer thread_main(gpointer data)
{
    run_body(data);
    return NULL;
}

static void mark_running(dg_job *job)
{
    g_mutex_lock(&job->mu);
    gboolean ready = job->state == DG_JOB_READY;
    if (ready) {
        job->state = DG_JOB_RUNNING;
        job->t_start = g_get_monotonic_time();
    }
    g_mutex_unlock(&job->mu);
    g_return_if_fail(ready); /* a job runs once (and the mutex is not held here) */
}

void dg_job_start(dg_job *job)
{
    mark_running(job);
    job->thread = g_thread_new(job->kind->name, thread_main, job);
}

dg_job_state dg_job_run(dg_job *job, GError **error)
{
    mark_running(job);
    run_body(job);
    if (job->error && error)
        *error = g_error_copy(job->error);
    return job->state;
}

dg_job_state dg_job_wait(dg_job *job, GError **error)
{
    if (job->thread) {
        g_thread_join(job->thread);
        job->thread = NULL;
    }
    g_mutex_lock(&job->mu);
    dg_job_state st = job->state;
    if (job->error && error)
        *error = g_error_copy(job->error);
    g_mutex_unlock(&job->mu);
    return st;
}

void dg_job_pause(dg_job *job)
{
    g_mutex_lock(&job->mu);
    job->pause_requested = TRUE;
    g_mutex_unlock(&job->mu);
}

void dg_job_resume(dg_job *job)
{
    g_mutex_lock(&job->mu);
    job->pause_requested = FALSE;
    g_cond_broadcast(&job->cond);
    g_mutex_unlock(&job->mu);
}

void dg_job_cancel(dg_job *job)
{
    g_mutex_lock(&job->mu);
    g_atomic_int_set(&job->cancel_flag, 1);
    g_cond_broadcast(&job->cond);
    g_mutex_unlock(&job->mu);
}

dg_job_state dg_job_get_state(dg_job *job)
{
    g_mutex_lock(&job->mu);
    dg_job_state s = job->state;
    g_mutex_unlock(&job->mu);
    return s;
}

gboolean dg_job_is_finished(dg_job *job)
{
    dg_job_state s = dg_job_get_state(job);
    return s == DG_JOB_SUCCEEDED || s == DG_JOB_CANCELLED || s == DG_JOB_FAILED;
}

gboolean dg_job_cancel_requested(dg_job *job)
{
    return g_atomic_int_get(&job->cancel_flag) != 0;
}

const volatile int *dg_job_cancel_flag(dg_job *job)
{
    return &job->cancel_flag;
}

gboolean dg_job_continue(dg_job *job)
{
    g_mutex_lock(&job->mu);
    if (job->pause_requested && !g_atomic_int_get(&job->cancel_flag)) {
        job->state = DG_JOB_PAUSED;
        gint64 t0 = g_get_monotonic_time();
        g_mutex_unlock(&job->mu);
        dg_job_message(job, "info", "paused");
        g_mutex_lock(&job->mu);
        while (job->pause_requested && !g_atomic_int_get(&job->cancel_flag))
            g_cond_wait(&job->cond, &job->mu);
        job->t_paused += g_get_monotonic_time() - t0;
        job->state = DG_JOB_RUNNING;
        g_mutex_unlock(&job->mu);
        if (!g_atomic_int_get(&job->cancel_flag))
            dg_job_message(job, "info", "resumed");
        g_mutex_lock(&job->mu);
    }
    gboolean go = !g_atomic_int_get(&job->cancel_flag);
    g_mutex_unlock(&job->mu);
    return go;
}

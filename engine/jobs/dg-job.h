/* dg-job.h: long-running work behind one small interface (jobs layer).
 *
 * A job is a kind (name + run function) and a config.  It runs on a worker
 * thread (dg_job_start) or on the caller's thread (dg_job_run), reports what
 * it does as events through one callback, and checks pause and cancel flags
 * between steps (dg_job_continue).  The callback runs on the job's thread: a
 * GUI copies what it needs and hands it to its main loop; it must not block
 * for long.  The CLI and the UI drive every job through this interface. */
#pragma once
#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef enum {
    DG_EVENT_STARTED,  /* message: what the job is about to do */
    DG_EVENT_PROGRESS, /* step/total, rate, eta, values: per-step numbers */
    DG_EVENT_EPOCH,    /* epoch, values: per-epoch numbers (train/val metrics) */
    DG_EVENT_IMAGE,    /* width x height RGB bytes (e.g. a sample grid), path if written */
    DG_EVENT_MESSAGE,  /* level + message: info, warning */
    DG_EVENT_RESULT,   /* json: the job's result document */
    DG_EVENT_FINISHED, /* state: succeeded / cancelled / failed, message on failure */
} dg_event_kind;

typedef enum {
    DG_JOB_READY,
    DG_JOB_RUNNING,
    DG_JOB_PAUSED,
    DG_JOB_SUCCEEDED,
    DG_JOB_CANCELLED,
    DG_JOB_FAILED,
} dg_job_state;

const char *dg_event_kind_name(dg_event_kind k); /* "started", "progress", ... */
const char *dg_job_state_name(dg_job_state s);   /* "ready", "running", ... */

#define DG_EVENT_MAX_VALUES 16

typedef struct {
    dg_event_kind kind;
    const char *job;    /* the job kind's name, filled by dg_job_emit */
    double elapsed;     /* seconds since start, filled by dg_job_emit (paused time excluded) */
    int64_t step, total; /* progress; total 0 = unknown */
    int epoch;
    double rate;        /* items (images) per second; 0 = unknown */
    double eta;         /* seconds left; < 0 unknown */
    int n_values;
    const char *keys[DG_EVENT_MAX_VALUES];
    double values[DG_EVENT_MAX_VALUES];
    const char *level;   /* MESSAGE: "info" | "warning" | "error" */
    const char *message; /* STARTED, MESSAGE, FINISHED */
    int width, height;   /* IMAGE */
    const uint8_t *rgb;  /* IMAGE: width * height * 3 bytes, row-major */
    const char *path;    /* IMAGE: where it was written, or NULL */
    const char *json;    /* RESULT */
    dg_job_state state;  /* FINISHED */
} dg_event;

/* Set a named value on an event (ignored past DG_EVENT_MAX_VALUES). */
void dg_event_set(dg_event *ev, const char *key, double value);
/* Look a value up; returns def when absent. */
double dg_event_get(const dg_event *ev, const char *key, double def);
/* One line of JSON for an event (no newline); free with g_free. */
char *dg_event_to_json(const dg_event *ev);

typedef void (*dg_event_fn)(const dg_event *ev, void *user);

typedef struct dg_job dg_job;

typedef struct {
    const char *name; /* "gan-train", "cnn-train", ... */
    /* Does the work; returns FALSE + error on failure.  Cancellation is not a
     * failure: return TRUE after dg_job_continue said FALSE (the job's state
     * becomes CANCELLED). */
    gboolean (*run)(dg_job *job, void *config, GError **error);
    void (*free_config)(void *config);
} dg_job_kind;

/* The job owns config (freed with kind->free_config).  fn may be NULL. */
dg_job *dg_job_new(const dg_job_kind *kind, void *config, dg_event_fn fn, void *user);
/* Cancels and waits if still running, then frees. */
void dg_job_free(dg_job *job);

/* Run on a new worker thread; returns at once. */
void dg_job_start(dg_job *job);
/* Run on the calling thread; returns the final state. */
dg_job_state dg_job_run(dg_job *job, GError **error);
/* Wait for a started job; returns the final state and its error, if any. */
dg_job_state dg_job_wait(dg_job *job, GError **error);

void dg_job_pause(dg_job *job);
void dg_job_resume(dg_job *job);
void dg_job_cancel(dg_job *job);
dg_job_state dg_job_get_state(dg_job *job);
gboolean dg_job_is_finished(dg_job *job);
const char *dg_job_name(const dg_job *job);
void *dg_job_config(dg_job *job);

/* --- for job implementations (called on the job's thread) --- */

/* Between steps: blocks while paused; returns FALSE when cancel was asked. */
gboolean dg_job_continue(dg_job *job);
/* TRUE once cancel was asked (does not block). */
gboolean dg_job_cancel_requested(dg_job *job);
/* A pointer to an int that is nonzero once cancel was asked, for code below
 * the jobs layer (e.g. data loading) that only takes a flag. */
const volatile int *dg_job_cancel_flag(dg_job *job);
/* Seconds of running time so far (paused time excluded). */
double dg_job_elapsed(dg_job *job);
void dg_job_emit(dg_job *job, dg_event *ev);
void dg_job_message(dg_job *job, const char *level, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* An error domain for job failures. */
#define DG_JOB_ERROR (dg_job_error_quark())
GQuark dg_job_error_quark(void);
typedef enum { DG_JOB_ERROR_FAILED, DG_JOB_ERROR_INVALID, DG_JOB_ERROR_DIVERGED } dg_job_error;

G_END_DECLS

/* dg-job-runner.h: a dg_job driven from the GTK main loop.
 *
 * The job runs on its own worker thread (dg_job_start).  Its event callback,
 * on that thread, copies each event into a queue under a mutex and, when the
 * queue was empty, schedules one short timeout (50 ms, or the interval set)
 * on the main loop; that callback drains the queue and emits "event" for
 * each, in order.  So events arrive in batches at most 20 times a second (4
 * for a training, whose views set 250 ms), and the charts redraw at most that
 * often, however fast the job goes: every frame costs the main thread a
 * repaint, which is CPU taken from training.  Widgets are only ever touched from
 * those signal handlers.
 *
 * The job's thread, and the compute threads it starts, run at a lower CPU
 * priority (nice DG_JOB_NICE, on Linux): when training takes every core, the
 * window still gets the CPU it needs at once, and training loses only the
 * little the window uses.  Disposing the runner cancels the job
 * and waits for its thread (a cancelled job leaves its checkpoint). */
#pragma once
#include <glib-object.h>

#include "jobs/dg-job.h"

G_BEGIN_DECLS

/* A copy of a dg_event that outlives the callback (strings and pixels owned). */
typedef struct {
    dg_event_kind kind;
    double elapsed;
    gint64 step, total;
    int epoch;
    double rate, eta;
    int n_values;
    char *keys[DG_EVENT_MAX_VALUES];
    double values[DG_EVENT_MAX_VALUES];
    char *level, *message;
    int width, height;
    GBytes *rgb; /* IMAGE: width * height * 3 bytes */
    char *path, *json;
    dg_job_state state;
} DgEventCopy;

/* Nice value of job threads (Linux). */
#define DG_JOB_NICE 10
/* Lowers the calling thread's CPU priority to DG_JOB_NICE (no-op elsewhere);
 * threads it creates afterwards inherit it.  The runner calls it on its job's
 * thread; a headless comparison run can call it on its own job thread. */
void dg_job_runner_lower_thread_priority(void);

DgEventCopy *dg_event_copy_new(const dg_event *ev);
void dg_event_copy_free(DgEventCopy *ev);
double dg_event_copy_get(const DgEventCopy *ev, const char *key, double def);

#define DG_TYPE_JOB_RUNNER (dg_job_runner_get_type())
G_DECLARE_FINAL_TYPE(DgJobRunner, dg_job_runner, DG, JOB_RUNNER, GObject)

/* Takes ownership of config (freed with kind->free_config). */
DgJobRunner *dg_job_runner_new(const dg_job_kind *kind, void *config);
/* Time between deliveries of queued events (default 50 ms). */
void dg_job_runner_set_interval(DgJobRunner *self, guint ms);
#define DG_JOB_RUNNER_TRAINING_INTERVAL 250
void dg_job_runner_start(DgJobRunner *self);
void dg_job_runner_pause(DgJobRunner *self);
void dg_job_runner_resume(DgJobRunner *self);
void dg_job_runner_cancel(DgJobRunner *self);
/* As the main thread last saw it: READY, RUNNING, PAUSED, then the final state
 * once the FINISHED event has been delivered.  Property "state". */
dg_job_state dg_job_runner_get_state(DgJobRunner *self);
/* RUNNING or PAUSED (a cancel asked but not finished yet still counts). */
gboolean dg_job_runner_is_active(DgJobRunner *self);
gboolean dg_job_runner_cancel_requested(DgJobRunner *self);
/* The failure message of a FAILED job, else NULL. */
const char *dg_job_runner_get_error(DgJobRunner *self);
const char *dg_job_runner_get_name(DgJobRunner *self);
void *dg_job_runner_get_config(DgJobRunner *self);
/* Events delivered so far (for tests and the benchmark). */
guint dg_job_runner_get_n_events(DgJobRunner *self);

G_END_DECLS

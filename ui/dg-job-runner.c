/* dg-job-runner.c: a dg_job driven from the GTK main loop. */
#include "dg-job-runner.h"

#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define DELIVERY_MS 50 /* default: events reach the main loop 20 times a second at most */

DgEventCopy *dg_event_copy_new(const dg_event *ev)
{
    DgEventCopy *c = g_new0(DgEventCopy, 1);
    c->kind = ev->kind;
    c->elapsed = ev->elapsed;
    c->step = ev->step;
    c->total = ev->total;
    c->epoch = ev->epoch;
    c->rate = ev->rate;
    c->eta = ev->eta;
    c->n_values = CLAMP(ev->n_values, 0, DG_EVENT_MAX_VALUES);
    for (int i = 0; i < c->n_values; i++) {
        c->keys[i] = g_strdup(ev->keys[i]);
        c->values[i] = ev->values[i];
    }
    c->level = g_strdup(ev->level);
    c->message = g_strdup(ev->message);
    if (ev->kind == DG_EVENT_IMAGE && ev->rgb && ev->width > 0 && ev->height > 0) {
        c->width = ev->width;
        c->height = ev->height;
        c->rgb = g_bytes_new(ev->rgb, (gsize)ev->width * ev->height * 3);
    }
    c->path = g_strdup(ev->path);
    c->json = g_strdup(ev->json);
    c->state = ev->state;
    return c;
}

void dg_event_copy_free(DgEventCopy *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_values; i++)
        g_free(c->keys[i]);
    g_free(c->level);
    g_free(c->message);
    g_clear_pointer(&c->rgb, g_bytes_unref);
    g_free(c->path);
    g_free(c->json);
    g_free(c);
}

double dg_event_copy_get(const DgEventCopy *ev, const char *key, double def)
{
    for (int i = 0; i < ev->n_values; i++)
        if (g_strcmp0(ev->keys[i], key) == 0)
            return ev->values[i];
    return def;
}

struct _DgJobRunner {
    GObject parent_instance;

    dg_job *job;
    dg_job_state state;   /* main thread's view */
    gboolean cancel_requested;
    char *error;
    guint n_events;
    gboolean lowered;     /* worker thread only: its priority was lowered */

    GMutex mu;            /* guards the fields below (shared with the worker) */
    GPtrArray *queue;     /* of DgEventCopy*, filled by the worker */
    gboolean delivery_pending;
    guint interval_ms;    /* between deliveries */
    gboolean closed;      /* disposed: the worker's events are dropped */
};

G_DEFINE_FINAL_TYPE(DgJobRunner, dg_job_runner, G_TYPE_OBJECT)

enum { PROP_0, PROP_STATE, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_EVENT, SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void set_state(DgJobRunner *self, dg_job_state st)
{
    if (self->state == st)
        return;
    self->state = st;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_STATE]);
}

/* Main thread: deliver what the worker queued. */
static gboolean drain(gpointer data)
{
    DgJobRunner *self = data;
    g_mutex_lock(&self->mu);
    GPtrArray *batch = self->queue;
    self->queue = g_ptr_array_new();
    self->delivery_pending = FALSE;
    gboolean closed = self->closed;
    g_mutex_unlock(&self->mu);

    for (guint i = 0; i < batch->len && !closed; i++) {
        DgEventCopy *ev = g_ptr_array_index(batch, i);
        self->n_events++;
        if (ev->kind == DG_EVENT_FINISHED) {
            if (ev->state == DG_JOB_FAILED)
                self->error = g_strdup(ev->message ? ev->message : "the job failed");
            /* the final state is visible to the FINISHED event's handlers */
            set_state(self, ev->state);
            g_signal_emit(self, signals[SIGNAL_EVENT], 0, ev);
            g_signal_emit(self, signals[SIGNAL_FINISHED], 0, (int)ev->state);
        } else {
            g_signal_emit(self, signals[SIGNAL_EVENT], 0, ev);
        }
    }
    g_ptr_array_set_free_func(batch, (GDestroyNotify)dg_event_copy_free);
    g_ptr_array_unref(batch);
    return G_SOURCE_REMOVE;
}

void dg_job_runner_lower_thread_priority(void)
{
#ifdef __linux__
    /* Linux's nice value belongs to a thread; threads created later by this
     * one (the job's compute pool) inherit it */
    pid_t tid = (pid_t)syscall(SYS_gettid);
    int now = getpriority(PRIO_PROCESS, (id_t)tid);
    if (now < DG_JOB_NICE)
        setpriority(PRIO_PROCESS, (id_t)tid, DG_JOB_NICE);
#endif
}

/* Worker thread: copy the event and wake the main loop. */
static void on_job_event(const dg_event *ev, void *user)
{
    DgJobRunner *self = user;
    if (!self->lowered) {
        /* the first event (STARTED) comes before the job makes its threads */
        self->lowered = TRUE;
        dg_job_runner_lower_thread_priority();
    }
    DgEventCopy *copy = dg_event_copy_new(ev);
    g_mutex_lock(&self->mu);
    if (self->closed) {
        g_mutex_unlock(&self->mu);
        dg_event_copy_free(copy);
        return;
    }
    g_ptr_array_add(self->queue, copy);
    if (!self->delivery_pending) {
        /* Deliver in batches, at most interval_ms apart: a job may emit a
         * thousand events a second, and an idle source at any one priority
         * would either starve the frame clock or be starved by it. */
        self->delivery_pending = TRUE;
        g_timeout_add_full(G_PRIORITY_DEFAULT, self->interval_ms, drain, g_object_ref(self),
                           g_object_unref);
    }
    g_mutex_unlock(&self->mu);
}

static void dg_job_runner_dispose(GObject *object)
{
    DgJobRunner *self = DG_JOB_RUNNER(object);
    g_mutex_lock(&self->mu);
    self->closed = TRUE;
    g_mutex_unlock(&self->mu);
    /* cancels a running job and joins its thread; its checkpoint stays */
    g_clear_pointer(&self->job, dg_job_free);
    G_OBJECT_CLASS(dg_job_runner_parent_class)->dispose(object);
}

static void dg_job_runner_finalize(GObject *object)
{
    DgJobRunner *self = DG_JOB_RUNNER(object);
    g_ptr_array_set_free_func(self->queue, (GDestroyNotify)dg_event_copy_free);
    g_ptr_array_unref(self->queue);
    g_mutex_clear(&self->mu);
    g_free(self->error);
    G_OBJECT_CLASS(dg_job_runner_parent_class)->finalize(object);
}

static void dg_job_runner_get_property(GObject *object, guint id, GValue *value,
                                       GParamSpec *pspec)
{
    DgJobRunner *self = DG_JOB_RUNNER(object);
    switch (id) {
    case PROP_STATE:
        g_value_set_int(value, self->state);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void dg_job_runner_class_init(DgJobRunnerClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->dispose = dg_job_runner_dispose;
    oc->finalize = dg_job_runner_finalize;
    oc->get_property = dg_job_runner_get_property;

    props[PROP_STATE] = g_param_spec_int("state", NULL, NULL, DG_JOB_READY, DG_JOB_FAILED,
                                         DG_JOB_READY,
                                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                             G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);

    /* event(const DgEventCopy *ev): on the main thread, in the job's order */
    signals[SIGNAL_EVENT] = g_signal_new("event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
    /* finished(int state): after the FINISHED event */
    signals[SIGNAL_FINISHED] = g_signal_new("finished", G_TYPE_FROM_CLASS(klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                            1, G_TYPE_INT);
}

static void dg_job_runner_init(DgJobRunner *self)
{
    g_mutex_init(&self->mu);
    self->queue = g_ptr_array_new();
    self->state = DG_JOB_READY;
    self->interval_ms = DELIVERY_MS;
}

DgJobRunner *dg_job_runner_new(const dg_job_kind *kind, void *config)
{
    DgJobRunner *self = g_object_new(DG_TYPE_JOB_RUNNER, NULL);
    self->job = dg_job_new(kind, config, on_job_event, self);
    return self;
}

void dg_job_runner_set_interval(DgJobRunner *self, guint ms)
{
    g_return_if_fail(DG_IS_JOB_RUNNER(self));
    g_mutex_lock(&self->mu);
    self->interval_ms = CLAMP(ms, 1, 2000);
    g_mutex_unlock(&self->mu);
}

void dg_job_runner_start(DgJobRunner *self)
{
    g_return_if_fail(DG_IS_JOB_RUNNER(self));
    g_return_if_fail(self->state == DG_JOB_READY);
    set_state(self, DG_JOB_RUNNING);
    dg_job_start(self->job);
}

void dg_job_runner_pause(DgJobRunner *self)
{
    g_return_if_fail(DG_IS_JOB_RUNNER(self));
    if (self->state != DG_JOB_RUNNING)
        return;
    dg_job_pause(self->job);
    set_state(self, DG_JOB_PAUSED);
}

void dg_job_runner_resume(DgJobRunner *self)
{
    g_return_if_fail(DG_IS_JOB_RUNNER(self));
    if (self->state != DG_JOB_PAUSED)
        return;
    dg_job_resume(self->job);
    set_state(self, DG_JOB_RUNNING);
}

void dg_job_runner_cancel(DgJobRunner *self)
{
    g_return_if_fail(DG_IS_JOB_RUNNER(self));
    if (!dg_job_runner_is_active(self))
        return;
    self->cancel_requested = TRUE;
    dg_job_cancel(self->job); /* also wakes a paused job */
    if (self->state == DG_JOB_PAUSED)
        set_state(self, DG_JOB_RUNNING);
}

dg_job_state dg_job_runner_get_state(DgJobRunner *self)
{
    g_return_val_if_fail(DG_IS_JOB_RUNNER(self), DG_JOB_FAILED);
    return self->state;
}

gboolean dg_job_runner_is_active(DgJobRunner *self)
{
    g_return_val_if_fail(DG_IS_JOB_RUNNER(self), FALSE);
    return self->state == DG_JOB_RUNNING || self->state == DG_JOB_PAUSED;
}

gboolean dg_job_runner_cancel_requested(DgJobRunner *self)
{
    g_return_val_if_fail(DG_IS_JOB_RUNNER(self), FALSE);
    return self->cancel_requested;
}

const char *dg_job_runner_get_error(DgJobRunner *self)
{
    g_return_val_if_fail(DG_IS_JOB_RUNNER(self), NULL);
    return self->error;
}

const char *dg_job_runner_get_name(DgJobRunner *self)
{
    g_return_val_if_fail(DG_IS_JOB_RUNNER(self), NULL);
    return self->job ? dg_job_name(self->job) : NULL;
}

void *dg_job_runner_get_config(DgJobRunner *self)
{
    g_return_val_if_fail(DG_IS_JOB_RUNNER(self), NULL);
    return self->job ? dg_job_config(self->job) : NULL;
}

guint dg_job_runner_get_n_events(DgJobRunner *self)
{
    g_return_val_if_fail(DG_IS_JOB_RUNNER(self), 0);
    return self->n_events;
}

/* dg-session.c: what the views of one window share. */
#include "dg-session.h"

#include <string.h>

#include "jobs/dg-job-dataset.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-run-info.h"

struct _DgSession {
    GObject parent_instance;

    GSettings *settings;
    dg_dataset *dataset;
    char *generator, *classifier, *synthetic;
    GPtrArray *active; /* of DgJobRunner* */

    gboolean all_classes;   /* the data set was loaded with all its classes */
    DgJobRunner *load;      /* the dataset-load job in progress, or NULL */
    gboolean load_all;      /* what it was asked for */
    GPtrArray *retiring;    /* superseded loads, kept until their threads end */
};

G_DEFINE_FINAL_TYPE(DgSession, dg_session, G_TYPE_OBJECT)

enum { PROP_0, PROP_DATASET, PROP_GENERATOR, PROP_CLASSIFIER, PROP_SYNTHETIC, PROP_BUSY, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_LOAD_STARTED, SIGNAL_LOAD_PROGRESS, SIGNAL_LOAD_FAILED, SIGNAL_TOAST, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- data set loading ----------------------------------------------------------------
 *
 * A dataset-load job (jobs/dg-job-dataset.h) on its own thread: the session
 * never loads or splits a data set itself.  A superseded load is cancelled
 * and kept until its thread has ended (disposing a runner joins its thread:
 * that would block the window). */

static void on_retired(DgJobRunner *runner, int state, DgSession *self)
{
    (void)state;
    g_signal_handlers_disconnect_by_data(runner, self);
    g_ptr_array_remove(self->retiring, runner);
}

static void drop_load(DgSession *self)
{
    DgJobRunner *r = g_steal_pointer(&self->load);
    g_signal_handlers_disconnect_by_data(r, self);
    dg_job_runner_cancel(r);
    if (dg_job_runner_is_active(r)) {
        g_ptr_array_add(self->retiring, r);
        g_signal_connect(r, "finished", G_CALLBACK(on_retired), self);
    } else {
        g_object_unref(r);
    }
}

static void on_load_event(DgJobRunner *runner, const DgEventCopy *ev, DgSession *self)
{
    if (runner != self->load)
        return;
    if (ev->kind == DG_EVENT_PROGRESS)
        g_signal_emit(self, signals[SIGNAL_LOAD_PROGRESS], 0,
                      ev->total > 0 ? (double)ev->step / ev->total : 0.0, ev->message);
    if (ev->kind != DG_EVENT_FINISHED)
        return;
    dg_dataset_load_config *c = dg_job_runner_get_config(runner);
    g_autofree char *path = g_strdup(c->path);
    dg_dataset *ds = ev->state == DG_JOB_SUCCEEDED ? dg_dataset_load_config_take(c) : NULL;
    g_autoptr(DgJobRunner) done = g_steal_pointer(&self->load); /* its thread has ended */
    g_signal_handlers_disconnect_by_data(done, self);
    if (!ds) {
        /* message NULL: cancelled */
        g_signal_emit(self, signals[SIGNAL_LOAD_FAILED], 0, path,
                      ev->state == DG_JOB_FAILED ? ev->message : NULL);
        return;
    }
    if (self->dataset)
        dg_dataset_free(self->dataset);
    self->dataset = ds;
    self->all_classes = self->load_all;
    g_settings_set_string(self->settings, "last-dataset", ds->root);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_DATASET]);
}

void dg_session_load_dataset(DgSession *self, const char *path)
{
    g_return_if_fail(DG_IS_SESSION(self));
    dg_session_load_dataset_full(self, path, g_settings_get_boolean(self->settings, "all-classes"));
}

void dg_session_load_dataset_full(DgSession *self, const char *path, gboolean all_classes)
{
    g_return_if_fail(DG_IS_SESSION(self));
    g_return_if_fail(path != NULL);
    if (self->load)
        drop_load(self); /* superseded: the new load's signals follow */
    dg_dataset_load_config *c = dg_dataset_load_config_new();
    c->path = g_strdup(path);
    c->all_classes = all_classes;
    c->size = g_settings_get_int(self->settings, "image-size");
    c->threads = dg_session_get_threads(self);
    c->split_seed = DG_SPLIT_SEED;
    self->load = dg_job_runner_new(&dg_job_dataset_load, c);
    self->load_all = all_classes;
    dg_job_runner_set_interval(self->load, 100);
    g_signal_connect(self->load, "event", G_CALLBACK(on_load_event), self);
    dg_job_runner_start(self->load);
    g_signal_emit(self, signals[SIGNAL_LOAD_STARTED], 0, path);
}

void dg_session_cancel_load(DgSession *self)
{
    g_return_if_fail(DG_IS_SESSION(self));
    if (!self->load)
        return;
    dg_dataset_load_config *c = dg_job_runner_get_config(self->load);
    g_autofree char *path = g_strdup(c->path);
    drop_load(self);
    g_signal_emit(self, signals[SIGNAL_LOAD_FAILED], 0, path, NULL);
}

gboolean dg_session_is_loading(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), FALSE);
    return self->load != NULL;
}

gboolean dg_session_get_all_classes(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), FALSE);
    return self->all_classes;
}

const dg_dataset *dg_session_get_dataset(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), NULL);
    return self->dataset;
}

const char *dg_session_get_dataset_path(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), NULL);
    return self->dataset ? self->dataset->root : NULL;
}

/* ---- models ----------------------------------------------------------------------- */

static void set_string(DgSession *self, char **field, const char *value, int prop)
{
    if (g_strcmp0(*field, value) == 0)
        return;
    g_free(*field);
    *field = g_strdup(value);
    g_object_notify_by_pspec(G_OBJECT(self), props[prop]);
}

const char *dg_session_get_generator(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), NULL);
    return self->generator;
}

void dg_session_set_generator(DgSession *self, const char *path)
{
    g_return_if_fail(DG_IS_SESSION(self));
    set_string(self, &self->generator, path, PROP_GENERATOR);
}

const char *dg_session_get_classifier(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), NULL);
    return self->classifier;
}

void dg_session_set_classifier(DgSession *self, const char *path)
{
    g_return_if_fail(DG_IS_SESSION(self));
    set_string(self, &self->classifier, path, PROP_CLASSIFIER);
}

const char *dg_session_get_synthetic(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), NULL);
    return self->synthetic;
}

void dg_session_set_synthetic(DgSession *self, const char *folder)
{
    g_return_if_fail(DG_IS_SESSION(self));
    set_string(self, &self->synthetic, folder, PROP_SYNTHETIC);
    if (folder)
        g_settings_set_string(self->settings, "last-generate-folder", folder);
}

gboolean dg_session_is_bundled(const char *path)
{
    if (!path)
        return FALSE;
    const char *names[] = {"models/generator.safetensors", "models/classifier.safetensors"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *b = dg_find_resource(names[i]);
        if (b && strcmp(b, path) == 0)
            return TRUE;
    }
    return FALSE;
}

char *dg_session_describe_model(const char *path)
{
    if (!path)
        return g_strdup("none");
    if (dg_session_is_bundled(path))
        return g_strdup("Bundled default");
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *folder = g_path_get_basename(dir);
    g_autofree char *name = g_path_get_basename(path);
    g_autofree char *fd = g_filename_display_name(folder);
    g_autofree char *nd = g_filename_display_name(name);
    return g_strdup_printf("%s/%s", fd, nd);
}

char *dg_session_new_run_dir(DgSession *self, const char *kind)
{
    g_return_val_if_fail(DG_IS_SESSION(self), NULL);
    return dg_runs_new_dir(kind);
}

/* ---- jobs ------------------------------------------------------------------------- */

static void on_runner_finished(DgJobRunner *runner, int state, DgSession *self)
{
    (void)state;
    g_signal_handlers_disconnect_by_func(runner, on_runner_finished, self);
    gboolean was_busy = self->active->len > 0;
    g_ptr_array_remove(self->active, runner);
    if (was_busy && self->active->len == 0)
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BUSY]);
}

void dg_session_track(DgSession *self, DgJobRunner *runner)
{
    g_return_if_fail(DG_IS_SESSION(self));
    g_return_if_fail(DG_IS_JOB_RUNNER(runner));
    if (g_ptr_array_find(self->active, runner, NULL))
        return;
    gboolean was_busy = self->active->len > 0;
    g_ptr_array_add(self->active, g_object_ref(runner));
    g_signal_connect(runner, "finished", G_CALLBACK(on_runner_finished), self);
    if (!was_busy)
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_BUSY]);
}

gboolean dg_session_is_busy(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), FALSE);
    return self->active->len > 0;
}

GPtrArray *dg_session_get_active(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), NULL);
    GPtrArray *a = g_ptr_array_new();
    for (guint i = 0; i < self->active->len; i++)
        g_ptr_array_add(a, g_ptr_array_index(self->active, i));
    return a;
}

void dg_session_cancel_all(DgSession *self)
{
    g_return_if_fail(DG_IS_SESSION(self));
    for (guint i = 0; i < self->active->len; i++)
        dg_job_runner_cancel(g_ptr_array_index(self->active, i));
    dg_session_cancel_load(self);
}

void dg_session_toast(DgSession *self, gboolean error, const char *fmt, ...)
{
    g_return_if_fail(DG_IS_SESSION(self));
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (error)
        g_message("%s", msg);
    g_signal_emit(self, signals[SIGNAL_TOAST], 0, msg, error);
}

/* ---- GObject ---------------------------------------------------------------------- */

static void dg_session_dispose(GObject *object)
{
    DgSession *self = DG_SESSION(object);
    if (self->load)
        drop_load(self);
    if (self->retiring) {
        /* the window is going: wait for the cancelled loads' threads */
        for (guint i = 0; i < self->retiring->len; i++)
            g_signal_handlers_disconnect_by_data(g_ptr_array_index(self->retiring, i), self);
        g_ptr_array_set_size(self->retiring, 0);
    }
    if (self->active) {
        for (guint i = 0; i < self->active->len; i++)
            g_signal_handlers_disconnect_by_func(g_ptr_array_index(self->active, i),
                                                 on_runner_finished, self);
        g_ptr_array_set_size(self->active, 0);
    }
    g_clear_object(&self->settings);
    G_OBJECT_CLASS(dg_session_parent_class)->dispose(object);
}

static void dg_session_finalize(GObject *object)
{
    DgSession *self = DG_SESSION(object);
    g_ptr_array_unref(self->active);
    g_ptr_array_unref(self->retiring);
    if (self->dataset)
        dg_dataset_free(self->dataset);
    g_free(self->generator);
    g_free(self->classifier);
    g_free(self->synthetic);
    G_OBJECT_CLASS(dg_session_parent_class)->finalize(object);
}

static void dg_session_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    DgSession *self = DG_SESSION(object);
    switch (id) {
    case PROP_DATASET:
        g_value_set_pointer(value, self->dataset);
        break;
    case PROP_GENERATOR:
        g_value_set_string(value, self->generator);
        break;
    case PROP_CLASSIFIER:
        g_value_set_string(value, self->classifier);
        break;
    case PROP_SYNTHETIC:
        g_value_set_string(value, self->synthetic);
        break;
    case PROP_BUSY:
        g_value_set_boolean(value, self->active->len > 0);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void dg_session_set_property(GObject *object, guint id, const GValue *value,
                                    GParamSpec *pspec)
{
    DgSession *self = DG_SESSION(object);
    switch (id) {
    case PROP_GENERATOR:
        dg_session_set_generator(self, g_value_get_string(value));
        break;
    case PROP_CLASSIFIER:
        dg_session_set_classifier(self, g_value_get_string(value));
        break;
    case PROP_SYNTHETIC:
        dg_session_set_synthetic(self, g_value_get_string(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void dg_session_class_init(DgSessionClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->dispose = dg_session_dispose;
    oc->finalize = dg_session_finalize;
    oc->get_property = dg_session_get_property;
    oc->set_property = dg_session_set_property;
    const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
    const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
    props[PROP_DATASET] = g_param_spec_pointer("dataset", NULL, NULL, ro);
    props[PROP_GENERATOR] = g_param_spec_string("generator", NULL, NULL, NULL, rw);
    props[PROP_CLASSIFIER] = g_param_spec_string("classifier", NULL, NULL, NULL, rw);
    props[PROP_SYNTHETIC] = g_param_spec_string("synthetic", NULL, NULL, NULL, rw);
    props[PROP_BUSY] = g_param_spec_boolean("busy", NULL, NULL, FALSE, ro);
    g_object_class_install_properties(oc, N_PROPS, props);

    signals[SIGNAL_LOAD_STARTED] =
        g_signal_new("load-started", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
    signals[SIGNAL_LOAD_PROGRESS] =
        g_signal_new("load-progress", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_STRING);
    /* load-failed(path, message): message NULL when the load was cancelled */
    signals[SIGNAL_LOAD_FAILED] =
        g_signal_new("load-failed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
    signals[SIGNAL_TOAST] = g_signal_new("toast", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                         G_TYPE_BOOLEAN);
}

static void dg_session_init(DgSession *self)
{
    self->active = g_ptr_array_new_with_free_func(g_object_unref);
    self->retiring = g_ptr_array_new_with_free_func(g_object_unref);
}

/* The model a view starts with: the bundled one, else the last trained one. */
static char *initial_model(GSettings *settings, const char *bundled, const char *run_key,
                           const char *file)
{
    char *p = dg_find_resource(bundled);
    if (p)
        return p;
    g_autofree char *run = g_settings_get_string(settings, run_key);
    if (run && *run) {
        char *m = g_build_filename(run, file, NULL);
        if (g_file_test(m, G_FILE_TEST_IS_REGULAR))
            return m;
        g_free(m);
    }
    return NULL;
}

DgSession *dg_session_new(GSettings *settings)
{
    g_return_val_if_fail(G_IS_SETTINGS(settings), NULL);
    DgSession *self = g_object_new(DG_TYPE_SESSION, NULL);
    self->settings = g_object_ref(settings);
    self->generator = initial_model(settings, "models/generator.safetensors", "last-gan-run",
                                    "generator.safetensors");
    self->classifier = initial_model(settings, "models/classifier.safetensors", "last-cnn-run",
                                     "model.safetensors");
    g_autofree char *syn = g_settings_get_string(settings, "last-generate-folder");
    if (syn && *syn && g_file_test(syn, G_FILE_TEST_IS_DIR))
        self->synthetic = g_strdup(syn);
    return self;
}

GSettings *dg_session_get_settings(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), NULL);
    return self->settings;
}

int dg_session_get_threads(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), 0);
    return g_settings_get_int(self->settings, "threads");
}

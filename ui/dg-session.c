/* dg-session.c: what the views of one window share. */
#include "dg-session.h"

#include <string.h>

#include "jobs/dg-job-util.h"

/* One data-set load; shared by the worker (GTask) and the main thread. */
typedef struct {
    char *path;
    int size, threads;
    volatile int cancel;
    GMutex mu; /* guards fraction and what */
    double fraction;
    char *what;
} load_state;

static void load_state_free(load_state *ls)
{
    g_free(ls->path);
    g_free(ls->what);
    g_mutex_clear(&ls->mu);
    g_free(ls);
}

struct _DgSession {
    GObject parent_instance;

    GSettings *settings;
    dg_dataset *dataset;
    char *generator, *classifier, *synthetic;
    GPtrArray *active; /* of DgJobRunner* */

    GTask *load_task;  /* the load in progress, or NULL */
    load_state *load;  /* owned by load_task's task data */
    guint load_poll;
};

G_DEFINE_FINAL_TYPE(DgSession, dg_session, G_TYPE_OBJECT)

enum { PROP_0, PROP_DATASET, PROP_GENERATOR, PROP_CLASSIFIER, PROP_SYNTHETIC, PROP_BUSY, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_LOAD_STARTED, SIGNAL_LOAD_PROGRESS, SIGNAL_LOAD_FAILED, SIGNAL_TOAST, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- data set loading ---------------------------------------------------------------- */

static void on_load_progress(double fraction, const char *what, void *user)
{
    load_state *ls = user; /* loading thread: only the latest value is kept */
    g_mutex_lock(&ls->mu);
    ls->fraction = fraction;
    if (g_strcmp0(ls->what, what) != 0) {
        g_free(ls->what);
        ls->what = g_strdup(what);
    }
    g_mutex_unlock(&ls->mu);
}

static void load_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    (void)cancellable;
    load_state *ls = data;
    dg_load_options opt;
    dg_load_options_init(&opt);
    opt.size = ls->size;
    opt.threads = ls->threads;
    opt.progress = on_load_progress;
    opt.progress_user = ls;
    opt.cancel = &ls->cancel;
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(ls->path, &opt, &error);
    if (!ds) {
        g_task_return_error(task, error);
        return;
    }
    GError *split_error = NULL;
    if (!dg_dataset_split(ds, DG_SPLIT_SEED, DG_SPLIT_TRAIN_FRACTION, DG_SPLIT_VAL_FRACTION,
                          &split_error)) {
        /* still worth showing; the jobs will refuse it with the same reason */
        g_ptr_array_add(ds->warnings,
                        g_strdup_printf("cannot be split for training: %s", split_error->message));
        g_error_free(split_error);
    }
    g_task_return_pointer(task, ds, (GDestroyNotify)dg_dataset_free);
}

static gboolean load_poll(gpointer data)
{
    DgSession *self = data;
    if (!self->load)
        return G_SOURCE_CONTINUE;
    g_mutex_lock(&self->load->mu);
    double f = self->load->fraction;
    char *what = g_strdup(self->load->what);
    g_mutex_unlock(&self->load->mu);
    g_signal_emit(self, signals[SIGNAL_LOAD_PROGRESS], 0, f, what);
    g_free(what);
    return G_SOURCE_CONTINUE;
}

static void load_done(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)data;
    DgSession *self = DG_SESSION(source);
    GTask *task = G_TASK(res);
    load_state *ls = g_task_get_task_data(task);
    GError *error = NULL;
    dg_dataset *ds = g_task_propagate_pointer(task, &error);
    if (task != self->load_task) {
        /* superseded by a newer load */
        if (ds)
            dg_dataset_free(ds);
        g_clear_error(&error);
        return;
    }
    g_clear_handle_id(&self->load_poll, g_source_remove);
    char *path = g_strdup(ls->path);
    self->load = NULL;
    g_clear_object(&self->load_task);
    if (!ds) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_signal_emit(self, signals[SIGNAL_LOAD_FAILED], 0, path, error->message);
        else
            g_signal_emit(self, signals[SIGNAL_LOAD_FAILED], 0, path, NULL);
        g_error_free(error);
        g_free(path);
        return;
    }
    if (self->dataset)
        dg_dataset_free(self->dataset);
    self->dataset = ds;
    g_settings_set_string(self->settings, "last-dataset", ds->root);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_DATASET]);
    g_free(path);
}

static void drop_load(DgSession *self)
{
    g_atomic_int_set(&self->load->cancel, 1);
    g_clear_handle_id(&self->load_poll, g_source_remove);
    self->load = NULL;
    g_clear_object(&self->load_task); /* its completion is ignored */
}

void dg_session_load_dataset(DgSession *self, const char *path)
{
    g_return_if_fail(DG_IS_SESSION(self));
    g_return_if_fail(path != NULL);
    if (self->load_task)
        drop_load(self); /* superseded: the new load's signals follow */
    load_state *ls = g_new0(load_state, 1);
    g_mutex_init(&ls->mu);
    ls->path = g_strdup(path);
    ls->size = g_settings_get_int(self->settings, "image-size");
    ls->threads = dg_session_get_threads(self);
    self->load = ls;
    self->load_task = g_task_new(self, NULL, load_done, NULL);
    g_task_set_task_data(self->load_task, ls, (GDestroyNotify)load_state_free);
    g_task_set_name(self->load_task, "dermagan: load data set");
    /* the task keeps itself alive while running; load_task is our own reference */
    g_task_run_in_thread(self->load_task, load_thread);
    self->load_poll = g_timeout_add(100, load_poll, self);
    g_signal_emit(self, signals[SIGNAL_LOAD_STARTED], 0, path);
}

void dg_session_cancel_load(DgSession *self)
{
    g_return_if_fail(DG_IS_SESSION(self));
    if (!self->load_task)
        return;
    g_autofree char *path = g_strdup(self->load->path);
    drop_load(self);
    g_signal_emit(self, signals[SIGNAL_LOAD_FAILED], 0, path, NULL);
}

gboolean dg_session_is_loading(DgSession *self)
{
    g_return_val_if_fail(DG_IS_SESSION(self), FALSE);
    return self->load_task != NULL;
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
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
    char *base = g_build_filename(g_get_user_data_dir(), "dermagan", "runs", NULL);
    char *dir = NULL;
    for (int i = 0; i < 1000; i++) {
        g_autofree char *name = i == 0 ? g_strdup_printf("%s-%s", kind, stamp)
                                       : g_strdup_printf("%s-%s-%d", kind, stamp, i + 1);
        dir = g_build_filename(base, name, NULL);
        if (!g_file_test(dir, G_FILE_TEST_EXISTS))
            break;
        g_clear_pointer(&dir, g_free);
    }
    g_free(base);
    return dir;
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
    if (self->load_task)
        drop_load(self);
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

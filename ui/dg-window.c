/* dg-window.c: the main window. */
#include "dg-window.h"

#include <string.h>

#include "dg-ui-util.h"
#include "jobs/dg-job-util.h"

struct _DgWindow {
    AdwApplicationWindow parent_instance;

    AdwToastOverlay *toast_overlay;
    AdwViewStack *view_stack;
    GtkImage *busy_icon;
    DgDatasetView *dataset_view;
    DgGanView *gan_view;
    DgGenerateView *generate_view;
    DgClassifierView *classifier_view;
    DgDiagnoseView *diagnose_view;

    DgSession *session;
    GSettings *settings;
    gboolean close_confirmed; /* asked; closing once the jobs have stopped */
    GtkWidget *close_dialog;
    guint n_toasts;
    char *last_toast;
    GPtrArray *toasts; /* shown or queued, not dismissed yet */
    char *shown_view;  /* the view the toasts belong to */
};

G_DEFINE_FINAL_TYPE(DgWindow, dg_window, ADW_TYPE_APPLICATION_WINDOW)

/* ---- messages -------------------------------------------------------------------------------- */

/* One message at a time: a queue would show an old error long after, over what
 * the user does now, and in another view.  A new message replaces the one
 * shown; switching views clears it.  libadwaita 1.2 frees a toast twice when
 * it is dismissed during its own show animation (0.5 s): a toast younger than
 * that is retitled instead, or dismissed a little later. */
#define TOAST_SETTLE_US 650000

static void on_toast_dismissed(AdwToast *t, DgWindow *self)
{
    g_ptr_array_remove(self->toasts, t);
}

static gint64 toast_age(AdwToast *t)
{
    gint64 *shown = g_object_get_data(G_OBJECT(t), "dg-shown-at");
    return shown ? g_get_monotonic_time() - *shown : G_MAXINT64;
}

typedef struct {
    DgWindow *self;
    AdwToast *toast;
} late_dismiss;

static gboolean dismiss_late(gpointer data)
{
    late_dismiss *d = data;
    if (g_ptr_array_find(d->self->toasts, d->toast, NULL))
        adw_toast_dismiss(d->toast);
    g_object_unref(d->toast);
    g_object_unref(d->self);
    g_free(d);
    return G_SOURCE_REMOVE;
}

static void safe_dismiss(DgWindow *self, AdwToast *t)
{
    gint64 age = toast_age(t);
    if (age >= TOAST_SETTLE_US) {
        adw_toast_dismiss(t);
        return;
    }
    late_dismiss *d = g_new(late_dismiss, 1);
    d->self = g_object_ref(self);
    d->toast = g_object_ref(t);
    g_timeout_add((guint)((TOAST_SETTLE_US - age) / 1000) + 20, dismiss_late, d);
}

void dg_window_dismiss_toasts(DgWindow *self)
{
    g_return_if_fail(DG_IS_WINDOW(self));
    /* dismissing removes a toast from the list: work on a copy */
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; i < self->toasts->len; i++)
        g_ptr_array_add(all, g_object_ref(g_ptr_array_index(self->toasts, i)));
    for (guint i = 0; i < all->len; i++)
        safe_dismiss(self, g_ptr_array_index(all, i));
}

void dg_window_toast(DgWindow *self, const char *message, gboolean error)
{
    g_return_if_fail(DG_IS_WINDOW(self));
    /* a message may quote a file name: no control characters in markup */
    g_autofree char *clean = g_utf8_make_valid(message, -1);
    for (char *c = clean; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    g_autofree char *esc = g_markup_escape_text(clean, -1);
    self->n_toasts++;
    g_free(self->last_toast);
    self->last_toast = g_strdup(message);
    AdwToast *live = self->toasts->len ? g_ptr_array_index(self->toasts, self->toasts->len - 1)
                                       : NULL;
    if (live && toast_age(live) < TOAST_SETTLE_US) {
        adw_toast_set_title(live, esc); /* just shown: it says the new message */
        return;
    }
    dg_window_dismiss_toasts(self);
    AdwToast *t = adw_toast_new(esc);
    if (error)
        adw_toast_set_timeout(t, 10);
    gint64 *shown = g_new(gint64, 1);
    *shown = g_get_monotonic_time();
    g_object_set_data_full(G_OBJECT(t), "dg-shown-at", shown, g_free);
    g_ptr_array_add(self->toasts, g_object_ref(t));
    g_signal_connect_object(t, "dismissed", G_CALLBACK(on_toast_dismissed), self, 0);
    adw_toast_overlay_add_toast(self->toast_overlay, t);
}

/* Messages belong to the view they came from: another view starts clean (a message
 * that has just come stays: it is about what brought the user here). */
static void on_view_changed(DgWindow *self)
{
    if (g_strcmp0(self->shown_view, dg_window_get_view(self)) == 0)
        return;
    g_free(self->shown_view);
    self->shown_view = g_strdup(dg_window_get_view(self));
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; i < self->toasts->len; i++)
        g_ptr_array_add(all, g_object_ref(g_ptr_array_index(self->toasts, i)));
    for (guint i = 0; i < all->len; i++) {
        AdwToast *t = g_ptr_array_index(all, i);
        if (toast_age(t) >= TOAST_SETTLE_US)
            safe_dismiss(self, t);
    }
}

static void on_session_toast(DgSession *s, const char *message, gboolean error, DgWindow *self)
{
    (void)s;
    dg_window_toast(self, message, error);
}

static void on_load_failed(DgSession *s, const char *path, const char *message, DgWindow *self)
{
    (void)s;
    if (!message)
        return; /* cancelled */
    g_autofree char *disp = g_filename_display_name(path);
    g_autofree char *t = g_strdup_printf("Cannot open %s as a data set: %s", disp, message);
    dg_window_toast(self, t, TRUE);
}

static void on_dataset_loaded(DgSession *s, GParamSpec *p, DgWindow *self)
{
    (void)p;
    const dg_dataset *ds = dg_session_get_dataset(s);
    int files = 0, rows = 0;
    if (ds)
        dg_dataset_skip_counts(ds, &files, &rows);
    if (files > 0 || rows > 0) {
        g_autofree char *t = g_strdup_printf("%d file%s and %d metadata row%s were skipped; the "
                                             "Dataset view lists them with the reasons",
                                             files, files == 1 ? "" : "s", rows,
                                             rows == 1 ? "" : "s");
        dg_window_toast(self, t, FALSE);
    }
}

static const char *job_title(const char *kind);

static void on_busy(DgSession *s, GParamSpec *p, DgWindow *self)
{
    (void)p;
    /* a still icon, not a spinner: an animation would repaint the window all
     * the time and take CPU from the training */
    gboolean busy = dg_session_is_busy(s);
    gtk_widget_set_visible(GTK_WIDGET(self->busy_icon), busy);
    if (busy) {
        g_autoptr(GPtrArray) act = dg_session_get_active(s);
        GString *tip = g_string_new("Running: ");
        for (guint i = 0; i < act->len; i++)
            g_string_append_printf(tip, "%s%s", i ? ", " : "",
                                   job_title(dg_job_runner_get_name(g_ptr_array_index(act, i))));
        gtk_widget_set_tooltip_text(GTK_WIDGET(self->busy_icon), tip->str);
        g_string_free(tip, TRUE);
    }
    if (!busy && self->close_confirmed)
        gtk_window_close(GTK_WINDOW(self)); /* every job has stopped and kept its checkpoint */
}

/* ---- views ----------------------------------------------------------------------------------- */

void dg_window_show_view(DgWindow *self, const char *name)
{
    g_return_if_fail(DG_IS_WINDOW(self));
    adw_view_stack_set_visible_child_name(self->view_stack, name);
}

const char *dg_window_get_view(DgWindow *self)
{
    g_return_val_if_fail(DG_IS_WINDOW(self), NULL);
    return adw_view_stack_get_visible_child_name(self->view_stack);
}

static gboolean open_path(DgWindow *self, const char *path, GFileType type)
{
    if (type == G_FILE_TYPE_DIRECTORY) {
        dg_session_load_dataset(self->session, path);
        dg_window_show_view(self, "dataset");
        return TRUE;
    }
    if (type == G_FILE_TYPE_REGULAR) {
        if (dg_diagnose_view_open(self->diagnose_view, path)) {
            dg_window_show_view(self, "diagnose");
            return TRUE;
        }
        return FALSE;
    }
    g_autofree char *disp = g_filename_display_name(path);
    g_autofree char *t = g_strdup_printf("%s is neither a folder nor an image file", disp);
    dg_window_toast(self, t, TRUE);
    return FALSE;
}

gboolean dg_window_open_file(DgWindow *self, GFile *file)
{
    g_return_val_if_fail(DG_IS_WINDOW(self), FALSE);
    g_autofree char *path = g_file_get_path(file);
    if (!path) {
        g_autofree char *uri = g_file_get_uri(file);
        g_autofree char *t = g_strdup_printf("Only local files can be opened, not %s", uri);
        dg_window_toast(self, t, TRUE);
        return FALSE;
    }
    GFileType type = g_file_query_file_type(file, G_FILE_QUERY_INFO_NONE, NULL);
    return open_path(self, path, type);
}

/* ---- drag and drop ----------------------------------------------------------------------------- */

static gboolean on_drop(GtkDropTarget *target, const GValue *value, double x, double y,
                        DgWindow *self)
{
    (void)target, (void)x, (void)y;
    GFile *file = NULL;
    if (G_VALUE_HOLDS(value, GDK_TYPE_FILE_LIST)) {
        GSList *files = gdk_file_list_get_files(g_value_get_boxed(value));
        if (files)
            file = files->data;
        if (files && files->next)
            dg_window_toast(self, "Several files were dropped: the first one is opened", FALSE);
        g_slist_free(files);
    } else if (G_VALUE_HOLDS(value, G_TYPE_FILE)) {
        file = g_value_get_object(value);
    }
    if (!file) {
        dg_window_toast(self, "Drop a folder (a data set) or an image file", TRUE);
        return FALSE;
    }
    return dg_window_open_file(self, file);
}

/* ---- actions ----------------------------------------------------------------------------------- */

static void on_dataset_folder(GFile *file, gpointer data)
{
    dg_window_open_file(DG_WINDOW(data), file);
}

static void act_open_dataset(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a, (void)p;
    dg_ui_choose(GTK_WIDGET(data), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, "Open a Data Set",
                 "_Open", NULL, on_dataset_folder, data);
}

static char *sample_dir(void)
{
    g_autofree char *csv = dg_find_resource("sample/HAM10000_metadata.csv");
    return csv ? g_path_get_dirname(csv) : NULL;
}

static void act_open_sample(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a, (void)p;
    DgWindow *self = data;
    g_autofree char *dir = sample_dir();
    if (!dir) {
        dg_window_toast(self, "The bundled sample data set is not installed", TRUE);
        return;
    }
    dg_session_load_dataset(self->session, dir);
    dg_window_show_view(self, "dataset");
}

static void act_open_image(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a, (void)p;
    DgWindow *self = data;
    dg_window_show_view(self, "diagnose");
    gtk_widget_activate_action(GTK_WIDGET(self->diagnose_view), "view.open", NULL);
}

/* Ctrl+O: what the view shown opens (its view.open: an image in Diagnose), else a data set. */
static void act_open(GSimpleAction *a, GVariant *p, gpointer data)
{
    DgWindow *self = data;
    GtkWidget *view = adw_view_stack_get_visible_child(self->view_stack);
    if (!view || !gtk_widget_activate_action(view, "view.open", NULL))
        act_open_dataset(a, p, data);
}

static void act_diagnose_file(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    DgWindow *self = data;
    const char *path = g_variant_get_string(p, NULL);
    if (dg_diagnose_view_open(self->diagnose_view, path))
        dg_window_show_view(self, "diagnose");
}

static void act_view(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    dg_window_show_view(DG_WINDOW(data), g_variant_get_string(p, NULL));
}

/* Start, pause and stop belong to the view shown: each view (or page) owns job.start,
 * job.pause and job.stop and enables them from its own job's state; the window's
 * shortcuts only pass them on.  A view without a job (Dataset, Diagnose) has none. */
static void forward_job_action(DgWindow *self, const char *name)
{
    GtkWidget *view = adw_view_stack_get_visible_child(self->view_stack);
    if (view)
        gtk_widget_activate_action(view, name, NULL);
}

static void act_start(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a, (void)p;
    forward_job_action(DG_WINDOW(data), "job.start");
}

static void act_pause(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a, (void)p;
    forward_job_action(DG_WINDOW(data), "job.pause");
}

static void act_stop(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a, (void)p;
    forward_job_action(DG_WINDOW(data), "job.stop");
}

static const GActionEntry win_actions[] = {
    {.name = "open-dataset", .activate = act_open_dataset},
    {.name = "open-sample", .activate = act_open_sample},
    {.name = "open-image", .activate = act_open_image},
    {.name = "open", .activate = act_open},
    {.name = "diagnose-file", .activate = act_diagnose_file, .parameter_type = "s"},
    {.name = "view", .activate = act_view, .parameter_type = "s"},
    {.name = "start", .activate = act_start},
    {.name = "pause", .activate = act_pause},
    {.name = "stop", .activate = act_stop},
};

/* ---- closing ------------------------------------------------------------------------------------ */

static const char *job_title(const char *kind)
{
    static const char *const map[][2] = {
        {"gan-train", "GAN training"},     {"cnn-train", "classifier training"},
        {"gan-generate", "generation"},    {"evaluate", "evaluation"},
        {"predict", "diagnosis"},          {"ablation", "ablation"},
        {"gan-score", "GAN scoring"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
        if (g_strcmp0(kind, map[i][0]) == 0)
            return map[i][1];
    return kind;
}

static void on_close_response(AdwMessageDialog *dialog, const char *response, DgWindow *self)
{
    (void)dialog;
    self->close_dialog = NULL;
    if (g_strcmp0(response, "stop") != 0)
        return;
    self->close_confirmed = TRUE;
    dg_session_cancel_all(self->session);
    if (!dg_session_is_busy(self->session)) {
        gtk_window_close(GTK_WINDOW(self));
        return;
    }
    dg_window_toast(self, "Stopping and saving checkpoints…", FALSE);
    gtk_widget_set_sensitive(GTK_WIDGET(self->view_stack), FALSE);
}

static gboolean on_close_request(GtkWindow *window, gpointer data)
{
    (void)data;
    DgWindow *self = DG_WINDOW(window);
    int w = 0, h = 0;
    gtk_window_get_default_size(window, &w, &h);
    if (w > 0 && h > 0) {
        g_settings_set_int(self->settings, "window-width", w);
        g_settings_set_int(self->settings, "window-height", h);
    }
    g_settings_set_boolean(self->settings, "window-maximized", gtk_window_is_maximized(window));
    if (!dg_session_is_busy(self->session)) {
        dg_session_cancel_load(self->session);
        return FALSE;
    }
    if (self->close_confirmed || self->close_dialog)
        return TRUE; /* stopping, or already asking */
    g_autoptr(GPtrArray) act = dg_session_get_active(self->session);
    GString *what = g_string_new(NULL);
    for (guint i = 0; i < act->len; i++) {
        const char *t = job_title(dg_job_runner_get_name(g_ptr_array_index(act, i)));
        if (strstr(what->str, t))
            continue;
        g_string_append_printf(what, "%s%s", what->len ? ", " : "", t);
    }
    g_autofree char *body = g_strdup_printf(
        "Running now: %s. DermaGAN stops it cleanly and keeps its checkpoint, so that a training "
        "can be resumed later.",
        what->str);
    g_string_free(what, TRUE);
    GtkWidget *d = adw_message_dialog_new(window, "Stop and Close?", body);
    adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(d), "cancel", "_Keep Working", "stop",
                                     "_Stop and Close", NULL);
    adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(d), "stop",
                                               ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(d), "cancel");
    adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(d), "cancel");
    g_signal_connect(d, "response", G_CALLBACK(on_close_response), self);
    self->close_dialog = d;
    gtk_window_present(GTK_WINDOW(d));
    return TRUE;
}

/* ---- GObject ------------------------------------------------------------------------------------- */

static void dg_window_dispose(GObject *object)
{
    DgWindow *self = DG_WINDOW(object);
    if (self->session)
        dg_session_cancel_load(self->session);
    gtk_widget_dispose_template(GTK_WIDGET(self), DG_TYPE_WINDOW);
    g_clear_object(&self->session);
    g_clear_object(&self->settings);
    G_OBJECT_CLASS(dg_window_parent_class)->dispose(object);
}

static void dg_window_finalize(GObject *object)
{
    DgWindow *self = DG_WINDOW(object);
    g_free(self->last_toast);
    g_free(self->shown_view);
    g_ptr_array_unref(self->toasts);
    G_OBJECT_CLASS(dg_window_parent_class)->finalize(object);
}

static void dg_window_class_init(DgWindowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = dg_window_dispose;
    oc->finalize = dg_window_finalize;
    g_type_ensure(DG_TYPE_DATASET_VIEW);
    g_type_ensure(DG_TYPE_GAN_VIEW);
    g_type_ensure(DG_TYPE_GENERATE_VIEW);
    g_type_ensure(DG_TYPE_CLASSIFIER_VIEW);
    g_type_ensure(DG_TYPE_DIAGNOSE_VIEW);
    gtk_widget_class_set_template_from_resource(wc, "/org/dermagan/DermaGAN/ui/dg-window.ui");
    gtk_widget_class_bind_template_child(wc, DgWindow, toast_overlay);
    gtk_widget_class_bind_template_child(wc, DgWindow, view_stack);
    gtk_widget_class_bind_template_child(wc, DgWindow, busy_icon);
    gtk_widget_class_bind_template_child(wc, DgWindow, dataset_view);
    gtk_widget_class_bind_template_child(wc, DgWindow, gan_view);
    gtk_widget_class_bind_template_child(wc, DgWindow, generate_view);
    gtk_widget_class_bind_template_child(wc, DgWindow, classifier_view);
    gtk_widget_class_bind_template_child(wc, DgWindow, diagnose_view);
}

static void dg_window_init(DgWindow *self)
{
    self->toasts = g_ptr_array_new_with_free_func(g_object_unref);
    gtk_widget_init_template(GTK_WIDGET(self));
    g_action_map_add_action_entries(G_ACTION_MAP(self), win_actions, G_N_ELEMENTS(win_actions),
                                    self);
    GtkDropTarget *drop = gtk_drop_target_new(G_TYPE_INVALID, GDK_ACTION_COPY);
    GType types[] = {GDK_TYPE_FILE_LIST, G_TYPE_FILE};
    gtk_drop_target_set_gtypes(drop, types, G_N_ELEMENTS(types));
    g_signal_connect(drop, "drop", G_CALLBACK(on_drop), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drop));
    g_signal_connect(self, "close-request", G_CALLBACK(on_close_request), NULL);
    g_signal_connect_swapped(self->view_stack, "notify::visible-child", G_CALLBACK(on_view_changed),
                             self);
}

DgWindow *dg_window_new(GtkApplication *app, GSettings *settings)
{
    g_return_val_if_fail(G_IS_SETTINGS(settings), NULL);
    DgWindow *self = g_object_new(DG_TYPE_WINDOW, "application", app, NULL);
    self->settings = g_object_ref(settings);
    gtk_window_set_default_size(GTK_WINDOW(self), g_settings_get_int(settings, "window-width"),
                                g_settings_get_int(settings, "window-height"));
    if (g_settings_get_boolean(settings, "window-maximized"))
        gtk_window_maximize(GTK_WINDOW(self));
    self->session = dg_session_new(settings);
    g_signal_connect_object(self->session, "toast", G_CALLBACK(on_session_toast), self, 0);
    g_signal_connect_object(self->session, "load-failed", G_CALLBACK(on_load_failed), self, 0);
    g_signal_connect_object(self->session, "notify::dataset", G_CALLBACK(on_dataset_loaded), self,
                            0);
    g_signal_connect_object(self->session, "notify::busy", G_CALLBACK(on_busy), self, 0);
    dg_dataset_view_set_session(self->dataset_view, self->session);
    dg_gan_view_set_session(self->gan_view, self->session);
    dg_generate_view_set_session(self->generate_view, self->session);
    dg_classifier_view_set_session(self->classifier_view, self->session);
    dg_diagnose_view_set_session(self->diagnose_view, self->session);
    return self;
}

void dg_window_open_initial(DgWindow *self)
{
    g_return_if_fail(DG_IS_WINDOW(self));
    g_autofree char *last = g_settings_get_string(self->settings, "last-dataset");
    gboolean first = g_settings_get_boolean(self->settings, "first-run");
    g_settings_set_boolean(self->settings, "first-run", FALSE);
    if (!first && last && *last && g_file_test(last, G_FILE_TEST_IS_DIR)) {
        dg_session_load_dataset(self->session, last);
        return;
    }
    g_autofree char *dir = sample_dir();
    if (dir)
        dg_session_load_dataset(self->session, dir);
}

DgSession *dg_window_get_session(DgWindow *self)
{
    g_return_val_if_fail(DG_IS_WINDOW(self), NULL);
    return self->session;
}

guint dg_window_get_n_live_toasts(DgWindow *self)
{
    g_return_val_if_fail(DG_IS_WINDOW(self), 0);
    return self->toasts->len;
}

guint dg_window_get_n_toasts(DgWindow *self)
{
    g_return_val_if_fail(DG_IS_WINDOW(self), 0);
    return self->n_toasts;
}

const char *dg_window_get_last_toast(DgWindow *self)
{
    g_return_val_if_fail(DG_IS_WINDOW(self), NULL);
    return self->last_toast;
}

DgDatasetView *dg_window_get_dataset_view(DgWindow *self)
{
    g_return_val_if_fail(DG_IS_WINDOW(self), NULL);
    return self->dataset_view;
}

DgGanView *dg_window_get_gan_view(DgWindow *self)
{
    g_return_val_if_fail(DG_IS_WINDOW(self), NULL);
    return self->gan_view;
}

DgGenerateView *dg_window_get_generate_view(DgWindow *self)
{
    g_return_val_if_fail(DG_IS_WINDOW(self), NULL);
    return self->generate_view;
}

DgClassifierView *dg_window_get_classifier_view(DgWindow *self)
{
    g_return_val_if_fail(DG_IS_WINDOW(self), NULL);
    return self->classifier_view;
}

DgDiagnoseView *dg_window_get_diagnose_view(DgWindow *self)
{
    g_return_val_if_fail(DG_IS_WINDOW(self), NULL);
    return self->diagnose_view;
}

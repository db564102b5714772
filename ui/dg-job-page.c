/* dg-job-page.c: a page that runs one kind of job (see dg-job-page.h). */
#include "dg-job-page.h"

#include "dg-ui-util.h"

typedef struct {
    DgSession *session;
    DgJobRunner *runner;
    AdwButtonContent *pause_content; /* not owned: a child of the page's template */
} DgJobPagePrivate;

G_DEFINE_TYPE_WITH_PRIVATE(DgJobPage, dg_job_page, GTK_TYPE_WIDGET)

#define PRIV(self) ((DgJobPagePrivate *)dg_job_page_get_instance_private(self))

void dg_job_page_update_actions(DgJobPage *self)
{
    g_return_if_fail(DG_IS_JOB_PAGE(self));
    DgJobPageClass *klass = DG_JOB_PAGE_GET_CLASS(self);
    DgJobPagePrivate *p = PRIV(self);
    gboolean active = dg_job_page_is_active(self), stopping = dg_job_page_is_stopping(self);
    gboolean can = p->session && (!klass->can_start || klass->can_start(self));
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "job.start", !active && can);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "job.pause", active && !stopping);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "job.stop", active && !stopping);
    if (p->pause_content) {
        gboolean paused = dg_job_page_is_paused(self);
        adw_button_content_set_label(p->pause_content, paused ? "_Resume" : "_Pause");
        adw_button_content_set_icon_name(p->pause_content, paused
                                                               ? "media-playback-start-symbolic"
                                                               : "media-playback-pause-symbolic");
    }
}

static void on_state(DgJobRunner *runner, GParamSpec *pspec, DgJobPage *self)
{
    (void)pspec;
    if (runner != PRIV(self)->runner)
        return;
    dg_job_page_update_actions(self);
    DgJobPageClass *klass = DG_JOB_PAGE_GET_CLASS(self);
    if (klass->state_changed)
        klass->state_changed(self);
}

static void on_event(DgJobRunner *runner, const DgEventCopy *ev, DgJobPage *self)
{
    if (runner != PRIV(self)->runner)
        return;
    DgJobPageClass *klass = DG_JOB_PAGE_GET_CLASS(self);
    if (klass->event)
        klass->event(self, ev);
}

static void drop_runner(DgJobPage *self)
{
    DgJobPagePrivate *p = PRIV(self);
    if (p->runner)
        g_signal_handlers_disconnect_by_data(p->runner, self);
    g_clear_object(&p->runner); /* the session keeps a running one until it ends */
}

void dg_job_page_run(DgJobPage *self, DgJobRunner *runner, guint interval_ms)
{
    g_return_if_fail(DG_IS_JOB_PAGE(self));
    g_return_if_fail(DG_IS_JOB_RUNNER(runner));
    DgJobPagePrivate *p = PRIV(self);
    g_return_if_fail(p->session != NULL);
    drop_runner(self);
    p->runner = g_object_ref(runner);
    g_signal_connect(runner, "event", G_CALLBACK(on_event), self);
    g_signal_connect(runner, "notify::state", G_CALLBACK(on_state), self);
    if (interval_ms > 0)
        dg_job_runner_set_interval(runner, interval_ms);
    dg_session_track(p->session, runner);
    dg_job_runner_start(runner);
    on_state(runner, NULL, self);
}

DgJobRunner *dg_job_page_get_runner(DgJobPage *self)
{
    g_return_val_if_fail(DG_IS_JOB_PAGE(self), NULL);
    return PRIV(self)->runner;
}

gboolean dg_job_page_is_active(DgJobPage *self)
{
    g_return_val_if_fail(DG_IS_JOB_PAGE(self), FALSE);
    DgJobRunner *r = PRIV(self)->runner;
    return r && dg_job_runner_is_active(r);
}

gboolean dg_job_page_is_paused(DgJobPage *self)
{
    g_return_val_if_fail(DG_IS_JOB_PAGE(self), FALSE);
    DgJobRunner *r = PRIV(self)->runner;
    return r && dg_job_runner_get_state(r) == DG_JOB_PAUSED;
}

gboolean dg_job_page_is_stopping(DgJobPage *self)
{
    g_return_val_if_fail(DG_IS_JOB_PAGE(self), FALSE);
    DgJobRunner *r = PRIV(self)->runner;
    return r && dg_job_runner_is_active(r) && dg_job_runner_cancel_requested(r);
}

gboolean dg_job_page_start(DgJobPage *self)
{
    g_return_val_if_fail(DG_IS_JOB_PAGE(self), FALSE);
    DgJobPageClass *klass = DG_JOB_PAGE_GET_CLASS(self);
    if (!PRIV(self)->session || dg_job_page_is_active(self) || !klass->start)
        return FALSE;
    gboolean ok = klass->start(self);
    dg_job_page_update_actions(self);
    return ok;
}

void dg_job_page_toggle_pause(DgJobPage *self)
{
    g_return_if_fail(DG_IS_JOB_PAGE(self));
    DgJobRunner *r = PRIV(self)->runner;
    if (!r || dg_job_page_is_stopping(self))
        return;
    if (dg_job_runner_get_state(r) == DG_JOB_PAUSED)
        dg_job_runner_resume(r);
    else if (dg_job_runner_get_state(r) == DG_JOB_RUNNING)
        dg_job_runner_pause(r);
}

void dg_job_page_stop(DgJobPage *self)
{
    g_return_if_fail(DG_IS_JOB_PAGE(self));
    if (!dg_job_page_is_active(self))
        return;
    dg_job_runner_cancel(PRIV(self)->runner);
    on_state(PRIV(self)->runner, NULL, self); /* a stop was asked: pause and stop go grey */
}

void dg_job_page_set_pause_content(DgJobPage *self, AdwButtonContent *content)
{
    g_return_if_fail(DG_IS_JOB_PAGE(self));
    PRIV(self)->pause_content = content;
    dg_job_page_update_actions(self);
}

void dg_job_page_set_session(DgJobPage *self, DgSession *session)
{
    g_return_if_fail(DG_IS_JOB_PAGE(self));
    g_return_if_fail(DG_IS_SESSION(session));
    DgJobPagePrivate *p = PRIV(self);
    g_return_if_fail(p->session == NULL);
    p->session = g_object_ref(session);
    DgJobPageClass *klass = DG_JOB_PAGE_GET_CLASS(self);
    if (klass->session_set)
        klass->session_set(self, session);
    dg_job_page_update_actions(self);
}

DgSession *dg_job_page_get_session(DgJobPage *self)
{
    g_return_val_if_fail(DG_IS_JOB_PAGE(self), NULL);
    return PRIV(self)->session;
}

/* ---- actions ---------------------------------------------------------------------------- */

static void act_start(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    dg_job_page_start(DG_JOB_PAGE(w));
}

static void act_pause(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    dg_job_page_toggle_pause(DG_JOB_PAGE(w));
}

static void act_stop(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    dg_job_page_stop(DG_JOB_PAGE(w));
}

/* ---- GObject -------------------------------------------------------------------------------- */

static void dg_job_page_dispose(GObject *object)
{
    DgJobPage *self = DG_JOB_PAGE(object);
    drop_runner(self);
    PRIV(self)->pause_content = NULL;
    g_clear_object(&PRIV(self)->session);
    G_OBJECT_CLASS(dg_job_page_parent_class)->dispose(object);
}

static void dg_job_page_class_init(DgJobPageClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = dg_job_page_dispose;
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_install_action(wc, "job.start", NULL, act_start);
    gtk_widget_class_install_action(wc, "job.pause", NULL, act_pause);
    gtk_widget_class_install_action(wc, "job.stop", NULL, act_stop);
}

static void dg_job_page_init(DgJobPage *self)
{
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "job.start", FALSE);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "job.pause", FALSE);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "job.stop", FALSE);
}

/* ---- export -------------------------------------------------------------------------------------- */

typedef struct {
    DgJobPage *self;
    char *what;
    DgJobPageExportFunc fn;
} export_req;

static void on_export_file(GFile *file, gpointer data)
{
    export_req *r = data;
    g_autofree char *path = g_file_get_path(file);
    DgSession *session = dg_job_page_get_session(r->self);
    GError *error = NULL;
    if (path && !r->fn(r->self, r->what, path, &error)) {
        if (session)
            dg_session_toast(session, TRUE, "Cannot export: %s", error->message);
        g_error_free(error);
    } else if (path && session) {
        g_autofree char *disp = g_filename_display_name(path);
        dg_session_toast(session, FALSE, "Saved %s", disp);
    }
}

static void export_req_free(gpointer data)
{
    export_req *r = data;
    g_object_unref(r->self);
    g_free(r->what);
    g_free(r);
}

void dg_job_page_export(DgJobPage *self, const char *title, const char *file, const char *what,
                        DgJobPageExportFunc fn)
{
    g_return_if_fail(DG_IS_JOB_PAGE(self) && fn);
    export_req *r = g_new0(export_req, 1);
    r->self = g_object_ref(self);
    r->what = g_strdup(what);
    r->fn = fn;
    dg_ui_save_full(GTK_WIDGET(self), title, file,
                    g_get_user_special_dir(G_USER_DIRECTORY_DOCUMENTS), on_export_file, r,
                    export_req_free);
}

/* ui-app-fixture.h: one DermaGAN application and window for a UI test
 * program, with a tiny generated data set, and the waits every UI test needs
 * (a data set loaded, a job finished, a toast shown, a chart drawn). */
#pragma once
#include <adwaita.h>
#include <glib/gstdio.h>

#include "../jobs/jobs-test-util.h"
#include "dg-application.h"
#include "dg-window.h"
#include "jobs/dg-job-util.h"
#include "ui-test-util.h"

#define UF_CLASSES 4

static char *uf_tmp, *uf_data, *uf_screens;
static DgApplication *uf_app;
static GSettings *uf_settings;
static DgWindow *win;

G_GNUC_UNUSED static DgWindow *uf_new_window(void)
{
    DgWindow *w = dg_window_new(GTK_APPLICATION(uf_app), uf_settings);
    gtk_window_set_default_size(GTK_WINDOW(w), 1180, 800);
    gtk_window_present(GTK_WINDOW(w));
    ut_frames(GTK_WIDGET(w), 3);
    return w;
}

G_GNUC_UNUSED static gboolean uf_dataset_is(gpointer p)
{
    const dg_dataset *ds = dg_session_get_dataset(dg_window_get_session(win));
    return ds && g_strcmp0(ds->root, p) == 0 && !dg_session_is_loading(dg_window_get_session(win));
}

G_GNUC_UNUSED static void uf_load(const char *path)
{
    dg_session_load_dataset(dg_window_get_session(win), path);
    if (!ut_wait(uf_dataset_is, (gpointer)path, 120))
        g_error("%s did not load; last message: %s", path, dg_window_get_last_toast(win));
}

G_GNUC_UNUSED static gboolean uf_runner_done(gpointer p)
{
    DgJobRunner **r = p;
    return *r && !dg_job_runner_is_active(*r) && dg_job_runner_get_state(*r) != DG_JOB_READY;
}

/* Waits for r to end; the page that ran it may let it go meanwhile (the
 * Results page starts a new evaluation when its classifier changed). */
G_GNUC_UNUSED static dg_job_state uf_wait_runner(DgJobRunner *r, double seconds)
{
    g_assert_nonnull(r);
    DgJobRunner *hold = g_object_ref(r);
    g_assert_true(ut_wait(uf_runner_done, &hold, seconds));
    if (dg_job_runner_get_state(r) == DG_JOB_FAILED)
        g_test_message("job failed: %s", dg_job_runner_get_error(r));
    dg_job_state st = dg_job_runner_get_state(r);
    g_object_unref(hold);
    return st;
}

/* The window rendered to <build>/tests/ui/screens/name. */
G_GNUC_UNUSED static void uf_shot(const char *name)
{
    ut_frames(GTK_WIDGET(win), 20); /* past the stacks' crossfades */
    g_autofree char *path = g_build_filename(uf_screens, name, NULL);
    g_assert_true(ut_render_png(GTK_WIDGET(win), path));
    g_test_message("rendered %s", path);
}

G_GNUC_UNUSED static gboolean uf_toast_after(gpointer p)
{
    return dg_window_get_n_toasts(win) > GPOINTER_TO_UINT(p);
}

typedef struct {
    GtkWidget *widget;
    guint n;
} uf_draws;

G_GNUC_UNUSED static gboolean uf_chart_drew(gpointer p)
{
    uf_draws *d = p;
    return dg_chart_get_n_draws(DG_CHART(d->widget)) >= d->n;
}

/* Before g_test_run: a display (or a skip), a private environment, the
 * application, the tiny data set (UF_CLASSES classes of n_per_class images)
 * and the window.  FALSE: no display could be had (print the skip and
 * return 0). */
G_GNUC_UNUSED static gboolean uf_init(int *argc, char ***argv, int n_per_class)
{
    if (!ut_ensure_display(*argc, *argv))
        return FALSE;
    uf_tmp = g_dir_make_tmp("dg-ui-XXXXXX", NULL);
    ut_private_env(uf_tmp);
    g_test_init(argc, argv, NULL);
    const char *builddir = g_getenv("G_TEST_BUILDDIR");
    uf_screens = g_build_filename(builddir ? builddir : uf_tmp, "screens", NULL);
    g_mkdir_with_parents(uf_screens, 0755);
    uf_app = dg_application_new(G_APPLICATION_NON_UNIQUE);
    GError *error = NULL;
    /* startup: gtk_init */
    g_assert_true(g_application_register(G_APPLICATION(uf_app), NULL, &error));
    g_assert_no_error(error);
    uf_settings = dg_application_get_settings(uf_app);
    g_assert_nonnull(uf_settings);
    uf_data = jt_make_imagefolder(uf_tmp, UF_CLASSES, n_per_class, 32);
    win = uf_new_window();
    return TRUE;
}

/* After g_test_run. */
G_GNUC_UNUSED static void uf_finish(void)
{
    if (win)
        gtk_window_destroy(GTK_WINDOW(win));
    ut_spin(0.2);
    g_object_unref(uf_app);
    jt_rm_rf(uf_tmp);
    g_free(uf_tmp), g_free(uf_data), g_free(uf_screens);
}

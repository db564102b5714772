/* test-ui-screens: the README's screenshots (resources/screenshots), only
 * with DG_SCREENSHOT_DIR set (skipped otherwise).  The views on a data set
 * (DG_SCREENSHOT_DATA, e.g. the full HAM10000; the bundled sample by
 * default), with the bundled models where there are, in light and dark.
 * Short trainings only: DG_SCREENSHOT_GAN_STEPS (default 60) steps of the
 * default GAN preset and DG_SCREENSHOT_CNN_EPOCHS (default 2) epochs of the
 * classifier, shot while they run or just after.  DG_SCREENSHOT_ONLY (e.g.
 * "dataset,diagnose") renders some groups only: dataset, gan, generate,
 * classifier, diagnose. */
#include <math.h>
#include <stdlib.h>

#include "dg-ui-util.h"
#include "dg-report.h"
#include "ui-app-fixture.h"
#include "ui-png8.h"

static const char *shot_dir;

static void set_dark(gboolean dark)
{
    adw_style_manager_set_color_scheme(adw_style_manager_get_default(),
                                       dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                            : ADW_COLOR_SCHEME_FORCE_LIGHT);
    ut_spin(0.3);
}

/* A window as a palette PNG, at most 1100 px wide (small files for the README). */
static void screenshot_of(GtkWidget *w, const char *name)
{
    ut_spin(0.6);
    ut_frames(w, 20);
    GdkTexture *t = ut_render(w);
    g_assert_nonnull(t);
    GdkPixbuf *pb = gdk_pixbuf_get_from_texture(t);
    g_object_unref(t);
    int width = gdk_pixbuf_get_width(pb), h = gdk_pixbuf_get_height(pb);
    if (width > 1100) {
        GdkPixbuf *small = gdk_pixbuf_scale_simple(pb, 1100, h * 1100 / width, GDK_INTERP_HYPER);
        g_object_unref(pb);
        pb = small;
    }
    g_autofree char *path = g_build_filename(shot_dir, name, NULL);
    g_assert_true(p8_save(pb, path)); /* 256 colours: a fraction of the size */
    g_object_unref(pb);
    g_test_message("screenshot %s", path);
}

static void screenshot(const char *name)
{
    dg_window_dismiss_toasts(win);
    screenshot_of(GTK_WIDGET(win), name);
}

static gboolean wanted(const char *group)
{
    const char *only = g_getenv("DG_SCREENSHOT_ONLY");
    if (!only)
        return TRUE;
    g_auto(GStrv) parts = g_strsplit(only, ",", -1);
    return g_strv_contains((const char *const *)parts, group);
}

static int env_int(const char *name, int def)
{
    const char *v = g_getenv(name);
    return v ? atoi(v) : def;
}

static gboolean thumbs_decoded(gpointer p)
{
    return dg_thumb_grid_get_n_decoded(p) > 0;
}

static gboolean synthetic_listed(gpointer p)
{
    return dg_generate_view_get_n_synthetic(dg_window_get_generate_view(win)) >=
           GPOINTER_TO_UINT(p);
}

static gboolean job_done(gpointer p)
{
    DgJobRunner *r = p;
    return !dg_job_runner_is_active(r);
}

static gboolean gan_near_end(gpointer p)
{
    DgGanView *v = dg_window_get_gan_view(win);
    return dg_gan_view_get_n_points(v) >= GPOINTER_TO_UINT(p) ||
           !dg_job_runner_is_active(dg_gan_view_get_runner(v));
}

static void shots_dataset_and_gan(void)
{
    dg_window_show_view(win, "dataset");
    DgDatasetView *dv = dg_window_get_dataset_view(win);
    g_assert_true(ut_wait(thumbs_decoded, dg_dataset_view_get_grid(dv), 30));
    ut_spin(3); /* every visible thumbnail */
    screenshot("dataset.png");
    if (!wanted("gan"))
        return;
    /* the GAN: a short run of the default preset, shot near its end with a read-out */
    int steps = env_int("DG_SCREENSHOT_GAN_STEPS", 60);
    DgGanView *gv = dg_window_get_gan_view(win);
    dg_window_show_view(win, "gan");
    dg_gan_view_configure(gv, "default", steps, 1);
    g_autofree char *out = g_build_filename(uf_tmp, "shot-gan", NULL);
    g_assert_true(dg_gan_view_start(gv, out));
    g_assert_true(ut_wait(gan_near_end, GUINT_TO_POINTER(steps * 9 / 10), 7200));
    DgChart *c = dg_gan_view_get_curves_chart(gv);
    dg_chart_hover(c, gtk_widget_get_width(GTK_WIDGET(c)) * 0.62,
                   gtk_widget_get_height(GTK_WIDGET(c)) * 0.5);
    screenshot("gan.png");
    set_dark(TRUE);
    dg_chart_hover(c, gtk_widget_get_width(GTK_WIDGET(c)) * 0.62,
                   gtk_widget_get_height(GTK_WIDGET(c)) * 0.5);
    screenshot("gan-dark.png");
    set_dark(FALSE);
    dg_chart_hover(c, -1, -1);
    g_assert_true(ut_wait(job_done, dg_gan_view_get_runner(gv), 3600));
}

static void shots_generate_and_explore(DgSession *s, const char *gen)
{
    DgGenerateView *ev = dg_window_get_generate_view(win);
    dg_window_show_view(win, "generate");
    if (gen)
        dg_session_set_generator(s, gen);
    g_autofree char *syn = g_build_filename(uf_tmp, "shot-synthetic", NULL);
    g_assert_true(dg_generate_view_generate(ev, 24, syn));
    g_assert_true(ut_wait(job_done, dg_generate_view_get_runner(ev), 600));
    g_assert_true(ut_wait(synthetic_listed, GUINT_TO_POINTER(24 * UF_CLASSES), 30));
    const dg_dataset *ds = dg_session_get_dataset(s);
    dg_generate_view_show_class(ev, (guint)dg_dataset_class_index(ds, "mel"));
    g_assert_true(ut_wait(thumbs_decoded, dg_generate_view_get_synthetic_grid(ev), 30));
    ut_spin(3);
    screenshot("generate.png");
    DgExploreWindow *x = dg_generate_view_explore(ev);
    gtk_window_set_default_size(GTK_WINDOW(x), 1240, 700);
    dg_explore_window_configure(x, "noise", dg_dataset_class_index(ds, "mel"), 3, 11, TRUE);
    g_assert_true(dg_explore_window_show(x));
    g_assert_true(ut_wait(job_done, dg_explore_window_get_runner(x), 600));
    screenshot_of(GTK_WIDGET(x), "explore.png");
    set_dark(TRUE);
    screenshot_of(GTK_WIDGET(x), "explore-dark.png");
    set_dark(FALSE);
    gtk_window_destroy(GTK_WINDOW(x));
}

static void shots_classifier(DgSession *s, const char *cnn)
{
    DgClassifierView *cv = dg_window_get_classifier_view(win);
    dg_window_show_view(win, "classifier");
    dg_classifier_view_show_page(cv, "train");
    DgTrainPage *tp = dg_classifier_view_get_train_page(cv);
    dg_train_page_configure(tp, "dermanet", env_int("DG_SCREENSHOT_CNN_EPOCHS", 2), 1);
    g_autofree char *out = g_build_filename(uf_tmp, "shot-classifier", NULL);
    g_assert_true(dg_train_page_train(tp, out, 0));
    g_assert_true(ut_wait(job_done, dg_job_page_get_runner(DG_JOB_PAGE(tp)), 7200));
    screenshot("classifier-training.png");
    /* the bundled classifier's results on the test split */
    DgResultsPage *rp = dg_classifier_view_get_results_page(cv);
    if (dg_job_page_is_active(DG_JOB_PAGE(rp)))
        ut_wait(job_done, dg_job_page_get_runner(DG_JOB_PAGE(rp)), 600);
    if (cnn)
        dg_session_set_classifier(s, cnn);
    dg_classifier_view_show_page(cv, "results");
    ut_spin(0.5);
    if (dg_job_page_is_active(DG_JOB_PAGE(rp)))
        ut_wait(job_done, dg_job_page_get_runner(DG_JOB_PAGE(rp)), 600);
    g_assert_true(dg_results_page_evaluate(rp, "test"));
    g_assert_true(ut_wait(job_done, dg_job_page_get_runner(DG_JOB_PAGE(rp)), 600));
    screenshot("classifier-results.png");
    set_dark(TRUE);
    screenshot("classifier-results-dark.png");
    set_dark(FALSE);
    g_autofree char *report = g_build_filename(shot_dir, "report.png", NULL);
    g_assert_true(dg_results_page_export(rp, "report", report, NULL));
    /* melanomas taken for benign keratoses, one of them explained */
    const dg_dataset *ds = dg_session_get_dataset(s);
    DgCasesWindow *w = dg_results_page_open_cell(rp, dg_dataset_class_index(ds, "mel"),
                                                 dg_dataset_class_index(ds, "bkl"));
    gtk_window_set_default_size(GTK_WINDOW(w), 1240, 760);
    g_assert_true(ut_wait(thumbs_decoded, dg_cases_window_get_grid(w), 30));
    if (dg_cases_window_get_n_cases(w) > 0) {
        dg_cases_window_show_case(w, 0);
        DgDiagnoseView *d = dg_cases_window_get_detail(w);
        g_assert_true(ut_wait(job_done, dg_diagnose_view_get_runner(d), 120));
        dg_diagnose_view_set_overlay(d, TRUE);
    }
    ut_spin(2);
    screenshot_of(GTK_WIDGET(w), "cases.png");
    set_dark(TRUE);
    screenshot_of(GTK_WIDGET(w), "cases-dark.png");
    set_dark(FALSE);
    gtk_window_destroy(GTK_WINDOW(w));
    /* the bundled models' ablation */
    dg_classifier_view_show_page(cv, "ablation");
    screenshot("classifier-ablation.png");
}

static void shots_diagnose(DgSession *s)
{
    const dg_dataset *ds = dg_session_get_dataset(s);
    int mel = dg_dataset_class_index(ds, "mel");
    const char *img = NULL;
    const dg_item_patient *pt = NULL;
    for (int i = 0; i < ds->n_items && !img; i++)
        if (ds->items[i].cls == mel && ds->items[i].split == DG_SPLIT_TEST)
            img = ds->items[i].path, pt = &ds->items[i].patient;
    g_assert_nonnull(img);
    DgDiagnoseView *v = dg_window_get_diagnose_view(win);
    dg_window_show_view(win, "diagnose");
    /* the image's own patient fields, as a user would type them */
    dg_diagnose_view_set_patient(v, pt->has_age ? (int)pt->age : -1, pt->sex[0] ? pt->sex : NULL,
                                 pt->site[0] ? pt->site : NULL);
    g_assert_true(dg_diagnose_view_open(v, img));
    g_assert_true(ut_wait(job_done, dg_diagnose_view_get_runner(v), 120));
    screenshot("diagnose.png");
    dg_diagnose_view_set_overlay(v, TRUE);
    screenshot("diagnose-gradcam.png");
    set_dark(TRUE);
    screenshot("diagnose-gradcam-dark.png");
    set_dark(FALSE);
    dg_diagnose_view_set_overlay(v, FALSE);
    /* half a small screen: the side panel folds */
    gtk_window_set_default_size(GTK_WINDOW(win), 620, 560);
    dg_window_show_view(win, "gan");
    ut_frames(GTK_WIDGET(win), 10);
    screenshot("narrow.png");
}

/* A folder named in the environment: a relative one is relative to the
 * source tree, where the README's command runs (meson test runs this in
 * the build tree); NULL when unset. */
static char *env_path(const char *var)
{
    const char *v = g_getenv(var), *root = g_getenv("DG_SOURCE_ROOT");
    if (!v || !*v)
        return NULL;
    return g_path_is_absolute(v) || !root ? g_strdup(v) : g_build_filename(root, v, NULL);
}

static void test_screenshots(void)
{
    static char *dir;
    g_free(dir);
    shot_dir = dir = env_path("DG_SCREENSHOT_DIR");
    if (!shot_dir) {
        g_test_skip("set DG_SCREENSHOT_DIR to render the README's screenshots");
        return;
    }
    g_mkdir_with_parents(shot_dir, 0755);
    g_autofree char *csv = dg_find_resource("sample/HAM10000_metadata.csv");
    g_autofree char *sample = g_path_get_dirname(csv);
    g_autofree char *data_env = env_path("DG_SCREENSHOT_DATA");
    const char *data = data_env ? data_env : sample;
    g_autofree char *gen = dg_find_resource("models/generator.safetensors");
    g_autofree char *cnn = dg_find_resource("models/classifier.safetensors");
    set_dark(FALSE);
    gtk_window_set_default_size(GTK_WINDOW(win), 1240, 860);
    ut_frames(GTK_WIDGET(win), 5);
    DgSession *s = dg_window_get_session(win);
    uf_load(data);
    if (wanted("dataset") || wanted("gan"))
        shots_dataset_and_gan();
    if (wanted("generate"))
        shots_generate_and_explore(s, gen);
    if (wanted("classifier"))
        shots_classifier(s, cnn);
    if (wanted("diagnose"))
        shots_diagnose(s);
    adw_style_manager_set_color_scheme(adw_style_manager_get_default(), ADW_COLOR_SCHEME_DEFAULT);
}

int main(int argc, char **argv)
{
    if (!uf_init(&argc, &argv, 4)) {
        printf("1..0 # SKIP no display, and xvfb-run or dbus-run-session is missing\n");
        return 0;
    }
    g_test_add_func("/screens/readme", test_screenshots);
    int rc = g_test_run();
    uf_finish();
    return rc;
}

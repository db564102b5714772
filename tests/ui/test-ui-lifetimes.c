/* test-ui-lifetimes: jobs against what started them, under a private X server
 * with G_DEBUG=fatal-warnings (and, in a sanitizer build, AddressSanitizer): a
 * training stopped or failed before its first checkpoint does not take the
 * place of the last run; the Results page never shows the numbers of a
 * classifier chosen before; a window closed during its job stops the job; a
 * generation stopped at once leaves the gallery as it was. */
#include "dg-model-row.h"
#include "ui-app-fixture.h"

static gboolean points_at_least(gpointer p)
{
    return dg_gan_view_get_n_points(dg_window_get_gan_view(win)) >= GPOINTER_TO_UINT(p);
}

static gboolean has_checkpoint(const char *run)
{
    g_autofree char *ckpt = g_build_filename(run, "checkpoint.safetensors", NULL);
    return g_file_test(ckpt, G_FILE_TEST_IS_REGULAR);
}

/* A GAN run stopped right after Start, before its first checkpoint, leaves
 * the last run (the one Resume and "Last Trained" offer) as it was. */
static void test_gan_stop_at_once(void)
{
    uf_load(uf_data);
    DgGanView *v = dg_window_get_gan_view(win);
    dg_gan_view_configure(v, "tiny", 100000, 3);
    g_autofree char *r1 = g_build_filename(uf_tmp, "gan-first", NULL);
    g_assert_true(dg_gan_view_start(v, r1));
    g_assert_true(ut_wait(points_at_least, GUINT_TO_POINTER(3), 120));
    dg_gan_view_stop(v);
    g_assert_cmpint(uf_wait_runner(dg_gan_view_get_runner(v), 120), ==, DG_JOB_CANCELLED);
    g_assert_true(has_checkpoint(r1));
    g_autofree char *r2 = g_build_filename(uf_tmp, "gan-second", NULL);
    g_assert_true(dg_gan_view_start(v, r2));
    dg_gan_view_stop(v);
    g_assert_cmpint(uf_wait_runner(dg_gan_view_get_runner(v), 120), ==, DG_JOB_CANCELLED);
    g_assert_false(has_checkpoint(r2));
    g_autofree char *last = g_settings_get_string(uf_settings, "last-gan-run");
    g_assert_cmpstr(last, ==, r1);
}

/* The same for a classifier training that fails (or is stopped) before its
 * first checkpoint: the model the menus call "Last Trained" stays. */
static void test_classifier_stop_at_once(void)
{
    uf_load(uf_data);
    DgClassifierView *cv = dg_window_get_classifier_view(win);
    DgTrainPage *tp = dg_classifier_view_get_train_page(cv);
    dg_train_page_configure(tp, "seed", 1, 4);
    g_autofree char *r1 = g_build_filename(uf_tmp, "cnn-first", NULL);
    g_assert_true(dg_train_page_train(tp, r1, 6));
    g_assert_cmpint(uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(tp)), 300), ==,
                    DG_JOB_SUCCEEDED);
    /* one that fails before its first checkpoint (its teacher is no model) */
    g_autofree char *bad = g_build_filename(uf_tmp, "not-a-teacher.safetensors", NULL);
    g_assert_true(g_file_set_contents(bad, "not a model", -1, NULL));
    dg_train_page_set_teacher(tp, bad);
    g_autofree char *r2 = g_build_filename(uf_tmp, "cnn-second", NULL);
    g_assert_true(dg_train_page_train(tp, r2, 6));
    g_assert_cmpint(uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(tp)), 120), ==,
                    DG_JOB_FAILED);
    dg_train_page_set_teacher(tp, NULL);
    g_assert_false(has_checkpoint(r2));
    g_autofree char *last = g_settings_get_string(uf_settings, "last-cnn-run");
    g_assert_cmpstr(last, ==, r1);
    /* the model menus still offer the first run's model */
    DgModelRow *row = DG_MODEL_ROW(dg_results_page_get_model_row(
        dg_classifier_view_get_results_page(cv)));
    g_autofree char *model = dg_model_row_get_last_trained(row);
    g_autofree char *want = g_build_filename(r1, "model.safetensors", NULL);
    g_assert_cmpstr(model, ==, want);
    /* and one stopped at once: the last run is one with a checkpoint (the job may
     * have written one before it saw the stop) */
    g_autofree char *r3 = g_build_filename(uf_tmp, "cnn-third", NULL);
    g_assert_true(dg_train_page_train(tp, r3, 6));
    dg_job_page_stop(DG_JOB_PAGE(tp));
    g_assert_cmpint(uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(tp)), 120), ==,
                    DG_JOB_CANCELLED);
    g_autofree char *last3 = g_settings_get_string(uf_settings, "last-cnn-run");
    g_assert_cmpstr(last3, ==, has_checkpoint(r3) ? r3 : r1);
}

/* The images of a confusion-matrix cell, closed while one of them is being
 * diagnosed: its prediction stops (nobody would see it, and the main window
 * would count it as running when asked to close). */
static gboolean runner_done(gpointer p)
{
    return !dg_job_runner_is_active(p);
}

static void test_cases_closed(void)
{
    uf_load(uf_data);
    const dg_dataset *ds = dg_session_get_dataset(dg_window_get_session(win));
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func((GDestroyNotify)dg_case_free);
    double p[UF_CLASSES] = {0.25, 0.25, 0.25, 0.25};
    g_ptr_array_add(cases, dg_case_new(ds->items[0].path, ds->items[0].image_id, 0, 0, p,
                                       UF_CLASSES));
    const char *ids[] = {"akiec", "bcc", "bkl", "mel", NULL};
    DgCasesWindow *w = dg_cases_window_new(GTK_WINDOW(win), dg_window_get_session(win),
                                           "Cases", "one", ids, cases);
    gtk_window_present(GTK_WINDOW(w));
    ut_frames(GTK_WIDGET(w), 3);
    dg_cases_window_show_case(w, 0);
    DgJobRunner *r = g_object_ref(dg_diagnose_view_get_runner(dg_cases_window_get_detail(w)));
    /* held before its image (it loads the model first), so that it cannot end
     * by itself before the window is closed: only a cancel ends it */
    dg_job_runner_pause(r);
    gtk_window_destroy(GTK_WINDOW(w));
    g_assert_true(ut_wait(runner_done, r, 60));
    g_assert_cmpint(dg_job_runner_get_state(r), ==, DG_JOB_CANCELLED);
    g_object_unref(r);
}

/* The Results page shows the result of the classifier chosen, on the data
 * set open: one chosen while an evaluation of another runs stops that one
 * (its numbers are not shown) and is evaluated in turn. */
static gboolean evaluated_copy(gpointer p)
{
    DgResultsPage *rp = p;
    return !dg_job_page_is_active(DG_JOB_PAGE(rp)) &&
           strstr(dg_results_page_get_caption(rp), "copy.safetensors") != NULL;
}

static void test_results_stale(void)
{
    uf_load(uf_data);
    DgSession *s = dg_window_get_session(win);
    g_autofree char *bundled = dg_find_resource("models/classifier.safetensors");
    if (!bundled) {
        g_test_skip("the bundled classifier is not at hand");
        return;
    }
    g_autofree char *dir = g_build_filename(uf_tmp, "other-model", NULL);
    g_mkdir_with_parents(dir, 0755);
    g_autofree char *copy = g_build_filename(dir, "copy.safetensors", NULL);
    g_autofree char *bytes = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(bundled, &bytes, &len, NULL));
    g_assert_true(g_file_set_contents(copy, bytes, (gssize)len, NULL));
    dg_session_set_classifier(s, bundled);
    dg_window_show_view(win, "classifier");
    DgClassifierView *cv = dg_window_get_classifier_view(win);
    dg_classifier_view_show_page(cv, "results");
    DgResultsPage *rp = dg_classifier_view_get_results_page(cv);
    ut_frames(GTK_WIDGET(win), 3);
    /* an evaluation of the bundled model runs (shown, the page evaluates by itself) */
    if (!dg_job_page_is_active(DG_JOB_PAGE(rp)))
        g_assert_true(dg_results_page_evaluate(rp, "test"));
    guint n = dg_results_page_get_n_results(rp);
    dg_session_set_classifier(s, copy);
    if (!ut_wait(evaluated_copy, rp, 60))
        g_error("the page shows \"%s\"", dg_results_page_get_caption(rp));
    g_assert_cmpuint(dg_results_page_get_n_results(rp), ==, n + 1);
    dg_session_set_classifier(s, bundled);
    uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(rp)), 120);
}

/* A generation stopped right after Start, before it made its folder: no
 * error about a folder it never made, and the gallery keeps the images it
 * showed (the session's synthetic folder, still the one the Training page
 * would use). */
static gboolean listed_n(gpointer p)
{
    return dg_generate_view_get_n_synthetic(dg_window_get_generate_view(win)) ==
           GPOINTER_TO_UINT(p);
}

static void test_generate_stop_at_once(void)
{
    uf_load(uf_data);
    DgGenerateView *v = dg_window_get_generate_view(win);
    g_autofree char *o1 = g_build_filename(uf_tmp, "syn-first", NULL);
    g_assert_true(dg_generate_view_generate(v, 2, o1));
    g_assert_cmpint(uf_wait_runner(dg_generate_view_get_runner(v), 300), ==, DG_JOB_SUCCEEDED);
    g_assert_true(ut_wait(listed_n, GUINT_TO_POINTER(2 * UF_CLASSES), 30));
    guint n = dg_window_get_n_toasts(win);
    g_autofree char *o2 = g_build_filename(uf_tmp, "syn-second", NULL);
    g_assert_true(dg_generate_view_generate(v, 2, o2));
    dg_job_page_stop(DG_JOB_PAGE(v));
    g_assert_cmpint(uf_wait_runner(dg_generate_view_get_runner(v), 120), ==, DG_JOB_CANCELLED);
    ut_spin(1.0); /* the gallery's folder is read off the main thread */
    if (dg_window_get_n_toasts(win) != n)
        g_error("a message after a stop: %s", dg_window_get_last_toast(win));
    g_assert_cmpstr(dg_session_get_synthetic(dg_window_get_session(win)), ==, o1);
    if (!g_file_test(o2, G_FILE_TEST_IS_DIR))
        g_assert_cmpuint(dg_generate_view_get_n_synthetic(v), ==, 2 * UF_CLASSES);
}

int main(int argc, char **argv)
{
    if (!uf_init(&argc, &argv, 12)) {
        printf("1..0 # SKIP no display, and xvfb-run or dbus-run-session is missing\n");
        return 0;
    }
    g_test_add_func("/lifetimes/gan-stop-at-once", test_gan_stop_at_once);
    g_test_add_func("/lifetimes/classifier-stop-at-once", test_classifier_stop_at_once);
    g_test_add_func("/lifetimes/cases-closed", test_cases_closed);
    g_test_add_func("/lifetimes/results-stale", test_results_stale);
    g_test_add_func("/lifetimes/generate-stop-at-once", test_generate_stop_at_once);
    int rc = g_test_run();
    uf_finish();
    return rc;
}

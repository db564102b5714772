/* test-ui: the DermaGAN window under a private X server (Xvfb), driven the
 * way a user drives it, with real jobs on a tiny generated data set: build
 * the window; load a data set (and a bad one); train a short GAN and see its
 * curves get points and its sample grid change; cancel a training (the
 * checkpoint stays) and resume it; generate and export synthetic images;
 * train and evaluate a classifier; drop an image on the window and get four
 * probabilities that sum to 1; run a one-seed ablation; close the window
 * during training; render every view, light and dark, to PNG in the build
 * folder (tests/ui/screens/).  The README's screenshots come from
 * test-ui-screens. */
#include <math.h>
#include <stdlib.h>

#include "ui-app-fixture.h"

static char *gan_run;   /* a finished tiny GAN run */

static DgTrainPage *train_page(void)
{
    return dg_classifier_view_get_train_page(dg_window_get_classifier_view(win));
}

static DgResultsPage *results_page(void)
{
    return dg_classifier_view_get_results_page(dg_window_get_classifier_view(win));
}

static DgAblationPage *ablation_page(void)
{
    return dg_classifier_view_get_ablation_page(dg_window_get_classifier_view(win));
}
static char *cnn_model; /* a trained tiny classifier */

/* ---- the window ---------------------------------------------------------------------------- */

static void test_window(void)
{
    g_assert_true(DG_IS_WINDOW(win));
    const char *views[] = {"dataset", "gan", "generate", "classifier", "diagnose"};
    for (guint i = 0; i < G_N_ELEMENTS(views); i++) {
        dg_window_show_view(win, views[i]);
        ut_frames(GTK_WIDGET(win), 2);
        g_assert_cmpstr(dg_window_get_view(win), ==, views[i]);
    }
    /* the actions behind the shortcuts */
    const char *win_actions[] = {"open", "open-dataset", "open-sample", "open-image", "diagnose-file",
                                 "view", "start", "pause", "stop", "show-help-overlay"};
    for (guint i = 0; i < G_N_ELEMENTS(win_actions); i++)
        g_assert_true(g_action_map_lookup_action(G_ACTION_MAP(win), win_actions[i]) != NULL);
    const char *app_actions[] = {"quit", "preferences", "about"};
    for (guint i = 0; i < G_N_ELEMENTS(app_actions); i++)
        g_assert_true(g_action_map_lookup_action(G_ACTION_MAP(uf_app), app_actions[i]) != NULL);
    g_auto(GStrv) accels = gtk_application_get_accels_for_action(GTK_APPLICATION(uf_app),
                                                                 "win.open");
    g_assert_cmpstr(accels[0], ==, "<Control>o");
    /* Alt+2 shows the GAN view */
    g_action_group_activate_action(G_ACTION_GROUP(win), "view", g_variant_new_string("gan"));
    g_assert_cmpstr(dg_window_get_view(win), ==, "gan");
    /* the shortcuts window (Ctrl+?) comes from the resources */
    GtkShortcutsWindow *help = gtk_application_window_get_help_overlay(GTK_APPLICATION_WINDOW(win));
    g_assert_nonnull(help);
    /* a view without a data set says what to do, and nothing crashes */
    dg_window_show_view(win, "dataset");
    uf_shot("empty-dataset.png");
}

static void test_preferences(void)
{
    g_action_group_activate_action(G_ACTION_GROUP(uf_app), "preferences", NULL);
    ut_spin(0.3);
    GtkWidget *prefs = NULL;
    GList *tops = gtk_window_list_toplevels();
    for (GList *l = tops; l; l = l->next)
        if (G_TYPE_CHECK_INSTANCE_TYPE(l->data, ADW_TYPE_PREFERENCES_WINDOW))
            prefs = l->data;
    g_list_free(tops);
    g_assert_nonnull(prefs);
    ut_frames(prefs, 3);
    g_autofree char *path = g_build_filename(uf_screens, "preferences.png", NULL);
    g_assert_true(ut_render_png(prefs, path));
    /* the spin buttons are bound to the uf_settings */
    g_settings_set_int(uf_settings, "threads", 2);
    gtk_window_destroy(GTK_WINDOW(prefs));
    g_assert_cmpint(g_settings_get_int(uf_settings, "threads"), ==, 2);
}

/* ---- data sets ------------------------------------------------------------------------------ */

static gboolean dataset_loaded_in(gpointer p)
{
    DgSession *s = dg_window_get_session(p);
    return dg_session_get_dataset(s) && !dg_session_is_loading(s);
}

static void test_first_start(void)
{
    /* the first start opens the bundled sample; later starts the last data set */
    g_settings_reset(uf_settings, "first-run");
    g_settings_reset(uf_settings, "last-dataset");
    DgWindow *w = uf_new_window();
    dg_window_open_initial(w);
    g_assert_true(ut_wait(dataset_loaded_in, w, 120));
    g_autofree char *csv = dg_find_resource("sample/HAM10000_metadata.csv");
    g_autofree char *sample = g_path_get_dirname(csv);
    const dg_dataset *ds = dg_session_get_dataset(dg_window_get_session(w));
    g_assert_cmpstr(ds->root, ==, sample);
    g_assert_true(ds->layout == DG_LAYOUT_HAM10000);
    g_assert_cmpint(ds->n_classes, ==, 4);
    g_assert_false(g_settings_get_boolean(uf_settings, "first-run"));
    g_autofree char *last = g_settings_get_string(uf_settings, "last-dataset");
    g_assert_cmpstr(last, ==, sample);
    gtk_window_destroy(GTK_WINDOW(w));
    ut_spin(0.2);
}

static gboolean thumbs_decoded(gpointer p)
{
    return dg_thumb_grid_get_n_decoded(p) > 0;
}

static void test_dataset(void)
{
    dg_window_show_view(win, "dataset");
    uf_load(uf_data);
    const dg_dataset *ds = dg_session_get_dataset(dg_window_get_session(win));
    g_assert_cmpint(ds->n_classes, ==, UF_CLASSES);
    g_assert_true(ds->has_split);
    DgDatasetView *v = dg_window_get_dataset_view(win);
    g_assert_cmpuint(dg_dataset_view_get_n_shown(v), ==, (guint)ds->n_items);
    /* filters: one class, then one class and one split */
    dg_dataset_view_set_filter(v, 1, DG_SPLIT_NONE);
    g_assert_cmpuint(dg_dataset_view_get_n_shown(v), ==,
                     (guint)dg_dataset_class_count(ds, 1, DG_SPLIT_NONE));
    dg_dataset_view_set_filter(v, 1, DG_SPLIT_TEST);
    g_assert_cmpuint(dg_dataset_view_get_n_shown(v), ==,
                     (guint)dg_dataset_class_count(ds, 1, DG_SPLIT_TEST));
    dg_dataset_view_set_filter(v, -1, DG_SPLIT_NONE);
    /* the bar chart is drawn, thumbnails are decoded off the main thread */
    uf_draws d = {GTK_WIDGET(dg_dataset_view_get_chart(v)), 1};
    g_assert_true(ut_wait(uf_chart_drew, &d, 10));
    g_assert_true(ut_wait(thumbs_decoded, dg_dataset_view_get_grid(v), 30));
    uf_shot("dataset-tiny.png");
}

static void test_dataset_errors(void)
{
    DgSession *s = dg_window_get_session(win);
    /* a folder that is not there: a message, and the old data set stays */
    guint n = dg_window_get_n_toasts(win);
    g_autofree char *missing = g_build_filename(uf_tmp, "no-such-folder", NULL);
    dg_session_load_dataset(s, missing);
    g_assert_true(ut_wait(uf_toast_after, GUINT_TO_POINTER(n), 30));
    g_assert_nonnull(strstr(dg_window_get_last_toast(win), "Cannot open"));
    g_assert_cmpstr(dg_session_get_dataset_path(s), ==, uf_data);

    /* a load cancelled at once: nothing changes */
    g_autofree char *sample_csv = dg_find_resource("sample/HAM10000_metadata.csv");
    g_autofree char *sample = g_path_get_dirname(sample_csv);
    dg_session_load_dataset(s, sample);
    g_assert_true(dg_session_is_loading(s));
    dg_session_cancel_load(s);
    g_assert_false(dg_session_is_loading(s));
    ut_spin(0.3);
    g_assert_cmpstr(dg_session_get_dataset_path(s), ==, uf_data);

    /* a data set with a broken image: it loads, and the file is listed as skipped */
    g_autofree char *parent = g_build_filename(uf_tmp, "with-broken", NULL);
    g_autofree char *bad_root = jt_make_imagefolder(parent, 2, 6, 32);
    g_autofree char *broken = g_build_filename(bad_root, "akiec", "broken.jpg", NULL);
    g_assert_true(g_file_set_contents(broken, "\xff\xd8\xff\xe0 not really a JPEG", -1, NULL));
    uf_load(bad_root);
    const dg_dataset *ds = dg_session_get_dataset(s);
    g_assert_cmpuint(ds->skipped->len, ==, 1);
    uf_shot("dataset-skipped.png");
    uf_load(uf_data);
}

/* ---- GAN ------------------------------------------------------------------------------------- */

/* The sample grid as the first IMAGE event left it (the untrained
 * generator's samples); the view's own handler ran just before. */
static void on_first_grid(DgJobRunner *r, const DgEventCopy *ev, cairo_surface_t **first)
{
    (void)r;
    if (ev->kind == DG_EVENT_IMAGE && !*first)
        *first = dg_chart_render(dg_gan_view_get_samples_chart(dg_window_get_gan_view(win)), 400,
                                 200);
}

static gboolean same_pixels(cairo_surface_t *a, cairo_surface_t *b)
{
    int h = cairo_image_surface_get_height(a), stride = cairo_image_surface_get_stride(a);
    return memcmp(cairo_image_surface_get_data(a), cairo_image_surface_get_data(b),
                  (size_t)h * stride) == 0;
}

static void train_gan(void)
{
    DgGanView *v = dg_window_get_gan_view(win);
    dg_window_show_view(win, "gan");
    ut_frames(GTK_WIDGET(win), 3);
    dg_gan_view_configure(v, "tiny", 40, 3);
    g_assert_true(dg_gan_view_start(v, NULL));
    cairo_surface_t *first = NULL;
    g_signal_connect(dg_gan_view_get_runner(v), "event", G_CALLBACK(on_first_grid), &first);
    g_assert_cmpint(uf_wait_runner(dg_gan_view_get_runner(v), 300), ==, DG_JOB_SUCCEEDED);
    g_assert_nonnull(first);
    /* every step reached the chart; grids kept coming, and the last one differs */
    g_assert_cmpuint(dg_gan_view_get_n_points(v), ==, 40);
    g_assert_cmpuint(dg_gan_view_get_n_grids(v), >=, 3);
    cairo_surface_t *last = dg_chart_render(dg_gan_view_get_samples_chart(v), 400, 200);
    g_assert_false(same_pixels(first, last));
    /* and the grid is not blank */
    cairo_surface_t *blank = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 400, 200);
    g_assert_false(same_pixels(blank, last));
    cairo_surface_destroy(blank);
    cairo_surface_destroy(first);
    cairo_surface_destroy(last);
    uf_draws d = {GTK_WIDGET(dg_gan_view_get_curves_chart(v)), 2};
    g_assert_true(ut_wait(uf_chart_drew, &d, 10));
    /* the trained generator is the session's now */
    gan_run = g_strdup(dg_gan_view_get_run_dir(v));
    g_autofree char *model = g_build_filename(gan_run, "generator.safetensors", NULL);
    g_assert_cmpstr(dg_session_get_generator(dg_window_get_session(win)), ==, model);
}

static void ensure_gan(void)
{
    if (!gan_run) {
        uf_load(uf_data);
        train_gan();
    }
}

static void test_gan(void)
{
    uf_load(uf_data);
    train_gan();
    uf_shot("gan-tiny.png");
}

static gboolean points_at_least(gpointer p)
{
    return dg_gan_view_get_n_points(dg_window_get_gan_view(win)) >= GPOINTER_TO_UINT(p);
}

static void test_gan_cancel_resume(void)
{
    uf_load(uf_data);
    DgGanView *v = dg_window_get_gan_view(win);
    dg_gan_view_configure(v, "tiny", 100000, 5);
    g_autofree char *run = g_build_filename(uf_tmp, "gan-cancelled", NULL);
    g_assert_true(dg_gan_view_start(v, run));
    DgJobRunner *r = g_object_ref(dg_gan_view_get_runner(v));
    g_assert_true(ut_wait(points_at_least, GUINT_TO_POINTER(5), 120));
    /* pause: no step while paused */
    dg_gan_view_toggle_pause(v);
    g_assert_cmpint(dg_job_runner_get_state(r), ==, DG_JOB_PAUSED);
    ut_spin(0.5);
    guint paused_at = dg_gan_view_get_n_points(v);
    ut_spin(0.5);
    g_assert_cmpuint(dg_gan_view_get_n_points(v), ==, paused_at);
    dg_gan_view_toggle_pause(v);
    g_assert_true(ut_wait(points_at_least, GUINT_TO_POINTER(paused_at + 3), 60));
    /* stop: cancelled, not failed, and the checkpoint is there */
    dg_gan_view_stop(v);
    g_assert_cmpint(uf_wait_runner(r, 120), ==, DG_JOB_CANCELLED);
    g_object_unref(r);
    guint stopped_at = dg_gan_view_get_n_points(v);
    g_assert_cmpuint(stopped_at, <, 100000);
    g_autofree char *ckpt = g_build_filename(run, "checkpoint.safetensors", NULL);
    g_assert_true(g_file_test(ckpt, G_FILE_TEST_IS_REGULAR));

    /* resume: the curves come back from the checkpoint and training goes on */
    dg_gan_view_configure(v, "tiny", (int)stopped_at + 6, 5);
    dg_gan_view_resume_run(v, run);
    g_assert_true(ut_wait(points_at_least, GUINT_TO_POINTER(stopped_at + 6), 120));
    g_assert_cmpint(uf_wait_runner(dg_gan_view_get_runner(v), 120), ==, DG_JOB_SUCCEEDED);
    g_assert_cmpuint(dg_gan_view_get_n_points(v), ==, stopped_at + 6);

    /* a folder without a checkpoint: a readable message */
    guint n = dg_window_get_n_toasts(win);
    dg_gan_view_resume_run(v, uf_tmp);
    g_assert_true(ut_wait(uf_toast_after, GUINT_TO_POINTER(n), 30));
    g_assert_nonnull(strstr(dg_window_get_last_toast(win), "Cannot resume"));
}

/* ---- generation ------------------------------------------------------------------------------- */

static gboolean exported(gpointer p)
{
    return *(int *)p != 0;
}

static void on_exported(DgGenerateView *v, int n, const char *error, int *out)
{
    (void)v, (void)error;
    *out = n;
}

static gboolean synthetic_listed(gpointer p)
{
    return dg_generate_view_get_n_synthetic(dg_window_get_generate_view(win)) ==
           GPOINTER_TO_UINT(p);
}

static gboolean any_synthetic_listed(gpointer v)
{
    return dg_generate_view_get_n_synthetic(v) > 0;
}

static void test_generate(void)
{
    ensure_gan();
    DgGenerateView *v = dg_window_get_generate_view(win);
    dg_window_show_view(win, "generate");
    /* a new user's first click on the balanced tiny data set: the controls
     * already ask for a number per class (balancing would make nothing) */
    g_assert_true(dg_job_page_start(DG_JOB_PAGE(v)));
    g_assert_cmpint(uf_wait_runner(dg_generate_view_get_runner(v), 120), ==, DG_JOB_SUCCEEDED);
    g_assert_true(ut_wait(any_synthetic_listed, v, 30));
    g_autofree char *out = g_build_filename(uf_tmp, "synthetic", NULL);
    g_assert_true(dg_generate_view_generate(v, 5, out));
    g_assert_cmpint(uf_wait_runner(dg_generate_view_get_runner(v), 120), ==, DG_JOB_SUCCEEDED);
    if (!ut_wait(synthetic_listed, GUINT_TO_POINTER(5 * UF_CLASSES), 30))
        g_error("listed %u synthetic images; session folder %s; last message %s",
                dg_generate_view_get_n_synthetic(v),
                dg_session_get_synthetic(dg_window_get_session(win)), dg_window_get_last_toast(win));
    /* one class at a time, synthetic beside real */
    dg_generate_view_show_class(v, 2);
    GListModel *syn = dg_thumb_grid_get_model(dg_generate_view_get_synthetic_grid(v));
    GListModel *real = dg_thumb_grid_get_model(dg_generate_view_get_real_grid(v));
    g_assert_cmpuint(g_list_model_get_n_items(syn), ==, 5);
    const dg_dataset *ds = dg_session_get_dataset(dg_window_get_session(win));
    g_assert_cmpuint(g_list_model_get_n_items(real), ==,
                     (guint)dg_dataset_class_count(ds, 2, DG_SPLIT_NONE));
    g_assert_true(ut_wait(thumbs_decoded, dg_generate_view_get_synthetic_grid(v), 30));
    uf_shot("generate-tiny.png");
    /* balancing the training split: the tiny data set's classes are
     * balanced already, so the view refuses and says why, and its controls
     * ask for a number per class, which Generate makes */
    g_autofree char *bal = g_build_filename(uf_tmp, "balanced", NULL);
    g_assert_false(dg_generate_view_generate(v, 0, bal));
    g_assert_nonnull(strstr(dg_window_get_last_toast(win), "already balanced"));
    g_assert_true(dg_job_page_start(DG_JOB_PAGE(v)));
    g_assert_cmpint(uf_wait_runner(dg_generate_view_get_runner(v), 120), ==, DG_JOB_SUCCEEDED);
    g_assert_true(ut_wait(synthetic_listed, GUINT_TO_POINTER(5 * UF_CLASSES), 30));
    /* the run's messages have not replaced the reason for the amount */
    g_assert_nonnull(strstr(dg_generate_view_get_amount_note(v), "already balanced"));
    /* export */
    int n = 0;
    gulong id = g_signal_connect(v, "exported", G_CALLBACK(on_exported), &n);
    dg_session_set_synthetic(dg_window_get_session(win), out);
    g_assert_true(ut_wait(synthetic_listed, GUINT_TO_POINTER(5 * UF_CLASSES), 30));
    g_autofree char *dest = g_build_filename(uf_tmp, "exported", NULL);
    dg_generate_view_export(v, dest);
    g_assert_true(ut_wait(exported, &n, 30));
    g_signal_handler_disconnect(v, id);
    g_assert_cmpint(n, ==, 5 * UF_CLASSES);
    g_autofree char *one = g_build_filename(dest, "bcc", "syn-bcc-1-00004.png", NULL);
    g_assert_true(g_file_test(one, G_FILE_TEST_IS_REGULAR));
}

static void test_generate_bad_model(void)
{
    DgSession *s = dg_window_get_session(win);
    g_autofree char *keep = g_strdup(dg_session_get_generator(s));
    g_autofree char *bad = g_build_filename(uf_tmp, "garbage.safetensors", NULL);
    g_assert_true(g_file_set_contents(bad, "this is not a model file at all", -1, NULL));
    dg_session_set_generator(s, bad);
    DgGenerateView *v = dg_window_get_generate_view(win);
    guint n = dg_window_get_n_toasts(win);
    g_autofree char *out = g_build_filename(uf_tmp, "never", NULL);
    g_assert_true(dg_generate_view_generate(v, 2, out));
    g_assert_cmpint(uf_wait_runner(dg_generate_view_get_runner(v), 60), ==, DG_JOB_FAILED);
    g_assert_true(ut_wait(uf_toast_after, GUINT_TO_POINTER(n), 10));
    g_assert_nonnull(strstr(dg_window_get_last_toast(win), "Generation failed"));
    dg_session_set_generator(s, keep);
}

/* ---- classifier ----------------------------------------------------------------------------- */

static gboolean results_at_least(gpointer p)
{
    return dg_results_page_get_n_results(results_page()) >=
           GPOINTER_TO_UINT(p);
}

static void train_classifier(void)
{
    DgClassifierView *v = dg_window_get_classifier_view(win);
    dg_window_show_view(win, "classifier");
    dg_classifier_view_show_page(v, "train");
    dg_train_page_configure(train_page(), "seed", 3, 1);
    guint before = dg_results_page_get_n_results(results_page());
    g_autofree char *out = g_build_filename(uf_tmp, "classifier", NULL);
    g_assert_true(dg_train_page_train(train_page(), out, 12));
    g_assert_cmpint(uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(train_page())), 300), ==,
                    DG_JOB_SUCCEEDED);
    g_assert_cmpuint(dg_train_page_get_n_points(train_page()), ==, 12);
    cnn_model = g_build_filename(out, "model.safetensors", NULL);
    g_assert_cmpstr(dg_session_get_classifier(dg_window_get_session(win)), ==, cnn_model);
    /* the finished training is evaluated on the test split at once */
    g_assert_true(ut_wait(results_at_least, GUINT_TO_POINTER(before + 1), 120));
}

static void ensure_classifier(void)
{
    if (!cnn_model) {
        uf_load(uf_data);
        train_classifier();
    }
}

static void test_classifier(void)
{
    uf_load(uf_data);
    train_classifier();
    uf_shot("classifier-train-tiny.png");
    DgClassifierView *v = dg_window_get_classifier_view(win);
    dg_classifier_view_show_page(v, "results");
    uf_draws d = {GTK_WIDGET(dg_results_page_get_confusion_chart(results_page())), 1};
    g_assert_true(ut_wait(uf_chart_drew, &d, 10));
    uf_shot("classifier-results-tiny.png");
    /* evaluating on another split */
    guint n = dg_results_page_get_n_results(results_page());
    g_assert_true(dg_results_page_evaluate(results_page(), "all"));
    g_assert_true(ut_wait(results_at_least, GUINT_TO_POINTER(n + 1), 120));
}

static gboolean ablation_done(gpointer p)
{
    (void)p;
    DgJobRunner *r = dg_job_page_get_runner(DG_JOB_PAGE(ablation_page()));
    return r && !dg_job_runner_is_active(r);
}

static void test_ablation(void)
{
    ensure_gan();
    DgClassifierView *v = dg_window_get_classifier_view(win);
    dg_window_show_view(win, "classifier");
    dg_classifier_view_show_page(v, "ablation");
    dg_ablation_page_configure(ablation_page(), "seed", 1, 1);
    /* two protocols (pretraining needs more than this tiny run's one step) */
    dg_ablation_page_set_protocols(ablation_page(), "balance,share");
    g_assert_cmpint(dg_ablation_page_count_protocols(ablation_page()), ==, 2);
    g_autofree char *out = g_build_filename(uf_tmp, "ablation", NULL);
    g_assert_true(dg_ablation_page_run(ablation_page(), out));
    g_assert_true(ut_wait(ablation_done, NULL, 600));
    DgJobRunner *r = dg_job_page_get_runner(DG_JOB_PAGE(ablation_page()));
    if (dg_job_runner_get_state(r) != DG_JOB_SUCCEEDED)
        g_test_message("ablation: %s", dg_job_runner_get_error(r));
    g_assert_cmpint(dg_job_runner_get_state(r), ==, DG_JOB_SUCCEEDED);
    g_autofree char *json = g_build_filename(out, "ablation.json", NULL);
    g_assert_true(g_file_test(json, G_FILE_TEST_IS_REGULAR));
    /* the page shows the run's result: one of its protocols against real only */
    const char *shown = dg_ablation_page_get_shown_protocol(ablation_page());
    g_assert_true(g_strcmp0(shown, "balance") == 0 || g_strcmp0(shown, "share") == 0);
    g_assert_true(dg_ablation_page_show_protocol(ablation_page(), "share"));
    g_assert_false(dg_ablation_page_show_protocol(ablation_page(), "pretrain"));
    uf_shot("classifier-ablation-tiny.png");
}

/* ---- diagnose --------------------------------------------------------------------------------- */

static GtkDropTarget *window_drop_target(void)
{
    GListModel *ctrls = gtk_widget_observe_controllers(GTK_WIDGET(win));
    GtkDropTarget *drop = NULL;
    for (guint i = 0; i < g_list_model_get_n_items(ctrls) && !drop; i++) {
        GObject *c = g_list_model_get_item(ctrls, i);
        if (GTK_IS_DROP_TARGET(c))
            drop = GTK_DROP_TARGET(c);
        g_object_unref(c);
    }
    g_object_unref(ctrls);
    return drop;
}

static gboolean drop_file(const char *path, gboolean as_list)
{
    GtkDropTarget *drop = window_drop_target();
    g_assert_nonnull(drop);
    GFile *f = g_file_new_for_path(path);
    GValue v = G_VALUE_INIT;
    if (as_list) {
        GSList *l = g_slist_prepend(NULL, f);
        g_value_init(&v, GDK_TYPE_FILE_LIST);
        g_value_take_boxed(&v, gdk_file_list_new_from_list(l));
        g_slist_free(l);
    } else {
        g_value_init(&v, G_TYPE_FILE);
        g_value_set_object(&v, f);
    }
    gboolean handled = FALSE;
    g_signal_emit_by_name(drop, "drop", &v, 10.0, 10.0, &handled);
    g_value_unset(&v);
    g_object_unref(f);
    return handled;
}

static gboolean diagnosed(gpointer p)
{
    (void)p;
    DgDiagnoseView *v = dg_window_get_diagnose_view(win);
    DgJobRunner *r = dg_diagnose_view_get_runner(v);
    return r && !dg_job_runner_is_active(r);
}

static void test_diagnose(void)
{
    ensure_classifier();
    DgDiagnoseView *v = dg_window_get_diagnose_view(win);
    dg_window_show_view(win, "dataset");
    /* drop an image anywhere on the window: it goes to Diagnose */
    g_autofree char *img = g_build_filename(uf_data, "mel", "img-03.png", NULL);
    g_assert_true(drop_file(img, TRUE));
    g_assert_cmpstr(dg_window_get_view(win), ==, "diagnose");
    g_assert_true(ut_wait(diagnosed, NULL, 60));
    double p[8];
    int k = dg_diagnose_view_get_probabilities(v, p, 8);
    g_assert_cmpint(k, ==, UF_CLASSES);
    double sum = 0;
    for (int i = 0; i < k; i++) {
        g_assert_true(p[i] >= 0 && p[i] <= 1);
        sum += p[i];
    }
    g_assert_cmpfloat_with_epsilon(sum, 1.0, 1e-4);
    g_assert_nonnull(dg_diagnose_view_get_top(v));
    g_assert_true(dg_diagnose_view_has_overlay(v));
    uf_draws d = {GTK_WIDGET(dg_diagnose_view_get_chart(v)), 1};
    g_assert_true(ut_wait(uf_chart_drew, &d, 10));
    uf_shot("diagnose-tiny.png");
    dg_diagnose_view_set_overlay(v, TRUE);
    uf_shot("diagnose-overlay-tiny.png");
    dg_diagnose_view_set_overlay(v, FALSE);

    /* the same as a plain GFile drop */
    g_autofree char *img2 = g_build_filename(uf_data, "bcc", "img-01.png", NULL);
    g_assert_true(drop_file(img2, FALSE));
    g_assert_true(ut_wait(diagnosed, NULL, 60));
    g_assert_cmpint(dg_diagnose_view_get_probabilities(v, p, 8), ==, UF_CLASSES);

    /* a dropped folder opens as the data set */
    g_autofree char *copy = g_strdup(uf_data);
    g_assert_true(drop_file(copy, TRUE));
    g_assert_cmpstr(dg_window_get_view(win), ==, "dataset");
    g_assert_true(ut_wait(uf_dataset_is, copy, 60));
}

/* Drops a file of that name that is no image: the view shows the error, naming it. */
static void drop_unreadable(DgDiagnoseView *v, const char *name)
{
    g_autofree char *bad = g_build_filename(uf_tmp, name, NULL);
    g_assert_true(g_file_set_contents(bad, "definitely not a JPEG", -1, NULL));
    g_assert_true(drop_file(bad, TRUE));
    g_assert_true(ut_wait(diagnosed, NULL, 60));
    g_assert_cmpstr(dg_diagnose_view_get_page(v), ==, "error");
    g_assert_nonnull(strstr(dg_diagnose_view_get_error(v), name));
}

static void test_diagnose_errors(void)
{
    ensure_classifier();
    DgSession *s = dg_window_get_session(win);
    DgDiagnoseView *v = dg_window_get_diagnose_view(win);
    /* a result first, then an unreadable image: the error replaces the result in the view */
    g_autofree char *img = g_build_filename(uf_data, "mel", "img-03.png", NULL);
    g_assert_true(dg_diagnose_view_open(v, img));
    g_assert_true(ut_wait(diagnosed, NULL, 60));
    g_assert_cmpstr(dg_diagnose_view_get_page(v), ==, "result");
    drop_unreadable(v, "not-an-image.jpg");
    double p[8];
    g_assert_cmpint(dg_diagnose_view_get_probabilities(v, p, 8), ==, 0);
    g_assert_null(dg_diagnose_view_get_top(v));
    uf_shot("diagnose-error.png");
    /* a name that is not valid markup: said as it is (a markup error is fatal here) */
    drop_unreadable(v, "a & <b>.jpg");
    /* a malformed model */
    g_autofree char *garbage = g_build_filename(uf_tmp, "garbage-classifier.safetensors", NULL);
    g_assert_true(g_file_set_contents(garbage, "\x10\0\0\0\0\0\0\0{\"a\": 1}xxxxxxxx", 24, NULL));
    dg_session_set_classifier(s, garbage);
    g_assert_true(dg_diagnose_view_open(v, img));
    g_assert_true(ut_wait(diagnosed, NULL, 60));
    g_assert_cmpint(dg_job_runner_get_state(dg_diagnose_view_get_runner(v)), ==, DG_JOB_FAILED);
    g_assert_cmpstr(dg_diagnose_view_get_page(v), ==, "error");
    g_assert_nonnull(dg_diagnose_view_get_error(v));
    /* no model at all */
    dg_session_set_classifier(s, NULL);
    g_assert_false(dg_diagnose_view_open(v, img));
    g_assert_cmpstr(dg_diagnose_view_get_page(v), ==, "error");
    dg_session_set_classifier(s, cnn_model);
}

/* An image the model should not judge (one flat colour) is said to be so,
 * without a class named; the patient fields reach the predict job, and a
 * model without a patient prior says it does not use them. */
static gboolean patient_text_set(gpointer p)
{
    (void)p;
    DgDiagnoseView *v = dg_window_get_diagnose_view(win);
    return diagnosed(NULL) && dg_diagnose_view_get_patient_text(v)[0] != '\0';
}

static void test_diagnose_judgement(void)
{
    ensure_classifier();
    DgDiagnoseView *v = dg_window_get_diagnose_view(win);
    dg_window_show_view(win, "diagnose");
    dg_diagnose_view_set_patient(v, -1, NULL, NULL);
    g_autofree char *flat = g_build_filename(uf_tmp, "flat-grey.png", NULL);
    GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, 64, 64);
    gdk_pixbuf_fill(pb, 0x808080ff);
    g_assert_true(gdk_pixbuf_save(pb, flat, "png", NULL, NULL));
    g_object_unref(pb);
    g_assert_true(dg_diagnose_view_open(v, flat));
    g_assert_true(ut_wait(diagnosed, NULL, 60));
    g_assert_cmpstr(dg_diagnose_view_get_page(v), ==, "result");
    g_assert_false(dg_diagnose_view_is_judged(v));
    uf_shot("diagnose-not-judged.png");
    /* a lesion image is judged; the patient fields go with it */
    g_autofree char *img = g_build_filename(uf_data, "mel", "img-03.png", NULL);
    g_assert_true(dg_diagnose_view_open(v, img));
    g_assert_true(ut_wait(diagnosed, NULL, 60));
    g_assert_cmpstr(dg_diagnose_view_get_patient_text(v), ==, "");
    dg_diagnose_view_set_patient(v, 70, "male", "back");
    g_assert_true(ut_wait(patient_text_set, NULL, 60));
    g_assert_nonnull(strstr(dg_diagnose_view_get_patient_text(v), "does not use patient metadata"));
    uf_shot("diagnose-patient.png");
    dg_diagnose_view_set_patient(v, -1, NULL, NULL);
    ut_spin(0.6);
    g_assert_true(ut_wait(diagnosed, NULL, 60));
}

/* ---- rendering every view, light and dark ------------------------------------------------- */

static void test_render_views(void)
{
    ensure_gan();
    ensure_classifier();
    const char *views[] = {"dataset", "gan", "generate", "classifier", "diagnose"};
    AdwStyleManager *sm = adw_style_manager_get_default();
    for (int dark = 0; dark < 2; dark++) {
        adw_style_manager_set_color_scheme(sm, dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                                    : ADW_COLOR_SCHEME_FORCE_LIGHT);
        ut_spin(0.2);
        g_assert_true(adw_style_manager_get_dark(sm) == (gboolean)dark);
        for (guint i = 0; i < G_N_ELEMENTS(views); i++) {
            dg_window_show_view(win, views[i]);
            g_autofree char *name = g_strdup_printf("%s-%s.png", views[i], dark ? "dark" : "light");
            uf_shot(name);
        }
    }
    adw_style_manager_set_color_scheme(sm, ADW_COLOR_SCHEME_DEFAULT);
}

/* ---- closing during training ------------------------------------------------------------------ */

static gboolean find_dialog(gpointer p)
{
    GList *tops = gtk_window_list_toplevels();
    for (GList *l = tops; l; l = l->next)
        if (ADW_IS_MESSAGE_DIALOG(l->data))
            *(AdwMessageDialog **)p = l->data;
    g_list_free(tops);
    return *(AdwMessageDialog **)p != NULL;
}

static void on_destroyed(GtkWidget *w, gboolean *flag)
{
    (void)w;
    *flag = TRUE;
}

static gboolean flag_set(gpointer p)
{
    return *(gboolean *)p;
}

static void test_close_during_training(void)
{
    uf_load(uf_data);
    DgGanView *v = dg_window_get_gan_view(win);
    dg_gan_view_configure(v, "tiny", 100000, 9);
    g_autofree char *run = g_build_filename(uf_tmp, "gan-closed", NULL);
    g_assert_true(dg_gan_view_start(v, run));
    g_assert_true(ut_wait(points_at_least, GUINT_TO_POINTER(3), 120));
    gboolean destroyed = FALSE;
    g_signal_connect(win, "destroy", G_CALLBACK(on_destroyed), &destroyed);
    /* closing asks first; "Keep Working" keeps the window and the training */
    gtk_window_close(GTK_WINDOW(win));
    AdwMessageDialog *dialog = NULL;
    g_assert_true(ut_wait(find_dialog, &dialog, 10));
    ut_frames(GTK_WIDGET(dialog), 3);
    g_autofree char *path = g_build_filename(uf_screens, "close-dialog.png", NULL);
    ut_render_png(GTK_WIDGET(dialog), path);
    adw_message_dialog_response(dialog, "cancel");
    gtk_window_destroy(GTK_WINDOW(dialog));
    ut_spin(0.3);
    g_assert_false(destroyed);
    g_assert_true(dg_job_runner_is_active(dg_gan_view_get_runner(v)));
    /* "Stop and Close": the job stops, keeps its checkpoint, then the window goes */
    gtk_window_close(GTK_WINDOW(win));
    dialog = NULL;
    g_assert_true(ut_wait(find_dialog, &dialog, 10));
    adw_message_dialog_response(dialog, "stop");
    gtk_window_destroy(GTK_WINDOW(dialog));
    g_assert_true(ut_wait(flag_set, &destroyed, 120));
    g_autofree char *ckpt = g_build_filename(run, "checkpoint.safetensors", NULL);
    g_assert_true(g_file_test(ckpt, G_FILE_TEST_IS_REGULAR));
    win = uf_new_window(); /* for the cases after this one */
}

int main(int argc, char **argv)
{
    if (!uf_init(&argc, &argv, 12)) {
        printf("1..0 # SKIP no display, and xvfb-run or dbus-run-session is missing\n");
        return 0;
    }
    g_test_add_func("/ui/window", test_window);
    g_test_add_func("/ui/preferences", test_preferences);
    g_test_add_func("/ui/first-start", test_first_start);
    g_test_add_func("/ui/dataset", test_dataset);
    g_test_add_func("/ui/dataset-errors", test_dataset_errors);
    g_test_add_func("/ui/gan", test_gan);
    g_test_add_func("/ui/gan-cancel-resume", test_gan_cancel_resume);
    g_test_add_func("/ui/generate", test_generate);
    g_test_add_func("/ui/generate-bad-model", test_generate_bad_model);
    g_test_add_func("/ui/classifier", test_classifier);
    g_test_add_func("/ui/ablation", test_ablation);
    g_test_add_func("/ui/diagnose", test_diagnose);
    g_test_add_func("/ui/diagnose-errors", test_diagnose_errors);
    g_test_add_func("/ui/diagnose-judgement", test_diagnose_judgement);
    g_test_add_func("/ui/render-views", test_render_views);
    g_test_add_func("/ui/close-during-training", test_close_during_training);
    int rc = g_test_run();
    uf_finish();
    g_free(gan_run), g_free(cnn_model);
    return rc;
}

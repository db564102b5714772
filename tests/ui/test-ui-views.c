/* test-ui-views: the views as a new user meets them (issue 14, items 1-4;
 * issue 10, items 2 and 5), under a private X server with
 * G_DEBUG=fatal-warnings: every Gtk warning fails the test.  Thumbnails
 * after opening a second data set; scrolling the grid after filter changes;
 * each page's own actions behind the window's shortcuts; GAN sample grids
 * by time and a speed that leaves pauses out; what a data set left out and
 * the choice to include it; Ctrl+O, messages and the Grad-CAM overlay in
 * Diagnose; no models or numerics header in ui/. */
#include <math.h>
#include <stdlib.h>

#include "dg-ui-util.h"
#include "models/dg-safetensors.h"
#include "ui-app-fixture.h"

/* ---- thumbnails ----------------------------------------------------------------------------- */

static gboolean all_shown_done(gpointer p)
{
    guint done = 0, shown = dg_thumb_grid_get_n_shown(p, &done);
    return shown > 0 && done == shown;
}

static void assert_thumbnails_shown(DgThumbGrid *grid)
{
    if (!ut_wait(all_shown_done, grid, 60)) {
        guint done = 0, shown = dg_thumb_grid_get_n_shown(grid, &done);
        g_error("%u of %u shown thumbnails loaded (%u decoded)", done, shown, dg_thumb_grid_get_n_decoded(grid));
    }
}

static void test_thumbnails_second_open(void)
{
    /* before any data set, the Results page says what it needs, not "evaluate" */
    DgResultsPage *rp = dg_classifier_view_get_results_page(dg_window_get_classifier_view(win));
    g_assert_true(g_str_has_prefix(dg_results_page_get_note(rp), "Open a data set"));
    g_assert_false(dg_results_page_get_exportable(rp)); /* nothing to export: no empty menu */
    dg_window_show_view(win, "dataset");
    DgThumbGrid *grid = dg_dataset_view_get_grid(dg_window_get_dataset_view(win));
    uf_load(uf_data);
    g_assert_true(g_str_has_prefix(dg_results_page_get_note(rp), "Evaluate a classifier"));
    assert_thumbnails_shown(grid);
    /* a second data set (ImageFolder), then the bundled HAM10000 sample, then the first again:
     * every shown cell gets its picture without scrolling or filtering */
    g_autofree char *parent = g_build_filename(uf_tmp, "second", NULL);
    g_autofree char *second = jt_make_imagefolder(parent, 3, 40, 48);
    uf_load(second);
    assert_thumbnails_shown(grid);
    g_autofree char *csv = dg_find_resource("sample/HAM10000_metadata.csv");
    g_autofree char *sample = g_path_get_dirname(csv);
    uf_load(sample);
    assert_thumbnails_shown(grid);
    uf_load(uf_data);
    assert_thumbnails_shown(grid);
}

static void scroll_through(DgThumbGrid *grid)
{
    GtkAdjustment *adj = dg_thumb_grid_get_vadjustment(grid);
    for (int i = 0; i <= 8; i++) {
        double top = gtk_adjustment_get_upper(adj) - gtk_adjustment_get_page_size(adj);
        gtk_adjustment_set_value(adj, top * (i % 2 ? 1.0 : i / 8.0));
        ut_frames(GTK_WIDGET(win), 2);
    }
}

static void test_filter_scroll(void)
{
    /* many images: the grid scrolls a long way */
    g_autofree char *parent = g_build_filename(uf_tmp, "big", NULL);
    g_autofree char *big = jt_make_imagefolder(parent, 4, 150, 16);
    dg_window_show_view(win, "dataset");
    uf_load(big);
    DgDatasetView *v = dg_window_get_dataset_view(win);
    DgThumbGrid *grid = dg_dataset_view_get_grid(v);
    ut_frames(GTK_WIDGET(win), 5);
    scroll_through(grid);
    /* one class, scrolled down; back to all classes, scrolled: no warnings (fatal here) */
    for (int round = 0; round < 3; round++) {
        dg_dataset_view_set_filter(v, round + 1, DG_SPLIT_NONE);
        ut_frames(GTK_WIDGET(win), 3);
        scroll_through(grid);
        dg_dataset_view_set_filter(v, -1, DG_SPLIT_NONE);
        ut_frames(GTK_WIDGET(win), 3);
        /* a new selection starts at the top */
        g_assert_cmpfloat(gtk_adjustment_get_value(dg_thumb_grid_get_vadjustment(grid)), <, 1);
        scroll_through(grid);
        dg_dataset_view_set_filter(v, -1, DG_SPLIT_TEST);
        ut_frames(GTK_WIDGET(win), 3);
        scroll_through(grid);
    }
    dg_dataset_view_set_filter(v, -1, DG_SPLIT_NONE);
    assert_thumbnails_shown(grid);
    uf_load(uf_data);
}

/* ---- each page owns its job's actions (issue 10, item 5) ------------------------------------- */

/* The first widget under root whose action is name (a button of a page's template). */
static GtkWidget *find_actionable(GtkWidget *root, const char *name)
{
    if (GTK_IS_ACTIONABLE(root) &&
        g_strcmp0(gtk_actionable_get_action_name(GTK_ACTIONABLE(root)), name) == 0)
        return root;
    for (GtkWidget *c = gtk_widget_get_first_child(root); c; c = gtk_widget_get_next_sibling(c)) {
        GtkWidget *w = find_actionable(c, name);
        if (w)
            return w;
    }
    return NULL;
}

static gboolean enabled(GtkWidget *page, const char *action)
{
    GtkWidget *b = find_actionable(page, action);
    g_assert_nonnull(b);
    return gtk_widget_get_sensitive(b);
}

static gboolean page_active(gpointer p)
{
    return dg_job_page_is_active(p);
}

static void test_job_actions(void)
{
    uf_load(uf_data);
    dg_window_show_view(win, "classifier");
    DgClassifierView *cv = dg_window_get_classifier_view(win);
    GtkWidget *train = GTK_WIDGET(dg_classifier_view_get_train_page(cv));
    dg_classifier_view_show_page(cv, "train");
    dg_train_page_configure(DG_TRAIN_PAGE(train), "seed", 1000, 1);
    ut_frames(GTK_WIDGET(win), 3);
    /* before a job: start only */
    g_assert_true(enabled(train, "job.start"));
    g_assert_false(enabled(train, "job.pause"));
    g_assert_false(enabled(train, "job.stop"));
    /* Ctrl+Return on the window starts the page shown, and only that one */
    g_action_group_activate_action(G_ACTION_GROUP(win), "start", NULL);
    g_assert_true(dg_job_page_is_active(DG_JOB_PAGE(train)));
    g_assert_null(dg_job_page_get_runner(
        DG_JOB_PAGE(dg_classifier_view_get_ablation_page(cv))));
    g_assert_false(enabled(train, "job.start"));
    g_assert_true(enabled(train, "job.pause"));
    g_assert_true(enabled(train, "job.stop"));
    /* Ctrl+P pauses it; Ctrl+. stops it and both go grey at once */
    g_action_group_activate_action(G_ACTION_GROUP(win), "pause", NULL);
    g_assert_true(dg_job_page_is_paused(DG_JOB_PAGE(train)));
    g_action_group_activate_action(G_ACTION_GROUP(win), "stop", NULL);
    g_assert_false(enabled(train, "job.pause"));
    g_assert_false(enabled(train, "job.stop"));
    g_assert_cmpint(uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(train)), 120), ==,
                    DG_JOB_CANCELLED);
    g_assert_true(enabled(train, "job.start"));
    /* the Results page's start is Evaluate; the GAN view's is a new run */
    dg_classifier_view_show_page(cv, "results");
    GtkWidget *results = GTK_WIDGET(dg_classifier_view_get_results_page(cv));
    ut_wait(page_active, results, 5); /* shown the first time: it evaluates by itself */
    uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(results)), 120);
    guint n = dg_results_page_get_n_results(DG_RESULTS_PAGE(results));
    g_action_group_activate_action(G_ACTION_GROUP(win), "start", NULL);
    uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(results)), 120);
    g_assert_cmpuint(dg_results_page_get_n_results(DG_RESULTS_PAGE(results)), ==, n + 1);
    /* a view without a job ignores the shortcuts */
    dg_window_show_view(win, "dataset");
    g_action_group_activate_action(G_ACTION_GROUP(win), "start", NULL);
    g_assert_false(dg_job_page_is_active(DG_JOB_PAGE(dg_window_get_gan_view(win))));
}

/* ---- the GAN view: grids by time, speed without pauses (issue 14, item 2) ------------------------ */

static GArray *grid_times; /* monotonic microseconds of each grid */

static void on_grid_step(DgJobRunner *r, const DgEventCopy *ev, GArray *steps)
{
    (void)r;
    if (ev->kind == DG_EVENT_IMAGE) {
        g_array_append_val(steps, ev->step);
        gint64 t = g_get_monotonic_time();
        g_array_append_val(grid_times, t);
    }
}

static gboolean gan_points_at_least(gpointer p)
{
    return dg_gan_view_get_n_points(dg_window_get_gan_view(win)) >= GPOINTER_TO_UINT(p);
}

/* What a user sees: a fresh grid at least every few seconds of training
 * (2 s asked), over 8 s, whether it came from the step interval (a fast
 * machine) or from the time interval (a slow or busy one); or, directly,
 * grids that the step interval did not ask for. */
static gboolean grids_at_least(gpointer p)
{
    GArray *a = p;
    guint off_step = 0;
    for (guint i = 1; i < a->len; i++)
        off_step += g_array_index(a, gint64, i) % 200 != 0;
    if (off_step >= 2)
        return TRUE;
    if (grid_times->len < 2)
        return FALSE;
    const gint64 *t = (const gint64 *)grid_times->data;
    const guint n = grid_times->len;
    if (t[n - 1] - t[1] < 8000000)
        return FALSE;
    for (guint i = 2; i < n; i++)
        if (t[i] - t[i - 1] > 4000000)
            return FALSE;
    return TRUE;
}

static void test_gan_grid_by_time(void)
{
    uf_load(uf_data);
    DgGanView *v = dg_window_get_gan_view(win);
    dg_window_show_view(win, "gan");
    /* no time claim before anything was measured here */
    g_settings_reset(uf_settings, "gan-speed");
    dg_gan_view_configure(v, "default", 0, 1);
    g_assert_null(strstr(dg_gan_view_get_preset_note(v), "about"));
    g_assert_nonnull(strstr(dg_gan_view_get_preset_note(v), "shown once it runs"));
    /* a long run: grids every 200 steps, and every 2 s of training */
    dg_gan_view_configure(v, "tiny", 100000, 4);
    dg_gan_view_set_sample_seconds(v, 2);
    g_autofree char *run = g_build_filename(uf_tmp, "gan-by-time", NULL);
    g_assert_true(dg_gan_view_start(v, run));
    GArray *steps = g_array_new(FALSE, FALSE, sizeof(gint64));
    grid_times = g_array_new(FALSE, FALSE, sizeof(gint64));
    DgJobRunner *r = g_object_ref(dg_gan_view_get_runner(v));
    g_signal_connect(r, "event", G_CALLBACK(on_grid_step), steps);
    if (!ut_wait(grids_at_least, steps, 300)) {
        GString *seen = g_string_new(NULL);
        for (guint i = 0; i < steps->len; i++)
            g_string_append_printf(seen, " %" G_GINT64_FORMAT, g_array_index(steps, gint64, i));
        g_error("grids at steps:%s; %u points; job %s", seen->str, dg_gan_view_get_n_points(v),
                dg_job_state_name(dg_job_runner_get_state(r)));
    }
    g_assert_cmpuint(dg_gan_view_get_n_grids(v), >=, 3);
    /* the speed and the time left while it runs; "paused" and neither while paused */
    g_assert_true(ut_wait(gan_points_at_least, GUINT_TO_POINTER(30), 60));
    ut_spin(1.5);
    g_assert_nonnull(strstr(dg_gan_view_get_progress_text(v), "images/s"));
    dg_gan_view_toggle_pause(v);
    ut_spin(0.5);
    const char *t = dg_gan_view_get_progress_text(v);
    g_assert_nonnull(strstr(t, "paused"));
    g_assert_null(strstr(t, "images/s"));
    g_assert_null(strstr(t, "left"));
    ut_spin(3); /* a pause longer than many steps */
    dg_gan_view_toggle_pause(v);
    guint at = dg_gan_view_get_n_points(v);
    g_assert_true(ut_wait(gan_points_at_least, GUINT_TO_POINTER(at + 20), 60));
    ut_spin(0.6);
    /* after the pause, the time left is of the order of the run, not hours more */
    const char *after = dg_gan_view_get_progress_text(v);
    g_assert_nonnull(strstr(after, "images/s"));
    dg_gan_view_stop(v);
    g_assert_cmpint(uf_wait_runner(r, 120), ==, DG_JOB_CANCELLED);
    g_object_unref(r);
    g_array_unref(steps);
    g_array_unref(grid_times);
    /* the speed measured is kept, and the note says how long a preset takes from it */
    dg_gan_view_configure(v, "tiny", 0, 1);
    g_assert_nonnull(strstr(dg_gan_view_get_preset_note(v), "measured on this computer"));
    dg_gan_view_set_sample_seconds(v, 0);
}

/* Starting from the bundled generator: only with the default preset (its
 * networks); a run on the bundled sample (its four classes) starts from it,
 * so does one on three of them, and a data set of none of its classes is
 * refused with a message. */
/* One step of the default preset from the bundled generator on data, into
 * uf_tmp/name; returns the job's final state (and its error, g_free). */
static dg_job_state warm_run(DgGanView *v, const char *data, const char *name, char **error)
{
    uf_load(data);
    dg_gan_view_configure(v, "default", 1, 1);
    g_assert_true(dg_gan_view_set_warm_start(v, TRUE));
    g_autofree char *run = g_build_filename(uf_tmp, name, NULL);
    g_assert_true(dg_gan_view_start(v, run));
    DgJobRunner *r = g_object_ref(dg_gan_view_get_runner(v));
    dg_job_state st = uf_wait_runner(r, 300);
    if (error)
        *error = g_strdup(dg_job_runner_get_error(r));
    g_object_unref(r);
    return st;
}

static void test_gan_warm_start(void)
{
    DgGanView *v = dg_window_get_gan_view(win);
    dg_window_show_view(win, "gan");
    dg_gan_view_configure(v, "tiny", 1, 1);
    g_assert_false(dg_gan_view_set_warm_start(v, TRUE));
    dg_gan_view_configure(v, "default", 1, 1);
    g_assert_true(dg_gan_view_set_warm_start(v, TRUE));
    dg_gan_view_configure(v, "tiny", 1, 1); /* leaving the preset turns it off */
    g_assert_false(dg_gan_view_get_warm_start(v));

    g_autofree char *csv = dg_find_resource("sample/HAM10000_metadata.csv");
    g_autofree char *sample = g_path_get_dirname(csv);
    g_assert_cmpint(warm_run(v, sample, "gan-warm", NULL), ==, DG_JOB_SUCCEEDED);
    g_autofree char *run = g_build_filename(uf_tmp, "gan-warm", NULL);
    g_autofree char *model = g_build_filename(run, "generator.safetensors", NULL);
    GError *error = NULL;
    dg_st *st = dg_st_load(model, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(dg_st_metadata(st, "initialized_from"), "generator.safetensors"));
    g_autofree char *bundled = dg_find_resource("models/generator.safetensors");
    dg_st *bst = dg_st_load(bundled, &error);
    g_assert_no_error(error);
    /* all the steps its weights have had: its own run's and those before */
    const char *before = dg_st_metadata(bst, "steps_before");
    g_autofree char *after = g_strdup_printf(
        "after %" G_GINT64_FORMAT " steps",
        g_ascii_strtoll(dg_st_metadata(bst, "trained_steps"), NULL, 10) +
            (before ? g_ascii_strtoll(before, NULL, 10) : 0));
    dg_st_free(bst);
    g_assert_nonnull(strstr(dg_st_metadata(st, "initialized_from"), after));
    dg_st_free(st);

    /* three of its four classes: they start from their own conditioning */
    g_autofree char *parent = g_build_filename(uf_tmp, "three", NULL);
    g_autofree char *three = jt_make_imagefolder(parent, 3, 12, 32); /* akiec bcc bkl */
    g_assert_cmpint(warm_run(v, three, "gan-warm-three", NULL), ==, DG_JOB_SUCCEEDED);

    /* none of its classes: refused with a message */
    g_autofree char *parent2 = g_build_filename(uf_tmp, "others", NULL);
    g_autofree char *others = jt_make_imagefolder(parent2, 6, 12, 32);
    static const char *task[] = {"akiec", "bcc", "bkl", "mel"};
    for (int i = 0; i < 4; i++) { /* leaves nv and df */
        g_autofree char *d = g_build_filename(others, task[i], NULL);
        jt_rm_rf(d);
    }
    g_autofree char *refused = NULL;
    g_assert_cmpint(warm_run(v, others, "gan-warm-other", &refused), ==, DG_JOB_FAILED);
    g_assert_nonnull(refused);
    g_assert_nonnull(strstr(refused, "none of this data set's classes"));
    dg_gan_view_set_warm_start(v, FALSE);
    dg_gan_view_configure(v, "tiny", 0, 1);
    uf_load(uf_data);
}

static void test_rate(void)
{
    /* steps per second from the job's own clock, which leaves paused time out */
    dg_ui_rate r;
    dg_ui_rate_reset(&r);
    g_assert_cmpfloat(dg_ui_rate_steps_per_s(&r), ==, 0);
    for (int i = 0; i <= 4000; i++)
        dg_ui_rate_add(&r, i * 0.05, i / 2); /* 10 steps/s for 200 s, an event a step */
    g_assert_cmpfloat_with_epsilon(dg_ui_rate_steps_per_s(&r), 10, 0.1);
    /* it follows a change of speed within the last minute */
    for (int i = 1; i <= 1200; i++)
        dg_ui_rate_add(&r, 200 + i * 0.1, 2000 + i); /* 10 steps/s -> 10 steps/s... */
    for (int i = 1; i <= 1200; i++)
        dg_ui_rate_add(&r, 320 + i * 0.05, 3200 + i); /* ... then 20 steps/s for a minute */
    g_assert_cmpfloat_with_epsilon(dg_ui_rate_steps_per_s(&r), 20, 0.5);
    /* a resumed job starts its clock again: the old samples go */
    dg_ui_rate_add(&r, 0.1, 200);
    dg_ui_rate_add(&r, 1.1, 230);
    g_assert_cmpfloat_with_epsilon(dg_ui_rate_steps_per_s(&r), 30, 1e-9);
}

/* ---- what is left out, and the choice (issue 14, item 3) -------------------------------------- */

/* A HAM10000-style folder: the metadata CSV and images/, with n task images per
 * task class and rows of two other classes (nv, df). */
static char *make_ham(const char *parent, int n)
{
    char *root = g_build_filename(parent, "ham", NULL);
    g_autofree char *images = g_build_filename(root, "images", NULL);
    g_mkdir_with_parents(images, 0755);
    GString *csv = g_string_new("lesion_id,image_id,dx,dx_type,age,sex,localization\n");
    const char *dx[] = {"akiec", "bcc", "bkl", "mel", "nv", "df"};
    const int count[] = {n, n, n, n, 3 * n, n / 2};
    int id = 0;
    for (int c = 0; c < 6; c++)
        for (int i = 0; i < count[c]; i++, id++) {
            g_string_append_printf(csv, "HAM_%07d,ISIC_%07d,%s,histo,50.0,male,back\n", id, id,
                                   dx[c]);
            GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, 24, 24);
            gdk_pixbuf_fill(pb, 0x402010ffu + ((guint32)c << 24) * 40 + (guint32)i * 256);
            g_autofree char *name = g_strdup_printf("ISIC_%07d.jpg", id);
            g_autofree char *path = g_build_filename(images, name, NULL);
            g_assert_true(gdk_pixbuf_save(pb, path, "jpeg", NULL, NULL));
            g_object_unref(pb);
        }
    g_autofree char *meta = g_build_filename(root, "HAM10000_metadata.csv", NULL);
    g_assert_true(g_file_set_contents(meta, csv->str, -1, NULL));
    g_string_free(csv, TRUE);
    return root;
}

static gboolean loaded_classes(gpointer p)
{
    DgSession *s = dg_window_get_session(win);
    const dg_dataset *ds = dg_session_get_dataset(s);
    return ds && !dg_session_is_loading(s) && ds->n_classes == GPOINTER_TO_INT(p);
}

static void test_left_out(void)
{
    g_autofree char *parent = g_build_filename(uf_tmp, "left-out", NULL);
    g_autofree char *ham = make_ham(parent, 8);
    dg_window_show_view(win, "dataset");
    uf_load(ham);
    DgDatasetView *v = dg_window_get_dataset_view(win);
    DgSession *s = dg_window_get_session(win);
    const dg_dataset *ds = dg_session_get_dataset(s);
    g_assert_cmpint(ds->n_classes, ==, 4);
    g_assert_cmpint(ds->n_rows_left_out, ==, 28);
    /* the view says what was left out and why */
    const char *note = dg_dataset_view_get_classes_note(v);
    g_assert_nonnull(note);
    g_assert_nonnull(strstr(note, "28 of the 60 images were left out"));
    g_assert_nonnull(strstr(note, "dermatofibroma"));
    uf_shot("dataset-left-out.png");
    /* and offers them: all classes load, the jobs get them too, and the choice is kept */
    dg_dataset_view_toggle_all_classes(v);
    g_assert_true(ut_wait(loaded_classes, GINT_TO_POINTER(6), 60));
    g_assert_true(dg_session_get_all_classes(s));
    g_assert_true(g_settings_get_boolean(uf_settings, "all-classes"));
    g_assert_nonnull(strstr(dg_dataset_view_get_classes_note(v), "All 6 classes"));
    g_assert_cmpuint(dg_dataset_view_get_n_shown(v), ==, 60);
    /* back to the task's four */
    dg_dataset_view_toggle_all_classes(v);
    g_assert_true(ut_wait(loaded_classes, GINT_TO_POINTER(4), 60));
    g_assert_false(dg_session_get_all_classes(s));
    /* an ImageFolder leaves nothing out: nothing to say */
    uf_load(uf_data);
    g_assert_null(dg_dataset_view_get_classes_note(v));
}

/* ---- Diagnose: Ctrl+O, messages, the Grad-CAM overlay (issue 14, item 4) ---------------------- */

/* Presses Ctrl+O as the shortcut does (the accelerator's action), and returns the
 * chooser's action and title (g_free) after closing it. */
static GtkFileChooserAction press_ctrl_o(char **title)
{
    g_auto(GStrv) actions = gtk_application_get_actions_for_accel(GTK_APPLICATION(uf_app),
                                                                  "<Control>o");
    g_assert_cmpstr(actions[0], ==, "win.open");
    g_action_group_activate_action(G_ACTION_GROUP(win), "open", NULL);
    g_assert_true(ut_wait(ut_chooser_shown, NULL, 10));
    GtkWindow *c = ut_find_chooser();
    GtkFileChooserAction a = gtk_file_chooser_get_action(GTK_FILE_CHOOSER(c));
    *title = g_strdup(gtk_window_get_title(c));
    gtk_dialog_response(GTK_DIALOG(c), GTK_RESPONSE_CANCEL);
    g_assert_true(ut_wait(ut_chooser_gone, NULL, 10));
    return a;
}

static gboolean diagnose_done(gpointer p)
{
    DgJobRunner *r = dg_diagnose_view_get_runner(p);
    return r && !dg_job_runner_is_active(r);
}

static void test_diagnose_open(void)
{
    uf_load(uf_data);
    /* Ctrl+O: an image in Diagnose, a data set elsewhere */
    dg_window_show_view(win, "diagnose");
    g_autofree char *t1 = NULL, *t2 = NULL;
    g_assert_cmpint(press_ctrl_o(&t1), ==, GTK_FILE_CHOOSER_ACTION_OPEN);
    g_assert_cmpstr(t1, ==, "Diagnose an Image");
    dg_window_show_view(win, "dataset");
    g_assert_cmpint(press_ctrl_o(&t2), ==, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
}

static gboolean settled(gpointer p)
{
    (void)p;
    return FALSE;
}

static void test_toasts(void)
{
    /* one message at a time: the next replaces the one shown */
    dg_window_show_view(win, "diagnose");
    dg_window_toast(win, "first error", TRUE);
    ut_wait(settled, NULL, 0.8);
    dg_window_toast(win, "second error", TRUE);
    g_assert_cmpuint(dg_window_get_n_live_toasts(win), ==, 1);
    ut_wait(settled, NULL, 0.8);
    g_assert_cmpuint(dg_window_get_n_live_toasts(win), ==, 1);
    /* and another view starts clean */
    dg_window_show_view(win, "gan");
    ut_wait(settled, NULL, 0.5);
    g_assert_cmpuint(dg_window_get_n_live_toasts(win), ==, 0);
    /* messages in quick succession: never more than one left */
    for (int i = 0; i < 5; i++)
        dg_window_toast(win, "quick", i % 2);
    ut_wait(settled, NULL, 1.0);
    g_assert_cmpuint(dg_window_get_n_live_toasts(win), <=, 1);
    dg_window_dismiss_toasts(win);
    ut_wait(settled, NULL, 1.0);
    g_assert_cmpuint(dg_window_get_n_live_toasts(win), ==, 0);
}

static void test_gradcam(void)
{
    uf_load(uf_data);
    DgDiagnoseView *v = dg_window_get_diagnose_view(win);
    dg_window_show_view(win, "diagnose");
    g_autofree char *img = g_build_filename(uf_data, "bcc", "img-02.png", NULL);
    g_assert_true(dg_diagnose_view_open(v, img));
    g_assert_true(ut_wait(diagnose_done, v, 60));
    g_assert_cmpstr(dg_diagnose_view_get_page(v), ==, "result");
    /* a map for every class, shown for the class chosen at the opacity chosen */
    g_assert_true(dg_diagnose_view_has_overlay(v));
    dg_diagnose_view_set_overlay(v, TRUE);
    dg_diagnose_view_set_overlay_class(v, 0, 0.9);
    ut_frames(GTK_WIDGET(win), 10);
    GdkTexture *a = ut_render(GTK_WIDGET(v));
    dg_diagnose_view_set_overlay_class(v, 3, 0.9);
    ut_frames(GTK_WIDGET(win), 10);
    GdkTexture *b = ut_render(GTK_WIDGET(v));
    dg_diagnose_view_set_overlay_class(v, 3, 0.2);
    ut_frames(GTK_WIDGET(win), 10);
    GdkTexture *c = ut_render(GTK_WIDGET(v));
    gsize la, lb, lc;
    g_autofree guint8 *pa = ut_texture_bytes(a, &la), *pb = ut_texture_bytes(b, &lb),
                      *pc = ut_texture_bytes(c, &lc);
    g_assert_true(la == lb && lb == lc);
    g_assert_true(memcmp(pa, pb, la) != 0); /* another class, another map */
    g_assert_true(memcmp(pb, pc, lb) != 0); /* another opacity */
    g_object_unref(a), g_object_unref(b), g_object_unref(c);
    uf_shot("diagnose-gradcam-class.png");
    dg_diagnose_view_set_overlay(v, FALSE);
}

/* ---- layering: the UI goes through jobs only ------------------------------------------------ */

static void test_layering(void)
{
    const char *root = g_getenv("DG_SOURCE_ROOT");
    if (!root) {
        g_test_skip("DG_SOURCE_ROOT is not set");
        return;
    }
    g_autofree char *ui = g_build_filename(root, "ui", NULL);
    GDir *d = g_dir_open(ui, 0, NULL);
    g_assert_nonnull(d);
    const char *n;
    int files = 0;
    while ((n = g_dir_read_name(d))) {
        if (!g_str_has_suffix(n, ".c") && !g_str_has_suffix(n, ".h"))
            continue;
        g_autofree char *p = g_build_filename(ui, n, NULL);
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents(p, &text, NULL, NULL));
        files++;
        /* no models or numerics: what the UI needs of them, a job or a jobs query gives */
        if (strstr(text, "#include \"models/") || strstr(text, "#include \"numerics/"))
            g_error("ui/%s includes a models or numerics header", n);
    }
    g_dir_close(d);
    g_assert_cmpint(files, >, 10);
}

int main(int argc, char **argv)
{
    if (!uf_init(&argc, &argv, 12)) {
        printf("1..0 # SKIP no display, and xvfb-run or dbus-run-session is missing\n");
        return 0;
    }
    g_test_add_func("/views/thumbnails-second-open", test_thumbnails_second_open);
    g_test_add_func("/views/filter-scroll", test_filter_scroll);
    g_test_add_func("/views/layering", test_layering);
    g_test_add_func("/views/job-actions", test_job_actions);
    g_test_add_func("/views/left-out", test_left_out);
    g_test_add_func("/views/diagnose-open", test_diagnose_open);
    g_test_add_func("/views/toasts", test_toasts);
    g_test_add_func("/views/gradcam", test_gradcam);
    g_test_add_func("/views/rate", test_rate);
    g_test_add_func("/views/gan-grid-by-time", test_gan_grid_by_time);
    g_test_add_func("/views/gan-warm-start", test_gan_warm_start);
    int rc = g_test_run();
    uf_finish();
    return rc;
}

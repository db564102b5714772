/* test-ui-tools: the tools around the views (issue 14, items 5-12), under a
 * private X server with G_DEBUG=fatal-warnings: the charts' read-out, zoom
 * and comparison with an earlier run; the window at 640 x 480; the ablation's
 * colours and time estimate; the bundled and last models without a file
 * chooser; the images behind a confusion-matrix cell; export; exploring the
 * generator; the command line's gan generate. */
#include <math.h>
#include <stdlib.h>

#include "dg-model-row.h"
#include "dg-ui-util.h"
#include "jobs/dg-job-gan.h"
#include "models/dg-safetensors.h"
#include "ui-app-fixture.h"

static gboolean diagnose_done(gpointer p)
{
    DgJobRunner *r = dg_diagnose_view_get_runner(p);
    return r && !dg_job_runner_is_active(r);
}

/* ---- charts: read-out, zoom, an earlier run beside (issue 14, item 6) --------------------------- */

static gboolean reference_drawn(gpointer p)
{
    return dg_gan_view_get_n_reference_points(p) > 0;
}

static DgJobRunner *runner_before;

static gboolean new_runner(gpointer data)
{
    DgJobRunner *r = dg_gan_view_get_runner(data);
    return r && r != runner_before;
}

/* The read-out in the middle of steps x0..x1 (zoomed on them: an earlier
 * run compared in the view may reach further) names the class losses. */
static gboolean class_loss_drawn_in(DgGanView *v, double x0, double x1)
{
    DgChart *c = dg_gan_view_get_curves_chart(v);
    int w = gtk_widget_get_width(GTK_WIDGET(c)), h = gtk_widget_get_height(GTK_WIDGET(c));
    dg_chart_zoom_x(c, x0, x1);
    cairo_surface_destroy(dg_chart_render(c, w, h));
    const char *t = dg_chart_hover(c, w / 2.0, h / 2.0);
    gboolean drawn = t && strstr(t, "class loss (real)") && strstr(t, "class loss (G)") &&
                     strstr(t, "class loss (twin)");
    dg_chart_zoom_x(c, NAN, NAN);
    return drawn;
}

/* Each class loss has a point at step x (not only the nearest one after). */
static gboolean class_loss_at(DgGanView *v, double x)
{
    dg_line_chart *lc = dg_chart_get_plot(dg_gan_view_get_curves_chart(v));
    int found = 0;
    for (int i = 0; i < dg_line_chart_n_series(lc); i++) {
        const char *name;
        double sx, raw, sm;
        if (dg_line_chart_get_series(lc, i, &name, NULL, NULL, NULL, NULL) &&
            g_str_has_prefix(name, "class loss (") &&
            dg_line_chart_value_at(lc, i, x, &sx, &raw, &sm) && sx == x && isfinite(raw))
            found++;
    }
    return found == 3;
}

/* ... in the resumed steps 5..12 */
static gboolean class_loss_drawn(gpointer data)
{
    return class_loss_drawn_in(data, 5, 12);
}

/* A run whose discriminator has a class head and its twin (an x- preset's
 * last part, TAC-GAN), resumed in the view: the class losses are drawn
 * beside D's and G's, for the steps before the resume (from its checkpoint)
 * and after. */
static void test_class_head_curves(void)
{
    uf_load(uf_data);
    DgGanView *v = dg_window_get_gan_view(win);
    dg_window_show_view(win, "gan");
    dg_gan_train_config *c = dg_gan_train_config_new();
    c->data = g_strdup(uf_data);
    c->out = g_build_filename(uf_tmp, "gan-class-head", NULL);
    g_free(c->preset);
    c->preset = g_strdup("x-resnetrcy-ap-4-4-0.3-0-2dc-1t");
    c->steps = 4;
    c->threads = 1;
    c->cache_dir = g_strdup("");
    c->quality_every = -1;
    g_autofree char *run = g_strdup(c->out);
    jt_must_succeed(&dg_job_gan_train, c);
    dg_gan_view_configure(v, "default", 12, 1);
    runner_before = dg_gan_view_get_runner(v); /* an earlier test's, finished */
    dg_gan_view_resume_run(v, run);
    g_assert_true(ut_wait(new_runner, v, 60));
    g_assert_cmpint(uf_wait_runner(dg_gan_view_get_runner(v), 300), ==, DG_JOB_SUCCEEDED);
    ut_frames(GTK_WIDGET(win), 5);
    g_assert_true(class_loss_drawn(v));
    g_assert_true(class_loss_at(v, 2) && class_loss_at(v, 4)); /* from the checkpoint */
    g_assert_true(class_loss_at(v, 8));
}

static void test_charts(void)
{
    uf_load(uf_data);
    DgGanView *v = dg_window_get_gan_view(win);
    dg_window_show_view(win, "gan");
    dg_gan_view_configure(v, "tiny", 30, 2);
    g_autofree char *first = g_build_filename(uf_tmp, "gan-first", NULL);
    g_assert_true(dg_gan_view_start(v, first));
    g_assert_cmpint(uf_wait_runner(dg_gan_view_get_runner(v), 300), ==, DG_JOB_SUCCEEDED);
    dg_gan_view_configure(v, "tiny", 40, 3);
    g_autofree char *second = g_build_filename(uf_tmp, "gan-second", NULL);
    g_assert_true(dg_gan_view_start(v, second));
    g_assert_cmpint(uf_wait_runner(dg_gan_view_get_runner(v), 300), ==, DG_JOB_SUCCEEDED);
    /* the first run, thin, beside the second */
    dg_gan_view_compare_with(v, first);
    g_assert_true(ut_wait(reference_drawn, v, 30));
    g_assert_cmpuint(dg_gan_view_get_n_reference_points(v), ==, 30);
    ut_frames(GTK_WIDGET(win), 5);
    /* the read-out: the step, each series' raw and smoothed value */
    DgChart *c = dg_gan_view_get_curves_chart(v);
    int w = gtk_widget_get_width(GTK_WIDGET(c)), h = gtk_widget_get_height(GTK_WIDGET(c));
    const char *t = dg_chart_hover(c, w / 2.0, h / 2.0);
    g_assert_nonnull(t);
    g_assert_true(g_str_has_prefix(t, "step "));
    g_assert_nonnull(strstr(t, "D loss"));
    g_assert_nonnull(strstr(t, "smoothed"));
    g_assert_nonnull(strstr(t, "(earlier run)"));
    g_assert_null(strstr(t, "class loss")); /* no class head in this preset: not drawn */
    uf_shot("gan-readout.png");
    /* zoom on steps 10..20: the chart shows them, then everything again */
    dg_chart_zoom_x(c, 10, 20);
    cairo_surface_destroy(dg_chart_render(c, w, h));
    double lo, hi;
    g_assert_true(dg_line_chart_get_layout(dg_chart_get_plot(c), NULL, &lo, &hi, NULL, NULL));
    g_assert_cmpfloat(lo, ==, 10);
    g_assert_cmpfloat(hi, ==, 20);
    t = dg_chart_hover(c, w / 2.0, h / 2.0);
    g_assert_nonnull(t);
    int step = atoi(t + 5);
    g_assert_cmpint(step, >=, 10);
    g_assert_cmpint(step, <=, 20);
    dg_chart_zoom_x(c, NAN, NAN);
    cairo_surface_destroy(dg_chart_render(c, w, h));
    g_assert_true(dg_line_chart_get_layout(dg_chart_get_plot(c), NULL, &lo, &hi, NULL, NULL));
    g_assert_cmpfloat(hi, >=, 40);
    g_assert_null(dg_chart_hover(c, -1, -1));
    dg_gan_view_compare_with(v, NULL);
}

/* ---- small screens and half-screen tiling (issue 14, item 7) ----------------------------------- */

#define NARROW_W 640
#define NARROW_H 480

static void test_narrow(void)
{
    uf_load(uf_data);
    int minw = 0, minh = 0;
    gtk_widget_measure(GTK_WIDGET(win), GTK_ORIENTATION_HORIZONTAL, -1, &minw, NULL, NULL, NULL);
    gtk_widget_measure(GTK_WIDGET(win), GTK_ORIENTATION_VERTICAL, minw, &minh, NULL, NULL, NULL);
    g_test_message("the window's minimum size: %d x %d", minw, minh);
    const char *names[] = {"dataset", "gan", "generate", "classifier", "diagnose"};
    GtkWidget *vs[] = {GTK_WIDGET(dg_window_get_dataset_view(win)),
                       GTK_WIDGET(dg_window_get_gan_view(win)),
                       GTK_WIDGET(dg_window_get_generate_view(win)),
                       GTK_WIDGET(dg_window_get_classifier_view(win)),
                       GTK_WIDGET(dg_window_get_diagnose_view(win))};
    for (int i = 0; i < 5; i++) {
        int w = 0, h = 0;
        gtk_widget_measure(vs[i], GTK_ORIENTATION_HORIZONTAL, -1, &w, NULL, NULL, NULL);
        gtk_widget_measure(vs[i], GTK_ORIENTATION_VERTICAL, -1, &h, NULL, NULL, NULL);
        g_test_message("  %s: %d x %d", names[i], w, h);
    }
    g_assert_cmpint(minw, <=, NARROW_W);
    g_assert_cmpint(minh, <=, NARROW_H);
    /* at that size every view folds its side panel and still shows its content */
    gtk_window_set_default_size(GTK_WINDOW(win), NARROW_W, NARROW_H);
    ut_frames(GTK_WIDGET(win), 10);
    const char *views[] = {"dataset", "gan", "generate", "classifier", "diagnose"};
    for (guint i = 0; i < G_N_ELEMENTS(views); i++) {
        dg_window_show_view(win, views[i]);
        g_autofree char *name = g_strdup_printf("narrow-%s.png", views[i]);
        uf_shot(name);
    }
    g_assert_cmpint(gtk_widget_get_width(GTK_WIDGET(win)), <=, NARROW_W + 2);
    gtk_window_set_default_size(GTK_WINDOW(win), 1180, 800);
    ut_frames(GTK_WIDGET(win), 10);
}

/* ---- the ablation page: what is coloured, how long it takes (issue 14, item 5) ----------------- */

/* An ablation.json with one metric row per (key, difference, p). */
static char *ablation_json(int seeds)
{
    struct {
        const char *key;
        double d, p;
    } rows[] = {{"balanced_accuracy", 0.05, 0.01}, {"accuracy", -0.02, 0.5},
                {"macro_f1", 0.01, 0.25},          {"auc_macro", 0.0, 1.0},
                {"ece", 0.008, 0.5},               {"ece-bad", 0.02, 0.01}};
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "{\"seeds\": %d, \"steps\": 660, \"classes\": [\"mel\"], "
                              "\"metrics\": {", seeds);
    for (guint i = 0; i < G_N_ELEMENTS(rows) - 1; i++) {
        /* the calibration error's row: worse (higher) and significant when seeds > 3 */
        double d = rows[i].d, p = rows[i].p;
        if (g_str_equal(rows[i].key, "ece") && seeds > 3)
            d = rows[5].d, p = rows[5].p;
        g_string_append_printf(s, "%s\"%s\": {\"real\": {\"mean\": 0.6, \"std\": 0.01}, "
                                  "\"real+synthetic\": {\"mean\": 0.6, \"std\": 0.01}, "
                                  "\"difference\": {\"mean\": %g, \"std\": 0.01, "
                                  "\"p_sign_flip\": %g}}",
                               i ? ", " : "", rows[i].key, d, p);
    }
    g_string_append(s, "}, \"recall\": {\"mel\": {\"real\": {\"mean\": 0.7, \"std\": 0.1}, "
                       "\"real+synthetic\": {\"mean\": 0.6, \"std\": 0.1}, "
                       "\"difference\": {\"mean\": -0.1, \"std\": 0.02, \"p_sign_flip\": "
                       "0.02}}}}");
    return g_string_free(s, FALSE);
}

/* A multi-protocol ablation.json: two protocols beside real only, "filter"
 * chosen on validation; balance's balanced accuracy significantly worse,
 * filter's better. */
static const char multi_json[] =
    "{\"seeds\": 6, \"steps\": 660, \"color_shift\": 0.5, \"classes\": [\"mel\"], "
    "\"chosen_protocol\": \"filter\", \"protocols\": ["
    "{\"id\": \"real\", \"title\": \"real only\", \"val_balanced_accuracy\": {\"mean\": 0.66}},"
    "{\"id\": \"balance\", \"title\": \"balance\", \"val_balanced_accuracy\": {\"mean\": 0.62}},"
    "{\"id\": \"filter\", \"title\": \"filtered balance\", "
    "\"val_balanced_accuracy\": {\"mean\": 0.67}}], "
    "\"metrics\": {\"balanced_accuracy\": {\"real\": {\"mean\": 0.62, \"std\": 0.02}, "
    "\"balance\": {\"mean\": 0.59, \"std\": 0.01}, \"filter\": {\"mean\": 0.65, \"std\": 0.01}, "
    "\"differences\": {\"balance\": {\"mean\": -0.03, \"std\": 0.01, \"ci95_low\": -0.04, "
    "\"ci95_high\": -0.02, \"p_sign_flip\": 0.03}, \"filter\": {\"mean\": 0.03, \"std\": 0.01, "
    "\"ci95_low\": 0.02, \"ci95_high\": 0.04, \"p_sign_flip\": 0.03}}}}, "
    "\"recall\": {\"mel\": {\"real\": {\"mean\": 0.7, \"std\": 0.1}, "
    "\"balance\": {\"mean\": 0.7, \"std\": 0.1}, \"filter\": {\"mean\": 0.7, \"std\": 0.1}, "
    "\"differences\": {\"balance\": {\"mean\": 0, \"p_sign_flip\": 1}, "
    "\"filter\": {\"mean\": 0, \"p_sign_flip\": 1}}}}}";

static void test_ablation_page(void)
{
    uf_load(uf_data);
    DgClassifierView *cv = dg_window_get_classifier_view(win);
    dg_window_show_view(win, "classifier");
    dg_classifier_view_show_page(cv, "ablation");
    DgAblationPage *a = dg_classifier_view_get_ablation_page(cv);
    /* significant differences only, by better or worse */
    g_autofree char *six = ablation_json(6);
    g_assert_true(dg_ablation_page_show(a, six));
    g_assert_cmpstr(dg_ablation_page_get_cell_style(a, "balanced_accuracy"), ==, "success");
    g_assert_null(dg_ablation_page_get_cell_style(a, "accuracy"));  /* p = 0.5 */
    g_assert_null(dg_ablation_page_get_cell_style(a, "macro_f1"));  /* p = 0.25 */
    g_assert_cmpstr(dg_ablation_page_get_cell_style(a, "ece"), ==, "error"); /* higher: worse */
    g_assert_cmpstr(dg_ablation_page_get_cell_style(a, "recall-mel"), ==, "error");
    /* a document from before the colour-shift setting: trained without it */
    g_assert_nonnull(strstr(dg_ablation_page_get_note(a), "(no colour shift)"));
    uf_shot("ablation-colours.png");
    /* the bundled 5-seed result: no difference reaches p < 0.05 (the least possible is 0.0625) */
    g_autofree char *bundled = dg_find_resource("models/ablation.json");
    g_autofree char *json = NULL;
    if (bundled && g_file_get_contents(bundled, &json, NULL, NULL)) {
        g_assert_true(dg_ablation_page_show(a, json));
        g_assert_null(dg_ablation_page_get_cell_style(a, "ece"));
        g_assert_null(dg_ablation_page_get_cell_style(a, "balanced_accuracy"));
    }
    /* several protocols: the one chosen on validation is in the table, the others a choice away */
    g_assert_true(dg_ablation_page_show(a, multi_json));
    g_assert_cmpstr(dg_ablation_page_get_shown_protocol(a), ==, "filter");
    g_assert_cmpstr(dg_ablation_page_get_cell_style(a, "balanced_accuracy"), ==, "success");
    g_assert_nonnull(strstr(dg_ablation_page_get_note(a), "(colour shift 0.5)"));
    g_assert_true(dg_ablation_page_show_protocol(a, "balance"));
    g_assert_cmpstr(dg_ablation_page_get_shown_protocol(a), ==, "balance");
    g_assert_cmpstr(dg_ablation_page_get_cell_style(a, "balanced_accuracy"), ==, "error");
    g_assert_false(dg_ablation_page_show_protocol(a, "share"));
    g_autofree char *mc = g_build_filename(uf_tmp, "multi.csv", NULL);
    g_assert_true(dg_ablation_page_export(a, "csv", mc, NULL));
    g_autofree char *csv = NULL;
    g_assert_true(g_file_get_contents(mc, &csv, NULL, NULL));
    g_assert_nonnull(strstr(csv, "\nbalanced_accuracy,balance,0.62,0.02,0.59,0.01,-0.03,0.01,-0.04,"
                                 "-0.02,0.03\n"));
    g_assert_nonnull(strstr(csv, "\nbalanced_accuracy,filter,0.62,"));
    uf_shot("ablation-protocols.png");
    /* hostile documents: not shown, nothing read out of bounds */
    const char *bad[] = {"{\"metrics\": {}, \"recall\": {}, \"classes\": [1]}",
                         "{\"metrics\": {\"balanced_accuracy\": {\"differences\": {\"\": {}}}}, "
                         "\"recall\": {}, \"classes\": [], \"protocols\": [{\"id\": \"\", "
                         "\"title\": \"\"}, {\"id\": 3}, 7], \"chosen_protocol\": {}}",
                         "[]", ""};
    g_assert_false(dg_ablation_page_show(a, bad[0]));
    g_assert_true(dg_ablation_page_show(a, bad[1])); /* readable, with no protocol: two arms */
    g_assert_cmpstr(dg_ablation_page_get_shown_protocol(a), ==, "real+synthetic");
    g_assert_false(dg_ablation_page_show(a, bad[2]));
    g_assert_false(dg_ablation_page_show(a, bad[3]));
    /* 20 epochs by default (the text's 660 steps on HAM10000), and an estimate before Run */
    g_settings_reset(uf_settings, "cnn-speed");
    DgAblationPage *fresh = g_object_ref_sink(g_object_new(DG_TYPE_ABLATION_PAGE, NULL));
    dg_job_page_set_session(DG_JOB_PAGE(fresh), dg_window_get_session(win));
    const dg_dataset *ds = dg_session_get_dataset(dg_window_get_session(win));
    int n_train = dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, NULL);
    /* all four protocols ticked: five arms of 5 seeds */
    g_assert_cmpint(dg_ablation_page_count_protocols(fresh), ==, 4);
    /* the steps the ablation job runs: 20 passes of MAX(1, n / 64) batches (660 on HAM10000) */
    double expect = 5.0 * 5 * 20 * MAX(1, n_train / 64) * 64 / 120.0;
    g_assert_cmpfloat_with_epsilon(dg_ablation_page_get_estimate(fresh), expect, 1e-6);
    dg_ablation_page_set_protocols(fresh, "balance,filter");
    g_assert_cmpint(dg_ablation_page_count_protocols(fresh), ==, 2);
    g_assert_cmpfloat_with_epsilon(dg_ablation_page_get_estimate(fresh), expect * 3 / 5, 1e-6);
    dg_ablation_page_set_protocols(fresh, "");
    g_assert_cmpfloat(dg_ablation_page_get_estimate(fresh), <, 0);
    g_assert_false(dg_ablation_page_run(fresh, NULL)); /* nothing to compare */
    g_object_unref(fresh);
    g_assert_cmpfloat(dg_ablation_page_get_estimate(a), >, 0);
}

/* ---- the bundled and the last models, without a file chooser (issue 14, item 8) --------------- */

static gboolean gan_points_above(gpointer p)
{
    DgGanView *v = dg_window_get_gan_view(win);
    return dg_gan_view_get_n_points(v) > GPOINTER_TO_UINT(p);
}

static void test_models_and_runs(void)
{
    uf_load(uf_data);
    DgSession *s = dg_window_get_session(win);
    DgModelRow *row = DG_MODEL_ROW(
        dg_results_page_get_model_row(dg_classifier_view_get_results_page(
            dg_window_get_classifier_view(win))));
    g_autofree char *bundled = dg_find_resource("models/classifier.safetensors");
    g_autofree char *other = g_build_filename(uf_tmp, "somewhere.safetensors", NULL);
    dg_session_set_classifier(s, other);
    dg_model_row_use(row, "bundled");
    g_assert_cmpstr(dg_session_get_classifier(s), ==, bundled);
    /* the last trained one: a classifier run that left a model */
    DgTrainPage *tp = dg_classifier_view_get_train_page(dg_window_get_classifier_view(win));
    dg_train_page_configure(tp, "seed", 1, 1);
    g_autofree char *run = g_build_filename(uf_tmp, "cnn-last", NULL);
    g_assert_true(dg_train_page_train(tp, run, 6));
    g_assert_cmpint(uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(tp)), 300), ==,
                    DG_JOB_SUCCEEDED);
    g_autofree char *model = g_build_filename(run, "model.safetensors", NULL);
    g_autofree char *last = dg_model_row_get_last_trained(row);
    g_assert_cmpstr(last, ==, model);
    dg_model_row_use(row, "bundled");
    dg_model_row_use(row, "last");
    g_assert_cmpstr(dg_session_get_classifier(s), ==, model);
    dg_model_row_use(row, "bundled");
    /* a stopped GAN run resumes from the Resume menu's Last Run, no chooser */
    DgGanView *v = dg_window_get_gan_view(win);
    dg_window_show_view(win, "gan");
    dg_gan_view_configure(v, "tiny", 100000, 6);
    g_autofree char *gan = g_build_filename(uf_tmp, "gan-to-resume", NULL);
    g_assert_true(dg_gan_view_start(v, gan));
    g_assert_true(ut_wait(gan_points_above, GUINT_TO_POINTER(5), 120));
    dg_gan_view_stop(v);
    g_assert_cmpint(uf_wait_runner(dg_gan_view_get_runner(v), 120), ==, DG_JOB_CANCELLED);
    guint stopped = dg_gan_view_get_n_points(v);
    g_assert_true(gtk_widget_activate_action(GTK_WIDGET(v), "gan.resume-last", NULL));
    g_assert_true(ut_wait(gan_points_above, GUINT_TO_POINTER(stopped + 3), 120));
    g_assert_cmpstr(dg_gan_view_get_run_dir(v), ==, gan);
    dg_gan_view_stop(v);
    g_assert_cmpint(uf_wait_runner(dg_gan_view_get_runner(v), 120), ==, DG_JOB_CANCELLED);
}

/* ---- the images behind the confusion matrix (issue 14, item 10) ------------------------------- */

static DgCasesWindow *last_cases_window(void)
{
    DgCasesWindow *found = NULL;
    GList *tops = gtk_window_list_toplevels();
    for (GList *l = tops; l; l = l->next)
        if (DG_IS_CASES_WINDOW(l->data))
            found = l->data;
    g_list_free(tops);
    return found;
}

/* The fixture's data set and the bundled classifier, on the Results page,
 * with no evaluation running. */
static DgResultsPage *bundled_results_page(void)
{
    uf_load(uf_data);
    DgSession *s = dg_window_get_session(win);
    g_autofree char *bundled = dg_find_resource("models/classifier.safetensors");
    dg_session_set_classifier(s, bundled);
    DgClassifierView *cv = dg_window_get_classifier_view(win);
    dg_window_show_view(win, "classifier");
    dg_classifier_view_show_page(cv, "results");
    DgResultsPage *rp = dg_classifier_view_get_results_page(cv);
    /* an evaluation of the classifier before is stopped, and the bundled one's follows */
    while (dg_job_page_is_active(DG_JOB_PAGE(rp)))
        uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(rp)), 120);
    return rp;
}

static void test_cases(void)
{
    DgResultsPage *rp = bundled_results_page();
    DgSession *s = dg_window_get_session(win);
    g_assert_true(dg_results_page_evaluate(rp, "all"));
    g_assert_cmpint(uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(rp)), 120), ==,
                    DG_JOB_SUCCEEDED);
    ut_frames(GTK_WIDGET(win), 10);
    /* a click on each cell opens its images: together, every image evaluated */
    DgChart *chart = dg_results_page_get_confusion_chart(rp);
    guint total = 0;
    for (int r = 0; r < UF_CLASSES; r++)
        for (int c = 0; c < UF_CLASSES; c++) {
            double x, y;
            g_assert_true(dg_chart_get_cell_center(chart, r, c, &x, &y));
            g_assert_true(dg_chart_click(chart, x, y));
            DgCasesWindow *w = last_cases_window();
            g_assert_nonnull(w);
            total += dg_cases_window_get_n_cases(w);
            if (r == 3 && c == 3 && dg_cases_window_get_n_cases(w) > 0) {
                /* one image: its probabilities and its Grad-CAM beside the grid */
                ut_frames(GTK_WIDGET(w), 5);
                dg_cases_window_show_case(w, 0);
                DgDiagnoseView *d = dg_cases_window_get_detail(w);
                g_assert_true(ut_wait(diagnose_done, d, 60));
                g_assert_cmpstr(dg_diagnose_view_get_page(d), ==, "result");
                g_assert_true(dg_diagnose_view_has_overlay(d));
                dg_diagnose_view_set_overlay(d, TRUE);
                ut_frames(GTK_WIDGET(w), 20);
                g_autofree char *path = g_build_filename(uf_screens, "cases.png", NULL);
                g_assert_true(ut_render_png(GTK_WIDGET(w), path));
            }
            gtk_window_destroy(GTK_WINDOW(w));
        }
    g_assert_cmpuint(total, ==, (guint)dg_session_get_dataset(s)->n_items);
    /* the most confident mistakes, surest first */
    DgCasesWindow *m = dg_results_page_open_mistakes(rp, 60);
    g_assert_nonnull(m);
    g_assert_cmpuint(dg_cases_window_get_n_cases(m), <=, 60);
    gtk_window_destroy(GTK_WINDOW(m));
}

/* ---- another source (issue 13) ------------------------------------------------------------------ */

static char *evaluate_all(DgResultsPage *rp, double shift)
{
    dg_results_page_set_shift(rp, shift);
    g_assert_true(dg_results_page_evaluate(rp, "all"));
    g_assert_cmpint(uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(rp)), 120), ==,
                    DG_JOB_SUCCEEDED);
    ut_frames(GTK_WIDGET(rp), 3);
    g_assert_true(dg_results_page_get_exportable(rp)); /* a result shown: Export offered */
    g_autofree char *path = g_build_filename(uf_tmp, "shift.json", NULL);
    g_assert_true(dg_results_page_export(rp, "json", path, NULL));
    char *json = NULL;
    g_assert_true(g_file_get_contents(path, &json, NULL, NULL));
    return json;
}

static double json_number(const char *json, const char *member)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
    return json_object_get_double_member(json_node_get_object(json_parser_get_root(p)), member);
}

/* The Results page's "Another source" row: the evaluation is of changed
 * images, and the caption says so; back at 0, the original numbers. */
static void test_shift(void)
{
    DgResultsPage *rp = bundled_results_page();
    g_autofree char *plain = evaluate_all(rp, 0);
    g_assert_null(strstr(dg_results_page_get_caption(rp), "another source"));
    g_autofree char *shifted = evaluate_all(rp, 2);
    g_assert_cmpfloat(json_number(plain, "shift"), ==, 0);
    g_assert_cmpfloat(json_number(shifted, "shift"), ==, 2);
    g_assert_nonnull(strstr(dg_results_page_get_caption(rp), "another source (strength 2.00)"));
    uf_shot("results-shift.png");
    /* the probabilities of changed images are not the originals' */
    g_assert_cmpfloat(json_number(shifted, "ece"), !=, json_number(plain, "ece"));
    g_autofree char *again = evaluate_all(rp, 0);
    g_assert_cmpfloat(json_number(again, "ece"), ==, json_number(plain, "ece"));
}

/* ---- export (issue 14, item 11) ------------------------------------------------------------------ */

static gboolean file_starts(const char *path, const char *head, gsize at)
{
    g_autofree char *t = NULL;
    gsize n = 0;
    return g_file_get_contents(path, &t, &n, NULL) && n > at + strlen(head) &&
           memcmp(t + at, head, strlen(head)) == 0;
}

static void test_export(void)
{
    uf_load(uf_data);
    DgClassifierView *cv = dg_window_get_classifier_view(win);
    DgResultsPage *rp = dg_classifier_view_get_results_page(cv);
    if (dg_job_page_is_active(DG_JOB_PAGE(rp)))
        uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(rp)), 120);
    /* a classifier with a run folder: the report has its training curves */
    DgTrainPage *tp = dg_classifier_view_get_train_page(cv);
    dg_train_page_configure(tp, "seed", 3, 1);
    g_autofree char *run = g_build_filename(uf_tmp, "cnn-report", NULL);
    g_assert_true(dg_train_page_train(tp, run, 12));
    g_assert_cmpint(uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(tp)), 300), ==,
                    DG_JOB_SUCCEEDED);
    ut_spin(0.3);
    if (dg_job_page_is_active(DG_JOB_PAGE(rp))) /* it evaluates the new model at once */
        uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(rp)), 120);
    dg_window_show_view(win, "classifier");
    dg_classifier_view_show_page(cv, "results");
    ut_frames(GTK_WIDGET(win), 5);
    const char *what[] = {"json", "csv", "matrix", "matrix", "matrix", "report", "report"};
    const char *files[] = {"m.json", "m.csv", "cm.png", "cm.svg", "cm.pdf", "r.pdf", "r.png"};
    for (guint i = 0; i < G_N_ELEMENTS(what); i++) {
        g_autofree char *path = g_build_filename(uf_tmp, files[i], NULL);
        GError *error = NULL;
        g_assert_true(dg_results_page_export(rp, what[i], path, &error));
        g_assert_no_error(error);
    }
    g_autofree char *pj = g_build_filename(uf_tmp, "m.json", NULL);
    g_autofree char *pc = g_build_filename(uf_tmp, "m.csv", NULL);
    g_autofree char *pp = g_build_filename(uf_tmp, "cm.png", NULL);
    g_autofree char *ps = g_build_filename(uf_tmp, "cm.svg", NULL);
    g_autofree char *pd = g_build_filename(uf_tmp, "cm.pdf", NULL);
    g_autofree char *pr = g_build_filename(uf_tmp, "r.pdf", NULL);
    g_assert_true(file_starts(pj, "{", 0));
    g_assert_true(file_starts(pc, "scope,metric,value\nall,accuracy,", 0));
    g_assert_true(file_starts(pp, "PNG", 1));
    g_assert_true(file_starts(ps, "<?xml", 0));
    g_assert_true(file_starts(pd, "%PDF", 0));
    g_assert_true(file_starts(pr, "%PDF", 0));
    g_autofree char *shot = g_build_filename(uf_screens, "report.png", NULL);
    g_assert_true(dg_results_page_export(rp, "report", shot, NULL));
    /* the ablation: its numbers and its chart */
    DgAblationPage *ap = dg_classifier_view_get_ablation_page(cv);
    g_autofree char *bundled = dg_find_resource("models/ablation.json");
    g_autofree char *json = NULL;
    g_assert_true(g_file_get_contents(bundled, &json, NULL, NULL));
    g_assert_true(dg_ablation_page_show(ap, json));
    g_autofree char *aj = g_build_filename(uf_tmp, "a.json", NULL);
    g_autofree char *ac = g_build_filename(uf_tmp, "a.csv", NULL);
    g_autofree char *ad = g_build_filename(uf_tmp, "a.pdf", NULL);
    g_assert_true(dg_ablation_page_export(ap, "json", aj, NULL));
    g_assert_true(dg_ablation_page_export(ap, "csv", ac, NULL));
    g_assert_true(dg_ablation_page_export(ap, "chart", ad, NULL));
    g_assert_true(file_starts(ac, "metric,protocol,real_mean", 0));
    g_assert_true(file_starts(ad, "%PDF", 0));
    /* any chart, from its right-click menu's code */
    g_autofree char *gc = g_build_filename(uf_tmp, "loss.svg", NULL);
    g_assert_true(dg_chart_save(dg_train_page_get_epoch_chart(tp), gc, 800, 500, NULL));
    g_assert_true(file_starts(gc, "<?xml", 0));

    /* distillation from the Teacher row: the model just trained teaches the next one */
    g_autofree char *teacher = g_build_filename(run, "model.safetensors", NULL);
    dg_train_page_set_teacher(tp, teacher);
    g_assert_cmpstr(dg_train_page_get_teacher(tp), ==, teacher);
    g_autofree char *run2 = g_build_filename(uf_tmp, "cnn-distilled", NULL);
    g_assert_true(dg_train_page_train(tp, run2, 12));
    g_assert_cmpint(uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(tp)), 300), ==,
                    DG_JOB_SUCCEEDED);
    ut_spin(0.3);
    if (dg_job_page_is_active(DG_JOB_PAGE(rp)))
        uf_wait_runner(dg_job_page_get_runner(DG_JOB_PAGE(rp)), 120);
    g_autofree char *m2 = g_build_filename(run2, "model.safetensors", NULL);
    dg_st *st = dg_st_load(m2, NULL);
    g_assert_nonnull(st);
    g_assert_cmpstr(dg_st_metadata(st, "teacher"), ==, "model.safetensors");
    dg_st_free(st);
    g_assert_true(gtk_widget_activate_action(GTK_WIDGET(tp), "train.clear-teacher", NULL));
    g_assert_null(dg_train_page_get_teacher(tp));
}

/* ---- exploring the generator (issue 14, item 12) ------------------------------------------------- */

static void test_explore(void)
{
    uf_load(uf_data);
    DgSession *s = dg_window_get_session(win);
    g_autofree char *gen = dg_find_resource("models/generator.safetensors");
    if (!gen) {
        g_test_skip("no bundled generator");
        return;
    }
    dg_session_set_generator(s, gen);
    dg_window_show_view(win, "generate");
    DgExploreWindow *w = dg_generate_view_explore(dg_window_get_generate_view(win));
    g_assert_nonnull(w);
    /* between two samples of melanoma, each beside its nearest real training image */
    dg_explore_window_configure(w, "noise", 3, 1, 2, TRUE);
    g_assert_true(dg_explore_window_show(w));
    g_assert_cmpint(uf_wait_runner(dg_explore_window_get_runner(w), 120), ==, DG_JOB_SUCCEEDED);
    g_assert_cmpuint(dg_explore_window_get_n_samples(w), ==, 8);
    g_assert_cmpuint(dg_explore_window_get_n_nearest(w), ==, 8);
    ut_frames(GTK_WIDGET(w), 10);
    g_autofree char *p1 = g_build_filename(uf_screens, "explore-noise.png", NULL);
    g_assert_true(ut_render_png(GTK_WIDGET(w), p1));
    /* one noise, every class */
    dg_explore_window_configure(w, "classes", 0, 5, 0, FALSE);
    g_assert_true(dg_explore_window_show(w));
    g_assert_cmpint(uf_wait_runner(dg_explore_window_get_runner(w), 120), ==, DG_JOB_SUCCEEDED);
    g_assert_cmpuint(dg_explore_window_get_n_samples(w), ==, UF_CLASSES);
    g_assert_cmpuint(dg_explore_window_get_n_nearest(w), ==, 0);
    gtk_window_destroy(GTK_WINDOW(w));
}

/* ---- the command line's gan generate (issue 14, item 9) -------------------------------------------- */

static void test_cli_generate(void)
{
    const char *builddir = g_getenv("G_TEST_BUILDDIR");
    g_autofree char *cli = builddir ? g_build_filename(builddir, "..", "..", "app", "dermagan-cli",
                                                       NULL)
                                    : NULL;
    g_autofree char *gen = dg_find_resource("models/generator.safetensors");
    if (!cli || !g_file_test(cli, G_FILE_TEST_IS_EXECUTABLE) || !gen) {
        g_test_skip("dermagan-cli or the bundled generator is not at hand");
        return;
    }
    g_autofree char *out = g_build_filename(uf_tmp, "cli-gen", NULL);
    g_autofree char *grid = g_build_filename(uf_tmp, "cli-grid.png", NULL);
    const char *argv[] = {cli, "gan", "generate", "--out", out, "--per-class", "2", "--grid",
                          grid, "--threads", "1", NULL};
    g_autofree char *so = NULL, *se = NULL;
    int status = 0;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, &so, &se, &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    /* without --json: a summary, not the manifest */
    g_assert_false(g_str_has_prefix(so, "{"));
    g_assert_nonnull(strstr(so, "total"));
    /* the grid has as many columns as images per class: no white half */
    int w = 0, h = 0;
    g_assert_nonnull(gdk_pixbuf_get_file_info(grid, &w, &h));
    g_assert_cmpint(w, <, h + 200); /* 2 columns of 4 rows (8 columns were 3x wider) */
    /* with --json: one JSON document */
    g_autofree char *out2 = g_build_filename(uf_tmp, "cli-gen-json", NULL);
    const char *argv2[] = {cli, "gan", "generate", "--out", out2, "--per-class", "1", "--json",
                           "--threads", "1", NULL};
    g_autofree char *so2 = NULL, *se2 = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv2, NULL, 0, NULL, NULL, &so2, &se2, &status,
                               NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_assert_true(g_str_has_prefix(so2, "{"));
}

/* The file dialogs (dg_ui_choose, dg_ui_save): the owner is kept alive
 * while the dialog is open and released when it answers, cancelled or
 * accepted; fn runs only on accept, with the file chosen (the open
 * dialog's selection, the save dialog's proposed name in its folder). */
static void on_chosen(GFile *file, gpointer user)
{
    char **got = g_object_get_data(G_OBJECT(user), "got");
    g_free(*got);
    *got = g_file_get_path(file);
}

/* The chooser has a file selected (it selects one asynchronously). */
static gboolean chooser_has_file(gpointer d)
{
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    g_autoptr(GFile) f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
    G_GNUC_END_IGNORE_DEPRECATIONS
    return f != NULL;
}

/* GTK 4.8's file chooser dialog now and then snapshots one of its own
 * buttons (or a scrollbar gizmo) in the frame after the dialog maps, before
 * the layout phase has allocated it: "Trying to snapshot GtkButton 0x...
 * without a current allocation" (gtkwidget.c).  The widget is GTK's, not
 * ours (other GTK 4 projects filter the same message), and under
 * G_DEBUG=fatal-warnings it aborted this test once in the suite's runs of
 * 2026-12-07, on a loaded machine; it did not recur in 12 runs since,
 * some of them beside two training processes.
 * While a dialog of this test is open, that one message is counted and let
 * through; every other warning stays fatal.  (GTK logs its warnings
 * through structured logging, so a log writer sees them.) */
static gboolean in_file_dialog;
static int n_snapshot_warnings;

static gboolean is_chooser_snapshot_warning(const char *domain, const char *message)
{
    return in_file_dialog && message && g_strcmp0(domain, "Gtk") == 0 &&
           g_str_has_prefix(message, "Trying to snapshot ") &&
           strstr(message, " without a current allocation");
}

static GLogWriterOutput tools_log_writer(GLogLevelFlags level, const GLogField *fields,
                                         gsize n_fields, gpointer user)
{
    const char *domain = NULL, *message = NULL;
    for (gsize i = 0; i < n_fields; i++) {
        if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
            domain = fields[i].value;
        else if (g_strcmp0(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
            message = fields[i].value;
    }
    if ((level & G_LOG_LEVEL_WARNING) && is_chooser_snapshot_warning(domain, message)) {
        n_snapshot_warnings++;
        return G_LOG_WRITER_HANDLED;
    }
    return g_log_writer_default(level, fields, n_fields, user);
}

static void test_file_dialogs(void)
{
    in_file_dialog = TRUE;
    GtkWidget *owner = g_object_ref_sink(gtk_label_new("owner"));
    char *got = NULL;
    g_object_set_data(G_OBJECT(owner), "got", &got);
    g_autofree char *target = g_build_filename(uf_tmp, "dialog-choice.png", NULL),
                    *existing = g_build_filename(uf_tmp, "dialog-existing.txt", NULL);
    g_assert_true(g_file_set_contents(existing, "x", 1, NULL));
    /* open: cancel, accept; save: cancel, accept */
    for (int round = 0; round < 4; round++) {
        const gboolean save = round >= 2, accept = round % 2 == 1;
        const guint refs = G_OBJECT(owner)->ref_count;
        if (save)
            dg_ui_save(GTK_WIDGET(win), "Save", "dialog-choice.png", uf_tmp, on_chosen, owner);
        else
            dg_ui_choose_in(GTK_WIDGET(win), GTK_FILE_CHOOSER_ACTION_OPEN, "Open", "_Open", NULL,
                            uf_tmp, on_chosen, owner);
        g_assert_true(ut_wait(ut_chooser_shown, NULL, 20));
        g_assert_cmpuint(G_OBJECT(owner)->ref_count, ==, refs + 1);
        GtkWindow *d = ut_find_chooser();
        if (accept)
            ut_spin(1.0); /* the chooser loads its folder */
        if (accept && !save) { /* the user picks a file */
            g_autoptr(GFile) f = g_file_new_for_path(existing);
            G_GNUC_BEGIN_IGNORE_DEPRECATIONS
            g_assert_true(gtk_file_chooser_set_file(GTK_FILE_CHOOSER(d), f, NULL));
            G_GNUC_END_IGNORE_DEPRECATIONS
            g_assert_true(ut_wait(chooser_has_file, d, 20));
        }
        G_GNUC_BEGIN_IGNORE_DEPRECATIONS
        gtk_dialog_response(GTK_DIALOG(d), accept ? GTK_RESPONSE_ACCEPT : GTK_RESPONSE_CANCEL);
        G_GNUC_END_IGNORE_DEPRECATIONS
        g_assert_true(ut_wait(ut_chooser_gone, NULL, 20));
        ut_spin(0.2);
        g_assert_cmpuint(G_OBJECT(owner)->ref_count, ==, refs);
        if (accept)
            g_assert_cmpstr(got, ==, save ? target : existing);
        else
            g_assert_null(got);
        g_clear_pointer(&got, g_free);
    }
    g_object_unref(owner);
    in_file_dialog = FALSE;
    if (n_snapshot_warnings)
        g_test_message("GTK's file chooser snapshot warning, let through: %d", n_snapshot_warnings);
}

int main(int argc, char **argv)
{
    g_log_set_writer_func(tools_log_writer, NULL, NULL);
    if (!uf_init(&argc, &argv, 12)) {
        printf("1..0 # SKIP no display, and xvfb-run or dbus-run-session is missing\n");
        return 0;
    }
    g_test_add_func("/tools/charts", test_charts);
    g_test_add_func("/tools/class-head-curves", test_class_head_curves);
    g_test_add_func("/tools/narrow", test_narrow);
    g_test_add_func("/tools/ablation-page", test_ablation_page);
    g_test_add_func("/tools/models-and-runs", test_models_and_runs);
    g_test_add_func("/tools/cases", test_cases);
    g_test_add_func("/tools/export", test_export);
    g_test_add_func("/tools/shift", test_shift);
    g_test_add_func("/tools/explore", test_explore);
    g_test_add_func("/tools/cli-generate", test_cli_generate);
    g_test_add_func("/tools/file-dialogs", test_file_dialogs);
    int rc = g_test_run();
    uf_finish();
    return rc;
}

/* dg-classifier-view.c: the Classifier view: train, evaluate, ablation. */
#include "dg-classifier-view.h"

#include <adwaita.h>
#include <math.h>
#include <string.h>

#include "dg-ui-util.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-job-util.h"

static const char *const archs[] = {"seed", "dermanet", "mobile"};
static const char *const arch_notes[] = {
    "the original project's small CNN",
    "residual CNN with batch normalization (default)",
    "depthwise-separable blocks: the fastest",
};
static const char *const splits[] = {"test", "val", "all"};

struct _DgClassifierView {
    GtkWidget parent_instance;

    GtkStack *pages;
    /* training */
    AdwComboRow *arch_row;
    AdwActionRow *syn_row;
    GtkSpinButton *epochs_spin, *seed_spin;
    GtkSwitch *syn_switch;
    GtkButton *start_button, *pause_button, *stop_button;
    AdwButtonContent *pause_content;
    GtkProgressBar *progress;
    GtkLabel *status_label;
    DgChart *loss_chart, *epoch_chart;
    /* results */
    GtkButton *evaluate_button;
    AdwActionRow *model_row;
    AdwComboRow *split_row;
    GtkStack *results_stack;
    GtkLabel *results_note, *eval_label, *results_caption;
    GtkSpinner *eval_spinner;
    GtkBox *metrics_box;
    DgChart *confusion_chart;
    GtkGrid *class_grid;
    /* ablation */
    AdwComboRow *abl_arch_row;
    GtkSpinButton *abl_seeds_spin, *abl_epochs_spin;
    AdwActionRow *abl_gen_row;
    GtkButton *abl_start_button, *abl_stop_button;
    GtkProgressBar *abl_progress;
    GtkLabel *abl_status, *abl_note;
    GtkStack *abl_stack;
    GtkGrid *abl_grid;
    DgChart *abl_chart;

    DgSession *session;
    DgJobRunner *train_runner, *eval_runner, *abl_runner;
    dg_line_chart *loss, *epochs; /* owned by their charts */
    int s_loss, s_tl, s_vl, s_ta, s_va, s_vb;
    char *run_dir, *abl_dir;
    gint64 step;
    guint n_results;
    gboolean evaluated_once; /* the results page evaluated something already */
};

G_DEFINE_FINAL_TYPE(DgClassifierView, dg_classifier_view, GTK_TYPE_WIDGET)

static gboolean active(DgJobRunner *r)
{
    return r && dg_job_runner_is_active(r);
}

static const char *class_display(const char *id)
{
    return dg_ui_class_name(id);
}

/* ---- buttons and rows ------------------------------------------------------------------ */

static void update_buttons(DgClassifierView *self)
{
    gboolean data = self->session && dg_session_get_dataset(self->session);
    gboolean tr = active(self->train_runner), ab = active(self->abl_runner),
             ev = active(self->eval_runner);
    gboolean paused = tr && dg_job_runner_get_state(self->train_runner) == DG_JOB_PAUSED;
    gboolean stopping = tr && dg_job_runner_cancel_requested(self->train_runner);
    gtk_widget_set_sensitive(GTK_WIDGET(self->start_button), data && !tr);
    gtk_widget_set_sensitive(GTK_WIDGET(self->pause_button), tr && !stopping);
    gtk_widget_set_sensitive(GTK_WIDGET(self->stop_button), tr && !stopping);
    adw_button_content_set_label(self->pause_content, paused ? "_Resume" : "_Pause");
    adw_button_content_set_icon_name(self->pause_content, paused ? "media-playback-start-symbolic"
                                                                 : "media-playback-pause-symbolic");
    gtk_widget_set_sensitive(GTK_WIDGET(self->arch_row), !tr);
    gtk_widget_set_sensitive(GTK_WIDGET(self->epochs_spin), !tr);
    gtk_widget_set_sensitive(GTK_WIDGET(self->seed_spin), !tr);
    gboolean syn = self->session && dg_session_get_synthetic(self->session);
    gtk_widget_set_sensitive(GTK_WIDGET(self->syn_row), !tr && syn);
    if (!syn)
        gtk_switch_set_active(self->syn_switch, FALSE);
    gboolean model = self->session && dg_session_get_classifier(self->session);
    gtk_widget_set_sensitive(GTK_WIDGET(self->evaluate_button), data && model && !ev);
    gboolean gen = self->session && dg_session_get_generator(self->session);
    gtk_widget_set_sensitive(GTK_WIDGET(self->abl_start_button), data && gen && !ab);
    gtk_widget_set_sensitive(GTK_WIDGET(self->abl_stop_button),
                             ab && !dg_job_runner_cancel_requested(self->abl_runner));
}

static void update_rows(DgClassifierView *self)
{
    const char *syn = self->session ? dg_session_get_synthetic(self->session) : NULL;
    g_autofree char *sd = syn ? g_filename_display_name(syn) : NULL;
    g_autofree char *sub = sd ? g_markup_printf_escaped("from %s", sd)
                              : g_strdup("none generated yet (Generate view)");
    adw_action_row_set_subtitle(self->syn_row, sub);

    const char *model = self->session ? dg_session_get_classifier(self->session) : NULL;
    g_autofree char *md = model ? dg_session_describe_model(model) : NULL;
    g_autofree char *msub =
        md ? g_markup_escape_text(md, -1)
           : g_strdup("None: the bundled classifier (resources/models/classifier.safetensors) is "
                      "missing. Train one on the Training page, or choose a model file.");
    adw_action_row_set_subtitle(self->model_row, msub);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->model_row), model);

    const char *gen = self->session ? dg_session_get_generator(self->session) : NULL;
    g_autofree char *gd = gen ? dg_session_describe_model(gen) : NULL;
    g_autofree char *gsub =
        gd ? g_markup_escape_text(gd, -1)
           : g_strdup("None: train a GAN first (GAN view); the ablation needs a generator "
                      "trained on this data set's training split.");
    adw_action_row_set_subtitle(self->abl_gen_row, gsub);
    update_buttons(self);
}

static void on_arch_changed(DgClassifierView *self)
{
    guint i = adw_combo_row_get_selected(self->arch_row);
    if (i < G_N_ELEMENTS(arch_notes))
        adw_action_row_set_subtitle(ADW_ACTION_ROW(self->arch_row), arch_notes[i]);
    if (self->session && i < G_N_ELEMENTS(archs))
        g_settings_set_string(dg_session_get_settings(self->session), "cnn-arch", archs[i]);
}

/* ---- results (evaluate) ----------------------------------------------------------------- */

static GtkWidget *stat_card(const char *value, const char *caption, const char *tooltip)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    gtk_widget_add_css_class(box, "card");
    gtk_widget_add_css_class(box, "dg-stat");
    GtkWidget *v = gtk_label_new(value);
    gtk_widget_add_css_class(v, "title-2");
    gtk_widget_add_css_class(v, "numeric");
    GtkWidget *c = gtk_label_new(caption);
    gtk_widget_add_css_class(c, "dim-label");
    gtk_widget_add_css_class(c, "caption");
    gtk_label_set_wrap(GTK_LABEL(c), TRUE);
    gtk_label_set_justify(GTK_LABEL(c), GTK_JUSTIFY_CENTER);
    gtk_box_append(GTK_BOX(box), v);
    gtk_box_append(GTK_BOX(box), c);
    if (tooltip)
        gtk_widget_set_tooltip_text(box, tooltip);
    return box;
}

static char *fmt_pct(double v)
{
    return isfinite(v) ? g_strdup_printf("%.1f %%", 100 * v) : g_strdup("–");
}

static char *fmt3(double v)
{
    return isfinite(v) ? g_strdup_printf("%.3f", v) : g_strdup("–");
}

static void show_results_note(DgClassifierView *self, const char *text)
{
    gtk_label_set_text(self->results_note, text);
    gtk_stack_set_visible_child_name(self->results_stack, "none");
}

static gboolean show_metrics(DgClassifierView *self, const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json || !json_parser_load_from_data(p, json, -1, NULL))
        return FALSE;
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return FALSE;
    JsonObject *o = json_node_get_object(root);
    JsonObject *cm = json_object_has_member(o, "confusion_matrix")
                         ? json_object_get_object_member(o, "confusion_matrix")
                         : NULL;
    JsonArray *labels = cm && json_object_has_member(cm, "labels")
                            ? json_object_get_array_member(cm, "labels")
                            : NULL;
    JsonArray *matrix = cm && json_object_has_member(cm, "matrix")
                            ? json_object_get_array_member(cm, "matrix")
                            : NULL;
    JsonObject *per = json_object_has_member(o, "per_class")
                          ? json_object_get_object_member(o, "per_class")
                          : NULL;
    if (!labels || !matrix || !per)
        return FALSE;
    const int K = (int)json_array_get_length(labels);
    if (K < 1 || (int)json_array_get_length(matrix) != K)
        return FALSE;

    /* headline metrics */
    dg_ui_clear_children(GTK_WIDGET(self->metrics_box));
    double acc = dg_ui_json_double(o, "accuracy"), bacc = dg_ui_json_double(o, "balanced_accuracy");
    double f1 = dg_ui_json_double(o, "macro_f1"), auc = dg_ui_json_double(o, "auc_macro");
    double ece = dg_ui_json_double(o, "ece"), n = dg_ui_json_double(o, "n");
    double lo = NAN, hi = NAN;
    if (json_object_has_member(o, "balanced_accuracy_ci95")) {
        JsonNode *cin = json_object_get_member(o, "balanced_accuracy_ci95");
        JsonArray *ci = JSON_NODE_HOLDS_ARRAY(cin) ? json_node_get_array(cin) : NULL;
        if (ci && json_array_get_length(ci) == 2 &&
            JSON_NODE_HOLDS_VALUE(json_array_get_element(ci, 0)) &&
            JSON_NODE_HOLDS_VALUE(json_array_get_element(ci, 1))) {
            lo = json_array_get_double_element(ci, 0);
            hi = json_array_get_double_element(ci, 1);
        }
    }
    char *v;
    gtk_box_append(self->metrics_box,
                   stat_card(v = fmt_pct(bacc), "balanced accuracy",
                             "Mean recall over the classes: what matters when the classes are "
                             "imbalanced"));
    g_free(v);
    gtk_box_append(self->metrics_box, stat_card(v = fmt_pct(acc), "accuracy", NULL));
    g_free(v);
    gtk_box_append(self->metrics_box, stat_card(v = fmt3(f1), "macro F1", NULL));
    g_free(v);
    gtk_box_append(self->metrics_box,
                   stat_card(v = fmt3(auc), "macro AUC", "One-vs-rest ROC AUC, averaged"));
    g_free(v);
    gtk_box_append(self->metrics_box,
                   stat_card(v = fmt3(ece), "calibration error",
                             "Expected calibration error (15 bins): how far the confidence is "
                             "from the accuracy"));
    g_free(v);
    g_autofree char *ns = isfinite(n) ? dg_ui_format_count((gint64)n) : g_strdup("–");
    gtk_box_append(self->metrics_box, stat_card(ns, "test images", NULL));

    const char *split = json_object_get_string_member_with_default(o, "split", "test");
    const char *model = json_object_get_string_member_with_default(o, "model", NULL);
    g_autofree char *md = dg_session_describe_model(model);
    g_autofree char *ci = isfinite(lo) && isfinite(hi)
                              ? g_strdup_printf(" Balanced accuracy 95%% interval (bootstrap): "
                                                "%.1f–%.1f %%.",
                                                100 * lo, 100 * hi)
                              : g_strdup("");
    g_autofree char *cap = g_strdup_printf("%s on the %s split of the open data set.%s", md,
                                           g_strcmp0(split, "val") == 0 ? "validation" : split, ci);
    gtk_label_set_text(self->results_caption, cap);

    /* confusion matrix */
    double *vals = g_new0(double, K * K);
    const char **names = g_new0(const char *, K + 1);
    for (int i = 0; i < K; i++) {
        names[i] = class_display(json_array_get_string_element(labels, i));
        JsonArray *row = json_array_get_array_element(matrix, i);
        for (int j = 0; row && j < K && j < (int)json_array_get_length(row); j++)
            vals[i * K + j] = (double)json_array_get_int_element(row, j);
    }
    dg_heatmap *hm = dg_heatmap_new();
    dg_heatmap_set_data(hm, K, K, vals, names, names);
    dg_heatmap_set_labels(hm, "true class", "predicted class");
    dg_chart_set_plot(self->confusion_chart, &dg_heatmap_kind, hm);
    g_free(vals);

    /* per-class table */
    GtkGrid *g = self->class_grid;
    dg_ui_clear_children(GTK_WIDGET(g));
    const char *heads[] = {"Class", "Precision", "Recall", "F1", "AUC", "Images"};
    for (int c = 0; c < 6; c++)
        gtk_grid_attach(g, dg_ui_cell(heads[c], c > 0, "dg-table-head"), c, 0, 1, 1);
    for (int i = 0; i < K; i++) {
        const char *id = json_array_get_string_element(labels, i);
        JsonObject *pc = id && json_object_has_member(per, id)
                             ? json_object_get_object_member(per, id)
                             : NULL;
        gtk_grid_attach(g, dg_ui_cell(names[i], FALSE, NULL), 0, i + 1, 1, 1);
        const char *keys[] = {"precision", "recall", "f1", "auc"};
        for (int c = 0; c < 4; c++) {
            g_autofree char *s = fmt3(dg_ui_json_double(pc, keys[c]));
            gtk_grid_attach(g, dg_ui_cell(s, TRUE, NULL), c + 1, i + 1, 1, 1);
        }
        double sup = dg_ui_json_double(pc, "support");
        g_autofree char *s = isfinite(sup) ? dg_ui_format_count((gint64)sup) : g_strdup("–");
        gtk_grid_attach(g, dg_ui_cell(s, TRUE, NULL), 5, i + 1, 1, 1);
    }
    g_free(names);
    gtk_stack_set_visible_child_name(self->results_stack, "results");
    self->n_results++;
    return TRUE;
}

static void on_eval_event(DgJobRunner *runner, const DgEventCopy *ev, DgClassifierView *self)
{
    if (runner != self->eval_runner)
        return;
    switch (ev->kind) {
    case DG_EVENT_PROGRESS: {
        g_autofree char *t = g_strdup_printf("%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " images",
                                             ev->step, ev->total);
        gtk_label_set_text(self->eval_label, t);
        break;
    }
    case DG_EVENT_MESSAGE:
        if (ev->message && g_strcmp0(ev->level, "warning") != 0)
            gtk_label_set_text(self->eval_label, ev->message);
        break;
    case DG_EVENT_RESULT:
        if (!show_metrics(self, ev->json))
            show_results_note(self, "The evaluation's result could not be read.");
        break;
    case DG_EVENT_FINISHED:
        gtk_spinner_stop(self->eval_spinner);
        if (ev->state == DG_JOB_FAILED) {
            g_autofree char *t = g_strdup_printf("The evaluation failed: %s",
                                                 ev->message ? ev->message : "unknown error");
            show_results_note(self, t);
            dg_session_toast(self->session, TRUE, "Evaluation failed: %s",
                             ev->message ? ev->message : "unknown error");
        } else if (ev->state == DG_JOB_CANCELLED) {
            show_results_note(self, "The evaluation was stopped.");
        }
        update_buttons(self);
        break;
    default:
        break;
    }
}

gboolean dg_classifier_view_evaluate(DgClassifierView *self, const char *split)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), FALSE);
    if (!self->session || active(self->eval_runner))
        return FALSE;
    const dg_dataset *ds = dg_session_get_dataset(self->session);
    const char *model = dg_session_get_classifier(self->session);
    if (!ds || !model) {
        show_results_note(self, !ds ? "Open a data set to evaluate a classifier on it."
                                    : "No classifier: the bundled model is missing. Train one on "
                                      "the Training page, or choose a model file.");
        return FALSE;
    }
    dg_evaluate_config *c = dg_evaluate_config_new();
    c->model = g_strdup(model);
    c->data = g_strdup(ds->root);
    g_free(c->split);
    c->split = g_strdup(split ? split : "test");
    c->split_seed = DG_SPLIT_SEED;
    c->threads = dg_session_get_threads(self->session);
    for (guint i = 0; i < G_N_ELEMENTS(splits); i++)
        if (strcmp(splits[i], c->split) == 0)
            adw_combo_row_set_selected(self->split_row, i);
    self->evaluated_once = TRUE;
    if (self->eval_runner)
        g_signal_handlers_disconnect_by_data(self->eval_runner, self);
    g_clear_object(&self->eval_runner);
    self->eval_runner = dg_job_runner_new(&dg_job_evaluate, c);
    g_signal_connect(self->eval_runner, "event", G_CALLBACK(on_eval_event), self);
    gtk_label_set_text(self->eval_label, "Loading the classifier and the images…");
    gtk_spinner_start(self->eval_spinner);
    gtk_stack_set_visible_child_name(self->results_stack, "busy");
    dg_session_track(self->session, self->eval_runner);
    dg_job_runner_start(self->eval_runner);
    update_buttons(self);
    return TRUE;
}

static void on_evaluate(DgClassifierView *self)
{
    guint i = adw_combo_row_get_selected(self->split_row);
    dg_classifier_view_evaluate(self, i < G_N_ELEMENTS(splits) ? splits[i] : "test");
}

static void on_model_file(GFile *file, gpointer data)
{
    DgClassifierView *self = data;
    g_autofree char *path = g_file_get_path(file);
    if (path && self->session)
        dg_session_set_classifier(self->session, path);
}

static void on_choose_model(DgClassifierView *self)
{
    dg_ui_choose(GTK_WIDGET(self), GTK_FILE_CHOOSER_ACTION_OPEN, "Choose a Classifier Model",
                 "_Use", dg_ui_model_filter(), on_model_file, self);
}

static void on_page_changed(DgClassifierView *self)
{
    const char *name = gtk_stack_get_visible_child_name(self->pages);
    /* the results page shows the current classifier's results the first time it is seen */
    if (g_strcmp0(name, "results") == 0 && !self->evaluated_once && self->session &&
        dg_session_get_dataset(self->session) && dg_session_get_classifier(self->session))
        dg_classifier_view_evaluate(self, "test");
}

/* ---- training ------------------------------------------------------------------------- */

static void new_charts(DgClassifierView *self)
{
    dg_line_chart *l = dg_line_chart_new();
    dg_line_chart_set_labels(l, "step", "loss", NULL);
    self->s_loss = dg_line_chart_add_series(l, "loss");
    double w = self->session ? g_settings_get_double(dg_session_get_settings(self->session),
                                                     "chart-smoothing")
                             : 0.6;
    dg_line_chart_set_smoothing(l, w);
    dg_line_chart_set_legend(l, DG_PLOT_LEGEND_NONE);
    self->loss = l;
    dg_chart_set_plot(self->loss_chart, &dg_line_chart_kind, l);

    dg_line_chart *e = dg_line_chart_new();
    dg_line_chart_set_labels(e, "epoch", "loss", "accuracy");
    self->s_tl = dg_line_chart_add_series(e, "train loss");
    self->s_vl = dg_line_chart_add_series(e, "val loss");
    self->s_ta = dg_line_chart_add_series(e, "train acc");
    self->s_va = dg_line_chart_add_series(e, "val acc");
    self->s_vb = dg_line_chart_add_series(e, "val balanced acc");
    for (int s = self->s_ta; s <= self->s_vb; s++)
        dg_line_chart_set_series_axis(e, s, DG_PLOT_AXIS_RIGHT);
    dg_line_chart_set_y_clip(e, 0);
    self->epochs = e;
    dg_chart_set_plot(self->epoch_chart, &dg_line_chart_kind, e);
}

static void set_progress(DgClassifierView *self, const DgEventCopy *ev)
{
    self->step = ev->step;
    gtk_progress_bar_set_fraction(self->progress,
                                  ev->total > 0 ? CLAMP((double)ev->step / ev->total, 0, 1) : 0);
    g_autofree char *s = dg_ui_format_count(ev->step);
    g_autofree char *t = dg_ui_format_count(ev->total);
    g_autofree char *left = dg_ui_format_duration(ev->eta);
    g_autofree char *text =
        ev->rate > 0
            ? g_strdup_printf("epoch %d · step %s / %s · %.0f images/s · %s left", ev->epoch + 1,
                              s, t, ev->rate, left)
            : g_strdup_printf("step %s / %s", s, t);
    gtk_progress_bar_set_text(self->progress, text);
}

static void on_train_event(DgJobRunner *runner, const DgEventCopy *ev, DgClassifierView *self)
{
    if (runner != self->train_runner)
        return;
    switch (ev->kind) {
    case DG_EVENT_PROGRESS:
        dg_line_chart_append(self->loss, self->s_loss, (double)ev->step,
                             dg_event_copy_get(ev, "loss", NAN));
        dg_chart_set_placeholder(self->loss_chart, NULL);
        dg_chart_update(self->loss_chart);
        set_progress(self, ev);
        break;
    case DG_EVENT_EPOCH: {
        double x = ev->epoch;
        dg_line_chart_append(self->epochs, self->s_tl, x, dg_event_copy_get(ev, "train_loss", NAN));
        dg_line_chart_append(self->epochs, self->s_vl, x, dg_event_copy_get(ev, "val_loss", NAN));
        dg_line_chart_append(self->epochs, self->s_ta, x, dg_event_copy_get(ev, "train_acc", NAN));
        dg_line_chart_append(self->epochs, self->s_va, x, dg_event_copy_get(ev, "val_acc", NAN));
        dg_line_chart_append(self->epochs, self->s_vb, x, dg_event_copy_get(ev, "val_bacc", NAN));
        dg_chart_set_placeholder(self->epoch_chart, NULL);
        dg_chart_update(self->epoch_chart);
        double best = dg_event_copy_get(ev, "best_bacc", NAN);
        g_autofree char *t = g_strdup_printf("Epoch %d: validation balanced accuracy %.1f %% "
                                             "(best %.1f %%).",
                                             ev->epoch, 100 * dg_event_copy_get(ev, "val_bacc", NAN),
                                             100 * best);
        gtk_label_set_text(self->status_label, t);
        break;
    }
    case DG_EVENT_MESSAGE:
    case DG_EVENT_STARTED:
        if (ev->message)
            gtk_label_set_text(self->status_label, ev->message);
        if (ev->kind == DG_EVENT_MESSAGE && g_strcmp0(ev->level, "warning") == 0 && ev->message)
            dg_session_toast(self->session, FALSE, "Classifier training: %s", ev->message);
        break;
    case DG_EVENT_RESULT: {
        g_autoptr(JsonParser) p = json_parser_new();
        if (ev->json && json_parser_load_from_data(p, ev->json, -1, NULL) &&
            JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
            JsonObject *o = json_node_get_object(json_parser_get_root(p));
            const char *model = json_object_get_string_member_with_default(o, "model", NULL);
            if (model && g_file_test(model, G_FILE_TEST_IS_REGULAR)) {
                dg_session_set_classifier(self->session, model);
                dg_session_toast(self->session, FALSE,
                                 "Classifier trained: its best epoch is now used by Results and "
                                 "Diagnose");
                dg_classifier_view_evaluate(self, "test");
            }
        }
        break;
    }
    case DG_EVENT_FINISHED: {
        g_autofree char *run = self->run_dir ? g_filename_display_name(self->run_dir) : NULL;
        g_autofree char *text = NULL;
        if (ev->state == DG_JOB_SUCCEEDED)
            text = g_strdup_printf("Finished; the model is in %s.", run);
        else if (ev->state == DG_JOB_CANCELLED)
            text = g_strdup_printf("Stopped; the checkpoint is kept in %s.", run);
        else {
            text = g_strdup_printf("Failed: %s", ev->message ? ev->message : "unknown error");
            dg_session_toast(self->session, TRUE, "Classifier training failed: %s",
                             ev->message ? ev->message : "unknown error");
        }
        gtk_label_set_text(self->status_label, text);
        break;
    }
    default:
        break;
    }
}

static void on_state(DgJobRunner *runner, GParamSpec *pspec, DgClassifierView *self)
{
    (void)runner, (void)pspec;
    update_buttons(self);
}

gboolean dg_classifier_view_train(DgClassifierView *self, const char *out, int steps)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), FALSE);
    if (!self->session || active(self->train_runner))
        return FALSE;
    const dg_dataset *ds = dg_session_get_dataset(self->session);
    if (!ds || !ds->has_split) {
        dg_session_toast(self->session, TRUE,
                         ds ? "This data set cannot be split for training"
                            : "Open a data set before training a classifier");
        return FALSE;
    }
    guint a = adw_combo_row_get_selected(self->arch_row);
    dg_cnn_train_config *c = dg_cnn_train_config_new();
    c->data = g_strdup(ds->root);
    c->out = out ? g_strdup(out) : dg_session_new_run_dir(self->session, "classifier");
    g_free(c->arch);
    c->arch = g_strdup(a < G_N_ELEMENTS(archs) ? archs[a] : "dermanet");
    c->epochs = gtk_spin_button_get_value_as_int(self->epochs_spin);
    c->steps = steps;
    c->seed = (guint64)gtk_spin_button_get_value(self->seed_spin);
    c->split_seed = DG_SPLIT_SEED;
    c->threads = dg_session_get_threads(self->session);
    const char *syn = dg_session_get_synthetic(self->session);
    if (gtk_switch_get_active(self->syn_switch) && syn)
        c->synthetic = g_strdup(syn);
    GSettings *s = dg_session_get_settings(self->session);
    g_settings_set_int(s, "cnn-epochs", c->epochs);
    g_settings_set_string(s, "last-cnn-run", c->out);
    g_free(self->run_dir);
    self->run_dir = g_strdup(c->out);

    new_charts(self);
    dg_chart_set_placeholder(self->loss_chart, "Loading the data set…");
    gtk_progress_bar_set_fraction(self->progress, 0);
    gtk_progress_bar_set_text(self->progress, "starting");
    if (self->train_runner)
        g_signal_handlers_disconnect_by_data(self->train_runner, self);
    g_clear_object(&self->train_runner);
    self->train_runner = dg_job_runner_new(&dg_job_cnn_train, c);
    g_signal_connect(self->train_runner, "event", G_CALLBACK(on_train_event), self);
    g_signal_connect(self->train_runner, "notify::state", G_CALLBACK(on_state), self);
    dg_job_runner_set_interval(self->train_runner, DG_JOB_RUNNER_TRAINING_INTERVAL);
    dg_session_track(self->session, self->train_runner);
    dg_job_runner_start(self->train_runner);
    update_buttons(self);
    return TRUE;
}

static void on_start(DgClassifierView *self)
{
    dg_classifier_view_train(self, NULL, 0);
}

void dg_classifier_view_toggle_pause(DgClassifierView *self)
{
    g_return_if_fail(DG_IS_CLASSIFIER_VIEW(self));
    if (!self->train_runner)
        return;
    if (dg_job_runner_get_state(self->train_runner) == DG_JOB_PAUSED)
        dg_job_runner_resume(self->train_runner);
    else
        dg_job_runner_pause(self->train_runner);
    update_buttons(self);
}

static void on_pause(DgClassifierView *self)
{
    dg_classifier_view_toggle_pause(self);
}

void dg_classifier_view_stop(DgClassifierView *self)
{
    g_return_if_fail(DG_IS_CLASSIFIER_VIEW(self));
    if (active(self->train_runner)) {
        dg_job_runner_cancel(self->train_runner);
        gtk_label_set_text(self->status_label, "Stopping: writing the checkpoint…");
    }
    update_buttons(self);
}

static void on_stop(DgClassifierView *self)
{
    dg_classifier_view_stop(self);
}

/* ---- ablation ---------------------------------------------------------------------------- */

static char *fmt_ms(JsonObject *o)
{
    double m = dg_ui_json_double(o, "mean"), s = dg_ui_json_double(o, "std");
    if (!isfinite(m))
        return g_strdup("–");
    return isfinite(s) ? g_strdup_printf("%.3f ± %.3f", m, s) : g_strdup_printf("%.3f", m);
}

static JsonObject *member_obj(JsonObject *o, const char *name)
{
    if (!o || !json_object_has_member(o, name))
        return NULL;
    JsonNode *n = json_object_get_member(o, name);
    return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static void abl_row(GtkGrid *g, int row, const char *title, JsonObject *cmp)
{
    gtk_grid_attach(g, dg_ui_cell(title, FALSE, NULL), 0, row, 1, 1);
    g_autofree char *a = fmt_ms(member_obj(cmp, "real"));
    g_autofree char *b = fmt_ms(member_obj(cmp, "real+synthetic"));
    JsonObject *d = member_obj(cmp, "difference");
    double dm = dg_ui_json_double(d, "mean"), ds = dg_ui_json_double(d, "std");
    double p = dg_ui_json_double(d, "p_sign_flip");
    g_autofree char *dd = !isfinite(dm)   ? g_strdup("–")
                          : isfinite(ds) ? g_strdup_printf("%+.3f ± %.3f", dm, ds)
                                         : g_strdup_printf("%+.3f", dm);
    g_autofree char *pp = isfinite(p) ? g_strdup_printf("%.2f", p) : g_strdup("–");
    gtk_grid_attach(g, dg_ui_cell(a, TRUE, NULL), 1, row, 1, 1);
    gtk_grid_attach(g, dg_ui_cell(b, TRUE, NULL), 2, row, 1, 1);
    gtk_grid_attach(g, dg_ui_cell(dd, TRUE, isfinite(dm) && dm > 0 ? "success"
                                            : isfinite(dm) && dm < 0 ? "error"
                                                                     : NULL),
                    3, row, 1, 1);
    gtk_grid_attach(g, dg_ui_cell(pp, TRUE, NULL), 4, row, 1, 1);
}

static gboolean show_ablation(DgClassifierView *self, const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json || !json_parser_load_from_data(p, json, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
        return FALSE;
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    JsonObject *metrics = member_obj(o, "metrics"), *recall = member_obj(o, "recall");
    JsonArray *classes = json_object_has_member(o, "classes")
                             ? json_object_get_array_member(o, "classes")
                             : NULL;
    if (!metrics || !recall || !classes)
        return FALSE;
    GtkGrid *g = self->abl_grid;
    dg_ui_clear_children(GTK_WIDGET(g));
    const char *heads[] = {"Test metric", "Real only", "Real + synthetic", "Difference", "p"};
    for (int c = 0; c < 5; c++)
        gtk_grid_attach(g, dg_ui_cell(heads[c], c > 0, "dg-table-head"), c, 0, 1, 1);
    const char *keys[] = {"balanced_accuracy", "accuracy", "macro_f1", "auc_macro", "ece"};
    const char *titles[] = {"Balanced accuracy", "Accuracy", "Macro F1", "Macro AUC",
                            "Calibration error"};
    int row = 1;
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
        abl_row(g, row++, titles[i], member_obj(metrics, keys[i]));
    const int K = (int)json_array_get_length(classes);
    double *mean[2], *sd[2];
    const char **names = g_new0(const char *, K + 1);
    for (int a = 0; a < 2; a++) {
        mean[a] = g_new0(double, MAX(K, 1));
        sd[a] = g_new0(double, MAX(K, 1));
    }
    for (int k = 0; k < K; k++) {
        const char *id = json_array_get_string_element(classes, k);
        names[k] = class_display(id);
        JsonObject *cmp = member_obj(recall, id);
        g_autofree char *t = g_strdup_printf("Recall: %s", names[k]);
        abl_row(g, row++, t, cmp);
        const char *arms[] = {"real", "real+synthetic"};
        for (int a = 0; a < 2; a++) {
            JsonObject *s = member_obj(cmp, arms[a]);
            mean[a][k] = dg_ui_json_double(s, "mean");
            double v = dg_ui_json_double(s, "std");
            sd[a][k] = isfinite(v) ? v : 0.0;
        }
    }
    int seeds = (int)dg_ui_json_double(o, "seeds");
    double steps = dg_ui_json_double(o, "steps");
    g_autofree char *note = g_strdup_printf(
        "Mean ± standard deviation over %d seed%s, %.0f optimizer step%s per run in both arms. "
        "The difference is (real + synthetic) − (real only), seed by seed; p is the exact "
        "sign-flip test, whose smallest possible value with %d seed%s is %.3g.",
        seeds, seeds == 1 ? "" : "s", steps, steps == 1 ? "" : "s", seeds, seeds == 1 ? "" : "s",
        seeds > 0 && seeds < 31 ? MIN(1.0, 2.0 / (double)(1 << seeds)) : 0.0);
    gtk_label_set_text(self->abl_note, note);

    dg_bar_chart *bc = dg_bar_chart_new();
    dg_bar_chart_set_categories(bc, K, names);
    dg_bar_chart_set_labels(bc, NULL, "recall");
    dg_bar_chart_add_series(bc, "real only", mean[0], sd[0]);
    dg_bar_chart_add_series(bc, "real + synthetic", mean[1], sd[1]);
    dg_bar_chart_set_y_range(bc, 0, 1);
    dg_bar_chart_set_value_labels(bc, TRUE, "%.2f");
    dg_chart_set_placeholder(self->abl_chart, NULL);
    dg_chart_set_plot(self->abl_chart, &dg_bar_chart_kind, bc);
    for (int a = 0; a < 2; a++) {
        g_free(mean[a]);
        g_free(sd[a]);
    }
    g_free(names);
    gtk_stack_set_visible_child_name(self->abl_stack, "table");
    return TRUE;
}

static void on_abl_event(DgJobRunner *runner, const DgEventCopy *ev, DgClassifierView *self)
{
    if (runner != self->abl_runner)
        return;
    switch (ev->kind) {
    case DG_EVENT_PROGRESS: {
        gtk_progress_bar_set_fraction(self->abl_progress,
                                      ev->total > 0 ? CLAMP((double)ev->step / ev->total, 0, 1)
                                                    : 0);
        g_autofree char *left = dg_ui_format_duration(ev->eta);
        g_autofree char *t = g_strdup_printf("this run: %" G_GINT64_FORMAT " / %" G_GINT64_FORMAT
                                             " · %s left",
                                             ev->step, ev->total, left);
        gtk_progress_bar_set_text(self->abl_progress, t);
        break;
    }
    case DG_EVENT_MESSAGE:
    case DG_EVENT_STARTED:
        if (ev->message && !g_str_has_prefix(ev->message, "loading data set"))
            gtk_label_set_text(self->abl_status, ev->message);
        if (ev->kind == DG_EVENT_MESSAGE && g_strcmp0(ev->level, "warning") == 0 && ev->message)
            dg_session_toast(self->session, FALSE, "Ablation: %s", ev->message);
        break;
    case DG_EVENT_RESULT:
        if (!show_ablation(self, ev->json))
            dg_session_toast(self->session, TRUE, "The ablation's result could not be read");
        break;
    case DG_EVENT_FINISHED: {
        g_autofree char *dir = self->abl_dir ? g_filename_display_name(self->abl_dir) : NULL;
        g_autofree char *t = NULL;
        if (ev->state == DG_JOB_SUCCEEDED)
            t = g_strdup_printf("Done: report.md, ablation.json and plots in %s.", dir);
        else if (ev->state == DG_JOB_CANCELLED)
            t = g_strdup_printf("Stopped; finished runs are kept in %s.", dir);
        else {
            t = g_strdup_printf("Failed: %s", ev->message ? ev->message : "unknown error");
            dg_session_toast(self->session, TRUE, "Ablation failed: %s",
                             ev->message ? ev->message : "unknown error");
        }
        gtk_label_set_text(self->abl_status, t);
        break;
    }
    default:
        break;
    }
}

gboolean dg_classifier_view_run_ablation(DgClassifierView *self, const char *out)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), FALSE);
    if (!self->session || active(self->abl_runner))
        return FALSE;
    const dg_dataset *ds = dg_session_get_dataset(self->session);
    const char *gen = dg_session_get_generator(self->session);
    if (!ds || !gen) {
        dg_session_toast(self->session, TRUE,
                         !ds ? "Open a data set before running the ablation"
                             : "The ablation needs a generator: train a GAN first");
        return FALSE;
    }
    guint a = adw_combo_row_get_selected(self->abl_arch_row);
    dg_ablation_config *c = dg_ablation_config_new();
    c->data = g_strdup(ds->root);
    c->out = out ? g_strdup(out) : dg_session_new_run_dir(self->session, "ablation");
    g_free(c->arch);
    c->arch = g_strdup(a < G_N_ELEMENTS(archs) ? archs[a] : "dermanet");
    c->generator = g_strdup(gen);
    c->seeds = gtk_spin_button_get_value_as_int(self->abl_seeds_spin);
    c->epochs = gtk_spin_button_get_value_as_int(self->abl_epochs_spin);
    /* the page compares two arms: real only and balancing with synthetic images */
    g_free(c->protocols);
    c->protocols = g_strdup("balance");
    c->split_seed = DG_SPLIT_SEED;
    c->threads = dg_session_get_threads(self->session);
    g_free(self->abl_dir);
    self->abl_dir = g_strdup(c->out);
    if (self->abl_runner)
        g_signal_handlers_disconnect_by_data(self->abl_runner, self);
    g_clear_object(&self->abl_runner);
    self->abl_runner = dg_job_runner_new(&dg_job_ablation, c);
    g_signal_connect(self->abl_runner, "event", G_CALLBACK(on_abl_event), self);
    g_signal_connect(self->abl_runner, "notify::state", G_CALLBACK(on_state), self);
    dg_job_runner_set_interval(self->abl_runner, DG_JOB_RUNNER_TRAINING_INTERVAL);
    gtk_progress_bar_set_fraction(self->abl_progress, 0);
    gtk_progress_bar_set_text(self->abl_progress, "starting");
    dg_session_track(self->session, self->abl_runner);
    dg_job_runner_start(self->abl_runner);
    update_buttons(self);
    return TRUE;
}

static void on_ablation_start(DgClassifierView *self)
{
    dg_classifier_view_run_ablation(self, NULL);
}

static void on_ablation_stop(DgClassifierView *self)
{
    if (active(self->abl_runner)) {
        dg_job_runner_cancel(self->abl_runner);
        gtk_label_set_text(self->abl_status, "Stopping…");
    }
    update_buttons(self);
}

/* ---- session ------------------------------------------------------------------------------ */

static void on_session_changed(DgSession *s, GParamSpec *pspec, DgClassifierView *self)
{
    (void)s;
    if (pspec && g_strcmp0(pspec->name, "dataset") == 0) {
        self->evaluated_once = FALSE;
        if (!active(self->eval_runner))
            show_results_note(self, "Evaluate a classifier on the open data set.");
        if (g_strcmp0(gtk_stack_get_visible_child_name(self->pages), "results") == 0)
            on_page_changed(self);
    }
    if (pspec && g_strcmp0(pspec->name, "classifier") == 0)
        self->evaluated_once = FALSE;
    update_rows(self);
}

/* The bundled models' ablation on HAM10000 (resources/models/ablation.json),
 * shown until the user runs one: the page has a measured answer from the start. */
static void show_bundled_ablation(DgClassifierView *self)
{
    g_autofree char *path = dg_find_resource("models/ablation.json");
    g_autofree char *json = NULL;
    if (!path || !g_file_get_contents(path, &json, NULL, NULL) || !show_ablation(self, json))
        return;
    gtk_label_set_text(self->abl_status,
                       "Showing the ablation measured for the bundled models on HAM10000 "
                       "(test split of split seed 1). Start one to measure your own.");
}

void dg_classifier_view_set_session(DgClassifierView *self, DgSession *session)
{
    g_return_if_fail(DG_IS_CLASSIFIER_VIEW(self));
    g_return_if_fail(self->session == NULL);
    GSettings *s = dg_session_get_settings(session);
    g_autofree char *arch = g_settings_get_string(s, "cnn-arch");
    for (guint i = 0; i < G_N_ELEMENTS(archs); i++)
        if (g_strcmp0(archs[i], arch) == 0) {
            adw_combo_row_set_selected(self->arch_row, i);
            adw_combo_row_set_selected(self->abl_arch_row, i);
        }
    gtk_spin_button_set_value(self->epochs_spin, g_settings_get_int(s, "cnn-epochs"));
    self->session = g_object_ref(session);
    g_signal_connect_object(session, "notify::dataset", G_CALLBACK(on_session_changed), self, 0);
    g_signal_connect_object(session, "notify::classifier", G_CALLBACK(on_session_changed), self,
                            0);
    g_signal_connect_object(session, "notify::generator", G_CALLBACK(on_session_changed), self, 0);
    g_signal_connect_object(session, "notify::synthetic", G_CALLBACK(on_session_changed), self, 0);
    on_arch_changed(self);
    update_rows(self);
    show_results_note(self, "Evaluate a classifier on the open data set.");
    gtk_label_set_text(self->status_label, "Not started.");
    gtk_label_set_text(self->abl_status, "Not started.");
    show_bundled_ablation(self);
}

void dg_classifier_view_show_page(DgClassifierView *self, const char *page)
{
    g_return_if_fail(DG_IS_CLASSIFIER_VIEW(self));
    gtk_stack_set_visible_child_name(self->pages, page);
}

void dg_classifier_view_configure(DgClassifierView *self, const char *arch, int epochs,
                                  guint64 seed)
{
    g_return_if_fail(DG_IS_CLASSIFIER_VIEW(self));
    for (guint i = 0; i < G_N_ELEMENTS(archs); i++)
        if (g_strcmp0(archs[i], arch) == 0) {
            adw_combo_row_set_selected(self->arch_row, i);
            adw_combo_row_set_selected(self->abl_arch_row, i);
        }
    gtk_spin_button_set_value(self->epochs_spin, epochs);
    gtk_spin_button_set_value(self->seed_spin, (double)seed);
}

void dg_classifier_view_configure_ablation(DgClassifierView *self, int seeds, int epochs)
{
    g_return_if_fail(DG_IS_CLASSIFIER_VIEW(self));
    gtk_spin_button_set_value(self->abl_seeds_spin, seeds);
    gtk_spin_button_set_value(self->abl_epochs_spin, epochs);
}

DgJobRunner *dg_classifier_view_get_train_runner(DgClassifierView *self)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), NULL);
    return self->train_runner;
}

DgJobRunner *dg_classifier_view_get_eval_runner(DgClassifierView *self)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), NULL);
    return self->eval_runner;
}

DgJobRunner *dg_classifier_view_get_ablation_runner(DgClassifierView *self)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), NULL);
    return self->abl_runner;
}

DgChart *dg_classifier_view_get_confusion_chart(DgClassifierView *self)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), NULL);
    return self->confusion_chart;
}

guint dg_classifier_view_get_n_results(DgClassifierView *self)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), 0);
    return self->n_results;
}

guint dg_classifier_view_get_n_points(DgClassifierView *self)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), 0);
    return self->loss ? (guint)dg_line_chart_n_points(self->loss, self->s_loss) : 0;
}

/* ---- GObject -------------------------------------------------------------------------------- */

static void drop_runner(DgClassifierView *self, DgJobRunner **r)
{
    if (*r)
        g_signal_handlers_disconnect_by_data(*r, self);
    g_clear_object(r);
}

static void dg_classifier_view_dispose(GObject *object)
{
    DgClassifierView *self = DG_CLASSIFIER_VIEW(object);
    drop_runner(self, &self->train_runner);
    drop_runner(self, &self->eval_runner);
    drop_runner(self, &self->abl_runner);
    gtk_widget_dispose_template(GTK_WIDGET(self), DG_TYPE_CLASSIFIER_VIEW);
    dg_ui_unparent_children(GTK_WIDGET(self));
    g_clear_object(&self->session);
    G_OBJECT_CLASS(dg_classifier_view_parent_class)->dispose(object);
}

static void dg_classifier_view_finalize(GObject *object)
{
    DgClassifierView *self = DG_CLASSIFIER_VIEW(object);
    g_free(self->run_dir);
    g_free(self->abl_dir);
    G_OBJECT_CLASS(dg_classifier_view_parent_class)->finalize(object);
}

static void dg_classifier_view_class_init(DgClassifierViewClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = dg_classifier_view_dispose;
    oc->finalize = dg_classifier_view_finalize;
    g_type_ensure(DG_TYPE_CHART);
    gtk_widget_class_set_template_from_resource(
        wc, "/org/dermagan/DermaGAN/ui/dg-classifier-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child(wc, DgClassifierView, name)
    BIND(pages);
    BIND(arch_row);
    BIND(syn_row);
    BIND(epochs_spin);
    BIND(seed_spin);
    BIND(syn_switch);
    BIND(start_button);
    BIND(pause_button);
    BIND(stop_button);
    BIND(pause_content);
    BIND(progress);
    BIND(status_label);
    BIND(loss_chart);
    BIND(epoch_chart);
    BIND(evaluate_button);
    BIND(model_row);
    BIND(split_row);
    BIND(results_stack);
    BIND(results_note);
    BIND(eval_label);
    BIND(results_caption);
    BIND(eval_spinner);
    BIND(metrics_box);
    BIND(confusion_chart);
    BIND(class_grid);
    BIND(abl_arch_row);
    BIND(abl_seeds_spin);
    BIND(abl_epochs_spin);
    BIND(abl_gen_row);
    BIND(abl_start_button);
    BIND(abl_stop_button);
    BIND(abl_progress);
    BIND(abl_status);
    BIND(abl_note);
    BIND(abl_stack);
    BIND(abl_grid);
    BIND(abl_chart);
#undef BIND
    gtk_widget_class_bind_template_callback(wc, on_arch_changed);
    gtk_widget_class_bind_template_callback(wc, on_start);
    gtk_widget_class_bind_template_callback(wc, on_pause);
    gtk_widget_class_bind_template_callback(wc, on_stop);
    gtk_widget_class_bind_template_callback(wc, on_evaluate);
    gtk_widget_class_bind_template_callback(wc, on_choose_model);
    gtk_widget_class_bind_template_callback(wc, on_page_changed);
    gtk_widget_class_bind_template_callback(wc, on_ablation_start);
    gtk_widget_class_bind_template_callback(wc, on_ablation_stop);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void dg_classifier_view_init(DgClassifierView *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    gtk_progress_bar_set_text(self->progress, "idle");
    gtk_progress_bar_set_text(self->abl_progress, "idle");
    update_buttons(self);
}

/* dg-results-page.c: the Classifier view's Results page. */
#include "dg-results-page.h"

#include <math.h>
#include <string.h>

#include "dg-cases-window.h"
#include "dg-model-row.h"
#include "dg-report.h"
#include "data/dg-file.h"
#include "dg-ui-util.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-run-info.h"

static const char *const splits[] = {"test", "val", "all"};

struct _DgResultsPage {
    DgJobPage parent_instance;

    DgModelRow *model_row;
    AdwComboRow *split_row;
    GtkSpinButton *shift_spin;
    GtkStack *results_stack;
    GtkLabel *results_note, *eval_label, *results_caption;
    GtkSpinner *eval_spinner;
    GtkMenuButton *export_button;
    GtkFlowBox *metrics_box;
    DgChart *confusion_chart;
    GtkGrid *class_grid;

    guint n_results;
    GPtrArray *cases;    /* of DgCase*: every image of the last evaluation */
    char **class_ids;    /* its classes (the confusion matrix's labels) */
    char *split;         /* its split */
    DgCasesWindow *cases_window; /* the last one opened (not owned) */
    char *last_json;     /* the last evaluation's RESULT */
    gboolean evaluated;  /* this data set and classifier were evaluated (or are being) */
    char *next_split;    /* for the next start */
    char *eval_model, *eval_data; /* what the evaluation running (or last) is of */
    gboolean eval_all;
    gboolean superseded; /* another classifier or data set was chosen while it ran */
};

G_DEFINE_FINAL_TYPE(DgResultsPage, dg_results_page, DG_TYPE_JOB_PAGE)

static DgSession *session_of(DgResultsPage *self)
{
    return dg_job_page_get_session(DG_JOB_PAGE(self));
}

/* Export is there while a result is shown (its menu's items are the
 * action's: without one the menu would open empty). */
static void set_exportable(DgResultsPage *self, gboolean can)
{
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "results.export", can);
    gtk_widget_set_sensitive(GTK_WIDGET(self->export_button), can);
}

static void show_note(DgResultsPage *self, const char *text)
{
    set_exportable(self, FALSE);
    gtk_spinner_stop(self->eval_spinner);
    gtk_label_set_text(self->results_note, text);
    gtk_stack_set_visible_child_name(self->results_stack, "none");
}

/* ---- headline metrics ---------------------------------------------------------------------- */

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

static void add_card(DgResultsPage *self, char *value, const char *caption, const char *tooltip)
{
    gtk_flow_box_append(self->metrics_box, stat_card(value, caption, tooltip));
    g_free(value);
}

static void show_headline(DgResultsPage *self, JsonObject *o)
{
    dg_ui_clear_children(GTK_WIDGET(self->metrics_box));
    double n = dg_ui_json_double(o, "n");
    add_card(self, fmt_pct(dg_ui_json_double(o, "balanced_accuracy")), "balanced accuracy",
             "Mean recall over the classes: what matters when the classes are imbalanced");
    add_card(self, fmt_pct(dg_ui_json_double(o, "accuracy")), "accuracy", NULL);
    add_card(self, fmt3(dg_ui_json_double(o, "macro_f1")), "macro F1", NULL);
    add_card(self, fmt3(dg_ui_json_double(o, "auc_macro")), "macro AUC",
             "One-vs-rest ROC AUC, averaged");
    double ece_sd = dg_ui_json_double(o, "ece_sd");
    g_autofree char *ece_tip =
        isfinite(ece_sd)
            ? g_strdup_printf("Expected calibration error (15 bins): how far the confidence is "
                              "from the accuracy. It moves by about %.3f (bootstrap sd) from one "
                              "sample of this size to another",
                              ece_sd)
            : g_strdup("Expected calibration error (15 bins): how far the confidence is from "
                       "the accuracy");
    add_card(self, fmt3(dg_ui_json_double(o, "ece")), "calibration error", ece_tip);
    add_card(self, isfinite(n) ? dg_ui_format_count((gint64)n) : g_strdup("–"), "images", NULL);

    double lo = NAN, hi = NAN;
    JsonNode *cin = json_object_get_member(o, "balanced_accuracy_ci95");
    JsonArray *ci = cin && JSON_NODE_HOLDS_ARRAY(cin) ? json_node_get_array(cin) : NULL;
    if (ci && json_array_get_length(ci) == 2 &&
        JSON_NODE_HOLDS_VALUE(json_array_get_element(ci, 0)) &&
        JSON_NODE_HOLDS_VALUE(json_array_get_element(ci, 1))) {
        lo = json_array_get_double_element(ci, 0);
        hi = json_array_get_double_element(ci, 1);
    }
    const char *split = json_object_get_string_member_with_default(o, "split", "test");
    const char *model = json_object_get_string_member_with_default(o, "model", NULL);
    g_autofree char *md = dg_session_describe_model(model);
    g_autofree char *cis =
        isfinite(lo) && isfinite(hi)
            ? g_strdup_printf(" Balanced accuracy 95%% interval (bootstrap): %.1f–%.1f %%.",
                              100 * lo, 100 * hi)
            : g_strdup("");
    const double shift = dg_ui_json_double(o, "shift");
    g_autofree char *shs =
        isfinite(shift) && shift > 0
            ? g_strdup_printf(" Every image changed as if from another source (strength %.2f); "
                              "the images shown are the originals.",
                              shift)
            : g_strdup("");
    g_autofree char *where = g_strcmp0(split, "all") == 0
                                 ? g_strdup("every image")
                                 : g_strdup_printf("the %s split",
                                                   g_strcmp0(split, "val") == 0 ? "validation" : split);
    g_autofree char *cap =
        g_strdup_printf("%s on %s of the open data set.%s%s", md, where, shs, cis);
    gtk_label_set_text(self->results_caption, cap);
}

/* ---- confusion matrix and per-class table ------------------------------------------------------ */

static void show_confusion(DgResultsPage *self, JsonArray *labels, JsonArray *matrix, int K)
{
    double *vals = g_new0(double, K * K);
    const char **names = g_new0(const char *, K + 1);
    for (int i = 0; i < K; i++) {
        names[i] = dg_ui_class_name(json_array_get_string_element(labels, i));
        JsonArray *row = json_array_get_array_element(matrix, i);
        for (int j = 0; row && j < K && j < (int)json_array_get_length(row); j++)
            vals[i * K + j] = (double)json_array_get_int_element(row, j);
    }
    dg_heatmap *hm = dg_heatmap_new();
    dg_heatmap_set_data(hm, K, K, vals, names, names);
    dg_heatmap_set_labels(hm, "true class", "predicted class");
    dg_chart_set_plot(self->confusion_chart, &dg_heatmap_kind, hm);
    g_free(vals);
    g_free(names);
}

static void show_per_class(DgResultsPage *self, JsonArray *labels, JsonObject *per, int K)
{
    GtkGrid *g = self->class_grid;
    dg_ui_clear_children(GTK_WIDGET(g));
    const char *heads[] = {"Class", "Precision", "Recall", "F1", "AUC", "Images"};
    for (int c = 0; c < 6; c++)
        gtk_grid_attach(g, dg_ui_cell(heads[c], c > 0, "dg-table-head"), c, 0, 1, 1);
    for (int k = 0; k < K; k++) {
        const char *id = json_array_get_string_element(labels, k);
        JsonObject *pc = id && json_object_has_member(per, id)
                             ? json_object_get_object_member(per, id)
                             : NULL;
        gtk_grid_attach(g, dg_ui_cell(dg_ui_class_name(id), FALSE, NULL), 0, k + 1, 1, 1);
        const char *keys[] = {"precision", "recall", "f1", "auc"};
        for (int c = 0; c < 4; c++) {
            g_autofree char *v = fmt3(dg_ui_json_double(pc, keys[c]));
            gtk_grid_attach(g, dg_ui_cell(v, TRUE, NULL), c + 1, k + 1, 1, 1);
        }
        double sup = dg_ui_json_double(pc, "support");
        g_autofree char *s = isfinite(sup) ? dg_ui_format_count((gint64)sup) : g_strdup("–");
        gtk_grid_attach(g, dg_ui_cell(s, TRUE, NULL), 5, k + 1, 1, 1);
    }
}

/* ---- the images behind the numbers ------------------------------------------------------------- */

static void keep_cases(DgResultsPage *self, JsonObject *o, JsonArray *labels)
{
    g_clear_pointer(&self->cases, g_ptr_array_unref);
    g_strfreev(self->class_ids);
    const int K = (int)json_array_get_length(labels);
    self->class_ids = g_new0(char *, K + 1);
    for (int k = 0; k < K; k++)
        self->class_ids[k] = g_strdup(json_array_get_string_element(labels, k));
    g_free(self->split);
    self->split = g_strdup(json_object_get_string_member_with_default(o, "split", "test"));
    JsonNode *in = json_object_get_member(o, "images");
    JsonArray *images = in && JSON_NODE_HOLDS_ARRAY(in) ? json_node_get_array(in) : NULL;
    self->cases = g_ptr_array_new_with_free_func((GDestroyNotify)dg_case_free);
    double *p = g_new0(double, MAX(K, 1));
    for (guint i = 0; images && i < json_array_get_length(images); i++) {
        JsonNode *n = json_array_get_element(images, i);
        JsonObject *im = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        JsonNode *pn = im ? json_object_get_member(im, "probs") : NULL;
        JsonArray *pa = pn && JSON_NODE_HOLDS_ARRAY(pn) ? json_node_get_array(pn) : NULL;
        if (!pa || (int)json_array_get_length(pa) != K)
            continue;
        for (int k = 0; k < K; k++)
            p[k] = json_array_get_double_element(pa, k);
        int label = (int)json_object_get_int_member_with_default(im, "label", -1);
        int pred = (int)json_object_get_int_member_with_default(im, "pred", -1);
        if (label < 0 || label >= K || pred < 0 || pred >= K)
            continue;
        /* (a file name that is not UTF-8 comes as a URI beside its display form) */
        const char *uri = json_object_get_string_member_with_default(im, "path_uri", NULL);
        g_autofree char *from_uri = uri ? g_filename_from_uri(uri, NULL, NULL) : NULL;
        g_ptr_array_add(self->cases,
                        dg_case_new(from_uri ? from_uri
                                             : json_object_get_string_member_with_default(im, "path", ""),
                                    json_object_get_string_member_with_default(im, "image_id", ""),
                                    label, pred, p, K));
    }
    g_free(p);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "results.mistakes", self->cases->len > 0);
}

static DgCasesWindow *open_cases(DgResultsPage *self, GPtrArray *cases, const char *title,
                                 const char *subtitle)
{
    DgSession *s = session_of(self);
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    DgCasesWindow *w = dg_cases_window_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, s,
                                           title, subtitle,
                                           (const char *const *)self->class_ids, cases);
    self->cases_window = w;
    g_object_add_weak_pointer(G_OBJECT(w), (gpointer *)&self->cases_window);
    gtk_window_present(GTK_WINDOW(w));
    return w;
}

static const char *split_words(const char *split)
{
    return g_strcmp0(split, "val") == 0 ? "validation images" : g_strcmp0(split, "all") == 0
                                                                    ? "images"
                                                                    : "test images";
}

DgCasesWindow *dg_results_page_open_cell(DgResultsPage *self, int row, int col)
{
    g_return_val_if_fail(DG_IS_RESULTS_PAGE(self), NULL);
    if (!self->cases || !self->class_ids)
        return NULL;
    g_autoptr(GPtrArray) sel = g_ptr_array_new_with_free_func((GDestroyNotify)dg_case_free);
    for (guint i = 0; i < self->cases->len; i++) {
        const DgCase *c = g_ptr_array_index(self->cases, i);
        if (c->label == row && c->pred == col)
            g_ptr_array_add(sel, dg_case_new(c->path, c->image_id, c->label, c->pred, c->probs,
                                             c->n_probs));
    }
    const char *t = dg_ui_class_name(self->class_ids[row]);
    const char *pr = dg_ui_class_name(self->class_ids[col]);
    g_autofree char *title = row == col ? g_strdup_printf("%s, Predicted Right", t)
                                        : g_strdup_printf("%s Taken for %s", t, pr);
    g_autofree char *sub = g_strdup_printf("%u %s: true %s, predicted %s", sel->len,
                                           split_words(self->split), t, pr);
    return open_cases(self, sel, title, sub);
}

static int cmp_confidence(gconstpointer a, gconstpointer b)
{
    const DgCase *x = *(DgCase *const *)a, *y = *(DgCase *const *)b;
    double px = x->probs[x->pred], py = y->probs[y->pred];
    return px < py ? 1 : px > py ? -1 : 0;
}

DgCasesWindow *dg_results_page_open_mistakes(DgResultsPage *self, guint max)
{
    g_return_val_if_fail(DG_IS_RESULTS_PAGE(self), NULL);
    if (!self->cases)
        return NULL;
    g_autoptr(GPtrArray) sel = g_ptr_array_new_with_free_func((GDestroyNotify)dg_case_free);
    for (guint i = 0; i < self->cases->len; i++) {
        const DgCase *c = g_ptr_array_index(self->cases, i);
        if (c->label != c->pred)
            g_ptr_array_add(sel, dg_case_new(c->path, c->image_id, c->label, c->pred, c->probs,
                                             c->n_probs));
    }
    g_ptr_array_sort(sel, cmp_confidence);
    if (sel->len > max)
        g_ptr_array_set_size(sel, max);
    g_autofree char *sub = g_strdup_printf("the %u wrong predictions the model was surest of, "
                                           "surest first",
                                           sel->len);
    return open_cases(self, sel, "Most Confident Mistakes", sub);
}

static void on_cell_activated(DgResultsPage *self, int row, int col)
{
    dg_results_page_open_cell(self, row, col);
}

static void act_mistakes(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    dg_results_page_open_mistakes(DG_RESULTS_PAGE(w), 60);
}

/* ---- export ------------------------------------------------------------------------------------- */

gboolean dg_results_page_export(DgResultsPage *self, const char *what, const char *path,
                                GError **error)
{
    g_return_val_if_fail(DG_IS_RESULTS_PAGE(self), FALSE);
    if (!self->last_json) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "nothing was evaluated yet");
        return FALSE;
    }
    if (g_strcmp0(what, "json") == 0)
        return dg_file_write_atomic(path, self->last_json, strlen(self->last_json), TRUE, error);
    if (g_strcmp0(what, "csv") == 0) {
        g_autofree char *csv = dg_report_metrics_csv(self->last_json);
        return csv && dg_file_write_atomic(path, csv, strlen(csv), TRUE, error);
    }
    if (g_strcmp0(what, "matrix") == 0)
        return dg_chart_save(self->confusion_chart, path, 640, 560, error);
    /* the report: with the training curves when the model sits in its run folder */
    const char *model = dg_session_get_classifier(session_of(self));
    g_autofree char *folder = model ? g_path_get_dirname(model) : NULL;
    g_autoptr(dg_run_info) run = folder ? dg_run_info_read(folder, NULL) : NULL;
    return dg_report_write_pdf(path, self->last_json, run, error);
}

static gboolean export_to(DgJobPage *page, const char *what, const char *path, GError **error)
{
    return dg_results_page_export((DgResultsPage *)page, what, path, error);
}

static void act_export(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    const char *what = g_variant_get_string(param, NULL);
    const char *file = g_strcmp0(what, "json") == 0     ? "metrics.json"
                       : g_strcmp0(what, "csv") == 0    ? "metrics.csv"
                       : g_strcmp0(what, "matrix") == 0 ? "confusion-matrix.png"
                                                        : "report.pdf";
    dg_job_page_export(DG_JOB_PAGE(w), "Export the Results", file, what, export_to);
}

static gboolean show_metrics(DgResultsPage *self, const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json || !json_parser_load_from_data(p, json, -1, NULL))
        return FALSE;
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return FALSE;
    JsonObject *o = json_node_get_object(root);
    JsonNode *cmn = json_object_get_member(o, "confusion_matrix");
    JsonObject *cm = cmn && JSON_NODE_HOLDS_OBJECT(cmn) ? json_node_get_object(cmn) : NULL;
    JsonNode *ln = cm ? json_object_get_member(cm, "labels") : NULL;
    JsonNode *mn = cm ? json_object_get_member(cm, "matrix") : NULL;
    JsonNode *pn = json_object_get_member(o, "per_class");
    JsonArray *labels = ln && JSON_NODE_HOLDS_ARRAY(ln) ? json_node_get_array(ln) : NULL;
    JsonArray *matrix = mn && JSON_NODE_HOLDS_ARRAY(mn) ? json_node_get_array(mn) : NULL;
    JsonObject *per = pn && JSON_NODE_HOLDS_OBJECT(pn) ? json_node_get_object(pn) : NULL;
    if (!labels || !matrix || !per)
        return FALSE;
    const int K = (int)json_array_get_length(labels);
    if (K < 1 || (int)json_array_get_length(matrix) != K)
        return FALSE;
    show_headline(self, o);
    keep_cases(self, o, labels);
    g_free(self->last_json);
    self->last_json = g_strdup(json);
    set_exportable(self, TRUE);
    show_confusion(self, labels, matrix, K);
    show_per_class(self, labels, per, K);
    return TRUE;
}

/* ---- the job ------------------------------------------------------------------------------------ */

/* The evaluation is of the session's classifier on its data set: none other was
 * chosen since it started. */
static gboolean evaluation_is_current(DgResultsPage *self)
{
    DgSession *s = session_of(self);
    return s && !self->superseded &&
           g_strcmp0(self->eval_model, dg_session_get_classifier(s)) == 0 &&
           g_strcmp0(self->eval_data, dg_session_get_dataset_path(s)) == 0 &&
           self->eval_all == dg_session_get_all_classes(s);
}

static void show_idle_note(DgResultsPage *self, DgSession *s);

static void page_event(DgJobPage *page, const DgEventCopy *ev)
{
    DgResultsPage *self = DG_RESULTS_PAGE(page);
    if ((ev->kind == DG_EVENT_RESULT || ev->kind == DG_EVENT_FINISHED) &&
        !evaluation_is_current(self)) {
        /* its numbers are not those of the classifier and data set chosen now */
        if (ev->kind == DG_EVENT_FINISHED) {
            self->evaluated = FALSE;
            show_idle_note(self, session_of(self));
            /* evaluates them (the job has ended); not in a window closing (its
             * views go insensitive while its jobs stop) */
            if (gtk_widget_get_mapped(GTK_WIDGET(self)) &&
                gtk_widget_is_sensitive(GTK_WIDGET(self)))
                dg_results_page_shown(self);
        }
        return;
    }
    switch (ev->kind) {
    case DG_EVENT_PROGRESS: {
        g_autofree char *n = dg_ui_format_count(ev->step);
        g_autofree char *t = dg_ui_format_count(ev->total);
        g_autofree char *text = g_strdup_printf("Predicting: %s of %s images", n, t);
        gtk_label_set_text(self->eval_label, text);
        break;
    }
    case DG_EVENT_MESSAGE:
        if (ev->message && g_strcmp0(ev->level, "warning") != 0)
            gtk_label_set_text(self->eval_label, ev->message);
        break;
    case DG_EVENT_RESULT:
        if (show_metrics(self, ev->json)) {
            self->n_results++;
            gtk_spinner_stop(self->eval_spinner);
            gtk_stack_set_visible_child_name(self->results_stack, "results");
        } else {
            show_note(self, "The evaluation's result could not be read.");
        }
        break;
    case DG_EVENT_FINISHED:
        if (ev->state == DG_JOB_FAILED) {
            g_autofree char *t = g_strdup_printf("The evaluation failed: %s",
                                                 ev->message ? ev->message : "unknown error");
            show_note(self, t);
            dg_session_toast(session_of(self), TRUE, "Evaluation failed: %s",
                             ev->message ? ev->message : "unknown error");
            self->evaluated = FALSE;
        } else if (ev->state == DG_JOB_CANCELLED) {
            show_note(self, "The evaluation was stopped.");
            self->evaluated = FALSE;
        }
        break;
    default:
        break;
    }
}

static gboolean page_can_start(DgJobPage *page)
{
    DgSession *s = dg_job_page_get_session(page);
    return dg_session_get_dataset(s) && dg_session_get_classifier(s);
}

static gboolean page_start(DgJobPage *page)
{
    DgResultsPage *self = DG_RESULTS_PAGE(page);
    DgSession *s = session_of(self);
    g_autofree char *split = g_steal_pointer(&self->next_split);
    if (!split) {
        guint i = adw_combo_row_get_selected(self->split_row);
        split = g_strdup(i < G_N_ELEMENTS(splits) ? splits[i] : "test");
    }
    const dg_dataset *ds = dg_session_get_dataset(s);
    const char *model = dg_session_get_classifier(s);
    if (!ds || !model) {
        show_note(self, !ds ? "Open a data set to evaluate a classifier on it."
                            : "No classifier: the bundled model is missing. Train one on the "
                              "Training page, or choose a model file.");
        return FALSE;
    }
    dg_evaluate_config *c = dg_evaluate_config_new();
    c->model = g_strdup(model);
    c->data = g_strdup(ds->root);
    c->all_classes = dg_session_get_all_classes(s);
    g_free(c->split);
    c->split = g_strdup(split);
    c->split_seed = DG_SPLIT_SEED;
    c->threads = dg_session_get_threads(s);
    c->per_image = TRUE; /* the images behind the confusion matrix */
    c->shift = gtk_spin_button_get_value(self->shift_spin);
    for (guint i = 0; i < G_N_ELEMENTS(splits); i++)
        if (strcmp(splits[i], c->split) == 0)
            adw_combo_row_set_selected(self->split_row, i);
    g_free(self->eval_model);
    self->eval_model = g_strdup(model);
    g_free(self->eval_data);
    self->eval_data = g_strdup(ds->root);
    self->eval_all = c->all_classes;
    self->superseded = FALSE;
    self->evaluated = TRUE;
    gtk_label_set_text(self->eval_label, "Loading the classifier and the images…");
    gtk_spinner_start(self->eval_spinner);
    gtk_stack_set_visible_child_name(self->results_stack, "busy");
    g_autoptr(DgJobRunner) runner = dg_job_runner_new(&dg_job_evaluate, c);
    dg_job_page_run(page, runner, 0);
    return TRUE;
}

gboolean dg_results_page_evaluate(DgResultsPage *self, const char *split)
{
    g_return_val_if_fail(DG_IS_RESULTS_PAGE(self), FALSE);
    g_free(self->next_split);
    self->next_split = g_strdup(split);
    return dg_job_page_start(DG_JOB_PAGE(self));
}

void dg_results_page_shown(DgResultsPage *self)
{
    g_return_if_fail(DG_IS_RESULTS_PAGE(self));
    DgSession *s = session_of(self);
    if (!self->evaluated && s && dg_session_get_dataset(s) && dg_session_get_classifier(s) &&
        !dg_job_page_is_active(DG_JOB_PAGE(self)))
        dg_results_page_evaluate(self, "test");
}

DgChart *dg_results_page_get_confusion_chart(DgResultsPage *self)
{
    g_return_val_if_fail(DG_IS_RESULTS_PAGE(self), NULL);
    return self->confusion_chart;
}

GtkWidget *dg_results_page_get_model_row(DgResultsPage *self)
{
    g_return_val_if_fail(DG_IS_RESULTS_PAGE(self), NULL);
    return GTK_WIDGET(self->model_row);
}

void dg_results_page_set_shift(DgResultsPage *self, double shift)
{
    g_return_if_fail(DG_IS_RESULTS_PAGE(self));
    gtk_spin_button_set_value(self->shift_spin, shift);
}

const char *dg_results_page_get_caption(DgResultsPage *self)
{
    g_return_val_if_fail(DG_IS_RESULTS_PAGE(self), NULL);
    return gtk_label_get_text(self->results_caption);
}

gboolean dg_results_page_get_exportable(DgResultsPage *self)
{
    g_return_val_if_fail(DG_IS_RESULTS_PAGE(self), FALSE);
    return gtk_widget_get_sensitive(GTK_WIDGET(self->export_button));
}

const char *dg_results_page_get_note(DgResultsPage *self)
{
    g_return_val_if_fail(DG_IS_RESULTS_PAGE(self), NULL);
    return gtk_label_get_text(self->results_note);
}

guint dg_results_page_get_n_results(DgResultsPage *self)
{
    g_return_val_if_fail(DG_IS_RESULTS_PAGE(self), 0);
    return self->n_results;
}

/* ---- session ------------------------------------------------------------------------------------ */

/* What the page says before an evaluation: what is missing for one. */
static void show_idle_note(DgResultsPage *self, DgSession *s)
{
    if (!s || !dg_session_get_dataset(s))
        show_note(self, "Open a data set to evaluate a classifier on it: the Dataset view, or "
                        "drop a folder on the window.");
    else if (!dg_session_get_classifier(s))
        show_note(self, "Choose a classifier to evaluate (Change, above).");
    else
        show_note(self, "Evaluate a classifier on the open data set.");
}

static void on_session_changed(DgSession *s, GParamSpec *pspec, DgResultsPage *self)
{
    (void)s, (void)pspec;
    /* a new data set or classifier: what is shown is not its result, and an
     * evaluation running is of the one before: it stops, and its numbers are
     * not shown (page_event evaluates the new ones once it has ended) */
    self->evaluated = FALSE;
    if (dg_job_page_is_active(DG_JOB_PAGE(self))) {
        self->superseded = TRUE;
        dg_job_page_stop(DG_JOB_PAGE(self));
    } else {
        show_idle_note(self, s);
    }
    if (gtk_widget_get_mapped(GTK_WIDGET(self)))
        dg_results_page_shown(self);
    dg_job_page_update_actions(DG_JOB_PAGE(self));
}

static void page_session_set(DgJobPage *page, DgSession *session)
{
    DgResultsPage *self = DG_RESULTS_PAGE(page);
    dg_model_row_set_session(self->model_row, session);
    g_signal_connect_object(session, "notify::dataset", G_CALLBACK(on_session_changed), self, 0);
    g_signal_connect_object(session, "notify::classifier", G_CALLBACK(on_session_changed), self,
                            0);
    show_idle_note(self, session);
}

/* ---- GObject ----------------------------------------------------------------------------------- */

static void dg_results_page_dispose(GObject *object)
{
    gtk_widget_dispose_template(GTK_WIDGET(object), DG_TYPE_RESULTS_PAGE);
    dg_ui_unparent_children(GTK_WIDGET(object));
    G_OBJECT_CLASS(dg_results_page_parent_class)->dispose(object);
}

static void dg_results_page_finalize(GObject *object)
{
    DgResultsPage *self = DG_RESULTS_PAGE(object);
    g_free(self->next_split);
    g_free(self->eval_model);
    g_free(self->eval_data);
    g_clear_pointer(&self->cases, g_ptr_array_unref);
    g_strfreev(self->class_ids);
    g_free(self->split);
    g_free(self->last_json);
    if (self->cases_window)
        g_object_remove_weak_pointer(G_OBJECT(self->cases_window), (gpointer *)&self->cases_window);
    G_OBJECT_CLASS(dg_results_page_parent_class)->finalize(object);
}

static void dg_results_page_class_init(DgResultsPageClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    DgJobPageClass *pc = DG_JOB_PAGE_CLASS(klass);
    oc->dispose = dg_results_page_dispose;
    oc->finalize = dg_results_page_finalize;
    pc->start = page_start;
    pc->can_start = page_can_start;
    pc->event = page_event;
    pc->session_set = page_session_set;
    g_type_ensure(DG_TYPE_CHART);
    g_type_ensure(DG_TYPE_MODEL_ROW);
    gtk_widget_class_set_template_from_resource(wc,
                                                "/org/dermagan/DermaGAN/ui/dg-results-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child(wc, DgResultsPage, name)
    BIND(model_row);
    BIND(export_button);
    BIND(split_row);
    BIND(shift_spin);
    BIND(results_stack);
    BIND(results_note);
    BIND(eval_label);
    BIND(results_caption);
    BIND(eval_spinner);
    BIND(metrics_box);
    BIND(confusion_chart);
    BIND(class_grid);
#undef BIND
    gtk_widget_class_bind_template_callback(wc, on_cell_activated);
    gtk_widget_class_install_action(wc, "results.mistakes", NULL, act_mistakes);
    gtk_widget_class_install_action(wc, "results.export", "s", act_export);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void dg_results_page_init(DgResultsPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "results.mistakes", FALSE);
    set_exportable(self, FALSE);
    dg_chart_set_file_name(self->confusion_chart, "confusion-matrix");
}

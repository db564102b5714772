/* dg-ablation-page.c: the Classifier view's Ablation page. */
#include "dg-ablation-page.h"

#include <math.h>
#include <string.h>

#include "data/dg-file.h"
#include "dg-ablation-doc.h"
#include "dg-model-row.h"
#include "dg-ui-util.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-job-util.h"

#define SIGNIFICANT 0.05     /* p below this is coloured */
#define BATCH 64             /* the classifier's batch: an epoch is MAX(1, n / 64) steps, as the job counts it */
#define TYPICAL_SPEED 120.0  /* images/s of an ablation on two free cores (README) */
#define MAX_PROTOCOLS 8

static const char *const archs[] = {"seed", "dermanet", "mobile"};

struct _DgAblationPage {
    DgJobPage parent_instance;

    AdwFlap *flap;
    GtkMenuButton *export_button; /* sensitive with its action: no empty menu */
    AdwComboRow *arch_row;
    GtkSpinButton *seeds_spin, *epochs_spin;
    DgModelRow *gen_row;
    GtkLabel *estimate_label, *status_label, *note_label;
    AdwButtonContent *pause_content;
    GtkProgressBar *progress;
    GtkStack *table_stack;
    GtkGrid *grid;
    DgChart *chart;
    AdwPreferencesGroup *protocols_group;
    GtkWidget *protocol_box;
    GtkDropDown *protocol_drop;
    GtkLabel *choice_label;
    GtkCheckButton *proto_check[MAX_PROTOCOLS];
    int n_proto_checks;

    dg_ablation_doc *doc; /* the ablation shown */
    guint shown;          /* its arm in the table */

    char *out, *next_out;
    double estimate;
    GHashTable *styles; /* metric key -> CSS class of its difference cell (tests) */
    char *last_json;    /* the ablation.json shown */
    double last_rate;
};

G_DEFINE_FINAL_TYPE(DgAblationPage, dg_ablation_page, DG_TYPE_JOB_PAGE)

static DgSession *session_of(DgAblationPage *self)
{
    return dg_job_page_get_session(DG_JOB_PAGE(self));
}

static const char *selected_arch(DgAblationPage *self)
{
    guint a = adw_combo_row_get_selected(self->arch_row);
    return a < G_N_ELEMENTS(archs) ? archs[a] : "dermanet";
}

static void update_estimate(DgAblationPage *self);

/* "Fixed share" from "fixed share" (the engine's titles are lower case). */
static char *capitalized(const char *t)
{
    return t && *t ? g_strdup_printf("%c%s", g_ascii_toupper(t[0]), t + 1) : g_strdup("–");
}

/* ---- the protocols to run ---------------------------------------------------------------------- */

int dg_ablation_page_count_protocols(DgAblationPage *self)
{
    g_return_val_if_fail(DG_IS_ABLATION_PAGE(self), 0);
    int n = 0;
    for (int i = 0; i < self->n_proto_checks; i++)
        n += gtk_check_button_get_active(self->proto_check[i]);
    return n;
}

/* "balance,pretrain": the protocols ticked, in the engine's order. */
static char *selected_protocols(DgAblationPage *self)
{
    GString *s = g_string_new(NULL);
    const char *id;
    for (int i = 0; i < self->n_proto_checks; i++)
        if (gtk_check_button_get_active(self->proto_check[i]) &&
            dg_ablation_protocol_info(i, &id, NULL, NULL))
            g_string_append_printf(s, "%s%s", s->len ? "," : "", id);
    return g_string_free(s, FALSE);
}

void dg_ablation_page_set_protocols(DgAblationPage *self, const char *list)
{
    g_return_if_fail(DG_IS_ABLATION_PAGE(self));
    g_auto(GStrv) ids = g_strsplit(list ? list : "", ",", -1);
    const char *id;
    for (int i = 0; i < self->n_proto_checks; i++)
        gtk_check_button_set_active(self->proto_check[i],
                                    dg_ablation_protocol_info(i, &id, NULL, NULL) &&
                                        g_strv_contains((const char *const *)ids, id));
}

static void on_protocol_toggled(DgAblationPage *self)
{
    update_estimate(self);
    dg_job_page_update_actions(DG_JOB_PAGE(self));
}

/* One row with a check box per protocol the engine knows, all ticked. */
static void build_protocol_rows(DgAblationPage *self)
{
    const char *title, *description;
    for (int i = 0; i < MAX_PROTOCOLS && dg_ablation_protocol_info(i, NULL, &title, &description);
         i++) {
        GtkWidget *row = adw_action_row_new();
        g_autofree char *t = capitalized(title);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), t);
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), description);
        adw_action_row_set_subtitle_lines(ADW_ACTION_ROW(row), 3);
        GtkWidget *check = gtk_check_button_new();
        gtk_widget_set_valign(check, GTK_ALIGN_CENTER);
        gtk_check_button_set_active(GTK_CHECK_BUTTON(check), TRUE);
        g_signal_connect_swapped(check, "toggled", G_CALLBACK(on_protocol_toggled), self);
        adw_action_row_add_prefix(ADW_ACTION_ROW(row), check);
        adw_action_row_set_activatable_widget(ADW_ACTION_ROW(row), check);
        adw_preferences_group_add(self->protocols_group, row);
        self->proto_check[self->n_proto_checks++] = GTK_CHECK_BUTTON(check);
    }
}

/* ---- the estimate before Run ---------------------------------------------------------------- */

static void update_estimate(DgAblationPage *self)
{
    DgSession *s = session_of(self);
    const dg_dataset *ds = s ? dg_session_get_dataset(s) : NULL;
    self->estimate = -1;
    if (!ds || !ds->has_split) {
        gtk_label_set_text(self->estimate_label, "Open a data set that can be split to see how "
                                                 "long this takes.");
        return;
    }
    int arms = 1 + dg_ablation_page_count_protocols(self);
    if (arms < 2) {
        gtk_label_set_text(self->estimate_label, "Choose at least one way of using the "
                                                 "synthetic images.");
        return;
    }
    int seeds = gtk_spin_button_get_value_as_int(self->seeds_spin);
    int epochs = gtk_spin_button_get_value_as_int(self->epochs_spin);
    int n_train = dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, NULL);
    gint64 steps = (gint64)epochs * MAX(1, n_train / BATCH); /* dg-job-ablation.c's pass */
    double measured = dg_ui_get_speed(dg_session_get_settings(s), "cnn-speed", selected_arch(self));
    double speed = measured > 0 ? measured : TYPICAL_SPEED;
    self->estimate = (double)arms * seeds * steps * BATCH / speed;
    g_autofree char *st = dg_ui_format_count(steps);
    g_autofree char *total = dg_ui_format_count(arms * seeds * steps);
    g_autofree char *t = dg_ui_format_duration(self->estimate);
    g_autofree char *text = g_strdup_printf(
        "%d seed%s × %d arms × %s steps = %s optimizer steps of %d images: about %s at %.0f "
        "images/s (%s).",
        seeds, seeds == 1 ? "" : "s", arms, st, total, BATCH, t, speed,
        measured > 0 ? "measured on this computer" : "typical of two free cores; measured after "
                                                      "the first training here");
    gtk_label_set_text(self->estimate_label, text);
}

double dg_ablation_page_get_estimate(DgAblationPage *self)
{
    g_return_val_if_fail(DG_IS_ABLATION_PAGE(self), -1);
    return self->estimate;
}

/* ---- the table ---------------------------------------------------------------------------------- */

static char *fmt_ms(JsonObject *o)
{
    double m = dg_ui_json_double(o, "mean"), s = dg_ui_json_double(o, "std");
    if (!isfinite(m))
        return g_strdup("–");
    return isfinite(s) ? g_strdup_printf("%.3f ± %.3f", m, s) : g_strdup_printf("%.3f", m);
}

/* Significant differences only, coloured by better or worse (lower is better for ece). */
static const char *diff_style(const char *metric, double d, double p)
{
    if (!isfinite(d) || !isfinite(p) || p >= SIGNIFICANT || d == 0)
        return NULL;
    gboolean lower_better = g_strcmp0(metric, "ece") == 0;
    gboolean better = lower_better ? d < 0 : d > 0;
    return better ? "success" : "error";
}

static void table_row(DgAblationPage *self, int row, const char *key, const char *title,
                      JsonObject *cmp)
{
    GtkGrid *g = self->grid;
    gtk_grid_attach(g, dg_ui_cell(title, FALSE, NULL), 0, row, 1, 1);
    g_autofree char *a = fmt_ms(dg_json_object_member(cmp, "real"));
    g_autofree char *b = fmt_ms(dg_ablation_doc_arm(self->doc, cmp, self->shown));
    JsonObject *d = dg_ablation_doc_difference(self->doc, cmp, self->shown);
    double dm = dg_ui_json_double(d, "mean"), ds = dg_ui_json_double(d, "std");
    double lo = dg_ui_json_double(d, "ci95_low"), hi = dg_ui_json_double(d, "ci95_high");
    double p = dg_ui_json_double(d, "p_sign_flip");
    g_autofree char *dd = !isfinite(dm)                  ? g_strdup("–")
                          : isfinite(lo) && isfinite(hi) ? g_strdup_printf("%+.3f [%+.3f, %+.3f]",
                                                                           dm, lo, hi)
                          : isfinite(ds)                 ? g_strdup_printf("%+.3f ± %.3f", dm, ds)
                                                         : g_strdup_printf("%+.3f", dm);
    g_autofree char *pp = isfinite(p) ? g_strdup_printf("%.2f", p) : g_strdup("–");
    const char *style = diff_style(key, dm, p);
    g_hash_table_insert(self->styles, g_strdup(key), g_strdup(style));
    gtk_grid_attach(g, dg_ui_cell(a, TRUE, NULL), 1, row, 1, 1);
    gtk_grid_attach(g, dg_ui_cell(b, TRUE, NULL), 2, row, 1, 1);
    GtkWidget *dc = dg_ui_cell(dd, TRUE, style);
    if (!style)
        gtk_widget_add_css_class(dc, "dim-label");
    gtk_grid_attach(g, dc, 3, row, 1, 1);
    gtk_grid_attach(g, dg_ui_cell(pp, TRUE, style ? "dg-table-total" : "dim-label"), 4, row, 1, 1);
}

static void show_note(DgAblationPage *self)
{
    JsonObject *o = self->doc->root;
    int seeds = (int)dg_ui_json_double(o, "seeds");
    double steps = dg_ui_json_double(o, "steps");
    double pmin = seeds > 0 && seeds < 31 ? MIN(1.0, 2.0 / (double)(1 << seeds)) : 0.0;
    const char *title = g_ptr_array_index(self->doc->arm_titles, self->shown);
    g_autofree char *why =
        pmin >= SIGNIFICANT
            ? g_strdup_printf(" With %d seed%s no difference can reach p < %.2f, so none is "
                              "coloured; 6 seeds or more can show one.",
                              seeds, seeds == 1 ? "" : "s", SIGNIFICANT)
            : g_strdup_printf(" Differences with p < %.2f are coloured: green where the "
                              "synthetic images helped, red where they hurt (for the calibration "
                              "error, lower is better).",
                              SIGNIFICANT);
    /* (documents from before the setting trained without it) */
    double shift = dg_ui_json_double(o, "color_shift");
    g_autofree char *recipe = isfinite(shift) && shift > 0
                                  ? g_strdup_printf("colour shift %g", shift)
                                  : g_strdup("no colour shift");
    g_autofree char *note = g_strdup_printf(
        "Mean ± standard deviation over %d seed%s, %.0f optimizer steps per run in every arm "
        "(%s). The difference is (%s) − (real only), seed by seed, with its 95%% t interval; "
        "p is the exact sign-flip test, whose smallest possible value with %d seed%s is %.3g.%s",
        seeds, seeds == 1 ? "" : "s", steps, recipe, title, seeds, seeds == 1 ? "" : "s", pmin,
        why);
    gtk_label_set_text(self->note_label, note);
}

const char *dg_ablation_page_get_note(DgAblationPage *self)
{
    g_return_val_if_fail(DG_IS_ABLATION_PAGE(self), NULL);
    return gtk_label_get_text(self->note_label);
}

/* Real only and every protocol (a two-arm document: its one arm). */
static void show_recall_chart(DgAblationPage *self)
{
    const dg_ablation_doc *doc = self->doc;
    const int K = (int)json_array_get_length(doc->classes);
    const guint A = 1 + doc->arm_ids->len;
    double **mean = g_new0(double *, A), **sd = g_new0(double *, A);
    const char **names = g_new0(const char *, K + 1);
    for (guint a = 0; a < A; a++) {
        mean[a] = g_new0(double, MAX(K, 1));
        sd[a] = g_new0(double, MAX(K, 1));
    }
    for (int k = 0; k < K; k++) {
        const char *id = json_array_get_string_element(doc->classes, k);
        names[k] = dg_ui_class_name(id);
        JsonObject *cmp = dg_json_object_member(doc->recall, id);
        for (guint a = 0; a < A; a++) {
            JsonObject *s = a == 0 ? dg_json_object_member(cmp, "real")
                                   : dg_ablation_doc_arm(doc, cmp, a - 1);
            mean[a][k] = dg_ui_json_double(s, "mean");
            double v = dg_ui_json_double(s, "std");
            sd[a][k] = isfinite(v) ? v : 0.0;
        }
    }
    dg_bar_chart *bc = dg_bar_chart_new();
    dg_bar_chart_set_categories(bc, K, names);
    dg_bar_chart_set_labels(bc, NULL, "recall");
    for (guint a = 0; a < A; a++)
        dg_bar_chart_add_series(
            bc, a == 0 ? "real only" : g_ptr_array_index(doc->arm_titles, a - 1), mean[a], sd[a]);
    dg_bar_chart_set_y_range(bc, 0, 1);
    dg_bar_chart_set_value_labels(bc, A <= 3, "%.2f");
    dg_chart_set_placeholder(self->chart, NULL);
    dg_chart_set_plot(self->chart, &dg_bar_chart_kind, bc);
    for (guint a = 0; a < A; a++) {
        g_free(mean[a]);
        g_free(sd[a]);
    }
    g_free(mean);
    g_free(sd);
    g_free(names);
}

/* The table of the protocol shown (self->shown) against real only. */
static void show_table(DgAblationPage *self)
{
    const dg_ablation_doc *doc = self->doc;
    dg_ui_clear_children(GTK_WIDGET(self->grid));
    g_hash_table_remove_all(self->styles);
    g_autofree char *head = capitalized(g_ptr_array_index(doc->arm_titles, self->shown));
    const char *heads[] = {"Test metric", "Real only", head, "Difference [95% interval]", "p"};
    for (int c = 0; c < 5; c++)
        gtk_grid_attach(self->grid, dg_ui_cell(heads[c], c > 0, "dg-table-head"), c, 0, 1, 1);
    const char *keys[] = {"balanced_accuracy", "accuracy", "macro_f1", "auc_macro", "ece"};
    const char *titles[] = {"Balanced accuracy", "Accuracy", "Macro F1", "Macro AUC",
                            "Calibration error"};
    int row = 1;
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
        table_row(self, row++, keys[i], titles[i], dg_json_object_member(doc->metrics, keys[i]));
    for (guint k = 0; k < json_array_get_length(doc->classes); k++) {
        const char *id = json_array_get_string_element(doc->classes, k);
        g_autofree char *t = g_strdup_printf("Recall: %s", dg_ui_class_name(id));
        g_autofree char *key = g_strdup_printf("recall-%s", id);
        table_row(self, row++, key, t, dg_json_object_member(doc->recall, id));
    }
}

static void on_protocol_selected(DgAblationPage *self)
{
    guint i = gtk_drop_down_get_selected(self->protocol_drop);
    if (!self->doc || i == GTK_INVALID_LIST_POSITION || i >= self->doc->arm_ids->len ||
        i == self->shown)
        return;
    self->shown = i;
    show_table(self);
    show_note(self);
}

gboolean dg_ablation_page_show_protocol(DgAblationPage *self, const char *id)
{
    g_return_val_if_fail(DG_IS_ABLATION_PAGE(self), FALSE);
    for (guint i = 0; self->doc && i < self->doc->arm_ids->len; i++)
        if (g_strcmp0(g_ptr_array_index(self->doc->arm_ids, i), id) == 0) {
            gtk_drop_down_set_selected(self->protocol_drop, i);
            return TRUE;
        }
    return FALSE;
}

const char *dg_ablation_page_get_shown_protocol(DgAblationPage *self)
{
    g_return_val_if_fail(DG_IS_ABLATION_PAGE(self), NULL);
    return self->doc ? g_ptr_array_index(self->doc->arm_ids, self->shown) : NULL;
}

gboolean dg_ablation_page_show(DgAblationPage *self, const char *json)
{
    g_return_val_if_fail(DG_IS_ABLATION_PAGE(self), FALSE);
    dg_ablation_doc *doc = dg_ablation_doc_new(json);
    if (!doc)
        return FALSE;
    dg_ablation_doc_free(self->doc);
    self->doc = doc;
    self->shown = doc->chosen;
    /* the protocols, the chosen one selected, without redrawing through the signal */
    g_signal_handlers_block_by_func(self->protocol_drop, on_protocol_selected, self);
    GtkStringList *names = gtk_string_list_new(NULL);
    for (guint i = 0; i < doc->arm_titles->len; i++)
        gtk_string_list_take(names, capitalized(g_ptr_array_index(doc->arm_titles, i)));
    gtk_drop_down_set_model(self->protocol_drop, G_LIST_MODEL(names));
    g_object_unref(names);
    gtk_drop_down_set_selected(self->protocol_drop, self->shown);
    g_signal_handlers_unblock_by_func(self->protocol_drop, on_protocol_selected, self);
    gtk_widget_set_visible(self->protocol_box, doc->multi && doc->arm_ids->len > 1);
    g_autofree char *choice = dg_ablation_doc_choice_text(doc);
    gtk_label_set_text(self->choice_label, choice ? choice : "");
    gtk_widget_set_visible(GTK_WIDGET(self->choice_label), choice != NULL);
    show_table(self);
    show_note(self);
    show_recall_chart(self);
    g_free(self->last_json);
    self->last_json = g_strdup(json);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "ablation.export", TRUE);
    gtk_widget_set_sensitive(GTK_WIDGET(self->export_button), TRUE);
    gtk_stack_set_visible_child_name(self->table_stack, "table");
    return TRUE;
}

/* ---- export ------------------------------------------------------------------------------------- */

gboolean dg_ablation_page_export(DgAblationPage *self, const char *what, const char *path,
                                 GError **error)
{
    g_return_val_if_fail(DG_IS_ABLATION_PAGE(self), FALSE);
    if (!self->last_json) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no ablation is shown");
        return FALSE;
    }
    if (g_strcmp0(what, "json") == 0)
        return dg_file_write_atomic(path, self->last_json, strlen(self->last_json), TRUE, error);
    if (g_strcmp0(what, "csv") == 0) {
        g_autofree char *csv = dg_ablation_doc_csv(self->doc);
        return dg_file_write_atomic(path, csv, strlen(csv), TRUE, error);
    }
    return dg_chart_save(self->chart, path, 720, 480, error);
}

static gboolean export_to(DgJobPage *page, const char *what, const char *path, GError **error)
{
    return dg_ablation_page_export((DgAblationPage *)page, what, path, error);
}

static void act_export(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    const char *what = g_variant_get_string(param, NULL);
    dg_job_page_export(DG_JOB_PAGE(w), "Export the Ablation",
                       g_strcmp0(what, "json") == 0  ? "ablation.json"
                       : g_strcmp0(what, "csv") == 0 ? "ablation.csv"
                                                     : "ablation-recall.png",
                       what, export_to);
}

const char *dg_ablation_page_get_cell_style(DgAblationPage *self, const char *metric)
{
    g_return_val_if_fail(DG_IS_ABLATION_PAGE(self), NULL);
    return g_hash_table_lookup(self->styles, metric);
}

/* ---- the job ------------------------------------------------------------------------------------ */

static void on_progress(DgAblationPage *self, const DgEventCopy *ev)
{
    gtk_progress_bar_set_fraction(self->progress,
                                  ev->total > 0 ? CLAMP((double)ev->step / ev->total, 0, 1) : 0);
    int run = (int)dg_event_copy_get(ev, "run", 0), runs = (int)dg_event_copy_get(ev, "runs", 0);
    g_autofree char *left = dg_ui_format_duration(ev->eta);
    g_autofree char *t =
        dg_job_page_is_paused(DG_JOB_PAGE(self))
            ? g_strdup("paused")
        : runs > 0 ? g_strdup_printf("run %d of %d · %s left", run, runs, left)
                   : g_strdup_printf("%s left", left);
    gtk_progress_bar_set_text(self->progress, t);
    if (ev->rate > 0)
        self->last_rate = ev->rate;
}

static void on_finished(DgAblationPage *self, const DgEventCopy *ev)
{
    g_autofree char *dir = self->out ? g_filename_display_name(self->out) : NULL;
    g_autofree char *t = NULL;
    if (ev->state == DG_JOB_SUCCEEDED)
        t = g_strdup_printf("Done: report.md, ablation.json and plots in %s.", dir);
    else if (ev->state == DG_JOB_CANCELLED)
        t = g_strdup_printf("Stopped; finished runs are kept in %s.", dir);
    else {
        t = g_strdup_printf("Failed: %s", ev->message ? ev->message : "unknown error");
        dg_session_toast(session_of(self), TRUE, "Ablation failed: %s",
                         ev->message ? ev->message : "unknown error");
    }
    gtk_label_set_text(self->status_label, t);
    if (self->last_rate > 0)
        dg_ui_set_speed(dg_session_get_settings(session_of(self)), "cnn-speed",
                        selected_arch(self), self->last_rate);
}

static void page_event(DgJobPage *page, const DgEventCopy *ev)
{
    DgAblationPage *self = DG_ABLATION_PAGE(page);
    switch (ev->kind) {
    case DG_EVENT_PROGRESS:
        on_progress(self, ev);
        break;
    case DG_EVENT_MESSAGE:
    case DG_EVENT_STARTED:
        if (ev->message && !g_str_has_prefix(ev->message, "loading data set"))
            gtk_label_set_text(self->status_label, ev->message);
        if (ev->kind == DG_EVENT_MESSAGE && g_strcmp0(ev->level, "warning") == 0 && ev->message)
            dg_session_toast(session_of(self), FALSE, "Ablation: %s", ev->message);
        break;
    case DG_EVENT_RESULT:
        if (!dg_ablation_page_show(self, ev->json))
            dg_session_toast(session_of(self), TRUE, "The ablation's result could not be read");
        break;
    case DG_EVENT_FINISHED:
        on_finished(self, ev);
        break;
    default:
        break;
    }
}

static void page_state_changed(DgJobPage *page)
{
    DgAblationPage *self = DG_ABLATION_PAGE(page);
    gboolean active = dg_job_page_is_active(page);
    gtk_widget_set_sensitive(GTK_WIDGET(self->arch_row), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->seeds_spin), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->epochs_spin), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->gen_row), !active);
    if (dg_job_page_is_stopping(page))
        gtk_label_set_text(self->status_label, "Stopping…");
    else if (dg_job_page_is_paused(page))
        gtk_progress_bar_set_text(self->progress, "paused");
}

static gboolean page_can_start(DgJobPage *page)
{
    DgSession *s = dg_job_page_get_session(page);
    return dg_session_get_dataset(s) && dg_session_get_generator(s) &&
           dg_ablation_page_count_protocols(DG_ABLATION_PAGE(page)) > 0;
}

static gboolean page_start(DgJobPage *page)
{
    DgAblationPage *self = DG_ABLATION_PAGE(page);
    DgSession *s = session_of(self);
    g_autofree char *out = g_steal_pointer(&self->next_out);
    const dg_dataset *ds = dg_session_get_dataset(s);
    const char *gen = dg_session_get_generator(s);
    if (!ds || !gen) {
        dg_session_toast(s, TRUE, !ds ? "Open a data set before running the ablation"
                                      : "The ablation needs a generator: train a GAN first");
        return FALSE;
    }
    dg_ablation_config *c = dg_ablation_config_new();
    c->data = g_strdup(ds->root);
    c->all_classes = dg_session_get_all_classes(s);
    c->out = out ? g_strdup(out) : dg_session_new_run_dir(s, "ablation");
    g_free(c->arch);
    c->arch = g_strdup(selected_arch(self));
    c->generator = g_strdup(gen);
    c->seeds = gtk_spin_button_get_value_as_int(self->seeds_spin);
    c->epochs = gtk_spin_button_get_value_as_int(self->epochs_spin);
    g_free(c->protocols);
    c->protocols = selected_protocols(self);
    if (!*c->protocols) {
        dg_session_toast(s, TRUE, "Choose at least one way of using the synthetic images");
        dg_ablation_config_free(c);
        return FALSE;
    }
    c->split_seed = DG_SPLIT_SEED;
    c->threads = dg_session_get_threads(s);
    g_free(self->out);
    self->out = g_strdup(c->out);
    self->last_rate = 0;
    gtk_progress_bar_set_fraction(self->progress, 0);
    gtk_progress_bar_set_text(self->progress, "starting");
    g_autoptr(DgJobRunner) runner = dg_job_runner_new(&dg_job_ablation, c);
    dg_job_page_run(page, runner, DG_JOB_RUNNER_TRAINING_INTERVAL);
    return TRUE;
}

gboolean dg_ablation_page_run(DgAblationPage *self, const char *out)
{
    g_return_val_if_fail(DG_IS_ABLATION_PAGE(self), FALSE);
    g_free(self->next_out);
    self->next_out = g_strdup(out);
    return dg_job_page_start(DG_JOB_PAGE(self));
}

void dg_ablation_page_configure(DgAblationPage *self, const char *arch, int seeds, int epochs)
{
    g_return_if_fail(DG_IS_ABLATION_PAGE(self));
    for (guint i = 0; i < G_N_ELEMENTS(archs); i++)
        if (g_strcmp0(archs[i], arch) == 0)
            adw_combo_row_set_selected(self->arch_row, i);
    gtk_spin_button_set_value(self->seeds_spin, seeds);
    gtk_spin_button_set_value(self->epochs_spin, epochs);
}

/* ---- session ------------------------------------------------------------------------------------ */

static void on_session_changed(DgSession *s, GParamSpec *pspec, DgAblationPage *self)
{
    (void)s, (void)pspec;
    update_estimate(self);
    dg_job_page_update_actions(DG_JOB_PAGE(self));
}

/* The bundled models' ablation on HAM10000 (resources/models/ablation.json),
 * shown until the user runs one: the page has a measured answer from the start. */
static void show_bundled(DgAblationPage *self)
{
    g_autofree char *path = dg_find_resource("models/ablation.json");
    g_autofree char *json = NULL;
    if (!path || !g_file_get_contents(path, &json, NULL, NULL) ||
        !dg_ablation_page_show(self, json))
        return;
    gtk_label_set_text(self->status_label,
                       "Showing the ablation measured for the bundled models on HAM10000 (test "
                       "split of split seed 1). Run one to measure your own.");
}

static void page_session_set(DgJobPage *page, DgSession *session)
{
    DgAblationPage *self = DG_ABLATION_PAGE(page);
    g_autofree char *arch = g_settings_get_string(dg_session_get_settings(session), "cnn-arch");
    for (guint i = 0; i < G_N_ELEMENTS(archs); i++)
        if (g_strcmp0(archs[i], arch) == 0)
            adw_combo_row_set_selected(self->arch_row, i);
    dg_model_row_set_session(self->gen_row, session);
    g_signal_connect_object(session, "notify::dataset", G_CALLBACK(on_session_changed), self, 0);
    g_signal_connect_object(session, "notify::generator", G_CALLBACK(on_session_changed), self,
                            0);
    g_signal_connect_object(dg_session_get_settings(session), "changed::cnn-speed",
                            G_CALLBACK(update_estimate), self, G_CONNECT_SWAPPED);
    gtk_label_set_text(self->status_label, "Not started.");
    show_bundled(self);
    update_estimate(self);
}

/* ---- GObject ----------------------------------------------------------------------------------- */

static void dg_ablation_page_dispose(GObject *object)
{
    gtk_widget_dispose_template(GTK_WIDGET(object), DG_TYPE_ABLATION_PAGE);
    dg_ui_unparent_children(GTK_WIDGET(object));
    G_OBJECT_CLASS(dg_ablation_page_parent_class)->dispose(object);
}

static void dg_ablation_page_finalize(GObject *object)
{
    DgAblationPage *self = DG_ABLATION_PAGE(object);
    g_free(self->out);
    g_free(self->next_out);
    g_hash_table_unref(self->styles);
    dg_ablation_doc_free(self->doc);
    g_free(self->last_json);
    G_OBJECT_CLASS(dg_ablation_page_parent_class)->finalize(object);
}

static void dg_ablation_page_class_init(DgAblationPageClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    DgJobPageClass *pc = DG_JOB_PAGE_CLASS(klass);
    oc->dispose = dg_ablation_page_dispose;
    oc->finalize = dg_ablation_page_finalize;
    pc->start = page_start;
    pc->can_start = page_can_start;
    pc->event = page_event;
    pc->state_changed = page_state_changed;
    pc->session_set = page_session_set;
    g_type_ensure(DG_TYPE_CHART);
    g_type_ensure(DG_TYPE_MODEL_ROW);
    gtk_widget_class_set_template_from_resource(wc,
                                                "/org/dermagan/DermaGAN/ui/dg-ablation-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child(wc, DgAblationPage, name)
    BIND(flap);
    BIND(export_button);
    BIND(arch_row);
    BIND(seeds_spin);
    BIND(epochs_spin);
    BIND(gen_row);
    BIND(estimate_label);
    BIND(status_label);
    BIND(note_label);
    BIND(pause_content);
    BIND(progress);
    BIND(table_stack);
    BIND(grid);
    BIND(chart);
    BIND(protocols_group);
    BIND(protocol_box);
    BIND(protocol_drop);
    BIND(choice_label);
#undef BIND
    gtk_widget_class_bind_template_callback(wc, update_estimate);
    gtk_widget_class_bind_template_callback(wc, on_protocol_selected);
    gtk_widget_class_install_action(wc, "ablation.export", "s", act_export);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void dg_ablation_page_init(DgAblationPage *self)
{
    self->styles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    self->estimate = -1;
    gtk_widget_init_template(GTK_WIDGET(self));
    build_protocol_rows(self);
    gtk_progress_bar_set_text(self->progress, "idle");
    dg_job_page_set_pause_content(DG_JOB_PAGE(self), self->pause_content);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "ablation.export", FALSE);
    gtk_widget_set_sensitive(GTK_WIDGET(self->export_button), FALSE);
    dg_chart_set_file_name(self->chart, "ablation-recall");
}

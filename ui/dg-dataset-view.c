/* dg-dataset-view.c: the Dataset view. */
#include "dg-dataset-view.h"

#include <adwaita.h>

#include "dg-ui-util.h"

#define MAX_SKIP_ROWS 200

struct _DgDatasetView {
    GtkWidget parent_instance;

    GtkStack *stack;
    AdwStatusPage *loading_page;
    GtkProgressBar *load_progress;
    GtkLabel *load_label;
    GtkLabel *title_label, *layout_label, *path_label;
    GtkLabel *images_value, *lesions_value, *classes_value, *skipped_value;
    DgChart *class_chart;
    GtkLabel *split_note;
    GtkGrid *split_grid;
    GtkLabel *skipped_heading;
    GtkListBox *skipped_list;
    GtkDropDown *class_filter, *split_filter;
    GtkLabel *count_label;
    DgThumbGrid *grid;
    GtkWidget *classes_box;
    AdwActionRow *classes_row;
    GtkButton *classes_button;

    DgSession *session;
    GListStore *items;
    GtkCustomFilter *filter;
    GtkFilterListModel *filtered;
};

G_DEFINE_FINAL_TYPE(DgDatasetView, dg_dataset_view, GTK_TYPE_WIDGET)

static void update_count(DgDatasetView *self)
{
    guint shown = g_list_model_get_n_items(G_LIST_MODEL(self->filtered));
    guint all = g_list_model_get_n_items(G_LIST_MODEL(self->items));
    g_autofree char *s = dg_ui_format_count(shown);
    g_autofree char *a = dg_ui_format_count(all);
    g_autofree char *text = shown == all ? g_strdup_printf("%s images", s)
                                         : g_strdup_printf("%s of %s images", s, a);
    gtk_label_set_text(self->count_label, text);
}

static gboolean filter_item(gpointer item, gpointer data)
{
    DgDatasetView *self = data;
    DgThumbItem *it = item;
    guint c = gtk_drop_down_get_selected(self->class_filter);
    guint s = gtk_drop_down_get_selected(self->split_filter);
    if (c != GTK_INVALID_LIST_POSITION && c > 0 && dg_thumb_item_get_class(it) != (int)c - 1)
        return FALSE;
    if (s != GTK_INVALID_LIST_POSITION && s > 0 && dg_thumb_item_get_split(it) != (int)s - 1)
        return FALSE;
    return TRUE;
}

static void on_filter_changed(DgDatasetView *self)
{
    if (!self->filter)
        return;
    /* the grid shows the new selection from its top: it lets the model go while
     * the filter changes (GTK 4.8's grid view, scrolled far down, does not
     * follow a large change of its model without warnings) */
    gboolean shown = dg_thumb_grid_get_model(self->grid) != NULL;
    if (shown)
        dg_thumb_grid_set_model(self->grid, NULL);
    gtk_filter_changed(GTK_FILTER(self->filter), GTK_FILTER_CHANGE_DIFFERENT);
    if (shown)
        dg_thumb_grid_set_model(self->grid, G_LIST_MODEL(self->filtered));
    update_count(self);
}

static void on_cancel_load(DgDatasetView *self)
{
    if (self->session)
        dg_session_cancel_load(self->session);
}

static void on_item_activated(DgDatasetView *self, DgThumbItem *item)
{
    gtk_widget_activate_action(GTK_WIDGET(self), "win.diagnose-file", "s",
                               dg_thumb_item_get_path(item));
}

/* ---- the classes: which are loaded, which were left out ------------------------------- */

/* HAM10000's classes outside DermaGAN's task (the data layer leaves their rows out
 * unless asked for all classes). */
static const char *const other_classes[] = {"nv", "df", "vasc"};

static char *other_class_names(void)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < G_N_ELEMENTS(other_classes); i++)
        g_string_append_printf(s, "%s%s", i ? (i + 1 < G_N_ELEMENTS(other_classes) ? ", " : " and ")
                                             : "",
                               dg_class_display_name(other_classes[i]));
    char *out = g_ascii_strdown(s->str, -1);
    g_string_free(s, TRUE);
    return out;
}

static void fill_classes(DgDatasetView *self, const dg_dataset *ds)
{
    gboolean all = dg_session_get_all_classes(self->session);
    g_autofree char *names = other_class_names();
    g_autofree char *text = NULL;
    const char *button = NULL;
    if (ds->n_rows_left_out > 0) {
        g_autofree char *n = dg_ui_format_count(ds->n_rows_left_out);
        g_autofree char *total = dg_ui_format_count(ds->n_items + ds->n_rows_left_out);
        text = g_strdup_printf(
            "%s of the %s images were left out: HAM10000's other classes (%s) are not part of "
            "DermaGAN's task, the four classes here. Include them to look at them and to train "
            "on all classes.",
            n, total, names);
        button = "_Include Them";
    } else if (all && ds->layout == DG_LAYOUT_HAM10000) {
        text = g_strdup_printf("All %d classes are loaded, and the GAN, the classifier and the "
                               "other jobs use all of them. The bundled models know the four "
                               "task classes only.",
                               ds->n_classes);
        button = "_Task Classes Only";
    }
    gtk_widget_set_visible(self->classes_box, text != NULL);
    if (!text)
        return;
    g_autofree char *esc = g_markup_escape_text(text, -1);
    adw_action_row_set_subtitle(self->classes_row, esc);
    gtk_button_set_label(self->classes_button, button);
}

static void on_classes_clicked(DgDatasetView *self)
{
    const dg_dataset *ds = dg_session_get_dataset(self->session);
    if (!ds)
        return;
    gboolean all = !dg_session_get_all_classes(self->session);
    g_settings_set_boolean(dg_session_get_settings(self->session), "all-classes", all);
    g_autofree char *root = g_strdup(ds->root);
    dg_session_load_dataset_full(self->session, root, all);
}

/* ---- filling the view from a data set ------------------------------------------------- */

static void fill_chart(DgDatasetView *self, const dg_dataset *ds)
{
    dg_bar_chart *chart = dg_bar_chart_new();
    const char **names = g_new0(const char *, ds->n_classes + 1);
    for (int k = 0; k < ds->n_classes; k++)
        names[k] = ds->classes[k].name;
    dg_bar_chart_set_categories(chart, ds->n_classes, names);
    dg_bar_chart_set_labels(chart, NULL, "images");
    double *v = g_new0(double, ds->n_classes);
    if (ds->has_split) {
        const char *split_names[] = {"training", "validation", "test"};
        for (int s = DG_SPLIT_TRAIN; s <= DG_SPLIT_TEST; s++) {
            for (int k = 0; k < ds->n_classes; k++)
                v[k] = dg_dataset_class_count(ds, k, (dg_split)s);
            dg_bar_chart_add_series(chart, split_names[s], v, NULL);
        }
    } else {
        for (int k = 0; k < ds->n_classes; k++)
            v[k] = dg_dataset_class_count(ds, k, DG_SPLIT_NONE);
        dg_bar_chart_add_series(chart, "images", v, NULL);
        dg_bar_chart_set_color_by_category(chart, TRUE);
    }
    g_free(v);
    g_free(names);
    dg_chart_set_plot(self->class_chart, &dg_bar_chart_kind, chart);
}

static void grid_text(GtkGrid *grid, int col, int row, const char *text, gboolean numeric,
                      const char *css)
{
    gtk_grid_attach(grid, dg_ui_cell(text, numeric, css), col, row, 1, 1);
}

static void grid_count(GtkGrid *grid, int col, int row, gint64 n, const char *css)
{
    g_autofree char *s = dg_ui_format_count(n);
    grid_text(grid, col, row, s, TRUE, css);
}

/* The split table: per class, the images of each split and the lesions
 * (with a split), or the images and lesions (without one); narrow enough
 * for the sidebar (the image totals per class are the bar chart's). */
static void fill_split(DgDatasetView *self, const dg_dataset *ds)
{
    GtkGrid *g = self->split_grid;
    dg_ui_clear_children(GTK_WIDGET(g));
    const char *split_heads[] = {"Class", "Train", "Val", "Test", "Lesions"};
    const char *plain_heads[] = {"Class", "Images", "Lesions"};
    const char *const *heads = ds->has_split ? split_heads : plain_heads;
    const int n_cols = ds->has_split ? 5 : 3;
    for (int c = 0; c < n_cols; c++)
        grid_text(g, c, 0, heads[c], c > 0, "dg-table-head");
    if (ds->has_split) {
        gtk_widget_set_tooltip_text(gtk_grid_get_child_at(g, 1, 0), "Training images");
        gtk_widget_set_tooltip_text(gtk_grid_get_child_at(g, 2, 0), "Validation images");
        gtk_widget_set_tooltip_text(gtk_grid_get_child_at(g, 3, 0), "Test images");
    }
    gtk_widget_set_tooltip_text(gtk_grid_get_child_at(g, n_cols - 1, 0),
                                "Lesions (one lesion may have several images)");
    int row = 1;
    for (int k = 0; k <= ds->n_classes; k++, row++) {
        const gboolean all = k == ds->n_classes;
        const int cls = all ? -1 : k;
        const char *css = all ? "dg-table-total" : NULL;
        grid_text(g, 0, row, all ? "All" : ds->classes[k].name, FALSE, css);
        if (ds->has_split)
            for (int sp = DG_SPLIT_TRAIN; sp <= DG_SPLIT_TEST; sp++)
                grid_count(g, 1 + sp, row, dg_dataset_class_count(ds, cls, (dg_split)sp), css);
        else
            grid_count(g, 1, row, all ? ds->n_items : dg_dataset_class_count(ds, k, DG_SPLIT_NONE),
                       css);
        grid_count(g, n_cols - 1, row, dg_dataset_lesion_count(ds, cls, DG_SPLIT_NONE), css);
    }

    g_autofree char *note = NULL;
    if (ds->has_split)
        note = g_strdup_printf(
            "Split with seed %d into %.0f%% / %.0f%% / %.0f%%, stratified by class and grouped by "
            "lesion, as the training jobs split it: all images of a lesion share one split. "
            "Lesions: %d training, %d validation, %d test.",
            (int)ds->split_seed, 100 * DG_SPLIT_TRAIN_FRACTION, 100 * DG_SPLIT_VAL_FRACTION,
            100 * (1 - DG_SPLIT_TRAIN_FRACTION - DG_SPLIT_VAL_FRACTION),
            dg_dataset_lesion_count(ds, -1, DG_SPLIT_TRAIN),
            dg_dataset_lesion_count(ds, -1, DG_SPLIT_VAL),
            dg_dataset_lesion_count(ds, -1, DG_SPLIT_TEST));
    else
        note = g_strdup("This data set could not be split (see the notes below).");
    gtk_label_set_text(self->split_note, note);
}

static GtkWidget *note_row(const char *title, const char *subtitle, const char *icon)
{
    GtkWidget *row = adw_action_row_new();
    g_autofree char *t = g_markup_escape_text(title, -1);
    g_autofree char *s = subtitle ? g_markup_escape_text(subtitle, -1) : NULL;
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), t);
    if (s)
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), s);
    adw_action_row_set_title_lines(ADW_ACTION_ROW(row), 2);
    adw_action_row_set_subtitle_lines(ADW_ACTION_ROW(row), 3);
    if (icon)
        adw_action_row_set_icon_name(ADW_ACTION_ROW(row), icon);
    return row;
}

static void fill_skipped(DgDatasetView *self, const dg_dataset *ds)
{
    dg_ui_clear_children(GTK_WIDGET(self->skipped_list));
    guint n = ds->skipped->len, nw = ds->warnings ? ds->warnings->len : 0;
    g_autofree char *head = n ? g_strdup_printf("Skipped Files and Notes (%u skipped)", n)
                              : g_strdup("Skipped Files and Notes");
    gtk_label_set_text(self->skipped_heading, head);
    for (guint i = 0; i < nw; i++)
        gtk_list_box_append(self->skipped_list,
                            note_row(g_ptr_array_index(ds->warnings, i), NULL,
                                     "dialog-information-symbolic"));
    for (guint i = 0; i < n && i < MAX_SKIP_ROWS; i++) {
        const dg_skip *sk = g_ptr_array_index(ds->skipped, i);
        g_autofree char *base = g_path_get_basename(sk->path);
        GtkWidget *row = note_row(base, sk->reason, "dialog-warning-symbolic");
        gtk_widget_set_tooltip_text(row, sk->path);
        gtk_list_box_append(self->skipped_list, row);
    }
    if (n > MAX_SKIP_ROWS) {
        g_autofree char *more = g_strdup_printf("and %u more skipped files", n - MAX_SKIP_ROWS);
        gtk_list_box_append(self->skipped_list, note_row(more, NULL, NULL));
    }
    if (ds->n_rows_left_out > 0) {
        g_autofree char *c = dg_ui_format_count(ds->n_rows_left_out);
        g_autofree char *t = g_strdup_printf("%s images of other classes left out", c);
        g_autofree char *names = other_class_names();
        g_autofree char *why = g_strdup_printf("%s: not part of the task (see Classes above)",
                                               names);
        gtk_list_box_append(self->skipped_list, note_row(t, why, "dialog-information-symbolic"));
    }
    if (n == 0 && nw == 0)
        gtk_list_box_append(self->skipped_list,
                            note_row(ds->n_rows_left_out > 0 ? "Every image of these classes loaded"
                                                             : "Every image file loaded",
                                     NULL, "emblem-ok-symbolic"));
}

static void fill_items(DgDatasetView *self, const dg_dataset *ds)
{
    GtkStringList *classes = gtk_string_list_new(NULL);
    gtk_string_list_append(classes, "All classes");
    for (int k = 0; k < ds->n_classes; k++)
        gtk_string_list_append(classes, ds->classes[k].name);
    /* the grid lets the old items go first: nothing is bound or decoded for nothing */
    dg_thumb_grid_set_model(self->grid, NULL);
    gtk_drop_down_set_model(self->class_filter, G_LIST_MODEL(classes));
    g_object_unref(classes);
    gtk_drop_down_set_selected(self->class_filter, 0);
    gtk_drop_down_set_selected(self->split_filter, 0);
    gtk_widget_set_sensitive(GTK_WIDGET(self->split_filter), ds->has_split);

    GPtrArray *arr = g_ptr_array_new_full(ds->n_items, g_object_unref);
    for (int i = 0; i < ds->n_items; i++) {
        const dg_item *it = &ds->items[i];
        const char *cname = ds->classes[it->cls].name;
        g_autofree char *tip =
            it->split == DG_SPLIT_NONE
                ? g_strdup_printf("%s · %s\nlesion %s", it->image_id, cname, it->lesion_id)
                : g_strdup_printf("%s · %s · %s split\nlesion %s", it->image_id, cname,
                                  dg_split_name(it->split), it->lesion_id);
        g_ptr_array_add(arr, dg_thumb_item_new(it->path, it->image_id, tip, it->cls, it->split));
    }
    g_list_store_remove_all(self->items);
    g_list_store_splice(self->items, 0, 0, arr->pdata, arr->len);
    g_ptr_array_unref(arr);
    on_filter_changed(self);
    dg_thumb_grid_set_model(self->grid, G_LIST_MODEL(self->filtered));
}

static void show_dataset(DgDatasetView *self)
{
    const dg_dataset *ds = dg_session_get_dataset(self->session);
    if (!ds) {
        gtk_stack_set_visible_child_name(self->stack, "empty");
        return;
    }
    g_autofree char *base = g_path_get_basename(ds->root);
    g_autofree char *disp = g_filename_display_name(base);
    g_autofree char *root = g_filename_display_name(ds->root);
    gtk_label_set_text(self->title_label, disp);
    gtk_label_set_text(self->path_label, root);
    gtk_label_set_text(self->layout_label,
                       ds->layout == DG_LAYOUT_HAM10000 ? "HAM10000" : "ImageFolder");
    char *s;
    gtk_label_set_text(self->images_value, s = dg_ui_format_count(ds->n_items));
    g_free(s);
    gtk_label_set_text(self->lesions_value,
                       s = dg_ui_format_count(dg_dataset_lesion_count(ds, -1, DG_SPLIT_NONE)));
    g_free(s);
    gtk_label_set_text(self->classes_value, s = dg_ui_format_count(ds->n_classes));
    g_free(s);
    gtk_label_set_text(self->skipped_value, s = dg_ui_format_count(ds->skipped->len));
    g_free(s);
    fill_chart(self, ds);
    fill_split(self, ds);
    fill_skipped(self, ds);
    fill_classes(self, ds);
    fill_items(self, ds);
    gtk_stack_set_visible_child_name(self->stack, "content");
}

/* ---- session signals ------------------------------------------------------------------ */

static void on_load_started(DgSession *s, const char *path, DgDatasetView *self)
{
    (void)s;
    g_autofree char *disp = g_filename_display_name(path);
    adw_status_page_set_description(self->loading_page, disp);
    gtk_progress_bar_set_fraction(self->load_progress, 0.0);
    gtk_progress_bar_set_text(self->load_progress, NULL);
    gtk_label_set_text(self->load_label, "scanning");
    gtk_stack_set_visible_child_name(self->stack, "loading");
}

static void on_load_progress(DgSession *s, double fraction, const char *what,
                             DgDatasetView *self)
{
    (void)s;
    gtk_progress_bar_set_fraction(self->load_progress, CLAMP(fraction, 0.0, 1.0));
    gtk_label_set_text(self->load_label, what ? what : "");
}

static void on_load_failed(DgSession *s, const char *path, const char *message,
                           DgDatasetView *self)
{
    (void)s, (void)path, (void)message;
    /* the window shows the message; go back to what was shown before */
    show_dataset(self);
}

static void on_dataset(DgSession *s, GParamSpec *pspec, DgDatasetView *self)
{
    (void)s, (void)pspec;
    show_dataset(self);
}

void dg_dataset_view_set_session(DgDatasetView *self, DgSession *session)
{
    g_return_if_fail(DG_IS_DATASET_VIEW(self));
    g_return_if_fail(self->session == NULL);
    self->session = g_object_ref(session);
    g_signal_connect_object(session, "load-started", G_CALLBACK(on_load_started), self, 0);
    g_signal_connect_object(session, "load-progress", G_CALLBACK(on_load_progress), self, 0);
    g_signal_connect_object(session, "load-failed", G_CALLBACK(on_load_failed), self, 0);
    g_signal_connect_object(session, "notify::dataset", G_CALLBACK(on_dataset), self, 0);
    show_dataset(self);
}

void dg_dataset_view_set_filter(DgDatasetView *self, int cls, int split)
{
    g_return_if_fail(DG_IS_DATASET_VIEW(self));
    gtk_drop_down_set_selected(self->class_filter, cls < 0 ? 0 : (guint)cls + 1);
    gtk_drop_down_set_selected(self->split_filter,
                               split < 0 || split >= DG_SPLIT_NONE ? 0 : (guint)split + 1);
}

guint dg_dataset_view_get_n_shown(DgDatasetView *self)
{
    g_return_val_if_fail(DG_IS_DATASET_VIEW(self), 0);
    return g_list_model_get_n_items(G_LIST_MODEL(self->filtered));
}

DgChart *dg_dataset_view_get_chart(DgDatasetView *self)
{
    g_return_val_if_fail(DG_IS_DATASET_VIEW(self), NULL);
    return self->class_chart;
}

void dg_dataset_view_toggle_all_classes(DgDatasetView *self)
{
    g_return_if_fail(DG_IS_DATASET_VIEW(self));
    on_classes_clicked(self);
}

const char *dg_dataset_view_get_classes_note(DgDatasetView *self)
{
    g_return_val_if_fail(DG_IS_DATASET_VIEW(self), NULL);
    return gtk_widget_get_visible(self->classes_box)
               ? adw_action_row_get_subtitle(self->classes_row)
               : NULL;
}

DgThumbGrid *dg_dataset_view_get_grid(DgDatasetView *self)
{
    g_return_val_if_fail(DG_IS_DATASET_VIEW(self), NULL);
    return self->grid;
}

/* ---- GObject ---------------------------------------------------------------------------- */

static void dg_dataset_view_dispose(GObject *object)
{
    DgDatasetView *self = DG_DATASET_VIEW(object);
    gtk_widget_dispose_template(GTK_WIDGET(self), DG_TYPE_DATASET_VIEW);
    dg_ui_unparent_children(GTK_WIDGET(self));
    g_clear_object(&self->filtered);
    g_clear_object(&self->session);
    G_OBJECT_CLASS(dg_dataset_view_parent_class)->dispose(object);
}

static void dg_dataset_view_class_init(DgDatasetViewClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = dg_dataset_view_dispose;
    g_type_ensure(DG_TYPE_CHART);
    g_type_ensure(DG_TYPE_THUMB_GRID);
    gtk_widget_class_set_template_from_resource(wc,
                                                "/org/dermagan/DermaGAN/ui/dg-dataset-view.ui");
    gtk_widget_class_bind_template_child(wc, DgDatasetView, stack);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, loading_page);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, load_progress);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, load_label);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, title_label);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, layout_label);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, path_label);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, images_value);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, lesions_value);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, classes_value);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, skipped_value);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, class_chart);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, split_note);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, split_grid);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, skipped_heading);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, skipped_list);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, class_filter);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, split_filter);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, count_label);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, grid);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, classes_box);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, classes_row);
    gtk_widget_class_bind_template_child(wc, DgDatasetView, classes_button);
    gtk_widget_class_bind_template_callback(wc, on_filter_changed);
    gtk_widget_class_bind_template_callback(wc, on_cancel_load);
    gtk_widget_class_bind_template_callback(wc, on_item_activated);
    gtk_widget_class_bind_template_callback(wc, on_classes_clicked);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void dg_dataset_view_init(DgDatasetView *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->items = g_list_store_new(DG_TYPE_THUMB_ITEM);
    self->filter = gtk_custom_filter_new(filter_item, self, NULL);
    /* the filter model owns both */
    self->filtered = gtk_filter_list_model_new(G_LIST_MODEL(self->items), GTK_FILTER(self->filter));
    dg_chart_set_placeholder(self->class_chart, NULL);
}

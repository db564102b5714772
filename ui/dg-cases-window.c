/* dg-cases-window.c: the images behind a number of the Results page. */
#include "dg-cases-window.h"

#include "dg-thumb-item.h"
#include "dg-ui-util.h"

struct _DgCasesWindow {
    AdwWindow parent_instance;

    AdwWindowTitle *window_title;
    AdwFlap *flap;
    DgThumbGrid *grid;
    DgDiagnoseView *detail;

    GPtrArray *cases; /* of DgCase* */
    GListStore *items;
};

G_DEFINE_FINAL_TYPE(DgCasesWindow, dg_cases_window, ADW_TYPE_WINDOW)

DgCase *dg_case_new(const char *path, const char *image_id, int label, int pred,
                    const double *probs, int n_probs)
{
    DgCase *c = g_new0(DgCase, 1);
    c->path = g_strdup(path);
    c->image_id = g_strdup(image_id);
    c->label = label;
    c->pred = pred;
    c->n_probs = n_probs;
    c->probs = g_memdup2(probs, sizeof(double) * MAX(n_probs, 0));
    return c;
}

void dg_case_free(DgCase *c)
{
    if (!c)
        return;
    g_free(c->path);
    g_free(c->image_id);
    g_free(c->probs);
    g_free(c);
}

static const char *class_name(const char *const *ids, int k)
{
    return ids && k >= 0 ? dg_ui_class_name(ids[k]) : "?";
}

void dg_cases_window_show_case(DgCasesWindow *self, guint i)
{
    g_return_if_fail(DG_IS_CASES_WINDOW(self));
    if (i >= self->cases->len)
        return;
    const DgCase *c = g_ptr_array_index(self->cases, i);
    dg_diagnose_view_open(self->detail, c->path);
    adw_flap_set_reveal_flap(self->flap, TRUE);
}

static void on_item_activated(DgCasesWindow *self, DgThumbItem *item)
{
    guint pos;
    if (g_list_store_find(self->items, item, &pos))
        dg_cases_window_show_case(self, pos);
}

static void fill(DgCasesWindow *self, const char *const *ids)
{
    for (guint i = 0; i < self->cases->len; i++) {
        const DgCase *c = g_ptr_array_index(self->cases, i);
        double p = c->pred >= 0 && c->pred < c->n_probs ? c->probs[c->pred] : 0;
        g_autofree char *caption = g_strdup_printf("%s %.0f%%", ids && c->pred >= 0 ? ids[c->pred]
                                                                                    : "?",
                                                   100 * p);
        g_autofree char *tip = g_strdup_printf("%s\ntrue: %s\npredicted: %s (%.1f %%)",
                                               c->image_id, class_name(ids, c->label),
                                               class_name(ids, c->pred), 100 * p);
        DgThumbItem *it = dg_thumb_item_new(c->path, caption, tip, c->label, -1);
        g_list_store_append(self->items, it);
        g_object_unref(it);
    }
    dg_thumb_grid_set_model(self->grid, G_LIST_MODEL(self->items));
}

DgCasesWindow *dg_cases_window_new(GtkWindow *parent, DgSession *session, const char *title,
                                   const char *subtitle, const char *const *class_ids,
                                   GPtrArray *cases)
{
    g_return_val_if_fail(DG_IS_SESSION(session), NULL);
    DgCasesWindow *self = g_object_new(DG_TYPE_CASES_WINDOW, "transient-for", parent, NULL);
    adw_window_title_set_title(self->window_title, title);
    adw_window_title_set_subtitle(self->window_title, subtitle);
    gtk_window_set_title(GTK_WINDOW(self), title);
    self->cases = g_ptr_array_ref(cases);
    dg_diagnose_view_set_session(self->detail, session);
    dg_diagnose_view_set_tta(self->detail, FALSE); /* the probabilities the evaluation saw */
    fill(self, class_ids);
    return self;
}

guint dg_cases_window_get_n_cases(DgCasesWindow *self)
{
    g_return_val_if_fail(DG_IS_CASES_WINDOW(self), 0);
    return self->cases ? self->cases->len : 0;
}

DgThumbGrid *dg_cases_window_get_grid(DgCasesWindow *self)
{
    g_return_val_if_fail(DG_IS_CASES_WINDOW(self), NULL);
    return self->grid;
}

DgDiagnoseView *dg_cases_window_get_detail(DgCasesWindow *self)
{
    g_return_val_if_fail(DG_IS_CASES_WINDOW(self), NULL);
    return self->detail;
}

static void dg_cases_window_dispose(GObject *object)
{
    DgCasesWindow *self = DG_CASES_WINDOW(object);
    gtk_widget_dispose_template(GTK_WIDGET(self), DG_TYPE_CASES_WINDOW);
    g_clear_pointer(&self->cases, g_ptr_array_unref);
    g_clear_object(&self->items);
    G_OBJECT_CLASS(dg_cases_window_parent_class)->dispose(object);
}

static void dg_cases_window_class_init(DgCasesWindowClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = dg_cases_window_dispose;
    g_type_ensure(DG_TYPE_THUMB_GRID);
    g_type_ensure(DG_TYPE_DIAGNOSE_VIEW);
    gtk_widget_class_set_template_from_resource(wc,
                                                "/org/dermagan/DermaGAN/ui/dg-cases-window.ui");
    gtk_widget_class_bind_template_child(wc, DgCasesWindow, window_title);
    gtk_widget_class_bind_template_child(wc, DgCasesWindow, flap);
    gtk_widget_class_bind_template_child(wc, DgCasesWindow, grid);
    gtk_widget_class_bind_template_child(wc, DgCasesWindow, detail);
    gtk_widget_class_bind_template_callback(wc, on_item_activated);
}

static void dg_cases_window_init(DgCasesWindow *self)
{
    self->items = g_list_store_new(DG_TYPE_THUMB_ITEM);
    gtk_widget_init_template(GTK_WIDGET(self));
    dg_thumb_grid_set_single_click(self->grid, TRUE);
}

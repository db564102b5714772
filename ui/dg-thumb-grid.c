/* dg-thumb-grid.c: a scrolling GtkGridView of image thumbnails. */
#include "dg-thumb-grid.h"

#include "data/dg-dataset.h"
#include "dg-ui-util.h"

#define THUMB_SIZE 112
#define KEEP_DECODED 600 /* thumbnails kept in memory */

typedef struct generation generation;

struct _DgThumbGrid {
    GtkWidget parent_instance;

    GtkStack *stack;
    GtkScrolledWindow *scroller;
    GtkGridView *grid_view;
    GtkLabel *empty_label;

    GListModel *model;
    GtkNoSelection *selection;
    generation *gen;           /* the current model's loads */
    GQueue decoded;            /* of DgThumbItem* (refs), oldest first */
    guint n_decoded;
    GHashTable *bound;         /* GtkListItem* showing an item now (no refs) */
};

G_DEFINE_FINAL_TYPE(DgThumbGrid, dg_thumb_grid, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_EMPTY_TEXT, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_ITEM_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- decoding off the main thread --------------------------------------------------- */

/* One model's loads: a new model (or the same one set again) starts a new
 * generation, and the old one's loads are cancelled.  Which items are being
 * decoded is kept per generation, never on the items: an item whose load was
 * cancelled (the model was replaced while it decoded) is simply requested
 * again by the generation that shows it. */
struct generation {
    gatomicrefcount ref;
    DgThumbGrid *grid;         /* NULL once the grid is gone */
    GCancellable *cancellable;
    GHashTable *pending;       /* DgThumbItem* being decoded (no refs) */
};

static generation *generation_new(DgThumbGrid *grid)
{
    generation *g = g_new0(generation, 1);
    g_atomic_ref_count_init(&g->ref);
    g->grid = grid;
    g->cancellable = g_cancellable_new();
    g->pending = g_hash_table_new(NULL, NULL);
    return g;
}

static generation *generation_ref(generation *g)
{
    g_atomic_ref_count_inc(&g->ref);
    return g;
}

static void generation_unref(generation *g)
{
    if (!g_atomic_ref_count_dec(&g->ref))
        return;
    g_object_unref(g->cancellable);
    g_hash_table_unref(g->pending);
    g_free(g);
}

/* Cancels g's loads and lets it go (its pending completions only clean up). */
static void generation_end(generation *g)
{
    g_cancellable_cancel(g->cancellable);
    g->grid = NULL;
    generation_unref(g);
}

typedef struct {
    char *path;
    int size;
} decode_data;

static void decode_data_free(decode_data *d)
{
    g_free(d->path);
    g_free(d);
}

static void decode_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    decode_data *d = data;
    if (g_cancellable_is_cancelled(cancellable)) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
        return;
    }
    GError *error = NULL;
    guint8 *chw = g_malloc((gsize)3 * d->size * d->size);
    if (!dg_image_prepare_file(d->path, d->size, chw, &error)) {
        g_free(chw);
        g_task_return_error(task, error);
        return;
    }
    GdkPixbuf *pb = dg_image_to_pixbuf(chw, d->size);
    g_free(chw);
    GdkTexture *tex = gdk_texture_new_for_pixbuf(pb); /* thread-safe: an immutable copy */
    g_object_unref(pb);
    g_task_return_pointer(task, tex, g_object_unref);
}

static void keep_decoded(DgThumbGrid *self, DgThumbItem *item)
{
    g_queue_push_tail(&self->decoded, g_object_ref(item));
    while (self->decoded.length > KEEP_DECODED) {
        DgThumbItem *old = g_queue_pop_head(&self->decoded);
        /* a visible picture keeps its own reference to the texture */
        dg_thumb_item_set_texture(old, NULL);
        g_object_unref(old);
    }
}

static void decode_done(GObject *source, GAsyncResult *res, gpointer data)
{
    DgThumbItem *item = DG_THUMB_ITEM(source);
    generation *gen = data;
    GError *error = NULL;
    GdkTexture *tex = g_task_propagate_pointer(G_TASK(res), &error);
    g_hash_table_remove(gen->pending, item);
    DgThumbGrid *self = gen->grid;
    if (self && tex) {
        self->n_decoded++;
        dg_thumb_item_set_texture(item, tex);
        keep_decoded(self, item);
    } else if (self && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        dg_thumb_item_set_error(item, error->message);
    }
    g_clear_object(&tex);
    g_clear_error(&error);
    generation_unref(gen);
}

static void request_thumbnail(DgThumbGrid *self, DgThumbItem *item)
{
    generation *gen = self->gen;
    if (dg_thumb_item_get_texture(item) || dg_thumb_item_get_error(item) ||
        g_hash_table_contains(gen->pending, item))
        return;
    g_hash_table_add(gen->pending, item);
    decode_data *d = g_new0(decode_data, 1);
    d->path = g_strdup(dg_thumb_item_get_path(item));
    d->size = THUMB_SIZE * MAX(1, gtk_widget_get_scale_factor(GTK_WIDGET(self)));
    GTask *task = g_task_new(item, gen->cancellable, decode_done, generation_ref(gen));
    g_task_set_name(task, "dermagan: thumbnail");
    g_task_set_task_data(task, d, (GDestroyNotify)decode_data_free);
    g_task_run_in_thread(task, decode_thread);
    g_object_unref(task);
}

/* ---- cells ---------------------------------------------------------------------------- */

static void show_item(GtkListItem *li, DgThumbItem *item)
{
    GtkWidget *box = gtk_list_item_get_child(li);
    GtkWidget *picture = gtk_widget_get_first_child(box);
    GtkWidget *label = gtk_widget_get_next_sibling(picture);
    GdkTexture *tex = dg_thumb_item_get_texture(item);
    const char *error = dg_thumb_item_get_error(item);
    if (tex) {
        gtk_picture_set_paintable(GTK_PICTURE(picture), GDK_PAINTABLE(tex));
        gtk_widget_remove_css_class(picture, "dg-thumb-missing");
    } else if (error) {
        GtkIconTheme *theme = gtk_icon_theme_get_for_display(gtk_widget_get_display(box));
        GtkIconPaintable *icon = gtk_icon_theme_lookup_icon(
            theme, "image-missing-symbolic", NULL, 48, gtk_widget_get_scale_factor(box),
            GTK_TEXT_DIR_NONE, 0);
        gtk_picture_set_paintable(GTK_PICTURE(picture), GDK_PAINTABLE(icon));
        gtk_widget_add_css_class(picture, "dg-thumb-missing");
        g_object_unref(icon);
    } else {
        gtk_picture_set_paintable(GTK_PICTURE(picture), NULL);
    }
    gtk_label_set_text(GTK_LABEL(label), dg_thumb_item_get_caption(item));
    g_autofree char *tip = error ? g_strdup_printf("%s\n%s", dg_thumb_item_get_tooltip(item), error)
                                 : g_strdup(dg_thumb_item_get_tooltip(item));
    gtk_widget_set_tooltip_text(box, tip);
}

static void on_item_texture(DgThumbItem *item, GParamSpec *pspec, GtkListItem *li)
{
    (void)pspec;
    if (gtk_list_item_get_item(li) != (gpointer)item)
        return;
    if (dg_thumb_item_get_texture(item) || dg_thumb_item_get_error(item))
        show_item(li, item);
}

static void factory_setup(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    (void)f;
    (void)data;
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
    gtk_widget_add_css_class(box, "dg-thumb");
    GtkWidget *picture = gtk_picture_new();
    gtk_picture_set_can_shrink(GTK_PICTURE(picture), TRUE);
    gtk_picture_set_content_fit(GTK_PICTURE(picture), GTK_CONTENT_FIT_COVER);
    gtk_widget_set_size_request(picture, THUMB_SIZE, THUMB_SIZE);
    gtk_widget_set_overflow(picture, GTK_OVERFLOW_HIDDEN);
    gtk_widget_add_css_class(picture, "dg-thumb-picture");
    GtkWidget *label = gtk_label_new(NULL);
    gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_MIDDLE);
    gtk_label_set_max_width_chars(GTK_LABEL(label), 14);
    gtk_widget_add_css_class(label, "caption");
    gtk_widget_add_css_class(label, "dim-label");
    gtk_box_append(GTK_BOX(box), picture);
    gtk_box_append(GTK_BOX(box), label);
    gtk_list_item_set_child(li, box);
}

static void factory_bind(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    (void)f;
    DgThumbGrid *self = data;
    DgThumbItem *item = gtk_list_item_get_item(li);
    show_item(li, item);
    g_hash_table_add(self->bound, li);
    gulong id = g_signal_connect(item, "notify::texture", G_CALLBACK(on_item_texture), li);
    g_object_set_data(G_OBJECT(li), "dg-texture-handler", GSIZE_TO_POINTER(id));
    request_thumbnail(self, item);
}

static void factory_unbind(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    (void)f;
    DgThumbGrid *self = data;
    g_hash_table_remove(self->bound, li);
    DgThumbItem *item = gtk_list_item_get_item(li);
    gulong id = GPOINTER_TO_SIZE(g_object_get_data(G_OBJECT(li), "dg-texture-handler"));
    if (item && id)
        g_signal_handler_disconnect(item, id);
    g_object_set_data(G_OBJECT(li), "dg-texture-handler", NULL);
    GtkWidget *box = gtk_list_item_get_child(li);
    gtk_picture_set_paintable(GTK_PICTURE(gtk_widget_get_first_child(box)), NULL);
}

static void on_activate(GtkGridView *view, guint position, DgThumbGrid *self)
{
    (void)view;
    if (!self->model)
        return;
    DgThumbItem *item = g_list_model_get_item(self->model, position);
    if (item) {
        g_signal_emit(self, signals[SIGNAL_ITEM_ACTIVATED], 0, item);
        g_object_unref(item);
    }
}

static void update_empty(DgThumbGrid *self)
{
    gboolean empty = !self->model || g_list_model_get_n_items(self->model) == 0;
    gtk_stack_set_visible_child_name(self->stack, empty ? "empty" : "grid");
}

static void on_items_changed(GListModel *model, guint pos, guint removed, guint added,
                             DgThumbGrid *self)
{
    (void)model, (void)pos, (void)removed, (void)added;
    /* never scroll here: the grid view handles this change after us, and GTK 4.8's
     * grid view fails when its position moves under a change it has not seen */
    update_empty(self);
}

/* ---- GObject ---------------------------------------------------------------------------- */

static void clear_decoded(DgThumbGrid *self)
{
    g_queue_clear_full(&self->decoded, g_object_unref);
}

static void dg_thumb_grid_dispose(GObject *object)
{
    DgThumbGrid *self = DG_THUMB_GRID(object);
    if (self->gen) {
        generation_end(self->gen);
        self->gen = NULL;
    }
    if (self->model)
        g_signal_handlers_disconnect_by_func(self->model, on_items_changed, self);
    g_clear_object(&self->model);
    g_clear_object(&self->selection);
    clear_decoded(self);
    gtk_widget_dispose_template(GTK_WIDGET(self), DG_TYPE_THUMB_GRID);
    dg_ui_unparent_children(GTK_WIDGET(self));
    G_OBJECT_CLASS(dg_thumb_grid_parent_class)->dispose(object);
}

static void dg_thumb_grid_finalize(GObject *object)
{
    DgThumbGrid *self = DG_THUMB_GRID(object);
    g_hash_table_unref(self->bound);
    G_OBJECT_CLASS(dg_thumb_grid_parent_class)->finalize(object);
}

static void dg_thumb_grid_set_property(GObject *object, guint id, const GValue *value,
                                       GParamSpec *pspec)
{
    DgThumbGrid *self = DG_THUMB_GRID(object);
    switch (id) {
    case PROP_EMPTY_TEXT:
        dg_thumb_grid_set_empty_text(self, g_value_get_string(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void dg_thumb_grid_get_property(GObject *object, guint id, GValue *value,
                                       GParamSpec *pspec)
{
    DgThumbGrid *self = DG_THUMB_GRID(object);
    switch (id) {
    case PROP_EMPTY_TEXT:
        g_value_set_string(value, gtk_label_get_text(self->empty_label));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void dg_thumb_grid_class_init(DgThumbGridClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = dg_thumb_grid_dispose;
    oc->finalize = dg_thumb_grid_finalize;
    oc->set_property = dg_thumb_grid_set_property;
    oc->get_property = dg_thumb_grid_get_property;
    props[PROP_EMPTY_TEXT] =
        g_param_spec_string("empty-text", NULL, NULL, NULL,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
    signals[SIGNAL_ITEM_ACTIVATED] =
        g_signal_new("item-activated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                     NULL, NULL, G_TYPE_NONE, 1, DG_TYPE_THUMB_ITEM);

    gtk_widget_class_set_template_from_resource(wc, "/org/dermagan/DermaGAN/ui/dg-thumb-grid.ui");
    gtk_widget_class_bind_template_child(wc, DgThumbGrid, stack);
    gtk_widget_class_bind_template_child(wc, DgThumbGrid, scroller);
    gtk_widget_class_bind_template_child(wc, DgThumbGrid, grid_view);
    gtk_widget_class_bind_template_child(wc, DgThumbGrid, empty_label);
    gtk_widget_class_bind_template_callback(wc, on_activate);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_css_name(wc, "dgthumbgrid");
}

static void dg_thumb_grid_init(DgThumbGrid *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->gen = generation_new(self);
    self->bound = g_hash_table_new(NULL, NULL);
    GtkListItemFactory *f = gtk_signal_list_item_factory_new();
    g_signal_connect(f, "setup", G_CALLBACK(factory_setup), self);
    g_signal_connect(f, "bind", G_CALLBACK(factory_bind), self);
    g_signal_connect(f, "unbind", G_CALLBACK(factory_unbind), self);
    gtk_grid_view_set_factory(self->grid_view, f);
    g_object_unref(f);
    update_empty(self);
}

GtkWidget *dg_thumb_grid_new(void)
{
    return g_object_new(DG_TYPE_THUMB_GRID, NULL);
}

void dg_thumb_grid_set_model(DgThumbGrid *self, GListModel *model)
{
    g_return_if_fail(DG_IS_THUMB_GRID(self));
    if (model == self->model)
        return;
    /* pending loads of the old model's items are dropped */
    generation_end(self->gen);
    self->gen = generation_new(self);
    clear_decoded(self);
    if (self->model)
        g_signal_handlers_disconnect_by_func(self->model, on_items_changed, self);
    g_clear_object(&self->model);
    g_clear_object(&self->selection);
    if (model) {
        self->model = g_object_ref(model);
        g_signal_connect(model, "items-changed", G_CALLBACK(on_items_changed), self);
        self->selection = gtk_no_selection_new(g_object_ref(model));
    }
    /* a new model is shown from its top; moving the adjustment here would ask GTK 4.8's
     * grid view to scroll before it has its new items (a warning) */
    gtk_grid_view_set_model(self->grid_view, GTK_SELECTION_MODEL(self->selection));
    update_empty(self);
}

GListModel *dg_thumb_grid_get_model(DgThumbGrid *self)
{
    g_return_val_if_fail(DG_IS_THUMB_GRID(self), NULL);
    return self->model;
}

void dg_thumb_grid_set_empty_text(DgThumbGrid *self, const char *text)
{
    g_return_if_fail(DG_IS_THUMB_GRID(self));
    gtk_label_set_text(self->empty_label, text ? text : "");
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_EMPTY_TEXT]);
}

guint dg_thumb_grid_get_n_decoded(DgThumbGrid *self)
{
    g_return_val_if_fail(DG_IS_THUMB_GRID(self), 0);
    return self->n_decoded;
}

guint dg_thumb_grid_get_n_shown(DgThumbGrid *self, guint *n_done)
{
    g_return_val_if_fail(DG_IS_THUMB_GRID(self), 0);
    guint n = 0, done = 0;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, self->bound);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        GtkListItem *li = key;
        DgThumbItem *item = gtk_list_item_get_item(li);
        if (!item)
            continue;
        n++;
        GtkWidget *picture = gtk_widget_get_first_child(gtk_list_item_get_child(li));
        if (gtk_picture_get_paintable(GTK_PICTURE(picture)) != NULL)
            done++;
    }
    if (n_done)
        *n_done = done;
    return n;
}

GtkAdjustment *dg_thumb_grid_get_vadjustment(DgThumbGrid *self)
{
    g_return_val_if_fail(DG_IS_THUMB_GRID(self), NULL);
    return gtk_scrolled_window_get_vadjustment(self->scroller);
}

void dg_thumb_grid_set_single_click(DgThumbGrid *self, gboolean single)
{
    g_return_if_fail(DG_IS_THUMB_GRID(self));
    gtk_grid_view_set_single_click_activate(self->grid_view, single);
}

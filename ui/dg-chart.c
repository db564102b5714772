/* dg-chart.c: a GtkDrawingArea that paints one dg-plot chart. */
#include "dg-chart.h"

#include <adwaita.h>

struct _DgChart {
    GtkDrawingArea parent_instance;

    const dg_plot_kind *kind;
    gpointer plot;
    char *placeholder;
    guint n_draws;
};

G_DEFINE_FINAL_TYPE(DgChart, dg_chart, GTK_TYPE_DRAWING_AREA)

enum { PROP_0, PROP_PLACEHOLDER, N_PROPS };
static GParamSpec *props[N_PROPS];

dg_plot_theme dg_chart_theme(void)
{
    AdwStyleManager *sm = adw_style_manager_get_default();
    dg_plot_theme th = adw_style_manager_get_dark(sm) ? dg_plot_theme_dark() : dg_plot_theme_light();
    th.background.a = 0.0;
    return th;
}

static void draw_placeholder(DgChart *self, cairo_t *cr, int width, int height,
                             const dg_plot_theme *th)
{
    PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), self->placeholder);
    pango_layout_set_width(layout, MAX(1, width - 24) * PANGO_SCALE);
    pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    int lw, lh;
    pango_layout_get_pixel_size(layout, &lw, &lh);
    cairo_set_source_rgba(cr, th->muted.r, th->muted.g, th->muted.b, th->muted.a);
    cairo_move_to(cr, 12, (height - lh) / 2.0);
    pango_cairo_show_layout(cr, layout);
    g_object_unref(layout);
}

static void paint(DgChart *self, cairo_t *cr, int width, int height)
{
    dg_plot_theme th = dg_chart_theme();
    if (self->placeholder || !self->kind || !self->plot) {
        if (self->placeholder)
            draw_placeholder(self, cr, width, height, &th);
        return;
    }
    self->kind->draw(self->plot, cr, 0, 0, width, height, &th);
}

static void draw_func(GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
    (void)data;
    DgChart *self = DG_CHART(area);
    self->n_draws++;
    paint(self, cr, width, height);
}

cairo_surface_t *dg_chart_render(DgChart *self, int width, int height)
{
    g_return_val_if_fail(DG_IS_CHART(self), NULL);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, MAX(width, 1),
                                                    MAX(height, 1));
    cairo_t *cr = cairo_create(s);
    paint(self, cr, width, height);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    return s;
}

static void clear_plot(DgChart *self)
{
    if (self->plot && self->kind && self->kind->destroy)
        self->kind->destroy(self->plot);
    self->plot = NULL;
    self->kind = NULL;
}

static void dg_chart_finalize(GObject *object)
{
    DgChart *self = DG_CHART(object);
    clear_plot(self);
    g_free(self->placeholder);
    G_OBJECT_CLASS(dg_chart_parent_class)->finalize(object);
}

static void dg_chart_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
    DgChart *self = DG_CHART(object);
    switch (id) {
    case PROP_PLACEHOLDER:
        g_value_set_string(value, self->placeholder);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void dg_chart_set_property(GObject *object, guint id, const GValue *value,
                                  GParamSpec *pspec)
{
    DgChart *self = DG_CHART(object);
    switch (id) {
    case PROP_PLACEHOLDER:
        dg_chart_set_placeholder(self, g_value_get_string(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void dg_chart_class_init(DgChartClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->finalize = dg_chart_finalize;
    oc->get_property = dg_chart_get_property;
    oc->set_property = dg_chart_set_property;
    props[PROP_PLACEHOLDER] =
        g_param_spec_string("placeholder", NULL, NULL, NULL,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
    gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "dgchart");
}

static void dg_chart_init(DgChart *self)
{
    gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(self), draw_func, NULL, NULL);
    /* the dark and light plot themes differ: repaint when the style flips */
    g_signal_connect_object(adw_style_manager_get_default(), "notify::dark",
                            G_CALLBACK(gtk_widget_queue_draw), self, G_CONNECT_SWAPPED);
}

GtkWidget *dg_chart_new(void)
{
    return g_object_new(DG_TYPE_CHART, NULL);
}

void dg_chart_set_plot(DgChart *self, const dg_plot_kind *kind, gpointer plot)
{
    g_return_if_fail(DG_IS_CHART(self));
    if (plot != self->plot)
        clear_plot(self);
    self->kind = kind;
    self->plot = plot;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

gpointer dg_chart_get_plot(DgChart *self)
{
    g_return_val_if_fail(DG_IS_CHART(self), NULL);
    return self->plot;
}

void dg_chart_update(DgChart *self)
{
    g_return_if_fail(DG_IS_CHART(self));
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void dg_chart_set_placeholder(DgChart *self, const char *text)
{
    g_return_if_fail(DG_IS_CHART(self));
    if (g_strcmp0(self->placeholder, text) == 0)
        return;
    g_free(self->placeholder);
    self->placeholder = g_strdup(text);
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_PLACEHOLDER]);
}

const char *dg_chart_get_placeholder(DgChart *self)
{
    g_return_val_if_fail(DG_IS_CHART(self), NULL);
    return self->placeholder;
}

typedef struct {
    cairo_surface_t *surface;
    int rows, gutter;
    char **labels;
} grid_plot;

static void grid_plot_free(void *p)
{
    grid_plot *g = p;
    cairo_surface_destroy(g->surface);
    g_strfreev(g->labels);
    g_free(g);
}

static void grid_plot_draw(void *p, cairo_t *cr, double x, double y, double w, double h,
                           const dg_plot_theme *theme)
{
    grid_plot *g = p;
    dg_plot_image_grid_draw(cr, x, y, w, h, theme, g->surface, g->rows, g->gutter,
                            (const char *const *)g->labels);
}

static const dg_plot_kind grid_plot_kind = {"image-grid", grid_plot_draw, grid_plot_free};

void dg_chart_set_image_grid(DgChart *self, const guint8 *rgb, int width, int height, int rows,
                             int gutter, const char *const *row_labels)
{
    g_return_if_fail(DG_IS_CHART(self));
    g_return_if_fail(rgb != NULL && width > 0 && height > 0 && rows > 0);
    grid_plot *g = g_new0(grid_plot, 1);
    g->surface = dg_plot_surface_from_rgb(rgb, width, height); /* once per grid, not per frame */
    g->rows = rows;
    g->gutter = gutter;
    if (row_labels) {
        g->labels = g_new0(char *, rows + 1);
        for (int i = 0; i < rows && row_labels[i]; i++)
            g->labels[i] = g_strdup(row_labels[i]);
        for (int i = 0; i < rows; i++)
            if (!g->labels[i])
                g->labels[i] = g_strdup("");
    }
    dg_chart_set_placeholder(self, NULL);
    dg_chart_set_plot(self, &grid_plot_kind, g);
}

guint dg_chart_get_n_draws(DgChart *self)
{
    g_return_val_if_fail(DG_IS_CHART(self), 0);
    return self->n_draws;
}

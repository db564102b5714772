/* dg-chart.c: a GtkDrawingArea that paints one dg-plot chart. */
#include "dg-chart.h"

#include <adwaita.h>
#include <math.h>

#include "dg-ui-util.h"

struct _DgChart {
    GtkDrawingArea parent_instance;

    const dg_plot_kind *kind;
    gpointer plot;
    char *placeholder;
    guint n_draws;
    /* line charts: the hover read-out and zooming */
    char *x_name;          /* "step", "epoch" */
    gboolean hovering;
    double hover_x, hover_y; /* pointer, in widget pixels */
    char *hover_text;      /* the read-out's text, as drawn last */
    gboolean dragging;
    char *file_name;       /* proposed when saving, without extension */
    GtkPopover *menu;      /* the right-click menu, made when first asked */
    double drag_x0, drag_x1; /* a zoom being dragged, in widget pixels */
};

G_DEFINE_FINAL_TYPE(DgChart, dg_chart, GTK_TYPE_DRAWING_AREA)

enum { PROP_0, PROP_PLACEHOLDER, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { SIGNAL_CELL_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

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

static dg_line_chart *line_chart(DgChart *self)
{
    return self->kind == &dg_line_chart_kind && !self->placeholder ? self->plot : NULL;
}

static void paint_hover(DgChart *self, cairo_t *cr, int width, int height, const dg_plot_theme *th);
static gboolean cell_at(DgChart *self, double x, double y, int *row, int *col);
static void act_save(GtkWidget *w, const char *name, GVariant *param);

static void paint(DgChart *self, cairo_t *cr, int width, int height)
{
    dg_plot_theme th = dg_chart_theme();
    if (self->placeholder || !self->kind || !self->plot) {
        if (self->placeholder)
            draw_placeholder(self, cr, width, height, &th);
        return;
    }
    self->kind->draw(self->plot, cr, 0, 0, width, height, &th);
    if (line_chart(self))
        paint_hover(self, cr, width, height, &th);
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

static void dg_chart_dispose(GObject *object)
{
    DgChart *self = DG_CHART(object);
    if (self->menu)
        gtk_widget_unparent(GTK_WIDGET(self->menu));
    self->menu = NULL;
    G_OBJECT_CLASS(dg_chart_parent_class)->dispose(object);
}

static void dg_chart_finalize(GObject *object)
{
    DgChart *self = DG_CHART(object);
    clear_plot(self);
    g_free(self->placeholder);
    g_free(self->x_name);
    g_free(self->hover_text);
    g_free(self->file_name);
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
    oc->dispose = dg_chart_dispose;
    oc->get_property = dg_chart_get_property;
    oc->set_property = dg_chart_set_property;
    props[PROP_PLACEHOLDER] =
        g_param_spec_string("placeholder", NULL, NULL, NULL,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
    /* cell-activated(int row, int col): a heatmap cell was clicked */
    signals[SIGNAL_CELL_ACTIVATED] =
        g_signal_new("cell-activated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
    gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "dgchart");
    gtk_widget_class_install_action(GTK_WIDGET_CLASS(klass), "chart.save", NULL, act_save);
}


/* ---- line charts: the hover read-out and zooming ------------------------------------------
 *
 * Over a line chart the pointer shows a read-out at the nearest step: each
 * series' raw value and its smoothed one.  Dragging across the plot zooms in
 * on those steps, Ctrl+scroll zooms around the pointer, a double click shows
 * everything again. */

static gboolean plot_x(DgChart *self, double px, double *x, dg_plot_rect *area)
{
    dg_line_chart *lc = line_chart(self);
    double lo, hi;
    if (!lc || !dg_line_chart_get_layout(lc, area, &lo, &hi, NULL, NULL) || area->width <= 0)
        return FALSE;
    *x = lo + (px - area->x) / area->width * (hi - lo);
    return TRUE;
}

static char *fmt_value(double v)
{
    if (!isfinite(v))
        return g_strdup("–");
    double a = fabs(v);
    return a != 0 && (a < 0.001 || a >= 1e5) ? g_strdup_printf("%.3g", v)
                                             : g_strdup_printf("%.4g", v);
}

/* The read-out's lines: the step, then "name  raw (smoothed)" per series. */
static char *hover_lines(DgChart *self, double x, double *x_found, GArray *colors)
{
    dg_line_chart *lc = line_chart(self);
    GString *s = g_string_new(NULL);
    double xf = NAN;
    for (int i = 0; i < dg_line_chart_n_series(lc); i++) {
        const char *name;
        int color;
        gboolean visible, faint;
        double sx, raw, sm;
        if (!dg_line_chart_get_series(lc, i, &name, &color, NULL, &visible, &faint) || !visible ||
            !dg_line_chart_value_at(lc, i, x, &sx, &raw, &sm))
            continue;
        if (!isfinite(xf))
            xf = sx;
        g_autofree char *r = fmt_value(raw), *m = fmt_value(sm);
        g_string_append_printf(s, "\n%s%s  %s", name, faint ? " (earlier run)" : "", r);
        if (raw != sm)
            g_string_append_printf(s, "  (smoothed %s)", m);
        g_array_append_val(colors, color);
    }
    if (!isfinite(xf)) {
        g_string_free(s, TRUE);
        return NULL;
    }
    *x_found = xf;
    g_autofree char *xs = fabs(xf - round(xf)) < 1e-9 ? g_strdup_printf("%.0f", xf)
                                                      : g_strdup_printf("%.3g", xf);
    g_string_prepend(s, xs);
    g_string_prepend_c(s, ' ');
    g_string_prepend(s, self->x_name ? self->x_name : "x");
    return g_string_free(s, FALSE);
}

static void paint_readout(DgChart *self, cairo_t *cr, const char *text, GArray *colors,
                          double px, int width, const dg_plot_theme *th)
{
    PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), text);
    PangoFontDescription *fd = pango_font_description_from_string("Sans 9");
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    int lw, lh;
    pango_layout_get_pixel_size(layout, &lw, &lh);
    const double pad = 6, sw = 10; /* swatch column */
    double bw = lw + 2 * pad + sw, bh = lh + 2 * pad;
    double bx = px + 12 + bw > width ? px - 12 - bw : px + 12, by = 8;
    bx = MAX(4, MIN(bx, width - bw - 4)); /* inside the chart, over the line if it must */
    dg_plot_rgba bg = dg_plot_theme_dark().background, fg = th->foreground;
    gboolean dark = th->foreground.r > 0.5;
    if (!dark)
        bg = (dg_plot_rgba){1, 1, 1, 1};
    cairo_set_source_rgba(cr, bg.r, bg.g, bg.b, 0.92);
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_fill_preserve(cr);
    cairo_set_source_rgba(cr, fg.r, fg.g, fg.b, 0.25);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    /* a colour swatch before each series' line */
    int n_lines = pango_layout_get_line_count(layout);
    for (int i = 1; i < n_lines && i - 1 < (int)colors->len; i++) {
        PangoRectangle r;
        pango_layout_index_to_pos(layout, pango_layout_line_get_start_index(
                                              pango_layout_get_line_readonly(layout, i)),
                                  &r);
        int ci = g_array_index(colors, int, i - 1);
        dg_plot_rgba c = th->palette[((ci % DG_PLOT_PALETTE_SIZE) + DG_PLOT_PALETTE_SIZE) %
                                     DG_PLOT_PALETTE_SIZE];
        cairo_set_source_rgba(cr, c.r, c.g, c.b, 1);
        cairo_rectangle(cr, bx + pad, by + pad + r.y / PANGO_SCALE + r.height / PANGO_SCALE / 2.0 - 3,
                        6, 6);
        cairo_fill(cr);
    }
    cairo_set_source_rgba(cr, fg.r, fg.g, fg.b, fg.a);
    cairo_move_to(cr, bx + pad + sw, by + pad);
    pango_cairo_show_layout(cr, layout);
    g_object_unref(layout);
}

static void paint_hover(DgChart *self, cairo_t *cr, int width, int height, const dg_plot_theme *th)
{
    (void)height;
    dg_plot_rect area;
    double x;
    if (self->dragging && plot_x(self, self->drag_x0, &x, &area)) {
        double a = CLAMP(MIN(self->drag_x0, self->drag_x1), area.x, area.x + area.width);
        double b = CLAMP(MAX(self->drag_x0, self->drag_x1), area.x, area.x + area.width);
        cairo_set_source_rgba(cr, th->palette[0].r, th->palette[0].g, th->palette[0].b, 0.15);
        cairo_rectangle(cr, a, area.y, b - a, area.height);
        cairo_fill(cr);
        return;
    }
    g_clear_pointer(&self->hover_text, g_free);
    if (!self->hovering || !plot_x(self, self->hover_x, &x, &area) || self->hover_x < area.x ||
        self->hover_x > area.x + area.width)
        return;
    GArray *colors = g_array_new(FALSE, FALSE, sizeof(int));
    double xf;
    self->hover_text = hover_lines(self, x, &xf, colors);
    if (self->hover_text) {
        double lo, hi;
        dg_line_chart_get_layout(line_chart(self), NULL, &lo, &hi, NULL, NULL);
        double px = area.x + (xf - lo) / (hi - lo) * area.width;
        cairo_set_source_rgba(cr, th->foreground.r, th->foreground.g, th->foreground.b, 0.35);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, floor(px) + 0.5, area.y);
        cairo_line_to(cr, floor(px) + 0.5, area.y + area.height);
        cairo_stroke(cr);
        paint_readout(self, cr, self->hover_text, colors, px, width, th);
    }
    g_array_unref(colors);
}

static void on_motion(GtkEventControllerMotion *m, double x, double y, DgChart *self)
{
    (void)m;
    int row, col; /* a cell that opens its images */
    gtk_widget_set_cursor_from_name(GTK_WIDGET(self),
                                    cell_at(self, x, y, &row, &col) ? "pointer" : NULL);
    self->hovering = TRUE;
    self->hover_x = x;
    self->hover_y = y;
    if (line_chart(self))
        gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_leave(GtkEventControllerMotion *m, DgChart *self)
{
    (void)m;
    self->hovering = FALSE;
    if (line_chart(self))
        gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_drag_begin(GtkGestureDrag *g, double x, double y, DgChart *self)
{
    (void)g, (void)y;
    self->drag_x0 = self->drag_x1 = x;
    self->dragging = line_chart(self) != NULL;
}

static void on_drag_update(GtkGestureDrag *g, double dx, double dy, DgChart *self)
{
    (void)g, (void)dy;
    if (!self->dragging)
        return;
    self->drag_x1 = self->drag_x0 + dx;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_drag_end(GtkGestureDrag *g, double dx, double dy, DgChart *self)
{
    (void)g, (void)dy;
    if (!self->dragging)
        return;
    self->dragging = FALSE;
    double a, b;
    dg_plot_rect area;
    if (fabs(dx) >= 8 && plot_x(self, self->drag_x0, &a, &area) &&
        plot_x(self, self->drag_x0 + dx, &b, &area))
        dg_chart_zoom_x(self, MIN(a, b), MAX(a, b));
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* The heatmap cell under (x, y), as the last draw placed it. */
static gboolean cell_at(DgChart *self, double x, double y, int *row, int *col)
{
    if (self->kind != &dg_heatmap_kind || self->placeholder || !self->plot)
        return FALSE;
    dg_plot_rect r;
    for (int i = 0; dg_heatmap_get_cell(self->plot, i, 0, &r); i++)
        for (int j = 0; dg_heatmap_get_cell(self->plot, i, j, &r); j++)
            if (x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height) {
                *row = i;
                *col = j;
                return TRUE;
            }
    return FALSE;
}

gboolean dg_chart_click(DgChart *self, double x, double y)
{
    g_return_val_if_fail(DG_IS_CHART(self), FALSE);
    int row, col;
    if (!cell_at(self, x, y, &row, &col))
        return FALSE;
    g_signal_emit(self, signals[SIGNAL_CELL_ACTIVATED], 0, row, col);
    return TRUE;
}

gboolean dg_chart_get_cell_center(DgChart *self, int row, int col, double *x, double *y)
{
    g_return_val_if_fail(DG_IS_CHART(self), FALSE);
    dg_plot_rect r;
    if (self->kind != &dg_heatmap_kind || !self->plot ||
        !dg_heatmap_get_cell(self->plot, row, col, &r))
        return FALSE;
    *x = r.x + r.width / 2;
    *y = r.y + r.height / 2;
    return TRUE;
}

static void on_click(GtkGestureClick *g, int n_press, double x, double y, DgChart *self)
{
    (void)g;
    if (n_press == 2 && line_chart(self))
        dg_chart_zoom_x(self, NAN, NAN);
    else if (n_press == 1)
        dg_chart_click(self, x, y);
}

static gboolean on_scroll(GtkEventControllerScroll *c, double dx, double dy, DgChart *self)
{
    (void)dx;
    dg_line_chart *lc = line_chart(self);
    GdkModifierType mods = gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(c));
    double lo, hi, at;
    dg_plot_rect area;
    if (!lc || !(mods & GDK_CONTROL_MASK) || !self->hovering ||
        !dg_line_chart_get_layout(lc, &area, &lo, &hi, NULL, NULL) ||
        !plot_x(self, self->hover_x, &at, &area))
        return FALSE; /* plain scrolling scrolls the page */
    double f = dy > 0 ? 1.25 : 0.8;
    dg_chart_zoom_x(self, at - (at - lo) * f, at + (hi - at) * f);
    return TRUE;
}

void dg_chart_zoom_x(DgChart *self, double lo, double hi)
{
    g_return_if_fail(DG_IS_CHART(self));
    dg_line_chart *lc = line_chart(self);
    if (!lc)
        return;
    dg_line_chart_set_x_range(lc, lo, hi);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void dg_chart_set_x_name(DgChart *self, const char *name)
{
    g_return_if_fail(DG_IS_CHART(self));
    g_free(self->x_name);
    self->x_name = g_strdup(name);
}

const char *dg_chart_hover(DgChart *self, double x, double y)
{
    g_return_val_if_fail(DG_IS_CHART(self), NULL);
    if (x < 0) {
        self->hovering = FALSE;
    } else {
        self->hovering = TRUE;
        self->hover_x = x;
        self->hover_y = y;
    }
    int w = MAX(gtk_widget_get_width(GTK_WIDGET(self)), 1);
    int h = MAX(gtk_widget_get_height(GTK_WIDGET(self)), 1);
    cairo_surface_destroy(dg_chart_render(self, w, h)); /* lays out and reads out */
    gtk_widget_queue_draw(GTK_WIDGET(self));
    return self->hover_text;
}

/* ---- saving ------------------------------------------------------------------------------ */

gboolean dg_chart_save(DgChart *self, const char *path, int width, int height, GError **error)
{
    g_return_val_if_fail(DG_IS_CHART(self), FALSE);
    if (!self->kind || !self->plot || self->placeholder) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the chart has nothing to save yet");
        return FALSE;
    }
    /* on paper: the light theme, on white */
    dg_plot_theme th = dg_plot_theme_light();
    return dg_plot_save(path, width, height, &th, self->kind->draw, self->plot, error);
}

static void on_save_file(GFile *file, gpointer data)
{
    DgChart *self = data;
    g_autofree char *path = g_file_get_path(file);
    GError *error = NULL;
    int w = MAX(gtk_widget_get_width(GTK_WIDGET(self)), 800);
    int h = MAX(gtk_widget_get_height(GTK_WIDGET(self)), 500);
    if (path && !dg_plot_has_extension(path)) {
        char *p = g_strconcat(path, ".png", NULL); /* no known extension: PNG */
        g_free(path);
        path = p;
    }
    if (path && !dg_chart_save(self, path, w, h, &error)) {
        GtkWidget *d = adw_message_dialog_new(
            GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(self))), "Cannot Save the Chart",
            error->message);
        adw_message_dialog_add_response(ADW_MESSAGE_DIALOG(d), "ok", "_OK");
        gtk_window_present(GTK_WINDOW(d));
        g_error_free(error);
    }
}

static void act_save(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    DgChart *self = DG_CHART(w);
    g_autofree char *n = g_strdup_printf("%s.png", self->file_name ? self->file_name : "chart");
    dg_ui_save(w, "Save the Chart (PNG, SVG or PDF)", n, g_get_user_special_dir(G_USER_DIRECTORY_DOCUMENTS),
               on_save_file, self);
}

static void on_menu_click(GtkGestureClick *g, int n_press, double x, double y, DgChart *self)
{
    (void)n_press;
    if (!self->kind || !self->plot || self->placeholder)
        return;
    gtk_gesture_set_state(GTK_GESTURE(g), GTK_EVENT_SEQUENCE_CLAIMED);
    if (!self->menu) {
        GMenu *m = g_menu_new();
        g_menu_append(m, "_Save Chart As…", "chart.save");
        self->menu = GTK_POPOVER(gtk_popover_menu_new_from_model(G_MENU_MODEL(m)));
        g_object_unref(m);
        gtk_widget_set_parent(GTK_WIDGET(self->menu), GTK_WIDGET(self));
        gtk_popover_set_has_arrow(self->menu, FALSE);
    }
    gtk_popover_set_pointing_to(self->menu, &(GdkRectangle){(int)x, (int)y, 1, 1});
    gtk_popover_popup(self->menu);
}

void dg_chart_set_file_name(DgChart *self, const char *name)
{
    g_return_if_fail(DG_IS_CHART(self));
    g_free(self->file_name);
    self->file_name = g_strdup(name);
}

static void add_controllers(DgChart *self)
{
    GtkGesture *menu = gtk_gesture_click_new();
    gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(menu), GDK_BUTTON_SECONDARY);
    g_signal_connect(menu, "pressed", G_CALLBACK(on_menu_click), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(menu));
    GtkEventController *m = gtk_event_controller_motion_new();
    g_signal_connect(m, "motion", G_CALLBACK(on_motion), self);
    g_signal_connect(m, "leave", G_CALLBACK(on_leave), self);
    gtk_widget_add_controller(GTK_WIDGET(self), m);
    GtkGesture *d = gtk_gesture_drag_new();
    g_signal_connect(d, "drag-begin", G_CALLBACK(on_drag_begin), self);
    g_signal_connect(d, "drag-update", G_CALLBACK(on_drag_update), self);
    g_signal_connect(d, "drag-end", G_CALLBACK(on_drag_end), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(d));
    GtkGesture *c = gtk_gesture_click_new();
    g_signal_connect(c, "pressed", G_CALLBACK(on_click), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(c));
    GtkEventController *sc = gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
    g_signal_connect(sc, "scroll", G_CALLBACK(on_scroll), self);
    gtk_widget_add_controller(GTK_WIDGET(self), sc);
}

static void dg_chart_init(DgChart *self)
{
    add_controllers(self);
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

/* dg-chart.h: a GtkDrawingArea that paints one dg-plot chart.
 *
 * The chart itself (a dg_line_chart, dg_bar_chart, ...) is owned by the
 * widget and drawn through its kind (dg_line_chart_kind, ...) with the light
 * or dark plot theme, following libadwaita's style manager.  The owner changes the chart's
 * data and calls dg_chart_update: one redraw is queued, and nothing is drawn
 * between updates.  Without a chart (or while dg_chart_set_placeholder's text
 * is set) a centred, muted message is drawn instead. */
#pragma once
#include <gtk/gtk.h>

#include "plot/dg-plot.h"

G_BEGIN_DECLS

#define DG_TYPE_CHART (dg_chart_get_type())
G_DECLARE_FINAL_TYPE(DgChart, dg_chart, DG, CHART, GtkDrawingArea)

GtkWidget *dg_chart_new(void);
/* Takes plot, a chart of the given kind (&dg_line_chart_kind, ...); the
 * kind's destroy frees it when replaced or when the widget goes. */
void dg_chart_set_plot(DgChart *self, const dg_plot_kind *kind, gpointer plot);
gpointer dg_chart_get_plot(DgChart *self);
/* The chart's data changed: redraw once. */
void dg_chart_update(DgChart *self);
/* A message shown instead of the chart (NULL: show the chart).  Property
 * "placeholder". */
void dg_chart_set_placeholder(DgChart *self, const char *text);
const char *dg_chart_get_placeholder(DgChart *self);
/* The chart as it would be painted now, into a new width x height image
 * surface (ARGB32) with the current theme: the same pixels the widget shows,
 * for saving a chart and for tests.  cairo_surface_destroy it. */
cairo_surface_t *dg_chart_render(DgChart *self, int width, int height);
/* Line charts: the pointer shows a read-out of the nearest step (each
 * series' raw and smoothed value, "x_name N" first: "step", "epoch");
 * dragging across the plot zooms in on those steps, Ctrl+scroll zooms
 * around the pointer, a double click shows everything again. */
void dg_chart_set_x_name(DgChart *self, const char *name);
/* Zooms a line chart to x in [lo, hi] (NAN, NAN: everything). */
void dg_chart_zoom_x(DgChart *self, double lo, double hi);
/* The read-out with the pointer at (x, y) in the widget (x < 0: none), as
 * it is drawn; NULL when there is none there (tests). */
const char *dg_chart_hover(DgChart *self, double x, double y);

/* Heatmaps: a click on a cell emits "cell-activated" (int row, int col).
 * dg_chart_click does what a click at (x, y) does (TRUE when it hit a
 * cell); dg_chart_get_cell_center says where a cell was drawn (tests). */
gboolean dg_chart_click(DgChart *self, double x, double y);
gboolean dg_chart_get_cell_center(DgChart *self, int row, int col, double *x, double *y);

/* Saves the chart (PNG, SVG or PDF by the extension of path) with the light
 * theme on white; a right click on the chart offers the same ("Save Chart
 * As…", proposing file_name.png). */
gboolean dg_chart_save(DgChart *self, const char *path, int width, int height, GError **error);
void dg_chart_set_file_name(DgChart *self, const char *name);

/* Times the chart was painted (tests, benchmark). */
guint dg_chart_get_n_draws(DgChart *self);

/* Shows an image grid made by dg_plot_image_grid (RGB bytes, width x height,
 * rows x cols cells separated by gutter pixels) with a label left of each row
 * (row_labels may be NULL); the bytes are copied. */
void dg_chart_set_image_grid(DgChart *self, const guint8 *rgb, int width, int height, int rows,
                             int gutter, const char *const *row_labels);

/* The plot theme matching the current style (dark or light), with a
 * transparent background so the card behind the chart shows through. */
dg_plot_theme dg_chart_theme(void);

G_END_DECLS

/* dg-plot-private.h: what the files of engine/plot share; not for use
 * outside engine/plot.
 *
 *   dg-plot-theme.c    themes, colours, contrast
 *   dg-plot-text.c     fonts and metrics, text placement, ellipsis, wrapping,
 *                      titles
 *   dg-plot-paint.c    the frame every draw starts and ends with (clip,
 *                      background, fonts), rounded rectangles
 *   dg-plot-axis.c     ticks, tick placement, axis titles, category labels
 *   dg-plot-legend.c   legend boxes and rows
 *   dg-plot-save.c     PNG/SVG/PDF files, for every chart kind
 *   dg-line-chart.c, dg-line-series.c, dg-bar-chart.c, dg-heatmap.c,
 *   dg-prob-chart.c, dg-plot-image-grid.c: the charts. */
#pragma once
#include "plot/dg-plot.h"

#include <math.h>

G_BEGIN_DECLS

/* Space between a chart's rectangle and what it draws, px. */
#define DG_PLOT_PAD 8.0

/* ---- Theme and colours (dg-plot-theme.c) -------------------------------- */

/* theme, or the light theme (copied into store) when theme is NULL. */
const dg_plot_theme *dg_plot_theme_or_default(const dg_plot_theme *theme, dg_plot_theme *store);
void dg_plot_set_color(cairo_t *cr, dg_plot_rgba c, double alpha);
/* Series colour i (any integer; taken modulo the palette's size). */
dg_plot_rgba dg_plot_palette(const dg_plot_theme *th, int i);

/* ---- Text (dg-plot-text.c) ---------------------------------------------- */

/* The font in use and its metrics: cap = height of capitals and digits. */
typedef struct {
    cairo_t *cr;
    const dg_plot_theme *th;
    double size, cap, ascent, descent;
} dg_plot_ink;

void dg_plot_ink_init(dg_plot_ink *k, cairo_t *cr, const dg_plot_theme *th);
/* The theme's font at scale times its size, bold or not. */
void dg_plot_use_font(dg_plot_ink *k, double scale, gboolean bold);
/* Vertical space a single line of text takes: capitals plus descenders. */
double dg_plot_line_h(const dg_plot_ink *k);
double dg_plot_text_w(const dg_plot_ink *k, const char *s);
/* Draw s anchored at (x, y): ax 0 = left, 0.5 = centre, 1 = right; ay 0 = y is
 * the top of the capitals, 0.5 = centred on them, 1 = y is the baseline. */
void dg_plot_text_at(const dg_plot_ink *k, const char *s, double x, double y, double ax,
                     double ay);
/* Vertical text reading bottom to top, centred on (x, y); x is the left edge
 * of the rotated line's box (the top of its capitals). */
void dg_plot_text_vertical(const dg_plot_ink *k, const char *s, double x, double y);
/* The same two, with s ellipsized to max_w first. */
void dg_plot_text_fit_at(const dg_plot_ink *k, const char *s, double max_w, double x, double y,
                         double ax, double ay);
void dg_plot_text_fit_vertical(const dg_plot_ink *k, const char *s, double max_w, double x,
                               double y);
/* s shortened with an ellipsis to fit max_w ("" when not even that fits); g_free it. */
char *dg_plot_ellipsize(const dg_plot_ink *k, const char *s, double max_w);
/* Greedy word wrap into at most max_lines lines of width max_w; text that does
 * not fit ends the last line with an ellipsis.  Returns a strv. */
char **dg_plot_wrap_text(const dg_plot_ink *k, const char *s, double max_w, int max_lines);
/* Height a title takes (0 without one). */
double dg_plot_title_height(dg_plot_ink *k, const char *title);
/* The chart's title, centred over [x0, x1] at top y; returns the height used. */
double dg_plot_title_draw(dg_plot_ink *k, const char *title, double x0, double x1, double y);

/* *dst = a copy of src (NULL for NULL or ""), freeing the old one. */
void dg_plot_replace_str(char **dst, const char *src);
/* A strv of n labels; a missing one (labels or labels[i] NULL) is its number. */
char **dg_plot_copy_labels(int n, const char *const *labels);

/* ---- The frame of a draw (dg-plot-paint.c) ------------------------------ */

/* What every chart's draw starts with: the theme (resolved), the rectangle,
 * and the fonts.  Lives on the caller's stack; not to be copied (th may
 * point into it). */
typedef struct {
    cairo_t *cr;
    const dg_plot_theme *th;
    dg_plot_theme store;
    dg_plot_ink k;
    double x, y, w, h;
} dg_plot_frame;

/* FALSE (and nothing done) for an empty rectangle.  Else saves cr's state,
 * clips to the rectangle, paints the background (unless its alpha is 0),
 * and sets the line style and the font options; dg_plot_frame_end restores
 * cr's state. */
gboolean dg_plot_frame_begin(dg_plot_frame *f, cairo_t *cr, const dg_plot_theme *theme, double x,
                             double y, double w, double h);
void dg_plot_frame_end(dg_plot_frame *f);

void dg_plot_rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r);

/* Crisp 1-px lines: put them on pixel centres. */
static inline double dg_plot_snap(double v)
{
    return floor(v) + 0.5;
}

/* ---- Axes (dg-plot-axis.c) ---------------------------------------------- */

/* Data to device coordinates in a plot area showing [lo, hi]. */
static inline double dg_plot_map_x(const dg_plot_rect *area, double lo, double hi, double v)
{
    return area->x + (v - lo) / (hi - lo) * area->width;
}

static inline double dg_plot_map_y(const dg_plot_rect *area, double lo, double hi, double v)
{
    return area->y + area->height - (v - lo) / (hi - lo) * area->height;
}

/* The widest label of a tick set, in the current font. */
double dg_plot_ticks_width(const dg_plot_ink *k, const dg_plot_ticks *t);
/* Y ticks for a plot of height h: about one every 40 px. */
void dg_plot_y_ticks(dg_plot_ticks *t, double lo, double hi, double h);
/* X ticks for a plot of width w whose labels never touch (12 px apart). */
void dg_plot_x_ticks(const dg_plot_ink *k, dg_plot_ticks *t, double lo, double hi, double w);
/* Ticks of an axis that counts (steps, epochs): a step below 1 becomes 1, so
 * that no tick falls between two whole numbers. */
void dg_plot_ticks_integer(dg_plot_ticks *t, double lo, double hi);

/* The x axis title centred under the area, its top at y, and the y axis
 * title reading upwards at left x, centred on the area; either may be NULL.
 * In the current font and colour. */
void dg_plot_axis_titles(const dg_plot_ink *k, const dg_plot_rect *area, const char *x_label,
                         double y, const char *y_label, double x);

/* Category labels under slots of equal width: wrapped (up to 3 lines) when
 * every word fits its slot, else rotated, all of them or every k-th one,
 * so that labels never overlap. */
typedef struct {
    gboolean rotated;
    int lines, every;
    double height, max_len;
} dg_plot_cat_layout;

void dg_plot_cat_layout_compute(const dg_plot_ink *k, char *const *names, int n, double slot,
                                double max_h, double left_room, dg_plot_cat_layout *L);
/* Draw label i centred under x, top at y. */
void dg_plot_cat_label_draw(const dg_plot_ink *k, const dg_plot_cat_layout *L, const char *name,
                            int i, double slot, double x, double y);

/* ---- Legends (dg-plot-legend.c) ----------------------------------------- */

typedef struct {
    const char *name;
    dg_plot_rgba color;
    gboolean dashed; /* line legend: right-axis series */
} dg_plot_legend_entry;

#define DG_PLOT_LEGEND_MAX 64

/* Height of one legend row in the current font. */
double dg_plot_legend_row_h(const dg_plot_ink *k);
/* Width of a vertical legend box (at most max_w). */
double dg_plot_legend_width(dg_plot_ink *k, const dg_plot_legend_entry *e, int n, double max_w);
/* Height of a vertical legend box of at most max_h; 0 when nothing fits. */
double dg_plot_legend_height(dg_plot_ink *k, int n, double max_h);
/* A vertical legend box with its top-right corner at (x1, y0), at most
 * max_h tall (entries that do not fit are left out); swatches are short lines
 * of width lw (line_swatch) or small rounded squares. */
void dg_plot_legend_box_draw(dg_plot_ink *k, const dg_plot_legend_entry *e, int n, double x1,
                             double y0, double max_w, double max_h, gboolean line_swatch,
                             double lw);
/* One row of entries, right-aligned at x1 and centred on cy; entries that
 * would reach left of x0 are left out (the first ones). */
void dg_plot_legend_row_draw(dg_plot_ink *k, const dg_plot_legend_entry *e, int n, double x0,
                             double x1, double cy);

/* ---- Chart kinds -------------------------------------------------------- */

/* In a chart's file: defines T_kind, whose draw
 * and destroy call them with the chart as a void pointer (no function-pointer
 * casts), and T_save, which saves through dg_plot_save.  Like G_DEFINE_TYPE,
 * one line per chart instead of the same wrappers written four times. */
#define DG_PLOT_DEFINE_KIND(T, kind_name)                                                       \
    static void T##_draw_any(void *chart, cairo_t *cr, double x, double y, double width,       \
                             double height, const dg_plot_theme *theme)                        \
    {                                                                                          \
        T##_draw(chart, cr, x, y, width, height, theme);                                       \
    }                                                                                          \
    static void T##_destroy_any(void *chart)                                                   \
    {                                                                                          \
        T##_free(chart);                                                                       \
    }                                                                                          \
    const dg_plot_kind T##_kind = {kind_name, T##_draw_any, T##_destroy_any};                  \
    gboolean T##_save(T *chart, const char *path, int width, int height,                       \
                      const dg_plot_theme *theme, GError **error)                              \
    {                                                                                          \
        return dg_plot_save(path, width, height, theme, T##_draw_any, chart, error);           \
    }

G_END_DECLS

/* dg-plot.h: charts drawn with cairo, for the app and for headless reports.
 *
 * Every chart draws itself on any cairo_t into a given rectangle, in logical
 * pixels, and never outside it (drawing is clipped to the rectangle).  The
 * same code paints a GtkDrawingArea in the app and a PNG/SVG/PDF file in the
 * CLI's reports; nothing here depends on GTK (only cairo and GLib).  Text uses
 * cairo's toy text API with the theme's font family ("Sans"), anti-aliased.
 *
 * Naming: module-wide things are dg_plot_* (themes, ticks, saving, image
 * grids); each chart is its own noun with verbs after it: dg_line_chart_*,
 * dg_bar_chart_*, dg_heatmap_*, dg_prob_chart_*.  Every chart has the same
 * life cycle: _new, _set_* (data is copied), _draw, _save, _free, and a kind
 * (dg_line_chart_kind, ...) that draws and frees it through a void pointer.
 *
 * The code: engine/plot/, one file per chart (the line chart's series in
 * dg-line-series.c) and shared theme, text, axis, legend and save files
 * (see dg-plot-private.h).
 *
 * Threads: nothing here is thread-safe.  A chart belongs to one thread at a
 * time (in the app, the GTK main thread: the job's worker hands its numbers
 * to the main loop, which appends them and queues a redraw).  There is no
 * global state, so different charts may be used on different threads.
 *
 * Theme: a plain struct, copied by value; NULL where a theme is expected
 * means dg_plot_theme_light().  A background with alpha 0 is not painted
 * (lets a widget's own background show through). */
#pragma once
#include <cairo.h>
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct {
    double r, g, b, a; /* 0..1, sRGB, not premultiplied */
} dg_plot_rgba;

typedef struct {
    double x, y, width, height;
} dg_plot_rect;

#define DG_PLOT_PALETTE_SIZE 8

typedef struct {
    dg_plot_rgba background; /* painted under every chart unless a == 0 */
    dg_plot_rgba foreground; /* titles, axis titles, values written on bars */
    dg_plot_rgba muted;      /* tick labels, legend text, notes */
    dg_plot_rgba grid;       /* grid lines, empty bar tracks */
    dg_plot_rgba axis;       /* the left and bottom axis lines */
    dg_plot_rgba palette[DG_PLOT_PALETTE_SIZE]; /* series colours, in order */
    dg_plot_rgba heat[3];    /* heatmap ramp: low, middle, high */
    const char *font_family; /* for cairo_select_font_face; "Sans" */
    double font_size;        /* px, tick and legend labels; titles are larger */
    double line_width;       /* px, series lines */
} dg_plot_theme;

dg_plot_theme dg_plot_theme_light(void);
dg_plot_theme dg_plot_theme_dark(void);

/* Heatmap ramp colour at t in [0, 1] (clamped; NaN gives the low end). */
dg_plot_rgba dg_plot_theme_ramp(const dg_plot_theme *theme, double t);
/* WCAG 2 contrast ratio of two opaque colours, 1..21. */
double dg_plot_contrast_ratio(dg_plot_rgba a, dg_plot_rgba b);
/* Black or white, whichever contrasts more with bg (ratio >= 4.58 always). */
dg_plot_rgba dg_plot_text_color_for(dg_plot_rgba bg);

/* ---- Ticks ------------------------------------------------------------- */

#define DG_PLOT_MAX_TICKS 24

/* "Nice" ticks: steps of 1, 2 or 5 times a power of ten, every tick inside
 * [lo, hi] (with a rounding tolerance), at most max_ticks of them (at least
 * 2 whenever the range allows).  Labels are formatted consistently for the
 * whole axis: as many decimals as the step needs, and k / M / G suffixes
 * when the largest tick is 10000 or more (0, 2k, 4k, ...; 1.5M).  No "-0". */
typedef struct {
    int n;
    double step;
    double value[DG_PLOT_MAX_TICKS];
    char label[DG_PLOT_MAX_TICKS][24];
} dg_plot_ticks;

void dg_plot_ticks_compute(dg_plot_ticks *ticks, double lo, double hi, int max_ticks);

/* ---- Any chart: drawing and saving ---------------------------------------- */

/* Any chart's draw function has this shape (with its own chart type); use a
 * small wrapper of this type to compose several charts into one file. */
typedef void (*dg_plot_draw_fn)(void *chart, cairo_t *cr, double x, double y,
                                double width, double height, const dg_plot_theme *theme);

/* A chart kind: its draw and free functions taking the chart as a void
 * pointer, for code that holds charts of any kind (the app's chart widget,
 * a report page).  Never cast dg_line_chart_draw and the like to
 * dg_plot_draw_fn: calling a function through a pointer of another type is
 * undefined behaviour; use dg_line_chart_kind.draw and the like. */
typedef struct {
    const char *name;             /* "line", "bar", "heatmap", "prob" */
    dg_plot_draw_fn draw;         /* the chart's _draw */
    void (*destroy)(void *chart); /* the chart's _free; a GDestroyNotify */
} dg_plot_kind;

/* The file name extensions dg_plot_save writes (".png", ".svg", ".pdf";
 * NULL-terminated), and whether path ends in one (case-insensitive). */
extern const char *const dg_plot_extensions[];
gboolean dg_plot_has_extension(const char *path);
/* Draw into a new width x height file; the format follows the extension of
 * path: .png, .svg or .pdf (case-insensitive).  The whole page is first
 * painted with the theme's background (unless its alpha is 0).  The file is
 * written atomically, and an existing path that is not a regular file (a
 * device, FIFO or folder) is refused (dg_file_write_atomic, data/dg-file.h). */
gboolean dg_plot_save(const char *path, int width, int height, const dg_plot_theme *theme,
                      dg_plot_draw_fn draw, void *chart, GError **error);

/* ---- Line chart ----------------------------------------------------------
 *
 * Named series of (x, y) points, x = training step.  x should not decrease
 * within a series (appending is O(1) amortised; drawing finds the visible
 * window by binary search and decimates it to at most two points, the min
 * and the max, per pixel column, so 100k points redraw in about a ms).
 * A point whose y is NaN or infinite is kept but never drawn (the line joins
 * its neighbours); a point whose x is not finite is dropped.
 *
 * Y axes: every series is on the left axis unless moved to the right one
 * (dg_line_chart_set_series_axis with DG_PLOT_AXIS_RIGHT).  The right axis is
 * meant for scores in [0, 1], such as D(real) and D(fake) beside the GAN's
 * losses: its range defaults to exactly [0, 1], and its series are drawn
 * dashed (and shown dashed in the legend) so they are told apart from the
 * losses without looking at colours; a dense, noisy line stays solid, as
 * dashes on a zigzag only read as noise.  Two separate charts work just as well;
 * the right axis saves vertical space in the GAN view.
 *
 * Dense data: where the decimated line zigzags densely (noisy losses), the
 * band it covers is filled column by column instead of stroking thousands
 * of crossing segments: it looks the same and costs a millisecond, not tens.
 *
 * Y range: automatic unless fixed, padded by 5%, and robust: with the clip
 * quantile q > 0 (the default is 0.01), values beyond the [q, 1-q] quantiles
 * of the visible points are left outside the range when they would otherwise
 * take more than a third of it (one early spike of 50 does not flatten a
 * curve living in 0..2; the spike runs off the top edge).  Ordinary noise is
 * never clipped. */

typedef struct dg_line_chart dg_line_chart;

typedef enum {
    DG_PLOT_AXIS_LEFT,
    DG_PLOT_AXIS_RIGHT,
} dg_plot_axis;

/* Line charts: INSIDE puts the legend in a corner of the plot: top-right,
 * unless the lines cross it clearly more than another corner (the corner is
 * then kept while it stays good, so a live chart's legend does not hop).
 * Bar charts: INSIDE puts it in a row above the plot, right-aligned.
 * OUTSIDE: a column right of the plot (inside when the chart is too narrow). */
typedef enum {
    DG_PLOT_LEGEND_INSIDE, /* the default */
    DG_PLOT_LEGEND_OUTSIDE,
    DG_PLOT_LEGEND_NONE,
} dg_plot_legend;

dg_line_chart *dg_line_chart_new(void);
void dg_line_chart_free(dg_line_chart *chart);

/* Labels may be NULL (nothing drawn).  y2_label names the right axis. */
void dg_line_chart_set_title(dg_line_chart *chart, const char *title);
void dg_line_chart_set_labels(dg_line_chart *chart, const char *x_label, const char *y_label,
                              const char *y2_label);

/* Returns the new series' index (0, 1, ...); its colour is palette[index % 8]. */
int dg_line_chart_add_series(dg_line_chart *chart, const char *name);
int dg_line_chart_n_series(const dg_line_chart *chart);
void dg_line_chart_set_series_color(dg_line_chart *chart, int series, int palette_index);
void dg_line_chart_set_series_axis(dg_line_chart *chart, int series, dg_plot_axis axis);
void dg_line_chart_set_series_visible(dg_line_chart *chart, int series, gboolean visible);
/* A reference series (an earlier run beside the current one): drawn thin,
 * light and dashed, smoothed like the others, and left out of the legend. */
void dg_line_chart_set_series_faint(dg_line_chart *chart, int series, gboolean faint);
/* A series' name, palette index, axis, visibility and faintness (any
 * pointer may be NULL); FALSE for no such series. */
gboolean dg_line_chart_get_series(const dg_line_chart *chart, int series, const char **name,
                                  int *palette_index, dg_plot_axis *axis, gboolean *visible,
                                  gboolean *faint);

void dg_line_chart_append(dg_line_chart *chart, int series, double x, double y);
size_t dg_line_chart_n_points(const dg_line_chart *chart, int series);
/* Drops every point, keeps the series. */
void dg_line_chart_clear(dg_line_chart *chart);

/* Exponential moving average with weight w in [0, 1) (0 = off; 0.6..0.95 is
 * typical), bias-corrected at the start like TensorBoard's.  When on, the
 * raw series is drawn faint behind the smoothed one. */
void dg_line_chart_set_smoothing(dg_line_chart *chart, double weight);
/* Follow the last `steps` units of x (0 = show everything). */
void dg_line_chart_set_window(dg_line_chart *chart, double steps);
/* A fixed x range (a zoom; it wins over the window); lo = hi = NAN restores
 * the automatic range.  The getter says whether one is set. */
void dg_line_chart_set_x_range(dg_line_chart *chart, double lo, double hi);
gboolean dg_line_chart_get_x_range(const dg_line_chart *chart, double *lo, double *hi);
/* x counts whole things (steps, epochs): ticks only on whole numbers. */
void dg_line_chart_set_x_integer(dg_line_chart *chart, gboolean integer);
/* Fixed y range for an axis; lo = hi = NAN restores the automatic range
 * (the right axis' automatic range is [0, 1] widened to fit its data). */
void dg_line_chart_set_y_range(dg_line_chart *chart, dg_plot_axis axis, double lo, double hi);
/* Quantile for robust auto range, in [0, 0.25]; 0 = always show every point. */
void dg_line_chart_set_y_clip(dg_line_chart *chart, double quantile);
void dg_line_chart_set_legend(dg_line_chart *chart, dg_plot_legend legend);

void dg_line_chart_draw(dg_line_chart *chart, cairo_t *cr, double x, double y, double width,
                        double height, const dg_plot_theme *theme);
extern const dg_plot_kind dg_line_chart_kind;
gboolean dg_line_chart_save(dg_line_chart *chart, const char *path, int width, int height,
                            const dg_plot_theme *theme, GError **error);

/* Where the last draw put the plot area and which data ranges it showed (for
 * hover read-outs: x = x_lo + (px - area.x) / area.width * (x_hi - x_lo)).
 * FALSE before the first draw.  Any output pointer may be NULL. */
gboolean dg_line_chart_get_layout(const dg_line_chart *chart, dg_plot_rect *area, double *x_lo,
                                  double *x_hi, double *y_lo, double *y_hi);
/* The point of a series nearest to x (for hover read-outs): its x, its raw y
 * and its smoothed y (the raw y when smoothing is off).  Points whose y is
 * not finite are skipped.  FALSE when the series has no such point. */
gboolean dg_line_chart_value_at(dg_line_chart *chart, int series, double x, double *x_found,
                                double *raw, double *smoothed);

/* ---- Bar chart -----------------------------------------------------------
 *
 * Categories along x (class names) and one or more series: one series is a
 * plain bar per category (class counts); several are grouped side by side
 * (train / val / test per class, or the two ablation arms), with a legend.
 * Each series may carry error bars (mean ± std).  Values are written above
 * the bars when all of them fit (else none is).  Negative values hang below
 * a zero line.  Category names wrap under their bars (up to three lines);
 * when a word does not fit its slot they are drawn slanted instead, every
 * k-th one when even that would overlap. */

typedef struct dg_bar_chart dg_bar_chart;

dg_bar_chart *dg_bar_chart_new(void);
void dg_bar_chart_free(dg_bar_chart *chart);
void dg_bar_chart_set_title(dg_bar_chart *chart, const char *title);
void dg_bar_chart_set_labels(dg_bar_chart *chart, const char *x_label, const char *y_label);
/* Sets the categories and removes every series. */
void dg_bar_chart_set_categories(dg_bar_chart *chart, int n, const char *const *names);
/* values[n_categories]; errors may be NULL (no error bars).  Returns the index. */
int dg_bar_chart_add_series(dg_bar_chart *chart, const char *name, const double *values,
                            const double *errors);
/* printf format for the values written on bars, for one double; NULL = "%.0f"
 * when every value is an integer, "%.3g" otherwise.  show FALSE writes none. */
void dg_bar_chart_set_value_labels(dg_bar_chart *chart, gboolean show, const char *format);
/* With a single series, give each category its own palette colour. */
void dg_bar_chart_set_color_by_category(dg_bar_chart *chart, gboolean by_category);
/* Fixed y range; NAN, NAN = automatic (always includes 0). */
void dg_bar_chart_set_y_range(dg_bar_chart *chart, double lo, double hi);
void dg_bar_chart_set_legend(dg_bar_chart *chart, dg_plot_legend legend);
void dg_bar_chart_draw(dg_bar_chart *chart, cairo_t *cr, double x, double y, double width,
                       double height, const dg_plot_theme *theme);
extern const dg_plot_kind dg_bar_chart_kind;
gboolean dg_bar_chart_save(dg_bar_chart *chart, const char *path, int width, int height,
                           const dg_plot_theme *theme, GError **error);

/* ---- Heatmap (confusion matrix) ------------------------------------------
 *
 * rows x cols values (rows = true class, columns = predicted class).  Each
 * cell is coloured by its row-normalised value (value / row sum) on the
 * theme's ramp and shows the value and, below it, the row percentage, in
 * black or white, whichever contrasts more with the cell.  Class labels on
 * both axes; axis titles default to "true" and "predicted". */

typedef struct dg_heatmap dg_heatmap;

dg_heatmap *dg_heatmap_new(void);
void dg_heatmap_free(dg_heatmap *map);
void dg_heatmap_set_title(dg_heatmap *map, const char *title);
/* values[rows * cols], row-major; labels may be NULL (numbered 0, 1, ...). */
void dg_heatmap_set_data(dg_heatmap *map, int rows, int cols, const double *values,
                         const char *const *row_labels, const char *const *col_labels);
void dg_heatmap_set_labels(dg_heatmap *map, const char *row_title, const char *col_title);
/* Write the row percentage under each value (default TRUE). */
void dg_heatmap_set_show_percent(dg_heatmap *map, gboolean show);
void dg_heatmap_draw(dg_heatmap *map, cairo_t *cr, double x, double y, double width,
                     double height, const dg_plot_theme *theme);
extern const dg_plot_kind dg_heatmap_kind;
gboolean dg_heatmap_save(dg_heatmap *map, const char *path, int width, int height,
                         const dg_plot_theme *theme, GError **error);
/* Where the last draw put cell (row, col); FALSE before a draw or out of range. */
gboolean dg_heatmap_get_cell(const dg_heatmap *map, int row, int col, dg_plot_rect *cell);

/* ---- Probability bars (the Diagnose view) --------------------------------
 *
 * One horizontal bar per class: label, bar, percentage (side by side, or
 * stacked when the rectangle is narrow: label and percentage over the bar).
 * The most probable class is highlighted (accent colour, bold text); the
 * others are muted.
 * Classes keep the given order (sort them first if you want a ranking). */

typedef struct dg_prob_chart dg_prob_chart;

dg_prob_chart *dg_prob_chart_new(void);
void dg_prob_chart_free(dg_prob_chart *chart);
void dg_prob_chart_set_title(dg_prob_chart *chart, const char *title);
/* probs[k] in [0, 1]; NaN is drawn as an empty bar with a dash. */
void dg_prob_chart_set_data(dg_prob_chart *chart, int k, const char *const *labels,
                            const double *probs);
/* Palette index of the highlight colour (default 0). */
void dg_prob_chart_set_accent(dg_prob_chart *chart, int palette_index);
void dg_prob_chart_draw(dg_prob_chart *chart, cairo_t *cr, double x, double y, double width,
                        double height, const dg_plot_theme *theme);
extern const dg_plot_kind dg_prob_chart_kind;
gboolean dg_prob_chart_save(dg_prob_chart *chart, const char *path, int width, int height,
                            const dg_plot_theme *theme, GError **error);

/* ---- Image grids (the GAN's fixed-noise samples) -------------------------
 *
 * images: n images of size x size RGB bytes, back to back (n * size * size * 3
 * bytes), placed row by row into rows x cols cells (one row per class);
 * missing cells stay background.  Gutters surround every cell, so the result
 * is cols * size + (cols + 1) * gutter wide and rows * size + (rows + 1) *
 * gutter high.  Returns a g_malloc'd RGB buffer (g_free it), or NULL when an
 * argument is out of range. */
uint8_t *dg_plot_image_grid(const uint8_t *images, int n, int size, int rows, int cols,
                            int gutter, const uint8_t background[3], int *width, int *height);
/* A cairo image surface (CAIRO_FORMAT_RGB24) holding a copy of RGB bytes
 * (rgb NULL or a size <= 0: a 1 x 1 black surface).  cairo_surface_destroy it. */
cairo_surface_t *dg_plot_surface_from_rgb(const uint8_t *rgb, int width, int height);
/* Draw a grid made by dg_plot_image_grid (as a surface), scaled to fit the
 * rectangle with its aspect kept, with row_labels[rows] (or NULL) written in
 * a left margin, each centred on its row.  Upscaling by 2x or more keeps
 * pixels sharp.  Convert the grid to a surface once per new grid, not per
 * frame. */
void dg_plot_image_grid_draw(cairo_t *cr, double x, double y, double width, double height,
                             const dg_plot_theme *theme, cairo_surface_t *grid, int rows,
                             int gutter, const char *const *row_labels);

G_END_DECLS

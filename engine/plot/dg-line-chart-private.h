/* dg-line-chart-private.h: the line chart, shared by dg-line-chart.c (data,
 * layout, axes, legend) and dg-line-series.c (range, decimation, drawing the
 * series). */
#pragma once
#include "dg-plot-private.h"

typedef struct {
    char *name;
    int color;
    dg_plot_axis axis;
    gboolean visible;
    gboolean sorted;      /* x never decreased */
    double *x;
    float *y;
    size_t n, cap;
    double x_min, x_max;  /* over points with finite y */
    gboolean have_range;
    float *sm;            /* smoothed y, valid for [0, n_sm) */
    size_t n_sm, sm_cap;
    double ema, ema_pow;  /* EMA state after n_sm points */
} line_series;

struct dg_line_chart {
    char *title, *x_label, *y_label, *y2_label;
    line_series *s;
    int n_series, cap_series;
    double smoothing, window, clip;
    double y_fix[2][2]; /* [axis][lo, hi], NaN = automatic */
    dg_plot_legend legend;
    /* Scratch, reused between draws. */
    double *px, *py;
    size_t dcap;
    double *q;
    size_t qcap;
    double *env; /* envelope: top, bottom and two spare rows of cols each */
    size_t envcap;
    int legend_corner; /* inside legend: 0 top-right, 1 top-left, 2 bottom-right, 3 bottom-left */
    /* Last layout. */
    gboolean have_layout;
    dg_plot_rect area;
    double x_lo, x_hi, y_lo, y_hi;
};

/* Map one (x, y) to device-safe plot coordinates. */
typedef struct {
    double ox, oy, sx, sy, xlo, ylo;
} dg_line_xform;


/* ---- dg-line-series.c --------------------------------------------------- */

/* Bring the smoothed copy up to date (bias-corrected EMA, NaN skipped). */
void dg_line_series_update_smoothing(line_series *s, double w);
/* Visible index range [*i0, *i1) for x in [lo, hi]; for sorted series also one
 * finite point on each side, so lines run on to the plot's edges. */
void dg_line_series_visible_range(const line_series *s, double lo, double hi, size_t *i0,
                                  size_t *i1);
/* Automatic y range of the visible points of the series on one axis. */
gboolean dg_line_chart_auto_y_range(dg_line_chart *c, int axis, double xlo, double xhi,
                                    double *lo, double *hi);
/* A range too narrow to draw (relative to its values, or denormal). */
gboolean dg_line_range_degenerate(double lo, double hi);
/* Pad a range by 5% (a degenerate one by 10% of its value, or 1). */
void dg_line_range_pad(double *lo, double *hi, gboolean keep_nonneg);
/* Decimate points [i0, i1) of (x, y) into c->px/py in plot pixels: per
 * column (cols_per_px columns per pixel) the min and the max, in the order
 * they occurred.  Returns the number of points. */
size_t dg_line_chart_decimate(dg_line_chart *c, const line_series *s, const float *y, size_t i0,
                              size_t i1, const dg_line_xform *m, const dg_plot_rect *area,
                              double cols_per_px);
/* Draw decimated points: a band when they zigzag densely, else a line,
 * dashed if asked and if the line is calm enough for dashes to read as
 * dashes (on a dense zigzag they turn into noise). */
void dg_line_chart_draw_points(dg_line_chart *c, cairo_t *cr, size_t n, const dg_plot_rect *area,
                               double cols_per_px, double lw, gboolean dashed);
/* How many samples along the polyline fall into each of four boxes. */
void dg_line_count_hits(const double *px, const double *py, size_t n, const dg_plot_rect *boxes,
                        int *hits);

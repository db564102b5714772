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
    gboolean faint;       /* drawn thin and light, without a legend entry (a reference) */
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
    double x_fix[2];    /* fixed x range (a zoom), NaN = automatic */
    gboolean x_integer; /* x counts (steps, epochs): ticks on whole numbers only */
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

/* What one draw shows: the plot area and the data ranges of the x axis and
 * of the y axes ([0] left, [1] right). */
typedef struct {
    dg_plot_rect area;
    double xlo, xhi, ylo[2], yhi[2];
} dg_line_view;

/* ---- dg-line-series.c --------------------------------------------------- */

/* The data ranges to show (v's area is left alone): x over the visible series
 * (the last window's worth when following), y per axis, fixed or automatic
 * and robust to spikes.  *any: some visible series has a finite point;
 * *any_right: some visible series is on the right axis. */
void dg_line_chart_view_ranges(dg_line_chart *c, dg_line_view *v, gboolean *any,
                               gboolean *any_right);
/* Every visible series, clipped to v's area: decimated to pixel columns, then
 * stroked (dashed on the right axis) or, dense and noisy, filled as a band;
 * with smoothing, the raw series faint under the smoothed one.  With boxes
 * (four rectangles) non-NULL, hits[b] counts how much the lines cross box b. */
void dg_line_chart_draw_series(dg_line_chart *c, cairo_t *cr, const dg_plot_theme *th,
                               const dg_line_view *v, const dg_plot_rect *boxes, int *hits);

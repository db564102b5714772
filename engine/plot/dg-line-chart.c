/* dg-line-chart.c: the line chart (see dg-plot.h): its data and its layout, axes
 * and legend; the series are drawn by dg-line-series.c. */
#include "dg-line-chart-private.h"

#include <string.h>

dg_line_chart *dg_line_chart_new(void)
{
    dg_line_chart *c = g_new0(dg_line_chart, 1);
    c->clip = 0.01;
    c->x_fix[0] = c->x_fix[1] = NAN;
    for (int a = 0; a < 2; a++)
        c->y_fix[a][0] = c->y_fix[a][1] = NAN;
    c->legend = DG_PLOT_LEGEND_INSIDE;
    return c;
}

void dg_line_chart_free(dg_line_chart *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_series; i++) {
        g_free(c->s[i].name);
        g_free(c->s[i].x);
        g_free(c->s[i].y);
        g_free(c->s[i].sm);
    }
    g_free(c->s);
    g_free(c->title);
    g_free(c->x_label);
    g_free(c->y_label);
    g_free(c->y2_label);
    g_free(c->px);
    g_free(c->py);
    g_free(c->q);
    g_free(c->env);
    g_free(c);
}

void dg_line_chart_set_title(dg_line_chart *c, const char *title)
{
    dg_plot_replace_str(&c->title, title);
}

void dg_line_chart_set_labels(dg_line_chart *c, const char *x_label, const char *y_label,
                              const char *y2_label)
{
    dg_plot_replace_str(&c->x_label, x_label);
    dg_plot_replace_str(&c->y_label, y_label);
    dg_plot_replace_str(&c->y2_label, y2_label);
}

int dg_line_chart_add_series(dg_line_chart *c, const char *name)
{
    if (c->n_series == c->cap_series) {
        c->cap_series = MAX(4, c->cap_series * 2);
        c->s = g_renew(line_series, c->s, c->cap_series);
    }
    line_series *s = &c->s[c->n_series];
    memset(s, 0, sizeof *s);
    s->name = g_strdup(name ? name : "");
    s->color = c->n_series;
    s->axis = DG_PLOT_AXIS_LEFT;
    s->visible = TRUE;
    s->sorted = TRUE;
    s->ema_pow = 1;
    return c->n_series++;
}

int dg_line_chart_n_series(const dg_line_chart *c)
{
    return c->n_series;
}

static line_series *get_series(const dg_line_chart *c, int i)
{
    g_return_val_if_fail(i >= 0 && i < c->n_series, NULL);
    return &c->s[i];
}

void dg_line_chart_set_series_color(dg_line_chart *c, int series, int palette_index)
{
    line_series *s = get_series(c, series);
    if (s)
        s->color = palette_index;
}

void dg_line_chart_set_series_axis(dg_line_chart *c, int series, dg_plot_axis axis)
{
    line_series *s = get_series(c, series);
    if (s)
        s->axis = axis == DG_PLOT_AXIS_RIGHT ? DG_PLOT_AXIS_RIGHT : DG_PLOT_AXIS_LEFT;
}

void dg_line_chart_set_series_visible(dg_line_chart *c, int series, gboolean visible)
{
    line_series *s = get_series(c, series);
    if (s)
        s->visible = visible;
}

void dg_line_chart_set_series_faint(dg_line_chart *c, int series, gboolean faint)
{
    line_series *s = get_series(c, series);
    if (s)
        s->faint = faint;
}

gboolean dg_line_chart_get_series(const dg_line_chart *c, int series, const char **name,
                                  int *palette_index, dg_plot_axis *axis, gboolean *visible,
                                  gboolean *faint)
{
    if (series < 0 || series >= c->n_series)
        return FALSE;
    const line_series *s = &c->s[series];
    if (name)
        *name = s->name;
    if (palette_index)
        *palette_index = s->color;
    if (axis)
        *axis = s->axis;
    if (visible)
        *visible = s->visible;
    if (faint)
        *faint = s->faint;
    return TRUE;
}

void dg_line_chart_append(dg_line_chart *c, int series, double x, double y)
{
    line_series *s = get_series(c, series);
    if (!s || !isfinite(x))
        return;
    if (s->n == s->cap) {
        s->cap = MAX(256, s->cap * 2);
        s->x = g_renew(double, s->x, s->cap);
        s->y = g_renew(float, s->y, s->cap);
    }
    if (s->n > 0 && x < s->x[s->n - 1])
        s->sorted = FALSE;
    s->x[s->n] = x;
    s->y[s->n] = isfinite(y) && fabs(y) < 3e38 ? (float)y : NAN;
    if (isfinite(s->y[s->n])) {
        if (!s->have_range) {
            s->x_min = s->x_max = x;
            s->have_range = TRUE;
        } else {
            s->x_min = MIN(s->x_min, x);
            s->x_max = MAX(s->x_max, x);
        }
    }
    s->n++;
}

size_t dg_line_chart_n_points(const dg_line_chart *c, int series)
{
    line_series *s = get_series(c, series);
    return s ? s->n : 0;
}

static void reset_smoothing(line_series *s)
{
    s->n_sm = 0;
    s->ema = 0;
    s->ema_pow = 1;
}

void dg_line_chart_clear(dg_line_chart *c)
{
    for (int i = 0; i < c->n_series; i++) {
        line_series *s = &c->s[i];
        s->n = 0;
        s->sorted = TRUE;
        s->have_range = FALSE;
        reset_smoothing(s);
    }
    c->have_layout = FALSE;
}

void dg_line_chart_set_smoothing(dg_line_chart *c, double weight)
{
    if (!(weight > 0))
        weight = 0;
    weight = MIN(weight, 0.999);
    if (weight == c->smoothing)
        return;
    c->smoothing = weight;
    for (int i = 0; i < c->n_series; i++)
        reset_smoothing(&c->s[i]);
}

void dg_line_chart_set_window(dg_line_chart *c, double steps)
{
    c->window = steps > 0 && isfinite(steps) ? steps : 0;
}

void dg_line_chart_set_x_range(dg_line_chart *c, double lo, double hi)
{
    if (isfinite(lo) && isfinite(hi) && lo != hi) {
        c->x_fix[0] = MIN(lo, hi);
        c->x_fix[1] = MAX(lo, hi);
    } else {
        c->x_fix[0] = c->x_fix[1] = NAN;
    }
}

gboolean dg_line_chart_get_x_range(const dg_line_chart *c, double *lo, double *hi)
{
    if (!isfinite(c->x_fix[0]))
        return FALSE;
    if (lo)
        *lo = c->x_fix[0];
    if (hi)
        *hi = c->x_fix[1];
    return TRUE;
}

void dg_line_chart_set_x_integer(dg_line_chart *c, gboolean integer)
{
    c->x_integer = integer;
}

void dg_line_chart_set_y_range(dg_line_chart *c, dg_plot_axis axis, double lo, double hi)
{
    int a = axis == DG_PLOT_AXIS_RIGHT;
    if (isfinite(lo) && isfinite(hi) && lo != hi) {
        c->y_fix[a][0] = MIN(lo, hi);
        c->y_fix[a][1] = MAX(lo, hi);
    } else {
        c->y_fix[a][0] = c->y_fix[a][1] = NAN;
    }
}

void dg_line_chart_set_y_clip(dg_line_chart *c, double quantile)
{
    c->clip = quantile > 0 ? MIN(quantile, 0.25) : 0;
}

void dg_line_chart_set_legend(dg_line_chart *c, dg_plot_legend legend)
{
    c->legend = legend;
}

gboolean dg_line_chart_get_layout(const dg_line_chart *c, dg_plot_rect *area, double *x_lo,
                                  double *x_hi, double *y_lo, double *y_hi)
{
    if (!c->have_layout)
        return FALSE;
    if (area)
        *area = c->area;
    if (x_lo)
        *x_lo = c->x_lo;
    if (x_hi)
        *x_hi = c->x_hi;
    if (y_lo)
        *y_lo = c->y_lo;
    if (y_hi)
        *y_hi = c->y_hi;
    return TRUE;
}

DG_PLOT_DEFINE_KIND(dg_line_chart, "line")

/* ---- Drawing -------------------------------------------------------------
 *
 * dg_line_chart_draw: the title, the layout (line_layout_vertical, then
 * line_layout_horizontal), the axes (line_grid_draw, line_axis_labels_draw),
 * the series (dg_line_chart_draw_series, in dg-line-series.c) and the legend
 * (line_legend_corners, line_legend_draw). */

typedef struct {
    dg_line_view v;
    gboolean any, any_right; /* some data; a right axis */
    double lab_h;            /* height of an axis title */
    dg_plot_ticks ty[2], tx; /* [axis] */
    dg_plot_legend legend;   /* where the legend goes after all (NONE without entries) */
    double legend_w;         /* an outside legend's width */
    dg_plot_legend_entry entries[DG_PLOT_LEGEND_MAX];
    int n_entries;
    dg_plot_rect boxes[4]; /* inside legend: top-right, top-left, bottom-right, bottom-left */
    int hits[4];           /* how much the lines cross each box */
} line_layout;

/* Top and bottom of the plot area; FALSE when the rectangle is too small for
 * a chart. */
static gboolean line_layout_vertical(const dg_line_chart *c, dg_plot_frame *f, line_layout *L,
                                     double *y0, double *y1)
{
    dg_plot_ink *k = &f->k;
    double top = f->y + DG_PLOT_PAD + dg_plot_title_height(k, c->title);
    dg_plot_use_font(k, 1.0, FALSE);
    double tick_cap = k->cap;
    L->lab_h = dg_plot_line_h(k);
    double bottom = f->y + f->h - DG_PLOT_PAD;
    if (c->x_label)
        bottom -= L->lab_h + 5;
    bottom -= tick_cap + 7; /* x tick labels: digits, no descenders */
    *y0 = top + tick_cap / 2 + 1;
    *y1 = bottom;
    return !(*y1 - *y0 < 24 || f->w < 60);
}

/* Legend entries: the visible series; right-axis ones dashed. */
static void line_legend_entries(const dg_line_chart *c, const dg_plot_theme *th, line_layout *L)
{
    L->n_entries = 0;
    for (int i = 0; i < c->n_series && L->n_entries < DG_PLOT_LEGEND_MAX; i++) {
        if (!c->s[i].visible || c->s[i].faint)
            continue;
        L->entries[L->n_entries++] = (dg_plot_legend_entry){
            c->s[i].name, dg_plot_palette(th, c->s[i].color), c->s[i].axis == DG_PLOT_AXIS_RIGHT};
    }
    L->legend = L->n_entries > 0 ? c->legend : DG_PLOT_LEGEND_NONE;
}

/* The plot area between y0 and y1: room for the y tick labels and axis titles
 * on either side and for an outside legend (which moves inside when the
 * chart is too narrow), and the x ticks; FALSE when too narrow. */
static gboolean line_layout_horizontal(const dg_line_chart *c, dg_plot_frame *f, line_layout *L,
                                       double y0, double y1)
{
    dg_plot_ink *k = &f->k;
    dg_line_view *v = &L->v;
    dg_plot_y_ticks(&L->ty[0], v->ylo[0], v->yhi[0], y1 - y0);
    dg_plot_y_ticks(&L->ty[1], v->ylo[1], v->yhi[1], y1 - y0);
    double left = f->x + DG_PLOT_PAD;
    if (c->y_label)
        left += L->lab_h + 6;
    left += dg_plot_ticks_width(k, &L->ty[0]) + 7;
    double right = f->x + f->w - DG_PLOT_PAD;
    if (L->any_right) {
        right -= dg_plot_ticks_width(k, &L->ty[1]) + 7;
        if (c->y2_label)
            right -= L->lab_h + 6;
    }
    line_legend_entries(c, f->th, L);
    L->legend_w = 0;
    if (L->legend == DG_PLOT_LEGEND_OUTSIDE) {
        L->legend_w = dg_plot_legend_width(k, L->entries, L->n_entries, (right - left) * 0.4);
        if (right - left - L->legend_w - 12 < 160)
            L->legend = DG_PLOT_LEGEND_INSIDE;
        else
            right -= L->legend_w + 12;
    }
    dg_plot_use_font(k, 1.0, FALSE);
    dg_plot_ticks *tx = &L->tx;
    dg_plot_x_ticks(k, tx, v->xlo, v->xhi, right - left);
    if (c->x_integer)
        dg_plot_ticks_integer(tx, v->xlo, v->xhi);
    if (!L->any_right && L->legend != DG_PLOT_LEGEND_OUTSIDE && tx->n > 0) {
        /* The last x label is centred on its tick: keep it inside the rectangle. */
        double tick_px =
            left + (tx->value[tx->n - 1] - v->xlo) / (v->xhi - v->xlo) * (right - left);
        double over = tick_px + dg_plot_text_w(k, tx->label[tx->n - 1]) / 2 -
                      (f->x + f->w - DG_PLOT_PAD / 2);
        if (over > 0) {
            right -= over;
            dg_plot_x_ticks(k, tx, v->xlo, v->xhi, right - left);
            if (c->x_integer)
                dg_plot_ticks_integer(tx, v->xlo, v->xhi);
        }
    }
    if (right - left < 30)
        return FALSE;
    v->area = (dg_plot_rect){left, y0, right - left, y1 - y0};
    return TRUE;
}

/* Grid lines at the ticks, then the axis lines (left, bottom, and right when
 * a series is on the right axis). */
static void line_grid_draw(cairo_t *cr, const dg_plot_theme *th, const line_layout *L)
{
    const dg_line_view *v = &L->v;
    const dg_plot_rect *area = &v->area;
    cairo_set_line_width(cr, 1);
    dg_plot_set_color(cr, th->grid, 1);
    for (int i = 0; i < L->ty[0].n; i++) {
        double py = dg_plot_snap(dg_plot_map_y(area, v->ylo[0], v->yhi[0], L->ty[0].value[i]));
        cairo_move_to(cr, area->x, py);
        cairo_line_to(cr, area->x + area->width, py);
    }
    for (int i = 0; i < L->tx.n; i++) {
        double px = dg_plot_snap(dg_plot_map_x(area, v->xlo, v->xhi, L->tx.value[i]));
        cairo_move_to(cr, px, area->y);
        cairo_line_to(cr, px, area->y + area->height);
    }
    cairo_stroke(cr);
    dg_plot_set_color(cr, th->axis, 1);
    double ax0 = dg_plot_snap(area->x) - 1, ay1 = dg_plot_snap(area->y + area->height);
    cairo_move_to(cr, ax0, area->y);
    cairo_line_to(cr, ax0, ay1);
    cairo_line_to(cr, area->x + area->width, ay1);
    if (L->any_right) {
        double ax1 = dg_plot_snap(area->x + area->width);
        cairo_move_to(cr, ax1, area->y);
        cairo_line_to(cr, ax1, ay1);
    }
    cairo_stroke(cr);
}

/* Tick labels (none without data) and the axis titles. */
static void line_axis_labels_draw(const dg_line_chart *c, dg_plot_frame *f, const line_layout *L)
{
    const dg_line_view *v = &L->v;
    const dg_plot_rect *area = &v->area;
    dg_plot_ink *k = &f->k;
    dg_plot_set_color(f->cr, f->th->muted, L->any ? 1 : 0); /* no data: no numbers either */
    for (int i = 0; i < L->ty[0].n; i++) {
        double py = dg_plot_map_y(area, v->ylo[0], v->yhi[0], L->ty[0].value[i]);
        dg_plot_text_at(k, L->ty[0].label[i], area->x - 7, py, 1, 0.5);
    }
    if (L->any_right) {
        for (int i = 0; i < L->ty[1].n; i++) {
            double py = dg_plot_map_y(area, v->ylo[1], v->yhi[1], L->ty[1].value[i]);
            dg_plot_text_at(k, L->ty[1].label[i], area->x + area->width + 7, py, 0, 0.5);
        }
    }
    for (int i = 0; i < L->tx.n; i++) {
        double px = dg_plot_map_x(area, v->xlo, v->xhi, L->tx.value[i]);
        dg_plot_text_at(k, L->tx.label[i], px, area->y + area->height + 7, 0.5, 0);
    }
    dg_plot_set_color(f->cr, f->th->foreground, 0.85);
    dg_plot_axis_titles(k, area, c->x_label, f->y + f->h - DG_PLOT_PAD - L->lab_h, c->y_label,
                        f->x + DG_PLOT_PAD);
    if (L->any_right && c->y2_label)
        dg_plot_text_fit_vertical(k, c->y2_label, area->height,
                                  area->x + area->width + 7 + dg_plot_ticks_width(k, &L->ty[1]) + 6,
                                  area->y + area->height / 2);
}

/* Inside legend: the candidate boxes in the four corners of the plot. */
static void line_legend_corners(dg_plot_ink *k, line_layout *L)
{
    const dg_plot_rect *area = &L->v.area;
    double bw = dg_plot_legend_width(k, L->entries, L->n_entries, area->width - 16);
    double bh = dg_plot_legend_height(k, L->n_entries, area->height - 12);
    double l = area->x + 8, r = area->x + area->width - 8 - bw;
    double t = area->y + 6, b = area->y + area->height - 6 - bh;
    L->boxes[0] = (dg_plot_rect){r, t, bw, bh};
    L->boxes[1] = (dg_plot_rect){l, t, bw, bh};
    L->boxes[2] = (dg_plot_rect){r, b, bw, bh};
    L->boxes[3] = (dg_plot_rect){l, b, bw, bh};
}

/* The legend: inside, in the corner the lines cross least (top-right unless
 * another is clearly better; a corner, once taken, is kept unless it gets
 * clearly worse, so a live chart's legend does not hop); or outside, right
 * of the plot. */
static void line_legend_draw(dg_line_chart *c, dg_plot_frame *f, const line_layout *L)
{
    const dg_plot_rect *area = &L->v.area;
    double lw = f->th->line_width;
    if (L->legend == DG_PLOT_LEGEND_INSIDE) {
        const int *hits = L->hits;
        int best = 0;
        for (int i = 1; i < 4; i++)
            if (hits[i] < hits[best])
                best = i;
        int cur = CLAMP(c->legend_corner, 0, 3);
        if (hits[cur] > hits[best] + 2 + hits[best] / 4)
            cur = hits[0] <= hits[best] + 2 + hits[best] / 4 ? 0 : best;
        c->legend_corner = cur;
        const dg_plot_rect *box = &L->boxes[cur];
        dg_plot_legend_box_draw(&f->k, L->entries, L->n_entries, box->x + box->width, box->y,
                                area->width - 16, area->height - 12, TRUE, lw);
    } else if (L->legend == DG_PLOT_LEGEND_OUTSIDE) {
        dg_plot_legend_box_draw(&f->k, L->entries, L->n_entries, f->x + f->w - DG_PLOT_PAD,
                                area->y, L->legend_w, area->height, TRUE, lw);
    }
}

/* Lays out and draws the chart, remembering the layout for
 * dg_line_chart_get_layout. */
static void line_chart_paint(dg_line_chart *c, dg_plot_frame *f)
{
    line_layout L;
    dg_line_chart_view_ranges(c, &L.v, &L.any, &L.any_right);
    dg_plot_title_draw(&f->k, c->title, f->x + DG_PLOT_PAD, f->x + f->w - DG_PLOT_PAD,
                       f->y + DG_PLOT_PAD);
    double y0, y1;
    if (!line_layout_vertical(c, f, &L, &y0, &y1) || !line_layout_horizontal(c, f, &L, y0, y1))
        return; /* too small for a chart: the background (a frame) only */
    const dg_line_view *v = &L.v;
    c->have_layout = TRUE;
    c->area = v->area;
    c->x_lo = v->xlo;
    c->x_hi = v->xhi;
    c->y_lo = v->ylo[0];
    c->y_hi = v->yhi[0];

    line_grid_draw(f->cr, f->th, &L);
    line_axis_labels_draw(c, f, &L);
    gboolean inside = L.legend == DG_PLOT_LEGEND_INSIDE;
    if (inside)
        line_legend_corners(&f->k, &L);
    memset(L.hits, 0, sizeof L.hits);
    dg_line_chart_draw_series(c, f->cr, f->th, v, inside ? L.boxes : NULL, L.hits);
    if (!L.any) {
        dg_plot_use_font(&f->k, 1.0, FALSE);
        dg_plot_set_color(f->cr, f->th->muted, 1);
        dg_plot_text_at(&f->k, "No data yet", v->area.x + v->area.width / 2,
                        v->area.y + v->area.height / 2, 0.5, 0.5);
    }
    line_legend_draw(c, f, &L);
}

void dg_line_chart_draw(dg_line_chart *c, cairo_t *cr, double x, double y, double w, double h,
                        const dg_plot_theme *theme)
{
    dg_plot_frame f;
    c->have_layout = FALSE;
    if (!dg_plot_frame_begin(&f, cr, theme, x, y, w, h))
        return;
    line_chart_paint(c, &f);
    dg_plot_frame_end(&f);
}

/* dg-line-series.c: the line chart's series: smoothing, visible window, robust y range,
 * decimation to pixel columns, and drawing (stroked or filled as a band). */
#include "dg-line-chart-private.h"

#include <string.h>

/* Bring the smoothed copy up to date (bias-corrected EMA, NaN skipped). */
static void update_smoothing(line_series *s, double w)
{
    if (s->sm_cap < s->cap) {
        s->sm = g_renew(float, s->sm, s->cap);
        s->sm_cap = s->cap;
    }
    for (size_t i = s->n_sm; i < s->n; i++) {
        double y = s->y[i];
        if (isfinite(y)) {
            s->ema = s->ema * w + (1 - w) * y;
            s->ema_pow *= w;
            s->sm[i] = (float)(s->ema / (1 - s->ema_pow));
        } else {
            s->sm[i] = NAN;
        }
    }
    s->n_sm = s->n;
}

/* Visible index range [*i0, *i1) for x in [lo, hi]; for sorted series also one
 * finite point on each side, so lines run on to the plot's edges. */
static void visible_range(const line_series *s, double lo, double hi, size_t *i0, size_t *i1)
{
    if (!s->sorted) {
        *i0 = 0;
        *i1 = s->n;
        return;
    }
    size_t a = 0, b = s->n;
    while (a < b) { /* first x >= lo */
        size_t m = a + (b - a) / 2;
        if (s->x[m] < lo)
            a = m + 1;
        else
            b = m;
    }
    size_t first = a;
    b = s->n;
    while (a < b) { /* first x > hi */
        size_t m = a + (b - a) / 2;
        if (s->x[m] <= hi)
            a = m + 1;
        else
            b = m;
    }
    size_t last = a;
    for (size_t k = 0; k < 64 && first > 0; k++) {
        first--;
        if (isfinite(s->y[first]))
            break;
    }
    for (size_t k = 0; k < 64 && last < s->n; k++) {
        last++;
        if (isfinite(s->y[last - 1]))
            break;
    }
    *i0 = first;
    *i1 = last;
}

static void q_push(dg_line_chart *c, size_t *n, double v)
{
    if (*n == c->qcap) {
        c->qcap = MAX(1024, c->qcap * 2);
        c->q = g_renew(double, c->q, c->qcap);
    }
    c->q[(*n)++] = v;
}

/* k-th smallest of a[0..n) (a is reordered). */
static double quickselect(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = a[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

/* Automatic y range of the visible points of the series on one axis. */
static gboolean auto_y_range(dg_line_chart *c, int axis, double xlo, double xhi, double *lo,
                             double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    size_t nq = 0;
    for (int si = 0; si < c->n_series; si++) {
        line_series *s = &c->s[si];
        if (!s->visible || (int)s->axis != axis || !s->have_range)
            continue;
        size_t i0, i1;
        visible_range(s, xlo, xhi, &i0, &i1);
        size_t count = i1 - i0;
        size_t stride = c->clip > 0 ? MAX(1, count / 4096) : 0;
        for (size_t i = i0; i < i1; i++) {
            double x = s->x[i], y = s->y[i];
            if (!isfinite(y) || x < xlo || x > xhi)
                continue;
            mn = MIN(mn, y);
            mx = MAX(mx, y);
            if (stride && (i - i0) % stride == 0)
                q_push(c, &nq, y);
        }
    }
    if (!(mn <= mx))
        return FALSE;
    if (c->clip > 0 && nq >= 20) {
        double qlo = quickselect(c->q, nq, (size_t)floor(c->clip * (nq - 1)));
        double qhi = quickselect(c->q, nq, (size_t)ceil((1 - c->clip) * (nq - 1)));
        double spread = qhi - qlo;
        if (spread <= 0)
            spread = MAX(fabs(qhi) * 0.1, 1e-6);
        /* Clip a tail only when it would take more than a third of the range. */
        if (mx - qhi > 0.5 * spread)
            mx = qhi + 0.1 * spread;
        if (qlo - mn > 0.5 * spread)
            mn = qlo - 0.1 * spread;
    }
    *lo = mn;
    *hi = mx;
    return TRUE;
}

/* A range too narrow to draw (relative to its values, or denormal). */
static gboolean degenerate(double lo, double hi)
{
    return !(hi - lo > MAX(fabs(hi), fabs(lo)) * 1e-12) || hi - lo < 1e-200;
}

static void pad_range(double *lo, double *hi, gboolean keep_nonneg)
{
    if (degenerate(*lo, *hi)) {
        double d = *hi == 0 ? 1 : fabs(*hi) * 0.1;
        *lo -= d;
        *hi += d;
        return;
    }
    double d = (*hi - *lo) * 0.05;
    gboolean nonneg = *lo > 0; /* a curve at exactly 0 keeps its padding off the axis */
    *lo -= d;
    *hi += d;
    if (keep_nonneg && nonneg && *lo < 0)
        *lo = 0;
}

/* The y range of one axis: fixed, or automatic (padded; the right axis is
 * [0, 1] unless its data leave it), or [0, 1] without data. */
static void axis_range(dg_line_chart *c, int a, gboolean any, dg_line_view *v)
{
    double *lo = &v->ylo[a], *hi = &v->yhi[a];
    if (isfinite(c->y_fix[a][0])) {
        *lo = c->y_fix[a][0];
        *hi = c->y_fix[a][1];
    } else if (any && auto_y_range(c, a, v->xlo, v->xhi, lo, hi)) {
        if (a == 1) {
            /* Scores: [0, 1] unless the data leaves it. */
            if (*lo >= 0 && *hi <= 1) {
                *lo = 0;
                *hi = 1;
            } else {
                *lo = MIN(*lo, 0);
                *hi = MAX(*hi, 1);
                pad_range(lo, hi, TRUE);
            }
        } else {
            pad_range(lo, hi, TRUE);
        }
    } else {
        *lo = 0;
        *hi = 1;
    }
}

void dg_line_chart_view_ranges(dg_line_chart *c, dg_line_view *v, gboolean *any,
                               gboolean *any_right)
{
    *any = FALSE;
    *any_right = FALSE;
    double dx0 = INFINITY, dx1 = -INFINITY;
    for (int i = 0; i < c->n_series; i++) {
        line_series *s = &c->s[i];
        if (!s->visible)
            continue;
        if (s->axis == DG_PLOT_AXIS_RIGHT)
            *any_right = TRUE;
        if (!s->have_range)
            continue;
        *any = TRUE;
        dx0 = MIN(dx0, s->x_min);
        dx1 = MAX(dx1, s->x_max);
    }
    v->xlo = 0;
    v->xhi = 1;
    if (*any) {
        v->xlo = c->window > 0 ? MAX(dx0, dx1 - c->window) : dx0;
        v->xhi = dx1;
    }
    if (isfinite(c->x_fix[0])) { /* zoomed in */
        v->xlo = c->x_fix[0];
        v->xhi = c->x_fix[1];
    }
    for (int a = 0; a < 2; a++)
        axis_range(c, a, *any, v);
    if (degenerate(v->xlo, v->xhi)) {
        double d = MAX(1, fabs(v->xhi) * 0.05);
        v->xlo -= d;
        v->xhi += d;
    }
}

/* Map one (x, y) to device-safe plot coordinates. */
typedef struct {
    double ox, oy, sx, sy, xlo, ylo;
} xform;

static inline double clamp_px(double v, double lo, double hi)
{
    return !(v >= lo) ? lo : v > hi ? hi : v; /* NaN -> lo */
}

static void dpush(dg_line_chart *c, size_t *n, double x, double y)
{
    if (*n == c->dcap) {
        c->dcap = MAX(4096, c->dcap * 2);
        c->px = g_renew(double, c->px, c->dcap);
        c->py = g_renew(double, c->py, c->dcap);
    }
    c->px[*n] = x;
    c->py[*n] = y;
    (*n)++;
}

/* One pixel column's lowest and highest point, and where they occurred. */
typedef struct {
    double mn, mx, mnx, mxx;
    size_t mni, mxi;
} column;

/* A column's min and max, in the order they occurred (once if the same point). */
static void column_push(dg_line_chart *c, size_t *n, const column *k)
{
    if (k->mni <= k->mxi) {
        dpush(c, n, k->mnx, k->mn);
        if (k->mxi != k->mni)
            dpush(c, n, k->mxx, k->mx);
    } else {
        dpush(c, n, k->mxx, k->mx);
        dpush(c, n, k->mnx, k->mn);
    }
}

/* Decimate points [i0, i1) of (x, y) into c->px/py in plot pixels: per
 * column (cols_per_px columns per pixel) the min and the max, in the order
 * they occurred.  Returns the number of points. */
static size_t decimate(dg_line_chart *c, const line_series *s, const float *y, size_t i0, size_t i1,
                       const xform *m, const dg_plot_rect *area, double cols_per_px)
{
    size_t n = 0;
    double lim_x0 = area->x - 4 * area->width - 100, lim_x1 = area->x + 5 * area->width + 100;
    double lim_y0 = area->y - 4 * area->height - 100, lim_y1 = area->y + 5 * area->height + 100;
    double colscale = m->sx * cols_per_px;
    gboolean open = FALSE;
    long col = 0;
    column k = {0};
    for (size_t i = i0; i < i1; i++) {
        double yy = y[i];
        if (!isfinite(yy))
            continue;
        double xx = s->x[i];
        double fc = floor((xx - m->xlo) * colscale);
        long cc = (long)clamp_px(fc, -2, 1e9);
        if (!open || cc != col) {
            if (open)
                column_push(c, &n, &k);
            open = TRUE;
            col = cc;
            k = (column){yy, yy, xx, xx, i, i};
            continue;
        }
        if (yy < k.mn) {
            k.mn = yy;
            k.mnx = xx;
            k.mni = i;
        }
        if (yy > k.mx) {
            k.mx = yy;
            k.mxx = xx;
            k.mxi = i;
        }
    }
    if (open)
        column_push(c, &n, &k);
    for (size_t i = 0; i < n; i++) {
        c->px[i] = clamp_px(m->ox + (c->px[i] - m->xlo) * m->sx, lim_x0, lim_x1);
        c->py[i] = clamp_px(m->oy - (c->py[i] - m->ylo) * m->sy, lim_y0, lim_y1);
    }
    return n;
}

/* Sparse or smooth lines: stroke them (in pieces: cairo's stroker slows down
 * with the number of self-intersections in one path). */
static void stroke_points(cairo_t *cr, const double *px, const double *py, size_t n, double lw)
{
    if (n == 1) {
        cairo_arc(cr, px[0], py[0], MAX(2.5, lw * 1.4), 0, 2 * G_PI);
        cairo_fill(cr);
        return;
    }
    cairo_set_line_width(cr, lw);
    size_t piece = n > 512 ? 64 : n;
    for (size_t i0 = 0; i0 + 1 < n; i0 += piece) {
        cairo_move_to(cr, px[i0], py[i0]);
        for (size_t i = i0 + 1; i <= i0 + piece && i < n; i++)
            cairo_line_to(cr, px[i], py[i]);
        cairo_stroke(cr);
    }
}

/* Dense, noisy lines (a zigzag between each column's min and max): fill the
 * band the stroked line would cover, column by column, which looks the same
 * and costs a millisecond or two instead of tens. */
static void fill_envelope(dg_line_chart *c, cairo_t *cr, size_t n, const dg_plot_rect *area,
                          double cols_per_px, double lw)
{
    double cw = 1 / cols_per_px;
    size_t ncols = (size_t)ceil(area->width * cols_per_px) + 1;
    if (c->envcap < 4 * ncols) {
        c->envcap = 4 * ncols;
        c->env = g_renew(double, c->env, c->envcap);
    }
    double *top = c->env, *bot = c->env + ncols;
    for (size_t i = 0; i < ncols; i++) {
        top[i] = INFINITY;
        bot[i] = -INFINITY;
    }
    const double *px = c->px, *py = c->py;
    for (size_t i = 0; i + 1 < n; i++) {
        double x0 = px[i], y0 = py[i], x1 = px[i + 1], y1 = py[i + 1];
        if (x1 < x0) {
            double t = x0;
            x0 = x1;
            x1 = t;
            t = y0;
            y0 = y1;
            y1 = t;
        }
        double f0 = (x0 - area->x) / cw, f1 = (x1 - area->x) / cw;
        if (f1 < 0 || f0 > ncols - 1)
            continue;
        long c0 = (long)floor(MAX(f0, 0)), c1 = (long)floor(MIN(f1, ncols - 1));
        for (long col = c0; col <= c1; col++) {
            /* The segment's part inside this column. */
            double xa = MAX(x0, area->x + col * cw), xb = MIN(x1, area->x + (col + 1) * cw);
            double ya = y0, yb = y1;
            if (x1 > x0) {
                ya = y0 + (y1 - y0) * (xa - x0) / (x1 - x0);
                yb = y0 + (y1 - y0) * (xb - x0) / (x1 - x0);
            }
            top[col] = MIN(top[col], MIN(ya, yb));
            bot[col] = MAX(bot[col], MAX(ya, yb));
        }
    }
    /* Widen each column's span by its neighbours' (to about the line width,
     * so a one-column spike is as wide as a stroked line), then fill the
     * staircase outline of every run of covered columns. */
    int k = (int)floor((lw - cw) / 2 / cw + 0.5);
    if (k > 0) {
        double *t2 = c->env + 2 * ncols, *b2 = t2 + ncols;
        memcpy(t2, top, ncols * sizeof *top);
        memcpy(b2, bot, ncols * sizeof *bot);
        for (size_t i = 0; i < ncols; i++)
            for (size_t j = i > (size_t)k ? i - k : 0; j <= i + k && j < ncols; j++) {
                top[i] = MIN(top[i], t2[j]);
                bot[i] = MAX(bot[i], b2[j]);
            }
    }
    double h = lw / 2;
    for (size_t a = 0; a < ncols;) {
        if (!(top[a] <= bot[a])) {
            a++;
            continue;
        }
        size_t b = a;
        while (b + 1 < ncols && top[b + 1] <= bot[b + 1])
            b++;
        cairo_move_to(cr, area->x + a * cw, top[a] - h);
        for (size_t i = a; i <= b; i++) {
            cairo_line_to(cr, area->x + i * cw, top[i] - h);
            cairo_line_to(cr, area->x + (i + 1) * cw, top[i] - h);
        }
        for (size_t i = b + 1; i-- > a;) {
            cairo_line_to(cr, area->x + (i + 1) * cw, bot[i] + h);
            cairo_line_to(cr, area->x + i * cw, bot[i] + h);
        }
        cairo_close_path(cr);
        a = b + 1;
    }
    cairo_fill(cr);
}

/* Draw decimated points: a band when they zigzag densely, else a line,
 * dashed if asked and if the line is calm enough for dashes to read as
 * dashes (on a dense zigzag they turn into noise). */
static void draw_points(dg_line_chart *c, cairo_t *cr, size_t n, const dg_plot_rect *area,
                        double cols_per_px, double lw, gboolean dashed)
{
    double cols = area->width * cols_per_px;
    double sdy = 0;
    for (size_t i = 0; i + 1 < n; i++)
        sdy += fabs(c->py[i + 1] - c->py[i]);
    double mean_dy = n > 1 ? sdy / (n - 1) : 0;
    if (n > cols && n > 64 && mean_dy > 3.0) {
        fill_envelope(c, cr, n, area, cols_per_px, lw);
        return;
    }
    if (dashed && (n <= cols / 2 || mean_dy <= 1.0)) {
        double d[] = {5, 3};
        cairo_set_dash(cr, d, 2, 0);
    }
    stroke_points(cr, c->px, c->py, n, lw);
    cairo_set_dash(cr, NULL, 0, 0);
}

/* How many samples along the polyline fall into each of four boxes. */
static void count_hits(const double *px, const double *py, size_t n, const dg_plot_rect *boxes,
                       int *hits)
{
    for (size_t i = 0; i < n; i++) {
        double x0 = px[i], y0 = py[i];
        double x1 = i + 1 < n ? px[i + 1] : x0, y1 = i + 1 < n ? py[i + 1] : y0;
        int steps = (int)CLAMP(hypot(x1 - x0, y1 - y0) / 4, 1, 8);
        for (int j = 0; j < steps; j++) {
            double sx = x0 + (x1 - x0) * j / steps, sy = y0 + (y1 - y0) * j / steps;
            for (int b = 0; b < 4; b++)
                hits[b] += sx >= boxes[b].x - 3 && sx <= boxes[b].x + boxes[b].width + 3 &&
                           sy >= boxes[b].y - 3 && sy <= boxes[b].y + boxes[b].height + 3;
        }
    }
}

/* One series in one pass (0: the faint raw series under smoothing; 1: the
 * line). */
static void series_draw(dg_line_chart *c, line_series *s, cairo_t *cr, const dg_plot_theme *th,
                        const dg_line_view *v, int pass, double cols_per_px,
                        const dg_plot_rect *boxes, int *hits)
{
    if (!s->visible || !s->have_range)
        return;
    const dg_plot_rect *area = &v->area;
    int a = s->axis == DG_PLOT_AXIS_RIGHT;
    xform m = {area->x, area->y + area->height, area->width / (v->xhi - v->xlo),
               area->height / (v->yhi[a] - v->ylo[a]), v->xlo, v->ylo[a]};
    size_t i0, i1;
    visible_range(s, v->xlo, v->xhi, &i0, &i1);
    const float *ys = s->y;
    if (pass == 1 && c->smoothing > 0) {
        update_smoothing(s, c->smoothing);
        ys = s->sm;
    }
    size_t n = decimate(c, s, ys, i0, i1, &m, area, cols_per_px);
    if (n == 0)
        return;
    if (boxes && pass == 1)
        count_hits(c->px, c->py, n, boxes, hits);
    dg_plot_rgba col = dg_plot_palette(th, s->color);
    if (s->faint) { /* a reference (an earlier run): thin and light, smoothed like the rest */
        if (pass == 1) {
            dg_plot_set_color(cr, col, 0.45);
            draw_points(c, cr, n, area, cols_per_px, MAX(1.0, th->line_width * 0.6), TRUE);
        }
    } else if (pass == 0) {
        dg_plot_set_color(cr, col, 0.28);
        draw_points(c, cr, n, area, cols_per_px, 1.0, FALSE);
    } else {
        dg_plot_set_color(cr, col, 1);
        draw_points(c, cr, n, area, cols_per_px, th->line_width, a);
    }
    cairo_set_dash(cr, NULL, 0, 0);
}

void dg_line_chart_draw_series(dg_line_chart *c, cairo_t *cr, const dg_plot_theme *th,
                               const dg_line_view *v, const dg_plot_rect *boxes, int *hits)
{
    const dg_plot_rect *area = &v->area;
    double cols_per_px = 1, dy = 0;
    cairo_user_to_device_distance(cr, &cols_per_px, &dy);
    cols_per_px = CLAMP(fabs(cols_per_px), 0.25, 8);
    cairo_save(cr);
    cairo_rectangle(cr, area->x, area->y - 1, area->width + 1, area->height + 1);
    cairo_clip(cr);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0 && c->smoothing <= 0)
            continue;
        for (int si = 0; si < c->n_series; si++)
            series_draw(c, &c->s[si], cr, th, v, pass, cols_per_px, boxes, hits);
    }
    cairo_restore(cr);
}

gboolean dg_line_chart_value_at(dg_line_chart *c, int series, double x, double *x_found,
                                double *raw, double *smoothed)
{
    if (series < 0 || series >= c->n_series)
        return FALSE;
    line_series *s = &c->s[series];
    if (!s->have_range || !isfinite(x))
        return FALSE;
    size_t best = s->n;
    double bd = INFINITY;
    if (s->sorted) {
        size_t a = 0, b = s->n; /* first x >= x */
        while (a < b) {
            size_t m = a + (b - a) / 2;
            if (s->x[m] < x)
                a = m + 1;
            else
                b = m;
        }
        /* the nearest finite point on either side */
        for (size_t i = a; i < s->n && i < a + 64; i++)
            if (isfinite(s->y[i])) {
                bd = fabs(s->x[i] - x);
                best = i;
                break;
            }
        for (size_t i = a; i-- > 0 && i + 64 > a;)
            if (isfinite(s->y[i])) {
                if (fabs(s->x[i] - x) <= bd)
                    best = i;
                break;
            }
    } else {
        for (size_t i = 0; i < s->n; i++)
            if (isfinite(s->y[i]) && fabs(s->x[i] - x) < bd) {
                bd = fabs(s->x[i] - x);
                best = i;
            }
    }
    if (best >= s->n)
        return FALSE;
    if (x_found)
        *x_found = s->x[best];
    if (raw)
        *raw = s->y[best];
    if (smoothed) {
        if (c->smoothing > 0) {
            update_smoothing(s, c->smoothing);
            *smoothed = s->sm[best];
        } else {
            *smoothed = s->y[best];
        }
    }
    return TRUE;
}

/* dg-line-chart.c: the line chart (see dg-plot.h): its data and its layout, axes
 * and legend; the series are drawn by dg-line-series.c. */
#include "dg-line-chart-private.h"

#include <string.h>

dg_line_chart *dg_line_chart_new(void)
{
    dg_line_chart *c = g_new0(dg_line_chart, 1);
    c->clip = 0.01;
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

void dg_line_chart_draw(dg_line_chart *c, cairo_t *cr, double x, double y, double w, double h,
                        const dg_plot_theme *theme)
{
    dg_plot_theme store;
    const dg_plot_theme *th = dg_plot_theme_or_default(theme, &store);
    dg_plot_ink k;
    c->have_layout = FALSE;
    if (!(w > 0 && h > 0))
        return;
    dg_plot_begin(cr, &k, th, x, y, w, h);
    const double pad = 8;

    /* ---- Data extents. */
    gboolean any = FALSE, any_right = FALSE;
    double dx0 = INFINITY, dx1 = -INFINITY;
    for (int i = 0; i < c->n_series; i++) {
        line_series *s = &c->s[i];
        if (!s->visible)
            continue;
        if (s->axis == DG_PLOT_AXIS_RIGHT)
            any_right = TRUE;
        if (!s->have_range)
            continue;
        any = TRUE;
        dx0 = MIN(dx0, s->x_min);
        dx1 = MAX(dx1, s->x_max);
    }
    double xlo = 0, xhi = 1;
    if (any) {
        xlo = c->window > 0 ? MAX(dx0, dx1 - c->window) : dx0;
        xhi = dx1;
    }
    double ylo[2] = {0, 0}, yhi[2] = {1, 1};
    for (int a = 0; a < 2; a++) {
        if (isfinite(c->y_fix[a][0])) {
            ylo[a] = c->y_fix[a][0];
            yhi[a] = c->y_fix[a][1];
        } else if (any && dg_line_chart_auto_y_range(c, a, xlo, xhi, &ylo[a], &yhi[a])) {
            if (a == 1) {
                /* Scores: [0, 1] unless the data leaves it. */
                if (ylo[a] >= 0 && yhi[a] <= 1) {
                    ylo[a] = 0;
                    yhi[a] = 1;
                } else {
                    ylo[a] = MIN(ylo[a], 0);
                    yhi[a] = MAX(yhi[a], 1);
                    dg_line_range_pad(&ylo[a], &yhi[a], TRUE);
                }
            } else {
                dg_line_range_pad(&ylo[a], &yhi[a], TRUE);
            }
        } else {
            ylo[a] = 0;
            yhi[a] = 1;
        }
    }
    if (dg_line_range_degenerate(xlo, xhi)) {
        double d = MAX(1, fabs(xhi) * 0.05);
        xlo -= d;
        xhi += d;
    }

    /* ---- Layout: vertical. */
    double top = y + pad;
    double plot_x0_guess = x + pad, plot_x1_guess = x + w - pad;
    top += dg_plot_title_draw(&k, c->title, plot_x0_guess, plot_x1_guess, top);
    dg_plot_use_font(&k, 1.0, FALSE);
    double tick_cap = k.cap, lab_h = dg_plot_line_h(&k);
    double bottom = y + h - pad;
    if (c->x_label)
        bottom -= lab_h + 5;
    bottom -= tick_cap + 7; /* x tick labels: digits, no descenders */
    double plot_y0 = top + tick_cap / 2 + 1, plot_y1 = bottom;
    if (plot_y1 - plot_y0 < 24 || w < 60) {
        /* Too small for a chart: leave the background (a frame) only. */
        cairo_restore(cr);
        return;
    }

    /* ---- Layout: horizontal. */
    dg_plot_ticks ty[2], tx;
    dg_plot_y_ticks(&ty[0], ylo[0], yhi[0], plot_y1 - plot_y0);
    dg_plot_y_ticks(&ty[1], ylo[1], yhi[1], plot_y1 - plot_y0);
    double left = x + pad;
    if (c->y_label)
        left += lab_h + 6;
    left += dg_plot_ticks_width(&k, &ty[0]) + 7;
    double right = x + w - pad;
    if (any_right) {
        right -= dg_plot_ticks_width(&k, &ty[1]) + 7;
        if (c->y2_label)
            right -= lab_h + 6;
    }

    dg_plot_legend_entry entries[64];
    int n_entries = 0;
    for (int i = 0; i < c->n_series && n_entries < 64; i++) {
        if (!c->s[i].visible)
            continue;
        entries[n_entries++] = (dg_plot_legend_entry){
            c->s[i].name, dg_plot_palette(th, c->s[i].color), c->s[i].axis == DG_PLOT_AXIS_RIGHT};
    }
    dg_plot_legend legend = n_entries > 0 ? c->legend : DG_PLOT_LEGEND_NONE;
    double legend_w = 0;
    if (legend == DG_PLOT_LEGEND_OUTSIDE) {
        legend_w = dg_plot_legend_width(&k, entries, n_entries, (right - left) * 0.4);
        if (right - left - legend_w - 12 < 160)
            legend = DG_PLOT_LEGEND_INSIDE;
        else
            right -= legend_w + 12;
    }
    dg_plot_use_font(&k, 1.0, FALSE);
    dg_plot_x_ticks(&k, &tx, xlo, xhi, right - left);
    if (!any_right && legend != DG_PLOT_LEGEND_OUTSIDE && tx.n > 0) {
        /* The last x label is centred on its tick: keep it inside the rectangle. */
        double tick_px = left + (tx.value[tx.n - 1] - xlo) / (xhi - xlo) * (right - left);
        double over = tick_px + dg_plot_text_w(&k, tx.label[tx.n - 1]) / 2 - (x + w - pad / 2);
        if (over > 0) {
            right -= over;
            dg_plot_x_ticks(&k, &tx, xlo, xhi, right - left);
        }
    }
    if (right - left < 30) {
        cairo_restore(cr);
        return;
    }
    dg_plot_rect area = {left, plot_y0, right - left, plot_y1 - plot_y0};
    c->have_layout = TRUE;
    c->area = area;
    c->x_lo = xlo;
    c->x_hi = xhi;
    c->y_lo = ylo[0];
    c->y_hi = yhi[0];

    /* ---- Grid, axes, ticks. */
    cairo_set_line_width(cr, 1);
    dg_plot_set_color(cr, th->grid, 1);
    for (int i = 0; i < ty[0].n; i++) {
        double py = dg_plot_snap(area.y + area.height -
                                 (ty[0].value[i] - ylo[0]) / (yhi[0] - ylo[0]) * area.height);
        cairo_move_to(cr, area.x, py);
        cairo_line_to(cr, area.x + area.width, py);
    }
    for (int i = 0; i < tx.n; i++) {
        double px = dg_plot_snap(area.x + (tx.value[i] - xlo) / (xhi - xlo) * area.width);
        cairo_move_to(cr, px, area.y);
        cairo_line_to(cr, px, area.y + area.height);
    }
    cairo_stroke(cr);
    dg_plot_set_color(cr, th->axis, 1);
    double ax0 = dg_plot_snap(area.x) - 1, ay1 = dg_plot_snap(area.y + area.height);
    cairo_move_to(cr, ax0, area.y);
    cairo_line_to(cr, ax0, ay1);
    cairo_line_to(cr, area.x + area.width, ay1);
    if (any_right) {
        double ax1 = dg_plot_snap(area.x + area.width);
        cairo_move_to(cr, ax1, area.y);
        cairo_line_to(cr, ax1, ay1);
    }
    cairo_stroke(cr);

    dg_plot_set_color(cr, th->muted, any ? 1 : 0); /* no data: no numbers either */
    for (int i = 0; i < ty[0].n; i++) {
        double py = area.y + area.height - (ty[0].value[i] - ylo[0]) / (yhi[0] - ylo[0]) *
                                               area.height;
        dg_plot_text_at(&k, ty[0].label[i], area.x - 7, py, 1, 0.5);
    }
    if (any_right) {
        for (int i = 0; i < ty[1].n; i++) {
            double py = area.y + area.height - (ty[1].value[i] - ylo[1]) / (yhi[1] - ylo[1]) *
                                                   area.height;
            dg_plot_text_at(&k, ty[1].label[i], area.x + area.width + 7, py, 0, 0.5);
        }
    }
    for (int i = 0; i < tx.n; i++) {
        double px = area.x + (tx.value[i] - xlo) / (xhi - xlo) * area.width;
        dg_plot_text_at(&k, tx.label[i], px, area.y + area.height + 7, 0.5, 0);
    }
    dg_plot_set_color(cr, th->foreground, 0.85);
    if (c->x_label) {
        char *s = dg_plot_ellipsize(&k, c->x_label, area.width);
        dg_plot_text_at(&k, s, area.x + area.width / 2, y + h - pad - lab_h, 0.5, 0);
        g_free(s);
    }
    if (c->y_label) {
        char *s = dg_plot_ellipsize(&k, c->y_label, area.height);
        dg_plot_text_vertical(&k, s, x + pad, area.y + area.height / 2);
        g_free(s);
    }
    if (any_right && c->y2_label) {
        char *s = dg_plot_ellipsize(&k, c->y2_label, area.height);
        dg_plot_text_vertical(&k, s, area.x + area.width + 7 + dg_plot_ticks_width(&k, &ty[1]) + 6,
                      area.y + area.height / 2);
        g_free(s);
    }

    /* ---- Inside legend: candidate boxes in the four corners. */
    dg_plot_rect boxes[4];
    int hits[4] = {0, 0, 0, 0};
    if (legend == DG_PLOT_LEGEND_INSIDE) {
        double bw = dg_plot_legend_width(&k, entries, n_entries, area.width - 16);
        double bh = dg_plot_legend_height(&k, n_entries, area.height - 12);
        double l = area.x + 8, r = area.x + area.width - 8 - bw;
        double t = area.y + 6, b = area.y + area.height - 6 - bh;
        boxes[0] = (dg_plot_rect){r, t, bw, bh};
        boxes[1] = (dg_plot_rect){l, t, bw, bh};
        boxes[2] = (dg_plot_rect){r, b, bw, bh};
        boxes[3] = (dg_plot_rect){l, b, bw, bh};
    }

    /* ---- Series. */
    double cols_per_px = 1, dy = 0;
    cairo_user_to_device_distance(cr, &cols_per_px, &dy);
    cols_per_px = CLAMP(fabs(cols_per_px), 0.25, 8);
    cairo_save(cr);
    cairo_rectangle(cr, area.x, area.y - 1, area.width + 1, area.height + 1);
    cairo_clip(cr);
    for (int pass = 0; pass < 2; pass++) {
        /* Pass 0: the faint raw series under smoothing; pass 1: the lines. */
        if (pass == 0 && c->smoothing <= 0)
            continue;
        for (int si = 0; si < c->n_series; si++) {
            line_series *s = &c->s[si];
            if (!s->visible || !s->have_range)
                continue;
            int a = s->axis == DG_PLOT_AXIS_RIGHT;
            dg_line_xform m = {area.x, area.y + area.height, area.width / (xhi - xlo),
                       area.height / (yhi[a] - ylo[a]), xlo, ylo[a]};
            size_t i0, i1;
            dg_line_series_visible_range(s, xlo, xhi, &i0, &i1);
            const float *ys = s->y;
            if (pass == 1 && c->smoothing > 0) {
                dg_line_series_update_smoothing(s, c->smoothing);
                ys = s->sm;
            }
            size_t n = dg_line_chart_decimate(c, s, ys, i0, i1, &m, &area, cols_per_px);
            if (n == 0)
                continue;
            if (legend == DG_PLOT_LEGEND_INSIDE && pass == 1)
                dg_line_count_hits(c->px, c->py, n, boxes, hits);
            dg_plot_rgba col = dg_plot_palette(th, s->color);
            if (pass == 0) {
                dg_plot_set_color(cr, col, 0.28);
                dg_line_chart_draw_points(c, cr, n, &area, cols_per_px, 1.0, FALSE);
            } else {
                dg_plot_set_color(cr, col, 1);
                dg_line_chart_draw_points(c, cr, n, &area, cols_per_px, th->line_width, a);
            }
            cairo_set_dash(cr, NULL, 0, 0);
        }
    }
    cairo_restore(cr);

    if (!any) {
        dg_plot_use_font(&k, 1.0, FALSE);
        dg_plot_set_color(cr, th->muted, 1);
        dg_plot_text_at(&k, "No data yet", area.x + area.width / 2, area.y + area.height / 2, 0.5,
                        0.5);
    }

    /* ---- Legend: inside, in the corner the lines cross least (top-right
     * unless another is clearly better; a corner, once taken, is kept
     * unless it gets clearly worse, so a live chart's legend does not hop). */
    if (legend == DG_PLOT_LEGEND_INSIDE) {
        int best = 0;
        for (int i = 1; i < 4; i++)
            if (hits[i] < hits[best])
                best = i;
        int cur = CLAMP(c->legend_corner, 0, 3);
        if (hits[cur] > hits[best] + 2 + hits[best] / 4)
            cur = hits[0] <= hits[best] + 2 + hits[best] / 4 ? 0 : best;
        c->legend_corner = cur;
        dg_plot_legend_box_draw(&k, entries, n_entries, boxes[cur].x + boxes[cur].width,
                                boxes[cur].y, area.width - 16, area.height - 12, TRUE,
                                th->line_width);
    }
    else if (legend == DG_PLOT_LEGEND_OUTSIDE)
        dg_plot_legend_box_draw(&k, entries, n_entries, x + w - pad, area.y, legend_w, area.height,
                        TRUE, th->line_width);
    cairo_restore(cr);
}

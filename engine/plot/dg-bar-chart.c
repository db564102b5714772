/* dg-bar-chart.c: the bar chart (see dg-plot.h). */
#include "dg-plot-private.h"

typedef struct {
    char *name;
    double *v, *e; /* e may be NULL */
} bar_series;

struct dg_bar_chart {
    char *title, *x_label, *y_label;
    int n_cat;
    char **cat;
    bar_series *s;
    int n_series;
    gboolean show_values, by_category;
    char *value_format;
    double y_fix[2];
    dg_plot_legend legend;
};

dg_bar_chart *dg_bar_chart_new(void)
{
    dg_bar_chart *c = g_new0(dg_bar_chart, 1);
    c->show_values = TRUE;
    c->y_fix[0] = c->y_fix[1] = NAN;
    c->legend = DG_PLOT_LEGEND_INSIDE;
    return c;
}

static void bar_clear_series(dg_bar_chart *c)
{
    for (int i = 0; i < c->n_series; i++) {
        g_free(c->s[i].name);
        g_free(c->s[i].v);
        g_free(c->s[i].e);
    }
    g_free(c->s);
    c->s = NULL;
    c->n_series = 0;
}

void dg_bar_chart_free(dg_bar_chart *c)
{
    if (!c)
        return;
    bar_clear_series(c);
    g_strfreev(c->cat);
    g_free(c->title);
    g_free(c->x_label);
    g_free(c->y_label);
    g_free(c->value_format);
    g_free(c);
}

void dg_bar_chart_set_title(dg_bar_chart *c, const char *title)
{
    dg_plot_replace_str(&c->title, title);
}

void dg_bar_chart_set_labels(dg_bar_chart *c, const char *x_label, const char *y_label)
{
    dg_plot_replace_str(&c->x_label, x_label);
    dg_plot_replace_str(&c->y_label, y_label);
}

void dg_bar_chart_set_categories(dg_bar_chart *c, int n, const char *const *names)
{
    bar_clear_series(c);
    g_strfreev(c->cat);
    n = MAX(n, 0);
    c->cat = g_new0(char *, n + 1);
    for (int i = 0; i < n; i++)
        c->cat[i] = names && names[i] ? g_strdup(names[i]) : g_strdup_printf("%d", i);
    c->n_cat = n;
}

int dg_bar_chart_add_series(dg_bar_chart *c, const char *name, const double *values,
                            const double *errors)
{
    g_return_val_if_fail(values != NULL || c->n_cat == 0, -1);
    c->s = g_renew(bar_series, c->s, c->n_series + 1);
    bar_series *s = &c->s[c->n_series];
    s->name = g_strdup(name ? name : "");
    s->v = c->n_cat ? g_memdup2(values, sizeof(double) * c->n_cat) : NULL;
    s->e = errors && c->n_cat ? g_memdup2(errors, sizeof(double) * c->n_cat) : NULL;
    return c->n_series++;
}

void dg_bar_chart_set_value_labels(dg_bar_chart *c, gboolean show, const char *format)
{
    c->show_values = show;
    dg_plot_replace_str(&c->value_format, format);
}

void dg_bar_chart_set_color_by_category(dg_bar_chart *c, gboolean by_category)
{
    c->by_category = by_category;
}

void dg_bar_chart_set_y_range(dg_bar_chart *c, double lo, double hi)
{
    if (isfinite(lo) && isfinite(hi) && lo != hi) {
        c->y_fix[0] = MIN(lo, hi);
        c->y_fix[1] = MAX(lo, hi);
    } else {
        c->y_fix[0] = c->y_fix[1] = NAN;
    }
}

void dg_bar_chart_set_legend(dg_bar_chart *c, dg_plot_legend legend)
{
    c->legend = legend;
}

DG_PLOT_DEFINE_KIND(dg_bar_chart, "bar")

/* Rounded only at the end away from the baseline (bars). */
static void bar_path(cairo_t *cr, double x, double y, double w, double h, double r, gboolean up)
{
    r = MIN(r, MIN(w / 2, h));
    if (r <= 0.01) {
        cairo_rectangle(cr, x, y, w, h);
        return;
    }
    cairo_new_sub_path(cr);
    if (up) {
        cairo_move_to(cr, x, y + h);
        cairo_arc(cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
        cairo_arc(cr, x + w - r, y + r, r, -G_PI / 2, 0);
        cairo_line_to(cr, x + w, y + h);
    } else {
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x + w, y);
        cairo_arc(cr, x + w - r, y + h - r, r, 0, G_PI / 2);
        cairo_arc(cr, x + r, y + h - r, r, G_PI / 2, G_PI);
    }
    cairo_close_path(cr);
}

static void bar_format(const dg_bar_chart *c, gboolean integral, double v, char *buf, size_t n)
{
    if (!isfinite(v))
        g_strlcpy(buf, "\u2013", n);
    else if (c->value_format)
        g_snprintf(buf, n, c->value_format, v);
    else if (integral)
        g_snprintf(buf, n, "%.0f", v);
    else
        g_snprintf(buf, n, "%.3g", v);
}

void dg_bar_chart_draw(dg_bar_chart *c, cairo_t *cr, double x, double y, double w, double h,
                       const dg_plot_theme *theme)
{
    dg_plot_theme store;
    const dg_plot_theme *th = dg_plot_theme_or_default(theme, &store);
    dg_plot_ink k;
    if (!(w > 0 && h > 0))
        return;
    dg_plot_begin(cr, &k, th, x, y, w, h);
    const double pad = 8;
    int nc = c->n_cat, ns = c->n_series;

    /* ---- Data extents (bars start at 0). */
    double mn = 0, mx = 0;
    gboolean integral = TRUE, any = FALSE;
    for (int s = 0; s < ns; s++) {
        for (int i = 0; i < nc; i++) {
            double v = c->s[s].v[i];
            if (!isfinite(v))
                continue;
            double e = c->s[s].e && isfinite(c->s[s].e[i]) ? fabs(c->s[s].e[i]) : 0;
            mn = MIN(mn, v - e);
            mx = MAX(mx, v + e);
            any = TRUE;
            if (v != floor(v))
                integral = FALSE;
        }
    }
    if (mx == mn)
        mx = 1;

    /* ---- Vertical layout. */
    double top = y + pad;
    top += dg_plot_title_draw(&k, c->title, x + pad, x + w - pad, top);
    dg_plot_legend_entry entries[64];
    int n_entries = 0;
    if (ns > 1) {
        for (int s = 0; s < ns && s < 64; s++)
            entries[n_entries++] =
                (dg_plot_legend_entry){c->s[s].name, dg_plot_palette(th, s), FALSE};
    }
    dg_plot_legend legend = n_entries ? c->legend : DG_PLOT_LEGEND_NONE;
    dg_plot_use_font(&k, 1.0, FALSE);
    double lab_h = dg_plot_line_h(&k), tick_cap = k.cap;
    double row_h = dg_plot_legend_row_h(&k);
    double legend_y = top;
    if (legend == DG_PLOT_LEGEND_INSIDE)
        top += row_h + 6; /* a row of entries above the plot */
    double bottom = y + h - pad;
    if (c->x_label)
        bottom -= lab_h + 6;
    /* Category labels: up to 3 wrapped lines; measured below. */
    double cat_top_gap = 7;
    double plot_y0 = top + tick_cap / 2 + 1;

    /* ---- Horizontal layout. */
    double left = x + pad;
    if (c->y_label)
        left += lab_h + 6;
    double right = x + w - pad;
    double legend_w = 0;
    if (legend == DG_PLOT_LEGEND_OUTSIDE) {
        legend_w = dg_plot_legend_width(&k, entries, n_entries, w * 0.35);
        if (w - legend_w < 200) {
            legend = DG_PLOT_LEGEND_INSIDE;
            plot_y0 += row_h + 6;
        } else {
            right -= legend_w + 12;
        }
    }
    /* y ticks depend on the plot height, which depends on the category labels'
     * height, which depends on the slot width: guess, then settle. */
    double ylo = mn, yhi = mx;
    dg_plot_ticks ty;
    dg_plot_y_ticks(&ty, ylo, yhi, MAX(40, bottom - plot_y0 - 3 * lab_h));
    double tw = dg_plot_ticks_width(&k, &ty);
    double plot_x0 = left + tw + 7;
    double slot = nc > 0 ? (right - plot_x0) / nc : 0;
    dg_plot_cat_layout cl;
    dg_plot_cat_layout_compute(&k, c->cat, nc, slot, (bottom - plot_y0) * 0.35, plot_x0 - x - pad,
                               &cl);
    double plot_y1 = bottom - cl.height - cat_top_gap;
    if (plot_y1 - plot_y0 < 30 || right - plot_x0 < 30 || nc == 0) {
        if (nc == 0 && plot_y1 - plot_y0 >= 30) {
            dg_plot_set_color(cr, th->muted, 1);
            dg_plot_text_at(&k, "No data", x + w / 2, (plot_y0 + plot_y1) / 2, 0.5, 0.5);
        }
        cairo_restore(cr);
        return;
    }
    double ph = plot_y1 - plot_y0;

    /* Headroom for the value labels above (or below) the bars. */
    double vlab = c->show_values ? (k.cap * 0.9 + 6) : 0;
    if (isfinite(c->y_fix[0])) {
        ylo = c->y_fix[0];
        yhi = c->y_fix[1];
    } else {
        double f = vlab / ph;
        f = MIN(f, 0.3);
        double span = (mx - mn) / (1 - f * ((mx > 0) + (mn < 0)));
        if (mx > 0)
            yhi = mx + span * f;
        if (mn < 0)
            ylo = mn - span * f;
        if (!any) {
            ylo = 0;
            yhi = 1;
        }
    }
    dg_plot_y_ticks(&ty, ylo, yhi, ph);
    plot_x0 = left + dg_plot_ticks_width(&k, &ty) + 7;
    dg_plot_rect area = {plot_x0, plot_y0, right - plot_x0, ph};
    slot = area.width / nc;
#define BAR_Y(v) (area.y + area.height - ((v) - ylo) / (yhi - ylo) * area.height)

    /* ---- Grid and axes. */
    cairo_set_line_width(cr, 1);
    dg_plot_set_color(cr, th->grid, 1);
    for (int i = 0; i < ty.n; i++) {
        double py = dg_plot_snap(BAR_Y(ty.value[i]));
        cairo_move_to(cr, area.x, py);
        cairo_line_to(cr, area.x + area.width, py);
    }
    cairo_stroke(cr);
    dg_plot_set_color(cr, th->muted, 1);
    for (int i = 0; i < ty.n; i++)
        dg_plot_text_at(&k, ty.label[i], area.x - 7, BAR_Y(ty.value[i]), 1, 0.5);

    /* ---- Bars. */
    double group = slot * (ns > 1 ? 0.8 : 0.66);
    double bw = group / MAX(ns, 1);
    double gap = ns > 1 ? MIN(2.0, bw * 0.12) : 0;
    double base = BAR_Y(CLAMP(0, ylo, yhi));
    cairo_save(cr);
    cairo_rectangle(cr, area.x, area.y - 1, area.width, area.height + 2);
    cairo_clip(cr);
    for (int i = 0; i < nc; i++) {
        double gx = area.x + slot * i + (slot - group) / 2;
        for (int s = 0; s < ns; s++) {
            double v = c->s[s].v[i];
            if (!isfinite(v))
                continue;
            double bx = gx + s * bw + gap / 2, bww = bw - gap;
            double vy = BAR_Y(v);
            dg_plot_rgba col = dg_plot_palette(th, ns == 1 && c->by_category ? i : s);
            dg_plot_set_color(cr, col, 1);
            if (v >= 0)
                bar_path(cr, bx, vy, bww, base - vy, MIN(3, bww / 4), TRUE);
            else
                bar_path(cr, bx, base, bww, vy - base, MIN(3, bww / 4), FALSE);
            cairo_fill(cr);
            if (c->s[s].e && isfinite(c->s[s].e[i]) && c->s[s].e[i] != 0) {
                double e = fabs(c->s[s].e[i]);
                double cx = dg_plot_snap(bx + bww / 2), cap = MIN(bww * 0.3, 6);
                double y0 = BAR_Y(v - e), y1 = BAR_Y(v + e);
                dg_plot_set_color(cr, th->foreground, 0.75);
                cairo_set_line_width(cr, 1.25);
                cairo_move_to(cr, cx, y0);
                cairo_line_to(cr, cx, y1);
                cairo_move_to(cr, cx - cap, y0);
                cairo_line_to(cr, cx + cap, y0);
                cairo_move_to(cr, cx - cap, y1);
                cairo_line_to(cr, cx + cap, y1);
                cairo_stroke(cr);
            }
        }
    }
    cairo_restore(cr);
    /* Zero line over the bars' feet. */
    dg_plot_set_color(cr, th->axis, 1);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, area.x, dg_plot_snap(base));
    cairo_line_to(cr, area.x + area.width, dg_plot_snap(base));
    cairo_stroke(cr);

    /* ---- Values on the bars: all of them when they all fit, else none. */
    if (c->show_values && ns > 0) {
        dg_plot_use_font(&k, 0.9, FALSE);
        double room = ns > 1 ? bw + gap : slot - 4;
        gboolean fit = TRUE;
        char buf[64];
        for (int s = 0; s < ns && fit; s++)
            for (int i = 0; i < nc && fit; i++) {
                bar_format(c, integral, c->s[s].v[i], buf, sizeof buf);
                fit = dg_plot_text_w(&k, buf) <= room - 1;
            }
        if (fit) {
            dg_plot_set_color(cr, th->foreground, 0.85);
            for (int i = 0; i < nc; i++) {
                double gx = area.x + slot * i + (slot - group) / 2;
                for (int s = 0; s < ns; s++) {
                    double v = c->s[s].v[i];
                    if (!isfinite(v))
                        continue;
                    double e = c->s[s].e && isfinite(c->s[s].e[i]) ? fabs(c->s[s].e[i]) : 0;
                    double cx = gx + s * bw + bw / 2;
                    bar_format(c, integral, v, buf, sizeof buf);
                    if (v >= 0) {
                        double ty0 = BAR_Y(v + e) - 4;
                        if (ty0 - k.cap >= area.y - tick_cap / 2)
                            dg_plot_text_at(&k, buf, cx, ty0, 0.5, 1);
                    } else {
                        double ty0 = BAR_Y(v - e) + 4;
                        if (ty0 + k.cap <= area.y + area.height)
                            dg_plot_text_at(&k, buf, cx, ty0, 0.5, 0);
                    }
                }
            }
        }
        dg_plot_use_font(&k, 1.0, FALSE);
    }

    /* ---- Category labels, axis titles, legend. */
    dg_plot_set_color(cr, th->foreground, 0.85);
    for (int i = 0; i < nc; i++)
        dg_plot_cat_label_draw(&k, &cl, c->cat[i], i, slot, area.x + slot * (i + 0.5),
                       area.y + area.height + cat_top_gap);
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
    if (legend == DG_PLOT_LEGEND_INSIDE) {
        /* One row, right-aligned above the plot. */
        dg_plot_legend_row_draw(&k, entries, n_entries, area.x, area.x + area.width,
                                legend_y + (row_h - 3) / 2);
    } else if (legend == DG_PLOT_LEGEND_OUTSIDE) {
        dg_plot_legend_box_draw(&k, entries, n_entries, x + w - pad, area.y, legend_w, area.height,
                        FALSE, th->line_width);
    }
#undef BAR_Y
    cairo_restore(cr);
}

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

/* ---- Drawing -------------------------------------------------------------
 *
 * dg_bar_chart_draw: the data's extents (bar_extents), the title, the layout
 * (bar_layout_vertical, bar_layout_horizontal, bar_layout_plot), the axes
 * (bar_axes_draw), the bars (bar_series_draw, bar_values_draw), the labels
 * (bar_labels_draw) and the legend (bar_legend_draw). */

/* Category labels: up to 3 wrapped lines, this far under the plot. */
#define CAT_TOP_GAP 7.0

typedef struct {
    double mn, mx;           /* data with error bars, and 0 */
    gboolean integral, any;  /* every value an integer; any finite value */
    double lab_h, tick_cap;  /* an axis title's height; a tick label's capitals */
    double row_h, legend_y;  /* a legend row's height and (inside legend) top */
    double bottom;           /* of the space for the plot and the category labels */
    double left, right;      /* of the space for the y tick labels and the plot */
    double plot_y0, plot_y1; /* top and bottom of the plot */
    dg_plot_legend legend;   /* where the legend goes after all (NONE without entries) */
    double legend_w;         /* an outside legend's width */
    dg_plot_legend_entry entries[DG_PLOT_LEGEND_MAX];
    int n_entries;
    dg_plot_cat_layout cl; /* the category labels */
    double ylo, yhi;       /* the y range shown */
    dg_plot_ticks ty;
    dg_plot_rect area;           /* the plot */
    double slot, group, bw, gap; /* a category's width, its bars', one bar's, between bars */
} bar_layout;

static double bar_y(const bar_layout *L, double v)
{
    return dg_plot_map_y(&L->area, L->ylo, L->yhi, v);
}

/* Extents of the data (bars start at 0, error bars included). */
static void bar_extents(const dg_bar_chart *c, bar_layout *L)
{
    L->mn = L->mx = 0;
    L->integral = TRUE;
    L->any = FALSE;
    for (int s = 0; s < c->n_series; s++) {
        for (int i = 0; i < c->n_cat; i++) {
            double v = c->s[s].v[i];
            if (!isfinite(v))
                continue;
            double e = c->s[s].e && isfinite(c->s[s].e[i]) ? fabs(c->s[s].e[i]) : 0;
            L->mn = MIN(L->mn, v - e);
            L->mx = MAX(L->mx, v + e);
            L->any = TRUE;
            if (v != floor(v))
                L->integral = FALSE;
        }
    }
    if (L->mx == L->mn)
        L->mx = 1;
}

/* Top of the plot under the title and an inside legend's row; bottom of the
 * space left for the plot and its category labels. */
static void bar_layout_vertical(const dg_bar_chart *c, dg_plot_frame *f, bar_layout *L)
{
    dg_plot_ink *k = &f->k;
    double top = f->y + DG_PLOT_PAD + dg_plot_title_height(k, c->title);
    L->n_entries = 0;
    if (c->n_series > 1) {
        for (int s = 0; s < c->n_series && s < DG_PLOT_LEGEND_MAX; s++)
            L->entries[L->n_entries++] =
                (dg_plot_legend_entry){c->s[s].name, dg_plot_palette(f->th, s), FALSE};
    }
    L->legend = L->n_entries ? c->legend : DG_PLOT_LEGEND_NONE;
    dg_plot_use_font(k, 1.0, FALSE);
    L->lab_h = dg_plot_line_h(k);
    L->tick_cap = k->cap;
    L->row_h = dg_plot_legend_row_h(k);
    L->legend_y = top;
    if (L->legend == DG_PLOT_LEGEND_INSIDE)
        top += L->row_h + 6; /* a row of entries above the plot */
    L->bottom = f->y + f->h - DG_PLOT_PAD;
    if (c->x_label)
        L->bottom -= L->lab_h + 6;
    L->plot_y0 = top + L->tick_cap / 2 + 1;
}

/* Left and right of the space for the plot: room for the y axis title and
 * an outside legend (which moves inside, above the plot, when the chart is
 * too narrow). */
static void bar_layout_horizontal(const dg_bar_chart *c, dg_plot_frame *f, bar_layout *L)
{
    L->left = f->x + DG_PLOT_PAD;
    if (c->y_label)
        L->left += L->lab_h + 6;
    L->right = f->x + f->w - DG_PLOT_PAD;
    L->legend_w = 0;
    if (L->legend == DG_PLOT_LEGEND_OUTSIDE) {
        L->legend_w = dg_plot_legend_width(&f->k, L->entries, L->n_entries, f->w * 0.35);
        if (f->w - L->legend_w < 200) {
            L->legend = DG_PLOT_LEGEND_INSIDE;
            L->plot_y0 += L->row_h + 6;
        } else {
            L->right -= L->legend_w + 12;
        }
    }
}

/* The y range: fixed, or the data's with headroom for the value labels above
 * (or below) the bars, in a plot ph high. */
static void bar_y_range(const dg_bar_chart *c, const dg_plot_ink *k, bar_layout *L, double ph)
{
    double vlab = c->show_values ? (k->cap * 0.9 + 6) : 0;
    double mn = L->mn, mx = L->mx;
    L->ylo = mn;
    L->yhi = mx;
    if (isfinite(c->y_fix[0])) {
        L->ylo = c->y_fix[0];
        L->yhi = c->y_fix[1];
    } else {
        double fr = vlab / ph;
        fr = MIN(fr, 0.3);
        double span = (mx - mn) / (1 - fr * ((mx > 0) + (mn < 0)));
        if (mx > 0)
            L->yhi = mx + span * fr;
        if (mn < 0)
            L->ylo = mn - span * fr;
        if (!L->any) {
            L->ylo = 0;
            L->yhi = 1;
        }
    }
}

/* The plot area, the category labels, the y range and ticks, and the bars'
 * widths.  The y ticks depend on the plot height, which depends on the
 * category labels' height, which depends on the slot width: guess, then
 * settle.  FALSE when there is no category or no room for a plot. */
static gboolean bar_layout_plot(const dg_bar_chart *c, dg_plot_frame *f, bar_layout *L)
{
    dg_plot_ink *k = &f->k;
    int nc = c->n_cat, ns = c->n_series;
    dg_plot_y_ticks(&L->ty, L->mn, L->mx, MAX(40, L->bottom - L->plot_y0 - 3 * L->lab_h));
    double plot_x0 = L->left + dg_plot_ticks_width(k, &L->ty) + 7;
    double slot = nc > 0 ? (L->right - plot_x0) / nc : 0;
    dg_plot_cat_layout_compute(k, c->cat, nc, slot, (L->bottom - L->plot_y0) * 0.35,
                               plot_x0 - f->x - DG_PLOT_PAD, &L->cl);
    L->plot_y1 = L->bottom - L->cl.height - CAT_TOP_GAP;
    if (L->plot_y1 - L->plot_y0 < 30 || L->right - plot_x0 < 30 || nc == 0)
        return FALSE;
    double ph = L->plot_y1 - L->plot_y0;
    bar_y_range(c, k, L, ph);
    dg_plot_y_ticks(&L->ty, L->ylo, L->yhi, ph);
    plot_x0 = L->left + dg_plot_ticks_width(k, &L->ty) + 7;
    L->area = (dg_plot_rect){plot_x0, L->plot_y0, L->right - plot_x0, ph};
    L->slot = L->area.width / nc;
    L->group = L->slot * (ns > 1 ? 0.8 : 0.66);
    L->bw = L->group / MAX(ns, 1);
    L->gap = ns > 1 ? MIN(2.0, L->bw * 0.12) : 0;
    return TRUE;
}

/* Grid lines and labels at the y ticks. */
static void bar_axes_draw(dg_plot_frame *f, const bar_layout *L)
{
    cairo_t *cr = f->cr;
    const dg_plot_rect *area = &L->area;
    cairo_set_line_width(cr, 1);
    dg_plot_set_color(cr, f->th->grid, 1);
    for (int i = 0; i < L->ty.n; i++) {
        double py = dg_plot_snap(bar_y(L, L->ty.value[i]));
        cairo_move_to(cr, area->x, py);
        cairo_line_to(cr, area->x + area->width, py);
    }
    cairo_stroke(cr);
    dg_plot_set_color(cr, f->th->muted, 1);
    for (int i = 0; i < L->ty.n; i++)
        dg_plot_text_at(&f->k, L->ty.label[i], area->x - 7, bar_y(L, L->ty.value[i]), 1, 0.5);
}

/* An error bar: a vertical line from y0 to y1 at cx, capped at both ends. */
static void error_bar_draw(cairo_t *cr, const dg_plot_theme *th, double cx, double y0, double y1,
                           double cap)
{
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

/* The bars, grouped by category, with their error bars, then the zero line
 * over their feet. */
static void bar_series_draw(const dg_bar_chart *c, dg_plot_frame *f, const bar_layout *L)
{
    cairo_t *cr = f->cr;
    const dg_plot_rect *area = &L->area;
    int ns = c->n_series;
    double base = bar_y(L, CLAMP(0, L->ylo, L->yhi));
    cairo_save(cr);
    cairo_rectangle(cr, area->x, area->y - 1, area->width, area->height + 2);
    cairo_clip(cr);
    for (int i = 0; i < c->n_cat; i++) {
        double gx = area->x + L->slot * i + (L->slot - L->group) / 2;
        for (int s = 0; s < ns; s++) {
            double v = c->s[s].v[i];
            if (!isfinite(v))
                continue;
            double bx = gx + s * L->bw + L->gap / 2, bww = L->bw - L->gap;
            double vy = bar_y(L, v);
            dg_plot_rgba col = dg_plot_palette(f->th, ns == 1 && c->by_category ? i : s);
            dg_plot_set_color(cr, col, 1);
            if (v >= 0)
                bar_path(cr, bx, vy, bww, base - vy, MIN(3, bww / 4), TRUE);
            else
                bar_path(cr, bx, base, bww, vy - base, MIN(3, bww / 4), FALSE);
            cairo_fill(cr);
            if (c->s[s].e && isfinite(c->s[s].e[i]) && c->s[s].e[i] != 0) {
                double e = fabs(c->s[s].e[i]);
                error_bar_draw(cr, f->th, dg_plot_snap(bx + bww / 2), bar_y(L, v - e),
                               bar_y(L, v + e), MIN(bww * 0.3, 6));
            }
        }
    }
    cairo_restore(cr);
    dg_plot_set_color(cr, f->th->axis, 1);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, area->x, dg_plot_snap(base));
    cairo_line_to(cr, area->x + area->width, dg_plot_snap(base));
    cairo_stroke(cr);
}

/* Whether every value label fits its bar (or, with one series, its slot). */
static gboolean bar_values_fit(const dg_bar_chart *c, const dg_plot_ink *k, const bar_layout *L)
{
    double room = c->n_series > 1 ? L->bw + L->gap : L->slot - 4;
    char buf[64];
    for (int s = 0; s < c->n_series; s++)
        for (int i = 0; i < c->n_cat; i++) {
            bar_format(c, L->integral, c->s[s].v[i], buf, sizeof buf);
            if (!(dg_plot_text_w(k, buf) <= room - 1))
                return FALSE;
        }
    return TRUE;
}

/* Values on the bars, above them (below negative ones): all of them when they
 * all fit, else none. */
static void bar_values_draw(const dg_bar_chart *c, dg_plot_frame *f, const bar_layout *L)
{
    if (!c->show_values || c->n_series == 0)
        return;
    dg_plot_ink *k = &f->k;
    const dg_plot_rect *area = &L->area;
    dg_plot_use_font(k, 0.9, FALSE);
    if (bar_values_fit(c, k, L)) {
        char buf[64];
        dg_plot_set_color(f->cr, f->th->foreground, 0.85);
        for (int i = 0; i < c->n_cat; i++) {
            double gx = area->x + L->slot * i + (L->slot - L->group) / 2;
            for (int s = 0; s < c->n_series; s++) {
                double v = c->s[s].v[i];
                if (!isfinite(v))
                    continue;
                double e = c->s[s].e && isfinite(c->s[s].e[i]) ? fabs(c->s[s].e[i]) : 0;
                double cx = gx + s * L->bw + L->bw / 2;
                bar_format(c, L->integral, v, buf, sizeof buf);
                if (v >= 0) {
                    double ty0 = bar_y(L, v + e) - 4;
                    if (ty0 - k->cap >= area->y - L->tick_cap / 2)
                        dg_plot_text_at(k, buf, cx, ty0, 0.5, 1);
                } else {
                    double ty0 = bar_y(L, v - e) + 4;
                    if (ty0 + k->cap <= area->y + area->height)
                        dg_plot_text_at(k, buf, cx, ty0, 0.5, 0);
                }
            }
        }
    }
    dg_plot_use_font(k, 1.0, FALSE);
}

/* Category labels under the bars and the axis titles. */
static void bar_labels_draw(const dg_bar_chart *c, dg_plot_frame *f, const bar_layout *L)
{
    const dg_plot_rect *area = &L->area;
    dg_plot_set_color(f->cr, f->th->foreground, 0.85);
    for (int i = 0; i < c->n_cat; i++)
        dg_plot_cat_label_draw(&f->k, &L->cl, c->cat[i], i, L->slot,
                               area->x + L->slot * (i + 0.5),
                               area->y + area->height + CAT_TOP_GAP);
    dg_plot_axis_titles(&f->k, area, c->x_label, f->y + f->h - DG_PLOT_PAD - L->lab_h,
                        c->y_label, f->x + DG_PLOT_PAD);
}

/* The legend: a row right-aligned above the plot (inside), or a box right of
 * it (outside). */
static void bar_legend_draw(dg_plot_frame *f, const bar_layout *L)
{
    const dg_plot_rect *area = &L->area;
    if (L->legend == DG_PLOT_LEGEND_INSIDE)
        dg_plot_legend_row_draw(&f->k, L->entries, L->n_entries, area->x, area->x + area->width,
                                L->legend_y + (L->row_h - 3) / 2);
    else if (L->legend == DG_PLOT_LEGEND_OUTSIDE)
        dg_plot_legend_box_draw(&f->k, L->entries, L->n_entries, f->x + f->w - DG_PLOT_PAD,
                                area->y, L->legend_w, area->height, FALSE, f->th->line_width);
}

void dg_bar_chart_draw(dg_bar_chart *c, cairo_t *cr, double x, double y, double w, double h,
                       const dg_plot_theme *theme)
{
    dg_plot_frame f;
    if (!dg_plot_frame_begin(&f, cr, theme, x, y, w, h))
        return;
    bar_layout L;
    bar_extents(c, &L);
    dg_plot_title_draw(&f.k, c->title, x + DG_PLOT_PAD, x + w - DG_PLOT_PAD, y + DG_PLOT_PAD);
    bar_layout_vertical(c, &f, &L);
    bar_layout_horizontal(c, &f, &L);
    if (bar_layout_plot(c, &f, &L)) {
        bar_axes_draw(&f, &L);
        bar_series_draw(c, &f, &L);
        bar_values_draw(c, &f, &L);
        bar_labels_draw(c, &f, &L);
        bar_legend_draw(&f, &L);
    } else if (c->n_cat == 0 && L.plot_y1 - L.plot_y0 >= 30) {
        dg_plot_set_color(cr, f.th->muted, 1);
        dg_plot_text_at(&f.k, "No data", x + w / 2, (L.plot_y0 + L.plot_y1) / 2, 0.5, 0.5);
    }
    dg_plot_frame_end(&f);
}

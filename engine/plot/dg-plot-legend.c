/* dg-plot-legend.c: legends: a box of entries, or a row of them. */
#include "dg-plot-private.h"

#define LEGEND_SWATCH 18.0
#define LEGEND_PAD 7.0

double dg_plot_legend_row_h(const dg_plot_ink *k)
{
    return k->ascent + k->descent + 3;
}

double dg_plot_legend_width(dg_plot_ink *k, const dg_plot_legend_entry *e, int n, double max_w)
{
    dg_plot_use_font(k, 1.0, FALSE);
    double w = 0;
    for (int i = 0; i < n; i++)
        w = MAX(w, dg_plot_text_w(k, e[i].name));
    w += LEGEND_SWATCH + 6 + 2 * LEGEND_PAD;
    return MIN(w, max_w);
}

/* Height of a vertical legend box of at most max_h; 0 when nothing fits. */
double dg_plot_legend_height(dg_plot_ink *k, int n, double max_h)
{
    dg_plot_use_font(k, 1.0, FALSE);
    double rh = dg_plot_legend_row_h(k);
    int fit = MIN((int)floor((max_h - 2 * LEGEND_PAD + 3) / rh), n);
    return fit > 0 ? fit * rh - 3 + 2 * LEGEND_PAD : 0;
}

/* A vertical legend box with its top-right corner at (x1, y0), at most
 * max_h tall (entries that do not fit are left out). */
void dg_plot_legend_box_draw(dg_plot_ink *k, const dg_plot_legend_entry *e, int n, double x1,
                             double y0, double max_w, double max_h, gboolean line_swatch, double lw)
{
    if (n <= 0)
        return;
    cairo_t *cr = k->cr;
    double w = dg_plot_legend_width(k, e, n, max_w);
    double rh = dg_plot_legend_row_h(k);
    int fit = (int)floor((max_h - 2 * LEGEND_PAD + 3) / rh);
    fit = MIN(fit, n);
    if (fit <= 0 || w < LEGEND_SWATCH + 2 * LEGEND_PAD + 10)
        return;
    double h = fit * rh - 3 + 2 * LEGEND_PAD;
    double x0 = x1 - w;
    dg_plot_rounded_rect(cr, dg_plot_snap(x0), dg_plot_snap(y0), floor(w), floor(h), 4);
    dg_plot_set_color(cr, k->th->background, 0.88);
    cairo_fill_preserve(cr);
    dg_plot_set_color(cr, k->th->grid, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    double name_w = w - 2 * LEGEND_PAD - LEGEND_SWATCH - 6;
    for (int i = 0; i < fit; i++) {
        double cy = y0 + LEGEND_PAD + i * rh + (rh - 3) / 2;
        double sx = x0 + LEGEND_PAD;
        dg_plot_set_color(cr, e[i].color, 1);
        if (line_swatch) {
            cairo_set_line_width(cr, lw);
            if (e[i].dashed) {
                double d[] = {4, 2.5};
                cairo_set_dash(cr, d, 2, 0);
            }
            cairo_move_to(cr, sx, cy);
            cairo_line_to(cr, sx + LEGEND_SWATCH, cy);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        } else {
            dg_plot_rounded_rect(cr, sx + 3, cy - 5, LEGEND_SWATCH - 6, 10, 2);
            cairo_fill(cr);
        }
        dg_plot_set_color(cr, k->th->foreground, 0.9);
        dg_plot_text_fit_at(k, e[i].name, name_w, sx + LEGEND_SWATCH + 6, cy, 0, 0.5);
    }
}

void dg_plot_legend_row_draw(dg_plot_ink *k, const dg_plot_legend_entry *e, int n, double x0,
                             double x1, double cy)
{
    cairo_t *cr = k->cr;
    double ex = x1;
    for (int s = n - 1; s >= 0; s--) {
        double ew = LEGEND_SWATCH - 6 + 5 + dg_plot_text_w(k, e[s].name);
        if (ex - ew < x0)
            break;
        ex -= ew;
        dg_plot_set_color(cr, e[s].color, 1);
        dg_plot_rounded_rect(cr, ex, cy - 5, 10, 10, 2);
        cairo_fill(cr);
        dg_plot_set_color(cr, k->th->foreground, 0.9);
        dg_plot_text_at(k, e[s].name, ex + 15, cy, 0, 0.5);
        ex -= 14;
    }
}

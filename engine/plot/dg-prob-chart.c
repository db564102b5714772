/* dg-prob-chart.c: probability bars (the Diagnose view; see dg-plot.h). */
#include "dg-plot-private.h"

struct dg_prob_chart {
    char *title;
    int k;
    char **labels;
    double *p;
    int accent;
};

dg_prob_chart *dg_prob_chart_new(void)
{
    return g_new0(dg_prob_chart, 1);
}

void dg_prob_chart_free(dg_prob_chart *c)
{
    if (!c)
        return;
    g_free(c->title);
    g_strfreev(c->labels);
    g_free(c->p);
    g_free(c);
}

void dg_prob_chart_set_title(dg_prob_chart *c, const char *title)
{
    dg_plot_replace_str(&c->title, title);
}

void dg_prob_chart_set_data(dg_prob_chart *c, int k, const char *const *labels,
                            const double *probs)
{
    g_strfreev(c->labels);
    g_free(c->p);
    if (k <= 0 || !probs)
        k = 0;
    c->k = k;
    c->labels = dg_plot_copy_labels(k, labels);
    c->p = k ? g_memdup2(probs, sizeof(double) * k) : NULL;
}

void dg_prob_chart_set_accent(dg_prob_chart *c, int palette_index)
{
    c->accent = palette_index;
}

DG_PLOT_DEFINE_KIND(dg_prob_chart, "prob")

void dg_prob_chart_draw(dg_prob_chart *c, cairo_t *cr, double x, double y, double w, double h,
                        const dg_plot_theme *theme)
{
    dg_plot_theme store;
    const dg_plot_theme *th = dg_plot_theme_or_default(theme, &store);
    dg_plot_ink k;
    if (!(w > 0 && h > 0))
        return;
    dg_plot_begin(cr, &k, th, x, y, w, h);
    const double pad = 8;
    double top = y + pad;
    top += dg_plot_title_draw(&k, c->title, x + pad, x + w - pad, top);
    dg_plot_use_font(&k, 1.0, FALSE);
    if (c->k == 0) {
        dg_plot_set_color(cr, th->muted, 1);
        dg_plot_text_at(&k, "No prediction", x + w / 2, (top + y + h) / 2, 0.5, 0.5);
        cairo_restore(cr);
        return;
    }
    int best = -1;
    for (int i = 0; i < c->k; i++)
        if (isfinite(c->p[i]) && (best < 0 || c->p[i] > c->p[best]))
            best = i;

    /* Side by side (label | bar | percentage) when the labels fit in 45% of
     * the width and the bars keep a third of it; else stacked: label and
     * percentage on a line, the bar under them at full width. */
    dg_plot_use_font(&k, 1.0, TRUE);
    double full_w = 0;
    for (int i = 0; i < c->k; i++)
        full_w = MAX(full_w, dg_plot_text_w(&k, c->labels[i]));
    double pct_w = dg_plot_text_w(&k, "100.0%");
    double inner = w - 2 * pad;
    gboolean stacked = full_w > inner * 0.45 || inner - full_w - pct_w - 22 < inner / 3;
    double label_w = stacked ? inner - pct_w - 10 : full_w;
    double bx0 = stacked ? x + pad : x + pad + label_w + 12;
    double bx1 = stacked ? x + w - pad : x + w - pad - pct_w - 10;
    double avail = y + h - pad - top;
    double text_h = k.ascent + k.descent;
    double row = MIN(avail / c->k, stacked ? text_h + th->font_size * 2.0 : th->font_size * 3.0);
    double thick = stacked ? MIN(row - text_h - 6, th->font_size * 0.8)
                           : MIN(row * 0.55, th->font_size * 1.1);
    if (bx1 - bx0 < 20 || row < k.cap + 2 || thick < 2 || label_w < 10) {
        cairo_restore(cr);
        return;
    }
    dg_plot_rgba acc = dg_plot_palette(th, c->accent);
    char buf[32];
    for (int i = 0; i < c->k; i++) {
        /* ty: the text's centre line; by: the bar's. */
        double ty = stacked ? top + row * i + k.cap / 2 + 2 : top + row * (i + 0.5);
        double by = stacked ? ty + k.cap / 2 + k.descent + 3 + thick / 2 : ty;
        double p = c->p[i];
        gboolean hi = i == best;
        /* Track, then the filled part. */
        dg_plot_rounded_rect(cr, bx0, by - thick / 2, bx1 - bx0, thick, thick / 2);
        dg_plot_set_color(cr, th->grid, 1);
        cairo_fill(cr);
        if (isfinite(p) && p > 0) {
            double fw = (bx1 - bx0) * CLAMP(p, 0, 1);
            fw = MAX(fw, MIN(thick, bx1 - bx0) * 0.5);
            dg_plot_rounded_rect(cr, bx0, by - thick / 2, fw, thick, thick / 2);
            dg_plot_set_color(cr, hi ? acc : th->muted, hi ? 1 : 0.55);
            cairo_fill(cr);
        }
        dg_plot_use_font(&k, 1.0, hi);
        dg_plot_set_color(cr, th->foreground, hi ? 1 : 0.75);
        char *s = dg_plot_ellipsize(&k, c->labels[i], label_w);
        dg_plot_text_at(&k, s, x + pad, ty, 0, 0.5);
        g_free(s);
        if (isfinite(p))
            g_snprintf(buf, sizeof buf, "%.1f%%", 100 * CLAMP(p, 0, 1));
        else
            g_strlcpy(buf, "\u2013", sizeof buf);
        dg_plot_text_at(&k, buf, x + w - pad, ty, 1, 0.5);
    }
    cairo_restore(cr);
}

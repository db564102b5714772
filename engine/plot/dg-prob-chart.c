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

/* ---- Drawing: the layout (prob_layout_compute), then a row per class
 * (prob_row_draw). */

typedef struct {
    double top;        /* of the first row */
    gboolean stacked;  /* label and percentage over the bar, not beside it */
    double label_w;    /* room for a label */
    double bx0, bx1;   /* the bars' track */
    double row, thick; /* a row's height, a bar's thickness */
} prob_layout;

/* Side by side (label | bar | percentage) when the labels fit in 45% of the
 * width and the bars keep a third of it; else stacked: label and percentage
 * on a line, the bar under them at full width.  FALSE when the rows do not
 * fit. */
static gboolean prob_layout_compute(const dg_prob_chart *c, dg_plot_frame *f, prob_layout *L)
{
    dg_plot_ink *k = &f->k;
    const dg_plot_theme *th = f->th;
    double x = f->x, y = f->y, w = f->w, h = f->h;
    dg_plot_use_font(k, 1.0, TRUE);
    double full_w = 0;
    for (int i = 0; i < c->k; i++)
        full_w = MAX(full_w, dg_plot_text_w(k, c->labels[i]));
    double pct_w = dg_plot_text_w(k, "100.0%");
    double inner = w - 2 * DG_PLOT_PAD;
    gboolean stacked = full_w > inner * 0.45 || inner - full_w - pct_w - 22 < inner / 3;
    L->stacked = stacked;
    L->label_w = stacked ? inner - pct_w - 10 : full_w;
    L->bx0 = stacked ? x + DG_PLOT_PAD : x + DG_PLOT_PAD + L->label_w + 12;
    L->bx1 = stacked ? x + w - DG_PLOT_PAD : x + w - DG_PLOT_PAD - pct_w - 10;
    double avail = y + h - DG_PLOT_PAD - L->top;
    double text_h = k->ascent + k->descent;
    L->row = MIN(avail / c->k, stacked ? text_h + th->font_size * 2.0 : th->font_size * 3.0);
    L->thick = stacked ? MIN(L->row - text_h - 6, th->font_size * 0.8)
                       : MIN(L->row * 0.55, th->font_size * 1.1);
    return !(L->bx1 - L->bx0 < 20 || L->row < k->cap + 2 || L->thick < 2 || L->label_w < 10);
}

/* Row i: the bar's track, its filled part (accent colour when highlighted),
 * the label and the percentage (bold when highlighted). */
static void prob_row_draw(const dg_prob_chart *c, dg_plot_frame *f, const prob_layout *L, int i,
                          gboolean hi)
{
    cairo_t *cr = f->cr;
    dg_plot_ink *k = &f->k;
    const dg_plot_theme *th = f->th;
    double bx0 = L->bx0, bx1 = L->bx1, thick = L->thick;
    /* ty: the text's centre line; by: the bar's. */
    double ty = L->stacked ? L->top + L->row * i + k->cap / 2 + 2 : L->top + L->row * (i + 0.5);
    double by = L->stacked ? ty + k->cap / 2 + k->descent + 3 + thick / 2 : ty;
    double p = c->p[i];
    dg_plot_rounded_rect(cr, bx0, by - thick / 2, bx1 - bx0, thick, thick / 2);
    dg_plot_set_color(cr, th->grid, 1);
    cairo_fill(cr);
    if (isfinite(p) && p > 0) {
        double fw = (bx1 - bx0) * CLAMP(p, 0, 1);
        fw = MAX(fw, MIN(thick, bx1 - bx0) * 0.5);
        dg_plot_rounded_rect(cr, bx0, by - thick / 2, fw, thick, thick / 2);
        dg_plot_set_color(cr, hi ? dg_plot_palette(th, c->accent) : th->muted, hi ? 1 : 0.55);
        cairo_fill(cr);
    }
    dg_plot_use_font(k, 1.0, hi);
    dg_plot_set_color(cr, th->foreground, hi ? 1 : 0.75);
    dg_plot_text_fit_at(k, c->labels[i], L->label_w, f->x + DG_PLOT_PAD, ty, 0, 0.5);
    char buf[32];
    if (isfinite(p))
        g_snprintf(buf, sizeof buf, "%.1f%%", 100 * CLAMP(p, 0, 1));
    else
        g_strlcpy(buf, "\u2013", sizeof buf);
    dg_plot_text_at(k, buf, f->x + f->w - DG_PLOT_PAD, ty, 1, 0.5);
}

void dg_prob_chart_draw(dg_prob_chart *c, cairo_t *cr, double x, double y, double w, double h,
                        const dg_plot_theme *theme)
{
    dg_plot_frame f;
    if (!dg_plot_frame_begin(&f, cr, theme, x, y, w, h))
        return;
    prob_layout L;
    L.top = y + DG_PLOT_PAD;
    L.top += dg_plot_title_draw(&f.k, c->title, x + DG_PLOT_PAD, x + w - DG_PLOT_PAD, L.top);
    dg_plot_use_font(&f.k, 1.0, FALSE);
    if (c->k == 0) {
        dg_plot_set_color(cr, f.th->muted, 1);
        dg_plot_text_at(&f.k, "No prediction", x + w / 2, (L.top + y + h) / 2, 0.5, 0.5);
    } else if (prob_layout_compute(c, &f, &L)) {
        int best = -1; /* the most probable class, highlighted */
        for (int i = 0; i < c->k; i++)
            if (isfinite(c->p[i]) && (best < 0 || c->p[i] > c->p[best]))
                best = i;
        for (int i = 0; i < c->k; i++)
            prob_row_draw(c, &f, &L, i, i == best);
    }
    dg_plot_frame_end(&f);
}

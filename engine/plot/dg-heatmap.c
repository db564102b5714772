/* dg-heatmap.c: the heatmap (confusion matrix; see dg-plot.h). */
#include "dg-plot-private.h"

struct dg_heatmap {
    char *title, *row_title, *col_title;
    int rows, cols;
    double *v;
    char **rl, **cl;
    gboolean percent;
    gboolean have_layout;
    dg_plot_rect grid;
};

dg_heatmap *dg_heatmap_new(void)
{
    dg_heatmap *m = g_new0(dg_heatmap, 1);
    m->row_title = g_strdup("true");
    m->col_title = g_strdup("predicted");
    m->percent = TRUE;
    return m;
}

void dg_heatmap_free(dg_heatmap *m)
{
    if (!m)
        return;
    g_free(m->title);
    g_free(m->row_title);
    g_free(m->col_title);
    g_free(m->v);
    g_strfreev(m->rl);
    g_strfreev(m->cl);
    g_free(m);
}

void dg_heatmap_set_title(dg_heatmap *m, const char *title)
{
    dg_plot_replace_str(&m->title, title);
}

void dg_heatmap_set_data(dg_heatmap *m, int rows, int cols, const double *values,
                         const char *const *row_labels, const char *const *col_labels)
{
    g_free(m->v);
    g_strfreev(m->rl);
    g_strfreev(m->cl);
    if (rows <= 0 || cols <= 0 || !values)
        rows = cols = 0;
    m->rows = rows;
    m->cols = cols;
    m->v = rows ? g_memdup2(values, sizeof(double) * rows * cols) : NULL;
    m->rl = dg_plot_copy_labels(rows, row_labels);
    m->cl = dg_plot_copy_labels(cols, col_labels);
    m->have_layout = FALSE;
}

void dg_heatmap_set_labels(dg_heatmap *m, const char *row_title, const char *col_title)
{
    dg_plot_replace_str(&m->row_title, row_title);
    dg_plot_replace_str(&m->col_title, col_title);
}

void dg_heatmap_set_show_percent(dg_heatmap *m, gboolean show)
{
    m->percent = show;
}

gboolean dg_heatmap_get_cell(const dg_heatmap *m, int row, int col, dg_plot_rect *cell)
{
    if (!m->have_layout || row < 0 || col < 0 || row >= m->rows || col >= m->cols)
        return FALSE;
    double cw = m->grid.width / m->cols, ch = m->grid.height / m->rows;
    if (cell)
        *cell = (dg_plot_rect){m->grid.x + col * cw, m->grid.y + row * ch, cw, ch};
    return TRUE;
}

DG_PLOT_DEFINE_KIND(dg_heatmap, "heatmap")

void dg_heatmap_draw(dg_heatmap *m, cairo_t *cr, double x, double y, double w, double h,
                     const dg_plot_theme *theme)
{
    dg_plot_theme store;
    const dg_plot_theme *th = dg_plot_theme_or_default(theme, &store);
    dg_plot_ink k;
    m->have_layout = FALSE;
    if (!(w > 0 && h > 0))
        return;
    dg_plot_begin(cr, &k, th, x, y, w, h);
    const double pad = 8;
    double top = y + pad;
    top += dg_plot_title_height(&k, m->title);
    dg_plot_use_font(&k, 1.0, FALSE);
    if (m->rows == 0) {
        dg_plot_title_draw(&k, m->title, x + pad, x + w - pad, y + pad);
        dg_plot_use_font(&k, 1.0, FALSE);
        dg_plot_set_color(cr, th->muted, 1);
        dg_plot_text_at(&k, "No data", x + w / 2, (top + y + h) / 2, 0.5, 0.5);
        cairo_restore(cr);
        return;
    }
    double lab_h = dg_plot_line_h(&k), line_step = k.ascent + k.descent;
    double left = x + pad + (m->row_title ? lab_h + 8 : 0);
    double row_lab_w = 0;
    for (int r = 0; r < m->rows; r++)
        row_lab_w = MAX(row_lab_w, dg_plot_text_w(&k, m->rl[r]));
    row_lab_w = MIN(row_lab_w, w * 0.3);
    double bottom = y + h - pad - (m->col_title ? lab_h + 6 : 0);
    double gx0 = left + row_lab_w + 8, gx1 = x + w - pad;

    /* Column labels wrap to the cell width, which depends on their height: twice. */
    int lines = 2;
    double cell = 0, col_lab_h = 0;
    for (int it = 0; it < 2; it++) {
        col_lab_h = 6 + k.cap + k.descent + (lines - 1) * line_step;
        double avail_h = bottom - col_lab_h - top;
        cell = MIN((gx1 - gx0) / m->cols, avail_h / m->rows);
        int need = 1;
        for (int c = 0; c < m->cols; c++) {
            char **l = dg_plot_wrap_text(&k, m->cl[c], cell - 4, 3);
            need = MAX(need, (int)g_strv_length(l));
            g_strfreev(l);
        }
        lines = need;
    }
    col_lab_h = 6 + k.cap + k.descent + (lines - 1) * line_step;
    cell = MIN((gx1 - gx0) / m->cols, (bottom - col_lab_h - top) / m->rows);
    if (cell < 4) {
        cairo_restore(cr);
        return;
    }
    /* Centre the grid (and its labels) in the space left. */
    double gw = cell * m->cols, gh = cell * m->rows;
    double shift = ((gx1 - gx0) - gw) / 2;
    gx0 += shift;
    left += shift;
    double gy0 = top + ((bottom - col_lab_h - top) - gh) / 2;
    m->grid = (dg_plot_rect){gx0, gy0, gw, gh};
    m->have_layout = TRUE;

    char buf[64], pbuf[32];
    for (int r = 0; r < m->rows; r++) {
        double sum = 0;
        for (int c = 0; c < m->cols; c++) {
            double v = m->v[r * m->cols + c];
            if (isfinite(v) && v > 0)
                sum += v;
        }
        for (int c = 0; c < m->cols; c++) {
            double v = m->v[r * m->cols + c];
            double t = sum > 0 && isfinite(v) ? MAX(v, 0) / sum : 0;
            dg_plot_rgba bg = dg_plot_theme_ramp(th, t);
            double cx = gx0 + c * cell, cy = gy0 + r * cell;
            double inset = cell > 24 ? 1 : 0;
            dg_plot_rounded_rect(cr, cx + inset, cy + inset, cell - 2 * inset, cell - 2 * inset,
                         cell > 24 ? 3 : 0);
            dg_plot_set_color(cr, bg, 1);
            cairo_fill(cr);
            /* Text: the value and, below it, the row percentage, as room allows. */
            if (!isfinite(v))
                g_strlcpy(buf, "\u2013", sizeof buf);
            else if (v == floor(v) && fabs(v) < 1e15)
                g_snprintf(buf, sizeof buf, "%.0f", v);
            else
                g_snprintf(buf, sizeof buf, "%.3g", v);
            gboolean pct = m->percent && sum > 0 && isfinite(v);
            if (pct)
                g_snprintf(pbuf, sizeof pbuf, "%.1f%%", 100 * t);
            dg_plot_rgba fg = dg_plot_text_color_for(bg);
            double room = cell - 6;
            /* The value (bold) over the percentage at full or 85% size, else
             * the value alone at full, 85% or 72% size; nothing if none fits. */
            static const double scales[] = {1.0, 0.85, 0.72};
            gboolean done = FALSE;
            for (size_t si = 0; pct && !done && si < 2; si++) {
                double sc = scales[si];
                dg_plot_use_font(&k, sc, TRUE);
                double vcap = k.cap, vw = dg_plot_text_w(&k, buf);
                dg_plot_use_font(&k, sc * 0.85, FALSE);
                double pcap = k.cap, pw = dg_plot_text_w(&k, pbuf);
                double both_h = vcap + 5 * sc + pcap;
                if (both_h <= room && pw <= room && vw <= room) {
                    double ty0 = cy + (cell - both_h) / 2;
                    dg_plot_use_font(&k, sc, TRUE);
                    dg_plot_set_color(cr, fg, 1);
                    dg_plot_text_at(&k, buf, cx + cell / 2, ty0, 0.5, 0);
                    dg_plot_use_font(&k, sc * 0.85, FALSE);
                    dg_plot_set_color(cr, fg, 0.8);
                    dg_plot_text_at(&k, pbuf, cx + cell / 2, ty0 + vcap + 5 * sc, 0.5, 0);
                    done = TRUE;
                }
            }
            for (size_t si = 0; !done && si < G_N_ELEMENTS(scales); si++) {
                dg_plot_use_font(&k, scales[si], TRUE);
                if (dg_plot_text_w(&k, buf) <= room && k.cap <= room) {
                    dg_plot_set_color(cr, fg, 1);
                    dg_plot_text_at(&k, buf, cx + cell / 2, cy + cell / 2, 0.5, 0.5);
                    done = TRUE;
                }
            }
        }
    }

    dg_plot_use_font(&k, 1.0, FALSE);
    dg_plot_set_color(cr, th->foreground, 0.85);
    for (int r = 0; r < m->rows; r++) {
        char *s = dg_plot_ellipsize(&k, m->rl[r], row_lab_w);
        dg_plot_text_at(&k, s, gx0 - 8, gy0 + (r + 0.5) * cell, 1, 0.5);
        g_free(s);
    }
    for (int c = 0; c < m->cols; c++) {
        char **l = dg_plot_wrap_text(&k, m->cl[c], cell - 4, 3);
        for (int j = 0; l[j]; j++)
            dg_plot_text_at(&k, l[j], gx0 + (c + 0.5) * cell, gy0 + gh + 6 + j * line_step, 0.5, 0);
        g_strfreev(l);
    }
    dg_plot_use_font(&k, 1.0, TRUE);
    dg_plot_set_color(cr, th->foreground, 0.85);
    if (m->col_title) {
        char *s = dg_plot_ellipsize(&k, m->col_title, gw);
        dg_plot_text_at(&k, s, gx0 + gw / 2, gy0 + gh + col_lab_h + 6, 0.5, 0);
        g_free(s);
    }
    if (m->row_title) {
        char *s = dg_plot_ellipsize(&k, m->row_title, gh);
        dg_plot_text_vertical(&k, s, left - lab_h - 8, gy0 + gh / 2);
        g_free(s);
    }
    /* The title is centred over the grid (and stays inside the rectangle). */
    if (m->title) {
        dg_plot_use_font(&k, 1.2, TRUE);
        double tw = MIN(dg_plot_text_w(&k, m->title), w - 2 * pad);
        double cx = CLAMP(gx0 + gw / 2, x + pad + tw / 2, x + w - pad - tw / 2);
        dg_plot_title_draw(&k, m->title, cx - tw / 2 - 0.5, cx + tw / 2 + 0.5, y + pad);
    }
    cairo_restore(cr);
}

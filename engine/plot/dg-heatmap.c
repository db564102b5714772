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

/* ---- Drawing -------------------------------------------------------------
 *
 * dg_heatmap_draw: the layout (heatmap_layout), the cells with their numbers
 * (heatmap_cells_draw), the row and column labels and titles
 * (heatmap_labels_draw), then the title over the grid. */

typedef struct {
    double top, bottom; /* of the space for the grid and its column labels */
    double left;        /* where the row title goes */
    double lab_h;       /* an axis title's height */
    double line_step;   /* from one line of a wrapped label to the next */
    double row_lab_w;   /* room for the row labels */
    double col_lab_h;   /* room for the column labels, under the grid */
    double cell;        /* a cell's side */
    dg_plot_rect grid;
} heat_layout;

/* How many lines the column labels wrap to in cells of the given side. */
static int col_label_lines(const dg_heatmap *m, const dg_plot_ink *k, double cell)
{
    int need = 1;
    for (int c = 0; c < m->cols; c++) {
        char **l = dg_plot_wrap_text(k, m->cl[c], cell - 4, 3);
        need = MAX(need, (int)g_strv_length(l));
        g_strfreev(l);
    }
    return need;
}

/* Square cells as large as fit beside the row labels and above the column
 * labels, the grid centred in the space left; FALSE when the cells would be
 * too small to see. */
static gboolean heatmap_layout(const dg_heatmap *m, dg_plot_frame *f, heat_layout *L)
{
    dg_plot_ink *k = &f->k;
    double x = f->x, y = f->y, w = f->w, h = f->h;
    L->lab_h = dg_plot_line_h(k);
    L->line_step = k->ascent + k->descent;
    L->left = x + DG_PLOT_PAD + (m->row_title ? L->lab_h + 8 : 0);
    L->row_lab_w = 0;
    for (int r = 0; r < m->rows; r++)
        L->row_lab_w = MAX(L->row_lab_w, dg_plot_text_w(k, m->rl[r]));
    L->row_lab_w = MIN(L->row_lab_w, w * 0.3);
    L->bottom = y + h - DG_PLOT_PAD - (m->col_title ? L->lab_h + 6 : 0);
    double gx0 = L->left + L->row_lab_w + 8, gx1 = x + w - DG_PLOT_PAD;

    /* Column labels wrap to the cell width, which depends on their height: twice. */
    int lines = 2;
    double cell = 0;
    for (int it = 0; it < 2; it++) {
        L->col_lab_h = 6 + k->cap + k->descent + (lines - 1) * L->line_step;
        double avail_h = L->bottom - L->col_lab_h - L->top;
        cell = MIN((gx1 - gx0) / m->cols, avail_h / m->rows);
        lines = col_label_lines(m, k, cell);
    }
    L->col_lab_h = 6 + k->cap + k->descent + (lines - 1) * L->line_step;
    cell = MIN((gx1 - gx0) / m->cols, (L->bottom - L->col_lab_h - L->top) / m->rows);
    if (cell < 4)
        return FALSE;
    /* Centre the grid (and its labels) in the space left. */
    double gw = cell * m->cols, gh = cell * m->rows;
    double shift = ((gx1 - gx0) - gw) / 2;
    gx0 += shift;
    L->left += shift;
    double gy0 = L->top + ((L->bottom - L->col_lab_h - L->top) - gh) / 2;
    L->cell = cell;
    L->grid = (dg_plot_rect){gx0, gy0, gw, gh};
    return TRUE;
}

/* The numbers of a cell of side cell at (cx, cy), in fg: the value (bold)
 * over the row percentage pct (NULL: none) at full or 85% size, else the
 * value alone at full, 85% or 72% size; nothing if none fits. */
static void cell_text_draw(dg_plot_ink *k, const char *value, const char *pct, dg_plot_rgba fg,
                           double cx, double cy, double cell)
{
    static const double scales[] = {1.0, 0.85, 0.72};
    double room = cell - 6;
    for (size_t si = 0; pct && si < 2; si++) {
        double sc = scales[si];
        dg_plot_use_font(k, sc, TRUE);
        double vcap = k->cap, vw = dg_plot_text_w(k, value);
        dg_plot_use_font(k, sc * 0.85, FALSE);
        double pcap = k->cap, pw = dg_plot_text_w(k, pct);
        double both_h = vcap + 5 * sc + pcap;
        if (both_h <= room && pw <= room && vw <= room) {
            double ty0 = cy + (cell - both_h) / 2;
            dg_plot_use_font(k, sc, TRUE);
            dg_plot_set_color(k->cr, fg, 1);
            dg_plot_text_at(k, value, cx + cell / 2, ty0, 0.5, 0);
            dg_plot_use_font(k, sc * 0.85, FALSE);
            dg_plot_set_color(k->cr, fg, 0.8);
            dg_plot_text_at(k, pct, cx + cell / 2, ty0 + vcap + 5 * sc, 0.5, 0);
            return;
        }
    }
    for (size_t si = 0; si < G_N_ELEMENTS(scales); si++) {
        dg_plot_use_font(k, scales[si], TRUE);
        if (dg_plot_text_w(k, value) <= room && k->cap <= room) {
            dg_plot_set_color(k->cr, fg, 1);
            dg_plot_text_at(k, value, cx + cell / 2, cy + cell / 2, 0.5, 0.5);
            return;
        }
    }
}

/* One cell: coloured by t (its share of the row) on the theme's ramp, with
 * its value and, when asked, the row percentage in black or white. */
static void heatmap_cell_draw(dg_plot_frame *f, double v, double t, gboolean pct, double cx,
                              double cy, double cell)
{
    char buf[64], pbuf[32];
    dg_plot_rgba bg = dg_plot_theme_ramp(f->th, t);
    double inset = cell > 24 ? 1 : 0;
    dg_plot_rounded_rect(f->cr, cx + inset, cy + inset, cell - 2 * inset, cell - 2 * inset,
                         cell > 24 ? 3 : 0);
    dg_plot_set_color(f->cr, bg, 1);
    cairo_fill(f->cr);
    if (!isfinite(v))
        g_strlcpy(buf, "\u2013", sizeof buf);
    else if (v == floor(v) && fabs(v) < 1e15)
        g_snprintf(buf, sizeof buf, "%.0f", v);
    else
        g_snprintf(buf, sizeof buf, "%.3g", v);
    if (pct)
        g_snprintf(pbuf, sizeof pbuf, "%.1f%%", 100 * t);
    cell_text_draw(&f->k, buf, pct ? pbuf : NULL, dg_plot_text_color_for(bg), cx, cy, cell);
}

/* Every cell, row by row, coloured by its row-normalised value. */
static void heatmap_cells_draw(const dg_heatmap *m, dg_plot_frame *f, const heat_layout *L)
{
    for (int r = 0; r < m->rows; r++) {
        const double *row = m->v + (size_t)r * m->cols;
        double sum = 0;
        for (int c = 0; c < m->cols; c++)
            if (isfinite(row[c]) && row[c] > 0)
                sum += row[c];
        for (int c = 0; c < m->cols; c++) {
            double v = row[c];
            double t = sum > 0 && isfinite(v) ? MAX(v, 0) / sum : 0;
            gboolean pct = m->percent && sum > 0 && isfinite(v);
            heatmap_cell_draw(f, v, t, pct, L->grid.x + c * L->cell, L->grid.y + r * L->cell,
                              L->cell);
        }
    }
}

/* Row labels left of the grid, column labels (wrapped) under it, and the
 * column and row titles. */
static void heatmap_labels_draw(const dg_heatmap *m, dg_plot_frame *f, const heat_layout *L)
{
    dg_plot_ink *k = &f->k;
    const dg_plot_rect *g = &L->grid;
    dg_plot_use_font(k, 1.0, FALSE);
    dg_plot_set_color(f->cr, f->th->foreground, 0.85);
    for (int r = 0; r < m->rows; r++)
        dg_plot_text_fit_at(k, m->rl[r], L->row_lab_w, g->x - 8, g->y + (r + 0.5) * L->cell, 1,
                            0.5);
    for (int c = 0; c < m->cols; c++) {
        char **l = dg_plot_wrap_text(k, m->cl[c], L->cell - 4, 3);
        for (int j = 0; l[j]; j++)
            dg_plot_text_at(k, l[j], g->x + (c + 0.5) * L->cell,
                            g->y + g->height + 6 + j * L->line_step, 0.5, 0);
        g_strfreev(l);
    }
    dg_plot_use_font(k, 1.0, TRUE);
    dg_plot_set_color(f->cr, f->th->foreground, 0.85);
    if (m->col_title)
        dg_plot_text_fit_at(k, m->col_title, g->width, g->x + g->width / 2,
                            g->y + g->height + L->col_lab_h + 6, 0.5, 0);
    if (m->row_title)
        dg_plot_text_fit_vertical(k, m->row_title, g->height, L->left - L->lab_h - 8,
                                  g->y + g->height / 2);
}

/* The title, centred over the grid (and inside the rectangle). */
static void heatmap_title_draw(const dg_heatmap *m, dg_plot_frame *f, const dg_plot_rect *g)
{
    if (!m->title)
        return;
    dg_plot_ink *k = &f->k;
    double x = f->x, w = f->w;
    dg_plot_use_font(k, 1.2, TRUE);
    double tw = MIN(dg_plot_text_w(k, m->title), w - 2 * DG_PLOT_PAD);
    double cx = CLAMP(g->x + g->width / 2, x + DG_PLOT_PAD + tw / 2, x + w - DG_PLOT_PAD - tw / 2);
    dg_plot_title_draw(k, m->title, cx - tw / 2 - 0.5, cx + tw / 2 + 0.5, f->y + DG_PLOT_PAD);
}

void dg_heatmap_draw(dg_heatmap *m, cairo_t *cr, double x, double y, double w, double h,
                     const dg_plot_theme *theme)
{
    dg_plot_frame f;
    m->have_layout = FALSE;
    if (!dg_plot_frame_begin(&f, cr, theme, x, y, w, h))
        return;
    heat_layout L;
    L.top = y + DG_PLOT_PAD + dg_plot_title_height(&f.k, m->title);
    dg_plot_use_font(&f.k, 1.0, FALSE);
    if (m->rows == 0) {
        dg_plot_title_draw(&f.k, m->title, x + DG_PLOT_PAD, x + w - DG_PLOT_PAD, y + DG_PLOT_PAD);
        dg_plot_use_font(&f.k, 1.0, FALSE);
        dg_plot_set_color(cr, f.th->muted, 1);
        dg_plot_text_at(&f.k, "No data", x + w / 2, (L.top + y + h) / 2, 0.5, 0.5);
    } else if (heatmap_layout(m, &f, &L)) {
        m->grid = L.grid;
        m->have_layout = TRUE;
        heatmap_cells_draw(m, &f, &L);
        heatmap_labels_draw(m, &f, &L);
        heatmap_title_draw(m, &f, &L.grid);
    }
    dg_plot_frame_end(&f);
}

/* dg-plot-image-grid.c: image grids (the GAN's fixed-noise samples). */
#include "dg-plot-private.h"

#include <string.h>

uint8_t *dg_plot_image_grid(const uint8_t *images, int n, int size, int rows, int cols,
                            int gutter, const uint8_t background[3], int *width, int *height)
{
    if (n < 0 || size <= 0 || rows <= 0 || cols <= 0 || gutter < 0 || (n > 0 && !images))
        return NULL;
    gint64 gw = (gint64)cols * size + (gint64)(cols + 1) * gutter;
    gint64 gh = (gint64)rows * size + (gint64)(rows + 1) * gutter;
    if (gw > 65535 || gh > 65535)
        return NULL;
    uint8_t bg[3] = {0, 0, 0};
    if (background)
        memcpy(bg, background, 3);
    size_t stride = (size_t)gw * 3;
    uint8_t *out = g_malloc(stride * gh);
    for (gint64 i = 0; i < gw * gh; i++)
        memcpy(out + i * 3, bg, 3);
    int cells = MIN(n, rows * cols);
    for (int i = 0; i < cells; i++) {
        int r = i / cols, c = i % cols;
        const uint8_t *src = images + (size_t)i * size * size * 3;
        uint8_t *dst = out + (size_t)(gutter + r * (size + gutter)) * stride +
                       (size_t)(gutter + c * (size + gutter)) * 3;
        for (int yy = 0; yy < size; yy++)
            memcpy(dst + yy * stride, src + (size_t)yy * size * 3, (size_t)size * 3);
    }
    if (width)
        *width = (int)gw;
    if (height)
        *height = (int)gh;
    return out;
}

cairo_surface_t *dg_plot_surface_from_rgb(const uint8_t *rgb, int width, int height)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, MAX(width, 1),
                                                    MAX(height, 1));
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS || !rgb || width <= 0 || height <= 0)
        return s;
    cairo_surface_flush(s);
    uint8_t *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int yy = 0; yy < height; yy++) {
        uint32_t *row = (uint32_t *)(data + (size_t)yy * stride);
        const uint8_t *src = rgb + (size_t)yy * width * 3;
        for (int xx = 0; xx < width; xx++)
            row[xx] = 0xff000000u | (uint32_t)src[3 * xx] << 16 | (uint32_t)src[3 * xx + 1] << 8 |
                      src[3 * xx + 2];
    }
    cairo_surface_mark_dirty(s);
    return s;
}

/* The grid, scaled to fit the frame beside its row labels. */
static void image_grid_paint(dg_plot_frame *f, cairo_surface_t *grid, int rows, int gutter,
                             const char *const *row_labels)
{
    cairo_t *cr = f->cr;
    if (!grid || cairo_surface_get_type(grid) != CAIRO_SURFACE_TYPE_IMAGE || rows <= 0)
        return;
    int gw = cairo_image_surface_get_width(grid), gh = cairo_image_surface_get_height(grid);
    dg_plot_use_font(&f->k, 1.0, FALSE);
    double label_w = 0;
    if (row_labels) {
        for (int r = 0; r < rows; r++)
            label_w = MAX(label_w, dg_plot_text_w(&f->k, row_labels[r]));
        label_w = MIN(label_w, f->w * 0.3);
    }
    double margin = label_w > 0 ? label_w + 18 : 0;
    double aw = f->w - margin, ah = f->h;
    if (aw <= 1 || gw <= 0 || gh <= 0)
        return;
    double scale = MIN(aw / gw, ah / gh);
    double dw = gw * scale, dh = gh * scale;
    double ox = f->x + margin + (aw - dw) / 2, oy = f->y + (ah - dh) / 2;
    cairo_save(cr);
    cairo_translate(cr, ox, oy);
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, grid, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr),
                             scale >= 2 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
    cairo_rectangle(cr, 0, 0, gw, gh);
    cairo_fill(cr);
    cairo_restore(cr);
    if (row_labels) {
        double cellp = (double)(gh - gutter) / rows; /* cell + gutter, in grid pixels */
        dg_plot_set_color(cr, f->th->foreground, 0.85);
        for (int r = 0; r < rows; r++) {
            double cy = oy + (gutter + r * cellp + (cellp - gutter) / 2) * scale;
            dg_plot_text_fit_at(&f->k, row_labels[r], label_w, ox - 10, cy, 1, 0.5);
        }
    }
}

void dg_plot_image_grid_draw(cairo_t *cr, double x, double y, double w, double h,
                             const dg_plot_theme *theme, cairo_surface_t *grid, int rows,
                             int gutter, const char *const *row_labels)
{
    dg_plot_frame f;
    if (!dg_plot_frame_begin(&f, cr, theme, x, y, w, h))
        return;
    image_grid_paint(&f, grid, rows, gutter, row_labels);
    dg_plot_frame_end(&f);
}

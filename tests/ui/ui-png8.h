/* ui-png8.h: save a screenshot as a small 8-bit palette PNG (median-cut
 * colour quantization, no dithering), for the README's screenshots: the
 * flat colours of the interface stay exact enough, photos lose a little. */
#pragma once
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P8_BITS 6
#define P8_SIDE (1 << P8_BITS)
#define P8_CELLS (P8_SIDE * P8_SIDE * P8_SIDE)

typedef struct {
    int lo, hi; /* range of cells in the sorted cell list */
    gint64 count;
} p8_box;

typedef struct {
    guint32 cell;
    guint32 count;
} p8_cell;

static int p8_axis; /* sort key of p8_cmp: 0 = r, 1 = g, 2 = b */

static int p8_cmp(const void *a, const void *b)
{
    const p8_cell *x = a, *y = b;
    int sh = (2 - p8_axis) * P8_BITS;
    int vx = (x->cell >> sh) & (P8_SIDE - 1), vy = (y->cell >> sh) & (P8_SIDE - 1);
    return vx - vy;
}

static void p8_range(const p8_cell *cells, const p8_box *b, int mn[3], int mx[3])
{
    for (int c = 0; c < 3; c++)
        mn[c] = P8_SIDE, mx[c] = -1;
    for (int i = b->lo; i < b->hi; i++)
        for (int c = 0; c < 3; c++) {
            int v = (cells[i].cell >> ((2 - c) * P8_BITS)) & (P8_SIDE - 1);
            mn[c] = MIN(mn[c], v);
            mx[c] = MAX(mx[c], v);
        }
}

/* Saves pixbuf (RGB or RGBA, alpha dropped) as a palette PNG; FALSE on failure. */
G_GNUC_UNUSED static gboolean p8_save(GdkPixbuf *pb, const char *path)
{
    const int w = gdk_pixbuf_get_width(pb), h = gdk_pixbuf_get_height(pb);
    const int nc = gdk_pixbuf_get_n_channels(pb), rs = gdk_pixbuf_get_rowstride(pb);
    const guint8 *px = gdk_pixbuf_read_pixels(pb);
    guint32 *hist = g_new0(guint32, P8_CELLS);
    const int drop = 8 - P8_BITS;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const guint8 *p = px + (gsize)y * rs + (gsize)x * nc;
            hist[((p[0] >> drop) << (2 * P8_BITS)) | ((p[1] >> drop) << P8_BITS) | (p[2] >> drop)]++;
        }
    GArray *cells = g_array_new(FALSE, FALSE, sizeof(p8_cell));
    for (guint32 i = 0; i < P8_CELLS; i++)
        if (hist[i]) {
            p8_cell c = {i, hist[i]};
            g_array_append_val(cells, c);
        }
    p8_cell *cl = (p8_cell *)cells->data;
    /* median cut: split the box with the most pixels and some spread */
    p8_box boxes[256];
    int nb = 1;
    boxes[0] = (p8_box){0, (int)cells->len, (gint64)w * h};
    while (nb < 256) {
        int best = -1, axis = 0;
        double score = 0;
        for (int b = 0; b < nb; b++) {
            if (boxes[b].hi - boxes[b].lo < 2)
                continue;
            int mn[3], mx[3];
            p8_range(cl, &boxes[b], mn, mx);
            for (int c = 0; c < 3; c++) {
                double s = (double)(mx[c] - mn[c]) * sqrt((double)boxes[b].count);
                if (s > score) {
                    score = s;
                    best = b;
                    axis = c;
                }
            }
        }
        if (best < 0)
            break;
        p8_box *b = &boxes[best];
        p8_axis = axis;
        qsort(cl + b->lo, b->hi - b->lo, sizeof(p8_cell), p8_cmp);
        gint64 half = b->count / 2, acc = 0;
        int cut = b->lo;
        while (cut < b->hi - 1 && acc + cl[cut].count <= half)
            acc += cl[cut++].count;
        if (cut == b->lo)
            acc += cl[cut++].count;
        boxes[nb] = (p8_box){cut, b->hi, b->count - acc};
        b->hi = cut;
        b->count = acc;
        nb++;
    }
    /* palette: each box's mean colour (of the full 8-bit pixels) */
    guint8 *map = g_new0(guint8, P8_CELLS);
    double sum[256][3] = {{0}}, cnt[256] = {0};
    for (int b = 0; b < nb; b++)
        for (int i = boxes[b].lo; i < boxes[b].hi; i++)
            map[cl[i].cell] = (guint8)b;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const guint8 *p = px + (gsize)y * rs + (gsize)x * nc;
            int b = map[((p[0] >> drop) << (2 * P8_BITS)) | ((p[1] >> drop) << P8_BITS) | (p[2] >> drop)];
            for (int c = 0; c < 3; c++)
                sum[b][c] += p[c];
            cnt[b]++;
        }
    png_color pal[256];
    for (int b = 0; b < nb; b++)
        for (int c = 0; c < 3; c++) {
            double v = cnt[b] > 0 ? sum[b][c] / cnt[b] + 0.5 : 0;
            ((png_byte *)&pal[b])[c] = (png_byte)CLAMP(v, 0, 255);
        }
    FILE *f = fopen(path, "wb");
    volatile gboolean ok = FALSE;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    guint8 *row = g_new(guint8, w);
    if (f && png && info && !setjmp(png_jmpbuf(png))) {
        png_init_io(png, f);
        png_set_compression_level(png, 9);
        png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_set_PLTE(png, info, pal, nb);
        png_write_info(png, info);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                const guint8 *p = px + (gsize)y * rs + (gsize)x * nc;
                row[x] = map[((p[0] >> drop) << (2 * P8_BITS)) | ((p[1] >> drop) << P8_BITS) |
                             (p[2] >> drop)];
            }
            png_write_row(png, row);
        }
        png_write_end(png, NULL);
        ok = TRUE;
    }
    if (png)
        png_destroy_write_struct(&png, info ? &info : NULL);
    if (f)
        ok = (fclose(f) == 0) && ok;
    g_free(row);
    g_free(map);
    g_array_free(cells, TRUE);
    g_free(hist);
    return ok;
}

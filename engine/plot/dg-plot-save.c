/* dg-plot-save.c: any chart into a PNG, SVG or PDF file (dg_plot_save; every
 * chart's _save goes through it).  The file is drawn in memory and written
 * by dg_file_write_atomic: whole or not at all, and never over a device,
 * FIFO or folder of that name. */
#include "dg-plot-private.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <gio/gio.h>
#include <string.h>

#include "data/dg-file.h"

/* The writer's errors (G_FILE_ERROR) as this API's: G_IO_ERROR_FAILED with
 * the writer's message, which names the file. */
static gboolean io_failed(GError *e, GError **error)
{
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, e->message);
    g_error_free(e);
    return FALSE;
}

static cairo_status_t append(void *closure, const unsigned char *data, unsigned int length)
{
    g_byte_array_append(closure, data, length);
    return CAIRO_STATUS_SUCCESS;
}

const char *const dg_plot_extensions[] = {".png", ".svg", ".pdf", NULL};

gboolean dg_plot_has_extension(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    for (int i = 0; dot && dg_plot_extensions[i]; i++)
        if (g_ascii_strcasecmp(dot, dg_plot_extensions[i]) == 0)
            return TRUE;
    return FALSE;
}

gboolean dg_plot_save(const char *path, int width, int height, const dg_plot_theme *theme,
                      dg_plot_draw_fn draw, void *chart, GError **error)
{
    g_return_val_if_fail(path != NULL && draw != NULL, FALSE);
    dg_plot_theme store;
    const dg_plot_theme *th = dg_plot_theme_or_default(theme, &store);
    if (width <= 0 || height <= 0 || width > 32767 || height > 32767) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: image size %d x %d is out of range", path, width, height);
        return FALSE;
    }
    if (!dg_plot_has_extension(path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: unknown plot format (use .png, .svg or .pdf)", path);
        return FALSE;
    }
    const char *dot = strrchr(path, '.');
    enum { PNG, SVG, PDF } fmt =
        g_ascii_strcasecmp(dot, ".png") == 0 ? PNG : g_ascii_strcasecmp(dot, ".svg") == 0 ? SVG : PDF;
    /* refused before drawing: the same check as the write's */
    GError *e = NULL;
    if (!dg_file_check_writable(path, &e))
        return io_failed(e, error);
    GByteArray *bytes = g_byte_array_new();
    cairo_surface_t *s;
    if (fmt == PNG)
        s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    else if (fmt == SVG) {
        s = cairo_svg_surface_create_for_stream(append, bytes, width, height);
#if CAIRO_VERSION >= CAIRO_VERSION_ENCODE(1, 16, 0)
        if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS)
            cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PX);
#endif
    } else
        s = cairo_pdf_surface_create_for_stream(append, bytes, width, height);
    cairo_status_t st = cairo_surface_status(s);
    if (st == CAIRO_STATUS_SUCCESS) {
        cairo_t *cr = cairo_create(s);
        if (th->background.a > 0) {
            dg_plot_set_color(cr, th->background, 1);
            cairo_paint(cr);
        }
        draw(chart, cr, 0, 0, width, height, th);
        st = cairo_status(cr);
        cairo_destroy(cr);
    }
    if (st == CAIRO_STATUS_SUCCESS) {
        if (fmt == PNG)
            st = cairo_surface_write_to_png_stream(s, append, bytes);
        else {
            cairo_surface_finish(s);
            st = cairo_surface_status(s);
        }
    }
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot write plot: %s", path,
                    cairo_status_to_string(st));
        g_byte_array_unref(bytes);
        return FALSE;
    }
    gboolean ok = dg_file_write_atomic(path, bytes->data, bytes->len, FALSE, &e);
    g_byte_array_unref(bytes);
    return ok || io_failed(e, error);
}

/* dg-plot-paint.c: the frame every chart draws in, and rounded rectangles. */
#include "dg-plot-private.h"

void dg_plot_rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
    r = MIN(r, MIN(w, h) / 2);
    if (r <= 0.01) {
        cairo_rectangle(cr, x, y, w, h);
        return;
    }
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -G_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, G_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, G_PI / 2, G_PI);
    cairo_arc(cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
    cairo_close_path(cr);
}

gboolean dg_plot_frame_begin(dg_plot_frame *f, cairo_t *cr, const dg_plot_theme *theme, double x,
                             double y, double w, double h)
{
    if (!(w > 0 && h > 0))
        return FALSE;
    f->cr = cr;
    f->th = dg_plot_theme_or_default(theme, &f->store);
    f->x = x;
    f->y = y;
    f->w = w;
    f->h = h;
    cairo_save(cr);
    cairo_rectangle(cr, x, y, w, h);
    cairo_clip(cr);
    if (f->th->background.a > 0) {
        dg_plot_set_color(cr, f->th->background, 1);
        cairo_paint(cr);
    }
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_dash(cr, NULL, 0, 0);
    dg_plot_ink_init(&f->k, cr, f->th);
    return TRUE;
}

void dg_plot_frame_end(dg_plot_frame *f)
{
    cairo_restore(f->cr);
}

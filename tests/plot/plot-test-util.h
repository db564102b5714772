/* plot-test-util.h: what the chart tests share: a canvas that shows what a
 * chart painted (and that it painted nothing else), the two themes, test
 * data, and where the PNG samples go.
 *
 * Every chart is rendered into a sub-rectangle of a larger image surface that
 * was first filled with a sentinel colour, so the tests can check that the
 * chart painted its rectangle, used its colours where they belong and left
 * everything outside the rectangle alone.  The renders are also written as
 * PNGs to $G_TEST_BUILDDIR/plot-samples/ to be looked at. */
#pragma once
#include "plot/dg-plot.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define DG_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define DG_TEST_SANITIZED 1
#endif
#endif
#ifndef DG_TEST_SANITIZED
#define DG_TEST_SANITIZED 0
#endif

#if DG_TEST_SANITIZED
/* fontconfig (under cairo's toy text API) keeps a few configuration objects
 * for the life of the process; they are not ours to free. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}
#endif

G_GNUC_UNUSED static const char *const class_ids[] = {"akiec", "bcc", "bkl", "mel"};
G_GNUC_UNUSED static const char *const class_names[] = {
    "Actinic keratosis", "Basal cell carcinoma", "Benign keratosis", "Melanoma"};



#define SENTINEL_R 255
#define SENTINEL_G 0
#define SENTINEL_B 255

typedef struct {
    cairo_surface_t *s;
    int w, h, stride;
    uint8_t *data;
    dg_plot_rect r; /* the chart's rectangle */
} canvas;

G_GNUC_UNUSED static canvas canvas_new(int w, int h, int margin)
{
    canvas c = {0};
    c.s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    c.w = w;
    c.h = h;
    cairo_t *cr = cairo_create(c.s);
    cairo_set_source_rgb(cr, SENTINEL_R / 255.0, SENTINEL_G / 255.0, SENTINEL_B / 255.0);
    cairo_paint(cr);
    cairo_destroy(cr);
    c.r = (dg_plot_rect){margin, margin, w - 2 * margin, h - 2 * margin};
    return c;
}

G_GNUC_UNUSED static void canvas_sync(canvas *c)
{
    cairo_surface_flush(c->s);
    c->data = cairo_image_surface_get_data(c->s);
    c->stride = cairo_image_surface_get_stride(c->s);
}

G_GNUC_UNUSED static void pixel(const canvas *c, int x, int y, int *r, int *g, int *b)
{
    uint32_t v = *(const uint32_t *)(c->data + (size_t)y * c->stride + (size_t)x * 4);
    *r = (v >> 16) & 0xff;
    *g = (v >> 8) & 0xff;
    *b = v & 0xff;
}

G_GNUC_UNUSED static gboolean near(int r, int g, int b, dg_plot_rgba want, int tol)
{
    return abs(r - (int)lround(want.r * 255)) <= tol && abs(g - (int)lround(want.g * 255)) <= tol &&
           abs(b - (int)lround(want.b * 255)) <= tol;
}

/* Pixels in [x0, x1) x [y0, y1) within tol of a colour. */
G_GNUC_UNUSED static int count_color(const canvas *c, int x0, int y0, int x1, int y1,
                                     dg_plot_rgba want, int tol)
{
    int n = 0;
    for (int y = MAX(y0, 0); y < MIN(y1, c->h); y++)
        for (int x = MAX(x0, 0); x < MIN(x1, c->w); x++) {
            int r, g, b;
            pixel(c, x, y, &r, &g, &b);
            n += near(r, g, b, want, tol);
        }
    return n;
}

/* Every pixel outside the chart's rectangle still has the sentinel colour. */
G_GNUC_UNUSED static void assert_margin_untouched(const canvas *c)
{
    int x0 = (int)c->r.x, y0 = (int)c->r.y;
    int x1 = (int)(c->r.x + c->r.width), y1 = (int)(c->r.y + c->r.height);
    int bad = 0;
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++) {
            if (x >= x0 && x < x1 && y >= y0 && y < y1)
                continue;
            int r, g, b;
            pixel(c, x, y, &r, &g, &b);
            if (r != SENTINEL_R || g != SENTINEL_G || b != SENTINEL_B)
                bad++;
        }
    g_assert_cmpint(bad, ==, 0);
}

/* Pixels of the chart's rectangle that differ from the theme background. */
G_GNUC_UNUSED static int ink_pixels(const canvas *c, const dg_plot_theme *th)
{
    int x0 = (int)c->r.x, y0 = (int)c->r.y;
    int x1 = (int)(c->r.x + c->r.width), y1 = (int)(c->r.y + c->r.height);
    return (x1 - x0) * (y1 - y0) - count_color(c, x0, y0, x1, y1, th->background, 0);
}

G_GNUC_UNUSED static void canvas_draw(canvas *c, dg_plot_draw_fn fn, void *chart,
                                     const dg_plot_theme *th)
{
    cairo_t *cr = cairo_create(c->s);
    fn(chart, cr, c->r.x, c->r.y, c->r.width, c->r.height, th);
    g_assert_cmpint(cairo_status(cr), ==, CAIRO_STATUS_SUCCESS);
    cairo_destroy(cr);
    canvas_sync(c);
}

G_GNUC_UNUSED static char *sample_path(const char *name)
{
    char *dir = g_test_build_filename(G_TEST_BUILT, "plot-samples", NULL);
    g_mkdir_with_parents(dir, 0755);
    char *p = g_build_filename(dir, name, NULL);
    g_free(dir);
    return p;
}

/* Save the chart's rectangle of a canvas as a PNG sample. */
G_GNUC_UNUSED static void canvas_write(const canvas *c, const char *name)
{
    cairo_surface_t *sub = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)c->r.width,
                                                      (int)c->r.height);
    cairo_t *cr = cairo_create(sub);
    cairo_set_source_surface(cr, c->s, -c->r.x, -c->r.y);
    cairo_paint(cr);
    cairo_destroy(cr);
    char *p = sample_path(name);
    g_assert_cmpint(cairo_surface_write_to_png(sub, p), ==, CAIRO_STATUS_SUCCESS);
    g_free(p);
    cairo_surface_destroy(sub);
}

G_GNUC_UNUSED static void canvas_free(canvas *c)
{
    cairo_surface_destroy(c->s);
}

typedef struct {
    dg_plot_theme theme;
    const char *name;
} theme_case;

G_GNUC_UNUSED static theme_case themes[2];

G_GNUC_UNUSED static void init_themes(void)
{
    themes[0] = (theme_case){dg_plot_theme_light(), "light"};
    themes[1] = (theme_case){dg_plot_theme_dark(), "dark"};
}

/* A GAN-like history: D and G losses with noise and an early spike, D(real)
 * and D(fake) on the right axis. */

G_GNUC_UNUSED static dg_line_chart *gan_chart(int steps)
{
    dg_line_chart *c = dg_line_chart_new();
    dg_line_chart_set_title(c, "GAN training");
    dg_line_chart_set_labels(c, "step", "loss", "D output");
    int d = dg_line_chart_add_series(c, "D loss");
    int g = dg_line_chart_add_series(c, "G loss");
    int dr = dg_line_chart_add_series(c, "D(real)");
    int df = dg_line_chart_add_series(c, "D(fake)");
    dg_line_chart_set_series_axis(c, dr, DG_PLOT_AXIS_RIGHT);
    dg_line_chart_set_series_axis(c, df, DG_PLOT_AXIS_RIGHT);
    GRand *rand = g_rand_new_with_seed(7);
    for (int i = 0; i < steps; i++) {
        double t = (double)i / steps;
        double noise = g_rand_double_range(rand, -0.15, 0.15);
        double dl = 1.35 - 0.45 * (1 - exp(-6 * t)) + noise;
        double gl = 0.9 + 1.1 * (1 - exp(-5 * t)) + 1.4 * noise;
        if (i == 12)
            gl = 50; /* an early spike */
        dg_line_chart_append(c, d, i * 10, dl);
        dg_line_chart_append(c, g, i * 10, gl);
        dg_line_chart_append(c, dr, i * 10, 0.5 + 0.25 * (1 - exp(-4 * t)) + noise / 2);
        dg_line_chart_append(c, df, i * 10, 0.5 - 0.2 * (1 - exp(-4 * t)) + noise / 2);
    }
    g_rand_free(rand);
    return c;
}


/* A confusion matrix of the four task classes. */

G_GNUC_UNUSED static const double confusion[16] = {
    31, 8, 7, 3,  /* akiec */
    4, 66, 4, 3,  /* bcc */
    9, 6, 128, 22, /* bkl */
    3, 2, 19, 143, /* mel */
};


/* test-plot.c: the cairo charts of dg-plot.
 *
 * Every chart is rendered into a sub-rectangle of a larger image surface that
 * was first filled with a sentinel colour, so the tests can check that the
 * chart painted its rectangle, used its colours where they belong and left
 * everything outside the rectangle alone.  The renders are also written as
 * PNGs to $G_TEST_BUILDDIR/plot-samples/ to be looked at. */
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

static const char *const class_ids[] = {"akiec", "bcc", "bkl", "mel"};
static const char *const class_names[] = {"Actinic keratosis", "Basal cell carcinoma",
                                          "Benign keratosis", "Melanoma"};

/* ---- Helpers ------------------------------------------------------------- */

#define SENTINEL_R 255
#define SENTINEL_G 0
#define SENTINEL_B 255

typedef struct {
    cairo_surface_t *s;
    int w, h, stride;
    uint8_t *data;
    dg_plot_rect r; /* the chart's rectangle */
} canvas;

static canvas canvas_new(int w, int h, int margin)
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

static void canvas_sync(canvas *c)
{
    cairo_surface_flush(c->s);
    c->data = cairo_image_surface_get_data(c->s);
    c->stride = cairo_image_surface_get_stride(c->s);
}

static void pixel(const canvas *c, int x, int y, int *r, int *g, int *b)
{
    uint32_t v = *(const uint32_t *)(c->data + (size_t)y * c->stride + (size_t)x * 4);
    *r = (v >> 16) & 0xff;
    *g = (v >> 8) & 0xff;
    *b = v & 0xff;
}

static gboolean near(int r, int g, int b, dg_plot_rgba want, int tol)
{
    return abs(r - (int)lround(want.r * 255)) <= tol && abs(g - (int)lround(want.g * 255)) <= tol &&
           abs(b - (int)lround(want.b * 255)) <= tol;
}

/* Pixels in [x0, x1) x [y0, y1) within tol of a colour. */
static int count_color(const canvas *c, int x0, int y0, int x1, int y1, dg_plot_rgba want,
                       int tol)
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
static void assert_margin_untouched(const canvas *c)
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
static int ink_pixels(const canvas *c, const dg_plot_theme *th)
{
    int x0 = (int)c->r.x, y0 = (int)c->r.y;
    int x1 = (int)(c->r.x + c->r.width), y1 = (int)(c->r.y + c->r.height);
    return (x1 - x0) * (y1 - y0) - count_color(c, x0, y0, x1, y1, th->background, 0);
}

static void canvas_draw(canvas *c, dg_plot_draw_fn fn, void *chart, const dg_plot_theme *th)
{
    cairo_t *cr = cairo_create(c->s);
    fn(chart, cr, c->r.x, c->r.y, c->r.width, c->r.height, th);
    g_assert_cmpint(cairo_status(cr), ==, CAIRO_STATUS_SUCCESS);
    cairo_destroy(cr);
    canvas_sync(c);
}

static char *sample_path(const char *name)
{
    char *dir = g_test_build_filename(G_TEST_BUILT, "plot-samples", NULL);
    g_mkdir_with_parents(dir, 0755);
    char *p = g_build_filename(dir, name, NULL);
    g_free(dir);
    return p;
}

/* Save the chart's rectangle of a canvas as a PNG sample. */
static void canvas_write(const canvas *c, const char *name)
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

static void canvas_free(canvas *c)
{
    cairo_surface_destroy(c->s);
}

typedef struct {
    dg_plot_theme theme;
    const char *name;
} theme_case;

static theme_case themes[2];

static void init_themes(void)
{
    themes[0] = (theme_case){dg_plot_theme_light(), "light"};
    themes[1] = (theme_case){dg_plot_theme_dark(), "dark"};
}

/* ---- Themes and colours ------------------------------------------------------ */

static void test_theme(void)
{
    for (int t = 0; t < 2; t++) {
        const dg_plot_theme *th = &themes[t].theme;
        g_assert_cmpfloat(dg_plot_contrast_ratio(th->foreground, th->background), >=, 7.0);
        g_assert_cmpfloat(dg_plot_contrast_ratio(th->muted, th->background), >=, 4.5);
        g_assert_cmpfloat(dg_plot_contrast_ratio(th->axis, th->background), >=, 1.8);
        g_assert_cmpfloat(th->font_size, >=, 10);
        g_assert_cmpfloat(th->font_size, <=, 12);
        for (int i = 0; i < DG_PLOT_PALETTE_SIZE; i++) {
            /* Lines must stand out from the background (WCAG asks 3:1 for graphics). */
            g_assert_cmpfloat(dg_plot_contrast_ratio(th->palette[i], th->background), >=, 2.5);
            for (int j = 0; j < i; j++) {
                dg_plot_rgba a = th->palette[i], b = th->palette[j];
                double d = fabs(a.r - b.r) + fabs(a.g - b.g) + fabs(a.b - b.b);
                g_assert_cmpfloat(d, >, 0.25);
            }
        }
    }
    dg_plot_theme l = dg_plot_theme_light(), d = dg_plot_theme_dark();
    g_assert_cmpfloat(dg_plot_contrast_ratio(l.background, d.background), >, 10);
}

static void test_contrast(void)
{
    dg_plot_rgba black = {0, 0, 0, 1}, white = {1, 1, 1, 1};
    g_assert_cmpfloat_with_epsilon(dg_plot_contrast_ratio(black, white), 21.0, 1e-6);
    g_assert_cmpfloat_with_epsilon(dg_plot_contrast_ratio(white, white), 1.0, 1e-9);
    for (int t = 0; t < 2; t++) {
        const dg_plot_theme *th = &themes[t].theme;
        for (int i = 0; i <= 100; i++) {
            dg_plot_rgba cell = dg_plot_theme_ramp(th, i / 100.0);
            dg_plot_rgba text = dg_plot_text_color_for(cell);
            g_assert_cmpfloat(dg_plot_contrast_ratio(cell, text), >=, 4.5);
        }
        /* The ramp runs from the low to the high colour and clamps. */
        dg_plot_rgba lo = dg_plot_theme_ramp(th, -1), hi = dg_plot_theme_ramp(th, 2);
        dg_plot_rgba nan = dg_plot_theme_ramp(th, NAN);
        g_assert_cmpfloat(lo.r, ==, th->heat[0].r);
        g_assert_cmpfloat(hi.b, ==, th->heat[2].b);
        g_assert_cmpfloat(nan.g, ==, th->heat[0].g);
    }
}

/* ---- Ticks ----------------------------------------------------------------- */

static void assert_ticks(double lo, double hi, int max, int n, const char *const *labels)
{
    dg_plot_ticks t;
    dg_plot_ticks_compute(&t, lo, hi, max);
    if (g_test_verbose()) {
        g_test_message("[%g, %g] max %d: step %g, %d ticks", lo, hi, max, t.step, t.n);
        for (int i = 0; i < t.n; i++)
            g_test_message("  %g '%s'", t.value[i], t.label[i]);
    }
    g_assert_cmpint(t.n, ==, n);
    for (int i = 0; i < n; i++)
        g_assert_cmpstr(t.label[i], ==, labels[i]);
    for (int i = 0; i < t.n; i++) {
        g_assert_cmpfloat(t.value[i], >=, MIN(lo, hi) - 1e-9 * fabs(hi - lo));
        g_assert_cmpfloat(t.value[i], <=, MAX(lo, hi) + 1e-9 * fabs(hi - lo));
    }
}

static void test_ticks(void)
{
    assert_ticks(0, 1, 6, 6, (const char *const[]){"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
    assert_ticks(0, 1, 3, 3, (const char *const[]){"0.0", "0.5", "1.0"});
    assert_ticks(0, 12345, 7, 7,
                 (const char *const[]){"0", "2k", "4k", "6k", "8k", "10k", "12k"});
    assert_ticks(0, 5000, 6, 6, (const char *const[]){"0", "1000", "2000", "3000", "4000", "5000"});
    assert_ticks(0, 2.5e6, 6, 6,
                 (const char *const[]){"0", "0.5M", "1.0M", "1.5M", "2.0M", "2.5M"});
    assert_ticks(0, 100000, 6, 6,
                 (const char *const[]){"0", "20k", "40k", "60k", "80k", "100k"});
    assert_ticks(-1, 1, 5, 5, (const char *const[]){"-1.0", "-0.5", "0.0", "0.5", "1.0"});
    assert_ticks(0.31, 0.87, 6, 5, (const char *const[]){"0.4", "0.5", "0.6", "0.7", "0.8"});
}

static void test_ticks_more(void)
{
    /* 0.31..0.87 with 6: the step of 0.1 gives 0.4 ... 0.8 (5 ticks). */
    dg_plot_ticks t;
    dg_plot_ticks_compute(&t, 0.31, 0.87, 6);
    g_assert_cmpint(t.n, ==, 5);
    g_assert_cmpfloat_with_epsilon(t.step, 0.1, 1e-12);
    /* Reversed bounds are accepted. */
    dg_plot_ticks_compute(&t, 10, 0, 6);
    g_assert_cmpint(t.n, ==, 6);
    g_assert_cmpstr(t.label[0], ==, "0");
    g_assert_cmpstr(t.label[5], ==, "10");
    /* Degenerate and invalid ranges. */
    dg_plot_ticks_compute(&t, 3, 3, 6);
    g_assert_cmpint(t.n, ==, 1);
    g_assert_cmpstr(t.label[0], ==, "3");
    dg_plot_ticks_compute(&t, NAN, 1, 6);
    g_assert_cmpint(t.n, ==, 0);
    dg_plot_ticks_compute(&t, 0, INFINITY, 6);
    g_assert_cmpint(t.n, ==, 0);
    /* Every step is 1, 2 or 5 times a power of ten (2.5 when the others give
     * a single tick), never too many ticks, no "-0". */
    for (int i = 0; i < 2000; i++) {
        double lo = g_test_rand_double_range(-1e6, 1e6);
        double span = pow(10, g_test_rand_double_range(-6, 7));
        int max = g_test_rand_int_range(2, 12);
        dg_plot_ticks_compute(&t, lo, lo + span, max);
        g_assert_cmpint(t.n, >=, 1);
        g_assert_cmpint(t.n, <=, max);
        double m = t.step / pow(10, floor(log10(t.step)));
        g_assert_true(fabs(m - 1) < 1e-6 || fabs(m - 2) < 1e-6 || fabs(m - 5) < 1e-6 ||
                      fabs(m - 10) < 1e-6 || (fabs(m - 2.5) < 1e-6 && t.n <= 3));
        for (int j = 0; j < t.n; j++) {
            g_assert_false(g_str_has_prefix(t.label[j], "-0") &&
                           strspn(t.label[j] + 1, "0.") == strlen(t.label[j] + 1));
            if (j > 0)
                g_assert_cmpstr(t.label[j], !=, t.label[j - 1]); /* enough decimals */
        }
        if (max >= 4 && t.n < 2)
            g_test_message("[%.17g, %.17g] max %d: %d ticks", lo, lo + span, max, t.n);
        if (max >= 4)
            g_assert_cmpint(t.n, >=, 2);
    }
}

/* ---- Line chart ------------------------------------------------------------ */

/* A GAN-like history: D and G losses with noise and an early spike, D(real)
 * and D(fake) on the right axis. */
static dg_line_chart *gan_chart(int steps)
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

static void test_line_gan(void)
{
    for (int t = 0; t < 2; t++) {
        const dg_plot_theme *th = &themes[t].theme;
        dg_line_chart *c = gan_chart(3000);
        dg_line_chart_set_smoothing(c, 0.9);
        canvas cv = canvas_new(760, 420, 30);
        canvas_draw(&cv, dg_line_chart_kind.draw, c, th);
        assert_margin_untouched(&cv);
        g_assert_cmpint(ink_pixels(&cv, th), >, 3000);
        dg_plot_rect a;
        double y_lo, y_hi;
        g_assert_true(dg_line_chart_get_layout(c, &a, NULL, NULL, &y_lo, &y_hi));
        g_assert_cmpfloat(a.x, >, cv.r.x);
        g_assert_cmpfloat(a.y, >, cv.r.y);
        g_assert_cmpfloat(a.x + a.width, <, cv.r.x + cv.r.width);
        g_assert_cmpfloat(a.y + a.height, <, cv.r.y + cv.r.height);
        /* The spike of 50 is clipped away: the losses keep the plot. */
        g_assert_cmpfloat(y_hi, <, 4);
        g_assert_cmpfloat(y_lo, >=, 0);
        /* Every series' colour is in the plot area. */
        for (int s = 0; s < 4; s++)
            g_assert_cmpint(count_color(&cv, (int)a.x, (int)a.y, (int)(a.x + a.width),
                                        (int)(a.y + a.height), th->palette[s], 12),
                            >, 20);
        char *name = g_strdup_printf("line-gan-%s.png", themes[t].name);
        canvas_write(&cv, name);
        g_free(name);
        /* Legend outside, no smoothing, follow the last 5000 steps. */
        dg_line_chart_set_smoothing(c, 0);
        dg_line_chart_set_legend(c, DG_PLOT_LEGEND_OUTSIDE);
        dg_line_chart_set_window(c, 5000);
        canvas cv2 = canvas_new(760, 420, 30);
        canvas_draw(&cv2, dg_line_chart_kind.draw, c, th);
        assert_margin_untouched(&cv2);
        double x_lo, x_hi;
        g_assert_true(dg_line_chart_get_layout(c, &a, &x_lo, &x_hi, NULL, NULL));
        g_assert_cmpfloat(x_hi, ==, 29990);
        g_assert_cmpfloat(x_lo, ==, 29990 - 5000);
        name = g_strdup_printf("line-window-outside-%s.png", themes[t].name);
        canvas_write(&cv2, name);
        g_free(name);
        canvas_free(&cv2);
        canvas_free(&cv);
        dg_line_chart_free(c);
    }
}

static void test_line_training_curves(void)
{
    /* Classifier curves: train/val loss, with an epoch x axis. */
    for (int t = 0; t < 2; t++) {
        const dg_plot_theme *th = &themes[t].theme;
        dg_line_chart *c = dg_line_chart_new();
        dg_line_chart_set_title(c, "Classifier (dermanet)");
        dg_line_chart_set_labels(c, "epoch", "balanced accuracy", NULL);
        int tr = dg_line_chart_add_series(c, "train");
        int va = dg_line_chart_add_series(c, "validation");
        for (int e = 1; e <= 40; e++) {
            dg_line_chart_append(c, tr, e, 0.95 - 0.6 * exp(-e / 8.0));
            dg_line_chart_append(c, va, e, 0.80 - 0.5 * exp(-e / 7.0) - 0.002 * e +
                                               0.02 * sin(e * 1.3));
        }
        canvas cv = canvas_new(520, 320, 12);
        canvas_draw(&cv, dg_line_chart_kind.draw, c, th);
        assert_margin_untouched(&cv);
        char *name = g_strdup_printf("line-classifier-%s.png", themes[t].name);
        canvas_write(&cv, name);
        g_free(name);
        canvas_free(&cv);
        dg_line_chart_free(c);
    }
}

typedef struct {
    const char *name;
    void (*fill)(dg_line_chart *c);
} edge_case;

static void fill_empty_series(dg_line_chart *c)
{
    dg_line_chart_add_series(c, "D loss");
    dg_line_chart_add_series(c, "G loss");
}

static void fill_none(dg_line_chart *c)
{
    (void)c;
}

static void fill_one(dg_line_chart *c)
{
    int s = dg_line_chart_add_series(c, "loss");
    dg_line_chart_append(c, s, 0, 0.7);
}

static void fill_nan(dg_line_chart *c)
{
    int s = dg_line_chart_add_series(c, "all NaN");
    int u = dg_line_chart_add_series(c, "some Inf");
    for (int i = 0; i < 100; i++) {
        dg_line_chart_append(c, s, i, NAN);
        dg_line_chart_append(c, u, i, i % 7 == 0 ? INFINITY : i % 11 == 0 ? NAN : sin(i * 0.1));
    }
    dg_line_chart_append(c, u, NAN, 1);      /* dropped */
    dg_line_chart_append(c, u, INFINITY, 1); /* dropped */
}

static void fill_constant(dg_line_chart *c)
{
    int s = dg_line_chart_add_series(c, "constant");
    int z = dg_line_chart_add_series(c, "zero");
    for (int i = 0; i < 500; i++) {
        dg_line_chart_append(c, s, 1000 + i, 0.5);
        dg_line_chart_append(c, z, 1000 + i, 0.0);
    }
}

static void fill_huge(dg_line_chart *c)
{
    int s = dg_line_chart_add_series(c, "huge");
    for (int i = 0; i < 100; i++)
        dg_line_chart_append(c, s, i * 1e7, i == 50 ? 1e30 : (i % 2 ? -1e20 : 1e20));
    dg_line_chart_set_y_clip(c, 0);
}

static void fill_unsorted(dg_line_chart *c)
{
    int s = dg_line_chart_add_series(c, "unsorted");
    for (int i = 0; i < 200; i++)
        dg_line_chart_append(c, s, (i * 37) % 200, i * 0.01);
    dg_line_chart_set_window(c, 50);
    dg_line_chart_set_smoothing(c, 0.5);
}

static void fill_negative(dg_line_chart *c)
{
    int s = dg_line_chart_add_series(c, "difference");
    for (int i = 0; i < 300; i++)
        dg_line_chart_append(c, s, -150 + i, -3 + 0.02 * i);
}

static void fill_tiny(dg_line_chart *c)
{
    int s = dg_line_chart_add_series(c, "denormal");
    int u = dg_line_chart_add_series(c, "tiny fixed");
    dg_line_chart_append(c, s, 0, 0);
    dg_line_chart_append(c, s, 1e-310, -1e-310);
    dg_line_chart_append(c, s, 2e-310, 5e-324);
    dg_line_chart_append(c, u, 0, 1);
    dg_line_chart_append(c, u, 1e-310, 1 + 1e-15);
    dg_line_chart_set_y_range(c, DG_PLOT_AXIS_RIGHT, 0, 1e-300);
    dg_line_chart_set_series_axis(c, u, DG_PLOT_AXIS_RIGHT);
}

static void test_line_edges(void)
{
    static const edge_case cases[] = {
        {"no-series", fill_none}, {"empty", fill_empty_series}, {"one-point", fill_one},
        {"nan", fill_nan},        {"constant", fill_constant},  {"huge", fill_huge},
        {"unsorted", fill_unsorted}, {"negative", fill_negative},
        {"tiny", fill_tiny},
    };
    static const int sizes[][2] = {{420, 260}, {120, 90}, {61, 50}, {20, 10}, {1, 1}};
    for (size_t ci = 0; ci < G_N_ELEMENTS(cases); ci++) {
        for (int t = 0; t < 2; t++) {
            const dg_plot_theme *th = &themes[t].theme;
            for (size_t si = 0; si < G_N_ELEMENTS(sizes); si++) {
                dg_line_chart *c = dg_line_chart_new();
                dg_line_chart_set_labels(c, "step", "loss", NULL);
                cases[ci].fill(c);
                canvas cv = canvas_new(sizes[si][0] + 20, sizes[si][1] + 20, 10);
                canvas_draw(&cv, dg_line_chart_kind.draw, c, th);
                assert_margin_untouched(&cv);
                /* The rectangle is painted: a frame at least. */
                g_assert_cmpint(count_color(&cv, 10, 10, 10 + sizes[si][0], 10 + sizes[si][1],
                                            th->background, 0),
                                >, 0);
                if (si == 0) {
                    /* A full-size chart always draws its axes. */
                    g_assert_true(dg_line_chart_get_layout(c, NULL, NULL, NULL, NULL, NULL));
                    g_assert_cmpint(ink_pixels(&cv, th), >, 300);
                    char *name = g_strdup_printf("line-edge-%s-%s.png", cases[ci].name,
                                                 themes[t].name);
                    canvas_write(&cv, name);
                    g_free(name);
                }
                canvas_free(&cv);
                dg_line_chart_free(c);
            }
        }
    }
    /* A one-point series draws a dot of its colour. */
    dg_line_chart *c = dg_line_chart_new();
    fill_one(c);
    canvas cv = canvas_new(300, 200, 0);
    canvas_draw(&cv, dg_line_chart_kind.draw, c, &themes[0].theme);
    g_assert_cmpint(count_color(&cv, 0, 0, 300, 200, themes[0].theme.palette[0], 10), >, 6);
    canvas_free(&cv);
    /* Clearing keeps the series. */
    dg_line_chart_clear(c);
    g_assert_cmpint(dg_line_chart_n_series(c), ==, 1);
    g_assert_cmpuint(dg_line_chart_n_points(c, 0), ==, 0);
    dg_line_chart_free(c);
    dg_line_chart_free(NULL);
}

/* 100k points of noise in [0, 1] with one spike of 100 in the middle. */
static dg_line_chart *spike_chart(void)
{
    dg_line_chart *c = dg_line_chart_new();
    int s = dg_line_chart_add_series(c, "loss");
    GRand *rand = g_rand_new_with_seed(3);
    for (int i = 0; i < 100000; i++)
        dg_line_chart_append(c, s, i, i == 50000 ? 100 : g_rand_double(rand));
    g_rand_free(rand);
    return c;
}

static void test_line_decimation_spike(void)
{
    const dg_plot_theme *th = &themes[0].theme;
    for (int clip = 0; clip < 2; clip++) {
        dg_line_chart *c = spike_chart();
        dg_line_chart_set_y_clip(c, clip ? 0.01 : 0);
        dg_line_chart_set_legend(c, DG_PLOT_LEGEND_NONE);
        canvas cv = canvas_new(640, 360, 20);
        canvas_draw(&cv, dg_line_chart_kind.draw, c, th);
        assert_margin_untouched(&cv);
        dg_plot_rect a;
        double y_hi, y_lo;
        g_assert_true(dg_line_chart_get_layout(c, &a, NULL, NULL, &y_lo, &y_hi));
        canvas_write(&cv, clip ? "line-spike-clipped.png" : "line-spike-full.png");
        int col = (int)(a.x + a.width / 2);
        /* The spike reaches the top of the plot: the top 8% when the range
         * shows it, the top edge itself when the robust range clips it. */
        int band = clip ? 3 : (int)ceil(a.height * 0.08);
        if (clip)
            g_assert_cmpfloat(y_hi, <, 2);
        else
            g_assert_cmpfloat(y_hi, >=, 100);
        int hits = count_color(&cv, col - 3, (int)a.y, col + 4, (int)a.y + band, th->palette[0], 40);
        g_assert_cmpint(hits, >, 0);
        /* And nothing else comes near the top (the noise stays below 1). */
        if (!clip) {
            int others = count_color(&cv, (int)a.x, (int)a.y, col - 6, (int)a.y + band,
                                     th->palette[0], 40);
            g_assert_cmpint(others, ==, 0);
        } else {
            /* The noise fills the plot: both the bottom and top fifth are reached. */
            g_assert_cmpint(count_color(&cv, (int)a.x, (int)(a.y + a.height * 0.8),
                                        (int)(a.x + a.width), (int)(a.y + a.height),
                                        th->palette[0], 40),
                            >, 100);
        }
        canvas_free(&cv);
        dg_line_chart_free(c);
    }
}

static void test_line_timing(void)
{
    dg_line_chart *c = spike_chart();
    dg_line_chart_set_title(c, "100k points");
    dg_line_chart_set_labels(c, "step", "loss", NULL);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 800, 400);
    cairo_t *cr = cairo_create(s);
    gint64 best = G_MAXINT64, best_sm = G_MAXINT64;
    for (int rep = 0; rep < 7; rep++) {
        dg_line_chart_set_smoothing(c, 0);
        gint64 t0 = g_get_monotonic_time();
        dg_line_chart_draw(c, cr, 0, 0, 800, 400, &themes[0].theme);
        gint64 t1 = g_get_monotonic_time();
        best = MIN(best, t1 - t0);
        /* Smoothing on: two decimated lines (raw + EMA); the EMA is cached
         * after the first draw, as it is while the app redraws. */
        dg_line_chart_set_smoothing(c, 0.9);
        dg_line_chart_draw(c, cr, 0, 0, 800, 400, &themes[0].theme);
        t0 = g_get_monotonic_time();
        dg_line_chart_draw(c, cr, 0, 0, 800, 400, &themes[0].theme);
        t1 = g_get_monotonic_time();
        best_sm = MIN(best_sm, t1 - t0);
    }
    g_test_message("100k points: %.2f ms per draw, %.2f ms with smoothing", best / 1000.0,
                   best_sm / 1000.0);
    if (DG_TEST_SANITIZED || g_getenv("DG_SLOW_TESTS") || g_getenv("RUNNING_ON_VALGRIND"))
        g_test_message("timing bound not checked (sanitizers or valgrind)");
    else {
        g_assert_cmpint(best, <, 20000);
        g_assert_cmpint(best_sm, <, 20000);
    }
    /* The GAN view's worst case: four series of 100k points, smoothed. */
    dg_line_chart *g = gan_chart(100000);
    dg_line_chart_set_smoothing(g, 0.95);
    dg_line_chart_draw(g, cr, 0, 0, 800, 400, &themes[0].theme);
    gint64 best4 = G_MAXINT64;
    for (int rep = 0; rep < 5; rep++) {
        gint64 t0 = g_get_monotonic_time();
        dg_line_chart_draw(g, cr, 0, 0, 800, 400, &themes[0].theme);
        best4 = MIN(best4, g_get_monotonic_time() - t0);
    }
    g_test_message("4 x 100k points, smoothed: %.2f ms per draw", best4 / 1000.0);
    dg_line_chart_free(g);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    dg_line_chart_free(c);
}

static void test_line_robust_range(void)
{
    /* A curve living in 0..2 with one early spike of 50. */
    dg_line_chart *c = dg_line_chart_new();
    int s = dg_line_chart_add_series(c, "G loss");
    for (int i = 0; i < 2000; i++)
        dg_line_chart_append(c, s, i, i == 5 ? 50 : 1 + sin(i * 0.05));
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 400, 300);
    cairo_t *cr = cairo_create(surf);
    double lo, hi;
    dg_line_chart_draw(c, cr, 0, 0, 400, 300, NULL);
    g_assert_true(dg_line_chart_get_layout(c, NULL, NULL, NULL, &lo, &hi));
    g_assert_cmpfloat(lo, >=, 0);
    g_assert_cmpfloat(hi, <, 2.5);
    g_assert_cmpfloat(hi, >, 2.0);
    /* Ordinary data is never clipped. */
    dg_line_chart_clear(c);
    for (int i = 0; i < 2000; i++)
        dg_line_chart_append(c, s, i, 3 * exp(-i / 300.0) + 0.1 * sin(i));
    dg_line_chart_draw(c, cr, 0, 0, 400, 300, NULL);
    g_assert_true(dg_line_chart_get_layout(c, NULL, NULL, NULL, &lo, &hi));
    g_assert_cmpfloat(hi, >=, 3.0);
    /* Clip off: everything shows. */
    dg_line_chart_clear(c);
    for (int i = 0; i < 2000; i++)
        dg_line_chart_append(c, s, i, i == 5 ? 50 : 1 + sin(i * 0.05));
    dg_line_chart_set_y_clip(c, 0);
    dg_line_chart_draw(c, cr, 0, 0, 400, 300, NULL);
    g_assert_true(dg_line_chart_get_layout(c, NULL, NULL, NULL, &lo, &hi));
    g_assert_cmpfloat(hi, >=, 50);
    /* A fixed range wins. */
    dg_line_chart_set_y_range(c, DG_PLOT_AXIS_LEFT, -1, 3);
    dg_line_chart_draw(c, cr, 0, 0, 400, 300, NULL);
    g_assert_true(dg_line_chart_get_layout(c, NULL, NULL, NULL, &lo, &hi));
    g_assert_cmpfloat(lo, ==, -1);
    g_assert_cmpfloat(hi, ==, 3);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    dg_line_chart_free(c);
}

static void test_line_hidpi(void)
{
    /* Drawn at device scale 2, as GTK does on a HiDPI screen. */
    dg_line_chart *c = gan_chart(2000);
    dg_line_chart_set_smoothing(c, 0.8);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1040, 640);
    cairo_t *cr = cairo_create(s);
    cairo_scale(cr, 2, 2);
    dg_line_chart_draw(c, cr, 0, 0, 520, 320, &themes[1].theme);
    g_assert_cmpint(cairo_status(cr), ==, CAIRO_STATUS_SUCCESS);
    cairo_destroy(cr);
    char *p = sample_path("line-gan-dark-2x.png");
    cairo_surface_write_to_png(s, p);
    g_free(p);
    cairo_surface_destroy(s);
    dg_line_chart_free(c);
}

/* ---- Bar chart ---------------------------------------------------------------- */

static void test_bar_counts(void)
{
    static const double counts[] = {327, 514, 1099, 1113};
    for (int t = 0; t < 2; t++) {
        const dg_plot_theme *th = &themes[t].theme;
        dg_bar_chart *c = dg_bar_chart_new();
        dg_bar_chart_set_title(c, "HAM10000: images per class");
        dg_bar_chart_set_labels(c, NULL, "images");
        dg_bar_chart_set_categories(c, 4, class_names);
        dg_bar_chart_add_series(c, "images", counts, NULL);
        canvas cv = canvas_new(560, 340, 24);
        canvas_draw(&cv, dg_bar_chart_kind.draw, c, th);
        assert_margin_untouched(&cv);
        g_assert_cmpint(count_color(&cv, 0, 0, cv.w, cv.h, th->palette[0], 2), >, 2000);
        char *name = g_strdup_printf("bar-counts-%s.png", themes[t].name);
        canvas_write(&cv, name);
        g_free(name);
        canvas_free(&cv);
        /* One colour per class. */
        dg_bar_chart_set_color_by_category(c, TRUE);
        cv = canvas_new(560, 340, 24);
        canvas_draw(&cv, dg_bar_chart_kind.draw, c, th);
        assert_margin_untouched(&cv);
        for (int i = 0; i < 4; i++)
            g_assert_cmpint(count_color(&cv, 0, 0, cv.w, cv.h, th->palette[i], 2), >, 500);
        name = g_strdup_printf("bar-counts-colored-%s.png", themes[t].name);
        canvas_write(&cv, name);
        g_free(name);
        canvas_free(&cv);
        dg_bar_chart_free(c);
    }
}

static void test_bar_grouped(void)
{
    static const double train[] = {229, 360, 769, 779}, val[] = {49, 77, 165, 167},
                        test[] = {49, 77, 165, 167};
    static const double real_m[] = {0.52, 0.71, 0.63, 0.58}, real_s[] = {0.04, 0.03, 0.05, 0.06};
    static const double gan_m[] = {0.61, 0.73, 0.60, 0.66}, gan_s[] = {0.05, 0.02, 0.04, 0.03};
    for (int t = 0; t < 2; t++) {
        const dg_plot_theme *th = &themes[t].theme;
        dg_bar_chart *c = dg_bar_chart_new();
        dg_bar_chart_set_title(c, "Split by lesion");
        dg_bar_chart_set_labels(c, NULL, "images");
        dg_bar_chart_set_categories(c, 4, class_ids);
        dg_bar_chart_add_series(c, "train", train, NULL);
        dg_bar_chart_add_series(c, "validation", val, NULL);
        dg_bar_chart_add_series(c, "test", test, NULL);
        canvas cv = canvas_new(600, 340, 16);
        canvas_draw(&cv, dg_bar_chart_kind.draw, c, th);
        assert_margin_untouched(&cv);
        for (int s = 0; s < 3; s++)
            g_assert_cmpint(count_color(&cv, 0, 0, cv.w, cv.h, th->palette[s], 2), >, 200);
        char *name = g_strdup_printf("bar-split-%s.png", themes[t].name);
        canvas_write(&cv, name);
        g_free(name);
        canvas_free(&cv);

        dg_bar_chart_set_title(c, "Recall per class, mean \u00b1 std over 3 seeds");
        dg_bar_chart_set_labels(c, NULL, "recall");
        dg_bar_chart_set_categories(c, 4, class_names);
        dg_bar_chart_add_series(c, "real only", real_m, real_s);
        dg_bar_chart_add_series(c, "real + synthetic", gan_m, gan_s);
        dg_bar_chart_set_value_labels(c, TRUE, "%.2f");
        dg_bar_chart_set_y_range(c, 0, 1);
        cv = canvas_new(600, 360, 16);
        canvas_draw(&cv, dg_bar_chart_kind.draw, c, th);
        assert_margin_untouched(&cv);
        for (int s = 0; s < 2; s++)
            g_assert_cmpint(count_color(&cv, 0, 0, cv.w, cv.h, th->palette[s], 2), >, 500);
        name = g_strdup_printf("bar-ablation-%s.png", themes[t].name);
        canvas_write(&cv, name);
        g_free(name);
        canvas_free(&cv);

        /* Legend outside. */
        dg_bar_chart_set_legend(c, DG_PLOT_LEGEND_OUTSIDE);
        cv = canvas_new(700, 360, 16);
        canvas_draw(&cv, dg_bar_chart_kind.draw, c, th);
        assert_margin_untouched(&cv);
        name = g_strdup_printf("bar-ablation-outside-%s.png", themes[t].name);
        canvas_write(&cv, name);
        g_free(name);
        canvas_free(&cv);
        dg_bar_chart_free(c);
    }
}

static void test_bar_edges(void)
{
    const dg_plot_theme *th = &themes[0].theme;
    static const double diff[] = {0.09, 0.02, -0.03, 0.08}, err[] = {0.03, 0.02, 0.04, NAN};
    static const double weird[] = {NAN, INFINITY, 0, 5};
    static const double zeros[] = {0, 0, 0, 0};
    for (int k = 0; k < 5; k++) {
        dg_bar_chart *c = dg_bar_chart_new();
        const char *name = NULL;
        if (k == 0) {
            name = "bar-edge-empty.png";
        } else if (k == 1) {
            dg_bar_chart_set_title(c, "Paired difference (synthetic \u2212 real)");
            dg_bar_chart_set_categories(c, 4, class_names);
            dg_bar_chart_add_series(c, "recall", diff, err);
            dg_bar_chart_set_value_labels(c, TRUE, "%+.2f");
            name = "bar-edge-negative.png";
        } else if (k == 2) {
            dg_bar_chart_set_categories(c, 4, class_ids);
            dg_bar_chart_add_series(c, "weird", weird, NULL);
            name = "bar-edge-nan.png";
        } else if (k == 3) {
            dg_bar_chart_set_categories(c, 4, class_ids);
            dg_bar_chart_add_series(c, "zeros", zeros, NULL);
            name = "bar-edge-zeros.png";
        } else {
            /* Many categories in a narrow chart: labels are dropped, not overlapped. */
            const char *many[30];
            double v[30];
            char *names[30];
            for (int i = 0; i < 30; i++) {
                names[i] = g_strdup_printf("class number %d", i);
                many[i] = names[i];
                v[i] = 1000 + 37 * i;
            }
            dg_bar_chart_set_categories(c, 30, many);
            dg_bar_chart_add_series(c, "a", v, NULL);
            dg_bar_chart_add_series(c, "b", v, NULL);
            for (int i = 0; i < 30; i++)
                g_free(names[i]);
            name = "bar-edge-crowded.png";
        }
        for (int sz = 0; sz < 3; sz++) {
            static const int sizes[][2] = {{420, 260}, {80, 60}, {3, 3}};
            canvas cv = canvas_new(sizes[sz][0] + 20, sizes[sz][1] + 20, 10);
            canvas_draw(&cv, dg_bar_chart_kind.draw, c, th);
            assert_margin_untouched(&cv);
            if (sz == 0) {
                g_assert_cmpint(ink_pixels(&cv, th), >, 50);
                canvas_write(&cv, name);
            }
            canvas_free(&cv);
        }
        dg_bar_chart_free(c);
    }
    dg_bar_chart_free(NULL);
}

/* ---- Heatmap ----------------------------------------------------------------- */

static const double confusion[16] = {
    31, 8, 7, 3,  /* akiec */
    4, 66, 4, 3,  /* bcc */
    9, 6, 128, 22, /* bkl */
    3, 2, 19, 143, /* mel */
};

static void test_heatmap(void)
{
    for (int t = 0; t < 2; t++) {
        const dg_plot_theme *th = &themes[t].theme;
        dg_heatmap *m = dg_heatmap_new();
        dg_heatmap_set_title(m, "Confusion matrix (test split)");
        dg_heatmap_set_data(m, 4, 4, confusion, class_names, class_names);
        canvas cv = canvas_new(560, 500, 20);
        canvas_draw(&cv, dg_heatmap_kind.draw, m, th);
        assert_margin_untouched(&cv);
        for (int r = 0; r < 4; r++) {
            double sum = 0;
            for (int c = 0; c < 4; c++)
                sum += confusion[r * 4 + c];
            for (int c = 0; c < 4; c++) {
                dg_plot_rect cell;
                g_assert_true(dg_heatmap_get_cell(m, r, c, &cell));
                g_assert_cmpfloat(cell.x, >=, cv.r.x);
                g_assert_cmpfloat(cell.x + cell.width, <=, cv.r.x + cv.r.width);
                g_assert_cmpfloat(cell.width, >, 40);
                /* The cell's colour is the ramp at its row-normalised value... */
                dg_plot_rgba want = dg_plot_theme_ramp(th, confusion[r * 4 + c] / sum);
                int pr, pg, pb;
                pixel(&cv, (int)(cell.x + 6), (int)(cell.y + 6), &pr, &pg, &pb);
                g_assert_true(near(pr, pg, pb, want, 2));
                /* ...and its text is written in the contrasting colour. */
                dg_plot_rgba text = dg_plot_text_color_for(want);
                int n = count_color(&cv, (int)cell.x, (int)cell.y, (int)(cell.x + cell.width),
                                    (int)(cell.y + cell.height), text, 30);
                g_assert_cmpint(n, >, 6);
                g_assert_cmpfloat(dg_plot_contrast_ratio(want, text), >=, 4.5);
            }
        }
        g_assert_false(dg_heatmap_get_cell(m, 4, 0, NULL));
        g_assert_false(dg_heatmap_get_cell(m, 0, -1, NULL));
        char *name = g_strdup_printf("heatmap-%s.png", themes[t].name);
        canvas_write(&cv, name);
        g_free(name);
        canvas_free(&cv);
        dg_heatmap_free(m);
    }
}

static void test_heatmap_edges(void)
{
    const dg_plot_theme *th = &themes[1].theme;
    static const double zeros[4] = {0, 0, 0, 0};
    static const double odd[6] = {NAN, 1.5, -2, 1e9, INFINITY, 0};
    double big[100];
    for (int i = 0; i < 100; i++)
        big[i] = i % 11 == 0 ? 500 + i : i % 7;
    for (int k = 0; k < 5; k++) {
        dg_heatmap *m = dg_heatmap_new();
        const char *name = NULL;
        if (k == 0) {
            name = "heatmap-edge-empty.png";
        } else if (k == 1) {
            dg_heatmap_set_data(m, 2, 2, zeros, NULL, NULL);
            name = "heatmap-edge-zeros.png";
        } else if (k == 2) {
            dg_heatmap_set_data(m, 2, 3, odd, NULL, class_ids);
            dg_heatmap_set_labels(m, NULL, NULL);
            name = "heatmap-edge-odd.png";
        } else if (k == 3) {
            dg_heatmap_set_data(m, 10, 10, big, NULL, NULL);
            name = "heatmap-edge-10x10.png";
        } else {
            dg_heatmap_set_data(m, 4, 4, confusion, class_ids, class_ids);
            dg_heatmap_set_show_percent(m, FALSE);
            name = "heatmap-edge-counts.png";
        }
        for (int sz = 0; sz < 3; sz++) {
            static const int sizes[][2] = {{360, 320}, {90, 70}, {2, 2}};
            canvas cv = canvas_new(sizes[sz][0] + 20, sizes[sz][1] + 20, 10);
            canvas_draw(&cv, dg_heatmap_kind.draw, m, th);
            assert_margin_untouched(&cv);
            if (sz == 0) {
                g_assert_cmpint(ink_pixels(&cv, th), >, 50);
                canvas_write(&cv, name);
            }
            canvas_free(&cv);
        }
        dg_heatmap_free(m);
    }
}

/* ---- Probability bars --------------------------------------------------------- */

static void test_probs(void)
{
    static const double p[] = {0.031, 0.072, 0.124, 0.773};
    for (int t = 0; t < 2; t++) {
        const dg_plot_theme *th = &themes[t].theme;
        dg_prob_chart *c = dg_prob_chart_new();
        dg_prob_chart_set_title(c, "Prediction");
        dg_prob_chart_set_data(c, 4, class_names, p);
        canvas cv = canvas_new(440, 200, 20);
        canvas_draw(&cv, dg_prob_chart_kind.draw, c, th);
        assert_margin_untouched(&cv);
        /* The accent colour marks one bar only: the last (melanoma) row, and it
         * is the longest. */
        int ymin = cv.h, ymax = -1, xmax = -1, n = 0;
        for (int y = 0; y < cv.h; y++)
            for (int x = 0; x < cv.w; x++) {
                int r, g, b;
                pixel(&cv, x, y, &r, &g, &b);
                if (near(r, g, b, th->palette[0], 3)) {
                    ymin = MIN(ymin, y);
                    ymax = MAX(ymax, y);
                    xmax = MAX(xmax, x);
                    n++;
                }
            }
        g_assert_cmpint(n, >, 500);
        g_assert_cmpint(ymax - ymin, <, 20);
        g_assert_cmpint(ymin, >, cv.h / 2);
        g_assert_cmpint(xmax, >, cv.w / 2);
        char *name = g_strdup_printf("probs-%s.png", themes[t].name);
        canvas_write(&cv, name);
        g_free(name);
        canvas_free(&cv);
        /* Edge cases: NaN, zero, all equal, nothing, tiny. */
        static const double q[] = {NAN, 0, 0.5, 0.5};
        dg_prob_chart_set_data(c, 4, class_ids, q);
        dg_prob_chart_set_title(c, NULL);
        dg_prob_chart_set_accent(c, 3);
        for (int sz = 0; sz < 3; sz++) {
            static const int sizes[][2] = {{300, 140}, {50, 30}, {1, 1}};
            cv = canvas_new(sizes[sz][0] + 20, sizes[sz][1] + 20, 10);
            canvas_draw(&cv, dg_prob_chart_kind.draw, c, th);
            assert_margin_untouched(&cv);
            if (sz == 0) {
                g_assert_cmpint(count_color(&cv, 0, 0, cv.w, cv.h, th->palette[3], 3), >, 100);
                name = g_strdup_printf("probs-edge-%s.png", themes[t].name);
                canvas_write(&cv, name);
                g_free(name);
            }
            canvas_free(&cv);
        }
        dg_prob_chart_set_data(c, 0, NULL, NULL);
        cv = canvas_new(320, 160, 10);
        canvas_draw(&cv, dg_prob_chart_kind.draw, c, th);
        assert_margin_untouched(&cv);
        canvas_free(&cv);
        dg_prob_chart_free(c);
    }
    dg_prob_chart_free(NULL);
}

/* ---- Image grid ------------------------------------------------------------------ */

typedef struct {
    cairo_surface_t *grid;
    int rows, gutter;
    const char *const *labels;
} grid_view;

static void grid_draw(void *p, cairo_t *cr, double x, double y, double w, double h,
                      const dg_plot_theme *t)
{
    grid_view *g = p;
    dg_plot_image_grid_draw(cr, x, y, w, h, t, g->grid, g->rows, g->gutter, g->labels);
}

/* A synthetic "lesion": a soft brown blob on skin tones, varied per cell. */
static void paint_sample(uint8_t *img, int s, int cls, int k)
{
    double cx = s * (0.45 + 0.1 * ((k * 7) % 3) / 2.0), cy = s * (0.5 + 0.05 * (k % 3 - 1));
    double rad = s * (0.22 + 0.04 * cls + 0.02 * (k % 4));
    static const double tint[4][3] = {{0.55, 0.30, 0.25}, {0.70, 0.45, 0.45},
                                      {0.50, 0.38, 0.28}, {0.25, 0.16, 0.14}};
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            double d = hypot(x - cx, (y - cy) * 1.15) / rad;
            double a = 1 / (1 + exp((d - 1) * 6));
            double skin[3] = {0.92, 0.74, 0.66};
            for (int ch = 0; ch < 3; ch++) {
                double v = skin[ch] * (1 - a) + tint[cls][ch] * a;
                v *= 0.92 + 0.08 * sin((x + k * 3) * 0.4) * cos(y * 0.3);
                img[(y * s + x) * 3 + ch] = (uint8_t)CLAMP(v * 255, 0, 255);
            }
        }
}

static void test_image_grid(void)
{
    const int s = 8, rows = 3, cols = 4, gutter = 2;
    uint8_t imgs[11 * 8 * 8 * 3];
    for (int i = 0; i < 11; i++)
        memset(imgs + i * s * s * 3, 10 + i * 20, s * s * 3);
    const uint8_t bg[3] = {1, 2, 3};
    int w = 0, h = 0;
    uint8_t *g = dg_plot_image_grid(imgs, 11, s, rows, cols, gutter, bg, &w, &h);
    g_assert_nonnull(g);
    g_assert_cmpint(w, ==, cols * s + (cols + 1) * gutter);
    g_assert_cmpint(h, ==, rows * s + (rows + 1) * gutter);
    for (int i = 0; i < rows * cols; i++) {
        int r = i / cols, c = i % cols;
        int x0 = gutter + c * (s + gutter), y0 = gutter + r * (s + gutter);
        for (int y = y0; y < y0 + s; y++)
            for (int x = x0; x < x0 + s; x++)
                for (int ch = 0; ch < 3; ch++)
                    g_assert_cmpint(g[(y * w + x) * 3 + ch], ==, i < 11 ? 10 + i * 20 : bg[ch]);
    }
    /* Gutters are background. */
    for (int x = 0; x < w; x++)
        for (int ch = 0; ch < 3; ch++) {
            g_assert_cmpint(g[x * 3 + ch], ==, bg[ch]);
            g_assert_cmpint(g[((h - 1) * w + x) * 3 + ch], ==, bg[ch]);
        }
    for (int y = 0; y < h; y++)
        g_assert_cmpint(g[(y * w + gutter + s) * 3], ==, bg[0]);
    g_free(g);
    g_assert_null(dg_plot_image_grid(imgs, 1, 0, 1, 1, 0, bg, &w, &h));
    g_assert_null(dg_plot_image_grid(imgs, 1, s, 0, 1, 0, bg, &w, &h));
    g_assert_null(dg_plot_image_grid(NULL, 1, s, 1, 1, 0, bg, &w, &h));
    g = dg_plot_image_grid(NULL, 0, s, 1, 1, 0, NULL, &w, &h); /* empty grid */
    g_assert_nonnull(g);
    g_free(g);

    /* RGB to a cairo surface. */
    const uint8_t px[6] = {255, 0, 0, 0, 128, 255};
    cairo_surface_t *surf = dg_plot_surface_from_rgb(px, 2, 1);
    cairo_surface_flush(surf);
    uint32_t *d = (uint32_t *)cairo_image_surface_get_data(surf);
    g_assert_cmphex(d[0] & 0xffffff, ==, 0xff0000);
    g_assert_cmphex(d[1] & 0xffffff, ==, 0x0080ff);
    cairo_surface_destroy(surf);

    /* The GAN's fixed-noise grid: one row per class, labelled. */
    const int S = 48, C = 6;
    uint8_t *samples = g_malloc((size_t)4 * C * S * S * 3);
    for (int cls = 0; cls < 4; cls++)
        for (int k = 0; k < C; k++)
            paint_sample(samples + (size_t)(cls * C + k) * S * S * 3, S, cls, k);
    for (int t = 0; t < 2; t++) {
        const dg_plot_theme *th = &themes[t].theme;
        uint8_t tbg[3] = {(uint8_t)lround(th->background.r * 255),
                          (uint8_t)lround(th->background.g * 255),
                          (uint8_t)lround(th->background.b * 255)};
        g = dg_plot_image_grid(samples, 4 * C, S, 4, C, 3, tbg, &w, &h);
        grid_view view = {dg_plot_surface_from_rgb(g, w, h), 4, 3, class_names};
        canvas cv = canvas_new(620, 420, 20);
        canvas_draw(&cv, grid_draw, &view, th);
        assert_margin_untouched(&cv);
        g_assert_cmpint(ink_pixels(&cv, th), >, 20000);
        char *name = g_strdup_printf("grid-%s.png", themes[t].name);
        canvas_write(&cv, name);
        g_free(name);
        canvas_free(&cv);
        /* No labels, a tiny rectangle, no grid: no crash, nothing outside. */
        view.labels = NULL;
        cv = canvas_new(40, 30, 10);
        canvas_draw(&cv, grid_draw, &view, th);
        assert_margin_untouched(&cv);
        canvas_free(&cv);
        cairo_surface_destroy(view.grid);
        view.grid = NULL;
        cv = canvas_new(40, 30, 10);
        canvas_draw(&cv, grid_draw, &view, th);
        assert_margin_untouched(&cv);
        canvas_free(&cv);
        g_free(g);
    }
    g_free(samples);
}

/* ---- Chart kinds --------------------------------------------------------------- */

/* A chart drawn through its kind looks exactly as drawn with its typed
 * function, and the kind's destroy frees it (the sanitizer run checks that). */
static void assert_kind_draws_same(const dg_plot_kind *kind, const char *name, void *chart,
                                   void (*typed)(void *chart, cairo_t *cr, dg_plot_rect r))
{
    g_assert_cmpstr(kind->name, ==, name);
    canvas a = canvas_new(320, 200, 10), b = canvas_new(320, 200, 10);
    canvas_draw(&a, kind->draw, chart, NULL);
    cairo_t *cr = cairo_create(b.s);
    typed(chart, cr, b.r);
    cairo_destroy(cr);
    canvas_sync(&b);
    g_assert_cmpint(memcmp(a.data, b.data, (size_t)a.stride * a.h), ==, 0);
    canvas_free(&a);
    canvas_free(&b);
    kind->destroy(chart);
}

static void typed_line(void *p, cairo_t *cr, dg_plot_rect r)
{
    dg_line_chart_draw(p, cr, r.x, r.y, r.width, r.height, NULL);
}

static void typed_bar(void *p, cairo_t *cr, dg_plot_rect r)
{
    dg_bar_chart_draw(p, cr, r.x, r.y, r.width, r.height, NULL);
}

static void typed_heatmap(void *p, cairo_t *cr, dg_plot_rect r)
{
    dg_heatmap_draw(p, cr, r.x, r.y, r.width, r.height, NULL);
}

static void typed_prob(void *p, cairo_t *cr, dg_plot_rect r)
{
    dg_prob_chart_draw(p, cr, r.x, r.y, r.width, r.height, NULL);
}

static void test_kinds(void)
{
    static const double counts[] = {327, 514, 1099, 1113};
    static const double p[] = {0.031, 0.072, 0.124, 0.773};
    assert_kind_draws_same(&dg_line_chart_kind, "line", gan_chart(2000), typed_line);
    dg_bar_chart *b = dg_bar_chart_new();
    dg_bar_chart_set_categories(b, 4, class_names);
    dg_bar_chart_add_series(b, "images", counts, NULL);
    assert_kind_draws_same(&dg_bar_chart_kind, "bar", b, typed_bar);
    dg_heatmap *m = dg_heatmap_new();
    dg_heatmap_set_data(m, 4, 4, confusion, class_ids, class_ids);
    assert_kind_draws_same(&dg_heatmap_kind, "heatmap", m, typed_heatmap);
    dg_prob_chart *pc = dg_prob_chart_new();
    dg_prob_chart_set_data(pc, 4, class_names, p);
    assert_kind_draws_same(&dg_prob_chart_kind, "prob", pc, typed_prob);
}

/* ---- Small sizes (a sidebar in the app) ------------------------------------------ */

static void test_small(void)
{
    static const double counts[] = {327, 514, 1099, 1113};
    static const double p[] = {0.031, 0.072, 0.124, 0.773};
    for (int t = 0; t < 2; t++) {
        const dg_plot_theme *th = &themes[t].theme;
        dg_line_chart *l = gan_chart(5000);
        dg_line_chart_set_title(l, NULL);
        dg_line_chart_set_smoothing(l, 0.95);
        dg_bar_chart *b = dg_bar_chart_new();
        dg_bar_chart_set_categories(b, 4, class_names);
        dg_bar_chart_add_series(b, "images", counts, NULL);
        dg_heatmap *m = dg_heatmap_new();
        dg_heatmap_set_data(m, 4, 4, confusion, class_ids, class_ids);
        dg_prob_chart *pc = dg_prob_chart_new();
        dg_prob_chart_set_data(pc, 4, class_names, p);
        struct {
            dg_plot_draw_fn fn;
            void *chart;
            int w, h;
            const char *name;
        } cases[] = {
            {dg_line_chart_kind.draw, l, 300, 180, "line"},
            {dg_bar_chart_kind.draw, b, 300, 180, "bar"},
            {dg_heatmap_kind.draw, m, 240, 220, "heatmap"},
            {dg_prob_chart_kind.draw, pc, 260, 110, "probs"},
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
            canvas cv = canvas_new(cases[i].w + 16, cases[i].h + 16, 8);
            canvas_draw(&cv, cases[i].fn, cases[i].chart, th);
            assert_margin_untouched(&cv);
            g_assert_cmpint(ink_pixels(&cv, th), >, 500);
            char *name = g_strdup_printf("small-%s-%s.png", cases[i].name, themes[t].name);
            canvas_write(&cv, name);
            g_free(name);
            canvas_free(&cv);
        }
        dg_line_chart_free(l);
        dg_bar_chart_free(b);
        dg_heatmap_free(m);
        dg_prob_chart_free(pc);
    }
}

/* ---- Files -------------------------------------------------------------------- */

typedef struct {
    dg_line_chart *line;
    dg_heatmap *map;
} report_page;

static void report_draw(void *p, cairo_t *cr, double x, double y, double w, double h,
                        const dg_plot_theme *t)
{
    report_page *r = p;
    dg_line_chart_draw(r->line, cr, x, y, w * 0.6, h, t);
    dg_heatmap_draw(r->map, cr, x + w * 0.6, y, w * 0.4, h, t);
}

static void test_save(void)
{
    dg_line_chart *c = gan_chart(1000);
    dg_line_chart_set_smoothing(c, 0.8);
    const char *exts[] = {"png", "svg", "pdf", "PNG"};
    for (size_t i = 0; i < G_N_ELEMENTS(exts); i++) {
        char *base = g_strdup_printf("save-line.%s", exts[i]);
        char *p = sample_path(base);
        GError *err = NULL;
        g_assert_true(dg_line_chart_save(c, p, 640, 360, i == 1 ? &themes[1].theme : NULL, &err));
        g_assert_no_error(err);
        GStatBuf st;
        g_assert_cmpint(g_stat(p, &st), ==, 0);
        g_assert_cmpint(st.st_size, >, 1000);
        if (g_ascii_strcasecmp(exts[i], "png") == 0) {
            cairo_surface_t *s = cairo_image_surface_create_from_png(p);
            g_assert_cmpint(cairo_surface_status(s), ==, CAIRO_STATUS_SUCCESS);
            g_assert_cmpint(cairo_image_surface_get_width(s), ==, 640);
            g_assert_cmpint(cairo_image_surface_get_height(s), ==, 360);
            cairo_surface_destroy(s);
        }
        if (i == 1) {
            char *text = NULL;
            g_assert_true(g_file_get_contents(p, &text, NULL, NULL));
            g_assert_nonnull(strstr(text, "<svg"));
            g_free(text);
        }
        g_free(p);
        g_free(base);
    }
    GError *err = NULL;
    char *p = sample_path("save-line.bmp");
    g_assert_false(dg_line_chart_save(c, p, 640, 360, NULL, &err));
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&err);
    g_free(p);
    g_assert_false(dg_line_chart_save(c, "/nonexistent-dir/x/plot.png", 64, 64, NULL, &err));
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_FAILED);
    g_clear_error(&err);
    g_assert_false(dg_line_chart_save(c, "/nonexistent-dir/x/plot.svg", 64, 64, NULL, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    p = sample_path("save-line-zero.png");
    g_assert_false(dg_line_chart_save(c, p, 0, 10, NULL, &err));
    g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&err);
    g_free(p);

    /* Every chart kind saves, and a composed page through dg_plot_save. */
    dg_bar_chart *b = dg_bar_chart_new();
    dg_bar_chart_set_categories(b, 4, class_ids);
    static const double v[] = {1, 2, 3, 4};
    dg_bar_chart_add_series(b, "n", v, NULL);
    dg_heatmap *m = dg_heatmap_new();
    dg_heatmap_set_data(m, 4, 4, confusion, class_ids, class_ids);
    dg_prob_chart *pc = dg_prob_chart_new();
    dg_prob_chart_set_data(pc, 4, class_ids, (const double[]){0.1, 0.2, 0.3, 0.4});
    p = sample_path("save-bar.svg");
    g_assert_true(dg_bar_chart_save(b, p, 400, 300, NULL, &err));
    g_free(p);
    p = sample_path("save-heatmap.pdf");
    g_assert_true(dg_heatmap_save(m, p, 400, 400, NULL, &err));
    g_free(p);
    p = sample_path("save-probs.png");
    g_assert_true(dg_prob_chart_save(pc, p, 400, 160, NULL, &err));
    g_free(p);
    report_page page = {c, m};
    p = sample_path("report-page-light.png");
    g_assert_true(dg_plot_save(p, 1100, 420, NULL, report_draw, &page, &err));
    g_free(p);
    g_assert_no_error(err);
    dg_bar_chart_free(b);
    dg_heatmap_free(m);
    dg_prob_chart_free(pc);
    dg_line_chart_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    init_themes();
    g_test_add_func("/plot/theme", test_theme);
    g_test_add_func("/plot/contrast", test_contrast);
    g_test_add_func("/plot/ticks/cases", test_ticks);
    g_test_add_func("/plot/ticks/properties", test_ticks_more);
    g_test_add_func("/plot/line/gan", test_line_gan);
    g_test_add_func("/plot/line/classifier", test_line_training_curves);
    g_test_add_func("/plot/line/edges", test_line_edges);
    g_test_add_func("/plot/line/decimation-spike", test_line_decimation_spike);
    g_test_add_func("/plot/line/robust-range", test_line_robust_range);
    g_test_add_func("/plot/line/timing", test_line_timing);
    g_test_add_func("/plot/line/hidpi", test_line_hidpi);
    g_test_add_func("/plot/bar/counts", test_bar_counts);
    g_test_add_func("/plot/bar/grouped", test_bar_grouped);
    g_test_add_func("/plot/bar/edges", test_bar_edges);
    g_test_add_func("/plot/heatmap/confusion", test_heatmap);
    g_test_add_func("/plot/heatmap/edges", test_heatmap_edges);
    g_test_add_func("/plot/probs", test_probs);
    g_test_add_func("/plot/image-grid", test_image_grid);
    g_test_add_func("/plot/kinds", test_kinds);
    g_test_add_func("/plot/small", test_small);
    g_test_add_func("/plot/save", test_save);
    int ret = g_test_run();
    cairo_debug_reset_static_data(); /* let leak checkers see only real leaks */
    return ret;
}

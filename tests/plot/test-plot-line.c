/* test-plot-line.c: the plot theme, axis ticks and the line chart of
 * dg-plot (the other charts are in test-plot-charts.c). */
#include "plot-test-util.h"

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
    int ret = g_test_run();
    cairo_debug_reset_static_data(); /* let leak checkers see only real leaks */
    return ret;
}

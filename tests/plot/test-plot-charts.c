/* test-plot-charts.c: the bar chart, heatmap, probability bars and image
 * grid of dg-plot, chart kinds, small sizes and saving to files (the theme,
 * ticks and line chart are in test-plot-line.c). */
#include "plot-test-util.h"

#include <sys/stat.h>
#include <unistd.h>

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
    /* the names a chart can be saved under, and not */
    const char *not_plots[] = {"chart.jpg", "chart", "png", "chart.png.bak", NULL};
    for (int i = 0; not_plots[i]; i++)
        g_assert_false(dg_plot_has_extension(not_plots[i]));
    g_assert_false(dg_plot_has_extension(NULL));
    dg_line_chart *c = gan_chart(1000);
    dg_line_chart_set_smoothing(c, 0.8);
    const char *exts[] = {"png", "svg", "pdf", "PNG"};
    for (size_t i = 0; i < G_N_ELEMENTS(exts); i++) {
        char *base = g_strdup_printf("save-line.%s", exts[i]);
        g_assert_true(dg_plot_has_extension(base));
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
    /* A FIFO (as a device would be) is refused, neither written into (which
     * would wait for a reader forever) nor replaced; a folder too. */
    alarm(20);
    char *dir = g_dir_make_tmp("dg-plot-XXXXXX", NULL);
    const char *names[] = {"fifo.png", "fifo.svg", "fifo.pdf"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        p = g_build_filename(dir, names[i], NULL);
        g_assert_cmpint(mkfifo(p, 0600), ==, 0);
        g_assert_false(dg_line_chart_save(c, p, 64, 64, NULL, &err));
        g_assert_error(err, G_IO_ERROR, G_IO_ERROR_FAILED);
        g_assert_nonnull(strstr(err->message, "not a regular file"));
        g_clear_error(&err);
        g_assert_true(g_file_test(p, G_FILE_TEST_EXISTS) && !g_file_test(p, G_FILE_TEST_IS_REGULAR));
        g_unlink(p);
        g_free(p);
    }
    p = g_build_filename(dir, "folder.png", NULL);
    g_assert_cmpint(g_mkdir(p, 0755), ==, 0);
    g_assert_false(dg_line_chart_save(c, p, 64, 64, NULL, &err));
    g_assert_nonnull(strstr(err->message, "is a folder"));
    g_clear_error(&err);
    g_assert_true(g_file_test(p, G_FILE_TEST_IS_DIR));
    g_rmdir(p);
    g_free(p);
    g_rmdir(dir);
    g_free(dir);
    alarm(0);

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

/* test-gan-quality: the spectral artifact score finds a period-4 pattern and
 * blur and stays near zero for two samples of one distribution; precision and
 * recall separate a faithful, a collapsed and a disjoint generator. */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/dg-gan-quality.h"
#include "numerics/dg-rng.h"

#define S 64

/* smooth random blobs: noise averaged over 5x5 (a "natural" falling spectrum) */
static void smooth_images(dg_rng *r, float *x, int n)
{
    static float noise[S * S];
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < S * S; p++)
                noise[p] = dg_rng_normal(r);
            float *o = x + ((long)i * 3 + c) * S * S;
            for (int y = 0; y < S; y++)
                for (int xx = 0; xx < S; xx++) {
                    float s = 0.0f;
                    for (int dy = -2; dy <= 2; dy++)
                        for (int dx = -2; dx <= 2; dx++)
                            s += noise[((y + dy + S) % S) * S + (xx + dx + S) % S];
                    o[y * S + xx] = s / 25.0f + 0.1f * noise[y * S + xx];
                }
        }
}

static void test_spectrum(void)
{
    const int n = 40;
    dg_rng r;
    dg_rng_seed(&r, 3);
    float *a = g_new(float, (long)n * 3 * S * S), *b = g_new(float, (long)n * 3 * S * S);
    double *pa = g_new(double, S * S), *pb = g_new(double, S * S), *pc = g_new(double, S * S);
    smooth_images(&r, a, n);
    smooth_images(&r, b, n);
    dg_mean_power_spectrum(a, n, S, pa);
    dg_mean_power_spectrum(b, n, S, pb);
    dg_spectral_score same = dg_spectral_compare(pa, pb, S);
    g_test_message("same distribution: worst %.3f", same.worst);
    g_assert_cmpfloat(same.worst, <, 0.35);

    /* the same images with a faint diagonal period-4 dot pattern */
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++)
                    b[((long)i * 3 + c) * S * S + y * S + x] +=
                        0.05f * cosf(2.0f * (float)G_PI * (x + y) / 4.0f);
    dg_mean_power_spectrum(b, n, S, pc);
    dg_spectral_score dots = dg_spectral_compare(pc, pa, S);
    g_test_message("period 4: worst %.3f at (%d, %d), excess %.3f", dots.worst, dots.fu, dots.fv,
                   dots.excess);
    g_assert_cmpfloat(dots.excess, >, 1.0);
    g_assert_cmpint(abs(dots.fu), ==, 16);
    g_assert_cmpint(abs(dots.fv), ==, 16);

    /* blur: a 3x3 box filter removes high frequencies */
    smooth_images(&r, b, n);
    for (int i = 0; i < n * 3; i++) {
        float *o = b + (long)i * S * S, t[S * S];
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                float s = 0.0f;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        s += o[((y + dy + S) % S) * S + (x + dx + S) % S];
                t[y * S + x] = s / 9.0f;
            }
        memcpy(o, t, sizeof t);
    }
    dg_mean_power_spectrum(b, n, S, pc);
    dg_spectral_score blur = dg_spectral_compare(pc, pa, S);
    g_test_message("blurred: deficit %.3f excess %.3f", blur.deficit, blur.excess);
    g_assert_cmpfloat(blur.deficit, >, 0.5);
    g_assert_cmpfloat(blur.excess, <, 0.3);

    /* Parseval: the spectrum sums to the windowed image energy */
    float one[3 * 8 * 8];
    for (int p = 0; p < 64; p++)
        one[p] = one[64 + p] = one[128 + p] = (p % 3 == 0) ? 1.0f : -0.5f;
    double sp[64];
    dg_mean_power_spectrum(one, 1, 8, sp);
    double e = 0.0, tot = 0.0, mean = 0.0;
    for (int p = 0; p < 64; p++)
        mean += one[p] / 64.0;
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) {
            double wy = 0.5 - 0.5 * cos(2 * G_PI * (y + 0.5) / 8), wx = 0.5 - 0.5 * cos(2 * G_PI * (x + 0.5) / 8);
            double v = (one[y * 8 + x] - mean) * wy * wx;
            e += v * v;
        }
    for (int p = 0; p < 64; p++)
        tot += sp[p];
    g_assert_cmpfloat(fabs(tot - e), <, 1e-6 * (1.0 + e));
    g_free(a), g_free(b), g_free(pa), g_free(pb), g_free(pc);
}

static void gauss(dg_rng *r, float *x, int n, int d, float shift)
{
    for (long i = 0; i < (long)n * d; i++)
        x[i] = dg_rng_normal(r) + shift;
}

static void test_precision_recall(void)
{
    const int n = 300, d = 8;
    dg_rng r;
    dg_rng_seed(&r, 9);
    float *real = g_new(float, n * d), *gen = g_new(float, n * d);
    gauss(&r, real, n, d, 0.0f);
    gauss(&r, gen, n, d, 0.0f);
    dg_precision_recall same = dg_precision_recall_knn(real, n, gen, n, d, 3);
    g_test_message("same: P %.3f R %.3f", same.precision, same.recall);
    g_assert_cmpfloat(same.precision, >, 0.7);
    g_assert_cmpfloat(same.recall, >, 0.7);
    /* mode collapse: every sample near one real point: faithful, no coverage */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            gen[i * d + j] = real[j] + 0.01f * dg_rng_normal(&r);
    dg_precision_recall col = dg_precision_recall_knn(real, n, gen, n, d, 3);
    g_test_message("collapsed: P %.3f R %.3f", col.precision, col.recall);
    g_assert_cmpfloat(col.precision, >, 0.9);
    g_assert_cmpfloat(col.recall, <, 0.05);
    /* far away: neither */
    gauss(&r, gen, n, d, 10.0f);
    dg_precision_recall far = dg_precision_recall_knn(real, n, gen, n, d, 3);
    g_assert_cmpfloat(far.precision, <, 0.01);
    g_assert_cmpfloat(far.recall, <, 0.01);

    double dist[2];
    int idx[2];
    float q[2 * 8];
    for (int j = 0; j < d; j++) {
        q[j] = real[5 * d + j];
        q[d + j] = real[17 * d + j] + (j == 0 ? 0.5f : 0.0f);
    }
    dg_nearest_distances(q, 2, real, n, d, dist, idx);
    g_assert_cmpint(idx[0], ==, 5);
    g_assert_cmpfloat(dist[0], <, 1e-6);
    g_assert_cmpfloat(dist[1], <=, 0.5 + 1e-6);
    g_free(real), g_free(gen);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gan-quality/spectrum", test_spectrum);
    g_test_add_func("/gan-quality/precision-recall", test_precision_recall);
    return g_test_run();
}

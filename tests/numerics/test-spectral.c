/* test-spectral: the spectral loss (engine/numerics/dg-spectral.c): its ring
 * powers against a textbook DFT, where a pure wave's power goes, zero loss
 * for identical batches, its gradient against finite differences, and bad
 * arguments refused. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "numerics/dg-rng.h"
#include "numerics/dg-spectral.h"

static void fill(dg_rng *r, float *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = dg_rng_uniform(r) * 2.0f - 1.0f;
}

/* log10 of the batch-mean ring (or 2 x 2 block) powers by the textbook DFT
 * of the Hann-windowed grey level less its mean, in double */
static void naive_profile(const float *x, int B, int C, int S, dg_spectral_bins bins, double *out)
{
    const int R = S / 2, nb = bins == DG_SPECTRAL_RINGS ? R : bins == DG_SPECTRAL_BLOCKS ? R * R - 1 : S * S - 1;
    double *sum = g_new0(double, nb);
    int *cnt = g_new0(int, nb);
    double *h = g_new(double, S * S);
    for (int i = 0; i < B; i++) {
        double mean = 0;
        for (int p = 0; p < S * S; p++) {
            h[p] = 0;
            for (int c = 0; c < C; c++)
                h[p] += x[(i * C + c) * S * S + p] / C;
            mean += h[p] / (S * S);
        }
        for (int y = 0; y < S; y++)
            for (int xx = 0; xx < S; xx++)
                h[y * S + xx] = (h[y * S + xx] - mean) * (0.5 - 0.5 * cos(2 * M_PI * (y + 0.5) / S)) *
                                (0.5 - 0.5 * cos(2 * M_PI * (xx + 0.5) / S));
        for (int u = 0; u < S; u++)
            for (int v = 0; v < S; v++) {
                double re = 0, im = 0;
                for (int y = 0; y < S; y++)
                    for (int xx = 0; xx < S; xx++) {
                        double g = h[y * S + xx];
                        double t = -2.0 * M_PI * ((double)u * y + (double)v * xx) / S;
                        re += g * cos(t), im += g * sin(t);
                    }
                int fu = u < R ? u : u - S, fv = v < R ? v : v - S;
                int r = (int)lround(sqrt((double)(fu * fu + fv * fv)));
                int b = bins == DG_SPECTRAL_RINGS    ? (r >= 1 && r <= R ? r - 1 : -1)
                        : bins == DG_SPECTRAL_BLOCKS ? (u / 2) * R + v / 2 - 1
                                                     : u * S + v - 1;
                if (b >= 0) {
                    sum[b] += re * re + im * im;
                    if (i == 0)
                        cnt[b]++;
                }
            }
    }
    g_free(h);
    for (int r = 0; r < nb; r++)
        out[r] = log10(sum[r] / cnt[r] / B + 1e-6);
    g_free(sum), g_free(cnt);
}

static void test_profile(void)
{
    const int S = 8, C = 3, B = 2;
    float x[2 * 3 * 64], prof[4];
    double ref[4];
    dg_rng r;
    dg_rng_seed(&r, 3);
    fill(&r, x, B * C * S * S);
    dg_spectral *s = dg_spectral_new(S, 4, DG_SPECTRAL_RINGS);
    g_assert_nonnull(s);
    g_assert_cmpint(dg_spectral_profile(s, x, B, C, prof), ==, 0);
    naive_profile(x, B, C, S, DG_SPECTRAL_RINGS, ref);
    for (int i = 0; i < S / 2; i++)
        g_assert_cmpfloat_with_epsilon(prof[i], ref[i], 1e-4);
    dg_spectral_free(s);

    /* the 2 x 2 blocks: (S/2)^2 - 1 of them */
    float bprof[15];
    double bref[15];
    s = dg_spectral_new(S, 4, DG_SPECTRAL_BLOCKS);
    g_assert_cmpint(dg_spectral_n_bins(s), ==, 15);
    g_assert_cmpint(dg_spectral_profile(s, x, B, C, bprof), ==, 0);
    naive_profile(x, B, C, S, DG_SPECTRAL_BLOCKS, bref);
    for (int i = 0; i < 15; i++)
        g_assert_cmpfloat_with_epsilon(bprof[i], bref[i], 1e-4);
    dg_spectral_free(s);

    /* every frequency: S^2 - 1 of them */
    float fprof[63];
    double fref[63];
    s = dg_spectral_new(S, 4, DG_SPECTRAL_FREQS);
    g_assert_cmpint(dg_spectral_n_bins(s), ==, 63);
    g_assert_cmpint(dg_spectral_profile(s, x, B, C, fprof), ==, 0);
    naive_profile(x, B, C, S, DG_SPECTRAL_FREQS, fref);
    for (int i = 0; i < 63; i++)
        g_assert_cmpfloat_with_epsilon(fprof[i], fref[i], 1e-4);
    dg_spectral_free(s);

    /* a horizontal wave of 5 cycles per image: its power is on ring 5 (the
     * window's main lobe spreads it to rings 4 and 6, no further) */
    const int S2 = 32;
    float *w = g_new(float, S2 * S2), p2[16];
    for (int y = 0; y < S2; y++)
        for (int xx = 0; xx < S2; xx++)
            w[y * S2 + xx] = (float)cos(2.0 * M_PI * 5 * xx / S2);
    s = dg_spectral_new(S2, 1, DG_SPECTRAL_RINGS);
    g_assert_cmpint(dg_spectral_profile(s, w, 1, 1, p2), ==, 0);
    for (int i = 0; i < 16; i++)
        if (i < 2 || i > 6)
            g_assert_cmpfloat(p2[i], <, p2[4] - 3);
        else if (i != 4)
            g_assert_cmpfloat(p2[i], <, p2[4]);
    dg_spectral_free(s);

    /* the same wave in blocks: its power is in the blocks of (0, +-5), that
     * is of v = 5 and v = S - 5 in row block 0, above every other block */
    const int R2 = S2 / 2, nb = R2 * R2 - 1;
    float *pb = g_new(float, nb);
    s = dg_spectral_new(S2, 1, DG_SPECTRAL_BLOCKS);
    g_assert_cmpint(dg_spectral_profile(s, w, 1, 1, pb), ==, 0);
    const int b1 = 5 / 2 - 1, b2 = (S2 - 5) / 2 - 1;
    for (int i = 0; i < nb; i++)
        if (i != b1 && i != b2)
            g_assert_cmpfloat(pb[i], <, fminf(pb[b1], pb[b2]));
    g_assert_cmpfloat(fabsf(pb[b1] - pb[b2]), <, 0.5f);
    dg_spectral_free(s);
    g_free(pb);
    g_free(w);
}

static void check_grad(dg_spectral_bins bins)
{
    const int S = 8, C = 3, B = 2, Br = 3, n = B * C * S * S;
    float fake[2 * 3 * 64], real[3 * 3 * 64], d[2 * 3 * 64];
    dg_rng r;
    dg_rng_seed(&r, 11);
    fill(&r, fake, n);
    fill(&r, real, Br * C * S * S);
    for (int i = 0; i < Br * C * S * S; i++)
        real[i] *= 0.5f; /* a different spectrum: a loss with a gradient */
    dg_spectral *s = dg_spectral_new(S, 4, bins);
    /* identical batches: no loss */
    g_assert_cmpfloat(fabsf(dg_spectral_loss(s, fake, B, fake, B, C, 1.0f, NULL)), <, 1e-8);
    memset(d, 0, sizeof d);
    float l = dg_spectral_loss(s, fake, B, real, Br, C, 2.0f, d);
    g_assert_cmpfloat(l, >, 0.01);
    /* += : a second call adds the same gradient again */
    float d2[2 * 3 * 64];
    for (int i = 0; i < n; i++)
        d2[i] = 1.0f;
    dg_spectral_loss(s, fake, B, real, Br, C, 2.0f, d2);
    for (int i = 0; i < n; i++)
        g_assert_cmpfloat_with_epsilon(d2[i], 1.0f + d[i], 1e-5);
    /* central differences, in double around the float loss */
    double worst = 0;
    for (int i = 0; i < n; i++) {
        const float h = 1e-2f, keep = fake[i];
        fake[i] = keep + h;
        double lp = dg_spectral_loss(s, fake, B, real, Br, C, 1.0f, NULL);
        fake[i] = keep - h;
        double lm = dg_spectral_loss(s, fake, B, real, Br, C, 1.0f, NULL);
        fake[i] = keep;
        double num = 2.0 * (lp - lm) / (2.0 * h); /* scale 2 */
        double err = fabs(num - d[i]) / fmax(1e-3, fabs(num) + fabs(d[i]));
        worst = fmax(worst, err);
    }
    g_test_message("%s: spectral loss %.4f, worst relative gradient error %.2e",
                   bins == DG_SPECTRAL_RINGS ? "rings" : bins == DG_SPECTRAL_BLOCKS ? "blocks" : "frequencies",
                   l, worst);
    g_assert_cmpfloat(worst, <, 2e-2);
    dg_spectral_free(s);
}

static void test_grad(void)
{
    check_grad(DG_SPECTRAL_RINGS);
    check_grad(DG_SPECTRAL_BLOCKS);
    check_grad(DG_SPECTRAL_FREQS);
}

static void test_bad(void)
{
    g_assert_null(dg_spectral_new(7, 1, DG_SPECTRAL_RINGS));
    g_assert_null(dg_spectral_new(2, 1, DG_SPECTRAL_RINGS));
    g_assert_null(dg_spectral_new(1024, 1, DG_SPECTRAL_RINGS));
    g_assert_null(dg_spectral_new(8, 0, DG_SPECTRAL_RINGS));
    g_assert_null(dg_spectral_new(8, 1, (dg_spectral_bins)7));
    g_assert_cmpint(dg_spectral_n_bins(NULL), ==, 0);
    dg_spectral *s = dg_spectral_new(8, 2, DG_SPECTRAL_RINGS);
    float x[3 * 64] = {0}, p[4];
    g_assert_cmpfloat(dg_spectral_loss(s, x, 3, x, 1, 1, 1.0f, NULL), <, 0);
    g_assert_cmpfloat(dg_spectral_loss(s, x, 1, x, 0, 1, 1.0f, NULL), <, 0);
    g_assert_cmpint(dg_spectral_profile(s, x, 1, 0, p), <, 0);
    /* flat images: finite */
    g_assert_true(isfinite(dg_spectral_loss(s, x, 1, x, 1, 1, 1.0f, NULL)));
    dg_spectral_free(s);
    dg_spectral_free(NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/spectral/profile", test_profile);
    g_test_add_func("/spectral/grad", test_grad);
    g_test_add_func("/spectral/bad", test_bad);
    return g_test_run();
}

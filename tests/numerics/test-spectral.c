/* test-spectral: the spectral loss (engine/numerics/dg-spectral.c): its ring
 * powers against a textbook DFT, where a pure wave's power goes, zero loss
 * for identical batches, its gradient against finite differences, the loss
 * per group against the groups' losses one by one, a batch split in two
 * parts (with the sum across parts) against the whole batch, and bad
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


/* per group: the share-weighted sum of each group's own loss (groups with
 * fewer than two images left out), the gradient likewise, and against
 * finite differences */
static void test_grouped(void)
{
    enum { S = 8, C = 3, B = 7, IMG = C * S * S };
    const int group[B] = {0, 2, 0, 2, 1, 0, 2}; /* group 1 has one image: left out */
    float fake[B * IMG], real[B * IMG], d[B * IMG], dref[B * IMG], gf[B * IMG], gr[B * IMG],
        gd[B * IMG];
    dg_rng r;
    dg_rng_seed(&r, 5);
    fill(&r, fake, B * IMG);
    fill(&r, real, B * IMG);
    for (int i = 0; i < B * IMG; i++)
        real[i] *= 0.3f + 0.2f * (i / IMG % 3);
    dg_spectral *s = dg_spectral_new(S, B, DG_SPECTRAL_BLOCKS);
    memset(d, 0, sizeof d);
    float l = dg_spectral_loss_grouped(s, fake, group, B, real, group, B, C, 3, 1.5f, d, NULL, NULL);
    /* the reference: each group gathered and scored alone */
    double lref = 0.0;
    memset(dref, 0, sizeof dref);
    for (int g = 0; g < 3; g++) {
        int idx[B], n = 0;
        for (int i = 0; i < B; i++)
            if (group[i] == g)
                idx[n++] = i;
        if (n < 2)
            continue;
        for (int j = 0; j < n; j++) {
            memcpy(gf + j * IMG, fake + idx[j] * IMG, sizeof(float) * IMG);
            memcpy(gr + j * IMG, real + idx[j] * IMG, sizeof(float) * IMG);
        }
        memset(gd, 0, sizeof gd);
        const float w = (float)n / B;
        lref += w * dg_spectral_loss(s, gf, n, gr, n, C, 1.5f * w, gd);
        for (int j = 0; j < n; j++)
            for (int p = 0; p < IMG; p++)
                dref[idx[j] * IMG + p] += gd[j * IMG + p];
    }
    g_assert_cmpfloat(l, >, 0.01f);
    g_assert_cmpfloat(fabs(l - lref), <, 1e-5 * fabs(lref));
    double worst = 0.0, big = 0.0;
    for (int i = 0; i < B * IMG; i++) {
        worst = fmax(worst, fabs(d[i] - dref[i]));
        big = fmax(big, fabs(dref[i]));
    }
    g_assert_cmpfloat(worst, <, 1e-4 * big);
    for (int p = 0; p < IMG; p++) /* the lone image of group 1 gets no gradient */
        g_assert_cmpfloat(d[4 * IMG + p], ==, 0.0f);
    /* central differences on some of the pixels */
    double werr = 0.0;
    for (int i = 0; i < B * IMG; i += 7) {
        const float h = 1e-2f, keep = fake[i];
        fake[i] = keep + h;
        double lp = dg_spectral_loss_grouped(s, fake, group, B, real, group, B, C, 3, 1.0f, NULL, NULL, NULL);
        fake[i] = keep - h;
        double lm = dg_spectral_loss_grouped(s, fake, group, B, real, group, B, C, 3, 1.0f, NULL, NULL, NULL);
        fake[i] = keep;
        double num = 1.5 * (lp - lm) / (2.0 * h);
        werr = fmax(werr, fabs(num - d[i]) / fmax(1e-3, fabs(num) + fabs(d[i])));
    }
    g_test_message("per group: loss %.4f, worst relative gradient error %.2e", l, werr);
    g_assert_cmpfloat(werr, <, 2e-2);
    /* one group is the plain loss */
    float l1 = dg_spectral_loss_grouped(s, fake, NULL, B, real, NULL, B, C, 1, 1.0f, NULL, NULL, NULL);
    g_assert_cmpfloat(fabsf(l1 - dg_spectral_loss(s, fake, B, real, B, C, 1.0f, NULL)), <=, 1e-6f * l1);
    dg_spectral_free(s);
}

/* ---- a batch split in two parts ------------------------------------------------------ */

/* The sum across parts without threads: part A's call is made twice, first
 * to capture its sums (adding nothing), then with part B's added. */
typedef struct {
    double *mine;        /* this call's sums, as captured */
    const double *other; /* the other part's sums to add, or NULL */
    long n;
} capture;

static void capture_sum(double *v, long n, void *user)
{
    capture *c = user;
    c->n = n;
    c->mine = g_memdup2(v, sizeof(double) * n);
    for (long j = 0; c->other && j < n; j++)
        v[j] += c->other[j];
}

static void test_split(void)
{
    enum { S = 16, C = 3, B = 9, IMG = C * S * S, K = 3 };
    const int group[B] = {0, 1, 2, 0, 1, 2, 0, 2, 1};
    float *fake = g_new(float, B * IMG), *real = g_new(float, B * IMG);
    float *dwhole = g_new0(float, B * IMG), *dparts = g_new0(float, B * IMG);
    dg_rng r;
    dg_rng_seed(&r, 8);
    fill(&r, fake, B * IMG);
    fill(&r, real, B * IMG);
    for (int i = 0; i < B * IMG; i++)
        real[i] *= 0.5f;
    for (int per_class = 0; per_class < 2; per_class++) {
        const int ng = per_class ? K : 1;
        dg_spectral *s = dg_spectral_new(S, B, DG_SPECTRAL_BLOCKS);
        memset(dwhole, 0, sizeof(float) * B * IMG);
        memset(dparts, 0, sizeof(float) * B * IMG);
        float lw = dg_spectral_loss_grouped(s, fake, group, B, real, group, B, C, ng, 1.0f, dwhole,
                                            NULL, NULL);
        /* parts: images [0, 4) and [4, 9); part A's real images are fewer
         * (the parts need not hold the same numbers) */
        const int na = 4, nra = 3;
        capture ca = {0}, cb = {0}, ca2 = {0};
        float *scratch = g_new0(float, B * IMG);
        dg_spectral_loss_grouped(s, fake, group, na, real, group, nra, C, ng, 1.0f, scratch,
                                 capture_sum, &ca);
        cb.other = ca.mine;
        /* part B holds the real images part A does not */
        float lb = dg_spectral_loss_grouped(s, fake + na * IMG, group + na, B - na, real + nra * IMG,
                                            group + nra, B - nra, C, ng, 1.0f, dparts + na * IMG,
                                            capture_sum, &cb);
        ca2.other = cb.mine;
        float la = dg_spectral_loss_grouped(s, fake, group, na, real, group, nra, C, ng, 1.0f, dparts,
                                            capture_sum, &ca2);
        g_assert_cmpint(ca.n, ==, cb.n);
        g_assert_cmpfloat(lw, >, 0.01f);
        g_assert_cmpfloat(fabsf(la - lw), <, 1e-4f * lw);
        g_assert_cmpfloat(fabsf(lb - lw), <, 1e-4f * lw);
        double worst = 0.0, big = 0.0;
        for (int i = 0; i < B * IMG; i++) {
            worst = fmax(worst, fabs(dparts[i] - dwhole[i]));
            big = fmax(big, fabs(dwhole[i]));
        }
        g_test_message("%s: whole-batch loss %.5f, parts %.5f / %.5f; worst gradient difference "
                       "%.2e of %.2e",
                       per_class ? "per class" : "one group", lw, la, lb, worst, big);
        g_assert_cmpfloat(worst, <, 1e-4 * big);
        /* a part with no images of its own still takes part in the sum */
        capture e = {.other = NULL};
        g_assert_cmpfloat(dg_spectral_loss_grouped(s, NULL, NULL, 0, NULL, NULL, 0, C, ng, 1.0f,
                                                   NULL, capture_sum, &e),
                          ==, 0.0f);
        g_assert_cmpint(e.n, ==, ca.n);
        g_free(e.mine), g_free(ca.mine), g_free(cb.mine), g_free(ca2.mine), g_free(scratch);
        dg_spectral_free(s);
    }
    g_free(fake), g_free(real), g_free(dwhole), g_free(dparts);
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
    /* groups out of range, missing, or too many */
    int bad_group[2] = {0, 2};
    g_assert_cmpfloat(dg_spectral_loss_grouped(s, x, bad_group, 2, x, bad_group, 2, 1, 2, 1.0f, NULL, NULL, NULL), <, 0);
    bad_group[1] = -1;
    g_assert_cmpfloat(dg_spectral_loss_grouped(s, x, bad_group, 2, x, bad_group, 2, 1, 2, 1.0f, NULL, NULL, NULL), <, 0);
    g_assert_cmpfloat(dg_spectral_loss_grouped(s, x, NULL, 2, x, NULL, 2, 1, 2, 1.0f, NULL, NULL, NULL), <, 0);
    g_assert_cmpfloat(dg_spectral_loss_grouped(s, x, NULL, 2, x, NULL, 2, 1, 65, 1.0f, NULL, NULL, NULL), <, 0);
    g_assert_cmpfloat(dg_spectral_loss_grouped(s, NULL, NULL, 1, x, NULL, 1, 1, 1, 1.0f, NULL, NULL, NULL), <, 0);
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
    g_test_add_func("/spectral/grouped", test_grouped);
    g_test_add_func("/spectral/split", test_split);
    g_test_add_func("/spectral/bad", test_bad);
    return g_test_run();
}

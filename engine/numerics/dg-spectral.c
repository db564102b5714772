/* dg-spectral.c: the spectral loss (see dg-spectral.h). */
#include "dg-spectral.h"

#include <math.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "dg-gemm.h"

#define EPS 1e-6 /* of the ring power, before its log */

struct dg_spectral {
    int S, R, maxB;
    int nbins;            /* R rings, (S/2)^2 - 1 blocks or S^2 - 1 frequencies */
    float *cosm, *sinm;   /* [S, S]: cos and sin of 2 pi k n / S (symmetric) */
    float *win;           /* [S, S]: the 2-D Hann window */
    int *ring;            /* [S * S]: bin 0 .. nbins-1 of (u, v), or -1 */
    int *count;           /* [nbins]: frequencies in each bin */
    float *grey, *a, *b;  /* [maxB, S, S]: grey levels; G C and G S, then M1 and M2 */
    float *re, *im;       /* [maxB, S, S]: the spectra of the fake batch */
    double *ring_f;       /* [nbins]: bin power sums (dg_spectral_profile) */
};

void dg_spectral_free(dg_spectral *s)
{
    if (!s)
        return;
    free(s->cosm), free(s->sinm), free(s->win), free(s->ring), free(s->count);
    free(s->grey), free(s->a), free(s->b), free(s->re), free(s->im);
    free(s->ring_f);
    free(s);
}

dg_spectral *dg_spectral_new(int size, int max_batch, dg_spectral_bins bins)
{
    if (size < 4 || size > 512 || size % 2 || max_batch < 1 || max_batch > 4096 ||
        (bins != DG_SPECTRAL_RINGS && bins != DG_SPECTRAL_BLOCKS && bins != DG_SPECTRAL_FREQS))
        return NULL;
    dg_spectral *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    const int S = size, R = S / 2;
    const size_t n = (size_t)S * S, nb = n * (size_t)max_batch;
    s->S = S, s->R = R, s->maxB = max_batch;
    s->nbins = bins == DG_SPECTRAL_RINGS ? R : bins == DG_SPECTRAL_BLOCKS ? R * R - 1 : S * S - 1;
    s->cosm = malloc(n * sizeof(float));
    s->sinm = malloc(n * sizeof(float));
    s->win = malloc(n * sizeof(float));
    s->ring = malloc(n * sizeof(int));
    s->count = calloc((size_t)s->nbins, sizeof(int));
    s->grey = malloc(nb * sizeof(float));
    s->a = malloc(nb * sizeof(float));
    s->b = malloc(nb * sizeof(float));
    s->re = malloc(nb * sizeof(float));
    s->im = malloc(nb * sizeof(float));
    s->ring_f = calloc((size_t)s->nbins, sizeof(double));
    if (!s->cosm || !s->sinm || !s->win || !s->ring || !s->count || !s->grey || !s->a || !s->b || !s->re ||
        !s->im || !s->ring_f) {
        dg_spectral_free(s);
        return NULL;
    }
    for (int k = 0; k < S; k++)
        for (int j = 0; j < S; j++) {
            double t = 2.0 * M_PI * (double)((k * j) % S) / S;
            s->cosm[k * S + j] = (float)cos(t);
            s->sinm[k * S + j] = (float)sin(t);
        }
    for (int u = 0; u < S; u++)
        for (int v = 0; v < S; v++) {
            double wu = 0.5 - 0.5 * cos(2.0 * M_PI * (u + 0.5) / S);
            double wv = 0.5 - 0.5 * cos(2.0 * M_PI * (v + 0.5) / S);
            s->win[u * S + v] = (float)(wu * wv);
        }
    for (int u = 0; u < S; u++)
        for (int v = 0; v < S; v++) {
            int b;
            if (bins == DG_SPECTRAL_RINGS) {
                int fu = u < R ? u : u - S, fv = v < R ? v : v - S;
                int r = (int)lround(sqrt((double)(fu * fu + fv * fv)));
                b = r >= 1 && r <= R ? r - 1 : -1;
            } else if (bins == DG_SPECTRAL_BLOCKS) { /* 2 x 2 blocks, as gan score compares them */
                b = (u / 2) * R + v / 2 - 1; /* the block holding the zero frequency is left out */
            } else {
                b = u * S + v - 1; /* every frequency but the zero one */
            }
            s->ring[u * S + v] = b;
            if (b >= 0)
                s->count[b]++;
        }
    return s;
}

/* Re and Im of the DFT of the windowed grey levels of x[B, C, S, S] into
 * re, im. */
static void spectra(dg_spectral *s, const float *x, int B, int C, float *re, float *im)
{
    const int S = s->S;
    const size_t n = (size_t)S * S;
    if (B < 1)
        return;
    for (int i = 0; i < B; i++) {
        float *g = s->grey + i * n;
        double mean = 0.0;
        for (size_t p = 0; p < n; p++) {
            float acc = 0.0f;
            for (int c = 0; c < C; c++)
                acc += x[((size_t)i * C + c) * n + p];
            g[p] = acc / (float)C;
            mean += g[p];
        }
        mean /= (double)n;
        for (size_t p = 0; p < n; p++)
            g[p] = (g[p] - (float)mean) * s->win[p];
    }
    /* Re = C G C - S G S, Im = -(S G C + C G S): the right products for the
     * whole batch at once, then the left ones image by image */
    dg_gemm(false, false, B * S, S, S, 1.0f, s->grey, S, s->cosm, S, 0.0f, s->a, S);
    dg_gemm(false, false, B * S, S, S, 1.0f, s->grey, S, s->sinm, S, 0.0f, s->b, S);
    for (int i = 0; i < B; i++) {
        const float *A = s->a + i * n, *Bm = s->b + i * n;
        float *Re = re + i * n, *Im = im + i * n;
        dg_gemm(false, false, S, S, S, 1.0f, s->cosm, S, A, S, 0.0f, Re, S);
        dg_gemm(false, false, S, S, S, -1.0f, s->sinm, S, Bm, S, 1.0f, Re, S);
        dg_gemm(false, false, S, S, S, -1.0f, s->sinm, S, A, S, 0.0f, Im, S);
        dg_gemm(false, false, S, S, S, -1.0f, s->cosm, S, Bm, S, 1.0f, Im, S);
    }
}

/* Adds each image's bin powers (summed over the bin's frequencies) to
 * sums[group[i] * stride + bin] and counts its image in
 * n[group[i] * stride] (group NULL: all in group 0). */
static void add_powers(const dg_spectral *s, const float *re, const float *im, int B,
                       const int *group, size_t stride, double *sums, double *n)
{
    const size_t np = (size_t)s->S * s->S;
    for (int i = 0; i < B; i++) {
        const size_t g = group ? (size_t)group[i] : 0;
        double *ring = sums + g * stride;
        n[g * stride] += 1.0;
        for (size_t p = 0; p < np; p++) {
            int r = s->ring[p];
            if (r >= 0) {
                double a = re[i * np + p], b = im[i * np + p];
                ring[r] += a * a + b * b;
            }
        }
    }
}

int dg_spectral_profile(dg_spectral *s, const float *x, int B, int C, float *profile)
{
    if (!s || !x || !profile || B < 1 || B > s->maxB || C < 1)
        return -1;
    spectra(s, x, B, C, s->re, s->im);
    double n = 0.0;
    memset(s->ring_f, 0, (size_t)s->nbins * sizeof(double));
    add_powers(s, s->re, s->im, B, NULL, 0, s->ring_f, &n);
    for (int r = 0; r < s->nbins; r++)
        profile[r] = (float)log10(s->ring_f[r] / ((double)s->count[r] * n) + EPS);
    return 0;
}

int dg_spectral_n_bins(const dg_spectral *s)
{
    return s ? s->nbins : 0;
}

float dg_spectral_loss(dg_spectral *s, const float *fake, int B, const float *real, int Br, int C,
                       float scale, float *dfake)
{
    if (B < 1 || Br < 1)
        return -1.0f;
    return dg_spectral_loss_grouped(s, fake, NULL, B, real, NULL, Br, C, 1, scale, dfake, NULL,
                                    NULL);
}

static bool groups_ok(const int *group, int B, int n_groups)
{
    for (int i = 0; group && i < B; i++)
        if (group[i] < 0 || group[i] >= n_groups)
            return false;
    return true;
}

float dg_spectral_loss_grouped(dg_spectral *s, const float *fake, const int *fake_group, int B,
                               const float *real, const int *real_group, int Br, int C,
                               int n_groups, float scale, float *dfake, dg_spectral_sum_fn sum,
                               void *user)
{
    if (!s || B < 0 || B > s->maxB || Br < 0 || Br > s->maxB || C < 1 || n_groups < 1 ||
        n_groups > DG_SPECTRAL_MAX_GROUPS || (B > 0 && !fake) || (Br > 0 && !real) ||
        (n_groups > 1 && ((B > 0 && !fake_group) || (Br > 0 && !real_group))) ||
        !groups_ok(n_groups > 1 ? fake_group : NULL, B, n_groups) ||
        !groups_ok(n_groups > 1 ? real_group : NULL, Br, n_groups))
        return -1.0f;
    if (n_groups == 1)
        fake_group = real_group = NULL;
    const int S = s->S, R = s->nbins;
    const size_t n = (size_t)S * S;
    /* this part's sums: per group, the fake then the real bin powers, then
     * the fake and real image counts */
    const size_t per = 2 * (size_t)R + 2, len = per * (size_t)n_groups;
    double *acc = calloc(len, sizeof(double));
    double *dbin = calloc((size_t)R * n_groups, sizeof(double));
    float result = -1.0f;
    if (!acc || !dbin)
        goto out;
    spectra(s, real, Br, C, s->re, s->im); /* re, im overwritten next */
    add_powers(s, s->re, s->im, Br, real_group, per, acc + R, acc + 2 * R + 1);
    spectra(s, fake, B, C, s->re, s->im);
    add_powers(s, s->re, s->im, B, fake_group, per, acc, acc + 2 * R);
    if (sum) /* the whole batch's sums, in every part alike */
        sum(acc, (long)len, user);
    double all = 0.0;
    for (int g = 0; g < n_groups; g++)
        all += acc[per * g + 2 * R];
    double loss = 0.0;
    for (int g = 0; g < n_groups && all > 0; g++) {
        const double *a = acc + per * g;
        const double Nf = a[2 * R], Nr = a[2 * R + 1];
        if (Nf < (n_groups > 1 ? 2 : 1) || Nr < (n_groups > 1 ? 2 : 1))
            continue; /* a class with fewer than two images here is left out */
        const double w = Nf / all;
        for (int r = 0; r < R; r++) {
            const double pf = a[r] / ((double)s->count[r] * Nf);
            const double pr = a[R + r] / ((double)s->count[r] * Nr);
            double d = log10(pf + EPS) - log10(pr + EPS);
            loss += w * d * d / R;
            /* dL/dP(u, v) of one image of the group for (u, v) in bin r */
            dbin[(size_t)g * R + r] =
                w * 2.0 * d / R / (M_LN10 * (pf + EPS)) / ((double)s->count[r] * Nf);
        }
    }
    result = (float)loss;
    if (!dfake || B < 1)
        goto out;
    /* dRe = 2 Re dP, dIm = 2 Im dP, in place */
    for (int i = 0; i < B; i++) {
        const double *db = dbin + (size_t)(fake_group ? fake_group[i] : 0) * R;
        for (size_t p = 0; p < n; p++) {
            int r = s->ring[p];
            float gr = r >= 0 ? (float)(2.0 * db[r]) : 0.0f;
            s->re[i * n + p] *= gr;
            s->im[i * n + p] *= gr;
        }
    }
    /* dG = C dRe C - S dRe S - S dIm C - C dIm S = C M1 - S M2 with
     * M1 = dRe C - dIm S and M2 = dRe S + dIm C (C and S are symmetric) */
    dg_gemm(false, false, B * S, S, S, 1.0f, s->re, S, s->cosm, S, 0.0f, s->a, S);
    dg_gemm(false, false, B * S, S, S, -1.0f, s->im, S, s->sinm, S, 1.0f, s->a, S);
    dg_gemm(false, false, B * S, S, S, 1.0f, s->re, S, s->sinm, S, 0.0f, s->b, S);
    dg_gemm(false, false, B * S, S, S, 1.0f, s->im, S, s->cosm, S, 1.0f, s->b, S);
    for (int i = 0; i < B; i++) {
        float *dg = s->grey + i * n; /* the grey levels are not needed any more */
        dg_gemm(false, false, S, S, S, 1.0f, s->cosm, S, s->a + i * n, S, 0.0f, dg, S);
        dg_gemm(false, false, S, S, S, -1.0f, s->sinm, S, s->b + i * n, S, 1.0f, dg, S);
        /* back through the window and the mean's removal */
        double mean = 0.0;
        for (size_t p = 0; p < n; p++) {
            dg[p] *= s->win[p];
            mean += dg[p];
        }
        mean /= (double)n;
        for (size_t p = 0; p < n; p++)
            dg[p] -= (float)mean;
        const float k = scale / (float)C;
        for (int c = 0; c < C; c++) {
            float *d = dfake + ((size_t)i * C + c) * n;
            for (size_t p = 0; p < n; p++)
                d[p] += k * dg[p];
        }
    }
out:
    free(acc), free(dbin);
    return result;
}

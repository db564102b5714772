/* dg-spectral.c: the spectral loss (see dg-spectral.h). */
#include "dg-spectral.h"

#include <math.h>
#include <stdlib.h>
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
    double *ring_f, *ring_r; /* [nbins]: batch-mean bin powers */
    double *dbin;            /* [nbins]: dL/dP of one frequency of the bin */
};

void dg_spectral_free(dg_spectral *s)
{
    if (!s)
        return;
    free(s->cosm), free(s->sinm), free(s->win), free(s->ring), free(s->count);
    free(s->grey), free(s->a), free(s->b), free(s->re), free(s->im);
    free(s->ring_f), free(s->ring_r), free(s->dbin);
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
    s->ring_r = calloc((size_t)s->nbins, sizeof(double));
    s->dbin = calloc((size_t)s->nbins, sizeof(double));
    if (!s->cosm || !s->sinm || !s->win || !s->ring || !s->count || !s->grey || !s->a || !s->b || !s->re ||
        !s->im || !s->ring_f || !s->ring_r || !s->dbin) {
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
 * re, im; the batch-mean ring powers into ring. */
static void spectra(dg_spectral *s, const float *x, int B, int C, float *re, float *im,
                    double *ring)
{
    const int S = s->S;
    const size_t n = (size_t)S * S;
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
    memset(ring, 0, (size_t)s->nbins * sizeof(double));
    for (int i = 0; i < B; i++)
        for (size_t p = 0; p < n; p++) {
            int r = s->ring[p];
            if (r >= 0) {
                double a = re[i * n + p], b = im[i * n + p];
                ring[r] += a * a + b * b;
            }
        }
    for (int r = 0; r < s->nbins; r++)
        ring[r] /= (double)s->count[r] * B;
}

int dg_spectral_profile(dg_spectral *s, const float *x, int B, int C, float *profile)
{
    if (!s || !x || !profile || B < 1 || B > s->maxB || C < 1)
        return -1;
    spectra(s, x, B, C, s->re, s->im, s->ring_f);
    for (int r = 0; r < s->nbins; r++)
        profile[r] = (float)log10(s->ring_f[r] + EPS);
    return 0;
}

int dg_spectral_n_bins(const dg_spectral *s)
{
    return s ? s->nbins : 0;
}

float dg_spectral_loss(dg_spectral *s, const float *fake, int B, const float *real, int Br, int C,
                       float scale, float *dfake)
{
    if (!s || !fake || !real || B < 1 || B > s->maxB || Br < 1 || Br > s->maxB || C < 1)
        return -1.0f;
    const int S = s->S, R = s->nbins;
    const size_t n = (size_t)S * S;
    spectra(s, real, Br, C, s->re, s->im, s->ring_r); /* re, im overwritten next */
    spectra(s, fake, B, C, s->re, s->im, s->ring_f);
    double loss = 0.0;
    double *dring = s->dbin;
    for (int r = 0; r < R; r++) {
        double d = log10(s->ring_f[r] + EPS) - log10(s->ring_r[r] + EPS);
        loss += d * d / R;
        /* dL/dP(u, v) of one image for (u, v) in ring r */
        dring[r] = 2.0 * d / R / (M_LN10 * (s->ring_f[r] + EPS)) / ((double)s->count[r] * B);
    }
    if (!dfake)
        return (float)loss;
    /* dRe = 2 Re dP, dIm = 2 Im dP, in place */
    for (int i = 0; i < B; i++)
        for (size_t p = 0; p < n; p++) {
            int r = s->ring[p];
            float g = r >= 0 ? (float)(2.0 * dring[r]) : 0.0f;
            s->re[i * n + p] *= g;
            s->im[i * n + p] *= g;
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
    return (float)loss;
}

/* test-kernels: the fast kernels against naive references: convolutions
 * and transposed convolutions (im2col + GEMM), Winograd and the direct
 * kernels, in all three passes, and
 * agreement across thread counts; batch norm's plain, class-conditional
 * and fused paths against each other.  (Gradients by finite
 * differences are in test-layers.c.) */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "numerics/dg-ctx.h"
#include "numerics/dg-layers.h"
#include "numerics/dg-direct.h"
#include "numerics/dg-winograd.h"

static dg_ctx *ctx1, *ctx2, *ctx3;

typedef struct {
    int B, C, H, W, OC, k, s, p;
    bool bias;
} conv_case;

/* ---- naive references ------------------------------------------------------- */

static void naive_conv(const dg_conv_geom *g, float *out, const float *in, const float *w,
                       const float *b)
{
    for (int n = 0; n < g->B; n++)
        for (int o = 0; o < g->OC; o++)
            for (int oh = 0; oh < g->OH; oh++)
                for (int ow = 0; ow < g->OW; ow++) {
                    double acc = b ? b[o] : 0.0;
                    for (int c = 0; c < g->C; c++)
                        for (int kh = 0; kh < g->KH; kh++)
                            for (int kw = 0; kw < g->KW; kw++) {
                                int ih = oh * g->SH - g->PH + kh, iw = ow * g->SW - g->PW + kw;
                                if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W)
                                    continue;
                                acc += (double)in[((n * g->C + c) * g->H + ih) * g->W + iw] *
                                       w[((o * g->C + c) * g->KH + kh) * g->KW + kw];
                            }
                    out[((n * g->OC + o) * g->OH + oh) * g->OW + ow] = (float)acc;
                }
}

/* Transposed conv by its definition: every input pixel scatters w * x. */
static void naive_convt(const dg_conv_geom *g, float *out, const float *in, const float *w,
                        const float *b)
{
    long on = (long)g->B * g->OC * g->OH * g->OW;
    double *acc = g_new0(double, on);
    for (int n = 0; n < g->B; n++)
        for (int c = 0; c < g->C; c++)
            for (int ih = 0; ih < g->H; ih++)
                for (int iw = 0; iw < g->W; iw++) {
                    double x = in[((n * g->C + c) * g->H + ih) * g->W + iw];
                    for (int o = 0; o < g->OC; o++)
                        for (int kh = 0; kh < g->KH; kh++)
                            for (int kw = 0; kw < g->KW; kw++) {
                                int oh = ih * g->SH - g->PH + kh, ow = iw * g->SW - g->PW + kw;
                                if (oh < 0 || oh >= g->OH || ow < 0 || ow >= g->OW)
                                    continue;
                                acc[((n * g->OC + o) * g->OH + oh) * g->OW + ow] +=
                                    x * w[((c * g->OC + o) * g->KH + kh) * g->KW + kw];
                            }
                }
    for (long i = 0; i < on; i++) {
        int o = (int)(i / ((long)g->OH * g->OW) % g->OC);
        out[i] = (float)(acc[i] + (b ? b[o] : 0.0));
    }
    g_free(acc);
}

static void fill(dg_rng *r, float *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = 2.0f * dg_rng_uniform(r) - 1.0f;
}

static void check_close(const float *a, const float *b, long n, double tol)
{
    double worst = 0.0;
    for (long i = 0; i < n; i++)
        worst = fmax(worst, fabs((double)a[i] - b[i]));
    if (worst > tol)
        g_test_message("max abs difference %.3g > %.3g", worst, tol);
    g_assert_cmpfloat(worst, <=, tol);
}

static void test_conv_reference(void)
{
    static const conv_case cases[] = {
        {4, 3, 64, 64, 8, 4, 2, 1, false}, {8, 16, 16, 16, 32, 4, 2, 1, false},
        {64, 8, 4, 4, 16, 4, 2, 1, true},  {3, 3, 13, 11, 5, 3, 1, 1, true},
        {2, 6, 9, 9, 4, 1, 1, 0, true},    {7, 5, 10, 7, 3, 3, 2, 2, true},
        {33, 4, 2, 3, 5, 1, 1, 0, false},  {1, 3, 64, 64, 16, 3, 1, 1, true},
        {5, 6, 4, 4, 3, 4, 1, 0, true},    {3, 7, 3, 5, 2, 3, 2, 0, false}, /* dense-like */
    };
    dg_rng r;
    dg_rng_seed(&r, 11);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const conv_case *cc = &cases[i];
        dg_conv_geom g = dg_conv_geom_make(cc->B, cc->C, cc->H, cc->W, cc->OC, cc->k, cc->s, cc->p);
        long in_n = (long)g.B * g.C * g.H * g.W, out_n = (long)g.B * g.OC * g.OH * g.OW;
        long w_n = (long)g.OC * g.C * g.KH * g.KW;
        float *x = g_new(float, in_n), *w = g_new(float, w_n), *b = g_new(float, g.OC);
        float *o1 = g_new(float, out_n), *o2 = g_new(float, out_n), *o3 = g_new(float, out_n);
        fill(&r, x, in_n);
        fill(&r, w, w_n);
        fill(&r, b, g.OC);
        naive_conv(&g, o1, x, w, cc->bias ? b : NULL);
        dg_conv2d_forward(ctx1, &g, o2, x, w, cc->bias ? b : NULL);
        dg_conv2d_forward(ctx3, &g, o3, x, w, cc->bias ? b : NULL);
        check_close(o1, o2, out_n, 1e-4 * sqrt((double)g.C * g.KH * g.KW));
        /* another thread count splits the batch differently: same values up to rounding */
        check_close(o2, o3, out_n, 1e-5 * sqrt((double)g.C * g.KH * g.KW));
        g_free(x), g_free(w), g_free(b), g_free(o1), g_free(o2), g_free(o3);
    }
}

static void test_convt_reference(void)
{
    static const conv_case cases[] = {
        {4, 16, 4, 4, 8, 4, 2, 1, false}, {64, 10, 1, 1, 16, 4, 1, 0, false},
        {3, 5, 1, 1, 4, 3, 2, 0, true},
        {3, 8, 16, 16, 3, 4, 2, 1, true}, {2, 3, 5, 7, 4, 3, 1, 1, true},
        {3, 4, 5, 5, 2, 3, 2, 0, true},   {1, 6, 8, 8, 3, 4, 2, 1, true},
    };
    dg_rng r;
    dg_rng_seed(&r, 12);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const conv_case *cc = &cases[i];
        dg_conv_geom g = dg_convt_geom_make(cc->B, cc->C, cc->H, cc->W, cc->OC, cc->k, cc->s, cc->p);
        long in_n = (long)g.B * g.C * g.H * g.W, out_n = (long)g.B * g.OC * g.OH * g.OW;
        long w_n = (long)g.OC * g.C * g.KH * g.KW;
        float *x = g_new(float, in_n), *w = g_new(float, w_n), *b = g_new(float, g.OC);
        float *o1 = g_new(float, out_n), *o2 = g_new(float, out_n), *o3 = g_new(float, out_n);
        fill(&r, x, in_n);
        fill(&r, w, w_n);
        fill(&r, b, g.OC);
        naive_convt(&g, o1, x, w, cc->bias ? b : NULL);
        dg_convt2d_forward(ctx2, &g, o2, x, w, cc->bias ? b : NULL);
        dg_convt2d_forward(ctx3, &g, o3, x, w, cc->bias ? b : NULL);
        check_close(o1, o2, out_n, 1e-4 * sqrt((double)g.C * g.KH * g.KW));
        check_close(o2, o3, out_n, 1e-5 * sqrt((double)g.C * g.KH * g.KW));
        g_free(x), g_free(w), g_free(b), g_free(o1), g_free(o2), g_free(o3);
    }
}

/* The backward kernels must also agree across thread counts up to rounding
 * (the weight-gradient reduction order differs). */
static void test_conv_backward_threads(void)
{
    dg_conv_geom g = dg_conv_geom_make(9, 6, 10, 10, 7, 4, 2, 1);
    long in_n = (long)g.B * g.C * g.H * g.W, out_n = (long)g.B * g.OC * g.OH * g.OW;
    long w_n = (long)g.OC * g.C * g.KH * g.KW;
    dg_rng r;
    dg_rng_seed(&r, 13);
    float *x = g_new(float, in_n), *w = g_new(float, w_n), *dy = g_new(float, out_n);
    fill(&r, x, in_n), fill(&r, w, w_n), fill(&r, dy, out_n);
    float *dx1 = g_new(float, in_n), *dx3 = g_new(float, in_n);
    float *dw1 = g_new0(float, w_n), *dw3 = g_new0(float, w_n);
    float db1[7] = {0}, db3[7] = {0};
    dg_conv2d_backward(ctx1, &g, dx1, dw1, db1, dy, x, w);
    dg_conv2d_backward(ctx3, &g, dx3, dw3, db3, dy, x, w);
    check_close(dx1, dx3, in_n, 1e-5);
    check_close(dw1, dw3, w_n, 1e-4);
    check_close(db1, db3, 7, 1e-4);
    g_free(x), g_free(w), g_free(dy), g_free(dx1), g_free(dx3), g_free(dw1), g_free(dw3);
}


/* The gradients of a convolution by their definitions, in double. */
static void naive_conv_backward(const dg_conv_geom *g, float *din, float *dw, const float *dout,
                                const float *in, const float *w)
{
    long in_n = (long)g->B * g->C * g->H * g->W, w_n = (long)g->OC * g->C * g->KH * g->KW;
    double *dx = g_new0(double, in_n), *dwd = g_new0(double, w_n);
    for (int n = 0; n < g->B; n++)
        for (int o = 0; o < g->OC; o++)
            for (int oh = 0; oh < g->OH; oh++)
                for (int ow = 0; ow < g->OW; ow++) {
                    double d = dout[((n * g->OC + o) * g->OH + oh) * g->OW + ow];
                    for (int c = 0; c < g->C; c++)
                        for (int kh = 0; kh < g->KH; kh++)
                            for (int kw = 0; kw < g->KW; kw++) {
                                int ih = oh * g->SH - g->PH + kh, iw = ow * g->SW - g->PW + kw;
                                if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W)
                                    continue;
                                long xi = ((n * g->C + c) * g->H + ih) * g->W + iw;
                                long wi = ((o * g->C + c) * g->KH + kh) * g->KW + kw;
                                dx[xi] += d * w[wi];
                                dwd[wi] += d * in[xi];
                            }
                }
    for (long i = 0; i < in_n; i++)
        din[i] = (float)dx[i];
    for (long i = 0; i < w_n; i++)
        dw[i] = (float)dwd[i];
    g_free(dx);
    g_free(dwd);
}

/* Winograd F(2x2, 3x3) against the direct definitions: odd sizes, batch 1,
 * padding 0, 1 and 2, maps smaller than a tile row, several channel counts,
 * one and three threads. */
static void test_winograd_reference(void)
{
    static const conv_case cases[] = {
        {2, 8, 7, 5, 9, 3, 1, 1, true},    {1, 16, 6, 6, 8, 3, 1, 1, true},
        {3, 8, 5, 4, 12, 3, 1, 0, false},  {2, 10, 3, 4, 8, 3, 1, 2, true},
        {4, 24, 8, 8, 48, 3, 1, 1, true},  {2, 32, 1, 1, 16, 3, 1, 1, false},
        {2, 9, 2, 3, 11, 3, 1, 1, true},   {1, 12, 130, 9, 8, 3, 1, 1, true},
        {5, 64, 4, 4, 40, 3, 1, 1, false}, {2, 8, 16, 16, 8, 3, 1, 0, true},
        {1, 8, 5, 131, 8, 3, 1, 1, true},  {2, 8, 9, 130, 9, 3, 1, 0, false},
    };
    dg_rng r;
    dg_rng_seed(&r, 21);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const conv_case *cc = &cases[i];
        dg_conv_geom g = dg_conv_geom_make(cc->B, cc->C, cc->H, cc->W, cc->OC, 3, 1, cc->p);
        long in_n = (long)g.B * g.C * g.H * g.W, out_n = (long)g.B * g.OC * g.OH * g.OW;
        long w_n = (long)g.OC * g.C * 9;
        float *x = g_new(float, in_n), *w = g_new(float, w_n), *b = g_new(float, g.OC);
        float *dy = g_new(float, out_n), *o1 = g_new(float, out_n), *o2 = g_new(float, out_n);
        float *dx1 = g_new(float, in_n), *dx2 = g_new(float, in_n);
        float *dw1 = g_new(float, w_n), *dw2 = g_new0(float, w_n), *dw3 = g_new0(float, w_n);
        fill(&r, x, in_n), fill(&r, w, w_n), fill(&r, b, g.OC), fill(&r, dy, out_n);
        const float *bias = cc->bias ? b : NULL;
        double tol = 1e-4 * sqrt((double)g.C * 9);
        naive_conv(&g, o1, x, w, bias);
        dg_wino_forward(ctx1, &g, o2, x, w, bias);
        check_close(o1, o2, out_n, tol);
        dg_wino_forward(ctx3, &g, o2, x, w, bias);
        check_close(o1, o2, out_n, tol);
        naive_conv_backward(&g, dx1, dw1, dy, x, w);
        dg_wino_backward_data(ctx1, &g, dx2, dy, w);
        check_close(dx1, dx2, in_n, 1e-4 * sqrt((double)g.OC * 9));
        dg_wino_backward_data(ctx3, &g, dx2, dy, w);
        check_close(dx1, dx2, in_n, 1e-4 * sqrt((double)g.OC * 9));
        /* dw accumulates: start from a known value */
        for (long k = 0; k < w_n; k++)
            dw2[k] = dw3[k] = 1.0f;
        dg_wino_backward_weight(ctx1, &g, dw2, dy, x);
        dg_wino_backward_weight(ctx3, &g, dw3, dy, x);
        for (long k = 0; k < w_n; k++)
            dw1[k] += 1.0f;
        double wtol = 1e-4 * sqrt((double)g.B * g.OH * g.OW);
        check_close(dw1, dw2, w_n, wtol);
        check_close(dw1, dw3, w_n, wtol);
        g_free(x), g_free(w), g_free(b), g_free(dy), g_free(o1), g_free(o2);
        g_free(dx1), g_free(dx2), g_free(dw1), g_free(dw2), g_free(dw3);
    }
}

/* The direct kernels against the direct definitions: few channels on
 * either side, kernels 1, 3 and 5, padding 0 to k - 1, odd sizes, rows
 * shorter and longer than the kernels' vectors, batch 1, 1 and 3 threads. */
static void test_direct_reference(void)
{
    static const conv_case cases[] = {
        {2, 24, 9, 37, 3, 3, 1, 1, true},  {1, 3, 17, 16, 5, 3, 1, 1, true},
        {3, 2, 5, 7, 4, 5, 1, 2, false},   {2, 6, 8, 33, 1, 3, 1, 0, true},
        {2, 4, 6, 5, 9, 1, 1, 0, true},    {1, 3, 7, 70, 2, 5, 1, 4, true},
        {3, 7, 4, 4, 4, 3, 1, 2, false},
    };
    dg_rng r;
    dg_rng_seed(&r, 24);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const conv_case *cc = &cases[i];
        dg_conv_geom g = dg_conv_geom_make(cc->B, cc->C, cc->H, cc->W, cc->OC, cc->k, 1, cc->p);
        long in_n = (long)g.B * g.C * g.H * g.W, out_n = (long)g.B * g.OC * g.OH * g.OW;
        long w_n = (long)g.OC * g.C * g.KH * g.KW;
        float *x = g_new(float, in_n), *w = g_new(float, w_n), *b = g_new(float, g.OC);
        float *dy = g_new(float, out_n), *o1 = g_new(float, out_n), *o2 = g_new(float, out_n);
        float *dx1 = g_new(float, in_n), *dx2 = g_new(float, in_n);
        float *dw1 = g_new(float, w_n), *dw2 = g_new(float, w_n);
        fill(&r, x, in_n), fill(&r, w, w_n), fill(&r, b, g.OC), fill(&r, dy, out_n);
        const float *bias = cc->bias ? b : NULL;
        naive_conv(&g, o1, x, w, bias);
        naive_conv_backward(&g, dx1, dw1, dy, x, w);
        for (int t = 0; t < 2; t++) {
            dg_ctx *ctx = t ? ctx3 : ctx1;
            dg_direct_forward(ctx, &g, o2, x, w, bias);
            check_close(o1, o2, out_n, 1e-4 * sqrt((double)g.C * g.KH * g.KW));
            dg_direct_backward_data(ctx, &g, dx2, dy, w);
            check_close(dx1, dx2, in_n, 1e-4 * sqrt((double)g.OC * g.KH * g.KW));
            memset(dw2, 0, sizeof(float) * w_n);
            dg_direct_backward_weight(ctx, &g, dw2, dy, x);
            check_close(dw1, dw2, w_n, 1e-4 * sqrt((double)g.B * g.OH * g.OW));
        }
        g_free(x), g_free(w), g_free(b), g_free(dy), g_free(o1), g_free(o2);
        g_free(dx1), g_free(dx2), g_free(dw1), g_free(dw2);
    }
}

/* The pooled 3x3 convolution against conv then 2x2 average pooling by
 * their definitions: odd conv outputs (the last row / column not pooled),
 * padding 0, 1, 2, batch 1, 1 and 3 threads, all three passes. */
static void test_convpool_reference(void)
{
    static const conv_case cases[] = {
        {2, 5, 9, 8, 4, 3, 1, 1, true}, {1, 3, 8, 11, 6, 3, 1, 0, false},
        {3, 4, 6, 6, 5, 3, 1, 2, true}, {2, 16, 16, 16, 8, 3, 1, 1, true},
    };
    dg_rng r;
    dg_rng_seed(&r, 25);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const conv_case *cc = &cases[i];
        dg_conv_geom g = dg_conv_geom_make(cc->B, cc->C, cc->H, cc->W, cc->OC, 3, 1, cc->p);
        const int PH = g.OH / 2, PW = g.OW / 2;
        long in_n = (long)g.B * g.C * g.H * g.W, out_n = (long)g.B * g.OC * g.OH * g.OW;
        long pn = (long)g.B * g.OC * PH * PW, w_n = (long)g.OC * g.C * 9;
        float *x = g_new(float, in_n), *w = g_new(float, w_n), *b = g_new(float, g.OC);
        float *y = g_new(float, out_n), *dyp = g_new(float, pn), *dy = g_new0(float, out_n);
        float *p1 = g_new(float, pn), *p2 = g_new(float, pn), *wt = g_new(float, w_n);
        float *dx1 = g_new(float, in_n), *dx2 = g_new(float, in_n);
        float *dw1 = g_new(float, w_n), *dw2 = g_new(float, w_n), *dwt = g_new(float, w_n);
        fill(&r, x, in_n), fill(&r, w, w_n), fill(&r, b, g.OC), fill(&r, dyp, pn);
        const float *bias = cc->bias ? b : NULL;
        naive_conv(&g, y, x, w, bias);
        for (long q = 0; q < (long)g.B * g.OC; q++) /* pool, and the pool's adjoint of dyp */
            for (int ph = 0; ph < PH; ph++)
                for (int pw = 0; pw < PW; pw++) {
                    const float *yy = y + q * g.OH * g.OW;
                    long o = (2L * ph) * g.OW + 2 * pw;
                    p1[(q * PH + ph) * PW + pw] =
                        0.25f * (yy[o] + yy[o + 1] + yy[o + g.OW] + yy[o + g.OW + 1]);
                    float d = 0.25f * dyp[(q * PH + ph) * PW + pw];
                    float *dd = dy + q * g.OH * g.OW;
                    dd[o] = dd[o + 1] = dd[o + g.OW] = dd[o + g.OW + 1] = d;
                }
        naive_conv_backward(&g, dx1, dw1, dy, x, w);
        dg_convpool_weight(wt, w, g.OC, g.C);
        for (int t = 0; t < 2; t++) {
            dg_ctx *ctx = t ? ctx3 : ctx1;
            dg_convpool_forward(ctx, &g, p2, x, wt, bias);
            check_close(p1, p2, pn, 1e-4 * sqrt((double)g.C * 9));
            dg_convpool_backward_data(ctx, &g, dx2, dyp, wt);
            check_close(dx1, dx2, in_n, 1e-4 * sqrt((double)g.OC * 9));
            memset(dwt, 0, sizeof(float) * w_n);
            memset(dw2, 0, sizeof(float) * w_n);
            dg_convpool_backward_weight(ctx, &g, dwt, NULL, dyp, x);
            dg_convpool_weight_grad(dw2, dwt, g.OC, g.C);
            check_close(dw1, dw2, w_n, 1e-4 * sqrt((double)g.B * g.OH * g.OW));
        }
        g_free(x), g_free(w), g_free(b), g_free(y), g_free(dyp), g_free(dy), g_free(p1);
        g_free(p2), g_free(wt), g_free(dx1), g_free(dx2), g_free(dw1), g_free(dw2), g_free(dwt);
    }
}

/* The conv entry points (Winograd or im2col) against the naive backward. */
static void test_conv_backward_reference(void)
{
    static const conv_case cases[] = {
        {3, 8, 9, 7, 10, 3, 1, 1, true}, {2, 3, 8, 8, 5, 4, 2, 1, true},
        {2, 9, 17, 16, 3, 3, 1, 1, true}, {3, 6, 4, 4, 3, 4, 1, 0, true},
        {2, 6, 5, 5, 4, 1, 1, 0, true},  {1, 16, 6, 5, 16, 3, 1, 1, false},
    };
    dg_rng r;
    dg_rng_seed(&r, 22);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const conv_case *cc = &cases[i];
        dg_conv_geom g = dg_conv_geom_make(cc->B, cc->C, cc->H, cc->W, cc->OC, cc->k, cc->s, cc->p);
        long in_n = (long)g.B * g.C * g.H * g.W, out_n = (long)g.B * g.OC * g.OH * g.OW;
        long w_n = (long)g.OC * g.C * g.KH * g.KW;
        float *x = g_new(float, in_n), *w = g_new(float, w_n), *dy = g_new(float, out_n);
        float *dx1 = g_new(float, in_n), *dx2 = g_new(float, in_n);
        float *dw1 = g_new(float, w_n), *dw2 = g_new0(float, w_n);
        float *db = g_new0(float, g.OC);
        fill(&r, x, in_n), fill(&r, w, w_n), fill(&r, dy, out_n);
        naive_conv_backward(&g, dx1, dw1, dy, x, w);
        dg_conv2d_backward(ctx2, &g, dx2, dw2, db, dy, x, w);
        check_close(dx1, dx2, in_n, 1e-4 * sqrt((double)g.OC * g.KH * g.KW));
        check_close(dw1, dw2, w_n, 1e-4 * sqrt((double)g.B * g.OH * g.OW));
        for (int o = 0; o < g.OC; o++) {
            double s = 0.0;
            for (int n = 0; n < g.B; n++)
                for (long k = 0; k < (long)g.OH * g.OW; k++)
                    s += dy[((long)n * g.OC + o) * g.OH * g.OW + k];
            g_assert_cmpfloat_with_epsilon(db[o], s, 1e-4 * sqrt((double)g.B * g.OH * g.OW));
        }
        g_free(x), g_free(w), g_free(dy), g_free(dx1), g_free(dx2), g_free(dw1), g_free(dw2);
        g_free(db);
    }
}

/* Batch norm: plain and class-conditional give the same values bit for bit
 * when every class has the same parameters, and the fused activation gives
 * bit for bit the two separate passes (large planes, odd sizes). */
static void test_batch_norm_paths(void)
{
    const int B = 3, C = 5, HW = 33 * 17;
    const long n = (long)B * C * HW;
    dg_rng r;
    dg_rng_seed(&r, 23);
    float *x = g_new(float, n), *dy = g_new(float, n), *y1 = g_new(float, n);
    float *y2 = g_new(float, n), *dx1 = g_new(float, n), *dx2 = g_new(float, n);
    float g[2 * 5], be[2 * 5], m1[5], s1[5], m2[5], s2[5];
    float dg1[10] = {0}, db1[10] = {0}, dg2[10] = {0}, db2[10] = {0};
    fill(&r, x, n), fill(&r, dy, n), fill(&r, g, C), fill(&r, be, C);
    memcpy(g + C, g, sizeof(float) * C);
    memcpy(be + C, be, sizeof(float) * C);
    int labels[3] = {1, 0, 1};
    dg_bn_params plain = {.gamma = g, .beta = be, .run_mean = NULL, .eps = 1e-5f};
    dg_bn_params cond = plain;
    cond.labels = labels;
    dg_bn_forward(ctx2, &plain, y1, m1, s1, x, B, C, HW, true);
    dg_bn_forward(ctx3, &cond, y2, m2, s2, x, B, C, HW, true);
    g_assert_cmpint(memcmp(y1, y2, sizeof(float) * n), ==, 0);
    dg_bn_backward(ctx2, &plain, dx1, dg1, db1, dy, y1, x, m1, s1, B, C, HW, true);
    dg_bn_backward(ctx3, &cond, dx2, dg2, db2, dy, y2, x, m2, s2, B, C, HW, true);
    g_assert_cmpint(memcmp(dx1, dx2, sizeof(float) * n), ==, 0);
    for (int c = 0; c < C; c++) /* the class tables' gradients sum to the plain ones */
        g_assert_cmpfloat_with_epsilon(dg1[c], dg2[c] + dg2[C + c], 1e-4);
    for (int act = DG_ACT_RELU; act <= DG_ACT_LRELU; act++) {
        dg_bn_params f = plain;
        f.act = (dg_act)act;
        f.slope = 0.2f;
        dg_bn_forward(ctx1, &plain, y1, m1, s1, x, B, C, HW, true);
        if (act == DG_ACT_RELU)
            dg_relu_forward(ctx1, y1, y1, n);
        else
            dg_lrelu_forward(ctx1, y1, y1, n, 0.2f);
        dg_bn_forward(ctx2, &f, y2, m2, s2, x, B, C, HW, true);
        g_assert_cmpint(memcmp(y1, y2, sizeof(float) * n), ==, 0);
        float *dm = g_new(float, n);
        if (act == DG_ACT_RELU)
            dg_relu_backward(ctx1, dm, dy, y1, n);
        else
            dg_lrelu_backward(ctx1, dm, dy, y1, n, 0.2f);
        dg_bn_backward(ctx1, &plain, dx1, NULL, NULL, dm, y1, x, m1, s1, B, C, HW, true);
        dg_bn_backward(ctx2, &f, dx2, NULL, NULL, dy, y2, x, m2, s2, B, C, HW, true);
        g_assert_cmpint(memcmp(dx1, dx2, sizeof(float) * n), ==, 0);
        g_free(dm);
    }
    g_free(x), g_free(dy), g_free(y1), g_free(y2), g_free(dx1), g_free(dx2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ctx1 = dg_ctx_new(1);
    ctx2 = dg_ctx_new(2);
    ctx3 = dg_ctx_new(3);
    g_test_add_func("/kernels/conv", test_conv_reference);
    g_test_add_func("/kernels/convt", test_convt_reference);
    g_test_add_func("/kernels/conv-backward-threads", test_conv_backward_threads);
    g_test_add_func("/kernels/conv-backward", test_conv_backward_reference);
    g_test_add_func("/kernels/winograd", test_winograd_reference);
    g_test_add_func("/kernels/direct", test_direct_reference);
    g_test_add_func("/kernels/convpool", test_convpool_reference);
    g_test_add_func("/kernels/batch-norm", test_batch_norm_paths);
    int rc = g_test_run();
    dg_ctx_free(ctx1);
    dg_ctx_free(ctx2);
    dg_ctx_free(ctx3);
    return rc;
}

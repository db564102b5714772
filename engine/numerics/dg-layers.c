/* dg-layers.c: every layer but the convolutions (see dg-conv.c) and the
 * generator's reflection padding, coordinate channel and noise (see
 * dg-layers-gen.c). */
#include "dg-layers.h"

#include <math.h>
#include <string.h>

#include "dg-gemm.h"

/* Elementwise work below this size runs on the calling thread only. */
#define PAR_MIN 32768L

/* ---- a vectorizable exp ----------------------------------------------------
 * libm's expf/tanhf are scalar calls (~20 ns each); this is branch-free so
 * GCC vectorizes the loops that use it.  Cephes' polynomial: relative error
 * about 2e-7 over the clamped range. */
static inline float exp_approx(float x)
{
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    /* a NaN argument gives NaN (through p); converting NaN to int would be
     * undefined, so the exponent takes 0 then */
    float ne = n == n ? n : 0.0f;
    union {
        int32_t i;
        float f;
    } u = {.i = ((int32_t)ne + 127) << 23};
    return p * u.f;
}

float dg_exp_approx(float x)
{
    return exp_approx(x);
}

/* ---- parallel elementwise helper ---------------------------------------- */

typedef enum { EW_RELU, EW_RELU_B, EW_LRELU, EW_LRELU_B, EW_TANH, EW_TANH_B, EW_SIG, EW_SIG_B,
               EW_ADD, EW_ADD2, EW_ZERO } ew_op;

typedef struct {
    ew_op op;
    float *out;
    const float *a, *b;
    long n;
    float s;
} ew_job;

static void ew_range(const ew_job *j, long lo, long hi)
{
    float *o = j->out;
    const float *a = j->a, *b = j->b;
    const float s = j->s;
    switch (j->op) {
    case EW_RELU:
        for (long i = lo; i < hi; i++)
            o[i] = a[i] > 0.0f ? a[i] : 0.0f;
        break;
    case EW_RELU_B: /* a = dout, b = y */
        for (long i = lo; i < hi; i++)
            o[i] = b[i] > 0.0f ? a[i] : 0.0f;
        break;
    case EW_LRELU:
        for (long i = lo; i < hi; i++)
            o[i] = a[i] > 0.0f ? a[i] : s * a[i];
        break;
    case EW_LRELU_B:
        for (long i = lo; i < hi; i++)
            o[i] = b[i] > 0.0f ? a[i] : s * a[i];
        break;
    case EW_TANH:
        for (long i = lo; i < hi; i++) {
            /* tanh|x| = (1 - e) / (1 + e), e = exp(-2|x|): no overflow */
            float e = exp_approx(-2.0f * fabsf(a[i]));
            float t = (1.0f - e) / (1.0f + e);
            o[i] = a[i] < 0.0f ? -t : t;
        }
        break;
    case EW_TANH_B:
        for (long i = lo; i < hi; i++)
            o[i] = a[i] * (1.0f - b[i] * b[i]);
        break;
    case EW_SIG:
        for (long i = lo; i < hi; i++)
            o[i] = 1.0f / (1.0f + exp_approx(-a[i]));
        break;
    case EW_SIG_B:
        for (long i = lo; i < hi; i++)
            o[i] = a[i] * b[i] * (1.0f - b[i]);
        break;
    case EW_ADD: /* o += a */
        for (long i = lo; i < hi; i++)
            o[i] += a[i];
        break;
    case EW_ADD2: /* o = a + b */
        for (long i = lo; i < hi; i++)
            o[i] = a[i] + b[i];
        break;
    case EW_ZERO:
        memset(o + lo, 0, sizeof(float) * (hi - lo));
        break;
    }
}

static void ew_part(void *arg, int tid, int nt)
{
    ew_job *j = arg;
    /* split on 16-float boundaries so threads never share a cache line */
    long blocks = (j->n + 15) / 16, lo, hi;
    dg_part(blocks, tid, nt, &lo, &hi);
    lo *= 16;
    hi *= 16;
    if (hi > j->n)
        hi = j->n;
    if (lo < hi)
        ew_range(j, lo, hi);
}

static void ew_run(dg_ctx *ctx, ew_job *j)
{
    if (j->n < PAR_MIN || !ctx)
        ew_range(j, 0, j->n);
    else
        dg_ctx_run(ctx, 0, ew_part, j);
}

void dg_vec_add(dg_ctx *ctx, float *y, const float *x, long n)
{
    ew_job j = {EW_ADD, y, x, NULL, n, 0};
    ew_run(ctx, &j);
}

double dg_sum(const float *x, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i += 256) { /* blocks of 256: 16 lanes, then the tail */
        const long e = n - i < 256 ? n : i + 256;
        float lane[16] = {0};
        long j = i;
        for (; j + 16 <= e; j += 16)
            for (int l = 0; l < 16; l++)
                lane[l] += x[j + l];
        float a = 0.0f;
        for (int l = 0; l < 16; l++)
            a += lane[l];
        for (; j < e; j++)
            a += x[j];
        s += a;
    }
    return s;
}

void dg_vec_zero(dg_ctx *ctx, float *x, long n)
{
    ew_job j = {EW_ZERO, x, NULL, NULL, n, 0};
    ew_run(ctx, &j);
}

void dg_add_forward(dg_ctx *ctx, float *out, const float *a, const float *b, long n)
{
    ew_job j = {EW_ADD2, out, a, b, n, 0};
    ew_run(ctx, &j);
}

void dg_relu_forward(dg_ctx *ctx, float *out, const float *in, long n)
{
    ew_job j = {EW_RELU, out, in, NULL, n, 0};
    ew_run(ctx, &j);
}

void dg_relu_backward(dg_ctx *ctx, float *din, const float *dout, const float *y, long n)
{
    ew_job j = {EW_RELU_B, din, dout, y, n, 0};
    ew_run(ctx, &j);
}

void dg_lrelu_forward(dg_ctx *ctx, float *out, const float *in, long n, float slope)
{
    ew_job j = {EW_LRELU, out, in, NULL, n, slope};
    ew_run(ctx, &j);
}

void dg_lrelu_backward(dg_ctx *ctx, float *din, const float *dout, const float *y, long n,
                       float slope)
{
    /* y > 0 exactly when x > 0 for a positive slope */
    ew_job j = {EW_LRELU_B, din, dout, y, n, slope};
    ew_run(ctx, &j);
}

void dg_tanh_forward(dg_ctx *ctx, float *out, const float *in, long n)
{
    ew_job j = {EW_TANH, out, in, NULL, n, 0};
    ew_run(ctx, &j);
}

void dg_tanh_backward(dg_ctx *ctx, float *din, const float *dout, const float *y, long n)
{
    ew_job j = {EW_TANH_B, din, dout, y, n, 0};
    ew_run(ctx, &j);
}

void dg_sigmoid_forward(dg_ctx *ctx, float *out, const float *in, long n)
{
    ew_job j = {EW_SIG, out, in, NULL, n, 0};
    ew_run(ctx, &j);
}

void dg_sigmoid_backward(dg_ctx *ctx, float *din, const float *dout, const float *y, long n)
{
    ew_job j = {EW_SIG_B, din, dout, y, n, 0};
    ew_run(ctx, &j);
}

/* ---- dense ---------------------------------------------------------------- */

void dg_dense_forward(dg_ctx *ctx, float *out, const float *in, const float *w, const float *b,
                      int B, int IN, int OUT)
{
    dg_gemm_par(ctx, false, true, B, OUT, IN, 1.0f, in, IN, w, IN, 0.0f, out, OUT);
    if (b)
        for (int i = 0; i < B; i++)
            for (int o = 0; o < OUT; o++)
                out[(long)i * OUT + o] += b[o];
}

void dg_dense_backward(dg_ctx *ctx, float *din, float *dw, float *db, const float *dout,
                       const float *in, const float *w, int B, int IN, int OUT)
{
    if (dw) /* dw[OUT, IN] += dout^T[OUT, B] in[B, IN] */
        dg_gemm_par(ctx, true, false, OUT, IN, B, 1.0f, dout, OUT, in, IN, 1.0f, dw, IN);
    if (db)
        for (int i = 0; i < B; i++)
            for (int o = 0; o < OUT; o++)
                db[o] += dout[(long)i * OUT + o];
    if (din) /* din[B, IN] = dout[B, OUT] w[OUT, IN] */
        dg_gemm_par(ctx, false, false, B, IN, OUT, 1.0f, dout, OUT, w, IN, 0.0f, din, IN);
}

/* ---- pooling -------------------------------------------------------------- */

typedef struct {
    float *out, *din;
    int32_t *argmax;
    const int32_t *cargmax;
    const float *in, *dout;
    int B, C, H, W, k, s, p, OH, OW;
} pool_job;

/* The common 2x2 / stride 2 / no padding case, branch-free so it vectorizes;
 * ties go to the first element in window order, like the general path. */
static void maxpool2_plane(const float *x, float *y, int32_t *am, int H, int W, int OH, int OW)
{
    (void)H;
    for (int oh = 0; oh < OH; oh++) {
        const float *r0 = x + (long)(2 * oh) * W, *r1 = r0 + W;
        float *yo = y + (long)oh * OW;
        int32_t *ao = am + (long)oh * OW;
        const int32_t base = 2 * oh * W;
        for (int ow = 0; ow < OW; ow++) {
            float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
            int32_t ia = base + 2 * ow;
            float m1 = b > a ? b : a;
            int32_t i1 = b > a ? ia + 1 : ia;
            float m2 = d > c ? d : c;
            int32_t i2 = d > c ? ia + W + 1 : ia + W;
            yo[ow] = m2 > m1 ? m2 : m1;
            ao[ow] = m2 > m1 ? i2 : i1;
        }
    }
}

static void maxpool_fwd_part(void *arg, int tid, int nt)
{
    pool_job *j = arg;
    long lo, hi;
    dg_part((long)j->B * j->C, tid, nt, &lo, &hi);
    const long ip = (long)j->H * j->W, op = (long)j->OH * j->OW;
    if (j->k == 2 && j->s == 2 && j->p == 0) {
        for (long q = lo; q < hi; q++)
            maxpool2_plane(j->in + q * ip, j->out + q * op, j->argmax + q * op, j->H, j->W, j->OH,
                           j->OW);
        return;
    }
    for (long q = lo; q < hi; q++) {
        const float *x = j->in + q * ip;
        float *y = j->out + q * op;
        int32_t *am = j->argmax + q * op;
        for (int oh = 0; oh < j->OH; oh++)
            for (int ow = 0; ow < j->OW; ow++) {
                float best = -INFINITY;
                int32_t bi = -1;
                for (int kh = 0; kh < j->k; kh++) {
                    int ih = oh * j->s - j->p + kh;
                    if (ih < 0 || ih >= j->H)
                        continue;
                    for (int kw = 0; kw < j->k; kw++) {
                        int iw = ow * j->s - j->p + kw;
                        if (iw < 0 || iw >= j->W)
                            continue;
                        float v = x[ih * j->W + iw];
                        if (v > best || bi < 0) {
                            best = v;
                            bi = ih * j->W + iw;
                        }
                    }
                }
                y[oh * j->OW + ow] = bi < 0 ? 0.0f : best;
                am[oh * j->OW + ow] = bi;
            }
    }
}

void dg_maxpool_forward(dg_ctx *ctx, float *out, int32_t *argmax, const float *in, int B, int C,
                        int H, int W, int k, int s, int p)
{
    pool_job j = {.out = out, .argmax = argmax, .in = in, .B = B, .C = C, .H = H, .W = W,
                  .k = k, .s = s, .p = p};
    j.OH = (H + 2 * p - k) / s + 1;
    j.OW = (W + 2 * p - k) / s + 1;
    dg_ctx_run(ctx, (long)B * C * H * W < PAR_MIN ? 1 : 0, maxpool_fwd_part, &j);
}

static void maxpool_bwd_part(void *arg, int tid, int nt)
{
    pool_job *j = arg;
    long lo, hi;
    dg_part((long)j->B * j->C, tid, nt, &lo, &hi);
    const long ip = (long)j->H * j->W, op = (long)j->OH * j->OW;
    for (long q = lo; q < hi; q++) {
        float *dx = j->din + q * ip;
        const float *dy = j->dout + q * op;
        const int32_t *am = j->cargmax + q * op;
        memset(dx, 0, sizeof(float) * ip);
        for (long i = 0; i < op; i++)
            if (am[i] >= 0)
                dx[am[i]] += dy[i];
    }
}

void dg_maxpool_backward(dg_ctx *ctx, float *din, const float *dout, const int32_t *argmax,
                         int B, int C, int H, int W, int k, int s, int p)
{
    pool_job j = {.din = din, .cargmax = argmax, .dout = dout, .B = B, .C = C, .H = H, .W = W,
                  .k = k, .s = s, .p = p};
    j.OH = (H + 2 * p - k) / s + 1;
    j.OW = (W + 2 * p - k) / s + 1;
    dg_ctx_run(ctx, (long)B * C * H * W < PAR_MIN ? 1 : 0, maxpool_bwd_part, &j);
}

/* 2x2 windows, stride 2, no padding: the same sums in the same order as
 * the general loop, branch-free so that they vectorize. */
static void avgpool2_plane(const float *x, float *y, int W, int OH, int OW)
{
    for (int oh = 0; oh < OH; oh++) {
        const float *r0 = x + (long)(2 * oh) * W, *r1 = r0 + W;
        float *yo = y + (long)oh * OW;
        for (int ow = 0; ow < OW; ow++)
            yo[ow] = (((r0[2 * ow] + r0[2 * ow + 1]) + r1[2 * ow]) + r1[2 * ow + 1]) * 0.25f;
    }
}

static void avgpool2_plane_t(float *dx, const float *dy, int H, int W, int OH, int OW)
{
    if (H != 2 * OH || W != 2 * OW) /* odd sizes leave the last row or column out */
        memset(dx, 0, sizeof(float) * H * W);
    for (int oh = 0; oh < OH; oh++) {
        float *r0 = dx + (long)(2 * oh) * W, *r1 = r0 + W;
        const float *g = dy + (long)oh * OW;
        for (int ow = 0; ow < OW; ow++) {
            float v = g[ow] * 0.25f;
            r0[2 * ow] = r0[2 * ow + 1] = r1[2 * ow] = r1[2 * ow + 1] = v;
        }
    }
}

static void avgpool_fwd_part(void *arg, int tid, int nt)
{
    pool_job *j = arg;
    long lo, hi;
    dg_part((long)j->B * j->C, tid, nt, &lo, &hi);
    const long ip = (long)j->H * j->W, op = (long)j->OH * j->OW;
    const float inv = 1.0f / (j->k * j->k);
    if (j->k == 2 && j->s == 2 && j->p == 0) {
        for (long q = lo; q < hi; q++)
            avgpool2_plane(j->in + q * ip, j->out + q * op, j->W, j->OH, j->OW);
        return;
    }
    for (long q = lo; q < hi; q++) {
        const float *x = j->in + q * ip;
        float *y = j->out + q * op;
        for (int oh = 0; oh < j->OH; oh++)
            for (int ow = 0; ow < j->OW; ow++) {
                float acc = 0.0f;
                for (int kh = 0; kh < j->k; kh++) {
                    int ih = oh * j->s - j->p + kh;
                    if (ih < 0 || ih >= j->H)
                        continue;
                    for (int kw = 0; kw < j->k; kw++) {
                        int iw = ow * j->s - j->p + kw;
                        if (iw >= 0 && iw < j->W)
                            acc += x[ih * j->W + iw];
                    }
                }
                y[oh * j->OW + ow] = acc * inv;
            }
    }
}

void dg_avgpool_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int H, int W,
                        int k, int s, int p)
{
    pool_job j = {.out = out, .in = in, .B = B, .C = C, .H = H, .W = W, .k = k, .s = s, .p = p};
    j.OH = (H + 2 * p - k) / s + 1;
    j.OW = (W + 2 * p - k) / s + 1;
    dg_ctx_run(ctx, (long)B * C * H * W < PAR_MIN ? 1 : 0, avgpool_fwd_part, &j);
}

static void avgpool_bwd_part(void *arg, int tid, int nt)
{
    pool_job *j = arg;
    long lo, hi;
    dg_part((long)j->B * j->C, tid, nt, &lo, &hi);
    const long ip = (long)j->H * j->W, op = (long)j->OH * j->OW;
    const float inv = 1.0f / (j->k * j->k);
    if (j->k == 2 && j->s == 2 && j->p == 0) {
        for (long q = lo; q < hi; q++)
            avgpool2_plane_t(j->din + q * ip, j->dout + q * op, j->H, j->W, j->OH, j->OW);
        return;
    }
    for (long q = lo; q < hi; q++) {
        float *dx = j->din + q * ip;
        const float *dy = j->dout + q * op;
        memset(dx, 0, sizeof(float) * ip);
        for (int oh = 0; oh < j->OH; oh++)
            for (int ow = 0; ow < j->OW; ow++) {
                float g = dy[oh * j->OW + ow] * inv;
                for (int kh = 0; kh < j->k; kh++) {
                    int ih = oh * j->s - j->p + kh;
                    if (ih < 0 || ih >= j->H)
                        continue;
                    for (int kw = 0; kw < j->k; kw++) {
                        int iw = ow * j->s - j->p + kw;
                        if (iw >= 0 && iw < j->W)
                            dx[ih * j->W + iw] += g;
                    }
                }
            }
    }
}

void dg_avgpool_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int H, int W,
                         int k, int s, int p)
{
    pool_job j = {.din = din, .dout = dout, .B = B, .C = C, .H = H, .W = W, .k = k, .s = s,
                  .p = p};
    j.OH = (H + 2 * p - k) / s + 1;
    j.OW = (W + 2 * p - k) / s + 1;
    dg_ctx_run(ctx, (long)B * C * H * W < PAR_MIN ? 1 : 0, avgpool_bwd_part, &j);
}

void dg_gap_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int HW)
{
    (void)ctx;
    for (long q = 0; q < (long)B * C; q++) {
        const float *x = in + q * HW;
        float acc = 0.0f;
        for (int i = 0; i < HW; i++)
            acc += x[i];
        out[q] = acc / HW;
    }
}

void dg_gap_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int HW)
{
    (void)ctx;
    for (long q = 0; q < (long)B * C; q++) {
        float g = dout[q] / HW;
        float *dx = din + q * HW;
        for (int i = 0; i < HW; i++)
            dx[i] = g;
    }
}

typedef struct {
    float *dst;
    const float *src;
    long planes;
    int H, W, f;
} upsample_args;

static void upsample_fwd_part(void *arg, int tid, int nt)
{
    const upsample_args *a = arg;
    const int H = a->H, W = a->W, f = a->f, OW = W * f;
    long lo, hi;
    dg_part(a->planes, tid, nt, &lo, &hi);
    for (long q = lo; q < hi; q++) {
        const float *x = a->src + q * H * W;
        float *y = a->dst + q * (long)H * f * OW;
        for (int h = 0; h < H; h++) {
            float *row = y + (long)h * f * OW;
            for (int w = 0; w < W; w++)
                for (int j = 0; j < f; j++)
                    row[w * f + j] = x[h * W + w];
            for (int i = 1; i < f; i++)
                memcpy(row + (long)i * OW, row, sizeof(float) * OW);
        }
    }
}

static void upsample_bwd_part(void *arg, int tid, int nt)
{
    const upsample_args *a = arg;
    const int H = a->H, W = a->W, f = a->f, OW = W * f;
    long lo, hi;
    dg_part(a->planes, tid, nt, &lo, &hi);
    for (long q = lo; q < hi; q++) {
        const float *g = a->src + q * (long)H * f * OW;
        float *dx = a->dst + q * H * W;
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                float acc = 0.0f;
                for (int i = 0; i < f; i++)
                    for (int j = 0; j < f; j++)
                        acc += g[((long)h * f + i) * OW + w * f + j];
                dx[h * W + w] = acc;
            }
    }
}

void dg_upsample_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int H, int W,
                         int f)
{
    upsample_args a = {out, in, (long)B * C, H, W, f};
    dg_ctx_run(ctx, 0, upsample_fwd_part, &a);
}

void dg_upsample_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int H, int W,
                          int f)
{
    upsample_args a = {din, dout, (long)B * C, H, W, f};
    dg_ctx_run(ctx, 0, upsample_bwd_part, &a);
}

/* ---- dropout, embedding, concat, projection ---------------------------------- */

void dg_dropout_forward(float *out, float *mask, const float *in, long n, float p, dg_rng *rng)
{
    float keep = 1.0f / (1.0f - p);
    for (long i = 0; i < n; i++) {
        mask[i] = dg_rng_uniform(rng) < p ? 0.0f : keep;
        out[i] = in[i] * mask[i];
    }
}

void dg_dropout_backward(float *din, const float *dout, const float *mask, long n)
{
    for (long i = 0; i < n; i++)
        din[i] = dout[i] * mask[i];
}

void dg_embed_forward(float *out, const float *table, const int *labels, int B, int D)
{
    for (int b = 0; b < B; b++)
        memcpy(out + (long)b * D, table + (long)labels[b] * D, sizeof(float) * D);
}

void dg_embed_backward(float *dtable, const float *dout, const int *labels, int B, int D)
{
    for (int b = 0; b < B; b++) {
        float *t = dtable + (long)labels[b] * D;
        const float *g = dout + (long)b * D;
        for (int d = 0; d < D; d++)
            t[d] += g[d];
    }
}

void dg_concat_forward(float *out, const float *a, const float *b, int B, int C1, int C2, int HW)
{
    const long s1 = (long)C1 * HW, s2 = (long)C2 * HW;
    for (int i = 0; i < B; i++) {
        memcpy(out + i * (s1 + s2), a + i * s1, sizeof(float) * s1);
        memcpy(out + i * (s1 + s2) + s1, b + i * s2, sizeof(float) * s2);
    }
}

void dg_concat_backward(float *da, float *db, const float *dout, int B, int C1, int C2, int HW)
{
    const long s1 = (long)C1 * HW, s2 = (long)C2 * HW;
    for (int i = 0; i < B; i++) {
        if (da)
            memcpy(da + i * s1, dout + i * (s1 + s2), sizeof(float) * s1);
        if (db)
            memcpy(db + i * s2, dout + i * (s1 + s2) + s1, sizeof(float) * s2);
    }
}

void dg_project_forward(float *out, const float *h, const float *table, const int *labels, int B,
                        int D)
{
    for (int b = 0; b < B; b++) {
        const float *e = table + (long)labels[b] * D, *x = h + (long)b * D;
        float acc = 0.0f;
        for (int d = 0; d < D; d++)
            acc += e[d] * x[d];
        out[b] = acc;
    }
}

void dg_project_backward(float *dh, float *dtable, const float *dout, const float *h,
                         const float *table, const int *labels, int B, int D)
{
    for (int b = 0; b < B; b++) {
        const float *e = table + (long)labels[b] * D, *x = h + (long)b * D;
        float g = dout[b];
        if (dh)
            for (int d = 0; d < D; d++)
                dh[(long)b * D + d] = g * e[d];
        if (dtable) {
            float *de = dtable + (long)labels[b] * D;
            for (int d = 0; d < D; d++)
                de[d] += g * x[d];
        }
    }
}

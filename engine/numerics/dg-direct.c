/* dg-direct.c: direct stride-1 convolutions for few channels on one side
 * (see dg-direct.h).  Every output row is accumulated from the input rows
 * under the kernel, a vector of the row at a time, in a fixed order (bias,
 * then input channel, kernel row, kernel column), so the result does not
 * depend on the thread count. */
#include "dg-direct.h"

#include <stdlib.h>
#include <string.h>

bool dg_direct_suits(const dg_conv_geom *g, dg_direct_pass pass)
{
    if (g->SH != 1 || g->SW != 1 || g->KH != g->KW || g->KH % 2 == 0 || g->KH > 7 ||
        g->PH != g->PW || g->PH > g->KH - 1 || g->OH < 1 || g->OW < 1 || getenv("DG_NO_DIRECT"))
        return false;
    /* measured (bench-conv, bench-gan --profile): better than Winograd and
     * im2col for 24 -> 3 channels at 64x64 in every pass; not for 3 -> 32 */
    (void)pass;
    return g->OC <= DG_DIRECT_MAX;
}

/* A stride-1 convolution [Ci, H, W] -> [Co, OH, OW] with padding pad;
 * weight (o, i, ky, kx) at w[((o * Ci + i) * k + ky) * k + kx], or with
 * flip, the input-gradient filters of w: w[((i * Co + o) * k + k-1-ky) * k + k-1-kx]. */
typedef struct {
    int B, Ci, H, W, Co, OH, OW, k, pad;
    const float *in, *w, *bias;
    float *out;
    bool flip;
    /* weight gradient */
    const float *dout;
    float *dw;
} dir_job;

static inline float weight_at(const dir_job *j, int o, int i, int ky, int kx)
{
    const int k = j->k;
    if (j->flip)
        return j->w[(((long)i * j->Co + o) * k + (k - 1 - ky)) * k + (k - 1 - kx)];
    return j->w[(((long)o * j->Ci + i) * k + ky) * k + kx];
}

#define VL 16 /* outputs accumulated in registers at a time */
/* GCC/Clang vector of VL floats: one AVX-512 register, two AVX ones */
typedef float vfloat __attribute__((vector_size(VL * sizeof(float))));

static inline vfloat load_vf(const float *p)
{
    vfloat v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Image b's input channels with a zero border of pad on every side and
 * room to read 2 VL past the right edge: [Ci][H + 2 pad][PW]. */
static float *padded_image(const dir_job *j, int tid, dg_ctx *ctx, long b, int *PWp)
{
    const int PH = j->H + 2 * j->pad, PW = j->OW + j->k - 1 + 2 * VL;
    float *p = dg_ctx_scratch(ctx, tid, 0, (size_t)j->Ci * PH * PW);
    memset(p, 0, sizeof(float) * j->Ci * PH * PW);
    for (int c = 0; c < j->Ci; c++)
        for (int y = 0; y < j->H; y++)
            memcpy(p + ((long)c * PH + y + j->pad) * PW + j->pad,
                   j->in + (((long)b * j->Ci + c) * j->H + y) * j->W, sizeof(float) * j->W);
    *PWp = PW;
    return p;
}

#define OG 4 /* output channels at a time: 2 x OG independent accumulators */

/* Output channels [o0, o0 + OG) of image b (channels past Co have zero
 * weights and are not stored), from the padded image xp. */
static void fwd_group(const dir_job *j, const float *xp, int PW, const float *wg, long b, int o0)
{
    const int k = j->k, PH = j->H + 2 * j->pad;
    const int ng = j->Co - o0 < OG ? j->Co - o0 : OG;
    float bias[OG] = {0};
    for (int g = 0; g < ng; g++)
        bias[g] = j->bias ? j->bias[o0 + g] : 0.0f;
    for (int oh = 0; oh < j->OH; oh++)
        for (int ox = 0; ox < j->OW; ox += 2 * VL) {
            vfloat acc[OG][2];
            for (int g = 0; g < OG; g++)
                acc[g][0] = acc[g][1] = (vfloat){0} + bias[g];
            for (int c = 0; c < j->Ci; c++)
                for (int ky = 0; ky < k; ky++) {
                    const float *xr = xp + ((long)c * PH + oh + ky) * PW + ox;
                    const float *wr = wg + ((long)c * k + ky) * k * OG;
                    for (int kx = 0; kx < k; kx++) {
                        vfloat x0 = load_vf(xr + kx), x1 = load_vf(xr + kx + VL);
                        for (int g = 0; g < OG; g++) {
                            acc[g][0] += wr[kx * OG + g] * x0;
                            acc[g][1] += wr[kx * OG + g] * x1;
                        }
                    }
                }
            for (int g = 0; g < ng; g++) {
                float *yr = j->out + (((long)b * j->Co + o0 + g) * j->OH + oh) * j->OW + ox;
                int n = j->OW - ox < 2 * VL ? j->OW - ox : 2 * VL;
                float tmp[2 * VL];
                memcpy(tmp, acc[g], sizeof tmp);
                memcpy(yr, tmp, sizeof(float) * n);
            }
        }
}

typedef struct {
    const dir_job *j;
    dg_ctx *ctx;
} fwd_arg;

static void fwd_part(void *arg, int tid, int nt)
{
    const fwd_arg *fa = arg;
    const dir_job *j = fa->j;
    const int k = j->k, kk = k * k;
    long lo, hi;
    dg_part(j->B, tid, nt, &lo, &hi);
    /* weights by group: wg[c][ky][kx][g] */
    const int groups = (j->Co + OG - 1) / OG;
    float *wg = dg_ctx_scratch(fa->ctx, tid, 1, (size_t)groups * j->Ci * kk * OG);
    for (int gi = 0; gi < groups; gi++)
        for (int c = 0; c < j->Ci; c++)
            for (int t = 0; t < kk; t++)
                for (int g = 0; g < OG; g++) {
                    int o = gi * OG + g;
                    wg[(((long)gi * j->Ci + c) * kk + t) * OG + g] =
                        o < j->Co ? weight_at(j, o, c, t / k, t % k) : 0.0f;
                }
    for (long b = lo; b < hi; b++) {
        int PW;
        const float *xp = padded_image(j, tid, fa->ctx, b, &PW);
        for (int gi = 0; gi < groups; gi++)
            fwd_group(j, xp, PW, wg + (long)gi * j->Ci * kk * OG, b, gi * OG);
    }
}

/* part[ky * k + kx] = VL lanes of sum over the plane of dy[oh][ox] *
 * x[oh + ky][ox + kx] (dy rows of OWr, a multiple of VL; x padded, rows of PW). */
static inline __attribute__((always_inline)) void wgrad_plane(vfloat *part, const float *dy,
                                                               int OWr, int OH, const float *x,
                                                               int PW, const int k)
{
    for (int t = 0; t < k * k; t++)
        part[t] = (vfloat){0};
    for (int oh = 0; oh < OH; oh++)
        for (int ox = 0; ox < OWr; ox += VL) {
            vfloat d = load_vf(dy + (long)oh * OWr + ox);
            for (int ky = 0; ky < k; ky++) {
                const float *xr = x + (long)(oh + ky) * PW + ox;
                for (int kx = 0; kx < k; kx++)
                    part[ky * k + kx] += d * load_vf(xr + kx);
            }
        }
}

/* dw[o] for the output channels of this thread: dot products of the
 * output-gradient rows with the shifted input rows in VL float lanes per
 * image, summed over the images in double. */
static void wgrad_part(void *arg, int tid, int nt)
{
    const fwd_arg *fa = arg;
    const dir_job *j = fa->j;
    const int k = j->k, kk = k * k, PH = j->H + 2 * j->pad;
    long lo, hi;
    dg_part(j->Co, tid, nt, &lo, &hi);
    if (lo >= hi)
        return;
    double *acc = (double *)dg_ctx_scratch(fa->ctx, tid, 2, (size_t)2 * (hi - lo) * j->Ci * kk);
    memset(acc, 0, sizeof(double) * (hi - lo) * j->Ci * kk);
    /* the output gradient plane with rows rounded up to VL (zeros past OW) */
    const int OWr = (j->OW + VL - 1) / VL * VL;
    float *dyr = dg_ctx_scratch(fa->ctx, tid, 1, (size_t)OWr * j->OH);
    memset(dyr, 0, sizeof(float) * OWr * j->OH);
    for (long b = 0; b < j->B; b++) {
        int PW;
        const float *xp = padded_image(j, tid, fa->ctx, b, &PW);
        for (long o = lo; o < hi; o++) {
            const float *dy = j->dout + ((long)b * j->Co + o) * j->OH * j->OW;
            for (int oh = 0; oh < j->OH; oh++)
                memcpy(dyr + (long)oh * OWr, dy + (long)oh * j->OW, sizeof(float) * j->OW);
            for (int c = 0; c < j->Ci; c++) {
                vfloat part[49];
                const float *xc = xp + (long)c * PH * PW;
                if (k == 3) /* a constant kernel size keeps the sums in registers */
                    wgrad_plane(part, dyr, OWr, j->OH, xc, PW, 3);
                else
                    wgrad_plane(part, dyr, OWr, j->OH, xc, PW, k);
                double *a = acc + ((o - lo) * j->Ci + c) * kk;
                for (int t = 0; t < kk; t++) {
                    float sum = 0.0f;
                    for (int l = 0; l < VL; l++)
                        sum += part[t][l];
                    a[t] += sum;
                }
            }
        }
    }
    for (long o = lo; o < hi; o++)
        for (long i = 0; i < (long)j->Ci * kk; i++)
            j->dw[o * j->Ci * kk + i] += (float)acc[(o - lo) * j->Ci * kk + i];
}

static int threads_for(dg_ctx *ctx, long units)
{
    int T = dg_ctx_threads(ctx);
    return units < T ? (int)(units > 0 ? units : 1) : T;
}

void dg_direct_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                       const float *w, const float *b)
{
    dir_job j = {g->B, g->C, g->H, g->W, g->OC, g->OH, g->OW, g->KH, g->PH, in, w, b, out, false,
                 NULL, NULL};
    fwd_arg fa = {&j, ctx};
    dg_ctx_run(ctx, threads_for(ctx, g->B), fwd_part, &fa);
}

void dg_direct_backward_data(dg_ctx *ctx, const dg_conv_geom *g, float *din, const float *dout,
                             const float *w)
{
    /* the convolution of dout by the flipped, transposed filters, padding k-1-pad */
    dir_job j = {g->B, g->OC, g->OH, g->OW, g->C, g->H, g->W, g->KH, g->KH - 1 - g->PH, dout, w,
                 NULL, din, true, NULL, NULL};
    fwd_arg fa = {&j, ctx};
    dg_ctx_run(ctx, threads_for(ctx, g->B), fwd_part, &fa);
}

void dg_direct_backward_weight(dg_ctx *ctx, const dg_conv_geom *g, float *dw, const float *dout,
                               const float *in)
{
    dir_job j = {g->B, g->C, g->H, g->W, g->OC, g->OH, g->OW, g->KH, g->PH, in, NULL, NULL, NULL,
                 false, dout, dw};
    fwd_arg fa = {&j, ctx};
    dg_ctx_run(ctx, threads_for(ctx, g->OC), wgrad_part, &fa);
}

/* dg-layers-gen.c: the layers of the residual generator besides
 * convolutions and batch norm (declared in dg-layers.h): reflection padding,
 * the centre-distance coordinate channel (alone, or written padded in one
 * pass) and noise injection. */
#include "dg-layers.h"

#include <math.h>
#include <string.h>

/* ---- reflection padding ----------------------------------------------------- */

typedef struct {
    float *out;
    const float *in;
    long planes;
    int H, W, p;
    /* with a coordinate plane (dg_coords_pad_*): C input channels per image,
     * the padded plane after them in the output; planes counts the output's
     * (forward) or the input's (backward).  C 0: none */
    int C;
    const float *plane;
} pad_args;

/* Plane q of a pad pass: its input and output planes (NULL input: the
 * coordinate plane's copy). */
static void pad_planes(const pad_args *a, long q, bool fwd, long *in_q, long *out_q)
{
    if (!a->C) {
        *in_q = *out_q = q;
        return;
    }
    const long b = fwd ? q / (a->C + 1) : q / a->C, c = fwd ? q % (a->C + 1) : q % a->C;
    *in_q = c < a->C ? b * a->C + c : -1;
    *out_q = b * (a->C + 1) + c;
}

/* the source index of padded coordinate i in [0, n + 2p) */
static inline int reflect(int i, int n, int p)
{
    i -= p;
    if (i < 0)
        i = -i;
    if (i >= n)
        i = 2 * (n - 1) - i;
    return i;
}

static void pad_fwd_part(void *arg, int t, int nt)
{
    pad_args *a = arg;
    long lo, hi;
    dg_part(a->planes, t, nt, &lo, &hi);
    const int H = a->H, W = a->W, p = a->p, OH = H + 2 * p, OW = W + 2 * p;
    for (long q = lo; q < hi; q++) {
        long iq, oq;
        pad_planes(a, q, true, &iq, &oq);
        float *y = a->out + oq * OH * OW;
        if (iq < 0) {
            memcpy(y, a->plane, sizeof(float) * OH * OW);
            continue;
        }
        const float *x = a->in + iq * H * W;
        for (int i = 0; i < OH; i++) {
            const float *row = x + (long)reflect(i, H, p) * W;
            for (int j = 0; j < OW; j++)
                y[(long)i * OW + j] = row[reflect(j, W, p)];
        }
    }
}

static void pad_bwd_part(void *arg, int t, int nt)
{
    pad_args *a = arg;
    long lo, hi;
    dg_part(a->planes, t, nt, &lo, &hi);
    const int H = a->H, W = a->W, p = a->p, OH = H + 2 * p, OW = W + 2 * p;
    for (long q = lo; q < hi; q++) {
        long iq, oq;
        pad_planes(a, q, false, &iq, &oq);
        float *dx = a->out + iq * H * W;
        const float *g = a->in + oq * OH * OW;
        memset(dx, 0, sizeof(float) * H * W);
        for (int i = 0; i < OH; i++) {
            float *row = dx + (long)reflect(i, H, p) * W;
            for (int j = 0; j < OW; j++)
                row[reflect(j, W, p)] += g[(long)i * OW + j];
        }
    }
}

void dg_pad_reflect_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int H, int W,
                            int p)
{
    pad_args a = {out, in, (long)B * C, H, W, p, 0, NULL};
    dg_ctx_run(ctx, 0, pad_fwd_part, &a);
}

void dg_pad_reflect_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int H,
                             int W, int p)
{
    pad_args a = {din, dout, (long)B * C, H, W, p, 0, NULL};
    dg_ctx_run(ctx, 0, pad_bwd_part, &a);
}

/* ---- coordinates -------------------------------------------------------------- */

void dg_coords_forward(float *out, const float *in, int B, int C, int H, int W)
{
    const long plane = (long)H * W, s1 = (long)C * plane;
    for (int b = 0; b < B; b++) {
        float *o = out + b * (s1 + plane);
        if (s1)
            memcpy(o, in + b * s1, sizeof(float) * s1);
        for (int i = 0; i < H; i++) {
            float v = (2.0f * i + 1.0f) / H - 1.0f;
            for (int j = 0; j < W; j++) {
                float u = (2.0f * j + 1.0f) / W - 1.0f;
                o[s1 + (long)i * W + j] = sqrtf((u * u + v * v) * 0.5f);
            }
        }
    }
}

void dg_coords_backward(float *din, const float *dout, int B, int C, int H, int W)
{
    dg_concat_backward(din, NULL, dout, B, C, 1, H * W);
}

/* The coordinate channel and reflection padding in one pass, as the
 * generator uses them (dg_net_finalize fuses them): out [B, C + 1, H + 2p,
 * W + 2p] is the padded input with the padded centre-distance plane after it,
 * so the unpadded concatenation is never stored. */
void dg_coords_pad_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int H, int W,
                           int p)
{
    const long plane = (long)H * W, oplane = (long)(H + 2 * p) * (W + 2 * p);
    float *d = dg_alloc(sizeof(float) * plane), *dp = dg_alloc(sizeof(float) * oplane);
    dg_coords_forward(d, NULL, 1, 0, H, W); /* the plane alone */
    pad_args one = {dp, d, 1, H, W, p, 0, NULL};
    pad_fwd_part(&one, 0, 1);
    pad_args a = {out, in, (long)B * (C + 1), H, W, p, C, dp};
    dg_ctx_run(ctx, 0, pad_fwd_part, &a);
    dg_free(d), dg_free(dp);
}

void dg_coords_pad_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int H,
                            int W, int p)
{
    pad_args a = {din, dout, (long)B * C, H, W, p, C, NULL};
    dg_ctx_run(ctx, 0, pad_bwd_part, &a);
}

/* ---- noise injection ---------------------------------------------------------- */

static uint64_t mix64(uint64_t x) /* splitmix64's finalizer */
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void dg_noise_forward(float *out, float *noise, const float *in, const float *scale,
                      const float *z, long zlen, int B, int C, int HW, uint64_t salt)
{
    for (int b = 0; b < B; b++) {
        uint64_t h = mix64(salt + 0x9e3779b97f4a7c15ULL);
        const float *zr = z + (long)b * zlen;
        for (long i = 0; i < zlen; i++) {
            uint32_t bits;
            memcpy(&bits, &zr[i], sizeof bits);
            h = mix64(h ^ bits);
        }
        float *nz = noise + (long)b * HW;
        for (int p = 0; p < HW; p += 2) { /* Box-Muller: two normals per draw */
            uint64_t r = mix64(h + (uint64_t)p * 0x9e3779b97f4a7c15ULL);
            double u1 = ((double)(r >> 40) + 0.5) / 16777216.0;
            double u2 = (double)(r & 0xffffff) / 16777216.0;
            double m = sqrt(-2.0 * log(u1));
            nz[p] = (float)(m * cos(6.283185307179586 * u2));
            if (p + 1 < HW)
                nz[p + 1] = (float)(m * sin(6.283185307179586 * u2));
        }
        for (int c = 0; c < C; c++) {
            const float *x = in + ((long)b * C + c) * HW;
            float *o = out + ((long)b * C + c) * HW;
            const float s = scale[c];
            for (int p = 0; p < HW; p++)
                o[p] = x[p] + s * nz[p];
        }
    }
}

void dg_noise_backward(float *din, float *dscale, const float *dout, const float *noise, int B,
                       int C, int HW)
{
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            const float *g = dout + ((long)b * C + c) * HW;
            if (dscale) {
                const float *nz = noise + (long)b * HW;
                double acc = 0.0;
                for (int p = 0; p < HW; p++)
                    acc += (double)g[p] * nz[p];
                dscale[c] += (float)acc;
            }
            if (din && din != dout)
                memcpy(din + ((long)b * C + c) * HW, g, sizeof(float) * HW);
        }
}

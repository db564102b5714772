#include "dg-resample.h"

#include <stdbool.h>
#include <string.h>

/* One plane [H, W] -> [2H, 2W]; rows are filtered horizontally into tmp
 * [H, 2W], then vertically. */
static void up_plane(float *out, const float *in, int H, int W, float *tmp)
{
    const int W2 = 2 * W;
    for (int y = 0; y < H; y++) {
        const float *r = in + (long)y * W;
        float *t = tmp + (long)y * W2;
        for (int x = 0; x < W; x++) {
            float l = r[x > 0 ? x - 1 : 0], c = r[x], rr = r[x < W - 1 ? x + 1 : W - 1];
            t[2 * x] = 0.75f * c + 0.25f * l;
            t[2 * x + 1] = 0.75f * c + 0.25f * rr;
        }
    }
    for (int y = 0; y < H; y++) {
        const float *u = tmp + (long)(y > 0 ? y - 1 : 0) * W2, *c = tmp + (long)y * W2,
                    *d = tmp + (long)(y < H - 1 ? y + 1 : H - 1) * W2;
        float *o0 = out + (long)(2 * y) * W2, *o1 = o0 + W2;
        for (int x = 0; x < W2; x++) {
            o0[x] = 0.75f * c[x] + 0.25f * u[x];
            o1[x] = 0.75f * c[x] + 0.25f * d[x];
        }
    }
}

/* The transpose: [2H, 2W] -> [H, W]. */
static void up_plane_t(float *din, const float *dout, int H, int W, float *tmp)
{
    const int W2 = 2 * W;
    memset(tmp, 0, sizeof(float) * (size_t)H * W2);
    for (int y = 0; y < H; y++) {
        const float *o0 = dout + (long)(2 * y) * W2, *o1 = o0 + W2;
        float *u = tmp + (long)(y > 0 ? y - 1 : 0) * W2, *c = tmp + (long)y * W2,
              *d = tmp + (long)(y < H - 1 ? y + 1 : H - 1) * W2;
        for (int x = 0; x < W2; x++) {
            c[x] += 0.75f * (o0[x] + o1[x]);
            u[x] += 0.25f * o0[x];
            d[x] += 0.25f * o1[x];
        }
    }
    memset(din, 0, sizeof(float) * (size_t)H * W);
    for (int y = 0; y < H; y++) {
        const float *t = tmp + (long)y * W2;
        float *r = din + (long)y * W;
        for (int x = 0; x < W; x++) {
            r[x] += 0.75f * (t[2 * x] + t[2 * x + 1]);
            r[x > 0 ? x - 1 : 0] += 0.25f * t[2 * x];
            r[x < W - 1 ? x + 1 : W - 1] += 0.25f * t[2 * x + 1];
        }
    }
}

typedef struct {
    dg_ctx *ctx;
    float *out;
    const float *in;
    long planes;
    int H, W;
    bool transpose;
} up_args;

static void up_part(void *arg, int tid, int nt)
{
    const up_args *a = arg;
    const long ip = (long)a->H * a->W, op = 4 * ip;
    long begin, end;
    dg_part(a->planes, tid, nt, &begin, &end);
    float *tmp = dg_ctx_scratch(a->ctx, tid, 0, (size_t)(2 * ip));
    for (long p = begin; p < end; p++) {
        if (a->transpose)
            up_plane_t(a->out + p * ip, a->in + p * op, a->H, a->W, tmp);
        else
            up_plane(a->out + p * op, a->in + p * ip, a->H, a->W, tmp);
    }
}

void dg_upbilinear_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int H, int W)
{
    up_args a = {ctx, out, in, (long)B * C, H, W, false};
    dg_ctx_run(ctx, 0, up_part, &a);
}

void dg_upbilinear_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int H,
                            int W)
{
    up_args a = {ctx, din, dout, (long)B * C, H, W, true};
    dg_ctx_run(ctx, 0, up_part, &a);
}

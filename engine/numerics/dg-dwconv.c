/* dg-dwconv.c: depthwise 2-D convolution (groups = C), direct and
 * vectorized along the rows.
 *
 * Each plane is copied with its zero border into s "phase" planes (phase f
 * holds the padded columns f, f + s, f + 2s, ...), so that for stride s the
 * inputs under kernel column kx of consecutive outputs are consecutive in
 * phase kx % s, from offset kx / s: every pass is then whole-row vector
 * arithmetic.  The input gradient is accumulated the same way into phase
 * planes and interleaved back.  Work is split over channels; every sum runs
 * in a fixed order, whatever the thread count. */
#include <stdint.h>
#include <string.h>

#include "dg-layers.h"

#define VL 16
typedef float vfloat __attribute__((vector_size(VL * sizeof(float))));

static inline vfloat load_vf(const float *p)
{
    vfloat v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store_vf(float *p, vfloat v)
{
    memcpy(p, &v, sizeof v);
}

/* Phase-plane geometry: rows PH = H + 2 pad; row length PL per phase, a
 * multiple of VL with room for the kernel's reach past the last output. */
typedef struct {
    int PH, PL, s, k;
} phase_geom;

static phase_geom phase_make(const dg_conv_geom *g)
{
    phase_geom p = {g->H + 2 * g->PH, 0, g->SW, g->KW};
    int need = g->OW + (g->KW - 1) / g->SW + 1, cols = (g->W + 2 * g->PW) / g->SW + 1;
    need = need > cols ? need : cols;
    p.PL = (need + 2 * VL - 1) / VL * VL;
    return p;
}

/* Plane x [H, W] -> phases [s][PH][PL] with a zero border of pad. */
static void to_phases(const dg_conv_geom *g, const phase_geom *p, const float *x, float *ph)
{
    memset(ph, 0, sizeof(float) * p->s * p->PH * p->PL);
    for (int y = 0; y < g->H; y++)
        for (int xx = 0; xx < g->W; xx++) {
            int c = xx + g->PW;
            ph[((long)(c % p->s) * p->PH + y + g->PH) * p->PL + c / p->s] = x[(long)y * g->W + xx];
        }
}

/* The adjoint: dx [H, W] = the phases' values inside the border. */
static void from_phases(const dg_conv_geom *g, const phase_geom *p, const float *ph, float *dx)
{
    for (int y = 0; y < g->H; y++)
        for (int xx = 0; xx < g->W; xx++) {
            int c = xx + g->PW;
            dx[(long)y * g->W + xx] = ph[((long)(c % p->s) * p->PH + y + g->PH) * p->PL + c / p->s];
        }
}

typedef struct {
    const dg_conv_geom *g;
    float *out, *din, *dw, *db;
    const float *in, *w, *b, *dout;
    dg_ctx *ctx;
} dw_job;

static void fwd_part(void *arg, int tid, int nt)
{
    const dw_job *j = arg;
    const dg_conv_geom *g = j->g;
    const phase_geom p = phase_make(g);
    const int k = g->KW, s = g->SW, OWr = (g->OW + VL - 1) / VL * VL;
    float *ph = dg_ctx_scratch(j->ctx, tid, 0, (size_t)s * p.PH * p.PL);
    float *row = dg_ctx_scratch(j->ctx, tid, 1, (size_t)OWr);
    long c0, c1;
    dg_part(g->C, tid, nt, &c0, &c1);
    for (long c = c0; c < c1; c++) {
        const float *wc = j->w + c * g->KH * k;
        const float bias = j->b ? j->b[c] : 0.0f;
        for (int b = 0; b < g->B; b++) {
            const long q = (long)b * g->C + c;
            to_phases(g, &p, j->in + q * g->H * g->W, ph);
            float *y = j->out + q * g->OH * g->OW;
            for (int oh = 0; oh < g->OH; oh++) {
                for (int ox = 0; ox < OWr; ox += VL) {
                    vfloat acc = (vfloat){0} + bias;
                    for (int ky = 0; ky < g->KH; ky++) {
                        const float *r = ph + (long)(oh * g->SH + ky) * p.PL + ox;
                        for (int kx = 0; kx < k; kx++)
                            acc += wc[ky * k + kx] *
                                   load_vf(r + (long)(kx % s) * p.PH * p.PL + kx / s);
                    }
                    store_vf(row + ox, acc);
                }
                memcpy(y + (long)oh * g->OW, row, sizeof(float) * g->OW);
            }
        }
    }
}

void dg_dwconv2d_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                         const float *w, const float *b)
{
    dw_job j = {.g = g, .out = out, .in = in, .w = w, .b = b, .ctx = ctx};
    dg_ctx_run(ctx, g->C < dg_ctx_threads(ctx) ? g->C : 0, fwd_part, &j);
}

/* sum of VL lanes, in lane order */
static inline float lane_sum(vfloat v)
{
    float s = 0.0f;
    for (int l = 0; l < VL; l++)
        s += v[l];
    return s;
}

/* One plane's gradients: the input's into phases dph (zeroed here), the
 * weights' into part[ky * k + kx] (lanes), from dy padded to rows of OWr. */
static void plane_backward(const dw_job *j, const phase_geom *p, const float *wc,
                           const float *ph, const float *dy, float *dph, vfloat *part)
{
    const dg_conv_geom *g = j->g;
    const int k = g->KW, s = g->SW, OWr = (g->OW + VL - 1) / VL * VL;
    if (dph)
        memset(dph, 0, sizeof(float) * s * p->PH * p->PL);
    for (int oh = 0; oh < g->OH; oh++)
        for (int ox = 0; ox < OWr; ox += VL) {
            vfloat d = load_vf(dy + (long)oh * OWr + ox);
            for (int ky = 0; ky < g->KH; ky++) {
                const long r = (long)(oh * g->SH + ky) * p->PL + ox;
                for (int kx = 0; kx < k; kx++) {
                    const long o = r + (long)(kx % s) * p->PH * p->PL + kx / s;
                    if (part)
                        part[ky * k + kx] += d * load_vf(ph + o);
                    if (dph)
                        store_vf(dph + o, load_vf(dph + o) + wc[ky * k + kx] * d);
                }
            }
        }
}

static void bwd_part(void *arg, int tid, int nt)
{
    const dw_job *j = arg;
    const dg_conv_geom *g = j->g;
    const phase_geom p = phase_make(g);
    const int k = g->KW, kk = g->KH * k, OWr = (g->OW + VL - 1) / VL * VL;
    const long plane_n = (long)g->SW * p.PH * p.PL;
    float *ph = dg_ctx_scratch(j->ctx, tid, 0, (size_t)plane_n);
    float *dph = dg_ctx_scratch(j->ctx, tid, 1, (size_t)plane_n);
    float *dy = dg_ctx_scratch(j->ctx, tid, 2, (size_t)OWr * g->OH);
    memset(dy, 0, sizeof(float) * OWr * g->OH); /* the row tails stay zero */
    /* per-tap sums: VL float lanes per image, then double over the images */
    float *sums = dg_ctx_scratch(j->ctx, tid, 3, (size_t)kk * (VL + 2) + VL);
    vfloat *part = (vfloat *)(((uintptr_t)sums + 63) & ~(uintptr_t)63);
    double *acc = (double *)(part + kk);
    long c0, c1;
    dg_part(g->C, tid, nt, &c0, &c1);
    for (long c = c0; c < c1; c++) {
        double bsum = 0.0;
        memset(acc, 0, sizeof(double) * kk);
        for (int b = 0; b < g->B; b++) {
            const long q = (long)b * g->C + c;
            const float *d = j->dout + q * g->OH * g->OW;
            for (int oh = 0; oh < g->OH; oh++)
                memcpy(dy + (long)oh * OWr, d + (long)oh * g->OW, sizeof(float) * g->OW);
            if (j->dw) {
                to_phases(g, &p, j->in + q * g->H * g->W, ph);
                for (int t = 0; t < kk; t++)
                    part[t] = (vfloat){0};
            }
            plane_backward(j, &p, j->w + c * kk, ph, dy, j->din ? dph : NULL,
                           j->dw ? part : NULL);
            if (j->din)
                from_phases(g, &p, dph, j->din + q * g->H * g->W);
            if (j->dw)
                for (int t = 0; t < kk; t++)
                    acc[t] += lane_sum(part[t]);
            if (j->db)
                bsum += dg_sum(d, (long)g->OH * g->OW);
        }
        if (j->dw)
            for (int t = 0; t < kk; t++)
                j->dw[c * kk + t] += (float)acc[t];
        if (j->db)
            j->db[c] += (float)bsum;
    }
}

void dg_dwconv2d_backward(dg_ctx *ctx, const dg_conv_geom *g, float *din, float *dw, float *db,
                          const float *dout, const float *in, const float *w)
{
    if (!din && !dw && !db)
        return;
    dw_job j = {.g = g, .din = din, .dw = dw, .db = db, .dout = dout, .in = in, .w = w,
                .ctx = ctx};
    dg_ctx_run(ctx, g->C < dg_ctx_threads(ctx) ? g->C : 0, bwd_part, &j);
}

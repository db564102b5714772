/* dg-winograd.c: F(2x2, 3x3) convolutions (see dg-winograd.h).
 *
 * With B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
 *      G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 *      A^T = [1 1 1 0; 0 1 -1 -1]:
 * input patch V = B^T d B, filter U = G g G^T, output tile Y = A^T (U . V) A;
 * for the weight gradient, dU = sum over tiles of (A dY A^T) . V and
 * dg = G^T dU G.  Transformed values are stored [16][channels][tiles] so
 * that each of the 16 products is one GEMM. */
#include "dg-winograd.h"

#include <stdlib.h>
#include <string.h>

#include "dg-gemm.h"

#define XI 16                     /* transformed tile: 4 x 4 */
#define SEG 64                    /* tiles per pass of the input transform */
#define CHUNK_FLOATS (384L << 10) /* V + M of one chunk of tiles (1.5 MB) */

/* A 3x3 stride-1 convolution from [B, Ci, H, W] to [B, Co, OH, OW] with
 * padding pad, cut into th x tw tiles of 2x2 outputs per image. */
typedef struct {
    int B, Ci, H, W, pad;
    int Co, OH, OW;
    int th, tw;
} wg_shape;

static wg_shape shape_make(int B, int Ci, int H, int W, int pad, int Co)
{
    wg_shape s = {B, Ci, H, W, pad, Co, H + 2 * pad - 2, W + 2 * pad - 2, 0, 0};
    s.th = (s.OH + 1) / 2;
    s.tw = (s.OW + 1) / 2;
    return s;
}

bool dg_wino_suits(const dg_conv_geom *g, dg_wino_pass pass)
{
    if (g->KH != 3 || g->KW != 3 || g->SH != 1 || g->SW != 1 || g->PH != g->PW || g->PH < 0 ||
        g->PH > 2 || g->C < 8 || (long)g->OH * g->OW < 64 || getenv("DG_NO_WINOGRAD"))
        return false;
    return pass != DG_WINO_WEIGHT || (long)g->OH * g->OW >= 256 || (long)g->C * g->OC <= 64 * 64;
}

/* ---- transforms ------------------------------------------------------------- */

/* The row transform d B of input row ih for n tiles: t[k][q] from the row's
 * columns x0 + 2q .. x0 + 2q + 3, zero outside [0, H) x [0, W). */
static void row_transform(const float *x, int H, int W, int ih, int x0, int n, float t[4][SEG])
{
    if (ih < 0 || ih >= H) {
        for (int k = 0; k < 4; k++)
            for (int q = 0; q < n; q++)
                t[k][q] = 0.0f;
        return;
    }
    const float *row = x + (long)ih * W;
    /* tiles whose 4 columns are all inside: [qlo, qhi) */
    int qlo = x0 >= 0 ? 0 : (-x0 + 1) / 2;
    int qhi = W - 4 - x0 >= 0 ? (W - 4 - x0) / 2 + 1 : 0;
    qlo = qlo > n ? n : qlo;
    qhi = qhi > n ? n : qhi < qlo ? qlo : qhi;
    const float *r = row + x0;
    for (int q = qlo; q < qhi; q++) {
        float d0 = r[2 * q], d1 = r[2 * q + 1], d2 = r[2 * q + 2], d3 = r[2 * q + 3];
        t[0][q] = d0 - d2;
        t[1][q] = d1 + d2;
        t[2][q] = d2 - d1;
        t[3][q] = d1 - d3;
    }
    for (int q = 0; q < n; q++) {
        if (q == qlo)
            q = qhi;
        if (q >= n)
            break;
        float d[4];
        for (int j = 0; j < 4; j++) {
            int ix = x0 + 2 * q + j;
            d[j] = ix >= 0 && ix < W ? row[ix] : 0.0f;
        }
        t[0][q] = d[0] - d[2];
        t[1][q] = d[1] + d[2];
        t[2][q] = d[2] - d[1];
        t[3][q] = d[1] - d[3];
    }
}

/* V = B^T d B for the tiles of tile rows [ty0, ty1) of a plane x [H, W]:
 * v[xi * ldx + (ty - ty0) * tw + tile].  Each input row's transform serves
 * the two tile rows that share it. */
static void in_rows(const float *x, int H, int W, int pad, int ty0, int ty1, int tw, float *v,
                    long ldx)
{
    float t[4][4][SEG];
    for (int s0 = 0; s0 < tw; s0 += SEG) {
        const int n = tw - s0 < SEG ? tw - s0 : SEG, x0 = 2 * s0 - pad;
        int next = 2 * ty0 - pad; /* the next input row to transform */
        for (int ty = ty0; ty < ty1; ty++) {
            const int top = 2 * ty - pad;
            for (; next <= top + 3; next++)
                row_transform(x, H, W, next, x0, n, t[next & 3]);
            const float(*t0)[SEG] = t[top & 3], (*t1)[SEG] = t[(top + 1) & 3];
            const float(*t2)[SEG] = t[(top + 2) & 3], (*t3)[SEG] = t[(top + 3) & 3];
            float *vt = v + (long)(ty - ty0) * tw + s0;
            for (int k = 0; k < 4; k++) {
                float *v0 = vt + (long)k * ldx, *v1 = vt + (long)(4 + k) * ldx;
                float *v2 = vt + (long)(8 + k) * ldx, *v3 = vt + (long)(12 + k) * ldx;
                for (int q = 0; q < n; q++) {
                    v0[q] = t0[k][q] - t2[k][q];
                    v1[q] = t1[k][q] + t2[k][q];
                    v2[q] = t2[k][q] - t1[k][q];
                    v3[q] = t1[k][q] - t3[k][q];
                }
            }
        }
    }
}

/* Y = A^T M A for tile q: y[0..3] = rows 0 and 1, columns 0 and 1. */
static inline void out_tile(const float *const mm[XI], int q, float y[4])
{
    float a0 = mm[0][q] + mm[4][q] + mm[8][q], a1 = mm[1][q] + mm[5][q] + mm[9][q];
    float a2 = mm[2][q] + mm[6][q] + mm[10][q], a3 = mm[3][q] + mm[7][q] + mm[11][q];
    float b0 = mm[4][q] - mm[8][q] - mm[12][q], b1 = mm[5][q] - mm[9][q] - mm[13][q];
    float b2 = mm[6][q] - mm[10][q] - mm[14][q], b3 = mm[7][q] - mm[11][q] - mm[15][q];
    y[0] = a0 + a1 + a2;
    y[1] = a1 - a2 - a3;
    y[2] = b0 + b1 + b2;
    y[3] = b1 - b2 - b3;
}

/* Output rows 2ty and 2ty + 1 of a plane y [OH, OW] from the tile row's
 * products m[xi * ldm + tile]: Y = A^T M A + bias. */
static void out_row(const float *m, long ldm, int tw, float *y, int OH, int OW, int ty,
                    float bias)
{
    float *y0 = y + (long)(2 * ty) * OW, *y1 = 2 * ty + 1 < OH ? y0 + OW : NULL;
    const int full = OW / 2 < tw ? OW / 2 : tw; /* tiles with both columns inside */
    const float *mm[XI];
    for (int i = 0; i < XI; i++)
        mm[i] = m + (long)i * ldm;
    /* y never overlaps m: ivdep lets the loops vectorize */
    if (y1)
#pragma GCC ivdep
        for (int q = 0; q < full; q++) {
            float t[4];
            out_tile(mm, q, t);
            y0[2 * q] = t[0] + bias;
            y0[2 * q + 1] = t[1] + bias;
            y1[2 * q] = t[2] + bias;
            y1[2 * q + 1] = t[3] + bias;
        }
    else
#pragma GCC ivdep
        for (int q = 0; q < full; q++) {
            float t[4];
            out_tile(mm, q, t);
            y0[2 * q] = t[0] + bias;
            y0[2 * q + 1] = t[1] + bias;
        }
    for (int q = full; q < tw; q++) { /* odd OW: the last tile's first column */
        float t[4];
        out_tile(mm, q, t);
        y0[2 * q] = t[0] + bias;
        if (y1)
            y1[2 * q] = t[2] + bias;
    }
}

/* dM = A dY A^T for one tile from its 2x2 output gradients. */
static inline void dout_tile(float *const mm[XI], int q, float y00, float y01, float y10,
                             float y11)
{
    float z0[4] = {y00, y00 + y01, y00 - y01, -y01};
    float z1[4] = {y10, y10 + y11, y10 - y11, -y11};
    for (int k = 0; k < 4; k++) {
        mm[k][q] = z0[k];
        mm[4 + k][q] = z0[k] + z1[k];
        mm[8 + k][q] = z0[k] - z1[k];
        mm[12 + k][q] = -z1[k];
    }
}

/* dM for the tw tiles of tile row ty of an output gradient plane dy
 * [OH, OW] (zero beyond its edges): m[xi * ldm + tile]. */
static void dout_row(const float *dy, int OH, int OW, int ty, int tw, float *m, long ldm)
{
    const float *r0 = dy + (long)(2 * ty) * OW, *r1 = 2 * ty + 1 < OH ? r0 + OW : NULL;
    const int full = OW / 2 < tw ? OW / 2 : tw; /* tiles with both columns inside */
    float *mm[XI];
    for (int i = 0; i < XI; i++)
        mm[i] = m + (long)i * ldm;
    /* the 16 rows of m never overlap dy: ivdep lets the loops vectorize */
    if (r1)
#pragma GCC ivdep
        for (int q = 0; q < full; q++)
            dout_tile(mm, q, r0[2 * q], r0[2 * q + 1], r1[2 * q], r1[2 * q + 1]);
    else
#pragma GCC ivdep
        for (int q = 0; q < full; q++)
            dout_tile(mm, q, r0[2 * q], r0[2 * q + 1], 0.0f, 0.0f);
    for (int q = full; q < tw; q++) /* odd OW: the last tile's first column */
        dout_tile(mm, q, r0[2 * q], 0.0f, r1 ? r1[2 * q] : 0.0f, 0.0f);
}

/* U[xi][o][i] = G g G^T for the filters of a Co x Ci convolution: g =
 * w[o][i] (w [Co, Ci, 3, 3]), or with flip, g = rot180(w[i][o]) (w
 * [Ci, Co, 3, 3]: the filters of the input gradient of w's convolution). */
typedef struct {
    const float *w;
    float *U;
    int Co, Ci;
    bool flip;
} filter_job;

static void filter_part(void *arg, int tid, int nt)
{
    const filter_job *j = arg;
    const long P = (long)j->Co * j->Ci;
    long lo, hi;
    dg_part(j->Co, tid, nt, &lo, &hi);
    for (long o = lo; o < hi; o++)
        for (long i = 0; i < j->Ci; i++) {
            float g[9], h[3][4];
            const float *src = j->flip ? j->w + (i * j->Co + o) * 9 : j->w + (o * j->Ci + i) * 9;
            for (int k = 0; k < 9; k++)
                g[k] = j->flip ? src[8 - k] : src[k];
            for (int r = 0; r < 3; r++) {
                const float *gr = g + 3 * r;
                h[r][0] = gr[0];
                h[r][1] = 0.5f * (gr[0] + gr[1] + gr[2]);
                h[r][2] = 0.5f * (gr[0] - gr[1] + gr[2]);
                h[r][3] = gr[2];
            }
            float *u = j->U + o * j->Ci + i;
            for (int k = 0; k < 4; k++) {
                u[(0 + k) * P] = h[0][k];
                u[(4 + k) * P] = 0.5f * (h[0][k] + h[1][k] + h[2][k]);
                u[(8 + k) * P] = 0.5f * (h[0][k] - h[1][k] + h[2][k]);
                u[(12 + k) * P] = h[2][k];
            }
        }
}

/* dw[o][i] += G^T dU[.][o][i] G for all filters. */
typedef struct {
    float *dw;
    const float *dU;
    int Co, Ci;
} wback_job;

static void wback_part(void *arg, int tid, int nt)
{
    const wback_job *j = arg;
    const long P = (long)j->Co * j->Ci;
    long lo, hi;
    dg_part(j->Co, tid, nt, &lo, &hi);
    for (long o = lo; o < hi; o++)
        for (long i = 0; i < j->Ci; i++) {
            const float *d = j->dU + o * j->Ci + i;
            float p[4][3];
            for (int r = 0; r < 4; r++) {
                float d0 = d[(4 * r) * P], d1 = d[(4 * r + 1) * P], d2 = d[(4 * r + 2) * P],
                      d3 = d[(4 * r + 3) * P];
                p[r][0] = d0 + 0.5f * (d1 + d2);
                p[r][1] = 0.5f * (d1 - d2);
                p[r][2] = 0.5f * (d1 + d2) + d3;
            }
            float *w = j->dw + (o * j->Ci + i) * 9;
            for (int b = 0; b < 3; b++) {
                w[b] += p[0][b] + 0.5f * (p[1][b] + p[2][b]);
                w[3 + b] += 0.5f * (p[1][b] - p[2][b]);
                w[6 + b] += 0.5f * (p[1][b] + p[2][b]) + p[3][b];
            }
        }
}

/* ---- the chunked passes --------------------------------------------------------- */

typedef struct {
    wg_shape s;
    const float *in, *U, *bias; /* forward: input, filters, bias */
    float *out;
    const float *dout;          /* weight gradient: output gradient (in: the input) */
    float *dU, **dU_part;
    dg_ctx *ctx;
    long rows_per_chunk;        /* tile rows */
} wg_job;

static long chunk_rows(const wg_shape *s)
{
    long tiles = CHUNK_FLOATS / (XI * (long)(s->Ci + s->Co));
    tiles = tiles < 64 ? 64 : tiles > 1024 ? 1024 : tiles;
    long rows = tiles / s->tw;
    return rows < 1 ? 1 : rows;
}

/* V for tile rows [r0, r1): [16][Ci][Tc] in slot 0. */
static float *input_tiles(const wg_job *j, int tid, long r0, long r1, long Tc)
{
    const wg_shape *s = &j->s;
    const long plane = (long)s->H * s->W;
    float *V = dg_ctx_scratch(j->ctx, tid, 0, (size_t)XI * s->Ci * Tc);
    for (long r = r0; r < r1;) { /* the chunk's rows of one image at a time */
        long n = r / s->th;
        int ty0 = (int)(r % s->th), ty1 = r1 - r < s->th - ty0 ? (int)(ty0 + r1 - r) : s->th;
        for (int c = 0; c < s->Ci; c++)
            in_rows(j->in + (n * s->Ci + c) * plane, s->H, s->W, s->pad, ty0, ty1, s->tw,
                    V + c * Tc + (r - r0) * s->tw, (long)s->Ci * Tc);
        r += ty1 - ty0;
    }
    return V;
}

static void fwd_chunk(const wg_job *j, int tid, long r0, long r1)
{
    const wg_shape *s = &j->s;
    const long Tc = (r1 - r0) * s->tw, oplane = (long)s->OH * s->OW;
    const float *V = input_tiles(j, tid, r0, r1, Tc);
    float *M = dg_ctx_scratch(j->ctx, tid, 1, (size_t)XI * s->Co * Tc);
    for (int xi = 0; xi < XI; xi++)
        dg_gemm(false, false, s->Co, (int)Tc, s->Ci, 1.0f, j->U + (long)xi * s->Co * s->Ci, s->Ci,
                V + xi * s->Ci * Tc, (int)Tc, 0.0f, M + xi * s->Co * Tc, (int)Tc);
    for (long r = r0; r < r1; r++) {
        long n = r / s->th;
        int ty = (int)(r % s->th);
        for (int o = 0; o < s->Co; o++)
            out_row(M + o * Tc + (r - r0) * s->tw, (long)s->Co * Tc, s->tw,
                    j->out + (n * s->Co + o) * oplane, s->OH, s->OW, ty,
                    j->bias ? j->bias[o] : 0.0f);
    }
}

static void wgrad_chunk(const wg_job *j, int tid, long r0, long r1, float *dU)
{
    const wg_shape *s = &j->s;
    const long Tc = (r1 - r0) * s->tw, oplane = (long)s->OH * s->OW;
    const float *V = input_tiles(j, tid, r0, r1, Tc);
    float *M = dg_ctx_scratch(j->ctx, tid, 1, (size_t)XI * s->Co * Tc);
    for (long r = r0; r < r1; r++) {
        long n = r / s->th;
        int ty = (int)(r % s->th);
        for (int o = 0; o < s->Co; o++)
            dout_row(j->dout + (n * s->Co + o) * oplane, s->OH, s->OW, ty, s->tw,
                     M + o * Tc + (r - r0) * s->tw, (long)s->Co * Tc);
    }
    for (int xi = 0; xi < XI; xi++) /* dU[xi][Co, Ci] += dM[xi][Co, Tc] V[xi][Ci, Tc]^T */
        dg_gemm(false, true, s->Co, s->Ci, (int)Tc, 1.0f, M + xi * s->Co * Tc, (int)Tc,
                V + xi * s->Ci * Tc, (int)Tc, 1.0f, dU + (long)xi * s->Co * s->Ci, s->Ci);
}

static void fwd_part(void *arg, int tid, int nt)
{
    const wg_job *j = arg;
    long lo, hi;
    dg_part((long)j->s.B * j->s.th, tid, nt, &lo, &hi);
    for (long r = lo; r < hi; r += j->rows_per_chunk)
        fwd_chunk(j, tid, r, r + j->rows_per_chunk < hi ? r + j->rows_per_chunk : hi);
}

static void wgrad_part(void *arg, int tid, int nt)
{
    wg_job *j = arg;
    const long usize = (long)XI * j->s.Co * j->s.Ci;
    float *dU = j->dU;
    if (tid > 0)
        dU = j->dU_part[tid] = dg_ctx_scratch(j->ctx, tid, 2, (size_t)usize);
    memset(dU, 0, sizeof(float) * usize);
    long lo, hi;
    dg_part((long)j->s.B * j->s.th, tid, nt, &lo, &hi);
    for (long r = lo; r < hi; r += j->rows_per_chunk)
        wgrad_chunk(j, tid, r, r + j->rows_per_chunk < hi ? r + j->rows_per_chunk : hi, dU);
}

/* Threads for n tile rows: no more than there are rows. */
static int threads_for(dg_ctx *ctx, long rows)
{
    int T = dg_ctx_threads(ctx);
    return rows < T ? (int)rows : T;
}

/* out = the convolution of in by the filters of w (flip: w's input-gradient
 * filters), shape s. */
static void wino_conv(dg_ctx *ctx, const wg_shape *s, float *out, const float *in,
                      const float *w, bool flip, const float *b)
{
    float *U = dg_ctx_scratch(ctx, 0, 4, (size_t)XI * s->Co * s->Ci);
    filter_job fj = {w, U, s->Co, s->Ci, flip};
    dg_ctx_run(ctx, threads_for(ctx, s->Co), filter_part, &fj);
    wg_job j = {.s = *s, .in = in, .U = U, .bias = b, .out = out, .ctx = ctx};
    j.rows_per_chunk = chunk_rows(s);
    dg_ctx_run(ctx, threads_for(ctx, (long)s->B * s->th), fwd_part, &j);
}

void dg_wino_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                     const float *w, const float *b)
{
    wg_shape s = shape_make(g->B, g->C, g->H, g->W, g->PH, g->OC);
    wino_conv(ctx, &s, out, in, w, false, b);
}

void dg_wino_backward_data(dg_ctx *ctx, const dg_conv_geom *g, float *din, const float *dout,
                           const float *w)
{
    /* din = dout convolved with the flipped, transposed filters; the padding
     * 2 - pad brings OH back to H */
    wg_shape s = shape_make(g->B, g->OC, g->OH, g->OW, 2 - g->PH, g->C);
    wino_conv(ctx, &s, din, dout, w, true, NULL);
}

void dg_wino_backward_weight(dg_ctx *ctx, const dg_conv_geom *g, float *dw, const float *dout,
                             const float *in)
{
    wg_shape s = shape_make(g->B, g->C, g->H, g->W, g->PH, g->OC);
    const long usize = (long)XI * s.Co * s.Ci;
    float *parts[256];
    wg_job j = {.s = s, .in = in, .dout = dout, .dU_part = parts, .ctx = ctx};
    j.dU = dg_ctx_scratch(ctx, 0, 4, (size_t)usize);
    j.rows_per_chunk = chunk_rows(&s);
    int nt = threads_for(ctx, (long)s.B * s.th);
    nt = nt < 256 ? nt : 256;
    dg_ctx_run(ctx, nt, wgrad_part, &j);
    for (int t = 1; t < nt; t++) /* in thread order */
        dg_vec_add(ctx, j.dU, parts[t], usize);
    wback_job wj = {dw, j.dU, s.Co, s.Ci};
    dg_ctx_run(ctx, threads_for(ctx, s.Co), wback_part, &wj);
}

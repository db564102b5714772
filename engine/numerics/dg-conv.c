/* dg-conv.c: convolution, transposed convolution, depthwise convolution.
 *
 * Convolutions are im2col + one sgemm.  The batch is split over the
 * context's threads; each thread takes consecutive images of its slice in
 * chunks of nb images, lays their columns side by side ([C*KH*KW, nb*OH*OW])
 * and runs one single-threaded sgemm per chunk, so small feature maps still
 * give the GEMM a wide N ("the batch folded into the GEMM").  Large maps use
 * nb = 1 and write straight into the NCHW output.  Weight gradients are
 * accumulated per thread and summed in thread order (deterministic for a
 * given thread count).  When the batch is smaller than the thread count the
 * images run in turn and each GEMM is split over the threads instead. */
#include <string.h>

#include "dg-gemm.h"
#include "dg-layers.h"

/* Columns per GEMM that keep sgemm near its peak, and a cap on the column
 * buffer (floats) so a chunk stays cache-friendly. */
#define TARGET_COLS 1024
#define MAX_COL_FLOATS (6L << 20)

dg_conv_geom dg_conv_geom_make(int B, int C, int H, int W, int OC, int k, int stride, int pad)
{
    dg_conv_geom g = {B, C, H, W, OC, 0, 0, k, k, stride, stride, pad, pad};
    g.OH = (H + 2 * pad - k) / stride + 1;
    g.OW = (W + 2 * pad - k) / stride + 1;
    return g;
}

dg_conv_geom dg_convt_geom_make(int B, int C, int H, int W, int OC, int k, int stride, int pad)
{
    dg_conv_geom g = {B, C, H, W, OC, 0, 0, k, k, stride, stride, pad, pad};
    g.OH = (H - 1) * stride - 2 * pad + k;
    g.OW = (W - 1) * stride - 2 * pad + k;
    return g;
}

/* ---- im2col / col2im ------------------------------------------------------
 * "Image" side: n images of [Ci, Hi, Wi]; "column" side: [Ho, Wo] positions.
 * col row r = (c * KH + kh) * KW + kw; column j * Ho * Wo + oh * Wo + ow for
 * image j of the chunk; ld is the row stride of col. */
typedef struct {
    int Ci, Hi, Wi, Ho, Wo, KH, KW, SH, SW, PH, PW;
} patch_geom;

static inline void valid_range(int k, int S, int P, int in_len, int out_len, int *lo, int *hi)
{
    /* out positions o with 0 <= o*S - P + k < in_len */
    int a = P - k; /* o*S >= a */
    int l = a <= 0 ? 0 : (a + S - 1) / S;
    int b = in_len - 1 + P - k; /* o*S <= b */
    int h = b < 0 ? 0 : b / S + 1;
    if (h > out_len)
        h = out_len;
    if (l > h)
        l = h;
    *lo = l;
    *hi = h;
}

static void im2col(const patch_geom *p, const float *img, int n, float *col, long ld)
{
    const long plane = (long)p->Hi * p->Wi, ohw = (long)p->Ho * p->Wo;
    for (int c = 0; c < p->Ci; c++)
        for (int kh = 0; kh < p->KH; kh++)
            for (int kw = 0; kw < p->KW; kw++) {
                float *row = col + ((long)(c * p->KH + kh) * p->KW + kw) * ld;
                int lo, hi;
                valid_range(kw, p->SW, p->PW, p->Wi, p->Wo, &lo, &hi);
                for (int j = 0; j < n; j++) {
                    const float *src = img + ((long)j * p->Ci + c) * plane;
                    float *dst = row + j * ohw;
                    for (int oh = 0; oh < p->Ho; oh++) {
                        int ih = oh * p->SH - p->PH + kh;
                        float *d = dst + (long)oh * p->Wo;
                        if (ih < 0 || ih >= p->Hi) {
                            memset(d, 0, sizeof(float) * p->Wo);
                            continue;
                        }
                        const float *s = src + (long)ih * p->Wi - p->PW + kw;
                        for (int ow = 0; ow < lo; ow++)
                            d[ow] = 0.0f;
                        if (p->SW == 1)
                            memcpy(d + lo, s + lo, sizeof(float) * (hi - lo));
                        else if (p->SW == 2)
                            for (int ow = lo; ow < hi; ow++)
                                d[ow] = s[2 * ow];
                        else
                            for (int ow = lo; ow < hi; ow++)
                                d[ow] = s[ow * p->SW];
                        for (int ow = hi; ow < p->Wo; ow++)
                            d[ow] = 0.0f;
                    }
                }
            }
}

/* img (zeroed by the caller) += col2im(col) */
static void col2im(const patch_geom *p, const float *col, long ld, int n, float *img)
{
    const long plane = (long)p->Hi * p->Wi, ohw = (long)p->Ho * p->Wo;
    for (int j = 0; j < n; j++)
        for (int c = 0; c < p->Ci; c++) {
            float *dst = img + ((long)j * p->Ci + c) * plane;
            for (int kh = 0; kh < p->KH; kh++)
                for (int kw = 0; kw < p->KW; kw++) {
                    const float *row = col + ((long)(c * p->KH + kh) * p->KW + kw) * ld + j * ohw;
                    int lo, hi;
                    valid_range(kw, p->SW, p->PW, p->Wi, p->Wo, &lo, &hi);
                    for (int oh = 0; oh < p->Ho; oh++) {
                        int ih = oh * p->SH - p->PH + kh;
                        if (ih < 0 || ih >= p->Hi)
                            continue;
                        const float *s = row + (long)oh * p->Wo;
                        float *d = dst + (long)ih * p->Wi - p->PW + kw;
                        if (p->SW == 1)
                            for (int ow = lo; ow < hi; ow++)
                                d[ow] += s[ow];
                        else if (p->SW == 2)
                            for (int ow = lo; ow < hi; ow++)
                                d[2 * ow] += s[ow];
                        else
                            for (int ow = lo; ow < hi; ow++)
                                d[ow * p->SW] += s[ow];
                    }
                }
        }
}

/* [n, C, HW] (NCHW images) -> [C, n*HW] and back. */
static void gather_cn(const float *src, int n, int C, long HW, float *dst)
{
    for (int c = 0; c < C; c++)
        for (int j = 0; j < n; j++)
            memcpy(dst + (long)c * n * HW + j * HW, src + ((long)j * C + c) * HW,
                   sizeof(float) * HW);
}

static void scatter_cn(const float *src, int n, int C, long HW, const float *bias, float *dst)
{
    for (int c = 0; c < C; c++) {
        float bc = bias ? bias[c] : 0.0f;
        for (int j = 0; j < n; j++) {
            const float *s = src + (long)c * n * HW + j * HW;
            float *d = dst + ((long)j * C + c) * HW;
            if (bias)
                for (long i = 0; i < HW; i++)
                    d[i] = s[i] + bc;
            else
                memcpy(d, s, sizeof(float) * HW);
        }
    }
}

static void add_bias(float *out, const float *bias, int n, int C, long HW)
{
    if (!bias)
        return;
    for (int j = 0; j < n; j++)
        for (int c = 0; c < C; c++) {
            float *d = out + ((long)j * C + c) * HW;
            for (long i = 0; i < HW; i++)
                d[i] += bias[c];
        }
}

static void bias_grad(float *db, const float *dout, int n, int C, long HW)
{
    if (!db)
        return;
    for (int j = 0; j < n; j++)
        for (int c = 0; c < C; c++) {
            const float *s = dout + ((long)j * C + c) * HW;
            float acc = 0.0f;
            for (long i = 0; i < HW; i++)
                acc += s[i];
            db[c] += acc;
        }
}

/* Images per chunk for a map of `cols` GEMM columns per image and `rows`
 * rows of column buffer. */
static int chunk_images(long cols, long rows, long slice)
{
    long nb = (TARGET_COLS + cols - 1) / cols;
    if (nb < 1)
        nb = 1;
    while (nb > 1 && nb * cols * rows > MAX_COL_FLOATS)
        nb--;
    if (nb > slice)
        nb = slice;
    return nb < 1 ? 1 : (int)nb;
}

typedef struct {
    const dg_conv_geom *g;
    dg_ctx *ctx;
    float *out, *din, *dw, *db;
    const float *in, *w, *b, *dout;
    float **dw_part, **db_part; /* per thread partial gradients (tid > 0) */
    long wsize;
    bool serial; /* batch < threads: one image at a time, GEMMs split instead */
} conv_job;

static void reduce_grads(conv_job *j, int nt, long nb_bias)
{
    /* dw += sum of partials, in thread order */
    for (int t = 1; t < nt; t++) {
        dg_vec_add(j->ctx, j->dw, j->dw_part[t], j->wsize);
        if (j->db)
            for (long i = 0; i < nb_bias; i++)
                j->db[i] += j->db_part[t][i];
    }
}

/* ---- conv2d ---------------------------------------------------------------- */

static patch_geom conv_patch(const dg_conv_geom *g)
{
    patch_geom p = {g->C, g->H, g->W, g->OH, g->OW, g->KH, g->KW, g->SH, g->SW, g->PH, g->PW};
    return p;
}

static bool is_pointwise(const dg_conv_geom *g)
{
    return g->KH == 1 && g->KW == 1 && g->SH == 1 && g->SW == 1 && g->PH == 0 && g->PW == 0;
}

static void conv_fwd_range(conv_job *j, int tid, long b0, long b1)
{
    const dg_conv_geom *g = j->g;
    const long ohw = (long)g->OH * g->OW, ckk = (long)g->C * g->KH * g->KW;
    const long in_img = (long)g->C * g->H * g->W, out_img = (long)g->OC * ohw;
    patch_geom p = conv_patch(g);
    int nb = chunk_images(ohw, ckk, b1 - b0);
    for (long b = b0; b < b1; b += nb) {
        int n = (int)(b1 - b < nb ? b1 - b : nb);
        long N = n * ohw;
        const float *col;
        if (is_pointwise(g) && n == 1) {
            col = j->in + b * in_img;
        } else {
            float *c = dg_ctx_scratch(j->ctx, tid, 0, ckk * N);
            if (is_pointwise(g))
                gather_cn(j->in + b * in_img, n, g->C, ohw, c);
            else
                im2col(&p, j->in + b * in_img, n, c, N);
            col = c;
        }
        if (n == 1) {
            if (j->serial)
                dg_gemm_par(j->ctx, false, false, g->OC, (int)N, (int)ckk, 1.0f, j->w, (int)ckk,
                            col, (int)N, 0.0f, j->out + b * out_img, (int)N);
            else
                dg_gemm(false, false, g->OC, (int)N, (int)ckk, 1.0f, j->w, (int)ckk, col, (int)N,
                        0.0f, j->out + b * out_img, (int)N);
            add_bias(j->out + b * out_img, j->b, 1, g->OC, ohw);
        } else {
            float *tmp = dg_ctx_scratch(j->ctx, tid, 1, g->OC * N);
            dg_gemm(false, false, g->OC, (int)N, (int)ckk, 1.0f, j->w, (int)ckk, col, (int)N,
                    0.0f, tmp, (int)N);
            scatter_cn(tmp, n, g->OC, ohw, j->b, j->out + b * out_img);
        }
    }
}

static void conv_fwd_part(void *arg, int tid, int nt)
{
    conv_job *j = arg;
    long b0, b1;
    dg_part(j->g->B, tid, nt, &b0, &b1);
    conv_fwd_range(j, tid, b0, b1);
}

void dg_conv2d_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                       const float *w, const float *b)
{
    conv_job j = {.g = g, .ctx = ctx, .out = out, .in = in, .w = w, .b = b};
    if (g->B < dg_ctx_threads(ctx)) {
        j.serial = true;
        for (long i = 0; i < g->B; i++)
            conv_fwd_range(&j, 0, i, i + 1);
        return;
    }
    dg_ctx_run(ctx, g->B, conv_fwd_part, &j);
}

static void conv_bwd_range(conv_job *j, int tid, long b0, long b1, float *dw, float *db)
{
    const dg_conv_geom *g = j->g;
    const long ohw = (long)g->OH * g->OW, ckk = (long)g->C * g->KH * g->KW;
    const long in_img = (long)g->C * g->H * g->W, out_img = (long)g->OC * ohw;
    patch_geom p = conv_patch(g);
    int nb = chunk_images(ohw, ckk, b1 - b0);
    for (long b = b0; b < b1; b += nb) {
        int n = (int)(b1 - b < nb ? b1 - b : nb);
        long N = n * ohw;
        const float *dO = j->dout + b * out_img;
        if (n > 1) {
            float *t = dg_ctx_scratch(j->ctx, tid, 1, g->OC * N);
            gather_cn(j->dout + b * out_img, n, g->OC, ohw, t);
            dO = t;
        }
        bias_grad(db, j->dout + b * out_img, n, g->OC, ohw);
        float *colbuf = NULL;
        if (dw) {
            const float *col;
            if (is_pointwise(g) && n == 1) {
                col = j->in + b * in_img;
            } else {
                colbuf = dg_ctx_scratch(j->ctx, tid, 0, ckk * N);
                if (is_pointwise(g))
                    gather_cn(j->in + b * in_img, n, g->C, ohw, colbuf);
                else
                    im2col(&p, j->in + b * in_img, n, colbuf, N);
                col = colbuf;
            }
            /* dw[OC, ckk] += dO[OC, N] col[ckk, N]^T */
            if (j->serial)
                dg_gemm_par(j->ctx, false, true, g->OC, (int)ckk, (int)N, 1.0f, dO, (int)N, col,
                            (int)N, 1.0f, dw, (int)ckk);
            else
                dg_gemm(false, true, g->OC, (int)ckk, (int)N, 1.0f, dO, (int)N, col, (int)N, 1.0f,
                        dw, (int)ckk);
        }
        if (j->din) {
            float *dimg = j->din + b * in_img;
            if (is_pointwise(g) && n == 1) {
                /* din[C, HW] = w^T[C, OC] dO[OC, HW] */
                if (j->serial)
                    dg_gemm_par(j->ctx, true, false, g->C, (int)N, g->OC, 1.0f, j->w, (int)ckk,
                                dO, (int)N, 0.0f, dimg, (int)N);
                else
                    dg_gemm(true, false, g->C, (int)N, g->OC, 1.0f, j->w, (int)ckk, dO, (int)N,
                            0.0f, dimg, (int)N);
                continue;
            }
            float *dcol = colbuf ? colbuf : dg_ctx_scratch(j->ctx, tid, 0, ckk * N);
            if (j->serial)
                dg_gemm_par(j->ctx, true, false, (int)ckk, (int)N, g->OC, 1.0f, j->w, (int)ckk,
                            dO, (int)N, 0.0f, dcol, (int)N);
            else
                dg_gemm(true, false, (int)ckk, (int)N, g->OC, 1.0f, j->w, (int)ckk, dO, (int)N,
                        0.0f, dcol, (int)N);
            if (is_pointwise(g)) {
                scatter_cn(dcol, n, g->C, ohw, NULL, dimg);
            } else {
                memset(dimg, 0, sizeof(float) * n * in_img);
                col2im(&p, dcol, N, n, dimg);
            }
        }
    }
}

static void conv_bwd_part(void *arg, int tid, int nt)
{
    conv_job *j = arg;
    long b0, b1;
    dg_part(j->g->B, tid, nt, &b0, &b1);
    float *dw = j->dw, *db = j->db;
    if (tid > 0) {
        if (dw) {
            dw = j->dw_part[tid] = dg_ctx_scratch(j->ctx, tid, 2, j->wsize);
            memset(dw, 0, sizeof(float) * j->wsize);
        }
        if (db) {
            db = j->db_part[tid] = dg_ctx_scratch(j->ctx, tid, 3, j->g->OC);
            memset(db, 0, sizeof(float) * j->g->OC);
        }
    }
    conv_bwd_range(j, tid, b0, b1, dw, db);
}

void dg_conv2d_backward(dg_ctx *ctx, const dg_conv_geom *g, float *din, float *dw, float *db,
                        const float *dout, const float *in, const float *w)
{
    int T = dg_ctx_threads(ctx);
    float *parts[256], *bparts[256];
    conv_job j = {.g = g, .ctx = ctx, .din = din, .dw = dw, .db = db, .dout = dout, .in = in,
                  .w = w, .dw_part = parts, .db_part = bparts,
                  .wsize = (long)g->OC * g->C * g->KH * g->KW};
    if (g->B < T) {
        j.serial = true;
        for (long i = 0; i < g->B; i++)
            conv_bwd_range(&j, 0, i, i + 1, dw, db);
        return;
    }
    int nt = g->B < T ? g->B : T;
    dg_ctx_run(ctx, nt, conv_bwd_part, &j);
    if (dw)
        reduce_grads(&j, nt, g->OC);
    else if (db)
        for (int t = 1; t < nt; t++)
            for (int i = 0; i < g->OC; i++)
                db[i] += bparts[t][i];
}

/* ---- convt2d ---------------------------------------------------------------
 * The output [OC, OH, OW] is the "image" side of the patches and the input
 * positions [H, W] the "column" side.  w as a matrix is [C, OC*KH*KW]. */

static patch_geom convt_patch(const dg_conv_geom *g)
{
    patch_geom p = {g->OC, g->OH, g->OW, g->H, g->W, g->KH, g->KW, g->SH, g->SW, g->PH, g->PW};
    return p;
}

static void convt_fwd_range(conv_job *j, int tid, long b0, long b1)
{
    const dg_conv_geom *g = j->g;
    const long hw = (long)g->H * g->W, okk = (long)g->OC * g->KH * g->KW;
    const long in_img = (long)g->C * hw, out_img = (long)g->OC * g->OH * g->OW;
    patch_geom p = convt_patch(g);
    int nb = chunk_images(hw, okk, b1 - b0);
    for (long b = b0; b < b1; b += nb) {
        int n = (int)(b1 - b < nb ? b1 - b : nb);
        long N = n * hw;
        const float *X = j->in + b * in_img;
        if (n > 1) {
            float *t = dg_ctx_scratch(j->ctx, tid, 1, g->C * N);
            gather_cn(X, n, g->C, hw, t);
            X = t;
        }
        float *col = dg_ctx_scratch(j->ctx, tid, 0, okk * N);
        /* col[okk, N] = w^T[okk, C] X[C, N] */
        if (j->serial)
            dg_gemm_par(j->ctx, true, false, (int)okk, (int)N, g->C, 1.0f, j->w, (int)okk, X,
                        (int)N, 0.0f, col, (int)N);
        else
            dg_gemm(true, false, (int)okk, (int)N, g->C, 1.0f, j->w, (int)okk, X, (int)N, 0.0f,
                    col, (int)N);
        float *o = j->out + b * out_img;
        memset(o, 0, sizeof(float) * n * out_img);
        col2im(&p, col, N, n, o);
        add_bias(o, j->b, n, g->OC, (long)g->OH * g->OW);
    }
}

static void convt_fwd_part(void *arg, int tid, int nt)
{
    conv_job *j = arg;
    long b0, b1;
    dg_part(j->g->B, tid, nt, &b0, &b1);
    convt_fwd_range(j, tid, b0, b1);
}

void dg_convt2d_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                        const float *w, const float *b)
{
    conv_job j = {.g = g, .ctx = ctx, .out = out, .in = in, .w = w, .b = b};
    if (g->B < dg_ctx_threads(ctx)) {
        j.serial = true;
        for (long i = 0; i < g->B; i++)
            convt_fwd_range(&j, 0, i, i + 1);
        return;
    }
    dg_ctx_run(ctx, g->B, convt_fwd_part, &j);
}

static void convt_bwd_range(conv_job *j, int tid, long b0, long b1, float *dw, float *db)
{
    const dg_conv_geom *g = j->g;
    const long hw = (long)g->H * g->W, okk = (long)g->OC * g->KH * g->KW;
    const long in_img = (long)g->C * hw, out_img = (long)g->OC * g->OH * g->OW;
    patch_geom p = convt_patch(g);
    int nb = chunk_images(hw, okk, b1 - b0);
    for (long b = b0; b < b1; b += nb) {
        int n = (int)(b1 - b < nb ? b1 - b : nb);
        long N = n * hw;
        bias_grad(db, j->dout + b * out_img, n, g->OC, (long)g->OH * g->OW);
        float *col = dg_ctx_scratch(j->ctx, tid, 0, okk * N);
        im2col(&p, j->dout + b * out_img, n, col, N);
        if (dw) {
            const float *X = j->in + b * in_img;
            if (n > 1) {
                float *t = dg_ctx_scratch(j->ctx, tid, 1, g->C * N);
                gather_cn(X, n, g->C, hw, t);
                X = t;
            }
            /* dw[C, okk] += X[C, N] col[okk, N]^T */
            if (j->serial)
                dg_gemm_par(j->ctx, false, true, g->C, (int)okk, (int)N, 1.0f, X, (int)N, col,
                            (int)N, 1.0f, dw, (int)okk);
            else
                dg_gemm(false, true, g->C, (int)okk, (int)N, 1.0f, X, (int)N, col, (int)N, 1.0f,
                        dw, (int)okk);
        }
        if (j->din) {
            float *dimg = j->din + b * in_img;
            float *dst = n == 1 ? dimg : dg_ctx_scratch(j->ctx, tid, 1, g->C * N);
            /* dX[C, N] = w[C, okk] col[okk, N] */
            if (j->serial)
                dg_gemm_par(j->ctx, false, false, g->C, (int)N, (int)okk, 1.0f, j->w, (int)okk,
                            col, (int)N, 0.0f, dst, (int)N);
            else
                dg_gemm(false, false, g->C, (int)N, (int)okk, 1.0f, j->w, (int)okk, col, (int)N,
                        0.0f, dst, (int)N);
            if (n > 1)
                scatter_cn(dst, n, g->C, hw, NULL, dimg);
        }
    }
}

static void convt_bwd_part(void *arg, int tid, int nt)
{
    conv_job *j = arg;
    long b0, b1;
    dg_part(j->g->B, tid, nt, &b0, &b1);
    float *dw = j->dw, *db = j->db;
    if (tid > 0) {
        if (dw) {
            dw = j->dw_part[tid] = dg_ctx_scratch(j->ctx, tid, 2, j->wsize);
            memset(dw, 0, sizeof(float) * j->wsize);
        }
        if (db) {
            db = j->db_part[tid] = dg_ctx_scratch(j->ctx, tid, 3, j->g->OC);
            memset(db, 0, sizeof(float) * j->g->OC);
        }
    }
    convt_bwd_range(j, tid, b0, b1, dw, db);
}

void dg_convt2d_backward(dg_ctx *ctx, const dg_conv_geom *g, float *din, float *dw, float *db,
                         const float *dout, const float *in, const float *w)
{
    int T = dg_ctx_threads(ctx);
    float *parts[256], *bparts[256];
    conv_job j = {.g = g, .ctx = ctx, .din = din, .dw = dw, .db = db, .dout = dout, .in = in,
                  .w = w, .dw_part = parts, .db_part = bparts,
                  .wsize = (long)g->C * g->OC * g->KH * g->KW};
    if (g->B < T) {
        j.serial = true;
        for (long i = 0; i < g->B; i++)
            convt_bwd_range(&j, 0, i, i + 1, dw, db);
        return;
    }
    dg_ctx_run(ctx, T, convt_bwd_part, &j);
    if (dw)
        reduce_grads(&j, T, g->OC);
    else if (db)
        for (int t = 1; t < T; t++)
            for (int i = 0; i < g->OC; i++)
                db[i] += bparts[t][i];
}

/* ---- depthwise ------------------------------------------------------------- */

static void dw_plane_fwd(const dg_conv_geom *g, float *o, const float *x, const float *k,
                         float bias)
{
    for (int oh = 0; oh < g->OH; oh++)
        for (int ow = 0; ow < g->OW; ow++) {
            float acc = bias;
            for (int kh = 0; kh < g->KH; kh++) {
                int ih = oh * g->SH - g->PH + kh;
                if (ih < 0 || ih >= g->H)
                    continue;
                for (int kw = 0; kw < g->KW; kw++) {
                    int iw = ow * g->SW - g->PW + kw;
                    if (iw >= 0 && iw < g->W)
                        acc += x[ih * g->W + iw] * k[kh * g->KW + kw];
                }
            }
            o[oh * g->OW + ow] = acc;
        }
}

typedef struct {
    const dg_conv_geom *g;
    float *out, *din, *dw, *db;
    const float *in, *w, *b, *dout;
    float **dw_part, **db_part;
    dg_ctx *ctx;
} dw_job;

static void dw_fwd_part(void *arg, int tid, int nt)
{
    dw_job *j = arg;
    const dg_conv_geom *g = j->g;
    long lo, hi, planes = (long)g->B * g->C;
    dg_part(planes, tid, nt, &lo, &hi);
    const long ip = (long)g->H * g->W, op = (long)g->OH * g->OW, kk = g->KH * g->KW;
    for (long q = lo; q < hi; q++) {
        int c = (int)(q % g->C);
        dw_plane_fwd(g, j->out + q * op, j->in + q * ip, j->w + c * kk, j->b ? j->b[c] : 0.0f);
    }
}

void dg_dwconv2d_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                         const float *w, const float *b)
{
    dw_job j = {.g = g, .out = out, .in = in, .w = w, .b = b};
    long planes = (long)g->B * g->C;
    dg_ctx_run(ctx, planes < 8 ? 1 : 0, dw_fwd_part, &j);
}

static void dw_bwd_part(void *arg, int tid, int nt)
{
    dw_job *j = arg;
    const dg_conv_geom *g = j->g;
    const long ip = (long)g->H * g->W, op = (long)g->OH * g->OW, kk = g->KH * g->KW;
    /* Split by images so that weight gradients have one writer per thread. */
    long b0, b1;
    dg_part(g->B, tid, nt, &b0, &b1);
    float *dw = j->dw, *db = j->db;
    if (tid > 0) {
        if (dw) {
            dw = j->dw_part[tid] = dg_ctx_scratch(j->ctx, tid, 2, (size_t)g->C * kk);
            memset(dw, 0, sizeof(float) * g->C * kk);
        }
        if (db) {
            db = j->db_part[tid] = dg_ctx_scratch(j->ctx, tid, 3, g->C);
            memset(db, 0, sizeof(float) * g->C);
        }
    }
    for (long b = b0; b < b1; b++)
        for (int c = 0; c < g->C; c++) {
            long q = b * g->C + c;
            const float *x = j->in + q * ip, *d = j->dout + q * op, *k = j->w + c * kk;
            float *dx = j->din ? j->din + q * ip : NULL;
            if (dx)
                memset(dx, 0, sizeof(float) * ip);
            float bsum = 0.0f;
            for (int oh = 0; oh < g->OH; oh++)
                for (int ow = 0; ow < g->OW; ow++) {
                    float gd = d[oh * g->OW + ow];
                    bsum += gd;
                    for (int kh = 0; kh < g->KH; kh++) {
                        int ih = oh * g->SH - g->PH + kh;
                        if (ih < 0 || ih >= g->H)
                            continue;
                        for (int kw = 0; kw < g->KW; kw++) {
                            int iw = ow * g->SW - g->PW + kw;
                            if (iw < 0 || iw >= g->W)
                                continue;
                            if (dw)
                                dw[c * kk + kh * g->KW + kw] += gd * x[ih * g->W + iw];
                            if (dx)
                                dx[ih * g->W + iw] += gd * k[kh * g->KW + kw];
                        }
                    }
                }
            if (db)
                db[c] += bsum;
        }
}

void dg_dwconv2d_backward(dg_ctx *ctx, const dg_conv_geom *g, float *din, float *dw, float *db,
                          const float *dout, const float *in, const float *w)
{
    float *parts[256], *bparts[256];
    dw_job j = {.g = g, .din = din, .dw = dw, .db = db, .dout = dout, .in = in, .w = w,
                .dw_part = parts, .db_part = bparts, .ctx = ctx};
    int T = dg_ctx_threads(ctx);
    int nt = g->B < T ? g->B : T;
    dg_ctx_run(ctx, nt, dw_bwd_part, &j);
    long kk = (long)g->KH * g->KW;
    for (int t = 1; t < nt; t++) {
        if (dw)
            for (long i = 0; i < g->C * kk; i++)
                dw[i] += parts[t][i];
        if (db)
            for (int i = 0; i < g->C; i++)
                db[i] += bparts[t][i];
    }
}

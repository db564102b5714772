/* dg-conv.c: convolution and transposed convolution lowered to GEMMs
 * (im2col / col2im); stride-1 convolutions with few channels on one side go
 * to direct kernels (dg-direct.c), 3x3 stride-1 ones with enough channels to
 * Winograd (dg-winograd.c).
 *
 * A convolution and a transposed convolution are adjoint, so three lowered
 * kernels serve both.  With I the "image side" (a conv's input, a convT's
 * output) seen through the patch geometry, P the "plain side" ([R, HW] per
 * image: a conv's output, a convT's input) and A the weight as a matrix
 * [R, K], K = Ci * KH * KW (conv: [OC, C*k*k]; convT: [C, OC*k*k]):
 *   gather   P[R, N]  = A col(I)[K, N]          conv forward, convT backward-data
 *   scatter  I        = col2im(A^T P[R, N])     conv backward-data, convT forward
 *   wgrad    dA[R, K] += P[R, N] col(I)^T       both backward-weights
 * The batch is split over the context's threads; each thread takes its
 * images in chunks of nb, lays their columns side by side (N = nb * HW) and
 * runs one single-threaded sgemm per chunk, so small feature maps still give
 * the GEMM a wide N ("the batch folded into the GEMM").  Weight gradients are
 * accumulated per thread and summed in thread order (deterministic for a
 * given thread count).  With fewer images than threads the images run in
 * turn and each GEMM is split over the threads instead. */
#include <string.h>

#include "dg-gemm.h"
#include "dg-layers.h"
#include "dg-direct.h"
#include "dg-winograd.h"

/* Columns per GEMM that keep sgemm near its peak, and a cap on the column
 * buffer (floats) so a chunk stays cache-friendly. */
#define TARGET_COLS 1024
#define MAX_COL_FLOATS (2L << 20)

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
    bool pool3; /* the columns of a pooled 3x3 convolution (below), 9 rows per channel */
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

static void im2col_row(const patch_geom *p, const float *src, int kh, int kw, float *dst)
{
    int lo, hi;
    valid_range(kw, p->SW, p->PW, p->Wi, p->Wo, &lo, &hi);
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

static void pool3_im2col(const patch_geom *p, const float *img, int n, float *col, long ld);
static void pool3_col2im(const patch_geom *p, const float *col, long ld, int n, float *img);

static void im2col(const patch_geom *p, const float *img, int n, float *col, long ld)
{
    if (p->pool3) {
        pool3_im2col(p, img, n, col, ld);
        return;
    }
    const long plane = (long)p->Hi * p->Wi, ohw = (long)p->Ho * p->Wo;
    for (int c = 0; c < p->Ci; c++)
        for (int kh = 0; kh < p->KH; kh++)
            for (int kw = 0; kw < p->KW; kw++) {
                float *row = col + ((long)(c * p->KH + kh) * p->KW + kw) * ld;
                for (int j = 0; j < n; j++)
                    im2col_row(p, img + ((long)j * p->Ci + c) * plane, kh, kw, row + j * ohw);
            }
}

/* img (zeroed by the caller) += col2im(col) */
static void col2im(const patch_geom *p, const float *col, long ld, int n, float *img)
{
    if (p->pool3) {
        pool3_col2im(p, col, ld, n, img);
        return;
    }
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
                        else
                            for (int ow = lo; ow < hi; ow++)
                                d[ow * p->SW] += s[ow];
                    }
                }
        }
}

/* ---- a 3x3 stride-1 convolution followed by 2x2 average pooling -------------
 * In Winograd's F(2x2, 3x3) a tile of 2x2 outputs is A^T (U . V) A, so their
 * average is 1/4 a^T (U . V) a with a = A 1 = (1, 2, 0, -1): only the 9
 * transformed values V[i][j], i, j in {0, 1, 3}, of the tile's 4x4 input
 * patch d (V = B^T d B) matter.  So the pooled convolution is one lowered
 * GEMM on columns of 9 values per channel (im2col of a 4x4 stride-2 kernel
 * would take 16) with the weight 1/4 a_i a_j U[i][j] (dg_convpool_weight).
 * Column rows are c * 9 + 3 i' + j' (i', j' indexing {0, 1, 3}). */

/* Tile row ty's 3 x 3 transformed values per tile of one plane: row i',
 * column j' at v[(3 i' + j') * ld + tx]. */
static void pool3_tile_row(const patch_geom *p, const float *x, int ty, float *v, long ld)
{
    float t[4][3][64];
    for (int s0 = 0; s0 < p->Wo; s0 += 64) {
        const int n = p->Wo - s0 < 64 ? p->Wo - s0 : 64;
        for (int r = 0; r < 4; r++) {
            const int ih = 2 * ty - p->PH + r;
            for (int q = 0; q < n; q++) {
                float d[4];
                for (int k = 0; k < 4; k++) {
                    int iw = 2 * (s0 + q) - p->PW + k;
                    d[k] = ih >= 0 && ih < p->Hi && iw >= 0 && iw < p->Wi ? x[(long)ih * p->Wi + iw]
                                                                          : 0.0f;
                }
                t[r][0][q] = d[0] - d[2];
                t[r][1][q] = d[1] + d[2];
                t[r][2][q] = d[1] - d[3];
            }
        }
        for (int k = 0; k < 3; k++) {
            float *v0 = v + (long)k * ld + s0, *v1 = v + (long)(3 + k) * ld + s0;
            float *v3 = v + (long)(6 + k) * ld + s0;
            for (int q = 0; q < n; q++) {
                v0[q] = t[0][k][q] - t[2][k][q];
                v1[q] = t[1][k][q] + t[2][k][q];
                v3[q] = t[1][k][q] - t[3][k][q];
            }
        }
    }
}

static void pool3_im2col(const patch_geom *p, const float *img, int n, float *col, long ld)
{
    const long plane = (long)p->Hi * p->Wi, ohw = (long)p->Ho * p->Wo;
    for (int j = 0; j < n; j++)
        for (int c = 0; c < p->Ci; c++)
            for (int ty = 0; ty < p->Ho; ty++)
                pool3_tile_row(p, img + ((long)j * p->Ci + c) * plane, ty,
                               col + (long)c * 9 * ld + j * ohw + (long)ty * p->Wo, ld);
}

/* img (zeroed by the caller) += the adjoint of pool3_im2col: each tile's
 * d = B dV B^T added into its 4x4 patch. */
static void pool3_col2im(const patch_geom *p, const float *col, long ld, int n, float *img)
{
    const long plane = (long)p->Hi * p->Wi, ohw = (long)p->Ho * p->Wo;
    for (int j = 0; j < n; j++)
        for (int c = 0; c < p->Ci; c++) {
            float *x = img + ((long)j * p->Ci + c) * plane;
            const float *cv = col + (long)c * 9 * ld + j * ohw;
            for (int ty = 0; ty < p->Ho; ty++)
                for (int tx = 0; tx < p->Wo; tx++) {
                    const long t = (long)ty * p->Wo + tx;
                    float dv[3][3], e[4][3];
                    for (int i = 0; i < 9; i++)
                        dv[i / 3][i % 3] = cv[i * ld + t];
                    for (int k = 0; k < 3; k++) { /* rows: B^T's rows 0, 1, 3 transposed */
                        e[0][k] = dv[0][k];
                        e[1][k] = dv[1][k] + dv[2][k];
                        e[2][k] = dv[1][k] - dv[0][k];
                        e[3][k] = -dv[2][k];
                    }
                    for (int r = 0; r < 4; r++) {
                        const int ih = 2 * ty - p->PH + r;
                        if (ih < 0 || ih >= p->Hi)
                            continue;
                        const float dd[4] = {e[r][0], e[r][1] + e[r][2], e[r][1] - e[r][0],
                                             -e[r][2]};
                        for (int s = 0; s < 4; s++) {
                            const int iw = 2 * tx - p->PW + s;
                            if (iw >= 0 && iw < p->Wi)
                                x[(long)ih * p->Wi + iw] += dd[s];
                        }
                    }
                }
        }
}

/* [n, C, HW] (NCHW images) -> [C, n*HW] and back (+ bias per channel). */
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

/* ---- the lowered kernels ------------------------------------------------------ */

typedef enum { LOW_GATHER, LOW_SCATTER, LOW_WGRAD } low_kind;

typedef struct {
    low_kind kind;
    patch_geom p;     /* the image side */
    int B, R;         /* batch, channels of the plain side */
    long K;           /* p.Ci * KH * KW */
    const float *A;   /* [R, K] */
    const float *img_in, *plain_in;
    float *img_out, *plain_out;
    const float *bias;          /* added to the output side */
    float *dA, **dA_part;       /* LOW_WGRAD: += into dA (thread 0) and per-thread partials */
    dg_ctx *ctx;
    bool serial;                /* fewer images than threads: GEMMs split instead */
} low_job;

/* The GEMM of every lowered kernel, C = op(A) op(B) + beta C: on the calling
 * thread, or split over the context's threads when the batch runs serially. */
static void low_gemm(const low_job *j, bool ta, bool tb, int M, int N, int K, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (j->serial)
        dg_gemm_par(j->ctx, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
    else
        dg_gemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

static bool is_pointwise(const patch_geom *p)
{
    return !p->pool3 && p->KH == 1 && p->KW == 1 && p->SH == 1 && p->SW == 1 && p->PH == 0 && p->PW == 0;
}

/* Images per chunk for maps of `cols` GEMM columns per image, with `rows`
 * rows of column buffer. */
static int chunk_images(long cols, long rows, long slice)
{
    long nb = (TARGET_COLS + cols - 1) / cols;
    while (nb > 1 && nb * cols * rows > MAX_COL_FLOATS)
        nb--;
    if (nb > slice)
        nb = slice;
    return nb < 1 ? 1 : (int)nb;
}

/* The columns of images [b, b + n) of the image-side input: [K, n * Ho*Wo]. */
static const float *image_cols(const low_job *j, int tid, long b, int n)
{
    const long hw = (long)j->p.Ho * j->p.Wo, img = (long)j->p.Ci * j->p.Hi * j->p.Wi;
    const float *src = j->img_in + b * img;
    if (is_pointwise(&j->p) && n == 1)
        return src;
    float *col = dg_ctx_scratch(j->ctx, tid, 0, j->K * n * hw);
    if (is_pointwise(&j->p))
        gather_cn(src, n, j->p.Ci, hw, col);
    else
        im2col(&j->p, src, n, col, n * hw);
    return col;
}

/* Images [b, b + n) of the plain-side input as [R, n * HW]. */
static const float *plain_cols(const low_job *j, int tid, long b, int n)
{
    const long hw = (long)j->p.Ho * j->p.Wo;
    const float *src = j->plain_in + b * j->R * hw;
    if (n == 1)
        return src;
    float *t = dg_ctx_scratch(j->ctx, tid, 1, j->R * n * hw);
    gather_cn(src, n, j->R, hw, t);
    return t;
}

static void low_chunk(const low_job *j, int tid, long b, int n, float *dA)
{
    const long hw = (long)j->p.Ho * j->p.Wo, N = n * hw;
    const long img = (long)j->p.Ci * j->p.Hi * j->p.Wi;
    switch (j->kind) {
    case LOW_GATHER: {
        const float *col = image_cols(j, tid, b, n);
        float *out = j->plain_out + b * j->R * hw;
        float *dst = n == 1 ? out : dg_ctx_scratch(j->ctx, tid, 1, j->R * N);
        low_gemm(j, false, false, j->R, (int)N, (int)j->K, j->A, (int)j->K, col, (int)N, 0.0f, dst,
                 (int)N);
        if (n == 1)
            add_bias(out, j->bias, 1, j->R, hw);
        else
            scatter_cn(dst, n, j->R, hw, j->bias, out);
        break;
    }
    case LOW_SCATTER: {
        const float *X = plain_cols(j, tid, b, n);
        float *out = j->img_out + b * img;
        bool pw = is_pointwise(&j->p);
        float *dcol = pw && n == 1 ? out : dg_ctx_scratch(j->ctx, tid, 0, j->K * N);
        low_gemm(j, true, false, (int)j->K, (int)N, j->R, j->A, (int)j->K, X, (int)N, 0.0f, dcol,
                 (int)N);
        if (pw && n > 1) {
            scatter_cn(dcol, n, j->p.Ci, hw, j->bias, out);
        } else if (pw) {
            add_bias(out, j->bias, 1, j->p.Ci, hw);
        } else {
            memset(out, 0, sizeof(float) * n * img);
            col2im(&j->p, dcol, N, n, out);
            add_bias(out, j->bias, n, j->p.Ci, (long)j->p.Hi * j->p.Wi);
        }
        break;
    }
    case LOW_WGRAD: {
        const float *P = plain_cols(j, tid, b, n);
        const float *col = image_cols(j, tid, b, n);
        low_gemm(j, false, true, j->R, (int)j->K, (int)N, P, (int)N, col, (int)N, 1.0f, dA,
                 (int)j->K);
        break;
    }
    }
}

static void low_range(const low_job *j, int tid, long b0, long b1, float *dA)
{
    const long hw = (long)j->p.Ho * j->p.Wo;
    long rows = j->kind == LOW_SCATTER ? j->K : j->K + j->R;
    int nb = chunk_images(hw, rows, b1 - b0);
    for (long b = b0; b < b1; b += nb)
        low_chunk(j, tid, b, (int)(b1 - b < nb ? b1 - b : nb), dA);
}

static void low_part(void *arg, int tid, int nt)
{
    low_job *j = arg;
    long b0, b1;
    dg_part(j->B, tid, nt, &b0, &b1);
    float *dA = j->dA;
    if (j->kind == LOW_WGRAD && tid > 0) {
        dA = j->dA_part[tid] = dg_ctx_scratch(j->ctx, tid, 2, (size_t)(j->R * j->K));
        memset(dA, 0, sizeof(float) * j->R * j->K);
    }
    low_range(j, tid, b0, b1, dA);
}

static void low_run(low_job *j)
{
    int T = dg_ctx_threads(j->ctx);
    if (j->B < T) {
        j->serial = true;
        for (long i = 0; i < j->B; i++)
            low_range(j, 0, i, i + 1, j->dA);
        return;
    }
    float *parts[256];
    j->dA_part = parts;
    int nt = T < 256 ? T : 256;
    dg_ctx_run(j->ctx, nt, low_part, j);
    if (j->kind == LOW_WGRAD) /* the partials, in thread order */
        for (int t = 1; t < nt; t++)
            dg_vec_add(j->ctx, j->dA, parts[t], (long)j->R * j->K);
}

/* Bias gradient: db[c] += sum over images and positions of dout[b, c, :],
 * per channel in a fixed order whatever the thread count. */
typedef struct {
    float *db;
    const float *dout;
    int B, C;
    long HW;
} bias_job;

static void bias_part(void *arg, int tid, int nt)
{
    const bias_job *j = arg;
    long c0, c1;
    dg_part(j->C, tid, nt, &c0, &c1);
    for (long c = c0; c < c1; c++) {
        double s = 0.0;
        for (int b = 0; b < j->B; b++)
            s += dg_sum(j->dout + ((long)b * j->C + c) * j->HW, j->HW);
        j->db[c] += (float)s;
    }
}

static void bias_grad(dg_ctx *ctx, float *db, const float *dout, int B, int C, long HW)
{
    if (!db)
        return;
    bias_job j = {db, dout, B, C, HW};
    dg_ctx_run(ctx, (long)B * C * HW < 65536 ? 1 : 0, bias_part, &j);
}

/* ---- conv2d and convt2d ----------------------------------------------------- */

/* A convolution whose kernel covers its whole (unpadded) input, and a
 * transposed convolution of a 1x1 input, are dense layers: one GEMM on the
 * NCHW tensors as they are, with the batch as M (the discriminator's 4x4
 * head, the generator's first layer). */
static bool conv_is_dense(const dg_conv_geom *g)
{
    return g->OH == 1 && g->OW == 1 && g->PH == 0 && g->PW == 0 && g->KH == g->H &&
           g->KW == g->W;
}

static bool convt_is_dense(const dg_conv_geom *g)
{
    return g->H == 1 && g->W == 1 && g->PH == 0 && g->PW == 0;
}

static low_job conv_lowering(dg_ctx *ctx, const dg_conv_geom *g, low_kind kind, const float *w)
{
    low_job j = {.kind = kind, .B = g->B, .R = g->OC, .A = w, .ctx = ctx};
    j.p = (patch_geom){g->C, g->H, g->W, g->OH, g->OW, g->KH, g->KW, g->SH, g->SW, g->PH, g->PW,
                       false};
    j.K = (long)g->C * g->KH * g->KW;
    return j;
}

static low_job convt_lowering(dg_ctx *ctx, const dg_conv_geom *g, low_kind kind, const float *w)
{
    low_job j = {.kind = kind, .B = g->B, .R = g->C, .A = w, .ctx = ctx};
    j.p = (patch_geom){g->OC, g->OH, g->OW, g->H, g->W, g->KH, g->KW, g->SH, g->SW, g->PH, g->PW,
                       false};
    j.K = (long)g->OC * g->KH * g->KW;
    return j;
}

void dg_conv2d_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                       const float *w, const float *b)
{
    const int K = g->C * g->KH * g->KW;
    if (conv_is_dense(g)) {
        dg_gemm_par(ctx, false, true, g->B, g->OC, K, 1.0f, in, K, w, K, 0.0f, out, g->OC);
        add_bias(out, b, g->B, g->OC, 1);
        return;
    }
    if (dg_direct_suits(g, DG_DIRECT_FORWARD)) {
        dg_direct_forward(ctx, g, out, in, w, b);
        return;
    }
    if (dg_wino_suits(g, DG_WINO_FORWARD)) {
        dg_wino_forward(ctx, g, out, in, w, b);
        return;
    }
    low_job j = conv_lowering(ctx, g, LOW_GATHER, w);
    j.img_in = in, j.plain_out = out, j.bias = b;
    low_run(&j);
}

void dg_conv2d_backward_data(dg_ctx *ctx, const dg_conv_geom *g, float *din, const float *dout,
                             const float *w)
{
    const int K = g->C * g->KH * g->KW;
    if (conv_is_dense(g)) {
        dg_gemm_par(ctx, false, false, g->B, K, g->OC, 1.0f, dout, g->OC, w, K, 0.0f, din, K);
        return;
    }
    if (dg_direct_suits(g, DG_DIRECT_DATA)) {
        dg_direct_backward_data(ctx, g, din, dout, w);
        return;
    }
    if (dg_wino_suits(g, DG_WINO_DATA)) {
        dg_wino_backward_data(ctx, g, din, dout, w);
        return;
    }
    low_job j = conv_lowering(ctx, g, LOW_SCATTER, w);
    j.plain_in = dout, j.img_out = din;
    low_run(&j);
}

void dg_conv2d_backward_weight(dg_ctx *ctx, const dg_conv_geom *g, float *dw, float *db,
                               const float *dout, const float *in)
{
    bias_grad(ctx, db, dout, g->B, g->OC, (long)g->OH * g->OW);
    if (!dw)
        return;
    const int K = g->C * g->KH * g->KW;
    if (conv_is_dense(g)) {
        dg_gemm_par(ctx, true, false, g->OC, K, g->B, 1.0f, dout, g->OC, in, K, 1.0f, dw, K);
        return;
    }
    if (dg_direct_suits(g, DG_DIRECT_WEIGHT)) {
        dg_direct_backward_weight(ctx, g, dw, dout, in);
        return;
    }
    if (dg_wino_suits(g, DG_WINO_WEIGHT)) {
        dg_wino_backward_weight(ctx, g, dw, dout, in);
        return;
    }
    low_job j = conv_lowering(ctx, g, LOW_WGRAD, NULL);
    j.plain_in = dout, j.img_in = in, j.dA = dw;
    low_run(&j);
}

void dg_conv2d_backward(dg_ctx *ctx, const dg_conv_geom *g, float *din, float *dw, float *db,
                        const float *dout, const float *in, const float *w)
{
    dg_conv2d_backward_weight(ctx, g, dw, db, dout, in);
    if (din)
        dg_conv2d_backward_data(ctx, g, din, dout, w);
}

void dg_convt2d_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                        const float *w, const float *b)
{
    const int OKK = g->OC * g->KH * g->KW;
    if (convt_is_dense(g)) {
        dg_gemm_par(ctx, false, false, g->B, OKK, g->C, 1.0f, in, g->C, w, OKK, 0.0f, out, OKK);
        add_bias(out, b, g->B, g->OC, (long)g->KH * g->KW);
        return;
    }
    low_job j = convt_lowering(ctx, g, LOW_SCATTER, w);
    j.plain_in = in, j.img_out = out, j.bias = b;
    low_run(&j);
}

void dg_convt2d_backward_data(dg_ctx *ctx, const dg_conv_geom *g, float *din, const float *dout,
                              const float *w)
{
    const int OKK = g->OC * g->KH * g->KW;
    if (convt_is_dense(g)) {
        dg_gemm_par(ctx, false, true, g->B, g->C, OKK, 1.0f, dout, OKK, w, OKK, 0.0f, din, g->C);
        return;
    }
    low_job j = convt_lowering(ctx, g, LOW_GATHER, w);
    j.img_in = dout, j.plain_out = din;
    low_run(&j);
}

void dg_convt2d_backward_weight(dg_ctx *ctx, const dg_conv_geom *g, float *dw, float *db,
                                const float *dout, const float *in)
{
    bias_grad(ctx, db, dout, g->B, g->OC, (long)g->OH * g->OW);
    if (!dw)
        return;
    const int OKK = g->OC * g->KH * g->KW;
    if (convt_is_dense(g)) {
        dg_gemm_par(ctx, true, false, g->C, OKK, g->B, 1.0f, in, g->C, dout, OKK, 1.0f, dw, OKK);
        return;
    }
    low_job j = convt_lowering(ctx, g, LOW_WGRAD, NULL);
    j.plain_in = in, j.img_in = dout, j.dA = dw;
    low_run(&j);
}

void dg_convt2d_backward(dg_ctx *ctx, const dg_conv_geom *g, float *din, float *dw, float *db,
                         const float *dout, const float *in, const float *w)
{
    dg_convt2d_backward_weight(ctx, g, dw, db, dout, in);
    if (din)
        dg_convt2d_backward_data(ctx, g, din, dout, w);
}

/* ---- pooled 3x3 convolutions ------------------------------------------------- */

static low_job convpool_lowering(dg_ctx *ctx, const dg_conv_geom *g, low_kind kind,
                                 const float *wt)
{
    low_job j = {.kind = kind, .B = g->B, .R = g->OC, .A = wt, .ctx = ctx};
    j.p = (patch_geom){g->C, g->H, g->W, g->OH / 2, g->OW / 2, 3, 3, 1, 1, g->PH, g->PW, true};
    j.K = 9L * g->C;
    return j;
}

/* G g G^T's entries i, j in {0, 1, 3} (G as in dg-winograd.c), times
 * 1/4 a_i a_j with a = (1, 2, -1) on those entries. */
static const float pool3_scale[3] = {1.0f, 2.0f, -1.0f};

void dg_convpool_weight(float *wt, const float *w, int OC, int C)
{
    for (long q = 0; q < (long)OC * C; q++) {
        const float *g = w + q * 9;
        float h[3][3]; /* g G^T, columns 0, 1, 3 */
        for (int r = 0; r < 3; r++) {
            h[r][0] = g[3 * r];
            h[r][1] = 0.5f * (g[3 * r] + g[3 * r + 1] + g[3 * r + 2]);
            h[r][2] = g[3 * r + 2];
        }
        float *u = wt + q * 9;
        for (int k = 0; k < 3; k++) {
            float u0 = h[0][k], u1 = 0.5f * (h[0][k] + h[1][k] + h[2][k]), u3 = h[2][k];
            u[k] = 0.25f * pool3_scale[0] * pool3_scale[k] * u0;
            u[3 + k] = 0.25f * pool3_scale[1] * pool3_scale[k] * u1;
            u[6 + k] = 0.25f * pool3_scale[2] * pool3_scale[k] * u3;
        }
    }
}

void dg_convpool_weight_grad(float *dw, const float *dwt, int OC, int C)
{
    for (long q = 0; q < (long)OC * C; q++) {
        const float *d = dwt + q * 9;
        float du[3][3]; /* dU at i, j in {0, 1, 3}; the others are 0 */
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 3; k++)
                du[i][k] = 0.25f * pool3_scale[i] * pool3_scale[k] * d[3 * i + k];
        float pr[3][3]; /* rows 0, 1, 3 of dU G */
        for (int i = 0; i < 3; i++) {
            pr[i][0] = du[i][0] + 0.5f * du[i][1];
            pr[i][1] = 0.5f * du[i][1];
            pr[i][2] = 0.5f * du[i][1] + du[i][2];
        }
        float *o = dw + q * 9;
        for (int b = 0; b < 3; b++) { /* G^T (dU G), G's rows 0, 1, 3 */
            o[b] += pr[0][b] + 0.5f * pr[1][b];
            o[3 + b] += 0.5f * pr[1][b];
            o[6 + b] += 0.5f * pr[1][b] + pr[2][b];
        }
    }
}

void dg_convpool_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                         const float *wt, const float *b)
{
    low_job j = convpool_lowering(ctx, g, LOW_GATHER, wt);
    j.img_in = in, j.plain_out = out, j.bias = b;
    low_run(&j);
}

void dg_convpool_backward_data(dg_ctx *ctx, const dg_conv_geom *g, float *din, const float *dout,
                               const float *wt)
{
    low_job j = convpool_lowering(ctx, g, LOW_SCATTER, wt);
    j.plain_in = dout, j.img_out = din;
    low_run(&j);
}

void dg_convpool_backward_weight(dg_ctx *ctx, const dg_conv_geom *g, float *dwt, float *db,
                                 const float *dout, const float *in)
{
    bias_grad(ctx, db, dout, g->B, g->OC, (long)(g->OH / 2) * (g->OW / 2));
    if (!dwt)
        return;
    low_job j = convpool_lowering(ctx, g, LOW_WGRAD, NULL);
    j.plain_in = dout, j.img_in = in, j.dA = dwt;
    low_run(&j);
}

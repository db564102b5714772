/* dg-layers.h: layers as explicit forward/backward function pairs.
 *
 * Conventions (llm.c style):
 *  - tensors are plain float arrays, NCHW, batch B first; sizes are passed in;
 *  - forward writes its output (=);
 *  - backward writes the input gradient din (=, it may be NULL when not
 *    wanted) and ADDS parameter gradients (+=), so gradients of several
 *    backward passes accumulate until the optimizer step;
 *  - every function takes the execution context first and spreads its work
 *    over the context's threads (see dg-ctx.h).
 *
 * Weight layouts follow PyTorch, so that models and reference checks line up:
 *  conv2d  w[OC, C, KH, KW]      convt2d w[C, OC, KH, KW]
 *  dwconv  w[C, 1, KH, KW]       dense   w[OUT, IN]
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "dg-ctx.h"
#include "dg-rng.h"

/* Geometry of a convolution from [B, C, H, W] to [B, OC, OH, OW].
 * conv2d:  OH = (H + 2 PH - KH) / SH + 1
 * convt2d: OH = (H - 1) SH - 2 PH + KH   (the adjoint of the conv OH -> H) */
typedef struct {
    int B, C, H, W;
    int OC, OH, OW;
    int KH, KW, SH, SW, PH, PW;
} dg_conv_geom;

dg_conv_geom dg_conv_geom_make(int B, int C, int H, int W, int OC, int k, int stride, int pad);
dg_conv_geom dg_convt_geom_make(int B, int C, int H, int W, int OC, int k, int stride, int pad);

/* 2-D convolution; b may be NULL (no bias).  Backward is two passes:
 * _backward_data writes din, _backward_weight adds to dw and db (either may
 * be NULL); _backward does both (din, dw, db may each be NULL). */
void dg_conv2d_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                       const float *w, const float *b);
void dg_conv2d_backward_data(dg_ctx *ctx, const dg_conv_geom *g, float *din, const float *dout,
                             const float *w);
void dg_conv2d_backward_weight(dg_ctx *ctx, const dg_conv_geom *g, float *dw, float *db,
                               const float *dout, const float *in);
void dg_conv2d_backward(dg_ctx *ctx, const dg_conv_geom *g, float *din, float *dw, float *db,
                        const float *dout, const float *in, const float *w);

/* A 3x3 stride-1 convolution (g, padding 0..2) followed by 2x2 stride-2
 * average pooling, as one lowered GEMM on Winograd F(2x2, 3x3) tiles (9
 * values per channel and pooled output instead of im2col's 16 for the
 * equivalent 4x4 stride-2 convolution; dg-conv.c).  out is [B, OC, OH/2,
 * OW/2].  The GEMMs take the weight as wt [OC, C, 9] = dg_convpool_weight(w);
 * dg_convpool_weight_grad adds the gradient for w from wt's gradient. */
void dg_convpool_weight(float *wt, const float *w, int OC, int C);
void dg_convpool_weight_grad(float *dw, const float *dwt, int OC, int C);
void dg_convpool_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                         const float *wt, const float *b);
void dg_convpool_backward_data(dg_ctx *ctx, const dg_conv_geom *g, float *din, const float *dout,
                               const float *wt);
void dg_convpool_backward_weight(dg_ctx *ctx, const dg_conv_geom *g, float *dwt, float *db,
                                 const float *dout, const float *in);

/* Transposed 2-D convolution (PyTorch ConvTranspose2d, no output padding). */
void dg_convt2d_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                        const float *w, const float *b);
void dg_convt2d_backward_data(dg_ctx *ctx, const dg_conv_geom *g, float *din, const float *dout,
                              const float *w);
void dg_convt2d_backward_weight(dg_ctx *ctx, const dg_conv_geom *g, float *dw, float *db,
                                const float *dout, const float *in);
void dg_convt2d_backward(dg_ctx *ctx, const dg_conv_geom *g, float *din, float *dw, float *db,
                         const float *dout, const float *in, const float *w);

/* Depthwise 2-D convolution (groups = C, OC = C). */
void dg_dwconv2d_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                         const float *w, const float *b);
void dg_dwconv2d_backward(dg_ctx *ctx, const dg_conv_geom *g, float *din, float *dw, float *db,
                          const float *dout, const float *in, const float *w);

/* Dense: out[B, OUT] = in[B, IN] w^T + b. */
void dg_dense_forward(dg_ctx *ctx, float *out, const float *in, const float *w, const float *b,
                      int B, int IN, int OUT);
void dg_dense_backward(dg_ctx *ctx, float *din, float *dw, float *db, const float *dout,
                       const float *in, const float *w, int B, int IN, int OUT);

/* Batch normalization over (B, HW) per channel (dg-norm.c).  Training mode
 * normalizes with the batch statistics, saves mean and invstd for backward
 * and updates the running statistics (unbiased variance, PyTorch
 * semantics): run = (1 - momentum) run + momentum batch.  Evaluation mode
 * uses the running statistics (and saves them as mean and invstd).
 * With labels, the batch norm is class-conditional: y = gamma[label_b, c] *
 * xhat + beta[label_b, c] with per-class tables gamma, beta [K, C]
 * (BigGAN-style); without, gamma and beta are [C].  act applies an
 * activation to the output in the same pass; backward then takes the
 * gradient of the activation's output and reads that output (out). */
typedef enum { DG_ACT_NONE, DG_ACT_RELU, DG_ACT_LRELU } dg_act;
typedef struct {
    const float *gamma, *beta;
    const int *labels;          /* NULL: plain batch norm */
    float *run_mean, *run_var;  /* run_mean NULL: not updated */
    float eps, momentum;
    dg_act act;
    float slope;                /* DG_ACT_LRELU */
} dg_bn_params;
void dg_bn_forward(dg_ctx *ctx, const dg_bn_params *p, float *out, float *mean, float *invstd,
                   const float *in, int B, int C, int HW, bool train);
/* din (may be NULL) is written; dgamma and dbeta (both NULL or neither) are
 * added to. */
void dg_bn_backward(dg_ctx *ctx, const dg_bn_params *p, float *din, float *dgamma, float *dbeta,
                    const float *dout, const float *out, const float *in, const float *mean,
                    const float *invstd, int B, int C, int HW, bool train);

/* Elementwise activations.  Backward uses the forward OUTPUT y, so the
 * forward may run in place (out == in). */
void dg_relu_forward(dg_ctx *ctx, float *out, const float *in, long n);
void dg_relu_backward(dg_ctx *ctx, float *din, const float *dout, const float *y, long n);
void dg_lrelu_forward(dg_ctx *ctx, float *out, const float *in, long n, float slope);
void dg_lrelu_backward(dg_ctx *ctx, float *din, const float *dout, const float *y, long n,
                       float slope);
void dg_tanh_forward(dg_ctx *ctx, float *out, const float *in, long n);
void dg_tanh_backward(dg_ctx *ctx, float *din, const float *dout, const float *y, long n);
void dg_sigmoid_forward(dg_ctx *ctx, float *out, const float *in, long n);
void dg_sigmoid_backward(dg_ctx *ctx, float *din, const float *dout, const float *y, long n);

/* Pooling over k x k windows with stride s and padding p:
 * OH = (H + 2p - k) / s + 1.  Max-pool pads with -inf and records the
 * argmax (index into the input plane, -1 when the window is all padding);
 * average pool divides by k*k (padding counts as zero). */
void dg_maxpool_forward(dg_ctx *ctx, float *out, int32_t *argmax, const float *in, int B, int C,
                        int H, int W, int k, int s, int p);
void dg_maxpool_backward(dg_ctx *ctx, float *din, const float *dout, const int32_t *argmax,
                         int B, int C, int H, int W, int k, int s, int p);
void dg_avgpool_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int H, int W,
                        int k, int s, int p);
void dg_avgpool_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int H, int W,
                         int k, int s, int p);
void dg_gap_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int HW);
void dg_gap_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int HW);
/* Nearest-neighbour upsampling by f: [B, C, H, W] -> [B, C, H*f, W*f]; the
 * backward pass writes din (each input gets the sum of its f*f copies). */
void dg_upsample_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int H, int W,
                         int f);
void dg_upsample_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int H, int W,
                          int f);

/* Reflection padding by p: [B, C, H, W] -> [B, C, H+2p, W+2p]; the backward
 * pass writes din (each input gets the sum of the gradients of its copies). */
/* [B, C, H, W] -> [B, C + 1, H, W]: the input and the radial distance from
 * the centre (dg_net_coords); the backward keeps the input's C channels. */
void dg_coords_forward(float *out, const float *in, int B, int C, int H, int W);
void dg_coords_backward(float *din, const float *dout, int B, int C, int H, int W);
/* Noise injection (dg_net_noise): out = in + scale[c] * noise[b, p], the
 * noise planes drawn from a hash of z (B rows of zlen floats) and salt and
 * kept in noise [B, HW] for the backward, which adds to dscale and copies
 * dout to din (din may be dout). */
void dg_noise_forward(float *out, float *noise, const float *in, const float *scale,
                      const float *z, long zlen, int B, int C, int HW, uint64_t salt);
void dg_noise_backward(float *din, float *dscale, const float *dout, const float *noise, int B,
                       int C, int HW);
void dg_pad_reflect_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int H, int W,
                            int p);
/* dg_coords_forward then dg_pad_reflect_forward in one pass (out [B, C + 1,
 * H + 2p, W + 2p]); the backward gives the input's gradient (the coordinate
 * plane has none). */
void dg_coords_pad_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int H, int W,
                           int p);
void dg_coords_pad_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int H,
                            int W, int p);
void dg_pad_reflect_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int H,
                             int W, int p);

/* Inverted dropout: mask[i] is 0 or 1/(1-p); out = in * mask (in place ok). */
void dg_dropout_forward(float *out, float *mask, const float *in, long n, float p, dg_rng *rng);
void dg_dropout_backward(float *din, const float *dout, const float *mask, long n);

/* Residual add: out = a + b; backward hands dout to both inputs. */
void dg_add_forward(dg_ctx *ctx, float *out, const float *a, const float *b, long n);

/* Class embedding: out[b, :] = table[labels[b], :] (table [K, D]). */
void dg_embed_forward(float *out, const float *table, const int *labels, int B, int D);
void dg_embed_backward(float *dtable, const float *dout, const int *labels, int B, int D);

/* Channel concatenation of a [B, C1, HW] and b [B, C2, HW]. */
void dg_concat_forward(float *out, const float *a, const float *b, int B, int C1, int C2, int HW);
void dg_concat_backward(float *da, float *db, const float *dout, int B, int C1, int C2, int HW);

/* Projection conditioning (Miyato & Koyama 2018): out[b] = <table[y_b], h[b]>,
 * h [B, D], table [K, D]. */
void dg_project_forward(float *out, const float *h, const float *table, const int *labels, int B,
                        int D);
void dg_project_backward(float *dh, float *dtable, const float *dout, const float *h,
                         const float *table, const int *labels, int B, int D);

/* Helpers used by the kernels and tests. */
float dg_exp_approx(float x); /* the vectorizable exp used by tanh and sigmoid */
void dg_vec_add(dg_ctx *ctx, float *y, const float *x, long n); /* y += x */
void dg_vec_zero(dg_ctx *ctx, float *x, long n);
/* Sum of x[0..n) in a fixed order (16 float lanes, then the lanes and the
 * blocks in double): vectorized, and the same value whatever the caller. */
double dg_sum(const float *x, long n);
/* Sum of (x[i] - m)^2, the same way. */
double dg_sum_sqdev(const float *x, long n, float m);

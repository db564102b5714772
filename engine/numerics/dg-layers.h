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

/* 2-D convolution; b may be NULL (no bias). */
void dg_conv2d_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                       const float *w, const float *b);
void dg_conv2d_backward(dg_ctx *ctx, const dg_conv_geom *g, float *din, float *dw, float *db,
                        const float *dout, const float *in, const float *w);

/* Transposed 2-D convolution (PyTorch ConvTranspose2d, no output padding). */
void dg_convt2d_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                        const float *w, const float *b);
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

/* Batch normalization over (B, HW) per channel.  Training mode normalizes
 * with the batch statistics, saves mean and invstd for backward and updates
 * the running statistics (unbiased variance, PyTorch semantics):
 *   run = (1 - momentum) run + momentum batch.
 * Evaluation mode uses the running statistics. */
void dg_bn_forward_train(dg_ctx *ctx, float *out, float *mean, float *invstd, float *run_mean,
                         float *run_var, const float *in, const float *gamma, const float *beta,
                         int B, int C, int HW, float eps, float momentum);
void dg_bn_forward_eval(dg_ctx *ctx, float *out, const float *in, const float *gamma,
                        const float *beta, const float *run_mean, const float *run_var, int B,
                        int C, int HW, float eps);
void dg_bn_backward_train(dg_ctx *ctx, float *din, float *dgamma, float *dbeta,
                          const float *dout, const float *in, const float *mean,
                          const float *invstd, const float *gamma, int B, int C, int HW);
void dg_bn_backward_eval(dg_ctx *ctx, float *din, float *dgamma, float *dbeta, const float *dout,
                         const float *in, const float *gamma, const float *run_mean,
                         const float *run_var, int B, int C, int HW, float eps);

/* Class-conditional batch norm: normalized with the batch statistics (or the
 * running ones), then y = gamma[label_b, c] * xhat + beta[label_b, c] with
 * per-class tables gamma, beta [K, C] (BigGAN-style conditioning). */
void dg_cbn_forward(dg_ctx *ctx, float *out, float *mean, float *invstd, float *run_mean,
                    float *run_var, const float *in, const float *gamma, const float *beta,
                    const int *labels, int B, int C, int HW, float eps, float momentum, bool train);
void dg_cbn_backward(dg_ctx *ctx, float *din, float *dgamma, float *dbeta, const float *dout,
                     const float *in, const float *mean, const float *invstd, const float *gamma,
                     const int *labels, int B, int C, int HW, bool train);

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

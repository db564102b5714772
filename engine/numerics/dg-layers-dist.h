/* dg-layers-dist.h: batch normalization over a batch split across processes
 * (data-parallel training; dg-layers-dist.c).
 *
 * The same layers as dg_bn_* and dg_cbn_* in training mode, with the same
 * arguments and the same arithmetic, for when this process holds only a
 * part of the batch: the per-channel sums are added over the processes with
 * the context's sum function (dg_ctx_set_sum) before they are used, so every
 * process normalizes with the statistics of the whole batch (forward: the
 * sum, then the sum of squared deviations from the whole batch's mean;
 * backward: the sums of dy and dy * xhat).  Parameter gradients stay this
 * process's part: the gradient sum before the update adds them up.
 * dg-layers.c calls these when the context has a sum function. */
#pragma once
#include <stdbool.h>

#include "dg-ctx.h"

void dg_bn_forward_train_dist(dg_ctx *ctx, float *out, float *mean, float *invstd,
                              float *run_mean, float *run_var, const float *in, const float *gamma,
                              const float *beta, int B, int C, int HW, float eps, float momentum);
void dg_bn_backward_train_dist(dg_ctx *ctx, float *din, float *dgamma, float *dbeta,
                               const float *dout, const float *in, const float *mean,
                               const float *invstd, const float *gamma, int B, int C, int HW);
void dg_cbn_forward_train_dist(dg_ctx *ctx, float *out, float *mean, float *invstd,
                               float *run_mean, float *run_var, const float *in,
                               const float *gamma, const float *beta, const int *labels, int B,
                               int C, int HW, float eps, float momentum);
void dg_cbn_backward_train_dist(dg_ctx *ctx, float *din, float *dgamma, float *dbeta,
                                const float *dout, const float *in, const float *mean,
                                const float *invstd, const float *gamma, const int *labels, int B,
                                int C, int HW);

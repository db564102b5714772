/* dg-optim.h: optimizer updates on flat parameter ranges. */
#pragma once
#include <stdint.h>

#include "dg-ctx.h"

typedef enum { DG_OPT_ADAM, DG_OPT_ADAMW, DG_OPT_SGD } dg_opt_kind;

typedef struct {
    dg_opt_kind kind;
    float lr;
    float beta1, beta2, eps;  /* Adam/AdamW */
    float momentum;           /* SGD */
    int nesterov;             /* SGD */
    float weight_decay;       /* Adam, SGD: L2 added to the gradient; AdamW: decoupled */
    int64_t t;                /* steps taken (bias correction); advanced by the caller */
} dg_opt;

void dg_opt_adam(dg_opt *o, float lr, float beta1, float beta2);
void dg_opt_sgd(dg_opt *o, float lr, float momentum);

/* One update of n parameters.  m and v are the optimizer moments (v unused
 * by SGD); decay says whether weight decay applies to this range.  o->t must
 * already count this step (t >= 1). */
void dg_opt_update(dg_ctx *ctx, const dg_opt *o, float *param, const float *grad, float *m,
                   float *v, long n, int decay);

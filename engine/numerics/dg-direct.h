/* dg-direct.h: direct stride-1 convolutions (odd square kernels up to 7x7)
 * whose GEMMs would have only a few rows, numerics-internal: a generator's
 * last layer (to 3 colour channels).  Each output row is a sum of shifted input
 * rows scaled by one weight, vectorized along the row; the weight gradient
 * is dot products of shifted rows. */
#pragma once
#include <stdbool.h>

#include "dg-layers.h"

/* At most this many channels on the few side. */
#define DG_DIRECT_MAX 4

typedef enum { DG_DIRECT_FORWARD, DG_DIRECT_DATA, DG_DIRECT_WEIGHT } dg_direct_pass;
/* At most DG_DIRECT_MAX output channels (measured with bench-conv and
 * bench-gan --profile).  DG_NO_DIRECT in the environment turns the path
 * off, for comparisons. */
bool dg_direct_suits(const dg_conv_geom *g, dg_direct_pass pass);

void dg_direct_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                       const float *w, const float *b);
void dg_direct_backward_data(dg_ctx *ctx, const dg_conv_geom *g, float *din, const float *dout,
                             const float *w);
/* dw += the weight gradient (no bias gradient here). */
void dg_direct_backward_weight(dg_ctx *ctx, const dg_conv_geom *g, float *dw, const float *dout,
                               const float *in);

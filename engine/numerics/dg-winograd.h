/* dg-winograd.h: 3x3 stride-1 convolutions by Winograd's minimal filtering
 * algorithm F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional
 * Neural Networks", CVPR 2016), numerics-internal.
 *
 * Every 2x2 block of outputs ("tile") is A^T [(G g G^T) . (B^T d B)] A for
 * its 4x4 input patch d: per tile, 16 products per channel pair instead of
 * 36.  Filters, input patches and output tiles are transformed apart, and the
 * 16 products of all the tiles of a chunk become 16 GEMMs
 * M[xi][OC, tiles] = U[xi][OC, C] V[xi][C, tiles], so the multiplications
 * still run in sgemm with the batch folded in.  The input gradient is the
 * same algorithm on dout with the flipped, transposed filters (padding
 * 2 - pad); the weight gradient is G^T (sum over tiles of
 * (A dout_tile A^T) . V) G, again 16 GEMMs.  Tiles are split over the
 * context's threads in whole tile rows; weight gradients are summed per
 * thread, then in thread order.
 *
 * Rounding differs from direct convolution by a few units in the last
 * place (the transforms only add, subtract and halve). */
#pragma once
#include <stdbool.h>

#include "dg-layers.h"

/* Whether dg_conv2d_* take this path for a pass of a convolution: 3x3,
 * stride 1, padding 0..2, at least 8 input channels and 8x8 outputs; the
 * weight gradient of maps under 16x16 with more than 64x64 channel pairs
 * stays with im2col (measured with bench-conv: the 16 small GEMMs then lose
 * to one large one).  The environment variable DG_NO_WINOGRAD turns the path
 * off, for comparisons. */
typedef enum { DG_WINO_FORWARD, DG_WINO_DATA, DG_WINO_WEIGHT } dg_wino_pass;
bool dg_wino_suits(const dg_conv_geom *g, dg_wino_pass pass);

void dg_wino_forward(dg_ctx *ctx, const dg_conv_geom *g, float *out, const float *in,
                     const float *w, const float *b);
void dg_wino_backward_data(dg_ctx *ctx, const dg_conv_geom *g, float *din, const float *dout,
                           const float *w);
/* dw += the weight gradient (no bias gradient here). */
void dg_wino_backward_weight(dg_ctx *ctx, const dg_conv_geom *g, float *dw, const float *dout,
                             const float *in);

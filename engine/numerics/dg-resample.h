/* dg-resample.h: 2x bilinear upsampling (PyTorch's
 * interpolate(scale_factor=2, mode="bilinear", align_corners=False)).
 *
 * Per axis, output 2i   = 0.75 x[i] + 0.25 x[i-1],
 *           output 2i+1 = 0.75 x[i] + 0.25 x[i+1],
 * with the border sample repeated.  Nearest-neighbour upsampling is a box
 * filter that leaves strong copies of the image spectrum at the new high
 * frequencies (the periodic "dot" artifacts of a generator that upsamples
 * several times); this tent filter attenuates them much more (StyleGAN's
 * filtered upsampling, Karras et al. 2019/2021, is the same idea). */
#pragma once
#include "dg-ctx.h"

void dg_upbilinear_forward(dg_ctx *ctx, float *out, const float *in, int B, int C, int H, int W);
/* din = the transpose applied to dout (din is written, not accumulated). */
void dg_upbilinear_backward(dg_ctx *ctx, float *din, const float *dout, int B, int C, int H,
                            int W);

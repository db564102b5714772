/* gan-test-util.h: the tiny two-class data set of the GAN tests. */
#pragma once
#include "numerics/dg-rng.h"

/* Two classes of 32x32 images: reddish and bluish, with noise. */
static inline void make_batch(dg_rng *r, float *x, int *y, int B)
{
    const int S = 32;
    for (int b = 0; b < B; b++) {
        y[b] = (int)dg_rng_below(r, 2);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < S * S; i++) {
                /* class 0: R 0.6, B -0.6; class 1: R -0.6, B 0.6; G -0.2 */
                float base = c == 1 ? -0.2f : ((c == 0) == (y[b] == 0) ? 0.6f : -0.6f);
                x[(b * 3 + c) * S * S + i] = base + 0.15f * dg_rng_normal(r);
            }
    }
}

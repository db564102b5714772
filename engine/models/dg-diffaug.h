/* dg-diffaug.h: differentiable augmentation for GAN training (Zhao et al.
 * 2020, "DiffAugment"): the same random colour, translation and cutout are
 * applied to real and fake images before the discriminator, and the
 * generator's gradient flows back through them.  Per-sample parameters are
 * drawn once (dg_diffaug_sample) and used by forward and backward. */
#pragma once
#include <stdbool.h>

#include "numerics/dg-rng.h"

typedef struct {
    bool color, translation, cutout;
} dg_diffaug_policy;

/* "color,translation,cutout" (any subset, comma-separated; "" or "none" = off).
 * Returns false on an unknown word. */
bool dg_diffaug_parse(const char *spec, dg_diffaug_policy *p);
/* Writes the canonical spec into buf. */
void dg_diffaug_format(const dg_diffaug_policy *p, char *buf, int len);

#define DG_DIFFAUG_MAX_BATCH 1024

typedef struct {
    dg_diffaug_policy policy;
    int B, H, W;
    float brightness[DG_DIFFAUG_MAX_BATCH]; /* added: U(-0.5, 0.5) */
    float saturation[DG_DIFFAUG_MAX_BATCH]; /* gain of the deviation from the pixel mean: U(0, 2) */
    float contrast[DG_DIFFAUG_MAX_BATCH];   /* gain of the deviation from the image mean: U(0.5, 1.5) */
    int tx[DG_DIFFAUG_MAX_BATCH], ty[DG_DIFFAUG_MAX_BATCH]; /* shift, |t| <= size / 8 */
    int cx[DG_DIFFAUG_MAX_BATCH], cy[DG_DIFFAUG_MAX_BATCH]; /* cutout square corner */
    int cut;                                 /* cutout side: size / 2 */
} dg_diffaug_params;

void dg_diffaug_sample(const dg_diffaug_policy *p, dg_rng *rng, int B, int H, int W,
                       dg_diffaug_params *out);
/* out = aug(in) for [B, 3, H, W] images; out != in. */
void dg_diffaug_forward(const dg_diffaug_params *a, float *out, const float *in);
/* din = aug^T(dout) (aug is linear in the image for fixed parameters). */
void dg_diffaug_backward(const dg_diffaug_params *a, float *din, const float *dout);

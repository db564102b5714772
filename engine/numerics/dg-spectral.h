/* dg-spectral.h: a spectral loss for generators, after Durall, Keuper and
 * Keuper, "Watch your Up-Convolution: CNN Based Generative Deep Neural
 * Networks are Failing to Reproduce Spectral Distributions" (CVPR 2020):
 * the azimuthally averaged power spectrum of the generated images is pulled
 * towards that of real images, so that the generator makes the fine detail
 * (or drops the periodic peaks) that an adversarial loss alone lets pass.
 *
 * Per image (NCHW, C channels, S x S): the grey level g (mean of the
 * channels) less its mean, times a 2-D Hann window (as gan score's spectral
 * score measures it: without the window, the jump between opposite edges
 * of an image, which the DFT sees as periodic, spreads power over all
 * frequencies and hides the fine detail the loss is after; the first run
 * matched that leakage and stayed blurred), its 2-D DFT power
 * P(u, v) = |F(u, v)|^2, and the mean of P over
 * rings r = 1 .. S/2 (the rounded distance of (u, v) from the zero
 * frequency, frequencies taken in [-S/2, S/2)).  With Pf(r) and Pr(r) the
 * batch means of those ring powers for the fake and the real batch,
 *     L = (1 / R) sum_r (log10 Pf(r) - log10 Pr(r))^2,     R = S/2,
 * the real side a constant.  The DFT is two products with cosine and sine
 * matrices (OpenBLAS), forward and backward. */
#pragma once

typedef struct dg_spectral dg_spectral;

/* What the powers are averaged over before the logs are compared.  Rings
 * see only the radial profile: a generator can match it while putting all
 * of a ring's power in one direction (a run with rings made a period-2
 * column pattern, +1.7 log10 at the horizontal Nyquist frequency, with a matched profile).  Blocks
 * are the 2 x 2 blocks of the 2-D spectrum (every frequency but the block
 * of the zero frequency, corners included), as gan score's spectral score
 * compares them; R^2 - 1 bins, so L's mean runs over those. */
typedef enum { DG_SPECTRAL_RINGS, DG_SPECTRAL_BLOCKS, DG_SPECTRAL_FREQS } dg_spectral_bins;
/* (FREQS: every frequency its own bin but the zero frequency, S^2 - 1 bins:
 * what a 2 x 2 block averages away, e.g. one row-alternating frequency
 * beside three quiet ones, is seen too.) */

/* For images of size x size (size even, 4..512) and batches up to max_batch;
 * NULL on a bad size or mode, or no memory. */
dg_spectral *dg_spectral_new(int size, int max_batch, dg_spectral_bins bins);
/* R, R^2 - 1 or S^2 - 1 (0 for NULL) */
int dg_spectral_n_bins(const dg_spectral *s);
void dg_spectral_free(dg_spectral *s);

/* L for fake[B, C, S, S] against real[Br, C, S, S] (B, Br <= max_batch);
 * when dfake is not NULL, adds scale * dL/dfake to it (+=).  Returns L, or
 * a negative number on bad arguments. */
float dg_spectral_loss(dg_spectral *s, const float *fake, int B, const float *real, int Br, int C,
                       float scale, float *dfake);

/* Adds n doubles over the parts of a batch split across processes, in
 * place, with the same result in every part (dg_gan_shard's sum_double). */
typedef void (*dg_spectral_sum_fn)(double *v, long n, void *user);

#define DG_SPECTRAL_MAX_GROUPS 64

/* The loss per group (e.g. per class): fake_group[i] and real_group[j] in
 * 0 .. n_groups - 1 (ignored when n_groups is 1).  L is the sum over the
 * groups of (the group's share of the fake images) x (L above on the
 * group's images); with more than one group, a group with fewer than two
 * fake or two real images is left out.  With sum (NULL: the batch is all
 * here), fake and real are this part's images of a batch split across
 * processes (B or Br may be 0): sum is called once, by every part alike,
 * on the parts' bin-power sums, so L is the whole batch's and dfake gets
 * this part's rows of the whole batch's gradient.  Returns L, or a negative
 * number on bad arguments (a group out of range included). */
float dg_spectral_loss_grouped(dg_spectral *s, const float *fake, const int *fake_group, int B,
                               const float *real, const int *real_group, int Br, int C,
                               int n_groups, float scale, float *dfake, dg_spectral_sum_fn sum,
                               void *user);

/* log10 of the batch-mean bin powers of x[B, C, S, S] into
 * profile[dg_spectral_n_bins] (rings: r = 1 .. S/2; blocks: block
 * (u/2) R + v/2 - 1; frequencies: u S + v - 1); what the loss compares (tests, tools). */
int dg_spectral_profile(dg_spectral *s, const float *x, int B, int C, float *profile);

/* dg-gan-quality.h: measures of a generator's images beside real ones
 * (models-and-data layer; plain arrays in, numbers out).
 *
 *  - Spectra: the mean power spectrum of a set of images (luminance, each
 *    image's mean removed, a Hann window against edge leakage), and a
 *    spectral artifact score comparing two spectra at high frequencies:
 *    periodic patterns (upsampling artifacts) show as excess power in a few
 *    cells, blur as a deficit (Durall et al., CVPR 2020; Dzanic et al.,
 *    NeurIPS 2020 measured GAN images this way).
 *  - Precision and recall of a generated distribution in feature space
 *    (Kynkaanniemi et al., NeurIPS 2019): k-nearest-neighbour balls around
 *    each real (generated) sample estimate the real (generated) manifold;
 *    precision is the share of generated samples inside the real manifold
 *    (fidelity), recall the share of real samples inside the generated one
 *    (coverage: mode collapse shows as low recall).
 *  - Memorization: each sample's distance to its nearest training sample. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

/* out[S*S] (row v, column u; DC at 0, frequency f and S - f alike) = mean over
 * the n images [n, 3, S, S] of |DFT(hann * (lum - mean lum))|^2 / S^2. */
void dg_mean_power_spectrum(const float *images, int n, int S, double *out);

typedef struct {
    double excess;  /* max over high-frequency cells of log10(Pa / Pb) (>= 0 when Pa has peaks) */
    double deficit; /* max over the same cells of log10(Pb / Pa) (blur in a) */
    double worst;   /* max(|log10(Pa / Pb)|) = max(excess, deficit) */
    int fu, fv;     /* signed frequency (cycles per image) of the worst cell's centre */
} dg_spectral_score;

/* Compares spectra pa and pb (from dg_mean_power_spectrum) over the cells of
 * a 2x2-pooled frequency grid whose radius is at least S / 8 cycles per image
 * (the high frequencies: periodic artifacts of 2x and 4x upsampling sit at
 * S/4 and S/2). */
dg_spectral_score dg_spectral_compare(const double *pa, const double *pb, int S);

typedef struct {
    double precision, recall;
    int k;
} dg_precision_recall;

/* real [nr, d], gen [ng, d]; k-th nearest neighbour radii (k = 3 in the paper).
 * nr and ng must exceed k. */
dg_precision_recall dg_precision_recall_knn(const float *real, int nr, const float *gen, int ng,
                                            int d, int k);

/* dist[i] = Euclidean distance from query i [nq, d] to its nearest reference
 * [nref, d]; index[i] (may be NULL) its index. */
void dg_nearest_distances(const float *query, int nq, const float *ref, int nref, int d,
                          double *dist, int *index);

G_END_DECLS

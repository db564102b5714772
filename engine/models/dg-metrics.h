/* dg-metrics.h: evaluation metrics, aggregation over seeds, and distances
 * between feature distributions.
 *
 * Classification (dg_metrics_compute): n samples, K classes, probabilities
 * probs[n*K] (row i is sample i) and true labels[n] in [0, K).  The
 * predicted class is the argmax of a row (the first maximum on ties).
 * Undefined values are NaN (written as null in JSON):
 *   - recall_k = TP/support_k; precision_k = TP/predicted_k; when a
 *     denominator is 0 but the class occurs (support or predictions > 0) the
 *     value is 0, as scikit-learn's zero_division=0; for a class that
 *     occurs nowhere, precision, recall and F1 are NaN.
 *   - balanced accuracy = mean recall over classes with support > 0 (as
 *     sklearn.metrics.balanced_accuracy_score).
 *   - macro F1 = mean F1 over classes that occur in the labels or the
 *     predictions (as sklearn's f1_score(average="macro") without labels=).
 *   - AUC_k: one-vs-rest ROC AUC of probs[:, k], exact, ties counted 1/2
 *     (Mann-Whitney U with average ranks); NaN when class k has no positives
 *     or no negatives.  Macro AUC = mean of the defined AUCs.
 *   - ECE: 15 equal-width bins (lo, hi] on the top-class probability;
 *     sum over bins of (bin size / n) * |accuracy - mean confidence|.
 *   - 95% interval for balanced accuracy: percentile bootstrap over samples
 *     (n_boot resamples of size n with replacement, seeded; quantiles with
 *     linear interpolation, as numpy.percentile).
 *   - ECE's bootstrap standard deviation (sample sd, n_boot - 1, over the
 *     same resamples): how far ECE moves from one sample of n images to
 *     another.  Not a percentile interval: the binned ECE is biased upwards
 *     on small samples, a resample's more so (duplicates), so the resamples'
 *     quantiles sit above the estimate (Kumar et al. 2019); their spread is
 *     what is meaningful.
 *
 * Distances between two feature sets x1[n1*d] and x2[n2*d] (rows are
 * samples), computed in double:
 *   - dg_frechet_distance: ||mu1 - mu2||^2 + tr S1 + tr S2
 *     - 2 tr((S1^1/2 S2 S1^1/2)^1/2) with sample covariances (n - 1), the
 *     square roots from our own cyclic Jacobi eigen-decomposition (negative
 *     round-off eigenvalues clamped to 0).  The quantity behind "FID", here on
 *     whatever features the caller gives.
 *   - dg_kernel_distance: unbiased MMD^2 with the polynomial kernel
 *     k(x, y) = (x.y / d + 1)^3, averaged over random subsets of
 *     min(n1, n2, subset_size) rows drawn without replacement from each set,
 *     exactly as the reference implementation of "KID" (Binkowski et al.,
 *     also torch-fidelity): mean and population standard deviation over the
 *     subsets. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* ---- classification ---------------------------------------------------- */

#define DG_METRICS_N_BOOT 1000 /* the usual number of bootstrap resamples */
#define DG_METRICS_ECE_BINS 15

typedef struct {
    double precision, recall, f1, auc;
    int support;   /* samples whose true class is this one */
    int predicted; /* samples predicted as this one */
} dg_class_metrics;

typedef struct {
    int n, K;
    double accuracy;
    double balanced_accuracy;
    double balanced_accuracy_ci95[2]; /* NaN when n_boot == 0 or n == 0 */
    int n_boot;
    double macro_f1;
    double auc_macro;
    double ece;
    double ece_sd;                    /* bootstrap sd; NaN when n_boot < 2 or n == 0 */
    dg_class_metrics *per_class; /* K entries */
    int *confusion;              /* K*K, row = true class, column = predicted class */
} dg_metrics;

/* n >= 0, K >= 1, every label in [0, K) (else g_critical and NULL).
 * n_boot resamples for the interval (DG_METRICS_N_BOOT is the usual; 0: no
 * interval), drawn from a dg_rng seeded with seed. */
dg_metrics *dg_metrics_compute(int n, int K, const float *probs, const int *labels,
                               uint64_t seed, int n_boot);
void dg_metrics_free(dg_metrics *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dg_metrics, dg_metrics_free)

/* {"accuracy", "balanced_accuracy", "balanced_accuracy_ci95": [lo, hi],
 *  "macro_f1", "auc_macro", "ece", "ece_sd", "n",
 *  "per_class": {"<id>": {"precision", "recall", "f1", "auc", "support"}},
 *  "confusion_matrix": {"labels": [ids], "matrix": [[row of true class 0], ...]}}
 * NaN is written as null.  class_ids: K names, or NULL for "0", "1", ... */
JsonNode *dg_metrics_to_json(const dg_metrics *m, const char *const *class_ids);

/* ---- aggregation over seeds (the ablation) ------------------------------- */

typedef struct {
    int n;
    double mean;
    double std; /* sample standard deviation (n - 1); NaN when n < 2 */
} dg_summary;

/* Mean and sample standard deviation of x[0..n); mean is NaN when n == 0. */
dg_summary dg_summarize(const double *x, int n);

typedef struct {
    int n;
    double mean; /* mean of d_i = b_i - a_i */
    double std;  /* sample standard deviation of d_i; NaN when n < 2 */
    double t;    /* paired t statistic mean / (std / sqrt(n)); NaN when n < 2 */
    double p;    /* two-sided sign-flip permutation p-value, see below */
} dg_paired;

/* Paired comparison of b against a (same seeds in the same order).
 * p is the two-sided sign-flip permutation test of "the differences are
 * symmetric about 0": the fraction of the 2^n sign patterns s whose
 * |sum s_i d_i| is at least the observed |sum d_i| (exact, all patterns, for
 * n <= 20; otherwise 2^20 random patterns from a fixed seed, p = (hits + 1) /
 * (draws + 1)).  It makes no normality assumption, and it is honest about
 * small n: with 3 seeds the smallest possible p is 2/8 = 0.25.  p is 1 when
 * every difference is 0 and NaN when n == 0. */
dg_paired dg_paired_compare(const double *a, const double *b, int n);

/* ---- distances between feature distributions ----------------------------- */

/* NaN when n1 < 2, n2 < 2, d < 1 or a feature is NaN or infinite.  The
 * result is clamped at 0.  Cost: O((n1 + n2) d^2) plus two Jacobi
 * eigen-decompositions, O(d^3) each with a large constant (d = 512: about
 * 4 s on one core; d = 256: 0.4 s). */
double dg_frechet_distance(const float *x1, int n1, const float *x2, int n2, int d);

#define DG_KD_SUBSETS 100
#define DG_KD_SUBSET_SIZE 1000

typedef struct {
    double mean, std; /* over the subsets; NaN on invalid input */
    int n_subsets, subset_size;
} dg_kernel_distance_result;

/* n_subsets <= 0: DG_KD_SUBSETS; subset_size <= 0: DG_KD_SUBSET_SIZE.  The
 * size used is min(n1, n2, subset_size), which must be >= 2. */
dg_kernel_distance_result dg_kernel_distance(const float *x1, int n1, const float *x2, int n2,
                                             int d, int n_subsets, int subset_size,
                                             uint64_t seed);

/* ---- symmetric matrices (used by the Frechet distance) ------------------- */

/* Eigen-decomposition of a symmetric n x n row-major matrix by cyclic Jacobi
 * rotations.  A is overwritten; w[n] receives the eigenvalues in ascending
 * order; V (n x n, may be NULL) the matching eigenvectors as columns, so
 * A = V diag(w) V^T.  FALSE if it did not converge (not seen in practice). */
gboolean dg_sym_eigen(int n, double *A, double *w, double *V);
/* R = A^(1/2) for a symmetric positive semi-definite A (eigenvalues below 0,
 * from round-off, are taken as 0).  R is symmetric. */
gboolean dg_sym_sqrt(int n, const double *A, double *R);

G_END_DECLS

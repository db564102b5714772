/* dg-classifier-post.h: what a classifier learns about itself after
 * training, on data it was not trained on (models-and-data layer).
 *
 *  - Colour constancy (Shades of Gray, Finlayson & Trezzi 2004, as the ISIC
 *    2018-2019 winners used): every image's illuminant is estimated as the
 *    p-norm of each channel and divided out, so that images lit or
 *    processed differently elsewhere look alike to the model.  A property of
 *    the architecture (dg_cnn_config.color_p), applied to every input.
 *  - Temperature scaling (Guo et al. 2017): logits / T, T fitted on the
 *    validation split by minimizing the negative log-likelihood.
 *  - Post-hoc logit adjustment (Menon et al. 2021): logits - tau log(prior),
 *    tau chosen on the validation split for balanced accuracy.
 *  - Out-of-distribution score: the Mahalanobis distance of an image's
 *    pooled features to the nearest class mean (Lee et al. 2018; class means
 *    and a shared, shrunk covariance from the training split), with a
 *    threshold that keeps a chosen share (95%) of the validation images.
 * All of it is stored in the model file and applied by dg_cnn_predict. */
#pragma once
#include <glib.h>

#include "models/dg-classifier.h"

G_BEGIN_DECLS

/* In place on n images [n, 3, S, S] in [-1, 1]: each channel c scaled by
 * mean_c(e) / e_c with e_c = (mean v_c^p)^(1/p), v = (x + 1) / 2; p <= 0: no-op. */
void dg_color_constancy(float *x, int n, int S, int p);

/* Raw logits (colour constancy applied; no temperature or bias). */
void dg_cnn_logits(dg_cnn *cnn, dg_ctx *ctx, const float *x, int n, float *logits);

/* The temperature minimizing the NLL of labels y under
 * softmax(logits / T + bias) (bias: K values, or NULL for none), T in
 * [0.05, 20] (golden-section search on log T). */
double dg_fit_temperature(const float *logits, const int *y, int n, int K, const float *bias);
/* ECE (15 equal-width bins) of softmax(logits / T + bias); NAN when a
 * probability is not finite. */
double dg_ece_of_logits(const float *logits, const int *y, int n, int K, double T,
                        const float *bias);

/* Fits the OOD statistics from training features (n x D, labels y) and sets
 * the threshold to the keep-quantile of the validation features' scores
 * (nv x D).  FALSE when there are too few images. */
gboolean dg_cnn_fit_ood(dg_cnn *cnn, const float *feat, const int *y, int n, const float *val_feat,
                        int nv, double keep);
/* Scores (squared Mahalanobis distance to the nearest class mean) of n
 * feature vectors; NAN when the model has no statistics. */
void dg_cnn_ood_scores(const dg_cnn *cnn, const float *feat, int n, float *scores);

/* A first look at an input image, before the model: what makes it plainly
 * not a dermoscopy image.  Thresholds chosen so that (nearly) every real
 * image of HAM10000's validation split passes (see the README). */
#define DG_SCREEN_MIN_SIDE 32       /* pixels of the shorter side of the original */
#define DG_SCREEN_MAX_ASPECT 3.0    /* longer side / shorter side */
#define DG_SCREEN_MIN_STD 3.0       /* luminance standard deviation (0-255) of the prepared image */
#define DG_SCREEN_MIN_CHROMA 0.010  /* mean (|r - g| + |r - b|) / 2 chromaticity: not grey */
typedef struct {
    double lum_std;   /* of the prepared image, 0-255 */
    double chroma;    /* mean (|r-g| + |r-b|) / 2 of the chromaticities, 0-1 */
    double red_share; /* share of pixels with R >= B: skin and lesions are red-brown */
    char reasons[256];/* "" when none; else one line, e.g. "only 8x8 pixels; a single colour" */
} dg_screen;
/* chw: the prepared image (uint8 CHW RGB, S x S); w, h: the original's size
 * (0 if unknown).  TRUE when nothing is wrong. */
gboolean dg_input_screen(const uint8_t *chw, int S, int w, int h, dg_screen *out);
#define DG_SCREEN_MIN_RED_SHARE 0.05 /* share of pixels with R >= B */

/* Provenance: which images a model was trained and validated on, kept in
 * the model file as sorted 64-bit FNV-1a hashes of their ids (20 KB for
 * HAM10000): HAM10000's image_id, and an ImageFolder's path from its
 * folder (by_path; metadata provenance_ids "path"), since its file names
 * repeat across class folders (mel/001.jpg, bcc/001.jpg).  Earlier
 * versions' files (no provenance_ids) hold the names of ImageFolder images
 * without their extension, as image ids. */
#define DG_CNN_META_PROVENANCE_IDS "provenance_ids"
guint64 dg_image_key(const char *image_id);
/* A metadata value naming the kind of ids ("image_id", "path", or NULL for
 * "image_id"); FALSE + error naming key for anything else. */
gboolean dg_cnn_read_ids_kind(const char *value, const char *key, gboolean *by_path,
                              GError **error);
void dg_cnn_set_provenance(dg_cnn *cnn, const char *const *train_ids, int n_train,
                           const char *const *val_ids, int n_val, gboolean by_path);
typedef enum { DG_SEEN_UNKNOWN, DG_SEEN_NO, DG_SEEN_TRAIN, DG_SEEN_VAL } dg_seen;
/* Whether the model saw this image in training or validation (UNKNOWN: the
 * file records no provenance). */
dg_seen dg_cnn_seen(const dg_cnn *cnn, const char *image_id);

/* Metadata and tensors of the post-hoc state in a model file. */
void dg_cnn_post_write(const dg_cnn *cnn, dg_st_writer *w, char **strings);
gboolean dg_cnn_post_read(dg_cnn *cnn, const dg_st *st, GError **error);
void dg_cnn_post_clear(dg_cnn *cnn);

G_END_DECLS

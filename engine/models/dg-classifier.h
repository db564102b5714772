/* dg-classifier.h: the lesion classifiers (models-and-data layer).
 *
 * Architectures (input 3 x size x size in [-1, 1], K classes):
 *  - "seed": the original project's CNN: conv 1x1 60 + ReLU, max-pool 2,
 *    conv 3x3 50 + ReLU, max-pool 5, dense 256 + ReLU, dropout 0.2, dense
 *    128 + ReLU, dropout 0.2, dense K;
 *  - "dermanet": our default, a residual CNN with batch normalization (stem
 *    + four residual stages with stride 2, global average pool, dropout,
 *    dense), sized for CPU training;
 *  - "mobile": depthwise-separable blocks, for speed.
 * Model files are safetensors with the architecture, class ids and names,
 * image size and preprocessing in __metadata__ (format "dermagan-classifier"). */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/dg-safetensors.h"
#include "numerics/dg-ctx.h"
#include "numerics/dg-net.h"

G_BEGIN_DECLS

#define DG_CNN_MIN_WIDTH 4
#define DG_CNN_MAX_WIDTH 256
#define DG_CNN_MAX_BATCH 1024
#define DG_CNN_MAX_MEMBERS 8

typedef struct {
    char arch[16];
    int size;
    int n_classes;
    int width;     /* base channel width (dermanet 32, mobile 24, seed: unused) */
    float dropout;
    int color_p;   /* Shades of Gray colour constancy exponent applied to every input
                      (dg-classifier-post.h); 0: none */
    int members;   /* an ensemble of this many copies of the architecture (0 or 1: a
                      single net): their pooled features are concatenated and one dense
                      layer reads them, which is the mean of the members' logits when
                      made by dg_cnn_new_ensemble */
} dg_cnn_config;

/* Fill a config for an architecture name; FALSE + error for an unknown one. */
gboolean dg_cnn_config_arch(dg_cnn_config *cfg, const char *arch, int n_classes, GError **error);
char *dg_cnn_config_to_json(const dg_cnn_config *cfg);
/* Parsed and validated (FALSE + DG_MODEL_ERROR on anything out of range). */
gboolean dg_cnn_config_from_json(dg_cnn_config *cfg, const char *json, GError **error);
/* Every value within its range: size 32/64/96/128, 2..64 classes, width
 * DG_CNN_MIN_WIDTH..DG_CNN_MAX_WIDTH, dropout in [0, 1). */
gboolean dg_cnn_config_validate(const dg_cnn_config *cfg, GError **error);
/* The network for max_batch images (1..DG_CNN_MAX_BATCH) fits in
 * DG_MODEL_MAX_BYTES; checked before anything is allocated. */
gboolean dg_cnn_config_check_memory(const dg_cnn_config *cfg, int max_batch, GError **error);

/* What is fitted after training (dg-classifier-post.h); a new model has
 * temperature 1, no bias and no OOD statistics. */
typedef struct {
    float temperature;
    float logit_bias[64];
    float logit_tau;      /* the logit adjustment's tau (bias = -tau log prior) */
    int ood_dim;          /* 0: no statistics */
    float *ood_means;     /* [K, ood_dim] */
    float *ood_precision; /* [ood_dim, ood_dim] */
    float ood_threshold;
    /* provenance: 64-bit hashes of the images (dg_image_key of their ids) the
     * model was trained and validated on, sorted; NULL when unknown */
    guint64 *train_keys, *val_keys;
    int n_train_keys, n_val_keys;
    /* the ids hashed: an ImageFolder's images by their path from its folder
     * ("mel/001.jpg": file names repeat across class folders), not by
     * image_id; HAM10000's by image_id either way.  FALSE in earlier
     * versions' files (metadata provenance_ids absent). */
    gboolean keys_by_path;
    /* patient metadata as evidence (dg-meta-prior.h); NULL: none */
    struct dg_meta_prior *patient_prior;
} dg_cnn_post;

typedef struct {
    dg_cnn_config cfg;
    dg_cnn_post post;
    dg_net *net;
    int feature_node; /* pooled features (the input of the last dense layer) */
    int cam_node;     /* last convolutional feature map, for Grad-CAM */
    char **class_ids;   /* NULL-terminated */
    char **class_names; /* NULL-terminated */
    float *scratch;     /* inputs after colour constancy (max batch images) */
    /* Data-parallel training (engine/dist): the batch given to
     * dg_cnn_train_step is a part of a global batch whose class weights sum
     * to batch_weight (its image count without weights); the loss and its
     * gradient are then this part's share of the whole batch's mean, so that
     * the parts' gradients add up to the whole batch's.  0: the batch given
     * is the whole batch. */
    double batch_weight;
    /* Knowledge distillation (dg_distill_kl): when distill_logits is set,
     * dg_cnn_train_step's loss is (1 - distill_alpha) x the cross-entropy +
     * distill_alpha x the distillation loss towards these teacher logits (one
     * row per image of the batch given) at temperature distill_T.  NULL: the
     * cross-entropy alone. */
    const float *distill_logits;
    float distill_alpha, distill_T;
    /* The logit-adjusted loss (Menon et al. 2021, their eq. 10): when set,
     * dg_cnn_train_step's cross-entropy is taken on logits + this bias (one
     * per class, tau x log of the class's training prior), so that the raw
     * logits learn the class-balanced posterior; distillation still sees the
     * raw logits.  NULL: none. */
    const float *train_logit_bias;
} dg_cnn;

dg_cnn *dg_cnn_new(const dg_cnn_config *cfg, int max_batch, const char *const *class_ids,
                   const char *const *class_names);
void dg_cnn_free(dg_cnn *cnn);
void dg_cnn_init(dg_cnn *cnn, dg_rng *rng);
int dg_cnn_class_index(const dg_cnn *cnn, const char *class_id); /* -1 if absent */

typedef struct {
    float loss;  /* mean weighted (smoothed) cross-entropy of the batch */
    int correct; /* images whose top logit is their label */
} dg_cnn_step_stats;

/* Called between backward and the optimizer's update (e.g. to sum the
 * gradients of several processes); may be NULL. */
typedef void (*dg_cnn_grad_fn)(dg_net *net, void *user);

/* One training step on B images x [B, 3, S, S] with labels y: forward in
 * training mode, softmax cross-entropy with class weights w (K, may be
 * NULL) and label smoothing (mixed images: lam[b] of y[b] and 1 - lam[b] of
 * y2[b], dg_softmax_xent_mix; y2 and lam NULL: none), backward, grad_fn, then opt's update.
 * FALSE when the loss is not finite: the weights are then not updated.
 * With batch_weight set (a split batch), backward and grad_fn run in every
 * part, and the summed gradient being finite decides, the same everywhere. */
gboolean dg_cnn_train_step(dg_cnn *cnn, dg_ctx *ctx, dg_opt *opt, const float *x, const int *y,
                           const int *y2, const float *lam, int B, const float *w,
                           float label_smoothing, dg_cnn_grad_fn grad_fn, void *grad_user,
                           dg_cnn_step_stats *st);

/* Class probabilities (softmax) for n images [n, 3, S, S], evaluation mode,
 * in batches of the net's max batch, with the model's colour constancy,
 * temperature and logit bias.  tta: average over the 8 flips and rotations
 * of each image. */
void dg_cnn_predict(dg_cnn *cnn, dg_ctx *ctx, const float *x, int n, bool tta, float *probs);
/* Pooled features (dimension dg_cnn_feature_dim) for n images. */
int dg_cnn_feature_dim(const dg_cnn *cnn);
void dg_cnn_features(dg_cnn *cnn, dg_ctx *ctx, const float *x, int n, float *features);

/* Grad-CAM for one image and class: cam receives S x S values in [0, 1]
 * (bilinearly upsampled from the last feature map); probs (K, may be NULL)
 * the image's class probabilities. */
void dg_cnn_gradcam(dg_cnn *cnn, dg_ctx *ctx, const float *x, int cls, float *cam, float *probs);

/* Blend a heat map (cam, cs x cs in [0, 1]) over an RGB image (w x h, row
 * stride w * 3) with a perceptual colour map; returns a new RGB buffer of the
 * same size (g_free). */
uint8_t *dg_cam_overlay(const uint8_t *rgb, int w, int h, const float *cam, int cs, float alpha);

/* A model for a subset of the classes: the same network whose last layer
 * keeps only the rows of classes[0..n) (indices into src's classes), so its
 * softmax is src's renormalised over those classes.  dg_cnn_copy_subset
 * refreshes an existing one (made by dg_cnn_new_subset from the same src). */
dg_cnn *dg_cnn_new_subset(const dg_cnn *src, int n, const int *classes, int max_batch);
void dg_cnn_copy_subset(dg_cnn *dst, const dg_cnn *src, const int *classes);

/* An ensemble of n trained models of the same architecture, size, width,
 * colour constancy and classes (in the same order): one net whose logits are
 * the mean of theirs (Lakshminarayanan et al. 2017 average probabilities;
 * averaging logits is the same up to calibration, which is fitted after).
 * Post-hoc state (temperature, OOD statistics, provenance) is not carried
 * over: calibrate the ensemble.  NULL + error when the models differ. */
dg_cnn *dg_cnn_new_ensemble(dg_cnn *const *models, int n, int max_batch, GError **error);

gboolean dg_cnn_save(dg_cnn *cnn, const char *path, GHashTable *extra_meta, GError **error);
dg_cnn *dg_cnn_load(const char *path, int max_batch, GError **error);
/* Metadata of the last loaded/saved file is not kept; read it with dg_st_load. */

G_END_DECLS

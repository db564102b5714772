/* dg-job-cnn.h: classifier jobs: train, evaluate, predict, ablation, and the
 * GAN quality score (it needs a classifier's features). */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "jobs/dg-job.h"

G_BEGIN_DECLS

/* ---- training -------------------------------------------------------------------
 * Run folder: config.json, checkpoint.safetensors (latest state, exact resume),
 * model.safetensors (the best epoch by validation balanced accuracy),
 * history.csv.  Events: PROGRESS per step (values: loss, lr); EPOCH per epoch
 * (values: train_loss, train_acc, val_loss, val_acc, val_bacc, best_bacc);
 * RESULT at the end: {"best_epoch", "best_val_balanced_accuracy", "model", ...}. */
/* The colour shift of the default recipe, the shipped classifier's (README:
 * over two seeds, 0.5 costs about 0.02 of clean validation balanced accuracy
 * and gains 0.04-0.05 under a shift of 0.5). */
#define DG_CNN_DEFAULT_COLOR_SHIFT 0.5
#define DG_CNN_DEFAULT_DISTILL 0.5
#define DG_CNN_DEFAULT_DISTILL_T 2.0

typedef struct {
    char *data;
    char *out;
    char *arch;              /* seed | dermanet | mobile (default dermanet) */
    int epochs;              /* default 40 */
    int steps;               /* total optimizer steps; overrides epochs when > 0 */
    int batch;               /* default 64 */
    double lr;               /* default 2e-3 (AdamW) */
    double weight_decay;     /* default 5e-4 */
    double label_smoothing;  /* default 0.1 */
    char *balance;           /* "weights" (class-weighted loss, default) | "sampler" | "none" |
                              * "logit-adjust" (the logit-adjusted loss, Menon et al. 2021) */
    char *schedule;          /* "cosine" (default) | "step" | "constant" */
    char *synthetic;         /* ImageFolder of synthetic images to mix in, or NULL */
    double synthetic_ratio;  /* fraction of each batch from synthetic images; <= 0: pooled */
    gboolean augment;        /* flips, rotations, crops, colour jitter (default TRUE) */
    uint64_t seed;
    uint64_t split_seed;
    int threads;
    gboolean resume;
    gboolean all_classes;
    gboolean follow_symlinks; /* read symlinks that lead out of the data set's folder */
    char *cache_dir;
    int width;               /* 0: the architecture's */
    int size;                /* image side: 32, 64 (default), 96 or 128 */
    gboolean auxiliary;      /* HAM10000: also train on the classes outside the task (nv,
                                df, vasc) as auxiliary data; validation and the saved
                                model cover the four task classes only */
    int eval_every;          /* steps between validations ("epochs" in events and history);
                                0: one pass over the training pool */
    double ema;              /* exponential moving average of the weights, validated and
                                saved instead of the raw weights (decay, e.g. 0.999; warmed
                                up as min(decay, (1 + t) / (10 + t))); 0: off */
    double color_shift;      /* > 0 (and augment on): every training image also gets
                                dg_source_shift of this strength (0 to 4; 0: off), seeded by
                                the seed, the step and its place in the batch (so ranks and
                                resumes agree); default DG_CNN_DEFAULT_COLOR_SHIFT */
    double cutmix;           /* share of batches mixed by CutMix (dg_cutmix_batch; labels
                                mixed by area); 0: off */
    int color_p;             /* Shades of Gray colour constancy exponent for every input
                                (0: none; 6 in the ISIC winners' work) */
    char *init_model;        /* start from this model's weights (same architecture, size and
                                classes; e.g. pretrained on synthetic images) instead of a
                                random initialization, or NULL */
    char *teacher;           /* knowledge distillation (Hinton et al. 2015): a trained
                                classifier (or an ensemble made by cnn calibrate --members)
                                of the same image size and classes whose softened
                                predictions on each augmented training batch the model also
                                learns; NULL: none */
    double distill;          /* with a teacher: the distillation loss's share (0 to 1;
                                default DG_CNN_DEFAULT_DISTILL) */
    double distill_temperature; /* with a teacher: the softmax temperature (default
                                   DG_CNN_DEFAULT_DISTILL_T) */
    struct dg_dist *dist;    /* data-parallel over these processes (dist/dg-dist.h; not
                                owned); NULL: this process alone */
} dg_cnn_train_config;

dg_cnn_train_config *dg_cnn_train_config_new(void);
void dg_cnn_train_config_free(void *config);
extern const dg_job_kind dg_job_cnn_train;

/* ---- calibration ---------------------------------------------------------------------
 * Fits what a classifier learns about itself on the data set's validation
 * split (dg-classifier-post.h: temperature, logit adjustment,
 * out-of-distribution statistics and threshold); writes the model to out
 * (NULL: in place).  Classifier training does this at its end, and records
 * the images of its training and validation splits (provenance).  On a
 * model file, the model's provenance is kept as it was (a fact of its
 * training) and the images of the data set's training and validation splits
 * are recorded apart (DG_CNN_META_CALIBRATION_IMAGES; evaluate counts them
 * as seen); a warning says when the data set is not the one the model was
 * trained on (its metadata training_data).  An ensemble's provenance is the
 * data set's splits.  RESULT: {"temperature", "val_ece_before",
 * "val_ece_after", "logit_tau", ..., "n_calibration_images", "provenance"}. */
typedef struct {
    char *model;         /* NULL: the bundled default classifier */
    char **members;      /* NULL, or 2 to DG_CNN_MAX_MEMBERS model files (NULL-terminated):
                            calibrate their ensemble (dg_cnn_new_ensemble) instead of model,
                            and write it to out (then required) */
    char *data;          /* the data set it was trained on */
    char *out;           /* NULL: the model file itself (required when model is NULL: the
                            bundled classifier is never written); with members, none of them */
    uint64_t split_seed; /* the split it was trained with */
    double keep;         /* share of validation images the OOD threshold keeps (0.95) */
    int threads;
    gboolean all_classes;
    gboolean follow_symlinks; /* read symlinks that lead out of the data set's folder */
    char *cache_dir;
} dg_calibrate_config;

dg_calibrate_config *dg_calibrate_config_new(void);
void dg_calibrate_config_free(void *config);
extern const dg_job_kind dg_job_cnn_calibrate;

/* ---- evaluation ------------------------------------------------------------------
 * RESULT: the metrics JSON (accuracy, balanced_accuracy, macro_f1, auc_macro,
 * ece, per_class, confusion_matrix, ...) plus "split", "model", "n". */
typedef struct {
    char *model;       /* NULL: the bundled default classifier */
    char *data;
    char *split;       /* "test" (default) | "val" | "all" */
    gboolean tta;
    double shift;      /* > 0: every image changed by dg_source_shift of this strength
                          (0 to 4; 1: colour gains and exposure within exp(+-0.2),
                          gamma within exp(+-0.3)), a simulated change of source */
    uint64_t split_seed;
    int threads;
    gboolean all_classes;
    gboolean follow_symlinks; /* read symlinks that lead out of the data set's folder */
    char *cache_dir;
    gboolean per_image;  /* RESULT also lists every image: "images": [{"path", "image_id",
                            "label", "pred", "probs": [K]}] (labels and predictions are
                            indices into "confusion_matrix"."labels"), for browsing them */
} dg_evaluate_config;

dg_evaluate_config *dg_evaluate_config_new(void);
void dg_evaluate_config_free(void *config);
extern const dg_job_kind dg_job_evaluate;

/* ---- prediction -------------------------------------------------------------------
 * One RESULT per image: {"image", "top", "top_name", "probabilities": {id: p}},
 * or {"image", "error"} for an image that could not be read.  With saliency,
 * an IMAGE event carries the Grad-CAM overlay of the top class (size x size
 * scaled up 4x; message: the image's name) and, for a single image, it is
 * written to saliency_out; with saliency_all, the raw maps of every class follow. */
typedef struct {
    char *model;          /* NULL: the bundled default classifier */
    char **images;        /* NULL-terminated paths */
    gboolean tta;
    gboolean saliency;
    char *saliency_out;   /* PNG path (single image) or NULL; a .png name that is
                             neither the image nor the model (else refused) */
    int threads;
    gboolean saliency_all; /* with saliency: also, for every class k, an IMAGE event of the
                              raw Grad-CAM (size x size, grey: R = G = B = 255 * cam) with
                              message "cam" and the value "class" = k, for a viewer that
                              blends it itself (the class to explain, the opacity) */
    /* The patient, for every image (dg-meta-prior.h): age NAN (the default) or
     * 0 to 120 years; sex and site NULL or "" when unknown.  With a model
     * that has a patient prior, the probabilities include it, and the RESULT
     * says "patient_fields_used" (0 to 3) and, for a given field the model
     * knows nothing of, "patient_note". */
    double age;
    char *sex, *site;
} dg_predict_config;

/* The body sites a front end offers for dg_predict_config.site (HAM10000's
 * localization values, dg-meta-prior.h), NULL-terminated. */
const char *const *dg_predict_patient_sites(void);

dg_predict_config *dg_predict_config_new(void);
void dg_predict_config_free(void *config);
extern const dg_job_kind dg_job_predict;

/* ---- ablation ----------------------------------------------------------------------
 * K seeds x arms with the same architecture, the same number of optimizer steps
 * and the same seeds: real images only (class-weighted loss) versus each
 * protocol of using synthetic images (balance: fill every class up to the
 * largest; share: a fixed share of every batch; pretrain: synthetic-only
 * pretraining, then real-only fine-tuning; filter: balance with classifier-
 * filtered images).  The protocol with the best mean validation balanced
 * accuracy is chosen; all are reported on the test split with paired
 * differences from real only.  Writes out/ablation.json, out/report.md and PNG
 * plots; RESULT is ablation.json.  Interrupted: run again to continue. */
typedef struct {
    char *data;
    char *out;
    char *arch;
    char *generator;     /* NULL: the bundled default generator */
    int seeds;           /* K, default 5 */
    char *protocols;     /* comma-separated (default "balance,share,pretrain,filter") */
    int epochs;          /* real-only epochs that set the step budget (default 40) */
    double color_shift;  /* every arm's trainings, as dg_cnn_train_config's (default 0.5,
                            as cnn train's; the ablations reported before 2026-12-08 used 0) */
    uint64_t split_seed; /* must match the generator's training split */
    int threads;
    gboolean all_classes;
    gboolean follow_symlinks; /* read symlinks that lead out of the data set's folder */
    char *cache_dir;
    struct dg_dist *dist; /* the trainings shared out over these processes, each training
                             in one (dist/dg-dist.h; not owned); NULL: all here */
} dg_ablation_config;

dg_ablation_config *dg_ablation_config_new(void);
void dg_ablation_config_free(void *config);
extern const dg_job_kind dg_job_ablation;
/* The protocols of using synthetic images (not real only), i from 0: their
 * id (as in --protocols and ablation.json), title and one-sentence
 * description; FALSE past the last. */
gboolean dg_ablation_protocol_info(int i, const char **id, const char **title,
                                   const char **description);

/* ---- GAN quality ----------------------------------------------------------------
 * Per class: Frechet distance and kernel distance between synthetic and real
 * training images on the classifier's pooled features, beside the real-vs-real
 * floor (training split vs test split); and the classification accuracy
 * score: a classifier trained on synthetic images only, tested on the real test
 * split.  RESULT: the scores JSON. */
typedef struct {
    char *generator;     /* NULL: bundled */
    char *classifier;    /* feature extractor; NULL: bundled */
    char *data;
    int per_class;       /* synthetic images per class (default 500) */
    gboolean cas;        /* also the classification accuracy score (trains a classifier) */
    int cas_epochs;      /* default 20 */
    gboolean cas_on_val; /* test that classifier on the validation split instead (to choose
                            between generators without looking at the test split) */
    uint64_t split_seed;
    uint64_t seed;
    int threads;
    gboolean all_classes;
    gboolean follow_symlinks; /* read symlinks that lead out of the data set's folder */
    char *cache_dir;
} dg_gan_score_config;

dg_gan_score_config *dg_gan_score_config_new(void);
void dg_gan_score_config_free(void *config);
extern const dg_job_kind dg_job_gan_score;

G_END_DECLS

/* dg-job-cnn-private.h: pieces of the classifier jobs shared among them. */
#pragma once
#include <json-glib/json-glib.h>

#include "data/dg-dataset.h"
#include "dist/dg-dist.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-run-dir.h"
#include "models/dg-classifier.h"
#include "numerics/dg-optim.h"
#include "numerics/dg-rng.h"

/* Predictions for items idx[0..n) of ds (no augmentation); label_map maps the
 * data set's class index to the model's (NULL: identity).  Returns the
 * balanced accuracy; loss/acc/probs_out (n * K) are optional outputs. */
double dg_cnn_eval_split(dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds, const int *idx, int n,
                         const int *label_map, double *loss, double *acc, float *probs_out);

/* The classifier at path, or the bundled default (path NULL); used_path
 * (optional) receives the file used. */
dg_cnn *dg_job_load_classifier(const char *path, int max_batch, char **used_path, GError **error);
/* For each class of ds, the model's class index with the same id, or -1
 * (with a warning through job, when job is not NULL).  g_free the result. */
int *dg_job_class_map(dg_job *job, const dg_dataset *ds, const dg_cnn *cnn);
/* Predict items idx[0..n) of ds (those whose class the model knows) and
 * compute the metrics (JSON of dg_metrics_to_json, bootstrap seeded with
 * seed); PROGRESS events and cancellation through job when not NULL.
 * Optional outputs: the probabilities and model labels of the n_out items
 * used.  NULL when cancelled or nothing was usable. */
JsonNode *dg_job_evaluate_items(dg_job *job, dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds,
                                const int *idx, int n, gboolean tta, uint64_t seed, float **probs_out,
                                int **labels_out, int *n_out);
/* The same with every image first changed by dg_source_shift(strength),
 * seeded by the image's index in ds (so the same image gets the same change
 * in every run and every model). */
JsonNode *dg_job_evaluate_items_shifted(dg_job *job, dg_cnn *cnn, dg_ctx *ctx,
                                        const dg_dataset *ds, const int *idx, int n, gboolean tta,
                                        double shift, uint64_t seed, float **probs_out,
                                        int **labels_out, int *n_out);

/* Calibrates cnn on ds's splits (see dg_calibrate_config); the numbers go
 * into report (may be NULL) and a MESSAGE through job (may be NULL).
 * record_provenance: the images of ds's training and validation splits
 * become the model's provenance (at the end of its training, on its own
 * data); FALSE keeps the provenance the model has (a fact of its training). */
gboolean dg_cnn_calibrate(dg_job *job, dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds, double keep,
                          gboolean record_provenance, JsonObject *report, GError **error);
/* Saves cnn to out with the extra metadata of the model file src (its
 * training record: best epoch, seeds, data...), and extra (may be NULL)
 * over them. */
gboolean dg_cnn_save_over(dg_cnn *cnn, const char *src, const char *out, GHashTable *extra,
                          GError **error);

/* The record of `cnn calibrate` on a model file: the images that shaped its
 * calibration (those of the training and validation splits of the data set
 * it was calibrated on), kept in the metadata apart from the provenance of
 * its training.  Metadata keys: */
#define DG_CNN_META_CALIBRATION_DATA "calibration_data"     /* the data set, as given */
#define DG_CNN_META_CALIBRATION_IDS "calibration_ids"       /* the kind of ids hashed: "path"
                                                               (ImageFolder) or "image_id" (or
                                                               absent: earlier versions' files) */
#define DG_CNN_META_CALIBRATION_IMAGES "calibration_images" /* their dg_image_key, sorted,
                                                               little-endian u64, base64 */
/* The record of the model file at path: the sorted keys (g_free; *n their
 * number), the data set (*data, optional, g_free) and the kind of ids
 * hashed (*by_path: dg_dataset_item_key_id's), or NULL with *n 0 when the
 * file has none.  NULL + error when the file cannot be read or the record
 * is malformed. */
guint64 *dg_cnn_read_calibration(const char *path, int *n, char **data, gboolean *by_path,
                                 GError **error);

/* ---- a classifier training run (dg-job-cnn.c: the training loop;
 * dg-job-cnn-setup.c: building and resuming it) ---------------------------------- */

#define HIST_COLS 7 /* epoch, train_loss, train_acc, val_loss, val_acc, val_bacc, lr */

/* One training image: a real one (src 0) or a synthetic one (src 1). */
typedef struct {
    int src, idx, label;
} pool_item;

typedef struct {
    dg_job *job;
    dg_cnn_train_config *cfg;
    dg_dataset *ds, *syn;
    dg_cnn *cnn;
    dg_ctx *ctx;
    dg_opt opt;
    dg_rng rng;
    GArray *pool;      /* pool_item */
    GArray *syn_pool;  /* pool_item, when mixing at a fixed ratio */
    int *perm, *syn_perm;
    int pos, syn_pos;  /* position in the permutations */
    int64_t step, total_steps;
    int epoch, steps_per_epoch;
    float class_w[64];
    float logit_bias[64]; /* with balance "logit-adjust": log of each class's training prior */
    int *val_idx, n_val;
    double best_bacc;
    int best_epoch;
    double ep_loss;    /* running sums of the epoch in progress */
    int64_t ep_correct, ep_n;
    GArray *history;   /* floats, HIST_COLS per epoch */
    char *ckpt_path, *model_path;
    /* auxiliary classes: the task classes' indices, a task-only copy of the
     * model (validated and saved), and data set class -> task index */
    int n_task, task[64], task_map[64];
    dg_cnn *task_cnn;
    dg_cnn *ema_cnn;          /* the weights' moving average (cfg->ema > 0) */
    dg_cnn *teacher;          /* distillation (cfg->teacher), evaluation mode */
    float *teacher_logits;    /* its logits for this rank's part of the batch */
    int64_t last_ckpt_step;   /* -1: none written by this run yet */
    dg_run_dir *dir;          /* the run folder, locked while the job runs */
    dg_run_identity *identity; /* the settings that define the run */
    /* data-parallel (dist/dg-dist.h): every rank takes images [part_off,
     * part_off + part_n) of each batch; rank 0 alone writes files and events */
    dg_dist *dist;
    int part_off, part_n;
} cnn_run;

/* Checks the config, opens the run folder and loads the data; builds the
 * model, the training pool, the class weights and the validation images;
 * initializes the weights, optimizer and shuffles from the seed. */
gboolean dg_cnn_run_setup(cnn_run *r, GError **error);
/* The run's state: from its checkpoint when resuming; otherwise its
 * config.json is written. */
gboolean dg_cnn_run_start_or_resume(cnn_run *r, const dg_cnn_config *cc, GError **error);
/* Writes the run's exact state to its checkpoint (refused, with a
 * DG_MODEL_ERROR_NOT_FINITE error, when the weights are not finite). */
gboolean dg_cnn_run_save_checkpoint(cnn_run *r, GError **error);
/* A new shuffle of the training pool, from the run's random state. */
void dg_cnn_run_shuffle_pool(cnn_run *r);

/* dg-job-cnn-private.h: pieces of the classifier jobs shared among them. */
#pragma once
#include <json-glib/json-glib.h>

#include "data/dg-dataset.h"
#include "jobs/dg-job-cnn.h"
#include "models/dg-classifier.h"

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

/* Calibrates cnn on ds's splits (see dg_calibrate_config); the numbers go
 * into report (may be NULL) and a MESSAGE through job (may be NULL). */
gboolean dg_cnn_calibrate(dg_job *job, dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds, double keep,
                          JsonObject *report, GError **error);
/* Saves cnn to out with the extra metadata of the model file src (its
 * training record: best epoch, seeds, data...). */
gboolean dg_cnn_save_over(dg_cnn *cnn, const char *src, const char *out, GError **error);

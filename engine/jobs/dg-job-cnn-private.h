/* dg-job-cnn-private.h: pieces of the classifier jobs shared among them. */
#pragma once
#include "data/dg-dataset.h"
#include "jobs/dg-job-cnn.h"
#include "models/dg-classifier.h"

typedef struct {
    void (*on_epoch)(void *user, dg_cnn *cnn, int epoch);
    void *user;
} dg_cnn_train_hooks;

/* The training loop of dg_job_cnn_train, callable from another job (the
 * ablation, the GAN score) so that its events go out through that job. */
gboolean dg_cnn_train_run(dg_job *job, dg_cnn_train_config *cfg, const dg_cnn_train_hooks *hooks,
                          GError **error);

/* Predictions for items idx[0..n) of ds (no augmentation); label_map maps the
 * data set's class index to the model's (NULL: identity).  Returns the
 * balanced accuracy; loss/acc/probs_out (n * K) are optional outputs. */
double dg_cnn_eval_split(dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds, const int *idx, int n,
                         const int *label_map, double *loss, double *acc, float *probs_out);

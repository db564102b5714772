/* dg-classifier-view.h: the Classifier view: train, evaluate, ablation.
 *
 * Training: architecture, epochs, seed, optionally the session's synthetic
 * images mixed in; live curves (loss per step; per epoch the training and
 * validation losses and accuracies).  A finished training's best model
 * becomes the session's classifier and is evaluated at once.
 * Results: the evaluate job's RESULT on a split: headline metrics (accuracy,
 * balanced accuracy with its 95% interval, macro F1, macro AUC, ECE), the
 * confusion-matrix heatmap and the per-class table.
 * Ablation: K seeds x (real only, real + synthetic) with the session's
 * generator; the table of mean ± sd, paired differences and sign-flip p
 * values, and a per-class recall chart. */
#pragma once
#include <gtk/gtk.h>

#include "dg-chart.h"
#include "dg-job-runner.h"
#include "dg-session.h"

G_BEGIN_DECLS

#define DG_TYPE_CLASSIFIER_VIEW (dg_classifier_view_get_type())
G_DECLARE_FINAL_TYPE(DgClassifierView, dg_classifier_view, DG, CLASSIFIER_VIEW, GtkWidget)

void dg_classifier_view_set_session(DgClassifierView *self, DgSession *session);
/* "train", "results" or "ablation". */
void dg_classifier_view_show_page(DgClassifierView *self, const char *page);

/* arch: "seed", "dermanet", "mobile". */
void dg_classifier_view_configure(DgClassifierView *self, const char *arch, int epochs,
                                  guint64 seed);
/* The ablation's seeds (K) and real-only epochs. */
void dg_classifier_view_configure_ablation(DgClassifierView *self, int seeds, int epochs);
/* Trains on the session's data set into out (NULL: a new run folder); steps > 0
 * caps the optimizer steps (tests).  FALSE (and a toast) when it cannot start. */
gboolean dg_classifier_view_train(DgClassifierView *self, const char *out, int steps);
void dg_classifier_view_toggle_pause(DgClassifierView *self);
void dg_classifier_view_stop(DgClassifierView *self);
/* Evaluates the session's classifier on split ("test", "val", "all") of the
 * session's data set. */
gboolean dg_classifier_view_evaluate(DgClassifierView *self, const char *split);
/* Runs the ablation (seeds, epochs from the controls) into out (NULL: new). */
gboolean dg_classifier_view_run_ablation(DgClassifierView *self, const char *out);

DgJobRunner *dg_classifier_view_get_train_runner(DgClassifierView *self);
DgJobRunner *dg_classifier_view_get_eval_runner(DgClassifierView *self);
DgJobRunner *dg_classifier_view_get_ablation_runner(DgClassifierView *self);
DgChart *dg_classifier_view_get_confusion_chart(DgClassifierView *self);
/* Evaluations shown so far; points in the per-step loss curve. */
guint dg_classifier_view_get_n_results(DgClassifierView *self);
guint dg_classifier_view_get_n_points(DgClassifierView *self);

G_END_DECLS

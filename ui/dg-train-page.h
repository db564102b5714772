/* dg-train-page.h: the Classifier view's Training page.
 *
 * Architecture, epochs, seed, optionally the session's synthetic images
 * mixed in; live curves (the loss per step; per epoch the training and
 * validation losses and accuracies).  A finished training's best model
 * becomes the session's classifier, and the page emits "trained" (const
 * char *model) so that the Results page evaluates it at once. */
#pragma once
#include "dg-chart.h"
#include "dg-job-page.h"

G_BEGIN_DECLS

#define DG_TYPE_TRAIN_PAGE (dg_train_page_get_type())
G_DECLARE_FINAL_TYPE(DgTrainPage, dg_train_page, DG, TRAIN_PAGE, DgJobPage)

/* arch: "seed", "dermanet", "mobile". */
void dg_train_page_configure(DgTrainPage *self, const char *arch, int epochs, guint64 seed);
/* Trains on the session's data set into out (NULL: a new run folder); steps
 * > 0 caps the optimizer steps (tests).  FALSE (and a toast) when it cannot
 * start. */
gboolean dg_train_page_train(DgTrainPage *self, const char *out, int steps);
/* The distillation teacher of the next training (a classifier model file;
 * NULL: none), as the page's Teacher row shows it. */
void dg_train_page_set_teacher(DgTrainPage *self, const char *path);
const char *dg_train_page_get_teacher(DgTrainPage *self);
DgChart *dg_train_page_get_epoch_chart(DgTrainPage *self);
/* Points in the per-step loss curve. */
guint dg_train_page_get_n_points(DgTrainPage *self);

G_END_DECLS

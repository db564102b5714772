/* dg-classifier-view.h: the Classifier view: three pages, each its own
 * widget with its own job and actions (dg-job-page.h):
 *   Training (DgTrainPage), Results (DgResultsPage), Ablation (DgAblationPage).
 * The view only shows one at a time, sends its job.start/pause/stop to the
 * page shown, has Results evaluate a classifier as soon as Training made
 * one, and has it evaluate the session's classifier the first time it is
 * shown. */
#pragma once
#include <gtk/gtk.h>

#include "dg-ablation-page.h"
#include "dg-results-page.h"
#include "dg-session.h"
#include "dg-train-page.h"

G_BEGIN_DECLS

#define DG_TYPE_CLASSIFIER_VIEW (dg_classifier_view_get_type())
G_DECLARE_FINAL_TYPE(DgClassifierView, dg_classifier_view, DG, CLASSIFIER_VIEW, GtkWidget)

void dg_classifier_view_set_session(DgClassifierView *self, DgSession *session);
/* "train", "results" or "ablation". */
void dg_classifier_view_show_page(DgClassifierView *self, const char *page);

DgTrainPage *dg_classifier_view_get_train_page(DgClassifierView *self);
DgResultsPage *dg_classifier_view_get_results_page(DgClassifierView *self);
DgAblationPage *dg_classifier_view_get_ablation_page(DgClassifierView *self);

G_END_DECLS

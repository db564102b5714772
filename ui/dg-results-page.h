/* dg-results-page.h: the Classifier view's Results page.
 *
 * The evaluate job's RESULT on a split of the open data set: headline
 * metrics (balanced accuracy with its 95% interval, accuracy, macro F1,
 * macro AUC, calibration error), the confusion-matrix heatmap and the
 * per-class table.  A click on a cell of the matrix opens its images (true
 * class = row, predicted = column) in a DgCasesWindow, each with its
 * probabilities and Grad-CAM; "Most Confident Mistakes" opens the wrong
 * predictions the model was surest of.  The classifier is the session's (a
 * DgModelRow changes it).  "Another source" evaluates as if the images came
 * from another camera or light (the evaluate job's shift). */
#pragma once
#include "dg-cases-window.h"
#include "dg-chart.h"
#include "dg-job-page.h"

G_BEGIN_DECLS

#define DG_TYPE_RESULTS_PAGE (dg_results_page_get_type())
G_DECLARE_FINAL_TYPE(DgResultsPage, dg_results_page, DG, RESULTS_PAGE, DgJobPage)

/* Evaluates the session's classifier on split ("test", "val", "all"; NULL:
 * the chosen one).  FALSE when it cannot start (the page says why). */
gboolean dg_results_page_evaluate(DgResultsPage *self, const char *split);
/* The page is being shown: evaluates the session's classifier unless this
 * data set and classifier were evaluated already. */
void dg_results_page_shown(DgResultsPage *self);
DgChart *dg_results_page_get_confusion_chart(DgResultsPage *self);
/* The images of a confusion-matrix cell, or the most confident mistakes (at
 * most max), in a new window; NULL before an evaluation. */
DgCasesWindow *dg_results_page_open_cell(DgResultsPage *self, int row, int col);
DgCasesWindow *dg_results_page_open_mistakes(DgResultsPage *self, guint max);
/* Saves the last evaluation: what = "json" (the job's result), "csv"
 * (scope,metric,value lines), "matrix" (the confusion matrix; PNG, SVG or PDF
 * by the extension) or "report" (a one-page PDF with the training curves when
 * the classifier's run folder is at hand).  The page's Export menu asks where. */
gboolean dg_results_page_export(DgResultsPage *self, const char *what, const char *path,
                                GError **error);
/* The row naming the classifier, with its menu (tests). */
GtkWidget *dg_results_page_get_model_row(DgResultsPage *self);
/* The strength of the simulated change of source of the next evaluation
 * (0: none), as the page's "Another source" row sets it. */
void dg_results_page_set_shift(DgResultsPage *self, double shift);
/* The caption under the headline metrics (what was evaluated, on what). */
const char *dg_results_page_get_caption(DgResultsPage *self);
/* Whether Export is offered (only while a result is shown). */
gboolean dg_results_page_get_exportable(DgResultsPage *self);
/* The note shown where there is no result (what is missing for one). */
const char *dg_results_page_get_note(DgResultsPage *self);
/* Evaluations shown so far. */
guint dg_results_page_get_n_results(DgResultsPage *self);

G_END_DECLS

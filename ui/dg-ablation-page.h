/* dg-ablation-page.h: the Classifier view's Ablation page: do GAN images help?
 *
 * K seeds x (real only, and each protocol of using synthetic images ticked:
 * balance, fixed share, pretrain, filtered balance) with the session's
 * generator, the same architecture and the same number of steps in every
 * arm; an estimate of the time it takes before it runs; which protocol the
 * validation split chose; the table of one protocol (the chosen one first)
 * against real only: mean ± sd, paired differences with their 95% interval
 * and exact sign-flip p values (a
 * difference is coloured only when significant, p < 0.05: green when the
 * synthetic images made it better, red when worse; lower is better for the
 * calibration error), and a per-class recall chart.  Until one is run, the
 * bundled models' measured ablation on HAM10000 is shown. */
#pragma once
#include "dg-chart.h"
#include "dg-job-page.h"

G_BEGIN_DECLS

#define DG_TYPE_ABLATION_PAGE (dg_ablation_page_get_type())
G_DECLARE_FINAL_TYPE(DgAblationPage, dg_ablation_page, DG, ABLATION_PAGE, DgJobPage)

/* Architecture, seeds (K) and real-only epochs. */
void dg_ablation_page_configure(DgAblationPage *self, const char *arch, int seeds, int epochs);
/* The protocols to run, comma-separated ids ("balance,pretrain"); all are
 * ticked at first. */
void dg_ablation_page_set_protocols(DgAblationPage *self, const char *list);
int dg_ablation_page_count_protocols(DgAblationPage *self);
/* Runs the ablation into out (NULL: a new run folder); FALSE when it cannot start. */
gboolean dg_ablation_page_run(DgAblationPage *self, const char *out);
/* Shows an ablation.json document; FALSE when it cannot be read. */
gboolean dg_ablation_page_show(DgAblationPage *self, const char *json);
/* The protocol in the table (its id; "real+synthetic" for a two-arm
 * ablation.json), and choosing another one; FALSE when it is not there. */
const char *dg_ablation_page_get_shown_protocol(DgAblationPage *self);
gboolean dg_ablation_page_show_protocol(DgAblationPage *self, const char *id);
/* Saves the ablation shown: what = "json", "csv" (a line per row of the
 * table) or "chart" (the recall chart; PNG, SVG or PDF by the extension).
 * The page's Export menu asks where. */
gboolean dg_ablation_page_export(DgAblationPage *self, const char *what, const char *path,
                                 GError **error);
/* The estimate shown before Run: seconds (< 0 when there is no data set). */
double dg_ablation_page_get_estimate(DgAblationPage *self);
/* The note under the table: seeds, steps, recipe and how to read it. */
const char *dg_ablation_page_get_note(DgAblationPage *self);
/* The CSS class of a difference's cell ("success", "error" or NULL) in the
 * row of metric (e.g. "ece", "balanced_accuracy", "recall"); tests. */
const char *dg_ablation_page_get_cell_style(DgAblationPage *self, const char *metric);

G_END_DECLS

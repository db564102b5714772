/* dg-dataset-view.h: the Dataset view: what is in the current data set.
 *
 * Layout and counts, which classes are loaded and what was left out (with a
 * button to include HAM10000's other classes, or to go back to the task's
 * four), a class-count bar chart (per split), the per-lesion split summary,
 * the skipped files with their reasons, and a thumbnail grid that can
 * be filtered by class and split.  Activating a thumbnail opens it in
 * Diagnose (action win.diagnose-file). */
#pragma once
#include <gtk/gtk.h>

#include "dg-chart.h"
#include "dg-session.h"
#include "dg-thumb-grid.h"

G_BEGIN_DECLS

#define DG_TYPE_DATASET_VIEW (dg_dataset_view_get_type())
G_DECLARE_FINAL_TYPE(DgDatasetView, dg_dataset_view, DG, DATASET_VIEW, GtkWidget)

void dg_dataset_view_set_session(DgDatasetView *self, DgSession *session);
/* Filters of the grid: class index (-1 all), split (DG_SPLIT_NONE all). */
void dg_dataset_view_set_filter(DgDatasetView *self, int cls, int split);
/* Shown images after filtering. */
guint dg_dataset_view_get_n_shown(DgDatasetView *self);
DgChart *dg_dataset_view_get_chart(DgDatasetView *self);
DgThumbGrid *dg_dataset_view_get_grid(DgDatasetView *self);
/* The note on which classes are loaded and which were left out (NULL when
 * there is nothing to say); loading again with all classes or the task's
 * four only (the "Include Them" / "Task Classes Only" button). */
const char *dg_dataset_view_get_classes_note(DgDatasetView *self);
void dg_dataset_view_toggle_all_classes(DgDatasetView *self);

G_END_DECLS

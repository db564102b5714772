/* dg-generate-view.h: the Generate & Gallery view.
 *
 * Generates synthetic images with the session's generator (the bundled one,
 * the one trained last, or a chosen file): enough to balance the training
 * split, or N per class, optionally keeping the half the discriminator finds
 * most real.  Shows them by class beside the real images of that class, and
 * exports them to a folder.  "Explore…" looks inside the generator
 * (DgExploreWindow). */
#pragma once
#include <gtk/gtk.h>

#include "dg-explore-window.h"
#include "dg-job-page.h"
#include "dg-thumb-grid.h"

G_BEGIN_DECLS

#define DG_TYPE_GENERATE_VIEW (dg_generate_view_get_type())
G_DECLARE_FINAL_TYPE(DgGenerateView, dg_generate_view, DG, GENERATE_VIEW, DgJobPage)

void dg_generate_view_set_session(DgGenerateView *self, DgSession *session);
/* per_class 0: balance the training split.  FALSE (and a toast) when it cannot start. */
gboolean dg_generate_view_generate(DgGenerateView *self, int per_class, const char *out);
/* Show class index k (into the gallery's class list) in both grids. */
void dg_generate_view_show_class(DgGenerateView *self, guint k);
/* Copies the shown folder's images into dest (a GTask); "exported" signal
 * (int n_files, const char *error_or_NULL) when done. */
void dg_generate_view_export(DgGenerateView *self, const char *dest);

/* Opens a window that explores the session's generator (the Explore… button). */
DgExploreWindow *dg_generate_view_explore(DgGenerateView *self);
DgJobRunner *dg_generate_view_get_runner(DgGenerateView *self);
DgThumbGrid *dg_generate_view_get_synthetic_grid(DgGenerateView *self);
DgThumbGrid *dg_generate_view_get_real_grid(DgGenerateView *self);
/* What balancing would do for the open data set (the note under the settings). */
const char *dg_generate_view_get_amount_note(DgGenerateView *self);
/* Synthetic images found in the shown folder (all classes). */
guint dg_generate_view_get_n_synthetic(DgGenerateView *self);

G_END_DECLS

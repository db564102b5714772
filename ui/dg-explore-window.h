/* dg-explore-window.h: a look inside the session's generator.
 *
 * Runs the explore job (jobs/dg-job-explore.h): images between two samples
 * of one class, or one noise vector across the classes, each with the real
 * training image nearest to it (and their distance) below. */
#pragma once
#include <adwaita.h>

#include "dg-job-runner.h"
#include "dg-session.h"

G_BEGIN_DECLS

#define DG_TYPE_EXPLORE_WINDOW (dg_explore_window_get_type())
G_DECLARE_FINAL_TYPE(DgExploreWindow, dg_explore_window, DG, EXPLORE_WINDOW, AdwWindow)

DgExploreWindow *dg_explore_window_new(GtkWindow *parent, DgSession *session);
/* mode: "noise" or "classes"; cls: the class for "noise". */
void dg_explore_window_configure(DgExploreWindow *self, const char *mode, int cls,
                                 guint64 seed_a, guint64 seed_b, gboolean nearest);
/* Runs the job (the Show button); FALSE without a generator. */
gboolean dg_explore_window_show(DgExploreWindow *self);
DgJobRunner *dg_explore_window_get_runner(DgExploreWindow *self);
/* Images shown, and nearest real images shown (tests). */
guint dg_explore_window_get_n_samples(DgExploreWindow *self);
guint dg_explore_window_get_n_nearest(DgExploreWindow *self);

G_END_DECLS

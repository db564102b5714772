/* dg-gan-view.h: the GAN view: train a GAN and watch it learn.
 *
 * Preset, steps and seed; start, pause, resume and stop (a stopped run keeps
 * its checkpoint); "Resume…" continues a run folder from its checkpoint, with
 * its curves so far.  Live curves of D loss and G loss (left axis) and
 * D(real), D(fake) (right axis) with smoothing and a follow-the-last-N-steps
 * window; the fixed-noise sample grid of DG_EVENT_IMAGE; a progress bar with
 * images per second and the time left.  A finished run's generator becomes
 * the session's generator. */
#pragma once
#include <gtk/gtk.h>

#include "dg-chart.h"
#include "dg-job-runner.h"
#include "dg-session.h"

G_BEGIN_DECLS

#define DG_TYPE_GAN_VIEW (dg_gan_view_get_type())
G_DECLARE_FINAL_TYPE(DgGanView, dg_gan_view, DG, GAN_VIEW, GtkWidget)

void dg_gan_view_set_session(DgGanView *self, DgSession *session);
/* Sets the controls: preset ("tiny", "seed", "default", "large"), steps (0:
 * the preset's), seed. */
void dg_gan_view_configure(DgGanView *self, const char *preset, int steps, guint64 seed);
/* Starts training a new run on the session's data set (into out, or a new
 * run folder when NULL); FALSE (and a toast) when it cannot start. */
gboolean dg_gan_view_start(DgGanView *self, const char *out);
/* Continues the run in folder from its checkpoint (read off the main thread). */
void dg_gan_view_resume_run(DgGanView *self, const char *folder);
void dg_gan_view_toggle_pause(DgGanView *self);
void dg_gan_view_stop(DgGanView *self);

/* Steps between sample grids for a run of total steps (20 a run, at least
 * 10 and at most 200 steps apart): a grid costs about one training step. */
int dg_gan_view_sample_every(int total);

/* For tests and the benchmark. */
DgJobRunner *dg_gan_view_get_runner(DgGanView *self);
DgChart *dg_gan_view_get_curves_chart(DgGanView *self);
DgChart *dg_gan_view_get_samples_chart(DgGanView *self);
/* Points in the D-loss curve; sample grids shown; the run folder. */
guint dg_gan_view_get_n_points(DgGanView *self);
guint dg_gan_view_get_n_grids(DgGanView *self);
const char *dg_gan_view_get_run_dir(DgGanView *self);

G_END_DECLS

/* dg-gan-view.h: the GAN view: train a GAN and watch it learn.
 *
 * Preset, steps and seed; start, pause, resume and stop (a stopped run keeps
 * its checkpoint; job.* actions, dg-job-page.h); "Resume" continues the last
 * run or another run folder from its checkpoint, with its curves so far.
 * Live curves of D loss and G loss (left axis) and D(real), D(fake) (right
 * axis) with smoothing and a follow-the-last-N-steps window; the quality
 * curve (Fréchet distance to real features, every few minutes); the
 * fixed-noise sample grid, refreshed every 20 s of training (and every
 * few hundred steps); a progress bar with the speed measured on the job's
 * own clock (a pause does not count) and the time left.  How long a preset
 * takes is said only from a speed measured on this computer.  A finished
 * run's generator becomes the session's generator. */
#pragma once
#include "dg-chart.h"
#include "dg-job-page.h"

G_BEGIN_DECLS

#define DG_TYPE_GAN_VIEW (dg_gan_view_get_type())
G_DECLARE_FINAL_TYPE(DgGanView, dg_gan_view, DG, GAN_VIEW, DgJobPage)

/* Seconds of training between sample grids (besides the step interval). */
#define DG_GAN_VIEW_SAMPLE_SECONDS 20

void dg_gan_view_set_session(DgGanView *self, DgSession *session);
/* Seconds of training between sample grids for the next run (tests; 0: the default). */
void dg_gan_view_set_sample_seconds(DgGanView *self, int seconds);
/* Sets the controls: preset ("tiny", "seed", "default", "large"), steps (0:
 * the preset's), seed. */
void dg_gan_view_configure(DgGanView *self, const char *preset, int steps, guint64 seed);
/* Start the next new run from the bundled generator (only with the default
 * preset, whose networks it has); returns whether it will. */
gboolean dg_gan_view_set_warm_start(DgGanView *self, gboolean warm);
gboolean dg_gan_view_get_warm_start(DgGanView *self);
/* Starts training a new run on the session's data set (into out, or a new
 * run folder when NULL); FALSE (and a toast) when it cannot start. */
gboolean dg_gan_view_start(DgGanView *self, const char *out);
/* Continues the run in folder from its checkpoint (read off the main thread). */
void dg_gan_view_resume_run(DgGanView *self, const char *folder);
void dg_gan_view_toggle_pause(DgGanView *self);
void dg_gan_view_stop(DgGanView *self);

/* Draws the run in folder thin beside the current curves (NULL: none), read
 * off the main thread; the Curves group's "Compare with" does the same. */
void dg_gan_view_compare_with(DgGanView *self, const char *folder);
/* Points of the compared run's D-loss curve (tests). */
guint dg_gan_view_get_n_reference_points(DgGanView *self);

/* Steps between sample grids for a run of total steps (20 a run, at least
 * 10 and at most 200 steps apart): a grid costs about one training step. */
int dg_gan_view_sample_every(int total);

/* For tests and the benchmark. */
DgJobRunner *dg_gan_view_get_runner(DgGanView *self);
DgChart *dg_gan_view_get_curves_chart(DgGanView *self);
DgChart *dg_gan_view_get_quality_chart(DgGanView *self);
DgChart *dg_gan_view_get_samples_chart(DgGanView *self);
/* Points in the D-loss curve and in the quality curve; sample grids shown;
 * the run folder; the progress bar's text; the preset row's note. */
guint dg_gan_view_get_n_points(DgGanView *self);
guint dg_gan_view_get_n_quality(DgGanView *self);
guint dg_gan_view_get_n_grids(DgGanView *self);
const char *dg_gan_view_get_run_dir(DgGanView *self);
const char *dg_gan_view_get_progress_text(DgGanView *self);
const char *dg_gan_view_get_preset_note(DgGanView *self);

G_END_DECLS

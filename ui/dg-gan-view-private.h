/* dg-gan-view-private.h: the GAN view's parts, shared by dg-gan-view.c (the
 * page: controls, starting a run, its events) and dg-gan-view-run.c (resuming
 * a run folder, the sample grid). */
#pragma once
#include "dg-compare-button.h"
#include "dg-gan-view.h"
#include "dg-ui-util.h"

G_BEGIN_DECLS

#define DG_GAN_VIEW_GRID_COLS 8 /* the GAN job's sample grid: 8 columns, one row per class */
#define DG_GAN_VIEW_GRID_GUTTER 2

struct _DgGanView {
    DgJobPage parent_instance;

    AdwFlap *flap;
    AdwComboRow *preset_row;
    AdwActionRow *warm_row;
    GtkSwitch *warm_switch;
    AdwActionRow *steps_row, *run_row;
    GtkSpinButton *steps_spin, *seed_spin, *window_spin;
    GtkMenuButton *resume_button;
    AdwButtonContent *pause_content;
    GtkProgressBar *progress;
    GtkLabel *status_label, *samples_label;
    GtkScale *smoothing_scale;
    GtkStack *curves_stack;
    DgChart *curves_chart, *quality_chart, *samples_chart;
    DgCompareButton *compare_button;

    dg_line_chart *curves, *quality; /* owned by their charts */
    int s_dloss, s_gloss, s_dreal, s_dfake, s_fd;
    int s_cls_real, s_cls_fake; /* the class head's losses (AC-GAN presets), hidden until one comes */
    int s_cls_twin;             /* the twin head's (TAC-GAN presets), likewise */
    GArray *ref_series;     /* series of the compared run in curves (ints), then one in quality */
    char *run_dir;
    char *prev_last_run;    /* "last-gan-run" before this run, while it has no checkpoint */
    char *run_preset;       /* the preset of the run being trained */
    int run_batch;          /* its images per step */
    char **class_names;     /* row labels of the sample grid */
    gint64 step, total;
    guint n_grids;
    int sample_seconds;     /* a grid every this many seconds of training */
    dg_ui_rate rate;        /* measured from the job's running time */
    double images_per_s;    /* the last measured speed of this run (0: none) */
    char *next_out;         /* for the next start (NULL: a new run folder) */
    GCancellable *cancel;   /* reading run folders */
};

/* dg-gan-view.c */
const char *dg_gan_view_preset_name(guint index); /* NULL past the last */
/* Fresh curves (losses, quality), ready for points. */
void dg_gan_view_new_curves(DgGanView *self);
/* The class heads' losses at a step (NaN: none; hidden until one comes). */
void dg_gan_view_append_class_point(DgGanView *self, double step, double real, double fake,
                                    double twin);
void dg_gan_view_append_point(DgGanView *self, double step, double dl, double gl, double dr,
                              double df);
void dg_gan_view_append_quality(DgGanView *self, double step, double fd);
/* The progress bar: step, total and the measured speed (or "paused"). */
void dg_gan_view_show_progress(DgGanView *self);
/* Runs a gan-train job (c: owned) as the view's job. */
void dg_gan_view_run_config(DgGanView *self, void *gan_train_config, const char *title);

/* dg-gan-view-run.c */
/* Draws the run chosen to compare with (thin, beside the current curves). */
void dg_gan_view_add_reference(DgGanView *self);
void dg_gan_view_on_compare_chosen(DgGanView *self, gpointer run);
/* The sample grid of an IMAGE event (or a PNG of the run folder). */
void dg_gan_view_show_grid(DgGanView *self, const guint8 *rgb, int w, int h);
void dg_gan_view_show_grid_file(DgGanView *self, const char *path);
/* The Resume menu: the last run (when it has a checkpoint), another folder. */
void dg_gan_view_update_resume_menu(DgGanView *self);
void dg_gan_view_install_run_actions(GtkWidgetClass *wc);

G_END_DECLS

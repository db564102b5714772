/* dg-job-gan-train-private.h: the state of one GAN training run, shared by the job
 * (dg-job-gan.c: setup, the step loop, samples) and its files
 * (dg-job-gan-checkpoint.c: checkpoints and model files).  Internal to
 * engine/jobs. */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "dist/dg-dist.h"
#include "jobs/dg-gan-monitor.h"
#include "jobs/dg-job-gan.h"
#include "jobs/dg-run-dir.h"
#include "models/dg-gan.h"
#include "models/dg-safetensors.h"
#include "numerics/dg-ctx.h"

G_BEGIN_DECLS

#define HIST_COLS 5 /* step, d_loss, g_loss, d_real, d_fake */
#define CLASS_HIST_COLS 3 /* with a class head: class_real, class_fake, class_twin (NaN: none) */

typedef struct {
    dg_job *job;
    dg_gan_train_config *cfg;
    dg_dataset *ds;
    dg_gan *gan;
    dg_ctx *ctx;
    dg_rng rng;        /* everything random in training */
    int64_t step;      /* steps done */
    int64_t total;
    GArray *history;   /* floats, HIST_COLS per step */
    GArray *class_history; /* with a class head (cfg.aux): floats, CLASS_HIST_COLS per step */
    GArray *quality;   /* floats: (step, frechet) pairs */
    dg_gan_monitor *monitor;
    char **class_ids, **class_names;
    int *train_idx[DG_GAN_MAX_CLASSES];
    int n_train[DG_GAN_MAX_CLASSES];
    int *all_train;
    int n_all_train;
    float *z_fixed;
    int *grid_labels;
    char *ckpt_path, *model_path, *samples_dir;
    char *best_path;      /* generator-best.safetensors: the lowest monitored Frechet distance */
    double best_frechet;  /* its figure (INFINITY: none yet) */
    int64_t best_step;
    int64_t last_ckpt_step;
    dg_run_dir *dir;          /* the run folder, locked while the job runs */
    dg_run_identity *identity; /* the settings that define the run */
    char *initialized_from;   /* where a warm-started run's weights came from (NULL: the seed) */
    int64_t steps_before;     /* the steps those weights had had, over all their runs (0: none) */
    /* data-parallel (dist/dg-dist.h): every rank takes images [part_off,
     * part_off + part_n) of each batch; rank 0 alone writes files and events */
    dg_dist *dist;
    int part_off, part_n;
    dg_gan_shard shard;
} gan_run;

/* The classes as the model files' "classes" metadata (g_free). */
char *gan_run_classes_meta(gan_run *r);

/* The checkpoint (everything a --resume needs), written atomically. */
gboolean gan_run_save_checkpoint(gan_run *r, GError **error);
/* A model file at path (the EMA generator with fresh batch-norm statistics,
 * plus D); frechet, when finite, is recorded as the monitored figure. */
gboolean gan_run_save_model_to(gan_run *r, const char *path, double frechet, GError **error);
/* The run's generator.safetensors. */
gboolean gan_run_save_model(gan_run *r, GError **error);
/* FALSE + error unless st's classes are this data set's, in its order;
 * `what` names st in the message. */
gboolean gan_run_same_classes(gan_run *r, const dg_st *st, const char *what, GError **error);
/* --init-from's weights: a file of the data set's classes as they are; one
 * that shares some of them by class id (a run on HAM10000's task classes
 * started from one on all seven, or the other way round), with the classes
 * new to it starting from the mean of its class conditioning.  Refused when
 * no class is shared, or with class heads. */
gboolean gan_run_read_weights_by_class(gan_run *r, const dg_st *st, GError **error);
/* Reads the run's checkpoint into r (settings, classes and every count
 * checked); FALSE + error if it is not this run's or is corrupt. */
gboolean gan_run_load_checkpoint(gan_run *r, GError **error);

/* A file's "steps_before" metadata: the steps its weights had had before
 * its own run (0 when absent or not a sane count). */
int64_t gan_steps_before(const dg_st *st);

G_END_DECLS

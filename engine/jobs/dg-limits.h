/* dg-limits.h: the stated range of every number a job takes from outside
 * (jobs layer).  The CLI checks its options against these before anything
 * runs (an option outside its range is an error naming the range, never
 * replaced by a default); each job checks its config again
 * (dg_job_check_*), so that the app and scripts get the same limits.  In a
 * job config, 0 means "the default" where the field's comment says so.
 *
 * Sizes that come from files are bounded where the files are read: model
 * files (DG_ST_MAX_FILE_SIZE, and DG_MODEL_MAX_BYTES for the memory their
 * networks need, dg-model-file.h), images and the HAM10000 CSV (the data
 * layer's limits). */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

#define DG_LIMIT_STEPS 10000000        /* optimizer steps of one training */
#define DG_LIMIT_EPOCHS 10000
#define DG_LIMIT_THREADS 256
#define DG_LIMIT_GAN_BATCH 1024        /* and the memory limit of dg-model-file.h */
#define DG_LIMIT_CNN_BATCH 1024
#define DG_LIMIT_GAN_WIDTH 256
#define DG_LIMIT_CNN_WIDTH 256
#define DG_LIMIT_PER_CLASS 100000      /* images generated per class (per-class, target) */
#define DG_LIMIT_CANDIDATES 1000000    /* candidates per class when filtering (per-class / keep) */
#define DG_LIMIT_KEEP_MIN 0.01         /* filtering keeps at least 1% of the candidates */
#define DG_LIMIT_SCORE_PER_CLASS 10000 /* gan score: synthetic images per class */
#define DG_LIMIT_SEEDS 100             /* ablation seeds */
#define DG_LIMIT_SECONDS 86400         /* intervals given in seconds */
#define DG_LIMIT_SEED G_MAXINT64       /* seeds: 0 .. 2^63 - 1 */

/* Range checks for job configs: FALSE + DG_JOB_ERROR_INVALID "NAME: V is
 * out of range (LO to HI)".  allow_zero: 0 is accepted as "the default". */
gboolean dg_job_check_int(const char *name, gint64 v, gint64 lo, gint64 hi, gboolean allow_zero,
                          GError **error);
gboolean dg_job_check_double(const char *name, double v, double lo, double hi,
                             gboolean allow_zero, GError **error);

G_END_DECLS

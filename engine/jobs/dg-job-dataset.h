/* dg-job-dataset.h: the dataset-load job: a data set loaded and split for
 * looking at it (the app's Dataset view), exactly as the training jobs load
 * and split it.
 *
 * Unlike the training jobs, a data set that cannot be split (too few
 * lesions in a class) is still returned, with the reason among its
 * warnings: it is worth showing.  Events: PROGRESS with step/total in
 * thousandths of the load and the message saying what is being done; RESULT:
 * {"root", "layout", "images", "classes", "skipped_files", "skipped_rows",
 * "left_out_rows", "has_split"}.  The data set itself is handed over through
 * the config: once the job has SUCCEEDED, dg_dataset_load_config_take gives
 * it to the caller (who then owns it). */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "data/dg-dataset.h"
#include "jobs/dg-job.h"

G_BEGIN_DECLS

typedef struct {
    char *path;
    gboolean all_classes; /* HAM10000: all seven classes, not only the task's four */
    int size;             /* prepared image side (0: 64) */
    int threads;          /* decoding threads (0: all cores) */
    char *cache_dir;      /* NULL: the user cache; "": none */
    uint64_t split_seed;  /* 0: 1, the seed every job uses by default */
    dg_dataset *dataset;  /* out: set by the job when it succeeds */
} dg_dataset_load_config;

dg_dataset_load_config *dg_dataset_load_config_new(void);
void dg_dataset_load_config_free(void *config);
/* The loaded data set (NULL before success); the caller owns it. */
dg_dataset *dg_dataset_load_config_take(dg_dataset_load_config *config);
extern const dg_job_kind dg_job_dataset_load;

G_END_DECLS

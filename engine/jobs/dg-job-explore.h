/* dg-job-explore.h: the explore job: look inside a trained generator.
 *
 * Mode "noise": `steps` images of one class along the great circle between
 * two noise vectors (drawn from seed_a and seed_b), so a user sees whether
 * the generator moves smoothly between two samples.  Mode "classes": one
 * noise vector (seed_a) drawn as every class, so a user sees what the class
 * changes and what the noise keeps.  (A path between two classes' embeddings
 * would need the generator to take mixed labels; the models layer's
 * dg_gan_generate takes whole classes.)  With a data set, each image also gets
 * its nearest real image of the training split (pixel distance at the
 * generator's size): a generator that copies its training images shows it
 * here.
 *
 * Events: IMAGE (size x size RGB) per generated image, message "sample",
 * values "index", "class" and "t"; with a data set, then IMAGE per nearest
 * real image, message "nearest", values "index" and "distance" (root mean
 * square over pixels in [0, 1]), path: the file.  RESULT: {"mode", "n",
 * "classes": [ids], "samples": [{"index", "class", "t", "nearest", "distance"}]}. */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "jobs/dg-job.h"

G_BEGIN_DECLS

#define DG_EXPLORE_MAX_STEPS 16

typedef struct {
    char *model;         /* generator; NULL: the bundled default */
    char *mode;          /* "noise" (default) | "classes" */
    int cls;             /* "noise": the class (index into the model's classes) */
    uint64_t seed_a, seed_b;
    int steps;           /* "noise": images along the path, 2..DG_EXPLORE_MAX_STEPS (default 8) */
    char *data;          /* for the nearest real images, or NULL */
    gboolean all_classes;
    uint64_t split_seed;
    int threads;
    char *cache_dir;
} dg_explore_config;

dg_explore_config *dg_explore_config_new(void);
void dg_explore_config_free(void *config);
extern const dg_job_kind dg_job_explore;

G_END_DECLS

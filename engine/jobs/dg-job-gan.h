/* dg-job-gan.h: GAN jobs: train a GAN on a data set's training split, and
 * generate synthetic images from a model file. */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "jobs/dg-job.h"

G_BEGIN_DECLS

/* ---- training ----------------------------------------------------------------
 * Run folder: config.json, checkpoint.safetensors (everything needed to
 * resume exactly), generator.safetensors (the model: EMA generator +
 * discriminator), samples/step-NNNNNN.png and samples/latest.png.
 * Events: PROGRESS per step with values d_loss, g_loss, d_real, d_fake (and
 * rate = images/s, eta); IMAGE every sample_every steps (one row per class);
 * EPOCH every quality_every seconds with step and the value "frechet" (see
 * dg-gan-monitor.h; the series is kept in the checkpoint);
 * MESSAGE warnings (discriminator winning outright); RESULT at the end. */
typedef struct {
    char *data;             /* data set folder */
    char *out;              /* run folder */
    char *preset;           /* seed | default | large (| tiny, for tests) */
    int steps;              /* total steps; 0: the preset's */
    uint64_t seed;          /* training randomness */
    uint64_t split_seed;    /* the data split (default 1) */
    int threads;            /* 0: all cores */
    gboolean resume;        /* continue from out/checkpoint.safetensors */
    char *init_from;        /* a new run starting from the weights of this GAN checkpoint or
                               generator model (saved with its discriminator) of the same
                               networks; NULL: from the seed */
    gboolean all_classes;   /* HAM10000: all seven classes */
    gboolean follow_symlinks; /* read symlinks that lead out of the data set's folder */
    int sample_every;       /* steps between sample grids (0: 200) */
    int checkpoint_every;   /* steps between checkpoints (0: 500) */
    char *cache_dir;        /* NULL: the user cache; "": none */
    int batch;              /* 0: the preset's */
    double lr;              /* 0: the preset's (both nets) */
    char *loss;             /* NULL: the preset's; "bce" | "hinge" */
    char *diffaug;          /* NULL: the preset's */
    int width;              /* ngf = ndf; 0: the preset's */
    char *g_upsample;       /* NULL: the preset's; "convt" | "nearest" | "bilinear" (upsample + conv) */
    int sample_seconds;     /* also a sample grid after this many seconds of training (0: by
                               steps only; the app asks for one every 20 s) */
    int quality_every;      /* seconds between quality measurements (0: 300; < 0: none) */
    char *quality_model;    /* their feature extractor (NULL: the bundled classifier) */
    struct dg_dist *dist;   /* data-parallel over these processes (dist/dg-dist.h; not owned);
                               NULL: this process alone */
} dg_gan_train_config;

dg_gan_train_config *dg_gan_train_config_new(void);
void dg_gan_train_config_free(void *config);
extern const dg_job_kind dg_job_gan_train;

/* ---- generation -----------------------------------------------------------------
 * Writes PNGs into out/<class id>/ and out/manifest.json. */
typedef struct {
    char *model;            /* generator model file; NULL: the bundled default */
    char *out;
    int per_class;          /* N images per class, or */
    gboolean balance;       /* fill every class up to the largest (or target) */
    int target;             /* with balance: 0 = the largest class's count */
    char *data;             /* with balance: the data set whose training split is counted;
                               with per_class: only its classes are made (NULL: all) */
    gboolean all_classes;
    gboolean follow_symlinks; /* read symlinks that lead out of the data set's folder */
    uint64_t split_seed;
    uint64_t seed;
    int threads;
    char *filter;           /* NULL/"none" | "discriminator" | "classifier" */
    char *classifier;       /* classifier model for filter = classifier (NULL: bundled) */
    double keep;            /* filtering: keep this fraction of candidates (default 0.5) */
    char *cache_dir;
    char *grid;             /* also write a picture of the first images, one row per class
                               with its name (.png, .svg or .pdf; not the model), or NULL */
    char **classes;         /* only these class ids of the generator's (NULL: all of them) */
} dg_gan_generate_config;

dg_gan_generate_config *dg_gan_generate_config_new(void);
void dg_gan_generate_config_free(void *config);
extern const dg_job_kind dg_job_gan_generate;

/* ---- a generator cut down to some of its classes -------------------------------
 * (dg_gan_save_classes): e.g. the four task classes of a GAN trained on all
 * seven of HAM10000's, which draws the same images for them.  RESULT
 * {"model": out, "from": model}.  An existing out is not overwritten. */
typedef struct {
    char *model;   /* generator model file */
    char **classes; /* class ids to keep */
    char *out;     /* the new model file */
} dg_gan_export_config;

dg_gan_export_config *dg_gan_export_config_new(void);
void dg_gan_export_config_free(void *config);
extern const dg_job_kind dg_job_gan_export;

G_END_DECLS

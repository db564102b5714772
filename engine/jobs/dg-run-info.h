/* dg-run-info.h: small read-only queries about what the jobs use and write,
 * for the app (jobs layer).
 *
 * The app drives the jobs and never parses a model file or a checkpoint, nor
 * calls the models layer: what it needs to show before or beside a job (a GAN
 * preset's length, a run folder's curves so far, a model file's classes) it
 * asks here.  Functions that read a file say so: call them off the main
 * thread (a GTask); the others are cheap. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* ---- GAN presets (no file) ------------------------------------------------------ */

typedef struct {
    char name[16];
    int steps;          /* the preset's training length */
    int batch;          /* images per step */
    int size;           /* image side */
    int width;          /* generator width (ngf) */
    gboolean conditional;
} dg_gan_preset_info;

/* FALSE for an unknown preset name. */
gboolean dg_gan_preset_info_get(const char *preset, dg_gan_preset_info *info);

/* ---- model files (reads the file's header only) ---------------------------------- */

typedef enum {
    DG_MODEL_KIND_GENERATOR,
    DG_MODEL_KIND_CLASSIFIER,
} dg_model_kind;

typedef struct {
    dg_model_kind kind;
    char *arch;            /* the GAN preset or the classifier architecture, or NULL */
    int image_size;        /* 0 when not stated */
    int n_classes;
    char **class_ids;      /* NULL-terminated */
    char **class_names;
    gint64 trained_steps;  /* -1 when not stated */
    char *training_data;   /* the data set it was trained on, or NULL */
} dg_model_info;

/* FALSE + error when path is not a DermaGAN model file. */
dg_model_info *dg_model_info_read(const char *path, GError **error);
void dg_model_info_free(dg_model_info *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dg_model_info, dg_model_info_free)

/* ---- training run folders (reads the checkpoint) ---------------------------------- */

typedef enum {
    DG_RUN_GAN,        /* gan-train */
    DG_RUN_CLASSIFIER, /* cnn-train */
} dg_run_kind;

/* Columns of a GAN run's history: step, d_loss, g_loss, d_real, d_fake (as in
 * the checkpoint's "history" tensor and the PROGRESS events). */
#define DG_GAN_HISTORY_COLS 5
/* Columns of a GAN run's class-head history (presets with a class head,
 * AC-GAN / TAC-GAN): the class head's cross-entropy on real images, on the
 * generated ones, and the twin head's (NaN without it), one row per history
 * row (the checkpoint's "class_history" tensor; the PROGRESS events'
 * class_real, class_fake and class_twin). */
#define DG_GAN_CLASS_HISTORY_COLS 3
/* Columns of a classifier run's history: epoch, train_loss, train_acc,
 * val_loss, val_acc, val_bacc, lr (as in history.csv and the EPOCH events). */
#define DG_CNN_HISTORY_COLS 7

typedef struct {
    char *folder;
    dg_run_kind kind;
    char *data;            /* the data set it trains on */
    gboolean all_classes;  /* with all the data set's classes (HAM10000: seven) */
    char *preset;          /* GAN: the preset; classifier: the architecture */
    guint64 seed, split_seed;
    char *synthetic;       /* classifier: the synthetic images mixed in, or NULL */
    gint64 step;           /* optimizer steps done */
    int epoch;             /* classifier: epochs done */
    float *history;        /* n_history rows of history_cols floats */
    gint64 n_history;
    int history_cols;
    float *class_history;  /* GAN with a class head: n_history rows of
                              DG_GAN_CLASS_HISTORY_COLS, or NULL */
    float *quality;        /* GAN: (step, frechet) pairs, or NULL */
    gint64 n_quality;
    char **class_names;    /* GAN: the classes of its sample grid's rows, or NULL */
    char *latest_grid;     /* GAN: samples/latest.png, or NULL */
    char *model;           /* the model written so far (generator.safetensors,
                              model.safetensors), or NULL */
} dg_run_info;

/* The __metadata__ object of a safetensors file (a model or checkpoint),
 * reading its header alone; json_node_unref. */
JsonNode *dg_model_metadata_read(const char *path, GError **error);
/* Its member key if a string, else NULL (absent, or of another type). */
const char *dg_model_metadata_string(JsonNode *meta, const char *key);
/* The kind of training whose checkpoint is in folder, from its header alone;
 * FALSE when there is none or it is of neither kind. */
gboolean dg_run_kind_read(const char *folder, dg_run_kind *kind);
/* What the checkpoint of a training run folder says.  FALSE + error (naming
 * the folder) when it has no checkpoint of a GAN or classifier training. */
dg_run_info *dg_run_info_read(const char *folder, GError **error);
void dg_run_info_free(dg_run_info *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dg_run_info, dg_run_info_free)

/* ---- where runs go (cheap) --------------------------------------------------------- */

/* The folder the app makes run folders in: <user data>/dermagan/runs (g_free). */
char *dg_runs_dir(void);
/* The run folders of a kind ("gan", "classifier") there that hold a
 * checkpoint, newest first, at most max (NULL-terminated; g_strfreev). */
char **dg_runs_list(const char *kind, int max);
/* A new, unused run folder there: <kind>-YYYYmmdd-HHMMSS[-N] (not created; g_free). */
char *dg_runs_new_dir(const char *kind);

G_END_DECLS

/* dg-run-dir.h: a job's run folder, owned by one process at a time, and the
 * settings that define a run (jobs layer).
 *
 * Every job that writes into a folder (GAN and classifier training,
 * generation, the ablation) opens it with dg_run_dir_open: the folder is
 * created if needed and locked (flock on RUN/.dermagan.lock, released when
 * the process ends, however it ends), so that a second process writing the
 * same folder is refused with a clear message instead of overwriting the
 * first one's run.  Under the lock, temporary files that a killed process
 * left behind in the folder and its direct sub-folders are removed: the
 * atomic writes' temporaries (NAME.dgtmp-XXXXXX, dg-file.h), and
 * NAME.XXXXXX for the NAMEs that versions before them wrote (the
 * checkpoint, models, config.json, history.csv...).  No other file is
 * touched: results.json.backup is the user's.
 *
 * A run's identity is the list of settings that define it (data set, split,
 * seeds, architecture, optimizer...).  It is stored in the checkpoint; on
 * --resume every setting must be the same, so that two runs never get mixed
 * into one; settings outside the identity (the number of steps, threads,
 * how often to checkpoint) may change. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

typedef struct dg_run_dir dg_run_dir;

/* Creates path (and parents) and takes its lock; FALSE + error (naming the
 * folder, and the process that holds it) when another process has it. */
dg_run_dir *dg_run_dir_open(const char *path, GError **error);
/* A training's run folder, as the GAN and classifier jobs use it: refuses
 * to resume without RUN/checkpoint.safetensors, to start over one, in a
 * folder holding anything but a run's files of its kind (before anything is
 * written there), or over files the new run would replace that are not a
 * run's (a user's config.json, history.csv or model file), or to go on in
 * a folder of the other kind of training (gan_run: a GAN's), locks the
 * folder, and tells the job (a MESSAGE) when stale temporaries were removed.
 * FALSE + error with a one-line reason. */
struct dg_job;
dg_run_dir *dg_run_dir_open_training(struct dg_job *job, const char *path, gboolean gan_run,
                                     gboolean resume, GError **error);
/* Releases the lock (the lock file stays). */
void dg_run_dir_close(dg_run_dir *dir);
/* How many stale temporary files dg_run_dir_open removed. */
int dg_run_dir_cleaned(const dg_run_dir *dir);

/* ---- identity ---- */
typedef struct dg_run_identity dg_run_identity;
dg_run_identity *dg_run_identity_new(void);
void dg_run_identity_free(dg_run_identity *id);
/* key: the option's name as the user knows it ("split-seed"). */
void dg_run_identity_add(dg_run_identity *id, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* What a saved identity that lacks key stands for (the value of a setting
 * before it was recorded, say "0" for an option added later that was off
 * until then); without it a missing key is not compared. */
void dg_run_identity_set_absent(dg_run_identity *id, const char *key, const char *value);
/* The contents of the file at path (a setting that names a file the run
 * reads at every step, such as a distillation teacher), recorded as the
 * key "<key>#sha256": a resume then refuses a file changed in place under
 * the same name.  Nothing is recorded when path is not a readable regular
 * file of at most max_bytes (the job's own loading reports that); reading
 * never blocks (a FIFO) and never passes max_bytes (a device). */
void dg_run_identity_add_file_contents(dg_run_identity *id, const char *key, const char *path,
                                       guint64 max_bytes);
/* The identity as a JSON object (g_free), for a checkpoint's metadata. */
char *dg_run_identity_to_json(const dg_run_identity *id);
/* Compares with a saved identity (NULL: a checkpoint from before
 * identities were saved; accepted).  FALSE + DG_JOB_ERROR_INVALID naming
 * the first setting that differs, with the run's and the new value. */
gboolean dg_run_identity_check(const dg_run_identity *id, const char *saved_json,
                               const char *run_path, GError **error);

/* An absolute, normalized form of a path given by the user (for the data
 * set in an identity: "data" and "./data" are the same set). g_free. */
char *dg_run_canonical_path(const char *path);

G_END_DECLS

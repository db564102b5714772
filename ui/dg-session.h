/* dg-session.h: what the views of one window share.
 *
 * The settings; the current data set (loaded by the dataset-load job, which
 * splits it by lesion exactly as the other jobs do: seed 1, 70/15/15; the
 * views read it, never change it); the models the
 * views use (the generator and the classifier: the bundled defaults, or the
 * ones trained or chosen since); the folder of synthetic images generated
 * last; and the jobs that are running, so that the window can ask before
 * closing and stop them cleanly.  Views report errors and notes through
 * dg_session_toast; the window shows them. */
#pragma once
#include <gio/gio.h>

#include "data/dg-dataset.h"
#include "dg-job-runner.h"

G_BEGIN_DECLS

#define DG_SPLIT_SEED 1

#define DG_TYPE_SESSION (dg_session_get_type())
G_DECLARE_FINAL_TYPE(DgSession, dg_session, DG, SESSION, GObject)

DgSession *dg_session_new(GSettings *settings);
GSettings *dg_session_get_settings(DgSession *self);
/* Threads a job may use (the "threads" setting; 0 = every core). */
int dg_session_get_threads(DgSession *self);

/* ---- the data set ---- */
/* Starts loading path (cancelling a load in progress), with all its classes
 * when the "all-classes" setting says so.  Signals:
 * "load-started" (path), "load-progress" (double fraction, const char *what),
 * then notify::dataset on success or "load-failed" (path, message); message
 * is NULL when the load was cancelled (dg_session_cancel_load). */
void dg_session_load_dataset(DgSession *self, const char *path);
/* The same, with all the data set's classes (HAM10000: seven, not the task's
 * four) when all_classes; the views' jobs then use all of them too. */
void dg_session_load_dataset_full(DgSession *self, const char *path, gboolean all_classes);
/* The loaded data set has all its classes (the jobs' all_classes). */
gboolean dg_session_get_all_classes(DgSession *self);
void dg_session_cancel_load(DgSession *self);
gboolean dg_session_is_loading(DgSession *self);
/* The loaded data set (split), or NULL.  Property "dataset" (pointer). */
const dg_dataset *dg_session_get_dataset(DgSession *self);
/* Its root folder, or NULL. */
const char *dg_session_get_dataset_path(DgSession *self);

/* ---- models and outputs ---- (properties "generator", "classifier", "synthetic") */
const char *dg_session_get_generator(DgSession *self);
void dg_session_set_generator(DgSession *self, const char *path);
const char *dg_session_get_classifier(DgSession *self);
void dg_session_set_classifier(DgSession *self, const char *path);
const char *dg_session_get_synthetic(DgSession *self);
void dg_session_set_synthetic(DgSession *self, const char *folder);
/* TRUE when path is the bundled model of that name ("generator", "classifier"). */
gboolean dg_session_is_bundled(const char *path);
/* "Bundled model", or the file's folder and name shortened for display (g_free). */
char *dg_session_describe_model(const char *path);

/* A new, unused run folder: <user data>/dermagan/runs/<kind>-YYYYmmdd-HHMMSS (not
 * created).  g_free. */
char *dg_session_new_run_dir(DgSession *self, const char *kind);

/* ---- jobs ---- */
/* Keeps a reference until the runner finishes.  Property "busy". */
void dg_session_track(DgSession *self, DgJobRunner *runner);
gboolean dg_session_is_busy(DgSession *self);
/* Active runners (transfer container). */
GPtrArray *dg_session_get_active(DgSession *self);
void dg_session_cancel_all(DgSession *self);

/* ---- messages ---- signal "toast" (const char *message, gboolean error) */
void dg_session_toast(DgSession *self, gboolean error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

G_END_DECLS

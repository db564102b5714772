/* dg-job-util.h: pieces shared by the job implementations. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "data/dg-dataset.h"
#include "dist/dg-dist.h"
#include "jobs/dg-job.h"
#include "models/dg-meta-prior.h"
#include "models/dg-safetensors.h"

G_BEGIN_DECLS

/* Load and split a data set for a job: progress as MESSAGE events, the job's
 * cancel flag honoured, skipped files summarized as a warning.  size: image
 * side.  FALSE + error when unusable (or cancelled: G_IO_ERROR_CANCELLED). */
dg_dataset *dg_job_load_dataset(dg_job *job, const char *path, gboolean all_classes, int size,
                                const char *cache_dir, uint64_t split_seed, GError **error);
/* The same, following symlinks out of the data set's folder when asked. */
dg_dataset *dg_job_load_dataset_ex(dg_job *job, const char *path, gboolean all_classes,
                                   gboolean follow_symlinks, int size, const char *cache_dir,
                                   uint64_t split_seed, GError **error);

/* A bundled resource (e.g. "models/generator.safetensors"): looked up in
 * $DERMAGAN_DATA_DIR, the installed data folder, then the source tree's
 * resources/ (for running from a build folder).  NULL if nowhere. */
char *dg_find_resource(const char *relpath);

/* Float CHW images in [-1, 1] -> RGB bytes HWC (n images of size x size). */
void dg_images_to_rgb(const float *chw, int n, int size, uint8_t *rgb);
/* Write RGB bytes as a PNG, atomically (temp file + rename). */
gboolean dg_write_png(const char *path, const uint8_t *rgb, int width, int height, GError **error);
/* Write a string to a file atomically and durably. */
gboolean dg_write_text(const char *path, const char *text, GError **error);

/* An output file the user names (a saliency overlay, a sample grid, a
 * model), checked before the job's work, so that nothing is computed for a
 * file that cannot be written.  FALSE + DG_JOB_ERROR_INVALID
 * "--OPT PATH: use a .png name" when its name does not end in one of exts
 * (with their dot, NULL-terminated, compared without case; NULL: any), or
 * dg_file_check_writable's error (a folder, device, FIFO or socket). */
gboolean dg_job_check_output(const char *opt, const char *path, const char *const *exts,
                             GError **error);
/* FALSE + DG_JOB_ERROR_INVALID "--OPT PATH is WHAT INPUT: it would be
 * overwritten; choose another name" when the output file path (given as
 * --opt) is the same file as one the job reads (dg_file_same: also through
 * a symlink or a hard link); what: "the input image", "the model"... */
gboolean dg_job_check_not_input(const char *opt, const char *path, const char *input,
                                const char *what, GError **error);

/* FALSE + DG_JOB_ERROR_INVALID "--OPT PATH is inside the data set DATA..."
 * when the output path (a file or folder, there or not yet) lies in the
 * data set's folder (or in a folder one of its symlinks leads to: a class
 * folder elsewhere), through symlinks too: its files are the job's inputs
 * (a calibrated model over HAM10000_metadata.csv, a grid over an image),
 * and what is written there joins the data set (generated images in a
 * class folder).  except (may be NULL): a file that may be written there
 * all the same (a model calibrated in place).  data NULL: TRUE. */
gboolean dg_job_check_outside_data(const char *opt, const char *path, const char *data,
                                   const char *except, GError **error);

/* FALSE + DG_JOB_ERROR_INVALID when the file a run reads, given as --opt
 * (a teacher, a model to start from; NULL: none), is one of the files names
 * (NULL-terminated) that the run writes into its folder run_dir, and would
 * overwrite. */
gboolean dg_job_check_not_run_output(const char *opt, const char *input, const char *run_dir,
                                     const char *const *names, GError **error);

/* Remove a folder and everything under it (symbolic links are removed, not
 * followed).  Best effort: what cannot be removed stays. */
void dg_remove_tree(const char *path);

/* A path (GLib filename encoding) as a JSON string member or value: as it
 * is when it is UTF-8, else its display form (g_filename_display_name):
 * JSON text must be UTF-8, and one file name of other bytes in a data set
 * made a whole result unreadable (json-glib: "JSON data must be UTF-8
 * encoded").  A display form names the file but cannot open it: where a
 * reader must open it (evaluate's per-image "path"), set_path_uri also
 * sets member_uri to its file:// URI when the path is not UTF-8. */
void dg_json_set_path(JsonObject *o, const char *member, const char *path);
void dg_json_set_path_uri(JsonObject *o, const char *member, const char *path);
void dg_json_add_path(JsonBuilder *b, const char *path);

/* A number member of an object, or NAN. */
double dg_json_member_double(JsonObject *o, const char *k);

/* FALSE + error (DG_MODEL_ERROR_NOT_FINITE) when any of a classifier's n
 * outputs (probabilities) is NaN or infinite: finite weights can still
 * overflow (a damaged model file with a huge weight), and NaN must never
 * reach a result as a probability or a metric. */
gboolean dg_job_check_outputs(const float *probs, long n, GError **error);
/* The same for any network's n outputs (generated images, features,
 * discriminator scores); what names it in the message: "the generator". */
gboolean dg_job_check_finite(const float *x, long n, const char *what, GError **error);

/* Emits a RESULT event with the object as its JSON document (takes it). */
void dg_job_emit_result(dg_job *job, JsonObject *result);

/* Running estimate of seconds per step for progress events. */
typedef struct {
    double avg;      /* exponential average of seconds per step */
    gint64 last_us;
} dg_rate;
void dg_rate_init(dg_rate *r);
/* Call once per step; returns seconds per step (smoothed). */
double dg_rate_tick(dg_rate *r);

/* Run another job (a "sub-job") on the calling job's thread, e.g. a
 * classifier training inside the ablation.  Its PROGRESS, EPOCH, MESSAGE and
 * IMAGE events go out through parent; the parent's pause and cancel reach
 * it; its RESULT document is returned in result_json (g_free; NULL if it
 * gave none) instead of being emitted.  The child owns config.  Returns the
 * child's final state (CANCELLED also when the parent was cancelled). */
dg_job_state dg_job_run_child(dg_job *parent, const dg_job_kind *kind, void *config,
                              char **result_json, GError **error);
/* The same for part `part` (0-based) of n_parts similar sub-jobs: the child's
 * PROGRESS events are rescaled to the whole (step, total and ETA as if all
 * parts took as long as this one) and carry the values "run" (part + 1) and
 * "runs" (n_parts), so that a progress bar shows the parent's progress.
 * n_parts < 0: the child's PROGRESS events are not passed on at all (work
 * that is small beside the parent's own progress). */
dg_job_state dg_job_run_child_part(dg_job *parent, const dg_job_kind *kind, void *config, int part,
                                   int n_parts, char **result_json, GError **error);

/* ---- data-parallel runs (dist: the run's processes, NULL for one; see
 * dist/dg-dist.h) ---- */

/* Every rank says whether its part of a phase went well (dg_dist_agree):
 * FALSE on all ranks if one failed (rank 0's error names it); when another
 * rank was cancelled, this job is cancelled too. */
gboolean dg_job_agree(dg_job *job, dg_dist *dist, gboolean ok, GError **error);
/* dg_job_continue for all ranks at once: FALSE on every rank (and this job
 * cancelled) when any rank's job was cancelled, so all stop after the same
 * step. */
gboolean dg_job_continue_all(dg_job *job, dg_dist *dist);
/* A checkpoint (or any safetensors file) as every rank sees it: read by
 * rank 0 and sent to the others, so that only rank 0 needs the run folder. */
dg_st *dg_job_read_st(dg_dist *dist, const char *path, GError **error);
/* A training's checkpoint, as dg_job_read_st reads it; a file that is there
 * but damaged (truncated, bad header) says so and what to do. */
dg_st *dg_job_read_checkpoint(dg_dist *dist, const char *path, GError **error);
/* A part of a batch augmented as in the whole batch: every rank augments
 * only its images [off, off + n), with the draws of the others skipped
 * (dg_augment_image takes DG_AUGMENT_DRAWS numbers per image): skip off
 * images' draws, augment, skip the rest's.  aug NULL: nothing to skip. */
void dg_job_skip_augment(const dg_augment *aug, dg_rng *rng, int n_images);
/* A fingerprint of a data set's images, classes and split, for
 * dg_dist_check_same. */
uint64_t dg_job_dataset_fingerprint(const dg_dataset *ds);
/* Data-parallel runs: "ranks", time in sums and its share of the run, for
 * a job's RESULT document and a closing message (seconds: the run's). */
void dg_job_report_dist(dg_job *job, dg_dist *dist, JsonObject *result, double seconds);

/* An item's patient metadata as the prior reads it (pointers into it). */
dg_patient dg_item_patient_of(const dg_item *it);

G_END_DECLS

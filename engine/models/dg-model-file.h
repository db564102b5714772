/* dg-model-file.h: what the GAN and classifier model files share
 * (models-and-data layer).
 *
 * Both kinds of model file are safetensors with the same "classes",
 * "image_size" and "preprocessing" metadata; both are checked the same way
 * before anything is allocated or used:
 *  - the class list: 1 to DG_MODEL_MAX_CLASSES entries, each with a
 *    non-empty id (at most 64 bytes, no control character, no '/' or '\',
 *    not starting with '.': ids name folders) and a name, no id twice;
 *  - "image_size" (when present) equal to the architecture's size;
 *  - the memory the networks would need (parameters, optimizer state and
 *    activations for the batch asked for) at most DG_MODEL_MAX_BYTES;
 *  - every weight and statistic finite (and batch-norm variances >= 0), on
 *    loading and before saving. */
#pragma once
#include <glib.h>

#include "models/dg-safetensors.h"
#include "numerics/dg-net.h"

G_BEGIN_DECLS

#define DG_MODEL_ERROR (dg_model_error_quark())
GQuark dg_model_error_quark(void);
typedef enum {
    DG_MODEL_ERROR_FORMAT,     /* not a model file of the expected kind */
    DG_MODEL_ERROR_INVALID,    /* metadata missing, out of range or contradictory */
    DG_MODEL_ERROR_TOO_LARGE,  /* the networks would need more than DG_MODEL_MAX_BYTES */
    DG_MODEL_ERROR_NOT_FINITE, /* a weight or statistic is NaN or infinite */
    DG_MODEL_ERROR_STATE,      /* a checkpoint's training state is missing or corrupt */
} dg_model_error;

#define DG_MODEL_MAX_CLASSES 64
#define DG_MODEL_MAX_ID_BYTES 64
/* Memory of one model (all its networks, with their optimizer state and
 * activation buffers): 4 GiB. */
#define DG_MODEL_MAX_BYTES (4ull << 30)

/* The "classes" metadata: [{"id": ..., "name": ...}, ...] (g_free). */
char *dg_model_classes_json(const char *const *ids, const char *const *names, int n);
/* Parses and checks it: exactly n classes (n in 1..DG_MODEL_MAX_CLASSES; n < 0:
 * as many as it lists, within that range),
 * ids non-empty, short, distinct and usable as a folder name (no '/' or
 * '\', no leading '.', so neither "." nor "..").  ids/names:
 * NULL-terminated, g_strfreev. */
gboolean dg_model_parse_classes(const char *json, int n, char ***ids, char ***names,
                                GError **error);

/* Sets "classes", "image_size" and "preprocessing" on a writer. */
void dg_model_write_common(dg_st_writer *w, const char *const *ids, const char *const *names,
                           int n_classes, int size);
/* The "format_version" of the model files written (a file without one is of
 * version 1). */
#define DG_MODEL_FORMAT_VERSION "1"
/* Checks the common metadata of a loaded file (its format version, image
 * size and class count against the architecture's), and parses the classes. */
gboolean dg_model_read_common(const dg_st *st, int size, int n_classes, char ***ids,
                              char ***names, GError **error);

/* Bytes a network needs once finalized (parameters, gradients and both
 * optimizer moments, buffers, activations and their gradients for its max
 * batch); works before dg_net_finalize, so that the check comes before the
 * allocation. */
guint64 dg_model_net_bytes(const dg_net *net);
/* FALSE + DG_MODEL_ERROR_TOO_LARGE when bytes exceed DG_MODEL_MAX_BYTES. */
gboolean dg_model_check_bytes(const char *what, guint64 bytes, GError **error);

/* Every parameter and buffer finite, batch-norm running variances >= 0. */
gboolean dg_model_check_finite(dg_net *net, const char *what, GError **error);

G_END_DECLS

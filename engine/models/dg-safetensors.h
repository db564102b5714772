/* dg-safetensors.h: the model file format (safetensors).
 *
 * Layout: an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
 * header, then the data buffer.  The header maps tensor names to
 * {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
 * data buffer) and may hold "__metadata__", an object of string values.
 * Tensor data is little-endian and C-contiguous (row-major).
 *
 * Reading validates everything before any tensor byte is exposed: a strict
 * RFC 8259 pass over the header (json-glib alone accepts comments, single
 * quotes, hex numbers and silently wraps big integers), no duplicate keys at
 * any level, known dtypes, shapes of at most DG_ST_MAX_DIMS non-negative
 * dimensions without overflow, offsets inside the buffer, byte sizes that
 * match the shapes, and tensors that tile the data buffer exactly (no holes,
 * no overlaps, no trailing bytes).  Every failure is a one-line GError in the
 * DG_ST_ERROR domain.
 *
 * Writing follows the Python `safetensors` library: the header is padded with
 * spaces to a multiple of 8 bytes, "__metadata__" comes first (omitted when
 * empty, keys sorted), and tensors are stored in the library's order: by dtype
 * descending in dg_st_dtype order (the library's, which sorts by element
 * size), then by name bytewise.  So each tensor starts at an offset that is a
 * multiple of its element size, and the output does not depend on the order
 * of dg_st_writer_add calls. */
#pragma once
#include <gio/gio.h>
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define DG_ST_MAX_DIMS 8
/* Largest file dg_st_load reads (2 GiB) and largest header (as in the Python library). */
#define DG_ST_MAX_FILE_SIZE ((uint64_t)2 << 30)
#define DG_ST_MAX_HEADER_SIZE ((uint64_t)100000000)

/* Declared in the order of the Python library's Dtype enum (by element size);
 * the writer's tensor order depends on it. */
typedef enum {
    DG_ST_BOOL,
    DG_ST_U8,
    DG_ST_I8,
    DG_ST_F8_E5M2,
    DG_ST_F8_E4M3,
    DG_ST_I16,
    DG_ST_U16,
    DG_ST_F16,
    DG_ST_BF16,
    DG_ST_I32,
    DG_ST_U32,
    DG_ST_F32,
    DG_ST_F64,
    DG_ST_I64,
    DG_ST_U64,
    DG_ST_N_DTYPES
} dg_st_dtype;

/* "F32", "I64", ...; NULL for an invalid value. */
const char *dg_st_dtype_name(dg_st_dtype dtype);
/* Bytes per element (1, 2, 4 or 8); 0 for an invalid value. */
size_t dg_st_dtype_size(dg_st_dtype dtype);

#define DG_ST_ERROR (dg_st_error_quark())
GQuark dg_st_error_quark(void);

typedef enum {
    DG_ST_ERROR_TOO_LARGE,  /* file over DG_ST_MAX_FILE_SIZE, not a regular file */
    DG_ST_ERROR_TRUNCATED,  /* shorter than 8 bytes, header longer than the file */
    DG_ST_ERROR_HEADER,     /* header: not UTF-8, not JSON, not an object, duplicate keys */
    DG_ST_ERROR_TENSOR,     /* a tensor entry: dtype, shape, data_offsets, byte size */
    DG_ST_ERROR_LAYOUT,     /* tensors overlap, leave holes, or do not cover the buffer */
    DG_ST_ERROR_METADATA,   /* __metadata__ is not an object of strings */
    DG_ST_ERROR_NOT_FOUND,  /* dg_st_get_f32: no tensor of that name */
    DG_ST_ERROR_MISMATCH,   /* dg_st_get_f32: wrong dtype or shape */
} dg_st_error;

/* ---- reading ---------------------------------------------------------- */

typedef struct dg_st dg_st;

typedef struct {
    const char *name;
    dg_st_dtype dtype;
    int ndim;
    int64_t shape[DG_ST_MAX_DIMS];
    int64_t numel;      /* product of shape (1 for ndim == 0) */
    size_t nbytes;      /* numel * dg_st_dtype_size(dtype) */
    const void *data;   /* raw little-endian bytes; NULL when nbytes == 0 */
} dg_st_tensor;

/* Read a whole regular file (at most DG_ST_MAX_FILE_SIZE bytes) and parse it.
 * I/O errors are in the G_FILE_ERROR domain. */
dg_st *dg_st_load(const char *path, GError **error);
/* Parse bytes (a reference is taken; bytes is not modified).  The data
 * buffer is kept 8-byte aligned: copied when it is not aligned in bytes. */
dg_st *dg_st_parse(GBytes *bytes, GError **error);
void dg_st_free(dg_st *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dg_st, dg_st_free)

/* Tensors in the order of their data in the file.  A tensor's data pointer is
 * aligned to its element size when its begin offset is a multiple of it
 * (always so for files written by dg_st_writer and by the Python library). */
int dg_st_n_tensors(const dg_st *st);
const dg_st_tensor *dg_st_tensor_at(const dg_st *st, int i);
const dg_st_tensor *dg_st_find(const dg_st *st, const char *name);

/* Metadata: value for key or NULL; keys sorted bytewise, NULL-terminated. */
const char *dg_st_metadata(const dg_st *st, const char *key);
const char *const *dg_st_metadata_keys(const dg_st *st);

/* Copy tensor `name` into out (numel floats) after checking that it exists,
 * is F32 and has exactly the shape expected_shape[0..ndim).  Converts from
 * little-endian. */
gboolean dg_st_get_f32(const dg_st *st, const char *name, int ndim,
                       const int64_t *expected_shape, float *out, GError **error);

/* ---- writing ---------------------------------------------------------- */

typedef struct dg_st_writer dg_st_writer;

dg_st_writer *dg_st_writer_new(void);
void dg_st_writer_free(dg_st_writer *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dg_st_writer, dg_st_writer_free)

/* Add a tensor.  data (host byte order, C-contiguous, numel elements) is
 * referenced, not copied: it must stay valid until the last save/to_bytes.
 * Programmer errors (g_critical, tensor not added): name NULL, not UTF-8,
 * "__metadata__" or already added; ndim outside 0..DG_ST_MAX_DIMS; a
 * negative dimension; a byte size that overflows; data NULL with numel > 0. */
void dg_st_writer_add(dg_st_writer *w, const char *name, dg_st_dtype dtype,
                      int ndim, const int64_t *shape, const void *data);
/* Set (or replace) a metadata entry; key and value must be UTF-8. */
void dg_st_writer_set_metadata(dg_st_writer *w, const char *key, const char *value);

/* The whole file in memory.  Fails (DG_ST_ERROR_TOO_LARGE) beyond
 * DG_ST_MAX_FILE_SIZE, which dg_st_load would refuse. */
GBytes *dg_st_writer_to_bytes(dg_st_writer *w, GError **error);
/* Write atomically: temp file, fsync, rename. */
gboolean dg_st_writer_save(dg_st_writer *w, const char *path, GError **error);

/* A string from a file, made safe for a one-line message: in single quotes,
 * control characters escaped (\x0a), long strings cut at a character
 * boundary ("'...'..."); NULL gives 'none'.  Free with g_free. */
char *dg_st_quoted(const char *s);

G_END_DECLS

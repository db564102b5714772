/* dg-data-private.h: pieces shared by the data-set sources; not a public API
 * (tests and the fuzz target may use it). */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "data/dg-csv.h"
#include "data/dg-dataset.h"
#include "data/dg-file.h"

G_BEGIN_DECLS

/* Bump when the preparation of pixels changes: it is part of the cache key. */
#define DG_PREP_VERSION 1

/* --- dg-image.c --- */
/* What the first bytes of a file are: "JPEG", "PNG", "BMP" (supported),
 * another image format's name ("GIF", "TIFF", ...), "text", or NULL. */
const char *dg_image_sniff(const uint8_t *data, gsize len);
/* Reads a whole image file for decoding (dg_file_read_regular within
 * DG_IMAGE_MAX_FILE_BYTES; an empty file is "zero-byte file"), with the
 * errors as skip reasons ("permission denied", "symlink loop", ...).
 * *transient is set for errors that say nothing about the content
 * (permission, a missing file, I/O), which are not cached. */
gboolean dg_image_read_file(const char *path, char **data, gsize *len, gboolean *transient,
                            GError **error);

/* --- dg-cache.c --- */
/* A 64-bit hash of bytes (not cryptographic; for checksums and seeds). */
uint64_t dg_hash64(const void *data, gsize len, uint64_t seed);

typedef struct dg_cache dg_cache;
typedef struct {
    const char *rel;       /* path relative to the data-set root (filename encoding) */
    gint64 file_size;
    gint64 mtime_ns;
    const char *reason;    /* NULL: pixels hold the prepared image; else why it was skipped */
    const uint8_t *pixels; /* 3 * size * size bytes when reason is NULL */
} dg_cache_entry;

/* The cache file for a data set: cache_dir/datasets/<hash of key>.dgc. */
char *dg_cache_path(const char *cache_dir, const char *key);
/* Opens and validates a cache file; NULL when absent or unusable (a broken
 * header).  Broken entries are dropped one by one. */
dg_cache *dg_cache_open(const char *file, int size);
/* Looks rel up: TRUE when an intact entry with the same size and mtime is
 * there; then either *pixels points into the cache (valid until
 * dg_cache_close) or *reason is a newly allocated skip reason. */
gboolean dg_cache_lookup(dg_cache *c, const char *rel, gint64 file_size, gint64 mtime_ns,
                         const uint8_t **pixels, char **reason);
int dg_cache_n_entries(const dg_cache *c);
void dg_cache_close(dg_cache *c);
/* Writes a complete cache file atomically. */
gboolean dg_cache_write(const char *file, int size, const dg_cache_entry *entries, int n,
                        GError **error);

/* --- dg-dataset.c --- */
/* The limits of dg-dataset.h as the loader uses them: variables, so that
 * tests can lower them instead of making a million files. */
typedef struct {
    int max_files;           /* DG_DATASET_MAX_FILES */
    int max_classes;         /* DG_DATASET_MAX_CLASSES */
    int max_path;            /* DG_DATASET_MAX_PATH */
    guint64 max_pixel_bytes; /* DG_DATASET_MAX_PIXEL_GB in bytes */
} dg_data_limits;
extern dg_data_limits dg_data_limits_in_use;

/* HAM10000's seven dx codes, in the order the load reports them. */
typedef struct {
    const char *id, *name; /* "mel", "Melanoma" */
    gboolean task;         /* one of the four classes of our task */
} dg_known_class;
#define DG_N_KNOWN_CLASSES 7
extern const dg_known_class dg_known_classes[DG_N_KNOWN_CLASSES];
int dg_known_class_index(const char *id); /* into dg_known_classes, or -1 */

/* A skip of a file or folder (rows 0). */
dg_skip *dg_skip_new(const char *display_path, const char *reason);
void dg_skip_free(dg_skip *s);
void dg_skip_free_notify(gpointer s); /* dg_skip_free as a GDestroyNotify */
/* Appends a skip of a file or folder given in the GLib filename encoding. */
void dg_skip_add_path(GPtrArray *skipped, const char *path, const char *reason);
void dg_skip_add_pathf(GPtrArray *skipped, const char *path, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static inline gboolean dg_load_cancelled(const dg_load_options *opt)
{
    return opt->cancel && *opt->cancel;
}

static inline void dg_load_progress(const dg_load_options *opt, double f, const char *what)
{
    if (opt->progress)
        opt->progress(f, what, opt->progress_user);
}

/* --- dg-ham-metadata.c --- */
/* One row of HAM10000_metadata.csv that made it into the data set. */
typedef struct {
    char *lesion_id, *image_id, *dx; /* valid UTF-8, no control characters */
    int line;
    dg_item_patient patient;
} dg_ham_row;
void dg_ham_row_free(dg_ham_row *row);

/* What dg_ham_parse_metadata found. */
typedef struct {
    GPtrArray *rows;     /* of dg_ham_row*: rows of the classes asked for */
    GPtrArray *skipped;  /* of dg_skip*: one per kind of problem with rows (rows > 0,
                            path the CSV), e.g. malformed rows, an unknown dx code,
                            invalid UTF-8 in a used column, a duplicate image_id */
    GPtrArray *warnings; /* of char*: rows kept with a note (no lesion_id) */
    GHashTable *all_ids; /* every image_id seen, also of rows left out or skipped, so
                            that images without a row can be told apart */
    int n_rows;          /* data rows read */
    int n_left_out;      /* rows of HAM10000's other known classes not asked for */
    char *left_out;      /* NULL or "left out: N rows of classes nv, df (use --all-classes)" */
} dg_ham_metadata;
void dg_ham_metadata_init(dg_ham_metadata *m);
void dg_ham_metadata_clear(dg_ham_metadata *m);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(dg_ham_metadata, dg_ham_metadata_clear)

/* Parses the metadata CSV into m (initialized).  Only the columns
 * lesion_id, image_id and dx are used: bytes that are not UTF-8 elsewhere
 * do not matter.  FALSE + error when the file cannot be used at all
 * (empty, no header columns, more than DG_DATASET_MAX_FILES rows). */
gboolean dg_ham_parse_metadata(const char *data, gsize len, const char *csv_display,
                               gboolean all_classes, dg_ham_metadata *m, GError **error);

/* Rows of the CSV grouped by what is wrong with them: a GPtrArray of
 * groups, each a count and the first DG_SKIP_LINES_SHOWN lines. */
GPtrArray *dg_row_groups_new(void);
/* Counts a row under what; detail (may be NULL) is shown beside its line
 * for the first few rows. */
void dg_row_group_add(GPtrArray *groups, const char *what, int line, const char *detail);
/* Appends one skip per group to skipped, with the CSV as its path. */
void dg_row_groups_to_skips(GPtrArray *groups, const char *csv_display, GPtrArray *skipped);

/* --- dg-dataset-scan.c --- */
#define DG_HAM_CSV "HAM10000_metadata.csv"

/* An image file the scan found; dg_dataset_load decodes it (or takes it
 * from the cache) unless it already has a reason. */
typedef struct {
    char *path;      /* the file (filename encoding) */
    char *rel;       /* relative to the root (filename encoding): the cache key */
    char *image_id;  /* UTF-8 */
    char *lesion_id; /* UTF-8 */
    char *class_id;  /* UTF-8 */
    gint64 file_size, mtime_ns;
    char *reason;    /* NULL: loaded */
    gboolean transient, from_cache, decoded;
    dg_item_patient patient;
} dg_cand;

/* A class folder of an ImageFolder. */
typedef struct {
    char *name;      /* folder name (filename encoding) */
    char *id;        /* class id (UTF-8) */
    char *display;   /* the folder, for the report */
    int entries;     /* everything found in it, good or bad */
} dg_class_folder;

typedef struct {
    const char *root;
    const dg_load_options *opt;
    dg_layout layout;
    GPtrArray *cands;    /* dg_cand*, in class then path order */
    GPtrArray *skipped;  /* dg_skip* */
    GPtrArray *warnings; /* char* */
    GPtrArray *folders;  /* dg_class_folder* (ImageFolder) */
    int n_rows_left_out; /* HAM10000 */
    char *left_out;
    char *root_real;     /* the root with every symlink resolved (realpath) */
    int n_entries;       /* folder entries read so far, against DG_DATASET_MAX_FILES */
    gboolean too_many;   /* over DG_DATASET_MAX_FILES: the scan stopped */
    GHashTable *files;   /* ImageFolder: "dev:ino" of every image taken -> its index in
                            cands, so that one file reached twice (a symlinked folder)
                            counts once */
} dg_scan;

void dg_scan_init(dg_scan *sc, const char *root, const dg_load_options *opt);
void dg_scan_clear(dg_scan *sc);
/* Tells the layout (HAM10000 when the root holds DG_HAM_CSV) and finds its
 * images and what is wrong with the others.  FALSE + error when there is
 * no data set there at all, or too many files; a cancel stops it early
 * with TRUE (the caller checks). */
gboolean dg_scan_run(dg_scan *sc, GError **error);

G_END_DECLS

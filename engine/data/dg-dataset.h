/* dg-dataset.h: data sets of dermoscopy images (models-and-data layer).
 *
 * Two layouts, detected automatically:
 *  - HAM10000: a folder with HAM10000_metadata.csv (lesion_id,image_id,dx,...)
 *    and the images in images/, HAM10000_images_part_1/ and _part_2/, or beside it;
 *  - ImageFolder: root/<class>/<name>.{jpg,jpeg,png,bmp}; class ids = folder names, sorted.
 *
 * Every image is prepared once by dg_image_prepare_*: RGB, centre-cropped to
 * a square, downscaled to size x size, stored as uint8 CHW.  Bad files are
 * skipped and listed with a reason; the rest loads.  Nothing is dropped
 * without a word: a metadata row that does not load is either skipped (a
 * problem, counted per kind with its first lines) or left out (a class not
 * asked for, counted in n_rows_left_out).  Only the columns lesion_id,
 * image_id and dx must be UTF-8.  Symlinks that lead out of the data set's
 * folder are skipped unless follow_symlinks; files are read only if regular
 * (dg-file.h); the sizes a folder can make us allocate meet the limits below. */
#pragma once
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <stdint.h>

#include "numerics/dg-rng.h"

G_BEGIN_DECLS

typedef enum { DG_LAYOUT_HAM10000, DG_LAYOUT_IMAGEFOLDER } dg_layout;
const char *dg_layout_name(dg_layout l); /* "ham10000" | "imagefolder" */

typedef enum { DG_SPLIT_TRAIN = 0, DG_SPLIT_VAL = 1, DG_SPLIT_TEST = 2, DG_SPLIT_NONE = 3 } dg_split;
const char *dg_split_name(dg_split s); /* "train" | "val" | "test" | "none" */

typedef struct {
    char *id;   /* "mel" (HAM dx code or folder name) */
    char *name; /* "Melanoma" for known dx codes, else the id */
} dg_class;
/* The display name of a class id: "Melanoma" for "mel", ..., else id itself. */
const char *dg_class_display_name(const char *id);
/* TRUE for the four classes of DermaGAN's task: akiec, bcc, bkl, mel. */
gboolean dg_class_is_task(const char *id);

/* Who has the lesion and where, from HAM10000's optional age, sex and
 * localization columns (ImageFolder images: unknown).  Unknown: has_age
 * FALSE, sex or site "" (also for a value that is not UTF-8, has control
 * characters or does not fit); all zero is all unknown. */
typedef struct {
    gboolean has_age;
    float age;     /* years, 0 to 120 */
    char sex[16];  /* "male", "female" */
    char site[40]; /* "back", "lower extremity", ... */
} dg_item_patient;

typedef struct {
    char *path;      /* the image file (GLib filename encoding) */
    char *image_id;  /* HAM image_id, or the file name without extension (ImageFolder:
                        not unique, mel/001.jpg and bcc/001.jpg are both 001) */
    char *rel;       /* the file's path from the data set's folder ("mel/001.jpg";
                        GLib filename encoding): unique in the data set */
    char *lesion_id; /* HAM lesion_id; ImageFolder: unique per image (own group) */
    int cls;         /* index into dg_dataset.classes */
    dg_split split;  /* DG_SPLIT_NONE until dg_dataset_split */
    dg_item_patient patient;
} dg_item;

/* One thing left out of a data set: a file or folder (rows 0), or one kind
 * of problem with rows of the metadata CSV (rows > 0: path is the CSV, and
 * reason says what is wrong, how many rows and the first few of their lines,
 * e.g. "unknown dx code: 3 rows, lines 5 (xyz), 9 (foo), 12 (xyz)"; more
 * than DG_SKIP_LINES_SHOWN rows end with "and N more"). */
#define DG_SKIP_LINES_SHOWN 5
typedef struct {
    char *path;   /* display form (valid UTF-8, no control characters) */
    char *reason; /* one line: "truncated JPEG", "duplicate image_id: ...", ... */
    int rows;     /* 0: a file or folder; else the CSV rows this entry stands for */
} dg_skip;

typedef void (*dg_progress_fn)(double fraction, const char *what, void *user);

typedef struct {
    gboolean all_classes;     /* HAM10000: all seven dx, not just akiec/bcc/bkl/mel */
    int size;                 /* side of prepared images; default 64 */
    int threads;              /* decoding threads; <= 0: all CPUs */
    const char *cache_dir;    /* NULL: g_get_user_cache_dir()/dermagan; "": no cache */
    dg_progress_fn progress;  /* may be NULL; called from the loading thread */
    void *progress_user;
    const volatile int *cancel; /* may be NULL; nonzero stops with G_IO_ERROR_CANCELLED */
    int min_classes;          /* classes with images needed (0: 2; 1 for synthetic images
                                 that fill only some classes) */
    gboolean follow_symlinks; /* also read files and walk folders that symlinks inside
                                 the data set lead to outside its folder; by default
                                 such symlinks are skipped with a reason */
} dg_load_options;

/* Limits on what a data set's folder may hold; over one, the load fails
 * with a message naming it (before anything that size is allocated). */
#define DG_DATASET_MAX_FILES 1000000 /* entries met in the folders, and CSV rows */
#define DG_DATASET_MAX_CLASSES 64    /* class folders of an ImageFolder */
#define DG_DATASET_MAX_PATH 4096     /* bytes in the path of an image */
#define DG_DATASET_MAX_PIXEL_GB 8    /* prepared pixels held in memory, in GiB */
#define DG_HAM_MAX_ID 255            /* bytes in a lesion_id, image_id or dx */

typedef struct {
    dg_layout layout;
    char *root;
    int n_classes;
    dg_class *classes;
    int n_items;       /* images that loaded */
    dg_item *items;
    GPtrArray *skipped; /* of dg_skip*: every file and CSV row left out, with the reason */
    int size;
    uint8_t *pixels;   /* n_items * 3 * size * size, uint8 CHW RGB */
    gboolean has_split;
    uint64_t split_seed;
    gboolean from_cache; /* pixels came from the on-disk cache */
    int n_from_cache;    /* items whose pixels came from the cache (from_cache: nothing
                            was decoded in this load) */
    GPtrArray *warnings; /* of char*: notes that left nothing out, e.g. a lesion
                            with images in two classes, a class with no images */
    /* HAM10000 rows of its other known classes (nv, df, vasc) not loaded
     * because all_classes was off: not a problem, so not in skipped. */
    int n_rows_left_out;
    char *left_out;      /* NULL, or "left out: 6962 rows of classes nv, df, vasc
                            (use --all-classes)" */
} dg_dataset;

void dg_load_options_init(dg_load_options *opt);

/* Scan, validate and decode a data set.  NULL + error when it cannot be used
 * at all (missing folder, fewer than two classes with images, cancelled). */
dg_dataset *dg_dataset_load(const char *path, const dg_load_options *opt, GError **error);
void dg_dataset_free(dg_dataset *ds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dg_dataset, dg_dataset_free)

/* Files (and folders) and CSV rows in ds->skipped. */
void dg_dataset_skip_counts(const dg_dataset *ds, int *files, int *rows);
/* One line: "skipped 3 CSV rows and 1 file, e.g. HAM10000_metadata.csv: unknown
 * dx code: 3 rows, lines 2 (x), 3 (y), 4 (z); left out: ...", or only the
 * left-out note, or NULL when nothing was skipped or left out. */
char *dg_dataset_skip_summary(const dg_dataset *ds);

int dg_dataset_class_index(const dg_dataset *ds, const char *class_id); /* -1 if absent */
/* The id of item i that a model's provenance records (dg-classifier-post.h):
 * by_path, an ImageFolder image's path from the data set's folder (unique);
 * else, and always for HAM10000, its image_id. */
const char *dg_dataset_item_key_id(const dg_dataset *ds, int i, gboolean by_path);
const uint8_t *dg_dataset_image(const dg_dataset *ds, int i);
/* Counts of images and of distinct lesion ids; cls -1: all classes; split
 * NONE: all items, split or not. */
int dg_dataset_class_count(const dg_dataset *ds, int cls, dg_split split); /* split NONE: all */
int dg_dataset_lesion_count(const dg_dataset *ds, int cls, dg_split split);

/* The split every job uses (training, validation; the rest is the test
 * split), by lesion and stratified by class, from a split seed: a model is
 * always validated and tested on lesions it never saw, and every job given
 * the same seed sees the same split. */
#define DG_SPLIT_TRAIN_FRACTION 0.70
#define DG_SPLIT_VAL_FRACTION 0.15

/* Seeded, stratified by class, grouped by lesion_id: no lesion in two splits.
 * Fractions train + val < 1; the rest is test.  Same seed, same split on every
 * machine.  FALSE + error if a split would be empty. */
gboolean dg_dataset_split(dg_dataset *ds, uint64_t seed, double train, double val,
                          GError **error);
/* Indices of the items in a split (and class, or -1 for all); returns the
 * count; out may be NULL to count only.  Split NONE: all items.  Indices come
 * in ascending order. */
int dg_dataset_indices(const dg_dataset *ds, dg_split split, int cls, int *out);

/* Appends src's images to dst, e.g. synthetic images (an ImageFolder written
 * by the GAN) to a real data set after dg_dataset_split, with split
 * DG_SPLIT_TRAIN so that they only ever train.  Classes are matched by id;
 * FALSE + error (dst unchanged) when src has a class dst lacks or another
 * image size.  Appended ImageFolder images keep being their own lesions
 * (their lesion ids get src's root as a prefix, so they cannot meet dst's);
 * src's skipped items and warnings are appended too. */
gboolean dg_dataset_append(dg_dataset *dst, const dg_dataset *src, dg_split split,
                           GError **error);

/* Image preparation shared by real data, synthetic data and a dropped photo:
 * refuses absurd dimensions (> 50 megapixels) before decoding, converts to
 * RGB (drops alpha, expands grey), centre-crops to a square, downscales with a
 * proper filter. */
#define DG_IMAGE_MAX_PIXELS 50000000 /* larger images are refused before decoding */
gboolean dg_image_prepare_file(const char *path, int size, uint8_t *out_chw, GError **error);
/* The same from the bytes of a file (JPEG, PNG or BMP, told by content). */
gboolean dg_image_prepare_data(const void *data, gsize len, int size, uint8_t *out_chw,
                               GError **error);
/* The same, also giving the decoded image's size (after EXIF orientation). */
gboolean dg_image_prepare_data_sized(const void *data, gsize len, int size, uint8_t *out_chw,
                                     int *width, int *height, GError **error);
gboolean dg_image_prepare_pixbuf(GdkPixbuf *pixbuf, int size, uint8_t *out_chw, GError **error);
/* uint8 CHW -> float CHW in [-1, 1], and back (clamped); and to a GdkPixbuf. */
void dg_image_to_float(const uint8_t *chw, int size, float *out);
void dg_image_from_float(const float *chw, int size, uint8_t *out);
GdkPixbuf *dg_image_to_pixbuf(const uint8_t *chw, int size);

/* Training-time augmentation; each switch on its own; deterministic under rng. */
typedef struct {
    gboolean hflip, vflip, rot90;
    gboolean crop;         /* random resized crop */
    float crop_min_scale;  /* smallest area fraction, e.g. 0.75 */
    float brightness, contrast, saturation, hue; /* jitter strengths; 0 = off */
} dg_augment;
void dg_augment_defaults(dg_augment *aug); /* flips, rot90, mild crop and colour jitter */
void dg_augment_none(dg_augment *aug);
/* Augment one uint8 CHW image into float CHW in [-1, 1].  Every call takes
 * exactly DG_AUGMENT_DRAWS numbers from rng, whichever switches are on (also
 * none), so that one switch never changes what the others do. */
#define DG_AUGMENT_DRAWS 11
void dg_augment_image(const dg_augment *aug, dg_rng *rng, const uint8_t *src, int size,
                      float *dst);

/* CutMix (Yun et al., ICCV 2019) within a batch x of n images [n, 3, size,
 * size]: image b and image n - 1 - b (the batch is already shuffled) swap one
 * random box.  lam ~ U(0, 1) = Beta(1, 1), the box side is sqrt(1 - lam) *
 * size around a uniform centre, clipped to the image; returns the share of
 * each image it keeps (its label's weight; its partner's is 1 - that) and
 * writes partner[b] = n - 1 - b.  Takes exactly DG_CUTMIX_DRAWS numbers. */
#define DG_CUTMIX_DRAWS 3
float dg_cutmix_batch(dg_rng *rng, float *x, int n, int size, int *partner);

/* A simulated change of source, for robustness tests (evaluate --shift):
 * one float CHW image in [-1, 1] gets a colour balance (a gain per channel,
 * exp(U(-0.2, 0.2) * strength)), an exposure (one more gain, the same range)
 * and a gamma (exp(U(-0.3, 0.3) * strength)), as another camera, light or
 * processing would; clamped to [-1, 1].  strength 0: unchanged.  Takes
 * exactly DG_SOURCE_SHIFT_DRAWS numbers from rng. */
#define DG_SOURCE_SHIFT_DRAWS 5
void dg_source_shift(float *chw, int size, double strength, dg_rng *rng);

/* Fill a batch: x is n * 3 * size * size floats in [-1, 1], y the class ids
 * (y may be NULL).  aug NULL: no augmentation (rng unused). */
void dg_dataset_batch(const dg_dataset *ds, const int *idx, int n, const dg_augment *aug,
                      dg_rng *rng, float *x, int *y);

G_END_DECLS

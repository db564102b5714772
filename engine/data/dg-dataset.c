/* dg-dataset.c: finding the images of a data set (HAM10000 or ImageFolder),
 * decoding them in parallel through the cache, and the load report. */
#include "dg-data-private.h"

#include <errno.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HAM_CSV "HAM10000_metadata.csv"
#define MAX_DEPTH 16 /* folder nesting inside a class folder */

dg_data_limits dg_data_limits_in_use = {
    .max_files = DG_DATASET_MAX_FILES,
    .max_classes = DG_DATASET_MAX_CLASSES,
    .max_path = DG_DATASET_MAX_PATH,
    .max_pixel_bytes = (guint64)DG_DATASET_MAX_PIXEL_GB << 30,
};

const char *dg_layout_name(dg_layout l)
{
    return l == DG_LAYOUT_HAM10000 ? "ham10000" : "imagefolder";
}

const char *dg_split_name(dg_split s)
{
    switch (s) {
    case DG_SPLIT_TRAIN: return "train";
    case DG_SPLIT_VAL: return "val";
    case DG_SPLIT_TEST: return "test";
    default: return "none";
    }
}

static const struct {
    const char *id, *name;
    gboolean task; /* one of the four classes of our task */
} known_classes[] = {
    {"akiec", "Actinic keratosis", TRUE},   {"bcc", "Basal cell carcinoma", TRUE},
    {"bkl", "Benign keratosis", TRUE},      {"mel", "Melanoma", TRUE},
    {"nv", "Melanocytic nevus", FALSE},     {"df", "Dermatofibroma", FALSE},
    {"vasc", "Vascular lesion", FALSE},
};

const char *dg_class_display_name(const char *id)
{
    for (gsize i = 0; i < G_N_ELEMENTS(known_classes); i++)
        if (g_strcmp0(id, known_classes[i].id) == 0)
            return known_classes[i].name;
    return id;
}

gboolean dg_class_is_task(const char *id)
{
    for (gsize i = 0; i < G_N_ELEMENTS(known_classes); i++)
        if (known_classes[i].task && strcmp(id, known_classes[i].id) == 0)
            return TRUE;
    return FALSE;
}

void dg_load_options_init(dg_load_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->size = 64;
}

dg_skip *dg_skip_new(const char *display_path, const char *reason)
{
    dg_skip *s = g_new0(dg_skip, 1);
    s->path = g_strdup(display_path);
    s->reason = g_strdup(reason);
    return s;
}

void dg_skip_free(dg_skip *s)
{
    if (!s)
        return;
    g_free(s->path);
    g_free(s->reason);
    g_free(s);
}

/* Same, from a path in the GLib filename encoding. */
static void add_skip_path(GPtrArray *skipped, const char *path, const char *reason)
{
    char *disp = dg_file_display_name(path);
    g_ptr_array_add(skipped, dg_skip_new(disp, reason));
    g_free(disp);
}

static void add_skip_pathf(GPtrArray *skipped, const char *path, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static void add_skip_pathf(GPtrArray *skipped, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    add_skip_path(skipped, path, reason);
    g_free(reason);
}

/* --- Rows of the metadata CSV left out (or kept with a note), grouped by
 * what is wrong: a count and the first few lines of each kind, so that a
 * CSV of a million bad rows makes a few lines of report, not a million. --- */

typedef struct {
    char *what;     /* "unknown dx code", ... */
    int count;
    GString *lines; /* "5 (xyz), 9 (foo)": the first DG_SKIP_LINES_SHOWN rows */
} row_group;

static void row_group_free(row_group *g)
{
    g_free(g->what);
    g_string_free(g->lines, TRUE);
    g_free(g);
}

static GPtrArray *row_groups_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)row_group_free);
}

/* A CSV value for a report: UTF-8 (else NULL), control characters
 * replaced, at most 32 characters. */
static char *short_value(const char *s)
{
    if (!s || !g_utf8_validate(s, -1, NULL))
        return NULL;
    GString *out = g_string_new(NULL);
    int n = 0;
    for (const char *p = s; *p; p = g_utf8_next_char(p), n++) {
        if (n == 32) {
            g_string_append(out, "\xe2\x80\xa6"); /* ... */
            break;
        }
        gunichar c = g_utf8_get_char(p);
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
            g_string_append_unichar(out, 0xFFFD);
        else
            g_string_append_len(out, p, g_utf8_next_char(p) - p);
    }
    return g_string_free(out, FALSE);
}

/* Counts a row under what (the groups are few: a linear search does);
 * detail (may be NULL) is shown beside its line for the first few rows. */
static void row_group_add(GPtrArray *groups, const char *what, int line, const char *detail)
{
    row_group *g = NULL;
    for (guint i = 0; i < groups->len && !g; i++)
        if (strcmp(((row_group *)groups->pdata[i])->what, what) == 0)
            g = groups->pdata[i];
    if (!g) {
        g = g_new0(row_group, 1);
        g->what = g_strdup(what);
        g->lines = g_string_new(NULL);
        g_ptr_array_add(groups, g);
    }
    if (g->count < DG_SKIP_LINES_SHOWN) {
        g_autofree char *d = short_value(detail);
        g_string_append_printf(g->lines, "%s%d", g->count ? ", " : "", line);
        if (d)
            g_string_append_printf(g->lines, " (%s)", d);
    }
    g->count++;
}

/* "unknown dx code: 7 rows, lines 5 (xyz), 9, 12, 13, 20 and 2 more". */
static char *row_group_text(const row_group *g)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s: %d row%s, line%s %s", g->what, g->count,
                           g->count == 1 ? "" : "s", g->count == 1 ? "" : "s", g->lines->str);
    if (g->count > DG_SKIP_LINES_SHOWN)
        g_string_append_printf(s, " and %d more", g->count - DG_SKIP_LINES_SHOWN);
    return g_string_free(s, FALSE);
}

/* One skip per group, the CSV as its path. */
static void row_groups_to_skips(GPtrArray *groups, const char *csv_display, GPtrArray *skipped)
{
    for (guint i = 0; i < groups->len; i++) {
        const row_group *g = groups->pdata[i];
        dg_skip *k = g_new0(dg_skip, 1);
        k->path = g_strdup(csv_display);
        k->reason = row_group_text(g);
        k->rows = g->count;
        g_ptr_array_add(skipped, k);
    }
}

void dg_ham_row_free(dg_ham_row *row)
{
    if (!row)
        return;
    g_free(row->lesion_id);
    g_free(row->image_id);
    g_free(row->dx);
    g_free(row);
}

void dg_ham_metadata_init(dg_ham_metadata *m)
{
    memset(m, 0, sizeof *m);
    m->rows = g_ptr_array_new_with_free_func((GDestroyNotify)dg_ham_row_free);
    m->skipped = g_ptr_array_new_with_free_func((GDestroyNotify)dg_skip_free);
    m->warnings = g_ptr_array_new_with_free_func(g_free);
    m->all_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

void dg_ham_metadata_clear(dg_ham_metadata *m)
{
    g_clear_pointer(&m->rows, g_ptr_array_unref);
    g_clear_pointer(&m->skipped, g_ptr_array_unref);
    g_clear_pointer(&m->warnings, g_ptr_array_unref);
    g_clear_pointer(&m->all_ids, g_hash_table_unref);
    g_clear_pointer(&m->left_out, g_free);
}

static char *trimmed(const char *s)
{
    return g_strstrip(g_strdup(s));
}

static gboolean has_control_chars(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return TRUE;
    return FALSE;
}

/* Index into known_classes, or -1. */
static int known_class(const char *id)
{
    for (gsize i = 0; i < G_N_ELEMENTS(known_classes); i++)
        if (strcmp(id, known_classes[i].id) == 0)
            return (int)i;
    return -1;
}

static const char *const ham_columns[3] = {"lesion_id", "image_id", "dx"};

/* What is wrong with the three used fields of a row (NULL: nothing), and
 * which value to show beside its line. */
static const char *check_ids(char *const v[3], const char **detail, char *buf, gsize bufsize)
{
    *detail = NULL;
    for (int k = 0; k < 3; k++) {
        if (!g_utf8_validate(v[k], -1, NULL)) {
            g_snprintf(buf, bufsize, "invalid UTF-8 in %s", ham_columns[k]);
            return buf;
        }
    }
    for (int k = 1; k < 3; k++) {
        if (!v[k][0]) {
            g_snprintf(buf, bufsize, "empty %s", ham_columns[k]);
            return buf;
        }
    }
    for (int k = 0; k < 3; k++) {
        if (strlen(v[k]) > DG_HAM_MAX_ID) {
            g_snprintf(buf, bufsize, "%s longer than %d bytes", ham_columns[k], DG_HAM_MAX_ID);
            return buf;
        }
        /* An image_id becomes part of a file name. */
        if (has_control_chars(v[k]) ||
            (k == 1 && (strchr(v[k], '/') || strchr(v[k], '\\') || v[k][0] == '.'))) {
            g_snprintf(buf, bufsize, "invalid characters in %s", ham_columns[k]);
            *detail = v[k];
            return buf;
        }
    }
    return NULL;
}

gboolean dg_ham_parse_metadata(const char *data, gsize len, const char *csv_display,
                               gboolean all_classes, dg_ham_metadata *m, GError **error)
{
    g_autoptr(dg_csv) csv = dg_csv_new(data, len);
    dg_csv_record rec;
    if (!dg_csv_next(csv, &rec)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is empty", csv_display);
        return FALSE;
    }
    int col[3];
    for (int i = 0; i < 3; i++) {
        col[i] = dg_csv_column(&rec, ham_columns[i]);
        if (col[i] < 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "%s: the header (line %d) has no %s column", csv_display, rec.line,
                        ham_columns[i]);
            return FALSE;
        }
    }
    int need = MAX(col[0], MAX(col[1], col[2])) + 1;
    /* image_id -> line of its first row. */
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) problems = row_groups_new();
    g_autoptr(GPtrArray) notes = row_groups_new();
    int left_out[G_N_ELEMENTS(known_classes)] = {0};
    char what[96];
    while (dg_csv_next(csv, &rec)) {
        if (++m->n_rows > dg_data_limits_in_use.max_files) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                        "%s: more than %d rows, over the limit for a data set", csv_display,
                        dg_data_limits_in_use.max_files);
            g_ptr_array_set_size(m->rows, 0);
            return FALSE;
        }
        if (col[1] < rec.n_fields && rec.fields[col[1]][0])
            g_hash_table_add(m->all_ids, trimmed(rec.fields[col[1]]));
        if (rec.error) {
            g_snprintf(what, sizeof what, "malformed row (%s)", rec.error);
            row_group_add(problems, what, rec.line, NULL);
            continue;
        }
        if (rec.n_fields < need) {
            g_snprintf(what, sizeof what, "malformed row (expected at least %d fields)", need);
            row_group_add(problems, what, rec.line, NULL);
            continue;
        }
        g_autofree char *lesion = trimmed(rec.fields[col[0]]);
        g_autofree char *image = trimmed(rec.fields[col[1]]);
        g_autofree char *dx = trimmed(rec.fields[col[2]]);
        char *const v[3] = {lesion, image, dx};
        const char *detail;
        const char *bad = check_ids(v, &detail, what, sizeof what);
        if (bad) {
            row_group_add(problems, bad, rec.line, detail);
            continue;
        }
        gpointer first = g_hash_table_lookup(seen, image);
        if (first) {
            g_autofree char *d =
                g_strdup_printf("%s, first on line %d", image, GPOINTER_TO_INT(first));
            row_group_add(problems, "duplicate image_id", rec.line, d);
            continue;
        }
        g_hash_table_insert(seen, g_strdup(image), GINT_TO_POINTER(rec.line));
        int known = known_class(dx);
        if (known < 0) {
            row_group_add(problems, "unknown dx code", rec.line, dx);
            continue;
        }
        if (!all_classes && !known_classes[known].task) {
            left_out[known]++;
            continue;
        }
        dg_ham_row *row = g_new0(dg_ham_row, 1);
        /* Without a lesion_id an image is its own group (noted). */
        if (!lesion[0])
            row_group_add(notes, "no lesion_id (each such image is its own lesion in the split)",
                          rec.line, image);
        row->lesion_id = lesion[0] ? g_steal_pointer(&lesion) : g_strdup(image);
        row->image_id = g_steal_pointer(&image);
        row->dx = g_steal_pointer(&dx);
        row->line = rec.line;
        g_ptr_array_add(m->rows, row);
    }
    row_groups_to_skips(problems, csv_display, m->skipped);
    for (guint i = 0; i < notes->len; i++)
        g_ptr_array_add(m->warnings, row_group_text(notes->pdata[i]));
    GString *classes = g_string_new(NULL);
    int n_classes = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(known_classes); i++) {
        if (!left_out[i])
            continue;
        m->n_left_out += left_out[i];
        g_string_append_printf(classes, "%s%s", n_classes++ ? ", " : "", known_classes[i].id);
    }
    if (m->n_left_out > 0)
        m->left_out = g_strdup_printf("left out: %d row%s of class%s %s (use --all-classes)",
                                      m->n_left_out, m->n_left_out == 1 ? "" : "s",
                                      n_classes == 1 ? "" : "es", classes->str);
    g_string_free(classes, TRUE);
    return TRUE;
}

/* --- Scanning. --- */

typedef struct {
    char *path;      /* the file (filename encoding) */
    char *rel;       /* relative to the root (filename encoding): the cache key */
    char *image_id;  /* UTF-8 */
    char *lesion_id; /* UTF-8 */
    char *class_id;  /* UTF-8 */
    int folder;      /* ImageFolder: index of its class folder; else -1 */
    gint64 file_size, mtime_ns;
    char *reason;    /* NULL: loaded */
    gboolean transient, from_cache, decoded;
} cand;

static void cand_free(cand *c)
{
    g_free(c->path);
    g_free(c->rel);
    g_free(c->image_id);
    g_free(c->lesion_id);
    g_free(c->class_id);
    g_free(c->reason);
    g_free(c);
}

typedef struct {
    char *name;      /* folder name (filename encoding) */
    char *id;        /* class id (UTF-8) */
    char *display;   /* the folder, for the report */
    int entries;     /* everything found in it, good or bad */
} class_folder;

static void class_folder_free(class_folder *f)
{
    g_free(f->name);
    g_free(f->id);
    g_free(f->display);
    g_free(f);
}

typedef struct {
    const char *root;
    const dg_load_options *opt;
    GPtrArray *cands;    /* cand* */
    GPtrArray *skipped;  /* dg_skip* */
    GPtrArray *warnings; /* char* */
    GPtrArray *folders;  /* class_folder* (ImageFolder) */
    int n_rows_left_out; /* HAM10000 */
    char *left_out;
    char *root_real;     /* the root with every symlink resolved (realpath) */
    int n_entries;       /* folder entries read so far, against DG_DATASET_MAX_FILES */
    gboolean too_many;   /* over DG_DATASET_MAX_FILES: the scan stopped */
} scan;

/* --- Symlinks that lead out of the data set's folder. --- */

/* TRUE when real (a resolved path) is root_real or inside it. */
static gboolean is_under(const char *real, const char *root_real)
{
    gsize n = strlen(root_real);
    if (strncmp(real, root_real, n) != 0)
        return FALSE;
    return real[n] == '\0' || real[n] == '/' || (n > 0 && root_real[n - 1] == '/');
}

/* For a path that lstat() found to be a symlink: the place it leads to,
 * when that is outside the data set's folder and following such links was
 * not asked for; else NULL (also for a broken link or a loop: stat()
 * reports those). */
static char *outside_target(const scan *sc, const char *path)
{
    if (sc->opt->follow_symlinks)
        return NULL;
    char *real = realpath(path, NULL);
    if (!real)
        return NULL;
    char *out = is_under(real, sc->root_real) ? NULL : g_strdup(real);
    free(real);
    return out;
}

static char *outside_reason(const char *target, gboolean folder)
{
    g_autofree char *disp = dg_file_display_name(target);
    return g_strdup_printf("symlink to a %s outside the data set (%s); not followed without "
                           "--follow-symlinks",
                           folder ? "folder" : "file", disp);
}

/* If path is a symlink out of the data set (not to be followed): TRUE, and
 * it is skipped with the reason when report is set. */
static gboolean skip_if_outside(scan *sc, const char *path, gboolean report)
{
    struct stat lst, st;
    if (lstat(path, &lst) != 0 || !S_ISLNK(lst.st_mode))
        return FALSE;
    g_autofree char *target = outside_target(sc, path);
    if (!target)
        return FALSE;
    if (report) {
        gboolean folder = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
        g_autofree char *reason = outside_reason(target, folder);
        add_skip_path(sc->skipped, path, reason);
    }
    return TRUE;
}

/* Counts one folder entry read; FALSE (and the scan stops) over the limit. */
static gboolean count_entry(scan *sc)
{
    if (sc->n_entries >= dg_data_limits_in_use.max_files) {
        sc->too_many = TRUE;
        return FALSE;
    }
    sc->n_entries++;
    return TRUE;
}

static gboolean cancelled(const dg_load_options *opt)
{
    return opt->cancel && *opt->cancel;
}

static void progress(const dg_load_options *opt, double f, const char *what)
{
    if (opt->progress)
        opt->progress(f, what, opt->progress_user);
}

static gboolean supported_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return FALSE;
    return g_ascii_strcasecmp(dot, ".jpg") == 0 || g_ascii_strcasecmp(dot, ".jpeg") == 0 ||
           g_ascii_strcasecmp(dot, ".png") == 0 || g_ascii_strcasecmp(dot, ".bmp") == 0;
}

static char *stem_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && dot != name ? g_strndup(name, (gsize)(dot - name)) : g_strdup(name);
}

/* The reason a stat() failed, as a skip reason. */
static const char *stat_reason(int e)
{
    switch (e) {
    case ELOOP: return "symlink loop";
    case ENOENT: return "broken symlink";
    case EACCES:
    case EPERM: return "permission denied";
    default: return g_strerror(e);
    }
}

static gint64 mtime_ns(const struct stat *st)
{
    return (gint64)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Fills the size and mtime of a candidate, or its reason. */
static void stat_cand(scan *sc, cand *c)
{
    struct stat st;
    if (lstat(c->path, &st) == 0 && S_ISLNK(st.st_mode)) {
        g_autofree char *target = outside_target(sc, c->path);
        if (target) {
            c->reason = outside_reason(target, FALSE);
            c->transient = TRUE; /* not about the content: not cached */
            return;
        }
    }
    if (stat(c->path, &st) != 0) {
        c->reason = g_strdup(stat_reason(errno));
        c->transient = TRUE;
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        c->reason = g_strdup(S_ISDIR(st.st_mode) ? "is a folder, not a file" : "not a regular file");
        c->transient = TRUE;
        return;
    }
    c->file_size = st.st_size;
    c->mtime_ns = mtime_ns(&st);
}

static int compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Lists a folder's entries (not hidden; with images_only, only names with
 * a supported extension), sorted bytewise.  NULL with *err an errno when
 * it cannot be read, or with sc->too_many set when the data set's folders
 * hold more than DG_DATASET_MAX_FILES entries. */
static GPtrArray *list_dir(scan *sc, const char *path, gboolean images_only, int *err)
{
    GError *e = NULL;
    GDir *dir = g_dir_open(path, 0, &e);
    if (!dir) {
        *err = e && e->domain == G_FILE_ERROR && e->code == G_FILE_ERROR_ACCES ? EACCES : EIO;
        if (e && e->domain == G_FILE_ERROR && e->code == G_FILE_ERROR_LOOP)
            *err = ELOOP;
        if (e && e->domain == G_FILE_ERROR && e->code == G_FILE_ERROR_NOENT)
            *err = ENOENT;
        g_clear_error(&e);
        return NULL;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(dir))) {
        if (!count_entry(sc)) {
            g_ptr_array_unref(names);
            g_dir_close(dir);
            return NULL;
        }
        if (name[0] != '.' && (!images_only || supported_ext(name)))
            g_ptr_array_add(names, g_strdup(name));
    }
    g_dir_close(dir);
    g_ptr_array_sort(names, compare_names);
    return names;
}

static gboolean scan_ham(scan *sc, GError **error)
{
    const char *root = sc->root;
    g_autofree char *csv_path = g_build_filename(root, HAM_CSV, NULL);
    g_autofree char *csv_disp = dg_file_display_name(csv_path);
    struct stat lst;
    if (lstat(csv_path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        g_autofree char *target = outside_target(sc, csv_path);
        if (target) {
            g_autofree char *reason = outside_reason(target, FALSE);
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s: %s", csv_disp,
                        reason);
            return FALSE;
        }
    }
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!dg_file_read_regular(csv_path, DG_CSV_MAX_FILE_BYTES, &data, &len, error)) {
        g_prefix_error(error, "cannot read %s: ", csv_disp);
        return FALSE;
    }
    dg_ham_metadata m;
    dg_ham_metadata_init(&m);
    if (!dg_ham_parse_metadata(data, len, csv_disp, sc->opt->all_classes, &m, error)) {
        dg_ham_metadata_clear(&m);
        return FALSE;
    }
    g_clear_pointer(&data, g_free);
    g_ptr_array_extend_and_steal(sc->skipped, g_steal_pointer(&m.skipped));
    g_ptr_array_extend_and_steal(sc->warnings, g_steal_pointer(&m.warnings));
    sc->n_rows_left_out = m.n_left_out;
    sc->left_out = g_steal_pointer(&m.left_out);
    GPtrArray *rows = m.rows;
    GHashTable *all_ids = m.all_ids;

    /* Index the image files: stem -> path relative to the root. */
    static const char *const dirs[] = {"images", "HAM10000_images_part_1",
                                       "HAM10000_images_part_2", ""};
    g_autoptr(GHashTable) files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GPtrArray) order = g_ptr_array_new(); /* stems in a stable order */
    for (gsize d = 0; d < G_N_ELEMENTS(dirs); d++) {
        g_autofree char *dir_path = g_build_filename(root, dirs[d], NULL);
        if (dirs[d][0] && skip_if_outside(sc, dir_path, TRUE))
            continue;
        int err = 0;
        g_autoptr(GPtrArray) names = list_dir(sc, dir_path, TRUE, &err);
        if (!names) {
            if (sc->too_many)
                break;
            continue; /* not there */
        }
        for (guint i = 0; i < names->len; i++) {
            const char *nm = names->pdata[i];
            char *stem = stem_of(nm);
            char *rel = dirs[d][0] ? g_build_filename(dirs[d], nm, NULL) : g_strdup(nm);
            const char *prev = g_hash_table_lookup(files, stem);
            if (prev) {
                g_autofree char *full = g_build_filename(root, rel, NULL);
                g_autofree char *prev_disp = dg_file_display_name(prev);
                g_autofree char *stem_disp = dg_file_display_name(stem);
                g_autofree char *msg =
                    g_strdup_printf("duplicate image file for image_id %s (using %s)", stem_disp,
                                    prev_disp);
                add_skip_path(sc->skipped, full, msg);
                g_free(stem);
                g_free(rel);
                continue;
            }
            g_hash_table_insert(files, stem, rel);
            g_ptr_array_add(order, stem);
        }
    }
    if (sc->too_many) {
        dg_ham_metadata_clear(&m);
        return TRUE; /* the caller reports it */
    }

    g_autoptr(GPtrArray) missing = row_groups_new();
    for (guint i = 0; i < rows->len; i++) {
        dg_ham_row *row = rows->pdata[i];
        const char *rel = g_hash_table_lookup(files, row->image_id);
        if (!rel) {
            row_group_add(missing, "no image file for its image_id", row->line, row->image_id);
            continue;
        }
        cand *c = g_new0(cand, 1);
        c->rel = g_strdup(rel);
        c->path = g_build_filename(root, rel, NULL);
        c->image_id = g_strdup(row->image_id);
        c->lesion_id = g_strdup(row->lesion_id);
        c->class_id = g_strdup(row->dx);
        c->folder = -1;
        g_ptr_array_add(sc->cands, c);
        if ((i & 255) == 0 && cancelled(sc->opt))
            break; /* the caller notices */
    }
    row_groups_to_skips(missing, csv_disp, sc->skipped);
    if (cancelled(sc->opt)) {
        dg_ham_metadata_clear(&m);
        return TRUE;
    }
    /* Images without a row at all are reported; those of rows left out are not. */
    for (guint i = 0; i < order->len; i++) {
        const char *stem = order->pdata[i];
        if (!g_hash_table_contains(all_ids, stem)) {
            g_autofree char *full = g_build_filename(root, g_hash_table_lookup(files, stem), NULL);
            add_skip_path(sc->skipped, full, "not listed in " HAM_CSV);
        }
    }
    dg_ham_metadata_clear(&m);
    for (guint i = 0; i < sc->cands->len; i++)
        stat_cand(sc, sc->cands->pdata[i]);
    return TRUE;
}

typedef struct {
    dev_t dev;
    ino_t ino;
} dir_id;

static void walk_class(scan *sc, int folder, const char *dir_path, const char *rel, int depth,
                       GArray *ancestors)
{
    class_folder *cf = sc->folders->pdata[folder];
    int err = 0;
    g_autoptr(GPtrArray) names = list_dir(sc, dir_path, FALSE, &err);
    if (!names) {
        if (sc->too_many)
            return;
        add_skip_path(sc->skipped, dir_path, stat_reason(err));
        cf->entries++;
        return;
    }
    for (guint i = 0; i < names->len && !sc->too_many; i++) {
        const char *name = names->pdata[i];
        g_autofree char *full = g_build_filename(dir_path, name, NULL);
        g_autofree char *rel_full = g_build_filename(rel, name, NULL);
        struct stat st;
        cf->entries++;
        if (strlen(full) > (gsize)dg_data_limits_in_use.max_path) {
            add_skip_pathf(sc->skipped, full, "path longer than %d bytes",
                           dg_data_limits_in_use.max_path);
            continue;
        }
        if (skip_if_outside(sc, full, TRUE))
            continue;
        if (stat(full, &st) != 0) {
            add_skip_path(sc->skipped, full, stat_reason(errno));
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            gboolean loop = FALSE;
            for (guint k = 0; k < ancestors->len; k++) {
                dir_id *a = &g_array_index(ancestors, dir_id, k);
                if (a->dev == st.st_dev && a->ino == st.st_ino)
                    loop = TRUE;
            }
            if (loop) {
                add_skip_path(sc->skipped, full, "symlink loop");
                continue;
            }
            if (depth >= MAX_DEPTH) {
                add_skip_path(sc->skipped, full, "folders nested too deep");
                continue;
            }
            dir_id me = {st.st_dev, st.st_ino};
            g_array_append_val(ancestors, me);
            walk_class(sc, folder, full, rel_full, depth + 1, ancestors);
            g_array_set_size(ancestors, ancestors->len - 1);
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            add_skip_path(sc->skipped, full, "not a regular file");
            continue;
        }
        if (!supported_ext(name)) {
            const char *dot = strrchr(name, '.');
            g_autofree char *ext = dot && dot != name ? dg_file_display_name(dot) : NULL;
            g_autofree char *msg =
                g_strdup_printf("unsupported file type (%s); supported: .jpg, .jpeg, .png, .bmp",
                                ext ? ext : "no extension");
            add_skip_path(sc->skipped, full, msg);
            continue;
        }
        cand *c = g_new0(cand, 1);
        c->path = g_strdup(full);
        c->rel = g_strdup(rel_full);
        g_autofree char *stem = stem_of(name);
        c->image_id = dg_file_display_name(stem);
        c->lesion_id = dg_file_display_name(rel_full); /* every image its own group */
        c->class_id = g_strdup(cf->id);
        c->folder = folder;
        c->file_size = st.st_size;
        c->mtime_ns = mtime_ns(&st);
        g_ptr_array_add(sc->cands, c);
    }
}

static int compare_folders(gconstpointer a, gconstpointer b)
{
    const class_folder *x = *(const class_folder *const *)a, *y = *(const class_folder *const *)b;
    return strcmp(x->id, y->id);
}

/* FALSE + error when the root has no class folders at all, or too many. */
static gboolean scan_imagefolder(scan *sc, GError **error)
{
    g_autofree char *disp = dg_file_display_name(sc->root);
    int err = 0;
    g_autoptr(GPtrArray) names = list_dir(sc, sc->root, FALSE, &err);
    if (!names && sc->too_many)
        return TRUE; /* the caller reports it */
    g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; names && i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autofree char *full = g_build_filename(sc->root, name, NULL);
        struct stat st;
        if (stat(full, &st) != 0) {
            int e = errno;
            if (e == ELOOP || supported_ext(name))
                add_skip_path(sc->skipped, full, stat_reason(e));
            continue;
        }
        gboolean is_dir = S_ISDIR(st.st_mode);
        gboolean image = S_ISREG(st.st_mode) && supported_ext(name);
        /* Other files beside the class folders (README, CSV, ...) are not
         * data: neither reported nor followed. */
        if (skip_if_outside(sc, full, is_dir || image))
            continue;
        if (is_dir)
            g_ptr_array_add(dirs, g_strdup(name));
        else if (image)
            add_skip_path(sc->skipped, full, "image outside a class folder");
    }
    if (dirs->len == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: no data set there (expected " HAM_CSV
                    " or one folder of images per class)",
                    disp);
        return FALSE;
    }
    if (dirs->len > (guint)dg_data_limits_in_use.max_classes) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                    "%s: %u folders, more than the %d classes a data set may have", disp,
                    dirs->len, dg_data_limits_in_use.max_classes);
        return FALSE;
    }
    for (guint i = 0; i < dirs->len; i++) {
        class_folder *cf = g_new0(class_folder, 1);
        cf->name = g_strdup(dirs->pdata[i]);
        cf->id = dg_file_display_name(cf->name);
        g_autofree char *full = g_build_filename(sc->root, cf->name, NULL);
        cf->display = dg_file_display_name(full);
        g_ptr_array_add(sc->folders, cf);
    }
    /* Classes sorted by id, like torchvision's ImageFolder. */
    g_ptr_array_sort(sc->folders, compare_folders);
    struct stat rst;
    dir_id root_id = {0, 0};
    if (stat(sc->root, &rst) == 0)
        root_id = (dir_id){rst.st_dev, rst.st_ino};
    for (guint i = 0; i < sc->folders->len; i++) {
        if (cancelled(sc->opt))
            return TRUE;
        const char *name = ((class_folder *)sc->folders->pdata[i])->name;
        g_autofree char *full = g_build_filename(sc->root, name, NULL);
        struct stat st;
        GArray *anc = g_array_new(FALSE, FALSE, sizeof(dir_id));
        g_array_append_val(anc, root_id);
        if (stat(full, &st) == 0) {
            dir_id me = {st.st_dev, st.st_ino};
            g_array_append_val(anc, me);
        }
        walk_class(sc, (int)i, full, name, 1, anc);
        g_array_unref(anc);
        if (sc->too_many)
            return TRUE;
        progress(sc->opt, 0.05 * (i + 1) / sc->folders->len, "scanning");
    }
    return TRUE;
}

/* --- Decoding. --- */

typedef struct {
    cand **todo;
    int n;
    int size;
    uint8_t *pixels; /* per candidate, indexed by slot[] */
    int *slot;
    gint next, done;
    const dg_load_options *opt;
} decode_work;

static void decode_one(decode_work *w, int i)
{
    cand *c = w->todo[i];
    gsize pix = (gsize)3 * w->size * w->size;
    char *data = NULL;
    gsize len = 0;
    gboolean transient = FALSE;
    GError *err = NULL;
    c->decoded = TRUE;
    if (!dg_image_read_file(c->path, &data, &len, &transient, &err) ||
        !dg_image_prepare_data(data, len, w->size, w->pixels + (gsize)w->slot[i] * pix, &err)) {
        c->reason = g_strdup(err ? err->message : "cannot decode");
        c->transient = transient;
        g_clear_error(&err);
    }
    g_free(data);
}

static gpointer decode_thread(gpointer data)
{
    decode_work *w = data;
    for (;;) {
        if (cancelled(w->opt))
            break;
        int i = g_atomic_int_add(&w->next, 1);
        if (i >= w->n)
            break;
        decode_one(w, i);
        g_atomic_int_inc(&w->done);
    }
    return NULL;
}

/* Runs on the calling thread too, which alone reports progress. */
static void decode_all(decode_work *w, int threads)
{
    GPtrArray *helpers = g_ptr_array_new();
    for (int t = 1; t < threads && t < w->n; t++) {
        GThread *th = g_thread_try_new("dg-decode", decode_thread, w, NULL);
        if (th)
            g_ptr_array_add(helpers, th);
    }
    gint64 last = 0;
    for (;;) {
        if (cancelled(w->opt))
            break;
        int i = g_atomic_int_add(&w->next, 1);
        if (i >= w->n)
            break;
        decode_one(w, i);
        int done = g_atomic_int_add(&w->done, 1) + 1;
        gint64 now = g_get_monotonic_time();
        if (w->opt->progress && now - last > 50000) {
            last = now;
            progress(w->opt, 0.05 + 0.9 * done / w->n, "decoding");
        }
    }
    for (guint t = 0; t < helpers->len; t++)
        g_thread_join(helpers->pdata[t]);
    g_ptr_array_unref(helpers);
}

/* --- Putting it together. --- */

static int compare_cands(gconstpointer a, gconstpointer b)
{
    const cand *x = *(const cand *const *)a, *y = *(const cand *const *)b;
    int r = strcmp(x->class_id, y->class_id);
    return r ? r : strcmp(x->path, y->path);
}

static int compare_skips(gconstpointer a, gconstpointer b)
{
    const dg_skip *x = *(const dg_skip *const *)a, *y = *(const dg_skip *const *)b;
    int r = strcmp(x->path, y->path);
    return r ? r : strcmp(x->reason, y->reason);
}

void dg_dataset_free(dg_dataset *ds)
{
    if (!ds)
        return;
    g_free(ds->root);
    /* Also frees data sets put together by hand (classes or items NULL). */
    for (int i = 0; ds->classes && i < ds->n_classes; i++) {
        g_free(ds->classes[i].id);
        g_free(ds->classes[i].name);
    }
    g_free(ds->classes);
    for (int i = 0; ds->items && i < ds->n_items; i++) {
        g_free(ds->items[i].path);
        g_free(ds->items[i].image_id);
        g_free(ds->items[i].lesion_id);
    }
    g_free(ds->items);
    if (ds->skipped)
        g_ptr_array_unref(ds->skipped);
    if (ds->warnings)
        g_ptr_array_unref(ds->warnings);
    g_free(ds->pixels);
    g_free(ds->left_out);
    g_free(ds);
}

int dg_dataset_class_index(const dg_dataset *ds, const char *class_id)
{
    for (int i = 0; i < ds->n_classes; i++)
        if (g_strcmp0(ds->classes[i].id, class_id) == 0)
            return i;
    return -1;
}

const uint8_t *dg_dataset_image(const dg_dataset *ds, int i)
{
    g_return_val_if_fail(i >= 0 && i < ds->n_items, NULL);
    return ds->pixels + (gsize)i * 3 * ds->size * ds->size;
}

static int compare_item_lesions(gconstpointer a, gconstpointer b, gpointer user)
{
    const dg_dataset *ds = user;
    int x = *(const int *)a, y = *(const int *)b;
    int r = strcmp(ds->items[x].lesion_id, ds->items[y].lesion_id);
    return r ? r : x - y;
}

/* Notes for lesions with images in more than one class. */
static void check_lesions(dg_dataset *ds)
{
    if (ds->n_items == 0)
        return;
    int *order = g_new(int, ds->n_items);
    for (int i = 0; i < ds->n_items; i++)
        order[i] = i;
    g_qsort_with_data(order, ds->n_items, sizeof(int), compare_item_lesions, ds);
    for (int a = 0; a < ds->n_items;) {
        int b = a + 1;
        while (b < ds->n_items &&
               strcmp(ds->items[order[a]].lesion_id, ds->items[order[b]].lesion_id) == 0)
            b++;
        gboolean mixed = FALSE;
        for (int k = a + 1; k < b; k++)
            if (ds->items[order[k]].cls != ds->items[order[a]].cls)
                mixed = TRUE;
        if (mixed) {
            GString *cls = g_string_new(NULL);
            for (int c = 0; c < ds->n_classes; c++) {
                gboolean has = FALSE;
                for (int k = a; k < b; k++)
                    if (ds->items[order[k]].cls == c)
                        has = TRUE;
                if (has)
                    g_string_append_printf(cls, "%s%s", cls->len ? ", " : "", ds->classes[c].id);
            }
            g_ptr_array_add(ds->warnings,
                            g_strdup_printf("lesion %s has images in more than one class (%s); "
                                            "the split keeps it whole, under its most "
                                            "frequent class",
                                            ds->items[order[a]].lesion_id, cls->str));
            g_string_free(cls, TRUE);
        }
        a = b;
    }
    g_free(order);
}

static void scan_clear(scan *sc)
{
    g_clear_pointer(&sc->cands, g_ptr_array_unref);
    g_clear_pointer(&sc->skipped, g_ptr_array_unref);
    g_clear_pointer(&sc->warnings, g_ptr_array_unref);
    g_clear_pointer(&sc->folders, g_ptr_array_unref);
    g_clear_pointer(&sc->left_out, g_free);
    g_clear_pointer(&sc->root_real, g_free);
}

/* "8.0 GB", "11.2 KB": binary units, as in the other limits' messages. */
static char *size_text(guint64 bytes)
{
    if (bytes >= (1u << 30))
        return g_strdup_printf("%.1f GB", bytes / 1073741824.0);
    if (bytes >= (1u << 20))
        return g_strdup_printf("%.1f MB", bytes / 1048576.0);
    return g_strdup_printf("%.1f KB", bytes / 1024.0);
}

static gboolean fail_cancelled(GError **error)
{
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "loading cancelled");
    return FALSE;
}

dg_dataset *dg_dataset_load(const char *path, const dg_load_options *opt_in, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    dg_load_options defaults;
    dg_load_options_init(&defaults);
    const dg_load_options *opt = opt_in ? opt_in : &defaults;
    int size = opt->size > 0 ? opt->size : 64;
    if (size > 1024) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "image size %d is out of range (1 to 1024)", size);
        return NULL;
    }
    g_autofree char *disp = dg_file_display_name(path);
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s", disp,
                    e == ENOENT ? "no such folder" : g_strerror(e));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, "%s is not a folder", disp);
        return NULL;
    }
    if (access(path, R_OK | X_OK) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "%s: permission denied", disp);
        return NULL;
    }

    char *real = realpath(path, NULL);
    scan sc = {
        .root = path,
        .root_real = g_strdup(real ? real : path),
        .opt = opt,
        .cands = g_ptr_array_new_with_free_func((GDestroyNotify)cand_free),
        .skipped = g_ptr_array_new_with_free_func((GDestroyNotify)dg_skip_free),
        .warnings = g_ptr_array_new_with_free_func(g_free),
        .folders = g_ptr_array_new_with_free_func((GDestroyNotify)class_folder_free),
    };
    free(real);
    progress(opt, 0, "scanning");
    g_autofree char *csv_path = g_build_filename(path, HAM_CSV, NULL);
    dg_layout layout;
    if (g_file_test(csv_path, G_FILE_TEST_EXISTS)) {
        layout = DG_LAYOUT_HAM10000;
        if (!scan_ham(&sc, error)) {
            scan_clear(&sc);
            return NULL;
        }
    } else {
        layout = DG_LAYOUT_IMAGEFOLDER;
        if (!scan_imagefolder(&sc, error)) {
            scan_clear(&sc);
            return NULL;
        }
    }
    if (sc.too_many) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                    "%s: more than %d files in the data set's folders, over the limit", disp,
                    dg_data_limits_in_use.max_files);
        scan_clear(&sc);
        return NULL;
    }
    if (cancelled(opt)) {
        scan_clear(&sc);
        fail_cancelled(error);
        return NULL;
    }
    g_ptr_array_sort(sc.cands, compare_cands);
    progress(opt, 0.05, "reading cache");

    /* The cache. */
    int n = (int)sc.cands->len;
    gsize pix = (gsize)3 * size * size;
    guint64 need_bytes = (guint64)MAX(n, 1) * pix;
    if (need_bytes > dg_data_limits_in_use.max_pixel_bytes || need_bytes > G_MAXSIZE) {
        g_autofree char *need = size_text(need_bytes);
        g_autofree char *limit =
            size_text(dg_data_limits_in_use.max_pixel_bytes);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                    "%s: %d images of %dx%d pixels need %s, over the %s limit for prepared "
                    "images (choose a smaller image size)",
                    disp, n, size, size, need, limit);
        scan_clear(&sc);
        return NULL;
    }
    uint8_t *pixels = g_try_malloc((gsize)need_bytes);
    if (!pixels) {
        g_autofree char *need = size_text(need_bytes);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "%s: not enough memory for %d images of %dx%d pixels (%s)", disp, n, size,
                    size, need);
        scan_clear(&sc);
        return NULL;
    }
    g_autofree char *cache_file = NULL;
    const char *cache_dir = opt->cache_dir;
    g_autofree char *default_dir = NULL;
    if (!cache_dir)
        cache_dir = default_dir = g_build_filename(g_get_user_cache_dir(), "dermagan", NULL);
    if (cache_dir[0]) {
        char *real = realpath(path, NULL);
        g_autofree char *key =
            g_strdup_printf("%s\n%s\n%d\n%d\n%d", dg_layout_name(layout), real ? real : path,
                            size, layout == DG_LAYOUT_HAM10000 && opt->all_classes,
                            DG_PREP_VERSION);
        free(real);
        cache_file = dg_cache_path(cache_dir, key);
    }
    dg_cache *cache = cache_file ? dg_cache_open(cache_file, size) : NULL;
    int cache_entries = dg_cache_n_entries(cache), cache_hits = 0;
    GPtrArray *todo = g_ptr_array_new();
    GArray *slots = g_array_new(FALSE, FALSE, sizeof(int));
    for (int i = 0; i < n; i++) {
        cand *c = sc.cands->pdata[i];
        if (c->reason)
            continue;
        const uint8_t *px;
        char *reason;
        if (dg_cache_lookup(cache, c->rel, c->file_size, c->mtime_ns, &px, &reason)) {
            c->from_cache = TRUE;
            cache_hits++;
            if (reason)
                c->reason = reason;
            else
                memcpy(pixels + (gsize)i * pix, px, pix);
            continue;
        }
        g_ptr_array_add(todo, c);
        g_array_append_val(slots, i);
    }
    dg_cache_close(cache);

    /* Decode what the cache did not have. */
    if (todo->len > 0) {
        g_slist_free(gdk_pixbuf_get_formats()); /* load the format list once, here */
        decode_work w = {
            .todo = (cand **)todo->pdata,
            .n = (int)todo->len,
            .size = size,
            .pixels = pixels,
            .slot = (int *)slots->data,
            .opt = opt,
        };
        int threads = opt->threads > 0 ? opt->threads : (int)g_get_num_processors();
        decode_all(&w, MAX(threads, 1));
    }
    int n_decoded = (int)todo->len;
    g_ptr_array_unref(todo);
    g_array_unref(slots);
    if (cancelled(opt)) {
        g_free(pixels);
        scan_clear(&sc);
        fail_cancelled(error);
        return NULL;
    }

    /* Write the cache when it changed. */
    if (cache_file) {
        GArray *entries = g_array_new(FALSE, FALSE, sizeof(dg_cache_entry));
        for (int i = 0; i < n; i++) {
            cand *c = sc.cands->pdata[i];
            if (c->transient || (!c->decoded && !c->from_cache))
                continue;
            dg_cache_entry e = {c->rel, c->file_size, c->mtime_ns, c->reason,
                                c->reason ? NULL : pixels + (gsize)i * pix};
            g_array_append_val(entries, e);
        }
        if (n_decoded > 0 || cache_entries != cache_hits) {
            progress(opt, 0.97, "writing cache");
            GError *err = NULL;
            if (!dg_cache_write(cache_file, size, (dg_cache_entry *)entries->data,
                                (int)entries->len, &err)) {
                g_debug("cache not written: %s", err->message);
                g_error_free(err);
            }
        }
        g_array_unref(entries);
    }

    /* The data set: classes with images, sorted; items in class then path order. */
    dg_dataset *ds = g_new0(dg_dataset, 1);
    ds->layout = layout;
    ds->root = g_strdup(path);
    ds->size = size;
    ds->skipped = g_steal_pointer(&sc.skipped);
    ds->warnings = g_steal_pointer(&sc.warnings);
    ds->n_rows_left_out = sc.n_rows_left_out;
    ds->left_out = g_steal_pointer(&sc.left_out);
    GPtrArray *class_ids = g_ptr_array_new();
    int n_ok = 0;
    for (int i = 0; i < n; i++) {
        cand *c = sc.cands->pdata[i];
        if (c->reason) {
            add_skip_path(ds->skipped, c->path, c->reason);
            continue;
        }
        n_ok++;
        if (class_ids->len == 0 ||
            strcmp(class_ids->pdata[class_ids->len - 1], c->class_id) != 0)
            g_ptr_array_add(class_ids, c->class_id);
    }
    ds->n_classes = (int)class_ids->len;
    ds->classes = g_new0(dg_class, MAX(ds->n_classes, 1));
    for (int k = 0; k < ds->n_classes; k++) {
        ds->classes[k].id = g_strdup(class_ids->pdata[k]);
        ds->classes[k].name = g_strdup(dg_class_display_name(ds->classes[k].id));
    }
    g_ptr_array_unref(class_ids);
    ds->n_items = n_ok;
    ds->items = g_new0(dg_item, MAX(n_ok, 1));
    int k = 0, cls = -1;
    for (int i = 0; i < n; i++) {
        cand *c = sc.cands->pdata[i];
        if (c->reason)
            continue;
        if (cls < 0 || strcmp(ds->classes[cls].id, c->class_id) != 0)
            cls++;
        dg_item *it = &ds->items[k];
        it->path = g_steal_pointer(&c->path);
        it->image_id = g_steal_pointer(&c->image_id);
        it->lesion_id = g_steal_pointer(&c->lesion_id);
        it->cls = cls;
        it->split = DG_SPLIT_NONE;
        if (c->from_cache)
            ds->n_from_cache++;
        if (k != i)
            memmove(pixels + (gsize)k * pix, pixels + (gsize)i * pix, pix);
        k++;
    }
    ds->pixels = n_ok > 0 ? g_realloc(pixels, (gsize)n_ok * pix) : pixels;
    ds->from_cache = n_decoded == 0 && ds->n_from_cache > 0;

    /* Class folders that gave nothing. */
    for (guint f = 0; f < sc.folders->len; f++) {
        class_folder *cf = sc.folders->pdata[f];
        if (dg_dataset_class_index(ds, cf->id) >= 0)
            continue;
        g_ptr_array_add(ds->skipped,
                        dg_skip_new(cf->display, cf->entries == 0
                                                     ? "empty class folder"
                                                     : "no usable images in class folder"));
    }
    if (layout == DG_LAYOUT_HAM10000) {
        for (gsize i = 0; i < G_N_ELEMENTS(known_classes); i++)
            if ((known_classes[i].task || opt->all_classes) &&
                dg_dataset_class_index(ds, known_classes[i].id) < 0)
                g_ptr_array_add(ds->warnings,
                                g_strdup_printf("no images of class %s (%s)", known_classes[i].id,
                                                known_classes[i].name));
    }
    g_ptr_array_sort(ds->skipped, compare_skips);
    check_lesions(ds);
    scan_clear(&sc);
    progress(opt, 1.0, "loaded");

    const int need = opt->min_classes > 0 ? opt->min_classes : 2;
    if (ds->n_classes < need) {
        /* The report is lost with the data set: the error says what went. */
        g_autofree char *why = dg_dataset_skip_summary(ds);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: fewer than %s classes with images (found %d%s%s)%s%s", disp,
                    need == 1 ? "one" : need == 2 ? "two" : "the needed", ds->n_classes,
                    ds->n_classes == 1 ? ": " : "",
                    ds->n_classes == 1 ? ds->classes[0].id : "", why ? "; " : "",
                    why ? why : "");
        dg_dataset_free(ds);
        return NULL;
    }
    return ds;
}

void dg_dataset_skip_counts(const dg_dataset *ds, int *files, int *rows)
{
    *files = *rows = 0;
    for (guint i = 0; ds->skipped && i < ds->skipped->len; i++) {
        const dg_skip *s = ds->skipped->pdata[i];
        if (s->rows > 0)
            *rows += s->rows;
        else
            (*files)++;
    }
}

char *dg_dataset_skip_summary(const dg_dataset *ds)
{
    int files, rows;
    dg_dataset_skip_counts(ds, &files, &rows);
    if (files == 0 && rows == 0)
        return ds->left_out ? g_strdup(ds->left_out) : NULL;
    /* The example: the kind of row problem with the most rows, else the
     * first file (not a class folder that is only empty because of its files). */
    const dg_skip *eg = NULL;
    int best = -1;
    for (guint i = 0; i < ds->skipped->len; i++) {
        const dg_skip *s = ds->skipped->pdata[i];
        int score = s->rows > 0 ? s->rows + 1 : strstr(s->reason, "class folder") ? 0 : 1;
        if (score > best) {
            eg = s;
            best = score;
        }
    }
    GString *out = g_string_new("skipped ");
    if (rows > 0)
        g_string_append_printf(out, "%d CSV row%s", rows, rows == 1 ? "" : "s");
    if (files > 0)
        g_string_append_printf(out, "%s%d file%s", rows > 0 ? " and " : "", files,
                               files == 1 ? "" : "s");
    g_autofree char *base = g_path_get_basename(eg->path);
    g_string_append_printf(out, ", e.g. %s: %s", base, eg->reason);
    if (ds->left_out)
        g_string_append_printf(out, "; %s", ds->left_out);
    return g_string_free(out, FALSE);
}

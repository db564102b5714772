/* dg-dataset-scan.c: finding the image files of a data set, in either
 * layout (dg-dataset.h), and what is wrong with the others.
 *
 * HAM10000: the rows of the metadata CSV (dg-ham-metadata.c) matched with
 * the files of images/, HAM10000_images_part_1/ and _part_2/ or the root,
 * by file name.  ImageFolder: one folder per class, walked to MAX_DEPTH.
 * Either way symlinks out of the data set's folder are skipped unless
 * followed on purpose, loops are caught, and the scan stops at
 * DG_DATASET_MAX_FILES entries. */
#include "dg-data-private.h"

#include <errno.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DEPTH 16 /* folder nesting inside a class folder */
#define DG_CLASS_ID_MAX_BYTES 64 /* as a model file's DG_MODEL_MAX_ID_BYTES */

static void cand_free(gpointer p)
{
    dg_cand *c = p;
    g_free(c->path);
    g_free(c->rel);
    g_free(c->image_id);
    g_free(c->lesion_id);
    g_free(c->class_id);
    g_free(c->reason);
    g_free(c);
}

static void class_folder_free(gpointer p)
{
    dg_class_folder *f = p;
    g_free(f->name);
    g_free(f->id);
    g_free(f->display);
    g_free(f);
}

void dg_scan_init(dg_scan *sc, const char *root, const dg_load_options *opt)
{
    char *real = realpath(root, NULL);
    *sc = (dg_scan){
        .root = root,
        .root_real = g_strdup(real ? real : root),
        .opt = opt,
        .cands = g_ptr_array_new_with_free_func(cand_free),
        .skipped = g_ptr_array_new_with_free_func(dg_skip_free_notify),
        .warnings = g_ptr_array_new_with_free_func(g_free),
        .folders = g_ptr_array_new_with_free_func(class_folder_free),
        .files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
    };
    free(real);
}

void dg_scan_clear(dg_scan *sc)
{
    g_clear_pointer(&sc->cands, g_ptr_array_unref);
    g_clear_pointer(&sc->skipped, g_ptr_array_unref);
    g_clear_pointer(&sc->warnings, g_ptr_array_unref);
    g_clear_pointer(&sc->folders, g_ptr_array_unref);
    g_clear_pointer(&sc->files, g_hash_table_unref);
    g_clear_pointer(&sc->left_out, g_free);
    g_clear_pointer(&sc->root_real, g_free);
}

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
static char *outside_target(const dg_scan *sc, const char *path)
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
static gboolean skip_if_outside(dg_scan *sc, const char *path, gboolean report)
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
        dg_skip_add_path(sc->skipped, path, reason);
    }
    return TRUE;
}

/* Counts one folder entry read; FALSE (and the scan stops) over the limit. */
static gboolean count_entry(dg_scan *sc)
{
    if (sc->n_entries >= dg_data_limits_in_use.max_files) {
        sc->too_many = TRUE;
        return FALSE;
    }
    sc->n_entries++;
    return TRUE;
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
static void stat_cand(dg_scan *sc, dg_cand *c)
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
        c->reason =
            g_strdup(S_ISDIR(st.st_mode) ? "is a folder, not a file" : "not a regular file");
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
static GPtrArray *list_dir(dg_scan *sc, const char *path, gboolean images_only, int *err)
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

/* Reads and parses the metadata CSV into m (initialized); its skipped rows,
 * warnings and left-out note go to the scan. */
static gboolean read_ham_metadata(dg_scan *sc, const char *csv_path, const char *csv_disp,
                                  dg_ham_metadata *m, GError **error)
{
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
    if (!dg_ham_parse_metadata(data, len, csv_disp, sc->opt->all_classes, m, error))
        return FALSE;
    g_ptr_array_extend_and_steal(sc->skipped, g_steal_pointer(&m->skipped));
    g_ptr_array_extend_and_steal(sc->warnings, g_steal_pointer(&m->warnings));
    sc->n_rows_left_out = m->n_left_out;
    sc->left_out = g_steal_pointer(&m->left_out);
    return TRUE;
}

/* Indexes HAM10000's image files: files maps a stem (the image_id) to the
 * path relative to the root, order holds the stems in a stable order; a
 * second file with the same stem is skipped.  Stops when sc->too_many. */
static void index_ham_images(dg_scan *sc, GHashTable *files, GPtrArray *order)
{
    static const char *const dirs[] = {"images", "HAM10000_images_part_1",
                                       "HAM10000_images_part_2", ""};
    for (gsize d = 0; d < G_N_ELEMENTS(dirs); d++) {
        g_autofree char *dir_path = g_build_filename(sc->root, dirs[d], NULL);
        if (dirs[d][0] && skip_if_outside(sc, dir_path, TRUE))
            continue;
        int err = 0;
        g_autoptr(GPtrArray) names = list_dir(sc, dir_path, TRUE, &err);
        if (!names) {
            if (sc->too_many)
                return;
            continue; /* not there */
        }
        for (guint i = 0; i < names->len; i++) {
            const char *nm = names->pdata[i];
            char *stem = stem_of(nm);
            char *rel = dirs[d][0] ? g_build_filename(dirs[d], nm, NULL) : g_strdup(nm);
            const char *prev = g_hash_table_lookup(files, stem);
            if (prev) {
                g_autofree char *full = g_build_filename(sc->root, rel, NULL);
                g_autofree char *prev_disp = dg_file_display_name(prev);
                g_autofree char *stem_disp = dg_file_display_name(stem);
                g_autofree char *msg =
                    g_strdup_printf("duplicate image file for image_id %s (using %s)", stem_disp,
                                    prev_disp);
                dg_skip_add_path(sc->skipped, full, msg);
                g_free(stem);
                g_free(rel);
                continue;
            }
            g_hash_table_insert(files, stem, rel);
            g_ptr_array_add(order, stem);
        }
    }
}

/* The rows matched with their image files: a candidate per row with a file,
 * a skip per kind of row without; then the files without a row. */
static gboolean scan_ham(dg_scan *sc, GError **error)
{
    const char *root = sc->root;
    g_autofree char *csv_path = g_build_filename(root, DG_HAM_CSV, NULL);
    g_autofree char *csv_disp = dg_file_display_name(csv_path);
    g_auto(dg_ham_metadata) m;
    dg_ham_metadata_init(&m);
    if (!read_ham_metadata(sc, csv_path, csv_disp, &m, error))
        return FALSE;
    g_autoptr(GHashTable) files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GPtrArray) order = g_ptr_array_new(); /* stems in a stable order */
    index_ham_images(sc, files, order);
    if (sc->too_many)
        return TRUE; /* dg_scan_run reports it */

    g_autoptr(GPtrArray) missing = dg_row_groups_new();
    for (guint i = 0; i < m.rows->len; i++) {
        dg_ham_row *row = m.rows->pdata[i];
        const char *rel = g_hash_table_lookup(files, row->image_id);
        if (!rel) {
            dg_row_group_add(missing, "no image file for its image_id", row->line, row->image_id);
            continue;
        }
        dg_cand *c = g_new0(dg_cand, 1);
        c->rel = g_strdup(rel);
        c->path = g_build_filename(root, rel, NULL);
        c->image_id = g_strdup(row->image_id);
        c->lesion_id = g_strdup(row->lesion_id);
        c->class_id = g_strdup(row->dx);
        c->patient = row->patient;
        g_ptr_array_add(sc->cands, c);
        if ((i & 255) == 0 && dg_load_cancelled(sc->opt))
            break; /* the caller notices */
    }
    dg_row_groups_to_skips(missing, csv_disp, sc->skipped);
    if (dg_load_cancelled(sc->opt))
        return TRUE;
    /* Images without a row at all are reported; those of rows left out are not. */
    for (guint i = 0; i < order->len; i++) {
        const char *stem = order->pdata[i];
        if (!g_hash_table_contains(m.all_ids, stem)) {
            g_autofree char *full = g_build_filename(root, g_hash_table_lookup(files, stem), NULL);
            dg_skip_add_path(sc->skipped, full, "not listed in " DG_HAM_CSV);
        }
    }
    for (guint i = 0; i < sc->cands->len; i++)
        stat_cand(sc, sc->cands->pdata[i]);
    return TRUE;
}

typedef struct {
    dev_t dev;
    ino_t ino;
} dir_id;

/* An ImageFolder's image at path (name in class folder cf, rel from the root). */
static dg_cand *new_cand(const dg_class_folder *cf, const char *path, const char *rel,
                         const char *name, const struct stat *st)
{
    dg_cand *c = g_new0(dg_cand, 1);
    c->path = g_strdup(path);
    c->rel = g_strdup(rel);
    g_autofree char *stem = stem_of(name);
    c->image_id = dg_file_display_name(stem);
    c->lesion_id = dg_file_display_name(rel); /* every image its own group */
    c->class_id = g_strdup(cf->id);
    c->file_size = st->st_size;
    c->mtime_ns = mtime_ns(st);
    return c;
}

/* TRUE when no symlink inside the data set leads to path, rel from its root
 * (its real path is the root's real path and rel; symlinks above the root,
 * a symlinked data set folder, do not count). */
static gboolean is_direct(const dg_scan *sc, const char *path, const char *rel)
{
    char *real = realpath(path, NULL);
    g_autofree char *expect = g_build_filename(sc->root_real, rel, NULL);
    gboolean direct = real && strcmp(real, expect) == 0;
    free(real);
    return direct;
}

static void walk_class(dg_scan *sc, int folder, const char *dir_path, const char *rel, int depth,
                       GArray *ancestors)
{
    dg_class_folder *cf = sc->folders->pdata[folder];
    int err = 0;
    g_autoptr(GPtrArray) names = list_dir(sc, dir_path, FALSE, &err);
    if (!names) {
        if (sc->too_many)
            return;
        dg_skip_add_path(sc->skipped, dir_path, stat_reason(err));
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
            dg_skip_add_pathf(sc->skipped, full, "path longer than %d bytes",
                           dg_data_limits_in_use.max_path);
            continue;
        }
        if (skip_if_outside(sc, full, TRUE))
            continue;
        if (stat(full, &st) != 0) {
            dg_skip_add_path(sc->skipped, full, stat_reason(errno));
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
                dg_skip_add_path(sc->skipped, full, "symlink loop");
                continue;
            }
            if (depth >= MAX_DEPTH) {
                dg_skip_add_path(sc->skipped, full, "folders nested too deep");
                continue;
            }
            dir_id me = {st.st_dev, st.st_ino};
            g_array_append_val(ancestors, me);
            walk_class(sc, folder, full, rel_full, depth + 1, ancestors);
            g_array_set_size(ancestors, ancestors->len - 1);
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            dg_skip_add_path(sc->skipped, full, "not a regular file");
            continue;
        }
        if (!supported_ext(name)) {
            const char *dot = strrchr(name, '.');
            g_autofree char *ext = dot && dot != name ? dg_file_display_name(dot) : NULL;
            g_autofree char *msg =
                g_strdup_printf("unsupported file type (%s); supported: .jpg, .jpeg, .png, .bmp",
                                ext ? ext : "no extension");
            dg_skip_add_path(sc->skipped, full, msg);
            continue;
        }
        /* one file reached twice (a class folder symlinked into another, or
         * twice into one) counts once, or it would be in two classes or two
         * splits: by the path without a symlink where there is one */
        char *key = g_strdup_printf("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT,
                                    (guint64)st.st_dev, (guint64)st.st_ino);
        gpointer at = NULL;
        if (g_hash_table_lookup_extended(sc->files, key, NULL, &at)) {
            dg_cand *kept = sc->cands->pdata[GPOINTER_TO_UINT(at)];
            const gboolean swap =
                !is_direct(sc, kept->path, kept->rel) && is_direct(sc, full, rel_full);
            g_autofree char *other = dg_file_display_name(swap ? full : kept->path);
            g_autofree char *msg = g_strdup_printf("the same file as %s", other);
            dg_skip_add_path(sc->skipped, swap ? kept->path : full, msg);
            if (swap) { /* the direct path takes the place of the symlinked one */
                cand_free(kept);
                sc->cands->pdata[GPOINTER_TO_UINT(at)] = new_cand(cf, full, rel_full, name, &st);
            }
            g_free(key);
            continue;
        }
        g_hash_table_insert(sc->files, key, GUINT_TO_POINTER(sc->cands->len));
        g_ptr_array_add(sc->cands, new_cand(cf, full, rel_full, name, &st));
    }
}

static int compare_folders(gconstpointer a, gconstpointer b)
{
    const dg_class_folder *x = *(const dg_class_folder *const *)a;
    const dg_class_folder *y = *(const dg_class_folder *const *)b;
    return strcmp(x->id, y->id);
}

/* Why a folder's name cannot be a class id, or NULL: a model file keeps
 * its classes' ids (dg-model-file.h: at most 64 bytes of UTF-8, no control
 * character, no '/' or '\'), so a training on such a class would write a
 * model that cannot be read back; and two names that are not UTF-8 can
 * show as the same id (both "x\uFFFD") and merge two classes. */
static const char *class_name_problem(const char *name)
{
    if (!g_utf8_validate(name, -1, NULL))
        return "a class folder's name must be valid UTF-8 (it is the class's id)";
    if (strlen(name) > DG_CLASS_ID_MAX_BYTES)
        return "a class folder's name must be at most 64 bytes (it is the class's id)";
    /* (C0, DEL and C1 controls: the id shows each as U+FFFD, so two such
     * names would be one id) */
    for (const char *p = name; *p; p = g_utf8_next_char(p)) {
        const gunichar c = g_utf8_get_char(p);
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\\')
            return "a class folder's name cannot hold a control character or '\\' "
                   "(it is the class's id)";
    }
    return NULL;
}

/* FALSE + error when the root has no class folders at all, or too many. */
static gboolean scan_imagefolder(dg_scan *sc, GError **error)
{
    g_autofree char *disp = dg_file_display_name(sc->root);
    int err = 0;
    g_autoptr(GPtrArray) names = list_dir(sc, sc->root, FALSE, &err);
    if (!names && sc->too_many)
        return TRUE; /* dg_scan_run reports it */
    g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; names && i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autofree char *full = g_build_filename(sc->root, name, NULL);
        struct stat st;
        if (stat(full, &st) != 0) {
            int e = errno;
            if (e == ELOOP || supported_ext(name))
                dg_skip_add_path(sc->skipped, full, stat_reason(e));
            continue;
        }
        gboolean is_dir = S_ISDIR(st.st_mode);
        gboolean image = S_ISREG(st.st_mode) && supported_ext(name);
        /* Other files beside the class folders (README, CSV, ...) are not
         * data: neither reported nor followed. */
        if (skip_if_outside(sc, full, is_dir || image))
            continue;
        const char *bad = is_dir ? class_name_problem(name) : NULL;
        if (bad)
            dg_skip_add_path(sc->skipped, full, bad);
        else if (is_dir)
            g_ptr_array_add(dirs, g_strdup(name));
        else if (image)
            dg_skip_add_path(sc->skipped, full, "image outside a class folder");
    }
    if (dirs->len == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: no data set there (expected " DG_HAM_CSV
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
        dg_class_folder *cf = g_new0(dg_class_folder, 1);
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
        if (dg_load_cancelled(sc->opt))
            return TRUE;
        const char *name = ((dg_class_folder *)sc->folders->pdata[i])->name;
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
        dg_load_progress(sc->opt, 0.05 * (i + 1) / sc->folders->len, "scanning");
    }
    return TRUE;
}

static int compare_cands(gconstpointer a, gconstpointer b)
{
    const dg_cand *x = *(const dg_cand *const *)a, *y = *(const dg_cand *const *)b;
    int r = strcmp(x->class_id, y->class_id);
    return r ? r : strcmp(x->path, y->path);
}

gboolean dg_scan_run(dg_scan *sc, GError **error)
{
    dg_load_progress(sc->opt, 0, "scanning");
    g_autofree char *csv_path = g_build_filename(sc->root, DG_HAM_CSV, NULL);
    sc->layout = g_file_test(csv_path, G_FILE_TEST_EXISTS) ? DG_LAYOUT_HAM10000
                                                            : DG_LAYOUT_IMAGEFOLDER;
    if (!(sc->layout == DG_LAYOUT_HAM10000 ? scan_ham(sc, error) : scan_imagefolder(sc, error)))
        return FALSE;
    if (sc->too_many) {
        g_autofree char *disp = dg_file_display_name(sc->root);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                    "%s: more than %d files in the data set's folders, over the limit", disp,
                    dg_data_limits_in_use.max_files);
        return FALSE;
    }
    g_ptr_array_sort(sc->cands, compare_cands);
    return TRUE;
}

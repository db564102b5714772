/* dg-dataset-load.c: dg_dataset_load, step by step: check the folder, scan
 * it (dg-dataset-scan.c), take what the on-disk cache has (dg-cache.c),
 * decode the rest in parallel (dg-image.c), write the cache back when it
 * changed, and put the data set and its report together. */
#include "dg-data-private.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- Decoding, on opt->threads threads. --- */

typedef struct {
    dg_cand **todo;
    int n;
    int size;
    uint8_t *pixels; /* per candidate, indexed by slot[] */
    int *slot;
    gint next, done;
    const dg_load_options *opt;
} decode_work;

static void decode_one(decode_work *w, int i)
{
    dg_cand *c = w->todo[i];
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

/* Decodes the next image no thread has taken: FALSE when none is left or
 * the load was cancelled; *done counts the images decoded so far. */
static gboolean decode_next(decode_work *w, int *done)
{
    if (dg_load_cancelled(w->opt))
        return FALSE;
    int i = g_atomic_int_add(&w->next, 1);
    if (i >= w->n)
        return FALSE;
    decode_one(w, i);
    *done = g_atomic_int_add(&w->done, 1) + 1;
    return TRUE;
}

static gpointer decode_thread(gpointer data)
{
    int done;
    while (decode_next(data, &done))
        ;
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
    int done;
    while (decode_next(w, &done)) {
        gint64 now = g_get_monotonic_time();
        if (w->opt->progress && now - last > 50000) {
            last = now;
            dg_load_progress(w->opt, 0.05 + 0.9 * done / w->n, "decoding");
        }
    }
    for (guint t = 0; t < helpers->len; t++)
        g_thread_join(helpers->pdata[t]);
    g_ptr_array_unref(helpers);
}

/* --- The steps of a load. --- */

/* What a load carries from step to step. */
typedef struct {
    const char *path;
    char *disp;                 /* path for messages */
    const dg_load_options *opt;
    int size;
    gsize pix;                  /* bytes of one prepared image */
    dg_scan sc;
    uint8_t *pixels;            /* one image per candidate, in sc.cands order */
    char *cache_file;           /* NULL: no cache */
    int cache_entries, cache_hits;
    int n_decoded;
} load;

static void load_clear(load *ld)
{
    g_clear_pointer(&ld->disp, g_free);
    dg_scan_clear(&ld->sc);
    g_clear_pointer(&ld->pixels, g_free);
    g_clear_pointer(&ld->cache_file, g_free);
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

static int compare_skips(gconstpointer a, gconstpointer b)
{
    const dg_skip *x = *(const dg_skip *const *)a, *y = *(const dg_skip *const *)b;
    int r = strcmp(x->path, y->path);
    return r ? r : strcmp(x->reason, y->reason);
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

/* FALSE + error unless path is a folder we may read. */
static gboolean check_root(const char *path, const char *disp, GError **error)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s", disp,
                    e == ENOENT ? "no such folder" : g_strerror(e));
        return FALSE;
    }
    if (!S_ISDIR(st.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, "%s is not a folder", disp);
        return FALSE;
    }
    if (access(path, R_OK | X_OK) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "%s: permission denied", disp);
        return FALSE;
    }
    return TRUE;
}

/* Room for the prepared pixels of every candidate, within the limit. */
static gboolean alloc_pixels(load *ld, GError **error)
{
    int n = (int)ld->sc.cands->len, size = ld->size;
    guint64 need_bytes = (guint64)MAX(n, 1) * ld->pix;
    if (need_bytes > dg_data_limits_in_use.max_pixel_bytes || need_bytes > G_MAXSIZE) {
        g_autofree char *need = size_text(need_bytes);
        g_autofree char *limit = size_text(dg_data_limits_in_use.max_pixel_bytes);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                    "%s: %d images of %dx%d pixels need %s, over the %s limit for prepared "
                    "images (choose a smaller image size)",
                    ld->disp, n, size, size, need, limit);
        return FALSE;
    }
    ld->pixels = g_try_malloc((gsize)need_bytes);
    if (!ld->pixels) {
        g_autofree char *need = size_text(need_bytes);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "%s: not enough memory for %d images of %dx%d pixels (%s)", ld->disp, n,
                    size, size, need);
        return FALSE;
    }
    return TRUE;
}

/* The cache file of this data set and preparation, or NULL for no cache. */
static char *cache_file_for(const load *ld)
{
    const char *cache_dir = ld->opt->cache_dir;
    g_autofree char *default_dir = NULL;
    if (!cache_dir)
        cache_dir = default_dir = g_build_filename(g_get_user_cache_dir(), "dermagan", NULL);
    if (!cache_dir[0])
        return NULL;
    dg_layout layout = ld->sc.layout;
    g_autofree char *key =
        g_strdup_printf("%s\n%s\n%d\n%d\n%d", dg_layout_name(layout), ld->sc.root_real,
                        ld->size, layout == DG_LAYOUT_HAM10000 && ld->opt->all_classes,
                        DG_PREP_VERSION);
    return dg_cache_path(cache_dir, key);
}

/* Takes each candidate's pixels (or skip reason) from the cache when it
 * has them; the others go to todo, with their index in slots. */
static void read_cache(load *ld, GPtrArray *todo, GArray *slots)
{
    dg_cache *cache = ld->cache_file ? dg_cache_open(ld->cache_file, ld->size) : NULL;
    ld->cache_entries = dg_cache_n_entries(cache);
    for (int i = 0; i < (int)ld->sc.cands->len; i++) {
        dg_cand *c = ld->sc.cands->pdata[i];
        if (c->reason)
            continue;
        const uint8_t *px;
        char *reason;
        if (dg_cache_lookup(cache, c->rel, c->file_size, c->mtime_ns, &px, &reason)) {
            c->from_cache = TRUE;
            ld->cache_hits++;
            if (reason)
                c->reason = reason;
            else
                memcpy(ld->pixels + (gsize)i * ld->pix, px, ld->pix);
            continue;
        }
        g_ptr_array_add(todo, c);
        g_array_append_val(slots, i);
    }
    dg_cache_close(cache);
}

/* Fills every candidate's pixels or reason: from the cache, else decoded. */
static void prepare_images(load *ld)
{
    GPtrArray *todo = g_ptr_array_new();
    GArray *slots = g_array_new(FALSE, FALSE, sizeof(int));
    read_cache(ld, todo, slots);
    if (todo->len > 0) {
        g_slist_free(gdk_pixbuf_get_formats()); /* load the format list once, here */
        decode_work w = {
            .todo = (dg_cand **)todo->pdata,
            .n = (int)todo->len,
            .size = ld->size,
            .pixels = ld->pixels,
            .slot = (int *)slots->data,
            .opt = ld->opt,
        };
        int threads = ld->opt->threads > 0 ? ld->opt->threads : (int)g_get_num_processors();
        decode_all(&w, MAX(threads, 1));
    }
    ld->n_decoded = (int)todo->len;
    g_ptr_array_unref(todo);
    g_array_unref(slots);
}

/* Writes the cache when it changed: something was decoded, or some of its
 * entries were not used. */
static void write_cache(load *ld)
{
    if (!ld->cache_file)
        return;
    GArray *entries = g_array_new(FALSE, FALSE, sizeof(dg_cache_entry));
    for (int i = 0; i < (int)ld->sc.cands->len; i++) {
        dg_cand *c = ld->sc.cands->pdata[i];
        if (c->transient || (!c->decoded && !c->from_cache))
            continue;
        dg_cache_entry e = {c->rel, c->file_size, c->mtime_ns, c->reason,
                            c->reason ? NULL : ld->pixels + (gsize)i * ld->pix};
        g_array_append_val(entries, e);
    }
    if (ld->n_decoded > 0 || ld->cache_entries != ld->cache_hits) {
        dg_load_progress(ld->opt, 0.97, "writing cache");
        GError *err = NULL;
        if (!dg_cache_write(ld->cache_file, ld->size, (dg_cache_entry *)entries->data,
                            (int)entries->len, &err)) {
            g_debug("cache not written: %s", err->message);
            g_error_free(err);
        }
    }
    g_array_unref(entries);
}

/* The data set: classes with images, sorted; items in class then path
 * order; the candidates with a reason become skips.  Takes the scan's
 * report and the pixels. */
static dg_dataset *assemble(load *ld)
{
    dg_scan *sc = &ld->sc;
    int n = (int)sc->cands->len;
    dg_dataset *ds = g_new0(dg_dataset, 1);
    ds->layout = sc->layout;
    ds->root = g_strdup(ld->path);
    ds->size = ld->size;
    ds->skipped = g_steal_pointer(&sc->skipped);
    ds->warnings = g_steal_pointer(&sc->warnings);
    ds->n_rows_left_out = sc->n_rows_left_out;
    ds->left_out = g_steal_pointer(&sc->left_out);
    GPtrArray *class_ids = g_ptr_array_new();
    int n_ok = 0;
    for (int i = 0; i < n; i++) {
        dg_cand *c = sc->cands->pdata[i];
        if (c->reason) {
            dg_skip_add_path(ds->skipped, c->path, c->reason);
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
    uint8_t *pixels = g_steal_pointer(&ld->pixels);
    gsize pix = ld->pix;
    int k = 0, cls = -1;
    for (int i = 0; i < n; i++) {
        dg_cand *c = sc->cands->pdata[i];
        if (c->reason)
            continue;
        if (cls < 0 || strcmp(ds->classes[cls].id, c->class_id) != 0)
            cls++;
        dg_item *it = &ds->items[k];
        it->path = g_steal_pointer(&c->path);
        it->image_id = g_steal_pointer(&c->image_id);
        it->rel = g_steal_pointer(&c->rel);
        it->lesion_id = g_steal_pointer(&c->lesion_id);
        it->patient = c->patient;
        it->cls = cls;
        it->split = DG_SPLIT_NONE;
        if (c->from_cache)
            ds->n_from_cache++;
        if (k != i)
            memmove(pixels + (gsize)k * pix, pixels + (gsize)i * pix, pix);
        k++;
    }
    ds->pixels = n_ok > 0 ? g_realloc(pixels, (gsize)n_ok * pix) : pixels;
    ds->from_cache = ld->n_decoded == 0 && ds->n_from_cache > 0;
    return ds;
}

/* The rest of the report: class folders that gave nothing, HAM10000
 * classes with no images, lesions in two classes; skips sorted. */
static void finish_report(dg_dataset *ds, const load *ld)
{
    for (guint f = 0; f < ld->sc.folders->len; f++) {
        const dg_class_folder *cf = ld->sc.folders->pdata[f];
        if (dg_dataset_class_index(ds, cf->id) >= 0)
            continue;
        g_ptr_array_add(ds->skipped,
                        dg_skip_new(cf->display, cf->entries == 0
                                                     ? "empty class folder"
                                                     : "no usable images in class folder"));
    }
    if (ds->layout == DG_LAYOUT_HAM10000) {
        for (int i = 0; i < DG_N_KNOWN_CLASSES; i++) {
            const dg_known_class *k = &dg_known_classes[i];
            if ((k->task || ld->opt->all_classes) && dg_dataset_class_index(ds, k->id) < 0)
                g_ptr_array_add(ds->warnings,
                                g_strdup_printf("no images of class %s (%s)", k->id, k->name));
        }
    }
    g_ptr_array_sort(ds->skipped, compare_skips);
    check_lesions(ds);
}

/* FALSE + error when ds has fewer classes with images than needed. */
static gboolean check_classes(const dg_dataset *ds, const load *ld, GError **error)
{
    const int need = ld->opt->min_classes > 0 ? ld->opt->min_classes : 2;
    if (ds->n_classes >= need)
        return TRUE;
    /* The report is lost with the data set: the error says what went. */
    g_autofree char *why = dg_dataset_skip_summary(ds);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "%s: fewer than %s classes with images (found %d%s%s)%s%s", ld->disp,
                need == 1 ? "one" : need == 2 ? "two" : "the needed", ds->n_classes,
                ds->n_classes == 1 ? ": " : "", ds->n_classes == 1 ? ds->classes[0].id : "",
                why ? "; " : "", why ? why : "");
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
    load ld = {.path = path, .disp = dg_file_display_name(path), .opt = opt, .size = size,
               .pix = (gsize)3 * size * size};
    if (!check_root(path, ld.disp, error))
        goto fail;
    dg_scan_init(&ld.sc, path, opt);
    if (!dg_scan_run(&ld.sc, error))
        goto fail;
    if (dg_load_cancelled(opt))
        goto cancelled;
    dg_load_progress(opt, 0.05, "reading cache");
    if (!alloc_pixels(&ld, error))
        goto fail;
    ld.cache_file = cache_file_for(&ld);
    prepare_images(&ld);
    if (dg_load_cancelled(opt))
        goto cancelled;
    write_cache(&ld);

    dg_dataset *ds = assemble(&ld);
    finish_report(ds, &ld);
    dg_load_progress(opt, 1.0, "loaded");
    if (!check_classes(ds, &ld, error)) {
        dg_dataset_free(ds);
        goto fail;
    }
    load_clear(&ld);
    return ds;

cancelled:
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "loading cancelled");
fail:
    load_clear(&ld);
    return NULL;
}

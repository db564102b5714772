/* dg-dataset.c: what a loaded data set answers (classes, images, the
 * report of what was skipped) and the names of its enums.
 *
 * Loading is split by concept over files that share dg-data-private.h:
 *   dg-dataset-load.c   dg_dataset_load: the steps, the cache, decoding;
 *   dg-dataset-scan.c   finding the image files of both layouts, safely;
 *   dg-ham-metadata.c   parsing HAM10000_metadata.csv;
 *   dg-split.c          the split and the counts over it;
 *   dg-image.c          preparing one image; dg-cache.c the on-disk cache. */
#include "dg-data-private.h"

#include <string.h>

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

const dg_known_class dg_known_classes[DG_N_KNOWN_CLASSES] = {
    {"akiec", "Actinic keratosis", TRUE},   {"bcc", "Basal cell carcinoma", TRUE},
    {"bkl", "Benign keratosis", TRUE},      {"mel", "Melanoma", TRUE},
    {"nv", "Melanocytic nevus", FALSE},     {"df", "Dermatofibroma", FALSE},
    {"vasc", "Vascular lesion", FALSE},
};

int dg_known_class_index(const char *id)
{
    for (int i = 0; i < DG_N_KNOWN_CLASSES; i++)
        if (g_strcmp0(id, dg_known_classes[i].id) == 0)
            return i;
    return -1;
}

const char *dg_class_display_name(const char *id)
{
    int k = dg_known_class_index(id);
    return k >= 0 ? dg_known_classes[k].name : id;
}

gboolean dg_class_is_task(const char *id)
{
    int k = dg_known_class_index(id);
    return k >= 0 && dg_known_classes[k].task;
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

void dg_skip_add_path(GPtrArray *skipped, const char *path, const char *reason)
{
    char *disp = dg_file_display_name(path);
    g_ptr_array_add(skipped, dg_skip_new(disp, reason));
    g_free(disp);
}

void dg_skip_add_pathf(GPtrArray *skipped, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    dg_skip_add_path(skipped, path, reason);
    g_free(reason);
}

void dg_skip_free_notify(gpointer s)
{
    dg_skip_free(s);
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
        g_free(ds->items[i].rel);
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

const char *dg_dataset_item_key_id(const dg_dataset *ds, int i, gboolean by_path)
{
    const dg_item *it = &ds->items[i];
    return by_path && ds->layout == DG_LAYOUT_IMAGEFOLDER && it->rel ? it->rel : it->image_id;
}

const uint8_t *dg_dataset_image(const dg_dataset *ds, int i)
{
    g_return_val_if_fail(i >= 0 && i < ds->n_items, NULL);
    return ds->pixels + (gsize)i * 3 * ds->size * ds->size;
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

/* dg-split.c: train/validation/test split, stratified by class and grouped
 * by lesion, and the counts over it.
 *
 * Deterministic on every machine: lesions are ordered by their id (bytewise
 * strcmp, no locale, no hash-table order) before a seeded shuffle, and each
 * class draws from its own stream derived from the seed and the class id, so
 * a class is split the same way whichever other classes are loaded. */
#include "dg-data-private.h"

#include <gio/gio.h>
#include <string.h>

typedef struct {
    int first, count; /* a run of order[] */
    int cls;          /* the lesion's class: its most frequent one */
} lesion_group;

static int compare_by_lesion(gconstpointer a, gconstpointer b, gpointer user)
{
    const dg_dataset *ds = user;
    int x = *(const int *)a, y = *(const int *)b;
    int r = strcmp(ds->items[x].lesion_id, ds->items[y].lesion_id);
    return r ? r : x - y;
}

/* Groups of items by lesion id, in lesion-id order. */
static lesion_group *group_lesions(const dg_dataset *ds, int *order, int *n_groups)
{
    for (int i = 0; i < ds->n_items; i++)
        order[i] = i;
    g_qsort_with_data(order, ds->n_items, sizeof(int), compare_by_lesion, (gpointer)ds);
    lesion_group *g = g_new0(lesion_group, MAX(ds->n_items, 1));
    int *votes = g_new0(int, MAX(ds->n_classes, 1));
    int n = 0;
    for (int a = 0; a < ds->n_items;) {
        int b = a + 1;
        while (b < ds->n_items &&
               strcmp(ds->items[order[a]].lesion_id, ds->items[order[b]].lesion_id) == 0)
            b++;
        memset(votes, 0, sizeof(int) * ds->n_classes);
        for (int k = a; k < b; k++)
            votes[ds->items[order[k]].cls]++;
        int best = 0;
        for (int c = 1; c < ds->n_classes; c++)
            if (votes[c] > votes[best])
                best = c;
        g[n++] = (lesion_group){a, b - a, best};
        a = b;
    }
    g_free(votes);
    *n_groups = n;
    return g;
}

static uint64_t class_stream(const char *id)
{
    return dg_hash64(id, strlen(id), 0x5EED5EED5EED5EEDull);
}

gboolean dg_dataset_split(dg_dataset *ds, uint64_t seed, double train, double val,
                          GError **error)
{
    g_return_val_if_fail(ds != NULL, FALSE);
    if (!(train > 0) || !(val > 0) || !(train + val < 1)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "split fractions must be positive with train + val < 1 (got %g and %g)",
                    train, val);
        return FALSE;
    }
    int *order = g_new(int, MAX(ds->n_items, 1));
    int n_groups = 0;
    lesion_group *groups = group_lesions(ds, order, &n_groups);
    dg_split *gsplit = g_new(dg_split, MAX(n_groups, 1));
    int *members = g_new(int, MAX(n_groups, 1));

    for (int c = 0; c < ds->n_classes; c++) {
        /* This class's lesions, in lesion-id order, then shuffled. */
        int m = 0, images = 0;
        for (int g = 0; g < n_groups; g++)
            if (groups[g].cls == c) {
                members[m++] = g;
                images += groups[g].count;
            }
        if (m == 0)
            continue;
        dg_rng base, rng;
        dg_rng_seed(&base, seed);
        dg_rng_fork(&base, class_stream(ds->classes[c].id), &rng);
        dg_rng_shuffle(&rng, members, m);

        /* Walk the shuffled lesions, laying their images end to end; a
         * lesion goes to the split its middle falls in, so the image counts
         * come as close to the fractions as whole lesions allow. */
        double t_end = train * images, v_end = (train + val) * images;
        int done = 0, per[3] = {0, 0, 0};
        for (int k = 0; k < m; k++) {
            lesion_group *lg = &groups[members[k]];
            double mid = done + lg->count / 2.0;
            dg_split s = mid < t_end ? DG_SPLIT_TRAIN : mid < v_end ? DG_SPLIT_VAL : DG_SPLIT_TEST;
            gsplit[members[k]] = s;
            per[s]++;
            done += lg->count;
        }
        /* With three lesions or more, every split gets at least one: move
         * the last lesion placed in the split holding the most lesions. */
        if (m >= 3) {
            for (int s = 0; s < 3; s++) {
                if (per[s] > 0)
                    continue;
                int from = per[0] >= per[1] && per[0] >= per[2] ? 0 : per[1] >= per[2] ? 1 : 2;
                for (int k = m - 1; k >= 0; k--)
                    if ((int)gsplit[members[k]] == from) {
                        gsplit[members[k]] = (dg_split)s;
                        per[from]--;
                        per[s]++;
                        break;
                    }
            }
        }
    }
    for (int g = 0; g < n_groups; g++)
        for (int k = 0; k < groups[g].count; k++)
            ds->items[order[groups[g].first + k]].split = gsplit[g];

    int count[3] = {0, 0, 0};
    for (int i = 0; i < ds->n_items; i++)
        count[ds->items[i].split]++;
    g_free(members);
    g_free(gsplit);
    g_free(groups);
    g_free(order);
    for (int s = 0; s < 3; s++) {
        if (count[s] == 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "the %s split would be empty (%d images in %d classes are too few)",
                        s == 0 ? "training" : s == 1 ? "validation" : "test", ds->n_items,
                        ds->n_classes);
            for (int i = 0; i < ds->n_items; i++)
                ds->items[i].split = DG_SPLIT_NONE;
            ds->has_split = FALSE;
            return FALSE;
        }
    }
    ds->has_split = TRUE;
    ds->split_seed = seed;
    return TRUE;
}

static gboolean selected(const dg_item *it, int cls, dg_split split)
{
    return (cls < 0 || it->cls == cls) && (split == DG_SPLIT_NONE || it->split == split);
}

int dg_dataset_indices(const dg_dataset *ds, dg_split split, int cls, int *out)
{
    int n = 0;
    for (int i = 0; i < ds->n_items; i++)
        if (selected(&ds->items[i], cls, split)) {
            if (out)
                out[n] = i;
            n++;
        }
    return n;
}

int dg_dataset_class_count(const dg_dataset *ds, int cls, dg_split split)
{
    return dg_dataset_indices(ds, split, cls, NULL);
}

int dg_dataset_lesion_count(const dg_dataset *ds, int cls, dg_split split)
{
    GHashTable *set = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; i < ds->n_items; i++)
        if (selected(&ds->items[i], cls, split))
            g_hash_table_add(set, ds->items[i].lesion_id);
    int n = (int)g_hash_table_size(set);
    g_hash_table_unref(set);
    return n;
}

gboolean dg_dataset_append(dg_dataset *dst, const dg_dataset *src, dg_split split,
                           GError **error)
{
    g_return_val_if_fail(dst != NULL && src != NULL && dst != src, FALSE);
    g_return_val_if_fail(split >= DG_SPLIT_TRAIN && split <= DG_SPLIT_NONE, FALSE);
    if (src->size != dst->size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "cannot combine images of %dx%d with images of %dx%d", src->size, src->size,
                    dst->size, dst->size);
        return FALSE;
    }
    int *map = g_new(int, MAX(src->n_classes, 1));
    for (int c = 0; c < src->n_classes; c++) {
        map[c] = dg_dataset_class_index(dst, src->classes[c].id);
        if (map[c] < 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "class %s of %s is not a class of %s", src->classes[c].id, src->root,
                        dst->root);
            g_free(map);
            return FALSE;
        }
    }
    gsize pix = (gsize)3 * dst->size * dst->size;
    int n = dst->n_items + src->n_items;
    dst->items = g_renew(dg_item, dst->items, MAX(n, 1));
    dst->pixels = g_realloc(dst->pixels, MAX((gsize)n * pix, 1));
    char *prefix = g_filename_display_name(src->root);
    for (int i = 0; i < src->n_items; i++) {
        const dg_item *s = &src->items[i];
        dg_item *d = &dst->items[dst->n_items + i];
        d->path = g_strdup(s->path);
        d->image_id = g_strdup(s->image_id);
        d->rel = g_strdup(s->rel);
        d->lesion_id = src->layout == DG_LAYOUT_IMAGEFOLDER
                           ? g_strconcat(prefix, "/", s->lesion_id, NULL)
                           : g_strdup(s->lesion_id);
        d->cls = map[s->cls];
        d->split = split;
        d->patient = s->patient;
    }
    if (src->n_items > 0)
        memcpy(dst->pixels + (gsize)dst->n_items * pix, src->pixels, (gsize)src->n_items * pix);
    dst->n_items = n;
    for (guint i = 0; src->skipped && dst->skipped && i < src->skipped->len; i++) {
        const dg_skip *k = src->skipped->pdata[i];
        dg_skip *copy = dg_skip_new(k->path, k->reason);
        copy->rows = k->rows;
        g_ptr_array_add(dst->skipped, copy);
    }
    /* Rows left out by choice: counted; the note of the first data set that has one. */
    dst->n_rows_left_out += src->n_rows_left_out;
    if (!dst->left_out && src->left_out)
        dst->left_out = g_strdup(src->left_out);
    for (guint i = 0; src->warnings && dst->warnings && i < src->warnings->len; i++)
        g_ptr_array_add(dst->warnings, g_strdup(src->warnings->pdata[i]));
    dst->from_cache = dst->from_cache && src->from_cache;
    dst->n_from_cache += src->n_from_cache;
    g_free(prefix);
    g_free(map);
    return TRUE;
}

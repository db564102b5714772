/* test-split: the lesion-grouped, class-stratified, seeded split. */
#include <math.h>

#include "data-test-util.h"

/* A data set without pixels: n_classes classes with lesions[c] lesions of
 * 1 to 4 images each (a fixed pattern). reverse: items in the opposite order. */
static dg_dataset *synth(int n_classes, const char *const *ids, const int *lesions,
                         gboolean reverse)
{
    dg_dataset *ds = g_new0(dg_dataset, 1);
    ds->layout = DG_LAYOUT_HAM10000;
    ds->root = g_strdup("synthetic");
    ds->size = 4;
    ds->skipped = g_ptr_array_new_with_free_func(g_free);
    ds->warnings = g_ptr_array_new_with_free_func(g_free);
    ds->n_classes = n_classes;
    ds->classes = g_new0(dg_class, n_classes);
    GArray *items = g_array_new(FALSE, TRUE, sizeof(dg_item));
    for (int c = 0; c < n_classes; c++) {
        ds->classes[c].id = g_strdup(ids[c]);
        ds->classes[c].name = g_strdup(dg_class_display_name(ids[c]));
        for (int l = 0; l < lesions[c]; l++) {
            int k = 1 + (l * 7 + c * 3) % 4;
            for (int j = 0; j < k; j++) {
                dg_item it = {0};
                it.lesion_id = g_strdup_printf("HAM_%s_%04d", ids[c], l);
                it.image_id = g_strdup_printf("ISIC_%s_%04d_%d", ids[c], l, j);
                it.path = g_strdup_printf("%s/%s.jpg", ids[c], it.image_id);
                it.cls = c;
                it.split = DG_SPLIT_NONE;
                g_array_append_val(items, it);
            }
        }
    }
    ds->n_items = (int)items->len;
    ds->items = (dg_item *)g_array_free(items, FALSE);
    if (reverse)
        for (int i = 0; i < ds->n_items / 2; i++) {
            dg_item t = ds->items[i];
            ds->items[i] = ds->items[ds->n_items - 1 - i];
            ds->items[ds->n_items - 1 - i] = t;
        }
    return ds;
}

static const char *const ids4[] = {"akiec", "bcc", "bkl", "mel"};
static const int lesions4[] = {200, 100, 50, 10};

/* No lesion in two splits; every item in a split. */
static void assert_grouped(const dg_dataset *ds)
{
    GHashTable *where = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; i < ds->n_items; i++) {
        const dg_item *it = &ds->items[i];
        g_assert_cmpint(it->split, <, DG_SPLIT_NONE);
        gpointer prev;
        if (g_hash_table_lookup_extended(where, it->lesion_id, NULL, &prev))
            g_assert_cmpint(GPOINTER_TO_INT(prev), ==, it->split);
        else
            g_hash_table_insert(where, it->lesion_id, GINT_TO_POINTER(it->split));
    }
    g_hash_table_unref(where);
}

static void assert_stratified(const dg_dataset *ds, double train, double val, double tol,
                              int min_images)
{
    for (int c = 0; c < ds->n_classes; c++) {
        int total = dg_dataset_class_count(ds, c, DG_SPLIT_NONE);
        for (int s = 0; s < 3; s++)
            g_assert_cmpint(dg_dataset_class_count(ds, c, s), >, 0);
        if (total < min_images)
            continue;
        double want[3] = {train, val, 1 - train - val};
        for (int s = 0; s < 3; s++) {
            double got = (double)dg_dataset_class_count(ds, c, s) / total;
            if (fabs(got - want[s]) > tol)
                g_error("class %s split %s: %.3f of the images, expected %.2f", ds->classes[c].id,
                        dg_split_name(s), got, want[s]);
        }
    }
}

static dg_split *splits_by_path(const dg_dataset *ds, GHashTable **index)
{
    *index = g_hash_table_new(g_str_hash, g_str_equal);
    dg_split *s = g_new(dg_split, ds->n_items);
    for (int i = 0; i < ds->n_items; i++) {
        g_hash_table_insert(*index, ds->items[i].path, GINT_TO_POINTER(i));
        s[i] = ds->items[i].split;
    }
    return s;
}

static void test_grouped_stratified(void)
{
    dg_dataset *ds = synth(4, ids4, lesions4, FALSE);
    GError *error = NULL;
    g_assert_true(dg_dataset_split(ds, 1, 0.70, 0.15, &error));
    g_assert_no_error(error);
    g_assert_true(ds->has_split);
    g_assert_cmpuint(ds->split_seed, ==, 1);
    assert_grouped(ds);
    assert_stratified(ds, 0.70, 0.15, 0.03, 200);
    /* The smallest class (10 lesions) still has every split. */
    for (int s = 0; s < 3; s++)
        g_assert_cmpint(dg_dataset_lesion_count(ds, 3, s), >, 0);
    /* Other fractions. */
    g_assert_true(dg_dataset_split(ds, 5, 0.5, 0.3, &error));
    assert_grouped(ds);
    assert_stratified(ds, 0.5, 0.3, 0.03, 200);
    dg_dataset_free(ds);
}

static void test_seeds(void)
{
    dg_dataset *a = synth(4, ids4, lesions4, FALSE), *b = synth(4, ids4, lesions4, FALSE);
    GError *error = NULL;
    g_assert_true(dg_dataset_split(a, 42, 0.7, 0.15, &error));
    g_assert_true(dg_dataset_split(b, 42, 0.7, 0.15, &error));
    int differ = 0;
    for (int i = 0; i < a->n_items; i++)
        differ += a->items[i].split != b->items[i].split;
    g_assert_cmpint(differ, ==, 0);
    g_assert_true(dg_dataset_split(b, 43, 0.7, 0.15, &error));
    for (int i = 0; i < a->n_items; i++)
        differ += a->items[i].split != b->items[i].split;
    g_assert_cmpint(differ, >, a->n_items / 10);
    /* Seeds are 64-bit: high bits matter too. */
    g_assert_true(dg_dataset_split(b, 42 | (1ull << 63), 0.7, 0.15, &error));
    differ = 0;
    for (int i = 0; i < a->n_items; i++)
        differ += a->items[i].split != b->items[i].split;
    g_assert_cmpint(differ, >, 0);
    dg_dataset_free(a);
    dg_dataset_free(b);
}

/* The order of the items does not matter, nor which other classes are
 * loaded: a class splits the same way among 4 or 7 classes. */
static void test_invariance(void)
{
    dg_dataset *a = synth(4, ids4, lesions4, FALSE), *b = synth(4, ids4, lesions4, TRUE);
    GError *error = NULL;
    g_assert_true(dg_dataset_split(a, 7, 0.7, 0.15, &error));
    g_assert_true(dg_dataset_split(b, 7, 0.7, 0.15, &error));
    GHashTable *idx;
    dg_split *sa = splits_by_path(a, &idx);
    for (int i = 0; i < b->n_items; i++) {
        int j = GPOINTER_TO_INT(g_hash_table_lookup(idx, b->items[i].path));
        g_assert_cmpint(b->items[i].split, ==, sa[j]);
    }
    g_free(sa);
    g_hash_table_unref(idx);

    static const char *const ids7[] = {"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"};
    static const int lesions7[] = {200, 100, 50, 30, 10, 300, 20};
    dg_dataset *c = synth(7, ids7, lesions7, FALSE);
    g_assert_true(dg_dataset_split(c, 7, 0.7, 0.15, &error));
    sa = splits_by_path(c, &idx);
    int compared = 0;
    for (int i = 0; i < a->n_items; i++) {
        if (strcmp(a->classes[a->items[i].cls].id, "mel") == 0)
            continue; /* mel has a different number of lesions in c */
        gpointer j;
        g_assert_true(g_hash_table_lookup_extended(idx, a->items[i].path, NULL, &j));
        g_assert_cmpint(a->items[i].split, ==, sa[GPOINTER_TO_INT(j)]);
        compared++;
    }
    g_assert_cmpint(compared, >, 500);
    g_free(sa);
    g_hash_table_unref(idx);
    dg_dataset_free(a);
    dg_dataset_free(b);
    dg_dataset_free(c);
}

static void test_two_class_lesion(void)
{
    dg_dataset *ds = synth(4, ids4, lesions4, FALSE);
    /* Move one image of a mel lesion into bcc. */
    int moved = -1;
    for (int i = 0; i < ds->n_items; i++)
        if (ds->items[i].cls == 3 && strcmp(ds->items[i].lesion_id, "HAM_mel_0001") == 0) {
            ds->items[i].cls = 1;
            moved = i;
            break;
        }
    g_assert_cmpint(moved, >=, 0);
    GError *error = NULL;
    g_assert_true(dg_dataset_split(ds, 1, 0.7, 0.15, &error));
    assert_grouped(ds);
    dg_dataset_free(ds);
}

static void test_too_small(void)
{
    static const int one[] = {1, 1};
    dg_dataset *ds = synth(2, ids4, one, FALSE);
    GError *error = NULL;
    g_assert_false(dg_dataset_split(ds, 1, 0.7, 0.15, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "would be empty"));
    g_clear_error(&error);
    g_assert_false(ds->has_split);
    for (int i = 0; i < ds->n_items; i++)
        g_assert_cmpint(ds->items[i].split, ==, DG_SPLIT_NONE);
    dg_dataset_free(ds);

    /* Three lesions per class are enough for all three splits. */
    static const int three[] = {3, 3};
    ds = synth(2, ids4, three, FALSE);
    g_assert_true(dg_dataset_split(ds, 1, 0.7, 0.15, &error));
    for (int c = 0; c < 2; c++)
        for (int s = 0; s < 3; s++)
            g_assert_cmpint(dg_dataset_lesion_count(ds, c, s), ==, 1);
    dg_dataset_free(ds);
}

static void test_bad_fractions(void)
{
    dg_dataset *ds = synth(4, ids4, lesions4, FALSE);
    const double bad[][2] = {{0, 0.15}, {0.7, 0}, {0.9, 0.2}, {-0.1, 0.5}, {NAN, 0.1}};
    for (gsize k = 0; k < G_N_ELEMENTS(bad); k++) {
        GError *error = NULL;
        g_assert_false(dg_dataset_split(ds, 1, bad[k][0], bad[k][1], &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        g_error_free(error);
    }
    dg_dataset_free(ds);
}

static void test_indices(void)
{
    dg_dataset *ds = synth(4, ids4, lesions4, FALSE);
    /* Before a split, NONE selects everything. */
    g_assert_cmpint(dg_dataset_indices(ds, DG_SPLIT_NONE, -1, NULL), ==, ds->n_items);
    g_assert_cmpint(dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, NULL), ==, 0);
    GError *error = NULL;
    g_assert_true(dg_dataset_split(ds, 3, 0.7, 0.15, &error));
    int *idx = g_new(int, ds->n_items);
    int sum = 0;
    for (int s = 0; s < 3; s++) {
        int n = dg_dataset_indices(ds, s, -1, idx);
        g_assert_cmpint(n, ==, dg_dataset_class_count(ds, -1, s));
        for (int k = 0; k < n; k++) {
            g_assert_cmpint(ds->items[idx[k]].split, ==, s);
            if (k)
                g_assert_cmpint(idx[k], >, idx[k - 1]);
        }
        int by_class = 0;
        for (int c = 0; c < ds->n_classes; c++) {
            int m = dg_dataset_indices(ds, s, c, idx);
            for (int k = 0; k < m; k++)
                g_assert_cmpint(ds->items[idx[k]].cls, ==, c);
            by_class += m;
        }
        g_assert_cmpint(by_class, ==, n);
        sum += n;
    }
    g_assert_cmpint(sum, ==, ds->n_items);
    g_assert_cmpint(dg_dataset_lesion_count(ds, -1, DG_SPLIT_NONE), ==, 360);
    g_free(idx);
    dg_dataset_free(ds);
}

/* The real metadata: published counts, disjoint lesions, stratified, and
 * the split of seed 1 pinned (the same on every machine). */
static void test_real(void)
{
    const char *real = tu_real_ham10000();
    if (!real)
        return;
    char *cache = tu_tmpdir();
    dg_load_options opt = tu_options(cache);
    opt.size = 8;
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(real, &opt, &error);
    g_assert_no_error(error);
    static const struct {
        const char *id;
        int images, lesions, split[3];
    } want[] = {
        {"akiec", 327, 228, {229, 48, 50}},
        {"bcc", 514, 327, {360, 77, 77}},
        {"bkl", 1099, 727, {769, 166, 164}},
        {"mel", 1113, 614, {779, 167, 167}},
    };
    g_assert_cmpint(ds->n_classes, ==, 4);
    for (int c = 0; c < 4; c++) {
        g_assert_cmpstr(ds->classes[c].id, ==, want[c].id);
        g_assert_cmpint(dg_dataset_class_count(ds, c, DG_SPLIT_NONE), ==, want[c].images);
        g_assert_cmpint(dg_dataset_lesion_count(ds, c, DG_SPLIT_NONE), ==, want[c].lesions);
    }
    g_assert_true(dg_dataset_split(ds, 1, 0.70, 0.15, &error));
    g_assert_no_error(error);
    assert_grouped(ds);
    assert_stratified(ds, 0.70, 0.15, 0.02, 300);
    for (int c = 0; c < 4; c++)
        for (int s = 0; s < 3; s++)
            g_assert_cmpint(dg_dataset_class_count(ds, c, s), ==, want[c].split[s]);
    /* Lesion totals add up: no lesion counted in two splits. */
    int lesions = 0;
    for (int s = 0; s < 3; s++)
        lesions += dg_dataset_lesion_count(ds, -1, s);
    g_assert_cmpint(lesions, ==, dg_dataset_lesion_count(ds, -1, DG_SPLIT_NONE));
    g_assert_cmpint(lesions, ==, 1896);
    /* Another seed, another split, still grouped. */
    dg_split *first = g_new(dg_split, ds->n_items);
    for (int i = 0; i < ds->n_items; i++)
        first[i] = ds->items[i].split;
    g_assert_true(dg_dataset_split(ds, 2, 0.70, 0.15, &error));
    assert_grouped(ds);
    int differ = 0;
    for (int i = 0; i < ds->n_items; i++)
        differ += first[i] != ds->items[i].split;
    g_assert_cmpint(differ, >, 300);
    g_free(first);
    dg_dataset_free(ds);
    tu_rm_rf(cache);
    g_free(cache);
}

int main(int argc, char **argv)
{
    tu_init(&argc, &argv);
    g_test_add_func("/data/split/grouped-stratified", test_grouped_stratified);
    g_test_add_func("/data/split/seeds", test_seeds);
    g_test_add_func("/data/split/invariance", test_invariance);
    g_test_add_func("/data/split/two-class-lesion", test_two_class_lesion);
    g_test_add_func("/data/split/too-small", test_too_small);
    g_test_add_func("/data/split/bad-fractions", test_bad_fractions);
    g_test_add_func("/data/split/indices", test_indices);
    g_test_add_func("/data/split/real", test_real);
    return tu_run();
}

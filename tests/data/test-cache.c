/* test-cache: the on-disk cache of prepared images. */
#include <fcntl.h>
#include <sys/stat.h>

#include "data-test-util.h"

#define S 16

typedef struct {
    char *data;  /* the data set */
    char *cache; /* its cache dir */
} fixture;

static void setup(fixture *f, gconstpointer unused)
{
    (void)unused;
    f->data = tu_tmpdir();
    f->cache = tu_tmpdir();
    const char *classes[] = {"bcc", "mel"};
    for (int c = 0; c < 2; c++) {
        char *d = g_build_filename(f->data, classes[c], NULL);
        tu_mkdir(d);
        for (int k = 0; k < 3; k++) {
            char name[16];
            g_snprintf(name, sizeof name, "%c%d.jpg", classes[c][0], k);
            char *path = g_build_filename(d, name, NULL);
            tu_write_image(path, "jpeg", 48, 40, (guint8)(40 * k + 20), (guint8)(100 * c), 90);
            g_free(path);
        }
        g_free(d);
    }
    char *bad = g_build_filename(f->data, "mel", "text.jpg", NULL);
    tu_write(bad, "just text\n", 10);
    g_free(bad);
}

static void teardown(fixture *f, gconstpointer unused)
{
    (void)unused;
    tu_rm_rf(f->data);
    tu_rm_rf(f->cache);
    g_free(f->data);
    g_free(f->cache);
}

static dg_dataset *load(const char *data, const char *cache, int size)
{
    dg_load_options opt = tu_options(cache);
    opt.size = size;
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(data, &opt, &error);
    g_assert_no_error(error);
    g_assert_nonnull(ds);
    return ds;
}

static void assert_same(const dg_dataset *a, const dg_dataset *b)
{
    g_assert_cmpint(a->n_items, ==, b->n_items);
    for (int i = 0; i < a->n_items; i++) {
        g_assert_cmpstr(a->items[i].path, ==, b->items[i].path);
        g_assert_cmpint(a->items[i].cls, ==, b->items[i].cls);
    }
    g_assert_cmpmem(a->pixels, (gsize)a->n_items * 3 * a->size * a->size, b->pixels,
                    (gsize)b->n_items * 3 * b->size * b->size);
    g_assert_cmpuint(a->skipped->len, ==, b->skipped->len);
    for (guint i = 0; i < a->skipped->len; i++) {
        const dg_skip *x = a->skipped->pdata[i], *y = b->skipped->pdata[i];
        g_assert_cmpstr(x->path, ==, y->path);
        g_assert_cmpstr(x->reason, ==, y->reason);
    }
}

/* The single cache file in cache/datasets. */
static char *cache_file(const char *cache)
{
    char *dir = g_build_filename(cache, "datasets", NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    char *found = NULL;
    const char *name;
    int n = 0;
    while ((name = g_dir_read_name(d))) {
        g_assert_true(g_str_has_suffix(name, ".dgc"));
        found = g_build_filename(dir, name, NULL);
        n++;
    }
    g_dir_close(d);
    g_free(dir);
    g_assert_cmpint(n, ==, 1);
    return found;
}

static void set_mtime(const char *path, time_t sec)
{
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    g_assert_cmpint(utimensat(AT_FDCWD, path, ts, 0), ==, 0);
}

static void test_warm(fixture *f, gconstpointer unused)
{
    (void)unused;
    dg_dataset *cold = load(f->data, f->cache, S);
    g_assert_false(cold->from_cache);
    g_assert_cmpint(cold->n_from_cache, ==, 0);
    g_assert_cmpint(cold->n_items, ==, 6);
    g_assert_cmpuint(cold->skipped->len, ==, 1);
    char *file = cache_file(f->cache);
    g_free(file);

    dg_dataset *warm = load(f->data, f->cache, S);
    g_assert_true(warm->from_cache);
    g_assert_cmpint(warm->n_from_cache, ==, 6);
    assert_same(cold, warm); /* also the skip reason, from the cache */

    /* Proof that a warm load decodes nothing: garble a file but keep its size
     * and mtime; the cache still answers for it. */
    char *path = g_build_filename(f->data, "bcc", "b1.jpg", NULL);
    struct stat st;
    g_assert_cmpint(stat(path, &st), ==, 0);
    char *junk = g_malloc0(st.st_size);
    tu_write(path, junk, st.st_size);
    g_free(junk);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    g_assert_cmpint(utimensat(AT_FDCWD, path, ts, 0), ==, 0);
    dg_dataset *again = load(f->data, f->cache, S);
    g_assert_true(again->from_cache);
    assert_same(cold, again);
    g_free(path);
    dg_dataset_free(again);
    dg_dataset_free(cold);
    dg_dataset_free(warm);
}

static void test_touch(fixture *f, gconstpointer unused)
{
    (void)unused;
    dg_dataset *cold = load(f->data, f->cache, S);
    /* A new picture in one file (new size or mtime): only it is decoded. */
    char *path = g_build_filename(f->data, "mel", "m1.jpg", NULL);
    tu_write_image(path, "jpeg", 48, 40, 250, 250, 250);
    set_mtime(path, 1000000000);
    dg_dataset *ds = load(f->data, f->cache, S);
    g_assert_false(ds->from_cache);
    g_assert_cmpint(ds->n_from_cache, ==, 5);
    gsize img = 3 * S * S;
    for (int i = 0; i < ds->n_items; i++) {
        gboolean changed = g_str_has_suffix(ds->items[i].path, "/m1.jpg");
        gboolean same = memcmp(dg_dataset_image(ds, i), dg_dataset_image(cold, i), img) == 0;
        g_assert_true(changed ? !same : same);
        if (changed)
            g_assert_cmpfloat(tu_mean(dg_dataset_image(ds, i), S, 0), >, 240);
    }
    dg_dataset_free(ds);
    /* Same content, only the mtime moves: decoded again, same pixels. */
    set_mtime(path, 1100000000);
    ds = load(f->data, f->cache, S);
    g_assert_cmpint(ds->n_from_cache, ==, 5);
    dg_dataset_free(ds);
    ds = load(f->data, f->cache, S);
    g_assert_true(ds->from_cache);
    dg_dataset_free(ds);
    /* A file removed: nothing decoded, the cache pruned. */
    g_assert_cmpint(unlink(path), ==, 0);
    ds = load(f->data, f->cache, S);
    g_assert_true(ds->from_cache);
    g_assert_cmpint(ds->n_items, ==, 5);
    dg_dataset_free(ds);
    g_free(path);
    dg_dataset_free(cold);
}

static void rewrite(const char *file, void (*edit)(GByteArray *))
{
    char *data;
    gsize len;
    g_assert_true(g_file_get_contents(file, &data, &len, NULL));
    GByteArray *a = g_byte_array_new_take((guint8 *)data, len);
    edit(a);
    tu_write(file, a->data, a->len);
    g_byte_array_unref(a);
}

static void flip_middle(GByteArray *a)
{
    a->data[a->len / 2] ^= 0x10;
}

static void flip_last_pixel_byte(GByteArray *a)
{
    a->data[a->len - 8 - 90] ^= 0x01; /* inside the last image entry's pixels or reason */
}

static void cut_half(GByteArray *a)
{
    g_byte_array_set_size(a, a->len / 2);
}

static void cut_to_header(GByteArray *a)
{
    g_byte_array_set_size(a, 40);
}

static void garble_header(GByteArray *a)
{
    for (int i = 8; i < 40; i++)
        a->data[i] = 0xEE;
}

static void empty(GByteArray *a)
{
    g_byte_array_set_size(a, 0);
}

static void random_bytes(GByteArray *a)
{
    guint32 x = 12345;
    for (guint i = 0; i < a->len; i++) {
        x = x * 1103515245u + 12345u;
        a->data[i] = (guint8)(x >> 16);
    }
}

static void test_corrupt(fixture *f, gconstpointer unused)
{
    (void)unused;
    dg_dataset *ref = load(f->data, f->cache, S);
    char *file = cache_file(f->cache);
    void (*edits[])(GByteArray *) = {flip_middle,   flip_last_pixel_byte, cut_half, cut_to_header,
                                     garble_header, empty,                random_bytes};
    for (gsize k = 0; k < G_N_ELEMENTS(edits); k++) {
        rewrite(file, edits[k]);
        dg_dataset *ds = load(f->data, f->cache, S);
        /* Broken entries are decoded again: same data set, never garbage. */
        g_assert_false(ds->from_cache);
        g_assert_cmpint(ds->n_from_cache, <, ds->n_items);
        assert_same(ref, ds);
        dg_dataset_free(ds);
        /* The load rewrote a good cache. */
        ds = load(f->data, f->cache, S);
        g_assert_true(ds->from_cache);
        assert_same(ref, ds);
        dg_dataset_free(ds);
    }
    /* One flipped byte costs one entry, not the whole cache. */
    rewrite(file, flip_middle);
    dg_dataset *ds = load(f->data, f->cache, S);
    g_assert_cmpint(ds->n_from_cache, >=, ds->n_items - 1);
    dg_dataset_free(ds);
    g_free(file);
    dg_dataset_free(ref);
}

static void test_keys(fixture *f, gconstpointer unused)
{
    (void)unused;
    dg_dataset *a = load(f->data, f->cache, S);
    /* Another size is another cache; both stay. */
    dg_dataset *b = load(f->data, f->cache, 8);
    g_assert_false(b->from_cache);
    dg_dataset_free(b);
    b = load(f->data, f->cache, S);
    g_assert_true(b->from_cache);
    dg_dataset_free(b);
    b = load(f->data, f->cache, 8);
    g_assert_true(b->from_cache);
    g_assert_cmpint(b->size, ==, 8);
    dg_dataset_free(b);
    /* Another spelling of the same folder shares the cache. */
    char *other = g_strconcat(f->data, "/./", NULL);
    b = load(other, f->cache, S);
    g_assert_true(b->from_cache);
    dg_dataset_free(b);
    g_free(other);
    dg_dataset_free(a);
}

static void test_disabled(fixture *f, gconstpointer unused)
{
    (void)unused;
    dg_dataset *a = load(f->data, "", S);
    dg_dataset *b = load(f->data, "", S);
    g_assert_false(b->from_cache);
    assert_same(a, b);
    dg_dataset_free(b);
    /* A cache dir that cannot be made: the load works, uncached. */
    char *blocker = g_build_filename(f->cache, "file", NULL);
    tu_write(blocker, "x", 1);
    b = load(f->data, blocker, S);
    assert_same(a, b);
    dg_dataset_free(b);
    b = load(f->data, blocker, S);
    g_assert_false(b->from_cache);
    dg_dataset_free(b);
    g_free(blocker);
    dg_dataset_free(a);
}

/* NULL: the user's cache dir (a private one here: see tu_init). */
static void test_default_dir(fixture *f, gconstpointer unused)
{
    (void)unused;
    g_assert_true(g_str_has_prefix(g_get_user_cache_dir(), g_get_tmp_dir()));
    dg_load_options opt = tu_options(NULL);
    opt.cache_dir = NULL;
    opt.size = S;
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(f->data, &opt, &error);
    g_assert_no_error(error);
    dg_dataset_free(ds);
    char *dir = g_build_filename(g_get_user_cache_dir(), "dermagan", NULL);
    char *file = cache_file(dir);
    g_free(file);
    ds = dg_dataset_load(f->data, &opt, &error);
    g_assert_true(ds->from_cache);
    dg_dataset_free(ds);
    tu_rm_rf(dir);
    g_free(dir);
}

int main(int argc, char **argv)
{
    tu_init(&argc, &argv);
    g_test_add("/data/cache/warm", fixture, NULL, setup, test_warm, teardown);
    g_test_add("/data/cache/touch", fixture, NULL, setup, test_touch, teardown);
    g_test_add("/data/cache/corrupt", fixture, NULL, setup, test_corrupt, teardown);
    g_test_add("/data/cache/keys", fixture, NULL, setup, test_keys, teardown);
    g_test_add("/data/cache/disabled", fixture, NULL, setup, test_disabled, teardown);
    g_test_add("/data/cache/default-dir", fixture, NULL, setup, test_default_dir, teardown);
    return tu_run();
}

/* test-dataset: loading data sets in both layouts, with every kind of bad
 * file, and the errors of data sets that cannot be used. */
#include <fcntl.h>
#include <gio/gio.h>

#include "data-test-util.h"
#include "data/dg-data-private.h"

#define S 16

static char *p(const char *dir, const char *a, const char *b)
{
    return g_build_filename(dir, a, b, NULL);
}

static void img(const char *dir, const char *cls, const char *name, const char *type, guint8 r,
                guint8 g, guint8 b)
{
    char *path = p(dir, cls, name);
    tu_write_image(path, type, 40, 30, r, g, b);
    g_free(path);
}

static void raw(const char *dir, const char *cls, const char *name, const void *data, gsize len)
{
    char *path = p(dir, cls, name);
    tu_write(path, data, len);
    g_free(path);
}

static void fixture(const char *dir, const char *cls, const char *name, const char *fixture_name)
{
    char *from = tu_fixture(fixture_name), *to = p(dir, cls, name);
    tu_copy(from, to);
    g_free(from);
    g_free(to);
}

/* An ImageFolder data set holding every kind of bad file beside good ones. */
static char *make_bad_imagefolder(gboolean *unreadable_checked)
{
    char *dir = tu_tmpdir();
    const char *dirs[] = {"akiec", "bcc", "bcc/sub", "empty", "allbad", ".hidden"};
    for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
        char *d = g_build_filename(dir, dirs[i], NULL);
        tu_mkdir(d);
        g_free(d);
    }
    /* Good images, with colours to check. */
    img(dir, "akiec", "a1.jpg", "jpeg", 250, 10, 10);
    img(dir, "akiec", "a2.png", "png", 10, 250, 10);
    img(dir, "akiec", "caf\xe9.jpg", "jpeg", 10, 10, 250); /* Latin-1 name: not UTF-8 */
    fixture(dir, "akiec", "grey.png", "grey16.png");
    fixture(dir, "akiec", "pal.png", "palette.png");
    fixture(dir, "akiec", "cmyk.jpg", "cmyk.jpg");
    fixture(dir, "akiec", "rgba.PNG", "rgba.png"); /* upper-case extension */
    img(dir, "bcc", "b1.jpg", "jpeg", 128, 128, 128);
    img(dir, "bcc", "b2.bmp", "bmp", 1, 2, 3);
    img(dir, "bcc/sub", "nested.jpeg", "jpeg", 60, 70, 80);
    img(dir, ".hidden", "h.jpg", "jpeg", 0, 0, 0);
    img(dir, "", "loose.jpg", "jpeg", 0, 0, 0);
    raw(dir, "", "README.txt", "notes\n", 6);

    /* Bad files. */
    raw(dir, "bcc", "zero.jpg", "", 0);
    gsize len;
    char *jpeg = tu_jpeg_bytes(64, 48, 1, 2, 3, &len);
    raw(dir, "bcc", "trunc.jpg", jpeg, len / 2);
    char *corrupt = g_memdup2(jpeg, len);
    for (gsize i = 4; i < 120; i++)
        corrupt[i] = (char)0xA5;
    raw(dir, "bcc", "corrupt.jpg", corrupt, len);
    g_free(corrupt);
    g_free(jpeg);
    raw(dir, "bcc", "text.jpg", "this is not a picture\n", 22);
    raw(dir, "bcc", "fake.bmp", "GIF89a\x01\x00\x01\x00\x00\x00\x00;", 14);
    raw(dir, "bcc", "scan.tiff", "II*\0\x08\0\0\0\0\0", 10);
    GByteArray *huge = tu_png_claiming(60000, 60000);
    raw(dir, "bcc", "huge.png", huge->data, huge->len);
    g_byte_array_unref(huge);
    raw(dir, "bcc", "bad\xff.jpg", "text again\n", 11); /* bad and not UTF-8 */
    img(dir, "bcc", "locked.jpg", "jpeg", 5, 5, 5);
    char *locked = p(dir, "bcc", "locked.jpg");
    g_assert_cmpint(chmod(locked, 0), ==, 0);
    /* Root reads anything: then the file loads and that check is skipped. */
    *unreadable_checked = access(locked, R_OK) != 0;
    g_free(locked);
    char *loop = p(dir, "bcc", "loop.jpg");
    g_assert_cmpint(symlink("loop.jpg", loop), ==, 0);
    g_free(loop);
    char *dirloop = p(dir, "bcc/sub", "again");
    g_assert_cmpint(symlink("..", dirloop), ==, 0); /* bcc/sub/again -> bcc */
    g_free(dirloop);
    char *dangling = p(dir, "bcc", "gone.jpg");
    g_assert_cmpint(symlink("nowhere.jpg", dangling), ==, 0);
    g_free(dangling);
    raw(dir, "allbad", "zero.png", "", 0);
    return dir;
}

/* Makes a tree readable by others (the unreadable file stays 000). */
static void open_up(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0 || S_ISLNK(st.st_mode))
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0755);
        GDir *dir = g_dir_open(path, 0, NULL);
        const char *name;
        while (dir && (name = g_dir_read_name(dir))) {
            char *child = g_build_filename(path, name, NULL);
            open_up(child);
            g_free(child);
        }
        if (dir)
            g_dir_close(dir);
    } else if ((st.st_mode & 0777) != 0) {
        chmod(path, 0644);
    }
}

/* Root reads a chmod-000 file anyway: check "permission denied" in a child
 * that drops to the nobody user. */
static void check_unreadable_unprivileged(const char *dir)
{
    if (getuid() != 0) {
        g_test_message("cannot make an unreadable file here: that check is skipped");
        return;
    }
    open_up(dir);
    g_setenv("DG_TEST_UNREADABLE_DIR", dir, TRUE);
    g_test_trap_subprocess("/data/dataset/unreadable-as-nobody", 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_unsetenv("DG_TEST_UNREADABLE_DIR");
}

static void test_unreadable_as_nobody(void)
{
    if (!g_test_subprocess()) {
        g_test_skip("runs as a subprocess of /data/dataset/bad-files");
        return;
    }
    const char *dir = g_getenv("DG_TEST_UNREADABLE_DIR");
    g_assert_nonnull(dir);
    g_assert_cmpint(setgid(65534), ==, 0);
    g_assert_cmpint(setuid(65534), ==, 0);
    char *locked = p(dir, "bcc", "locked.jpg");
    g_assert_cmpint(access(locked, R_OK), !=, 0);
    g_free(locked);
    dg_load_options opt = tu_options(NULL);
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    tu_assert_skip(ds, "/bcc/locked.jpg", "permission denied");
    g_assert_cmpint(tu_find_item(ds, "/bcc/locked.jpg"), ==, -1);
    g_assert_cmpint(ds->n_items, ==, 10);
    dg_dataset_free(ds);
}

/* make_bad_imagefolder's odd-but-valid images, loaded with the right pixels. */
static void check_odd_images(const dg_dataset *ds)
{
    int i = tu_find_item(ds, "/akiec/a1.jpg");
    g_assert_cmpint(i, >=, 0);
    g_assert_cmpint(ds->items[i].cls, ==, 0);
    g_assert_cmpstr(ds->items[i].image_id, ==, "a1");
    g_assert_cmpint(ds->items[i].split, ==, DG_SPLIT_NONE);
    const guint8 *px = dg_dataset_image(ds, i);
    g_assert_cmpfloat(ABS(tu_mean(px, S, 0) - 250), <, 3);
    g_assert_cmpfloat(ABS(tu_mean(px, S, 1) - 10), <, 3);
    i = tu_find_item(ds, "/akiec/grey.png"); /* 16-bit grey, A over B */
    px = dg_dataset_image(ds, i);
    g_assert_cmpint(px[0], ==, 100);
    g_assert_cmpint(px[S * S], ==, 100);
    g_assert_cmpint(px[3 * S * S - 1], ==, 200);
    i = tu_find_item(ds, "/akiec/pal.png");
    px = dg_dataset_image(ds, i);
    g_assert_cmpint(px[0], ==, 200);
    g_assert_cmpint(px[S * S], ==, 100);
    g_assert_cmpint(px[2 * S * S], ==, 50);
    i = tu_find_item(ds, "/akiec/rgba.PNG");
    px = dg_dataset_image(ds, i);
    g_assert_cmpint(px[3 * S * S - 1], ==, 30);
    i = tu_find_item(ds, "/akiec/cmyk.jpg");
    px = dg_dataset_image(ds, i);
    g_assert_cmpint(ABS(px[0] - 200), <=, 4);
    g_assert_cmpint(ABS(px[2 * S * S] - 50), <=, 4);
    i = tu_find_item(ds, "/bcc/b2.bmp");
    px = dg_dataset_image(ds, i);
    g_assert_cmpint(px[0], ==, 1);
    g_assert_cmpint(px[2 * S * S], ==, 3);
    i = tu_find_item(ds, "/bcc/sub/nested.jpeg");
    g_assert_cmpint(i, >=, 0);
    g_assert_cmpstr(ds->items[i].lesion_id, ==, "bcc/sub/nested.jpeg");
    /* The non-UTF-8 good image: loaded, its id valid UTF-8, its path the
     * real file name. */
    i = tu_find_item(ds, "/akiec/caf\xe9.jpg");
    g_assert_cmpint(i, >=, 0);
    g_assert_true(g_utf8_validate(ds->items[i].image_id, -1, NULL));
    g_assert_true(g_utf8_validate(ds->items[i].lesion_id, -1, NULL));
    px = dg_dataset_image(ds, i);
    g_assert_cmpfloat(ABS(tu_mean(px, S, 2) - 250), <, 3);
}

static void test_bad_files(void)
{
    gboolean unreadable_checked;
    char *dir = make_bad_imagefolder(&unreadable_checked);
    dg_load_options opt = tu_options(NULL);
    opt.size = S;
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_nonnull(ds);
    g_assert_cmpint(ds->layout, ==, DG_LAYOUT_IMAGEFOLDER);
    g_assert_cmpstr(dg_layout_name(ds->layout), ==, "imagefolder");
    g_assert_cmpint(ds->size, ==, S);

    /* Classes: folders with images, sorted; empty ones left out. */
    g_assert_cmpint(ds->n_classes, ==, 2);
    g_assert_cmpstr(ds->classes[0].id, ==, "akiec");
    g_assert_cmpstr(ds->classes[0].name, ==, "Actinic keratosis");
    g_assert_cmpstr(ds->classes[1].id, ==, "bcc");
    g_assert_cmpstr(ds->classes[1].name, ==, "Basal cell carcinoma");
    g_assert_cmpint(dg_dataset_class_index(ds, "bcc"), ==, 1);
    g_assert_cmpint(dg_dataset_class_index(ds, "empty"), ==, -1);
    g_assert_cmpint(dg_dataset_class_count(ds, 0, DG_SPLIT_NONE), ==, 7);
    g_assert_cmpint(dg_dataset_class_count(ds, 1, DG_SPLIT_NONE), ==,
                    unreadable_checked ? 3 : 4);
    g_assert_cmpint(ds->n_items, ==, unreadable_checked ? 10 : 11);
    /* ImageFolder: every image is its own lesion. */
    g_assert_cmpint(dg_dataset_lesion_count(ds, -1, DG_SPLIT_NONE), ==, ds->n_items);

    /* Every bad item, with its path and reason. */
    tu_assert_skip(ds, "/bcc/zero.jpg", "zero-byte file");
    tu_assert_skip(ds, "/bcc/trunc.jpg", "truncated or corrupt JPEG");
    tu_assert_skip(ds, "/bcc/corrupt.jpg", "truncated or corrupt JPEG");
    tu_assert_skip(ds, "/bcc/text.jpg", "not an image (text)");
    tu_assert_skip(ds, "/bcc/fake.bmp", "unsupported format (GIF)");
    tu_assert_skip(ds, "/bcc/scan.tiff", "unsupported file type (.tiff)");
    tu_assert_skip(ds, "/bcc/huge.png", "image is 60000x60000 (3600 MP), over the 50 MP limit");
    tu_assert_skip(ds, "/bcc/loop.jpg", "symlink loop");
    tu_assert_skip(ds, "/bcc/sub/again", "symlink loop");
    tu_assert_skip(ds, "/bcc/gone.jpg", "broken symlink");
    tu_assert_skip(ds, "/empty", "empty class folder");
    tu_assert_skip(ds, "/allbad", "no usable images in class folder");
    tu_assert_skip(ds, "/allbad/zero.png", "zero-byte file");
    tu_assert_skip(ds, "/loose.jpg", "image outside a class folder");
    if (unreadable_checked)
        tu_assert_skip(ds, "/bcc/locked.jpg", "permission denied");
    else
        check_unreadable_unprivileged(dir);
    /* The non-UTF-8 bad file: a valid UTF-8 display path. */
    gboolean found = FALSE;
    for (guint i = 0; i < ds->skipped->len; i++) {
        const dg_skip *s = ds->skipped->pdata[i];
        g_assert_true(g_utf8_validate(s->path, -1, NULL));
        g_assert_true(g_utf8_validate(s->reason, -1, NULL));
        g_assert_null(strchr(s->reason, '\n'));
        if (strstr(s->path, "/bcc/bad") && g_str_has_suffix(s->path, ".jpg")) {
            g_assert_cmpstr(s->reason, ==, "not an image (text)");
            found = TRUE;
        }
        /* Nothing hidden or beside the classes is reported. */
        g_assert_null(strstr(s->path, ".hidden"));
        g_assert_null(strstr(s->path, "README"));
    }
    g_assert_true(found);
    g_assert_cmpuint(ds->skipped->len, ==, unreadable_checked ? 16 : 15);

    check_odd_images(ds);

    /* Items are in class order, then path order. */
    for (int k = 1; k < ds->n_items; k++) {
        g_assert_cmpint(ds->items[k - 1].cls, <=, ds->items[k].cls);
        if (ds->items[k - 1].cls == ds->items[k].cls)
            g_assert_cmpint(strcmp(ds->items[k - 1].path, ds->items[k].path), <, 0);
    }
    /* Skips are sorted too (stable reports). */
    for (guint k = 1; k < ds->skipped->len; k++) {
        const dg_skip *a = ds->skipped->pdata[k - 1], *b = ds->skipped->pdata[k];
        g_assert_cmpint(strcmp(a->path, b->path), <=, 0);
    }
    dg_dataset_free(ds);
    tu_rm_rf(dir);
    g_free(dir);
}

/* One thread or four: the same data set, pixel for pixel. */
static void test_threads_agree(void)
{
    gboolean unused;
    char *dir = make_bad_imagefolder(&unused);
    dg_load_options opt = tu_options(NULL);
    opt.size = S;
    opt.threads = 1;
    GError *error = NULL;
    dg_dataset *a = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    opt.threads = 4;
    dg_dataset *b = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(a->n_items, ==, b->n_items);
    for (int i = 0; i < a->n_items; i++)
        g_assert_cmpstr(a->items[i].path, ==, b->items[i].path);
    g_assert_cmpmem(a->pixels, (gsize)a->n_items * 3 * S * S, b->pixels,
                    (gsize)b->n_items * 3 * S * S);
    g_assert_cmpuint(a->skipped->len, ==, b->skipped->len);
    for (guint i = 0; i < a->skipped->len; i++) {
        const dg_skip *x = a->skipped->pdata[i], *y = b->skipped->pdata[i];
        g_assert_cmpstr(x->path, ==, y->path);
        g_assert_cmpstr(x->reason, ==, y->reason);
    }
    dg_dataset_free(a);
    dg_dataset_free(b);
    tu_rm_rf(dir);
    g_free(dir);
}

static const char *ham_csv =
    "lesion_id,image_id,dx,dx_type,age,sex,localization\r\n"
    "HAM_1,ISIC_01,mel,histo,80.0,male,scalp\r\n"
    "HAM_1,ISIC_02,mel,histo,80.0,male,scalp\r\n"
    "HAM_2,ISIC_03,mel,histo,60.0,female,back\r\n"
    "HAM_3,ISIC_04,bcc,histo,60.0,female,back\r\n"
    "HAM_3,ISIC_05,bcc,histo,60.0,female,back\r\n"
    "HAM_4,ISIC_06,bkl,consensus,,,\r\n"
    "\"HAM_5\",\"ISIC_07\",\"akiec\",histo,55.0,\"male, probably\",face\r\n"
    "HAM_6,ISIC_08,nv,follow_up,40.0,male,trunk\r\n"
    "HAM_7,ISIC_09\r\n"                             /* line 10: malformed */
    "HAM_8,ISIC_99,mel,histo,,,\r\n"                /* line 11: no image */
    "HAM_9,ISIC_03,bcc,histo,,,\r\n"                /* line 12: duplicate id */
    "HAM_10,ISIC_10,bkl,histo,,,\r\n"               /* its image is a bad file */
    "HAM_2,ISIC_11,bcc,histo,,,\r\n";               /* HAM_2 now in two classes */

static char *make_ham(const char *sub1, const char *sub2)
{
    char *dir = tu_tmpdir();
    char *csv = g_build_filename(dir, "HAM10000_metadata.csv", NULL);
    tu_write(csv, ham_csv, strlen(ham_csv));
    g_free(csv);
    char *d1 = g_build_filename(dir, sub1, NULL), *d2 = g_build_filename(dir, sub2, NULL);
    tu_mkdir(d1);
    tu_mkdir(d2);
    for (int k = 1; k <= 11; k++) {
        if (k == 10)
            continue;
        char name[32];
        g_snprintf(name, sizeof name, "ISIC_%02d.jpg", k);
        img(k % 2 ? d1 : d2, "", name, "jpeg", (guint8)(k * 20), 0, 0);
    }
    raw(d1, "", "ISIC_10.jpg", "", 0);
    img(d2, "", "ISIC_77.jpg", "jpeg", 0, 0, 0); /* not in the CSV */
    img(d1, "", "ISIC_01.png", "png", 0, 0, 0); /* a second file for ISIC_01 */
    g_free(d1);
    g_free(d2);
    return dir;
}

static void check_ham(const char *sub1, const char *sub2)
{
    char *dir = make_ham(sub1, sub2);
    dg_load_options opt = tu_options(NULL);
    opt.size = S;
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->layout, ==, DG_LAYOUT_HAM10000);
    g_assert_cmpint(ds->n_classes, ==, 4);
    const char *ids[] = {"akiec", "bcc", "bkl", "mel"};
    for (int c = 0; c < 4; c++)
        g_assert_cmpstr(ds->classes[c].id, ==, ids[c]);
    g_assert_cmpstr(ds->classes[3].name, ==, "Melanoma");
    /* akiec 07; bcc 04 05 11; bkl 06 (10 is bad); mel 01 02 03. */
    g_assert_cmpint(ds->n_items, ==, 8);
    g_assert_cmpint(dg_dataset_class_count(ds, 0, DG_SPLIT_NONE), ==, 1);
    g_assert_cmpint(dg_dataset_class_count(ds, 1, DG_SPLIT_NONE), ==, 3);
    g_assert_cmpint(dg_dataset_class_count(ds, 2, DG_SPLIT_NONE), ==, 1);
    g_assert_cmpint(dg_dataset_class_count(ds, 3, DG_SPLIT_NONE), ==, 3);
    g_assert_cmpint(dg_dataset_lesion_count(ds, 3, DG_SPLIT_NONE), ==, 2);
    g_assert_cmpint(dg_dataset_lesion_count(ds, 1, DG_SPLIT_NONE), ==, 2);
    g_assert_cmpint(dg_dataset_lesion_count(ds, -1, DG_SPLIT_NONE), ==, 5);
    int i = tu_find_item(ds, "ISIC_01.jpg");
    g_assert_cmpint(i, >=, 0);
    g_assert_cmpstr(ds->items[i].image_id, ==, "ISIC_01");
    g_assert_cmpstr(ds->items[i].lesion_id, ==, "HAM_1");
    g_assert_cmpint(ds->items[i].cls, ==, 3);
    g_assert_cmpfloat(ABS(tu_mean(dg_dataset_image(ds, i), S, 0) - 20), <, 3);
    g_assert_cmpint(tu_find_item(ds, "ISIC_08.jpg"), ==, -1); /* nv: not selected */

    /* CSV rows: one entry per kind of problem, with its rows counted. */
    int rows = 0, files = 0;
    for (guint k = 0; k < ds->skipped->len; k++) {
        const dg_skip *s = ds->skipped->pdata[k];
        if (s->rows == 0) {
            files++;
            continue;
        }
        g_assert_true(g_str_has_suffix(s->path, "/HAM10000_metadata.csv"));
        rows += s->rows;
    }
    g_assert_cmpint(rows, ==, 3);
    g_assert_cmpint(files, ==, 3);
    tu_assert_skip(ds, "HAM10000_metadata.csv",
                   "malformed row (expected at least 3 fields): 1 row, line 10");
    tu_assert_skip(ds, "HAM10000_metadata.csv",
                   "no image file for its image_id: 1 row, line 11 (ISIC_99)");
    tu_assert_skip(ds, "HAM10000_metadata.csv",
                   "duplicate image_id: 1 row, line 12 (ISIC_03, first on line 4)");
    /* The nv row: left out by choice, not skipped. */
    g_assert_cmpint(ds->n_rows_left_out, ==, 1);
    g_assert_cmpstr(ds->left_out, ==, "left out: 1 row of class nv (use --all-classes)");
    tu_assert_skip(ds, "/ISIC_10.jpg", "zero-byte file");
    tu_assert_skip(ds, "/ISIC_77.jpg", "not listed in HAM10000_metadata.csv");
    tu_assert_skip(ds, "/ISIC_01.png", "duplicate image file for image_id ISIC_01");
    g_assert_cmpuint(ds->skipped->len, ==, 6);
    /* The lesion in two classes is a warning, not a crash. */
    gboolean two = FALSE;
    for (guint k = 0; k < ds->warnings->len; k++)
        if (strstr(ds->warnings->pdata[k], "HAM_2") &&
            strstr(ds->warnings->pdata[k], "bcc, mel"))
            two = TRUE;
    g_assert_true(two);
    dg_dataset_free(ds);

    /* All seven classes: nv joins. */
    opt.all_classes = TRUE;
    ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_classes, ==, 5);
    g_assert_cmpint(dg_dataset_class_index(ds, "nv"), ==, 4);
    g_assert_cmpstr(ds->classes[4].name, ==, "Melanocytic nevus");
    g_assert_cmpint(ds->n_items, ==, 9);
    g_assert_cmpint(ds->n_rows_left_out, ==, 0);
    g_assert_null(ds->left_out);
    dg_dataset_free(ds);
    tu_rm_rf(dir);
    g_free(dir);
}

static void test_ham_images(void)
{
    check_ham("images", ".");
}

static void test_ham_parts(void)
{
    check_ham("HAM10000_images_part_1", "HAM10000_images_part_2");
}

static void expect_error_opt(const char *path, const dg_load_options *opt, gint code,
                             const char *part)
{
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(path, opt, &error);
    g_assert_null(ds);
    g_assert_error(error, G_IO_ERROR, code);
    if (!strstr(error->message, part))
        g_error("message '%s' lacks '%s'", error->message, part);
    g_assert_null(strchr(error->message, '\n'));
    g_error_free(error);
}

static void expect_error(const char *path, gint code, const char *part)
{
    dg_load_options opt = tu_options(NULL);
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(path, &opt, &error);
    g_assert_null(ds);
    g_assert_error(error, G_IO_ERROR, code);
    if (!strstr(error->message, part))
        g_error("message '%s' lacks '%s'", error->message, part);
    g_assert_null(strchr(error->message, '\n'));
    g_error_free(error);
}

static void test_errors(void)
{
    char *dir = tu_tmpdir();
    char *missing = g_build_filename(dir, "missing", NULL);
    expect_error(missing, G_IO_ERROR_NOT_FOUND, "no such folder");
    char *file = g_build_filename(dir, "file.jpg", NULL);
    tu_write_image(file, "jpeg", 8, 8, 0, 0, 0);
    expect_error(file, G_IO_ERROR_NOT_DIRECTORY, "is not a folder");
    /* No layout: nothing but a loose image. */
    expect_error(dir, G_IO_ERROR_NOT_FOUND, "no data set there");
    /* One class only. */
    char *one = g_build_filename(dir, "mel", NULL);
    tu_mkdir(one);
    img(dir, "mel", "m.jpg", "jpeg", 1, 1, 1);
    expect_error(dir, G_IO_ERROR_INVALID_DATA, "fewer than two classes with images (found 1: mel)");
    /* A second class folder with only a bad file: still one class. */
    char *two = g_build_filename(dir, "bcc", NULL);
    tu_mkdir(two);
    raw(dir, "bcc", "x.jpg", "", 0);
    expect_error(dir, G_IO_ERROR_INVALID_DATA, "fewer than two classes");
    /* A broken metadata CSV. */
    char *csv = g_build_filename(dir, "HAM10000_metadata.csv", NULL);
    tu_write(csv, "a,b,c\n", 6);
    expect_error(dir, G_IO_ERROR_INVALID_DATA, "no lesion_id column");
    tu_write(csv, "", 0);
    expect_error(dir, G_IO_ERROR_INVALID_DATA, "is empty");
    g_free(csv);
    g_free(missing);
    g_free(file);
    g_free(one);
    g_free(two);
    tu_rm_rf(dir);
    g_free(dir);
}

/* HAM10000_metadata.csv that is no file to read: a FIFO (blocked open()
 * forever), a symlink to /dev/zero (endless), a file over the limit. */
static void test_csv_not_regular(void)
{
    alarm(20); /* a hang fails the test instead of waiting for meson */
    char *dir = tu_tmpdir();
    char *images = g_build_filename(dir, "images", NULL);
    tu_mkdir(images);
    char *csv = g_build_filename(dir, "HAM10000_metadata.csv", NULL);
    g_assert_cmpint(mkfifo(csv, 0600), ==, 0);
    expect_error(dir, G_IO_ERROR_NOT_REGULAR_FILE,
                 "HAM10000_metadata.csv: not a regular file (a FIFO)");
    g_assert_cmpint(unlink(csv), ==, 0);
    g_assert_cmpint(symlink("/dev/zero", csv), ==, 0);
    /* Out of the data set's folder: not followed unless asked; asked, not
     * a regular file. */
    expect_error(dir, G_IO_ERROR_PERMISSION_DENIED,
                 "HAM10000_metadata.csv: symlink to a file outside the data set (/dev/zero); "
                 "not followed without --follow-symlinks");
    dg_load_options follow = tu_options(NULL);
    follow.follow_symlinks = TRUE;
    expect_error_opt(dir, &follow, G_IO_ERROR_NOT_REGULAR_FILE,
                     "HAM10000_metadata.csv: not a regular file (a character device)");
    g_assert_cmpint(unlink(csv), ==, 0);
    /* Sparse: 65 MB that take no room. */
    int fd = open(csv, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)DG_CSV_MAX_FILE_BYTES + (1 << 20)), ==, 0);
    close(fd);
    expect_error(dir, G_IO_ERROR_MESSAGE_TOO_LARGE,
                 "HAM10000_metadata.csv: file is 65.0 MB, over the 64 MB limit");
    /* A folder by that name. */
    g_assert_cmpint(unlink(csv), ==, 0);
    tu_mkdir(csv);
    expect_error(dir, G_IO_ERROR_IS_DIRECTORY, "HAM10000_metadata.csv: is a folder, not a file");
    tu_rm_rf(dir);
    g_free(dir);
    g_free(csv);
    g_free(images);
    alarm(0);
}

/* Symlinks that lead out of the data set's folder are skipped with a
 * reason unless follow_symlinks; symlinks inside it are fine; loops are
 * still caught. */
static void test_symlinks_imagefolder(void)
{
    char *dir = tu_tmpdir(), *outside = tu_tmpdir();
    const char *dirs[] = {"bcc", "mel"};
    for (int i = 0; i < 2; i++) {
        char *d = g_build_filename(dir, dirs[i], NULL);
        tu_mkdir(d);
        g_free(d);
    }
    img(dir, "bcc", "b1.jpg", "jpeg", 10, 10, 10);
    img(dir, "bcc", "b2.jpg", "jpeg", 20, 20, 20);
    img(dir, "mel", "m1.jpg", "jpeg", 30, 30, 30);
    img(dir, "mel", "m2.jpg", "jpeg", 40, 40, 40);
    img(outside, "", "o1.jpg", "jpeg", 50, 50, 50);
    img(outside, "", "o2.png", "png", 60, 60, 60);
    char *link;
    /* A folder outside (a temp dir of images, and /etc). */
    link = p(dir, "mel", "linked");
    g_assert_cmpint(symlink(outside, link), ==, 0);
    g_free(link);
    link = p(dir, "mel", "etc");
    g_assert_cmpint(symlink("/etc", link), ==, 0);
    g_free(link);
    /* A class folder outside. */
    link = g_build_filename(dir, "vasc", NULL);
    g_assert_cmpint(symlink(outside, link), ==, 0);
    g_free(link);
    /* A file outside, and one inside. */
    link = p(dir, "bcc", "out.jpg");
    char *target = p(outside, "o1.jpg", NULL);
    g_assert_cmpint(symlink(target, link), ==, 0);
    g_free(target);
    g_free(link);
    link = p(dir, "bcc", "in.jpg");
    g_assert_cmpint(symlink("../mel/m1.jpg", link), ==, 0);
    g_free(link);

    dg_load_options opt = tu_options(NULL);
    opt.size = S;
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_classes, ==, 2);
    g_assert_cmpint(dg_dataset_class_index(ds, "vasc"), ==, -1);
    g_assert_cmpint(ds->n_items, ==, 5); /* b1 b2 in m1 m2 */
    g_assert_cmpint(tu_find_item(ds, "/bcc/in.jpg"), >=, 0);
    g_autofree char *out_disp = g_strdup_printf("symlink to a folder outside the data set (%s); "
                                                "not followed without --follow-symlinks",
                                                outside);
    tu_assert_skip(ds, "/mel/linked", out_disp);
    tu_assert_skip(ds, "/mel/etc", "symlink to a folder outside the data set (/etc)");
    tu_assert_skip(ds, "/vasc", out_disp);
    tu_assert_skip(ds, "/bcc/out.jpg", "symlink to a file outside the data set (");
    g_assert_cmpuint(ds->skipped->len, ==, 4);
    for (guint i = 0; i < ds->skipped->len; i++)
        g_assert_null(strstr(((dg_skip *)ds->skipped->pdata[i])->path, "passwd"));
    dg_dataset_free(ds);

    /* Asked for: followed (but not /etc, which a test cannot walk). */
    link = p(dir, "mel", "etc");
    g_assert_cmpint(unlink(link), ==, 0);
    g_free(link);
    opt.follow_symlinks = TRUE;
    ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_classes, ==, 3);
    g_assert_cmpint(dg_dataset_class_count(ds, dg_dataset_class_index(ds, "vasc"), DG_SPLIT_NONE),
                    ==, 2);
    g_assert_cmpint(tu_find_item(ds, "/mel/linked/o1.jpg"), >=, 0);
    g_assert_cmpint(tu_find_item(ds, "/bcc/out.jpg"), >=, 0);
    g_assert_cmpint(ds->n_items, ==, 10);
    g_assert_cmpuint(ds->skipped->len, ==, 0);
    dg_dataset_free(ds);

    /* A loop through a folder outside that links back is still a loop. */
    char *back = g_build_filename(outside, "back", NULL);
    g_assert_cmpint(symlink(dir, back), ==, 0);
    ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    tu_assert_skip(ds, "/vasc/back", "symlink loop");
    dg_dataset_free(ds);
    g_free(back);
    tu_rm_rf(dir);
    tu_rm_rf(outside);
    g_free(dir);
    g_free(outside);
}

/* HAM10000 with its image folder and its CSV symlinked from elsewhere. */
static void test_symlinks_ham(void)
{
    char *dir = tu_tmpdir(), *outside = tu_tmpdir();
    const char *csv_text = "lesion_id,image_id,dx\nL1,I1,mel\nL2,I2,bcc\nL3,I3,bcc\n";
    char *real_csv = g_build_filename(outside, "meta.csv", NULL);
    tu_write(real_csv, csv_text, strlen(csv_text));
    char *csv = g_build_filename(dir, "HAM10000_metadata.csv", NULL);
    tu_write(csv, csv_text, strlen(csv_text));
    char *real_images = g_build_filename(outside, "imgs", NULL);
    tu_mkdir(real_images);
    img(real_images, "", "I1.jpg", "jpeg", 1, 1, 1);
    img(real_images, "", "I2.jpg", "jpeg", 2, 2, 2);
    img(dir, "", "I3.jpg", "jpeg", 3, 3, 3);
    char *images = g_build_filename(dir, "images", NULL);
    g_assert_cmpint(symlink(real_images, images), ==, 0);

    dg_load_options opt = tu_options(NULL);
    opt.size = S;
    GError *error = NULL;
    expect_error_opt(dir, &opt, G_IO_ERROR_INVALID_DATA, "fewer than two classes with images "
                     "(found 1: bcc); skipped 2 CSV rows and 1 file");
    opt.follow_symlinks = TRUE;
    dg_dataset *ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_items, ==, 3);
    dg_dataset_free(ds);
    /* The report of the first load, with I3 in mel's place. */
    opt.follow_symlinks = FALSE;
    img(dir, "", "I1.jpg", "jpeg", 1, 1, 1);
    ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_items, ==, 2);
    tu_assert_skip(ds, "/images", "symlink to a folder outside the data set");
    tu_assert_skip(ds, "/HAM10000_metadata.csv", "no image file for its image_id: 1 row, line 3 (I2)");
    dg_dataset_free(ds);

    /* The CSV itself from outside. */
    g_assert_cmpint(unlink(csv), ==, 0);
    g_assert_cmpint(symlink(real_csv, csv), ==, 0);
    expect_error_opt(dir, &opt, G_IO_ERROR_PERMISSION_DENIED,
                     "HAM10000_metadata.csv: symlink to a file outside the data set");
    opt.follow_symlinks = TRUE;
    ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_items, ==, 3);
    dg_dataset_free(ds);
    /* A symlinked image file outside. */
    g_assert_cmpint(unlink(csv), ==, 0);
    tu_write(csv, csv_text, strlen(csv_text));
    g_assert_cmpint(unlink(images), ==, 0);
    tu_mkdir(images);
    char *i2 = g_build_filename(images, "I2.jpg", NULL), *real_i2 = g_build_filename(real_images, "I2.jpg", NULL);
    g_assert_cmpint(symlink(real_i2, i2), ==, 0);
    opt.follow_symlinks = FALSE;
    ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_items, ==, 2);
    tu_assert_skip(ds, "/images/I2.jpg", "symlink to a file outside the data set");
    dg_dataset_free(ds);
    g_free(i2);
    g_free(real_i2);

    tu_rm_rf(dir);
    tu_rm_rf(outside);
    g_free(dir);
    g_free(outside);
    g_free(csv);
    g_free(real_csv);
    g_free(images);
    g_free(real_images);
}

/* Every size that comes from the data folder meets a stated limit before
 * anything that size is allocated (the limits lowered, to keep tests small). */
static void test_limits(void)
{
    dg_data_limits saved = dg_data_limits_in_use;
    char *dir = tu_tmpdir();
    for (int c = 0; c < 5; c++) {
        char name[32];
        g_snprintf(name, sizeof name, c == 4 ? "c%d-with-a-long-name" : "c%d", c);
        char *d = g_build_filename(dir, name, NULL);
        tu_mkdir(d);
        g_free(d);
        for (int k = 0; k < 3; k++) {
            char file[16];
            g_snprintf(file, sizeof file, "%d.png", k);
            img(dir, name, file, "png", (guint8)c, (guint8)k, 0);
        }
    }
    dg_load_options opt = tu_options(NULL);
    opt.size = S;
    dg_data_limits_in_use.max_classes = 4;
    expect_error_opt(dir, &opt, G_IO_ERROR_MESSAGE_TOO_LARGE,
                     ": 5 folders, more than the 4 classes a data set may have");
    dg_data_limits_in_use = saved;
    dg_data_limits_in_use.max_files = 12; /* 5 class folders and 15 files */
    expect_error_opt(dir, &opt, G_IO_ERROR_MESSAGE_TOO_LARGE,
                     ": more than 12 files in the data set's folders, over the limit");
    dg_data_limits_in_use = saved;
    dg_data_limits_in_use.max_pixel_bytes = 14 * 3 * S * S;
    expect_error_opt(dir, &opt, G_IO_ERROR_MESSAGE_TOO_LARGE,
                     ": 15 images of 16x16 pixels need 11.2 KB, over the 10.5 KB limit for "
                     "prepared images (choose a smaller image size)");
    dg_data_limits_in_use = saved;
    dg_data_limits_in_use.max_path = (int)strlen(dir) + 10; /* "/c0/0.png" is 9 */
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_classes, ==, 4);
    g_autofree char *why = g_strdup_printf("path longer than %d bytes",
                                           dg_data_limits_in_use.max_path);
    tu_assert_skip(ds, "/c4-with-a-long-name/0.png", why);
    dg_dataset_free(ds);
    dg_data_limits_in_use = saved;
    ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_items, ==, 15);
    dg_dataset_free(ds);
    tu_rm_rf(dir);
    g_free(dir);
}

static void cancel_midway(double fraction, const char *what, void *user)
{
    (void)what;
    if (fraction > 0.06)
        *(volatile int *)user = 1;
}

static void test_cancel(void)
{
    gboolean unused;
    char *dir = make_bad_imagefolder(&unused);
    volatile int cancel = 1;
    dg_load_options opt = tu_options(NULL);
    opt.cancel = &cancel;
    GError *error = NULL;
    g_assert_null(dg_dataset_load(dir, &opt, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error(&error);
    /* Cancelled from the progress callback while decoding. */
    cancel = 0;
    opt.progress = cancel_midway;
    opt.progress_user = (void *)&cancel;
    opt.threads = 1;
    g_assert_null(dg_dataset_load(dir, &opt, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error(&error);
    tu_rm_rf(dir);
    g_free(dir);
}

typedef struct {
    int calls;
    double last;
    gboolean monotonic;
} progress_log;

static void log_progress(double fraction, const char *what, void *user)
{
    progress_log *l = user;
    g_assert_nonnull(what);
    if (fraction < l->last)
        l->monotonic = FALSE;
    l->last = fraction;
    l->calls++;
}

static void test_progress(void)
{
    gboolean unused;
    char *dir = make_bad_imagefolder(&unused);
    progress_log log = {0, 0, TRUE};
    dg_load_options opt = tu_options(NULL);
    opt.progress = log_progress;
    opt.progress_user = &log;
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(log.calls, >=, 2);
    g_assert_true(log.monotonic);
    g_assert_cmpfloat(log.last, ==, 1.0);
    dg_dataset_free(ds);
    tu_rm_rf(dir);
    g_free(dir);
}

static void test_real_counts(void)
{
    const char *real = tu_real_ham10000();
    if (!real)
        return;
    char *cache = tu_tmpdir();
    dg_load_options opt = tu_options(cache);
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(real, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->layout, ==, DG_LAYOUT_HAM10000);
    g_assert_cmpuint(ds->skipped->len, ==, 0);
    g_assert_cmpuint(ds->warnings->len, ==, 0);
    g_assert_cmpint(ds->n_rows_left_out, ==, 6705 + 115 + 142);
    g_assert_cmpstr(ds->left_out, ==,
                    "left out: 6962 rows of classes nv, df, vasc (use --all-classes)");
    g_assert_cmpint(ds->n_classes, ==, 4);
    static const struct {
        const char *id;
        int images, lesions;
    } want[] = {{"akiec", 327, 228}, {"bcc", 514, 327}, {"bkl", 1099, 727}, {"mel", 1113, 614}};
    for (int c = 0; c < 4; c++) {
        g_assert_cmpstr(ds->classes[c].id, ==, want[c].id);
        g_assert_cmpint(dg_dataset_class_count(ds, c, DG_SPLIT_NONE), ==, want[c].images);
        g_assert_cmpint(dg_dataset_lesion_count(ds, c, DG_SPLIT_NONE), ==, want[c].lesions);
    }
    g_assert_cmpint(ds->n_items, ==, 3053);
    /* Warm: every image from the cache, the same pixels. */
    dg_dataset *warm = dg_dataset_load(real, &opt, &error);
    g_assert_no_error(error);
    g_assert_true(warm->from_cache);
    g_assert_cmpint(warm->n_from_cache, ==, 3053);
    g_assert_cmpuint(warm->skipped->len, ==, 0);
    g_assert_cmpint(warm->n_rows_left_out, ==, ds->n_rows_left_out);
    g_assert_cmpmem(warm->pixels, (gsize)warm->n_items * 3 * warm->size * warm->size, ds->pixels,
                    (gsize)ds->n_items * 3 * ds->size * ds->size);
    dg_dataset_free(warm);
    dg_dataset_free(ds);
    tu_rm_rf(cache);
    g_free(cache);
}

/* A folder of classes with n images each, same file names in every folder
 * and in every such data set (so that relative lesion ids collide). */
static char *make_folder(const char *const *classes, int n_classes, int n, guint8 red)
{
    char *dir = tu_tmpdir();
    for (int c = 0; c < n_classes; c++) {
        char *d = g_build_filename(dir, classes[c], NULL);
        tu_mkdir(d);
        g_free(d);
        for (int k = 0; k < n; k++) {
            char name[16];
            g_snprintf(name, sizeof name, "%04d.png", k);
            img(dir, classes[c], name, "png", red, (guint8)(c * 50), (guint8)k);
        }
    }
    return dir;
}

/* Real images split, then synthetic ones appended to training only. */
static void test_append(void)
{
    const char *real_classes[] = {"bcc", "mel"}, *synth_classes[] = {"mel", "bcc"},
               *odd_classes[] = {"mel", "vasc"};
    char *real_dir = make_folder(real_classes, 2, 6, 10);
    char *synth_dir = make_folder(synth_classes, 2, 3, 200);
    char *odd_dir = make_folder(odd_classes, 2, 2, 0);
    dg_load_options opt = tu_options(NULL);
    opt.size = S;
    GError *error = NULL;
    dg_dataset *real = dg_dataset_load(real_dir, &opt, &error);
    dg_dataset *synth = dg_dataset_load(synth_dir, &opt, &error);
    dg_dataset *odd = dg_dataset_load(odd_dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_true(dg_dataset_split(real, 1, 0.5, 0.25, &error));
    int train_before = dg_dataset_class_count(real, -1, DG_SPLIT_TRAIN);
    int val_before = dg_dataset_class_count(real, -1, DG_SPLIT_VAL);

    g_assert_false(dg_dataset_append(real, odd, DG_SPLIT_TRAIN, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "vasc"));
    g_clear_error(&error);
    g_assert_cmpint(real->n_items, ==, 12);

    g_assert_true(dg_dataset_append(real, synth, DG_SPLIT_TRAIN, &error));
    g_assert_no_error(error);
    g_assert_cmpint(real->n_items, ==, 18);
    g_assert_cmpint(dg_dataset_class_count(real, -1, DG_SPLIT_TRAIN), ==, train_before + 6);
    g_assert_cmpint(dg_dataset_class_count(real, -1, DG_SPLIT_VAL), ==, val_before);
    g_assert_cmpint(dg_dataset_class_count(real, 1, DG_SPLIT_NONE), ==, 9); /* mel */
    /* Every image its own lesion still: no collision with the real ones. */
    g_assert_cmpint(dg_dataset_lesion_count(real, -1, DG_SPLIT_NONE), ==, 18);
    for (int i = 12; i < 18; i++) {
        const dg_item *it = &real->items[i];
        g_assert_cmpint(it->split, ==, DG_SPLIT_TRAIN);
        /* Classes mapped by id: synth's class 0 is bcc, real's is bcc too;
         * the green channel says which folder an image came from. */
        const guint8 *px = dg_dataset_image(real, i);
        g_assert_cmpint(px[0], ==, 200);
        int green = px[S * S];
        const char *folder = strstr(it->path, "/bcc/") ? "bcc" : "mel";
        g_assert_cmpstr(real->classes[it->cls].id, ==, folder);
        g_assert_cmpint(green, ==, strcmp(folder, "mel") == 0 ? 0 : 50);
    }
    /* Images of another size do not mix. */
    opt.size = 8;
    dg_dataset *small = dg_dataset_load(synth_dir, &opt, &error);
    g_assert_false(dg_dataset_append(real, small, DG_SPLIT_TRAIN, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_cmpint(real->n_items, ==, 18);
    dg_dataset_free(small);
    dg_dataset_free(real);
    dg_dataset_free(synth);
    dg_dataset_free(odd);
    const char *dirs[] = {real_dir, synth_dir, odd_dir};
    for (int k = 0; k < 3; k++) {
        tu_rm_rf(dirs[k]);
        g_free((char *)dirs[k]);
    }
}

/* The sample bundled with the application loads whole and splits. */
static void test_bundled_sample(void)
{
    const char *src = g_getenv("DG_SOURCE_ROOT");
    if (!src) {
        g_test_skip("DG_SOURCE_ROOT is not set");
        return;
    }
    char *sample = g_build_filename(src, "resources", "sample", NULL);
    dg_load_options opt = tu_options(NULL);
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(sample, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->layout, ==, DG_LAYOUT_HAM10000);
    g_assert_cmpuint(ds->skipped->len, ==, 0);
    g_assert_cmpuint(ds->warnings->len, ==, 0);
    g_assert_cmpint(ds->n_classes, ==, 4);
    for (int c = 0; c < 4; c++) {
        g_assert_cmpint(dg_dataset_class_count(ds, c, DG_SPLIT_NONE), ==, 24);
        g_assert_cmpint(dg_dataset_lesion_count(ds, c, DG_SPLIT_NONE), ==, 22);
    }
    g_assert_true(dg_dataset_split(ds, 1, 0.7, 0.15, &error));
    for (int c = 0; c < 4; c++)
        for (int s = 0; s < 3; s++)
            g_assert_cmpint(dg_dataset_class_count(ds, c, s), >, 0);
    dg_dataset_free(ds);
    char *readme = g_build_filename(sample, "README.md", NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(readme, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "CC BY-NC 4.0"));
    g_assert_nonnull(strstr(text, "doi:10.7910/DVN/DBW86T"));
    g_free(text);
    g_free(readme);
    g_free(sample);
}

int main(int argc, char **argv)
{
    tu_init(&argc, &argv);
    g_test_add_func("/data/dataset/bad-files", test_bad_files);
    g_test_add_func("/data/dataset/unreadable-as-nobody", test_unreadable_as_nobody);
    g_test_add_func("/data/dataset/threads-agree", test_threads_agree);
    g_test_add_func("/data/dataset/ham-images", test_ham_images);
    g_test_add_func("/data/dataset/ham-parts", test_ham_parts);
    g_test_add_func("/data/dataset/errors", test_errors);
    g_test_add_func("/data/dataset/csv-not-regular", test_csv_not_regular);
    g_test_add_func("/data/dataset/symlinks-imagefolder", test_symlinks_imagefolder);
    g_test_add_func("/data/dataset/symlinks-ham", test_symlinks_ham);
    g_test_add_func("/data/dataset/limits", test_limits);
    g_test_add_func("/data/dataset/cancel", test_cancel);
    g_test_add_func("/data/dataset/progress", test_progress);
    g_test_add_func("/data/dataset/real-counts", test_real_counts);
    g_test_add_func("/data/dataset/bundled-sample", test_bundled_sample);
    g_test_add_func("/data/dataset/append", test_append);
    return tu_run();
}

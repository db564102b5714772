/* test-dataset: loading data sets in both layouts, with every kind of bad
 * file, and the errors of data sets that cannot be used. */
#include <gio/gio.h>

#include "data-test-util.h"
#include "data/dg-data-private.h"

#define S 16

static void raw(const char *dir, const char *cls, const char *name, const void *data, gsize len)
{
    char *path = tu_path(dir, cls, name);
    tu_write(path, data, len);
    g_free(path);
}

static void fixture(const char *dir, const char *cls, const char *name, const char *fixture_name)
{
    char *from = tu_fixture(fixture_name), *to = tu_path(dir, cls, name);
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
    tu_img(dir, "akiec", "a1.jpg", "jpeg", 250, 10, 10);
    tu_img(dir, "akiec", "a2.png", "png", 10, 250, 10);
    tu_img(dir, "akiec", "caf\xe9.jpg", "jpeg", 10, 10, 250); /* Latin-1 name: not UTF-8 */
    fixture(dir, "akiec", "grey.png", "grey16.png");
    fixture(dir, "akiec", "pal.png", "palette.png");
    fixture(dir, "akiec", "cmyk.jpg", "cmyk.jpg");
    fixture(dir, "akiec", "rgba.PNG", "rgba.png"); /* upper-case extension */
    tu_img(dir, "bcc", "b1.jpg", "jpeg", 128, 128, 128);
    tu_img(dir, "bcc", "b2.bmp", "bmp", 1, 2, 3);
    tu_img(dir, "bcc/sub", "nested.jpeg", "jpeg", 60, 70, 80);
    tu_img(dir, ".hidden", "h.jpg", "jpeg", 0, 0, 0);
    tu_img(dir, "", "loose.jpg", "jpeg", 0, 0, 0);
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
    tu_img(dir, "bcc", "locked.jpg", "jpeg", 5, 5, 5);
    char *locked = tu_path(dir, "bcc", "locked.jpg");
    g_assert_cmpint(chmod(locked, 0), ==, 0);
    /* Root reads anything: then the file loads and that check is skipped. */
    *unreadable_checked = access(locked, R_OK) != 0;
    g_free(locked);
    char *loop = tu_path(dir, "bcc", "loop.jpg");
    g_assert_cmpint(symlink("loop.jpg", loop), ==, 0);
    g_free(loop);
    char *dirloop = tu_path(dir, "bcc/sub", "again");
    g_assert_cmpint(symlink("..", dirloop), ==, 0); /* bcc/sub/again -> bcc */
    g_free(dirloop);
    char *dangling = tu_path(dir, "bcc", "gone.jpg");
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
    char *locked = tu_path(dir, "bcc", "locked.jpg");
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
        tu_img(k % 2 ? d1 : d2, "", name, "jpeg", (guint8)(k * 20), 0, 0);
    }
    raw(d1, "", "ISIC_10.jpg", "", 0);
    tu_img(d2, "", "ISIC_77.jpg", "jpeg", 0, 0, 0); /* not in the CSV */
    tu_img(d1, "", "ISIC_01.png", "png", 0, 0, 0); /* a second file for ISIC_01 */
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
    /* the patient columns: kept as written, empty ones unknown */
    g_assert_true(ds->items[i].patient.has_age);
    g_assert_cmpfloat(ds->items[i].patient.age, ==, 80.0f);
    g_assert_cmpstr(ds->items[i].patient.sex, ==, "male");
    g_assert_cmpstr(ds->items[i].patient.site, ==, "scalp");
    i = tu_find_item(ds, "ISIC_06.jpg");
    g_assert_false(ds->items[i].patient.has_age);
    g_assert_cmpstr(ds->items[i].patient.sex, ==, "");
    g_assert_cmpstr(ds->items[i].patient.site, ==, "");
    i = tu_find_item(ds, "ISIC_07.jpg");
    g_assert_cmpfloat(ds->items[i].patient.age, ==, 55.0f);
    g_assert_cmpstr(ds->items[i].patient.sex, ==, "male, probably"); /* the prior ignores it */
    g_assert_cmpstr(ds->items[i].patient.site, ==, "face");

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

static void test_errors(void)
{
    char *dir = tu_tmpdir();
    char *missing = g_build_filename(dir, "missing", NULL);
    tu_expect_load_error(missing, NULL, G_IO_ERROR_NOT_FOUND, "no such folder");
    char *file = g_build_filename(dir, "file.jpg", NULL);
    tu_write_image(file, "jpeg", 8, 8, 0, 0, 0);
    tu_expect_load_error(file, NULL, G_IO_ERROR_NOT_DIRECTORY, "is not a folder");
    /* No layout: nothing but a loose image. */
    tu_expect_load_error(dir, NULL, G_IO_ERROR_NOT_FOUND, "no data set there");
    /* One class only. */
    char *one = g_build_filename(dir, "mel", NULL);
    tu_mkdir(one);
    tu_img(dir, "mel", "m.jpg", "jpeg", 1, 1, 1);
    tu_expect_load_error(dir, NULL, G_IO_ERROR_INVALID_DATA, "fewer than two classes with images (found 1: mel)");
    /* A second class folder with only a bad file: still one class. */
    char *two = g_build_filename(dir, "bcc", NULL);
    tu_mkdir(two);
    raw(dir, "bcc", "x.jpg", "", 0);
    tu_expect_load_error(dir, NULL, G_IO_ERROR_INVALID_DATA, "fewer than two classes");
    /* A broken metadata CSV. */
    char *csv = g_build_filename(dir, "HAM10000_metadata.csv", NULL);
    tu_write(csv, "a,b,c\n", 6);
    tu_expect_load_error(dir, NULL, G_IO_ERROR_INVALID_DATA, "no lesion_id column");
    tu_write(csv, "", 0);
    tu_expect_load_error(dir, NULL, G_IO_ERROR_INVALID_DATA, "is empty");
    g_free(csv);
    g_free(missing);
    g_free(file);
    g_free(one);
    g_free(two);
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
            tu_img(dir, classes[c], name, "png", red, (guint8)(c * 50), (guint8)k);
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

/* Class folders whose names cannot be class ids (a model file could not be
 * read back; two names that are not UTF-8 looked like one class) are
 * skipped with the reason; one file reached twice through a symlinked
 * folder counts once, by the path without the symlink. */
static void test_class_names_and_links(void)
{
    const char *classes[] = {"a", "b"};
    char *dir = make_folder(classes, 2, 3, 100);
    char long_name[80];
    memset(long_name, 'x', 70);
    long_name[70] = '\0';
    const char *odd[] = {long_name, "x\xff", "x\xfe", "back\\slash", "c1\xc2\x85", "c1\xc2\x86"};
    for (gsize i = 0; i < G_N_ELEMENTS(odd); i++) {
        char *d = g_build_filename(dir, odd[i], NULL);
        tu_mkdir(d);
        g_free(d);
        tu_img(dir, odd[i], "0000.png", "png", 10, 20, 30);
    }
    /* b's images also reached as a/tob/... (sorted first: a before b) */
    char *link = g_build_filename(dir, "a", "tob", NULL);
    g_assert_cmpint(symlink("../b", link), ==, 0);
    g_free(link);
    dg_load_options opt = tu_options(NULL);
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_classes, ==, 2);
    g_assert_cmpint(ds->n_items, ==, 6);
    g_assert_cmpint(dg_dataset_class_count(ds, 0, DG_SPLIT_NONE), ==, 3);
    g_assert_cmpint(dg_dataset_class_count(ds, 1, DG_SPLIT_NONE), ==, 3);
    g_autofree char *long_path = g_strdup_printf("/%s", long_name);
    tu_assert_skip(ds, long_path, "at most 64 bytes");
    tu_assert_skip(ds, "/back\\slash", "'\\'");
    int controls = 0; /* back\\slash and the two C1 names, which would show as one id */
    for (guint i = 0; i < ds->skipped->len; i++)
        controls += strstr(((const dg_skip *)ds->skipped->pdata[i])->reason, "control character") != NULL;
    g_assert_cmpint(controls, ==, 3);
    tu_assert_skip(ds, "/a/tob/0000.png", "the same file as");
    int not_utf8 = 0;
    for (guint i = 0; i < ds->skipped->len; i++) {
        const dg_skip *k = ds->skipped->pdata[i];
        not_utf8 += strstr(k->reason, "valid UTF-8") != NULL;
    }
    g_assert_cmpint(not_utf8, ==, 2);
    dg_dataset_free(ds);
    /* the same through a symlink to the data set's folder: still b's own path */
    char *via = g_strconcat(dir, "-link", NULL);
    g_assert_cmpint(symlink(dir, via), ==, 0);
    ds = dg_dataset_load(via, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(dg_dataset_class_count(ds, 0, DG_SPLIT_NONE), ==, 3);
    g_assert_cmpint(dg_dataset_class_count(ds, 1, DG_SPLIT_NONE), ==, 3);
    tu_assert_skip(ds, "/a/tob/0000.png", "the same file as");
    dg_dataset_free(ds);
    g_assert_cmpint(g_unlink(via), ==, 0);
    g_free(via);
    tu_rm_rf(dir);
    g_free(dir);
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
    g_test_add_func("/data/dataset/cancel", test_cancel);
    g_test_add_func("/data/dataset/progress", test_progress);
    g_test_add_func("/data/dataset/real-counts", test_real_counts);
    g_test_add_func("/data/dataset/bundled-sample", test_bundled_sample);
    g_test_add_func("/data/dataset/append", test_append);
    g_test_add_func("/data/dataset/class-names-and-links", test_class_names_and_links);
    return tu_run();
}

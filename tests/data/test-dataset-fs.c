/* test-dataset-fs: data sets whose files are not what they seem: a CSV
 * that is a FIFO, a device, a sparse giant or a folder; symlinks that lead
 * out of the data set's folder (skipped unless asked) or round in a loop;
 * and every size from the folder held to a stated limit. */
#include <fcntl.h>
#include <gio/gio.h>

#include "data-test-util.h"
#include "data/dg-data-private.h"

#define S 16

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
    tu_expect_load_error(dir, NULL, G_IO_ERROR_NOT_REGULAR_FILE,
                 "HAM10000_metadata.csv: not a regular file (a FIFO)");
    g_assert_cmpint(unlink(csv), ==, 0);
    g_assert_cmpint(symlink("/dev/zero", csv), ==, 0);
    /* Out of the data set's folder: not followed unless asked; asked, not
     * a regular file. */
    tu_expect_load_error(dir, NULL, G_IO_ERROR_PERMISSION_DENIED,
                 "HAM10000_metadata.csv: symlink to a file outside the data set (/dev/zero); "
                 "not followed without --follow-symlinks");
    dg_load_options follow = tu_options(NULL);
    follow.follow_symlinks = TRUE;
    tu_expect_load_error(dir, &follow, G_IO_ERROR_NOT_REGULAR_FILE,
                     "HAM10000_metadata.csv: not a regular file (a character device)");
    g_assert_cmpint(unlink(csv), ==, 0);
    /* Sparse: 65 MB that take no room. */
    int fd = open(csv, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)DG_CSV_MAX_FILE_BYTES + (1 << 20)), ==, 0);
    close(fd);
    tu_expect_load_error(dir, NULL, G_IO_ERROR_MESSAGE_TOO_LARGE,
                 "HAM10000_metadata.csv: file is 65.0 MB, over the 64 MB limit");
    /* A folder by that name. */
    g_assert_cmpint(unlink(csv), ==, 0);
    tu_mkdir(csv);
    tu_expect_load_error(dir, NULL, G_IO_ERROR_IS_DIRECTORY, "HAM10000_metadata.csv: is a folder, not a file");
    tu_rm_rf(dir);
    g_free(dir);
    g_free(csv);
    g_free(images);
    alarm(0);
}

/* Symlinks that lead out of the data set's folder are skipped with a
 * reason unless follow_symlinks; symlinks inside it are followed, but a file
 * reached twice counts once; loops are still caught. */
static void test_symlinks_imagefolder(void)
{
    char *dir = tu_tmpdir(), *outside = tu_tmpdir(), *outside2 = tu_tmpdir();
    const char *dirs[] = {"bcc", "mel"};
    for (int i = 0; i < 2; i++) {
        char *d = g_build_filename(dir, dirs[i], NULL);
        tu_mkdir(d);
        g_free(d);
    }
    tu_img(dir, "bcc", "b1.jpg", "jpeg", 10, 10, 10);
    tu_img(dir, "bcc", "b2.jpg", "jpeg", 20, 20, 20);
    tu_img(dir, "mel", "m1.jpg", "jpeg", 30, 30, 30);
    tu_img(dir, "mel", "m2.jpg", "jpeg", 40, 40, 40);
    tu_img(outside, "", "o1.jpg", "jpeg", 50, 50, 50);
    tu_img(outside, "", "o2.png", "png", 60, 60, 60);
    tu_img(outside2, "", "o3.jpg", "jpeg", 70, 70, 70);
    tu_img(outside2, "", "o4.png", "png", 80, 80, 80);
    tu_img(outside2, "", "o5.jpg", "jpeg", 90, 90, 90);
    char *link;
    /* A folder outside (a temp dir of images, and /etc). */
    link = tu_path(dir, "mel", "linked");
    g_assert_cmpint(symlink(outside2, link), ==, 0);
    g_free(link);
    link = tu_path(dir, "mel", "etc");
    g_assert_cmpint(symlink("/etc", link), ==, 0);
    g_free(link);
    /* A class folder outside. */
    link = g_build_filename(dir, "vasc", NULL);
    g_assert_cmpint(symlink(outside, link), ==, 0);
    g_free(link);
    /* A file outside, and one inside (an image of mel: the same file twice) */
    link = tu_path(dir, "bcc", "out.jpg");
    char *target = tu_path(outside2, "o5.jpg", NULL);
    g_assert_cmpint(symlink(target, link), ==, 0);
    g_free(target);
    g_free(link);
    link = tu_path(dir, "bcc", "in.jpg");
    g_assert_cmpint(symlink("../mel/m1.jpg", link), ==, 0);
    g_free(link);

    dg_load_options opt = tu_options(NULL);
    opt.size = S;
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_classes, ==, 2);
    g_assert_cmpint(dg_dataset_class_index(ds, "vasc"), ==, -1);
    g_assert_cmpint(ds->n_items, ==, 4); /* b1 b2 m1 m2 */
    g_assert_cmpint(tu_find_item(ds, "/bcc/in.jpg"), ==, -1); /* m1, by its own path */
    g_assert_cmpint(tu_find_item(ds, "/mel/m1.jpg"), >=, 0);
    tu_assert_skip(ds, "/bcc/in.jpg", "the same file as");
    g_autofree char *out_disp = g_strdup_printf("symlink to a folder outside the data set (%s); "
                                                "not followed without --follow-symlinks",
                                                outside);
    g_autofree char *out2_disp = g_strdup_printf("symlink to a folder outside the data set (%s); "
                                                 "not followed without --follow-symlinks",
                                                 outside2);
    tu_assert_skip(ds, "/mel/linked", out2_disp);
    tu_assert_skip(ds, "/mel/etc", "symlink to a folder outside the data set (/etc)");
    tu_assert_skip(ds, "/vasc", out_disp);
    tu_assert_skip(ds, "/bcc/out.jpg", "symlink to a file outside the data set (");
    g_assert_cmpuint(ds->skipped->len, ==, 5);
    for (guint i = 0; i < ds->skipped->len; i++)
        g_assert_null(strstr(((dg_skip *)ds->skipped->pdata[i])->path, "passwd"));
    dg_dataset_free(ds);

    /* Asked for: followed (but not /etc, which a test cannot walk). */
    link = tu_path(dir, "mel", "etc");
    g_assert_cmpint(unlink(link), ==, 0);
    g_free(link);
    opt.follow_symlinks = TRUE;
    ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_classes, ==, 3);
    g_assert_cmpint(dg_dataset_class_count(ds, dg_dataset_class_index(ds, "vasc"), DG_SPLIT_NONE),
                    ==, 2);
    g_assert_cmpint(tu_find_item(ds, "/mel/linked/o3.jpg"), >=, 0);
    g_assert_cmpint(tu_find_item(ds, "/bcc/out.jpg"), >=, 0);
    g_assert_cmpint(ds->n_items, ==, 9);
    /* bcc/in.jpg (still m1), and o5 through mel/linked: bcc/out.jpg reached it first */
    tu_assert_skip(ds, "/mel/linked/o5.jpg", "the same file as");
    g_assert_cmpuint(ds->skipped->len, ==, 2);
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
    tu_rm_rf(outside2);
    g_free(dir);
    g_free(outside);
    g_free(outside2);
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
    tu_img(real_images, "", "I1.jpg", "jpeg", 1, 1, 1);
    tu_img(real_images, "", "I2.jpg", "jpeg", 2, 2, 2);
    tu_img(dir, "", "I3.jpg", "jpeg", 3, 3, 3);
    char *images = g_build_filename(dir, "images", NULL);
    g_assert_cmpint(symlink(real_images, images), ==, 0);

    dg_load_options opt = tu_options(NULL);
    opt.size = S;
    GError *error = NULL;
    tu_expect_load_error(dir, &opt, G_IO_ERROR_INVALID_DATA, "fewer than two classes with images "
                     "(found 1: bcc); skipped 2 CSV rows and 1 file");
    opt.follow_symlinks = TRUE;
    dg_dataset *ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_items, ==, 3);
    dg_dataset_free(ds);
    /* The report of the first load, with I3 in mel's place. */
    opt.follow_symlinks = FALSE;
    tu_img(dir, "", "I1.jpg", "jpeg", 1, 1, 1);
    ds = dg_dataset_load(dir, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_items, ==, 2);
    tu_assert_skip(ds, "/images", "symlink to a folder outside the data set");
    tu_assert_skip(ds, "/HAM10000_metadata.csv", "no image file for its image_id: 1 row, line 3 (I2)");
    dg_dataset_free(ds);

    /* The CSV itself from outside. */
    g_assert_cmpint(unlink(csv), ==, 0);
    g_assert_cmpint(symlink(real_csv, csv), ==, 0);
    tu_expect_load_error(dir, &opt, G_IO_ERROR_PERMISSION_DENIED,
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
            tu_img(dir, name, file, "png", (guint8)c, (guint8)k, 0);
        }
    }
    dg_load_options opt = tu_options(NULL);
    opt.size = S;
    dg_data_limits_in_use.max_classes = 4;
    tu_expect_load_error(dir, &opt, G_IO_ERROR_MESSAGE_TOO_LARGE,
                     ": 5 folders, more than the 4 classes a data set may have");
    dg_data_limits_in_use = saved;
    dg_data_limits_in_use.max_files = 12; /* 5 class folders and 15 files */
    tu_expect_load_error(dir, &opt, G_IO_ERROR_MESSAGE_TOO_LARGE,
                     ": more than 12 files in the data set's folders, over the limit");
    dg_data_limits_in_use = saved;
    dg_data_limits_in_use.max_pixel_bytes = 14 * 3 * S * S;
    tu_expect_load_error(dir, &opt, G_IO_ERROR_MESSAGE_TOO_LARGE,
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


int main(int argc, char **argv)
{
    tu_init(&argc, &argv);
    g_test_add_func("/data/dataset/csv-not-regular", test_csv_not_regular);
    g_test_add_func("/data/dataset/symlinks-imagefolder", test_symlinks_imagefolder);
    g_test_add_func("/data/dataset/symlinks-ham", test_symlinks_ham);
    g_test_add_func("/data/dataset/limits", test_limits);
    return tu_run();
}

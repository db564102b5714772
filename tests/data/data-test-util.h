/* data-test-util.h: helpers shared by the data-set tests: temporary folders,
 * image writers, fixtures. */
#pragma once
#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dg-dataset.h"

#ifndef DG_FIXTURES_DIR
#error "DG_FIXTURES_DIR must be defined"
#endif

G_GNUC_UNUSED static char *tu_fixture(const char *name)
{
    return g_build_filename(DG_FIXTURES_DIR, name, NULL);
}

/* The real HAM10000 folder (DG_HAM10000), or NULL after g_test_skip when
 * it is not there. */
G_GNUC_UNUSED static const char *tu_real_ham10000(void)
{
    const char *real = g_getenv("DG_HAM10000");
    char *csv = real ? g_build_filename(real, "HAM10000_metadata.csv", NULL) : NULL;
    gboolean there = csv && g_file_test(csv, G_FILE_TEST_EXISTS);
    g_free(csv);
    if (!there)
        g_test_skip("the HAM10000 data set is not there (DG_HAM10000)");
    return there ? real : NULL;
}

G_GNUC_UNUSED static char *tu_tmpdir(void)
{
    GError *error = NULL;
    char *dir = g_dir_make_tmp("dg-data-XXXXXX", &error);
    g_assert_no_error(error);
    return dir;
}

static void tu_rm_rf(const char *path);
static char *tu_home;

/* g_test_init, and private XDG dirs so that nothing (the default cache
 * dir in particular) touches the user's.  Not G_TEST_OPTION_ISOLATE_DIRS:
 * GLib 2.74 leaks its per-test strings, which LeakSanitizer reports. */
G_GNUC_UNUSED static void tu_init(int *argc, char ***argv)
{
    g_test_init(argc, argv, NULL);
    if (g_test_subprocess()) {
        g_setenv("XDG_CACHE_HOME", "/nonexistent/dg-test-cache", TRUE);
    } else {
        tu_home = tu_tmpdir();
        const char *vars[] = {"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"};
        for (gsize i = 0; i < G_N_ELEMENTS(vars); i++) {
            char *d = g_build_filename(tu_home, vars[i], NULL);
            g_setenv(vars[i], d, TRUE);
            g_free(d);
        }
    }
}

G_GNUC_UNUSED static int tu_run(void)
{
    int rc = g_test_run();
    if (tu_home) {
        tu_rm_rf(tu_home);
        g_clear_pointer(&tu_home, g_free);
    }
    return rc;
}

/* rm -rf that does not follow symlinks and restores permissions first. */
G_GNUC_UNUSED static void tu_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        GDir *dir = g_dir_open(path, 0, NULL);
        if (dir) {
            const char *name;
            while ((name = g_dir_read_name(dir))) {
                char *child = g_build_filename(path, name, NULL);
                tu_rm_rf(child);
                g_free(child);
            }
            g_dir_close(dir);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

G_GNUC_UNUSED static void tu_mkdir(const char *path)
{
    g_assert_cmpint(g_mkdir_with_parents(path, 0755), ==, 0);
}

G_GNUC_UNUSED static void tu_write(const char *path, const void *data, gsize len)
{
    GError *error = NULL;
    g_file_set_contents(path, data, (gssize)len, &error);
    g_assert_no_error(error);
}

G_GNUC_UNUSED static void tu_copy(const char *from, const char *to)
{
    char *data;
    gsize len;
    GError *error = NULL;
    g_file_get_contents(from, &data, &len, &error);
    g_assert_no_error(error);
    tu_write(to, data, len);
    g_free(data);
}

/* A w x h image of one colour, or (split) left half rgb and right half the
 * inverse colour. */
G_GNUC_UNUSED static GdkPixbuf *tu_pixbuf(int w, int h, guint8 r, guint8 g, guint8 b)
{
    GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, w, h);
    int rs = gdk_pixbuf_get_rowstride(pb);
    guint8 *px = gdk_pixbuf_get_pixels(pb);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            px[y * rs + x * 3] = r;
            px[y * rs + x * 3 + 1] = g;
            px[y * rs + x * 3 + 2] = b;
        }
    return pb;
}

G_GNUC_UNUSED static void tu_save(GdkPixbuf *pb, const char *path, const char *type)
{
    GError *error = NULL;
    if (strcmp(type, "jpeg") == 0)
        gdk_pixbuf_save(pb, path, "jpeg", &error, "quality", "95", NULL);
    else
        gdk_pixbuf_save(pb, path, type, &error, NULL);
    g_assert_no_error(error);
}

G_GNUC_UNUSED static void tu_write_image(const char *path, const char *type, int w, int h,
                                         guint8 r, guint8 g, guint8 b)
{
    GdkPixbuf *pb = tu_pixbuf(w, h, r, g, b);
    tu_save(pb, path, type);
    g_object_unref(pb);
}

/* dir/a/b (b may be NULL). */
G_GNUC_UNUSED static char *tu_path(const char *dir, const char *a, const char *b)
{
    return g_build_filename(dir, a, b, NULL);
}

/* A 40x30 image of one colour at dir/cls/name ("jpeg" or "png"). */
G_GNUC_UNUSED static void tu_img(const char *dir, const char *cls, const char *name,
                                 const char *type, guint8 r, guint8 g, guint8 b)
{
    char *path = tu_path(dir, cls, name);
    tu_write_image(path, type, 40, 30, r, g, b);
    g_free(path);
}

/* The bytes of a JPEG of the given colour. */
G_GNUC_UNUSED static char *tu_jpeg_bytes(int w, int h, guint8 r, guint8 g, guint8 b, gsize *len)
{
    GdkPixbuf *pb = tu_pixbuf(w, h, r, g, b);
    char *buf = NULL;
    GError *error = NULL;
    gdk_pixbuf_save_to_buffer(pb, &buf, len, "jpeg", &error, "quality", "95", NULL);
    g_assert_no_error(error);
    g_object_unref(pb);
    return buf;
}

/* Big-endian CRC-32 (PNG's) without zlib. */
G_GNUC_UNUSED static guint32 tu_crc32(const guint8 *d, gsize n)
{
    guint32 c = 0xFFFFFFFFu;
    for (gsize i = 0; i < n; i++) {
        c ^= d[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

/* A PNG whose header claims w x h: signature, IHDR, an IDAT of a few bytes
 * and IEND, so the loader reports the size before failing to decode. */
G_GNUC_UNUSED static GByteArray *tu_png_claiming(guint32 w, guint32 h)
{
    GByteArray *a = g_byte_array_new();
    g_byte_array_append(a, (const guint8 *)"\x89PNG\r\n\x1a\n", 8);
    struct {
        const char *type;
        guint8 data[13];
        guint32 len;
    } chunks[3] = {
        {"IHDR",
         {w >> 24, w >> 16, w >> 8, w, h >> 24, h >> 16, h >> 8, h, 8, 2, 0, 0, 0},
         13},
        {"IDAT", {0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01}, 9},
        {"IEND", {0}, 0},
    };
    for (int i = 0; i < 3; i++) {
        guint8 hdr[8] = {chunks[i].len >> 24, chunks[i].len >> 16, chunks[i].len >> 8,
                         chunks[i].len};
        memcpy(hdr + 4, chunks[i].type, 4);
        g_byte_array_append(a, hdr, 8);
        g_byte_array_append(a, chunks[i].data, chunks[i].len);
        guint8 *tmp = g_malloc(4 + chunks[i].len);
        memcpy(tmp, chunks[i].type, 4);
        memcpy(tmp + 4, chunks[i].data, chunks[i].len);
        guint32 crc = tu_crc32(tmp, 4 + chunks[i].len);
        g_free(tmp);
        guint8 c[4] = {crc >> 24, crc >> 16, crc >> 8, crc};
        g_byte_array_append(a, c, 4);
    }
    return a;
}

/* Load options for tests: a private cache dir (never the user's), 2 threads. */
G_GNUC_UNUSED static dg_load_options tu_options(const char *cache_dir)
{
    dg_load_options opt;
    dg_load_options_init(&opt);
    opt.cache_dir = cache_dir ? cache_dir : "";
    opt.threads = 2;
    return opt;
}

/* The skip whose path ends with suffix (in display form), or NULL. */
G_GNUC_UNUSED static const dg_skip *tu_find_skip(const dg_dataset *ds, const char *suffix)
{
    for (guint i = 0; i < ds->skipped->len; i++) {
        const dg_skip *s = ds->skipped->pdata[i];
        if (g_str_has_suffix(s->path, suffix))
            return s;
    }
    return NULL;
}

/* The index of the item whose path ends with suffix, or -1. */
G_GNUC_UNUSED static int tu_find_item(const dg_dataset *ds, const char *suffix)
{
    for (int i = 0; i < ds->n_items; i++)
        if (g_str_has_suffix(ds->items[i].path, suffix))
            return i;
    return -1;
}

G_GNUC_UNUSED static void tu_assert_skip(const dg_dataset *ds, const char *suffix,
                                         const char *reason_part)
{
    GString *all = g_string_new(NULL);
    for (guint i = 0; i < ds->skipped->len; i++) {
        const dg_skip *s = ds->skipped->pdata[i];
        g_assert_true(g_utf8_validate(s->path, -1, NULL));
        if (g_str_has_suffix(s->path, suffix) && strstr(s->reason, reason_part)) {
            g_string_free(all, TRUE);
            return;
        }
        g_string_append_printf(all, "\n  %s: %s", s->path, s->reason);
    }
    g_error("no skip for ...%s with a reason containing '%s'; skipped:%s", suffix, reason_part,
            all->str);
}

/* Loading path (with opt, or the test defaults when NULL) fails with code,
 * in one line that contains part. */
G_GNUC_UNUSED static void tu_expect_load_error(const char *path, const dg_load_options *opt,
                                               gint code, const char *part)
{
    dg_load_options defaults = tu_options(NULL);
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(path, opt ? opt : &defaults, &error);
    g_assert_null(ds);
    g_assert_error(error, G_IO_ERROR, code);
    if (!strstr(error->message, part))
        g_error("message '%s' lacks '%s'", error->message, part);
    g_assert_null(strchr(error->message, '\n'));
    g_error_free(error);
}

/* Mean of one channel of a prepared image. */
G_GNUC_UNUSED static double tu_mean(const guint8 *chw, int size, int c)
{
    double s = 0;
    for (int i = 0; i < size * size; i++)
        s += chw[c * size * size + i];
    return s / (size * size);
}

/* test-image: preparing one image: formats, odd-but-valid PNGs and JPEGs,
 * crop and downscale, refusals, conversions. */
#include <math.h>

#include "data-test-util.h"
#include "data/dg-data-private.h"

#define S 8

/* Every fixture shows colour A over colour B inside a border that the centre
 * crop removes: prepared at size 8, 4 rows of A over 4 rows of B. */
static void check_ab(const guint8 *chw, const guint8 a[3], const guint8 b[3], int tol)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                int v = chw[c * S * S + y * S + x];
                int want = y < S / 2 ? a[c] : b[c];
                if (ABS(v - want) > tol)
                    g_error("channel %d at (%d,%d): %d, expected %d +- %d", c, x, y, v, want,
                            tol);
            }
}

typedef struct {
    const char *file;
    guint8 a[3], b[3];
    int tol;
} fixture_case;

static const fixture_case fixtures[] = {
    {"grey8.png", {100, 100, 100}, {200, 200, 200}, 0},
    {"grey16.png", {100, 100, 100}, {200, 200, 200}, 0},
    {"greyalpha.png", {100, 100, 100}, {200, 200, 200}, 0},
    {"rgb16.png", {200, 100, 50}, {10, 20, 30}, 0},
    {"rgba.png", {200, 100, 50}, {10, 20, 30}, 0},
    {"rgba16.png", {200, 100, 50}, {10, 20, 30}, 0},
    {"palette.png", {200, 100, 50}, {10, 20, 30}, 0},
    {"palette2.png", {200, 100, 50}, {10, 20, 30}, 0},
    {"interlaced.png", {200, 100, 50}, {10, 20, 30}, 0},
    {"grey.jpg", {100, 100, 100}, {200, 200, 200}, 3},
    {"cmyk.jpg", {200, 100, 50}, {10, 20, 30}, 4},
};

static void test_fixture(gconstpointer data)
{
    const fixture_case *fc = data;
    char *path = tu_fixture(fc->file);
    guint8 out[3 * S * S];
    GError *error = NULL;
    g_assert_true(dg_image_prepare_file(path, S, out, &error));
    g_assert_no_error(error);
    check_ab(out, fc->a, fc->b, fc->tol);
    g_free(path);
}

/* Area filter: a 2x2 checkerboard of 0 and 200 shrunk by 2 is 100 everywhere;
 * a uniform image of any size stays exactly uniform. */
static void test_downscale(void)
{
    GdkPixbuf *pb = tu_pixbuf(16, 16, 0, 0, 0);
    int rs = gdk_pixbuf_get_rowstride(pb);
    guint8 *px = gdk_pixbuf_get_pixels(pb);
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++)
            for (int c = 0; c < 3; c++)
                px[y * rs + x * 3 + c] = (x + y) % 2 ? 200 : 0;
    guint8 out[3 * S * S];
    GError *error = NULL;
    g_assert_true(dg_image_prepare_pixbuf(pb, S, out, &error));
    for (int i = 0; i < 3 * S * S; i++)
        g_assert_cmpint(out[i], ==, 100);
    g_object_unref(pb);

    static const int sizes[][2] = {{150, 150}, {200, 150}, {151, 97}, {9, 9}, {1000, 3}};
    for (gsize k = 0; k < G_N_ELEMENTS(sizes); k++) {
        pb = tu_pixbuf(sizes[k][0], sizes[k][1], 37, 180, 255);
        guint8 o[3 * 64 * 64];
        g_assert_true(dg_image_prepare_pixbuf(pb, 64, o, &error));
        g_assert_no_error(error);
        for (int i = 0; i < 64 * 64; i++) {
            g_assert_cmpint(o[i], ==, 37);
            g_assert_cmpint(o[64 * 64 + i], ==, 180);
            g_assert_cmpint(o[2 * 64 * 64 + i], ==, 255);
        }
        g_object_unref(pb);
    }

    /* A thin line is averaged, not dropped (point sampling would lose it or
     * keep it at full strength). */
    pb = tu_pixbuf(64, 64, 0, 0, 0);
    rs = gdk_pixbuf_get_rowstride(pb);
    px = gdk_pixbuf_get_pixels(pb);
    for (int y = 0; y < 64; y++)
        px[y * rs + 17 * 3] = 255; /* column 17, red */
    g_assert_true(dg_image_prepare_pixbuf(pb, S, out, &error));
    for (int y = 0; y < S; y++) {
        g_assert_cmpint(out[y * S + 2], ==, 32); /* 255 / 8, rounded */
        g_assert_cmpint(out[y * S + 1], ==, 0);
        g_assert_cmpint(out[y * S + 3], ==, 0);
    }
    g_object_unref(pb);
}

/* Centre crop: a landscape image keeps its middle; a portrait one too. */
static void test_crop(void)
{
    GdkPixbuf *pb = tu_pixbuf(30, 10, 0, 0, 0);
    int rs = gdk_pixbuf_get_rowstride(pb);
    guint8 *px = gdk_pixbuf_get_pixels(pb);
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 30; x++)
            px[y * rs + x * 3 + 1] = x < 10 ? 50 : x < 20 ? 150 : 250;
    guint8 out[3 * 5 * 5];
    GError *error = NULL;
    g_assert_true(dg_image_prepare_pixbuf(pb, 5, out, &error));
    for (int i = 0; i < 25; i++)
        g_assert_cmpint(out[25 + i], ==, 150);
    g_object_unref(pb);

    pb = tu_pixbuf(10, 30, 0, 0, 0);
    rs = gdk_pixbuf_get_rowstride(pb);
    px = gdk_pixbuf_get_pixels(pb);
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < 10; x++)
            px[y * rs + x * 3 + 2] = y < 10 ? 50 : y < 20 ? 150 : 250;
    g_assert_true(dg_image_prepare_pixbuf(pb, 5, out, &error));
    for (int i = 0; i < 25; i++)
        g_assert_cmpint(out[50 + i], ==, 150);
    g_object_unref(pb);
}

/* Enlarging a tiny image: bilinear, edges kept, values in between. */
static void test_upscale(void)
{
    GdkPixbuf *pb = tu_pixbuf(2, 2, 0, 0, 0);
    int rs = gdk_pixbuf_get_rowstride(pb);
    guint8 *px = gdk_pixbuf_get_pixels(pb);
    px[3] = 200; /* (1,0) red */
    px[rs + 3] = 200;
    guint8 out[3 * S * S];
    GError *error = NULL;
    g_assert_true(dg_image_prepare_pixbuf(pb, S, out, &error));
    for (int y = 0; y < S; y++) {
        g_assert_cmpint(out[y * S], ==, 0);
        g_assert_cmpint(out[y * S + S - 1], ==, 200);
        for (int x = 1; x < S; x++)
            g_assert_cmpint(out[y * S + x], >=, out[y * S + x - 1]);
    }
    g_object_unref(pb);
}

/* GdkPixbuf-written JPEG, PNG and BMP, and a PNG named .jpg. */
static void test_formats(void)
{
    char *dir = tu_tmpdir();
    const char *types[] = {"jpeg", "png", "bmp"};
    for (int t = 0; t < 3; t++) {
        char *path = g_build_filename(dir, types[t], NULL);
        tu_write_image(path, types[t], 40, 30, 10, 120, 230);
        guint8 out[3 * S * S];
        GError *error = NULL;
        g_assert_true(dg_image_prepare_file(path, S, out, &error));
        g_assert_no_error(error);
        int tol = t == 0 ? 3 : 0;
        g_assert_cmpfloat(ABS(tu_mean(out, S, 0) - 10), <=, tol);
        g_assert_cmpfloat(ABS(tu_mean(out, S, 1) - 120), <=, tol);
        g_assert_cmpfloat(ABS(tu_mean(out, S, 2) - 230), <=, tol);
        g_free(path);
    }
    char *png_as_jpg = g_build_filename(dir, "really-a-png.jpg", NULL);
    tu_write_image(png_as_jpg, "png", 8, 8, 1, 2, 3);
    guint8 out[3 * S * S];
    GError *error = NULL;
    g_assert_true(dg_image_prepare_file(png_as_jpg, S, out, &error));
    g_assert_cmpint(out[0], ==, 1);
    g_free(png_as_jpg);
    tu_rm_rf(dir);
    g_free(dir);
}

static void expect_refused(const void *data, gsize len, const char *reason_part)
{
    guint8 out[3 * S * S];
    GError *error = NULL;
    g_assert_false(dg_image_prepare_data(data, len, S, out, &error));
    g_assert_nonnull(error);
    if (!strstr(error->message, reason_part))
        g_error("reason '%s' lacks '%s'", error->message, reason_part);
    g_assert_null(strchr(error->message, '\n'));
    g_error_free(error);
}

static void test_bad_data(void)
{
    expect_refused("", 0, "zero-byte file");
    expect_refused("hello, this is text\n", 20, "not an image (text)");
    expect_refused("GIF89a\x01\x00\x01\x00\x00\x00\x00;", 14, "unsupported format (GIF)");
    expect_refused("II*\0\x08\0\0\0\0\0", 10, "unsupported format (TIFF)");
    expect_refused("RIFF\0\0\0\0WEBPVP8 ", 16, "unsupported format (WebP)");
    const char *svg = "<svg xmlns='http://www.w3.org/2000/svg'/>";
    expect_refused(svg, strlen(svg), "unsupported format (SVG)");
    expect_refused("\x01\x02\x03\x04\xfe\xfd\x00\x80", 8, "not a recognised image format");

    gsize len;
    char *jpeg = tu_jpeg_bytes(64, 48, 200, 30, 30, &len);
    guint8 out[3 * S * S];
    GError *error = NULL;
    g_assert_true(dg_image_prepare_data(jpeg, len, S, out, &error)); /* whole: fine */
    expect_refused(jpeg, len * 2 / 3, "truncated or corrupt JPEG");
    expect_refused(jpeg, len - 2, "truncated or corrupt JPEG"); /* only the EOI missing */
    expect_refused(jpeg, 100, "truncated or corrupt JPEG");
    expect_refused(jpeg, 3, "truncated or corrupt JPEG");
    /* Corrupt bytes in the headers. */
    char *bad = g_memdup2(jpeg, len);
    for (gsize i = 20; i < 200 && i < len; i++)
        bad[i] = (char)(i * 37);
    expect_refused(bad, len, "truncated or corrupt JPEG");
    g_free(bad);
    g_free(jpeg);

    GdkPixbuf *pb = tu_pixbuf(32, 32, 1, 2, 3);
    char *png;
    gdk_pixbuf_save_to_buffer(pb, &png, &len, "png", &error, NULL);
    g_assert_no_error(error);
    expect_refused(png, len - 12, "truncated or corrupt PNG"); /* IEND cut */
    expect_refused(png, len / 2, "truncated or corrupt PNG");
    g_free(png);
    char *bmp;
    gdk_pixbuf_save_to_buffer(pb, &bmp, &len, "bmp", &error, NULL);
    g_assert_no_error(error);
    g_assert_true(dg_image_prepare_data(bmp, len, S, out, &error));
    expect_refused(bmp, len - 100, "truncated or corrupt BMP");
    g_free(bmp);
    g_object_unref(pb);
}

static void test_huge(void)
{
    GByteArray *png = tu_png_claiming(60000, 60000);
    expect_refused(png->data, png->len, "image is 60000x60000 (3600 MP), over the 50 MP limit");
    g_byte_array_unref(png);
    png = tu_png_claiming(20000, 20000);
    expect_refused(png->data, png->len, "image is 20000x20000 (400 MP), over the 50 MP limit");
    g_byte_array_unref(png);
    /* Under the limit, the same header is not refused for its size (it
     * fails later, for its missing pixels). */
    png = tu_png_claiming(2000, 1000);
    guint8 out[3 * S * S];
    GError *error = NULL;
    g_assert_false(dg_image_prepare_data(png->data, png->len, S, out, &error));
    g_assert_null(strstr(error->message, "MP limit"));
    g_error_free(error);
    g_byte_array_unref(png);
}

static void test_file_errors(void)
{
    char *dir = tu_tmpdir();
    guint8 out[3 * S * S];
    GError *error = NULL;
    char *missing = g_build_filename(dir, "nope.jpg", NULL);
    g_assert_false(dg_image_prepare_file(missing, S, out, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_false(dg_image_prepare_file(dir, S, out, &error));
    g_assert_nonnull(strstr(error->message, "folder"));
    g_clear_error(&error);
    char *loop = g_build_filename(dir, "loop.jpg", NULL);
    g_assert_cmpint(symlink("loop.jpg", loop), ==, 0);
    g_assert_false(dg_image_prepare_file(loop, S, out, &error));
    g_assert_cmpstr(error->message, ==, "symlink loop");
    g_clear_error(&error);
    char *empty = g_build_filename(dir, "empty.png", NULL);
    tu_write(empty, "", 0);
    g_assert_false(dg_image_prepare_file(empty, S, out, &error));
    g_assert_cmpstr(error->message, ==, "zero-byte file");
    g_clear_error(&error);
    g_free(missing);
    g_free(loop);
    g_free(empty);
    tu_rm_rf(dir);
    g_free(dir);
}

static void test_bad_arguments(void)
{
    GdkPixbuf *pb = tu_pixbuf(4, 4, 1, 1, 1);
    guint8 out[3 * S * S];
    GError *error = NULL;
    g_assert_false(dg_image_prepare_pixbuf(pb, 0, out, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_false(dg_image_prepare_pixbuf(NULL, S, out, &error));
    g_clear_error(&error);
    g_object_unref(pb);
    /* An RGBA pixbuf: alpha dropped. */
    pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, TRUE, 8, 4, 4);
    gdk_pixbuf_fill(pb, 0x11223300); /* alpha 0 */
    g_assert_true(dg_image_prepare_pixbuf(pb, S, out, &error));
    g_assert_cmpint(out[0], ==, 0x11);
    g_assert_cmpint(out[S * S], ==, 0x22);
    g_assert_cmpint(out[2 * S * S], ==, 0x33);
    g_object_unref(pb);
}

static void test_float(void)
{
    guint8 img[3 * 16 * 16];
    for (int i = 0; i < 3 * 16 * 16; i++)
        img[i] = (guint8)(i % 256);
    float f[3 * 16 * 16];
    dg_image_to_float(img, 16, f);
    g_assert_cmpfloat(f[0], ==, -1.0f);
    g_assert_cmpfloat(f[255], ==, 1.0f);
    for (int i = 0; i < 3 * 16 * 16; i++) {
        g_assert_cmpfloat(f[i], >=, -1.0f);
        g_assert_cmpfloat(f[i], <=, 1.0f);
        g_assert_cmpfloat(ABS(f[i] - (img[i] / 127.5f - 1)), <, 1e-6);
    }
    guint8 back[3 * 16 * 16];
    dg_image_from_float(f, 16, back);
    g_assert_cmpmem(back, sizeof back, img, sizeof img);
    /* Out of range and NaN are clamped. */
    f[0] = 7;
    f[1] = -9;
    f[2] = NAN;
    dg_image_from_float(f, 16, back);
    g_assert_cmpint(back[0], ==, 255);
    g_assert_cmpint(back[1], ==, 0);
    g_assert_cmpint(back[2], ==, 0);

    GdkPixbuf *pb = dg_image_to_pixbuf(img, 16);
    g_assert_cmpint(gdk_pixbuf_get_width(pb), ==, 16);
    g_assert_false(gdk_pixbuf_get_has_alpha(pb));
    const guint8 *px = gdk_pixbuf_read_pixels(pb);
    int rs = gdk_pixbuf_get_rowstride(pb);
    g_assert_cmpint(px[3 * rs + 5 * 3 + 1], ==, img[256 + 3 * 16 + 5]);
    /* And back through preparation at the same size: identical. */
    guint8 again[3 * 16 * 16];
    GError *error = NULL;
    g_assert_true(dg_image_prepare_pixbuf(pb, 16, again, &error));
    g_assert_cmpmem(again, sizeof again, img, sizeof img);
    g_object_unref(pb);
}

static void test_sniff(void)
{
    g_assert_cmpstr(dg_image_sniff((const guint8 *)"\xff\xd8\xff\xe0", 4), ==, "JPEG");
    g_assert_cmpstr(dg_image_sniff((const guint8 *)"\x89PNG\r\n\x1a\n", 8), ==, "PNG");
    g_assert_cmpstr(dg_image_sniff((const guint8 *)"MM\0*", 4), ==, "TIFF");
    g_assert_cmpstr(dg_image_sniff((const guint8 *)"plain words", 11), ==, "text");
    g_assert_null(dg_image_sniff((const guint8 *)"\0\0", 2));
}

int main(int argc, char **argv)
{
    tu_init(&argc, &argv);
    for (gsize i = 0; i < G_N_ELEMENTS(fixtures); i++) {
        char *name = g_strdup_printf("/data/image/fixture/%s", fixtures[i].file);
        g_test_add_data_func(name, &fixtures[i], test_fixture);
        g_free(name);
    }
    g_test_add_func("/data/image/downscale", test_downscale);
    g_test_add_func("/data/image/crop", test_crop);
    g_test_add_func("/data/image/upscale", test_upscale);
    g_test_add_func("/data/image/formats", test_formats);
    g_test_add_func("/data/image/bad-data", test_bad_data);
    g_test_add_func("/data/image/huge", test_huge);
    g_test_add_func("/data/image/file-errors", test_file_errors);
    g_test_add_func("/data/image/bad-arguments", test_bad_arguments);
    g_test_add_func("/data/image/float", test_float);
    g_test_add_func("/data/image/sniff", test_sniff);
    return tu_run();
}

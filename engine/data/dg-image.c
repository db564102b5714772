/* dg-image.c: preparing one image (file, bytes or pixbuf) for the models:
 * identify the format by content, check that the file is whole, refuse
 * absurd dimensions before decoding, decode with GdkPixbuf (JPEG, PNG and
 * BMP loaders only), apply the EXIF orientation, convert to RGB, centre-crop
 * to a square and downscale with an area filter to uint8 CHW.
 *
 * The resampling is our own (exact box/area averaging when shrinking,
 * bilinear when enlarging) rather than gdk_pixbuf_scale, so the prepared
 * pixels, and the cache keyed on them, do not depend on the GdkPixbuf
 * version. */
#include "dg-data-private.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#define DG_IMAGE_MAX_SIZE 1024 /* largest prepared side */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[1] << 8 | p[0];
}

static gboolean starts(const uint8_t *d, gsize n, const char *magic, gsize m)
{
    return n >= m && memcmp(d, magic, m) == 0;
}

static gboolean looks_like_text(const uint8_t *d, gsize n)
{
    gsize m = MIN(n, 1024);
    const gchar *end = NULL;
    if (!g_utf8_validate((const char *)d, (gssize)m, &end)) {
        /* A multi-byte character cut by the 1024-byte window is fine. */
        if (m == n || (const uint8_t *)end + 4 < d + m)
            return FALSE;
        m = (gsize)((const uint8_t *)end - d);
    }
    for (gsize i = 0; i < m; i++) {
        uint8_t c = d[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') ||
            c == 0x7f)
            return FALSE;
    }
    return m > 0;
}

const char *dg_image_sniff(const uint8_t *d, gsize n)
{
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return "JPEG";
    if (starts(d, n, "\x89PNG\r\n\x1a\n", 8))
        return "PNG";
    if (starts(d, n, "BM", 2) && n >= 26)
        return "BMP";
    if (starts(d, n, "GIF87a", 6) || starts(d, n, "GIF89a", 6))
        return "GIF";
    if (starts(d, n, "II*\0", 4) || starts(d, n, "MM\0*", 4))
        return "TIFF";
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return "WebP";
    if (n >= 12 && memcmp(d + 4, "ftyp", 4) == 0) {
        if (memcmp(d + 8, "avif", 4) == 0 || memcmp(d + 8, "avis", 4) == 0)
            return "AVIF";
        if (memcmp(d + 8, "hei", 3) == 0 || memcmp(d + 8, "mif1", 4) == 0 ||
            memcmp(d + 8, "msf1", 4) == 0)
            return "HEIF";
    }
    if (starts(d, n, "\0\0\0\x0cjP  ", 8) || starts(d, n, "\xff\x4f\xff\x51", 4))
        return "JPEG 2000";
    if (starts(d, n, "8BPS", 4))
        return "Photoshop";
    if (starts(d, n, "%PDF", 4))
        return "PDF";
    if (starts(d, n, "\0\0\1\0", 4) && n >= 6 && d[4] != 0)
        return "ICO";
    if (n >= 132 && memcmp(d + 128, "DICM", 4) == 0)
        return "DICOM";
    if (looks_like_text(d, n)) {
        gsize m = MIN(n, 1024);
        for (gsize i = 0; i + 4 <= m; i++)
            if (memcmp(d + i, "<svg", 4) == 0)
                return "SVG";
        return "text";
    }
    return NULL;
}

/* --- Is the file whole?  GdkPixbuf decodes a truncated JPEG or PNG without
 * an error (the missing rows come out grey or black), so the structure is
 * walked first. --- */

static gboolean jpeg_complete(const uint8_t *d, gsize n)
{
    gsize p = 2; /* after SOI */
    for (;;) {
        while (p < n && d[p] != 0xFF) /* stray bytes: libjpeg skips them too */
            p++;
        while (p < n && d[p] == 0xFF) /* fill bytes */
            p++;
        if (p >= n)
            return FALSE;
        uint8_t m = d[p++];
        if (m == 0xD9)
            return TRUE; /* EOI; anything after it is ignored */
        if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8))
            continue; /* no length */
        if (p + 2 > n)
            return FALSE;
        gsize seg = (gsize)d[p] << 8 | d[p + 1];
        if (seg < 2 || seg > n - p)
            return FALSE;
        p += seg;
        if (m != 0xDA)
            continue;
        /* Entropy-coded data runs to the next marker that is neither a
         * stuffed 0xFF00 nor a restart marker. */
        for (;;) {
            const uint8_t *f = p < n ? memchr(d + p, 0xFF, n - p) : NULL;
            if (!f)
                return FALSE;
            gsize q = (gsize)(f - d) + 1;
            while (q < n && d[q] == 0xFF)
                q++;
            if (q >= n)
                return FALSE;
            if (d[q] == 0x00 || (d[q] >= 0xD0 && d[q] <= 0xD7)) {
                p = q + 1;
                continue;
            }
            p = q - 1; /* the 0xFF before the marker */
            break;
        }
    }
}

static gboolean png_complete(const uint8_t *d, gsize n)
{
    gsize p = 8;
    for (;;) {
        if (n - p < 12 || p > n)
            return FALSE;
        uint32_t len = be32(d + p);
        if (len > 0x7fffffffu || (guint64)len + 12 > n - p)
            return FALSE;
        if (memcmp(d + p + 4, "IEND", 4) == 0)
            return TRUE;
        p += 12 + (gsize)len;
    }
}

static gboolean bmp_complete(const uint8_t *d, gsize n)
{
    uint32_t off = le32(d + 10), hdr = le32(d + 14);
    gint64 w, h;
    uint32_t bpp, comp;
    if (hdr == 12) {
        w = le16(d + 18);
        h = le16(d + 20);
        bpp = le16(d + 24);
        comp = 0;
    } else if (hdr >= 40 && n >= 14 + 40) {
        w = (int32_t)le32(d + 18);
        h = (int32_t)le32(d + 22);
        bpp = le16(d + 28);
        comp = le32(d + 30);
    } else {
        return TRUE; /* unknown header: the loader decides */
    }
    if (comp != 0 && comp != 3)
        return TRUE; /* RLE: the size is not known in advance */
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
        return TRUE;
    if (w <= 0)
        return TRUE;
    guint64 stride = ((guint64)w * bpp + 31) / 32 * 4;
    guint64 need = off + stride * (guint64)(h < 0 ? -h : h);
    return need <= n;
}

/* The useful part of a GdkPixbuf error message: "Error interpreting JPEG
 * image file (Unsupported marker type 0x29)" -> "unsupported marker type
 * 0x29". */
static char *error_detail(const char *msg)
{
    if (!msg || !*msg)
        return g_strdup("cannot decode");
    const char *open = strrchr(msg, '(');
    gsize n = strlen(msg);
    char *d;
    if (open && msg[n - 1] == ')' && n - (gsize)(open - msg) > 2) {
        d = g_strndup(open + 1, n - (gsize)(open - msg) - 2);
    } else {
        const char *colon = strstr(msg, ": ");
        d = g_strdup(colon ? colon + 2 : msg);
    }
    g_strstrip(d);
    /* Lower-case a leading capital unless it starts an acronym. */
    if (g_ascii_isupper(d[0]) && d[1] && g_ascii_islower(d[1]))
        d[0] = g_ascii_tolower(d[0]);
    /* One line. */
    for (char *p = d; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return d;
}

typedef struct {
    int w, h;
    gboolean refused;
    int rows; /* decoded rows so far: the bottom of the lowest area updated */
} size_check;

static void on_area_updated(GdkPixbufLoader *loader, int x, int y, int w, int h, gpointer user)
{
    (void)loader;
    (void)x;
    (void)w;
    size_check *sc = user;
    if (y + h > sc->rows)
        sc->rows = y + h;
}

static void on_size_prepared(GdkPixbufLoader *loader, int w, int h, gpointer user)
{
    size_check *sc = user;
    sc->w = w;
    sc->h = h;
    if (w <= 0 || h <= 0 || (gint64)w * h > DG_IMAGE_MAX_PIXELS) {
        sc->refused = TRUE;
        gdk_pixbuf_loader_set_size(loader, 0, 0); /* stop before any pixel is allocated */
    }
}

static GdkPixbuf *decode(const uint8_t *d, gsize n, GError **error)
{
    const char *fmt = dg_image_sniff(d, n);
    const char *loader_type = NULL;
    if (g_strcmp0(fmt, "JPEG") == 0)
        loader_type = "jpeg";
    else if (g_strcmp0(fmt, "PNG") == 0)
        loader_type = "png";
    else if (g_strcmp0(fmt, "BMP") == 0)
        loader_type = "bmp";

    if (n == 0) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "zero-byte file");
        return NULL;
    }
    if (!loader_type) {
        if (!fmt)
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                "not a recognised image format");
        else if (strcmp(fmt, "text") == 0)
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an image (text)");
        else
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "unsupported format (%s); supported: JPEG, PNG, BMP", fmt);
        return NULL;
    }

    gboolean whole = strcmp(fmt, "JPEG") == 0  ? jpeg_complete(d, n)
                     : strcmp(fmt, "PNG") == 0 ? png_complete(d, n)
                                               : bmp_complete(d, n);

    GError *err = NULL;
    GdkPixbufLoader *loader = gdk_pixbuf_loader_new_with_type(loader_type, &err);
    if (!loader) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no %s decoder: %s", fmt,
                    err->message);
        g_error_free(err);
        return NULL;
    }
    size_check sc = {0, 0, FALSE, 0};
    g_signal_connect(loader, "size-prepared", G_CALLBACK(on_size_prepared), &sc);
    g_signal_connect(loader, "area-updated", G_CALLBACK(on_area_updated), &sc);
    gboolean ok = gdk_pixbuf_loader_write(loader, d, n, &err);
    /* Always close (a loader finalized unclosed warns); keep the first error. */
    gboolean closed = gdk_pixbuf_loader_close(loader, ok ? &err : NULL);
    ok = ok && closed;

    GdkPixbuf *pb = NULL;
    if (sc.refused) {
        if (sc.w <= 0 || sc.h <= 0)
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "truncated or corrupt %s: image is %dx%d", fmt, sc.w, sc.h);
        else
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                        "image is %dx%d (%.0f MP), over the %d MP limit", sc.w, sc.h,
                        (double)sc.w * sc.h / 1e6, DG_IMAGE_MAX_PIXELS / 1000000);
    } else if (!ok || !(pb = gdk_pixbuf_loader_get_pixbuf(loader)) || !whole) {
        const char *cut = strcmp(fmt, "JPEG") == 0 ? "the file ends before its end-of-image marker"
                          : strcmp(fmt, "PNG") == 0 ? "the file ends before its IEND chunk"
                                                    : "the file ends before its pixel data does";
        /* The decoder's own message, unless it has none or only libjpeg's
         * cryptic "improper call" for a file cut inside its headers. */
        char *detail = ok && pb ? NULL : error_detail(err ? err->message : NULL);
        if (!whole && (!detail || !err || strstr(err->message, "mproper call"))) {
            g_free(detail);
            detail = g_strdup(cut);
        }
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "truncated or corrupt %s: %s",
                    fmt, detail);
        g_free(detail);
        pb = NULL;
    } else if (sc.rows < gdk_pixbuf_get_height(pb)) {
        /* The loader stopped early without an error: the data ran out. */
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "truncated or corrupt %s: image data ends after %d of %d rows", fmt, sc.rows,
                    gdk_pixbuf_get_height(pb));
        pb = NULL;
    } else {
        g_object_ref(pb);
    }
    g_clear_error(&err);
    g_object_unref(loader);
    if (pb) {
        GdkPixbuf *oriented = gdk_pixbuf_apply_embedded_orientation(pb);
        g_object_unref(pb);
        pb = oriented;
    }
    return pb;
}

gboolean dg_image_prepare_data_sized(const void *data, gsize len, int size, uint8_t *out_chw,
                                     int *width, int *height, GError **error)
{
    g_return_val_if_fail(data != NULL || len == 0, FALSE);
    g_return_val_if_fail(out_chw != NULL, FALSE);
    GdkPixbuf *pb = decode(data, len, error);
    if (!pb)
        return FALSE;
    if (width)
        *width = gdk_pixbuf_get_width(pb);
    if (height)
        *height = gdk_pixbuf_get_height(pb);
    gboolean ok = dg_image_prepare_pixbuf(pb, size, out_chw, error);
    g_object_unref(pb);
    return ok;
}

gboolean dg_image_prepare_data(const void *data, gsize len, int size, uint8_t *out_chw,
                               GError **error)
{
    return dg_image_prepare_data_sized(data, len, size, out_chw, NULL, NULL, error);
}

/* Errors that say something about the file itself, and so may be cached;
 * the others (permission, a file gone missing, I/O) may not hold next time. */
static gboolean lasting_error(const GError *e)
{
    return e->domain == G_IO_ERROR &&
           (e->code == G_IO_ERROR_IS_DIRECTORY || e->code == G_IO_ERROR_NOT_REGULAR_FILE ||
            e->code == G_IO_ERROR_TOO_MANY_LINKS || e->code == G_IO_ERROR_MESSAGE_TOO_LARGE ||
            e->code == G_IO_ERROR_FILENAME_TOO_LONG);
}

gboolean dg_image_read_file(const char *path, char **data, gsize *len, gboolean *transient,
                            GError **error)
{
    *transient = FALSE;
    GError *err = NULL;
    if (!dg_file_read_regular(path, DG_IMAGE_MAX_FILE_BYTES, data, len, &err)) {
        *transient = !lasting_error(err);
        g_propagate_error(error, err);
        return FALSE;
    }
    if (*len == 0) {
        g_clear_pointer(data, g_free);
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "zero-byte file");
        return FALSE;
    }
    return TRUE;
}

gboolean dg_image_prepare_file(const char *path, int size, uint8_t *out_chw, GError **error)
{
    g_return_val_if_fail(path != NULL, FALSE);
    char *data;
    gsize len;
    gboolean transient;
    if (!dg_image_read_file(path, &data, &len, &transient, error))
        return FALSE;
    gboolean ok = dg_image_prepare_data(data, len, size, out_chw, error);
    g_free(data);
    return ok;
}

/* --- Resampling. --- */

/* Filter taps for one axis: output j reads count[j] source samples from
 * first[j] with weights w[j * stride ...]; each row of weights sums to 1. */
typedef struct {
    int *first, *count;
    float *w;
    int stride;
} taps;

static void taps_init(taps *t, int src, int dst)
{
    t->first = g_new(int, dst);
    t->count = g_new(int, dst);
    if (src > dst) {
        /* Shrinking: output j is the average of the source interval
         * [j * scale, (j + 1) * scale), pixels weighted by their overlap. */
        double scale = (double)src / dst;
        t->stride = (int)ceil(scale) + 2;
        t->w = g_new0(float, (gsize)dst * t->stride);
        for (int j = 0; j < dst; j++) {
            double lo = j * scale, hi = (j + 1) * scale;
            int k0 = (int)floor(lo), k1 = (int)ceil(hi);
            if (k1 > src)
                k1 = src;
            double sum = 0;
            int c = 0;
            for (int k = k0; k < k1 && c < t->stride; k++) {
                double ov = MIN(hi, k + 1.0) - MAX(lo, (double)k);
                if (ov <= 0)
                    continue;
                if (c == 0)
                    t->first[j] = k;
                t->w[(gsize)j * t->stride + (k - t->first[j])] = (float)ov;
                c = k - t->first[j] + 1;
                sum += ov;
            }
            t->count[j] = c;
            for (int i = 0; i < c; i++)
                t->w[(gsize)j * t->stride + i] = (float)(t->w[(gsize)j * t->stride + i] / sum);
        }
    } else if (src == dst) {
        t->stride = 1;
        t->w = g_new(float, dst);
        for (int j = 0; j < dst; j++) {
            t->first[j] = j;
            t->count[j] = 1;
            t->w[j] = 1.0f;
        }
    } else {
        /* Enlarging: bilinear between pixel centres, edges clamped. */
        t->stride = 2;
        t->w = g_new0(float, (gsize)dst * 2);
        for (int j = 0; j < dst; j++) {
            double x = (j + 0.5) * src / dst - 0.5;
            if (x < 0)
                x = 0;
            if (x > src - 1)
                x = src - 1;
            int k0 = (int)floor(x);
            if (k0 >= src - 1) {
                t->first[j] = src - 1;
                t->count[j] = 1;
                t->w[(gsize)j * 2] = 1.0f;
                continue;
            }
            float f = (float)(x - k0);
            t->first[j] = k0;
            t->count[j] = 2;
            t->w[(gsize)j * 2] = 1.0f - f;
            t->w[(gsize)j * 2 + 1] = f;
        }
    }
}

static void taps_clear(taps *t)
{
    g_free(t->first);
    g_free(t->count);
    g_free(t->w);
}

/* Resamples the s x s square at src (rowstride bytes, nch interleaved
 * channels, the first three R, G, B) to size x size uint8 CHW. */
static void resample_square(const uint8_t *src, int rowstride, int nch, int s, int size,
                            uint8_t *out)
{
    taps t;
    taps_init(&t, s, size);
    /* Horizontal pass: tmp is [3][s][size]. */
    float *tmp = g_new(float, (gsize)3 * s * size);
    for (int y = 0; y < s; y++) {
        const uint8_t *row = src + (gsize)y * rowstride;
        for (int j = 0; j < size; j++) {
            const float *w = t.w + (gsize)j * t.stride;
            const uint8_t *p = row + (gsize)t.first[j] * nch;
            float r = 0, g = 0, b = 0;
            for (int k = 0; k < t.count[j]; k++, p += nch) {
                r += w[k] * p[0];
                g += w[k] * p[1];
                b += w[k] * p[2];
            }
            tmp[((gsize)0 * s + y) * size + j] = r;
            tmp[((gsize)1 * s + y) * size + j] = g;
            tmp[((gsize)2 * s + y) * size + j] = b;
        }
    }
    /* Vertical pass (same taps: the input is square). */
    for (int c = 0; c < 3; c++) {
        for (int i = 0; i < size; i++) {
            const float *w = t.w + (gsize)i * t.stride;
            uint8_t *o = out + ((gsize)c * size + i) * size;
            for (int j = 0; j < size; j++) {
                const float *col = tmp + ((gsize)c * s + t.first[i]) * size + j;
                float v = 0;
                for (int k = 0; k < t.count[i]; k++)
                    v += w[k] * col[(gsize)k * size];
                v = floorf(v + 0.5f);
                o[j] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    }
    g_free(tmp);
    taps_clear(&t);
}

gboolean dg_image_prepare_pixbuf(GdkPixbuf *pixbuf, int size, uint8_t *out_chw, GError **error)
{
    g_return_val_if_fail(out_chw != NULL, FALSE);
    if (!GDK_IS_PIXBUF(pixbuf)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no image");
        return FALSE;
    }
    if (size < 1 || size > DG_IMAGE_MAX_SIZE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "image size %d is out of range (1 to %d)", size, DG_IMAGE_MAX_SIZE);
        return FALSE;
    }
    int w = gdk_pixbuf_get_width(pixbuf), h = gdk_pixbuf_get_height(pixbuf);
    int nch = gdk_pixbuf_get_n_channels(pixbuf);
    if (gdk_pixbuf_get_colorspace(pixbuf) != GDK_COLORSPACE_RGB ||
        gdk_pixbuf_get_bits_per_sample(pixbuf) != 8 || nch < 3 || nch > 4 || w <= 0 || h <= 0) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            "unsupported pixel layout");
        return FALSE;
    }
    if ((gint64)w * h > DG_IMAGE_MAX_PIXELS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                    "image is %dx%d (%.0f MP), over the %d MP limit", w, h, (double)w * h / 1e6,
                    DG_IMAGE_MAX_PIXELS / 1000000);
        return FALSE;
    }
    int rowstride = gdk_pixbuf_get_rowstride(pixbuf);
    const uint8_t *px = gdk_pixbuf_read_pixels(pixbuf);
    /* Centre crop to the largest square; alpha (channel 4) is dropped. */
    int s = MIN(w, h);
    int x0 = (w - s) / 2, y0 = (h - s) / 2;
    resample_square(px + (gsize)y0 * rowstride + (gsize)x0 * nch, rowstride, nch, s, size,
                    out_chw);
    return TRUE;
}

void dg_image_to_float(const uint8_t *chw, int size, float *out)
{
    gsize n = (gsize)3 * size * size;
    for (gsize i = 0; i < n; i++)
        out[i] = chw[i] / 127.5f - 1.0f;
}

void dg_image_from_float(const float *chw, int size, uint8_t *out)
{
    gsize n = (gsize)3 * size * size;
    for (gsize i = 0; i < n; i++) {
        float v = (chw[i] + 1.0f) * 127.5f;
        if (!(v > 0)) /* also NaN */
            v = 0;
        if (v > 255)
            v = 255;
        out[i] = (uint8_t)(v + 0.5f > 255 ? 255 : v + 0.5f);
    }
}

GdkPixbuf *dg_image_to_pixbuf(const uint8_t *chw, int size)
{
    g_return_val_if_fail(chw != NULL && size > 0, NULL);
    GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, size, size);
    if (!pb)
        return NULL;
    int rs = gdk_pixbuf_get_rowstride(pb);
    uint8_t *px = gdk_pixbuf_get_pixels(pb);
    gsize plane = (gsize)size * size;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
            for (int c = 0; c < 3; c++)
                px[(gsize)y * rs + (gsize)x * 3 + c] = chw[c * plane + (gsize)y * size + x];
    return pb;
}

/* Tests for the safetensors reader and writer (engine/models/dg-safetensors);
 * the strict, depth-bounded JSON parse its header check shares: test-json. */
#include "models/dg-safetensors.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* A file from a header text and len zero bytes of data. */
static GBytes *raw_file(const char *header, size_t hlen, size_t data_len)
{
    size_t size = 8 + hlen + data_len;
    guint8 *p = g_malloc0(size);
    for (int i = 0; i < 8; i++)
        p[i] = (guint8)((uint64_t)hlen >> (8 * i));
    memcpy(p + 8, header, hlen);
    return g_bytes_new_take(p, size);
}

static dg_st *parse_text(const char *header, size_t data_len, GError **error)
{
    GBytes *b = raw_file(header, strlen(header), data_len);
    dg_st *st = dg_st_parse(b, error);
    g_bytes_unref(b);
    return st;
}

/* ---- the interop set: written by us, checked by Python ---------------- */

typedef struct {
    float conv_w[24];
    float conv_b[2];
    int64_t step;
    int32_t labels[5];
    uint8_t mask[3];
    double dbl[4];
} interop_data;

static void interop_fill(interop_data *d)
{
    for (int i = 0; i < 24; i++)
        d->conv_w[i] = (float)i * 0.25f - 3.0f;
    d->conv_b[0] = 1.5f;
    d->conv_b[1] = -2.5f;
    d->step = 123456789012;
    const int32_t labels[5] = {0, -1, 2, -3, 4};
    memcpy(d->labels, labels, sizeof labels);
    const uint8_t mask[3] = {1, 0, 255};
    memcpy(d->mask, mask, sizeof mask);
    const double dbl[4] = {0.1, 0.2, 0.3, 1e300};
    memcpy(d->dbl, dbl, sizeof dbl);
}

/* Adds the tensors in a given permutation, to show the order does not matter. */
static dg_st_writer *interop_writer(const interop_data *d, gboolean reverse)
{
    static const int64_t s_conv_w[] = {2, 3, 2, 2}, s_2[] = {2}, s_5[] = {5}, s_3[] = {3},
                         s_22[] = {2, 2}, s_04[] = {0, 4};
    dg_st_writer *w = dg_st_writer_new();
    for (int k = 0; k < 7; k++) {
        switch (reverse ? 6 - k : k) {
        case 0: dg_st_writer_add(w, "conv.weight", DG_ST_F32, 4, s_conv_w, d->conv_w); break;
        case 1: dg_st_writer_add(w, "conv.bias", DG_ST_F32, 1, s_2, d->conv_b); break;
        case 2: dg_st_writer_add(w, "step", DG_ST_I64, 0, NULL, &d->step); break;
        case 3: dg_st_writer_add(w, "labels", DG_ST_I32, 1, s_5, d->labels); break;
        case 4: dg_st_writer_add(w, "mask", DG_ST_U8, 1, s_3, d->mask); break;
        case 5: dg_st_writer_add(w, "double", DG_ST_F64, 2, s_22, d->dbl); break;
        case 6: dg_st_writer_add(w, "empty", DG_ST_F32, 2, s_04, NULL); break;
        }
    }
    if (reverse) {
        dg_st_writer_set_metadata(w, "unicode", "M\xc3\xa9lanome \xe2\x9c\x93");
        dg_st_writer_set_metadata(w, "classes", "akiec,bcc,bkl,mel");
        dg_st_writer_set_metadata(w, "arch", "replaced below");
        dg_st_writer_set_metadata(w, "arch", "dermanet");
    } else {
        dg_st_writer_set_metadata(w, "arch", "dermanet");
        dg_st_writer_set_metadata(w, "classes", "akiec,bcc,bkl,mel");
        dg_st_writer_set_metadata(w, "unicode", "M\xc3\xa9lanome \xe2\x9c\x93");
    }
    return w;
}

static void check_interop_content(const dg_st *st, const interop_data *d)
{
    g_assert_cmpint(dg_st_n_tensors(st), ==, 7);
    /* Storage order: dtype descending (I64, F64, F32, I32, U8), then name. */
    const char *order[] = {"step", "double", "conv.bias", "conv.weight", "empty", "labels", "mask"};
    const guint8 *next = NULL; /* where the next non-empty tensor must start */
    for (int i = 0; i < 7; i++) {
        const dg_st_tensor *t = dg_st_tensor_at(st, i);
        g_assert_cmpstr(t->name, ==, order[i]);
        g_assert_true(dg_st_find(st, order[i]) == t);
        if (t->nbytes) {
            g_assert_cmpuint((uintptr_t)t->data % dg_st_dtype_size(t->dtype), ==, 0);
            g_assert_true(next == NULL || (const guint8 *)t->data == next);
            next = (const guint8 *)t->data + t->nbytes;
        }
    }
    g_assert_null(dg_st_find(st, "missing"));
    g_assert_null(dg_st_find(st, "__metadata__"));

    const dg_st_tensor *t = dg_st_find(st, "conv.weight");
    g_assert_cmpint(t->dtype, ==, DG_ST_F32);
    g_assert_cmpint(t->ndim, ==, 4);
    g_assert_cmpint(t->shape[0], ==, 2);
    g_assert_cmpint(t->shape[1], ==, 3);
    g_assert_cmpint(t->shape[3], ==, 2);
    g_assert_cmpint(t->numel, ==, 24);
    g_assert_cmpuint(t->nbytes, ==, 96);
    g_assert_cmpmem(t->data, t->nbytes, d->conv_w, sizeof d->conv_w);

    t = dg_st_find(st, "step");
    g_assert_cmpint(t->ndim, ==, 0);
    g_assert_cmpint(t->numel, ==, 1);
    g_assert_cmpint(t->dtype, ==, DG_ST_I64);
    int64_t step;
    memcpy(&step, t->data, 8);
    g_assert_cmpint(GINT64_FROM_LE(step), ==, 123456789012);

    t = dg_st_find(st, "empty");
    g_assert_cmpint(t->numel, ==, 0);
    g_assert_cmpuint(t->nbytes, ==, 0);
    g_assert_null(t->data);
    g_assert_cmpmem(dg_st_find(st, "mask")->data, 3, d->mask, 3);
    g_assert_cmpmem(dg_st_find(st, "labels")->data, 20, d->labels, 20);
    g_assert_cmpmem(dg_st_find(st, "double")->data, 32, d->dbl, 32);

    const char *const *keys = dg_st_metadata_keys(st);
    g_assert_cmpstr(keys[0], ==, "arch");
    g_assert_cmpstr(keys[1], ==, "classes");
    g_assert_cmpstr(keys[2], ==, "unicode");
    g_assert_null(keys[3]);
    g_assert_cmpstr(dg_st_metadata(st, "arch"), ==, "dermanet");
    g_assert_cmpstr(dg_st_metadata(st, "unicode"), ==, "M\xc3\xa9lanome \xe2\x9c\x93");
    g_assert_null(dg_st_metadata(st, "missing"));
}

static void test_roundtrip(void)
{
    interop_data d;
    interop_fill(&d);
    g_autoptr(dg_st_writer) w = interop_writer(&d, FALSE);
    g_autoptr(GError) error = NULL;
    GBytes *bytes = dg_st_writer_to_bytes(w, &error);
    g_assert_no_error(error);

    /* Layout: header padded with spaces to a multiple of 8, metadata first. */
    gsize size;
    const guint8 *p = g_bytes_get_data(bytes, &size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | p[i];
    g_assert_cmpuint(hlen % 8, ==, 0);
    g_assert_cmpuint(size, ==, 8 + hlen + 96 + 8 + 8 + 32 + 20 + 3 + 0);
    g_assert_cmpint(p[8], ==, '{');
    g_assert_true(g_str_has_prefix((const char *)p + 8, "{\"__metadata__\":{\"arch\":\"dermanet\""));
    size_t text_end = 8 + hlen;
    while (p[text_end - 1] == ' ')
        text_end--;
    g_assert_cmpint(p[text_end - 1], ==, '}');
    g_assert_cmpuint(8 + hlen - text_end, <, 8);

    g_autoptr(dg_st) st = dg_st_parse(bytes, &error);
    g_assert_no_error(error);
    /* The reader keeps its own reference to the bytes. */
    g_bytes_unref(bytes);
    check_interop_content(st, &d);

    /* The same tensors added in another order give the same file. */
    g_autoptr(dg_st_writer) w2 = interop_writer(&d, TRUE);
    GBytes *b1 = dg_st_writer_to_bytes(w, NULL), *b2 = dg_st_writer_to_bytes(w2, NULL);
    g_assert_true(g_bytes_equal(b1, b2));
    g_bytes_unref(b1);
    g_bytes_unref(b2);
}

static void test_get_f32(void)
{
    interop_data d;
    interop_fill(&d);
    g_autoptr(dg_st_writer) w = interop_writer(&d, FALSE);
    GBytes *bytes = dg_st_writer_to_bytes(w, NULL);
    g_autoptr(dg_st) st = dg_st_parse(bytes, NULL);
    g_bytes_unref(bytes);
    g_assert_nonnull(st);

    float out[24] = {0};
    g_autoptr(GError) error = NULL;
    const int64_t shape[] = {2, 3, 2, 2};
    g_assert_true(dg_st_get_f32(st, "conv.weight", 4, shape, out, &error));
    g_assert_no_error(error);
    for (int i = 0; i < 24; i++)
        g_assert_cmpfloat(out[i], ==, (float)i * 0.25f - 3.0f);

    const int64_t wrong[] = {2, 3, 4};
    g_assert_false(dg_st_get_f32(st, "conv.weight", 3, wrong, out, &error));
    g_assert_error(error, DG_ST_ERROR, DG_ST_ERROR_MISMATCH);
    g_assert_cmpstr(error->message, ==,
                    "tensor 'conv.weight' has shape [2, 3, 2, 2], expected [2, 3, 4]");
    g_clear_error(&error);

    const int64_t s5[] = {5};
    g_assert_false(dg_st_get_f32(st, "labels", 1, s5, out, &error));
    g_assert_error(error, DG_ST_ERROR, DG_ST_ERROR_MISMATCH);
    g_assert_cmpstr(error->message, ==, "tensor 'labels' is I32, expected F32");
    g_clear_error(&error);

    g_assert_false(dg_st_get_f32(st, "nope", 1, s5, out, &error));
    g_assert_error(error, DG_ST_ERROR, DG_ST_ERROR_NOT_FOUND);
    g_assert_cmpstr(error->message, ==, "no tensor named 'nope'");
    g_clear_error(&error);

    const int64_t s04[] = {0, 4};
    g_assert_true(dg_st_get_f32(st, "empty", 2, s04, NULL, &error));
    g_assert_no_error(error);
}

static void test_save_load(void)
{
    interop_data d;
    interop_fill(&d);
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("dg-st-XXXXXX", &error);
    g_assert_no_error(error);
    g_autofree char *path = g_build_filename(dir, "model.safetensors", NULL);

    g_autoptr(dg_st_writer) w = interop_writer(&d, FALSE);
    g_assert_true(dg_st_writer_save(w, path, &error));
    g_assert_no_error(error);
    /* Overwrite in place (atomic rename over the old file). */
    g_assert_true(dg_st_writer_save(w, path, &error));
    g_assert_no_error(error);

    /* Nothing but the file: no temp files left behind. */
    GDir *gd = g_dir_open(dir, 0, NULL);
    int entries = 0;
    while (g_dir_read_name(gd))
        entries++;
    g_dir_close(gd);
    g_assert_cmpint(entries, ==, 1);

    g_autofree char *contents = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    GBytes *mem = dg_st_writer_to_bytes(w, NULL);
    g_assert_cmpmem(contents, len, g_bytes_get_data(mem, NULL), g_bytes_get_size(mem));
    g_bytes_unref(mem);

    g_autoptr(dg_st) st = dg_st_load(path, &error);
    g_assert_no_error(error);
    check_interop_content(st, &d);

    /* A truncated file: the error names the file. */
    g_autofree char *cut = g_build_filename(dir, "cut.safetensors", NULL);
    g_assert_true(g_file_set_contents(cut, contents, (gssize)len - 1, NULL));
    dg_st *bad = dg_st_load(cut, &error);
    g_assert_null(bad);
    g_assert_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR);
    g_assert_true(g_str_has_suffix(error->message, "is beyond the 166-byte data buffer"));
    g_assert_true(g_str_has_prefix(error->message, cut));
    g_clear_error(&error);

    g_assert_null(dg_st_load(dir, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
    g_clear_error(&error);

    g_autofree char *missing = g_build_filename(dir, "missing.safetensors", NULL);
    g_assert_null(dg_st_load(missing, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_clear_error(&error);

    /* A (sparse) file over the 2 GiB limit is refused before reading. */
    g_autofree char *big = g_build_filename(dir, "big.safetensors", NULL);
    int fd = g_open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)DG_ST_MAX_FILE_SIZE + 1), ==, 0);
    close(fd);
    g_assert_null(dg_st_load(big, &error));
    g_assert_error(error, DG_ST_ERROR, DG_ST_ERROR_TOO_LARGE);
    g_clear_error(&error);

    /* A FIFO is refused without blocking. */
    g_autofree char *fifo = g_build_filename(dir, "fifo.safetensors", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    g_assert_null(dg_st_load(fifo, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
    g_clear_error(&error);
    g_assert_cmpint(g_unlink(fifo), ==, 0);

    g_assert_cmpint(g_unlink(big), ==, 0);
    g_assert_cmpint(g_unlink(cut), ==, 0);
    g_assert_cmpint(g_unlink(path), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* A header not padded to 8 bytes (another writer) puts the data buffer at an
 * unaligned address: the reader copies it to an aligned one. */
static void test_unaligned(void)
{
    const char *header = "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                         "\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[16,17]}}";
    size_t hlen = strlen(header);
    g_assert_cmpuint(hlen % 8, !=, 0);
    /* At offsets 0..7 of a larger allocation, so every alignment is tried. */
    for (int shift = 0; shift < 8; shift++) {
        size_t size = 8 + hlen + 17;
        guint8 *mem = g_malloc(size + 8), *p = mem + shift;
        for (int i = 0; i < 8; i++)
            p[i] = (guint8)((uint64_t)hlen >> (8 * i));
        memcpy(p + 8, header, hlen);
        const double v[2] = {-1.25, 3e-310};
        memcpy(p + 8 + hlen, v, 16);
        p[8 + hlen + 16] = 7;
        GBytes *b = g_bytes_new_take(mem, size + 8);
        GBytes *sub = g_bytes_new_from_bytes(b, shift, size);
        g_autoptr(GError) error = NULL;
        g_autoptr(dg_st) st = dg_st_parse(sub, &error);
        g_assert_no_error(error);
        g_bytes_unref(sub);
        g_bytes_unref(b);
        const dg_st_tensor *a = dg_st_find(st, "a");
        g_assert_cmpuint((uintptr_t)a->data % 8, ==, 0);
        g_assert_cmpfloat(((const double *)a->data)[0], ==, -1.25);
        g_assert_cmpfloat(((const double *)a->data)[1], ==, 3e-310);
        g_assert_cmpint(*(const guint8 *)dg_st_find(st, "b")->data, ==, 7);
    }
}

static void test_valid_edge_cases(void)
{
    g_autoptr(GError) error = NULL;
    struct {
        const char *header;
        size_t data;
        int n_tensors;
    } cases[] = {
        {"{}", 0, 0},
        {"  {}  ", 0, 0},
        {"{\"__metadata__\":{}}", 0, 0},
        {"{\"__metadata__\":{\"data_offsets\":\"x\",\"dtype\":\"F32\"}}", 0, 0},
        /* zero-size tensors may share an offset */
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"c\":{\"dtype\":\"I8\",\"shape\":[3,0,2],\"data_offsets\":[4,4]}}", 4, 3},
        /* unknown fields are ignored, like the Python library does */
        {"{\"a\":{\"dtype\":\"BF16\",\"shape\":[1,1,1,1,1,1,1,2],\"data_offsets\":[0,4],"
         "\"extra\":[1.5e3,{\"x\":null}]}}", 4, 1},
        /* whitespace everywhere JSON allows it, escaped names */
        {"\r\n{ \"\\u00e9\\ud83d\\ude00\\n\" : { \"dtype\" : \"U8\" , \"shape\" : [ ] ,"
         " \"data_offsets\" : [ 0 , 1 ] } }\t", 1, 1},
        {"{\"-0\":{\"dtype\":\"F16\",\"shape\":[-0],\"data_offsets\":[0,0]}}", 0, 1},
        /* a zero dimension first: no overflow, no elements */
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[0,4294967296,4294967296],\"data_offsets\":[0,0]}}", 0, 1},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(dg_st) st = parse_text(cases[i].header, cases[i].data, &error);
        if (error)
            g_test_message("case %zu: %s", i, error->message);
        g_assert_no_error(error);
        g_assert_cmpint(dg_st_n_tensors(st), ==, cases[i].n_tensors);
    }
    /* The escaped name decodes to UTF-8 text. */
    g_autoptr(dg_st) st = parse_text(cases[6].header, 1, &error);
    g_assert_no_error(error);
    g_assert_nonnull(dg_st_find(st, "\xc3\xa9\xf0\x9f\x98\x80\n"));
    g_assert_cmpint(dg_st_find(st, "\xc3\xa9\xf0\x9f\x98\x80\n")->ndim, ==, 0);
}

typedef struct {
    const char *what;
    const char *header;
    size_t data;
    int code;
    const char *message; /* exact message, or a pattern when it contains '*' */
} bad_case;

#define F32A(off) "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" off "}"

static const bad_case bad_cases[] = {
    {"not utf-8", "{\"\xff\":1}", 0, DG_ST_ERROR_HEADER, "header is not valid UTF-8 (or contains a NUL byte)"},
    {"overlong utf-8", "{\"\xc0\xaf\":1}", 0, DG_ST_ERROR_HEADER, "header is not valid UTF-8*"},
    {"empty", "", 0, DG_ST_ERROR_HEADER, "header is empty"},
    {"blank", "        ", 0, DG_ST_ERROR_HEADER, "header is empty"},
    {"array", "[]", 0, DG_ST_ERROR_HEADER, "header is not a JSON object"},
    {"string", "\"x\"", 0, DG_ST_ERROR_HEADER, "header is not a JSON object"},
    {"comment first", "/*c*/{}", 0, DG_ST_ERROR_HEADER, "header is not a JSON object"},
    {"unterminated", "{", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: expected a string key at the end of the header"},
    {"comment after", "{} /*c*/", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: trailing characters after the header object at byte 3"},
    {"two objects", "{}{}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: trailing characters*"},
    {"single quotes", "{'a':1}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: expected a string key at byte 1"},
    {"bare key", "{a:1}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: expected a string key at byte 1"},
    {"trailing comma", "{\"a\":" F32A("[0,8]") ",}", 8, DG_ST_ERROR_HEADER, "header is not valid JSON: expected a string key*"},
    {"array trailing comma", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_HEADER, "header is not valid JSON: unexpected character*"},
    {"missing colon", "{\"a\" 1}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: expected ':' at byte 5"},
    {"hex number", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0x2],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_HEADER, "header is not valid JSON: expected ',' or ']'*"},
    {"leading zero", "{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_HEADER, "header is not valid JSON: expected ',' or ']'*"},
    {"leading dot", "{\"a\":{\"dtype\":\"F32\",\"shape\":[.5],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_HEADER, "header is not valid JSON: unexpected character*"},
    {"plus sign", "{\"a\":{\"dtype\":\"F32\",\"shape\":[+2],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_HEADER, "header is not valid JSON: unexpected character*"},
    {"bad exponent", "{\"a\":[1e]}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: invalid number*"},
    {"NaN", "{\"a\":[NaN]}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: unexpected character*"},
    {"bad literal", "{\"a\":[tru]}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: unexpected character*"},
    {"raw tab in string", "{\"a\tb\":1}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: control character in string at byte 3"},
    {"bad escape", "{\"\\x41\":1}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: invalid escape in string at byte 2"},
    {"short unicode escape", "{\"\\u12\"}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: invalid \\u escape*"},
    {"nul escape", "{\"a\\u0000b\":" F32A("[0,8]") "}", 8, DG_ST_ERROR_HEADER, "header is not valid JSON: \\u0000 in string at byte 3"},
    {"lone high surrogate", "{\"\\ud800\":1}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: unpaired surrogate*"},
    {"lone low surrogate", "{\"\\udc00\":1}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: unpaired surrogate*"},
    {"integer out of range", "{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551617],\"data_offsets\":[0,4]}}", 4, DG_ST_ERROR_HEADER, "header is not valid JSON: integer out of range at byte 29"},
    {"int64 min minus one", "{\"a\":[-9223372036854775809]}", 0, DG_ST_ERROR_HEADER, "header is not valid JSON: integer out of range*"},
    {"deep nesting", "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", 0, DG_ST_ERROR_HEADER, "header is nested more than 64 levels deep"},
    {"duplicate tensor", "{\"a\":" F32A("[0,8]") ",\"a\":" F32A("[0,8]") "}", 8, DG_ST_ERROR_HEADER, "duplicate tensor name 'a' in header"},
    {"duplicate escaped", "{\"a\":" F32A("[0,8]") ",\"\\u0061\":" F32A("[8,16]") "}", 16, DG_ST_ERROR_HEADER, "duplicate tensor name 'a' in header"},
    {"duplicate field", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_HEADER, "duplicate key 'dtype' in header at byte 20"},
    {"duplicate metadata", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, DG_ST_ERROR_HEADER, "duplicate metadata key 'k' in header"},
    {"duplicate metadata entry", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, DG_ST_ERROR_HEADER, "duplicate __metadata__ in header"},
    {"entry not object", "{\"a\":[0,8]}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': entry is not an object"},
    {"no dtype", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': dtype missing or not a string"},
    {"unknown dtype", "{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': unknown dtype 'F33'"},
    {"lowercase dtype", "{\"a\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': unknown dtype 'f32'"},
    {"no shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': shape missing or not an array"},
    {"shape number", "{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': shape missing or not an array"},
    {"negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': shape must be an array of non-negative integers"},
    {"float dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': shape must be an array of non-negative integers"},
    {"string dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': shape must be an array of non-negative integers"},
    {"nine dims", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': shape has 9 dimensions (at most 8)"},
    {"numel overflow", "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0, DG_ST_ERROR_TENSOR, "tensor 'a': element count overflows"},
    {"bytes overflow", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2305843009213693952,2],\"data_offsets\":[0,0]}}", 0, DG_ST_ERROR_TENSOR, "tensor 'a': element count overflows"},
    {"no offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': data_offsets must be two non-negative integers"},
    {"one offset", "{\"a\":" F32A("[8]") "}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': data_offsets must be two non-negative integers"},
    {"three offsets", "{\"a\":" F32A("[0,8,8]") "}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': data_offsets must be two non-negative integers"},
    {"negative offset", "{\"a\":" F32A("[-8,0]") "}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': data_offsets must be two non-negative integers"},
    {"string offsets", "{\"a\":" F32A("[\"0\",\"8\"]") "}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': data_offsets must be two non-negative integers"},
    {"reversed offsets", "{\"a\":" F32A("[8,0]") "}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': data_offsets begin 8 > end 0"},
    {"end beyond buffer", "{\"a\":" F32A("[0,8]") "}", 4, DG_ST_ERROR_TENSOR, "tensor 'a': data_offsets end 8 is beyond the 4-byte data buffer"},
    {"huge end", "{\"a\":" F32A("[0,9223372036854775807]") "}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': data_offsets end 9223372036854775807 is beyond the 8-byte data buffer"},
    {"size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, DG_ST_ERROR_TENSOR, "tensor 'a': data_offsets span 8 bytes but shape [3] of F32 needs 12"},
    {"overlap", "{\"a\":" F32A("[0,8]") ",\"b\":" F32A("[4,12]") "}", 12, DG_ST_ERROR_LAYOUT, "tensors 'a' and 'b' overlap in the data buffer"},
    {"same range", "{\"b\":" F32A("[0,8]") ",\"a\":" F32A("[0,8]") "}", 8, DG_ST_ERROR_LAYOUT, "tensors 'a' and 'b' overlap in the data buffer"},
    {"hole at start", "{\"a\":" F32A("[4,12]") "}", 12, DG_ST_ERROR_LAYOUT, "hole of 4 bytes in the data buffer before tensor 'a'"},
    {"hole between", "{\"a\":" F32A("[0,8]") ",\"b\":" F32A("[9,17]") "}", 17, DG_ST_ERROR_LAYOUT, "hole of 1 bytes in the data buffer before tensor 'b'"},
    {"uncovered end", "{\"a\":" F32A("[0,8]") "}", 9, DG_ST_ERROR_LAYOUT, "1 bytes at the end of the data buffer belong to no tensor"},
    {"data without tensors", "{}", 8, DG_ST_ERROR_LAYOUT, "8 bytes at the end of the data buffer belong to no tensor"},
    {"metadata string", "{\"__metadata__\":\"x\"}", 0, DG_ST_ERROR_METADATA, "__metadata__ is not an object"},
    {"metadata number value", "{\"__metadata__\":{\"epoch\":3}}", 0, DG_ST_ERROR_METADATA, "__metadata__ value of 'epoch' is not a string"},
    {"metadata null value", "{\"__metadata__\":{\"k\":null}}", 0, DG_ST_ERROR_METADATA, "__metadata__ value of 'k' is not a string"},
    {"metadata nested", "{\"__metadata__\":{\"k\":{}}}", 0, DG_ST_ERROR_METADATA, "__metadata__ value of 'k' is not a string"},
    {"tensor named __metadata__", "{\"__metadata__\":" F32A("[0,8]") "}", 8, DG_ST_ERROR_METADATA, "a tensor may not be named __metadata__ (the name is reserved)"},
    {"control char in name quoted", "{\"a\\nb\":" F32A("[0,4]") "}", 4, DG_ST_ERROR_TENSOR, "tensor 'a\\x0ab': data_offsets span 4 bytes*"},
};

static void test_bad_header(gconstpointer data)
{
    const bad_case *c = data;
    g_autoptr(GError) error = NULL;
    dg_st *st = parse_text(c->header, c->data, &error);
    g_assert_null(st);
    g_assert_error(error, DG_ST_ERROR, c->code);
    g_test_message("%s -> %s", c->what, error->message);
    g_assert_null(strchr(error->message, '\n'));
    if (c->message && strchr(c->message, '*'))
        g_assert_true(g_pattern_match_simple(c->message, error->message));
    else if (c->message)
        g_assert_cmpstr(error->message, ==, c->message);
}

static void test_bad_framing(void)
{
    g_autoptr(GError) error = NULL;
    /* Shorter than the length prefix. */
    for (size_t n = 0; n < 8; n++) {
        GBytes *b = g_bytes_new("\x02\0\0\0\0\0\0\0", n);
        g_assert_null(dg_st_parse(b, &error));
        g_assert_error(error, DG_ST_ERROR, DG_ST_ERROR_TRUNCATED);
        g_clear_error(&error);
        g_bytes_unref(b);
    }
    /* Header longer than the file. */
    GBytes *b = g_bytes_new("\x03\0\0\0\0\0\0\0{}", 10);
    g_assert_null(dg_st_parse(b, &error));
    g_assert_error(error, DG_ST_ERROR, DG_ST_ERROR_TRUNCATED);
    g_assert_cmpstr(error->message, ==, "header length 3 is larger than the rest of the file (2 bytes)");
    g_clear_error(&error);
    g_bytes_unref(b);
    /* Header length over the limit, and the largest u64. */
    b = g_bytes_new("\x01\xe1\xf5\x05\0\0\0\0{}", 10); /* 100000001 */
    g_assert_null(dg_st_parse(b, &error));
    g_assert_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER);
    g_assert_cmpstr(error->message, ==, "header length 100000001 exceeds the limit of 100000000 bytes");
    g_clear_error(&error);
    g_bytes_unref(b);
    b = g_bytes_new("\xff\xff\xff\xff\xff\xff\xff\xff{}", 10);
    g_assert_null(dg_st_parse(b, &error));
    g_assert_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER);
    g_clear_error(&error);
    g_bytes_unref(b);
    /* A NUL byte inside the header. */
    b = raw_file("{\"a\0\":1}", 8, 0);
    g_assert_null(dg_st_parse(b, &error));
    g_assert_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER);
    g_assert_cmpstr(error->message, ==, "header is not valid UTF-8 (or contains a NUL byte)");
    g_clear_error(&error);
    g_bytes_unref(b);
}

/* Long names are cut in messages; the message stays one line. */
static void test_long_name_message(void)
{
    GString *h = g_string_new("{\"");
    for (int i = 0; i < 300; i++)
        g_string_append(h, "\xc3\xa9");
    g_string_append(h, "\":{\"dtype\":\"X\",\"shape\":[],\"data_offsets\":[0,0]}}");
    g_autoptr(GError) error = NULL;
    g_assert_null(parse_text(h->str, 0, &error));
    g_assert_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR);
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
    g_assert_cmpint(g_utf8_strlen(error->message, -1), <, 140);
    g_assert_true(strstr(error->message, "'...: unknown dtype 'X'") != NULL);
    g_string_free(h, TRUE);
}

/* Names that need escaping in JSON survive the writer and the reader. */
static void test_awkward_names(void)
{
    const char *names[] = {"", "a\"b", "back\\slash", "new\nline", "tab\t", "\x01\x1f\x7f",
                           "/slash/", "caf\xc3\xa9", "\xf0\x9f\x98\x80", "__metadata", "{}[]:,"};
    float v[G_N_ELEMENTS(names)];
    g_autoptr(dg_st_writer) w = dg_st_writer_new();
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        v[i] = (float)i;
        const int64_t one = 1;
        dg_st_writer_add(w, names[i], DG_ST_F32, 1, &one, &v[i]);
    }
    dg_st_writer_set_metadata(w, "k\"\n", "v\\\x01\xe2\x9c\x93");
    g_autoptr(GError) error = NULL;
    GBytes *b = dg_st_writer_to_bytes(w, &error);
    g_assert_no_error(error);
    g_autoptr(dg_st) st = dg_st_parse(b, &error);
    g_bytes_unref(b);
    g_assert_no_error(error);
    g_assert_cmpint(dg_st_n_tensors(st), ==, G_N_ELEMENTS(names));
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        const dg_st_tensor *t = dg_st_find(st, names[i]);
        g_assert_nonnull(t);
        g_assert_cmpfloat(*(const float *)t->data, ==, (float)i);
    }
    g_assert_cmpstr(dg_st_metadata(st, "k\"\n"), ==, "v\\\x01\xe2\x9c\x93");
}

static void test_all_dtypes(void)
{
    guint8 data[8 * 3];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (guint8)(i * 37 + 1);
    g_autoptr(dg_st_writer) w = dg_st_writer_new();
    for (int d = 0; d < DG_ST_N_DTYPES; d++) {
        const int64_t shape[] = {3};
        g_assert_nonnull(dg_st_dtype_name(d));
        dg_st_writer_add(w, dg_st_dtype_name(d), d, 1, shape, data);
    }
    g_assert_null(dg_st_dtype_name(DG_ST_N_DTYPES));
    g_assert_cmpuint(dg_st_dtype_size(DG_ST_N_DTYPES), ==, 0);
    GBytes *b = dg_st_writer_to_bytes(w, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(dg_st) st = dg_st_parse(b, &error);
    g_bytes_unref(b);
    g_assert_no_error(error);
    g_assert_cmpint(dg_st_n_tensors(st), ==, DG_ST_N_DTYPES);
    size_t prev = 8;
    for (int i = 0; i < DG_ST_N_DTYPES; i++) {
        const dg_st_tensor *t = dg_st_tensor_at(st, i);
        /* stored by dtype descending: U64 first, BOOL last */
        g_assert_cmpint(t->dtype, ==, DG_ST_N_DTYPES - 1 - i);
        g_assert_cmpstr(t->name, ==, dg_st_dtype_name(t->dtype));
        size_t size = dg_st_dtype_size(t->dtype);
        g_assert_cmpuint(size, <=, prev);
        prev = size;
        g_assert_cmpuint(t->nbytes, ==, 3 * size);
        g_assert_cmpuint((uintptr_t)t->data % size, ==, 0);
        g_assert_cmpmem(t->data, t->nbytes, data, 3 * size);
    }
}

static void test_writer_misuse(void)
{
    g_autoptr(dg_st_writer) w = dg_st_writer_new();
    float x[2] = {1, 2};
    const int64_t s2[] = {2}, neg[] = {-1}, huge[] = {INT64_MAX, INT64_MAX};
    dg_st_writer_add(w, "x", DG_ST_F32, 1, s2, x);

    g_test_expect_message("dermagan", G_LOG_LEVEL_CRITICAL, "*tensor 'x' was already added*");
    dg_st_writer_add(w, "x", DG_ST_F32, 1, s2, x);
    g_test_assert_expected_messages();

    g_test_expect_message("dermagan", G_LOG_LEVEL_CRITICAL, "*__metadata__*");
    dg_st_writer_add(w, "__metadata__", DG_ST_F32, 1, s2, x);
    g_test_assert_expected_messages();

    g_test_expect_message("dermagan", G_LOG_LEVEL_CRITICAL, "*shape[i] >= 0*");
    dg_st_writer_add(w, "neg", DG_ST_F32, 1, neg, x);
    g_test_assert_expected_messages();

    g_test_expect_message("dermagan", G_LOG_LEVEL_CRITICAL, "*byte size overflows*");
    dg_st_writer_add(w, "huge", DG_ST_F32, 2, huge, x);
    g_test_assert_expected_messages();

    g_test_expect_message("dermagan", G_LOG_LEVEL_CRITICAL, "*ndim*");
    dg_st_writer_add(w, "deep", DG_ST_F32, 9, huge, x);
    g_test_assert_expected_messages();

    g_test_expect_message("dermagan", G_LOG_LEVEL_CRITICAL, "*data != NULL*");
    dg_st_writer_add(w, "null", DG_ST_F32, 1, s2, NULL);
    g_test_assert_expected_messages();

    g_test_expect_message("dermagan", G_LOG_LEVEL_CRITICAL, "*g_utf8_validate*");
    dg_st_writer_add(w, "\xff", DG_ST_F32, 1, s2, x);
    g_test_assert_expected_messages();

    /* Only the first tensor made it. */
    GBytes *b = dg_st_writer_to_bytes(w, NULL);
    g_autoptr(dg_st) st = dg_st_parse(b, NULL);
    g_bytes_unref(b);
    g_assert_cmpint(dg_st_n_tensors(st), ==, 1);
    g_assert_cmpstr(dg_st_tensor_at(st, 0)->name, ==, "x");
}

/* ---- interop with Python (standard library; torch where installed) ---- */

static gboolean run_python(const char *mode, const char *file, char **out)
{
    g_autofree char *script = g_test_build_filename(G_TEST_DIST, "models", "fixtures",
                                                    "safetensors_interop.py", NULL);
    const char *argv[] = {"/usr/bin/python3", script, mode, file, NULL};
    g_autofree char *err = NULL;
    int status = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err,
                               &status, &error));
    g_assert_no_error(error);
    if (err && *err)
        g_test_message("python stderr: %s", err);
    return g_spawn_check_wait_status(status, NULL);
}

static void test_python_reads_ours(void)
{
    if (!g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("/usr/bin/python3 is not installed");
        return;
    }
    interop_data d;
    interop_fill(&d);
    g_autofree char *dir = g_dir_make_tmp("dg-st-py-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "ours.safetensors", NULL);
    g_autoptr(dg_st_writer) w = interop_writer(&d, TRUE);
    g_autoptr(GError) error = NULL;
    g_assert_true(dg_st_writer_save(w, path, &error));
    g_assert_no_error(error);
    g_autofree char *out = NULL;
    gboolean ok = run_python("check", path, &out);
    g_test_message("%s", out ? g_strstrip(out) : "");
    g_assert_true(ok);

    /* The checker must be able to fail: a changed value is caught. */
    d.conv_b[1] = 2.5f;
    g_assert_true(dg_st_writer_save(w, path, &error));
    g_assert_false(run_python("check", path, NULL));
    g_unlink(path);
    g_rmdir(dir);
}

static void test_we_read_python(void)
{
    if (!g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("/usr/bin/python3 is not installed");
        return;
    }
    g_autofree char *dir = g_dir_make_tmp("dg-st-py-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "theirs.safetensors", NULL);
    g_assert_true(run_python("write", path, NULL));
    g_autoptr(GError) error = NULL;
    g_autoptr(dg_st) st = dg_st_load(path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(dg_st_n_tensors(st), ==, 7);
    g_assert_cmpstr(dg_st_metadata(st, "format"), ==, "pt");
    g_assert_cmpstr(dg_st_metadata(st, "note"), ==, "written by python \xe2\x9c\x93");

    float w[12];
    const int64_t s34[] = {3, 4};
    g_assert_true(dg_st_get_f32(st, "fc.weight", 2, s34, w, &error));
    g_assert_no_error(error);
    for (int i = 0; i < 12; i++)
        g_assert_cmpfloat(w[i], ==, (float)(i - 6) / 8.0f);

    const dg_st_tensor *t = dg_st_find(st, "fc.bias");
    g_assert_cmpint(t->dtype, ==, DG_ST_F64);
    const double *bias = t->data;
    g_assert_cmpfloat(bias[0], ==, 1.0 / 3.0);
    g_assert_cmpfloat(bias[1], ==, -2.0 / 3.0);
    g_assert_cmpfloat(bias[2], ==, 1e-300);

    t = dg_st_find(st, "counts");
    g_assert_cmpint(t->dtype, ==, DG_ST_I64);
    g_assert_cmpint(((const int64_t *)t->data)[0], ==, -(INT64_C(1) << 62));
    g_assert_cmpint(((const int64_t *)t->data)[1], ==, INT64_C(1) << 62);
    t = dg_st_find(st, "idx");
    g_assert_cmpint(t->dtype, ==, DG_ST_U64);
    g_assert_cmpuint(((const uint64_t *)t->data)[0], ==, UINT64_MAX);
    t = dg_st_find(st, "flags");
    g_assert_cmpint(t->dtype, ==, DG_ST_BOOL);
    g_assert_cmpmem(t->data, 2, "\x01\x00", 2);
    t = dg_st_find(st, "half");
    g_assert_cmpint(t->dtype, ==, DG_ST_F16);
    g_assert_cmpmem(t->data, 4, "\x00\x3c\x00\xc0", 4); /* 1.0, -2.0 in binary16 */
    t = dg_st_find(st, "zero");
    g_assert_cmpint(t->dtype, ==, DG_ST_U8);
    g_assert_cmpint(t->numel, ==, 0);

    /* Same tensors through our writer: byte-identical data and tensor
     * order (the header may differ only in metadata key order, which the
     * Python library leaves to its hash map). */
    g_autoptr(dg_st_writer) wr = dg_st_writer_new();
    for (int i = 0; i < dg_st_n_tensors(st); i++) {
        const dg_st_tensor *x = dg_st_tensor_at(st, i);
        dg_st_writer_add(wr, x->name, x->dtype, x->ndim, x->shape, x->data);
    }
    dg_st_writer_set_metadata(wr, "format", "pt");
    dg_st_writer_set_metadata(wr, "note", "written by python \xe2\x9c\x93");
    GBytes *ours = dg_st_writer_to_bytes(wr, NULL);
    g_autofree char *theirs = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(path, &theirs, &len, NULL));
    g_assert_cmpmem(g_bytes_get_data(ours, NULL), g_bytes_get_size(ours), theirs, len);
    g_bytes_unref(ours);
    g_unlink(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/models/safetensors/roundtrip", test_roundtrip);
    g_test_add_func("/models/safetensors/get-f32", test_get_f32);
    g_test_add_func("/models/safetensors/save-load", test_save_load);
    g_test_add_func("/models/safetensors/unaligned", test_unaligned);
    g_test_add_func("/models/safetensors/valid-edge-cases", test_valid_edge_cases);
    g_test_add_func("/models/safetensors/bad-framing", test_bad_framing);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/models/safetensors/bad/%02zu-%s", i, bad_cases[i].what);
        for (char *p = path; *p; p++)
            if (*p == ' ')
                *p = '-';
        g_test_add_data_func(path, &bad_cases[i], test_bad_header);
    }
    g_test_add_func("/models/safetensors/long-name-message", test_long_name_message);
    g_test_add_func("/models/safetensors/awkward-names", test_awkward_names);
    g_test_add_func("/models/safetensors/all-dtypes", test_all_dtypes);
    g_test_add_func("/models/safetensors/writer-misuse", test_writer_misuse);
    g_test_add_func("/models/safetensors/python-reads-ours", test_python_reads_ours);
    g_test_add_func("/models/safetensors/we-read-python", test_we_read_python);
    return g_test_run();
}

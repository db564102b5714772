/* dg-safetensors.c: the dtypes, and reading safetensors files (see
 * dg-safetensors.h).  The header's strict JSON check is in
 * dg-safetensors-header.c, the writer in dg-safetensors-writer.c. */
#include "dg-safetensors-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(dg-st-error-quark, dg_st_error)

/* Characters of a name quoted in an error message. */
#define MAX_QUOTED 80

static const struct {
    const char *name;
    size_t size;
} dtypes[DG_ST_N_DTYPES] = {
    [DG_ST_BOOL] = {"BOOL", 1},     [DG_ST_U8] = {"U8", 1},
    [DG_ST_I8] = {"I8", 1},         [DG_ST_F8_E5M2] = {"F8_E5M2", 1},
    [DG_ST_F8_E4M3] = {"F8_E4M3", 1}, [DG_ST_I16] = {"I16", 2},
    [DG_ST_U16] = {"U16", 2},       [DG_ST_F16] = {"F16", 2},
    [DG_ST_BF16] = {"BF16", 2},     [DG_ST_I32] = {"I32", 4},
    [DG_ST_U32] = {"U32", 4},       [DG_ST_F32] = {"F32", 4},
    [DG_ST_F64] = {"F64", 8},       [DG_ST_I64] = {"I64", 8},
    [DG_ST_U64] = {"U64", 8},
};

const char *dg_st_dtype_name(dg_st_dtype dtype)
{
    return (unsigned)dtype < DG_ST_N_DTYPES ? dtypes[dtype].name : NULL;
}

size_t dg_st_dtype_size(dg_st_dtype dtype)
{
    return (unsigned)dtype < DG_ST_N_DTYPES ? dtypes[dtype].size : 0;
}

static gboolean dtype_from_name(const char *name, dg_st_dtype *out)
{
    for (int i = 0; i < DG_ST_N_DTYPES; i++) {
        if (strcmp(dtypes[i].name, name) == 0) {
            *out = (dg_st_dtype)i;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean dg_st_shape_size(int ndim, const int64_t *shape, size_t elem, int64_t *numel,
                          size_t *nbytes)
{
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || !g_uint64_checked_mul(&n, n, (uint64_t)shape[i]))
            return FALSE;
    }
    uint64_t b;
    if (n > (uint64_t)INT64_MAX || !g_uint64_checked_mul(&b, n, elem) || b > SIZE_MAX)
        return FALSE;
    *numel = (int64_t)n;
    *nbytes = (size_t)b;
    return TRUE;
}

char *dg_st_quoted(const char *s)
{
    if (!s)
        return g_strdup("none");
    GString *q = g_string_new("'");
    const char *p = s;
    int chars = 0;
    while (*p && chars < MAX_QUOTED) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f) {
            g_string_append_printf(q, "\\x%02x", c);
            p++;
        } else if (c < 0x80) {
            g_string_append_c(q, (char)c);
            p++;
        } else {
            const char *next = g_utf8_find_next_char(p, NULL);
            g_string_append_len(q, p, next - p);
            p = next;
        }
        chars++;
    }
    g_string_append(q, *p ? "'..." : "'");
    return g_string_free(q, FALSE);
}

int dg_st_cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void fmt_shape(GString *s, int ndim, const int64_t *shape)
{
    g_string_append_c(s, '[');
    for (int i = 0; i < ndim; i++)
        g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
    g_string_append_c(s, ']');
}

/* ---- reading ---------------------------------------------------------- */

struct dg_st {
    GBytes *bytes;          /* the file, when the data buffer is used in place */
    guint8 *own;            /* aligned copy of the data buffer otherwise */
    dg_st_tensor *tensors;  /* n, in data order */
    int n;
    GHashTable *by_name;    /* name -> dg_st_tensor* */
    char **meta_keys;       /* sorted, NULL-terminated */
    GHashTable *meta;       /* key -> value (keys owned by meta_keys) */
};

typedef struct {
    dg_st_tensor t;
    uint64_t begin, end;
} entry;

void dg_st_free(dg_st *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->n; i++)
        g_free((char *)st->tensors[i].name);
    g_free(st->tensors);
    if (st->by_name)
        g_hash_table_destroy(st->by_name);
    if (st->meta)
        g_hash_table_destroy(st->meta);
    g_strfreev(st->meta_keys);
    g_free(st->own);
    if (st->bytes)
        g_bytes_unref(st->bytes);
    g_free(st);
}

static gboolean get_uint(JsonNode *node, int64_t *out)
{
    if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
        return FALSE;
    *out = json_node_get_int(node);
    return *out >= 0;
}

static gboolean parse_metadata(dg_st *st, JsonNode *node, GError **error)
{
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_METADATA, "__metadata__ is not an object");
        return FALSE;
    }
    JsonObject *o = json_node_get_object(node);
    JsonNode *offsets = json_object_get_member(o, "data_offsets");
    if (offsets && !JSON_NODE_HOLDS_VALUE(offsets)) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_METADATA,
                    "a tensor may not be named __metadata__ (the name is reserved)");
        return FALSE;
    }
    GList *names = json_object_get_members(o);
    guint n = json_object_get_size(o), i = 0;
    st->meta_keys = g_new0(char *, n + 1);
    for (GList *l = names; l; l = l->next) {
        JsonNode *v = json_object_get_member(o, l->data);
        if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_STRING) {
            char *q = dg_st_quoted(l->data);
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_METADATA,
                        "__metadata__ value of %s is not a string", q);
            g_free(q);
            g_list_free(names);
            return FALSE;
        }
        st->meta_keys[i] = g_strdup(l->data);
        g_hash_table_insert(st->meta, st->meta_keys[i], g_strdup(json_node_get_string(v)));
        i++;
    }
    g_list_free(names);
    qsort(st->meta_keys, i, sizeof(char *), dg_st_cmp_str_ptr);
    return TRUE;
}

static gboolean parse_tensor(entry *e, const char *name, JsonNode *node, uint64_t buf_size,
                             GError **error)
{
    char *q = dg_st_quoted(name);
    gboolean ok = FALSE;
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    if (!o) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR, "tensor %s: entry is not an object", q);
        goto out;
    }

    JsonNode *dt = json_object_get_member(o, "dtype");
    if (!dt || !JSON_NODE_HOLDS_VALUE(dt) || json_node_get_value_type(dt) != G_TYPE_STRING) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR, "tensor %s: dtype missing or not a string", q);
        goto out;
    }
    if (!dtype_from_name(json_node_get_string(dt), &e->t.dtype)) {
        char *d = dg_st_quoted(json_node_get_string(dt));
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR, "tensor %s: unknown dtype %s", q, d);
        g_free(d);
        goto out;
    }

    JsonNode *sh = json_object_get_member(o, "shape");
    JsonArray *sa = sh && JSON_NODE_HOLDS_ARRAY(sh) ? json_node_get_array(sh) : NULL;
    if (!sa) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR, "tensor %s: shape missing or not an array", q);
        goto out;
    }
    guint ndim = json_array_get_length(sa);
    if (ndim > DG_ST_MAX_DIMS) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR,
                    "tensor %s: shape has %u dimensions (at most %d)", q, ndim, DG_ST_MAX_DIMS);
        goto out;
    }
    e->t.ndim = (int)ndim;
    for (guint i = 0; i < ndim; i++) {
        if (!get_uint(json_array_get_element(sa, i), &e->t.shape[i])) {
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR,
                        "tensor %s: shape must be an array of non-negative integers", q);
            goto out;
        }
    }
    if (!dg_st_shape_size(e->t.ndim, e->t.shape, dg_st_dtype_size(e->t.dtype), &e->t.numel, &e->t.nbytes)) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR, "tensor %s: element count overflows", q);
        goto out;
    }

    JsonNode *of = json_object_get_member(o, "data_offsets");
    JsonArray *oa = of && JSON_NODE_HOLDS_ARRAY(of) ? json_node_get_array(of) : NULL;
    int64_t begin, end;
    if (!oa || json_array_get_length(oa) != 2 || !get_uint(json_array_get_element(oa, 0), &begin) ||
        !get_uint(json_array_get_element(oa, 1), &end)) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR,
                    "tensor %s: data_offsets must be two non-negative integers", q);
        goto out;
    }
    if (begin > end) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR,
                    "tensor %s: data_offsets begin %" G_GINT64_FORMAT " > end %" G_GINT64_FORMAT,
                    q, begin, end);
        goto out;
    }
    if ((uint64_t)end > buf_size) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR,
                    "tensor %s: data_offsets end %" G_GINT64_FORMAT
                    " is beyond the %" G_GUINT64_FORMAT "-byte data buffer", q, end, buf_size);
        goto out;
    }
    e->begin = (uint64_t)begin;
    e->end = (uint64_t)end;
    if (e->end - e->begin != e->t.nbytes) {
        GString *s = g_string_new(NULL);
        fmt_shape(s, e->t.ndim, e->t.shape);
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TENSOR,
                    "tensor %s: data_offsets span %" G_GUINT64_FORMAT " bytes but shape %s of %s needs %zu",
                    q, e->end - e->begin, s->str, dg_st_dtype_name(e->t.dtype), e->t.nbytes);
        g_string_free(s, TRUE);
        goto out;
    }
    ok = TRUE;
out:
    g_free(q);
    return ok;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return strcmp(x->t.name, y->t.name);
}

static gboolean check_layout(const entry *es, int n, uint64_t buf_size, GError **error)
{
    uint64_t at = 0;
    for (int i = 0; i < n; i++) {
        if (es[i].begin != at) {
            char *q = dg_st_quoted(es[i].t.name);
            if (es[i].begin > at)
                g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_LAYOUT,
                            "hole of %" G_GUINT64_FORMAT " bytes in the data buffer before tensor %s",
                            es[i].begin - at, q);
            else {
                char *p = dg_st_quoted(es[i - 1].t.name);
                g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_LAYOUT,
                            "tensors %s and %s overlap in the data buffer", p, q);
                g_free(p);
            }
            g_free(q);
            return FALSE;
        }
        at = es[i].end;
    }
    if (at != buf_size) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_LAYOUT,
                    "%" G_GUINT64_FORMAT " bytes at the end of the data buffer belong to no tensor",
                    buf_size - at);
        return FALSE;
    }
    return TRUE;
}

dg_st *dg_st_parse(GBytes *bytes, GError **error)
{
    g_return_val_if_fail(bytes != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    gsize size = 0;
    const guint8 *base = g_bytes_get_data(bytes, &size);
    if (size < 8) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TRUNCATED,
                    "file is %zu bytes, shorter than the 8-byte header length", (size_t)size);
        return NULL;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | base[i];
    if (hlen > DG_ST_MAX_HEADER_SIZE) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                    "header length %" G_GUINT64_FORMAT " exceeds the limit of %" G_GUINT64_FORMAT " bytes",
                    hlen, DG_ST_MAX_HEADER_SIZE);
        return NULL;
    }
    if (hlen > size - 8) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TRUNCATED,
                    "header length %" G_GUINT64_FORMAT " is larger than the rest of the file (%zu bytes)",
                    hlen, (size_t)(size - 8));
        return NULL;
    }
    const uint64_t buf_size = size - 8 - hlen;
    const guint8 *buf = base + 8 + hlen;

    /* A NUL-terminated copy for the parsers (json-glib is not built with
     * sanitizers; never hand it an unterminated buffer). */
    char *text = g_malloc(hlen + 1);
    memcpy(text, base + 8, hlen);
    text[hlen] = '\0';
    JsonParser *parser = NULL;
    JsonObject *root = dg_st_parse_header(text, hlen, &parser, error);
    g_free(text);
    if (!root)
        return NULL;

    dg_st *st = g_new0(dg_st, 1);
    st->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    st->meta = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    guint members = json_object_get_size(root);
    entry *es = g_new0(entry, members ? members : 1);
    int n = 0;
    gboolean ok = TRUE;
    GList *names = json_object_get_members(root);
    for (GList *l = names; l && ok; l = l->next) {
        const char *name = l->data;
        JsonNode *node = json_object_get_member(root, name);
        if (strcmp(name, "__metadata__") == 0) {
            ok = parse_metadata(st, node, error);
            continue;
        }
        es[n].t.name = g_strdup(name);
        ok = parse_tensor(&es[n], name, node, buf_size, error);
        n++;
    }
    g_list_free(names);
    g_object_unref(parser);
    if (!st->meta_keys)
        st->meta_keys = g_new0(char *, 1);

    if (ok) {
        qsort(es, n, sizeof(entry), cmp_entry);
        ok = check_layout(es, n, buf_size, error);
    }
    if (!ok) {
        for (int i = 0; i < n; i++)
            g_free((char *)es[i].t.name);
        g_free(es);
        dg_st_free(st);
        return NULL;
    }

    /* Keep the data buffer 8-byte aligned. */
    const guint8 *data = NULL;
    if (buf_size > 0) {
        if (((uintptr_t)buf & 7) == 0) {
            st->bytes = g_bytes_ref(bytes);
            data = buf;
        } else {
            st->own = g_malloc(buf_size);
            memcpy(st->own, buf, buf_size);
            data = st->own;
        }
    }
    st->n = n;
    st->tensors = g_new0(dg_st_tensor, n ? n : 1);
    for (int i = 0; i < n; i++) {
        st->tensors[i] = es[i].t;
        st->tensors[i].data = es[i].t.nbytes > 0 ? data + es[i].begin : NULL;
        g_hash_table_insert(st->by_name, (char *)st->tensors[i].name, &st->tensors[i]);
    }
    g_free(es);
    return st;
}

dg_st *dg_st_load(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    char *display = g_filename_display_name(path);
    dg_st *st = NULL;
    guint8 *data = NULL;
    /* O_NONBLOCK: opening a FIFO must not hang (it is refused below). */
    int fd = g_open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
    if (fd < 0) {
        int err = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s", display,
                    g_strerror(err));
        goto out;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int err = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s", display,
                    g_strerror(err));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        g_set_error(error, G_FILE_ERROR, S_ISDIR(sb.st_mode) ? G_FILE_ERROR_ISDIR : G_FILE_ERROR_INVAL,
                    "%s: not a regular file", display);
        goto out;
    }
    if ((uint64_t)sb.st_size > DG_ST_MAX_FILE_SIZE) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TOO_LARGE,
                    "%s: %" G_GUINT64_FORMAT " bytes is over the %" G_GUINT64_FORMAT "-byte limit for model files",
                    display, (uint64_t)sb.st_size, DG_ST_MAX_FILE_SIZE);
        goto out;
    }
    size_t size = (size_t)sb.st_size, got = 0;
    data = g_malloc(size ? size : 1);
    while (got < size) {
        ssize_t r = read(fd, data + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s", display,
                        g_strerror(err));
            goto out;
        }
        if (r == 0)
            break; /* the file shrank: parse what is there */
        got += (size_t)r;
    }
    GBytes *bytes = g_bytes_new_take(data, got);
    data = NULL;
    st = dg_st_parse(bytes, error);
    g_bytes_unref(bytes);
    if (!st)
        g_prefix_error(error, "%s: ", display);
out:
    if (fd >= 0)
        close(fd);
    g_free(data);
    g_free(display);
    return st;
}

int dg_st_n_tensors(const dg_st *st)
{
    g_return_val_if_fail(st != NULL, 0);
    return st->n;
}

const dg_st_tensor *dg_st_tensor_at(const dg_st *st, int i)
{
    g_return_val_if_fail(st != NULL, NULL);
    g_return_val_if_fail(i >= 0 && i < st->n, NULL);
    return &st->tensors[i];
}

const dg_st_tensor *dg_st_find(const dg_st *st, const char *name)
{
    g_return_val_if_fail(st != NULL && name != NULL, NULL);
    return g_hash_table_lookup(st->by_name, name);
}

const char *dg_st_metadata(const dg_st *st, const char *key)
{
    g_return_val_if_fail(st != NULL && key != NULL, NULL);
    return g_hash_table_lookup(st->meta, key);
}

const char *const *dg_st_metadata_keys(const dg_st *st)
{
    g_return_val_if_fail(st != NULL, NULL);
    return (const char *const *)st->meta_keys;
}

gboolean dg_st_get_f32(const dg_st *st, const char *name, int ndim, const int64_t *expected_shape,
                       float *out, GError **error)
{
    g_return_val_if_fail(st != NULL && name != NULL, FALSE);
    g_return_val_if_fail(ndim >= 0 && (ndim == 0 || expected_shape != NULL), FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    const dg_st_tensor *t = dg_st_find(st, name);
    char *q = dg_st_quoted(name);
    gboolean ok = FALSE;
    if (!t) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_NOT_FOUND, "no tensor named %s", q);
        goto out;
    }
    if (t->dtype != DG_ST_F32) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_MISMATCH, "tensor %s is %s, expected F32", q,
                    dg_st_dtype_name(t->dtype));
        goto out;
    }
    gboolean same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = t->shape[i] == expected_shape[i];
    if (!same) {
        GString *s = g_string_new(NULL);
        fmt_shape(s, t->ndim, t->shape);
        g_string_append(s, ", expected ");
        fmt_shape(s, ndim, expected_shape);
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_MISMATCH, "tensor %s has shape %s", q, s->str);
        g_string_free(s, TRUE);
        goto out;
    }
    if (!out && t->numel > 0) {
        g_critical("dg_st_get_f32: out is NULL for tensor %s", q);
        goto out;
    }
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    if (t->nbytes)
        memcpy(out, t->data, t->nbytes);
#else
    const guint8 *p = t->data;
    for (int64_t i = 0; i < t->numel; i++) {
        guint32 u;
        memcpy(&u, p + 4 * i, 4);
        u = GUINT32_FROM_LE(u);
        memcpy(&out[i], &u, 4);
    }
#endif
    ok = TRUE;
out:
    g_free(q);
    return ok;
}

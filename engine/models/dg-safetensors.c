/* dg-safetensors.c: reading and writing safetensors files. */
#include "dg-safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(dg-st-error-quark, dg_st_error)

/* Longest nesting the header may have; a valid header needs 3. */
#define MAX_JSON_DEPTH 64
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

/* numel and byte size of a shape, FALSE on overflow (or a negative dim). */
static gboolean shape_size(int ndim, const int64_t *shape, size_t elem, int64_t *numel,
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

/* A name made safe for a one-line message: control characters escaped,
 * long names cut at a character boundary. */
static char *quoted(const char *s)
{
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

static void fmt_shape(GString *s, int ndim, const int64_t *shape)
{
    g_string_append_c(s, '[');
    for (int i = 0; i < ndim; i++)
        g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
    g_string_append_c(s, ']');
}

/* ---- strict JSON pass ------------------------------------------------
 *
 * json-glib is lenient (comments, single quotes, 0x10, .5, raw control
 * characters, integers that silently wrap, "\u0000" truncating a key) and
 * keeps the last of duplicate keys.  Before json-glib sees the header, this
 * pass checks it against RFC 8259, bounds the nesting depth, rejects
 * integers outside int64, lone surrogates and \u0000, detects duplicate keys
 * in every object (decoded, so "\u0061" and "a" collide) and records each
 * object's member count in document order.  Afterwards the json-glib tree is
 * checked against those counts, so both parsers are known to agree. */

typedef struct {
    const char *s;
    size_t n, pos;
    GArray *counts; /* guint, one per object, pre-order */
    GError **error;
} jscan;

static gboolean jfail(jscan *js, const char *what)
{
    if (js->pos >= js->n)
        g_set_error(js->error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                    "header is not valid JSON: %s at the end of the header", what);
    else
        g_set_error(js->error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                    "header is not valid JSON: %s at byte %zu", what, js->pos);
    return FALSE;
}

static void jskip_ws(jscan *js)
{
    while (js->pos < js->n) {
        char c = js->s[js->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        js->pos++;
    }
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A string at js->pos (the opening quote); decoded into out when non-NULL. */
static gboolean jstring(jscan *js, GString *out)
{
    js->pos++; /* opening quote */
    for (;;) {
        if (js->pos >= js->n)
            return jfail(js, "unterminated string");
        unsigned char c = (unsigned char)js->s[js->pos];
        if (c == '"') {
            js->pos++;
            return TRUE;
        }
        if (c < 0x20)
            return jfail(js, "control character in string");
        if (c != '\\') {
            if (out)
                g_string_append_c(out, (char)c);
            js->pos++;
            continue;
        }
        if (js->pos + 1 >= js->n)
            return jfail(js, "unterminated string");
        char e = js->s[js->pos + 1];
        const char *plain = strchr("\"\\/bfnrt", e);
        if (e != '\0' && plain) {
            if (out)
                g_string_append_c(out, "\"\\/\b\f\n\r\t"[plain - "\"\\/bfnrt"]);
            js->pos += 2;
            continue;
        }
        if (e != 'u')
            return jfail(js, "invalid escape in string");
        if (js->pos + 6 > js->n)
            return jfail(js, "truncated \\u escape");
        int cp = hex4(js->s + js->pos + 2);
        if (cp < 0)
            return jfail(js, "invalid \\u escape");
        if (cp == 0)
            return jfail(js, "\\u0000 in string");
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return jfail(js, "unpaired surrogate in \\u escape");
        size_t len = 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            int lo = -1;
            if (js->pos + 12 <= js->n && js->s[js->pos + 6] == '\\' && js->s[js->pos + 7] == 'u')
                lo = hex4(js->s + js->pos + 8);
            if (lo < 0xDC00 || lo > 0xDFFF)
                return jfail(js, "unpaired surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            len = 12;
        }
        if (out)
            g_string_append_unichar(out, (gunichar)cp);
        js->pos += len;
    }
}

static gboolean jnumber(jscan *js)
{
    size_t start = js->pos;
    gboolean neg = FALSE, integer = TRUE;
    if (js->s[js->pos] == '-') {
        neg = TRUE;
        js->pos++;
    }
    size_t int_start = js->pos;
    if (js->pos < js->n && js->s[js->pos] == '0') {
        js->pos++;
    } else if (js->pos < js->n && js->s[js->pos] >= '1' && js->s[js->pos] <= '9') {
        while (js->pos < js->n && g_ascii_isdigit(js->s[js->pos]))
            js->pos++;
    } else {
        return jfail(js, "invalid number");
    }
    size_t int_end = js->pos;
    if (js->pos < js->n && js->s[js->pos] == '.') {
        integer = FALSE;
        js->pos++;
        if (js->pos >= js->n || !g_ascii_isdigit(js->s[js->pos]))
            return jfail(js, "invalid number");
        while (js->pos < js->n && g_ascii_isdigit(js->s[js->pos]))
            js->pos++;
    }
    if (js->pos < js->n && (js->s[js->pos] == 'e' || js->s[js->pos] == 'E')) {
        integer = FALSE;
        js->pos++;
        if (js->pos < js->n && (js->s[js->pos] == '+' || js->s[js->pos] == '-'))
            js->pos++;
        if (js->pos >= js->n || !g_ascii_isdigit(js->s[js->pos]))
            return jfail(js, "invalid number");
        while (js->pos < js->n && g_ascii_isdigit(js->s[js->pos]))
            js->pos++;
    }
    if (integer) {
        /* json-glib wraps integers outside int64 silently: refuse them. */
        uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (size_t i = int_start; i < int_end; i++) {
            uint64_t d = (uint64_t)(js->s[i] - '0');
            if (v > (limit - d) / 10) {
                js->pos = start;
                return jfail(js, "integer out of range");
            }
            v = v * 10 + d;
        }
    }
    return TRUE;
}

static gboolean jvalue(jscan *js, int depth, const char *parent_key);

static gboolean jobject(jscan *js, int depth, const char *parent_key)
{
    guint index = js->counts->len, count = 0;
    g_array_append_val(js->counts, count);
    js->pos++; /* { */
    jskip_ws(js);
    if (js->pos < js->n && js->s[js->pos] == '}') {
        js->pos++;
        return TRUE;
    }
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean ok = FALSE;
    for (;;) {
        jskip_ws(js);
        if (js->pos >= js->n || js->s[js->pos] != '"') {
            jfail(js, "expected a string key");
            break;
        }
        size_t key_pos = js->pos;
        GString *key = g_string_new(NULL);
        if (!jstring(js, key)) {
            g_string_free(key, TRUE);
            break;
        }
        char *k = g_string_free(key, FALSE);
        if (!g_hash_table_add(seen, k)) {
            char *q = quoted(k);
            if (depth == 1 && strcmp(k, "__metadata__") == 0)
                g_set_error(js->error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                            "duplicate __metadata__ in header");
            else if (depth == 1)
                g_set_error(js->error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                            "duplicate tensor name %s in header", q);
            else if (parent_key && depth == 2 && strcmp(parent_key, "__metadata__") == 0)
                g_set_error(js->error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                            "duplicate metadata key %s in header", q);
            else
                g_set_error(js->error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                            "duplicate key %s in header at byte %zu", q, key_pos);
            g_free(q);
            break;
        }
        jskip_ws(js);
        if (js->pos >= js->n || js->s[js->pos] != ':') {
            jfail(js, "expected ':'");
            break;
        }
        js->pos++;
        if (!jvalue(js, depth + 1, k))
            break;
        count++;
        jskip_ws(js);
        if (js->pos < js->n && js->s[js->pos] == ',') {
            js->pos++;
            continue;
        }
        if (js->pos < js->n && js->s[js->pos] == '}') {
            js->pos++;
            ok = TRUE;
        } else {
            jfail(js, "expected ',' or '}'");
        }
        break;
    }
    g_hash_table_destroy(seen);
    g_array_index(js->counts, guint, index) = count;
    return ok;
}

static gboolean jarray(jscan *js, int depth)
{
    js->pos++; /* [ */
    jskip_ws(js);
    if (js->pos < js->n && js->s[js->pos] == ']') {
        js->pos++;
        return TRUE;
    }
    for (;;) {
        if (!jvalue(js, depth + 1, NULL))
            return FALSE;
        jskip_ws(js);
        if (js->pos < js->n && js->s[js->pos] == ',') {
            js->pos++;
            continue;
        }
        if (js->pos < js->n && js->s[js->pos] == ']') {
            js->pos++;
            return TRUE;
        }
        return jfail(js, "expected ',' or ']'");
    }
}

static gboolean jliteral(jscan *js, const char *word)
{
    size_t len = strlen(word);
    if (js->n - js->pos < len || memcmp(js->s + js->pos, word, len) != 0)
        return jfail(js, "unexpected character");
    js->pos += len;
    return TRUE;
}

static gboolean jvalue(jscan *js, int depth, const char *parent_key)
{
    if (depth > MAX_JSON_DEPTH) {
        g_set_error(js->error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                    "header is nested more than %d levels deep", MAX_JSON_DEPTH);
        return FALSE;
    }
    jskip_ws(js);
    if (js->pos >= js->n)
        return jfail(js, "expected a value");
    switch (js->s[js->pos]) {
    case '{': return jobject(js, depth, parent_key);
    case '[': return jarray(js, depth);
    case '"': return jstring(js, NULL);
    case 't': return jliteral(js, "true");
    case 'f': return jliteral(js, "false");
    case 'n': return jliteral(js, "null");
    default:
        if (js->s[js->pos] == '-' || g_ascii_isdigit(js->s[js->pos]))
            return jnumber(js);
        return jfail(js, "unexpected character");
    }
}

/* Does the json-glib tree have the member counts the strict pass saw? */
static gboolean tree_matches(JsonNode *node, GArray *counts, guint *i)
{
    if (JSON_NODE_HOLDS_OBJECT(node)) {
        JsonObject *o = json_node_get_object(node);
        if (*i >= counts->len || json_object_get_size(o) != g_array_index(counts, guint, *i))
            return FALSE;
        (*i)++;
        GList *names = json_object_get_members(o);
        gboolean ok = TRUE;
        for (GList *l = names; l && ok; l = l->next)
            ok = tree_matches(json_object_get_member(o, l->data), counts, i);
        g_list_free(names);
        return ok;
    }
    if (JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray *a = json_node_get_array(node);
        guint len = json_array_get_length(a);
        for (guint k = 0; k < len; k++) {
            if (!tree_matches(json_array_get_element(a, k), counts, i))
                return FALSE;
        }
    }
    return TRUE;
}

/* Check the header text and parse it with json-glib; the root object's
 * node is returned (owned by *parser_out). */
static JsonObject *parse_header(const char *text, size_t n, JsonParser **parser_out,
                                GError **error)
{
    if (!g_utf8_validate_len(text, n, NULL)) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                    "header is not valid UTF-8 (or contains a NUL byte)");
        return NULL;
    }
    jscan js = {text, n, 0, g_array_new(FALSE, FALSE, sizeof(guint)), error};
    jskip_ws(&js);
    if (js.pos >= n || text[js.pos] != '{') {
        if (js.pos >= n)
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER, "header is empty");
        else
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER, "header is not a JSON object");
        g_array_free(js.counts, TRUE);
        return NULL;
    }
    if (!jvalue(&js, 1, NULL)) {
        g_array_free(js.counts, TRUE);
        return NULL;
    }
    jskip_ws(&js);
    if (js.pos != n) {
        jfail(&js, "trailing characters after the header object");
        g_array_free(js.counts, TRUE);
        return NULL;
    }

    JsonParser *parser = json_parser_new_immutable();
    GError *jerr = NULL;
    JsonObject *root = NULL;
    if (!json_parser_load_from_data(parser, text, (gssize)n, &jerr)) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER, "header is not valid JSON: %s",
                    jerr->message);
        g_error_free(jerr);
    } else {
        JsonNode *node = json_parser_get_root(parser);
        guint i = 0;
        if (!node || !JSON_NODE_HOLDS_OBJECT(node) || !tree_matches(node, js.counts, &i) ||
            i != js.counts->len)
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                        "header was read inconsistently by the JSON parser");
        else
            root = json_node_get_object(node);
    }
    g_array_free(js.counts, TRUE);
    if (!root) {
        g_object_unref(parser);
        return NULL;
    }
    *parser_out = parser;
    return root;
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

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
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
            char *q = quoted(l->data);
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
    qsort(st->meta_keys, i, sizeof(char *), cmp_str_ptr);
    return TRUE;
}

static gboolean parse_tensor(entry *e, const char *name, JsonNode *node, uint64_t buf_size,
                             GError **error)
{
    char *q = quoted(name);
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
        char *d = quoted(json_node_get_string(dt));
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
    if (!shape_size(e->t.ndim, e->t.shape, dg_st_dtype_size(e->t.dtype), &e->t.numel, &e->t.nbytes)) {
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
            char *q = quoted(es[i].t.name);
            if (es[i].begin > at)
                g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_LAYOUT,
                            "hole of %" G_GUINT64_FORMAT " bytes in the data buffer before tensor %s",
                            es[i].begin - at, q);
            else {
                char *p = quoted(es[i - 1].t.name);
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
    JsonObject *root = parse_header(text, hlen, &parser, error);
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
    char *q = quoted(name);
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

/* ---- writing ---------------------------------------------------------- */

typedef struct {
    char *name;
    dg_st_dtype dtype;
    int ndim;
    int64_t shape[DG_ST_MAX_DIMS];
    size_t nbytes;
    const void *data;
} wentry;

struct dg_st_writer {
    GArray *entries;   /* wentry */
    GHashTable *names; /* set of names (owned by entries) */
    GHashTable *meta;  /* key -> value, both owned */
};

dg_st_writer *dg_st_writer_new(void)
{
    dg_st_writer *w = g_new0(dg_st_writer, 1);
    w->entries = g_array_new(FALSE, FALSE, sizeof(wentry));
    w->names = g_hash_table_new(g_str_hash, g_str_equal);
    w->meta = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return w;
}

void dg_st_writer_free(dg_st_writer *w)
{
    if (!w)
        return;
    for (guint i = 0; i < w->entries->len; i++)
        g_free(g_array_index(w->entries, wentry, i).name);
    g_array_free(w->entries, TRUE);
    g_hash_table_destroy(w->names);
    g_hash_table_destroy(w->meta);
    g_free(w);
}

void dg_st_writer_add(dg_st_writer *w, const char *name, dg_st_dtype dtype, int ndim,
                      const int64_t *shape, const void *data)
{
    g_return_if_fail(w != NULL);
    g_return_if_fail(name != NULL && g_utf8_validate(name, -1, NULL));
    g_return_if_fail(strcmp(name, "__metadata__") != 0);
    g_return_if_fail((unsigned)dtype < DG_ST_N_DTYPES);
    g_return_if_fail(ndim >= 0 && ndim <= DG_ST_MAX_DIMS);
    g_return_if_fail(ndim == 0 || shape != NULL);
    if (g_hash_table_contains(w->names, name)) {
        g_critical("dg_st_writer_add: tensor '%s' was already added", name);
        return;
    }
    wentry e = {.dtype = dtype, .ndim = ndim, .data = data};
    int64_t numel;
    for (int i = 0; i < ndim; i++) {
        g_return_if_fail(shape[i] >= 0);
        e.shape[i] = shape[i];
    }
    if (!shape_size(ndim, e.shape, dtypes[dtype].size, &numel, &e.nbytes)) {
        g_critical("dg_st_writer_add: tensor '%s': byte size overflows", name);
        return;
    }
    g_return_if_fail(data != NULL || e.nbytes == 0);
    e.name = g_strdup(name);
    g_array_append_val(w->entries, e);
    g_hash_table_add(w->names, e.name);
}

void dg_st_writer_set_metadata(dg_st_writer *w, const char *key, const char *value)
{
    g_return_if_fail(w != NULL);
    g_return_if_fail(key != NULL && g_utf8_validate(key, -1, NULL));
    g_return_if_fail(value != NULL && g_utf8_validate(value, -1, NULL));
    g_hash_table_replace(w->meta, g_strdup(key), g_strdup(value));
}

/* Storage order, as in the Python library: dtype descending in the
 * dg_st_dtype order (which is the library's Dtype order, sorted by element
 * size), then name bytewise.  Every tensor thus starts at a multiple of its
 * element size. */
static int cmp_wentry(const void *a, const void *b)
{
    const wentry *x = *(const wentry *const *)a, *y = *(const wentry *const *)b;
    if (x->dtype != y->dtype)
        return x->dtype > y->dtype ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void copy_le(guint8 *dst, const void *src, size_t nbytes, size_t elem)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    (void)elem;
    memcpy(dst, src, nbytes);
#else
    const guint8 *s = src;
    for (size_t i = 0; i < nbytes; i += elem)
        for (size_t k = 0; k < elem; k++)
            dst[i + k] = s[i + elem - 1 - k];
#endif
}

/* json-glib 1.6's generator escapes every control character except U+001F,
 * which it writes raw: invalid JSON that strict readers (ours, the Python
 * library's) refuse.  A raw 0x1F byte can only come from inside a string
 * (UTF-8 never uses it in multi-byte sequences), so escape each one. */
static char *escape_unit_separator(char *text, gsize *len)
{
    if (!memchr(text, 0x1f, *len))
        return text;
    GString *s = g_string_sized_new(*len + 16);
    for (gsize i = 0; i < *len; i++) {
        if (text[i] == 0x1f)
            g_string_append(s, "\\u001f");
        else
            g_string_append_c(s, text[i]);
    }
    g_free(text);
    *len = s->len;
    return g_string_free(s, FALSE);
}

GBytes *dg_st_writer_to_bytes(dg_st_writer *w, GError **error)
{
    g_return_val_if_fail(w != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    guint n = w->entries->len;
    const wentry **order = g_new(const wentry *, n ? n : 1);
    for (guint i = 0; i < n; i++)
        order[i] = &g_array_index(w->entries, wentry, i);
    qsort(order, n, sizeof(*order), cmp_wentry);

    JsonBuilder *b = json_builder_new_immutable();
    json_builder_begin_object(b);
    guint nmeta = g_hash_table_size(w->meta);
    if (nmeta > 0) {
        char **keys = (char **)g_hash_table_get_keys_as_array(w->meta, NULL);
        qsort(keys, nmeta, sizeof(char *), cmp_str_ptr);
        json_builder_set_member_name(b, "__metadata__");
        json_builder_begin_object(b);
        for (guint i = 0; i < nmeta; i++) {
            json_builder_set_member_name(b, keys[i]);
            json_builder_add_string_value(b, g_hash_table_lookup(w->meta, keys[i]));
        }
        json_builder_end_object(b);
        g_free(keys);
    }
    uint64_t total = 0;
    gboolean too_large = FALSE;
    for (guint i = 0; i < n; i++) {
        const wentry *e = order[i];
        json_builder_set_member_name(b, e->name);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "dtype");
        json_builder_add_string_value(b, dtypes[e->dtype].name);
        json_builder_set_member_name(b, "shape");
        json_builder_begin_array(b);
        for (int k = 0; k < e->ndim; k++)
            json_builder_add_int_value(b, e->shape[k]);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "data_offsets");
        json_builder_begin_array(b);
        json_builder_add_int_value(b, (gint64)total);
        if (!g_uint64_checked_add(&total, total, e->nbytes) || total > DG_ST_MAX_FILE_SIZE) {
            too_large = TRUE; /* reported below; keep the offsets small meanwhile */
            total = 0;
        }
        json_builder_add_int_value(b, (gint64)total);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);

    JsonNode *root = json_builder_get_root(b);
    g_object_unref(b);
    JsonGenerator *gen = json_generator_new();
    json_generator_set_root(gen, root);
    gsize hlen = 0;
    char *header = json_generator_to_data(gen, &hlen);
    g_object_unref(gen);
    json_node_unref(root);
    header = escape_unit_separator(header, &hlen);

    size_t padded = (hlen + 7) & ~(size_t)7;
    if (too_large || padded > DG_ST_MAX_HEADER_SIZE ||
        8 + padded + total > DG_ST_MAX_FILE_SIZE) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_TOO_LARGE,
                    "the model is larger than the %" G_GUINT64_FORMAT "-byte limit for model files",
                    DG_ST_MAX_FILE_SIZE);
        g_free(header);
        g_free(order);
        return NULL;
    }
    size_t size = 8 + padded + (size_t)total;
    guint8 *out = g_malloc(size);
    for (int i = 0; i < 8; i++)
        out[i] = (guint8)((uint64_t)padded >> (8 * i));
    memcpy(out + 8, header, hlen);
    memset(out + 8 + hlen, ' ', padded - hlen);
    g_free(header);
    guint8 *p = out + 8 + padded;
    for (guint i = 0; i < n; i++) {
        if (order[i]->nbytes) {
            copy_le(p, order[i]->data, order[i]->nbytes, dtypes[order[i]->dtype].size);
            p += order[i]->nbytes;
        }
    }
    g_free(order);
    return g_bytes_new_take(out, size);
}

gboolean dg_st_writer_save(dg_st_writer *w, const char *path, GError **error)
{
    g_return_val_if_fail(w != NULL && path != NULL, FALSE);
    GBytes *bytes = dg_st_writer_to_bytes(w, error);
    if (!bytes)
        return FALSE;
    gsize size = 0;
    const guint8 *data = g_bytes_get_data(bytes, &size);
    gboolean ok = g_file_set_contents_full(path, (const char *)data, (gssize)size,
                                           G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                           0644, error);
    g_bytes_unref(bytes);
    return ok;
}

/* dg-json.c: JSON from outside, checked strictly with a bounded depth, then
 * parsed (see dg-json.h).  The strict pass is iterative only in width: it
 * recurses once per level, and stops at max_depth. */
#include "dg-json.h"

#include <stdint.h>
#include <string.h>


G_DEFINE_QUARK(dg-json-error-quark, dg_json_error)

typedef struct {
    const char *s;
    size_t n, pos;
    int max_depth;
    GArray *counts; /* guint, one per object, pre-order; may be NULL */
    dg_json_problem *problem;
} jscan;

static gboolean jfail(jscan *js, const char *what)
{
    js->problem->kind = DG_JSON_PROBLEM_SYNTAX;
    js->problem->what = what;
    js->problem->pos = MIN(js->pos, js->n);
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
    guint index = js->counts ? js->counts->len : 0, count = 0;
    if (js->counts)
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
            js->problem->kind = DG_JSON_PROBLEM_DUPLICATE_KEY;
            js->problem->pos = key_pos;
            js->problem->key = g_strdup(k);
            js->problem->parent_key = g_strdup(parent_key);
            js->problem->depth = depth;
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
    if (js->counts)
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
    if (depth > js->max_depth) {
        js->problem->kind = DG_JSON_PROBLEM_TOO_DEEP;
        js->problem->pos = js->pos;
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

gboolean dg_json_check_strict(const char *text, size_t n, int max_depth, GArray *counts,
                              dg_json_problem *problem)
{
    memset(problem, 0, sizeof *problem);
    jscan js = {text, n, 0, max_depth, counts, problem};
    if (!jvalue(&js, 1, NULL))
        return FALSE;
    jskip_ws(&js);
    if (js.pos != n)
        return jfail(&js, DG_JSON_TRAILING);
    return TRUE;
}

void dg_json_problem_clear(dg_json_problem *problem)
{
    g_clear_pointer(&problem->key, g_free);
    g_clear_pointer(&problem->parent_key, g_free);
}

gboolean dg_json_tree_matches(JsonNode *root, GArray *counts)
{
    guint i = 0;
    return root && tree_matches(root, counts, &i) && i == counts->len;
}

/* A key for a message: quoted, escaped, at most 64 bytes of it. */
static char *quoted(const char *key)
{
    g_autofree char *cut = g_strndup(key ? key : "", 64);
    g_autofree char *esc = g_strescape(cut, NULL);
    return g_strdup_printf("'%s'%s", esc, key && strlen(key) > 64 ? "..." : "");
}

JsonNode *dg_json_parse_bounded(const char *text, gssize len, int max_depth, GError **error)
{
    g_return_val_if_fail(text && max_depth >= 1, NULL);
    const size_t n = len < 0 ? strlen(text) : (size_t)len;
    if (!g_utf8_validate_len(text, n, NULL)) {
        g_set_error(error, DG_JSON_ERROR, DG_JSON_ERROR_INVALID,
                    "not valid UTF-8 (or contains a NUL byte)");
        return NULL;
    }
    GArray *counts = g_array_new(FALSE, FALSE, sizeof(guint));
    dg_json_problem pb;
    if (!dg_json_check_strict(text, n, max_depth, counts, &pb)) {
        g_array_free(counts, TRUE);
        if (pb.kind == DG_JSON_PROBLEM_TOO_DEEP) {
            g_set_error(error, DG_JSON_ERROR, DG_JSON_ERROR_TOO_DEEP,
                        "JSON is nested too deeply (more than %d levels)", max_depth);
        } else if (pb.kind == DG_JSON_PROBLEM_DUPLICATE_KEY) {
            g_autofree char *q = quoted(pb.key);
            g_set_error(error, DG_JSON_ERROR, DG_JSON_ERROR_INVALID,
                        "not valid JSON: duplicate key %s at byte %zu", q, pb.pos);
        } else if (pb.pos >= n) {
            g_set_error(error, DG_JSON_ERROR, DG_JSON_ERROR_INVALID,
                        "not valid JSON: %s at the end of the text", pb.what);
        } else {
            g_set_error(error, DG_JSON_ERROR, DG_JSON_ERROR_INVALID,
                        "not valid JSON: %s at byte %zu", pb.what, pb.pos);
        }
        dg_json_problem_clear(&pb);
        return NULL;
    }
    JsonParser *parser = json_parser_new();
    GError *jerr = NULL;
    JsonNode *root = NULL;
    if (!json_parser_load_from_data(parser, text, (gssize)n, &jerr)) {
        g_set_error(error, DG_JSON_ERROR, DG_JSON_ERROR_INVALID, "not valid JSON: %s",
                    jerr->message);
        g_error_free(jerr);
    } else {
        root = json_parser_steal_root(parser);
        if (!dg_json_tree_matches(root, counts)) {
            g_set_error(error, DG_JSON_ERROR, DG_JSON_ERROR_INVALID,
                        "JSON was read inconsistently by the JSON parser");
            g_clear_pointer(&root, json_node_unref);
        }
    }
    g_object_unref(parser);
    g_array_free(counts, TRUE);
    return root;
}

#include "dg-model-file.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "data/dg-json.h"

G_DEFINE_QUARK(dg-model-error-quark, dg_model_error)

char *dg_model_classes_json(const char *const *ids, const char *const *names, int n)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_array(b);
    for (int k = 0; k < n; k++) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, ids[k]);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, names && names[k] ? names[k] : ids[k]);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    JsonNode *root = json_builder_get_root(b);
    char *s = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    return s;
}

/* Control characters (line breaks, escapes) in a string that messages, the
 * CLI's lines and the window show. */
static gboolean has_control(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return TRUE;
    return FALSE;
}

/* Why a class id cannot name a folder or a file name part, or NULL.  Class
 * ids become paths: gan generate writes OUT/<id>/syn-<id>-....png, so ".."
 * would write beside OUT and "a/b" or "/abs" anywhere; '\' is a separator
 * where the folder may be copied to.  An ImageFolder data set's ids are its
 * folder names (never with '/', never starting with '.': hidden folders are
 * not classes), so they pass, spaces, dashes and any UTF-8 included; only a
 * folder name with a '\' in it would not. */
static const char *id_path_problem(const char *id)
{
    if (strchr(id, '/') || strchr(id, '\\'))
        return "has a '/' or '\\'";
    if (id[0] == '.')
        return "starts with '.'";
    return NULL;
}

static const char *string_member(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : NULL;
}

gboolean dg_model_parse_classes(const char *json, int n, char ***ids, char ***names,
                                GError **error)
{
    *ids = *names = NULL;
    if (n == 0 || n > DG_MODEL_MAX_CLASSES) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "the model has %d classes (1 to %d are allowed)", n, DG_MODEL_MAX_CLASSES);
        return FALSE;
    }
    GError *jerr = NULL;
    JsonNode *root = json ? dg_json_parse_bounded(json, -1, DG_JSON_MAX_DEPTH, &jerr) : NULL;
    if (jerr) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID, "the 'classes' metadata: %s",
                    jerr->message);
        g_error_free(jerr);
        return FALSE;
    }
    if (n < 0) { /* as many as it lists, within the limit */
        n = root && JSON_NODE_HOLDS_ARRAY(root) ? (int)json_array_get_length(json_node_get_array(root))
                                                : 0;
        if (n < 1 || n > DG_MODEL_MAX_CLASSES) {
            if (root)
                json_node_unref(root);
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "the 'classes' metadata lists %d classes (1 to %d are allowed)", n,
                        DG_MODEL_MAX_CLASSES);
            return FALSE;
        }
    }
    if (!root || !JSON_NODE_HOLDS_ARRAY(root) ||
        (int)json_array_get_length(json_node_get_array(root)) != n) {
        if (root)
            json_node_unref(root);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "the 'classes' metadata is missing or does not list %d classes", n);
        return FALSE;
    }
    JsonArray *a = json_node_get_array(root);
    char **I = g_new0(char *, n + 1), **N = g_new0(char *, n + 1);
    gboolean ok = TRUE;
    for (int k = 0; k < n && ok; k++) {
        JsonNode *e = json_array_get_element(a, k);
        JsonObject *o = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
        const char *id = string_member(o, "id"), *name = string_member(o, "name");
        if (!id || !*id || strlen(id) > DG_MODEL_MAX_ID_BYTES) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "class %d has no id, or one longer than %d bytes", k,
                        DG_MODEL_MAX_ID_BYTES);
            ok = FALSE;
            break;
        }
        if (has_control(id) || has_control(name)) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "class %d's id or name has a control character (a line break, ...)", k);
            ok = FALSE;
            break;
        }
        const char *bad = id_path_problem(id);
        if (bad) {
            g_autofree char *q = dg_st_quoted(id);
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "class %d's id %s cannot be a folder name: it %s", k, q, bad);
            ok = FALSE;
            break;
        }
        for (int j = 0; j < k; j++)
            if (strcmp(I[j], id) == 0) {
                g_autofree char *q = dg_st_quoted(id);
                g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                            "class id %s is listed twice (classes %d and %d)", q, j, k);
                ok = FALSE;
            }
        I[k] = g_strdup(id);
        N[k] = g_strdup(name ? name : id);
    }
    json_node_unref(root);
    if (!ok) {
        g_strfreev(I);
        g_strfreev(N);
        return FALSE;
    }
    *ids = I;
    *names = N;
    return TRUE;
}

void dg_model_write_common(dg_st_writer *w, const char *const *ids, const char *const *names,
                           int n_classes, int size)
{
    char *cls = dg_model_classes_json(ids, names, n_classes);
    char *pre = g_strdup_printf("{\"crop\": \"center-square\", \"resize\": %d, "
                                "\"filter\": \"area\", \"range\": [-1, 1], \"layout\": \"CHW RGB\"}",
                                size);
    char *sz = g_strdup_printf("%d", size);
    dg_st_writer_set_metadata(w, "classes", cls);
    dg_st_writer_set_metadata(w, "image_size", sz);
    dg_st_writer_set_metadata(w, "preprocessing", pre);
    g_free(cls), g_free(pre), g_free(sz);
}

gboolean dg_model_read_common(const dg_st *st, int size, int n_classes, char ***ids,
                              char ***names, GError **error)
{
    /* a later format this version would misread: said, not guessed at */
    const char *fv = dg_st_metadata(st, "format_version");
    if (fv && strcmp(fv, DG_MODEL_FORMAT_VERSION) != 0) {
        g_autofree char *q = dg_st_quoted(fv);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "model format version %s; this DermaGAN reads version %s (a newer DermaGAN "
                    "wrote it?)",
                    q, DG_MODEL_FORMAT_VERSION);
        return FALSE;
    }
    const char *is = dg_st_metadata(st, "image_size");
    if (is) {
        gint64 v = 0;
        if (!g_ascii_string_to_signed(is, 10, 1, 4096, &v, NULL) || v != size) {
            g_autofree char *q = dg_st_quoted(is);
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "the metadata contradicts itself: image_size %s, architecture size %d",
                        q, size);
            return FALSE;
        }
    }
    const char *pre = dg_st_metadata(st, "preprocessing");
    if (pre) {
        GError *jerr = NULL;
        JsonNode *root = dg_json_parse_bounded(pre, -1, DG_JSON_MAX_DEPTH, &jerr);
        if (jerr) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "the 'preprocessing' metadata: %s", jerr->message);
            g_error_free(jerr);
            return FALSE;
        }
        JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
        JsonNode *r = o ? json_object_get_member(o, "resize") : NULL;
        gboolean same = !r || (JSON_NODE_HOLDS_VALUE(r) && json_node_get_value_type(r) == G_TYPE_INT64 &&
                               json_node_get_int(r) == size);
        if (root)
            json_node_unref(root);
        if (!same) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "the metadata contradicts itself: preprocessing resizes to another size "
                        "than the architecture's %d",
                        size);
            return FALSE;
        }
    }
    return dg_model_parse_classes(dg_st_metadata(st, "classes"), n_classes, ids, names, error);
}

guint64 dg_model_net_bytes(const dg_net *net)
{
    /* as dg_net_finalize lays it out: params, grads, two moments, buffers;
     * an output and a gradient buffer per node for the max batch (a little
     * more than finalize, which lets some activations share buffers) */
    guint64 b = 4ull * (4ull * (guint64)dg_net_n_params(net) + (guint64)dg_net_n_buffers(net));
    const guint64 mb = (guint64)dg_net_max_batch(net);
    for (int i = 0; i < dg_net_n_nodes(net); i++)
        b += 2ull * 4ull * mb * (guint64)dg_net_node_size(net, i);
    return b;
}

gboolean dg_model_check_bytes(const char *what, guint64 bytes, GError **error)
{
    if (bytes <= DG_MODEL_MAX_BYTES)
        return TRUE;
    g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_TOO_LARGE,
                "%s would need %.1f GiB of memory, over the %llu GiB limit for one model "
                "(a smaller width, image size or batch fits)",
                what, bytes / 1073741824.0, DG_MODEL_MAX_BYTES >> 30);
    return FALSE;
}

gboolean dg_model_check_finite(dg_net *net, const char *what, GError **error)
{
    for (int i = 0; i < dg_net_n_tensors(net); i++) {
        const dg_tensor *t = dg_net_tensor(net, i);
        const float *x = dg_net_tensor_data(net, i);
        const gboolean var = g_str_has_suffix(t->name, "running_var");
        for (long j = 0; j < t->n; j++)
            if (!isfinite(x[j]) || (var && x[j] < 0.0f)) {
                g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_NOT_FINITE,
                            "%s: %s[%ld] is %g (weights and statistics must be finite%s)", what,
                            t->name, j, (double)x[j], var ? ", variances not negative" : "");
                return FALSE;
            }
    }
    return TRUE;
}

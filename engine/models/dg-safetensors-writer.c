/* dg-safetensors-writer.c: writing safetensors files the way the Python
 * library does (see dg-safetensors.h). */
#include "dg-safetensors-private.h"

#include <string.h>

#include "data/dg-file.h"

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
    if (!dg_st_shape_size(ndim, e.shape, dg_st_dtype_size(dtype), &numel, &e.nbytes)) {
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

/* The JSON header for the tensors in storage order: __metadata__ first
 * (keys sorted), then each tensor with its offsets.  *total is the data
 * buffer's size; *too_large is set when it would pass DG_ST_MAX_FILE_SIZE. */
static char *header_json(const dg_st_writer *w, const wentry *const *order, guint n,
                         uint64_t *total, gboolean *too_large, gsize *len)
{
    JsonBuilder *b = json_builder_new_immutable();
    json_builder_begin_object(b);
    guint nmeta = g_hash_table_size(w->meta);
    if (nmeta > 0) {
        char **keys = (char **)g_hash_table_get_keys_as_array(w->meta, NULL);
        qsort(keys, nmeta, sizeof(char *), dg_st_cmp_str_ptr);
        json_builder_set_member_name(b, "__metadata__");
        json_builder_begin_object(b);
        for (guint i = 0; i < nmeta; i++) {
            json_builder_set_member_name(b, keys[i]);
            json_builder_add_string_value(b, g_hash_table_lookup(w->meta, keys[i]));
        }
        json_builder_end_object(b);
        g_free(keys);
    }
    *total = 0;
    *too_large = FALSE;
    for (guint i = 0; i < n; i++) {
        const wentry *e = order[i];
        json_builder_set_member_name(b, e->name);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "dtype");
        json_builder_add_string_value(b, dg_st_dtype_name(e->dtype));
        json_builder_set_member_name(b, "shape");
        json_builder_begin_array(b);
        for (int k = 0; k < e->ndim; k++)
            json_builder_add_int_value(b, e->shape[k]);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "data_offsets");
        json_builder_begin_array(b);
        json_builder_add_int_value(b, (gint64)*total);
        if (!g_uint64_checked_add(total, *total, e->nbytes) || *total > DG_ST_MAX_FILE_SIZE) {
            *too_large = TRUE; /* reported by the caller; keep the offsets small meanwhile */
            *total = 0;
        }
        json_builder_add_int_value(b, (gint64)*total);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);

    JsonNode *root = json_builder_get_root(b);
    g_object_unref(b);
    JsonGenerator *gen = json_generator_new();
    json_generator_set_root(gen, root);
    char *header = json_generator_to_data(gen, len);
    g_object_unref(gen);
    json_node_unref(root);
    return escape_unit_separator(header, len);
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

    uint64_t total;
    gboolean too_large;
    gsize hlen = 0;
    char *header = header_json(w, order, n, &total, &too_large, &hlen);
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
            copy_le(p, order[i]->data, order[i]->nbytes, dg_st_dtype_size(order[i]->dtype));
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
    gboolean ok = dg_file_write_atomic(path, data, size, TRUE, error);
    g_bytes_unref(bytes);
    return ok;
}

#include "dg-checkpoint.h"

#include <math.h>

#include "models/dg-model-file.h"

static char *tname(const char *prefix, const char *mid, const char *name)
{
    return g_strconcat(prefix ? prefix : "", mid ? mid : "", name, NULL);
}

void dg_net_write(dg_st_writer *w, dg_net *net, const char *prefix, gboolean moments)
{
    for (int i = 0; i < dg_net_n_tensors(net); i++) {
        const dg_tensor *t = dg_net_tensor(net, i);
        int64_t shape[4];
        for (int d = 0; d < t->ndim; d++)
            shape[d] = t->shape[d];
        char *n = tname(prefix, NULL, t->name);
        dg_st_writer_add(w, n, DG_ST_F32, t->ndim, shape, dg_net_tensor_data(net, i));
        g_free(n);
        if (moments && t->trainable) {
            n = tname(prefix, "adam_m.", t->name);
            dg_st_writer_add(w, n, DG_ST_F32, t->ndim, shape, dg_net_moment1(net) + t->off);
            g_free(n);
            n = tname(prefix, "adam_v.", t->name);
            dg_st_writer_add(w, n, DG_ST_F32, t->ndim, shape, dg_net_moment2(net) + t->off);
            g_free(n);
        }
    }
}

/* A tensor with one row per class: a class-conditional batch norm's scales
 * and shifts, a class embedding or a projection's table. */
static gboolean is_class_table(const dg_tensor *t)
{
    static const char *ends[] = {".cbn.gamma", ".cbn.beta", ".embed.table", ".project.table"};
    if (t->ndim != 2)
        return FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(ends); i++)
        if (g_str_has_suffix(t->name, ends[i]))
            return TRUE;
    return FALSE;
}

/* A class table of the file's `map->file_classes` rows read into the net's
 * tensor, row k from the file's row map->rows[k], or the mean of the file's
 * rows where that is -1 (a class the file does not know). */
static gboolean read_class_table(const dg_st *st, const char *name, const dg_tensor *t, float *dst,
                                 const dg_class_map *map, GError **error)
{
    const int C = t->shape[1], KF = map->file_classes;
    for (int k = 0; k < t->shape[0]; k++)
        if (map->rows[k] >= KF) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "class %d maps to row %d of a table of %d rows", k, map->rows[k], KF);
            return FALSE;
        }
    int64_t shape[2] = {KF, C};
    float *src = g_new(float, (long)KF * C);
    gboolean ok = dg_st_get_f32(st, name, 2, shape, src, error);
    if (ok) {
        for (int k = 0; k < t->shape[0]; k++) {
            const int r = map->rows[k];
            for (int j = 0; j < C; j++) {
                double v = 0;
                if (r >= 0) {
                    v = src[(long)r * C + j];
                } else {
                    for (int q = 0; q < KF; q++)
                        v += src[(long)q * C + j];
                    v /= KF;
                }
                dst[(long)k * C + j] = (float)v;
            }
        }
    }
    g_free(src);
    return ok;
}

static gboolean read_net(const dg_st *st, dg_net *net, const char *prefix, int n_read,
                         gboolean moments, const dg_class_map *map, GError **error)
{
    for (int i = 0; i < n_read; i++) {
        const dg_tensor *t = dg_net_tensor(net, i);
        int64_t shape[4];
        for (int d = 0; d < t->ndim; d++)
            shape[d] = t->shape[d];
        char *n = tname(prefix, NULL, t->name);
        gboolean ok = map && is_class_table(t)
                          ? read_class_table(st, n, t, dg_net_tensor_data(net, i), map, error)
                          : dg_st_get_f32(st, n, t->ndim, shape, dg_net_tensor_data(net, i), error);
        g_free(n);
        if (!ok)
            return FALSE;
        if (moments && t->trainable) {
            n = tname(prefix, "adam_m.", t->name);
            ok = dg_st_get_f32(st, n, t->ndim, shape, dg_net_moment1(net) + t->off, error);
            g_free(n);
            if (!ok)
                return FALSE;
            n = tname(prefix, "adam_v.", t->name);
            ok = dg_st_get_f32(st, n, t->ndim, shape, dg_net_moment2(net) + t->off, error);
            g_free(n);
            if (!ok)
                return FALSE;
        }
    }
    /* a file can hold any bits: weights, statistics and moments must be usable */
    char *what = prefix && *prefix ? g_strdup_printf("tensors %s*", prefix) : g_strdup("the weights");
    gboolean ok = dg_model_check_finite(net, what, error);
    g_free(what);
    if (ok && moments) {
        const float *m = dg_net_moment1(net), *v = dg_net_moment2(net);
        for (long i = 0; i < dg_net_n_params(net); i++)
            if (!isfinite(m[i]) || !isfinite(v[i]) || v[i] < 0.0f) {
                g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_STATE,
                            "optimizer moments of %s* are not finite (or a second moment is "
                            "negative) at %ld",
                            prefix ? prefix : "", i);
                return FALSE;
            }
    }
    return ok;
}

gboolean dg_net_read(const dg_st *st, dg_net *net, const char *prefix, gboolean moments,
                     GError **error)
{
    return read_net(st, net, prefix, dg_net_n_tensors(net), moments, NULL, error);
}

gboolean dg_net_read_first(const dg_st *st, dg_net *net, const char *prefix, int n,
                           GError **error)
{
    const int all = dg_net_n_tensors(net);
    return read_net(st, net, prefix, n < 0 || n > all ? all : n, FALSE, NULL, error);
}

gboolean dg_net_read_classes(const dg_st *st, dg_net *net, const char *prefix,
                             const dg_class_map *map, GError **error)
{
    g_return_val_if_fail(map && map->rows && map->file_classes > 0, FALSE);
    return read_net(st, net, prefix, dg_net_n_tensors(net), FALSE, map, error);
}

void dg_rng_write(dg_st_writer *w, const char *name, const dg_rng *rng)
{
    int64_t shape[1] = {4};
    dg_st_writer_add(w, name, DG_ST_U64, 1, shape, rng->s);
}

gboolean dg_rng_read(const dg_st *st, const char *name, dg_rng *rng, GError **error)
{
    const dg_st_tensor *t = dg_st_find(st, name);
    if (!t || t->dtype != DG_ST_U64 || t->ndim != 1 || t->shape[0] != 4) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_MISMATCH,
                    "checkpoint has no random-number state '%s' (U64[4])", name);
        return FALSE;
    }
    const guint8 *p = t->data;
    dg_rng r;
    for (int i = 0; i < 4; i++) {
        guint64 v = 0;
        for (int k = 7; k >= 0; k--)
            v = (v << 8) | p[8 * i + k];
        r.s[i] = v;
    }
    /* xoshiro256** never leaves the all-zero state: it would draw 0 forever */
    if ((r.s[0] | r.s[1] | r.s[2] | r.s[3]) == 0) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_STATE,
                    "checkpoint: the random-number state '%s' is all zeros (corrupt)", name);
        return FALSE;
    }
    *rng = r;
    return TRUE;
}

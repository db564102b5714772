/* dg-gan-model.c: reading generator model files, with all their classes or
 * some of them, and writing one cut down to some of its classes. */
#include "dg-gan-private.h"

#include <string.h>

#include "models/dg-checkpoint.h"
#include "models/dg-model-file.h"

/* keep's rows of the file's classes ids (n of them), in the file's order, into
 * rows; their count, or -1 with error (an unknown name, nothing kept). */
static int kept_rows(const char *const *keep, char **ids, int n, int *rows, GError **error)
{
    for (int i = 0; keep[i]; i++)
        if (*keep[i] && !g_strv_contains((const char *const *)ids, keep[i])) {
            g_autofree char *have = g_strjoinv(", ", ids);
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "the generator has no class '%s' (it has %s)", keep[i], have);
            return -1;
        }
    int m = 0;
    for (int k = 0; k < n; k++)
        if (g_strv_contains(keep, ids[k]))
            rows[m++] = k;
    if (m == 0)
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID, "no class to keep");
    return m > 0 ? m : -1;
}

/* The generator (and its discriminator, when saved) of the model file st,
 * with all its classes (keep NULL) or those named in keep; *class_ids and
 * *class_names (NULL-terminated) are the gan's classes. */
static dg_gan *from_model(const dg_st *st, int max_batch, const char *const *keep,
                          char ***class_ids, char ***class_names, GError **error)
{
    dg_gan *g = NULL;
    char **ids = NULL, **names = NULL;
    if (g_strcmp0(dg_st_metadata(st, "format"), "dermagan-gan") != 0) {
        g_autofree char *q = dg_st_quoted(dg_st_metadata(st, "format"));
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_FORMAT,
                    "not a DermaGAN generator model (format %s)", q);
        return NULL;
    }
    dg_gan_config cfg;
    bool with_d = g_strcmp0(dg_st_metadata(st, "discriminator"), "yes") == 0;
    if (!dg_gan_config_from_json(&cfg, dg_st_metadata(st, "gan"), error) ||
        !dg_model_read_common(st, cfg.size, cfg.n_classes, &ids, &names, error))
        goto fail;
    int rows[DG_GAN_MAX_CLASSES];
    dg_class_map map = {.rows = rows, .file_classes = cfg.n_classes};
    if (keep) {
        if (cfg.aux > 0 || !cfg.conditional) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        cfg.aux > 0 ? "its discriminator has class heads, whose outputs are the "
                                      "classes: they cannot be cut down"
                                    : "an unconditional generator has no classes to choose");
            goto fail;
        }
        int n = kept_rows(keep, ids, cfg.n_classes, rows, error);
        if (n < 0)
            goto fail;
        char **kid = g_new0(char *, n + 1), **kname = g_new0(char *, n + 1);
        for (int k = 0; k < n; k++)
            kid[k] = g_strdup(ids[rows[k]]), kname[k] = g_strdup(names[rows[k]]);
        g_strfreev(ids), g_strfreev(names);
        ids = kid, names = kname;
        cfg.n_classes = n;
    }
    if (!dg_gan_config_check_memory(&cfg, max_batch, false, with_d, error))
        goto fail;
    g = dg_gan_new(&cfg, max_batch, false, with_d);
    for (int p = 0; p < g->n_pairs; p++) {
        g_autofree char *gp = dg_gan_pair_prefix(g, 'g', p), *dp = dg_gan_pair_prefix(g, 'd', p);
        if (keep ? !dg_net_read_classes(st, g->G[p], gp, &map, error) ||
                       (with_d && !dg_net_read_classes(st, g->D[p], dp, &map, error))
                 : !dg_net_read(st, g->G[p], gp, FALSE, error) ||
                       (with_d && !dg_net_read(st, g->D[p], dp, FALSE, error)))
            goto fail;
    }
    if (class_ids)
        *class_ids = ids;
    else
        g_strfreev(ids);
    if (class_names)
        *class_names = names;
    else
        g_strfreev(names);
    return g;
fail:
    dg_gan_free(g);
    g_strfreev(ids), g_strfreev(names);
    return NULL;
}

dg_gan *dg_gan_load_model(const char *path, int max_batch, char ***class_ids,
                          char ***class_names, GError **error)
{
    dg_st *st = dg_st_load(path, error);
    if (!st)
        return NULL;
    dg_gan *g = from_model(st, max_batch, NULL, class_ids, class_names, error);
    if (!g)
        g_prefix_error(error, "%s: ", path);
    dg_st_free(st);
    return g;
}

gboolean dg_gan_save_classes(const char *in, const char *const *keep, const char *out,
                             GError **error)
{
    static const char *const none[] = {NULL};
    dg_st *st = dg_st_load(in, error);
    if (!st)
        return FALSE;
    char **ids = NULL, **names = NULL;
    dg_gan *g = from_model(st, 1, keep ? keep : none, &ids, &names, error);
    gboolean ok = FALSE;
    if (!g)
        g_prefix_error(error, "%s: ", in);
    if (g) {
        /* the file's own record (steps, seeds, split, where it started), and where it came from */
        GHashTable *meta = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
        static const char *carried[] = {"trained_steps", "seed", "split_seed", "training_data",
                                        "initialized_from", "steps_before", "monitor_frechet"};
        for (guint i = 0; i < G_N_ELEMENTS(carried); i++)
            if (dg_st_metadata(st, carried[i]))
                g_hash_table_insert(meta, (gpointer)carried[i],
                                    g_strdup(dg_st_metadata(st, carried[i])));
        g_hash_table_insert(meta, "classes_of", g_strdup(in));
        ok = dg_gan_save_model(g, out, (const char *const *)ids, (const char *const *)names,
                               g->D[0] != NULL, meta, error);
        g_hash_table_unref(meta);
    }
    g_strfreev(ids), g_strfreev(names);
    dg_gan_free(g);
    dg_st_free(st);
    return ok;
}

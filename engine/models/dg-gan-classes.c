/* dg-gan-classes.c: a generator model file cut down to some of its classes. */
#include "dg-gan-private.h"

#include <string.h>

#include "models/dg-checkpoint.h"
#include "models/dg-model-file.h"

gboolean dg_gan_save_classes(const char *in, const char *const *keep, const char *out,
                             GError **error)
{
    dg_st *st = dg_st_load(in, error);
    if (!st)
        return FALSE;
    gboolean ok = FALSE;
    dg_gan *g = NULL;
    char **ids = NULL, **names = NULL;
    const char **kid = NULL, **kname = NULL;
    GHashTable *meta = NULL;
    dg_gan_config cfg;
    if (g_strcmp0(dg_st_metadata(st, "format"), "dermagan-gan") != 0) {
        g_autofree char *q = dg_st_quoted(dg_st_metadata(st, "format"));
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_FORMAT,
                    "not a DermaGAN generator model (format %s)", q);
        goto out;
    }
    if (!dg_gan_config_from_json(&cfg, dg_st_metadata(st, "gan"), error) ||
        !dg_model_read_common(st, cfg.size, cfg.n_classes, &ids, &names, error))
        goto out;
    if (cfg.aux > 0) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "its discriminator has class heads, whose outputs are the classes: they "
                    "cannot be cut down");
        goto out;
    }
    if (!cfg.conditional) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "an unconditional generator has no classes to choose");
        goto out;
    }
    /* the kept classes in the file's order, each once */
    int rows[DG_GAN_MAX_CLASSES], n = 0;
    kid = g_new0(const char *, cfg.n_classes + 1);
    kname = g_new0(const char *, cfg.n_classes + 1);
    for (int i = 0; keep && keep[i]; i++)
        if (*keep[i] && !g_strv_contains((const char *const *)ids, keep[i])) {
            g_autofree char *have = g_strjoinv(", ", ids);
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "the generator has no class '%s' (it has %s)", keep[i], have);
            goto out;
        }
    for (int k = 0; k < cfg.n_classes; k++)
        if (keep && g_strv_contains(keep, ids[k])) {
            rows[n] = k;
            kid[n] = ids[k], kname[n] = names[k];
            n++;
        }
    if (n == 0) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID, "no class to keep");
        goto out;
    }
    const bool with_d = g_strcmp0(dg_st_metadata(st, "discriminator"), "yes") == 0;
    dg_gan_config cut = cfg;
    cut.n_classes = n;
    if (!dg_gan_config_check_memory(&cut, 1, false, with_d, error))
        goto out;
    g = dg_gan_new(&cut, 1, false, with_d);
    dg_class_map map = {.rows = rows, .file_classes = cfg.n_classes};
    for (int p = 0; p < g->n_pairs; p++) {
        g_autofree char *gp = dg_gan_pair_prefix(g, 'g', p), *dp = dg_gan_pair_prefix(g, 'd', p);
        if (!dg_net_read_classes(st, g->G[p], gp, &map, error) ||
            (with_d && !dg_net_read_classes(st, g->D[p], dp, &map, error)))
            goto out;
    }
    /* the file's own record (steps, seeds, split, where it started), and where it came from */
    meta = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    static const char *carried[] = {"trained_steps", "seed", "split_seed", "training_data",
                                    "initialized_from", "monitor_frechet"};
    for (guint i = 0; i < G_N_ELEMENTS(carried); i++)
        if (dg_st_metadata(st, carried[i]))
            g_hash_table_insert(meta, (gpointer)carried[i], g_strdup(dg_st_metadata(st, carried[i])));
    char *all = g_strjoinv(",", ids);
    g_hash_table_insert(meta, "classes_of", g_strdup_printf("%s (classes %s)", in, all));
    g_free(all);
    ok = dg_gan_save_model(g, out, kid, kname, with_d, meta, error);
out:
    if (meta)
        g_hash_table_unref(meta);
    g_free(kid), g_free(kname);
    g_strfreev(ids), g_strfreev(names);
    dg_gan_free(g);
    dg_st_free(st);
    return ok;
}

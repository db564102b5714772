/* dg-job-generate.c: synthetic images from a generator model file. */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "data/dg-file.h"
#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-gan-private.h"
#include "jobs/dg-job-gan.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-run-dir.h"
#include "models/dg-gan.h"
#include "plot/dg-plot.h"

#define GEN_BATCH 64
#define GRID_COLS 8 /* at most: fewer when no class has that many images */

dg_gan_generate_config *dg_gan_generate_config_new(void)
{
    dg_gan_generate_config *c = g_new0(dg_gan_generate_config, 1);
    c->seed = 1;
    c->split_seed = 1;
    c->keep = 0.5;
    return c;
}

void dg_gan_generate_config_free(void *p)
{
    dg_gan_generate_config *c = p;
    if (!c)
        return;
    g_free(c->model);
    g_free(c->out);
    g_free(c->data);
    g_free(c->filter);
    g_free(c->classifier);
    g_free(c->cache_dir);
    g_free(c->grid);
    g_strfreev(c->classes);
    g_free(c);
}

typedef struct {
    cairo_surface_t *src;
    int rows, gutter;
    const char *const *names;
} grid_picture;

static void draw_grid(void *data, cairo_t *cr, double x, double y, double w, double h,
                      const dg_plot_theme *theme)
{
    const grid_picture *g = data;
    dg_plot_image_grid_draw(cr, x + 8, y + 8, w - 16, h - 16, theme, g->src, g->rows, g->gutter,
                            g->names);
}

/* The first cols images of each class (cells: K rows of cols cells, size x
 * size RGB each), drawn with the class names, at twice the size. */
static gboolean write_grid(const char *path, const uint8_t *cells, int K, int cols, int size,
                           const char *const *names, GError **error)
{
    const int gutter = 2;
    const uint8_t bg[3] = {255, 255, 255};
    int gw = 0, gh = 0;
    uint8_t *grid = dg_plot_image_grid(cells, K * cols, size, K, cols, gutter, bg, &gw, &gh);
    if (!grid) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_FAILED, "cannot lay out the sample grid");
        return FALSE;
    }
    grid_picture g = {dg_plot_surface_from_rgb(grid, gw, gh), K, gutter, names};
    dg_plot_theme theme = dg_plot_theme_light();
    gboolean ok = dg_plot_save(path, 2 * gw + 190, 2 * gh + 16, &theme, draw_grid, &g, error);
    cairo_surface_destroy(g.src);
    g_free(grid);
    return ok;
}

/* Image scores for filtering: higher = more real. */
static int cmp_score_desc(const void *a, const void *b, void *scores)
{
    const float *s = scores;
    float x = s[*(const int *)a], y = s[*(const int *)b];
    return x > y ? -1 : x < y ? 1 : (*(const int *)a - *(const int *)b);
}

/* Every number of the config within its stated range (dg-limits.h). */
static gboolean check_config(const dg_gan_generate_config *c, GError **error)
{
    return dg_job_check_int("per-class", c->per_class, 1, DG_LIMIT_PER_CLASS, TRUE, error) &&
           dg_job_check_int("target", c->target, 1, DG_LIMIT_PER_CLASS, TRUE, error) &&
           dg_job_check_double("keep", c->keep, DG_LIMIT_KEEP_MIN, 1.0, FALSE, error) &&
           dg_job_check_int("threads", c->threads, 1, DG_LIMIT_THREADS, TRUE, error);
}

/* How many images each class gets: per_class, or what fills the training
 * split up to the largest class (or the target); -1 for a class the data
 * set (to balance, or with per_class the one whose classes to make) does not
 * have: none generated, no folder made. */
static gboolean plan_counts(dg_job *job, const dg_gan_generate_config *cfg, int K, int S,
                            char **ids, int *counts, GError **error)
{
    if (!cfg->balance && cfg->per_class <= 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "say how many images: --per-class N or --balance");
        return FALSE;
    }
    if (!cfg->balance && !cfg->data) {
        for (int k = 0; k < K; k++)
            counts[k] = cfg->per_class;
        return TRUE;
    }
    if (!cfg->data) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "--balance needs the data set (--data) whose training split to balance");
        return FALSE;
    }
    dg_dataset *ds = dg_job_load_dataset_ex(job, cfg->data, cfg->all_classes, cfg->follow_symlinks, S, cfg->cache_dir,
                                         cfg->split_seed, error);
    if (!ds)
        return FALSE;
    int have[DG_GAN_MAX_CLASSES] = {0}, largest = 0;
    for (int k = 0; k < K; k++) {
        int c = dg_dataset_class_index(ds, ids[k]);
        if (c < 0) {
            dg_job_message(job, cfg->balance ? "warning" : "info",
                           "the data set has no class '%s'; none generated", ids[k]);
            have[k] = -1;
            continue;
        }
        have[k] = dg_dataset_class_count(ds, c, DG_SPLIT_TRAIN);
        largest = MAX(largest, have[k]);
    }
    /* the data set's classes the generator cannot make: they stay as they
     * are, and the largest of them still sets the level to balance to */
    for (int c = 0; c < ds->n_classes; c++) {
        gboolean made = FALSE;
        for (int k = 0; k < K && !made; k++)
            made = strcmp(ids[k], ds->classes[c].id) == 0;
        if (made)
            continue;
        const int n = dg_dataset_class_count(ds, c, DG_SPLIT_TRAIN);
        largest = MAX(largest, n);
        if (cfg->balance)
            dg_job_message(job, "warning",
                           "the generator has no class '%s': it stays at its %d training images",
                           ds->classes[c].id, n);
    }
    dg_dataset_free(ds);
    int target = !cfg->balance ? cfg->per_class
                 : cfg->target > 0 ? cfg->target : MIN(largest, DG_LIMIT_PER_CLASS);
    int total = 0;
    for (int k = 0; k < K; k++) {
        counts[k] = have[k] < 0 ? -1 : cfg->balance ? MAX(0, target - have[k]) : target;
        total += MAX(counts[k], 0);
    }
    if (cfg->balance)
        dg_job_message(job, "info", "balancing the training split to %d images per class", target);
    if (cfg->balance && total == 0)
        dg_job_message(job, "warning",
                       "every class of the training split already has %d images or more: "
                       "nothing to generate; ask for a number per class (--per-class N)",
                       target);
    return TRUE;
}

typedef struct {
    dg_job *job;
    const dg_gan_generate_config *cfg;
    dg_gan *gan;
    dg_cnn *cnn;    /* filter "classifier": scores are its probability of the intended class */
    dg_ctx *ctx;
    dg_rng rng;
    char **ids;
    int K, S, total, done;
    uint8_t *cells; /* the grid's cells (rows of cols), or NULL */
    int cols, rows;
    int row[DG_GAN_MAX_CLASSES]; /* class k's row of the grid; -1: not generated */
    dg_rate rate;
} gen_run;

/* Writes image i of class k (CHW floats) as a PNG. */
static gboolean write_one(gen_run *g, const char *dir, int k, int i, const float *img,
                          uint8_t *rgb, GError **error)
{
    const long img_n = 3L * g->S * g->S;
    dg_images_to_rgb(img, 1, g->S, rgb);
    if (g->cells && i < g->cols)
        memcpy(g->cells + ((long)g->row[k] * g->cols + i) * img_n, rgb, img_n);
    char *name = g_strdup_printf("syn-%s-%" G_GUINT64_FORMAT "-%05d.png", g->ids[k], g->cfg->seed, i);
    char *path = g_build_filename(dir, name, NULL);
    gboolean ok = dg_write_png(path, rgb, g->S, g->S, error);
    g_free(name), g_free(path);
    if (!ok)
        return FALSE;
    g->done++;
    if (g->done % 16 == 0 || g->done == g->total) {
        double spp = dg_rate_tick(&g->rate) / 16;
        dg_event ev = {.kind = DG_EVENT_PROGRESS, .step = g->done, .total = g->total,
                       .rate = 1.0 / MAX(spp, 1e-9), .eta = spp * (g->total - g->done)};
        dg_job_emit(g->job, &ev);
    }
    return TRUE;
}

static gboolean is_synthetic_name(const char *name)
{
    return g_str_has_prefix(name, "syn-") && g_str_has_suffix(name, ".png");
}

/* What an earlier gan generate left in out: its manifest, its grid (when it
 * went into out: the manifest names it), class folders holding only
 * syn-*.png, the lock file and temporaries of our writes (a killed run's;
 * the run folder's cleanup removes them).  Anything else (a data set's
 * images, other files) is refused, so that generating never mixes with or
 * overwrites what it did not write.  The earlier run's files are listed in
 * *old (and its images counted in *n_images), to be removed so that the
 * folder and its manifest describe this run alone; grid_name, this run's
 * grid in out, is neither. */
static gboolean check_out_folder(const char *out, const char *grid_name, GPtrArray *old,
                                 int *n_images, GError **error)
{
    *n_images = 0;
    GDir *d = g_dir_open(out, 0, NULL);
    if (!d)
        return TRUE; /* (dg_run_dir_open makes it) */
    char *mpath = g_build_filename(out, "manifest.json", NULL);
    JsonNode *mf = dg_json_read_object(mpath);
    g_free(mpath);
    /* (a grid named by a manifest of ours, and only a picture: a manifest
     * is a file in a user's folder, and must not make one of theirs ours) */
    JsonObject *mo = mf ? json_node_get_object(mf) : NULL;
    JsonNode *gn = mo && json_object_has_member(mo, "model") && json_object_has_member(mo, "classes")
                       ? json_object_get_member(mo, "grid")
                       : NULL;
    const char *old_grid = gn && JSON_NODE_HOLDS_VALUE(gn) &&
                                   json_node_get_value_type(gn) == G_TYPE_STRING
                               ? json_node_get_string(gn)
                               : NULL;
    if (!dg_plot_has_extension(old_grid))
        old_grid = NULL;
    char *foreign = NULL;
    const char *e;
    while (!foreign && (e = g_dir_read_name(d))) {
        char *sub = g_build_filename(out, e, NULL);
        const gboolean plain = g_file_test(sub, G_FILE_TEST_IS_REGULAR) &&
                               !g_file_test(sub, G_FILE_TEST_IS_SYMLINK);
        if (strcmp(e, ".dermagan.lock") == 0 || dg_file_is_temp_name(e) ||
            (grid_name && strcmp(e, grid_name) == 0)) {
            /* the lock, a temporary, or this run's grid: not the earlier run's */
        } else if (plain && (strcmp(e, "manifest.json") == 0 || g_strcmp0(e, old_grid) == 0)) {
            g_ptr_array_add(old, g_steal_pointer(&sub));
        } else {
            GDir *cd = g_file_test(sub, G_FILE_TEST_IS_SYMLINK) ? NULL : g_dir_open(sub, 0, NULL);
            if (!cd)
                foreign = g_strdup(e);
            const char *f;
            while (cd && !foreign && (f = g_dir_read_name(cd))) {
                char *path = g_build_filename(sub, f, NULL);
                if (dg_file_is_temp_name(f)) {
                    /* (a killed run's: the cleanup's) */
                } else if (is_synthetic_name(f) && g_file_test(path, G_FILE_TEST_IS_REGULAR) &&
                           !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
                    g_ptr_array_add(old, g_steal_pointer(&path));
                    (*n_images)++;
                } else {
                    foreign = g_build_filename(e, f, NULL);
                }
                g_free(path);
            }
            if (cd)
                g_dir_close(cd);
        }
        g_free(sub);
    }
    g_dir_close(d);
    if (mf)
        json_node_unref(mf);
    if (foreign) {
        char *disp = g_filename_display_name(out), *what = g_filename_display_name(foreign);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s already holds files that gan generate did not write (for example %s); "
                    "choose a new or empty folder",
                    disp, what);
        g_free(disp), g_free(what), g_free(foreign);
        return FALSE;
    }
    return TRUE;
}

/* This run's grid, when it goes into cfg's --out: its name there; else NULL. */
static char *grid_in_out(const dg_gan_generate_config *cfg)
{
    if (!cfg->grid)
        return NULL;
    char *gdir = g_path_get_dirname(cfg->grid);
    char *cg = dg_run_canonical_path(gdir), *co = dg_run_canonical_path(cfg->out);
    char *name = strcmp(cg, co) == 0 ? g_path_get_basename(cfg->grid) : NULL;
    g_free(gdir), g_free(cg), g_free(co);
    return name;
}

/* check_out_folder for cfg's --out; remove: also remove the earlier run's
 * files (its manifest first, so that a run stopped now leaves no manifest of
 * images that are gone), and say so. */
static gboolean out_folder_ready(dg_job *job, const dg_gan_generate_config *cfg, gboolean remove,
                                 GError **error)
{
    char *gname = grid_in_out(cfg);
    GPtrArray *old = g_ptr_array_new_with_free_func(g_free);
    int n_images = 0;
    gboolean fine = check_out_folder(cfg->out, gname, old, &n_images, error);
    for (guint i = 0; fine && remove && i < old->len; i++)
        if (g_unlink(g_ptr_array_index(old, i)) != 0) {
            int en = errno;
            g_autofree char *disp = dg_file_display_name(g_ptr_array_index(old, i));
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(en),
                        "cannot remove %s of an earlier run: %s", disp, g_strerror(en));
            fine = FALSE;
        }
    if (fine && remove && n_images > 0) {
        g_autofree char *disp = dg_file_display_name(cfg->out);
        dg_job_message(job, "info", "removed the %d images of an earlier run in %s", n_images,
                       disp);
    }
    g_ptr_array_unref(old);
    g_free(gname);
    return fine;
}

/* The classifier's probability that each of m images is of class k. */
static void classifier_scores(gen_run *g, int k, const float *img, int m, float *scores)
{
    const int K = g->cnn->cfg.n_classes, kk = dg_cnn_class_index(g->cnn, g->ids[k]);
    float *p = g_new(float, (long)m * K);
    dg_cnn_predict(g->cnn, g->ctx, img, m, false, p);
    for (int i = 0; i < m; i++)
        scores[i] = kk >= 0 ? p[(long)i * K + kk] : 0.0f;
    g_free(p);
}

/* The images of class k, GEN_BATCH at a time: memory does not grow with the
 * count.  With a filter, cand candidates are scored first and only their
 * noise vectors kept; the best `need` are then generated again from their
 * noise (the same images: the generator runs in evaluation mode).  FALSE
 * with no error when cancelled. */
static gboolean generate_class(gen_run *g, int k, int need, int cand, gboolean filter,
                               const char *dir, GError **error)
{
    const int nz = g->gan->cfg.nz;
    const long img_n = 3L * g->S * g->S;
    float *img = g_new(float, GEN_BATCH * img_n), *z = NULL, *scores = NULL;
    uint8_t *rgb = g_new(uint8_t, img_n);
    int labels[GEN_BATCH], *order = NULL;
    gboolean ok = FALSE;
    for (int i = 0; i < GEN_BATCH; i++)
        labels[i] = k;
    if (filter) {
        z = g_new(float, (long)cand * nz);
        scores = g_new(float, cand);
        order = g_new(int, cand);
        for (int i0 = 0; i0 < cand; i0 += GEN_BATCH) {
            if (!dg_job_continue(g->job))
                goto out;
            int m = MIN(GEN_BATCH, cand - i0);
            dg_rng_fill_normal(&g->rng, z + (long)i0 * nz, (long)m * nz, 0.0f, 1.0f);
            dg_gan_generate(g->gan, g->ctx, NULL, z + (long)i0 * nz, labels, m, img);
            if (!dg_job_check_finite(img, m * img_n, "the generator", error))
                goto out;
            if (g->cnn)
                classifier_scores(g, k, img, m, scores + i0);
            else
                dg_gan_discriminate(g->gan, g->ctx, img, labels, m, scores + i0);
            /* (NaN scores would leave the order to the sort) */
            if (!dg_job_check_finite(scores + i0, m, g->cnn ? "the classifier" : "the discriminator",
                                     error))
                goto out;
        }
        for (int i = 0; i < cand; i++)
            order[i] = i;
        g_qsort_with_data(order, cand, sizeof(int), cmp_score_desc, scores);
        /* the kept candidates' noise, best first */
        float *kept = g_new(float, (long)need * nz);
        for (int i = 0; i < need; i++)
            memcpy(kept + (long)i * nz, z + (long)order[i] * nz, sizeof(float) * nz);
        g_free(z);
        z = kept;
    }
    for (int i0 = 0; i0 < need; i0 += GEN_BATCH) {
        if (!dg_job_continue(g->job))
            goto out;
        int m = MIN(GEN_BATCH, need - i0);
        if (z)
            dg_gan_generate(g->gan, g->ctx, NULL, z + (long)i0 * nz, labels, m, img);
        else
            dg_gan_generate(g->gan, g->ctx, &g->rng, NULL, labels, m, img);
        /* (NaN pixels would be written as some colour, without a word) */
        if (!dg_job_check_finite(img, m * img_n, "the generator", error))
            goto out;
        for (int i = 0; i < m; i++)
            if (!write_one(g, dir, k, i0 + i, img + i * img_n, rgb, error))
                goto out;
    }
    ok = TRUE;
out:
    g_free(img), g_free(z), g_free(scores), g_free(order), g_free(rgb);
    return ok;
}

/* g->row and g->rows from cfg->classes: every class, or the ones named
 * (empty names ignored; an unknown name is an error that lists the
 * generator's classes). */
static gboolean select_classes(gen_run *g, GError **error)
{
    const char *const *want = (const char *const *)g->cfg->classes;
    g->rows = 0;
    for (int k = 0; k < g->K; k++)
        g->row[k] = !want || g_strv_contains(want, g->ids[k]) ? g->rows++ : -1;
    for (int i = 0; want && want[i]; i++)
        if (*want[i] && !g_strv_contains((const char *const *)g->ids, want[i])) {
            char *have = g_strjoinv(", ", g->ids);
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "the generator has no class '%s' (it has %s)", want[i], have);
            g_free(have);
            return FALSE;
        }
    if (g->rows == 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no class to generate");
        return FALSE;
    }
    return TRUE;
}

static gboolean generate_run(dg_job *job, void *config, GError **error)
{
    dg_gan_generate_config *cfg = config;
    gen_run g = {.job = job, .cfg = cfg};
    gboolean ok = FALSE;
    char **names = NULL;
    int counts[DG_GAN_MAX_CLASSES] = {0};
    dg_run_dir *dir = NULL;
    char *model = cfg->model ? g_strdup(cfg->model) : dg_find_resource("models/generator.safetensors");
    JsonBuilder *b = NULL;

    if (!check_config(cfg, error))
        goto out;
    if (!model) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "no generator model given and no bundled default found "
                    "(resources/models/generator.safetensors)");
        goto out;
    }
    if (!cfg->out || !*cfg->out) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no output folder given (--out)");
        goto out;
    }
    /* the images and the grid never go into the data set (to balance, or
     * to choose classes) */
    if (!dg_job_check_outside_data("out", cfg->out, cfg->data, NULL, error) ||
        !dg_job_check_outside_data("grid", cfg->grid, cfg->data, NULL, error))
        goto out;
    /* the grid's name, before any image is made; never a model it reads */
    if (cfg->grid &&
        (!dg_job_check_output("grid", cfg->grid, dg_plot_extensions, error) ||
         !dg_job_check_not_input("grid", cfg->grid, model, "the generator model", error) ||
         (cfg->classifier &&
          !dg_job_check_not_input("grid", cfg->grid, cfg->classifier, "the classifier model", error))))
        goto out;
    g.gan = dg_gan_load_model(model, GEN_BATCH, &g.ids, &names, error);
    if (!g.gan)
        goto out;
    g.K = g.gan->cfg.n_classes;
    g.S = g.gan->cfg.size;
    const char *filter = cfg->filter && strcmp(cfg->filter, "none") != 0 ? cfg->filter : NULL;
    if (filter && strcmp(filter, "discriminator") != 0 && strcmp(filter, "classifier") != 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "unknown filter '%s' (none, discriminator, classifier)", filter);
        goto out;
    }
    if (filter && strcmp(filter, "classifier") == 0) {
        g.cnn = dg_job_load_classifier(cfg->classifier, GEN_BATCH, NULL, error);
        if (!g.cnn)
            goto out;
        if (g.cnn->cfg.size != g.S) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "the classifier takes %dx%d images but the generator makes %dx%d",
                        g.cnn->cfg.size, g.cnn->cfg.size, g.S, g.S);
            goto out;
        }
    } else if (filter && !g.gan->D[0]) {
        g_autofree char *disp = dg_file_display_name(model);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s has no discriminator to filter with", disp);
        goto out;
    }
    const double keep = cfg->keep;
    if (!plan_counts(job, cfg, g.K, g.S, g.ids, counts, error) || !select_classes(&g, error))
        goto out;
    g.rows = 0; /* without the classes the data set does not have (balancing) */
    for (int k = 0; k < g.K; k++)
        g.row[k] = g.row[k] >= 0 && counts[k] >= 0 ? g.rows++ : -1;
    if (g.rows == 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "the data set has none of the generator's classes");
        goto out;
    }
    for (int k = 0; k < g.K; k++) {
        if (g.row[k] < 0)
            counts[k] = 0;
        g.total += counts[k];
        if (filter && ceil(counts[k] / keep) > DG_LIMIT_CANDIDATES) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "%d images of %s at --keep %g would need %.0f candidates, over the limit "
                        "of %d per class",
                        counts[k], g.ids[k], keep, ceil(counts[k] / keep), DG_LIMIT_CANDIDATES);
            goto out;
        }
    }
    /* the folder is checked before it is locked (a refused one gets no lock
     * file), and again under the lock, where the earlier run's images go */
    if (!out_folder_ready(job, cfg, FALSE, error) || !(dir = dg_run_dir_open(cfg->out, error)) ||
        !out_folder_ready(job, cfg, TRUE, error))
        goto out;
    g.ctx = dg_ctx_new(cfg->threads);
    if (cfg->grid) {
        /* as many columns as the largest class has images (at most GRID_COLS); white
         * where a class has fewer */
        g.cols = 1;
        for (int k = 0; k < g.K; k++)
            g.cols = MAX(g.cols, MIN(counts[k], GRID_COLS));
        g.cells = g_malloc((size_t)g.rows * g.cols * 3 * g.S * g.S);
        memset(g.cells, 255, (size_t)g.rows * g.cols * 3 * g.S * g.S);
    }
    dg_rng_seed(&g.rng, cfg->seed);
    dg_rate_init(&g.rate);
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "model");
    dg_json_add_path(b, model);
    json_builder_set_member_name(b, "seed");
    json_builder_add_int_value(b, (gint64)cfg->seed);
    json_builder_set_member_name(b, "filter");
    json_builder_add_string_value(b, filter ? filter : "none");
    json_builder_set_member_name(b, "keep");
    json_builder_add_double_value(b, filter ? keep : 1.0);
    json_builder_set_member_name(b, "image_size");
    json_builder_add_int_value(b, g.S);
    char *grid_name = grid_in_out(cfg);
    if (grid_name) { /* (so that the next run into this folder knows it for ours) */
        json_builder_set_member_name(b, "grid");
        dg_json_add_path(b, grid_name);
        g_free(grid_name);
    }
    json_builder_set_member_name(b, "classes");
    json_builder_begin_object(b);
    for (int k = 0; k < g.K; k++) {
        if (g.row[k] < 0)
            continue;
        char *cdir = g_build_filename(cfg->out, g.ids[k], NULL);
        if (g_mkdir_with_parents(cdir, 0755) != 0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                        cdir, g_strerror(errno));
            g_free(cdir);
            goto out;
        }
        const int need = counts[k], cand = filter ? (int)ceil(need / keep) : need;
        GError *e = NULL;
        gboolean done = generate_class(&g, k, need, cand, filter != NULL, cdir, &e);
        g_free(cdir);
        if (!done) {
            if (e)
                g_propagate_error(error, e);
            else
                ok = TRUE; /* cancelled: what is written stays */
            goto out;
        }
        json_builder_set_member_name(b, g.ids[k]);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "count");
        json_builder_add_int_value(b, need);
        json_builder_set_member_name(b, "candidates");
        json_builder_add_int_value(b, cand);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *manifest = json_to_string(root, TRUE);
    json_node_unref(root);
    char *mpath = g_build_filename(cfg->out, "manifest.json", NULL);
    ok = dg_write_text(mpath, manifest, error);
    g_free(mpath);
    if (ok && g.cells) {
        const char *row_names[DG_GAN_MAX_CLASSES];
        for (int k = 0; k < g.K; k++)
            if (g.row[k] >= 0)
                row_names[g.row[k]] = names[k];
        ok = write_grid(cfg->grid, g.cells, g.rows, g.cols, g.S, row_names, error);
    }
    if (ok) {
        g_autofree char *disp = dg_file_display_name(cfg->out);
        dg_job_message(job, "info", "wrote %d synthetic images into %s", g.done, disp);
        dg_event ev = {.kind = DG_EVENT_RESULT, .eta = -1, .json = manifest};
        dg_job_emit(job, &ev);
    }
    g_free(manifest);
out:
    if (b)
        g_object_unref(b);
    g_free(g.cells);
    g_strfreev(g.ids), g_strfreev(names);
    dg_gan_free(g.gan);
    dg_cnn_free(g.cnn);
    dg_ctx_free(g.ctx);
    dg_run_dir_close(dir);
    g_free(model);
    return ok;
}

const dg_job_kind dg_job_gan_generate = {"gan-generate", generate_run, dg_gan_generate_config_free};

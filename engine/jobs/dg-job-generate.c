/* dg-job-generate.c: synthetic images from a generator model file. */
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "jobs/dg-job-gan.h"
#include "jobs/dg-job-util.h"
#include "models/dg-gan.h"
#include "plot/dg-plot.h"

#define GEN_BATCH 64
#define GRID_COLS 8

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

/* The first GRID_COLS images of each class (cells: K rows of GRID_COLS cells,
 * size x size RGB each), drawn with the class names, at twice the size. */
static gboolean write_grid(const char *path, const uint8_t *cells, int K, int size,
                           const char *const *names, GError **error)
{
    const int gutter = 2;
    const uint8_t bg[3] = {255, 255, 255};
    int gw = 0, gh = 0;
    uint8_t *grid = dg_plot_image_grid(cells, K * GRID_COLS, size, K, GRID_COLS, gutter, bg, &gw, &gh);
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

static gboolean generate_run(dg_job *job, void *config, GError **error)
{
    dg_gan_generate_config *cfg = config;
    gboolean ok = FALSE;
    char **ids = NULL, **names = NULL;
    dg_gan *gan = NULL;
    dg_ctx *ctx = NULL;
    int counts[DG_GAN_MAX_CLASSES] = {0};
    char *model = cfg->model ? g_strdup(cfg->model) : dg_find_resource("models/generator.safetensors");
    GString *manifest = NULL;
    float *img = NULL, *scores = NULL;
    uint8_t *rgb = NULL, *cells = NULL;
    int *order = NULL, *labels = NULL;

    if (!model) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "no generator model given and no bundled default found "
                    "(resources/models/generator.safetensors)");
        return FALSE;
    }
    if (!cfg->out || !*cfg->out) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no output folder given (--out)");
        goto out;
    }
    gan = dg_gan_load_model(model, GEN_BATCH, &ids, &names, error);
    if (!gan)
        goto out;
    const int K = gan->cfg.n_classes, S = gan->cfg.size;
    const char *filter = cfg->filter && strcmp(cfg->filter, "none") != 0 ? cfg->filter : NULL;
    if (filter && strcmp(filter, "discriminator") != 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "unknown filter '%s' (none, discriminator)", filter);
        goto out;
    }
    if (filter && !gan->D[0]) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s has no discriminator to filter with", model);
        goto out;
    }
    double keep = cfg->keep > 0 && cfg->keep <= 1 ? cfg->keep : 0.5;

    if (cfg->balance) {
        if (!cfg->data) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "--balance needs the data set (--data) whose training split to balance");
            goto out;
        }
        dg_dataset *ds = dg_job_load_dataset(job, cfg->data, cfg->all_classes, S, cfg->cache_dir,
                                             cfg->split_seed, error);
        if (!ds)
            goto out;
        int have[DG_GAN_MAX_CLASSES] = {0}, largest = 0;
        for (int k = 0; k < K; k++) {
            int c = dg_dataset_class_index(ds, ids[k]);
            if (c < 0) {
                dg_job_message(job, "warning", "the data set has no class '%s'; none generated",
                               ids[k]);
                have[k] = -1;
                continue;
            }
            have[k] = dg_dataset_class_count(ds, c, DG_SPLIT_TRAIN);
            largest = MAX(largest, have[k]);
        }
        dg_dataset_free(ds);
        int target = cfg->target > 0 ? cfg->target : largest;
        for (int k = 0; k < K; k++)
            counts[k] = have[k] < 0 ? 0 : MAX(0, target - have[k]);
        dg_job_message(job, "info", "balancing the training split to %d images per class", target);
    } else {
        if (cfg->per_class <= 0) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "say how many images: --per-class N or --balance");
            goto out;
        }
        for (int k = 0; k < K; k++)
            counts[k] = cfg->per_class;
    }

    int total = 0;
    for (int k = 0; k < K; k++)
        total += counts[k];
    ctx = dg_ctx_new(cfg->threads);
    if (cfg->grid) { /* white where a class has fewer than GRID_COLS images */
        cells = g_malloc((size_t)K * GRID_COLS * 3 * S * S);
        memset(cells, 255, (size_t)K * GRID_COLS * 3 * S * S);
    }
    dg_rng rng;
    dg_rng_seed(&rng, cfg->seed);
    long img_n = 3L * S * S;
    manifest = g_string_new("{");
    char *qm = dg_json_quote(model);
    g_string_append_printf(manifest,
                           "\"model\": %s, \"seed\": %" G_GUINT64_FORMAT ", \"filter\": \"%s\", "
                           "\"keep\": %.3f, \"image_size\": %d, \"classes\": {",
                           qm, cfg->seed, filter ? filter : "none", filter ? keep : 1.0, S);
    g_free(qm);
    int done = 0;
    dg_rate rate;
    dg_rate_init(&rate);
    for (int k = 0; k < K; k++) {
        char *dir = g_build_filename(cfg->out, ids[k], NULL);
        if (g_mkdir_with_parents(dir, 0755) != 0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                        dir, g_strerror(errno));
            g_free(dir);
            goto out;
        }
        int need = counts[k];
        int cand = filter ? (int)ceil(need / keep) : need;
        img = g_renew(float, img, (long)MAX(cand, 1) * img_n);
        labels = g_renew(int, labels, MAX(cand, 1));
        for (int i = 0; i < cand; i++)
            labels[i] = k;
        for (int i0 = 0; i0 < cand; i0 += GEN_BATCH) {
            if (!dg_job_continue(job)) {
                g_free(dir);
                ok = TRUE; /* cancelled: what is written stays */
                goto out;
            }
            int m = MIN(GEN_BATCH, cand - i0);
            dg_gan_generate(gan, ctx, &rng, NULL, labels + i0, m, img + (long)i0 * img_n);
        }
        order = g_renew(int, order, MAX(cand, 1));
        for (int i = 0; i < cand; i++)
            order[i] = i;
        if (filter && cand > 0) {
            scores = g_renew(float, scores, cand);
            dg_gan_discriminate(gan, ctx, img, labels, cand, scores);
            g_qsort_with_data(order, cand, sizeof(int), cmp_score_desc, scores);
        }
        rgb = g_renew(uint8_t, rgb, img_n);
        for (int i = 0; i < need; i++) {
            dg_images_to_rgb(img + (long)order[i] * img_n, 1, S, rgb);
            if (cells && i < GRID_COLS)
                memcpy(cells + ((long)k * GRID_COLS + i) * img_n, rgb, img_n);
            char *name = g_strdup_printf("syn-%s-%" G_GUINT64_FORMAT "-%05d.png", ids[k], cfg->seed, i);
            char *path = g_build_filename(dir, name, NULL);
            gboolean w = dg_write_png(path, rgb, S, S, error);
            g_free(name), g_free(path);
            if (!w) {
                g_free(dir);
                goto out;
            }
            done++;
            if (done % 16 == 0 || done == total) {
                double spp = dg_rate_tick(&rate) / 16;
                dg_event ev = {.kind = DG_EVENT_PROGRESS, .step = done, .total = total,
                               .rate = 1.0 / MAX(spp, 1e-9), .eta = spp * (total - done)};
                dg_job_emit(job, &ev);
            }
        }
        char *qid = dg_json_quote(ids[k]);
        g_string_append_printf(manifest, "%s%s: {\"count\": %d, \"candidates\": %d}", k ? ", " : "",
                               qid, need, cand);
        g_free(qid);
        g_free(dir);
    }
    g_string_append(manifest, "}}");
    char *mpath = g_build_filename(cfg->out, "manifest.json", NULL);
    ok = dg_write_text(mpath, manifest->str, error);
    g_free(mpath);
    if (ok && cells)
        ok = write_grid(cfg->grid, cells, K, S, (const char *const *)names, error);
    if (ok) {
        dg_job_message(job, "info", "wrote %d synthetic images into %s", done, cfg->out);
        dg_event ev = {.kind = DG_EVENT_RESULT, .eta = -1, .json = manifest->str};
        dg_job_emit(job, &ev);
    }
out:
    if (manifest)
        g_string_free(manifest, TRUE);
    g_free(img), g_free(rgb), g_free(scores), g_free(order), g_free(labels), g_free(cells);
    g_strfreev(ids), g_strfreev(names);
    dg_gan_free(gan);
    dg_ctx_free(ctx);
    g_free(model);
    return ok;
}

const dg_job_kind dg_job_gan_generate = {"gan-generate", generate_run, dg_gan_generate_config_free};

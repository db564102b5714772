/* dg-job-explore.c: the explore job (see dg-job-explore.h). */
#include "dg-job-explore.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "jobs/dg-job-util.h"
#include "jobs/dg-limits.h"
#include "models/dg-gan.h"
#include "numerics/dg-rng.h"

dg_explore_config *dg_explore_config_new(void)
{
    dg_explore_config *c = g_new0(dg_explore_config, 1);
    c->mode = g_strdup("noise");
    c->seed_a = 1;
    c->seed_b = 2;
    c->steps = 8;
    c->split_seed = 1;
    return c;
}

void dg_explore_config_free(void *p)
{
    dg_explore_config *c = p;
    if (!c)
        return;
    g_free(c->model);
    g_free(c->mode);
    g_free(c->data);
    g_free(c->cache_dir);
    g_free(c);
}

static void draw_noise(uint64_t seed, float *z, int nz)
{
    dg_rng r;
    dg_rng_seed(&r, seed);
    dg_rng_fill_normal(&r, z, nz, 0.0f, 1.0f);
}

/* The point t of the great circle from a to b (spherical interpolation, which
 * keeps a Gaussian sample's length). */
static void slerp(const float *a, const float *b, int n, double t, float *out)
{
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < n; i++) {
        dot += (double)a[i] * b[i];
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
    }
    double c = dot / MAX(sqrt(na * nb), 1e-12);
    double om = acos(CLAMP(c, -1.0, 1.0)), so = sin(om);
    for (int i = 0; i < n; i++)
        out[i] = so < 1e-6 ? (float)((1 - t) * a[i] + t * b[i])
                           : (float)(sin((1 - t) * om) / so * a[i] + sin(t * om) / so * b[i]);
}

/* The training image nearest to a generated one (uint8 CHW at the same size). */
static int nearest(const dg_dataset *ds, const int *idx, int n, const uint8_t *img, int S,
                   double *dist)
{
    const long P = 3L * S * S;
    int best = -1;
    double bd = INFINITY;
    for (int i = 0; i < n; i++) {
        const uint8_t *r = dg_dataset_image(ds, idx[i]);
        double d = 0;
        for (long p = 0; p < P && d < bd; p++) {
            double e = (double)r[p] - img[p];
            d += e * e;
        }
        if (d < bd) {
            bd = d;
            best = idx[i];
        }
    }
    *dist = best >= 0 ? sqrt(bd / P) / 255.0 : NAN;
    return best;
}

static gboolean check(const dg_explore_config *c, gboolean *classes, GError **error)
{
    *classes = g_strcmp0(c->mode, "classes") == 0;
    if (!*classes && g_strcmp0(c->mode, "noise") != 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "unknown mode '%s' (noise, classes)",
                    c->mode);
        return FALSE;
    }
    return dg_job_check_int("steps", c->steps, 2, DG_EXPLORE_MAX_STEPS, TRUE, error) &&
           dg_job_check_int("threads", c->threads, 1, DG_LIMIT_THREADS, TRUE, error);
}

typedef struct {
    dg_job *job;
    const dg_explore_config *cfg;
    dg_gan *gan;
    char **ids;
    dg_dataset *ds;
    int *train, n_train;
    JsonBuilder *b;
} explore_run;

/* Emits image i (CHW floats) and, with a data set, its nearest real image. */
static void emit_one(explore_run *x, int i, int cls, double t, const float *img)
{
    const int S = x->gan->cfg.size;
    const long P = 3L * S * S;
    uint8_t *rgb = g_new(uint8_t, P), *chw = g_new(uint8_t, P);
    dg_images_to_rgb(img, 1, S, rgb);
    dg_event ev = {.kind = DG_EVENT_IMAGE, .eta = -1, .width = S, .height = S, .rgb = rgb,
                   .message = "sample"};
    dg_event_set(&ev, "index", i);
    dg_event_set(&ev, "class", cls);
    dg_event_set(&ev, "t", t);
    dg_job_emit(x->job, &ev);
    json_builder_begin_object(x->b);
    json_builder_set_member_name(x->b, "index");
    json_builder_add_int_value(x->b, i);
    json_builder_set_member_name(x->b, "class");
    json_builder_add_string_value(x->b, x->ids[cls]);
    json_builder_set_member_name(x->b, "t");
    json_builder_add_double_value(x->b, t);
    if (x->ds && x->n_train > 0) {
        dg_image_from_float(img, S, chw);
        double d;
        int k = nearest(x->ds, x->train, x->n_train, chw, S, &d);
        const uint8_t *r = dg_dataset_image(x->ds, k);
        for (long p = 0; p < (long)S * S; p++)
            for (int c = 0; c < 3; c++)
                rgb[3 * p + c] = r[c * (long)S * S + p];
        dg_event nv = {.kind = DG_EVENT_IMAGE, .eta = -1, .width = S, .height = S, .rgb = rgb,
                       .message = "nearest", .path = x->ds->items[k].path};
        dg_event_set(&nv, "index", i);
        dg_event_set(&nv, "distance", d);
        dg_job_emit(x->job, &nv);
        json_builder_set_member_name(x->b, "nearest");
        dg_json_add_path(x->b, x->ds->items[k].path);
        json_builder_set_member_name(x->b, "distance");
        json_builder_add_double_value(x->b, d);
    }
    json_builder_end_object(x->b);
    g_free(rgb);
    g_free(chw);
}

static gboolean load(explore_run *x, GError **error)
{
    char *model = x->cfg->model ? g_strdup(x->cfg->model)
                                : dg_find_resource("models/generator.safetensors");
    if (!model) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "no generator model given and no bundled default found");
        return FALSE;
    }
    char **names = NULL;
    x->gan = dg_gan_load_model(model, DG_GAN_MAX_CLASSES + DG_EXPLORE_MAX_STEPS, &x->ids, &names,
                               error);
    g_free(model);
    g_strfreev(names);
    if (!x->gan)
        return FALSE;
    if (x->cfg->cls < 0 || x->cfg->cls >= x->gan->cfg.n_classes) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "class %d is out of range (the model has %d)", x->cfg->cls,
                    x->gan->cfg.n_classes);
        return FALSE;
    }
    if (!x->cfg->data)
        return TRUE;
    x->ds = dg_job_load_dataset(x->job, x->cfg->data, x->cfg->all_classes, x->gan->cfg.size,
                                x->cfg->cache_dir, x->cfg->split_seed, error);
    if (!x->ds)
        return FALSE;
    x->n_train = dg_dataset_indices(x->ds, DG_SPLIT_TRAIN, -1, NULL);
    x->train = g_new(int, MAX(x->n_train, 1));
    dg_dataset_indices(x->ds, DG_SPLIT_TRAIN, -1, x->train);
    return TRUE;
}

static gboolean explore_run_job(dg_job *job, void *config, GError **error)
{
    dg_explore_config *cfg = config;
    gboolean by_class;
    if (!check(cfg, &by_class, error))
        return FALSE;
    explore_run x = {.job = job, .cfg = cfg};
    gboolean ok = FALSE;
    if (!load(&x, error))
        goto out;
    const int K = x.gan->cfg.n_classes, S = x.gan->cfg.size, nz = x.gan->cfg.nz;
    const int n = by_class ? K : (cfg->steps > 0 ? cfg->steps : 8);
    float *za = g_new(float, nz), *zb = g_new(float, nz), *z = g_new(float, (long)n * nz);
    float *img = g_new(float, (long)n * 3 * S * S);
    int *labels = g_new(int, n);
    draw_noise(cfg->seed_a, za, nz);
    draw_noise(cfg->seed_b, zb, nz);
    for (int i = 0; i < n; i++) {
        if (by_class)
            memcpy(z + (long)i * nz, za, sizeof(float) * nz);
        else
            slerp(za, zb, nz, (double)i / (n - 1), z + (long)i * nz);
        labels[i] = by_class ? i : cfg->cls;
    }
    dg_ctx *ctx = dg_ctx_new(cfg->threads);
    dg_gan_generate(x.gan, ctx, NULL, z, labels, n, img);
    dg_ctx_free(ctx);
    x.b = json_builder_new();
    json_builder_begin_object(x.b);
    json_builder_set_member_name(x.b, "samples");
    json_builder_begin_array(x.b);
    for (int i = 0; i < n && dg_job_continue(job); i++)
        emit_one(&x, i, labels[i], by_class ? 0.0 : (double)i / (n - 1), img + (long)i * 3 * S * S);
    json_builder_end_array(x.b);
    json_builder_set_member_name(x.b, "mode");
    json_builder_add_string_value(x.b, by_class ? "classes" : "noise");
    json_builder_set_member_name(x.b, "n");
    json_builder_add_int_value(x.b, n);
    json_builder_set_member_name(x.b, "classes");
    json_builder_begin_array(x.b);
    for (int k = 0; k < K; k++)
        json_builder_add_string_value(x.b, x.ids[k]);
    json_builder_end_array(x.b);
    json_builder_end_object(x.b);
    JsonNode *root = json_builder_get_root(x.b);
    char *js = json_to_string(root, FALSE);
    json_node_unref(root);
    if (!dg_job_cancel_requested(job)) {
        dg_event rv = {.kind = DG_EVENT_RESULT, .eta = -1, .json = js};
        dg_job_emit(job, &rv);
    }
    g_free(js);
    g_object_unref(x.b);
    g_free(za), g_free(zb), g_free(z), g_free(img), g_free(labels);
    ok = TRUE;
out:
    dg_gan_free(x.gan);
    g_strfreev(x.ids);
    dg_dataset_free(x.ds);
    g_free(x.train);
    return ok;
}

const dg_job_kind dg_job_explore = {"explore", explore_run_job, dg_explore_config_free};

/* dg-job-gan-score.c: the quality scores of a generator (dg_job_gan_score). */
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-gan-private.h"
#include "jobs/dg-job-gan.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-limits.h"
#include "models/dg-gan-quality.h"
#include "models/dg-gan.h"
#include "models/dg-metrics.h"

#define ABL_BATCH 64
#define FD_DRAWS 10 /* random subsets for the spread of the Frechet distance */

/* ---- GAN quality scores ------------------------------------------------------------ */

dg_gan_score_config *dg_gan_score_config_new(void)
{
    dg_gan_score_config *c = g_new0(dg_gan_score_config, 1);
    c->per_class = 500;
    c->cas_epochs = 20;
    c->split_seed = 1;
    c->seed = 1;
    return c;
}

void dg_gan_score_config_free(void *p)
{
    dg_gan_score_config *c = p;
    if (!c)
        return;
    g_free(c->generator);
    g_free(c->classifier);
    g_free(c->data);
    g_free(c->cache_dir);
    g_free(c);
}

/* Features of items idx[0..n) of ds. */
static float *real_features(dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds, const int *idx, int n)
{
    const int S = cnn->cfg.size, D = dg_cnn_feature_dim(cnn);
    const long img = 3L * S * S;
    float *f = g_new(float, (long)MAX(n, 1) * D), *x = g_new(float, ABL_BATCH * img);
    for (int i0 = 0; i0 < n; i0 += ABL_BATCH) {
        int b = MIN(ABL_BATCH, n - i0);
        for (int i = 0; i < b; i++)
            dg_image_to_float(dg_dataset_image(ds, idx[i0 + i]), S, x + i * img);
        dg_cnn_features(cnn, ctx, x, b, f + (long)i0 * D);
    }
    g_free(x);
    return f;
}

static void add_distance(JsonBuilder *b, const char *name, double fd, dg_kernel_distance_result kd)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "frechet");
    if (isfinite(fd))
        json_builder_add_double_value(b, fd);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "kernel");
    if (isfinite(kd.mean))
        json_builder_add_double_value(b, kd.mean);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "kernel_std");
    if (isfinite(kd.std))
        json_builder_add_double_value(b, kd.std);
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
}

/* Images idx[0..n) of ds as floats at size S. */
static float *real_images(const dg_dataset *ds, const int *idx, int n, int S)
{
    const long img = 3L * S * S;
    float *x = g_new(float, MAX(n, 1) * img);
    for (int i = 0; i < n; i++)
        dg_image_to_float(dg_dataset_image(ds, idx[i]), S, x + i * img);
    return x;
}

static void add_number(JsonBuilder *b, const char *name, double v)
{
    json_builder_set_member_name(b, name);
    if (isfinite(v))
        json_builder_add_double_value(b, v);
    else
        json_builder_add_null_value(b);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *x, int n)
{
    if (n <= 0)
        return NAN;
    qsort(x, n, sizeof(double), cmp_dbl);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* The spectral artifact score of one class: the generated images against one
 * half of the class's real training images, and (the floor) the other half
 * against the same half, with as many images on both sides.  Returns the
 * generated-vs-real worst log10 ratio; *floor gets the real-vs-real one. */
static void spectral_scores(JsonBuilder *b, const dg_dataset *ds, const int *itr, int ntr,
                            const float *syn, int nsyn, int S, double *worst, double *floor)
{
    int na = ntr / 2, nb = MIN(ntr - na, nsyn);
    float *ra = real_images(ds, itr, na, S), *rb = real_images(ds, itr + na, nb, S);
    double *pa = g_new(double, S * S), *pb = g_new(double, S * S), *pg = g_new(double, S * S);
    dg_mean_power_spectrum(ra, na, S, pa);
    dg_mean_power_spectrum(rb, nb, S, pb);
    dg_mean_power_spectrum(syn, nb, S, pg);
    dg_spectral_score gs = dg_spectral_compare(pg, pa, S), fs = dg_spectral_compare(pb, pa, S);
    json_builder_set_member_name(b, "spectral");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "n_per_side");
    json_builder_add_int_value(b, nb);
    add_number(b, "synthetic_worst_log10", gs.worst);
    add_number(b, "synthetic_excess_log10", gs.excess);
    add_number(b, "synthetic_deficit_log10", gs.deficit);
    json_builder_set_member_name(b, "synthetic_worst_frequency");
    json_builder_begin_array(b);
    json_builder_add_int_value(b, gs.fu);
    json_builder_add_int_value(b, gs.fv);
    json_builder_end_array(b);
    add_number(b, "real_floor_worst_log10", fs.worst);
    add_number(b, "real_floor_excess_log10", fs.excess);
    add_number(b, "real_floor_deficit_log10", fs.deficit);
    json_builder_end_object(b);
    *worst = gs.worst;
    *floor = fs.worst;
    g_free(ra), g_free(rb), g_free(pa), g_free(pb), g_free(pg);
}

/* Precision / recall (k = 3) of the generated features against the training
 * features, beside the real test images' own; the memorization check (each
 * image's distance to its nearest training image, generated vs real test). */
static void feature_scores(JsonBuilder *b, const float *fs, int nsyn, const float *ftr, int ntr,
                           const float *fte, int nte, int D, dg_precision_recall *out_pr)
{
    dg_precision_recall pr = dg_precision_recall_knn(ftr, ntr, fs, nsyn, D, 3);
    dg_precision_recall prf = dg_precision_recall_knn(ftr, ntr, fte, nte, D, 3);
    json_builder_set_member_name(b, "precision_recall");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "k");
    json_builder_add_int_value(b, 3);
    add_number(b, "precision", pr.precision);
    add_number(b, "recall", pr.recall);
    add_number(b, "real_floor_precision", prf.precision);
    add_number(b, "real_floor_recall", prf.recall);
    json_builder_end_object(b);
    double *dg = g_new(double, MAX(nsyn, 1)), *dt = g_new(double, MAX(nte, 1));
    dg_nearest_distances(fs, nsyn, ftr, ntr, D, dg, NULL);
    dg_nearest_distances(fte, nte, ftr, ntr, D, dt, NULL);
    double mg = median_of(dg, nsyn), mt = median_of(dt, nte);
    double p5 = nte > 0 ? dt[(int)(0.05 * (nte - 1))] : NAN; /* dt is sorted now */
    int close = 0;
    for (int i = 0; i < nsyn; i++)
        close += dg[i] < p5;
    json_builder_set_member_name(b, "memorization");
    json_builder_begin_object(b);
    add_number(b, "synthetic_median_nn_distance", mg);
    add_number(b, "real_test_median_nn_distance", mt);
    add_number(b, "ratio", mg / mt);
    add_number(b, "share_closer_than_real_p5", nsyn > 0 ? (double)close / nsyn : NAN);
    json_builder_end_object(b);
    *out_pr = pr;
    g_free(dg), g_free(dt);
}

typedef struct {
    dg_job *job;
    const dg_gan_score_config *cfg;
    char *gen, *cls_path, **gids, **gnames;
    dg_gan *gan;
    dg_cnn *cnn;
    dg_dataset *ds;
    dg_ctx *ctx;
    dg_rng rng;
    JsonBuilder *b;
} score_run_t;

/* The generator, the feature extractor (same image size) and the data set. */
static gboolean load_inputs(score_run_t *s, GError **error)
{
    const dg_gan_score_config *cfg = s->cfg;
    if (!dg_job_check_int("per-class", cfg->per_class, 2, DG_LIMIT_SCORE_PER_CLASS, FALSE, error) ||
        !dg_job_check_int("cas-epochs", cfg->cas_epochs, 1, DG_LIMIT_EPOCHS, FALSE, error) ||
        !dg_job_check_int("threads", cfg->threads, 1, DG_LIMIT_THREADS, TRUE, error))
        return FALSE;
    s->gen = dg_job_find_generator(cfg->generator, error);
    if (!s->gen || !dg_job_check_generator_split(s->gen, cfg->split_seed, error))
        return FALSE;
    s->gan = dg_gan_load_model(s->gen, ABL_BATCH, &s->gids, &s->gnames, error);
    if (!s->gan)
        return FALSE;
    s->cnn = dg_job_load_classifier(cfg->classifier, ABL_BATCH, &s->cls_path, error);
    if (!s->cnn)
        return FALSE;
    if (s->cnn->cfg.size != s->gan->cfg.size) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "the classifier takes %dx%d images but the generator makes %dx%d",
                    s->cnn->cfg.size, s->cnn->cfg.size, s->gan->cfg.size, s->gan->cfg.size);
        return FALSE;
    }
    s->ds = dg_job_load_dataset_ex(s->job, cfg->data, cfg->all_classes, cfg->follow_symlinks, s->gan->cfg.size,
                                cfg->cache_dir, cfg->split_seed, error);
    return s->ds != NULL; /* a cancelled load: the job runner calls it a cancel */
}

static void begin_document(score_run_t *s)
{
    JsonBuilder *b = s->b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "generator");
    dg_json_add_path(b, s->gen);
    json_builder_set_member_name(b, "feature_extractor");
    dg_json_add_path(b, s->cls_path);
    json_builder_set_member_name(b, "feature_dim");
    json_builder_add_int_value(b, dg_cnn_feature_dim(s->cnn));
    json_builder_set_member_name(b, "note");
    json_builder_add_string_value(
        b, "Frechet and kernel (MMD^2, cubic polynomial kernel) distances on the pooled features "
           "of our own classifier (not Inception: these are not FID/KID values). 'synthetic' "
           "compares generated images with the real training images of the class; 'real_floor' "
           "compares the real test images with the same training images, with the same number of "
           "samples, as the floor a perfect generator would reach.");
}

/* How much the Frechet distance of n of the generated images moves from one
 * draw of n to another: over FD_DRAWS random subsets of n of the m images
 * (without replacement), against the same training features.  With n below
 * the feature dimension the sample covariance is rank-deficient and this
 * spread is large (several units for bcc's 77). */
static dg_summary frechet_spread(const float *fs, int m, int n, const float *ftr, int ntr, int D,
                                 uint64_t seed)
{
    double v[FD_DRAWS];
    if (n < 2 || m <= n)
        return dg_summarize(v, 0);
    float *sel = g_new(float, (long)n * D);
    int *perm = g_new(int, m);
    for (int i = 0; i < m; i++)
        perm[i] = i;
    dg_rng r;
    dg_rng_seed(&r, seed);
    for (int t = 0; t < FD_DRAWS; t++) {
        for (int i = 0; i < n; i++) { /* a partial Fisher-Yates shuffle */
            int j = i + (int)dg_rng_below(&r, (uint32_t)(m - i));
            int x = perm[i];
            perm[i] = perm[j], perm[j] = x;
            memcpy(sel + (long)i * D, fs + (long)perm[i] * D, sizeof(float) * D);
        }
        v[t] = dg_frechet_distance(sel, n, ftr, ntr, D);
    }
    g_free(sel), g_free(perm);
    return dg_summarize(v, FD_DRAWS);
}

/* Every score of class k (generator class index) into the document; FALSE
 * + error when a network's outputs are not finite (a damaged model file:
 * distances of NaN features are NaN or, worse, 0). */
static gboolean score_class(score_run_t *s, int k, int c, float *syn, float *fs, int *labels,
                            GError **error)
{
    const dg_gan_score_config *cfg = s->cfg;
    JsonBuilder *b = s->b;
    const int S = s->gan->cfg.size, D = dg_cnn_feature_dim(s->cnn), NPC = cfg->per_class;
    const long img = 3L * S * S;
    int ntr = dg_dataset_indices(s->ds, DG_SPLIT_TRAIN, c, NULL);
    int nte = dg_dataset_indices(s->ds, DG_SPLIT_TEST, c, NULL);
    int *itr = g_new(int, MAX(ntr, 1)), *ite = g_new(int, MAX(nte, 1));
    dg_dataset_indices(s->ds, DG_SPLIT_TRAIN, c, itr);
    dg_dataset_indices(s->ds, DG_SPLIT_TEST, c, ite);
    float *ftr = real_features(s->cnn, s->ctx, s->ds, itr, ntr);
    float *fte = real_features(s->cnn, s->ctx, s->ds, ite, nte);
    for (int i = 0; i < NPC; i++)
        labels[i] = k;
    for (int i0 = 0; i0 < NPC; i0 += ABL_BATCH) {
        int m = MIN(ABL_BATCH, NPC - i0);
        dg_gan_generate(s->gan, s->ctx, &s->rng, NULL, labels + i0, m, syn + (long)i0 * img);
    }
    dg_cnn_features(s->cnn, s->ctx, syn, NPC, fs);
    if (!dg_job_check_finite(syn, NPC * img, "the generator", error) ||
        !dg_job_check_finite(ftr, (long)ntr * D, "the classifier", error) ||
        !dg_job_check_finite(fte, (long)nte * D, "the classifier", error) ||
        !dg_job_check_finite(fs, (long)NPC * D, "the classifier", error)) {
        g_free(itr), g_free(ite), g_free(ftr), g_free(fte);
        return FALSE;
    }
    /* the same number of samples on both sides of the comparison */
    int nm = MIN(nte, NPC);
    double fd_syn = dg_frechet_distance(fs, nm, ftr, ntr, D);
    double fd_floor = dg_frechet_distance(fte, nm, ftr, ntr, D);
    dg_kernel_distance_result kd_syn = dg_kernel_distance(fs, nm, ftr, ntr, D, 0, 0, cfg->seed);
    dg_kernel_distance_result kd_floor = dg_kernel_distance(fte, nm, ftr, ntr, D, 0, 0, cfg->seed);
    double fd_all = dg_frechet_distance(fs, NPC, ftr, ntr, D);
    dg_summary fd_draws = frechet_spread(fs, NPC, nm, ftr, ntr, D, cfg->seed ^ (0xFD00ull + k));
    json_builder_set_member_name(b, s->gids[k]);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "n_train");
    json_builder_add_int_value(b, ntr);
    json_builder_set_member_name(b, "n_compared");
    json_builder_add_int_value(b, nm);
    add_distance(b, "synthetic", fd_syn, kd_syn);
    add_distance(b, "real_floor", fd_floor, kd_floor);
    json_builder_set_member_name(b, "frechet_synthetic_all");
    if (isfinite(fd_all))
        json_builder_add_double_value(b, fd_all);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "n_synthetic_all");
    json_builder_add_int_value(b, NPC);
    if (fd_draws.n > 0) { /* the spread of 'synthetic' from one draw of n_compared to another */
        json_builder_set_member_name(b, "frechet_draws");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "n");
        json_builder_add_int_value(b, fd_draws.n);
        const char *names[2] = {"mean", "sd"};
        const double vals[2] = {fd_draws.mean, fd_draws.std};
        for (int i = 0; i < 2; i++) {
            json_builder_set_member_name(b, names[i]);
            if (isfinite(vals[i]))
                json_builder_add_double_value(b, vals[i]);
            else
                json_builder_add_null_value(b);
        }
        json_builder_end_object(b);
    }
    double sw, sf;
    spectral_scores(b, s->ds, itr, ntr, syn, NPC, S, &sw, &sf);
    dg_precision_recall pr;
    feature_scores(b, fs, NPC, ftr, ntr, fte, nte, D, &pr);
    json_builder_end_object(b);
    g_autofree char *spread =
        fd_draws.n > 0 ? g_strdup_printf("; over %d draws of %d generated images %.2f +- %.2f",
                                         fd_draws.n, nm, fd_draws.mean, fd_draws.std)
                       : g_strdup("");
    dg_job_message(s->job, "info",
                   "%s: Frechet distance %.2f (real floor %.2f%s), kernel distance %.4f (floor "
                   "%.4f), %d samples a side; spectral artifact score %.3f (real floor %.3f); "
                   "precision %.3f, recall %.3f",
                   s->gids[k], fd_syn, fd_floor, spread, kd_syn.mean, kd_floor.mean, nm, sw, sf,
                   pr.precision, pr.recall);
    g_free(itr), g_free(ite), g_free(ftr), g_free(fte);
    return TRUE;
}

/* The per-class scores; FALSE when cancelled (no error) or failed. */
static gboolean score_classes(score_run_t *s, GError **error)
{
    const int S = s->gan->cfg.size, D = dg_cnn_feature_dim(s->cnn), NPC = s->cfg->per_class;
    float *syn = g_new(float, (long)NPC * 3 * S * S), *fs = g_new(float, (long)NPC * D);
    int *labels = g_new(int, NPC);
    gboolean go = TRUE;
    json_builder_set_member_name(s->b, "per_class");
    json_builder_begin_object(s->b);
    for (int k = 0; k < s->gan->cfg.n_classes && go; k++) {
        int c = dg_dataset_class_index(s->ds, s->gids[k]);
        if (c < 0 || dg_cnn_class_index(s->cnn, s->gids[k]) < 0) {
            dg_job_message(s->job, "warning",
                           "class '%s' is missing from the data set or the classifier; not scored",
                           s->gids[k]);
            continue;
        }
        if (!(go = dg_job_continue(s->job)))
            break;
        if (!(go = score_class(s, k, c, syn, fs, labels, error)))
            break;
        dg_event pv = {.kind = DG_EVENT_PROGRESS, .step = k + 1, .total = s->gan->cfg.n_classes,
                       .eta = -1};
        dg_job_emit(s->job, &pv);
    }
    json_builder_end_object(s->b);
    g_free(syn), g_free(fs), g_free(labels);
    return go;
}

/* Metrics of classifier m on a real split (NULL if cancelled or nothing
 * was usable; NULL + error if its outputs are not finite). */
static JsonNode *split_metrics(score_run_t *s, dg_job *job, dg_cnn *m, dg_split split,
                               GError **error)
{
    int n = dg_dataset_indices(s->ds, split, -1, NULL), used = 0;
    int *idx = g_new(int, MAX(n, 1));
    dg_dataset_indices(s->ds, split, -1, idx);
    float *probs = NULL;
    JsonNode *r = dg_job_evaluate_items(job, m, s->ctx, s->ds, idx, n, FALSE, s->cfg->seed, &probs,
                                        NULL, &used);
    if (r && !dg_job_check_finite(probs, (long)used * m->cfg.n_classes, "the classifier", error)) {
        json_node_unref(r);
        r = NULL;
    }
    g_free(idx), g_free(probs);
    return r;
}

/* Classification accuracy score: a classifier trained on synthetic images
 * only, tested on the real test split (or validation split, cas_on_val).
 * FALSE + error on failure, FALSE without an error when cancelled. */
static gboolean cas_score(score_run_t *s, GError **error)
{
    const dg_gan_score_config *cfg = s->cfg;
    char *tmp = g_dir_make_tmp("dermagan-cas-XXXXXX", error);
    if (!tmp)
        return FALSE;
    char *imgs = g_build_filename(tmp, "images", NULL), *run = g_build_filename(tmp, "run", NULL);
    dg_gan_generate_config *g = dg_gan_generate_config_new();
    g->model = g_strdup(s->gen);
    g->out = g_strdup(imgs);
    g->per_class = cfg->per_class;
    g->seed = cfg->seed + 1000;
    g->threads = cfg->threads;
    /* the data set's classes only (a generator of more, as one trained on all of
     * HAM10000's, is judged on the task classes it is tested on) */
    GPtrArray *want = g_ptr_array_new();
    for (int k = 0; k < s->gan->cfg.n_classes; k++)
        if (dg_dataset_class_index(s->ds, s->gids[k]) >= 0)
            g_ptr_array_add(want, g_strdup(s->gids[k]));
    g_ptr_array_add(want, NULL);
    g->classes = (char **)g_ptr_array_free(want, FALSE);
    dg_job_state st = dg_job_run_child(s->job, &dg_job_gan_generate, g, NULL, error);
    if (st == DG_JOB_SUCCEEDED) {
        dg_cnn_train_config *t = dg_cnn_train_config_new();
        t->data = g_strdup(imgs);
        t->out = g_strdup(run);
        g_free(t->arch);
        t->arch = g_strdup(s->cnn->cfg.arch);
        t->size = s->gan->cfg.size; /* tested on the real images, prepared at this size */
        t->epochs = cfg->cas_epochs;
        t->color_shift = 0; /* the protocol of the README's classification accuracy scores */
        t->seed = cfg->seed;
        t->threads = cfg->threads;
        t->cache_dir = g_strdup(""); /* temporary images: nothing worth caching */
        st = dg_job_run_child(s->job, &dg_job_cnn_train, t, NULL, error);
    }
    JsonNode *m = NULL;
    if (st == DG_JOB_SUCCEEDED) {
        char *model = g_build_filename(run, "model.safetensors", NULL);
        dg_cnn *cas = dg_cnn_load(model, ABL_BATCH, error);
        g_free(model);
        if (cas) {
            m = split_metrics(s, s->job, cas, cfg->cas_on_val ? DG_SPLIT_VAL : DG_SPLIT_TEST,
                              error);
            dg_cnn_free(cas);
        }
    }
    g_free(imgs), g_free(run);
    dg_remove_tree(tmp);
    g_free(tmp);
    if (!m)
        return FALSE;
    dg_job_message(s->job, "info",
                   "classification accuracy score: a classifier trained on %d synthetic images per "
                   "class reaches balanced accuracy %.4f on the real %s split",
                   cfg->per_class, dg_json_member_double(json_node_get_object(m), "balanced_accuracy"),
                   cfg->cas_on_val ? "validation" : "test");
    json_builder_set_member_name(s->b, "classification_accuracy_score");
    json_builder_add_value(s->b, m);
    json_builder_set_member_name(s->b, "classification_accuracy_score_split");
    json_builder_add_string_value(s->b, cfg->cas_on_val ? "val" : "test");
    return TRUE;
}

static gboolean score_run(dg_job *job, void *config, GError **error)
{
    score_run_t s = {.job = job, .cfg = config};
    dg_event sev = {.kind = DG_EVENT_STARTED, .eta = -1, .message = "scoring a generator"};
    dg_job_emit(job, &sev);
    gboolean ok = FALSE;
    if (!load_inputs(&s, error))
        goto out;
    s.ctx = dg_ctx_new(s.cfg->threads);
    dg_rng_seed(&s.rng, s.cfg->seed);
    begin_document(&s);
    GError *bad = NULL;
    if (!score_classes(&s, &bad)) {
        ok = !bad; /* cancelled */
        if (bad)
            g_propagate_error(error, bad);
        goto out;
    }
    /* the classifier's own score on the real test split, for reference */
    JsonNode *m = split_metrics(&s, NULL, s.cnn, DG_SPLIT_TEST, &bad);
    if (bad) {
        g_propagate_error(error, bad);
        goto out;
    }
    json_builder_set_member_name(s.b, "real_trained_balanced_accuracy");
    if (m)
        json_builder_add_double_value(
            s.b, dg_json_member_double(json_node_get_object(m), "balanced_accuracy"));
    else
        json_builder_add_null_value(s.b);
    if (m)
        json_node_unref(m);
    if (s.cfg->cas && !cas_score(&s, error)) {
        ok = !(error && *error) && dg_job_cancel_requested(job);
        goto out;
    }
    json_builder_end_object(s.b);
    JsonNode *root = json_builder_get_root(s.b);
    char *js = json_to_string(root, TRUE);
    dg_event ev = {.kind = DG_EVENT_RESULT, .eta = -1, .json = js};
    dg_job_emit(job, &ev);
    g_free(js);
    json_node_unref(root);
    ok = TRUE;
out:
    if (s.b)
        g_object_unref(s.b);
    g_strfreev(s.gids), g_strfreev(s.gnames);
    dg_gan_free(s.gan);
    dg_cnn_free(s.cnn);
    dg_dataset_free(s.ds);
    dg_ctx_free(s.ctx);
    g_free(s.gen), g_free(s.cls_path);
    return ok;
}

const dg_job_kind dg_job_gan_score = {"gan-score", score_run, dg_gan_score_config_free};

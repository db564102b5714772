/* dg-job-evaluate.c: the evaluate job of a trained classifier, and what the
 * classifier jobs share (loading the model, mapping the data set's classes). */
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/dg-file.h"
#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-limits.h"
#include "models/dg-classifier-post.h"
#include "models/dg-metrics.h"

#define EVAL_BATCH 64

/* The classifier to use: the given file, or the bundled default. */
dg_cnn *dg_job_load_classifier(const char *path, int max_batch, char **used_path, GError **error)
{
    char *p = path ? g_strdup(path) : dg_find_resource("models/classifier.safetensors");
    if (!p) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "no classifier model given and no bundled default found "
                    "(resources/models/classifier.safetensors)");
        return NULL;
    }
    dg_cnn *cnn = dg_cnn_load(p, max_batch, error);
    if (cnn && used_path)
        *used_path = p;
    else
        g_free(p);
    return cnn;
}

int *dg_job_class_map(dg_job *job, const dg_dataset *ds, const dg_cnn *cnn)
{
    int *map = g_new(int, ds->n_classes);
    for (int c = 0; c < ds->n_classes; c++) {
        map[c] = dg_cnn_class_index(cnn, ds->classes[c].id);
        if (map[c] < 0 && job)
            dg_job_message(job, "warning",
                           "class '%s' of the data set is not a class of the model; its images "
                           "are left out",
                           ds->classes[c].id);
    }
    return map;
}

JsonNode *dg_job_evaluate_items(dg_job *job, dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds,
                                const int *idx, int n, gboolean tta, uint64_t seed, float **probs_out,
                                int **labels_out, int *n_out)
{
    return dg_job_evaluate_items_shifted(job, cnn, ctx, ds, idx, n, tta, 0.0, seed, probs_out,
                                         labels_out, n_out);
}

JsonNode *dg_job_evaluate_items_shifted(dg_job *job, dg_cnn *cnn, dg_ctx *ctx,
                                        const dg_dataset *ds, const int *idx, int n, gboolean tta,
                                        double shift, uint64_t seed, float **probs_out,
                                        int **labels_out, int *n_out)
{
    const int K = cnn->cfg.n_classes, S = cnn->cfg.size;
    const long img = 3L * S * S;
    g_return_val_if_fail(ds->size == S, NULL); /* images prepared for another model */
    int *map = dg_job_class_map(job, ds, cnn);
    int *use = g_new(int, MAX(n, 1)), m = 0;
    for (int i = 0; i < n; i++)
        if (map[ds->items[idx[i]].cls] >= 0)
            use[m++] = idx[i];
    float *x = g_new(float, EVAL_BATCH * img), *probs = g_new(float, (long)MAX(m, 1) * K);
    int *labels = g_new(int, MAX(m, 1));
    dg_rate rate;
    dg_rate_init(&rate);
    JsonNode *res = NULL;
    for (int i0 = 0; i0 < m; i0 += EVAL_BATCH) {
        if (job && !dg_job_continue(job))
            goto out;
        int b = MIN(EVAL_BATCH, m - i0);
        for (int i = 0; i < b; i++) {
            dg_image_to_float(dg_dataset_image(ds, use[i0 + i]), S, x + i * img);
            if (shift > 0) {
                dg_rng r;
                dg_rng_seed(&r, 0x5d1f7ULL + (uint64_t)use[i0 + i]);
                dg_source_shift(x + i * img, S, shift, &r);
            }
            labels[i0 + i] = map[ds->items[use[i0 + i]].cls];
        }
        dg_cnn_predict(cnn, ctx, x, b, tta, probs + (long)i0 * K);
        if (job) {
            double spp = dg_rate_tick(&rate);
            dg_event ev = {.kind = DG_EVENT_PROGRESS, .step = i0 + b, .total = m,
                           .rate = b / MAX(spp, 1e-9), .eta = spp * (m - i0 - b) / b};
            dg_job_emit(job, &ev);
        }
    }
    dg_metrics *met = dg_metrics_compute(m, K, probs, labels, seed, DG_METRICS_N_BOOT);
    if (met) {
        res = dg_metrics_to_json(met, (const char *const *)cnn->class_ids);
        dg_metrics_free(met);
    }
out:
    if (probs_out && res) {
        *probs_out = probs;
        probs = NULL;
    }
    if (labels_out && res) {
        *labels_out = labels;
        labels = NULL;
    }
    if (n_out)
        *n_out = m;
    g_free(probs), g_free(labels), g_free(x), g_free(use), g_free(map);
    return res;
}

/* ---- evaluate --------------------------------------------------------------------- */

static int cmp_key(const void *a, const void *b)
{
    guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
    return x < y ? -1 : x > y;
}

dg_evaluate_config *dg_evaluate_config_new(void)
{
    dg_evaluate_config *c = g_new0(dg_evaluate_config, 1);
    c->split = g_strdup("test");
    c->split_seed = 1;
    return c;
}

void dg_evaluate_config_free(void *p)
{
    dg_evaluate_config *c = p;
    if (!c)
        return;
    g_free(c->model);
    g_free(c->data);
    g_free(c->split);
    g_free(c->cache_dir);
    g_free(c);
}

/* The ECE without the model's temperature and logit adjustment, beside the
 * calibrated one ("ece"). */
static void add_uncalibrated_ece(JsonObject *o, dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds,
                                 const int *idx, int n, gboolean tta, double shift)
{
    if (cnn->post.temperature == 1.0f && cnn->post.logit_tau == 0.0f)
        return;
    dg_cnn_post keep = cnn->post;
    cnn->post.temperature = 1.0f;
    memset(cnn->post.logit_bias, 0, sizeof cnn->post.logit_bias);
    JsonNode *raw = dg_job_evaluate_items_shifted(NULL, cnn, ctx, ds, idx, n, tta, shift, 1, NULL,
                                                  NULL, NULL);
    cnn->post = keep;
    if (!raw)
        return;
    JsonObject *r = json_node_get_object(raw);
    if (json_object_has_member(r, "ece"))
        json_object_set_double_member(o, "ece_uncalibrated", json_object_get_double_member(r, "ece"));
    json_object_set_double_member(o, "temperature", cnn->post.temperature);
    json_node_unref(raw);
}

/* Which of the evaluated images the model saw in training or validation
 * (its provenance) or in a later calibration (`cnn calibrate` on other data:
 * the record of model_path): with any, a warning, and the metrics of the
 * unseen images alone under "unseen". */
static void add_provenance(dg_job *job, JsonObject *o, dg_cnn *cnn, const char *model_path,
                           dg_ctx *ctx, const dg_dataset *ds, const int *idx, int n, gboolean tta,
                           double shift)
{
    GError *err = NULL;
    int n_cal = 0;
    char *cal_data = NULL;
    gboolean cal_by_path = FALSE;
    guint64 *cal = dg_cnn_read_calibration(model_path, &n_cal, &cal_data, &cal_by_path, &err);
    if (err) {
        dg_job_message(job, "warning", "%s", err->message);
        g_clear_error(&err);
    }
    int *unseen = g_new(int, MAX(n, 1)), nu = 0, in_train = 0, in_val = 0, in_cal = 0;
    for (int i = 0; i < n; i++) {
        /* (each record by its own kind of ids: an ImageFolder's paths, or
         * image ids in HAM10000's records and in files of earlier versions) */
        dg_seen s = dg_cnn_seen(cnn, dg_dataset_item_key_id(ds, idx[i], cnn->post.keys_by_path));
        in_train += s == DG_SEEN_TRAIN;
        in_val += s == DG_SEEN_VAL;
        /* counted once: a training or validation image is not counted again */
        const guint64 k = dg_image_key(dg_dataset_item_key_id(ds, idx[i], cal_by_path));
        const gboolean calibrated = s != DG_SEEN_TRAIN && s != DG_SEEN_VAL && cal &&
                                    bsearch(&k, cal, n_cal, 8, cmp_key) != NULL;
        in_cal += calibrated;
        if (s == DG_SEEN_NO && !calibrated)
            unseen[nu++] = idx[i];
    }
    if (cal) {
        json_object_set_int_member(o, "n_seen_in_calibration", in_cal);
        if (cal_data)
            dg_json_set_path(o, "calibration_data", cal_data);
    }
    if (!cnn->post.train_keys) {
        json_object_set_string_member(o, "provenance", "unknown");
        if (in_cal > 0)
            dg_job_message(job, "warning",
                           "%d of these %d images were used to calibrate the model (cnn calibrate "
                           "on %s): the metrics of the whole set are not a test of unseen lesions; "
                           "its training images are not recorded",
                           in_cal, n, cal_data ? cal_data : "another data set");
        goto done;
    }
    json_object_set_int_member(o, "n_seen_in_training", in_train);
    json_object_set_int_member(o, "n_seen_in_validation", in_val);
    if (in_train + in_val + in_cal > 0) {
        /* the images used to calibrate it, when any: the reason given too */
        g_autofree char *cal_part =
            in_cal > 0 ? g_strdup_printf(", and %d were among the images used to calibrate it (cnn "
                                         "calibrate on %s)",
                                         in_cal, cal_data ? cal_data : "another data set")
                       : g_strdup("");
        if (nu > 0)
            dg_job_message(job, "warning",
                           "%d of these %d images were in the model's training split and %d in its "
                           "validation split%s: the metrics of the whole set are not a test of unseen lesions; the "
                           "%d images it never saw are reported separately (\"unseen\")",
                           in_train, n, in_val, cal_part, nu);
        else
            dg_job_message(job, "warning",
                           "all %d images were seen by the model (%d in its training split, %d in its "
                           "validation split%s): these metrics are not a test of unseen lesions",
                           n, in_train, in_val, cal_part);
        JsonNode *u = nu > 0 ? dg_job_evaluate_items_shifted(NULL, cnn, ctx, ds, unseen, nu, tta,
                                                             shift, 1, NULL, NULL, NULL)
                             : NULL;
        if (u)
            json_object_set_member(o, "unseen", u);
    }
done:
    g_free(unseen), g_free(cal), g_free(cal_data);
}

/* With a patient prior in the model and metadata in the data set: the
 * metrics with the prior applied to each image's probabilities, under
 * "with_patient_metadata" (the main metrics stay the image's alone), and
 * how many images had any. */
static void add_patient(dg_job *job, JsonObject *o, const dg_dataset *ds, const dg_cnn *cnn,
                        const int *idx, int n, const float *probs, const int *labels, int used)
{
    const dg_meta_prior *prior = cnn->post.patient_prior;
    if (!prior || used < 1)
        return;
    const int K = cnn->cfg.n_classes;
    int *map = dg_job_class_map(NULL, ds, cnn), m = 0, known = 0;
    float *p = g_memdup2(probs, sizeof(float) * used * K);
    for (int i = 0; i < n && m < used; i++) {
        const dg_item *it = &ds->items[idx[i]];
        if (map[it->cls] < 0)
            continue;
        dg_patient pt = dg_item_patient_of(it);
        known += dg_meta_prior_apply(prior, &pt, p + (long)m * K) > 0;
        m++;
    }
    if (known > 0) {
        dg_metrics *met = dg_metrics_compute(used, K, p, labels, 1, DG_METRICS_N_BOOT);
        if (met) {
            JsonNode *r = dg_metrics_to_json(met, (const char *const *)cnn->class_ids);
            json_object_set_int_member(json_node_get_object(r), "n_with_metadata", known);
            json_object_set_double_member(json_node_get_object(r), "weight", prior->weight);
            json_object_set_member(o, "with_patient_metadata", r);
            dg_metrics_free(met);
            dg_job_message(job, "info",
                           "%d of %d images have patient metadata (age, sex, site) the model knows; "
                           "the metrics with it are under \"with_patient_metadata\"",
                           known, used);
        }
    }
    g_free(p);
    g_free(map);
}

/* "images": every image evaluated (those of a class the model knows, in the
 * order dg_job_evaluate_items used them), with its true and predicted class
 * and its probabilities. */
static void add_images(JsonObject *o, const dg_dataset *ds, const dg_cnn *cnn, const int *idx,
                       int n, const float *probs, const int *labels, int used)
{
    const int K = cnn->cfg.n_classes;
    int *map = dg_job_class_map(NULL, ds, cnn);
    JsonArray *images = json_array_new();
    int m = 0;
    for (int i = 0; i < n && m < used; i++) {
        const dg_item *it = &ds->items[idx[i]];
        if (map[it->cls] < 0)
            continue;
        const float *p = probs + (long)m * K;
        int pred = 0;
        for (int k = 1; k < K; k++)
            if (p[k] > p[pred])
                pred = k;
        JsonObject *im = json_object_new();
        dg_json_set_path_uri(im, "path", it->path); /* (the app opens it) */
        json_object_set_string_member(im, "image_id", it->image_id);
        json_object_set_int_member(im, "label", labels[m]);
        json_object_set_int_member(im, "pred", pred);
        JsonArray *pa = json_array_new();
        for (int k = 0; k < K; k++)
            json_array_add_double_element(pa, round(p[k] * 1e4) / 1e4);
        json_object_set_array_member(im, "probs", pa);
        json_array_add_object_element(images, im);
        m++;
    }
    json_object_set_array_member(o, "images", images);
    g_free(map);
}

static gboolean evaluate_run(dg_job *job, void *config, GError **error)
{
    dg_evaluate_config *cfg = config;
    if (!dg_job_check_int("threads", cfg->threads, 1, DG_LIMIT_THREADS, TRUE, error) ||
        !dg_job_check_double("shift", cfg->shift, 0, 4, TRUE, error))
        return FALSE;
    const char *split = cfg->split ? cfg->split : "test";
    dg_split which;
    if (strcmp(split, "test") == 0)
        which = DG_SPLIT_TEST;
    else if (strcmp(split, "val") == 0)
        which = DG_SPLIT_VAL;
    else if (strcmp(split, "all") == 0)
        which = DG_SPLIT_NONE;
    else {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "unknown split '%s' (test, val, all)",
                    split);
        return FALSE;
    }
    dg_event ev = {.kind = DG_EVENT_STARTED, .eta = -1, .message = "evaluating a classifier"};
    dg_job_emit(job, &ev);
    char *model = NULL;
    dg_cnn *cnn = dg_job_load_classifier(cfg->model, EVAL_BATCH, &model, error);
    if (!cnn)
        return FALSE;
    gboolean ok = FALSE;
    dg_ctx *ctx = NULL;
    int *idx = NULL;
    dg_dataset *ds = NULL;
    float *probs = NULL; /* freed at out, which a failed or cancelled load jumps to */
    int *labels = NULL;
    if (which == DG_SPLIT_NONE) {
        /* every image: no split needed (an ImageFolder of other images, say) */
        dg_load_options opt;
        dg_load_options_init(&opt);
        opt.all_classes = cfg->all_classes;
        opt.follow_symlinks = cfg->follow_symlinks;
        opt.size = cnn->cfg.size;
        opt.cache_dir = cfg->cache_dir;
        opt.cancel = dg_job_cancel_flag(job);
        ds = cfg->data ? dg_dataset_load(cfg->data, &opt, error) : NULL;
        if (!cfg->data)
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no data set given");
        char *skipped = ds ? dg_dataset_skip_summary(ds) : NULL;
        if (skipped)
            dg_job_message(job, "warning", "%s", skipped);
        g_free(skipped);
    } else {
        ds = dg_job_load_dataset_ex(job, cfg->data, cfg->all_classes, cfg->follow_symlinks, cnn->cfg.size, cfg->cache_dir,
                                 cfg->split_seed, error);
    }
    if (!ds)
        goto out; /* a cancelled load: the job runner calls it a cancel */

    int n = dg_dataset_indices(ds, which, -1, NULL);
    idx = g_new(int, MAX(n, 1));
    dg_dataset_indices(ds, which, -1, idx);
    /* a class of the model with no image here (a tiny data set) cannot
     * count in the balanced accuracy: say so, rather than a figure over
     * fewer classes (the data set's other classes the model does not score) */
    for (int c = 0; n > 0 && c < ds->n_classes; c++)
        if (g_strv_contains((const char *const *)cnn->class_ids, ds->classes[c].id) &&
            dg_dataset_indices(ds, which, c, NULL) == 0)
            dg_job_message(job, "warning",
                           "class '%s' has no images in the %s: the balanced accuracy and the "
                           "per-class figures leave it out",
                           ds->classes[c].id,
                           which == DG_SPLIT_NONE ? "data set" : which == DG_SPLIT_VAL
                                                                     ? "validation split"
                                                                     : "test split");
    ctx = dg_ctx_new(cfg->threads);
    int used = 0;
    JsonNode *res = dg_job_evaluate_items_shifted(job, cnn, ctx, ds, idx, n, cfg->tta, cfg->shift, 1,
                                                  &probs, &labels, &used);
    if (!res) {
        if (dg_job_cancel_requested(job)) {
            ok = TRUE;
            goto out;
        }
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "none of the %d images of the %s split belongs to a class of the model", n, split);
        goto out;
    }
    if (used == 0) {
        json_node_unref(res);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "none of the %d images of the %s split belongs to a class of the model", n, split);
        goto out;
    }
    if (!dg_job_check_outputs(probs, (long)used * cnn->cfg.n_classes, error)) {
        json_node_unref(res);
        goto out;
    }
    JsonObject *o = json_node_get_object(res);
    add_uncalibrated_ece(o, cnn, ctx, ds, idx, n, cfg->tta, cfg->shift);
    add_provenance(job, o, cnn, model, ctx, ds, idx, n, cfg->tta, cfg->shift);
    json_object_set_string_member(o, "split", split);
    dg_json_set_path(o, "model", model);
    dg_json_set_path(o, "data", cfg->data);
    json_object_set_boolean_member(o, "tta", cfg->tta);
    json_object_set_double_member(o, "shift", cfg->shift);
    JsonArray *names = json_array_new();
    for (int k = 0; k < cnn->cfg.n_classes; k++)
        json_array_add_string_element(names, cnn->class_names[k]);
    json_object_set_array_member(o, "class_names", names);
    if (probs && labels)
        add_patient(job, o, ds, cnn, idx, n, probs, labels, used);
    if (cfg->per_image && probs && labels)
        add_images(o, ds, cnn, idx, n, probs, labels, used);
    char *js = json_to_string(res, TRUE);
    json_node_unref(res);
    dg_event rv = {.kind = DG_EVENT_RESULT, .eta = -1, .json = js};
    dg_job_emit(job, &rv);
    g_free(js);
    ok = TRUE;
out:
    g_free(probs);
    g_free(labels);
    g_free(idx);
    dg_dataset_free(ds);
    dg_ctx_free(ctx);
    dg_cnn_free(cnn);
    g_free(model);
    return ok;
}

const dg_job_kind dg_job_evaluate = {"evaluate", evaluate_run, dg_evaluate_config_free};

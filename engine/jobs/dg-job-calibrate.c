/* dg-job-calibrate.c: what a trained classifier learns about itself on the
 * validation split (dg-classifier-post.h): temperature, logit adjustment,
 * out-of-distribution statistics and provenance.  Run at the end of every
 * classifier training, and as `dermagan-cli cnn calibrate` on a model file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/dg-file.h"
#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-run-info.h"
#include "jobs/dg-run-dir.h"
#include "models/dg-classifier-post.h"
#include "models/dg-metrics.h"
#include "numerics/dg-loss.h"

#define CAL_BATCH 64

dg_calibrate_config *dg_calibrate_config_new(void)
{
    dg_calibrate_config *c = g_new0(dg_calibrate_config, 1);
    c->split_seed = 1;
    c->keep = 0.95;
    return c;
}

void dg_calibrate_config_free(void *p)
{
    dg_calibrate_config *c = p;
    if (!c)
        return;
    g_free(c->model);
    g_strfreev(c->members);
    g_free(c->data);
    g_free(c->out);
    g_free(c->cache_dir);
    g_free(c);
}

/* Items of a split whose class the model knows, with the model's labels. */
static int split_items(const dg_dataset *ds, const dg_cnn *cnn, dg_split split, int **idx,
                       int **labels)
{
    int n = dg_dataset_indices(ds, split, -1, NULL);
    int *all = g_new(int, MAX(n, 1)), m = 0;
    dg_dataset_indices(ds, split, -1, all);
    *idx = g_new(int, MAX(n, 1));
    *labels = g_new(int, MAX(n, 1));
    for (int i = 0; i < n; i++) {
        int k = dg_cnn_class_index(cnn, ds->classes[ds->items[all[i]].cls].id);
        if (k >= 0) {
            (*idx)[m] = all[i];
            (*labels)[m++] = k;
        }
    }
    g_free(all);
    return m;
}

/* Logits (K per image) or pooled features (D per image) of items idx. */
static float *run_items(dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds, const int *idx, int n,
                        gboolean features)
{
    const int S = cnn->cfg.size, W = features ? dg_cnn_feature_dim(cnn) : cnn->cfg.n_classes;
    const long img = 3L * S * S;
    float *x = g_new(float, CAL_BATCH * img), *out = g_new(float, (long)MAX(n, 1) * W);
    for (int i0 = 0; i0 < n; i0 += CAL_BATCH) {
        int b = MIN(CAL_BATCH, n - i0);
        for (int i = 0; i < b; i++)
            dg_image_to_float(dg_dataset_image(ds, idx[i0 + i]), S, x + i * img);
        if (features)
            dg_cnn_features(cnn, ctx, x, b, out + (long)i0 * W);
        else
            dg_cnn_logits(cnn, ctx, x, b, out + (long)i0 * W);
    }
    g_free(x);
    return out;
}

static double balanced_accuracy(const float *logits, const int *y, int n, int K, double T,
                                const float *bias)
{
    int hit[64] = {0}, cnt[64] = {0};
    for (int i = 0; i < n; i++) {
        int best = 0;
        double bv = -INFINITY;
        for (int k = 0; k < K; k++) {
            double v = logits[(long)i * K + k] / T + bias[k];
            if (v > bv)
                bv = v, best = k;
        }
        cnt[y[i]]++;
        hit[y[i]] += best == y[i];
    }
    double s = 0.0;
    int classes = 0;
    for (int k = 0; k < K; k++)
        if (cnt[k]) {
            s += (double)hit[k] / cnt[k];
            classes++;
        }
    return classes ? s / classes : NAN;
}

/* The patient prior (dg-meta-prior.h): counted on the training split, its
 * weight the one of the best validation balanced accuracy on a grid of 0 to
 * 2 (the smallest among equals; none kept when 0 wins or no validation
 * image has metadata).  vl: validation logits; T, bias: the calibration. */
static void fit_patient_prior(dg_job *job, dg_cnn *cnn, const dg_dataset *ds, const int *ti,
                              const int *ty, int nt, const int *vi, const int *vy, int nv,
                              const float *vl, double T, const float *bias, JsonObject *report)
{
    const int K = cnn->cfg.n_classes;
    dg_patient *tp = g_new(dg_patient, MAX(nt, 1)), *vp = g_new(dg_patient, MAX(nv, 1));
    for (int i = 0; i < nt; i++)
        tp[i] = dg_item_patient_of(&ds->items[ti[i]]);
    int known = 0;
    for (int i = 0; i < nv; i++) {
        char keys[3][DG_META_KEY_MAX];
        vp[i] = dg_item_patient_of(&ds->items[vi[i]]);
        known += dg_patient_keys(&vp[i], keys) > 0;
    }
    dg_meta_prior *m = known ? dg_meta_prior_fit(tp, ty, nt, K) : NULL;
    if (!m) {
        if (job)
            dg_job_message(job, "info", "no patient metadata (age, sex, site) in the data set: "
                                        "predictions use the image only");
        g_free(tp), g_free(vp);
        return;
    }
    float *p0 = g_new(float, (long)nv * K), *p = g_new(float, (long)nv * K);
    for (int i = 0; i < nv; i++) {
        float z[64];
        for (int k = 0; k < K; k++)
            z[k] = vl[(long)i * K + k] / (float)T + bias[k];
        dg_softmax(z, 1, K, p0 + (long)i * K);
    }
    const float zero[64] = {0};
    double best_w = 0.0, best = -1.0, b0 = NAN;
    for (int s = 0; s <= 20; s++) {
        m->weight = s / 10.0f;
        memcpy(p, p0, sizeof(float) * nv * K);
        for (int i = 0; i < nv; i++)
            dg_meta_prior_apply(m, &vp[i], p + (long)i * K);
        /* balanced accuracy of probabilities: their logs as logits */
        for (long j = 0; j < (long)nv * K; j++)
            p[j] = logf(fmaxf(p[j], 1e-30f));
        double b = balanced_accuracy(p, vy, nv, K, 1.0, zero);
        if (s == 0)
            b0 = b;
        if (b > best + 1e-9)
            best = b, best_w = s / 10.0;
    }
    m->weight = (float)best_w;
    /* the temperature of the combined log-probabilities, on validation */
    memcpy(p, p0, sizeof(float) * nv * K);
    for (int i = 0; i < nv; i++)
        dg_meta_prior_apply(m, &vp[i], p + (long)i * K);
    for (long j = 0; j < (long)nv * K; j++)
        p[j] = logf(fmaxf(p[j], 1e-30f));
    const double ece_w = dg_ece_of_logits(p, vy, nv, K, 1.0, zero);
    m->temperature = (float)dg_fit_temperature(p, vy, nv, K, NULL);
    const double ece_t = dg_ece_of_logits(p, vy, nv, K, m->temperature, zero);
    if (report) {
        json_object_set_double_member(report, "patient_weight", best_w);
        json_object_set_double_member(report, "patient_temperature", m->temperature);
        json_object_set_double_member(report, "val_ece_with_patient", ece_t);
        json_object_set_int_member(report, "patient_keys", m->n_keys);
        json_object_set_int_member(report, "val_with_patient_metadata", known);
        json_object_set_double_member(report, "val_balanced_accuracy_with_patient", best);
    }
    if (job)
        dg_job_message(job, "info",
                       "patient metadata (age, sex, site; %d of %d validation images have some): "
                       "weight %.1f, validation balanced accuracy %.4f -> %.4f, temperature %.3f "
                       "(ECE %.3f -> %.3f)",
                       known, nv, best_w, b0, best, m->temperature, ece_w, ece_t);
    if (best_w > 0)
        cnn->post.patient_prior = m;
    else
        dg_meta_prior_free(m);
    g_free(tp), g_free(vp), g_free(p0), g_free(p);
}

gboolean dg_cnn_calibrate(dg_job *job, dg_cnn *cnn, dg_ctx *ctx, const dg_dataset *ds, double keep,
                          gboolean record_provenance, JsonObject *report, GError **error)
{
    const int K = cnn->cfg.n_classes;
    int *vi, *vy, *ti, *ty;
    const int nv = split_items(ds, cnn, DG_SPLIT_VAL, &vi, &vy);
    const int nt = split_items(ds, cnn, DG_SPLIT_TRAIN, &ti, &ty);
    gboolean ok = FALSE;
    float *vl = NULL, *vf = NULL, *tf = NULL;
    if (nv < 10 || nt < 2 * K) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "calibration needs a validation and a training split (%d and %d images of "
                    "the model's classes)",
                    nv, nt);
        goto out;
    }
    {
        /* the provenance is a fact of training: kept through the clear unless
         * this calibration is the end of the training */
        guint64 *tk = cnn->post.train_keys, *vk = cnn->post.val_keys;
        const int ntk = cnn->post.n_train_keys, nvk = cnn->post.n_val_keys;
        const gboolean by_path = cnn->post.keys_by_path;
        cnn->post.train_keys = cnn->post.val_keys = NULL;
        dg_cnn_post_clear(cnn);
        if (record_provenance) {
            g_free(tk), g_free(vk);
        } else {
            cnn->post.train_keys = tk, cnn->post.val_keys = vk;
            cnn->post.n_train_keys = ntk, cnn->post.n_val_keys = nvk;
            cnn->post.keys_by_path = by_path;
        }
    }
    /* the validation logits */
    vl = run_items(cnn, ctx, ds, vi, nv, FALSE);
    if (!dg_job_check_finite(vl, (long)nv * K, "the classifier", error))
        goto out; /* (a damaged model file: NaN logits fit no temperature) */
    const float zero[64] = {0};
    const double ece0 = dg_ece_of_logits(vl, vy, nv, K, 1.0, zero);
    /* logit adjustment (Menon et al. 2021): tau for the validation balanced
     * accuracy (the smallest |tau| among equals); for each tau, the
     * temperature of the least validation NLL of softmax(logits / T + bias)
     * (Guo et al. 2017), so that the probabilities
     * shown are calibrated with the bias that decides */
    int cnt[64] = {0};
    for (int i = 0; i < nt; i++)
        cnt[ty[i]]++;
    const double T0 = dg_fit_temperature(vl, vy, nv, K, NULL);
    double best_tau = 0.0, T = T0, best_b = balanced_accuracy(vl, vy, nv, K, T0, zero);
    const double b0 = best_b;
    for (int s = -10; s <= 20; s++) {
        double tau = s / 10.0;
        float bias[64];
        for (int k = 0; k < K; k++)
            bias[k] = (float)(-tau * log((cnt[k] + 1.0) / (nt + K)));
        double Tt = dg_fit_temperature(vl, vy, nv, K, bias);
        double b = balanced_accuracy(vl, vy, nv, K, Tt, bias);
        if (b > best_b + 1e-9 || (fabs(b - best_b) <= 1e-9 && fabs(tau) < fabs(best_tau)))
            best_b = b, best_tau = tau, T = Tt;
    }
    cnn->post.temperature = (float)T;
    cnn->post.logit_tau = (float)best_tau;
    for (int k = 0; k < K; k++)
        cnn->post.logit_bias[k] = (float)(-best_tau * log((cnt[k] + 1.0) / (nt + K)));
    const double ece1 = dg_ece_of_logits(vl, vy, nv, K, T, cnn->post.logit_bias);
    fit_patient_prior(job, cnn, ds, ti, ty, nt, vi, vy, nv, vl, T, cnn->post.logit_bias, report);
    if (job && !dg_job_continue(job))
        goto out;
    /* out of distribution: training features, validation threshold */
    tf = run_items(cnn, ctx, ds, ti, nt, TRUE);
    vf = run_items(cnn, ctx, ds, vi, nv, TRUE);
    if (!dg_job_check_finite(tf, (long)nt * dg_cnn_feature_dim(cnn), "the classifier", error) ||
        !dg_job_check_finite(vf, (long)nv * dg_cnn_feature_dim(cnn), "the classifier", error))
        goto out;
    if (!dg_cnn_fit_ood(cnn, tf, ty, nt, vf, nv, keep)) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_FAILED,
                    "could not fit the out-of-distribution statistics");
        goto out;
    }
    /* provenance: every image of the training and validation splits */
    if (record_provenance) {
        int a = dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, NULL);
        int b = dg_dataset_indices(ds, DG_SPLIT_VAL, -1, NULL);
        int *ia = g_new(int, MAX(a, 1)), *ib = g_new(int, MAX(b, 1));
        dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, ia);
        dg_dataset_indices(ds, DG_SPLIT_VAL, -1, ib);
        const char **na = g_new(const char *, MAX(a, 1)), **nb = g_new(const char *, MAX(b, 1));
        /* an ImageFolder's images by path: their names repeat across classes */
        const gboolean by_path = ds->layout == DG_LAYOUT_IMAGEFOLDER;
        for (int i = 0; i < a; i++)
            na[i] = dg_dataset_item_key_id(ds, ia[i], by_path);
        for (int i = 0; i < b; i++)
            nb[i] = dg_dataset_item_key_id(ds, ib[i], by_path);
        dg_cnn_set_provenance(cnn, na, a, nb, b, by_path);
        g_free(ia), g_free(ib), g_free(na), g_free(nb);
    }
    if (report) {
        json_object_set_double_member(report, "temperature", T);
        json_object_set_double_member(report, "logit_tau", best_tau);
        json_object_set_double_member(report, "val_ece_before", ece0);
        json_object_set_double_member(report, "val_ece_after", ece1);
        json_object_set_double_member(report, "val_balanced_accuracy_before", b0);
        json_object_set_double_member(report, "val_balanced_accuracy_after", best_b);
        json_object_set_double_member(report, "ood_threshold", cnn->post.ood_threshold);
        json_object_set_double_member(report, "ood_keep", keep);
    }
    if (job)
        dg_job_message(job, "info",
                       "calibrated on %d validation images: temperature %.3f (ECE %.3f -> %.3f), "
                       "logit adjustment tau %.1f (balanced accuracy %.4f -> %.4f), "
                       "out-of-distribution threshold %.1f (keeps %.0f%% of validation images)",
                       nv, T, ece0, ece1, best_tau, b0, best_b, cnn->post.ood_threshold,
                       100 * keep);
    ok = TRUE;
out:
    g_free(vi), g_free(vy), g_free(ti), g_free(ty), g_free(vl), g_free(vf), g_free(tf);
    return ok;
}

gboolean dg_cnn_save_over(dg_cnn *cnn, const char *src, const char *out, GHashTable *extra,
                          GError **error)
{
    dg_st *st = dg_st_load(src, error);
    if (!st)
        return FALSE;
    GHashTable *meta = g_hash_table_new(g_str_hash, g_str_equal);
    static const char *const own[] = {"format", "format_version", "classifier", "classes",
                                      "image_size", "preprocessing", "temperature", "logit_bias",
                                      "logit_tau", "ood_threshold", "patient_prior",
                                      DG_CNN_META_PROVENANCE_IDS};
    for (const char *const *k = dg_st_metadata_keys(st); k && *k; k++) {
        gboolean skip = FALSE;
        for (size_t i = 0; i < G_N_ELEMENTS(own); i++)
            skip = skip || strcmp(*k, own[i]) == 0;
        if (!skip)
            g_hash_table_insert(meta, (gpointer)*k, (gpointer)dg_st_metadata(st, *k));
    }
    if (extra) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, extra);
        while (g_hash_table_iter_next(&it, &k, &v))
            g_hash_table_insert(meta, k, v);
    }
    gboolean ok = dg_cnn_save(cnn, out, meta, error);
    g_hash_table_unref(meta);
    dg_st_free(st);
    return ok;
}

/* ---- the record of a calibration ------------------------------------------------------ */

static int cmp_key(const void *a, const void *b)
{
    guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
    return x < y ? -1 : x > y;
}

/* The images of ds's training and validation splits (all of which shape a
 * calibration: the class counts, the patient prior and the OOD statistics
 * come from the first, the temperature, logit adjustment and OOD threshold
 * from the second) as DG_CNN_META_CALIBRATION_IMAGES, by the ids of
 * DG_CNN_META_CALIBRATION_IDS (an ImageFolder's paths); *n: how many. */
static char *calibration_images(const dg_dataset *ds, int *n)
{
    const int a = dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, NULL);
    const int b = dg_dataset_indices(ds, DG_SPLIT_VAL, -1, NULL);
    int *idx = g_new(int, MAX(a + b, 1));
    dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, idx);
    dg_dataset_indices(ds, DG_SPLIT_VAL, -1, idx + a);
    guint64 *keys = g_new(guint64, MAX(a + b, 1));
    for (int i = 0; i < a + b; i++)
        keys[i] = dg_image_key(
            dg_dataset_item_key_id(ds, idx[i], ds->layout == DG_LAYOUT_IMAGEFOLDER));
    qsort(keys, a + b, 8, cmp_key);
    int m = 0;
    for (int i = 0; i < a + b; i++)
        if (m == 0 || keys[i] != keys[m - 1])
            keys[m++] = keys[i];
    for (int i = 0; i < m; i++)
        keys[i] = GUINT64_TO_LE(keys[i]);
    char *text = g_base64_encode((const guchar *)keys, 8 * (gsize)m);
    g_free(keys), g_free(idx);
    *n = m;
    return text;
}

guint64 *dg_cnn_read_calibration(const char *path, int *n, char **data, gboolean *by_path,
                                 GError **error)
{
    *n = 0;
    *by_path = FALSE;
    if (data)
        *data = NULL;
    JsonNode *meta = dg_model_metadata_read(path, error); /* (the header: not the weights again) */
    if (!meta)
        return NULL;
    const char *text = dg_model_metadata_string(meta, DG_CNN_META_CALIBRATION_IMAGES);
    guint64 *keys = NULL;
    if (text && !dg_cnn_read_ids_kind(dg_model_metadata_string(meta, DG_CNN_META_CALIBRATION_IDS),
                                      DG_CNN_META_CALIBRATION_IDS, by_path, error)) {
        /* (an unknown kind of ids: the record cannot be matched) */
    } else if (text) {
        gsize len = 0;
        guchar *raw = g_base64_decode(text, &len);
        if (len % 8 != 0 || len / 8 > G_MAXINT) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "the model's calibration record ('%s') is malformed",
                        DG_CNN_META_CALIBRATION_IMAGES);
        } else {
            *n = (int)(len / 8);
            keys = g_new(guint64, MAX(*n, 1));
            memcpy(keys, raw, len);
            for (int i = 0; i < *n; i++)
                keys[i] = GUINT64_FROM_LE(keys[i]);
            qsort(keys, *n, 8, cmp_key); /* sorted when written; not trusted */
            if (data)
                *data = g_strdup(dg_model_metadata_string(meta, DG_CNN_META_CALIBRATION_DATA));
        }
        g_free(raw);
    }
    json_node_unref(meta);
    return keys;
}

/* Whether data is the data set trained_on (a model's metadata
 * training_data, as given to its training): the same folder when both
 * resolve from here, else the same last path component. */
static gboolean same_data_set(const char *data, const char *trained_on)
{
    char *a = realpath(data, NULL), *b = realpath(trained_on, NULL);
    gboolean same;
    if (a && b) {
        same = strcmp(a, b) == 0;
    } else {
        char *ca = g_canonicalize_filename(data, "/"), *cb = g_canonicalize_filename(trained_on, "/");
        char *na = g_path_get_basename(ca), *nb = g_path_get_basename(cb);
        same = strcmp(na, nb) == 0;
        g_free(ca), g_free(cb), g_free(na), g_free(nb);
    }
    free(a), free(b);
    return same;
}

/* Before calibrating one model file on cfg->data: warns when it is not the
 * data set the model was trained on (the model's provenance is kept, the
 * images calibrated on are recorded apart), and when validation images of
 * this calibration were training images of the model (a split other than
 * its training's: an optimistic temperature and threshold). */
static void check_calibration_data(dg_job *job, const dg_calibrate_config *cfg, const char *path,
                                   const dg_cnn *cnn, const dg_dataset *ds)
{
    JsonNode *meta = dg_model_metadata_read(path, NULL);
    const char *trained_on = dg_model_metadata_string(meta, "training_data");
    if (!trained_on || !*trained_on)
        dg_job_message(job, "warning",
                       "the model file does not name the data set it was trained on "
                       "(training_data): its provenance is kept as it is, and the images of %s "
                       "used to calibrate it are recorded apart",
                       cfg->data);
    else if (!same_data_set(cfg->data, trained_on))
        dg_job_message(job, "warning",
                       "%s is not the data set the model was trained on (%s, its metadata "
                       "training_data): its provenance is kept as it is, and the images used to "
                       "calibrate it are recorded apart (evaluate counts them as seen)",
                       cfg->data, trained_on);
    if (meta)
        json_node_unref(meta);
    const int nv = dg_dataset_indices(ds, DG_SPLIT_VAL, -1, NULL);
    int *vi = g_new(int, MAX(nv, 1)), in_train = 0;
    dg_dataset_indices(ds, DG_SPLIT_VAL, -1, vi);
    for (int i = 0; i < nv; i++)
        in_train += dg_cnn_seen(cnn, dg_dataset_item_key_id(ds, vi[i], cnn->post.keys_by_path)) ==
                    DG_SEEN_TRAIN;
    if (in_train > 0)
        dg_job_message(job, "warning",
                       "%d of the %d validation images calibrated on were in the model's training "
                       "split: the temperature and threshold fitted on them are optimistic (a split "
                       "seed other than its training's?)",
                       in_train, nv);
    g_free(vi);
}

/* The ensemble of cfg->members (same architecture and classes). */
static dg_cnn *load_ensemble(dg_job *job, const dg_calibrate_config *cfg, GError **error)
{
    const int n = (int)g_strv_length(cfg->members);
    if (!cfg->out) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "an ensemble needs an output file (--out)");
        return NULL;
    }
    if (n < 2 || n > DG_CNN_MAX_MEMBERS) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "an ensemble takes 2 to %d models, not %d", DG_CNN_MAX_MEMBERS, n);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (!dg_job_check_not_input("out", cfg->out, cfg->members[i], "one of the ensemble's models",
                                    error))
            return NULL;
        for (int j = 0; j < i; j++) /* (the same model twice is one model counted twice) */
            if (dg_file_same(cfg->members[i], cfg->members[j])) {
                g_autofree char *a = dg_file_display_name(cfg->members[j]),
                                *b = dg_file_display_name(cfg->members[i]);
                g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                            "%s and %s are the same model: an ensemble takes different ones", a, b);
                return NULL;
            }
    }
    dg_cnn **m = g_new0(dg_cnn *, n), *e = NULL;
    int i;
    for (i = 0; i < n; i++) {
        m[i] = dg_cnn_load(cfg->members[i], 1, error);
        if (!m[i]) { /* (name the member, unless the loader's message does) */
            if (error && *error && !strstr((*error)->message, cfg->members[i]))
                g_prefix_error(error, "%s: ", cfg->members[i]);
            break;
        }
    }
    if (i == n) {
        e = dg_cnn_new_ensemble(m, n, CAL_BATCH, error);
        if (e)
            dg_job_message(job, "info", "an ensemble of %d %s models (%ld parameters)", n,
                           e->cfg.arch, dg_net_n_params(e->net));
    }
    for (int j = 0; j < n; j++)
        dg_cnn_free(m[j]);
    g_free(m);
    return e;
}

static gboolean calibrate_run(dg_job *job, void *config, GError **error)
{
    dg_calibrate_config *cfg = config;
    gboolean ok = FALSE;
    char *used = NULL;
    dg_cnn *cnn = NULL;
    dg_dataset *ds = NULL;
    dg_ctx *ctx = NULL;
    if (!dg_job_check_double("keep", cfg->keep, 0.5, 1.0, FALSE, error) ||
        !dg_job_check_int("threads", cfg->threads, 1, DG_LIMIT_THREADS, TRUE, error) ||
        (cfg->out && !dg_job_check_output("out", cfg->out, NULL, error)) ||
        !dg_job_check_outside_data("out", cfg->out, cfg->data, cfg->members ? NULL : cfg->model,
                                   error))
        return FALSE;
    if (!cfg->members && !cfg->model && !cfg->out) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "calibrating the bundled classifier needs an output file (--out): the bundled "
                    "model is never overwritten");
        return FALSE;
    }
    cnn = cfg->members ? load_ensemble(job, cfg, error)
                       : dg_job_load_classifier(cfg->model, CAL_BATCH, &used, error);
    if (!cnn)
        return FALSE;
    ds = dg_job_load_dataset_ex(job, cfg->data, cfg->all_classes, cfg->follow_symlinks, cnn->cfg.size, cfg->cache_dir,
                             cfg->split_seed, error);
    if (!ds)
        goto out;
    if (!cfg->members)
        check_calibration_data(job, cfg, used, cnn, ds);
    ctx = dg_ctx_new(cfg->threads);
    JsonObject *report = json_object_new();
    /* an ensemble is new: its provenance is the data set's splits it is
     * calibrated on (its members' training data); one model keeps its own */
    if (!dg_cnn_calibrate(job, cnn, ctx, ds, cfg->keep, cfg->members != NULL, report, error)) {
        json_object_unref(report);
        goto out;
    }
    if (cfg->members) {
        GHashTable *meta = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
        g_hash_table_insert(meta, "ensemble_members", g_strjoinv(", ", cfg->members));
        ok = dg_cnn_save(cnn, cfg->out, meta, error);
        g_hash_table_unref(meta);
    } else {
        int n_cal = 0;
        GHashTable *extra = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
        g_hash_table_insert(extra, DG_CNN_META_CALIBRATION_DATA, g_strdup(cfg->data));
        g_hash_table_insert(extra, DG_CNN_META_CALIBRATION_IMAGES, calibration_images(ds, &n_cal));
        g_hash_table_insert(extra, DG_CNN_META_CALIBRATION_IDS,
                            g_strdup(ds->layout == DG_LAYOUT_IMAGEFOLDER ? "path" : "image_id"));
        ok = dg_cnn_save_over(cnn, used, cfg->out ? cfg->out : used, extra, error);
        g_hash_table_unref(extra);
        json_object_set_int_member(report, "n_calibration_images", n_cal);
        json_object_set_string_member(report, "provenance", cnn->post.train_keys ? "kept" : "unknown");
    }
    if (ok) {
        dg_json_set_path(report, "model", cfg->out ? cfg->out : used);
        dg_job_emit_result(job, report);
    } else {
        json_object_unref(report);
    }
out:
    dg_cnn_free(cnn);
    dg_dataset_free(ds);
    dg_ctx_free(ctx);
    g_free(used);
    return ok;
}

const dg_job_kind dg_job_cnn_calibrate = {"cnn-calibrate", calibrate_run, dg_calibrate_config_free};

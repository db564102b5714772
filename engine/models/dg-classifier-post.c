#include "dg-classifier-post.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "data/dg-json.h"
#include "models/dg-meta-prior.h"
#include "models/dg-metrics.h"
#include "models/dg-model-file.h"
#include "numerics/dg-loss.h"

void dg_color_constancy(float *x, int n, int S, int p)
{
    if (p <= 0)
        return;
    const long hw = (long)S * S;
    for (int i = 0; i < n; i++) {
        float *im = x + (long)i * 3 * hw;
        double e[3];
        for (int c = 0; c < 3; c++) {
            double acc = 0.0;
            for (long j = 0; j < hw; j++) {
                double v = 0.5 * (im[c * hw + j] + 1.0);
                acc += pow(v > 0 ? v : 0.0, p);
            }
            e[c] = pow(acc / hw, 1.0 / p);
        }
        const double mean = (e[0] + e[1] + e[2]) / 3.0;
        for (int c = 0; c < 3; c++) {
            /* a black or nearly black channel is left as it is */
            const float g = e[c] > 1e-3 ? (float)(mean / e[c]) : 1.0f;
            for (long j = 0; j < hw; j++) {
                float v = 0.5f * (im[c * hw + j] + 1.0f) * g;
                im[c * hw + j] = 2.0f * (v < 1.0f ? v : 1.0f) - 1.0f;
            }
        }
    }
}

/* ---- temperature and logit adjustment ------------------------------------------------ */

static double nll(const float *logits, const int *y, int n, int K, double T, const float *bias)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (long)i * K;
        double mx = -INFINITY, v[64];
        for (int k = 0; k < K; k++)
            mx = fmax(mx, v[k] = z[k] / T + (bias ? bias[k] : 0.0f));
        double se = 0.0;
        for (int k = 0; k < K; k++)
            se += exp(v[k] - mx);
        s += mx + log(se) - v[y[i]];
    }
    return s / MAX(n, 1);
}

double dg_fit_temperature(const float *logits, const int *y, int n, int K, const float *bias)
{
    /* golden-section search on log T in [log 0.05, log 20]; the NLL is
     * convex in 1/T (a log-sum-exp of functions affine in 1/T, less one),
     * so unimodal in log T, with or without the bias */
    g_return_val_if_fail(K >= 1 && K <= 64, 1.0);
    const double g = (sqrt(5.0) - 1.0) / 2.0;
    double a = log(0.05), b = log(20.0);
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = nll(logits, y, n, K, exp(c), bias), fd = nll(logits, y, n, K, exp(d), bias);
    for (int it = 0; it < 60; it++) {
        if (fc < fd) {
            b = d, d = c, fd = fc;
            c = b - g * (b - a);
            fc = nll(logits, y, n, K, exp(c), bias);
        } else {
            a = c, c = d, fc = fd;
            d = a + g * (b - a);
            fd = nll(logits, y, n, K, exp(d), bias);
        }
    }
    return exp(0.5 * (a + b));
}

double dg_ece_of_logits(const float *logits, const int *y, int n, int K, double T,
                        const float *bias)
{
    enum { BINS = 15 };
    double conf[BINS] = {0}, acc[BINS] = {0};
    int cnt[BINS] = {0};
    float z[64], p[64];
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < K; k++)
            z[k] = (float)(logits[(long)i * K + k] / T) + (bias ? bias[k] : 0.0f);
        dg_softmax(z, 1, K, p);
        int top = 0;
        for (int k = 1; k < K; k++)
            if (p[k] > p[top])
                top = k;
        if (!isfinite(p[top]))
            return NAN; /* (no bin: NaN * BINS is no index) */
        int bin = MIN(BINS - 1, (int)(p[top] * BINS));
        conf[bin] += p[top];
        acc[bin] += top == y[i];
        cnt[bin]++;
    }
    double e = 0.0;
    for (int b = 0; b < BINS; b++)
        if (cnt[b])
            e += fabs(acc[b] - conf[b]);
    return e / MAX(n, 1);
}

/* ---- out-of-distribution statistics --------------------------------------------------- */

gboolean dg_cnn_fit_ood(dg_cnn *m, const float *feat, const int *y, int n, const float *val_feat,
                        int nv, double keep)
{
    const int K = m->cfg.n_classes, D = dg_cnn_feature_dim(m);
    if (n < 2 * K || nv < 10)
        return FALSE;
    double *mu = g_new0(double, (long)K * D), *cov = g_new0(double, (long)D * D);
    int cnt[64] = {0};
    for (int i = 0; i < n; i++) {
        cnt[y[i]]++;
        for (int d = 0; d < D; d++)
            mu[(long)y[i] * D + d] += feat[(long)i * D + d];
    }
    for (int k = 0; k < K; k++)
        for (int d = 0; d < D; d++)
            mu[(long)k * D + d] /= MAX(cnt[k], 1);
    /* the shared (within-class) covariance */
    double *r = g_new(double, D);
    for (int i = 0; i < n; i++) {
        for (int d = 0; d < D; d++)
            r[d] = feat[(long)i * D + d] - mu[(long)y[i] * D + d];
        for (int a = 0; a < D; a++)
            for (int b = a; b < D; b++)
                cov[(long)a * D + b] += r[a] * r[b];
    }
    double tr = 0.0;
    for (int a = 0; a < D; a++)
        for (int b = a; b < D; b++) {
            cov[(long)a * D + b] /= (n - K);
            cov[(long)b * D + a] = cov[(long)a * D + b];
        }
    for (int a = 0; a < D; a++)
        tr += cov[(long)a * D + a];
    /* shrinkage towards a scaled identity: the covariance of D = 256 features
     * from a few thousand images is poorly conditioned */
    const double lambda = 0.1, diag = tr / D;
    for (int a = 0; a < D; a++)
        for (int b = 0; b < D; b++)
            cov[(long)a * D + b] = (1 - lambda) * cov[(long)a * D + b] + (a == b ? lambda * diag : 0);
    double *w = g_new(double, D), *V = g_new(double, (long)D * D);
    gboolean ok = dg_sym_eigen(D, cov, w, V);
    if (ok) {
        g_free(m->post.ood_means);
        g_free(m->post.ood_precision);
        m->post.ood_dim = D;
        m->post.ood_means = g_new(float, (long)K * D);
        m->post.ood_precision = g_new(float, (long)D * D);
        for (long i = 0; i < (long)K * D; i++)
            m->post.ood_means[i] = (float)mu[i];
        for (int a = 0; a < D; a++)
            for (int b = 0; b < D; b++) {
                double s = 0.0;
                for (int k = 0; k < D; k++)
                    s += V[(long)a * D + k] * V[(long)b * D + k] / fmax(w[k], 1e-9 * diag);
                m->post.ood_precision[(long)a * D + b] = (float)s;
            }
        float *sc = g_new(float, nv);
        dg_cnn_ood_scores(m, val_feat, nv, sc);
        /* the keep-quantile of the validation scores */
        for (int i = 1; i < nv; i++)
            for (int j = i; j > 0 && sc[j - 1] > sc[j]; j--) {
                float t = sc[j];
                sc[j] = sc[j - 1];
                sc[j - 1] = t;
            }
        m->post.ood_threshold = sc[MIN(nv - 1, (int)ceil(keep * nv) - 1)];
        g_free(sc);
    }
    g_free(mu), g_free(cov), g_free(r), g_free(w), g_free(V);
    return ok;
}

void dg_cnn_ood_scores(const dg_cnn *m, const float *feat, int n, float *scores)
{
    const int K = m->cfg.n_classes, D = m->post.ood_dim;
    if (D == 0) {
        for (int i = 0; i < n; i++)
            scores[i] = NAN;
        return;
    }
    float *r = g_new(float, D);
    for (int i = 0; i < n; i++) {
        double best = INFINITY;
        for (int k = 0; k < K; k++) {
            for (int d = 0; d < D; d++)
                r[d] = feat[(long)i * D + d] - m->post.ood_means[(long)k * D + d];
            double s = 0.0;
            for (int a = 0; a < D; a++) {
                double t = 0.0;
                const float *P = m->post.ood_precision + (long)a * D;
                for (int b = 0; b < D; b++)
                    t += P[b] * r[b];
                s += r[a] * t;
            }
            best = fmin(best, s);
        }
        scores[i] = (float)best;
    }
    g_free(r);
}

/* ---- model files ---------------------------------------------------------------------- */

void dg_cnn_post_clear(dg_cnn *m)
{
    g_free(m->post.ood_means);
    g_free(m->post.ood_precision);
    g_free(m->post.train_keys);
    g_free(m->post.val_keys);
    dg_meta_prior_free(m->post.patient_prior);
    memset(&m->post, 0, sizeof m->post);
    m->post.temperature = 1.0f;
}

/* strings[0..4] receive what the writer references until it is saved. */
void dg_cnn_post_write(const dg_cnn *m, dg_st_writer *w, char **strings)
{
    const int K = m->cfg.n_classes;
    strings[0] = g_strdup_printf("%.6g", m->post.temperature);
    dg_st_writer_set_metadata(w, "temperature", strings[0]);
    GString *b = g_string_new("[");
    for (int k = 0; k < K; k++)
        g_string_append_printf(b, "%s%.6g", k ? ", " : "", m->post.logit_bias[k]);
    g_string_append(b, "]");
    strings[1] = g_string_free(b, FALSE);
    dg_st_writer_set_metadata(w, "logit_bias", strings[1]);
    strings[2] = g_strdup_printf("%.6g", m->post.logit_tau);
    dg_st_writer_set_metadata(w, "logit_tau", strings[2]);
    if (m->post.ood_dim > 0) {
        const int64_t D = m->post.ood_dim, sm[2] = {K, D}, sp[2] = {D, D};
        dg_st_writer_add(w, "post.ood_means", DG_ST_F32, 2, sm, m->post.ood_means);
        dg_st_writer_add(w, "post.ood_precision", DG_ST_F32, 2, sp, m->post.ood_precision);
        strings[3] = g_strdup_printf("%.9g", m->post.ood_threshold);
        dg_st_writer_set_metadata(w, "ood_threshold", strings[3]);
    }
    if (m->post.train_keys) {
        const int64_t st[1] = {m->post.n_train_keys}, sv[1] = {m->post.n_val_keys};
        dg_st_writer_add(w, "provenance.train", DG_ST_U64, 1, st, m->post.train_keys);
        dg_st_writer_add(w, "provenance.val", DG_ST_U64, 1, sv, m->post.val_keys);
        dg_st_writer_set_metadata(w, DG_CNN_META_PROVENANCE_IDS,
                                  m->post.keys_by_path ? "path" : "image_id");
    }
    if (m->post.patient_prior) {
        strings[4] = dg_meta_prior_to_json(m->post.patient_prior);
        dg_st_writer_set_metadata(w, "patient_prior", strings[4]);
    }
}

static gboolean number(const dg_st *st, const char *key, double lo, double hi, double def,
                       double *out, GError **error)
{
    const char *v = dg_st_metadata(st, key);
    *out = def;
    if (!v)
        return TRUE;
    char *end = NULL;
    double x = g_ascii_strtod(v, &end);
    if (end == v || *end || !(x >= lo && x <= hi)) {
        g_autofree char *q = dg_st_quoted(v);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "'%s' is %s, not a number from %g to %g", key, q, lo, hi);
        return FALSE;
    }
    *out = x;
    return TRUE;
}

static int cmp_u64(const void *a, const void *b);

static gboolean read_keys(const dg_st *st, const char *name, guint64 **keys, int *n,
                          GError **error)
{
    const dg_st_tensor *t = dg_st_find(st, name);
    if (!t)
        return TRUE;
    if (t->dtype != DG_ST_U64 || t->ndim != 1 || t->shape[0] > 10000000) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID, "'%s' is not a list of image keys",
                    name);
        return FALSE;
    }
    *n = (int)t->shape[0];
    *keys = g_new(guint64, MAX(*n, 1));
    if (*n)
        memcpy(*keys, t->data, 8 * (size_t)*n);
    qsort(*keys, *n, 8, cmp_u64); /* a file from elsewhere need not be sorted */
    return TRUE;
}

gboolean dg_cnn_post_read(dg_cnn *m, const dg_st *st, GError **error)
{
    const int K = m->cfg.n_classes, D = dg_cnn_feature_dim(m);
    dg_cnn_post_clear(m);
    double T, tau, thr;
    if (!number(st, "temperature", 0.01, 100, 1.0, &T, error) ||
        !number(st, "logit_tau", -10, 10, 0.0, &tau, error))
        return FALSE;
    m->post.temperature = (float)T;
    m->post.logit_tau = (float)tau;
    const char *lb = dg_st_metadata(st, "logit_bias");
    if (lb) {
        GError *jerr = NULL;
        JsonNode *root = dg_json_parse_bounded(lb, -1, DG_JSON_MAX_DEPTH, &jerr);
        if (jerr) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID, "'logit_bias': %s",
                        jerr->message);
            g_error_free(jerr);
            return FALSE;
        }
        JsonArray *a = root && JSON_NODE_HOLDS_ARRAY(root) ? json_node_get_array(root) : NULL;
        gboolean good = a && (int)json_array_get_length(a) == K;
        for (int k = 0; good && k < K; k++) {
            JsonNode *e = json_array_get_element(a, k);
            double v = JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) != G_TYPE_STRING
                           ? json_node_get_double(e)
                           : NAN;
            good = v >= -100 && v <= 100;
            m->post.logit_bias[k] = good ? (float)v : 0.0f;
        }
        if (root)
            json_node_unref(root);
        if (!good) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "'logit_bias' is not a list of %d numbers from -100 to 100", K);
            return FALSE;
        }
    }
    if (dg_st_find(st, "post.ood_means")) {
        if (!number(st, "ood_threshold", 0, 1e12, NAN, &thr, error))
            return FALSE;
        m->post.ood_means = g_new(float, (long)K * D);
        m->post.ood_precision = g_new(float, (long)D * D);
        const int64_t sm[2] = {K, D}, sp[2] = {D, D};
        if (!isfinite(thr) ||
            !dg_st_get_f32(st, "post.ood_means", 2, sm, m->post.ood_means, error) ||
            !dg_st_get_f32(st, "post.ood_precision", 2, sp, m->post.ood_precision, error)) {
            if (error && !*error)
                g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID, "'ood_threshold' missing");
            return FALSE;
        }
        for (long i = 0; i < (long)D * D; i++)
            if (!isfinite(m->post.ood_precision[i]) || (i < (long)K * D && !isfinite(m->post.ood_means[i]))) {
                g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_NOT_FINITE,
                            "the out-of-distribution statistics are not finite");
                return FALSE;
            }
        m->post.ood_dim = D;
        m->post.ood_threshold = (float)thr;
    }
    if (!read_keys(st, "provenance.train", &m->post.train_keys, &m->post.n_train_keys, error) ||
        !read_keys(st, "provenance.val", &m->post.val_keys, &m->post.n_val_keys, error) ||
        !dg_cnn_read_ids_kind(dg_st_metadata(st, DG_CNN_META_PROVENANCE_IDS),
                              DG_CNN_META_PROVENANCE_IDS, &m->post.keys_by_path, error))
        return FALSE;
    const char *pp = dg_st_metadata(st, "patient_prior");
    if (pp && !(m->post.patient_prior = dg_meta_prior_from_json(pp, K, error)))
        return FALSE;
    return TRUE;
}

/* ---- provenance ---------------------------------------------------------------------- */

guint64 dg_image_key(const char *image_id)
{
    guint64 h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)(image_id ? image_id : ""); *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
    return x < y ? -1 : x > y;
}

gboolean dg_cnn_read_ids_kind(const char *value, const char *key, gboolean *by_path,
                              GError **error)
{
    *by_path = g_strcmp0(value, "path") == 0;
    if (!value || *by_path || strcmp(value, "image_id") == 0)
        return TRUE;
    g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                "'%s' is neither \"image_id\" nor \"path\"", key);
    return FALSE;
}

void dg_cnn_set_provenance(dg_cnn *m, const char *const *train_ids, int n_train,
                           const char *const *val_ids, int n_val, gboolean by_path)
{
    g_free(m->post.train_keys);
    g_free(m->post.val_keys);
    m->post.train_keys = g_new(guint64, MAX(n_train, 1));
    m->post.val_keys = g_new(guint64, MAX(n_val, 1));
    for (int i = 0; i < n_train; i++)
        m->post.train_keys[i] = dg_image_key(train_ids[i]);
    for (int i = 0; i < n_val; i++)
        m->post.val_keys[i] = dg_image_key(val_ids[i]);
    qsort(m->post.train_keys, n_train, 8, cmp_u64);
    qsort(m->post.val_keys, n_val, 8, cmp_u64);
    m->post.n_train_keys = n_train;
    m->post.n_val_keys = n_val;
    m->post.keys_by_path = by_path;
}

static gboolean has_key(const guint64 *keys, int n, guint64 k)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (keys[mid] == k)
            return TRUE;
        if (keys[mid] < k)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return FALSE;
}

dg_seen dg_cnn_seen(const dg_cnn *m, const char *image_id)
{
    if (!m->post.train_keys)
        return DG_SEEN_UNKNOWN;
    guint64 k = dg_image_key(image_id);
    if (has_key(m->post.train_keys, m->post.n_train_keys, k))
        return DG_SEEN_TRAIN;
    if (has_key(m->post.val_keys, m->post.n_val_keys, k))
        return DG_SEEN_VAL;
    return DG_SEEN_NO;
}

/* ---- screening inputs ------------------------------------------------------------------ */

static void add_reason(dg_screen *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void add_reason(dg_screen *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (s->reasons[0])
        g_strlcat(s->reasons, "; ", sizeof s->reasons);
    g_strlcat(s->reasons, r, sizeof s->reasons);
    g_free(r);
}

gboolean dg_input_screen(const uint8_t *chw, int S, int w, int h, dg_screen *s)
{
    memset(s, 0, sizeof *s);
    const long hw = (long)S * S;
    double sum = 0.0, sum2 = 0.0, chroma = 0.0;
    long red = 0;
    for (long j = 0; j < hw; j++) {
        const double R = chw[j], G = chw[hw + j], B = chw[2 * hw + j];
        const double y = 0.299 * R + 0.587 * G + 0.114 * B, t = R + G + B + 1e-9;
        sum += y, sum2 += y * y;
        chroma += (fabs(R - G) + fabs(R - B)) / (2.0 * t);
        red += R >= B;
    }
    s->lum_std = sqrt(fmax(0.0, sum2 / hw - (sum / hw) * (sum / hw)));
    s->chroma = chroma / hw;
    s->red_share = (double)red / hw;
    if (w > 0 && h > 0 && MIN(w, h) < DG_SCREEN_MIN_SIDE)
        add_reason(s, "only %dx%d pixels", w, h);
    if (w > 0 && h > 0 && (double)MAX(w, h) / MIN(w, h) > DG_SCREEN_MAX_ASPECT)
        add_reason(s, "an extreme aspect ratio (%dx%d)", w, h);
    if (s->lum_std < DG_SCREEN_MIN_STD)
        add_reason(s, "almost a single colour");
    if (s->chroma < DG_SCREEN_MIN_CHROMA)
        add_reason(s, "grey, without the colours of skin");
    else if (s->red_share < DG_SCREEN_MIN_RED_SHARE)
        add_reason(s, "not the colours of skin");
    return s->reasons[0] == '\0';
}

/* dg-metrics.c: classification metrics and their aggregation over seeds
 * (see dg-metrics.h); the distances between feature distributions are in
 * dg-metrics-distances.c. */
#include "dg-metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numerics/dg-rng.h"

/* ---- classification ---------------------------------------------------- */

/* First maximum; NaN entries never win (all NaN: class 0). */
static int argmax(const float *p, int K)
{
    int best = 0;
    for (int k = 1; k < K; k++) {
        if (p[k] > p[best] || (isnan(p[best]) && !isnan(p[k])))
            best = k;
    }
    return best;
}

/* Balanced accuracy from per-class true positives and supports. */
static double balanced_accuracy(int K, const int *tp, const int *support)
{
    double sum = 0;
    int classes = 0;
    for (int k = 0; k < K; k++) {
        if (support[k] > 0) {
            sum += (double)tp[k] / support[k];
            classes++;
        }
    }
    return classes ? sum / classes : NAN;
}

typedef struct {
    float score;
    int positive;
} scored;

/* Ascending, NaN first (consistently, so equal keys stay together). */
static int cmp_scored(const void *a, const void *b)
{
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    if (isnan(x) || isnan(y))
        return isnan(y) - isnan(x);
    return (x > y) - (x < y);
}

/* One-vs-rest ROC AUC of class k by the Mann-Whitney U statistic with
 * average ranks for ties.  buf: n entries of scratch. */
static double auc_ovr(int n, int K, int k, const float *probs, const int *labels, scored *buf)
{
    long pos = 0;
    for (int i = 0; i < n; i++) {
        buf[i].score = probs[(size_t)i * K + k];
        buf[i].positive = labels[i] == k;
        pos += buf[i].positive;
    }
    long neg = n - pos;
    if (pos == 0 || neg == 0)
        return NAN;
    qsort(buf, n, sizeof(scored), cmp_scored);
    double rank_sum = 0; /* sum of the (1-based) ranks of the positives */
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && cmp_scored(&buf[i], &buf[j]) == 0)
            j++;
        double avg_rank = 0.5 * ((double)(i + 1) + (double)j);
        for (int t = i; t < j; t++)
            if (buf[t].positive)
                rank_sum += avg_rank;
        i = j;
    }
    double u = rank_sum - 0.5 * (double)pos * (double)(pos + 1);
    return u / ((double)pos * (double)neg);
}

/* numpy.percentile's default (linear interpolation) on sorted x[0..m). */
static double quantile_sorted(const double *x, int m, double q)
{
    double pos = q * (m - 1);
    int lo = (int)floor(pos);
    if (lo >= m - 1)
        return x[m - 1];
    double frac = pos - lo;
    return x[lo] + frac * (x[lo + 1] - x[lo]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Precision, recall, F1 and AUC per class, and their macro averages;
 * predicted counts are in m already. */
static void per_class_scores(dg_metrics *m, const int *tp, const int *support,
                             const float *probs, const int *labels)
{
    const int n = m->n, K = m->K;
    double f1_sum = 0, auc_sum = 0;
    int f1_classes = 0, auc_classes = 0;
    scored *buf = g_new(scored, n ? n : 1);
    for (int k = 0; k < K; k++) {
        dg_class_metrics *c = &m->per_class[k];
        c->support = support[k];
        if (c->support == 0 && c->predicted == 0) {
            c->precision = c->recall = c->f1 = NAN;
        } else {
            c->precision = c->predicted ? (double)tp[k] / c->predicted : 0.0;
            c->recall = c->support ? (double)tp[k] / c->support : 0.0;
            double s = c->precision + c->recall;
            c->f1 = s > 0 ? 2 * c->precision * c->recall / s : 0.0;
            f1_sum += c->f1;
            f1_classes++;
        }
        c->auc = auc_ovr(n, K, k, probs, labels, buf);
        if (!isnan(c->auc)) {
            auc_sum += c->auc;
            auc_classes++;
        }
    }
    g_free(buf);
    m->macro_f1 = f1_classes ? f1_sum / f1_classes : NAN;
    m->auc_macro = auc_classes ? auc_sum / auc_classes : NAN;
}

/* The expected calibration error from per-bin sums of n samples. */
static double ece_of(const double *conf_sum, const double *acc_sum, const int *bin_n, int n)
{
    double ece = 0;
    for (int b = 0; b < DG_METRICS_ECE_BINS; b++)
        if (bin_n[b])
            ece += (double)bin_n[b] / n * fabs(acc_sum[b] / bin_n[b] - conf_sum[b] / bin_n[b]);
    return ece;
}

/* Percentile bootstrap of the balanced accuracy, and the bootstrap sd of the
 * ECE (m->n_boot resamples, the same for both); bin[i] is sample i's ECE
 * bin, conf[i] its top-class probability; tp and support (K each) are
 * scratch. */
static void bootstrap_ci(dg_metrics *m, const int *pred, const int *labels, const int *bin,
                         const double *conf, uint64_t seed, int *tp, int *support)
{
    const int n = m->n, K = m->K, n_boot = m->n_boot;
    m->balanced_accuracy_ci95[0] = m->balanced_accuracy_ci95[1] = NAN;
    m->ece_sd = NAN;
    if (n_boot <= 0 || n <= 0)
        return;
    dg_rng rng;
    dg_rng_seed(&rng, seed);
    double *ba = g_new(double, n_boot), *ece = g_new(double, n_boot);
    for (int r = 0; r < n_boot; r++) {
        double conf_sum[DG_METRICS_ECE_BINS] = {0}, acc_sum[DG_METRICS_ECE_BINS] = {0};
        int bin_n[DG_METRICS_ECE_BINS] = {0};
        memset(tp, 0, sizeof(int) * K);
        memset(support, 0, sizeof(int) * K);
        for (int i = 0; i < n; i++) {
            int j = (int)dg_rng_below(&rng, (uint32_t)n);
            support[labels[j]]++;
            tp[labels[j]] += pred[j] == labels[j];
            conf_sum[bin[j]] += conf[j];
            acc_sum[bin[j]] += pred[j] == labels[j];
            bin_n[bin[j]]++;
        }
        ba[r] = balanced_accuracy(K, tp, support);
        ece[r] = ece_of(conf_sum, acc_sum, bin_n, n);
    }
    qsort(ba, n_boot, sizeof(double), cmp_double);
    m->balanced_accuracy_ci95[0] = quantile_sorted(ba, n_boot, 0.025);
    m->balanced_accuracy_ci95[1] = quantile_sorted(ba, n_boot, 0.975);
    if (n_boot > 1) {
        double mean = 0, ss = 0;
        for (int r = 0; r < n_boot; r++)
            mean += ece[r] / n_boot;
        for (int r = 0; r < n_boot; r++)
            ss += (ece[r] - mean) * (ece[r] - mean);
        m->ece_sd = sqrt(ss / (n_boot - 1));
    }
    g_free(ba);
    g_free(ece);
}

dg_metrics *dg_metrics_compute(int n, int K, const float *probs, const int *labels,
                               uint64_t seed, int n_boot)
{
    g_return_val_if_fail(n >= 0 && K >= 1 && n_boot >= 0, NULL);
    g_return_val_if_fail(n == 0 || (probs != NULL && labels != NULL), NULL);
    for (int i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= K) {
            g_critical("dg_metrics_compute: label %d of sample %d is outside [0, %d)", labels[i],
                       i, K);
            return NULL;
        }
    }

    dg_metrics *m = g_new0(dg_metrics, 1);
    m->n = n;
    m->K = K;
    m->n_boot = n_boot;
    m->per_class = g_new0(dg_class_metrics, K);
    m->confusion = g_new0(int, (size_t)K * K);

    int *pred = g_new(int, n ? n : 1), *bin = g_new(int, n ? n : 1);
    double *top = g_new(double, n ? n : 1);
    int *tp = g_new0(int, K), *support = g_new0(int, K);
    int correct = 0;
    double conf_sum[DG_METRICS_ECE_BINS] = {0}, acc_sum[DG_METRICS_ECE_BINS] = {0};
    int bin_n[DG_METRICS_ECE_BINS] = {0};
    for (int i = 0; i < n; i++) {
        const float *p = probs + (size_t)i * K;
        pred[i] = argmax(p, K);
        int ok = pred[i] == labels[i];
        m->confusion[labels[i] * K + pred[i]]++;
        m->per_class[pred[i]].predicted++;
        support[labels[i]]++;
        tp[labels[i]] += ok;
        correct += ok;
        /* bin b holds confidences in (b/B, (b+1)/B]; a confidence of 0 (or
         * NaN) goes to the first bin. */
        double c = p[pred[i]];
        int b = 0;
        while (b < DG_METRICS_ECE_BINS - 1 && c > (double)(b + 1) / DG_METRICS_ECE_BINS)
            b++;
        conf_sum[b] += isnan(c) ? 0 : c;
        acc_sum[b] += ok;
        bin_n[b]++;
        bin[i] = b;
        top[i] = isnan(c) ? 0 : c;
    }

    m->accuracy = n ? (double)correct / n : NAN;
    m->balanced_accuracy = balanced_accuracy(K, tp, support);
    m->ece = n ? ece_of(conf_sum, acc_sum, bin_n, n) : NAN;

    per_class_scores(m, tp, support, probs, labels);
    bootstrap_ci(m, pred, labels, bin, top, seed, tp, support);
    g_free(pred);
    g_free(bin);
    g_free(top);
    g_free(tp);
    g_free(support);
    return m;
}

void dg_metrics_free(dg_metrics *m)
{
    if (!m)
        return;
    g_free(m->per_class);
    g_free(m->confusion);
    g_free(m);
}

static void add_number(JsonBuilder *b, const char *name, double v)
{
    if (name)
        json_builder_set_member_name(b, name);
    if (isfinite(v))
        json_builder_add_double_value(b, v);
    else
        json_builder_add_null_value(b);
}

JsonNode *dg_metrics_to_json(const dg_metrics *m, const char *const *class_ids)
{
    g_return_val_if_fail(m != NULL, NULL);
    char **ids = g_new0(char *, m->K + 1);
    for (int k = 0; k < m->K; k++)
        ids[k] = class_ids ? g_strdup(class_ids[k]) : g_strdup_printf("%d", k);

    JsonBuilder *b = json_builder_new_immutable();
    json_builder_begin_object(b);
    add_number(b, "accuracy", m->accuracy);
    add_number(b, "balanced_accuracy", m->balanced_accuracy);
    json_builder_set_member_name(b, "balanced_accuracy_ci95");
    json_builder_begin_array(b);
    add_number(b, NULL, m->balanced_accuracy_ci95[0]);
    add_number(b, NULL, m->balanced_accuracy_ci95[1]);
    json_builder_end_array(b);
    add_number(b, "macro_f1", m->macro_f1);
    add_number(b, "auc_macro", m->auc_macro);
    add_number(b, "ece", m->ece);
    add_number(b, "ece_sd", m->ece_sd);
    json_builder_set_member_name(b, "n");
    json_builder_add_int_value(b, m->n);

    json_builder_set_member_name(b, "per_class");
    json_builder_begin_object(b);
    for (int k = 0; k < m->K; k++) {
        const dg_class_metrics *c = &m->per_class[k];
        json_builder_set_member_name(b, ids[k]);
        json_builder_begin_object(b);
        add_number(b, "precision", c->precision);
        add_number(b, "recall", c->recall);
        add_number(b, "f1", c->f1);
        add_number(b, "auc", c->auc);
        json_builder_set_member_name(b, "support");
        json_builder_add_int_value(b, c->support);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);

    json_builder_set_member_name(b, "confusion_matrix");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "labels");
    json_builder_begin_array(b);
    for (int k = 0; k < m->K; k++)
        json_builder_add_string_value(b, ids[k]);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "matrix");
    json_builder_begin_array(b);
    for (int t = 0; t < m->K; t++) {
        json_builder_begin_array(b);
        for (int p = 0; p < m->K; p++)
            json_builder_add_int_value(b, m->confusion[t * m->K + p]);
        json_builder_end_array(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    json_builder_end_object(b);

    JsonNode *root = json_builder_get_root(b);
    g_object_unref(b);
    g_strfreev(ids);
    return root;
}

/* ---- aggregation -------------------------------------------------------- */

dg_summary dg_summarize(const double *x, int n)
{
    dg_summary s = {n, NAN, NAN};
    if (n <= 0)
        return s;
    g_return_val_if_fail(x != NULL, s);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += x[i];
    s.mean = sum / n;
    if (n >= 2) {
        double ss = 0;
        for (int i = 0; i < n; i++)
            ss += (x[i] - s.mean) * (x[i] - s.mean);
        s.std = sqrt(ss / (n - 1));
    }
    return s;
}

#define SIGN_FLIP_EXACT_MAX 20
#define SIGN_FLIP_DRAWS (1 << 20)
#define SIGN_FLIP_SEED 0x516EF11D5EEDull

dg_paired dg_paired_compare(const double *a, const double *b, int n)
{
    dg_paired r = {n, NAN, NAN, NAN, NAN};
    if (n <= 0)
        return r;
    g_return_val_if_fail(a != NULL && b != NULL, r);
    double *d = g_new(double, n);
    double scale = 0;
    for (int i = 0; i < n; i++) {
        d[i] = b[i] - a[i];
        scale += fabs(d[i]);
    }
    dg_summary s = dg_summarize(d, n);
    r.mean = s.mean;
    r.std = s.std;
    if (n >= 2)
        r.t = s.mean / (s.std / sqrt((double)n));

    /* Sign-flip test on |sum|; patterns whose statistic ties the observed
     * one up to round-off count as at least as extreme. */
    double obs = fabs(s.mean * n), tol = 1e-12 * scale;
    if (isnan(obs)) {
        r.p = NAN;
    } else if (n <= SIGN_FLIP_EXACT_MAX) {
        uint64_t hits = 0, total = (uint64_t)1 << n;
        for (uint64_t mask = 0; mask < total; mask++) {
            double sum = 0;
            for (int i = 0; i < n; i++)
                sum += (mask >> i & 1) ? -d[i] : d[i];
            hits += fabs(sum) >= obs - tol;
        }
        r.p = (double)hits / (double)total;
    } else {
        dg_rng rng;
        dg_rng_seed(&rng, SIGN_FLIP_SEED);
        uint64_t hits = 0;
        for (int k = 0; k < SIGN_FLIP_DRAWS; k++) {
            double sum = 0;
            uint64_t bits = 0;
            for (int i = 0; i < n; i++) {
                if (i % 64 == 0)
                    bits = dg_rng_u64(&rng);
                sum += (bits >> (i % 64) & 1) ? -d[i] : d[i];
            }
            hits += fabs(sum) >= obs - tol;
        }
        r.p = (double)(hits + 1) / (double)(SIGN_FLIP_DRAWS + 1);
    }
    g_free(d);
    return r;
}

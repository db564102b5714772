/* dg-metrics.c: evaluation metrics and distribution distances. */
#include "dg-metrics.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numerics/dg-gemm.h"
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

    int *pred = g_new(int, n ? n : 1);
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
    }

    m->accuracy = n ? (double)correct / n : NAN;
    m->balanced_accuracy = balanced_accuracy(K, tp, support);
    double ece = 0;
    for (int b = 0; b < DG_METRICS_ECE_BINS; b++)
        if (bin_n[b])
            ece += (double)bin_n[b] / n * fabs(acc_sum[b] / bin_n[b] - conf_sum[b] / bin_n[b]);
    m->ece = n ? ece : NAN;

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

    /* Percentile bootstrap of the balanced accuracy. */
    m->balanced_accuracy_ci95[0] = m->balanced_accuracy_ci95[1] = NAN;
    if (n_boot > 0 && n > 0) {
        dg_rng rng;
        dg_rng_seed(&rng, seed);
        double *ba = g_new(double, n_boot);
        for (int r = 0; r < n_boot; r++) {
            memset(tp, 0, sizeof(int) * K);
            memset(support, 0, sizeof(int) * K);
            for (int i = 0; i < n; i++) {
                int j = (int)dg_rng_below(&rng, (uint32_t)n);
                support[labels[j]]++;
                tp[labels[j]] += pred[j] == labels[j];
            }
            ba[r] = balanced_accuracy(K, tp, support);
        }
        qsort(ba, n_boot, sizeof(double), cmp_double);
        m->balanced_accuracy_ci95[0] = quantile_sorted(ba, n_boot, 0.025);
        m->balanced_accuracy_ci95[1] = quantile_sorted(ba, n_boot, 0.975);
        g_free(ba);
    }
    g_free(pred);
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

/* ---- symmetric eigen-decomposition (cyclic Jacobi) ------------------------ */

#define JACOBI_MAX_SWEEPS 100

static inline void rotate(double *a, int i, int j, int k, int l, int n, double s, double tau)
{
    double g = a[i * n + j], h = a[k * n + l];
    a[i * n + j] = g - s * (h + g * tau);
    a[k * n + l] = h + s * (g - h * tau);
}

/* The cyclic Jacobi method with threshold (Rutishauser; as in Numerical
 * Recipes' jacobi), working on the upper triangle of A. */
gboolean dg_sym_eigen(int n, double *A, double *w, double *V)
{
    g_return_val_if_fail(n >= 0 && (n == 0 || (A != NULL && w != NULL)), FALSE);
    double *bv = g_new(double, n ? n : 1), *z = g_new0(double, n ? n : 1);
    /* The eigenvectors are accumulated as rows (Vt = V^T), so that each
     * rotation touches two contiguous rows instead of two strided columns. */
    double *Vt = V ? g_new0(double, (size_t)n * n) : NULL;
    for (int i = 0; Vt && i < n; i++)
        Vt[i * n + i] = 1;
    for (int i = 0; i < n; i++)
        bv[i] = w[i] = A[i * n + i];

    gboolean converged = FALSE;
    for (int sweep = 1; sweep <= JACOBI_MAX_SWEEPS; sweep++) {
        double off = 0;
        for (int p = 0; p < n - 1; p++)
            for (int q = p + 1; q < n; q++)
                off += fabs(A[p * n + q]);
        if (off == 0) {
            converged = TRUE;
            break;
        }
        if (!isfinite(off))
            break; /* NaN or Inf in A: no point in sweeping */
        double thresh = sweep < 4 ? 0.2 * off / ((double)n * n) : 0;
        for (int p = 0; p < n - 1; p++) {
            for (int q = p + 1; q < n; q++) {
                double apq = A[p * n + q];
                double g = 100 * fabs(apq);
                if (sweep > 4 && fabs(w[p]) + g == fabs(w[p]) && fabs(w[q]) + g == fabs(w[q])) {
                    A[p * n + q] = 0;
                    continue;
                }
                if (fabs(apq) <= thresh)
                    continue;
                double h = w[q] - w[p], t;
                if (fabs(h) + g == fabs(h)) {
                    t = apq / h;
                } else {
                    double theta = 0.5 * h / apq;
                    t = 1 / (fabs(theta) + sqrt(1 + theta * theta));
                    if (theta < 0)
                        t = -t;
                }
                double c = 1 / sqrt(1 + t * t), s = t * c, tau = s / (1 + c);
                h = t * apq;
                z[p] -= h;
                z[q] += h;
                w[p] -= h;
                w[q] += h;
                A[p * n + q] = 0;
                for (int j = 0; j < p; j++)
                    rotate(A, j, p, j, q, n, s, tau);
                for (int j = p + 1; j < q; j++)
                    rotate(A, p, j, j, q, n, s, tau);
                for (int j = q + 1; j < n; j++)
                    rotate(A, p, j, q, j, n, s, tau);
                if (Vt)
                    for (int j = 0; j < n; j++)
                        rotate(Vt, p, j, q, j, n, s, tau);
            }
        }
        for (int p = 0; p < n; p++) {
            bv[p] += z[p];
            w[p] = bv[p];
            z[p] = 0;
        }
    }
    g_free(bv);
    g_free(z);

    /* Ascending order (selection sort of an index), then V from Vt. */
    int *order = g_new(int, n ? n : 1);
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 0; i < n - 1; i++) {
        int k = i;
        for (int j = i + 1; j < n; j++)
            if (w[order[j]] < w[order[k]])
                k = j;
        int t = order[i];
        order[i] = order[k];
        order[k] = t;
    }
    double *ws = g_memdup2(w, sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++)
        w[i] = ws[order[i]];
    if (Vt)
        for (int r = 0; r < n; r++)
            for (int i = 0; i < n; i++)
                V[(size_t)r * n + i] = Vt[(size_t)order[i] * n + r];
    g_free(ws);
    g_free(order);
    g_free(Vt);
    return converged;
}

gboolean dg_sym_sqrt(int n, const double *A, double *R)
{
    g_return_val_if_fail(n >= 0 && (n == 0 || (A != NULL && R != NULL)), FALSE);
    if (n == 0)
        return TRUE;
    size_t nn = (size_t)n * n;
    double *a = g_memdup2(A, sizeof(double) * nn), *V = g_new(double, nn), *w = g_new(double, n);
    gboolean ok = dg_sym_eigen(n, a, w, V);
    /* R = V diag(sqrt w) V^T: scale the columns of V, then one product. */
    for (int j = 0; j < n; j++) {
        double s = sqrt(w[j] > 0 ? w[j] : 0);
        for (int i = 0; i < n; i++)
            a[i * n + j] = V[i * n + j] * s;
    }
    dg_blas_init();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0, a, n, V, n, 0.0, R, n);
    /* Exactly symmetric. */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            R[i * n + j] = R[j * n + i] = 0.5 * (R[i * n + j] + R[j * n + i]);
    g_free(a);
    g_free(V);
    g_free(w);
    return ok;
}

/* ---- distances ------------------------------------------------------------- */

/* Mean mu[d] and sample covariance S[d*d] of x[n*d]. */
static void mean_cov(const float *x, int n, int d, double *mu, double *S)
{
    double *c = g_new(double, (size_t)n * d);
    for (int j = 0; j < d; j++)
        mu[j] = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            mu[j] += x[(size_t)i * d + j];
    for (int j = 0; j < d; j++)
        mu[j] /= n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            c[(size_t)i * d + j] = x[(size_t)i * d + j] - mu[j];
    /* S = c^T c / (n - 1), upper triangle, then mirrored. */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, n, 1.0 / (n - 1), c, d, 0.0, S, d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++)
            S[i * d + j] = S[j * d + i];
    g_free(c);
}

static gboolean all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return FALSE;
    return TRUE;
}

double dg_frechet_distance(const float *x1, int n1, const float *x2, int n2, int d)
{
    if (n1 < 2 || n2 < 2 || d < 1 || !x1 || !x2)
        return NAN;
    if (!all_finite(x1, (size_t)n1 * d) || !all_finite(x2, (size_t)n2 * d))
        return NAN;
    dg_blas_init();
    size_t dd = (size_t)d * d;
    double *mu1 = g_new(double, d), *mu2 = g_new(double, d);
    double *S1 = g_new(double, dd), *S2 = g_new(double, dd);
    double *R = g_new(double, dd), *T = g_new(double, dd), *M = g_new(double, dd);
    double *w = g_new(double, d);
    mean_cov(x1, n1, d, mu1, S1);
    mean_cov(x2, n2, d, mu2, S2);

    double diff = 0, tr1 = 0, tr2 = 0;
    for (int j = 0; j < d; j++) {
        diff += (mu1[j] - mu2[j]) * (mu1[j] - mu2[j]);
        tr1 += S1[j * d + j];
        tr2 += S2[j * d + j];
    }
    /* tr sqrt(S1^1/2 S2 S1^1/2): the eigenvalues of that symmetric PSD matrix
     * are those of S1 S2. */
    gboolean ok = dg_sym_sqrt(d, S1, R);
    cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, d, d, 1.0, S2, d, R, d, 0.0, T, d);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, R, d, T, d, 0.0, M, d);
    for (int i = 0; i < d; i++)
        for (int j = i + 1; j < d; j++)
            M[i * d + j] = M[j * d + i] = 0.5 * (M[i * d + j] + M[j * d + i]);
    ok = dg_sym_eigen(d, M, w, NULL) && ok;
    double tr_sqrt = 0;
    for (int j = 0; j < d; j++)
        tr_sqrt += sqrt(w[j] > 0 ? w[j] : 0);

    double fd = diff + tr1 + tr2 - 2 * tr_sqrt;
    g_free(mu1);
    g_free(mu2);
    g_free(S1);
    g_free(S2);
    g_free(R);
    g_free(T);
    g_free(M);
    g_free(w);
    if (!ok || !isfinite(fd))
        return NAN;
    return fd > 0 ? fd : 0;
}

/* m distinct row indices of [0, n) (partial Fisher-Yates). */
static void sample_rows(dg_rng *rng, int *idx, int n, int m)
{
    for (int i = 0; i < n; i++)
        idx[i] = i;
    for (int i = 0; i < m; i++) {
        int j = i + (int)dg_rng_below(rng, (uint32_t)(n - i));
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

dg_kernel_distance_result dg_kernel_distance(const float *x1, int n1, const float *x2, int n2,
                                             int d, int n_subsets, int subset_size,
                                             uint64_t seed)
{
    dg_kernel_distance_result r = {NAN, NAN, n_subsets > 0 ? n_subsets : DG_KD_SUBSETS,
                                   subset_size > 0 ? subset_size : DG_KD_SUBSET_SIZE};
    int m = MIN(MIN(n1, n2), r.subset_size);
    if (m < 2 || d < 1 || !x1 || !x2)
        return r;
    r.subset_size = m;
    dg_blas_init();

    size_t md = (size_t)m * d, mm = (size_t)m * m;
    double *X = g_new(double, md), *Y = g_new(double, md);
    double *Kxx = g_new(double, mm), *Kyy = g_new(double, mm), *Kxy = g_new(double, mm);
    int *idx1 = g_new(int, n1), *idx2 = g_new(int, n2);
    double *mmd = g_new(double, r.n_subsets);
    dg_rng rng;
    dg_rng_seed(&rng, seed);
    const double gamma = 1.0 / d;

    for (int s = 0; s < r.n_subsets; s++) {
        sample_rows(&rng, idx1, n1, m);
        sample_rows(&rng, idx2, n2, m);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < d; j++) {
                X[(size_t)i * d + j] = x1[(size_t)idx1[i] * d + j];
                Y[(size_t)i * d + j] = x2[(size_t)idx2[i] * d + j];
            }
        /* Gram matrices; k(x, y) = (gamma x.y + 1)^3 */
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, m, d, gamma, X, d, 0.0, Kxx, m);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, m, d, gamma, Y, d, 0.0, Kyy, m);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, m, d, gamma, X, d, Y, d, 0.0, Kxy, m);
        double sxx = 0, syy = 0, sxy = 0;
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                double a = Kxx[(size_t)i * m + j] + 1, b = Kyy[(size_t)i * m + j] + 1;
                sxx += a * a * a;
                syy += b * b * b;
            }
            for (int j = 0; j < m; j++) {
                double c = Kxy[(size_t)i * m + j] + 1;
                sxy += c * c * c;
            }
        }
        /* Off-diagonal sums of Kxx, Kyy are twice the upper triangles. */
        mmd[s] = 2 * (sxx + syy) / ((double)m * (m - 1)) - 2 * sxy / ((double)m * m);
    }
    double sum = 0;
    for (int s = 0; s < r.n_subsets; s++)
        sum += mmd[s];
    r.mean = sum / r.n_subsets;
    double ss = 0;
    for (int s = 0; s < r.n_subsets; s++)
        ss += (mmd[s] - r.mean) * (mmd[s] - r.mean);
    r.std = sqrt(ss / r.n_subsets);

    g_free(X);
    g_free(Y);
    g_free(Kxx);
    g_free(Kyy);
    g_free(Kxy);
    g_free(idx1);
    g_free(idx2);
    g_free(mmd);
    return r;
}

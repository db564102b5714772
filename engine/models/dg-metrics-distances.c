/* dg-metrics-distances.c: distances between two sets of features (the
 * Frechet and kernel distances of dg-metrics.h) and the symmetric-matrix
 * square root the Frechet distance needs. */
#include "dg-metrics.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "numerics/dg-gemm.h"
#include "numerics/dg-rng.h"

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

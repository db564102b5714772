#include "dg-gan-quality.h"

#include <math.h>
#include <string.h>

/* ---- spectra --------------------------------------------------------------------- */

void dg_mean_power_spectrum(const float *images, int n, int S, double *out)
{
    const long plane = (long)S * S;
    double *cs = g_new(double, plane), *sn = g_new(double, plane), *win = g_new(double, S);
    double *x = g_new(double, plane), *re = g_new(double, plane), *im = g_new(double, plane);
    for (int k = 0; k < S; k++)
        for (int j = 0; j < S; j++) {
            double a = -2.0 * G_PI * (double)k * j / S;
            cs[k * S + j] = cos(a);
            sn[k * S + j] = sin(a);
        }
    for (int j = 0; j < S; j++)
        win[j] = 0.5 - 0.5 * cos(2.0 * G_PI * (j + 0.5) / S);
    memset(out, 0, sizeof(double) * plane);
    for (int i = 0; i < n; i++) {
        const float *img = images + (long)i * 3 * plane;
        double mean = 0.0;
        for (long p = 0; p < plane; p++) {
            x[p] = (img[p] + img[plane + p] + img[2 * plane + p]) / 3.0;
            mean += x[p];
        }
        mean /= plane;
        for (int v = 0; v < S; v++)
            for (int u = 0; u < S; u++)
                x[v * S + u] = (x[v * S + u] - mean) * win[v] * win[u];
        /* rows: re/im[v][k] = sum_u x[v][u] e^{-2 pi i k u / S} */
        for (int v = 0; v < S; v++)
            for (int k = 0; k < S; k++) {
                double r = 0.0, m = 0.0;
                for (int u = 0; u < S; u++) {
                    r += x[v * S + u] * cs[k * S + u];
                    m += x[v * S + u] * sn[k * S + u];
                }
                re[v * S + k] = r;
                im[v * S + k] = m;
            }
        /* columns */
        for (int k = 0; k < S; k++)
            for (int l = 0; l < S; l++) {
                double r = 0.0, m = 0.0;
                for (int v = 0; v < S; v++) {
                    double c = cs[l * S + v], s = sn[l * S + v];
                    r += re[v * S + k] * c - im[v * S + k] * s;
                    m += re[v * S + k] * s + im[v * S + k] * c;
                }
                out[l * S + k] += (r * r + m * m) / plane;
            }
    }
    for (long p = 0; p < plane; p++)
        out[p] /= n > 0 ? n : 1;
    g_free(cs), g_free(sn), g_free(win), g_free(x), g_free(re), g_free(im);
}

static int signed_freq(int f, int S)
{
    return f <= S / 2 ? f : f - S;
}

dg_spectral_score dg_spectral_compare(const double *pa, const double *pb, int S)
{
    dg_spectral_score r = {0};
    r.worst = -1.0;
    for (int v = 0; v < S; v += 2)
        for (int u = 0; u < S; u += 2) {
            double a = 0.0, b = 0.0, fu = 0.0, fv = 0.0;
            for (int dv = 0; dv < 2; dv++)
                for (int du = 0; du < 2; du++) {
                    a += pa[(v + dv) * S + u + du];
                    b += pb[(v + dv) * S + u + du];
                    fu += signed_freq(u + du, S) / 4.0;
                    fv += signed_freq(v + dv, S) / 4.0;
                }
            if (sqrt(fu * fu + fv * fv) < S / 8.0 || !(a > 0.0) || !(b > 0.0))
                continue;
            double l = log10(a / b);
            if (l > r.excess)
                r.excess = l;
            if (-l > r.deficit)
                r.deficit = -l;
            if (fabs(l) > r.worst) {
                r.worst = fabs(l);
                r.fu = (int)lround(fu);
                r.fv = (int)lround(fv);
            }
        }
    if (r.worst < 0.0)
        r.worst = NAN;
    return r;
}

/* ---- feature-space measures -------------------------------------------------------- */

static double sqdist(const float *a, const float *b, int d)
{
    double s = 0.0;
    for (int j = 0; j < d; j++) {
        double t = (double)a[j] - b[j];
        s += t * t;
    }
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* squared distance of every point of x to its k-th nearest other point of x */
static double *knn_radii(const float *x, int n, int d, int k)
{
    double *r = g_new(double, n), *row = g_new(double, n);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            row[j] = sqdist(x + (long)i * d, x + (long)j * d, d);
        qsort(row, n, sizeof(double), cmp_double);
        r[i] = row[MIN(k, n - 1)]; /* row[0] is the point itself */
    }
    g_free(row);
    return r;
}

/* share of the queries inside at least one ball (centre ref[j], squared radius rad[j]) */
static double coverage(const float *q, int nq, const float *ref, const double *rad, int nref, int d)
{
    int inside = 0;
    for (int i = 0; i < nq; i++)
        for (int j = 0; j < nref; j++)
            if (sqdist(q + (long)i * d, ref + (long)j * d, d) <= rad[j]) {
                inside++;
                break;
            }
    return nq > 0 ? (double)inside / nq : NAN;
}

dg_precision_recall dg_precision_recall_knn(const float *real, int nr, const float *gen, int ng,
                                            int d, int k)
{
    dg_precision_recall r = {NAN, NAN, k};
    if (nr <= k || ng <= k)
        return r;
    double *rr = knn_radii(real, nr, d, k), *rg = knn_radii(gen, ng, d, k);
    r.precision = coverage(gen, ng, real, rr, nr, d);
    r.recall = coverage(real, nr, gen, rg, ng, d);
    g_free(rr), g_free(rg);
    return r;
}

void dg_nearest_distances(const float *query, int nq, const float *ref, int nref, int d,
                          double *dist, int *index)
{
    for (int i = 0; i < nq; i++) {
        double best = INFINITY;
        int bi = -1;
        for (int j = 0; j < nref; j++) {
            double s = sqdist(query + (long)i * d, ref + (long)j * d, d);
            if (s < best) {
                best = s;
                bi = j;
            }
        }
        dist[i] = sqrt(best);
        if (index)
            index[i] = bi;
    }
}

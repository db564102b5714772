#include "dg-specnorm.h"

#include <math.h>

/* Matrices here are small (at most a few million entries) and visited once or
 * twice per step, so plain double-accumulated loops are fast enough and give
 * the same result for any thread count. */

static double normalize(float *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    double nrm = sqrt(s);
    float inv = nrm > 1e-12 ? (float)(1.0 / nrm) : 0.0f;
    for (int i = 0; i < n; i++)
        x[i] *= inv;
    return nrm;
}

/* v = W^T u (unnormalized) */
static void wt_u(float *v, const float *w, const float *u, int rows, int cols)
{
    for (int j = 0; j < cols; j++)
        v[j] = 0.0f;
    for (int i = 0; i < rows; i++) {
        const float *wr = w + (long)i * cols;
        const float ui = u[i];
        for (int j = 0; j < cols; j++)
            v[j] += ui * wr[j];
    }
}

float dg_sn_forward(float *wsn, float *v, const float *w, const float *u, int rows, int cols)
{
    wt_u(v, w, u, rows, cols);
    double sigma = normalize(v, cols);
    if (!(sigma > 1e-12))
        sigma = 1e-12;
    const float inv = (float)(1.0 / sigma);
    const long n = (long)rows * cols;
    for (long i = 0; i < n; i++)
        wsn[i] = w[i] * inv;
    return (float)sigma;
}

void dg_sn_backward(float *dw, const float *dwsn, const float *wsn, const float *u,
                    const float *v, float sigma, int rows, int cols)
{
    const long n = (long)rows * cols;
    double dot = 0.0;
    for (long i = 0; i < n; i++)
        dot += (double)dwsn[i] * wsn[i];
    const float inv = 1.0f / sigma, c = (float)dot;
    for (int i = 0; i < rows; i++) {
        const float cu = c * u[i];
        const float *g = dwsn + (long)i * cols;
        float *d = dw + (long)i * cols;
        for (int j = 0; j < cols; j++)
            d[j] += (g[j] - cu * v[j]) * inv;
    }
}

void dg_sn_power_iteration(float *u, float *v, const float *w, int rows, int cols)
{
    wt_u(v, w, u, rows, cols);
    normalize(v, cols);
    for (int i = 0; i < rows; i++) {
        const float *wr = w + (long)i * cols;
        double s = 0.0;
        for (int j = 0; j < cols; j++)
            s += (double)wr[j] * v[j];
        u[i] = (float)s;
    }
    normalize(u, rows);
}

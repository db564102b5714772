/* dg-layers-dist.c: batch normalization over a batch split across processes
 * (see dg-layers-dist.h).
 *
 * Each layer runs in phases, parallel over channels like dg-layers.c: the
 * per-channel partial sums of this process's images, the sum over the
 * processes (on the calling thread, between phases), then the rest.  The
 * partial sums are formed exactly as dg-layers.c forms them (a float
 * accumulator per image, added in double), so that a batch split over N
 * processes is normalized as one process normalizes it, up to the order of
 * the double additions of the N parts. */
#include "dg-layers-dist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define PAR_MIN 32768L /* as dg-layers.c: below this, one thread */

typedef struct {
    int phase;
    float *out, *mean, *invstd, *run_mean, *run_var, *din, *dgamma, *dbeta;
    const float *in, *gamma, *beta, *dout, *cmean, *cinvstd;
    const int *labels;
    int B, C, HW;
    float eps, momentum;
    double *s;  /* per channel: the first sum [0, C), the second [C, 2C) */
    double n;   /* values per channel in the whole batch */
} dist_job;

static double *sums_new(int C)
{
    double *s = calloc((size_t)2 * C + 1, sizeof(double));
    if (!s) {
        fprintf(stderr, "dermagan: out of memory in batch normalization\n");
        abort();
    }
    return s;
}

/* Adds s[0..n) over the processes, plus the count of values per channel
 * (held in s[n] on entry: this process's; on return: the whole batch's). */
static double sum_over_processes(dg_ctx *ctx, double *s, long n)
{
    void *user = NULL;
    dg_ctx_sum_fn fn = dg_ctx_get_sum(ctx, &user);
    fn(s, n + 1, user);
    return s[n];
}

static int threads_for(int B, int C, int HW)
{
    return (long)B * C * HW < PAR_MIN ? 1 : 0;
}

/* ---- batch normalization ------------------------------------------------------ */

static void bn_fwd_part(void *arg, int tid, int nt)
{
    dist_job *j = arg;
    long c0, c1;
    dg_part(j->C, tid, nt, &c0, &c1);
    const long HW = j->HW, CHW = (long)j->C * HW;
    for (long c = c0; c < c1; c++) {
        if (j->phase == 0) { /* sum of x */
            double s = 0.0;
            for (int b = 0; b < j->B; b++) {
                const float *x = j->in + b * CHW + c * HW;
                float acc = 0.0f;
                for (long i = 0; i < HW; i++)
                    acc += x[i];
                s += acc;
            }
            j->s[c] = s;
        } else if (j->phase == 1) { /* sum of squared deviations from the whole batch's mean */
            double ss = 0.0;
            float m = (float)(j->s[c] / j->n);
            for (int b = 0; b < j->B; b++) {
                const float *x = j->in + b * CHW + c * HW;
                float acc = 0.0f;
                for (long i = 0; i < HW; i++) {
                    float d = x[i] - m;
                    acc += d * d;
                }
                ss += acc;
            }
            j->s[j->C + c] = ss;
        } else { /* normalize */
            double mean = j->s[c] / j->n, ss = j->s[j->C + c], var = ss / j->n;
            float invstd = (float)(1.0 / sqrt(var + j->eps));
            j->mean[c] = (float)mean;
            j->invstd[c] = invstd;
            if (j->run_mean) {
                double unbiased = j->n > 1 ? ss / (j->n - 1) : var;
                j->run_mean[c] = (1.0f - j->momentum) * j->run_mean[c] + j->momentum * (float)mean;
                j->run_var[c] = (1.0f - j->momentum) * j->run_var[c] + j->momentum * (float)unbiased;
            }
            float g = j->gamma[c] * invstd, sh = j->beta[c] - (float)mean * g;
            for (int b = 0; b < j->B; b++) {
                const float *x = j->in + b * CHW + c * HW;
                float *y = j->out + b * CHW + c * HW;
                for (long i = 0; i < HW; i++)
                    y[i] = x[i] * g + sh;
            }
        }
    }
}

void dg_bn_forward_train_dist(dg_ctx *ctx, float *out, float *mean, float *invstd,
                              float *run_mean, float *run_var, const float *in, const float *gamma,
                              const float *beta, int B, int C, int HW, float eps, float momentum)
{
    dist_job j = {.out = out, .mean = mean, .invstd = invstd, .run_mean = run_mean,
                  .run_var = run_var, .in = in, .gamma = gamma, .beta = beta, .B = B, .C = C,
                  .HW = HW, .eps = eps, .momentum = momentum, .s = sums_new(C)};
    const int nt = threads_for(B, C, HW);
    dg_ctx_run(ctx, nt, bn_fwd_part, &j);
    j.s[C] = (double)B * HW;
    j.n = sum_over_processes(ctx, j.s, C);
    j.phase = 1;
    dg_ctx_run(ctx, nt, bn_fwd_part, &j);
    j.s[2 * C] = 0.0;
    sum_over_processes(ctx, j.s + C, C);
    j.phase = 2;
    dg_ctx_run(ctx, nt, bn_fwd_part, &j);
    free(j.s);
}

static void bn_bwd_part(void *arg, int tid, int nt)
{
    dist_job *j = arg;
    long c0, c1;
    dg_part(j->C, tid, nt, &c0, &c1);
    const long HW = j->HW, CHW = (long)j->C * HW;
    for (long c = c0; c < c1; c++) {
        float m = j->cmean[c], is = j->cinvstd[c];
        if (j->phase == 0) { /* this part's sums of dy and dy (x - mean); its parameter gradients */
            double sdy = 0.0, sdyx = 0.0;
            for (int b = 0; b < j->B; b++) {
                const float *x = j->in + b * CHW + c * HW, *dy = j->dout + b * CHW + c * HW;
                float a1 = 0.0f, a2 = 0.0f;
                for (long i = 0; i < HW; i++) {
                    a1 += dy[i];
                    a2 += dy[i] * (x[i] - m);
                }
                sdy += a1;
                sdyx += a2;
            }
            j->dbeta[c] += (float)sdy;
            j->dgamma[c] += (float)(sdyx * is);
            j->s[c] = sdy;
            j->s[j->C + c] = sdyx;
        } else { /* dx with the whole batch's sums */
            float k = j->gamma[c] * is;
            float mdy = (float)(j->s[c] / j->n), mdyx = (float)(j->s[j->C + c] * is / j->n);
            for (int b = 0; b < j->B; b++) {
                const float *x = j->in + b * CHW + c * HW, *dy = j->dout + b * CHW + c * HW;
                float *dx = j->din + b * CHW + c * HW;
                for (long i = 0; i < HW; i++) {
                    float xh = (x[i] - m) * is;
                    dx[i] = k * (dy[i] - mdy - xh * mdyx);
                }
            }
        }
    }
}

void dg_bn_backward_train_dist(dg_ctx *ctx, float *din, float *dgamma, float *dbeta,
                               const float *dout, const float *in, const float *mean,
                               const float *invstd, const float *gamma, int B, int C, int HW)
{
    dist_job j = {.din = din, .dgamma = dgamma, .dbeta = dbeta, .dout = dout, .in = in,
                  .cmean = mean, .cinvstd = invstd, .gamma = gamma, .B = B, .C = C, .HW = HW,
                  .s = sums_new(C)};
    const int nt = threads_for(B, C, HW);
    dg_ctx_run(ctx, nt, bn_bwd_part, &j);
    if (din) { /* (whether din is wanted is the same in every process) */
        j.s[2 * C] = (double)B * HW;
        j.n = sum_over_processes(ctx, j.s, 2L * C);
        j.phase = 1;
        dg_ctx_run(ctx, nt, bn_bwd_part, &j);
    }
    free(j.s);
}

/* ---- class-conditional batch normalization ---------------------------------------- */

static void cbn_fwd_part(void *arg, int tid, int nt)
{
    dist_job *j = arg;
    long c0, c1;
    dg_part(j->C, tid, nt, &c0, &c1);
    const long HW = j->HW, CHW = (long)j->C * HW;
    for (long c = c0; c < c1; c++) {
        if (j->phase == 0) {
            double s = 0.0;
            for (int b = 0; b < j->B; b++) {
                const float *x = j->in + b * CHW + c * HW;
                for (long i = 0; i < HW; i++)
                    s += x[i];
            }
            j->s[c] = s;
        } else if (j->phase == 1) {
            double ss = 0.0, mean = j->s[c] / j->n;
            for (int b = 0; b < j->B; b++) {
                const float *x = j->in + b * CHW + c * HW;
                for (long i = 0; i < HW; i++)
                    ss += (x[i] - mean) * (x[i] - mean);
            }
            j->s[j->C + c] = ss;
        } else {
            double ss = j->s[j->C + c];
            float m = (float)(j->s[c] / j->n), is = (float)(1.0 / sqrt(ss / j->n + j->eps));
            j->mean[c] = m;
            j->invstd[c] = is;
            if (j->run_mean) {
                double unbiased = j->n > 1 ? ss / (j->n - 1) : ss / j->n;
                j->run_mean[c] = (1.0f - j->momentum) * j->run_mean[c] + j->momentum * m;
                j->run_var[c] = (1.0f - j->momentum) * j->run_var[c] + j->momentum * (float)unbiased;
            }
            for (int b = 0; b < j->B; b++) {
                long k = (long)j->labels[b] * j->C + c;
                float g = j->gamma[k] * is, sh = j->beta[k] - m * g;
                const float *x = j->in + b * CHW + c * HW;
                float *y = j->out + b * CHW + c * HW;
                for (long i = 0; i < HW; i++)
                    y[i] = x[i] * g + sh;
            }
        }
    }
}

void dg_cbn_forward_train_dist(dg_ctx *ctx, float *out, float *mean, float *invstd,
                               float *run_mean, float *run_var, const float *in,
                               const float *gamma, const float *beta, const int *labels, int B,
                               int C, int HW, float eps, float momentum)
{
    dist_job j = {.out = out, .mean = mean, .invstd = invstd, .run_mean = run_mean,
                  .run_var = run_var, .in = in, .gamma = gamma, .beta = beta, .labels = labels,
                  .B = B, .C = C, .HW = HW, .eps = eps, .momentum = momentum, .s = sums_new(C)};
    const int nt = threads_for(B, C, HW);
    dg_ctx_run(ctx, nt, cbn_fwd_part, &j);
    j.s[C] = (double)B * HW;
    j.n = sum_over_processes(ctx, j.s, C);
    j.phase = 1;
    dg_ctx_run(ctx, nt, cbn_fwd_part, &j);
    j.s[2 * C] = 0.0;
    sum_over_processes(ctx, j.s + C, C);
    j.phase = 2;
    dg_ctx_run(ctx, nt, cbn_fwd_part, &j);
    free(j.s);
}

static void cbn_bwd_part(void *arg, int tid, int nt)
{
    dist_job *j = arg;
    long c0, c1;
    dg_part(j->C, tid, nt, &c0, &c1);
    const long HW = j->HW, CHW = (long)j->C * HW;
    for (long c = c0; c < c1; c++) {
        float m = j->cmean[c], is = j->cinvstd[c];
        if (j->phase == 0) {
            double sdxh = 0.0, sdxhx = 0.0;
            for (int b = 0; b < j->B; b++) {
                long k = (long)j->labels[b] * j->C + c;
                const float *x = j->in + b * CHW + c * HW, *dy = j->dout + b * CHW + c * HW;
                float a1 = 0.0f, a2 = 0.0f;
                for (long i = 0; i < HW; i++) {
                    a1 += dy[i];
                    a2 += dy[i] * (x[i] - m) * is;
                }
                if (j->dbeta) {
                    j->dbeta[k] += a1;
                    j->dgamma[k] += a2;
                }
                sdxh += (double)j->gamma[k] * a1;
                sdxhx += (double)j->gamma[k] * a2;
            }
            j->s[c] = sdxh;
            j->s[j->C + c] = sdxhx;
        } else {
            float mdxh = (float)(j->s[c] / j->n), mdxhx = (float)(j->s[j->C + c] / j->n);
            for (int b = 0; b < j->B; b++) {
                float g = j->gamma[(long)j->labels[b] * j->C + c];
                const float *x = j->in + b * CHW + c * HW, *dy = j->dout + b * CHW + c * HW;
                float *dx = j->din + b * CHW + c * HW;
                for (long i = 0; i < HW; i++) {
                    float xh = (x[i] - m) * is;
                    dx[i] = is * (g * dy[i] - mdxh - xh * mdxhx);
                }
            }
        }
    }
}

void dg_cbn_backward_train_dist(dg_ctx *ctx, float *din, float *dgamma, float *dbeta,
                                const float *dout, const float *in, const float *mean,
                                const float *invstd, const float *gamma, const int *labels, int B,
                                int C, int HW)
{
    dist_job j = {.din = din, .dgamma = dgamma, .dbeta = dbeta, .dout = dout, .in = in,
                  .cmean = mean, .cinvstd = invstd, .gamma = gamma, .labels = labels, .B = B,
                  .C = C, .HW = HW, .s = sums_new(C)};
    const int nt = threads_for(B, C, HW);
    dg_ctx_run(ctx, nt, cbn_bwd_part, &j);
    if (din) {
        j.s[2 * C] = (double)B * HW;
        j.n = sum_over_processes(ctx, j.s, 2L * C);
        j.phase = 1;
        dg_ctx_run(ctx, nt, cbn_bwd_part, &j);
    }
    free(j.s);
}

/* dg-norm.c: batch normalization, plain and class-conditional, one code
 * path (plain BN is the conditional one with a single class), with an
 * optional activation applied to its output in the same pass.
 *
 * Statistics are two passes over each channel (mean, then the mean squared
 * deviation), each image's plane summed in 16 float lanes and the planes in
 * double (dg_sum, dg_sum_sqdev): vectorized, and one rounding for every
 * kind of batch norm.  Work is split over channels; every channel's sums run
 * in the same order whatever the thread count.
 *
 * Data-parallel training (a batch split across processes): when the context
 * has a sum function (dg_ctx_set_sum), training-mode batch norm runs in
 * phases, parallel over channels, with the per-channel sums added over the
 * processes between them (on the calling thread): forward, the sums of x,
 * then of the squared deviations from the whole batch's mean; backward, the
 * sums of dxhat and dxhat * xhat.  Each process's partial sums are formed
 * exactly as one process forms them, so a split batch is normalized as one
 * process normalizes it, up to the order of the double additions of the
 * parts.  Parameter gradients stay this process's part: the gradient sum
 * before the update adds them up. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg-layers.h"

#define PAR_MIN 32768L
#define LANES 16
#define BLOCK 256

double dg_sum_sqdev(const float *x, long n, float m)
{
    double s = 0.0;
    for (long i = 0; i < n; i += BLOCK) { /* as dg_sum: lanes, then the block's tail */
        const long e = n - i < BLOCK ? n : i + BLOCK;
        float lane[LANES] = {0};
        long j = i;
        for (; j + LANES <= e; j += LANES)
            for (int l = 0; l < LANES; l++) {
                float d = x[j + l] - m;
                lane[l] += d * d;
            }
        float a = 0.0f;
        for (int l = 0; l < LANES; l++)
            a += lane[l];
        for (; j < e; j++) {
            float d = x[j] - m;
            a += d * d;
        }
        s += a;
    }
    return s;
}

/* The output gradient through the fused activation, from its output y. */
static inline float act_grad(float dy, float y, dg_act act, float slope)
{
    return act == DG_ACT_NONE ? dy : y > 0.0f ? dy : act == DG_ACT_RELU ? 0.0f : slope * dy;
}

/* s1 = sum of g, s2 = sum of g * (x - m) over n, g = act_grad(dy, y): in
 * blocks of BLOCK, LANES float lanes, then the block's tail. */
static void grad_sums(const float *dy, const float *y, const float *x, float m, long n,
                      dg_act act, float slope, double *s1, double *s2)
{
    double a1 = 0.0, a2 = 0.0;
    for (long i = 0; i < n; i += BLOCK) {
        const long e = n - i < BLOCK ? n : i + BLOCK;
        float l1[LANES] = {0}, l2[LANES] = {0};
        long j = i;
        for (; j + LANES <= e; j += LANES)
            for (int l = 0; l < LANES; l++) {
                float g = act_grad(dy[j + l], y[j + l], act, slope);
                l1[l] += g;
                l2[l] += g * (x[j + l] - m);
            }
        float b1 = 0.0f, b2 = 0.0f;
        for (int l = 0; l < LANES; l++) {
            b1 += l1[l];
            b2 += l2[l];
        }
        for (; j < e; j++) {
            float g = act_grad(dy[j], y[j], act, slope);
            b1 += g;
            b2 += g * (x[j] - m);
        }
        a1 += b1;
        a2 += b2;
    }
    *s1 = a1;
    *s2 = a2;
}

enum { PHASE_ALL, PHASE_SUM, PHASE_SQDEV, PHASE_APPLY };

typedef struct {
    const dg_bn_params *p;
    float *out, *mean, *invstd, *din, *dgamma, *dbeta;
    const float *in, *dout, *y;
    int B, C, HW;
    bool train;
    /* across processes: the phase, and the per-channel sums over the whole
     * batch ([0, C) first, [C, 2C) second) and its values per channel */
    int phase;
    double *s;
    double n;
} bn_job;

/* Adds s[0..n) over the processes, with the count of values per channel
 * (in s[n] on entry: this process's; returned: the whole batch's). */
static double sum_over_processes(dg_ctx *ctx, double *s, long n)
{
    void *user = NULL;
    dg_ctx_sum_fn fn = dg_ctx_get_sum(ctx, &user);
    fn(s, n + 1, user);
    return s[n];
}

static double *sums_new(int C)
{
    double *s = calloc((size_t)2 * C + 1, sizeof(double));
    if (!s) {
        fprintf(stderr, "dermagan: out of memory in batch normalization\n");
        abort();
    }
    return s;
}

static inline long param_index(const bn_job *j, int b, long c)
{
    return j->p->labels ? (long)j->p->labels[b] * j->C + c : c;
}

/* Mean and 1/std of channel c: the batch's (updating the running
 * statistics) or the running ones. */
static void channel_stats(const bn_job *j, long c, float *mean, float *invstd)
{
    const dg_bn_params *p = j->p;
    if (!j->train) {
        *mean = p->run_mean[c];
        *invstd = 1.0f / sqrtf(p->run_var[c] + p->eps);
        return;
    }
    const long HW = j->HW, CHW = (long)j->C * HW;
    double N = (double)j->B * HW, s = 0.0, ss = 0.0, m;
    if (j->phase == PHASE_APPLY) { /* the whole batch's sums, over the processes */
        N = j->n;
        m = j->s[c] / N;
        ss = j->s[j->C + c];
    } else {
        for (int b = 0; b < j->B; b++)
            s += dg_sum(j->in + b * CHW + c * HW, HW);
        m = s / N;
        for (int b = 0; b < j->B; b++)
            ss += dg_sum_sqdev(j->in + b * CHW + c * HW, HW, (float)m);
    }
    *mean = (float)m;
    *invstd = (float)(1.0 / sqrt(ss / N + p->eps));
    if (p->run_mean) {
        double unbiased = N > 1 ? ss / (N - 1) : ss / N;
        p->run_mean[c] = (1.0f - p->momentum) * p->run_mean[c] + p->momentum * (float)m;
        p->run_var[c] = (1.0f - p->momentum) * p->run_var[c] + p->momentum * (float)unbiased;
    }
}

static void fwd_part(void *arg, int tid, int nt)
{
    bn_job *j = arg;
    const dg_bn_params *p = j->p;
    const long HW = j->HW, CHW = (long)j->C * HW;
    long c0, c1;
    dg_part(j->C, tid, nt, &c0, &c1);
    for (long c = c0; c < c1; c++) {
        if (j->phase == PHASE_SUM || j->phase == PHASE_SQDEV) { /* this process's part */
            double a = 0.0;
            if (j->phase == PHASE_SUM)
                for (int b = 0; b < j->B; b++)
                    a += dg_sum(j->in + b * CHW + c * HW, HW);
            else {
                const float m = (float)(j->s[c] / j->n);
                for (int b = 0; b < j->B; b++)
                    a += dg_sum_sqdev(j->in + b * CHW + c * HW, HW, m);
            }
            j->s[(j->phase == PHASE_SQDEV ? j->C : 0) + c] = a;
            continue;
        }
        float m, is;
        channel_stats(j, c, &m, &is);
        j->mean[c] = m;
        j->invstd[c] = is;
        for (int b = 0; b < j->B; b++) {
            long k = param_index(j, b, c);
            const float g = p->gamma[k] * is, sh = p->beta[k] - m * g, sl = p->slope;
            const float *x = j->in + b * CHW + c * HW;
            float *y = j->out + b * CHW + c * HW;
            if (p->act == DG_ACT_RELU)
                for (long i = 0; i < HW; i++) {
                    float v = x[i] * g + sh;
                    y[i] = v > 0.0f ? v : 0.0f;
                }
            else if (p->act == DG_ACT_LRELU)
                for (long i = 0; i < HW; i++) {
                    float v = x[i] * g + sh;
                    y[i] = v > 0.0f ? v : sl * v;
                }
            else
                for (long i = 0; i < HW; i++)
                    y[i] = x[i] * g + sh;
        }
    }
}

void dg_bn_forward(dg_ctx *ctx, const dg_bn_params *p, float *out, float *mean, float *invstd,
                   const float *in, int B, int C, int HW, bool train)
{
    bn_job j = {.p = p, .out = out, .mean = mean, .invstd = invstd, .in = in, .B = B, .C = C,
                .HW = HW, .train = train};
    const int nt = (long)B * C * HW < PAR_MIN ? 1 : 0;
    if (!train || !dg_ctx_get_sum(ctx, &(void *){NULL})) {
        dg_ctx_run(ctx, nt, fwd_part, &j);
        return;
    }
    j.s = sums_new(C);
    j.phase = PHASE_SUM;
    dg_ctx_run(ctx, nt, fwd_part, &j);
    j.s[C] = (double)B * HW;
    j.n = sum_over_processes(ctx, j.s, C);
    j.phase = PHASE_SQDEV;
    dg_ctx_run(ctx, nt, fwd_part, &j);
    j.s[2 * C] = 0.0;
    sum_over_processes(ctx, j.s + C, C);
    j.phase = PHASE_APPLY;
    dg_ctx_run(ctx, nt, fwd_part, &j);
    free(j.s);
}

static void bwd_part(void *arg, int tid, int nt)
{
    bn_job *j = arg;
    const dg_bn_params *p = j->p;
    const long HW = j->HW, CHW = (long)j->C * HW;
    const double N = j->phase == PHASE_APPLY ? j->n : (double)j->B * HW;
    long c0, c1;
    dg_part(j->C, tid, nt, &c0, &c1);
    for (long c = c0; c < c1; c++) {
        const float m = j->mean[c], is = j->invstd[c];
        /* per image: dbeta += sum g, dgamma += sum g xhat; over the batch,
         * the sums of dxhat = gamma g and of dxhat * xhat */
        double sdxh = 0.0, sdxhx = 0.0;
        if (j->phase == PHASE_APPLY) { /* the whole batch's, over the processes */
            sdxh = j->s[c];
            sdxhx = j->s[j->C + c];
        } else {
            for (int b = 0; b < j->B; b++) {
                long k = param_index(j, b, c), o = b * CHW + c * HW;
                double a1, a2;
                grad_sums(j->dout + o, j->y + o, j->in + o, m, HW, p->act, p->slope, &a1, &a2);
                a2 *= is;
                if (j->dbeta) {
                    j->dbeta[k] += (float)a1;
                    j->dgamma[k] += (float)a2;
                }
                sdxh += (double)p->gamma[k] * a1;
                sdxhx += (double)p->gamma[k] * a2;
            }
        }
        if (j->phase == PHASE_SUM) { /* this process's part */
            j->s[c] = sdxh;
            j->s[j->C + c] = sdxhx;
            continue;
        }
        if (!j->din)
            continue;
        const float mdxh = j->train ? (float)(sdxh / N) : 0.0f;
        const float mdxhx = j->train ? (float)(sdxhx / N) : 0.0f;
        for (int b = 0; b < j->B; b++) {
            long o = b * CHW + c * HW;
            const float g = p->gamma[param_index(j, b, c)], sl = p->slope;
            const float *x = j->in + o, *dy = j->dout + o, *y = j->y + o;
            float *dx = j->din + o;
            for (long i = 0; i < HW; i++) {
                float xh = (x[i] - m) * is;
                dx[i] = is * (g * act_grad(dy[i], y[i], p->act, sl) - mdxh - xh * mdxhx);
            }
        }
    }
}

void dg_bn_backward(dg_ctx *ctx, const dg_bn_params *p, float *din, float *dgamma, float *dbeta,
                    const float *dout, const float *out, const float *in, const float *mean,
                    const float *invstd, int B, int C, int HW, bool train)
{
    /* without an activation the output is not read (y is never NULL) */
    const float *y = p->act == DG_ACT_NONE ? dout : out;
    bn_job j = {.p = p, .din = din, .dgamma = dgamma, .dbeta = dbeta, .dout = dout, .y = y,
                .in = in, .mean = (float *)mean, .invstd = (float *)invstd, .B = B, .C = C,
                .HW = HW, .train = train};
    /* per-class parameter gradients have one writer per channel: safe to split by channel */
    const int nt = (long)B * C * HW < PAR_MIN ? 1 : 0;
    if (!train || !din || !dg_ctx_get_sum(ctx, &(void *){NULL})) {
        /* (whether din is wanted is the same in every process) */
        dg_ctx_run(ctx, nt, bwd_part, &j);
        return;
    }
    j.s = sums_new(C);
    j.phase = PHASE_SUM; /* the parameter gradients, and this part's sums */
    dg_ctx_run(ctx, nt, bwd_part, &j);
    j.s[2 * C] = (double)B * HW;
    j.n = sum_over_processes(ctx, j.s, 2L * C);
    j.phase = PHASE_APPLY; /* din with the whole batch's sums */
    j.dgamma = j.dbeta = NULL;
    dg_ctx_run(ctx, nt, bwd_part, &j);
    free(j.s);
}

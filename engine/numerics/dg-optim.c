#include "dg-optim.h"

#include <math.h>

void dg_opt_adam(dg_opt *o, float lr, float beta1, float beta2)
{
    *o = (dg_opt){.kind = DG_OPT_ADAM, .lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = 1e-8f};
}

void dg_opt_sgd(dg_opt *o, float lr, float momentum)
{
    *o = (dg_opt){.kind = DG_OPT_SGD, .lr = lr, .momentum = momentum};
}

typedef struct {
    const dg_opt *o;
    float *p, *m, *v;
    const float *g;
    long n;
    int decay;
    float bc1, bc2;
} opt_job;

static void opt_range(const opt_job *j, long lo, long hi)
{
    const dg_opt *o = j->o;
    float *p = j->p, *m = j->m, *v = j->v;
    const float *g = j->g;
    const float wd = j->decay ? o->weight_decay : 0.0f;
    switch (o->kind) {
    case DG_OPT_ADAM:
    case DG_OPT_ADAMW: {
        /* PyTorch semantics: step = lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps) */
        const float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
        const float step = o->lr / j->bc1, sbc2 = sqrtf(j->bc2);
        const int decoupled = o->kind == DG_OPT_ADAMW;
        for (long i = lo; i < hi; i++) {
            float gi = g[i];
            if (decoupled)
                p[i] -= o->lr * wd * p[i];
            else
                gi += wd * p[i];
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            p[i] -= step * m[i] / (sqrtf(v[i]) / sbc2 + eps);
        }
        break;
    }
    case DG_OPT_SGD: {
        const float mu = o->momentum, lr = o->lr;
        for (long i = lo; i < hi; i++) {
            float gi = g[i] + wd * p[i];
            if (mu != 0.0f) {
                /* PyTorch: buf = mu buf + g (buf = g on the first step) */
                m[i] = o->t <= 1 ? gi : mu * m[i] + gi;
                gi = o->nesterov ? gi + mu * m[i] : m[i];
            }
            p[i] -= lr * gi;
        }
        break;
    }
    }
}

static void opt_part(void *arg, int tid, int nt)
{
    opt_job *j = arg;
    long blocks = (j->n + 15) / 16, lo, hi;
    dg_part(blocks, tid, nt, &lo, &hi);
    lo *= 16;
    hi = hi * 16 > j->n ? j->n : hi * 16;
    if (lo < hi)
        opt_range(j, lo, hi);
}

void dg_opt_update(dg_ctx *ctx, const dg_opt *o, float *param, const float *grad, float *m,
                   float *v, long n, int decay)
{
    opt_job j = {o, param, m, v, grad, n, decay, 1.0f, 1.0f};
    if (o->kind != DG_OPT_SGD) {
        j.bc1 = 1.0f - powf(o->beta1, (float)o->t);
        j.bc2 = 1.0f - powf(o->beta2, (float)o->t);
    }
    if (n < 65536 || !ctx)
        opt_range(&j, 0, n);
    else
        dg_ctx_run(ctx, 0, opt_part, &j);
}

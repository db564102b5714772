/* test-layers-dist: a batch split across "processes" (here two threads,
 * each with its own context and copy of the net, whose cross-process sum is
 * a rendezvous) gives the outputs, input gradients, running statistics and
 * summed parameter gradients of the whole batch in one net: batch norm and
 * class-conditional batch norm with the whole batch's statistics
 * (dg-norm.c), dropout with the whole batch's masks
 * (dg_net_set_shard). */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "numerics/dg-ctx.h"
#include "numerics/dg-net.h"

#define PARTS 2

/* ---- the rendezvous: sums over PARTS threads, in part order ------------------------- */

typedef struct {
    GMutex mu;
    GCond cond;
    int arrived;
    unsigned gen;
    double *bufs[PARTS];
    long calls;
} rendezvous;

typedef struct {
    rendezvous *rv;
    int part;
} part_user;

static void rv_sum(double *x, long n, void *user)
{
    part_user *u = user;
    rendezvous *rv = u->rv;
    g_mutex_lock(&rv->mu);
    rv->bufs[u->part] = x;
    unsigned gen = rv->gen;
    if (++rv->arrived == PARTS) {
        double *tmp = g_new(double, n);
        for (long i = 0; i < n; i++) {
            tmp[i] = rv->bufs[0][i];
            for (int p = 1; p < PARTS; p++)
                tmp[i] += rv->bufs[p][i];
        }
        for (int p = 0; p < PARTS; p++)
            memcpy(rv->bufs[p], tmp, sizeof(double) * n);
        g_free(tmp);
        rv->arrived = 0;
        rv->gen++;
        rv->calls++;
        g_cond_broadcast(&rv->cond);
    } else {
        while (rv->gen == gen)
            g_cond_wait(&rv->cond, &rv->mu);
    }
    g_mutex_unlock(&rv->mu);
}

/* ---- the net -------------------------------------------------------------------------- */

enum { B = 7, C = 3, H = 6, K = 3, OUT = 5 };

static dg_net *make_net(int max_batch)
{
    dg_net *n = dg_net_new(C, H, H, max_batch);
    int x = dg_net_conv(n, 0, 4, 3, 1, 1, false);
    x = dg_net_relu(n, dg_net_bn(n, x));
    x = dg_net_conv(n, x, 4, 3, 2, 1, false);
    x = dg_net_cbn(n, x, K);
    x = dg_net_dropout(n, dg_net_lrelu(n, x, 0.2f), 0.3f);
    dg_net_dense(n, x, OUT, true);
    dg_net_finalize(n);
    return n;
}

typedef struct {
    dg_net *net;
    dg_ctx *ctx;
    part_user user;
    int off, count;
    const float *x, *dout;
    const int *labels;
    float *dx;
    int steps;
} part_run;

static void run_steps(dg_net *net, dg_ctx *ctx, const float *x, const int *labels, int n,
                      const float *dout, float *dx, int steps)
{
    for (int s = 0; s < steps; s++) {
        dg_net_zero_grad(net);
        dg_net_forward(net, ctx, x, labels, n, true);
        dg_net_backward(net, ctx, dout, dx, true);
    }
}

static gpointer part_thread(gpointer data)
{
    part_run *p = data;
    const long img = (long)C * H * H;
    run_steps(p->net, p->ctx, p->x + p->off * img, p->labels + p->off, p->count,
              p->dout + (long)p->off * OUT, p->dx + p->off * img, p->steps);
    return NULL;
}

static double rel(double a, double b)
{
    return fabs(a - b) / fmax(1e-3, fmax(fabs(a), fabs(b)));
}

static void test_split_batch(void)
{
    const long img = (long)C * H * H;
    dg_rng rng;
    dg_rng_seed(&rng, 5);
    float *x = g_new(float, B * img), *dout = g_new(float, B * OUT);
    int labels[B];
    dg_rng_fill_normal(&rng, x, B * img, 0.3f, 1.2f);
    dg_rng_fill_normal(&rng, dout, B * OUT, 0.0f, 1.0f);
    for (int b = 0; b < B; b++)
        labels[b] = (int)dg_rng_below(&rng, K);
    const int steps = 3; /* running statistics and dropout streams over several steps */

    /* the whole batch, one net */
    dg_net *whole = make_net(B);
    dg_net_init(whole, &rng, DG_INIT_DCGAN);
    dg_rng_seed(dg_net_rng(whole), 11);
    dg_net *parts_net[PARTS];
    for (int p = 0; p < PARTS; p++) {
        parts_net[p] = make_net(B);
        dg_net_copy_weights(parts_net[p], whole);
        dg_rng_seed(dg_net_rng(parts_net[p]), 11);
    }
    dg_ctx *ctx = dg_ctx_new(1);
    float *dx_whole = g_new0(float, B * img), *dx_parts = g_new0(float, B * img);
    run_steps(whole, ctx, x, labels, B, dout, dx_whole, steps);

    /* the same batch split 4 + 3 over two "processes" */
    rendezvous rv = {0};
    g_mutex_init(&rv.mu);
    g_cond_init(&rv.cond);
    part_run pr[PARTS];
    GThread *th[PARTS];
    int off = 0;
    for (int p = 0; p < PARTS; p++) {
        long lo, hi;
        dg_part(B, p, PARTS, &lo, &hi);
        pr[p] = (part_run){.net = parts_net[p], .ctx = dg_ctx_new(1), .user = {&rv, p},
                           .off = (int)lo, .count = (int)(hi - lo), .x = x, .dout = dout,
                           .labels = labels, .dx = dx_parts, .steps = steps};
        g_assert_cmpint(pr[p].off, ==, off);
        off += pr[p].count;
        dg_net_set_shard(parts_net[p], pr[p].off, B);
        dg_ctx_set_sum(pr[p].ctx, rv_sum, &pr[p].user);
    }
    for (int p = 0; p < PARTS; p++)
        th[p] = g_thread_new("part", part_thread, &pr[p]);
    for (int p = 0; p < PARTS; p++)
        g_thread_join(th[p]);
    /* per step: 2 sums in each BN forward and 1 in each backward, for 2 layers */
    g_assert_cmpint(rv.calls, ==, steps * 2 * 3);

    double worst = 0.0;
    /* outputs of the last forward */
    for (int p = 0; p < PARTS; p++) {
        const float *o = dg_net_output(parts_net[p]);
        for (long i = 0; i < (long)pr[p].count * OUT; i++)
            worst = fmax(worst, rel(o[i], dg_net_output(whole)[pr[p].off * OUT + i]));
    }
    g_test_message("outputs: worst relative difference %.2e", worst);
    g_assert_cmpfloat(worst, <, 1e-5);
    /* input gradients */
    worst = 0.0;
    for (long i = 0; i < B * img; i++)
        worst = fmax(worst, rel(dx_parts[i], dx_whole[i]));
    g_test_message("input gradients: %.2e", worst);
    g_assert_cmpfloat(worst, <, 1e-5);
    /* parameter gradients: the parts' sum (a sum of terms of both signs, added
     * in another order: compared relative to the gradient's largest value) */
    worst = 0.0;
    const long np = dg_net_n_params(whole);
    double gmax = 0.0;
    for (long i = 0; i < np; i++)
        gmax = fmax(gmax, fabs(dg_net_grads(whole)[i]));
    for (long i = 0; i < np; i++) {
        double s = 0.0;
        for (int p = 0; p < PARTS; p++)
            s += dg_net_grads(parts_net[p])[i];
        worst = fmax(worst, fabs(s - dg_net_grads(whole)[i]) / gmax);
    }
    g_test_message("parameter gradients: %.2e of the largest (%.3g)", worst, gmax);
    g_assert_cmpfloat(worst, <, 1e-5);
    /* running statistics, the same in every part */
    const long nb = dg_net_n_buffers(whole);
    g_assert_cmpint(nb, >, 0);
    for (int p = 0; p < PARTS; p++)
        for (long i = 0; i < nb; i++)
            g_assert_cmpfloat(rel(dg_net_buffers(parts_net[p])[i], dg_net_buffers(whole)[i]), <,
                              1e-6);
    /* the dropout streams end where the whole batch's does */
    for (int p = 0; p < PARTS; p++)
        g_assert_true(memcmp(dg_net_rng(parts_net[p]), dg_net_rng(whole), sizeof(dg_rng)) == 0);

    for (int p = 0; p < PARTS; p++) {
        dg_ctx_free(pr[p].ctx);
        dg_net_free(parts_net[p]);
    }
    g_mutex_clear(&rv.mu);
    g_cond_clear(&rv.cond);
    dg_ctx_free(ctx);
    dg_net_free(whole);
    g_free(x), g_free(dout), g_free(dx_whole), g_free(dx_parts);
}

/* Without a sum function nothing changes: a second run of the whole batch
 * with a shard of [0, B) of B is the same bits. */
static void test_whole_shard_is_identity(void)
{
    const long img = (long)C * H * H;
    dg_rng rng;
    dg_rng_seed(&rng, 9);
    float *x = g_new(float, B * img), *dout = g_new(float, B * OUT);
    int labels[B];
    dg_rng_fill_normal(&rng, x, B * img, 0.0f, 1.0f);
    dg_rng_fill_normal(&rng, dout, B * OUT, 0.0f, 1.0f);
    for (int b = 0; b < B; b++)
        labels[b] = b % K;
    dg_net *a = make_net(B), *b = make_net(B);
    dg_net_init(a, &rng, DG_INIT_DCGAN);
    dg_net_copy_weights(b, a);
    dg_rng_seed(dg_net_rng(a), 3);
    dg_rng_seed(dg_net_rng(b), 3);
    dg_net_set_shard(b, 0, B);
    dg_ctx *ctx = dg_ctx_new(2);
    float *da = g_new0(float, B * img), *db = g_new0(float, B * img);
    run_steps(a, ctx, x, labels, B, dout, da, 2);
    run_steps(b, ctx, x, labels, B, dout, db, 2);
    g_assert_true(memcmp(da, db, sizeof(float) * B * img) == 0);
    g_assert_true(memcmp(dg_net_grads(a), dg_net_grads(b), sizeof(float) * dg_net_n_params(a)) == 0);
    dg_ctx_free(ctx);
    dg_net_free(a), dg_net_free(b);
    g_free(x), g_free(dout), g_free(da), g_free(db);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/layers-dist/split-batch", test_split_batch);
    g_test_add_func("/layers-dist/whole-shard", test_whole_shard_is_identity);
    return g_test_run();
}

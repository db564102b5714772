/* test-train: optimizers against hand-computed steps, determinism under a
 * fixed seed, and two models training at once in one process. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "numerics/dg-ctx.h"
#include "numerics/dg-loss.h"
#include "numerics/dg-net.h"
#include "numerics/dg-optim.h"

static void test_adam_by_hand(void)
{
    /* two parameters, gradients chosen per step; compare with the update
     * written out in double */
    float p[2] = {1.0f, -0.5f}, g[2], m[2] = {0}, v[2] = {0};
    double P[2] = {1.0, -0.5}, M[2] = {0}, V[2] = {0};
    const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    dg_opt o;
    dg_opt_adam(&o, (float)lr, (float)b1, (float)b2);
    const float grads[3][2] = {{0.5f, -2.0f}, {0.1f, 0.3f}, {-1.0f, 0.0f}};
    for (int t = 1; t <= 3; t++) {
        g[0] = grads[t - 1][0];
        g[1] = grads[t - 1][1];
        o.t = t;
        dg_opt_update(NULL, &o, p, g, m, v, 2, 0);
        for (int i = 0; i < 2; i++) {
            M[i] = b1 * M[i] + (1 - b1) * g[i];
            V[i] = b2 * V[i] + (1 - b2) * (double)g[i] * g[i];
            double mh = M[i] / (1 - pow(b1, t)), vh = V[i] / (1 - pow(b2, t));
            P[i] -= lr * mh / (sqrt(vh) + eps);
            g_assert_cmpfloat_with_epsilon(p[i], P[i], 1e-6);
        }
        if (t == 1) { /* the first Adam step moves each parameter by lr against the gradient */
            g_assert_cmpfloat_with_epsilon(p[0], 1.0 - lr, 1e-6);
            g_assert_cmpfloat_with_epsilon(p[1], -0.5 + lr, 1e-6);
        }
    }

    /* AdamW: decoupled decay shrinks the weight even with zero gradient */
    float q = 2.0f, z = 0.0f, mq = 0.0f, vq = 0.0f;
    dg_opt w;
    dg_opt_adam(&w, 0.1f, 0.9f, 0.999f);
    w.kind = DG_OPT_ADAMW;
    w.weight_decay = 0.5f;
    w.t = 1;
    dg_opt_update(NULL, &w, &q, &z, &mq, &vq, 1, 1);
    g_assert_cmpfloat_with_epsilon(q, 2.0 - 0.1 * 0.5 * 2.0, 1e-6);
    /* ... and not where decay is off */
    q = 2.0f;
    dg_opt_update(NULL, &w, &q, &z, &mq, &vq, 1, 0);
    g_assert_cmpfloat_with_epsilon(q, 2.0, 1e-6);
}

static void test_sgd_by_hand(void)
{
    float p = 1.0f, g, m = 0.0f;
    dg_opt o;
    dg_opt_sgd(&o, 0.1f, 0.9f);
    o.weight_decay = 0.01f;
    double P = 1.0, B = 0.0;
    const float gs[3] = {1.0f, -0.5f, 0.25f};
    for (int t = 1; t <= 3; t++) {
        g = gs[t - 1];
        o.t = t;
        dg_opt_update(NULL, &o, &p, &g, &m, NULL, 1, 1);
        double gi = g + 0.01 * P;
        B = t == 1 ? gi : 0.9 * B + gi;
        P -= 0.1 * B;
        g_assert_cmpfloat_with_epsilon(p, P, 1e-6);
    }
}

/* A small classifier trained for a few steps; returns a checksum of the
 * parameters and writes the loss history. */
static dg_net *small_net(void)
{
    dg_net *net = dg_net_new(3, 12, 12, 8);
    int x = dg_net_relu(net, dg_net_bn(net, dg_net_conv(net, 0, 8, 3, 1, 1, false)));
    x = dg_net_maxpool(net, x, 2, 2, 0);
    x = dg_net_relu(net, dg_net_bn(net, dg_net_conv(net, x, 16, 3, 1, 1, false)));
    x = dg_net_dropout(net, dg_net_gap(net, x), 0.2f);
    dg_net_dense(net, x, 4, true);
    dg_net_finalize(net);
    return net;
}

static void train(dg_ctx *ctx, uint64_t seed, int steps, float *losses, float *params_out,
                  long *n_params)
{
    dg_net *net = small_net();
    dg_rng rng;
    dg_rng_seed(&rng, seed);
    dg_net_init(net, &rng, DG_INIT_KAIMING);
    dg_rng_fork(&rng, 1, dg_net_rng(net));
    dg_opt opt;
    dg_opt_adam(&opt, 1e-2f, 0.9f, 0.999f);
    float x[8 * 3 * 12 * 12], dl[8 * 4];
    int y[8];
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < 8; i++) {
            y[i] = (int)dg_rng_below(&rng, 4);
            for (int k = 0; k < 3 * 144; k++)
                x[i * 432 + k] = dg_rng_normal(&rng) * 0.5f + 0.3f * y[i] * (k % 3 == 0);
        }
        dg_net_zero_grad(net);
        dg_net_forward(net, ctx, x, NULL, 8, true);
        losses[s] = dg_softmax_xent(dg_net_output(net), y, 8, 4, NULL, 0.0f, dl, NULL);
        dg_net_backward(net, ctx, dl, NULL, true);
        dg_net_step(net, ctx, &opt);
    }
    *n_params = dg_net_n_params(net);
    if (params_out)
        memcpy(params_out, dg_net_params(net), sizeof(float) * *n_params);
    dg_net_free(net);
}

static void test_determinism(void)
{
    dg_ctx *ctx = dg_ctx_new(2);
    float l1[30], l2[30], l3[30];
    long n;
    float *p1 = g_new(float, 100000), *p2 = g_new(float, 100000), *p3 = g_new(float, 100000);
    train(ctx, 42, 30, l1, p1, &n);
    train(ctx, 42, 30, l2, p2, &n);
    train(ctx, 43, 30, l3, p3, &n);
    g_assert_cmpmem(l1, sizeof l1, l2, sizeof l2);
    g_assert_cmpmem(p1, n * sizeof(float), p2, n * sizeof(float));
    g_assert_true(memcmp(p1, p3, n * sizeof(float)) != 0); /* the seed matters */
    /* and it learned something */
    g_assert_cmpfloat(l1[29], <, l1[0]);
    g_free(p1), g_free(p2), g_free(p3);
    dg_ctx_free(ctx);
}

typedef struct {
    uint64_t seed;
    float losses[30];
    float *params;
    long n;
} run_arg;

static gpointer run_thread(gpointer data)
{
    run_arg *a = data;
    dg_ctx *ctx = dg_ctx_new(2);
    train(ctx, a->seed, 30, a->losses, a->params, &a->n);
    dg_ctx_free(ctx);
    return NULL;
}

static void test_two_models_at_once(void)
{
    /* Two trainings in two threads (each with its own context) give exactly
     * what each gives alone: no shared mutable state. */
    run_arg a = {.seed = 7, .params = g_new(float, 100000)};
    run_arg b = {.seed = 8, .params = g_new(float, 100000)};
    run_arg a0 = {.seed = 7, .params = g_new(float, 100000)};
    run_arg b0 = {.seed = 8, .params = g_new(float, 100000)};
    run_thread(&a0);
    run_thread(&b0);
    GThread *ta = g_thread_new("a", run_thread, &a);
    GThread *tb = g_thread_new("b", run_thread, &b);
    g_thread_join(ta);
    g_thread_join(tb);
    g_assert_cmpmem(a.losses, sizeof a.losses, a0.losses, sizeof a0.losses);
    g_assert_cmpmem(b.losses, sizeof b.losses, b0.losses, sizeof b0.losses);
    g_assert_cmpmem(a.params, a.n * sizeof(float), a0.params, a0.n * sizeof(float));
    g_free(a.params), g_free(b.params), g_free(a0.params), g_free(b0.params);
}

static void test_arena_layout(void)
{
    dg_net *net = small_net();
    long P = dg_net_n_params(net);
    g_assert_cmpint(P, >, 0);
    /* params, grads and both moments are one allocation, in that order */
    g_assert_true(dg_net_grads(net) == dg_net_params(net) + P);
    g_assert_true(dg_net_moment1(net) == dg_net_params(net) + 2 * P);
    g_assert_true(dg_net_moment2(net) == dg_net_params(net) + 3 * P);
    g_assert_true(dg_net_buffers(net) == dg_net_params(net) + 4 * P);
    /* tensors tile the params region exactly */
    long sum = 0;
    for (int i = 0; i < dg_net_n_tensors(net); i++)
        if (dg_net_tensor(net, i)->trainable)
            sum += dg_net_tensor(net, i)->n;
    g_assert_cmpint(sum, ==, P);
    g_assert_cmpint(dg_net_find_tensor(net, "01.conv.weight"), >=, 0);
    dg_net_free(net);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/train/adam-by-hand", test_adam_by_hand);
    g_test_add_func("/train/sgd-by-hand", test_sgd_by_hand);
    g_test_add_func("/train/determinism", test_determinism);
    g_test_add_func("/train/two-models-at-once", test_two_models_at_once);
    g_test_add_func("/train/arena-layout", test_arena_layout);
    return g_test_run();
}

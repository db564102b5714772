/* bench-dcgan: one full DCGAN training iteration of the classic architecture
 * (../shared/bench/torch_dcgan.py: 64x64x3, nz 100, ngf = ndf = 64, batch 64):
 * D on real, G forward, D on fake, D update (Adam), then D on fake again
 * and the G update.  Synthetic data, after warm-up.  Prints one JSON line:
 * {"img_per_s", "s_per_iter", "gflops", "peak_fraction", "max_rss_mib", ...}
 * peak_fraction is measured against sgemm on a square 1024 GEMM in this
 * process, with the same thread count. */
#include <math.h>
#include <string.h>

#include "bench-common.h"
#include "numerics/dg-gemm.h"
#include "numerics/dg-loss.h"
#include "numerics/dg-net.h"

typedef struct {
    dg_net *G, *D;
    double flop_g_fwd, flop_d_fwd, flop_d_dw, flop_d_dx_first;
} dcgan;

/* FLOPs of one forward of the net's conv/convT/dense layers for batch B;
 * *first receives the first such layer's. */
static double net_flops(dg_net *net, int B, double *first)
{
    double f = 0.0;
    for (int i = 1; i < dg_net_n_nodes(net); i++) {
        double l = dg_net_node_flops(net, i, B);
        if (first && f == 0.0 && l > 0.0)
            *first = l;
        f += l;
    }
    return f;
}

static void build(dcgan *m, int B, int nz, int ngf, int ndf)
{
    dg_net *G = dg_net_new(nz, 1, 1, B);
    int x = dg_net_relu(G, dg_net_bn(G, dg_net_convt(G, 0, ngf * 8, 4, 1, 0, false)));
    x = dg_net_relu(G, dg_net_bn(G, dg_net_convt(G, x, ngf * 4, 4, 2, 1, false)));
    x = dg_net_relu(G, dg_net_bn(G, dg_net_convt(G, x, ngf * 2, 4, 2, 1, false)));
    x = dg_net_relu(G, dg_net_bn(G, dg_net_convt(G, x, ngf, 4, 2, 1, false)));
    dg_net_tanh(G, dg_net_convt(G, x, 3, 4, 2, 1, false));
    dg_net_finalize(G);

    dg_net *D = dg_net_new(3, 64, 64, B);
    x = dg_net_lrelu(D, dg_net_conv(D, 0, ndf, 4, 2, 1, false), 0.2f);
    x = dg_net_lrelu(D, dg_net_bn(D, dg_net_conv(D, x, ndf * 2, 4, 2, 1, false)), 0.2f);
    x = dg_net_lrelu(D, dg_net_bn(D, dg_net_conv(D, x, ndf * 4, 4, 2, 1, false)), 0.2f);
    x = dg_net_lrelu(D, dg_net_bn(D, dg_net_conv(D, x, ndf * 8, 4, 2, 1, false)), 0.2f);
    dg_net_conv(D, x, 1, 4, 1, 0, false); /* logits; the sigmoid lives in the loss */
    dg_net_finalize(D);
    m->G = G;
    m->D = D;
    m->flop_g_fwd = net_flops(G, B, NULL);
    m->flop_d_fwd = net_flops(D, B, &m->flop_d_dx_first);
}

int main(void)
{
    const int B = bench_int_env("DG_BATCH", 64), nz = 100, ngf = 64, ndf = 64;
    const int warmup = bench_int_env("DG_WARMUP", 2), iters = bench_int_env("DG_ITERS", 8);
    dg_ctx *ctx = dg_ctx_new(bench_threads());
    int T = dg_ctx_threads(ctx);

    /* sgemm peak in this process, this thread count */
    const int S = 1024;
    float *A = dg_alloc(sizeof(float) * S * S), *Bm = dg_alloc(sizeof(float) * S * S),
          *C = dg_alloc(sizeof(float) * S * S);
    for (long i = 0; i < (long)S * S; i++)
        A[i] = Bm[i] = (float)((i % 17) - 8) / 8.0f;
    double best = 1e9;
    for (int r = 0; r < 12; r++) {
        double t0 = bench_now();
        dg_gemm_par(ctx, false, false, S, S, S, 1.0f, A, S, Bm, S, 0.0f, C, S);
        double t = bench_now() - t0;
        best = t < best ? t : best;
    }
    double peak = 2.0 * S * S * S / best / 1e9;
    dg_free(A), dg_free(Bm), dg_free(C);

    dcgan m;
    build(&m, B, nz, ngf, ndf);
    dg_rng rng;
    dg_rng_seed(&rng, 1);
    dg_net_init(m.G, &rng, DG_INIT_DCGAN);
    dg_net_init(m.D, &rng, DG_INIT_DCGAN);
    dg_opt og, od;
    dg_opt_adam(&og, 2e-4f, 0.5f, 0.999f);
    dg_opt_adam(&od, 2e-4f, 0.5f, 0.999f);

    float *real = dg_alloc(sizeof(float) * B * 3 * 64 * 64);
    float *z = dg_alloc(sizeof(float) * B * nz);
    float *dfake = dg_alloc(sizeof(float) * B * 3 * 64 * 64);
    float *dl = dg_alloc(sizeof(float) * B);
    for (long i = 0; i < (long)B * 3 * 64 * 64; i++)
        real[i] = 2.0f * dg_rng_uniform(&rng) - 1.0f;

    double times[64], lossd = 0, lossg = 0;
    const bool profile = g_getenv("DG_PROFILE") != NULL;
    for (int it = 0; it < warmup + iters; it++) {
        if (profile && it == warmup) {
            dg_net_profile(m.G, true);
            dg_net_profile(m.D, true);
        }
        double t0 = bench_now();
        /* D step: real, then fake */
        dg_net_zero_grad(m.D);
        dg_net_forward(m.D, ctx, real, NULL, B, true);
        lossd = dg_bce_logits(dg_net_output(m.D), NULL, 1.0f, B, dl, 1.0f);
        dg_net_backward(m.D, ctx, dl, NULL, true);
        dg_rng_fill_normal(&rng, z, (long)B * nz, 0.0f, 1.0f);
        dg_net_forward(m.G, ctx, z, NULL, B, true);
        const float *fake = dg_net_output(m.G);
        dg_net_forward(m.D, ctx, fake, NULL, B, true);
        lossd += dg_bce_logits(dg_net_output(m.D), NULL, 0.0f, B, dl, 1.0f);
        dg_net_backward(m.D, ctx, dl, NULL, true);
        dg_net_step(m.D, ctx, &od);
        /* G step: D(fake) with the updated D, gradient back into G */
        dg_net_zero_grad(m.G);
        dg_net_forward(m.D, ctx, fake, NULL, B, true);
        lossg = dg_bce_logits(dg_net_output(m.D), NULL, 1.0f, B, dl, 1.0f);
        dg_net_backward(m.D, ctx, dl, dfake, false);
        dg_net_backward(m.G, ctx, dfake, NULL, true);
        dg_net_step(m.G, ctx, &og);
        if (it >= warmup)
            times[it - warmup] = bench_now() - t0;
    }
    if (!isfinite(lossd) || !isfinite(lossg)) {
        fprintf(stderr, "bench-dcgan: loss is not finite\n");
        return 1;
    }
    if (profile) {
        dg_net_profile_print(m.G, stderr, "generator: 1 forward + 1 backward per iteration", peak,
                             iters);
        dg_net_profile_print(m.D, stderr, "discriminator: 3 forwards + 3 backwards per iteration",
                             peak, iters);
    }
    double med = bench_median(times, iters);
    /* FLOPs done: 3 D forwards, D backward x2 with weight grads (no input grad
     * for the first layer), D backward once with input grads but no weight
     * grads, G forward, G backward with weight grads and input grads except the
     * first layer's (its input is the noise). */
    double fD = m.flop_d_fwd, fG = m.flop_g_fwd;
    double flops = 3 * fD + 2 * (fD + (fD - m.flop_d_dx_first)) + fD + fG + (fG + fG);
    double gflops = flops / med / 1e9;
    printf("{\"bench\": \"dcgan\", \"threads\": %d, \"batch\": %d, \"iters\": %d, "
           "\"s_per_iter\": %.4f, \"img_per_s\": %.2f, \"gflop_per_iter\": %.2f, "
           "\"gflops\": %.1f, \"sgemm_gflops\": %.1f, \"peak_fraction\": %.3f, "
           "\"max_rss_mib\": %.1f, \"g_params\": %ld, \"d_params\": %ld, \"loss_d\": %.4f, "
           "\"loss_g\": %.4f}\n",
           T, B, iters, med, B / med, flops / 1e9, gflops, peak, gflops / peak,
           bench_max_rss_mib(), dg_net_n_params(m.G), dg_net_n_params(m.D), lossd, lossg);
    dg_net_free(m.G);
    dg_net_free(m.D);
    dg_free(real), dg_free(z), dg_free(dfake), dg_free(dl);
    dg_ctx_free(ctx);
    return 0;
}

/* bench-gan: one GAN training step of a preset (default: `default`) as
 * `dermagan-cli gan train` runs it: dg_gan_train_step (G forward, DiffAugment
 * of real and fake images, D on real and on fake, the preset's loss with
 * LeCam, Adam on D, D on the fake again, G backward through D and the
 * augmentation, Adam on G, EMA of G), on synthetic images in [-1, 1] after
 * warm-up.  Its PyTorch twin is tests/bench/torch_gan.py --preset NAME (the
 * twin's default is our x-resnet-ap-24-32 and its current our default:
 * compare-torch.sh maps them).
 *
 *   bench-gan [--preset default] [--batch N] [--iters 8] [--warmup 2]
 *             [--threads N] [--profile]
 *
 * One JSON line: img_per_s (median step), s_per_iter (min, median, max),
 * gflop_per_iter (convolution and dense FLOPs the step did, 2 per MAC),
 * gflops and its fraction of the sgemm GFLOP/s measured in this process
 * with the same threads, max_rss_mib, parameter counts (of the pair
 * trained: the seed preset has one per class).  --profile adds a
 * per-layer table on stderr. */
#include <math.h>
#include <string.h>

#include "bench-common.h"
#include "models/dg-gan.h"

static char *preset_name = NULL;

static GOptionEntry entries[] = {
    {"preset", 0, 0, G_OPTION_ARG_STRING, &preset_name, "GAN preset (default)", "NAME"},
    {NULL}};

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(&argc, &argv, "One GAN training step of a preset.", entries, &o);
    const char *preset = preset_name ? preset_name : "default";
    const int K = 4;
    dg_gan_config cfg;
    GError *error = NULL;
    if (!dg_gan_config_preset(&cfg, preset, K, &error)) {
        fprintf(stderr, "bench-gan: %s\n", error->message);
        return 2;
    }
    const int B = o.batch > 0 ? o.batch : cfg.batch, S = cfg.size;
    dg_ctx *ctx = dg_ctx_new(o.threads);
    const double sgemm = bench_sgemm_gflops(ctx);

    dg_gan *gan = dg_gan_new(&cfg, B, true, false);
    dg_rng rng;
    dg_rng_seed(&rng, 1);
    dg_gan_init(gan, &rng);
    float *x = dg_alloc(sizeof(float) * B * 3 * S * S);
    int *labels = g_new(int, B);
    for (long i = 0; i < (long)B * 3 * S * S; i++)
        x[i] = 2.0f * dg_rng_uniform(&rng) - 1.0f;
    for (int i = 0; i < B; i++)
        labels[i] = cfg.conditional ? i % K : 0; /* unconditional pairs: pair 0's class */

    dg_net *G = gan->G[0], *D = gan->D[0];
    double *times = g_new(double, o.iters);
    dg_gan_stats st = {0};
    double cpu0 = 0.0;
    for (int it = 0; it < o.warmup + o.iters; it++) {
        if (it == o.warmup) { /* reset the counters; time every layer when profiling */
            dg_net_profile(G, o.profile);
            dg_net_profile(D, o.profile);
            cpu0 = bench_cpu_now();
        }
        double t0 = bench_now();
        if (!dg_gan_train_step(gan, ctx, &rng, x, labels, B, 0, &st)) {
            fprintf(stderr, "bench-gan: the step's loss or gradients are not finite\n");
            return 1;
        }
        if (it >= o.warmup)
            times[it - o.warmup] = bench_now() - t0;
    }
    double cpu = (bench_cpu_now() - cpu0) / o.iters;
    double flop = (dg_net_flops_done(G) + dg_net_flops_done(D)) / o.iters;
    if (o.profile) {
        char title[96];
        g_snprintf(title, sizeof title, "%s generator (1 forward, 1 backward per step)", preset);
        dg_net_profile_print(G, stderr, title, sgemm, o.iters);
        g_snprintf(title, sizeof title, "%s discriminator (3 forwards, 3 backwards per step)",
                   preset);
        dg_net_profile_print(D, stderr, title, sgemm, o.iters);
        dg_net_prof_totals tg, td;
        dg_net_profile_totals(G, &tg);
        dg_net_profile_totals(D, &td);
        double total = 0.0;
        for (int i = 0; i < o.iters; i++)
            total += times[i];
        double in_nets = tg.conv_s + tg.other_s + tg.step_s + td.conv_s + td.other_s + td.step_s;
        fprintf(stderr, "step %.1f ms: convolutions %.1f, other layers %.1f, optimizers %.1f, "
                "outside the nets (DiffAugment, losses, EMA) %.1f\n", 1e3 * total / o.iters,
                1e3 * (tg.conv_s + td.conv_s) / o.iters, 1e3 * (tg.other_s + td.other_s) / o.iters,
                1e3 * (tg.step_s + td.step_s) / o.iters, 1e3 * (total - in_nets) / o.iters);
        fprintf(stderr, "memory: generator %.1f MiB, discriminator %.1f MiB, EMA generator %.1f MiB, "
                "scratch %.1f MiB\n", dg_net_bytes(G) / 1048576.0, dg_net_bytes(D) / 1048576.0,
                gan->Gema[0] ? dg_net_bytes(gan->Gema[0]) / 1048576.0 : 0.0,
                dg_ctx_scratch_bytes(ctx) / 1048576.0);
        bench_print_thread_cpu(stderr);
    }
    double tmin = times[0], tmax = times[0];
    for (int i = 1; i < o.iters; i++) {
        tmin = fmin(tmin, times[i]);
        tmax = fmax(tmax, times[i]);
    }
    double med = bench_median(times, o.iters);
    printf("{\"bench\": \"gan\", \"preset\": \"%s\", \"threads\": %d, \"batch\": %d, "
           "\"iters\": %d, \"s_per_iter_min\": %.4f, \"s_per_iter\": %.4f, "
           "\"s_per_iter_max\": %.4f, \"cpu_s_per_iter\": %.4f, \"img_per_s\": %.2f, \"gflop_per_iter\": %.2f, "
           "\"gflops\": %.1f, \"sgemm_gflops\": %.1f, \"peak_fraction\": %.3f, "
           "\"max_rss_mib\": %.1f, \"g_params\": %ld, \"d_params\": %ld, \"loss_d\": %.4f, "
           "\"loss_g\": %.4f}\n",
           preset, dg_ctx_threads(ctx), B, o.iters, tmin, med, tmax, cpu, B / med, flop / 1e9,
           flop / med / 1e9, sgemm, flop / med / 1e9 / sgemm, bench_max_rss_mib(),
           dg_net_n_params(G), dg_net_n_params(D), st.d_loss, st.g_loss);
    g_free(times);
    g_free(labels);
    dg_free(x);
    dg_gan_free(gan);
    dg_ctx_free(ctx);
    g_free(preset_name);
    return 0;
}

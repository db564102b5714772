/* bench-cnn: a classifier architecture (default: dermanet) as `dermagan-cli
 * cnn train` trains it: forward, softmax cross-entropy with label smoothing
 * 0.1, backward, AdamW (lr 2e-3, weight decay 5e-4), 4 classes, 64x64
 * synthetic images after warm-up; then inference at the batch size
 * (evaluation mode) and the latency of one image.  The training job also
 * augments every image (flips, rotations, crop, colour; dg_augment_image):
 * its cost per batch is reported apart (augment_ms), since the PyTorch twin
 * (tests/bench/torch_cnn.py --arch NAME) trains on ready tensors.
 *
 *   bench-cnn [--arch dermanet] [--batch 64] [--iters 8] [--warmup 2]
 *             [--threads N] [--profile]
 *
 * One JSON line: train_img_per_s (median step), infer_img_per_s,
 * predict_one_ms, augment_ms, gflop_per_iter (training FLOPs of the
 * convolution and dense layers), gflops, sgemm_gflops, peak_fraction,
 * max_rss_mib, params. */
#include <math.h>
#include <string.h>

#include "bench-common.h"
#include "data/dg-dataset.h"
#include "models/dg-classifier.h"
#include "numerics/dg-loss.h"

static char *arch_name = NULL;

static GOptionEntry entries[] = {
    {"arch", 0, 0, G_OPTION_ARG_STRING, &arch_name, "architecture (dermanet)", "NAME"},
    {NULL}};

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(&argc, &argv, "Training and inference of a classifier architecture.", entries,
                &o);
    const char *arch = arch_name ? arch_name : "dermanet";
    const int K = 4, B = o.batch > 0 ? o.batch : 64;
    dg_cnn_config cfg;
    GError *error = NULL;
    if (!dg_cnn_config_arch(&cfg, arch, K, &error)) {
        fprintf(stderr, "bench-cnn: %s\n", error->message);
        return 2;
    }
    const int S = cfg.size;
    const long img = 3L * S * S;
    dg_ctx *ctx = dg_ctx_new(o.threads);
    const double sgemm = bench_sgemm_gflops(ctx);
    const char *ids[] = {"akiec", "bcc", "bkl", "mel", NULL};
    dg_cnn *cnn = dg_cnn_new(&cfg, B, ids, ids);
    dg_net *net = cnn->net;
    dg_rng rng;
    dg_rng_seed(&rng, 1);
    dg_cnn_init(cnn, &rng);
    dg_opt opt;
    dg_opt_adam(&opt, 2e-3f, 0.9f, 0.999f);
    opt.kind = DG_OPT_ADAMW;
    opt.weight_decay = 5e-4f;

    float *x = dg_alloc(sizeof(float) * B * img), *dl = g_new(float, (long)B * K);
    uint8_t *raw = g_new(uint8_t, B * img);
    int *y = g_new(int, B);
    for (long i = 0; i < B * img; i++)
        raw[i] = (uint8_t)dg_rng_below(&rng, 256);
    for (int i = 0; i < B; i++)
        y[i] = i % K;
    dg_augment aug;
    dg_augment_defaults(&aug);

    int n = o.warmup + o.iters;
    double *tt = g_new(double, n), *ta = g_new(double, n), loss = 0.0, cpu = 0.0;
    for (int it = 0; it < n; it++) {
        double t0 = bench_now();
        for (int b = 0; b < B; b++)
            dg_augment_image(&aug, &rng, raw + b * img, S, x + b * img);
        double t1 = bench_now();
        if (it == o.warmup)
            dg_net_profile(net, o.profile);
        double c0 = bench_cpu_now();
        dg_net_zero_grad(net);
        dg_net_forward(net, ctx, x, NULL, B, true);
        loss = dg_softmax_xent(dg_net_output(net), y, B, K, NULL, 0.1f, dl, NULL);
        dg_net_backward(net, ctx, dl, NULL, true);
        dg_net_step(net, ctx, &opt);
        double t2 = bench_now();
        if (it >= o.warmup) {
            cpu += (bench_cpu_now() - c0) / o.iters;
            ta[it - o.warmup] = t1 - t0;
            tt[it - o.warmup] = t2 - t1;
        }
    }
    double flop = dg_net_flops_done(net) / o.iters;
    if (o.profile) {
        char title[64];
        g_snprintf(title, sizeof title, "%s training", arch);
        dg_net_profile_print(net, stderr, title, sgemm, o.iters);
        bench_print_thread_cpu(stderr);
    }
    dg_net_profile(net, false);
    double train = bench_median(tt, o.iters), augment = bench_median(ta, o.iters);

    int ni = 3 * o.iters;
    double *ti = g_new(double, ni);
    for (int it = 0; it < o.warmup + ni; it++) {
        double t0 = bench_now();
        dg_net_forward(net, ctx, x, NULL, B, false);
        if (it >= o.warmup)
            ti[it - o.warmup] = bench_now() - t0;
    }
    const int nl = 200;
    double *tl = g_new(double, nl);
    for (int it = 0; it < 20 + nl; it++) {
        double t0 = bench_now();
        dg_net_forward(net, ctx, x, NULL, 1, false);
        if (it >= 20)
            tl[it - 20] = bench_now() - t0;
    }
    double infer = bench_median(ti, ni), lat = bench_median(tl, nl);
    if (!isfinite(loss))
        return 1;
    printf("{\"bench\": \"cnn\", \"arch\": \"%s\", \"threads\": %d, \"batch\": %d, "
           "\"iters\": %d, \"params\": %ld, \"train_s_per_iter\": %.4f, "
           "\"train_cpu_s_per_iter\": %.4f, \"train_img_per_s\": %.1f, \"augment_ms\": %.2f, \"infer_img_per_s\": %.1f, "
           "\"predict_one_ms\": %.3f, \"gflop_per_iter\": %.2f, \"gflops\": %.1f, "
           "\"sgemm_gflops\": %.1f, \"peak_fraction\": %.3f, \"max_rss_mib\": %.1f}\n",
           arch, dg_ctx_threads(ctx), B, o.iters, dg_net_n_params(net), train, cpu, B / train,
           1e3 * augment, B / infer, 1e3 * lat, flop / 1e9, flop / train / 1e9, sgemm,
           flop / train / 1e9 / sgemm, bench_max_rss_mib());
    g_free(tt), g_free(ta), g_free(ti), g_free(tl);
    g_free(y), g_free(raw), g_free(dl);
    dg_free(x);
    dg_cnn_free(cnn);
    dg_ctx_free(ctx);
    g_free(arch_name);
    return 0;
}

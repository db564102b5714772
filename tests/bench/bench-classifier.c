/* bench-classifier: the 4-class CNN of ../shared/bench/torch_classifier.py
 * (64x64x3; conv3x3 32/64/128/256 each with BN + ReLU, max-pool after the
 * first three, global average pool, dense 4; softmax cross-entropy; Adam
 * 1e-3): training images/s at batch 64, inference images/s at batch 64
 * (eval mode) and the latency of one image.  One JSON line:
 * {"train_img_per_s", "infer_img_per_s", "predict_one_ms", ...} */
#include <math.h>

#include "bench-common.h"
#include "numerics/dg-loss.h"
#include "numerics/dg-net.h"

static dg_net *build(int B)
{
    dg_net *net = dg_net_new(3, 64, 64, B);
    int x = 0;
    const int widths[4] = {32, 64, 128, 256};
    for (int i = 0; i < 4; i++) {
        x = dg_net_relu(net, dg_net_bn(net, dg_net_conv(net, x, widths[i], 3, 1, 1, false)));
        if (i < 3)
            x = dg_net_maxpool(net, x, 2, 2, 0);
    }
    dg_net_dense(net, dg_net_gap(net, x), 4, true);
    dg_net_finalize(net);
    return net;
}

int main(void)
{
    const int B = bench_int_env("DG_BATCH", 64), iters = bench_int_env("DG_ITERS", 10);
    dg_ctx *ctx = dg_ctx_new(bench_threads());
    dg_net *net = build(B);
    dg_rng rng;
    dg_rng_seed(&rng, 1);
    dg_net_init(net, &rng, DG_INIT_KAIMING);
    dg_opt opt;
    dg_opt_adam(&opt, 1e-3f, 0.9f, 0.999f);
    float *x = dg_alloc(sizeof(float) * B * 3 * 64 * 64), dl[4 * 1024];
    int y[1024];
    for (long i = 0; i < (long)B * 3 * 64 * 64; i++)
        x[i] = dg_rng_normal(&rng);
    for (int i = 0; i < B; i++)
        y[i] = (int)dg_rng_below(&rng, 4);

    const bool profile = g_getenv("DG_PROFILE") != NULL;
    double tt[64], loss = 0;
    for (int it = 0; it < 3 + iters; it++) {
        if (profile && it == 3)
            dg_net_profile(net, true);
        double t0 = bench_now();
        dg_net_zero_grad(net);
        dg_net_forward(net, ctx, x, NULL, B, true);
        loss = dg_softmax_xent(dg_net_output(net), y, B, 4, NULL, 0.0f, dl, NULL);
        dg_net_backward(net, ctx, dl, NULL, true);
        dg_net_step(net, ctx, &opt);
        if (it >= 3)
            tt[it - 3] = bench_now() - t0;
    }
    if (profile) {
        dg_net_profile_print(net, stderr, "classifier training", bench_sgemm_gflops(ctx), iters);
        dg_net_profile(net, false);
    }
    double ti[128];
    for (int it = 0; it < 3 + 3 * iters; it++) {
        double t0 = bench_now();
        dg_net_forward(net, ctx, x, NULL, B, false);
        if (it >= 3)
            ti[it - 3] = bench_now() - t0;
    }
    int lat_n = bench_int_env("DG_LAT_ITERS", 200);
    double *tl = g_new(double, lat_n);
    for (int it = 0; it < 20 + lat_n; it++) {
        double t0 = bench_now();
        dg_net_forward(net, ctx, x, NULL, 1, false);
        if (it >= 20)
            tl[it - 20] = bench_now() - t0;
    }
    double train = bench_median(tt, iters), infer = bench_median(ti, 3 * iters);
    double lat = bench_median(tl, lat_n);
    if (!isfinite(loss))
        return 1;
    printf("{\"bench\": \"classifier\", \"threads\": %d, \"batch\": %d, \"params\": %ld, "
           "\"train_s_per_iter\": %.4f, \"train_img_per_s\": %.1f, \"infer_img_per_s\": %.1f, "
           "\"predict_one_ms\": %.3f, \"max_rss_mib\": %.1f}\n",
           dg_ctx_threads(ctx), B, dg_net_n_params(net), train, B / train, B / infer, lat * 1e3,
           bench_max_rss_mib());
    g_free(tl);
    dg_free(x);
    dg_net_free(net);
    dg_ctx_free(ctx);
    return 0;
}

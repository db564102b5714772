/* bench-predict: one prediction as the app and `dermagan-cli predict` make
 * it, after the model is loaded: the JPEG's bytes decoded, centre-cropped and
 * downscaled (dg_image_prepare_data), converted to floats and classified
 * (dg_cnn_predict, one image, one thread); and the same with the Grad-CAM
 * saliency map.  Uses the bundled default classifier (a freshly initialised
 * dermanet when there is none: the cost is the same) and a bundled sample
 * image.  One JSON line:
 * {"predict_one_ms", "prepare_ms", "forward_ms", "gradcam_ms", ...} */
#include <math.h>

#include "bench-common.h"
#include "data/dg-dataset.h"
#include "jobs/dg-job-util.h"
#include "models/dg-classifier.h"

int main(void)
{
    const int iters = bench_int_env("DG_ITERS", 200);
    GError *error = NULL;
    char *model = dg_find_resource("models/classifier.safetensors");
    dg_cnn *cnn = NULL;
    if (model) {
        cnn = dg_cnn_load(model, 1, &error);
        if (!cnn) {
            fprintf(stderr, "bench-predict: %s\n", error->message);
            return 1;
        }
    } else {
        dg_cnn_config cfg;
        dg_cnn_config_arch(&cfg, "dermanet", 4, NULL);
        const char *ids[] = {"akiec", "bcc", "bkl", "mel", NULL};
        cnn = dg_cnn_new(&cfg, 1, ids, ids);
        dg_rng rng;
        dg_rng_seed(&rng, 1);
        dg_cnn_init(cnn, &rng);
    }
    char *img = dg_find_resource("sample/images/ISIC_0024371.jpg");
    gchar *bytes = NULL;
    gsize len = 0;
    if (!img || !g_file_get_contents(img, &bytes, &len, NULL)) {
        fprintf(stderr, "bench-predict: no sample image found\n");
        return 77;
    }
    int iw = 0, ih = 0;
    gdk_pixbuf_get_file_info(img, &iw, &ih);
    const int S = cnn->cfg.size, K = cnn->cfg.n_classes;
    dg_ctx *ctx = dg_ctx_new(bench_int_env("DG_THREADS", 1));
    uint8_t *chw = g_new(uint8_t, 3L * S * S);
    float *x = g_new(float, 3L * S * S), *cam = g_new(float, (long)S * S), probs[64];
    double *tp = g_new(double, iters), *tf = g_new(double, iters), *tt = g_new(double, iters),
           *tg = g_new(double, iters);
    for (int it = 0; it < 10 + iters; it++) {
        double t0 = bench_now();
        if (!dg_image_prepare_data(bytes, len, S, chw, &error)) {
            fprintf(stderr, "bench-predict: %s\n", error->message);
            return 1;
        }
        dg_image_to_float(chw, S, x);
        double t1 = bench_now();
        dg_cnn_predict(cnn, ctx, x, 1, false, probs);
        double t2 = bench_now();
        int top = 0;
        for (int k = 1; k < K; k++)
            top = probs[k] > probs[top] ? k : top;
        dg_cnn_gradcam(cnn, ctx, x, top, cam, NULL);
        double t3 = bench_now();
        if (it >= 10) {
            tp[it - 10] = t1 - t0;
            tf[it - 10] = t2 - t1;
            tt[it - 10] = t2 - t0;
            tg[it - 10] = t3 - t2;
        }
    }
    double sum = 0;
    for (int k = 0; k < K; k++)
        sum += probs[k];
    if (!isfinite(sum))
        return 1;
    printf("{\"bench\": \"predict\", \"model\": \"%s\", \"arch\": \"%s\", \"image\": \"%dx%d JPEG\", "
           "\"predict_one_ms\": %.3f, \"prepare_ms\": %.3f, \"forward_ms\": %.3f, "
           "\"gradcam_ms\": %.3f, \"max_rss_mib\": %.1f}\n",
           model ? "bundled" : "untrained", cnn->cfg.arch, iw, ih, 1e3 * bench_median(tt, iters),
           1e3 * bench_median(tp, iters), 1e3 * bench_median(tf, iters),
           1e3 * bench_median(tg, iters), bench_max_rss_mib());
    g_free(tp), g_free(tf), g_free(tt), g_free(tg), g_free(chw), g_free(x), g_free(cam);
    g_free(bytes), g_free(img), g_free(model);
    dg_ctx_free(ctx);
    dg_cnn_free(cnn);
    return 0;
}

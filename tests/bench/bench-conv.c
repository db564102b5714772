/* bench-conv: the convolution kernels one by one, for choosing between them:
 * forward, backward-data and backward-weight of each convolution of the
 * default GAN preset and dermanet (batch 64), through im2col + GEMM and
 * through Winograd where it applies, best of --iters runs (the best run is
 * the steadiest figure on a shared machine; on one thread, CPU time).  GFLOP/s count direct
 * convolution FLOPs.  One JSON line per shape and path, then a summary line.
 *
 *   bench-conv [--threads N] [--iters 5] [--batch 64] [--shape B,C,H,W,OC,k,s,p] */
#include <math.h>
#include <string.h>

#include "bench-common.h"
#include "numerics/dg-layers.h"
#include "numerics/dg-direct.h"
#include "numerics/dg-winograd.h"

static char *shape_arg = NULL, *path_arg = NULL;

static GOptionEntry entries[] = {
    {"shape", 0, 0, G_OPTION_ARG_STRING, &shape_arg, "one shape only", "B,C,H,W,OC,k,s,p"},
    {"path", 0, 0, G_OPTION_ARG_STRING, &path_arg,
     "both (default), im2col or winograd; direct: the direct kernels in the winograd column",
     "PATH"},
    {NULL}};

typedef struct {
    const char *what;
    int C, H, W, OC, k, s, p;
} layer;

static const layer layers[] = {
    {"G 8x8 192>192", 192, 8, 8, 192, 3, 1, 1},   {"G 16x16 192>96", 192, 16, 16, 96, 3, 1, 1},
    {"G 16x16 96>96", 96, 16, 16, 96, 3, 1, 1},   {"G 32x32 96>48", 96, 32, 32, 48, 3, 1, 1},
    {"G 32x32 48>48", 48, 32, 32, 48, 3, 1, 1},   {"G 64x64 48>24", 48, 64, 64, 24, 3, 1, 1},
    {"G 64x64 24>24", 24, 64, 64, 24, 3, 1, 1},   {"G 64x64 24>3", 24, 64, 64, 3, 3, 1, 1},
    {"D 64x64 3>32", 3, 64, 64, 32, 3, 1, 1},     {"D 32x32 32>64", 32, 32, 32, 64, 3, 1, 1},
    {"D 16x16 64>128", 64, 16, 16, 128, 3, 1, 1}, {"D 8x8 128>256", 128, 8, 8, 256, 3, 1, 1},
    {"C 32x32 48>48", 48, 32, 32, 48, 3, 1, 1},   {"C 16x16 96>96", 96, 16, 16, 96, 3, 1, 1},
    {"C 8x8 192>192", 192, 8, 8, 192, 3, 1, 1},   {"C 4x4 256>256", 256, 4, 4, 256, 3, 1, 1},
    {"C 64>32x32 32>48 s2", 32, 64, 64, 48, 3, 2, 1},
};

/* On one thread, the thread's CPU time (what other processes on a shared
 * machine take from us is not counted); else wall time. */
static double clock_now(dg_ctx *ctx)
{
    if (dg_ctx_threads(ctx) > 1)
        return bench_now();
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool use_direct = false;

static double best_of(dg_ctx *ctx, const dg_conv_geom *g, int pass, bool wino, int iters,
                      float *x, float *w, float *y, float *dw)
{
    double best = 1e9;
    for (int r = 0; r < iters + 1; r++) {
        double t0 = clock_now(ctx);
        if (use_direct && wino)
            pass == 0   ? dg_direct_forward(ctx, g, y, x, w, NULL)
            : pass == 1 ? dg_direct_backward_data(ctx, g, x, y, w)
                        : dg_direct_backward_weight(ctx, g, dw, y, x);
        else if (pass == 0)
            wino ? dg_wino_forward(ctx, g, y, x, w, NULL) : dg_conv2d_forward(ctx, g, y, x, w, NULL);
        else if (pass == 1)
            wino ? dg_wino_backward_data(ctx, g, x, y, w) : dg_conv2d_backward_data(ctx, g, x, y, w);
        else
            wino ? dg_wino_backward_weight(ctx, g, dw, y, x)
                 : dg_conv2d_backward_weight(ctx, g, dw, NULL, y, x);
        double t = clock_now(ctx) - t0;
        if (r > 0) /* the first run grows the scratch buffers */
            best = t < best ? t : best;
    }
    return best;
}

static void run_layer(dg_ctx *ctx, const layer *l, int B, int iters, double *sum_im, double *sum_wg)
{
    dg_conv_geom g = dg_conv_geom_make(B, l->C, l->H, l->W, l->OC, l->k, l->s, l->p);
    long xn = (long)B * l->C * l->H * l->W, yn = (long)B * l->OC * g.OH * g.OW;
    long wn = (long)l->OC * l->C * l->k * l->k;
    float *x = dg_alloc(sizeof(float) * xn), *y = dg_alloc(sizeof(float) * yn);
    float *w = dg_alloc(sizeof(float) * wn), *dw = dg_alloc0(sizeof(float) * wn);
    for (long i = 0; i < xn; i++)
        x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (long i = 0; i < wn; i++)
        w[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
    for (long i = 0; i < yn; i++)
        y[i] = (float)((i * 15485863) % 1000) / 1000.0f - 0.5f;
    const double flop = 2.0 * B * g.OH * g.OW * (double)wn;
    bool wino_ok = (l->k == 3 || use_direct) && l->s == 1;
    static const char *pass_name[3] = {"forward", "bwd-data", "bwd-weight"};
    for (int pass = 0; pass < 3; pass++) {
        bool only_wg = path_arg && strcmp(path_arg, "winograd") == 0 && wino_ok;
        bool only_im = path_arg && strcmp(path_arg, "im2col") == 0;
        setenv("DG_NO_WINOGRAD", "1", 1);
        double t_im = only_wg ? 1e9 : best_of(ctx, &g, pass, false, iters, x, w, y, dw);
        unsetenv("DG_NO_WINOGRAD");
        double t_wg = wino_ok && !only_im ? best_of(ctx, &g, pass, true, iters, x, w, y, dw) : t_im;
        *sum_im += t_im;
        *sum_wg += t_wg < t_im ? t_wg : t_im;
        printf("{\"layer\": \"%s\", \"pass\": \"%s\", \"im2col_gflops\": %.1f, "
               "\"winograd_gflops\": %.1f, \"im2col_ms\": %.3f, \"winograd_ms\": %.3f}\n",
               l->what, pass_name[pass], flop / t_im / 1e9, wino_ok ? flop / t_wg / 1e9 : 0.0,
               t_im * 1e3, wino_ok ? t_wg * 1e3 : 0.0);
    }
    dg_free(x), dg_free(y), dg_free(w), dg_free(dw);
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(&argc, &argv, "Convolution kernels one by one.", entries, &o);
    int B = o.batch > 0 ? o.batch : 64, iters = o.iters < 3 ? 3 : o.iters;
    dg_ctx *ctx = dg_ctx_new(o.threads);
    double sgemm = bench_sgemm_gflops(ctx), sum_im = 0.0, sum_wg = 0.0;
    use_direct = path_arg && strcmp(path_arg, "direct") == 0;
    if (shape_arg) {
        layer l = {"custom", 0, 0, 0, 0, 3, 1, 1};
        if (sscanf(shape_arg, "%d,%d,%d,%d,%d,%d,%d,%d", &B, &l.C, &l.H, &l.W, &l.OC, &l.k, &l.s,
                   &l.p) != 8) {
            fprintf(stderr, "bench-conv: --shape B,C,H,W,OC,k,s,p\n");
            return 2;
        }
        run_layer(ctx, &l, B, iters, &sum_im, &sum_wg);
    } else {
        for (size_t i = 0; i < G_N_ELEMENTS(layers); i++)
            run_layer(ctx, &layers[i], B, iters, &sum_im, &sum_wg);
    }
    printf("{\"bench\": \"conv\", \"threads\": %d, \"batch\": %d, \"sgemm_gflops\": %.1f, "
           "\"im2col_ms\": %.2f, \"best_ms\": %.2f}\n",
           dg_ctx_threads(ctx), B, sgemm, sum_im * 1e3, sum_wg * 1e3);
    dg_ctx_free(ctx);
    g_free(shape_arg);
    g_free(path_arg);
    return 0;
}

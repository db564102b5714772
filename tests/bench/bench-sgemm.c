/* bench-sgemm: OpenBLAS sgemm GFLOP/s in this process: square 1024 on one
 * thread, split over our threads (how the engine calls it), and with
 * OpenBLAS's own thread pool; then the GEMM shapes the DCGAN's convolutions
 * produce per thread (batch 64 split over 2 threads, chunks of ~1024
 * columns).  Last line: {"sgemm_gflops": best square-1024 figure at the
 * engine's thread count, ...}. */
#include <cblas.h>
#include <string.h>

#include "bench-common.h"
#include "numerics/dg-gemm.h"

typedef struct {
    const char *what;
    bool ta, tb;
    int M, N, K;
} shape;

static double time_gemm(dg_ctx *ctx, const shape *s, float *A, float *B, float *C, int reps)
{
    int lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N;
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        if (ctx)
            dg_gemm_par(ctx, s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
        else
            dg_gemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
        double t = bench_now() - t0;
        best = t < best ? t : best;
    }
    return 2.0 * s->M * s->N * s->K / best / 1e9;
}

int main(void)
{
    dg_ctx *ctx = dg_ctx_new(bench_threads());
    int T = dg_ctx_threads(ctx);
    const long big = 4096L * 4096;
    float *A = dg_alloc(sizeof(float) * big), *B = dg_alloc(sizeof(float) * big),
          *C = dg_alloc(sizeof(float) * big);
    for (long i = 0; i < big; i++)
        A[i] = B[i] = (float)((i % 13) - 6) / 6.0f;

    shape sq = {"square 1024", false, false, 1024, 1024, 1024};
    double one = time_gemm(NULL, &sq, A, B, C, 10);
    double ours = time_gemm(ctx, &sq, A, B, C, 10);
    openblas_set_num_threads(T);
    double native = time_gemm(NULL, &sq, A, B, C, 10);
    openblas_set_num_threads(1);
    fprintf(stderr, "square 1024: 1 thread %.1f, %d threads (ours) %.1f, %d threads (OpenBLAS) %.1f GFLOP/s\n",
            one, T, ours, T, native);

    /* per-thread GEMMs of the DCGAN-64 layers (forward; weight grad; input grad) */
    static const shape conv[] = {
        {"D conv1 fwd   (64x1024x48)", false, false, 64, 1024, 48},
        {"D conv2 fwd   (128x1024x1024)", false, false, 128, 1024, 1024},
        {"D conv2 dW    (128x1024x1024 NT)", false, true, 128, 1024, 1024},
        {"D conv2 dX    (1024x1024x128 TN)", true, false, 1024, 1024, 128},
        {"D conv4 fwd   (512x1024x4096)", false, false, 512, 1024, 4096},
        {"D conv4 dX    (4096x1024x512 TN)", true, false, 4096, 1024, 512},
        {"G convt2 fwd  (4096x1024x512 TN)", true, false, 4096, 1024, 512},
        {"G convt2 dW   (512x4096x1024 NT)", false, true, 512, 4096, 1024},
        {"G convt4 fwd  (1024x1024x128 TN)", true, false, 1024, 1024, 128},
        {"G convt5 fwd  (48x1024x64 TN)", true, false, 48, 1024, 64},
    };
    GString *js = g_string_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(conv); i++) {
        double g = time_gemm(NULL, &conv[i], A, B, C, 6);
        fprintf(stderr, "  %-36s %6.1f GFLOP/s (1 thread)\n", conv[i].what, g);
        g_string_append_printf(js, "%s{\"shape\": \"%s\", \"gflops_1t\": %.1f}", i ? ", " : "",
                               conv[i].what, g);
    }
    double peak = ours > native ? ours : native;
    printf("{\"bench\": \"sgemm\", \"blas_core\": \"%s\", \"threads\": %d, \"sgemm_gflops\": %.1f, \"square1024_1t\": %.1f, "
           "\"square1024_ours\": %.1f, \"square1024_openblas_mt\": %.1f, \"conv_shapes\": [%s]}\n",
           dg_blas_core(), T, peak, one, ours, native, js->str);
    g_string_free(js, TRUE);
    dg_free(A), dg_free(B), dg_free(C);
    dg_ctx_free(ctx);
    return 0;
}

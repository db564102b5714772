#include "dg-gemm.h"

#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- OpenBLAS set-up -------------------------------------------------------
 * A DYNAMIC_ARCH OpenBLAS picks its kernels from the CPU model when it loads.
 * A model it does not know (Debian 12's 0.3.21 predates Emerald Rapids, for
 * one) falls back to "Prescott": SSE3 kernels at a fifth of the speed of the
 * AVX-512 ones on the same core.  OPENBLAS_CORETYPE overrides the choice, but
 * it is read at load time; so, unless the user set it, we redo OpenBLAS's
 * own initialization with it set to the best core the CPU's features allow
 * (the documented override, applied once, before any BLAS call of ours).
 * The symbols are weak: a build without them is left alone. */
char *openblas_get_corename(void);
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

static const char *better_core(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
#endif
    return NULL;
}

static void fix_blas_core(void)
{
    const char *now = openblas_get_corename();
    if (getenv("OPENBLAS_CORETYPE") || getenv("DG_BLAS_KEEP_CORE") || !gotoblas_dynamic_init ||
        !gotoblas_dynamic_quit || !now || strcmp(now, "Prescott") != 0)
        return;
    const char *core = better_core();
    if (!core)
        return;
    setenv("OPENBLAS_CORETYPE", core, 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
}

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void blas_init_once(void)
{
    fix_blas_core();
    openblas_set_num_threads(1);
}

void dg_blas_init(void)
{
    pthread_once(&blas_once, blas_init_once);
}

/* At load time, while the process has one thread (setenv is not thread-safe). */
__attribute__((constructor)) static void blas_init_at_load(void)
{
    dg_blas_init();
}

const char *dg_blas_core(void)
{
    dg_blas_init();
    return openblas_get_corename();
}

void dg_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) {
        /* BLAS leaves C alone for K == 0 only when beta == 1; make it exact. */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(long)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(long)i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

typedef struct {
    bool ta, tb;
    int M, N, K;
    float alpha, beta;
    const float *A, *B;
    float *C;
    int lda, ldb, ldc;
    bool split_m;
} gemm_job;

/* Split on multiples of 16 so that no thread gets a ragged kernel edge. */
static void gemm_part(void *arg, int tid, int nt)
{
    gemm_job *g = arg;
    int n = g->split_m ? g->M : g->N;
    long blocks = (n + 15) / 16, lo, hi;
    dg_part(blocks, tid, nt, &lo, &hi);
    lo *= 16;
    hi *= 16;
    if (hi > n)
        hi = n;
    if (lo >= hi)
        return;
    int len = (int)(hi - lo);
    if (g->split_m) {
        const float *A = g->ta ? g->A + lo : g->A + lo * (long)g->lda;
        dg_gemm(g->ta, g->tb, len, g->N, g->K, g->alpha, A, g->lda, g->B, g->ldb, g->beta,
                g->C + lo * (long)g->ldc, g->ldc);
    } else {
        const float *B = g->tb ? g->B + lo * (long)g->ldb : g->B + lo;
        dg_gemm(g->ta, g->tb, g->M, len, g->K, g->alpha, g->A, g->lda, B, g->ldb, g->beta,
                g->C + lo, g->ldc);
    }
}

void dg_gemm_par(dg_ctx *ctx, bool ta, bool tb, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    int nt = dg_ctx_threads(ctx);
    double flops = 2.0 * M * N * K;
    int big = M > N ? M : N;
    if (nt > big / 16)
        nt = big / 16;
    if (flops < 2e6 || nt <= 1) {
        dg_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    gemm_job g = {ta, tb, M, N, K, alpha, beta, A, B, C, lda, ldb, ldc, M >= N};
    dg_ctx_run(ctx, nt, gemm_part, &g);
}

#include "dg-gemm.h"

#include <cblas.h>
#include <pthread.h>

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void blas_init_once(void)
{
    openblas_set_num_threads(1);
}

void dg_blas_init(void)
{
    pthread_once(&blas_once, blas_init_once);
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

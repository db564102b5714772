/* dg-gemm.h: row-major single-precision GEMM on OpenBLAS.
 *
 * C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, row-major, with
 * op(X) = X or X^T.  dg_gemm runs on the calling thread (OpenBLAS is kept
 * single-threaded, see dg-ctx.h); dg_gemm_par splits the larger of M and N
 * over the context's threads.  Each element of C is produced by one thread
 * with the same K order whatever the split, so results do not depend on the
 * thread count. */
#pragma once
#include <stdbool.h>

#include "dg-ctx.h"

/* Pin OpenBLAS to one thread, after giving it the best kernels for this
 * CPU when its own detection fell back to generic ones (idempotent; runs
 * when the program loads, and dg_ctx_new calls it). */
void dg_blas_init(void);
/* The OpenBLAS kernel set in use ("SkylakeX", "Haswell", "Zen", ...). */
const char *dg_blas_core(void);

void dg_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc);

void dg_gemm_par(dg_ctx *ctx, bool ta, bool tb, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta, float *C,
                 int ldc);

/* dg-ctx.h: an execution context: our own thread pool plus per-thread
 * scratch memory.
 *
 * Threading model: OpenBLAS is kept single-threaded (openblas_set_num_threads(1)
 * once, process-wide), and all parallelism is ours: a kernel splits its work
 * (images of the batch, rows of a GEMM, channels) over the context's threads
 * and each thread calls single-threaded sgemm on its share.  So multithreaded
 * OpenBLAS never runs inside our parallel regions, two contexts (say, a GAN
 * training and a prediction in the UI) can run at once without fighting over
 * one global BLAS pool, and the thread count is one setting per context.
 *
 * A context is used by one thread at a time (the one that calls the kernels);
 * it owns no model state, so several models may share one context in turn. */
#pragma once
#include <stddef.h>

typedef struct dg_ctx dg_ctx;

/* fn runs once on each of nt threads with tid = 0..nt-1; tid 0 is the caller. */
typedef void (*dg_par_fn)(void *arg, int tid, int nt);

/* threads <= 0: the number of online CPUs. */
dg_ctx *dg_ctx_new(int threads);
void dg_ctx_free(dg_ctx *ctx);
int dg_ctx_threads(const dg_ctx *ctx);

/* Run fn on min(nt, threads) threads (nt <= 0: all) and wait for all of them. */
void dg_ctx_run(dg_ctx *ctx, int nt, dg_par_fn fn, void *arg);

/* Per-thread scratch: slot 0..DG_SCRATCH_SLOTS-1 of thread tid, at least n
 * floats, 64-byte aligned, contents undefined.  Valid until the next call
 * with the same (tid, slot) or dg_ctx_free. */
#define DG_SCRATCH_SLOTS 6
float *dg_ctx_scratch(dg_ctx *ctx, int tid, int slot, size_t n);
/* Bytes of scratch currently held (for memory reports). */
size_t dg_ctx_scratch_bytes(const dg_ctx *ctx);

/* Sums across processes, for data-parallel training (engine/dist sets it
 * around a training step): fn adds x[0..n) over all the processes of the
 * run, in place, with the same result in each.  While it is set, batch-norm
 * layers in training mode normalize with the statistics of the whole batch,
 * of which this process holds a part (dg-norm.c).  NULL, the
 * default: this process holds the whole batch. */
typedef void (*dg_ctx_sum_fn)(double *x, long n, void *user);
void dg_ctx_set_sum(dg_ctx *ctx, dg_ctx_sum_fn fn, void *user);
dg_ctx_sum_fn dg_ctx_get_sum(const dg_ctx *ctx, void **user);

/* Split [0, n) into nt near-equal contiguous parts; part tid is [*lo, *hi). */
static inline void dg_part(long n, int tid, int nt, long *lo, long *hi)
{
    long q = n / nt, r = n % nt;
    *lo = tid * q + (tid < r ? tid : r);
    *hi = *lo + q + (tid < r ? 1 : 0);
}

/* Aligned allocation helpers (64 bytes); dg_alloc aborts on failure with a message. */
void *dg_alloc(size_t bytes);
void *dg_alloc0(size_t bytes);
void dg_free(void *p);

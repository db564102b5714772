#include "dg-ctx.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dg-gemm.h"

typedef struct {
    float *p;
    size_t cap;
} scratch_buf;

typedef struct {
    dg_ctx *ctx;
    int tid;
    pthread_t thread;
} worker;

struct dg_ctx {
    int threads;
    worker *workers;          /* threads - 1 of them; tid 0 is the caller */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long generation; /* bumped for each dg_ctx_run */
    int active;               /* threads taking part in the current run */
    int pending;              /* workers still running the current job */
    int quit;
    dg_par_fn fn;
    void *arg;
    scratch_buf *scratch;     /* threads * DG_SCRATCH_SLOTS */
    dg_ctx_sum_fn sum;        /* cross-process sums (data-parallel training), or NULL */
    void *sum_user;
};

/* Every block starts with a 64-byte header (so the data stays 64-byte
 * aligned) that says how to give it back.  Large zeroed blocks come straight
 * from mmap: the kernel's zero pages, committed only where written, so a
 * buffer that is never used (say, the optimizer moments of a GAN pair that
 * does not train in this run) costs no memory. */
#define HDR 64
#define HDR_MAGIC 0x64674d4bu
#define MAP_MIN (1UL << 20)

typedef struct {
    size_t size;    /* mapped: the mapping's length */
    uint32_t magic;
    uint32_t mapped;
} blk_hdr;

void *dg_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0) /* a valid, readable block all the same */
        bytes = 64;
    size_t total = HDR + ((bytes + 63) & ~(size_t)63);
    if (posix_memalign(&p, 64, total) != 0 || !p) {
        fprintf(stderr, "dermagan: out of memory allocating %zu bytes\n", bytes);
        abort();
    }
    *(blk_hdr *)p = (blk_hdr){total, HDR_MAGIC, 0};
    return (char *)p + HDR;
}

void *dg_alloc0(size_t bytes)
{
    if (bytes < MAP_MIN) {
        void *p = dg_alloc(bytes);
        memset(p, 0, bytes);
        return p;
    }
    size_t total = HDR + bytes;
    void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "dermagan: out of memory allocating %zu bytes\n", bytes);
        abort();
    }
    *(blk_hdr *)p = (blk_hdr){total, HDR_MAGIC, 1};
    return (char *)p + HDR;
}

void dg_free(void *ptr)
{
    if (!ptr)
        return;
    blk_hdr *h = (blk_hdr *)((char *)ptr - HDR);
    if (h->magic != HDR_MAGIC) {
        fprintf(stderr, "dermagan: dg_free of a block dg_alloc did not make\n");
        abort();
    }
    h->magic = 0;
    if (h->mapped)
        munmap(h, h->size);
    else
        free(h);
}

static void *worker_main(void *data)
{
    worker *w = data;
    dg_ctx *ctx = w->ctx;
    unsigned long seen = 0;
    pthread_mutex_lock(&ctx->mu);
    for (;;) {
        while (!ctx->quit && ctx->generation == seen)
            pthread_cond_wait(&ctx->go, &ctx->mu);
        if (ctx->quit)
            break;
        seen = ctx->generation;
        if (w->tid >= ctx->active)
            continue;
        dg_par_fn fn = ctx->fn;
        void *arg = ctx->arg;
        int nt = ctx->active;
        pthread_mutex_unlock(&ctx->mu);
        fn(arg, w->tid, nt);
        pthread_mutex_lock(&ctx->mu);
        if (--ctx->pending == 0)
            pthread_cond_signal(&ctx->done);
    }
    pthread_mutex_unlock(&ctx->mu);
    return NULL;
}

dg_ctx *dg_ctx_new(int threads)
{
    dg_blas_init();
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    if (threads > 256)
        threads = 256;
    dg_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        abort();
    ctx->threads = threads;
    pthread_mutex_init(&ctx->mu, NULL);
    pthread_cond_init(&ctx->go, NULL);
    pthread_cond_init(&ctx->done, NULL);
    ctx->scratch = calloc((size_t)threads * DG_SCRATCH_SLOTS, sizeof(scratch_buf));
    ctx->workers = calloc((size_t)threads, sizeof(worker));
    if (!ctx->scratch || !ctx->workers)
        abort();
    for (int t = 1; t < threads; t++) {
        ctx->workers[t].ctx = ctx;
        ctx->workers[t].tid = t;
        if (pthread_create(&ctx->workers[t].thread, NULL, worker_main, &ctx->workers[t]) != 0) {
            fprintf(stderr, "dermagan: cannot start worker thread %d\n", t);
            abort();
        }
    }
    return ctx;
}

void dg_ctx_free(dg_ctx *ctx)
{
    if (!ctx)
        return;
    pthread_mutex_lock(&ctx->mu);
    ctx->quit = 1;
    pthread_cond_broadcast(&ctx->go);
    pthread_mutex_unlock(&ctx->mu);
    for (int t = 1; t < ctx->threads; t++)
        pthread_join(ctx->workers[t].thread, NULL);
    for (int i = 0; i < ctx->threads * DG_SCRATCH_SLOTS; i++)
        dg_free(ctx->scratch[i].p);
    free(ctx->scratch);
    free(ctx->workers);
    pthread_mutex_destroy(&ctx->mu);
    pthread_cond_destroy(&ctx->go);
    pthread_cond_destroy(&ctx->done);
    free(ctx);
}

int dg_ctx_threads(const dg_ctx *ctx)
{
    return ctx->threads;
}

void dg_ctx_run(dg_ctx *ctx, int nt, dg_par_fn fn, void *arg)
{
    if (nt <= 0 || nt > ctx->threads)
        nt = ctx->threads;
    if (nt == 1) {
        fn(arg, 0, 1);
        return;
    }
    pthread_mutex_lock(&ctx->mu);
    ctx->fn = fn;
    ctx->arg = arg;
    ctx->active = nt;
    ctx->pending = nt - 1;
    ctx->generation++;
    pthread_cond_broadcast(&ctx->go);
    pthread_mutex_unlock(&ctx->mu);

    fn(arg, 0, nt);

    pthread_mutex_lock(&ctx->mu);
    while (ctx->pending > 0)
        pthread_cond_wait(&ctx->done, &ctx->mu);
    pthread_mutex_unlock(&ctx->mu);
}

float *dg_ctx_scratch(dg_ctx *ctx, int tid, int slot, size_t n)
{
    scratch_buf *s = &ctx->scratch[tid * DG_SCRATCH_SLOTS + slot];
    if (s->cap < n) {
        dg_free(s->p);
        size_t cap = n + n / 4 + 1024;
        s->p = dg_alloc(cap * sizeof(float));
        s->cap = cap;
    }
    return s->p;
}

size_t dg_ctx_scratch_bytes(const dg_ctx *ctx)
{
    size_t b = 0;
    for (int i = 0; i < ctx->threads * DG_SCRATCH_SLOTS; i++)
        b += ctx->scratch[i].cap * sizeof(float);
    return b;
}

void dg_ctx_set_sum(dg_ctx *ctx, dg_ctx_sum_fn fn, void *user)
{
    ctx->sum = fn;
    ctx->sum_user = user;
}

dg_ctx_sum_fn dg_ctx_get_sum(const dg_ctx *ctx, void **user)
{
    if (user)
        *user = ctx->sum_user;
    return ctx->sum;
}

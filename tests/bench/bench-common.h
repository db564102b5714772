/* bench-common.h: small helpers shared by the benchmarks (header-only). */
#pragma once
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <time.h>

#include "numerics/dg-ctx.h"
#include "numerics/dg-gemm.h"

static inline double bench_now(void)
{
    return g_get_monotonic_time() / 1e6;
}

/* CPU seconds of the whole process (all threads): on a shared machine, work
 * done is steadier than wall time. */
static inline double bench_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline double bench_max_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* Thread count: DG_THREADS, else all online CPUs. */
static inline int bench_threads(void)
{
    const char *s = g_getenv("DG_THREADS");
    return s ? atoi(s) : 0;
}

static inline int bench_int_env(const char *name, int def)
{
    const char *s = g_getenv(name);
    return s ? atoi(s) : def;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline double bench_median(double *v, int n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* sgemm GFLOP/s in this process with this context's threads (square 1024,
 * best of 12, split over the threads the way the engine calls it): the
 * reference for "fraction of the sgemm peak" in the same run. */
static inline double bench_sgemm_gflops(dg_ctx *ctx)
{
    const int S = 1024;
    float *A = dg_alloc(sizeof(float) * S * S), *B = dg_alloc(sizeof(float) * S * S),
          *C = dg_alloc(sizeof(float) * S * S);
    for (long i = 0; i < (long)S * S; i++)
        A[i] = B[i] = (float)((i % 17) - 8) / 8.0f;
    double best = 1e9;
    for (int r = 0; r < 12; r++) {
        double t0 = bench_now();
        dg_gemm_par(ctx, false, false, S, S, S, 1.0f, A, S, B, S, 0.0f, C, S);
        double t = bench_now() - t0;
        best = t < best ? t : best;
    }
    dg_free(A), dg_free(B), dg_free(C);
    return 2.0 * S * S * S / best / 1e9;
}

/* Options every training bench takes; defaults from the environment
 * (DG_THREADS, DG_BATCH, DG_ITERS, DG_WARMUP, DG_PROFILE) so that
 * `meson test --benchmark` can set them. */
typedef struct {
    int threads, batch, iters, warmup;
    gboolean profile;
} bench_opts;

static inline void bench_parse(int *argc, char ***argv, const char *summary, GOptionEntry *extra,
                               bench_opts *o)
{
    o->threads = bench_threads();
    o->batch = bench_int_env("DG_BATCH", 0);
    o->iters = bench_int_env("DG_ITERS", 8);
    o->warmup = bench_int_env("DG_WARMUP", 2);
    o->profile = g_getenv("DG_PROFILE") != NULL;
    GOptionEntry common[] = {
        {"threads", 't', 0, G_OPTION_ARG_INT, &o->threads, "threads (0: all CPUs)", "N"},
        {"batch", 'b', 0, G_OPTION_ARG_INT, &o->batch, "batch size (0: the model's)", "N"},
        {"iters", 'n', 0, G_OPTION_ARG_INT, &o->iters, "timed steps", "N"},
        {"warmup", 'w', 0, G_OPTION_ARG_INT, &o->warmup, "untimed steps first", "N"},
        {"profile", 'p', 0, G_OPTION_ARG_NONE, &o->profile,
         "per-layer table on stderr (forward, backward-data, backward-weight)", NULL},
        {NULL}};
    GOptionContext *oc = g_option_context_new(NULL);
    g_option_context_set_summary(oc, summary);
    g_option_context_add_main_entries(oc, common, NULL);
    if (extra)
        g_option_context_add_main_entries(oc, extra, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(oc, argc, argv, &error)) {
        fprintf(stderr, "%s\n", error->message);
        exit(2);
    }
    g_option_context_free(oc);
    if (o->iters < 1 || o->iters > 1000 || o->warmup < 0 || o->batch < 0) {
        fprintf(stderr, "bench: iters 1..1000, warmup and batch not negative\n");
        exit(2);
    }
}

/* CPU seconds of each of this process's threads, for the balance of work
 * between them (a thread that ran alone while the others waited shows more):
 * written to out as "thread CPU s: a b ...". */
static inline void bench_print_thread_cpu(FILE *out)
{
    GDir *d = g_dir_open("/proc/self/task", 0, NULL);
    if (!d)
        return;
    fprintf(out, "thread CPU s:");
    const char *name;
    long tick = sysconf(_SC_CLK_TCK);
    while ((name = g_dir_read_name(d))) {
        char *path = g_strdup_printf("/proc/self/task/%s/stat", name), *txt = NULL;
        if (g_file_get_contents(path, &txt, NULL, NULL)) {
            const char *p = strrchr(txt, ')');
            unsigned long ut = 0, st = 0;
            /* fields after the command: state ppid ... utime (14) stime (15) */
            if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
                            &st) == 2)
                fprintf(out, " %.2f", (double)(ut + st) / tick);
        }
        g_free(txt);
        g_free(path);
    }
    fprintf(out, "\n");
    g_dir_close(d);
}

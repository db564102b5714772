/* bench-common.h: small helpers shared by the benchmarks (header-only). */
#pragma once
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "numerics/dg-ctx.h"

static inline double bench_now(void)
{
    return g_get_monotonic_time() / 1e6;
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

/* bench-mpi: the sums of data-parallel training (dist/dg-dist.h), timed.
 * Run it under mpirun (tests/bench/mpi-scaling.sh does):
 *
 *     mpirun -np 2 build/tests/bench/bench-mpi [FLOATS...]
 *
 * For each buffer size (default: from 1 K floats to the default GAN's and
 * the classifier's gradient arenas), the median time of our rank-ordered sum
 * (MPI_Ialltoallv + MPI_Iallgatherv) and of MPI_Allreduce, with the "bus
 * bandwidth" 2 (N - 1) / N * bytes / time (what a ring all-reduce moves per
 * rank); and the latency of a small sum (a batch-norm layer's statistics).
 * Rank 0 prints one JSON line per measurement.
 *
 *     bench-mpi --make-data DIR
 *
 * writes the generated image set the job tests use (4 classes of 16 images,
 * 32x32) into DIR/data, for mpi-scaling.sh's trainings. */
#include <stdio.h>
#include <stdlib.h>

#include "../jobs/jobs-test-util.h"
#include "bench-common.h"
#include "dist/dg-dist.h"

static double median(double *t, int n)
{
    qsort(t, n, sizeof *t, cmp_double);
    return t[n / 2];
}

/* Median seconds of reps sums of n floats (or doubles), all ranks lined up
 * before each. */
static double time_sum(dg_dist *d, int how, long n, int reps)
{
    float *x = g_new(float, MAX(n, 1));
    double *y = g_new(double, MAX(n, 1));
    double *t = g_new(double, reps);
    for (long i = 0; i < n; i++)
        x[i] = y[i] = (float)(i % 97) * 0.01f;
    for (int r = -3; r < reps; r++) {
        dg_dist_any(d, FALSE); /* line up */
        double t0 = bench_now();
        if (how == 0)
            dg_dist_sum_float(d, x, n);
        else if (how == 1)
            dg_dist_sum_float_mpi(d, x, n);
        else
            dg_dist_sum_double(d, y, n);
        if (r >= 0)
            t[r] = bench_now() - t0;
        for (long i = 0; i < n; i++)
            x[i] = y[i] = (float)(i % 97) * 0.01f;
    }
    double m = median(t, reps);
    g_free(x), g_free(y), g_free(t);
    return m;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--make-data") == 0) {
        g_mkdir_with_parents(argv[2], 0755);
        char *root = jt_make_imagefolder(argv[2], 4, 16, 32);
        printf("%s\n", root);
        g_free(root);
        return 0;
    }
    GError *error = NULL;
    if (!dg_dist_init(&argc, &argv, &error)) {
        fprintf(stderr, "bench-mpi: %s\n", error->message);
        return 1;
    }
    dg_dist *d = dg_dist_world();
    if (!d) {
        printf("{\"bench\": \"mpi\", \"skipped\": \"run under mpirun -np N with N >= 2\"}\n");
        dg_dist_finalize();
        return 0;
    }
    const int N = dg_dist_size(d);
    /* 1 K .. 4 M floats, and the gradient arenas: default GAN (G + D, see the
     * job's message), dermanet classifier (1.77 M) */
    long sizes[32] = {1024, 16384, 131072, 1048576, 4194304, 0};
    int ns = 5;
    if (argc > 1) {
        ns = 0;
        for (int i = 1; i < argc && ns < 32; i++)
            sizes[ns++] = atol(argv[i]);
    }
    for (int i = 0; i < ns; i++) {
        long n = sizes[i];
        int reps = (int)CLAMP(4e8 / (4.0 * n + 4e4), 7, 301);
        double ours = time_sum(d, 0, n, reps), mpi = time_sum(d, 1, n, reps);
        double bus = 2.0 * (N - 1) / N * 4.0 * n;
        if (dg_dist_is_root(d))
            printf("{\"bench\": \"mpi-sum\", \"ranks\": %d, \"floats\": %ld, \"ordered_ms\": %.4f, "
                   "\"mpi_allreduce_ms\": %.4f, \"ordered_bus_GBps\": %.3f, "
                   "\"mpi_allreduce_bus_GBps\": %.3f}\n",
                   N, n, 1e3 * ours, 1e3 * mpi, bus / ours / 1e9, bus / mpi / 1e9);
        fflush(stdout);
    }
    /* a batch-norm layer's sums: 2 C + 1 doubles for C = 48 */
    double small = time_sum(d, 2, 97, 1001);
    if (dg_dist_is_root(d))
        printf("{\"bench\": \"mpi-small-sum\", \"ranks\": %d, \"doubles\": 97, \"us\": %.1f}\n", N,
               1e6 * small);
    dg_dist_finalize();
    return 0;
}

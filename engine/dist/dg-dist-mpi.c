/* dg-dist-mpi.c: dg-dist.h on MPI (Open MPI from Debian: libopenmpi-dev).
 *
 * Every collective is started non-blocking and waited for by wait_for():
 * a short spin on MPI_Test, then sleeps that grow to a millisecond, so that
 * a rank waiting for a slower one leaves the cores to the ranks (and other
 * work) that need them, and gives up with a message past its deadline. */
#include <gio/gio.h>
#include <limits.h>
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dist/dg-dist.h"

#define DEFAULT_TIMEOUT 300.0 /* seconds; $DERMAGAN_MPI_TIMEOUT */
#define SPINS 200             /* MPI_Test calls before the first yield */
#define YIELD_SECONDS 0.005   /* then yielding the core, before sleeping */

struct dg_dist {
    MPI_Comm comm;
    int rank, size, local_size;
    double timeout;
    float *fbuf;
    size_t fcap;
    double *dbuf;
    size_t dcap;
    int *counts, *displs, *rcounts, *rdispls; /* one per rank */
    dg_dist_stats stats;
};

static gboolean initialized;
static dg_dist *world;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Started by an MPI launcher: Open MPI's mpirun, PMIx (srun --mpi=pmix) or
 * PMI (srun --mpi=pmi2, MPICH's hydra). */
static gboolean launched(void)
{
    return g_getenv("OMPI_COMM_WORLD_SIZE") || g_getenv("PMIX_RANK") || g_getenv("PMI_RANK") ||
           g_getenv("PMI_SIZE");
}

gboolean dg_dist_available(void)
{
    return TRUE;
}

gboolean dg_dist_init(int *argc, char ***argv, GError **error)
{
    if (initialized || !launched())
        return TRUE;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
        g_set_error(error, DG_DIST_ERROR, DG_DIST_ERROR_UNSUPPORTED, "MPI could not start");
        return FALSE;
    }
    initialized = TRUE;
    if (provided < MPI_THREAD_SERIALIZED) {
        g_set_error(error, DG_DIST_ERROR, DG_DIST_ERROR_UNSUPPORTED,
                    "the MPI library does not support calls from the job's thread "
                    "(MPI_THREAD_SERIALIZED)");
        return FALSE;
    }
    MPI_Comm comm;
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    /* errors come back as return codes (check() reports them), not as an
     * abort without a word */
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    int size = 1;
    MPI_Comm_size(comm, &size);
    if (size < 2) {
        MPI_Comm_free(&comm);
        return TRUE;
    }
    dg_dist *d = g_new0(dg_dist, 1);
    d->comm = comm;
    d->size = size;
    MPI_Comm_rank(comm, &d->rank);
    MPI_Comm local;
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &d->local_size);
    MPI_Comm_free(&local);
    const char *t = g_getenv("DERMAGAN_MPI_TIMEOUT");
    d->timeout = t && g_ascii_strtod(t, NULL) > 0 ? g_ascii_strtod(t, NULL) : DEFAULT_TIMEOUT;
    d->counts = g_new0(int, size);
    d->displs = g_new0(int, size);
    d->rcounts = g_new0(int, size);
    d->rdispls = g_new0(int, size);
    world = d;
    return TRUE;
}

void dg_dist_finalize(void)
{
    if (!initialized)
        return;
    if (world) {
        MPI_Comm_free(&world->comm);
        g_free(world->fbuf);
        g_free(world->dbuf);
        g_free(world->counts), g_free(world->displs), g_free(world->rcounts), g_free(world->rdispls);
        g_free(world);
        world = NULL;
    }
    MPI_Finalize();
    initialized = FALSE;
}

dg_dist *dg_dist_world(void)
{
    return world;
}

int dg_dist_rank(const dg_dist *d)
{
    return d ? d->rank : 0;
}

int dg_dist_size(const dg_dist *d)
{
    return d ? d->size : 1;
}

int dg_dist_local_size(const dg_dist *d)
{
    return d ? MAX(1, d->local_size) : 1;
}

/* ---- waiting ----------------------------------------------------------------------- */

G_GNUC_NORETURN static void give_up(dg_dist *d, const char *msg)
{
    fprintf(stderr, "dermagan-cli: rank %d of %d: %s; stopping the run\n", d->rank, d->size, msg);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    _exit(1);
}

static void check(dg_dist *d, int rc, const char *what)
{
    if (rc == MPI_SUCCESS)
        return;
    char err[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, err, &len);
    char *msg = g_strdup_printf("MPI failed while %s: %s", what, err);
    give_up(d, msg);
}

/* timeout <= 0: no deadline.  Waits spin on MPI_Test, then yield the core
 * (sched_yield: what Open MPI does when oversubscribed) for a few
 * milliseconds, which keeps the multi-round protocols of large messages
 * fast, then sleep, so that ranks waiting long for a slower one (rank 0
 * writing a checkpoint) leave the cores to the work that needs them. */
static void wait_for(dg_dist *d, MPI_Request *req, const char *what, double timeout)
{
    int done = 0;
    for (int i = 0; i < SPINS && !done; i++)
        check(d, MPI_Test(req, &done, MPI_STATUS_IGNORE), what);
    const double t0 = now();
    long ns = 20000;
    while (!done) {
        if (now() - t0 < YIELD_SECONDS) {
            sched_yield();
        } else {
            struct timespec ts = {0, ns};
            nanosleep(&ts, NULL);
            if (ns < 1000000)
                ns += ns / 2;
        }
        check(d, MPI_Test(req, &done, MPI_STATUS_IGNORE), what);
        if (!done && timeout > 0 && now() - t0 > timeout) {
            char *msg = g_strdup_printf(
                "no answer from the other ranks for %.0f s while %s: a rank has died or hangs "
                "(DERMAGAN_MPI_TIMEOUT sets this limit in seconds)",
                now() - t0, what);
            give_up(d, msg);
        }
    }
}

static float *fscratch(dg_dist *d, size_t n)
{
    if (n > d->fcap) {
        g_free(d->fbuf);
        d->fbuf = g_new(float, n);
        d->fcap = n;
    }
    return d->fbuf;
}

static double *dscratch(dg_dist *d, size_t n)
{
    if (n > d->dcap) {
        g_free(d->dbuf);
        d->dbuf = g_new(double, n);
        d->dcap = n;
    }
    return d->dbuf;
}

static void account(dg_dist *d, double seconds, long n, size_t elem)
{
    if (n >= DG_DIST_SMALL) {
        d->stats.large_seconds += seconds;
        d->stats.large_calls++;
        d->stats.large_bytes += (double)n * elem;
    } else {
        d->stats.small_seconds += seconds;
        d->stats.small_calls++;
    }
}

/* ---- sums ---------------------------------------------------------------------------- */

/* dst = parts[0] + parts[1] + ... + parts[N-1], left to right (n each). */
static void ordered_sum_f(float *dst, const float *parts, long n, int N)
{
    memcpy(dst, parts, sizeof(float) * n);
    for (int r = 1; r < N; r++) {
        const float *p = parts + (size_t)r * n;
        for (long i = 0; i < n; i++)
            dst[i] += p[i];
    }
}

void dg_dist_sum_float(dg_dist *d, float *x, long n)
{
    if (!d || n <= 0)
        return;
    g_assert(n <= INT_MAX);
    const double t0 = now();
    const int N = d->size;
    MPI_Request req;
    if (n < DG_DIST_SMALL) {
        /* small: every rank gets every buffer and adds them in rank order */
        float *all = fscratch(d, (size_t)N * n);
        check(d, MPI_Iallgather(x, (int)n, MPI_FLOAT, all, (int)n, MPI_FLOAT, d->comm, &req),
              "summing statistics");
        wait_for(d, &req, "summing statistics", d->timeout);
        ordered_sum_f(x, all, n, N);
    } else {
        /* reduce-scatter (rank j sums slice j of every rank's buffer), then allgather */
        for (int j = 0; j < N; j++) {
            long lo, hi;
            dg_part(n, j, N, &lo, &hi);
            d->counts[j] = (int)(hi - lo);
            d->displs[j] = (int)lo;
        }
        const int mine = d->counts[d->rank];
        for (int j = 0; j < N; j++) {
            d->rcounts[j] = mine;
            d->rdispls[j] = j * mine;
        }
        float *parts = fscratch(d, (size_t)N * MAX(mine, 1));
        check(d, MPI_Ialltoallv(x, d->counts, d->displs, MPI_FLOAT, parts, d->rcounts, d->rdispls,
                                MPI_FLOAT, d->comm, &req),
              "summing gradients");
        wait_for(d, &req, "summing gradients", d->timeout);
        ordered_sum_f(x + d->displs[d->rank], parts, mine, N);
        check(d, MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, x, d->counts, d->displs,
                                 MPI_FLOAT, d->comm, &req),
              "summing gradients");
        wait_for(d, &req, "summing gradients", d->timeout);
    }
    account(d, now() - t0, n, sizeof(float));
}

void dg_dist_sum_double(dg_dist *d, double *x, long n)
{
    if (!d || n <= 0)
        return;
    g_assert((size_t)n * d->size <= INT_MAX);
    const double t0 = now();
    const int N = d->size;
    double *all = dscratch(d, (size_t)N * n);
    MPI_Request req;
    check(d, MPI_Iallgather(x, (int)n, MPI_DOUBLE, all, (int)n, MPI_DOUBLE, d->comm, &req),
          "summing batch statistics");
    wait_for(d, &req, "summing batch statistics", d->timeout);
    memcpy(x, all, sizeof(double) * n);
    for (int r = 1; r < N; r++)
        for (long i = 0; i < n; i++)
            x[i] += all[(size_t)r * n + i];
    account(d, now() - t0, n < DG_DIST_SMALL ? n : DG_DIST_SMALL - 1, sizeof(double));
}

void dg_dist_sum_float_mpi(dg_dist *d, float *x, long n)
{
    if (!d || n <= 0)
        return;
    g_assert(n <= INT_MAX);
    const double t0 = now();
    MPI_Request req;
    check(d, MPI_Iallreduce(MPI_IN_PLACE, x, (int)n, MPI_FLOAT, MPI_SUM, d->comm, &req),
          "summing (MPI_Allreduce)");
    wait_for(d, &req, "summing (MPI_Allreduce)", d->timeout);
    account(d, now() - t0, n, sizeof(float));
}

/* ---- the rest ------------------------------------------------------------------------ */

void dg_dist_broadcast(dg_dist *d, void *buf, size_t bytes)
{
    if (!d)
        return;
    for (size_t off = 0; off < bytes;) {
        int chunk = (int)MIN(bytes - off, (size_t)1 << 30);
        MPI_Request req;
        check(d, MPI_Ibcast((char *)buf + off, chunk, MPI_BYTE, 0, d->comm, &req), "broadcasting");
        wait_for(d, &req, "receiving from rank 0", d->timeout);
        off += (size_t)chunk;
    }
}

static int *all_ints(dg_dist *d, int v, const char *what, double timeout)
{
    int *all = g_new(int, d->size);
    MPI_Request req;
    check(d, MPI_Iallgather(&v, 1, MPI_INT, all, 1, MPI_INT, d->comm, &req), what);
    wait_for(d, &req, what, timeout);
    return all;
}

gboolean dg_dist_any(dg_dist *d, gboolean flag)
{
    if (!d)
        return flag;
    int *all = all_ints(d, flag ? 1 : 0, "agreeing on whether to stop", d->timeout);
    gboolean any = FALSE;
    for (int r = 0; r < d->size; r++)
        any |= all[r] != 0;
    g_free(all);
    return any;
}

static char **gather_strings(dg_dist *d, const char *s, double timeout)
{
    const int N = d->size;
    int len = (int)strlen(s ? s : ""), *lens = d->rank == 0 ? g_new0(int, N) : NULL;
    MPI_Request req;
    check(d, MPI_Igather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, d->comm, &req), "gathering results");
    wait_for(d, &req, "gathering results", timeout);
    int *displs = NULL, total = 0;
    char *all = NULL;
    if (d->rank == 0) {
        displs = g_new0(int, N);
        for (int r = 0; r < N; r++) {
            displs[r] = total;
            total += lens[r];
        }
        all = g_malloc(total + 1);
    }
    check(d, MPI_Igatherv(s ? s : "", len, MPI_CHAR, all, lens, displs, MPI_CHAR, 0, d->comm, &req),
          "gathering results");
    wait_for(d, &req, "gathering results", timeout);
    char **v = NULL;
    if (d->rank == 0) {
        v = g_new0(char *, N + 1);
        for (int r = 0; r < N; r++)
            v[r] = g_strndup(all + displs[r], lens[r]);
    }
    g_free(lens), g_free(displs), g_free(all);
    return v;
}

char **dg_dist_gather_strings(dg_dist *d, const char *s)
{
    if (!d) {
        char **v = g_new0(char *, 2);
        v[0] = g_strdup(s ? s : "");
        return v;
    }
    return gather_strings(d, s, 0.0);
}

static gboolean agree(dg_dist *d, gboolean ok, GError **error, double timeout)
{
    /* 2: fine; 1: cancelled; 0: failed */
    const gboolean cancelled = !ok && error && *error &&
                               g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    int *all = all_ints(d, ok ? 2 : cancelled ? 1 : 0, "agreeing on the outcome of a phase", timeout);
    int bad = -1, failed = -1;
    for (int r = 0; r < d->size; r++) {
        if (all[r] != 2 && bad < 0)
            bad = r;
        if (all[r] == 0 && failed < 0)
            failed = r;
    }
    g_free(all);
    if (bad < 0)
        return TRUE;
    /* the ranks' messages, for rank 0 to report */
    const char *msg = !ok && error && *error ? (*error)->message : "";
    char **msgs = gather_strings(d, msg, d->timeout);
    if (ok) {
        if (failed < 0) /* only cancels: this rank stops as cancelled too */
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled on rank %d", bad);
        else if (msgs && *msgs[failed])
            g_set_error(error, DG_DIST_ERROR, DG_DIST_ERROR_PEER, "rank %d: %s", failed,
                        msgs[failed]);
        else
            g_set_error(error, DG_DIST_ERROR, DG_DIST_ERROR_PEER, "rank %d failed", failed);
    }
    g_strfreev(msgs);
    return FALSE;
}

gboolean dg_dist_agree(dg_dist *d, gboolean ok, GError **error)
{
    return d ? agree(d, ok, error, d->timeout) : ok;
}

gboolean dg_dist_agree_patient(dg_dist *d, gboolean ok, GError **error)
{
    return d ? agree(d, ok, error, 0.0) : ok;
}

gboolean dg_dist_check_same(dg_dist *d, uint64_t value, const char *what, GError **error)
{
    if (!d)
        return TRUE;
    uint64_t *all = g_new(uint64_t, d->size);
    MPI_Request req;
    check(d, MPI_Iallgather(&value, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, d->comm, &req),
          "comparing the ranks");
    wait_for(d, &req, "comparing the ranks", d->timeout);
    int differs = -1;
    for (int r = 1; r < d->size && differs < 0; r++)
        if (all[r] != all[0])
            differs = r;
    g_free(all);
    if (differs < 0)
        return TRUE;
    g_set_error(error, DG_DIST_ERROR, DG_DIST_ERROR_MISMATCH,
                "rank %d's %s differ from rank 0's: every rank must see the same files (the same "
                "paths on every machine)",
                differs, what);
    return FALSE;
}

static void ctx_sum(double *x, long n, void *user)
{
    dg_dist_sum_double(user, x, n);
}

void dg_dist_attach(dg_dist *d, dg_ctx *ctx)
{
    if (d)
        dg_ctx_set_sum(ctx, ctx_sum, d);
}

void dg_dist_detach(dg_dist *d, dg_ctx *ctx)
{
    if (d)
        dg_ctx_set_sum(ctx, NULL, NULL);
}

void dg_dist_get_stats(const dg_dist *d, dg_dist_stats *stats)
{
    *stats = d ? d->stats : (dg_dist_stats){0};
}

void dg_dist_reset_stats(dg_dist *d)
{
    if (d)
        d->stats = (dg_dist_stats){0};
}

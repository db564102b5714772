/* dg-dist.h: data-parallel training over MPI (the dist layer).
 *
 * A research group that outgrows one computer trains the way Horovod and
 * PyTorch's DistributedDataParallel do: N processes ("ranks", started by
 * mpirun or srun) each hold the whole model, take their contiguous part of
 * every global batch, and add up their gradients before each optimizer
 * step, so that together they take the step one process would take on the
 * whole batch.  This module is the only code that talks to MPI.  Built
 * without MPI (meson -Dmpi=disabled), or started without an MPI launcher,
 * it is a stub for one process: dg_dist_world() is NULL, and every function
 * below takes NULL to mean "this process alone" (rank 0 of 1; sums and
 * broadcasts leave their buffers as they are).
 *
 * Sums are deterministic: the ranks' parts are added in rank order
 * (rank 0 + rank 1 + ...), each slice of a buffer by one rank (an
 * MPI_Ialltoallv that hands every rank one slice of every rank's buffer,
 * then an MPI_Iallgatherv of the summed slices), so the result is the same
 * bits on every rank and in every run with the same N.  (MPI_Allreduce
 * leaves the order to the implementation.)  The traffic is that of a ring
 * all-reduce: 2 (N - 1) / N times the buffer per rank.
 *
 * Every wait has a deadline ($DERMAGAN_MPI_TIMEOUT seconds, default 300): a
 * rank that died or hangs makes the others stop with a message saying so
 * (MPI_Abort) instead of waiting forever.  mpirun also ends the whole run
 * when a rank dies; the deadline covers launchers and failures it misses.
 *
 * Threads: MPI is initialized with MPI_THREAD_SERIALIZED; one thread at a
 * time (the job's) calls these functions. */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "numerics/dg-ctx.h"

G_BEGIN_DECLS

typedef struct dg_dist dg_dist;

/* Errors: DG_DIST_ERROR_PEER when another rank failed (rank 0 gets that
 * rank's message; the others' copies of it need not be shown);
 * DG_DIST_ERROR_MISMATCH when the ranks disagree on what they hold;
 * DG_DIST_ERROR_UNSUPPORTED for MPI asked of a build without it. */
#define DG_DIST_ERROR (dg_dist_error_quark())
GQuark dg_dist_error_quark(void);
typedef enum { DG_DIST_ERROR_PEER, DG_DIST_ERROR_MISMATCH, DG_DIST_ERROR_UNSUPPORTED } dg_dist_error;

/* Called once by main, before anything else: initializes MPI when the
 * process was started by an MPI launcher (mpirun, srun: Open MPI's, PMIx's
 * or PMI's environment variables), otherwise does nothing.  FALSE + error
 * when MPI fails, or when a launcher started several copies of a build
 * without MPI (they would all train alone and write the same folder). */
gboolean dg_dist_init(int *argc, char ***argv, GError **error);
/* Called once by main at the end (MPI_Finalize when initialized). */
void dg_dist_finalize(void);
/* TRUE when built with MPI. */
gboolean dg_dist_available(void);

/* The processes of this run; NULL when this process is alone (no MPI, no
 * launcher, or a launcher with one process). */
dg_dist *dg_dist_world(void);
int dg_dist_rank(const dg_dist *d); /* 0 for NULL */
int dg_dist_size(const dg_dist *d); /* 1 for NULL */
/* The ranks on this machine (1 for NULL): a default thread count is the
 * machine's cores divided by this. */
int dg_dist_local_size(const dg_dist *d);
/* Rank 0 (or NULL): the rank that writes files, events and messages. */
gboolean dg_dist_is_root(const dg_dist *d);

/* This rank's part of n items: [*offset, *offset + *count), contiguous, the
 * first n % N ranks one more. */
void dg_dist_part(const dg_dist *d, int n, int *offset, int *count);

/* x[0..n) summed over the ranks, in place, in rank order (see above). */
void dg_dist_sum_float(dg_dist *d, float *x, long n);
void dg_dist_sum_double(dg_dist *d, double *x, long n);
/* The same with MPI_Allreduce, whose order is the implementation's: for
 * comparison in benchmarks only. */
void dg_dist_sum_float_mpi(dg_dist *d, float *x, long n);
/* Rank 0's bytes to every rank. */
void dg_dist_broadcast(dg_dist *d, void *buf, size_t bytes);
/* TRUE if flag is TRUE on any rank. */
gboolean dg_dist_any(dg_dist *d, gboolean flag);
/* Every rank says whether its part of a phase went well: TRUE when all
 * did.  Otherwise FALSE on every rank: a rank that failed keeps its error;
 * the others get DG_DIST_ERROR_PEER, and rank 0's names the first rank that
 * failed with its message ("rank 2: ..."), so that rank 0 alone can report.
 * error may be NULL. */
gboolean dg_dist_agree(dg_dist *d, gboolean ok, GError **error);
/* The same without a deadline, after work that may end far apart on
 * different ranks (e.g. whole trainings). */
gboolean dg_dist_agree_patient(dg_dist *d, gboolean ok, GError **error);
/* value (a fingerprint of what should be the same everywhere, e.g. the
 * training images) is the same on every rank; FALSE on every rank +
 * DG_DIST_ERROR_MISMATCH naming what otherwise. */
gboolean dg_dist_check_same(dg_dist *d, uint64_t value, const char *what, GError **error);
/* Rank 0 receives every rank's string (a NULL-terminated array of
 * dg_dist_size strings, g_strfreev); the others get NULL.  Waits without a
 * deadline (the ranks may finish their work hours apart). */
char **dg_dist_gather_strings(dg_dist *d, const char *s);

/* While attached, ctx's batch-norm layers use the statistics of the whole
 * batch, summed over the ranks (dg_ctx_set_sum); attach around the training
 * steps of a data-parallel run only (every rank must take part in every
 * such layer).  Nothing happens for NULL. */
void dg_dist_attach(dg_dist *d, dg_ctx *ctx);
void dg_dist_detach(dg_dist *d, dg_ctx *ctx);

/* Time spent in sums since the last reset: those of gradient-sized buffers
 * (at least DG_DIST_SMALL floats) and of small ones (batch-norm statistics,
 * losses, flags), with the waiting for the slowest rank included. */
#define DG_DIST_SMALL 4096
typedef struct {
    double large_seconds, small_seconds;
    long large_calls, small_calls;
    double large_bytes;
} dg_dist_stats;
void dg_dist_get_stats(const dg_dist *d, dg_dist_stats *stats);
void dg_dist_reset_stats(dg_dist *d);

/* A 64-bit fingerprint (FNV-1a) of bytes, continuing from h (start with 0). */
uint64_t dg_dist_hash(uint64_t h, const void *data, size_t len);

G_END_DECLS

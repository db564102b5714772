/* dg-dist-none.c: dg-dist.h for a build without MPI: one process. */
#include <stdlib.h>

#include "dist/dg-dist.h"

gboolean dg_dist_init(int *argc, char ***argv, GError **error)
{
    (void)argc, (void)argv;
    /* Several copies started by a launcher would each train alone, all
     * writing the same run folder: refuse. */
    const char *n = g_getenv("OMPI_COMM_WORLD_SIZE");
    if (!n)
        n = g_getenv("PMI_SIZE");
    if (n && atoi(n) > 1) {
        g_set_error(error, DG_DIST_ERROR, DG_DIST_ERROR_UNSUPPORTED,
                    "started as %s processes by an MPI launcher, but this dermagan-cli was built "
                    "without MPI (install libopenmpi-dev and build with meson -Dmpi=enabled)",
                    n);
        return FALSE;
    }
    return TRUE;
}

void dg_dist_finalize(void) {}
gboolean dg_dist_available(void) { return FALSE; }
dg_dist *dg_dist_world(void) { return NULL; }
int dg_dist_rank(const dg_dist *d) { (void)d; return 0; }
int dg_dist_size(const dg_dist *d) { (void)d; return 1; }
int dg_dist_local_size(const dg_dist *d) { (void)d; return 1; }
void dg_dist_sum_float(dg_dist *d, float *x, long n) { (void)d, (void)x, (void)n; }
void dg_dist_sum_double(dg_dist *d, double *x, long n) { (void)d, (void)x, (void)n; }
void dg_dist_sum_float_mpi(dg_dist *d, float *x, long n) { (void)d, (void)x, (void)n; }
void dg_dist_broadcast(dg_dist *d, void *buf, size_t bytes) { (void)d, (void)buf, (void)bytes; }
gboolean dg_dist_any(dg_dist *d, gboolean flag) { (void)d; return flag; }
gboolean dg_dist_agree(dg_dist *d, gboolean ok, GError **error) { (void)d, (void)error; return ok; }
gboolean dg_dist_agree_patient(dg_dist *d, gboolean ok, GError **error) { (void)d, (void)error; return ok; }

gboolean dg_dist_check_same(dg_dist *d, uint64_t value, const char *what, GError **error)
{
    (void)d, (void)value, (void)what, (void)error;
    return TRUE;
}

char **dg_dist_gather_strings(dg_dist *d, const char *s)
{
    (void)d;
    char **v = g_new0(char *, 2);
    v[0] = g_strdup(s ? s : "");
    return v;
}

void dg_dist_attach(dg_dist *d, dg_ctx *ctx) { (void)d, (void)ctx; }
void dg_dist_detach(dg_dist *d, dg_ctx *ctx) { (void)d, (void)ctx; }

void dg_dist_get_stats(const dg_dist *d, dg_dist_stats *stats)
{
    (void)d;
    *stats = (dg_dist_stats){0};
}

void dg_dist_reset_stats(dg_dist *d) { (void)d; }

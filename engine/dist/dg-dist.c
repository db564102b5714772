/* dg-dist.c: the parts of dg-dist.h that do not depend on MPI. */
#include "dist/dg-dist.h"

G_DEFINE_QUARK(dg-dist-error-quark, dg_dist_error)

gboolean dg_dist_is_root(const dg_dist *d)
{
    return dg_dist_rank(d) == 0;
}

void dg_dist_part(const dg_dist *d, int n, int *offset, int *count)
{
    long lo, hi;
    dg_part(n, dg_dist_rank(d), dg_dist_size(d), &lo, &hi);
    *offset = (int)lo;
    *count = (int)(hi - lo);
}

uint64_t dg_dist_hash(uint64_t h, const void *data, size_t len)
{
    const guint8 *p = data;
    if (h == 0)
        h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

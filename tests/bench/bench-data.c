/* bench-data: loading the 3,053 four-class HAM10000 images, cold (empty
 * cache dir, and the files dropped from the page cache as far as the kernel
 * allows) and then warm (from the cache).  Targets on the 2-core development
 * machine: cold < 10 s, warm < 1 s.  Prints one JSON line at the end; exits
 * 77 (skipped) when the data set is absent, 1 when the warm load did not
 * come from the cache. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

#include "data/dg-dataset.h"

/* Asks the kernel to forget the cached pages of every file under dir. */
static int drop_page_cache(const char *dir)
{
    int n = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return 0;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            n += drop_page_cache(path);
        } else {
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0)
                    n++;
                close(fd);
            }
        }
        g_free(path);
    }
    g_dir_close(d);
    return n;
}

static void rm_rf(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *name;
        while ((name = g_dir_read_name(d))) {
            char *child = g_build_filename(path, name, NULL);
            rm_rf(child);
            g_free(child);
        }
        g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

int main(void)
{
    const char *root = g_getenv("DG_HAM10000");
    char *csv = root ? g_build_filename(root, "HAM10000_metadata.csv", NULL) : NULL;
    if (!csv || !g_file_test(csv, G_FILE_TEST_EXISTS)) {
        printf("bench-data: skipped, the HAM10000 data set is not there (set DG_HAM10000)\n");
        g_free(csv);
        return 77;
    }
    g_free(csv);
    GError *error = NULL;
    char *cache = g_dir_make_tmp("dg-bench-data-XXXXXX", &error);
    if (!cache) {
        fprintf(stderr, "bench-data: %s\n", error->message);
        return 1;
    }
    dg_load_options opt;
    dg_load_options_init(&opt);
    opt.cache_dir = cache;
    int dropped = drop_page_cache(root);

    gint64 t0 = g_get_monotonic_time();
    dg_dataset *cold = dg_dataset_load(root, &opt, &error);
    gint64 t1 = g_get_monotonic_time();
    if (!cold) {
        fprintf(stderr, "bench-data: %s\n", error->message);
        return 1;
    }
    dg_dataset *warm = dg_dataset_load(root, &opt, &error);
    gint64 t2 = g_get_monotonic_time();
    if (!warm) {
        fprintf(stderr, "bench-data: %s\n", error->message);
        return 1;
    }
    double cold_s = (t1 - t0) / 1e6, warm_s = (t2 - t1) / 1e6;
    gboolean same = cold->n_items == warm->n_items &&
                    memcmp(cold->pixels, warm->pixels,
                           (gsize)cold->n_items * 3 * cold->size * cold->size) == 0;
    fprintf(stderr,
            "bench-data: %d images at %dx%d on %u threads; cold %.2f s (target < 10 s, "
            "%d files dropped from the page cache first), warm %.3f s (target < 1 s)%s\n",
            cold->n_items, cold->size, cold->size, g_get_num_processors(), cold_s, dropped,
            warm_s, warm->from_cache ? "" : "; the warm load was NOT served from the cache");
    printf("{\"cold_s\": %.3f, \"warm_s\": %.3f, \"images\": %d, \"size\": %d, \"threads\": %u, "
           "\"warm_from_cache\": %s, \"identical\": %s}\n",
           cold_s, warm_s, cold->n_items, cold->size, g_get_num_processors(),
           warm->from_cache ? "true" : "false", same ? "true" : "false");
    int rc = warm->from_cache && same ? 0 : 1;
    dg_dataset_free(cold);
    dg_dataset_free(warm);
    rm_rf(cache);
    g_free(cache);
    return rc;
}

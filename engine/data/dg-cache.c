/* dg-cache.c: the on-disk cache of prepared images.
 *
 * One file per data set and preprocessing (cache_dir/datasets/<hash>.dgc,
 * the hash taken over the data set's real path, the image size, the class
 * selection and DG_PREP_VERSION).  It holds one entry per image file, keyed
 * by the path relative to the data-set root, the file size and the mtime in
 * nanoseconds; an entry holds either the prepared pixels or the reason the
 * file was skipped, so that a warm load decodes nothing.
 *
 * Layout (native byte order, which the header records):
 *   header  "DGCACHE\0", u32 0x01020304, u32 format, u32 prep version,
 *           u32 size, u32 n_entries, u32 0, u64 hash of the 32 bytes before
 *   entry   u32 rel_len, u32 reason_len, i64 file_size, i64 mtime_ns,
 *           u64 hash of (these 24 bytes, then the payload);
 *           payload: rel, reason, zero padding to 8, then the pixels
 *           (3 * size * size bytes, padded to 8) when reason_len is 0.
 * A file with a bad header is ignored as a whole; an entry that fails its
 * hash is ignored on its own (that image is decoded again); a truncated file
 * keeps the entries before the cut.  The file is replaced atomically. */
#include "dg-data-private.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#define CACHE_MAGIC "DGCACHE"
#define CACHE_FORMAT 1
#define HEADER_BYTES 40
#define ENTRY_BYTES 32

uint64_t dg_hash64(const void *data, gsize len, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t h = seed ^ ((uint64_t)len * 0x9E3779B97F4A7C15ull);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h ^= w;
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    if (len)
        memcpy(&w, p, len);
    h ^= w ^ ((uint64_t)len << 59);
    h *= 0x94D049BB133111EBull;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h;
}

static gsize pad8(gsize n)
{
    return (n + 7) & ~(gsize)7;
}

char *dg_cache_path(const char *cache_dir, const char *key)
{
    char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
    sum[32] = '\0';
    char *name = g_strconcat(sum, ".dgc", NULL);
    char *path = g_build_filename(cache_dir, "datasets", name, NULL);
    g_free(name);
    g_free(sum);
    return path;
}

struct dg_cache {
    GMappedFile *map;
    const uint8_t *data;
    gsize len;
    int size;
    GHashTable *index; /* rel (owned) -> offset of the entry + 1 */
};

typedef struct {
    uint32_t rel_len, reason_len;
    int64_t file_size, mtime_ns;
    uint64_t hash;
} entry_head;

dg_cache *dg_cache_open(const char *file, int size)
{
    GMappedFile *map = g_mapped_file_new(file, FALSE, NULL);
    if (!map)
        return NULL;
    const uint8_t *d = (const uint8_t *)g_mapped_file_get_contents(map);
    gsize n = g_mapped_file_get_length(map);
    uint32_t u[6];
    uint64_t hh;
    if (!d || n < HEADER_BYTES || memcmp(d, CACHE_MAGIC, 8) != 0) {
        g_mapped_file_unref(map);
        return NULL;
    }
    memcpy(u, d + 8, sizeof u);
    memcpy(&hh, d + 32, 8);
    if (u[0] != 0x01020304u || u[1] != CACHE_FORMAT || u[2] != DG_PREP_VERSION ||
        u[3] != (uint32_t)size || hh != dg_hash64(d, 32, 0)) {
        g_debug("cache %s: stale or broken header, ignored", file);
        g_mapped_file_unref(map);
        return NULL;
    }
    dg_cache *c = g_new0(dg_cache, 1);
    c->map = map;
    c->data = d;
    c->len = n;
    c->size = size;
    c->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gsize pix = (gsize)3 * size * size;
    gsize p = HEADER_BYTES;
    for (uint32_t i = 0; i < u[4]; i++) {
        entry_head e;
        if (n - p < ENTRY_BYTES)
            break;
        memcpy(&e, d + p, ENTRY_BYTES);
        if (e.rel_len == 0 || e.rel_len > 65536 || e.reason_len > 65536)
            break;
        gsize body = pad8((gsize)e.rel_len + e.reason_len) + (e.reason_len ? 0 : pad8(pix));
        if (n - p - ENTRY_BYTES < body)
            break; /* truncated */
        char *rel = g_strndup((const char *)d + p + ENTRY_BYTES, e.rel_len);
        if (strlen(rel) != e.rel_len) {
            g_free(rel); /* a NUL inside: broken */
        } else {
            g_hash_table_replace(c->index, rel, GSIZE_TO_POINTER(p + 1));
        }
        p += ENTRY_BYTES + body;
    }
    return c;
}

int dg_cache_n_entries(const dg_cache *c)
{
    return c ? (int)g_hash_table_size(c->index) : 0;
}

gboolean dg_cache_lookup(dg_cache *c, const char *rel, gint64 file_size, gint64 mtime_ns,
                         const uint8_t **pixels, char **reason)
{
    *pixels = NULL;
    *reason = NULL;
    if (!c)
        return FALSE;
    gsize p = GPOINTER_TO_SIZE(g_hash_table_lookup(c->index, rel));
    if (p == 0)
        return FALSE;
    p--;
    entry_head e;
    memcpy(&e, c->data + p, ENTRY_BYTES);
    if (e.file_size != file_size || e.mtime_ns != mtime_ns)
        return FALSE;
    gsize pix = (gsize)3 * c->size * c->size;
    gsize body = pad8((gsize)e.rel_len + e.reason_len) + (e.reason_len ? 0 : pad8(pix));
    uint64_t h = dg_hash64(c->data + p, 24, 0);
    h = dg_hash64(c->data + p + ENTRY_BYTES, body, h);
    if (h != e.hash) {
        g_debug("cache entry for %s is corrupt, ignored", rel);
        return FALSE;
    }
    const uint8_t *payload = c->data + p + ENTRY_BYTES;
    if (e.reason_len) {
        char *r = g_strndup((const char *)payload + e.rel_len, e.reason_len);
        if (strlen(r) != e.reason_len || !g_utf8_validate(r, -1, NULL)) {
            g_free(r);
            return FALSE;
        }
        *reason = r;
    } else {
        *pixels = payload + pad8(e.rel_len);
    }
    return TRUE;
}

void dg_cache_close(dg_cache *c)
{
    if (!c)
        return;
    g_hash_table_unref(c->index);
    g_mapped_file_unref(c->map);
    g_free(c);
}

gboolean dg_cache_write(const char *file, int size, const dg_cache_entry *entries, int n,
                        GError **error)
{
    gsize pix = (gsize)3 * size * size;
    gsize total = HEADER_BYTES;
    for (int i = 0; i < n; i++) {
        gsize rl = strlen(entries[i].rel), sl = entries[i].reason ? strlen(entries[i].reason) : 0;
        total += ENTRY_BYTES + pad8(rl + sl) + (sl ? 0 : pad8(pix));
    }
    uint8_t *buf = g_malloc0(total);
    memcpy(buf, CACHE_MAGIC, 8);
    uint32_t u[6] = {0x01020304u, CACHE_FORMAT, DG_PREP_VERSION, (uint32_t)size, (uint32_t)n, 0};
    memcpy(buf + 8, u, sizeof u);
    uint64_t hh = dg_hash64(buf, 32, 0);
    memcpy(buf + 32, &hh, 8);
    gsize p = HEADER_BYTES;
    for (int i = 0; i < n; i++) {
        const dg_cache_entry *en = &entries[i];
        gsize rl = strlen(en->rel), sl = en->reason ? strlen(en->reason) : 0;
        entry_head e = {(uint32_t)rl, (uint32_t)sl, en->file_size, en->mtime_ns, 0};
        uint8_t *payload = buf + p + ENTRY_BYTES;
        memcpy(payload, en->rel, rl);
        if (sl)
            memcpy(payload + rl, en->reason, sl);
        gsize body = pad8(rl + sl);
        if (!sl) {
            memcpy(payload + body, en->pixels, pix);
            body += pad8(pix);
        }
        memcpy(buf + p, &e, ENTRY_BYTES);
        uint64_t h = dg_hash64(buf + p, 24, 0);
        e.hash = dg_hash64(payload, body, h);
        memcpy(buf + p, &e, ENTRY_BYTES);
        p += ENTRY_BYTES + body;
    }
    g_assert(p == total);
    char *dir = g_path_get_dirname(file);
    gboolean ok = TRUE;
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot create %s: %s", dir,
                    g_strerror(e));
        ok = FALSE;
    }
    if (ok)
        ok = dg_file_write_atomic(file, buf, total, FALSE, error);
    g_free(dir);
    g_free(buf);
    return ok;
}

/* Replays a fuzz target's seed corpus as a regular test: every file in the
 * corpus folder, then deterministic mutations of each (bit flips, truncations,
 * byte insertions), so a default `meson test` exercises the parser on
 * malformed input without libFuzzer. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void mutate_and_run(const uint8_t *data, size_t size, int rounds)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull ^ size;
    LLVMFuzzerTestOneInput(data, size);
    for (size_t cut = 0; cut < size; cut += 1 + size / 64)
        LLVMFuzzerTestOneInput(data, cut); /* truncations */
    uint8_t *buf = g_malloc(size + 16);
    for (int r = 0; r < rounds; r++) {
        memcpy(buf, data, size);
        size_t n = size;
        int edits = 1 + (int)(next(&seed) % 4);
        for (int e = 0; e < edits && n > 0; e++) {
            size_t at = next(&seed) % n;
            switch (next(&seed) % 4) {
            case 0: buf[at] ^= (uint8_t)(1u << (next(&seed) % 8)); break;
            case 1: buf[at] = (uint8_t)next(&seed); break;
            case 2: buf[at] = "0123456789,\"\n{}[]:-eE."[next(&seed) % 22]; break;
            case 3:
                if (n < size + 16) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = (uint8_t)next(&seed);
                    n++;
                }
                break;
            }
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    g_free(buf);
}

int main(int argc, char **argv)
{
    int files = 0;
    for (int i = 1; i < argc; i++) {
        GDir *dir = g_dir_open(argv[i], 0, NULL);
        if (!dir) {
            gchar *data = NULL;
            gsize len = 0;
            if (g_file_get_contents(argv[i], &data, &len, NULL)) {
                mutate_and_run((const uint8_t *)data, len, 2000);
                files++;
            }
            g_free(data);
            continue;
        }
        const char *name;
        while ((name = g_dir_read_name(dir))) {
            gchar *path = g_build_filename(argv[i], name, NULL);
            gchar *data = NULL;
            gsize len = 0;
            if (g_file_get_contents(path, &data, &len, NULL)) {
                mutate_and_run((const uint8_t *)data, len, 2000);
                files++;
            }
            g_free(data);
            g_free(path);
        }
        g_dir_close(dir);
    }
    printf("replayed %d corpus files with mutations\n", files);
    return files > 0 ? 0 : 1;
}

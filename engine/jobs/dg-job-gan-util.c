/* dg-job-gan-util.c: pieces shared by the jobs that use a trained generator. */
#include <json-glib/json-glib.h>
#include <math.h>

#include "data/dg-file.h"
#include "data/dg-json.h"
#include "jobs/dg-job-gan-private.h"
#include "jobs/dg-job-util.h"
#include "models/dg-safetensors.h"

/* The generator's file: given, or the bundled default. */
char *dg_job_find_generator(const char *given, GError **error)
{
    char *p = given ? g_strdup(given) : dg_find_resource("models/generator.safetensors");
    if (!p)
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "no generator model given and no bundled default found "
                    "(resources/models/generator.safetensors)");
    return p;
}

/* A generator trained on another split has seen our test images: refuse. */
gboolean dg_job_check_generator_split(const char *gen, uint64_t split_seed, GError **error)
{
    dg_st *st = dg_st_load(gen, error);
    if (!st)
        return FALSE;
    const char *s = dg_st_metadata(st, "split_seed");
    gboolean ok = TRUE;
    if (s && g_ascii_strtoull(s, NULL, 10) != split_seed) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "the generator %s was trained on the split of seed %s, not %" G_GUINT64_FORMAT
                    ": it has seen images of this split's validation and test sets; use "
                    "--split-seed %s or a generator trained on this split",
                    gen, s, split_seed, s);
        ok = FALSE;
    }
    dg_st_free(st);
    return ok;
}

JsonNode *dg_json_read_object(const char *path)
{
    char *text = NULL;
    gsize len = 0;
    JsonNode *n = NULL;
    /* a regular file of a bounded size: a FIFO or a huge file in a run
     * folder must not block or exhaust memory */
    if (dg_file_read_regular(path, 64 << 20, &text, &len, NULL))
        n = dg_json_parse_bounded(text, (gssize)len, DG_JSON_MAX_DEPTH, NULL);
    g_free(text);
    if (n && !JSON_NODE_HOLDS_OBJECT(n))
        g_clear_pointer(&n, json_node_unref);
    return n;
}

gboolean dg_json_write(const char *path, JsonNode *n, GError **error)
{
    char *s = json_to_string(n, TRUE);
    gboolean ok = dg_write_text(path, s, error);
    g_free(s);
    return ok;
}



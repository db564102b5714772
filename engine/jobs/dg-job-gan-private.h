/* dg-job-gan-private.h: pieces shared by the jobs that use a trained generator
 * (ablation, GAN scores). */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* The generator's file: given, or the bundled default (NULL + error if none). */
char *dg_job_find_generator(const char *given, GError **error);
/* A generator trained on another split has seen this split's test images:
 * FALSE + error then. */
gboolean dg_job_check_generator_split(const char *gen, uint64_t split_seed, GError **error);

/* A JSON file's root object (checked by dg_json_parse_bounded), or NULL. */
JsonNode *dg_json_read_object(const char *path);
/* A JSON node written to a file (pretty, atomically). */
gboolean dg_json_write(const char *path, JsonNode *n, GError **error);

G_END_DECLS

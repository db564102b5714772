/* dg-safetensors-private.h: what the reader (dg-safetensors.c), the header
 * check (dg-safetensors-header.c) and the writer (dg-safetensors-writer.c)
 * share; not a public API. */
#pragma once
#include <json-glib/json-glib.h>

#include "dg-safetensors.h"

G_BEGIN_DECLS

/* --- dg-safetensors.c --- */
/* numel and byte size of a shape, FALSE on overflow (or a negative dim). */
gboolean dg_st_shape_size(int ndim, const int64_t *shape, size_t elem, int64_t *numel,
                          size_t *nbytes);
/* qsort comparison of char* elements, bytewise. */
int dg_st_cmp_str_ptr(const void *a, const void *b);

/* --- dg-safetensors-header.c --- */
/* Checks the header text strictly and parses it with json-glib; returns
 * the root object (owned by *parser_out), or NULL + DG_ST_ERROR_HEADER. */
JsonObject *dg_st_parse_header(const char *text, size_t n, JsonParser **parser_out,
                               GError **error);

G_END_DECLS

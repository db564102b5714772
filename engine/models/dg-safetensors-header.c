/* dg-safetensors-header.c: a safetensors header, checked strictly and
 * parsed (see dg-safetensors.h).
 *
 * json-glib is lenient (comments, single quotes, 0x10, .5, raw control
 * characters, integers that silently wrap, "\u0000" truncating a key) and
 * keeps the last of duplicate keys.  Before json-glib sees the header, the
 * strict pass of dg-json.c (shared with every other JSON text read from
 * outside) checks it against RFC 8259, bounds the nesting depth, rejects
 * integers outside int64, lone surrogates and \u0000, detects duplicate keys
 * in every object (decoded, so "\u0061" and "a" collide) and records each
 * object's member count in document order.  Afterwards the json-glib tree is
 * checked against those counts, so both parsers are known to agree. */
#include "dg-safetensors-private.h"

#include <string.h>

#include "data/dg-json.h"

/* Longest nesting the header may have; a valid header needs 3. */
#define MAX_JSON_DEPTH DG_JSON_MAX_DEPTH

/* The strict pass's problem as a header error. */
static void set_problem(GError **error, const dg_json_problem *pb, size_t n)
{
    g_autofree char *q = pb->key ? dg_st_quoted(pb->key) : NULL;
    switch (pb->kind) {
    case DG_JSON_PROBLEM_TOO_DEEP:
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                    "header is nested more than %d levels deep", MAX_JSON_DEPTH);
        break;
    case DG_JSON_PROBLEM_DUPLICATE_KEY:
        if (pb->depth == 1 && strcmp(pb->key, "__metadata__") == 0)
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                        "duplicate __metadata__ in header");
        else if (pb->depth == 1)
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                        "duplicate tensor name %s in header", q);
        else if (pb->depth == 2 && g_strcmp0(pb->parent_key, "__metadata__") == 0)
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                        "duplicate metadata key %s in header", q);
        else
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                        "duplicate key %s in header at byte %zu", q, pb->pos);
        break;
    case DG_JSON_PROBLEM_SYNTAX:
    default:
        if (pb->pos >= n)
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                        "header is not valid JSON: %s at the end of the header", pb->what);
        else
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                        "header is not valid JSON: %s at byte %zu", pb->what, pb->pos);
        break;
    }
}

JsonObject *dg_st_parse_header(const char *text, size_t n, JsonParser **parser_out,
                               GError **error)
{
    if (!g_utf8_validate_len(text, n, NULL)) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                    "header is not valid UTF-8 (or contains a NUL byte)");
        return NULL;
    }
    size_t start = 0;
    while (start < n && (text[start] == ' ' || text[start] == '\t' || text[start] == '\n' ||
                         text[start] == '\r'))
        start++;
    if (start >= n || text[start] != '{') {
        if (start >= n)
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER, "header is empty");
        else
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER, "header is not a JSON object");
        return NULL;
    }
    GArray *counts = g_array_new(FALSE, FALSE, sizeof(guint));
    dg_json_problem pb;
    if (!dg_json_check_strict(text, n, MAX_JSON_DEPTH, counts, &pb)) {
        if (pb.kind == DG_JSON_PROBLEM_SYNTAX && strcmp(pb.what, DG_JSON_TRAILING) == 0)
            pb.what = "trailing characters after the header object";
        set_problem(error, &pb, n);
        dg_json_problem_clear(&pb);
        g_array_free(counts, TRUE);
        return NULL;
    }

    JsonParser *parser = json_parser_new_immutable();
    GError *jerr = NULL;
    JsonObject *root = NULL;
    if (!json_parser_load_from_data(parser, text, (gssize)n, &jerr)) {
        g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER, "header is not valid JSON: %s",
                    jerr->message);
        g_error_free(jerr);
    } else {
        JsonNode *node = json_parser_get_root(parser);
        if (!node || !JSON_NODE_HOLDS_OBJECT(node) || !dg_json_tree_matches(node, counts))
            g_set_error(error, DG_ST_ERROR, DG_ST_ERROR_HEADER,
                        "header was read inconsistently by the JSON parser");
        else
            root = json_node_get_object(node);
    }
    g_array_free(counts, TRUE);
    if (!root) {
        g_object_unref(parser);
        return NULL;
    }
    *parser_out = parser;
    return root;
}

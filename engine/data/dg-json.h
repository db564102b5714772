/* dg-json.h: JSON text from outside, checked strictly and parsed with a
 * bounded nesting depth (models-and-data layer; the jobs layer and the UI
 * use it too).
 *
 * json-glib's parser recurses once per level of nesting, without a limit:
 * "[[[[..." 100000 levels deep overflows the stack.  It is also lenient
 * (single-quoted strings, comments, 0x10), so a depth count that honours
 * only double-quoted strings can be fooled: in ['"', [[[...]]]] json-glib
 * sees a one-character string and then the nesting, a naive count sees one
 * long string.  So every JSON text that comes from a file, a model's
 * metadata or another process is first checked against RFC 8259 by the same
 * strict pass as a safetensors header (with its depth bound), and only then
 * given to json-glib:
 *
 *   JsonNode *root = dg_json_parse_bounded(text, -1, DG_JSON_MAX_DEPTH, &error);
 *
 * The strict pass also refuses duplicate keys, integers outside int64 (which
 * json-glib wraps silently), lone surrogates and \u0000. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The nesting allowed in JSON from outside, as for a safetensors header:
 * the bundled ablation.json, the deepest document we write, needs 7. */
#define DG_JSON_MAX_DEPTH 64

#define DG_JSON_ERROR (dg_json_error_quark())
GQuark dg_json_error_quark(void);
typedef enum {
    DG_JSON_ERROR_INVALID,  /* not UTF-8, not strict JSON, a duplicate key */
    DG_JSON_ERROR_TOO_DEEP, /* nested more than max_depth levels */
} dg_json_error;

/* Parses text (len bytes, or NUL-terminated when len < 0) after checking it
 * strictly, nested at most max_depth levels (an array or object counts one,
 * a scalar at the top is depth 1).  Returns the root (json_node_unref), or
 * NULL + DG_JSON_ERROR with a one-line message without a trailing context,
 * so that callers can prefix one (g_prefix_error):
 *   "JSON is nested too deeply (more than 64 levels)"
 *   "not valid JSON: expected ':' at byte 5", "... at the end of the text"
 *   "not valid JSON: duplicate key 'a' at byte 9"
 *   "not valid UTF-8 (or contains a NUL byte)" */
JsonNode *dg_json_parse_bounded(const char *text, gssize len, int max_depth, GError **error);

/* ---- the strict pass itself, shared with the safetensors header check ---- */

typedef enum {
    DG_JSON_PROBLEM_SYNTAX,
    DG_JSON_PROBLEM_TOO_DEEP,
    DG_JSON_PROBLEM_DUPLICATE_KEY,
} dg_json_problem_kind;

#define DG_JSON_TRAILING "trailing characters after the value"

/* Why dg_json_check_strict refused a text. */
typedef struct {
    dg_json_problem_kind kind;
    const char *what;  /* SYNTAX: "unterminated string", ..., DG_JSON_TRAILING (static) */
    size_t pos;        /* SYNTAX, DUPLICATE_KEY: byte offset (the length of the text at its end) */
    char *key;         /* DUPLICATE_KEY: the key, decoded */
    char *parent_key;  /* DUPLICATE_KEY: the key holding the object, NULL at the top or in an array */
    int depth;         /* DUPLICATE_KEY: the object's depth, 1 at the top */
} dg_json_problem;

/* Checks text (n bytes, valid UTF-8 expected) against RFC 8259 with at most
 * max_depth levels of nesting, without recursing into json-glib.  counts
 * (optional, guint) gets each object's member count, pre-order, for
 * dg_json_tree_matches.  FALSE + *problem (dg_json_problem_clear) otherwise. */
gboolean dg_json_check_strict(const char *text, size_t n, int max_depth, GArray *counts,
                              dg_json_problem *problem);
void dg_json_problem_clear(dg_json_problem *problem);
/* Has the json-glib tree the member counts the strict pass saw (so both
 * parsers read the text the same way)? */
gboolean dg_json_tree_matches(JsonNode *root, GArray *counts);

G_END_DECLS

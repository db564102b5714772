/* dg-ablation-doc.h: an ablation.json read for the Ablation page: its arms
 * beside real only (the protocols of a multi-protocol document, each with
 * "differences"; the one "real+synthetic" arm of an older two-arm one), the
 * protocol chosen on validation, and the CSV export.  Hostile documents are
 * refused or read as far as they make sense (tests/fuzz/fuzz-ablation-doc.c),
 * parsed by dg_json_parse_bounded; json-glib only, no GTK. */
#pragma once
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
    JsonNode *node;                      /* the document; owns root */
    JsonObject *root, *metrics, *recall; /* not NULL */
    JsonArray *classes;                  /* not NULL; strings only */
    GPtrArray *arm_ids, *arm_titles;     /* beside real only; at least one */
    gboolean multi;                      /* the protocols of a multi-protocol document */
    guint chosen;                        /* the arm chosen on validation (0 when none) */
} dg_ablation_doc;

/* NULL when json is not an ablation.json (no metrics, recall or classes). */
dg_ablation_doc *dg_ablation_doc_new(const char *json);
void dg_ablation_doc_free(dg_ablation_doc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dg_ablation_doc, dg_ablation_doc_free)

/* In cmp (a metric's or a class's object): arm's mean and sd, and its paired
 * difference from real only (mean, std, ci95_low, ci95_high, p_sign_flip). */
JsonObject *dg_ablation_doc_arm(const dg_ablation_doc *doc, JsonObject *cmp, guint arm);
JsonObject *dg_ablation_doc_difference(const dg_ablation_doc *doc, JsonObject *cmp, guint arm);
/* "Validation balanced accuracy ...: real only 0.661, balance 0.619, ...";
 * NULL for a two-arm document. */
char *dg_ablation_doc_choice_text(const dg_ablation_doc *doc);
/* A line per metric (and class recall) and arm: metric, protocol, real
 * only's and the arm's mean and sd, the difference's mean, sd, interval, p. */
char *dg_ablation_doc_csv(const dg_ablation_doc *doc);

/* o's member name as an object / a string, or NULL when absent or not one. */
JsonObject *dg_json_object_member(JsonObject *o, const char *name);
const char *dg_json_string_member(JsonObject *o, const char *name);

G_END_DECLS

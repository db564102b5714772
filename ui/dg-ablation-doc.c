/* dg-ablation-doc.c: an ablation.json read for the Ablation page. */
#include "dg-ablation-doc.h"

#include <math.h>

#include "data/dg-json.h"

JsonObject *dg_json_object_member(JsonObject *o, const char *name)
{
    JsonNode *n = o && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

const char *dg_json_string_member(JsonObject *o, const char *name)
{
    JsonNode *n = o && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : NULL;
}

/* A number member, or NAN. */
static double num_member(JsonObject *o, const char *name)
{
    JsonNode *n = o && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return NAN;
    GType t = json_node_get_value_type(n);
    return t == G_TYPE_DOUBLE || t == G_TYPE_INT64 ? json_node_get_double(n) : NAN;
}

static JsonArray *array_member(JsonObject *o, const char *name)
{
    JsonNode *n = o && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

/* The protocols with differences in metrics.balanced_accuracy; the chosen one
 * remembered.  None: the older document's one arm. */
static void read_arms(dg_ablation_doc *d)
{
    JsonArray *pa = array_member(d->root, "protocols");
    JsonObject *diffs = dg_json_object_member(
        dg_json_object_member(d->metrics, "balanced_accuracy"), "differences");
    const char *chosen = dg_json_string_member(d->root, "chosen_protocol");
    for (guint i = 0; pa && diffs && i < json_array_get_length(pa); i++) {
        JsonNode *en = json_array_get_element(pa, i);
        JsonObject *e = JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
        const char *id = dg_json_string_member(e, "id");
        const char *title = dg_json_string_member(e, "title");
        if (!id || !*id || g_str_equal(id, "real") || !dg_json_object_member(diffs, id))
            continue;
        if (chosen && g_str_equal(id, chosen))
            d->chosen = d->arm_ids->len;
        g_ptr_array_add(d->arm_ids, g_strdup(id));
        g_ptr_array_add(d->arm_titles, g_strdup(title && *title ? title : id));
    }
    d->multi = d->arm_ids->len > 0;
    if (!d->multi) {
        g_ptr_array_add(d->arm_ids, g_strdup("real+synthetic"));
        g_ptr_array_add(d->arm_titles, g_strdup("real + synthetic"));
    }
}

dg_ablation_doc *dg_ablation_doc_new(const char *json)
{
    g_autoptr(JsonNode) node = json ? dg_json_parse_bounded(json, -1, DG_JSON_MAX_DEPTH, NULL) : NULL;
    if (!node || !JSON_NODE_HOLDS_OBJECT(node))
        return NULL;
    JsonObject *root = json_node_get_object(node);
    JsonObject *metrics = dg_json_object_member(root, "metrics");
    JsonObject *recall = dg_json_object_member(root, "recall");
    JsonArray *classes = array_member(root, "classes");
    if (!metrics || !recall || !classes)
        return NULL;
    for (guint k = 0; k < json_array_get_length(classes); k++) {
        JsonNode *e = json_array_get_element(classes, k);
        if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
            return NULL;
    }
    dg_ablation_doc *d = g_new0(dg_ablation_doc, 1);
    d->node = g_steal_pointer(&node);
    d->root = root, d->metrics = metrics, d->recall = recall, d->classes = classes;
    d->arm_ids = g_ptr_array_new_with_free_func(g_free);
    d->arm_titles = g_ptr_array_new_with_free_func(g_free);
    read_arms(d);
    return d;
}

void dg_ablation_doc_free(dg_ablation_doc *d)
{
    if (!d)
        return;
    g_ptr_array_unref(d->arm_ids);
    g_ptr_array_unref(d->arm_titles);
    json_node_unref(d->node);
    g_free(d);
}

JsonObject *dg_ablation_doc_arm(const dg_ablation_doc *d, JsonObject *cmp, guint arm)
{
    return arm < d->arm_ids->len ? dg_json_object_member(cmp, g_ptr_array_index(d->arm_ids, arm))
                                 : NULL;
}

JsonObject *dg_ablation_doc_difference(const dg_ablation_doc *d, JsonObject *cmp, guint arm)
{
    if (arm >= d->arm_ids->len)
        return NULL;
    if (!d->multi)
        return dg_json_object_member(cmp, "difference");
    return dg_json_object_member(dg_json_object_member(cmp, "differences"),
                                 g_ptr_array_index(d->arm_ids, arm));
}

char *dg_ablation_doc_choice_text(const dg_ablation_doc *d)
{
    JsonArray *pa = array_member(d->root, "protocols");
    if (!d->multi || !pa)
        return NULL;
    const char *chosen = dg_json_string_member(d->root, "chosen_protocol");
    double real_val = NAN, chosen_val = NAN;
    GString *t = g_string_new("Validation balanced accuracy, mean over the seeds (it chooses the "
                              "protocol): ");
    for (guint i = 0; i < json_array_get_length(pa); i++) {
        JsonNode *en = json_array_get_element(pa, i);
        JsonObject *e = JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
        const char *id = dg_json_string_member(e, "id") ? dg_json_string_member(e, "id") : "";
        const char *title = dg_json_string_member(e, "title") ? dg_json_string_member(e, "title")
                                                               : id;
        double v = num_member(dg_json_object_member(e, "val_balanced_accuracy"), "mean");
        if (g_str_equal(id, "real"))
            real_val = v;
        else if (chosen && g_str_equal(id, chosen))
            chosen_val = v;
        g_string_append_printf(t, "%s%s %.3f%s", i ? ", " : "", title, v,
                               chosen && g_str_equal(id, chosen) ? " (chosen)" : "");
    }
    g_string_append(t, !chosen ? "; none was chosen."
                       : chosen_val < real_val
                           ? ". The protocol is chosen among the ways of using synthetic images; "
                             "real only scored higher."
                           : ".");
    return g_string_free(t, FALSE);
}

/* A CSV field with no separators, quotes or line breaks. */
static char *csv_field(const char *s)
{
    return g_strdelimit(g_strdup(s), ",\"\n\r", '_');
}

char *dg_ablation_doc_csv(const dg_ablation_doc *d)
{
    GString *s = g_string_new("metric,protocol,real_mean,real_sd,protocol_mean,protocol_sd,"
                              "difference_mean,difference_sd,ci95_low,ci95_high,p_sign_flip\n");
    JsonObject *groups[] = {d->metrics, d->recall};
    for (int g = 0; g < 2; g++) {
        GList *keys = json_object_get_members(groups[g]);
        for (GList *l = keys; l; l = l->next) {
            JsonObject *m = dg_json_object_member(groups[g], l->data);
            g_autofree char *key = csv_field(l->data);
            for (guint a = 0; m && a < d->arm_ids->len; a++) {
                JsonObject *r = dg_json_object_member(m, "real"), *b = dg_ablation_doc_arm(d, m, a),
                           *df = dg_ablation_doc_difference(d, m, a);
                g_autofree char *arm = csv_field(g_ptr_array_index(d->arm_ids, a));
                g_string_append_printf(
                    s, "%s%s,%s,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", g ? "recall_" : "",
                    key, arm, num_member(r, "mean"), num_member(r, "std"),
                    num_member(b, "mean"), num_member(b, "std"),
                    num_member(df, "mean"), num_member(df, "std"),
                    num_member(df, "ci95_low"), num_member(df, "ci95_high"),
                    num_member(df, "p_sign_flip"));
            }
        }
        g_list_free(keys);
    }
    return g_string_free(s, FALSE);
}

/* test-json: the strict, depth-bounded parse of JSON from outside
 * (engine/data/dg-json: model metadata, run records, manifests, ablation
 * documents), which a safetensors header's check shares. */
#include "data/dg-json.h"

#include <string.h>

/* JSON from outside (model metadata, run records, ablation.json): nesting
 * beyond the bound is an error, never a stack overflow in json-glib. */
static void test_json_bounded(void)
{
    GError *error = NULL;
    /* 100000 levels: json-glib alone overflows the stack */
    g_autofree char *deep = g_strnfill(100000, '[');
    g_assert_null(dg_json_parse_bounded(deep, -1, DG_JSON_MAX_DEPTH, &error));
    g_assert_error(error, DG_JSON_ERROR, DG_JSON_ERROR_TOO_DEEP);
    g_assert_cmpstr(error->message, ==, "JSON is nested too deeply (more than 64 levels)");
    g_clear_error(&error);
    /* also when balanced, and for objects */
    GString *objs = g_string_new(NULL);
    for (int i = 0; i < 100000; i++)
        g_string_append(objs, "{\"a\":");
    g_string_append(objs, "1");
    for (int i = 0; i < 100000; i++)
        g_string_append_c(objs, '}');
    g_assert_null(dg_json_parse_bounded(objs->str, (gssize)objs->len, DG_JSON_MAX_DEPTH, &error));
    g_assert_error(error, DG_JSON_ERROR, DG_JSON_ERROR_TOO_DEEP);
    g_clear_error(&error);
    g_string_free(objs, TRUE);
    /* exactly the bound is read; one more level is not */
    for (int depth = 63; depth <= 65; depth++) {
        g_autofree char *open = g_strnfill((gsize)depth, '['), *close = g_strnfill((gsize)depth, ']');
        g_autofree char *text = g_strconcat(open, close, NULL);
        JsonNode *n = dg_json_parse_bounded(text, -1, 64, &error);
        if (depth <= 64) {
            g_assert_no_error(error);
            g_assert_true(JSON_NODE_HOLDS_ARRAY(n));
            json_node_unref(n);
        } else {
            g_assert_null(n);
            g_assert_error(error, DG_JSON_ERROR, DG_JSON_ERROR_TOO_DEEP);
            g_clear_error(&error);
        }
    }
    /* json-glib reads single-quoted strings and comments: a depth count that
     * honoured only "..." would see one long string in each, json-glib the
     * nesting.  The strict pass refuses them. */
    const char *disguised[] = {"['\"', " "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                               "[/* \" */ [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["};
    for (size_t i = 0; i < G_N_ELEMENTS(disguised); i++) {
        g_assert_null(dg_json_parse_bounded(disguised[i], -1, DG_JSON_MAX_DEPTH, &error));
        g_assert_error(error, DG_JSON_ERROR, DG_JSON_ERROR_INVALID);
        g_test_message("%s", error->message);
        g_clear_error(&error);
    }
    /* the same strictness as a header: duplicate keys, wrapping integers */
    g_assert_null(dg_json_parse_bounded("{\"a\": 1, \"\\u0061\": 2}", -1, 8, &error));
    g_assert_error(error, DG_JSON_ERROR, DG_JSON_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, "not valid JSON: duplicate key 'a' at byte 9");
    g_clear_error(&error);
    g_assert_null(dg_json_parse_bounded("[18446744073709551617]", -1, 8, &error));
    g_assert_error(error, DG_JSON_ERROR, DG_JSON_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_null(dg_json_parse_bounded("[1] x", -1, 8, &error));
    g_assert_cmpstr(error->message, ==, "not valid JSON: trailing characters after the value at byte 4");
    g_clear_error(&error);
    g_assert_null(dg_json_parse_bounded("[1,", 3, 8, &error));
    g_assert_cmpstr(error->message, ==, "not valid JSON: expected a value at the end of the text");
    g_clear_error(&error);
    g_assert_null(dg_json_parse_bounded("[1]\0[", 5, 8, &error));
    g_assert_error(error, DG_JSON_ERROR, DG_JSON_ERROR_INVALID);
    g_clear_error(&error);
    /* what we write reads back as json-glib reads it */
    JsonNode *n = dg_json_parse_bounded(" {\"id\": \"mel\", \"x\": [1, 2.5e-3, true, null]} ", -1,
                                        DG_JSON_MAX_DEPTH, &error);
    g_assert_no_error(error);
    JsonObject *o = json_node_get_object(n);
    g_assert_cmpstr(json_object_get_string_member(o, "id"), ==, "mel");
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "x")), ==, 4);
    json_node_unref(n);
    n = dg_json_parse_bounded("\"a scalar\"", -1, 1, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(json_node_get_string(n), ==, "a scalar");
    json_node_unref(n);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/data/json/bounded", test_json_bounded);
    return g_test_run();
}

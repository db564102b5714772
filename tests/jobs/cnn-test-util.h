/* cnn-test-util.h: what the classifier job tests share: the tiny
 * imbalanced data set, a tiny training config and a trained model. */
#pragma once
#include <json-glib/json-glib.h>

#include "jobs-test-util.h"
#include "jobs/dg-job-cnn.h"

/* 4 classes of 16 generated 32x32 images in tmp/data, imbalanced as real data:
 * akiec keeps 8 images, so balancing has work. */
G_GNUC_UNUSED static char *ct_make_data(const char *tmp)
{
    char *data = jt_make_imagefolder(tmp, 4, 16, 32);
    for (int i = 8; i < 16; i++) {
        char *name = g_strdup_printf("img-%02d.png", i);
        char *p = g_build_filename(data, "akiec", name, NULL);
        g_unlink(p);
        g_free(name), g_free(p);
    }
    return data;
}

/* A width-8, 32-pixel training of data into tmp/out. */
G_GNUC_UNUSED static dg_cnn_train_config *ct_tiny(const char *tmp, const char *data,
                                                  const char *out, int steps)
{
    dg_cnn_train_config *c = dg_cnn_train_config_new();
    c->data = g_strdup(data);
    c->out = g_build_filename(tmp, out, NULL);
    c->steps = steps;
    c->eval_every = 4;
    c->batch = 8;
    c->size = 32;
    c->width = 8;
    c->threads = 2;
    c->seed = 5;
    c->cache_dir = g_strdup("");
    return c;
}

G_GNUC_UNUSED static JsonObject *ct_parse_object(const char *json, JsonNode **keep)
{
    g_assert_nonnull(json);
    *keep = json_from_string(json, NULL);
    g_assert_nonnull(*keep);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(*keep));
    return json_node_get_object(*keep);
}

/* A classifier trained for the evaluation and prediction tests. */
G_GNUC_UNUSED static char *ct_trained_model(const char *tmp, const char *data)
{
    static char *model;
    if (!model) {
        jt_sink s;
        jt_sink_init(&s);
        GError *error = NULL;
        dg_cnn_train_config *c = ct_tiny(tmp, data, "model", 40);
        g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_SUCCEEDED);
        g_assert_no_error(error);
        jt_sink_clear(&s);
        model = g_build_filename(tmp, "model", "model.safetensors", NULL);
    }
    return model;
}

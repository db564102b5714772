/* test-hardening-results: silent wrong results and crashes from what a
 * model computes or records, on the tiny generated data set of
 * test-cnn-job: a classifier whose finite weights overflow (a damaged model
 * file) fails calibration, ensembles and distillation with the reason, and
 * never reaches a histogram bin as NaN (gan score, gan generate and the
 * ablation with such files: test-ablation-job and test-hardening); an
 * ImageFolder's images whose names repeat across class folders (every class
 * of the tiny set has img-00.png) are told apart in a model's provenance;
 * a run that lost its best model is refused at --resume, not at its end;
 * a file name that is not UTF-8 keeps the JSON results UTF-8. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "cnn-test-util.h"
#include "data/dg-dataset.h"
#include "jobs/dg-job-cnn.h"
#include "models/dg-classifier-post.h"
#include "models/dg-model-file.h"

static char *tmp, *data;

/* A copy of the trained classifier with the first weight of every
 * convolution 3e38: it loads (the weights are finite) and its outputs are
 * NaN. */
static char *overflowing_classifier(void)
{
    static char *path;
    if (!path) {
        path = g_build_filename(tmp, "overflow.safetensors", NULL);
        gchar *bytes = NULL;
        gsize n = 0;
        g_assert_true(g_file_get_contents(ct_trained_model(tmp, data), &bytes, &n, NULL));
        g_assert_true(g_file_set_contents(path, bytes, (gssize)n, NULL));
        g_free(bytes);
        jt_st_rewrite(path, jt_edit_huge_first, ".conv.weight", NULL, NULL);
    }
    return path;
}

/* Runs a job that must fail for a network's non-finite output; the message
 * must name `what`. */
static void fails_not_finite(const dg_job_kind *kind, void *config, const char *what)
{
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    g_assert_cmpint(jt_run(kind, config, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(error);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "not finite"));
    g_assert_nonnull(strstr(error->message, what));
    g_assert_null(strchr(error->message, '\n'));
    g_assert_cmpint(s.results, ==, 0);
    g_clear_error(&error);
    jt_sink_clear(&s);
}

static void test_non_finite_classifier(void)
{
    /* cnn calibrate: NaN logits put a histogram bin at (int)NaN (a crash) */
    dg_calibrate_config *c = dg_calibrate_config_new();
    c->model = g_strdup(overflowing_classifier());
    c->data = g_strdup(data);
    c->out = g_build_filename(tmp, "calibrated.safetensors", NULL);
    c->cache_dir = g_strdup("");
    c->threads = 1;
    char *out = g_strdup(c->out);
    fails_not_finite(&dg_job_cnn_calibrate, c, "classifier");
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));

    /* cnn ensemble with such a member: the same */
    c = dg_calibrate_config_new();
    c->members = g_new0(char *, 3);
    c->members[0] = g_strdup(overflowing_classifier());
    c->members[1] = g_strdup(ct_trained_model(tmp, data));
    c->data = g_strdup(data);
    c->out = g_strdup(out);
    c->cache_dir = g_strdup("");
    c->threads = 1;
    fails_not_finite(&dg_job_cnn_calibrate, c, "classifier");
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    g_free(out);

    /* cnn train --teacher: the teacher's file named, not "try a lower
     * learning rate" */
    dg_cnn_train_config *t = ct_tiny(tmp, data, "student", 4);
    t->teacher = g_strdup(overflowing_classifier());
    t->threads = 1;
    fails_not_finite(&dg_job_cnn_train, t, "the teacher");

    /* the ECE of non-finite logits is NaN, not a bin out of its array */
    const float logits[8] = {NAN, 0, 1, 2, 0, 1, 2, 3};
    const int y[2] = {0, 3};
    g_assert_true(isnan(dg_ece_of_logits(logits, y, 2, 4, 1.0, NULL)));
    g_assert_true(isfinite(dg_ece_of_logits(logits + 4, y + 1, 1, 4, 1.0, NULL)));
}

/* evaluate of model on the tiny data set's split; the result (unref keep). */
static JsonObject *evaluate(const char *model, const char *split, JsonNode **keep)
{
    dg_evaluate_config *c = dg_evaluate_config_new();
    c->model = g_strdup(model);
    c->data = g_strdup(data);
    c->cache_dir = g_strdup("");
    c->threads = 1;
    g_free(c->split);
    c->split = g_strdup(split);
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    g_assert_cmpint(jt_run(&dg_job_evaluate, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    JsonObject *o = ct_parse_object(s.result_json, keep);
    jt_sink_clear(&s);
    return o;
}

/* mel/img-05.png in the training split made bcc/img-05.png of the test
 * split "seen in training": evaluate said all the test images were seen
 * and had no unseen ones to report.  Provenance keys are now of an
 * ImageFolder image's path; HAM10000's stay image ids; older files (keys
 * of names) are still read, and match by name as before. */
static void test_repeated_names(void)
{
    GError *error = NULL;
    dg_cnn *m = dg_cnn_load(ct_trained_model(tmp, data), 1, &error);
    g_assert_no_error(error);
    g_assert_true(m->post.keys_by_path);
    dg_cnn_free(m);
    dg_load_options lo;
    dg_load_options_init(&lo);
    lo.cache_dir = "";
    dg_dataset *ds = dg_dataset_load(data, &lo, &error);
    g_assert_no_error(error);
    g_assert_true(dg_dataset_split(ds, 1, DG_SPLIT_TRAIN_FRACTION, DG_SPLIT_VAL_FRACTION, &error));
    const int n_train = dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, NULL),
              n_val = dg_dataset_indices(ds, DG_SPLIT_VAL, -1, NULL);
    g_assert_cmpstr(dg_dataset_item_key_id(ds, 0, TRUE), ==, "akiec/img-00.png");
    g_assert_cmpstr(dg_dataset_item_key_id(ds, 0, FALSE), ==, "img-00");
    dg_dataset_free(ds);

    JsonNode *keep;
    JsonObject *o = evaluate(ct_trained_model(tmp, data), "test", &keep);
    g_assert_cmpint(json_object_get_int_member(o, "n_seen_in_training"), ==, 0);
    g_assert_cmpint(json_object_get_int_member(o, "n_seen_in_validation"), ==, 0);
    g_assert_false(json_object_has_member(o, "unseen"));
    json_node_unref(keep);
    /* every image: exactly the training and validation splits seen */
    o = evaluate(ct_trained_model(tmp, data), "all", &keep);
    g_assert_cmpint(json_object_get_int_member(o, "n_seen_in_training"), ==, n_train);
    g_assert_cmpint(json_object_get_int_member(o, "n_seen_in_validation"), ==, n_val);
    json_node_unref(keep);

    /* a file of an earlier version (no provenance_ids): read, and its keys
     * taken for image ids (file names, for an ImageFolder) */
    char *old = g_build_filename(tmp, "old-provenance.safetensors", NULL);
    gchar *bytes = NULL;
    gsize n = 0;
    g_assert_true(g_file_get_contents(ct_trained_model(tmp, data), &bytes, &n, NULL));
    g_assert_true(g_file_set_contents(old, bytes, (gssize)n, NULL));
    g_free(bytes);
    jt_st_rewrite(old, NULL, NULL, DG_CNN_META_PROVENANCE_IDS, NULL);
    m = dg_cnn_load(old, 1, &error);
    g_assert_no_error(error);
    g_assert_false(m->post.keys_by_path);
    dg_cnn_free(m);
    o = evaluate(old, "test", &keep);
    g_assert_true(json_object_has_member(o, "n_seen_in_training"));
    json_node_unref(keep);
    /* any other kind of ids is refused, named */
    jt_st_rewrite(old, NULL, NULL, DG_CNN_META_PROVENANCE_IDS, "file-name");
    g_assert_null(dg_cnn_load(old, 1, &error));
    g_assert_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, DG_CNN_META_PROVENANCE_IDS));
    g_clear_error(&error);
    g_free(old);
}

/* cnn train --resume of a run whose model.safetensors (its best epoch's
 * weights, not in the checkpoint) is gone: it trained to the end and then
 * failed to calibrate "No such file or directory"; now refused at once,
 * with the checkpoint as it was. */
static void test_resume_without_model(void)
{
    jt_must_succeed(&dg_job_cnn_train, ct_tiny(tmp, data, "lost-model", 4));
    char *model = g_build_filename(tmp, "lost-model", "model.safetensors", NULL);
    char *ckpt = g_build_filename(tmp, "lost-model", "checkpoint.safetensors", NULL);
    g_assert_cmpint(g_unlink(model), ==, 0);
    gchar *before = NULL, *after = NULL;
    gsize nb = 0, na = 0;
    g_assert_true(g_file_get_contents(ckpt, &before, &nb, NULL));
    dg_cnn_train_config *c = ct_tiny(tmp, data, "lost-model", 8);
    c->resume = TRUE;
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "model.safetensors is missing"));
    g_assert_nonnull(strstr(error->message, "best epoch"));
    g_clear_error(&error);
    g_assert_cmpuint(s.steps->len, ==, 0); /* nothing trained */
    jt_sink_clear(&s);
    g_assert_true(g_file_get_contents(ckpt, &after, &na, NULL));
    g_assert_cmpmem(before, nb, after, na);
    g_free(before), g_free(after), g_free(model), g_free(ckpt);
}

/* One image of a data set named with bytes that are not UTF-8: evaluate's
 * JSON held the raw path, and the app could not read the result at all
 * ("JSON data must be UTF-8 encoded").  The path is now its display form,
 * with a file:// URI that opens it. */
static void test_path_not_utf8(void)
{
    char *parent = g_build_filename(tmp, "odd-names", NULL);
    char *odd = ct_make_data(parent);
    char *src = g_build_filename(odd, "mel", "img-00.png", NULL);
    char *dst = g_build_filename(odd, "mel", "img-\xff.png", NULL);
    g_assert_cmpint(g_rename(src, dst), ==, 0);
    dg_evaluate_config *c = dg_evaluate_config_new();
    c->model = g_strdup(ct_trained_model(tmp, data));
    c->data = g_strdup(odd);
    c->cache_dir = g_strdup("");
    c->threads = 1;
    c->per_image = TRUE;
    g_free(c->split);
    c->split = g_strdup("all");
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    g_assert_cmpint(jt_run(&dg_job_evaluate, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_true(g_utf8_validate(s.result_json, -1, NULL));
    JsonNode *keep;
    JsonObject *o = ct_parse_object(s.result_json, &keep);
    JsonArray *images = json_object_get_array_member(o, "images");
    int found = 0;
    for (guint i = 0; i < json_array_get_length(images); i++) {
        JsonObject *im = json_array_get_object_element(images, i);
        const char *uri = json_object_get_string_member_with_default(im, "path_uri", NULL);
        if (!uri)
            continue;
        found++;
        g_autofree char *back = g_filename_from_uri(uri, NULL, NULL);
        g_autofree char *want = g_canonicalize_filename(dst, NULL);
        g_assert_cmpstr(back, ==, want);
        g_assert_true(g_utf8_validate(json_object_get_string_member(im, "path"), -1, NULL));
    }
    g_assert_cmpint(found, ==, 1); /* the others' paths are UTF-8: no URI */
    json_node_unref(keep);
    jt_sink_clear(&s);
    g_free(parent), g_free(odd), g_free(src), g_free(dst);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-hardening-results-XXXXXX", NULL);
    data = ct_make_data(tmp);
    g_test_add_func("/hardening/non-finite-classifier", test_non_finite_classifier);
    g_test_add_func("/hardening/repeated-image-names", test_repeated_names);
    g_test_add_func("/hardening/resume-without-model", test_resume_without_model);
    g_test_add_func("/hardening/path-not-utf8", test_path_not_utf8);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp), g_free(data);
    return rc;
}

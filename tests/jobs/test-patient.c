/* test-patient: patient metadata (age, sex, body site) beside the image
 * (engine/models/dg-meta-prior.h) through the jobs, on the bundled sample
 * (HAM10000 layout with its age, sex and localization columns) and the
 * bundled classifier: calibration fits a prior from the training split and
 * reports its weight; evaluate reports the metrics with the metadata apart
 * from the image-only ones; predict applies it, says which fields it used
 * and refuses values that are not values. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "jobs-test-util.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-job-util.h"
#include "models/dg-classifier.h"
#include "models/dg-meta-prior.h"

static char *tmp, *sample, *model;

static JsonObject *result(jt_sink *s, JsonNode **keep)
{
    *keep = json_from_string(s->result_json, NULL);
    g_assert_nonnull(*keep);
    return json_node_get_object(*keep);
}

static void test_calibrate(void)
{
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    dg_calibrate_config *c = dg_calibrate_config_new();
    c->model = g_strdup(model);
    c->data = g_strdup(sample);
    c->cache_dir = g_strdup("");
    c->out = g_build_filename(tmp, "calibrated.safetensors", NULL);
    g_assert_cmpint(jt_run(&dg_job_cnn_calibrate, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    JsonNode *keep;
    JsonObject *o = result(&s, &keep);
    /* every validation image of the sample has its age, sex and site */
    g_assert_cmpint(json_object_get_int_member(o, "val_with_patient_metadata"), ==, 12);
    g_assert_cmpint(json_object_get_int_member(o, "patient_keys"), >, 5);
    double w = json_object_get_double_member(o, "patient_weight");
    g_assert_true(w >= 0 && w <= 2);
    /* the file has the prior exactly when a weight above 0 won */
    char *out = g_build_filename(tmp, "calibrated.safetensors", NULL);
    dg_cnn *cnn = dg_cnn_load(out, 1, &error);
    g_assert_no_error(error);
    g_assert_true((cnn->post.patient_prior != NULL) == (w > 0));
    dg_cnn_free(cnn);
    json_node_unref(keep);
    jt_sink_clear(&s);
    g_free(out);
}

/* The bundled classifier with a prior made by hand (the hand means akiec,
 * the first class, with weight 2), or with none (js NULL). */
static char *model_with_prior_js(const char *js, const char *name)
{
    GError *error = NULL;
    dg_cnn *cnn = dg_cnn_load(model, 1, &error);
    g_assert_no_error(error);
    g_clear_pointer(&cnn->post.patient_prior, dg_meta_prior_free);
    if (js) {
        cnn->post.patient_prior = dg_meta_prior_from_json(js, 4, &error);
        g_assert_no_error(error);
    }
    char *path = g_build_filename(tmp, name, NULL);
    g_assert_true(dg_cnn_save(cnn, path, NULL, &error));
    g_assert_no_error(error);
    dg_cnn_free(cnn);
    return path;
}

static char *model_with_prior(void)
{
    return model_with_prior_js("{\"weight\": 2, \"keys\": [\"site:hand\"], \"llr\": [[2, -1, -1, -1]]}",
                               "with-prior.safetensors");
}

static char *model_without_prior(void)
{
    return model_with_prior_js(NULL, "without-prior.safetensors");
}

static void test_evaluate(void)
{
    char *m = model_with_prior();
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    dg_evaluate_config *c = dg_evaluate_config_new();
    c->model = g_strdup(m);
    c->data = g_strdup(sample);
    c->cache_dir = g_strdup("");
    g_free(c->split);
    c->split = g_strdup("all");
    g_assert_cmpint(jt_run(&dg_job_evaluate, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    JsonNode *keep;
    JsonObject *o = result(&s, &keep);
    g_assert_true(json_object_has_member(o, "with_patient_metadata"));
    JsonObject *w = json_object_get_object_member(o, "with_patient_metadata");
    /* the images with a field the prior knows: the sample's hands */
    g_assert_cmpint(json_object_get_int_member(w, "n_with_metadata"), ==, 5);
    g_assert_cmpint(json_object_get_int_member(w, "n"), ==, 96);
    /* the hand pulls towards akiec: its recall cannot fall */
    JsonObject *pc = json_object_get_object_member(o, "per_class");
    JsonObject *wpc = json_object_get_object_member(w, "per_class");
    g_assert_cmpfloat(json_object_get_double_member(json_object_get_object_member(wpc, "akiec"), "recall"), >=,
                      json_object_get_double_member(json_object_get_object_member(pc, "akiec"), "recall"));
    json_node_unref(keep);
    jt_sink_clear(&s);

    /* a model without a prior: no such section */
    jt_sink_init(&s);
    g_autofree char *plain = model_without_prior();
    c = dg_evaluate_config_new();
    c->model = g_strdup(plain);
    c->data = g_strdup(sample);
    c->cache_dir = g_strdup("");
    g_assert_cmpint(jt_run(&dg_job_evaluate, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    o = result(&s, &keep);
    g_assert_false(json_object_has_member(o, "with_patient_metadata"));
    json_node_unref(keep);
    jt_sink_clear(&s);
    g_free(m);
}

static dg_job_state predict(const char *m, const char *image, double age, const char *sex,
                            const char *site, jt_sink *s, GError **error)
{
    dg_predict_config *c = dg_predict_config_new();
    c->model = g_strdup(m);
    c->images = g_new0(char *, 2);
    c->images[0] = g_strdup(image);
    c->age = age;
    c->sex = g_strdup(sex);
    c->site = g_strdup(site);
    jt_sink_init(s);
    return jt_run(&dg_job_predict, c, s, error);
}

static void test_predict(void)
{
    char *m = model_with_prior();
    char *image = g_build_filename(sample, "images", "ISIC_0027896.jpg", NULL);
    GError *error = NULL;
    jt_sink s;
    JsonNode *k0, *k1;
    g_assert_cmpint(predict(m, image, NAN, NULL, NULL, &s, &error), ==, DG_JOB_SUCCEEDED);
    JsonObject *o0 = result(&s, &k0);
    g_assert_false(json_object_has_member(o0, "patient_fields_used"));
    jt_sink_clear(&s);
    g_assert_cmpint(predict(m, image, 75, "male", "Hand", &s, &error), ==, DG_JOB_SUCCEEDED);
    JsonObject *o1 = result(&s, &k1);
    g_assert_cmpint(json_object_get_int_member(o1, "patient_fields_used"), ==, 1);
    g_assert_nonnull(strstr(json_object_get_string_member(o1, "patient_note"), "age:70-79"));
    double a0 = json_object_get_double_member(json_object_get_object_member(o0, "probabilities"), "akiec");
    double a1 = json_object_get_double_member(json_object_get_object_member(o1, "probabilities"), "akiec");
    g_assert_cmpfloat(a1, >, a0);
    json_node_unref(k0), json_node_unref(k1);
    jt_sink_clear(&s);
    /* a model without a prior: said so */
    g_autofree char *plain = model_without_prior();
    g_assert_cmpint(predict(plain, image, 75, NULL, NULL, &s, &error), ==, DG_JOB_SUCCEEDED);
    o1 = result(&s, &k1);
    g_assert_cmpint(json_object_get_int_member(o1, "patient_fields_used"), ==, 0);
    g_assert_nonnull(strstr(json_object_get_string_member(o1, "patient_note"), "does not use"));
    json_node_unref(k1);
    jt_sink_clear(&s);
    /* refused: an age out of range, a value that is not one; "unknown" is fine */
    const struct {
        double age;
        const char *sex, *site;
        gboolean ok;
    } cases[] = {{130, NULL, NULL, FALSE},  {-1, NULL, NULL, FALSE},
                 {NAN, "m;f", NULL, FALSE}, {NAN, NULL, "back\nface", FALSE},
                 {NAN, "Unknown", "", TRUE}};
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        dg_job_state st = predict(m, image, cases[i].age, cases[i].sex, cases[i].site, &s, &error);
        g_assert_cmpint(st, ==, cases[i].ok ? DG_JOB_SUCCEEDED : DG_JOB_FAILED);
        if (!cases[i].ok) {
            g_assert_nonnull(error);
            g_assert_null(strchr(error->message, '\n'));
        }
        g_clear_error(&error);
        jt_sink_clear(&s);
    }
    g_free(image), g_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-patient-XXXXXX", NULL);
    model = dg_find_resource("models/classifier.safetensors");
    char *csv = dg_find_resource("sample/HAM10000_metadata.csv");
    g_assert_nonnull(model);
    g_assert_nonnull(csv);
    sample = g_path_get_dirname(csv);
    g_free(csv);
    g_test_add_func("/patient/calibrate", test_calibrate);
    g_test_add_func("/patient/evaluate", test_evaluate);
    g_test_add_func("/patient/predict", test_predict);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp), g_free(sample), g_free(model);
    return rc;
}

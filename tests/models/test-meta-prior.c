/* test-meta-prior: the patient prior (engine/models/dg-meta-prior.c): keys
 * from a patient, counts turned into log ratios, what applying it does to
 * probabilities, its model-file form and hostile forms refused. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "models/dg-meta-prior.h"

static void test_keys(void)
{
    char k[3][DG_META_KEY_MAX], v[64];
    dg_patient p = {45.5, " Male ", "Lower_Extremity"};
    g_assert_cmpint(dg_patient_keys(&p, k), ==, 3);
    g_assert_cmpstr(k[0], ==, "age:40-49");
    g_assert_cmpstr(k[1], ==, "sex:male");
    g_assert_cmpstr(k[2], ==, "site:lower extremity");
    dg_patient q = {NAN, "unknown", ""};
    g_assert_cmpint(dg_patient_keys(&q, k), ==, 0);
    dg_patient r = {95, NULL, "a;b"};
    g_assert_cmpint(dg_patient_keys(&r, k), ==, 1);
    g_assert_cmpstr(k[0], ==, "age:80+");
    dg_patient bad = {-3, "m\xc3\xa4nnlich", NULL};
    g_assert_cmpint(dg_patient_keys(&bad, k), ==, 0);
    g_assert_cmpint(dg_patient_keys(NULL, k), ==, 0);
    dg_patient_normalize("  upper   extremity ", v, sizeof v);
    g_assert_cmpstr(v, ==, "upper extremity");
    dg_patient_normalize("x123456789012345678901234567890123", v, sizeof v); /* 34 bytes */
    g_assert_cmpstr(v, ==, "");
}

/* Class 1 lives on the face, class 0 on the back; sex says nothing. */
static dg_meta_prior *toy(void)
{
    enum { N = 200 };
    dg_patient p[N];
    int y[N];
    for (int i = 0; i < N; i++) {
        y[i] = i % 2;
        p[i].age = NAN;
        p[i].sex = i % 4 < 2 ? "male" : "female";
        p[i].site = (i % 10 == 0) ? (y[i] ? "back" : "face") : (y[i] ? "face" : "back");
    }
    return dg_meta_prior_fit(p, y, N, 2);
}

static void test_fit_apply(void)
{
    dg_meta_prior *m = toy();
    g_assert_nonnull(m);
    g_assert_cmpint(m->n_keys, ==, 4); /* sex:female, sex:male, site:back, site:face (sorted) */
    g_assert_cmpstr(m->keys[0], ==, "sex:female");
    g_assert_cmpstr(m->keys[3], ==, "site:face");
    g_assert_cmpfloat(m->weight, ==, 0.0f);
    /* 100 of the 120 face images are class 1: log((100 + 2 * 0.5) / 122 / 0.5) */
    const float *face = m->llr + 3 * 2;
    g_assert_cmpfloat(fabsf(face[1] - logf(101.0f / 122 / 0.5f)), <, 1e-4);
    g_assert_cmpfloat(face[0], <, -1.0f);
    g_assert_cmpfloat(fabsf(m->llr[0]), <, 0.05f); /* sex: nothing */

    float probs[2] = {0.5f, 0.5f};
    dg_patient p = {NAN, "male", "face"};
    g_assert_cmpint(dg_meta_prior_apply(m, &p, probs), ==, 0); /* weight 0: off */
    g_assert_cmpfloat(probs[0], ==, 0.5f);
    m->weight = 1.0f;
    g_assert_cmpint(dg_meta_prior_apply(m, &p, probs), ==, 2);
    g_assert_cmpfloat(fabsf(probs[1] - 101.0f / 122), <, 0.01f);
    g_assert_cmpfloat(fabsf(probs[0] + probs[1] - 1), <, 1e-6);
    /* unknown and unseen fields add nothing */
    float q[2] = {0.3f, 0.7f};
    dg_patient none = {NAN, NULL, "moon"};
    g_assert_cmpint(dg_meta_prior_apply(m, &none, q), ==, 0);
    g_assert_cmpfloat(q[0], ==, 0.3f);
    g_assert_cmpint(dg_meta_prior_apply(NULL, &p, q), ==, 0);
    /* a temperature flattens */
    float t[2] = {0.5f, 0.5f};
    m->temperature = 2.0f;
    dg_meta_prior_apply(m, &p, t);
    g_assert_cmpfloat(t[1], <, probs[1]);
    g_assert_cmpfloat(t[1], >, 0.5f);
    dg_meta_prior_free(m);

    /* no field known anywhere: no prior */
    dg_patient e[2] = {{NAN, NULL, NULL}, {NAN, "", "unknown"}};
    int y[2] = {0, 1};
    g_assert_null(dg_meta_prior_fit(e, y, 2, 2));
    g_assert_null(dg_meta_prior_fit(e, y, 2, 1));
}

static void test_json(void)
{
    dg_meta_prior *m = toy();
    m->weight = 0.7f;
    m->temperature = 1.25f;
    char *js = dg_meta_prior_to_json(m);
    GError *error = NULL;
    dg_meta_prior *r = dg_meta_prior_from_json(js, 2, &error);
    g_assert_no_error(error);
    g_assert_cmpint(r->n_keys, ==, m->n_keys);
    g_assert_cmpfloat(fabsf(r->weight - 0.7f), <, 1e-6);
    g_assert_cmpfloat(fabsf(r->temperature - 1.25f), <, 1e-6);
    for (int i = 0; i < m->n_keys * 2; i++)
        g_assert_cmpfloat(fabsf(r->llr[i] - m->llr[i]), <, 1e-5);
    char *js2 = dg_meta_prior_to_json(r);
    g_assert_cmpstr(js, ==, js2);
    /* the wrong class count */
    g_assert_null(dg_meta_prior_from_json(js, 3, &error));
    g_assert_nonnull(strstr(error->message, "patient_prior"));
    g_clear_error(&error);
    g_free(js), g_free(js2);
    dg_meta_prior_free(r);
    dg_meta_prior_free(m);

    const char *bad[] = {
        "",
        "[]",
        "{\"weight\": 1}",
        "{\"weight\": \"1\", \"keys\": [], \"llr\": []}",
        "{\"weight\": 9, \"keys\": [\"sex:male\"], \"llr\": [[0, 0]]}",
        "{\"weight\": 1, \"keys\": [], \"llr\": []}",
        "{\"weight\": 1, \"keys\": [\"sex:male\"], \"llr\": [[0, 0], [0, 0]]}",
        "{\"weight\": 1, \"keys\": [\"sex:Male\"], \"llr\": [[0, 0]]}",
        "{\"weight\": 1, \"keys\": [\"age:41-50\"], \"llr\": [[0, 0]]}",
        "{\"weight\": 1, \"keys\": [\"eye:blue\"], \"llr\": [[0, 0]]}",
        "{\"weight\": 1, \"keys\": [\"sex:male\", \"sex:male\"], \"llr\": [[0, 0], [0, 0]]}",
        "{\"weight\": 1, \"keys\": [\"sex:male\", \"sex:female\"], \"llr\": [[0, 0], [0, 0]]}",
        "{\"weight\": 1, \"keys\": [\"sex:male\"], \"llr\": [[0]]}",
        "{\"weight\": 1, \"keys\": [\"sex:male\"], \"llr\": [[0, 1e300]]}",
        "{\"weight\": 1, \"keys\": [\"sex:male\"], \"llr\": [[0, null]]}",
        "{\"weight\": 1, \"keys\": [7], \"llr\": [[0, 0]]}",
        "{\"weight\": 1, \"temperature\": 0, \"keys\": [\"sex:male\"], \"llr\": [[0, 0]]}",
        "{\"weight\": 1, \"temperature\": \"x\", \"keys\": [\"sex:male\"], \"llr\": [[0, 0]]}",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_null(dg_meta_prior_from_json(bad[i], 2, &error));
        g_assert_nonnull(error);
        g_assert_null(strchr(error->message, '\n'));
        g_clear_error(&error);
    }
    g_assert_null(dg_meta_prior_from_json(NULL, 2, &error));
    g_clear_error(&error);
    /* integers are numbers too */
    r = dg_meta_prior_from_json("{\"weight\": 1, \"keys\": [\"site:back\"], \"llr\": [[0, 1]]}", 2, &error);
    g_assert_no_error(error);
    g_assert_cmpfloat(r->llr[1], ==, 1.0f);
    dg_meta_prior_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/meta-prior/keys", test_keys);
    g_test_add_func("/meta-prior/fit-apply", test_fit_apply);
    g_test_add_func("/meta-prior/json", test_json);
    return g_test_run();
}

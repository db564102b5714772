/* Tests for evaluation metrics and distribution distances (engine/models/dg-metrics). */
#include "models/dg-metrics.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/dg-classifier-post.h"
#include "numerics/dg-rng.h"

#define assert_near(a, b, tol) g_assert_cmpfloat_with_epsilon((a), (b), (tol))

/* ---- classification ---------------------------------------------------- */

/* Six samples, three classes; every number below is worked out by hand.
 *   sample  label  probs              pred  ok  conf  ECE bin (b/15, (b+1)/15]
 *   0       0      .70 .20 .10        0     y   .70   10
 *   1       0      .30 .65 .05        1     n   .65    9
 *   2       1      .10 .85 .05        1     y   .85   12
 *   3       1      .20 .50 .30        1     y   .50    7
 *   4       2      .50 .10 .40        0     n   .50    7
 *   5       2      .10 .05 .85        2     y   .85   12 */
static const int ex_labels[6] = {0, 0, 1, 1, 2, 2};
static const float ex_probs[18] = {
    .70f, .20f, .10f, .30f, .65f, .05f, .10f, .85f, .05f,
    .20f, .50f, .30f, .50f, .10f, .40f, .10f, .05f, .85f,
};

static void test_hand_example(void)
{
    g_autoptr(dg_metrics) m = dg_metrics_compute(6, 3, ex_probs, ex_labels, 1, 0);
    g_assert_nonnull(m);
    g_assert_cmpint(m->n, ==, 6);
    g_assert_cmpint(m->K, ==, 3);
    assert_near(m->accuracy, 4.0 / 6, 1e-12);

    /* Confusion matrix (rows = true): [1 1 0; 0 2 0; 1 0 1]. */
    const int cm[9] = {1, 1, 0, 0, 2, 0, 1, 0, 1};
    g_assert_cmpmem(m->confusion, sizeof cm, cm, sizeof cm);
    int diag = 0;
    for (int k = 0; k < 3; k++)
        diag += m->confusion[k * 3 + k];
    assert_near((double)diag / m->n, m->accuracy, 1e-15);

    /* Recall 1/2, 1, 1/2; precision 1/2, 2/3, 1; F1 1/2, 4/5, 2/3. */
    const double recall[3] = {0.5, 1, 0.5}, precision[3] = {0.5, 2.0 / 3, 1},
                 f1[3] = {0.5, 0.8, 2.0 / 3}, auc[3] = {7.0 / 8, 7.0 / 8, 1};
    const int support[3] = {2, 2, 2}, predicted[3] = {2, 3, 1};
    for (int k = 0; k < 3; k++) {
        assert_near(m->per_class[k].recall, recall[k], 1e-12);
        assert_near(m->per_class[k].precision, precision[k], 1e-12);
        assert_near(m->per_class[k].f1, f1[k], 1e-12);
        assert_near(m->per_class[k].auc, auc[k], 1e-12);
        g_assert_cmpint(m->per_class[k].support, ==, support[k]);
        g_assert_cmpint(m->per_class[k].predicted, ==, predicted[k]);
    }
    assert_near(m->balanced_accuracy, 2.0 / 3, 1e-12);
    assert_near(m->macro_f1, 59.0 / 90, 1e-12);
    assert_near(m->auc_macro, (7.0 / 8 + 7.0 / 8 + 1) / 3, 1e-12);
    /* ECE: bin 7 {.5 wrong, .5 right}: 0; bin 9 {.65 wrong}: .65;
     * bin 10 {.70 right}: .30; bin 12 {.85, .85 both right}: 2 * .15. */
    assert_near(m->ece, (0.65 + 0.30 + 0.30) / 6, 1e-7);
    /* No bootstrap asked for. */
    g_assert_true(isnan(m->balanced_accuracy_ci95[0]) && isnan(m->balanced_accuracy_ci95[1]));
}

static void test_auc_ties(void)
{
    /* Class 1 scores: positives {.75, .25}, negatives {.75, .25}: pairs
     * (.75,.75) 1/2, (.75,.25) 1, (.25,.75) 0, (.25,.25) 1/2 -> 2/4. */
    const int labels[4] = {1, 1, 0, 0};
    const float probs[8] = {.25f, .75f, .75f, .25f, .25f, .75f, .75f, .25f};
    g_autoptr(dg_metrics) m = dg_metrics_compute(4, 2, probs, labels, 0, 0);
    assert_near(m->per_class[1].auc, 0.5, 1e-12);
    assert_near(m->per_class[0].auc, 0.5, 1e-12);

    /* One positive at .5 against negatives {.5, .25}: (1/2 + 1) / 2 = .75;
     * class 0 (scores 1 - p): positives {.5, .75} against {.5}: (1/2 + 1) / 2. */
    const int l2[3] = {1, 0, 0};
    const float p2[6] = {.5f, .5f, .5f, .5f, .75f, .25f};
    g_autoptr(dg_metrics) m2 = dg_metrics_compute(3, 2, p2, l2, 0, 0);
    assert_near(m2->per_class[1].auc, 0.75, 1e-12);
    assert_near(m2->per_class[0].auc, 0.75, 1e-12);
    /* argmax ties go to the first class: samples 0 and 1 are predicted 0. */
    g_assert_cmpint(m2->confusion[1 * 2 + 0], ==, 1);
    g_assert_cmpint(m2->confusion[0 * 2 + 0], ==, 2);

    /* All scores equal: AUC 1/2 exactly. */
    const int l3[4] = {0, 1, 0, 1};
    const float p3[8] = {.5f, .5f, .5f, .5f, .5f, .5f, .5f, .5f};
    g_autoptr(dg_metrics) m3 = dg_metrics_compute(4, 2, p3, l3, 0, 0);
    g_assert_cmpfloat(m3->per_class[0].auc, ==, 0.5);
    g_assert_cmpfloat(m3->per_class[1].auc, ==, 0.5);
}

/* Class 2 never occurs; class 3 has no samples but is predicted once. */
static void test_missing_classes(void)
{
    const int labels[4] = {0, 0, 1, 1};
    const float probs[16] = {
        .9f, .1f, 0, 0,  /* 0 -> 0 */
        .1f, .2f, 0, .7f, /* 0 -> 3 */
        .2f, .8f, 0, 0,  /* 1 -> 1 */
        .4f, .6f, 0, 0,  /* 1 -> 1 */
    };
    g_autoptr(dg_metrics) m = dg_metrics_compute(4, 4, probs, labels, 7, 200);
    const dg_class_metrics *c2 = &m->per_class[2], *c3 = &m->per_class[3];
    g_assert_cmpint(c2->support, ==, 0);
    g_assert_cmpint(c2->predicted, ==, 0);
    g_assert_true(isnan(c2->precision) && isnan(c2->recall) && isnan(c2->f1) && isnan(c2->auc));
    g_assert_cmpint(c3->support, ==, 0);
    g_assert_cmpint(c3->predicted, ==, 1);
    g_assert_cmpfloat(c3->precision, ==, 0);
    g_assert_cmpfloat(c3->recall, ==, 0);
    g_assert_cmpfloat(c3->f1, ==, 0);
    g_assert_true(isnan(c3->auc));
    /* Balanced accuracy over classes 0 and 1 only: (1/2 + 1) / 2. */
    assert_near(m->balanced_accuracy, 0.75, 1e-12);
    /* Macro F1 over classes 0, 1, 3: F1_0 = 2/3 (P 1, R 1/2), F1_1 = 1, F1_3 = 0. */
    assert_near(m->macro_f1, (2.0 / 3 + 1 + 0) / 3, 1e-12);
    /* Macro AUC over classes 0 and 1: class 0 scores {.9,.1 | .2,.4} -> 2/4;
     * class 1 scores {.8,.6 | .1,.2} -> 1. */
    assert_near(m->per_class[0].auc, 0.5, 1e-12);
    assert_near(m->per_class[1].auc, 1.0, 1e-12);
    assert_near(m->auc_macro, 0.75, 1e-12);

    /* In JSON the undefined values are null. */
    const char *ids[] = {"akiec", "bcc", "bkl", "mel"};
    JsonNode *root = dg_metrics_to_json(m, ids);
    JsonObject *pc = json_object_get_object_member(json_node_get_object(root), "per_class");
    JsonObject *bkl = json_object_get_object_member(pc, "bkl");
    g_assert_true(json_object_get_null_member(bkl, "precision"));
    g_assert_true(json_object_get_null_member(bkl, "recall"));
    g_assert_true(json_object_get_null_member(bkl, "f1"));
    g_assert_true(json_object_get_null_member(bkl, "auc"));
    g_assert_cmpint(json_object_get_int_member(bkl, "support"), ==, 0);
    JsonObject *mel = json_object_get_object_member(pc, "mel");
    g_assert_true(json_object_get_null_member(mel, "auc"));
    g_assert_cmpfloat(json_object_get_double_member(mel, "precision"), ==, 0);
    json_node_unref(root);
}

static void test_perfect_and_worst(void)
{
    /* Perfect and fully confident: everything 1, ECE 0. */
    const int labels[6] = {0, 1, 2, 0, 1, 2};
    float probs[18] = {0};
    for (int i = 0; i < 6; i++)
        probs[i * 3 + labels[i]] = 1;
    g_autoptr(dg_metrics) m = dg_metrics_compute(6, 3, probs, labels, 3, 100);
    g_assert_cmpfloat(m->accuracy, ==, 1);
    g_assert_cmpfloat(m->balanced_accuracy, ==, 1);
    g_assert_cmpfloat(m->macro_f1, ==, 1);
    g_assert_cmpfloat(m->auc_macro, ==, 1);
    g_assert_cmpfloat(m->ece, ==, 0);
    g_assert_cmpfloat(m->balanced_accuracy_ci95[0], ==, 1);
    g_assert_cmpfloat(m->balanced_accuracy_ci95[1], ==, 1);
    for (int k = 0; k < 3; k++)
        g_assert_cmpint(m->confusion[k * 3 + k], ==, 2);

    /* Always wrong, confidently: 0 everywhere, AUC 0, ECE 0.9. */
    const int l2[4] = {0, 0, 1, 1};
    const float p2[8] = {.1f, .9f, .1f, .9f, .9f, .1f, .9f, .1f};
    g_autoptr(dg_metrics) w = dg_metrics_compute(4, 2, p2, l2, 3, 100);
    g_assert_cmpfloat(w->accuracy, ==, 0);
    g_assert_cmpfloat(w->balanced_accuracy, ==, 0);
    g_assert_cmpfloat(w->macro_f1, ==, 0);
    g_assert_cmpfloat(w->auc_macro, ==, 0);
    assert_near(w->ece, 0.9, 1e-7);
    const int cm[4] = {0, 2, 2, 0};
    g_assert_cmpmem(w->confusion, sizeof cm, cm, sizeof cm);
    g_assert_cmpfloat(w->balanced_accuracy_ci95[1], ==, 0);
}

/* Perfectly calibrated: in each bin the accuracy equals the confidence. */
static void test_ece_calibrated(void)
{
    /* 10 samples at .70 (7 right), 4 at .75 (3 right), 2 at .5 (1 right). */
    int labels[16];
    float probs[32];
    int i = 0;
    for (int k = 0; k < 10; k++, i++) {
        probs[2 * i] = .7f, probs[2 * i + 1] = .3f;
        labels[i] = k < 7 ? 0 : 1;
    }
    for (int k = 0; k < 4; k++, i++) {
        probs[2 * i] = .25f, probs[2 * i + 1] = .75f;
        labels[i] = k < 3 ? 1 : 0;
    }
    for (int k = 0; k < 2; k++, i++) {
        probs[2 * i] = .5f, probs[2 * i + 1] = .5f;
        labels[i] = k;
    }
    g_autoptr(dg_metrics) m = dg_metrics_compute(16, 2, probs, labels, 0, 0);
    assert_near(m->ece, 0, 1e-7);
    assert_near(m->accuracy, 11.0 / 16, 1e-12);

    /* The same predictions, one more wrong at .75: that bin is off by 1/4
     * and holds 4/16 of the samples. */
    labels[10] = 0;
    g_autoptr(dg_metrics) m2 = dg_metrics_compute(16, 2, probs, labels, 0, 0);
    assert_near(m2->ece, 4.0 / 16 * 0.25, 1e-7);
}

/* Temperature scaling recovers the temperature of logits whose labels were
 * drawn from softmax(logits / T + bias): with a bias (as the logit
 * adjustment adds) and without. */
static void test_fit_temperature(void)
{
    enum { N = 20000, K = 4 };
    static float z[N * K];
    static int y[N];
    const float bias[K] = {0.4f, -0.3f, 0.0f, -0.8f};
    const double temps[] = {0.5, 2.5};
    for (int with_bias = 0; with_bias < 2; with_bias++)
        for (size_t t = 0; t < G_N_ELEMENTS(temps); t++) {
            dg_rng rng;
            dg_rng_seed(&rng, 7 + t);
            for (int i = 0; i < N; i++) {
                double p[K], sum = 0.0;
                for (int k = 0; k < K; k++) {
                    double u = 1.5 * dg_rng_normal(&rng);
                    z[i * K + k] = (float)(u * temps[t]);
                    p[k] = exp(u + (with_bias ? bias[k] : 0.0));
                    sum += p[k];
                }
                double r = dg_rng_uniform(&rng) * sum;
                y[i] = K - 1;
                for (int k = 0; k < K; k++)
                    if ((r -= p[k]) < 0) {
                        y[i] = k;
                        break;
                    }
            }
            double T = dg_fit_temperature(z, y, N, K, with_bias ? bias : NULL);
            g_test_message("true temperature %.2f, bias %d: fitted %.4f", temps[t], with_bias, T);
            assert_near(T, temps[t], 0.04 * temps[t]);
            /* the ECE at the fitted temperature is that of a calibrated model */
            g_assert_cmpfloat(dg_ece_of_logits(z, y, N, K, T, with_bias ? bias : NULL), <, 0.02);
        }
}

/* A larger random problem for the bootstrap. */
static void random_problem(int n, int K, float *probs, int *labels, uint64_t seed)
{
    dg_rng rng;
    dg_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        labels[i] = (int)dg_rng_below(&rng, (uint32_t)K);
        float sum = 0;
        for (int k = 0; k < K; k++) {
            float logit = dg_rng_normal(&rng) + (k == labels[i] ? 1.0f : 0.0f);
            probs[i * K + k] = expf(logit);
            sum += probs[i * K + k];
        }
        for (int k = 0; k < K; k++)
            probs[i * K + k] /= sum;
    }
}

static void test_bootstrap(void)
{
    enum { N = 400, K = 4 };
    float *probs = g_new(float, N * K);
    int labels[N];
    random_problem(N, K, probs, labels, 11);
    g_autoptr(dg_metrics) a = dg_metrics_compute(N, K, probs, labels, 42, DG_METRICS_N_BOOT);
    g_autoptr(dg_metrics) b = dg_metrics_compute(N, K, probs, labels, 42, DG_METRICS_N_BOOT);
    g_autoptr(dg_metrics) c = dg_metrics_compute(N, K, probs, labels, 43, DG_METRICS_N_BOOT);
    g_test_message("balanced accuracy %.4f, 95%% interval [%.4f, %.4f]", a->balanced_accuracy,
                   a->balanced_accuracy_ci95[0], a->balanced_accuracy_ci95[1]);
    g_assert_cmpint(a->n_boot, ==, DG_METRICS_N_BOOT);
    g_assert_cmpfloat(a->balanced_accuracy_ci95[0], <, a->balanced_accuracy);
    g_assert_cmpfloat(a->balanced_accuracy, <, a->balanced_accuracy_ci95[1]);
    /* Deterministic per seed, different across seeds. */
    g_assert_cmpfloat(a->balanced_accuracy_ci95[0], ==, b->balanced_accuracy_ci95[0]);
    g_assert_cmpfloat(a->balanced_accuracy_ci95[1], ==, b->balanced_accuracy_ci95[1]);
    g_assert_true(a->balanced_accuracy_ci95[0] != c->balanced_accuracy_ci95[0] ||
                  a->balanced_accuracy_ci95[1] != c->balanced_accuracy_ci95[1]);
    /* A plausible width: the binomial standard error of a mean of four
     * recalls over ~100 samples each is about 0.025, so the interval is
     * roughly +-0.05. */
    double width = a->balanced_accuracy_ci95[1] - a->balanced_accuracy_ci95[0];
    g_assert_cmpfloat(width, >, 0.05);
    g_assert_cmpfloat(width, <, 0.15);
    /* ECE's spread over the same resamples: deterministic, of a plausible
     * size, and exact where every resample's ECE is known */
    g_test_message("ECE %.4f, bootstrap sd %.4f", a->ece, a->ece_sd);
    g_assert_cmpfloat(a->ece_sd, ==, b->ece_sd);
    g_assert_cmpfloat(a->ece_sd, >, 0.002);
    g_assert_cmpfloat(a->ece_sd, <, 0.05);
    for (int i = 0; i < N; i++) /* one-hot: right on even samples, wrong on odd ones */
        for (int k = 0; k < K; k++)
            probs[i * K + k] = k == (i % 2 ? (labels[i] + 1) % K : labels[i]);
    g_autoptr(dg_metrics) h = dg_metrics_compute(N, K, probs, labels, 42, DG_METRICS_N_BOOT);
    assert_near(h->ece, 0.5, 1e-12); /* confidence 1, accuracy 1/2 */
    /* in every resample ECE = 1 - its accuracy, a binomial share of n draws:
     * sd sqrt(0.25 / N) = 0.025 */
    g_test_message("one-hot: ECE %.4f, bootstrap sd %.4f", h->ece, h->ece_sd);
    g_assert_cmpfloat(fabs(h->ece_sd - 0.025), <, 0.003);
    g_free(probs);
}

static void test_json(void)
{
    g_autoptr(dg_metrics) m = dg_metrics_compute(6, 3, ex_probs, ex_labels, 5, 50);
    const char *ids[] = {"bcc", "bkl", "mel"};
    JsonNode *root = dg_metrics_to_json(m, ids);
    JsonObject *o = json_node_get_object(root);
    const char *keys[] = {"accuracy", "balanced_accuracy", "balanced_accuracy_ci95", "macro_f1",
                          "auc_macro", "ece", "ece_sd", "n", "per_class", "confusion_matrix"};
    GList *members = json_object_get_members(o);
    g_assert_cmpuint(g_list_length(members), ==, G_N_ELEMENTS(keys));
    int i = 0;
    for (GList *l = members; l; l = l->next, i++)
        g_assert_cmpstr(l->data, ==, keys[i]);
    g_list_free(members);

    assert_near(json_object_get_double_member(o, "accuracy"), 4.0 / 6, 1e-12);
    assert_near(json_object_get_double_member(o, "macro_f1"), 59.0 / 90, 1e-12);
    g_assert_cmpint(json_object_get_int_member(o, "n"), ==, 6);
    JsonArray *ci = json_object_get_array_member(o, "balanced_accuracy_ci95");
    g_assert_cmpuint(json_array_get_length(ci), ==, 2);
    g_assert_cmpfloat(json_array_get_double_element(ci, 0), ==, m->balanced_accuracy_ci95[0]);

    JsonObject *pc = json_object_get_object_member(o, "per_class");
    g_assert_cmpuint(json_object_get_size(pc), ==, 3);
    JsonObject *mel = json_object_get_object_member(pc, "mel");
    const char *ckeys[] = {"precision", "recall", "f1", "auc", "support"};
    members = json_object_get_members(mel);
    i = 0;
    for (GList *l = members; l; l = l->next, i++)
        g_assert_cmpstr(l->data, ==, ckeys[i]);
    g_assert_cmpint(i, ==, 5);
    g_list_free(members);
    assert_near(json_object_get_double_member(mel, "f1"), 2.0 / 3, 1e-12);
    g_assert_cmpint(json_object_get_int_member(mel, "support"), ==, 2);

    JsonObject *cm = json_object_get_object_member(o, "confusion_matrix");
    JsonArray *labels = json_object_get_array_member(cm, "labels");
    g_assert_cmpstr(json_array_get_string_element(labels, 2), ==, "mel");
    JsonArray *rows = json_object_get_array_member(cm, "matrix");
    g_assert_cmpuint(json_array_get_length(rows), ==, 3);
    JsonArray *row2 = json_array_get_array_element(rows, 2);
    g_assert_cmpint(json_array_get_int_element(row2, 0), ==, 1);
    g_assert_cmpint(json_array_get_int_element(row2, 1), ==, 0);
    g_assert_cmpint(json_array_get_int_element(row2, 2), ==, 1);

    /* It serializes as JSON (no NaN tokens), and default ids are indices. */
    JsonGenerator *gen = json_generator_new();
    json_generator_set_root(gen, root);
    g_autofree char *text = json_generator_to_data(gen, NULL);
    g_object_unref(gen);
    g_assert_null(strstr(text, "nan"));
    json_node_unref(root);

    g_autoptr(dg_metrics) empty = dg_metrics_compute(0, 2, NULL, NULL, 0, 100);
    root = dg_metrics_to_json(empty, NULL);
    gen = json_generator_new();
    json_generator_set_root(gen, root);
    g_autofree char *t2 = json_generator_to_data(gen, NULL);
    g_object_unref(gen);
    g_test_message("%s", t2);
    g_assert_cmpstr(t2, ==,
                    "{\"accuracy\":null,\"balanced_accuracy\":null,\"balanced_accuracy_ci95\":[null,null],"
                    "\"macro_f1\":null,\"auc_macro\":null,\"ece\":null,\"ece_sd\":null,\"n\":0,\"per_class\":{"
                    "\"0\":{\"precision\":null,\"recall\":null,\"f1\":null,\"auc\":null,\"support\":0},"
                    "\"1\":{\"precision\":null,\"recall\":null,\"f1\":null,\"auc\":null,\"support\":0}},"
                    "\"confusion_matrix\":{\"labels\":[\"0\",\"1\"],\"matrix\":[[0,0],[0,0]]}}");
    json_node_unref(root);
}

static void test_bad_labels(void)
{
    const int labels[2] = {0, 3};
    const float probs[6] = {1, 0, 0, 0, 1, 0};
    g_test_expect_message("dermagan", G_LOG_LEVEL_CRITICAL, "*label 3 of sample 1*");
    g_assert_null(dg_metrics_compute(2, 3, probs, labels, 0, 0));
    g_test_assert_expected_messages();
}

/* ---- aggregation ------------------------------------------------------- */

static void test_summarize(void)
{
    const double x[4] = {1, 2, 3, 4};
    dg_summary s = dg_summarize(x, 4);
    g_assert_cmpint(s.n, ==, 4);
    assert_near(s.mean, 2.5, 1e-15);
    assert_near(s.std, sqrt(5.0 / 3), 1e-15);
    s = dg_summarize(x, 1);
    g_assert_cmpfloat(s.mean, ==, 1);
    g_assert_true(isnan(s.std));
    s = dg_summarize(NULL, 0);
    g_assert_true(isnan(s.mean));
}

static void test_paired(void)
{
    /* Three seeds, b better on each: d = .05, .02, .03. */
    const double a[3] = {0.70, 0.72, 0.68}, b[3] = {0.75, 0.74, 0.71};
    dg_paired p = dg_paired_compare(a, b, 3);
    assert_near(p.mean, 0.1 / 3, 1e-12);
    assert_near(p.std, sqrt((pow(0.05 - 0.1 / 3, 2) + pow(0.02 - 0.1 / 3, 2) +
                             pow(0.03 - 0.1 / 3, 2)) / 2), 1e-12);
    assert_near(p.t, p.mean / (p.std / sqrt(3)), 1e-9);
    assert_near(p.t, 3.7796447, 1e-6);
    /* Only the all-plus and all-minus patterns reach |.10|: 2/8. */
    g_assert_cmpfloat(p.p, ==, 0.25);

    /* d = 1, -1, 2, .5 (b - a): observed |2.5|; 8 of 16 sign patterns reach it. */
    const double a2[4] = {0, 1, 0, 0}, b2[4] = {1, 0, 2, 0.5};
    p = dg_paired_compare(a2, b2, 4);
    assert_near(p.mean, 2.5 / 4, 1e-15);
    g_assert_cmpfloat(p.p, ==, 0.5);

    /* No difference at all. */
    p = dg_paired_compare(a, a, 3);
    g_assert_cmpfloat(p.mean, ==, 0);
    g_assert_cmpfloat(p.p, ==, 1);
    g_assert_true(isnan(p.t));

    /* Beyond 20 pairs: random sign patterns. */
    double za[24] = {0}, zb[24];
    for (int i = 0; i < 24; i++)
        zb[i] = 0.01 + 0.001 * i;
    p = dg_paired_compare(za, zb, 24);
    g_assert_cmpfloat(p.p, <, 1e-4);
    g_assert_cmpfloat(p.p, >, 0);
    for (int i = 0; i < 24; i++)
        zb[i] = i % 2 ? 0.01 : -0.01;
    p = dg_paired_compare(za, zb, 24);
    g_assert_cmpfloat(p.p, ==, 1);
}

/* ---- symmetric matrices ------------------------------------------------ */

static void random_spd(dg_rng *rng, int n, double *A, double ridge)
{
    double *B = g_new(double, n * n);
    for (int i = 0; i < n * n; i++)
        B[i] = dg_rng_normal(rng);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++)
                s += B[i * n + k] * B[j * n + k];
            A[i * n + j] = s + (i == j ? ridge : 0);
        }
    g_free(B);
}

static void test_sym_eigen(void)
{
    dg_rng rng;
    dg_rng_seed(&rng, 5);
    const int n = 24;
    double *A = g_new(double, n * n), *a = g_new(double, n * n), *V = g_new(double, n * n);
    double w[24];
    random_spd(&rng, n, A, 0);
    memcpy(a, A, sizeof(double) * n * n);
    g_assert_true(dg_sym_eigen(n, a, w, V));
    double norm = 0;
    for (int i = 0; i < n * n; i++)
        norm = fmax(norm, fabs(A[i]));
    for (int k = 0; k + 1 < n; k++)
        g_assert_cmpfloat(w[k], <=, w[k + 1]);
    /* A v_k = w_k v_k, and V is orthonormal. */
    for (int k = 0; k < n; k++)
        for (int i = 0; i < n; i++) {
            double av = 0;
            for (int j = 0; j < n; j++)
                av += A[i * n + j] * V[j * n + k];
            g_assert_cmpfloat(fabs(av - w[k] * V[i * n + k]), <, 1e-11 * norm);
        }
    for (int k = 0; k < n; k++)
        for (int l = 0; l < n; l++) {
            double dot = 0;
            for (int i = 0; i < n; i++)
                dot += V[i * n + k] * V[i * n + l];
            g_assert_cmpfloat(fabs(dot - (k == l)), <, 1e-12);
        }
    /* A known spectrum. */
    double D[9] = {2, 1, 0, 1, 2, 0, 0, 0, 5}; /* eigenvalues 1, 3, 5 */
    double w3[3];
    g_assert_true(dg_sym_eigen(3, D, w3, NULL));
    assert_near(w3[0], 1, 1e-14);
    assert_near(w3[1], 3, 1e-14);
    assert_near(w3[2], 5, 1e-14);
    g_free(A);
    g_free(a);
    g_free(V);
}

static void test_sym_sqrt(void)
{
    dg_rng rng;
    dg_rng_seed(&rng, 9);
    for (int n = 1; n <= 40; n += 13) {
        double *A = g_new(double, n * n), *R = g_new(double, n * n);
        random_spd(&rng, n, A, 0.1);
        g_assert_true(dg_sym_sqrt(n, A, R));
        double norm = 0, err = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double rr = 0;
                for (int k = 0; k < n; k++)
                    rr += R[i * n + k] * R[k * n + j];
                err = fmax(err, fabs(rr - A[i * n + j]));
                norm = fmax(norm, fabs(A[i * n + j]));
                g_assert_cmpfloat(R[i * n + j], ==, R[j * n + i]);
            }
        g_test_message("n = %d: max |R*R - A| = %.3g (max |A| = %.3g)", n, err, norm);
        g_assert_cmpfloat(err, <, 1e-12 * norm);
        /* R is positive definite: its eigenvalues are sqrt of A's. */
        double *r = g_memdup2(R, sizeof(double) * n * n), *wr = g_new(double, n);
        dg_sym_eigen(n, r, wr, NULL);
        g_assert_cmpfloat(wr[0], >, 0);
        g_free(r);
        g_free(wr);
        g_free(A);
        g_free(R);
    }
    /* Rank one, PSD: sqrt(b b^T) = b b^T / |b|. */
    const double b[3] = {1, 2, 2};
    double A[9], R[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            A[i * 3 + j] = b[i] * b[j];
    g_assert_true(dg_sym_sqrt(3, A, R));
    for (int i = 0; i < 9; i++)
        assert_near(R[i], A[i] / 3, 1e-7); /* sqrt of round-off eigenvalues ~ 1e-8 */
}

/* ---- distances --------------------------------------------------------- */

static float *gaussian(dg_rng *rng, int n, int d, const double *mean, const double *scale)
{
    float *x = g_new(float, (size_t)n * d);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            x[i * d + j] = (float)(mean[j] + scale[j] * dg_rng_normal(rng));
    return x;
}

static void sample_stats(const float *x, int n, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++)
        s += x[i];
    *mean = s / n;
    for (int i = 0; i < n; i++)
        ss += (x[i] - *mean) * (x[i] - *mean);
    *sd = sqrt(ss / (n - 1));
}

static void test_frechet_1d(void)
{
    dg_rng rng;
    dg_rng_seed(&rng, 1);
    const double m1 = 2, s1 = 3, m2 = -1, s2 = 0.5;
    float *x1 = gaussian(&rng, 500, 1, &m1, &s1), *x2 = gaussian(&rng, 300, 1, &m2, &s2);
    double mu1, sd1, mu2, sd2;
    sample_stats(x1, 500, &mu1, &sd1);
    sample_stats(x2, 300, &mu2, &sd2);
    double expect = (mu1 - mu2) * (mu1 - mu2) + (sd1 - sd2) * (sd1 - sd2);
    double fd = dg_frechet_distance(x1, 500, x2, 300, 1);
    g_test_message("1-D: %.12g, closed form %.12g", fd, expect);
    assert_near(fd, expect, 1e-10 * expect);
    /* near the population value (9 + 6.25) */
    assert_near(fd, 15.25, 1.5);
    g_free(x1);
    g_free(x2);
}

/* A two-level factorial design has exactly uncorrelated columns, so the
 * sample covariances are diagonal and the distance has a closed form. */
static float *factorial(int d, const double *mean, const double *half_range, int reps, int *n)
{
    *n = reps << d;
    float *x = g_new(float, (size_t)*n * d);
    for (int i = 0; i < *n; i++)
        for (int j = 0; j < d; j++)
            x[i * d + j] = (float)(mean[j] + ((i >> j) & 1 ? half_range[j] : -half_range[j]));
    return x;
}

static void test_frechet_diagonal(void)
{
    const int d = 4;
    const double m1[4] = {0, 1, -2, 0.5}, h1[4] = {1, 2, 0.5, 0.25};
    const double m2[4] = {1, 1, 0, -0.5}, h2[4] = {0.5, 2, 1.5, 4};
    int n1, n2;
    float *x1 = factorial(d, m1, h1, 1, &n1), *x2 = factorial(d, m2, h2, 3, &n2);
    double expect = 0;
    for (int j = 0; j < d; j++) {
        double sd1 = h1[j] * sqrt((double)n1 / (n1 - 1)), sd2 = h2[j] * sqrt((double)n2 / (n2 - 1));
        expect += (m1[j] - m2[j]) * (m1[j] - m2[j]) + (sd1 - sd2) * (sd1 - sd2);
    }
    double fd = dg_frechet_distance(x1, n1, x2, n2, d);
    g_test_message("diagonal: %.12g, closed form %.12g", fd, expect);
    assert_near(fd, expect, 1e-10 * expect);
    g_free(x1);
    g_free(x2);
}

static void test_frechet_identical_symmetric(void)
{
    dg_rng rng;
    dg_rng_seed(&rng, 2);
    enum { D = 12 };
    double mean[D], scale[D];
    for (int j = 0; j < D; j++)
        mean[j] = j * 0.1, scale[j] = 1 + j * 0.2;
    float *x1 = gaussian(&rng, 200, D, mean, scale), *x2 = gaussian(&rng, 150, D, mean, scale);
    /* mix the columns so the covariances are full */
    for (int i = 0; i < 200; i++)
        for (int j = 1; j < D; j++)
            x1[i * D + j] += 0.5f * x1[i * D + j - 1];
    double same = dg_frechet_distance(x1, 200, x1, 200, D);
    g_test_message("identical: %.3g", same);
    g_assert_cmpfloat(same, <, 1e-9);
    double ab = dg_frechet_distance(x1, 200, x2, 150, D), ba = dg_frechet_distance(x2, 150, x1, 200, D);
    g_test_message("d(a, b) = %.15g, d(b, a) = %.15g", ab, ba);
    g_assert_cmpfloat(ab, >, 1);
    assert_near(ab, ba, 1e-10 * ab);
    /* More dimensions than samples: singular covariances still work. */
    double sing = dg_frechet_distance(x1, 5, x2, 7, D);
    g_assert_true(isfinite(sing) && sing > 0);
    g_assert_true(isnan(dg_frechet_distance(x1, 1, x2, 7, D)));
    /* A NaN feature gives NaN, not a misleading number. */
    x2[3] = NAN;
    g_assert_true(isnan(dg_frechet_distance(x1, 200, x2, 150, D)));
    g_free(x1);
    g_free(x2);
}

static void test_kernel_distance_hand(void)
{
    /* X = {0, 1}, Y = {1, 2}, d = 1, k(x, y) = (xy + 1)^3:
     * XX off-diagonal mean k(0,1) = 1; YY: k(1,2) = 27;
     * XY mean (1 + 1 + 8 + 27) / 4 = 9.25; MMD^2 = 1 + 27 - 2 * 9.25 = 9.5. */
    const float x[2] = {0, 1}, y[2] = {1, 2};
    dg_kernel_distance_result r = dg_kernel_distance(x, 2, y, 2, 1, 3, 0, 1);
    g_assert_cmpint(r.subset_size, ==, 2);
    g_assert_cmpint(r.n_subsets, ==, 3);
    assert_near(r.mean, 9.5, 1e-12);
    assert_near(r.std, 0, 1e-12);
}

static void test_kernel_distance(void)
{
    dg_rng rng;
    dg_rng_seed(&rng, 3);
    enum { D = 16, N = 300 };
    double zero[D] = {0}, one[D], shift[D];
    for (int j = 0; j < D; j++)
        one[j] = 1, shift[j] = 0.5;
    float *a = gaussian(&rng, N, D, zero, one), *b = gaussian(&rng, N, D, zero, one);
    float *c = gaussian(&rng, N, D, shift, one);
    dg_kernel_distance_result same = dg_kernel_distance(a, N, b, N, D, 20, 200, 7);
    dg_kernel_distance_result diff = dg_kernel_distance(a, N, c, N, D, 20, 200, 7);
    g_test_message("same distribution %.5f +- %.5f, shifted %.5f +- %.5f", same.mean, same.std,
                   diff.mean, diff.std);
    g_assert_cmpint(same.subset_size, ==, 200);
    g_assert_cmpfloat(fabs(same.mean), <, 0.02);
    g_assert_cmpfloat(diff.mean, >, 0.2);
    g_assert_cmpfloat(diff.mean, >, 10 * (fabs(same.mean) + same.std));
    /* Deterministic per seed. */
    dg_kernel_distance_result again = dg_kernel_distance(a, N, c, N, D, 20, 200, 7);
    g_assert_cmpfloat(again.mean, ==, diff.mean);
    g_assert_cmpfloat(again.std, ==, diff.std);
    dg_kernel_distance_result other = dg_kernel_distance(a, N, c, N, D, 20, 200, 8);
    g_assert_cmpfloat(other.mean, !=, diff.mean);
    /* Subset size is capped by the smaller set. */
    dg_kernel_distance_result small = dg_kernel_distance(a, 50, c, N, D, 0, 0, 1);
    g_assert_cmpint(small.subset_size, ==, 50);
    g_assert_cmpint(small.n_subsets, ==, DG_KD_SUBSETS);
    g_assert_true(isnan(dg_kernel_distance(a, 1, c, N, D, 0, 0, 1).mean));
    g_free(a);
    g_free(b);
    g_free(c);
}

/* Cross-check against numpy/torch in float64 with different algorithms:
 * the Frechet distance from the eigenvalues of S1 S2 (not symmetric), the
 * kernel distance from the reference formula on the full sets (with
 * subset_size = n every subset is the whole set). */
static void test_against_torch(void)
{
    if (!g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("/usr/bin/python3 is not installed");
        return;
    }
    dg_rng rng;
    dg_rng_seed(&rng, 4);
    enum { D = 10, N1 = 60, N2 = 40 };
    double mean[D], scale[D], mean2[D], scale2[D];
    for (int j = 0; j < D; j++) {
        mean[j] = 0.1 * j, scale[j] = 0.5 + 0.1 * j;
        mean2[j] = 0.3 * j - 1, scale2[j] = 1.2 - 0.05 * j;
    }
    float *x1 = gaussian(&rng, N1, D, mean, scale), *x2 = gaussian(&rng, N2, D, mean2, scale2);
    for (int i = 0; i < N1; i++)
        for (int j = 1; j < D; j++)
            x1[i * D + j] += 0.7f * x1[i * D + j - 1];
    double fd = dg_frechet_distance(x1, N1, x2, N2, D);
    dg_kernel_distance_result kd = dg_kernel_distance(x1, N2, x2, N2, D, 2, N2, 1);

    g_autofree char *dir = g_dir_make_tmp("dg-metrics-XXXXXX", NULL);
    g_autofree char *f1 = g_build_filename(dir, "x1.f32", NULL);
    g_autofree char *f2 = g_build_filename(dir, "x2.f32", NULL);
    g_assert_true(g_file_set_contents(f1, (const char *)x1, sizeof(float) * N1 * D, NULL));
    g_assert_true(g_file_set_contents(f2, (const char *)x2, sizeof(float) * N2 * D, NULL));
    const char *script =
        "import sys\n"
        "try:\n"
        "    import numpy as np, torch\n"
        "except ImportError:\n"
        "    print('skip'); sys.exit(0)\n"
        "d = int(sys.argv[3])\n"
        "a = torch.from_numpy(np.fromfile(sys.argv[1], dtype='<f4').astype('f8').reshape(-1, d))\n"
        "b = torch.from_numpy(np.fromfile(sys.argv[2], dtype='<f4').astype('f8').reshape(-1, d))\n"
        "s1, s2 = torch.cov(a.T), torch.cov(b.T)\n"
        "ev = torch.linalg.eigvals(s1 @ s2)\n"
        "fd = ((a.mean(0) - b.mean(0)) ** 2).sum() + s1.trace() + s2.trace() - 2 * ev.real.clamp(min=0).sqrt().sum()\n"
        "x, y = a[:b.shape[0]], b\n"
        "m = x.shape[0]\n"
        "k = lambda p, q: (p @ q.T / d + 1) ** 3\n"
        "kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)\n"
        "mmd = (kxx.sum() - kxx.trace() + kyy.sum() - kyy.trace()) / (m * (m - 1)) - 2 * kxy.sum() / (m * m)\n"
        "print('%.17g %.17g' % (fd.item(), mmd.item()))\n";
    g_autofree char *dstr = g_strdup_printf("%d", D);
    const char *argv[] = {"/usr/bin/python3", "-c", script, f1, f2, dstr, NULL};
    g_autofree char *out = NULL, *err = NULL;
    int status;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, NULL));
    if (err && *err)
        g_test_message("python: %s", err);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_unlink(f1);
    g_unlink(f2);
    g_rmdir(dir);
    g_free(x1);
    g_free(x2);
    if (g_str_has_prefix(out, "skip")) {
        g_test_skip("numpy/torch not importable");
        return;
    }
    double fd_ref, kd_ref;
    g_assert_cmpint(sscanf(out, "%lf %lf", &fd_ref, &kd_ref), ==, 2);
    g_test_message("Frechet %.15g (torch %.15g), kernel %.15g (torch %.15g)", fd, fd_ref, kd.mean,
                   kd_ref);
    assert_near(fd, fd_ref, 1e-9 * fd_ref);
    assert_near(kd.mean, kd_ref, 1e-9 * fabs(kd_ref));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/models/metrics/hand-example", test_hand_example);
    g_test_add_func("/models/metrics/auc-ties", test_auc_ties);
    g_test_add_func("/models/metrics/missing-classes", test_missing_classes);
    g_test_add_func("/models/metrics/perfect-and-worst", test_perfect_and_worst);
    g_test_add_func("/models/metrics/ece-calibrated", test_ece_calibrated);
    g_test_add_func("/models/metrics/fit-temperature", test_fit_temperature);
    g_test_add_func("/models/metrics/bootstrap", test_bootstrap);
    g_test_add_func("/models/metrics/json", test_json);
    g_test_add_func("/models/metrics/bad-labels", test_bad_labels);
    g_test_add_func("/models/metrics/summarize", test_summarize);
    g_test_add_func("/models/metrics/paired", test_paired);
    g_test_add_func("/models/metrics/sym-eigen", test_sym_eigen);
    g_test_add_func("/models/metrics/sym-sqrt", test_sym_sqrt);
    g_test_add_func("/models/metrics/frechet-1d", test_frechet_1d);
    g_test_add_func("/models/metrics/frechet-diagonal", test_frechet_diagonal);
    g_test_add_func("/models/metrics/frechet-identical-symmetric", test_frechet_identical_symmetric);
    g_test_add_func("/models/metrics/kernel-distance-hand", test_kernel_distance_hand);
    g_test_add_func("/models/metrics/kernel-distance", test_kernel_distance);
    g_test_add_func("/models/metrics/against-torch", test_against_torch);
    return g_test_run();
}

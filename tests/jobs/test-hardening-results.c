/* test-hardening-results: silent wrong results and crashes from what a
 * model computes, on the tiny generated data set of test-cnn-job: a
 * classifier whose finite weights overflow (a damaged model file) fails
 * calibration, ensembles and distillation with the reason, and never
 * reaches a histogram bin as NaN.  (gan score, gan generate and the
 * ablation with such files: test-ablation-job and test-hardening.) */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "cnn-test-util.h"
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-hardening-results-XXXXXX", NULL);
    data = ct_make_data(tmp);
    g_test_add_func("/hardening/non-finite-classifier", test_non_finite_classifier);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp), g_free(data);
    return rc;
}

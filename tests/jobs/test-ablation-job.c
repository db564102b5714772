/* test-ablation-job: the jobs that use a tiny GAN beside a tiny classifier,
 * end to end on a tiny generated data set: the with/without-GAN ablation and
 * its protocols (fixed share, pretraining, filtering by the classifier) and
 * the GAN quality scores. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "cnn-test-util.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-job-gan.h"
#include "data/dg-dataset.h"
#include "models/dg-model-file.h"
#include "models/dg-safetensors.h"

#if defined(__SANITIZE_ADDRESS__)
/* The ablation's plots use cairo's toy text API; fontconfig under it keeps a
 * few configuration objects for the life of the process: not ours to free. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}
#endif

static char *tmp, *data;

static JsonObject *parse_object(const char *json, JsonNode **keep)
{
    return ct_parse_object(json, keep);
}

static char *trained_model(void)
{
    return ct_trained_model(tmp, data);
}

/* A tiny generator trained on the same data, for the ablation and scores. */
static char *tiny_generator(void)
{
    static char *gen;
    if (!gen) {
        dg_gan_train_config *c = dg_gan_train_config_new();
        c->data = g_strdup(data);
        c->out = g_build_filename(tmp, "gan", NULL);
        g_free(c->preset);
        c->preset = g_strdup("tiny");
        c->steps = 6;
        c->threads = 2;
        c->cache_dir = g_strdup("");
        jt_must_succeed(&dg_job_gan_train, c);
        gen = g_build_filename(tmp, "gan", "generator.safetensors", NULL);
    }
    return gen;
}

static gint64 run_steps(const char *dir)
{
    char *ck = g_build_filename(dir, "checkpoint.safetensors", NULL);
    GError *error = NULL;
    dg_st *st = dg_st_load(ck, &error);
    g_assert_no_error(error);
    const dg_st_tensor *t = dg_st_find(st, "state");
    g_assert_nonnull(t);
    gint64 n;
    memcpy(&n, t->data, 8);
    dg_st_free(st);
    g_free(ck);
    return n;
}

/* The setting key of the training in run_dir, as its checkpoint records it. */
static char *run_setting(const char *run_dir, const char *key)
{
    char *ck = g_build_filename(run_dir, "checkpoint.safetensors", NULL);
    GError *error = NULL;
    dg_st *st = dg_st_load(ck, &error);
    g_assert_no_error(error);
    JsonNode *keep;
    JsonObject *o = parse_object(dg_st_metadata(st, "run"), &keep);
    char *v = g_strdup(json_object_get_string_member_with_default(o, key, NULL));
    json_node_unref(keep);
    dg_st_free(st);
    g_free(ck);
    return v;
}

/* The fixed-share and pretraining protocols: the same optimizer steps as real
 * only (pretraining's two stages together), one protocol chosen on validation,
 * every protocol's paired difference reported; every training with the
 * ablation's colour shift. */
static void test_ablation_protocols(void)
{
    char *out = g_build_filename(tmp, "ablation-protocols", NULL);
    dg_ablation_config *c = dg_ablation_config_new();
    c->data = g_strdup(data);
    c->out = g_strdup(out);
    g_free(c->arch);
    c->arch = g_strdup("seed");
    c->generator = g_strdup(tiny_generator());
    c->seeds = 2;
    c->epochs = 2;
    c->threads = 2;
    c->cache_dir = g_strdup("");
    g_free(c->protocols);
    c->protocols = g_strdup("share, pretrain");
    c->color_shift = 0.25; /* not the default */
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    g_assert_cmpint(jt_run(&dg_job_ablation, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    JsonNode *keep;
    JsonObject *o = parse_object(s.result_json, &keep);
    JsonArray *pr = json_object_get_array_member(o, "protocols");
    g_assert_cmpuint(json_array_get_length(pr), ==, 3);
    const char *chosen = json_object_get_string_member(o, "chosen_protocol");
    g_assert_true(g_strcmp0(chosen, "share") == 0 || g_strcmp0(chosen, "pretrain") == 0);
    /* the chosen one has the best mean validation balanced accuracy */
    double vbest = -1, vchosen = -2;
    for (guint i = 1; i < 3; i++) {
        JsonObject *p = json_array_get_object_element(pr, i);
        double v = json_object_get_double_member(
            json_object_get_object_member(p, "val_balanced_accuracy"), "mean");
        vbest = MAX(vbest, v);
        if (strcmp(json_object_get_string_member(p, "id"), chosen) == 0)
            vchosen = v;
    }
    g_assert_cmpfloat(vchosen, ==, vbest);
    JsonObject *diffs = json_object_get_object_member(
        json_object_get_object_member(json_object_get_object_member(o, "metrics"),
                                      "balanced_accuracy"),
        "differences");
    g_assert_true(json_object_has_member(diffs, "share") && json_object_has_member(diffs, "pretrain"));
    g_assert_cmpfloat(json_object_get_double_member(o, "color_shift"), ==, 0.25);
    json_node_unref(keep);
    for (int seed = 1; seed <= 2; seed++) {
        char *r = g_strdup_printf("%s/real-seed%d", out, seed);
        char *sh = g_strdup_printf("%s/share-seed%d", out, seed);
        char *p1 = g_strdup_printf("%s/pretrain-seed%d-stage1", out, seed);
        char *p2 = g_strdup_printf("%s/pretrain-seed%d", out, seed);
        gint64 n = run_steps(r);
        g_assert_cmpint(n, >, 0);
        g_assert_cmpint(run_steps(sh), ==, n);
        g_assert_cmpint(run_steps(p1) + run_steps(p2), ==, n);
        g_assert_cmpint(run_steps(p1), >, 0);
        const char *runs[] = {r, sh, p1, p2};
        for (size_t i = 0; i < G_N_ELEMENTS(runs); i++) {
            char *cs = run_setting(runs[i], "color-shift");
            g_assert_cmpstr(cs, ==, "0.25");
            g_free(cs);
        }
        g_free(r), g_free(sh), g_free(p1), g_free(p2);
    }
    jt_sink_clear(&s);
    g_free(out);
}

/* Generation filtered by a classifier: the candidates it finds most like
 * their class (the ablation's "filter" protocol). */
static void test_classifier_filter(void)
{
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    dg_gan_generate_config *g = dg_gan_generate_config_new();
    g->model = g_strdup(tiny_generator());
    g->classifier = g_strdup(trained_model());
    g->out = g_build_filename(tmp, "filtered", NULL);
    g->per_class = 4;
    g->filter = g_strdup("classifier");
    g->keep = 0.25;
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    JsonNode *keep;
    JsonObject *o = parse_object(s.result_json, &keep);
    g_assert_cmpstr(json_object_get_string_member(o, "filter"), ==, "classifier");
    JsonObject *cls = json_object_get_object_member(o, "classes");
    g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(cls, "bcc"), "candidates"),
                    ==, 16);
    json_node_unref(keep);
    jt_sink_clear(&s);
}

/* The tiny balance-only ablation of test_ablation into out (run again to resume). */
static dg_ablation_config *balance_config(const char *out)
{
    dg_ablation_config *c = dg_ablation_config_new();
    c->data = g_strdup(data);
    c->out = g_strdup(out);
    g_free(c->arch);
    c->arch = g_strdup("seed");
    c->generator = g_strdup(tiny_generator());
    c->seeds = 2;
    c->epochs = 2;
    c->threads = 2;
    c->cache_dir = g_strdup("");
    g_free(c->protocols);
    c->protocols = g_strdup("balance");
    return c;
}

static void test_ablation(void)
{
    char *out = g_build_filename(tmp, "ablation", NULL);
    dg_ablation_config *c = balance_config(out);
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    {
        dg_job_state st_ = jt_run(&dg_job_ablation, c, &s, &error);
        g_assert_no_error(error);
        g_assert_cmpint(st_, ==, DG_JOB_SUCCEEDED);
    }
    g_assert_cmpint(s.results, ==, 1); /* the sub-jobs' results are not passed on */
    /* progress is the ablation's own: it rises through all four runs */
    g_assert_cmpuint(s.steps->len, >, 4);
    const gint64 all_total = g_array_index(s.totals, gint64, 0);
    for (guint i = 1; i < s.steps->len; i++)
        g_assert_cmpint(g_array_index(s.steps, gint64, i), >, g_array_index(s.steps, gint64, i - 1));
    JsonNode *keep;
    JsonObject *o = parse_object(s.result_json, &keep);
    g_assert_cmpint(json_object_get_int_member(o, "seeds"), ==, 2);
    JsonObject *bacc = json_object_get_object_member(json_object_get_object_member(o, "metrics"),
                                                     "balanced_accuracy");
    g_assert_true(json_object_has_member(bacc, "real"));
    g_assert_true(json_object_has_member(bacc, "real+synthetic"));
    JsonObject *d = json_object_get_object_member(bacc, "difference");
    double diff = json_object_get_double_member(d, "mean");
    JsonObject *runs = json_object_get_object_member(o, "runs");
    JsonArray *ra = json_object_get_array_member(runs, "real"),
              *rb = json_object_get_array_member(runs, "real+synthetic");
    g_assert_cmpuint(json_array_get_length(ra), ==, 2);
    double expect = 0;
    for (guint i = 0; i < 2; i++)
        expect += (json_object_get_double_member(json_array_get_object_element(rb, i),
                                                 "balanced_accuracy") -
                   json_object_get_double_member(json_array_get_object_element(ra, i),
                                                 "balanced_accuracy")) / 2;
    g_assert_cmpfloat_with_epsilon(diff, expect, 1e-9);
    /* two seeds: the sign-flip p-value takes one of 0.5 and 1 */
    double p = json_object_get_double_member(d, "p_sign_flip");
    g_assert_true(p == 0.5 || p == 1.0);
    json_node_unref(keep);
    /* same number of optimizer steps in both arms, of the same seed */
    for (int seed = 1; seed <= 2; seed++) {
        char *h1 = g_strdup_printf("%s/real-seed%d/checkpoint.safetensors", out, seed);
        char *h2 = g_strdup_printf("%s/synthetic-seed%d/checkpoint.safetensors", out, seed);
        gint64 steps[2];
        for (int k = 0; k < 2; k++) {
            dg_st *st = dg_st_load(k ? h2 : h1, &error);
            g_assert_no_error(error);
            const dg_st_tensor *t = dg_st_find(st, "state");
            g_assert_nonnull(t);
            memcpy(&steps[k], t->data, 8);
            dg_st_free(st);
        }
        g_assert_cmpint(steps[0], ==, steps[1]);
        g_assert_cmpint(steps[0], >, 0);
        g_free(h1), g_free(h2);
    }
    const char *files[] = {"ablation.json", "report.md", "recall.png", "curves.png",
                           "confusion-real.png", "confusion-synthetic.png",
                           "synthetic-images-seed1/manifest.json"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        char *f = g_build_filename(out, files[i], NULL);
        g_assert_true(g_file_test(f, G_FILE_TEST_IS_REGULAR));
        g_free(f);
    }
    /* a second run reuses every finished run */
    jt_sink_clear(&s);
    jt_sink_init(&s);
    c = balance_config(out);
    g_assert_cmpint(jt_run(&dg_job_ablation, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_cmpuint(s.steps->len, ==, 0); /* no training step ran */
    jt_sink_clear(&s);
    /* ... but not with another colour shift: its finished runs are not this recipe's */
    jt_sink_init(&s);
    c = balance_config(out);
    c->color_shift = 0;
    g_assert_cmpint(jt_run(&dg_job_ablation, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "was trained with colour shift 0.5"));
    g_clear_error(&error);
    jt_sink_clear(&s);
    /* one run lost: only it trains, and the progress is of it alone (it
     * is the last of four; counted among all, it started at 75%, and the
     * time left was four runs' time) */
    char *lost = g_build_filename(out, "synthetic-seed2", NULL);
    jt_rm_rf(lost);
    g_free(lost);
    jt_sink_init(&s);
    c = balance_config(out);
    g_assert_cmpint(jt_run(&dg_job_ablation, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_cmpuint(s.steps->len, >, 0);
    const gint64 first = g_array_index(s.steps, gint64, 0),
                 last = g_array_index(s.steps, gint64, s.steps->len - 1),
                 total = g_array_index(s.totals, gint64, 0);
    g_assert_cmpint(total * 4, ==, all_total); /* four runs of the same steps before */
    g_assert_cmpint(first, <=, total);
    g_assert_cmpint(last, ==, total);
    jt_sink_clear(&s);
    /* a finished run's model replaced by a damaged one (finite weights whose
     * outputs overflow), its test metrics gone: the re-run says so, with no
     * table of NaN metrics */
    char *model = g_build_filename(out, "real-seed1", "model.safetensors", NULL);
    char *metrics = g_build_filename(out, "real-seed1", "test-metrics.json", NULL);
    jt_st_rewrite(model, jt_edit_overflow, "", NULL, NULL);
    g_assert_cmpint(g_unlink(metrics), ==, 0);
    jt_sink_init(&s);
    c = balance_config(out);
    g_assert_cmpint(jt_run(&dg_job_ablation, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_NOT_FINITE);
    g_assert_nonnull(strstr(error->message, "real-seed1"));
    g_clear_error(&error);
    g_assert_cmpint(s.results, ==, 0);
    jt_sink_clear(&s);
    g_free(model), g_free(metrics);

    /* a generator trained on another split is refused: it has seen the test images */
    c = dg_ablation_config_new();
    c->data = g_strdup(data);
    c->out = g_build_filename(tmp, "ablation-other-split", NULL);
    c->generator = g_strdup(tiny_generator());
    c->split_seed = 2;
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_ablation, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "split"));
    g_clear_error(&error);
    jt_sink_clear(&s);
    g_free(out);
}

/* gan score of the tiny generator on data_set, with a one-epoch CAS. */
static dg_gan_score_config *score_config(const char *data_set, int per_class)
{
    dg_gan_score_config *c = dg_gan_score_config_new();
    c->generator = g_strdup(tiny_generator());
    c->classifier = g_strdup(trained_model());
    c->data = g_strdup(data_set);
    c->per_class = per_class;
    c->cas = TRUE;
    c->cas_epochs = 1;
    c->threads = 2;
    c->cache_dir = g_strdup("");
    return c;
}

static void test_gan_score(void)
{
    dg_gan_score_config *c = score_config(data, 24);
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    {
        dg_job_state st_ = jt_run(&dg_job_gan_score, c, &s, &error);
        g_assert_no_error(error);
        g_assert_cmpint(st_, ==, DG_JOB_SUCCEEDED);
    }
    g_assert_cmpint(s.results, ==, 1);
    JsonNode *keep;
    JsonObject *o = parse_object(s.result_json, &keep);
    JsonObject *pc = json_object_get_object_member(o, "per_class");
    g_assert_cmpuint(json_object_get_size(pc), ==, 4);
    JsonObject *k = json_object_get_object_member(pc, "mel");
    JsonObject *syn = json_object_get_object_member(k, "synthetic");
    JsonObject *floor = json_object_get_object_member(k, "real_floor");
    g_assert_cmpfloat(json_object_get_double_member(syn, "frechet"), >=, 0);
    g_assert_cmpfloat(json_object_get_double_member(floor, "frechet"), >=, 0);
    /* a 6-step generator is far from the real images: farther than real from real */
    g_assert_cmpfloat(json_object_get_double_member(syn, "frechet"), >,
                      json_object_get_double_member(floor, "frechet"));
    /* the spread of the Frechet distance over draws of n_compared of the
     * generated images, when there are more of them */
    gint64 nm = json_object_get_int_member(k, "n_compared");
    gint64 nall = json_object_get_int_member(k, "n_synthetic_all");
    g_assert_cmpint(nm, >, 1);
    g_assert_cmpint(json_object_has_member(k, "frechet_draws"), ==, nm < nall);
    if (nm < nall) {
        JsonObject *dr = json_object_get_object_member(k, "frechet_draws");
        g_test_message("mel: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " compared, Frechet %.3f, "
                       "over draws %.3f +- %.3f", nm, nall,
                       json_object_get_double_member(syn, "frechet"),
                       json_object_get_double_member(dr, "mean"),
                       json_object_get_double_member(dr, "sd"));
        g_assert_cmpint(json_object_get_int_member(dr, "n"), ==, 10);
        g_assert_cmpfloat(json_object_get_double_member(dr, "mean"), >, 0);
        g_assert_cmpfloat(json_object_get_double_member(dr, "sd"), >, 0);
        g_assert_cmpfloat(json_object_get_double_member(dr, "sd"), <,
                          json_object_get_double_member(dr, "mean"));
    }
    JsonObject *cas = json_object_get_object_member(o, "classification_accuracy_score");
    g_assert_nonnull(cas);
    double b = json_object_get_double_member(cas, "balanced_accuracy");
    g_assert_true(b >= 0 && b <= 1);
    g_assert_cmpstr(json_object_get_string_member(o, "classification_accuracy_score_split"), ==,
                    "test");
    dg_load_options lo;
    dg_load_options_init(&lo);
    lo.cache_dir = "";
    dg_dataset *ds = dg_dataset_load(data, &lo, &error);
    g_assert_no_error(error);
    g_assert_true(dg_dataset_split(ds, 1, DG_SPLIT_TRAIN_FRACTION, DG_SPLIT_VAL_FRACTION, &error));
    const int n_test = dg_dataset_indices(ds, DG_SPLIT_TEST, -1, NULL),
              n_val = dg_dataset_indices(ds, DG_SPLIT_VAL, -1, NULL);
    dg_dataset_free(ds);
    g_assert_cmpint(n_test, !=, n_val); /* so that the count tells the split */
    g_assert_cmpint(json_object_get_int_member(cas, "n"), ==, n_test);
    json_node_unref(keep);
    jt_sink_clear(&s);

    /* --cas-on-val: the same classifier tested on the validation split */
    c = score_config(data, 8); /* jt_run took the first one */
    c->cas_on_val = TRUE;
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_gan_score, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    o = parse_object(s.result_json, &keep);
    g_assert_cmpstr(json_object_get_string_member(o, "classification_accuracy_score_split"), ==,
                    "val");
    cas = json_object_get_object_member(o, "classification_accuracy_score");
    g_assert_cmpint(json_object_get_int_member(cas, "n"), ==, n_val);
    json_node_unref(keep);
    jt_sink_clear(&s);

    /* a generator of more classes than the data set (as one trained on all of
     * HAM10000's seven): scored, and its CAS classifier trained, on the data
     * set's classes only */
    char *p3 = g_build_filename(tmp, "three", NULL);
    char *data3 = ct_make_data(p3), *mel = g_build_filename(data3, "mel", NULL);
    jt_rm_rf(mel);
    c = score_config(data3, 8);
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_gan_score, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    o = parse_object(s.result_json, &keep);
    pc = json_object_get_object_member(o, "per_class");
    g_assert_cmpuint(json_object_get_size(pc), ==, 3);
    g_assert_false(json_object_has_member(pc, "mel"));
    cas = json_object_get_object_member(o, "classification_accuracy_score");
    JsonObject *cm = json_object_get_object_member(cas, "per_class");
    g_assert_nonnull(cm);
    g_assert_cmpuint(json_object_get_size(cm), ==, 3); /* a three-class classifier */
    json_node_unref(keep);
    jt_sink_clear(&s);
    g_free(p3), g_free(data3), g_free(mel);
}

/* gan score with a damaged generator or classifier (finite weights whose
 * outputs overflow): an error naming the network, not distances of NaN (or
 * 0) and a NaN spectral score. */
static void test_gan_score_non_finite(void)
{
    const char *nets[] = {"generator", "classifier"};
    for (size_t i = 0; i < G_N_ELEMENTS(nets); i++) {
        char *copy = g_build_filename(tmp, i ? "big-clf.safetensors" : "big-gen.safetensors", NULL);
        gchar *bytes = NULL;
        gsize n = 0;
        g_assert_true(g_file_get_contents(i ? trained_model() : tiny_generator(), &bytes, &n, NULL));
        g_assert_true(g_file_set_contents(copy, bytes, (gssize)n, NULL));
        g_free(bytes);
        if (i)
            jt_st_rewrite(copy, jt_edit_overflow, "", NULL, NULL);
        else
            jt_st_rewrite(copy, jt_edit_huge_first, ".convt.weight", NULL, NULL);
        dg_gan_score_config *c = score_config(data, 8);
        c->cas = FALSE;
        g_free(i ? c->classifier : c->generator);
        if (i)
            c->classifier = g_strdup(copy);
        else
            c->generator = g_strdup(copy);
        jt_sink s;
        jt_sink_init(&s);
        GError *error = NULL;
        g_assert_cmpint(jt_run(&dg_job_gan_score, c, &s, &error), ==, DG_JOB_FAILED);
        g_assert_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_NOT_FINITE);
        g_test_message("%s", error->message);
        g_assert_nonnull(strstr(error->message, nets[i]));
        g_assert_cmpint(s.results, ==, 0);
        g_clear_error(&error);
        jt_sink_clear(&s);
        g_free(copy);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-ablation-job-XXXXXX", NULL);
    data = ct_make_data(tmp);
    g_test_add_func("/jobs/cnn/classifier-filter", test_classifier_filter);
    g_test_add_func("/jobs/cnn/ablation", test_ablation);
    g_test_add_func("/jobs/cnn/ablation-protocols", test_ablation_protocols);
    g_test_add_func("/jobs/cnn/gan-score", test_gan_score);
    g_test_add_func("/jobs/cnn/gan-score-non-finite", test_gan_score_non_finite);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp), g_free(data);
    return rc;
}

/* test-cnn-eval-job: what is done with a trained classifier, end to end on
 * the tiny generated data set of test-cnn-job: evaluation (metrics, the
 * confusion matrix, --shift), prediction (with a bad file and a saliency
 * map), Grad-CAM maps, ensembles (made, calibrated, members refused) and
 * calibration of a model file (its training provenance kept, the images
 * calibrated on recorded).  Training the classifier is in test-cnn-job. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cnn-test-util.h"
#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-job-util.h"
#include "models/dg-classifier-post.h"
#include "models/dg-classifier.h"

static char *tmp, *data;

static JsonObject *parse_object(const char *json, JsonNode **keep)
{
    return ct_parse_object(json, keep);
}

static char *trained_model(void)
{
    return ct_trained_model(tmp, data);
}

static void test_evaluate(void)
{
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    dg_evaluate_config *c = dg_evaluate_config_new();
    c->model = g_strdup(trained_model());
    c->data = g_strdup(data);
    c->cache_dir = g_strdup("");
    g_free(c->split);
    c->split = g_strdup("all");
    {
        dg_job_state st_ = jt_run(&dg_job_evaluate, c, &s, &error);
        g_assert_no_error(error);
        g_assert_cmpint(st_, ==, DG_JOB_SUCCEEDED);
    }
    g_assert_cmpint(s.results, ==, 1);
    JsonNode *keep;
    JsonObject *o = parse_object(s.result_json, &keep);
    const char *keys[] = {"accuracy", "balanced_accuracy", "macro_f1", "auc_macro", "ece"};
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        double v = json_object_get_double_member(o, keys[i]);
        g_assert_true(v >= 0.0 && v <= 1.0);
    }
    g_assert_cmpint(json_object_get_int_member(o, "n"), ==, 3 * 16 + 8);
    /* the classes are easy: a trained model beats chance by far */
    g_assert_cmpfloat(json_object_get_double_member(o, "balanced_accuracy"), >, 0.5);
    JsonObject *cm = json_object_get_object_member(o, "confusion_matrix");
    JsonArray *labels = json_object_get_array_member(cm, "labels");
    JsonArray *rows = json_object_get_array_member(cm, "matrix");
    g_assert_cmpuint(json_array_get_length(labels), ==, 4);
    JsonObject *pc = json_object_get_object_member(o, "per_class");
    gint64 total = 0, diag = 0;
    for (guint i = 0; i < 4; i++) {
        JsonArray *r = json_array_get_array_element(rows, i);
        gint64 row = 0;
        for (guint j = 0; j < 4; j++) {
            row += json_array_get_int_element(r, j);
            if (i == j)
                diag += json_array_get_int_element(r, j);
        }
        /* rows are true classes: each sums to that class's support */
        JsonObject *k = json_object_get_object_member(pc, json_array_get_string_element(labels, i));
        g_assert_cmpint(row, ==, json_object_get_int_member(k, "support"));
        total += row;
    }
    g_assert_cmpint(total, ==, 56);
    g_assert_cmpfloat_with_epsilon(json_object_get_double_member(o, "accuracy"), diag / 56.0, 1e-9);
    json_node_unref(keep);

    /* --shift: the same images, each changed (seeded per image: two runs
     * agree), reported as such; out of range is a clear error */
    double shifted[2];
    for (int k = 0; k < 3; k++) {
        c = dg_evaluate_config_new();
        c->model = g_strdup(trained_model());
        c->data = g_strdup(data);
        c->cache_dir = g_strdup("");
        g_free(c->split);
        c->split = g_strdup("all");
        c->shift = k < 2 ? 1.0 : 4.5;
        dg_job_state st = jt_run(&dg_job_evaluate, c, &s, &error);
        if (k == 2) {
            g_assert_cmpint(st, ==, DG_JOB_FAILED);
            g_assert_nonnull(strstr(error->message, "shift"));
            g_clear_error(&error);
            break;
        }
        g_assert_no_error(error);
        g_assert_cmpint(st, ==, DG_JOB_SUCCEEDED);
        o = parse_object(s.result_json, &keep);
        g_assert_cmpfloat(json_object_get_double_member(o, "shift"), ==, 1.0);
        g_assert_cmpint(json_object_get_int_member(o, "n"), ==, 56);
        shifted[k] = json_object_get_double_member(o, "ece");
        json_node_unref(keep);
    }
    g_assert_cmpfloat(shifted[0], ==, shifted[1]);

    /* an unknown split and a model that is not a model are clear errors */
    c = dg_evaluate_config_new();
    c->model = g_strdup(trained_model());
    c->data = g_strdup(data);
    g_free(c->split);
    c->split = g_strdup("training");
    g_assert_cmpint(jt_run(&dg_job_evaluate, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "training"));
    g_clear_error(&error);
    char *junk = g_build_filename(tmp, "junk.safetensors", NULL);
    g_assert_true(g_file_set_contents(junk, "not a model at all", -1, NULL));
    c = dg_evaluate_config_new();
    c->model = junk;
    c->data = g_strdup(data);
    g_assert_cmpint(jt_run(&dg_job_evaluate, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(error);
    g_clear_error(&error);
    jt_sink_clear(&s);
}

typedef struct {
    GPtrArray *results;
    int images, image_w;
} predict_sink;

static void on_predict(const dg_event *ev, void *user)
{
    predict_sink *p = user;
    if (ev->kind == DG_EVENT_RESULT)
        g_ptr_array_add(p->results, g_strdup(ev->json));
    else if (ev->kind == DG_EVENT_IMAGE) {
        p->images++;
        p->image_w = ev->width;
    }
}

static void test_predict(void)
{
    predict_sink p = {g_ptr_array_new_with_free_func(g_free), 0, 0};
    char *good = g_build_filename(data, "bcc", "img-03.png", NULL);
    char *bad = g_build_filename(tmp, "notes.jpg", NULL);
    g_assert_true(g_file_set_contents(bad, "this is text, not a JPEG", -1, NULL));
    char *sal = g_build_filename(tmp, "saliency.png", NULL);
    dg_predict_config *c = dg_predict_config_new();
    c->model = g_strdup(trained_model());
    c->images = g_new0(char *, 3);
    c->images[0] = g_strdup(good);
    c->images[1] = g_strdup(bad);
    c->saliency = TRUE;
    dg_job *job = dg_job_new(&dg_job_predict, c, on_predict, &p);
    GError *error = NULL;
    g_assert_cmpint(dg_job_run(job, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    dg_job_free(job);
    g_assert_cmpuint(p.results->len, ==, 2);
    JsonNode *keep;
    JsonObject *o = parse_object(g_ptr_array_index(p.results, 0), &keep);
    JsonObject *pr = json_object_get_object_member(o, "probabilities");
    g_assert_cmpuint(json_object_get_size(pr), ==, 4);
    double sum = 0, best = -1;
    const char *top = json_object_get_string_member(o, "top");
    const char *ids[] = {"akiec", "bcc", "bkl", "mel"};
    for (int k = 0; k < 4; k++) {
        double v = json_object_get_double_member(pr, ids[k]);
        g_assert_true(v >= 0 && v <= 1);
        sum += v;
        best = MAX(best, v);
    }
    g_assert_cmpfloat_with_epsilon(sum, 1.0, 1e-5);
    g_assert_cmpfloat(json_object_get_double_member(pr, top), ==, best);
    json_node_unref(keep);
    /* the text file is reported, not fatal */
    o = parse_object(g_ptr_array_index(p.results, 1), &keep);
    g_assert_true(json_object_has_member(o, "error"));
    g_assert_false(json_object_has_member(o, "probabilities"));
    json_node_unref(keep);
    g_assert_cmpint(p.images, ==, 1);
    g_assert_cmpint(p.image_w, ==, 4 * 32);

    /* a single image with saliency writes the overlay */
    g_ptr_array_set_size(p.results, 0);
    c = dg_predict_config_new();
    c->model = g_strdup(trained_model());
    c->images = g_new0(char *, 2);
    c->images[0] = g_strdup(good);
    c->saliency = TRUE;
    c->saliency_out = g_strdup(sal);
    job = dg_job_new(&dg_job_predict, c, on_predict, &p);
    g_assert_cmpint(dg_job_run(job, &error), ==, DG_JOB_SUCCEEDED);
    dg_job_free(job);
    GdkPixbuf *pb = gdk_pixbuf_new_from_file(sal, &error);
    g_assert_no_error(error);
    g_assert_cmpint(gdk_pixbuf_get_width(pb), ==, 128);
    g_assert_cmpint(gdk_pixbuf_get_height(pb), ==, 128);
    g_object_unref(pb);
    g_ptr_array_unref(p.results);
    g_free(good), g_free(bad), g_free(sal);
}

static void test_gradcam_finite(void)
{
    GError *error = NULL;
    dg_cnn *cnn = dg_cnn_load(trained_model(), 1, &error);
    g_assert_no_error(error);
    const int S = cnn->cfg.size;
    float *x = g_new(float, 3 * S * S), *cam = g_new(float, S * S), probs[4];
    dg_rng r;
    dg_rng_seed(&r, 3);
    dg_rng_fill_normal(&r, x, 3L * S * S, 0, 0.5f);
    for (int k = 0; k < 4; k++) {
        dg_ctx *ctx = dg_ctx_new(1);
        dg_cnn_gradcam(cnn, ctx, x, k, cam, probs);
        dg_ctx_free(ctx);
        float mx = 0;
        for (int i = 0; i < S * S; i++) {
            g_assert_true(cam[i] >= 0.0f && cam[i] <= 1.0f);
            mx = MAX(mx, cam[i]);
        }
        /* normalised to 1 at its peak, unless the map is empty */
        g_assert_true(mx == 0.0f || fabsf(mx - 1.0f) < 1e-5f);
    }
    g_free(x), g_free(cam);
    dg_cnn_free(cnn);
}

/* An ensemble's logits are the mean of its members' (softmax is invariant
 * to a per-image shift, so log p_ens - mean_i log p_i is the same for every
 * class); the calibrate job makes, calibrates and writes one; members that
 * differ are refused. */
static void test_ensemble(void)
{
    dg_cnn_config cc;
    GError *error = NULL;
    g_assert_true(dg_cnn_config_arch(&cc, "dermanet", 4, &error));
    cc.size = 32;
    cc.width = 4;
    const char *ids[] = {"akiec", "bcc", "bkl", "mel", NULL};
    dg_cnn *m[3];
    char *paths[4] = {NULL};
    for (int i = 0; i < 3; i++) {
        m[i] = dg_cnn_new(&cc, 8, ids, ids);
        dg_rng rng;
        dg_rng_seed(&rng, 100 + i);
        dg_cnn_init(m[i], &rng);
        /* not near-uniform: scale the output layer up */
        dg_net *n = m[i]->net;
        for (int t = 0; t < dg_net_n_tensors(n); t++)
            if (g_str_has_suffix(dg_net_tensor(n, t)->name, "weight") &&
                dg_net_tensor(n, t)->shape[0] == 4 && dg_net_tensor(n, t)->ndim == 2)
                for (long j = 0; j < dg_net_tensor(n, t)->n; j++)
                    dg_net_tensor_data(n, t)[j] *= 30.0f;
        paths[i] = g_strdup_printf("%s/member-%d.safetensors", tmp, i);
        g_assert_true(dg_cnn_save(m[i], paths[i], NULL, &error));
    }
    dg_cnn *e = dg_cnn_new_ensemble(m, 3, 8, &error);
    g_assert_no_error(error);
    g_assert_cmpint(e->cfg.members, ==, 3);
    const int S = 32, N = 5;
    float *x = g_new(float, N * 3 * S * S), p[3][N * 4], pe[N * 4];
    dg_rng rng;
    dg_rng_seed(&rng, 9);
    dg_rng_fill_normal(&rng, x, N * 3 * S * S, 0.0f, 0.5f);
    dg_ctx *ctx = dg_ctx_new(1);
    for (int i = 0; i < 3; i++)
        dg_cnn_predict(m[i], ctx, x, N, false, p[i]);
    dg_cnn_predict(e, ctx, x, N, false, pe);
    double spread = 0.0;
    for (int b = 0; b < N; b++) {
        double d[4];
        for (int k = 0; k < 4; k++) {
            d[k] = log(pe[b * 4 + k]);
            for (int i = 0; i < 3; i++)
                d[k] -= log(p[i][b * 4 + k]) / 3.0;
            spread = fmax(spread, fabs(log(p[0][b * 4 + k]) - log(p[1][b * 4 + k])));
        }
        for (int k = 1; k < 4; k++)
            g_assert_cmpfloat_with_epsilon(d[k], d[0], 1e-4);
    }
    g_assert_cmpfloat(spread, >, 0.05); /* the members differ: the check has teeth */
    g_assert_cmpint(dg_cnn_feature_dim(e), ==, 3 * dg_cnn_feature_dim(m[0]));
    dg_cnn_free(e);

    /* a member of another width is refused */
    dg_cnn_config wide = cc;
    wide.width = 8;
    dg_cnn *w = dg_cnn_new(&wide, 8, ids, ids);
    dg_cnn *two[2] = {m[0], w};
    g_assert_null(dg_cnn_new_ensemble(two, 2, 8, &error));
    g_assert_nonnull(strstr(error->message, "differs"));
    g_clear_error(&error);
    dg_cnn_free(w);

    /* the job: made, calibrated on the validation split, written, loaded */
    dg_calibrate_config *c = dg_calibrate_config_new();
    c->members = g_strdupv(paths);
    c->data = g_strdup(data);
    c->out = g_build_filename(tmp, "ensemble.safetensors", NULL);
    c->cache_dir = g_strdup("");
    c->threads = 1;
    char *out = g_strdup(c->out);
    jt_sink s;
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_cnn_calibrate, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    dg_cnn *loaded = dg_cnn_load(out, 8, &error);
    g_assert_no_error(error);
    g_assert_cmpint(loaded->cfg.members, ==, 3);
    g_assert_cmpint(loaded->post.ood_dim, ==, dg_cnn_feature_dim(loaded));
    g_assert_cmpint(loaded->post.n_train_keys, >, 0);
    dg_cnn_predict(loaded, ctx, x, N, false, pe);
    for (int j = 0; j < N * 4; j++)
        g_assert_true(isfinite(pe[j]));
    dg_cnn_free(loaded);

    /* one model is not an ensemble */
    c = dg_calibrate_config_new();
    c->members = g_new0(char *, 2);
    c->members[0] = g_strdup(paths[0]);
    c->data = g_strdup(data);
    c->out = g_build_filename(tmp, "ensemble-1.safetensors", NULL);
    g_assert_cmpint(jt_run(&dg_job_cnn_calibrate, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "2 to"));
    g_clear_error(&error);
    /* nor is one model twice (here through a symlink) */
    char *again = g_build_filename(tmp, "member-again.safetensors", NULL);
    g_assert_cmpint(symlink(paths[0], again), ==, 0);
    c = dg_calibrate_config_new();
    c->members = g_new0(char *, 3);
    c->members[0] = g_strdup(paths[0]);
    c->members[1] = g_strdup(again);
    c->data = g_strdup(data);
    c->out = g_build_filename(tmp, "ensemble-twice.safetensors", NULL);
    g_assert_cmpint(jt_run(&dg_job_cnn_calibrate, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "are the same model"));
    g_clear_error(&error);
    g_free(again);
    jt_sink_clear(&s);
    dg_ctx_free(ctx);
    g_free(x), g_free(out);
    for (int i = 0; i < 3; i++) {
        dg_cnn_free(m[i]);
        g_free(paths[i]);
    }
}

/* Evaluates model on the whole of data set d; the result (unref keep). */
static JsonObject *evaluate_all(const char *model, const char *d, jt_sink *s, JsonNode **keep)
{
    GError *error = NULL;
    dg_evaluate_config *c = dg_evaluate_config_new();
    c->model = g_strdup(model);
    c->data = g_strdup(d);
    c->cache_dir = g_strdup("");
    g_free(c->split);
    c->split = g_strdup("all");
    g_assert_cmpint(jt_run(&dg_job_evaluate, c, s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    return parse_object(s->result_json, keep);
}

/* cnn calibrate on a model file: the bundled model is never written over
 * (no --model needs --out); the provenance of training stays what it was
 * (the images of the model's training and validation splits, not those of
 * the data set calibrated on); the images calibrated on are recorded apart,
 * and evaluate counts them as seen; another data set than the model's
 * training data is warned about. */
static void test_calibrate_keeps_provenance(void)
{
    GError *error = NULL;
    jt_sink s;
    /* the bundled classifier, in place: refused before anything is read */
    dg_calibrate_config *c = dg_calibrate_config_new();
    c->data = g_strdup(data);
    c->cache_dir = g_strdup("");
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_cnn_calibrate, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "--out"));
    g_clear_error(&error);
    jt_sink_clear(&s);

    /* a copy of the tiny model, calibrated in place on another data set (the
     * bundled sample: HAM10000 ids, none of them the model's) */
    char *csv = dg_find_resource("sample/HAM10000_metadata.csv");
    g_assert_nonnull(csv);
    char *sample = g_path_get_dirname(csv);
    char *copy = g_build_filename(tmp, "calibrated-elsewhere.safetensors", NULL), *bytes = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(trained_model(), &bytes, &len, NULL));
    g_assert_true(g_file_set_contents(copy, bytes, (gssize)len, NULL));
    g_free(bytes);
    dg_cnn *before = dg_cnn_load(copy, 1, &error);
    g_assert_no_error(error);
    g_assert_cmpint(before->post.n_train_keys, >, 0);
    c = dg_calibrate_config_new();
    c->model = g_strdup(copy);
    c->data = g_strdup(sample);
    c->cache_dir = g_strdup("");
    c->threads = 1;
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_cnn_calibrate, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_true(jt_said(&s, "warning", "is not the data set the model was trained on"));
    JsonNode *keep;
    JsonObject *o = parse_object(s.result_json, &keep);
    g_assert_cmpstr(json_object_get_string_member(o, "provenance"), ==, "kept");
    const int n_cal = (int)json_object_get_int_member(o, "n_calibration_images");
    g_assert_cmpint(n_cal, ==, 80); /* the sample's training and validation splits */
    json_node_unref(keep);
    jt_sink_clear(&s);
    /* its provenance: the training's, key for key */
    dg_cnn *after = dg_cnn_load(copy, 1, &error);
    g_assert_no_error(error);
    g_assert_cmpint(after->post.n_train_keys, ==, before->post.n_train_keys);
    g_assert_cmpint(after->post.n_val_keys, ==, before->post.n_val_keys);
    g_assert_cmpmem(after->post.train_keys, 8 * after->post.n_train_keys, before->post.train_keys,
                    8 * before->post.n_train_keys);
    g_assert_cmpmem(after->post.val_keys, 8 * after->post.n_val_keys, before->post.val_keys,
                    8 * before->post.n_val_keys);
    g_assert_true(after->post.temperature != before->post.temperature); /* recalibrated */
    dg_cnn_free(before), dg_cnn_free(after);
    /* the record of the calibration */
    int n = 0;
    char *on = NULL;
    gboolean by_path = TRUE;
    guint64 *keys = dg_cnn_read_calibration(copy, &n, &on, &by_path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(keys);
    g_assert_cmpint(n, ==, n_cal);
    g_assert_cmpstr(on, ==, sample);
    g_assert_false(by_path); /* HAM10000's image ids */
    g_free(keys), g_free(on);
    /* the trained model itself has none */
    g_assert_null(dg_cnn_read_calibration(trained_model(), &n, NULL, &by_path, &error));
    g_assert_no_error(error);
    g_assert_cmpint(n, ==, 0);

    /* evaluate on the sample: none seen in training, the 80 calibrated on
     * seen in calibration, said so; the 16 others (its test split) unseen */
    jt_sink_init(&s);
    o = evaluate_all(copy, sample, &s, &keep);
    g_assert_cmpint(json_object_get_int_member(o, "n_seen_in_training"), ==, 0);
    g_assert_cmpint(json_object_get_int_member(o, "n_seen_in_validation"), ==, 0);
    g_assert_cmpint(json_object_get_int_member(o, "n_seen_in_calibration"), ==, 80);
    g_assert_cmpstr(json_object_get_string_member(o, "calibration_data"), ==, sample);
    g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(o, "unseen"), "n"), ==,
                    16);
    g_assert_true(jt_said(&s, "warning", "80 were among the images used to calibrate it"));
    json_node_unref(keep);
    jt_sink_clear(&s);
    /* and on its training data: its training images, as before (the tiny
     * data set's classes share file names, so ids "img-NN" are in its
     * training split for some class) */
    jt_sink_init(&s);
    o = evaluate_all(copy, data, &s, &keep);
    g_assert_cmpint(json_object_get_int_member(o, "n_seen_in_training"), >, 0);
    g_assert_cmpint(json_object_get_int_member(o, "n_seen_in_calibration"), ==, 0);
    json_node_unref(keep);
    jt_sink_clear(&s);

    /* calibrated again on its own training data: no warning about the data,
     * and the record replaced */
    c = dg_calibrate_config_new();
    c->model = g_strdup(copy);
    c->data = g_strdup(data);
    c->cache_dir = g_strdup("");
    c->threads = 1;
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_cnn_calibrate, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_false(jt_said(&s, "warning", "is not the data set"));
    jt_sink_clear(&s);
    on = NULL;
    keys = dg_cnn_read_calibration(copy, &n, &on, &by_path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(on, ==, data);
    g_assert_true(by_path); /* an ImageFolder's paths */
    g_free(keys), g_free(on);
    jt_sink_init(&s);
    o = evaluate_all(copy, sample, &s, &keep);
    g_assert_cmpint(json_object_get_int_member(o, "n_seen_in_calibration"), ==, 0);
    g_assert_false(json_object_has_member(o, "unseen"));
    json_node_unref(keep);
    jt_sink_clear(&s);
    g_free(copy), g_free(sample), g_free(csv);
}

/* Leaves garbage (not NULL) on the stack below this frame: what an
 * uninitialized local variable of the function called next would hold. */
static G_GNUC_NO_INLINE void dirty_stack(void)
{
    volatile unsigned char junk[64 * 1024];
    for (gsize i = 0; i < sizeof junk; i++)
        junk[i] = 0xa5;
}

/* Stopped before it has loaded its data set (the app's Stop right after
 * Evaluate): a cancel, and nothing freed that was never allocated. */
static void test_evaluate_cancelled_at_once(void)
{
    jt_sink s;
    jt_sink_init(&s);
    dg_evaluate_config *c = dg_evaluate_config_new();
    c->model = g_strdup(trained_model());
    c->data = g_strdup(data);
    c->cache_dir = g_strdup("");
    dg_job *job = dg_job_new(&dg_job_evaluate, c, jt_on_event, &s);
    s.job = job;
    dg_job_cancel(job);
    dirty_stack();
    GError *error = NULL;
    g_assert_cmpint(dg_job_run(job, &error), ==, DG_JOB_CANCELLED);
    g_assert_no_error(error);
    g_assert_cmpint(s.results, ==, 0);
    dg_job_free(job);
    jt_sink_clear(&s);
}

/* A class with no test image (one image in all, in the training split):
 * evaluate names it, since its balanced accuracy leaves the class out. */
static void test_evaluate_missing_class(void)
{
    char *parent = g_build_filename(tmp, "one-mel", NULL);
    g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
    char *d = jt_make_imagefolder(parent, 4, 16, 32);
    for (int i = 1; i < 16; i++) {
        char *name = g_strdup_printf("img-%02d.png", i);
        char *p = g_build_filename(d, "mel", name, NULL);
        g_assert_cmpint(g_unlink(p), ==, 0);
        g_free(name), g_free(p);
    }
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    dg_evaluate_config *c = dg_evaluate_config_new();
    c->model = g_strdup(trained_model());
    c->data = g_strdup(d);
    c->cache_dir = g_strdup("");
    g_assert_cmpint(jt_run(&dg_job_evaluate, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_true(jt_said(&s, "warning", "class 'mel' has no images in the test split"));
    jt_sink_clear(&s);
    g_free(d), g_free(parent);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-cnn-eval-job-XXXXXX", NULL);
    data = ct_make_data(tmp);
    g_test_add_func("/jobs/cnn/evaluate", test_evaluate);
    g_test_add_func("/jobs/cnn/evaluate-cancelled-at-once", test_evaluate_cancelled_at_once);
    g_test_add_func("/jobs/cnn/evaluate-missing-class", test_evaluate_missing_class);
    g_test_add_func("/jobs/cnn/predict", test_predict);
    g_test_add_func("/jobs/cnn/gradcam", test_gradcam_finite);
    g_test_add_func("/jobs/cnn/ensemble", test_ensemble);
    g_test_add_func("/jobs/cnn/calibrate-keeps-provenance", test_calibrate_keeps_provenance);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp), g_free(data);
    return rc;
}

/* test-cnn-job: the classifier jobs end to end on a tiny generated data set:
 * training (exact resume with dropout, cancel with a checkpoint, divergence,
 * auxiliary classes, EMA and colour constancy), evaluation, prediction (with
 * a bad file and a saliency map), ensembles and distillation.  What uses a GAN as well
 * (the ablation, the GAN quality scores) is in test-ablation-job. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cnn-test-util.h"
#include "data/dg-dataset.h"
#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-job-util.h"
#include "models/dg-classifier-post.h"
#include "models/dg-classifier.h"
#include "models/dg-safetensors.h"
#include "numerics/dg-loss.h"

static char *tmp, *data;

static dg_cnn_train_config *tiny(const char *out, int steps)
{
    return ct_tiny(tmp, data, out, steps);
}

static JsonObject *parse_object(const char *json, JsonNode **keep)
{
    return ct_parse_object(json, keep);
}

static char *trained_model(void)
{
    return ct_trained_model(tmp, data);
}

static void test_exact_resume(void)
{
    jt_sink a, b;
    jt_sink_init(&a);
    jt_sink_init(&b);
    GError *error = NULL;
    {
        dg_job_state st_ = jt_run(&dg_job_cnn_train, tiny("full", 10), &a, &error);
        g_assert_no_error(error);
        g_assert_cmpint(st_, ==, DG_JOB_SUCCEEDED);
    }
    g_assert_cmpuint(a.steps->len, ==, 10);
    g_assert_cmpint(a.results, ==, 1);
    /* the same run stopped after step 6 and resumed; dermanet has dropout, so
     * its random stream must be part of the checkpoint */
    b.cancel_at = 6; /* stop in the middle of a validation round */
    g_assert_cmpint(jt_run(&dg_job_cnn_train, tiny("halves", 10), &b, &error), ==,
                    DG_JOB_CANCELLED);
    g_assert_no_error(error);
    b.cancel_at = 0;
    dg_cnn_train_config *c = tiny("halves", 10);
    c->resume = TRUE;
    {
        dg_job_state st_ = jt_run(&dg_job_cnn_train, c, &b, &error);
        g_assert_no_error(error);
        g_assert_cmpint(st_, ==, DG_JOB_SUCCEEDED);
    }
    g_assert_cmpuint(b.steps->len, ==, 10);
    for (guint i = 0; i < 10; i++)
        g_assert_cmpint(g_array_index(b.steps, gint64, i), ==, (gint64)i + 1);
    /* every step's loss and learning rate are identical */
    g_assert_cmpmem(a.values->data, a.values->len * sizeof(double), b.values->data,
                    b.values->len * sizeof(double));
    /* and so is the history, including the epoch that straddled the stop */
    char *ha = NULL, *hb = NULL;
    char *pa = g_build_filename(tmp, "full", "history.csv", NULL);
    char *pb = g_build_filename(tmp, "halves", "history.csv", NULL);
    g_assert_true(g_file_get_contents(pa, &ha, NULL, NULL));
    g_assert_true(g_file_get_contents(pb, &hb, NULL, NULL));
    g_assert_cmpstr(ha, ==, hb);
    g_assert_nonnull(strstr(ha, "epoch,train_loss"));
    g_free(ha), g_free(hb), g_free(pa), g_free(pb);

    /* the run folder refuses a second, fresh training */
    jt_sink s;
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_cnn_train, tiny("full", 10), &s, &error), ==, DG_JOB_FAILED);
    g_assert_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "--resume"));
    g_clear_error(&error);
    jt_sink_clear(&s);
    jt_sink_clear(&a);
    jt_sink_clear(&b);
}

static void test_bad_settings(void)
{
    GError *error = NULL;
    jt_sink s;
    jt_sink_init(&s);
    dg_cnn_train_config *c = tiny("bad-arch", 4);
    g_free(c->arch);
    c->arch = g_strdup("resnet9000");
    g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "resnet9000"));
    g_clear_error(&error);
    c = tiny("bad-size", 4);
    c->size = 50;
    g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "50"));
    g_clear_error(&error);
    /* a learning rate out of range is refused before anything runs */
    c = tiny("bad-lr", 30);
    c->lr = 1e30;
    char *out = g_strdup(c->out);
    g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "out of range"));
    g_clear_error(&error);
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    g_free(out);
    c = tiny("bad-shift", 4);
    c->color_shift = 5;
    g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "color-shift"));
    g_clear_error(&error);
    jt_sink_clear(&s);
}

/* Weights that overflow (finite in the file, so it loads) make the first
 * step's loss non-finite: the run stops as diverged and does not claim a
 * checkpoint it never wrote. */
static void test_divergence(void)
{
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    dg_cnn *m = dg_cnn_load(trained_model(), 8, &error);
    g_assert_no_error(error);
    for (int i = 0; i < dg_net_n_tensors(m->net); i++) {
        float *w = dg_net_tensor_data(m->net, i);
        if (dg_net_tensor(m->net, i)->trainable)
            for (long k = 0; k < dg_net_tensor(m->net, i)->n; k++)
                w[k] = w[k] >= 0 ? 3e38f : -3e38f;
    }
    char *huge = g_build_filename(tmp, "huge.safetensors", NULL);
    g_assert_true(dg_cnn_save(m, huge, NULL, &error));
    dg_cnn_free(m);
    dg_cnn_train_config *c = tiny("diverge", 30);
    c->init_model = g_strdup(huge);
    c->label_smoothing = 0;
    g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_error(error, DG_JOB_ERROR, DG_JOB_ERROR_DIVERGED);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "no checkpoint had been written yet"));
    g_assert_null(strstr(error->message, "is kept"));
    g_clear_error(&error);
    g_free(huge);
    jt_sink_clear(&s);
}

/* A moving average of the weights and colour constancy: trained in two
 * halves, the run equals the uninterrupted one, and the model file says it
 * applies colour constancy. */
static void test_ema_colour(void)
{
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    const char *names[2] = {"ema-full", "ema-halves"};
    for (int half = 0; half < 2; half++) {
        dg_cnn_train_config *c = tiny(names[half], 8);
        c->ema = 0.9;
        c->color_p = 6;
        c->cutmix = 0.5; /* its draws resume exactly too */
        c->color_shift = 1.0; /* and the colour shift's (seeded by the step) */
        s.cancel_at = half ? 4 : 0; /* stopped after step 4, then resumed */
        g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==,
                        half ? DG_JOB_CANCELLED : DG_JOB_SUCCEEDED);
        g_assert_no_error(error);
        s.cancel_at = 0;
        if (half) {
            c = tiny(names[half], 8);
            c->ema = 0.9;
            c->color_p = 6;
            c->cutmix = 0.5;
            c->color_shift = 1.0;
            c->resume = TRUE;
            g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_SUCCEEDED);
            g_assert_no_error(error);
        }
    }
    char *pa = g_build_filename(tmp, "ema-full", "checkpoint.safetensors", NULL);
    char *pb = g_build_filename(tmp, "ema-halves", "checkpoint.safetensors", NULL);
    dg_st *sa = dg_st_load(pa, &error), *sb = dg_st_load(pb, &error);
    g_assert_no_error(error);
    const dg_st_tensor *ta = dg_st_find(sa, "ema.00.conv.weight"), *tb = dg_st_find(sb, "ema.00.conv.weight");
    if (!ta) /* the first conv's name depends on the architecture's node numbering */
        for (int i = 0; i < dg_st_n_tensors(sa) && !ta; i++)
            if (g_str_has_prefix(dg_st_tensor_at(sa, i)->name, "ema."))
                ta = dg_st_tensor_at(sa, i), tb = dg_st_find(sb, ta->name);
    g_assert_nonnull(ta);
    g_assert_nonnull(tb);
    g_assert_cmpmem(ta->data, ta->nbytes, tb->data, tb->nbytes);
    dg_st_free(sa), dg_st_free(sb);
    char *model = g_build_filename(tmp, "ema-full", "model.safetensors", NULL);
    dg_cnn *m = dg_cnn_load(model, 1, &error);
    g_assert_no_error(error);
    g_assert_cmpint(m->cfg.color_p, ==, 6);
    dg_cnn_free(m);
    g_free(pa), g_free(pb), g_free(model);
    jt_sink_clear(&s);
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

/* A HAM10000-layout copy of a generated ImageFolder with one more class
 * (nv) than the task's four, two images per lesion. */
static char *make_ham_with_nv(void)
{
    char *root = g_build_filename(tmp, "ham", NULL);
    char *src = jt_make_imagefolder(root, 5, 12, 32);
    char *images = g_build_filename(root, "images", NULL);
    g_mkdir_with_parents(images, 0755);
    GString *csv = g_string_new("lesion_id,image_id,dx,dx_type,age,sex,localization\n");
    const char *ids[] = {"akiec", "bcc", "bkl", "mel", "nv"};
    for (int c = 0; c < 5; c++)
        for (int i = 0; i < 12; i++) {
            char *name = g_strdup_printf("img-%02d.png", i);
            char *from = g_build_filename(src, ids[c], name, NULL);
            char *iid = g_strdup_printf("ISIC_%d%02d", c, i);
            char *to_name = g_strdup_printf("%s.png", iid);
            char *to = g_build_filename(images, to_name, NULL);
            g_assert_cmpint(g_rename(from, to), ==, 0);
            g_string_append_printf(csv, "HAM_%d%02d,%s,%s,histo,50,male,back\n", c, i / 2, iid,
                                   ids[c]);
            g_free(name), g_free(from), g_free(iid), g_free(to_name), g_free(to);
        }
    char *meta = g_build_filename(root, "HAM10000_metadata.csv", NULL);
    g_assert_true(g_file_set_contents(meta, csv->str, -1, NULL));
    g_string_free(csv, TRUE);
    g_free(meta), g_free(images), g_free(src);
    return root;
}

static void test_auxiliary_classes(void)
{
    GError *error = NULL;
    jt_sink s;
    jt_sink_init(&s);
    /* an ImageFolder has no task classes to single out */
    dg_cnn_train_config *c = tiny("aux-folder", 4);
    c->auxiliary = TRUE;
    g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "HAM10000"));
    g_clear_error(&error);

    char *ham = make_ham_with_nv();
    c = tiny("aux", 8);
    g_free(c->data);
    c->data = g_strdup(ham);
    c->auxiliary = TRUE;
    {
        dg_job_state st_ = jt_run(&dg_job_cnn_train, c, &s, &error);
        g_assert_no_error(error);
        g_assert_cmpint(st_, ==, DG_JOB_SUCCEEDED);
    }
    /* trained on five classes, saved for the four of the task */
    char *model = g_build_filename(tmp, "aux", "model.safetensors", NULL);
    dg_cnn *cnn = dg_cnn_load(model, 4, &error);
    g_assert_no_error(error);
    g_assert_cmpint(cnn->cfg.n_classes, ==, 4);
    g_assert_cmpstr(cnn->class_ids[0], ==, "akiec");
    g_assert_cmpstr(cnn->class_ids[3], ==, "mel");
    dg_st *st = dg_st_load(model, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(dg_st_metadata(st, "auxiliary_classes"), ==, "nv");
    dg_st_free(st);
    /* its probabilities are the five-class model's, renormalised over the four */
    dg_cnn *full = dg_cnn_new(&(dg_cnn_config){.arch = "dermanet", .size = 32, .n_classes = 5,
                                               .width = 8, .dropout = 0.2f},
                              4, (const char *const[]){"akiec", "bcc", "bkl", "mel", "nv"}, NULL);
    dg_rng r;
    dg_rng_seed(&r, 9);
    dg_cnn_init(full, &r);
    const int task[4] = {0, 1, 2, 3};
    dg_cnn *sub = dg_cnn_new_subset(full, 4, task, 4);
    float *x = g_new(float, 4 * 3 * 32 * 32), p5[20], p4[16];
    dg_rng_fill_normal(&r, x, 4L * 3 * 32 * 32, 0, 0.5f);
    dg_ctx *ctx = dg_ctx_new(1);
    dg_cnn_predict(full, ctx, x, 4, false, p5);
    dg_cnn_predict(sub, ctx, x, 4, false, p4);
    for (int i = 0; i < 4; i++) {
        float z = p5[i * 5] + p5[i * 5 + 1] + p5[i * 5 + 2] + p5[i * 5 + 3];
        for (int k = 0; k < 4; k++)
            g_assert_cmpfloat_with_epsilon(p4[i * 4 + k], p5[i * 5 + k] / z, 1e-5);
    }
    dg_ctx_free(ctx);
    g_free(x);
    dg_cnn_free(sub), dg_cnn_free(full), dg_cnn_free(cnn);
    g_free(model), g_free(ham);
    jt_sink_clear(&s);
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

/* The learning rate of every step (the PROGRESS value "lr") never exceeds
 * the peak, --lr: on a short run the warm-up (3% of the steps) is under one
 * or two steps long, and its first steps were given up to 33 times the peak;
 * the peak itself is reached. */
static void test_warm_up(void)
{
    const int steps[] = {1, 5, 50, 120};
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        char *name = g_strdup_printf("warm-up-%d", steps[i]);
        dg_cnn_train_config *c = tiny(name, steps[i]);
        c->lr = 1e-3;
        c->threads = 1;
        jt_sink s;
        jt_sink_init(&s);
        GError *error = NULL;
        g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_SUCCEEDED);
        g_assert_no_error(error);
        g_assert_cmpuint(s.steps->len, ==, (guint)steps[i]);
        double peak = 0.0;
        for (guint k = 0; k < s.steps->len; k++) {
            const double lr = g_array_index(s.values, double, 4 * k + 1);
            g_assert_cmpfloat(lr, >, 0.0);
            g_assert_cmpfloat(lr, <=, 1e-3 * (1 + 1e-6));
            peak = MAX(peak, lr);
        }
        g_assert_cmpfloat_with_epsilon(peak, 1e-3, 1e-9);
        jt_sink_clear(&s);
        g_free(name);
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
    g_test_message("%s", s.warning_text->str);
    g_assert_nonnull(strstr(s.warning_text->str, "is not the data set the model was trained on"));
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
    guint64 *keys = dg_cnn_read_calibration(copy, &n, &on, &error);
    g_assert_no_error(error);
    g_assert_nonnull(keys);
    g_assert_cmpint(n, ==, n_cal);
    g_assert_cmpstr(on, ==, sample);
    g_free(keys), g_free(on);
    /* the trained model itself has none */
    g_assert_null(dg_cnn_read_calibration(trained_model(), &n, NULL, &error));
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
    g_assert_nonnull(strstr(s.warning_text->str, "80 were among the images used to calibrate it"));
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
    g_assert_null(strstr(s.warning_text->str, "is not the data set"));
    jt_sink_clear(&s);
    on = NULL;
    keys = dg_cnn_read_calibration(copy, &n, &on, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(on, ==, data);
    g_free(keys), g_free(on);
    jt_sink_init(&s);
    o = evaluate_all(copy, sample, &s, &keep);
    g_assert_cmpint(json_object_get_int_member(o, "n_seen_in_calibration"), ==, 0);
    g_assert_false(json_object_has_member(o, "unseen"));
    json_node_unref(keep);
    jt_sink_clear(&s);
    g_free(copy), g_free(sample), g_free(csv);
}

/* Mean KL(teacher || model) over every image of the data set (raw logits). */
static double kl_to(const char *teacher_path, const char *model_path)
{
    GError *error = NULL;
    dg_load_options lo;
    dg_load_options_init(&lo);
    lo.cache_dir = "";
    lo.size = 32;
    dg_dataset *ds = dg_dataset_load(data, &lo, &error);
    g_assert_no_error(error);
    dg_cnn *t = dg_cnn_load(teacher_path, 8, &error), *m = dg_cnn_load(model_path, 8, &error);
    g_assert_no_error(error);
    const int N = ds->n_items, K = 4, S = 32;
    float *x = g_new(float, (long)N * 3 * S * S), *lt = g_new(float, N * K),
          *lm = g_new(float, N * K), *pt = g_new(float, N * K), *pm = g_new(float, N * K);
    for (int i = 0; i < N; i++)
        dg_image_to_float(dg_dataset_image(ds, i), S, x + (long)i * 3 * S * S);
    dg_ctx *ctx = dg_ctx_new(1);
    dg_cnn_logits(t, ctx, x, N, lt);
    dg_cnn_logits(m, ctx, x, N, lm);
    dg_softmax(lt, N, K, pt);
    dg_softmax(lm, N, K, pm);
    double kl = 0.0;
    for (int i = 0; i < N * K; i++)
        kl += pt[i] * (log(fmax(pt[i], 1e-12)) - log(fmax(pm[i], 1e-12)));
    dg_ctx_free(ctx);
    dg_cnn_free(t), dg_cnn_free(m);
    dg_dataset_free(ds);
    g_free(x), g_free(lt), g_free(lm), g_free(pt), g_free(pm);
    return kl / N;
}

/* A config that validates (and so saves) once, at its end. */
static dg_cnn_train_config *kd_config(const char *out, const char *teacher, double share)
{
    dg_cnn_train_config *c = tiny(out, 24);
    c->eval_every = 24;
    c->teacher = g_strdup(teacher);
    c->distill = share;
    return c;
}

/* Knowledge distillation: with a share of 0 the run is exactly the run
 * without a teacher (the teacher draws nothing from the run's random
 * streams); with a share of 1 the student agrees with its teacher much more
 * than the same run without one; the model file names its teacher; a
 * teacher of another image size or other classes, and a resume with another
 * teacher or with the teacher's file changed in place, are refused. */
static void test_distill(void)
{
    char *teacher = trained_model();
    GError *error = NULL;
    jt_must_succeed(&dg_job_cnn_train, kd_config("kd-plain", NULL, 0.5));
    jt_must_succeed(&dg_job_cnn_train, kd_config("kd-zero", teacher, 0.0));
    jt_must_succeed(&dg_job_cnn_train, kd_config("kd-one", teacher, 1.0));
    char *plain = g_build_filename(tmp, "kd-plain", "model.safetensors", NULL),
         *zero = g_build_filename(tmp, "kd-zero", "model.safetensors", NULL),
         *one = g_build_filename(tmp, "kd-one", "model.safetensors", NULL);
    dg_cnn *a = dg_cnn_load(plain, 8, &error), *b = dg_cnn_load(zero, 8, &error);
    g_assert_no_error(error);
    g_assert_cmpmem(dg_net_params(a->net), sizeof(float) * dg_net_n_params(a->net),
                    dg_net_params(b->net), sizeof(float) * dg_net_n_params(b->net));
    dg_cnn_free(a), dg_cnn_free(b);
    const double kl_plain = kl_to(teacher, plain), kl_one = kl_to(teacher, one);
    g_test_message("KL(teacher || student): %.4f without distillation, %.4f with", kl_plain,
                   kl_one);
    g_assert_cmpfloat(kl_one, <, 0.5 * kl_plain);
    dg_st *st = dg_st_load(one, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(dg_st_metadata(st, "teacher"), ==, "model.safetensors");
    g_assert_cmpstr(dg_st_metadata(st, "distill"), ==, "1");
    dg_st_free(st);

    /* refused: a teacher of another size, one of other classes, another teacher on resume */
    dg_cnn_config cc;
    g_assert_true(dg_cnn_config_arch(&cc, "dermanet", 4, &error));
    cc.width = 4;
    const char *ids[] = {"akiec", "bcc", "bkl", "mel", NULL}, *other[] = {"a", "b", "c", "d", NULL};
    dg_cnn *big = dg_cnn_new(&cc, 8, ids, ids); /* 64 x 64 */
    cc.size = 32;
    dg_cnn *alien = dg_cnn_new(&cc, 8, other, other);
    char *big_path = g_build_filename(tmp, "kd-big.safetensors", NULL),
         *alien_path = g_build_filename(tmp, "kd-alien.safetensors", NULL);
    g_assert_true(dg_cnn_save(big, big_path, NULL, &error));
    g_assert_true(dg_cnn_save(alien, alien_path, NULL, &error));
    dg_cnn_free(big), dg_cnn_free(alien);
    const char *bad[] = {big_path, alien_path};
    for (int i = 0; i < 2; i++) {
        jt_sink s;
        jt_sink_init(&s);
        g_assert_cmpint(jt_run(&dg_job_cnn_train, kd_config("kd-bad", bad[i], 0.5), &s, &error),
                        ==, DG_JOB_FAILED);
        g_assert_nonnull(strstr(error->message, "teacher"));
        g_clear_error(&error);
        jt_sink_clear(&s);
    }
    char *copy = g_build_filename(tmp, "kd-teacher-2.safetensors", NULL), *bytes = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(teacher, &bytes, &len, NULL));
    g_assert_true(g_file_set_contents(copy, bytes, (gssize)len, NULL));
    g_free(bytes);
    dg_cnn_train_config *c = kd_config("kd-one", copy, 1.0);
    c->steps = 28;
    c->resume = TRUE;
    jt_sink s;
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "--teacher"));
    g_clear_error(&error);
    jt_sink_clear(&s);

    /* the same teacher file resumes; changed in place under its name, it is
     * another teacher and refused */
    jt_must_succeed(&dg_job_cnn_train, kd_config("kd-inplace", copy, 0.5));
    c = kd_config("kd-inplace", copy, 0.5);
    c->steps = 28;
    c->resume = TRUE;
    jt_must_succeed(&dg_job_cnn_train, c);
    dg_cnn *t = dg_cnn_load(copy, 8, &error);
    g_assert_no_error(error);
    dg_net_params(t->net)[0] += 0.5f;
    g_assert_true(dg_cnn_save(t, copy, NULL, &error));
    dg_cnn_free(t);
    c = kd_config("kd-inplace", copy, 0.5);
    c->steps = 32;
    c->resume = TRUE;
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "--teacher has changed"));
    g_clear_error(&error);
    jt_sink_clear(&s);
    g_free(plain), g_free(zero), g_free(one), g_free(big_path), g_free(alien_path), g_free(copy);
}

/* A class too small to reach the validation split: training says that the
 * balanced accuracy choosing its model leaves that class out. */
static void test_class_without_validation(void)
{
    char *parent = g_build_filename(tmp, "one-bkl", NULL);
    g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
    char *d = jt_make_imagefolder(parent, 3, 10, 32);
    char *bkl = g_build_filename(d, "bkl", NULL);
    GDir *dir = g_dir_open(bkl, 0, NULL);
    g_assert_nonnull(dir);
    const char *name;
    int kept = 0;
    while ((name = g_dir_read_name(dir))) { /* one image of bkl left */
        char *f = g_build_filename(bkl, name, NULL);
        if (kept++ > 0)
            g_assert_cmpint(g_unlink(f), ==, 0);
        g_free(f);
    }
    g_dir_close(dir);
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    g_assert_cmpint(jt_run(&dg_job_cnn_train, ct_tiny(tmp, d, "one-bkl-run", 2), &s, &error), ==,
                    DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    gboolean said = FALSE;
    for (guint i = 0; i < s.messages->len; i++)
        said |= strstr(g_ptr_array_index(s.messages, i), "class 'bkl' has no validation images") != NULL;
    g_assert_true(said);
    jt_sink_clear(&s);
    g_free(bkl), g_free(d), g_free(parent);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-cnn-job-XXXXXX", NULL);
    data = ct_make_data(tmp);
    g_test_add_func("/jobs/cnn/exact-resume", test_exact_resume);
    g_test_add_func("/jobs/cnn/bad-settings", test_bad_settings);
    g_test_add_func("/jobs/cnn/auxiliary-classes", test_auxiliary_classes);
    g_test_add_func("/jobs/cnn/divergence", test_divergence);
    g_test_add_func("/jobs/cnn/ema-colour", test_ema_colour);
    g_test_add_func("/jobs/cnn/warm-up", test_warm_up);
    g_test_add_func("/jobs/cnn/evaluate", test_evaluate);
    g_test_add_func("/jobs/cnn/predict", test_predict);
    g_test_add_func("/jobs/cnn/gradcam", test_gradcam_finite);
    g_test_add_func("/jobs/cnn/ensemble", test_ensemble);
    g_test_add_func("/jobs/cnn/calibrate-keeps-provenance", test_calibrate_keeps_provenance);
    g_test_add_func("/jobs/cnn/distill", test_distill);
    g_test_add_func("/jobs/cnn/class-without-validation", test_class_without_validation);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp), g_free(data);
    return rc;
}

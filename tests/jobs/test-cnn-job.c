/* test-cnn-job: the classifier's training end to end on a tiny generated
 * data set: exact resume with dropout, cancel with a checkpoint, settings
 * refused, divergence, auxiliary classes, EMA and colour constancy, the
 * learning-rate warm-up, knowledge distillation, the logit-adjusted loss,
 * and a class too small for the validation split.  What is done with a trained classifier (evaluation,
 * prediction, Grad-CAM, ensembles, calibration) is in test-cnn-eval-job;
 * what uses a GAN as well (the ablation, the GAN quality scores) is in
 * test-ablation-job. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "cnn-test-util.h"
#include "data/dg-dataset.h"
#include "jobs/dg-job-cnn.h"
#include "models/dg-classifier-post.h"
#include "models/dg-classifier.h"
#include "models/dg-safetensors.h"
#include "numerics/dg-loss.h"

static char *tmp, *data;

static dg_cnn_train_config *tiny(const char *out, int steps)
{
    return ct_tiny(tmp, data, out, steps);
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

/* The logit-adjusted loss (Menon et al. 2021): a step's loss is the
 * cross-entropy of the logits plus the bias, computed here by hand from the
 * same training-mode logits, and the bias changes the update; a training
 * with "logit-adjust" runs and differs from one with "none", and is refused
 * with a fixed synthetic share (whose batches have another class prior); an
 * unknown balancing's error names the new one. */
static void test_logit_adjust(void)
{
    dg_cnn_config cc;
    GError *error = NULL;
    g_assert_true(dg_cnn_config_arch(&cc, "dermanet", 4, &error));
    cc.width = 4, cc.size = 32;
    const char *ids[] = {"akiec", "bcc", "bkl", "mel", NULL};
    enum { B = 6, K = 4, S = 32 };
    dg_cnn *a = dg_cnn_new(&cc, B, ids, ids), *b = dg_cnn_new(&cc, B, ids, ids);
    dg_rng rng;
    dg_rng_seed(&rng, 3);
    dg_cnn_init(b, &rng);
    dg_rng_seed(&rng, 3);
    dg_cnn_init(a, &rng);
    float *x = g_new(float, (long)B * 3 * S * S), logits[B * K], shifted[B * K];
    for (long i = 0; i < (long)B * 3 * S * S; i++)
        x[i] = dg_rng_uniform(&rng) * 2.0f - 1.0f;
    const int y[B] = {0, 1, 2, 3, 3, 2};
    const float bias[K] = {-2.2f, -1.8f, -1.0f, -1.0f};
    dg_ctx *ctx = dg_ctx_new(1);
    /* a step with lr 0; its training-mode logits (batch statistics, dropout)
     * stay in the net's output */
    dg_opt opt;
    dg_opt_adam(&opt, 0.0f, 0.9f, 0.999f);
    dg_cnn_step_stats st0, st1;
    a->train_logit_bias = bias;
    g_assert_true(dg_cnn_train_step(a, ctx, &opt, x, y, NULL, NULL, B, NULL, 0.1f, NULL, NULL, &st1));
    memcpy(logits, dg_net_output(a->net), sizeof logits);
    for (int i = 0; i < B * K; i++)
        shifted[i] = logits[i] + bias[i % K];
    const float want = dg_softmax_xent(shifted, y, B, K, NULL, 0.1f, NULL, NULL),
                plain = dg_softmax_xent(logits, y, B, K, NULL, 0.1f, NULL, NULL);
    g_assert_cmpfloat_with_epsilon(st1.loss, want, 1e-5);
    g_assert_cmpfloat(fabsf(plain - want), >, 1e-3);
    /* with a learning rate, the bias changes the update */
    dg_opt_adam(&opt, 1e-2f, 0.9f, 0.999f);
    b->train_logit_bias = NULL;
    g_assert_true(dg_cnn_train_step(a, ctx, &opt, x, y, NULL, NULL, B, NULL, 0.1f, NULL, NULL, &st1));
    g_assert_true(dg_cnn_train_step(b, ctx, &opt, x, y, NULL, NULL, B, NULL, 0.1f, NULL, NULL, &st0));
    const long np = dg_net_n_params(a->net);
    g_assert_true(memcmp(dg_net_params(a->net), dg_net_params(b->net), sizeof(float) * np) != 0);
    dg_ctx_free(ctx);
    dg_cnn_free(a), dg_cnn_free(b);
    g_free(x);

    /* end to end: runs, and differs from no balancing */
    dg_cnn_train_config *c = tiny("la-none", 12);
    g_free(c->balance), c->balance = g_strdup("none");
    jt_must_succeed(&dg_job_cnn_train, c);
    c = tiny("la-adjust", 12);
    g_free(c->balance), c->balance = g_strdup("logit-adjust");
    jt_must_succeed(&dg_job_cnn_train, c);
    char *pn = g_build_filename(tmp, "la-none", "model.safetensors", NULL),
         *pa = g_build_filename(tmp, "la-adjust", "model.safetensors", NULL);
    a = dg_cnn_load(pn, 8, &error);
    g_assert_no_error(error);
    b = dg_cnn_load(pa, 8, &error);
    g_assert_no_error(error);
    g_assert_true(memcmp(dg_net_params(a->net), dg_net_params(b->net),
                         sizeof(float) * dg_net_n_params(a->net)) != 0);
    dg_cnn_free(a), dg_cnn_free(b);
    g_free(pn), g_free(pa);
    c = tiny("la-share", 12);
    g_free(c->balance), c->balance = g_strdup("logit-adjust");
    c->synthetic = g_strdup(data);
    c->synthetic_ratio = 0.25;
    jt_sink s0;
    jt_sink_init(&s0);
    g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s0, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "--synthetic-ratio"));
    g_clear_error(&error);
    jt_sink_clear(&s0);
    c = tiny("la-bad", 12);
    g_free(c->balance), c->balance = g_strdup("prior");
    jt_sink s;
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_cnn_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "logit-adjust"));
    g_clear_error(&error);
    jt_sink_clear(&s);
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
    g_assert_true(jt_said(&s, "warning", "class 'bkl' has no validation images"));
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
    g_test_add_func("/jobs/cnn/distill", test_distill);
    g_test_add_func("/jobs/cnn/logit-adjust", test_logit_adjust);
    g_test_add_func("/jobs/cnn/class-without-validation", test_class_without_validation);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp), g_free(data);
    return rc;
}

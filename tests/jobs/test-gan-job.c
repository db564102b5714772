/* test-gan-job: the GAN training job end to end on a tiny generated data set:
 * exact resume, cancel with a checkpoint, refusal to overwrite a run,
 * divergence handling, a new run from a trained one's weights (also one of
 * other classes) (generation from a trained model: test-generate-job). */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "jobs-test-util.h"
#include "jobs/dg-job-gan.h"
#include "jobs/dg-run-info.h"
#include "models/dg-classifier.h"
#include "models/dg-safetensors.h"

static char *tmp, *data;

static dg_gan_train_config *tiny(const char *out, int steps)
{
    dg_gan_train_config *c = dg_gan_train_config_new();
    c->data = g_strdup(data);
    c->out = g_build_filename(tmp, out, NULL);
    g_free(c->preset);
    c->preset = g_strdup("tiny");
    c->steps = steps;
    c->threads = 2;
    c->seed = 11;
    c->cache_dir = g_strdup("");
    c->sample_every = 4;
    c->checkpoint_every = 5;
    return c;
}

static void test_exact_resume(void)
{
    jt_sink a, b;
    jt_sink_init(&a);
    jt_sink_init(&b);
    GError *error = NULL;
    g_assert_cmpint(jt_run(&dg_job_gan_train, tiny("full", 12), &a, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_cmpuint(a.steps->len, ==, 12);
    g_assert_cmpint(a.results, ==, 1);
    /* a sample grid at the start, every 4 steps and at the end: one row per class */
    g_assert_cmpint(a.images, >=, 4);
    g_assert_cmpint(a.last_image_h, ==, 3 * 32 + 4 * 2);
    g_assert_cmpint(a.last_image_w, ==, 8 * 32 + 9 * 2);

    /* the same run in two halves */
    g_assert_cmpint(jt_run(&dg_job_gan_train, tiny("halves", 6), &b, &error), ==, DG_JOB_SUCCEEDED);
    dg_gan_train_config *c = tiny("halves", 12);
    c->resume = TRUE;
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &b, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_cmpuint(b.steps->len, ==, 12);
    for (guint i = 0; i < 12; i++)
        g_assert_cmpint(g_array_index(b.steps, gint64, i), ==, (gint64)i + 1);
    /* every loss and score of every step is identical */
    g_assert_cmpmem(a.values->data, a.values->len * sizeof(double), b.values->data,
                    b.values->len * sizeof(double));
    jt_sink_clear(&a);
    jt_sink_clear(&b);
}

static void test_cancel_keeps_checkpoint(void)
{
    jt_sink s;
    jt_sink_init(&s);
    s.cancel_at = 3;
    GError *error = NULL;
    g_assert_cmpint(jt_run(&dg_job_gan_train, tiny("cancel", 1000), &s, &error), ==,
                    DG_JOB_CANCELLED);
    g_assert_no_error(error);
    char *ck = g_build_filename(tmp, "cancel", "checkpoint.safetensors", NULL);
    char *model = g_build_filename(tmp, "cancel", "generator.safetensors", NULL);
    dg_st *st = dg_st_load(ck, &error);
    g_assert_no_error(error);
    const dg_st_tensor *t = dg_st_find(st, "step");
    g_assert_nonnull(t);
    gint64 step;
    memcpy(&step, t->data, 8);
    g_assert_cmpint(step, ==, 3); /* cancel is honoured at the next step boundary */
    g_assert_true(g_file_test(model, G_FILE_TEST_IS_REGULAR));
    dg_st_free(st);

    /* a second run into the same folder is refused, nothing is overwritten */
    GStatBuf before, after;
    g_assert_cmpint(g_stat(ck, &before), ==, 0);
    g_assert_cmpint(jt_run(&dg_job_gan_train, tiny("cancel", 10), &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "already holds a training run"));
    g_clear_error(&error);
    g_assert_cmpint(g_stat(ck, &after), ==, 0);
    g_assert_cmpint(before.st_mtime, ==, after.st_mtime);
    g_assert_cmpint(before.st_size, ==, after.st_size);

    /* resuming a folder without a checkpoint is a clear error */
    dg_gan_train_config *c = tiny("nothing-here", 10);
    c->resume = TRUE;
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "nothing to resume"));
    g_clear_error(&error);
    g_free(ck), g_free(model);
    jt_sink_clear(&s);
}

static void test_divergence(void)
{
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    /* a learning rate out of range is refused before anything runs */
    dg_gan_train_config *c = tiny("diverge-lr", 20);
    c->lr = 1e15;
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "out of range"));
    g_clear_error(&error);

    /* weights that overflow in the first forward pass (finite in the file, so
     * the checkpoint loads): the run stops as diverged, names the checkpoint
     * it keeps, and that checkpoint is untouched */
    g_assert_cmpint(jt_run(&dg_job_gan_train, tiny("diverge", 10), &s, &error), ==,
                    DG_JOB_SUCCEEDED);
    char *ck = g_build_filename(tmp, "diverge", "checkpoint.safetensors", NULL);
    jt_st_rewrite(ck, jt_edit_overflow, "g.", NULL, NULL);
    jt_st_rewrite(ck, jt_edit_overflow, "d.", NULL, NULL);
    gchar *before = NULL, *after = NULL;
    gsize nb = 0, na = 0;
    g_assert_true(g_file_get_contents(ck, &before, &nb, NULL));
    c = tiny("diverge", 20);
    c->resume = TRUE;
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_error(error, DG_JOB_ERROR, DG_JOB_ERROR_DIVERGED);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "not finite"));
    g_assert_nonnull(strstr(error->message, "checkpoint (step 10) is kept"));
    g_clear_error(&error);
    g_assert_true(g_file_get_contents(ck, &after, &na, NULL));
    g_assert_cmpmem(before, nb, after, na);
    for (guint i = 0; i < s.values->len; i++)
        g_assert_true(isfinite(g_array_index(s.values, double, i)));
    g_free(before), g_free(after), g_free(ck);
    jt_sink_clear(&s);
}

/* The quality monitor's figures (step, Frechet) of a run; cancels it after
 * three measurements past step 0. */
typedef struct {
    dg_job *job;
    GArray *fd; /* doubles: step, frechet */
} monitor_sink;

static void on_monitor_event(const dg_event *ev, void *user)
{
    monitor_sink *m = user;
    if (ev->kind != DG_EVENT_EPOCH || ev->step == 0)
        return;
    for (int i = 0; i < ev->n_values; i++)
        if (!strcmp(ev->keys[i], "frechet")) {
            double row[2] = {(double)ev->step, ev->values[i]};
            g_array_append_vals(m->fd, row, 2);
        }
    if (m->fd->len >= 6)
        dg_job_cancel(m->job);
}

/* generator-best.safetensors holds the generator of the lowest monitored
 * Frechet distance, beside the last one. */
static void test_best_generator(void)
{
    /* a feature extractor of the tiny preset's size (random weights do: the
     * monitor only compares features) */
    dg_cnn_config cc;
    GError *error = NULL;
    g_assert_true(dg_cnn_config_arch(&cc, "dermanet", 3, &error));
    cc.size = 32;
    cc.width = 4;
    const char *ids[] = {"akiec", "bcc", "bkl", NULL};
    dg_cnn *cnn = dg_cnn_new(&cc, 8, ids, ids);
    dg_rng rng;
    dg_rng_seed(&rng, 3);
    dg_cnn_init(cnn, &rng);
    char *cls = g_build_filename(tmp, "monitor.safetensors", NULL);
    g_assert_true(dg_cnn_save(cnn, cls, NULL, &error));
    dg_cnn_free(cnn);

    dg_gan_train_config *c = tiny("best", 1000000);
    c->quality_model = g_strdup(cls);
    c->quality_every = 1;
    c->checkpoint_every = 1000000;
    c->sample_every = 1000000;
    monitor_sink m = {NULL, g_array_new(FALSE, FALSE, sizeof(double))};
    m.job = dg_job_new(&dg_job_gan_train, c, on_monitor_event, &m);
    g_assert_cmpint(dg_job_run(m.job, &error), ==, DG_JOB_CANCELLED);
    g_assert_no_error(error);
    dg_job_free(m.job);
    g_assert_cmpuint(m.fd->len, >=, 6);
    const double *f = (const double *)m.fd->data;
    int best = 0;
    for (guint i = 0; i < m.fd->len / 2; i++)
        if (f[2 * i + 1] < f[2 * best + 1])
            best = (int)i;
    char *path = g_build_filename(tmp, "best", "generator-best.safetensors", NULL);
    dg_st *st = dg_st_load(path, &error);
    g_assert_no_error(error);
    g_test_message("best of %u measurements: step %.0f, Frechet %.4f", m.fd->len / 2,
                   f[2 * best], f[2 * best + 1]);
    char want[32];
    g_snprintf(want, sizeof want, "%.4f", f[2 * best + 1]);
    g_assert_cmpstr(dg_st_metadata(st, "monitor_frechet"), ==, want);
    g_assert_cmpint(g_ascii_strtoll(dg_st_metadata(st, "trained_steps"), NULL, 10), ==,
                    (gint64)f[2 * best]);
    dg_st_free(st);
    g_free(path);
    g_free(cls);
    g_array_free(m.fd, TRUE);
}

/* The largest difference between the discriminator weights ("d.*.weight")
 * of two files. */
static double d_weight_diff(const char *a_path, const char *b_path)
{
    GError *error = NULL;
    dg_st *a = dg_st_load(a_path, &error), *b = dg_st_load(b_path, &error);
    g_assert_no_error(error);
    double worst = 0;
    int n = 0;
    for (int i = 0; i < dg_st_n_tensors(a); i++) {
        const dg_st_tensor *ta = dg_st_tensor_at(a, i);
        if (!g_str_has_prefix(ta->name, "d.") || !g_str_has_suffix(ta->name, ".weight"))
            continue;
        const dg_st_tensor *tb = dg_st_find(b, ta->name);
        g_assert_nonnull(tb);
        g_assert_cmpint(tb->numel, ==, ta->numel);
        for (int64_t k = 0; k < ta->numel; k++) {
            float x, y;
            memcpy(&x, (const char *)ta->data + 4 * k, 4);
            memcpy(&y, (const char *)tb->data + 4 * k, 4);
            worst = fmax(worst, fabs((double)x - y));
        }
        n++;
    }
    g_assert_cmpint(n, >, 2);
    dg_st_free(a);
    dg_st_free(b);
    return worst;
}

/* --init-from: a new run starts from another run's weights (its checkpoint
 * or its model file), keeps saying so when resumed, and refuses networks
 * of another shape and the combination with --resume. */
static void test_init_from(void)
{
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    g_assert_cmpint(jt_run(&dg_job_gan_train, tiny("src", 6), &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    char *src_ckpt = g_build_filename(tmp, "src", "checkpoint.safetensors", NULL);
    char *src_model = g_build_filename(tmp, "src", "generator.safetensors", NULL);
    const char *from[2] = {src_ckpt, src_model}, *out[2] = {"warm-ckpt", "warm-model"};
    for (int i = 0; i < 2; i++) {
        /* one step at a negligible learning rate: the weights are the source's */
        dg_gan_train_config *c = tiny(out[i], 1);
        c->init_from = g_strdup(from[i]);
        c->lr = 1e-8;
        g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_SUCCEEDED);
        g_assert_no_error(error);
        char *model = g_build_filename(tmp, out[i], "generator.safetensors", NULL);
        double diff = d_weight_diff(src_model, model);
        g_test_message("%s: discriminator weights within %.3g of the source's", out[i], diff);
        g_assert_cmpfloat(diff, <, 1e-6);
        dg_st *st = dg_st_load(model, &error);
        g_assert_no_error(error);
        g_assert_nonnull(strstr(dg_st_metadata(st, "initialized_from"), from[i]));
        g_assert_nonnull(strstr(dg_st_metadata(st, "initialized_from"), "after 6 steps"));
        dg_st_free(st);
        g_free(model);
    }
    char *seeded = g_build_filename(tmp, "src-seeded", "generator.safetensors", NULL);
    dg_gan_train_config *c = tiny("src-seeded", 1); /* from a seed: far from them */
    c->lr = 1e-8;
    c->seed = 12;
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_cmpfloat(d_weight_diff(src_model, seeded), >, 1e-3);

    /* resumed, the warm run still names where it started */
    c = tiny("warm-ckpt", 3);
    c->lr = 1e-8;
    c->resume = TRUE;
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    char *model = g_build_filename(tmp, "warm-ckpt", "generator.safetensors", NULL);
    dg_st *st = dg_st_load(model, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(dg_st_metadata(st, "initialized_from"), src_ckpt));
    g_assert_cmpstr(dg_st_metadata(st, "trained_steps"), ==, "3");
    g_assert_cmpstr(dg_st_metadata(st, "steps_before"), ==, "6"); /* kept across the resume */
    dg_st_free(st);
    /* a chain: a run from the warm run counts the steps of both before it */
    c = tiny("warm-chain", 1);
    c->lr = 1e-8;
    c->init_from = g_strdup(model);
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_autofree char *chain = g_build_filename(tmp, "warm-chain", "generator.safetensors", NULL);
    st = dg_st_load(chain, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(dg_st_metadata(st, "initialized_from"), "after 9 steps"));
    g_assert_cmpstr(dg_st_metadata(st, "steps_before"), ==, "9");
    g_assert_cmpstr(dg_st_metadata(st, "trained_steps"), ==, "1");
    dg_st_free(st);

    /* other networks, both options, a file that is not a GAN */
    c = tiny("warm-other", 1);
    g_free(c->preset);
    c->preset = g_strdup("tiny-resnet");
    c->init_from = g_strdup(src_ckpt);
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "networks differ"));
    g_clear_error(&error);
    c = tiny("warm-both", 1);
    c->init_from = g_strdup(src_ckpt);
    c->resume = TRUE;
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "--resume"));
    g_clear_error(&error);
    c = tiny("warm-bad", 1);
    c->init_from = g_build_filename(tmp, "src", "config.json", NULL);
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "cannot start from"));
    g_clear_error(&error);
    g_free(model);
    g_free(seeded);
    g_free(src_ckpt);
    g_free(src_model);
    jt_sink_clear(&s);
}

/* The checkpoint at path rewritten with its class-head history dropped (an
 * older run's) or one row short (corrupt). */
static void rewrite_class_history(const char *path, gboolean drop)
{
    GError *error = NULL;
    dg_st *st = dg_st_load(path, &error);
    g_assert_no_error(error);
    dg_st_writer *w = dg_st_writer_new();
    for (int i = 0; i < dg_st_n_tensors(st); i++) {
        const dg_st_tensor *t = dg_st_tensor_at(st, i);
        if (strcmp(t->name, "class_history") != 0) {
            dg_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data);
        } else if (!drop) {
            int64_t shape[2] = {t->shape[0] - 1, t->shape[1]};
            dg_st_writer_add(w, t->name, t->dtype, 2, shape, t->data);
        }
    }
    for (const char *const *k = dg_st_metadata_keys(st); k && *k; k++)
        dg_st_writer_set_metadata(w, *k, dg_st_metadata(st, *k));
    g_assert_true(dg_st_writer_save(w, path, &error));
    g_assert_no_error(error);
    dg_st_writer_free(w);
    dg_st_free(st);
}

/* A run of the default's networks at width 4 with twin class heads. */
static dg_gan_train_config *twin_heads(int steps, gboolean resume)
{
    dg_gan_train_config *c = tiny("class-history", steps);
    g_free(c->preset);
    c->preset = g_strdup("x-resnetrcy-ap-4-4-0.3-0-2dc-1t");
    c->quality_every = -1;
    c->resume = resume;
    return c;
}

/* A run with class heads keeps their losses per step in its checkpoint, so
 * that a reopened run draws them (the GAN view); a resume continues them; a
 * run from before they were kept resumes with NaN (not drawn) for its
 * earlier steps; a history that does not match the steps is refused. */
static void test_class_history(void)
{
    GError *error = NULL;
    jt_must_succeed(&dg_job_gan_train, twin_heads(3, FALSE));
    char *run = g_build_filename(tmp, "class-history", NULL),
         *ckpt = g_build_filename(run, "checkpoint.safetensors", NULL);
    dg_run_info *r = dg_run_info_read(run, &error);
    g_assert_no_error(error);
    g_assert_cmpint(r->n_history, ==, 3);
    g_assert_nonnull(r->class_history);
    for (int i = 0; i < 3 * DG_GAN_CLASS_HISTORY_COLS; i++)
        g_assert_true(isfinite(r->class_history[i]) && r->class_history[i] > 0);
    dg_run_info_free(r);

    rewrite_class_history(ckpt, TRUE);
    jt_must_succeed(&dg_job_gan_train, twin_heads(5, TRUE));
    r = dg_run_info_read(run, &error);
    g_assert_no_error(error);
    g_assert_cmpint(r->n_history, ==, 5);
    g_assert_nonnull(r->class_history);
    for (int i = 0; i < 5 * DG_GAN_CLASS_HISTORY_COLS; i++)
        g_assert_true(i < 3 * DG_GAN_CLASS_HISTORY_COLS ? isnan(r->class_history[i])
                                                        : isfinite(r->class_history[i]));
    dg_run_info_free(r);

    rewrite_class_history(ckpt, FALSE);
    jt_sink s;
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_gan_train, twin_heads(7, TRUE), &s, &error), ==, DG_JOB_FAILED);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "class-head history"));
    g_clear_error(&error);
    jt_sink_clear(&s);
    g_free(run), g_free(ckpt);
}

/* Row r of the 2-D float tensor name of st (C values). */
static const float *table_row(const dg_st *st, const char *name, int r, int *C)
{
    const dg_st_tensor *t = dg_st_find(st, name);
    g_assert_nonnull(t);
    g_assert_cmpint(t->ndim, ==, 2);
    g_assert_cmpint(r, <, t->shape[0]);
    *C = (int)t->shape[1];
    return (const float *)t->data + (long)r * t->shape[1];
}

/* Checks every class table (class-conditional batch norm, projection) of the
 * model at to_path against from_path's: row k of `to` is row rows[k] of
 * `from`, or the mean of from's n_from rows where rows[k] is -1.  The number
 * of tables compared. */
static int check_class_tables(const char *from_path, const char *to_path, const int *rows,
                              int n_to, int n_from)
{
    GError *error = NULL;
    dg_st *a = dg_st_load(from_path, &error), *b = dg_st_load(to_path, &error);
    g_assert_no_error(error);
    int tables = 0;
    for (int i = 0; i < dg_st_n_tensors(b); i++) {
        const char *name = dg_st_tensor_at(b, i)->name;
        if (!g_str_has_suffix(name, ".cbn.gamma") && !g_str_has_suffix(name, ".cbn.beta") &&
            !g_str_has_suffix(name, ".project.table"))
            continue;
        g_assert_cmpint(dg_st_find(a, name)->shape[0], ==, n_from);
        g_assert_cmpint(dg_st_tensor_at(b, i)->shape[0], ==, n_to);
        for (int k = 0; k < n_to; k++) {
            int C;
            const float *got = table_row(b, name, k, &C);
            for (int j = 0; j < C; j++) {
                double want = 0;
                if (rows[k] >= 0) {
                    want = table_row(a, name, rows[k], &C)[j];
                } else {
                    for (int q = 0; q < n_from; q++)
                        want += table_row(a, name, q, &C)[j];
                    want /= n_from;
                }
                g_assert_cmpfloat_with_epsilon(got[j], want, 1e-5);
            }
        }
        tables++;
    }
    dg_st_free(a), dg_st_free(b);
    return tables;
}

static dg_gan_train_config *conditioned(const char *out, const char *on, int steps)
{
    dg_gan_train_config *c = tiny(out, steps);
    g_free(c->preset);
    c->preset = g_strdup("x-resnetrcy-ap-4-4-0.3-0-2dc");
    g_free(c->data);
    c->data = g_strdup(on);
    c->quality_every = -1;
    return c;
}

/* --init-from across class sets (a GAN on all of HAM10000's classes started
 * from one on its four task classes, and back): the shared classes keep
 * their conditioning by class id, a new class starts from the mean of the
 * file's; no shared class, or class heads, are refused.  Then gan export:
 * a model cut down to some of its classes draws the same images for them. */
static void test_init_from_classes(void)
{
    char *p4 = g_build_filename(tmp, "four", NULL), *p2 = g_build_filename(tmp, "other", NULL);
    char *data4 = jt_make_imagefolder(p4, 4, 10, 40);    /* akiec bcc bkl mel */
    char *data_other = jt_make_imagefolder(p2, 5, 4, 40); /* mel nv, below */
    for (int i = 0; i < 3; i++) {
        static const char *gone[] = {"akiec", "bcc", "bkl"};
        char *d = g_build_filename(data_other, gone[i], NULL);
        jt_rm_rf(d);
        g_free(d);
    }
    jt_must_succeed(&dg_job_gan_train, conditioned("cls-src", data, 4)); /* akiec bcc bkl */
    char *src = g_build_filename(tmp, "cls-src", "generator.safetensors", NULL);

    /* one step at a negligible learning rate: the weights are where they started */
    dg_gan_train_config *c = conditioned("cls-four", data4, 1);
    c->init_from = g_strdup(src);
    c->lr = 1e-8;
    jt_must_succeed(&dg_job_gan_train, c);
    char *four = g_build_filename(tmp, "cls-four", "generator.safetensors", NULL);
    const int rows_up[4] = {0, 1, 2, -1};
    g_assert_cmpint(check_class_tables(src, four, rows_up, 4, 3), >=, 3);

    c = conditioned("cls-back", data, 1); /* four to three: mel is left behind */
    c->init_from = g_strdup(four);
    c->lr = 1e-8;
    jt_must_succeed(&dg_job_gan_train, c);
    char *back = g_build_filename(tmp, "cls-back", "generator.safetensors", NULL);
    const int rows_down[3] = {0, 1, 2};
    g_assert_cmpint(check_class_tables(four, back, rows_down, 3, 4), >=, 3);
    const int rows_same[3] = {0, 1, 2};
    g_assert_cmpint(check_class_tables(src, back, rows_same, 3, 3), >=, 3);

    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    c = conditioned("cls-none", data_other, 1); /* mel, nv: none of the file's */
    c->init_from = g_strdup(src);
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "none of this data set's classes"));
    g_clear_error(&error);
    c = conditioned("cls-head", data4, 1);
    g_free(c->preset);
    c->preset = g_strdup("x-resnetrcy-ap-4-4-0.3-0-2dc-1t");
    c->init_from = g_strdup(src);
    g_assert_cmpint(jt_run(&dg_job_gan_train, c, &s, &error), ==, DG_JOB_FAILED);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "class head"));
    g_clear_error(&error);
    jt_sink_clear(&s);

    /* gan export: the four-class model cut down to mel and akiec (kept in the
     * file's order) draws the same images for them */
    dg_gan_export_config *x = dg_gan_export_config_new();
    x->model = g_strdup(four);
    x->classes = g_strsplit("mel,akiec", ",", -1);
    x->out = g_build_filename(tmp, "cut.safetensors", NULL);
    char *cut = g_strdup(x->out);
    jt_must_succeed(&dg_job_gan_export, x);
    const int rows_cut[2] = {0, 3};
    g_assert_cmpint(check_class_tables(four, cut, rows_cut, 2, 4), >=, 3);
    const char *from[2] = {four, cut}, *dirs[2] = {"cut-gen-four", "cut-gen-two"};
    for (int i = 0; i < 2; i++) {
        dg_gan_generate_config *g = dg_gan_generate_config_new();
        g->model = g_strdup(from[i]);
        g->out = g_build_filename(tmp, dirs[i], NULL);
        g->per_class = 2;
        g->classes = g_strsplit("akiec,mel", ",", -1);
        jt_must_succeed(&dg_job_gan_generate, g);
    }
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 2; i++) {
            static const char *cls[] = {"akiec", "mel"};
            char *name = g_strdup_printf("syn-%s-1-%05d.png", cls[k], i);
            char *a = g_build_filename(tmp, dirs[0], cls[k], name, NULL),
                 *b = g_build_filename(tmp, dirs[1], cls[k], name, NULL);
            char *ca = NULL, *cb = NULL;
            gsize na = 0, nb = 0;
            g_assert_true(g_file_get_contents(a, &ca, &na, NULL));
            g_assert_true(g_file_get_contents(b, &cb, &nb, NULL));
            g_assert_cmpmem(ca, na, cb, nb);
            g_free(ca), g_free(cb), g_free(a), g_free(b), g_free(name);
        }
    /* refused: an existing file, a class it does not have, class heads */
    jt_sink_init(&s);
    x = dg_gan_export_config_new();
    x->model = g_strdup(four);
    x->classes = g_strsplit("mel", ",", -1);
    x->out = g_strdup(cut);
    g_assert_cmpint(jt_run(&dg_job_gan_export, x, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "not overwriting"));
    g_clear_error(&error);
    /* a dangling symlink too (writing would replace it) */
    char *dangling = g_build_filename(tmp, "dangling.safetensors", NULL);
    g_assert_cmpint(symlink("nowhere.safetensors", dangling), ==, 0);
    x = dg_gan_export_config_new();
    x->model = g_strdup(four);
    x->classes = g_strsplit("mel", ",", -1);
    x->out = g_strdup(dangling);
    g_assert_cmpint(jt_run(&dg_job_gan_export, x, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "not overwriting"));
    g_clear_error(&error);
    g_assert_true(g_file_test(dangling, G_FILE_TEST_IS_SYMLINK));
    g_free(dangling);
    x = dg_gan_export_config_new();
    x->model = g_strdup(four);
    x->classes = g_strsplit("mel,nv", ",", -1);
    x->out = g_build_filename(tmp, "cut-nv.safetensors", NULL);
    g_assert_cmpint(jt_run(&dg_job_gan_export, x, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "no class 'nv'"));
    g_clear_error(&error);
    c = twin_heads(1, FALSE);
    g_free(c->out);
    c->out = g_build_filename(tmp, "cut-heads-run", NULL);
    jt_must_succeed(&dg_job_gan_train, c);
    x = dg_gan_export_config_new();
    x->model = g_build_filename(tmp, "cut-heads-run", "generator.safetensors", NULL);
    x->classes = g_strsplit("bcc", ",", -1);
    x->out = g_build_filename(tmp, "cut-heads.safetensors", NULL);
    g_assert_cmpint(jt_run(&dg_job_gan_export, x, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "class heads"));
    g_clear_error(&error);
    jt_sink_clear(&s);
    g_free(cut);
    g_free(src), g_free(four), g_free(back);
    g_free(data4), g_free(data_other), g_free(p4), g_free(p2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-ganjob-XXXXXX", NULL);
    data = jt_make_imagefolder(tmp, 3, 10, 40);
    g_test_add_func("/gan-job/exact-resume", test_exact_resume);
    g_test_add_func("/gan-job/cancel-keeps-checkpoint", test_cancel_keeps_checkpoint);
    g_test_add_func("/gan-job/divergence", test_divergence);
    g_test_add_func("/gan-job/best-generator", test_best_generator);
    g_test_add_func("/gan-job/init-from", test_init_from);
    g_test_add_func("/gan-job/class-history", test_class_history);
    g_test_add_func("/gan-job/init-from-classes", test_init_from_classes);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp);
    g_free(data);
    return rc;
}

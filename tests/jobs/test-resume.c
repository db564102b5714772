/* test-resume: --resume continues a run only with the settings that made
 * it (issue 9, 6.): another seed, learning rate, augmentation or data set
 * is refused by name, the same data set through another path is the same,
 * a setting added later means what it meant before it was recorded, a
 * file read at every step is compared by its contents, and a folder of the
 * other kind of training is refused as such. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardening-test-util.h"
#include "jobs/dg-run-dir.h"

static void test_resume_settings(void)
{
    jt_must_succeed(&dg_job_gan_train, gan_tiny("settings", 3));
    struct {
        const char *key, *old, *new_;
    } cases[] = {{"split-seed", "1", "2"}, {"seed", "3", "4"}, {"lr", "0.0002/0.0002", "0.001/0.001"},
                 {"diffaug", "color,translation,cutout", "color"}, {"data", data, "copy"}};
    char *copy = g_build_filename(tmp, "data-copy", NULL);
    g_assert_cmpint(symlink(data, copy), ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        dg_gan_train_config *c = gan_tiny("settings", 6);
        c->resume = TRUE;
        if (strcmp(cases[i].key, "split-seed") == 0)
            c->split_seed = 2;
        else if (strcmp(cases[i].key, "seed") == 0)
            c->seed = 4;
        else if (strcmp(cases[i].key, "lr") == 0)
            c->lr = 1e-3;
        else if (strcmp(cases[i].key, "diffaug") == 0)
            c->diffaug = g_strdup("color");
        else {
            /* another folder with the same images is another data set */
            char *other = g_build_filename(tmp, "data-other", NULL);
            jt_rm_rf(other);
            g_free(c->data);
            char *cmd = g_strdup_printf("cp -r '%s' '%s'", data, other);
            g_assert_cmpint(system(cmd), ==, 0);
            g_free(cmd);
            c->data = other;
        }
        char *msg = must_fail(&dg_job_gan_train, c, DG_JOB_ERROR_INVALID);
        char *want = g_strdup_printf("--%s", cases[i].key);
        g_assert_nonnull(strstr(msg, want));
        if (strcmp(cases[i].key, "data") != 0) {
            char *both = g_strdup_printf("'%s'", cases[i].old);
            g_assert_nonnull(strstr(msg, both));
            g_free(both);
        }
        g_free(want), g_free(msg);
    }
    /* the same data set through another path (a symlink, a relative path) is the same */
    dg_gan_train_config *c = gan_tiny("settings", 5);
    g_free(c->data);
    c->data = g_strdup(copy);
    c->resume = TRUE;
    jt_must_succeed(&dg_job_gan_train, c);
    /* more steps, other threads and intervals are fine */
    c = gan_tiny("settings", 7);
    c->resume = TRUE;
    c->threads = 2;
    c->sample_every = 2;
    jt_must_succeed(&dg_job_gan_train, c);
    g_free(copy);

    /* the classifier: its seed and its optimizer */
    jt_must_succeed(&dg_job_cnn_train, cnn_tiny("settings-cnn", 4));
    dg_cnn_train_config *cc = cnn_tiny("settings-cnn", 8);
    cc->resume = TRUE;
    cc->seed = 99;
    char *msg = must_fail(&dg_job_cnn_train, cc, DG_JOB_ERROR_INVALID);
    g_assert_nonnull(strstr(msg, "--seed"));
    g_free(msg);
    cc = cnn_tiny("settings-cnn", 8);
    cc->resume = TRUE;
    cc->weight_decay = 0.01;
    msg = must_fail(&dg_job_cnn_train, cc, DG_JOB_ERROR_INVALID);
    g_assert_nonnull(strstr(msg, "--weight-decay"));
    g_free(msg);
    cc = cnn_tiny("settings-cnn", 8);
    cc->resume = TRUE;
    jt_must_succeed(&dg_job_cnn_train, cc);
}

/* A setting added later (colour shift, CutMix) is compared with what an
 * older run's record means without it: off.  A run made without the colour
 * shift does not continue with the new default. */
static void test_identity_absent(void)
{
    const char *old = "{\"seed\":\"1\"}";
    for (int k = 0; k < 3; k++) {
        dg_run_identity *id = dg_run_identity_new();
        dg_run_identity_add(id, "seed", "1");
        dg_run_identity_add(id, "color-shift", "%g", k == 1 ? 0.5 : 0.0);
        if (k < 2)
            dg_run_identity_set_absent(id, "color-shift", "0");
        GError *error = NULL;
        gboolean ok = dg_run_identity_check(id, old, "RUN", &error);
        if (k == 1) { /* 0.5 against a record from before the option */
            g_assert_false(ok);
            g_assert_nonnull(strstr(error->message, "--color-shift"));
            g_assert_nonnull(strstr(error->message, "'0', not '0.5'"));
            g_clear_error(&error);
        } else
            g_assert_true(ok); /* off, or nothing known of what a missing key meant */
        g_assert_true(dg_run_identity_check(id, k == 1 ? "{\"color-shift\":\"0.5\"}" : "{\"color-shift\":\"0\"}",
                                            "RUN", NULL));
        dg_run_identity_free(id);
    }
}

/* A run's record of a file's contents (a distillation teacher's, read at
 * every step): it neither blocks on a FIFO nor reads a device forever nor
 * passes its limit, recording nothing for them, and a regular file's
 * SHA-256.  (test-cnn-job /jobs/cnn/distill resumes with the file changed.) */
static void test_file_contents(void)
{
    alarm(60);
    char *fifo = g_build_filename(tmp, "teacher.fifo", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    char *small = g_build_filename(tmp, "ten-bytes", NULL);
    g_assert_true(g_file_set_contents(small, "0123456789", 10, NULL));
    const char *paths[] = {fifo, "/dev/zero", tmp, small, small};
    const guint64 limits[] = {1 << 20, 1 << 20, 1 << 20, 9, 10};
    for (int i = 0; i < 5; i++) {
        dg_run_identity *id = dg_run_identity_new();
        dg_run_identity_add_file_contents(id, "teacher", paths[i], limits[i]);
        g_autofree char *json = dg_run_identity_to_json(id);
        if (i < 4)
            g_assert_cmpstr(json, ==, "{}");
        else /* sha256("0123456789") */
            g_assert_nonnull(strstr(json, "\"teacher#sha256\":\"84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882\""));
        dg_run_identity_free(id);
    }
    g_unlink(small);
    g_free(small);
    g_unlink(fifo);
    g_free(fifo);
    alarm(0);
}

/* A run folder of the other kind of training is named as such, for a new
 * run and for --resume (it said "resume it (--resume)", which then failed
 * on the checkpoint). */
static void test_other_kind(void)
{
    jt_must_succeed(&dg_job_cnn_train, cnn_tiny("a-classifier", 2));
    jt_must_succeed(&dg_job_gan_train, gan_tiny("a-gan", 2));
    for (int resume = 0; resume < 2; resume++) {
        dg_gan_train_config *g = gan_tiny("a-classifier", 2);
        g->resume = resume;
        char *msg = must_fail(&dg_job_gan_train, g, DG_JOB_ERROR_INVALID);
        g_assert_nonnull(strstr(msg, "holds a classifier training run, not a GAN one"));
        g_free(msg);
        dg_cnn_train_config *c = cnn_tiny("a-gan", 2);
        c->resume = resume;
        msg = must_fail(&dg_job_cnn_train, c, DG_JOB_ERROR_INVALID);
        g_assert_nonnull(strstr(msg, "holds a GAN training run, not a classifier one"));
        g_free(msg);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-resume-XXXXXX", NULL);
    data = jt_make_imagefolder(tmp, 3, 10, 32);
    g_test_add_func("/resume/settings", test_resume_settings);
    g_test_add_func("/resume/added-settings", test_identity_absent);
    g_test_add_func("/resume/file-contents", test_file_contents);
    g_test_add_func("/resume/other-kind", test_other_kind);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp);
    g_free(data);
    return rc;
}

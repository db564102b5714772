/* hardening-test-util.h: what test-hardening, test-hardening-outputs and
 * test-resume share: their temporary folder and data set, tiny GAN and
 * classifier runs and the small models they make, a job that must fail with
 * a one-line message, and dermagan-cli run as a user would. */
#pragma once
#include <gio/gio.h>
#include <glib.h>
#include <string.h>

#include "cnn-test-util.h"
#include "jobs-test-util.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-job-gan.h"

static char *tmp, *data;

G_GNUC_UNUSED static dg_gan_train_config *gan_tiny(const char *out, int steps)
{
    dg_gan_train_config *c = dg_gan_train_config_new();
    c->data = g_strdup(data);
    c->out = g_build_filename(tmp, out, NULL);
    g_free(c->preset);
    c->preset = g_strdup("tiny");
    c->steps = steps;
    c->threads = 1;
    c->seed = 3;
    c->cache_dir = g_strdup("");
    c->sample_every = 1000;
    c->checkpoint_every = 1000;
    c->quality_every = -1;
    return c;
}

/* cnn-test-util's tiny classifier training, on one thread. */
G_GNUC_UNUSED static dg_cnn_train_config *cnn_tiny(const char *out, int steps)
{
    dg_cnn_train_config *c = ct_tiny(tmp, data, out, steps);
    c->threads = 1;
    return c;
}

/* A classifier and a generator of a few steps, trained once per program. */
G_GNUC_UNUSED static char *small_classifier(void)
{
    static char *model;
    if (!model) {
        jt_must_succeed(&dg_job_cnn_train, cnn_tiny("clf", 4));
        model = g_build_filename(tmp, "clf", "model.safetensors", NULL);
    }
    return model;
}

G_GNUC_UNUSED static char *small_generator(void)
{
    static char *model;
    if (!model) {
        jt_must_succeed(&dg_job_gan_train, gan_tiny("gen", 2));
        model = g_build_filename(tmp, "gen", "generator.safetensors", NULL);
    }
    return model;
}

/* Runs a job that must fail; returns its error message (g_free). */
G_GNUC_UNUSED static char *must_fail(const dg_job_kind *kind, void *config, int code)
{
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    g_assert_cmpint(jt_run(kind, config, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(error);
    if (code >= 0)
        g_assert_error(error, DG_JOB_ERROR, code);
    g_assert_null(strchr(error->message, '\n'));
    g_test_message("%s", error->message);
    char *msg = g_strdup(error->message);
    g_error_free(error);
    jt_sink_clear(&s);
    return msg;
}

#ifdef DG_CLI_PATH /* the tests built with the CLI's path */
/* As run_cli, with the arguments in ap. */
G_GNUC_UNUSED static int run_cli_va(char **err, va_list ap)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)DG_CLI_PATH);
    const char *a;
    while ((a = va_arg(ap, const char *)))
        g_ptr_array_add(argv, (gpointer)a);
    g_ptr_array_add(argv, NULL);
    GError *error = NULL;
    GSubprocess *p = g_subprocess_newv((const char *const *)argv->pdata,
                                       G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                           G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                       &error);
    g_assert_no_error(error);
    char *e = NULL;
    g_assert_true(g_subprocess_communicate_utf8(p, NULL, NULL, NULL, &e, &error));
    g_assert_no_error(error);
    int status = g_subprocess_get_if_exited(p) ? g_subprocess_get_exit_status(p)
                                                : 128 + g_subprocess_get_term_sig(p);
    g_object_unref(p);
    g_ptr_array_unref(argv);
    if (err)
        *err = e;
    else
        g_free(e);
    return status;
}

/* dermagan-cli with arguments (NULL-terminated); exit status, stderr. */
G_GNUC_UNUSED static int run_cli(char **err, ...)
{
    va_list ap;
    va_start(ap, err);
    int status = run_cli_va(err, ap);
    va_end(ap);
    return status;
}
#endif

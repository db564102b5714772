/* test-cli-run: the CLI's job runner (app/cli.c: cli_run_job and its event
 * printing) driven by stand-in jobs, in a child process each
 * (g_test_trap_subprocess) so that its stdout, stderr and exit can be read. */
#include <glib.h>
#include <stdlib.h>

#include "cli.h"

/* ---- results the CLI cannot read ----------------------------------------------------- */

static gboolean run_nan_result(dg_job *job, void *config, GError **error)
{
    (void)config, (void)error;
    /* what json-glib writes for a NaN double: not JSON */
    dg_event ev = {.kind = DG_EVENT_RESULT, .eta = -1, .json = "{\"accuracy\":nan}"};
    dg_job_emit(job, &ev);
    return TRUE;
}

static gboolean run_good_result(dg_job *job, void *config, GError **error)
{
    (void)config, (void)error;
    dg_event ev = {.kind = DG_EVENT_RESULT, .eta = -1, .json = "{ \"accuracy\": 0.5 }"};
    dg_job_emit(job, &ev);
    return TRUE;
}

static const dg_job_kind nan_result_job = {"bad-result", run_nan_result, NULL};
static const dg_job_kind good_result_job = {"good-result", run_good_result, NULL};

static int n_shown;

static void show(JsonObject *r)
{
    (void)r;
    n_shown++;
}

/* A result that is not JSON is an error on stderr and exit 1, in every mode
 * of printing, never a silent success with nothing printed. */
static void test_unreadable_result(void)
{
    if (g_test_subprocess()) {
        g_assert_cmpint(cli_run_results(&nan_result_job, NULL, FALSE, show), ==, 1);
        g_assert_cmpint(n_shown, ==, 0);
        g_assert_cmpint(cli_run_results(&nan_result_job, NULL, TRUE, show), ==, 1);
        /* a job that prints events, not results (cnn train --json) */
        cli_job_sink *sink = cli_job_sink_new(TRUE);
        dg_job *job = dg_job_new(&nan_result_job, NULL, cli_job_events, sink);
        g_assert_cmpint(cli_run_job(job, TRUE), ==, 1);
        dg_job_free(job);
        cli_job_sink_free(sink);
        /* a good result after them is shown, and succeeds */
        g_assert_cmpint(cli_run_results(&good_result_job, NULL, FALSE, show), ==, 0);
        g_assert_cmpint(n_shown, ==, 1);
        g_assert_cmpint(cli_run_results(&good_result_job, NULL, TRUE, show), ==, 0);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*dermagan-cli: bad-result: its result could not be read*");
    /* the unreadable results are not printed (the events' "finished" line is) */
    g_test_trap_assert_stdout_unmatched("*:nan*");
    g_test_trap_assert_stdout("*\"state\":\"succeeded\"}\n{\"accuracy\":0.5}\n");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cli-run/unreadable-result", test_unreadable_result);
    return g_test_run();
}

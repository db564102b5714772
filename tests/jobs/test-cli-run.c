/* test-cli-run: the CLI's job runner (app/cli.c: cli_run_job, its event
 * printing and its signals) driven by stand-in jobs, in a child process each
 * (g_test_trap_subprocess) so that its stdout, stderr and exit can be read. */
#include <glib.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

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
        g_assert_cmpint(cli_run(&nan_result_job, NULL, TRUE), ==, 1);
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

/* ---- signals ------------------------------------------------------------------------ */

/* Microseconds between the first SIGINT (seen as a cancel) and the second. */
static gint64 second_after_us;

/* A training's shape: steps until cancelled; meanwhile SIGINT to this
 * process, and a second one second_after_us after the first was seen; then
 * a "checkpoint" that takes a while to write. */
static gboolean run_until_signalled(dg_job *job, void *config, GError **error)
{
    (void)config, (void)error;
    kill(getpid(), SIGINT);
    int step = 0;
    while (dg_job_continue(job)) {
        g_usleep(1000);
        step++;
    }
    g_usleep(second_after_us);
    kill(getpid(), SIGINT);
    g_usleep(300000); /* the main loop takes the second signal meanwhile */
    dg_job_message(job, "info", "stopped at step %d: checkpoint written", step);
    return TRUE;
}

static const dg_job_kind signalled_job = {"signalled", run_until_signalled, NULL};

static int run_signalled(void)
{
    return cli_run(&signalled_job, NULL, FALSE);
}

/* `timeout` (without --foreground) sends SIGINT to the child and to its
 * process group: two within milliseconds.  The second is the same stop: the
 * job writes its checkpoint and the CLI exits 130. */
static void test_double_signal(void)
{
    if (g_test_subprocess()) {
        second_after_us = 10000;
        g_assert_cmpint(run_signalled(), ==, 128 + SIGINT);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*stopping after the current step*checkpoint written*cancelled*");
}

/* A second Ctrl+C a while after the first means "abort now": exit at once,
 * without waiting for the checkpoint. */
static void test_deliberate_second_signal(void)
{
    if (g_test_subprocess()) {
        second_after_us = 1500000;
        run_signalled();
        g_assert_not_reached(); /* _exit(130) in the signal handler */
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*stopping after the current step*");
    g_test_trap_assert_stderr_unmatched("*checkpoint written*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cli-run/unreadable-result", test_unreadable_result);
    g_test_add_func("/cli-run/double-signal", test_double_signal);
    g_test_add_func("/cli-run/deliberate-second-signal", test_deliberate_second_signal);
    return g_test_run();
}

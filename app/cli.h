/* cli.h: shared pieces of dermagan-cli's subcommands. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

#include "jobs/dg-job.h"

/* Each command group: argv[0] is the group name ("dataset"); returns the exit status. */
int cli_dataset(int argc, char **argv);
int cli_gan(int argc, char **argv);
int cli_cnn(int argc, char **argv);
int cli_evaluate(int argc, char **argv);
int cli_predict(int argc, char **argv);
int cli_ablation(int argc, char **argv);

/* The default thread count of a command: threads when given (> 0); under
 * MPI the cores divided by the ranks on this machine; else 0 (all cores). */
int cli_threads(int threads);

/* Print "dermagan-cli: <message>" on stderr (one line) and return 1 (under
 * MPI, rank 0 alone prints). */
int cli_fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Same, from a GError (frees it). */
int cli_fail_error(GError *error);

/* fflush(stdout), remembering the error of the first that failed
 * (cli_stdout_errno, 0 if none), which main reports at exit. */
void cli_flush_stdout(void);
int cli_stdout_errno(void);

/* A one-line progress bar on stderr, drawn only when stderr is a terminal. */
typedef struct cli_progress cli_progress;
cli_progress *cli_progress_new(const char *label);
void cli_progress_update(cli_progress *p, double fraction, const char *detail);
void cli_progress_done(cli_progress *p); /* clears the line and frees */

/* Run a job on the calling thread with the CLI's standard event printing:
 * --json: one JSON object per event on stdout; otherwise a progress bar and
 * messages on stderr.  SIGINT, SIGTERM and SIGHUP cancel the job cleanly
 * (it keeps its checkpoint); another one a second or more later aborts at
 * once, one sooner (the same stop delivered twice) is ignored.  Returns the exit status (0 succeeded, 1
 * failed, 128 + the signal's number when a signal stopped it: 130 for
 * Ctrl+C, 143 for SIGTERM, 129 for SIGHUP).  A RESULT document that is not
 * a JSON object is never dropped in silence: it is reported on stderr and
 * the status is 1. */
int cli_run_job(dg_job *job, gboolean json);
/* The event callback used by cli_run_job, for jobs created by the caller:
 * pass cli_job_events as fn and a cli_job_sink from cli_job_sink_new as user. */
typedef struct cli_job_sink cli_job_sink;
cli_job_sink *cli_job_sink_new(gboolean json);
/* A sink for commands whose output is their results (evaluate, predict):
 * with json, each RESULT document is printed on stdout as one compact line
 * and nothing else goes to stdout; without, show prints it readably.
 * Progress and messages go to stderr in both modes. */
typedef void (*cli_result_fn)(JsonObject *result);
cli_job_sink *cli_job_sink_new_results(gboolean json, cli_result_fn show);
void cli_job_sink_free(cli_job_sink *s);
void cli_job_events(const dg_event *ev, void *user);
/* A job of kind on config (which it takes) run with cli_run_job and a sink
 * (cli_job_sink_new); returns the exit status. */
int cli_run(const dg_job_kind *kind, void *config, gboolean json);
/* The same with a results sink (cli_job_sink_new_results). */
int cli_run_results(const dg_job_kind *kind, void *config, gboolean json, cli_result_fn show);

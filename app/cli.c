#include "cli.h"

#include <errno.h>
#include <glib-unix.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "data/dg-json.h"
#include "dist/dg-dist.h"

/* The first error of a flush of stdout (0: none), for the message at exit:
 * the failed write's data are gone by then. */
static int stdout_errno;

void cli_flush_stdout(void)
{
    if (fflush(stdout) != 0 && !stdout_errno)
        stdout_errno = errno;
}

int cli_stdout_errno(void)
{
    return stdout_errno;
}

/* A data-parallel run reports once, from rank 0 (the others' failures reach
 * it through dg_dist_agree). */
static gboolean quiet_rank(void)
{
    return !dg_dist_is_root(dg_dist_world());
}

int cli_threads(int threads)
{
    if (threads > 0 || !dg_dist_world())
        return threads;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return (int)MAX(1, cores / dg_dist_local_size(dg_dist_world()));
}

int cli_fail(const char *fmt, ...)
{
    if (quiet_rank())
        return 1;
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* Valid UTF-8 (a file name's raw bytes shown as U+FFFD), and one line:
     * fold any newline in a message into "; ". */
    char *msg = g_utf8_make_valid(text, -1);
    g_free(text);
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ';';
    fprintf(stderr, "dermagan-cli: %s\n", msg);
    g_free(msg);
    return 1;
}

int cli_fail_error(GError *error)
{
    int rc = cli_fail("%s", error ? error->message : "unknown error");
    g_clear_error(&error);
    return rc;
}

/* Time between the plain lines written when stderr is not a terminal (the
 * log file of a script or a server): one line each, no bar; the environment
 * variable DERMAGAN_PROGRESS_INTERVAL (seconds) changes it. */
#define CLI_LOG_INTERVAL_US (30 * G_USEC_PER_SEC)

struct cli_progress {
    char *label;
    gboolean tty;
    gint64 t0, last;
    gint64 log_interval; /* microseconds between lines when stderr is not a terminal */
    int width;
};

static gint cli_interval_warned; /* the bad value is reported once */

cli_progress *cli_progress_new(const char *label)
{
    cli_progress *p = g_new0(cli_progress, 1);
    p->label = g_strdup(label);
    p->tty = isatty(STDERR_FILENO);
    p->t0 = p->last = g_get_monotonic_time();
    p->log_interval = CLI_LOG_INTERVAL_US;
    const char *env = g_getenv("DERMAGAN_PROGRESS_INTERVAL"); /* seconds; for tests and logs */
    if (env && *env) {
        char *end = NULL;
        double v = g_ascii_strtod(env, &end);
        if (end && *end == '\0' && isfinite(v) && v >= 0 && v <= 86400)
            p->log_interval = (gint64)(v * G_USEC_PER_SEC);
        else if (!g_atomic_int_exchange(&cli_interval_warned, 1))
            g_printerr("warning: DERMAGAN_PROGRESS_INTERVAL='%s' is not a number of seconds "
                       "from 0 to 86400; using %d\n",
                       env, (int)(CLI_LOG_INTERVAL_US / G_USEC_PER_SEC));
    }
    return p;
}

static void format_seconds(double s, char *buf, size_t n)
{
    if (s < 0 || !isfinite(s)) {
        g_strlcpy(buf, "--:--", n);
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        g_snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        g_snprintf(buf, n, "%02ld:%02ld", t / 60, t % 60);
}

static void progress_draw(cli_progress *p, double fraction, double eta, const char *detail)
{
    gint64 now = g_get_monotonic_time();
    if (!p->tty) {
        if (fraction >= 1.0 || now - p->last < p->log_interval)
            return;
    } else if (fraction < 1.0 && now - p->last < 100000) {
        return; /* at most 10 redraws a second */
    }
    p->last = now;
    if (fraction < 0)
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    if (!p->tty) {
        if (eta < 0 && fraction > 0.01)
            eta = (now - p->t0) / 1e6 / fraction * (1 - fraction);
        char etab[32];
        format_seconds(eta, etab, sizeof etab);
        fprintf(stderr, "%s %.1f%% ETA %s %s\n", p->label, 100 * fraction, etab,
                detail ? detail : "");
        fflush(stderr);
        return;
    }
    const int bar = 28;
    int filled = (int)(fraction * bar + 0.5);
    char bars[3 * 28 + 1] = "";
    for (int i = 0; i < bar; i++)
        strcat(bars, i < filled ? "\u2588" : "\u2591");
    if (eta < 0 && fraction > 0.01) {
        double el = (now - p->t0) / 1e6;
        eta = el / fraction * (1 - fraction);
    }
    char etab[32];
    format_seconds(eta, etab, sizeof etab);
    fprintf(stderr, "\r\033[K%s %s %5.1f%%  ETA %s  %s", p->label, bars, 100 * fraction, etab,
            detail ? detail : "");
    fflush(stderr);
}

void cli_progress_update(cli_progress *p, double fraction, const char *detail)
{
    progress_draw(p, fraction, -1, detail);
}

void cli_progress_done(cli_progress *p)
{
    if (!p)
        return;
    if (p->tty)
        fprintf(stderr, "\r\033[K");
    g_free(p->label);
    g_free(p);
}

struct cli_job_sink {
    gboolean json;
    cli_progress *bar;
    gboolean results_only; /* commands that print results, not events */
    cli_result_fn show;
};

cli_job_sink *cli_job_sink_new(gboolean json)
{
    cli_job_sink *s = g_new0(cli_job_sink, 1);
    s->json = json;
    return s;
}

cli_job_sink *cli_job_sink_new_results(gboolean json, cli_result_fn show)
{
    cli_job_sink *s = cli_job_sink_new(json);
    s->results_only = TRUE;
    s->show = show;
    return s;
}

/* A job of kind on config run with cli_run_job, its events into sink (taken). */
static int run_with_sink(const dg_job_kind *kind, void *config, gboolean json, cli_job_sink *sink)
{
    dg_job *job = dg_job_new(kind, config, cli_job_events, sink);
    int rc = cli_run_job(job, json);
    dg_job_free(job);
    cli_job_sink_free(sink);
    return rc;
}

int cli_run(const dg_job_kind *kind, void *config, gboolean json)
{
    return run_with_sink(kind, config, json, cli_job_sink_new(json));
}

int cli_run_results(const dg_job_kind *kind, void *config, gboolean json, cli_result_fn show)
{
    return run_with_sink(kind, config, json, cli_job_sink_new_results(json, show));
}

void cli_job_sink_free(cli_job_sink *s)
{
    if (!s)
        return;
    cli_progress_done(s->bar);
    g_free(s);
}

/* A stop signal came.  Under mpirun, which stops passing on the ranks'
 * output when it is interrupted, progress is then no longer printed: rank 0
 * must not block on a full pipe before its checkpoint is written. */
static volatile gboolean stopping;

/* RESULT documents that were not JSON (a NaN written as "nan", say): each
 * is reported on stderr and makes the command fail, never dropped in
 * silence (counted from the job's thread, read by cli_run_job). */
static gint bad_results;

/* The RESULT document of ev parsed, or NULL after saying on stderr that it
 * could not be. */
static JsonNode *parse_result(const dg_event *ev)
{
    GError *error = NULL;
    JsonNode *n = ev->json ? dg_json_parse_bounded(ev->json, -1, DG_JSON_MAX_DEPTH, &error) : NULL;
    if (n && JSON_NODE_HOLDS_OBJECT(n))
        return n;
    g_atomic_int_inc(&bad_results);
    cli_fail("%s: its result could not be read (%s); it is not shown",
             ev->job ? ev->job : "the job",
             error ? error->message : ev->json ? "not a JSON object" : "empty");
    g_clear_error(&error);
    if (n)
        json_node_unref(n);
    return NULL;
}

void cli_job_events(const dg_event *ev, void *user)
{
    cli_job_sink *s = user;
    if (quiet_rank() || (stopping && dg_dist_world() && ev->kind == DG_EVENT_PROGRESS))
        return;
    if (s->results_only && ev->kind == DG_EVENT_RESULT) {
        if (s->bar && s->bar->tty)
            fprintf(stderr, "\r\033[K");
        JsonNode *n = parse_result(ev);
        if (n && (s->json || !s->show)) {
            /* one compact JSON document per line */
            char *line = json_to_string(n, FALSE);
            fprintf(stdout, "%s\n", line);
            g_free(line);
        } else if (n) {
            s->show(json_node_get_object(n));
        }
        if (n)
            json_node_unref(n);
        cli_flush_stdout();
        return;
    }
    if (ev->kind == DG_EVENT_RESULT) {
        JsonNode *n = parse_result(ev);
        if (!n)
            return;
        json_node_unref(n);
    }
    if (s->json && !s->results_only) {
        char *line = dg_event_to_json(ev);
        fprintf(stdout, "%s\n", line);
        cli_flush_stdout();
        g_free(line);
        return;
    }
    switch (ev->kind) {
    case DG_EVENT_PROGRESS: {
        if (!s->bar)
            s->bar = cli_progress_new(ev->job);
        GString *d = g_string_new(NULL);
        g_string_append_printf(d, "%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, ev->step, ev->total);
        for (int i = 0; i < ev->n_values && i < 4; i++)
            g_string_append_printf(d, " %s %.3g", ev->keys[i], ev->values[i]);
        if (ev->rate > 0)
            g_string_append_printf(d, " %.0f img/s", ev->rate);
        progress_draw(s->bar, ev->total > 0 ? (double)ev->step / ev->total : 0, ev->eta, d->str);
        g_string_free(d, TRUE);
        break;
    }
    case DG_EVENT_EPOCH: {
        if (s->bar && s->bar->tty)
            fprintf(stderr, "\r\033[K");
        GString *d = g_string_new(NULL);
        g_string_append_printf(d, "epoch %d:", ev->epoch);
        for (int i = 0; i < ev->n_values; i++)
            g_string_append_printf(d, " %s %.4g", ev->keys[i], ev->values[i]);
        fprintf(stderr, "%s\n", d->str);
        g_string_free(d, TRUE);
        break;
    }
    case DG_EVENT_MESSAGE:
    case DG_EVENT_STARTED:
        if (s->bar && s->bar->tty)
            fprintf(stderr, "\r\033[K");
        if (ev->message)
            fprintf(stderr, "%s%s\n",
                    g_strcmp0(ev->level, "warning") == 0 ? "warning: " : "", ev->message);
        break;
    case DG_EVENT_IMAGE:
        break;
    case DG_EVENT_RESULT:
        if (ev->json)
            fprintf(stdout, "%s\n", ev->json);
        break;
    case DG_EVENT_FINISHED:
        cli_progress_done(s->bar);
        s->bar = NULL;
        break;
    }
}

typedef struct {
    dg_job *job;
    GMainLoop *loop;
    int interrupts;
    int signal;       /* the first signal that stopped the job */
    gint64 first_us;  /* when it came (monotonic) */
} run_state;

/* A signal this soon after the first is the same request: `timeout` (without
 * --foreground) sends SIGINT to the child and to its process group within
 * milliseconds, and a Ctrl+C reaches every process of the terminal's group;
 * a person who means to abort presses again later. */
#define CLI_SECOND_SIGNAL_US (1 * G_USEC_PER_SEC)

/* SIGINT, SIGTERM and SIGHUP all stop a job the same way: it finishes its
 * step, writes its checkpoint, and the process exits with 128 + the
 * signal's number.  A second signal aborts at once, unless it came within
 * CLI_SECOND_SIGNAL_US of the first (then it is ignored). */
static gboolean on_signal(run_state *rs, int sig)
{
    const gint64 now = g_get_monotonic_time();
    if (rs->interrupts++ == 0) {
        rs->signal = sig;
        rs->first_us = now;
        stopping = TRUE;
        if (!quiet_rank())
            fprintf(stderr, "\ndermagan-cli: %s: stopping after the current step (again to abort)\n",
                    g_strsignal(sig));
        dg_job_cancel(rs->job);
        return G_SOURCE_CONTINUE;
    }
    if (now - rs->first_us < CLI_SECOND_SIGNAL_US)
        return G_SOURCE_CONTINUE; /* the same stop, delivered twice */
    _exit(128 + sig);
}

static gboolean on_sigint(gpointer data)
{
    return on_signal(data, SIGINT);
}

static gboolean on_sigterm(gpointer data)
{
    return on_signal(data, SIGTERM);
}

static gboolean on_sighup(gpointer data)
{
    return on_signal(data, SIGHUP);
}

/* Under mpirun, which turns SIGINT and SIGTERM into SIGTERM then SIGKILL a
 * second later, SIGUSR1 (which it forwards) stops a run with time for its
 * checkpoint: kill -USR1 <mpirun's pid>. */
static gboolean on_sigusr1(gpointer data)
{
    return on_signal(data, SIGUSR1);
}

static gboolean poll_finished(gpointer data)
{
    run_state *rs = data;
    if (dg_job_is_finished(rs->job)) {
        g_main_loop_quit(rs->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

int cli_run_job(dg_job *job, gboolean json)
{
    (void)json;
    /* The job runs on its worker thread; the main thread waits in a main loop
     * so that SIGINT is handled safely (g_unix_signal_add) and cancels it. */
    run_state rs = {job, g_main_loop_new(NULL, FALSE), 0, 0, 0};
    guint sig[3] = {g_unix_signal_add(SIGINT, on_sigint, &rs),
                    g_unix_signal_add(SIGTERM, on_sigterm, &rs),
                    g_unix_signal_add(SIGHUP, on_sighup, &rs)};
    guint usr1 = dg_dist_world() ? g_unix_signal_add(SIGUSR1, on_sigusr1, &rs) : 0;
    guint poll = g_timeout_add(40, poll_finished, &rs);
    const int bad_before = g_atomic_int_get(&bad_results);
    dg_job_start(job);
    g_main_loop_run(rs.loop);
    for (int i = 0; i < 3; i++)
        g_source_remove(sig[i]);
    if (usr1)
        g_source_remove(usr1);
    (void)poll;
    g_main_loop_unref(rs.loop);
    GError *error = NULL;
    dg_job_state st = dg_job_wait(job, &error);
    if (st == DG_JOB_SUCCEEDED)
        return g_atomic_int_get(&bad_results) == bad_before ? 0 : 1; /* said by parse_result */
    if (st == DG_JOB_CANCELLED) {
        if (!quiet_rank())
            fprintf(stderr, "dermagan-cli: cancelled\n");
        return 128 + (rs.signal ? rs.signal : SIGINT);
    }
    if (rs.signal && st == DG_JOB_SUCCEEDED) {
        /* the job had finished its work when the signal came: still say so */
        fprintf(stderr, "dermagan-cli: %s after the job finished\n", g_strsignal(rs.signal));
        return 128 + rs.signal;
    }
    return cli_fail_error(error);
}

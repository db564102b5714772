/* test-job: the job interface: events, pause/resume, cancel, failure. */
#include <glib.h>

#include "jobs/dg-job.h"

typedef struct {
    int steps;
    int done;
    gboolean fail_at_half;
} count_config;

static gboolean count_run(dg_job *job, void *config, GError **error)
{
    count_config *c = config;
    for (int i = 0; i < c->steps; i++) {
        if (!dg_job_continue(job))
            return TRUE; /* cancelled: not a failure */
        if (c->fail_at_half && i == c->steps / 2) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_DIVERGED, "loss is NaN at step %d", i);
            return FALSE;
        }
        g_usleep(2000);
        c->done = i + 1;
        dg_event ev = {.kind = DG_EVENT_PROGRESS, .step = i + 1, .total = c->steps, .eta = -1};
        dg_event_set(&ev, "loss", 1.0 / (i + 1));
        dg_job_emit(job, &ev);
    }
    return TRUE;
}

static const dg_job_kind count_kind = {"count", count_run, g_free};

typedef struct {
    GMutex mu;
    int progress, finished;
    dg_job_state final;
    int64_t last_step;
    double last_loss;
    char *first_json;
} sink;

static void on_event(const dg_event *ev, void *user)
{
    sink *s = user;
    g_mutex_lock(&s->mu);
    if (ev->kind == DG_EVENT_PROGRESS) {
        s->progress++;
        s->last_step = ev->step;
        s->last_loss = dg_event_get(ev, "loss", -1);
        if (!s->first_json)
            s->first_json = dg_event_to_json(ev);
    }
    if (ev->kind == DG_EVENT_FINISHED) {
        s->finished++;
        s->final = ev->state;
    }
    g_mutex_unlock(&s->mu);
}

static count_config *cfg(int steps)
{
    count_config *c = g_new0(count_config, 1);
    c->steps = steps;
    return c;
}

static void test_run_sync(void)
{
    sink s = {0};
    g_mutex_init(&s.mu);
    dg_job *job = dg_job_new(&count_kind, cfg(20), on_event, &s);
    g_assert_cmpint(dg_job_run(job, NULL), ==, DG_JOB_SUCCEEDED);
    g_assert_cmpint(s.progress, ==, 20);
    g_assert_cmpint(s.finished, ==, 1);
    g_assert_cmpint(s.last_step, ==, 20);
    g_assert_cmpfloat_with_epsilon(s.last_loss, 1.0 / 20, 1e-12);
    g_assert_nonnull(strstr(s.first_json, "\"event\":\"progress\""));
    g_assert_nonnull(strstr(s.first_json, "\"loss\":1"));
    g_free(s.first_json);
    dg_job_free(job);
}

static void test_cancel(void)
{
    sink s = {0};
    g_mutex_init(&s.mu);
    count_config *c = cfg(100000);
    dg_job *job = dg_job_new(&count_kind, c, on_event, &s);
    dg_job_start(job);
    while (g_atomic_int_get(&c->done) < 5)
        g_usleep(1000);
    dg_job_cancel(job);
    g_assert_cmpint(dg_job_wait(job, NULL), ==, DG_JOB_CANCELLED);
    g_assert_cmpint(c->done, <, 1000);
    g_assert_cmpint(s.final, ==, DG_JOB_CANCELLED);
    g_assert_true(dg_job_is_finished(job));
    g_free(s.first_json);
    dg_job_free(job);
}

static void test_pause_resume(void)
{
    sink s = {0};
    g_mutex_init(&s.mu);
    count_config *c = cfg(60);
    dg_job *job = dg_job_new(&count_kind, c, on_event, &s);
    dg_job_start(job);
    while (g_atomic_int_get(&c->done) < 3)
        g_usleep(1000);
    dg_job_pause(job);
    /* it reaches the paused state at the next step boundary and stays there */
    for (int i = 0; i < 2000 && dg_job_get_state(job) != DG_JOB_PAUSED; i++)
        g_usleep(1000);
    g_assert_cmpint(dg_job_get_state(job), ==, DG_JOB_PAUSED);
    int at = g_atomic_int_get(&c->done);
    g_usleep(50000);
    g_assert_cmpint(g_atomic_int_get(&c->done), ==, at);
    dg_job_resume(job);
    g_assert_cmpint(dg_job_wait(job, NULL), ==, DG_JOB_SUCCEEDED);
    g_assert_cmpint(c->done, ==, 60);
    /* cancel while paused also ends the job */
    count_config *c2 = cfg(1000);
    dg_job *j2 = dg_job_new(&count_kind, c2, NULL, NULL);
    dg_job_start(j2);
    while (g_atomic_int_get(&c2->done) < 2)
        g_usleep(1000);
    dg_job_pause(j2);
    for (int i = 0; i < 2000 && dg_job_get_state(j2) != DG_JOB_PAUSED; i++)
        g_usleep(1000);
    dg_job_cancel(j2);
    g_assert_cmpint(dg_job_wait(j2, NULL), ==, DG_JOB_CANCELLED);
    g_free(s.first_json);
    dg_job_free(job);
    dg_job_free(j2);
}

static void test_failure(void)
{
    sink s = {0};
    g_mutex_init(&s.mu);
    count_config *c = cfg(10);
    c->fail_at_half = TRUE;
    dg_job *job = dg_job_new(&count_kind, c, on_event, &s);
    GError *error = NULL;
    g_assert_cmpint(dg_job_run(job, &error), ==, DG_JOB_FAILED);
    g_assert_error(error, DG_JOB_ERROR, DG_JOB_ERROR_DIVERGED);
    g_assert_nonnull(strstr(error->message, "NaN"));
    g_assert_cmpint(s.final, ==, DG_JOB_FAILED);
    g_clear_error(&error);
    g_free(s.first_json);
    dg_job_free(job);
}

static void test_free_running_job(void)
{
    /* freeing a running job cancels it and waits */
    count_config *c = cfg(100000);
    dg_job *job = dg_job_new(&count_kind, c, NULL, NULL);
    dg_job_start(job);
    while (g_atomic_int_get(&c->done) < 2)
        g_usleep(1000);
    dg_job_free(job);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/job/run-sync", test_run_sync);
    g_test_add_func("/job/cancel", test_cancel);
    g_test_add_func("/job/pause-resume", test_pause_resume);
    g_test_add_func("/job/failure", test_failure);
    g_test_add_func("/job/free-running", test_free_running_job);
    return g_test_run();
}

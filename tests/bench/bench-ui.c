/* bench-ui: what the window costs while a GAN trains, and what training costs
 * the window.
 *
 * On the bundled sample data set, the same GAN training (preset and steps
 * from DG_BENCH_UI_PRESET, default "default", and DG_BENCH_UI_STEPS, default
 * 24; threads from DG_THREADS, default all cores) runs alternately headless
 * (dg_job_run, events dropped) and in the app's GAN view, in a visible window
 * with live curves and sample grids, DG_BENCH_UI_ROUNDS times each (default 2).
 * Training speed is steps per second of job time between the second step and
 * the last (data loading and the first step excluded), from the events'
 * elapsed times; the slowdown compares the medians.  Frame times are the
 * main thread's work (wall and CPU time) in each frame that painted something
 * (frame clock "before-paint" to "after-paint", frames with a "paint"
 * phase); the frame interval is the time between frame-clock ticks
 * (a tick callback keeps the clock running), which shows any stall of the main
 * loop.  Both kinds of run train at the same lowered CPU priority
 * (dg_job_runner_lower_thread_priority), as the window's jobs do.  Targets: frames under 16 ms, slowdown under 5%.  Needs a display:
 * without one it runs itself under xvfb-run.  One JSON line. */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "../ui/ui-test-util.h"
#include "bench-common.h"
#include "dg-window.h"
#include "jobs/dg-job-gan.h"
#include "jobs/dg-job-util.h"

static const char *preset;
static int steps, threads;
static char *tmp, *sample;

/* ---- speed from a job's events ---------------------------------------------------------- */

typedef struct {
    double t_first; /* job time at step 1 */
    double t_last;
    gint64 last_step;
    gboolean lowered;
} speed;

static void speed_add(speed *s, gint64 step, double elapsed)
{
    if (step == 1)
        s->t_first = elapsed;
    s->t_last = elapsed;
    s->last_step = step;
}

static double speed_rate(const speed *s)
{
    return s->last_step > 1 && s->t_last > s->t_first ? (s->last_step - 1) / (s->t_last - s->t_first)
                                                      : NAN;
}

static void on_headless_event(const dg_event *ev, void *user)
{
    speed *s = user;
    if (!s->lowered) {
        /* the same CPU priority as a job the window runs */
        s->lowered = TRUE;
        dg_job_runner_lower_thread_priority();
    }
    if (ev->kind == DG_EVENT_PROGRESS)
        speed_add(s, ev->step, ev->elapsed);
}

static dg_gan_train_config *config(const char *out)
{
    dg_gan_train_config *c = dg_gan_train_config_new();
    c->data = g_strdup(sample);
    c->out = g_strdup(out);
    g_free(c->preset);
    c->preset = g_strdup(preset);
    c->steps = steps;
    c->seed = 1;
    c->threads = threads;
    c->sample_every = dg_gan_view_sample_every(steps); /* as the view does */
    return c;
}

static double run_headless(int round)
{
    g_autofree char *name = g_strdup_printf("headless-%d", round);
    g_autofree char *out = g_build_filename(tmp, name, NULL);
    speed s = {0};
    dg_job *job = dg_job_new(&dg_job_gan_train, config(out), on_headless_event, &s);
    GError *error = NULL;
    dg_job_start(job); /* its own thread, as in the window */
    dg_job_state st = dg_job_wait(job, &error);
    dg_job_free(job);
    if (st != DG_JOB_SUCCEEDED) {
        fprintf(stderr, "bench-ui: headless training failed: %s\n", error ? error->message : "?");
        exit(1);
    }
    return speed_rate(&s);
}

/* ---- the window ------------------------------------------------------------------------- */

typedef struct {
    GArray *frame_ms;     /* wall time of the main thread's work per painted frame */
    GArray *frame_cpu_ms; /* the main thread's CPU time in it */
    GArray *interval_ms;  /* between ticks */
    gint64 t_before, t_tick;
    double cpu_before;
    gboolean painted;     /* the frame had a paint phase (something was redrawn) */
    guint n_frames;       /* every frame, painted or not */
} frames;

static void on_paint(GdkFrameClock *c, frames *f)
{
    (void)c;
    f->painted = TRUE;
}

static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_before_paint(GdkFrameClock *c, frames *f)
{
    (void)c;
    f->t_before = g_get_monotonic_time();
    f->cpu_before = thread_cpu_ms();
    f->painted = FALSE;
}

static void on_after_paint(GdkFrameClock *c, frames *f)
{
    (void)c;
    if (f->t_before) {
        f->n_frames++;
        double ms = (g_get_monotonic_time() - f->t_before) / 1000.0;
        double cpu = thread_cpu_ms() - f->cpu_before;
        if (f->painted) {
            g_array_append_val(f->frame_ms, ms);
            g_array_append_val(f->frame_cpu_ms, cpu);
        }
    }
    f->t_before = 0;
}

static gboolean on_tick(GtkWidget *w, GdkFrameClock *clock, gpointer data)
{
    (void)w, (void)clock;
    frames *f = data;
    gint64 now = g_get_monotonic_time();
    if (f->t_tick) {
        double ms = (now - f->t_tick) / 1000.0;
        g_array_append_val(f->interval_ms, ms);
    }
    f->t_tick = now;
    return G_SOURCE_CONTINUE;
}

static void on_ui_event(DgJobRunner *r, const DgEventCopy *ev, speed *s)
{
    (void)r;
    if (ev->kind == DG_EVENT_PROGRESS)
        speed_add(s, ev->step, ev->elapsed);
}

static gboolean runner_finished(gpointer p)
{
    DgJobRunner *r = p;
    return !dg_job_runner_is_active(r);
}

static gboolean dataset_loaded(gpointer p)
{
    DgSession *s = p;
    return dg_session_get_dataset(s) && !dg_session_is_loading(s);
}

static double run_ui(GtkApplication *app, GSettings *settings, int round, frames *f)
{
    DgWindow *win = dg_window_new(app, settings);
    gtk_window_set_default_size(GTK_WINDOW(win), 1180, 800);
    gtk_window_present(GTK_WINDOW(win));
    DgSession *session = dg_window_get_session(win);
    dg_session_load_dataset(session, sample);
    if (!ut_wait(dataset_loaded, session, 300)) {
        fprintf(stderr, "bench-ui: the sample data set did not load\n");
        exit(1);
    }
    dg_window_show_view(win, "gan");
    ut_frames(GTK_WIDGET(win), 5);
    GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(win));
    gulong b = g_signal_connect(clock, "before-paint", G_CALLBACK(on_before_paint), f);
    gulong a = g_signal_connect(clock, "after-paint", G_CALLBACK(on_after_paint), f);
    gulong p = g_signal_connect(clock, "paint", G_CALLBACK(on_paint), f);
    guint tick = gtk_widget_add_tick_callback(GTK_WIDGET(win), on_tick, f, NULL);
    f->t_tick = 0;

    DgGanView *v = dg_window_get_gan_view(win);
    dg_gan_view_configure(v, preset, steps, 1);
    g_autofree char *name = g_strdup_printf("ui-%d", round);
    g_autofree char *out = g_build_filename(tmp, name, NULL);
    if (!dg_gan_view_start(v, out)) {
        fprintf(stderr, "bench-ui: the GAN view did not start\n");
        exit(1);
    }
    DgJobRunner *r = g_object_ref(dg_gan_view_get_runner(v));
    speed s = {0};
    g_signal_connect(r, "event", G_CALLBACK(on_ui_event), &s);
    ut_wait(runner_finished, r, 3600);
    if (dg_job_runner_get_state(r) != DG_JOB_SUCCEEDED) {
        fprintf(stderr, "bench-ui: training in the window failed: %s\n",
                dg_job_runner_get_error(r));
        exit(1);
    }
    g_object_unref(r);
    gtk_widget_remove_tick_callback(GTK_WIDGET(win), tick);
    g_signal_handler_disconnect(clock, b);
    g_signal_handler_disconnect(clock, a);
    g_signal_handler_disconnect(clock, p);
    gtk_window_destroy(GTK_WINDOW(win));
    ut_spin(0.2);
    return speed_rate(&s);
}

/* The machine's load (other processes make frames late, not slow). */
static double load_avg(void)
{
    double l[1] = {NAN};
    return getloadavg(l, 1) == 1 ? l[0] : NAN;
}

static double quantile(GArray *a, double q)
{
    if (a->len == 0)
        return NAN;
    double *v = g_memdup2(a->data, a->len * sizeof(double));
    qsort(v, a->len, sizeof *v, cmp_double);
    double x = v[MIN(a->len - 1, (guint)floor(q * (a->len - 1) + 0.5))];
    g_free(v);
    return x;
}

int main(int argc, char **argv)
{
    if (!ut_ensure_display(argc, argv)) {
        printf("{\"bench\": \"ui\", \"skipped\": \"no display and no xvfb-run\"}\n");
        return 0;
    }
    preset = g_getenv("DG_BENCH_UI_PRESET") ? g_getenv("DG_BENCH_UI_PRESET") : "default";
    steps = bench_int_env("DG_BENCH_UI_STEPS", 24);
    threads = bench_threads();
    int rounds = MAX(1, bench_int_env("DG_BENCH_UI_ROUNDS", 2));
    g_autofree char *csv = dg_find_resource("sample/HAM10000_metadata.csv");
    if (!csv) {
        fprintf(stderr, "bench-ui: the bundled sample data set is missing\n");
        return 1;
    }
    sample = g_path_get_dirname(csv);
    tmp = g_dir_make_tmp("dg-bench-ui-XXXXXX", NULL);
    ut_private_env(tmp);
    g_setenv("GTK_A11Y", "none", TRUE);

    DgApplication *app = dg_application_new(G_APPLICATION_NON_UNIQUE);
    if (!g_application_register(G_APPLICATION(app), NULL, NULL)) {
        fprintf(stderr, "bench-ui: cannot start the application\n");
        return 1;
    }
    GSettings *settings = dg_application_get_settings(app);
    if (!settings)
        return 1;
    g_settings_set_int(settings, "threads", threads);

    /* warm the decoded-image cache so that both kinds of run start alike */
    run_headless(-1);
    double headless[16], ui[16];
    frames f = {g_array_new(FALSE, FALSE, sizeof(double)), g_array_new(FALSE, FALSE, sizeof(double)),
                g_array_new(FALSE, FALSE, sizeof(double)), 0, 0, 0, FALSE, 0};
    rounds = MIN(rounds, 16);
    for (int i = 0; i < rounds; i++) {
        headless[i] = run_headless(i);
        ui[i] = run_ui(GTK_APPLICATION(app), settings, i, &f);
        fprintf(stderr, "bench-ui: round %d: %.3f steps/s headless, %.3f in the window\n", i,
                headless[i], ui[i]);
    }
    double h = bench_median(headless, rounds), u = bench_median(ui, rounds);
    double slowdown = 100.0 * (h - u) / h;
    printf("{\"bench\": \"ui\", \"preset\": \"%s\", \"steps\": %d, \"rounds\": %d, "
           "\"threads\": %d, \"headless_steps_per_s\": %.4f, \"window_steps_per_s\": %.4f, "
           "\"slowdown_pct\": %.2f, \"frames\": %u, \"painted_frames\": %u, "
           "\"frame_ms_p50\": %.2f, "
           "\"frame_ms_p95\": %.2f, \"frame_ms_max\": %.2f, \"frame_cpu_ms_p50\": %.2f, "
           "\"frame_cpu_ms_p95\": %.2f, \"frame_cpu_ms_max\": %.2f, "
           "\"frame_interval_ms_p95\": %.2f, \"frame_interval_ms_max\": %.2f, "
           "\"load_avg_1min\": %.2f, \"cpus\": %u, "
           "\"targets\": {\"frame_ms\": 16, \"slowdown_pct\": 5}}\n",
           preset, steps, rounds, threads, h, u, slowdown, f.n_frames, f.frame_ms->len,
           quantile(f.frame_ms, 0.5), quantile(f.frame_ms, 0.95), quantile(f.frame_ms, 1.0),
           quantile(f.frame_cpu_ms, 0.5), quantile(f.frame_cpu_ms, 0.95),
           quantile(f.frame_cpu_ms, 1.0), quantile(f.interval_ms, 0.95),
           quantile(f.interval_ms, 1.0), load_avg(), g_get_num_processors());
    g_array_free(f.frame_ms, TRUE);
    g_array_free(f.frame_cpu_ms, TRUE);
    g_array_free(f.interval_ms, TRUE);
    g_object_unref(app);
    dg_remove_tree(tmp);
    g_free(tmp);
    g_free(sample);
    return 0;
}

/* test-mpi: data-parallel training over MPI (issue 15), through mpirun and
 * dermagan-cli.
 *
 *  - equivalence: 2 ranks with global batch B reproduce one process with
 *    batch B (losses of the first 3 steps within 1e-5, of 20 steps within
 *    1e-3), for the tiny GAN presets, the default's recipe at width 4
 *    (with its per-class spectral loss) and a small classifier; 2 runs with 2 ranks are the same bits;
 *  - --resume with the same number of ranks continues exactly;
 *  - faults: a rank killed (mpirun ends the others) or hung (their deadline
 *    does) makes the run exit non-zero well within 30 s, and the last
 *    checkpoint loads;
 *  - SIGUSR1 (which mpirun forwards) stops the run with a checkpoint;
 *  - the ablation shared out over 2 ranks gives the one-process results.
 * Skipped when mpirun is not installed or dermagan-cli was built without MPI. */
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <unistd.h>
#include <signal.h>
#include <string.h>

#include "dist/dg-dist.h"
#include "jobs-test-util.h"

static char *tmp, *data, *mpirun;

static gboolean have_mpi(void)
{
    if (!mpirun || !dg_dist_available()) {
        g_test_skip(!mpirun ? "mpirun is not installed (openmpi-bin)"
                            : "dermagan-cli was built without MPI");
        return FALSE;
    }
    return TRUE;
}

/* argv: mpirun ... -np n dermagan-cli args (n 0: dermagan-cli alone). */
static GPtrArray *command(int n, const char *const *args)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    if (n > 0) {
        /* (root in CI containers needs --allow-run-as-root; 2 ranks on a busy
         * machine, --oversubscribe) */
        const char *pre[] = {mpirun, "--allow-run-as-root", "--oversubscribe", "-np"};
        for (size_t i = 0; i < G_N_ELEMENTS(pre); i++)
            g_ptr_array_add(a, g_strdup(pre[i]));
        g_ptr_array_add(a, g_strdup_printf("%d", n));
    }
    g_ptr_array_add(a, g_strdup(DG_CLI_PATH));
    for (int i = 0; args[i]; i++)
        g_ptr_array_add(a, g_strdup(args[i]));
    g_ptr_array_add(a, NULL);
    return a;
}

/* Runs the command to its end; its exit status, stdout and stderr. */
static int run(int n, const char *const *args, char **out, char **err)
{
    GPtrArray *argv = command(n, args);
    int status = -1;
    GError *error = NULL;
    char *o = NULL, *e = NULL;
    g_assert_true(g_spawn_sync(tmp, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &o,
                               &e, &status, &error));
    g_assert_no_error(error);
    g_ptr_array_unref(argv);
    if (out)
        *out = o;
    else
        g_free(o);
    if (err)
        *err = e;
    else
        g_free(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The values of every event of a kind in a --json output, in order. */
static GPtrArray *values(const char *out, const char *kind)
{
    GPtrArray *v = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    char **lines = g_strsplit(out, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        JsonNode *n = json_from_string(lines[i], NULL);
        if (!n)
            continue;
        JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        if (o && g_strcmp0(json_object_get_string_member_with_default(o, "event", ""), kind) == 0 &&
            json_object_has_member(o, "values"))
            g_ptr_array_add(v, json_node_copy(json_object_get_member(o, "values")));
        json_node_unref(n);
    }
    g_strfreev(lines);
    return v;
}

/* The largest difference between the same values of two runs over their
 * first n events (all: G_MAXUINT), relative to max(|u|, |w|, 1): the losses
 * are O(1) sums, and a value such as the hinge generator loss (a mean of
 * discriminator outputs of either sign, 0.04 to 0.1 here) is the small
 * difference of O(1) terms, whose relative error is not a property of the
 * training. */
static double worst_difference(GPtrArray *a, GPtrArray *b, guint n)
{
    g_assert_cmpuint(a->len, ==, b->len);
    g_assert_cmpuint(a->len, >, 0);
    double worst = 0.0;
    for (guint i = 0; i < a->len && i < n; i++) {
        JsonObject *x = json_node_get_object(a->pdata[i]), *y = json_node_get_object(b->pdata[i]);
        GList *keys = json_object_get_members(x);
        for (GList *k = keys; k; k = k->next) {
            double u = json_object_get_double_member(x, k->data);
            double w = json_object_get_double_member(y, k->data);
            double d = fabs(u - w) / fmax(1.0, fmax(fabs(u), fabs(w)));
            if (isnan(u) != isnan(w))
                d = INFINITY;
            if (d > 1e-6)
                g_test_message("event %u, %s: %.9g vs %.9g", i, (const char *)k->data, u, w);
            worst = fmax(worst, isnan(u) && isnan(w) ? 0.0 : d);
        }
        g_list_free(keys);
    }
    return worst;
}

static char *run_dir(const char *name)
{
    char *d = g_build_filename(tmp, name, NULL);
    jt_rm_rf(d);
    return d;
}

/* One process, then 2 ranks, then 2 ranks again: the PROGRESS (and EPOCH)
 * values of the three runs of one training command; the first 3 events
 * within first_tol, all within all_tol (see below). */
static void check_equivalence_tol(const char *what, const char *const *args, const char *tag,
                                  const char *data, double first_tol, double all_tol)
{
    char *outs[3];
    for (int k = 0; k < 3; k++) {
        char *name = g_strdup_printf("%s-%d", tag, k);
        char *dir = run_dir(name);
        GPtrArray *a = g_ptr_array_new();
        for (int i = 0; args[i]; i++)
            g_ptr_array_add(a, (gpointer)args[i]);
        const char *more[] = {"--out", dir, "--data", data, "--threads", "1", "--json",
                              "--cache-dir", ""};
        for (size_t i = 0; i < G_N_ELEMENTS(more); i++)
            g_ptr_array_add(a, (gpointer)more[i]);
        g_ptr_array_add(a, NULL);
        char *err = NULL;
        int rc = run(k == 0 ? 0 : 2, (const char *const *)a->pdata, &outs[k], &err);
        if (rc != 0)
            g_printerr("%s\n", err);
        g_assert_cmpint(rc, ==, 0);
        g_free(err), g_free(dir), g_free(name);
        g_ptr_array_unref(a);
    }
    for (int kind = 0; kind < 2; kind++) {
        const char *ev = kind ? "epoch" : "progress";
        GPtrArray *one = values(outs[0], ev), *two = values(outs[1], ev), *again = values(outs[2], ev);
        if (one->len > 0 || kind == 0) {
            /* The first steps differ by float rounding only (the sums are
             * split over the ranks); training then amplifies it (Adam turns
             * the rounding of gradient components below its epsilon into
             * steps), by how much depends on the BLAS kernels: on one Intel
             * machine 20 steps stayed within 1e-5, on an AMD EPYC the tiny
             * resnet GAN drifted to 5e-5 by step 8.  So: the first 3 events
             * within 1e-5 (here 1e-6 at worst), all of them within 1e-3
             * (20 times the worst drift seen). */
            double d = worst_difference(one, two, 3), all = worst_difference(one, two, G_MAXUINT);
            g_test_message("%s, %s values: 1 process vs 2 ranks, worst difference %.2e over the "
                           "first 3 events, %.2e over all %u",
                           what, ev, d, all, one->len);
            g_assert_cmpfloat(d, <=, first_tol);
            g_assert_cmpfloat(all, <=, all_tol);
            g_assert_cmpfloat(worst_difference(two, again, G_MAXUINT), ==, 0.0); /* deterministic */
        }
        g_ptr_array_unref(one), g_ptr_array_unref(two), g_ptr_array_unref(again);
    }
    for (int k = 0; k < 3; k++)
        g_free(outs[k]);
}

static void check_equivalence(const char *what, const char *const *args, const char *tag,
                              const char *data)
{
    check_equivalence_tol(what, args, tag, data, 1e-5, 1e-3);
}

static void test_gan_equivalence(void)
{
    if (!have_mpi())
        return;
    const char *tiny[] = {"gan", "train", "--preset", "tiny", "--steps", "20", NULL};
    check_equivalence("tiny GAN (batch norm in G and D)", tiny, "gan-tiny", data);
    const char *resnet[] = {"gan", "train", "--preset", "tiny-resnet", "--steps", "20", NULL};
    check_equivalence("tiny-resnet GAN (hinge, LeCam, spectral norm)", resnet, "gan-resnet", data);
    /* The default's layers and losses, narrow: the spectral loss per class
     * sums its spectra over the ranks, so it too is the whole batch's.  Its
     * logs of the small high-frequency powers of a barely trained G make it
     * sensitive: 1 process against 2 ranks, the first step's values agree
     * within 1e-6, the next within 2e-5 and the third within 1.3e-4 (one
     * machine, 2026-12-07; in-process, test-spectral's split batch agrees
     * within 1e-7).  A loss taken on each rank's part only (as before)
     * differs by 0.46 in the spectral value at step 2.  This recipe then
     * drifts over 20 steps even without the spectral loss (5e-3), so only its
     * first 3 steps are compared, within 1e-3. */
    const char *spectral[] = {"gan", "train", "--preset", "x-resnetrcy-ap-4-4-0.3-1-2dc",
                              "--batch", "8", "--steps", "3", NULL};
    check_equivalence_tol("the default's recipe at width 4 (per-class 2-D spectral loss)",
                          spectral, "gan-spectral", data, 1e-3, 1e-3);
    /* with D's class head (AC-GAN): its cross-entropy and gradients are
     * the whole batch's too (no spectral loss, the same 3 steps) */
    const char *head[] = {"gan", "train", "--preset", "x-resnetrcy-ap-4-4-0.3-0-2dc-1",
                          "--batch", "8", "--steps", "3", NULL};
    check_equivalence_tol("the default's networks at width 4 with a class head", head,
                          "gan-class-head", data, 1e-3, 1e-3);
    /* and with the twin head (TAC-GAN), which learns from the generated
     * images and whose cross-entropy G raises */
    const char *twin[] = {"gan", "train", "--preset", "x-resnetrcy-ap-4-4-0.3-0-2dc-1t",
                          "--batch", "8", "--steps", "3", NULL};
    check_equivalence_tol("the default's networks at width 4 with twin class heads", twin,
                          "gan-twin-head", data, 1e-3, 1e-3);
}

static void test_cnn_equivalence(void)
{
    if (!have_mpi())
        return;
    /* Without the default colour shift: its gains and gammas make those
     * cancellations common on the sample too (5e-3 by step 20 on an AMD EPYC,
     * with the first 3 events still within 1e-6, so the ranks do shift the
     * same images alike); the 20-step comparison is of the rest.  It is the
     * order of the sums, not MPI: on one machine (2026-12-06), with the
     * shift, one process on 1 thread and on 2 threads drifted to 6.8e-5 by
     * step 20 and 2 ranks to 4.1e-5; without it, 1 and 2 threads stayed
     * within 2.4e-7. */
    const char *args[] = {"cnn", "train", "--width", "8", "--size", "32", "--steps", "20",
                          "--batch", "8", "--color-shift", "0", NULL};
    /* On the bundled HAM10000 sample, not the generated images: those are
     * near-uniform colour fields, on which some gradient components cancel to
     * a few 1e-9, below Adam's epsilon (1e-8), where Adam turns the rounding
     * of their sum into a step; any other order of the sums (2 ranks, or
     * another BLAS) then moves those weights differently, and the losses
     * drift apart to about 2e-4 in 20 steps.  On real images, 1e-7. */
    const char *root = g_getenv("DG_SOURCE_ROOT") ? g_getenv("DG_SOURCE_ROOT") : DG_SOURCE_TREE;
    char *sample = g_build_filename(root, "resources", "sample", NULL);
    check_equivalence("classifier (dermanet, width 8, 32x32, class weights, dropout)", args, "cnn",
                      sample);
    /* distillation: each rank's teacher sees its part of the batch, and the
     * distillation loss is weighted as the cross-entropy, so the parts add
     * up to the whole batch's */
    char *tdir = run_dir("cnn-teacher");
    /* 40 steps: a teacher of 10 (its first step at the peak learning rate
     * since the warm-up no longer overshoots) left the student's losses
     * drifting to 1.0e-3 by step 20 (the cancellations above); with 40, 6e-8 */
    const char *targs[] = {"cnn", "train", "--width", "4", "--size", "32", "--steps", "40",
                           "--batch", "8", "--color-shift", "0", "--threads", "1",
                           "--cache-dir", "", "--data", sample, "--out", tdir, NULL};
    char *err = NULL;
    g_assert_cmpint(run(0, targs, NULL, &err), ==, 0);
    g_free(err);
    char *teacher = g_build_filename(tdir, "model.safetensors", NULL);
    const char *kd[] = {"cnn", "train", "--width", "8", "--size", "32", "--steps", "20",
                        "--batch", "8", "--color-shift", "0", "--teacher", teacher, "--distill",
                        "0.7", NULL};
    check_equivalence("classifier distilled from a teacher", kd, "cnn-kd", sample);
    g_free(teacher), g_free(tdir);
    g_free(sample);
}

static void test_resume(void)
{
    if (!have_mpi())
        return;
    char *whole = run_dir("resume-whole"), *parts = run_dir("resume-parts");
    char *o1, *o2, *o3;
    const char *a1[] = {"gan", "train", "--preset", "tiny", "--steps", "20", "--data", data,
                        "--out", whole, "--threads", "1", "--json", "--cache-dir", "", NULL};
    g_assert_cmpint(run(2, a1, &o1, NULL), ==, 0);
    const char *a2[] = {"gan", "train", "--preset", "tiny", "--steps", "10", "--data", data,
                        "--out", parts, "--threads", "1", "--json", "--cache-dir", "", NULL};
    g_assert_cmpint(run(2, a2, &o2, NULL), ==, 0);
    const char *a3[] = {"gan", "train", "--preset", "tiny", "--steps", "20", "--data", data,
                        "--out", parts, "--threads", "1", "--json", "--cache-dir", "",
                        "--resume", NULL};
    g_assert_cmpint(run(2, a3, &o3, NULL), ==, 0);
    char *joined = g_strconcat(o2, o3, NULL);
    GPtrArray *x = values(o1, "progress"), *y = values(joined, "progress");
    g_assert_cmpfloat(worst_difference(x, y, G_MAXUINT), ==, 0.0); /* exactly the uninterrupted run */
    g_ptr_array_unref(x), g_ptr_array_unref(y);
    /* a new run from that run's weights: every rank reads them (from rank
     * 0) and 2 ranks train as one process does */
    char *ckpt = g_build_filename(whole, "checkpoint.safetensors", NULL);
    const char *warm[] = {"gan", "train", "--preset", "tiny", "--steps", "5", "--init-from", ckpt,
                          NULL};
    check_equivalence("tiny GAN started from a checkpoint (--init-from)", warm, "gan-warm", data);
    g_free(ckpt);
    g_free(o1), g_free(o2), g_free(o3), g_free(joined), g_free(whole), g_free(parts);
}

/* ---- faults ---------------------------------------------------------------------- */

/* The pid of rank r among mpirun's children, or 0. */
static GPid rank_pid(GPid parent, int rank)
{
    GPid found = 0;
    GDir *d = g_dir_open("/proc", 0, NULL);
    const char *name;
    char *want = g_strdup_printf("OMPI_COMM_WORLD_RANK=%d", rank);
    while (d && !found && (name = g_dir_read_name(d))) {
        if (!g_ascii_isdigit(name[0]))
            continue;
        char *stat = g_strdup_printf("/proc/%s/stat", name), *env = g_strdup_printf("/proc/%s/environ", name);
        char *st = NULL, *en = NULL;
        gsize len = 0;
        if (g_file_get_contents(stat, &st, NULL, NULL) && g_file_get_contents(env, &en, &len, NULL)) {
            const char *close = strrchr(st, ')');
            int ppid = 0;
            if (close && sscanf(close + 2, "%*c %d", &ppid) == 1 && ppid == parent)
                for (gsize i = 0; i < len; i += strlen(en + i) + 1)
                    if (strcmp(en + i, want) == 0)
                        found = atoi(name);
        }
        g_free(stat), g_free(env), g_free(st), g_free(en);
    }
    if (d)
        g_dir_close(d);
    g_free(want);
    return found;
}

typedef struct {
    GPid pid;
    int status;
    gboolean done;
} child;

static void on_child_exit(GPid pid, int status, gpointer data)
{
    child *c = data;
    c->status = status;
    c->done = TRUE;
    g_spawn_close_pid(pid);
}

/* In the child: stderr into the file named by data. */
static void stderr_to_file(gpointer data)
{
    int fd = open(data, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
}

/* Starts a long 2-rank training into dir (stderr into dir.err) and waits
 * for its first checkpoint. */
static child *start_long(const char *dir, const char *timeout)
{
    g_setenv("DERMAGAN_MPI_TIMEOUT", timeout, TRUE);
    const char *args[] = {"gan", "train", "--preset", "tiny", "--steps", "1000000",
                          "--checkpoint-every", "20", "--sample-every", "1000000", "--data",
                          data, "--out", dir, "--threads", "1", "--cache-dir", "", NULL};
    GPtrArray *argv = command(2, args);
    child *c = g_new0(child, 1);
    GError *error = NULL;
    char *err_path = g_strconcat(dir, ".err", NULL);
    g_assert_true(g_spawn_async(tmp, (char **)argv->pdata, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                stderr_to_file, err_path, &c->pid, &error));
    g_assert_no_error(error);
    g_ptr_array_unref(argv);
    g_free(err_path);
    g_unsetenv("DERMAGAN_MPI_TIMEOUT");
    g_child_watch_add(c->pid, on_child_exit, c);
    char *ckpt = g_build_filename(dir, "checkpoint.safetensors", NULL);
    gint64 end = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;
    while (!g_file_test(ckpt, G_FILE_TEST_EXISTS) && !c->done && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(20000);
    }
    g_assert_true(g_file_test(ckpt, G_FILE_TEST_EXISTS));
    g_free(ckpt);
    return c;
}

/* Waits for mpirun; its seconds to exit, or -1 past the limit. */
static double wait_exit(child *c, double limit)
{
    gint64 t0 = g_get_monotonic_time();
    while (!c->done && g_get_monotonic_time() - t0 < limit * G_USEC_PER_SEC) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(20000);
    }
    return c->done ? (g_get_monotonic_time() - t0) / 1e6 : -1;
}

/* The checkpoint in dir loads, at a step > 0; and a 2-rank run resumes from it. */
static void check_checkpoint(const char *dir)
{
    char *ckpt = g_build_filename(dir, "checkpoint.safetensors", NULL);
    GError *error = NULL;
    dg_st *st = dg_st_load(ckpt, &error);
    g_assert_no_error(error);
    gint64 step = 0;
    const dg_st_tensor *t = dg_st_find(st, "step");
    g_assert_nonnull(t);
    memcpy(&step, t->data, 8);
    g_assert_cmpint(step, >, 0);
    dg_st_free(st);
    char *steps = g_strdup_printf("%" G_GINT64_FORMAT, step + 5);
    const char *args[] = {"gan", "train", "--preset", "tiny", "--steps", steps, "--data", data,
                          "--out", dir, "--threads", "1", "--cache-dir", "", "--resume", NULL};
    char *err = NULL;
    int rc = run(2, args, NULL, &err);
    if (rc != 0)
        g_printerr("%s\n", err);
    g_assert_cmpint(rc, ==, 0);
    g_free(err), g_free(steps), g_free(ckpt);
}

static void kill_rank(gboolean hang)
{
    char *dir = run_dir(hang ? "fault-hang" : "fault-kill");
    child *c = start_long(dir, hang ? "5" : "300");
    GPid victim = rank_pid(c->pid, 1);
    g_assert_cmpint(victim, >, 0);
    kill(victim, hang ? SIGSTOP : SIGKILL);
    double s = wait_exit(c, 30.0);
    g_test_message("%s rank 1: mpirun exited %.1f s later, status %d", hang ? "stopped" : "killed",
                   s, c->status);
    g_assert_cmpfloat(s, >=, 0.0);
    g_assert_false(WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0);
    if (hang) { /* ended by the others' deadline, with a message */
        char *path = g_strconcat(dir, ".err", NULL), *text = NULL;
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        g_assert_nonnull(strstr(text, "no answer from the other ranks"));
        g_free(path);
        g_free(text);
        kill(victim, SIGKILL); /* (if the abort left it stopped) */
    }
    check_checkpoint(dir);
    g_free(c), g_free(dir);
}

static void test_rank_killed(void)
{
    if (have_mpi())
        kill_rank(FALSE);
}

static void test_rank_hangs(void)
{
    if (have_mpi())
        kill_rank(TRUE);
}

static void test_stop_signal(void)
{
    if (!have_mpi())
        return;
    char *dir = run_dir("stop");
    child *c = start_long(dir, "300");
    kill(c->pid, SIGUSR1);
    double s = wait_exit(c, 60.0);
    g_assert_cmpfloat(s, >=, 0.0);
    g_assert_true(WIFEXITED(c->status));
    g_assert_cmpint(WEXITSTATUS(c->status), ==, 128 + SIGUSR1);
    check_checkpoint(dir);
    g_free(c), g_free(dir);
}

static void test_refusals(void)
{
    if (!have_mpi())
        return;
    char *err = NULL;
    const char *info[] = {"dataset", "info", data, NULL};
    g_assert_cmpint(run(2, info, NULL, &err), !=, 0);
    g_assert_nonnull(strstr(err, "under MPI only"));
    g_free(err);
    char *dir = run_dir("refuse");
    const char *big[] = {"gan", "train", "--preset", "tiny", "--steps", "2", "--batch", "1",
                         "--data", data, "--out", dir, "--cache-dir", "", NULL};
    g_assert_cmpint(run(2, big, NULL, &err), !=, 0);
    g_assert_nonnull(strstr(err, "cannot be shared by 2 processes"));
    g_free(err), g_free(dir);
}

/* ---- the ablation ------------------------------------------------------------------ */

static void strip_runs(JsonNode *n)
{
    if (JSON_NODE_HOLDS_OBJECT(n)) {
        JsonObject *o = json_node_get_object(n);
        json_object_remove_member(o, "run");
        GList *m = json_object_get_values(o);
        for (GList *l = m; l; l = l->next)
            strip_runs(l->data);
        g_list_free(m);
    } else if (JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *a = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(a); i++)
            strip_runs(json_array_get_element(a, i));
    }
}

static char *ablation_json(int n, const char *gen)
{
    char *dir = run_dir(n ? "ablation-2" : "ablation-1");
    const char *args[] = {"ablation", "--data", data, "--out", dir, "--arch", "seed",
                          "--generator", gen, "--seeds", "2", "--epochs", "2", "--protocols",
                          "balance", "--threads", "1", "--cache-dir", "", NULL};
    char *err = NULL;
    int rc = run(n, args, NULL, &err);
    if (rc != 0)
        g_printerr("%s\n", err);
    g_assert_cmpint(rc, ==, 0);
    char *path = g_build_filename(dir, "ablation.json", NULL);
    JsonParser *p = json_parser_new();
    GError *error = NULL;
    g_assert_true(json_parser_load_from_file(p, path, &error));
    JsonNode *root = json_node_copy(json_parser_get_root(p));
    strip_runs(root);
    json_object_remove_member(json_node_get_object(root), "generator");
    char *s = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(p);
    g_free(err), g_free(path), g_free(dir);
    return s;
}

static void test_ablation(void)
{
    if (!have_mpi())
        return;
    char *gan = run_dir("ablation-gan");
    const char *args[] = {"gan", "train", "--preset", "tiny", "--steps", "6", "--data", data,
                          "--out", gan, "--threads", "1", "--cache-dir", "", NULL};
    g_assert_cmpint(run(0, args, NULL, NULL), ==, 0);
    char *gen = g_build_filename(gan, "generator.safetensors", NULL);
    char *one = ablation_json(0, gen), *two = ablation_json(2, gen);
    g_assert_cmpstr(one, ==, two); /* the same trainings, only in other processes */
    g_free(one), g_free(two), g_free(gen), g_free(gan);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    mpirun = g_find_program_in_path("mpirun");
    /* containers often forbid the cross-process memory copy Open MPI's
     * shared-memory transport tries first; plain copies work everywhere */
    g_setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", FALSE);
    tmp = g_dir_make_tmp("dg-mpi-XXXXXX", NULL);
    data = jt_make_imagefolder(tmp, 4, 16, 32);
    g_test_add_func("/mpi/gan-equivalence", test_gan_equivalence);
    g_test_add_func("/mpi/cnn-equivalence", test_cnn_equivalence);
    g_test_add_func("/mpi/resume", test_resume);
    g_test_add_func("/mpi/rank-killed", test_rank_killed);
    g_test_add_func("/mpi/rank-hangs", test_rank_hangs);
    g_test_add_func("/mpi/stop-signal", test_stop_signal);
    g_test_add_func("/mpi/refusals", test_refusals);
    g_test_add_func("/mpi/ablation", test_ablation);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp), g_free(data), g_free(mpirun);
    return rc;
}

/* test-hardening-outputs: what happens to OUTPUTS and run folders when a
 * user, another process or a signal gets in the way: never a lost file, a
 * lost run or output that silently never arrived, but a clear one-line
 * error and a non-zero exit, or a run stopped with its checkpoint.
 * One test per class of problem (issue 9): an output that is one of the
 * command's inputs, a new run in a user's folder, two processes on one run
 * folder, signals, progress lines in a log, stdout that cannot be written
 * (a full disk, a closed stdout), temporaries left by a kill and the user's
 * files that only look like them.
 * What hostile input must end in (options, checkpoints, FIFOs, model files):
 * test-hardening; --resume with other settings: test-resume. */
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardening-test-util.h"
#include "jobs-test-util.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-job-gan.h"
#include "jobs/dg-run-dir.h"

/* ---- 4. lost files: an output that is an input ------------------------------------- */

/* A copy of src at tmp/name. */
static char *copy_to(const char *src, const char *name)
{
    char *bytes = NULL, *dst = g_build_filename(tmp, name, NULL);
    gsize n = 0;
    g_assert_true(g_file_get_contents(src, &bytes, &n, NULL));
    g_assert_true(g_file_set_contents(dst, bytes, (gssize)n, NULL));
    g_free(bytes);
    return dst;
}

/* Runs the CLI, which must exit 1 saying `says`, with `kept` unchanged. */
static void refused(const char *says, const char *kept, ...)
{
    char *before = NULL, *after = NULL, *err = NULL;
    gsize nb = 0, na = 0;
    g_assert_true(g_file_get_contents(kept, &before, &nb, NULL));
    va_list ap;
    va_start(ap, kept);
    const int status = run_cli_va(&err, ap);
    va_end(ap);
    g_test_message("%s", err);
    g_assert_cmpint(status, ==, 1);
    g_assert_nonnull(strstr(err, says));
    g_assert_true(g_file_get_contents(kept, &after, &na, NULL));
    g_assert_cmpmem(before, nb, after, na);
    g_free(err), g_free(before), g_free(after);
}

static void test_outputs_not_inputs(void)
{
    char *src = g_build_filename(data, "akiec", "img-00.png", NULL);
    char *img = copy_to(src, "lesion.png");
    /* predict --saliency: the input image itself, under its name or another */
    refused("is the input image", img, "predict", img, "--saliency", img, NULL);
    char *alias = g_build_filename(tmp, "alias.png", NULL);
    g_assert_cmpint(symlink("lesion.png", alias), ==, 0);
    refused("is the input image", img, "predict", img, "--saliency", alias, NULL);
    char *hard = g_build_filename(tmp, "hard.png", NULL);
    g_assert_cmpint(link(img, hard), ==, 0);
    refused("is the input image", img, "predict", img, "--saliency", hard, NULL);
    /* the model (given a .png name, so that only this check can refuse it) */
    char *model = copy_to(small_classifier(), "classifier.png");
    refused("is the model", model, "predict", "--model", model, img, "--saliency", model, NULL);
    /* a name that is not a PNG's: refused before anything is done */
    char *jpg = g_build_filename(tmp, "overlay.jpg", NULL);
    refused("use a .png name", img, "predict", img, "--saliency", jpg, NULL);
    g_assert_false(g_file_test(jpg, G_FILE_TEST_EXISTS));
    /* and a .png that is none of them is written (any case of the extension) */
    char *good = g_build_filename(tmp, "overlay.PNG", NULL);
    g_assert_cmpint(run_cli(NULL, "predict", img, "--saliency", good, NULL), ==, 0);
    g_assert_true(g_file_test(good, G_FILE_TEST_IS_REGULAR));

    /* gan generate --grid: the generator; a name of no plot format, before
     * any image is made */
    char *gen = copy_to(small_generator(), "generator.png");
    char *out = g_build_filename(tmp, "grid-out", NULL);
    refused("is the generator model", gen, "gan", "generate", "--model", gen, "--out", out,
            "--per-class", "1", "--grid", gen, NULL);
    refused("use a .png, .svg or .pdf name", gen, "gan", "generate", "--model", gen, "--out", out,
            "--per-class", "1", "--grid", jpg, NULL);
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));

    /* cnn ensemble --out: one of its models */
    char *member = copy_to(small_classifier(), "member.safetensors");
    refused("is one of the ensemble's models", member, "cnn", "ensemble", "--data", data,
            "--cache-dir", "", "--out", member, small_classifier(), member, NULL);

    /* a run folder's own files as the run's input: gan train --init-from,
     * cnn train --teacher */
    char *run = g_build_filename(tmp, "own-files", NULL);
    g_assert_cmpint(g_mkdir_with_parents(run, 0755), ==, 0);
    char *own_gen = g_build_filename(run, "generator.safetensors", NULL);
    char *own_clf = g_build_filename(run, "model.safetensors", NULL);
    g_free(copy_to(small_generator(), "own-files/generator.safetensors"));
    g_free(copy_to(small_classifier(), "own-files/model.safetensors"));
    refused("is the run's own generator.safetensors", own_gen, "gan", "train", "--preset", "tiny",
            "--data", data, "--out", run, "--cache-dir", "", "--steps", "2", "--init-from",
            own_gen, NULL);
    refused("is the run's own model.safetensors", own_clf, "cnn", "train", "--data", data,
            "--out", run, "--cache-dir", "", "--steps", "2", "--teacher", own_clf, NULL);

    /* outputs inside the data set: its files are inputs (cnn calibrate
     * --out HAM10000_metadata.csv wrote a model over the metadata), and what
     * goes there joins it (generated images in a class folder became that
     * class's); through a symlinked data set folder too */
    char *clf = small_classifier(), *data_img = g_build_filename(data, "akiec", "img-01.png", NULL);
    char *data_png = g_build_filename(data, "bcc", "img-00.png", NULL);
    refused("is inside the data set", data_img, "cnn", "calibrate", "--model", clf, "--data", data,
            "--cache-dir", "", "--out", data_img, NULL);
    refused("is inside the data set", data_img, "cnn", "ensemble", "--data", data, "--cache-dir", "",
            "--out", data_img, clf, member, NULL);
    char *data_link = g_build_filename(tmp, "data-link", NULL);
    g_assert_cmpint(symlink(data, data_link), ==, 0);
    refused("is inside the data set", data_png, "gan", "generate", "--model", small_generator(),
            "--data", data_link, "--cache-dir", "", "--per-class", "1", "--out", out, "--grid",
            data_png, NULL);
    char *syn = g_build_filename(data, "akiec", "synthetic", NULL);
    refused("is inside the data set", data_png, "gan", "generate", "--model", small_generator(),
            "--data", data, "--cache-dir", "", "--per-class", "1", "--out", syn, NULL);
    g_assert_false(g_file_test(syn, G_FILE_TEST_EXISTS));
    /* a ".." after a symlink is the kernel's: class-link/../syn is data/syn */
    char *class_link = g_build_filename(tmp, "class-link", NULL),
         *via = g_build_filename(class_link, "..", "syn", NULL),
         *landed = g_build_filename(data, "syn", NULL),
         *akiec = g_build_filename(data, "akiec", NULL);
    g_assert_cmpint(symlink(akiec, class_link), ==, 0);
    refused("is inside the data set", data_png, "gan", "generate", "--model", small_generator(),
            "--data", data, "--cache-dir", "", "--per-class", "1", "--out", via, NULL);
    g_assert_false(g_file_test(landed, G_FILE_TEST_EXISTS));
    /* a data set whose class folder is a symlink to a folder elsewhere
     * (--follow-symlinks reads it): that folder is the data set's too */
    char *dl = g_build_filename(tmp, "linked-set", NULL),
         *dl_akiec = g_build_filename(dl, "akiec", NULL),
         *into = g_build_filename(akiec, "syn", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dl, 0755), ==, 0);
    g_assert_cmpint(symlink(akiec, dl_akiec), ==, 0);
    refused("is inside the data set", data_png, "gan", "generate", "--model", small_generator(),
            "--data", dl, "--follow-symlinks", "--cache-dir", "", "--per-class", "1", "--out",
            into, NULL);
    g_assert_false(g_file_test(into, G_FILE_TEST_EXISTS));
    g_free(dl), g_free(dl_akiec), g_free(into);
    g_free(class_link), g_free(via), g_free(landed), g_free(akiec);
    char *abl = g_build_filename(data, "ablation", NULL);
    refused("is inside the data set", data_png, "ablation", "--data", data, "--cache-dir", "",
            "--out", abl, NULL);
    g_assert_false(g_file_test(abl, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    g_free(data_img), g_free(data_png), g_free(data_link), g_free(syn), g_free(abl);

    g_free(src), g_free(img), g_free(alias), g_free(hard), g_free(model), g_free(jpg);
    g_free(good), g_free(gen), g_free(out), g_free(member), g_free(run), g_free(own_gen);
    g_free(own_clf);
}

/* A new training run in a folder holding a user's config.json, history.csv
 * or model file (no checkpoint: not a run to resume) replaced them without a
 * word; a run killed before its first checkpoint (its own config.json), or
 * between its best model and its checkpoint, still starts again there; and a
 * run folder inside the data set is refused. */
static void test_new_run_over_user_files(void)
{
    char *dir = g_build_filename(tmp, "user-folder", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    const char *names[] = {"config.json", "history.csv", "model.safetensors"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        char *p = g_build_filename(dir, names[i], NULL);
        g_assert_true(g_file_set_contents(p, "{\"mine\": true}\n", -1, NULL));
        refused("would write over it", p, "cnn", "train", "--data", data, "--out", dir,
                "--cache-dir", "", "--steps", "2", "--threads", "1", NULL);
        if (i == 0)
            refused("would write over it", p, "gan", "train", "--preset", "tiny", "--data", data,
                    "--out", dir, "--cache-dir", "", "--steps", "2", "--threads", "1", NULL);
        g_assert_cmpint(g_unlink(p), ==, 0);
        g_free(p);
    }
    /* the config.json of a run killed before its first checkpoint: ours */
    char *cj = g_build_filename(dir, "config.json", NULL);
    g_assert_true(g_file_set_contents(cj, "{\"arch\": \"seed\", \"n_classes\": 3}", -1, NULL));
    g_assert_cmpint(run_cli(NULL, "cnn", "train", "--data", data, "--out", dir, "--cache-dir", "",
                            "--size", "32", "--steps", "2", "--threads", "1", NULL),
                    ==, 0);
    /* a run killed between its best model and its checkpoint (or whose
     * checkpoint could not be written): its config.json, history.csv and
     * model file, no checkpoint; a new run starts there */
    char *ck = g_build_filename(dir, "checkpoint.safetensors", NULL),
         *mf = g_build_filename(dir, "model.safetensors", NULL);
    g_assert_true(g_file_test(mf, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpint(g_unlink(ck), ==, 0);
    g_assert_cmpint(run_cli(NULL, "cnn", "train", "--data", data, "--out", dir, "--cache-dir", "",
                            "--size", "32", "--steps", "2", "--threads", "1", NULL),
                    ==, 0);
    g_assert_true(g_file_test(ck, G_FILE_TEST_IS_REGULAR));
    g_free(ck), g_free(mf);
    /* inside the data set: its sample grids would join a class */
    char *inside = g_build_filename(data, "akiec", "run", NULL);
    char *img = g_build_filename(data, "akiec", "img-00.png", NULL);
    refused("is inside the data set", img, "gan", "train", "--preset", "tiny", "--data", data,
            "--out", inside, "--cache-dir", "", "--steps", "2", NULL);
    g_assert_false(g_file_test(inside, G_FILE_TEST_EXISTS));
    g_free(dir), g_free(cj), g_free(inside), g_free(img);
}

/* ---- 4. lost runs: two processes, one folder ----------------------------------------- */

static void test_run_folder_lock(void)
{
    GError *error = NULL;
    char *out = g_build_filename(tmp, "locked", NULL);
    /* this process holds the folder (as a training in progress would) */
    dg_run_dir *held = dg_run_dir_open(out, &error);
    g_assert_no_error(error);
    /* a second lock in this process is refused too (flock is per open file) */
    g_assert_null(dg_run_dir_open(out, &error));
    g_assert_nonnull(strstr(error->message, "in use by another DermaGAN process"));
    g_clear_error(&error);
    /* another process: gan train, cnn train, a --resume, generate, ablation */
    char *err = NULL;
    int rc = run_cli(&err, "gan", "train", "--preset", "tiny", "--data", data, "--out", out,
                     "--cache-dir", "", "--steps", "3", NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "in use"));
    g_free(err);
    rc = run_cli(&err, "cnn", "train", "--data", data, "--out", out, "--cache-dir", "", "--steps",
                 "3", NULL);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "in use"));
    g_free(err);
    rc = run_cli(&err, "gan", "generate", "--model", small_generator(), "--out", out,
                 "--per-class", "1", NULL);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "in use"));
    g_free(err);
    /* nothing was written into the folder but the lock file */
    GDir *d = g_dir_open(out, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name(d)))
        g_assert_cmpstr(name, ==, ".dermagan.lock");
    g_dir_close(d);
    dg_run_dir_close(held);
    /* released: the folder can be used */
    rc = run_cli(&err, "gan", "train", "--preset", "tiny", "--data", data, "--out", out,
                 "--cache-dir", "", "--steps", "3", NULL);
    g_assert_cmpint(rc, ==, 0);
    g_free(err);
    /* and a resume while another process trains it */
    held = dg_run_dir_open(out, &error);
    g_assert_no_error(error);
    rc = run_cli(&err, "gan", "train", "--preset", "tiny", "--data", data, "--out", out,
                 "--cache-dir", "", "--steps", "6", "--resume", NULL);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "in use"));
    g_free(err);
    dg_run_dir_close(held);
    g_free(out);
}

/* ---- 4. lost runs: signals ----------------------------------------------------------- */

/* Starts a training CLI with --json, waits for its step `at`, sends sig;
 * returns the exit status. */
static int train_and_signal(const char *const *args, int at, int sig)
{
    GError *error = NULL;
    GSubprocess *p = g_subprocess_newv(args, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                 G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                       &error);
    g_assert_no_error(error);
    GDataInputStream *in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
    gboolean sent = FALSE;
    char *line;
    while ((line = g_data_input_stream_read_line_utf8(in, NULL, NULL, NULL))) {
        if (!sent && strstr(line, "\"progress\"")) {
            JsonNode *n = json_from_string(line, NULL);
            if (n && json_object_get_int_member(json_node_get_object(n), "step") >= at) {
                g_subprocess_send_signal(p, sig);
                sent = TRUE;
            }
            if (n)
                json_node_unref(n);
        }
        g_free(line);
    }
    g_assert_true(sent);
    g_assert_true(g_subprocess_wait(p, NULL, &error));
    int status = g_subprocess_get_if_exited(p) ? g_subprocess_get_exit_status(p)
                                                : 128 + g_subprocess_get_term_sig(p);
    g_object_unref(in);
    g_object_unref(p);
    return status;
}

static void test_signals(void)
{
    alarm(240);
    /* SIGTERM at step 5 of a GAN whose first checkpoint would come at 500:
     * the run stops after its step, writes its checkpoint, exits 143 */
    char *out = g_build_filename(tmp, "sigterm", NULL);
    const char *gan[] = {DG_CLI_PATH, "gan", "train", "--preset", "tiny", "--data", data,
                         "--out", out, "--cache-dir", "", "--steps", "100000", "--threads", "1",
                         "--json", NULL};
    g_assert_cmpint(train_and_signal(gan, 5, SIGTERM), ==, 128 + SIGTERM);
    char *ck = g_build_filename(out, "checkpoint.safetensors", NULL);
    g_assert_true(g_file_test(ck, G_FILE_TEST_IS_REGULAR));
    GError *error = NULL;
    dg_st *st = dg_st_load(ck, &error);
    g_assert_no_error(error);
    const dg_st_tensor *step = dg_st_find(st, "step");
    gint64 s = 0;
    memcpy(&s, step->data, 8);
    g_assert_cmpint(s, >=, 5);
    dg_st_free(st);
    g_free(ck), g_free(out);
    /* SIGHUP (a closed terminal) stops a classifier the same way: exit 129 */
    out = g_build_filename(tmp, "sighup", NULL);
    const char *cnn[] = {DG_CLI_PATH, "cnn", "train", "--data", data, "--out", out,
                         "--cache-dir", "", "--steps", "100000", "--batch", "8", "--width", "8",
                         "--threads", "1", "--json", NULL};
    g_assert_cmpint(train_and_signal(cnn, 3, SIGHUP), ==, 128 + SIGHUP);
    ck = g_build_filename(out, "checkpoint.safetensors", NULL);
    g_assert_true(g_file_test(ck, G_FILE_TEST_IS_REGULAR));
    g_free(ck), g_free(out);
    alarm(0);
}

/* Progress in a log: with stderr not a terminal (a script's or a server's
 * log), the CLI writes a plain line with the percentage and ETA every 30 s
 * (DERMAGAN_PROGRESS_INTERVAL seconds; a value it cannot use is reported),
 * never the terminal's bar. */
static char *cli_stderr(const char *interval, const char *out)
{
    const char *args[] = {DG_CLI_PATH, "gan", "train", "--preset", "tiny", "--data", data,
                          "--out", out, "--cache-dir", "", "--steps", "300", "--threads", "1",
                          "--sample-every", "1000", "--checkpoint-every", "1000", NULL};
    GError *error = NULL;
    GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
    if (interval)
        g_subprocess_launcher_setenv(l, "DERMAGAN_PROGRESS_INTERVAL", interval, TRUE);
    else
        g_subprocess_launcher_unsetenv(l, "DERMAGAN_PROGRESS_INTERVAL");
    GSubprocess *p = g_subprocess_launcher_spawnv(l, args, &error);
    g_assert_no_error(error);
    char *err = NULL;
    g_assert_true(g_subprocess_communicate_utf8(p, NULL, NULL, NULL, &err, &error));
    g_assert_no_error(error);
    g_assert_true(g_subprocess_get_successful(p));
    g_object_unref(p);
    g_object_unref(l);
    return err;
}

static void test_progress_lines(void)
{
    char *out = g_build_filename(tmp, "progress-log", NULL);
    char *err = cli_stderr("0", out);
    g_assert_null(strchr(err, '\r'));
    g_assert_null(strstr(err, "\033["));
    char **lines = g_strsplit(err, "\n", -1);
    int n = 0;
    for (char **l = lines; *l; l++)
        if (g_str_has_prefix(*l, "gan-train ") && strstr(*l, "% ETA ") && strstr(*l, "/300 d_loss"))
            n++;
    g_test_message("%d progress lines", n);
    g_assert_cmpint(n, >=, 10);
    g_strfreev(lines);
    g_free(err);
    jt_rm_rf(out);
    /* the default interval, 30 s, writes none in a run of a second */
    err = cli_stderr(NULL, out);
    g_assert_null(strstr(err, "% ETA "));
    g_assert_null(strstr(err, "DERMAGAN_PROGRESS_INTERVAL"));
    g_free(err);
    jt_rm_rf(out);
    /* a value it cannot use is reported, once, and the default kept */
    err = cli_stderr("soon", out);
    g_assert_nonnull(strstr(err, "DERMAGAN_PROGRESS_INTERVAL='soon'"));
    g_assert_null(strstr(strstr(err, "DERMAGAN_PROGRESS_INTERVAL") + 1, "DERMAGAN_PROGRESS_INTERVAL"));
    g_assert_null(strstr(err, "% ETA "));
    g_free(err);
    g_free(out);
}

/* ---- 5. silent wrong results: output that never arrived ------------------------------ */

/* dermagan-cli through sh with a redirection of its stdout (">/dev/full",
 * ">&-"); exit status, stderr. */
static int run_cli_redirected(const char *redirect, char **err, const char *const *args)
{
    g_autofree char *script = g_strdup_printf("exec \"$0\" \"$@\" %s", redirect);
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer) "/bin/sh");
    g_ptr_array_add(argv, (gpointer) "-c");
    g_ptr_array_add(argv, script);
    g_ptr_array_add(argv, (gpointer)DG_CLI_PATH);
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    int status = 0;
    GError *error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                               err, &status, &error));
    g_assert_no_error(error);
    g_ptr_array_unref(argv);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_stdout_errors(void)
{
    char *img = g_build_filename(data, "akiec", "img-00.png", NULL);
    const char *clf = small_classifier();
    const char *predict_json[] = {"predict", "--json", "--model", clf, img, NULL};
    const char *predict_text[] = {"predict", "--model", clf, img, NULL};
    const char *evaluate_json[] = {"evaluate", "--json", "--model", clf, "--data", data, "--split",
                                   "all", "--cache-dir", "", NULL};
    const char *version[] = {"--version", NULL};
    /* a full disk: exit 1 and the reason, whatever printed */
    const char *const *full[] = {predict_json, predict_text, evaluate_json, version};
    for (size_t i = 0; i < G_N_ELEMENTS(full); i++) {
        char *err = NULL;
        int rc = run_cli_redirected(">/dev/full", &err, full[i]);
        g_test_message("%s >/dev/full -> %d: %s", full[i][0], rc, err);
        g_assert_cmpint(rc, ==, 1);
        g_assert_nonnull(strstr(err, "dermagan-cli: writing the output failed: "));
        g_assert_nonnull(strstr(err, g_strerror(ENOSPC)));
        g_free(err);
    }
    /* a closed stdout */
    char *err = NULL;
    g_assert_cmpint(run_cli_redirected(">&-", &err, predict_json), ==, 1);
    g_assert_nonnull(strstr(err, "writing the output failed: "));
    g_free(err);
    /* and no false alarm */
    g_assert_cmpint(run_cli_redirected(">/dev/null", &err, predict_json), ==, 0);
    g_assert_null(strstr(err, "writing the output failed"));
    g_free(err);
    g_free(img);
}

/* ---- 4. lost runs: temporaries left by a kill ---------------------------------------- */

/* Writes text into each of the n files names (relative to dir). */
static void put_files(const char *dir, const char *const *names, size_t n, const char *text)
{
    for (size_t i = 0; i < n; i++) {
        char *p = g_build_filename(dir, names[i], NULL);
        g_assert_true(g_file_set_contents(p, text, -1, NULL));
        g_free(p);
    }
}

/* Each of the n files names in dir: gone (text NULL), or there, holding text. */
static void check_files(const char *dir, const char *const *names, size_t n, const char *text)
{
    for (size_t i = 0; i < n; i++) {
        char *p = g_build_filename(dir, names[i], NULL), *got = NULL;
        if (!text) {
            g_assert_false(g_file_test(p, G_FILE_TEST_EXISTS));
        } else {
            g_assert_true(g_file_get_contents(p, &got, NULL, NULL));
            g_assert_cmpstr(got, ==, text);
        }
        g_free(got), g_free(p);
    }
}

static void test_stale_temporaries(void)
{
    jt_must_succeed(&dg_job_gan_train, gan_tiny("temps", 2));
    char *run = g_build_filename(tmp, "temps", NULL);
    const char *stale[] = {"checkpoint.safetensors.dgtmp-Zz09aB", "samples/latest.png.dgtmp-QwErTy",
                           "generator.safetensors.dgtmp-x9Y8z7"};
    /* a user's backups, whatever they look like: older versions' temporaries
     * (NAME.XXXXXX) cannot be told from model.safetensors.backup */
    const char *kept[] = {"notes.txt.Ab12Cd", "checkpoint.safetensors.bak",
                          "generator.safetensors.Ab12Cd7", "model.safetensors.backup",
                          "checkpoint.safetensors.Ab12Cd", "samples/latest.png.QwErTy"};
    put_files(run, stale, G_N_ELEMENTS(stale), "half");
    put_files(run, kept, G_N_ELEMENTS(kept), "mine");
    dg_gan_train_config *c = gan_tiny("temps", 4);
    c->resume = TRUE;
    jt_must_succeed(&dg_job_gan_train, c);
    check_files(run, stale, G_N_ELEMENTS(stale), NULL);
    check_files(run, kept, G_N_ELEMENTS(kept), "mine");
    g_free(run);
}

/* Only temporaries of ours go: a user's files that merely look like one
 * (NAME.XXXXXX with six letters or digits, as backups do) stay, in the
 * folder and in its sub-folders, whether the folder is opened directly or
 * by a command given it as --out. */
static void test_stale_temporaries_only_ours(void)
{
    const char *ours[] = {"result.json.dgtmp-Ab12Cd", "figs/latest.png.dgtmp-x9Y8z7"};
    const char *users[] = {"x.json.backup", "notes.md.abcdef", "HAM10000_metadata.csv.backup",
                           "figs/figure1.png.backup", "figs/plot.svg.123456",
                           "result.json.dgtmp-Ab12C" /* five: not one of ours */,
                           "result.json.backup", "model.safetensors.Backup"};
    char *out = g_build_filename(tmp, "users-folder", NULL);
    char *figs = g_build_filename(out, "figs", NULL);
    /* a run of its own there first: a new run refuses a folder holding the
     * user's files, --resume goes on beside them */
    g_assert_cmpint(run_cli(NULL, "cnn", "train", "--data", data, "--out", out, "--arch", "seed",
                            "--steps", "1", "--batch", "8", "--threads", "1", "--cache-dir", "",
                            NULL),
                    ==, 0);
    g_assert_cmpint(g_mkdir_with_parents(figs, 0755), ==, 0);
    for (int pass = 0; pass < 2; pass++) {
        put_files(out, ours, G_N_ELEMENTS(ours), "half");
        put_files(out, users, G_N_ELEMENTS(users), "keep");
        if (pass == 0) {
            GError *error = NULL;
            dg_run_dir *d = dg_run_dir_open(out, &error);
            g_assert_no_error(error);
            g_assert_cmpint(dg_run_dir_cleaned(d), ==, G_N_ELEMENTS(ours));
            dg_run_dir_close(d);
        } else {
            char *err = NULL;
            /* (a training resumed: gan generate and a new training refuse a
             * folder holding files not their own) */
            int rc = run_cli(&err, "cnn", "train", "--data", data, "--out", out, "--arch", "seed",
                             "--steps", "2", "--batch", "8", "--threads", "1", "--cache-dir", "",
                             "--resume", NULL);
            g_test_message("%s", err);
            g_assert_cmpint(rc, ==, 0);
            g_free(err);
        }
        check_files(out, ours, G_N_ELEMENTS(ours), NULL);
        check_files(out, users, G_N_ELEMENTS(users), "keep");
    }
    g_free(figs), g_free(out);
}

/* A new training run in a folder holding anything but a run's own files
 * (--out $HOME, --out /) wrote its files there; it is refused, naming a file
 * found there, before anything is written (not even the lock file).  A GAN
 * run killed before its first checkpoint (config.json, samples/) starts
 * again in its folder; a classifier run's is not a GAN's. */
static void test_new_run_in_user_folder(void)
{
    char *dir = g_build_filename(tmp, "home", NULL), *sub = g_build_filename(dir, "Documents", NULL);
    g_assert_cmpint(g_mkdir_with_parents(sub, 0755), ==, 0);
    char *notes = g_build_filename(dir, "notes.txt", NULL);
    g_assert_true(g_file_set_contents(notes, "mine\n", -1, NULL));
    const char *says = "is not empty and not a classifier run's folder (it holds Documents); "
                       "choose a new or empty folder";
    refused(says, notes, "cnn", "train", "--data", data, "--out", dir, "--cache-dir", "",
            "--steps", "2", "--threads", "1", NULL);
    refused("not a GAN run's folder (it holds Documents)", notes, "gan", "train", "--preset",
            "tiny", "--data", data, "--out", dir, "--cache-dir", "", "--steps", "2", "--threads",
            "1", NULL);
    g_assert_cmpint(g_rmdir(sub), ==, 0);
    refused("(it holds notes.txt)", notes, "cnn", "train", "--data", data, "--out", dir,
            "--cache-dir", "", "--steps", "2", "--threads", "1", NULL);
    char *lock = g_build_filename(dir, ".dermagan.lock", NULL);
    g_assert_false(g_file_test(lock, G_FILE_TEST_EXISTS));
    /* a GAN run killed before its first checkpoint: its folder is its own */
    char *killed = g_build_filename(tmp, "killed-gan", NULL);
    char *samples = g_build_filename(killed, "samples", NULL);
    g_assert_cmpint(g_mkdir_with_parents(samples, 0755), ==, 0);
    const char *left[] = {"config.json", ".dermagan.lock", "samples/step-000000.png"};
    put_files(killed, left, G_N_ELEMENTS(left), "{\"n_classes\": 3}");
    g_assert_cmpint(run_cli(NULL, "gan", "train", "--preset", "tiny", "--data", data, "--out",
                            killed, "--cache-dir", "", "--steps", "2", "--threads", "1", NULL),
                    ==, 0);
    /* a classifier run's leftovers are not a GAN run's */
    char *hc = g_build_filename(dir, "history.csv", NULL);
    g_assert_cmpint(g_unlink(notes), ==, 0);
    g_assert_true(g_file_set_contents(hc, "epoch,train_loss\n", -1, NULL));
    refused("(it holds history.csv)", hc, "gan", "train", "--preset", "tiny", "--data", data,
            "--out", dir, "--cache-dir", "", "--steps", "2", "--threads", "1", NULL);
    g_free(dir), g_free(sub), g_free(notes), g_free(lock), g_free(killed), g_free(samples);
    g_free(hc);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-hardening-outputs-XXXXXX", NULL);
    data = jt_make_imagefolder(tmp, 3, 10, 32);
    g_test_add_func("/hardening/outputs-not-inputs", test_outputs_not_inputs);
    g_test_add_func("/hardening/new-run-over-user-files", test_new_run_over_user_files);
    g_test_add_func("/hardening/new-run-in-user-folder", test_new_run_in_user_folder);
    g_test_add_func("/hardening/run-folder-lock", test_run_folder_lock);
    g_test_add_func("/hardening/signals", test_signals);
    g_test_add_func("/hardening/progress-in-logs", test_progress_lines);
    g_test_add_func("/hardening/stdout-errors", test_stdout_errors);
    g_test_add_func("/hardening/stale-temporaries", test_stale_temporaries);
    g_test_add_func("/hardening/stale-temporaries-only-ours", test_stale_temporaries_only_ours);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp);
    g_free(data);
    return rc;
}

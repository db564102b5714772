/* test-hardening: what hostile INPUT must end in: a clear one-line error and
 * a non-zero exit, never a crash, a hang, an allocation beyond the stated
 * limits or a silently wrong result.  One test per class of problem
 * (issue 9): option ranges, a synthetic ratio out of range or overlapping
 * the data, checkpoints that would hang or corrupt a run, files that are not
 * files (FIFOs and devices, read or written), model files that ask for too
 * much, contradict themselves, nest their JSON metadata 100000 levels deep,
 * name folders with their class ids or hold non-finite weights, or are of
 * the wrong kind (gan train --init-from a classifier); arguments that are
 * not UTF-8.
 * What happens to outputs and run folders (an output that is an input, two
 * processes on one folder, signals, progress in logs, stdout write errors,
 * temporaries left by a kill): test-hardening-outputs; --resume with other
 * settings: test-resume. */
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dg-dataset.h"
#include "hardening-test-util.h"
#include "jobs-test-util.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-job-gan.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-run-info.h"
#include "models/dg-classifier.h"
#include "models/dg-gan.h"
#include "models/dg-model-file.h"

/* ---- 7. invalid values, 3. unbounded sizes from options --------------------------- */

static void test_option_ranges(void)
{
    char *out = g_build_filename(tmp, "never-made", NULL);
    /* each: the command line, and a word its one-line message must hold */
    const char *cases[][8] = {
        {"gan", "train", "--steps", "0"},
        {"gan", "train", "--steps", "-5"},
        {"gan", "train", "--width", "2000"},
        {"gan", "train", "--lr", "nan"},
        {"gan", "train", "--lr", "-1"},
        {"gan", "train", "--lr", "1e10"},
        {"gan", "train", "--batch", "12x"},
        {"cnn", "train", "--epochs", "-1"},
        {"cnn", "train", "--batch", "100000000"},
        {"cnn", "train", "--label-smoothing", "2"},
        {"cnn", "train", "--weight-decay", "-5"},
        {"cnn", "train", "--synthetic-ratio", "2"},
        {"cnn", "train", "--synthetic-ratio", "1.5"},
        {"cnn", "train", "--seed", "-3"},
        {"gan", "generate", "--per-class", "1000000000"},
        {"gan", "generate", "--keep", "1e-9"},
        {"gan", "generate", "--keep", "2"},
        {"gan", "generate", "--target", "1000000000"},
        {"gan", "score", "--per-class", "1000000000"},
        {"ablation", "--seeds", "0"},
        {"predict", "--threads", "0"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *const *c = cases[i];
        gboolean two = strcmp(c[0], "gan") == 0 || strcmp(c[0], "cnn") == 0;
        char *err = NULL;
        int rc = two ? run_cli(&err, c[0], c[1], c[2], c[3], "--data", data, "--out", out, NULL)
                     : run_cli(&err, c[0], c[1], c[2], "--data", data, "--out", out, "x.png",
                               NULL);
        g_test_message("%s %s %s %s -> %d: %s", c[0], c[1], c[2], two ? c[3] : "", rc, err);
        g_assert_cmpint(rc, ==, 1);
        /* one line naming the option and its range */
        g_assert_nonnull(strstr(err, "dermagan-cli: --"));
        g_assert_nonnull(strstr(err, " to "));
        g_assert_true(strchr(err, '\n') == err + strlen(err) - 1);
        g_free(err);
    }
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    g_free(out);
}

/* Arguments that are not UTF-8: a file name takes any bytes the file system
 * does (G_OPTION_ARG_FILENAME), shown in messages by its display name; any
 * other option's value is an error naming the option (GOption's own was a
 * bare "Invalid byte sequence in conversion input"). */
static void test_non_utf8_options(void)
{
    char *out = g_build_filename(tmp, "never-made-\xff", NULL);
    const char *cases[][4] = {
        {"predict", "--sex", "\xff"},
        {"predict", "--threads", "\xff"},
        {"evaluate", "--split", "\xfftest"},
        {"ablation", "--protocols", "\xff"},
        {"gan", "train", "--preset", "\xff"},
        {"gan", "generate", "--classes", "\xff"},
        {"gan", "export", "--classes", "\xff"},
        {"cnn", "train", "--arch", "\xff"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *const *c = cases[i];
        gboolean two = c[3] != NULL;
        const char *option = two ? c[2] : c[1];
        char *err = NULL; /* (run_cli: stderr must be UTF-8) */
        int rc = two ? run_cli(&err, c[0], c[1], c[2], c[3], "--data", data, "--out", out, NULL)
                     : run_cli(&err, c[0], c[1], c[2], "--data", data, "--out", out, "x.png",
                               NULL);
        g_test_message("%s %s %s -> %d: %s", c[0], c[1], two ? c[2] : "", rc, err);
        g_assert_cmpint(rc, ==, 1);
        char *named = g_strdup_printf("dermagan-cli: %s: ", option);
        g_assert_nonnull(strstr(err, named));
        g_assert_true(strchr(err, '\n') == err + strlen(err) - 1);
        g_free(named), g_free(err);
    }
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    /* file names: taken as they are, shown as their display name */
    char *img = g_build_filename(data, "akiec", "img-00.png", NULL);
    char *overlay = g_build_filename(tmp, "\xff.png", NULL);
    char *err = NULL;
    int rc = run_cli(&err, "predict", img, "--saliency", overlay, "--threads", "1", NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 0);
    g_assert_true(g_file_test(overlay, G_FILE_TEST_IS_REGULAR));
    g_free(err);
    char *missing = g_build_filename(tmp, "\xffnone", NULL);
    rc = run_cli(&err, "evaluate", "--data", missing, "--threads", "1", NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "\xef\xbf\xbdnone")); /* U+FFFD */
    g_free(err);
    rc = run_cli(&err, "gan", "train", "--data", data, "--out", out, "--init-from", missing,
                 "--preset", "tiny", "--threads", "1", "--cache-dir", "", NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "cannot start from "));
    g_free(err);
    rc = run_cli(&err, "cnn", "train", "--data", data, "--out", missing, "--resume", NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "nothing to resume"));
    g_free(err);
    g_free(missing), g_free(overlay), g_free(img);
    jt_rm_rf(out);
    g_free(out);
}

/* ---- 1. memory corruption from an option --------------------------------------- */

static void test_synthetic_ratio(void)
{
    /* (images of the data set's classes in a folder of their own) */
    char *syn_parent = g_build_filename(tmp, "synthetic", NULL);
    g_assert_cmpint(g_mkdir_with_parents(syn_parent, 0755), ==, 0);
    char *syn = jt_make_imagefolder(syn_parent, 3, 4, 32);
    /* the job refuses what the CLI refuses (the app fills the same config) */
    dg_cnn_train_config *c = cnn_tiny("ratio-bad", 4);
    c->synthetic = g_strdup(syn);
    c->synthetic_ratio = 1.5;
    g_free(must_fail(&dg_job_cnn_train, c, DG_JOB_ERROR_INVALID));
    /* the data set itself, or a folder in it, as synthetic images: its
     * validation and test images would be trained on */
    char *inside = g_build_filename(data, "akiec", NULL);
    const char *overlapping[] = {data, inside};
    for (size_t i = 0; i < G_N_ELEMENTS(overlapping); i++) {
        c = cnn_tiny("synthetic-is-data", 4);
        c->synthetic = g_strdup(overlapping[i]);
        char *msg = must_fail(&dg_job_cnn_train, c, DG_JOB_ERROR_INVALID);
        g_assert_nonnull(strstr(msg, "overlap"));
        g_free(msg);
    }
    g_free(inside);
    /* the whole range works, up to every image of the batch synthetic */
    const double ratios[] = {0.0, 0.5, 1.0};
    for (size_t i = 0; i < G_N_ELEMENTS(ratios); i++) {
        char *name = g_strdup_printf("ratio-%zu", i);
        c = cnn_tiny(name, 6);
        c->synthetic = g_strdup(syn);
        c->synthetic_ratio = ratios[i];
        jt_must_succeed(&dg_job_cnn_train, c);
        g_free(name);
    }
    g_free(syn), g_free(syn_parent);
}

/* ---- 2. hangs: checkpoints --------------------------------------------------------- */

static void zero_rng(const char *name, dg_st_dtype dtype, void *d, int64_t numel, void *user)
{
    (void)dtype;
    if (strcmp(name, (const char *)user) == 0)
        memset(d, 0, 8 * (size_t)numel);
}

typedef struct {
    const char *name;
    int index;
    gint64 value;
} set_i64;

static void set_i64_edit(const char *name, dg_st_dtype dtype, void *d, int64_t numel, void *user)
{
    const set_i64 *s = user;
    if (strcmp(name, s->name) == 0 && dtype == DG_ST_I64 && s->index < numel)
        memcpy((char *)d + 8 * s->index, &s->value, 8);
}

static void nan_moment(const char *name, dg_st_dtype dtype, void *d, int64_t numel, void *user)
{
    (void)user;
    if (dtype == DG_ST_F32 && strstr(name, "adam_v.") && numel > 0)
        ((float *)d)[0] = NAN;
}

static void test_corrupt_checkpoints(void)
{
    alarm(120); /* a hang here is a failure, not a stuck CI */
    /* GAN: a good checkpoint, then each corruption on a copy of it */
    jt_must_succeed(&dg_job_gan_train, gan_tiny("ck-gan", 4));
    char *ck = g_build_filename(tmp, "ck-gan", "checkpoint.safetensors", NULL);
    gchar *good = NULL;
    gsize n = 0;
    g_assert_true(g_file_get_contents(ck, &good, &n, NULL));
    struct {
        jt_st_edit edit;
        void *user;
        const char *says;
    } bad[] = {
        {zero_rng, "rng", "all zeros"},
        {set_i64_edit, &(set_i64){"step", 0, G_MININT64}, "corrupt"},
        {set_i64_edit, &(set_i64){"step", 0, 3}, "corrupt"}, /* history has 4 rows */
        {set_i64_edit, &(set_i64){"adam_steps", 0, -7}, "corrupt"},
        {nan_moment, NULL, "moments"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_true(g_file_set_contents(ck, good, (gssize)n, NULL));
        jt_st_rewrite(ck, bad[i].edit, bad[i].user, NULL, NULL);
        dg_gan_train_config *c = gan_tiny("ck-gan", 8);
        c->resume = TRUE;
        char *msg = must_fail(&dg_job_gan_train, c, -1);
        g_assert_nonnull(strstr(msg, bad[i].says));
        g_free(msg);
    }
    /* a run already past the steps asked for says how to continue it */
    g_assert_true(g_file_set_contents(ck, good, (gssize)n, NULL));
    dg_gan_train_config *c = gan_tiny("ck-gan", 2);
    c->resume = TRUE;
    char *msg = must_fail(&dg_job_gan_train, c, DG_JOB_ERROR_INVALID);
    g_assert_nonnull(strstr(msg, "past the 2 steps"));
    g_free(msg);
    /* cut short (a copy interrupted, a full disk): said to be damaged, and what to do */
    g_assert_true(g_file_set_contents(ck, good, (gssize)(n / 2), NULL));
    c = gan_tiny("ck-gan", 8);
    c->resume = TRUE;
    msg = must_fail(&dg_job_gan_train, c, -1);
    g_assert_nonnull(strstr(msg, "the checkpoint is damaged"));
    g_free(msg);
    g_free(good);
    g_free(ck);

    /* classifier */
    jt_must_succeed(&dg_job_cnn_train, cnn_tiny("ck-cnn", 4));
    ck = g_build_filename(tmp, "ck-cnn", "checkpoint.safetensors", NULL);
    g_assert_true(g_file_get_contents(ck, &good, &n, NULL));
    struct {
        jt_st_edit edit;
        void *user;
    } cbad[] = {
        {zero_rng, "rng"},
        {zero_rng, "net_rng"},
        {set_i64_edit, &(set_i64){"state", 0, G_MININT64}},
        {set_i64_edit, &(set_i64){"state", 2, 1 << 30}},
        {set_i64_edit, &(set_i64){"state", 4, -1}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cbad); i++) {
        g_assert_true(g_file_set_contents(ck, good, (gssize)n, NULL));
        jt_st_rewrite(ck, cbad[i].edit, cbad[i].user, NULL, NULL);
        dg_cnn_train_config *cc = cnn_tiny("ck-cnn", 8);
        cc->resume = TRUE;
        g_free(must_fail(&dg_job_cnn_train, cc, -1));
    }
    g_free(good);
    g_free(ck);
    alarm(0);
}

/* ---- 2. hangs: a FIFO where a file should be ---------------------------------------- */

static void test_fifo(void)
{
    alarm(60);
    char *fifo = g_build_filename(tmp, "lesion.jpg", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    char *err = NULL;
    int rc = run_cli(&err, "predict", fifo, NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "not a regular file"));
    g_free(err);
    /* a model file that is a FIFO */
    rc = run_cli(&err, "predict", "--model", fifo, fifo, NULL);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "not a regular file"));
    g_free(err);
    /* devices: /dev/zero would be read forever */
    rc = run_cli(&err, "predict", "/dev/zero", NULL);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "not a regular file"));
    g_free(err);
    /* outputs: a FIFO (as a device would be) where --saliency or --grid would
     * write is refused, neither written into nor replaced by a file */
    char *img = g_build_filename(data, "akiec", "img-00.png", NULL);
    char *out_fifo = g_build_filename(tmp, "overlay.png", NULL);
    g_assert_cmpint(mkfifo(out_fifo, 0600), ==, 0);
    rc = run_cli(&err, "predict", img, "--saliency", out_fifo, NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "not a regular file"));
    g_free(err);
    char *gen_out = g_build_filename(tmp, "fifo-grid", NULL);
    rc = run_cli(&err, "gan", "generate", "--out", gen_out, "--per-class", "1", "--classes",
                 "akiec", "--threads", "1", "--grid", out_fifo, NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "not a regular file"));
    g_free(err);
    struct stat st;
    g_assert_cmpint(lstat(out_fifo, &st), ==, 0);
    g_assert_true(S_ISFIFO(st.st_mode));
    g_unlink(out_fifo);
    g_unlink(fifo);
    g_free(fifo), g_free(img), g_free(out_fifo), g_free(gen_out);
    alarm(0);
}

/* ---- 3. unbounded sizes from model files; 8. contradictory models --------------------- */

/* A copy of a model file (in tmp, named name) with metadata entry key set
 * to value. */
static char *model_set(const char *src, const char *name, const char *key, const char *value)
{
    char *dst = g_build_filename(tmp, name, NULL);
    gchar *bytes = NULL;
    gsize n = 0;
    g_assert_true(g_file_get_contents(src, &bytes, &n, NULL));
    g_assert_true(g_file_set_contents(dst, bytes, (gssize)n, NULL));
    g_free(bytes);
    jt_st_rewrite(dst, NULL, NULL, key, value);
    return dst;
}

/* A copy of a model file with one metadata entry replaced by the result
 * of replacing `from` with `to` in it. */
static char *model_with(const char *src, const char *name, const char *key, const char *from,
                        const char *to)
{
    GError *error = NULL;
    dg_st *st = dg_st_load(src, &error);
    g_assert_no_error(error);
    const char *v = dg_st_metadata(st, key);
    g_assert_nonnull(v);
    g_assert_nonnull(strstr(v, from));
    char **parts = g_strsplit(v, from, 2);
    char *nv = g_strjoinv(to, parts);
    g_strfreev(parts);
    dg_st_free(st);
    char *dst = model_set(src, name, key, nv);
    g_free(nv);
    return dst;
}

/* gan train --init-from a classifier's file (model or checkpoint): refused
 * as the wrong kind of file, not for its missing 'gan' metadata. */
static void test_init_from_wrong_kind(void)
{
    char *clf_ckpt = g_path_get_dirname(small_classifier());
    char *files[] = {g_strdup(small_classifier()),
                     g_build_filename(clf_ckpt, "checkpoint.safetensors", NULL)};
    const char *says[] = {"it is a classifier model, not a GAN checkpoint or generator model",
                          "it is a classifier checkpoint, not a GAN checkpoint or generator model"};
    for (int i = 0; i < 2; i++) {
        g_assert_true(g_file_test(files[i], G_FILE_TEST_IS_REGULAR));
        dg_gan_train_config *c = gan_tiny(i ? "from-clf-ckpt" : "from-clf", 1);
        c->init_from = g_strdup(files[i]);
        char *msg = must_fail(&dg_job_gan_train, c, DG_JOB_ERROR_INVALID);
        g_assert_nonnull(strstr(msg, "cannot start from "));
        g_assert_nonnull(strstr(msg, says[i]));
        g_free(msg), g_free(files[i]);
    }
    g_free(clf_ckpt);
}

static void test_model_files(void)
{
    GError *error = NULL;
    const char *clf = small_classifier(), *gen = small_generator();
    struct {
        const char *src, *name, *key, *from, *to, *says;
        gboolean gan;
    } cases[] = {
        {gen, "ngf.safetensors", "gan", "\"ngf\":8", "\"ngf\":1024", "out of range", TRUE},
        {gen, "nz.safetensors", "gan", "\"nz\":16", "\"nz\":1e300", "out of range", TRUE},
        {gen, "gbatch.safetensors", "gan", "\"batch\":8", "\"batch\":0", "out of range", TRUE},
        {gen, "gdup.safetensors", "classes", "\"id\":\"bcc\"", "\"id\":\"akiec\"", "twice", TRUE},
        {gen, "gsize.safetensors", "image_size", "32", "128", "contradicts", TRUE},
        {gen, "gctl.safetensors", "classes", "\"id\":\"bcc\"", "\"id\":\"b\\ncc\"", "control character", TRUE},
        {gen, "gaug.safetensors", "gan", "\"diffaug\":\"", "\"diffaug\":\"x\\n\\u001b[31m", "DiffAugment", TRUE},
        /* class ids name folders (gan generate writes OUT/<id>/) */
        {gen, "gdotdot.safetensors", "classes", "\"id\":\"bcc\"", "\"id\":\"..\"", "folder name", TRUE},
        {gen, "gslash.safetensors", "classes", "\"id\":\"bcc\"", "\"id\":\"a/b\"", "folder name", TRUE},
        {gen, "gabs.safetensors", "classes", "\"id\":\"bcc\"", "\"id\":\"/tmp/x\"", "folder name", TRUE},
        {gen, "gbslash.safetensors", "classes", "\"id\":\"bcc\"", "\"id\":\"a\\\\b\"", "folder name", TRUE},
        {gen, "gdot.safetensors", "classes", "\"id\":\"bcc\"", "\"id\":\".\"", "folder name", TRUE},
        /* a later format, not misread */
        {gen, "gv999.safetensors", "format_version", "1", "999", "format version '999'", TRUE},
        {clf, "w512.safetensors", "classifier", "\"width\": 8", "\"width\": 512", "out of range", FALSE},
        {clf, "w0.safetensors", "classifier", "\"width\": 8", "\"width\": 0", "out of range", FALSE},
        {clf, "cdup.safetensors", "classes", "\"id\":\"bcc\"", "\"id\":\"akiec\"", "twice", FALSE},
        {clf, "csize.safetensors", "image_size", "32", "128", "contradicts", FALSE},
        {clf, "cctl.safetensors", "classes", "\"name\":\"", "\"name\":\"\\r", "control character", FALSE},
        {clf, "carch.safetensors", "classifier", "\"arch\": \"dermanet\"", "\"arch\": \"dermanet\\n\"", "architecture", FALSE},
        {clf, "cpre.safetensors", "preprocessing", "\"resize\": 32", "\"resize\": 64", "contradicts", FALSE},
        {clf, "chidden.safetensors", "classes", "\"id\":\"bcc\"", "\"id\":\".bcc\"", "folder name", FALSE},
        {clf, "cv2.safetensors", "format_version", "1", "2", "format version '2'", FALSE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *p = model_with(cases[i].src, cases[i].name, cases[i].key, cases[i].from, cases[i].to);
        if (cases[i].gan) {
            dg_gan *g = dg_gan_load_model(p, 8, NULL, NULL, &error);
            g_assert_null(g);
        } else {
            dg_cnn *m = dg_cnn_load(p, 8, &error);
            g_assert_null(m);
        }
        g_assert_nonnull(error);
        g_test_message("%s: %s", cases[i].name, error->message);
        g_assert_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID);
        g_assert_nonnull(strstr(error->message, cases[i].says));
        g_assert_null(strchr(error->message, '\n')); /* what the file said, escaped */
        g_clear_error(&error);
        g_free(p);
    }
    /* within every range but too big for memory: refused before allocating */
    dg_cnn_config cc;
    g_assert_true(dg_cnn_config_arch(&cc, "dermanet", 4, NULL));
    cc.size = 128;
    cc.width = 256;
    g_assert_false(dg_cnn_config_check_memory(&cc, 1024, &error));
    g_assert_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_TOO_LARGE);
    g_assert_nonnull(strstr(error->message, "GiB limit"));
    g_clear_error(&error);
    g_assert_true(dg_cnn_config_check_memory(&cc, 1, &error));
    dg_gan_config gc;
    g_assert_true(dg_gan_config_preset(&gc, "large", 4, NULL));
    gc.size = 128;
    gc.ngf = gc.ndf = 256;
    g_assert_false(dg_gan_config_check_memory(&gc, 1024, TRUE, TRUE, &error));
    g_assert_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_TOO_LARGE);
    g_clear_error(&error);
}

/* ---- 6. path traversal: class ids from a model file name folders ---------------------- */

static void test_class_id_paths(void)
{
    /* gan generate with a class id of "..": refused before anything is
     * written, beside --out or inside it */
    char *p = model_with(small_generator(), "gen-dotdot.safetensors", "classes",
                         "\"id\":\"bcc\"", "\"id\":\"..\"");
    char *parent = g_build_filename(tmp, "traversal", NULL), *out = g_build_filename(parent, "out", NULL);
    g_assert_cmpint(g_mkdir(parent, 0755), ==, 0);
    char *err = NULL;
    int rc = run_cli(&err, "gan", "generate", "--model", p, "--out", out, "--per-class", "1",
                     "--threads", "1", NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "class 1's id '..' cannot be a folder name"));
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    GDir *d = g_dir_open(parent, 0, NULL);
    g_assert_null(g_dir_read_name(d)); /* nothing written beside --out */
    g_dir_close(d);
    g_free(err), g_free(p), g_free(out), g_free(parent);

    /* every id an ImageFolder data set can have is still a valid model class id:
     * folder names with spaces, dashes, dots inside, brackets and any UTF-8 */
    const char *names[] = {"basal cell", "caf\xc3\xa9-au-lait", "naevus (blue)", "a.b", "x_y",
                           "\xe6\x97\xa5\xe6\x9c\xac", "-dash", "end."};
    char *root = g_build_filename(tmp, "awkward-names", NULL);
    char *src = g_build_filename(data, "akiec", "img-00.png", NULL);
    gchar *png = NULL;
    gsize n = 0;
    g_assert_true(g_file_get_contents(src, &png, &n, NULL));
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        char *dir = g_build_filename(root, names[i], NULL);
        char *img = g_build_filename(dir, "img.png", NULL);
        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_true(g_file_set_contents(img, png, (gssize)n, NULL));
        g_free(dir), g_free(img);
    }
    dg_load_options opt;
    dg_load_options_init(&opt);
    opt.size = 32;
    opt.threads = 1;
    opt.cache_dir = "";
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(root, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_classes, ==, (int)G_N_ELEMENTS(names));
    const char **ids = g_new0(const char *, ds->n_classes + 1);
    for (int k = 0; k < ds->n_classes; k++)
        ids[k] = ds->classes[k].id;
    char *json = dg_model_classes_json(ids, NULL, ds->n_classes);
    char **got_ids = NULL, **got_names = NULL;
    g_assert_true(dg_model_parse_classes(json, ds->n_classes, &got_ids, &got_names, &error));
    g_assert_no_error(error);
    for (int k = 0; k < ds->n_classes; k++)
        g_assert_cmpstr(got_ids[k], ==, ids[k]);
    g_strfreev(got_ids), g_strfreev(got_names);
    g_free(json), g_free(ids), g_free(png), g_free(src), g_free(root);
    dg_dataset_free(ds);
}

/* ---- 1. stack overflow: JSON metadata nested 100000 levels deep ----------------------- */

/* The header of a model file is checked with a depth bound; several of its
 * metadata values are JSON texts parsed again, which json-glib alone would
 * follow until the stack overflows. */
static void test_deep_json(void)
{
    GError *error = NULL;
    char *deep = g_strnfill(100000, '[');
    const char *clf = small_classifier(), *gen = small_generator();
    struct {
        const char *src, *name, *key;
        gboolean gan;
    } cases[] = {
        {clf, "deep-cclasses.safetensors", "classes", FALSE},
        {clf, "deep-carch.safetensors", "classifier", FALSE},
        {clf, "deep-cpre.safetensors", "preprocessing", FALSE},
        {clf, "deep-cbias.safetensors", "logit_bias", FALSE},
        {clf, "deep-cprior.safetensors", "patient_prior", FALSE},
        {gen, "deep-gclasses.safetensors", "classes", TRUE},
        {gen, "deep-gan.safetensors", "gan", TRUE},
        {gen, "deep-gpre.safetensors", "preprocessing", TRUE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *p = model_set(cases[i].src, cases[i].name, cases[i].key, deep);
        if (cases[i].gan)
            g_assert_null(dg_gan_load_model(p, 8, NULL, NULL, &error));
        else
            g_assert_null(dg_cnn_load(p, 8, &error));
        g_assert_nonnull(error);
        g_test_message("%s: %s", cases[i].name, error->message);
        g_assert_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID);
        g_assert_nonnull(strstr(error->message, "nested too deeply"));
        g_assert_null(strchr(error->message, '\n'));
        g_clear_error(&error);
        /* what the app shows of a model file before loading it */
        dg_model_info *info = dg_model_info_read(p, &error);
        if (strcmp(cases[i].key, "classes") == 0) {
            g_assert_null(info);
            g_assert_nonnull(strstr(error->message, "nested too deeply"));
        }
        g_clear_error(&error);
        dg_model_info_free(info);
        g_free(p);
    }
    /* as a user meets it */
    char *p = model_set(clf, "deep-cli.safetensors", "classes", deep);
    char *img = g_build_filename(data, "akiec", "img-00.png", NULL);
    char *err = NULL;
    int rc = run_cli(&err, "predict", "--model", p, img, "--threads", "1", NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "nested too deeply"));
    g_free(err), g_free(img), g_free(p);

    /* a checkpoint's "run" record, read on --resume and by the run list */
    jt_must_succeed(&dg_job_gan_train, gan_tiny("deep-run", 2));
    char *ck = g_build_filename(tmp, "deep-run", "checkpoint.safetensors", NULL);
    jt_st_rewrite(ck, NULL, NULL, "run", deep);
    dg_gan_train_config *c = gan_tiny("deep-run", 4);
    c->resume = TRUE;
    char *msg = must_fail(&dg_job_gan_train, c, DG_JOB_ERROR_INVALID);
    g_assert_nonnull(strstr(msg, "'run' record"));
    g_assert_nonnull(strstr(msg, "nested too deeply"));
    g_free(msg);
    char *run = g_build_filename(tmp, "deep-run", NULL);
    dg_run_info_free(dg_run_info_read(run, NULL));
    g_free(run);
    g_free(ck);
    g_free(deep);
}

/* ---- 5. silent wrong results: non-finite weights ------------------------------------- */

static void nan_all(const char *name, dg_st_dtype dtype, void *d, int64_t numel, void *user)
{
    (void)name, (void)user;
    if (dtype == DG_ST_F32)
        for (int64_t i = 0; i < numel; i++)
            ((float *)d)[i] = NAN;
}

/* The first weight of every convolution 3e38: finite in the file, so the
 * model loads, but its outputs overflow to NaN. */
static void huge_weight(const char *name, dg_st_dtype dtype, void *d, int64_t numel, void *user)
{
    (void)user;
    if (dtype == DG_ST_F32 && g_str_has_suffix(name, ".conv.weight") && numel > 0)
        ((float *)d)[0] = 3e38f;
}

static void test_non_finite_models(void)
{
    GError *error = NULL;
    /* a NaN classifier: predict and evaluate fail, with the reason */
    char *nan_clf = g_build_filename(tmp, "nan-clf.safetensors", NULL);
    gchar *bytes = NULL;
    gsize n = 0;
    g_assert_true(g_file_get_contents(small_classifier(), &bytes, &n, NULL));
    g_assert_true(g_file_set_contents(nan_clf, bytes, (gssize)n, NULL));
    g_free(bytes);
    jt_st_rewrite(nan_clf, nan_all, NULL, NULL, NULL);
    char *img = g_build_filename(data, "akiec", "img-00.png", NULL);
    char *err = NULL;
    int rc = run_cli(&err, "predict", "--model", nan_clf, img, NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "NaN") ? strstr(err, "NaN") : strstr(err, "finite"));
    g_free(err);
    rc = run_cli(&err, "evaluate", "--model", nan_clf, "--data", data, "--cache-dir", "", NULL);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "finite"));
    g_free(err);

    /* finite weights that overflow (a huge weight): the outputs are NaN, and
     * predict and evaluate say so instead of printing nothing or metrics of
     * NaN (accuracy 0.27 without a word) */
    char *big_clf = g_build_filename(tmp, "big-clf.safetensors", NULL);
    g_assert_true(g_file_get_contents(small_classifier(), &bytes, &n, NULL));
    g_assert_true(g_file_set_contents(big_clf, bytes, (gssize)n, NULL));
    g_free(bytes);
    jt_st_rewrite(big_clf, huge_weight, NULL, NULL, NULL);
    rc = run_cli(&err, "predict", "--model", big_clf, img, NULL);
    g_test_message("%s", err);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "output is not finite"));
    g_free(err);
    rc = run_cli(&err, "predict", "--json", "--model", big_clf, img, NULL);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "output is not finite"));
    g_free(err);
    rc = run_cli(&err, "evaluate", "--model", big_clf, "--data", data, "--split", "all",
                 "--cache-dir", "", NULL);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "output is not finite"));
    g_free(err);
    /* the job itself, as the app runs it */
    dg_predict_config *pc = dg_predict_config_new();
    pc->model = g_strdup(big_clf);
    pc->images = g_new0(char *, 2);
    pc->images[0] = g_strdup(img);
    pc->threads = 1;
    jt_sink s;
    jt_sink_init(&s);
    g_assert_cmpint(jt_run(&dg_job_predict, pc, &s, &error), ==, DG_JOB_FAILED);
    g_assert_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_NOT_FINITE);
    g_clear_error(&error);
    jt_sink_clear(&s);
    g_free(big_clf);

    /* a NaN generator writes nothing */
    char *nan_gen = g_build_filename(tmp, "nan-gen.safetensors", NULL);
    g_assert_true(g_file_get_contents(small_generator(), &bytes, &n, NULL));
    g_assert_true(g_file_set_contents(nan_gen, bytes, (gssize)n, NULL));
    g_free(bytes);
    jt_st_rewrite(nan_gen, nan_all, NULL, NULL, NULL);
    char *out = g_build_filename(tmp, "nan-out", NULL);
    rc = run_cli(&err, "gan", "generate", "--model", nan_gen, "--out", out, "--per-class", "2",
                 NULL);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(err, "finite"));
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    g_free(err);
    /* a generator (or its discriminator, filtering) whose finite weights
     * overflow: no image of NaN pixels is written as some colour, and the
     * filter does not sort NaN scores */
    const char *nets[][2] = {{".convt.weight", "generator"}, {".conv.weight", "discriminator"}};
    for (size_t i = 0; i < G_N_ELEMENTS(nets); i++) {
        g_assert_true(g_file_get_contents(small_generator(), &bytes, &n, NULL));
        g_assert_true(g_file_set_contents(nan_gen, bytes, (gssize)n, NULL));
        g_free(bytes);
        jt_st_rewrite(nan_gen, jt_edit_huge_first, (void *)nets[i][0], NULL, NULL);
        rc = run_cli(&err, "gan", "generate", "--model", nan_gen, "--out", out, "--per-class",
                     "2", "--threads", "1", "--filter", i ? "discriminator" : "none", NULL);
        g_test_message("%s", err);
        g_assert_cmpint(rc, ==, 1);
        g_assert_nonnull(strstr(err, nets[i][1]));
        g_assert_nonnull(strstr(err, "not finite"));
        g_free(err);
        char *png = g_build_filename(out, "akiec", "syn-akiec-1-00000.png", NULL);
        g_assert_false(g_file_test(png, G_FILE_TEST_EXISTS));
        g_free(png);
    }

    /* and nothing non-finite is ever written */
    dg_cnn *m = dg_cnn_load(small_classifier(), 1, &error);
    g_assert_no_error(error);
    dg_net_tensor_data(m->net, 0)[0] = INFINITY;
    char *p = g_build_filename(tmp, "inf.safetensors", NULL);
    g_assert_false(dg_cnn_save(m, p, NULL, &error));
    g_assert_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_NOT_FINITE);
    g_clear_error(&error);
    g_assert_false(g_file_test(p, G_FILE_TEST_EXISTS));
    dg_cnn_free(m);
    g_free(p), g_free(out), g_free(nan_gen), g_free(img), g_free(nan_clf);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-hardening-XXXXXX", NULL);
    data = jt_make_imagefolder(tmp, 3, 10, 32);
    g_test_add_func("/hardening/option-ranges", test_option_ranges);
    g_test_add_func("/hardening/non-utf8-options", test_non_utf8_options);
    g_test_add_func("/hardening/synthetic-ratio", test_synthetic_ratio);
    g_test_add_func("/hardening/corrupt-checkpoints", test_corrupt_checkpoints);
    g_test_add_func("/hardening/fifo-and-devices", test_fifo);
    g_test_add_func("/hardening/model-files", test_model_files);
    g_test_add_func("/hardening/init-from-wrong-kind", test_init_from_wrong_kind);
    g_test_add_func("/hardening/deep-json", test_deep_json);
    g_test_add_func("/hardening/class-id-paths", test_class_id_paths);
    g_test_add_func("/hardening/non-finite-models", test_non_finite_models);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp);
    g_free(data);
    return rc;
}

/* test-generate-job: gan generate from a tiny trained generator: N per class,
 * balancing (with a target, a balanced split, fewer classes), --classes, the
 * sample grid, and the output folder (an earlier run's images replaced,
 * anything else in it refused). */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "jobs-test-util.h"
#include "jobs/dg-job-gan.h"

static char *tmp, *data;

/* A generator of the tiny preset, trained 12 steps on the three-class data set. */
static void train_generator(void)
{
    dg_gan_train_config *c = dg_gan_train_config_new();
    c->data = g_strdup(data);
    c->out = g_build_filename(tmp, "full", NULL);
    g_free(c->preset);
    c->preset = g_strdup("tiny");
    c->steps = 12;
    c->threads = 2;
    c->seed = 11;
    c->cache_dir = g_strdup("");
    jt_must_succeed(&dg_job_gan_train, c);
}

static int count_png(const char *dir)
{
    int n = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return 0;
    const char *name;
    while ((name = g_dir_read_name(d)))
        n += g_str_has_suffix(name, ".png");
    g_dir_close(d);
    return n;
}

/* Generated into tmp/out: folders for the first n of akiec, bcc, bkl only,
 * each of `images` PNGs (-1: any number), and the result's classes the same. */
static void only_classes(const jt_sink *s, const char *out, int n, int images)
{
    static const char *cls[] = {"akiec", "bcc", "bkl"};
    for (int k = 0; k < 3; k++) {
        char *d = g_build_filename(tmp, out, cls[k], NULL);
        g_assert_cmpint(g_file_test(d, G_FILE_TEST_IS_DIR), ==, k < n);
        if (k < n && images >= 0)
            g_assert_cmpint(count_png(d), ==, images);
        g_free(d);
        char *quoted = g_strdup_printf("\"%s\"", cls[k]);
        g_assert_cmpint(strstr(s->result_json, quoted) != NULL, ==, k < n);
        g_free(quoted);
    }
}

/* Balancing data_set's training split with the trained generator, into
 * tmp/out (target 0: up to the largest class). */
static dg_gan_generate_config *balance_config(const char *out, const char *data_set, int target)
{
    dg_gan_generate_config *g = dg_gan_generate_config_new();
    g->model = g_build_filename(tmp, "full", "generator.safetensors", NULL);
    g->out = g_build_filename(tmp, out, NULL);
    g->balance = TRUE;
    g->target = target;
    g->data = g_strdup(data_set);
    g->cache_dir = g_strdup("");
    return g;
}

/* n images of each class from the trained generator, into tmp/out. */
static dg_gan_generate_config *per_class_config(const char *out, int n, uint64_t seed)
{
    dg_gan_generate_config *g = dg_gan_generate_config_new();
    g->model = g_build_filename(tmp, "full", "generator.safetensors", NULL);
    g->out = g_build_filename(tmp, out, NULL);
    g->per_class = n;
    g->seed = seed;
    g->threads = 2;
    return g;
}

static void test_generate(void)
{
    char *model = g_build_filename(tmp, "full", "generator.safetensors", NULL);
    g_assert_true(g_file_test(model, G_FILE_TEST_IS_REGULAR));
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;

    dg_gan_generate_config *g = per_class_config("gen", 5, 1);
    char *grid = g_build_filename(tmp, "grid.png", NULL);
    g->grid = g_strdup(grid);
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    /* the picture of the samples: one row per class, labelled, wider than tall */
    GdkPixbuf *pb = gdk_pixbuf_new_from_file(grid, &error);
    g_assert_no_error(error);
    g_assert_cmpint(gdk_pixbuf_get_width(pb), >, gdk_pixbuf_get_height(pb));
    g_object_unref(pb);
    g_free(grid);
    const char *cls[] = {"akiec", "bcc", "bkl"};
    for (int k = 0; k < 3; k++) {
        char *d = g_build_filename(tmp, "gen", cls[k], NULL);
        g_assert_cmpint(count_png(d), ==, 5);
        g_free(d);
    }
    char *manifest = g_build_filename(tmp, "gen", "manifest.json", NULL);
    g_assert_true(g_file_test(manifest, G_FILE_TEST_IS_REGULAR));
    {
        JsonNode *root = json_from_string(s.result_json, NULL);
        g_assert_nonnull(root);
        JsonObject *classes = json_object_get_object_member(json_node_get_object(root), "classes");
        for (int k = 0; k < 3; k++)
            g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(classes, cls[k]),
                                                       "count"), ==, 5);
        json_node_unref(root);
    }

    /* balance: our data set has 10 per class, ~70% in training -> equal
     * counts already, so --target 9 tops every class up to 9 */
    g = balance_config("gen-bal", data, 9);
    g->filter = g_strdup("discriminator");
    g->keep = 0.5;
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(s.result_json, "\"discriminator\""));
    int total = 0;
    for (int k = 0; k < 3; k++) {
        char *d = g_build_filename(tmp, "gen-bal", cls[k], NULL);
        int n = count_png(d);
        g_assert_cmpint(n, >, 0);
        g_assert_cmpint(n, <=, 9);
        total += n;
        g_free(d);
    }
    g_test_message("balance generated %d images", total);
    /* without --target the training split is balanced already: nothing to
     * make, and a warning that says so (not a silent empty folder) */
    g = balance_config("gen-bal0", data, 0);
    const int warned = s.warnings;
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_cmpint(s.warnings, ==, warned + 1);
    for (int k = 0; k < 3; k++) {
        char *d = g_build_filename(tmp, "gen-bal0", cls[k], NULL);
        g_assert_cmpint(count_png(d), ==, 0);
        g_free(d);
    }

    /* balancing a data set of fewer classes than the generator's: its classes
     * only, no folder for the others */
    char *p2 = g_build_filename(tmp, "two", NULL), *data2 = jt_make_imagefolder(p2, 2, 10, 40);
    g = balance_config("gen-bal2", data2, 9);
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    only_classes(&s, "gen-bal2", 2, -1);
    /* N per class with a data set: its classes only */
    g = per_class_config("gen-n2", 2, 1);
    g->data = g_strdup(data2);
    g->cache_dir = g_strdup("");
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    only_classes(&s, "gen-n2", 2, 2);
    g_free(p2), g_free(data2);
    /* balancing a data set with a class the generator lacks: a warning names it */
    char *p4 = g_build_filename(tmp, "four", NULL), *data4 = jt_make_imagefolder(p4, 4, 10, 40);
    g = balance_config("gen-bal4", data4, 9);
    const int warned4 = s.warnings;
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_cmpint(s.warnings, ==, warned4 + 1);
    g_assert_true(jt_said(&s, "warning", "the generator has no class 'mel'"));
    g_free(p4), g_free(data4);

    /* --classes: only the classes named, the grid one row each; an unknown name is refused */
    g = per_class_config("gen-some", 3, 1);
    g->classes = g_strsplit("bkl,akiec", ",", -1);
    grid = g_build_filename(tmp, "grid-some.png", NULL);
    g->grid = g_strdup(grid);
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    for (int k = 0; k < 3; k++) {
        char *d = g_build_filename(tmp, "gen-some", cls[k], NULL);
        g_assert_cmpint(g_file_test(d, G_FILE_TEST_IS_DIR), ==, k != 1);
        if (k != 1)
            g_assert_cmpint(count_png(d), ==, 3);
        g_free(d);
    }
    g_assert_null(strstr(s.result_json, "\"bcc\""));
    pb = gdk_pixbuf_new_from_file(grid, &error);
    g_assert_no_error(error);
    char *grid_all = g_build_filename(tmp, "grid.png", NULL); /* every class's */
    GdkPixbuf *all = gdk_pixbuf_new_from_file(grid_all, &error);
    g_assert_no_error(error);
    g_assert_cmpint(gdk_pixbuf_get_height(pb), <, gdk_pixbuf_get_height(all));
    g_object_unref(pb), g_object_unref(all);
    g_free(grid), g_free(grid_all);
    g = per_class_config("gen-unknown", 1, 1);
    g->classes = g_strsplit("bkl,nv", ",", -1);
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "no class 'nv'"));
    g_clear_error(&error);

    /* a model file that is not one is refused with a message */
    g = per_class_config("gen-bad", 1, 1);
    g_free(g->model);
    g->model = g_strdup(manifest);
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(error);
    g_clear_error(&error);
    g_free(manifest);
    g_free(model);
    jt_sink_clear(&s);
}


/* The output folder holds one run: generating again replaces the earlier
 * run's images (a smaller run left them beside its own, and the manifest
 * described only the new ones); a folder with anything gan generate did not
 * write (a data set's images) is refused and left as it was; a bad grid name
 * is refused before any image is made. */
static void test_generate_out_folder(void)
{
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    dg_gan_generate_config *g = per_class_config("again", 4, 1);
    char *grid = g_build_filename(tmp, "again", "grid.png", NULL); /* the grid inside it */
    g->grid = g_strdup(grid);
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g = per_class_config("again", 2, 5);
    g->grid = g_strdup(grid);
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_true(jt_said(&s, "info", "removed the 12 images of an earlier run"));
    const char *cls[] = {"akiec", "bcc", "bkl"};
    for (int k = 0; k < 3; k++) {
        char *d = g_build_filename(tmp, "again", cls[k], NULL);
        g_assert_cmpint(count_png(d), ==, 2);
        g_free(d);
    }
    g_assert_true(g_file_test(grid, G_FILE_TEST_IS_REGULAR));
    /* a killed run's temporary is no stranger's file; the earlier grid (the
     * manifest names it) goes with the earlier images when none is asked for */
    char *left = g_build_filename(tmp, "again", "akiec", "syn-akiec-5-00000.png.dgtmp-Ab12Cd", NULL);
    g_assert_true(g_file_set_contents(left, "half", -1, NULL));
    g = per_class_config("again", 1, 7);
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_SUCCEEDED);
    g_assert_no_error(error);
    g_assert_false(g_file_test(grid, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(left, G_FILE_TEST_EXISTS));
    for (int k = 0; k < 3; k++) {
        char *d = g_build_filename(tmp, "again", cls[k], NULL);
        g_assert_cmpint(count_png(d), ==, 1);
        g_free(d);
    }
    g_free(left);
    g_free(grid);
    /* a manifest does not make a user's file ours: not a picture, or not a
     * manifest of ours, and the folder is refused with the file kept */
    const char *manifests[] = {"{\"model\": \"m\", \"classes\": {}, \"grid\": \"thesis.txt\"}",
                               "{\"grid\": \"thesis.pdf\"}",
                               "{\"model\": \"m\", \"classes\": {}, \"grid\": {}}"};
    const char *names[] = {"thesis.txt", "thesis.pdf", "thesis.pdf"};
    for (size_t i = 0; i < G_N_ELEMENTS(manifests); i++) {
        char *m = g_build_filename(tmp, "again", "manifest.json", NULL),
             *t = g_build_filename(tmp, "again", names[i], NULL);
        g_assert_true(g_file_set_contents(m, manifests[i], -1, NULL));
        g_assert_true(g_file_set_contents(t, "mine", -1, NULL));
        g = per_class_config("again", 1, 7);
        g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_FAILED);
        g_assert_nonnull(strstr(error->message, "did not write"));
        g_clear_error(&error);
        g_assert_true(g_file_test(t, G_FILE_TEST_IS_REGULAR));
        g_assert_cmpint(g_unlink(t), ==, 0);
        g_free(m), g_free(t);
    }

    /* into a data set's folder: refused, its images untouched */
    char *ds = g_build_filename(tmp, "a-data-set", NULL);
    char *cdir = g_build_filename(ds, "akiec", NULL);
    g_assert_cmpint(g_mkdir_with_parents(cdir, 0755), ==, 0);
    char *real = g_build_filename(cdir, "syn-akiec-1-00000.png", NULL), /* a name of ours */
         *other = g_build_filename(cdir, "real0.jpg", NULL);
    g_assert_true(g_file_set_contents(real, "a real image", -1, NULL));
    g_assert_true(g_file_set_contents(other, "another", -1, NULL));
    g = per_class_config("a-data-set", 2, 1);
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "did not write"));
    g_assert_nonnull(strstr(error->message, "real0.jpg"));
    g_clear_error(&error);
    char *text = NULL;
    g_assert_true(g_file_get_contents(real, &text, NULL, NULL));
    g_assert_cmpstr(text, ==, "a real image");
    g_free(text);
    g_assert_cmpint(count_png(cdir), ==, 1);
    char *bcc = g_build_filename(ds, "bcc", NULL), *lock = g_build_filename(ds, ".dermagan.lock", NULL);
    g_assert_false(g_file_test(bcc, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(lock, G_FILE_TEST_EXISTS)); /* not even a lock file left */
    g_free(bcc), g_free(lock), g_free(real), g_free(other), g_free(cdir), g_free(ds);

    /* a grid name it cannot write: refused first, no image made */
    g = per_class_config("bad-grid", 2, 1);
    g->grid = g_build_filename(tmp, "grid.jpeg", NULL);
    g_assert_cmpint(jt_run(&dg_job_gan_generate, g, &s, &error), ==, DG_JOB_FAILED);
    g_assert_nonnull(strstr(error->message, "use a .png, .svg or .pdf name"));
    g_clear_error(&error);
    char *akiec = g_build_filename(tmp, "bad-grid", "akiec", NULL);
    g_assert_cmpint(count_png(akiec), ==, 0);
    g_free(akiec);
    jt_sink_clear(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-genjob-XXXXXX", NULL);
    data = jt_make_imagefolder(tmp, 3, 10, 40);
    train_generator();
    g_test_add_func("/generate-job/generate", test_generate);
    g_test_add_func("/generate-job/out-folder", test_generate_out_folder);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp);
    g_free(data);
    return rc;
}

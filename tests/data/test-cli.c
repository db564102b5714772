/* test-cli: `dermagan-cli dataset info|split` run as a program. */
#include <json-glib/json-glib.h>
#include <sys/wait.h>

#include "data-test-util.h"

typedef struct {
    int status;
    char *out, *err;
} run_result;

static void run_clear(run_result *r)
{
    g_free(r->out);
    g_free(r->err);
}

/* Runs dermagan-cli with the given arguments (NULL-terminated). */
static run_result run(const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)DG_CLI_PATH);
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (char *)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    run_result r = {0};
    int wait_status = 0;
    GError *error = NULL;
    g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                 &wait_status, &error);
    g_assert_no_error(error);
    g_assert_true(WIFEXITED(wait_status));
    r.status = WEXITSTATUS(wait_status);
    g_ptr_array_unref(argv);
    return r;
}

typedef struct {
    char *data, *cache, *cache_arg;
} fixture;

/* Two classes of 12 images (own lesions), one bad file. */
static void setup(fixture *f, gconstpointer unused)
{
    (void)unused;
    f->data = tu_tmpdir();
    f->cache = tu_tmpdir();
    f->cache_arg = g_strconcat("--cache-dir=", f->cache, NULL);
    const char *classes[] = {"bkl", "mel"};
    for (int c = 0; c < 2; c++) {
        char *d = g_build_filename(f->data, classes[c], NULL);
        tu_mkdir(d);
        for (int k = 0; k < 12; k++) {
            char name[32];
            g_snprintf(name, sizeof name, "img,%02d.jpg", k); /* a comma: CSV quoting */
            char *path = g_build_filename(d, name, NULL);
            tu_write_image(path, "jpeg", 20, 15, (guint8)(k * 20), (guint8)(c * 100), 50);
            g_free(path);
        }
        g_free(d);
    }
    char *bad = g_build_filename(f->data, "mel", "broken.jpg", NULL);
    tu_write(bad, "", 0);
    g_free(bad);
}

static void teardown(fixture *f, gconstpointer unused)
{
    (void)unused;
    tu_rm_rf(f->data);
    tu_rm_rf(f->cache);
    g_free(f->data);
    g_free(f->cache);
    g_free(f->cache_arg);
}

static JsonObject *parse_object(const char *text, JsonParser **parser)
{
    *parser = json_parser_new();
    GError *error = NULL;
    json_parser_load_from_data(*parser, text, -1, &error);
    g_assert_no_error(error);
    JsonNode *root = json_parser_get_root(*parser);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
    return json_node_get_object(root);
}

static void assert_one_line_error(const run_result *r)
{
    g_assert_cmpint(r->status, !=, 0);
    g_assert_true(g_str_has_prefix(r->err, "dermagan-cli: "));
    const char *nl = strchr(r->err, '\n');
    g_assert_nonnull(nl);
    g_assert_cmpstr(nl + 1, ==, ""); /* one line */
    g_assert_cmpstr(r->out, ==, "");
}

static void test_info_json(fixture *f, gconstpointer unused)
{
    (void)unused;
    run_result r = run("dataset", "info", f->data, "--json", f->cache_arg, NULL);
    g_assert_cmpint(r.status, ==, 0);
    /* Not a terminal: no progress bar drawn. */
    g_assert_null(strchr(r.err, '\r'));
    g_assert_null(strstr(r.err, "\033["));
    JsonParser *parser;
    JsonObject *o = parse_object(r.out, &parser);
    g_assert_cmpstr(json_object_get_string_member(o, "layout"), ==, "imagefolder");
    JsonArray *classes = json_object_get_array_member(o, "classes");
    g_assert_cmpuint(json_array_get_length(classes), ==, 2);
    const char *ids[] = {"bkl", "mel"}, *names[] = {"Benign keratosis", "Melanoma"};
    for (guint i = 0; i < 2; i++) {
        JsonObject *c = json_array_get_object_element(classes, i);
        g_assert_cmpstr(json_object_get_string_member(c, "id"), ==, ids[i]);
        g_assert_cmpstr(json_object_get_string_member(c, "name"), ==, names[i]);
        g_assert_cmpint(json_object_get_int_member(c, "images"), ==, 12);
        g_assert_cmpint(json_object_get_int_member(c, "lesions"), ==, 12);
    }
    JsonArray *skipped = json_object_get_array_member(o, "skipped");
    g_assert_cmpuint(json_array_get_length(skipped), ==, 1);
    JsonObject *s = json_array_get_object_element(skipped, 0);
    g_assert_true(g_str_has_suffix(json_object_get_string_member(s, "path"), "/mel/broken.jpg"));
    g_assert_cmpstr(json_object_get_string_member(s, "reason"), ==, "zero-byte file");
    g_assert_cmpint(json_object_get_int_member(s, "rows"), ==, 0);
    g_assert_cmpint(json_object_get_int_member(o, "skipped_files"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(o, "skipped_rows"), ==, 0);
    g_assert_true(json_object_get_null_member(o, "left_out"));
    g_object_unref(parser);
    run_clear(&r);

    /* Human output. */
    r = run("dataset", "info", f->data, f->cache_arg, NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "Melanoma"));
    g_assert_nonnull(strstr(r.out, "broken.jpg: zero-byte file"));
    g_assert_nonnull(strstr(r.out, "Skipped 1 file:\n"));
    run_clear(&r);
}

static void test_split_json(fixture *f, gconstpointer unused)
{
    (void)unused;
    run_result r = run("dataset", "split", f->data, "--seed", "3", "--json", f->cache_arg, NULL);
    g_assert_cmpint(r.status, ==, 0);
    JsonParser *parser;
    JsonObject *o = parse_object(r.out, &parser);
    g_assert_cmpint(json_object_get_int_member(o, "seed"), ==, 3);
    g_assert_cmpstr(json_object_get_string_member(o, "layout"), ==, "imagefolder");
    JsonObject *splits = json_object_get_object_member(o, "splits");
    const char *names[] = {"train", "val", "test"};
    gint64 total = 0;
    for (int s = 0; s < 3; s++) {
        JsonObject *sp = json_object_get_object_member(splits, names[s]);
        g_assert_nonnull(sp);
        gint64 images = json_object_get_int_member(sp, "images");
        g_assert_cmpint(images, >, 0);
        JsonArray *classes = json_object_get_array_member(sp, "classes");
        g_assert_cmpuint(json_array_get_length(classes), ==, 2);
        gint64 per_class = 0;
        for (guint c = 0; c < 2; c++) {
            JsonObject *co = json_array_get_object_element(classes, c);
            g_assert_true(json_object_has_member(co, "id"));
            g_assert_cmpint(json_object_get_int_member(co, "images"), >, 0);
            g_assert_cmpint(json_object_get_int_member(co, "lesions"), ==,
                            json_object_get_int_member(co, "images"));
            per_class += json_object_get_int_member(co, "images");
        }
        g_assert_cmpint(per_class, ==, images);
        total += images;
    }
    g_assert_cmpint(total, ==, 24);
    g_object_unref(parser);
    run_clear(&r);

    r = run("dataset", "split", f->data, f->cache_arg, NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "train"));
    g_assert_nonnull(strstr(r.out, "seed 1"));
    run_clear(&r);
}

static void test_split_list(fixture *f, gconstpointer unused)
{
    (void)unused;
    run_result a = run("dataset", "split", f->data, "--list", f->cache_arg, NULL);
    g_assert_cmpint(a.status, ==, 0);
    char **lines = g_strsplit(a.out, "\n", -1);
    g_assert_cmpstr(lines[0], ==, "image,class,lesion,split");
    int n = 0, counts[3] = {0, 0, 0};
    for (int i = 1; lines[i] && lines[i][0]; i++, n++) {
        /* The file names hold a comma: the path and lesion are quoted. */
        g_assert_true(lines[i][0] == '"');
        const char *split = strrchr(lines[i], ',') + 1;
        if (strcmp(split, "train") == 0)
            counts[0]++;
        else if (strcmp(split, "val") == 0)
            counts[1]++;
        else if (strcmp(split, "test") == 0)
            counts[2]++;
        else
            g_error("bad split in '%s'", lines[i]);
        g_assert_true(strstr(lines[i], "\",bkl,\"") || strstr(lines[i], "\",mel,\""));
    }
    g_assert_cmpint(n, ==, 24);
    for (int s = 0; s < 3; s++)
        g_assert_cmpint(counts[s], >, 0);
    g_strfreev(lines);
    /* Same seed (the default is 1), same list; another seed, another. */
    run_result b = run("dataset", "split", f->data, "--list", "--seed=1", f->cache_arg, NULL);
    g_assert_cmpstr(a.out, ==, b.out);
    run_result c = run("dataset", "split", f->data, "--list", "--seed=2", f->cache_arg, NULL);
    g_assert_cmpint(c.status, ==, 0);
    g_assert_cmpstr(a.out, !=, c.out);
    run_clear(&a);
    run_clear(&b);
    run_clear(&c);
}

static void test_ham(fixture *f, gconstpointer unused)
{
    (void)unused;
    char *dir = tu_tmpdir();
    char *csv = g_build_filename(dir, "HAM10000_metadata.csv", NULL);
    GString *text = g_string_new("lesion_id,image_id,dx,dx_type,age,sex,localization\n");
    const char *dx[] = {"mel", "bcc", "nv"};
    char *images = g_build_filename(dir, "images", NULL);
    tu_mkdir(images);
    for (int i = 0; i < 18; i++) {
        /* A Latin-1 byte in a column we do not use, on every row: harmless. */
        g_string_append_printf(text, "HAM_%d,ISIC_%d,%s,histo,50.0,male,b\xe4" "ck\n", i / 2, i,
                               dx[i % 3]);
        char name[32];
        g_snprintf(name, sizeof name, "ISIC_%d.jpg", i);
        char *path = g_build_filename(images, name, NULL);
        tu_write_image(path, "jpeg", 20, 15, 10, 10, 10);
        g_free(path);
    }
    g_string_append(text, "HAM_9,ISIC_18,xyz,histo,50.0,male,back\n"); /* line 20: unknown dx */
    tu_write(csv, text->str, text->len);
    run_result r = run("dataset", "info", dir, "--json", "--all-classes", f->cache_arg, NULL);
    g_assert_cmpint(r.status, ==, 0);
    JsonParser *parser;
    JsonObject *o = parse_object(r.out, &parser);
    g_assert_cmpstr(json_object_get_string_member(o, "layout"), ==, "ham10000");
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "classes")), ==, 3);
    g_object_unref(parser);
    run_clear(&r);
    r = run("dataset", "info", dir, "--json", f->cache_arg, NULL);
    g_assert_cmpint(r.status, ==, 0);
    o = parse_object(r.out, &parser);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "classes")), ==, 2);
    g_assert_cmpint(json_object_get_int_member(o, "images"), ==, 12);
    /* The unknown dx code is reported as a skipped row; nv is left out. */
    g_assert_cmpint(json_object_get_int_member(o, "skipped_rows"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(o, "skipped_files"), ==, 0);
    JsonArray *skipped = json_object_get_array_member(o, "skipped");
    g_assert_cmpuint(json_array_get_length(skipped), ==, 1);
    JsonObject *s = json_array_get_object_element(skipped, 0);
    g_assert_cmpstr(json_object_get_string_member(s, "reason"), ==,
                    "unknown dx code: 1 row, line 20 (xyz)");
    g_assert_cmpint(json_object_get_int_member(s, "rows"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(o, "left_out_rows"), ==, 6);
    g_assert_cmpstr(json_object_get_string_member(o, "left_out"), ==,
                    "left out: 6 rows of class nv (use --all-classes)");
    g_object_unref(parser);
    run_clear(&r);
    /* The text report does not say "Nothing skipped". */
    r = run("dataset", "info", dir, f->cache_arg, NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_null(strstr(r.out, "Nothing skipped"));
    g_assert_nonnull(strstr(r.out, "Skipped 1 CSV row:\n"));
    g_assert_nonnull(strstr(r.out, "HAM10000_metadata.csv: unknown dx code: 1 row, line 20 (xyz)\n"));
    g_assert_nonnull(strstr(r.out, "Left out: 6 rows of class nv (use --all-classes).\n"));
    run_clear(&r);
    r = run("dataset", "split", dir, f->cache_arg, NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "Skipped 1 CSV row (see"));
    g_assert_nonnull(strstr(r.out, "Left out: 6 rows of class nv"));
    run_clear(&r);
    g_string_free(text, TRUE);
    g_free(csv);
    g_free(images);
    tu_rm_rf(dir);
    g_free(dir);
}

static void test_errors(fixture *f, gconstpointer unused)
{
    (void)unused;
    char *missing = g_build_filename(f->data, "missing", NULL);
    run_result r = run("dataset", "info", missing, f->cache_arg, NULL);
    assert_one_line_error(&r);
    g_assert_nonnull(strstr(r.err, "no such folder"));
    run_clear(&r);
    r = run("dataset", "split", missing, "--json", f->cache_arg, NULL);
    assert_one_line_error(&r);
    run_clear(&r);

    /* One class: loads nothing usable. */
    char *one = tu_tmpdir();
    char *cls = g_build_filename(one, "mel", NULL);
    tu_mkdir(cls);
    char *img = g_build_filename(cls, "a.jpg", NULL);
    tu_write_image(img, "jpeg", 8, 8, 1, 1, 1);
    r = run("dataset", "info", one, "--json", f->cache_arg, NULL);
    assert_one_line_error(&r);
    g_assert_nonnull(strstr(r.err, "fewer than two classes"));
    run_clear(&r);
    /* Two classes of one image: loads, but a split would be empty. */
    char *cls2 = g_build_filename(one, "bcc", NULL);
    tu_mkdir(cls2);
    char *img2 = g_build_filename(cls2, "b.jpg", NULL);
    tu_write_image(img2, "jpeg", 8, 8, 1, 1, 1);
    r = run("dataset", "info", one, f->cache_arg, NULL);
    g_assert_cmpint(r.status, ==, 0);
    run_clear(&r);
    r = run("dataset", "split", one, f->cache_arg, NULL);
    assert_one_line_error(&r);
    g_assert_nonnull(strstr(r.err, "would be empty"));
    run_clear(&r);

    /* A FIFO as the metadata CSV: a one-line error, not a hang. */
    alarm(30);
    char *fifo_dir = tu_tmpdir();
    char *fifo = g_build_filename(fifo_dir, "HAM10000_metadata.csv", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    r = run("dataset", "info", fifo_dir, f->cache_arg, NULL);
    alarm(0);
    assert_one_line_error(&r);
    g_assert_nonnull(strstr(r.err, "not a regular file (a FIFO)"));
    run_clear(&r);
    tu_rm_rf(fifo_dir);
    g_free(fifo_dir);
    g_free(fifo);

    /* Usage errors. */
    r = run("dataset", NULL);
    g_assert_cmpint(r.status, ==, 2);
    run_clear(&r);
    r = run("dataset", "frobnicate", f->data, NULL);
    g_assert_cmpint(r.status, ==, 2);
    run_clear(&r);
    r = run("dataset", "info", NULL);
    g_assert_cmpint(r.status, ==, 2);
    g_assert_nonnull(strstr(r.err, "missing PATH"));
    run_clear(&r);
    r = run("dataset", "info", f->data, "--bogus", NULL);
    g_assert_cmpint(r.status, ==, 2);
    run_clear(&r);
    r = run("dataset", "split", f->data, "--seed", "minus-one", NULL);
    g_assert_cmpint(r.status, ==, 2);
    run_clear(&r);
    /* numbers out of their range are refused as every command refuses them,
     * not replaced by a default */
    const char *bad[][2] = {{"--size", "0"}, {"--size", "-1"}, {"--size", "0x40"},
                            {"--threads", "0"}, {"--threads", "100000"}, {"--seed", "-1"}};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        r = run("dataset", "split", f->data, bad[i][0], bad[i][1], f->cache_arg, NULL);
        g_assert_cmpint(r.status, ==, 2);
        g_assert_nonnull(strstr(r.err, "is not a whole number from"));
        run_clear(&r);
    }
    r = run("dataset", "split", f->data, "--list", "--json", NULL);
    g_assert_cmpint(r.status, ==, 2);
    run_clear(&r);
    /* A stray word where a command takes no arguments (a model file given
     * without --model) is refused, not ignored. */
    r = run("cnn", "calibrate", "--data", f->data, "model.safetensors", NULL);
    assert_one_line_error(&r);
    g_assert_nonnull(strstr(r.err, "unexpected argument 'model.safetensors'"));
    run_clear(&r);
    r = run("evaluate", "--data", f->data, "stray", NULL);
    assert_one_line_error(&r);
    g_assert_nonnull(strstr(r.err, "unexpected argument 'stray'"));
    run_clear(&r);

    g_free(missing);
    g_free(cls);
    g_free(cls2);
    g_free(img);
    g_free(img2);
    tu_rm_rf(one);
    g_free(one);
}

static void test_help(fixture *f, gconstpointer unused)
{
    (void)f;
    (void)unused;
    run_result r = run("dataset", "--help", NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "split"));
    run_clear(&r);
    r = run("dataset", "info", "--help", NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "--all-classes"));
    g_assert_nonnull(strstr(r.out, "--json"));
    g_assert_nonnull(strstr(r.out, "--follow-symlinks"));
    run_clear(&r);
    r = run("dataset", "split", "--help", NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "--seed"));
    g_assert_nonnull(strstr(r.out, "--list"));
    run_clear(&r);
    r = run("--help", NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "dataset"));
    run_clear(&r);
}

int main(int argc, char **argv)
{
    tu_init(&argc, &argv);
    g_test_add("/data/cli/info-json", fixture, NULL, setup, test_info_json, teardown);
    g_test_add("/data/cli/split-json", fixture, NULL, setup, test_split_json, teardown);
    g_test_add("/data/cli/split-list", fixture, NULL, setup, test_split_list, teardown);
    g_test_add("/data/cli/ham", fixture, NULL, setup, test_ham, teardown);
    g_test_add("/data/cli/errors", fixture, NULL, setup, test_errors, teardown);
    g_test_add("/data/cli/help", fixture, NULL, setup, test_help, teardown);
    return tu_run();
}

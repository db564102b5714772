/* cli-dataset.c: `dermagan-cli dataset info|split`. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli-options.h"
#include "jobs/dg-limits.h"
#include "data/dg-dataset.h"

typedef struct {
    gboolean all_classes, json, list, no_cache, follow_symlinks;
    int size, threads;
    char *cache_dir;
    gint64 seed; /* split: 1 unless given */
} dataset_args;

static void args_clear(dataset_args *a)
{
    g_free(a->cache_dir);
}

static void on_progress(double fraction, const char *what, void *user)
{
    cli_progress_update(user, fraction, what);
}

static dg_dataset *load(const char *path, const dataset_args *a, GError **error)
{
    dg_load_options opt;
    dg_load_options_init(&opt);
    opt.all_classes = a->all_classes;
    opt.follow_symlinks = a->follow_symlinks;
    if (a->size > 0)
        opt.size = a->size;
    opt.threads = a->threads;
    opt.cache_dir = a->no_cache ? "" : a->cache_dir;
    cli_progress *bar = cli_progress_new("Loading");
    opt.progress = on_progress;
    opt.progress_user = bar;
    dg_dataset *ds = dg_dataset_load(path, &opt, error);
    cli_progress_done(bar);
    return ds;
}

static int total_lesions(const dg_dataset *ds, dg_split split)
{
    return dg_dataset_lesion_count(ds, -1, split);
}

/* --- JSON. --- */

static void json_classes(JsonBuilder *b, const dg_dataset *ds, dg_split split)
{
    json_builder_begin_array(b);
    for (int c = 0; c < ds->n_classes; c++) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, ds->classes[c].id);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, ds->classes[c].name);
        json_builder_set_member_name(b, "images");
        json_builder_add_int_value(b, dg_dataset_class_count(ds, c, split));
        json_builder_set_member_name(b, "lesions");
        json_builder_add_int_value(b, dg_dataset_lesion_count(ds, c, split));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void json_report(JsonBuilder *b, const dg_dataset *ds)
{
    json_builder_set_member_name(b, "layout");
    json_builder_add_string_value(b, dg_layout_name(ds->layout));
    json_builder_set_member_name(b, "root");
    char *root = g_filename_display_name(ds->root);
    json_builder_add_string_value(b, root);
    g_free(root);
    json_builder_set_member_name(b, "images");
    json_builder_add_int_value(b, ds->n_items);
    json_builder_set_member_name(b, "lesions");
    json_builder_add_int_value(b, total_lesions(ds, DG_SPLIT_NONE));
    json_builder_set_member_name(b, "classes");
    json_classes(b, ds, DG_SPLIT_NONE);
    json_builder_set_member_name(b, "skipped");
    json_builder_begin_array(b);
    for (guint i = 0; i < ds->skipped->len; i++) {
        const dg_skip *s = ds->skipped->pdata[i];
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "path");
        json_builder_add_string_value(b, s->path);
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, s->reason);
        json_builder_set_member_name(b, "rows"); /* 0: a file; else CSV rows */
        json_builder_add_int_value(b, s->rows);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    int files, rows;
    dg_dataset_skip_counts(ds, &files, &rows);
    json_builder_set_member_name(b, "skipped_files");
    json_builder_add_int_value(b, files);
    json_builder_set_member_name(b, "skipped_rows");
    json_builder_add_int_value(b, rows);
    json_builder_set_member_name(b, "left_out_rows");
    json_builder_add_int_value(b, ds->n_rows_left_out);
    json_builder_set_member_name(b, "left_out");
    if (ds->left_out)
        json_builder_add_string_value(b, ds->left_out);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "warnings");
    json_builder_begin_array(b);
    for (guint i = 0; i < ds->warnings->len; i++)
        json_builder_add_string_value(b, ds->warnings->pdata[i]);
    json_builder_end_array(b);
}

static void print_json(JsonBuilder *b)
{
    JsonNode *root = json_builder_get_root(b);
    JsonGenerator *gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    json_generator_set_root(gen, root);
    char *text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
    g_free(text);
    g_object_unref(gen);
    json_node_unref(root);
}

/* --- Text. --- */

/* "2 files and 7 CSV rows", or NULL when nothing was skipped. */
static char *skipped_counts(const dg_dataset *ds)
{
    int files, rows;
    dg_dataset_skip_counts(ds, &files, &rows);
    if (files == 0 && rows == 0)
        return NULL;
    GString *s = g_string_new(NULL);
    if (files > 0)
        g_string_append_printf(s, "%d file%s", files, files == 1 ? "" : "s");
    if (rows > 0)
        g_string_append_printf(s, "%s%d CSV row%s", files > 0 ? " and " : "", rows,
                               rows == 1 ? "" : "s");
    return g_string_free(s, FALSE);
}

static void print_report_text(const dg_dataset *ds)
{
    char *root = g_filename_display_name(ds->root);
    printf("%s: %s layout, %d classes, %d images, %d lesions\n", root,
           ds->layout == DG_LAYOUT_HAM10000 ? "HAM10000" : "ImageFolder", ds->n_classes,
           ds->n_items, total_lesions(ds, DG_SPLIT_NONE));
    g_free(root);
    printf("\n  %-12s %-24s %8s %8s\n", "class", "name", "images", "lesions");
    for (int c = 0; c < ds->n_classes; c++)
        printf("  %-12s %-24s %8d %8d\n", ds->classes[c].id, ds->classes[c].name,
               dg_dataset_class_count(ds, c, DG_SPLIT_NONE),
               dg_dataset_lesion_count(ds, c, DG_SPLIT_NONE));
    g_autofree char *counts = skipped_counts(ds);
    if (counts) {
        printf("\nSkipped %s:\n", counts);
        for (guint i = 0; i < ds->skipped->len; i++) {
            const dg_skip *s = ds->skipped->pdata[i];
            printf("  %s: %s\n", s->path, s->reason);
        }
    } else {
        printf("\nNothing skipped.\n");
    }
    /* Rows of the classes not asked for: by choice, not a problem. */
    if (ds->left_out)
        printf("%c%s.\n", g_ascii_toupper(ds->left_out[0]), ds->left_out + 1);
    if (ds->warnings->len > 0) {
        printf("\nWarnings:\n");
        for (guint i = 0; i < ds->warnings->len; i++)
            printf("  %s\n", (const char *)ds->warnings->pdata[i]);
    }
}

/* A CSV field, quoted when it needs to be. */
static void csv_field(GString *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        g_string_append(out, s);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

/* --- Commands. --- */

/* Parses a dataset command's options (split: also --seed and --list) into a
 * and its one PATH; 0, or the exit status 2 after saying what is wrong.
 * Numbers have ranges, as every other command's (cli-options.h). */
static int parse(const char *usage, dataset_args *a, gboolean split, int argc, char **argv,
                 const char **path)
{
    GOptionEntry entries[] = {
        {"all-classes", 0, 0, G_OPTION_ARG_NONE, &a->all_classes,
         "HAM10000: all seven dx classes, not only akiec, bcc, bkl, mel", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &a->json, "Print JSON on stdout", NULL},
        {"cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &a->cache_dir,
         "Cache of prepared images (default ~/.cache/dermagan)", "DIR"},
        {"no-cache", 0, 0, G_OPTION_ARG_NONE, &a->no_cache, "Neither read nor write the cache",
         NULL},
        {"follow-symlinks", 0, 0, G_OPTION_ARG_NONE, &a->follow_symlinks,
         "Also read files and folders that symlinks lead to outside the data set's folder",
         NULL},
        {split ? "list" : NULL, 0, 0, G_OPTION_ARG_NONE, &a->list,
         "Print CSV image,class,lesion,split for every image", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    cli_num nums[] = {
        {"size", CLI_INT, &a->size, 1, 1024, "Side of the prepared images (default 64)", "N",
         FALSE},
        {"threads", CLI_INT, &a->threads, 1, DG_LIMIT_THREADS,
         "Decoding threads (default: all CPUs)", "N", FALSE},
        {split ? "seed" : NULL, CLI_INT64, &a->seed, 0, DG_LIMIT_SEED,
         "Seed of the split (default 1)", "N", FALSE},
        {NULL},
    };
    GError *error = NULL;
    /* argv[0] is the subcommand, standing for the program name. */
    if (!cli_parse(usage, entries, nums, &argc, &argv, &error)) {
        cli_fail("%s (try --help)", error->message);
        g_error_free(error);
        return 2;
    }
    if (argc != 2) {
        cli_fail(argc < 2 ? "missing PATH (try --help)" : "unexpected argument '%s'",
                 argc > 2 ? argv[2] : "");
        return 2;
    }
    *path = argv[1];
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    dataset_args a = {0};
    const char *path = NULL;
    int rc = parse("PATH - show a data set: layout, classes with image and lesion counts, "
                   "skipped files with reasons",
                   &a, FALSE, argc, argv, &path);
    if (rc == 0) {
        GError *error = NULL;
        dg_dataset *ds = load(path, &a, &error);
        if (!ds) {
            rc = cli_fail_error(error);
        } else {
            if (a.json) {
                JsonBuilder *b = json_builder_new();
                json_builder_begin_object(b);
                json_report(b, ds);
                json_builder_end_object(b);
                print_json(b);
                g_object_unref(b);
            } else {
                print_report_text(ds);
            }
            dg_dataset_free(ds);
        }
    }
    args_clear(&a);
    return rc;
}

/* --list: CSV image,class,lesion,split. */
static void print_split_list(const dg_dataset *ds)
{
    GString *out = g_string_new("image,class,lesion,split\n");
    for (int i = 0; i < ds->n_items; i++) {
        const dg_item *it = &ds->items[i];
        char *p = g_filename_display_name(it->path);
        csv_field(out, p);
        g_string_append_c(out, ',');
        csv_field(out, ds->classes[it->cls].id);
        g_string_append_c(out, ',');
        csv_field(out, it->lesion_id);
        g_string_append_c(out, ',');
        g_string_append(out, dg_split_name(it->split));
        g_string_append_c(out, '\n');
        g_free(p);
    }
    fwrite(out->str, 1, out->len, stdout);
    g_string_free(out, TRUE);
}

static void print_split_json(const dg_dataset *ds, guint64 seed)
{
    const double train = DG_SPLIT_TRAIN_FRACTION, val = DG_SPLIT_VAL_FRACTION;
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_report(b, ds);
    json_builder_set_member_name(b, "seed");
    json_builder_add_int_value(b, (gint64)seed);
    json_builder_set_member_name(b, "fractions");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "train");
    json_builder_add_double_value(b, train);
    json_builder_set_member_name(b, "val");
    json_builder_add_double_value(b, val);
    json_builder_set_member_name(b, "test");
    json_builder_add_double_value(b, 1 - train - val);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "splits");
    json_builder_begin_object(b);
    for (int s = 0; s < 3; s++) {
        json_builder_set_member_name(b, dg_split_name(s));
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "images");
        json_builder_add_int_value(b, dg_dataset_class_count(ds, -1, s));
        json_builder_set_member_name(b, "lesions");
        json_builder_add_int_value(b, total_lesions(ds, s));
        json_builder_set_member_name(b, "classes");
        json_classes(b, ds, s);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    print_json(b);
    g_object_unref(b);
}

static void print_split_text(const dg_dataset *ds, guint64 seed)
{
    const double train = DG_SPLIT_TRAIN_FRACTION, val = DG_SPLIT_VAL_FRACTION;
    char *root = g_filename_display_name(ds->root);
    printf("%s: seed %" G_GUINT64_FORMAT ", train %.2f / val %.2f / test %.2f; "
           "images (lesions)\n\n",
           root, seed, train, val, 1 - train - val);
    g_free(root);
    printf("  %-12s %16s %16s %16s\n", "class", "train", "val", "test");
    for (int c = 0; c < ds->n_classes; c++) {
        printf("  %-12s", ds->classes[c].id);
        for (int s = 0; s < 3; s++) {
            char cell[48];
            g_snprintf(cell, sizeof cell, "%d (%d)", dg_dataset_class_count(ds, c, s),
                       dg_dataset_lesion_count(ds, c, s));
            printf(" %16s", cell);
        }
        printf("\n");
    }
    printf("  %-12s", "total");
    for (int s = 0; s < 3; s++) {
        char cell[48];
        g_snprintf(cell, sizeof cell, "%d (%d)", dg_dataset_class_count(ds, -1, s),
                   total_lesions(ds, s));
        printf(" %16s", cell);
    }
    printf("\n");
    g_autofree char *counts = skipped_counts(ds);
    if (counts)
        printf("\nSkipped %s (see 'dermagan-cli dataset info').\n", counts);
    if (ds->left_out)
        printf("%s%c%s.\n", counts ? "" : "\n", g_ascii_toupper(ds->left_out[0]),
               ds->left_out + 1);
}

static int cmd_split(int argc, char **argv)
{
    dataset_args a = {.seed = 1};
    const char *path = NULL;
    int rc = parse("PATH - split a data set into train/val/test, stratified by class and grouped "
                   "by lesion, and show the per-split, per-class counts",
                   &a, TRUE, argc, argv, &path);
    const guint64 seed = (guint64)a.seed;
    if (rc == 0 && a.list && a.json) {
        cli_fail("--list and --json cannot be combined");
        rc = 2;
    }
    dg_dataset *ds = NULL;
    if (rc == 0) {
        GError *error = NULL;
        ds = load(path, &a, &error);
        if (!ds || !dg_dataset_split(ds, seed, DG_SPLIT_TRAIN_FRACTION, DG_SPLIT_VAL_FRACTION,
                                     &error))
            rc = cli_fail_error(error);
    }
    if (rc == 0 && a.list)
        print_split_list(ds);
    else if (rc == 0 && a.json)
        print_split_json(ds, seed);
    else if (rc == 0)
        print_split_text(ds, seed);
    dg_dataset_free(ds);
    args_clear(&a);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: dermagan-cli dataset COMMAND PATH [OPTIONS...]\n\n"
               "Commands:\n"
               "  info    layout, classes with image and lesion counts, skipped files\n"
               "  split   per-split, per-class counts of the lesion-grouped split\n\n"
               "Run 'dermagan-cli dataset COMMAND --help' for a command's options.\n");
}

int cli_dataset(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        usage(stdout);
        return 0;
    }
    char *name = g_strdup_printf("dermagan-cli dataset %s", sub);
    g_set_prgname(name);
    g_free(name);
    if (strcmp(sub, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(sub, "split") == 0)
        return cmd_split(argc - 1, argv + 1);
    cli_fail("unknown dataset command '%s' (expected info or split)", sub);
    return 2;
}

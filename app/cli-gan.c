/* dermagan-cli gan train | generate | score */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dist/dg-dist.h"
#include "cli-options.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-job-gan.h"

static int gan_train(int argc, char **argv)
{
    dg_gan_train_config *c = dg_gan_train_config_new();
    char *data = NULL, *out = NULL, *preset = NULL, *loss = NULL, *diffaug = NULL, *cache = NULL,
         *upsample = NULL, *init_from = NULL;
    int steps = 0, threads = 0, batch = 0, width = 0, sample_every = 0, ckpt_every = 0;
    gint64 seed = 1, split_seed = 1;
    double lr = 0;
    gboolean resume = FALSE, json = FALSE, all = FALSE, follow = FALSE;
    GOptionEntry entries[] = {
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "Data set folder (HAM10000 or ImageFolder)", "PATH"},
        {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Run folder (checkpoints, samples, model)", "RUNDIR"},
        {"preset", 0, 0, G_OPTION_ARG_STRING, &preset, "default, large, dcgan (the classic DCGAN) or seed (default: default); the README explains the experimental x-... names", "NAME"},
        {"resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Continue the run in RUNDIR from its checkpoint; the run's settings (data, split, seeds, preset, batch, lr, loss, diffaug, width, upsampling) must be the same, only --steps, --threads and the sample/checkpoint intervals may change", NULL},
        {"init-from", 0, 0, G_OPTION_ARG_FILENAME, &init_from, "Start a new run from the weights of a GAN checkpoint or generator model (saved with its discriminator, as gan train saves them) whose networks are the preset's: to fine-tune a trained generator on other data or with other losses; the optimizer starts afresh", "FILE"},
        {"loss", 0, 0, G_OPTION_ARG_STRING, &loss, "bce (non-saturating) or hinge", "NAME"},
        {"diffaug", 0, 0, G_OPTION_ARG_STRING, &diffaug, "DiffAugment policy, e.g. color,translation,cutout or none", "LIST"},
        {"g-upsample", 0, 0, G_OPTION_ARG_STRING, &upsample, "Generator upsampling: convt (transposed convolutions), nearest or bilinear (upsample + 3x3 convolution)", "HOW"},
        {"all-classes", 0, 0, G_OPTION_ARG_NONE, &all, "HAM10000: all seven classes", NULL},
        {"follow-symlinks", 0, 0, G_OPTION_ARG_NONE, &follow, "Also read symlinks that lead out of the data set's folder", NULL},
        {"cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache, "Decoded-image cache folder (\"\" for none)", "DIR"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON event per line on stdout", NULL},
        {NULL}};
    cli_num nums[] = {
        {"steps", CLI_INT, &steps, 1, DG_LIMIT_STEPS, "Total training steps (default: the preset's)", "N", FALSE},
        {"seed", CLI_INT64, &seed, 0, DG_LIMIT_SEED, "Random seed (default 1)", "N", FALSE},
        {"split-seed", CLI_INT64, &split_seed, 0, DG_LIMIT_SEED, "Seed of the train/val/test split (default 1)", "N", FALSE},
        {"threads", CLI_INT, &threads, 1, DG_LIMIT_THREADS, "Threads (default: all cores)", "N", FALSE},
        {"batch", CLI_INT, &batch, 1, DG_LIMIT_GAN_BATCH, "Batch size (default: the preset's)", "N", FALSE},
        {"lr", CLI_DOUBLE, &lr, 1e-8, 1, "Learning rate of both nets (default: the preset's)", "LR", FALSE},
        {"width", CLI_INT, &width, 1, DG_LIMIT_GAN_WIDTH, "Channel width ngf = ndf (default: the preset's)", "N", FALSE},
        {"sample-every", CLI_INT, &sample_every, 1, DG_LIMIT_STEPS, "Steps between sample grids (default 200)", "N", FALSE},
        {"checkpoint-every", CLI_INT, &ckpt_every, 1, DG_LIMIT_STEPS, "Steps between checkpoints (default 500)", "N", FALSE},
        {NULL}};
    GError *error = NULL;
    if (!cli_parse("- train a GAN on a data set's training split", entries, nums, &argc, &argv,
                   &error)) {
        dg_gan_train_config_free(c);
        return cli_fail_error(error);
    }
    if (!data || !out) {
        dg_gan_train_config_free(c);
        return cli_fail("gan train needs --data PATH and --out RUNDIR");
    }
    c->data = data;
    c->out = out;
    if (preset) {
        g_free(c->preset);
        c->preset = preset;
    }
    c->steps = steps;
    c->seed = (uint64_t)seed;
    c->split_seed = (uint64_t)split_seed;
    c->threads = cli_threads(threads);
    c->dist = dg_dist_world(); /* under mpirun or srun: the processes share the work */
    c->resume = resume;
    c->init_from = init_from;
    c->all_classes = all;
    c->follow_symlinks = follow;
    c->batch = batch;
    c->lr = lr;
    c->loss = loss;
    c->diffaug = diffaug;
    c->width = width;
    c->g_upsample = upsample;
    c->sample_every = sample_every;
    c->checkpoint_every = ckpt_every;
    c->cache_dir = cache;
    return cli_run(&dg_job_gan_train, c, json);
}

/* gan generate without --json: what was written, in a line per class. */
static void show_generated(JsonObject *r)
{
    JsonNode *cn = json_object_get_member(r, "classes");
    JsonObject *classes = cn && JSON_NODE_HOLDS_OBJECT(cn) ? json_node_get_object(cn) : NULL;
    GList *ids = classes ? json_object_get_members(classes) : NULL;
    gint64 total = 0;
    for (GList *l = ids; l; l = l->next) {
        JsonNode *n = json_object_get_member(classes, l->data);
        JsonObject *c = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        gint64 count = c ? json_object_get_int_member_with_default(c, "count", 0) : 0;
        total += count;
        printf("  %-8s %6" G_GINT64_FORMAT " images\n", (const char *)l->data, count);
    }
    g_list_free(ids);
    printf("  %-8s %6" G_GINT64_FORMAT " images (listed in manifest.json in the output folder)\n",
           "total", total);
}

static int gan_generate(int argc, char **argv)
{
    dg_gan_generate_config *c = dg_gan_generate_config_new();
    char *model = NULL, *out = NULL, *data = NULL, *filter = NULL, *cache = NULL, *grid = NULL,
         *classes = NULL;
    int per_class = 0, target = 0, threads = 0;
    gint64 seed = 1, split_seed = 1;
    double keep = 0.5;
    gboolean balance = FALSE, json = FALSE, all = FALSE, follow = FALSE;
    GOptionEntry entries[] = {
        {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Generator model (default: the bundled one)", "FILE"},
        {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Output folder (OUT/<class>/*.png)", "DIR"},
        {"balance", 0, 0, G_OPTION_ARG_NONE, &balance, "Fill every class of the training split up to the largest", NULL},
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "With --balance: the data set to balance; with --per-class: make only its classes", "PATH"},
        {"all-classes", 0, 0, G_OPTION_ARG_NONE, &all, "HAM10000: all seven classes", NULL},
        {"follow-symlinks", 0, 0, G_OPTION_ARG_NONE, &follow, "Also read symlinks that lead out of the data set's folder", NULL},
        {"filter", 0, 0, G_OPTION_ARG_STRING, &filter, "none, discriminator (keep the samples D scores most real) or classifier (those the bundled classifier finds most like their class)", "HOW"},
        {"grid", 0, 0, G_OPTION_ARG_FILENAME, &grid, "Also write a picture of the first 8 images of each class (PNG)", "FILE"},
        {"classes", 0, 0, G_OPTION_ARG_STRING, &classes, "Only these of the generator's classes, e.g. akiec,bcc (default: all)", "LIST"},
        {"cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache, "Decoded-image cache folder", "DIR"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON event per line on stdout", NULL},
        {NULL}};
    cli_num nums[] = {
        {"per-class", CLI_INT, &per_class, 1, DG_LIMIT_PER_CLASS, "Images per class", "N", FALSE},
        {"target", CLI_INT, &target, 1, DG_LIMIT_PER_CLASS, "With --balance: fill up to N instead", "N", FALSE},
        {"split-seed", CLI_INT64, &split_seed, 0, DG_LIMIT_SEED, "Seed of the split to balance (default 1)", "N", FALSE},
        {"keep", CLI_DOUBLE, &keep, DG_LIMIT_KEEP_MIN, 1, "With --filter: fraction of candidates kept (default 0.5)", "F", FALSE},
        {"seed", CLI_INT64, &seed, 0, DG_LIMIT_SEED, "Random seed (default 1)", "N", FALSE},
        {"threads", CLI_INT, &threads, 1, DG_LIMIT_THREADS, "Threads (default: all cores)", "N", FALSE},
        {NULL}};
    GError *error = NULL;
    if (!cli_parse("- generate synthetic images per class", entries, nums, &argc, &argv, &error)) {
        dg_gan_generate_config_free(c);
        return cli_fail_error(error);
    }
    if (classes) {
        c->classes = g_strsplit(classes, ",", -1);
        g_free(classes);
    }
    c->model = model;
    c->out = out;
    c->per_class = per_class;
    c->balance = balance;
    c->target = target;
    c->data = data;
    c->split_seed = (uint64_t)split_seed;
    c->all_classes = all;
    c->follow_symlinks = follow;
    c->filter = filter;
    c->keep = keep;
    c->grid = grid;
    c->seed = (uint64_t)seed;
    c->threads = threads;
    c->cache_dir = cache;
    if (!out || (per_class <= 0 && !balance)) { /* (the config owns every option now) */
        dg_gan_generate_config_free(c);
        return cli_fail("gan generate needs --out DIR and --per-class N or --balance");
    }
    /* the manifest (in OUT/manifest.json) on stdout with --json only; a summary otherwise */
    return cli_run_results(&dg_job_gan_generate, c, json, show_generated);
}

/* gan export without --json: the file written. */
static void show_exported(JsonObject *r)
{
    printf("%s\n", json_object_get_string_member_with_default(r, "model", ""));
}

static int gan_export(int argc, char **argv)
{
    char *model = NULL, *out = NULL, *classes = NULL;
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Generator model to cut down", "FILE"},
        {"classes", 0, 0, G_OPTION_ARG_STRING, &classes, "The classes to keep, e.g. akiec,bcc,bkl,mel", "LIST"},
        {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "The new model file (not overwritten)", "FILE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON event per line on stdout", NULL},
        {NULL}};
    GError *error = NULL;
    if (!cli_parse("- a generator model file of some of its classes (the same images for them)",
                   entries, NULL, &argc, &argv, &error))
        return cli_fail_error(error);
    if (!model || !out || !classes) {
        g_free(model), g_free(out), g_free(classes);
        return cli_fail("gan export needs --model FILE --classes LIST --out FILE");
    }
    dg_gan_export_config *c = dg_gan_export_config_new();
    c->model = model;
    c->out = out;
    c->classes = g_strsplit(classes, ",", -1);
    g_free(classes);
    return cli_run_results(&dg_job_gan_export, c, json, show_exported);
}

static double member(JsonObject *o, const char *k)
{
    JsonNode *n = o && json_object_has_member(o, k) ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_double(n) : NAN;
}

/* The scores as a table on stdout. */
static void show_scores(JsonObject *r)
{
    printf("generator: %s\nfeatures:  %s (%d-dimensional pooled features of our classifier)\n\n",
           json_object_get_string_member_with_default(r, "generator", "?"),
           json_object_get_string_member_with_default(r, "feature_extractor", "?"),
           (int)member(r, "feature_dim"));
    printf("  %-7s %9s  %10s %10s  %10s %10s\n", "class", "samples", "Frechet", "(floor)",
           "kernel", "(floor)");
    JsonObject *pc = json_object_get_object_member(r, "per_class");
    GList *keys = pc ? json_object_get_members(pc) : NULL;
    for (GList *l = keys; l; l = l->next) {
        JsonObject *c = json_object_get_object_member(pc, l->data);
        JsonObject *syn = json_object_get_object_member(c, "synthetic");
        JsonObject *fl = json_object_get_object_member(c, "real_floor");
        printf("  %-7s %9d  %10.2f %10.2f  %10.4f %10.4f\n", (const char *)l->data,
               (int)member(c, "n_compared"), member(syn, "frechet"), member(fl, "frechet"),
               member(syn, "kernel"), member(fl, "kernel"));
    }
    g_list_free(keys);
    printf("\n  (floor: the real test images against the same real training images, with as "
           "many samples)\n");
    printf("  classifier trained on real images, test balanced accuracy: %.4f\n",
           member(r, "real_trained_balanced_accuracy"));
    if (json_object_has_member(r, "classification_accuracy_score")) {
        JsonObject *cas = json_object_get_object_member(r, "classification_accuracy_score");
        const char *split = json_object_get_string_member_with_default(
            r, "classification_accuracy_score_split", "test");
        printf("  classification accuracy score (trained on synthetic only, tested on the real "
               "%s split): balanced accuracy %.4f, accuracy %.4f\n",
               strcmp(split, "val") == 0 ? "validation" : "test", member(cas, "balanced_accuracy"),
               member(cas, "accuracy"));
    }
}

static int gan_score(int argc, char **argv)
{
    dg_gan_score_config *c = dg_gan_score_config_new();
    char *model = NULL, *classifier = NULL, *data = NULL, *cache = NULL;
    int per_class = 0, cas_epochs = 0, threads = 0;
    gint64 seed = 1, split_seed = 1;
    gboolean cas = FALSE, cas_val = FALSE, json = FALSE, all = FALSE, follow = FALSE;
    GOptionEntry entries[] = {
        {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Generator model (default: the bundled one)", "FILE"},
        {"classifier", 0, 0, G_OPTION_ARG_FILENAME, &classifier, "Classifier whose features are compared (default: the bundled one)", "FILE"},
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "The data set the generator was trained on", "PATH"},
        {"cas", 0, 0, G_OPTION_ARG_NONE, &cas, "Also the classification accuracy score (trains a classifier on synthetic images only)", NULL},
        {"cas-on-val", 0, 0, G_OPTION_ARG_NONE, &cas_val, "With --cas: test that classifier on the validation split, not the test split (to choose between generators)", NULL},
        {"all-classes", 0, 0, G_OPTION_ARG_NONE, &all, "HAM10000: all seven classes", NULL},
        {"follow-symlinks", 0, 0, G_OPTION_ARG_NONE, &follow, "Also read symlinks that lead out of the data set's folder", NULL},
        {"cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache, "Decoded-image cache folder", "DIR"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "The scores as one JSON document on stdout", NULL},
        {NULL}};
    cli_num nums[] = {
        {"per-class", CLI_INT, &per_class, 2, DG_LIMIT_SCORE_PER_CLASS, "Synthetic images per class (default 500)", "N", FALSE},
        {"cas-epochs", CLI_INT, &cas_epochs, 1, DG_LIMIT_EPOCHS, "Epochs of that classifier (default 20)", "N", FALSE},
        {"seed", CLI_INT64, &seed, 0, DG_LIMIT_SEED, "Random seed (default 1)", "N", FALSE},
        {"split-seed", CLI_INT64, &split_seed, 0, DG_LIMIT_SEED, "Seed of the split (the generator's; default 1)", "N", FALSE},
        {"threads", CLI_INT, &threads, 1, DG_LIMIT_THREADS, "Threads (default: all cores)", "N", FALSE},
        {NULL}};
    GError *error = NULL;
    if (!cli_parse("- per-class quality scores of a generator", entries, nums, &argc, &argv,
                   &error)) {
        dg_gan_score_config_free(c);
        return cli_fail_error(error);
    }
    if (!data) {
        g_free(model), g_free(classifier), g_free(cache);
        dg_gan_score_config_free(c);
        return cli_fail("gan score needs --data PATH");
    }
    c->generator = model;
    c->classifier = classifier;
    c->data = data;
    if (per_class > 0)
        c->per_class = per_class;
    c->cas = cas || cas_val;
    c->cas_on_val = cas_val;
    if (cas_epochs > 0)
        c->cas_epochs = cas_epochs;
    c->seed = (uint64_t)seed;
    c->split_seed = (uint64_t)split_seed;
    c->all_classes = all;
    c->follow_symlinks = follow;
    c->threads = threads;
    c->cache_dir = cache;
    /* results only: the scores document on stdout, messages on stderr */
    return cli_run_results(&dg_job_gan_score, c, json, show_scores);
}

int cli_gan(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(argc < 2 ? stderr : stdout,
                "Usage: dermagan-cli gan COMMAND [OPTIONS]\n\n"
                "  train     train a GAN on a data set's training split\n"
                "  generate  write synthetic images per class\n"
                "  score     per-class quality scores of a generator\n"
                "  export    a generator model file of some of its classes\n");
        return argc < 2 ? 2 : 0;
    }
    char *name = g_strdup_printf("dermagan-cli gan %s", argv[1]);
    g_set_prgname(name);
    g_free(name);
    if (strcmp(argv[1], "train") == 0)
        return gan_train(argc - 1, argv + 1);
    if (strcmp(argv[1], "generate") == 0)
        return gan_generate(argc - 1, argv + 1);
    if (strcmp(argv[1], "score") == 0)
        return gan_score(argc - 1, argv + 1);
    if (strcmp(argv[1], "export") == 0)
        return gan_export(argc - 1, argv + 1);
    return cli_fail("unknown gan command '%s' (train, generate, score, export)", argv[1]);
}

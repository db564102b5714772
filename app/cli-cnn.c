/* dermagan-cli cnn train */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dist/dg-dist.h"
#include "cli-options.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-job-cnn.h"

static void set_str(char **dst, char *value)
{
    if (value) {
        g_free(*dst);
        *dst = value;
    }
}

static int cnn_train(int argc, char **argv)
{
    dg_cnn_train_config *c = dg_cnn_train_config_new();
    char *data = NULL, *out = NULL, *arch = NULL, *synthetic = NULL, *balance = NULL,
         *schedule = NULL, *cache = NULL, *teacher = NULL;
    int epochs = 0, steps = 0, batch = 0, threads = 0, width = 0, size = 0, color_p = 0;
    double ema = 0, cutmix = 0, color_shift = c->color_shift, distill = c->distill,
           distill_t = c->distill_temperature;
    gint64 seed = 1, split_seed = 1;
    double lr = 0, wd = -1, ls = -1, ratio = 0;
    gboolean resume = FALSE, json = FALSE, all = FALSE, follow = FALSE, no_aug = FALSE, aux = FALSE;
    GOptionEntry entries[] = {
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "Data set folder (HAM10000 or ImageFolder)", "PATH"},
        {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Run folder (checkpoint, best model, history)", "RUNDIR"},
        {"arch", 0, 0, G_OPTION_ARG_STRING, &arch, "seed, dermanet or mobile (default dermanet)", "NAME"},
        {"synthetic", 0, 0, G_OPTION_ARG_FILENAME, &synthetic, "ImageFolder of synthetic images to mix into training", "DIR"},
        {"balance", 0, 0, G_OPTION_ARG_STRING, &balance, "weights (class-weighted loss, default), sampler, logit-adjust (the logit-adjusted loss, Menon et al. 2021) or none", "HOW"},
        {"schedule", 0, 0, G_OPTION_ARG_STRING, &schedule, "cosine (default), step or constant", "NAME"},
        {"no-augment", 0, 0, G_OPTION_ARG_NONE, &no_aug, "Train without augmentation", NULL},
        {"resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Continue the run in RUNDIR from its checkpoint; the run's settings (data, split, seeds, architecture, optimizer, balancing, synthetic images, augmentation) must be the same, only --epochs/--steps and --threads may change (the schedule stretches to the new length)", NULL},
        {"all-classes", 0, 0, G_OPTION_ARG_NONE, &all, "HAM10000: all seven classes", NULL},
        {"follow-symlinks", 0, 0, G_OPTION_ARG_NONE, &follow, "Also read symlinks that lead out of the data set's folder", NULL},
        {"auxiliary-classes", 0, 0, G_OPTION_ARG_NONE, &aux, "HAM10000: also learn from nv, df and vasc; the model predicts the four task classes", NULL},
        {"cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache, "Decoded-image cache folder (\"\" for none)", "DIR"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON event per line on stdout", NULL},
        {"teacher", 0, 0, G_OPTION_ARG_FILENAME, &teacher, "Knowledge distillation: also learn a trained classifier's softened predictions (an ensemble made by cnn ensemble works; same image size and classes)", "MODEL"},
        {NULL}};
    cli_num nums[] = {
        {"distill", CLI_DOUBLE, &distill, 0, 1, "With --teacher: the share of the distillation loss (default 0.5)", "A", FALSE},
        {"distill-temperature", CLI_DOUBLE, &distill_t, 0.1, 100, "With --teacher: the softmax temperature of distillation (default 2)", "T", FALSE},
        {"synthetic-ratio", CLI_DOUBLE, &ratio, 0, 1, "Share of each batch from synthetic images (default: pooled with the real ones)", "F", FALSE},
        {"epochs", CLI_INT, &epochs, 1, DG_LIMIT_EPOCHS, "Epochs (default 40)", "N", FALSE},
        {"steps", CLI_INT, &steps, 1, DG_LIMIT_STEPS, "Total optimizer steps (overrides --epochs)", "N", FALSE},
        {"batch", CLI_INT, &batch, 1, DG_LIMIT_CNN_BATCH, "Batch size (default 64)", "N", FALSE},
        {"lr", CLI_DOUBLE, &lr, 1e-8, 1, "Peak learning rate, AdamW (default 0.002)", "LR", FALSE},
        {"weight-decay", CLI_DOUBLE, &wd, 0, 1, "Weight decay (default 0.0005)", "W", FALSE},
        {"label-smoothing", CLI_DOUBLE, &ls, 0, 0.5, "Label smoothing (default 0.1)", "E", FALSE},
        {"width", CLI_INT, &width, 4, DG_LIMIT_CNN_WIDTH, "Base channel width (default: the architecture's)", "N", FALSE},
        {"ema", CLI_DOUBLE, &ema, 0.5, 0.99999, "Validate and save a moving average of the weights with this decay (default: off)", "D", FALSE},
        {"cutmix", CLI_DOUBLE, &cutmix, 0, 1, "Share of batches mixed by CutMix (default 0: off)", "P", FALSE},
        {"color-shift", CLI_DOUBLE, &color_shift, 0, 4, "Also change every training image's colour balance, exposure and gamma at random with this strength, as evaluate --shift does (default 0.5, the shipped model's; 0: off)", "S", FALSE},
        {"color-constancy", CLI_INT, &color_p, 1, 16, "Shades of Gray colour constancy with this exponent on every input (default: off; 6 as the ISIC winners)", "P", FALSE},
        {"size", CLI_INT, &size, 32, 128, "Image side: 32, 64, 96 or 128 (default: the architecture's, 64)", "N", FALSE},
        {"seed", CLI_INT64, &seed, 0, DG_LIMIT_SEED, "Random seed (default 1)", "N", FALSE},
        {"split-seed", CLI_INT64, &split_seed, 0, DG_LIMIT_SEED, "Seed of the train/val/test split (default 1)", "N", FALSE},
        {"threads", CLI_INT, &threads, 1, DG_LIMIT_THREADS, "Threads (default: all cores)", "N", FALSE},
        {NULL}};
    GError *error = NULL;
    if (!cli_parse("- train a classifier on a data set's training split", entries, nums, &argc,
                   &argv, &error)) {
        dg_cnn_train_config_free(c);
        return cli_fail_error(error);
    }
    const gboolean kd_opts = cli_num_find(nums, "distill")->given ||
                             cli_num_find(nums, "distill-temperature")->given;
    if (!data || !out || (kd_opts && !teacher)) {
        g_free(data), g_free(out), g_free(arch), g_free(synthetic), g_free(balance);
        g_free(schedule), g_free(cache), g_free(teacher);
        dg_cnn_train_config_free(c);
        return cli_fail(!data || !out ? "cnn train needs --data PATH and --out RUNDIR"
                                      : "--distill and --distill-temperature need --teacher MODEL");
    }
    c->teacher = teacher;
    c->distill = distill;
    c->distill_temperature = distill_t;
    c->data = data;
    c->out = out;
    set_str(&c->arch, arch);
    set_str(&c->balance, balance);
    set_str(&c->schedule, schedule);
    c->synthetic = synthetic;
    c->synthetic_ratio = ratio;
    c->cache_dir = cache;
    if (cli_num_find(nums, "epochs")->given)
        c->epochs = epochs;
    c->steps = steps;
    if (cli_num_find(nums, "batch")->given)
        c->batch = batch;
    if (cli_num_find(nums, "lr")->given)
        c->lr = lr;
    if (cli_num_find(nums, "weight-decay")->given)
        c->weight_decay = wd;
    if (cli_num_find(nums, "label-smoothing")->given)
        c->label_smoothing = ls;
    c->augment = !no_aug;
    c->width = width;
    c->size = size;
    c->ema = ema;
    c->color_p = color_p;
    c->cutmix = cutmix;
    c->color_shift = color_shift;
    c->seed = (uint64_t)seed;
    c->split_seed = (uint64_t)split_seed;
    c->threads = cli_threads(threads);
    c->dist = dg_dist_world(); /* under mpirun or srun: the processes share the work */
    c->resume = resume;
    c->all_classes = all;
    c->follow_symlinks = follow;
    c->auxiliary = aux;
    return cli_run(&dg_job_cnn_train, c, json);
}

/* cnn calibrate (one model, --model) and cnn ensemble (the models given as
 * arguments, --out required): the same job and options. */
static int cnn_calibrate(int argc, char **argv, gboolean ensemble)
{
    dg_calibrate_config *c = dg_calibrate_config_new();
    char *model = NULL, *data = NULL, *out = NULL, *cache = NULL;
    gint64 split_seed = 1;
    int threads = 0;
    double keep = 0.95;
    gboolean json = FALSE, all = FALSE, follow = FALSE;
    GOptionEntry entries[] = {
        {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Classifier model (default: the bundled one)", "FILE"},
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "The data set the model(s) were trained on", "PATH"},
        {"out", 0, 0, G_OPTION_ARG_FILENAME, &out,
         ensemble ? "Write the ensemble here"
                  : "Write the calibrated model here (default: over --model; required without --model: the bundled model is never overwritten)",
         "FILE"},
        {"all-classes", 0, 0, G_OPTION_ARG_NONE, &all, "HAM10000: all seven classes", NULL},
        {"follow-symlinks", 0, 0, G_OPTION_ARG_NONE, &follow, "Also read symlinks that lead out of the data set's folder", NULL},
        {"cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache, "Decoded-image cache folder (\"\" for none)", "DIR"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "The calibration as one JSON document on stdout", NULL},
        {NULL}};
    cli_num nums[] = {
        {"split-seed", CLI_INT64, &split_seed, 0, DG_LIMIT_SEED, "Seed of the split used in training (default 1)", "N", FALSE},
        {"keep", CLI_DOUBLE, &keep, 0.5, 1, "Share of validation images the out-of-distribution threshold keeps (default 0.95)", "F", FALSE},
        {"threads", CLI_INT, &threads, 1, DG_LIMIT_THREADS, "Threads (default: all cores)", "N", FALSE},
        {NULL}};
    GError *error = NULL;
    if (!cli_parse(ensemble ? "MODEL MODEL... - one model that averages the logits of classifiers "
                              "trained alike (e.g. with other seeds), calibrated on the validation split"
                            : "- fit a classifier's temperature, logit adjustment and out-of-distribution "
                              "threshold on the validation split, and record its training images",
                   ensemble ? entries + 1 : entries, nums, &argc, &argv, &error)) {
        dg_calibrate_config_free(c);
        return cli_fail_error(error);
    }
    if (!data || (ensemble && (!out || argc < 3))) {
        g_free(model), g_free(data), g_free(out), g_free(cache);
        dg_calibrate_config_free(c);
        return cli_fail(ensemble ? "cnn ensemble needs --data PATH, --out FILE and at least two model files"
                                 : "cnn calibrate needs --data PATH (the data set the model was trained on)");
    }
    if (ensemble) {
        c->members = g_new0(char *, argc);
        for (int i = 1; i < argc; i++)
            c->members[i - 1] = g_strdup(argv[i]);
    }
    c->model = model;
    c->data = data;
    c->out = out;
    c->split_seed = (uint64_t)split_seed;
    c->keep = keep;
    c->threads = threads;
    c->all_classes = all;
    c->follow_symlinks = follow;
    c->cache_dir = cache;
    return cli_run_results(&dg_job_cnn_calibrate, c, json, NULL);
}

int cli_cnn(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(argc < 2 ? stderr : stdout,
                "Usage: dermagan-cli cnn COMMAND [OPTIONS]\n\n"
                "  train     train a classifier on a data set's training split\n"
                "  calibrate fit its temperature, logit adjustment and out-of-distribution\n"
                "            threshold on the validation split\n"
                "  ensemble  one model averaging several trained alike, calibrated\n\n"
                "See also: dermagan-cli evaluate, predict, ablation.\n");
        return argc < 2 ? 2 : 0;
    }
    char *name = g_strdup_printf("dermagan-cli cnn %s", argv[1]);
    g_set_prgname(name);
    g_free(name);
    if (strcmp(argv[1], "train") == 0)
        return cnn_train(argc - 1, argv + 1);
    if (strcmp(argv[1], "calibrate") == 0)
        return cnn_calibrate(argc - 1, argv + 1, FALSE);
    if (strcmp(argv[1], "ensemble") == 0)
        return cnn_calibrate(argc - 1, argv + 1, TRUE);
    return cli_fail("unknown cnn command '%s' (train, calibrate, ensemble)", argv[1]);
}

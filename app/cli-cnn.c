/* dermagan-cli cnn train */
#include <stdio.h>
#include <string.h>

#include "cli.h"
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
         *schedule = NULL, *cache = NULL;
    int epochs = 0, steps = 0, batch = 0, threads = 0, width = 0;
    gint64 seed = 1, split_seed = 1;
    double lr = 0, wd = -1, ls = -1, ratio = 0;
    gboolean resume = FALSE, json = FALSE, all = FALSE, no_aug = FALSE, aux = FALSE;
    GOptionEntry entries[] = {
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "Data set folder (HAM10000 or ImageFolder)", "PATH"},
        {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Run folder (checkpoint, best model, history)", "RUNDIR"},
        {"arch", 0, 0, G_OPTION_ARG_STRING, &arch, "seed, dermanet or mobile (default dermanet)", "NAME"},
        {"synthetic", 0, 0, G_OPTION_ARG_FILENAME, &synthetic, "ImageFolder of synthetic images to mix into training", "DIR"},
        {"synthetic-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &ratio, "Share of each batch from synthetic images (default: pooled with the real ones)", "F"},
        {"epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Epochs (default 40)", "N"},
        {"steps", 0, 0, G_OPTION_ARG_INT, &steps, "Total optimizer steps (overrides --epochs)", "N"},
        {"batch", 0, 0, G_OPTION_ARG_INT, &batch, "Batch size (default 64)", "N"},
        {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Peak learning rate, AdamW (default 0.002)", "LR"},
        {"weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &wd, "Weight decay (default 0.0005)", "W"},
        {"label-smoothing", 0, 0, G_OPTION_ARG_DOUBLE, &ls, "Label smoothing (default 0.1)", "E"},
        {"balance", 0, 0, G_OPTION_ARG_STRING, &balance, "weights (class-weighted loss, default), sampler or none", "HOW"},
        {"schedule", 0, 0, G_OPTION_ARG_STRING, &schedule, "cosine (default), step or constant", "NAME"},
        {"no-augment", 0, 0, G_OPTION_ARG_NONE, &no_aug, "Train without augmentation", NULL},
        {"width", 0, 0, G_OPTION_ARG_INT, &width, "Base channel width (default: the architecture's)", "N"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 1)", "N"},
        {"split-seed", 0, 0, G_OPTION_ARG_INT64, &split_seed, "Seed of the train/val/test split (default 1)", "N"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads (default: all cores)", "N"},
        {"resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Continue the run in RUNDIR from its checkpoint", NULL},
        {"all-classes", 0, 0, G_OPTION_ARG_NONE, &all, "HAM10000: all seven classes", NULL},
        {"auxiliary-classes", 0, 0, G_OPTION_ARG_NONE, &aux, "HAM10000: also learn from nv, df and vasc; the model predicts the four task classes", NULL},
        {"cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache, "Decoded-image cache folder (\"\" for none)", "DIR"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON event per line on stdout", NULL},
        {NULL}};
    GOptionContext *oc = g_option_context_new("- train a classifier on a data set's training split");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &error)) {
        g_option_context_free(oc);
        dg_cnn_train_config_free(c);
        return cli_fail_error(error);
    }
    g_option_context_free(oc);
    if (!data || !out) {
        g_free(data), g_free(out), g_free(arch), g_free(synthetic), g_free(balance);
        g_free(schedule), g_free(cache);
        dg_cnn_train_config_free(c);
        return cli_fail("cnn train needs --data PATH and --out RUNDIR");
    }
    c->data = data;
    c->out = out;
    set_str(&c->arch, arch);
    set_str(&c->balance, balance);
    set_str(&c->schedule, schedule);
    c->synthetic = synthetic;
    c->synthetic_ratio = ratio;
    c->cache_dir = cache;
    if (epochs > 0)
        c->epochs = epochs;
    c->steps = steps;
    if (batch > 0)
        c->batch = batch;
    if (lr > 0)
        c->lr = lr;
    if (wd >= 0)
        c->weight_decay = wd;
    if (ls >= 0)
        c->label_smoothing = ls;
    c->augment = !no_aug;
    c->width = width;
    c->seed = (uint64_t)seed;
    c->split_seed = (uint64_t)split_seed;
    c->threads = threads;
    c->resume = resume;
    c->all_classes = all;
    c->auxiliary = aux;
    cli_job_sink *sink = cli_job_sink_new(json);
    dg_job *job = dg_job_new(&dg_job_cnn_train, c, cli_job_events, sink);
    int rc = cli_run_job(job, json);
    dg_job_free(job);
    cli_job_sink_free(sink);
    return rc;
}

int cli_cnn(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(argc < 2 ? stderr : stdout,
                "Usage: dermagan-cli cnn COMMAND [OPTIONS]\n\n"
                "  train     train a classifier on a data set's training split\n\n"
                "See also: dermagan-cli evaluate, predict, ablation.\n");
        return argc < 2 ? 2 : 0;
    }
    g_set_prgname("dermagan-cli cnn train");
    if (strcmp(argv[1], "train") == 0)
        return cnn_train(argc - 1, argv + 1);
    return cli_fail("unknown cnn command '%s' (train)", argv[1]);
}

/* dermagan-cli ablation */
#include <stdio.h>

#include "cli.h"
#include "dist/dg-dist.h"
#include "cli-options.h"
#include "jobs/dg-limits.h"
#include "jobs/dg-job-cnn.h"

int cli_ablation(int argc, char **argv)
{
    dg_ablation_config *c = dg_ablation_config_new();
    char *data = NULL, *out = NULL, *arch = NULL, *gen = NULL, *cache = NULL, *protos = NULL;
    int seeds = 0, epochs = 0, threads = 0;
    double color_shift = c->color_shift;
    gint64 split_seed = 1;
    gboolean json = FALSE, all = FALSE, follow = FALSE;
    GOptionEntry entries[] = {
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "Data set folder (HAM10000 or ImageFolder)", "PATH"},
        {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Output folder (runs, ablation.json, report.md, plots)", "DIR"},
        {"protocols", 0, 0, G_OPTION_ARG_STRING, &protos, "Ways of using synthetic images, each an arm beside real only: balance, share, pretrain, filter (default: all four)", "LIST"},
        {"arch", 0, 0, G_OPTION_ARG_STRING, &arch, "Classifier architecture (default dermanet)", "NAME"},
        {"generator", 0, 0, G_OPTION_ARG_FILENAME, &gen, "Generator model (default: the bundled one)", "FILE"},
        {"all-classes", 0, 0, G_OPTION_ARG_NONE, &all, "HAM10000: all seven classes", NULL},
        {"follow-symlinks", 0, 0, G_OPTION_ARG_NONE, &follow, "Also read symlinks that lead out of the data set's folder", NULL},
        {"cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache, "Decoded-image cache folder (\"\" for none)", "DIR"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON event per line on stdout", NULL},
        {NULL}};
    cli_num nums[] = {
        {"seeds", CLI_INT, &seeds, 1, DG_LIMIT_SEEDS, "Seeds per arm (default 5)", "K", FALSE},
        {"epochs", CLI_INT, &epochs, 1, DG_LIMIT_EPOCHS, "Epochs of the real training split that set both arms' step budget (default 40)", "N", FALSE},
        {"color-shift", CLI_DOUBLE, &color_shift, 0, 4, "Every arm's trainings change each training image's colour balance, exposure and gamma at random with this strength, as cnn train --color-shift (default 0.5, as cnn train; 0: off, as the ablations before 2026-12-08)", "S", FALSE},
        {"split-seed", CLI_INT64, &split_seed, 0, DG_LIMIT_SEED, "Seed of the split (must be the generator's; default 1)", "N", FALSE},
        {"threads", CLI_INT, &threads, 1, DG_LIMIT_THREADS, "Threads (default: all cores)", "N", FALSE},
        {NULL}};
    GError *error = NULL;
    if (!cli_parse("- real only vs each way of adding synthetic images, same steps and seeds (re-run to resume)", entries, nums, &argc, &argv, &error)) {
        dg_ablation_config_free(c);
        return cli_fail_error(error);
    }
    if (!data || !out) {
        g_free(data), g_free(out), g_free(arch), g_free(gen), g_free(cache), g_free(protos);
        dg_ablation_config_free(c);
        return cli_fail("ablation needs --data PATH and --out DIR");
    }
    c->data = data;
    c->out = out;
    if (arch) {
        g_free(c->arch);
        c->arch = arch;
    }
    c->generator = gen;
    if (protos) {
        g_free(c->protocols);
        c->protocols = protos;
    }
    if (seeds > 0)
        c->seeds = seeds;
    if (epochs > 0)
        c->epochs = epochs;
    c->color_shift = color_shift;
    c->split_seed = (uint64_t)split_seed;
    c->all_classes = all;
    c->follow_symlinks = follow;
    c->threads = cli_threads(threads);
    c->dist = dg_dist_world(); /* under mpirun or srun: the processes share the work */
    c->cache_dir = cache;
    char *report = g_build_filename(out, "report.md", NULL); /* (the job frees c and out) */
    int rc = cli_run(&dg_job_ablation, c, json);
    if (rc == 0 && !json && dg_dist_is_root(dg_dist_world()))
        fprintf(stderr, "report: %s\n", report);
    g_free(report);
    return rc;
}

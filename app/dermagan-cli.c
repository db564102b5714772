/* dermagan-cli: every DermaGAN job, headless. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dist/dg-dist.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"dataset", cli_dataset, "inspect and split a data set (info, split)"},
    {"gan", cli_gan, "train a GAN, generate synthetic images, score them (train, generate, score)"},
    {"cnn", cli_cnn, "train a classifier (train)"},
    {"evaluate", cli_evaluate, "evaluate a classifier on a data set"},
    {"predict", cli_predict, "classify images, optionally with a saliency map"},
    {"ablation", cli_ablation, "real-only vs real+synthetic training over several seeds"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: dermagan-cli COMMAND [ARGS...]\n\nCommands:\n");
    for (size_t i = 0; commands[i].name; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'dermagan-cli COMMAND --help' for a command's options.\n");
}

/* The commands that run over several MPI processes: the trainings (one model
 * together) and the ablation (its trainings shared out). */
static gboolean distributed(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "ablation") == 0)
        return TRUE;
    return argc >= 3 && (strcmp(argv[1], "gan") == 0 || strcmp(argv[1], "cnn") == 0) &&
           strcmp(argv[2], "train") == 0;
}

/* --help, -h or --version anywhere: only prints. */
static gboolean asks_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "help") == 0)
            return TRUE;
    return FALSE;
}

static int run(int argc, char **argv);

/* Standard streams the caller closed (>&-): a read-only /dev/null takes
 * their place, so that no file a job opens becomes stdout or stderr (a
 * checkpoint with progress lines in it), and writes to them still fail
 * (EBADF), as on a closed descriptor. */
static void guard_standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (nfd >= 0 && nfd != fd) {
            dup3(nfd, fd, 0);
            close(nfd);
        } else if (nfd == fd) {
            fcntl(fd, F_SETFD, 0); /* inherited as the closed one would not be: harmless */
        }
    }
}

/* Whether everything written on stdout got there (a full disk, a closed
 * stdout, a file system error): flushed, no write failed, closed.  When not,
 * says so on stderr and returns 1 (or rc when it is already a failure). */
static int finish_stdout(int rc)
{
    int err = cli_stdout_errno();
    if (fflush(stdout) != 0 && !err)
        err = errno;
    const gboolean failed = ferror(stdout) != 0;
    if (fclose(stdout) != 0 && !err)
        err = errno;
    if (!failed && !err)
        return rc;
    fprintf(stderr, "dermagan-cli: writing the output failed: %s\n",
            err ? g_strerror(err) : "a write to standard output failed");
    return rc != 0 ? rc : 1;
}

int main(int argc, char **argv)
{
    guard_standard_fds();
    setlocale(LC_ALL, "");
    g_set_prgname("dermagan-cli");
    /* MPI, when started by mpirun or srun (nothing otherwise) */
    GError *error = NULL;
    if (!dg_dist_init(&argc, &argv, &error)) {
        int rc = cli_fail_error(error);
        dg_dist_finalize();
        return rc;
    }
    int rc;
    if (dg_dist_world() && !distributed(argc, argv) && !asks_help(argc, argv))
        rc = cli_fail("under MPI only 'gan train', 'cnn train' and 'ablation' run (over %d "
                      "processes); run other commands as one process",
                      dg_dist_size(dg_dist_world()));
    else
        rc = run(argc, argv);
    dg_dist_finalize();
    return finish_stdout(rc);
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("dermagan-cli %s\n", DG_VERSION);
        return 0;
    }
    for (size_t i = 0; commands[i].name; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            /* "Usage: dermagan-cli predict [OPTION...]" in a command's --help */
            char *name = g_strdup_printf("dermagan-cli %s", commands[i].name);
            g_set_prgname(name);
            g_free(name);
            return commands[i].run(argc - 1, argv + 1);
        }
    fprintf(stderr, "dermagan-cli: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

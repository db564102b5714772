/* cli-options.h: numeric options with a stated range.
 *
 * Every number dermagan-cli takes has a range, shown in --help; a value
 * outside it (or not a number, or NaN/Inf) is an error naming the range,
 * never silently replaced by a default. */
#pragma once
#include <glib.h>

typedef enum { CLI_INT, CLI_INT64, CLI_DOUBLE } cli_num_kind;

typedef struct {
    const char *name;  /* long option name, without "--"; NULL ends a table */
    cli_num_kind kind;
    void *dest;        /* int *, gint64 * or double *; left alone unless given */
    double lo, hi;     /* inclusive range */
    const char *help;  /* description (the range is appended) */
    const char *arg;   /* e.g. "N" */
    gboolean given;    /* set when the option was on the command line */
} cli_num;

/* Parses argv: the plain entries (strings, flags; NULL-terminated) and the
 * numbers (a table ended by {NULL}).  FALSE + error (one line, naming the
 * option and its range) on a bad value; --help prints both kinds. */
gboolean cli_parse(const char *parameter_string, const GOptionEntry *entries, cli_num *nums,
                   int *argc, char ***argv, GError **error);
/* The entry of a table by name (NULL if absent). */
const cli_num *cli_num_find(const cli_num *nums, const char *name);

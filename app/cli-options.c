#include "cli-options.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *format_bound(cli_num_kind kind, double v)
{
    if (kind != CLI_DOUBLE)
        return v >= 9.2e18 ? g_strdup("9223372036854775807") : g_strdup_printf("%.0f", v);
    return g_strdup_printf("%g", v);
}

/* What the options' callbacks share: the numbers, and the text options
 * (G_OPTION_ARG_STRING entries, which cli_parse takes as callbacks) with the
 * value each had before the parse, restored when it fails (as GOption does). */
typedef struct {
    cli_num *nums;
    const GOptionEntry *entries;
    int n_entries;
    char **before; /* per entry: its value before the parse */
    gboolean *set; /* per entry: given on this command line */
} parse_state;

/* A value as it can be shown in a one-line message (valid UTF-8). */
static char *shown(const char *value)
{
    return g_utf8_make_valid(value, -1);
}

/* A text option (--sex, --arch...): GOption would convert it from the
 * locale's encoding and fail with a bare "Invalid byte sequence in
 * conversion input"; here the error names the option.  (Options that take
 * a file name are G_OPTION_ARG_FILENAME: any bytes, as the file system.) */
static gboolean parse_text(const char *option_name, const char *value, gpointer data,
                           GError **error)
{
    parse_state *st = data;
    const char *name = option_name;
    while (*name == '-')
        name++;
    int i = 0;
    while (i < st->n_entries && strcmp(st->entries[i].long_name, name) != 0)
        i++;
    if (i == st->n_entries) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unknown option %s", option_name);
        return FALSE;
    }
    GError *e = NULL;
    char *text = g_locale_to_utf8(value, -1, NULL, NULL, &e);
    if (!text) {
        g_autofree char *v = shown(value);
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--%s: '%s' is not valid text (%s)", name, v, e->message);
        g_error_free(e);
        return FALSE;
    }
    char **dest = st->entries[i].arg_data;
    if (st->set[i])
        g_free(*dest); /* given twice: the last one counts */
    else
        st->before[i] = *dest;
    st->set[i] = TRUE;
    *dest = text;
    return TRUE;
}

static gboolean parse_number(const char *option_name, const char *value, gpointer data,
                             GError **error)
{
    cli_num *nums = ((parse_state *)data)->nums;
    const char *name = option_name;
    while (*name == '-')
        name++;
    cli_num *n = (cli_num *)cli_num_find(nums, name);
    if (!n) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unknown option %s", option_name);
        return FALSE;
    }
    char *lo = format_bound(n->kind, n->lo), *hi = format_bound(n->kind, n->hi);
    gboolean ok = FALSE;
    char *end = NULL;
    errno = 0;
    if (n->kind == CLI_DOUBLE) {
        double v = g_ascii_strtod(value, &end);
        if (end != value && *end == '\0' && errno == 0 && isfinite(v) && v >= n->lo && v <= n->hi) {
            *(double *)n->dest = v;
            ok = TRUE;
        }
    } else {
        gint64 v = g_ascii_strtoll(value, &end, 10);
        if (end != value && *end == '\0' && errno == 0 && (double)v >= n->lo &&
            (double)v <= n->hi) {
            if (n->kind == CLI_INT)
                *(int *)n->dest = (int)v;
            else
                *(gint64 *)n->dest = v;
            ok = TRUE;
        }
    }
    if (ok) {
        n->given = TRUE;
    } else {
        g_autofree char *v = shown(value);
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--%s: '%s' is not %s from %s to %s", n->name, v,
                    n->kind == CLI_DOUBLE ? "a number" : "a whole number", lo, hi);
    }
    g_free(lo);
    g_free(hi);
    return ok;
}

const cli_num *cli_num_find(const cli_num *nums, const char *name)
{
    for (const cli_num *n = nums; n && n->name; n++)
        if (strcmp(n->name, name) == 0)
            return n;
    return NULL;
}

gboolean cli_parse(const char *parameter_string, const GOptionEntry *entries, cli_num *nums,
                   int *argc, char ***argv, GError **error)
{
    int n_plain = 0, n_nums = 0;
    while (entries && entries[n_plain].long_name)
        n_plain++;
    while (nums && nums[n_nums].name)
        n_nums++;
    GOptionEntry *all = g_new0(GOptionEntry, n_plain + n_nums + 1);
    GPtrArray *strings = g_ptr_array_new_with_free_func(g_free);
    parse_state st = {nums, entries, n_plain, g_new0(char *, n_plain + 1),
                      g_new0(gboolean, n_plain + 1)};
    /* plain entries first, the numbers in their table order; the remaining
     * arguments (G_OPTION_REMAINING) last, as GOption wants.  Every value
     * reaches the callbacks as given (G_OPTION_FLAG_FILENAME: no conversion
     * by GOption), so that a wrong one is an error naming its option. */
    int k = 0;
    for (int i = 0; i < n_plain; i++) {
        if (strcmp(entries[i].long_name, G_OPTION_REMAINING) == 0)
            continue;
        all[k] = entries[i];
        if (entries[i].arg == G_OPTION_ARG_STRING) {
            all[k].arg = G_OPTION_ARG_CALLBACK;
            all[k].flags |= G_OPTION_FLAG_FILENAME;
            all[k].arg_data = (gpointer)parse_text;
        }
        k++;
    }
    for (int i = 0; i < n_nums; i++) {
        cli_num *n = &nums[i];
        n->given = FALSE;
        char *lo = format_bound(n->kind, n->lo), *hi = format_bound(n->kind, n->hi);
        char *desc = g_strdup_printf("%s [%s to %s]", n->help, lo, hi);
        g_free(lo), g_free(hi);
        g_ptr_array_add(strings, desc);
        all[k++] = (GOptionEntry){n->name, 0, G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK,
                                  (gpointer)parse_number, desc, n->arg};
    }
    for (int i = 0; i < n_plain; i++)
        if (strcmp(entries[i].long_name, G_OPTION_REMAINING) == 0)
            all[k++] = entries[i];
    GOptionContext *oc = g_option_context_new(parameter_string);
    GOptionGroup *main_group = g_option_group_new(NULL, NULL, NULL, &st, NULL);
    g_option_group_add_entries(main_group, all);
    g_option_context_set_main_group(oc, main_group);
    gboolean ok = g_option_context_parse(oc, argc, argv, error);
    /* GOption restores its own entries' values on an error; the text
     * options' too */
    for (int i = 0; !ok && i < n_plain; i++)
        if (st.set[i]) {
            g_free(*(char **)entries[i].arg_data);
            *(char **)entries[i].arg_data = st.before[i];
        }
    /* a command whose usage names no arguments ("- what it does") and that
     * collects none takes none: a stray word is a mistake (a model path
     * given without --model, say), not something to ignore */
    gboolean remaining = FALSE;
    for (int i = 0; i < n_plain; i++)
        remaining = remaining || strcmp(entries[i].long_name, G_OPTION_REMAINING) == 0;
    if (ok && !remaining && parameter_string[0] == '-' && *argc > 1) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "unexpected argument '%s' (options take the form --name VALUE; try --help)",
                    (*argv)[1]);
        ok = FALSE;
        /* as GOption does on its own errors: the parsed strings are freed
         * (callers free them only after a successful parse) */
        for (int i = 0; i < n_plain; i++) {
            if (entries[i].arg == G_OPTION_ARG_STRING || entries[i].arg == G_OPTION_ARG_FILENAME)
                g_clear_pointer((char **)entries[i].arg_data, g_free);
            else if (entries[i].arg == G_OPTION_ARG_STRING_ARRAY ||
                     entries[i].arg == G_OPTION_ARG_FILENAME_ARRAY)
                g_clear_pointer((char ***)entries[i].arg_data, g_strfreev);
        }
    }
    g_option_context_free(oc);
    g_free(st.before);
    g_free(st.set);
    g_ptr_array_unref(strings);
    g_free(all);
    return ok;
}

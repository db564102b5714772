/* dg-ham-metadata.c: HAM10000_metadata.csv, read into the rows a data set
 * loads, with every row it does not load either skipped (a problem) or left
 * out (a class not asked for).
 *
 * Problems are grouped by what is wrong: a count and the first few lines of
 * each kind, so that a CSV of a million bad rows makes a few lines of
 * report, not a million. */
#include "dg-data-private.h"

#include <gio/gio.h>
#include <string.h>

typedef struct {
    char *what;     /* "unknown dx code", ... */
    int count;
    GString *lines; /* "5 (xyz), 9 (foo)": the first DG_SKIP_LINES_SHOWN rows */
} row_group;

static void row_group_free(row_group *g)
{
    g_free(g->what);
    g_string_free(g->lines, TRUE);
    g_free(g);
}

static void row_group_free_notify(gpointer g)
{
    row_group_free(g);
}

GPtrArray *dg_row_groups_new(void)
{
    return g_ptr_array_new_with_free_func(row_group_free_notify);
}

/* A CSV value for a report: UTF-8 (else NULL), control characters
 * replaced, at most 32 characters. */
static char *short_value(const char *s)
{
    if (!s || !g_utf8_validate(s, -1, NULL))
        return NULL;
    GString *out = g_string_new(NULL);
    int n = 0;
    for (const char *p = s; *p; p = g_utf8_next_char(p), n++) {
        if (n == 32) {
            g_string_append(out, "\xe2\x80\xa6"); /* ... */
            break;
        }
        gunichar c = g_utf8_get_char(p);
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
            g_string_append_unichar(out, 0xFFFD);
        else
            g_string_append_len(out, p, g_utf8_next_char(p) - p);
    }
    return g_string_free(out, FALSE);
}

/* The groups are few: a linear search does. */
void dg_row_group_add(GPtrArray *groups, const char *what, int line, const char *detail)
{
    row_group *g = NULL;
    for (guint i = 0; i < groups->len && !g; i++)
        if (strcmp(((row_group *)groups->pdata[i])->what, what) == 0)
            g = groups->pdata[i];
    if (!g) {
        g = g_new0(row_group, 1);
        g->what = g_strdup(what);
        g->lines = g_string_new(NULL);
        g_ptr_array_add(groups, g);
    }
    if (g->count < DG_SKIP_LINES_SHOWN) {
        g_autofree char *d = short_value(detail);
        g_string_append_printf(g->lines, "%s%d", g->count ? ", " : "", line);
        if (d)
            g_string_append_printf(g->lines, " (%s)", d);
    }
    g->count++;
}

/* "unknown dx code: 7 rows, lines 5 (xyz), 9, 12, 13, 20 and 2 more". */
static char *row_group_text(const row_group *g)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s: %d row%s, line%s %s", g->what, g->count,
                           g->count == 1 ? "" : "s", g->count == 1 ? "" : "s", g->lines->str);
    if (g->count > DG_SKIP_LINES_SHOWN)
        g_string_append_printf(s, " and %d more", g->count - DG_SKIP_LINES_SHOWN);
    return g_string_free(s, FALSE);
}

void dg_row_groups_to_skips(GPtrArray *groups, const char *csv_display, GPtrArray *skipped)
{
    for (guint i = 0; i < groups->len; i++) {
        const row_group *g = groups->pdata[i];
        dg_skip *k = g_new0(dg_skip, 1);
        k->path = g_strdup(csv_display);
        k->reason = row_group_text(g);
        k->rows = g->count;
        g_ptr_array_add(skipped, k);
    }
}

void dg_ham_row_free(dg_ham_row *row)
{
    if (!row)
        return;
    g_free(row->lesion_id);
    g_free(row->image_id);
    g_free(row->dx);
    g_free(row);
}

static void ham_row_free_notify(gpointer row)
{
    dg_ham_row_free(row);
}

void dg_ham_metadata_init(dg_ham_metadata *m)
{
    memset(m, 0, sizeof *m);
    m->rows = g_ptr_array_new_with_free_func(ham_row_free_notify);
    m->skipped = g_ptr_array_new_with_free_func(dg_skip_free_notify);
    m->warnings = g_ptr_array_new_with_free_func(g_free);
    m->all_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

void dg_ham_metadata_clear(dg_ham_metadata *m)
{
    g_clear_pointer(&m->rows, g_ptr_array_unref);
    g_clear_pointer(&m->skipped, g_ptr_array_unref);
    g_clear_pointer(&m->warnings, g_ptr_array_unref);
    g_clear_pointer(&m->all_ids, g_hash_table_unref);
    g_clear_pointer(&m->left_out, g_free);
}

static char *trimmed(const char *s)
{
    return g_strstrip(g_strdup(s));
}

static gboolean has_control_chars(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return TRUE;
    return FALSE;
}

static const char *const ham_columns[3] = {"lesion_id", "image_id", "dx"};

/* A patient field's value, trimmed, or "" when it is absent, not UTF-8,
 * has control characters or does not fit. */
static void patient_text(const dg_csv_record *rec, int col, char *out, gsize size)
{
    out[0] = '\0';
    if (col < 0 || col >= rec->n_fields)
        return;
    g_autofree char *v = trimmed(rec->fields[col]);
    if (!g_utf8_validate(v, -1, NULL) || has_control_chars(v) || strlen(v) >= size)
        return;
    g_strlcpy(out, v, size);
}

/* HAM10000's optional columns age, sex and localization. */
static void patient_fields(const dg_csv_record *rec, const int col[3], dg_item_patient *p)
{
    char age[32];
    patient_text(rec, col[0], age, sizeof age);
    char *end = NULL;
    double a = age[0] ? g_ascii_strtod(age, &end) : -1.0;
    p->has_age = end && end != age && *end == '\0' && a >= 0 && a <= 120;
    p->age = p->has_age ? (float)a : 0.0f;
    patient_text(rec, col[1], p->sex, sizeof p->sex);
    patient_text(rec, col[2], p->site, sizeof p->site);
}

/* What is wrong with the three used fields of a row (NULL: nothing), and
 * which value to show beside its line. */
static const char *check_ids(char *const v[3], const char **detail, char *buf, gsize bufsize)
{
    *detail = NULL;
    for (int k = 0; k < 3; k++) {
        if (!g_utf8_validate(v[k], -1, NULL)) {
            g_snprintf(buf, bufsize, "invalid UTF-8 in %s", ham_columns[k]);
            return buf;
        }
    }
    for (int k = 1; k < 3; k++) {
        if (!v[k][0]) {
            g_snprintf(buf, bufsize, "empty %s", ham_columns[k]);
            return buf;
        }
    }
    for (int k = 0; k < 3; k++) {
        if (strlen(v[k]) > DG_HAM_MAX_ID) {
            g_snprintf(buf, bufsize, "%s longer than %d bytes", ham_columns[k], DG_HAM_MAX_ID);
            return buf;
        }
        /* An image_id becomes part of a file name. */
        if (has_control_chars(v[k]) ||
            (k == 1 && (strchr(v[k], '/') || strchr(v[k], '\\') || v[k][0] == '.'))) {
            g_snprintf(buf, bufsize, "invalid characters in %s", ham_columns[k]);
            *detail = v[k];
            return buf;
        }
    }
    return NULL;
}

/* Counts the rows of classes not asked for (left_out[k]: rows of
 * dg_known_classes[k]) and says which in m->left_out. */
static void note_left_out(dg_ham_metadata *m, const int *left_out)
{
    GString *classes = g_string_new(NULL);
    int n_classes = 0;
    for (int i = 0; i < DG_N_KNOWN_CLASSES; i++) {
        if (!left_out[i])
            continue;
        m->n_left_out += left_out[i];
        g_string_append_printf(classes, "%s%s", n_classes++ ? ", " : "", dg_known_classes[i].id);
    }
    if (m->n_left_out > 0)
        m->left_out = g_strdup_printf("left out: %d row%s of class%s %s (use --all-classes)",
                                      m->n_left_out, m->n_left_out == 1 ? "" : "s",
                                      n_classes == 1 ? "" : "es", classes->str);
    g_string_free(classes, TRUE);
}

gboolean dg_ham_parse_metadata(const char *data, gsize len, const char *csv_display,
                               gboolean all_classes, dg_ham_metadata *m, GError **error)
{
    g_autoptr(dg_csv) csv = dg_csv_new(data, len);
    dg_csv_record rec;
    if (!dg_csv_next(csv, &rec)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is empty", csv_display);
        return FALSE;
    }
    if (rec.error) { /* (its columns could not be read: say why, not which is missing) */
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: the header (line %d) is malformed (%s)", csv_display, rec.line, rec.error);
        return FALSE;
    }
    int col[3];
    for (int i = 0; i < 3; i++) {
        col[i] = dg_csv_column(&rec, ham_columns[i]);
        if (col[i] < 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "%s: the header (line %d) has no %s column", csv_display, rec.line,
                        ham_columns[i]);
            return FALSE;
        }
    }
    int need = MAX(col[0], MAX(col[1], col[2])) + 1;
    const int pcol[3] = {dg_csv_column(&rec, "age"), dg_csv_column(&rec, "sex"),
                         dg_csv_column(&rec, "localization")};
    /* image_id -> line of its first row. */
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) problems = dg_row_groups_new();
    g_autoptr(GPtrArray) notes = dg_row_groups_new();
    int left_out[DG_N_KNOWN_CLASSES] = {0};
    char what[96];
    while (dg_csv_next(csv, &rec)) {
        if (++m->n_rows > dg_data_limits_in_use.max_files) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                        "%s: more than %d rows, over the limit for a data set", csv_display,
                        dg_data_limits_in_use.max_files);
            g_ptr_array_set_size(m->rows, 0);
            return FALSE;
        }
        if (col[1] < rec.n_fields && rec.fields[col[1]][0])
            g_hash_table_add(m->all_ids, trimmed(rec.fields[col[1]]));
        if (rec.error) {
            g_snprintf(what, sizeof what, "malformed row (%s)", rec.error);
            dg_row_group_add(problems, what, rec.line, NULL);
            continue;
        }
        if (rec.n_fields < need) {
            g_snprintf(what, sizeof what, "malformed row (expected at least %d fields)", need);
            dg_row_group_add(problems, what, rec.line, NULL);
            continue;
        }
        g_autofree char *lesion = trimmed(rec.fields[col[0]]);
        g_autofree char *image = trimmed(rec.fields[col[1]]);
        g_autofree char *dx = trimmed(rec.fields[col[2]]);
        char *const v[3] = {lesion, image, dx};
        const char *detail;
        const char *bad = check_ids(v, &detail, what, sizeof what);
        if (bad) {
            dg_row_group_add(problems, bad, rec.line, detail);
            continue;
        }
        gpointer first = g_hash_table_lookup(seen, image);
        if (first) {
            g_autofree char *d =
                g_strdup_printf("%s, first on line %d", image, GPOINTER_TO_INT(first));
            dg_row_group_add(problems, "duplicate image_id", rec.line, d);
            continue;
        }
        g_hash_table_insert(seen, g_strdup(image), GINT_TO_POINTER(rec.line));
        int known = dg_known_class_index(dx);
        if (known < 0) {
            dg_row_group_add(problems, "unknown dx code", rec.line, dx);
            continue;
        }
        if (!all_classes && !dg_known_classes[known].task) {
            left_out[known]++;
            continue;
        }
        dg_ham_row *row = g_new0(dg_ham_row, 1);
        /* Without a lesion_id an image is its own group (noted). */
        if (!lesion[0])
            dg_row_group_add(notes, "no lesion_id (each such image is its own lesion in the split)",
                          rec.line, image);
        row->lesion_id = lesion[0] ? g_steal_pointer(&lesion) : g_strdup(image);
        row->image_id = g_steal_pointer(&image);
        row->dx = g_steal_pointer(&dx);
        row->line = rec.line;
        patient_fields(&rec, pcol, &row->patient);
        g_ptr_array_add(m->rows, row);
    }
    dg_row_groups_to_skips(problems, csv_display, m->skipped);
    for (guint i = 0; i < notes->len; i++)
        g_ptr_array_add(m->warnings, row_group_text(notes->pdata[i]));
    note_left_out(m, left_out);
    return TRUE;
}

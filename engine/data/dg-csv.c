/* dg-csv.c: see dg-csv.h. */
#include "dg-csv.h"

#include <string.h>

struct dg_csv {
    const char *data;
    gsize len, pos;
    int line;  /* current line (1-based) */
    int index; /* records returned so far */
    /* The current record: field text, NUL-separated, and field offsets. */
    GString *text;
    GArray *offsets; /* of gsize */
    GPtrArray *fields;
};

dg_csv *dg_csv_new(const char *data, gsize len)
{
    dg_csv *csv = g_new0(dg_csv, 1);
    csv->data = data;
    csv->len = data ? len : 0;
    csv->line = 1;
    if (csv->len >= 3 && memcmp(csv->data, "\xEF\xBB\xBF", 3) == 0)
        csv->pos = 3;
    csv->text = g_string_sized_new(256);
    csv->offsets = g_array_new(FALSE, FALSE, sizeof(gsize));
    csv->fields = g_ptr_array_new();
    return csv;
}

void dg_csv_free(dg_csv *csv)
{
    if (!csv)
        return;
    g_string_free(csv->text, TRUE);
    g_array_unref(csv->offsets);
    g_ptr_array_unref(csv->fields);
    g_free(csv);
}

/* Consumes one line end at pos if there is one (LF, CRLF or CR). */
static gboolean eat_newline(dg_csv *csv)
{
    if (csv->pos >= csv->len)
        return FALSE;
    char c = csv->data[csv->pos];
    if (c == '\n') {
        csv->pos++;
    } else if (c == '\r') {
        csv->pos++;
        if (csv->pos < csv->len && csv->data[csv->pos] == '\n')
            csv->pos++;
    } else {
        return FALSE;
    }
    csv->line++;
    return TRUE;
}

static void set_error(const char **error, const char *msg)
{
    if (!*error)
        *error = msg;
}

static gboolean start_field(dg_csv *csv, const char **error)
{
    if (csv->offsets->len >= DG_CSV_MAX_FIELDS) {
        set_error(error, "too many fields");
        return FALSE;
    }
    gsize off = csv->text->len;
    g_array_append_val(csv->offsets, off);
    return TRUE;
}

static void end_field(dg_csv *csv)
{
    g_string_append_c(csv->text, '\0');
}

static void put(dg_csv *csv, char c, gboolean *dropping, const char **error)
{
    if (*dropping)
        return;
    if (c == '\0') {
        set_error(error, "NUL byte in the row");
        return;
    }
    if (csv->text->len >= DG_CSV_MAX_RECORD) {
        set_error(error, "row too long");
        *dropping = TRUE;
        return;
    }
    g_string_append_c(csv->text, c);
}

gboolean dg_csv_next(dg_csv *csv, dg_csv_record *rec)
{
    memset(rec, 0, sizeof *rec);
    /* Blank lines are not records. */
    while (csv->pos < csv->len && eat_newline(csv))
        ;
    if (csv->pos >= csv->len)
        return FALSE;

    g_string_truncate(csv->text, 0);
    g_array_set_size(csv->offsets, 0);
    g_ptr_array_set_size(csv->fields, 0);
    const char *error = NULL;
    gboolean dropping = FALSE; /* over a limit: keep parsing, stop storing */
    gboolean counting = TRUE;  /* fields still being stored */
    rec->line = csv->line;

    for (;;) {
        /* One field. */
        if (counting && !start_field(csv, &error)) {
            counting = FALSE; /* too many fields: the rest is dropped */
            dropping = TRUE;
        }
        gboolean quoted = csv->pos < csv->len && csv->data[csv->pos] == '"';
        if (quoted) {
            csv->pos++;
            for (;;) {
                if (csv->pos >= csv->len) {
                    set_error(&error, "a quoted field is not closed: it runs to the end of the file");
                    break;
                }
                char c = csv->data[csv->pos];
                if (c == '"') {
                    if (csv->pos + 1 < csv->len && csv->data[csv->pos + 1] == '"') {
                        put(csv, '"', &dropping, &error);
                        csv->pos += 2;
                        continue;
                    }
                    csv->pos++;
                    break;
                }
                if (c == '\r' || c == '\n') {
                    /* A line end inside quotes is part of the field, as LF. */
                    eat_newline(csv);
                    put(csv, '\n', &dropping, &error);
                    continue;
                }
                put(csv, c, &dropping, &error);
                csv->pos++;
            }
            /* After the closing quote: a comma, a line end or the end. */
            if (csv->pos < csv->len) {
                char c = csv->data[csv->pos];
                if (c != ',' && c != '\r' && c != '\n') {
                    set_error(&error, "text after a closing quote");
                    while (csv->pos < csv->len) {
                        c = csv->data[csv->pos];
                        if (c == ',' || c == '\r' || c == '\n')
                            break;
                        put(csv, c, &dropping, &error);
                        csv->pos++;
                    }
                }
            }
        } else {
            while (csv->pos < csv->len) {
                char c = csv->data[csv->pos];
                if (c == ',' || c == '\r' || c == '\n')
                    break;
                put(csv, c, &dropping, &error);
                csv->pos++;
            }
        }
        if (counting)
            end_field(csv);
        if (csv->pos < csv->len && csv->data[csv->pos] == ',') {
            csv->pos++;
            continue;
        }
        eat_newline(csv);
        break;
    }

    /* Field pointers: every stored field is NUL-terminated and the text
     * no longer moves. */
    for (guint i = 0; i < csv->offsets->len; i++)
        g_ptr_array_add(csv->fields, csv->text->str + g_array_index(csv->offsets, gsize, i));
    rec->n_fields = (int)csv->fields->len;
    rec->fields = (char **)csv->fields->pdata;
    rec->index = csv->index++;
    rec->error = error;
    return TRUE;
}

int dg_csv_column(const dg_csv_record *header, const char *name)
{
    for (int i = 0; i < header->n_fields; i++) {
        const char *f = header->fields[i];
        while (*f == ' ' || *f == '\t')
            f++;
        gsize n = strlen(f);
        while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t'))
            n--;
        if (n == strlen(name) && g_ascii_strncasecmp(f, name, n) == 0)
            return i;
    }
    return -1;
}

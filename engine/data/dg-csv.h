/* dg-csv.h: a small, strict-but-forgiving CSV reader (RFC 4180 and the
 * usual deviations).
 *
 * Comma-separated; fields may be quoted with "..." and "" inside quotes is
 * one quote; a quoted field may span lines; line ends may be LF, CRLF or CR;
 * a UTF-8 byte-order mark at the start is skipped; blank lines are skipped.
 * A malformed record (unterminated quote, text after a closing quote, a NUL
 * byte, over the size limits) is still returned, with rec->error saying
 * what is wrong, and reading continues with the next record.  Fields are
 * bytes: the reader does not ask for UTF-8 (one Latin-1 byte in a column
 * nobody uses must not cost the row), so callers validate the fields they
 * use.  Never reads outside the buffer it was given. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

#define DG_CSV_MAX_FIELDS 4096
#define DG_CSV_MAX_RECORD (1 << 20) /* bytes of field text in one record */

typedef struct dg_csv dg_csv;

typedef struct {
    int n_fields;
    char **fields;     /* n_fields NUL-terminated strings; valid until the next dg_csv_next */
    int line;          /* 1-based line on which the record starts */
    int index;         /* 0-based record number (blank lines not counted) */
    const char *error; /* NULL, or why the record is malformed (a static string) */
} dg_csv_record;

/* The data is borrowed: it must outlive the reader.  It need not be
 * NUL-terminated. */
dg_csv *dg_csv_new(const char *data, gsize len);
void dg_csv_free(dg_csv *csv);
/* Reads the next record into rec; FALSE at the end of the data. */
gboolean dg_csv_next(dg_csv *csv, dg_csv_record *rec);
/* Index of the field equal to name (ASCII case-insensitive, surrounding
 * blanks ignored) in a header record, or -1. */
int dg_csv_column(const dg_csv_record *header, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dg_csv, dg_csv_free)

G_END_DECLS

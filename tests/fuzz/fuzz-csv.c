/* fuzz-csv: the CSV reader and the HAM10000 metadata parser on arbitrary
 * bytes.  Checks the reader's promises as it goes: records come in order,
 * fields are NUL-terminated inside the limits; the metadata parser never
 * fails on a row, only on a header (or too many rows), keeps only rows whose
 * used fields are UTF-8 and name a known class, and accounts for rows. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "data/dg-data-private.h"

/* The code under test is compiled into this file, so that it gets the fuzz
 * target's flags: tests/fuzz/meson.build links the engine library built
 * without -fsanitize=fuzzer, which would leave libFuzzer blind to its
 * branches.  (The library's copies of these objects are then not linked.) */
#include "data/dg-csv.c"
#include "data/dg-dataset.c"
#include "data/dg-ham-metadata.c"

static void check(gboolean ok)
{
    if (!ok)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dg_csv *csv = dg_csv_new((const char *)data, size);
    dg_csv_record rec;
    int last_line = 0, index = 0;
    gsize text = 0;
    while (dg_csv_next(csv, &rec)) {
        check(rec.line > last_line || (rec.line == last_line && last_line == 0));
        check(rec.index == index++);
        check(rec.n_fields >= 1 && rec.n_fields <= DG_CSV_MAX_FIELDS);
        last_line = rec.line;
        gsize record = 0;
        for (int i = 0; i < rec.n_fields; i++)
            record += strlen(rec.fields[i]);
        check(record <= DG_CSV_MAX_RECORD);
        text += record;
        check(dg_csv_column(&rec, "image_id") < rec.n_fields);
    }
    check(text <= size);
    dg_csv_free(csv);

    for (int all = 0; all < 2; all++) {
        dg_ham_metadata m;
        dg_ham_metadata_init(&m);
        GError *error = NULL;
        if (dg_ham_parse_metadata((const char *)data, size, "fuzz.csv", all, &m, &error)) {
            check(error == NULL);
            int skipped_rows = 0;
            for (guint i = 0; i < m.rows->len; i++) {
                const dg_ham_row *r = m.rows->pdata[i];
                check(r->image_id[0] && r->dx[0] && r->lesion_id[0]);
                check(!strchr(r->image_id, '/'));
                check(g_hash_table_contains(m.all_ids, r->image_id));
                /* The fields we use are UTF-8, whatever the rest holds. */
                check(g_utf8_validate(r->image_id, -1, NULL) && g_utf8_validate(r->dx, -1, NULL) &&
                      g_utf8_validate(r->lesion_id, -1, NULL));
                check(dg_class_display_name(r->dx) != r->dx); /* a known class */
                check(all || dg_class_is_task(r->dx));
            }
            for (guint i = 0; i < m.skipped->len; i++) {
                const dg_skip *s = m.skipped->pdata[i];
                check(s->rows > 0);
                skipped_rows += s->rows;
                check(g_utf8_validate(s->reason, -1, NULL) && !strchr(s->reason, '\n'));
                check(strlen(s->reason) < 1024); /* a few lines' worth, however many rows */
            }
            for (guint i = 0; i < m.warnings->len; i++)
                check(g_utf8_validate(m.warnings->pdata[i], -1, NULL));
            /* Every data row is kept, skipped or left out. */
            check((int)m.rows->len + skipped_rows + m.n_left_out == m.n_rows);
            check((m.n_left_out > 0) == (m.left_out != NULL));
            check(!all || m.n_left_out == 0);
        } else {
            check(error != NULL && m.rows->len == 0);
            g_error_free(error);
        }
        dg_ham_metadata_clear(&m);
    }
    return 0;
}

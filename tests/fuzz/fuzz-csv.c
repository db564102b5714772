/* fuzz-csv: the CSV reader and the HAM10000 metadata parser on arbitrary
 * bytes.  Checks the reader's promises as it goes: records come in order,
 * fields are NUL-terminated inside the limits, a record without an error is
 * valid UTF-8; the metadata parser never fails on a row, only on a header. */
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
        for (int i = 0; i < rec.n_fields; i++) {
            gsize n = strlen(rec.fields[i]);
            record += n;
            if (!rec.error)
                check(g_utf8_validate(rec.fields[i], (gssize)n, NULL));
        }
        check(record <= DG_CSV_MAX_RECORD);
        text += record;
        check(dg_csv_column(&rec, "image_id") < rec.n_fields);
    }
    check(text <= size);
    dg_csv_free(csv);

    for (int all = 0; all < 2; all++) {
        GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)dg_ham_row_free);
        GPtrArray *skipped = g_ptr_array_new_with_free_func((GDestroyNotify)dg_skip_free);
        GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        GError *error = NULL;
        if (dg_ham_parse_metadata((const char *)data, size, "fuzz.csv", all, rows, skipped, ids,
                                  &error)) {
            check(error == NULL);
            for (guint i = 0; i < rows->len; i++) {
                const dg_ham_row *r = rows->pdata[i];
                check(r->image_id[0] && r->dx[0] && r->lesion_id[0]);
                check(!strchr(r->image_id, '/'));
                check(g_hash_table_contains(ids, r->image_id));
            }
            for (guint i = 0; i < skipped->len; i++) {
                const dg_skip *s = skipped->pdata[i];
                check(g_utf8_validate(s->reason, -1, NULL) && !strchr(s->reason, '\n'));
            }
        } else {
            check(error != NULL && rows->len == 0);
            g_error_free(error);
        }
        g_hash_table_unref(ids);
        g_ptr_array_unref(skipped);
        g_ptr_array_unref(rows);
    }
    return 0;
}

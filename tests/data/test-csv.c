/* test-csv: the CSV reader and the HAM10000 metadata parser. */
#include <glib.h>
#include <string.h>

#include "data-test-util.h"
#include "data/dg-data-private.h"

/* Reads all records of text as "line:f1|f2|...!error" strings. */
static char *dump(const char *text, gsize len)
{
    dg_csv *csv = dg_csv_new(text, len);
    GString *out = g_string_new(NULL);
    dg_csv_record rec;
    while (dg_csv_next(csv, &rec)) {
        g_string_append_printf(out, "%d:", rec.line);
        for (int i = 0; i < rec.n_fields; i++)
            g_string_append_printf(out, "%s%s", i ? "|" : "", rec.fields[i]);
        if (rec.error)
            g_string_append_printf(out, "!%s", rec.error);
        g_string_append_c(out, ';');
    }
    dg_csv_free(csv);
    return g_string_free(out, FALSE);
}

static void check(const char *text, const char *expected)
{
    char *got = dump(text, strlen(text));
    g_assert_cmpstr(got, ==, expected);
    g_free(got);
}

static void test_basic(void)
{
    check("a,b,c\n1,2,3\n", "1:a|b|c;2:1|2|3;");
    check("a,b\n1,2", "1:a|b;2:1|2;");            /* no final newline */
    check("a,,c\n,\n", "1:a||c;2:|;");            /* empty fields */
    check("", "");
    check("\n\n", "");
    check("x\n\n\ny\n", "1:x;4:y;"); /* blank lines skipped, lines still counted */
}

static void test_line_ends(void)
{
    check("a,b\r\n1,2\r\n", "1:a|b;2:1|2;");
    check("a,b\r1,2\r", "1:a|b;2:1|2;");
    check("a\r\n\r\nb\n", "1:a;3:b;");
    check("\xEF\xBB\xBFid,dx\nx,mel\n", "1:id|dx;2:x|mel;"); /* BOM */
}

static void test_quotes(void)
{
    check("\"a,b\",c\n", "1:a,b|c;");
    check("\"say \"\"hi\"\"\",x\n", "1:say \"hi\"|x;");
    check("\"multi\nline\",z\nnext,row\n", "1:multi\nline|z;3:next|row;");
    check("\"crlf\r\ninside\",z\r\n", "1:crlf\ninside|z;");
    check("\"\",x\n", "1:|x;");
    check("ab\"c,d\n", "1:ab\"c|d;"); /* a quote inside an unquoted field is kept */
}

static void test_malformed(void)
{
    check("a,\"unterminated\nb,c\n", "1:a|unterminated\nb,c\n!unterminated quoted field;");
    check("\"ab\"cd,e\nf,g\n", "1:abcd|e!text after a closing quote;2:f|g;");
    /* A NUL byte inside a row. */
    const char nul[] = "a,b\0c\nd,e\n";
    char *got = dump(nul, sizeof nul - 1);
    g_assert_cmpstr(got, ==, "1:a|bc!NUL byte in the row;2:d|e;");
    g_free(got);
    check("a,\xff\xfe\nok,1\n", "1:a|\xff\xfe!invalid UTF-8;2:ok|1;");
}

static void test_limits(void)
{
    /* Too many fields: the record is flagged and the next one is intact. */
    GString *s = g_string_new(NULL);
    for (int i = 0; i < DG_CSV_MAX_FIELDS + 10; i++)
        g_string_append(s, "x,");
    g_string_append(s, "x\nnext,1\n");
    dg_csv *csv = dg_csv_new(s->str, s->len);
    dg_csv_record rec;
    g_assert_true(dg_csv_next(csv, &rec));
    g_assert_cmpstr(rec.error, ==, "too many fields");
    g_assert_cmpint(rec.n_fields, ==, DG_CSV_MAX_FIELDS);
    g_assert_true(dg_csv_next(csv, &rec));
    g_assert_null(rec.error);
    g_assert_cmpint(rec.n_fields, ==, 2);
    g_assert_cmpstr(rec.fields[0], ==, "next");
    g_assert_false(dg_csv_next(csv, &rec));
    dg_csv_free(csv);
    g_string_free(s, TRUE);

    /* A record over the size limit. */
    s = g_string_new("\"");
    for (int i = 0; i < DG_CSV_MAX_RECORD + 100; i++)
        g_string_append_c(s, 'y');
    g_string_append(s, "\",b\nc,d\n");
    csv = dg_csv_new(s->str, s->len);
    g_assert_true(dg_csv_next(csv, &rec));
    g_assert_cmpstr(rec.error, ==, "row too long");
    g_assert_cmpint(rec.line, ==, 1);
    g_assert_true(dg_csv_next(csv, &rec));
    g_assert_null(rec.error);
    g_assert_cmpstr(rec.fields[0], ==, "c");
    g_assert_cmpint(rec.line, ==, 2);
    dg_csv_free(csv);
    g_string_free(s, TRUE);
}

static void test_column(void)
{
    const char *text = " Lesion_ID ,image_id,\tdx\n";
    dg_csv *csv = dg_csv_new(text, strlen(text));
    dg_csv_record rec;
    g_assert_true(dg_csv_next(csv, &rec));
    g_assert_cmpint(dg_csv_column(&rec, "lesion_id"), ==, 0);
    g_assert_cmpint(dg_csv_column(&rec, "image_id"), ==, 1);
    g_assert_cmpint(dg_csv_column(&rec, "dx"), ==, 2);
    g_assert_cmpint(dg_csv_column(&rec, "age"), ==, -1);
    dg_csv_free(csv);
}

typedef struct {
    GPtrArray *rows, *skipped;
    GHashTable *ids;
} parsed;

static gboolean parse(const char *text, gboolean all, parsed *p, GError **error)
{
    p->rows = g_ptr_array_new_with_free_func((GDestroyNotify)dg_ham_row_free);
    p->skipped = g_ptr_array_new_with_free_func((GDestroyNotify)dg_skip_free);
    p->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return dg_ham_parse_metadata(text, strlen(text), "meta.csv", all, p->rows, p->skipped,
                                 p->ids, error);
}

static void parsed_clear(parsed *p)
{
    g_ptr_array_unref(p->rows);
    g_ptr_array_unref(p->skipped);
    g_hash_table_unref(p->ids);
}

static const char *skip_reason(parsed *p, guint i)
{
    g_assert_cmpuint(i, <, p->skipped->len);
    const dg_skip *s = p->skipped->pdata[i];
    g_assert_cmpstr(s->path, ==, "meta.csv");
    return s->reason;
}

static void test_ham_rows(void)
{
    const char *text = "lesion_id,image_id,dx,dx_type,age,sex,localization\r\n"
                       "HAM_1,ISIC_1,mel,histo,80.0,male,scalp\r\n"
                       "HAM_1,ISIC_2,mel,histo,80.0,male,scalp\r\n"
                       "HAM_2,ISIC_3,nv,histo,80.0,male,scalp\r\n"
                       "HAM_3,ISIC_4\r\n"                                 /* line 5: short */
                       "HAM_4,ISIC_1,bcc,histo,,,\r\n"                    /* line 6: duplicate */
                       "\"HAM_5\",\"ISIC_5\",\"bkl\",x,1,\"f, m\",back\r\n" /* quoted */
                       "HAM_6,,bcc\r\n"                                   /* line 8: empty id */
                       "HAM_7,\"ISIC_6,oops\r\n";                         /* unterminated */
    parsed p;
    GError *error = NULL;
    g_assert_true(parse(text, FALSE, &p, &error));
    g_assert_no_error(error);
    /* Rows kept: ISIC_1, ISIC_2 (mel), ISIC_5 (bkl); nv filtered out. */
    g_assert_cmpuint(p.rows->len, ==, 3);
    dg_ham_row *r0 = p.rows->pdata[0], *r2 = p.rows->pdata[2];
    g_assert_cmpstr(r0->lesion_id, ==, "HAM_1");
    g_assert_cmpstr(r0->image_id, ==, "ISIC_1");
    g_assert_cmpstr(r0->dx, ==, "mel");
    g_assert_cmpint(r0->line, ==, 2);
    g_assert_cmpstr(r2->image_id, ==, "ISIC_5");
    g_assert_cmpstr(r2->dx, ==, "bkl");
    g_assert_cmpuint(p.skipped->len, ==, 4);
    g_assert_cmpstr(skip_reason(&p, 0), ==, "malformed CSV row 5: expected at least 3 fields");
    g_assert_cmpstr(skip_reason(&p, 1), ==, "duplicate image_id ISIC_1 (CSV rows 2 and 6)");
    g_assert_cmpstr(skip_reason(&p, 2), ==, "malformed CSV row 8: empty image_id");
    g_assert_cmpstr(skip_reason(&p, 3), ==, "malformed CSV row 9: unterminated quoted field");
    /* Every image id seen, also of rows of other classes. */
    g_assert_true(g_hash_table_contains(p.ids, "ISIC_3"));
    g_assert_true(g_hash_table_contains(p.ids, "ISIC_4"));
    parsed_clear(&p);

    g_assert_true(parse(text, TRUE, &p, &error));
    g_assert_cmpuint(p.rows->len, ==, 4); /* nv now kept */
    parsed_clear(&p);
}

static void test_ham_header(void)
{
    parsed p;
    GError *error = NULL;
    g_assert_false(parse("", FALSE, &p, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "empty"));
    g_clear_error(&error);
    parsed_clear(&p);

    g_assert_false(parse("lesion_id,image,dx\nA,B,mel\n", FALSE, &p, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "image_id"));
    g_clear_error(&error);
    parsed_clear(&p);

    /* Columns in another order, missing lesion ids: each image its own group. */
    g_assert_true(parse("dx,image_id,lesion_id\nmel,I1,\nbcc,I2,L2\n", FALSE, &p, &error));
    g_assert_cmpuint(p.rows->len, ==, 2);
    dg_ham_row *r0 = p.rows->pdata[0];
    g_assert_cmpstr(r0->lesion_id, ==, "I1");
    g_assert_cmpstr(r0->dx, ==, "mel");
    parsed_clear(&p);

    /* Path tricks in image ids are refused. */
    g_assert_true(parse("lesion_id,image_id,dx\nL,../x,mel\nL,a/b,mel\n", FALSE, &p, &error));
    g_assert_cmpuint(p.rows->len, ==, 0);
    g_assert_cmpuint(p.skipped->len, ==, 2);
    g_assert_nonnull(strstr(skip_reason(&p, 0), "invalid characters"));
    parsed_clear(&p);
}

int main(int argc, char **argv)
{
    tu_init(&argc, &argv);
    g_test_add_func("/data/csv/basic", test_basic);
    g_test_add_func("/data/csv/line-ends", test_line_ends);
    g_test_add_func("/data/csv/quotes", test_quotes);
    g_test_add_func("/data/csv/malformed", test_malformed);
    g_test_add_func("/data/csv/limits", test_limits);
    g_test_add_func("/data/csv/column", test_column);
    g_test_add_func("/data/csv/ham-rows", test_ham_rows);
    g_test_add_func("/data/csv/ham-header", test_ham_header);
    return tu_run();
}

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
    check("a,\"unterminated\nb,c\n", "1:a|unterminated\nb,c\n!a quoted field is not closed: it runs to the end of the file;");
    check("\"ab\"cd,e\nf,g\n", "1:abcd|e!text after a closing quote;2:f|g;");
    /* A NUL byte inside a row. */
    const char nul[] = "a,b\0c\nd,e\n";
    char *got = dump(nul, sizeof nul - 1);
    g_assert_cmpstr(got, ==, "1:a|bc!NUL byte in the row;2:d|e;");
    g_free(got);
    /* Bytes that are not UTF-8 are no error of the reader's: fields are
     * bytes, and callers check the ones they use. */
    check("a,\xff\xfe\nok,1\n", "1:a|\xff\xfe;2:ok|1;");
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

static gboolean parse(const char *text, gboolean all, dg_ham_metadata *m, GError **error)
{
    dg_ham_metadata_init(m);
    return dg_ham_parse_metadata(text, strlen(text), "meta.csv", all, m, error);
}

static const char *skip_reason(dg_ham_metadata *m, guint i)
{
    g_assert_cmpuint(i, <, m->skipped->len);
    const dg_skip *s = m->skipped->pdata[i];
    g_assert_cmpstr(s->path, ==, "meta.csv");
    g_assert_cmpint(s->rows, >, 0);
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
    dg_ham_metadata m;
    GError *error = NULL;
    g_assert_true(parse(text, FALSE, &m, &error));
    g_assert_no_error(error);
    /* Rows kept: ISIC_1, ISIC_2 (mel), ISIC_5 (bkl); nv left out. */
    g_assert_cmpuint(m.rows->len, ==, 3);
    dg_ham_row *r0 = m.rows->pdata[0], *r2 = m.rows->pdata[2];
    g_assert_cmpstr(r0->lesion_id, ==, "HAM_1");
    g_assert_cmpstr(r0->image_id, ==, "ISIC_1");
    g_assert_cmpstr(r0->dx, ==, "mel");
    g_assert_cmpint(r0->line, ==, 2);
    g_assert_cmpstr(r2->image_id, ==, "ISIC_5");
    g_assert_cmpstr(r2->dx, ==, "bkl");
    g_assert_cmpint(m.n_rows, ==, 8);
    /* One entry per kind of problem, in the order first met. */
    g_assert_cmpuint(m.skipped->len, ==, 4);
    g_assert_cmpstr(skip_reason(&m, 0), ==,
                    "malformed row (expected at least 3 fields): 1 row, line 5");
    g_assert_cmpstr(skip_reason(&m, 1), ==,
                    "duplicate image_id: 1 row, line 6 (ISIC_1, first on line 2)");
    g_assert_cmpstr(skip_reason(&m, 2), ==, "empty image_id: 1 row, line 8");
    g_assert_cmpstr(skip_reason(&m, 3), ==,
                    "malformed row (a quoted field is not closed: it runs to the end of the file): 1 row, line 9");
    /* The nv row is no problem: counted apart. */
    g_assert_cmpint(m.n_left_out, ==, 1);
    g_assert_cmpstr(m.left_out, ==, "left out: 1 row of class nv (use --all-classes)");
    g_assert_cmpuint(m.warnings->len, ==, 0);
    /* Every image id seen, also of rows of other classes. */
    g_assert_true(g_hash_table_contains(m.all_ids, "ISIC_3"));
    g_assert_true(g_hash_table_contains(m.all_ids, "ISIC_4"));
    dg_ham_metadata_clear(&m);

    g_assert_true(parse(text, TRUE, &m, &error));
    g_assert_cmpuint(m.rows->len, ==, 4); /* nv now kept */
    g_assert_cmpint(m.n_left_out, ==, 0);
    g_assert_null(m.left_out);
    dg_ham_metadata_clear(&m);
}

/* Unknown dx codes are reported (they were dropped without a word), with a
 * count, the first lines and their values; HAM10000's other classes are
 * counted as left out. */
static void test_ham_unknown_dx(void)
{
    GString *text = g_string_new("lesion_id,image_id,dx\n");
    g_string_append(text, "L1,I1,mel\n");    /* line 2 */
    g_string_append(text, "L2,I2,melanoma\n"); /* line 3 */
    g_string_append(text, "L3,I3,nv\n");
    g_string_append(text, "L4,I4,df\n");
    g_string_append(text, "L5,I5,MEL\n");    /* line 6: codes are lower case */
    g_string_append(text, "L6,I6,vasc\n");
    for (int i = 0; i < 10; i++) /* lines 8 to 17 */
        g_string_append_printf(text, "L%d,J%d,x%d\n", 10 + i, i, i);
    g_string_append(text, "L9,K9,\x1b]0;owned\x07\n"); /* line 18: control characters */
    dg_ham_metadata m;
    GError *error = NULL;
    g_assert_true(parse(text->str, FALSE, &m, &error));
    g_assert_cmpuint(m.rows->len, ==, 1);
    g_assert_cmpuint(m.skipped->len, ==, 2);
    const dg_skip *k = m.skipped->pdata[0];
    g_assert_cmpint(k->rows, ==, 12);
    g_assert_cmpstr(k->reason, ==,
                    "unknown dx code: 12 rows, lines 3 (melanoma), 6 (MEL), 8 (x0), 9 (x1), "
                    "10 (x2) and 7 more");
    /* Control characters of a value do not reach the report. */
    g_assert_cmpstr(skip_reason(&m, 1), ==,
                    "invalid characters in dx: 1 row, line 18 (\xEF\xBF\xBD]0;owned\xEF\xBF\xBD)");
    g_assert_cmpint(m.n_left_out, ==, 3);
    g_assert_cmpstr(m.left_out, ==, "left out: 3 rows of classes nv, df, vasc (use --all-classes)");
    dg_ham_metadata_clear(&m);
    /* With all seven classes, an unknown code is still unknown. */
    g_assert_true(parse(text->str, TRUE, &m, &error));
    g_assert_cmpuint(m.rows->len, ==, 4); /* mel, nv, df, vasc */
    g_assert_cmpint(((dg_skip *)m.skipped->pdata[0])->rows, ==, 12);
    g_assert_cmpint(m.n_left_out, ==, 0);
    dg_ham_metadata_clear(&m);
    g_string_free(text, TRUE);
}

/* One Latin-1 byte in a column we do not use costs nothing; in a used
 * column it costs that row only. */
static void test_ham_latin1(void)
{
    const char *text = "lesion_id,image_id,dx,dx_type,age,sex,localization\n"
                       "HAM_1,ISIC_1,mel,histo,80.0,male,sc\xe8ne\n"   /* unused column */
                       "HAM_2,ISIC_2,bcc,histo,80.0,m\xe4nnlich,back\n" /* unused column */
                       "HAM_3,ISIC_\xe9,bkl,histo,80.0,male,back\n"    /* image_id: line 4 */
                       "HAM_\xe9,ISIC_4,akiec,histo,80.0,male,back\n"  /* lesion_id: line 5 */
                       "HAM_5,ISIC_5,m\xe9l,histo,80.0,male,back\n"    /* dx: line 6 */
                       "HAM_6,ISIC_6,akiec,histo,80.0,male,back\n";
    dg_ham_metadata m;
    GError *error = NULL;
    g_assert_true(parse(text, FALSE, &m, &error));
    g_assert_cmpuint(m.rows->len, ==, 3);
    g_assert_cmpstr(((dg_ham_row *)m.rows->pdata[0])->image_id, ==, "ISIC_1");
    g_assert_cmpstr(((dg_ham_row *)m.rows->pdata[1])->image_id, ==, "ISIC_2");
    g_assert_cmpstr(((dg_ham_row *)m.rows->pdata[2])->image_id, ==, "ISIC_6");
    g_assert_cmpuint(m.skipped->len, ==, 3);
    g_assert_cmpstr(skip_reason(&m, 0), ==, "invalid UTF-8 in image_id: 1 row, line 4");
    g_assert_cmpstr(skip_reason(&m, 1), ==, "invalid UTF-8 in lesion_id: 1 row, line 5");
    g_assert_cmpstr(skip_reason(&m, 2), ==, "invalid UTF-8 in dx: 1 row, line 6");
    for (guint i = 0; i < m.skipped->len; i++)
        g_assert_true(g_utf8_validate(((dg_skip *)m.skipped->pdata[i])->reason, -1, NULL));
    dg_ham_metadata_clear(&m);
}

static void test_ham_header(void)
{
    dg_ham_metadata m;
    GError *error = NULL;
    g_assert_false(parse("", FALSE, &m, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "empty"));
    g_clear_error(&error);
    dg_ham_metadata_clear(&m);

    g_assert_false(parse("lesion_id,image,dx\nA,B,mel\n", FALSE, &m, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "image_id"));
    g_clear_error(&error);
    dg_ham_metadata_clear(&m);

    /* a header the reader cannot take (over its field limit): why, not a
     * column said to be missing that is there */
    GString *wide = g_string_new("lesion_id,image_id,dx");
    for (int i = 0; i < DG_CSV_MAX_FIELDS; i++)
        g_string_append(wide, ",x");
    g_string_append(wide, "\nA,B,mel\n");
    g_assert_false(parse(wide->str, FALSE, &m, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "header (line 1) is malformed (too many fields)"));
    g_clear_error(&error);
    dg_ham_metadata_clear(&m);
    g_string_free(wide, TRUE);

    /* Columns in another order, missing lesion ids: each image its own
     * group, with a note. */
    g_assert_true(parse("dx,image_id,lesion_id\nmel,I1,\nbcc,I2,L2\n", FALSE, &m, &error));
    g_assert_cmpuint(m.rows->len, ==, 2);
    dg_ham_row *r0 = m.rows->pdata[0];
    g_assert_cmpstr(r0->lesion_id, ==, "I1");
    g_assert_cmpstr(r0->dx, ==, "mel");
    g_assert_cmpuint(m.skipped->len, ==, 0);
    g_assert_cmpuint(m.warnings->len, ==, 1);
    g_assert_cmpstr(m.warnings->pdata[0], ==,
                    "no lesion_id (each such image is its own lesion in the split): 1 row, "
                    "line 2 (I1)");
    dg_ham_metadata_clear(&m);

    /* Path tricks and over-long ids are refused. */
    GString *text = g_string_new("lesion_id,image_id,dx\nL,../x,mel\nL,a/b,mel\n");
    g_string_append(text, "L,");
    for (int i = 0; i < DG_HAM_MAX_ID + 1; i++)
        g_string_append_c(text, 'i');
    g_string_append(text, ",mel\n");
    g_assert_true(parse(text->str, FALSE, &m, &error));
    g_assert_cmpuint(m.rows->len, ==, 0);
    g_assert_cmpuint(m.skipped->len, ==, 2);
    g_assert_cmpstr(skip_reason(&m, 0), ==,
                    "invalid characters in image_id: 2 rows, lines 2 (../x), 3 (a/b)");
    g_assert_cmpstr(skip_reason(&m, 1), ==, "image_id longer than 255 bytes: 1 row, line 4");
    dg_ham_metadata_clear(&m);
    g_string_free(text, TRUE);
}

/* More rows than a data set may have: an error naming the limit. */
static void test_ham_too_many_rows(void)
{
    GString *text = g_string_new("lesion_id,image_id,dx\n");
    for (int i = 0; i <= DG_DATASET_MAX_FILES; i++)
        g_string_append(text, "x\n");
    dg_ham_metadata m;
    GError *error = NULL;
    g_assert_false(parse(text->str, FALSE, &m, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
    g_assert_cmpstr(error->message, ==,
                    "meta.csv: more than 1000000 rows, over the limit for a data set");
    g_assert_cmpuint(m.rows->len, ==, 0);
    g_clear_error(&error);
    dg_ham_metadata_clear(&m);
    g_string_free(text, TRUE);
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
    g_test_add_func("/data/csv/ham-unknown-dx", test_ham_unknown_dx);
    g_test_add_func("/data/csv/ham-latin1", test_ham_latin1);
    g_test_add_func("/data/csv/ham-too-many-rows", test_ham_too_many_rows);
    return tu_run();
}

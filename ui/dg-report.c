/* dg-report.c: a one-page PDF report of a classifier (see dg-report.h). */
#include "dg-report.h"

#include <cairo-pdf.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <pango/pangocairo.h>

#include "data/dg-file.h"
#include "dg-ui-util.h"
#include "plot/dg-plot.h"

#define PAGE_W 595.0 /* A4, points */
#define PAGE_H 842.0
#define MARGIN 42.0

static JsonObject *member(JsonObject *o, const char *k)
{
    JsonNode *n = o && json_object_has_member(o, k) ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonArray *member_array(JsonObject *o, const char *k)
{
    JsonNode *n = o && json_object_has_member(o, k) ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

/* ---- CSV -------------------------------------------------------------------------------- */

char *dg_report_metrics_csv(const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json || !json_parser_load_from_data(p, json, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
        return NULL;
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    GString *s = g_string_new("scope,metric,value\n");
    const char *all[] = {"accuracy", "balanced_accuracy", "macro_f1", "auc_macro", "ece", "ece_sd", "n"};
    for (guint i = 0; i < G_N_ELEMENTS(all); i++) {
        double v = dg_ui_json_double(o, all[i]);
        if (isfinite(v))
            g_string_append_printf(s, "all,%s,%.6g\n", all[i], v);
    }
    JsonArray *ci = member_array(o, "balanced_accuracy_ci95");
    if (ci && json_array_get_length(ci) == 2) {
        g_string_append_printf(s, "all,balanced_accuracy_ci95_low,%.6g\n",
                               json_array_get_double_element(ci, 0));
        g_string_append_printf(s, "all,balanced_accuracy_ci95_high,%.6g\n",
                               json_array_get_double_element(ci, 1));
    }
    JsonObject *per = member(o, "per_class");
    GList *ids = per ? json_object_get_members(per) : NULL;
    const char *keys[] = {"precision", "recall", "f1", "auc", "support"};
    for (GList *l = ids; l; l = l->next)
        for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
            double v = dg_ui_json_double(member(per, l->data), keys[i]);
            if (isfinite(v))
                g_string_append_printf(s, "%s,%s,%.6g\n", (const char *)l->data, keys[i], v);
        }
    g_list_free(ids);
    JsonObject *cm = member(o, "confusion_matrix");
    JsonArray *labels = member_array(cm, "labels"), *matrix = member_array(cm, "matrix");
    for (guint i = 0; labels && matrix && i < json_array_get_length(matrix); i++) {
        JsonArray *row = json_array_get_array_element(matrix, i);
        for (guint j = 0; row && j < json_array_get_length(row); j++)
            g_string_append_printf(s, "%s,predicted_%s,%" G_GINT64_FORMAT "\n",
                                   json_array_get_string_element(labels, i),
                                   json_array_get_string_element(labels, j),
                                   json_array_get_int_element(row, j));
    }
    return g_string_free(s, FALSE);
}

/* ---- the PDF -------------------------------------------------------------------------------- */

typedef struct {
    cairo_t *cr;
    double y; /* where the next block goes */
} page;

static double text(page *pg, double x, double y, double width, const char *font, const char *t,
                   double grey)
{
    PangoLayout *l = pango_cairo_create_layout(pg->cr);
    pango_cairo_context_set_resolution(pango_layout_get_context(l), 72); /* sizes in points */
    pango_layout_context_changed(l);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_markup(l, t, -1);
    cairo_set_source_rgb(pg->cr, grey, grey, grey);
    cairo_move_to(pg->cr, x, y);
    pango_cairo_show_layout(pg->cr, l);
    int w, h;
    pango_layout_get_pixel_size(l, &w, &h);
    g_object_unref(l);
    return h;
}

static char *pct(double v)
{
    return isfinite(v) ? g_strdup_printf("%.1f %%", 100 * v) : g_strdup("–");
}

static char *num3(double v)
{
    return isfinite(v) ? g_strdup_printf("%.3f", v) : g_strdup("–");
}

static void headline(page *pg, JsonObject *o)
{
    const char *keys[] = {"balanced_accuracy", "accuracy", "macro_f1", "auc_macro", "ece"};
    const char *names[] = {"balanced accuracy", "accuracy", "macro F1", "macro AUC",
                           "calibration error"};
    double w = (PAGE_W - 2 * MARGIN) / G_N_ELEMENTS(keys);
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
        double v = dg_ui_json_double(o, keys[i]);
        g_autofree char *val = i < 2 ? pct(v) : num3(v);
        g_autofree char *m = g_markup_printf_escaped("<b>%s</b>", val);
        double x = MARGIN + i * w;
        text(pg, x, pg->y, w - 6, "Sans 18", m, 0.1);
        text(pg, x, pg->y + 22, w - 6, "Sans 9", names[i], 0.4);
    }
    pg->y += 50;
    JsonArray *ci = member_array(o, "balanced_accuracy_ci95");
    if (ci && json_array_get_length(ci) == 2) {
        g_autofree char *t = g_strdup_printf(
            "Balanced accuracy, 95%% bootstrap interval: %.1f–%.1f %%.",
            100 * json_array_get_double_element(ci, 0), 100 * json_array_get_double_element(ci, 1));
        pg->y += text(pg, MARGIN, pg->y, PAGE_W - 2 * MARGIN, "Sans 9", t, 0.4) + 8;
    }
}

static void confusion_and_table(page *pg, JsonObject *o, const dg_plot_theme *th)
{
    JsonObject *cm = member(o, "confusion_matrix"), *per = member(o, "per_class");
    JsonArray *labels = member_array(cm, "labels"), *matrix = member_array(cm, "matrix");
    if (!labels || !matrix)
        return;
    const int K = (int)json_array_get_length(labels);
    double *vals = g_new0(double, K * K);
    const char **names = g_new0(const char *, K + 1);
    for (int i = 0; i < K; i++) {
        names[i] = dg_ui_class_name(json_array_get_string_element(labels, i));
        JsonArray *row = json_array_get_array_element(matrix, i);
        for (int j = 0; row && j < K && j < (int)json_array_get_length(row); j++)
            vals[i * K + j] = (double)json_array_get_int_element(row, j);
    }
    const double mw = 310; /* the matrix's width; the table takes the rest */
    text(pg, MARGIN, pg->y, mw, "Sans Bold 12", "Confusion matrix", 0.1);
    text(pg, MARGIN + mw + 10, pg->y, 200, "Sans Bold 12", "Per class", 0.1);
    pg->y += 18;
    dg_heatmap *hm = dg_heatmap_new();
    dg_heatmap_set_data(hm, K, K, vals, names, names);
    dg_heatmap_set_labels(hm, "true class", "predicted class");
    dg_heatmap_draw(hm, pg->cr, MARGIN - 6, pg->y, mw, 270, th);
    dg_heatmap_free(hm);
    /* the per-class table, right of the matrix */
    GString *t = g_string_new("<tt>class   prec  rec   F1    AUC     n\n");
    for (int k = 0; k < K; k++) {
        const char *id = json_array_get_string_element(labels, k);
        JsonObject *pc = member(per, id);
        g_autofree char *esc = g_markup_escape_text(id, -1);
        g_string_append_printf(t, "%-6.6s  %.2f  %.2f  %.2f  %.2f  %4.0f\n", esc,
                               dg_ui_json_double(pc, "precision"), dg_ui_json_double(pc, "recall"),
                               dg_ui_json_double(pc, "f1"), dg_ui_json_double(pc, "auc"),
                               dg_ui_json_double(pc, "support"));
    }
    g_string_append(t, "</tt>");
    text(pg, MARGIN + mw + 10, pg->y + 6, PAGE_W - 2 * MARGIN - mw - 10, "Monospace 8.5", t->str,
         0.15);
    g_string_free(t, TRUE);
    pg->y += 284;
    g_free(vals);
    g_free(names);
}

static void curves(page *pg, const dg_run_info *run, const dg_plot_theme *th)
{
    text(pg, MARGIN, pg->y, PAGE_W - 2 * MARGIN, "Sans Bold 12", "Training per epoch", 0.1);
    pg->y += 18;
    if (!run || run->kind != DG_RUN_CLASSIFIER || !run->history) {
        pg->y += text(pg, MARGIN, pg->y, PAGE_W - 2 * MARGIN, "Sans 9",
                      "The classifier's training run folder is not at hand (a bundled or "
                      "copied model): no curves.",
                      0.4) + 10;
        return;
    }
    dg_line_chart *e = dg_line_chart_new();
    dg_line_chart_set_labels(e, "epoch", "loss", "accuracy");
    const char *names[] = {"train loss", "train acc", "val loss", "val acc", "val balanced acc"};
    for (int k = 0; k < 5; k++) {
        int s = dg_line_chart_add_series(e, names[k]);
        if (k == 1 || k >= 3)
            dg_line_chart_set_series_axis(e, s, DG_PLOT_AXIS_RIGHT);
        for (gint64 i = 0; i < run->n_history; i++) {
            const float *row = run->history + i * DG_CNN_HISTORY_COLS;
            dg_line_chart_append(e, s, row[0], row[1 + k]);
        }
    }
    dg_line_chart_set_x_integer(e, TRUE);
    dg_line_chart_set_y_clip(e, 0);
    dg_line_chart_set_legend(e, DG_PLOT_LEGEND_OUTSIDE);
    dg_line_chart_draw(e, pg->cr, MARGIN - 6, pg->y, PAGE_W - 2 * MARGIN + 12, 220, th);
    dg_line_chart_free(e);
    pg->y += 228;
}

static cairo_status_t append(void *closure, const unsigned char *data, unsigned int length)
{
    g_byte_array_append(closure, data, length);
    return CAIRO_STATUS_SUCCESS;
}

gboolean dg_report_write_pdf(const char *path, const char *json, const dg_run_info *run,
                             GError **error)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json || !json_parser_load_from_data(p, json, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no evaluation to report");
        return FALSE;
    }
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    /* a PDF page; or a picture of it (.png, twice the size); drawn in memory,
     * then written atomically (never over a device, FIFO or folder) */
    if (!dg_file_check_writable(path, error))
        return FALSE;
    gboolean png = g_str_has_suffix(path, ".png");
    GByteArray *bytes = g_byte_array_new();
    cairo_surface_t *surf =
        png ? cairo_image_surface_create(CAIRO_FORMAT_RGB24, 2 * PAGE_W, 2 * PAGE_H)
            : cairo_pdf_surface_create_for_stream(append, bytes, PAGE_W, PAGE_H);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s", path,
                    cairo_status_to_string(cairo_surface_status(surf)));
        cairo_surface_destroy(surf);
        g_byte_array_unref(bytes);
        return FALSE;
    }
    page pg = {cairo_create(surf), MARGIN};
    if (png) {
        cairo_scale(pg.cr, 2, 2);
        cairo_set_source_rgb(pg.cr, 1, 1, 1);
        cairo_paint(pg.cr);
    }
    dg_plot_theme th = dg_plot_theme_light();
    pg.y += text(&pg, MARGIN, pg.y, PAGE_W - 2 * MARGIN, "Sans Bold 22",
                 "DermaGAN classifier report", 0.05) + 4;
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *date = g_date_time_format(now, "%Y-%m-%d %H:%M");
    const char *model = json_object_get_string_member_with_default(o, "model", "?");
    const char *data = json_object_get_string_member_with_default(o, "data", "?");
    const char *split = json_object_get_string_member_with_default(o, "split", "test");
    double n = dg_ui_json_double(o, "n");
    g_autofree char *sub = g_markup_printf_escaped(
        "Model: %s\nData set: %s, %s split (%.0f images of lesions the model never saw in "
        "training)\nWritten %s",
        model, data, g_strcmp0(split, "val") == 0 ? "validation" : split, n, date);
    pg.y += text(&pg, MARGIN, pg.y, PAGE_W - 2 * MARGIN, "Sans 9", sub, 0.35) + 16;
    headline(&pg, o);
    confusion_and_table(&pg, o, &th);
    curves(&pg, run, &th);
    text(&pg, MARGIN, PAGE_H - MARGIN - 20, PAGE_W - 2 * MARGIN, "Sans 8",
         "A research demonstration, not a medical device: these numbers must not be used to "
         "diagnose anyone.",
         0.45);
    cairo_destroy(pg.cr);
    cairo_status_t st =
        png ? cairo_surface_write_to_png_stream(surf, append, bytes) : CAIRO_STATUS_SUCCESS;
    cairo_surface_finish(surf);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    if (st != CAIRO_STATUS_SUCCESS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s", path,
                    cairo_status_to_string(st));
        g_byte_array_unref(bytes);
        return FALSE;
    }
    gboolean ok = dg_file_write_atomic(path, bytes->data, bytes->len, TRUE, error);
    g_byte_array_unref(bytes);
    return ok;
}

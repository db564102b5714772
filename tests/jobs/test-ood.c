/* test-ood: what the classifier refuses to judge (issue 13).  A generated
 * set of at least 200 images that are not dermoscopy images (noise, flat
 * colours, gradients, text, tiny and extreme shapes, grey and 16-bit) must
 * be refused (judged: false) at least 95% of the time by the bundled
 * classifier, while at least 95% of HAM10000's real test-split images (when
 * the data set is present) are judged.  Writes the counts as test messages. */
#include <cairo.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "jobs-test-util.h"
#include "jobs/dg-job-cnn.h"
#include "jobs/dg-job-util.h"
#include "data/dg-dataset.h"
#include "models/dg-classifier-post.h"
#include "models/dg-classifier.h"

static char *tmp;

typedef struct {
    int judged, refused, errors;
    GPtrArray *refused_names, *judged_names;
} counts;

static void on_event(const dg_event *ev, void *user)
{
    counts *c = user;
    if (ev->kind != DG_EVENT_RESULT)
        return;
    JsonNode *n = json_from_string(ev->json, NULL);
    g_assert_nonnull(n);
    JsonObject *o = json_node_get_object(n);
    const char *img = json_object_get_string_member(o, "image");
    if (json_object_has_member(o, "error")) {
        c->errors++;
    } else if (json_object_get_boolean_member(o, "judged")) {
        c->judged++;
        g_ptr_array_add(c->judged_names, g_strdup(img));
    } else {
        c->refused++;
        g_ptr_array_add(c->refused_names, g_strdup_printf(
            "%s: %s", img, json_object_get_string_member(o, "assessment")));
    }
    json_node_unref(n);
}

static counts predict_all(GPtrArray *paths)
{
    counts c = {0, 0, 0, g_ptr_array_new_with_free_func(g_free),
                g_ptr_array_new_with_free_func(g_free)};
    dg_predict_config *cfg = dg_predict_config_new();
    cfg->images = g_new0(char *, paths->len + 1);
    for (guint i = 0; i < paths->len; i++)
        cfg->images[i] = g_strdup(paths->pdata[i]);
    cfg->threads = 1;
    dg_job *job = dg_job_new(&dg_job_predict, cfg, on_event, &c);
    GError *error = NULL;
    dg_job_run(job, &error);
    g_assert_no_error(error);
    dg_job_free(job);
    return c;
}

static void save_rgb(GPtrArray *paths, const char *name, int w, int h, guint8 *px)
{
    GdkPixbuf *pb = gdk_pixbuf_new_from_data(px, GDK_COLORSPACE_RGB, FALSE, 8, w, h, 3 * w, NULL,
                                             NULL);
    char *p = g_build_filename(tmp, name, NULL);
    g_assert_true(gdk_pixbuf_save(pb, p, "png", NULL, NULL));
    g_object_unref(pb);
    g_ptr_array_add(paths, p);
}

/* The non-lesion set: deterministic, 240 images. */
static GPtrArray *non_lesions(void)
{
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    dg_rng r;
    dg_rng_seed(&r, 2026);
    char name[64];
    for (int i = 0; i < 40; i++) { /* noise, coloured and grey, several scales */
        const int w = 64 + 8 * i, cell = 1 + i % 5;
        guint8 *px = g_new(guint8, 3L * w * w);
        for (int y = 0; y < w; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) {
                    dg_rng cr;
                    dg_rng_seed(&cr, (uint64_t)(y / cell) * 7919 + x / cell + 104729ull * (c * (i % 2)) + i);
                    px[3 * (y * w + x) + c] = (guint8)dg_rng_below(&cr, 256);
                }
        g_snprintf(name, sizeof name, "noise-%02d.png", i);
        save_rgb(paths, name, w, w, px);
        g_free(px);
    }
    for (int i = 0; i < 60; i++) { /* flat colours, skin-like ones included */
        const int w = 128;
        guint8 col[3] = {(guint8)dg_rng_below(&r, 256), (guint8)dg_rng_below(&r, 256),
                         (guint8)dg_rng_below(&r, 256)};
        if (i < 15) /* pinks and browns */
            col[0] = 180 + i * 5, col[1] = 100 + i * 4, col[2] = 90 + i * 3;
        guint8 *px = g_new(guint8, 3L * w * w);
        for (long p = 0; p < (long)w * w; p++)
            memcpy(px + 3 * p, col, 3);
        g_snprintf(name, sizeof name, "flat-%02d.png", i);
        save_rgb(paths, name, w, w, px);
        g_free(px);
    }
    for (int i = 0; i < 50; i++) { /* gradients: linear and radial, colour pairs */
        const int w = 96 + 4 * i, h = i % 3 == 0 ? w / 2 : w;
        guint8 a[3], b[3];
        for (int c = 0; c < 3; c++)
            a[c] = (guint8)dg_rng_below(&r, 256), b[c] = (guint8)dg_rng_below(&r, 256);
        guint8 *px = g_new(guint8, 3L * w * h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double t = i % 2 ? (double)x / w
                                 : fmin(1.0, hypot(x - w / 2.0, y - h / 2.0) / (0.5 * w));
                for (int c = 0; c < 3; c++)
                    px[3 * (y * w + x) + c] = (guint8)(a[c] + t * (b[c] - a[c]));
            }
        g_snprintf(name, sizeof name, "gradient-%02d.png", i);
        save_rgb(paths, name, w, h, px);
        g_free(px);
    }
    for (int i = 0; i < 40; i++) { /* text on paper, screens and skin-coloured cards */
        const int w = 256, h = 192;
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
        cairo_t *cr = cairo_create(s);
        if (i % 3 == 0)
            cairo_set_source_rgb(cr, 1, 1, 1);
        else if (i % 3 == 1)
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.15);
        else
            cairo_set_source_rgb(cr, 0.85, 0.6, 0.55);
        cairo_paint(cr);
        cairo_set_source_rgb(cr, i % 3 == 1 ? 0.9 : 0.05, 0.1, 0.1);
        cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr, 14 + i % 20);
        for (int line = 0; line < 6; line++) {
            cairo_move_to(cr, 8, 28 + line * 30);
            cairo_show_text(cr, "The quick brown fox jumps 0123");
        }
        cairo_destroy(cr);
        char *p = g_strdup_printf("%s/text-%02d.png", tmp, i);
        g_assert_cmpint(cairo_surface_write_to_png(s, p), ==, CAIRO_STATUS_SUCCESS);
        cairo_surface_destroy(s);
        g_ptr_array_add(paths, p);
    }
    for (int i = 0; i < 30; i++) { /* tiny images and extreme shapes of lesion-like colour */
        int w = i < 15 ? 1 + i : 2000 + 400 * (i - 15), h = i < 15 ? 1 + i : 20 + i;
        guint8 *px = g_new(guint8, 3L * w * h);
        for (long p = 0; p < (long)w * h; p++) {
            px[3 * p] = 200, px[3 * p + 1] = (guint8)(120 + p % 40), px[3 * p + 2] = 110;
        }
        g_snprintf(name, sizeof name, "shape-%02d.png", i);
        save_rgb(paths, name, w, h, px);
        g_free(px);
    }
    for (int i = 0; i < 20; i++) { /* grey photographs: a real lesion's shape in grey */
        const int w = 150;
        guint8 *px = g_new(guint8, 3L * w * w);
        for (int y = 0; y < w; y++)
            for (int x = 0; x < w; x++) {
                double d = hypot(x - 75.0, y - 75.0);
                guint8 v = (guint8)(d < 30 + i ? 60 + i : 190 - i);
                px[3 * (y * w + x)] = px[3 * (y * w + x) + 1] = px[3 * (y * w + x) + 2] = v;
            }
        g_snprintf(name, sizeof name, "grey-%02d.png", i);
        save_rgb(paths, name, w, w, px);
        g_free(px);
    }
    return paths;
}

static void test_non_lesions(void)
{
    GPtrArray *paths = non_lesions();
    g_assert_cmpuint(paths->len, >=, 200);
    counts c = predict_all(paths);
    for (guint i = 0; i < c.judged_names->len; i++)
        g_test_message("judged although not a lesion: %s", (char *)c.judged_names->pdata[i]);
    g_test_message("non-lesion images: %d refused, %d judged, %d unreadable (of %u)", c.refused,
                   c.judged, c.errors, paths->len);
    g_assert_cmpint(c.errors, ==, 0);
    g_assert_cmpfloat((double)c.refused / paths->len, >=, 0.95);
    g_ptr_array_unref(c.refused_names);
    g_ptr_array_unref(c.judged_names);
    g_ptr_array_unref(paths);
}

static void test_real_lesions(void)
{
    const char *ham = g_getenv("DG_HAM10000");
    char *csv = ham ? g_build_filename(ham, "HAM10000_metadata.csv", NULL) : NULL;
    if (!csv || !g_file_test(csv, G_FILE_TEST_IS_REGULAR)) {
        g_free(csv);
        g_test_skip("HAM10000 not present (DG_HAM10000)");
        return;
    }
    g_free(csv);
    dg_load_options o;
    dg_load_options_init(&o);
    o.cache_dir = "";
    GError *error = NULL;
    dg_dataset *ds = dg_dataset_load(ham, &o, &error);
    g_assert_no_error(error);
    g_assert_true(dg_dataset_split(ds, 1, DG_SPLIT_TRAIN_FRACTION, DG_SPLIT_VAL_FRACTION, &error));
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < ds->n_items; i++)
        if (ds->items[i].split == DG_SPLIT_TEST)
            g_ptr_array_add(paths, g_strdup(ds->items[i].path));
    dg_dataset_free(ds);
    counts c = predict_all(paths);
    for (guint i = 0; i < c.refused_names->len && i < 10; i++)
        g_test_message("refused although a test lesion: %s", (char *)c.refused_names->pdata[i]);
    g_test_message("real test-split lesions: %d judged, %d refused (of %u)", c.judged, c.refused,
                   paths->len);
    g_assert_cmpint(c.errors, ==, 0);
    g_assert_cmpfloat((double)c.judged / paths->len, >=, 0.95);
    g_ptr_array_unref(c.refused_names);
    g_ptr_array_unref(c.judged_names);
    g_ptr_array_unref(paths);
}

/* The bundled sample (resources/sample) is drawn from the bundled
 * classifier's test split: the model's provenance says it saw none of its
 * images in training or validation, so the sample's numbers mean what they
 * say (issue 13.3). */
static void test_sample_unseen(void)
{
    char *model = dg_find_resource("models/classifier.safetensors");
    char *csv = dg_find_resource("sample/HAM10000_metadata.csv");
    g_assert_nonnull(model);
    g_assert_nonnull(csv);
    char *sample = g_path_get_dirname(csv);
    g_free(csv);
    GError *error = NULL;
    dg_cnn *cnn = dg_cnn_load(model, 1, &error);
    g_assert_no_error(error);
    dg_load_options o;
    dg_load_options_init(&o);
    o.cache_dir = "";
    dg_dataset *ds = dg_dataset_load(sample, &o, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ds->n_items, ==, 96);
    int seen = 0;
    for (int i = 0; i < ds->n_items; i++) {
        dg_seen s = dg_cnn_seen(cnn, ds->items[i].image_id);
        g_assert_cmpint(s, !=, DG_SEEN_UNKNOWN);
        if (s != DG_SEEN_NO) {
            g_test_message("%s was in the model's %s split", ds->items[i].image_id,
                           s == DG_SEEN_TRAIN ? "training" : "validation");
            seen++;
        }
    }
    g_assert_cmpint(seen, ==, 0);
    dg_dataset_free(ds);
    dg_cnn_free(cnn);
    g_free(model);
    g_free(sample);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp = g_dir_make_tmp("dg-ood-XXXXXX", NULL);
    g_test_add_func("/ood/non-lesions-refused", test_non_lesions);
    g_test_add_func("/ood/real-lesions-judged", test_real_lesions);
    g_test_add_func("/ood/bundled-sample-unseen", test_sample_unseen);
    int rc = g_test_run();
    jt_rm_rf(tmp);
    g_free(tmp);
    return rc;
}

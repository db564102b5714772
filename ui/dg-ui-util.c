/* dg-ui-util.c: small helpers shared by the views. */
#include "dg-ui-util.h"

#include <math.h>
#include <string.h>

#include "data/dg-dataset.h"

char *dg_ui_format_duration(double s)
{
    if (!(s >= 0) || !isfinite(s))
        return g_strdup("–");
    long t = lround(s);
    if (t < 60)
        return g_strdup_printf("%ld s", t);
    if (t < 3600)
        return g_strdup_printf("%ld min %02ld s", t / 60, t % 60);
    return g_strdup_printf("%ld h %02ld min", t / 3600, (t % 3600) / 60);
}

char *dg_ui_format_count(gint64 n)
{
    char digits[32];
    g_snprintf(digits, sizeof digits, "%" G_GINT64_FORMAT, n < 0 ? -n : n);
    GString *s = g_string_new(n < 0 ? "-" : "");
    int len = (int)strlen(digits);
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0 && len > 4)
            g_string_append(s, "\u2009"); /* thin space */
        g_string_append_c(s, digits[i]);
    }
    return g_string_free(s, FALSE);
}

const char *dg_ui_class_name(const char *id)
{
    return dg_class_display_name(id);
}

typedef struct {
    dg_ui_file_fn fn;
    gpointer user;
    GDestroyNotify destroy; /* of user, after the dialog answered either way */
} choose_data;

static void on_choose_response(GtkNativeDialog *dialog, int response, gpointer data)
{
    choose_data *cd = data;
    if (response == GTK_RESPONSE_ACCEPT) {
        GFile *file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        if (file) {
            cd->fn(file, cd->user);
            g_object_unref(file);
        }
    }
    if (cd->destroy)
        cd->destroy(cd->user);
    g_free(cd);
    g_object_unref(dialog);
}

void dg_ui_choose(GtkWidget *parent, GtkFileChooserAction action, const char *title,
                  const char *accept, GtkFileFilter *filter, dg_ui_file_fn fn, gpointer owner)
{
    dg_ui_choose_in(parent, action, title, accept, filter, NULL, fn, owner);
}

void dg_ui_choose_in(GtkWidget *parent, GtkFileChooserAction action, const char *title,
                     const char *accept, GtkFileFilter *filter, const char *folder,
                     dg_ui_file_fn fn, gpointer owner)
{
    g_return_if_fail(owner == NULL || G_IS_OBJECT(owner));
    GtkRoot *root = parent ? gtk_widget_get_root(parent) : NULL;
    GtkFileChooserNative *dialog = gtk_file_chooser_native_new(
        title, GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, action, accept, "_Cancel");
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(dialog), TRUE);
    if (filter) {
        gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(dialog), filter);
        g_object_unref(filter);
    }
    if (folder && g_file_test(folder, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GFile) f = g_file_new_for_path(folder);
        gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(dialog), f, NULL);
    }
    choose_data *cd = g_new0(choose_data, 1);
    cd->fn = fn;
    cd->user = owner ? g_object_ref(owner) : NULL;
    cd->destroy = owner ? g_object_unref : NULL;
    g_signal_connect(dialog, "response", G_CALLBACK(on_choose_response), cd);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

void dg_ui_save(GtkWidget *parent, const char *title, const char *name, const char *folder,
                dg_ui_file_fn fn, gpointer owner)
{
    g_return_if_fail(owner == NULL || G_IS_OBJECT(owner));
    dg_ui_save_full(parent, title, name, folder, fn, owner ? g_object_ref(owner) : NULL,
                    owner ? g_object_unref : NULL);
}

void dg_ui_save_full(GtkWidget *parent, const char *title, const char *name, const char *folder,
                     dg_ui_file_fn fn, gpointer user, GDestroyNotify destroy)
{
    GtkRoot *root = parent ? gtk_widget_get_root(parent) : NULL;
    GtkFileChooserNative *dialog = gtk_file_chooser_native_new(
        title, GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, GTK_FILE_CHOOSER_ACTION_SAVE,
        "_Save", "_Cancel");
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(dialog), TRUE);
    if (folder && g_file_test(folder, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GFile) f = g_file_new_for_path(folder);
        gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(dialog), f, NULL);
    }
    if (name)
        gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(dialog), name);
    choose_data *cd = g_new0(choose_data, 1);
    cd->fn = fn;
    cd->user = user;
    cd->destroy = destroy;
    g_signal_connect(dialog, "response", G_CALLBACK(on_choose_response), cd);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

GtkFileFilter *dg_ui_image_filter(void)
{
    GtkFileFilter *f = gtk_file_filter_new();
    gtk_file_filter_set_name(f, "Images (JPEG, PNG, BMP)");
    gtk_file_filter_add_mime_type(f, "image/jpeg");
    gtk_file_filter_add_mime_type(f, "image/png");
    gtk_file_filter_add_mime_type(f, "image/bmp");
    gtk_file_filter_add_suffix(f, "jpg");
    gtk_file_filter_add_suffix(f, "jpeg");
    gtk_file_filter_add_suffix(f, "png");
    gtk_file_filter_add_suffix(f, "bmp");
    return f;
}

GtkFileFilter *dg_ui_model_filter(void)
{
    GtkFileFilter *f = gtk_file_filter_new();
    gtk_file_filter_set_name(f, "Model files (safetensors)");
    gtk_file_filter_add_suffix(f, "safetensors");
    return f;
}

double dg_ui_json_double(JsonObject *o, const char *member)
{
    if (!o || !json_object_has_member(o, member))
        return NAN;
    JsonNode *n = json_object_get_member(o, member);
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return NAN;
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_DOUBLE || t == G_TYPE_INT64 || t == G_TYPE_INT || t == G_TYPE_FLOAT)
        return json_node_get_double(n);
    return NAN;
}

void dg_ui_clear_children(GtkWidget *container)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(container))) {
        if (GTK_IS_GRID(container))
            gtk_grid_remove(GTK_GRID(container), child);
        else if (GTK_IS_BOX(container))
            gtk_box_remove(GTK_BOX(container), child);
        else if (GTK_IS_LIST_BOX(container))
            gtk_list_box_remove(GTK_LIST_BOX(container), child);
        else if (GTK_IS_FLOW_BOX(container))
            gtk_flow_box_remove(GTK_FLOW_BOX(container), child);
        else
            gtk_widget_unparent(child);
    }
}

void dg_ui_unparent_children(GtkWidget *widget)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(widget)))
        gtk_widget_unparent(child);
}

GtkWidget *dg_ui_cell(const char *text, gboolean numeric, const char *css_class)
{
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_xalign(GTK_LABEL(l), numeric ? 1.0f : 0.0f);
    if (numeric)
        gtk_widget_add_css_class(l, "numeric");
    if (css_class)
        gtk_widget_add_css_class(l, css_class);
    return l;
}

double dg_ui_get_speed(GSettings *settings, const char *key, const char *name)
{
    g_autoptr(GVariant) v = g_settings_get_value(settings, key);
    double d = 0;
    if (!g_variant_lookup(v, name, "d", &d) || !(d > 0) || !isfinite(d))
        return 0;
    return d;
}

void dg_ui_set_speed(GSettings *settings, const char *key, const char *name, double images_per_s)
{
    if (!(images_per_s > 0) || !isfinite(images_per_s) || !name)
        return;
    g_autoptr(GVariant) old = g_settings_get_value(settings, key);
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sd}"));
    GVariantIter it;
    const char *k;
    double d;
    g_variant_iter_init(&it, old);
    while (g_variant_iter_next(&it, "{&sd}", &k, &d))
        if (g_strcmp0(k, name) != 0)
            g_variant_builder_add(&b, "{sd}", k, d);
    g_variant_builder_add(&b, "{sd}", name, images_per_s);
    g_settings_set_value(settings, key, g_variant_builder_end(&b));
}

void dg_ui_rate_reset(dg_ui_rate *r)
{
    memset(r, 0, sizeof *r);
}

void dg_ui_rate_add(dg_ui_rate *r, double elapsed, gint64 step)
{
    if (!isfinite(elapsed))
        return;
    const int N = DG_UI_RATE_SAMPLES;
    if (r->n > 0) {
        int last = (r->head + N - 1) % N;
        if (elapsed < r->t[last] || step < r->step[last]) {
            dg_ui_rate_reset(r); /* a new job (a resumed run starts its clock again) */
        } else if (r->n > 1 && elapsed - r->t[(r->head + N - 2) % N] < 0.5) {
            /* samples at least half a second apart: the newest one moves on */
            r->step[last] = step;
            r->t[last] = elapsed;
            return;
        }
    }
    r->t[r->head] = elapsed;
    r->step[r->head] = step;
    r->head = (r->head + 1) % N;
    r->n = MIN(r->n + 1, N);
}

double dg_ui_rate_steps_per_s(const dg_ui_rate *r)
{
    if (r->n < 2)
        return 0;
    int last = (r->head + DG_UI_RATE_SAMPLES - 1) % DG_UI_RATE_SAMPLES;
    int first = (r->head + DG_UI_RATE_SAMPLES - r->n) % DG_UI_RATE_SAMPLES;
    /* the oldest sample within the last minute of running */
    for (int k = 0; k < r->n - 1 && r->t[last] - r->t[first] > 60; k++)
        first = (first + 1) % DG_UI_RATE_SAMPLES;
    double dt = r->t[last] - r->t[first];
    gint64 ds = r->step[last] - r->step[first];
    return dt > 0.2 && ds > 0 ? ds / dt : 0;
}

/* A perceptual ramp (dark purple, red, orange, yellow) for a map's values. */
static void ramp(double t, guint8 *rgb)
{
    static const double stops[5][3] = {
        {40, 11, 84}, {120, 28, 109}, {212, 72, 66}, {250, 153, 8}, {252, 255, 164}};
    t = CLAMP(t, 0, 1) * 4;
    int i = MIN((int)t, 3);
    double f = t - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = (guint8)(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * f + 0.5);
}

GdkTexture *dg_ui_cam_texture(const guint8 *grey, int side)
{
    if (!grey || side <= 0)
        return NULL;
    GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, TRUE, 8, side, side);
    guint8 *px = gdk_pixbuf_get_pixels(pb);
    int rs = gdk_pixbuf_get_rowstride(pb);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            double v = grey[3 * ((long)y * side + x)] / 255.0;
            guint8 *p = px + (long)y * rs + 4 * x;
            ramp(v, p);
            /* what the model ignored stays clear; what it used shows most */
            p[3] = (guint8)(255 * CLAMP((v - 0.15) / 0.5, 0, 1));
        }
    GdkPixbuf *big = gdk_pixbuf_scale_simple(pb, 256, 256, GDK_INTERP_BILINEAR);
    g_object_unref(pb);
    GdkTexture *t = gdk_texture_new_for_pixbuf(big);
    g_object_unref(big);
    return t;
}

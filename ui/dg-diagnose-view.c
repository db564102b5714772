/* dg-diagnose-view.c: the Diagnose view. */
#include "dg-diagnose-view.h"

#include <adwaita.h>
#include <math.h>
#include <string.h>

#include "dg-model-row.h"
#include "dg-ui-util.h"
#include "jobs/dg-job-cnn.h"

#define MAX_CLASSES 32
#define PHOTO_MAX 1600 /* the shown photo's longest side */

struct _DgDiagnoseView {
    GtkWidget parent_instance;

    GtkStack *stack;
    AdwStatusPage *empty_page, *error_page;
    GtkSpinner *spinner;
    GtkPicture *picture, *heat_picture;
    GtkSwitch *overlay_switch;
    GtkDropDown *class_dropdown;
    GtkScale *opacity_scale;
    GtkLabel *file_label, *top_label, *top_prob_label, *top_caption, *assess_label, *patient_label;
    GtkWidget *assess_box;
    GtkEntry *age_entry;
    GtkDropDown *sex_dropdown, *site_dropdown;
    DgChart *prob_chart;
    DgModelRow *model_row;
    guint patient_timeout;   /* a pause after typing before looking again */
    gboolean judged;

    DgSession *session;
    DgJobRunner *runner;
    char *path;              /* image being looked at */
    GdkTexture *photo;       /* the whole photo */
    GdkTexture *square;      /* its centre square: what the model sees */
    GPtrArray *cams;         /* GBytes of each class's Grad-CAM (grey, cam_side^2 x 3) */
    int cam_side;
    GCancellable *cancel;    /* photo loading */
    int n_probs;
    double probs[MAX_CLASSES];
    char *top;
    int top_index;
    gboolean have_result;
    char *error;             /* the last failure shown, or NULL */
    gboolean tta;
};

G_DEFINE_FINAL_TYPE(DgDiagnoseView, dg_diagnose_view, GTK_TYPE_WIDGET)

/* ---- the Grad-CAM overlay ------------------------------------------------------------------- */

/* The map of class k as a smooth, coloured, partly transparent texture. */
static GdkTexture *heat_texture(DgDiagnoseView *self, int k)
{
    if (!self->cams || k < 0 || k >= (int)self->cams->len || self->cam_side <= 0)
        return NULL;
    return dg_ui_cam_texture(g_bytes_get_data(g_ptr_array_index(self->cams, k), NULL),
                             self->cam_side);
}

static void show_picture(DgDiagnoseView *self)
{
    gboolean ov = gtk_switch_get_active(self->overlay_switch) && self->cams && self->cams->len;
    guint k = gtk_drop_down_get_selected(self->class_dropdown);
    g_autoptr(GdkTexture) heat = ov ? heat_texture(self, (int)k) : NULL;
    /* the overlay lies on the centre square the model saw */
    GdkTexture *base = heat && self->square ? self->square : self->photo;
    gtk_picture_set_paintable(self->picture, base ? GDK_PAINTABLE(base) : NULL);
    gtk_picture_set_paintable(self->heat_picture, heat ? GDK_PAINTABLE(heat) : NULL);
    gtk_widget_set_visible(GTK_WIDGET(self->heat_picture), heat != NULL);
    gtk_widget_set_opacity(GTK_WIDGET(self->heat_picture),
                           gtk_range_get_value(GTK_RANGE(self->opacity_scale)));
    gtk_widget_set_sensitive(GTK_WIDGET(self->class_dropdown), ov);
    gtk_widget_set_sensitive(GTK_WIDGET(self->opacity_scale), ov);
}

static void on_overlay_changed(DgDiagnoseView *self)
{
    show_picture(self);
}

void dg_diagnose_view_set_overlay(DgDiagnoseView *self, gboolean overlay)
{
    g_return_if_fail(DG_IS_DIAGNOSE_VIEW(self));
    gtk_switch_set_active(self->overlay_switch, overlay);
}

void dg_diagnose_view_set_overlay_class(DgDiagnoseView *self, int k, double opacity)
{
    g_return_if_fail(DG_IS_DIAGNOSE_VIEW(self));
    if (k >= 0)
        gtk_drop_down_set_selected(self->class_dropdown, (guint)k);
    if (opacity > 0)
        gtk_range_set_value(GTK_RANGE(self->opacity_scale), opacity);
}

/* ---- the photo, decoded off the main thread ------------------------------------------------- */

static void photo_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
    (void)src, (void)cancel;
    GError *error = NULL;
    /* the engine refuses absurd sizes before decoding; check the same way here */
    int w = 0, h = 0;
    if (!gdk_pixbuf_get_file_info(data, &w, &h) || (gint64)w * h > DG_IMAGE_MAX_PIXELS) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                w > 0 ? "the image is too large" : "not a readable image");
        return;
    }
    /* at most PHOTO_MAX pixels a side, upright as the camera meant it */
    GdkPixbuf *pb = gdk_pixbuf_new_from_file_at_scale(data, MIN(w, PHOTO_MAX), MIN(h, PHOTO_MAX),
                                                      TRUE, &error);
    if (!pb) {
        g_task_return_error(task, error);
        return;
    }
    GdkPixbuf *up = gdk_pixbuf_apply_embedded_orientation(pb);
    g_object_unref(pb);
    /* and its centre square, the part the model sees (dg_image_prepare's crop) */
    int uw = gdk_pixbuf_get_width(up), uh = gdk_pixbuf_get_height(up), side = MIN(uw, uh);
    GdkPixbuf *sq = gdk_pixbuf_new_subpixbuf(up, (uw - side) / 2, (uh - side) / 2, side, side);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_object_unref);
    g_ptr_array_add(out, gdk_texture_new_for_pixbuf(up)); /* immutable copies: thread-safe */
    g_ptr_array_add(out, gdk_texture_new_for_pixbuf(sq));
    g_object_unref(sq);
    g_object_unref(up);
    g_task_return_pointer(task, out, (GDestroyNotify)g_ptr_array_unref);
}

static void photo_done(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)data;
    DgDiagnoseView *self = DG_DIAGNOSE_VIEW(src);
    GPtrArray *t = g_task_propagate_pointer(G_TASK(res), NULL);
    const char *path = g_task_get_task_data(G_TASK(res));
    if (!t)
        return; /* the predict job says why */
    if (g_strcmp0(path, self->path) == 0) {
        g_set_object(&self->photo, g_ptr_array_index(t, 0));
        g_set_object(&self->square, g_ptr_array_index(t, 1));
        show_picture(self);
    }
    g_ptr_array_unref(t);
}

/* ---- prediction ------------------------------------------------------------------------------ */

static void show_error(DgDiagnoseView *self, const char *title, const char *message)
{
    gtk_spinner_stop(self->spinner);
    g_free(self->error);
    self->error = g_strdup(message);
    self->have_result = FALSE;
    adw_status_page_set_title(self->error_page, title);
    /* the description is markup: a file name may hold '&' or '<' */
    g_autofree char *esc = g_markup_escape_text(message, -1);
    adw_status_page_set_description(self->error_page, esc);
    gtk_stack_set_visible_child_name(self->stack, "error");
}

static void set_classes(DgDiagnoseView *self, const char *const *names, int k, int top)
{
    GtkStringList *l = gtk_string_list_new(NULL);
    for (int i = 0; i < k; i++)
        gtk_string_list_append(l, names[i]);
    gtk_drop_down_set_model(self->class_dropdown, G_LIST_MODEL(l));
    g_object_unref(l);
    gtk_drop_down_set_selected(self->class_dropdown, (guint)MAX(top, 0));
}

static gboolean show_prediction(DgDiagnoseView *self, JsonObject *o)
{
    JsonNode *pn = json_object_get_member(o, "probabilities");
    JsonObject *po = pn && JSON_NODE_HOLDS_OBJECT(pn) ? json_node_get_object(pn) : NULL;
    if (!po)
        return FALSE;
    g_free(self->top);
    self->top = g_strdup(json_object_get_string_member_with_default(o, "top", NULL));
    GList *members = json_object_get_members(po); /* in the model's class order */
    const char *labels[MAX_CLASSES];
    int k = 0;
    self->top_index = 0;
    for (GList *l = members; l && k < MAX_CLASSES; l = l->next, k++) {
        labels[k] = dg_ui_class_name(l->data);
        self->probs[k] = dg_ui_json_double(po, l->data);
        if (g_strcmp0(l->data, self->top) == 0)
            self->top_index = k;
    }
    g_list_free(members);
    self->n_probs = k;
    const char *top_name = json_object_get_string_member_with_default(o, "top_name", self->top);
    double top_p = self->top ? dg_ui_json_double(po, self->top) : NAN;
    dg_prob_chart *pc = dg_prob_chart_new();
    dg_prob_chart_set_data(pc, k, labels, self->probs);
    dg_chart_set_plot(self->prob_chart, &dg_prob_chart_kind, pc);
    set_classes(self, labels, k, self->top_index);
    /* not for judging: said so, with the reason, and no class named */
    self->judged = json_object_get_boolean_member_with_default(o, "judged", TRUE);
    gtk_widget_set_visible(self->assess_box, !self->judged);
    if (!self->judged) {
        g_autofree char *a = g_strdup_printf(
            "This does not look like a dermoscopy image: %s. The probabilities below are what "
            "the model computes anyway; they say nothing about this image.",
            json_object_get_string_member_with_default(o, "assessment", "unknown reason"));
        gtk_label_set_text(self->assess_label, a);
    }
    gtk_label_set_text(self->top_caption, self->judged ? "Most likely" : "Not judged");
    gtk_label_set_text(self->top_label, !self->judged ? "No diagnosis" : top_name ? top_name : "–");
    gtk_widget_set_opacity(GTK_WIDGET(self->prob_chart), self->judged ? 1.0 : 0.4);
    g_autofree char *pt = self->judged && isfinite(top_p)
                              ? g_strdup_printf("%.1f %% probability", 100 * top_p)
                              : g_strdup("");
    gtk_label_set_text(self->top_prob_label, pt);
    /* the patient fields: how many counted */
    if (json_object_has_member(o, "patient_fields_used")) {
        gint64 used = json_object_get_int_member(o, "patient_fields_used");
        const char *note = json_object_get_string_member_with_default(o, "patient_note", NULL);
        g_autofree char *t = used > 0 ? g_strdup_printf("%" G_GINT64_FORMAT " patient field%s used%s%s.", used,
                                                         used == 1 ? "" : "s", note ? "; " : "",
                                                         note ? note : "")
                                      : g_strdup_printf("Not used: %s.", note ? note : "the model has no data on them");
        gtk_label_set_text(self->patient_label, t);
    } else {
        gtk_label_set_text(self->patient_label, "");
    }
    g_autofree char *base = g_path_get_basename(self->path);
    g_autofree char *disp = g_filename_display_name(base);
    gtk_label_set_text(self->file_label, disp);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->file_label), self->path);
    g_clear_pointer(&self->error, g_free);
    self->have_result = TRUE;
    show_picture(self);
    gtk_spinner_stop(self->spinner);
    gtk_stack_set_visible_child_name(self->stack, "result");
    return TRUE;
}

static void on_result(DgDiagnoseView *self, const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o = json && json_parser_load_from_data(p, json, -1, NULL) &&
                            JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))
                        ? json_node_get_object(json_parser_get_root(p))
                        : NULL;
    if (o && json_object_has_member(o, "error")) {
        const char *img = json_object_get_string_member_with_default(o, "image", "the image");
        g_autofree char *m = g_strdup_printf(
            "%s: %s", img, json_object_get_string_member_with_default(o, "error", "unknown error"));
        show_error(self, "Cannot Read This Image", m);
    } else if (!o || !show_prediction(self, o)) {
        show_error(self, "Diagnosis Failed", "The prediction could not be read.");
    }
}

static void on_event(DgJobRunner *runner, const DgEventCopy *ev, DgDiagnoseView *self)
{
    if (runner != self->runner)
        return;
    switch (ev->kind) {
    case DG_EVENT_IMAGE:
        /* the raw maps of every class, in class order (the blended one is not needed) */
        if (ev->rgb && g_strcmp0(ev->message, "cam") == 0 && ev->width == ev->height) {
            if (!self->cams)
                self->cams = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
            self->cam_side = ev->width;
            g_ptr_array_add(self->cams, g_bytes_ref(ev->rgb));
        }
        break;
    case DG_EVENT_RESULT:
        on_result(self, ev->json);
        break;
    case DG_EVENT_FINISHED:
        if (ev->state == DG_JOB_FAILED)
            show_error(self, "Diagnosis Failed", ev->message ? ev->message : "unknown error");
        else if (ev->state == DG_JOB_CANCELLED)
            gtk_stack_set_visible_child_name(self->stack, "empty");
        else
            show_picture(self); /* the maps came after the result */
        break;
    default:
        break;
    }
}

static void load_photo(DgDiagnoseView *self, const char *path)
{
    g_cancellable_cancel(self->cancel);
    g_object_unref(self->cancel);
    self->cancel = g_cancellable_new();
    g_clear_object(&self->photo);
    g_clear_object(&self->square);
    GTask *task = g_task_new(self, self->cancel, photo_done, NULL);
    g_task_set_task_data(task, g_strdup(path), g_free);
    g_task_run_in_thread(task, photo_thread);
    g_object_unref(task);
}

/* The patient fields into the predict job's config; FALSE (and the age
 * field marked) when the age is not a number from 0 to 120. */
static gboolean read_patient(DgDiagnoseView *self, dg_predict_config *c)
{
    const char *age = gtk_editable_get_text(GTK_EDITABLE(self->age_entry));
    char *end = NULL;
    gint64 a = age[0] ? g_ascii_strtoll(age, &end, 10) : -1;
    gboolean ok = !age[0] || (end && *end == '\0' && a >= 0 && a <= 120);
    if (ok)
        gtk_widget_remove_css_class(GTK_WIDGET(self->age_entry), "error");
    else
        gtk_widget_add_css_class(GTK_WIDGET(self->age_entry), "error");
    if (c) {
        c->age = ok && a >= 0 ? (double)a : NAN;
        guint sx = gtk_drop_down_get_selected(self->sex_dropdown);
        c->sex = sx == 1 ? g_strdup("female") : sx == 2 ? g_strdup("male") : NULL;
        guint st = gtk_drop_down_get_selected(self->site_dropdown);
        const char *const *sites = dg_predict_patient_sites();
        guint n_sites = g_strv_length((char **)sites);
        c->site = st >= 1 && st <= n_sites ? g_strdup(sites[st - 1]) : NULL;
    }
    return ok;
}

static gboolean patient_again(gpointer data)
{
    DgDiagnoseView *self = data;
    self->patient_timeout = 0;
    if (self->path && (self->have_result || self->error) && read_patient(self, NULL))
        dg_diagnose_view_open(self, self->path);
    return G_SOURCE_REMOVE;
}

static void on_patient_changed(DgDiagnoseView *self)
{
    if (!read_patient(self, NULL))
        return; /* marked; looked at again once it is a number */
    if (self->patient_timeout)
        g_source_remove(self->patient_timeout);
    self->patient_timeout = g_timeout_add(400, patient_again, self);
}

gboolean dg_diagnose_view_open(DgDiagnoseView *self, const char *path)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), FALSE);
    g_return_val_if_fail(path != NULL, FALSE);
    if (!self->session)
        return FALSE;
    if (self->patient_timeout) { /* this look reads the fields anyway */
        g_source_remove(self->patient_timeout);
        self->patient_timeout = 0;
    }
    g_autofree char *disp = g_filename_display_name(path);
    const char *model = dg_session_get_classifier(self->session);
    if (!model) {
        show_error(self, "No Classifier",
                   "The bundled classifier is missing: train one in the Classifier view, or "
                   "choose a model file below.");
        return FALSE;
    }
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_autofree char *m = g_strdup_printf("%s is not an image file.", disp);
        show_error(self, "Cannot Read This Image", m);
        return FALSE;
    }
    /* the last result goes at once: what is shown is always this image's
     * (path may be self->path itself, when a new classifier looks again:
     * copy before freeing, and use the copy from here on) */
    char *copy = g_strdup(path);
    g_free(self->path);
    self->path = copy;
    path = copy;
    self->have_result = FALSE;
    g_clear_pointer(&self->cams, g_ptr_array_unref);
    load_photo(self, path);
    dg_predict_config *c = dg_predict_config_new();
    c->model = g_strdup(model);
    c->images = g_new0(char *, 2);
    c->images[0] = g_strdup(path);
    c->tta = self->tta;
    c->saliency = TRUE;
    c->saliency_all = TRUE;
    read_patient(self, c);
    c->threads = dg_session_get_threads(self->session);
    if (self->runner) {
        g_signal_handlers_disconnect_by_data(self->runner, self);
        dg_job_runner_cancel(self->runner);
    }
    g_clear_object(&self->runner);
    self->runner = dg_job_runner_new(&dg_job_predict, c);
    g_signal_connect(self->runner, "event", G_CALLBACK(on_event), self);
    gtk_spinner_start(self->spinner);
    gtk_stack_set_visible_child_name(self->stack, "busy");
    dg_session_track(self->session, self->runner);
    dg_job_runner_start(self->runner);
    return TRUE;
}

/* view.open (Ctrl+O in this view): an image chooser */
static void on_image_file(GFile *file, gpointer data)
{
    DgDiagnoseView *self = data;
    g_autofree char *path = g_file_get_path(file);
    if (path)
        dg_diagnose_view_open(self, path);
}

static void act_open(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    dg_ui_choose(w, GTK_FILE_CHOOSER_ACTION_OPEN, "Diagnose an Image", "_Open",
                 dg_ui_image_filter(), on_image_file, w);
}

static void on_classifier(DgSession *s, GParamSpec *p, DgDiagnoseView *self)
{
    (void)s, (void)p;
    /* a new classifier looks at the same image again */
    if (self->path && (self->have_result || self->error) && dg_session_get_classifier(s))
        dg_diagnose_view_open(self, self->path);
}

void dg_diagnose_view_set_session(DgDiagnoseView *self, DgSession *session)
{
    g_return_if_fail(DG_IS_DIAGNOSE_VIEW(self));
    g_return_if_fail(self->session == NULL);
    self->session = g_object_ref(session);
    dg_model_row_set_session(self->model_row, session);
    g_signal_connect_object(session, "notify::classifier", G_CALLBACK(on_classifier), self, 0);
}

/* ---- for tests ------------------------------------------------------------------------------------ */

DgJobRunner *dg_diagnose_view_get_runner(DgDiagnoseView *self)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), NULL);
    return self->runner;
}

DgChart *dg_diagnose_view_get_chart(DgDiagnoseView *self)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), NULL);
    return self->prob_chart;
}

int dg_diagnose_view_get_probabilities(DgDiagnoseView *self, double *probs, int max)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), 0);
    if (!self->have_result)
        return 0;
    for (int i = 0; i < self->n_probs && i < max; i++)
        probs[i] = self->probs[i];
    return self->n_probs;
}

const char *dg_diagnose_view_get_top(DgDiagnoseView *self)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), NULL);
    return self->have_result ? self->top : NULL;
}

gboolean dg_diagnose_view_has_overlay(DgDiagnoseView *self)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), FALSE);
    return self->cams && (int)self->cams->len == self->n_probs && self->n_probs > 0;
}

const char *dg_diagnose_view_get_error(DgDiagnoseView *self)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), NULL);
    return self->error;
}

const char *dg_diagnose_view_get_page(DgDiagnoseView *self)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), NULL);
    return gtk_stack_get_visible_child_name(self->stack);
}

gboolean dg_diagnose_view_is_judged(DgDiagnoseView *self)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), FALSE);
    return self->have_result && self->judged;
}

void dg_diagnose_view_set_patient(DgDiagnoseView *self, int age, const char *sex, const char *site)
{
    g_return_if_fail(DG_IS_DIAGNOSE_VIEW(self));
    g_autofree char *a = age >= 0 ? g_strdup_printf("%d", age) : g_strdup("");
    gtk_editable_set_text(GTK_EDITABLE(self->age_entry), a);
    gtk_drop_down_set_selected(self->sex_dropdown, g_strcmp0(sex, "female") == 0 ? 1
                                                   : g_strcmp0(sex, "male") == 0 ? 2 : 0);
    guint k = 0;
    const char *const *sites = dg_predict_patient_sites();
    for (guint i = 0; site && sites[i]; i++)
        if (strcmp(site, sites[i]) == 0)
            k = i + 1;
    gtk_drop_down_set_selected(self->site_dropdown, k);
}

const char *dg_diagnose_view_get_patient_text(DgDiagnoseView *self)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), NULL);
    return gtk_label_get_text(self->patient_label);
}

/* ---- GObject ---------------------------------------------------------------------------------------- */

static void dg_diagnose_view_dispose(GObject *object)
{
    DgDiagnoseView *self = DG_DIAGNOSE_VIEW(object);
    g_cancellable_cancel(self->cancel);
    if (self->patient_timeout) {
        g_source_remove(self->patient_timeout);
        self->patient_timeout = 0;
    }
    if (self->runner) {
        g_signal_handlers_disconnect_by_data(self->runner, self);
        dg_job_runner_cancel(self->runner); /* nobody is left to see its answer */
    }
    g_clear_object(&self->runner); /* the session keeps it until its thread ends */
    g_clear_object(&self->photo);
    g_clear_object(&self->square);
    g_clear_pointer(&self->cams, g_ptr_array_unref);
    gtk_widget_dispose_template(GTK_WIDGET(self), DG_TYPE_DIAGNOSE_VIEW);
    dg_ui_unparent_children(GTK_WIDGET(self));
    g_clear_object(&self->session);
    G_OBJECT_CLASS(dg_diagnose_view_parent_class)->dispose(object);
}

static void dg_diagnose_view_finalize(GObject *object)
{
    DgDiagnoseView *self = DG_DIAGNOSE_VIEW(object);
    g_free(self->path);
    g_free(self->top);
    g_free(self->error);
    g_clear_object(&self->cancel);
    G_OBJECT_CLASS(dg_diagnose_view_parent_class)->finalize(object);
}

static void dg_diagnose_view_class_init(DgDiagnoseViewClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = dg_diagnose_view_dispose;
    oc->finalize = dg_diagnose_view_finalize;
    g_type_ensure(DG_TYPE_CHART);
    g_type_ensure(DG_TYPE_MODEL_ROW);
    gtk_widget_class_set_template_from_resource(wc,
                                                "/org/dermagan/DermaGAN/ui/dg-diagnose-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child(wc, DgDiagnoseView, name)
    BIND(stack);
    BIND(empty_page);
    BIND(error_page);
    BIND(spinner);
    BIND(picture);
    BIND(heat_picture);
    BIND(overlay_switch);
    BIND(class_dropdown);
    BIND(opacity_scale);
    BIND(file_label);
    BIND(top_label);
    BIND(top_prob_label);
    BIND(prob_chart);
    BIND(model_row);
    BIND(top_caption);
    BIND(assess_box);
    BIND(assess_label);
    BIND(patient_label);
    BIND(age_entry);
    BIND(sex_dropdown);
    BIND(site_dropdown);
#undef BIND
    gtk_widget_class_bind_template_callback(wc, on_overlay_changed);
    gtk_widget_class_bind_template_callback(wc, on_patient_changed);
    gtk_widget_class_install_action(wc, "view.open", NULL, act_open);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

void dg_diagnose_view_set_tta(DgDiagnoseView *self, gboolean tta)
{
    g_return_if_fail(DG_IS_DIAGNOSE_VIEW(self));
    self->tta = tta;
}

static void dg_diagnose_view_init(DgDiagnoseView *self)
{
    self->tta = TRUE;
    self->cancel = g_cancellable_new();
    gtk_widget_init_template(GTK_WIDGET(self));
    /* the sites, capitalized, after "unknown" */
    GtkStringList *sites = gtk_string_list_new(NULL);
    gtk_string_list_append(sites, "Body site unknown");
    const char *const *sites_list = dg_predict_patient_sites();
    for (int i = 0; sites_list[i]; i++) {
        g_autofree char *t = g_strdup(sites_list[i]);
        t[0] = g_ascii_toupper(t[0]);
        gtk_string_list_append(sites, t);
    }
    gtk_drop_down_set_model(self->site_dropdown, G_LIST_MODEL(sites));
    g_object_unref(sites);
}

/* dg-diagnose-view.c: the Diagnose view. */
#include "dg-diagnose-view.h"

#include <adwaita.h>
#include <math.h>

#include "dg-ui-util.h"
#include "jobs/dg-job-cnn.h"

#define MAX_CLASSES 32
#define PHOTO_MAX 1600 /* the shown photo's longest side */

struct _DgDiagnoseView {
    GtkWidget parent_instance;

    GtkStack *stack;
    AdwStatusPage *empty_page;
    GtkSpinner *spinner;
    GtkPicture *picture;
    GtkSwitch *overlay_switch;
    GtkLabel *file_label, *top_label, *top_prob_label, *model_label;
    DgChart *prob_chart;

    DgSession *session;
    DgJobRunner *runner;
    char *path;              /* image being looked at */
    GdkTexture *photo, *overlay, *pending_overlay;
    GCancellable *cancel;    /* photo loading */
    int n_probs;
    double probs[MAX_CLASSES];
    char *top;
    gboolean have_result;
};

G_DEFINE_FINAL_TYPE(DgDiagnoseView, dg_diagnose_view, GTK_TYPE_WIDGET)

static void show_picture(DgDiagnoseView *self)
{
    gboolean ov = gtk_switch_get_active(self->overlay_switch) && self->overlay;
    GdkTexture *t = ov ? self->overlay : self->photo;
    gtk_picture_set_paintable(self->picture, t ? GDK_PAINTABLE(t) : NULL);
}

static void on_overlay_toggled(DgDiagnoseView *self)
{
    show_picture(self);
}

void dg_diagnose_view_set_overlay(DgDiagnoseView *self, gboolean overlay)
{
    g_return_if_fail(DG_IS_DIAGNOSE_VIEW(self));
    gtk_switch_set_active(self->overlay_switch, overlay);
}

static void update_model_label(DgDiagnoseView *self)
{
    const char *m = self->session ? dg_session_get_classifier(self->session) : NULL;
    g_autofree char *d = m ? dg_session_describe_model(m) : NULL;
    g_autofree char *t =
        d ? g_strdup_printf("Classifier: %s", d)
          : g_strdup("No classifier: the bundled model (resources/models/classifier.safetensors) "
                     "is missing. Train one in the Classifier view, or choose a model file.");
    gtk_label_set_text(self->model_label, t);
    if (!m)
        gtk_widget_add_css_class(GTK_WIDGET(self->model_label), "warning");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self->model_label), "warning");
}

/* ---- the photo, decoded off the main thread ---------------------------------------------- */

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
    GdkTexture *t = gdk_texture_new_for_pixbuf(up); /* an immutable copy: thread-safe */
    g_object_unref(up);
    g_task_return_pointer(task, t, g_object_unref);
}

static void photo_done(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)data;
    DgDiagnoseView *self = DG_DIAGNOSE_VIEW(src);
    GdkTexture *t = g_task_propagate_pointer(G_TASK(res), NULL);
    const char *path = g_task_get_task_data(G_TASK(res));
    if (!t)
        return; /* the predict job reports why */
    if (g_strcmp0(path, self->path) == 0) {
        g_set_object(&self->photo, t);
        show_picture(self);
    }
    g_object_unref(t);
}

/* ---- prediction ------------------------------------------------------------------------------ */

static void back_to_previous(DgDiagnoseView *self)
{
    gtk_spinner_stop(self->spinner);
    gtk_stack_set_visible_child_name(self->stack, self->have_result ? "result" : "empty");
}

static gboolean show_prediction(DgDiagnoseView *self, const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json || !json_parser_load_from_data(p, json, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
        return FALSE;
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    if (json_object_has_member(o, "error")) {
        const char *img = json_object_get_string_member_with_default(o, "image", "the image");
        dg_session_toast(self->session, TRUE, "Cannot read %s: %s", img,
                         json_object_get_string_member_with_default(o, "error", "unknown error"));
        back_to_previous(self);
        return TRUE;
    }
    JsonObject *po = json_object_has_member(o, "probabilities")
                         ? json_object_get_object_member(o, "probabilities")
                         : NULL;
    if (!po)
        return FALSE;
    GList *members = json_object_get_members(po); /* in the model's class order */
    const char *labels[MAX_CLASSES];
    int k = 0;
    for (GList *l = members; l && k < MAX_CLASSES; l = l->next, k++) {
        labels[k] = dg_ui_class_name(l->data);
        self->probs[k] = dg_ui_json_double(po, l->data);
    }
    g_list_free(members);
    self->n_probs = k;
    g_free(self->top);
    self->top = g_strdup(json_object_get_string_member_with_default(o, "top", NULL));
    const char *top_name = json_object_get_string_member_with_default(o, "top_name", self->top);
    double top_p = self->top ? dg_ui_json_double(po, self->top) : NAN;

    dg_prob_chart *pc = dg_prob_chart_new();
    dg_prob_chart_set_data(pc, k, labels, self->probs);
    dg_chart_set_plot(self->prob_chart, &dg_prob_chart_kind, pc);
    gtk_label_set_text(self->top_label, top_name ? top_name : "–");
    g_autofree char *pt = isfinite(top_p) ? g_strdup_printf("%.1f %% probability", 100 * top_p)
                                          : g_strdup("");
    gtk_label_set_text(self->top_prob_label, pt);
    g_autofree char *base = g_path_get_basename(self->path);
    g_autofree char *disp = g_filename_display_name(base);
    gtk_label_set_text(self->file_label, disp);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->file_label), self->path);
    g_set_object(&self->overlay, self->pending_overlay);
    g_clear_object(&self->pending_overlay);
    gtk_widget_set_sensitive(GTK_WIDGET(self->overlay_switch), self->overlay != NULL);
    show_picture(self);
    self->have_result = TRUE;
    gtk_spinner_stop(self->spinner);
    gtk_stack_set_visible_child_name(self->stack, "result");
    return TRUE;
}

static void on_event(DgJobRunner *runner, const DgEventCopy *ev, DgDiagnoseView *self)
{
    if (runner != self->runner)
        return;
    switch (ev->kind) {
    case DG_EVENT_IMAGE:
        if (ev->rgb && ev->width > 0 && ev->height > 0) {
            GdkTexture *t = gdk_memory_texture_new(ev->width, ev->height, GDK_MEMORY_R8G8B8,
                                                   ev->rgb, (gsize)ev->width * 3);
            g_set_object(&self->pending_overlay, t);
            g_object_unref(t);
        }
        break;
    case DG_EVENT_RESULT:
        if (!show_prediction(self, ev->json)) {
            dg_session_toast(self->session, TRUE, "The prediction could not be read");
            back_to_previous(self);
        }
        break;
    case DG_EVENT_FINISHED:
        if (ev->state == DG_JOB_FAILED) {
            dg_session_toast(self->session, TRUE, "Diagnose failed: %s",
                             ev->message ? ev->message : "unknown error");
            back_to_previous(self);
        } else if (ev->state == DG_JOB_CANCELLED) {
            back_to_previous(self);
        }
        break;
    default:
        break;
    }
}

gboolean dg_diagnose_view_open(DgDiagnoseView *self, const char *path)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), FALSE);
    g_return_val_if_fail(path != NULL, FALSE);
    if (!self->session)
        return FALSE;
    const char *model = dg_session_get_classifier(self->session);
    if (!model) {
        dg_session_toast(self->session, TRUE,
                         "No classifier model: the bundled one is missing; train or choose one");
        return FALSE;
    }
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_autofree char *disp = g_filename_display_name(path);
        dg_session_toast(self->session, TRUE, "%s is not an image file", disp);
        return FALSE;
    }
    g_free(self->path);
    self->path = g_strdup(path);
    g_clear_object(&self->pending_overlay);
    /* the photo */
    g_cancellable_cancel(self->cancel);
    g_object_unref(self->cancel);
    self->cancel = g_cancellable_new();
    g_clear_object(&self->photo);
    GTask *task = g_task_new(self, self->cancel, photo_done, NULL);
    g_task_set_task_data(task, g_strdup(path), g_free);
    g_task_run_in_thread(task, photo_thread);
    g_object_unref(task);
    /* the prediction */
    dg_predict_config *c = dg_predict_config_new();
    c->model = g_strdup(model);
    c->images = g_new0(char *, 2);
    c->images[0] = g_strdup(path);
    c->tta = TRUE;
    c->saliency = TRUE;
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

static void on_model_file(GFile *file, gpointer data)
{
    DgDiagnoseView *self = data;
    g_autofree char *path = g_file_get_path(file);
    if (path && self->session) {
        dg_session_set_classifier(self->session, path);
        if (self->path && self->have_result)
            dg_diagnose_view_open(self, self->path);
    }
}

static void on_choose_model(DgDiagnoseView *self)
{
    dg_ui_choose(GTK_WIDGET(self), GTK_FILE_CHOOSER_ACTION_OPEN, "Choose a Classifier Model",
                 "_Use", dg_ui_model_filter(), on_model_file, self);
}

static void on_classifier(DgSession *s, GParamSpec *p, DgDiagnoseView *self)
{
    (void)s, (void)p;
    update_model_label(self);
}

void dg_diagnose_view_set_session(DgDiagnoseView *self, DgSession *session)
{
    g_return_if_fail(DG_IS_DIAGNOSE_VIEW(self));
    g_return_if_fail(self->session == NULL);
    self->session = g_object_ref(session);
    g_signal_connect_object(session, "notify::classifier", G_CALLBACK(on_classifier), self, 0);
    update_model_label(self);
}

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
    return self->top;
}

gboolean dg_diagnose_view_has_overlay(DgDiagnoseView *self)
{
    g_return_val_if_fail(DG_IS_DIAGNOSE_VIEW(self), FALSE);
    return self->overlay != NULL;
}

static void dg_diagnose_view_dispose(GObject *object)
{
    DgDiagnoseView *self = DG_DIAGNOSE_VIEW(object);
    g_cancellable_cancel(self->cancel);
    if (self->runner)
        g_signal_handlers_disconnect_by_data(self->runner, self);
    g_clear_object(&self->runner);
    g_clear_object(&self->photo);
    g_clear_object(&self->overlay);
    g_clear_object(&self->pending_overlay);
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
    gtk_widget_class_set_template_from_resource(wc,
                                                "/org/dermagan/DermaGAN/ui/dg-diagnose-view.ui");
    gtk_widget_class_bind_template_child(wc, DgDiagnoseView, stack);
    gtk_widget_class_bind_template_child(wc, DgDiagnoseView, empty_page);
    gtk_widget_class_bind_template_child(wc, DgDiagnoseView, spinner);
    gtk_widget_class_bind_template_child(wc, DgDiagnoseView, picture);
    gtk_widget_class_bind_template_child(wc, DgDiagnoseView, overlay_switch);
    gtk_widget_class_bind_template_child(wc, DgDiagnoseView, file_label);
    gtk_widget_class_bind_template_child(wc, DgDiagnoseView, top_label);
    gtk_widget_class_bind_template_child(wc, DgDiagnoseView, top_prob_label);
    gtk_widget_class_bind_template_child(wc, DgDiagnoseView, model_label);
    gtk_widget_class_bind_template_child(wc, DgDiagnoseView, prob_chart);
    gtk_widget_class_bind_template_callback(wc, on_overlay_toggled);
    gtk_widget_class_bind_template_callback(wc, on_choose_model);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void dg_diagnose_view_init(DgDiagnoseView *self)
{
    self->cancel = g_cancellable_new();
    gtk_widget_init_template(GTK_WIDGET(self));
}

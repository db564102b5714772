/* dg-explore-window.c: a look inside the session's generator. */
#include "dg-explore-window.h"

#include <math.h>

#include "dg-ui-util.h"
#include "jobs/dg-job-explore.h"
#include "jobs/dg-run-info.h"

#define CELL 128 /* px of a shown image */

struct _DgExploreWindow {
    AdwWindow parent_instance;

    AdwWindowTitle *window_title;
    AdwComboRow *mode_row, *class_row;
    GtkSpinButton *seed_a_spin, *seed_b_spin;
    GtkSwitch *nearest_switch;
    GtkLabel *status_label;
    GtkGrid *grid;

    DgSession *session;
    DgJobRunner *runner;
    char **class_ids;
    guint n_samples, n_nearest;
};

G_DEFINE_FINAL_TYPE(DgExploreWindow, dg_explore_window, ADW_TYPE_WINDOW)

static GtkWidget *picture_of(const DgEventCopy *ev)
{
    GdkTexture *t = gdk_memory_texture_new(ev->width, ev->height, GDK_MEMORY_R8G8B8, ev->rgb,
                                           (gsize)ev->width * 3);
    GtkWidget *p = gtk_picture_new_for_paintable(GDK_PAINTABLE(t));
    g_object_unref(t);
    gtk_widget_set_size_request(p, CELL, CELL);
    gtk_picture_set_can_shrink(GTK_PICTURE(p), TRUE);
    gtk_widget_add_css_class(p, "dg-thumb-picture");
    gtk_widget_set_overflow(p, GTK_OVERFLOW_HIDDEN);
    return p;
}

static GtkWidget *caption(const char *text)
{
    GtkWidget *l = gtk_label_new(text);
    gtk_widget_add_css_class(l, "caption");
    gtk_widget_add_css_class(l, "dim-label");
    gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_MIDDLE);
    gtk_label_set_max_width_chars(GTK_LABEL(l), 16);
    return l;
}

static void on_event(DgJobRunner *runner, const DgEventCopy *ev, DgExploreWindow *self)
{
    if (runner != self->runner)
        return;
    if (ev->kind == DG_EVENT_IMAGE && ev->rgb) {
        int i = (int)dg_event_copy_get(ev, "index", 0);
        if (g_strcmp0(ev->message, "sample") == 0) {
            int k = (int)dg_event_copy_get(ev, "class", 0);
            double t = dg_event_copy_get(ev, "t", 0);
            const char *id = self->class_ids && k < (int)g_strv_length(self->class_ids)
                                 ? self->class_ids[k]
                                 : "?";
            g_autofree char *c = adw_combo_row_get_selected(self->mode_row) == 1
                                     ? g_strdup(dg_ui_class_name(id))
                                     : g_strdup_printf("t = %.2f", t);
            gtk_grid_attach(self->grid, caption(c), i, 0, 1, 1);
            gtk_grid_attach(self->grid, picture_of(ev), i, 1, 1, 1);
            self->n_samples++;
        } else if (g_strcmp0(ev->message, "nearest") == 0) {
            GtkWidget *p = picture_of(ev);
            gtk_widget_set_tooltip_text(p, ev->path);
            gtk_grid_attach(self->grid, p, i, 2, 1, 1);
            g_autofree char *base = ev->path ? g_path_get_basename(ev->path) : g_strdup("");
            g_autofree char *d =
                g_strdup_printf("%s\ndistance %.3f", base, dg_event_copy_get(ev, "distance", NAN));
            GtkWidget *l = caption(d);
            gtk_label_set_justify(GTK_LABEL(l), GTK_JUSTIFY_CENTER);
            gtk_grid_attach(self->grid, l, i, 3, 1, 1);
            self->n_nearest++;
        }
    } else if (ev->kind == DG_EVENT_MESSAGE && ev->message) {
        gtk_label_set_text(self->status_label, ev->message);
    } else if (ev->kind == DG_EVENT_FINISHED) {
        const char *t = ev->state == DG_JOB_SUCCEEDED
                            ? (self->n_nearest ? "Top: generated. Below: the nearest real training "
                                                 "image, and how far it is (0 would be a copy)."
                                               : "Generated from the same noise.")
                            : ev->message ? ev->message
                                          : "Stopped.";
        gtk_label_set_text(self->status_label, t);
        gtk_widget_action_set_enabled(GTK_WIDGET(self), "explore.show", TRUE);
    }
}

gboolean dg_explore_window_show(DgExploreWindow *self)
{
    g_return_val_if_fail(DG_IS_EXPLORE_WINDOW(self), FALSE);
    const char *gen = dg_session_get_generator(self->session);
    if (!gen) {
        gtk_label_set_text(self->status_label, "No generator: train a GAN or choose a model file.");
        return FALSE;
    }
    dg_explore_config *c = dg_explore_config_new();
    c->model = g_strdup(gen);
    g_free(c->mode);
    c->mode = g_strdup(adw_combo_row_get_selected(self->mode_row) == 1 ? "classes" : "noise");
    guint k = adw_combo_row_get_selected(self->class_row);
    c->cls = k == GTK_INVALID_LIST_POSITION ? 0 : (int)k;
    c->seed_a = (guint64)gtk_spin_button_get_value(self->seed_a_spin);
    c->seed_b = (guint64)gtk_spin_button_get_value(self->seed_b_spin);
    const dg_dataset *ds = dg_session_get_dataset(self->session);
    if (gtk_switch_get_active(self->nearest_switch) && ds) {
        c->data = g_strdup(ds->root);
        c->all_classes = dg_session_get_all_classes(self->session);
        c->split_seed = DG_SPLIT_SEED;
    }
    c->threads = dg_session_get_threads(self->session);
    dg_ui_clear_children(GTK_WIDGET(self->grid));
    self->n_samples = self->n_nearest = 0;
    if (self->runner)
        g_signal_handlers_disconnect_by_data(self->runner, self);
    g_clear_object(&self->runner);
    self->runner = dg_job_runner_new(&dg_job_explore, c);
    g_signal_connect(self->runner, "event", G_CALLBACK(on_event), self);
    gtk_label_set_text(self->status_label, "Generating…");
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "explore.show", FALSE);
    dg_session_track(self->session, self->runner);
    dg_job_runner_start(self->runner);
    return TRUE;
}

static void act_show(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    dg_explore_window_show(DG_EXPLORE_WINDOW(w));
}

static void on_mode_changed(DgExploreWindow *self)
{
    gboolean noise = adw_combo_row_get_selected(self->mode_row) == 0;
    gtk_widget_set_sensitive(GTK_WIDGET(self->class_row), noise);
    gtk_widget_set_sensitive(GTK_WIDGET(self->seed_b_spin), noise);
}

void dg_explore_window_configure(DgExploreWindow *self, const char *mode, int cls,
                                 guint64 seed_a, guint64 seed_b, gboolean nearest)
{
    g_return_if_fail(DG_IS_EXPLORE_WINDOW(self));
    adw_combo_row_set_selected(self->mode_row, g_strcmp0(mode, "classes") == 0 ? 1 : 0);
    adw_combo_row_set_selected(self->class_row, (guint)MAX(cls, 0));
    gtk_spin_button_set_value(self->seed_a_spin, (double)seed_a);
    gtk_spin_button_set_value(self->seed_b_spin, (double)seed_b);
    gtk_switch_set_active(self->nearest_switch, nearest);
}

/* The generator's classes, from its file's header. */
static void fill_classes(DgExploreWindow *self)
{
    const char *gen = dg_session_get_generator(self->session);
    g_autoptr(dg_model_info) info = gen ? dg_model_info_read(gen, NULL) : NULL;
    GtkStringList *l = gtk_string_list_new(NULL);
    g_strfreev(self->class_ids);
    self->class_ids = info ? g_strdupv(info->class_ids) : NULL;
    for (int k = 0; info && k < info->n_classes; k++)
        gtk_string_list_append(l, dg_ui_class_name(info->class_ids[k]));
    adw_combo_row_set_model(self->class_row, G_LIST_MODEL(l));
    g_object_unref(l);
    g_autofree char *d = gen ? dg_session_describe_model(gen) : g_strdup("no generator");
    adw_window_title_set_subtitle(self->window_title, d);
}

DgExploreWindow *dg_explore_window_new(GtkWindow *parent, DgSession *session)
{
    g_return_val_if_fail(DG_IS_SESSION(session), NULL);
    DgExploreWindow *self = g_object_new(DG_TYPE_EXPLORE_WINDOW, "transient-for", parent, NULL);
    self->session = g_object_ref(session);
    fill_classes(self);
    gtk_label_set_text(self->status_label, "Choose what to see, then Show.");
    return self;
}

DgJobRunner *dg_explore_window_get_runner(DgExploreWindow *self)
{
    g_return_val_if_fail(DG_IS_EXPLORE_WINDOW(self), NULL);
    return self->runner;
}

guint dg_explore_window_get_n_samples(DgExploreWindow *self)
{
    g_return_val_if_fail(DG_IS_EXPLORE_WINDOW(self), 0);
    return self->n_samples;
}

guint dg_explore_window_get_n_nearest(DgExploreWindow *self)
{
    g_return_val_if_fail(DG_IS_EXPLORE_WINDOW(self), 0);
    return self->n_nearest;
}

static void dg_explore_window_dispose(GObject *object)
{
    DgExploreWindow *self = DG_EXPLORE_WINDOW(object);
    if (self->runner) {
        g_signal_handlers_disconnect_by_data(self->runner, self);
        dg_job_runner_cancel(self->runner);
    }
    g_clear_object(&self->runner); /* the session keeps it until its thread ends */
    gtk_widget_dispose_template(GTK_WIDGET(self), DG_TYPE_EXPLORE_WINDOW);
    g_clear_object(&self->session);
    G_OBJECT_CLASS(dg_explore_window_parent_class)->dispose(object);
}

static void dg_explore_window_finalize(GObject *object)
{
    g_strfreev(DG_EXPLORE_WINDOW(object)->class_ids);
    G_OBJECT_CLASS(dg_explore_window_parent_class)->finalize(object);
}

static void dg_explore_window_class_init(DgExploreWindowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = dg_explore_window_dispose;
    oc->finalize = dg_explore_window_finalize;
    gtk_widget_class_set_template_from_resource(wc,
                                                "/org/dermagan/DermaGAN/ui/dg-explore-window.ui");
    gtk_widget_class_bind_template_child(wc, DgExploreWindow, window_title);
    gtk_widget_class_bind_template_child(wc, DgExploreWindow, mode_row);
    gtk_widget_class_bind_template_child(wc, DgExploreWindow, class_row);
    gtk_widget_class_bind_template_child(wc, DgExploreWindow, seed_a_spin);
    gtk_widget_class_bind_template_child(wc, DgExploreWindow, seed_b_spin);
    gtk_widget_class_bind_template_child(wc, DgExploreWindow, nearest_switch);
    gtk_widget_class_bind_template_child(wc, DgExploreWindow, status_label);
    gtk_widget_class_bind_template_child(wc, DgExploreWindow, grid);
    gtk_widget_class_bind_template_callback(wc, on_mode_changed);
    gtk_widget_class_install_action(wc, "explore.show", NULL, act_show);
}

static void dg_explore_window_init(DgExploreWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

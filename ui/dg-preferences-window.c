/* dg-preferences-window.c: preferences bound to GSettings. */
#include "dg-preferences-window.h"

struct _DgPreferencesWindow {
    AdwPreferencesWindow parent_instance;

    AdwComboRow *scheme_row;
    AdwActionRow *threads_row;
    GtkAdjustment *threads_adjustment, *size_adjustment;

    GSettings *settings;
};

G_DEFINE_FINAL_TYPE(DgPreferencesWindow, dg_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *const schemes[] = {"default", "light", "dark"};

static void on_scheme_selected(DgPreferencesWindow *self)
{
    guint i = adw_combo_row_get_selected(self->scheme_row);
    if (self->settings && i < G_N_ELEMENTS(schemes))
        g_settings_set_string(self->settings, "color-scheme", schemes[i]);
}

static void dg_preferences_window_dispose(GObject *object)
{
    DgPreferencesWindow *self = DG_PREFERENCES_WINDOW(object);
    gtk_widget_dispose_template(GTK_WIDGET(self), DG_TYPE_PREFERENCES_WINDOW);
    g_clear_object(&self->settings);
    G_OBJECT_CLASS(dg_preferences_window_parent_class)->dispose(object);
}

static void dg_preferences_window_class_init(DgPreferencesWindowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = dg_preferences_window_dispose;
    gtk_widget_class_set_template_from_resource(
        wc, "/org/dermagan/DermaGAN/ui/dg-preferences-window.ui");
    gtk_widget_class_bind_template_child(wc, DgPreferencesWindow, scheme_row);
    gtk_widget_class_bind_template_child(wc, DgPreferencesWindow, threads_row);
    gtk_widget_class_bind_template_child(wc, DgPreferencesWindow, threads_adjustment);
    gtk_widget_class_bind_template_child(wc, DgPreferencesWindow, size_adjustment);
    gtk_widget_class_bind_template_callback(wc, on_scheme_selected);
}

static void dg_preferences_window_init(DgPreferencesWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    g_autofree char *sub = g_strdup_printf("Threads a training job may use; 0 uses all %u cores. "
                                           "Fewer leaves room for other work.",
                                           g_get_num_processors());
    adw_action_row_set_subtitle(self->threads_row, sub);
}

GtkWidget *dg_preferences_window_new(GtkWindow *parent, GSettings *settings)
{
    DgPreferencesWindow *self = g_object_new(DG_TYPE_PREFERENCES_WINDOW, "transient-for", parent,
                                             NULL);
    self->settings = g_object_ref(settings);
    g_autofree char *scheme = g_settings_get_string(settings, "color-scheme");
    for (guint i = 0; i < G_N_ELEMENTS(schemes); i++)
        if (g_strcmp0(scheme, schemes[i]) == 0)
            adw_combo_row_set_selected(self->scheme_row, i);
    g_settings_bind(settings, "threads", self->threads_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "image-size", self->size_adjustment, "value",
                    G_SETTINGS_BIND_DEFAULT);
    return GTK_WIDGET(self);
}

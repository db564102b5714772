/* dg-application.c: the DermaGAN GtkApplication. */
#include "dg-application.h"

#include "dg-preferences-window.h"
#include "dg-window.h"

struct _DgApplication {
    AdwApplication parent_instance;
    GSettings *settings;
};

G_DEFINE_FINAL_TYPE(DgApplication, dg_application, ADW_TYPE_APPLICATION)

GSettings *dg_application_settings_new(void)
{
    GSettingsSchemaSource *def = g_settings_schema_source_get_default();
    g_autoptr(GSettingsSchema) schema =
        def ? g_settings_schema_source_lookup(def, DG_APPLICATION_ID, TRUE) : NULL;
#ifdef DG_BUILD_SCHEMA_DIR
    if (!schema) {
        /* running from the build folder: the schema compiled there */
        g_autoptr(GSettingsSchemaSource) src =
            g_settings_schema_source_new_from_directory(DG_BUILD_SCHEMA_DIR, def, FALSE, NULL);
        if (src)
            schema = g_settings_schema_source_lookup(src, DG_APPLICATION_ID, FALSE);
    }
#endif
    if (!schema) {
        g_printerr("dermagan: the settings schema %s is not installed (install DermaGAN, or set "
                   "GSETTINGS_SCHEMA_DIR to the folder holding its gschemas.compiled)\n",
                   DG_APPLICATION_ID);
        return NULL;
    }
    return g_settings_new_full(schema, NULL, NULL);
}

GSettings *dg_application_get_settings(DgApplication *self)
{
    g_return_val_if_fail(DG_IS_APPLICATION(self), NULL);
    return self->settings;
}

static void apply_color_scheme(DgApplication *self)
{
    g_autofree char *s = g_settings_get_string(self->settings, "color-scheme");
    AdwColorScheme cs = g_strcmp0(s, "dark") == 0    ? ADW_COLOR_SCHEME_FORCE_DARK
                        : g_strcmp0(s, "light") == 0 ? ADW_COLOR_SCHEME_FORCE_LIGHT
                                                     : ADW_COLOR_SCHEME_DEFAULT;
    adw_style_manager_set_color_scheme(adw_style_manager_get_default(), cs);
}

static void on_color_scheme(GSettings *s, const char *key, DgApplication *self)
{
    (void)s, (void)key;
    apply_color_scheme(self);
}

/* ---- actions ------------------------------------------------------------------------------------ */

static void act_quit(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a, (void)p;
    /* each window asks before stopping its jobs; the application ends with the last one */
    GList *windows = g_list_copy(gtk_application_get_windows(GTK_APPLICATION(data)));
    for (GList *it = windows; it; it = it->next)
        gtk_window_close(it->data);
    g_list_free(windows);
}

static void act_preferences(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a, (void)p;
    DgApplication *self = data;
    GtkWindow *parent = gtk_application_get_active_window(GTK_APPLICATION(self));
    gtk_window_present(GTK_WINDOW(dg_preferences_window_new(parent, self->settings)));
}

static void act_about(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a, (void)p;
    GtkWindow *parent = gtk_application_get_active_window(GTK_APPLICATION(data));
    const char *developers[] = {"The DermaGAN developers", NULL};
    GtkWidget *about = g_object_new(
        ADW_TYPE_ABOUT_WINDOW, "transient-for", parent, "application-name", "DermaGAN",
        "application-icon", DG_APPLICATION_ID, "version", DG_VERSION, "developer-name",
        "The DermaGAN developers", "developers", developers, "license-type", GTK_LICENSE_MIT_X11,
        "comments",
        "Explore a dermoscopy data set, train a GAN and a classifier on any CPU, and try a "
        "diagnosis demo. A research demonstration, not a medical device.",
        NULL);
    adw_about_window_add_legal_section(
        ADW_ABOUT_WINDOW(about), "The HAM10000 images",
        "Tschandl P., Rosendahl C., Kittler H.: The HAM10000 dataset, a large collection of "
        "multi-source dermatoscopic images of common pigmented skin lesions. Sci. Data 5, 180161 "
        "(2018), doi:10.7910/DVN/DBW86T. The bundled sample is a small subset of it.",
        GTK_LICENSE_CUSTOM, "Creative Commons Attribution-NonCommercial 4.0 (CC BY-NC 4.0)");
    gtk_window_present(GTK_WINDOW(about));
}

static const GActionEntry app_actions[] = {
    {.name = "quit", .activate = act_quit},
    {.name = "preferences", .activate = act_preferences},
    {.name = "about", .activate = act_about},
};

static void set_accels(GtkApplication *app, const char *action, const char *first, ...)
{
    const char *accels[6] = {first, NULL};
    va_list ap;
    va_start(ap, first);
    for (int i = 1; i < 5; i++) {
        accels[i] = va_arg(ap, const char *);
        if (!accels[i])
            break;
    }
    va_end(ap);
    gtk_application_set_accels_for_action(app, action, accels);
}

/* ---- GApplication -------------------------------------------------------------------------------- */

static void dg_application_startup(GApplication *app)
{
    DgApplication *self = DG_APPLICATION(app);
    G_APPLICATION_CLASS(dg_application_parent_class)->startup(app);
    g_set_application_name("DermaGAN");
    gtk_window_set_default_icon_name(DG_APPLICATION_ID);
    g_action_map_add_action_entries(G_ACTION_MAP(app), app_actions, G_N_ELEMENTS(app_actions),
                                    app);
    GtkApplication *g = GTK_APPLICATION(app);
    set_accels(g, "app.quit", "<Control>q", NULL);
    set_accels(g, "app.preferences", "<Control>comma", NULL);
    set_accels(g, "window.close", "<Control>w", NULL);
    set_accels(g, "win.open", "<Control>o", NULL); /* the view's: an image in Diagnose */
    set_accels(g, "win.open-image", "<Control><Shift>o", NULL);
    set_accels(g, "win.start", "<Control>Return", NULL);
    set_accels(g, "win.pause", "<Control>p", NULL);
    set_accels(g, "win.stop", "<Control>period", NULL);
    const char *views[] = {"dataset", "gan", "generate", "classifier", "diagnose"};
    for (int i = 0; i < 5; i++) {
        g_autofree char *action = g_strdup_printf("win.view::%s", views[i]);
        g_autofree char *accel = g_strdup_printf("<Alt>%d", i + 1);
        set_accels(g, action, accel, NULL);
    }
    /* GtkApplication loads gtk/help-overlay.ui from the resources and binds Ctrl+? */

    GtkCssProvider *css = gtk_css_provider_new();
    gtk_css_provider_load_from_resource(css, "/org/dermagan/DermaGAN/style.css");
    gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(css),
                                               GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    g_object_unref(css);

    self->settings = dg_application_settings_new();
    if (self->settings) {
        g_signal_connect_object(self->settings, "changed::color-scheme",
                                G_CALLBACK(on_color_scheme), self, 0);
        apply_color_scheme(self);
    }
}

static DgWindow *new_window(DgApplication *self)
{
    DgWindow *win = dg_window_new(GTK_APPLICATION(self), self->settings);
    return win;
}

static void dg_application_activate(GApplication *app)
{
    DgApplication *self = DG_APPLICATION(app);
    if (!self->settings)
        return; /* the message about the schema was printed at startup */
    GtkWindow *win = gtk_application_get_active_window(GTK_APPLICATION(app));
    if (!win) {
        DgWindow *w = new_window(self);
        dg_window_open_initial(w);
        win = GTK_WINDOW(w);
    }
    gtk_window_present(win);
}

static void dg_application_open(GApplication *app, GFile **files, int n, const char *hint)
{
    (void)hint;
    DgApplication *self = DG_APPLICATION(app);
    if (!self->settings)
        return;
    GtkWindow *win = gtk_application_get_active_window(GTK_APPLICATION(app));
    if (!win)
        win = GTK_WINDOW(new_window(self));
    gtk_window_present(win);
    for (int i = 0; i < n; i++)
        dg_window_open_file(DG_WINDOW(win), files[i]);
}

static void dg_application_dispose(GObject *object)
{
    DgApplication *self = DG_APPLICATION(object);
    g_clear_object(&self->settings);
    G_OBJECT_CLASS(dg_application_parent_class)->dispose(object);
}

static void dg_application_class_init(DgApplicationClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = dg_application_dispose;
    GApplicationClass *ac = G_APPLICATION_CLASS(klass);
    ac->startup = dg_application_startup;
    ac->activate = dg_application_activate;
    ac->open = dg_application_open;
}

static void dg_application_init(DgApplication *self)
{
    (void)self;
}

/* Without a GPU, GL is Mesa's software rasterizer, which repaints the whole
 * window on every frame with threads of its own, competing with training;
 * GTK's cairo renderer repaints only what changed.  GSK_RENDERER still wins. */
static void pick_renderer(void)
{
    if (g_getenv("GSK_RENDERER"))
        return;
    gboolean gpu = FALSE;
    GDir *d = g_dir_open("/dev/dri", 0, NULL);
    if (d) {
        const char *n;
        while ((n = g_dir_read_name(d)))
            if (g_str_has_prefix(n, "renderD") || g_str_has_prefix(n, "card"))
                gpu = TRUE;
        g_dir_close(d);
    }
    if (!gpu)
        g_setenv("GSK_RENDERER", "cairo", FALSE);
}

DgApplication *dg_application_new(GApplicationFlags extra_flags)
{
    pick_renderer();
    return g_object_new(DG_TYPE_APPLICATION, "application-id", DG_APPLICATION_ID, "flags",
                        G_APPLICATION_HANDLES_OPEN | extra_flags, "resource-base-path",
                        "/org/dermagan/DermaGAN", NULL);
}

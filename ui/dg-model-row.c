/* dg-model-row.c: a row naming the model a view uses, with a menu to change it. */
#include "dg-model-row.h"

#include "dg-ui-util.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-run-info.h"

struct _DgModelRow {
    AdwActionRow parent_instance;

    GtkMenuButton *menu_button;
    char *kind; /* "generator" | "classifier" */
    DgSession *session;
};

G_DEFINE_FINAL_TYPE(DgModelRow, dg_model_row, ADW_TYPE_ACTION_ROW)

enum { PROP_0, PROP_KIND, N_PROPS };
static GParamSpec *props[N_PROPS];

static gboolean is_generator(DgModelRow *self)
{
    return g_strcmp0(self->kind, "generator") == 0;
}

static const char *current(DgModelRow *self)
{
    if (!self->session)
        return NULL;
    return is_generator(self) ? dg_session_get_generator(self->session)
                              : dg_session_get_classifier(self->session);
}

static char *bundled(DgModelRow *self)
{
    return dg_find_resource(is_generator(self) ? "models/generator.safetensors"
                                               : "models/classifier.safetensors");
}

char *dg_model_row_get_last_trained(DgModelRow *self)
{
    g_return_val_if_fail(DG_IS_MODEL_ROW(self), NULL);
    if (!self->session)
        return NULL;
    GSettings *s = dg_session_get_settings(self->session);
    g_autofree char *run = g_settings_get_string(s, is_generator(self) ? "last-gan-run"
                                                                        : "last-cnn-run");
    if (!run || !*run)
        return NULL;
    char *m = g_build_filename(run, is_generator(self) ? "generator.safetensors"
                                                       : "model.safetensors",
                               NULL);
    if (g_file_test(m, G_FILE_TEST_IS_REGULAR))
        return m;
    g_free(m);
    return NULL;
}

static void update(DgModelRow *self)
{
    const char *m = current(self);
    g_autofree char *d = m ? dg_session_describe_model(m) : NULL;
    g_autofree char *sub =
        d ? g_markup_escape_text(d, -1)
          : g_strdup(is_generator(self)
                         ? "None: the bundled generator is missing. Train one in the GAN view, "
                           "or choose a model file."
                         : "None: the bundled classifier is missing. Train one on the Training "
                           "page, or choose a model file.");
    adw_action_row_set_subtitle(ADW_ACTION_ROW(self), sub);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self), m);
    g_autofree char *b = bundled(self);
    g_autofree char *last = dg_model_row_get_last_trained(self);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "model.bundled",
                                  b && g_strcmp0(b, m) != 0);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "model.last", last && g_strcmp0(last, m) != 0);
    /* the menu says which run is the last one */
    GMenu *menu = g_menu_new();
    g_menu_append(menu, "_Bundled Default", "model.bundled");
    g_autofree char *ld = last ? dg_session_describe_model(last) : NULL;
    g_autofree char *ll = ld ? g_strdup_printf("_Last Trained: %s", ld)
                             : g_strdup("_Last Trained (none yet)");
    g_menu_append(menu, ll, "model.last");
    GMenu *more = g_menu_new();
    g_menu_append(more, "_Choose a File…", "model.choose");
    g_menu_append_section(menu, NULL, G_MENU_MODEL(more));
    gtk_menu_button_set_menu_model(self->menu_button, G_MENU_MODEL(menu));
    g_object_unref(more);
    g_object_unref(menu);
}

static void set_model(DgModelRow *self, const char *path)
{
    if (!self->session || !path)
        return;
    if (is_generator(self))
        dg_session_set_generator(self->session, path);
    else
        dg_session_set_classifier(self->session, path);
}

void dg_model_row_use(DgModelRow *self, const char *which)
{
    g_return_if_fail(DG_IS_MODEL_ROW(self));
    g_autofree char *path = g_strcmp0(which, "bundled") == 0 ? bundled(self)
                            : g_strcmp0(which, "last") == 0  ? dg_model_row_get_last_trained(self)
                                                             : NULL;
    set_model(self, path);
}

static void act_bundled(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    dg_model_row_use(DG_MODEL_ROW(w), "bundled");
}

static void act_last(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    dg_model_row_use(DG_MODEL_ROW(w), "last");
}

static void on_file(GFile *file, gpointer data)
{
    g_autofree char *path = g_file_get_path(file);
    set_model(DG_MODEL_ROW(data), path);
}

static void act_choose(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    DgModelRow *self = DG_MODEL_ROW(w);
    g_autofree char *runs = dg_runs_dir();
    dg_ui_choose_in(w, GTK_FILE_CHOOSER_ACTION_OPEN,
                    is_generator(self) ? "Choose a Generator Model" : "Choose a Classifier Model",
                    "_Use", dg_ui_model_filter(), runs, on_file, self);
}

static void on_session(DgSession *s, GParamSpec *p, DgModelRow *self)
{
    (void)s, (void)p;
    update(self);
}

static void on_last_run(GSettings *s, const char *key, DgModelRow *self)
{
    (void)s, (void)key;
    update(self);
}

void dg_model_row_set_session(DgModelRow *self, DgSession *session)
{
    g_return_if_fail(DG_IS_MODEL_ROW(self));
    g_return_if_fail(self->session == NULL);
    self->session = g_object_ref(session);
    g_signal_connect_object(session, is_generator(self) ? "notify::generator"
                                                        : "notify::classifier",
                            G_CALLBACK(on_session), self, 0);
    /* a training that just finished is the new "last trained" */
    g_signal_connect_object(dg_session_get_settings(session),
                            is_generator(self) ? "changed::last-gan-run" : "changed::last-cnn-run",
                            G_CALLBACK(on_last_run), self, 0);
    update(self);
}

static void dg_model_row_dispose(GObject *object)
{
    DgModelRow *self = DG_MODEL_ROW(object);
    g_clear_object(&self->session);
    G_OBJECT_CLASS(dg_model_row_parent_class)->dispose(object);
}

static void dg_model_row_finalize(GObject *object)
{
    g_free(DG_MODEL_ROW(object)->kind);
    G_OBJECT_CLASS(dg_model_row_parent_class)->finalize(object);
}

static void dg_model_row_set_property(GObject *object, guint id, const GValue *value,
                                      GParamSpec *pspec)
{
    DgModelRow *self = DG_MODEL_ROW(object);
    if (id == PROP_KIND) {
        g_free(self->kind);
        self->kind = g_value_dup_string(value);
        update(self);
    } else {
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void dg_model_row_get_property(GObject *object, guint id, GValue *value,
                                      GParamSpec *pspec)
{
    if (id == PROP_KIND)
        g_value_set_string(value, DG_MODEL_ROW(object)->kind);
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void dg_model_row_class_init(DgModelRowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = dg_model_row_dispose;
    oc->finalize = dg_model_row_finalize;
    oc->set_property = dg_model_row_set_property;
    oc->get_property = dg_model_row_get_property;
    props[PROP_KIND] = g_param_spec_string("kind", NULL, NULL, "classifier",
                                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
    gtk_widget_class_install_action(wc, "model.bundled", NULL, act_bundled);
    gtk_widget_class_install_action(wc, "model.last", NULL, act_last);
    gtk_widget_class_install_action(wc, "model.choose", NULL, act_choose);
}

static void dg_model_row_init(DgModelRow *self)
{
    self->kind = g_strdup("classifier");
    adw_action_row_set_subtitle_lines(ADW_ACTION_ROW(self), 3);
    GtkWidget *b = gtk_menu_button_new();
    gtk_menu_button_set_label(GTK_MENU_BUTTON(b), "_Change");
    gtk_menu_button_set_use_underline(GTK_MENU_BUTTON(b), TRUE);
    gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
    gtk_widget_set_tooltip_text(b, "Use the bundled model, the last trained one, or a file");
    self->menu_button = GTK_MENU_BUTTON(b);
    adw_action_row_add_suffix(ADW_ACTION_ROW(self), b);
}

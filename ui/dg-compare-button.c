/* dg-compare-button.c: picks an earlier training run to draw beside the current one. */
#include "dg-compare-button.h"

#include "dg-ui-util.h"

#define MAX_LISTED 6

struct _DgCompareButton {
    GtkWidget parent_instance;

    GtkMenuButton *button;
    char *kind;           /* "gan" | "classifier" */
    char *current;        /* left out of the menu */
    dg_run_info *run;     /* the run chosen */
    GCancellable *cancel; /* the read in progress */
};

G_DEFINE_FINAL_TYPE(DgCompareButton, dg_compare_button, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_KIND, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { SIGNAL_CHOSEN, N_SIGNALS };
static guint signals[N_SIGNALS];

static void read_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
    (void)src, (void)cancel;
    GError *error = NULL;
    dg_run_info *r = dg_run_info_read(data, &error);
    if (r)
        g_task_return_pointer(task, r, (GDestroyNotify)dg_run_info_free);
    else
        g_task_return_error(task, error);
}

static void read_done(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)data;
    DgCompareButton *self = DG_COMPARE_BUTTON(src);
    GError *error = NULL;
    dg_run_info *r = g_task_propagate_pointer(G_TASK(res), &error);
    if (!r) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            gtk_widget_set_tooltip_text(GTK_WIDGET(self->button), error->message);
        g_error_free(error);
        return;
    }
    gboolean gan = g_strcmp0(self->kind, "gan") == 0;
    if ((r->kind == DG_RUN_GAN) != gan) {
        gtk_widget_set_tooltip_text(GTK_WIDGET(self->button),
                                    gan ? "That folder is a classifier training, not a GAN run"
                                        : "That folder is a GAN run, not a classifier training");
        dg_run_info_free(r);
        return;
    }
    dg_run_info_free(self->run);
    self->run = r;
    g_autofree char *base = g_path_get_basename(r->folder);
    g_autofree char *disp = g_filename_display_name(base);
    gtk_menu_button_set_label(self->button, disp);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->button), r->folder);
    g_signal_emit(self, signals[SIGNAL_CHOSEN], 0, r);
}

void dg_compare_button_choose(DgCompareButton *self, const char *folder)
{
    g_return_if_fail(DG_IS_COMPARE_BUTTON(self));
    g_cancellable_cancel(self->cancel);
    g_object_unref(self->cancel);
    self->cancel = g_cancellable_new();
    if (!folder || !*folder) {
        g_clear_pointer(&self->run, dg_run_info_free);
        gtk_menu_button_set_label(self->button, "None");
        gtk_widget_set_tooltip_text(GTK_WIDGET(self->button), "Draw an earlier run beside this one");
        g_signal_emit(self, signals[SIGNAL_CHOSEN], 0, NULL);
        return;
    }
    GTask *task = g_task_new(self, self->cancel, read_done, NULL);
    g_task_set_task_data(task, g_strdup(folder), g_free);
    g_task_run_in_thread(task, read_thread);
    g_object_unref(task);
}

const dg_run_info *dg_compare_button_get_run(DgCompareButton *self)
{
    g_return_val_if_fail(DG_IS_COMPARE_BUTTON(self), NULL);
    return self->run;
}

void dg_compare_button_set_current(DgCompareButton *self, const char *folder)
{
    g_return_if_fail(DG_IS_COMPARE_BUTTON(self));
    g_free(self->current);
    self->current = g_strdup(folder);
}

/* The menu, made when it opens: the runs there are now. */
static void make_menu(GtkMenuButton *button, gpointer data)
{
    DgCompareButton *self = data;
    GMenu *menu = g_menu_new(), *runs = g_menu_new(), *more = g_menu_new();
    g_auto(GStrv) list = dg_runs_list(self->kind, MAX_LISTED + 1);
    int n = 0;
    for (int i = 0; list[i] && n < MAX_LISTED; i++) {
        if (self->current && g_strcmp0(list[i], self->current) == 0)
            continue;
        g_autofree char *base = g_path_get_basename(list[i]);
        g_autofree char *disp = g_filename_display_name(base);
        GMenuItem *it = g_menu_item_new(disp, NULL);
        g_menu_item_set_action_and_target_value(it, "compare.run", g_variant_new_string(list[i]));
        g_menu_append_item(runs, it);
        g_object_unref(it);
        n++;
    }
    if (n == 0)
        g_menu_append(runs, "No earlier run yet", "compare.nothing");
    g_menu_append(more, "_Other Run Folder…", "compare.other");
    GMenuItem *none = g_menu_item_new("_None", NULL);
    g_menu_item_set_action_and_target_value(none, "compare.run", g_variant_new_string(""));
    g_menu_append_item(more, none);
    g_object_unref(none);
    g_menu_append_section(menu, "Earlier Runs", G_MENU_MODEL(runs));
    g_menu_append_section(menu, NULL, G_MENU_MODEL(more));
    gtk_menu_button_set_menu_model(button, G_MENU_MODEL(menu));
    g_object_unref(runs), g_object_unref(more), g_object_unref(menu);
}

static void act_run(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    dg_compare_button_choose(DG_COMPARE_BUTTON(w), g_variant_get_string(param, NULL));
}

static void on_folder(GFile *file, gpointer data)
{
    g_autofree char *path = g_file_get_path(file);
    if (path)
        dg_compare_button_choose(DG_COMPARE_BUTTON(data), path);
}

static void act_nothing(GtkWidget *w, const char *name, GVariant *param)
{
    (void)w, (void)name, (void)param; /* a note in the menu, never enabled */
}

static void act_other(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    g_autofree char *runs = dg_runs_dir();
    dg_ui_choose_in(w, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, "Compare With a Run", "_Compare",
                    NULL, runs, on_folder, w);
}

static void dg_compare_button_dispose(GObject *object)
{
    DgCompareButton *self = DG_COMPARE_BUTTON(object);
    g_cancellable_cancel(self->cancel);
    dg_ui_unparent_children(GTK_WIDGET(self));
    G_OBJECT_CLASS(dg_compare_button_parent_class)->dispose(object);
}

static void dg_compare_button_finalize(GObject *object)
{
    DgCompareButton *self = DG_COMPARE_BUTTON(object);
    g_free(self->kind);
    g_free(self->current);
    dg_run_info_free(self->run);
    g_clear_object(&self->cancel);
    G_OBJECT_CLASS(dg_compare_button_parent_class)->finalize(object);
}

static void dg_compare_button_set_property(GObject *object, guint id, const GValue *value,
                                           GParamSpec *pspec)
{
    DgCompareButton *self = DG_COMPARE_BUTTON(object);
    if (id == PROP_KIND) {
        g_free(self->kind);
        self->kind = g_value_dup_string(value);
    } else {
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void dg_compare_button_get_property(GObject *object, guint id, GValue *value,
                                           GParamSpec *pspec)
{
    if (id == PROP_KIND)
        g_value_set_string(value, DG_COMPARE_BUTTON(object)->kind);
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void dg_compare_button_class_init(DgCompareButtonClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = dg_compare_button_dispose;
    oc->finalize = dg_compare_button_finalize;
    oc->set_property = dg_compare_button_set_property;
    oc->get_property = dg_compare_button_get_property;
    props[PROP_KIND] = g_param_spec_string("kind", NULL, NULL, "gan",
                                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
    signals[SIGNAL_CHOSEN] = g_signal_new("chosen", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
    gtk_widget_class_install_action(wc, "compare.run", "s", act_run);
    gtk_widget_class_install_action(wc, "compare.other", NULL, act_other);
    gtk_widget_class_install_action(wc, "compare.nothing", NULL, act_nothing);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void dg_compare_button_init(DgCompareButton *self)
{
    self->kind = g_strdup("gan");
    self->cancel = g_cancellable_new();
    GtkWidget *b = gtk_menu_button_new();
    self->button = GTK_MENU_BUTTON(b);
    gtk_menu_button_set_label(self->button, "None");
    gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
    gtk_widget_set_tooltip_text(b, "Draw an earlier run beside this one");
    gtk_menu_button_set_create_popup_func(self->button, make_menu, self, NULL);
    gtk_widget_set_parent(b, GTK_WIDGET(self));
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "compare.nothing", FALSE);
}

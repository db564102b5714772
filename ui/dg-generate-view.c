/* dg-generate-view.c: the Generate & Gallery view. */
#include "dg-generate-view.h"

#include <adwaita.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "dg-explore-window.h"
#include "dg-model-row.h"
#include "dg-ui-util.h"
#include "jobs/dg-job-gan.h"

struct _DgGenerateView {
    DgJobPage parent_instance;

    DgModelRow *model_row;
    AdwActionRow *count_row, *folder_row;
    AdwComboRow *mode_row;
    GtkSpinButton *count_spin, *seed_spin;
    GtkSwitch *filter_switch;
    GtkButton *export_button;
    GtkProgressBar *progress;
    GtkLabel *status_label, *amount_note, *gallery_label, *syn_heading, *real_heading;
    GtkDropDown *class_dropdown;
    DgThumbGrid *syn_grid, *real_grid;

    DgSession *session;     /* the page's, kept here for brevity */
    char *out;              /* folder being generated into */
    char *next_out;         /* for the next start: folder (NULL: new) and count */
    int next_per_class;     /* -1: as the controls say; 0: balance */
    char *shown;            /* folder shown in the gallery */
    GPtrArray *syn_files;   /* of char*[2] pairs flattened: class id, path */
    GPtrArray *class_ids;   /* of char*: the gallery's classes */
    GCancellable *cancel;   /* scans and exports */
    gboolean rebuilding;    /* class list being replaced: ignore selection changes */
    gboolean auto_per_class; /* the amount was set to per class for a balanced data set */
};

G_DEFINE_FINAL_TYPE(DgGenerateView, dg_generate_view, DG_TYPE_JOB_PAGE)

enum { SIGNAL_EXPORTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void update_buttons(DgGenerateView *self)
{
    gboolean active = dg_job_page_is_active(DG_JOB_PAGE(self));
    gtk_widget_set_sensitive(GTK_WIDGET(self->export_button),
                             !active && self->syn_files && self->syn_files->len > 0);
    gboolean per_class = adw_combo_row_get_selected(self->mode_row) == 1;
    gtk_widget_set_sensitive(GTK_WIDGET(self->count_row), per_class);
    dg_job_page_update_actions(DG_JOB_PAGE(self));
}

/* ---- the gallery ---------------------------------------------------------------------------- */

static int cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean is_image_name(const char *n)
{
    return g_str_has_suffix(n, ".png") || g_str_has_suffix(n, ".PNG") ||
           g_str_has_suffix(n, ".jpg") || g_str_has_suffix(n, ".jpeg") ||
           g_str_has_suffix(n, ".JPG") || g_str_has_suffix(n, ".bmp");
}

/* Worker: folder/<class>/<image> pairs, sorted. */
static void scan_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
    (void)src;
    const char *folder = data;
    GError *error = NULL;
    GDir *dir = g_dir_open(folder, 0, &error);
    if (!dir) {
        g_task_return_error(task, error);
        return;
    }
    GPtrArray *classes = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(dir))) {
        g_autofree char *p = g_build_filename(folder, n, NULL);
        if (n[0] != '.' && g_file_test(p, G_FILE_TEST_IS_DIR))
            g_ptr_array_add(classes, g_strdup(n));
    }
    g_dir_close(dir);
    g_ptr_array_sort(classes, cmp_str);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free); /* id, path, id, path, ... */
    for (guint c = 0; c < classes->len && !g_cancellable_is_cancelled(cancel); c++) {
        const char *id = g_ptr_array_index(classes, c);
        g_autofree char *cdir = g_build_filename(folder, id, NULL);
        GDir *d = g_dir_open(cdir, 0, NULL);
        if (!d)
            continue;
        GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
        while ((n = g_dir_read_name(d)))
            if (n[0] != '.' && is_image_name(n))
                g_ptr_array_add(files, g_strdup(n));
        g_dir_close(d);
        g_ptr_array_sort(files, cmp_str);
        for (guint i = 0; i < files->len; i++) {
            g_ptr_array_add(out, g_strdup(id));
            g_ptr_array_add(out, g_build_filename(cdir, g_ptr_array_index(files, i), NULL));
        }
        g_ptr_array_unref(files);
    }
    g_ptr_array_unref(classes);
    g_task_return_pointer(task, out, (GDestroyNotify)g_ptr_array_unref);
}

static const char *class_name_for(DgGenerateView *self, const char *id)
{
    const dg_dataset *ds = self->session ? dg_session_get_dataset(self->session) : NULL;
    int k = ds ? dg_dataset_class_index(ds, id) : -1;
    return k >= 0 ? ds->classes[k].name : dg_ui_class_name(id);
}

static void rebuild_classes(DgGenerateView *self)
{
    g_autofree char *keep = NULL;
    guint sel = gtk_drop_down_get_selected(self->class_dropdown);
    if (self->class_ids && sel < self->class_ids->len)
        keep = g_strdup(g_ptr_array_index(self->class_ids, sel));
    g_clear_pointer(&self->class_ids, g_ptr_array_unref);
    self->class_ids = g_ptr_array_new_with_free_func(g_free);
    const dg_dataset *ds = self->session ? dg_session_get_dataset(self->session) : NULL;
    if (ds)
        for (int k = 0; k < ds->n_classes; k++)
            g_ptr_array_add(self->class_ids, g_strdup(ds->classes[k].id));
    for (guint i = 0; self->syn_files && i < self->syn_files->len; i += 2) {
        const char *id = g_ptr_array_index(self->syn_files, i);
        if (!g_ptr_array_find_with_equal_func(self->class_ids, id, g_str_equal, NULL))
            g_ptr_array_add(self->class_ids, g_strdup(id));
    }
    GtkStringList *names = gtk_string_list_new(NULL);
    guint new_sel = 0;
    for (guint i = 0; i < self->class_ids->len; i++) {
        const char *id = g_ptr_array_index(self->class_ids, i);
        gtk_string_list_append(names, class_name_for(self, id));
        if (keep && strcmp(keep, id) == 0)
            new_sel = i;
    }
    self->rebuilding = TRUE;
    gtk_drop_down_set_model(self->class_dropdown, G_LIST_MODEL(names));
    g_object_unref(names);
    gtk_drop_down_set_selected(self->class_dropdown, new_sel);
    self->rebuilding = FALSE;
    dg_generate_view_show_class(self, new_sel);
}

void dg_generate_view_show_class(DgGenerateView *self, guint k)
{
    g_return_if_fail(DG_IS_GENERATE_VIEW(self));
    if (gtk_drop_down_get_selected(self->class_dropdown) != k && self->class_ids &&
        k < self->class_ids->len) {
        gtk_drop_down_set_selected(self->class_dropdown, k); /* comes back here */
        return;
    }
    const char *id = self->class_ids && k < self->class_ids->len
                         ? g_ptr_array_index(self->class_ids, k)
                         : NULL;
    GListStore *syn = g_list_store_new(DG_TYPE_THUMB_ITEM);
    GListStore *real = g_list_store_new(DG_TYPE_THUMB_ITEM);
    if (id) {
        for (guint i = 0; self->syn_files && i < self->syn_files->len; i += 2) {
            if (strcmp(g_ptr_array_index(self->syn_files, i), id) != 0)
                continue;
            const char *path = g_ptr_array_index(self->syn_files, i + 1);
            g_autofree char *base = g_path_get_basename(path);
            g_autofree char *disp = g_filename_display_name(base);
            g_autofree char *tip = g_strdup_printf("%s · synthetic %s", disp,
                                                   class_name_for(self, id));
            DgThumbItem *it = dg_thumb_item_new(path, disp, tip, -1, -1);
            g_list_store_append(syn, it);
            g_object_unref(it);
        }
        const dg_dataset *ds = self->session ? dg_session_get_dataset(self->session) : NULL;
        int c = ds ? dg_dataset_class_index(ds, id) : -1;
        for (int i = 0; c >= 0 && i < ds->n_items; i++) {
            const dg_item *item = &ds->items[i];
            if (item->cls != c)
                continue;
            g_autofree char *tip = g_strdup_printf("%s · %s · %s split", item->image_id,
                                                   ds->classes[c].name,
                                                   dg_split_name(item->split));
            DgThumbItem *it = dg_thumb_item_new(item->path, item->image_id, tip, c, item->split);
            g_list_store_append(real, it);
            g_object_unref(it);
        }
    }
    guint ns = g_list_model_get_n_items(G_LIST_MODEL(syn));
    guint nr = g_list_model_get_n_items(G_LIST_MODEL(real));
    dg_thumb_grid_set_model(self->syn_grid, G_LIST_MODEL(syn));
    dg_thumb_grid_set_model(self->real_grid, G_LIST_MODEL(real));
    g_object_unref(syn);
    g_object_unref(real);
    g_autofree char *sh = g_strdup_printf("Synthetic · %u", ns);
    g_autofree char *rh = g_strdup_printf("Real · %u", nr);
    gtk_label_set_text(self->syn_heading, sh);
    gtk_label_set_text(self->real_heading, rh);
}

static void on_class_changed(DgGenerateView *self)
{
    guint k = gtk_drop_down_get_selected(self->class_dropdown);
    if (!self->rebuilding && k != GTK_INVALID_LIST_POSITION)
        dg_generate_view_show_class(self, k);
}

static void update_gallery_label(DgGenerateView *self)
{
    if (!self->shown) {
        gtk_label_set_text(self->gallery_label, "no synthetic images yet");
        adw_action_row_set_subtitle(self->folder_row, "none yet");
        return;
    }
    guint n = self->syn_files ? self->syn_files->len / 2 : 0;
    g_autofree char *count = dg_ui_format_count(n);
    g_autofree char *text = g_strdup_printf("%s synthetic images", count);
    gtk_label_set_text(self->gallery_label, text);
    g_autofree char *disp = g_filename_display_name(self->shown);
    g_autofree char *esc = g_markup_escape_text(disp, -1);
    adw_action_row_set_subtitle(self->folder_row, esc);
}

static void scan_done(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)data;
    DgGenerateView *self = DG_GENERATE_VIEW(src);
    GError *error = NULL;
    GPtrArray *files = g_task_propagate_pointer(G_TASK(res), &error);
    if (g_strcmp0(g_task_get_task_data(G_TASK(res)), self->shown) != 0) {
        /* another folder is shown since: this list is stale */
        g_clear_pointer(&files, g_ptr_array_unref);
        g_clear_error(&error);
        return;
    }
    if (!files) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->session)
            dg_session_toast(self->session, TRUE, "Cannot read the synthetic images: %s",
                             error->message);
        g_error_free(error);
        return;
    }
    g_clear_pointer(&self->syn_files, g_ptr_array_unref);
    self->syn_files = files;
    update_gallery_label(self);
    rebuild_classes(self);
    update_buttons(self);
}

static void show_folder(DgGenerateView *self, const char *folder)
{
    g_free(self->shown);
    self->shown = g_strdup(folder);
    g_clear_pointer(&self->syn_files, g_ptr_array_unref);
    update_gallery_label(self);
    if (!folder) {
        rebuild_classes(self);
        return;
    }
    GTask *task = g_task_new(self, self->cancel, scan_done, NULL);
    g_task_set_task_data(task, g_strdup(folder), g_free);
    g_task_run_in_thread(task, scan_thread);
    g_object_unref(task);
}

static void on_item_activated(DgGenerateView *self, DgThumbItem *item)
{
    gtk_widget_activate_action(GTK_WIDGET(self), "win.diagnose-file", "s",
                               dg_thumb_item_get_path(item));
}

/* ---- generation ---------------------------------------------------------------------------- */

/* How many images balancing the open data set's training split would add
 * (every class up to the largest, as gan generate --balance counts them),
 * with that largest count; -1 without a split data set. */
static int balance_adds(DgGenerateView *self, int *largest)
{
    const dg_dataset *ds = self->session ? dg_session_get_dataset(self->session) : NULL;
    *largest = 0;
    if (!ds || !ds->has_split)
        return -1;
    for (int c = 0; c < ds->n_classes; c++)
        *largest = MAX(*largest, dg_dataset_class_count(ds, c, DG_SPLIT_TRAIN));
    int add = 0;
    for (int c = 0; c < ds->n_classes; c++)
        add += *largest - dg_dataset_class_count(ds, c, DG_SPLIT_TRAIN);
    return add;
}

/* Says what balancing would do for the open data set, under the settings
 * (where a run's messages do not overwrite it); where it would add nothing
 * (the bundled sample is balanced), the amount becomes a number per class, so
 * that Generate makes images. */
static void describe_amount(DgGenerateView *self)
{
    int largest = 0, add = balance_adds(self, &largest);
    g_autofree char *t = NULL;
    if (add != 0 && self->auto_per_class && adw_combo_row_get_selected(self->mode_row) == 1)
        adw_combo_row_set_selected(self->mode_row, 0); /* back, for an unbalanced one */
    self->auto_per_class = FALSE;
    if (add == 0) {
        self->auto_per_class = adw_combo_row_get_selected(self->mode_row) == 0;
        adw_combo_row_set_selected(self->mode_row, 1);
        t = g_strdup_printf("The training split's classes are already balanced (%d images "
                            "each): balancing adds none, so this makes a number per class.",
                            largest);
    } else if (add > 0) {
        t = g_strdup_printf("Balancing adds %d images: every class of the training split up to "
                            "the largest (%d).",
                            add, largest);
    } else {
        t = g_strdup("Balancing fills every class of the training split up to the largest.");
    }
    gtk_label_set_text(self->amount_note, t);
}

const char *dg_generate_view_get_amount_note(DgGenerateView *self)
{
    g_return_val_if_fail(DG_IS_GENERATE_VIEW(self), NULL);
    return gtk_label_get_text(self->amount_note);
}

static void page_event(DgJobPage *page, const DgEventCopy *ev)
{
    DgGenerateView *self = DG_GENERATE_VIEW(page);
    switch (ev->kind) {
    case DG_EVENT_PROGRESS: {
        gtk_progress_bar_set_fraction(self->progress,
                                      ev->total > 0 ? (double)ev->step / ev->total : 0.0);
        g_autofree char *left = dg_ui_format_duration(ev->eta);
        g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT
                                                " images · %s left",
                                                ev->step, ev->total, left);
        gtk_progress_bar_set_text(self->progress, text);
        break;
    }
    case DG_EVENT_MESSAGE:
    case DG_EVENT_STARTED:
        if (ev->message)
            gtk_label_set_text(self->status_label, ev->message);
        if (ev->kind == DG_EVENT_MESSAGE && g_strcmp0(ev->level, "warning") == 0 && ev->message)
            dg_session_toast(self->session, FALSE, "Generation: %s", ev->message);
        break;
    case DG_EVENT_RESULT:
        dg_session_set_synthetic(self->session, self->out);
        break;
    case DG_EVENT_FINISHED:
        if (ev->state == DG_JOB_FAILED) {
            g_autofree char *t = g_strdup_printf("Failed: %s", ev->message ? ev->message : "");
            gtk_label_set_text(self->status_label, t);
            dg_session_toast(self->session, TRUE, "Generation failed: %s",
                             ev->message ? ev->message : "unknown error");
        } else if (ev->state == DG_JOB_CANCELLED) {
            /* stopped before it made its folder: the gallery stays on the session's */
            gboolean made = self->out && g_file_test(self->out, G_FILE_TEST_IS_DIR);
            gtk_label_set_text(self->status_label, made
                                                       ? "Stopped; the images written so far stay."
                                                       : "Stopped before the first image.");
            show_folder(self, made ? self->out : dg_session_get_synthetic(self->session));
        } else {
            gtk_progress_bar_set_fraction(self->progress, 1.0);
            gtk_progress_bar_set_text(self->progress, "done");
        }
        break;
    default:
        break;
    }
}

static void page_state_changed(DgJobPage *page)
{
    update_buttons(DG_GENERATE_VIEW(page));
}

static gboolean page_can_start(DgJobPage *page)
{
    return dg_session_get_generator(dg_job_page_get_session(page)) != NULL;
}

static gboolean page_start(DgJobPage *page)
{
    DgGenerateView *self = DG_GENERATE_VIEW(page);
    g_autofree char *out = g_steal_pointer(&self->next_out);
    int per_class = self->next_per_class;
    self->next_per_class = -1;
    if (per_class < 0)
        per_class = adw_combo_row_get_selected(self->mode_row) == 1
                        ? gtk_spin_button_get_value_as_int(self->count_spin)
                        : 0;
    const char *model = dg_session_get_generator(self->session);
    if (!model) {
        dg_session_toast(self->session, TRUE,
                         "No generator model: train a GAN first or choose a model file");
        return FALSE;
    }
    const dg_dataset *ds = dg_session_get_dataset(self->session);
    if (per_class <= 0 && !ds) {
        dg_session_toast(self->session, TRUE,
                         "Balancing needs a data set: open one, or generate N per class");
        return FALSE;
    }
    int largest = 0;
    if (per_class <= 0 && balance_adds(self, &largest) == 0) {
        dg_session_toast(self->session, TRUE,
                         "The classes are already balanced (%d training images each): "
                         "balancing adds none; choose a number of images per class",
                         largest);
        return FALSE;
    }
    /* the controls show what runs */
    adw_combo_row_set_selected(self->mode_row, per_class > 0 ? 1 : 0);
    if (per_class > 0)
        gtk_spin_button_set_value(self->count_spin, per_class);
    dg_gan_generate_config *c = dg_gan_generate_config_new();
    c->model = g_strdup(model);
    c->out = out ? g_strdup(out) : dg_session_new_run_dir(self->session, "synthetic");
    c->per_class = per_class;
    c->balance = per_class <= 0;
    if (ds && (c->balance || ds->has_split)) { /* balanced, or N of each of its classes (not of
                                                 a generator's others) */
        c->data = g_strdup(ds->root);
        c->all_classes = dg_session_get_all_classes(self->session);
        c->split_seed = DG_SPLIT_SEED;
    }
    c->seed = (guint64)gtk_spin_button_get_value(self->seed_spin);
    c->threads = dg_session_get_threads(self->session);
    if (gtk_switch_get_active(self->filter_switch))
        c->filter = g_strdup("discriminator");
    g_free(self->out);
    self->out = g_strdup(c->out);

    gtk_progress_bar_set_fraction(self->progress, 0.0);
    gtk_progress_bar_set_text(self->progress, "starting");
    gtk_label_set_text(self->status_label, "Loading the generator…");
    g_autoptr(DgJobRunner) runner = dg_job_runner_new(&dg_job_gan_generate, c);
    dg_job_page_run(page, runner, DG_JOB_RUNNER_TRAINING_INTERVAL);
    return TRUE;
}

gboolean dg_generate_view_generate(DgGenerateView *self, int per_class, const char *out)
{
    g_return_val_if_fail(DG_IS_GENERATE_VIEW(self), FALSE);
    g_free(self->next_out);
    self->next_out = g_strdup(out);
    self->next_per_class = MAX(per_class, 0);
    return dg_job_page_start(DG_JOB_PAGE(self));
}

static void on_mode_changed(DgGenerateView *self)
{
    update_buttons(self);
}

static void on_folder_chosen(GFile *file, gpointer data)
{
    DgGenerateView *self = data;
    g_autofree char *path = g_file_get_path(file);
    if (path && self->session)
        dg_session_set_synthetic(self->session, path);
}

static void on_open_folder(DgGenerateView *self)
{
    dg_ui_choose(GTK_WIDGET(self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                 "Open a Folder of Synthetic Images", "_Open", NULL, on_folder_chosen, self);
}

/* ---- export ------------------------------------------------------------------------------- */

typedef struct {
    GPtrArray *files; /* id, path pairs */
    char *src, *dest;
} export_data;

static void export_data_free(export_data *e)
{
    g_ptr_array_unref(e->files);
    g_free(e->src);
    g_free(e->dest);
    g_free(e);
}

static void export_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
    (void)src;
    export_data *e = data;
    int n = 0;
    for (guint i = 0; i < e->files->len; i += 2) {
        if (g_cancellable_is_cancelled(cancel))
            break;
        const char *id = g_ptr_array_index(e->files, i);
        const char *path = g_ptr_array_index(e->files, i + 1);
        g_autofree char *dir = g_build_filename(e->dest, id, NULL);
        if (g_mkdir_with_parents(dir, 0755) != 0) {
            int err = errno;
            g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(err),
                                    "cannot create %s: %s", dir, g_strerror(err));
            return;
        }
        g_autofree char *base = g_path_get_basename(path);
        g_autoptr(GFile) from = g_file_new_for_path(path);
        g_autofree char *to_path = g_build_filename(dir, base, NULL);
        g_autoptr(GFile) to = g_file_new_for_path(to_path);
        GError *error = NULL;
        if (!g_file_copy(from, to, G_FILE_COPY_OVERWRITE, cancel, NULL, NULL, &error)) {
            g_task_return_error(task, error);
            return;
        }
        n++;
    }
    g_autofree char *manifest = g_build_filename(e->src, "manifest.json", NULL);
    if (g_file_test(manifest, G_FILE_TEST_IS_REGULAR)) {
        g_autoptr(GFile) from = g_file_new_for_path(manifest);
        g_autofree char *to_path = g_build_filename(e->dest, "manifest.json", NULL);
        g_autoptr(GFile) to = g_file_new_for_path(to_path);
        g_file_copy(from, to, G_FILE_COPY_OVERWRITE, cancel, NULL, NULL, NULL);
    }
    g_task_return_int(task, n);
}

static void export_done(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)data;
    DgGenerateView *self = DG_GENERATE_VIEW(src);
    GError *error = NULL;
    gssize n = g_task_propagate_int(G_TASK(res), &error);
    export_data *e = g_task_get_task_data(G_TASK(res));
    g_autofree char *disp = g_filename_display_name(e->dest);
    if (error) {
        if (self->session)
            dg_session_toast(self->session, TRUE, "Export failed: %s", error->message);
        g_signal_emit(self, signals[SIGNAL_EXPORTED], 0, -1, error->message);
        g_error_free(error);
        return;
    }
    if (self->session)
        dg_session_toast(self->session, FALSE, "Exported %d images to %s", (int)n, disp);
    g_signal_emit(self, signals[SIGNAL_EXPORTED], 0, (int)n, NULL);
}

void dg_generate_view_export(DgGenerateView *self, const char *dest)
{
    g_return_if_fail(DG_IS_GENERATE_VIEW(self));
    if (!self->syn_files || self->syn_files->len == 0 || !self->shown)
        return;
    g_autoptr(GFile) a = g_file_new_for_path(self->shown);
    g_autoptr(GFile) b = g_file_new_for_path(dest);
    if (g_file_equal(a, b) || g_file_has_prefix(b, a)) {
        dg_session_toast(self->session, TRUE,
                         "Choose a folder outside the synthetic images' own folder");
        return;
    }
    export_data *e = g_new0(export_data, 1);
    e->files = g_ptr_array_ref(self->syn_files);
    e->src = g_strdup(self->shown);
    e->dest = g_strdup(dest);
    GTask *task = g_task_new(self, self->cancel, export_done, NULL);
    g_task_set_task_data(task, e, (GDestroyNotify)export_data_free);
    g_task_run_in_thread(task, export_thread);
    g_object_unref(task);
}

static void on_export_folder(GFile *file, gpointer data)
{
    DgGenerateView *self = data;
    g_autofree char *path = g_file_get_path(file);
    if (path)
        dg_generate_view_export(self, path);
}

static void on_export(DgGenerateView *self)
{
    dg_ui_choose(GTK_WIDGET(self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                 "Export Synthetic Images", "_Export", NULL, on_export_folder, self);
}

/* ---- session -------------------------------------------------------------------------------- */

static void on_generator(DgSession *s, GParamSpec *p, DgGenerateView *self)
{
    (void)s, (void)p;
    update_buttons(self);
}

static void on_synthetic(DgSession *s, GParamSpec *p, DgGenerateView *self)
{
    (void)p;
    show_folder(self, dg_session_get_synthetic(s));
}

static void on_dataset(DgSession *s, GParamSpec *p, DgGenerateView *self)
{
    (void)s, (void)p;
    rebuild_classes(self);
    describe_amount(self);
    update_buttons(self);
}

static void page_session_set(DgJobPage *page, DgSession *session)
{
    DgGenerateView *self = DG_GENERATE_VIEW(page);
    self->session = session; /* the page holds the reference */
    dg_model_row_set_session(self->model_row, session);
    g_signal_connect_object(session, "notify::generator", G_CALLBACK(on_generator), self, 0);
    g_signal_connect_object(session, "notify::synthetic", G_CALLBACK(on_synthetic), self, 0);
    g_signal_connect_object(session, "notify::dataset", G_CALLBACK(on_dataset), self, 0);
    update_buttons(self);
    show_folder(self, dg_session_get_synthetic(session));
    describe_amount(self);
}

DgExploreWindow *dg_generate_view_explore(DgGenerateView *self)
{
    g_return_val_if_fail(DG_IS_GENERATE_VIEW(self), NULL);
    if (!self->session)
        return NULL;
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    DgExploreWindow *w =
        dg_explore_window_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, self->session);
    gtk_window_present(GTK_WINDOW(w));
    return w;
}

static void act_explore(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    dg_generate_view_explore(DG_GENERATE_VIEW(w));
}

void dg_generate_view_set_session(DgGenerateView *self, DgSession *session)
{
    g_return_if_fail(DG_IS_GENERATE_VIEW(self));
    dg_job_page_set_session(DG_JOB_PAGE(self), session);
}

DgJobRunner *dg_generate_view_get_runner(DgGenerateView *self)
{
    g_return_val_if_fail(DG_IS_GENERATE_VIEW(self), NULL);
    return dg_job_page_get_runner(DG_JOB_PAGE(self));
}

DgThumbGrid *dg_generate_view_get_synthetic_grid(DgGenerateView *self)
{
    g_return_val_if_fail(DG_IS_GENERATE_VIEW(self), NULL);
    return self->syn_grid;
}

DgThumbGrid *dg_generate_view_get_real_grid(DgGenerateView *self)
{
    g_return_val_if_fail(DG_IS_GENERATE_VIEW(self), NULL);
    return self->real_grid;
}

guint dg_generate_view_get_n_synthetic(DgGenerateView *self)
{
    g_return_val_if_fail(DG_IS_GENERATE_VIEW(self), 0);
    return self->syn_files ? self->syn_files->len / 2 : 0;
}

/* ---- GObject ---------------------------------------------------------------------------------- */

static void dg_generate_view_dispose(GObject *object)
{
    DgGenerateView *self = DG_GENERATE_VIEW(object);
    g_cancellable_cancel(self->cancel);
    gtk_widget_dispose_template(GTK_WIDGET(self), DG_TYPE_GENERATE_VIEW);
    dg_ui_unparent_children(GTK_WIDGET(self));
    self->session = NULL;
    G_OBJECT_CLASS(dg_generate_view_parent_class)->dispose(object);
}

static void dg_generate_view_finalize(GObject *object)
{
    DgGenerateView *self = DG_GENERATE_VIEW(object);
    g_free(self->out);
    g_free(self->next_out);
    g_free(self->shown);
    g_clear_pointer(&self->syn_files, g_ptr_array_unref);
    g_clear_pointer(&self->class_ids, g_ptr_array_unref);
    g_clear_object(&self->cancel);
    G_OBJECT_CLASS(dg_generate_view_parent_class)->finalize(object);
}

static void dg_generate_view_class_init(DgGenerateViewClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = dg_generate_view_dispose;
    oc->finalize = dg_generate_view_finalize;
    DgJobPageClass *pc = DG_JOB_PAGE_CLASS(klass);
    pc->start = page_start;
    pc->can_start = page_can_start;
    pc->event = page_event;
    pc->state_changed = page_state_changed;
    pc->session_set = page_session_set;
    signals[SIGNAL_EXPORTED] = g_signal_new("exported", G_TYPE_FROM_CLASS(klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                            2, G_TYPE_INT, G_TYPE_STRING);
    g_type_ensure(DG_TYPE_THUMB_GRID);
    g_type_ensure(DG_TYPE_MODEL_ROW);
    gtk_widget_class_set_template_from_resource(wc,
                                                "/org/dermagan/DermaGAN/ui/dg-generate-view.ui");
    gtk_widget_class_bind_template_child(wc, DgGenerateView, model_row);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, count_row);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, folder_row);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, mode_row);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, count_spin);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, seed_spin);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, filter_switch);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, export_button);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, progress);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, status_label);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, amount_note);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, gallery_label);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, syn_heading);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, real_heading);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, class_dropdown);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, syn_grid);
    gtk_widget_class_bind_template_child(wc, DgGenerateView, real_grid);
    gtk_widget_class_bind_template_callback(wc, on_mode_changed);
    gtk_widget_class_bind_template_callback(wc, on_open_folder);
    gtk_widget_class_bind_template_callback(wc, on_export);
    gtk_widget_class_bind_template_callback(wc, on_class_changed);
    gtk_widget_class_bind_template_callback(wc, on_item_activated);
    gtk_widget_class_install_action(wc, "generate.explore", NULL, act_explore);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void dg_generate_view_init(DgGenerateView *self)
{
    self->cancel = g_cancellable_new();
    self->next_per_class = -1;
    gtk_widget_init_template(GTK_WIDGET(self));
    gtk_progress_bar_set_text(self->progress, "idle");
}

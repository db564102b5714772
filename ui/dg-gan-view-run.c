/* dg-gan-view-run.c: the GAN view's run folders (resuming one, with its
 * curves so far) and its sample grid. */
#include "dg-gan-view-private.h"

#include <string.h>

#include "jobs/dg-job-gan.h"
#include "jobs/dg-run-info.h"

/* ---- the sample grid ------------------------------------------------------------------------ */

void dg_gan_view_show_grid(DgGanView *self, const guint8 *rgb, int w, int h)
{
    const int cols = DG_GAN_VIEW_GRID_COLS, gut = DG_GAN_VIEW_GRID_GUTTER;
    int S = (w - (cols + 1) * gut) / cols;
    int rows = S > 0 ? (h - gut) / (S + gut) : 0;
    if (S <= 0 || rows <= 0)
        return;
    guint n_labels = self->class_names ? g_strv_length(self->class_names) : 0;
    dg_chart_set_image_grid(self->samples_chart, rgb, w, h, rows, gut,
                            n_labels == (guint)rows ? (const char *const *)self->class_names
                                                    : NULL);
    self->n_grids++;
}

void dg_gan_view_show_grid_file(DgGanView *self, const char *path)
{
    GdkPixbuf *pb = path ? gdk_pixbuf_new_from_file(path, NULL) : NULL;
    if (!pb)
        return;
    int w = gdk_pixbuf_get_width(pb), h = gdk_pixbuf_get_height(pb);
    int rs = gdk_pixbuf_get_rowstride(pb), nc = gdk_pixbuf_get_n_channels(pb);
    if (gdk_pixbuf_get_bits_per_sample(pb) == 8 && nc >= 3) {
        const guint8 *px = gdk_pixbuf_read_pixels(pb);
        guint8 *rgb = g_malloc((gsize)w * h * 3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                memcpy(rgb + ((gsize)y * w + x) * 3, px + (gsize)y * rs + (gsize)x * nc, 3);
        dg_gan_view_show_grid(self, rgb, w, h);
        gtk_label_set_text(self->samples_label, "latest of the resumed run");
        g_free(rgb);
    }
    g_object_unref(pb);
}

/* ---- resuming a run folder ------------------------------------------------------------------------ */

static void read_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
    (void)src, (void)cancel;
    GError *error = NULL;
    dg_run_info *r = dg_run_info_read(data, &error);
    if (r && r->kind != DG_RUN_GAN) {
        g_autofree char *disp = g_filename_display_name(data);
        g_set_error(&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s is a classifier training, not a GAN run", disp);
        g_clear_pointer(&r, dg_run_info_free);
    }
    if (!r)
        g_task_return_error(task, error);
    else
        g_task_return_pointer(task, r, (GDestroyNotify)dg_run_info_free);
}

/* The run's curves and latest samples, as they were when it stopped. */
static void show_run_so_far(DgGanView *self, const dg_run_info *r)
{
    g_strfreev(self->class_names);
    self->class_names = g_strdupv(r->class_names); /* the grid's rows: the run's classes */
    dg_gan_view_new_curves(self);
    for (gint64 i = 0; i < r->n_history; i++) {
        const float *row = r->history + i * DG_GAN_HISTORY_COLS;
        dg_gan_view_append_point(self, row[0], row[1], row[2], row[3], row[4]);
        if (r->class_history) {
            const float *c = r->class_history + i * DG_GAN_CLASS_HISTORY_COLS;
            dg_gan_view_append_class_point(self, row[0], c[0], c[1], c[2]);
        }
    }
    for (gint64 i = 0; i < r->n_quality; i++)
        dg_gan_view_append_quality(self, r->quality[2 * i], r->quality[2 * i + 1]);
    dg_chart_set_placeholder(self->curves_chart, r->n_history > 0 ? NULL : "Resuming…");
    dg_chart_update(self->curves_chart);
    dg_gan_view_show_grid_file(self, r->latest_grid);
}

static void resume_done(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)data;
    DgGanView *self = DG_GAN_VIEW(src);
    DgSession *s = dg_job_page_get_session(DG_JOB_PAGE(self));
    GError *error = NULL;
    g_autoptr(dg_run_info) r = g_task_propagate_pointer(G_TASK(res), &error);
    if (!r) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && s)
            dg_session_toast(s, TRUE, "Cannot resume: %s", error->message);
        g_error_free(error);
        return;
    }
    if (!s || dg_job_page_is_active(DG_JOB_PAGE(self)))
        return;
    const dg_dataset *ds = dg_session_get_dataset(s);
    const char *data_path = r->data && g_file_test(r->data, G_FILE_TEST_IS_DIR)
                                ? r->data
                                : (ds ? ds->root : NULL);
    if (!data_path) {
        dg_session_toast(s, TRUE, "Cannot resume: the run's data set is gone; open it first");
        return;
    }
    dg_gan_preset_info pi;
    int steps = gtk_spin_button_get_value_as_int(self->steps_spin);
    int total = steps > 0 ? steps : (dg_gan_preset_info_get(r->preset, &pi) ? pi.steps : 0);
    if (total <= r->step) {
        g_autofree char *n = dg_ui_format_count(r->step);
        dg_session_toast(s, TRUE, "This run is already at step %s; set more steps to continue it",
                         n);
        return;
    }
    dg_gan_view_configure(self, r->preset, steps, r->seed);
    dg_gan_train_config *c = dg_gan_train_config_new();
    c->data = g_strdup(data_path);
    c->all_classes = r->all_classes;
    c->out = g_strdup(r->folder);
    g_free(c->preset);
    c->preset = g_strdup(r->preset);
    c->steps = steps;
    c->seed = r->seed;
    c->split_seed = r->split_seed;
    c->threads = dg_session_get_threads(s);
    c->resume = TRUE;
    c->sample_every = dg_gan_view_sample_every(total);
    show_run_so_far(self, r);
    self->step = r->step;
    self->total = total;
    dg_gan_view_run_config(self, c, "Resumed run");
    dg_gan_view_show_progress(self);
}

void dg_gan_view_resume_run(DgGanView *self, const char *folder)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    g_return_if_fail(folder != NULL);
    GTask *task = g_task_new(self, self->cancel, resume_done, NULL);
    g_task_set_task_data(task, g_strdup(folder), g_free);
    g_task_run_in_thread(task, read_thread);
    g_object_unref(task);
}

/* ---- the Resume menu ---------------------------------------------------------------------------- */

static char *last_run(DgGanView *self)
{
    DgSession *s = dg_job_page_get_session(DG_JOB_PAGE(self));
    if (!s)
        return NULL;
    char *run = g_settings_get_string(dg_session_get_settings(s), "last-gan-run");
    g_autofree char *ckpt = run && *run ? g_build_filename(run, "checkpoint.safetensors", NULL)
                                        : NULL;
    if (ckpt && g_file_test(ckpt, G_FILE_TEST_IS_REGULAR))
        return run;
    g_free(run);
    return NULL;
}

void dg_gan_view_update_resume_menu(DgGanView *self)
{
    g_autofree char *last = last_run(self);
    GMenu *menu = g_menu_new();
    g_autofree char *base = last ? g_path_get_basename(last) : NULL;
    g_autofree char *disp = base ? g_filename_display_name(base) : NULL;
    g_autofree char *label = disp ? g_strdup_printf("_Last Run: %s", disp)
                                  : g_strdup("_Last Run (none yet)");
    g_menu_append(menu, label, "gan.resume-last");
    g_menu_append(menu, "_Other Run Folder…", "gan.resume-other");
    gtk_menu_button_set_menu_model(self->resume_button, G_MENU_MODEL(menu));
    g_object_unref(menu);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "gan.resume-last", last != NULL);
}

static void act_resume_last(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    g_autofree char *last = last_run(DG_GAN_VIEW(w));
    if (last)
        dg_gan_view_resume_run(DG_GAN_VIEW(w), last);
}

static void on_resume_folder(GFile *file, gpointer data)
{
    g_autofree char *path = g_file_get_path(file);
    if (path)
        dg_gan_view_resume_run(DG_GAN_VIEW(data), path);
}

static void act_resume_other(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    g_autofree char *runs = dg_runs_dir();
    dg_ui_choose_in(w, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, "Resume a GAN Run", "_Resume", NULL,
                    runs, on_resume_folder, w);
}

void dg_gan_view_install_run_actions(GtkWidgetClass *wc)
{
    gtk_widget_class_install_action(wc, "gan.resume-last", NULL, act_resume_last);
    gtk_widget_class_install_action(wc, "gan.resume-other", NULL, act_resume_other);
}

/* ---- an earlier run, drawn beside this one ---------------------------------------------------- */

void dg_gan_view_add_reference(DgGanView *self)
{
    if (!self->curves)
        return;
    /* the series of a run compared before go out of sight (a chart keeps its series) */
    for (guint i = 0; i < self->ref_series->len; i++) {
        int s = g_array_index(self->ref_series, int, i);
        dg_line_chart_set_series_visible(i + 1 < self->ref_series->len ? self->curves
                                                                       : self->quality,
                                         s, FALSE);
    }
    g_array_set_size(self->ref_series, 0);
    const dg_run_info *r = dg_compare_button_get_run(self->compare_button);
    if (r && r->history) {
        const int orig[] = {self->s_dloss, self->s_gloss, self->s_dreal, self->s_dfake};
        int ref[4];
        for (int k = 0; k < 4; k++) {
            const char *name;
            int color;
            dg_plot_axis axis;
            dg_line_chart_get_series(self->curves, orig[k], &name, &color, &axis, NULL, NULL);
            g_autofree char *copy = g_strdup(name); /* adding a series may move the names */
            ref[k] = dg_line_chart_add_series(self->curves, copy);
            dg_line_chart_set_series_color(self->curves, ref[k], color);
            dg_line_chart_set_series_axis(self->curves, ref[k], axis);
            dg_line_chart_set_series_faint(self->curves, ref[k], TRUE);
            g_array_append_val(self->ref_series, ref[k]);
        }
        for (gint64 i = 0; i < r->n_history; i++) {
            const float *row = r->history + i * DG_GAN_HISTORY_COLS;
            for (int k = 0; k < 4; k++)
                dg_line_chart_append(self->curves, ref[k], row[0], row[1 + k]);
        }
        if (r->n_history > 0)
            dg_chart_set_placeholder(self->curves_chart, NULL);
    }
    int q = dg_line_chart_add_series(self->quality, "Fréchet distance");
    dg_line_chart_set_series_faint(self->quality, q, TRUE);
    g_array_append_val(self->ref_series, q);
    for (gint64 i = 0; r && i < r->n_quality; i++)
        dg_line_chart_append(self->quality, q, r->quality[2 * i], r->quality[2 * i + 1]);
    if (r && r->n_quality > 0)
        dg_chart_set_placeholder(self->quality_chart, NULL);
    dg_chart_update(self->curves_chart);
    dg_chart_update(self->quality_chart);
}

void dg_gan_view_on_compare_chosen(DgGanView *self, gpointer run)
{
    (void)run; /* the button keeps it */
    if (!self->curves)
        dg_gan_view_new_curves(self); /* draws it */
    else
        dg_gan_view_add_reference(self);
}

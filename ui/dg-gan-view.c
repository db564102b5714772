/* dg-gan-view.c: the GAN view. */
#include "dg-gan-view.h"

#include <adwaita.h>
#include <math.h>
#include <string.h>

#include "dg-ui-util.h"
#include "jobs/dg-job-gan.h"
#include "jobs/dg-run-info.h"

#define GRID_COLS 8   /* the GAN job's sample grid: 8 columns, one row per class */
#define GRID_GUTTER 2

static const char *const presets[] = {"tiny", "seed", "default", "large"};
static const char *const preset_notes[] = {
    "32 px and narrow: a demonstration in seconds",
    "the original project's DCGAN, one per class",
    "class-conditional with DiffAugment: about an hour on two cores",
    "wider and longer than the default",
};

struct _DgGanView {
    GtkWidget parent_instance;

    AdwComboRow *preset_row;
    AdwActionRow *steps_row, *run_row;
    GtkSpinButton *steps_spin, *seed_spin, *window_spin;
    GtkButton *start_button, *pause_button, *stop_button, *resume_button;
    AdwButtonContent *pause_content;
    GtkProgressBar *progress;
    GtkLabel *status_label, *samples_label;
    GtkScale *smoothing_scale;
    DgChart *curves_chart, *samples_chart;

    DgSession *session;
    DgJobRunner *runner;
    dg_line_chart *curves; /* owned by curves_chart */
    int s_dloss, s_gloss, s_dreal, s_dfake;
    char *run_dir;
    char **class_names;    /* row labels of the sample grid */
    gint64 step, total;
    guint n_grids;
    GCancellable *resume_cancel;
};

G_DEFINE_FINAL_TYPE(DgGanView, dg_gan_view, GTK_TYPE_WIDGET)

int dg_gan_view_sample_every(int total)
{
    /* about 20 grids a run; each costs about a training step */
    return CLAMP(total / 20, 10, 200);
}

static const char *selected_preset(DgGanView *self)
{
    guint i = adw_combo_row_get_selected(self->preset_row);
    return i < G_N_ELEMENTS(presets) ? presets[i] : "default";
}

static int preset_steps(const char *preset)
{
    dg_gan_preset_info pi;
    return dg_gan_preset_info_get(preset, &pi) ? pi.steps : 0;
}

/* ---- curves ------------------------------------------------------------------------------ */

static void new_curves(DgGanView *self)
{
    dg_line_chart *c = dg_line_chart_new();
    dg_line_chart_set_labels(c, "step", "loss", "D score");
    self->s_dloss = dg_line_chart_add_series(c, "D loss");
    self->s_gloss = dg_line_chart_add_series(c, "G loss");
    self->s_dreal = dg_line_chart_add_series(c, "D(real)");
    self->s_dfake = dg_line_chart_add_series(c, "D(fake)");
    dg_line_chart_set_series_axis(c, self->s_dreal, DG_PLOT_AXIS_RIGHT);
    dg_line_chart_set_series_axis(c, self->s_dfake, DG_PLOT_AXIS_RIGHT);
    dg_line_chart_set_smoothing(c, gtk_range_get_value(GTK_RANGE(self->smoothing_scale)));
    dg_line_chart_set_window(c, gtk_spin_button_get_value(self->window_spin));
    self->curves = c;
    dg_chart_set_plot(self->curves_chart, &dg_line_chart_kind, c);
}

static void on_curve_options(DgGanView *self)
{
    double w = gtk_range_get_value(GTK_RANGE(self->smoothing_scale));
    int n = gtk_spin_button_get_value_as_int(self->window_spin);
    if (self->session) {
        GSettings *s = dg_session_get_settings(self->session);
        g_settings_set_double(s, "chart-smoothing", w);
        g_settings_set_int(s, "chart-window", n);
    }
    if (self->curves) {
        dg_line_chart_set_smoothing(self->curves, w);
        dg_line_chart_set_window(self->curves, n);
        dg_chart_update(self->curves_chart);
    }
}

static void append_point(DgGanView *self, double step, double dl, double gl, double dr, double df)
{
    dg_line_chart_append(self->curves, self->s_dloss, step, dl);
    dg_line_chart_append(self->curves, self->s_gloss, step, gl);
    dg_line_chart_append(self->curves, self->s_dreal, step, dr);
    dg_line_chart_append(self->curves, self->s_dfake, step, df);
}

/* ---- state ---------------------------------------------------------------------------------- */

static void update_buttons(DgGanView *self)
{
    gboolean active = self->runner && dg_job_runner_is_active(self->runner);
    gboolean paused = active && dg_job_runner_get_state(self->runner) == DG_JOB_PAUSED;
    gboolean stopping = active && dg_job_runner_cancel_requested(self->runner);
    gboolean have_data = self->session && dg_session_get_dataset(self->session);
    gtk_widget_set_sensitive(GTK_WIDGET(self->start_button), !active && have_data);
    gtk_widget_set_sensitive(GTK_WIDGET(self->resume_button), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->pause_button), active && !stopping);
    gtk_widget_set_sensitive(GTK_WIDGET(self->stop_button), active && !stopping);
    gtk_widget_set_sensitive(GTK_WIDGET(self->preset_row), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->steps_spin), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->seed_spin), !active);
    adw_button_content_set_label(self->pause_content, paused ? "_Resume" : "_Pause");
    adw_button_content_set_icon_name(self->pause_content, paused ? "media-playback-start-symbolic"
                                                                 : "media-playback-pause-symbolic");
}

static void update_idle_status(DgGanView *self)
{
    if (self->runner && dg_job_runner_is_active(self->runner))
        return;
    if (self->runner)
        return; /* keep the finished run's last words */
    const dg_dataset *ds = self->session ? dg_session_get_dataset(self->session) : NULL;
    g_autofree char *text = NULL;
    if (!ds)
        text = g_strdup("Open a data set first (Dataset view, Ctrl+O).");
    else {
        g_autofree char *base = g_path_get_basename(ds->root);
        g_autofree char *disp = g_filename_display_name(base);
        text = g_strdup_printf("Ready to train on %s: %d training images in %d classes.", disp,
                               dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, NULL), ds->n_classes);
    }
    gtk_label_set_text(self->status_label, text);
}

static void on_preset_changed(DgGanView *self)
{
    const char *p = selected_preset(self);
    g_autofree char *sub = g_strdup_printf("0 uses the preset's %d", preset_steps(p));
    adw_action_row_set_subtitle(self->steps_row, sub);
    guint i = adw_combo_row_get_selected(self->preset_row);
    if (i < G_N_ELEMENTS(preset_notes))
        adw_action_row_set_subtitle(ADW_ACTION_ROW(self->preset_row), preset_notes[i]);
    if (self->session)
        g_settings_set_string(dg_session_get_settings(self->session), "gan-preset", p);
}

static void set_progress(DgGanView *self, gint64 step, gint64 total, double rate, double eta)
{
    self->step = step;
    self->total = total;
    gtk_progress_bar_set_fraction(self->progress,
                                  total > 0 ? CLAMP((double)step / total, 0.0, 1.0) : 0.0);
    g_autofree char *s = dg_ui_format_count(step);
    g_autofree char *t = dg_ui_format_count(total);
    g_autofree char *left = dg_ui_format_duration(eta);
    g_autofree char *text =
        rate > 0 ? g_strdup_printf("step %s / %s · %.0f images/s · %s left", s, t, rate, left)
                 : g_strdup_printf("step %s / %s", s, t);
    gtk_progress_bar_set_text(self->progress, text);
}

static void show_grid(DgGanView *self, const guint8 *rgb, int w, int h)
{
    int S = (w - (GRID_COLS + 1) * GRID_GUTTER) / GRID_COLS;
    int rows = S > 0 ? (h - GRID_GUTTER) / (S + GRID_GUTTER) : 0;
    if (S <= 0 || rows <= 0)
        return;
    guint n_labels = self->class_names ? g_strv_length(self->class_names) : 0;
    dg_chart_set_image_grid(self->samples_chart, rgb, w, h, rows, GRID_GUTTER,
                            n_labels == (guint)rows ? (const char *const *)self->class_names
                                                    : NULL);
    self->n_grids++;
}

static void show_grid_file(DgGanView *self, const char *path)
{
    GdkPixbuf *pb = gdk_pixbuf_new_from_file(path, NULL);
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
        show_grid(self, rgb, w, h);
        gtk_label_set_text(self->samples_label, "latest of the resumed run");
        g_free(rgb);
    }
    g_object_unref(pb);
}

/* ---- job events -------------------------------------------------------------------------------- */

static void on_event(DgJobRunner *runner, const DgEventCopy *ev, DgGanView *self)
{
    if (runner != self->runner)
        return;
    switch (ev->kind) {
    case DG_EVENT_PROGRESS:
        append_point(self, (double)ev->step, dg_event_copy_get(ev, "d_loss", NAN),
                     dg_event_copy_get(ev, "g_loss", NAN), dg_event_copy_get(ev, "d_real", NAN),
                     dg_event_copy_get(ev, "d_fake", NAN));
        dg_chart_set_placeholder(self->curves_chart, NULL);
        dg_chart_update(self->curves_chart);
        set_progress(self, ev->step, ev->total, ev->rate, ev->eta);
        break;
    case DG_EVENT_IMAGE:
        if (ev->rgb) {
            show_grid(self, g_bytes_get_data(ev->rgb, NULL), ev->width, ev->height);
            g_autofree char *s = dg_ui_format_count(ev->step);
            g_autofree char *t = g_strdup_printf("step %s", s);
            gtk_label_set_text(self->samples_label, t);
        }
        break;
    case DG_EVENT_MESSAGE:
        if (ev->message) {
            gtk_label_set_text(self->status_label, ev->message);
            if (g_strcmp0(ev->level, "warning") == 0 && self->session)
                dg_session_toast(self->session, FALSE, "GAN training: %s", ev->message);
        }
        break;
    case DG_EVENT_STARTED:
        if (ev->message)
            gtk_label_set_text(self->status_label, ev->message);
        break;
    case DG_EVENT_RESULT: {
        g_autoptr(JsonParser) p = json_parser_new();
        if (ev->json && json_parser_load_from_data(p, ev->json, -1, NULL)) {
            JsonObject *o = json_node_get_object(json_parser_get_root(p));
            const char *model = o ? json_object_get_string_member_with_default(o, "model", NULL)
                                  : NULL;
            if (model && self->session) {
                dg_session_set_generator(self->session, model);
                dg_session_toast(self->session, FALSE,
                                 "GAN trained: Generate now uses its generator");
            }
        }
        break;
    }
    case DG_EVENT_FINISHED: {
        g_autofree char *run = self->run_dir ? g_filename_display_name(self->run_dir) : NULL;
        g_autofree char *s = dg_ui_format_count(self->step);
        g_autofree char *text = NULL;
        if (ev->state == DG_JOB_SUCCEEDED)
            text = g_strdup_printf("Finished at step %s. Model and checkpoint in %s.", s, run);
        else if (ev->state == DG_JOB_CANCELLED)
            text = g_strdup_printf("Stopped at step %s. The checkpoint in %s can be resumed "
                                   "(Resume…)", s, run);
        else {
            text = g_strdup_printf("Failed: %s", ev->message ? ev->message : "unknown error");
            if (self->session)
                dg_session_toast(self->session, TRUE, "GAN training failed: %s",
                                 ev->message ? ev->message : "unknown error");
        }
        gtk_label_set_text(self->status_label, text);
        if (ev->state != DG_JOB_SUCCEEDED && self->total > 0)
            set_progress(self, self->step, self->total, 0, -1);
        break;
    }
    default:
        break;
    }
}

static void on_runner_state(DgJobRunner *runner, GParamSpec *pspec, DgGanView *self)
{
    (void)runner, (void)pspec;
    update_buttons(self);
}

static void attach_runner(DgGanView *self, DgJobRunner *runner)
{
    if (self->runner)
        g_signal_handlers_disconnect_by_data(self->runner, self);
    g_set_object(&self->runner, runner);
    g_signal_connect(runner, "event", G_CALLBACK(on_event), self);
    g_signal_connect(runner, "notify::state", G_CALLBACK(on_runner_state), self);
    dg_job_runner_set_interval(runner, DG_JOB_RUNNER_TRAINING_INTERVAL);
    dg_session_track(self->session, runner);
    dg_job_runner_start(runner);
    update_buttons(self);
}

static void remember_classes(DgGanView *self, const dg_dataset *ds)
{
    g_strfreev(self->class_names);
    self->class_names = NULL;
    if (!ds)
        return;
    self->class_names = g_new0(char *, ds->n_classes + 1);
    for (int k = 0; k < ds->n_classes; k++)
        self->class_names[k] = g_strdup(ds->classes[k].name);
}

static void set_run_row(DgGanView *self, const char *title, const char *dir)
{
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->run_row), title);
    g_autofree char *disp = dir ? g_filename_display_name(dir) : NULL;
    g_autofree char *esc = disp ? g_markup_escape_text(disp, -1) : NULL;
    adw_action_row_set_subtitle(self->run_row, esc ? esc : "");
}

gboolean dg_gan_view_start(DgGanView *self, const char *out)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), FALSE);
    if (!self->session || (self->runner && dg_job_runner_is_active(self->runner)))
        return FALSE;
    const dg_dataset *ds = dg_session_get_dataset(self->session);
    if (!ds) {
        dg_session_toast(self->session, TRUE, "Open a data set before training a GAN");
        return FALSE;
    }
    if (!ds->has_split) {
        dg_session_toast(self->session, TRUE,
                         "This data set cannot be split for training; see the Dataset view");
        return FALSE;
    }
    dg_gan_train_config *c = dg_gan_train_config_new();
    c->data = g_strdup(ds->root);
    c->out = out ? g_strdup(out) : dg_session_new_run_dir(self->session, "gan");
    g_free(c->preset);
    c->preset = g_strdup(selected_preset(self));
    c->steps = gtk_spin_button_get_value_as_int(self->steps_spin);
    c->seed = (guint64)gtk_spin_button_get_value(self->seed_spin);
    c->split_seed = DG_SPLIT_SEED;
    c->threads = dg_session_get_threads(self->session);
    int total = c->steps > 0 ? c->steps : preset_steps(c->preset);
    c->sample_every = dg_gan_view_sample_every(total);

    g_free(self->run_dir);
    self->run_dir = g_strdup(c->out);
    g_settings_set_string(dg_session_get_settings(self->session), "last-gan-run", c->out);
    g_settings_set_int(dg_session_get_settings(self->session), "gan-steps", c->steps);
    set_run_row(self, "New run", c->out);
    remember_classes(self, ds);
    new_curves(self);
    dg_chart_set_placeholder(self->curves_chart, "Loading the data set…");
    self->n_grids = 0;
    gtk_label_set_text(self->samples_label, "");
    set_progress(self, 0, total, 0, -1);
    g_autoptr(DgJobRunner) runner = dg_job_runner_new(&dg_job_gan_train, c);
    attach_runner(self, runner);
    return TRUE;
}

/* ---- resuming a run ---------------------------------------------------------------------------- */

static void resume_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
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

static void resume_done(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)data;
    DgGanView *self = DG_GAN_VIEW(src);
    GError *error = NULL;
    dg_run_info *r = g_task_propagate_pointer(G_TASK(res), &error);
    if (!r) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->session)
            dg_session_toast(self->session, TRUE, "Cannot resume: %s", error->message);
        g_error_free(error);
        return;
    }
    if (!self->session || (self->runner && dg_job_runner_is_active(self->runner))) {
        dg_run_info_free(r);
        return;
    }
    const dg_dataset *ds = dg_session_get_dataset(self->session);
    const char *data_path = r->data && g_file_test(r->data, G_FILE_TEST_IS_DIR)
                                ? r->data
                                : (ds ? ds->root : NULL);
    if (!data_path) {
        dg_session_toast(self->session, TRUE,
                         "Cannot resume: the run's data set is gone; open it first");
        dg_run_info_free(r);
        return;
    }
    int steps = gtk_spin_button_get_value_as_int(self->steps_spin);
    int total = steps > 0 ? steps : preset_steps(r->preset);
    if (total <= r->step) {
        g_autofree char *s = dg_ui_format_count(r->step);
        dg_session_toast(self->session, TRUE,
                         "This run is already at step %s; set more steps to continue it", s);
        dg_run_info_free(r);
        return;
    }
    for (guint i = 0; i < G_N_ELEMENTS(presets); i++)
        if (strcmp(presets[i], r->preset) == 0)
            adw_combo_row_set_selected(self->preset_row, i);
    gtk_spin_button_set_value(self->seed_spin, (double)r->seed);

    dg_gan_train_config *c = dg_gan_train_config_new();
    c->data = g_strdup(data_path);
    c->out = g_strdup(r->folder);
    g_free(c->preset);
    c->preset = g_strdup(r->preset);
    c->steps = steps;
    c->seed = r->seed;
    c->split_seed = r->split_seed;
    c->threads = dg_session_get_threads(self->session);
    c->resume = TRUE;
    c->sample_every = dg_gan_view_sample_every(total);

    g_free(self->run_dir);
    self->run_dir = g_strdup(r->folder);
    g_settings_set_string(dg_session_get_settings(self->session), "last-gan-run", r->folder);
    set_run_row(self, "Resumed run", r->folder);
    /* class names for the grid's rows: the run's */
    g_strfreev(self->class_names);
    self->class_names = g_strdupv(r->class_names);
    new_curves(self);
    for (gint64 i = 0; i < r->n_history; i++) {
        const float *row = r->history + i * DG_GAN_HISTORY_COLS;
        append_point(self, row[0], row[1], row[2], row[3], row[4]);
    }
    dg_chart_set_placeholder(self->curves_chart, r->n_history > 0 ? NULL : "Resuming…");
    dg_chart_update(self->curves_chart);
    g_autofree char *latest = g_build_filename(r->folder, "samples", "latest.png", NULL);
    show_grid_file(self, latest);
    set_progress(self, r->step, total, 0, -1);
    g_autoptr(DgJobRunner) runner = dg_job_runner_new(&dg_job_gan_train, c);
    attach_runner(self, runner);
    dg_run_info_free(r);
}

void dg_gan_view_resume_run(DgGanView *self, const char *folder)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    g_return_if_fail(folder != NULL);
    GTask *task = g_task_new(self, self->resume_cancel, resume_done, NULL);
    g_task_set_task_data(task, g_strdup(folder), g_free);
    g_task_run_in_thread(task, resume_thread);
    g_object_unref(task);
}

static void on_resume_folder(GFile *file, gpointer data)
{
    DgGanView *self = data;
    g_autofree char *path = g_file_get_path(file);
    if (path)
        dg_gan_view_resume_run(self, path);
}

static void on_resume_clicked(DgGanView *self)
{
    dg_ui_choose(GTK_WIDGET(self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                 "Resume a GAN Run", "_Resume", NULL, on_resume_folder, self);
}

/* ---- buttons -------------------------------------------------------------------------------------- */

static void on_start(DgGanView *self)
{
    dg_gan_view_start(self, NULL);
}

void dg_gan_view_toggle_pause(DgGanView *self)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    if (!self->runner)
        return;
    if (dg_job_runner_get_state(self->runner) == DG_JOB_PAUSED) {
        dg_job_runner_resume(self->runner);
        gtk_label_set_text(self->status_label, "Training.");
    } else if (dg_job_runner_get_state(self->runner) == DG_JOB_RUNNING) {
        dg_job_runner_pause(self->runner);
        gtk_label_set_text(self->status_label, "Paused.");
    }
    update_buttons(self);
}

static void on_pause(DgGanView *self)
{
    dg_gan_view_toggle_pause(self);
}

void dg_gan_view_stop(DgGanView *self)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    if (!self->runner || !dg_job_runner_is_active(self->runner))
        return;
    dg_job_runner_cancel(self->runner);
    gtk_label_set_text(self->status_label, "Stopping: writing the checkpoint…");
    update_buttons(self);
}

static void on_stop(DgGanView *self)
{
    dg_gan_view_stop(self);
}

/* ---- public -------------------------------------------------------------------------------------- */

static void on_dataset(DgSession *s, GParamSpec *pspec, DgGanView *self)
{
    (void)s, (void)pspec;
    update_buttons(self);
    update_idle_status(self);
}

void dg_gan_view_set_session(DgGanView *self, DgSession *session)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    g_return_if_fail(self->session == NULL);
    GSettings *s = dg_session_get_settings(session);
    g_autofree char *preset = g_settings_get_string(s, "gan-preset");
    for (guint i = 0; i < G_N_ELEMENTS(presets); i++)
        if (g_strcmp0(presets[i], preset) == 0)
            adw_combo_row_set_selected(self->preset_row, i);
    gtk_spin_button_set_value(self->steps_spin, g_settings_get_int(s, "gan-steps"));
    gtk_range_set_value(GTK_RANGE(self->smoothing_scale), g_settings_get_double(s, "chart-smoothing"));
    gtk_spin_button_set_value(self->window_spin, g_settings_get_int(s, "chart-window"));
    self->session = g_object_ref(session);
    g_signal_connect_object(session, "notify::dataset", G_CALLBACK(on_dataset), self, 0);
    on_preset_changed(self);
    update_buttons(self);
    update_idle_status(self);
}

void dg_gan_view_configure(DgGanView *self, const char *preset, int steps, guint64 seed)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    for (guint i = 0; i < G_N_ELEMENTS(presets); i++)
        if (g_strcmp0(presets[i], preset) == 0)
            adw_combo_row_set_selected(self->preset_row, i);
    gtk_spin_button_set_value(self->steps_spin, steps);
    gtk_spin_button_set_value(self->seed_spin, (double)seed);
}

DgJobRunner *dg_gan_view_get_runner(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), NULL);
    return self->runner;
}

DgChart *dg_gan_view_get_curves_chart(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), NULL);
    return self->curves_chart;
}

DgChart *dg_gan_view_get_samples_chart(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), NULL);
    return self->samples_chart;
}

guint dg_gan_view_get_n_points(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), 0);
    return self->curves ? (guint)dg_line_chart_n_points(self->curves, self->s_dloss) : 0;
}

guint dg_gan_view_get_n_grids(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), 0);
    return self->n_grids;
}

const char *dg_gan_view_get_run_dir(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), NULL);
    return self->run_dir;
}

/* ---- GObject -------------------------------------------------------------------------------------- */

static void dg_gan_view_dispose(GObject *object)
{
    DgGanView *self = DG_GAN_VIEW(object);
    g_cancellable_cancel(self->resume_cancel);
    if (self->runner)
        g_signal_handlers_disconnect_by_data(self->runner, self);
    g_clear_object(&self->runner);
    gtk_widget_dispose_template(GTK_WIDGET(self), DG_TYPE_GAN_VIEW);
    dg_ui_unparent_children(GTK_WIDGET(self));
    g_clear_object(&self->session);
    G_OBJECT_CLASS(dg_gan_view_parent_class)->dispose(object);
}

static void dg_gan_view_finalize(GObject *object)
{
    DgGanView *self = DG_GAN_VIEW(object);
    g_free(self->run_dir);
    g_strfreev(self->class_names);
    g_clear_object(&self->resume_cancel);
    G_OBJECT_CLASS(dg_gan_view_parent_class)->finalize(object);
}

static void dg_gan_view_class_init(DgGanViewClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = dg_gan_view_dispose;
    oc->finalize = dg_gan_view_finalize;
    g_type_ensure(DG_TYPE_CHART);
    gtk_widget_class_set_template_from_resource(wc, "/org/dermagan/DermaGAN/ui/dg-gan-view.ui");
    gtk_widget_class_bind_template_child(wc, DgGanView, preset_row);
    gtk_widget_class_bind_template_child(wc, DgGanView, steps_row);
    gtk_widget_class_bind_template_child(wc, DgGanView, run_row);
    gtk_widget_class_bind_template_child(wc, DgGanView, steps_spin);
    gtk_widget_class_bind_template_child(wc, DgGanView, seed_spin);
    gtk_widget_class_bind_template_child(wc, DgGanView, window_spin);
    gtk_widget_class_bind_template_child(wc, DgGanView, start_button);
    gtk_widget_class_bind_template_child(wc, DgGanView, pause_button);
    gtk_widget_class_bind_template_child(wc, DgGanView, stop_button);
    gtk_widget_class_bind_template_child(wc, DgGanView, resume_button);
    gtk_widget_class_bind_template_child(wc, DgGanView, pause_content);
    gtk_widget_class_bind_template_child(wc, DgGanView, progress);
    gtk_widget_class_bind_template_child(wc, DgGanView, status_label);
    gtk_widget_class_bind_template_child(wc, DgGanView, samples_label);
    gtk_widget_class_bind_template_child(wc, DgGanView, smoothing_scale);
    gtk_widget_class_bind_template_child(wc, DgGanView, curves_chart);
    gtk_widget_class_bind_template_child(wc, DgGanView, samples_chart);
    gtk_widget_class_bind_template_callback(wc, on_preset_changed);
    gtk_widget_class_bind_template_callback(wc, on_start);
    gtk_widget_class_bind_template_callback(wc, on_pause);
    gtk_widget_class_bind_template_callback(wc, on_stop);
    gtk_widget_class_bind_template_callback(wc, on_resume_clicked);
    gtk_widget_class_bind_template_callback(wc, on_curve_options);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void dg_gan_view_init(DgGanView *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->resume_cancel = g_cancellable_new();
    g_autofree char *runs = g_build_filename(g_get_user_data_dir(), "dermagan", "runs", NULL);
    g_autofree char *disp = g_filename_display_name(runs);
    g_autofree char *sub = g_strdup_printf("a new folder in %s", disp);
    set_run_row(self, "New run", NULL);
    g_autofree char *esc = g_markup_escape_text(sub, -1);
    adw_action_row_set_subtitle(self->run_row, esc);
    update_buttons(self);
}

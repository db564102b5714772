/* dg-gan-view.c: the GAN view: controls, starting a run, its events. */
#include "dg-gan-view-private.h"

#include <math.h>
#include <string.h>

#include "jobs/dg-job-gan.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-run-info.h"

static const char *const presets[] = {"tiny", "seed", "default", "large"};
static const char *const preset_notes[] = {
    "narrow: a demonstration, not a model",
    "the original project's DCGAN, one per class",
    "class-conditional with DiffAugment",
    "wider and longer than the default",
};

G_DEFINE_FINAL_TYPE(DgGanView, dg_gan_view, DG_TYPE_JOB_PAGE)

static DgSession *session_of(DgGanView *self)
{
    return dg_job_page_get_session(DG_JOB_PAGE(self));
}

int dg_gan_view_sample_every(int total)
{
    /* about 20 grids a run; each costs about a training step */
    return CLAMP(total / 20, 10, 200);
}

const char *dg_gan_view_preset_name(guint index)
{
    return index < G_N_ELEMENTS(presets) ? presets[index] : NULL;
}

static const char *selected_preset(DgGanView *self)
{
    const char *p = dg_gan_view_preset_name(adw_combo_row_get_selected(self->preset_row));
    return p ? p : "default";
}

/* ---- curves ------------------------------------------------------------------------------ */

void dg_gan_view_new_curves(DgGanView *self)
{
    dg_line_chart *c = dg_line_chart_new();
    dg_line_chart_set_labels(c, "step", "loss", "D score");
    self->s_dloss = dg_line_chart_add_series(c, "D loss");
    self->s_gloss = dg_line_chart_add_series(c, "G loss");
    self->s_dreal = dg_line_chart_add_series(c, "D(real)");
    self->s_dfake = dg_line_chart_add_series(c, "D(fake)");
    dg_line_chart_set_series_axis(c, self->s_dreal, DG_PLOT_AXIS_RIGHT);
    dg_line_chart_set_series_axis(c, self->s_dfake, DG_PLOT_AXIS_RIGHT);
    /* a discriminator with a class head (an x- preset's last part): its
     * cross-entropy on real images and on G's, drawn once they come */
    self->s_cls_real = dg_line_chart_add_series(c, "class loss (real)");
    self->s_cls_fake = dg_line_chart_add_series(c, "class loss (G)");
    /* and its twin head's on G's images, as D learned them (TAC-GAN) */
    self->s_cls_twin = dg_line_chart_add_series(c, "class loss (twin)");
    dg_line_chart_set_series_visible(c, self->s_cls_real, FALSE);
    dg_line_chart_set_series_visible(c, self->s_cls_fake, FALSE);
    dg_line_chart_set_series_visible(c, self->s_cls_twin, FALSE);
    dg_line_chart_set_smoothing(c, gtk_range_get_value(GTK_RANGE(self->smoothing_scale)));
    dg_line_chart_set_window(c, gtk_spin_button_get_value(self->window_spin));
    dg_line_chart_set_x_integer(c, TRUE);
    self->curves = c;
    dg_chart_set_plot(self->curves_chart, &dg_line_chart_kind, c);

    dg_line_chart *q = dg_line_chart_new();
    dg_line_chart_set_labels(q, "step", "Fréchet distance", NULL);
    self->s_fd = dg_line_chart_add_series(q, "Fréchet distance");
    dg_line_chart_set_legend(q, DG_PLOT_LEGEND_NONE);
    dg_line_chart_set_y_clip(q, 0);
    dg_line_chart_set_x_integer(q, TRUE);
    self->quality = q;
    dg_chart_set_plot(self->quality_chart, &dg_line_chart_kind, q);
    dg_chart_set_placeholder(self->quality_chart,
                             "The first quality figure comes once the generator has been "
                             "measured (at the start, then every five minutes of training).");
    g_array_set_size(self->ref_series, 0);
    dg_gan_view_add_reference(self);
}

static void on_curve_options(DgGanView *self)
{
    double w = gtk_range_get_value(GTK_RANGE(self->smoothing_scale));
    int n = gtk_spin_button_get_value_as_int(self->window_spin);
    DgSession *s = session_of(self);
    if (s) {
        g_settings_set_double(dg_session_get_settings(s), "chart-smoothing", w);
        g_settings_set_int(dg_session_get_settings(s), "chart-window", n);
    }
    if (self->curves) {
        dg_line_chart_set_smoothing(self->curves, w);
        dg_line_chart_set_window(self->curves, n);
        dg_chart_update(self->curves_chart);
    }
}

void dg_gan_view_append_point(DgGanView *self, double step, double dl, double gl, double dr,
                              double df)
{
    dg_line_chart_append(self->curves, self->s_dloss, step, dl);
    dg_line_chart_append(self->curves, self->s_gloss, step, gl);
    dg_line_chart_append(self->curves, self->s_dreal, step, dr);
    dg_line_chart_append(self->curves, self->s_dfake, step, df);
}

void dg_gan_view_append_quality(DgGanView *self, double step, double fd)
{
    dg_line_chart_append(self->quality, self->s_fd, step, fd);
    dg_chart_set_placeholder(self->quality_chart, NULL);
    dg_chart_update(self->quality_chart);
}

/* ---- the preset's note and the progress ------------------------------------------------------ */

static void update_preset_note(DgGanView *self)
{
    const char *p = selected_preset(self);
    guint i = adw_combo_row_get_selected(self->preset_row);
    dg_gan_preset_info pi;
    if (!dg_gan_preset_info_get(p, &pi) || i >= G_N_ELEMENTS(preset_notes))
        return;
    int steps = gtk_spin_button_get_value_as_int(self->steps_spin);
    int total = steps > 0 ? steps : pi.steps;
    g_autofree char *n = dg_ui_format_count(total);
    DgSession *s = session_of(self);
    double ips = s ? dg_ui_get_speed(dg_session_get_settings(s), "gan-speed", p) : 0;
    /* a time only from a speed measured here: machines and loads differ too much to guess */
    g_autofree char *dur = ips > 0 ? dg_ui_format_duration((double)total * pi.batch / ips) : NULL;
    g_autofree char *when =
        ips > 0 ? g_strdup_printf("; about %s at the %.0f images/s measured on this computer",
                                  dur, ips)
                : g_strdup("; how long it takes is shown once it runs");
    g_autofree char *note = g_strdup_printf("%s, %d px; %s steps of %d images%s", preset_notes[i],
                                            pi.size, n, pi.batch, when);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(self->preset_row), note);
    g_autofree char *sub = g_strdup_printf("0 uses the preset's %d", pi.steps);
    adw_action_row_set_subtitle(self->steps_row, sub);
}

/* The bundled generator's networks are the default preset's: only there can
 * a run start from it. */
static void update_warm_row(DgGanView *self)
{
    gboolean can = g_strcmp0(selected_preset(self), "default") == 0 &&
                   !dg_job_page_is_active(DG_JOB_PAGE(self));
    gtk_widget_set_sensitive(GTK_WIDGET(self->warm_row), can);
    if (g_strcmp0(selected_preset(self), "default") != 0)
        gtk_switch_set_active(self->warm_switch, FALSE);
}

static void on_preset_changed(DgGanView *self)
{
    update_preset_note(self);
    update_warm_row(self);
    DgSession *s = session_of(self);
    if (s)
        g_settings_set_string(dg_session_get_settings(s), "gan-preset", selected_preset(self));
}

void dg_gan_view_show_progress(DgGanView *self)
{
    gtk_progress_bar_set_fraction(self->progress,
                                  self->total > 0 ? CLAMP((double)self->step / self->total, 0, 1)
                                                  : 0.0);
    g_autofree char *s = dg_ui_format_count(self->step);
    g_autofree char *t = dg_ui_format_count(self->total);
    double sps = dg_ui_rate_steps_per_s(&self->rate);
    g_autofree char *text = NULL;
    if (dg_job_page_is_paused(DG_JOB_PAGE(self)))
        text = g_strdup_printf("step %s / %s · paused", s, t);
    else if (dg_job_page_is_active(DG_JOB_PAGE(self)) && sps > 0) {
        g_autofree char *left = dg_ui_format_duration((self->total - self->step) / sps);
        text = g_strdup_printf("step %s / %s · %.0f images/s · %s left", s, t,
                               sps * self->run_batch, left);
    } else
        text = g_strdup_printf("step %s / %s", s, t);
    gtk_progress_bar_set_text(self->progress, text);
}

/* ---- the running job ------------------------------------------------------------------------- */

static void update_idle_status(DgGanView *self)
{
    if (dg_job_page_get_runner(DG_JOB_PAGE(self)))
        return; /* running, or keeping a finished run's last words */
    const dg_dataset *ds = session_of(self) ? dg_session_get_dataset(session_of(self)) : NULL;
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

void dg_gan_view_append_class_point(DgGanView *self, double step, double real, double fake,
                                    double twin)
{
    if (isfinite(real) || isfinite(fake)) {
        dg_line_chart_set_series_visible(self->curves, self->s_cls_real, TRUE);
        dg_line_chart_set_series_visible(self->curves, self->s_cls_fake, TRUE);
        dg_line_chart_append(self->curves, self->s_cls_real, step, real);
        dg_line_chart_append(self->curves, self->s_cls_fake, step, fake);
    }
    if (isfinite(twin)) {
        dg_line_chart_set_series_visible(self->curves, self->s_cls_twin, TRUE);
        dg_line_chart_append(self->curves, self->s_cls_twin, step, twin);
    }
}

static void on_progress(DgGanView *self, const DgEventCopy *ev)
{
    dg_gan_view_append_point(self, (double)ev->step, dg_event_copy_get(ev, "d_loss", NAN),
                             dg_event_copy_get(ev, "g_loss", NAN),
                             dg_event_copy_get(ev, "d_real", NAN),
                             dg_event_copy_get(ev, "d_fake", NAN));
    dg_gan_view_append_class_point(self, (double)ev->step,
                                   dg_event_copy_get(ev, "class_real", NAN),
                                   dg_event_copy_get(ev, "class_fake", NAN),
                                   dg_event_copy_get(ev, "class_twin", NAN));
    dg_chart_set_placeholder(self->curves_chart, NULL);
    dg_chart_update(self->curves_chart);
    self->step = ev->step;
    self->total = ev->total;
    dg_ui_rate_add(&self->rate, ev->elapsed, ev->step);
    double sps = dg_ui_rate_steps_per_s(&self->rate);
    if (sps > 0 && ev->elapsed > 5)
        self->images_per_s = sps * self->run_batch;
    dg_gan_view_show_progress(self);
}

static void on_result(DgGanView *self, const DgEventCopy *ev)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!ev->json || !json_parser_load_from_data(p, ev->json, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
        return;
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    const char *model = json_object_get_string_member_with_default(o, "model", NULL);
    if (model) {
        dg_session_set_generator(session_of(self), model);
        dg_session_toast(session_of(self), FALSE, "GAN trained: Generate now uses its generator");
    }
}

static void on_finished(DgGanView *self, const DgEventCopy *ev)
{
    g_autofree char *run = self->run_dir ? g_filename_display_name(self->run_dir) : NULL;
    g_autofree char *s = dg_ui_format_count(self->step);
    g_autofree char *text = NULL;
    g_autofree char *ckpt =
        self->run_dir ? g_build_filename(self->run_dir, "checkpoint.safetensors", NULL) : NULL;
    gboolean kept = ckpt && g_file_test(ckpt, G_FILE_TEST_IS_REGULAR);
    if (!kept && self->prev_last_run) /* stopped or failed before its first checkpoint */
        g_settings_set_string(dg_session_get_settings(session_of(self)), "last-gan-run",
                              self->prev_last_run);
    g_clear_pointer(&self->prev_last_run, g_free);
    if (ev->state == DG_JOB_SUCCEEDED)
        text = g_strdup_printf("Finished at step %s. Model and checkpoint in %s.", s, run);
    else if (ev->state == DG_JOB_CANCELLED && kept)
        text = g_strdup_printf("Stopped at step %s. Its checkpoint in %s can be resumed (Resume).",
                               s, run);
    else if (ev->state == DG_JOB_CANCELLED)
        text = g_strdup_printf("Stopped at step %s, before its first checkpoint: there is "
                               "nothing to resume.",
                               s);
    else {
        text = g_strdup_printf("Failed: %s", ev->message ? ev->message : "unknown error");
        dg_session_toast(session_of(self), TRUE, "GAN training failed: %s",
                         ev->message ? ev->message : "unknown error");
    }
    gtk_label_set_text(self->status_label, text);
    /* what this computer does, for the preset's note */
    if (self->images_per_s > 0 && self->run_preset)
        dg_ui_set_speed(dg_session_get_settings(session_of(self)), "gan-speed", self->run_preset,
                        self->images_per_s);
    dg_gan_view_show_progress(self);
    dg_gan_view_update_resume_menu(self);
}

static void page_event(DgJobPage *page, const DgEventCopy *ev)
{
    DgGanView *self = DG_GAN_VIEW(page);
    switch (ev->kind) {
    case DG_EVENT_PROGRESS:
        on_progress(self, ev);
        break;
    case DG_EVENT_EPOCH: {
        double fd = dg_event_copy_get(ev, "frechet", NAN);
        if (isfinite(fd))
            dg_gan_view_append_quality(self, (double)ev->step, fd);
        break;
    }
    case DG_EVENT_IMAGE:
        if (ev->rgb) {
            dg_gan_view_show_grid(self, g_bytes_get_data(ev->rgb, NULL), ev->width, ev->height);
            g_autofree char *s = dg_ui_format_count(ev->step);
            g_autoptr(GDateTime) now = g_date_time_new_now_local();
            g_autofree char *at = g_date_time_format(now, "%H:%M:%S");
            g_autofree char *t = g_strdup_printf("step %s · made at %s", s, at);
            gtk_label_set_text(self->samples_label, t);
        }
        break;
    case DG_EVENT_MESSAGE:
    case DG_EVENT_STARTED:
        if (ev->message)
            gtk_label_set_text(self->status_label, ev->message);
        if (ev->kind == DG_EVENT_MESSAGE && g_strcmp0(ev->level, "warning") == 0 && ev->message)
            dg_session_toast(session_of(self), FALSE, "GAN training: %s", ev->message);
        break;
    case DG_EVENT_RESULT:
        on_result(self, ev);
        break;
    case DG_EVENT_FINISHED:
        on_finished(self, ev);
        break;
    default:
        break;
    }
}

static void page_state_changed(DgJobPage *page)
{
    DgGanView *self = DG_GAN_VIEW(page);
    gboolean active = dg_job_page_is_active(page);
    gtk_widget_set_sensitive(GTK_WIDGET(self->preset_row), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->steps_spin), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->seed_spin), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->resume_button), !active);
    update_warm_row(self);
    if (dg_job_page_is_stopping(page))
        gtk_label_set_text(self->status_label, "Stopping: writing the checkpoint…");
    else if (dg_job_page_is_paused(page))
        gtk_label_set_text(self->status_label, "Paused.");
    else if (active && self->step > 0)
        gtk_label_set_text(self->status_label, "Training.");
    if (self->total > 0)
        dg_gan_view_show_progress(self);
}

void dg_gan_view_run_config(DgGanView *self, void *config, const char *title)
{
    dg_gan_train_config *c = config;
    dg_gan_preset_info pi;
    c->sample_seconds = self->sample_seconds;
    g_free(self->run_dir);
    self->run_dir = g_strdup(c->out);
    dg_compare_button_set_current(self->compare_button, c->out);
    g_free(self->run_preset);
    self->run_preset = g_strdup(c->preset);
    self->run_batch = c->batch > 0 ? c->batch
                                   : (dg_gan_preset_info_get(c->preset, &pi) ? pi.batch : 64);
    self->images_per_s = 0;
    dg_ui_rate_reset(&self->rate);
    GSettings *s = dg_session_get_settings(session_of(self));
    /* the run is the last one from now (a crash keeps its periodic checkpoints), but
     * one stopped before its first checkpoint gives the place back (on_finished) */
    g_free(self->prev_last_run);
    self->prev_last_run = g_settings_get_string(s, "last-gan-run");
    g_settings_set_string(s, "last-gan-run", c->out);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->run_row), title);
    g_autofree char *disp = g_filename_display_name(c->out);
    g_autofree char *esc = g_markup_escape_text(disp, -1);
    adw_action_row_set_subtitle(self->run_row, esc);
    g_autoptr(DgJobRunner) runner = dg_job_runner_new(&dg_job_gan_train, c);
    dg_job_page_run(DG_JOB_PAGE(self), runner, DG_JOB_RUNNER_TRAINING_INTERVAL);
}

static gboolean page_can_start(DgJobPage *page)
{
    return dg_session_get_dataset(dg_job_page_get_session(page)) != NULL;
}

static gboolean page_start(DgJobPage *page)
{
    DgGanView *self = DG_GAN_VIEW(page);
    DgSession *s = session_of(self);
    g_autofree char *out = g_steal_pointer(&self->next_out);
    const dg_dataset *ds = dg_session_get_dataset(s);
    if (!ds || !ds->has_split) {
        dg_session_toast(s, TRUE, !ds ? "Open a data set before training a GAN"
                                      : "This data set cannot be split for training; see the "
                                        "Dataset view");
        return FALSE;
    }
    dg_gan_train_config *c = dg_gan_train_config_new();
    c->data = g_strdup(ds->root);
    c->all_classes = dg_session_get_all_classes(s);
    c->out = out ? g_strdup(out) : dg_session_new_run_dir(s, "gan");
    g_free(c->preset);
    c->preset = g_strdup(selected_preset(self));
    c->steps = gtk_spin_button_get_value_as_int(self->steps_spin);
    c->seed = (guint64)gtk_spin_button_get_value(self->seed_spin);
    if (gtk_switch_get_active(self->warm_switch)) {
        c->init_from = dg_find_resource("models/generator.safetensors");
        if (!c->init_from) {
            dg_session_toast(s, TRUE, "The bundled generator is not installed");
            dg_gan_train_config_free(c);
            return FALSE;
        }
    }
    c->split_seed = DG_SPLIT_SEED;
    c->threads = dg_session_get_threads(s);
    dg_gan_preset_info pi;
    int total = c->steps > 0 ? c->steps : (dg_gan_preset_info_get(c->preset, &pi) ? pi.steps : 0);
    c->sample_every = dg_gan_view_sample_every(total);
    g_settings_set_int(dg_session_get_settings(s), "gan-steps", c->steps);

    g_strfreev(self->class_names);
    self->class_names = g_new0(char *, ds->n_classes + 1);
    for (int k = 0; k < ds->n_classes; k++)
        self->class_names[k] = g_strdup(ds->classes[k].name);
    dg_gan_view_new_curves(self);
    dg_chart_set_placeholder(self->curves_chart, "Loading the data set…");
    self->n_grids = 0;
    gtk_label_set_text(self->samples_label, "");
    self->step = 0;
    self->total = total;
    dg_gan_view_run_config(self, c, "New run");
    dg_gan_view_show_progress(self);
    return TRUE;
}

/* ---- public ------------------------------------------------------------------------------------- */

gboolean dg_gan_view_start(DgGanView *self, const char *out)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), FALSE);
    g_free(self->next_out);
    self->next_out = g_strdup(out);
    return dg_job_page_start(DG_JOB_PAGE(self));
}

void dg_gan_view_toggle_pause(DgGanView *self)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    dg_job_page_toggle_pause(DG_JOB_PAGE(self));
}

void dg_gan_view_stop(DgGanView *self)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    dg_job_page_stop(DG_JOB_PAGE(self));
}

static void on_dataset(DgSession *s, GParamSpec *pspec, DgGanView *self)
{
    (void)s, (void)pspec;
    dg_job_page_update_actions(DG_JOB_PAGE(self));
    update_idle_status(self);
}

static void on_speed(GSettings *s, const char *key, DgGanView *self)
{
    (void)s, (void)key;
    update_preset_note(self);
}

static void page_session_set(DgJobPage *page, DgSession *session)
{
    DgGanView *self = DG_GAN_VIEW(page);
    GSettings *s = dg_session_get_settings(session);
    g_autofree char *preset = g_settings_get_string(s, "gan-preset");
    for (guint i = 0; i < G_N_ELEMENTS(presets); i++)
        if (g_strcmp0(presets[i], preset) == 0)
            adw_combo_row_set_selected(self->preset_row, i);
    gtk_spin_button_set_value(self->steps_spin, g_settings_get_int(s, "gan-steps"));
    gtk_range_set_value(GTK_RANGE(self->smoothing_scale),
                        g_settings_get_double(s, "chart-smoothing"));
    gtk_spin_button_set_value(self->window_spin, g_settings_get_int(s, "chart-window"));
    g_signal_connect_object(session, "notify::dataset", G_CALLBACK(on_dataset), self, 0);
    g_signal_connect_object(s, "changed::gan-speed", G_CALLBACK(on_speed), self, 0);
    update_preset_note(self);
    update_warm_row(self); /* later preset changes update it through on_preset_changed */
    update_idle_status(self);
    dg_gan_view_update_resume_menu(self);
}

void dg_gan_view_set_session(DgGanView *self, DgSession *session)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    dg_job_page_set_session(DG_JOB_PAGE(self), session);
}

void dg_gan_view_set_sample_seconds(DgGanView *self, int seconds)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    self->sample_seconds = seconds > 0 ? seconds : DG_GAN_VIEW_SAMPLE_SECONDS;
}

void dg_gan_view_configure(DgGanView *self, const char *preset, int steps, guint64 seed)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    for (guint i = 0; i < G_N_ELEMENTS(presets); i++)
        if (g_strcmp0(presets[i], preset) == 0)
            adw_combo_row_set_selected(self->preset_row, i);
    gtk_spin_button_set_value(self->steps_spin, steps);
    gtk_spin_button_set_value(self->seed_spin, (double)seed);
    update_preset_note(self);
}

gboolean dg_gan_view_set_warm_start(DgGanView *self, gboolean warm)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), FALSE);
    if (gtk_widget_get_sensitive(GTK_WIDGET(self->warm_row)))
        gtk_switch_set_active(self->warm_switch, warm);
    return gtk_switch_get_active(self->warm_switch);
}

gboolean dg_gan_view_get_warm_start(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), FALSE);
    return gtk_switch_get_active(self->warm_switch);
}

DgJobRunner *dg_gan_view_get_runner(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), NULL);
    return dg_job_page_get_runner(DG_JOB_PAGE(self));
}

DgChart *dg_gan_view_get_curves_chart(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), NULL);
    return self->curves_chart;
}

DgChart *dg_gan_view_get_quality_chart(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), NULL);
    return self->quality_chart;
}

void dg_gan_view_compare_with(DgGanView *self, const char *folder)
{
    g_return_if_fail(DG_IS_GAN_VIEW(self));
    dg_compare_button_choose(self->compare_button, folder);
}

guint dg_gan_view_get_n_reference_points(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), 0);
    if (!self->curves || self->ref_series->len < 5) /* 4 in curves, 1 in quality */
        return 0;
    return (guint)dg_line_chart_n_points(self->curves, g_array_index(self->ref_series, int, 0));
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

guint dg_gan_view_get_n_quality(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), 0);
    return self->quality ? (guint)dg_line_chart_n_points(self->quality, self->s_fd) : 0;
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

const char *dg_gan_view_get_progress_text(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), NULL);
    return gtk_progress_bar_get_text(self->progress);
}

const char *dg_gan_view_get_preset_note(DgGanView *self)
{
    g_return_val_if_fail(DG_IS_GAN_VIEW(self), NULL);
    return adw_action_row_get_subtitle(ADW_ACTION_ROW(self->preset_row));
}

/* ---- GObject -------------------------------------------------------------------------------------- */

static void dg_gan_view_dispose(GObject *object)
{
    DgGanView *self = DG_GAN_VIEW(object);
    g_cancellable_cancel(self->cancel);
    gtk_widget_dispose_template(GTK_WIDGET(self), DG_TYPE_GAN_VIEW);
    dg_ui_unparent_children(GTK_WIDGET(self));
    G_OBJECT_CLASS(dg_gan_view_parent_class)->dispose(object);
}

static void dg_gan_view_finalize(GObject *object)
{
    DgGanView *self = DG_GAN_VIEW(object);
    g_free(self->run_dir);
    g_free(self->prev_last_run);
    g_free(self->run_preset);
    g_free(self->next_out);
    g_strfreev(self->class_names);
    g_array_unref(self->ref_series);
    g_clear_object(&self->cancel);
    G_OBJECT_CLASS(dg_gan_view_parent_class)->finalize(object);
}

static void dg_gan_view_class_init(DgGanViewClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    DgJobPageClass *pc = DG_JOB_PAGE_CLASS(klass);
    oc->dispose = dg_gan_view_dispose;
    oc->finalize = dg_gan_view_finalize;
    pc->start = page_start;
    pc->can_start = page_can_start;
    pc->event = page_event;
    pc->state_changed = page_state_changed;
    pc->session_set = page_session_set;
    g_type_ensure(DG_TYPE_CHART);
    g_type_ensure(DG_TYPE_COMPARE_BUTTON);
    gtk_widget_class_set_template_from_resource(wc, "/org/dermagan/DermaGAN/ui/dg-gan-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child(wc, DgGanView, name)
    BIND(flap);
    BIND(preset_row);
    BIND(warm_row);
    BIND(warm_switch);
    BIND(steps_row);
    BIND(run_row);
    BIND(steps_spin);
    BIND(seed_spin);
    BIND(window_spin);
    BIND(resume_button);
    BIND(pause_content);
    BIND(progress);
    BIND(status_label);
    BIND(samples_label);
    BIND(smoothing_scale);
    BIND(curves_stack);
    BIND(curves_chart);
    BIND(quality_chart);
    BIND(samples_chart);
    BIND(compare_button);
#undef BIND
    gtk_widget_class_bind_template_callback(wc, on_preset_changed);
    gtk_widget_class_bind_template_callback(wc, on_curve_options);
    gtk_widget_class_bind_template_callback_full(wc, "on_compare_chosen",
                                                 G_CALLBACK(dg_gan_view_on_compare_chosen));
    dg_gan_view_install_run_actions(wc);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void dg_gan_view_init(DgGanView *self)
{
    self->ref_series = g_array_new(FALSE, FALSE, sizeof(int));
    gtk_widget_init_template(GTK_WIDGET(self));
    self->cancel = g_cancellable_new();
    self->sample_seconds = DG_GAN_VIEW_SAMPLE_SECONDS;
    g_autofree char *runs = g_build_filename(g_get_user_data_dir(), "dermagan", "runs", NULL);
    g_autofree char *disp = g_filename_display_name(runs);
    g_autofree char *sub = g_strdup_printf("a new folder in %s", disp);
    g_autofree char *esc = g_markup_escape_text(sub, -1);
    adw_action_row_set_subtitle(self->run_row, esc);
    g_signal_connect_swapped(self->steps_spin, "value-changed", G_CALLBACK(update_preset_note),
                             self);
    dg_job_page_set_pause_content(DG_JOB_PAGE(self), self->pause_content);
    dg_chart_set_file_name(self->curves_chart, "gan-losses");
    dg_chart_set_file_name(self->quality_chart, "gan-quality");
    dg_chart_set_file_name(self->samples_chart, "gan-samples");
    dg_chart_set_x_name(self->curves_chart, "step");
    dg_chart_set_x_name(self->quality_chart, "step");
}

/* dg-train-page.c: the Classifier view's Training page. */
#include "dg-train-page.h"

#include <math.h>

#include "dg-compare-button.h"
#include "dg-ui-util.h"
#include "jobs/dg-job-cnn.h"

static const char *const archs[] = {"seed", "dermanet", "mobile"};
static const char *const arch_notes[] = {
    "the original project's small CNN",
    "residual CNN with batch normalization (default)",
    "depthwise-separable blocks: the fastest",
};

struct _DgTrainPage {
    DgJobPage parent_instance;

    AdwFlap *flap;
    AdwComboRow *arch_row;
    AdwActionRow *syn_row, *teacher_row;
    GtkSpinButton *epochs_spin, *seed_spin, *color_shift_spin;
    GtkSwitch *syn_switch;
    AdwButtonContent *pause_content;
    GtkProgressBar *progress;
    GtkLabel *status_label;
    DgChart *loss_chart, *epoch_chart;
    DgCompareButton *compare_button;

    dg_line_chart *loss, *epochs; /* owned by their charts */
    int s_loss, s_tl, s_vl, s_ta, s_va, s_vb;
    GArray *ref_series; /* the compared run's series in the epoch chart */
    char *run_dir;
    char *prev_last_run; /* "last-cnn-run" before this run, while it has no checkpoint */
    char *teacher;  /* distillation teacher's model file, or NULL */
    char *next_out; /* for the next start: run folder (NULL: new) and step cap */
    int next_steps;
    double last_rate; /* images/s of the last progress while running */
};

G_DEFINE_FINAL_TYPE(DgTrainPage, dg_train_page, DG_TYPE_JOB_PAGE)

enum { SIGNAL_TRAINED, N_SIGNALS };
static guint signals[N_SIGNALS];

static DgSession *session_of(DgTrainPage *self)
{
    return dg_job_page_get_session(DG_JOB_PAGE(self));
}

/* ---- controls ---------------------------------------------------------------------------- */

static void update_controls(DgTrainPage *self)
{
    DgSession *s = session_of(self);
    gboolean active = dg_job_page_is_active(DG_JOB_PAGE(self));
    gtk_widget_set_sensitive(GTK_WIDGET(self->arch_row), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->epochs_spin), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->seed_spin), !active);
    gtk_widget_set_sensitive(GTK_WIDGET(self->color_shift_spin), !active);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "train.choose-teacher", !active);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "train.clear-teacher",
                                  !active && self->teacher);
    const char *syn = s ? dg_session_get_synthetic(s) : NULL;
    gtk_widget_set_sensitive(GTK_WIDGET(self->syn_row), !active && syn);
    if (!syn)
        gtk_switch_set_active(self->syn_switch, FALSE);
    g_autofree char *sd = syn ? g_filename_display_name(syn) : NULL;
    g_autofree char *sub = sd ? g_markup_printf_escaped("from %s", sd)
                              : g_strdup("none generated yet (Generate view)");
    adw_action_row_set_subtitle(self->syn_row, sub);
}

static void on_arch_changed(DgTrainPage *self)
{
    guint i = adw_combo_row_get_selected(self->arch_row);
    if (i < G_N_ELEMENTS(arch_notes))
        adw_action_row_set_subtitle(ADW_ACTION_ROW(self->arch_row), arch_notes[i]);
    DgSession *s = session_of(self);
    if (s && i < G_N_ELEMENTS(archs))
        g_settings_set_string(dg_session_get_settings(s), "cnn-arch", archs[i]);
}

static void select_arch(DgTrainPage *self, const char *arch)
{
    for (guint i = 0; i < G_N_ELEMENTS(archs); i++)
        if (g_strcmp0(archs[i], arch) == 0)
            adw_combo_row_set_selected(self->arch_row, i);
}

void dg_train_page_configure(DgTrainPage *self, const char *arch, int epochs, guint64 seed)
{
    g_return_if_fail(DG_IS_TRAIN_PAGE(self));
    select_arch(self, arch);
    gtk_spin_button_set_value(self->epochs_spin, epochs);
    gtk_spin_button_set_value(self->seed_spin, (double)seed);
}

/* ---- charts -------------------------------------------------------------------------------- */

/* An earlier training's epochs, thin beside this one's. */
static void add_reference(DgTrainPage *self)
{
    if (!self->epochs)
        return;
    for (guint i = 0; i < self->ref_series->len; i++)
        dg_line_chart_set_series_visible(self->epochs, g_array_index(self->ref_series, int, i),
                                         FALSE);
    g_array_set_size(self->ref_series, 0);
    const dg_run_info *r = dg_compare_button_get_run(self->compare_button);
    if (!r || r->kind != DG_RUN_CLASSIFIER || !r->history)
        goto done;
    const int orig[] = {self->s_tl, self->s_ta, self->s_vl, self->s_va, self->s_vb};
    const int col[] = {1, 2, 3, 4, 5}; /* history columns, as orig */
    for (int k = 0; k < 5; k++) {
        const char *name;
        int color;
        dg_plot_axis axis;
        dg_line_chart_get_series(self->epochs, orig[k], &name, &color, &axis, NULL, NULL);
        g_autofree char *copy = g_strdup(name); /* adding a series may move the names */
        int s = dg_line_chart_add_series(self->epochs, copy);
        dg_line_chart_set_series_color(self->epochs, s, color);
        dg_line_chart_set_series_axis(self->epochs, s, axis);
        dg_line_chart_set_series_faint(self->epochs, s, TRUE);
        for (gint64 i = 0; i < r->n_history; i++) {
            const float *row = r->history + i * DG_CNN_HISTORY_COLS;
            dg_line_chart_append(self->epochs, s, row[0], row[col[k]]);
        }
        g_array_append_val(self->ref_series, s);
    }
    if (r->n_history > 0)
        dg_chart_set_placeholder(self->epoch_chart, NULL);
done:
    dg_chart_update(self->epoch_chart);
}

static void new_charts(DgTrainPage *self);

static void on_compare_chosen(DgTrainPage *self, gpointer run)
{
    (void)run; /* the button keeps it */
    if (!self->epochs)
        new_charts(self); /* draws it */
    else
        add_reference(self);
}

static void new_charts(DgTrainPage *self)
{
    DgSession *s = session_of(self);
    dg_line_chart *l = dg_line_chart_new();
    dg_line_chart_set_labels(l, "step", "loss", NULL);
    self->s_loss = dg_line_chart_add_series(l, "loss");
    dg_line_chart_set_smoothing(
        l, s ? g_settings_get_double(dg_session_get_settings(s), "chart-smoothing") : 0.6);
    dg_line_chart_set_legend(l, DG_PLOT_LEGEND_NONE);
    dg_line_chart_set_x_integer(l, TRUE);
    self->loss = l;
    dg_chart_set_plot(self->loss_chart, &dg_line_chart_kind, l);

    dg_line_chart *e = dg_line_chart_new();
    dg_line_chart_set_labels(e, "epoch", "loss", "accuracy");
    self->s_tl = dg_line_chart_add_series(e, "train loss");
    self->s_vl = dg_line_chart_add_series(e, "val loss");
    self->s_ta = dg_line_chart_add_series(e, "train acc");
    self->s_va = dg_line_chart_add_series(e, "val acc");
    self->s_vb = dg_line_chart_add_series(e, "val balanced acc");
    for (int i = self->s_ta; i <= self->s_vb; i++)
        dg_line_chart_set_series_axis(e, i, DG_PLOT_AXIS_RIGHT);
    dg_line_chart_set_y_clip(e, 0);
    dg_line_chart_set_x_integer(e, TRUE);
    self->epochs = e;
    dg_chart_set_plot(self->epoch_chart, &dg_line_chart_kind, e);
    g_array_set_size(self->ref_series, 0);
    add_reference(self);
}

static void set_progress(DgTrainPage *self, const DgEventCopy *ev)
{
    gtk_progress_bar_set_fraction(self->progress,
                                  ev->total > 0 ? CLAMP((double)ev->step / ev->total, 0, 1) : 0);
    g_autofree char *s = dg_ui_format_count(ev->step);
    g_autofree char *t = dg_ui_format_count(ev->total);
    g_autofree char *text = NULL;
    if (dg_job_page_is_paused(DG_JOB_PAGE(self)))
        text = g_strdup_printf("step %s / %s · paused", s, t);
    else if (ev->rate > 0) {
        self->last_rate = ev->rate;
        g_autofree char *left = dg_ui_format_duration(ev->eta);
        text = g_strdup_printf("epoch %d · step %s / %s · %.0f images/s · %s left", ev->epoch + 1,
                               s, t, ev->rate, left);
    } else
        text = g_strdup_printf("step %s / %s", s, t);
    gtk_progress_bar_set_text(self->progress, text);
}

/* ---- the job ------------------------------------------------------------------------------- */

static void on_epoch(DgTrainPage *self, const DgEventCopy *ev)
{
    double x = ev->epoch;
    dg_line_chart_append(self->epochs, self->s_tl, x, dg_event_copy_get(ev, "train_loss", NAN));
    dg_line_chart_append(self->epochs, self->s_vl, x, dg_event_copy_get(ev, "val_loss", NAN));
    dg_line_chart_append(self->epochs, self->s_ta, x, dg_event_copy_get(ev, "train_acc", NAN));
    dg_line_chart_append(self->epochs, self->s_va, x, dg_event_copy_get(ev, "val_acc", NAN));
    dg_line_chart_append(self->epochs, self->s_vb, x, dg_event_copy_get(ev, "val_bacc", NAN));
    dg_chart_set_placeholder(self->epoch_chart, NULL);
    dg_chart_update(self->epoch_chart);
    g_autofree char *t = g_strdup_printf(
        "Epoch %d: validation balanced accuracy %.1f %% (best %.1f %%).", ev->epoch,
        100 * dg_event_copy_get(ev, "val_bacc", NAN), 100 * dg_event_copy_get(ev, "best_bacc", NAN));
    gtk_label_set_text(self->status_label, t);
}

static void on_result(DgTrainPage *self, const DgEventCopy *ev)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!ev->json || !json_parser_load_from_data(p, ev->json, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
        return;
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    const char *model = json_object_get_string_member_with_default(o, "model", NULL);
    if (!model || !g_file_test(model, G_FILE_TEST_IS_REGULAR))
        return;
    dg_session_set_classifier(session_of(self), model);
    dg_session_toast(session_of(self), FALSE,
                     "Classifier trained: its best epoch is now used by Results and Diagnose");
    g_signal_emit(self, signals[SIGNAL_TRAINED], 0, model);
}

static void on_finished(DgTrainPage *self, const DgEventCopy *ev)
{
    g_autofree char *run = self->run_dir ? g_filename_display_name(self->run_dir) : NULL;
    g_autofree char *text = NULL;
    g_autofree char *ckpt =
        self->run_dir ? g_build_filename(self->run_dir, "checkpoint.safetensors", NULL) : NULL;
    gboolean kept = ckpt && g_file_test(ckpt, G_FILE_TEST_IS_REGULAR);
    if (!kept && self->prev_last_run) /* stopped or failed before its first checkpoint */
        g_settings_set_string(dg_session_get_settings(session_of(self)), "last-cnn-run",
                              self->prev_last_run);
    g_clear_pointer(&self->prev_last_run, g_free);
    if (ev->state == DG_JOB_SUCCEEDED)
        text = g_strdup_printf("Finished; the model is in %s.", run);
    else if (ev->state == DG_JOB_CANCELLED && kept)
        text = g_strdup_printf("Stopped; the checkpoint is kept in %s.", run);
    else if (ev->state == DG_JOB_CANCELLED)
        text = g_strdup("Stopped before its first checkpoint: nothing was kept.");
    else {
        text = g_strdup_printf("Failed: %s", ev->message ? ev->message : "unknown error");
        dg_session_toast(session_of(self), TRUE, "Classifier training failed: %s",
                         ev->message ? ev->message : "unknown error");
    }
    gtk_label_set_text(self->status_label, text);
    /* the speed and the time left belong to a running job */
    gtk_progress_bar_set_text(self->progress, ev->state == DG_JOB_SUCCEEDED   ? "finished"
                                              : ev->state == DG_JOB_CANCELLED ? "stopped"
                                                                              : "failed");
    /* what this computer does: for the estimates of later trainings and ablations */
    guint a = adw_combo_row_get_selected(self->arch_row);
    if (self->last_rate > 0 && a < G_N_ELEMENTS(archs))
        dg_ui_set_speed(dg_session_get_settings(session_of(self)), "cnn-speed", archs[a],
                        self->last_rate);
}

static void page_event(DgJobPage *page, const DgEventCopy *ev)
{
    DgTrainPage *self = DG_TRAIN_PAGE(page);
    switch (ev->kind) {
    case DG_EVENT_PROGRESS:
        dg_line_chart_append(self->loss, self->s_loss, (double)ev->step,
                             dg_event_copy_get(ev, "loss", NAN));
        dg_chart_set_placeholder(self->loss_chart, NULL);
        dg_chart_update(self->loss_chart);
        set_progress(self, ev);
        break;
    case DG_EVENT_EPOCH:
        on_epoch(self, ev);
        break;
    case DG_EVENT_MESSAGE:
    case DG_EVENT_STARTED:
        if (ev->message)
            gtk_label_set_text(self->status_label, ev->message);
        if (ev->kind == DG_EVENT_MESSAGE && g_strcmp0(ev->level, "warning") == 0 && ev->message)
            dg_session_toast(session_of(self), FALSE, "Classifier training: %s", ev->message);
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
    DgTrainPage *self = DG_TRAIN_PAGE(page);
    update_controls(self);
    if (dg_job_page_is_stopping(page))
        gtk_label_set_text(self->status_label, "Stopping: writing the checkpoint…");
    else if (dg_job_page_is_paused(page))
        gtk_progress_bar_set_text(self->progress, "paused");
}

static gboolean page_can_start(DgJobPage *page)
{
    return dg_session_get_dataset(dg_job_page_get_session(page)) != NULL;
}

static gboolean page_start(DgJobPage *page)
{
    DgTrainPage *self = DG_TRAIN_PAGE(page);
    DgSession *s = session_of(self);
    const dg_dataset *ds = dg_session_get_dataset(s);
    g_autofree char *out = g_steal_pointer(&self->next_out);
    int steps = self->next_steps;
    self->next_steps = 0;
    if (!ds || !ds->has_split) {
        dg_session_toast(s, TRUE, ds ? "This data set cannot be split for training"
                                     : "Open a data set before training a classifier");
        return FALSE;
    }
    guint a = adw_combo_row_get_selected(self->arch_row);
    dg_cnn_train_config *c = dg_cnn_train_config_new();
    c->data = g_strdup(ds->root);
    c->all_classes = dg_session_get_all_classes(s);
    c->out = out ? g_strdup(out) : dg_session_new_run_dir(s, "classifier");
    g_free(c->arch);
    c->arch = g_strdup(a < G_N_ELEMENTS(archs) ? archs[a] : "dermanet");
    c->epochs = gtk_spin_button_get_value_as_int(self->epochs_spin);
    c->steps = steps;
    c->seed = (guint64)gtk_spin_button_get_value(self->seed_spin);
    c->color_shift = gtk_spin_button_get_value(self->color_shift_spin);
    c->split_seed = DG_SPLIT_SEED;
    c->threads = dg_session_get_threads(s);
    const char *syn = dg_session_get_synthetic(s);
    if (gtk_switch_get_active(self->syn_switch) && syn)
        c->synthetic = g_strdup(syn);
    c->teacher = g_strdup(self->teacher);
    GSettings *set = dg_session_get_settings(s);
    g_settings_set_int(set, "cnn-epochs", c->epochs);
    /* the run is the last one from now (a crash keeps its checkpoints), but one
     * stopped before its first checkpoint gives the place back (on_finished) */
    g_free(self->prev_last_run);
    self->prev_last_run = g_settings_get_string(set, "last-cnn-run");
    g_settings_set_string(set, "last-cnn-run", c->out);
    g_free(self->run_dir);
    self->run_dir = g_strdup(c->out);
    dg_compare_button_set_current(self->compare_button, c->out);

    new_charts(self);
    self->last_rate = 0;
    dg_chart_set_placeholder(self->loss_chart, "Loading the data set…");
    gtk_progress_bar_set_fraction(self->progress, 0);
    gtk_progress_bar_set_text(self->progress, "starting");
    g_autoptr(DgJobRunner) runner = dg_job_runner_new(&dg_job_cnn_train, c);
    dg_job_page_run(page, runner, DG_JOB_RUNNER_TRAINING_INTERVAL);
    return TRUE;
}

gboolean dg_train_page_train(DgTrainPage *self, const char *out, int steps)
{
    g_return_val_if_fail(DG_IS_TRAIN_PAGE(self), FALSE);
    g_free(self->next_out);
    self->next_out = g_strdup(out);
    self->next_steps = steps;
    return dg_job_page_start(DG_JOB_PAGE(self));
}

DgChart *dg_train_page_get_epoch_chart(DgTrainPage *self)
{
    g_return_val_if_fail(DG_IS_TRAIN_PAGE(self), NULL);
    return self->epoch_chart;
}

guint dg_train_page_get_n_points(DgTrainPage *self)
{
    g_return_val_if_fail(DG_IS_TRAIN_PAGE(self), 0);
    return self->loss ? (guint)dg_line_chart_n_points(self->loss, self->s_loss) : 0;
}

/* ---- session ---------------------------------------------------------------------------------- */

static void on_session_changed(DgSession *s, GParamSpec *pspec, DgTrainPage *self)
{
    (void)s, (void)pspec;
    update_controls(self);
    dg_job_page_update_actions(DG_JOB_PAGE(self));
}

static void page_session_set(DgJobPage *page, DgSession *session)
{
    DgTrainPage *self = DG_TRAIN_PAGE(page);
    GSettings *s = dg_session_get_settings(session);
    g_autofree char *arch = g_settings_get_string(s, "cnn-arch");
    select_arch(self, arch);
    gtk_spin_button_set_value(self->epochs_spin, g_settings_get_int(s, "cnn-epochs"));
    g_signal_connect_object(session, "notify::dataset", G_CALLBACK(on_session_changed), self, 0);
    g_signal_connect_object(session, "notify::synthetic", G_CALLBACK(on_session_changed), self,
                            0);
    on_arch_changed(self);
    update_controls(self);
    gtk_label_set_text(self->status_label, "Not started.");
}

/* ---- GObject ----------------------------------------------------------------------------------- */

/* ---- the distillation teacher ------------------------------------------------------------------- */

/* The row's tooltip without a teacher (the template's too). */
static const char teacher_tip[] =
    "Knowledge distillation: the new model also learns a trained classifier's softened "
    "predictions (for example an ensemble made by dermagan-cli cnn ensemble); it keeps its own "
    "size and speed";

void dg_train_page_set_teacher(DgTrainPage *self, const char *path)
{
    g_return_if_fail(DG_IS_TRAIN_PAGE(self));
    g_free(self->teacher);
    self->teacher = path && *path ? g_strdup(path) : NULL;
    if (self->teacher) {
        g_autofree char *base = g_path_get_basename(self->teacher);
        g_autofree char *dir = g_path_get_dirname(self->teacher);
        g_autofree char *parent = g_path_get_basename(dir);
        g_autofree char *shown = g_strdup_printf("%s/%s", parent, base);
        g_autofree char *disp = g_filename_display_name(shown);
        adw_action_row_set_subtitle(self->teacher_row, disp);
        gtk_widget_set_tooltip_text(GTK_WIDGET(self->teacher_row), self->teacher);
    } else {
        adw_action_row_set_subtitle(self->teacher_row, "None: the labels alone");
        gtk_widget_set_tooltip_text(GTK_WIDGET(self->teacher_row), teacher_tip);
    }
    update_controls(self);
}

const char *dg_train_page_get_teacher(DgTrainPage *self)
{
    g_return_val_if_fail(DG_IS_TRAIN_PAGE(self), NULL);
    return self->teacher;
}

static void on_teacher_file(GFile *file, gpointer data)
{
    g_autofree char *path = g_file_get_path(file);
    if (path)
        dg_train_page_set_teacher(DG_TRAIN_PAGE(data), path);
}

static void act_choose_teacher(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    g_autofree char *runs = dg_runs_dir();
    dg_ui_choose_in(w, GTK_FILE_CHOOSER_ACTION_OPEN, "Choose a Teacher Classifier", "_Use",
                    dg_ui_model_filter(), runs, on_teacher_file, w);
}

static void act_clear_teacher(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name, (void)param;
    dg_train_page_set_teacher(DG_TRAIN_PAGE(w), NULL);
}

static void dg_train_page_dispose(GObject *object)
{
    gtk_widget_dispose_template(GTK_WIDGET(object), DG_TYPE_TRAIN_PAGE);
    dg_ui_unparent_children(GTK_WIDGET(object));
    G_OBJECT_CLASS(dg_train_page_parent_class)->dispose(object);
}

static void dg_train_page_finalize(GObject *object)
{
    DgTrainPage *self = DG_TRAIN_PAGE(object);
    g_free(self->run_dir);
    g_free(self->prev_last_run);
    g_free(self->teacher);
    g_free(self->next_out);
    g_array_unref(self->ref_series);
    G_OBJECT_CLASS(dg_train_page_parent_class)->finalize(object);
}

static void dg_train_page_class_init(DgTrainPageClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    DgJobPageClass *pc = DG_JOB_PAGE_CLASS(klass);
    oc->dispose = dg_train_page_dispose;
    oc->finalize = dg_train_page_finalize;
    pc->start = page_start;
    pc->can_start = page_can_start;
    pc->event = page_event;
    pc->state_changed = page_state_changed;
    pc->session_set = page_session_set;
    signals[SIGNAL_TRAINED] = g_signal_new("trained", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
    g_type_ensure(DG_TYPE_CHART);
    g_type_ensure(DG_TYPE_COMPARE_BUTTON);
    gtk_widget_class_set_template_from_resource(wc, "/org/dermagan/DermaGAN/ui/dg-train-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child(wc, DgTrainPage, name)
    BIND(flap);
    BIND(arch_row);
    BIND(syn_row);
    BIND(teacher_row);
    BIND(epochs_spin);
    BIND(seed_spin);
    BIND(color_shift_spin);
    BIND(syn_switch);
    BIND(pause_content);
    BIND(progress);
    BIND(status_label);
    BIND(loss_chart);
    BIND(epoch_chart);
    BIND(compare_button);
#undef BIND
    gtk_widget_class_install_action(wc, "train.choose-teacher", NULL, act_choose_teacher);
    gtk_widget_class_install_action(wc, "train.clear-teacher", NULL, act_clear_teacher);
    gtk_widget_class_bind_template_callback(wc, on_arch_changed);
    gtk_widget_class_bind_template_callback(wc, on_compare_chosen);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void dg_train_page_init(DgTrainPage *self)
{
    self->ref_series = g_array_new(FALSE, FALSE, sizeof(int));
    gtk_widget_init_template(GTK_WIDGET(self));
    gtk_progress_bar_set_text(self->progress, "idle");
    dg_job_page_set_pause_content(DG_JOB_PAGE(self), self->pause_content);
    dg_chart_set_file_name(self->loss_chart, "classifier-loss");
    dg_chart_set_file_name(self->epoch_chart, "classifier-epochs");
    dg_chart_set_x_name(self->loss_chart, "step");
    dg_chart_set_x_name(self->epoch_chart, "epoch");
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "train.clear-teacher", FALSE);
}

/* dg-classifier-view.c: the Classifier view: Training, Results and Ablation pages. */
#include "dg-classifier-view.h"

#include "dg-ui-util.h"

struct _DgClassifierView {
    GtkWidget parent_instance;

    GtkStack *pages;
    DgTrainPage *train_page;
    DgResultsPage *results_page;
    DgAblationPage *ablation_page;
};

G_DEFINE_FINAL_TYPE(DgClassifierView, dg_classifier_view, GTK_TYPE_WIDGET)

static void on_page_changed(DgClassifierView *self)
{
    if (gtk_stack_get_visible_child(self->pages) == GTK_WIDGET(self->results_page))
        dg_results_page_shown(self->results_page);
}

static void on_trained(DgClassifierView *self, const char *model)
{
    (void)model; /* the session's classifier now */
    dg_results_page_evaluate(self->results_page, "test");
}

void dg_classifier_view_set_session(DgClassifierView *self, DgSession *session)
{
    g_return_if_fail(DG_IS_CLASSIFIER_VIEW(self));
    dg_job_page_set_session(DG_JOB_PAGE(self->train_page), session);
    dg_job_page_set_session(DG_JOB_PAGE(self->results_page), session);
    dg_job_page_set_session(DG_JOB_PAGE(self->ablation_page), session);
}

void dg_classifier_view_show_page(DgClassifierView *self, const char *page)
{
    g_return_if_fail(DG_IS_CLASSIFIER_VIEW(self));
    gtk_stack_set_visible_child_name(self->pages, page);
}

DgTrainPage *dg_classifier_view_get_train_page(DgClassifierView *self)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), NULL);
    return self->train_page;
}

DgResultsPage *dg_classifier_view_get_results_page(DgClassifierView *self)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), NULL);
    return self->results_page;
}

DgAblationPage *dg_classifier_view_get_ablation_page(DgClassifierView *self)
{
    g_return_val_if_fail(DG_IS_CLASSIFIER_VIEW(self), NULL);
    return self->ablation_page;
}

/* job.start, job.pause, job.stop: the page shown does them (each page has all three) */
static void act_forward(GtkWidget *w, const char *name, GVariant *param)
{
    DgClassifierView *self = DG_CLASSIFIER_VIEW(w);
    gtk_widget_activate_action_variant(gtk_stack_get_visible_child(self->pages), name, param);
}

static void dg_classifier_view_dispose(GObject *object)
{
    gtk_widget_dispose_template(GTK_WIDGET(object), DG_TYPE_CLASSIFIER_VIEW);
    dg_ui_unparent_children(GTK_WIDGET(object));
    G_OBJECT_CLASS(dg_classifier_view_parent_class)->dispose(object);
}

static void dg_classifier_view_class_init(DgClassifierViewClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = dg_classifier_view_dispose;
    g_type_ensure(DG_TYPE_TRAIN_PAGE);
    g_type_ensure(DG_TYPE_RESULTS_PAGE);
    g_type_ensure(DG_TYPE_ABLATION_PAGE);
    gtk_widget_class_set_template_from_resource(
        wc, "/org/dermagan/DermaGAN/ui/dg-classifier-view.ui");
    gtk_widget_class_bind_template_child(wc, DgClassifierView, pages);
    gtk_widget_class_bind_template_child(wc, DgClassifierView, train_page);
    gtk_widget_class_bind_template_child(wc, DgClassifierView, results_page);
    gtk_widget_class_bind_template_child(wc, DgClassifierView, ablation_page);
    gtk_widget_class_bind_template_callback(wc, on_page_changed);
    gtk_widget_class_bind_template_callback(wc, on_trained);
    gtk_widget_class_install_action(wc, "job.start", NULL, act_forward);
    gtk_widget_class_install_action(wc, "job.pause", NULL, act_forward);
    gtk_widget_class_install_action(wc, "job.stop", NULL, act_forward);
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void dg_classifier_view_init(DgClassifierView *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

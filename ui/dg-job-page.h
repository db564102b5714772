/* dg-job-page.h: a page (or view) that runs one kind of job.
 *
 * The base of the GAN view, the Generate view and the Classifier view's
 * Training, Results and Ablation pages.  It holds the page's current job
 * runner and installs the page's own actions:
 *   job.start   start the page's job (the subclass's start);
 *   job.pause   pause or resume it;
 *   job.stop    stop it (a training keeps its checkpoint);
 * and enables them from the runner's state: start while no job runs and the
 * subclass's can_start says yes, pause and stop while one runs and no stop
 * was asked.  Buttons in a page's template name these actions; the window's
 * shortcuts (Ctrl+Return, Ctrl+P, Ctrl+.) activate them on the visible page.
 * A page keeps no copy of its job's state: it asks the runner. */
#pragma once
#include <adwaita.h>

#include "dg-job-runner.h"
#include "dg-session.h"

G_BEGIN_DECLS

#define DG_TYPE_JOB_PAGE (dg_job_page_get_type())
G_DECLARE_DERIVABLE_TYPE(DgJobPage, dg_job_page, DG, JOB_PAGE, GtkWidget)

struct _DgJobPageClass {
    GtkWidgetClass parent_class;

    /* job.start: make and run the page's job (dg_job_page_run); FALSE (with
     * a note or toast saying why) when it cannot start. */
    gboolean (*start)(DgJobPage *self);
    /* Whether job.start makes sense now (a data set, a model...); NULL: yes. */
    gboolean (*can_start)(DgJobPage *self);
    /* An event of the page's current job, on the main thread. */
    void (*event)(DgJobPage *self, const DgEventCopy *ev);
    /* The job's state changed (after the actions were updated). */
    void (*state_changed)(DgJobPage *self);
    /* The session was set (connect to its signals here). */
    void (*session_set)(DgJobPage *self, DgSession *session);
};

void dg_job_page_set_session(DgJobPage *self, DgSession *session);
DgSession *dg_job_page_get_session(DgJobPage *self);

/* Runs runner (a new one, READY) as the page's job: the previous runner is
 * let go, the session tracks this one, its events reach the class's event
 * and its state the actions.  interval_ms: between event deliveries (0:
 * the runner's default). */
void dg_job_page_run(DgJobPage *self, DgJobRunner *runner, guint interval_ms);
/* The page's current (or last) runner, or NULL. */
DgJobRunner *dg_job_page_get_runner(DgJobPage *self);
/* The current job runs (or is paused); paused; a stop was asked. */
gboolean dg_job_page_is_active(DgJobPage *self);
gboolean dg_job_page_is_paused(DgJobPage *self);
gboolean dg_job_page_is_stopping(DgJobPage *self);

/* Starts the page's job (job.start); FALSE when it did not start. */
gboolean dg_job_page_start(DgJobPage *self);
/* Pauses a running job, resumes a paused one (job.pause). */
void dg_job_page_toggle_pause(DgJobPage *self);
/* Asks the job to stop (job.stop). */
void dg_job_page_stop(DgJobPage *self);

/* Re-evaluates which actions are enabled (call when can_start may have changed). */
void dg_job_page_update_actions(DgJobPage *self);
/* A pause button's content: labelled Pause or Resume as the job's state says. */
void dg_job_page_set_pause_content(DgJobPage *self, AdwButtonContent *content);

/* Writes what the page shows (`what`: a format the page knows) to path. */
typedef gboolean (*DgJobPageExportFunc)(DgJobPage *self, const char *what, const char *path,
                                        GError **error);
/* Asks for a file (title, suggested name, in Documents), then exports to it
 * with fn and says in a toast where it went, or why not. */
void dg_job_page_export(DgJobPage *self, const char *title, const char *file, const char *what,
                        DgJobPageExportFunc fn);

G_END_DECLS

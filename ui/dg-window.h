/* dg-window.h: the main window.
 *
 * A header bar with a view switcher over five views (Dataset, GAN, Generate,
 * Classifier, Diagnose), a toast overlay for messages and errors, window
 * actions with keyboard shortcuts, and a drop target: a folder dropped
 * anywhere opens as the data set, an image file goes to Diagnose.  Closing
 * while a job runs asks first, then stops the jobs (each keeps its
 * checkpoint) and closes once they have finished. */
#pragma once
#include <adwaita.h>

#include "dg-classifier-view.h"
#include "dg-dataset-view.h"
#include "dg-diagnose-view.h"
#include "dg-gan-view.h"
#include "dg-generate-view.h"
#include "dg-session.h"

G_BEGIN_DECLS

#define DG_TYPE_WINDOW (dg_window_get_type())
G_DECLARE_FINAL_TYPE(DgWindow, dg_window, DG, WINDOW, AdwApplicationWindow)

DgWindow *dg_window_new(GtkApplication *app, GSettings *settings);
DgSession *dg_window_get_session(DgWindow *self);
/* The data set to start with: the last one opened, else the bundled sample. */
void dg_window_open_initial(DgWindow *self);
/* Opens a folder as the data set or an image in Diagnose, and shows that
 * view; FALSE (and a toast) for anything else. */
gboolean dg_window_open_file(DgWindow *self, GFile *file);
/* "dataset", "gan", "generate", "classifier", "diagnose". */
void dg_window_show_view(DgWindow *self, const char *name);
const char *dg_window_get_view(DgWindow *self);
/* One message at a time: it replaces the one shown; another view clears it. */
void dg_window_toast(DgWindow *self, const char *message, gboolean error);
/* Dismisses every message shown or waiting. */
void dg_window_dismiss_toasts(DgWindow *self);
/* Toasts shown so far; shown now and not dismissed (tests). */
guint dg_window_get_n_toasts(DgWindow *self);
guint dg_window_get_n_live_toasts(DgWindow *self);
const char *dg_window_get_last_toast(DgWindow *self);

DgDatasetView *dg_window_get_dataset_view(DgWindow *self);
DgGanView *dg_window_get_gan_view(DgWindow *self);
DgGenerateView *dg_window_get_generate_view(DgWindow *self);
DgClassifierView *dg_window_get_classifier_view(DgWindow *self);
DgDiagnoseView *dg_window_get_diagnose_view(DgWindow *self);

G_END_DECLS

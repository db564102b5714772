/* dg-diagnose-view.h: the Diagnose view: one photo, four probabilities.
 *
 * dg_diagnose_view_open runs the predict job (test-time augmentation and
 * Grad-CAM for every class) with the session's classifier on one image file:
 * the photo, the class probabilities as bars, the top class, and a Grad-CAM
 * overlay on the centre crop the model sees, for the class chosen (the top
 * one first) at the opacity chosen, smoothly scaled.  The view's action
 * view.open (Ctrl+O here) opens an image.  A clear note says that this is a
 * research demonstration, not a medical device.  An unreadable image or a
 * missing or malformed model is shown in the view instead of a result (the
 * last result never stays on screen after a failure), never a crash.  An
 * image the model should not judge (the predict job's "judged": tiny, flat,
 * not skin, unlike its training lesions) is said to be so, with the reason,
 * and its probabilities are greyed, with no "most likely" class.  Optional
 * patient fields (age, sex, body site) go to the predict job; with a
 * classifier that has a patient prior they change the probabilities, and
 * the view says how many were used. */
#pragma once
#include <gtk/gtk.h>

#include "dg-chart.h"
#include "dg-job-runner.h"
#include "dg-session.h"

G_BEGIN_DECLS

#define DG_TYPE_DIAGNOSE_VIEW (dg_diagnose_view_get_type())
G_DECLARE_FINAL_TYPE(DgDiagnoseView, dg_diagnose_view, DG, DIAGNOSE_VIEW, GtkWidget)

void dg_diagnose_view_set_session(DgDiagnoseView *self, DgSession *session);
/* Test-time augmentation of the predictions (default TRUE). */
void dg_diagnose_view_set_tta(DgDiagnoseView *self, gboolean tta);
/* FALSE (and a toast) when no prediction could be started. */
gboolean dg_diagnose_view_open(DgDiagnoseView *self, const char *path);
void dg_diagnose_view_set_overlay(DgDiagnoseView *self, gboolean overlay);
/* The class whose Grad-CAM is shown (index into the probabilities; < 0:
 * unchanged) and the overlay's opacity (0..1; <= 0: unchanged). */
void dg_diagnose_view_set_overlay_class(DgDiagnoseView *self, int k, double opacity);

DgJobRunner *dg_diagnose_view_get_runner(DgDiagnoseView *self);
DgChart *dg_diagnose_view_get_chart(DgDiagnoseView *self);
/* The last prediction: number of classes (0: none yet); up to max
 * probabilities into probs (model order), and the top class id. */
int dg_diagnose_view_get_probabilities(DgDiagnoseView *self, double *probs, int max);
const char *dg_diagnose_view_get_top(DgDiagnoseView *self);
/* A Grad-CAM map for every class of the last prediction. */
gboolean dg_diagnose_view_has_overlay(DgDiagnoseView *self);
/* The failure shown (NULL when a result or nothing is shown); the page shown:
 * "empty", "busy", "error" or "result". */
const char *dg_diagnose_view_get_error(DgDiagnoseView *self);
const char *dg_diagnose_view_get_page(DgDiagnoseView *self);
/* Whether the last prediction was judged (FALSE also when none). */
gboolean dg_diagnose_view_is_judged(DgDiagnoseView *self);
/* The patient fields (age < 0: unknown; sex "female"/"male"/NULL, site one
 * of dg_patient_sites or NULL); a shown image is looked at again. */
void dg_diagnose_view_set_patient(DgDiagnoseView *self, int age, const char *sex, const char *site);
/* The patient line under the fields ("" when none). */
const char *dg_diagnose_view_get_patient_text(DgDiagnoseView *self);

G_END_DECLS

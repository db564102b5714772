/* dg-cases-window.h: the images behind a number of the Results page.
 *
 * A window listing evaluated images (those of one confusion-matrix cell, or
 * the most confident mistakes) as thumbnails captioned with the predicted
 * class's probability; clicking one shows it in a Diagnose view beside the
 * grid: its probabilities (without test-time augmentation, as the
 * evaluation computed them) and the Grad-CAM of any class. */
#pragma once
#include <adwaita.h>

#include "dg-diagnose-view.h"
#include "dg-session.h"
#include "dg-thumb-grid.h"

G_BEGIN_DECLS

/* One evaluated image: its true and predicted class (indices into the
 * evaluation's class list) and its probabilities. */
typedef struct {
    char *path, *image_id;
    int label, pred;
    int n_probs;
    double *probs;
} DgCase;

DgCase *dg_case_new(const char *path, const char *image_id, int label, int pred,
                    const double *probs, int n_probs);
void dg_case_free(DgCase *c);

#define DG_TYPE_CASES_WINDOW (dg_cases_window_get_type())
G_DECLARE_FINAL_TYPE(DgCasesWindow, dg_cases_window, DG, CASES_WINDOW, AdwWindow)

/* cases: of DgCase* (a reference is taken; the cases are not copied);
 * class_ids: the evaluation's classes. */
DgCasesWindow *dg_cases_window_new(GtkWindow *parent, DgSession *session, const char *title,
                                   const char *subtitle, const char *const *class_ids,
                                   GPtrArray *cases);
guint dg_cases_window_get_n_cases(DgCasesWindow *self);
/* Shows case i beside the grid (what a click on it does). */
void dg_cases_window_show_case(DgCasesWindow *self, guint i);
DgThumbGrid *dg_cases_window_get_grid(DgCasesWindow *self);
DgDiagnoseView *dg_cases_window_get_detail(DgCasesWindow *self);

G_END_DECLS

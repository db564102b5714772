/* dg-model-row.h: a row naming the model a view uses, with a menu to change it.
 *
 * Shows the session's generator or classifier (property "kind":
 * "generator" or "classifier"): "Bundled default", or the run folder and
 * file name.  Its menu offers, without a file chooser, the bundled default
 * model and the one trained last (the last GAN or classifier run that left a
 * model), then "Choose a File…", which opens in the folder of the runs.
 * Choosing sets the session's model; every view that uses it follows. */
#pragma once
#include <adwaita.h>

#include "dg-session.h"

G_BEGIN_DECLS

#define DG_TYPE_MODEL_ROW (dg_model_row_get_type())
G_DECLARE_FINAL_TYPE(DgModelRow, dg_model_row, DG, MODEL_ROW, AdwActionRow)

void dg_model_row_set_session(DgModelRow *self, DgSession *session);
/* The model file the menu's "last trained" entry would use, or NULL (g_free). */
char *dg_model_row_get_last_trained(DgModelRow *self);
/* The menu's entries without the menu: "bundled", "last" (tests). */
void dg_model_row_use(DgModelRow *self, const char *which);

G_END_DECLS

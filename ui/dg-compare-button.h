/* dg-compare-button.h: a menu button that picks an earlier training run to
 * draw beside the current one.
 *
 * Its menu lists the latest run folders of its kind ("gan" or "classifier",
 * property "kind") in the runs folder (not the one being shown), "Other Run
 * Folder…" and "None".  The chosen run's checkpoint is read off the main
 * thread (dg_run_info_read); then "chosen" (gpointer dg_run_info, or NULL for
 * None) is emitted; the info belongs to the button (valid until the next
 * choice; dg_compare_button_get_run). */
#pragma once
#include <gtk/gtk.h>

#include "jobs/dg-run-info.h"

G_BEGIN_DECLS

#define DG_TYPE_COMPARE_BUTTON (dg_compare_button_get_type())
G_DECLARE_FINAL_TYPE(DgCompareButton, dg_compare_button, DG, COMPARE_BUTTON, GtkWidget)

/* The run shown now, left out of the menu (NULL: none). */
void dg_compare_button_set_current(DgCompareButton *self, const char *folder);
/* Reads folder and emits "chosen" (NULL: none). */
void dg_compare_button_choose(DgCompareButton *self, const char *folder);
/* The run chosen, or NULL. */
const dg_run_info *dg_compare_button_get_run(DgCompareButton *self);

G_END_DECLS

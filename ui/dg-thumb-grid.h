/* dg-thumb-grid.h: a scrolling GtkGridView of image thumbnails.
 *
 * Items are DgThumbItem.  A thumbnail is decoded when its cell is first
 * shown, on a worker thread (GTask), with the engine's own image preparation
 * (dg_image_prepare_file: centre crop, proper downscaling, size limits), so a
 * thumbnail shows what a model sees.  Decoded thumbnails are kept for the most
 * recently loaded few hundred items.  A file that cannot be decoded shows a
 * "missing image" icon with the reason as its tooltip.  Activating a cell
 * (double click, Enter) emits "item-activated" (DgThumbItem *). */
#pragma once
#include <gtk/gtk.h>

#include "dg-thumb-item.h"

G_BEGIN_DECLS

#define DG_TYPE_THUMB_GRID (dg_thumb_grid_get_type())
G_DECLARE_FINAL_TYPE(DgThumbGrid, dg_thumb_grid, DG, THUMB_GRID, GtkWidget)

GtkWidget *dg_thumb_grid_new(void);
/* A list model of DgThumbItem, or NULL. */
void dg_thumb_grid_set_model(DgThumbGrid *self, GListModel *model);
GListModel *dg_thumb_grid_get_model(DgThumbGrid *self);
/* Shown when the model is empty.  Property "empty-text". */
void dg_thumb_grid_set_empty_text(DgThumbGrid *self, const char *text);
/* A single click activates a cell (default: a double click). */
void dg_thumb_grid_set_single_click(DgThumbGrid *self, gboolean single);
/* Thumbnails decoded so far (tests). */
guint dg_thumb_grid_get_n_decoded(DgThumbGrid *self);
/* Cells shown now (bound to an item); *n_done: how many of them show their
 * thumbnail or its error (tests: nothing stays grey). */
guint dg_thumb_grid_get_n_shown(DgThumbGrid *self, guint *n_done);
/* The vertical scroll position (tests). */
GtkAdjustment *dg_thumb_grid_get_vadjustment(DgThumbGrid *self);

G_END_DECLS

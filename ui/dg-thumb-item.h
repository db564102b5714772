/* dg-thumb-item.h: one image of a thumbnail grid (a list-model item).
 *
 * Holds the file, what to show under it (a short caption and a tooltip), the
 * class and split used by filters, and the decoded thumbnail once a
 * DgThumbGrid has loaded it (property "texture", NULL until then). */
#pragma once
#include <gdk/gdk.h>

G_BEGIN_DECLS

#define DG_TYPE_THUMB_ITEM (dg_thumb_item_get_type())
G_DECLARE_FINAL_TYPE(DgThumbItem, dg_thumb_item, DG, THUMB_ITEM, GObject)

DgThumbItem *dg_thumb_item_new(const char *path, const char *caption, const char *tooltip,
                               int cls, int split);
const char *dg_thumb_item_get_path(DgThumbItem *self);
const char *dg_thumb_item_get_caption(DgThumbItem *self);
const char *dg_thumb_item_get_tooltip(DgThumbItem *self);
int dg_thumb_item_get_class(DgThumbItem *self);
int dg_thumb_item_get_split(DgThumbItem *self);
GdkTexture *dg_thumb_item_get_texture(DgThumbItem *self);
void dg_thumb_item_set_texture(DgThumbItem *self, GdkTexture *texture);
/* Decoding failed: the reason, shown instead of the picture. */
const char *dg_thumb_item_get_error(DgThumbItem *self);
void dg_thumb_item_set_error(DgThumbItem *self, const char *error);

G_END_DECLS

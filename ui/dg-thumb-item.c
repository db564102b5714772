/* dg-thumb-item.c: one image of a thumbnail grid. */
#include "dg-thumb-item.h"

struct _DgThumbItem {
    GObject parent_instance;
    char *path, *caption, *tooltip, *error;
    int cls, split;
    GdkTexture *texture;
};

G_DEFINE_FINAL_TYPE(DgThumbItem, dg_thumb_item, G_TYPE_OBJECT)

enum { PROP_0, PROP_TEXTURE, N_PROPS };
static GParamSpec *props[N_PROPS];

static void dg_thumb_item_finalize(GObject *object)
{
    DgThumbItem *self = DG_THUMB_ITEM(object);
    g_free(self->path);
    g_free(self->caption);
    g_free(self->tooltip);
    g_free(self->error);
    g_clear_object(&self->texture);
    G_OBJECT_CLASS(dg_thumb_item_parent_class)->finalize(object);
}

static void dg_thumb_item_get_property(GObject *object, guint id, GValue *value,
                                       GParamSpec *pspec)
{
    DgThumbItem *self = DG_THUMB_ITEM(object);
    switch (id) {
    case PROP_TEXTURE:
        g_value_set_object(value, self->texture);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void dg_thumb_item_class_init(DgThumbItemClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->finalize = dg_thumb_item_finalize;
    oc->get_property = dg_thumb_item_get_property;
    props[PROP_TEXTURE] = g_param_spec_object("texture", NULL, NULL, GDK_TYPE_TEXTURE,
                                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                                  G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
}

static void dg_thumb_item_init(DgThumbItem *self)
{
    (void)self;
}

DgThumbItem *dg_thumb_item_new(const char *path, const char *caption, const char *tooltip,
                               int cls, int split)
{
    DgThumbItem *self = g_object_new(DG_TYPE_THUMB_ITEM, NULL);
    self->path = g_strdup(path);
    self->caption = g_strdup(caption);
    self->tooltip = g_strdup(tooltip);
    self->cls = cls;
    self->split = split;
    return self;
}

const char *dg_thumb_item_get_path(DgThumbItem *self)
{
    g_return_val_if_fail(DG_IS_THUMB_ITEM(self), NULL);
    return self->path;
}

const char *dg_thumb_item_get_caption(DgThumbItem *self)
{
    g_return_val_if_fail(DG_IS_THUMB_ITEM(self), NULL);
    return self->caption;
}

const char *dg_thumb_item_get_tooltip(DgThumbItem *self)
{
    g_return_val_if_fail(DG_IS_THUMB_ITEM(self), NULL);
    return self->tooltip;
}

int dg_thumb_item_get_class(DgThumbItem *self)
{
    g_return_val_if_fail(DG_IS_THUMB_ITEM(self), -1);
    return self->cls;
}

int dg_thumb_item_get_split(DgThumbItem *self)
{
    g_return_val_if_fail(DG_IS_THUMB_ITEM(self), -1);
    return self->split;
}

GdkTexture *dg_thumb_item_get_texture(DgThumbItem *self)
{
    g_return_val_if_fail(DG_IS_THUMB_ITEM(self), NULL);
    return self->texture;
}

void dg_thumb_item_set_texture(DgThumbItem *self, GdkTexture *texture)
{
    g_return_if_fail(DG_IS_THUMB_ITEM(self));
    if (g_set_object(&self->texture, texture))
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_TEXTURE]);
}

const char *dg_thumb_item_get_error(DgThumbItem *self)
{
    g_return_val_if_fail(DG_IS_THUMB_ITEM(self), NULL);
    return self->error;
}

void dg_thumb_item_set_error(DgThumbItem *self, const char *error)
{
    g_return_if_fail(DG_IS_THUMB_ITEM(self));
    g_free(self->error);
    self->error = g_strdup(error);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_TEXTURE]);
}

/* dg-preferences-window.h: preferences bound to GSettings: colour scheme,
 * training threads, and the image size the Dataset view prepares. */
#pragma once
#include <adwaita.h>

G_BEGIN_DECLS

#define DG_TYPE_PREFERENCES_WINDOW (dg_preferences_window_get_type())
G_DECLARE_FINAL_TYPE(DgPreferencesWindow, dg_preferences_window, DG, PREFERENCES_WINDOW,
                     AdwPreferencesWindow)

GtkWidget *dg_preferences_window_new(GtkWindow *parent, GSettings *settings);

G_END_DECLS

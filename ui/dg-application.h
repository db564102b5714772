/* dg-application.h: the DermaGAN GtkApplication (org.dermagan.DermaGAN).
 *
 * Owns the settings (the installed schema, or the one compiled into the build
 * folder when running uninstalled), the colour scheme, application actions
 * (preferences, shortcuts, about, quit) and their accelerators, and the CSS.
 * Activation opens a window on the last data set or the bundled sample;
 * files given on the command line open as a data set (a folder) or in
 * Diagnose (an image).  On a machine without a GPU (no /dev/dri render node)
 * dg_application_new selects GTK's cairo renderer, unless GSK_RENDERER says
 * otherwise: software GL would repaint the whole window every frame. */
#pragma once
#include <adwaita.h>

G_BEGIN_DECLS

#define DG_APPLICATION_ID "org.dermagan.DermaGAN"

#define DG_TYPE_APPLICATION (dg_application_get_type())
G_DECLARE_FINAL_TYPE(DgApplication, dg_application, DG, APPLICATION, AdwApplication)

DgApplication *dg_application_new(GApplicationFlags extra_flags);
/* The settings, or NULL (with a message printed) when the schema cannot be found. */
GSettings *dg_application_get_settings(DgApplication *self);
/* A new settings object for the schema (installed or build folder), or NULL. */
GSettings *dg_application_settings_new(void);

G_END_DECLS

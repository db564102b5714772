/* dg-ui-util.h: small helpers shared by the views (no GObject type here). */
#pragma once
#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* "45 s", "3 min 20 s", "1 h 05 min"; "–" for a negative or unknown time. */
char *dg_ui_format_duration(double seconds);
/* n in digits, with a thin space between groups of three from 10 000 up. */
char *dg_ui_format_count(gint64 n);

/* The display name of a class id ("Melanoma" for "mel"). */
const char *dg_ui_class_name(const char *id);

typedef void (*dg_ui_file_fn)(GFile *file, gpointer user);
/* A GtkFileChooserNative; fn is called with the chosen file (never on cancel).
 * action: OPEN or SELECT_FOLDER (or SAVE).  filter may be NULL.  owner is a
 * GObject (usually the calling widget), passed to fn as user; it is kept
 * alive while the dialog is open and released when it answers, accepted or
 * cancelled. */
void dg_ui_choose(GtkWidget *parent, GtkFileChooserAction action, const char *title,
                  const char *accept, GtkFileFilter *filter, dg_ui_file_fn fn, gpointer owner);
/* The same, opening in folder (when it exists) instead of the chooser's last place. */
void dg_ui_choose_in(GtkWidget *parent, GtkFileChooserAction action, const char *title,
                     const char *accept, GtkFileFilter *filter, const char *folder,
                     dg_ui_file_fn fn, gpointer owner);
/* A save dialog proposing name (in folder when it exists, else the chooser's
 * last place); fn gets the file chosen; owner as for dg_ui_choose. */
void dg_ui_save(GtkWidget *parent, const char *title, const char *name, const char *folder,
                dg_ui_file_fn fn, gpointer owner);
/* The same with any user data: destroy(user) (may be NULL) runs once the
 * dialog answered, accepted or not. */
void dg_ui_save_full(GtkWidget *parent, const char *title, const char *name, const char *folder,
                     dg_ui_file_fn fn, gpointer user, GDestroyNotify destroy);
/* Filters: images the data sets and Diagnose read; model files. */
GtkFileFilter *dg_ui_image_filter(void);
GtkFileFilter *dg_ui_model_filter(void);

/* A JSON number member as a double (NAN when absent, null or not a number). */
double dg_ui_json_double(JsonObject *o, const char *member);

/* Removes every child of a GtkGrid / GtkBox / GtkListBox / GtkFlowBox. */
void dg_ui_clear_children(GtkWidget *container);
/* Unparents every child of a widget (its dispose, after the template's). */
void dg_ui_unparent_children(GtkWidget *widget);
/* A label for table cells: xalign 0 (text) or 1 (numbers), optional CSS classes. */
GtkWidget *dg_ui_cell(const char *text, gboolean numeric, const char *css_class);

/* A Grad-CAM map (side x side grey RGB bytes, R = G = B = 255 * value, as
 * the predict job sends it) as a texture to lay over the photo: coloured on a
 * perceptual ramp, transparent where the model did not look, smoothly scaled
 * up to 256 x 256. */
GdkTexture *dg_ui_cam_texture(const guint8 *grey, int side);

/* Measured training speeds, kept in GSettings (a{sd} keys "gan-speed" and
 * "cnn-speed", per preset or architecture): images per second, or 0 when
 * none was measured on this computer yet. */
double dg_ui_get_speed(GSettings *settings, const char *key, const char *name);
void dg_ui_set_speed(GSettings *settings, const char *key, const char *name, double images_per_s);

/* Training speed from a job's own clock (DgEventCopy.elapsed, which leaves
 * paused time out), over the last minute of running: a pause neither shows
 * a speed nor distorts the one after it. */
#define DG_UI_RATE_SAMPLES 64
typedef struct {
    double t[DG_UI_RATE_SAMPLES];
    gint64 step[DG_UI_RATE_SAMPLES];
    int n, head;
} dg_ui_rate;
void dg_ui_rate_reset(dg_ui_rate *r);
void dg_ui_rate_add(dg_ui_rate *r, double elapsed, gint64 step);
/* Steps per second, or 0 while unknown. */
double dg_ui_rate_steps_per_s(const dg_ui_rate *r);

G_END_DECLS

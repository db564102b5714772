/* ui-test-util.h: running GTK code in tests and benchmarks: a private X
 * server, waiting on the main loop, rendering widgets to PNG. */
#pragma once
#include <gtk/gtk.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dg-application.h"

/* Without a display, run this program again under `xvfb-run -a
 * dbus-run-session --` (a private X server and session bus, as CI has).
 * Returns FALSE when that is impossible (no xvfb-run): the caller skips. */
G_GNUC_UNUSED static gboolean ut_ensure_display(int argc, char **argv)
{
    (void)argc;
    if (g_getenv("DISPLAY") || g_getenv("WAYLAND_DISPLAY"))
        return TRUE;
    if (g_getenv("DG_UI_REEXEC"))
        return FALSE; /* already tried */
    g_autofree char *xvfb = g_find_program_in_path("xvfb-run");
    g_autofree char *dbus = g_find_program_in_path("dbus-run-session");
    if (!xvfb || !dbus)
        return FALSE;
    g_setenv("DG_UI_REEXEC", "1", TRUE);
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, xvfb);
    g_ptr_array_add(args, "-a");
    g_ptr_array_add(args, "-s");
    g_ptr_array_add(args, "-screen 0 1600x1100x24");
    g_ptr_array_add(args, dbus);
    g_ptr_array_add(args, "--");
    for (int i = 0; argv[i]; i++)
        g_ptr_array_add(args, argv[i]);
    g_ptr_array_add(args, NULL);
    fflush(stdout);
    execv(xvfb, (char **)args->pdata);
    return FALSE; /* exec failed */
}

/* Environment for a GTK test: no accessibility bus, memory settings, and
 * private XDG folders under tmp (so the cache and run folders stay there). */
G_GNUC_UNUSED static void ut_private_env(const char *tmp)
{
    g_setenv("GTK_A11Y", "none", TRUE);
    g_setenv("NO_AT_BRIDGE", "1", TRUE);
    g_setenv("GSETTINGS_BACKEND", "memory", TRUE);
    const char *vars[] = {"XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"};
    const char *sub[] = {"xdg-data", "xdg-cache", "xdg-config"};
    for (int i = 0; i < 3; i++) {
        g_autofree char *p = g_build_filename(tmp, sub[i], NULL);
        g_mkdir_with_parents(p, 0700);
        g_setenv(vars[i], p, TRUE);
    }
}

typedef gboolean (*ut_cond_fn)(gpointer data);

static gboolean ut_timeout_cb(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Runs the main loop until cond(data) or seconds pass; returns cond's last value. */
G_GNUC_UNUSED static gboolean ut_wait(ut_cond_fn cond, gpointer data, double seconds)
{
    gboolean timed_out = FALSE;
    guint id = g_timeout_add((guint)(seconds * 1000), ut_timeout_cb, &timed_out);
    while (!cond(data) && !timed_out)
        g_main_context_iteration(NULL, TRUE);
    if (!timed_out)
        g_source_remove(id);
    return cond(data);
}

static gboolean ut_tick_cb(GtkWidget *w, GdkFrameClock *clock, gpointer data)
{
    (void)w, (void)clock;
    (*(int *)data)++;
    return G_SOURCE_CONTINUE;
}

static gboolean ut_frames_done(gpointer data)
{
    return ((int *)data)[0] >= ((int *)data)[1];
}

/* Lets the widget's frame clock run n frames (layout and paint settle). */
G_GNUC_UNUSED static void ut_frames(GtkWidget *widget, int n)
{
    int state[2] = {0, n};
    guint id = gtk_widget_add_tick_callback(widget, ut_tick_cb, state, NULL);
    ut_wait(ut_frames_done, state, 10);
    gtk_widget_remove_tick_callback(widget, id);
}

/* Spins the main loop for a while. */
G_GNUC_UNUSED static void ut_spin(double seconds)
{
    gboolean done = FALSE;
    g_timeout_add((guint)(seconds * 1000), ut_timeout_cb, &done);
    while (!done)
        g_main_context_iteration(NULL, TRUE);
}

/* The file chooser dialog on screen (a GtkFileChooserNative without a
 * portal shows one), or NULL; conditions for ut_wait. */
G_GNUC_UNUSED static GtkWindow *ut_find_chooser(void)
{
    GtkWindow *found = NULL;
    GList *tops = gtk_window_list_toplevels();
    for (GList *l = tops; l; l = l->next)
        if (GTK_IS_FILE_CHOOSER(l->data) && gtk_widget_get_visible(l->data))
            found = l->data;
    g_list_free(tops);
    return found;
}

G_GNUC_UNUSED static gboolean ut_chooser_shown(gpointer p)
{
    (void)p;
    return ut_find_chooser() != NULL;
}

G_GNUC_UNUSED static gboolean ut_chooser_gone(gpointer p)
{
    (void)p;
    return ut_find_chooser() == NULL;
}

/* Renders a widget as it is on screen into a texture (NULL if it drew nothing). */
G_GNUC_UNUSED static GdkTexture *ut_render(GtkWidget *widget)
{
    int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
    if (w <= 0 || h <= 0)
        return NULL;
    GdkPaintable *p = gtk_widget_paintable_new(widget);
    GtkSnapshot *s = gtk_snapshot_new();
    gdk_paintable_snapshot(p, s, w, h);
    GskRenderNode *node = gtk_snapshot_free_to_node(s);
    g_object_unref(p);
    if (!node)
        return NULL;
    GskRenderer *r = gtk_native_get_renderer(gtk_widget_get_native(widget));
    GdkTexture *t = gsk_renderer_render_texture(r, node, &GRAPHENE_RECT_INIT(0, 0, w, h));
    gsk_render_node_unref(node);
    return t;
}

G_GNUC_UNUSED static gboolean ut_render_png(GtkWidget *widget, const char *path)
{
    GdkTexture *t = ut_render(widget);
    if (!t)
        return FALSE;
    gboolean ok = gdk_texture_save_to_png(t, path);
    g_object_unref(t);
    return ok;
}

/* A texture's pixels (g_free), for comparing two renderings. */
G_GNUC_UNUSED static guint8 *ut_texture_bytes(GdkTexture *t, gsize *len)
{
    int w = gdk_texture_get_width(t), h = gdk_texture_get_height(t);
    *len = (gsize)w * h * 4;
    guint8 *b = g_malloc(*len);
    gdk_texture_download(t, b, (gsize)w * 4);
    return b;
}

/* jobs-test-util.h: tiny generated data sets and job runners for job tests. */
#pragma once
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "jobs/dg-job.h"
#include "models/dg-safetensors.h"
#include "numerics/dg-rng.h"

G_GNUC_UNUSED static void jt_rm_rf(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *n;
        while ((n = g_dir_read_name(d))) {
            char *p = g_build_filename(path, n, NULL);
            if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                jt_rm_rf(p);
            else
                g_unlink(p);
            g_free(p);
        }
        g_dir_close(d);
    }
    g_rmdir(path);
}

/* root/<class>/img-NN.png: n_classes folders of n images (size x size),
 * each class a different base colour with per-pixel noise and a darker
 * blob, so that there is something to learn. */
G_GNUC_UNUSED static char *jt_make_imagefolder(const char *parent, int n_classes, int n, int size)
{
    static const guint8 base[6][3] = {{200, 120, 110}, {110, 160, 200}, {150, 190, 120},
                                      {200, 180, 90},  {170, 110, 190}, {120, 120, 120}};
    static const char *names[6] = {"akiec", "bcc", "bkl", "mel", "nv", "df"};
    char *root = g_build_filename(parent, "data", NULL);
    dg_rng r;
    dg_rng_seed(&r, 77);
    for (int c = 0; c < n_classes; c++) {
        char *dir = g_build_filename(root, names[c], NULL);
        g_mkdir_with_parents(dir, 0755);
        for (int i = 0; i < n; i++) {
            GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, size, size);
            guint8 *px = gdk_pixbuf_get_pixels(pb);
            int rs = gdk_pixbuf_get_rowstride(pb);
            int cx = size / 4 + (int)dg_rng_below(&r, size / 2), cy = size / 4 + (int)dg_rng_below(&r, size / 2);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++) {
                    int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                    float dark = d2 < size * size / 25 ? 0.5f : 1.0f;
                    for (int k = 0; k < 3; k++) {
                        int v = (int)(base[c][k] * dark + 20 * dg_rng_normal(&r));
                        px[y * rs + 3 * x + k] = (guint8)CLAMP(v, 0, 255);
                    }
                }
            char *name = g_strdup_printf("img-%02d.png", i);
            char *p = g_build_filename(dir, name, NULL);
            g_assert_true(gdk_pixbuf_save(pb, p, "png", NULL, NULL));
            g_object_unref(pb);
            g_free(name), g_free(p);
        }
        g_free(dir);
    }
    return root;
}

/* Collects events of a job run on the calling thread. */
typedef struct {
    GArray *steps;  /* int64 step of each PROGRESS */
    GArray *totals; /* and its int64 total */
    GArray *values; /* doubles: the first 4 values of each PROGRESS */
    int images, results, warnings;
    int cancel_at;  /* cancel when this step is reached (0: never) */
    dg_job *job;
    int last_image_w, last_image_h;
    char *result_json;
    GPtrArray *messages; /* every MESSAGE, as "level: text" */
} jt_sink;

G_GNUC_UNUSED static void jt_on_event(const dg_event *ev, void *user)
{
    jt_sink *s = user;
    if (ev->kind == DG_EVENT_PROGRESS) {
        g_array_append_val(s->steps, ev->step);
        g_array_append_val(s->totals, ev->total);
        for (int i = 0; i < 4; i++) {
            double v = i < ev->n_values ? ev->values[i] : 0.0;
            g_array_append_val(s->values, v);
        }
        if (s->cancel_at > 0 && ev->step >= s->cancel_at)
            dg_job_cancel(s->job);
    } else if (ev->kind == DG_EVENT_IMAGE) {
        s->images++;
        s->last_image_w = ev->width;
        s->last_image_h = ev->height;
        g_assert_nonnull(ev->rgb);
    } else if (ev->kind == DG_EVENT_RESULT) {
        s->results++;
        g_free(s->result_json);
        s->result_json = g_strdup(ev->json);
    } else if (ev->kind == DG_EVENT_MESSAGE) {
        s->warnings += g_strcmp0(ev->level, "warning") == 0;
        g_ptr_array_add(s->messages, g_strdup_printf("%s: %s", ev->level ? ev->level : "info",
                                                     ev->message ? ev->message : ""));
    }
}

G_GNUC_UNUSED static void jt_sink_init(jt_sink *s)
{
    memset(s, 0, sizeof *s);
    s->steps = g_array_new(FALSE, FALSE, sizeof(gint64));
    s->totals = g_array_new(FALSE, FALSE, sizeof(gint64));
    s->values = g_array_new(FALSE, FALSE, sizeof(double));
    s->messages = g_ptr_array_new_with_free_func(g_free);
}

/* Whether the job said something holding part (at level, e.g. "warning";
 * NULL: at any level). */
G_GNUC_UNUSED static gboolean jt_said(const jt_sink *s, const char *level, const char *part)
{
    g_autofree char *head = level ? g_strdup_printf("%s: ", level) : NULL;
    for (guint i = 0; i < s->messages->len; i++) {
        const char *m = g_ptr_array_index(s->messages, i);
        if ((!head || g_str_has_prefix(m, head)) && strstr(m, part))
            return TRUE;
    }
    return FALSE;
}

G_GNUC_UNUSED static void jt_sink_clear(jt_sink *s)
{
    g_array_free(s->steps, TRUE);
    g_array_free(s->totals, TRUE);
    g_array_free(s->values, TRUE);
    g_ptr_array_unref(s->messages);
    g_free(s->result_json);
}

/* Runs a job to the end on this thread; returns its final state. */
G_GNUC_UNUSED static dg_job_state jt_run(const dg_job_kind *kind, void *config, jt_sink *sink,
                                         GError **error)
{
    dg_job *job = dg_job_new(kind, config, jt_on_event, sink);
    sink->job = job;
    dg_job_state st = dg_job_run(job, error);
    dg_job_free(job);
    return st;
}

/* Runs a job that must succeed, its events discarded. */
G_GNUC_UNUSED static void jt_must_succeed(const dg_job_kind *kind, void *config)
{
    jt_sink s;
    jt_sink_init(&s);
    GError *error = NULL;
    dg_job_state st = jt_run(kind, config, &s, &error);
    g_assert_no_error(error);
    g_assert_cmpint(st, ==, DG_JOB_SUCCEEDED);
    jt_sink_clear(&s);
}

/* Rewrites a safetensors file (a checkpoint or a model) as a hostile or
 * broken writer might: edit() sees every tensor's bytes (a writable copy)
 * and may change them; metadata key meta_key gets meta_value (NULL:
 * removed); the rest is copied as it was. */
typedef void (*jt_st_edit)(const char *name, dg_st_dtype dtype, void *data, int64_t numel,
                           void *user);

G_GNUC_UNUSED static void jt_st_rewrite(const char *path, jt_st_edit edit, void *user,
                                        const char *meta_key, const char *meta_value)
{
    GError *error = NULL;
    dg_st *st = dg_st_load(path, &error);
    g_assert_no_error(error);
    dg_st_writer *w = dg_st_writer_new();
    GPtrArray *copies = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < dg_st_n_tensors(st); i++) {
        const dg_st_tensor *t = dg_st_tensor_at(st, i);
        void *copy = g_malloc(t->nbytes ? t->nbytes : 1);
        if (t->nbytes)
            memcpy(copy, t->data, t->nbytes);
        g_ptr_array_add(copies, copy);
        if (edit)
            edit(t->name, t->dtype, copy, t->numel, user);
        dg_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, copy);
    }
    for (const char *const *k = dg_st_metadata_keys(st); k && *k; k++)
        if (!meta_key || strcmp(*k, meta_key) != 0)
            dg_st_writer_set_metadata(w, *k, dg_st_metadata(st, *k));
    if (meta_key && meta_value)
        dg_st_writer_set_metadata(w, meta_key, meta_value);
    g_assert_true(dg_st_writer_save(w, path, &error));
    g_assert_no_error(error);
    dg_st_writer_free(w);
    g_ptr_array_unref(copies);
    dg_st_free(st);
}

/* An edit for jt_st_rewrite: the first weight of every F32 tensor whose
 * name ends with the suffix in user set to 3e38 (finite in the file; the
 * outputs of the first forward pass overflow to NaN). */
G_GNUC_UNUSED static void jt_edit_huge_first(const char *name, dg_st_dtype dtype, void *data,
                                             int64_t numel, void *user)
{
    if (dtype == DG_ST_F32 && g_str_has_suffix(name, (const char *)user) && numel > 0)
        ((float *)data)[0] = 3e38f;
}

/* An edit for jt_st_rewrite: every F32 tensor whose name starts with the
 * prefix in user (and is not an optimizer moment) set to +-3e38: finite in
 * the file, overflowing in the first forward pass. */
G_GNUC_UNUSED static void jt_edit_overflow(const char *name, dg_st_dtype dtype, void *data,
                                           int64_t numel, void *user)
{
    if (dtype != DG_ST_F32 || !g_str_has_prefix(name, (const char *)user) || strstr(name, "adam_") ||
        strstr(name, "running_") || strstr(name, "sn_u"))
        return;
    float *x = data;
    for (int64_t i = 0; i < numel; i++)
        x[i] = (i & 1) ? -3e38f : 3e38f;
}

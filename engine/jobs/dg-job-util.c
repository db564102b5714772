#include "dg-job-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/dg-file.h"
#include "jobs/dg-limits.h"
#include "models/dg-model-file.h"

typedef struct {
    dg_job *job;
    gint64 last;
} load_progress;

static void on_load_progress(double fraction, const char *what, void *user)
{
    load_progress *lp = user;
    gint64 now = g_get_monotonic_time();
    if (fraction < 1.0 && now - lp->last < 500000)
        return; /* at most two messages a second */
    lp->last = now;
    dg_event ev = {.kind = DG_EVENT_MESSAGE, .level = "info", .eta = -1};
    char *msg = g_strdup_printf("loading data set: %s (%.0f%%)", what ? what : "", 100 * fraction);
    ev.message = msg;
    dg_job_emit(lp->job, &ev);
    g_free(msg);
}

dg_dataset *dg_job_load_dataset(dg_job *job, const char *path, gboolean all_classes, int size,
                                const char *cache_dir, uint64_t split_seed, GError **error)
{
    return dg_job_load_dataset_ex(job, path, all_classes, FALSE, size, cache_dir, split_seed, error);
}

dg_dataset *dg_job_load_dataset_ex(dg_job *job, const char *path, gboolean all_classes,
                                   gboolean follow_symlinks, int size, const char *cache_dir,
                                   uint64_t split_seed, GError **error)
{
    if (!path) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no data set given");
        return NULL;
    }
    dg_load_options opt;
    dg_load_options_init(&opt);
    opt.all_classes = all_classes;
    opt.follow_symlinks = follow_symlinks;
    opt.size = size;
    opt.cache_dir = cache_dir;
    load_progress lp = {job, 0};
    opt.progress = on_load_progress;
    opt.progress_user = &lp;
    opt.cancel = dg_job_cancel_flag(job);
    dg_dataset *ds = dg_dataset_load(path, &opt, error);
    if (!ds)
        return NULL;
    char *skipped = dg_dataset_skip_summary(ds);
    int files = 0, rows = 0;
    dg_dataset_skip_counts(ds, &files, &rows);
    if (skipped) /* a warning for what could not be read; rows of other classes are news */
        dg_job_message(job, files + rows > 0 ? "warning" : "info", "%s", skipped);
    g_free(skipped);
    if (!dg_dataset_split(ds, split_seed, DG_SPLIT_TRAIN_FRACTION, DG_SPLIT_VAL_FRACTION, error)) {
        dg_dataset_free(ds);
        return NULL;
    }
    dg_job_message(job, "info", "data set: %d images in %d classes (%s), %d for training",
                   ds->n_items, ds->n_classes, dg_layout_name(ds->layout),
                   dg_dataset_indices(ds, DG_SPLIT_TRAIN, -1, NULL));
    return ds;
}

char *dg_find_resource(const char *relpath)
{
    const char *env = g_getenv("DERMAGAN_DATA_DIR");
    const char *dirs[] = {env, DG_DATADIR, DG_SOURCE_RESOURCES};
    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
        if (!dirs[i] || !*dirs[i])
            continue;
        char *p = g_build_filename(dirs[i], relpath, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
            return p;
        g_free(p);
    }
    return NULL;
}

void dg_images_to_rgb(const float *chw, int n, int size, uint8_t *rgb)
{
    const long hw = (long)size * size;
    for (int i = 0; i < n; i++) {
        const float *x = chw + i * 3 * hw;
        uint8_t *o = rgb + i * 3 * hw;
        for (long p = 0; p < hw; p++)
            for (int c = 0; c < 3; c++) {
                float v = (x[c * hw + p] + 1.0f) * 127.5f;
                v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
                o[3 * p + c] = (uint8_t)(v + 0.5f);
            }
    }
}

gboolean dg_write_png(const char *path, const uint8_t *rgb, int width, int height, GError **error)
{
    GdkPixbuf *pb = gdk_pixbuf_new_from_data(rgb, GDK_COLORSPACE_RGB, FALSE, 8, width, height,
                                             width * 3, NULL, NULL);
    gchar *buf = NULL;
    gsize len = 0;
    gboolean ok = gdk_pixbuf_save_to_buffer(pb, &buf, &len, "png", error, NULL);
    g_object_unref(pb);
    if (ok)
        ok = dg_file_write_atomic(path, buf, len, FALSE, error);
    g_free(buf);
    return ok;
}

gboolean dg_write_text(const char *path, const char *text, GError **error)
{
    return dg_file_write_atomic(path, text, strlen(text), TRUE, error);
}

gboolean dg_job_check_output(const char *opt, const char *path, const char *const *exts,
                             GError **error)
{
    const char *dot = strrchr(path, '.');
    gboolean known = exts == NULL;
    for (int i = 0; exts && exts[i] && !known; i++)
        known = dot && g_ascii_strcasecmp(dot, exts[i]) == 0;
    if (!known) {
        g_autofree char *disp = dg_file_display_name(path);
        GString *names = g_string_new(NULL);
        for (int i = 0; exts[i]; i++)
            g_string_append_printf(names, "%s%s", i == 0 ? "" : exts[i + 1] ? ", " : " or ",
                                   exts[i]);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "--%s %s: use a %s name", opt, disp,
                    names->str);
        g_string_free(names, TRUE);
        return FALSE;
    }
    return dg_file_check_writable(path, error);
}

gboolean dg_job_check_not_input(const char *opt, const char *path, const char *input,
                                const char *what, GError **error)
{
    if (!dg_file_same(path, input))
        return TRUE;
    g_autofree char *disp = dg_file_display_name(path), *in = dg_file_display_name(input);
    g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                "--%s %s is %s %s: it would be overwritten; choose another name", opt, disp, what,
                in);
    return FALSE;
}

/* Where path is (there or not yet): the real path of its deepest existing
 * ancestor, and the rest of it.  The path is not canonicalized first: a
 * ".." after a symlink is the kernel's (link/../x is beside the link's
 * target), so realpath resolves every part that exists and only the
 * missing rest, where no symlink can be, is taken by its text.  g_free. */
static char *real_location(const char *path)
{
    char *cwd = g_get_current_dir(), *real;
    char *cur = g_path_is_absolute(path) ? g_strdup(path) : g_build_filename(cwd, path, NULL);
    g_free(cwd);
    GString *rest = g_string_new(NULL);
    while (!(real = realpath(cur, NULL))) {
        char *dir = g_path_get_dirname(cur), *base = g_path_get_basename(cur);
        if (rest->len)
            g_string_prepend_c(rest, G_DIR_SEPARATOR);
        g_string_prepend(rest, base);
        g_free(base), g_free(cur);
        cur = dir; /* ("/" always resolves) */
    }
    char *loc = g_canonicalize_filename(rest->len ? rest->str : ".", real);
    free(real);
    g_free(cur);
    g_string_free(rest, TRUE);
    return loc;
}

/* Whether the real path loc is folder (a real path) or inside it. */
static gboolean within(const char *loc, const char *folder)
{
    const size_t n = strlen(folder);
    return strcmp(folder, "/") == 0 ||
           (strncmp(loc, folder, n) == 0 && (loc[n] == '/' || loc[n] == '\0'));
}

gboolean dg_job_check_outside_data(const char *opt, const char *path, const char *data,
                                   const char *except, GError **error)
{
    if (!path || !*path || !data || (except && dg_file_same(path, except)))
        return TRUE;
    char *root = realpath(data, NULL);
    if (!root) /* (no such data set: the load says so) */
        return TRUE;
    char *loc = real_location(path);
    gboolean inside = within(loc, root);
    free(root);
    /* and the folders its symlinks lead to (class folders elsewhere, read
     * with --follow-symlinks) */
    GDir *dir = inside ? NULL : g_dir_open(data, 0, NULL);
    const char *name;
    while (dir && !inside && (name = g_dir_read_name(dir))) {
        g_autofree char *p = g_build_filename(data, name, NULL);
        char *target = g_file_test(p, G_FILE_TEST_IS_SYMLINK) &&
                               g_file_test(p, G_FILE_TEST_IS_DIR)
                           ? realpath(p, NULL)
                           : NULL;
        inside = target && within(loc, target);
        free(target);
    }
    if (dir)
        g_dir_close(dir);
    g_free(loc);
    if (!inside)
        return TRUE;
    g_autofree char *disp = dg_file_display_name(path), *ddisp = dg_file_display_name(data);
    g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                "--%s %s is inside the data set %s: its files are this job's inputs, and what is "
                "written there becomes part of it; choose a place outside",
                opt, disp, ddisp);
    return FALSE;
}

gboolean dg_job_check_not_run_output(const char *opt, const char *input, const char *run_dir,
                                     const char *const *names, GError **error)
{
    for (int i = 0; input && run_dir && *run_dir && names[i]; i++) {
        g_autofree char *p = g_build_filename(run_dir, names[i], NULL);
        if (dg_file_same(input, p)) {
            g_autofree char *disp = dg_file_display_name(input);
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "--%s %s is the run's own %s, which the run overwrites: copy it "
                        "elsewhere first, or choose another --out",
                        opt, disp, names[i]);
            return FALSE;
        }
    }
    return TRUE;
}

void dg_rate_init(dg_rate *r)
{
    r->avg = 0.0;
    r->last_us = g_get_monotonic_time();
}

double dg_rate_tick(dg_rate *r)
{
    gint64 now = g_get_monotonic_time();
    double dt = (now - r->last_us) / 1e6;
    r->last_us = now;
    r->avg = r->avg == 0.0 ? dt : 0.9 * r->avg + 0.1 * dt;
    return r->avg;
}

void dg_job_emit_result(dg_job *job, JsonObject *result)
{
    JsonNode *root = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(root, result);
    char *json = json_to_string(root, FALSE);
    json_node_unref(root);
    dg_event ev = {.kind = DG_EVENT_RESULT, .eta = -1, .json = json};
    dg_job_emit(job, &ev);
    g_free(json);
}

/* ---- sub-jobs ---------------------------------------------------------------------- */

typedef struct {
    dg_job *parent, *child;
    char *result;
    int part, n_parts; /* n_parts > 0: progress is rescaled to the whole; < 0: dropped */
} child_relay;

static void relay_event(const dg_event *ev, void *user)
{
    child_relay *r = user;
    switch (ev->kind) {
    case DG_EVENT_RESULT:
        g_free(r->result);
        r->result = g_strdup(ev->json);
        return;
    case DG_EVENT_STARTED:
    case DG_EVENT_FINISHED:
        return;
    default:
        break;
    }
    if (ev->kind == DG_EVENT_PROGRESS && r->n_parts < 0) {
        /* progress not passed on; the parent's pause and cancel still apply */
        if (!dg_job_continue(r->parent))
            dg_job_cancel(r->child);
        return;
    }
    dg_event copy = *ev;
    if (ev->kind == DG_EVENT_PROGRESS && r->n_parts > 0 && ev->total > 0) {
        /* the child's progress as a share of the parent's: part i of n */
        copy.step = r->part * ev->total + ev->step;
        copy.total = (int64_t)r->n_parts * ev->total;
        if (ev->eta >= 0 && ev->step < ev->total)
            copy.eta = ev->eta / (double)(ev->total - ev->step) * (double)(copy.total - copy.step);
        dg_event_set(&copy, "run", r->part + 1);
        dg_event_set(&copy, "runs", r->n_parts);
    }
    dg_job_emit(r->parent, &copy);
    /* the parent's pause blocks here; its cancel stops the child at its next check */
    if (ev->kind == DG_EVENT_PROGRESS && !dg_job_continue(r->parent))
        dg_job_cancel(r->child);
    else if (dg_job_cancel_requested(r->parent))
        dg_job_cancel(r->child);
}

dg_job_state dg_job_run_child(dg_job *parent, const dg_job_kind *kind, void *config,
                              char **result_json, GError **error)
{
    return dg_job_run_child_part(parent, kind, config, 0, 0, result_json, error);
}

dg_job_state dg_job_run_child_part(dg_job *parent, const dg_job_kind *kind, void *config, int part,
                                   int n_parts, char **result_json, GError **error)
{
    child_relay r = {parent, NULL, NULL, part, n_parts};
    dg_job *child = dg_job_new(kind, config, relay_event, &r);
    r.child = child;
    dg_job_state st = dg_job_run(child, error);
    if (st == DG_JOB_SUCCEEDED && dg_job_cancel_requested(parent))
        st = DG_JOB_CANCELLED;
    dg_job_free(child);
    if (result_json)
        *result_json = r.result;
    else
        g_free(r.result);
    return st;
}

void dg_remove_tree(const char *path)
{
    GDir *d = g_file_test(path, G_FILE_TEST_IS_SYMLINK) ? NULL : g_dir_open(path, 0, NULL);
    if (d) {
        const char *n;
        while ((n = g_dir_read_name(d))) {
            char *p = g_build_filename(path, n, NULL);
            if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                dg_remove_tree(p);
            else
                g_unlink(p);
            g_free(p);
        }
        g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

gboolean dg_job_check_int(const char *name, gint64 v, gint64 lo, gint64 hi, gboolean allow_zero,
                          GError **error)
{
    if ((allow_zero && v == 0) || (v >= lo && v <= hi))
        return TRUE;
    g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                "%s: %" G_GINT64_FORMAT " is out of range (%" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                "%s)",
                name, v, lo, hi, allow_zero ? ", or 0 for the default" : "");
    return FALSE;
}

gboolean dg_job_check_double(const char *name, double v, double lo, double hi,
                             gboolean allow_zero, GError **error)
{
    if ((allow_zero && v == 0.0) || (isfinite(v) && v >= lo && v <= hi))
        return TRUE;
    g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                "%s: %g is out of range (%g to %g%s)", name, v, lo, hi,
                allow_zero ? ", or 0 for the default" : "");
    return FALSE;
}

void dg_json_set_path(JsonObject *o, const char *member, const char *path)
{
    if (!path || g_utf8_validate(path, -1, NULL)) {
        json_object_set_string_member(o, member, path);
        return;
    }
    g_autofree char *disp = g_filename_display_name(path);
    json_object_set_string_member(o, member, disp);
}

void dg_json_set_path_uri(JsonObject *o, const char *member, const char *path)
{
    dg_json_set_path(o, member, path);
    if (!path || g_utf8_validate(path, -1, NULL))
        return;
    g_autofree char *abs = g_canonicalize_filename(path, NULL);
    g_autofree char *uri = g_filename_to_uri(abs, NULL, NULL);
    g_autofree char *key = g_strconcat(member, "_uri", NULL);
    if (uri)
        json_object_set_string_member(o, key, uri);
}

void dg_json_add_path(JsonBuilder *b, const char *path)
{
    if (!path || g_utf8_validate(path, -1, NULL)) {
        json_builder_add_string_value(b, path);
        return;
    }
    g_autofree char *disp = g_filename_display_name(path);
    json_builder_add_string_value(b, disp);
}

double dg_json_member_double(JsonObject *o, const char *k)
{
    JsonNode *n = o ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_double(n) : NAN;
}

gboolean dg_job_check_finite(const float *x, long n, const char *what, GError **error)
{
    for (long i = 0; i < n; i++)
        if (!isfinite(x[i])) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_NOT_FINITE,
                        "%s's output is not finite: a damaged model file?", what);
            return FALSE;
        }
    return TRUE;
}

gboolean dg_job_check_outputs(const float *probs, long n, GError **error)
{
    return dg_job_check_finite(probs, n, "the model", error);
}

/* ---- data-parallel runs ------------------------------------------------------------ */

gboolean dg_job_agree(dg_job *job, dg_dist *dist, gboolean ok, GError **error)
{
    if (dg_dist_agree(dist, ok, error))
        return TRUE;
    if (error && *error && g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        dg_job_cancel(job);
    return FALSE;
}

gboolean dg_job_continue_all(dg_job *job, dg_dist *dist)
{
    gboolean go = dg_job_continue(job);
    if (!dist)
        return go;
    if (dg_dist_any(dist, !go)) {
        if (go)
            dg_job_cancel(job); /* another rank was stopped: so is this one */
        return FALSE;
    }
    return TRUE;
}

dg_st *dg_job_read_checkpoint(dg_dist *dist, const char *path, GError **error)
{
    dg_st *st = dg_job_read_st(dist, path, error);
    /* (a file too large or not regular is no damaged checkpoint: said as it is) */
    if (!st && error && *error && (*error)->domain == DG_ST_ERROR &&
        (*error)->code != DG_ST_ERROR_TOO_LARGE)
        g_prefix_error(error, "cannot resume: the checkpoint is damaged (an interrupted copy, a "
                              "full disk?); start a new run in another folder, or put back a good "
                              "copy. ");
    return st;
}

dg_st *dg_job_read_st(dg_dist *dist, const char *path, GError **error)
{
    if (!dist)
        return dg_st_load(path, error);
    char *data = NULL;
    gsize len = 0;
    gint64 n = -1;
    GError *e = NULL;
    if (dg_dist_is_root(dist) && dg_file_read_regular(path, DG_ST_MAX_FILE_SIZE, &data, &len, &e))
        n = (gint64)len;
    dg_dist_broadcast(dist, &n, sizeof n);
    if (n < 0) {
        if (e)
            g_propagate_error(error, e);
        else {
            g_autofree char *disp = dg_file_display_name(path);
            g_set_error(error, DG_DIST_ERROR, DG_DIST_ERROR_PEER, "rank 0 could not read %s", disp);
        }
        return NULL;
    }
    if (!dg_dist_is_root(dist))
        data = g_malloc(n > 0 ? (gsize)n : 1);
    dg_dist_broadcast(dist, data, (size_t)n);
    GBytes *bytes = g_bytes_new_take(data, (gsize)n);
    dg_st *st = dg_st_parse(bytes, error);
    g_bytes_unref(bytes);
    if (!st) {
        char *display = dg_file_display_name(path);
        g_prefix_error(error, "%s: ", display);
        g_free(display);
    }
    return st;
}

void dg_job_skip_augment(const dg_augment *aug, dg_rng *rng, int n_images)
{
    for (long i = 0; aug && i < (long)n_images * DG_AUGMENT_DRAWS; i++)
        (void)dg_rng_u64(rng);
}

uint64_t dg_job_dataset_fingerprint(const dg_dataset *ds)
{
    uint64_t h = dg_dist_hash(0, &ds->n_items, sizeof ds->n_items);
    h = dg_dist_hash(h, &ds->size, sizeof ds->size);
    for (int k = 0; k < ds->n_classes; k++)
        h = dg_dist_hash(h, ds->classes[k].id, strlen(ds->classes[k].id) + 1);
    for (int i = 0; i < ds->n_items; i++) {
        int v[2] = {ds->items[i].cls, (int)ds->items[i].split};
        h = dg_dist_hash(h, v, sizeof v);
    }
    return dg_dist_hash(h, ds->pixels, (size_t)ds->n_items * 3 * ds->size * ds->size);
}

void dg_job_report_dist(dg_job *job, dg_dist *dist, JsonObject *result, double seconds)
{
    if (!dist)
        return;
    dg_dist_stats st;
    dg_dist_get_stats(dist, &st);
    const double sums = st.large_seconds + st.small_seconds;
    if (result) {
        JsonObject *o = json_object_new();
        json_object_set_int_member(o, "ranks", dg_dist_size(dist));
        json_object_set_double_member(o, "gradient_sum_seconds", st.large_seconds);
        json_object_set_int_member(o, "gradient_sums", st.large_calls);
        json_object_set_double_member(o, "gradient_bytes", st.large_bytes);
        json_object_set_double_member(o, "small_sum_seconds", st.small_seconds);
        json_object_set_int_member(o, "small_sums", st.small_calls);
        json_object_set_double_member(o, "sum_share", seconds > 0 ? sums / seconds : 0.0);
        json_object_set_object_member(result, "mpi", o);
    }
    dg_job_message(job, "info",
                   "%d ranks: %.1f s of %.1f s in sums (%.0f%%): %.1f s in %ld gradient sums "
                   "(%.1f MB/s), %.1f s in %ld sums of batch statistics and losses",
                   dg_dist_size(dist), sums, seconds, seconds > 0 ? 100 * sums / seconds : 0.0,
                   st.large_seconds, st.large_calls,
                   st.large_seconds > 0 ? st.large_bytes / st.large_seconds / 1e6 : 0.0,
                   st.small_seconds, st.small_calls);
}

/* ---- patient metadata ------------------------------------------------------------- */

dg_patient dg_item_patient_of(const dg_item *it)
{
    dg_patient p = {it->patient.has_age ? it->patient.age : NAN, it->patient.sex, it->patient.site};
    return p;
}

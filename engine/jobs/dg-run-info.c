/* dg-run-info.c: read-only queries for the app (see dg-run-info.h). */
#include "dg-run-info.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "data/dg-file.h"
#include "jobs/dg-job.h"
#include "models/dg-gan.h"
#include "data/dg-json.h"
#include "models/dg-model-file.h"
#include "models/dg-safetensors.h"

/* ---- GAN presets ---------------------------------------------------------------------- */

gboolean dg_gan_preset_info_get(const char *preset, dg_gan_preset_info *info)
{
    dg_gan_config gc;
    if (!preset || !dg_gan_config_preset(&gc, preset, 4, NULL))
        return FALSE;
    memset(info, 0, sizeof *info);
    g_strlcpy(info->name, gc.preset, sizeof info->name);
    info->steps = gc.steps;
    info->batch = gc.batch;
    info->size = gc.size;
    info->width = gc.ngf;
    info->conditional = gc.conditional;
    return TRUE;
}

/* ---- JSON helpers ----------------------------------------------------------------------- */

static JsonObject *json_object_of(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static const char *obj_string(JsonObject *o, const char *k)
{
    JsonNode *n = o && json_object_has_member(o, k) ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : NULL;
}

static gint64 obj_int(JsonObject *o, const char *k, gint64 def)
{
    JsonNode *n = o && json_object_has_member(o, k) ? json_object_get_member(o, k) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return def;
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_INT64 || t == G_TYPE_INT)
        return json_node_get_int(n);
    if (t == G_TYPE_STRING) {
        char *end = NULL;
        gint64 v = g_ascii_strtoll(json_node_get_string(n), &end, 10);
        return end && *end == '\0' && end != json_node_get_string(n) ? v : def;
    }
    return def;
}

/* ---- model files ------------------------------------------------------------------------- */

JsonNode *dg_model_metadata_read(const char *path, GError **error)
{
    g_autoptr(GFile) f = g_file_new_for_path(path);
    g_autoptr(GFileInfo) fi =
        g_file_query_info(f, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                          G_FILE_QUERY_INFO_NONE, NULL, error);
    if (!fi)
        return NULL;
    if (g_file_info_get_file_type(fi) != G_FILE_TYPE_REGULAR) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "not a regular file");
        return NULL;
    }
    g_autoptr(GFileInputStream) in = g_file_read(f, NULL, error);
    if (!in)
        return NULL;
    guint8 len8[8];
    gsize got = 0;
    if (!g_input_stream_read_all(G_INPUT_STREAM(in), len8, 8, &got, NULL, error))
        return NULL;
    guint64 hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | len8[i];
    if (got != 8 || hlen < 2 || hlen > DG_ST_MAX_HEADER_SIZE ||
        hlen + 8 > (guint64)g_file_info_get_size(fi)) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "not a safetensors file");
        return NULL;
    }
    g_autofree char *head = g_malloc(hlen + 1);
    if (!g_input_stream_read_all(G_INPUT_STREAM(in), head, hlen, &got, NULL, error))
        return NULL;
    head[got] = '\0';
    GError *jerr = NULL;
    JsonNode *root = got == hlen ? dg_json_parse_bounded(head, (gssize)got, DG_JSON_MAX_DEPTH, &jerr)
                                 : NULL;
    if (jerr) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "the safetensors header: %s",
                    jerr->message);
        g_error_free(jerr);
        return NULL;
    }
    JsonObject *o = json_object_of(root);
    JsonNode *meta = o && json_object_has_member(o, "__metadata__")
                         ? json_node_copy(json_object_get_member(o, "__metadata__"))
                         : NULL;
    if (root)
        json_node_unref(root);
    if (!json_object_of(meta)) {
        if (meta)
            json_node_unref(meta);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "not a safetensors file with DermaGAN metadata");
        return NULL;
    }
    return meta;
}

const char *dg_model_metadata_string(JsonNode *meta, const char *key)
{
    return obj_string(json_object_of(meta), key);
}

gboolean dg_run_kind_read(const char *folder, dg_run_kind *kind)
{
    g_autofree char *ckpt = g_build_filename(folder, "checkpoint.safetensors", NULL);
    JsonNode *meta = dg_model_metadata_read(ckpt, NULL);
    const char *format = meta ? obj_string(json_object_of(meta), "format") : NULL;
    gboolean known = TRUE;
    if (g_strcmp0(format, "dermagan-gan-checkpoint") == 0)
        *kind = DG_RUN_GAN;
    else if (g_strcmp0(format, "dermagan-classifier-checkpoint") == 0)
        *kind = DG_RUN_CLASSIFIER;
    else
        known = FALSE;
    if (meta)
        json_node_unref(meta);
    return known;
}

dg_model_info *dg_model_info_read(const char *path, GError **error)
{
    g_autofree char *disp = dg_file_display_name(path);
    GError *e = NULL;
    JsonNode *meta = dg_model_metadata_read(path, &e);
    if (!meta) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "%s: %s", disp, e->message);
        g_error_free(e);
        return NULL;
    }
    JsonObject *m = json_node_get_object(meta);
    const char *format = obj_string(m, "format");
    dg_model_info *info = g_new0(dg_model_info, 1);
    info->trained_steps = -1;
    const char *cfg_key = NULL;
    if (g_strcmp0(format, "dermagan-gan") == 0) {
        info->kind = DG_MODEL_KIND_GENERATOR;
        cfg_key = "gan";
    } else if (g_strcmp0(format, "dermagan-classifier") == 0) {
        info->kind = DG_MODEL_KIND_CLASSIFIER;
        cfg_key = "classifier";
    } else {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s is not a DermaGAN generator or classifier", disp);
        json_node_unref(meta);
        dg_model_info_free(info);
        return NULL;
    }
    JsonNode *cfg = obj_string(m, cfg_key)
                        ? dg_json_parse_bounded(obj_string(m, cfg_key), -1, DG_JSON_MAX_DEPTH, NULL)
                        : NULL;
    JsonObject *co = json_object_of(cfg);
    const char *arch = obj_string(co, info->kind == DG_MODEL_KIND_GENERATOR ? "preset" : "arch");
    info->arch = g_strdup(arch);
    info->image_size = (int)obj_int(m, "image_size", obj_int(co, "size", 0));
    if (cfg)
        json_node_unref(cfg);
    info->trained_steps = obj_int(m, "trained_steps", -1);
    info->training_data = g_strdup(obj_string(m, "training_data"));
    if (!dg_model_parse_classes(obj_string(m, "classes"), -1, &info->class_ids,
                                &info->class_names, &e)) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "%s: %s", disp, e->message);
        g_error_free(e);
        json_node_unref(meta);
        dg_model_info_free(info);
        return NULL;
    }
    info->n_classes = (int)g_strv_length(info->class_ids);
    json_node_unref(meta);
    return info;
}

void dg_model_info_free(dg_model_info *info)
{
    if (!info)
        return;
    g_free(info->arch);
    g_strfreev(info->class_ids);
    g_strfreev(info->class_names);
    g_free(info->training_data);
    g_free(info);
}

/* ---- run folders ---------------------------------------------------------------------------- */

/* A 2-D float tensor with cols columns, copied; n rows (0 when absent or malformed). */
static float *copy_rows(const dg_st *st, const char *name, int cols, gint64 *n)
{
    const dg_st_tensor *t = dg_st_find(st, name);
    *n = 0;
    if (!t || t->dtype != DG_ST_F32 || t->ndim != 2 || t->shape[1] != cols || t->shape[0] <= 0)
        return NULL;
    *n = t->shape[0];
    return g_memdup2(t->data, (gsize)t->shape[0] * cols * sizeof(float));
}

static char *file_in(const char *folder, const char *name)
{
    char *p = g_build_filename(folder, name, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
        return p;
    g_free(p);
    return NULL;
}

/* The run's identity (the settings that define it) from the checkpoint. */
static void read_identity(dg_run_info *r, const char *run_json)
{
    JsonNode *n = run_json ? dg_json_parse_bounded(run_json, -1, DG_JSON_MAX_DEPTH, NULL) : NULL;
    JsonObject *o = json_object_of(n);
    r->data = g_strdup(obj_string(o, "data"));
    r->all_classes = g_strcmp0(obj_string(o, "all-classes"), "yes") == 0;
    const char *seed = obj_string(o, "seed"), *split = obj_string(o, "split-seed");
    r->seed = seed ? g_ascii_strtoull(seed, NULL, 10) : 1;
    r->split_seed = split ? g_ascii_strtoull(split, NULL, 10) : 1;
    if (r->kind == DG_RUN_CLASSIFIER) {
        r->preset = g_strdup(obj_string(o, "arch"));
        const char *syn = obj_string(o, "synthetic");
        r->synthetic = syn && *syn && g_strcmp0(syn, "none") != 0 ? g_strdup(syn) : NULL;
    }
    if (n)
        json_node_unref(n);
}

static gboolean read_gan(dg_run_info *r, const dg_st *st, GError **error)
{
    dg_gan_config gc;
    if (!dg_gan_config_from_json(&gc, dg_st_metadata(st, "gan"), error))
        return FALSE;
    r->preset = g_strdup(gc.preset);
    /* older checkpoints lack the identity: the data set and seeds are metadata too */
    if (!r->data)
        r->data = g_strdup(dg_st_metadata(st, "data"));
    const char *seed = dg_st_metadata(st, "seed"), *split = dg_st_metadata(st, "split_seed");
    if (seed)
        r->seed = g_ascii_strtoull(seed, NULL, 10);
    if (split)
        r->split_seed = g_ascii_strtoull(split, NULL, 10);
    const dg_st_tensor *ts = dg_st_find(st, "step");
    if (ts && ts->dtype == DG_ST_I64 && ts->ndim == 1 && ts->shape[0] == 1)
        memcpy(&r->step, ts->data, sizeof r->step);
    r->history_cols = DG_GAN_HISTORY_COLS;
    r->history = copy_rows(st, "history", DG_GAN_HISTORY_COLS, &r->n_history);
    r->quality = copy_rows(st, "quality", 2, &r->n_quality);
    gint64 n_class = 0;
    r->class_history = copy_rows(st, "class_history", DG_GAN_CLASS_HISTORY_COLS, &n_class);
    if (r->class_history && n_class != r->n_history) /* rows that do not match the steps' */
        g_clear_pointer(&r->class_history, g_free);
    char **ids = NULL;
    if (dg_model_parse_classes(dg_st_metadata(st, "classes"), -1, &ids, &r->class_names, NULL))
        g_strfreev(ids);
    g_autofree char *samples = g_build_filename(r->folder, "samples", NULL);
    r->latest_grid = file_in(samples, "latest.png");
    r->model = file_in(r->folder, "generator.safetensors");
    return TRUE;
}

static void read_classifier(dg_run_info *r, const dg_st *st)
{
    const dg_st_tensor *ts = dg_st_find(st, "state");
    if (ts && ts->dtype == DG_ST_I64 && ts->ndim == 1 && ts->shape[0] >= 2) {
        gint64 state[2];
        memcpy(state, ts->data, sizeof state);
        r->step = state[0];
        r->epoch = (int)state[1];
    }
    r->history_cols = DG_CNN_HISTORY_COLS;
    r->history = copy_rows(st, "history", DG_CNN_HISTORY_COLS, &r->n_history);
    r->model = file_in(r->folder, "model.safetensors");
}

dg_run_info *dg_run_info_read(const char *folder, GError **error)
{
    g_autofree char *disp = dg_file_display_name(folder);
    g_autofree char *ckpt = g_build_filename(folder, "checkpoint.safetensors", NULL);
    if (!g_file_test(ckpt, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s has no checkpoint.safetensors: not a training run folder", disp);
        return NULL;
    }
    GError *e = NULL;
    dg_st *st = dg_st_load(ckpt, &e);
    if (!st) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "%s: %s", disp, e->message);
        g_error_free(e);
        return NULL;
    }
    const char *format = dg_st_metadata(st, "format");
    dg_run_info *r = g_new0(dg_run_info, 1);
    r->folder = g_strdup(folder);
    gboolean ok = TRUE;
    if (g_strcmp0(format, "dermagan-gan-checkpoint") == 0) {
        r->kind = DG_RUN_GAN;
        read_identity(r, dg_st_metadata(st, "run"));
        ok = read_gan(r, st, &e);
    } else if (g_strcmp0(format, "dermagan-classifier-checkpoint") == 0) {
        r->kind = DG_RUN_CLASSIFIER;
        read_identity(r, dg_st_metadata(st, "run"));
        read_classifier(r, st);
    } else {
        ok = FALSE;
        e = g_error_new(DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "its checkpoint is not a DermaGAN training checkpoint");
    }
    dg_st_free(st);
    if (!ok) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "%s: %s", disp, e->message);
        g_error_free(e);
        dg_run_info_free(r);
        return NULL;
    }
    return r;
}

void dg_run_info_free(dg_run_info *r)
{
    if (!r)
        return;
    g_free(r->folder);
    g_free(r->data);
    g_free(r->preset);
    g_free(r->synthetic);
    g_free(r->history);
    g_free(r->class_history);
    g_free(r->quality);
    g_strfreev(r->class_names);
    g_free(r->latest_grid);
    g_free(r->model);
    g_free(r);
}

/* ---- where runs go --------------------------------------------------------------------------- */

char *dg_runs_dir(void)
{
    return g_build_filename(g_get_user_data_dir(), "dermagan", "runs", NULL);
}

char *dg_runs_new_dir(const char *kind)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
    g_autofree char *base = dg_runs_dir();
    for (int i = 0; i < 1000; i++) {
        g_autofree char *name = i == 0 ? g_strdup_printf("%s-%s", kind, stamp)
                                       : g_strdup_printf("%s-%s-%d", kind, stamp, i + 1);
        char *dir = g_build_filename(base, name, NULL);
        if (!g_file_test(dir, G_FILE_TEST_EXISTS))
            return dir;
        g_free(dir);
    }
    return NULL;
}

static int cmp_desc(gconstpointer a, gconstpointer b)
{
    return -strcmp(*(char *const *)a, *(char *const *)b);
}

char **dg_runs_list(const char *kind, int max)
{
    g_autofree char *base = dg_runs_dir();
    g_autofree char *prefix = g_strdup_printf("%s-", kind);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(base, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d)))
        if (g_str_has_prefix(n, prefix))
            g_ptr_array_add(names, g_strdup(n));
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(names, cmp_desc); /* kind-YYYYmmdd-HHMMSS: newest first */
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; i < names->len && (int)out->len < max; i++) {
        char *dir = g_build_filename(base, g_ptr_array_index(names, i), NULL);
        g_autofree char *ckpt = g_build_filename(dir, "checkpoint.safetensors", NULL);
        if (g_file_test(ckpt, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add(out, dir);
        else
            g_free(dir);
    }
    g_ptr_array_unref(names);
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

/* dg-job-predict.c: the predict job: one RESULT per image, with the input
 * screen and out-of-distribution assessment, the patient prior and Grad-CAM. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "data/dg-file.h"
#include "jobs/dg-job-cnn-private.h"
#include "jobs/dg-job-util.h"
#include "jobs/dg-limits.h"
#include "models/dg-classifier-post.h"

/* ---- predict ---------------------------------------------------------------------- */

const char *const *dg_predict_patient_sites(void)
{
    return dg_patient_sites;
}

dg_predict_config *dg_predict_config_new(void)
{
    dg_predict_config *c = g_new0(dg_predict_config, 1);
    c->age = NAN;
    return c;
}

void dg_predict_config_free(void *p)
{
    dg_predict_config *c = p;
    if (!c)
        return;
    g_free(c->model);
    g_strfreev(c->images);
    g_free(c->saliency_out);
    g_free(c->sex);
    g_free(c->site);
    g_free(c);
}

/* The patient prior on one image's probabilities; "patient_fields_used"
 * and, when a given field adds nothing, "patient_note". */
static void apply_patient(JsonBuilder *b, const dg_cnn *cnn, const dg_predict_config *cfg,
                          float *probs)
{
    const dg_patient pt = {cfg->age, cfg->sex, cfg->site};
    char keys[3][DG_META_KEY_MAX];
    const int given = dg_patient_keys(&pt, keys);
    if (given == 0)
        return;
    const dg_meta_prior *m = cnn->post.patient_prior;
    const int used = dg_meta_prior_apply(m, &pt, probs);
    json_builder_set_member_name(b, "patient_fields_used");
    json_builder_add_int_value(b, used);
    if (used < given) {
        GString *note = g_string_new(NULL);
        if (!m || !(m->weight > 0)) {
            g_string_append(note, "this model does not use patient metadata");
        } else {
            float bias[64];
            for (int j = 0; j < given; j++) {
                /* a field alone: does the prior know it? */
                dg_patient one = {NAN, NULL, NULL};
                if (g_str_has_prefix(keys[j], "age:"))
                    one.age = cfg->age;
                else if (g_str_has_prefix(keys[j], "sex:"))
                    one.sex = cfg->sex;
                else
                    one.site = cfg->site;
                if (dg_meta_prior_bias(m, &one, bias) == 0)
                    g_string_append_printf(note, "%sthe model has no data on %s", note->len ? "; " : "",
                                           keys[j]);
            }
        }
        json_builder_set_member_name(b, "patient_note");
        json_builder_add_string_value(b, note->str);
        g_string_free(note, TRUE);
    }
}

/* Side of the saliency overlay: the prepared photo at 4x the model's size. */
#define SALIENCY_SCALE 4

/* Whether the model should judge this image at all: the input screen
 * (size, shape, colour) and the out-of-distribution score of its features.
 * "judged": FALSE means the probabilities are not a diagnosis of anything. */
static void add_assessment(JsonBuilder *b, dg_cnn *cnn, dg_ctx *ctx, const uint8_t *chw,
                           const float *x, int width, int height)
{
    dg_screen sc;
    gboolean plain = dg_input_screen(chw, cnn->cfg.size, width, height, &sc);
    float score = NAN;
    if (cnn->post.ood_dim > 0) {
        float *f = g_new(float, dg_cnn_feature_dim(cnn));
        dg_cnn_features(cnn, ctx, x, 1, f);
        dg_cnn_ood_scores(cnn, f, 1, &score);
        g_free(f);
    }
    const gboolean like = !isfinite(score) || score <= cnn->post.ood_threshold;
    GString *why = g_string_new(sc.reasons);
    if (!like)
        g_string_append_printf(why, "%sunlike the lesions the model learned from (score %.0f, "
                               "threshold %.0f)",
                               why->len ? "; " : "", score, cnn->post.ood_threshold);
    json_builder_set_member_name(b, "judged");
    json_builder_add_boolean_value(b, plain && like);
    json_builder_set_member_name(b, "assessment");
    json_builder_add_string_value(b, plain && like ? "looks like the dermoscopy images the model "
                                                     "learned from"
                                                   : why->str);
    json_builder_set_member_name(b, "ood_score");
    if (isfinite(score))
        json_builder_add_double_value(b, score);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "ood_threshold");
    if (cnn->post.ood_dim > 0)
        json_builder_add_double_value(b, cnn->post.ood_threshold);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "image_width");
    json_builder_add_int_value(b, width);
    json_builder_set_member_name(b, "image_height");
    json_builder_add_int_value(b, height);
    g_string_free(why, TRUE);
}

/* The raw Grad-CAM of every class (top's is cam already) as grey IMAGE events. */
static void emit_class_maps(dg_job *job, dg_cnn *cnn, dg_ctx *ctx, const float *x, int top,
                            const float *top_cam)
{
    const int K = cnn->cfg.n_classes, S = cnn->cfg.size;
    float *cam = g_new(float, (long)S * S);
    uint8_t *grey = g_new(uint8_t, 3L * S * S);
    for (int k = 0; k < K; k++) {
        if (k != top)
            dg_cnn_gradcam(cnn, ctx, x, k, cam, NULL);
        const float *c = k == top ? top_cam : cam;
        for (long p = 0; p < (long)S * S; p++) {
            float v = c[p] < 0 ? 0 : (c[p] > 1 ? 1 : c[p]);
            grey[3 * p] = grey[3 * p + 1] = grey[3 * p + 2] = (uint8_t)(v * 255.0f + 0.5f);
        }
        dg_event ev = {.kind = DG_EVENT_IMAGE, .eta = -1, .width = S, .height = S, .rgb = grey,
                       .message = "cam"};
        dg_event_set(&ev, "class", k);
        dg_job_emit(job, &ev);
    }
    g_free(cam);
    g_free(grey);
}

/* The overlay of the top class's Grad-CAM on the photo (at SALIENCY_SCALE times
 * the model's size) as an IMAGE event, written to saliency_out for a single
 * image (and named in the result b).  FALSE + error when it cannot be written. */
static gboolean emit_overlay(dg_job *job, const dg_predict_config *cfg, GdkPixbuf *pb,
                             const uint8_t *chw, int S, const float *cam, const char *display,
                             gboolean single, JsonBuilder *b, GError **error)
{
    const int D = S * SALIENCY_SCALE;
    uint8_t *big = g_new(uint8_t, 3L * D * D), *rgb = g_new(uint8_t, 3L * D * D);
    GError *pe = NULL;
    if (!pb || !dg_image_prepare_pixbuf(pb, D, big, &pe)) {
        /* cannot happen after a successful decode; fall back to the small image */
        g_clear_error(&pe);
        for (int c = 0; c < 3; c++)
            for (int yy = 0; yy < D; yy++)
                for (int xx = 0; xx < D; xx++)
                    big[((long)c * D + yy) * D + xx] =
                        chw[((long)c * S + yy / SALIENCY_SCALE) * S + xx / SALIENCY_SCALE];
    }
    for (long p = 0; p < (long)D * D; p++)
        for (int c = 0; c < 3; c++)
            rgb[3 * p + c] = big[c * (long)D * D + p];
    uint8_t *ov = dg_cam_overlay(rgb, D, D, cam, S, 0.6f);
    const char *written = NULL;
    gboolean ok = TRUE;
    if (single && cfg->saliency_out) {
        ok = dg_write_png(cfg->saliency_out, ov, D, D, error);
        if (ok) {
            written = cfg->saliency_out;
            json_builder_set_member_name(b, "saliency");
            dg_json_add_path(b, cfg->saliency_out);
        }
    }
    if (ok) {
        dg_event ev = {.kind = DG_EVENT_IMAGE, .eta = -1, .width = D, .height = D, .rgb = ov,
                       .path = written, .message = display};
        dg_job_emit(job, &ev);
    }
    g_free(big), g_free(rgb), g_free(ov);
    return ok;
}

static char *predict_one(dg_job *job, dg_cnn *cnn, dg_ctx *ctx, const dg_predict_config *cfg,
                         const char *path, gboolean single, GError **error)
{
    const int K = cnn->cfg.n_classes, S = cnn->cfg.size;
    char *display = dg_file_display_name(path); /* no control characters in messages */
    GError *e = NULL;
    GdkPixbuf *pb = NULL;
    uint8_t *chw = g_new(uint8_t, 3L * S * S);
    float *x = g_new(float, 3L * S * S), *probs = g_new(float, K);
    char *out = NULL;
    /* decode once; the model's input and the overlay's backdrop come from it */
    int width = 0, height = 0;
    gchar *bytes = NULL;
    gsize len = 0;
    /* a regular file within the image size limit (no FIFO, device or 3 GB file) */
    if (dg_file_read_regular(path, DG_IMAGE_MAX_FILE_BYTES, &bytes, &len, &e)) {
        if (dg_image_prepare_data_sized(bytes, len, S, chw, &width, &height, &e) &&
            cfg->saliency) {
            /* the same bytes again, at full size, as the overlay's backdrop (their
             * dimensions were checked by dg_image_prepare_data) */
            GInputStream *in = g_memory_input_stream_new_from_data(bytes, (gssize)len, NULL);
            pb = gdk_pixbuf_new_from_stream(in, NULL, NULL);
            g_object_unref(in);
        }
    }
    if (e) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "image");
        json_builder_add_string_value(b, display);
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, e->message);
        json_builder_end_object(b);
        JsonNode *r = json_builder_get_root(b);
        out = json_to_string(r, FALSE);
        json_node_unref(r);
        g_object_unref(b);
        g_error_free(e);
        goto done;
    }
    dg_image_to_float(chw, S, x);
    int top = 0;
    float *cam = NULL;
    dg_cnn_predict(cnn, ctx, x, 1, cfg->tta, probs);
    if (!dg_job_check_outputs(probs, K, error))
        goto done;
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    apply_patient(b, cnn, cfg, probs);
    for (int k = 1; k < K; k++)
        if (probs[k] > probs[top])
            top = k;
    if (cfg->saliency) {
        cam = g_new(float, (long)S * S);
        dg_cnn_gradcam(cnn, ctx, x, top, cam, NULL);
    }
    json_builder_set_member_name(b, "image");
    json_builder_add_string_value(b, display);
    json_builder_set_member_name(b, "top");
    json_builder_add_string_value(b, cnn->class_ids[top]);
    json_builder_set_member_name(b, "top_name");
    json_builder_add_string_value(b, cnn->class_names[top]);
    json_builder_set_member_name(b, "probabilities");
    json_builder_begin_object(b);
    for (int k = 0; k < K; k++) {
        json_builder_set_member_name(b, cnn->class_ids[k]);
        json_builder_add_double_value(b, probs[k]);
    }
    json_builder_end_object(b);
    add_assessment(b, cnn, ctx, chw, x, width, height);
    if (cam && !emit_overlay(job, cfg, pb, chw, S, cam, display, single, b, error)) {
        g_free(cam);
        json_builder_end_object(b);
        g_object_unref(b);
        goto done;
    }
    if (cam && cfg->saliency_all)
        emit_class_maps(job, cnn, ctx, x, top, cam);
    g_free(cam);
    json_builder_end_object(b);
    JsonNode *r = json_builder_get_root(b);
    out = json_to_string(r, FALSE);
    json_node_unref(r);
    g_object_unref(b);
done:
    if (pb)
        g_object_unref(pb);
    g_free(bytes), g_free(chw), g_free(x), g_free(probs), g_free(display);
    return out;
}

static gboolean predict_run(dg_job *job, void *config, GError **error)
{
    dg_predict_config *cfg = config;
    if (!dg_job_check_int("threads", cfg->threads, 1, DG_LIMIT_THREADS, TRUE, error))
        return FALSE;
    if (!isnan(cfg->age) && !(cfg->age >= 0 && cfg->age <= 120)) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "age %g is out of range (0 to 120)",
                    cfg->age);
        return FALSE;
    }
    const char *const fields[2][2] = {{"sex", cfg->sex}, {"site", cfg->site}};
    for (int i = 0; i < 2; i++) {
        if (!fields[i][1])
            continue;
        char norm[64];
        dg_patient_normalize(fields[i][1], norm, sizeof norm);
        g_autofree char *lower = g_strstrip(g_ascii_strdown(fields[i][1], -1));
        /* given, and not a value: refused (empty or "unknown" is fine) */
        if (!norm[0] && lower[0] && strcmp(lower, "unknown") != 0) {
            g_autofree char *q = dg_st_quoted(fields[i][1]);
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "%s %s: use letters, digits, spaces and '-' (at most 32)", fields[i][0], q);
            return FALSE;
        }
    }
    int n = cfg->images ? (int)g_strv_length(cfg->images) : 0;
    if (n == 0) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no image given");
        return FALSE;
    }
    /* the overlay is a PNG, and never one of the files read */
    static const char *const png[] = {".png", NULL};
    if (cfg->saliency_out && !dg_job_check_output("saliency", cfg->saliency_out, png, error))
        return FALSE;
    for (int i = 0; cfg->saliency_out && i < n; i++)
        if (!dg_job_check_not_input("saliency", cfg->saliency_out, cfg->images[i],
                                    "the input image", error))
            return FALSE;
    char *model = NULL;
    dg_cnn *cnn = dg_job_load_classifier(cfg->model, 1, &model, error);
    if (!cnn)
        return FALSE;
    gboolean distinct = !cfg->saliency_out ||
                        dg_job_check_not_input("saliency", cfg->saliency_out, model, "the model",
                                               error);
    g_free(model);
    if (!distinct) {
        dg_cnn_free(cnn);
        return FALSE;
    }
    dg_ctx *ctx = dg_ctx_new(cfg->threads);
    gboolean ok = TRUE;
    for (int i = 0; i < n && ok; i++) {
        if (!dg_job_continue(job))
            break;
        char *res = predict_one(job, cnn, ctx, cfg, cfg->images[i], n == 1, error);
        if (!res) {
            ok = FALSE;
            break;
        }
        dg_event ev = {.kind = DG_EVENT_RESULT, .eta = -1, .json = res};
        dg_job_emit(job, &ev);
        g_free(res);
        dg_event pv = {.kind = DG_EVENT_PROGRESS, .step = i + 1, .total = n, .eta = -1};
        dg_job_emit(job, &pv);
    }
    dg_ctx_free(ctx);
    dg_cnn_free(cnn);
    return ok;
}

const dg_job_kind dg_job_predict = {"predict", predict_run, dg_predict_config_free};

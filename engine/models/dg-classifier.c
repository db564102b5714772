#include "dg-classifier.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "models/dg-checkpoint.h"
#include "models/dg-classifier-post.h"
#include "data/dg-json.h"
#include "models/dg-model-file.h"
#include "models/dg-safetensors.h"
#include "numerics/dg-loss.h"


gboolean dg_cnn_config_arch(dg_cnn_config *c, const char *arch, int n_classes, GError **error)
{
    memset(c, 0, sizeof *c);
    c->size = 64;
    c->n_classes = n_classes;
    if (!arch || strcmp(arch, "dermanet") == 0) {
        arch = "dermanet";
        c->width = 32;
        c->dropout = 0.2f;
    } else if (strcmp(arch, "mobile") == 0) {
        c->width = 24;
        c->dropout = 0.2f;
    } else if (strcmp(arch, "seed") == 0) {
        c->width = 0;
        c->dropout = 0.2f;
    } else {
        g_autofree char *q = dg_st_quoted(arch);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "unknown architecture %s (seed, dermanet, mobile)", q);
        return FALSE;
    }
    g_strlcpy(c->arch, arch, sizeof c->arch);
    if (n_classes < 2 || n_classes > 64) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID, "a classifier needs 2 to 64 classes, not %d", n_classes);
        return FALSE;
    }
    return TRUE;
}

char *dg_cnn_config_to_json(const dg_cnn_config *c)
{
    /* colour constancy and members only when used: files written before them stay
     * byte-identical */
    char cc[80] = "";
    if (c->color_p > 0)
        g_snprintf(cc, sizeof cc, ", \"color_constancy\": %d", c->color_p);
    if (c->members > 1)
        g_snprintf(cc + strlen(cc), sizeof cc - strlen(cc), ", \"members\": %d", c->members);
    return g_strdup_printf("{\"arch\": \"%s\", \"size\": %d, \"n_classes\": %d, \"width\": %d, "
                           "\"dropout\": %.3f%s}",
                           c->arch, c->size, c->n_classes, c->width, c->dropout, cc);
}

gboolean dg_cnn_config_from_json(dg_cnn_config *c, const char *json, GError **error)
{
    memset(c, 0, sizeof *c);
    GError *jerr = NULL;
    JsonNode *root = json ? dg_json_parse_bounded(json, -1, DG_JSON_MAX_DEPTH, &jerr) : NULL;
    if (jerr) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "classifier file: the 'classifier' metadata: %s", jerr->message);
        g_error_free(jerr);
        return FALSE;
    }
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        if (root)
            json_node_unref(root);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "classifier file: the 'classifier' metadata is not a JSON object");
        return FALSE;
    }
    JsonObject *o = json_node_get_object(root);
    JsonNode *an = json_object_get_member(o, "arch");
    const char *arch = an && JSON_NODE_HOLDS_VALUE(an) && json_node_get_value_type(an) == G_TYPE_STRING
                           ? json_node_get_string(an) : "";
    /* numbers clamped before conversion: a hostile 1e300 is out of range, not UB */
#define NUM(k) (json_object_has_member(o, k) && JSON_NODE_HOLDS_VALUE(json_object_get_member(o, k)) && \
                json_node_get_value_type(json_object_get_member(o, k)) != G_TYPE_STRING &&          \
                json_node_get_value_type(json_object_get_member(o, k)) != G_TYPE_BOOLEAN             \
                    ? CLAMP(json_object_get_double_member(o, k), -1e9, 1e9) : NAN)
    double size = NUM("size"), k = NUM("n_classes"), width = NUM("width"), drop = NUM("dropout"),
           cp = NUM("color_constancy"), mem = NUM("members");
#undef NUM
    gboolean ok = dg_cnn_config_arch(c, arch, isfinite(k) ? (int)k : 0, error);
    json_node_unref(root);
    if (!ok)
        return FALSE;
    c->size = isfinite(size) ? (int)size : 0;
    if (isfinite(width))
        c->width = (int)width;
    if (isfinite(drop))
        c->dropout = (float)drop;
    c->color_p = isfinite(cp) ? (int)cp : 0;
    c->members = isfinite(mem) ? (int)mem : 1;
    return dg_cnn_config_validate(c, error);
}

gboolean dg_cnn_config_validate(const dg_cnn_config *c, GError **error)
{
    const gboolean uses_width = strcmp(c->arch, "seed") != 0;
    if (c->size != 32 && c->size != 64 && c->size != 96 && c->size != 128) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "classifier: image size %d is not 32, 64, 96 or 128", c->size);
        return FALSE;
    }
    if (c->n_classes < 2 || c->n_classes > DG_MODEL_MAX_CLASSES) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "classifier: %d classes (2 to %d are allowed)", c->n_classes,
                    DG_MODEL_MAX_CLASSES);
        return FALSE;
    }
    if (uses_width && (c->width < DG_CNN_MIN_WIDTH || c->width > DG_CNN_MAX_WIDTH)) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "classifier: width %d is out of range (%d to %d)", c->width, DG_CNN_MIN_WIDTH,
                    DG_CNN_MAX_WIDTH);
        return FALSE;
    }
    if (c->color_p < 0 || c->color_p > 16) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "classifier: colour constancy exponent %d is out of range (0 to 16)", c->color_p);
        return FALSE;
    }
    if (c->members < 0 || c->members > DG_CNN_MAX_MEMBERS) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "classifier: an ensemble of %d members (1 to %d are allowed)", c->members,
                    DG_CNN_MAX_MEMBERS);
        return FALSE;
    }
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f)) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "classifier: dropout %g is out of range (0 to below 1)", c->dropout);
        return FALSE;
    }
    return TRUE;
}

static void build_graph(dg_cnn *m, int max_batch);

gboolean dg_cnn_config_check_memory(const dg_cnn_config *c, int max_batch, GError **error)
{
    if (max_batch < 1 || max_batch > DG_CNN_MAX_BATCH) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "classifier: batch %d is out of range (1 to %d)", max_batch, DG_CNN_MAX_BATCH);
        return FALSE;
    }
    dg_cnn tmp = {.cfg = *c};
    build_graph(&tmp, max_batch);
    guint64 bytes = dg_model_net_bytes(tmp.net);
    dg_net_free(tmp.net);
    return dg_model_check_bytes("this classifier", bytes, error);
}

/* ---- architectures ------------------------------------------------------------ */

static int conv_bn_relu(dg_net *n, int x, int oc, int k, int s)
{
    return dg_net_relu(n, dg_net_bn(n, dg_net_conv(n, x, oc, k, s, k / 2, false)));
}

/* Residual block: conv3x3(s) BN ReLU conv3x3 BN, plus a projected shortcut
 * (conv1x1(s) BN) when the shape changes; ReLU after the sum. */
static int res_block(dg_net *n, int x, int oc, int s)
{
    int ic;
    dg_net_node_shape(n, x, &ic, NULL, NULL);
    int y = conv_bn_relu(n, x, oc, 3, s);
    y = dg_net_bn(n, dg_net_conv(n, y, oc, 3, 1, 1, false));
    int sc = x;
    if (s != 1 || ic != oc)
        sc = dg_net_bn(n, dg_net_conv(n, x, oc, 1, s, 0, false));
    return dg_net_relu(n, dg_net_add(n, y, sc));
}

static int dw_sep(dg_net *n, int x, int oc, int s)
{
    x = dg_net_relu(n, dg_net_bn(n, dg_net_dwconv(n, x, 3, s, 1, false)));
    return dg_net_relu(n, dg_net_bn(n, dg_net_conv(n, x, oc, 1, 1, 0, false)));
}

/* One member's network from the input to its pooled features; *cam gets its
 * last convolutional feature map. */
static int build_branch(const dg_cnn_config *c, dg_net *n, int *cam)
{
    int x;
    if (strcmp(c->arch, "seed") == 0) {
        x = dg_net_relu(n, dg_net_conv(n, 0, 60, 1, 1, 0, true));
        x = dg_net_maxpool(n, x, 2, 2, 0);
        x = dg_net_relu(n, dg_net_conv(n, x, 50, 3, 1, 0, true));
        *cam = x;
        x = dg_net_maxpool(n, x, 5, 5, 0);
        x = dg_net_dropout(n, dg_net_relu(n, dg_net_dense(n, x, 256, true)), c->dropout);
        return dg_net_relu(n, dg_net_dense(n, x, 128, true));
    }
    int w = c->width;
    if (strcmp(c->arch, "mobile") == 0) {
        x = conv_bn_relu(n, 0, w, 3, 2); /* 32 */
        x = dw_sep(n, x, 2 * w, 1);
        x = dw_sep(n, x, 4 * w, 2); /* 16 */
        x = dw_sep(n, x, 4 * w, 1);
        x = dw_sep(n, x, 8 * w, 2); /* 8 */
        x = dw_sep(n, x, 8 * w, 1);
        x = dw_sep(n, x, 8 * w, 1);
        x = dw_sep(n, x, 12 * w, 2); /* 4 */
    } else { /* dermanet */
        x = conv_bn_relu(n, 0, w, 3, 1);      /* 64 */
        x = res_block(n, x, w * 3 / 2, 2);    /* 32 */
        x = res_block(n, x, w * 3, 2);        /* 16 */
        x = res_block(n, x, w * 6, 2);        /* 8 */
        x = res_block(n, x, w * 8, 2);        /* 4 */
    }
    *cam = x;
    return dg_net_gap(n, x);
}

/* The members' branches one after the other (so that member i's tensors
 * are a contiguous run), their features concatenated, dropout and the dense
 * output layer.  Grad-CAM looks at the first member's last feature map. */
static void build_graph(dg_cnn *m, int max_batch)
{
    const dg_cnn_config *c = &m->cfg;
    dg_net *n = dg_net_new(3, c->size, c->size, max_batch);
    int cam, feat = build_branch(c, n, &m->cam_node);
    for (int i = 1; i < c->members; i++)
        feat = dg_net_concat(n, feat, build_branch(c, n, &cam));
    m->feature_node = feat;
    dg_net_dense(n, dg_net_dropout(n, feat, c->dropout), c->n_classes, true);
    m->net = n;
}

static void build(dg_cnn *m, int max_batch)
{
    build_graph(m, max_batch);
    dg_net_finalize(m->net);
}

dg_cnn *dg_cnn_new(const dg_cnn_config *cfg, int max_batch, const char *const *class_ids,
                   const char *const *class_names)
{
    dg_cnn *m = g_new0(dg_cnn, 1);
    m->cfg = *cfg;
    m->post.temperature = 1.0f;
    build(m, max_batch);
    m->class_ids = g_new0(char *, cfg->n_classes + 1);
    m->class_names = g_new0(char *, cfg->n_classes + 1);
    for (int k = 0; k < cfg->n_classes; k++) {
        m->class_ids[k] = g_strdup(class_ids ? class_ids[k] : "");
        m->class_names[k] = g_strdup(class_names && class_names[k] ? class_names[k]
                                                                   : m->class_ids[k]);
    }
    return m;
}

void dg_cnn_free(dg_cnn *m)
{
    if (!m)
        return;
    dg_net_free(m->net);
    dg_cnn_post_clear(m);
    g_free(m->scratch);
    g_strfreev(m->class_ids);
    g_strfreev(m->class_names);
    g_free(m);
}

/* The model's view of n input images: x itself, or a copy with colour
 * constancy applied (in the model's scratch buffer, n <= max batch). */
static const float *model_input(dg_cnn *m, const float *x, int n)
{
    if (m->cfg.color_p <= 0)
        return x;
    const long img = 3L * m->cfg.size * m->cfg.size;
    if (!m->scratch)
        m->scratch = g_new(float, img * dg_net_max_batch(m->net));
    memcpy(m->scratch, x, sizeof(float) * img * n);
    dg_color_constancy(m->scratch, n, m->cfg.size, m->cfg.color_p);
    return m->scratch;
}

gboolean dg_cnn_train_step(dg_cnn *m, dg_ctx *ctx, dg_opt *opt, const float *x, const int *y,
                           const int *y2, const float *lam, int B, const float *w,
                           float label_smoothing, dg_cnn_grad_fn grad_fn, void *grad_user,
                           dg_cnn_step_stats *st)
{
    const int K = m->cfg.n_classes;
    float *dl = g_new(float, (long)B * K);
    dg_net_zero_grad(m->net);
    dg_net_forward(m->net, ctx, model_input(m, x, B), NULL, B, true);
    const float *logits = dg_net_output(m->net);
    float *adjusted = NULL;
    if (m->train_logit_bias) { /* d loss / d logits = d loss / d (logits + bias) */
        adjusted = g_new(float, (long)B * K);
        for (long i = 0; i < (long)B * K; i++)
            adjusted[i] = logits[i] + m->train_logit_bias[i % K];
    }
    float loss = dg_softmax_xent_mix(adjusted ? adjusted : logits, y, y2, lam, B, K, w,
                                     label_smoothing, dl, NULL);
    g_free(adjusted);
    if (m->distill_logits && m->distill_alpha > 0) {
        const float a = m->distill_alpha;
        float *dk = g_new(float, (long)B * K);
        const float kd = dg_distill_kl(logits, m->distill_logits, y, y2, lam, B, K, w,
                                       m->distill_T, dk);
        for (long i = 0; i < (long)B * K; i++)
            dl[i] = (1.0f - a) * dl[i] + a * dk[i];
        loss = (1.0f - a) * loss + a * kd;
        g_free(dk);
    }
    gboolean finite = isfinite(loss);
    const bool split = m->batch_weight > 0;
    if (split) { /* a part of a split batch: its share of the whole batch's mean */
        double part = 0.0;
        for (int b = 0; b < B; b++) {
            const double a = y2 && lam ? lam[b] : 1.0;
            part += a * (w ? w[y[b]] : 1.0) + (a < 1.0 ? (1.0 - a) * (w ? w[y2[b]] : 1.0) : 0.0);
        }
        const float share = (float)(part / m->batch_weight);
        for (long i = 0; i < (long)B * K; i++)
            dl[i] = finite ? dl[i] * share : NAN; /* a bad part spoils the sum for all */
        loss *= share;
    }
    if (finite || split) { /* every part of a split batch takes part in grad_fn's sum */
        dg_net_backward(m->net, ctx, dl, NULL, true);
        if (grad_fn)
            grad_fn(m->net, grad_user);
        if (split) { /* the summed gradient decides, the same in every part */
            const float *g = dg_net_grads(m->net);
            float acc = 0.0f;
            for (long i = 0, n = dg_net_n_params(m->net); i < n; i++)
                acc += g[i] * 0.0f; /* NaN or Inf anywhere makes acc NaN */
            finite = acc == 0.0f;
        }
        if (finite)
            dg_net_step(m->net, ctx, opt);
    }
    if (st) {
        st->loss = loss;
        st->correct = 0;
        for (int b = 0; b < B; b++) {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (logits[b * K + k] > logits[b * K + best])
                    best = k;
            st->correct += best == y[b];
        }
    }
    g_free(dl);
    return finite;
}

void dg_cnn_init(dg_cnn *m, dg_rng *rng)
{
    dg_net_init(m->net, rng, DG_INIT_KAIMING);
    /* the last dense layer starts small: initial predictions near uniform */
    int t = dg_net_n_tensors(m->net);
    for (int i = 0; i < t; i++) {
        const dg_tensor *ti = dg_net_tensor(m->net, i);
        char prefix[8];
        g_snprintf(prefix, sizeof prefix, "%02d.", dg_net_output_node(m->net));
        if (g_str_has_prefix(ti->name, prefix) && g_str_has_suffix(ti->name, "weight")) {
            float *w = dg_net_tensor_data(m->net, i);
            for (long k = 0; k < ti->n; k++)
                w[k] *= 0.1f;
        }
    }
}

int dg_cnn_class_index(const dg_cnn *m, const char *id)
{
    for (int k = 0; k < m->cfg.n_classes; k++)
        if (g_strcmp0(m->class_ids[k], id) == 0)
            return k;
    return -1;
}

/* ---- inference ------------------------------------------------------------------ */

/* The 8 symmetries of the square: t = 0..7 (bit 0 hflip, bit 1 vflip, bit 2 transpose). */
static void dihedral(const float *src, float *dst, int S, int t)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                int sy = y, sx = x;
                if (t & 4) {
                    int tmp = sy;
                    sy = sx;
                    sx = tmp;
                }
                if (t & 1)
                    sx = S - 1 - sx;
                if (t & 2)
                    sy = S - 1 - sy;
                dst[(c * S + y) * S + x] = src[(c * S + sy) * S + sx];
            }
}

/* softmax(logits / T + bias) for b images. */
static void calibrated_softmax(const dg_cnn *m, const float *logits, int b, float *probs)
{
    const int K = m->cfg.n_classes;
    const float invT = 1.0f / m->post.temperature;
    float z[64];
    for (int i = 0; i < b; i++) {
        for (int k = 0; k < K; k++)
            z[k] = logits[(long)i * K + k] * invT + m->post.logit_bias[k];
        dg_softmax(z, 1, K, probs + (long)i * K);
    }
}

void dg_cnn_predict(dg_cnn *m, dg_ctx *ctx, const float *x, int n, bool tta, float *probs)
{
    const int K = m->cfg.n_classes, S = m->cfg.size, MB = dg_net_max_batch(m->net);
    const long img = 3L * S * S;
    float *buf = tta ? g_new(float, (long)MB * img) : NULL, *p = g_new(float, (long)MB * K);
    for (int i0 = 0; i0 < n; i0 += MB) {
        const int b = MIN(MB, n - i0);
        const float *in = model_input(m, x + i0 * img, b);
        float *out = probs + (long)i0 * K;
        if (!tta) {
            dg_net_forward(m->net, ctx, in, NULL, b, false);
            calibrated_softmax(m, dg_net_output(m->net), b, out);
            continue;
        }
        memset(out, 0, sizeof(float) * b * K);
        for (int t = 0; t < 8; t++) {
            for (int i = 0; i < b; i++)
                dihedral(in + i * img, buf + i * img, S, t);
            dg_net_forward(m->net, ctx, buf, NULL, b, false);
            calibrated_softmax(m, dg_net_output(m->net), b, p);
            for (long k = 0; k < (long)b * K; k++)
                out[k] += p[k] / 8.0f;
        }
    }
    g_free(buf);
    g_free(p);
}

void dg_cnn_logits(dg_cnn *m, dg_ctx *ctx, const float *x, int n, float *logits)
{
    const int K = m->cfg.n_classes, S = m->cfg.size, MB = dg_net_max_batch(m->net);
    const long img = 3L * S * S;
    for (int i0 = 0; i0 < n; i0 += MB) {
        const int b = MIN(MB, n - i0);
        dg_net_forward(m->net, ctx, model_input(m, x + i0 * img, b), NULL, b, false);
        memcpy(logits + (long)i0 * K, dg_net_output(m->net), sizeof(float) * b * K);
    }
}

int dg_cnn_feature_dim(const dg_cnn *m)
{
    return (int)dg_net_node_size(m->net, m->feature_node);
}

void dg_cnn_features(dg_cnn *m, dg_ctx *ctx, const float *x, int n, float *features)
{
    const int S = m->cfg.size, MB = dg_net_max_batch(m->net), D = dg_cnn_feature_dim(m);
    const long img = 3L * S * S;
    for (int i0 = 0; i0 < n; i0 += MB) {
        int b = MIN(MB, n - i0);
        dg_net_forward(m->net, ctx, model_input(m, x + i0 * img, b), NULL, b, false);
        memcpy(features + (long)i0 * D, dg_net_node_out(m->net, m->feature_node),
               sizeof(float) * b * D);
    }
}

void dg_cnn_gradcam(dg_cnn *m, dg_ctx *ctx, const float *x, int cls, float *cam, float *probs)
{
    const int K = m->cfg.n_classes, S = m->cfg.size;
    dg_net_forward(m->net, ctx, model_input(m, x, 1), NULL, 1, false);
    if (probs)
        calibrated_softmax(m, dg_net_output(m->net), 1, probs);
    float *d = g_new0(float, K);
    d[cls] = 1.0f; /* gradient of the class score (logit) */
    dg_net_backward_to(m->net, ctx, d, m->cam_node);
    g_free(d);
    int C, h, w;
    dg_net_node_shape(m->net, m->cam_node, &C, &h, &w);
    const float *A = dg_net_node_out(m->net, m->cam_node);
    const float *G = dg_net_node_grad(m->net, m->cam_node);
    float *map = g_new0(float, h * w);
    for (int c = 0; c < C; c++) {
        double a = 0.0;
        for (int i = 0; i < h * w; i++)
            a += G[c * h * w + i];
        a /= h * w;
        for (int i = 0; i < h * w; i++)
            map[i] += (float)a * A[c * h * w + i];
    }
    float mx = 0.0f;
    for (int i = 0; i < h * w; i++) {
        map[i] = map[i] > 0 ? map[i] : 0.0f;
        mx = map[i] > mx ? map[i] : mx;
    }
    /* bilinear upsampling, pixel centres aligned */
    for (int y = 0; y < S; y++)
        for (int xx = 0; xx < S; xx++) {
            float fy = (y + 0.5f) * h / S - 0.5f, fx = (xx + 0.5f) * w / S - 0.5f;
            int y0 = (int)floorf(fy), x0 = (int)floorf(fx);
            float ty = fy - y0, tx = fx - x0;
            int y1 = MIN(y0 + 1, h - 1), x1 = MIN(x0 + 1, w - 1);
            y0 = MAX(y0, 0), x0 = MAX(x0, 0);
            float v = (1 - ty) * ((1 - tx) * map[y0 * w + x0] + tx * map[y0 * w + x1]) +
                      ty * ((1 - tx) * map[y1 * w + x0] + tx * map[y1 * w + x1]);
            cam[y * S + xx] = mx > 0 ? v / mx : 0.0f;
        }
    g_free(map);
}

/* A perceptual colour map (inferno-like), t in [0, 1]. */
static void colormap(float t, float rgb[3])
{
    static const float stops[6][3] = {{0.00f, 0.00f, 0.02f}, {0.26f, 0.04f, 0.41f},
                                      {0.58f, 0.15f, 0.40f}, {0.87f, 0.32f, 0.23f},
                                      {0.99f, 0.64f, 0.04f}, {0.99f, 1.00f, 0.64f}};
    t = t < 0 ? 0 : (t > 1 ? 1 : t);
    float f = t * 5.0f;
    int i = (int)f;
    if (i >= 5)
        i = 4;
    float u = f - i;
    for (int k = 0; k < 3; k++)
        rgb[k] = stops[i][k] * (1 - u) + stops[i + 1][k] * u;
}

uint8_t *dg_cam_overlay(const uint8_t *rgb, int w, int h, const float *cam, int cs, float alpha)
{
    uint8_t *out = g_new(uint8_t, (long)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            /* nearest sample of the (small) map with bilinear weights */
            float fy = (y + 0.5f) * cs / h - 0.5f, fx = (x + 0.5f) * cs / w - 0.5f;
            int y0 = (int)floorf(fy), x0 = (int)floorf(fx);
            float ty = fy - y0, tx = fx - x0;
            int y1 = MIN(y0 + 1, cs - 1), x1 = MIN(x0 + 1, cs - 1);
            y0 = MAX(y0, 0), x0 = MAX(x0, 0);
            float v = (1 - ty) * ((1 - tx) * cam[y0 * cs + x0] + tx * cam[y0 * cs + x1]) +
                      ty * ((1 - tx) * cam[y1 * cs + x0] + tx * cam[y1 * cs + x1]);
            float c[3];
            colormap(v, c);
            /* stronger where the map is hot, the photo shows through elsewhere */
            float a = alpha * (0.25f + 0.75f * v);
            for (int k = 0; k < 3; k++) {
                float o = (1 - a) * rgb[((long)y * w + x) * 3 + k] + a * 255.0f * c[k];
                out[((long)y * w + x) * 3 + k] = (uint8_t)(o + 0.5f);
            }
        }
    return out;
}

/* ---- class subsets ------------------------------------------------------------ */

dg_cnn *dg_cnn_new_subset(const dg_cnn *src, int n, const int *classes, int max_batch)
{
    dg_cnn_config cfg = src->cfg;
    cfg.n_classes = n;
    const char **ids = g_new0(const char *, n + 1), **names = g_new0(const char *, n + 1);
    for (int k = 0; k < n; k++) {
        g_return_val_if_fail(classes[k] >= 0 && classes[k] < src->cfg.n_classes, NULL);
        ids[k] = src->class_ids[classes[k]];
        names[k] = src->class_names[classes[k]];
    }
    dg_cnn *m = dg_cnn_new(&cfg, max_batch, ids, names);
    g_free(ids);
    g_free(names);
    dg_cnn_copy_subset(m, src, classes);
    return m;
}

void dg_cnn_copy_subset(dg_cnn *dst, const dg_cnn *src, const int *classes)
{
    dg_net *d = dst->net, *s = src->net;
    const int out = dg_net_output_node(s);
    char prefix[8];
    g_snprintf(prefix, sizeof prefix, "%02d.", out);
    g_return_if_fail(dg_net_n_tensors(d) == dg_net_n_tensors(s));
    for (int i = 0; i < dg_net_n_tensors(s); i++) {
        const dg_tensor *ts = dg_net_tensor(s, i), *td = dg_net_tensor(d, i);
        const float *from = dg_net_tensor_data(s, i);
        float *to = dg_net_tensor_data(d, i);
        if (!g_str_has_prefix(ts->name, prefix)) {
            g_return_if_fail(ts->n == td->n);
            memcpy(to, from, sizeof(float) * ts->n);
            continue;
        }
        /* the last dense layer: weight [K, D] and bias [K], rows picked */
        const long row = ts->n / ts->shape[0];
        for (int k = 0; k < dst->cfg.n_classes; k++)
            memcpy(to + k * row, from + classes[k] * row, sizeof(float) * row);
    }
}

/* ---- ensembles ---------------------------------------------------------------- */

static gboolean same_member(const dg_cnn *a, const dg_cnn *b)
{
    if (strcmp(a->cfg.arch, b->cfg.arch) != 0 || a->cfg.size != b->cfg.size ||
        a->cfg.width != b->cfg.width || a->cfg.color_p != b->cfg.color_p ||
        a->cfg.n_classes != b->cfg.n_classes || a->cfg.members > 1 || b->cfg.members > 1)
        return FALSE;
    for (int k = 0; k < a->cfg.n_classes; k++)
        if (g_strcmp0(a->class_ids[k], b->class_ids[k]) != 0)
            return FALSE;
    return TRUE;
}

dg_cnn *dg_cnn_new_ensemble(dg_cnn *const *models, int n, int max_batch, GError **error)
{
    if (n < 2 || n > DG_CNN_MAX_MEMBERS) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "an ensemble takes 2 to %d models, not %d", DG_CNN_MAX_MEMBERS, n);
        return NULL;
    }
    for (int i = 1; i < n; i++)
        if (!same_member(models[0], models[i])) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "model %d of the ensemble differs from the first (architecture, image "
                        "size, width, colour constancy and classes must be the same, and no "
                        "member may be an ensemble itself)",
                        i + 1);
            return NULL;
        }
    dg_cnn_config cfg = models[0]->cfg;
    cfg.members = n;
    dg_cnn *e = dg_cnn_new(&cfg, max_batch, (const char *const *)models[0]->class_ids,
                           (const char *const *)models[0]->class_names);
    /* each member's tensors before its output layer, in order, then the
     * output layer: weight [K, n * D] = [W_1 ... W_n] / n, bias the mean */
    dg_net *en = e->net;
    const int T = dg_net_n_tensors(models[0]->net);
    char prefix[16];
    g_snprintf(prefix, sizeof prefix, "%02d.", dg_net_output_node(models[0]->net));
    int body = 0;
    while (body < T && !g_str_has_prefix(dg_net_tensor(models[0]->net, body)->name, prefix))
        body++;
    if (dg_net_n_tensors(en) != n * body + (T - body))
        goto mismatch;
    const int K = cfg.n_classes;
    const long D = dg_net_node_size(models[0]->net, models[0]->feature_node);
    for (int i = 0; i < n; i++) {
        dg_net *mn = models[i]->net;
        for (int t = 0; t < body; t++) {
            const dg_tensor *ts = dg_net_tensor(mn, t), *td = dg_net_tensor(en, i * body + t);
            if (ts->n != td->n || ts->trainable != td->trainable)
                goto mismatch;
            memcpy(dg_net_tensor_data(en, i * body + t), dg_net_tensor_data(mn, t),
                   sizeof(float) * ts->n);
        }
        for (int t = body; t < T; t++) {
            const dg_tensor *ts = dg_net_tensor(mn, t);
            const float *from = dg_net_tensor_data(mn, t);
            float *to = dg_net_tensor_data(en, n * body + (t - body));
            if (ts->n == (long)K * D) { /* weight */
                for (int k = 0; k < K; k++)
                    for (long j = 0; j < D; j++)
                        to[k * n * D + i * D + j] = from[k * D + j] / n;
            } else if (ts->n == K) { /* bias */
                for (int k = 0; k < K; k++)
                    to[k] = (i == 0 ? 0.0f : to[k]) + from[k] / n;
            } else {
                goto mismatch;
            }
        }
    }
    return e;
mismatch: /* not expected: the members' nets are built by the same code */
    g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                "the ensemble's network does not match its members' tensors");
    dg_cnn_free(e);
    return NULL;
}

/* ---- files ---------------------------------------------------------------------- */

gboolean dg_cnn_save(dg_cnn *m, const char *path, GHashTable *extra_meta, GError **error)
{
    if (!dg_model_check_finite(m->net, "the classifier", error)) {
        g_prefix_error(error, "not saving %s: ", path);
        return FALSE;
    }
    dg_st_writer *w = dg_st_writer_new();
    dg_net_write(w, m->net, "", FALSE);
    char *cfg = dg_cnn_config_to_json(&m->cfg);
    dg_st_writer_set_metadata(w, "format", "dermagan-classifier");
    dg_st_writer_set_metadata(w, "format_version", DG_MODEL_FORMAT_VERSION);
    dg_st_writer_set_metadata(w, "classifier", cfg);
    dg_model_write_common(w, (const char *const *)m->class_ids,
                          (const char *const *)m->class_names, m->cfg.n_classes, m->cfg.size);
    char *post_strings[8] = {NULL};
    dg_cnn_post_write(m, w, post_strings);
    if (extra_meta) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, extra_meta);
        while (g_hash_table_iter_next(&it, &k, &v))
            dg_st_writer_set_metadata(w, k, v);
    }
    gboolean ok = dg_st_writer_save(w, path, error);
    dg_st_writer_free(w);
    g_free(cfg);
    for (int i = 0; i < 8; i++)
        g_free(post_strings[i]);
    return ok;
}

dg_cnn *dg_cnn_load(const char *path, int max_batch, GError **error)
{
    dg_st *st = dg_st_load(path, error);
    if (!st)
        return NULL;
    dg_cnn *m = NULL;
    char **ids = NULL, **names = NULL;
    dg_cnn_config cfg;
    if (g_strcmp0(dg_st_metadata(st, "format"), "dermagan-classifier") != 0) {
        g_autofree char *q = dg_st_quoted(dg_st_metadata(st, "format"));
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_FORMAT,
                    "not a DermaGAN classifier model (format %s)", q);
        goto fail;
    }
    if (!dg_cnn_config_from_json(&cfg, dg_st_metadata(st, "classifier"), error) ||
        !dg_model_read_common(st, cfg.size, cfg.n_classes, &ids, &names, error) ||
        !dg_cnn_config_check_memory(&cfg, max_batch, error))
        goto fail;
    m = dg_cnn_new(&cfg, max_batch, (const char *const *)ids, (const char *const *)names);
    if (!dg_net_read(st, m->net, "", FALSE, error) || !dg_cnn_post_read(m, st, error)) {
        dg_cnn_free(m);
        m = NULL;
        goto fail;
    }
    g_strfreev(ids);
    g_strfreev(names);
    dg_st_free(st);
    return m;
fail:
    g_prefix_error(error, "%s: ", path);
    g_strfreev(ids);
    g_strfreev(names);
    dg_st_free(st);
    return NULL;
}

/* dg-gan-config.c: the configuration of dg-gan.h: the presets, the
 * "gan" metadata of model files (to and from JSON), validation and the
 * memory check.  The model itself (training step, sampling, files) is in
 * dg-gan.c, the networks in dg-gan-nets.c. */
#include "dg-gan-private.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/dg-checkpoint.h"
#include "data/dg-json.h"
#include "models/dg-model-file.h"
#include "numerics/dg-loss.h"


const char *dg_gan_loss_name(dg_gan_loss l)
{
    return l == DG_GAN_LOSS_HINGE ? "hinge" : "bce";
}

const char *dg_gan_arch_name(dg_gan_arch a)
{
    return a == DG_GAN_ARCH_RESNET ? "resnet" : "dcgan";
}

static gboolean parse_arch(const char *s, dg_gan_arch *a)
{
    if (g_strcmp0(s, "resnet") == 0)
        *a = DG_GAN_ARCH_RESNET;
    else if (g_strcmp0(s, "dcgan") == 0)
        *a = DG_GAN_ARCH_DCGAN;
    else
        return FALSE;
    return TRUE;
}

/* ---- configuration ---------------------------------------------------------- */

/* The presets: each starts from the class-conditional base below and
 * changes what differs. */
static void base_conditional(dg_gan_config *c)
{
    c->conditional = true;
    c->nz = 128;
    c->ngf = c->ndf = 48;
    c->lr_g = c->lr_d = 2e-4f;
    c->batch = 64;
    c->ema = 0.999f;
    dg_diffaug_parse("color,translation,cutout", &c->diffaug);
    c->balanced = true;
    c->upsample_conv = true;
}

/* The residual pair for small data: BigGAN-style G blocks with
 * class-conditional BN and nearest upsampling, an SNGAN-style D with
 * spectral normalization, average-pool downsampling and no batch norm,
 * hinge loss, LeCam regularization, DiffAugment, EMA generator. */
static void base_resnet(dg_gan_config *c)
{
    base_conditional(c);
    c->up_bilinear = true;
    c->g_arch = c->d_arch = DG_GAN_ARCH_RESNET;
    c->d_sn = true;
    c->loss = DG_GAN_LOSS_HINGE;
    c->lecam = 0.3f;
    c->beta1 = 0.0f;
    c->beta2 = 0.999f;
    c->lr_g = 2e-4f;
    c->lr_d = 2e-4f;
}

/* An experiment's recipe from its name without the "x-":
 * <g>-<d>-<width>[-<ndf>[-<lecam>[-<spectral>[-<bins>[-<aux>[t]]]]]] (see below). */
static void x_preset(dg_gan_config *c, const char *spec)
{
    char **p = g_strsplit(spec, "-", -1);
    base_resnet(c);
    if (g_strv_length(p) >= 3) {
        /* resnetr: resnet G with reflection padding; resnetrn: the same with nearest upsampling */
        /* resnetrc: reflection + coordinates; resnetm(c): reflection only up to 8x8;
         * a final z: noise injection (resnetz, resnetrcz, ...); a final y: noise
         * only below the output resolution (resnetrcy) */
        size_t len = strlen(p[0]);
        c->g_noise = len > 6 && (p[0][len - 1] == 'z' || p[0][len - 1] == 'y');
        c->g_noise_low = c->g_noise && p[0][len - 1] == 'y';
        if (c->g_noise)
            p[0][--len] = '\0';
        c->g_reflect = g_str_has_prefix(p[0], "resnetr") || g_str_has_prefix(p[0], "resnetm");
        c->g_reflect_low = g_str_has_prefix(p[0], "resnetm");
        c->g_coords = c->g_reflect && g_str_has_suffix(p[0], "c");
        c->up_bilinear = c->up_bilinear && strcmp(p[0], "resnetrn") != 0;
        if (!c->g_reflect)
            parse_arch(p[0], &c->g_arch);
        c->d_arch = strcmp(p[1], "rd") == 0 ? DG_GAN_ARCH_RESNET : DG_GAN_ARCH_DCGAN;
        c->d_avgpool = strcmp(p[1], "ap") == 0 || strcmp(p[1], "apr") == 0;
        c->d_act_pool = strcmp(p[1], "apr") == 0;
        c->d_sn = strcmp(p[1], "bn") != 0;
        if (!c->d_sn) {
            c->loss = DG_GAN_LOSS_BCE;
            c->lecam = 0.0f;
            c->beta1 = 0.5f;
        }
        c->ngf = c->ndf = atoi(p[2]);
        if (g_strv_length(p) >= 4)
            c->ndf = atoi(p[3]);
        if (g_strv_length(p) >= 5)
            c->lecam = (float)g_ascii_strtod(p[4], NULL);
        if (g_strv_length(p) >= 6)
            c->spectral = (float)g_ascii_strtod(p[5], NULL);
        /* a seventh part "2d": the spectral loss on the 2-D spectrum's blocks;
         * "2df": on its every frequency */
        /* a final "c" (2dc, 2dfc): per class */
        if (g_strv_length(p) >= 7) {
            c->spectral_per_class = g_str_has_suffix(p[6], "c") && strlen(p[6]) > 1;
            if (c->spectral_per_class)
                p[6][strlen(p[6]) - 1] = '\0';
            c->spectral_bins = strcmp(p[6], "2d") == 0 ? 1 : strcmp(p[6], "2df") == 0 ? 2 : 0;
        }
        if (g_strv_length(p) >= 8) { /* the class head's weight (AC-GAN); a final t: twin heads */
            char *end = NULL;
            c->aux = (float)g_ascii_strtod(p[7], &end);
            c->aux_twin = end && strcmp(end, "t") == 0;
        }
    }
    g_strfreev(p);
}

bool dg_gan_config_same_networks(const dg_gan_config *a, const dg_gan_config *b,
                                 const char **why)
{
    const char *w = NULL;
#define DIFF(f, name) if (!w && a->f != b->f) w = name
    DIFF(size, "image size");
    DIFF(n_classes, "number of classes");
    DIFF(conditional, "conditioning");
    DIFF(nz, "latent size");
    DIFF(ngf, "generator width");
    DIFF(ndf, "discriminator width");
    DIFF(g_arch, "generator architecture");
    DIFF(d_arch, "discriminator architecture");
    DIFF(upsample_conv, "generator upsampling");
    DIFF(up_bilinear, "generator upsampling");
    DIFF(g_reflect, "generator padding");
    DIFF(g_reflect_low, "generator padding");
    DIFF(g_coords, "generator centre channel");
    DIFF(g_noise, "generator noise");
    DIFF(g_noise_low, "generator noise");
    DIFF(d_sn, "discriminator normalization");
    DIFF(d_avgpool, "discriminator downsampling");
    DIFF(d_act_pool, "discriminator downsampling");
#undef DIFF
    if (!w && (a->aux > 0) != (b->aux > 0))
        w = "discriminator class head";
    if (!w && (a->aux > 0 && a->aux_twin) != (b->aux > 0 && b->aux_twin))
        w = "discriminator twin class head";
    if (why)
        *why = w;
    return w == NULL;
}

gboolean dg_gan_config_preset(dg_gan_config *c, const char *preset, int n_classes,
                              GError **error)
{
    memset(c, 0, sizeof *c);
    c->size = 64;
    c->n_classes = n_classes;
    c->beta1 = 0.5f;
    c->beta2 = 0.999f;
    c->loss = DG_GAN_LOSS_BCE;
    if (!preset)
        preset = "default";
    if (strcmp(preset, "default") == 0) {
        /* the bundled generator's recipe (README): a residual G with reflection
         * padding, a centre channel and noise below 64x64; a plain SN
         * average-pooling D (1.6x the speed of the residual D); hinge + LeCam
         * 0.3; the spectral loss on the 2-D spectrum, per class */
        x_preset(c, "resnetrcy-ap-24-32-0.3-1-2dc");
        c->steps = 6000;
    } else if (strcmp(preset, "large") == 0) {
        base_resnet(c);
        c->ngf = 32;
        c->ndf = 32;
        c->steps = 30000;
    } else if (strcmp(preset, "dcgan") == 0) {
        /* the DCGAN pair of DermaGAN 0.1 (nearest upsampling + 3x3 conv in G,
         * 4x4 stride-2 convolutions with BN in D, BCE): for comparison */
        base_conditional(c);
        c->steps = 4000;
    } else if (strcmp(preset, "seed") == 0) {
        /* the original notebook: per-class DCGAN, latent 512, Adam 1e-4 / 0.5, batch 16 */
        c->conditional = false;
        c->nz = 512;
        c->ngf = c->ndf = 64;
        c->lr_g = c->lr_d = 1e-4f;
        c->batch = 16;
        c->steps = 20000;
    } else if (strcmp(preset, "tiny") == 0) {
        /* for tests: 32x32, narrow, fast */
        base_conditional(c);
        c->size = 32;
        c->nz = 16;
        c->ngf = c->ndf = 8;
        c->batch = 8;
        c->ema = 0.99f;
        c->upsample_conv = false;
        c->steps = 20;
    } else if (strcmp(preset, "tiny-resnet") == 0) {
        base_resnet(c);
        c->size = 32;
        c->nz = 16;
        c->ngf = c->ndf = 4;
        c->batch = 8;
        c->ema = 0.99f;
        c->steps = 20;
    } else if (g_str_has_prefix(preset, "x-")) {
        x_preset(c, preset + 2); /* experiments (not shipped) */
        c->steps = 8000;
    } else {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID, "unknown GAN preset '%s' (default, large, dcgan, seed)",
                    preset);
        return FALSE;
    }
    g_strlcpy(c->preset, preset, sizeof c->preset);
    if (n_classes < 1 || n_classes > DG_GAN_MAX_CLASSES) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID, "a GAN takes 1 to %d classes, not %d", DG_GAN_MAX_CLASSES,
                    n_classes);
        return FALSE;
    }
    return TRUE;
}

char *dg_gan_config_to_json(const dg_gan_config *c)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
#define S(k, v) json_builder_set_member_name(b, k), json_builder_add_string_value(b, v)
#define I(k, v) json_builder_set_member_name(b, k), json_builder_add_int_value(b, v)
#define D(k, v) json_builder_set_member_name(b, k), json_builder_add_double_value(b, v)
#define B(k, v) json_builder_set_member_name(b, k), json_builder_add_boolean_value(b, v)
    char aug[64];
    dg_diffaug_format(&c->diffaug, aug, sizeof aug);
    S("model", "dcgan");
    S("preset", c->preset);
    I("size", c->size);
    I("n_classes", c->n_classes);
    B("conditional", c->conditional);
    I("nz", c->nz);
    I("ngf", c->ngf);
    I("ndf", c->ndf);
    S("loss", dg_gan_loss_name(c->loss));
    D("lr_g", c->lr_g);
    D("lr_d", c->lr_d);
    D("beta1", c->beta1);
    D("beta2", c->beta2);
    I("batch", c->batch);
    D("ema", c->ema);
    S("diffaug", aug);
    B("balanced", c->balanced);
    I("steps", c->steps);
    S("g_upsample", !c->upsample_conv ? "convt" : c->up_bilinear ? "bilinear" : "nearest");
    S("g_arch", dg_gan_arch_name(c->g_arch));
    if (c->g_reflect)
        S("g_padding", c->g_reflect_low ? "reflect-low" : "reflect");
    if (c->g_coords)
        B("g_coords", true);
    if (c->g_noise)
        B("g_noise", true);
    if (c->g_noise_low)
        B("g_noise_low", true);
    S("d_arch", dg_gan_arch_name(c->d_arch));
    B("d_sn", c->d_sn);
    B("d_avgpool", c->d_avgpool);
    B("d_act_pool", c->d_act_pool);
    D("lecam", c->lecam);
    if (c->spectral > 0)
        D("spectral", c->spectral);
    if (c->spectral > 0 && c->spectral_bins > 0)
        S("spectral_bins", c->spectral_bins == 1 ? "blocks" : "frequencies");
    if (c->spectral > 0 && c->spectral_per_class)
        B("spectral_per_class", true);
    if (c->aux > 0)
        D("aux_class", c->aux);
    if (c->aux > 0 && c->aux_twin)
        B("aux_twin", true);
#undef S
#undef I
#undef D
#undef B
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *s = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    return s;
}

/* Members of the "gan" metadata object; absent or mistyped members give
 * the default (numbers are clamped before they are converted, so that a
 * hostile 1e300 is just out of range, not undefined behaviour). */
static double num_member(JsonObject *o, const char *k, double def)
{
    JsonNode *n = json_object_get_member(o, k);
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return def;
    GType t = json_node_get_value_type(n);
    if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
        return def;
    double v = json_node_get_double(n);
    return isfinite(v) ? CLAMP(v, -1e9, 1e9) : def;
}

static const char *str_member(JsonObject *o, const char *k, const char *def)
{
    JsonNode *n = json_object_get_member(o, k);
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : def;
}

static bool bool_member(JsonObject *o, const char *k)
{
    JsonNode *n = json_object_get_member(o, k);
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
           json_node_get_boolean(n);
}

gboolean dg_gan_config_from_json(dg_gan_config *c, const char *json, GError **error)
{
    memset(c, 0, sizeof *c);
    GError *jerr = NULL;
    JsonNode *root = json ? dg_json_parse_bounded(json, -1, DG_JSON_MAX_DEPTH, &jerr) : NULL;
    if (jerr) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "GAN model file: the 'gan' metadata: %s", jerr->message);
        g_error_free(jerr);
        return FALSE;
    }
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        if (root)
            json_node_unref(root);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "GAN model file: the 'gan' metadata is not a JSON object");
        return FALSE;
    }
    JsonObject *o = json_node_get_object(root);
    gboolean ok = TRUE;
    g_strlcpy(c->preset, str_member(o, "preset", "custom"), sizeof c->preset);
    c->size = (int)num_member(o, "size", 0);
    c->n_classes = (int)num_member(o, "n_classes", 0);
    c->nz = (int)num_member(o, "nz", 0);
    c->ngf = (int)num_member(o, "ngf", 0);
    c->ndf = (int)num_member(o, "ndf", 0);
    c->conditional = bool_member(o, "conditional");
    c->loss = g_strcmp0(str_member(o, "loss", "bce"), "hinge") == 0 ? DG_GAN_LOSS_HINGE
                                                                      : DG_GAN_LOSS_BCE;
    c->lr_g = (float)num_member(o, "lr_g", 2e-4);
    c->lr_d = (float)num_member(o, "lr_d", 2e-4);
    c->beta1 = (float)num_member(o, "beta1", 0.5);
    c->beta2 = (float)num_member(o, "beta2", 0.999);
    c->batch = (int)num_member(o, "batch", 64);
    c->ema = (float)num_member(o, "ema", 0.0);
    c->steps = (int)num_member(o, "steps", 0);
    c->balanced = bool_member(o, "balanced");
    const char *ups = str_member(o, "g_upsample", "convt");
    c->up_bilinear = strcmp(ups, "bilinear") == 0;
    c->upsample_conv = strcmp(ups, "nearest") == 0 || c->up_bilinear;
    if (!c->upsample_conv && strcmp(ups, "convt") != 0) {
        g_autofree char *q = dg_st_quoted(ups);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "GAN model file: unknown generator upsampling %s", q);
        ok = FALSE;
    }
    /* files written before the residual networks: DCGAN, batch-norm D */
    const char *gas = str_member(o, "g_arch", "dcgan"), *das = str_member(o, "d_arch", "dcgan");
    if (ok && (!parse_arch(gas, &c->g_arch) || !parse_arch(das, &c->d_arch))) {
        g_autofree char *qg = dg_st_quoted(gas), *qd = dg_st_quoted(das);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "GAN model file: unknown network family %s / %s (dcgan, resnet)", qg, qd);
        ok = FALSE;
    }
    const char *gpad = str_member(o, "g_padding", "zeros");
    c->g_reflect_low = strcmp(gpad, "reflect-low") == 0;
    c->g_reflect = c->g_reflect_low || strcmp(gpad, "reflect") == 0;
    if (ok && (!c->g_reflect && strcmp(gpad, "zeros") != 0)) {
        g_autofree char *q = dg_st_quoted(gpad);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "GAN model file: unknown generator padding %s (zeros, reflect, reflect-low)", q);
        ok = FALSE;
    }
    c->g_coords = bool_member(o, "g_coords");
    c->g_noise = bool_member(o, "g_noise");
    c->g_noise_low = c->g_noise && bool_member(o, "g_noise_low");
    c->d_sn = bool_member(o, "d_sn");
    c->d_avgpool = bool_member(o, "d_avgpool");
    c->d_act_pool = c->d_avgpool && bool_member(o, "d_act_pool");
    c->lecam = (float)num_member(o, "lecam", 0.0);
    c->spectral = (float)num_member(o, "spectral", 0.0);
    const char *bins = str_member(o, "spectral_bins", "rings");
    c->spectral_bins = strcmp(bins, "blocks") == 0 ? 1 : strcmp(bins, "frequencies") == 0 ? 2 : 0;
    c->spectral_per_class = bool_member(o, "spectral_per_class");
    c->aux = (float)num_member(o, "aux_class", 0.0);
    c->aux_twin = bool_member(o, "aux_twin");
    if (ok && c->spectral_bins == 0 && strcmp(bins, "rings") != 0) {
        g_autofree char *q = dg_st_quoted(bins);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "GAN model file: unknown spectral loss bins %s (rings, blocks, frequencies)", q);
        ok = FALSE;
    }
    const char *aug = str_member(o, "diffaug", "");
    if (ok && !dg_diffaug_parse(aug, &c->diffaug)) {
        g_autofree char *q = dg_st_quoted(aug);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "GAN model file: unknown DiffAugment policy %s", q);
        ok = FALSE;
    }
    json_node_unref(root);
    return ok && dg_gan_config_validate(c, error);
}

gboolean dg_gan_config_validate(const dg_gan_config *c, GError **error)
{
#define RANGE(cond, ...)                                                                     \
    if (!(cond)) {                                                                            \
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID, "GAN: " __VA_ARGS__);     \
        return FALSE;                                                                         \
    }
    RANGE(c->size == 32 || c->size == 64 || c->size == 128, "image size %d is not 32, 64 or 128",
          c->size);
    RANGE(c->n_classes >= 1 && c->n_classes <= DG_GAN_MAX_CLASSES,
          "%d classes (1 to %d are allowed)", c->n_classes, DG_GAN_MAX_CLASSES);
    RANGE(c->nz >= 1 && c->nz <= DG_GAN_MAX_NZ, "latent size %d is out of range (1 to %d)", c->nz,
          DG_GAN_MAX_NZ);
    RANGE(c->ngf >= 1 && c->ngf <= DG_GAN_MAX_WIDTH && c->ndf >= 1 && c->ndf <= DG_GAN_MAX_WIDTH,
          "width ngf %d / ndf %d is out of range (1 to %d)", c->ngf, c->ndf, DG_GAN_MAX_WIDTH);
    RANGE(c->batch >= 1 && c->batch <= DG_DIFFAUG_MAX_BATCH, "batch %d is out of range (1 to %d)",
          c->batch, DG_DIFFAUG_MAX_BATCH);
    RANGE(c->lr_g > 0 && c->lr_g <= 1 && c->lr_d > 0 && c->lr_d <= 1,
          "learning rates %g / %g are out of range (above 0, at most 1)", c->lr_g, c->lr_d);
    RANGE(c->beta1 >= 0 && c->beta1 < 1 && c->beta2 >= 0 && c->beta2 < 1,
          "Adam betas %g / %g are out of range (0 to below 1)", c->beta1, c->beta2);
    RANGE(c->ema >= 0 && c->ema < 1, "EMA decay %g is out of range (0 to below 1)", c->ema);
    RANGE(c->lecam >= 0 && c->lecam <= 100, "LeCam weight %g is out of range (0 to 100)", c->lecam);
    RANGE(c->spectral >= 0 && c->spectral <= 100,
          "spectral loss weight %g is out of range (0 to 100)", c->spectral);
    RANGE(c->aux >= 0 && c->aux <= 100, "class head weight %g is out of range (0 to 100)",
          c->aux);
    RANGE(c->aux == 0 || c->conditional, "a class head needs a class-conditional GAN");
    RANGE(!c->aux_twin || c->aux > 0, "a twin class head needs a class head (a weight above 0)");
    RANGE(c->steps >= 0 && c->steps <= DG_GAN_MAX_STEPS, "%d steps is out of range (0 to %d)",
          c->steps, DG_GAN_MAX_STEPS);
#undef RANGE
    return TRUE;
}

gboolean dg_gan_config_check_memory(const dg_gan_config *c, int max_batch, bool training,
                                    bool with_d, GError **error)
{
    if (max_batch < 1 || max_batch > DG_DIFFAUG_MAX_BATCH) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "GAN: batch %d is out of range (1 to %d)", max_batch, DG_DIFFAUG_MAX_BATCH);
        return FALSE;
    }
    dg_net *G = dg_gan_graph_g(c, max_batch);
    guint64 bytes = dg_model_net_bytes(G) * (training && c->ema > 0 ? 2 : 1);
    dg_net_free(G);
    if (training || with_d) {
        dg_net *D = dg_gan_graph_d(c, max_batch);
        bytes += dg_model_net_bytes(D);
        dg_net_free(D);
        bytes += 4ull * 4ull * 3ull * c->size * c->size * (guint64)max_batch; /* step buffers */
    }
    const int pairs = c->conditional ? 1 : c->n_classes;
    return dg_model_check_bytes("this GAN", bytes * (guint64)pairs, error);
}

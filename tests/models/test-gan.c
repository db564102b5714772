/* test-gan: DiffAugment's backward is its forward's transpose; a tiny
 * conditional GAN learns to tell its classes apart; model files round-trip
 * and malformed ones are refused. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "models/dg-checkpoint.h"
#include "models/dg-diffaug.h"
#include "models/dg-gan.h"
#include "numerics/dg-spectral.h"

static double dot(const float *a, const float *b, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

static void test_diffaug_adjoint(void)
{
    const char *policies[] = {"color", "translation", "cutout", "color,translation,cutout"};
    const int B = 5, S = 16;
    const long n = (long)B * 3 * S * S;
    float *x = g_new(float, n), *y = g_new(float, n), *ax = g_new(float, n), *a0 = g_new(float, n),
          *aty = g_new(float, n), *zero = g_new0(float, n);
    dg_rng r;
    dg_rng_seed(&r, 1);
    for (size_t k = 0; k < G_N_ELEMENTS(policies); k++) {
        dg_diffaug_policy p;
        g_assert_true(dg_diffaug_parse(policies[k], &p));
        dg_diffaug_params prm;
        dg_diffaug_sample(&p, &r, B, S, S, &prm);
        for (long i = 0; i < n; i++) {
            x[i] = 2.0f * dg_rng_uniform(&r) - 1.0f;
            y[i] = dg_rng_normal(&r);
        }
        /* the linear part L(x) = aug(x) - aug(0) must satisfy <L x, y> = <x, L^T y> */
        dg_diffaug_forward(&prm, ax, x);
        dg_diffaug_forward(&prm, a0, zero);
        for (long i = 0; i < n; i++)
            ax[i] -= a0[i];
        dg_diffaug_backward(&prm, aty, y);
        double lhs = dot(ax, y, n), rhs = dot(x, aty, n);
        g_test_message("%s: <Lx,y> = %.6f, <x,L'y> = %.6f", policies[k], lhs, rhs);
        g_assert_cmpfloat(fabs(lhs - rhs), <, 1e-3 * (1.0 + fabs(lhs)));
        /* and it changes the image */
        g_assert_cmpfloat(fabs(dot(ax, ax, n) - dot(x, x, n)), >, 1e-3);
    }
    /* unknown words are refused; "none" turns everything off */
    dg_diffaug_policy p;
    g_assert_false(dg_diffaug_parse("color,zoom", &p));
    g_assert_true(dg_diffaug_parse("none", &p));
    g_assert_false(p.color || p.translation || p.cutout);
    g_free(x), g_free(y), g_free(ax), g_free(a0), g_free(aty), g_free(zero);
}

#include "gan-test-util.h"

static double red_minus_blue(const float *img, int S)
{
    double s = 0.0;
    for (int i = 0; i < S * S; i++)
        s += img[i] - img[2 * S * S + i];
    return s / (S * S);
}

/* The spectral loss (Durall et al. 2020) in a training step: the same step
 * from the same weights with weight 0 and 1; only the second reports the
 * loss, and its generator moves differently (the term reaches G's gradient).
 * The preset's sixth part sets it; model files keep it; out of range is refused. */
static void test_spectral_step(void)
{
    dg_gan_config cfg, d;
    g_assert_true(dg_gan_config_preset(&cfg, "x-resnetrcy-ap-8-8-0.3-0.5", 2, NULL));
    g_assert_cmpfloat(cfg.spectral, ==, 0.5f);
    g_assert_cmpfloat(cfg.lecam, ==, 0.3f);
    char *js = dg_gan_config_to_json(&cfg);
    g_assert_true(dg_gan_config_from_json(&d, js, NULL));
    g_assert_cmpfloat(d.spectral, ==, 0.5f);
    g_assert_cmpint(d.spectral_bins, ==, 0);
    g_assert_null(strstr(js, "spectral_bins"));
    g_free(js);
    /* a seventh part "2d": the 2-D blocks, kept by the model file */
    g_assert_true(dg_gan_config_preset(&cfg, "x-resnetrcy-ap-8-8-0.3-0.5-2d", 2, NULL));
    g_assert_cmpint(cfg.spectral_bins, ==, 1);
    js = dg_gan_config_to_json(&cfg);
    g_assert_true(dg_gan_config_from_json(&d, js, NULL));
    g_assert_cmpint(d.spectral_bins, ==, 1);
    /* an unknown value, in place (a second "spectral_bins" is refused as a duplicate key) */
    g_assert_nonnull(strstr(js, "\"spectral_bins\":\"blocks\""));
    char **parts = g_strsplit(js, "\"spectral_bins\":\"blocks\"", 2);
    char *badbins = g_strjoinv("\"spectral_bins\":\"squares\"", parts);
    g_strfreev(parts);
    GError *berr = NULL;
    g_assert_false(dg_gan_config_from_json(&d, badbins, &berr));
    g_assert_nonnull(strstr(berr->message, "spectral loss bins"));
    g_clear_error(&berr);
    g_free(badbins), g_free(js);
    g_assert_true(dg_gan_config_preset(&cfg, "x-resnetrcy-ap-8-8-0.3-0.5-2df", 2, NULL));
    g_assert_cmpint(cfg.spectral_bins, ==, 2);
    g_assert_false(cfg.spectral_per_class);
    js = dg_gan_config_to_json(&cfg);
    g_assert_true(dg_gan_config_from_json(&d, js, NULL));
    g_assert_cmpint(d.spectral_bins, ==, 2);
    g_free(js);
    g_assert_true(dg_gan_config_preset(&cfg, "x-resnetrcy-ap-8-8-0.3-0.5-2dc", 2, NULL));
    g_assert_cmpint(cfg.spectral_bins, ==, 1);
    g_assert_true(cfg.spectral_per_class);
    js = dg_gan_config_to_json(&cfg);
    g_assert_true(dg_gan_config_from_json(&d, js, NULL));
    g_assert_true(d.spectral_per_class);
    g_free(js);
    g_assert_true(dg_gan_config_preset(&cfg, "dcgan", 2, NULL));
    js = dg_gan_config_to_json(&cfg);
    g_assert_null(strstr(js, "spectral")); /* without it, older readers see the same file */
    char *bad = g_strdup_printf("%.*s,\"spectral\":1e9}", (int)strlen(js) - 1, js);
    GError *error = NULL;
    g_assert_false(dg_gan_config_from_json(&d, bad, &error));
    g_assert_nonnull(strstr(error->message, "spectral"));
    g_clear_error(&error);
    g_free(bad), g_free(js);

    g_assert_true(dg_gan_config_preset(&cfg, "tiny", 2, NULL));
    const int B = 4, n = B * 3 * 32 * 32;
    float *x = g_new(float, n), *p[2];
    int y[4];
    dg_ctx *ctx = dg_ctx_new(1);
    for (int k = 0; k < 5; k++) { /* off, rings, blocks, frequencies, blocks per class */
        cfg.spectral = k ? 1.0f : 0.0f;
        cfg.spectral_bins = k == 4 ? 1 : k >= 2 ? k - 1 : 0;
        cfg.spectral_per_class = k == 4;
        dg_gan *gan = dg_gan_new(&cfg, B, true, false);
        g_assert_true((gan->spectral != NULL) == (k >= 1));
        if (k)
            g_assert_cmpint(dg_spectral_n_bins(gan->spectral), ==, k == 1 ? 16 : k == 3 ? 1023 : 255);
        dg_rng r;
        dg_rng_seed(&r, 21);
        dg_gan_init(gan, &r);
        make_batch(&r, x, y, B);
        dg_gan_stats st;
        g_assert_true(dg_gan_train_step(gan, ctx, &r, x, y, B, 0, &st));
        if (k)
            g_assert_cmpfloat(st.spectral, >, 0.0f);
        else
            g_assert_cmpfloat(st.spectral, ==, 0.0f);
        g_assert_true(isfinite(st.spectral) && isfinite(st.g_loss));
        if (k < 2)
            p[k] = g_memdup2(dg_net_params(gan->G[0]), sizeof(float) * dg_net_n_params(gan->G[0]));
        long np = dg_net_n_params(gan->G[0]);
        if (k == 1) {
            double diff = 0;
            for (long i = 0; i < np; i++)
                diff += fabs(p[1][i] - p[0][i]);
            g_assert_cmpfloat(diff, >, 0.0);
        }
        dg_gan_free(gan);
    }
    g_free(p[0]), g_free(p[1]), g_free(x);
    dg_ctx_free(ctx);
}

static void test_tiny_gan_learns_classes(void)
{
    dg_gan_config cfg;
    g_assert_true(dg_gan_config_preset(&cfg, "tiny", 2, NULL));
    /* colour jitter would hide the very thing the classes differ in */
    dg_diffaug_parse("translation,cutout", &cfg.diffaug);
    cfg.lr_g = cfg.lr_d = 5e-4f;
    cfg.batch = 16;
    cfg.ngf = cfg.ndf = 16;
    dg_gan *gan = dg_gan_new(&cfg, cfg.batch, true, false);
    dg_ctx *ctx = dg_ctx_new(2);
    dg_rng r;
    dg_rng_seed(&r, 5);
    dg_gan_init(gan, &r);
    float *x = g_new(float, cfg.batch * 3 * 32 * 32);
    int y[64];
    dg_gan_stats st;
    for (int step = 0; step < 800; step++) {
        make_batch(&r, x, y, cfg.batch);
        g_assert_true(dg_gan_train_step(gan, ctx, &r, x, y, cfg.batch, 0, &st));
        g_assert_true(isfinite(st.d_loss) && isfinite(st.g_loss));
        g_assert_cmpfloat(st.d_real, >=, 0.0f);
        g_assert_cmpfloat(st.d_real, <=, 1.0f);
    }
    dg_gan_refresh_stats(gan, ctx, &r, 4);
    int lab[16];
    float *out = g_new(float, 16 * 3 * 32 * 32);
    for (int i = 0; i < 16; i++)
        lab[i] = i % 2;
    dg_gan_generate(gan, ctx, &r, NULL, lab, 16, out);
    double red0 = 0, red1 = 0;
    for (int i = 0; i < 16; i++) {
        double v = red_minus_blue(out + (long)i * 3 * 32 * 32, 32);
        if (lab[i] == 0)
            red0 += v / 8;
        else
            red1 += v / 8;
        for (long k = 0; k < 3 * 32 * 32; k++)
            g_assert_true(out[i * 3 * 32 * 32 + k] >= -1.0f && out[i * 3 * 32 * 32 + k] <= 1.0f);
    }
    g_test_message("class 0 (red) red-blue %.3f, class 1 (blue) %.3f", red0, red1);
    /* real data: class 0 has red - blue = +1.2, class 1 = -1.2 */
    g_assert_cmpfloat(red0, >, 0.3);
    g_assert_cmpfloat(red1, <, -0.3);
    g_free(out);
    g_free(x);
    dg_gan_free(gan);
    dg_ctx_free(ctx);
}

static void model_roundtrip(gboolean upsample_conv)
{
    dg_gan_config cfg;
    g_assert_true(dg_gan_config_preset(&cfg, "tiny", 3, NULL));
    cfg.upsample_conv = upsample_conv;
    dg_gan *gan = dg_gan_new(&cfg, 8, true, false);
    dg_ctx *ctx = dg_ctx_new(1);
    dg_rng r;
    dg_rng_seed(&r, 9);
    dg_gan_init(gan, &r);
    float x[8 * 3 * 32 * 32];
    int y[8];
    dg_gan_stats st;
    for (int i = 0; i < 8; i++)
        y[i] = i % 3;
    for (long i = 0; i < 8L * 3 * 32 * 32; i++)
        x[i] = dg_rng_uniform(&r) * 2 - 1;
    for (int s = 0; s < 3; s++)
        dg_gan_train_step(gan, ctx, &r, x, y, 8, 0, &st);
    dg_gan_refresh_stats(gan, ctx, &r, 2);

    char *dir = g_dir_make_tmp("dg-gan-XXXXXX", NULL);
    char *path = g_build_filename(dir, "gen.safetensors", NULL);
    const char *ids[] = {"akiec", "bcc", "mel"}, *names[] = {"A", "B", "M"};
    GError *error = NULL;
    g_assert_true(dg_gan_save_model(gan, path, ids, names, true, NULL, &error));
    g_assert_no_error(error);

    char **lids = NULL, **lnames = NULL;
    dg_gan *back = dg_gan_load_model(path, 8, &lids, &lnames, &error);
    g_assert_no_error(error);
    g_assert_nonnull(back);
    g_assert_cmpstr(lids[2], ==, "mel");
    g_assert_cmpstr(lnames[1], ==, "B");
    g_assert_cmpint(back->cfg.nz, ==, cfg.nz);
    g_assert_cmpint(back->cfg.upsample_conv, ==, upsample_conv);
    g_assert_nonnull(back->D[0]);

    float z[6 * 16], o1[6 * 3 * 32 * 32], o2[6 * 3 * 32 * 32];
    int lab[6] = {0, 1, 2, 0, 1, 2};
    dg_rng_fill_normal(&r, z, 6 * 16, 0, 1);
    dg_gan_generate(gan, ctx, NULL, z, lab, 6, o1);
    dg_gan_generate(back, ctx, NULL, z, lab, 6, o2);
    g_assert_cmpmem(o1, sizeof o1, o2, sizeof o2);
    float l1[6], l2[6];
    g_assert_true(dg_gan_discriminate(gan, ctx, o1, lab, 6, l1));
    g_assert_true(dg_gan_discriminate(back, ctx, o1, lab, 6, l2));
    g_assert_cmpmem(l1, sizeof l1, l2, sizeof l2);

    /* malformed files are refused with a message, never crash */
    gchar *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    char *bad = g_build_filename(dir, "bad.safetensors", NULL);
    /* truncated */
    g_assert_true(g_file_set_contents(bad, data, len / 2, NULL));
    g_assert_null(dg_gan_load_model(bad, 8, NULL, NULL, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    /* not a GAN: a file with only metadata */
    dg_st_writer *w = dg_st_writer_new();
    dg_st_writer_set_metadata(w, "format", "something-else");
    g_assert_true(dg_st_writer_save(w, bad, NULL));
    dg_st_writer_free(w);
    g_assert_null(dg_gan_load_model(bad, 8, NULL, NULL, &error));
    g_assert_nonnull(strstr(error->message, "not a DermaGAN generator"));
    g_clear_error(&error);
    /* right format, absurd architecture */
    w = dg_st_writer_new();
    dg_st_writer_set_metadata(w, "format", "dermagan-gan");
    dg_st_writer_set_metadata(w, "gan", "{\"size\": 64, \"n_classes\": 4, \"nz\": -3, \"ngf\": 8, \"ndf\": 8}");
    g_assert_true(dg_st_writer_save(w, bad, NULL));
    dg_st_writer_free(w);
    g_assert_null(dg_gan_load_model(bad, 8, NULL, NULL, &error));
    g_assert_nonnull(strstr(error->message, "out of range"));
    g_clear_error(&error);
    /* right architecture, a weight missing */
    w = dg_st_writer_new();
    char *cfgjson = dg_gan_config_to_json(&cfg);
    dg_st_writer_set_metadata(w, "format", "dermagan-gan");
    dg_st_writer_set_metadata(w, "gan", cfgjson);
    dg_st_writer_set_metadata(w, "classes", "[{\"id\":\"a\"},{\"id\":\"b\"},{\"id\":\"c\"}]");
    g_assert_true(dg_st_writer_save(w, bad, NULL));
    dg_st_writer_free(w);
    g_assert_null(dg_gan_load_model(bad, 8, NULL, NULL, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    g_free(cfgjson);

    g_unlink(bad);
    g_unlink(path);
    g_rmdir(dir);
    g_free(bad), g_free(path), g_free(dir), g_free(data);
    g_strfreev(lids), g_strfreev(lnames);
    dg_gan_free(back);
    dg_gan_free(gan);
    dg_ctx_free(ctx);
}

static void test_model_roundtrip(void)
{
    model_roundtrip(FALSE);
    model_roundtrip(TRUE); /* the upsample + convolution generator */
}

static void test_state_roundtrip(void)
{
    /* a checkpoint restores training exactly: two more steps after a
     * save/load give the same losses as two more steps without it */
    dg_gan_config cfg;
    g_assert_true(dg_gan_config_preset(&cfg, "tiny", 2, NULL));
    dg_ctx *ctx = dg_ctx_new(2);
    dg_gan *a = dg_gan_new(&cfg, 8, true, false);
    dg_rng r;
    dg_rng_seed(&r, 3);
    dg_gan_init(a, &r);
    float x[8 * 3 * 32 * 32];
    int y[8] = {0, 1, 0, 1, 1, 0, 1, 0};
    for (long i = 0; i < 8L * 3 * 32 * 32; i++)
        x[i] = dg_rng_uniform(&r) * 2 - 1;
    dg_gan_stats st;
    for (int s = 0; s < 4; s++)
        dg_gan_train_step(a, ctx, &r, x, y, 8, 0, &st);

    char *dir = g_dir_make_tmp("dg-gan-XXXXXX", NULL);
    char *path = g_build_filename(dir, "ckpt.safetensors", NULL);
    dg_st_writer *w = dg_st_writer_new();
    int64_t steps[2 * DG_GAN_MAX_CLASSES];
    dg_gan_write_state(a, w, steps);
    dg_rng saved = r;
    dg_rng_write(w, "rng", &saved);
    g_assert_true(dg_st_writer_save(w, path, NULL));
    dg_st_writer_free(w);

    dg_gan_stats s1[2], s2[2];
    for (int s = 0; s < 2; s++)
        dg_gan_train_step(a, ctx, &r, x, y, 8, 0, &s1[s]);

    GError *error = NULL;
    dg_st *st_file = dg_st_load(path, &error);
    g_assert_no_error(error);
    dg_gan *b = dg_gan_new(&cfg, 8, true, false);
    g_assert_true(dg_gan_read_state(b, st_file, &error));
    dg_rng r2;
    g_assert_true(dg_rng_read(st_file, "rng", &r2, &error));
    dg_st_free(st_file);
    for (int s = 0; s < 2; s++)
        dg_gan_train_step(b, ctx, &r2, x, y, 8, 0, &s2[s]);
    g_assert_cmpmem(s1, sizeof s1, s2, sizeof s2);
    g_assert_cmpmem(dg_net_params(a->G[0]), dg_net_n_params(a->G[0]) * sizeof(float),
                    dg_net_params(b->G[0]), dg_net_n_params(b->G[0]) * sizeof(float));
    g_unlink(path);
    g_rmdir(dir);
    g_free(path), g_free(dir);
    dg_gan_free(a);
    dg_gan_free(b);
    dg_ctx_free(ctx);
}

static void test_presets(void)
{
    dg_gan_config c;
    GError *error = NULL;
    g_assert_true(dg_gan_config_preset(&c, "default", 4, &error));
    g_assert_true(c.conditional && c.ema > 0 && c.diffaug.cutout && c.upsample_conv);
    /* the default as shipped (README): reflection padding, a centre channel and low
     * noise in G, SN average-pooling D with its 4x4 head, the per-class 2-D spectral loss */
    g_assert_true(c.g_reflect && c.g_coords && c.g_noise && c.g_noise_low);
    g_assert_true(c.g_arch == DG_GAN_ARCH_RESNET && c.d_arch == DG_GAN_ARCH_DCGAN);
    g_assert_true(c.d_avgpool && !c.d_act_pool && c.d_sn && c.up_bilinear);
    g_assert_true(c.ngf == 24 && c.ndf == 32 && c.loss == DG_GAN_LOSS_HINGE && c.steps == 6000);
    g_assert_true(c.spectral == 1.0f && c.spectral_bins == 1 && c.spectral_per_class);
    /* the same networks and losses as its x- name */
    dg_gan_config x;
    g_assert_true(dg_gan_config_preset(&x, "x-resnetrcy-ap-24-32-0.3-1-2dc", 4, &error));
    g_strlcpy(x.preset, c.preset, sizeof x.preset);
    x.steps = c.steps;
    char *jc = dg_gan_config_to_json(&c), *jx = dg_gan_config_to_json(&x);
    g_assert_cmpstr(jc, ==, jx);
    g_free(jc), g_free(jx);
    g_assert_true(dg_gan_config_preset(&c, "seed", 4, &error));
    g_assert_false(c.conditional);
    g_assert_cmpint(c.nz, ==, 512);
    g_assert_cmpint(c.batch, ==, 16);
    g_assert_false(dg_gan_config_preset(&c, "huge", 4, &error));
    g_assert_nonnull(strstr(error->message, "unknown GAN preset"));
    g_clear_error(&error);
    /* the seed preset is one unconditional pair per class */
    g_assert_true(dg_gan_config_preset(&c, "seed", 3, NULL));
    c.size = 32;
    c.ngf = c.ndf = 4;
    c.nz = 8;
    dg_gan *g = dg_gan_new(&c, 4, true, false);
    g_assert_cmpint(g->n_pairs, ==, 3);
    g_assert_null(g->Gema[0]);
    dg_gan_free(g);
    /* config JSON round trip */
    g_assert_true(dg_gan_config_preset(&c, "large", 4, NULL));
    char *js = dg_gan_config_to_json(&c);
    dg_gan_config d;
    g_assert_true(dg_gan_config_from_json(&d, js, &error));
    g_assert_cmpint(d.ngf, ==, c.ngf);
    g_assert_cmpint(d.loss, ==, c.loss);
    g_assert_true(d.diffaug.translation);
    g_free(js);
    /* every preset's config survives its JSON, the networks' choices included */
    const char *all[] = {"default", "large", "dcgan", "seed", "tiny", "tiny-resnet",
                         "x-resnet-apr-24-32", "x-resnet-rd-24-32", "x-dcgan-bn-16", "x-resnet-ap-8-8-0.5",
                         "x-resnetr-apr-24-32", "x-resnetrn-ap-24-32"};
    for (guint i = 0; i < G_N_ELEMENTS(all); i++) {
        g_assert_true(dg_gan_config_preset(&c, all[i], 4, &error));
        js = dg_gan_config_to_json(&c);
        g_assert_true(dg_gan_config_from_json(&d, js, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(d.preset, ==, all[i]);
        g_assert_true(d.g_arch == c.g_arch && d.d_arch == c.d_arch && d.d_sn == c.d_sn &&
                      d.d_avgpool == c.d_avgpool && d.d_act_pool == c.d_act_pool &&
                      d.up_bilinear == c.up_bilinear && d.upsample_conv == c.upsample_conv &&
                      d.lecam == c.lecam && d.ngf == c.ngf && d.ndf == c.ndf && d.loss == c.loss &&
                      d.g_reflect == c.g_reflect);
        g_free(js);
    }
    g_assert_true(dg_gan_config_preset(&c, "x-resnet-apr-24-32", 4, NULL));
    g_assert_true(c.d_avgpool && c.d_act_pool && c.d_arch == DG_GAN_ARCH_DCGAN && c.ndf == 32);
    g_assert_true(dg_gan_config_preset(&c, "x-resnet-ap-8-8-0.5", 4, NULL));
    g_assert_true(c.d_avgpool && !c.d_act_pool && c.lecam == 0.5f);
    /* reflection padding in G: a pad before every 3x3 convolution, none by default */
    g_assert_true(dg_gan_config_preset(&c, "x-resnetr-apr-8-8", 4, NULL));
    g_assert_true(c.g_reflect && c.g_arch == DG_GAN_ARCH_RESNET && c.up_bilinear);
    g_assert_true(dg_gan_config_preset(&c, "x-resnetrn-apr-8-8", 4, NULL)); /* the same, nearest upsampling */
    g_assert_true(c.g_reflect && c.g_arch == DG_GAN_ARCH_RESNET && c.upsample_conv && !c.up_bilinear);
    for (int r = 0; r < 2; r++) {
        c.g_reflect = r;
        dg_gan *gan = dg_gan_new(&c, 2, false, false);
        dg_net *G = gan->G[0];
        int pads = 0;
        for (int i = 0; i < dg_net_n_nodes(G); i++)
            pads += dg_net_node_op(G, i) == DG_OP_PAD;
        g_assert_cmpint(pads, ==, r ? 2 * 4 + 1 : 0); /* two per block, four blocks, the last conv */
        dg_gan_free(gan);
    }
    /* a model file's unknown padding is refused */
    js = dg_gan_config_to_json(&c);
    char **parts = g_strsplit(js, "\"g_padding\":\"reflect\"", 2);
    g_assert_cmpuint(g_strv_length(parts), ==, 2);
    char *bad = g_strjoinv("\"g_padding\":\"circular\"", parts);
    g_strfreev(parts);
    g_assert_false(dg_gan_config_from_json(&d, bad, &error));
    g_assert_nonnull(strstr(error->message, "padding"));
    g_clear_error(&error);
    g_free(bad), g_free(js);

    /* reflection up to 8x8 only, and the coordinate channel: a pad before the
     * convolutions of the 8x8 planes (none works at 4x4), a coords node per block, both
     * kept by the model file */
    g_assert_true(dg_gan_config_preset(&c, "x-resnetmc-ap-8-8", 4, NULL));
    g_assert_true(c.g_reflect && c.g_reflect_low && c.g_coords && c.up_bilinear);
    g_assert_true(dg_gan_config_preset(&c, "x-resnetrc-ap-8-8", 4, NULL));
    g_assert_true(c.g_reflect && !c.g_reflect_low && c.g_coords);
    g_assert_true(dg_gan_config_preset(&c, "x-resnetm-ap-8-8", 4, NULL));
    g_assert_true(c.g_reflect && c.g_reflect_low && !c.g_coords);
    for (int k = 0; k < 2; k++) {
        g_assert_true(dg_gan_config_preset(&c, k ? "x-resnetmc-ap-8-8" : "x-resnetm-ap-8-8", 4, NULL));
        dg_gan *gan = dg_gan_new(&c, 2, false, false);
        dg_net *G = gan->G[0];
        int pads = 0, coords = 0;
        for (int i = 0; i < dg_net_n_nodes(G); i++) {
            pads += dg_net_node_op(G, i) == DG_OP_PAD;
            coords += dg_net_node_op(G, i) == DG_OP_COORDS;
        }
        g_assert_cmpint(pads, ==, 2); /* the first block's two convolutions, at 8x8 */
        g_assert_cmpint(coords, ==, k ? 4 : 0);
        dg_gan_free(gan);
        js = dg_gan_config_to_json(&c);
        g_assert_true(dg_gan_config_from_json(&d, js, NULL));
        g_assert_true(d.g_reflect && d.g_reflect_low && d.g_coords == c.g_coords);
        g_free(js);
    }
    /* noise injection: a final z, after both convolutions of every block */
    g_assert_true(dg_gan_config_preset(&c, "x-resnetrcz-ap-8-8", 4, NULL));
    g_assert_true(c.g_noise && c.g_reflect && !c.g_reflect_low && c.g_coords);
    g_assert_true(dg_gan_config_preset(&c, "x-resnetz-ap-8-8", 4, NULL));
    g_assert_true(c.g_noise && !c.g_reflect && !c.g_coords && c.g_arch == DG_GAN_ARCH_RESNET);
    {
        dg_gan *gan = dg_gan_new(&c, 2, false, false);
        int noise = 0;
        for (int i = 0; i < dg_net_n_nodes(gan->G[0]); i++)
            noise += dg_net_node_op(gan->G[0], i) == DG_OP_NOISE;
        g_assert_cmpint(noise, ==, 2 * 4);
        dg_gan_free(gan);
        js = dg_gan_config_to_json(&c);
        g_assert_true(dg_gan_config_from_json(&d, js, NULL));
        g_assert_true(d.g_noise && !d.g_reflect && !d.g_noise_low);
        g_free(js);
    }
    /* a final y: noise only in the blocks below the output resolution */
    g_assert_true(dg_gan_config_preset(&c, "x-resnetrcy-ap-8-8", 4, NULL));
    g_assert_true(c.g_noise && c.g_noise_low && c.g_reflect && c.g_coords);
    {
        dg_gan *gan = dg_gan_new(&c, 2, false, false);
        int noise = 0, top = 0;
        for (int i = 0; i < dg_net_n_nodes(gan->G[0]); i++) {
            if (dg_net_node_op(gan->G[0], i) != DG_OP_NOISE)
                continue;
            int h;
            dg_net_node_shape(gan->G[0], i, NULL, &h, NULL);
            noise++;
            top += h == c.size;
        }
        g_assert_cmpint(noise, ==, 2 * 3); /* 8x8, 16x16, 32x32; not 64x64 */
        g_assert_cmpint(top, ==, 0);
        dg_gan_free(gan);
        js = dg_gan_config_to_json(&c);
        g_assert_true(dg_gan_config_from_json(&d, js, NULL));
        g_assert_true(d.g_noise && d.g_noise_low);
        g_free(js);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gan/diffaug-adjoint", test_diffaug_adjoint);
    g_test_add_func("/gan/presets", test_presets);
    g_test_add_func("/gan/model-roundtrip", test_model_roundtrip);
    g_test_add_func("/gan/state-roundtrip", test_state_roundtrip);
    g_test_add_func("/gan/spectral-step", test_spectral_step);
    g_test_add_func("/gan/tiny-learns-classes", test_tiny_gan_learns_classes);
    return g_test_run();
}

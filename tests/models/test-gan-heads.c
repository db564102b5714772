/* test-gan-heads: the class heads on D (cfg.aux, AC-GAN; cfg.aux_twin,
 * TAC-GAN): what D outputs, what each head learns, the sign of G's twin
 * term, and model files and --init-from with and without the heads. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "gan-test-util.h"
#include "models/dg-checkpoint.h"
#include "models/dg-diffaug.h"
#include "models/dg-gan.h"

/* The class head (cfg.aux, AC-GAN): D's output is the realness logit and
 * K class logits; the head learns the real images' classes; the model file
 * keeps it; and a run with a head can start from one saved without it (the
 * head keeps its initial weights, the rest is read). */
static void test_class_head(void)
{
    dg_gan_config cfg;
    g_assert_true(dg_gan_config_preset(&cfg, "tiny", 2, NULL));
    dg_diffaug_parse("translation,cutout", &cfg.diffaug);
    cfg.lr_g = cfg.lr_d = 5e-4f;
    cfg.batch = 16;
    cfg.aux = 1.0f;
    g_assert_true(dg_gan_config_validate(&cfg, NULL));
    dg_gan *gan = dg_gan_new(&cfg, cfg.batch, true, false);
    int oc;
    dg_net_node_shape(gan->D[0], dg_net_output_node(gan->D[0]), &oc, NULL, NULL);
    g_assert_cmpint(oc, ==, 3);
    dg_ctx *ctx = dg_ctx_new(2);
    dg_rng r;
    dg_rng_seed(&r, 7);
    dg_gan_init(gan, &r);
    float *x = g_new(float, cfg.batch * 3 * 32 * 32);
    int y[16];
    dg_gan_stats st;
    double first = 0, last = 0;
    for (int step = 0; step < 200; step++) {
        make_batch(&r, x, y, cfg.batch);
        g_assert_true(dg_gan_train_step(gan, ctx, &r, x, y, cfg.batch, 0, &st));
        g_assert_true(isfinite(st.aux_real) && isfinite(st.aux_fake));
        if (step < 10)
            first += st.aux_real / 10;
        if (step >= 190)
            last += st.aux_real / 10;
    }
    g_test_message("class head cross-entropy on real images: %.3f -> %.3f", first, last);
    g_assert_cmpfloat(first, >, 0.4);  /* about ln 2 at first */
    g_assert_cmpfloat(last, <, 0.25);  /* red against blue is easy */

    /* discriminate gives the realness column */
    float logits[16];
    g_assert_true(dg_gan_discriminate(gan, ctx, x, y, cfg.batch, logits));
    dg_net_forward(gan->D[0], ctx, x, y, cfg.batch, false);
    for (int i = 0; i < cfg.batch; i++)
        g_assert_cmpfloat(logits[i], ==, dg_net_output(gan->D[0])[3 * i]);

    /* the model file keeps the head */
    char *dir = g_dir_make_tmp("dg-gan-XXXXXX", NULL);
    char *path = g_build_filename(dir, "gen.safetensors", NULL);
    const char *ids[] = {"a", "b"}, *names[] = {"A", "B"};
    GError *error = NULL;
    g_assert_true(dg_gan_save_model(gan, path, ids, names, true, NULL, &error));
    dg_gan *back = dg_gan_load_model(path, 16, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpfloat(back->cfg.aux, ==, 1.0f);
    float again[16];
    g_assert_true(dg_gan_discriminate(back, ctx, x, y, cfg.batch, again));
    g_assert_cmpmem(logits, sizeof logits, again, sizeof again);
    dg_gan_free(back);

    /* a run without the head cannot start from it */
    dg_gan_config plain = cfg;
    plain.aux = 0;
    dg_gan *p = dg_gan_new(&plain, 16, true, false);
    dg_gan_init(p, &r);
    dg_st *file = dg_st_load(path, &error);
    g_assert_no_error(error);
    g_assert_false(dg_gan_read_weights(p, file, &error));
    g_assert_nonnull(strstr(error->message, "class head"));
    g_clear_error(&error);
    dg_st_free(file);

    /* a run with the head can start from a file without it */
    g_assert_true(dg_gan_save_model(p, path, ids, names, true, NULL, &error));
    dg_gan *h = dg_gan_new(&cfg, 16, true, false);
    dg_gan_init(h, &r);
    const long n_plain = dg_net_n_params(p->D[0]), n_head = dg_net_n_params(h->D[0]);
    g_assert_cmpint(n_head, >, n_plain);
    float *head = g_memdup2(dg_net_params(h->D[0]) + n_plain, sizeof(float) * (n_head - n_plain));
    file = dg_st_load(path, &error);
    g_assert_no_error(error);
    g_assert_true(dg_gan_read_weights(h, file, &error));
    g_assert_no_error(error);
    dg_st_free(file);
    g_assert_cmpmem(dg_net_params(h->D[0]), sizeof(float) * n_plain, dg_net_params(p->D[0]),
                    sizeof(float) * n_plain);
    g_assert_cmpmem(dg_net_params(h->D[0]) + n_plain, sizeof(float) * (n_head - n_plain), head,
                    sizeof(float) * (n_head - n_plain));
    make_batch(&r, x, y, cfg.batch);
    g_assert_true(dg_gan_train_step(h, ctx, &r, x, y, cfg.batch, 0, &st));

    /* only a class-conditional GAN has classes to learn */
    plain = cfg;
    plain.conditional = false;
    g_assert_false(dg_gan_config_validate(&plain, &error));
    g_assert_nonnull(strstr(error->message, "class-conditional"));
    g_clear_error(&error);

    g_free(head);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path), g_free(dir), g_free(x);
    dg_gan_free(gan), dg_gan_free(p), dg_gan_free(h);
    dg_ctx_free(ctx);
}

/* The twin head (cfg.aux_twin, TAC-GAN): D's output is the realness logit,
 * the class head's K logits and the twin head's K; G's loss adds the class
 * head's cross-entropy on its images and subtracts the twin head's.  With
 * both heads equal and D frozen the two terms cancel, so G's gradient is
 * that of a GAN without heads (a sign error doubles the class term
 * instead); the twin head learns the generated images' classes; the files
 * keep it; a twin run starts from a file with one head or none, and a run
 * with one head refuses a twin file. */
static void test_twin_head(void)
{
    dg_gan_config cfg;
    g_assert_true(dg_gan_config_preset(&cfg, "tiny", 2, NULL));
    cfg.d_sn = false; /* spectral norm's power iteration would keep the heads apart */
    cfg.lecam = 0.0f;
    cfg.batch = 16;
    cfg.aux = 1.0f;
    cfg.aux_twin = true;
    g_assert_true(dg_gan_config_validate(&cfg, NULL));
    dg_gan_config one = cfg, plain = cfg;
    one.aux_twin = false;
    plain.aux = 0.0f;
    plain.aux_twin = false;
    cfg.lr_d = one.lr_d = plain.lr_d = 0.0f; /* D frozen */
    cfg.lr_g = one.lr_g = plain.lr_g = 0.0f;
    dg_gan *t = dg_gan_new(&cfg, 16, true, false), *o = dg_gan_new(&one, 16, true, false),
           *p = dg_gan_new(&plain, 16, true, false);
    int oc;
    dg_net_node_shape(t->D[0], dg_net_output_node(t->D[0]), &oc, NULL, NULL);
    g_assert_cmpint(oc, ==, 5);
    dg_ctx *ctx = dg_ctx_new(2);
    dg_rng r;
    dg_rng_seed(&r, 11);
    dg_gan_init(t, &r);
    const long n_plain = dg_net_n_params(p->D[0]), n_one = dg_net_n_params(o->D[0]),
               n_twin = dg_net_n_params(t->D[0]), nG = dg_net_n_params(t->G[0]);
    g_assert_cmpint(n_twin - n_one, ==, n_one - n_plain);
    float *dt = dg_net_params(t->D[0]);
    memcpy(dt + n_one, dt + n_plain, sizeof(float) * (n_one - n_plain)); /* twin = class head */
    memcpy(dg_net_params(o->D[0]), dt, sizeof(float) * n_one);
    memcpy(dg_net_params(p->D[0]), dt, sizeof(float) * n_plain);
    dg_gan *all[] = {t, o, p};
    for (int k = 1; k < 3; k++)
        memcpy(dg_net_params(all[k]->G[0]), dg_net_params(t->G[0]), sizeof(float) * nG);
    float *x = g_new(float, cfg.batch * 3 * 32 * 32);
    int y[16];
    make_batch(&r, x, y, cfg.batch);
    dg_gan_stats st[3];
    for (int k = 0; k < 3; k++) {
        dg_rng rk;
        dg_rng_seed(&rk, 5);
        g_assert_true(dg_gan_train_step(all[k], ctx, &rk, x, y, cfg.batch, 0, &st[k]));
    }
    g_assert_cmpfloat(st[0].aux_twin, >, 0.0f);
    g_assert_cmpfloat(st[2].aux_twin, ==, 0.0f);
    double d_twin = 0, d_one = 0, norm = 0;
    const float *gt = dg_net_grads(t->G[0]), *go = dg_net_grads(o->G[0]),
                *gp = dg_net_grads(p->G[0]);
    for (long i = 0; i < nG; i++) {
        d_twin = fmax(d_twin, fabs(gt[i] - gp[i]));
        d_one = fmax(d_one, fabs(go[i] - gp[i]));
        norm = fmax(norm, fabs(gp[i]));
    }
    g_test_message("G's gradient against no heads: twin %.2e, one head %.2e (largest %.2e)",
                   d_twin, d_one, norm);
    g_assert_cmpfloat(d_twin, <, 1e-5 * norm);
    g_assert_cmpfloat(d_one, >, 1e-2 * norm);
    for (int k = 0; k < 3; k++)
        dg_gan_free(all[k]);

    /* trained, the twin head learns the generated images' classes */
    cfg.lr_g = cfg.lr_d = 5e-4f;
    t = dg_gan_new(&cfg, 16, true, false);
    dg_gan_init(t, &r);
    double first = 0, last = 0;
    for (int step = 0; step < 200; step++) {
        make_batch(&r, x, y, cfg.batch);
        g_assert_true(dg_gan_train_step(t, ctx, &r, x, y, cfg.batch, 0, &st[0]));
        g_assert_true(isfinite(st[0].aux_twin));
        if (step < 10)
            first += st[0].aux_twin / 10;
        if (step >= 190)
            last += st[0].aux_twin / 10;
    }
    g_test_message("twin head cross-entropy on generated images: %.3f -> %.3f", first, last);
    g_assert_cmpfloat(first, >, 0.4);
    g_assert_cmpfloat(last, <, 0.5 * first);

    /* the model file keeps it */
    char *dir = g_dir_make_tmp("dg-gan-XXXXXX", NULL);
    char *path = g_build_filename(dir, "gen.safetensors", NULL);
    const char *ids[] = {"a", "b"}, *names[] = {"A", "B"};
    GError *error = NULL;
    g_assert_true(dg_gan_save_model(t, path, ids, names, true, NULL, &error));
    dg_gan *back = dg_gan_load_model(path, 16, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(back->cfg.aux_twin);
    dg_gan_free(back);

    /* a run with one head refuses it */
    one.lr_g = one.lr_d = 5e-4f;
    o = dg_gan_new(&one, 16, true, false);
    dg_gan_init(o, &r);
    dg_st *file = dg_st_load(path, &error);
    g_assert_no_error(error);
    g_assert_false(dg_gan_read_weights(o, file, &error));
    g_assert_nonnull(strstr(error->message, "twin class head"));
    g_clear_error(&error);
    dg_st_free(file);

    /* a twin run starts from a file with one head: it is read, the twin
     * head keeps its initial weights */
    g_assert_true(dg_gan_save_model(o, path, ids, names, true, NULL, &error));
    dg_gan *h = dg_gan_new(&cfg, 16, true, false);
    dg_gan_init(h, &r);
    float *twin0 = g_memdup2(dg_net_params(h->D[0]) + n_one, sizeof(float) * (n_twin - n_one));
    file = dg_st_load(path, &error);
    g_assert_no_error(error);
    g_assert_true(dg_gan_read_weights(h, file, &error));
    g_assert_no_error(error);
    dg_st_free(file);
    g_assert_cmpmem(dg_net_params(h->D[0]), sizeof(float) * n_one, dg_net_params(o->D[0]),
                    sizeof(float) * n_one);
    g_assert_cmpmem(dg_net_params(h->D[0]) + n_one, sizeof(float) * (n_twin - n_one), twin0,
                    sizeof(float) * (n_twin - n_one));

    /* the preset names it with a final t; JSON keeps it */
    dg_gan_config c2;
    g_assert_true(dg_gan_config_preset(&c2, "x-resnetrcy-ap-8-8-0.3-0.5-2dc-0.3t", 4, NULL));
    g_assert_cmpfloat(fabs(c2.aux - 0.3f), <, 1e-6);
    g_assert_true(c2.aux_twin && c2.spectral_per_class);
    char *json = dg_gan_config_to_json(&c2);
    dg_gan_config c3;
    g_assert_true(dg_gan_config_from_json(&c3, json, NULL));
    g_assert_true(c3.aux_twin);
    g_free(json);
    g_assert_true(dg_gan_config_preset(&c2, "x-resnetrcy-ap-8-8-0.3-0.5-2dc-0.3", 4, NULL));
    g_assert_false(c2.aux_twin);
    /* a twin head needs the class head */
    c2.aux = 0.0f;
    c2.aux_twin = true;
    g_assert_false(dg_gan_config_validate(&c2, &error));
    g_assert_nonnull(strstr(error->message, "twin"));
    g_clear_error(&error);

    g_free(twin0);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path), g_free(dir), g_free(x);
    dg_gan_free(t), dg_gan_free(o), dg_gan_free(h);
    dg_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gan/class-head", test_class_head);
    g_test_add_func("/gan/twin-head", test_twin_head);
    return g_test_run();
}

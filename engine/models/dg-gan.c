/* dg-gan.c: the GAN model of dg-gan.h: construction, the training step
 * (losses, LeCam, DiffAugment, EMA), sampling, and model and state files.
 * The configuration and presets are in dg-gan-config.c, the networks in
 * dg-gan-nets.c. */
#include "dg-gan-private.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/dg-checkpoint.h"
#include "models/dg-model-file.h"
#include "numerics/dg-loss.h"
#include "numerics/dg-spectral.h"

/* ---- the model ------------------------------------------------------------------- */

dg_gan *dg_gan_new(const dg_gan_config *cfg, int max_batch, bool training, bool with_d)
{
    dg_gan *g = g_new0(dg_gan, 1);
    g->cfg = *cfg;
    g->n_pairs = cfg->conditional ? 1 : cfg->n_classes;
    g->max_batch = max_batch;
    g->training = training;
    for (int p = 0; p < g->n_pairs; p++) {
        g->G[p] = dg_gan_build_g(cfg, max_batch);
        if (training || with_d)
            g->D[p] = dg_gan_build_d(cfg, max_batch);
        if (training && cfg->ema > 0)
            g->Gema[p] = dg_gan_build_g(cfg, max_batch);
        /* one net of each kind runs at a time: the EMA copy (sampling) and
         * the other pairs use the first generator's and discriminator's
         * activation memory */
        if (g->Gema[p])
            dg_net_share_activations(g->Gema[p], g->G[0]);
        if (p > 0) {
            dg_net_share_activations(g->G[p], g->G[0]);
            if (g->D[p])
                dg_net_share_activations(g->D[p], g->D[0]);
        }
        dg_opt_adam(&g->opt_g[p], cfg->lr_g, cfg->beta1, cfg->beta2);
        dg_opt_adam(&g->opt_d[p], cfg->lr_d, cfg->beta1, cfg->beta2);
    }
    long img = 3L * cfg->size * cfg->size * max_batch;
    g->z = dg_alloc(sizeof(float) * (size_t)max_batch * cfg->nz);
    if (training || with_d) {
        g->real_aug = dg_alloc(sizeof(float) * img);
        g->fake_aug = dg_alloc(sizeof(float) * img);
        g->dfake_aug = dg_alloc(sizeof(float) * img);
        g->dfake = dg_alloc(sizeof(float) * img);
        g->dl = dg_alloc(sizeof(float) * max_batch);
        if (cfg->aux > 0) {
            const long K = cfg->n_classes;
            g->realness = dg_alloc(sizeof(float) * max_batch);
            g->cls = dg_alloc(sizeof(float) * max_batch * K);
            g->dcls = dg_alloc(sizeof(float) * max_batch * K);
            g->dout = dg_alloc(sizeof(float) * max_batch * (2 * K + 1));
            if (cfg->aux_twin) {
                g->twin = dg_alloc(sizeof(float) * max_batch * K);
                g->dtwin = dg_alloc(sizeof(float) * max_batch * K);
            }
        }
    }
    if (training && cfg->spectral > 0)
        g->spectral = dg_spectral_new(cfg->size, max_batch,
                                      (dg_spectral_bins)cfg->spectral_bins);
    return g;
}

void dg_gan_free(dg_gan *g)
{
    if (!g)
        return;
    for (int p = 0; p < g->n_pairs; p++) {
        dg_net_free(g->G[p]);
        dg_net_free(g->D[p]);
        dg_net_free(g->Gema[p]);
    }
    dg_free(g->z);
    dg_free(g->real_aug);
    dg_free(g->fake_aug);
    dg_free(g->dfake_aug);
    dg_free(g->dfake);
    dg_free(g->dl);
    dg_free(g->realness);
    dg_free(g->cls);
    dg_free(g->dcls);
    dg_free(g->dout);
    dg_free(g->twin);
    dg_free(g->dtwin);
    dg_spectral_free(g->spectral);
    g_free(g);
}

void dg_gan_init(dg_gan *g, dg_rng *rng)
{
    for (int p = 0; p < g->n_pairs; p++) {
        dg_net_init(g->G[p], rng, dg_gan_init_scheme(g->cfg.g_arch));
        if (g->D[p])
            dg_net_init(g->D[p], rng, dg_gan_init_scheme(g->cfg.d_arch));
        g->lecam_real[p] = g->lecam_fake[p] = 0.0f;
        if (g->Gema[p])
            dg_net_copy_weights(g->Gema[p], g->G[p]);
        g->opt_g[p].t = g->opt_d[p].t = 0;
    }
}

long dg_gan_n_params_g(const dg_gan *g)
{
    long n = 0;
    for (int p = 0; p < g->n_pairs; p++)
        n += dg_net_n_params(g->G[p]);
    return n;
}

long dg_gan_n_params_d(const dg_gan *g)
{
    long n = 0;
    for (int p = 0; p < g->n_pairs; p++)
        n += g->D[p] ? dg_net_n_params(g->D[p]) : 0;
    return n;
}

/* ---- training ------------------------------------------------------------------ */

static bool all_finite(const float *x, long n)
{
    float acc = 0.0f;
    for (long i = 0; i < n; i++)
        acc += x[i] * 0.0f; /* NaN or Inf anywhere makes acc NaN */
    return acc == 0.0f;
}

static float mean_sigmoid(const float *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += 1.0 / (1.0 + exp(-(double)x[i]));
    return (float)(s / n);
}

/* D loss on one side (target 1 real / 0 fake) with its logit gradient
 * (scaled by share: this part's share of a split batch, else 1) */
static float d_loss(const dg_gan_config *c, const float *logits, int B, bool real, float share,
                    float *dl)
{
    if (c->loss == DG_GAN_LOSS_HINGE)
        return dg_hinge_d(logits, B, real ? +1 : -1, dl, share);
    return dg_bce_logits(logits, NULL, real ? 1.0f : 0.0f, B, dl, share);
}

/* LeCam regularization (Tseng et al., CVPR 2021, and their code): on top of
 * D's loss, lambda * (mean relu(D(x) - a_fake)^2 + mean relu(a_real - D(G(z)))^2)
 * with a_real, a_fake moving averages (decay 0.99) of D's mean outputs; it
 * keeps D's predictions from drifting apart on small data.  Adds the
 * gradient to dl and returns the term. */
static float lecam_term(float lambda, const float *logits, int B, int total, float anchor,
                        bool real, float *dl)
{
    /* total: the whole batch's size (B unless the batch is split) */
    double r = 0.0;
    for (int i = 0; i < B; i++) {
        float d = real ? logits[i] - anchor : anchor - logits[i];
        if (d > 0.0f) {
            r += (double)d * d;
            dl[i] += (real ? 2.0f : -2.0f) * lambda * d / total;
        }
    }
    return (float)(lambda * r / total);
}

static float mean_of(const float *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += x[i];
    return (float)(s / n);
}

/* The parameters of images [off, off + B) of a split batch's: a's arrays
 * moved down to start at image off. */
static void keep_part(dg_diffaug_params *a, int off, int B)
{
    size_t n = sizeof(float) * B, k = sizeof(int) * B;
    memmove(a->brightness, a->brightness + off, n);
    memmove(a->saturation, a->saturation + off, n);
    memmove(a->contrast, a->contrast + off, n);
    memmove(a->tx, a->tx + off, k);
    memmove(a->ty, a->ty + off, k);
    memmove(a->cx, a->cx + off, k);
    memmove(a->cy, a->cy + off, k);
    a->B = B;
}

static void augment(dg_gan *g, dg_rng *rng, const float *in, float *out, int B,
                    dg_diffaug_params *a)
{
    int S = g->cfg.size;
    if (g->shard) { /* the whole batch's parameters, this part's kept */
        dg_diffaug_sample(&g->cfg.diffaug, rng, g->shard->total, S, S, a);
        keep_part(a, g->shard->offset, B);
    } else {
        dg_diffaug_sample(&g->cfg.diffaug, rng, B, S, S, a);
    }
    dg_diffaug_forward(a, out, in);
}

/* The latent noise of images [off, off + B) of a batch of total. */
static void draw_noise(dg_gan *g, dg_rng *rng, int B)
{
    const long nz = g->cfg.nz;
    const dg_gan_shard *sh = g->shard;
    for (long i = 0; sh && i < sh->offset * nz; i++)
        (void)dg_rng_normal(rng);
    dg_rng_fill_normal(rng, g->z, (long)B * nz, 0.0f, 1.0f);
    for (long i = 0; sh && i < (long)(sh->total - sh->offset - B) * nz; i++)
        (void)dg_rng_normal(rng);
}

/* D's output per image: its realness logit, then with aux the class head's
 * K logits, then with aux_twin the twin head's K. */
static int d_width(const dg_gan_config *c)
{
    return c->aux > 0 ? 1 + (c->aux_twin ? 2 : 1) * c->n_classes : 1;
}

/* The realness logits of D's last forward pass: its output, or the output's
 * column 0. */
static const float *realness(dg_gan *g, dg_net *D, int B)
{
    const float *o = dg_net_output(D);
    const int w = d_width(&g->cfg);
    if (w == 1)
        return o;
    for (int i = 0; i < B; i++)
        g->realness[i] = o[(long)i * w];
    return g->realness;
}

/* The cross-entropy of the K logits at column `col` of D's output (of B
 * rows of width w) against labels: logits copied to buf, their gradient
 * (of the mean) to dbuf. */
static float head_xent(const float *o, int w, int col, const int *labels, int B, int K,
                       float *buf, float *dbuf)
{
    for (int i = 0; i < B; i++)
        memcpy(buf + (long)i * K, o + (long)i * w + col, sizeof(float) * K);
    return dg_softmax_xent(buf, labels, B, K, NULL, 0.0f, dbuf, NULL);
}

/* The gradient of D's output after its last forward pass, for its backward
 * pass: g->dl (the realness logits' gradient), and with aux beside it the
 * gradient of w_cls times the class head's mean cross-entropy and, with
 * aux_twin, of w_twin times the twin head's (each scaled by share, this
 * part's share of a split batch).  The unweighted cross-entropies of this
 * part go to *xent_cls and *xent_twin (0 without the head). */
static const float *d_output_grad(dg_gan *g, dg_net *D, const int *labels, int B, float w_cls,
                                  float w_twin, float share, float *xent_cls, float *xent_twin)
{
    const int K = g->cfg.n_classes, w = d_width(&g->cfg);
    const bool twin = g->cfg.aux > 0 && g->cfg.aux_twin;
    *xent_cls = *xent_twin = 0.0f;
    if (w == 1)
        return g->dl;
    const float *o = dg_net_output(D);
    *xent_cls = head_xent(o, w, 1, labels, B, K, g->cls, g->dcls);
    if (twin)
        *xent_twin = head_xent(o, w, 1 + K, labels, B, K, g->twin, g->dtwin);
    for (int i = 0; i < B; i++) {
        float *row = g->dout + (long)i * w;
        row[0] = g->dl[i];
        for (int k = 0; k < K; k++) {
            row[1 + k] = w_cls * share * g->dcls[(long)i * K + k];
            if (twin)
                row[1 + K + k] = w_twin * share * g->dtwin[(long)i * K + k];
        }
    }
    return g->dout;
}

/* Split batch: v[0..n) summed over the processes. */
static void shard_sum(const dg_gan_shard *sh, float *v, long n)
{
    if (sh)
        sh->sum(v, n, sh->user);
}

gboolean dg_gan_train_step(dg_gan *g, dg_ctx *ctx, dg_rng *rng, const float *x,
                           const int *labels, int B, int pair, dg_gan_stats *st)
{
    const dg_gan_config *c = &g->cfg;
    dg_net *G = g->G[pair], *D = g->D[pair];
    const bool aug = c->diffaug.color || c->diffaug.translation || c->diffaug.cutout;
    dg_diffaug_params *ar = &g->aug_real, *af = &g->aug_fake;
    gboolean ok = TRUE;
    /* a split batch: this part's share of the losses, which are means over the whole batch */
    const dg_gan_shard *sh = g->shard;
    const int total = sh ? sh->total : B;
    const float share = sh ? (float)B / (float)total : 1.0f;

    draw_noise(g, rng, B);
    dg_net_forward(G, ctx, g->z, labels, B, true);
    const float *fake = dg_net_output(G);

    /* discriminator: real then fake */
    dg_net_zero_grad(D);
    const float *dreal_in = x;
    if (aug) {
        augment(g, rng, x, g->real_aug, B, ar);
        dreal_in = g->real_aug;
    }
    dg_net_forward(D, ctx, dreal_in, labels, B, true);
    const float *logit = realness(g, D, B);
    float lr = d_loss(c, logit, B, true, share, g->dl) * share;
    st->d_real = mean_sigmoid(logit, B) * share;
    float mreal = mean_of(logit, B) * share;
    const bool lecam = c->lecam > 0.0f && g->opt_d[pair].t > 0;
    if (lecam)
        lr += lecam_term(c->lecam, logit, B, total, g->lecam_fake[pair], true, g->dl);
    /* the class head learns the real images' classes */
    float unused;
    dg_net_backward(D, ctx, d_output_grad(g, D, labels, B, c->aux, 0.0f, share, &st->aux_real,
                                          &unused),
                    NULL, true);
    st->aux_real *= share;

    const float *dfake_in = fake;
    if (aug) {
        augment(g, rng, fake, g->fake_aug, B, af);
        dfake_in = g->fake_aug;
    }
    dg_net_forward(D, ctx, dfake_in, labels, B, true);
    logit = realness(g, D, B);
    float lf = d_loss(c, logit, B, false, share, g->dl) * share;
    st->d_fake = mean_sigmoid(logit, B) * share;
    float mfake = mean_of(logit, B) * share;
    if (lecam)
        lf += lecam_term(c->lecam, logit, B, total, g->lecam_real[pair], false, g->dl);
    /* the class head not on generated images: a head that learned their
     * classes too would let G make images that are easy to classify rather
     * than like the real ones; the twin head learns only theirs */
    dg_net_backward(D, ctx, d_output_grad(g, D, labels, B, 0.0f, c->aux, share, &unused,
                                          &st->aux_twin),
                    NULL, true);
    st->aux_twin *= share;
    if (sh) { /* the whole batch's numbers and D's gradient */
        float v[8] = {lr, lf, st->d_real, st->d_fake, mreal, mfake, st->aux_real, st->aux_twin};
        shard_sum(sh, v, 8);
        lr = v[0], lf = v[1], st->d_real = v[2], st->d_fake = v[3], mreal = v[4], mfake = v[5];
        st->aux_real = v[6], st->aux_twin = v[7];
        shard_sum(sh, dg_net_grads(D), dg_net_n_params(D));
    }
    st->d_loss = lr + lf;
    if (!isfinite(st->d_loss) || !all_finite(dg_net_grads(D), dg_net_n_params(D))) {
        ok = FALSE;
        goto out;
    }
    dg_net_step(D, ctx, &g->opt_d[pair]);
    if (c->lecam > 0.0f) {
        float decay = g->opt_d[pair].t > 1 ? 0.99f : 0.0f; /* the first step sets them */
        g->lecam_real[pair] = decay * g->lecam_real[pair] + (1.0f - decay) * mreal;
        g->lecam_fake[pair] = decay * g->lecam_fake[pair] + (1.0f - decay) * mfake;
    }

    /* generator: through the updated D and the same augmentation */
    dg_net_zero_grad(G);
    dg_net_forward(D, ctx, dfake_in, labels, B, true);
    logit = realness(g, D, B);
    if (c->loss == DG_GAN_LOSS_HINGE)
        st->g_loss = dg_hinge_g(logit, B, g->dl, share) * share;
    else /* non-saturating: -log D(G(z)) */
        st->g_loss = dg_bce_logits(logit, NULL, 1.0f, B, g->dl, share) * share;
    float *dimg = aug ? g->dfake_aug : g->dfake;
    /* and the class head should see the intended class in them; the twin
     * head, which knows the generated images, should not find them easier
     * than the real ones (TAC-GAN: G raises its cross-entropy) */
    dg_net_backward(D, ctx, d_output_grad(g, D, labels, B, c->aux, -c->aux, share, &st->aux_fake,
                                          &unused),
                    dimg, false);
    st->aux_fake *= share;
    if (aug)
        dg_diffaug_backward(af, g->dfake, g->dfake_aug);
    st->spectral = 0.0f;
    if (g->spectral) {
        /* the whole batch's loss (its spectra summed over the parts of a
         * split batch); per class, fake and real images share the labels */
        const bool per_class = c->spectral_per_class && labels;
        st->spectral = dg_spectral_loss_grouped(
            g->spectral, fake, per_class ? labels : NULL, B, x, per_class ? labels : NULL, B, 3,
            per_class ? c->n_classes : 1, c->spectral, g->dfake, sh ? sh->sum_double : NULL,
            sh ? sh->user : NULL);
        if (st->spectral < 0) {
            ok = FALSE;
            goto out;
        }
    }
    dg_net_backward(G, ctx, g->dfake, NULL, true);
    if (sh) {
        shard_sum(sh, &st->g_loss, 1);
        shard_sum(sh, &st->aux_fake, 1);
        shard_sum(sh, dg_net_grads(G), dg_net_n_params(G));
    }
    if (!isfinite(st->g_loss) || !all_finite(dg_net_grads(G), dg_net_n_params(G))) {
        ok = FALSE;
        goto out;
    }
    dg_net_step(G, ctx, &g->opt_g[pair]);

    if (g->Gema[pair]) {
        /* EMA with a warm-up so early samples are not dominated by the random init */
        double t = (double)g->opt_g[pair].t;
        float d = (float)fmin(c->ema, (1.0 + t) / (10.0 + t));
        float *e = dg_net_params(g->Gema[pair]);
        const float *p = dg_net_params(G);
        long n = dg_net_n_params(G);
        for (long i = 0; i < n; i++)
            e[i] = d * e[i] + (1.0f - d) * p[i];
    }
out:
    return ok;
}

static dg_net *sampler(dg_gan *g, int pair)
{
    return g->Gema[pair] ? g->Gema[pair] : g->G[pair];
}

void dg_gan_refresh_stats(dg_gan *g, dg_ctx *ctx, dg_rng *rng, int n_batches)
{
    const int B = g->max_batch < 64 ? g->max_batch : 64;
    int *labels = g_new(int, B);
    for (int p = 0; p < g->n_pairs; p++) {
        dg_net *net = sampler(g, p);
        if (!g->Gema[p])
            continue; /* the trained generator keeps its own running statistics */
        dg_net_bn_reset_stats(net);
        for (int k = 0; k < n_batches; k++) {
            dg_net_bn_set_momentum(net, 1.0f / (k + 1)); /* cumulative average */
            dg_rng_fill_normal(rng, g->z, (long)B * g->cfg.nz, 0.0f, 1.0f);
            for (int i = 0; i < B; i++)
                labels[i] = g->cfg.conditional ? (int)dg_rng_below(rng, g->cfg.n_classes) : p;
            dg_net_forward(net, ctx, g->z, labels, B, true);
        }
        dg_net_bn_set_momentum(net, 0.1f);
    }
    g_free(labels);
}

void dg_gan_generate(dg_gan *g, dg_ctx *ctx, dg_rng *rng, const float *z, const int *labels,
                     int n, float *out)
{
    const long img = 3L * g->cfg.size * g->cfg.size;
    int *lab = g_new(int, g->max_batch);
    for (int i0 = 0; i0 < n;) {
        /* a chunk of consecutive images of the same pair */
        int pair = g->cfg.conditional ? 0 : labels[i0];
        int m = 0;
        while (i0 + m < n && m < g->max_batch &&
               (g->cfg.conditional || labels[i0 + m] == pair)) {
            lab[m] = labels[i0 + m];
            m++;
        }
        if (z)
            memcpy(g->z, z + (long)i0 * g->cfg.nz, sizeof(float) * m * g->cfg.nz);
        else
            dg_rng_fill_normal(rng, g->z, (long)m * g->cfg.nz, 0.0f, 1.0f);
        dg_net *net = sampler(g, pair);
        dg_net_forward(net, ctx, g->z, lab, m, false);
        memcpy(out + i0 * img, dg_net_output(net), sizeof(float) * m * img);
        i0 += m;
    }
    g_free(lab);
}

gboolean dg_gan_discriminate(dg_gan *g, dg_ctx *ctx, const float *x, const int *labels, int n,
                             float *logits)
{
    const long img = 3L * g->cfg.size * g->cfg.size;
    for (int i0 = 0; i0 < n;) {
        int pair = g->cfg.conditional ? 0 : labels[i0];
        if (!g->D[pair])
            return FALSE;
        int m = 0;
        while (i0 + m < n && m < g->max_batch && (g->cfg.conditional || labels[i0 + m] == pair))
            m++;
        dg_net_forward(g->D[pair], ctx, x + i0 * img, labels + i0, m, false);
        memcpy(logits + i0, realness(g, g->D[pair], m), sizeof(float) * m);
        i0 += m;
    }
    return TRUE;
}

/* ---- files ------------------------------------------------------------------------- */

char *dg_gan_pair_prefix(const dg_gan *g, char what, int p)
{
    return g->n_pairs == 1 ? g_strdup_printf("%c.", what) : g_strdup_printf("%c%d.", what, p);
}

static char *pair_prefix(const dg_gan *g, char what, int p)
{
    return dg_gan_pair_prefix(g, what, p);
}

gboolean dg_gan_save_model(dg_gan *g, const char *path, const char *const *class_ids,
                           const char *const *class_names, bool with_d, GHashTable *extra_meta,
                           GError **error)
{
    for (int p = 0; p < g->n_pairs; p++)
        if (!dg_model_check_finite(sampler(g, p), "the generator", error) ||
            (with_d && g->D[p] && !dg_model_check_finite(g->D[p], "the discriminator", error))) {
            g_prefix_error(error, "not saving %s: ", path);
            return FALSE;
        }
    dg_st_writer *w = dg_st_writer_new();
    for (int p = 0; p < g->n_pairs; p++) {
        char *pre = pair_prefix(g, 'g', p);
        dg_net_write(w, sampler(g, p), pre, FALSE);
        g_free(pre);
        if (with_d && g->D[p]) {
            pre = pair_prefix(g, 'd', p);
            dg_net_write(w, g->D[p], pre, FALSE);
            g_free(pre);
        }
    }
    char *cfg = dg_gan_config_to_json(&g->cfg);
    dg_st_writer_set_metadata(w, "format", "dermagan-gan");
    dg_st_writer_set_metadata(w, "format_version", DG_MODEL_FORMAT_VERSION);
    dg_st_writer_set_metadata(w, "gan", cfg);
    dg_model_write_common(w, class_ids, class_names, g->cfg.n_classes, g->cfg.size);
    dg_st_writer_set_metadata(w, "discriminator", with_d ? "yes" : "no");
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
    return ok;
}

gboolean dg_gan_check_finite(dg_gan *g, GError **error)
{
    for (int p = 0; p < g->n_pairs; p++)
        if (!dg_model_check_finite(g->G[p], "the generator", error) ||
            (g->D[p] && !dg_model_check_finite(g->D[p], "the discriminator", error)) ||
            (g->Gema[p] && !dg_model_check_finite(g->Gema[p], "the EMA generator", error)))
            return FALSE;
    return TRUE;
}

void dg_gan_write_state(dg_gan *g, dg_st_writer *w, int64_t *steps)
{
    /* steps: storage for 2 * n_pairs Adam step counts, alive until saved */
    for (int p = 0; p < g->n_pairs; p++) {
        char *pre = pair_prefix(g, 'g', p);
        dg_net_write(w, g->G[p], pre, TRUE);
        g_free(pre);
        pre = pair_prefix(g, 'd', p);
        dg_net_write(w, g->D[p], pre, TRUE);
        g_free(pre);
        if (g->Gema[p]) {
            pre = pair_prefix(g, 'e', p);
            dg_net_write(w, g->Gema[p], pre, FALSE);
            g_free(pre);
        }
        steps[2 * p] = g->opt_g[p].t;
        steps[2 * p + 1] = g->opt_d[p].t;
    }
    int64_t shape[1] = {2 * g->n_pairs};
    dg_st_writer_add(w, "adam_steps", DG_ST_I64, 1, shape, steps);
    /* the LeCam anchors: lecam_real[0..n), then lecam_fake[0..n) (the writer
     * keeps a pointer: both arrays live in the gan, adjacent fields) */
    int64_t lshape[2] = {2, g->n_pairs};
    memcpy(g->lecam_state, g->lecam_real, sizeof(float) * g->n_pairs);
    memcpy(g->lecam_state + g->n_pairs, g->lecam_fake, sizeof(float) * g->n_pairs);
    dg_st_writer_add(w, "lecam_anchors", DG_ST_F32, 2, lshape, g->lecam_state);
}

gboolean dg_gan_read_state(dg_gan *g, const dg_st *st, GError **error)
{
    for (int p = 0; p < g->n_pairs; p++) {
        char *pre = pair_prefix(g, 'g', p);
        gboolean ok = dg_net_read(st, g->G[p], pre, TRUE, error);
        g_free(pre);
        if (!ok)
            return FALSE;
        pre = pair_prefix(g, 'd', p);
        ok = dg_net_read(st, g->D[p], pre, TRUE, error);
        g_free(pre);
        if (!ok)
            return FALSE;
        if (g->Gema[p]) {
            pre = pair_prefix(g, 'e', p);
            ok = dg_net_read(st, g->Gema[p], pre, FALSE, error);
            g_free(pre);
            if (!ok)
                return FALSE;
        }
    }
    const dg_st_tensor *t = dg_st_find(st, "adam_steps");
    if (!t || t->dtype != DG_ST_I64 || t->ndim != 1 || t->shape[0] != 2 * g->n_pairs) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_STATE, "checkpoint: adam_steps missing or of the wrong shape");
        return FALSE;
    }
    for (int p = 0; p < g->n_pairs; p++) { /* the data may sit at any byte offset */
        memcpy(&g->opt_g[p].t, (const guint8 *)t->data + 16 * p, 8);
        memcpy(&g->opt_d[p].t, (const guint8 *)t->data + 16 * p + 8, 8);
    }
    const dg_st_tensor *l = dg_st_find(st, "lecam_anchors");
    if (l) {
        if (l->dtype != DG_ST_F32 || l->ndim != 2 || l->shape[0] != 2 || l->shape[1] != g->n_pairs) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_STATE, "checkpoint: lecam_anchors of the wrong shape");
            return FALSE;
        }
        memcpy(g->lecam_real, l->data, sizeof(float) * g->n_pairs);
        memcpy(g->lecam_fake, (const guint8 *)l->data + sizeof(float) * g->n_pairs,
               sizeof(float) * g->n_pairs);
        for (int p = 0; p < g->n_pairs; p++)
            if (!isfinite(g->lecam_real[p]) || !isfinite(g->lecam_fake[p])) {
                g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_STATE, "checkpoint: lecam_anchors are not finite");
                return FALSE;
            }
    } else {
        memset(g->lecam_real, 0, sizeof g->lecam_real);
        memset(g->lecam_fake, 0, sizeof g->lecam_fake);
    }
    return TRUE;
}

gboolean dg_gan_read_weights(dg_gan *g, const dg_st *st, GError **error)
{
    return dg_gan_read_weights_classes(g, st, NULL, error);
}

gboolean dg_gan_read_weights_classes(dg_gan *g, const dg_st *st, const dg_class_map *map,
                                     GError **error)
{
    const char *format = dg_st_metadata(st, "format");
    const bool ckpt = g_strcmp0(format, "dermagan-gan-checkpoint") == 0;
    if (!ckpt && g_strcmp0(format, "dermagan-gan") != 0) {
        g_autofree char *q = dg_st_quoted(format);
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_FORMAT,
                    "not a DermaGAN GAN checkpoint or generator model (format %s)", q);
        return FALSE;
    }
    if (!ckpt && g_strcmp0(dg_st_metadata(st, "discriminator"), "yes") != 0) {
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_FORMAT,
                    "the generator model was saved without its discriminator, which training "
                    "needs");
        return FALSE;
    }
    dg_gan_config saved;
    const char *why = NULL;
    if (!dg_gan_config_from_json(&saved, dg_st_metadata(st, "gan"), error))
        return FALSE;
    /* a class head (cfg.aux) or a twin head (cfg.aux_twin) may be new: its
     * tensors, the D's last, keep their initial weights */
    dg_gan_config like = saved;
    const bool saved_twin = saved.aux > 0 && saved.aux_twin, twin = g->cfg.aux > 0 && g->cfg.aux_twin;
    const bool new_head = (saved.aux == 0 && g->cfg.aux > 0) || (!saved_twin && twin);
    if (new_head) {
        like.aux = g->cfg.aux;
        like.aux_twin = g->cfg.aux_twin;
    }
    if (map) {
        if (map->file_classes != saved.n_classes) {
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "the class map has %d rows of the file's, the file %d classes",
                        map->file_classes, saved.n_classes);
            return FALSE;
        }
        if (saved.aux > 0 || g->cfg.aux > 0) {
            /* a head's output units are the classes: its weights cannot move
             * to another set of classes the way a table's rows can */
            g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                        "its classes differ from this run's, and a discriminator with a class "
                        "head cannot change its classes; start from a file without class heads "
                        "and with a preset whose class-head weight is 0");
            return FALSE;
        }
        like.n_classes = g->cfg.n_classes;
    }
    int d_tensors = -1; /* all */
    if (new_head) {
        dg_net *D0 = dg_gan_graph_d(&saved, 1);
        d_tensors = dg_net_n_tensors(D0);
        dg_net_free(D0);
    }
    if (!dg_gan_config_same_networks(&like, &g->cfg, &why)) {
        g_autofree char *q = dg_st_quoted(saved.preset); /* the file's own words */
        g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID,
                    "its networks differ from this run's (%s; it is preset %s)", why, q);
        return FALSE;
    }
    for (int p = 0; p < g->n_pairs; p++) {
        g_autofree char *gp = pair_prefix(g, 'g', p), *dp = pair_prefix(g, 'd', p),
                        *ep = pair_prefix(g, 'e', p);
        if (map ? !dg_net_read_classes(st, g->G[p], gp, map, error) ||
                      !dg_net_read_classes(st, g->D[p], dp, map, error)
                : !dg_net_read(st, g->G[p], gp, FALSE, error) ||
                      !dg_net_read_first(st, g->D[p], dp, d_tensors, error))
            return FALSE;
        if (g->Gema[p]) {
            /* a checkpoint's EMA generator when it has one; a model file's
             * generator is already the average */
            if (ckpt && saved.ema > 0) {
                if (map ? !dg_net_read_classes(st, g->Gema[p], ep, map, error)
                        : !dg_net_read(st, g->Gema[p], ep, FALSE, error))
                    return FALSE;
            } else {
                dg_net_copy_weights(g->Gema[p], g->G[p]);
            }
        }
        g->opt_g[p].t = g->opt_d[p].t = 0; /* the optimizer starts afresh */
    }
    memset(g->lecam_real, 0, sizeof g->lecam_real);
    memset(g->lecam_fake, 0, sizeof g->lecam_fake);
    return TRUE;
}

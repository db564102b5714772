#include "dg-gan-monitor.h"

#include "jobs/dg-job-cnn-private.h"
#include "models/dg-metrics.h"

#define MON_BATCH 64

struct dg_gan_monitor {
    dg_cnn *cnn;
    int D, n_real, n, S;
    float *real_feat, *z, *img, *feat;
    int *labels;
};

dg_gan_monitor *dg_gan_monitor_new(const char *classifier, const dg_dataset *ds,
                                   const int *train_idx, int n_train, const dg_gan *gan,
                                   dg_ctx *ctx, uint64_t seed, char **why)
{
    GError *e = NULL;
    dg_cnn *cnn = dg_job_load_classifier(classifier, MON_BATCH, NULL, &e);
    if (!cnn) {
        *why = g_strdup(e->message);
        g_error_free(e);
        return NULL;
    }
    const int S = gan->cfg.size;
    if (cnn->cfg.size != S) {
        *why = g_strdup_printf("the classifier takes %dx%d images, the generator makes %dx%d",
                               cnn->cfg.size, cnn->cfg.size, S, S);
        dg_cnn_free(cnn);
        return NULL;
    }
    dg_gan_monitor *m = g_new0(dg_gan_monitor, 1);
    m->cnn = cnn;
    m->S = S;
    m->D = dg_cnn_feature_dim(cnn);
    m->n_real = n_train;
    m->n = DG_GAN_MONITOR_SAMPLES;
    const long img = 3L * S * S;
    m->real_feat = g_new(float, (long)n_train * m->D);
    m->img = g_new(float, MON_BATCH * img);
    for (int i0 = 0; i0 < n_train; i0 += MON_BATCH) {
        int b = MIN(MON_BATCH, n_train - i0);
        for (int i = 0; i < b; i++)
            dg_image_to_float(dg_dataset_image(ds, train_idx[i0 + i]), S, m->img + i * img);
        dg_cnn_features(cnn, ctx, m->img, b, m->real_feat + (long)i0 * m->D);
    }
    /* fixed noise and labels: successive measurements differ only by the generator */
    dg_rng rng;
    dg_rng_seed(&rng, seed ^ 0x4D0417ull);
    m->z = g_new(float, (long)m->n * gan->cfg.nz);
    dg_rng_fill_normal(&rng, m->z, (long)m->n * gan->cfg.nz, 0.0f, 1.0f);
    m->labels = g_new(int, m->n);
    for (int i = 0; i < m->n; i++)
        m->labels[i] = i % gan->cfg.n_classes;
    m->feat = g_new(float, (long)m->n * m->D);
    return m;
}

void dg_gan_monitor_free(dg_gan_monitor *m)
{
    if (!m)
        return;
    dg_cnn_free(m->cnn);
    g_free(m->real_feat), g_free(m->z), g_free(m->img), g_free(m->feat), g_free(m->labels);
    g_free(m);
}

double dg_gan_monitor_measure(dg_gan_monitor *m, dg_gan *gan, dg_ctx *ctx)
{
    const long img = 3L * m->S * m->S;
    const int nz = gan->cfg.nz;
    for (int i0 = 0; i0 < m->n; i0 += MON_BATCH) {
        int b = MIN(MON_BATCH, m->n - i0);
        dg_gan_generate(gan, ctx, NULL, m->z + (long)i0 * nz, m->labels + i0, b, m->img);
        dg_cnn_features(m->cnn, ctx, m->img, b, m->feat + (long)i0 * m->D);
    }
    (void)img;
    return dg_frechet_distance(m->feat, m->n, m->real_feat, m->n_real, m->D);
}

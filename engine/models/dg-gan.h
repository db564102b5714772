/* dg-gan.h: the GANs of DermaGAN (models-and-data layer).
 *
 * Presets:
 *  - "seed": the original project's model: one unconditional DCGAN per class
 *    (latent 512, ngf = ndf = 64, BCE, Adam 1e-4 / beta1 0.5, batch 16), for
 *    comparison;
 *  - "default": one class-conditional DCGAN: class-conditional batch norm in
 *    the generator, a projection discriminator, DiffAugment (colour,
 *    translation, cutout) on real and fake images, non-saturating BCE, an
 *    exponential moving average of the generator's weights for sampling;
 *    sized (ngf = ndf = 48) to train a useful model in about an hour on two
 *    cores;
 *  - "large": the same at ngf = ndf = 64, latent 128, longer.
 * Images are 3 x size x size in [-1, 1]; size 32, 64 or 128. */
#pragma once
#include <glib.h>
#include <stdbool.h>

#include "models/dg-checkpoint.h"
#include "models/dg-diffaug.h"
#include "models/dg-safetensors.h"
#include "numerics/dg-ctx.h"
#include "numerics/dg-net.h"

G_BEGIN_DECLS

#define DG_GAN_MAX_CLASSES 16
#define DG_GAN_MAX_NZ 1024       /* latent size */
#define DG_GAN_MAX_WIDTH 256     /* ngf, ndf */
#define DG_GAN_MAX_STEPS 10000000

typedef enum { DG_GAN_LOSS_BCE, DG_GAN_LOSS_HINGE } dg_gan_loss;
const char *dg_gan_loss_name(dg_gan_loss l);

/* Network families (dg-gan-nets.c): DCGAN-style plain stacks, or the
 * residual blocks of SNGAN / BigGAN. */
typedef enum { DG_GAN_ARCH_DCGAN, DG_GAN_ARCH_RESNET } dg_gan_arch;
const char *dg_gan_arch_name(dg_gan_arch a);

typedef struct {
    char preset[64];
    int size;
    int n_classes;
    bool conditional; /* false: one unconditional pair per class */
    int nz, ngf, ndf;
    dg_gan_loss loss;
    float lr_g, lr_d, beta1, beta2;
    int batch;
    float ema;            /* EMA decay of the generator's weights; 0 = off */
    dg_diffaug_policy diffaug;
    bool balanced;        /* class-balanced sampling of real images */
    bool upsample_conv;   /* generator: nearest 2x upsampling + 3x3 convolution instead of
                             4x4 stride-2 transposed convolutions (no checkerboard) */
    bool up_bilinear;     /* with upsample_conv: bilinear instead of nearest upsampling */
    dg_gan_arch g_arch, d_arch;
    bool g_reflect;       /* resnet G: reflection padding before its 3x3 convolutions instead
                             of zeros (the zeros at the edge tell every layer where it is,
                             which the generator turns into patterns at fixed positions) */
    bool g_reflect_low;   /* with g_reflect: only up to 8x8 (zeros above, where the edge is
                             far from most pixels) */
    bool g_coords;        /* resnet G: a radial-distance channel beside the input of every
                             block's first convolution (dg_net_coords) */
    bool g_noise;         /* resnet G: per-pixel noise after every block convolution
                             (dg_net_noise, StyleGAN / FastGAN) */
    bool g_noise_low;     /* with g_noise: only in the blocks below the output resolution
                             (noise at the last block adds white grain at the top
                             frequencies, which skin does not have) */
    bool d_sn;            /* spectral normalization in D (and no batch norm there) */
    bool d_avgpool;       /* dcgan D: 3x3 conv + 2x2 average pooling instead of 4x4 stride 2 */
    bool d_act_pool;      /* with d_avgpool: the activation before the pooling (conv-act-pool,
                             so that D sees the energy of frequencies the pooling removes)
                             and a position-free head (global pooling + dense) */
    float lecam;          /* LeCam regularization weight (Tseng et al. 2021); 0 = off */
    float spectral;       /* weight of the spectral loss on G's images (Durall et al. 2020,
                             numerics/dg-spectral.h) against the real batch's; 0 = off */
    int spectral_bins;    /* with spectral: what is compared, a dg_spectral_bins: 0 the rings,
                             1 the 2-D spectrum's 2 x 2 blocks, 2 its every frequency */
    bool spectral_per_class; /* with spectral: each class's generated images against its real
                                ones (a loss per class, weighted by its share of the batch),
                                not the batch's mean spectrum: the batch loss pulls every
                                class towards the mixture's spectrum (two runs with it lost
                                most of bcc's variety, recall 0.21) */
    float aux;            /* conditional only: a class head on D beside its realness logit
                             (AC-GAN, Odena et al. 2017), trained on the real images only,
                             and this weight on the cross-entropy of that head on the real
                             images (D's loss) and on the generated ones (G's loss); 0 = off */
    bool aux_twin;        /* with aux: a second class head, trained on the generated images,
                             whose cross-entropy G is asked to raise by the same weight
                             (TAC-GAN, Gong et al. 2019): it cancels AC-GAN's pull towards
                             each class's easiest images (a class head alone collapsed
                             melanoma into one kind of dark blob) */
    int steps;            /* the preset's default training length */
} dg_gan_config;

/* Fill a config from a preset name; FALSE + error for an unknown name. */
gboolean dg_gan_config_preset(dg_gan_config *cfg, const char *preset, int n_classes,
                              GError **error);
/* The config as a JSON object string (stored in model files), and back
 * (validated: FALSE + error on anything out of range). */
char *dg_gan_config_to_json(const dg_gan_config *cfg);
gboolean dg_gan_config_from_json(dg_gan_config *cfg, const char *json, GError **error);
/* Every value within its range (DG_MODEL_ERROR_INVALID naming the range). */
gboolean dg_gan_config_validate(const dg_gan_config *cfg, GError **error);
/* TRUE when two configs build networks of the same shape and function
 * (image size, classes, latent, widths, architectures and their layers), so
 * that the weights of one fit the other; losses, rates and lengths may
 * differ.  why: the first difference, for a message. */
bool dg_gan_config_same_networks(const dg_gan_config *a, const dg_gan_config *b,
                                 const char **why);
/* The memory the nets of cfg would need for max_batch images (training: G,
 * its EMA copy, D and optimizer state; otherwise G, and D when with_d) is
 * within DG_MODEL_MAX_BYTES; checked before anything is allocated. */
gboolean dg_gan_config_check_memory(const dg_gan_config *cfg, int max_batch, bool training,
                                    bool with_d, GError **error);

/* Data-parallel training (see engine/dist): this process trains on images
 * [offset, offset + B) of a global batch of `total`, and sum() adds a float
 * buffer over all the processes, in place, with the same result in each.
 * dg_gan_train_step then draws the noise and DiffAugment parameters of the
 * whole batch (keeping its part's), scales its losses to the whole batch,
 * and sums the losses and each net's gradients before that net's update:
 * the processes together take the step one process would take on the whole
 * batch.  (Batch norm over the whole batch is the context's: dg_ctx_set_sum.) */
typedef struct {
    int offset, total;
    void (*sum)(float *x, long n, void *user);
    void (*sum_double)(double *x, long n, void *user); /* the same in double */
    void *user;
} dg_gan_shard;

typedef struct {
    dg_gan_config cfg;
    int n_pairs; /* 1 (conditional) or n_classes (seed) */
    int max_batch;
    dg_net *G[DG_GAN_MAX_CLASSES];
    dg_net *D[DG_GAN_MAX_CLASSES];    /* NULL when loaded without a discriminator */
    dg_net *Gema[DG_GAN_MAX_CLASSES]; /* NULL when EMA is off or not training */
    dg_opt opt_g[DG_GAN_MAX_CLASSES], opt_d[DG_GAN_MAX_CLASSES];
    bool training;
    /* step buffers */
    float *z, *real_aug, *fake_aug, *dfake_aug, *dfake, *dl;
    float *realness, *cls, *dcls, *dout; /* with cfg.aux: column 0 of D's output, its class
                                            logits, their gradient, D's output gradient */
    float *twin, *dtwin;                 /* with cfg.aux_twin: the twin head's logits and
                                            their gradient */
    dg_diffaug_params aug_real, aug_fake;
    /* LeCam: moving averages of D's outputs on real and fake images, per pair */
    float lecam_real[DG_GAN_MAX_CLASSES], lecam_fake[DG_GAN_MAX_CLASSES];
    float lecam_state[2 * DG_GAN_MAX_CLASSES]; /* their copy while a checkpoint is written */
    const dg_gan_shard *shard; /* data-parallel training; NULL: the whole batch is here */
    struct dg_spectral *spectral; /* cfg.spectral > 0 and training */
} dg_gan;

/* Build the nets.  training: also the discriminators, EMA copies and
 * optimizers; otherwise only the generators (with_d adds discriminators for
 * filtering). */
dg_gan *dg_gan_new(const dg_gan_config *cfg, int max_batch, bool training, bool with_d);
void dg_gan_free(dg_gan *gan);
void dg_gan_init(dg_gan *gan, dg_rng *rng);
long dg_gan_n_params_g(const dg_gan *gan);
long dg_gan_n_params_d(const dg_gan *gan);

typedef struct {
    float d_loss, g_loss; /* D: real + fake; G: the generator's loss */
    float d_real, d_fake; /* mean sigmoid of D's logits on (augmented) real and fake */
    float spectral;       /* the spectral loss (unweighted; 0 when off) */
    float aux_real, aux_fake; /* with cfg.aux: the class head's cross-entropy (unweighted) on
                                 the real and on the generated images */
    float aux_twin;           /* with cfg.aux_twin: the twin head's cross-entropy (unweighted)
                                 on the generated images, as D learned from them */
} dg_gan_stats;

/* One training step of pair `pair` (0 for conditional models) on B real images
 * x [B, 3, S, S] in [-1, 1] with their labels.  Returns FALSE if a loss or a
 * gradient is not finite (the step's updates are then not applied). */
gboolean dg_gan_train_step(dg_gan *gan, dg_ctx *ctx, dg_rng *rng, const float *x,
                           const int *labels, int B, int pair, dg_gan_stats *st);

/* Re-estimate the batch-norm statistics of the generators used for sampling
 * (the EMA copies when present) from n_batches batches of random inputs. */
void dg_gan_refresh_stats(dg_gan *gan, dg_ctx *ctx, dg_rng *rng, int n_batches);

/* Generate n images for the given labels from noise z [n, nz] (NULL: drawn
 * from rng) with the sampling generator in evaluation mode.  out: n images
 * of [3, S, S] floats in [-1, 1]. */
void dg_gan_generate(dg_gan *gan, dg_ctx *ctx, dg_rng *rng, const float *z, const int *labels,
                     int n, float *out);
/* Discriminator logits for n images (needs discriminators), eval mode: the
 * realness logit (not the class head's). */
gboolean dg_gan_discriminate(dg_gan *gan, dg_ctx *ctx, const float *x, const int *labels, int n,
                             float *logits);

/* Model files: the sampling generator(s) (+ discriminators when with_d), the
 * config, classes and preprocessing in __metadata__. */
gboolean dg_gan_save_model(dg_gan *gan, const char *path, const char *const *class_ids,
                           const char *const *class_names, bool with_d, GHashTable *extra_meta,
                           GError **error);
/* The generator model file `in` cut down to the classes named in keep (the
 * same weights; each kept class keeps its rows of the class-conditional
 * batch norms and of the projection, in the file's order, so it draws the
 * same images), written to `out`: e.g. the four task classes of a GAN
 * trained on all seven of HAM10000's.  Files with class heads, or of
 * unconditional per-class pairs, are refused. */
gboolean dg_gan_save_classes(const char *in, const char *const *keep, const char *out,
                             GError **error);
/* Loads a model file; class ids/names are returned in newly allocated
 * NULL-terminated arrays (free with g_strfreev). */
dg_gan *dg_gan_load_model(const char *path, int max_batch, char ***class_ids,
                          char ***class_names, GError **error);

/* Every net's weights and statistics finite (DG_MODEL_ERROR_NOT_FINITE). */
gboolean dg_gan_check_finite(dg_gan *gan, GError **error);

/* Full training state (all nets with optimizer moments and Adam step counts)
 * into / out of a checkpoint writer / file. */
void dg_gan_write_state(dg_gan *gan, dg_st_writer *w, int64_t *opt_steps_storage);
gboolean dg_gan_read_state(dg_gan *gan, const dg_st *st, GError **error);
/* Only the weights (no optimizer state) from a training checkpoint (its
 * generator, discriminator and EMA generator) or from a model file saved
 * with its discriminator (its sampling generator becomes both the trained
 * and the EMA generator), into a gan fresh from dg_gan_new and dg_gan_init
 * (zero optimizer moments) of the same networks (dg_gan_config_same_networks):
 * to start a new run from a trained one. */
gboolean dg_gan_read_weights(dg_gan *gan, const dg_st *st, GError **error);
/* The same from a file of other classes: map gives, for each of this gan's
 * classes, the file's class it starts from (or -1: the mean of the file's
 * classes) in the class-conditional batch norms and the projection.  Class
 * heads (cfg.aux) cannot change classes: refused. */
gboolean dg_gan_read_weights_classes(dg_gan *gan, const dg_st *st, const dg_class_map *map,
                                     GError **error);

G_END_DECLS

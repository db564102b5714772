/* dg-gan-monitor.h: a cheap quality figure while a GAN trains.
 *
 * Every few minutes the training job asks for the Frechet distance between
 * the pooled classifier features of a fixed set of generated images (fixed
 * noise, classes in equal shares, from the sampling generator) and those of
 * the real training images, so a user sees when more training stops paying.
 * It uses few samples (DG_GAN_MONITOR_SAMPLES), so its values sit above what
 * `gan score` reports with 500 per class: read it as a trend. */
#pragma once
#include <glib.h>

#include "data/dg-dataset.h"
#include "jobs/dg-job.h"
#include "models/dg-gan.h"

G_BEGIN_DECLS

#define DG_GAN_MONITOR_SAMPLES 256

typedef struct dg_gan_monitor dg_gan_monitor;

/* classifier: the feature extractor (NULL: the bundled classifier).  Returns
 * NULL with a reason in *why (g_free it) when no classifier of the GAN's image
 * size is at hand: training goes on without the figure. */
dg_gan_monitor *dg_gan_monitor_new(const char *classifier, const dg_dataset *ds,
                                   const int *train_idx, int n_train, const dg_gan *gan,
                                   dg_ctx *ctx, uint64_t seed, char **why);
void dg_gan_monitor_free(dg_gan_monitor *m);
/* The Frechet distance of the GAN's current sampling generator. */
double dg_gan_monitor_measure(dg_gan_monitor *m, dg_gan *gan, dg_ctx *ctx);

G_END_DECLS

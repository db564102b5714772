/* dg-gan-private.h: pieces of the GAN model shared by its source files. */
#pragma once
#include "models/dg-gan.h"

/* The networks of a config (dg-gan-nets.c): the graph only (nothing
 * allocated yet: dg_model_net_bytes can size it), or finalized. */
dg_net *dg_gan_graph_g(const dg_gan_config *c, int max_batch);
dg_net *dg_gan_graph_d(const dg_gan_config *c, int max_batch);
dg_net *dg_gan_build_g(const dg_gan_config *c, int max_batch);
dg_net *dg_gan_build_d(const dg_gan_config *c, int max_batch);
/* Weight initialization for an architecture family. */
dg_init dg_gan_init_scheme(dg_gan_arch arch);
/* The tensor-name prefix of pair p's net `what` ('g', 'd', 'e'): "g." for a
 * single pair, "g0." ... for per-class pairs. */
char *dg_gan_pair_prefix(const dg_gan *g, char what, int p);

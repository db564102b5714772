/* dg-gan-nets.c: the generator and discriminator networks of dg-gan.h.
 *
 * Two families, chosen per network by the config:
 *  - "dcgan" (Radford et al. 2016): G is a 4x4 transposed convolution from
 *    the latent vector, then one (upsample + 3x3 conv | 4x4 stride-2
 *    transposed conv) + BN + ReLU per doubling; D is 4x4 stride-2
 *    convolutions with BN and LeakyReLU (or, with d_avgpool, 3x3 stride-1
 *    convolutions followed by 2x2 average pooling, which low-pass filters
 *    before every subsampling instead of sampling every other pixel; with
 *    d_act_pool the LeakyReLU comes before the pooling, as in conv-act-pool
 *    stacks, and the head is global pooling + dense instead of a 4x4
 *    convolution that weighs every position of the last map on its own).
 *  - "resnet" (the SNGAN / BigGAN residual blocks: Miyato et al. 2018,
 *    Brock et al. 2019): G blocks BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3
 *    plus a nearest-upsampled 1x1 shortcut, with class-conditional BN; D
 *    blocks ReLU-conv3x3-ReLU-conv3x3-avgpool plus an avgpool-1x1 shortcut,
 *    no batch norm (it would couple the real and fake batches), a ReLU,
 *    global pooling, a linear output and a class projection (Miyato &
 *    Koyama 2018).  With g_reflect, G's 3x3 convolutions see reflection
 *    padding instead of zeros (as the image-to-image generators of Isola et
 *    al. 2017 and Zhu et al. 2017 do), so no layer learns where the edge is
 *    (g_reflect_low: only up to 8x8); with g_coords each block's first
 *    convolution also sees the distance from the centre (CoordConv, Liu et
 *    al. 2018), a cue for where the lesion goes that is not the padding;
 *    with g_noise every block convolution is followed by per-pixel noise
 *    with a learned scale per channel (Karras et al. 2019; Liu et al. 2021),
 *    a source of fine detail that the convolutions need not make up
 *    (g_noise_low: not in the last block, whose noise reaches the output
 *    as white grain).
 * Spectral normalization (d_sn) applies to every weight of D but the
 * projection table. */
#include "dg-gan-private.h"

static int n_mid(int size)
{
    return size == 32 ? 2 : size == 64 ? 3 : 4;
}

static int norm(dg_net *G, const dg_gan_config *c, int x)
{
    return c->conditional ? dg_net_cbn(G, x, c->n_classes) : dg_net_bn(G, x);
}

static int up2(dg_net *G, const dg_gan_config *c, int x)
{
    return c->up_bilinear ? dg_net_upsample_bilinear(G, x) : dg_net_upsample(G, x, 2);
}

static dg_net *build_g_dcgan(const dg_gan_config *c, int max_batch)
{
    int mid = n_mid(c->size), mult = 1 << mid;
    dg_net *G = dg_net_new(c->nz, 1, 1, max_batch);
    int x = dg_net_convt(G, 0, c->ngf * mult, 4, 1, 0, false);
    x = dg_net_relu(G, norm(G, c, x));
    for (int i = 0; i < mid; i++) {
        mult /= 2;
        if (c->upsample_conv)
            x = dg_net_conv(G, up2(G, c, x), c->ngf * mult, 3, 1, 1, false);
        else
            x = dg_net_convt(G, x, c->ngf * mult, 4, 2, 1, false);
        x = dg_net_relu(G, norm(G, c, x));
    }
    if (c->upsample_conv)
        dg_net_tanh(G, dg_net_conv(G, up2(G, c, x), 3, 3, 1, 1, false));
    else
        dg_net_tanh(G, dg_net_convt(G, x, 3, 4, 2, 1, false));
    return G;
}

/* A 3x3 convolution, padded with zeros or (g_reflect) by reflection. */
static int conv3(dg_net *G, const dg_gan_config *c, int x, int cout, bool bias)
{
    int h;
    dg_net_node_shape(G, x, NULL, &h, NULL);
    if (c->g_reflect && (!c->g_reflect_low || h <= 8))
        return dg_net_conv(G, dg_net_pad_reflect(G, x, 1), cout, 3, 1, 0, bias);
    return dg_net_conv(G, x, cout, 3, 1, 1, bias);
}

/* One generator block: doubles the resolution, cin -> cout channels;
 * noise: per-pixel noise after its convolutions. */
static int g_block(dg_net *G, const dg_gan_config *c, int x, int cout, bool noise)
{
    int h = dg_net_relu(G, norm(G, c, x));
    h = up2(G, c, h);
    if (c->g_coords)
        h = dg_net_coords(G, h);
    h = conv3(G, c, h, cout, false);
    if (noise)
        h = dg_net_noise(G, h);
    h = dg_net_relu(G, norm(G, c, h));
    h = conv3(G, c, h, cout, true);
    if (noise)
        h = dg_net_noise(G, h);
    /* a 1x1 convolution (and its bias) commutes with upsampling: run it at the low resolution */
    int s = up2(G, c, dg_net_conv(G, x, cout, 1, 1, 0, true));
    return dg_net_add(G, h, s);
}

/* Channel multipliers of the resnet generator from 4x4 up (ngf * mult). */
static int g_mult(int size, int level)
{
    static const int m32[] = {8, 4, 2, 1}, m64[] = {8, 8, 4, 2, 1}, m128[] = {8, 8, 4, 2, 1, 1};
    const int *m = size == 32 ? m32 : size == 64 ? m64 : m128;
    return m[level];
}

static dg_net *build_g_resnet(const dg_gan_config *c, int max_batch)
{
    int levels = n_mid(c->size) + 1; /* doublings from 4x4 */
    dg_net *G = dg_net_new(c->nz, 1, 1, max_batch);
    int x = dg_net_convt(G, 0, c->ngf * g_mult(c->size, 0), 4, 1, 0, true); /* = dense + reshape */
    for (int l = 1; l <= levels; l++) /* block l outputs 4 << l pixels a side */
        x = g_block(G, c, x, c->ngf * g_mult(c->size, l),
                    c->g_noise && (!c->g_noise_low || (4 << l) < c->size));
    x = dg_net_relu(G, dg_net_bn(G, x));
    dg_net_tanh(G, conv3(G, c, x, 3, true));
    return G;
}

static int sn(dg_net *D, const dg_gan_config *c, int node)
{
    if (c->d_sn)
        dg_net_spectral_norm(D, node);
    return node;
}

/* The class-dependent part of D's output: the projection (Miyato & Koyama
 * 2018) added to the realness logit, and with aux the K logits of a class
 * head after it (AC-GAN): the output is then [1 + K, 1, 1]; with aux_twin
 * the K logits of the twin head (TAC-GAN) after those, [1 + 2K, 1, 1].
 * Each head's nodes come after the rest, so the tensors of a D without it
 * keep their names. */
static int d_head(dg_net *D, const dg_gan_config *c, int x, int out)
{
    if (!c->conditional)
        return out;
    int h = dg_net_gap(D, x);
    out = dg_net_add(D, out, dg_net_project(D, h, c->n_classes));
    if (c->aux > 0)
        out = dg_net_concat(D, out, sn(D, c, dg_net_dense(D, h, c->n_classes, true)));
    if (c->aux > 0 && c->aux_twin)
        out = dg_net_concat(D, out, sn(D, c, dg_net_dense(D, h, c->n_classes, true)));
    return out;
}

static dg_net *build_d_dcgan(const dg_gan_config *c, int max_batch)
{
    int mid = n_mid(c->size), mult = 1;
    dg_net *D = dg_net_new(3, c->size, c->size, max_batch);
    int x = 0;
    if (c->d_act_pool) { /* conv - LeakyReLU - average pool, then a position-free head */
        for (int i = 0; i <= mid; i++, mult *= 2)
            x = dg_net_avgpool(D, dg_net_lrelu(D, sn(D, c, dg_net_conv(D, x, c->ndf * mult, 3, 1, 1, true)), 0.2f),
                               2, 2, 0);
        int out = sn(D, c, dg_net_dense(D, dg_net_gap(D, x), 1, true));
        d_head(D, c, x, out);
        return D;
    }
    for (int i = 0; i <= mid; i++) {
        int oc = c->ndf * mult;
        if (c->d_avgpool)
            x = dg_net_avgpool(D, sn(D, c, dg_net_conv(D, x, oc, 3, 1, 1, c->d_sn)), 2, 2, 0);
        else
            x = sn(D, c, dg_net_conv(D, x, oc, 4, 2, 1, c->d_sn));
        if (i > 0 && !c->d_sn)
            x = dg_net_bn(D, x);
        x = dg_net_lrelu(D, x, 0.2f);
        mult *= 2;
    }
    int out = sn(D, c, dg_net_conv(D, x, 1, 4, 1, 0, false)); /* 4x4 -> 1: the DCGAN head */
    d_head(D, c, x, out);
    return D;
}

/* One discriminator block: cin -> cout channels, halves the resolution when
 * down.  first: the input is the image (no ReLU before the first conv). */
static int d_block(dg_net *D, const dg_gan_config *c, int x, int cout, bool down, bool first)
{
    int cin;
    dg_net_node_shape(D, x, &cin, NULL, NULL);
    int h = first ? x : dg_net_relu(D, x);
    h = sn(D, c, dg_net_conv(D, h, cout, 3, 1, 1, true));
    h = sn(D, c, dg_net_conv(D, dg_net_relu(D, h), cout, 3, 1, 1, true));
    if (down)
        h = dg_net_avgpool(D, h, 2, 2, 0);
    int s = x;
    if (down) /* average pooling commutes with a 1x1 convolution: pool first */
        s = dg_net_avgpool(D, s, 2, 2, 0);
    if (cin != cout || down)
        s = sn(D, c, dg_net_conv(D, s, cout, 1, 1, 0, true));
    return dg_net_add(D, h, s);
}

static dg_net *build_d_resnet(const dg_gan_config *c, int max_batch)
{
    int mid = n_mid(c->size), mult = 1;
    dg_net *D = dg_net_new(3, c->size, c->size, max_batch);
    int x = 0;
    for (int i = 0; i <= mid; i++) { /* size -> 4x4 */
        x = d_block(D, c, x, c->ndf * mult, true, i == 0);
        mult *= 2;
    }
    x = dg_net_relu(D, x);
    int out = sn(D, c, dg_net_dense(D, dg_net_gap(D, x), 1, true));
    d_head(D, c, x, out);
    return D;
}

dg_net *dg_gan_graph_g(const dg_gan_config *c, int max_batch)
{
    return c->g_arch == DG_GAN_ARCH_RESNET ? build_g_resnet(c, max_batch)
                                           : build_g_dcgan(c, max_batch);
}

dg_net *dg_gan_graph_d(const dg_gan_config *c, int max_batch)
{
    return c->d_arch == DG_GAN_ARCH_RESNET ? build_d_resnet(c, max_batch)
                                           : build_d_dcgan(c, max_batch);
}

dg_net *dg_gan_build_g(const dg_gan_config *c, int max_batch)
{
    dg_net *G = dg_gan_graph_g(c, max_batch);
    dg_net_finalize(G);
    return G;
}

dg_net *dg_gan_build_d(const dg_gan_config *c, int max_batch)
{
    dg_net *D = dg_gan_graph_d(c, max_batch);
    dg_net_finalize(D);
    return D;
}

dg_init dg_gan_init_scheme(dg_gan_arch arch)
{
    return arch == DG_GAN_ARCH_RESNET ? DG_INIT_KAIMING : DG_INIT_DCGAN;
}

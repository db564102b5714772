/* dg-net.h: a network as a small static graph of layers.
 *
 * Build it node by node (each builder returns the new node's id; node 0 is
 * the input), then dg_net_finalize allocates everything at once:
 *  - one arena holding all parameters, their gradients and both optimizer
 *    moments ([params | grads | m | v]) plus non-trained buffers (batch-norm
 *    running statistics);
 *  - activation and gradient buffers for max_batch samples per node.  An
 *    activation whose input has no other consumer runs in place (ReLU after
 *    batch norm shares its buffer), which keeps memory near the minimum.
 *
 * A forward pass keeps what backward needs; backward walks the nodes in
 * reverse and accumulates parameter gradients (+=) until dg_net_zero_grad.
 * A net holds no global state: several nets can run in several threads, each
 * with its own dg_ctx. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dg-ctx.h"
#include "dg-optim.h"
#include "dg-rng.h"

typedef enum {
    DG_OP_INPUT,
    DG_OP_CONV,
    DG_OP_CONVT,
    DG_OP_DWCONV,
    DG_OP_BN,
    DG_OP_DENSE,
    DG_OP_RELU,
    DG_OP_LRELU,
    DG_OP_TANH,
    DG_OP_SIGMOID,
    DG_OP_MAXPOOL,
    DG_OP_AVGPOOL,
    DG_OP_GAP,
    DG_OP_DROPOUT,
    DG_OP_ADD,
    DG_OP_EMBED,
    DG_OP_CONCAT,
    DG_OP_PROJECT,
    DG_OP_CBN,
    DG_OP_UPSAMPLE,
    DG_OP_PAD,
    DG_OP_COORDS,
    DG_OP_NOISE,
} dg_op;

const char *dg_op_name(dg_op op);

typedef struct {
    char name[48];   /* "03.conv.weight" */
    int ndim;
    int shape[4];
    long n;          /* elements */
    long off;        /* offset in the params region (trainable) or the buffers region */
    bool trainable;  /* false: a buffer (running statistics) */
    bool decay;      /* weight decay applies (conv/dense weights) */
} dg_tensor;

typedef struct dg_net dg_net;

/* A net whose input is max_batch samples of [c, h, w]. */
dg_net *dg_net_new(int c, int h, int w, int max_batch);
void dg_net_free(dg_net *net);

/* Builders: return the new node's id. */
int dg_net_conv(dg_net *net, int in, int oc, int k, int stride, int pad, bool bias);
int dg_net_convt(dg_net *net, int in, int oc, int k, int stride, int pad, bool bias);
int dg_net_dwconv(dg_net *net, int in, int k, int stride, int pad, bool bias);
int dg_net_bn(dg_net *net, int in);
int dg_net_cbn(dg_net *net, int in, int n_classes); /* class-conditional BN (uses labels) */
int dg_net_dense(dg_net *net, int in, int out, bool bias); /* flattens [C, H, W] */
int dg_net_relu(dg_net *net, int in);
int dg_net_lrelu(dg_net *net, int in, float slope);
int dg_net_tanh(dg_net *net, int in);
int dg_net_sigmoid(dg_net *net, int in);
int dg_net_maxpool(dg_net *net, int in, int k, int stride, int pad);
int dg_net_avgpool(dg_net *net, int in, int k, int stride, int pad);
int dg_net_gap(dg_net *net, int in);
int dg_net_upsample(dg_net *net, int in, int factor);     /* nearest neighbour, H*f x W*f */
int dg_net_upsample_bilinear(dg_net *net, int in);        /* 2x bilinear (dg-resample.h) */
/* Reflection padding by p (1 <= p < H, W): [C, H, W] -> [C, H+2p, W+2p], the
 * border mirrored without repeating the edge (PyTorch's ReflectionPad2d).  A
 * convolution after it with padding 0 sees no zeros at the image's edge, so
 * the border tells it nothing about position. */
int dg_net_pad_reflect(dg_net *net, int in, int p);
/* The input plus one constant channel: the distance from the plane's centre,
 * 0 there and 1 at the corners (CoordConv, Liu et al. 2018): a cue for
 * where the middle is that does not come from the zeros of padding. */
int dg_net_coords(dg_net *net, int in);
/* Per-pixel noise injection (Karras et al. 2019, StyleGAN; Liu et al. 2021,
 * FastGAN): in + scale[c] * n[b, y, x], n standard normal, one plane per
 * image shared by its channels, scale learned per channel and zero at
 * first.  The noise is a hash of the image's input vector (the net's input
 * row), this node and the pixel: the same input gives the same image, with
 * no random state to keep, share out or checkpoint. */
int dg_net_noise(dg_net *net, int in);
int dg_net_dropout(dg_net *net, int in, float p);
int dg_net_add(dg_net *net, int a, int b);
int dg_net_embed(dg_net *net, int n_classes, int dim);     /* [dim, 1, 1] from the labels */
int dg_net_concat(dg_net *net, int a, int b);              /* channels; same H, W */
int dg_net_project(dg_net *net, int in, int n_classes);    /* [1, 1, 1] = <E[y], flatten(in)> */
/* Spectral normalization of a conv, convt or dense node's weight (see
 * dg-specnorm.h): the layer computes with W / sigma(W); the vector u is a
 * buffer ("NN.op.sn_u", saved with the weights) that dg_net_step advances by
 * one power iteration after every update. */
void dg_net_spectral_norm(dg_net *net, int node);
/* One power iteration of every spectrally normalized weight (dg_net_step
 * does this; call it after changing weights by other means if wanted). */
void dg_net_sn_iterate(dg_net *net);
/* Set batch-norm eps / momentum of a BN node (defaults 1e-5, 0.1). */
void dg_net_bn_set(dg_net *net, int node, float eps, float momentum);

/* Allocate the arena and buffers.  No builders after this.  Finalizing also
 * fuses what can run as one pass: a ReLU/LeakyReLU in place after a batch
 * norm (done in the batch norm's pass), and a stride-1 convolution whose one
 * consumer is a 2x2 average pool (done as one (k+1)x(k+1) stride-2
 * convolution; the convolution's own output then holds the pooled values,
 * and dg_net_backward_to cannot stop there), noise injection added in place
 * to its convolution's output, and a coordinate channel whose one consumer
 * is a reflection padding (written padded, dg_coords_pad_forward; its own
 * output is then the padding's, and dg_net_backward_to cannot stop there).
 * A convolution whose noise is added in place holds the noisy values, and
 * dg_net_node_out / _grad refuse a coordinate channel written padded.
 * DG_NO_POOL_FUSION, DG_NO_NOISE_IN_PLACE and DG_NO_PAD_FUSION in the
 * environment turn the last three off, for comparisons. */
void dg_net_finalize(dg_net *net);

typedef enum { DG_INIT_DCGAN, DG_INIT_KAIMING } dg_init;
/* DCGAN: weights N(0, 0.02), BN gamma N(1, 0.02); KAIMING: He-normal weights
 * (fan-in), BN gamma 1.  Biases and BN beta 0, embeddings N(0, 1),
 * projections N(0, 0.02) (DCGAN) or U(+-1/sqrt(D)).  Running stats 0 / 1. */
void dg_net_init(dg_net *net, dg_rng *rng, dg_init scheme);

/* Forward on B <= max_batch samples.  x stays referenced (not copied) until
 * the next forward: keep it alive through backward.  labels: B class ids for
 * embed/project nodes (may be NULL if there are none).  train: batch-norm
 * uses batch statistics and updates running statistics; dropout is active. */
void dg_net_forward(dg_net *net, dg_ctx *ctx, const float *x, const int *labels, int B,
                    bool train);
/* Backward from dout (gradient of the loss w.r.t. the last node's output, B
 * samples).  dx: where to write the gradient w.r.t. the input, or NULL to
 * skip it (the first layer's input gradient is then not computed).
 * param_grads false skips parameter gradients (e.g. the discriminator
 * during the generator's step). */
void dg_net_backward(dg_net *net, dg_ctx *ctx, const float *dout, float *dx, bool param_grads);
/* Backward only through the nodes after stop_node: afterwards stop_node's
 * gradient buffer holds d(loss)/d(its output), untouched by anything before
 * it (for Grad-CAM).  No parameter gradients. */
void dg_net_backward_to(dg_net *net, dg_ctx *ctx, const float *dout, int stop_node);
void dg_net_zero_grad(dg_net *net);
/* Gradient-based update of every trainable tensor (advances opt->t). */
void dg_net_step(dg_net *net, dg_ctx *ctx, dg_opt *opt);

/* Introspection. */
int dg_net_n_nodes(const dg_net *net);
int dg_net_output_node(const dg_net *net);
void dg_net_node_shape(const dg_net *net, int node, int *c, int *h, int *w);
long dg_net_node_size(const dg_net *net, int node); /* c * h * w */
dg_op dg_net_node_op(const dg_net *net, int node);
float *dg_net_node_out(dg_net *net, int node);
float *dg_net_node_grad(dg_net *net, int node);
float *dg_net_output(dg_net *net);
int dg_net_max_batch(const dg_net *net);

/* Parameters and buffers. */
int dg_net_n_tensors(const dg_net *net);
const dg_tensor *dg_net_tensor(const dg_net *net, int i);
float *dg_net_tensor_data(dg_net *net, int i);
float *dg_net_tensor_grad(dg_net *net, int i); /* NULL for buffers */
int dg_net_find_tensor(const dg_net *net, const char *name);
long dg_net_n_params(const dg_net *net);  /* trainable floats */
long dg_net_n_buffers(const dg_net *net); /* non-trainable floats */
float *dg_net_params(dg_net *net);        /* [n_params] */
float *dg_net_grads(dg_net *net);         /* [n_params] */
float *dg_net_moment1(dg_net *net);       /* [n_params] */
float *dg_net_moment2(dg_net *net);       /* [n_params] */
float *dg_net_buffers(dg_net *net);       /* [n_buffers] */
size_t dg_net_bytes(const dg_net *net);   /* arena + activations */
/* Multiply-add FLOPs (2 per MAC) of one forward of a conv/convT/dwconv/dense
 * node for batch B (0 for other nodes); a backward costs the same again for
 * the weight gradient and again for the input gradient. */
double dg_net_node_flops(const dg_net *net, int node, int B);

/* Work counters and per-node timing.  Every pass counts the FLOPs of its
 * convolution and dense layers, split into forward, backward-data (the input
 * gradient) and backward-weight (the parameter gradients).  dg_net_profile
 * resets the counters; when on, passes and optimizer steps also accumulate
 * wall time per node and part.  dg_net_profile_print writes a table (ms per
 * step, GFLOP/s and its fraction of the given sgemm GFLOP/s for every
 * convolution; other layers summed by kind). */
void dg_net_profile(dg_net *net, bool on);
double dg_net_flops_done(const dg_net *net); /* since dg_net_profile */
typedef struct {
    double conv_s, conv_flop; /* convolution and dense layers: seconds, FLOPs */
    double other_s;           /* all other layers */
    double step_s;            /* optimizer steps */
} dg_net_prof_totals;
void dg_net_profile_totals(const dg_net *net, dg_net_prof_totals *t);
void dg_net_profile_print(const dg_net *net, FILE *out, const char *title, double sgemm_gflops,
                          int steps);

/* Let net use the activation and gradient buffers of `with`, a net built
 * the same way (same layers, max batch), and free its own: for nets that
 * never run at the same time (an EMA copy used for sampling, one pair of
 * per-class GANs at a time).  A pass of one clobbers what a pass of the
 * other left there; `with` must outlive net's use of them. */
void dg_net_share_activations(dg_net *net, dg_net *with);

/* The net's own RNG (dropout). */
dg_rng *dg_net_rng(dg_net *net);
/* Data-parallel training: the samples of the following training forwards
 * are [offset, offset + B) of a batch of total (total 0, the default: the
 * batch is whole).  Dropout then draws the masks of the whole batch and
 * uses this part's, so that processes that split a batch draw the masks
 * one process would. */
void dg_net_set_shard(dg_net *net, int offset, int total);
/* Copy parameters and buffers between two nets built the same way. */
void dg_net_copy_weights(dg_net *dst, const dg_net *src);
/* Set every BN node's momentum (e.g. to 1/(k+1) to average k batches), and
 * reset running statistics to mean 0 / var 1. */
void dg_net_bn_set_momentum(dg_net *net, float momentum);
void dg_net_bn_reset_stats(dg_net *net);

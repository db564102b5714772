/* dg-net-private.h: the inside of a dg_net, shared by dg-net.c (building,
 * memory, access), dg-net-pass.c (forward, backward, optimizer step) and
 * dg-net-profile.c (per-node timing). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "dg-layers.h"
#include "dg-net.h"

typedef struct {
    dg_op op;
    int in0, in1;        /* input nodes, -1 for none */
    int c, h, w;         /* output shape per sample */
    int k, s, p;         /* kernel, stride, padding */
    int n_classes;
    bool bias;
    float alpha;         /* LReLU slope, dropout p */
    float eps, momentum; /* batch norm */
    int t_w, t_b;        /* trainable tensors: weight/gamma/table, bias/beta */
    int t_rm, t_rv;      /* BN running mean / var (buffers) */
    int t_u;             /* spectral norm: the power-iteration vector u (buffer), or -1 */
    float *wsn, *sn_v, *sn_dw; /* spectral norm: W / sigma, v, scratch dW_sn */
    float sigma;
    float *out, *grad;
    bool alias;          /* out and grad are in0's buffers (in place) */
    dg_act act;          /* batch norm: the activation of its one consumer, done here */
    bool fused;          /* an activation done by its input's batch norm, or an average
                            pool done by its input's convolution: no pass of its own */
    int pool;            /* a convolution that computes its one consumer, a 2x2 average
                            pool, as a (k+1)x(k+1) stride-2 convolution: that node, else 0;
                            out and grad are then the pool's */
    float *wpool, *dwpool; /* its box-filtered weight and that weight's gradient */
    int padded;          /* a coordinate channel whose one consumer, a reflection padding,
                            it computes (dg_coords_pad_forward): that node, else 0; out and
                            grad are then the padding's */
    float *mean, *invstd; /* BN batch statistics of the last forward */
    int32_t *argmax;     /* max-pool */
    float *mask;         /* dropout */
    int consumers;
    /* counted since dg_net_profile (dg-net-profile.c): FLOPs always, seconds
     * when profiling; backward split into the input gradient ("data") and
     * the parameter gradients ("weight") */
    double f_fwd, f_bwd_data, f_bwd_weight;
    double t_fwd, t_bwd_data, t_bwd_weight;
    long n_fwd, n_bwd;
} node;

struct dg_net {
    int max_batch;
    int n_nodes, cap_nodes;
    node *nodes;
    int n_tensors, cap_tensors;
    dg_tensor *tensors;
    long n_params, n_buffers;
    float *arena;        /* params | grads | m | v | buffers */
    float *act;          /* activation and gradient buffers */
    float *tmp;          /* scratch for gradient accumulation */
    int32_t *argmax_mem;
    size_t act_bytes, arena_bytes;
    bool finalized;
    bool last_train;
    int batch;
    const int *labels;
    dg_rng rng;
    int shard_off, shard_total; /* dg_net_set_shard; total 0: the batch is whole */
    bool profile;
    bool shared_act;     /* act, tmp and argmax_mem belong to another net */
    long act_floats, argmax_n, tmp_floats; /* their sizes (dg_net_ensure_buffers) */
    size_t own_bytes;    /* spectral-norm and pooled-weight buffers */
    double t_step;       /* profiling: optimizer steps */
    long n_step;
};

_Noreturn void dg_net_die(const char *what);
void dg_net_ensure_buffers(dg_net *net);
double dg_net_now(void);

static inline long nsize(const node *n)
{
    return (long)n->c * n->h * n->w;
}

static inline float *W(dg_net *net, const node *n)
{
    return n->t_w >= 0 ? dg_net_tensor_data(net, n->t_w) : NULL;
}

/* The weight a layer computes with: W, or W / sigma under spectral norm
 * (refreshed at the start of every forward pass). */
static inline float *Weff(dg_net *net, const node *n)
{
    return n->t_u >= 0 ? n->wsn : W(net, n);
}

static inline float *Bv(dg_net *net, const node *n)
{
    return n->t_b >= 0 ? dg_net_tensor_data(net, n->t_b) : NULL;
}

static inline float *dW(dg_net *net, const node *n)
{
    return n->t_w >= 0 ? dg_net_tensor_grad(net, n->t_w) : NULL;
}

static inline float *dB(dg_net *net, const node *n)
{
    return n->t_b >= 0 ? dg_net_tensor_grad(net, n->t_b) : NULL;
}

/* The weight of a spectrally normalized node as a matrix [rows, cols]. */
static inline void sn_dims(const dg_net *net, const node *n, int *rows, int *cols)
{
    const dg_tensor *t = &net->tensors[n->t_w];
    *rows = t->shape[0];
    *cols = (int)(t->n / t->shape[0]);
}

#include "dg-net.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg-layers.h"
#include "dg-resample.h"
#include "dg-specnorm.h"

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
    float *mean, *invstd; /* BN batch statistics of the last forward */
    int32_t *argmax;     /* max-pool */
    float *mask;         /* dropout */
    int consumers;
    double t_fwd, t_bwd; /* profiling: accumulated seconds */
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
};

#include <time.h>
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void dg_net_profile(dg_net *net, bool on)
{
    net->profile = on;
    for (int i = 0; i < net->n_nodes; i++) {
        net->nodes[i].t_fwd = net->nodes[i].t_bwd = 0.0;
        net->nodes[i].n_fwd = net->nodes[i].n_bwd = 0;
    }
}

static const char *const op_names[] = {
    "input", "conv", "convt", "dwconv", "bn",      "dense", "relu",   "lrelu",  "tanh",
    "sigmoid", "maxpool", "avgpool", "gap", "dropout", "add", "embed", "concat", "project", "cbn", "upsample",
};

const char *dg_op_name(dg_op op)
{
    return (unsigned)op < sizeof op_names / sizeof *op_names ? op_names[op] : "?";
}

static void die(const char *what)
{
    fprintf(stderr, "dermagan: dg_net: %s\n", what);
    abort();
}

dg_net *dg_net_new(int c, int h, int w, int max_batch)
{
    if (c <= 0 || h <= 0 || w <= 0 || max_batch <= 0)
        die("dg_net_new: shape and max_batch must be positive");
    dg_net *net = calloc(1, sizeof *net);
    if (!net)
        die("out of memory");
    net->max_batch = max_batch;
    net->cap_nodes = 32;
    net->nodes = calloc(net->cap_nodes, sizeof(node));
    net->cap_tensors = 64;
    net->tensors = calloc(net->cap_tensors, sizeof(dg_tensor));
    net->nodes[0] = (node){.op = DG_OP_INPUT, .in0 = -1, .in1 = -1, .c = c, .h = h, .w = w,
                           .t_w = -1, .t_b = -1, .t_rm = -1, .t_rv = -1, .t_u = -1};
    net->n_nodes = 1;
    dg_rng_seed(&net->rng, 0x5eed);
    return net;
}

void dg_net_free(dg_net *net)
{
    if (!net)
        return;
    dg_free(net->arena);
    dg_free(net->act);
    dg_free(net->tmp);
    dg_free(net->argmax_mem);
    for (int i = 0; i < net->n_nodes; i++) {
        dg_free(net->nodes[i].wsn);
        dg_free(net->nodes[i].sn_v);
        dg_free(net->nodes[i].sn_dw);
    }
    free(net->nodes);
    free(net->tensors);
    free(net);
}

static int add_node(dg_net *net, node nd)
{
    if (net->finalized)
        die("builder called after dg_net_finalize");
    if (nd.in0 >= net->n_nodes || nd.in1 >= net->n_nodes)
        die("input node does not exist");
    if (nd.c <= 0 || nd.h <= 0 || nd.w <= 0)
        die("layer output shape is empty (kernel larger than input?)");
    if (net->n_nodes == net->cap_nodes) {
        net->cap_nodes *= 2;
        net->nodes = realloc(net->nodes, net->cap_nodes * sizeof(node));
        if (!net->nodes)
            die("out of memory");
    }
    net->nodes[net->n_nodes] = nd;
    return net->n_nodes++;
}

static node base(dg_net *net, dg_op op, int in)
{
    if (in < 0 || in >= net->n_nodes)
        die("input node does not exist");
    const node *i = &net->nodes[in];
    return (node){.op = op, .in0 = in, .in1 = -1, .c = i->c, .h = i->h, .w = i->w, .t_w = -1,
                  .t_b = -1, .t_rm = -1, .t_rv = -1, .t_u = -1};
}

static int add_tensor(dg_net *net, int node_id, const char *what, int ndim, const int *shape,
                      bool trainable, bool decay)
{
    if (net->n_tensors == net->cap_tensors) {
        net->cap_tensors *= 2;
        net->tensors = realloc(net->tensors, net->cap_tensors * sizeof(dg_tensor));
        if (!net->tensors)
            die("out of memory");
    }
    dg_tensor *t = &net->tensors[net->n_tensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%02d.%s.%s", node_id,
             dg_op_name(net->nodes[node_id < net->n_nodes ? node_id : 0].op), what);
    t->ndim = ndim;
    t->n = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->n *= shape[i];
    }
    t->trainable = trainable;
    t->decay = decay;
    if (trainable) {
        t->off = net->n_params;
        net->n_params += t->n;
    } else {
        t->off = net->n_buffers;
        net->n_buffers += t->n;
    }
    return net->n_tensors++;
}

/* Adds the node first (so tensor names carry its id and op), then its tensors. */
static int add_with_tensors(dg_net *net, node nd, int ndim_w, const int *wshape, bool wdecay,
                            int bias_n)
{
    nd.t_w = nd.t_b = -1;
    int id = add_node(net, nd);
    node *n = &net->nodes[id];
    if (ndim_w > 0)
        n->t_w = add_tensor(net, id, (nd.op == DG_OP_BN || nd.op == DG_OP_CBN) ? "gamma"
                                     : (nd.op == DG_OP_EMBED || nd.op == DG_OP_PROJECT) ? "table"
                                                                                        : "weight",
                            ndim_w, wshape, true, wdecay);
    if (bias_n > 0) {
        int bs[1] = {bias_n};
        n = &net->nodes[id];
        n->t_b = add_tensor(net, id, (nd.op == DG_OP_BN || nd.op == DG_OP_CBN) ? "beta" : "bias",
                            nd.op == DG_OP_CBN ? 2 : 1,
                            nd.op == DG_OP_CBN ? (int[2]){nd.n_classes, nd.c} : bs, true, false);
    }
    return id;
}

int dg_net_conv(dg_net *net, int in, int oc, int k, int stride, int pad, bool bias)
{
    node nd = base(net, DG_OP_CONV, in);
    int C = nd.c;
    nd.k = k, nd.s = stride, nd.p = pad, nd.bias = bias;
    nd.c = oc;
    nd.h = (nd.h + 2 * pad - k) / stride + 1;
    nd.w = (nd.w + 2 * pad - k) / stride + 1;
    int ws[4] = {oc, C, k, k};
    return add_with_tensors(net, nd, 4, ws, true, bias ? oc : 0);
}

int dg_net_convt(dg_net *net, int in, int oc, int k, int stride, int pad, bool bias)
{
    node nd = base(net, DG_OP_CONVT, in);
    int C = nd.c;
    nd.k = k, nd.s = stride, nd.p = pad, nd.bias = bias;
    nd.c = oc;
    nd.h = (nd.h - 1) * stride - 2 * pad + k;
    nd.w = (nd.w - 1) * stride - 2 * pad + k;
    int ws[4] = {C, oc, k, k};
    return add_with_tensors(net, nd, 4, ws, true, bias ? oc : 0);
}

int dg_net_dwconv(dg_net *net, int in, int k, int stride, int pad, bool bias)
{
    node nd = base(net, DG_OP_DWCONV, in);
    nd.k = k, nd.s = stride, nd.p = pad, nd.bias = bias;
    nd.h = (nd.h + 2 * pad - k) / stride + 1;
    nd.w = (nd.w + 2 * pad - k) / stride + 1;
    int ws[4] = {nd.c, 1, k, k};
    return add_with_tensors(net, nd, 4, ws, true, bias ? nd.c : 0);
}

int dg_net_bn(dg_net *net, int in)
{
    node nd = base(net, DG_OP_BN, in);
    nd.eps = 1e-5f;
    nd.momentum = 0.1f;
    int ws[1] = {nd.c};
    int id = add_with_tensors(net, nd, 1, ws, false, nd.c);
    net->nodes[id].t_rm = add_tensor(net, id, "running_mean", 1, ws, false, false);
    net->nodes[id].t_rv = add_tensor(net, id, "running_var", 1, ws, false, false);
    return id;
}

int dg_net_cbn(dg_net *net, int in, int n_classes)
{
    node nd = base(net, DG_OP_CBN, in);
    nd.eps = 1e-5f;
    nd.momentum = 0.1f;
    nd.n_classes = n_classes;
    int ws[2] = {n_classes, nd.c};
    int id = add_with_tensors(net, nd, 2, ws, false, n_classes * nd.c);
    int cs[1] = {nd.c};
    net->nodes[id].t_rm = add_tensor(net, id, "running_mean", 1, cs, false, false);
    net->nodes[id].t_rv = add_tensor(net, id, "running_var", 1, cs, false, false);
    return id;
}

void dg_net_bn_set(dg_net *net, int id, float eps, float momentum)
{
    if (net->nodes[id].op != DG_OP_BN && net->nodes[id].op != DG_OP_CBN)
        die("dg_net_bn_set on a node that is not batch norm");
    net->nodes[id].eps = eps;
    net->nodes[id].momentum = momentum;
}

int dg_net_dense(dg_net *net, int in, int out, bool bias)
{
    node nd = base(net, DG_OP_DENSE, in);
    int IN = nd.c * nd.h * nd.w;
    nd.c = out, nd.h = 1, nd.w = 1, nd.bias = bias;
    int ws[2] = {out, IN};
    return add_with_tensors(net, nd, 2, ws, true, bias ? out : 0);
}

static int act(dg_net *net, dg_op op, int in, float alpha)
{
    node nd = base(net, op, in);
    nd.alpha = alpha;
    return add_node(net, nd);
}

int dg_net_relu(dg_net *net, int in) { return act(net, DG_OP_RELU, in, 0); }
int dg_net_lrelu(dg_net *net, int in, float slope)
{
    if (!(slope > 0.0f))
        die("LeakyReLU slope must be positive");
    return act(net, DG_OP_LRELU, in, slope);
}
int dg_net_tanh(dg_net *net, int in) { return act(net, DG_OP_TANH, in, 0); }
int dg_net_sigmoid(dg_net *net, int in) { return act(net, DG_OP_SIGMOID, in, 0); }
int dg_net_dropout(dg_net *net, int in, float p)
{
    if (!(p >= 0.0f && p < 1.0f))
        die("dropout p must be in [0, 1)");
    return act(net, DG_OP_DROPOUT, in, p);
}

static int pool(dg_net *net, dg_op op, int in, int k, int stride, int pad)
{
    node nd = base(net, op, in);
    nd.k = k, nd.s = stride, nd.p = pad;
    nd.h = (nd.h + 2 * pad - k) / stride + 1;
    nd.w = (nd.w + 2 * pad - k) / stride + 1;
    return add_node(net, nd);
}

int dg_net_maxpool(dg_net *net, int in, int k, int stride, int pad)
{
    return pool(net, DG_OP_MAXPOOL, in, k, stride, pad);
}

int dg_net_avgpool(dg_net *net, int in, int k, int stride, int pad)
{
    return pool(net, DG_OP_AVGPOOL, in, k, stride, pad);
}

int dg_net_gap(dg_net *net, int in)
{
    node nd = base(net, DG_OP_GAP, in);
    nd.h = nd.w = 1;
    return add_node(net, nd);
}

int dg_net_upsample(dg_net *net, int in, int factor)
{
    if (factor < 1)
        die("dg_net_upsample: factor must be at least 1");
    node nd = base(net, DG_OP_UPSAMPLE, in);
    nd.k = factor;
    nd.h *= factor;
    nd.w *= factor;
    return add_node(net, nd);
}

int dg_net_upsample_bilinear(dg_net *net, int in)
{
    int id = dg_net_upsample(net, in, 2);
    net->nodes[id].alpha = 1.0f; /* the bilinear filter */
    return id;
}

int dg_net_add(dg_net *net, int a, int b)
{
    node nd = base(net, DG_OP_ADD, a);
    const node *nb = &net->nodes[b];
    if (nb->c != nd.c || nb->h != nd.h || nb->w != nd.w)
        die("dg_net_add: shapes differ");
    nd.in1 = b;
    return add_node(net, nd);
}

int dg_net_concat(dg_net *net, int a, int b)
{
    node nd = base(net, DG_OP_CONCAT, a);
    const node *nb = &net->nodes[b];
    if (nb->h != nd.h || nb->w != nd.w)
        die("dg_net_concat: spatial sizes differ");
    nd.in1 = b;
    nd.c += nb->c;
    return add_node(net, nd);
}

int dg_net_embed(dg_net *net, int n_classes, int dim)
{
    node nd = {.op = DG_OP_EMBED, .in0 = -1, .in1 = -1, .c = dim, .h = 1, .w = 1,
               .n_classes = n_classes, .t_rm = -1, .t_rv = -1, .t_u = -1};
    int ws[2] = {n_classes, dim};
    return add_with_tensors(net, nd, 2, ws, false, 0);
}

int dg_net_project(dg_net *net, int in, int n_classes)
{
    node nd = base(net, DG_OP_PROJECT, in);
    int D = nd.c * nd.h * nd.w;
    nd.c = nd.h = nd.w = 1;
    nd.n_classes = n_classes;
    int ws[2] = {n_classes, D};
    return add_with_tensors(net, nd, 2, ws, false, 0);
}

/* The weight of a spectrally normalized node as a matrix [rows, cols]. */
static void sn_dims(const dg_net *net, const node *n, int *rows, int *cols)
{
    const dg_tensor *t = &net->tensors[n->t_w];
    *rows = t->shape[0];
    *cols = (int)(t->n / t->shape[0]);
}

void dg_net_spectral_norm(dg_net *net, int id)
{
    if (net->finalized)
        die("builder called after dg_net_finalize");
    if (id <= 0 || id >= net->n_nodes)
        die("dg_net_spectral_norm: no such node");
    node *n = &net->nodes[id];
    if ((n->op != DG_OP_CONV && n->op != DG_OP_CONVT && n->op != DG_OP_DENSE) || n->t_u >= 0)
        die("dg_net_spectral_norm: only once, on a conv, convt or dense node");
    int shape[1] = {net->tensors[n->t_w].shape[0]};
    int t = add_tensor(net, id, "sn_u", 1, shape, false, false);
    net->nodes[id].t_u = t;
}

static long nsize(const node *n)
{
    return (long)n->c * n->h * n->w;
}

static bool output_dependent(dg_op op)
{
    return op == DG_OP_RELU || op == DG_OP_LRELU || op == DG_OP_TANH || op == DG_OP_SIGMOID;
}

static bool in_place_op(dg_op op)
{
    return output_dependent(op) || op == DG_OP_DROPOUT;
}

void dg_net_finalize(dg_net *net)
{
    if (net->finalized)
        return;
    net->finalized = true;
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        if (n->in0 >= 0)
            net->nodes[n->in0].consumers++;
        if (n->in1 >= 0)
            net->nodes[n->in1].consumers++;
    }
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        if (in_place_op(n->op) && n->in0 > 0 && net->nodes[n->in0].consumers == 1 &&
            !output_dependent(net->nodes[n->in0].op))
            n->alias = true;
    }

    /* arena: params | grads | m | v | buffers */
    long P = net->n_params, Bf = net->n_buffers;
    net->arena_bytes = sizeof(float) * (size_t)(4 * P + Bf);
    net->arena = dg_alloc0(net->arena_bytes);

    /* activations: out + grad per non-aliased node (the input's are external),
     * plus BN statistics and dropout masks */
    const long MB = net->max_batch;
    long total = 0, maxn = 0, argmax_n = 0, maxc = 0;
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        long sz = MB * nsize(n);
        if (n->c > maxc)
            maxc = n->c;
        if (sz > maxn)
            maxn = sz;
        if (!n->alias)
            total += 2 * sz;
        if (n->op == DG_OP_BN || n->op == DG_OP_CBN)
            total += 2 * n->c;
        if (n->op == DG_OP_DROPOUT)
            total += sz;
        if (n->op == DG_OP_MAXPOOL)
            argmax_n += sz;
    }
    long in_sz = MB * nsize(&net->nodes[0]);
    if (in_sz > maxn)
        maxn = in_sz;
    /* round each buffer to 16 floats to keep 64-byte alignment */
    total += 16 * 4 * (long)net->n_nodes;
    net->act_bytes = sizeof(float) * (size_t)total + sizeof(int32_t) * (size_t)argmax_n;
    net->act = dg_alloc0(sizeof(float) * (size_t)total);
    net->argmax_mem = argmax_n ? dg_alloc0(sizeof(int32_t) * (size_t)argmax_n) : NULL;
    /* tmp: one node's gradient plus throwaway BN parameter gradients */
    net->tmp = dg_alloc(sizeof(float) * (size_t)(maxn + 2 * maxc + 64));
    float *p = net->act;
    int32_t *am = net->argmax_mem;
#define TAKE(nfl) (p += ((nfl) + 15) & ~15L, p - (((nfl) + 15) & ~15L))
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        long sz = MB * nsize(n);
        if (n->alias) {
            n->out = net->nodes[n->in0].out;
            n->grad = net->nodes[n->in0].grad;
        } else {
            n->out = TAKE(sz);
            n->grad = TAKE(sz);
        }
        if (n->op == DG_OP_BN || n->op == DG_OP_CBN) {
            n->mean = TAKE(n->c);
            n->invstd = TAKE(n->c);
        }
        if (n->op == DG_OP_DROPOUT)
            n->mask = TAKE(sz);
        if (n->op == DG_OP_MAXPOOL) {
            n->argmax = am;
            am += sz;
        }
    }
#undef TAKE
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        if (n->t_u < 0)
            continue;
        int rows, cols;
        sn_dims(net, n, &rows, &cols);
        n->wsn = dg_alloc(sizeof(float) * (size_t)rows * cols);
        n->sn_dw = dg_alloc(sizeof(float) * (size_t)rows * cols);
        n->sn_v = dg_alloc(sizeof(float) * (size_t)cols);
        float *u = dg_net_tensor_data(net, n->t_u);
        for (int r = 0; r < rows; r++)
            u[r] = 1.0f / sqrtf((float)rows);
        net->act_bytes += sizeof(float) * ((size_t)2 * rows * cols + cols);
    }
    /* BN running variance starts at 1 */
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        if (n->op == DG_OP_BN || n->op == DG_OP_CBN) {
            float *rv = dg_net_tensor_data(net, n->t_rv);
            for (int c = 0; c < n->c; c++)
                rv[c] = 1.0f;
        }
    }
}

/* ---- access ------------------------------------------------------------- */

int dg_net_n_nodes(const dg_net *net) { return net->n_nodes; }
int dg_net_output_node(const dg_net *net) { return net->n_nodes - 1; }
int dg_net_max_batch(const dg_net *net) { return net->max_batch; }
dg_op dg_net_node_op(const dg_net *net, int id) { return net->nodes[id].op; }
void dg_net_node_shape(const dg_net *net, int id, int *c, int *h, int *w)
{
    const node *n = &net->nodes[id];
    if (c) *c = n->c;
    if (h) *h = n->h;
    if (w) *w = n->w;
}
long dg_net_node_size(const dg_net *net, int id) { return nsize(&net->nodes[id]); }
float *dg_net_node_out(dg_net *net, int id) { return net->nodes[id].out; }
float *dg_net_node_grad(dg_net *net, int id) { return net->nodes[id].grad; }
float *dg_net_output(dg_net *net) { return net->nodes[net->n_nodes - 1].out; }
int dg_net_n_tensors(const dg_net *net) { return net->n_tensors; }
const dg_tensor *dg_net_tensor(const dg_net *net, int i) { return &net->tensors[i]; }
long dg_net_n_params(const dg_net *net) { return net->n_params; }
long dg_net_n_buffers(const dg_net *net) { return net->n_buffers; }
float *dg_net_params(dg_net *net) { return net->arena; }
float *dg_net_grads(dg_net *net) { return net->arena + net->n_params; }
float *dg_net_moment1(dg_net *net) { return net->arena + 2 * net->n_params; }
float *dg_net_moment2(dg_net *net) { return net->arena + 3 * net->n_params; }
float *dg_net_buffers(dg_net *net) { return net->arena + 4 * net->n_params; }
size_t dg_net_bytes(const dg_net *net) { return net->arena_bytes + net->act_bytes; }
dg_rng *dg_net_rng(dg_net *net) { return &net->rng; }

double dg_net_node_flops(const dg_net *net, int id, int B)
{
    const node *n = &net->nodes[id];
    if (n->t_w < 0)
        return 0.0;
    double wn = (double)net->tensors[n->t_w].n;
    switch (n->op) {
    case DG_OP_CONV:
    case DG_OP_DWCONV:
        return 2.0 * B * wn * n->h * n->w;
    case DG_OP_CONVT: { /* every input pixel meets all C * OC * k * k weights */
        const node *in = &net->nodes[n->in0];
        return 2.0 * B * wn * in->h * in->w;
    }
    case DG_OP_DENSE:
        return 2.0 * B * wn;
    default:
        return 0.0;
    }
}

float *dg_net_tensor_data(dg_net *net, int i)
{
    const dg_tensor *t = &net->tensors[i];
    return t->trainable ? dg_net_params(net) + t->off : dg_net_buffers(net) + t->off;
}

float *dg_net_tensor_grad(dg_net *net, int i)
{
    const dg_tensor *t = &net->tensors[i];
    return t->trainable ? dg_net_grads(net) + t->off : NULL;
}

int dg_net_find_tensor(const dg_net *net, const char *name)
{
    for (int i = 0; i < net->n_tensors; i++)
        if (strcmp(net->tensors[i].name, name) == 0)
            return i;
    return -1;
}

static float *W(dg_net *net, const node *n) { return n->t_w >= 0 ? dg_net_tensor_data(net, n->t_w) : NULL; }
/* The weight a layer computes with: W, or W / sigma under spectral norm
 * (refreshed by sn_refresh at the start of every forward pass). */
static float *Weff(dg_net *net, const node *n) { return n->t_u >= 0 ? n->wsn : W(net, n); }
static float *Bv(dg_net *net, const node *n) { return n->t_b >= 0 ? dg_net_tensor_data(net, n->t_b) : NULL; }
static float *dW(dg_net *net, const node *n) { return n->t_w >= 0 ? dg_net_tensor_grad(net, n->t_w) : NULL; }
static float *dB(dg_net *net, const node *n) { return n->t_b >= 0 ? dg_net_tensor_grad(net, n->t_b) : NULL; }

/* ---- init ----------------------------------------------------------------- */

void dg_net_init(dg_net *net, dg_rng *rng, dg_init scheme)
{
    if (!net->finalized)
        dg_net_finalize(net);
    memset(net->arena, 0, sizeof(float) * 4 * net->n_params);
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        float *w = W(net, n), *b = Bv(net, n);
        if (!w)
            continue;
        const dg_tensor *tw = &net->tensors[n->t_w];
        long fan_in = 1;
        switch (n->op) {
        case DG_OP_CONV:
        case DG_OP_DWCONV:
        case DG_OP_DENSE:
            fan_in = tw->n / tw->shape[0];
            break;
        case DG_OP_CONVT: /* w[C, OC, k, k]: each output sums C * k*k / s^2 inputs */
            fan_in = (long)tw->shape[0] * tw->shape[2] * tw->shape[3] / (n->s * n->s);
            break;
        default:
            break;
        }
        if (fan_in < 1)
            fan_in = 1;
        switch (n->op) {
        case DG_OP_BN:
        case DG_OP_CBN:
            for (long c = 0; c < tw->n; c++)
                w[c] = scheme == DG_INIT_DCGAN ? 1.0f + 0.02f * dg_rng_normal(rng) : 1.0f;
            break;
        case DG_OP_EMBED:
            dg_rng_fill_normal(rng, w, tw->n, 0.0f, 1.0f);
            break;
        case DG_OP_PROJECT:
            if (scheme == DG_INIT_DCGAN)
                dg_rng_fill_normal(rng, w, tw->n, 0.0f, 0.02f);
            else {
                float bound = 1.0f / sqrtf((float)tw->shape[1]);
                for (long k = 0; k < tw->n; k++)
                    w[k] = bound * (2.0f * dg_rng_uniform(rng) - 1.0f);
            }
            break;
        default:
            if (scheme == DG_INIT_DCGAN)
                dg_rng_fill_normal(rng, w, tw->n, 0.0f, 0.02f);
            else
                dg_rng_fill_normal(rng, w, tw->n, 0.0f, sqrtf(2.0f / (float)fan_in));
            break;
        }
        if (b)
            memset(b, 0, sizeof(float) * net->tensors[n->t_b].n);
        if (n->t_u >= 0) { /* a random unit u, then a few power iterations */
            int rows, cols;
            sn_dims(net, n, &rows, &cols);
            float *u = dg_net_tensor_data(net, n->t_u);
            dg_rng_fill_normal(rng, u, rows, 0.0f, 1.0f);
            for (int k = 0; k < 3; k++)
                dg_sn_power_iteration(u, n->sn_v, w, rows, cols);
        }
    }
    dg_net_bn_reset_stats(net);
}

void dg_net_bn_reset_stats(dg_net *net)
{
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        if (n->op != DG_OP_BN && n->op != DG_OP_CBN)
            continue;
        float *rm = dg_net_tensor_data(net, n->t_rm), *rv = dg_net_tensor_data(net, n->t_rv);
        for (int c = 0; c < n->c; c++) {
            rm[c] = 0.0f;
            rv[c] = 1.0f;
        }
    }
}

void dg_net_bn_set_momentum(dg_net *net, float momentum)
{
    for (int i = 1; i < net->n_nodes; i++)
        if (net->nodes[i].op == DG_OP_BN || net->nodes[i].op == DG_OP_CBN)
            net->nodes[i].momentum = momentum;
}

void dg_net_copy_weights(dg_net *dst, const dg_net *src)
{
    if (dst->n_params != src->n_params || dst->n_buffers != src->n_buffers)
        die("dg_net_copy_weights: nets differ");
    memcpy(dst->arena, src->arena, sizeof(float) * dst->n_params);
    memcpy(dst->arena + 4 * dst->n_params, src->arena + 4 * src->n_params,
           sizeof(float) * dst->n_buffers);
}

/* ---- forward ---------------------------------------------------------------- */

static void sn_refresh(dg_net *net, node *n)
{
    int rows, cols;
    sn_dims(net, n, &rows, &cols);
    n->sigma = dg_sn_forward(n->wsn, n->sn_v, W(net, n), dg_net_tensor_data(net, n->t_u), rows,
                             cols);
}

static dg_conv_geom geom_of(const dg_net *net, const node *n, int B)
{
    const node *in = &net->nodes[n->in0];
    if (n->op == DG_OP_CONVT)
        return dg_convt_geom_make(B, in->c, in->h, in->w, n->c, n->k, n->s, n->p);
    return dg_conv_geom_make(B, in->c, in->h, in->w, n->c, n->k, n->s, n->p);
}

void dg_net_set_shard(dg_net *net, int offset, int total)
{
    net->shard_off = total > 0 ? offset : 0;
    net->shard_total = total > 0 ? total : 0;
}

static void skip_draws(dg_rng *rng, long n)
{
    for (long i = 0; i < n; i++)
        (void)dg_rng_u64(rng);
}

void dg_net_forward(dg_net *net, dg_ctx *ctx, const float *x, const int *labels, int B,
                    bool train)
{
    if (!net->finalized)
        dg_net_finalize(net);
    if (B <= 0 || B > net->max_batch)
        die("dg_net_forward: batch size out of range");
    net->batch = B;
    net->labels = labels;
    net->last_train = train;
    net->nodes[0].out = (float *)x;
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        const node *a = n->in0 >= 0 ? &net->nodes[n->in0] : NULL;
        const float *x0 = a ? a->out : NULL;
        long len = (long)B * nsize(n);
        double tstart = net->profile ? now_s() : 0.0;
        if (n->t_u >= 0)
            sn_refresh(net, n);
        switch (n->op) {
        case DG_OP_INPUT:
            break;
        case DG_OP_CONV: {
            dg_conv_geom g = geom_of(net, n, B);
            dg_conv2d_forward(ctx, &g, n->out, x0, Weff(net, n), Bv(net, n));
            break;
        }
        case DG_OP_CONVT: {
            dg_conv_geom g = geom_of(net, n, B);
            dg_convt2d_forward(ctx, &g, n->out, x0, Weff(net, n), Bv(net, n));
            break;
        }
        case DG_OP_DWCONV: {
            dg_conv_geom g = geom_of(net, n, B);
            dg_dwconv2d_forward(ctx, &g, n->out, x0, W(net, n), Bv(net, n));
            break;
        }
        case DG_OP_BN:
            if (train)
                dg_bn_forward_train(ctx, n->out, n->mean, n->invstd,
                                    dg_net_tensor_data(net, n->t_rm),
                                    dg_net_tensor_data(net, n->t_rv), x0, W(net, n), Bv(net, n),
                                    B, n->c, n->h * n->w, n->eps, n->momentum);
            else
                dg_bn_forward_eval(ctx, n->out, x0, W(net, n), Bv(net, n),
                                   dg_net_tensor_data(net, n->t_rm),
                                   dg_net_tensor_data(net, n->t_rv), B, n->c, n->h * n->w,
                                   n->eps);
            break;
        case DG_OP_CBN:
            if (!labels)
                die("dg_net_forward: this net needs labels");
            for (int b = 0; b < B; b++)
                if (labels[b] < 0 || labels[b] >= n->n_classes)
                    die("dg_net_forward: label out of range");
            dg_cbn_forward(ctx, n->out, n->mean, n->invstd, dg_net_tensor_data(net, n->t_rm),
                           dg_net_tensor_data(net, n->t_rv), x0, W(net, n), Bv(net, n), labels, B,
                           n->c, n->h * n->w, n->eps, n->momentum, train);
            break;
        case DG_OP_DENSE:
            dg_dense_forward(ctx, n->out, x0, Weff(net, n), Bv(net, n), B, (int)nsize(a), n->c);
            break;
        case DG_OP_RELU:
            dg_relu_forward(ctx, n->out, x0, len);
            break;
        case DG_OP_LRELU:
            dg_lrelu_forward(ctx, n->out, x0, len, n->alpha);
            break;
        case DG_OP_TANH:
            dg_tanh_forward(ctx, n->out, x0, len);
            break;
        case DG_OP_SIGMOID:
            dg_sigmoid_forward(ctx, n->out, x0, len);
            break;
        case DG_OP_MAXPOOL:
            dg_maxpool_forward(ctx, n->out, n->argmax, x0, B, a->c, a->h, a->w, n->k, n->s, n->p);
            break;
        case DG_OP_AVGPOOL:
            dg_avgpool_forward(ctx, n->out, x0, B, a->c, a->h, a->w, n->k, n->s, n->p);
            break;
        case DG_OP_GAP:
            dg_gap_forward(ctx, n->out, x0, B, a->c, a->h * a->w);
            break;
        case DG_OP_UPSAMPLE:
            if (n->alpha > 0.0f)
                dg_upbilinear_forward(ctx, n->out, x0, B, a->c, a->h, a->w);
            else
                dg_upsample_forward(ctx, n->out, x0, B, a->c, a->h, a->w, n->k);
            break;
        case DG_OP_DROPOUT:
            if (train && n->alpha > 0.0f && net->shard_total > 0) {
                /* this part of the whole batch's masks (one draw per value) */
                skip_draws(&net->rng, (long)net->shard_off * nsize(n));
                dg_dropout_forward(n->out, n->mask, x0, len, n->alpha, &net->rng);
                skip_draws(&net->rng, (long)(net->shard_total - net->shard_off - B) * nsize(n));
            } else if (train && n->alpha > 0.0f)
                dg_dropout_forward(n->out, n->mask, x0, len, n->alpha, &net->rng);
            else if (n->out != x0)
                memcpy(n->out, x0, sizeof(float) * len);
            break;
        case DG_OP_ADD:
            dg_add_forward(ctx, n->out, x0, net->nodes[n->in1].out, len);
            break;
        case DG_OP_EMBED:
            if (!labels)
                die("dg_net_forward: this net needs labels");
            for (int b = 0; b < B; b++)
                if (labels[b] < 0 || labels[b] >= n->n_classes)
                    die("dg_net_forward: label out of range");
            dg_embed_forward(n->out, W(net, n), labels, B, n->c);
            break;
        case DG_OP_CONCAT: {
            const node *b2 = &net->nodes[n->in1];
            dg_concat_forward(n->out, x0, b2->out, B, a->c, b2->c, a->h * a->w);
            break;
        }
        case DG_OP_PROJECT:
            if (!labels)
                die("dg_net_forward: this net needs labels");
            for (int b = 0; b < B; b++)
                if (labels[b] < 0 || labels[b] >= n->n_classes)
                    die("dg_net_forward: label out of range");
            dg_project_forward(n->out, x0, W(net, n), labels, B, (int)nsize(a));
            break;
        }
        if (net->profile) {
            n->t_fwd += now_s() - tstart;
            n->n_fwd++;
        }
    }
}

/* ---- backward ------------------------------------------------------------- */

/* Where to write the gradient for input node `in` of node `self`: straight
 * into its buffer the first time (or in place), else into tmp to be added. */
typedef struct {
    float *dst;
    bool accumulate;
} gtarget;

static gtarget target_for(dg_net *net, bool *ready, int in, float *dx)
{
    gtarget t = {NULL, false};
    if (in < 0)
        return t;
    float *buf = in == 0 ? dx : net->nodes[in].grad;
    if (!buf)
        return t; /* the input's gradient is not wanted */
    if (!ready[in]) {
        t.dst = buf;
        ready[in] = true;
    } else {
        t.dst = net->tmp;
        t.accumulate = true;
    }
    return t;
}

static void finish_target(dg_net *net, dg_ctx *ctx, const gtarget *t, int in, float *dx, long len)
{
    if (t->accumulate)
        dg_vec_add(ctx, in == 0 ? dx : net->nodes[in].grad, net->tmp, len);
}

static void backward_impl(dg_net *net, dg_ctx *ctx, const float *dout, float *dx,
                          bool param_grads, int stop);

void dg_net_backward(dg_net *net, dg_ctx *ctx, const float *dout, float *dx, bool param_grads)
{
    backward_impl(net, ctx, dout, dx, param_grads, 0);
}

void dg_net_backward_to(dg_net *net, dg_ctx *ctx, const float *dout, int stop_node)
{
    if (stop_node < 0 || stop_node >= net->n_nodes)
        die("dg_net_backward_to: no such node");
    backward_impl(net, ctx, dout, NULL, false, stop_node);
}

static void backward_impl(dg_net *net, dg_ctx *ctx, const float *dout, float *dx,
                          bool param_grads, int stop)
{
    const int B = net->batch;
    const int last = net->n_nodes - 1;
    bool ready_stack[256];
    bool *ready = net->n_nodes <= 256 ? ready_stack : calloc(net->n_nodes, sizeof(bool));
    memset(ready, 0, sizeof(bool) * net->n_nodes);
    node *ln = &net->nodes[last];
    if (ln->grad != dout)
        memcpy(ln->grad, dout, sizeof(float) * B * nsize(ln));
    ready[last] = true;

    for (int i = last; i >= 1 && i > stop; i--) {
        node *n = &net->nodes[i];
        if (!ready[i])
            continue;
        const node *a = n->in0 >= 0 ? &net->nodes[n->in0] : NULL;
        long len = (long)B * nsize(n);
        long alen = a ? (long)B * nsize(a) : 0;
        float *dw = param_grads ? dW(net, n) : NULL;
        float *db = param_grads ? dB(net, n) : NULL;
        float *dw_sn_target = NULL; /* spectral norm: dW_sn goes to scratch, then into dW */
        if (dw && n->t_u >= 0) {
            dw_sn_target = dw;
            dw = n->sn_dw;
            memset(dw, 0, sizeof(float) * net->tensors[n->t_w].n);
        }
        double tstart = net->profile ? now_s() : 0.0;

        if (n->alias) {
            /* in place: n->grad is a->grad; transform it */
            ready[n->in0] = true;
            switch (n->op) {
            case DG_OP_RELU: dg_relu_backward(ctx, n->grad, n->grad, n->out, len); break;
            case DG_OP_LRELU: dg_lrelu_backward(ctx, n->grad, n->grad, n->out, len, n->alpha); break;
            case DG_OP_TANH: dg_tanh_backward(ctx, n->grad, n->grad, n->out, len); break;
            case DG_OP_SIGMOID: dg_sigmoid_backward(ctx, n->grad, n->grad, n->out, len); break;
            case DG_OP_DROPOUT:
                if (net->last_train && n->alpha > 0.0f)
                    dg_dropout_backward(n->grad, n->grad, n->mask, len);
                break;
            default:
                die("in-place backward of an op that cannot run in place");
            }
            if (net->profile) {
                n->t_bwd += now_s() - tstart;
                n->n_bwd++;
            }
            continue;
        }

        gtarget t0 = target_for(net, ready, n->in0, dx);
        float *d0 = t0.dst;
        switch (n->op) {
        case DG_OP_INPUT:
            break;
        case DG_OP_CONV: {
            dg_conv_geom g = geom_of(net, n, B);
            if (d0 || dw || db)
                dg_conv2d_backward(ctx, &g, d0, dw, db, n->grad, a->out, Weff(net, n));
            break;
        }
        case DG_OP_CONVT: {
            dg_conv_geom g = geom_of(net, n, B);
            if (d0 || dw || db)
                dg_convt2d_backward(ctx, &g, d0, dw, db, n->grad, a->out, Weff(net, n));
            break;
        }
        case DG_OP_DWCONV: {
            dg_conv_geom g = geom_of(net, n, B);
            if (d0 || dw || db)
                dg_dwconv2d_backward(ctx, &g, d0, dw, db, n->grad, a->out, W(net, n));
            break;
        }
        case DG_OP_BN: {
            float *dg = dw, *dbt = db;
            if (!param_grads) { /* throwaway accumulators */
                dg = net->tmp + (d0 == net->tmp ? alen : 0);
                dbt = dg + n->c;
                memset(dg, 0, sizeof(float) * 2 * n->c);
            }
            if (net->last_train)
                dg_bn_backward_train(ctx, d0, dg, dbt, n->grad, a->out, n->mean, n->invstd,
                                     W(net, n), B, n->c, n->h * n->w);
            else
                dg_bn_backward_eval(ctx, d0, dg, dbt, n->grad, a->out, W(net, n),
                                    dg_net_tensor_data(net, n->t_rm),
                                    dg_net_tensor_data(net, n->t_rv), B, n->c, n->h * n->w,
                                    n->eps);
            break;
        }
        case DG_OP_CBN:
            if (!net->last_train) { /* the eval path needs the running statistics as mean/invstd */
                const float *rm = dg_net_tensor_data(net, n->t_rm), *rv = dg_net_tensor_data(net, n->t_rv);
                for (int c = 0; c < n->c; c++) {
                    n->mean[c] = rm[c];
                    n->invstd[c] = 1.0f / sqrtf(rv[c] + n->eps);
                }
            }
            dg_cbn_backward(ctx, d0, dw, db, n->grad, a->out, n->mean, n->invstd, W(net, n),
                            net->labels, B, n->c, n->h * n->w, net->last_train);
            break;
        case DG_OP_DENSE:
            dg_dense_backward(ctx, d0, dw, db, n->grad, a->out, Weff(net, n), B, (int)nsize(a), n->c);
            break;
        case DG_OP_RELU:
            if (d0) dg_relu_backward(ctx, d0, n->grad, n->out, len);
            break;
        case DG_OP_LRELU:
            if (d0) dg_lrelu_backward(ctx, d0, n->grad, n->out, len, n->alpha);
            break;
        case DG_OP_TANH:
            if (d0) dg_tanh_backward(ctx, d0, n->grad, n->out, len);
            break;
        case DG_OP_SIGMOID:
            if (d0) dg_sigmoid_backward(ctx, d0, n->grad, n->out, len);
            break;
        case DG_OP_MAXPOOL:
            if (d0)
                dg_maxpool_backward(ctx, d0, n->grad, n->argmax, B, a->c, a->h, a->w, n->k, n->s,
                                    n->p);
            break;
        case DG_OP_AVGPOOL:
            if (d0)
                dg_avgpool_backward(ctx, d0, n->grad, B, a->c, a->h, a->w, n->k, n->s, n->p);
            break;
        case DG_OP_GAP:
            if (d0) dg_gap_backward(ctx, d0, n->grad, B, a->c, a->h * a->w);
            break;
        case DG_OP_UPSAMPLE:
            if (d0 && n->alpha > 0.0f)
                dg_upbilinear_backward(ctx, d0, n->grad, B, a->c, a->h, a->w);
            else if (d0)
                dg_upsample_backward(ctx, d0, n->grad, B, a->c, a->h, a->w, n->k);
            break;
        case DG_OP_DROPOUT:
            if (d0) {
                if (net->last_train && n->alpha > 0.0f)
                    dg_dropout_backward(d0, n->grad, n->mask, len);
                else
                    memcpy(d0, n->grad, sizeof(float) * len);
            }
            break;
        case DG_OP_ADD:
            if (d0) memcpy(d0, n->grad, sizeof(float) * len);
            break;
        case DG_OP_EMBED:
            if (dw) dg_embed_backward(dw, n->grad, net->labels, B, n->c);
            break;
        case DG_OP_CONCAT:
            if (d0) {
                const node *b2 = &net->nodes[n->in1];
                dg_concat_backward(d0, NULL, n->grad, B, a->c, b2->c, a->h * a->w);
            }
            break;
        case DG_OP_PROJECT:
            dg_project_backward(d0, dw, n->grad, a->out, W(net, n), net->labels, B, (int)nsize(a));
            break;
        }
        if (dw_sn_target) {
            int rows, cols;
            sn_dims(net, n, &rows, &cols);
            dg_sn_backward(dw_sn_target, n->sn_dw, n->wsn, dg_net_tensor_data(net, n->t_u),
                           n->sn_v, n->sigma, rows, cols);
        }
        if (d0)
            finish_target(net, ctx, &t0, n->in0, dx, alen);

        /* second input */
        if (n->in1 >= 0) {
            const node *b2 = &net->nodes[n->in1];
            long blen = (long)B * nsize(b2);
            gtarget t1 = target_for(net, ready, n->in1, dx);
            if (t1.dst) {
                if (n->op == DG_OP_ADD)
                    memcpy(t1.dst, n->grad, sizeof(float) * blen);
                else if (n->op == DG_OP_CONCAT)
                    dg_concat_backward(NULL, t1.dst, n->grad, B, a->c, b2->c, a->h * a->w);
                finish_target(net, ctx, &t1, n->in1, dx, blen);
            }
        }
        if (net->profile) {
            n->t_bwd += now_s() - tstart;
            n->n_bwd++;
        }
    }
    if (ready != ready_stack)
        free(ready);
}

void dg_net_zero_grad(dg_net *net)
{
    memset(dg_net_grads(net), 0, sizeof(float) * net->n_params);
}

void dg_net_step(dg_net *net, dg_ctx *ctx, dg_opt *opt)
{
    opt->t++;
    /* Contiguous runs of tensors with the same decay flag go in one call. */
    int i = 0;
    while (i < net->n_tensors) {
        if (!net->tensors[i].trainable) {
            i++;
            continue;
        }
        bool decay = net->tensors[i].decay;
        long off = net->tensors[i].off, n = 0;
        int j = i;
        while (j < net->n_tensors &&
               (!net->tensors[j].trainable || net->tensors[j].decay == decay)) {
            if (net->tensors[j].trainable)
                n = net->tensors[j].off + net->tensors[j].n - off;
            j++;
        }
        dg_opt_update(ctx, opt, dg_net_params(net) + off, dg_net_grads(net) + off,
                      dg_net_moment1(net) + off, dg_net_moment2(net) + off, n, decay);
        i = j;
    }
    dg_net_sn_iterate(net);
}

void dg_net_sn_iterate(dg_net *net)
{
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        if (n->t_u < 0)
            continue;
        int rows, cols;
        sn_dims(net, n, &rows, &cols);
        dg_sn_power_iteration(dg_net_tensor_data(net, n->t_u), n->sn_v, W(net, n), rows, cols);
    }
}

void dg_net_profile_print(const dg_net *net, const char *title, int B, int passes)
{
    if (passes < 1)
        passes = 1;
    fprintf(stderr, "%s (ms per pass, batch %d)\n", title, B);
    fprintf(stderr, "  %-3s %-8s %-14s %9s %9s %9s\n", "id", "op", "out", "fwd", "bwd", "GF/s fwd");
    double tf = 0, tb = 0;
    for (int i = 1; i < net->n_nodes; i++) {
        const node *n = &net->nodes[i];
        char shape[32];
        snprintf(shape, sizeof shape, "%dx%dx%d", n->c, n->h, n->w);
        double f = n->t_fwd * 1e3 / passes, b = n->t_bwd * 1e3 / passes;
        double fl = dg_net_node_flops(net, i, B);
        double per_fwd = n->n_fwd ? n->t_fwd / n->n_fwd : 0.0;
        fprintf(stderr, "  %-3d %-8s %-14s %9.2f %9.2f %9.1f\n", i, dg_op_name(n->op), shape, f, b,
                fl > 0 && per_fwd > 0 ? fl / per_fwd / 1e9 : 0.0);
        tf += f;
        tb += b;
    }
    fprintf(stderr, "  total forward %.1f ms, backward %.1f ms\n", tf, tb);
}

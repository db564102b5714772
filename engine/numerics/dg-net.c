/* dg-net.c: building a net (nodes, tensors, one arena), access and
 * initialization.  Forward, backward and the optimizer step are in
 * dg-net-pass.c, per-node profiling in dg-net-profile.c. */
#include "dg-net-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg-specnorm.h"

_Noreturn void dg_net_die(const char *what)
{
    fprintf(stderr, "dermagan: dg_net: %s\n", what);
    abort();
}

static const char *const op_names[] = {
    "input", "conv", "convt", "dwconv", "bn",      "dense", "relu",   "lrelu",  "tanh",
    "sigmoid", "maxpool", "avgpool", "gap", "dropout", "add", "embed", "concat", "project", "cbn", "upsample",
    "pad", "coords", "noise",
};

const char *dg_op_name(dg_op op)
{
    return (unsigned)op < sizeof op_names / sizeof *op_names ? op_names[op] : "?";
}


dg_net *dg_net_new(int c, int h, int w, int max_batch)
{
    if (c <= 0 || h <= 0 || w <= 0 || max_batch <= 0)
        dg_net_die("dg_net_new: shape and max_batch must be positive");
    dg_net *net = calloc(1, sizeof *net);
    if (!net)
        dg_net_die("out of memory");
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
    if (!net->shared_act) {
        dg_free(net->act);
        dg_free(net->tmp);
        dg_free(net->argmax_mem);
    }
    for (int i = 0; i < net->n_nodes; i++) {
        dg_free(net->nodes[i].wsn);
        dg_free(net->nodes[i].sn_v);
        dg_free(net->nodes[i].sn_dw);
        dg_free(net->nodes[i].wpool);
        dg_free(net->nodes[i].dwpool);
    }
    free(net->nodes);
    free(net->tensors);
    free(net);
}

static int add_node(dg_net *net, node nd)
{
    if (net->finalized)
        dg_net_die("builder called after dg_net_finalize");
    if (nd.in0 >= net->n_nodes || nd.in1 >= net->n_nodes)
        dg_net_die("input node does not exist");
    if (nd.c <= 0 || nd.h <= 0 || nd.w <= 0)
        dg_net_die("layer output shape is empty (kernel larger than input?)");
    if (net->n_nodes == net->cap_nodes) {
        net->cap_nodes *= 2;
        net->nodes = realloc(net->nodes, net->cap_nodes * sizeof(node));
        if (!net->nodes)
            dg_net_die("out of memory");
    }
    net->nodes[net->n_nodes] = nd;
    return net->n_nodes++;
}

static node base(dg_net *net, dg_op op, int in)
{
    if (in < 0 || in >= net->n_nodes)
        dg_net_die("input node does not exist");
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
            dg_net_die("out of memory");
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
        dg_net_die("dg_net_bn_set on a node that is not batch norm");
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
        dg_net_die("LeakyReLU slope must be positive");
    return act(net, DG_OP_LRELU, in, slope);
}
int dg_net_tanh(dg_net *net, int in) { return act(net, DG_OP_TANH, in, 0); }
int dg_net_sigmoid(dg_net *net, int in) { return act(net, DG_OP_SIGMOID, in, 0); }
int dg_net_dropout(dg_net *net, int in, float p)
{
    if (!(p >= 0.0f && p < 1.0f))
        dg_net_die("dropout p must be in [0, 1)");
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
        dg_net_die("dg_net_upsample: factor must be at least 1");
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

int dg_net_pad_reflect(dg_net *net, int in, int p)
{
    node nd = base(net, DG_OP_PAD, in);
    if (p < 1 || p >= nd.h || p >= nd.w)
        dg_net_die("dg_net_pad_reflect: padding must be 1 to the plane's side - 1");
    nd.p = p;
    nd.h += 2 * p;
    nd.w += 2 * p;
    return add_node(net, nd);
}

int dg_net_coords(dg_net *net, int in)
{
    node nd = base(net, DG_OP_COORDS, in);
    nd.c += 1;
    return add_node(net, nd);
}

int dg_net_noise(dg_net *net, int in)
{
    node nd = base(net, DG_OP_NOISE, in);
    int ws[1] = {nd.c};
    return add_with_tensors(net, nd, 1, ws, false, 0);
}

int dg_net_add(dg_net *net, int a, int b)
{
    node nd = base(net, DG_OP_ADD, a);
    const node *nb = &net->nodes[b];
    if (nb->c != nd.c || nb->h != nd.h || nb->w != nd.w)
        dg_net_die("dg_net_add: shapes differ");
    nd.in1 = b;
    return add_node(net, nd);
}

int dg_net_concat(dg_net *net, int a, int b)
{
    node nd = base(net, DG_OP_CONCAT, a);
    const node *nb = &net->nodes[b];
    if (nb->h != nd.h || nb->w != nd.w)
        dg_net_die("dg_net_concat: spatial sizes differ");
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


void dg_net_spectral_norm(dg_net *net, int id)
{
    if (net->finalized)
        dg_net_die("builder called after dg_net_finalize");
    if (id <= 0 || id >= net->n_nodes)
        dg_net_die("dg_net_spectral_norm: no such node");
    node *n = &net->nodes[id];
    if ((n->op != DG_OP_CONV && n->op != DG_OP_CONVT && n->op != DG_OP_DENSE) || n->t_u >= 0)
        dg_net_die("dg_net_spectral_norm: only once, on a conv, convt or dense node");
    int shape[1] = {net->tensors[n->t_w].shape[0]};
    int t = add_tensor(net, id, "sn_u", 1, shape, false, false);
    net->nodes[id].t_u = t;
}


static bool output_dependent(dg_op op)
{
    return op == DG_OP_RELU || op == DG_OP_LRELU || op == DG_OP_TANH || op == DG_OP_SIGMOID;
}

static bool in_place_op(dg_op op)
{
    return output_dependent(op) || op == DG_OP_DROPOUT;
}

/* Noise injection can add to its input's buffer when that input is a
 * convolution's own output (whose backward needs only its input), used by
 * nothing else. */
static bool noise_in_place(const dg_net *net, const node *n)
{
    const node *a = n->in0 > 0 ? &net->nodes[n->in0] : NULL;
    return n->op == DG_OP_NOISE && a && a->consumers == 1 && !a->alias && !a->pool &&
           (a->op == DG_OP_CONV || a->op == DG_OP_CONVT) && !getenv("DG_NO_NOISE_IN_PLACE");
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
    /* batch norm + ReLU / LeakyReLU in place: one pass (dg_bn_forward's act) */
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        node *a = n->in0 > 0 ? &net->nodes[n->in0] : NULL;
        if (n->alias && a && (a->op == DG_OP_BN || a->op == DG_OP_CBN) &&
            (n->op == DG_OP_RELU || n->op == DG_OP_LRELU)) {
            a->act = n->op == DG_OP_RELU ? DG_ACT_RELU : DG_ACT_LRELU;
            a->alpha = n->alpha;
            n->fused = true;
        }
    }
    /* a stride-1 convolution followed by 2x2 average pooling (its only
     * consumer) is one (k+1)x(k+1) stride-2 convolution with the weight
     * averaged over the pooling window: 2.25x fewer FLOPs for k = 3, and
     * no full-resolution buffers */
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        node *a = n->in0 > 0 ? &net->nodes[n->in0] : NULL;
        if (n->op == DG_OP_AVGPOOL && n->k == 2 && n->s == 2 && n->p == 0 && a &&
            a->op == DG_OP_CONV && a->s == 1 && a->consumers == 1 && !getenv("DG_NO_POOL_FUSION")) {
            a->pool = i;
            n->fused = true;
        }
    }
    /* noise added in place (the pool fusion above first: a pooled
     * convolution's output is the pool's) */
    for (int i = 1; i < net->n_nodes; i++)
        if (noise_in_place(net, &net->nodes[i]))
            net->nodes[i].alias = true;
    /* a coordinate channel whose one consumer is a reflection padding writes
     * the padded planes itself: the unpadded concatenation is never stored */
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        node *a = n->in0 > 0 ? &net->nodes[n->in0] : NULL;
        if (n->op == DG_OP_PAD && a && a->op == DG_OP_COORDS && a->consumers == 1 &&
            !getenv("DG_NO_PAD_FUSION")) {
            a->padded = i;
            n->fused = true;
        }
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
        if (!n->alias && !n->pool && !n->padded)
            total += 2 * sz;
        if (n->op == DG_OP_BN || n->op == DG_OP_CBN)
            total += 2 * n->c;
        if (n->op == DG_OP_DROPOUT)
            total += sz;
        if (n->op == DG_OP_NOISE)
            total += MB * n->h * n->w;
        if (n->op == DG_OP_MAXPOOL)
            argmax_n += sz;
    }
    long in_sz = MB * nsize(&net->nodes[0]);
    if (in_sz > maxn)
        maxn = in_sz;
    /* round each buffer to 16 floats to keep 64-byte alignment */
    total += 16 * 4 * (long)net->n_nodes;
    net->act_floats = total;
    net->argmax_n = argmax_n;
    net->tmp_floats = maxn + 2 * maxc + 64;
    net->act_bytes = sizeof(float) * (size_t)(total + net->tmp_floats) +
                     sizeof(int32_t) * (size_t)argmax_n;
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        if (!n->pool)
            continue;
        long wn = (long)n->c * net->nodes[n->in0].c * (n->k + 1) * (n->k + 1);
        n->wpool = dg_alloc(sizeof(float) * wn);
        n->dwpool = dg_alloc(sizeof(float) * wn);
        net->own_bytes += sizeof(float) * 2 * wn;
    }
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
        net->own_bytes += sizeof(float) * ((size_t)2 * rows * cols + cols);
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


/* The activation, gradient and statistics buffers: allocated at the first
 * use (a net that will share another's never touches memory of its own). */
void dg_net_ensure_buffers(dg_net *net)
{
    if (net->act || !net->finalized)
        return;
    const long MB = net->max_batch;
    net->act = dg_alloc0(sizeof(float) * (size_t)net->act_floats);
    net->argmax_mem = net->argmax_n ? dg_alloc0(sizeof(int32_t) * (size_t)net->argmax_n) : NULL;
    /* tmp: one node's gradient plus throwaway BN parameter gradients */
    net->tmp = dg_alloc(sizeof(float) * (size_t)net->tmp_floats);
    float *p = net->act;
    int32_t *am = net->argmax_mem;
#define TAKE(nfl) (p += ((nfl) + 15) & ~15L, p - (((nfl) + 15) & ~15L))
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        long sz = MB * nsize(n);
        if (n->alias) {
            n->out = net->nodes[n->in0].out;
            n->grad = net->nodes[n->in0].grad;
        } else if (n->pool || n->padded) {
            n->out = n->grad = NULL; /* the pool's or the padding's, below */
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
        if (n->op == DG_OP_NOISE)
            n->mask = TAKE(MB * n->h * n->w);
        if (n->op == DG_OP_MAXPOOL) {
            n->argmax = am;
            am += sz;
        }
    }
#undef TAKE
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        if (n->pool || n->padded) {
            n->out = net->nodes[n->pool ? n->pool : n->padded].out;
            n->grad = net->nodes[n->pool ? n->pool : n->padded].grad;
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
float *dg_net_node_out(dg_net *net, int id)
{
    dg_net_ensure_buffers(net);
    if (net->nodes[id].padded) /* its buffer holds its consumer's padded planes */
        dg_net_die("dg_net_node_out: the node's output is padded in place");
    return net->nodes[id].out;
}

float *dg_net_node_grad(dg_net *net, int id)
{
    dg_net_ensure_buffers(net);
    if (net->nodes[id].padded)
        dg_net_die("dg_net_node_grad: the node's output is padded in place");
    return net->nodes[id].grad;
}

float *dg_net_output(dg_net *net)
{
    return dg_net_node_out(net, net->n_nodes - 1);
}
int dg_net_n_tensors(const dg_net *net) { return net->n_tensors; }
const dg_tensor *dg_net_tensor(const dg_net *net, int i) { return &net->tensors[i]; }
long dg_net_n_params(const dg_net *net) { return net->n_params; }
long dg_net_n_buffers(const dg_net *net) { return net->n_buffers; }
float *dg_net_params(dg_net *net) { return net->arena; }
float *dg_net_grads(dg_net *net) { return net->arena + net->n_params; }
float *dg_net_moment1(dg_net *net) { return net->arena + 2 * net->n_params; }
float *dg_net_moment2(dg_net *net) { return net->arena + 3 * net->n_params; }
float *dg_net_buffers(dg_net *net) { return net->arena + 4 * net->n_params; }
size_t dg_net_bytes(const dg_net *net)
{
    return net->arena_bytes + net->own_bytes + (net->shared_act || !net->act ? 0 : net->act_bytes);
}

void dg_net_share_activations(dg_net *net, dg_net *with)
{
    dg_net_finalize(net);
    dg_net_finalize(with);
    if (net == with || net->n_nodes != with->n_nodes || net->act_bytes != with->act_bytes ||
        net->max_batch != with->max_batch)
        dg_net_die("dg_net_share_activations: the nets differ");
    for (int i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].op != with->nodes[i].op || nsize(&net->nodes[i]) != nsize(&with->nodes[i]))
            dg_net_die("dg_net_share_activations: the nets differ");
    dg_net_ensure_buffers(with);
    if (!net->shared_act) {
        dg_free(net->act);
        dg_free(net->tmp);
        dg_free(net->argmax_mem);
    }
    net->shared_act = true;
    net->act = with->act;
    net->tmp = with->tmp;
    net->argmax_mem = with->argmax_mem;
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        const node *w = &with->nodes[i];
        n->out = w->out;
        n->grad = w->grad;
        n->mean = w->mean;
        n->invstd = w->invstd;
        n->argmax = w->argmax;
        n->mask = w->mask;
    }
}

void dg_net_set_shard(dg_net *net, int offset, int total)
{
    net->shard_off = total > 0 ? offset : 0;
    net->shard_total = total > 0 ? total : 0;
}

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


/* ---- init ----------------------------------------------------------------- */

void dg_net_init(dg_net *net, dg_rng *rng, dg_init scheme)
{
    if (!net->finalized)
        dg_net_finalize(net);
    /* gradients and moments to zero; writing only where they are not (the
     * arena's pages are the kernel's zero pages until used: a net that never
     * trains keeps them uncommitted) */
    for (int k = 1; k < 4; k++) {
        float *r = net->arena + k * net->n_params;
        for (long i = 0; i < net->n_params; i++)
            if (r[i] != 0.0f) {
                memset(r, 0, sizeof(float) * net->n_params);
                break;
            }
    }
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
        case DG_OP_NOISE: /* no noise at first: the net learns how much it wants */
            memset(w, 0, sizeof(float) * tw->n);
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
        dg_net_die("dg_net_copy_weights: nets differ");
    memcpy(dst->arena, src->arena, sizeof(float) * dst->n_params);
    memcpy(dst->arena + 4 * dst->n_params, src->arena + 4 * src->n_params,
           sizeof(float) * dst->n_buffers);
}


/* dg-net-pass.c: forward and backward passes over a net's nodes, and the
 * optimizer step. */
#include "dg-net-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dg-resample.h"
#include "dg-specnorm.h"

/* ---- forward ---------------------------------------------------------------- */

static void sn_refresh(dg_net *net, node *n)
{
    int rows, cols;
    sn_dims(net, n, &rows, &cols);
    n->sigma = dg_sn_forward(n->wsn, n->sn_v, W(net, n), dg_net_tensor_data(net, n->t_u), rows,
                             cols);
}

/* A convolution with its 2x2 average pool (n->pool) is a (k+1)x(k+1)
 * stride-2 convolution by wp[o][c] = the k x k kernel w[o][c] summed over
 * the 4 shifts of the pooling window, / 4. */
static void pool_weight(float *wp, const float *w, long planes, int k)
{
    const int K = k + 1;
    for (long q = 0; q < planes; q++) {
        const float *src = w + q * k * k;
        float *dst = wp + q * K * K;
        for (int u = 0; u < K; u++)
            for (int v = 0; v < K; v++) {
                float acc = 0.0f;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++) {
                        int i = u - a, j = v - b;
                        if (i >= 0 && i < k && j >= 0 && j < k)
                            acc += src[i * k + j];
                    }
                dst[u * K + v] = 0.25f * acc;
            }
    }
}

/* dw += the gradient for w from the gradient dwp of pool_weight's output. */
static void pool_weight_grad(float *dw, const float *dwp, long planes, int k)
{
    const int K = k + 1;
    for (long q = 0; q < planes; q++) {
        const float *src = dwp + q * K * K;
        float *dst = dw + q * k * k;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                dst[i * k + j] += 0.25f * (src[i * K + j] + src[i * K + j + 1] +
                                           src[(i + 1) * K + j] + src[(i + 1) * K + j + 1]);
    }
}

/* A pooled 3x3 convolution runs on Winograd tiles (dg_convpool_*), other
 * pooled kernels as (k+1)x(k+1) stride-2 convolutions. */
static bool pool3(const node *n)
{
    return n->pool && n->k == 3;
}

static dg_conv_geom geom_of(const dg_net *net, const node *n, int B)
{
    const node *in = &net->nodes[n->in0];
    if (n->pool && !pool3(n))
        return dg_conv_geom_make(B, in->c, in->h, in->w, n->c, n->k + 1, 2, n->p);
    if (n->op == DG_OP_CONVT)
        return dg_convt_geom_make(B, in->c, in->h, in->w, n->c, n->k, n->s, n->p);
    return dg_conv_geom_make(B, in->c, in->h, in->w, n->c, n->k, n->s, n->p);
}

static void check_labels(const node *n, const int *labels, int B)
{
    if (!labels)
        dg_net_die("dg_net_forward: this net needs labels");
    for (int b = 0; b < B; b++)
        if (labels[b] < 0 || labels[b] >= n->n_classes)
            dg_net_die("dg_net_forward: label out of range");
}

static void skip_draws(dg_rng *rng, long n)
{
    for (long i = 0; i < n; i++)
        (void)dg_rng_u64(rng);
}

static dg_bn_params bn_params(dg_net *net, const node *n)
{
    dg_bn_params p = {.gamma = W(net, n), .beta = Bv(net, n),
                      .labels = n->op == DG_OP_CBN ? net->labels : NULL,
                      .run_mean = dg_net_tensor_data(net, n->t_rm),
                      .run_var = dg_net_tensor_data(net, n->t_rv), .eps = n->eps,
                      .momentum = n->momentum, .act = n->act, .slope = n->alpha};
    return p;
}

static void forward_bn(dg_net *net, dg_ctx *ctx, node *n, const float *x0, int B, bool train)
{
    if (n->op == DG_OP_CBN)
        check_labels(n, net->labels, B);
    dg_bn_params p = bn_params(net, n);
    dg_bn_forward(ctx, &p, n->out, n->mean, n->invstd, x0, B, n->c, n->h * n->w, train);
}

static void forward_node(dg_net *net, dg_ctx *ctx, node *n, int B, bool train)
{
    const node *a = n->in0 >= 0 ? &net->nodes[n->in0] : NULL;
    const float *x0 = a ? a->out : NULL;
    const long len = (long)B * nsize(n);
    switch (n->op) {
    case DG_OP_INPUT:
        break;
    case DG_OP_CONV: {
        dg_conv_geom g = geom_of(net, n, B);
        const float *w = Weff(net, n);
        if (pool3(n)) {
            dg_convpool_weight(n->wpool, w, n->c, a->c);
            dg_convpool_forward(ctx, &g, n->out, x0, n->wpool, Bv(net, n));
            break;
        }
        if (n->pool) {
            pool_weight(n->wpool, w, (long)n->c * a->c, n->k);
            w = n->wpool;
        }
        dg_conv2d_forward(ctx, &g, n->out, x0, w, Bv(net, n));
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
    case DG_OP_CBN:
        forward_bn(net, ctx, n, x0, B, train);
        break;
    case DG_OP_DENSE:
        dg_dense_forward(ctx, n->out, x0, Weff(net, n), Bv(net, n), B, (int)nsize(a), n->c);
        break;
    case DG_OP_RELU:
        if (!n->fused)
            dg_relu_forward(ctx, n->out, x0, len);
        break;
    case DG_OP_LRELU:
        if (!n->fused)
            dg_lrelu_forward(ctx, n->out, x0, len, n->alpha);
        break;
    case DG_OP_TANH: dg_tanh_forward(ctx, n->out, x0, len); break;
    case DG_OP_SIGMOID: dg_sigmoid_forward(ctx, n->out, x0, len); break;
    case DG_OP_MAXPOOL:
        dg_maxpool_forward(ctx, n->out, n->argmax, x0, B, a->c, a->h, a->w, n->k, n->s, n->p);
        break;
    case DG_OP_AVGPOOL:
        if (!n->fused)
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
    case DG_OP_PAD:
        if (!n->fused) /* else its coordinate channel wrote it */
            dg_pad_reflect_forward(ctx, n->out, x0, B, a->c, a->h, a->w, n->p);
        break;
    case DG_OP_COORDS:
        if (n->padded)
            dg_coords_pad_forward(ctx, n->out, x0, B, a->c, a->h, a->w, net->nodes[n->padded].p);
        else
            dg_coords_forward(n->out, x0, B, a->c, a->h, a->w);
        break;
    case DG_OP_NOISE:
        dg_noise_forward(n->out, n->mask, x0, W(net, n), net->nodes[0].out, nsize(&net->nodes[0]), B,
                         n->c, n->h * n->w, (uint64_t)(n - net->nodes));
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
        check_labels(n, net->labels, B);
        dg_embed_forward(n->out, W(net, n), net->labels, B, n->c);
        break;
    case DG_OP_CONCAT: {
        const node *b2 = &net->nodes[n->in1];
        dg_concat_forward(n->out, x0, b2->out, B, a->c, b2->c, a->h * a->w);
        break;
    }
    case DG_OP_PROJECT:
        check_labels(n, net->labels, B);
        dg_project_forward(n->out, x0, W(net, n), net->labels, B, (int)nsize(a));
        break;
    }
}

void dg_net_forward(dg_net *net, dg_ctx *ctx, const float *x, const int *labels, int B,
                    bool train)
{
    if (!net->finalized)
        dg_net_finalize(net);
    if (B <= 0 || B > net->max_batch)
        dg_net_die("dg_net_forward: batch size out of range");
    dg_net_ensure_buffers(net);
    net->batch = B;
    net->labels = labels;
    net->last_train = train;
    net->nodes[0].out = (float *)x;
    for (int i = 1; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        double t0 = net->profile ? dg_net_now() : 0.0;
        if (n->t_u >= 0)
            sn_refresh(net, n);
        forward_node(net, ctx, n, B, train);
        n->f_fwd += dg_net_node_flops(net, i, B);
        if (net->profile) {
            n->t_fwd += dg_net_now() - t0;
            n->n_fwd++;
        }
    }
}

/* ---- backward ------------------------------------------------------------- */

/* Where to write the gradient for input node `in` of a node: straight into
 * its buffer the first time (or in place), else into tmp to be added. */
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

/* In place: n->grad is its input's gradient buffer; transform it (dw: the
 * parameters' gradient of noise injection, or NULL). */
static void backward_alias(dg_net *net, dg_ctx *ctx, node *n, int B, long len, float *dw)
{
    switch (n->op) {
    case DG_OP_NOISE: /* the input's gradient is the output's */
        dg_noise_backward(NULL, dw, n->grad, n->mask, B, n->c, n->h * n->w);
        break;
    case DG_OP_RELU: dg_relu_backward(ctx, n->grad, n->grad, n->out, len); break;
    case DG_OP_LRELU: dg_lrelu_backward(ctx, n->grad, n->grad, n->out, len, n->alpha); break;
    case DG_OP_TANH: dg_tanh_backward(ctx, n->grad, n->grad, n->out, len); break;
    case DG_OP_SIGMOID: dg_sigmoid_backward(ctx, n->grad, n->grad, n->out, len); break;
    case DG_OP_DROPOUT:
        if (net->last_train && n->alpha > 0.0f)
            dg_dropout_backward(n->grad, n->grad, n->mask, len);
        break;
    default:
        dg_net_die("in-place backward of an op that cannot run in place");
    }
}

/* Convolutions: the weight gradient and the input gradient are two passes,
 * timed apart when profiling. */
static void backward_conv(dg_net *net, dg_ctx *ctx, node *n, int B, float *d0, float *dw,
                          float *db)
{
    const node *a = &net->nodes[n->in0];
    dg_conv_geom g = geom_of(net, n, B);
    const double fl = dg_net_node_flops(net, (int)(n - net->nodes), B);
    double t0 = net->profile ? dg_net_now() : 0.0;
    const long planes = (long)n->c * a->c, wpn = planes * (n->k + 1) * (n->k + 1);
    if (dw || db) {
        if (n->pool) { /* through the transformed weight */
            if (dw)
                memset(n->dwpool, 0, sizeof(float) * wpn);
            if (pool3(n))
                dg_convpool_backward_weight(ctx, &g, dw ? n->dwpool : NULL, db, n->grad, a->out);
            else
                dg_conv2d_backward_weight(ctx, &g, dw ? n->dwpool : NULL, db, n->grad, a->out);
            if (dw && pool3(n))
                dg_convpool_weight_grad(dw, n->dwpool, n->c, a->c);
            else if (dw)
                pool_weight_grad(dw, n->dwpool, planes, n->k);
        } else if (n->op == DG_OP_CONV)
            dg_conv2d_backward_weight(ctx, &g, dw, db, n->grad, a->out);
        else if (n->op == DG_OP_CONVT)
            dg_convt2d_backward_weight(ctx, &g, dw, db, n->grad, a->out);
        else
            dg_dwconv2d_backward(ctx, &g, NULL, dw, db, n->grad, a->out, W(net, n));
        n->f_bwd_weight += dw ? fl : 0.0;
    }
    double t1 = net->profile ? dg_net_now() : 0.0;
    if (d0) {
        if (pool3(n)) /* the forward's transformed weight */
            dg_convpool_backward_data(ctx, &g, d0, n->grad, n->wpool);
        else if (n->op == DG_OP_CONV) /* the forward's weight; pool_weight's when pooled */
            dg_conv2d_backward_data(ctx, &g, d0, n->grad, n->pool ? n->wpool : Weff(net, n));
        else if (n->op == DG_OP_CONVT)
            dg_convt2d_backward_data(ctx, &g, d0, n->grad, Weff(net, n));
        else
            dg_dwconv2d_backward(ctx, &g, d0, NULL, NULL, n->grad, a->out, W(net, n));
        n->f_bwd_data += fl;
    }
    if (net->profile) {
        double t2 = dg_net_now();
        n->t_bwd_weight += t1 - t0;
        n->t_bwd_data += t2 - t1;
    }
}

static void backward_bn(dg_net *net, dg_ctx *ctx, node *n, int B, float *d0, float *dw, float *db)
{
    const node *a = &net->nodes[n->in0];
    dg_bn_params p = bn_params(net, n);
    dg_bn_backward(ctx, &p, d0, dw, db, n->grad, n->out, a->out, n->mean, n->invstd, B, n->c,
                   n->h * n->w, net->last_train);
}

/* The gradient for the first input (d0, may be NULL) and the parameters. */
static void backward_node(dg_net *net, dg_ctx *ctx, node *n, int B, float *d0, float *dw,
                          float *db)
{
    const node *a = n->in0 >= 0 ? &net->nodes[n->in0] : NULL;
    const long len = (long)B * nsize(n);
    switch (n->op) {
    case DG_OP_INPUT:
        break;
    case DG_OP_CONV:
    case DG_OP_CONVT:
    case DG_OP_DWCONV:
        backward_conv(net, ctx, n, B, d0, dw, db);
        break;
    case DG_OP_BN:
    case DG_OP_CBN:
        backward_bn(net, ctx, n, B, d0, dw, db);
        break;
    case DG_OP_DENSE: {
        double fl = dg_net_node_flops(net, (int)(n - net->nodes), B);
        dg_dense_backward(ctx, d0, dw, db, n->grad, a->out, Weff(net, n), B, (int)nsize(a), n->c);
        n->f_bwd_weight += dw ? fl : 0.0;
        n->f_bwd_data += d0 ? fl : 0.0;
        break;
    }
    case DG_OP_RELU: if (d0) dg_relu_backward(ctx, d0, n->grad, n->out, len); break;
    case DG_OP_LRELU: if (d0) dg_lrelu_backward(ctx, d0, n->grad, n->out, len, n->alpha); break;
    case DG_OP_TANH: if (d0) dg_tanh_backward(ctx, d0, n->grad, n->out, len); break;
    case DG_OP_SIGMOID: if (d0) dg_sigmoid_backward(ctx, d0, n->grad, n->out, len); break;
    case DG_OP_MAXPOOL:
        if (d0)
            dg_maxpool_backward(ctx, d0, n->grad, n->argmax, B, a->c, a->h, a->w, n->k, n->s, n->p);
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
    case DG_OP_PAD:
        if (d0)
            dg_pad_reflect_backward(ctx, d0, n->grad, B, a->c, a->h, a->w, n->p);
        break;
    case DG_OP_COORDS:
        if (d0 && n->padded)
            dg_coords_pad_backward(ctx, d0, n->grad, B, a->c, a->h, a->w,
                                   net->nodes[n->padded].p);
        else if (d0)
            dg_coords_backward(d0, n->grad, B, a->c, a->h, a->w);
        break;
    case DG_OP_NOISE:
        dg_noise_backward(d0, dw, n->grad, n->mask, B, n->c, n->h * n->w);
        break;
    case DG_OP_DROPOUT:
        if (d0 && net->last_train && n->alpha > 0.0f)
            dg_dropout_backward(d0, n->grad, n->mask, len);
        else if (d0)
            memcpy(d0, n->grad, sizeof(float) * len);
        break;
    case DG_OP_ADD:
        if (d0) memcpy(d0, n->grad, sizeof(float) * len);
        break;
    case DG_OP_EMBED:
        if (dw) dg_embed_backward(dw, n->grad, net->labels, B, n->c);
        break;
    case DG_OP_CONCAT:
        if (d0)
            dg_concat_backward(d0, NULL, n->grad, B, a->c, net->nodes[n->in1].c, a->h * a->w);
        break;
    case DG_OP_PROJECT:
        dg_project_backward(d0, dw, n->grad, a->out, W(net, n), net->labels, B, (int)nsize(a));
        break;
    }
}

/* The second input of add / concat. */
static void backward_second(dg_net *net, dg_ctx *ctx, node *n, int B, bool *ready, float *dx)
{
    const node *a = &net->nodes[n->in0], *b2 = &net->nodes[n->in1];
    long blen = (long)B * nsize(b2);
    gtarget t1 = target_for(net, ready, n->in1, dx);
    if (!t1.dst)
        return;
    if (n->op == DG_OP_ADD)
        memcpy(t1.dst, n->grad, sizeof(float) * blen);
    else if (n->op == DG_OP_CONCAT)
        dg_concat_backward(NULL, t1.dst, n->grad, B, a->c, b2->c, a->h * a->w);
    finish_target(net, ctx, &t1, n->in1, dx, blen);
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
        double t0 = net->profile ? dg_net_now() : 0.0;
        const double tw0 = n->t_bwd_weight, td0 = n->t_bwd_data;
        if (n->fused && (n->op == DG_OP_AVGPOOL || n->op == DG_OP_PAD)) {
            ready[n->in0] = true; /* its convolution / coordinate channel takes n->grad */
        } else if (n->alias) {
            ready[n->in0] = true;
            /* a fused activation's gradient is taken by its batch norm, unless
             * the pass stops there */
            if (!n->fused || n->in0 == stop)
                backward_alias(net, ctx, n, B, (long)B * nsize(n),
                               param_grads ? dW(net, n) : NULL);
        } else {
            long alen = n->in0 >= 0 ? (long)B * nsize(&net->nodes[n->in0]) : 0;
            float *dw = param_grads ? dW(net, n) : NULL;
            float *db = param_grads ? dB(net, n) : NULL;
            float *dw_sn_target = NULL; /* spectral norm: dW_sn goes to scratch, then into dW */
            if (dw && n->t_u >= 0) {
                dw_sn_target = dw;
                dw = n->sn_dw;
                memset(dw, 0, sizeof(float) * net->tensors[n->t_w].n);
            }
            gtarget t0g = target_for(net, ready, n->in0, dx);
            backward_node(net, ctx, n, B, t0g.dst, dw, db);
            if (dw_sn_target) {
                int rows, cols;
                sn_dims(net, n, &rows, &cols);
                dg_sn_backward(dw_sn_target, n->sn_dw, n->wsn, dg_net_tensor_data(net, n->t_u),
                               n->sn_v, n->sigma, rows, cols);
            }
            if (t0g.dst)
                finish_target(net, ctx, &t0g, n->in0, dx, alen);
            if (n->in1 >= 0)
                backward_second(net, ctx, n, B, ready, dx);
        }
        if (net->profile) {
            /* what the conv kernels did not attribute goes to the data side */
            double rest = dg_net_now() - t0 - (n->t_bwd_weight - tw0) - (n->t_bwd_data - td0);
            n->t_bwd_data += rest;
            n->n_bwd++;
        }
    }
    if (ready != ready_stack)
        free(ready);
}

void dg_net_backward(dg_net *net, dg_ctx *ctx, const float *dout, float *dx, bool param_grads)
{
    backward_impl(net, ctx, dout, dx, param_grads, 0);
}

void dg_net_backward_to(dg_net *net, dg_ctx *ctx, const float *dout, int stop_node)
{
    if (stop_node < 0 || stop_node >= net->n_nodes)
        dg_net_die("dg_net_backward_to: no such node");
    if (net->nodes[stop_node].pool)
        dg_net_die("dg_net_backward_to: the node's output is pooled in place (no gradient of it)");
    if (net->nodes[stop_node].padded)
        dg_net_die("dg_net_backward_to: the node's output is padded in place (no gradient of it)");
    backward_impl(net, ctx, dout, NULL, false, stop_node);
}

void dg_net_zero_grad(dg_net *net)
{
    memset(dg_net_grads(net), 0, sizeof(float) * net->n_params);
}

/* ---- optimizer step ----------------------------------------------------------- */

void dg_net_step(dg_net *net, dg_ctx *ctx, dg_opt *opt)
{
    double t0 = net->profile ? dg_net_now() : 0.0;
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
    if (net->profile) {
        net->t_step += dg_net_now() - t0;
        net->n_step++;
    }
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

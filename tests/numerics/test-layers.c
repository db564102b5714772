/* test-layers: every layer's backward against central finite differences
 * (all inputs and parameters), convolutions against naive references. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "numerics/dg-ctx.h"
#include "numerics/dg-layers.h"
#include "numerics/dg-net.h"

static dg_ctx *ctx1, *ctx2, *ctx3;

/* ---- finite-difference harness ---------------------------------------------- */

typedef struct {
    dg_net *net;
    float *x;
    int *labels;
    int B;
    float *R; /* random weights of the scalar loss sum(out * R) */
    long out_n, in_n;
    dg_rng rng0; /* dropout masks replayed identically on every forward */
    bool train;
    dg_ctx *ctx;
} gc_case;

static double gc_loss(gc_case *c)
{
    *dg_net_rng(c->net) = c->rng0;
    dg_net_forward(c->net, c->ctx, c->x, c->labels, c->B, c->train);
    const float *o = dg_net_output(c->net);
    double s = 0.0;
    for (long i = 0; i < c->out_n; i++)
        s += (double)o[i] * c->R[i];
    return s;
}

static double gc_numeric(gc_case *c, float *v, long i, float h)
{
    float keep = v[i];
    v[i] = keep + h;
    double lp = gc_loss(c);
    v[i] = keep - h;
    double lm = gc_loss(c);
    v[i] = keep;
    return (lp - lm) / (2.0 * h);
}

/* Compare analytic g[i] with the central difference of the loss in v[i].
 * A ReLU or max-pool kink within h of the point spoils one difference; a
 * disagreement is therefore re-measured with h / 10 and h / 100 before it
 * counts (a wrong gradient disagrees at every h). */
static int gc_check_array(gc_case *c, float *v, const float *g, long n, const char *what,
                          int max_checks, dg_rng *pick)
{
    int bad = 0;
    long stride = n > max_checks ? 0 : 1;
    for (int k = 0; k < (stride ? n : max_checks); k++) {
        long i = stride ? k : (long)dg_rng_below(pick, (uint32_t)n);
        double ana = g[i];
        double num = gc_numeric(c, v, i, 1e-2f);
        double tol = 2e-3 + 2e-2 * fmax(fabs(num), fabs(ana));
        if (fabs(num - ana) > tol) {
            num = gc_numeric(c, v, i, 1e-3f);
            tol = 4e-3 + 2e-2 * fmax(fabs(num), fabs(ana));
        }
        if (fabs(num - ana) > tol) { /* batch norm spreads one weight over a whole channel */
            num = gc_numeric(c, v, i, 1e-4f);
            tol = 1e-2 + 2e-2 * fmax(fabs(num), fabs(ana));
        }
        if (fabs(num - ana) > tol) {
            if (bad < 5)
                g_test_message("%s[%ld]: analytic %.6g numeric %.6g", what, i, ana, num);
            bad++;
        }
    }
    return bad;
}

/* Run the full check for a built net: input gradient (if want_dx) and every
 * trainable tensor. */
static void gc_run(dg_net *net, int B, const int *labels, bool want_dx, bool train, dg_ctx *ctx,
                   uint64_t seed)
{
    dg_net_finalize(net);
    dg_rng rng;
    dg_rng_seed(&rng, seed);
    dg_net_init(net, &rng, DG_INIT_KAIMING);
    /* keep activations O(1): scale weights a little down */
    int c, h, w;
    dg_net_node_shape(net, 0, &c, &h, &w);
    gc_case cs = {.net = net, .B = B, .train = train, .ctx = ctx};
    cs.in_n = (long)B * c * h * w;
    cs.out_n = (long)B * dg_net_node_size(net, dg_net_output_node(net));
    cs.x = g_new(float, cs.in_n);
    cs.R = g_new(float, cs.out_n);
    for (long i = 0; i < cs.in_n; i++) {
        /* stay away from ReLU kinks and max-pool ties: |x| >= 0.1, distinct */
        float v = 0.1f + 0.9f * dg_rng_uniform(&rng);
        cs.x[i] = dg_rng_uniform(&rng) < 0.5f ? -v : v;
    }
    for (long i = 0; i < cs.out_n; i++)
        cs.R[i] = dg_rng_normal(&rng);
    cs.labels = (int *)labels;
    cs.rng0 = *dg_net_rng(net);

    float *dx = want_dx ? g_new0(float, cs.in_n) : NULL;
    dg_net_zero_grad(net);
    gc_loss(&cs);
    dg_net_backward(net, ctx, cs.R, dx, true);

    /* copy analytic gradients (the check's forwards do not touch them) */
    long P = dg_net_n_params(net);
    float *gp = g_memdup2(dg_net_grads(net), sizeof(float) * (P ? P : 1));
    int bad = 0;
    dg_rng pick;
    dg_rng_seed(&pick, seed ^ 77);
    if (want_dx)
        bad += gc_check_array(&cs, cs.x, dx, cs.in_n, "input", 150, &pick);
    for (int t = 0; t < dg_net_n_tensors(net); t++) {
        const dg_tensor *ti = dg_net_tensor(net, t);
        if (!ti->trainable)
            continue;
        bad += gc_check_array(&cs, dg_net_tensor_data(net, t), gp + ti->off, ti->n, ti->name, 80,
                              &pick);
    }
    g_assert_cmpint(bad, ==, 0);
    g_free(gp);
    g_free(dx);
    g_free(cs.x);
    g_free(cs.R);
    dg_net_free(net);
}

/* ---- layer cases ----------------------------------------------------------------- */

typedef struct {
    int B, C, H, W, OC, k, s, p;
    bool bias;
} conv_case;

static const conv_case conv_cases[] = {
    {2, 3, 7, 5, 4, 3, 1, 1, true},   /* odd sizes, same padding */
    {3, 2, 8, 8, 3, 4, 2, 1, false},  /* DCGAN down-sampling */
    {2, 5, 4, 6, 3, 1, 1, 0, true},   /* pointwise */
    {2, 3, 9, 6, 2, 3, 2, 0, true},   /* stride 2, no padding */
    {2, 2, 7, 7, 3, 5, 3, 2, false},  /* big kernel, stride 3 */
    {5, 4, 2, 2, 6, 1, 1, 0, true},   /* pointwise, tiny map: batch folded */
    {1, 3, 6, 6, 4, 3, 1, 1, true},   /* batch 1: serial path, split GEMM */
    {6, 3, 3, 3, 5, 3, 1, 1, true},   /* tiny maps, several images per chunk */
    {3, 4, 4, 4, 2, 4, 1, 0, true},   /* the kernel covers the input: a dense layer */
    /* 3x3 stride 1 with 8 or more channels (the shapes of the Winograd path) */
    {2, 8, 9, 11, 9, 3, 1, 1, true},  /* odd sizes */
    {1, 9, 8, 8, 8, 3, 1, 1, true},   /* batch 1 */
    {3, 8, 11, 10, 12, 3, 1, 0, false}, /* no padding */
    {2, 10, 7, 8, 8, 3, 1, 2, true},  /* padding 2 */
};

static void test_conv_grad(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(conv_cases); i++) {
        const conv_case *cc = &conv_cases[i];
        for (int th = 0; th < 2; th++) {
            dg_net *net = dg_net_new(cc->C, cc->H, cc->W, cc->B);
            dg_net_conv(net, 0, cc->OC, cc->k, cc->s, cc->p, cc->bias);
            gc_run(net, cc->B, NULL, true, true, th ? ctx2 : ctx1, 100 + i);
        }
    }
}

static void test_convt_grad(void)
{
    static const conv_case cases[] = {
        {2, 3, 4, 4, 2, 4, 2, 1, false}, {3, 5, 1, 1, 4, 4, 1, 0, false},
        {2, 2, 3, 5, 3, 3, 1, 1, true},  {2, 3, 3, 3, 2, 3, 2, 0, true},
        {5, 4, 2, 2, 3, 4, 2, 1, true},  {1, 3, 3, 3, 2, 4, 2, 1, true},
        {3, 4, 1, 1, 2, 3, 1, 0, true},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const conv_case *cc = &cases[i];
        for (int th = 0; th < 2; th++) {
            dg_net *net = dg_net_new(cc->C, cc->H, cc->W, cc->B);
            dg_net_convt(net, 0, cc->OC, cc->k, cc->s, cc->p, cc->bias);
            gc_run(net, cc->B, NULL, true, true, th ? ctx2 : ctx1, 200 + i);
        }
    }
}

static void test_dwconv_grad(void)
{
    static const conv_case cases[] = {
        {2, 3, 6, 5, 3, 3, 1, 1, true}, {3, 4, 7, 7, 4, 3, 2, 1, false}, {2, 2, 8, 8, 2, 5, 1, 2, true},
        {1, 5, 9, 11, 5, 3, 2, 0, true}, {2, 3, 10, 7, 3, 4, 3, 1, false},
        {2, 2, 5, 37, 2, 3, 1, 1, true}, /* rows longer than two vectors */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const conv_case *cc = &cases[i];
        dg_net *net = dg_net_new(cc->C, cc->H, cc->W, cc->B);
        dg_net_dwconv(net, 0, cc->k, cc->s, cc->p, cc->bias);
        gc_run(net, cc->B, NULL, true, true, ctx2, 300 + i);
    }
}

static void test_bn_grad(void)
{
    /* conv-shaped, training mode */
    dg_net *net = dg_net_new(3, 5, 4, 4);
    int c = dg_net_conv(net, 0, 4, 3, 1, 1, false);
    dg_net_bn(net, c);
    gc_run(net, 4, NULL, true, true, ctx2, 401);
    /* dense-shaped (HW = 1), odd batch */
    net = dg_net_new(7, 1, 1, 5);
    int d = dg_net_dense(net, 0, 6, true);
    dg_net_bn(net, d);
    gc_run(net, 5, NULL, true, true, ctx1, 402);
    /* planes of 272 values: the statistics' 256-value blocks and their tails */
    net = dg_net_new(2, 16, 17, 2);
    dg_net_bn(net, dg_net_conv(net, 0, 3, 3, 1, 1, false));
    gc_run(net, 2, NULL, true, true, ctx2, 404);
    /* evaluation mode (running statistics) */
    net = dg_net_new(3, 4, 4, 3);
    dg_net_bn(net, dg_net_conv(net, 0, 2, 3, 1, 1, true));
    gc_run(net, 3, NULL, true, false, ctx2, 403);
}

static void test_cbn_grad(void)
{
    int labels[5] = {1, 0, 2, 1, 1};
    for (int train = 1; train >= 0; train--) {
        dg_net *net = dg_net_new(3, 4, 3, 5);
        dg_net_cbn(net, dg_net_conv(net, 0, 4, 3, 1, 1, false), 3);
        gc_run(net, 5, labels, true, train, ctx2, 410 + train);
    }
    /* in a generator-like chain, with a dense input (HW = 1) */
    dg_net *net = dg_net_new(6, 1, 1, 5);
    dg_net_relu(net, dg_net_cbn(net, dg_net_dense(net, 0, 8, false), 3));
    gc_run(net, 5, labels, true, true, ctx1, 412);
}

static void test_dense_grad(void)
{
    dg_net *net = dg_net_new(3, 2, 3, 4);
    dg_net_dense(net, 0, 5, true);
    gc_run(net, 4, NULL, true, true, ctx2, 501);
    net = dg_net_new(9, 1, 1, 3);
    dg_net_dense(net, 0, 4, false);
    gc_run(net, 3, NULL, true, true, ctx1, 502);
}

/* Spectral normalization: gradients through W / sigma(W) (u held fixed), and
 * the power iteration converging to the largest singular value. */
static void test_spectral_norm_grad(void)
{
    dg_net *net = dg_net_new(3, 5, 5, 2);
    int c = dg_net_conv(net, 0, 4, 3, 1, 1, true);
    dg_net_spectral_norm(net, c);
    gc_run(net, 2, NULL, true, true, ctx2, 601);
    net = dg_net_new(4, 3, 3, 2);
    c = dg_net_convt(net, 0, 3, 4, 2, 1, false);
    dg_net_spectral_norm(net, c);
    gc_run(net, 2, NULL, true, true, ctx1, 602);
    net = dg_net_new(6, 1, 1, 3);
    c = dg_net_dense(net, 0, 5, true);
    dg_net_spectral_norm(net, c);
    gc_run(net, 3, NULL, true, true, ctx3, 603);
    /* a stack of two: the gradient reaches the first through the second's W_sn */
    net = dg_net_new(2, 4, 4, 2);
    c = dg_net_conv(net, 0, 3, 3, 1, 1, false);
    dg_net_spectral_norm(net, c);
    c = dg_net_conv(net, dg_net_lrelu(net, c, 0.2f), 2, 3, 2, 1, true);
    dg_net_spectral_norm(net, c);
    gc_run(net, 2, NULL, true, true, ctx2, 604);
}

/* Bilinear 2x upsampling: gradient, and PyTorch's values on a 2x3 plane
 * (F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)). */
static void test_upsample_bilinear(void)
{
    dg_net *net = dg_net_new(2, 3, 4, 2);
    dg_net_upsample_bilinear(net, 0);
    gc_run(net, 2, NULL, true, true, ctx2, 611);
    net = dg_net_new(1, 1, 1, 1);
    dg_net_upsample_bilinear(net, 0);
    gc_run(net, 1, NULL, true, true, ctx1, 612);

    net = dg_net_new(1, 2, 3, 1);
    dg_net_upsample_bilinear(net, 0);
    dg_net_finalize(net);
    const float x[6] = {1, 2, 4, 3, 5, 9};
    dg_net_forward(net, ctx1, x, NULL, 1, false);
    const float want[24] = {1, 1.25f, 1.75f, 2.5f, 3.5f, 4, 1.5f, 1.8125f, 2.4375f, 3.375f,
                            4.625f, 5.25f, 2.5f, 2.9375f, 3.8125f, 5.125f, 6.875f, 7.75f, 3, 3.5f,
                            4.5f, 6, 8, 9};
    for (int i = 0; i < 24; i++)
        g_assert_cmpfloat_with_epsilon(dg_net_output(net)[i], want[i], 1e-6f);
    dg_net_free(net);
}

/* The coordinate channel: gradient (before a convolution, as the generator
 * uses it) and its values at pixel centres (0 in the middle of a 3x3 plane,
 * sqrt(4/9) at a corner pixel; 1 would be the plane's corner itself), the
 * same for every image, after the input's channels unchanged. */
static void test_coords(void)
{
    dg_net *net = dg_net_new(2, 4, 4, 2);
    dg_net_conv(net, dg_net_coords(net, 0), 3, 3, 1, 1, true);
    gc_run(net, 2, NULL, true, true, ctx2, 631);
    net = dg_net_new(3, 5, 3, 2);
    dg_net_coords(net, 0);
    gc_run(net, 2, NULL, true, true, ctx1, 632);

    net = dg_net_new(1, 3, 3, 2);
    int id = dg_net_coords(net, 0);
    int c, h, w;
    dg_net_node_shape(net, id, &c, &h, &w);
    g_assert_cmpint(c, ==, 2);
    g_assert_cmpint(h * w, ==, 9);
    dg_net_finalize(net);
    float x[18];
    for (int i = 0; i < 18; i++)
        x[i] = (float)i;
    dg_net_forward(net, ctx1, x, NULL, 2, false);
    const float *o = dg_net_output(net);
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < 9; i++)
            g_assert_cmpfloat(o[b * 18 + i], ==, x[b * 9 + i]);
        const float *r = o + b * 18 + 9;
        g_assert_cmpfloat_with_epsilon(r[4], 0.0f, 1e-7f);
        g_assert_cmpfloat_with_epsilon(r[0], sqrtf(4.0f / 9.0f), 1e-6f); /* u = v = -2/3 */
        g_assert_cmpfloat_with_epsilon(r[1], sqrtf(2.0f / 9.0f), 1e-6f); /* u = 0, v = -2/3 */
        g_assert_cmpfloat(r[8], ==, r[0]);
    }
    dg_net_free(net);
}

/* The generator's "conv, noise, coordinate channel, reflection padding,
 * conv" (the noise added in place, the channel written padded; dg_net_finalize
 * fuses both): gradient by finite differences, and the same outputs, input
 * gradients and parameter gradients (a noise scale set non-zero) as the
 * unfused passes (DG_NO_PAD_FUSION, DG_NO_NOISE_IN_PLACE), with less memory. */
static dg_net *coords_pad_net(void)
{
    dg_net *net = dg_net_new(3, 5, 6, 2);
    int c = dg_net_noise(net, dg_net_conv(net, 0, 4, 3, 1, 1, true));
    dg_net_conv(net, dg_net_pad_reflect(net, dg_net_coords(net, c), 1), 2, 3, 1, 0, true);
    return net;
}

static void test_coords_pad_fused(void)
{
    gc_run(coords_pad_net(), 2, NULL, true, true, ctx2, 651);
    dg_net *nets[2];
    float *dx[2], *out[2], *grads[2];
    size_t bytes[2];
    const long in_n = 2L * 3 * 5 * 6;
    float x[2 * 3 * 5 * 6];
    dg_rng rng;
    dg_rng_seed(&rng, 652);
    for (long i = 0; i < in_n; i++)
        x[i] = dg_rng_normal(&rng);
    for (int k = 0; k < 2; k++) {
        if (k == 1) {
            g_setenv("DG_NO_PAD_FUSION", "1", TRUE);
            g_setenv("DG_NO_NOISE_IN_PLACE", "1", TRUE);
        }
        nets[k] = coords_pad_net();
        dg_net_finalize(nets[k]);
        g_unsetenv("DG_NO_PAD_FUSION");
        g_unsetenv("DG_NO_NOISE_IN_PLACE");
        dg_rng_seed(&rng, 653);
        dg_net_init(nets[k], &rng, DG_INIT_KAIMING);
        const int scale = dg_net_find_tensor(nets[k], "02.noise.weight");
        g_assert_cmpint(scale, >=, 0);
        dg_net_tensor_data(nets[k], scale)[1] = 0.7f;
        dg_net_forward(nets[k], ctx2, x, NULL, 2, true);
        bytes[k] = dg_net_bytes(nets[k]);
        const long on = 2L * dg_net_node_size(nets[k], dg_net_output_node(nets[k]));
        out[k] = g_memdup2(dg_net_output(nets[k]), sizeof(float) * on);
        float *r = g_new(float, on);
        for (long i = 0; i < on; i++)
            r[i] = (float)((i * 7) % 5) - 2.0f;
        dx[k] = g_new0(float, in_n);
        dg_net_zero_grad(nets[k]);
        dg_net_backward(nets[k], ctx2, r, dx[k], true);
        grads[k] = g_memdup2(dg_net_grads(nets[k]), sizeof(float) * dg_net_n_params(nets[k]));
        g_free(r);
    }
    const long on = 2L * dg_net_node_size(nets[0], dg_net_output_node(nets[0]));
    g_assert_cmpmem(out[0], sizeof(float) * on, out[1], sizeof(float) * on);
    g_assert_cmpmem(dx[0], sizeof(float) * in_n, dx[1], sizeof(float) * in_n);
    g_assert_cmpmem(grads[0], sizeof(float) * dg_net_n_params(nets[0]), grads[1],
                    sizeof(float) * dg_net_n_params(nets[1]));
    g_test_message("bytes fused %zu, unfused %zu", bytes[0], bytes[1]);
    g_assert_cmpuint(bytes[0], <, bytes[1]);
    for (int k = 0; k < 2; k++) {
        dg_net_free(nets[k]);
        g_free(dx[k]), g_free(out[k]), g_free(grads[k]);
    }
}

/* Noise injection: the gradient of its scale and of the weights around it
 * (not of the input: the noise is a step function of the input's bits);
 * the noise is standard normal, one plane per image shared by the
 * channels, the same for the same input row wherever it sits in the batch,
 * another for another row. */
static void test_noise(void)
{
    dg_net *net = dg_net_new(2, 4, 4, 3);
    int x = dg_net_conv(net, 0, 3, 3, 1, 1, true);
    dg_net_conv(net, dg_net_noise(net, x), 2, 3, 1, 1, true);
    gc_run(net, 3, NULL, false, true, ctx2, 641);

    net = dg_net_new(2, 64, 64, 3);
    int id = dg_net_noise(net, 0);
    dg_net_finalize(net);
    float *scale = dg_net_tensor_data(net, dg_net_find_tensor(net, "01.noise.weight"));
    scale[0] = 1.0f, scale[1] = 2.0f;
    const long n = 2 * 64 * 64;
    float *in = g_new0(float, 3 * n);
    for (long i = 0; i < n; i++)
        in[i] = in[2 * n + i] = (float)(i % 7) - 3.0f; /* rows 0 and 2 alike */
    in[n] = 1.0f;                                      /* row 1 another */
    dg_net_forward(net, ctx1, in, NULL, 3, true);
    const float *o = dg_net_node_out(net, id);
    double sum = 0, sq = 0;
    for (long p = 0; p < 4096; p++) {
        float z = o[p] - in[p];
        g_assert_cmpfloat_with_epsilon(o[4096 + p] - in[4096 + p], 2.0f * z, 1e-5f);
        g_assert_cmpfloat(o[2 * n + p], ==, o[p]);
        sum += z, sq += (double)z * z;
    }
    double mean = sum / 4096, sd = sqrt(sq / 4096 - mean * mean);
    g_assert_cmpfloat(fabs(mean), <, 0.06);
    g_assert_cmpfloat(fabs(sd - 1.0), <, 0.06);
    int same = 0;
    for (long p = 0; p < 4096; p++)
        same += o[n + p] - in[n + p] == o[p] - in[p];
    g_assert_cmpint(same, <, 10);
    dg_net_free(net);
    g_free(in);
}

/* Reflection padding: gradient (alone, with 2 and 3 threads, and before a
 * convolution without padding, as the generator uses it), and PyTorch's
 * values (torch.nn.ReflectionPad2d(1) on a 2x3 plane). */
static void test_pad_reflect(void)
{
    dg_net *net = dg_net_new(2, 3, 4, 2);
    dg_net_pad_reflect(net, 0, 1);
    gc_run(net, 2, NULL, true, true, ctx2, 621);
    net = dg_net_new(3, 4, 5, 3);
    dg_net_pad_reflect(net, 0, 2);
    gc_run(net, 3, NULL, true, true, ctx3, 622);
    net = dg_net_new(2, 4, 4, 2);
    dg_net_conv(net, dg_net_pad_reflect(net, 0, 1), 3, 3, 1, 0, true);
    gc_run(net, 2, NULL, true, true, ctx1, 623);

    net = dg_net_new(1, 2, 3, 1);
    dg_net_pad_reflect(net, 0, 1);
    dg_net_finalize(net);
    const float x[6] = {1, 2, 4, 3, 5, 9};
    dg_net_forward(net, ctx1, x, NULL, 1, false);
    const float want[20] = {5, 3, 5, 9, 5, 2, 1, 2, 4, 2, 5, 3, 5, 9, 5, 2, 1, 2, 4, 2};
    for (int i = 0; i < 20; i++)
        g_assert_cmpfloat(dg_net_output(net)[i], ==, want[i]);
    dg_net_free(net);
}

static void test_spectral_norm_sigma(void)
{
    /* W = diag(3, 2, 1) embedded in a 3x4 dense layer: sigma = 3, and the
     * normalized layer maps e0 to (1, 0, 0) */
    dg_net *net = dg_net_new(4, 1, 1, 1);
    int d = dg_net_dense(net, 0, 3, false);
    dg_net_spectral_norm(net, d);
    dg_net_finalize(net);
    dg_rng rng;
    dg_rng_seed(&rng, 5);
    dg_net_init(net, &rng, DG_INIT_KAIMING);
    float *w = dg_net_tensor_data(net, dg_net_find_tensor(net, "01.dense.weight"));
    memset(w, 0, sizeof(float) * 12);
    w[0] = 3.0f, w[5] = 2.0f, w[10] = 1.0f;
    for (int k = 0; k < 60; k++)
        dg_net_sn_iterate(net);
    float x[4] = {1, 0, 0, 0};
    dg_net_forward(net, ctx1, x, NULL, 1, false);
    const float *o = dg_net_output(net);
    g_assert_cmpfloat_with_epsilon(o[0], 1.0f, 1e-3f);
    g_assert_cmpfloat_with_epsilon(o[1], 0.0f, 1e-3f);
    float x2[4] = {0, 1, 0, 0};
    dg_net_forward(net, ctx1, x2, NULL, 1, false);
    g_assert_cmpfloat_with_epsilon(dg_net_output(net)[1], 2.0f / 3.0f, 1e-3f);
    /* u is a buffer (saved with the weights), not a trainable tensor */
    int tu = dg_net_find_tensor(net, "01.dense.sn_u");
    g_assert_cmpint(tu, >=, 0);
    g_assert_false(dg_net_tensor(net, tu)->trainable);
    dg_net_free(net);
}

static void test_activation_grad(void)
{
    for (int a = 0; a < 4; a++) {
        dg_net *net = dg_net_new(4, 3, 3, 3);
        int c = dg_net_conv(net, 0, 3, 3, 1, 1, true);
        switch (a) {
        case 0: dg_net_relu(net, c); break;
        case 1: dg_net_lrelu(net, c, 0.2f); break;
        case 2: dg_net_tanh(net, c); break;
        case 3: dg_net_sigmoid(net, c); break;
        }
        g_test_message("activation %d after conv", a);
        gc_run(net, 3, NULL, true, true, ctx2, 600 + a);
        /* on the raw input too (not in place: the input is external) */
        net = dg_net_new(4, 3, 3, 3);
        switch (a) {
        case 0: dg_net_relu(net, 0); break;
        case 1: dg_net_lrelu(net, 0, 0.2f); break;
        case 2: dg_net_tanh(net, 0); break;
        case 3: dg_net_sigmoid(net, 0); break;
        }
        gc_run(net, 3, NULL, true, true, ctx2, 610 + a);
    }
}

static void test_bn_relu_in_place(void)
{
    /* conv -> BN -> ReLU (in place on BN's buffer) -> conv: the classic block */
    dg_net *net = dg_net_new(3, 6, 6, 4);
    int c = dg_net_conv(net, 0, 4, 3, 1, 1, false);
    int r = dg_net_relu(net, dg_net_bn(net, c));
    g_assert_true(dg_net_node_out(net, r) == NULL); /* not finalized yet */
    dg_net_conv(net, r, 2, 3, 2, 1, true);
    dg_net_finalize(net);
    g_assert_true(dg_net_node_out(net, r) == dg_net_node_out(net, r - 1));
    gc_run(net, 4, NULL, true, true, ctx2, 650);
    /* the activation runs inside the batch norm's pass (test-kernels.c checks
     * that pass against the two separate ones on large planes) */
    net = dg_net_new(3, 5, 6, 2);
    dg_net_conv(net, dg_net_lrelu(net, dg_net_bn(net, dg_net_conv(net, 0, 4, 3, 1, 1, false)),
                                  0.2f), 2, 3, 1, 1, true);
    gc_run(net, 2, NULL, true, true, ctx1, 651);
    int labels[3] = {2, 0, 2};
    for (int train = 1; train >= 0; train--) {
        net = dg_net_new(3, 4, 5, 3);
        int cb = dg_net_cbn(net, dg_net_conv(net, 0, 5, 3, 1, 1, false), 3);
        dg_net_conv(net, dg_net_relu(net, cb), 2, 3, 1, 1, true);
        gc_run(net, 3, labels, true, train, ctx2, 652 + train);
    }
}

static void test_pool_grad(void)
{
    static const int pc[][4] = {{2, 2, 0, 8}, {3, 2, 1, 7}, {5, 5, 0, 10}, {3, 1, 1, 5}};
    for (size_t i = 0; i < G_N_ELEMENTS(pc); i++) {
        for (int kind = 0; kind < 2; kind++) {
            dg_net *net = dg_net_new(3, pc[i][3], pc[i][3] + 1, 3);
            if (kind == 0)
                dg_net_maxpool(net, 0, pc[i][0], pc[i][1], pc[i][2]);
            else
                dg_net_avgpool(net, 0, pc[i][0], pc[i][1], pc[i][2]);
            gc_run(net, 3, NULL, true, true, ctx2, 700 + 10 * i + kind);
        }
    }
    dg_net *net = dg_net_new(4, 5, 3, 3);
    dg_net_gap(net, dg_net_conv(net, 0, 3, 3, 1, 1, true));
    gc_run(net, 3, NULL, true, true, ctx2, 750);
    /* a convolution followed by 2x2 average pooling runs as one strided
     * convolution: odd sizes, padding 0 and 1, batch 1, 1x1 and 3x3 kernels,
     * spectral norm, a LeakyReLU after it */
    static const int cp[][6] = {{3, 7, 9, 3, 1, 2}, {2, 8, 8, 3, 0, 1}, {3, 6, 5, 1, 0, 3},
                                {9, 6, 6, 3, 1, 2}};
    for (size_t i = 0; i < G_N_ELEMENTS(cp); i++) {
        net = dg_net_new(cp[i][0], cp[i][1], cp[i][2], cp[i][5]);
        int cv = dg_net_conv(net, 0, 4, cp[i][3], 1, cp[i][4], i != 1);
        if (i == 3)
            dg_net_spectral_norm(net, cv);
        dg_net_lrelu(net, dg_net_avgpool(net, cv, 2, 2, 0), 0.2f);
        gc_run(net, cp[i][5], NULL, true, true, i % 2 ? ctx1 : ctx2, 760 + i);
    }
    /* nearest upsampling (x2 and x3, odd sizes) between convolutions, as in
     * an upsample + conv generator */
    for (int f = 2; f <= 3; f++) {
        net = dg_net_new(3, 3, 5, 3);
        int u = dg_net_upsample(net, dg_net_conv(net, 0, 4, 1, 1, 0, true), f);
        dg_net_conv(net, u, 2, 3, 1, 1, true);
        gc_run(net, 3, NULL, true, true, f == 2 ? ctx2 : ctx1, 760 + f);
    }
    /* and its forward pass: every output pixel is its source pixel */
    net = dg_net_new(2, 3, 4, 2);
    dg_net_upsample(net, 0, 2);
    dg_net_finalize(net);
    float x[2 * 2 * 3 * 4];
    for (int i = 0; i < 48; i++)
        x[i] = (float)i;
    dg_net_forward(net, ctx2, x, NULL, 2, false);
    const float *y = dg_net_output(net);
    for (int q = 0; q < 4; q++)
        for (int h = 0; h < 6; h++)
            for (int w = 0; w < 8; w++)
                g_assert_cmpfloat(y[(q * 6 + h) * 8 + w], ==, x[(q * 3 + h / 2) * 4 + w / 2]);
    dg_net_free(net);
}

static void test_dropout_grad(void)
{
    dg_net *net = dg_net_new(6, 1, 1, 4);
    int d = dg_net_dense(net, 0, 8, true);
    int r = dg_net_relu(net, d);
    dg_net_dense(net, dg_net_dropout(net, r, 0.3f), 3, true);
    gc_run(net, 4, NULL, true, true, ctx1, 801);
    /* dropout mask really zeroes about p of the units */
    net = dg_net_new(1000, 1, 1, 2);
    dg_net_dropout(net, dg_net_dense(net, 0, 1000, false), 0.3f);
    dg_net_finalize(net);
    float *x = g_new(float, 2000);
    for (int i = 0; i < 2000; i++)
        x[i] = 1.0f;
    dg_rng rng;
    dg_rng_seed(&rng, 3);
    dg_net_init(net, &rng, DG_INIT_KAIMING);
    dg_net_forward(net, ctx1, x, NULL, 2, true);
    int zeros = 0;
    for (int i = 0; i < 2000; i++)
        zeros += dg_net_output(net)[i] == 0.0f;
    g_assert_cmpint(zeros, >, 500);
    g_assert_cmpint(zeros, <, 700);
    g_free(x);
    dg_net_free(net);
}

static void test_residual_grad(void)
{
    /* x -> conv -> bn -> relu -> conv -> add(x) -> relu: input used twice */
    dg_net *net = dg_net_new(3, 5, 5, 3);
    int a = dg_net_relu(net, dg_net_bn(net, dg_net_conv(net, 0, 4, 3, 1, 1, false)));
    int b = dg_net_conv(net, a, 3, 3, 1, 1, true);
    dg_net_relu(net, dg_net_add(net, b, 0));
    gc_run(net, 3, NULL, true, true, ctx2, 901);
    /* a node feeding two branches that merge again */
    net = dg_net_new(2, 4, 4, 2);
    int s = dg_net_conv(net, 0, 3, 3, 1, 1, true);
    int l = dg_net_conv(net, s, 3, 1, 1, 0, false);
    int r = dg_net_tanh(net, s);
    dg_net_gap(net, dg_net_add(net, l, r));
    gc_run(net, 2, NULL, true, true, ctx1, 902);
}

static void test_embed_concat_project_grad(void)
{
    int labels[4] = {2, 0, 1, 2};
    /* generator-style: z ++ embed(y) -> dense */
    dg_net *net = dg_net_new(5, 1, 1, 4);
    int e = dg_net_embed(net, 3, 4);
    int c = dg_net_concat(net, 0, e);
    dg_net_dense(net, c, 6, true);
    gc_run(net, 4, labels, true, true, ctx1, 1001);
    /* discriminator-style: h -> dense + <E[y], h> */
    net = dg_net_new(3, 3, 3, 4);
    int h = dg_net_relu(net, dg_net_conv(net, 0, 4, 3, 2, 1, true));
    int g = dg_net_gap(net, h);
    int lin = dg_net_dense(net, g, 1, true);
    int pr = dg_net_project(net, g, 3);
    dg_net_add(net, lin, pr);
    gc_run(net, 4, labels, true, true, ctx2, 1002);
}

/* ---- losses --------------------------------------------------------------------- */

static void test_exp_approx(void)
{
    double worst = 0.0;
    for (double x = -80.0; x <= 80.0; x += 0.0137) {
        double ref = exp(x), got = dg_exp_approx((float)x);
        /* compare against exp of the float-rounded argument */
        ref = exp((double)(float)x);
        worst = fmax(worst, fabs(got - ref) / ref);
    }
    g_test_message("exp_approx worst relative error %.3g", worst);
    g_assert_cmpfloat(worst, <, 5e-7);
    /* saturation instead of inf/0 surprises */
    g_assert_true(isfinite(dg_exp_approx(1000.0f)));
    g_assert_cmpfloat(dg_exp_approx(-1000.0f), >=, 0.0f);
    /* NaN stays NaN (a diverged training must be seen as such) */
    g_assert_true(isnan(dg_exp_approx(NAN)));
    float nan_in = NAN, nan_out = 0.0f;
    dg_tanh_forward(NULL, &nan_out, &nan_in, 1);
    g_assert_true(isnan(nan_out));
    /* tanh and sigmoid through the layer: odd symmetry, limits, accuracy */
    float x[7] = {-30.0f, -2.5f, -0.3f, 0.0f, 1e-4f, 0.7f, 30.0f}, y[7];
    dg_tanh_forward(NULL, y, x, 7);
    for (int i = 0; i < 7; i++)
        g_assert_cmpfloat_with_epsilon(y[i], tanh(x[i]), 3e-7);
    dg_sigmoid_forward(NULL, y, x, 7);
    for (int i = 0; i < 7; i++)
        g_assert_cmpfloat_with_epsilon(y[i], 1.0 / (1.0 + exp(-(double)x[i])), 3e-7);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ctx1 = dg_ctx_new(1);
    ctx2 = dg_ctx_new(2);
    ctx3 = dg_ctx_new(3);
    g_test_add_func("/layers/grad/conv", test_conv_grad);
    g_test_add_func("/layers/grad/convt", test_convt_grad);
    g_test_add_func("/layers/grad/dwconv", test_dwconv_grad);
    g_test_add_func("/layers/grad/bn", test_bn_grad);
    g_test_add_func("/layers/grad/cbn", test_cbn_grad);
    g_test_add_func("/layers/grad/dense", test_dense_grad);
    g_test_add_func("/layers/grad/spectral-norm", test_spectral_norm_grad);
    g_test_add_func("/layers/spectral-norm-sigma", test_spectral_norm_sigma);
    g_test_add_func("/layers/grad/upsample-bilinear", test_upsample_bilinear);
    g_test_add_func("/layers/grad/pad-reflect", test_pad_reflect);
    g_test_add_func("/layers/grad/coords", test_coords);
    g_test_add_func("/layers/grad/noise", test_noise);
    g_test_add_func("/layers/grad/coords-pad-fused", test_coords_pad_fused);
    g_test_add_func("/layers/grad/activations", test_activation_grad);
    g_test_add_func("/layers/grad/bn-relu-in-place", test_bn_relu_in_place);
    g_test_add_func("/layers/grad/pool", test_pool_grad);
    g_test_add_func("/layers/grad/dropout", test_dropout_grad);
    g_test_add_func("/layers/grad/residual", test_residual_grad);
    g_test_add_func("/layers/grad/embed-concat-project", test_embed_concat_project_grad);
    g_test_add_func("/layers/exp-approx", test_exp_approx);
    int rc = g_test_run();
    dg_ctx_free(ctx1);
    dg_ctx_free(ctx2);
    dg_ctx_free(ctx3);
    return rc;
}

/* test-losses: the losses' values against formulas by hand and their
 * gradients against central finite differences (BCE, hinge, softmax
 * cross-entropy with class weights and smoothing, its mixed-label form for
 * CutMix, the distillation KL). */
#include <glib.h>
#include <math.h>

#include "numerics/dg-loss.h"
#include "numerics/dg-rng.h"

/* A loss of the logits with everything else fixed. */
typedef struct {
    const int *y, *y2;
    const float *lam, *teacher;
    int B, K;
    const float *cw;
    float T;
} loss_args;

typedef double (*loss_of)(const float *logits, const loss_args *a);

static double xent_of(const float *lg, const loss_args *a)
{
    return dg_softmax_xent(lg, a->y, a->B, a->K, a->cw, 0.1f, NULL, NULL);
}

static double xent_mix_of(const float *lg, const loss_args *a)
{
    return dg_softmax_xent_mix(lg, a->y, a->y2, a->lam, a->B, a->K, a->cw, 0.1f, NULL, NULL);
}

static double distill_of(const float *lg, const loss_args *a)
{
    return dg_distill_kl(lg, a->teacher, a->y, a->y2, a->lam, a->B, a->K, a->cw, a->T, NULL);
}

/* A batch of 4 rows of 4 classes mixed as CutMix mixes them (lam 1: the
 * first label only; 0: the second only), with class weights. */
static const int mix_y[4] = {1, 3, 0, 2}, mix_y2[4] = {2, 3, 1, 0};
static const float mix_lam[4] = {0.3f, 0.6f, 1.0f, 0.0f}, mix_cw[4] = {0.5f, 2.0f, 1.0f, 1.5f};

/* The gradient dl of loss at lg [n] against central differences of step 1e-2. */
static void check_fd(loss_of loss, const loss_args *a, float *lg, const float *dl, int n)
{
    for (int i = 0; i < n; i++) {
        float keep = lg[i];
        lg[i] = keep + 1e-2f;
        double lp = loss(lg, a);
        lg[i] = keep - 1e-2f;
        double lm = loss(lg, a);
        lg[i] = keep;
        g_assert_cmpfloat_with_epsilon(dl[i], (lp - lm) / 2e-2, 2e-3);
    }
}

static void test_losses(void)
{
    /* BCE with logits against the textbook formula */
    float x[4] = {-3.0f, -0.2f, 0.5f, 40.0f}, t[4] = {0.0f, 1.0f, 1.0f, 1.0f}, d[4];
    double ref = 0.0;
    for (int i = 0; i < 4; i++) {
        double s = 1.0 / (1.0 + exp(-(double)x[i]));
        ref += -(t[i] * log(s) + (1 - t[i]) * log(1 - s + 1e-300));
    }
    float l = dg_bce_logits(x, t, 0, 4, d, 1.0f);
    g_assert_cmpfloat_with_epsilon(l, ref / 4, 1e-5);
    for (int i = 0; i < 4; i++) {
        double s = 1.0 / (1.0 + exp(-(double)x[i]));
        g_assert_cmpfloat_with_epsilon(d[i], (s - t[i]) / 4, 1e-6);
    }
    /* a huge negative logit with target 1 stays finite */
    float big = -200.0f;
    g_assert_true(isfinite(dg_bce_logits(&big, NULL, 1.0f, 1, d, 1.0f)));

    /* hinge */
    float h[3] = {0.5f, 2.0f, -1.0f};
    g_assert_cmpfloat_with_epsilon(dg_hinge_d(h, 3, +1, d, 1.0f), (0.5 + 0 + 2.0) / 3, 1e-6);
    g_assert_cmpfloat_with_epsilon(d[0], -1.0 / 3, 1e-6);
    g_assert_cmpfloat(d[1], ==, 0.0f);
    g_assert_cmpfloat_with_epsilon(dg_hinge_d(h, 3, -1, d, 1.0f), (1.5 + 3.0 + 0) / 3, 1e-6);
    g_assert_cmpfloat_with_epsilon(dg_hinge_g(h, 3, d, 1.0f), -(0.5 + 2.0 - 1.0) / 3, 1e-6);

    /* softmax cross-entropy with class weights and smoothing: gradient by
     * finite differences, value by hand for one row */
    const int B = 3, K = 4;
    float lg[12], dl[12], pr[12];
    int y[3] = {1, 3, 0};
    float cw[4] = {0.5f, 2.0f, 1.0f, 1.5f};
    dg_rng r;
    dg_rng_seed(&r, 5);
    for (int i = 0; i < B * K; i++)
        lg[i] = 2.0f * dg_rng_normal(&r);
    float L = dg_softmax_xent(lg, y, B, K, cw, 0.1f, dl, pr);
    check_fd(xent_of, &(loss_args){y, NULL, NULL, NULL, B, K, cw, 0.0f}, lg, dl, B * K);
    double lrow[3], wsum = 0.0, num = 0.0;
    for (int b = 0; b < B; b++) {
        double mx = -1e30, s = 0.0, sum_lp = 0.0;
        for (int k = 0; k < K; k++)
            mx = fmax(mx, lg[b * K + k]);
        for (int k = 0; k < K; k++)
            s += exp(lg[b * K + k] - mx);
        for (int k = 0; k < K; k++)
            sum_lp += lg[b * K + k] - mx - log(s);
        double lpy = lg[b * K + y[b]] - mx - log(s);
        lrow[b] = -(0.9 * lpy + 0.1 / K * sum_lp);
        num += cw[y[b]] * lrow[b];
        wsum += cw[y[b]];
    }
    g_assert_cmpfloat_with_epsilon(L, num / wsum, 1e-5);
    for (int b = 0; b < B; b++) {
        double s = 0.0;
        for (int k = 0; k < K; k++)
            s += pr[b * K + k];
        g_assert_cmpfloat_with_epsilon(s, 1.0, 1e-6);
    }
}

/* The mixed-label loss (CutMix/mixup): gradient by finite differences; value
 * lam w[y] l(y) + (1 - lam) w[y2] l(y2) over the weight sum; lam = 1 and a
 * row mixed with its own class are the plain loss. */
static void test_xent_mix(void)
{
    const int B = 4, K = 4;
    float lg[16], dl[16], dl0[16];
    const int *y = mix_y, *y2 = mix_y2;
    const float *lam = mix_lam, *cw = mix_cw;
    dg_rng r;
    dg_rng_seed(&r, 7);
    for (int i = 0; i < B * K; i++)
        lg[i] = 2.0f * dg_rng_normal(&r);
    float L = dg_softmax_xent_mix(lg, y, y2, lam, B, K, cw, 0.1f, dl, NULL);
    check_fd(xent_mix_of, &(loss_args){y, y2, lam, NULL, B, K, cw, 0.0f}, lg, dl, B * K);
    /* by hand: each row's two plain losses, weighted */
    double num = 0.0, den = 0.0;
    for (int b = 0; b < B; b++) {
        float la = dg_softmax_xent(lg + b * K, &y[b], 1, K, NULL, 0.1f, NULL, NULL);
        float lb = dg_softmax_xent(lg + b * K, &y2[b], 1, K, NULL, 0.1f, NULL, NULL);
        num += lam[b] * cw[y[b]] * la + (1.0 - lam[b]) * cw[y2[b]] * lb;
        den += lam[b] * cw[y[b]] + (1.0 - lam[b]) * cw[y2[b]];
    }
    g_assert_cmpfloat_with_epsilon(L, num / den, 1e-5);
    /* no mixing: exactly the plain loss and gradient */
    float one[4] = {1, 1, 1, 1};
    float L1 = dg_softmax_xent_mix(lg, y, y2, one, B, K, cw, 0.1f, dl, NULL);
    float L0 = dg_softmax_xent(lg, y, B, K, cw, 0.1f, dl0, NULL);
    g_assert_cmpfloat(L1, ==, L0);
    g_assert_cmpmem(dl, sizeof dl, dl0, sizeof dl0);
    L1 = dg_softmax_xent_mix(lg, y, y, lam, B, K, cw, 0.1f, dl, NULL);
    g_assert_cmpfloat_with_epsilon(L1, L0, 1e-6);
    for (int i = 0; i < B * K; i++)
        g_assert_cmpfloat_with_epsilon(dl[i], dl0[i], 1e-6);
}

/* The distillation loss: gradient by finite differences (class weights and
 * mixed rows, T = 2); zero with a zero gradient when the student's logits
 * are the teacher's; T^2 KL by hand for one row. */
static void test_distill_kl(void)
{
    const int B = 4, K = 4;
    float lg[16], tl[16], dl[16];
    const int *y = mix_y, *y2 = mix_y2;
    const float *lam = mix_lam, *cw = mix_cw;
    dg_rng r;
    dg_rng_seed(&r, 11);
    for (int i = 0; i < B * K; i++) {
        lg[i] = 2.0f * dg_rng_normal(&r);
        tl[i] = 2.0f * dg_rng_normal(&r);
    }
    float L = dg_distill_kl(lg, tl, y, y2, lam, B, K, cw, 2.0f, dl);
    g_assert_cmpfloat(L, >, 0.0f);
    check_fd(distill_of, &(loss_args){y, y2, lam, tl, B, K, cw, 2.0f}, lg, dl, B * K);
    g_assert_cmpfloat_with_epsilon(dg_distill_kl(tl, tl, y, y2, lam, B, K, cw, 2.0f, dl), 0.0,
                                   1e-6);
    for (int i = 0; i < B * K; i++)
        g_assert_cmpfloat_with_epsilon(dl[i], 0.0, 1e-6);
    double ps[4], pt[4], ss = 0, st = 0, kl = 0;
    for (int k = 0; k < K; k++) {
        ps[k] = exp(lg[k] / 3.0), pt[k] = exp(tl[k] / 3.0);
        ss += ps[k], st += pt[k];
    }
    for (int k = 0; k < K; k++)
        kl += pt[k] / st * log((pt[k] / st) / (ps[k] / ss));
    g_assert_cmpfloat_with_epsilon(dg_distill_kl(lg, tl, y, NULL, NULL, 1, K, cw, 3.0f, NULL),
                                   9.0 * kl, 1e-5);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/losses/values", test_losses);
    g_test_add_func("/losses/grad/xent-mix", test_xent_mix);
    g_test_add_func("/losses/grad/distill", test_distill_kl);
    return g_test_run();
}

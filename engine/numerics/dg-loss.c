#include "dg-loss.h"

#include <math.h>
#include <stddef.h>

/* log(1 + exp(x)) without overflow */
static inline double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

float dg_bce_logits(const float *logits, const float *target, float target_value, int n,
                    float *dlogits, float scale)
{
    double loss = 0.0;
    for (int i = 0; i < n; i++) {
        double x = logits[i], t = target ? target[i] : target_value;
        /* -[t log s(x) + (1-t) log(1-s(x))] = softplus(x) - t x */
        loss += softplus(x) - t * x;
        if (dlogits) {
            double s = x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
            dlogits[i] = (float)((s - t) * scale / n);
        }
    }
    return (float)(loss / n);
}

float dg_hinge_d(const float *logits, int n, int sign, float *dlogits, float scale)
{
    double loss = 0.0;
    for (int i = 0; i < n; i++) {
        double m = 1.0 - sign * (double)logits[i];
        loss += m > 0 ? m : 0.0;
        if (dlogits)
            dlogits[i] = m > 0 ? (float)(-sign * scale / n) : 0.0f;
    }
    return (float)(loss / n);
}

float dg_hinge_g(const float *logits, int n, float *dlogits, float scale)
{
    double loss = 0.0;
    for (int i = 0; i < n; i++) {
        loss -= logits[i];
        if (dlogits)
            dlogits[i] = (float)(-scale / n);
    }
    return (float)(loss / n);
}

void dg_softmax(const float *logits, int B, int K, float *probs)
{
    for (int b = 0; b < B; b++) {
        const float *x = logits + (long)b * K;
        float *p = probs + (long)b * K;
        float mx = x[0];
        for (int k = 1; k < K; k++)
            mx = x[k] > mx ? x[k] : mx;
        double s = 0.0;
        for (int k = 0; k < K; k++)
            s += exp((double)x[k] - mx);
        for (int k = 0; k < K; k++)
            p[k] = (float)(exp((double)x[k] - mx) / s);
    }
}

float dg_softmax_xent(const float *logits, const int *labels, int B, int K,
                      const float *class_weight, float smoothing, float *dlogits, float *probs)
{
    return dg_softmax_xent_mix(logits, labels, NULL, NULL, B, K, class_weight, smoothing, dlogits,
                               probs);
}

/* Log-softmax of row x / T into lp (K). */
static void log_softmax_t(const float *x, int K, double T, double *lp)
{
    double mx = x[0] / T;
    for (int k = 1; k < K; k++)
        mx = fmax(mx, x[k] / T);
    double s = 0.0;
    for (int k = 0; k < K; k++)
        s += exp(x[k] / T - mx);
    const double lse = mx + log(s);
    for (int k = 0; k < K; k++)
        lp[k] = x[k] / T - lse;
}

float dg_distill_kl(const float *logits, const float *teacher, const int *labels,
                    const int *labels2, const float *lam, int B, int K,
                    const float *class_weight, float T, float *dlogits)
{
#define CW(y) (class_weight ? (double)class_weight[y] : 1.0)
    double wsum = 0.0;
    for (int b = 0; b < B; b++) {
        const double a = labels2 && lam ? lam[b] : 1.0;
        wsum += a * CW(labels[b]) + (a < 1.0 ? (1.0 - a) * CW(labels2[b]) : 0.0);
    }
    if (wsum <= 0)
        wsum = 1.0;
    double loss = 0.0;
    double ls[64], lt[64];
    for (int b = 0; b < B; b++) {
        const double a = labels2 && lam ? lam[b] : 1.0;
        const double w = a * CW(labels[b]) + (a < 1.0 ? (1.0 - a) * CW(labels2[b]) : 0.0);
        log_softmax_t(logits + (long)b * K, K, T, ls);
        log_softmax_t(teacher + (long)b * K, K, T, lt);
        double kl = 0.0;
        for (int k = 0; k < K; k++) {
            const double q = exp(lt[k]);
            kl += q * (lt[k] - ls[k]);
            if (dlogits) /* d(T^2 KL)/dz = T (p - q) */
                dlogits[(long)b * K + k] = (float)(w * T * (exp(ls[k]) - q) / wsum);
        }
        loss += w * (double)T * T * kl;
    }
#undef CW
    return (float)(loss / wsum);
}

float dg_softmax_xent_mix(const float *logits, const int *labels, const int *labels2,
                          const float *lam, int B, int K, const float *class_weight,
                          float smoothing, float *dlogits, float *probs)
{
#define CW(y) (class_weight ? (double)class_weight[y] : 1.0)
    double loss = 0.0, wsum = 0.0;
    for (int b = 0; b < B; b++) {
        const double a = labels2 && lam ? lam[b] : 1.0;
        wsum += a * CW(labels[b]) + (a < 1.0 ? (1.0 - a) * CW(labels2[b]) : 0.0);
    }
    if (wsum <= 0)
        wsum = 1.0;
    for (int b = 0; b < B; b++) {
        const float *x = logits + (long)b * K;
        float mx = x[0];
        for (int k = 1; k < K; k++)
            mx = x[k] > mx ? x[k] : mx;
        double s = 0.0;
        for (int k = 0; k < K; k++)
            s += exp((double)x[k] - mx);
        double lse = mx + log(s);
        /* the row's loss: wa * xent(qa) + wb * xent(qb) = w * xent(q) with
         * w = wa + wb and q = (wa qa + wb qb) / w */
        const double a = labels2 && lam ? lam[b] : 1.0;
        const double wa = a * CW(labels[b]), wb = a < 1.0 ? (1.0 - a) * CW(labels2[b]) : 0.0;
        const double w = wa + wb;
        double l = 0.0;
        for (int k = 0; k < K; k++) {
            double qa = smoothing / K + (k == labels[b] ? 1.0 - smoothing : 0.0);
            double qb = wb > 0 ? smoothing / K + (k == labels2[b] ? 1.0 - smoothing : 0.0) : 0.0;
            double q = w > 0 ? (wa * qa + wb * qb) / w : qa;
            double lp = (double)x[k] - lse;
            l -= q * lp;
            double p = exp(lp);
            if (probs)
                probs[(long)b * K + k] = (float)p;
            if (dlogits)
                dlogits[(long)b * K + k] = (float)(w * (p - q) / wsum);
        }
        loss += w * l;
    }
#undef CW
    return (float)(loss / wsum);
}

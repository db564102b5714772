/* dg-loss.h: losses.  Each returns the mean loss over the batch and, when
 * dlogits is not NULL, writes d(loss * scale)/d(logits) into it (=). */
#pragma once

/* Binary cross-entropy on logits: -[t log s(x) + (1-t) log(1 - s(x))], mean
 * over n.  target: per-sample targets, or NULL to use target_value for all. */
float dg_bce_logits(const float *logits, const float *target, float target_value, int n,
                    float *dlogits, float scale);

/* Hinge loss for a GAN discriminator on one side:
 *   real (sign = +1): mean(relu(1 - x));  fake (sign = -1): mean(relu(1 + x)). */
float dg_hinge_d(const float *logits, int n, int sign, float *dlogits, float scale);
/* Generator's hinge loss: -mean(x). */
float dg_hinge_g(const float *logits, int n, float *dlogits, float scale);

/* Softmax cross-entropy over K classes with optional class weights
 * (class_weight NULL: all 1) and label smoothing eps (targets
 * (1 - eps) onehot + eps / K).  Weighted mean as in PyTorch:
 * sum_b w[y_b] l_b / sum_b w[y_b].  probs (optional) receives the softmax. */
float dg_softmax_xent(const float *logits, const int *labels, int B, int K,
                      const float *class_weight, float smoothing, float *dlogits, float *probs);
/* The same for mixed images (CutMix, Yun et al. 2019; mixup, Zhang et al.
 * 2018): row b is lam[b] of class labels[b] and 1 - lam[b] of labels2[b];
 * its loss is lam w[y] l(y) + (1 - lam) w[y2] l(y2), normalized by the sum
 * of those weights.  labels2 or lam NULL: dg_softmax_xent. */
float dg_softmax_xent_mix(const float *logits, const int *labels, const int *labels2,
                          const float *lam, int B, int K, const float *class_weight,
                          float smoothing, float *dlogits, float *probs);

/* Knowledge distillation (Hinton et al. 2015): the weighted mean over rows of
 * T^2 KL(softmax(teacher_b / T) || softmax(logits_b / T)), the rows weighted
 * as dg_softmax_xent_mix weights them (class weights, mixed rows), so that
 * alpha * this + (1 - alpha) * that keeps the balance of the classes.  The
 * T^2 keeps the gradient's scale independent of T.  dlogits (optional) is
 * written (=).  K at most 64 (the classifiers' limit). */
float dg_distill_kl(const float *logits, const float *teacher, const int *labels,
                    const int *labels2, const float *lam, int B, int K,
                    const float *class_weight, float T, float *dlogits);

/* Row-wise softmax (numerically stable). */
void dg_softmax(const float *logits, int B, int K, float *probs);

/* dg-specnorm.h: spectral normalization of a weight matrix (Miyato et al.,
 * "Spectral Normalization for Generative Adversarial Networks", ICLR 2018).
 *
 * A weight tensor is viewed as a matrix W [rows, cols] (rows = its first
 * dimension: output channels of a convolution, outputs of a dense layer).
 * The layer uses W_sn = W / sigma, with sigma = u^T W v the largest singular
 * value estimated from a persistent vector u by power iteration:
 *   v = W^T u / |W^T u|,   sigma = |W^T u|   (= u^T W v).
 * u is a buffer of the net (saved with the model) and advances one power
 * iteration per optimizer step (u <- W v / |W v|), as in the paper.
 *
 * With u held fixed, sigma(W) = |W^T u| has d sigma / dW = u v^T, so the
 * gradient of the loss with respect to W is
 *   dW = (dW_sn - <dW_sn, W_sn> u v^T) / sigma,
 * which is what dg_sn_backward adds. */
#pragma once

/* v [cols] and sigma from W and u; writes W_sn = W / sigma into wsn [rows*cols].
 * Returns sigma. */
float dg_sn_forward(float *wsn, float *v, const float *w, const float *u, int rows, int cols);
/* dW += (dW_sn - <dW_sn, W_sn> u v^T) / sigma. */
void dg_sn_backward(float *dw, const float *dwsn, const float *wsn, const float *u,
                    const float *v, float sigma, int rows, int cols);
/* One power iteration: v = W^T u / |W^T u|, u = W v / |W v| (u updated in place;
 * v is scratch [cols]). */
void dg_sn_power_iteration(float *u, float *v, const float *w, int rows, int cols);

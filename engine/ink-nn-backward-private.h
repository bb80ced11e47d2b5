/* ink-nn-backward-private.h: the backward pass of every layer kind
 *
 * Reverse-mode derivatives for one example. The forward values come from a
 * workspace filled by ink_nn_forward (every blob is kept there, at
 * nn->blobs[i].offset), so nothing is recomputed that the forward pass
 * already has.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "ink-nn-private.h"

/* Floats of scratch space ink_nn_layer_backward needs for l (after
 * ink_model_finish planned the network). */
size_t ink_nn_layer_backward_scratch (const InkNetwork *nn, const InkLayer *l);

/* Given d_out, the derivative of the loss with respect to l's output blob,
 * ADDS the derivative with respect to each input blob into d_in[i] (a
 * blob-shaped array; d_in[i] NULL when that input's derivative is not
 * needed, e.g. a network input) and ADDS the derivative with respect to
 * each weight slot into d_w[slot] (NULL when the slot is not trained or
 * the layer has none). ws is the example's forward workspace; scratch is
 * ink_nn_layer_backward_scratch floats. Accumulating lets a blob read by
 * several layers sum its derivatives, and a mini-batch sum its examples'
 * weight derivatives. d_in or d_w may itself be NULL when none of its
 * entries is needed.
 *
 * Max pooling passes each output's derivative to the element the forward
 * pass picked: the first maximum of its window in scan order. Slots a layer
 * does not have, and a batchnorm's mean and variance, are never written. */
void ink_nn_layer_backward (const InkNetwork *nn, const InkLayer *l, const float *ws,
                            const float *d_out, float *const *d_in, float *const d_w[INK_W_SLOTS],
                            float *scratch);

/* Kernels (ink-nn-backward-kernels.c): the convolutions' derivatives, for
 * the geometry and weight layouts of ink_kernel_convolution and
 * ink_kernel_deconvolution. Each output array may be NULL (not needed);
 * the others are ADDED into. */
size_t ink_kernel_convolution_backward_scratch (const InkWindow *g);
void ink_kernel_convolution_backward (const InkWindow *g, const float *in, const float *weights,
                                      const float *d_out, float *d_in, float *d_weights,
                                      float *d_bias, float *scratch);
size_t ink_kernel_deconvolution_backward_scratch (const InkWindow *g);
void ink_kernel_deconvolution_backward (const InkWindow *g, const float *in, const float *weights,
                                        const float *d_out, float *d_in, float *d_weights,
                                        float *d_bias, float *scratch);

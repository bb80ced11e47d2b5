/* ink-nn-backward.c: the backward pass of every layer kind
 *
 * Each layer's derivatives follow its forward kernel exactly (same window
 * geometry, weight layouts and broadcasting). Results are added into the
 * caller's arrays; nothing is allocated.
 *
 * SPDX-License-Identifier: MIT
 */
#include <float.h>
#include <math.h>

#include "ink-nn-backward-private.h"

size_t
ink_nn_layer_backward_scratch (const InkNetwork *nn, const InkLayer *l)
{
  (void) nn;
  switch (l->kind) {
  case INK_LAYER_CONVOLUTION: return ink_kernel_convolution_backward_scratch (&l->win);
  case INK_LAYER_DECONVOLUTION: return ink_kernel_deconvolution_backward_scratch (&l->win);
  default: return 0;
  }
}

static void
add_into (float *restrict dst, const float *restrict src, size_t n)
{
  for (size_t i = 0; i < n; i++)
    dst[i] += src[i];
}

static void
inner_product_backward (const float *in, size_t n_in, const float *weights, const float *d_out,
                        size_t n_out, float *d_in, float *d_weights, float *d_bias)
{
  if (d_bias != NULL)
    add_into (d_bias, d_out, n_out);
  if (d_weights != NULL)
    ink_kernel_dense_weight_grad (1, n_out, n_in, d_out, in, d_weights);
  for (size_t o = 0; d_in != NULL && o < n_out; o++) {
    const float *restrict row = weights + o * n_in;
    const float g = d_out[o];
    for (size_t i = 0; i < n_in; i++)
      d_in[i] += g * row[i];
  }
}

/* The derivative goes to the element the forward pass picked: the first
 * maximum in scan order (rows, then columns), as ties do not replace it.
 * A window with no element above -FLT_MAX (all -inf or NaN), or entirely in
 * the padding, produced a constant and passes nothing back. */
static void
pool_max_backward (const InkWindow *g, const float *in, const float *d_out, float *d_in)
{
  for (size_t c = 0; c < g->in_c; c++) {
    const float *plane = in + c * g->in_h * g->in_w;
    const float *src = d_out + c * g->out_h * g->out_w;
    float *dst = d_in + c * g->in_h * g->in_w;
    for (size_t oy = 0; oy < g->out_h; oy++) {
      InkPoolSpan ys = ink_pool_rows (g, oy);
      for (size_t ox = 0; ox < g->out_w; ox++) {
        InkPoolSpan xs = ink_pool_cols (g, ox);
        ptrdiff_t best = -1;
        float m = -FLT_MAX;
        for (ptrdiff_t y = ys.lo; y < ys.hi; y++) {
          for (ptrdiff_t x = xs.lo; x < xs.hi; x++) {
            ptrdiff_t i = y * (ptrdiff_t) g->in_w + x;
            if (plane[i] > m) {
              m = plane[i];
              best = i;
            }
          }
        }
        if (best >= 0)
          dst[best] += src[oy * g->out_w + ox];
      }
    }
  }
}

/* Each output spreads its derivative evenly over the input pixels its
 * window summed, divided by the same count as the forward pass. */
static void
pool_average_backward (const InkWindow *g, bool exclude_padding, const float *d_out, float *d_in)
{
  for (size_t c = 0; c < g->in_c; c++) {
    const float *src = d_out + c * g->out_h * g->out_w;
    float *dst = d_in + c * g->in_h * g->in_w;
    for (size_t oy = 0; oy < g->out_h; oy++) {
      InkPoolSpan ys = ink_pool_rows (g, oy);
      for (size_t ox = 0; ox < g->out_w; ox++) {
        InkPoolSpan xs = ink_pool_cols (g, ox);
        ptrdiff_t count = ink_pool_count (ys, xs, exclude_padding);
        float share;
        if (count <= 0)
          continue;
        share = src[oy * g->out_w + ox] / (float) count;
        for (ptrdiff_t y = ys.lo; y < ys.hi; y++) {
          float *line = dst + y * (ptrdiff_t) g->in_w;
          for (ptrdiff_t x = xs.lo; x < xs.hi; x++)
            line[x] += share;
        }
      }
    }
  }
}

/* x is the activation's input, y its output. */
static void
activation_backward (const InkActivationParams *a, const float *restrict x, const float *restrict y,
                     const float *restrict dy, float *restrict dx, size_t n)
{
  const float alpha = a->alpha;

  switch (a->type) {
  case INK_ACT_RELU:
    for (size_t i = 0; i < n; i++)
      dx[i] += x[i] > 0.0f ? dy[i] : 0.0f;
    break;
  case INK_ACT_LEAKY_RELU:
    for (size_t i = 0; i < n; i++)
      dx[i] += x[i] >= 0.0f ? dy[i] : alpha * dy[i];
    break;
  case INK_ACT_SIGMOID:
    for (size_t i = 0; i < n; i++)
      dx[i] += dy[i] * y[i] * (1.0f - y[i]);
    break;
  case INK_ACT_TANH:
    for (size_t i = 0; i < n; i++)
      dx[i] += dy[i] * (1.0f - y[i] * y[i]);
    break;
  case INK_ACT_LINEAR:
    for (size_t i = 0; i < n; i++)
      dx[i] += alpha * dy[i];
    break;
  }
}

/* Per pixel: dx_c += y_c * (dy_c - sum_k y_k dy_k). */
static void
softmax_backward (InkShape s, const float *y, const float *dy, float *dx)
{
  size_t plane = s.h * s.w;

  for (size_t p = 0; p < plane; p++) {
    float dot = 0.0f;
    for (size_t c = 0; c < s.c; c++)
      dot += y[c * plane + p] * dy[c * plane + p];
    for (size_t c = 0; c < s.c; c++)
      dx[c * plane + p] += y[c * plane + p] * (dy[c * plane + p] - dot);
  }
}

static void
flatten_channel_last_backward (InkShape s, const float *dy, float *dx)
{
  size_t plane = s.h * s.w;

  for (size_t c = 0; c < s.c; c++) {
    for (size_t p = 0; p < plane; p++)
      dx[c * plane + p] += dy[p * s.c + c];
  }
}

static void
reshape_channel_last_backward (InkShape from, InkShape to, const float *dy, float *dx)
{
  size_t from_plane = from.h * from.w, to_plane = to.h * to.w;

  for (size_t c = 0; c < to.c; c++) {
    for (size_t p = 0; p < to_plane; p++) {
      size_t i = p * to.c + c;
      dx[(i % from.c) * from_plane + i / from.c] += dy[c * to_plane + p];
    }
  }
}

/* Fixed statistics: y = gamma * xhat + beta with xhat = (x - mean) / sigma.
 * Computed ones (instance normalization) also depend on x through the
 * plane's mean and (biased) variance, which gives
 *   dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)).
 * The mean and variance slots are constants here: never trained. */
static void
batchnorm_backward (InkShape s, const InkLayer *l, const float *in, const float *d_out, float *d_in,
                    float *d_gamma, float *d_beta)
{
  const InkBatchnormParams *b = &l->p.batchnorm;
  const float *gamma = l->w[INK_W_GAMMA].data;
  size_t plane = s.h * s.w;

  for (size_t c = 0; c < s.c; c++) {
    const float *x = in + c * plane, *dy = d_out + c * plane;
    double mu, var, inv, sum_dy = 0.0, sum_dy_xhat = 0.0;
    if (b->compute_mean_var) {
      double sum = 0.0, sq = 0.0;
      for (size_t p = 0; p < plane; p++)
        sum += x[p];
      mu = sum / (double) plane;
      for (size_t p = 0; p < plane; p++)
        sq += ((double) x[p] - mu) * ((double) x[p] - mu);
      var = sq / (double) plane;
    } else {
      mu = l->w[INK_W_MEAN].data[c];
      var = l->w[INK_W_VARIANCE].data[c];
    }
    inv = 1.0 / sqrt (var + (double) b->epsilon);
    for (size_t p = 0; p < plane; p++) {
      sum_dy += dy[p];
      sum_dy_xhat += dy[p] * ((double) x[p] - mu);
    }
    sum_dy_xhat *= inv;
    if (d_gamma != NULL)
      d_gamma[c] += (float) sum_dy_xhat;
    if (d_beta != NULL)
      d_beta[c] += (float) sum_dy;
    if (d_in == NULL)
      continue;
    if (b->compute_mean_var) {
      const float k = (float) (gamma[c] * inv);
      const float mean_dy = (float) (sum_dy / (double) plane);
      const float mean_dy_xhat = (float) (sum_dy_xhat / (double) plane);
      const float fmu = (float) mu, finv = (float) inv;
      float *dx = d_in + c * plane;
      for (size_t p = 0; p < plane; p++)
        dx[p] += k * (dy[p] - mean_dy - (x[p] - fmu) * finv * mean_dy_xhat);
    } else {
      /* The forward pass's own scale, rounded to float as it was. */
      const float scale = (float) (gamma[c] / sqrt (var + (double) b->epsilon));
      float *dx = d_in + c * plane;
      for (size_t p = 0; p < plane; p++)
        dx[p] += scale * dy[p];
    }
  }
}

/* The derivative of a broadcast input sums d_out over the axes it was
 * repeated along. */
static void
add_broadcast_backward (InkShape o, InkShape s, const float *dy, float *dx)
{
  if (s.c == o.c && s.h == o.h && s.w == o.w) {
    add_into (dx, dy, ink_shape_count (o));
    return;
  }
  for (size_t c = 0; c < o.c; c++) {
    for (size_t y = 0; y < o.h; y++) {
      for (size_t x = 0; x < o.w; x++) {
        size_t si = ((s.c == 1 ? 0 : c) * s.h + (s.h == 1 ? 0 : y)) * s.w + (s.w == 1 ? 0 : x);
        dx[si] += dy[(c * o.h + y) * o.w + x];
      }
    }
  }
}

static void
transpose_backward (InkShape s, const size_t axes[3], const float *dy, float *dx)
{
  InkTransposeWalk t = ink_transpose_walk (s, axes);
  size_t d0 = t.n[0], d1 = t.n[1], d2 = t.n[2];
  size_t s0 = t.stride[0], s1 = t.stride[1], s2 = t.stride[2];

  for (size_t i = 0; i < d0; i++) {
    for (size_t j = 0; j < d1; j++) {
      float *dst = dx + i * s0 + j * s1;
      const float *src = dy + (i * d1 + j) * d2;
      for (size_t k = 0; k < d2; k++)
        dst[k * s2] += src[k];
    }
  }
}

void
ink_nn_layer_backward (const InkNetwork *nn, const InkLayer *l, const float *ws, const float *d_out,
                       float *const *d_in, float *const d_w[INK_W_SLOTS], float *scratch)
{
  const InkBlob *ib = &nn->blobs[l->in_blobs[0]];
  const InkBlob *ob = &nn->blobs[l->out_blob];
  const float *in = ws + ib->offset;
  const float *out = ws + ob->offset;
  size_t n = ink_shape_count (ob->shape);
  float *din = d_in != NULL ? d_in[0] : NULL;
  float *dw[INK_W_SLOTS] = {NULL};

  /* Only the slots the layer has; never the batchnorm statistics. */
  for (int s = 0; d_w != NULL && s < INK_W_SLOTS; s++) {
    bool stats = l->kind == INK_LAYER_BATCHNORM && (s == INK_W_MEAN || s == INK_W_VARIANCE);
    dw[s] = l->w[s].data != NULL && !stats ? d_w[s] : NULL;
  }
  switch (l->kind) {
  case INK_LAYER_CONVOLUTION:
    ink_kernel_convolution_backward (&l->win, in, l->w[INK_W_WEIGHTS].data, d_out, din,
                                     dw[INK_W_WEIGHTS], dw[INK_W_BIAS], scratch);
    break;
  case INK_LAYER_DECONVOLUTION:
    ink_kernel_deconvolution_backward (&l->win, in, l->w[INK_W_WEIGHTS].data, d_out, din,
                                       dw[INK_W_WEIGHTS], dw[INK_W_BIAS], scratch);
    break;
  case INK_LAYER_INNER_PRODUCT:
    inner_product_backward (in, ink_shape_count (ib->shape), l->w[INK_W_WEIGHTS].data, d_out, n,
                            din, dw[INK_W_WEIGHTS], dw[INK_W_BIAS]);
    break;
  case INK_LAYER_BATCHNORM:
    batchnorm_backward (ib->shape, l, in, d_out, din, dw[INK_W_GAMMA], dw[INK_W_BETA]);
    break;
  case INK_LAYER_ADD:
    if (l->n_inputs == 1) {
      if (din != NULL)
        add_into (din, d_out, n);
      break;
    }
    for (size_t k = 0; d_in != NULL && k < l->n_inputs; k++) {
      if (d_in[k] != NULL)
        add_broadcast_backward (ob->shape, nn->blobs[l->in_blobs[k]].shape, d_out, d_in[k]);
    }
    break;
  case INK_LAYER_CONCAT: {
    size_t at = 0;
    for (size_t k = 0; d_in != NULL && k < l->n_inputs; k++) {
      size_t count = ink_shape_count (nn->blobs[l->in_blobs[k]].shape);
      if (d_in[k] != NULL)
        add_into (d_in[k], d_out + at, count);
      at += count;
    }
    break;
  }
  default:
    /* The rest have one input and no weights. */
    if (din == NULL)
      break;
    switch (l->kind) {
    case INK_LAYER_POOLING:
      if (l->p.pooling.type == INK_POOL_MAX)
        pool_max_backward (&l->win, in, d_out, din);
      else
        pool_average_backward (&l->win, l->p.pooling.exclude_padding, d_out, din);
      break;
    case INK_LAYER_ACTIVATION:
      activation_backward (&l->p.activation, in, out, d_out, din, n);
      break;
    case INK_LAYER_SOFTMAX: softmax_backward (ob->shape, out, d_out, din); break;
    case INK_LAYER_FLATTEN:
      if (l->p.flatten.order == INK_ORDER_CHANNEL_LAST)
        flatten_channel_last_backward (ib->shape, d_out, din);
      else
        add_into (din, d_out, n);
      break;
    case INK_LAYER_RESHAPE:
      if (l->p.reshape.order == INK_ORDER_CHANNEL_LAST)
        reshape_channel_last_backward (ib->shape, ob->shape, d_out, din);
      else
        add_into (din, d_out, n);
      break;
    case INK_LAYER_TRANSPOSE:
      transpose_backward (ib->shape, l->p.transpose.axes, d_out, din);
      break;
    case INK_LAYER_RESHAPE_STATIC: add_into (din, d_out, n); break;
    default: break;
    }
    break;
  }
}

/* ink-nn-kernels.c: the neural network's compute kernels (forward pass)
 *
 * Plain loops written so the compiler vectorizes their inner dimension:
 * contiguous float rows, no allocation, no branching inside the hot loops.
 *
 * SPDX-License-Identifier: MIT
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ink-nn-private.h"

size_t
ink_kernel_convolution_scratch (const InkWindow *g)
{
  size_t kc = g->in_c / g->groups;

  return kc * g->k_h * g->k_w * g->out_h * g->out_w;
}

/* Unfolds one group's input into rows [kc * kh * kw][out_h * out_w], with
 * zeros where the window leaves the input. */
static void
im2col (const InkWindow *g, const float *in, size_t kc, float *col)
{
  size_t n_out = g->out_h * g->out_w;

  for (size_t c = 0; c < kc; c++) {
    const float *plane = in + c * g->in_h * g->in_w;
    for (size_t ky = 0; ky < g->k_h; ky++) {
      for (size_t kx = 0; kx < g->k_w; kx++) {
        float *row = col + ((c * g->k_h + ky) * g->k_w + kx) * n_out;
        for (size_t oy = 0; oy < g->out_h; oy++) {
          ptrdiff_t iy = (ptrdiff_t) (oy * g->stride_h + ky * g->dil_h) - (ptrdiff_t) g->pad_top;
          float *dst = row + oy * g->out_w;
          if (iy < 0 || iy >= (ptrdiff_t) g->in_h) {
            memset (dst, 0, g->out_w * sizeof *dst);
            continue;
          }
          for (size_t ox = 0; ox < g->out_w; ox++) {
            ptrdiff_t ix =
              (ptrdiff_t) (ox * g->stride_w + kx * g->dil_w) - (ptrdiff_t) g->pad_left;
            dst[ox] = ix >= 0 && ix < (ptrdiff_t) g->in_w ? plane[iy * (ptrdiff_t) g->in_w + ix]
                                                          : 0.0f;
          }
        }
      }
    }
  }
}

void
ink_kernel_convolution (const InkWindow *g, const float *in, const float *weights,
                        const float *bias, float *out, float *scratch)
{
  size_t kc = g->in_c / g->groups;
  size_t oc_per_group = g->out_c / g->groups;
  size_t k = kc * g->k_h * g->k_w;
  size_t n_out = g->out_h * g->out_w;
  bool direct = g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 &&
                g->pad_top == 0 && g->pad_left == 0 && g->in_h == g->out_h &&
                g->in_w == g->out_w;

  for (size_t grp = 0; grp < g->groups; grp++) {
    const float *gin = in + grp * kc * g->in_h * g->in_w;
    const float *col = gin;
    if (!direct) {
      im2col (g, gin, kc, scratch);
      col = scratch;
    }
    for (size_t o = 0; o < oc_per_group; o++) {
      size_t oc = grp * oc_per_group + o;
      const float *wrow = weights + oc * k;
      float *dst = out + oc * n_out;
      float b = bias != NULL ? bias[oc] : 0.0f;
      for (size_t p = 0; p < n_out; p++)
        dst[p] = b;
      for (size_t j = 0; j < k; j++) {
        const float wj = wrow[j];
        const float *src = col + j * n_out;
        for (size_t p = 0; p < n_out; p++)
          dst[p] += wj * src[p];
      }
    }
  }
}

void
ink_kernel_deconvolution (const InkWindow *g, const float *in, const float *weights,
                          const float *bias, float *out, float *scratch)
{
  size_t ic_per_group = g->in_c / g->groups;
  size_t oc_per_group = g->out_c / g->groups;
  size_t k = g->k_h * g->k_w;
  size_t n_in = g->in_h * g->in_w, n_out = g->out_h * g->out_w;

  for (size_t oc = 0; oc < g->out_c; oc++) {
    float b = bias != NULL ? bias[oc] : 0.0f;
    for (size_t p = 0; p < n_out; p++)
      out[oc * n_out + p] = b;
  }
  /* For each output channel and kernel tap, the weighted sum of the
   * group's input planes is formed once (a contiguous, vectorizable loop),
   * then scattered to the output pixels that tap reaches. */
  for (size_t grp = 0; grp < g->groups; grp++) {
    for (size_t o = 0; o < oc_per_group; o++) {
      float *dst = out + (grp * oc_per_group + o) * n_out;
      for (size_t ky = 0; ky < g->k_h; ky++) {
        for (size_t kx = 0; kx < g->k_w; kx++) {
          memset (scratch, 0, n_in * sizeof *scratch);
          for (size_t i = 0; i < ic_per_group; i++) {
            size_t ic = grp * ic_per_group + i;
            const float w = weights[(ic * oc_per_group + o) * k + ky * g->k_w + kx];
            const float *src = in + ic * n_in;
            for (size_t p = 0; p < n_in; p++)
              scratch[p] += w * src[p];
          }
          for (size_t iy = 0; iy < g->in_h; iy++) {
            ptrdiff_t oy = (ptrdiff_t) (iy * g->stride_h + ky) - (ptrdiff_t) g->pad_top;
            if (oy < 0 || oy >= (ptrdiff_t) g->out_h)
              continue;
            for (size_t ix = 0; ix < g->in_w; ix++) {
              ptrdiff_t ox = (ptrdiff_t) (ix * g->stride_w + kx) - (ptrdiff_t) g->pad_left;
              if (ox >= 0 && ox < (ptrdiff_t) g->out_w)
                dst[oy * (ptrdiff_t) g->out_w + ox] += scratch[iy * g->in_w + ix];
            }
          }
        }
      }
    }
  }
}

void
ink_kernel_transpose (InkShape s, const size_t axes[3], const float *in, float *out)
{
  size_t dims[3] = { s.c, s.h, s.w };
  size_t strides[3] = { s.h * s.w, s.w, 1 };
  size_t d0 = dims[axes[0]], d1 = dims[axes[1]], d2 = dims[axes[2]];
  size_t s0 = strides[axes[0]], s1 = strides[axes[1]], s2 = strides[axes[2]];

  for (size_t i = 0; i < d0; i++) {
    for (size_t j = 0; j < d1; j++) {
      const float *src = in + i * s0 + j * s1;
      float *dst = out + (i * d1 + j) * d2;
      for (size_t k = 0; k < d2; k++)
        dst[k] = src[k * s2];
    }
  }
}

void
ink_kernel_inner_product (const float *in, size_t n_in, const float *weights, const float *bias,
                          float *out, size_t n_out)
{
  for (size_t o = 0; o < n_out; o++) {
    const float *wrow = weights + o * n_in;
    /* Four partial sums let the compiler keep several vector lanes busy. */
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    size_t i = 0;
    for (; i + 4 <= n_in; i += 4) {
      s0 += wrow[i] * in[i];
      s1 += wrow[i + 1] * in[i + 1];
      s2 += wrow[i + 2] * in[i + 2];
      s3 += wrow[i + 3] * in[i + 3];
    }
    for (; i < n_in; i++)
      s0 += wrow[i] * in[i];
    out[o] = (s0 + s1) + (s2 + s3) + (bias != NULL ? bias[o] : 0.0f);
  }
}

void
ink_kernel_pool_max (const InkWindow *g, const float *in, float *out)
{
  for (size_t c = 0; c < g->in_c; c++) {
    const float *plane = in + c * g->in_h * g->in_w;
    float *dst = out + c * g->out_h * g->out_w;
    for (size_t oy = 0; oy < g->out_h; oy++) {
      ptrdiff_t y0 = (ptrdiff_t) (oy * g->stride_h) - (ptrdiff_t) g->pad_top;
      ptrdiff_t y1 = y0 + (ptrdiff_t) g->k_h;
      if (y0 < 0)
        y0 = 0;
      if (y1 > (ptrdiff_t) g->in_h)
        y1 = (ptrdiff_t) g->in_h;
      for (size_t ox = 0; ox < g->out_w; ox++) {
        ptrdiff_t x0 = (ptrdiff_t) (ox * g->stride_w) - (ptrdiff_t) g->pad_left;
        ptrdiff_t x1 = x0 + (ptrdiff_t) g->k_w;
        float m = -FLT_MAX;
        if (x0 < 0)
          x0 = 0;
        if (x1 > (ptrdiff_t) g->in_w)
          x1 = (ptrdiff_t) g->in_w;
        for (ptrdiff_t y = y0; y < y1; y++) {
          for (ptrdiff_t x = x0; x < x1; x++) {
            float v = plane[y * (ptrdiff_t) g->in_w + x];
            m = v > m ? v : m;
          }
        }
        /* A window entirely in the padding sees only zeros. */
        dst[oy * g->out_w + ox] = y0 < y1 && x0 < x1 ? m : 0.0f;
      }
    }
  }
}

void
ink_kernel_pool_average (const InkWindow *g, const float *in, float *out, bool exclude_padding)
{
  ptrdiff_t limit_h = (ptrdiff_t) (g->in_h + g->pad_bottom);
  ptrdiff_t limit_w = (ptrdiff_t) (g->in_w + g->pad_right);

  for (size_t c = 0; c < g->in_c; c++) {
    const float *plane = in + c * g->in_h * g->in_w;
    float *dst = out + c * g->out_h * g->out_w;
    for (size_t oy = 0; oy < g->out_h; oy++) {
      ptrdiff_t wy0 = (ptrdiff_t) (oy * g->stride_h) - (ptrdiff_t) g->pad_top;
      ptrdiff_t wy1 = wy0 + (ptrdiff_t) g->k_h;
      ptrdiff_t y0 = wy0 < 0 ? 0 : wy0;
      ptrdiff_t y1 = wy1 > (ptrdiff_t) g->in_h ? (ptrdiff_t) g->in_h : wy1;
      /* The padded window: clipped to the padded input (Caffe's rule). */
      ptrdiff_t py1 = wy1 > limit_h ? limit_h : wy1;
      for (size_t ox = 0; ox < g->out_w; ox++) {
        ptrdiff_t wx0 = (ptrdiff_t) (ox * g->stride_w) - (ptrdiff_t) g->pad_left;
        ptrdiff_t wx1 = wx0 + (ptrdiff_t) g->k_w;
        ptrdiff_t x0 = wx0 < 0 ? 0 : wx0;
        ptrdiff_t x1 = wx1 > (ptrdiff_t) g->in_w ? (ptrdiff_t) g->in_w : wx1;
        ptrdiff_t px1 = wx1 > limit_w ? limit_w : wx1;
        float sum = 0.0f;
        ptrdiff_t count;
        for (ptrdiff_t y = y0; y < y1; y++) {
          for (ptrdiff_t x = x0; x < x1; x++)
            sum += plane[y * (ptrdiff_t) g->in_w + x];
        }
        if (exclude_padding)
          count = (y1 - y0) * (x1 - x0);
        else
          count = (py1 - wy0) * (px1 - wx0);
        dst[oy * g->out_w + ox] = count > 0 ? sum / (float) count : 0.0f;
      }
    }
  }
}

void
ink_kernel_activation (const InkActivationParams *a, const float *in, float *out, size_t n)
{
  const float alpha = a->alpha, beta = a->beta;

  switch (a->type) {
  case INK_ACT_RELU:
    for (size_t i = 0; i < n; i++)
      out[i] = in[i] > 0.0f ? in[i] : 0.0f;
    break;
  case INK_ACT_LEAKY_RELU:
    for (size_t i = 0; i < n; i++)
      out[i] = in[i] >= 0.0f ? in[i] : alpha * in[i];
    break;
  case INK_ACT_SIGMOID:
    for (size_t i = 0; i < n; i++)
      out[i] = 1.0f / (1.0f + expf (-in[i]));
    break;
  case INK_ACT_TANH:
    for (size_t i = 0; i < n; i++)
      out[i] = tanhf (in[i]);
    break;
  case INK_ACT_LINEAR:
    for (size_t i = 0; i < n; i++)
      out[i] = alpha * in[i] + beta;
    break;
  }
}

void
ink_kernel_softmax_channels (InkShape s, const float *in, float *out)
{
  size_t plane = s.h * s.w;

  for (size_t p = 0; p < plane; p++) {
    float m = -FLT_MAX, sum = 0.0f;
    for (size_t c = 0; c < s.c; c++)
      m = in[c * plane + p] > m ? in[c * plane + p] : m;
    for (size_t c = 0; c < s.c; c++) {
      float e = expf (in[c * plane + p] - m);
      out[c * plane + p] = e;
      sum += e;
    }
    for (size_t c = 0; c < s.c; c++)
      out[c * plane + p] /= sum;
  }
}

void
ink_kernel_flatten_channel_last (InkShape s, const float *in, float *out)
{
  size_t plane = s.h * s.w;

  for (size_t c = 0; c < s.c; c++) {
    for (size_t p = 0; p < plane; p++)
      out[p * s.c + c] = in[c * plane + p];
  }
}

void
ink_kernel_reshape_channel_last (InkShape from, InkShape to, const float *in, float *out)
{
  size_t from_plane = from.h * from.w, to_plane = to.h * to.w;

  /* Element i of the H, W, C ordering of the input becomes element i of
   * the H, W, C ordering of the output. */
  for (size_t c = 0; c < to.c; c++) {
    for (size_t p = 0; p < to_plane; p++) {
      size_t i = p * to.c + c;
      size_t src_c = i % from.c, src_p = i / from.c;
      out[c * to_plane + p] = in[src_c * from_plane + src_p];
    }
  }
}

void
ink_kernel_batchnorm (InkShape s, const float *in, const float *gamma, const float *beta,
                      const float *mean, const float *variance, float epsilon,
                      bool compute_mean_var, float *out)
{
  size_t plane = s.h * s.w;

  for (size_t c = 0; c < s.c; c++) {
    const float *src = in + c * plane;
    float *dst = out + c * plane;
    double mu = mean != NULL ? mean[c] : 0.0, var = variance != NULL ? variance[c] : 1.0;
    float scale, shift;
    if (compute_mean_var) {
      double sum = 0.0, sq = 0.0;
      for (size_t p = 0; p < plane; p++)
        sum += src[p];
      mu = sum / (double) plane;
      for (size_t p = 0; p < plane; p++)
        sq += ((double) src[p] - mu) * ((double) src[p] - mu);
      var = sq / (double) plane;
    }
    scale = (float) (gamma[c] / sqrt (var + (double) epsilon));
    shift = beta[c] - (float) mu * scale;
    for (size_t p = 0; p < plane; p++)
      dst[p] = src[p] * scale + shift;
  }
}

void
ink_kernel_add (InkShape o, const float *const *ins, const InkShape *shapes, size_t n,
                float *out)
{
  memset (out, 0, ink_shape_count (o) * sizeof *out);
  for (size_t k = 0; k < n; k++) {
    InkShape s = shapes[k];
    const float *src = ins[k];
    if (s.c == o.c && s.h == o.h && s.w == o.w) {
      for (size_t i = 0; i < ink_shape_count (o); i++)
        out[i] += src[i];
      continue;
    }
    for (size_t c = 0; c < o.c; c++) {
      for (size_t y = 0; y < o.h; y++) {
        for (size_t x = 0; x < o.w; x++) {
          size_t si = ((s.c == 1 ? 0 : c) * s.h + (s.h == 1 ? 0 : y)) * s.w + (s.w == 1 ? 0 : x);
          out[(c * o.h + y) * o.w + x] += src[si];
        }
      }
    }
  }
}

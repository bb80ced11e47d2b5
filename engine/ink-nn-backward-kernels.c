/* ink-nn-backward-kernels.c: derivatives of convolution and deconvolution
 *
 * Both run as matrix products over unfolded (im2col) windows, like the
 * forward kernels: for one group of a convolution, out = W * col with W
 * [oc][j] and col [j][p] (j = channel, ky, kx; p = output pixel), so
 *
 *   d_W   += d_out * col^T    (col^T built directly, rows of p)
 *   d_col  = W^T * d_out      (then folded back onto the input: col2im)
 *
 * A deconvolution is the transpose: its d_in is a convolution of d_out,
 * and its d_W pairs the input with d_out unfolded the same way.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "ink-nn-backward-private.h"
#include "ink-nn-gemm-private.h"

/* ---- Unfolding and folding windows ----
 *
 * g describes a convolution from in_h x in_w source planes onto an
 * out_h x out_w grid: grid pixel (oy, ox) and tap (ky, kx) read source
 * pixel (oy * stride_h + ky * dil_h - pad_top, ox * stride_w + kx * dil_w
 * - pad_left), or nothing outside the source. */

/* The grid positions o in [*lo, *hi) whose tap o * stride + off falls
 * inside [0, n). */
static void
tap_range (size_t n_grid, size_t stride, ptrdiff_t off, size_t n, size_t *lo, size_t *hi)
{
  ptrdiff_t s = (ptrdiff_t) stride, a, b;

  a = off >= 0 ? 0 : (-off + s - 1) / s;
  b = (ptrdiff_t) n - off <= 0 ? 0 : ((ptrdiff_t) n - off + s - 1) / s;
  if (b > (ptrdiff_t) n_grid)
    b = (ptrdiff_t) n_grid;
  if (a > b)
    a = b;
  *lo = (size_t) a;
  *hi = (size_t) b;
}

/* col [j][p] with j = (c, ky, kx) over channels c < n_c, p = grid pixel. */
static void
im2col (const InkWindow *g, const float *src, size_t n_c, float *col)
{
  size_t n_grid = g->out_h * g->out_w;

  for (size_t c = 0; c < n_c; c++) {
    const float *plane = src + c * g->in_h * g->in_w;
    for (size_t ky = 0; ky < g->k_h; ky++) {
      ptrdiff_t offy = (ptrdiff_t) (ky * g->dil_h) - (ptrdiff_t) g->pad_top;
      size_t y_lo, y_hi;
      tap_range (g->out_h, g->stride_h, offy, g->in_h, &y_lo, &y_hi);
      for (size_t kx = 0; kx < g->k_w; kx++) {
        ptrdiff_t offx = (ptrdiff_t) (kx * g->dil_w) - (ptrdiff_t) g->pad_left;
        float *row = col + ((c * g->k_h + ky) * g->k_w + kx) * n_grid;
        size_t x_lo, x_hi;
        tap_range (g->out_w, g->stride_w, offx, g->in_w, &x_lo, &x_hi);
        memset (row, 0, n_grid * sizeof *row);
        for (size_t oy = y_lo; oy < y_hi; oy++) {
          size_t iy = (size_t) ((ptrdiff_t) (oy * g->stride_h) + offy);
          const float *s =
            plane + iy * g->in_w + (size_t) ((ptrdiff_t) (x_lo * g->stride_w) + offx);
          float *d = row + oy * g->out_w + x_lo;
          for (size_t q = 0; q < x_hi - x_lo; q++)
            d[q] = s[q * g->stride_w];
        }
      }
    }
  }
}

/* The transpose: colt [p][j], one row of n_c * k_h * k_w per grid pixel. */
static void
im2col_t (const InkWindow *g, const float *src, size_t n_c, float *colt)
{
  size_t k = n_c * g->k_h * g->k_w;

  for (size_t oy = 0; oy < g->out_h; oy++) {
    ptrdiff_t y0 = (ptrdiff_t) (oy * g->stride_h) - (ptrdiff_t) g->pad_top;
    size_t ky_lo, ky_hi;
    tap_range (g->k_h, g->dil_h, y0, g->in_h, &ky_lo, &ky_hi);
    for (size_t ox = 0; ox < g->out_w; ox++) {
      ptrdiff_t x0 = (ptrdiff_t) (ox * g->stride_w) - (ptrdiff_t) g->pad_left;
      float *row = colt + (oy * g->out_w + ox) * k;
      size_t kx_lo, kx_hi;
      /* The taps inside the source, counted in the dilated kernel's steps. */
      tap_range (g->k_w, g->dil_w, x0, g->in_w, &kx_lo, &kx_hi);
      if (ky_lo > 0 || ky_hi < g->k_h || kx_lo > 0 || kx_hi < g->k_w)
        memset (row, 0, k * sizeof *row);
      for (size_t c = 0; c < n_c; c++) {
        const float *plane = src + c * g->in_h * g->in_w;
        for (size_t ky = ky_lo; ky < ky_hi; ky++) {
          size_t iy = (size_t) (y0 + (ptrdiff_t) (ky * g->dil_h));
          const float *s = plane + iy * g->in_w + (size_t) (x0 + (ptrdiff_t) (kx_lo * g->dil_w));
          float *d = row + (c * g->k_h + ky) * g->k_w + kx_lo;
          for (size_t q = 0; q < kx_hi - kx_lo; q++)
            d[q] = s[q * g->dil_w];
        }
      }
    }
  }
}

/* Adds col [j][p] back onto the source planes it was unfolded from. */
static void
col2im_add (const InkWindow *g, const float *col, size_t n_c, float *dst)
{
  size_t n_grid = g->out_h * g->out_w;

  for (size_t c = 0; c < n_c; c++) {
    float *plane = dst + c * g->in_h * g->in_w;
    for (size_t ky = 0; ky < g->k_h; ky++) {
      ptrdiff_t offy = (ptrdiff_t) (ky * g->dil_h) - (ptrdiff_t) g->pad_top;
      size_t y_lo, y_hi;
      tap_range (g->out_h, g->stride_h, offy, g->in_h, &y_lo, &y_hi);
      for (size_t kx = 0; kx < g->k_w; kx++) {
        ptrdiff_t offx = (ptrdiff_t) (kx * g->dil_w) - (ptrdiff_t) g->pad_left;
        const float *row = col + ((c * g->k_h + ky) * g->k_w + kx) * n_grid;
        size_t x_lo, x_hi;
        tap_range (g->out_w, g->stride_w, offx, g->in_w, &x_lo, &x_hi);
        for (size_t oy = y_lo; oy < y_hi; oy++) {
          size_t iy = (size_t) ((ptrdiff_t) (oy * g->stride_h) + offy);
          float *d = plane + iy * g->in_w + (size_t) ((ptrdiff_t) (x_lo * g->stride_w) + offx);
          const float *s = row + oy * g->out_w + x_lo;
          for (size_t q = 0; q < x_hi - x_lo; q++)
            d[q * g->stride_w] += s[q];
        }
      }
    }
  }
}

static void
bias_backward (const float *d_out, size_t channels, size_t plane, float *d_bias)
{
  for (size_t c = 0; c < channels; c++) {
    const float *src = d_out + c * plane;
    float s = 0.0f;
    for (size_t p = 0; p < plane; p++)
      s += src[p];
    d_bias[c] += s;
  }
}

/* ---- Convolution ---- */

size_t
ink_kernel_convolution_backward_scratch (const InkWindow *g)
{
  return g->in_c / g->groups * g->k_h * g->k_w * g->out_h * g->out_w;
}

void
ink_kernel_convolution_backward (const InkWindow *g, const float *in, const float *weights,
                                 const float *d_out, float *d_in, float *d_weights, float *d_bias,
                                 float *scratch)
{
  size_t kc = g->in_c / g->groups;
  size_t oc_per_group = g->out_c / g->groups;
  size_t k = kc * g->k_h * g->k_w;
  size_t n_in = g->in_h * g->in_w, n_out = g->out_h * g->out_w;
  bool direct = ink_window_is_pointwise (g);

  if (d_bias != NULL)
    bias_backward (d_out, g->out_c, n_out, d_bias);
  for (size_t grp = 0; grp < g->groups; grp++) {
    const float *gin = in + grp * kc * n_in;
    const float *gw = weights + grp * oc_per_group * k;
    const float *gdout = d_out + grp * oc_per_group * n_out;
    if (d_weights != NULL) {
      /* d_W[oc][j] += sum_p d_out[oc][p] * colt[p][j] */
      im2col_t (g, gin, kc, scratch);
      ink_gemm_acc (oc_per_group, k, n_out, gdout, n_out, 1, scratch, k,
                    d_weights + grp * oc_per_group * k, k);
    }
    if (d_in != NULL) {
      /* d_col[j][p] = sum_oc W[oc][j] * d_out[oc][p] */
      float *gdin = d_in + grp * kc * n_in;
      if (direct) {
        ink_gemm_acc (k, n_out, oc_per_group, gw, 1, k, gdout, n_out, gdin, n_out);
      } else {
        memset (scratch, 0, k * n_out * sizeof *scratch);
        ink_gemm_acc (k, n_out, oc_per_group, gw, 1, k, gdout, n_out, scratch, n_out);
        col2im_add (g, scratch, kc, gdin);
      }
    }
  }
}

/* ---- Deconvolution ---- */

/* The convolution that unfolds a deconvolution's output derivative onto
 * its input grid: tap (ky, kx) of input pixel (iy, ix) is output pixel
 * (iy * stride + ky - pad_top, ix * stride + kx - pad_left). */
static InkWindow
deconv_as_convolution (const InkWindow *g)
{
  InkWindow v = *g;

  v.in_h = g->out_h, v.in_w = g->out_w;
  v.out_h = g->in_h, v.out_w = g->in_w;
  v.dil_h = v.dil_w = 1;
  return v;
}

size_t
ink_kernel_deconvolution_backward_scratch (const InkWindow *g)
{
  return g->out_c / g->groups * g->k_h * g->k_w * g->in_h * g->in_w;
}

void
ink_kernel_deconvolution_backward (const InkWindow *g, const float *in, const float *weights,
                                   const float *d_out, float *d_in, float *d_weights, float *d_bias,
                                   float *scratch)
{
  InkWindow v = deconv_as_convolution (g);
  size_t ic_per_group = g->in_c / g->groups;
  size_t oc_per_group = g->out_c / g->groups;
  size_t rows = oc_per_group * g->k_h * g->k_w; /* (o, ky, kx) of one group */
  size_t n_in = g->in_h * g->in_w, n_out = g->out_h * g->out_w;

  if (d_bias != NULL)
    bias_backward (d_out, g->out_c, n_out, d_bias);
  /* Weights are [in][out / groups][kh][kw]: row ic of a group's block is
   * input channel ic's taps r = (o, ky, kx). */
  for (size_t grp = 0; grp < g->groups; grp++) {
    const float *gin = in + grp * ic_per_group * n_in;
    const float *gw = weights + grp * ic_per_group * rows;
    const float *gdout = d_out + grp * oc_per_group * n_out;
    if (d_weights != NULL) {
      /* d_W[ic][r] += sum_p in[ic][p] * colt[p][r] */
      im2col_t (&v, gdout, oc_per_group, scratch);
      ink_gemm_acc (ic_per_group, rows, n_in, gin, n_in, 1, scratch, rows,
                    d_weights + grp * ic_per_group * rows, rows);
    }
    if (d_in != NULL) {
      /* d_in[ic][p] += sum_r W[ic][r] * col[r][p] */
      im2col (&v, gdout, oc_per_group, scratch);
      ink_gemm_acc (ic_per_group, n_in, rows, gw, rows, 1, scratch, n_in,
                    d_in + grp * ic_per_group * n_in, n_in);
    }
  }
}

/* ink-nn-gemm-private.h: the matrix product under the convolution kernels
 *
 * Shared by the forward (ink-nn-kernels.c) and backward
 * (ink-nn-backward-kernels.c) kernels; static inline so that each keeps
 * its own inlined copy in its hot loops.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stddef.h>

#include "ink-nn-private.h"

/* out[i * os + p] += sum_j w[i * wr + j * wc] * x[j * xs + p] for i < m
 * rows, p < n columns, j < k. Blocks of 4 rows by 8 columns are accumulated
 * in fixed-size arrays the compiler keeps in vector registers, so each x
 * element loaded serves four rows; the four rows' weights are first packed
 * side by side, a chunk of j at a time. Every output adds its terms in the
 * same order (j ascending), whatever the blocking, so results do not depend
 * on it. */
#define INK_GEMM_MR 4
#define INK_GEMM_NR 8
#define INK_GEMM_KC 256

static inline void
ink_gemm_block (size_t kc, const float *restrict wp, const float *restrict x, size_t xs,
                float *restrict out, size_t os)
{
  float acc[INK_GEMM_MR][INK_GEMM_NR];

#pragma GCC unroll 4
  for (size_t i = 0; i < INK_GEMM_MR; i++) {
#pragma GCC unroll 8
    for (size_t q = 0; q < INK_GEMM_NR; q++)
      acc[i][q] = out[i * os + q];
  }
  for (size_t j = 0; j < kc; j++) {
    const float *restrict src = x + j * xs;
    const float *restrict wj = wp + j * INK_GEMM_MR;
#pragma GCC unroll 4
    for (size_t i = 0; i < INK_GEMM_MR; i++) {
#pragma GCC unroll 8
      for (size_t q = 0; q < INK_GEMM_NR; q++)
        acc[i][q] += wj[i] * src[q];
    }
  }
#pragma GCC unroll 4
  for (size_t i = 0; i < INK_GEMM_MR; i++) {
#pragma GCC unroll 8
    for (size_t q = 0; q < INK_GEMM_NR; q++)
      out[i * os + q] = acc[i][q];
  }
}

static inline void
ink_gemm_acc (size_t m, size_t n, size_t k, const float *w, size_t wr, size_t wc, const float *x,
              size_t xs, float *out, size_t os)
{
  float wp[INK_GEMM_KC * INK_GEMM_MR];

  for (size_t i = 0; i < m; i += INK_GEMM_MR) {
    size_t mr = m - i < INK_GEMM_MR ? m - i : INK_GEMM_MR;
    for (size_t j0 = 0; j0 < k; j0 += INK_GEMM_KC) {
      size_t kc = k - j0 < INK_GEMM_KC ? k - j0 : INK_GEMM_KC;
      size_t p = 0;
      if (mr == INK_GEMM_MR) {
        for (size_t j = 0; j < kc; j++) {
          for (size_t r = 0; r < INK_GEMM_MR; r++)
            wp[j * INK_GEMM_MR + r] = w[(i + r) * wr + (j0 + j) * wc];
        }
        for (; p + INK_GEMM_NR <= n; p += INK_GEMM_NR)
          ink_gemm_block (kc, wp, x + j0 * xs + p, xs, out + i * os + p, os);
      }
      /* Leftover rows and columns, in the same order. */
      for (size_t r = i; r < i + mr; r++) {
        float *dst = out + r * os;
        for (size_t j = j0; j < j0 + kc; j++) {
          const float wrj = w[r * wr + j * wc];
          const float *src = x + j * xs;
          for (size_t q = p; q < n; q++)
            dst[q] += wrj * src[q];
        }
      }
    }
  }
}

/* A 1x1 window at stride 1 without padding: the unfolded input (im2col)
 * is the input itself. */
static inline bool
ink_window_is_pointwise (const InkWindow *g)
{
  return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
         g->pad_left == 0 && g->in_h == g->out_h && g->in_w == g->out_w;
}

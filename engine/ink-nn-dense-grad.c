/* ink-nn-dense-grad.c: an inner product's weight derivative over a group of examples
 *
 * Training adds, for every example, the outer product of the output's
 * derivative and the input to the weights' derivative. Done one example at
 * a time, that reads and writes the whole derivative array per example
 * (n_out x n_in floats: 800 KB for the image classifier's fc1), which is
 * memory-bound. Here a group of examples is added in one pass: a register
 * tile of 4 outputs x 64 inputs is loaded once, takes every example's terms
 * (examples in order, one FMA each) and is stored once. The sum is the same
 * as adding the examples' outer products in turn with FMAs.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define INK_DENSE_X86 1
#endif

#include "ink-nn-private.h"

#ifdef INK_DENSE_X86
#define TILE_VECTORS 4 /* 16-float vectors across the inputs */

/* n_rows output rows (1 to 4) of the tile at column i0, lanes past n_in
 * masked off. */
__attribute__ ((target ("avx512f"), always_inline)) static inline void
tile_avx512 (size_t rows, size_t n_out, size_t n_in, const float *dy, const float *x, float *dw,
             size_t o0, size_t n_rows, size_t i0, const __mmask16 mask[TILE_VECTORS])
{
  __m512 acc[4][TILE_VECTORS];

  for (size_t k = 0; k < n_rows; k++) {
    for (int v = 0; v < TILE_VECTORS; v++)
      acc[k][v] = _mm512_maskz_loadu_ps (mask[v], dw + (o0 + k) * n_in + i0 + 16 * (size_t) v);
  }
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * n_in + i0;
    __m512 xv[TILE_VECTORS];
    for (int v = 0; v < TILE_VECTORS; v++)
      xv[v] = _mm512_maskz_loadu_ps (mask[v], xr + 16 * v);
    for (size_t k = 0; k < n_rows; k++) {
      const __m512 g = _mm512_set1_ps (dy[r * n_out + o0 + k]);
      for (int v = 0; v < TILE_VECTORS; v++)
        acc[k][v] = _mm512_fmadd_ps (g, xv[v], acc[k][v]);
    }
  }
  for (size_t k = 0; k < n_rows; k++) {
    for (int v = 0; v < TILE_VECTORS; v++)
      _mm512_mask_storeu_ps (dw + (o0 + k) * n_in + i0 + 16 * (size_t) v, mask[v], acc[k][v]);
  }
}

__attribute__ ((target ("avx512f"))) static void
dense_grad_avx512 (size_t rows, size_t n_out, size_t n_in, const float *dy, const float *x,
                   float *dw)
{
  /* Columns outermost: the examples' slice of x (rows x 64 floats) stays in
   * L1 while every output row passes over it. */
  for (size_t i0 = 0; i0 < n_in; i0 += 16 * TILE_VECTORS) {
    __mmask16 mask[TILE_VECTORS];
    size_t o0 = 0;
    for (int v = 0; v < TILE_VECTORS; v++) {
      size_t at = i0 + 16 * (size_t) v, left = at < n_in ? n_in - at : 0;
      mask[v] = left >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << left) - 1u);
    }
    for (; o0 + 4 <= n_out; o0 += 4)
      tile_avx512 (rows, n_out, n_in, dy, x, dw, o0, 4, i0, mask);
    for (; o0 < n_out; o0++)
      tile_avx512 (rows, n_out, n_in, dy, x, dw, o0, 1, i0, mask);
  }
}

/* AVX2: 4 outputs x 16 inputs (two 8-float vectors); leftover columns go
 * to the scalar FMA loop, which adds in the same order. */
__attribute__ ((target ("avx2,fma"))) static void
dense_grad_avx2 (size_t rows, size_t n_out, size_t n_in, const float *dy, const float *x, float *dw)
{
  const size_t body = n_in - n_in % 16;

  for (size_t i0 = 0; i0 < body; i0 += 16) {
    size_t o0 = 0;
    for (; o0 < n_out; o0 += 4) {
      size_t n_rows = n_out - o0 < 4 ? n_out - o0 : 4;
      __m256 acc[4][2];
      for (size_t k = 0; k < n_rows; k++) {
        acc[k][0] = _mm256_loadu_ps (dw + (o0 + k) * n_in + i0);
        acc[k][1] = _mm256_loadu_ps (dw + (o0 + k) * n_in + i0 + 8);
      }
      for (size_t r = 0; r < rows; r++) {
        const __m256 x0 = _mm256_loadu_ps (x + r * n_in + i0);
        const __m256 x1 = _mm256_loadu_ps (x + r * n_in + i0 + 8);
        for (size_t k = 0; k < n_rows; k++) {
          const __m256 g = _mm256_set1_ps (dy[r * n_out + o0 + k]);
          acc[k][0] = _mm256_fmadd_ps (g, x0, acc[k][0]);
          acc[k][1] = _mm256_fmadd_ps (g, x1, acc[k][1]);
        }
      }
      for (size_t k = 0; k < n_rows; k++) {
        _mm256_storeu_ps (dw + (o0 + k) * n_in + i0, acc[k][0]);
        _mm256_storeu_ps (dw + (o0 + k) * n_in + i0 + 8, acc[k][1]);
      }
    }
  }
  for (size_t o = 0; o < n_out; o++) {
    float *row = dw + o * n_in;
    for (size_t i = body; i < n_in; i++) {
      float s = row[i];
      for (size_t r = 0; r < rows; r++)
        s = __builtin_fmaf (dy[r * n_out + o], x[r * n_in + i], s);
      row[i] = s;
    }
  }
}
#endif

void
ink_kernel_dense_weight_grad (size_t rows, size_t n_out, size_t n_in, const float *dy,
                              const float *x, float *dw)
{
#ifdef INK_DENSE_X86
  switch (ink_kernel_simd_level ()) {
  case INK_SIMD_AVX512: dense_grad_avx512 (rows, n_out, n_in, dy, x, dw); return;
  case INK_SIMD_AVX2: dense_grad_avx2 (rows, n_out, n_in, dy, x, dw); return;
  case INK_SIMD_NONE: break;
  }
#endif
  for (size_t o = 0; o < n_out; o++) {
    float *row = dw + o * n_in;
    for (size_t r = 0; r < rows; r++) {
      const float g = dy[r * n_out + o];
      const float *xr = x + r * n_in;
      for (size_t i = 0; i < n_in; i++)
        row[i] += g * xr[i];
    }
  }
}

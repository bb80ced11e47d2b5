/* ink-nn-kernels.c: the neural network's compute kernels (forward pass)
 *
 * Plain loops written so the compiler vectorizes their inner dimension:
 * contiguous float rows, no allocation, no branching inside the hot loops.
 *
 * SPDX-License-Identifier: MIT
 */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define INK_KERNELS_X86 1
#endif

#include "ink-nn-gemm-private.h"

/* ---- Run-time dispatch ----
 *
 * The hot kernels have AVX-512 and AVX2+FMA variants, compiled with GCC's
 * target attributes and chosen once from the processor's features
 * (__builtin_cpu_supports); elsewhere the portable loops run. Setting
 * INKLING_SIMD=generic, avx2 or avx512 in the environment caps the level
 * (to compare the variants). */
typedef enum {
  SIMD_NONE = 0,
  SIMD_AVX2 = 1,
  SIMD_AVX512 = 2,
} SimdLevel;

static SimdLevel
simd_level (void)
{
#ifdef INK_KERNELS_X86
  /* Atomic: compute threads may ask at the same time on first use. */
  static _Atomic int level = -1;
  int l = atomic_load_explicit (&level, memory_order_relaxed);

  if (l < 0) {
    const char *cap = getenv ("INKLING_SIMD");
    __builtin_cpu_init ();
    l = SIMD_NONE;
    if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
      l = SIMD_AVX2;
    if (l == SIMD_AVX2 && __builtin_cpu_supports ("avx512f"))
      l = SIMD_AVX512;
    if (cap != NULL && strcmp (cap, "generic") == 0)
      l = SIMD_NONE;
    else if (cap != NULL && strcmp (cap, "avx2") == 0 && l > SIMD_AVX2)
      l = SIMD_AVX2;
    atomic_store_explicit (&level, l, memory_order_relaxed);
  }
  return (SimdLevel) l;
#else
  return SIMD_NONE;
#endif
}

InkSimdLevel
ink_kernel_simd_level (void)
{
  return (InkSimdLevel) simd_level ();
}

/* ---- Direct convolution (stride 1, no dilation) ----
 *
 * The input is copied with its padding into a zero-bordered plane per
 * channel of out_h + k_h - 1 rows by wp = out_w + k_w - 1 columns. Output
 * pixel (y, x) is then the sum over taps (c, ky, kx) of w * plane[c][(y +
 * ky) * wp + x + kx]: at flat position p = y * wp + x, every tap reads the
 * plane at p plus a constant offset. So the kernel runs over contiguous
 * flat positions (the wp - out_w columns past each row's end are computed
 * and dropped), vectors of positions times a few output channels held in
 * registers, each input vector loaded once serving four channels and each
 * weight broadcast serving several vectors. Every output adds its taps in
 * the same order (bias, then c, ky, kx ascending) as the im2col path. */
#define DIRECT_MR 4     /* output channels per register tile */
#define DIRECT_SPAN 64  /* the widest register tile, in flat positions */
#define DIRECT_SLACK 64 /* floats read past the padded planes (ignored) */

static bool
direct_applies (const InkWindow *g)
{
  return g->stride_h == 1 && g->stride_w == 1 && g->dil_h == 1 && g->dil_w == 1 &&
         !(g->k_h == 1 && g->k_w == 1 && g->pad_top == 0 && g->pad_left == 0 &&
           g->in_h == g->out_h && g->in_w == g->out_w) &&
         simd_level () != SIMD_NONE;
}

typedef struct {
  size_t hp, wp;   /* padded plane */
  size_t flat;     /* flat positions computed: (out_h - 1) * wp + out_w */
  size_t flat_pad; /* rounded up to DIRECT_SPAN */
  size_t planes;   /* floats of the padded planes of one group */
} DirectGeometry;

static DirectGeometry
direct_geometry (const InkWindow *g)
{
  DirectGeometry d;

  d.hp = g->out_h + g->k_h - 1;
  d.wp = g->out_w + g->k_w - 1;
  d.flat = (g->out_h - 1) * d.wp + g->out_w;
  d.flat_pad = (d.flat + DIRECT_SPAN - 1) / DIRECT_SPAN * DIRECT_SPAN;
  d.planes = g->in_c / g->groups * d.hp * d.wp;
  return d;
}

size_t
ink_kernel_convolution_scratch (const InkWindow *g)
{
  size_t kc = g->in_c / g->groups;
  size_t im2col = kc * g->k_h * g->k_w * g->out_h * g->out_w;
  size_t direct = 0;

  if (g->stride_h == 1 && g->stride_w == 1 && g->dil_h == 1 && g->dil_w == 1 && g->out_h > 0 &&
      g->out_w > 0) {
    DirectGeometry d = direct_geometry (g);
    direct = d.planes + DIRECT_SLACK + DIRECT_MR * d.flat_pad;
  }
  return direct > im2col ? direct : im2col;
}

/* Copies one group's input into zero-bordered planes. */
static void
pad_planes (const InkWindow *g, const DirectGeometry *d, const float *in, size_t kc, float *dst)
{
  for (size_t c = 0; c < kc; c++) {
    const float *src = in + c * g->in_h * g->in_w;
    float *plane = dst + c * d->hp * d->wp;
    memset (plane, 0, d->hp * d->wp * sizeof *plane);
    for (size_t y = 0; y < g->in_h; y++) {
      size_t py = y + g->pad_top;
      if (py >= d->hp)
        break;
      size_t n = g->in_w;
      if (g->pad_left + n > d->wp)
        n = d->wp - g->pad_left;
      memcpy (plane + py * d->wp + g->pad_left, src + y * g->in_w, n * sizeof *plane);
    }
  }
  memset (dst + kc * d->hp * d->wp, 0, DIRECT_SLACK * sizeof *dst);
}

#ifdef INK_KERNELS_X86
/* One register tile: DIRECT_MR output channels (weight rows w0..w3, K taps
 * each) times NV vectors of positions from p; acc starts at the bias. */
#define DIRECT_TILE(VEC, LOAD, SET1, FMA, STORE, LANES, NV)                                        \
  do {                                                                                             \
    VEC acc[DIRECT_MR][NV];                                                                        \
    for (size_t r = 0; r < DIRECT_MR; r++) {                                                       \
      for (size_t v = 0; v < NV; v++)                                                              \
        acc[r][v] = SET1 (b[r]);                                                                   \
    }                                                                                              \
    for (size_t c = 0; c < kc; c++) {                                                              \
      for (size_t ky = 0; ky < g->k_h; ky++) {                                                     \
        const float *src = planes + c * d->hp * d->wp + ky * d->wp + p;                            \
        size_t j = (c * g->k_h + ky) * g->k_w;                                                     \
        for (size_t kx = 0; kx < g->k_w; kx++, j++) {                                              \
          VEC x[NV];                                                                               \
          for (size_t v = 0; v < NV; v++)                                                          \
            x[v] = LOAD (src + kx + v * LANES);                                                    \
          for (size_t r = 0; r < DIRECT_MR; r++) {                                                 \
            VEC wv = SET1 (w[r][j]);                                                               \
            for (size_t v = 0; v < NV; v++)                                                        \
              acc[r][v] = FMA (wv, x[v], acc[r][v]);                                               \
          }                                                                                        \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
    for (size_t r = 0; r < DIRECT_MR; r++) {                                                       \
      for (size_t v = 0; v < NV; v++)                                                              \
        STORE (tile + r * d->flat_pad + p + v * LANES, acc[r][v]);                                 \
    }                                                                                              \
  } while (0)

__attribute__ ((target ("avx512f"))) static void
direct_rows_avx512 (const InkWindow *g, const DirectGeometry *d, const float *planes, size_t kc,
                    const float *const w[DIRECT_MR], const float b[DIRECT_MR], float *tile)
{
  for (size_t p = 0; p < d->flat; p += 64) {
#pragma GCC unroll 4
    DIRECT_TILE (__m512, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps, 16, 4);
  }
}

__attribute__ ((target ("avx2,fma"))) static void
direct_rows_avx2 (const InkWindow *g, const DirectGeometry *d, const float *planes, size_t kc,
                  const float *const w[DIRECT_MR], const float b[DIRECT_MR], float *tile)
{
  for (size_t p = 0; p < d->flat; p += 16) {
#pragma GCC unroll 4
    DIRECT_TILE (__m256, _mm256_loadu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps, 8, 2);
  }
}
#endif

/* What a fused convolution computes instead of writing its own output
 * (see ink_kernel_convolution_fused). */
typedef struct {
  const InkActivationParams *act;
  const InkWindow *pool;
  float *pool_out;
} DirectEpilogue;

static void
convolution_direct (const InkWindow *g, const float *in, const float *weights, const float *bias,
                    float *out, float *scratch, const DirectEpilogue *epi)
{
  DirectGeometry d = direct_geometry (g);
  size_t kc = g->in_c / g->groups, oc_per_group = g->out_c / g->groups;
  size_t k = kc * g->k_h * g->k_w, n_out = g->out_h * g->out_w;
  float *planes = scratch, *tile = scratch + d.planes + DIRECT_SLACK;
  SimdLevel level = simd_level ();

  for (size_t grp = 0; grp < g->groups; grp++) {
    pad_planes (g, &d, in + grp * kc * g->in_h * g->in_w, kc, planes);
    for (size_t o = 0; o < oc_per_group; o += DIRECT_MR) {
      const float *w[DIRECT_MR];
      float b[DIRECT_MR];
      size_t mr = oc_per_group - o < DIRECT_MR ? oc_per_group - o : DIRECT_MR;
      /* A short last tile repeats its last channel; the copies are dropped. */
      for (size_t r = 0; r < DIRECT_MR; r++) {
        size_t oc = grp * oc_per_group + o + (r < mr ? r : mr - 1);
        w[r] = weights + oc * k;
        b[r] = bias != NULL ? bias[oc] : 0.0f;
      }
#ifdef INK_KERNELS_X86
      if (level == SIMD_AVX512)
        direct_rows_avx512 (g, &d, planes, kc, w, b, tile);
      else
        direct_rows_avx2 (g, &d, planes, kc, w, b, tile);
#else
      (void) level;
#endif
      if (epi != NULL) {
        /* The activation in place over the tile (the dropped columns
         * included: harmless), then each channel's pooling straight from
         * its tile plane, whose rows are wp floats apart. */
        for (size_t r = 0; r < mr; r++) {
          size_t c = grp * oc_per_group + o + r;
          float *t = tile + r * d.flat_pad;
          InkWindow pw = *epi->pool;
          ink_kernel_activation (epi->act, t, t, d.flat);
          pw.in_c = pw.out_c = 1;
          pw.in_w = d.wp;
          ink_kernel_pool_max (&pw, t, epi->pool_out + c * pw.out_h * pw.out_w);
        }
        continue;
      }
      for (size_t r = 0; r < mr; r++) {
        float *dst = out + (grp * oc_per_group + o + r) * n_out;
        const float *src = tile + r * d.flat_pad;
        for (size_t y = 0; y < g->out_h; y++)
          memcpy (dst + y * g->out_w, src + y * d.wp, g->out_w * sizeof *dst);
      }
    }
  }
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
            ptrdiff_t ix = (ptrdiff_t) (ox * g->stride_w + kx * g->dil_w) - (ptrdiff_t) g->pad_left;
            dst[ox] =
              ix >= 0 && ix < (ptrdiff_t) g->in_w ? plane[iy * (ptrdiff_t) g->in_w + ix] : 0.0f;
          }
        }
      }
    }
  }
}

/* The product at the heart of convolution and deconvolution:
 *
 *   out[i * os + p] = init[i] + sum_j w[i * wr + j * wc] * x[j * xs + p]
 *
 * for i < m rows, p < n columns, j < k (init NULL: 0); see ink_gemm_acc. */
static void
gemm (size_t m, size_t n, size_t k, const float *w, size_t wr, size_t wc, const float *x, size_t xs,
      const float *init, float *out, size_t os)
{
  for (size_t i = 0; i < m; i++) {
    float *dst = out + i * os;
    for (size_t p = 0; p < n; p++)
      dst[p] = init != NULL ? init[i] : 0.0f;
  }
  ink_gemm_acc (m, n, k, w, wr, wc, x, xs, out, os);
}

void
ink_kernel_convolution (const InkWindow *g, const float *in, const float *weights,
                        const float *bias, float *out, float *scratch)
{
  size_t kc = g->in_c / g->groups;
  size_t oc_per_group = g->out_c / g->groups;
  size_t k = kc * g->k_h * g->k_w;
  size_t n_out = g->out_h * g->out_w;
  bool direct = ink_window_is_pointwise (g);

  if (n_out > 0 && direct_applies (g)) {
    convolution_direct (g, in, weights, bias, out, scratch, NULL);
    return;
  }
  for (size_t grp = 0; grp < g->groups; grp++) {
    const float *gin = in + grp * kc * g->in_h * g->in_w;
    const float *col = gin;
    size_t oc0 = grp * oc_per_group;
    if (!direct) {
      im2col (g, gin, kc, scratch);
      col = scratch;
    }
    /* out[oc][p] = bias[oc] + sum_j weights[oc][j] * col[j][p] */
    gemm (oc_per_group, n_out, k, weights + oc0 * k, k, 1, col, n_out,
          bias != NULL ? bias + oc0 : NULL, out + oc0 * n_out, n_out);
  }
}

bool
ink_kernel_convolution_fusable (const InkWindow *g, const InkWindow *pool)
{
  /* Each pooling window must end inside the convolution's real columns:
   * the tile's rows go on past them. The rows need no check (the tile has
   * out_h of them). */
  return pool->in_c == g->out_c && pool->in_h == g->out_h && pool->in_w == g->out_w &&
         pool->out_w > 0 &&
         (pool->out_w - 1) * pool->stride_w + pool->k_w <= g->out_w + pool->pad_left;
}

void
ink_kernel_convolution_fused (const InkWindow *g, const float *in, const float *weights,
                              const float *bias, float *out, float *scratch,
                              const InkActivationParams *act, float *act_out, const InkWindow *pool,
                              float *pool_out)
{
  DirectEpilogue epi = {act, pool, pool_out};

  if (g->out_h * g->out_w > 0 && direct_applies (g)) {
    convolution_direct (g, in, weights, bias, out, scratch, &epi);
    return;
  }
  ink_kernel_convolution (g, in, weights, bias, out, scratch);
  ink_kernel_activation (act, out, act_out, g->out_c * g->out_h * g->out_w);
  ink_kernel_pool_max (pool, act_out, pool_out);
}

size_t
ink_kernel_deconvolution_scratch (const InkWindow *g)
{
  return INK_GEMM_MR * g->in_h * g->in_w;
}

void
ink_kernel_deconvolution (const InkWindow *g, const float *in, const float *weights,
                          const float *bias, float *out, float *scratch)
{
  size_t ic_per_group = g->in_c / g->groups;
  size_t oc_per_group = g->out_c / g->groups;
  size_t taps = g->k_h * g->k_w;
  size_t rows = oc_per_group * taps; /* (o, ky, kx) of one group */
  size_t n_in = g->in_h * g->in_w, n_out = g->out_h * g->out_w;

  for (size_t oc = 0; oc < g->out_c; oc++) {
    float b = bias != NULL ? bias[oc] : 0.0f;
    for (size_t p = 0; p < n_out; p++)
      out[oc * n_out + p] = b;
  }
  /* Weights are [in][out / groups][kh][kw]: for one group, row r = (o, ky,
   * kx) of their transpose holds weights[(ic * rows) + r]. Each row's
   * weighted sum of the group's input planes is formed by the product,
   * then scattered to the output pixels its tap reaches. */
  for (size_t grp = 0; grp < g->groups; grp++) {
    const float *gin = in + grp * ic_per_group * n_in;
    const float *gw = weights + grp * ic_per_group * rows;
    for (size_t r0 = 0; r0 < rows; r0 += INK_GEMM_MR) {
      size_t m = rows - r0 < INK_GEMM_MR ? rows - r0 : INK_GEMM_MR;
      gemm (m, n_in, ic_per_group, gw + r0, 1, rows, gin, n_in, NULL, scratch, n_in);
      for (size_t i = 0; i < m; i++) {
        size_t r = r0 + i, tap = r % taps;
        size_t ky = tap / g->k_w, kx = tap % g->k_w;
        float *dst = out + (grp * oc_per_group + r / taps) * n_out;
        const float *src = scratch + i * n_in;
        for (size_t iy = 0; iy < g->in_h; iy++) {
          ptrdiff_t oy = (ptrdiff_t) (iy * g->stride_h + ky) - (ptrdiff_t) g->pad_top;
          if (oy < 0 || oy >= (ptrdiff_t) g->out_h)
            continue;
          for (size_t ix = 0; ix < g->in_w; ix++) {
            ptrdiff_t ox = (ptrdiff_t) (ix * g->stride_w + kx) - (ptrdiff_t) g->pad_left;
            if (ox >= 0 && ox < (ptrdiff_t) g->out_w)
              dst[oy * (ptrdiff_t) g->out_w + ox] += src[iy * g->in_w + ix];
          }
        }
      }
    }
  }
}

void
ink_kernel_transpose (InkShape s, const size_t axes[3], const float *in, float *out)
{
  InkTransposeWalk t = ink_transpose_walk (s, axes);
  size_t d0 = t.n[0], d1 = t.n[1], d2 = t.n[2];
  size_t s0 = t.stride[0], s1 = t.stride[1], s2 = t.stride[2];

  for (size_t i = 0; i < d0; i++) {
    for (size_t j = 0; j < d1; j++) {
      const float *src = in + i * s0 + j * s1;
      float *dst = out + (i * d1 + j) * d2;
      for (size_t k = 0; k < d2; k++)
        dst[k] = src[k * s2];
    }
  }
}

#ifdef INK_KERNELS_X86
/* Four rows at a time: each input vector loaded serves four dot products,
 * kept in 16 lanes each and summed at the end. */
__attribute__ ((target ("avx512f"))) static void
inner_product_avx512 (const float *in, size_t n_in, const float *weights, const float *bias,
                      float *out, size_t n_out)
{
  size_t tail = n_in % 16, body = n_in - tail;
  __mmask16 m = (__mmask16) ((1u << tail) - 1u);
  size_t o = 0;

  for (; o + 4 <= n_out; o += 4) {
    const float *w0 = weights + o * n_in, *w1 = w0 + n_in, *w2 = w1 + n_in, *w3 = w2 + n_in;
    __m512 a0 = _mm512_setzero_ps (), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < body; i += 16) {
      __m512 x = _mm512_loadu_ps (in + i);
      a0 = _mm512_fmadd_ps (_mm512_loadu_ps (w0 + i), x, a0);
      a1 = _mm512_fmadd_ps (_mm512_loadu_ps (w1 + i), x, a1);
      a2 = _mm512_fmadd_ps (_mm512_loadu_ps (w2 + i), x, a2);
      a3 = _mm512_fmadd_ps (_mm512_loadu_ps (w3 + i), x, a3);
    }
    if (tail > 0) {
      __m512 x = _mm512_maskz_loadu_ps (m, in + body);
      a0 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (m, w0 + body), x, a0);
      a1 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (m, w1 + body), x, a1);
      a2 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (m, w2 + body), x, a2);
      a3 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (m, w3 + body), x, a3);
    }
    out[o] = _mm512_reduce_add_ps (a0) + (bias != NULL ? bias[o] : 0.0f);
    out[o + 1] = _mm512_reduce_add_ps (a1) + (bias != NULL ? bias[o + 1] : 0.0f);
    out[o + 2] = _mm512_reduce_add_ps (a2) + (bias != NULL ? bias[o + 2] : 0.0f);
    out[o + 3] = _mm512_reduce_add_ps (a3) + (bias != NULL ? bias[o + 3] : 0.0f);
  }
  for (; o < n_out; o++) {
    const float *w0 = weights + o * n_in;
    __m512 a0 = _mm512_setzero_ps ();
    for (size_t i = 0; i < body; i += 16)
      a0 = _mm512_fmadd_ps (_mm512_loadu_ps (w0 + i), _mm512_loadu_ps (in + i), a0);
    if (tail > 0)
      a0 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (m, w0 + body),
                            _mm512_maskz_loadu_ps (m, in + body), a0);
    out[o] = _mm512_reduce_add_ps (a0) + (bias != NULL ? bias[o] : 0.0f);
  }
}

__attribute__ ((target ("avx2,fma"))) static float
hsum256 (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_shuffle_ps (s, s, 1));
  return _mm_cvtss_f32 (s);
}

__attribute__ ((target ("avx2,fma"))) static void
inner_product_avx2 (const float *in, size_t n_in, const float *weights, const float *bias,
                    float *out, size_t n_out)
{
  size_t body = n_in - n_in % 8;

  for (size_t o = 0; o < n_out; o++) {
    const float *w0 = weights + o * n_in;
    __m256 a0 = _mm256_setzero_ps (), a1 = a0;
    size_t i = 0;
    float sum;
    for (; i + 16 <= body; i += 16) {
      a0 = _mm256_fmadd_ps (_mm256_loadu_ps (w0 + i), _mm256_loadu_ps (in + i), a0);
      a1 = _mm256_fmadd_ps (_mm256_loadu_ps (w0 + i + 8), _mm256_loadu_ps (in + i + 8), a1);
    }
    for (; i < body; i += 8)
      a0 = _mm256_fmadd_ps (_mm256_loadu_ps (w0 + i), _mm256_loadu_ps (in + i), a0);
    sum = hsum256 (_mm256_add_ps (a0, a1));
    for (; i < n_in; i++)
      sum += w0[i] * in[i];
    out[o] = sum + (bias != NULL ? bias[o] : 0.0f);
  }
}
#endif

void
ink_kernel_inner_product (const float *in, size_t n_in, const float *weights, const float *bias,
                          float *out, size_t n_out)
{
#ifdef INK_KERNELS_X86
  if (simd_level () == SIMD_AVX512) {
    inner_product_avx512 (in, n_in, weights, bias, out, n_out);
    return;
  }
  if (simd_level () == SIMD_AVX2) {
    inner_product_avx2 (in, n_in, weights, bias, out, n_out);
    return;
  }
#endif
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

#ifdef INK_KERNELS_X86
/* 2x2 windows, stride 2, no padding: each row pair's column maxima, then
 * the even and odd columns' maxima, 16 outputs at a time. */
__attribute__ ((target ("avx512f"))) static void
pool_max_2x2_avx512 (const InkWindow *g, const float *in, float *out)
{
  const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32 (31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);

  for (size_t c = 0; c < g->in_c; c++) {
    const float *plane = in + c * g->in_h * g->in_w;
    float *dst = out + c * g->out_h * g->out_w;
    for (size_t oy = 0; oy < g->out_h; oy++) {
      const float *r0 = plane + 2 * oy * g->in_w, *r1 = r0 + g->in_w;
      for (size_t ox = 0; ox < g->out_w; ox += 16) {
        size_t n = g->out_w - ox < 16 ? g->out_w - ox : 16;
        size_t lo = 2 * n < 16 ? 2 * n : 16, hi = 2 * n - lo;
        __mmask16 mlo = (__mmask16) ((1u << lo) - 1u), mhi = (__mmask16) ((1u << hi) - 1u);
        __m512 a = _mm512_max_ps (_mm512_maskz_loadu_ps (mlo, r0 + 2 * ox),
                                  _mm512_maskz_loadu_ps (mlo, r1 + 2 * ox));
        __m512 b = _mm512_max_ps (_mm512_maskz_loadu_ps (mhi, r0 + 2 * ox + 16),
                                  _mm512_maskz_loadu_ps (mhi, r1 + 2 * ox + 16));
        __m512 m =
          _mm512_max_ps (_mm512_permutex2var_ps (a, even, b), _mm512_permutex2var_ps (a, odd, b));
        _mm512_mask_storeu_ps (dst + oy * g->out_w + ox, (__mmask16) ((1u << n) - 1u), m);
      }
    }
  }
}
#endif

void
ink_kernel_pool_max (const InkWindow *g, const float *in, float *out)
{
#ifdef INK_KERNELS_X86
  if (g->k_h == 2 && g->k_w == 2 && g->stride_h == 2 && g->stride_w == 2 && g->pad_top == 0 &&
      g->pad_left == 0 && 2 * g->out_h <= g->in_h && 2 * g->out_w <= g->in_w &&
      simd_level () == SIMD_AVX512) {
    pool_max_2x2_avx512 (g, in, out);
    return;
  }
#endif
  for (size_t c = 0; c < g->in_c; c++) {
    const float *plane = in + c * g->in_h * g->in_w;
    float *dst = out + c * g->out_h * g->out_w;
    for (size_t oy = 0; oy < g->out_h; oy++) {
      InkPoolSpan ys = ink_pool_rows (g, oy);
      for (size_t ox = 0; ox < g->out_w; ox++) {
        InkPoolSpan xs = ink_pool_cols (g, ox);
        float m = -FLT_MAX;
        for (ptrdiff_t y = ys.lo; y < ys.hi; y++) {
          for (ptrdiff_t x = xs.lo; x < xs.hi; x++) {
            float v = plane[y * (ptrdiff_t) g->in_w + x];
            m = v > m ? v : m;
          }
        }
        /* A window entirely in the padding sees only zeros. */
        dst[oy * g->out_w + ox] = ys.lo < ys.hi && xs.lo < xs.hi ? m : 0.0f;
      }
    }
  }
}

void
ink_kernel_pool_average (const InkWindow *g, const float *in, float *out, bool exclude_padding)
{
  for (size_t c = 0; c < g->in_c; c++) {
    const float *plane = in + c * g->in_h * g->in_w;
    float *dst = out + c * g->out_h * g->out_w;
    for (size_t oy = 0; oy < g->out_h; oy++) {
      InkPoolSpan ys = ink_pool_rows (g, oy);
      for (size_t ox = 0; ox < g->out_w; ox++) {
        InkPoolSpan xs = ink_pool_cols (g, ox);
        ptrdiff_t count = ink_pool_count (ys, xs, exclude_padding);
        float sum = 0.0f;
        for (ptrdiff_t y = ys.lo; y < ys.hi; y++) {
          for (ptrdiff_t x = xs.lo; x < xs.hi; x++)
            sum += plane[y * (ptrdiff_t) g->in_w + x];
        }
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
ink_kernel_add (InkShape o, const float *const *ins, const InkShape *shapes, size_t n, float *out)
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

/* ink-nn-conv-blocked.c: stride-1 convolution vectorized over output channels
 *
 * At inference, a stride-1 convolution's weights are packed once (when the
 * network is planned, and again when a training step changes them) into
 * blocks of L output channels, L = 16 with AVX-512 and 8 with AVX2:
 *
 *   packed[group][block][c][ky][kx][L], then the bias as [group][block][L]
 *
 * with zeros for the lanes past the group's last channel. A register tile
 * holds NB blocks times NX pixels of one output row. Per tap it loads NB
 * weight vectors and broadcasts NX input values from zero-bordered planes
 * (those of the flat direct kernel in ink-nn-kernels.c), so no lane works
 * on a padding column. Each output still adds bias, then one FMA per tap in
 * (c, ky, kx) order, as the flat kernel does: the results are bit for bit
 * the same.
 *
 * The tiles go to a channel-last buffer [out_h][out_w][NB * L]. From there
 * they are written out as planes, or (fused with an activation and a max
 * pooling) activated and pooled a vector of channels at a time.
 *
 * SPDX-License-Identifier: MIT
 */
#include <float.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define INK_BLOCKED_X86 1
#endif

#include "ink-nn-private.h"

/* GCC's predictive commoning would keep the input values a tile reuses
 * across kx in scalar registers, spilled; broadcasts from memory are
 * faster. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-predictive-commoning")
#endif

#define BLOCKED_NX_MAX 14
/* The most blocks a register tile holds (rows_variants). */
#define BLOCKED_NB_MAX(lanes) ((lanes) == 16 ? 4 : 3)
/* Floats read past the last padded plane by a tile wider than the row. */
#define BLOCKED_SLACK(g) (BLOCKED_NX_MAX + (g)->k_w)
/* The channel-last buffer holds a whole output plane for NB blocks; larger
 * outputs use the flat direct kernel, whose scratch is smaller. */
#define BLOCKED_TILE_MAX ((size_t) 1 << 16)

typedef struct {
  size_t lanes;     /* L */
  size_t kc, taps;  /* input channels of a group, k_h * k_w */
  size_t blocks;    /* blocks of L output channels per group */
  size_t nb_max;    /* blocks in one register tile, at most */
  size_t hp, wp;    /* padded plane */
  size_t planes;    /* floats of one group's padded planes */
  size_t block_len; /* floats of one block's packed weights */
} Blocked;

static bool
blocked_geometry (const InkWindow *g, Blocked *b)
{
  InkSimdLevel level = ink_kernel_simd_level ();

  if (level == INK_SIMD_NONE || g->stride_h != 1 || g->stride_w != 1 || g->dil_h != 1 ||
      g->dil_w != 1 || g->out_h == 0 || g->out_w == 0 || g->groups == 0 ||
      (g->k_h == 1 && g->k_w == 1 && g->pad_top == 0 && g->pad_left == 0 && g->in_h == g->out_h &&
       g->in_w == g->out_w))
    return false;
  b->lanes = level == INK_SIMD_AVX512 ? 16 : 8;
  b->nb_max = BLOCKED_NB_MAX (b->lanes);
  b->kc = g->in_c / g->groups;
  b->taps = g->k_h * g->k_w;
  b->blocks = (g->out_c / g->groups + b->lanes - 1) / b->lanes;
  if (b->blocks < b->nb_max)
    b->nb_max = b->blocks;
  b->hp = g->out_h + g->k_h - 1;
  b->wp = g->out_w + g->k_w - 1;
  b->planes = b->kc * b->hp * b->wp;
  b->block_len = b->kc * b->taps * b->lanes;
  return b->blocks > 0 && g->out_h * g->out_w * b->nb_max * b->lanes <= BLOCKED_TILE_MAX;
}

size_t
ink_kernel_conv_blocked_packed_floats (const InkWindow *g)
{
  Blocked b;

  if (!blocked_geometry (g, &b))
    return 0;
  return g->groups * b.blocks * (b.block_len + b.lanes);
}

size_t
ink_kernel_conv_blocked_scratch (const InkWindow *g)
{
  Blocked b;

  if (!blocked_geometry (g, &b))
    return 0;
  return b.planes + BLOCKED_SLACK (g) + g->out_h * g->out_w * b.nb_max * b.lanes;
}

void
ink_kernel_conv_blocked_pack (const InkWindow *g, const float *weights, const float *bias,
                              float *packed)
{
  Blocked b;
  size_t oc_per_group = g->out_c / g->groups;
  float *packed_bias;

  if (!blocked_geometry (g, &b))
    return;
  packed_bias = packed + g->groups * b.blocks * b.block_len;
  for (size_t grp = 0; grp < g->groups; grp++) {
    for (size_t blk = 0; blk < b.blocks; blk++) {
      float *dst = packed + (grp * b.blocks + blk) * b.block_len;
      for (size_t lane = 0; lane < b.lanes; lane++) {
        size_t o = blk * b.lanes + lane, oc = grp * oc_per_group + o;
        float *bd = packed_bias + (grp * b.blocks + blk) * b.lanes + lane;
        *bd = o < oc_per_group && bias != NULL ? bias[oc] : 0.0f;
        for (size_t j = 0; j < b.kc * b.taps; j++)
          dst[j * b.lanes + lane] = o < oc_per_group ? weights[oc * b.kc * b.taps + j] : 0.0f;
      }
    }
  }
}

/* Copies one group's input into zero-bordered planes (as pad_planes in
 * ink-nn-kernels.c), and zeros the slack after them. */
static void
blocked_pad (const InkWindow *g, const Blocked *b, const float *in, float *dst)
{
  memset (dst, 0, (b->planes + BLOCKED_SLACK (g)) * sizeof *dst);
  for (size_t c = 0; c < b->kc; c++) {
    const float *src = in + c * g->in_h * g->in_w;
    float *plane = dst + c * b->hp * b->wp;
    for (size_t y = 0; y < g->in_h && y + g->pad_top < b->hp; y++) {
      size_t n = g->in_w;
      if (g->pad_left + n > b->wp)
        n = b->wp - g->pad_left;
      memcpy (plane + (y + g->pad_top) * b->wp + g->pad_left, src + y * g->in_w, n * sizeof *plane);
    }
  }
}

/* What the tiles of one group of NB blocks work on: output rows y0 to y1,
 * their first cw columns. */
typedef struct {
  const InkWindow *g;
  const Blocked *b;
  const float *w;    /* the first block's packed weights */
  const float *bias; /* the first block's packed bias */
  const float *planes;
  float *tile; /* channel-last [out_h][out_w][px] */
  size_t px;   /* NB * L */
  size_t y0, y1, cw;
} TileJob;

#ifdef INK_BLOCKED_X86
/* The job's rows, NX pixels at a time. A row narrower than NX computes NX
 * pixels (reading on into the next rows and the slack) and keeps its own;
 * a row wider than a multiple of NX ends with a tile that overlaps the one
 * before (the same values, stored again). */
#define BLOCKED_UNROLL _Pragma ("GCC unroll 16")
#define BLOCKED_ROWS(VEC, L, LOAD, SET1, FMA, STORE, NB, NX)                                       \
  do {                                                                                             \
    const InkWindow *g = j->g;                                                                     \
    const Blocked *b = j->b;                                                                       \
    size_t keep = j->cw < NX ? j->cw : NX;                                                         \
    for (size_t y = j->y0; y < j->y1; y++) {                                                       \
      for (size_t x0 = 0; x0 < j->cw; x0 += NX) {                                                  \
        size_t x = x0 + NX <= j->cw || j->cw < NX ? x0 : j->cw - NX;                               \
        const float *src = j->planes + y * b->wp + x;                                              \
        float *dst = j->tile + (y * g->out_w + x) * j->px;                                         \
        VEC acc[NB][NX];                                                                           \
        BLOCKED_UNROLL for (size_t k = 0; k < NB; k++)                                             \
        {                                                                                          \
          VEC bv = LOAD (j->bias + k * L);                                                         \
          BLOCKED_UNROLL for (size_t i = 0; i < NX; i++) acc[k][i] = bv;                           \
        }                                                                                          \
        for (size_t c = 0; c < b->kc; c++) {                                                       \
          const float *wc = j->w + c * b->taps * L;                                                \
          const float *pc = src + c * b->hp * b->wp;                                               \
          for (size_t ky = 0; ky < g->k_h; ky++) {                                                 \
            const float *row = pc + ky * b->wp;                                                    \
            const float *wt = wc + ky * g->k_w * L;                                                \
            for (size_t kx = 0; kx < g->k_w; kx++, wt += L) {                                      \
              VEC wv[NB];                                                                          \
              BLOCKED_UNROLL for (size_t k = 0; k < NB; k++) wv[k] = LOAD (wt + k * b->block_len); \
              BLOCKED_UNROLL for (size_t i = 0; i < NX; i++)                                       \
              {                                                                                    \
                VEC xv = SET1 (row[kx + i]);                                                       \
                BLOCKED_UNROLL for (size_t k = 0; k < NB; k++) acc[k][i] =                         \
                  FMA (wv[k], xv, acc[k][i]);                                                      \
              }                                                                                    \
            }                                                                                      \
          }                                                                                        \
        }                                                                                          \
        BLOCKED_UNROLL for (size_t i = 0; i < NX; i++)                                             \
        {                                                                                          \
          if (i < keep) {                                                                          \
            BLOCKED_UNROLL for (size_t k = 0; k < NB; k++)                                         \
              STORE (dst + i * j->px + k * L, acc[k][i]);                                          \
          }                                                                                        \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
  } while (0)

#define ROWS_AVX512(NB, NX)                                                                        \
  __attribute__ ((target ("avx512f"))) static void rows_avx512_##NB##x##NX (const TileJob *j)      \
  {                                                                                                \
    BLOCKED_ROWS (__m512, 16, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps,  \
                  NB, NX);                                                                         \
  }
#define ROWS_AVX2(NB, NX)                                                                          \
  __attribute__ ((target ("avx2,fma"))) static void rows_avx2_##NB##x##NX (const TileJob *j)       \
  {                                                                                                \
    BLOCKED_ROWS (__m256, 8, _mm256_loadu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps,   \
                  NB, NX);                                                                         \
  }

/* Register budget: NB * NX accumulators, NB weights and one broadcast fit
 * in 32 registers (AVX-512) or 16 (AVX2). A tile that spills one
 * accumulator (4x7, or 2x7 with AVX2) was measured slower than a narrower
 * one that computes more wasted pixels. */
ROWS_AVX512 (4, 6)
ROWS_AVX512 (3, 7)
ROWS_AVX512 (2, 14)
ROWS_AVX512 (2, 7)
ROWS_AVX512 (2, 6)
ROWS_AVX512 (1, 14)
ROWS_AVX512 (1, 7)
ROWS_AVX512 (1, 6)
ROWS_AVX2 (3, 4)
ROWS_AVX2 (2, 6)
ROWS_AVX2 (1, 14)
ROWS_AVX2 (1, 7)
ROWS_AVX2 (1, 6)
#endif

typedef void (*RowsFunc) (const TileJob *j);

typedef struct {
  size_t lanes, nb, nx;
  RowsFunc rows;
} RowsVariant;

#ifdef INK_BLOCKED_X86
static const RowsVariant rows_variants[] = {
  {16, 4, 6, rows_avx512_4x6}, {16, 3, 7, rows_avx512_3x7}, {16, 2, 14, rows_avx512_2x14},
  {16, 2, 7, rows_avx512_2x7}, {16, 2, 6, rows_avx512_2x6}, {16, 1, 14, rows_avx512_1x14},
  {16, 1, 7, rows_avx512_1x7}, {16, 1, 6, rows_avx512_1x6}, {8, 3, 4, rows_avx2_3x4},
  {8, 2, 6, rows_avx2_2x6},    {8, 1, 14, rows_avx2_1x14},  {8, 1, 7, rows_avx2_1x7},
  {8, 1, 6, rows_avx2_1x6},
};
#endif

/* The tile for at most nb_left blocks with the least time per block for
 * rows of cw columns, counting per tap NB * NX FMAs or, when more, NB + NX
 * loads, which were measured to issue at about 3/5 the FMA rate (3/4 on a
 * Zen 5; on a Sapphire Rapids, 2x6 took 1.35 times as long as 4x6 on
 * 64 channels of 6 columns). On a tie, fewer blocks (more of them divide
 * what is left). */
static const RowsVariant *
rows_variant (size_t lanes, size_t nb_left, size_t cw)
{
  const RowsVariant *best = NULL;
#ifdef INK_BLOCKED_X86
  size_t best_cost = SIZE_MAX, best_nb = 0;

  for (size_t i = 0; i < sizeof rows_variants / sizeof rows_variants[0]; i++) {
    const RowsVariant *v = &rows_variants[i];
    size_t fmas = 3 * v->nb * v->nx, loads = 5 * (v->nb + v->nx);
    /* Per block, times 12 (which each NB divides). */
    size_t cost = (fmas > loads ? fmas : loads) * ((cw + v->nx - 1) / v->nx) * 12 / v->nb;
    if (v->lanes != lanes || v->nb > nb_left)
      continue;
    if (cost < best_cost || (cost == best_cost && v->nb < best_nb)) {
      best = v;
      best_cost = cost;
      best_nb = v->nb;
    }
  }
#else
  (void) lanes, (void) nb_left, (void) cw;
#endif
  return best;
}

/* The first `valid` channels of the tile, written out as planes. */
static void
store_planes (const InkWindow *g, const TileJob *j, size_t valid, float *out)
{
  size_t n_out = g->out_h * g->out_w;

  for (size_t o = 0; o < valid; o++) {
    float *dst = out + o * n_out;
    const float *src = j->tile + o;
    for (size_t p = 0; p < n_out; p++)
      dst[p] = src[p * j->px];
  }
}

#ifdef INK_BLOCKED_X86
/* Max pooling of the tile's vectors into pooled row oy, with the
 * comparison of ink_kernel_pool_max (v > m ? v : m, from -FLT_MAX; an empty
 * window gives 0), optionally after ReLU (v > 0 ? v : 0, as
 * ink_kernel_activation). MAXPS(a, b) is exactly a > b ? a : b, NaNs and
 * zeros' signs included. L pooled pixels of L channels at a time are
 * transposed in registers, and each channel's pixels stored as a row. */
#define BLOCKED_POOL(VEC, L, LOAD, SET1, MAX, PUT)                                                 \
  do {                                                                                             \
    size_t plane = pool->out_h * pool->out_w;                                                      \
    const VEC zero = SET1 (0.0f);                                                                  \
    ptrdiff_t y0 = (ptrdiff_t) (oy * pool->stride_h) - (ptrdiff_t) pool->pad_top;                  \
    ptrdiff_t y1 = y0 + (ptrdiff_t) pool->k_h;                                                     \
    y0 = y0 < 0 ? 0 : y0;                                                                          \
    y1 = y1 > (ptrdiff_t) g->out_h ? (ptrdiff_t) g->out_h : y1;                                    \
    for (size_t k = 0; k * L < valid; k++) {                                                       \
      size_t n_ch = valid - k * L < L ? valid - k * L : L;                                         \
      for (size_t ox0 = 0; ox0 < pool->out_w; ox0 += L) {                                          \
        size_t n_px = pool->out_w - ox0 < L ? pool->out_w - ox0 : L;                               \
        VEC r[L];                                                                                  \
        for (size_t i = 0; i < L; i++) {                                                           \
          size_t ox = ox0 + i;                                                                     \
          ptrdiff_t x0 = (ptrdiff_t) (ox * pool->stride_w) - (ptrdiff_t) pool->pad_left;           \
          ptrdiff_t x1 = x0 + (ptrdiff_t) pool->k_w;                                               \
          VEC m = SET1 (-FLT_MAX);                                                                 \
          x0 = x0 < 0 ? 0 : x0;                                                                    \
          x1 = x1 > (ptrdiff_t) g->out_w ? (ptrdiff_t) g->out_w : x1;                              \
          r[i] = zero;                                                                             \
          if (i >= n_px || !(y0 < y1 && x0 < x1))                                                  \
            continue;                                                                              \
          for (ptrdiff_t y = y0; y < y1; y++) {                                                    \
            const float *src = j->tile + ((size_t) y * g->out_w) * j->px + k * L;                  \
            for (ptrdiff_t x = x0; x < x1; x++) {                                                  \
              VEC v = LOAD (src + (size_t) x * j->px);                                             \
              if (relu)                                                                            \
                v = MAX (v, zero);                                                                 \
              m = MAX (v, m);                                                                      \
            }                                                                                      \
          }                                                                                        \
          r[i] = m;                                                                                \
        }                                                                                          \
        PUT (out + k * L * plane + oy * pool->out_w + ox0, plane, r, n_px, n_ch);                  \
      }                                                                                            \
    }                                                                                              \
  } while (0)

/* r[i] holds pixel i's 16 channels: channel c's first n_px pixels go to
 * dst + c * plane, for the first n_ch channels. */
__attribute__ ((target ("avx512f"))) static inline void
put_512 (float *dst, size_t plane, __m512 r[16], size_t n_px, size_t n_ch)
{
  __m512 a[16], b[16];
  __mmask16 keep = (__mmask16) ((1u << n_px) - 1u);

  /* After these, 128-bit lane j of b[4 * i + m] holds channel 4 * j + m of
   * pixels 4 * i to 4 * i + 3. */
  for (size_t i = 0; i < 8; i++) {
    a[2 * i] = _mm512_unpacklo_ps (r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_ps (r[2 * i], r[2 * i + 1]);
  }
  for (size_t i = 0; i < 4; i++) {
    __m512d a0 = _mm512_castps_pd (a[4 * i]), a1 = _mm512_castps_pd (a[4 * i + 1]);
    __m512d a2 = _mm512_castps_pd (a[4 * i + 2]), a3 = _mm512_castps_pd (a[4 * i + 3]);
    b[4 * i] = _mm512_castpd_ps (_mm512_unpacklo_pd (a0, a2));
    b[4 * i + 1] = _mm512_castpd_ps (_mm512_unpackhi_pd (a0, a2));
    b[4 * i + 2] = _mm512_castpd_ps (_mm512_unpacklo_pd (a1, a3));
    b[4 * i + 3] = _mm512_castpd_ps (_mm512_unpackhi_pd (a1, a3));
  }
  for (size_t m = 0; m < 4; m++) {
    __m512 c0 = _mm512_shuffle_f32x4 (b[m], b[4 + m], 0x88);
    __m512 c1 = _mm512_shuffle_f32x4 (b[m], b[4 + m], 0xdd);
    __m512 d0 = _mm512_shuffle_f32x4 (b[8 + m], b[12 + m], 0x88);
    __m512 d1 = _mm512_shuffle_f32x4 (b[8 + m], b[12 + m], 0xdd);
    __m512 ch[4] = {_mm512_shuffle_f32x4 (c0, d0, 0x88), _mm512_shuffle_f32x4 (c1, d1, 0x88),
                    _mm512_shuffle_f32x4 (c0, d0, 0xdd), _mm512_shuffle_f32x4 (c1, d1, 0xdd)};
    for (size_t j = 0; j < 4; j++) {
      if (4 * j + m < n_ch)
        _mm512_mask_storeu_ps (dst + (4 * j + m) * plane, keep, ch[j]);
    }
  }
}

/* As put_512, for 8 pixels of 8 channels. */
__attribute__ ((target ("avx2,fma"))) static inline void
put_256 (float *dst, size_t plane, __m256 r[8], size_t n_px, size_t n_ch)
{
  __m256 a[8], b[8];
  __m256i keep =
    _mm256_cmpgt_epi32 (_mm256_set1_epi32 ((int) n_px), _mm256_set_epi32 (7, 6, 5, 4, 3, 2, 1, 0));

  for (size_t i = 0; i < 4; i++) {
    a[2 * i] = _mm256_unpacklo_ps (r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm256_unpackhi_ps (r[2 * i], r[2 * i + 1]);
  }
  for (size_t i = 0; i < 2; i++) {
    __m256d a0 = _mm256_castps_pd (a[4 * i]), a1 = _mm256_castps_pd (a[4 * i + 1]);
    __m256d a2 = _mm256_castps_pd (a[4 * i + 2]), a3 = _mm256_castps_pd (a[4 * i + 3]);
    b[4 * i] = _mm256_castpd_ps (_mm256_unpacklo_pd (a0, a2));
    b[4 * i + 1] = _mm256_castpd_ps (_mm256_unpackhi_pd (a0, a2));
    b[4 * i + 2] = _mm256_castpd_ps (_mm256_unpacklo_pd (a1, a3));
    b[4 * i + 3] = _mm256_castpd_ps (_mm256_unpackhi_pd (a1, a3));
  }
  for (size_t m = 0; m < 4; m++) {
    __m256 ch[2] = {_mm256_permute2f128_ps (b[m], b[4 + m], 0x20),
                    _mm256_permute2f128_ps (b[m], b[4 + m], 0x31)};
    for (size_t j = 0; j < 2; j++) {
      if (4 * j + m < n_ch)
        _mm256_maskstore_ps (dst + (4 * j + m) * plane, keep, ch[j]);
    }
  }
}

__attribute__ ((target ("avx512f"))) static void
pool_row_avx512 (const InkWindow *g, const TileJob *j, bool relu, const InkWindow *pool, size_t oy,
                 size_t valid, float *out)
{
  BLOCKED_POOL (__m512, 16, _mm512_loadu_ps, _mm512_set1_ps, _mm512_max_ps, put_512);
}

__attribute__ ((target ("avx2,fma"))) static void
pool_row_avx2 (const InkWindow *g, const TileJob *j, bool relu, const InkWindow *pool, size_t oy,
               size_t valid, float *out)
{
  BLOCKED_POOL (__m256, 8, _mm256_loadu_ps, _mm256_set1_ps, _mm256_max_ps, put_256);
}
#endif

/* The fused epilogue of one group of blocks: each pooled row as soon as
 * the rows its windows read are computed, while they are in the cache.
 * Rows and columns that no window reads are not computed. */
static void
pooled_rows (TileJob *j, RowsFunc rows, const InkActivationParams *act, const InkWindow *pool,
             size_t valid, float *out)
{
  const InkWindow *g = j->g;
  bool relu = act != NULL && act->type == INK_ACT_RELU;
  ptrdiff_t done = 0;

  for (size_t oy = 0; oy < pool->out_h; oy++) {
    ptrdiff_t need = (ptrdiff_t) (oy * pool->stride_h + pool->k_h) - (ptrdiff_t) pool->pad_top;
    need = need > (ptrdiff_t) g->out_h ? (ptrdiff_t) g->out_h : need;
    if (need > done) {
      j->y0 = (size_t) done;
      j->y1 = (size_t) need;
      rows (j);
      for (size_t y = j->y0; act != NULL && !relu && y < j->y1; y++) {
        float *t = j->tile + y * g->out_w * j->px;
        ink_kernel_activation (act, t, t, j->cw * j->px);
      }
      done = need;
    }
#ifdef INK_BLOCKED_X86
    if (j->b->lanes == 16)
      pool_row_avx512 (g, j, relu, pool, oy, valid, out);
    else
      pool_row_avx2 (g, j, relu, pool, oy, valid, out);
#else
    (void) valid, (void) out;
#endif
  }
}

void
ink_kernel_conv_blocked (const InkWindow *g, const float *packed, const float *in, float *out,
                         float *scratch, const InkActivationParams *act, const InkWindow *pool,
                         float *pool_out)
{
  Blocked b;
  size_t oc_per_group = g->out_c / g->groups;
  size_t cw = g->out_w;
  const float *packed_bias;

  if (!blocked_geometry (g, &b))
    return;
  if (pool != NULL) {
    /* The columns the pooling windows read (fusable: within out_w). */
    ptrdiff_t last =
      (ptrdiff_t) ((pool->out_w - 1) * pool->stride_w + pool->k_w) - (ptrdiff_t) pool->pad_left;
    cw = last < 1 ? 1 : last < (ptrdiff_t) cw ? (size_t) last : cw;
  }
  packed_bias = packed + g->groups * b.blocks * b.block_len;
  for (size_t grp = 0; grp < g->groups; grp++) {
    float *planes = scratch;
    blocked_pad (g, &b, in + grp * b.kc * g->in_h * g->in_w, planes);
    for (size_t blk = 0; blk < b.blocks;) {
      const RowsVariant *v = rows_variant (b.lanes, b.blocks - blk, cw);
      size_t nb, first = grp * oc_per_group + blk * b.lanes;
      size_t valid = oc_per_group - blk * b.lanes;
      TileJob j;
      if (v == NULL)
        return;
      nb = v->nb;
      j = (TileJob){
        .g = g,
        .b = &b,
        .w = packed + (grp * b.blocks + blk) * b.block_len,
        .bias = packed_bias + (grp * b.blocks + blk) * b.lanes,
        .planes = planes,
        .tile = planes + b.planes + BLOCKED_SLACK (g),
        .px = nb * b.lanes,
        .y0 = 0,
        .y1 = g->out_h,
        .cw = cw,
      };
      valid = valid < nb * b.lanes ? valid : nb * b.lanes;
      if (pool == NULL) {
        v->rows (&j);
        store_planes (g, &j, valid, out + first * g->out_h * g->out_w);
      } else {
        pooled_rows (&j, v->rows, act, pool, valid, pool_out + first * pool->out_h * pool->out_w);
      }
      blk += nb;
    }
  }
}

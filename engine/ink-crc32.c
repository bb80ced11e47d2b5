/* ink-crc32.c: CRC-32 (IEEE 802.3), table-driven and with PCLMULQDQ
 *
 * The folding variant follows V. Gopal, E. Ozturk et al., "Fast CRC
 * Computation for Generic Polynomials Using PCLMULQDQ Instruction" (Intel,
 * 2009), in the bit-reflected domain: four 128-bit lanes are folded over
 * 64-byte blocks, then into one lane, then 16 bytes at a time; the last
 * 128 bits are reduced to 64, then to 32 with Barrett's method. The
 * constants are x^n mod P(x) (bit-reflected, shifted left by one) for the
 * fold distances, and floor(x^64 / P(x)) for the reduction; they are the
 * ones of Linux's crc32-pclmul and Chromium's zlib. Tail bytes (fewer than
 * 16, and inputs under 64 bytes) go through the table.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-crc32.h"
#include "ink-util-private.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define INK_CRC_X86 1
#endif

/* ---- Slicing-by-8 tables ---- */

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
crc_init (void)
{
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;

    for (int k = 0; k < 8; k++)
      c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    crc_table[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; i++)
    for (int t = 1; t < 8; t++)
      crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

/* On the inverted register (as the folding code is). */
static uint32_t
table_update (uint32_t crc, const uint8_t *p, size_t n)
{
  pthread_once (&crc_once, crc_init);
  while (n >= 8) {
    uint32_t a = crc ^ ink_load_le32 (p);
    uint32_t b = ink_load_le32 (p + 4);

    crc = crc_table[7][a & 0xff] ^ crc_table[6][(a >> 8) & 0xff] ^ crc_table[5][(a >> 16) & 0xff] ^
          crc_table[4][a >> 24] ^ crc_table[3][b & 0xff] ^ crc_table[2][(b >> 8) & 0xff] ^
          crc_table[1][(b >> 16) & 0xff] ^ crc_table[0][b >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0)
    crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

uint32_t
ink_crc32_portable (uint32_t crc, const void *data, size_t size)
{
  if (size == 0)
    return crc;
  return ~table_update (~crc, data, size);
}

/* ---- Folding with PCLMULQDQ ---- */

#ifdef INK_CRC_X86
/* n >= 64 and a multiple of 16; crc is the inverted register. */
__attribute__ ((target ("pclmul,sse4.1"))) static uint32_t
fold_update (uint32_t crc, const uint8_t *p, size_t n)
{
  const __m128i k1k2 = _mm_set_epi64x (0x01c6e41596, 0x0154442bd4);
  const __m128i k3k4 = _mm_set_epi64x (0x00ccaa009e, 0x01751997d0);
  const __m128i k5k0 = _mm_set_epi64x (0, 0x0163cd6124);
  const __m128i poly = _mm_set_epi64x (0x01f7011641, 0x01db710641);
  const __m128i low32 = _mm_setr_epi32 (~0, 0, ~0, 0);
  __m128i x1, x2, x3, x4, t1, t2, t3, t4;

  x1 = _mm_loadu_si128 ((const __m128i *) (p + 0x00));
  x2 = _mm_loadu_si128 ((const __m128i *) (p + 0x10));
  x3 = _mm_loadu_si128 ((const __m128i *) (p + 0x20));
  x4 = _mm_loadu_si128 ((const __m128i *) (p + 0x30));
  x1 = _mm_xor_si128 (x1, _mm_cvtsi32_si128 ((int) crc));
  p += 64;
  n -= 64;

  /* Four lanes, 64 bytes at a time. */
  while (n >= 64) {
    t1 = _mm_clmulepi64_si128 (x1, k1k2, 0x00);
    t2 = _mm_clmulepi64_si128 (x2, k1k2, 0x00);
    t3 = _mm_clmulepi64_si128 (x3, k1k2, 0x00);
    t4 = _mm_clmulepi64_si128 (x4, k1k2, 0x00);
    x1 = _mm_clmulepi64_si128 (x1, k1k2, 0x11);
    x2 = _mm_clmulepi64_si128 (x2, k1k2, 0x11);
    x3 = _mm_clmulepi64_si128 (x3, k1k2, 0x11);
    x4 = _mm_clmulepi64_si128 (x4, k1k2, 0x11);
    x1 = _mm_xor_si128 (_mm_xor_si128 (x1, t1), _mm_loadu_si128 ((const __m128i *) (p + 0x00)));
    x2 = _mm_xor_si128 (_mm_xor_si128 (x2, t2), _mm_loadu_si128 ((const __m128i *) (p + 0x10)));
    x3 = _mm_xor_si128 (_mm_xor_si128 (x3, t3), _mm_loadu_si128 ((const __m128i *) (p + 0x20)));
    x4 = _mm_xor_si128 (_mm_xor_si128 (x4, t4), _mm_loadu_si128 ((const __m128i *) (p + 0x30)));
    p += 64;
    n -= 64;
  }

  /* Into one lane. */
  t1 = _mm_clmulepi64_si128 (x1, k3k4, 0x00);
  x1 = _mm_xor_si128 (_mm_xor_si128 (_mm_clmulepi64_si128 (x1, k3k4, 0x11), x2), t1);
  t1 = _mm_clmulepi64_si128 (x1, k3k4, 0x00);
  x1 = _mm_xor_si128 (_mm_xor_si128 (_mm_clmulepi64_si128 (x1, k3k4, 0x11), x3), t1);
  t1 = _mm_clmulepi64_si128 (x1, k3k4, 0x00);
  x1 = _mm_xor_si128 (_mm_xor_si128 (_mm_clmulepi64_si128 (x1, k3k4, 0x11), x4), t1);

  /* 16 bytes at a time. */
  while (n >= 16) {
    t1 = _mm_clmulepi64_si128 (x1, k3k4, 0x00);
    x1 = _mm_xor_si128 (
      _mm_xor_si128 (_mm_clmulepi64_si128 (x1, k3k4, 0x11), _mm_loadu_si128 ((const __m128i *) p)),
      t1);
    p += 16;
    n -= 16;
  }

  /* 128 bits to 64. */
  x2 = _mm_clmulepi64_si128 (x1, k3k4, 0x10);
  x1 = _mm_xor_si128 (_mm_srli_si128 (x1, 8), x2);
  x2 = _mm_srli_si128 (x1, 4);
  x1 = _mm_and_si128 (x1, low32);
  x1 = _mm_xor_si128 (_mm_clmulepi64_si128 (x1, k5k0, 0x00), x2);

  /* Barrett reduction to 32 bits. */
  x2 = _mm_and_si128 (x1, low32);
  x2 = _mm_clmulepi64_si128 (x2, poly, 0x10);
  x2 = _mm_and_si128 (x2, low32);
  x2 = _mm_clmulepi64_si128 (x2, poly, 0x00);
  x1 = _mm_xor_si128 (x1, x2);
  return (uint32_t) _mm_extract_epi32 (x1, 1);
}

static bool
use_fold (void)
{
  /* Atomic: several threads may ask at once on first use. */
  static _Atomic int level = -1;
  int l = atomic_load_explicit (&level, memory_order_relaxed);

  if (l < 0) {
    const char *cap = getenv ("INKLING_SIMD");
    __builtin_cpu_init ();
    l = __builtin_cpu_supports ("pclmul") && __builtin_cpu_supports ("sse4.1");
    if (cap != NULL && strcmp (cap, "generic") == 0)
      l = 0;
    atomic_store_explicit (&level, l, memory_order_relaxed);
  }
  return l == 1;
}
#endif

uint32_t
ink_crc32 (uint32_t crc, const void *data, size_t size)
{
  const uint8_t *p = data;

  if (size == 0)
    return crc;
  crc = ~crc;
#ifdef INK_CRC_X86
  if (size >= 64 && use_fold ()) {
    size_t blocks = size & ~(size_t) 15;
    crc = fold_update (crc, p, blocks);
    p += blocks;
    size -= blocks;
  }
#endif
  return ~table_update (crc, p, size);
}

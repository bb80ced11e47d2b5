/* ink-util-private.h: small helpers shared inside the engine
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

char *ink_strdup (const char *s);

/* *out = a * b; false on overflow. */
static inline bool
ink_size_mul (size_t a, size_t b, size_t *out)
{
  return !__builtin_mul_overflow (a, b, out);
}

/* Little-endian loads and stores, for file formats whatever the host's
 * byte order. */
static inline uint32_t
ink_load_le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static inline uint64_t
ink_load_le64 (const uint8_t *p)
{
  return (uint64_t) ink_load_le32 (p) | (uint64_t) ink_load_le32 (p + 4) << 32;
}

static inline void
ink_store_le32 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
  p[2] = (uint8_t) (v >> 16);
  p[3] = (uint8_t) (v >> 24);
}

static inline void
ink_store_le64 (uint8_t *p, uint64_t v)
{
  ink_store_le32 (p, (uint32_t) v);
  ink_store_le32 (p + 4, (uint32_t) (v >> 32));
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
 * U+10FFFF, no NUL bytes. Returns the offset of the first character that
 * breaks a rule, or n when all of s is valid. */
size_t ink_utf8_check (const uint8_t *s, size_t n);

/* Makes room for one more element in a growable array: doubles *cap when
 * n == cap. Returns false (array untouched) when out of memory. */
bool ink_grow (void **array, size_t elem_size, size_t n, size_t *cap);
#define INK_GROW(array, n, cap) ink_grow ((void **) &(array), sizeof *(array), (n), &(cap))

/* Frees a NULL-terminated or counted array of strings. */
void ink_strv_free (char **strv, size_t n);
/* Copies n strings; NULL on failure. */
char **ink_strv_copy (const char *const *strv, size_t n);

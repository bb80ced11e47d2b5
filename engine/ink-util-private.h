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

/* Makes room for one more element in a growable array: doubles *cap when
 * n == cap. Returns false (array untouched) when out of memory. */
bool ink_grow (void **array, size_t elem_size, size_t n, size_t *cap);
#define INK_GROW(array, n, cap) ink_grow ((void **) &(array), sizeof *(array), (n), &(cap))

/* Frees a NULL-terminated or counted array of strings. */
void ink_strv_free (char **strv, size_t n);
/* Copies n strings; NULL on failure. */
char **ink_strv_copy (const char *const *strv, size_t n);

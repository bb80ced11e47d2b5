/* ink-util.c: small helpers shared inside the engine
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-util-private.h"

#include <string.h>

char *
ink_strdup (const char *s)
{
  size_t n;
  char *c;

  if (s == NULL)
    return NULL;
  n = strlen (s) + 1;
  c = malloc (n);
  if (c != NULL)
    memcpy (c, s, n);
  return c;
}

size_t
ink_utf8_check (const uint8_t *s, size_t n)
{
  size_t i = 0;

  while (i < n) {
    uint8_t c = s[i];
    size_t len;
    uint32_t cp, min;

    if (c == 0)
      return i;
    if (c < 0x80) {
      i++;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return i;
    }
    if (n - i < len)
      return i;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return i;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return n;
}

bool
ink_grow (void **array, size_t elem_size, size_t n, size_t *cap)
{
  size_t new_cap;
  void *p;

  if (n < *cap)
    return true;
  new_cap = *cap == 0 ? 8 : *cap * 2;
  if (new_cap > SIZE_MAX / elem_size)
    return false;
  p = realloc (*array, new_cap * elem_size);
  if (p == NULL)
    return false;
  *array = p;
  *cap = new_cap;
  return true;
}

void
ink_strv_free (char **strv, size_t n)
{
  if (strv == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    free (strv[i]);
  free (strv);
}

char **
ink_strv_copy (const char *const *strv, size_t n)
{
  char **c = calloc (n > 0 ? n : 1, sizeof *c);

  if (c == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    c[i] = ink_strdup (strv[i] != NULL ? strv[i] : "");
    if (c[i] == NULL) {
      ink_strv_free (c, i);
      return NULL;
    }
  }
  return c;
}

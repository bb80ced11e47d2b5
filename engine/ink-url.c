/* ink-url.c: resolving a manifest's relative model URLs (RFC 3986, 5.2)
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-manifest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ink-util-private.h"

/* Length of the scheme plus its ':' when s starts with one, else 0. */
static size_t
scheme_length (const char *s)
{
  size_t i = 0;

  if (!isalpha ((unsigned char) s[0]))
    return 0;
  while (isalnum ((unsigned char) s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
    i++;
  return s[i] == ':' ? i + 1 : 0;
}

/* Removes "." and ".." segments from a path (RFC 3986, 5.2.4), in place. */
static void
remove_dot_segments (char *path)
{
  char *in = path, *out = path;

  while (*in != '\0') {
    if (strncmp (in, "../", 3) == 0) {
      in += 3;
    } else if (strncmp (in, "./", 2) == 0) {
      in += 2;
    } else if (strncmp (in, "/./", 3) == 0) {
      in += 2;
    } else if (strcmp (in, "/.") == 0) {
      in[1] = '\0';
    } else if (strncmp (in, "/../", 4) == 0 || strcmp (in, "/..") == 0) {
      /* drop the last output segment */
      if (in[3] == '\0') {
        in += 2;
        *in = '/';
      } else {
        in += 3;
      }
      while (out > path && *--out != '/')
        ;
    } else if (strcmp (in, ".") == 0 || strcmp (in, "..") == 0) {
      in += strlen (in);
    } else {
      /* move the first segment (with its leading '/') to the output */
      if (*in == '/')
        *out++ = *in++;
      while (*in != '\0' && *in != '/')
        *out++ = *in++;
    }
  }
  *out = '\0';
}

static char *
concat3 (const char *a, size_t na, const char *b, size_t nb, const char *c)
{
  size_t nc = strlen (c);
  char *s = malloc (na + nb + nc + 1);

  if (s == NULL)
    return NULL;
  memcpy (s, a, na);
  memcpy (s + na, b, nb);
  memcpy (s + na + nb, c, nc + 1);
  return s;
}

char *
ink_url_resolve (const char *base, const char *ref, InkError *err)
{
  size_t scheme, authority_end, path_end, ref_path_len;
  const char *p;
  char *merged, *result;

  if (base == NULL || ref == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no URL to resolve");
    return NULL;
  }
  if (scheme_length (ref) > 0) {
    result = ink_strdup (ref);
    if (result == NULL)
      ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return result;
  }
  scheme = scheme_length (base);
  if (scheme == 0 || strncmp (base + scheme, "//", 2) != 0 ||
      !((scheme == 5 && strncasecmp (base, "http:", 5) == 0) ||
        (scheme == 6 && strncasecmp (base, "https:", 6) == 0))) {
    ink_error_set (err, INK_ERR_FORMAT, "cannot resolve \"%s\": \"%s\" is not an http(s) URL", ref,
                   base);
    return NULL;
  }
  /* base = scheme "//" authority path [? query] [# fragment] */
  p = base + scheme + 2;
  authority_end = scheme + 2 + strcspn (p, "/?#");
  path_end = authority_end + strcspn (base + authority_end, "?#");

  if (strncmp (ref, "//", 2) == 0) {
    result = concat3 (base, scheme, "", 0, ref);
  } else if (ref[0] == '\0') {
    result = concat3 (base, strcspn (base, "#"), "", 0, "");
  } else if (ref[0] == '#') {
    result = concat3 (base, strcspn (base, "#"), "", 0, ref);
  } else if (ref[0] == '?') {
    result = concat3 (base, path_end, "", 0, ref);
  } else {
    ref_path_len = strcspn (ref, "?#");
    if (ref[0] == '/') {
      merged = malloc (ref_path_len + 1);
      if (merged != NULL) {
        memcpy (merged, ref, ref_path_len);
        merged[ref_path_len] = '\0';
      }
    } else {
      /* the base path up to its last '/', then the reference's path */
      size_t dir_end = path_end;

      while (dir_end > authority_end && base[dir_end - 1] != '/')
        dir_end--;
      if (dir_end == authority_end)
        merged = concat3 ("/", 1, ref, ref_path_len, "");
      else
        merged = concat3 (base + authority_end, dir_end - authority_end, ref, ref_path_len, "");
    }
    if (merged == NULL) {
      ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
      return NULL;
    }
    remove_dot_segments (merged);
    if (merged[0] != '/') {
      char *rooted = concat3 ("/", 1, merged, strlen (merged), "");

      free (merged);
      merged = rooted;
      if (merged == NULL) {
        ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
        return NULL;
      }
    }
    result = concat3 (base, authority_end, merged, strlen (merged), ref + ref_path_len);
    free (merged);
  }
  if (result == NULL)
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  return result;
}

/* ink-features.c: feature providers and batch providers
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-features.h"

#include <string.h>

#include "ink-util-private.h"

struct InkFeatures {
  char **names;
  InkValue **values;
  size_t n, cap, vcap;
};

struct InkBatch {
  InkFeatures **items;
  size_t n, cap;
};

InkFeatures *
ink_features_new (void)
{
  return calloc (1, sizeof (InkFeatures));
}

void
ink_features_free (InkFeatures *f)
{
  if (f == NULL)
    return;
  for (size_t i = 0; i < f->n; i++) {
    free (f->names[i]);
    ink_value_free (f->values[i]);
  }
  free (f->names);
  free (f->values);
  free (f);
}

InkFeatures *
ink_features_copy (const InkFeatures *f)
{
  InkFeatures *c = ink_features_new ();

  for (size_t i = 0; c != NULL && f != NULL && i < f->n; i++) {
    if (ink_features_set (c, f->names[i], ink_value_copy (f->values[i])) != INK_OK) {
      ink_features_free (c);
      return NULL;
    }
  }
  return c;
}

static size_t
find (const InkFeatures *f, const char *name)
{
  for (size_t i = 0; i < f->n; i++) {
    if (strcmp (f->names[i], name) == 0)
      return i;
  }
  return SIZE_MAX;
}

InkStatus
ink_features_set (InkFeatures *f, const char *name, InkValue *value)
{
  size_t i;
  char *copy;

  if (f == NULL || name == NULL || value == NULL) {
    ink_value_free (value);
    return value == NULL ? INK_ERR_NO_MEMORY : INK_ERR_INVALID_ARGUMENT;
  }
  i = find (f, name);
  if (i != SIZE_MAX) {
    ink_value_free (f->values[i]);
    f->values[i] = value;
    return INK_OK;
  }
  copy = ink_strdup (name);
  if (copy == NULL || !INK_GROW (f->names, f->n, f->cap) || !INK_GROW (f->values, f->n, f->vcap)) {
    free (copy);
    ink_value_free (value);
    return INK_ERR_NO_MEMORY;
  }
  f->names[f->n] = copy;
  f->values[f->n] = value;
  f->n++;
  return INK_OK;
}

InkStatus
ink_features_set_double (InkFeatures *f, const char *name, double v)
{
  return ink_features_set (f, name, ink_value_new_double (v));
}

InkStatus
ink_features_set_int64 (InkFeatures *f, const char *name, int64_t v)
{
  return ink_features_set (f, name, ink_value_new_int64 (v));
}

InkStatus
ink_features_set_string (InkFeatures *f, const char *name, const char *v)
{
  return ink_features_set (f, name, ink_value_new_string (v));
}

const InkValue *
ink_features_get (const InkFeatures *f, const char *name)
{
  size_t i;

  if (f == NULL || name == NULL)
    return NULL;
  i = find (f, name);
  return i != SIZE_MAX ? f->values[i] : NULL;
}

InkValue *
ink_features_take (InkFeatures *f, const char *name)
{
  size_t i;
  InkValue *v;

  if (f == NULL || name == NULL || (i = find (f, name)) == SIZE_MAX)
    return NULL;
  v = f->values[i];
  free (f->names[i]);
  memmove (&f->names[i], &f->names[i + 1], (f->n - i - 1) * sizeof *f->names);
  memmove (&f->values[i], &f->values[i + 1], (f->n - i - 1) * sizeof *f->values);
  f->n--;
  return v;
}

size_t
ink_features_count (const InkFeatures *f)
{
  return f != NULL ? f->n : 0;
}

const char *
ink_features_name_at (const InkFeatures *f, size_t i)
{
  return i < ink_features_count (f) ? f->names[i] : NULL;
}

const InkValue *
ink_features_value_at (const InkFeatures *f, size_t i)
{
  return i < ink_features_count (f) ? f->values[i] : NULL;
}

InkBatch *
ink_batch_new (void)
{
  return calloc (1, sizeof (InkBatch));
}

void
ink_batch_free (InkBatch *b)
{
  if (b == NULL)
    return;
  for (size_t i = 0; i < b->n; i++)
    ink_features_free (b->items[i]);
  free (b->items);
  free (b);
}

InkStatus
ink_batch_append (InkBatch *b, InkFeatures *f)
{
  if (b == NULL || f == NULL) {
    ink_features_free (f);
    return INK_ERR_INVALID_ARGUMENT;
  }
  if (!INK_GROW (b->items, b->n, b->cap)) {
    ink_features_free (f);
    return INK_ERR_NO_MEMORY;
  }
  b->items[b->n++] = f;
  return INK_OK;
}

size_t
ink_batch_count (const InkBatch *b)
{
  return b != NULL ? b->n : 0;
}

const InkFeatures *
ink_batch_get (const InkBatch *b, size_t i)
{
  return i < ink_batch_count (b) ? b->items[i] : NULL;
}

/* ink-labels.c: class labels, strings or int64
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-model-private.h"

#include <math.h>
#include <string.h>

void
ink_labels_clear (InkLabels *l)
{
  if (l == NULL)
    return;
  ink_strv_free (l->strings, l->n);
  free (l->ints);
  memset (l, 0, sizeof *l);
}

bool
ink_labels_copy (InkLabels *dst, const InkLabels *src)
{
  InkLabels c = {.is_int64 = src->is_int64};

  for (size_t i = 0; i < src->n; i++) {
    bool ok = src->is_int64 ? ink_labels_append_int64 (&c, src->ints[i])
                            : ink_labels_append_string (&c, src->strings[i]);
    if (!ok) {
      ink_labels_clear (&c);
      return false;
    }
  }
  ink_labels_clear (dst);
  *dst = c;
  return true;
}

/* An empty list takes the type of its first label; the types never mix. */
static bool
labels_take_type (InkLabels *l, bool is_int64)
{
  if (l->n > 0)
    return l->is_int64 == is_int64;
  if (l->is_int64 != is_int64) {
    ink_labels_clear (l);
    l->is_int64 = is_int64;
  }
  return true;
}

bool
ink_labels_append_string (InkLabels *l, const char *s)
{
  char *c;

  if (s == NULL || !labels_take_type (l, false) || !INK_GROW (l->strings, l->n, l->cap))
    return false;
  c = ink_strdup (s);
  if (c == NULL)
    return false;
  l->strings[l->n++] = c;
  return true;
}

bool
ink_labels_append_int64 (InkLabels *l, int64_t v)
{
  if (!labels_take_type (l, true) || !INK_GROW (l->ints, l->n, l->cap))
    return false;
  l->ints[l->n++] = v;
  return true;
}

size_t
ink_labels_find_string (const InkLabels *l, const char *s)
{
  if (l->is_int64 || s == NULL)
    return SIZE_MAX;
  for (size_t i = 0; i < l->n; i++) {
    if (strcmp (l->strings[i], s) == 0)
      return i;
  }
  return SIZE_MAX;
}

size_t
ink_labels_find_int64 (const InkLabels *l, int64_t v)
{
  if (!l->is_int64)
    return SIZE_MAX;
  for (size_t i = 0; i < l->n; i++) {
    if (l->ints[i] == v)
      return i;
  }
  return SIZE_MAX;
}

/* int64 labels are JSON numbers, so they round-trip exactly only within
 * +-2^53; Core ML class labels are small in practice. */
cJSON *
ink_labels_to_json (const InkLabels *l)
{
  cJSON *array = cJSON_CreateArray ();

  if (array == NULL)
    return NULL;
  for (size_t i = 0; i < l->n; i++) {
    cJSON *item =
      l->is_int64 ? cJSON_CreateNumber ((double) l->ints[i]) : cJSON_CreateString (l->strings[i]);

    if (item == NULL || !cJSON_AddItemToArray (array, item)) {
      cJSON_Delete (item);
      cJSON_Delete (array);
      return NULL;
    }
  }
  return array;
}

static InkStatus
label_from_item (InkLabels *l, const cJSON *item, size_t i, InkError *err)
{
  bool want_int = l->n > 0 ? l->is_int64 : cJSON_IsNumber (item);
  double d;

  if (l->n == 0 && !cJSON_IsNumber (item) && !cJSON_IsString (item))
    return ink_error_set (err, INK_ERR_FORMAT, "class label 0 is neither a string nor an integer");
  if (want_int) {
    if (!cJSON_IsNumber (item))
      return ink_error_set (err, INK_ERR_FORMAT, "class label %zu is not an integer like label 0",
                            i);
    d = item->valuedouble;
    if (!isfinite (d) || d != floor (d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
      return ink_error_set (err, INK_ERR_FORMAT, "class label %zu is not a 64-bit integer", i);
    if (!ink_labels_append_int64 (l, (int64_t) d))
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading class labels");
    return INK_OK;
  }
  if (!cJSON_IsString (item) || item->valuestring == NULL)
    return ink_error_set (err, INK_ERR_FORMAT, "class label %zu is not a string like label 0", i);
  if (!ink_labels_append_string (l, item->valuestring))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading class labels");
  return INK_OK;
}

InkStatus
ink_labels_from_json (InkLabels *l, const cJSON *json, InkError *err)
{
  InkLabels r = {0};
  const cJSON *item;
  size_t i = 0;

  if (!cJSON_IsArray (json))
    return ink_error_set (err, INK_ERR_FORMAT, "class labels are not an array");
  for (item = json->child; item != NULL; item = item->next) {
    InkStatus st = label_from_item (&r, item, i++, err);

    if (st != INK_OK) {
      ink_labels_clear (&r);
      return st;
    }
  }
  ink_labels_clear (l);
  *l = r;
  return INK_OK;
}

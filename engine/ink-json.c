/* ink-json.c: typed getters for the model JSON, with errors naming the key
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-model-private.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The item under key, or NULL with err set when obj is not an object or
 * the key is absent (absent is only an error when required). */
static const cJSON *
lookup (const cJSON *obj, const char *key, bool required, InkStatus *st, InkError *err)
{
  const cJSON *item;

  *st = INK_OK;
  if (!cJSON_IsObject (obj)) {
    *st = ink_error_set (err, INK_ERR_FORMAT, "expected an object holding \"%s\"", key);
    return NULL;
  }
  item = cJSON_GetObjectItemCaseSensitive (obj, key);
  if (item == NULL && required)
    *st = ink_error_set (err, INK_ERR_FORMAT, "missing key \"%s\"", key);
  return item;
}

static InkStatus
read_string (const cJSON *item, const char *key, const char **out, InkError *err)
{
  if (!cJSON_IsString (item) || item->valuestring == NULL)
    return ink_error_set (err, INK_ERR_FORMAT, "\"%s\" is not a string", key);
  *out = item->valuestring;
  return INK_OK;
}

static InkStatus
read_number (const cJSON *item, const char *key, double *out, InkError *err)
{
  if (!cJSON_IsNumber (item))
    return ink_error_set (err, INK_ERR_FORMAT, "\"%s\" is not a number", key);
  *out = item->valuedouble;
  return INK_OK;
}

static InkStatus
read_bool (const cJSON *item, const char *key, bool *out, InkError *err)
{
  if (!cJSON_IsBool (item))
    return ink_error_set (err, INK_ERR_FORMAT, "\"%s\" is not a boolean", key);
  *out = cJSON_IsTrue (item);
  return INK_OK;
}

InkStatus
ink_json_get_string (const cJSON *obj, const char *key, const char **out, InkError *err)
{
  InkStatus st;
  const cJSON *item = lookup (obj, key, true, &st, err);

  return item == NULL ? st : read_string (item, key, out, err);
}

InkStatus
ink_json_get_number (const cJSON *obj, const char *key, double *out, InkError *err)
{
  InkStatus st;
  const cJSON *item = lookup (obj, key, true, &st, err);

  return item == NULL ? st : read_number (item, key, out, err);
}

InkStatus
ink_json_get_int (const cJSON *obj, const char *key, int64_t min, int64_t max, int64_t *out,
                  InkError *err)
{
  InkStatus st;
  const cJSON *item = lookup (obj, key, true, &st, err);
  double d;
  int64_t v;

  if (item == NULL)
    return st;
  if (!cJSON_IsNumber (item) || !isfinite (item->valuedouble) ||
      item->valuedouble != floor (item->valuedouble))
    return ink_error_set (err, INK_ERR_FORMAT, "\"%s\" is not an integer", key);
  d = item->valuedouble;
  /* 2^63 is exact in a double; anything at or above it does not fit. */
  if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
    return ink_error_set (err, INK_ERR_FORMAT, "\"%s\" is out of range", key);
  v = (int64_t) d;
  if (v < min || v > max)
    return ink_error_set (err, INK_ERR_FORMAT,
                          "\"%s\" is %" PRId64 ", outside [%" PRId64 ", %" PRId64 "]", key, v, min,
                          max);
  *out = v;
  return INK_OK;
}

InkStatus
ink_json_get_bool (const cJSON *obj, const char *key, bool *out, InkError *err)
{
  InkStatus st;
  const cJSON *item = lookup (obj, key, true, &st, err);

  return item == NULL ? st : read_bool (item, key, out, err);
}

InkStatus
ink_json_opt_string (const cJSON *obj, const char *key, const char **out, InkError *err)
{
  InkStatus st;
  const cJSON *item = lookup (obj, key, false, &st, err);

  return item == NULL ? st : read_string (item, key, out, err);
}

InkStatus
ink_json_opt_number (const cJSON *obj, const char *key, double *out, InkError *err)
{
  InkStatus st;
  const cJSON *item = lookup (obj, key, false, &st, err);

  return item == NULL ? st : read_number (item, key, out, err);
}

InkStatus
ink_json_opt_bool (const cJSON *obj, const char *key, bool *out, InkError *err)
{
  InkStatus st;
  const cJSON *item = lookup (obj, key, false, &st, err);

  return item == NULL ? st : read_bool (item, key, out, err);
}

InkStatus
ink_json_get_choice (const cJSON *obj, const char *key, const char *const *names, size_t n_names,
                     int *out, InkError *err)
{
  const char *s;
  InkStatus st = ink_json_get_string (obj, key, &s, err);

  if (st != INK_OK)
    return st;
  for (size_t i = 0; i < n_names; i++) {
    if (strcmp (s, names[i]) == 0) {
      *out = (int) i;
      return INK_OK;
    }
  }
  return ink_error_set (err, INK_ERR_FORMAT, "\"%s\" has an unknown value \"%s\"", key, s);
}

InkStatus
ink_json_get_doubles (const cJSON *obj, const char *key, double **out, size_t *n, InkError *err)
{
  InkStatus st;
  const cJSON *item = lookup (obj, key, true, &st, err);
  const cJSON *e;
  size_t count = 0, i = 0;
  double *v;

  if (item == NULL)
    return st;
  if (!cJSON_IsArray (item))
    return ink_error_set (err, INK_ERR_FORMAT, "\"%s\" is not an array", key);
  for (e = item->child; e != NULL; e = e->next) {
    if (!cJSON_IsNumber (e))
      return ink_error_set (err, INK_ERR_FORMAT, "\"%s\"[%zu] is not a number", key, count);
    count++;
  }
  v = malloc ((count > 0 ? count : 1) * sizeof *v);
  if (v == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading \"%s\"", key);
  for (e = item->child; e != NULL; e = e->next)
    v[i++] = e->valuedouble;
  *out = v;
  *n = count;
  return INK_OK;
}

cJSON *
ink_json_doubles (const double *v, size_t n)
{
  cJSON *array = cJSON_CreateArray ();

  if (array == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    cJSON *num = cJSON_CreateNumber (v[i]);

    if (num == NULL || !cJSON_AddItemToArray (array, num)) {
      cJSON_Delete (num);
      cJSON_Delete (array);
      return NULL;
    }
  }
  return array;
}

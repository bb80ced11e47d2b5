/* ink-imputer-json.c: the imputer's .inkmodel JSON body
 *
 * The body mirrors Core ML's Imputer message (field numbers in
 * ink-imputer.c), one member per oneof case set:
 *   {"imputer": {exactly one of "imputedDoubleValue": 1.5,
 *                  "imputedInt64Value": 3, "imputedStringValue": "a",
 *                  "imputedDoubleArray": [...], "imputedInt64Array": [...],
 *                  "imputedStringDictionary": [{"key": "a", "value": 1}, ...],
 *                  "imputedInt64Dictionary": [{"key": 2, "value": 1}, ...],
 *                at most one of "replaceDoubleValue": 0 | "NaN" | "Infinity"
 *                  | "-Infinity", "replaceInt64Value": -1,
 *                  "replaceStringValue": ""}}
 *
 * int64 values beyond 2^53 in magnitude are decimal strings; a replace
 * double may be NaN or infinite, written as a string.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-features-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The JSON (and Core ML) field name of each imputed variant. */
static const char *const imputed_keys[] = {
  [INK_IMPUTED_NONE] = NULL,
  [INK_IMPUTED_DOUBLE] = "imputedDoubleValue",
  [INK_IMPUTED_INT64] = "imputedInt64Value",
  [INK_IMPUTED_STRING] = "imputedStringValue",
  [INK_IMPUTED_DOUBLE_ARRAY] = "imputedDoubleArray",
  [INK_IMPUTED_INT64_ARRAY] = "imputedInt64Array",
  [INK_IMPUTED_STRING_DICTIONARY] = "imputedStringDictionary",
  [INK_IMPUTED_INT64_DICTIONARY] = "imputedInt64Dictionary",
};

#define N_IMPUTED (sizeof imputed_keys / sizeof imputed_keys[0])

static cJSON *
int64s_to_json (const int64_t *v, size_t n)
{
  cJSON *array = cJSON_CreateArray ();

  for (size_t i = 0; array != NULL && i < n; i++) {
    cJSON *item = ink_fm_json_int64 (v[i]);

    if (item == NULL || !cJSON_AddItemToArray (array, item)) {
      cJSON_Delete (item);
      cJSON_Delete (array);
      array = NULL;
    }
  }
  return array;
}

static cJSON *
dictionary_to_json (const InkImputer *b)
{
  cJSON *array = cJSON_CreateArray ();

  for (size_t i = 0; array != NULL && i < b->dict_keys.n; i++) {
    cJSON *e = cJSON_CreateObject ();
    cJSON *key = b->dict_keys.is_int64 ? ink_fm_json_int64 (b->dict_keys.ints[i])
                                       : cJSON_CreateString (b->dict_keys.strings[i]);
    bool ok = e != NULL && key != NULL && cJSON_AddItemToObject (e, "key", key);

    if (!ok)
      cJSON_Delete (key);
    ok = ok && cJSON_AddNumberToObject (e, "value", b->dict_values[i]) != NULL &&
         cJSON_AddItemToArray (array, e);
    if (!ok) {
      cJSON_Delete (e);
      cJSON_Delete (array);
      array = NULL;
    }
  }
  return array;
}

static cJSON *
imputed_to_json (const InkImputer *b)
{
  switch (b->imputed) {
  case INK_IMPUTED_DOUBLE: return cJSON_CreateNumber (b->imputed_double);
  case INK_IMPUTED_INT64: return ink_fm_json_int64 (b->imputed_int64);
  case INK_IMPUTED_STRING: return cJSON_CreateString (b->imputed_string);
  case INK_IMPUTED_DOUBLE_ARRAY: return ink_json_doubles (b->imputed_doubles, b->n_imputed);
  case INK_IMPUTED_INT64_ARRAY: return int64s_to_json (b->imputed_ints, b->n_imputed);
  case INK_IMPUTED_STRING_DICTIONARY:
  case INK_IMPUTED_INT64_DICTIONARY: return dictionary_to_json (b);
  case INK_IMPUTED_NONE: break;
  }
  return NULL;
}

InkStatus
ink_imputer_to_json (const InkModel *model, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkImputer *b = model->body.any;
  cJSON *o, *value, *replace = NULL;
  const char *replace_key = NULL;

  (void) w;
  if ((unsigned) b->imputed >= N_IMPUTED || b->imputed == INK_IMPUTED_NONE)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "imputer has no imputed value");
  o = cJSON_AddObjectToObject (obj, "imputer");
  value = imputed_to_json (b);
  if (o == NULL || value == NULL || !cJSON_AddItemToObject (o, imputed_keys[b->imputed], value)) {
    cJSON_Delete (value);
    goto no_memory;
  }
  switch (b->replace) {
  case INK_REPLACE_DOUBLE:
    replace_key = "replaceDoubleValue";
    replace = ink_fm_json_double_ext (b->replace_double);
    break;
  case INK_REPLACE_INT64:
    replace_key = "replaceInt64Value";
    replace = ink_fm_json_int64 (b->replace_int64);
    break;
  case INK_REPLACE_STRING:
    replace_key = "replaceStringValue";
    replace = cJSON_CreateString (b->replace_string);
    break;
  case INK_REPLACE_NONE: return INK_OK;
  }
  if (replace == NULL || !cJSON_AddItemToObject (o, replace_key, replace)) {
    cJSON_Delete (replace);
    goto no_memory;
  }
  return INK_OK;
no_memory:
  return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing an imputer");
}

static InkStatus
int64s_from_json (const cJSON *array, const char *key, InkImputer *b, InkError *err)
{
  size_t n = (size_t) cJSON_GetArraySize (array), i = 0;
  const cJSON *item;

  b->imputed_ints = malloc ((n > 0 ? n : 1) * sizeof *b->imputed_ints);
  if (b->imputed_ints == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading \"%s\"", key);
  cJSON_ArrayForEach (item, array)
  {
    char what[64];

    snprintf (what, sizeof what, "\"%s\"[%zu]", key, i);
    if (ink_fm_int64_from_json (item, what, &b->imputed_ints[i], err) != INK_OK)
      return INK_ERR_FORMAT;
    i++;
  }
  b->n_imputed = i;
  return INK_OK;
}

static InkStatus
dictionary_from_json (const cJSON *array, const char *key, InkImputer *b, InkError *err)
{
  size_t n = (size_t) cJSON_GetArraySize (array), i = 0;
  bool ints = b->imputed == INK_IMPUTED_INT64_DICTIONARY;
  const cJSON *e;

  b->dict_keys = (InkLabels){.is_int64 = ints};
  b->dict_values = malloc ((n > 0 ? n : 1) * sizeof *b->dict_values);
  if (b->dict_values == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading \"%s\"", key);
  cJSON_ArrayForEach (e, array)
  {
    const cJSON *k = cJSON_GetObjectItemCaseSensitive (e, "key");
    char what[64];
    int64_t v;
    bool ok;

    snprintf (what, sizeof what, "\"%s\"[%zu]", key, i);
    if (ink_json_get_number (e, "value", &b->dict_values[i], err) != INK_OK)
      return ink_error_prefix (err, "%s", what);
    if (ints) {
      if (ink_fm_int64_from_json (k, what, &v, err) != INK_OK)
        return INK_ERR_FORMAT;
      ok = ink_labels_append_int64 (&b->dict_keys, v);
    } else {
      if (!cJSON_IsString (k) || k->valuestring == NULL)
        return ink_error_set (err, INK_ERR_FORMAT, "%s has no string \"key\"", what);
      ok = ink_labels_append_string (&b->dict_keys, k->valuestring);
    }
    if (!ok)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading \"%s\"", key);
    i++;
  }
  return INK_OK;
}

static InkStatus
imputed_from_json (const cJSON *o, InkImputer *b, InkError *err)
{
  const cJSON *item = NULL;
  const char *key;

  for (size_t k = 1; k < N_IMPUTED; k++) {
    const cJSON *found = cJSON_GetObjectItemCaseSensitive (o, imputed_keys[k]);

    if (found != NULL && item != NULL)
      return ink_error_set (err, INK_ERR_FORMAT, "more than one imputed value");
    if (found != NULL) {
      item = found;
      b->imputed = (InkImputedKind) k;
    }
  }
  if (item == NULL)
    return ink_error_set (err, INK_ERR_FORMAT, "no imputed value");
  key = imputed_keys[b->imputed];
  switch (b->imputed) {
  case INK_IMPUTED_DOUBLE: return ink_json_get_number (o, key, &b->imputed_double, err);
  case INK_IMPUTED_INT64: return ink_fm_int64_from_json (item, key, &b->imputed_int64, err);
  case INK_IMPUTED_STRING:
    if (!cJSON_IsString (item) || item->valuestring == NULL)
      return ink_error_set (err, INK_ERR_FORMAT, "\"%s\" is not a string", key);
    b->imputed_string = ink_strdup (item->valuestring);
    return b->imputed_string != NULL ? INK_OK
                                     : ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  case INK_IMPUTED_DOUBLE_ARRAY:
    return ink_json_get_doubles (o, key, &b->imputed_doubles, &b->n_imputed, err);
  default: break;
  }
  if (!cJSON_IsArray (item))
    return ink_error_set (err, INK_ERR_FORMAT, "\"%s\" is not an array", key);
  if (b->imputed == INK_IMPUTED_INT64_ARRAY)
    return int64s_from_json (item, key, b, err);
  return dictionary_from_json (item, key, b, err);
}

static InkStatus
replace_from_json (const cJSON *o, InkImputer *b, InkError *err)
{
  const cJSON *d = cJSON_GetObjectItemCaseSensitive (o, "replaceDoubleValue");
  const cJSON *i = cJSON_GetObjectItemCaseSensitive (o, "replaceInt64Value");
  const cJSON *s = cJSON_GetObjectItemCaseSensitive (o, "replaceStringValue");

  if ((d != NULL) + (i != NULL) + (s != NULL) > 1)
    return ink_error_set (err, INK_ERR_FORMAT, "more than one replace value");
  if (d != NULL) {
    b->replace = INK_REPLACE_DOUBLE;
    return ink_fm_double_ext_from_json (d, "\"replaceDoubleValue\"", &b->replace_double, err);
  }
  if (i != NULL) {
    b->replace = INK_REPLACE_INT64;
    return ink_fm_int64_from_json (i, "\"replaceInt64Value\"", &b->replace_int64, err);
  }
  if (s == NULL)
    return INK_OK;
  if (!cJSON_IsString (s) || s->valuestring == NULL)
    return ink_error_set (err, INK_ERR_FORMAT, "\"replaceStringValue\" is not a string");
  b->replace = INK_REPLACE_STRING;
  b->replace_string = ink_strdup (s->valuestring);
  return b->replace_string != NULL ? INK_OK
                                   : ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
}

InkStatus
ink_imputer_from_json (InkModel *model, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  const cJSON *o = ink_fm_json_object (obj, "imputer", err);
  InkImputer *b;
  InkStatus st;

  (void) r;
  if (o == NULL)
    return INK_ERR_FORMAT;
  b = calloc (1, sizeof *b);
  if (b == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading an imputer");
  if ((st = imputed_from_json (o, b, err)) != INK_OK ||
      (st = replace_from_json (o, b, err)) != INK_OK) {
    ink_imputer_clear (b);
    free (b);
    return st;
  }
  if (b->n_imputed == 0) {
    free (b->imputed_doubles); /* an empty array is reported by finish */
    b->imputed_doubles = NULL;
  }
  if (model->body.any != NULL) {
    ink_imputer_clear (model->body.any);
    free (model->body.any);
  }
  model->body.any = b;
  return INK_OK;
}

/* ink-feature-models.c: helpers shared by the feature-engineering model kinds
 *
 * The kinds themselves live in ink-one-hot.c, ink-vectorizer.c,
 * ink-scaler.c and ink-imputer.c; ink-features-private.h shows their bodies.
 *
 * Core ML (apple/coremltools, the .proto files under mlmodel/format, package
 * CoreML.Specification) holds the feature-engineering bodies in the Model
 * message's Type oneof:
 *   600 oneHotEncoder   601 imputer   602 featureVectorizer
 *   603 dictVectorizer  604 scaler    607 normalizer
 *   609 arrayFeatureExtractor
 * (606 categoricalMapping also belongs to the family; Inkling does not run
 * it.) Their messages use these containers from DataStructures.proto, each
 * with a single field number 1:
 *   StringVector     1: repeated string "vector"
 *   Int64Vector      1: repeated int64 "vector" (packed varints)
 *   DoubleVector     1: repeated double "vector" (packed 8-byte doubles)
 *   StringToDoubleMap / Int64ToDoubleMap
 *                    1: map "map"; on the wire a repeated entry message
 *                       whose field 1 is the key and field 2 the double value
 * Core ML's validators limit every one of these models to one output (and,
 * except the feature vectorizer, one input); the model's interface types
 * decide the details noted at the top of each kind's file.
 *
 * The .inkmodel JSON of each body is one object named like the Core ML
 * oneof member ("oneHotEncoder", ...) holding fields named like Core ML's.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-features-private.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Integers a double holds exactly. */
#define JSON_EXACT_INT ((int64_t) 1 << 53)

InkModel *
ink_fm_alloc (InkModelKind kind, size_t size)
{
  InkModel *model = ink_model_alloc (kind);

  if (model == NULL)
    return NULL;
  model->body.any = calloc (1, size);
  if (model->body.any == NULL) {
    ink_model_free (model);
    return NULL;
  }
  return model;
}

void *
ink_fm_open_body (InkModel *model, InkModelKind kind)
{
  if (model == NULL || model->kind != kind || model->finished)
    return NULL;
  return model->body.any;
}

const char *
ink_fm_kind (const InkModel *model)
{
  return ink_model_kind_to_string (model->kind);
}

InkStatus
ink_fm_check_counts (const InkModel *model, size_t n_inputs, InkError *err)
{
  const InkModelDescription *d = &model->desc;

  if (model->body.any == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s has no body", ink_fm_kind (model));
  if (d->n_inputs == 0 || (n_inputs > 0 && d->n_inputs != n_inputs))
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s needs %s%zu input%s; it declares %zu",
                          ink_fm_kind (model), n_inputs > 0 ? "exactly " : "at least ",
                          n_inputs > 0 ? n_inputs : 1, n_inputs > 1 ? "s" : "", d->n_inputs);
  if (d->n_outputs != 1)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s needs exactly 1 output; it declares %zu",
                          ink_fm_kind (model), d->n_outputs);
  return INK_OK;
}

bool
ink_fm_fixed_count (const InkFeatureType *t, size_t *count)
{
  size_t c = 1;

  if (t->type != INK_VALUE_MULTIARRAY || t->rank == 0 || t->rank > INK_MAX_RANK)
    return false;
  for (size_t d = 0; d < t->rank; d++) {
    if (t->shape[d] < 0 || !ink_size_mul (c, (size_t) t->shape[d], &c))
      return false;
  }
  *count = c;
  return true;
}

const char *
ink_fm_type_name (const InkFeatureType *t)
{
  switch (t->type) {
  case INK_VALUE_INT64: return "an Int64";
  case INK_VALUE_DOUBLE: return "a Double";
  case INK_VALUE_STRING: return "a String";
  case INK_VALUE_MULTIARRAY: return "a multi-array";
  case INK_VALUE_IMAGE: return "an image";
  case INK_VALUE_DICTIONARY:
    return t->key_type == INK_KEY_INT64 ? "a Dictionary (Int64 to Double)"
                                        : "a Dictionary (String to Double)";
  case INK_VALUE_SEQUENCE: return "a sequence";
  case INK_VALUE_INVALID: break;
  }
  return "an invalid type";
}

InkStatus
ink_fm_emit (const InkModel *model, InkValue *v, InkFeatures *out, InkError *err)
{
  const char *name = model->desc.outputs[0].name;

  if (v == NULL || ink_features_set (out, name, v) != INK_OK)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "%s: out of memory writing '%s'",
                          ink_fm_kind (model), name);
  return INK_OK;
}

InkValue *
ink_fm_array (size_t rank, const int64_t *shape, const double *values, size_t n)
{
  int64_t flat[1] = {(int64_t) n};

  if (shape == NULL)
    return ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, flat, values);
  return ink_value_new_multiarray (INK_ARRAY_FLOAT64, rank, shape, values);
}

double *
ink_fm_dup_doubles (const double *v, size_t n)
{
  double *c;

  if (n == 0 || n > SIZE_MAX / sizeof *c)
    return NULL;
  c = malloc (n * sizeof *c);
  if (c != NULL)
    memcpy (c, v, n * sizeof *c);
  return c;
}

bool
ink_fm_double_to_int64 (double d, int64_t *out)
{
  /* 2^63 is exact in a double; anything at or above it does not fit. */
  if (!isfinite (d) || d != floor (d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
    return false;
  *out = (int64_t) d;
  return true;
}

/* ---- Categories ---- */

/* A category with its position, sorted by value. */
typedef struct {
  const char *s;
  int64_t v;
  size_t i;
} SortEntry;

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (((const SortEntry *) a)->s, ((const SortEntry *) b)->s);
}

static int
compare_ints (const void *a, const void *b)
{
  int64_t x = ((const SortEntry *) a)->v, y = ((const SortEntry *) b)->v;

  return x < y ? -1 : x > y ? 1 : 0;
}

void
ink_category_index_clear (InkCategoryIndex *ix)
{
  free (ix->order);
  ix->order = NULL;
  ix->n = 0;
}

InkStatus
ink_category_index_build (InkCategoryIndex *ix, const InkLabels *l, const InkModel *model,
                          InkError *err)
{
  size_t *order;
  SortEntry *entries;

  ink_category_index_clear (ix);
  if (l->n == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s has no categories", ink_fm_kind (model));
  if (l->n > INK_FM_MAX_VALUES)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s has too many categories (%zu)",
                          ink_fm_kind (model), l->n);
  order = malloc (l->n * sizeof *order);
  entries = malloc (l->n * sizeof *entries);
  if (order == NULL || entries == NULL) {
    free (order);
    free (entries);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "%s: out of memory", ink_fm_kind (model));
  }
  for (size_t i = 0; i < l->n; i++)
    entries[i] = (SortEntry){l->is_int64 ? NULL : l->strings[i], l->is_int64 ? l->ints[i] : 0, i};
  qsort (entries, l->n, sizeof *entries, l->is_int64 ? compare_ints : compare_strings);
  for (size_t k = 0; k < l->n; k++) {
    size_t a = k > 0 ? entries[k - 1].i : 0, b = entries[k].i;

    order[k] = b;
    if (k == 0 || (l->is_int64 ? compare_ints (&entries[k - 1], &entries[k])
                               : compare_strings (&entries[k - 1], &entries[k])) != 0)
      continue;
    free (order);
    free (entries);
    if (l->is_int64)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s: category %" PRId64 " appears twice (at %zu and %zu)",
                            ink_fm_kind (model), l->ints[a], a < b ? a : b, a < b ? b : a);
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s: category \"%.100s\" appears twice (at %zu and %zu)",
                          ink_fm_kind (model), l->strings[a], a < b ? a : b, a < b ? b : a);
  }
  free (entries);
  ix->order = order;
  ix->n = l->n;
  return INK_OK;
}

size_t
ink_category_index_find_string (const InkCategoryIndex *ix, const InkLabels *l, const char *s)
{
  size_t lo = 0, hi = ix->n;

  if (l->is_int64 || s == NULL)
    return SIZE_MAX;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp (l->strings[ix->order[mid]], s);

    if (c == 0)
      return ix->order[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return SIZE_MAX;
}

size_t
ink_category_index_find_int64 (const InkCategoryIndex *ix, const InkLabels *l, int64_t v)
{
  size_t lo = 0, hi = ix->n;

  if (!l->is_int64)
    return SIZE_MAX;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t x = l->ints[ix->order[mid]];

    if (x == v)
      return ix->order[mid];
    if (x < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return SIZE_MAX;
}

bool
ink_fm_labels_from_strings (InkLabels *l, const char *const *s, size_t n)
{
  InkLabels c = {0};

  if (n > 0 && s == NULL)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (!ink_labels_append_string (&c, s[i])) {
      ink_labels_clear (&c);
      return false;
    }
  }
  ink_labels_clear (l);
  *l = c;
  return true;
}

bool
ink_fm_labels_from_ints (InkLabels *l, const int64_t *v, size_t n)
{
  InkLabels c = {.is_int64 = true};

  if (n > 0 && v == NULL)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (!ink_labels_append_int64 (&c, v[i])) {
      ink_labels_clear (&c);
      return false;
    }
  }
  ink_labels_clear (l);
  *l = c;
  return true;
}

/* ---- JSON ---- */

cJSON *
ink_fm_json_int64 (int64_t v)
{
  char buf[24];

  if (v >= -JSON_EXACT_INT && v <= JSON_EXACT_INT)
    return cJSON_CreateNumber ((double) v);
  snprintf (buf, sizeof buf, "%" PRId64, v);
  return cJSON_CreateString (buf);
}

InkStatus
ink_fm_int64_from_json (const cJSON *item, const char *what, int64_t *out, InkError *err)
{
  if (cJSON_IsNumber (item)) {
    if (!ink_fm_double_to_int64 (item->valuedouble, out))
      return ink_error_set (err, INK_ERR_FORMAT, "%s is not a 64-bit integer", what);
    return INK_OK;
  }
  if (cJSON_IsString (item) && item->valuestring != NULL) {
    const char *s = item->valuestring;
    char *end;
    long long v;

    errno = 0;
    v = strtoll (s, &end, 10);
    if ((s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && *end == '\0' && errno == 0) {
      *out = (int64_t) v;
      return INK_OK;
    }
  }
  return ink_error_set (err, INK_ERR_FORMAT, "%s is not a 64-bit integer", what);
}

cJSON *
ink_fm_json_double_ext (double v)
{
  if (isnan (v))
    return cJSON_CreateString ("NaN");
  if (isinf (v))
    return cJSON_CreateString (v > 0 ? "Infinity" : "-Infinity");
  return cJSON_CreateNumber (v);
}

InkStatus
ink_fm_double_ext_from_json (const cJSON *item, const char *what, double *out, InkError *err)
{
  if (cJSON_IsNumber (item)) {
    *out = item->valuedouble;
    return INK_OK;
  }
  if (cJSON_IsString (item) && item->valuestring != NULL) {
    if (strcmp (item->valuestring, "NaN") == 0)
      *out = NAN;
    else if (strcmp (item->valuestring, "Infinity") == 0)
      *out = INFINITY;
    else if (strcmp (item->valuestring, "-Infinity") == 0)
      *out = -INFINITY;
    else
      return ink_error_set (err, INK_ERR_FORMAT, "%s is not a number", what);
    return INK_OK;
  }
  return ink_error_set (err, INK_ERR_FORMAT, "%s is not a number", what);
}

bool
ink_fm_categories_to_json (cJSON *obj, const InkLabels *l, const char *string_key,
                           const char *int_key)
{
  cJSON *array = cJSON_AddArrayToObject (obj, l->is_int64 ? int_key : string_key);

  if (array == NULL)
    return false;
  for (size_t i = 0; i < l->n; i++) {
    cJSON *item = l->is_int64 ? ink_fm_json_int64 (l->ints[i]) : cJSON_CreateString (l->strings[i]);

    if (item == NULL || !cJSON_AddItemToArray (array, item)) {
      cJSON_Delete (item);
      return false;
    }
  }
  return true;
}

InkStatus
ink_fm_categories_from_json (const cJSON *obj, const char *string_key, const char *int_key,
                             InkLabels *out, InkError *err)
{
  const cJSON *strings = cJSON_GetObjectItemCaseSensitive (obj, string_key);
  const cJSON *ints = cJSON_GetObjectItemCaseSensitive (obj, int_key);
  const cJSON *array = strings != NULL ? strings : ints, *item;
  InkLabels l = {.is_int64 = strings == NULL};
  size_t i = 0;

  if ((strings == NULL) == (ints == NULL))
    return ink_error_set (err, INK_ERR_FORMAT, "needs exactly one of \"%s\" and \"%s\"", string_key,
                          int_key);
  if (!cJSON_IsArray (array))
    return ink_error_set (err, INK_ERR_FORMAT, "\"%s\" is not an array",
                          strings != NULL ? string_key : int_key);
  cJSON_ArrayForEach (item, array)
  {
    char what[64];
    int64_t v;
    bool ok;

    snprintf (what, sizeof what, "\"%s\"[%zu]", strings != NULL ? string_key : int_key, i++);
    if (strings != NULL) {
      if (!cJSON_IsString (item) || item->valuestring == NULL) {
        ink_labels_clear (&l);
        return ink_error_set (err, INK_ERR_FORMAT, "%s is not a string", what);
      }
      ok = ink_labels_append_string (&l, item->valuestring);
    } else {
      if (ink_fm_int64_from_json (item, what, &v, err) != INK_OK) {
        ink_labels_clear (&l);
        return INK_ERR_FORMAT;
      }
      ok = ink_labels_append_int64 (&l, v);
    }
    if (!ok) {
      ink_labels_clear (&l);
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading categories");
    }
  }
  ink_labels_clear (out);
  *out = l;
  return INK_OK;
}

const cJSON *
ink_fm_json_object (const cJSON *obj, const char *key, InkError *err)
{
  const cJSON *o = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (!cJSON_IsObject (o)) {
    ink_error_set (err, INK_ERR_FORMAT, "missing the \"%s\" object", key);
    return NULL;
  }
  return o;
}

/* ink-vectorizer.c: assembling and picking vector entries (Core ML's
 * FeatureVectorizer and ArrayFeatureExtractor)
 *
 * FeatureVectorizer, Model field 602 (FeatureVectorizer.proto):
 *   1  inputList  repeated InputColumn, in output order; each is
 *        1  inputColumn      string: the name of an input feature
 *        2  inputDimensions  uint64: how many values that input contributes
 *   The output is one multi-array, the columns' values one after the other.
 *   Validation (coremltools): any number of inputs, each Int64, Double,
 *   multi-array or Dictionary; one multi-array output; every
 *   inputDimensions above 0. What a column gives (as Core ML runs it): a
 *   Double or Int64 one value (its dimensions are 1); a multi-array its
 *   elements in row-major order (exactly inputDimensions of them); a
 *   Dictionary (Int64 to Double) a dense vector of inputDimensions values,
 *   each entry's value at the position of its key (missing keys give 0).
 *   Inkling also requires each column to name a declared input, a fixed
 *   input or output shape to agree with the dimensions, and refuses at
 *   predict a dictionary key outside [0, inputDimensions).
 *
 * ArrayFeatureExtractor, Model field 609 (ArrayFeatureExtractor.proto):
 *   1  extractIndex  repeated uint64: zero-based positions to pick from the
 *                    input array (Inkling counts them over all elements in
 *                    row-major order).
 *   Validation (coremltools): exactly one multi-array input; one output, a
 *   Double, Int64 or multi-array; a Double output needs exactly one index.
 *   One index with a Double (or Int64) output gives that element; otherwise
 *   the output is a multi-array of the picked elements in index order.
 *   Inkling also requires at least one index and checks the indices against
 *   a fixed input shape at finish, and against the actual array at predict.
 *
 * JSON bodies:
 *   {"featureVectorizer": {"inputList": [{"inputColumn": "a",
 *                                         "inputDimensions": 1}, ...]}}
 *   {"arrayFeatureExtractor": {"extractIndex": [0, 3]}}
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-features-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- FeatureVectorizer ---- */

InkModel *
ink_feature_vectorizer_new (void)
{
  return ink_fm_alloc (INK_MODEL_FEATURE_VECTORIZER, sizeof (InkFeatureVectorizer));
}

const InkFeatureVectorizer *
ink_feature_vectorizer_body (const InkModel *model)
{
  return model != NULL && model->kind == INK_MODEL_FEATURE_VECTORIZER ? model->body.any : NULL;
}

static InkStatus
append_column (InkFeatureVectorizer *f, const char *name, size_t dims, InkError *err)
{
  char *copy = ink_strdup (name);

  if (copy == NULL || !INK_GROW (f->columns, f->n_columns, f->cap_columns)) {
    free (copy);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory adding a column");
  }
  f->columns[f->n_columns++] = (InkVectorizerColumn){copy, dims};
  return INK_OK;
}

InkStatus
ink_feature_vectorizer_add_column (InkModel *model, const char *name, size_t dims, InkError *err)
{
  InkFeatureVectorizer *f = ink_fm_open_body (model, INK_MODEL_FEATURE_VECTORIZER);

  if (f == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "ink_feature_vectorizer_add_column: not an unfinished featureVectorizer");
  if (name == NULL || name[0] == '\0')
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "featureVectorizer: a column needs a name");
  if (dims == 0)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "featureVectorizer: column '%s' needs at least 1 dimension", name);
  return append_column (f, name, dims, err);
}

static void
vectorizer_clear (InkFeatureVectorizer *f)
{
  for (size_t i = 0; i < f->n_columns; i++)
    free (f->columns[i].name);
  free (f->columns);
  memset (f, 0, sizeof *f);
}

static void
vectorizer_free_body (InkModel *model)
{
  vectorizer_clear (model->body.any);
  free (model->body.any);
  model->body.any = NULL;
}

/* The declared input behind column c agrees with its dimensions. */
static InkStatus
check_column (const InkModel *model, const InkVectorizerColumn *c, InkError *err)
{
  const InkFeatureDescription *in = ink_description_find_input (&model->desc, c->name);
  size_t count;

  if (c->dims == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "featureVectorizer: column '%s' has 0 dimensions; it needs at least 1",
                          c->name);
  if (in == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "featureVectorizer: column '%s' is not one of the declared inputs",
                          c->name);
  switch (in->type.type) {
  case INK_VALUE_INT64:
  case INK_VALUE_DOUBLE:
    if (c->dims != 1)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "featureVectorizer: input '%s' is %s, which gives 1 value, but its "
                            "column has %zu dimensions",
                            c->name, ink_fm_type_name (&in->type), c->dims);
    return INK_OK;
  case INK_VALUE_MULTIARRAY:
    if (ink_fm_fixed_count (&in->type, &count) && count != c->dims)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "featureVectorizer: input '%s' is declared with %zu values but its "
                            "column has %zu dimensions",
                            c->name, count, c->dims);
    return INK_OK;
  case INK_VALUE_DICTIONARY:
    if (in->type.key_type != INK_KEY_INT64)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "featureVectorizer: input '%s' is %s; only Int64 keys can be "
                            "vectorized",
                            c->name, ink_fm_type_name (&in->type));
    return INK_OK;
  default:
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "featureVectorizer: input '%s' is %s, which cannot be vectorized",
                          c->name, ink_fm_type_name (&in->type));
  }
}

static InkStatus
vectorizer_finish (InkModel *model, InkError *err)
{
  InkFeatureVectorizer *f = model->body.any;
  const InkFeatureDescription *out;
  size_t total = 0, count;
  InkStatus st = ink_fm_check_counts (model, 0, err);

  if (st != INK_OK)
    return st;
  if (f->n_columns == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "featureVectorizer has no input columns");
  for (size_t i = 0; i < f->n_columns; i++) {
    st = check_column (model, &f->columns[i], err);
    if (st != INK_OK)
      return st;
    if (f->columns[i].dims > INK_FM_MAX_VALUES - total)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "featureVectorizer: the columns give too many values");
    total += f->columns[i].dims;
  }
  out = &model->desc.outputs[0];
  if (out->type.type != INK_VALUE_MULTIARRAY)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "featureVectorizer: output '%s' must be a multi-array, not %s", out->name,
                          ink_fm_type_name (&out->type));
  if (ink_fm_fixed_count (&out->type, &count) && count != total)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "featureVectorizer: output '%s' is declared with %zu values but the "
                          "columns give %zu",
                          out->name, count, total);
  f->total = total;
  return INK_OK;
}

/* Spreads an Int64-keyed dictionary over x[0, dims). */
static InkStatus
scatter_dictionary (const char *name, const InkValue *v, double *x, size_t dims, InkError *err)
{
  if (ink_value_dictionary_key_type (v) != INK_KEY_INT64)
    return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                          "featureVectorizer: input '%s' must be a Dictionary with Int64 keys",
                          name);
  for (size_t i = 0; i < dims; i++)
    x[i] = 0.0;
  for (size_t i = 0; i < ink_value_dictionary_count (v); i++) {
    int64_t key = ink_value_dictionary_int64_key (v, i);

    if (key < 0 || (uint64_t) key >= dims)
      return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                            "featureVectorizer: input '%s' has the key %" PRId64
                            ", outside its %zu dimensions",
                            name, key, dims);
    x[key] = ink_value_dictionary_value (v, i);
  }
  return INK_OK;
}

static InkStatus
vectorizer_predict (const InkModel *model, const InkFeatures *inputs, InkFeatures *out,
                    InkError *err)
{
  const InkFeatureVectorizer *f = model->body.any;
  double *x = malloc (f->total * sizeof *x); /* total >= 1, bounded at finish */
  size_t pos = 0;
  InkStatus st = INK_OK;

  if (x == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "featureVectorizer: out of memory");
  for (size_t i = 0; st == INK_OK && i < f->n_columns; i++) {
    const InkVectorizerColumn *c = &f->columns[i];
    const InkValue *v = ink_features_get (inputs, c->name);

    if (v == NULL)
      st = ink_error_set (err, INK_ERR_MISSING_INPUT, "featureVectorizer: input '%s' is missing",
                          c->name);
    else if (ink_value_get_type (v) == INK_VALUE_DICTIONARY)
      st = scatter_dictionary (c->name, v, x + pos, c->dims, err);
    else if ((st = ink_features_read_vector (inputs, c->name, x + pos, c->dims, err)) != INK_OK)
      ink_error_prefix (err, "featureVectorizer");
    pos += c->dims;
  }
  if (st == INK_OK)
    st = ink_fm_emit (model, ink_fm_array (0, NULL, x, f->total), out, err);
  free (x);
  return st;
}

static InkStatus
vectorizer_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  const InkFeatureVectorizer *s = src->body.any;
  InkFeatureVectorizer *f = dst->body.any;
  InkStatus st = INK_OK;

  if (f == NULL) {
    f = dst->body.any = calloc (1, sizeof *f);
    if (f == NULL)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying a featureVectorizer");
  }
  vectorizer_clear (f);
  for (size_t i = 0; st == INK_OK && i < s->n_columns; i++)
    st = append_column (f, s->columns[i].name, s->columns[i].dims, err);
  return st;
}

static InkStatus
vectorizer_to_json (const InkModel *model, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkFeatureVectorizer *f = model->body.any;
  cJSON *o = cJSON_AddObjectToObject (obj, "featureVectorizer");
  cJSON *list = o != NULL ? cJSON_AddArrayToObject (o, "inputList") : NULL;

  (void) w;
  if (list == NULL)
    goto no_memory;
  for (size_t i = 0; i < f->n_columns; i++) {
    cJSON *c = cJSON_CreateObject ();

    if (c == NULL || !cJSON_AddItemToArray (list, c)) {
      cJSON_Delete (c);
      goto no_memory;
    }
    if (cJSON_AddStringToObject (c, "inputColumn", f->columns[i].name) == NULL ||
        cJSON_AddNumberToObject (c, "inputDimensions", (double) f->columns[i].dims) == NULL)
      goto no_memory;
  }
  return INK_OK;
no_memory:
  return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a featureVectorizer");
}

static InkStatus
vectorizer_from_json (InkModel *model, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  const cJSON *o = ink_fm_json_object (obj, "featureVectorizer", err);
  const cJSON *list, *c;
  InkFeatureVectorizer *f;
  size_t i = 0;
  InkStatus st = INK_OK;

  (void) r;
  if (o == NULL)
    return INK_ERR_FORMAT;
  list = cJSON_GetObjectItemCaseSensitive (o, "inputList");
  if (!cJSON_IsArray (list))
    return ink_error_set (err, INK_ERR_FORMAT, "\"inputList\" is missing or not an array");
  f = calloc (1, sizeof *f);
  if (f == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading a featureVectorizer");
  cJSON_ArrayForEach (c, list)
  {
    const char *name;
    int64_t dims;

    if ((st = ink_json_get_string (c, "inputColumn", &name, err)) != INK_OK ||
        (st = ink_json_get_int (c, "inputDimensions", 1, (int64_t) INK_FM_MAX_VALUES, &dims,
                                err)) != INK_OK ||
        (st = append_column (f, name, (size_t) dims, err)) != INK_OK) {
      ink_error_prefix (err, "input column %zu", i);
      break;
    }
    i++;
  }
  if (st != INK_OK) {
    vectorizer_clear (f);
    free (f);
    return st;
  }
  if (model->body.any != NULL)
    vectorizer_free_body (model);
  model->body.any = f;
  return INK_OK;
}

const InkModelOps ink_feature_vectorizer_ops = {
  .finish = vectorizer_finish,
  .predict = vectorizer_predict,
  .free_body = vectorizer_free_body,
  .copy_body = vectorizer_copy_body,
  .to_json = vectorizer_to_json,
  .from_json = vectorizer_from_json,
};

/* ---- ArrayFeatureExtractor ---- */

static bool
set_indices (InkArrayFeatureExtractor *a, const uint64_t *indices, size_t n)
{
  uint64_t *copy = NULL;

  if (n > 0) {
    if (n > SIZE_MAX / sizeof *copy)
      return false;
    copy = malloc (n * sizeof *copy);
    if (copy == NULL)
      return false;
    memcpy (copy, indices, n * sizeof *copy);
  }
  free (a->indices);
  a->indices = copy;
  a->n = n;
  return true;
}

InkModel *
ink_array_feature_extractor_new (const uint64_t *indices, size_t n)
{
  InkModel *model;

  if (indices == NULL && n > 0)
    return NULL;
  model = ink_fm_alloc (INK_MODEL_ARRAY_FEATURE_EXTRACTOR, sizeof (InkArrayFeatureExtractor));
  if (model != NULL && !set_indices (model->body.any, indices, n)) {
    ink_model_free (model);
    return NULL;
  }
  return model;
}

const InkArrayFeatureExtractor *
ink_array_feature_extractor_body (const InkModel *model)
{
  return model != NULL && model->kind == INK_MODEL_ARRAY_FEATURE_EXTRACTOR ? model->body.any : NULL;
}

static void
extractor_free_body (InkModel *model)
{
  InkArrayFeatureExtractor *a = model->body.any;

  free (a->indices);
  free (a);
  model->body.any = NULL;
}

static InkStatus
extractor_finish (InkModel *model, InkError *err)
{
  const InkArrayFeatureExtractor *a = model->body.any;
  const InkFeatureDescription *in, *out;
  size_t count;
  bool fixed;
  InkStatus st = ink_fm_check_counts (model, 1, err);

  if (st != INK_OK)
    return st;
  in = &model->desc.inputs[0];
  out = &model->desc.outputs[0];
  if (in->type.type != INK_VALUE_MULTIARRAY)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "arrayFeatureExtractor: input '%s' must be a multi-array, not %s",
                          in->name, ink_fm_type_name (&in->type));
  if (a->n == 0 || a->n > INK_FM_MAX_VALUES)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "arrayFeatureExtractor has %zu indices; it needs 1 to %zu", a->n,
                          INK_FM_MAX_VALUES);
  fixed = ink_fm_fixed_count (&in->type, &count);
  for (size_t i = 0; i < a->n; i++) {
    if (a->indices[i] > (uint64_t) INT64_MAX || (fixed && a->indices[i] >= count))
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "arrayFeatureExtractor: index %" PRIu64 " is outside input '%s'%s",
                            a->indices[i], in->name, fixed ? ", declared with fewer values" : "");
  }
  switch (out->type.type) {
  case INK_VALUE_DOUBLE:
  case INK_VALUE_INT64:
    if (a->n != 1)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "arrayFeatureExtractor: output '%s' is %s, so exactly 1 index is "
                            "needed, not %zu",
                            out->name, ink_fm_type_name (&out->type), a->n);
    return INK_OK;
  case INK_VALUE_MULTIARRAY:
    if (ink_fm_fixed_count (&out->type, &count) && count != a->n)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "arrayFeatureExtractor: output '%s' is declared with %zu values but "
                            "there are %zu indices",
                            out->name, count, a->n);
    return INK_OK;
  default:
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "arrayFeatureExtractor: output '%s' is %s; expected a Double, an Int64 "
                          "or a multi-array",
                          out->name, ink_fm_type_name (&out->type));
  }
}

static InkStatus
extractor_predict (const InkModel *model, const InkFeatures *inputs, InkFeatures *out,
                   InkError *err)
{
  const InkArrayFeatureExtractor *a = model->body.any;
  const char *name = model->desc.inputs[0].name;
  const InkValue *v = ink_features_get (inputs, name);
  InkValueType out_type = model->desc.outputs[0].type.type;
  InkValue *result;
  double *x;
  size_t count;

  if (v == NULL || ink_value_get_type (v) != INK_VALUE_MULTIARRAY)
    return ink_error_set (err, v == NULL ? INK_ERR_MISSING_INPUT : INK_ERR_TYPE_MISMATCH,
                          "arrayFeatureExtractor: input '%s' is %s", name,
                          v == NULL ? "missing" : "not a multi-array");
  count = ink_value_array_count (v);
  x = malloc (a->n * sizeof *x); /* n >= 1, bounded at finish */
  if (x == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "arrayFeatureExtractor: out of memory");
  for (size_t i = 0; i < a->n; i++) {
    if (a->indices[i] >= count) {
      free (x);
      return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                            "arrayFeatureExtractor: index %" PRIu64
                            " is outside input '%s', which has %zu values",
                            a->indices[i], name, count);
    }
    x[i] = ink_value_array_get (v, (size_t) a->indices[i]);
  }
  if (a->n == 1 && out_type == INK_VALUE_INT64) {
    int64_t i;

    if (!ink_fm_double_to_int64 (x[0], &i)) {
      double bad = x[0];

      free (x);
      return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                            "arrayFeatureExtractor: %g cannot be the Int64 output without loss",
                            bad);
    }
    result = ink_value_new_int64 (i);
  } else if (a->n == 1 && out_type != INK_VALUE_MULTIARRAY) {
    result = ink_value_new_double (x[0]);
  } else {
    result = ink_fm_array (0, NULL, x, a->n);
  }
  free (x);
  return ink_fm_emit (model, result, out, err);
}

static InkStatus
extractor_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  const InkArrayFeatureExtractor *s = src->body.any;

  if (dst->body.any == NULL)
    dst->body.any = calloc (1, sizeof (InkArrayFeatureExtractor));
  if (dst->body.any == NULL || !set_indices (dst->body.any, s->indices, s->n))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying an arrayFeatureExtractor");
  return INK_OK;
}

static InkStatus
extractor_to_json (const InkModel *model, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkArrayFeatureExtractor *a = model->body.any;
  cJSON *o = cJSON_AddObjectToObject (obj, "arrayFeatureExtractor");
  cJSON *list = o != NULL ? cJSON_AddArrayToObject (o, "extractIndex") : NULL;

  (void) w;
  for (size_t i = 0; list != NULL && i < a->n; i++) {
    cJSON *item;

    if (a->indices[i] > (uint64_t) INT64_MAX)
      return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                            "arrayFeatureExtractor: index %" PRIu64 " is too large", a->indices[i]);
    item = ink_fm_json_int64 ((int64_t) a->indices[i]);
    if (item == NULL || !cJSON_AddItemToArray (list, item)) {
      cJSON_Delete (item);
      list = NULL;
    }
  }
  if (list == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing an arrayFeatureExtractor");
  return INK_OK;
}

static InkStatus
extractor_from_json (InkModel *model, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  const cJSON *o = ink_fm_json_object (obj, "arrayFeatureExtractor", err);
  const cJSON *list, *item;
  InkArrayFeatureExtractor *a;
  size_t n, i = 0;

  (void) r;
  if (o == NULL)
    return INK_ERR_FORMAT;
  list = cJSON_GetObjectItemCaseSensitive (o, "extractIndex");
  if (!cJSON_IsArray (list))
    return ink_error_set (err, INK_ERR_FORMAT, "\"extractIndex\" is missing or not an array");
  n = (size_t) cJSON_GetArraySize (list);
  a = calloc (1, sizeof *a);
  if (a == NULL || (n > 0 && (a->indices = malloc (n * sizeof *a->indices)) == NULL)) {
    free (a);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading an arrayFeatureExtractor");
  }
  cJSON_ArrayForEach (item, list)
  {
    char what[48];
    int64_t v = 0;
    InkStatus st;

    snprintf (what, sizeof what, "\"extractIndex\"[%zu]", i);
    st = ink_fm_int64_from_json (item, what, &v, err);
    if (st == INK_OK && v < 0)
      st = ink_error_set (err, INK_ERR_FORMAT, "%s is negative", what);
    if (st != INK_OK) {
      free (a->indices);
      free (a);
      return st;
    }
    a->indices[i++] = (uint64_t) v;
  }
  a->n = i;
  if (model->body.any != NULL)
    extractor_free_body (model);
  model->body.any = a;
  return INK_OK;
}

const InkModelOps ink_array_feature_extractor_ops = {
  .finish = extractor_finish,
  .predict = extractor_predict,
  .free_body = extractor_free_body,
  .copy_body = extractor_copy_body,
  .to_json = extractor_to_json,
  .from_json = extractor_from_json,
};

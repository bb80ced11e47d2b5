/* ink-one-hot.c: category encoders (Core ML's OneHotEncoder and DictVectorizer)
 *
 * OneHotEncoder, Model field 600 (OneHotEncoder.proto):
 *   oneof CategoryType, the list of categories; a category's position in it
 *   is its one-hot index:
 *     1  stringCategories  StringVector
 *     2  int64Categories   Int64Vector
 *   10 outputSparse   bool: false gives a multi-array with one element per
 *                     category, 1.0 at the index and 0 elsewhere; true gives
 *                     a Dictionary (Int64 to Double) holding the single
 *                     entry {index: 1.0}.
 *   11 handleUnknown  enum HandleUnknown: ErrorOnUnknown = 0 makes a value
 *                     that is not a category an error; IgnoreUnknown = 1
 *                     encodes it as nothing (all zeros, or an empty
 *                     dictionary when sparse).
 *   Validation (coremltools): one input, Int64 or String; one output, a
 *   Dictionary when outputSparse is set, else a multi-array; the category
 *   oneof must be set. Inkling also requires the input type to match the
 *   categories' type, at least one category, no category twice, and a fixed
 *   dense output shape to hold one value per category.
 *
 * DictVectorizer, Model field 603 (DictVectorizer.proto):
 *   oneof Map, the index mapping; the position of a key in the list is where
 *   its value goes in the output:
 *     1  stringToIndex  StringVector
 *     2  int64ToIndex   Int64Vector
 *   A Dictionary input (keyed like the list) becomes a dense vector with one
 *   element per list entry; keys missing from the dictionary give 0. Core
 *   ML's documentation expects every key of the input to be in the list;
 *   Inkling ignores keys that are not. Validation (coremltools): one
 *   Dictionary input, one output (coremltools' converter declares a
 *   multi-array of the list's length, which Inkling requires), the oneof
 *   must be set.
 *
 * JSON bodies:
 *   {"oneHotEncoder": {"stringCategories" | "int64Categories": [...],
 *                      "outputSparse": bool,
 *                      "handleUnknown": "ErrorOnUnknown" | "IgnoreUnknown"}}
 *   {"dictVectorizer": {"stringToIndex" | "int64ToIndex": [...]}}
 *   (int64 values above 2^53 in magnitude are decimal strings.)
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-features-private.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const handle_unknown_names[] = {"ErrorOnUnknown", "IgnoreUnknown"};

/* ---- Shared by both kinds ---- */

/* The category v is, or SIZE_MAX. An int64 list also accepts an integral
 * Double (the engine converts between the two numeric types). */
static size_t
find_category (const InkCategoryIndex *ix, const InkLabels *l, const InkValue *v)
{
  int64_t i;

  switch (ink_value_get_type (v)) {
  case INK_VALUE_STRING: return ink_category_index_find_string (ix, l, ink_value_get_string (v));
  case INK_VALUE_INT64: return ink_category_index_find_int64 (ix, l, ink_value_get_int64 (v));
  case INK_VALUE_DOUBLE:
    if (ink_fm_double_to_int64 (ink_value_get_double (v), &i))
      return ink_category_index_find_int64 (ix, l, i);
    return SIZE_MAX;
  default: return SIZE_MAX;
  }
}

/* The dense output: a multi-array declared with a fixed shape must hold one
 * value per category. */
static InkStatus
check_dense_output (const InkModel *model, size_t n, InkError *err)
{
  const InkFeatureDescription *out = &model->desc.outputs[0];
  size_t count;

  if (out->type.type != INK_VALUE_MULTIARRAY)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s: output '%s' must be a multi-array, not %s", ink_fm_kind (model),
                          out->name, ink_fm_type_name (&out->type));
  if (ink_fm_fixed_count (&out->type, &count) && count != n)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s: output '%s' is declared with %zu values but there are %zu "
                          "categories",
                          ink_fm_kind (model), out->name, count, n);
  return INK_OK;
}

static InkStatus
copy_categories (InkLabels *dst, const InkLabels *src, InkError *err)
{
  if (!ink_labels_copy (dst, src))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying categories");
  return INK_OK;
}

/* ---- OneHotEncoder ---- */

static InkModel *
one_hot_new (bool is_int64, const char *const *strings, const int64_t *ints, size_t n, bool sparse,
             bool ignore_unknown)
{
  InkModel *model = ink_fm_alloc (INK_MODEL_ONE_HOT_ENCODER, sizeof (InkOneHotEncoder));
  InkOneHotEncoder *e;
  bool ok;

  if (model == NULL)
    return NULL;
  e = model->body.any;
  ok = is_int64 ? ink_fm_labels_from_ints (&e->categories, ints, n)
                : ink_fm_labels_from_strings (&e->categories, strings, n);
  if (!ok) {
    ink_model_free (model);
    return NULL;
  }
  e->output_sparse = sparse;
  e->ignore_unknown = ignore_unknown;
  return model;
}

InkModel *
ink_one_hot_encoder_new_string (const char *const *categories, size_t n, bool sparse,
                                bool ignore_unknown)
{
  if (categories == NULL && n > 0)
    return NULL;
  return one_hot_new (false, categories, NULL, n, sparse, ignore_unknown);
}

InkModel *
ink_one_hot_encoder_new_int64 (const int64_t *categories, size_t n, bool sparse,
                               bool ignore_unknown)
{
  if (categories == NULL && n > 0)
    return NULL;
  return one_hot_new (true, NULL, categories, n, sparse, ignore_unknown);
}

const InkOneHotEncoder *
ink_one_hot_encoder_body (const InkModel *model)
{
  return model != NULL && model->kind == INK_MODEL_ONE_HOT_ENCODER ? model->body.any : NULL;
}

static void
one_hot_free_body (InkModel *model)
{
  InkOneHotEncoder *e = model->body.any;

  ink_labels_clear (&e->categories);
  ink_category_index_clear (&e->index);
  free (e);
  model->body.any = NULL;
}

static InkStatus
one_hot_finish (InkModel *model, InkError *err)
{
  InkOneHotEncoder *e = model->body.any;
  const InkFeatureDescription *in, *out;
  InkValueType want;
  InkStatus st = ink_fm_check_counts (model, 1, err);

  if (st != INK_OK)
    return st;
  in = &model->desc.inputs[0];
  out = &model->desc.outputs[0];
  want = e->categories.is_int64 ? INK_VALUE_INT64 : INK_VALUE_STRING;
  if (in->type.type != want)
    return ink_error_set (
      err, INK_ERR_INVALID_MODEL, "oneHotEncoder: input '%s' is %s but the categories are %s",
      in->name, ink_fm_type_name (&in->type), e->categories.is_int64 ? "Int64" : "String");
  if (e->output_sparse &&
      (out->type.type != INK_VALUE_DICTIONARY || out->type.key_type != INK_KEY_INT64))
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "oneHotEncoder: the sparse output '%s' must be a Dictionary (Int64 to "
                          "Double), not %s",
                          out->name, ink_fm_type_name (&out->type));
  if (!e->output_sparse && (st = check_dense_output (model, e->categories.n, err)) != INK_OK)
    return st;
  return ink_category_index_build (&e->index, &e->categories, model, err);
}

static InkStatus
unknown_error (const InkModel *model, const char *name, const InkValue *v, size_t n, InkError *err)
{
  const char *kind = ink_fm_kind (model);

  switch (ink_value_get_type (v)) {
  case INK_VALUE_STRING:
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "%s: input '%s' is \"%.100s\", which is not one of its %zu categories",
                          kind, name, ink_value_get_string (v), n);
  case INK_VALUE_INT64:
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "%s: input '%s' is %" PRId64 ", which is not one of its %zu categories",
                          kind, name, ink_value_get_int64 (v), n);
  case INK_VALUE_DOUBLE:
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "%s: input '%s' is %g, which is not one of its %zu categories", kind,
                          name, ink_value_get_double (v), n);
  default:
    return ink_error_set (err, INK_ERR_TYPE_MISMATCH, "%s: input '%s' is a %s", kind, name,
                          ink_value_type_to_string (ink_value_get_type (v)));
  }
}

static InkStatus
one_hot_predict (const InkModel *model, const InkFeatures *inputs, InkFeatures *out, InkError *err)
{
  const InkOneHotEncoder *e = model->body.any;
  const char *name = model->desc.inputs[0].name;
  const InkValue *v = ink_features_get (inputs, name);
  size_t n = e->categories.n, index = SIZE_MAX;
  InkValue *result;

  if (v != NULL)
    index = find_category (&e->index, &e->categories, v);
  if (index == SIZE_MAX && !e->ignore_unknown) {
    if (v == NULL)
      return ink_error_set (err, INK_ERR_MISSING_INPUT, "oneHotEncoder: input '%s' is missing",
                            name);
    return unknown_error (model, name, v, n, err);
  }
  if (e->output_sparse) {
    result = ink_value_new_dictionary (INK_KEY_INT64);
    if (result != NULL && index != SIZE_MAX &&
        ink_value_dictionary_set_int64 (result, (int64_t) index, 1.0) != INK_OK) {
      ink_value_free (result);
      result = NULL;
    }
  } else {
    double *x = calloc (n, sizeof *x); /* n >= 1, bounded at finish */

    if (x != NULL && index != SIZE_MAX)
      x[index] = 1.0;
    result = x != NULL ? ink_fm_array (0, NULL, x, n) : NULL;
    free (x);
  }
  return ink_fm_emit (model, result, out, err);
}

static InkStatus
one_hot_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  const InkOneHotEncoder *s = src->body.any;
  InkOneHotEncoder *d = dst->body.any;

  if (d == NULL) {
    d = dst->body.any = calloc (1, sizeof *d);
    if (d == NULL)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying a oneHotEncoder");
  }
  d->output_sparse = s->output_sparse;
  d->ignore_unknown = s->ignore_unknown;
  return copy_categories (&d->categories, &s->categories, err);
}

static InkStatus
one_hot_to_json (const InkModel *model, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkOneHotEncoder *e = model->body.any;
  cJSON *o = cJSON_AddObjectToObject (obj, "oneHotEncoder");

  (void) w;
  if (o == NULL ||
      !ink_fm_categories_to_json (o, &e->categories, "stringCategories", "int64Categories") ||
      cJSON_AddBoolToObject (o, "outputSparse", e->output_sparse) == NULL ||
      cJSON_AddStringToObject (o, "handleUnknown", handle_unknown_names[e->ignore_unknown]) == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a oneHotEncoder");
  return INK_OK;
}

static InkStatus
one_hot_from_json (InkModel *model, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  const cJSON *o = ink_fm_json_object (obj, "oneHotEncoder", err);
  InkOneHotEncoder *e;
  const char *handle = handle_unknown_names[0];
  bool sparse = false;
  InkStatus st;

  (void) r;
  if (o == NULL)
    return INK_ERR_FORMAT;
  if ((st = ink_json_opt_bool (o, "outputSparse", &sparse, err)) != INK_OK ||
      (st = ink_json_opt_string (o, "handleUnknown", &handle, err)) != INK_OK)
    return st;
  if (strcmp (handle, handle_unknown_names[0]) != 0 && strcmp (handle, handle_unknown_names[1]))
    return ink_error_set (err, INK_ERR_FORMAT, "\"handleUnknown\" has an unknown value \"%.60s\"",
                          handle);
  e = calloc (1, sizeof *e);
  if (e == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading a oneHotEncoder");
  st = ink_fm_categories_from_json (o, "stringCategories", "int64Categories", &e->categories, err);
  if (st != INK_OK) {
    free (e);
    return st;
  }
  e->output_sparse = sparse;
  e->ignore_unknown = strcmp (handle, handle_unknown_names[1]) == 0;
  if (model->body.any != NULL)
    one_hot_free_body (model);
  model->body.any = e;
  return INK_OK;
}

const InkModelOps ink_one_hot_encoder_ops = {
  .finish = one_hot_finish,
  .predict = one_hot_predict,
  .free_body = one_hot_free_body,
  .copy_body = one_hot_copy_body,
  .to_json = one_hot_to_json,
  .from_json = one_hot_from_json,
};

/* ---- DictVectorizer ---- */

static InkModel *
dict_vectorizer_new (bool is_int64, const char *const *strings, const int64_t *ints, size_t n)
{
  InkModel *model = ink_fm_alloc (INK_MODEL_DICT_VECTORIZER, sizeof (InkDictVectorizer));
  InkDictVectorizer *d;
  bool ok;

  if (model == NULL)
    return NULL;
  d = model->body.any;
  ok = is_int64 ? ink_fm_labels_from_ints (&d->categories, ints, n)
                : ink_fm_labels_from_strings (&d->categories, strings, n);
  if (!ok) {
    ink_model_free (model);
    return NULL;
  }
  return model;
}

InkModel *
ink_dict_vectorizer_new_string (const char *const *categories, size_t n)
{
  if (categories == NULL && n > 0)
    return NULL;
  return dict_vectorizer_new (false, categories, NULL, n);
}

InkModel *
ink_dict_vectorizer_new_int64 (const int64_t *categories, size_t n)
{
  if (categories == NULL && n > 0)
    return NULL;
  return dict_vectorizer_new (true, NULL, categories, n);
}

const InkDictVectorizer *
ink_dict_vectorizer_body (const InkModel *model)
{
  return model != NULL && model->kind == INK_MODEL_DICT_VECTORIZER ? model->body.any : NULL;
}

static void
dict_vectorizer_free_body (InkModel *model)
{
  InkDictVectorizer *d = model->body.any;

  ink_labels_clear (&d->categories);
  ink_category_index_clear (&d->index);
  free (d);
  model->body.any = NULL;
}

static InkStatus
dict_vectorizer_finish (InkModel *model, InkError *err)
{
  InkDictVectorizer *d = model->body.any;
  const InkFeatureDescription *in;
  InkKeyType want;
  InkStatus st = ink_fm_check_counts (model, 1, err);

  if (st != INK_OK)
    return st;
  in = &model->desc.inputs[0];
  want = d->categories.is_int64 ? INK_KEY_INT64 : INK_KEY_STRING;
  if (in->type.type != INK_VALUE_DICTIONARY || in->type.key_type != want)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "dictVectorizer: input '%s' is %s; the %s categories need a Dictionary "
                          "(%s to Double)",
                          in->name, ink_fm_type_name (&in->type),
                          d->categories.is_int64 ? "Int64" : "String",
                          d->categories.is_int64 ? "Int64" : "String");
  st = check_dense_output (model, d->categories.n, err);
  if (st != INK_OK)
    return st;
  return ink_category_index_build (&d->index, &d->categories, model, err);
}

static InkStatus
dict_vectorizer_predict (const InkModel *model, const InkFeatures *inputs, InkFeatures *out,
                         InkError *err)
{
  const InkDictVectorizer *d = model->body.any;
  const char *name = model->desc.inputs[0].name;
  const InkValue *v = ink_features_get (inputs, name);
  bool is_int64 = d->categories.is_int64;
  size_t n = d->categories.n;
  InkValue *result;
  double *x;

  if (v == NULL)
    return ink_error_set (err, INK_ERR_MISSING_INPUT, "dictVectorizer: input '%s' is missing",
                          name);
  if (ink_value_get_type (v) != INK_VALUE_DICTIONARY ||
      ink_value_dictionary_key_type (v) != (is_int64 ? INK_KEY_INT64 : INK_KEY_STRING))
    return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                          "dictVectorizer: input '%s' must be a Dictionary with %s keys", name,
                          is_int64 ? "Int64" : "String");
  x = calloc (n, sizeof *x); /* n >= 1, bounded at finish */
  if (x == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "dictVectorizer: out of memory");
  for (size_t i = 0; i < ink_value_dictionary_count (v); i++) {
    size_t k = is_int64 ? ink_category_index_find_int64 (&d->index, &d->categories,
                                                         ink_value_dictionary_int64_key (v, i))
                        : ink_category_index_find_string (&d->index, &d->categories,
                                                          ink_value_dictionary_string_key (v, i));

    if (k != SIZE_MAX)
      x[k] = ink_value_dictionary_value (v, i);
  }
  result = ink_fm_array (0, NULL, x, n);
  free (x);
  return ink_fm_emit (model, result, out, err);
}

static InkStatus
dict_vectorizer_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  const InkDictVectorizer *s = src->body.any;
  InkDictVectorizer *d = dst->body.any;

  if (d == NULL) {
    d = dst->body.any = calloc (1, sizeof *d);
    if (d == NULL)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying a dictVectorizer");
  }
  return copy_categories (&d->categories, &s->categories, err);
}

static InkStatus
dict_vectorizer_to_json (const InkModel *model, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkDictVectorizer *d = model->body.any;
  cJSON *o = cJSON_AddObjectToObject (obj, "dictVectorizer");

  (void) w;
  if (o == NULL || !ink_fm_categories_to_json (o, &d->categories, "stringToIndex", "int64ToIndex"))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a dictVectorizer");
  return INK_OK;
}

static InkStatus
dict_vectorizer_from_json (InkModel *model, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  const cJSON *o = ink_fm_json_object (obj, "dictVectorizer", err);
  InkDictVectorizer *d;
  InkStatus st;

  (void) r;
  if (o == NULL)
    return INK_ERR_FORMAT;
  d = calloc (1, sizeof *d);
  if (d == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading a dictVectorizer");
  st = ink_fm_categories_from_json (o, "stringToIndex", "int64ToIndex", &d->categories, err);
  if (st != INK_OK) {
    free (d);
    return st;
  }
  if (model->body.any != NULL)
    dict_vectorizer_free_body (model);
  model->body.any = d;
  return INK_OK;
}

const InkModelOps ink_dict_vectorizer_ops = {
  .finish = dict_vectorizer_finish,
  .predict = dict_vectorizer_predict,
  .free_body = dict_vectorizer_free_body,
  .copy_body = dict_vectorizer_copy_body,
  .to_json = dict_vectorizer_to_json,
  .from_json = dict_vectorizer_from_json,
};

/* ink-imputer.c: filling in missing values (Core ML's Imputer)
 *
 * Imputer, Model field 601 (Imputer.proto):
 *   oneof ImputedValue, what a missing value becomes:
 *     1  imputedDoubleValue       double
 *     2  imputedInt64Value        int64
 *     3  imputedStringValue       string
 *     4  imputedDoubleArray       DoubleVector
 *     5  imputedInt64Array        Int64Vector
 *     6  imputedStringDictionary  StringToDoubleMap
 *     7  imputedInt64Dictionary   Int64ToDoubleMap
 *   oneof ReplaceValue, the value that marks a value as missing:
 *     11 replaceDoubleValue  double
 *     12 replaceInt64Value   int64
 *     13 replaceStringValue  string
 *   A Double input equal to the replace value (NaN when none is given; NaN
 *   then matches NaN) becomes imputedDoubleValue. For a multi-array input
 *   every element equal to it is replaced: by imputedDoubleValue, or by
 *   element i of imputedDoubleArray (or imputedInt64Array, whose replace
 *   value is an int64). An Int64 or String input equal to its replace value
 *   is replaced. Inkling also imputes when the input (declared optional) is
 *   absent: the whole imputed value is the output. That is the only case
 *   for dictionaries, and for Int64 and String inputs without a replace
 *   value.
 *   Validation (coremltools): one input and one output of the same type,
 *   Int64, Double, multi-array, String or Dictionary; multi-arrays are
 *   one-dimensional with the output shaped like the input; the imputed
 *   value must be set and fit the input: a double fits a Double or a
 *   multi-array (replace value a double or none), an int64 an Int64
 *   (replace int64 or none), a string a String (replace string or none),
 *   a double array or an int64 array a multi-array of the same length
 *   (replace double, respectively int64, or none), a dictionary a
 *   Dictionary (no replace value). Inkling also requires dictionary key
 *   types to match, imputed values to be finite and arrays non-empty; it
 *   accepts arrays of any rank (element counts must agree when declared)
 *   and checks the length against the actual array at predict otherwise.
 *
 * Its JSON body is described in ink-imputer-json.c.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-features-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_BIT(t) (1u << (t))

/* What each imputed variant is called in messages and fits. */
typedef struct {
  const char *what;
  unsigned inputs; /* TYPE_BITs of the input types it fits */
  InkReplaceKind replace;
} ImputedInfo;

static const ImputedInfo imputed_info[] = {
  [INK_IMPUTED_NONE] = {"nothing", 0, INK_REPLACE_NONE},
  [INK_IMPUTED_DOUBLE] = {"a double", TYPE_BIT (INK_VALUE_DOUBLE) | TYPE_BIT (INK_VALUE_MULTIARRAY),
                          INK_REPLACE_DOUBLE},
  [INK_IMPUTED_INT64] = {"an int64", TYPE_BIT (INK_VALUE_INT64), INK_REPLACE_INT64},
  [INK_IMPUTED_STRING] = {"a string", TYPE_BIT (INK_VALUE_STRING), INK_REPLACE_STRING},
  [INK_IMPUTED_DOUBLE_ARRAY] = {"a double array", TYPE_BIT (INK_VALUE_MULTIARRAY),
                                INK_REPLACE_DOUBLE},
  [INK_IMPUTED_INT64_ARRAY] = {"an int64 array", TYPE_BIT (INK_VALUE_MULTIARRAY),
                               INK_REPLACE_INT64},
  [INK_IMPUTED_STRING_DICTIONARY] = {"a String-keyed dictionary", TYPE_BIT (INK_VALUE_DICTIONARY),
                                     INK_REPLACE_NONE},
  [INK_IMPUTED_INT64_DICTIONARY] = {"an Int64-keyed dictionary", TYPE_BIT (INK_VALUE_DICTIONARY),
                                    INK_REPLACE_NONE},
};

#define N_IMPUTED (sizeof imputed_info / sizeof imputed_info[0])

static const char *
replace_what (InkReplaceKind r)
{
  switch (r) {
  case INK_REPLACE_DOUBLE: return "a double";
  case INK_REPLACE_INT64: return "an int64";
  case INK_REPLACE_STRING: return "a string";
  case INK_REPLACE_NONE: break;
  }
  return "none";
}

static bool
is_dictionary (InkImputedKind k)
{
  return k == INK_IMPUTED_STRING_DICTIONARY || k == INK_IMPUTED_INT64_DICTIONARY;
}

static bool
is_array (InkImputedKind k)
{
  return k == INK_IMPUTED_DOUBLE_ARRAY || k == INK_IMPUTED_INT64_ARRAY;
}

/* ---- The body ---- */

void
ink_imputer_clear (InkImputer *b)
{
  free (b->imputed_string);
  free (b->imputed_doubles);
  free (b->imputed_ints);
  ink_labels_clear (&b->dict_keys);
  free (b->dict_values);
  free (b->replace_string);
  memset (b, 0, sizeof *b);
}

/* Replaces dst with a deep copy of src (whose pointers may be borrowed). */
static bool
imputer_copy (InkImputer *dst, const InkImputer *src)
{
  InkImputer c = *src;
  size_t n = src->n_imputed, n_keys = src->dict_keys.n;
  bool ok = true;

  c.imputed_string = c.replace_string = NULL;
  c.imputed_doubles = c.dict_values = NULL;
  c.imputed_ints = NULL;
  c.dict_keys = (InkLabels){.is_int64 = src->dict_keys.is_int64};
  if (src->imputed_string != NULL)
    ok = (c.imputed_string = ink_strdup (src->imputed_string)) != NULL;
  if (ok && src->replace_string != NULL)
    ok = (c.replace_string = ink_strdup (src->replace_string)) != NULL;
  if (ok && src->imputed_doubles != NULL && n > 0)
    ok = (c.imputed_doubles = ink_fm_dup_doubles (src->imputed_doubles, n)) != NULL;
  if (ok && src->imputed_ints != NULL && n > 0) {
    c.imputed_ints =
      n <= SIZE_MAX / sizeof *c.imputed_ints ? malloc (n * sizeof *c.imputed_ints) : NULL;
    ok = c.imputed_ints != NULL;
    if (ok)
      memcpy (c.imputed_ints, src->imputed_ints, n * sizeof *c.imputed_ints);
  }
  if (ok && n_keys > 0)
    ok = ink_labels_copy (&c.dict_keys, &src->dict_keys) &&
         (c.dict_values = ink_fm_dup_doubles (src->dict_values, n_keys)) != NULL;
  if (!ok) {
    ink_imputer_clear (&c);
    return false;
  }
  ink_imputer_clear (dst);
  *dst = c;
  return true;
}

/* A new imputer holding a copy of value. */
static InkModel *
imputer_new (const InkImputer *value)
{
  InkModel *model = ink_fm_alloc (INK_MODEL_IMPUTER, sizeof (InkImputer));

  if (model != NULL && !imputer_copy (model->body.any, value)) {
    ink_model_free (model);
    return NULL;
  }
  return model;
}

InkModel *
ink_imputer_new_double (double value)
{
  return imputer_new (&(InkImputer){.imputed = INK_IMPUTED_DOUBLE, .imputed_double = value});
}

InkModel *
ink_imputer_new_int64 (int64_t value)
{
  return imputer_new (&(InkImputer){.imputed = INK_IMPUTED_INT64, .imputed_int64 = value});
}

InkModel *
ink_imputer_new_string (const char *value)
{
  if (value == NULL)
    return NULL;
  return imputer_new (
    &(InkImputer){.imputed = INK_IMPUTED_STRING, .imputed_string = (char *) value});
}

InkModel *
ink_imputer_new_double_array (const double *values, size_t n)
{
  if (values == NULL && n > 0)
    return NULL;
  return imputer_new (&(InkImputer){
    .imputed = INK_IMPUTED_DOUBLE_ARRAY, .imputed_doubles = (double *) values, .n_imputed = n});
}

InkModel *
ink_imputer_new_int64_array (const int64_t *values, size_t n)
{
  if (values == NULL && n > 0)
    return NULL;
  return imputer_new (&(InkImputer){
    .imputed = INK_IMPUTED_INT64_ARRAY, .imputed_ints = (int64_t *) values, .n_imputed = n});
}

static InkModel *
dictionary_new (InkImputedKind kind, const char *const *skeys, const int64_t *ikeys,
                const double *values, size_t n)
{
  InkImputer v = {.imputed = kind, .dict_values = (double *) values};
  InkModel *model = NULL;
  bool ok;

  if (n > 0 && values == NULL)
    return NULL;
  ok = kind == INK_IMPUTED_INT64_DICTIONARY ? ink_fm_labels_from_ints (&v.dict_keys, ikeys, n)
                                            : ink_fm_labels_from_strings (&v.dict_keys, skeys, n);
  if (ok)
    model = imputer_new (&v);
  ink_labels_clear (&v.dict_keys);
  return model;
}

InkModel *
ink_imputer_new_string_dictionary (const char *const *keys, const double *values, size_t n)
{
  return dictionary_new (INK_IMPUTED_STRING_DICTIONARY, keys, NULL, values, n);
}

InkModel *
ink_imputer_new_int64_dictionary (const int64_t *keys, const double *values, size_t n)
{
  return dictionary_new (INK_IMPUTED_INT64_DICTIONARY, NULL, keys, values, n);
}

static InkImputer *
open_imputer (InkModel *model)
{
  InkImputer *b = ink_fm_open_body (model, INK_MODEL_IMPUTER);

  if (b != NULL) {
    free (b->replace_string);
    b->replace_string = NULL;
  }
  return b;
}

InkStatus
ink_imputer_set_replace_double (InkModel *model, double value)
{
  InkImputer *b = open_imputer (model);

  if (b == NULL)
    return INK_ERR_INVALID_ARGUMENT;
  b->replace = INK_REPLACE_DOUBLE;
  b->replace_double = value;
  return INK_OK;
}

InkStatus
ink_imputer_set_replace_int64 (InkModel *model, int64_t value)
{
  InkImputer *b = open_imputer (model);

  if (b == NULL)
    return INK_ERR_INVALID_ARGUMENT;
  b->replace = INK_REPLACE_INT64;
  b->replace_int64 = value;
  return INK_OK;
}

InkStatus
ink_imputer_set_replace_string (InkModel *model, const char *value)
{
  InkImputer *b = value != NULL ? open_imputer (model) : NULL;

  if (b == NULL)
    return INK_ERR_INVALID_ARGUMENT;
  b->replace_string = ink_strdup (value);
  if (b->replace_string == NULL) {
    b->replace = INK_REPLACE_NONE;
    return INK_ERR_NO_MEMORY;
  }
  b->replace = INK_REPLACE_STRING;
  return INK_OK;
}

const InkImputer *
ink_imputer_body (const InkModel *model)
{
  return model != NULL && model->kind == INK_MODEL_IMPUTER ? model->body.any : NULL;
}

static void
imputer_free_body (InkModel *model)
{
  ink_imputer_clear (model->body.any);
  free (model->body.any);
  model->body.any = NULL;
}

/* ---- Validation ---- */

static InkStatus
check_finite (const double *v, size_t n, InkError *err)
{
  for (size_t i = 0; i < n; i++) {
    if (!isfinite (v[i]))
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "imputer: imputed value %zu is not finite",
                            i);
  }
  return INK_OK;
}

static InkStatus
imputer_finish (InkModel *model, InkError *err)
{
  const InkImputer *b = model->body.any;
  const InkFeatureDescription *in, *out;
  const ImputedInfo *info;
  size_t a, c;
  InkStatus st = ink_fm_check_counts (model, 1, err);

  if (st != INK_OK)
    return st;
  in = &model->desc.inputs[0];
  out = &model->desc.outputs[0];
  if ((unsigned) b->imputed >= N_IMPUTED || b->imputed == INK_IMPUTED_NONE)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "imputer has no imputed value");
  info = &imputed_info[b->imputed];
  if (in->type.type != out->type.type ||
      (in->type.type == INK_VALUE_DICTIONARY && in->type.key_type != out->type.key_type))
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "imputer: input '%s' is %s but output '%s' is %s", in->name,
                          ink_fm_type_name (&in->type), out->name, ink_fm_type_name (&out->type));
  if (!(info->inputs & TYPE_BIT (in->type.type)) ||
      (b->imputed == INK_IMPUTED_STRING_DICTIONARY && in->type.key_type != INK_KEY_STRING) ||
      (b->imputed == INK_IMPUTED_INT64_DICTIONARY && in->type.key_type != INK_KEY_INT64))
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "imputer: input '%s' is %s, which %s imputed value does not fit",
                          in->name, ink_fm_type_name (&in->type), info->what);
  if (b->replace != INK_REPLACE_NONE && b->replace != info->replace)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "imputer: %s replace value does not go with %s imputed value",
                          replace_what (b->replace), info->what);
  if (b->imputed == INK_IMPUTED_DOUBLE && !isfinite (b->imputed_double))
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "imputer: the imputed value is not finite");
  if (is_array (b->imputed) && (b->n_imputed == 0 || b->n_imputed > INK_FM_MAX_VALUES))
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "imputer: the imputed array has %zu values",
                          b->n_imputed);
  if (b->imputed == INK_IMPUTED_DOUBLE_ARRAY &&
      (st = check_finite (b->imputed_doubles, b->n_imputed, err)) != INK_OK)
    return st;
  if (is_dictionary (b->imputed) &&
      (st = check_finite (b->dict_values, b->dict_keys.n, err)) != INK_OK)
    return st;
  if (in->type.type == INK_VALUE_MULTIARRAY && ink_fm_fixed_count (&in->type, &a)) {
    if (ink_fm_fixed_count (&out->type, &c) && a != c)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "imputer: output '%s' is declared with %zu values but input '%s' "
                            "with %zu",
                            out->name, c, in->name, a);
    if (is_array (b->imputed) && a != b->n_imputed)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "imputer: input '%s' is declared with %zu values but the imputed "
                            "array has %zu",
                            in->name, a, b->n_imputed);
  }
  return INK_OK;
}

/* ---- Prediction ---- */

static bool
element_missing (const InkImputer *b, double x)
{
  switch (b->replace) {
  case INK_REPLACE_DOUBLE: return isnan (b->replace_double) ? isnan (x) : x == b->replace_double;
  case INK_REPLACE_INT64: return x == (double) b->replace_int64;
  default: return isnan (x);
  }
}

static double
imputed_element (const InkImputer *b, size_t i)
{
  switch (b->imputed) {
  case INK_IMPUTED_DOUBLE_ARRAY: return b->imputed_doubles[i];
  case INK_IMPUTED_INT64_ARRAY: return (double) b->imputed_ints[i];
  default: return b->imputed_double;
  }
}

static InkStatus
impute_array (const InkModel *model, const InkValue *v, InkFeatures *out, InkError *err)
{
  const InkImputer *b = model->body.any;
  const InkFeatureDescription *in = &model->desc.inputs[0];
  const int64_t *shape = NULL;
  size_t n = b->n_imputed, rank = 0;
  InkValue *result;
  double *x;

  if (v == NULL && b->imputed == INK_IMPUTED_DOUBLE) {
    if (!ink_fm_fixed_count (&in->type, &n))
      return ink_error_set (err, INK_ERR_MISSING_INPUT,
                            "imputer: input '%s' is missing and has no fixed shape to fill",
                            in->name);
    rank = in->type.rank;
    shape = in->type.shape;
  } else if (v != NULL) {
    if (ink_value_get_type (v) != INK_VALUE_MULTIARRAY)
      return ink_error_set (err, INK_ERR_TYPE_MISMATCH, "imputer: input '%s' is not a multi-array",
                            in->name);
    n = ink_value_array_count (v);
    rank = ink_value_array_rank (v);
    shape = ink_value_array_shape (v);
    if (is_array (b->imputed) && n != b->n_imputed)
      return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                            "imputer: input '%s' has %zu values but the imputed array has %zu",
                            in->name, n, b->n_imputed);
  }
  x = malloc ((n > 0 ? n : 1) * sizeof *x);
  if (x == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "imputer: out of memory");
  for (size_t i = 0; i < n; i++) {
    x[i] = v != NULL ? ink_value_array_get (v, i) : NAN;
    if (v == NULL || element_missing (b, x[i]))
      x[i] = imputed_element (b, i);
  }
  result = ink_fm_array (rank, shape, x, n);
  free (x);
  return ink_fm_emit (model, result, out, err);
}

static InkValue *
new_dictionary (const InkImputer *b)
{
  bool ints = b->dict_keys.is_int64;
  InkValue *d = ink_value_new_dictionary (ints ? INK_KEY_INT64 : INK_KEY_STRING);

  for (size_t i = 0; d != NULL && i < b->dict_keys.n; i++) {
    InkStatus st =
      ints ? ink_value_dictionary_set_int64 (d, b->dict_keys.ints[i], b->dict_values[i])
           : ink_value_dictionary_set_string (d, b->dict_keys.strings[i], b->dict_values[i]);

    if (st != INK_OK) {
      ink_value_free (d);
      d = NULL;
    }
  }
  return d;
}

static InkStatus
imputer_predict (const InkModel *model, const InkFeatures *inputs, InkFeatures *out, InkError *err)
{
  const InkImputer *b = model->body.any;
  const char *name = model->desc.inputs[0].name;
  const InkValue *v = ink_features_get (inputs, name);
  InkValueType vt = ink_value_get_type (v);
  double d;
  int64_t i;

  switch (b->imputed) {
  case INK_IMPUTED_DOUBLE:
    if (model->desc.inputs[0].type.type == INK_VALUE_MULTIARRAY)
      return impute_array (model, v, out, err);
    d = vt == INK_VALUE_INT64    ? (double) ink_value_get_int64 (v)
        : vt == INK_VALUE_DOUBLE ? ink_value_get_double (v)
                                 : NAN;
    if (v == NULL || element_missing (b, d))
      d = b->imputed_double;
    return ink_fm_emit (model, ink_value_new_double (d), out, err);
  case INK_IMPUTED_INT64:
    if (v == NULL)
      return ink_fm_emit (model, ink_value_new_int64 (b->imputed_int64), out, err);
    if (vt == INK_VALUE_INT64)
      i = ink_value_get_int64 (v);
    else if (vt != INK_VALUE_DOUBLE || !ink_fm_double_to_int64 (ink_value_get_double (v), &i))
      return ink_error_set (err, INK_ERR_TYPE_MISMATCH, "imputer: input '%s' is not an Int64",
                            name);
    if (b->replace == INK_REPLACE_INT64 && i == b->replace_int64)
      i = b->imputed_int64;
    return ink_fm_emit (model, ink_value_new_int64 (i), out, err);
  case INK_IMPUTED_STRING:
    if (v != NULL && vt != INK_VALUE_STRING)
      return ink_error_set (err, INK_ERR_TYPE_MISMATCH, "imputer: input '%s' is not a String",
                            name);
    if (v == NULL || (b->replace == INK_REPLACE_STRING &&
                      strcmp (ink_value_get_string (v), b->replace_string) == 0))
      return ink_fm_emit (model, ink_value_new_string (b->imputed_string), out, err);
    return ink_fm_emit (model, ink_value_copy (v), out, err);
  case INK_IMPUTED_DOUBLE_ARRAY:
  case INK_IMPUTED_INT64_ARRAY: return impute_array (model, v, out, err);
  case INK_IMPUTED_STRING_DICTIONARY:
  case INK_IMPUTED_INT64_DICTIONARY:
    return ink_fm_emit (model, v != NULL ? ink_value_copy (v) : new_dictionary (b), out, err);
  case INK_IMPUTED_NONE: break;
  }
  return ink_error_set (err, INK_ERR_INVALID_MODEL, "imputer has no imputed value");
}

/* ---- Copy (the JSON body is in ink-imputer-json.c) ---- */

static InkStatus
imputer_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  if (dst->body.any == NULL)
    dst->body.any = calloc (1, sizeof (InkImputer));
  if (dst->body.any == NULL || !imputer_copy (dst->body.any, src->body.any))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying an imputer");
  return INK_OK;
}

const InkModelOps ink_imputer_ops = {
  .finish = imputer_finish,
  .predict = imputer_predict,
  .free_body = imputer_free_body,
  .copy_body = imputer_copy_body,
  .to_json = ink_imputer_to_json,
  .from_json = ink_imputer_from_json,
};

/* ink-scaler.c: numeric rescaling (Core ML's Scaler and Normalizer)
 *
 * Scaler, Model field 604 (Scaler.proto):
 *   1  shiftValue  repeated double
 *   2  scaleValue  repeated double
 *   The output is scaleValue * (x + shiftValue). An empty shift means 0 and
 *   an empty scale 1; a single value applies to every element of an array
 *   input, otherwise there is one value per element. An Int64 input is
 *   computed as a double; an Int64 output is the result converted back,
 *   and a conversion that would lose information is an error.
 *   Validation (coremltools): one input and one output, each Int64, Double
 *   or multi-array; an Int64 input may give an Int64 or a Double, any other
 *   input the same type; multi-arrays are one-dimensional with the output
 *   shaped like the input; each value list has 0, 1 or (arrays only) as
 *   many entries as the array. Inkling accepts arrays of any rank (the
 *   element counts must agree when declared), checks the list lengths
 *   against the actual array at predict when the input shape is flexible,
 *   and refuses values that are not finite.
 *
 * Normalizer, Model field 607 (Normalizer.proto):
 *   1  normType  enum NormType: LMax = 0, L1 = 1, L2 = 2
 *   The output is the input divided by its norm: LMax the largest absolute
 *   element (Core ML's documentation writes max(x_i); scikit-learn's "max"
 *   norm, which coremltools converts to LMax, takes absolute values), L1
 *   the sum of absolute values, L2 the square root of the sum of squares.
 *   An all-zero input (norm 0) is returned unchanged. Validation
 *   (coremltools): one multi-array input, one multi-array output, a known
 *   normType. Inkling also requires declared fixed shapes to agree.
 *
 * JSON bodies:
 *   {"scaler": {"shiftValue": [...], "scaleValue": [...]}}
 *   {"normalizer": {"normType": "LMax" | "L1" | "L2"}}
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-features-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const norm_names[] = {"LMax", "L1", "L2"};
#define N_NORMS (sizeof norm_names / sizeof norm_names[0])

/* ---- Scaler ---- */

/* Replaces the body's values with copies. */
static bool
scaler_set (InkScaler *s, const double *shift, size_t n_shift, const double *scale, size_t n_scale)
{
  double *a = ink_fm_dup_doubles (shift, n_shift), *b = ink_fm_dup_doubles (scale, n_scale);

  if ((n_shift > 0 && a == NULL) || (n_scale > 0 && b == NULL)) {
    free (a);
    free (b);
    return false;
  }
  free (s->shift);
  free (s->scale);
  s->shift = a;
  s->n_shift = n_shift;
  s->scale = b;
  s->n_scale = n_scale;
  return true;
}

InkModel *
ink_scaler_new (const double *shift, size_t n_shift, const double *scale, size_t n_scale)
{
  InkModel *model;

  if ((shift == NULL && n_shift > 0) || (scale == NULL && n_scale > 0))
    return NULL;
  model = ink_fm_alloc (INK_MODEL_SCALER, sizeof (InkScaler));
  if (model != NULL && !scaler_set (model->body.any, shift, n_shift, scale, n_scale)) {
    ink_model_free (model);
    return NULL;
  }
  return model;
}

const InkScaler *
ink_scaler_body (const InkModel *model)
{
  return model != NULL && model->kind == INK_MODEL_SCALER ? model->body.any : NULL;
}

static void
scaler_free_body (InkModel *model)
{
  InkScaler *s = model->body.any;

  free (s->shift);
  free (s->scale);
  free (s);
  model->body.any = NULL;
}

static InkStatus
check_values (const double *v, size_t n, const char *what, InkError *err)
{
  if (n > INK_FM_MAX_VALUES)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "scaler has too many %s values (%zu)", what,
                          n);
  for (size_t i = 0; i < n; i++) {
    if (!isfinite (v[i]))
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "scaler: %s value %zu is not finite", what,
                            i);
  }
  return INK_OK;
}

/* A list of n values fits an input of count elements (SIZE_MAX: a scalar). */
static bool
length_fits (size_t n, size_t count)
{
  return n <= 1 || (count != SIZE_MAX && n == count);
}

static InkStatus
check_types (const InkModel *model, const InkFeatureDescription *in,
             const InkFeatureDescription *out, InkError *err)
{
  bool scaler = model->kind == INK_MODEL_SCALER;
  size_t a, b;
  bool ok;

  switch (in->type.type) {
  case INK_VALUE_INT64:
  case INK_VALUE_DOUBLE:
    if (!scaler)
      goto bad_input;
    ok = out->type.type == INK_VALUE_DOUBLE ||
         (in->type.type == INK_VALUE_INT64 && out->type.type == INK_VALUE_INT64);
    break;
  case INK_VALUE_MULTIARRAY:
    ok = out->type.type == INK_VALUE_MULTIARRAY;
    if (ok && ink_fm_fixed_count (&in->type, &a) && ink_fm_fixed_count (&out->type, &b) && a != b)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s: output '%s' is declared with %zu values but input '%s' with %zu",
                            ink_fm_kind (model), out->name, b, in->name, a);
    break;
  default:
  bad_input:
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s: input '%s' is %s; expected %s",
                          ink_fm_kind (model), in->name, ink_fm_type_name (&in->type),
                          scaler ? "a Double, an Int64 or a multi-array" : "a multi-array");
  }
  if (!ok)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s: input '%s' is %s but output '%s' is %s",
                          ink_fm_kind (model), in->name, ink_fm_type_name (&in->type), out->name,
                          ink_fm_type_name (&out->type));
  return INK_OK;
}

static InkStatus
scaler_finish (InkModel *model, InkError *err)
{
  const InkScaler *s = model->body.any;
  const InkFeatureDescription *in;
  size_t count = SIZE_MAX;
  InkStatus st = ink_fm_check_counts (model, 1, err);

  if (st != INK_OK)
    return st;
  in = &model->desc.inputs[0];
  if ((st = check_values (s->shift, s->n_shift, "shift", err)) != INK_OK ||
      (st = check_values (s->scale, s->n_scale, "scale", err)) != INK_OK ||
      (st = check_types (model, in, &model->desc.outputs[0], err)) != INK_OK)
    return st;
  if (in->type.type == INK_VALUE_MULTIARRAY && !ink_fm_fixed_count (&in->type, &count))
    return INK_OK; /* checked at predict */
  if (in->type.type == INK_VALUE_MULTIARRAY)
    count = count > 1 ? count : 0; /* a one-element array takes one value */
  if (!length_fits (s->n_shift, count) || !length_fits (s->n_scale, count))
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "scaler: %zu shift and %zu scale values for input '%s' (%s); each "
                          "needs 0, 1%s",
                          s->n_shift, s->n_scale, in->name, ink_fm_type_name (&in->type),
                          count != SIZE_MAX ? " or one per element" : "");
  return INK_OK;
}

static double
scale_one (const InkScaler *s, size_t i, double x)
{
  double shift = s->n_shift == 0 ? 0.0 : s->shift[s->n_shift == 1 ? 0 : i];
  double scale = s->n_scale == 0 ? 1.0 : s->scale[s->n_scale == 1 ? 0 : i];

  return (x + shift) * scale;
}

static InkStatus
scale_scalar (const InkModel *model, double x, InkFeatures *out, InkError *err)
{
  double y = scale_one (model->body.any, 0, x);
  int64_t i;

  if (model->desc.outputs[0].type.type != INK_VALUE_INT64)
    return ink_fm_emit (model, ink_value_new_double (y), out, err);
  if (!ink_fm_double_to_int64 (y, &i))
    return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                          "scaler: the result %g cannot be the Int64 output '%s' without loss", y,
                          model->desc.outputs[0].name);
  return ink_fm_emit (model, ink_value_new_int64 (i), out, err);
}

static InkStatus
scaler_predict (const InkModel *model, const InkFeatures *inputs, InkFeatures *out, InkError *err)
{
  const InkScaler *s = model->body.any;
  const char *name = model->desc.inputs[0].name;
  const InkValue *v = ink_features_get (inputs, name);
  InkValue *result;
  size_t n;
  double *y;

  switch (ink_value_get_type (v)) {
  case INK_VALUE_DOUBLE: return scale_scalar (model, ink_value_get_double (v), out, err);
  case INK_VALUE_INT64: return scale_scalar (model, (double) ink_value_get_int64 (v), out, err);
  case INK_VALUE_MULTIARRAY: break;
  default:
    return ink_error_set (err, v == NULL ? INK_ERR_MISSING_INPUT : INK_ERR_TYPE_MISMATCH,
                          "scaler: input '%s' is %s", name,
                          v == NULL ? "missing" : "not a number or a multi-array");
  }
  n = ink_value_array_count (v);
  if (!length_fits (s->n_shift, n > 1 ? n : 0) || !length_fits (s->n_scale, n > 1 ? n : 0))
    return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                          "scaler: input '%s' has %zu values but there are %zu shift and %zu "
                          "scale values",
                          name, n, s->n_shift, s->n_scale);
  y = malloc ((n > 0 ? n : 1) * sizeof *y);
  if (y == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "scaler: out of memory");
  for (size_t i = 0; i < n; i++)
    y[i] = scale_one (s, i, ink_value_array_get (v, i));
  result = ink_fm_array (ink_value_array_rank (v), ink_value_array_shape (v), y, n);
  free (y);
  return ink_fm_emit (model, result, out, err);
}

static InkStatus
scaler_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  const InkScaler *s = src->body.any;

  if (dst->body.any == NULL)
    dst->body.any = calloc (1, sizeof (InkScaler));
  if (dst->body.any == NULL ||
      !scaler_set (dst->body.any, s->shift, s->n_shift, s->scale, s->n_scale))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying a scaler");
  return INK_OK;
}

static bool
add_doubles (cJSON *obj, const char *key, const double *v, size_t n)
{
  cJSON *array = ink_json_doubles (v, n);

  if (array == NULL || !cJSON_AddItemToObject (obj, key, array)) {
    cJSON_Delete (array);
    return false;
  }
  return true;
}

static InkStatus
scaler_to_json (const InkModel *model, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkScaler *s = model->body.any;
  cJSON *o = cJSON_AddObjectToObject (obj, "scaler");

  (void) w;
  if (o == NULL || !add_doubles (o, "shiftValue", s->shift, s->n_shift) ||
      !add_doubles (o, "scaleValue", s->scale, s->n_scale))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a scaler");
  return INK_OK;
}

/* An optional array of doubles: absent or empty gives NULL and 0. */
static InkStatus
opt_doubles (const cJSON *o, const char *key, double **v, size_t *n, InkError *err)
{
  InkStatus st;

  *v = NULL;
  *n = 0;
  if (cJSON_GetObjectItemCaseSensitive (o, key) == NULL)
    return INK_OK;
  st = ink_json_get_doubles (o, key, v, n, err);
  if (st == INK_OK && *n == 0) {
    free (*v);
    *v = NULL;
  }
  return st;
}

static InkStatus
scaler_from_json (InkModel *model, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  const cJSON *o = ink_fm_json_object (obj, "scaler", err);
  InkScaler *s;
  InkStatus st;

  (void) r;
  if (o == NULL)
    return INK_ERR_FORMAT;
  s = calloc (1, sizeof *s);
  if (s == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading a scaler");
  if ((st = opt_doubles (o, "shiftValue", &s->shift, &s->n_shift, err)) != INK_OK ||
      (st = opt_doubles (o, "scaleValue", &s->scale, &s->n_scale, err)) != INK_OK) {
    free (s->shift);
    free (s);
    return st;
  }
  if (model->body.any != NULL)
    scaler_free_body (model);
  model->body.any = s;
  return INK_OK;
}

const InkModelOps ink_scaler_ops = {
  .finish = scaler_finish,
  .predict = scaler_predict,
  .free_body = scaler_free_body,
  .copy_body = scaler_copy_body,
  .to_json = scaler_to_json,
  .from_json = scaler_from_json,
};

/* ---- Normalizer ---- */

InkModel *
ink_normalizer_new (InkNormType norm)
{
  InkModel *model = ink_fm_alloc (INK_MODEL_NORMALIZER, sizeof (InkNormalizer));

  if (model != NULL)
    ((InkNormalizer *) model->body.any)->norm = norm;
  return model;
}

const InkNormalizer *
ink_normalizer_body (const InkModel *model)
{
  return model != NULL && model->kind == INK_MODEL_NORMALIZER ? model->body.any : NULL;
}

static void
normalizer_free_body (InkModel *model)
{
  free (model->body.any);
  model->body.any = NULL;
}

static InkStatus
normalizer_finish (InkModel *model, InkError *err)
{
  const InkNormalizer *nz = model->body.any;
  InkStatus st = ink_fm_check_counts (model, 1, err);

  if (st != INK_OK)
    return st;
  if ((unsigned) nz->norm >= N_NORMS)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "normalizer: unknown norm type %d",
                          (int) nz->norm);
  return check_types (model, &model->desc.inputs[0], &model->desc.outputs[0], err);
}

/* The norm of x; L2 is computed on x / max |x_i| so squares cannot
 * overflow or underflow. */
static double
norm_of (InkNormType norm, const double *x, size_t n)
{
  double max = 0, sum = 0;

  for (size_t i = 0; i < n; i++) {
    double a = fabs (x[i]);

    if (isnan (a))
      return NAN;
    max = a > max ? a : max;
    sum += a;
  }
  if (norm == INK_NORM_LMAX || max == 0 || isinf (max))
    return norm == INK_NORM_L1 ? sum : max;
  if (norm == INK_NORM_L1)
    return sum;
  sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += (x[i] / max) * (x[i] / max);
  return max * sqrt (sum);
}

static InkStatus
normalizer_predict (const InkModel *model, const InkFeatures *inputs, InkFeatures *out,
                    InkError *err)
{
  const InkNormalizer *nz = model->body.any;
  const char *name = model->desc.inputs[0].name;
  const InkValue *v = ink_features_get (inputs, name);
  InkValue *result;
  double *x, norm;
  size_t n;

  if (v == NULL || ink_value_get_type (v) != INK_VALUE_MULTIARRAY)
    return ink_error_set (err, v == NULL ? INK_ERR_MISSING_INPUT : INK_ERR_TYPE_MISMATCH,
                          "normalizer: input '%s' is %s", name,
                          v == NULL ? "missing" : "not a multi-array");
  n = ink_value_array_count (v);
  x = malloc ((n > 0 ? n : 1) * sizeof *x);
  if (x == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "normalizer: out of memory");
  for (size_t i = 0; i < n; i++)
    x[i] = ink_value_array_get (v, i);
  norm = norm_of (nz->norm, x, n);
  for (size_t i = 0; norm != 0 && i < n; i++)
    x[i] /= norm;
  result = ink_fm_array (ink_value_array_rank (v), ink_value_array_shape (v), x, n);
  free (x);
  return ink_fm_emit (model, result, out, err);
}

static InkStatus
normalizer_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  if (dst->body.any == NULL)
    dst->body.any = calloc (1, sizeof (InkNormalizer));
  if (dst->body.any == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying a normalizer");
  *(InkNormalizer *) dst->body.any = *(const InkNormalizer *) src->body.any;
  return INK_OK;
}

static InkStatus
normalizer_to_json (const InkModel *model, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkNormalizer *nz = model->body.any;
  cJSON *o;

  (void) w;
  if ((unsigned) nz->norm >= N_NORMS)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "normalizer: unknown norm type %d",
                          (int) nz->norm);
  o = cJSON_AddObjectToObject (obj, "normalizer");
  if (o == NULL || cJSON_AddStringToObject (o, "normType", norm_names[nz->norm]) == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a normalizer");
  return INK_OK;
}

static InkStatus
normalizer_from_json (InkModel *model, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  const cJSON *o = ink_fm_json_object (obj, "normalizer", err);
  const char *name;
  InkStatus st;

  (void) r;
  if (o == NULL)
    return INK_ERR_FORMAT;
  st = ink_json_get_string (o, "normType", &name, err);
  if (st != INK_OK)
    return st;
  for (size_t i = 0; i < N_NORMS; i++) {
    if (strcmp (name, norm_names[i]) != 0)
      continue;
    if (model->body.any == NULL)
      model->body.any = calloc (1, sizeof (InkNormalizer));
    if (model->body.any == NULL)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading a normalizer");
    ((InkNormalizer *) model->body.any)->norm = (InkNormType) i;
    return INK_OK;
  }
  return ink_error_set (err, INK_ERR_FORMAT, "\"normType\" has an unknown value \"%.60s\"", name);
}

const InkModelOps ink_normalizer_ops = {
  .finish = normalizer_finish,
  .predict = normalizer_predict,
  .free_body = normalizer_free_body,
  .copy_body = normalizer_copy_body,
  .to_json = normalizer_to_json,
  .from_json = normalizer_from_json,
};

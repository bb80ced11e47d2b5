/* ink-classifier.c: numeric input vectors and classifier/regressor outputs
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-model-private.h"

#include <math.h>
#include <string.h>

static const InkFeatureDescription *
find_output (const InkModel *model, const char *name)
{
  for (size_t i = 0; i < model->desc.n_outputs; i++) {
    if (strcmp (model->desc.outputs[i].name, name) == 0)
      return &model->desc.outputs[i];
  }
  return NULL;
}

static bool
is_set (const char *s)
{
  return s != NULL && s[0] != '\0';
}

/* Where a classifier's label goes: the predicted feature name, else the
 * first string or int64 output. NULL when there is none. */
static const char *
label_name (const InkModel *model)
{
  if (is_set (model->desc.predicted_feature_name))
    return model->desc.predicted_feature_name;
  for (size_t i = 0; i < model->desc.n_outputs; i++) {
    InkValueType t = model->desc.outputs[i].type.type;

    if (t == INK_VALUE_STRING || t == INK_VALUE_INT64)
      return model->desc.outputs[i].name;
  }
  return NULL;
}

/* Where a regressor's value goes: the predicted feature name, else the
 * first output. */
static const char *
regressor_name (const InkModel *model)
{
  if (is_set (model->desc.predicted_feature_name))
    return model->desc.predicted_feature_name;
  return model->desc.n_outputs > 0 ? model->desc.outputs[0].name : NULL;
}

static const char *
kind_name (const InkModel *model)
{
  return ink_model_kind_to_string (model->kind);
}

static void
copy_array (const InkValue *v, double *out)
{
  const void *data = ink_value_array_const_data (v);
  size_t n = ink_value_array_count (v);

  switch (ink_value_array_type (v)) {
  case INK_ARRAY_FLOAT32:
    for (size_t i = 0; i < n; i++)
      out[i] = ((const float *) data)[i];
    break;
  case INK_ARRAY_FLOAT64:
    if (n > 0)
      memcpy (out, data, n * sizeof (double));
    break;
  case INK_ARRAY_INT32:
    for (size_t i = 0; i < n; i++)
      out[i] = ((const int32_t *) data)[i];
    break;
  }
}

/* How many numbers a value gives, or an error naming the feature. */
static InkStatus
value_size (const InkModel *model, const char *name, const InkValue *v, size_t *size, InkError *err)
{
  if (v == NULL)
    return ink_error_set (err, INK_ERR_MISSING_INPUT, "%s: input \"%s\" is missing",
                          kind_name (model), name);
  switch (ink_value_get_type (v)) {
  case INK_VALUE_DOUBLE:
  case INK_VALUE_INT64: *size = 1; return INK_OK;
  case INK_VALUE_MULTIARRAY: *size = ink_value_array_count (v); return INK_OK;
  case INK_VALUE_DICTIONARY:
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "%s: input \"%s\" is a dictionary, which cannot be read as numbers",
                          kind_name (model), name);
  default:
    return ink_error_set (
      err, INK_ERR_TYPE_MISMATCH, "%s: input \"%s\" is a %s; expected a number or a multi-array",
      kind_name (model), name, ink_value_type_to_string (ink_value_get_type (v)));
  }
}

InkStatus
ink_model_gather_inputs (const InkModel *model, const InkFeatures *inputs, double *out, size_t n,
                         InkError *err)
{
  size_t total = 0, pos = 0;

  for (size_t i = 0; i < model->desc.n_inputs; i++) {
    const char *name = model->desc.inputs[i].name;
    size_t size = 0;
    InkStatus st = value_size (model, name, ink_features_get (inputs, name), &size, err);

    if (st != INK_OK)
      return st;
    if (size > SIZE_MAX - total)
      return ink_error_set (err, INK_ERR_SHAPE_MISMATCH, "%s: the inputs are too large",
                            kind_name (model));
    total += size;
  }
  if (total != n)
    return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                          "%s: its %zu input(s) give %zu value(s); the model takes %zu",
                          kind_name (model), model->desc.n_inputs, total, n);
  for (size_t i = 0; i < model->desc.n_inputs; i++) {
    const InkValue *v = ink_features_get (inputs, model->desc.inputs[i].name);

    switch (ink_value_get_type (v)) {
    case INK_VALUE_DOUBLE: out[pos++] = ink_value_get_double (v); break;
    case INK_VALUE_INT64: out[pos++] = (double) ink_value_get_int64 (v); break;
    case INK_VALUE_MULTIARRAY:
      copy_array (v, out + pos);
      pos += ink_value_array_count (v);
      break;
    default: break;
    }
  }
  return INK_OK;
}

InkStatus
ink_model_input_dimension (const InkModel *model, size_t *dim, bool *known, InkError *err)
{
  size_t total = 0;

  *known = true;
  if (model->desc.n_inputs == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s has no inputs", kind_name (model));
  for (size_t i = 0; i < model->desc.n_inputs; i++) {
    const InkFeatureDescription *fd = &model->desc.inputs[i];
    size_t size = 1;

    switch (fd->type.type) {
    case INK_VALUE_DOUBLE:
    case INK_VALUE_INT64: break;
    case INK_VALUE_MULTIARRAY:
      if (fd->type.rank == 0)
        *known = false;
      for (size_t d = 0; d < fd->type.rank && d < INK_MAX_RANK; d++) {
        if (fd->type.shape[d] < 0)
          *known = false;
        else if (!ink_size_mul (size, (size_t) fd->type.shape[d], &size))
          return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s: input \"%s\" is too large",
                                kind_name (model), fd->name);
      }
      break;
    case INK_VALUE_DICTIONARY:
      return ink_error_set (err, INK_ERR_UNSUPPORTED,
                            "%s: input \"%s\" is a dictionary, which cannot be read as numbers",
                            kind_name (model), fd->name);
    default:
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s: input \"%s\" is a %s; expected a number or a multi-array",
                            kind_name (model), fd->name, ink_value_type_to_string (fd->type.type));
    }
    if (size > SIZE_MAX - total)
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s: the inputs are too large",
                            kind_name (model));
    total += size;
  }
  *dim = *known ? total : 0;
  return INK_OK;
}

InkStatus
ink_features_read_vector (const InkFeatures *inputs, const char *name, double *out, size_t n,
                          InkError *err)
{
  const InkValue *v = ink_features_get (inputs, name);
  size_t size = 0;

  if (v == NULL)
    return ink_error_set (err, INK_ERR_MISSING_INPUT, "input \"%s\" is missing", name);
  switch (ink_value_get_type (v)) {
  case INK_VALUE_DOUBLE:
  case INK_VALUE_INT64: size = 1; break;
  case INK_VALUE_MULTIARRAY: size = ink_value_array_count (v); break;
  default:
    return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                          "input \"%s\" is a %s; expected a number or a multi-array", name,
                          ink_value_type_to_string (ink_value_get_type (v)));
  }
  if (size != n)
    return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                          "input \"%s\" has %zu value(s); expected %zu", name, size, n);
  if (ink_value_get_type (v) == INK_VALUE_DOUBLE)
    out[0] = ink_value_get_double (v);
  else if (ink_value_get_type (v) == INK_VALUE_INT64)
    out[0] = (double) ink_value_get_int64 (v);
  else
    copy_array (v, out);
  return INK_OK;
}

InkStatus
ink_classifier_check (const InkModel *model, const InkLabels *labels, InkError *err)
{
  const char *name = label_name (model);
  const char *probs_name = model->desc.probabilities_name;
  InkValueType label_type = labels->is_int64 ? INK_VALUE_INT64 : INK_VALUE_STRING;
  const InkFeatureDescription *fd;

  if (labels->n == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s has no class labels", kind_name (model));
  if (name == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s has no string or int64 output for the predicted label",
                          kind_name (model));
  fd = find_output (model, name);
  if (fd == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s: predicted feature \"%s\" is not a declared output",
                          kind_name (model), name);
  if (fd->type.type != label_type)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s: output \"%s\" is a %s but the class labels are %s",
                          kind_name (model), name, ink_value_type_to_string (fd->type.type),
                          ink_value_type_to_string (label_type));
  if (!is_set (probs_name))
    return INK_OK;
  fd = find_output (model, probs_name);
  if (fd == NULL || fd->type.type != INK_VALUE_DICTIONARY ||
      fd->type.key_type != (labels->is_int64 ? INK_KEY_INT64 : INK_KEY_STRING))
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s: probabilities output \"%s\" must be a declared dictionary keyed "
                          "by %s",
                          kind_name (model), probs_name, ink_value_type_to_string (label_type));
  return INK_OK;
}

InkStatus
ink_classifier_emit (const InkModel *model, const InkLabels *labels, const double *probs,
                     InkFeatures *out, InkError *err)
{
  const char *name = label_name (model);
  const char *probs_name = model->desc.probabilities_name;
  size_t best = 0;
  InkValue *v;

  if (labels->n == 0 || name == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s has no %s", kind_name (model),
                          labels->n == 0 ? "class labels" : "output for the predicted label");
  /* Strictly greater: the first label wins ties; NaN never wins. */
  for (size_t i = 1; i < labels->n; i++) {
    if (probs[i] > probs[best] || (isnan (probs[best]) && !isnan (probs[i])))
      best = i;
  }
  if (is_set (probs_name)) {
    InkValue *dict = ink_value_new_dictionary (labels->is_int64 ? INK_KEY_INT64 : INK_KEY_STRING);

    for (size_t i = 0; dict != NULL && i < labels->n; i++) {
      InkStatus st = labels->is_int64
                       ? ink_value_dictionary_set_int64 (dict, labels->ints[i], probs[i])
                       : ink_value_dictionary_set_string (dict, labels->strings[i], probs[i]);
      if (st != INK_OK) {
        ink_value_free (dict);
        dict = NULL;
      }
    }
    if (ink_features_set (out, probs_name, dict) != INK_OK)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing \"%s\"", probs_name);
  }
  v = labels->is_int64 ? ink_value_new_int64 (labels->ints[best])
                       : ink_value_new_string (labels->strings[best]);
  if (ink_features_set (out, name, v) != INK_OK)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing \"%s\"", name);
  return INK_OK;
}

/* The shape of a regressor's multi-array output: the declared one when it
 * is fixed and holds n values, else [n]. rank 0 when n values cannot go
 * in a multi-array declared with another fixed size. */
static size_t
regressor_shape (const InkFeatureDescription *fd, size_t n, int64_t *shape)
{
  size_t count = 1;

  if (fd != NULL && fd->type.type == INK_VALUE_MULTIARRAY && fd->type.rank > 0 &&
      fd->type.rank <= INK_MAX_RANK) {
    bool fixed = true;

    for (size_t d = 0; d < fd->type.rank; d++) {
      if (fd->type.shape[d] < 0)
        fixed = false;
      else if (!ink_size_mul (count, (size_t) fd->type.shape[d], &count))
        return 0;
    }
    if (fixed && count != n)
      return 0;
    if (fixed) {
      memcpy (shape, fd->type.shape, fd->type.rank * sizeof *shape);
      return fd->type.rank;
    }
  }
  shape[0] = (int64_t) n;
  return 1;
}

InkStatus
ink_regressor_check (const InkModel *model, size_t n, InkError *err)
{
  const char *name = regressor_name (model);
  const InkFeatureDescription *fd;
  int64_t shape[INK_MAX_RANK];

  if (name == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s has no output", kind_name (model));
  fd = find_output (model, name);
  if (fd == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s: predicted feature \"%s\" is not a declared output",
                          kind_name (model), name);
  if (fd->type.type == INK_VALUE_DOUBLE && n != 1)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s: output \"%s\" is a double but the model gives %zu values",
                          kind_name (model), name, n);
  if (fd->type.type == INK_VALUE_MULTIARRAY && regressor_shape (fd, n, shape) == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s: output \"%s\" is declared with another size than the %zu values "
                          "the model gives",
                          kind_name (model), name, n);
  if (fd->type.type != INK_VALUE_DOUBLE && fd->type.type != INK_VALUE_MULTIARRAY)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s: output \"%s\" is a %s; expected a double or a multi-array",
                          kind_name (model), name, ink_value_type_to_string (fd->type.type));
  return INK_OK;
}

InkStatus
ink_regressor_emit (const InkModel *model, const double *values, size_t n, InkFeatures *out,
                    InkError *err)
{
  const char *name = regressor_name (model);
  const InkFeatureDescription *fd;
  int64_t shape[INK_MAX_RANK];
  size_t rank;
  InkValue *v;

  if (name == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s has no output", kind_name (model));
  fd = find_output (model, name);
  if (n == 1 && (fd == NULL || fd->type.type != INK_VALUE_MULTIARRAY)) {
    v = ink_value_new_double (values[0]);
  } else {
    rank = regressor_shape (fd, n, shape);
    if (rank == 0)
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s: output \"%s\" cannot hold %zu values",
                            kind_name (model), name, n);
    v = ink_value_new_multiarray (INK_ARRAY_FLOAT64, rank, shape, values);
  }
  if (ink_features_set (out, name, v) != INK_OK)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing \"%s\"", name);
  return INK_OK;
}

/* ink-loss.c: the losses of Core ML's updatable networks, and their targets
 *
 * Categorical cross-entropy and mean squared error, per example; see
 * ink-nn-train-private.h for the exact definitions.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-nn-train-private.h"

#include <math.h>

double
ink_loss_cce (const float *p, size_t n, size_t target, float *d)
{
  double pt = p[target];

  (void) n;
  if (!(pt >= INK_LOSS_CCE_MIN_P))
    pt = INK_LOSS_CCE_MIN_P;
  if (d != NULL)
    d[target] += (float) (-1.0 / pt);
  return -log (pt);
}

double
ink_loss_cce_softmax (const float *z, const float *p, size_t n, size_t target, float *d)
{
  double max = z[0], sum = 0.0;

  for (size_t i = 1; i < n; i++)
    max = z[i] > max ? z[i] : max;
  for (size_t i = 0; i < n; i++)
    sum += exp ((double) z[i] - max);
  if (d != NULL) {
    for (size_t i = 0; i < n; i++)
      d[i] += p[i];
    d[target] -= 1.0f;
  }
  return log (sum) + max - z[target];
}

double
ink_loss_mse (const float *x, const float *t, size_t n, float *d)
{
  double sum = 0.0;
  const float scale = 2.0f / (float) n;

  for (size_t i = 0; i < n; i++) {
    float diff = x[i] - t[i];
    sum += (double) diff * diff;
    if (d != NULL)
      d[i] += scale * diff;
  }
  return sum / (double) n;
}

/* A class index given as a number: integral and within the n classes. */
static InkStatus
index_from_number (const char *name, double v, size_t n, size_t *class_index, InkError *err)
{
  if (!(v >= 0.0 && v < (double) n) || v != floor (v))
    return ink_error_set (err, INK_ERR_PARAMETER,
                          "the loss target '%s' is %g, which is not a class index from 0 to %zu",
                          name, v, n - 1);
  *class_index = (size_t) v;
  return INK_OK;
}

static InkStatus
read_class (const InkModel *m, const char *name, const InkValue *v, size_t n, size_t *class_index,
            InkError *err)
{
  const InkLabels *labels = &m->class_labels;
  size_t i;

  switch (ink_value_get_type (v)) {
  case INK_VALUE_STRING:
    if (labels->n == 0 || labels->is_int64)
      return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                            "the loss target '%s' is a string, but the network has no string "
                            "class labels",
                            name);
    i = ink_labels_find_string (labels, ink_value_get_string (v));
    if (i == SIZE_MAX)
      return ink_error_set (err, INK_ERR_PARAMETER,
                            "the loss target '%s' is '%s', which is not one of the class labels",
                            name, ink_value_get_string (v));
    break;
  case INK_VALUE_INT64:
    if (labels->n > 0 && labels->is_int64) {
      i = ink_labels_find_int64 (labels, ink_value_get_int64 (v));
      if (i == SIZE_MAX)
        return ink_error_set (err, INK_ERR_PARAMETER,
                              "the loss target '%s' is %lld, which is not one of the class labels",
                              name, (long long) ink_value_get_int64 (v));
      break;
    }
    return index_from_number (name, (double) ink_value_get_int64 (v), n, class_index, err);
  case INK_VALUE_DOUBLE:
    return index_from_number (name, ink_value_get_double (v), n, class_index, err);
  case INK_VALUE_MULTIARRAY:
    if (ink_value_array_count (v) == 1)
      return index_from_number (name, ink_value_array_get (v, 0), n, class_index, err);
    return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                          "the loss target '%s' has %zu values; a cross-entropy target is one "
                          "class",
                          name, ink_value_array_count (v));
  default:
    return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                          "the loss target '%s' is a %s; a cross-entropy target is a class label "
                          "or index",
                          name, ink_value_type_to_string (ink_value_get_type (v)));
  }
  if (i >= n)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "the loss target '%s' is class %zu, but the loss input has %zu values",
                          name, i, n);
  *class_index = i;
  return INK_OK;
}

static InkStatus
read_values (const char *name, const InkValue *v, size_t n, float *t, InkError *err)
{
  switch (ink_value_get_type (v)) {
  case INK_VALUE_DOUBLE:
  case INK_VALUE_INT64:
    if (n != 1)
      return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                            "the loss target '%s' is one number; the loss input has %zu values",
                            name, n);
    t[0] = (float) ink_value_get_double (v);
    return INK_OK;
  case INK_VALUE_MULTIARRAY:
    if (ink_value_array_count (v) != n)
      return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                            "the loss target '%s' has %zu values; the loss input has %zu", name,
                            ink_value_array_count (v), n);
    if (ink_value_array_type (v) == INK_ARRAY_FLOAT32) {
      const float *src = ink_value_array_const_data (v);
      for (size_t i = 0; i < n; i++)
        t[i] = src[i];
    } else {
      for (size_t i = 0; i < n; i++)
        t[i] = (float) ink_value_array_get (v, i);
    }
    return INK_OK;
  default:
    return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                          "the loss target '%s' is a %s; a mean squared error target is a "
                          "multi-array or a number",
                          name, ink_value_type_to_string (ink_value_get_type (v)));
  }
}

InkStatus
ink_loss_read_target (const InkModel *model, InkLossType type, const char *name,
                      const InkValue *value, size_t n, size_t *class_index, float *t, InkError *err)
{
  if (value == NULL)
    return ink_error_set (err, INK_ERR_MISSING_INPUT, "the loss target '%s' is missing", name);
  if (type == INK_LOSS_CATEGORICAL_CROSS_ENTROPY)
    return read_class (model, name, value, n, class_index, err);
  return read_values (name, value, n, t, err);
}

/* ink-update-knn.c: k-NN updates (adding the examples' embeddings with their
 * labels) and removals, for a k-NN classifier alone or at the end of a
 * pipeline
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "ink-classic-private.h"
#include "ink-update-private.h"

InkStatus
ink_update_knn_check_label (const InkModel *knn, const char *name, const InkValue *v, InkError *err)
{
  InkKnnView view;
  InkValueType t = ink_value_get_type (v);

  if (!ink_knn_view (knn, &view))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "not a k-NN classifier");
  if (v == NULL)
    return ink_error_set (err, INK_ERR_MISSING_INPUT, "the label '%s' is missing", name);
  if (!view.labels_int64) {
    if (t == INK_VALUE_STRING)
      return INK_OK;
    return ink_error_set (
      err, INK_ERR_TYPE_MISMATCH, "feature '%s' must be %s (the k-NN's labels are strings), got %s",
      name, ink_value_type_to_string (INK_VALUE_STRING), ink_value_type_to_string (t));
  }
  if (t == INK_VALUE_INT64)
    return INK_OK;
  if (t == INK_VALUE_DOUBLE) {
    double d = ink_value_get_double (v);
    if (d == floor (d) && fabs (d) < 9.2e18)
      return INK_OK;
    return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                          "feature '%s' must be an integer label, got %g", name, d);
  }
  return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                        "feature '%s' must be %s (the k-NN's labels are int64), got %s", name,
                        ink_value_type_to_string (INK_VALUE_INT64), ink_value_type_to_string (t));
}

InkStatus
ink_update_knn_add (InkModel *knn, const InkFeatures *features, const char *label_name,
                    InkError *err)
{
  const InkValue *label = ink_features_get (features, label_name);
  InkKnnView view;
  double *tmp;
  float *vec;
  InkStatus st;

  if (!ink_knn_view (knn, &view))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "not a k-NN classifier");
  st = ink_update_knn_check_label (knn, label_name, label, err);
  if (st != INK_OK)
    return st;
  tmp = malloc (view.dimensions * sizeof *tmp);
  vec = malloc (view.dimensions * sizeof *vec);
  if (tmp == NULL || vec == NULL) {
    free (tmp);
    free (vec);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  st = ink_model_gather_inputs (knn, features, tmp, view.dimensions, err);
  for (size_t j = 0; st == INK_OK && j < view.dimensions; j++)
    vec[j] = (float) tmp[j];
  if (st == INK_OK) {
    if (!view.labels_int64)
      st = ink_knn_add_example_string (knn, vec, ink_value_get_string (label), err);
    else if (ink_value_get_type (label) == INK_VALUE_INT64)
      st = ink_knn_add_example_int64 (knn, vec, ink_value_get_int64 (label), err);
    else
      st = ink_knn_add_example_int64 (knn, vec, (int64_t) ink_value_get_double (label), err);
  }
  free (tmp);
  free (vec);
  return st;
}

/* Sets the numberOfNeighbors default of d to k, when d declares it. */
static InkStatus
set_k_parameter (InkModelDescription *d, int64_t k, InkError *err)
{
  const InkUpdateParameter *p =
    ink_description_find_update_parameter (d, INK_PARAM_NUMBER_OF_NEIGHBORS);
  InkUpdateParameter q;

  if (p == NULL)
    return INK_OK;
  q = *p;
  q.default_value = (double) k;
  return ink_description_set_update_parameter (d, &q, err);
}

InkStatus
ink_update_knn_set_k (InkModel *model, int64_t k, InkError *err)
{
  InkModel *m = model;

  while (m != NULL) {
    InkStatus st = set_k_parameter (&m->desc, k, err);
    ink_model_changed (m);
    if (st != INK_OK)
      return st;
    if (m->kind == INK_MODEL_KNN_CLASSIFIER) {
      if (!ink_knn_set_k (m, k))
        return ink_error_set (err, INK_ERR_PARAMETER, "numberOfNeighbors = %lld is out of range",
                              (long long) k);
      return INK_OK;
    }
    if (!ink_model_kind_is_pipeline (m->kind) || ink_pipeline_n_models (m) == 0)
      break;
    m = ink_pipeline_get_model (m, ink_pipeline_n_models (m) - 1);
  }
  return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                        "numberOfNeighbors applies to a k-NN classifier or a pipeline ending in "
                        "one");
}

/* ---- Removal ---- */

/* The k-NN that edits apply to, or NULL with err set. */
static InkModel *
edited_knn (InkModel *model, InkError *err)
{
  InkModel *knn = model != NULL ? ink_update_trained_model (model) : NULL;

  if (knn == NULL || knn->kind != INK_MODEL_KNN_CLASSIFIER || !knn->finished) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                   "examples are removed from a k-NN classifier or a pipeline ending in one%s%s",
                   model != NULL ? ", not a " : "",
                   model != NULL ? ink_model_kind_to_string (model->kind) : "");
    return NULL;
  }
  return knn;
}

/* Removes the flagged examples unless that would leave a k-NN without
 * examples and without a default label to answer with. */
static InkStatus
remove_flagged (InkModel *knn, const bool *remove, size_t n_removed, InkError *err)
{
  size_t n = ink_knn_n_examples (knn);

  if (n_removed == 0)
    return INK_OK;
  if (n_removed == n && !ink_knn_has_default_label (knn))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "the k-NN classifier has no default label, so it must keep at least "
                          "one example");
  return ink_knn_remove_examples (knn, remove, err);
}

InkStatus
ink_knn_remove_label (InkModel *model, const char *label, size_t *removed, InkError *err)
{
  InkModel *knn = edited_knn (model, err);
  InkKnnView view;
  bool *remove;
  size_t count = 0;
  int64_t ilabel = 0;
  InkStatus st;

  if (removed != NULL)
    *removed = 0;
  if (knn == NULL)
    return INK_ERR_INVALID_ARGUMENT;
  if (label == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no label to remove");
  ink_knn_view (knn, &view);
  if (view.labels_int64) {
    char *end = NULL;
    errno = 0;
    ilabel = strtoll (label, &end, 10);
    if (label[0] == '\0' || end == NULL || *end != '\0' || errno != 0)
      return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                            "the k-NN's labels are int64 and '%s' is not a decimal integer", label);
  }
  remove = calloc (view.n_examples > 0 ? view.n_examples : 1, sizeof *remove);
  if (remove == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; i < view.n_examples; i++) {
    remove[i] = view.labels_int64 ? view.labels->ints[i] == ilabel
                                  : strcmp (view.labels->strings[i], label) == 0;
    count += remove[i];
  }
  st = remove_flagged (knn, remove, count, err);
  free (remove);
  if (st == INK_OK && removed != NULL)
    *removed = count;
  return st;
}

InkStatus
ink_knn_remove_example (InkModel *model, size_t index, InkError *err)
{
  InkModel *knn = edited_knn (model, err);
  size_t n;
  bool *remove;
  InkStatus st;

  if (knn == NULL)
    return INK_ERR_INVALID_ARGUMENT;
  n = ink_knn_n_examples (knn);
  if (index >= n)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "example %zu does not exist (the k-NN holds %zu examples)", index, n);
  remove = calloc (n, sizeof *remove);
  if (remove == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  remove[index] = true;
  st = remove_flagged (knn, remove, 1, err);
  free (remove);
  return st;
}

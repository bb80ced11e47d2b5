/* ink-model.c: the model handle, its life cycle, and prediction
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "ink-features-private.h"
#include "ink-image.h"
#include "ink-model-private.h"

static const char *const kind_names[] = {
  [INK_MODEL_NEURAL_NETWORK] = "neuralNetwork",
  [INK_MODEL_NEURAL_NETWORK_CLASSIFIER] = "neuralNetworkClassifier",
  [INK_MODEL_NEURAL_NETWORK_REGRESSOR] = "neuralNetworkRegressor",
  [INK_MODEL_KNN_CLASSIFIER] = "kNearestNeighborsClassifier",
  [INK_MODEL_TREE_ENSEMBLE_CLASSIFIER] = "treeEnsembleClassifier",
  [INK_MODEL_TREE_ENSEMBLE_REGRESSOR] = "treeEnsembleRegressor",
  [INK_MODEL_GLM_CLASSIFIER] = "glmClassifier",
  [INK_MODEL_GLM_REGRESSOR] = "glmRegressor",
  [INK_MODEL_PIPELINE] = "pipeline",
  [INK_MODEL_PIPELINE_CLASSIFIER] = "pipelineClassifier",
  [INK_MODEL_PIPELINE_REGRESSOR] = "pipelineRegressor",
  [INK_MODEL_ONE_HOT_ENCODER] = "oneHotEncoder",
  [INK_MODEL_FEATURE_VECTORIZER] = "featureVectorizer",
  [INK_MODEL_DICT_VECTORIZER] = "dictVectorizer",
  [INK_MODEL_SCALER] = "scaler",
  [INK_MODEL_IMPUTER] = "imputer",
  [INK_MODEL_ARRAY_FEATURE_EXTRACTOR] = "arrayFeatureExtractor",
  [INK_MODEL_NORMALIZER] = "normalizer",
};

const char *
ink_model_kind_to_string (InkModelKind kind)
{
  if ((unsigned) kind < sizeof kind_names / sizeof *kind_names)
    return kind_names[kind];
  return "unknown";
}

bool
ink_model_kind_from_string (const char *name, InkModelKind *kind)
{
  for (size_t i = 0; name != NULL && i < sizeof kind_names / sizeof *kind_names; i++) {
    if (strcmp (kind_names[i], name) == 0) {
      *kind = (InkModelKind) i;
      return true;
    }
  }
  return false;
}

bool
ink_model_kind_is_classifier (InkModelKind kind)
{
  return kind == INK_MODEL_NEURAL_NETWORK_CLASSIFIER || kind == INK_MODEL_KNN_CLASSIFIER ||
         kind == INK_MODEL_TREE_ENSEMBLE_CLASSIFIER || kind == INK_MODEL_GLM_CLASSIFIER ||
         kind == INK_MODEL_PIPELINE_CLASSIFIER;
}

bool
ink_model_kind_is_network (InkModelKind kind)
{
  return kind == INK_MODEL_NEURAL_NETWORK || kind == INK_MODEL_NEURAL_NETWORK_CLASSIFIER ||
         kind == INK_MODEL_NEURAL_NETWORK_REGRESSOR;
}

bool
ink_model_kind_is_pipeline (InkModelKind kind)
{
  return kind == INK_MODEL_PIPELINE || kind == INK_MODEL_PIPELINE_CLASSIFIER ||
         kind == INK_MODEL_PIPELINE_REGRESSOR;
}

const InkModelOps *
ink_model_ops_for_kind (InkModelKind kind)
{
  switch (kind) {
  case INK_MODEL_NEURAL_NETWORK:
  case INK_MODEL_NEURAL_NETWORK_CLASSIFIER:
  case INK_MODEL_NEURAL_NETWORK_REGRESSOR: return &ink_nn_ops;
  case INK_MODEL_KNN_CLASSIFIER: return &ink_knn_ops;
  case INK_MODEL_TREE_ENSEMBLE_CLASSIFIER:
  case INK_MODEL_TREE_ENSEMBLE_REGRESSOR: return &ink_tree_ops;
  case INK_MODEL_GLM_CLASSIFIER:
  case INK_MODEL_GLM_REGRESSOR: return &ink_glm_ops;
  case INK_MODEL_PIPELINE:
  case INK_MODEL_PIPELINE_CLASSIFIER:
  case INK_MODEL_PIPELINE_REGRESSOR: return &ink_pipeline_ops;
  case INK_MODEL_ONE_HOT_ENCODER: return &ink_one_hot_encoder_ops;
  case INK_MODEL_FEATURE_VECTORIZER: return &ink_feature_vectorizer_ops;
  case INK_MODEL_DICT_VECTORIZER: return &ink_dict_vectorizer_ops;
  case INK_MODEL_SCALER: return &ink_scaler_ops;
  case INK_MODEL_IMPUTER: return &ink_imputer_ops;
  case INK_MODEL_ARRAY_FEATURE_EXTRACTOR: return &ink_array_feature_extractor_ops;
  case INK_MODEL_NORMALIZER: return &ink_normalizer_ops;
  }
  return NULL;
}

InkModel *
ink_model_alloc (InkModelKind kind)
{
  const InkModelOps *ops = ink_model_ops_for_kind (kind);
  InkModel *m;

  if (ops == NULL)
    return NULL;
  m = calloc (1, sizeof *m);
  if (m == NULL)
    return NULL;
  m->kind = kind;
  m->ops = ops;
  /* Version 4 (Core ML 3) introduced updatable models and k-NN. */
  m->spec_version = 4;
  return m;
}

void
ink_model_free (InkModel *m)
{
  if (m == NULL)
    return;
  if (m->ops != NULL && m->ops->free_body != NULL && m->body.any != NULL)
    m->ops->free_body (m);
  ink_description_clear (&m->desc);
  ink_labels_clear (&m->class_labels);
  if (m->mapping != NULL)
    munmap (m->mapping, m->mapping_size);
  ink_id_cell_unref (m->id_cell);
  free (m);
}

void
ink_model_changed (InkModel *m)
{
  if (m != NULL)
    m->changes++;
}

uint64_t
ink_model_content_version (const InkModel *m)
{
  uint64_t v;

  if (m == NULL)
    return 0;
  v = m->changes;
  if (ink_model_kind_is_pipeline (m->kind)) {
    /* Reading only: the getter is not const because callers may edit. */
    InkModel *p = (InkModel *) (uintptr_t) m;
    for (size_t i = 0; i < ink_pipeline_n_models (m); i++)
      v += ink_model_content_version (ink_pipeline_get_model (p, i));
  }
  return v;
}

InkModel *
ink_model_copy (const InkModel *src, InkError *err)
{
  InkModel *m;

  if (src == NULL || !src->finished) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "only a finished model can be copied");
    return NULL;
  }
  m = ink_model_alloc (src->kind);
  if (m == NULL || !ink_description_copy (&m->desc, &src->desc) ||
      !ink_labels_copy (&m->class_labels, &src->class_labels)) {
    ink_model_free (m);
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying a model");
    return NULL;
  }
  m->spec_version = src->spec_version;
  if (src->ops->copy_body (m, src, err) != INK_OK || ink_model_finish (m, err) != INK_OK) {
    ink_model_free (m);
    return NULL;
  }
  return m;
}

InkModel *
ink_model_load (const char *path, InkError *err)
{
  if (path == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model path");
    return NULL;
  }
  return ink_inkmodel_read (path, err);
}

InkStatus
ink_model_save (const InkModel *m, const char *path, InkError *err)
{
  if (m == NULL || path == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model or path");
  return ink_inkmodel_write (m, path, err);
}

InkModelKind
ink_model_get_kind (const InkModel *m)
{
  return m->kind;
}

const InkModelDescription *
ink_model_get_description (const InkModel *m)
{
  return &m->desc;
}

int
ink_model_get_specification_version (const InkModel *m)
{
  return m->spec_version;
}

InkStatus
ink_model_set_specification_version (InkModel *m, int version)
{
  if (m == NULL || version < 1)
    return INK_ERR_INVALID_ARGUMENT;
  m->spec_version = version;
  ink_model_changed (m);
  return INK_OK;
}

InkStatus
ink_model_set_class_labels_string (InkModel *m, const char *const *labels, size_t n)
{
  if (m == NULL || m->finished || (n > 0 && labels == NULL))
    return INK_ERR_INVALID_ARGUMENT;
  ink_labels_clear (&m->class_labels);
  for (size_t i = 0; i < n; i++) {
    if (labels[i] == NULL || !ink_labels_append_string (&m->class_labels, labels[i]))
      return labels[i] == NULL ? INK_ERR_INVALID_ARGUMENT : INK_ERR_NO_MEMORY;
  }
  return INK_OK;
}

InkStatus
ink_model_set_class_labels_int64 (InkModel *m, const int64_t *labels, size_t n)
{
  if (m == NULL || m->finished || (n > 0 && labels == NULL))
    return INK_ERR_INVALID_ARGUMENT;
  ink_labels_clear (&m->class_labels);
  m->class_labels.is_int64 = true;
  for (size_t i = 0; i < n; i++) {
    if (!ink_labels_append_int64 (&m->class_labels, labels[i]))
      return INK_ERR_NO_MEMORY;
  }
  return INK_OK;
}

static InkStatus
check_interface (const InkModel *m, InkError *err)
{
  const InkModelDescription *d = &m->desc;

  if (d->n_inputs == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "the %s has no inputs",
                          ink_model_kind_to_string (m->kind));
  if (d->n_outputs == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "the %s has no outputs",
                          ink_model_kind_to_string (m->kind));
  if (d->predicted_feature_name != NULL && d->predicted_feature_name[0] != '\0' &&
      ink_description_find_output (d, d->predicted_feature_name) == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "the predicted feature '%s' is not one of the outputs",
                          d->predicted_feature_name);
  if (d->probabilities_name != NULL && d->probabilities_name[0] != '\0' &&
      ink_description_find_output (d, d->probabilities_name) == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "the probabilities output '%s' is not one of the outputs",
                          d->probabilities_name);
  return INK_OK;
}

InkStatus
ink_model_finish (InkModel *m, InkError *err)
{
  InkStatus st;

  if (m == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model");
  if (m->finished)
    return INK_OK;
  st = check_interface (m, err);
  if (st != INK_OK)
    return st;
  if (m->ops->finish == NULL)
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "%s models are not available in this build",
                          ink_model_kind_to_string (m->kind));
  st = m->ops->finish (m, err);
  if (st != INK_OK)
    return st;
  m->finished = true;
  return INK_OK;
}

static void
list_inputs (const InkModelDescription *d, char *buf, size_t size)
{
  size_t used = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < d->n_inputs && used < size; i++)
    used +=
      (size_t) snprintf (buf + used, size - used, "%s'%s'", i > 0 ? ", " : "", d->inputs[i].name);
}

/* Checks every declared input. Images that do not meet their constraint
 * are converted into a copy of the inputs (*converted), left NULL when no
 * conversion was needed. */
static InkStatus
prepare_inputs (const InkModel *m, const InkFeatures *inputs, InkFeatures **converted,
                InkError *err)
{
  *converted = NULL;
  for (size_t i = 0; i < m->desc.n_inputs; i++) {
    const InkFeatureDescription *fd = &m->desc.inputs[i];
    const InkValue *v = ink_features_get (inputs, fd->name);
    InkValue *image = NULL;
    InkStatus st;

    if (v == NULL) {
      char names[256];
      if (fd->type.optional)
        continue;
      list_inputs (&m->desc, names, sizeof names);
      return ink_error_set (err, INK_ERR_MISSING_INPUT,
                            "missing input '%s' (the model's inputs are %s)", fd->name, names);
    }
    st = ink_feature_type_check (&fd->type, fd->name, v, err);
    if (st != INK_OK)
      return st;
    if (fd->type.type != INK_VALUE_IMAGE ||
        (ink_value_image_format (v) == fd->type.image.format &&
         ink_image_constraint_allows (&fd->type.image, ink_value_image_width (v),
                                      ink_value_image_height (v))))
      continue;
    st = ink_image_convert_value (v, &fd->type.image, NULL, &image, err);
    if (st != INK_OK)
      return ink_error_prefix (err, "input '%s'", fd->name);
    if (*converted == NULL && (*converted = ink_features_copy (inputs)) == NULL) {
      ink_value_free (image);
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    }
    if (ink_features_set (*converted, fd->name, image) != INK_OK)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  return INK_OK;
}

/* Gives a produced value the declared type of its output where the two
 * differ only in representation: multi-array element type and shape, or a
 * one-element array declared as a Double. Takes ownership of v. */
static InkValue *
coerce_output (const InkFeatureType *t, InkValue *v)
{
  InkValueType vt = ink_value_get_type (v);
  size_t n = ink_value_array_count (v);
  InkValue *c;

  if (vt != INK_VALUE_MULTIARRAY)
    return v;
  if (t->type == INK_VALUE_DOUBLE && n == 1) {
    c = ink_value_new_double (ink_value_array_get (v, 0));
  } else if (t->type == INK_VALUE_MULTIARRAY) {
    size_t want = 1;
    const int64_t *shape = t->rank > 0 ? t->shape : ink_value_array_shape (v);
    size_t rank = t->rank > 0 ? t->rank : ink_value_array_rank (v);
    for (size_t i = 0; i < t->rank; i++)
      want *= (size_t) t->shape[i];
    if (t->rank > 0 && want != n)
      shape = ink_value_array_shape (v), rank = ink_value_array_rank (v);
    if (t->array_type == ink_value_array_type (v) && shape == ink_value_array_shape (v))
      return v;
    c = ink_value_new_multiarray (t->array_type, rank, shape, NULL);
    if (c != NULL) {
      void *dst = ink_value_array_data (c);
      for (size_t i = 0; i < n; i++) {
        double x = ink_value_array_get (v, i);
        switch (t->array_type) {
        case INK_ARRAY_FLOAT32: ((float *) dst)[i] = (float) x; break;
        case INK_ARRAY_FLOAT64: ((double *) dst)[i] = x; break;
        case INK_ARRAY_INT32: ((int32_t *) dst)[i] = (int32_t) x; break;
        }
      }
    }
  } else {
    return v;
  }
  if (c == NULL)
    return v;
  ink_value_free (v);
  return c;
}

InkStatus
ink_model_predict (const InkModel *m, const InkFeatures *inputs, InkFeatures **outputs,
                   InkError *err)
{
  InkFeatures *converted = NULL, *produced = NULL, *result = NULL;
  InkStatus st;

  if (outputs != NULL)
    *outputs = NULL;
  if (m == NULL || inputs == NULL || outputs == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "predict needs a model, inputs and outputs");
  if (!m->finished)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "the model is not finished");
  st = prepare_inputs (m, inputs, &converted, err);
  if (st != INK_OK)
    goto out;
  produced = ink_features_new ();
  result = ink_features_new ();
  if (produced == NULL || result == NULL) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    goto out;
  }
  st = m->ops->predict (m, converted != NULL ? converted : inputs, produced, err);
  if (st != INK_OK)
    goto out;
  for (size_t i = 0; i < m->desc.n_outputs; i++) {
    const InkFeatureDescription *fd = &m->desc.outputs[i];
    InkValue *v = ink_features_take (produced, fd->name);
    if (v == NULL) {
      if (fd->type.optional)
        continue;
      st = ink_error_set (err, INK_ERR_INVALID_MODEL, "the %s did not produce its output '%s'",
                          ink_model_kind_to_string (m->kind), fd->name);
      goto out;
    }
    st = ink_features_set (result, fd->name, coerce_output (&fd->type, v));
    if (st != INK_OK) {
      ink_error_set (err, st, "out of memory");
      goto out;
    }
  }
  *outputs = result;
  result = NULL;
out:
  ink_features_free (converted);
  ink_features_free (produced);
  ink_features_free (result);
  return st;
}

InkStatus
ink_model_predict_batch (const InkModel *m, const InkBatch *inputs, InkBatch **outputs,
                         InkError *err)
{
  InkBatch *result;

  if (outputs != NULL)
    *outputs = NULL;
  if (m == NULL || inputs == NULL || outputs == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "predict needs a model, inputs and outputs");
  result = ink_batch_new ();
  if (result == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; i < ink_batch_count (inputs); i++) {
    InkFeatures *out = NULL;
    InkStatus st = ink_model_predict (m, ink_batch_get (inputs, i), &out, err);
    if (st == INK_OK)
      st = ink_batch_append (result, out);
    if (st != INK_OK) {
      ink_batch_free (result);
      return ink_error_prefix (err, "example %zu", i);
    }
  }
  *outputs = result;
  return INK_OK;
}

/* ---- Weights ---- */

void
ink_weights_clear (InkWeights *w)
{
  if (w->owned)
    free (w->data);
  w->data = NULL;
  w->count = 0;
  w->owned = false;
}

bool
ink_weights_set (InkWeights *w, const float *src, size_t count)
{
  float *data = NULL;

  if (count > SIZE_MAX / sizeof (float))
    return false;
  if (count > 0) {
    data = malloc (count * sizeof (float));
    if (data == NULL)
      return false;
    if (src != NULL)
      memcpy (data, src, count * sizeof (float));
    else
      memset (data, 0, count * sizeof (float));
  }
  ink_weights_clear (w);
  w->data = data;
  w->count = count;
  w->owned = true;
  return true;
}

bool
ink_weights_make_owned (InkWeights *w)
{
  if (w->owned || w->count == 0)
    return true;
  return ink_weights_set (w, w->data, w->count);
}

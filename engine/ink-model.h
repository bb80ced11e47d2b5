/* ink-model.h: loaded models and prediction (Core ML's MLModel)
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ink-description.h"
#include "ink-features.h"
#include "ink-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct InkModel InkModel;

typedef enum {
  INK_MODEL_NEURAL_NETWORK = 0,
  INK_MODEL_NEURAL_NETWORK_CLASSIFIER = 1,
  INK_MODEL_NEURAL_NETWORK_REGRESSOR = 2,
  INK_MODEL_KNN_CLASSIFIER = 3,
  INK_MODEL_TREE_ENSEMBLE_CLASSIFIER = 4,
  INK_MODEL_TREE_ENSEMBLE_REGRESSOR = 5,
  INK_MODEL_GLM_CLASSIFIER = 6,
  INK_MODEL_GLM_REGRESSOR = 7,
  INK_MODEL_PIPELINE = 8,
  INK_MODEL_PIPELINE_CLASSIFIER = 9,
  INK_MODEL_PIPELINE_REGRESSOR = 10,
  /* Feature engineering (ink-features-private.h) */
  INK_MODEL_ONE_HOT_ENCODER = 11,
  INK_MODEL_FEATURE_VECTORIZER = 12,
  INK_MODEL_DICT_VECTORIZER = 13,
  INK_MODEL_SCALER = 14,
  INK_MODEL_IMPUTER = 15,
  INK_MODEL_ARRAY_FEATURE_EXTRACTOR = 16,
  INK_MODEL_NORMALIZER = 17,
} InkModelKind;

/* "neuralNetworkClassifier", etc.: Core ML's names for the model types. */
const char *ink_model_kind_to_string (InkModelKind kind);

/* Loads a compiled .inkmodel file, mapping its weights read-only. The model
 * is owned by the caller (ink_model_free). A truncated, corrupt or
 * newer-format file fails with INK_ERR_FORMAT / INK_ERR_VERSION. */
InkModel *ink_model_load (const char *path, InkError *err);

/* Writes the model as a .inkmodel file atomically (temporary file, fsync,
 * rename, fsync of the folder): readers see the old file or the new one. */
InkStatus ink_model_save (const InkModel *model, const char *path, InkError *err);

/* A deep copy with its own (writable) weights. */
InkModel *ink_model_copy (const InkModel *model, InkError *err);

void ink_model_free (InkModel *model);

InkModelKind ink_model_get_kind (const InkModel *model);
/* Borrowed; valid for the model's lifetime. */
const InkModelDescription *ink_model_get_description (const InkModel *model);
/* The Core ML specification version the model corresponds to. */
int ink_model_get_specification_version (const InkModel *model);

/* Runs the model on one example. Inputs are checked against the
 * description: a missing input, wrong value type or shape is an error that
 * names the feature. Image inputs of another size or pixel format are
 * converted to the input's constraint (scale-fill). On success *outputs is
 * a new provider owned by the caller. Thread-safe: several threads may
 * predict with one model at once. */
InkStatus ink_model_predict (const InkModel *model, const InkFeatures *inputs,
                             InkFeatures **outputs, InkError *err);

/* Runs the model on every example in order; *outputs has one provider per
 * input. Stops at the first error, whose message names the example index. */
InkStatus ink_model_predict_batch (const InkModel *model, const InkBatch *inputs,
                                   InkBatch **outputs, InkError *err);

#ifdef __cplusplus
}
#endif

/* ink-coreml-private.h: the Core ML reader and writer, shared by the files
 * that handle each model type
 *
 * The top level (ink-coreml-read.c, ink-coreml-write.c) handles the Model
 * message (specificationVersion, description, isUpdatable), pipelines and
 * Core ML's validation rules; each model type's body is read and written by
 * the functions below.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "ink-coreml.h"
#include "ink-model-private.h"
#include "ink-protobuf.h"

/* Model.Type oneof field numbers (coreml-spec-subset.md section 2). */
enum {
  INK_ML_PIPELINE_CLASSIFIER = 200,
  INK_ML_PIPELINE_REGRESSOR = 201,
  INK_ML_PIPELINE = 202,
  INK_ML_GLM_REGRESSOR = 300,
  INK_ML_TREE_ENSEMBLE_REGRESSOR = 302,
  INK_ML_NEURAL_NETWORK_REGRESSOR = 303,
  INK_ML_GLM_CLASSIFIER = 400,
  INK_ML_TREE_ENSEMBLE_CLASSIFIER = 402,
  INK_ML_NEURAL_NETWORK_CLASSIFIER = 403,
  INK_ML_KNN_CLASSIFIER = 404,
  INK_ML_NEURAL_NETWORK = 500,
  INK_ML_ONE_HOT_ENCODER = 600,
  INK_ML_IMPUTER = 601,
  INK_ML_FEATURE_VECTORIZER = 602,
  INK_ML_DICT_VECTORIZER = 603,
  INK_ML_SCALER = 604,
  INK_ML_NORMALIZER = 607,
  INK_ML_ARRAY_FEATURE_EXTRACTOR = 609,
};

/* Core ML's name for a Model.Type field number ("itemSimilarityRecommender"),
 * or NULL when unknown. */
const char *ink_coreml_type_name (uint32_t number);

/* Reading: each reader gets the Model.Type field holding the body and
 * returns a new, unfinished model of its kind with the body (and class
 * labels) filled in; the caller then reads the description into it and
 * finishes it. Errors name the field and its number. */
typedef InkModel *(*InkCoremlBodyReader) (uint32_t number, const InkPbReader *parent,
                                          const InkPbField *body, InkError *err);

InkModel *ink_coreml_read_network (uint32_t number, const InkPbReader *parent,
                                   const InkPbField *body, InkError *err);
InkModel *ink_coreml_read_tree_ensemble (uint32_t number, const InkPbReader *parent,
                                         const InkPbField *body, InkError *err);
InkModel *ink_coreml_read_glm (uint32_t number, const InkPbReader *parent, const InkPbField *body,
                               InkError *err);
InkModel *ink_coreml_read_knn (uint32_t number, const InkPbReader *parent, const InkPbField *body,
                               InkError *err);
/* Feature-engineering models (one hot encoder, vectorizers, scaler, imputer,
 * array feature extractor, normalizer). */
InkModel *ink_coreml_read_feature_model (uint32_t number, const InkPbReader *parent,
                                         const InkPbField *body, InkError *err);

/* Reads a whole Model message (used for pipeline stages too). */
InkModel *ink_coreml_read_model (const InkPbReader *r, InkError *err);

/* As ink_pb_open, and an error in opening it (too deep) names `what` too. */
InkStatus ink_coreml_open_message (const InkPbReader *parent, const InkPbField *f, const char *what,
                                   InkPbReader *sub, InkError *err);
/* Sets err to "out of memory reading a Core ML model"; returns INK_ERR_NO_MEMORY. */
InkStatus ink_coreml_no_memory (InkError *err);

/* Shared readers for the parameter messages (DataStructures/Parameters):
 * StringVector / Int64Vector class labels into labels, Int64Parameter,
 * DoubleParameter and BoolParameter into an update parameter named key. */
InkStatus ink_coreml_read_string_vector (const InkPbReader *parent, const InkPbField *f,
                                         InkLabels *labels, InkError *err);
InkStatus ink_coreml_read_int64_vector (const InkPbReader *parent, const InkPbField *f,
                                        InkLabels *labels, InkError *err);
InkStatus ink_coreml_read_parameter (const InkPbReader *parent, const InkPbField *f,
                                     const char *key, InkParamType type, InkUpdateParameter *p,
                                     int64_t **set_storage, InkError *err);

/* Writing: each writer writes its body as the Model.Type field into w (the
 * Model message being built) and raises *spec_version to the lowest Core ML
 * specification version that has what the body uses. */
InkStatus ink_coreml_write_network (const InkModel *model, InkPbWriter *w, int *spec_version,
                                    InkError *err);
InkStatus ink_coreml_write_tree_ensemble (const InkModel *model, InkPbWriter *w, int *spec_version,
                                          InkError *err);
InkStatus ink_coreml_write_glm (const InkModel *model, InkPbWriter *w, int *spec_version,
                                InkError *err);
InkStatus ink_coreml_write_knn (const InkModel *model, InkPbWriter *w, int *spec_version,
                                InkError *err);
InkStatus ink_coreml_write_feature_model (const InkModel *model, InkPbWriter *w, int *spec_version,
                                          InkError *err);

/* Writes a whole Model message (used for pipeline stages too). */
InkStatus ink_coreml_write_model (const InkModel *model, InkPbWriter *w, int *spec_version,
                                  InkError *err);

/* Shared writers for labels and parameters. */
void ink_coreml_write_labels (InkPbWriter *w, uint32_t string_number, uint32_t int64_number,
                              const InkLabels *labels);
void ink_coreml_write_parameter (InkPbWriter *w, uint32_t number, const InkUpdateParameter *p);

/* ink-model-private.h: the in-memory model, shared by the engine's files
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ink-builder.h"
#include "ink-description.h"
#include "ink-features.h"
#include "ink-model.h"
#include "ink-status.h"
#include "ink-util-private.h"

/* A float32 array: owned (malloc) or borrowed from the model's mapped file. */
typedef struct {
  float *data;
  size_t count;
  bool owned;
} InkWeights;

void ink_weights_clear (InkWeights *w);
/* Copies count floats (src may be NULL for zeros) into owned storage. */
bool ink_weights_set (InkWeights *w, const float *src, size_t count);
/* Makes borrowed weights owned, so they can be changed. */
bool ink_weights_make_owned (InkWeights *w);

struct InkModelDescription {
  InkFeatureDescription *inputs, *outputs, *training_inputs;
  size_t n_inputs, n_outputs, n_training_inputs;
  size_t cap_inputs, cap_outputs, cap_training_inputs;
  char *predicted_feature_name;
  char *probabilities_name;
  char *short_description, *version, *author, *license;
  char **user_keys, **user_values;
  size_t n_user, cap_user_keys, cap_user_values;
  bool updatable;
  InkUpdateParameter *params;
  size_t n_params, cap_params;
};

void ink_description_clear (InkModelDescription *d);
bool ink_description_copy (InkModelDescription *dst, const InkModelDescription *src);
bool ink_description_set_user_metadata (InkModelDescription *d, const char *key, const char *value);
/* Validates (range, default within it) and stores a copy. */
InkStatus ink_description_set_update_parameter (InkModelDescription *d, const InkUpdateParameter *p,
                                                InkError *err);
/* Copies name, short description and type (with its enumerated sizes). */
bool ink_feature_description_init (InkFeatureDescription *dst, const char *name,
                                   const InkFeatureType *type, const char *short_description);
void ink_feature_description_clear (InkFeatureDescription *fd);
/* JSON form of the description, used by the .inkmodel format and by
 * `inkling-cli inspect --json`. */
cJSON *ink_description_to_json (const InkModelDescription *d);
InkStatus ink_description_from_json (InkModelDescription *d, const cJSON *json, InkError *err);
cJSON *ink_feature_type_to_json (const InkFeatureType *t);

typedef struct {
  bool is_int64;
  size_t n, cap;
  char **strings;
  int64_t *ints;
} InkLabels;

void ink_labels_clear (InkLabels *l);
bool ink_labels_copy (InkLabels *dst, const InkLabels *src);
bool ink_labels_append_string (InkLabels *l, const char *s);
bool ink_labels_append_int64 (InkLabels *l, int64_t v);
/* Index of a label, or SIZE_MAX. */
size_t ink_labels_find_string (const InkLabels *l, const char *s);
size_t ink_labels_find_int64 (const InkLabels *l, int64_t v);
cJSON *ink_labels_to_json (const InkLabels *l);
InkStatus ink_labels_from_json (InkLabels *l, const cJSON *json, InkError *err);

/* Where weights go when a model is written: the .inkmodel writer collects
 * them into its aligned weights section. */
typedef struct InkWeightWriter InkWeightWriter;
/* Appends count floats; returns the JSON reference to store (or NULL). */
cJSON *ink_weight_writer_add (InkWeightWriter *w, const float *data, size_t count);

/* Where weights come from when a model is read: the mapped weights
 * section. Resolves a JSON reference, checking bounds. */
typedef struct InkWeightReader InkWeightReader;
InkStatus ink_weight_reader_get (InkWeightReader *r, const cJSON *ref, InkWeights *out,
                                 const char *what, InkError *err);

typedef struct InkModelOps InkModelOps;

/* Everything a model kind implements. */
struct InkModelOps {
  /* Validates the body against the description; prepares for predict. */
  InkStatus (*finish) (InkModel *model, InkError *err);
  /* Reads inputs (already checked against the description) and adds the
   * outputs to out. */
  InkStatus (*predict) (const InkModel *model, const InkFeatures *inputs, InkFeatures *out,
                        InkError *err);
  void (*free_body) (InkModel *model);
  /* Copies src's body into dst (whose description is already copied). */
  InkStatus (*copy_body) (InkModel *dst, const InkModel *src, InkError *err);
  /* Serializes the body into obj. */
  InkStatus (*to_json) (const InkModel *model, cJSON *obj, InkWeightWriter *w, InkError *err);
  /* Creates the body from obj (model->kind and the description are set). */
  InkStatus (*from_json) (InkModel *model, const cJSON *obj, InkWeightReader *r, InkError *err);
};

extern const InkModelOps ink_nn_ops;
extern const InkModelOps ink_knn_ops;
extern const InkModelOps ink_tree_ops;
extern const InkModelOps ink_glm_ops;
extern const InkModelOps ink_pipeline_ops;

const InkModelOps *ink_model_ops_for_kind (InkModelKind kind);

typedef struct InkNetwork InkNetwork;
typedef struct InkKnn InkKnn;
typedef struct InkTreeEnsemble InkTreeEnsemble;
typedef struct InkGlm InkGlm;
typedef struct InkPipeline InkPipeline;

struct InkModel {
  InkModelKind kind;
  const InkModelOps *ops;
  int spec_version;
  bool finished;
  InkModelDescription desc;
  InkLabels class_labels; /* classifiers other than k-NN */
  union {
    InkNetwork *nn;
    InkKnn *knn;
    InkTreeEnsemble *tree;
    InkGlm *glm;
    InkPipeline *pipeline;
    void *any;
  } body;
  void *mapping; /* the mapped .inkmodel file, or NULL */
  size_t mapping_size;
  /* Changes made to the finished model in place (ink_model_changed), so a
   * cached id (id_cell, see ink-provenance.c) is only used for the content
   * it was computed for. Neither is part of the model's content. */
  uint64_t changes;
  struct InkIdCell *id_cell;
};

/* Records that m's content changed in place. Every function that changes
 * a finished model (metadata, k-NN examples, k, trained weights, ...)
 * calls it on the model it changes; a pipeline's version includes its
 * stages', so a stage changed on its own is seen too. */
void ink_model_changed (InkModel *m);
/* m's change count plus its stages' (recursively): equal values mean no
 * change in between. */
uint64_t ink_model_content_version (const InkModel *m);

/* A model's id, shared between the model and the update tasks made from
 * it (ink-provenance.c), so an id computed by a task's worker is known to
 * the model for the next task. Reference counted; thread-safe. */
typedef struct InkIdCell InkIdCell;
/* A new reference to m's cell for its current content version (replacing
 * a cell made for an older version); NULL when out of memory, which only
 * means no caching. m is const: the cell is not part of its content. */
InkIdCell *ink_model_id_cell (const InkModel *m);
void ink_id_cell_unref (InkIdCell *cell);

/* Allocates a model of kind with an empty description and no body. */
InkModel *ink_model_alloc (InkModelKind kind);

/* Maps a Core ML model type name back to its kind; false when unknown. */
bool ink_model_kind_from_string (const char *name, InkModelKind *kind);
bool ink_model_kind_is_classifier (InkModelKind kind);
bool ink_model_kind_is_network (InkModelKind kind);
bool ink_model_kind_is_pipeline (InkModelKind kind);

/* Writes a classifier's outputs: the label with the highest probability
 * (first one on ties) under the predicted feature name, and the
 * label-to-probability dictionary under the probabilities name (when the
 * description has one). probs has labels->n entries. */
InkStatus ink_classifier_emit (const InkModel *model, const InkLabels *labels, const double *probs,
                               InkFeatures *out, InkError *err);

/* Reads a numeric input feature (double, int64 or multi-array of any
 * element type) as a vector of n doubles; the error names the feature. */
InkStatus ink_features_read_vector (const InkFeatures *inputs, const char *name, double *out,
                                    size_t n, InkError *err);

/* The .inkmodel format (ink-inkmodel.c). */
InkStatus ink_inkmodel_write (const InkModel *model, const char *path, InkError *err);
InkModel *ink_inkmodel_read (const char *path, InkError *err);
/* Serializes a model (recursively, for pipelines) into a JSON object. */
cJSON *ink_model_to_json (const InkModel *model, InkWeightWriter *w, InkError *err);
InkModel *ink_model_from_json (const cJSON *obj, InkWeightReader *r, InkError *err);

/* Atomic file replacement (ink-atomic-file.c): writes data to a temporary
 * file beside path, fsyncs it, renames it over path and fsyncs the folder. */
InkStatus ink_atomic_write (const char *path, const void *const *chunks, const size_t *sizes,
                            size_t n_chunks, InkError *err);

/* JSON helpers (ink-json.c): typed getters that set err on a missing or
 * mistyped field, naming it. */
InkStatus ink_json_get_string (const cJSON *obj, const char *key, const char **out, InkError *err);
InkStatus ink_json_get_number (const cJSON *obj, const char *key, double *out, InkError *err);
InkStatus ink_json_get_int (const cJSON *obj, const char *key, int64_t min, int64_t max,
                            int64_t *out, InkError *err);
InkStatus ink_json_get_bool (const cJSON *obj, const char *key, bool *out, InkError *err);
/* Optional variants keep *out when the key is absent. */
InkStatus ink_json_opt_string (const cJSON *obj, const char *key, const char **out, InkError *err);
InkStatus ink_json_opt_number (const cJSON *obj, const char *key, double *out, InkError *err);
InkStatus ink_json_opt_bool (const cJSON *obj, const char *key, bool *out, InkError *err);
/* A string that must be one of names: *out is its index. */
InkStatus ink_json_get_choice (const cJSON *obj, const char *key, const char *const *names,
                               size_t n_names, int *out, InkError *err);
/* An array of numbers into a new malloc'd double array of *n entries. */
InkStatus ink_json_get_doubles (const cJSON *obj, const char *key, double **out, size_t *n,
                                InkError *err);
cJSON *ink_json_doubles (const double *v, size_t n);

/* ink-classifier.c */
/* Concatenates the model's declared inputs, in declaration order, into out
 * (exactly n doubles): a double or int64 gives one value, a multi-array all
 * its elements. The error names the model and the counts. */
InkStatus ink_model_gather_inputs (const InkModel *model, const InkFeatures *inputs, double *out,
                                   size_t n, InkError *err);
/* The length of that vector from the declared inputs (for finish): *known
 * is false when a multi-array input has no fixed shape. Inputs that are not
 * numbers or multi-arrays are errors. */
InkStatus ink_model_input_dimension (const InkModel *model, size_t *dim, bool *known,
                                     InkError *err);
/* For finish: the classifier has labels, a declared label output of their
 * type and, when named, a dictionary output for the probabilities. */
InkStatus ink_classifier_check (const InkModel *model, const InkLabels *labels, InkError *err);
/* A regressor's n values go under the predicted feature name (else the
 * first output): a double when n is 1 and the output is not declared as a
 * multi-array, else a float64 multi-array (of the declared shape when it is
 * fixed). _check is for finish. */
InkStatus ink_regressor_check (const InkModel *model, size_t n, InkError *err);
InkStatus ink_regressor_emit (const InkModel *model, const double *values, size_t n,
                              InkFeatures *out, InkError *err);

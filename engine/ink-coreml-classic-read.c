/* ink-coreml-classic-read.c: reading Core ML tree ensembles, GLMs and k-NN classifiers
 *
 * The bodies of Model.Type fields 302 / 402 (TreeEnsembleRegressor /
 * Classifier), 300 / 400 (GLMRegressor / Classifier) and 404
 * (KNearestNeighborsClassifier); field numbers in coreml-spec-subset.md
 * sections 5 to 8. Core ML's validator rules for these bodies are checked
 * here, with the validator's reasons, as INK_ERR_INVALID_MODEL.
 *
 * SPDX-License-Identifier: MIT
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ink-coreml-private.h"

/* An empty oneof member message (LinearIndex, UniformWeighting, ...). */
static InkStatus
expect_message (const InkPbField *f, const char *what, InkError *err)
{
  return ink_pb_expect (f, INK_PB_LEN, what, err);
}

/* Reads one of the ClassLabels oneof members (100 string, 101 int64) into
 * labels, replacing what an earlier member gave (the last one wins). */
static InkStatus
read_labels (const InkPbReader *r, const InkPbField *f, const char *message, InkLabels *labels,
             InkError *err)
{
  InkStatus st = f->number == 100 ? ink_coreml_read_string_vector (r, f, labels, err)
                                  : ink_coreml_read_int64_vector (r, f, labels, err);

  if (st != INK_OK)
    ink_error_prefix (err, "%s.%s (field %u)", message,
                      f->number == 100 ? "stringClassLabels" : "int64ClassLabels", f->number);
  return st;
}

/* Moves labels into the model's class labels. */
static void
give_labels (InkModel *model, InkLabels *labels)
{
  ink_labels_clear (&model->class_labels);
  model->class_labels = *labels;
  memset (labels, 0, sizeof *labels);
}

static InkModel *
fail_model (InkModel *model, uint32_t number, InkError *err)
{
  const char *name = ink_coreml_type_name (number);

  ink_model_free (model);
  ink_error_prefix (err, "%s (Model field %u)", name != NULL ? name : "model", number);
  return NULL;
}

/* ---- Tree ensembles (TreeEnsemble.proto) ---- */

typedef struct {
  InkTreeNode *nodes; /* each node's evaluations are owned */
  size_t n_nodes, cap_nodes;
  uint64_t n_dimensions;
  double *base;
  size_t n_base, cap_base;
} TreeParams;

static void
tree_params_clear (TreeParams *p)
{
  for (size_t i = 0; i < p->n_nodes; i++)
    free ((void *) p->nodes[i].evaluations);
  free (p->nodes);
  free (p->base);
  memset (p, 0, sizeof *p);
}

/* TreeNode.EvaluationInfo: 1 evaluationIndex (uint64), 2 evaluationValue (double). */
static InkStatus
read_evaluation (const InkPbReader *parent, const InkPbField *ef, InkTreeEvaluation *ev,
                 InkError *err)
{
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  int rc;

  *ev = (InkTreeEvaluation){0, 0.0};
  st = ink_coreml_open_message (parent, ef, "TreeNode.evaluationInfo (field 20)", &r, err);
  if (st != INK_OK)
    return st;
  while ((rc = ink_pb_next (&r, &f, err)) > 0) {
    if (f.number == 1) {
      st = ink_pb_expect (&f, INK_PB_VARINT, "EvaluationInfo.evaluationIndex (field 1)", err);
      ev->index = f.value;
    } else if (f.number == 2) {
      st = ink_pb_expect (&f, INK_PB_I64, "EvaluationInfo.evaluationValue (field 2)", err);
      ev->value = ink_pb_double (&f);
    }
    if (st != INK_OK)
      return st;
  }
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

static int
compare_evaluations (const void *a, const void *b)
{
  const InkTreeEvaluation *x = a, *y = b;

  return x->index < y->index ? -1 : x->index > y->index;
}

/* Core ML's checks of a leaf: values given, each dimension at most once. */
static InkStatus
check_leaf (const InkTreeNode *node, InkError *err)
{
  InkTreeEvaluation *sorted;

  if (node->n_evaluations == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "Leaf Node (TreeID=%" PRIu64 ", NodeID=%" PRIu64
                          ") has no evaluation value(s) specified.",
                          node->tree_id, node->node_id);
  sorted = malloc (node->n_evaluations * sizeof *sorted);
  if (sorted == NULL)
    return ink_coreml_no_memory (err);
  memcpy (sorted, node->evaluations, node->n_evaluations * sizeof *sorted);
  qsort (sorted, node->n_evaluations, sizeof *sorted, compare_evaluations);
  for (size_t i = 1; i < node->n_evaluations; i++) {
    if (sorted[i].index == sorted[i - 1].index) {
      uint64_t dim = sorted[i].index;

      free (sorted);
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "Leaf Node (TreeID=%" PRIu64 ", NodeID=%" PRIu64
                            ") specifies multiple evaluation values applied to dimension %" PRIu64
                            ".",
                            node->tree_id, node->node_id, dim);
    }
  }
  free (sorted);
  return INK_OK;
}

/* TreeEnsembleParameters.TreeNode (coreml-spec-subset.md section 6). */
static InkStatus
read_tree_node (const InkPbReader *parent, const InkPbField *nf, InkTreeNode *node, InkError *err)
{
  InkTreeEvaluation *evals = NULL;
  size_t n_evals = 0, cap_evals = 0;
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  int32_t behavior;
  int rc;

  memset (node, 0, sizeof *node);
  st = ink_coreml_open_message (parent, nf, "TreeNode", &r, err);
  if (st != INK_OK)
    return st;
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
      break;
    }
    switch (f.number) {
    case 1:
      st = ink_pb_expect (&f, INK_PB_VARINT, "TreeNode.treeId (field 1)", err);
      node->tree_id = f.value;
      break;
    case 2:
      st = ink_pb_expect (&f, INK_PB_VARINT, "TreeNode.nodeId (field 2)", err);
      node->node_id = f.value;
      break;
    case 3:
      st = ink_pb_expect (&f, INK_PB_VARINT, "TreeNode.nodeBehavior (field 3)", err);
      behavior = ink_pb_int32 (&f);
      if (st == INK_OK && (behavior < INK_TREE_BRANCH_LE || behavior > INK_TREE_LEAF))
        st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "TreeNode.nodeBehavior (field 3) has the unknown value %" PRId32,
                            behavior);
      node->behavior = (InkTreeNodeBehavior) behavior;
      break;
    case 10:
      st = ink_pb_expect (&f, INK_PB_VARINT, "TreeNode.branchFeatureIndex (field 10)", err);
      node->feature_index = f.value;
      break;
    case 11:
      st = ink_pb_expect (&f, INK_PB_I64, "TreeNode.branchFeatureValue (field 11)", err);
      node->feature_value = ink_pb_double (&f);
      break;
    case 12:
      st = ink_pb_expect (&f, INK_PB_VARINT, "TreeNode.trueChildNodeId (field 12)", err);
      node->true_child = f.value;
      break;
    case 13:
      st = ink_pb_expect (&f, INK_PB_VARINT, "TreeNode.falseChildNodeId (field 13)", err);
      node->false_child = f.value;
      break;
    case 14:
      st =
        ink_pb_expect (&f, INK_PB_VARINT, "TreeNode.missingValueTracksTrueChild (field 14)", err);
      node->missing_goes_true = ink_pb_bool (&f);
      break;
    case 20:
      if (!INK_GROW (evals, n_evals, cap_evals)) {
        st = ink_coreml_no_memory (err);
        break;
      }
      st = read_evaluation (&r, &f, &evals[n_evals], err);
      if (st == INK_OK)
        n_evals++;
      break;
    case 30:
      /* relativeHitRate: an optimisation hint that does not change results. */
      st = ink_pb_expect (&f, INK_PB_I64, "TreeNode.relativeHitRate (field 30)", err);
      break;
    default: break;
    }
  }
  node->evaluations = evals;
  node->n_evaluations = n_evals;
  if (st == INK_OK && node->behavior == INK_TREE_LEAF)
    st = check_leaf (node, err);
  if (st != INK_OK) {
    free (evals);
    node->evaluations = NULL;
    node->n_evaluations = 0;
  }
  return st;
}

/* TreeEnsembleParameters: 1 nodes, 2 numPredictionDimensions, 3
 * basePredictionValue. A second occurrence merges into the first. */
static InkStatus
read_tree_params (const InkPbReader *parent, const InkPbField *pf, TreeParams *p, InkError *err)
{
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  int rc;

  st = ink_coreml_open_message (parent, pf, "treeEnsemble (field 1)", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
      break;
    }
    switch (f.number) {
    case 1:
      if (!INK_GROW (p->nodes, p->n_nodes, p->cap_nodes)) {
        st = ink_coreml_no_memory (err);
        break;
      }
      st = read_tree_node (&r, &f, &p->nodes[p->n_nodes], err);
      if (st == INK_OK)
        p->n_nodes++;
      else
        ink_error_prefix (err, "TreeEnsembleParameters.nodes (field 1) entry %zu", p->n_nodes);
      break;
    case 2:
      st = ink_pb_expect (&f, INK_PB_VARINT,
                          "TreeEnsembleParameters.numPredictionDimensions (field 2)", err);
      p->n_dimensions = f.value;
      break;
    case 3:
      st = ink_pb_append_doubles (&f, &p->base, &p->n_base, &p->cap_base,
                                  "TreeEnsembleParameters.basePredictionValue (field 3)", err);
      break;
    default: break;
    }
  }
  return st;
}

InkModel *
ink_coreml_read_tree_ensemble (uint32_t number, const InkPbReader *parent, const InkPbField *body,
                               InkError *err)
{
  bool classifier = number == INK_ML_TREE_ENSEMBLE_CLASSIFIER;
  const char *message = classifier ? "TreeEnsembleClassifier" : "TreeEnsembleRegressor";
  TreeParams params = {0};
  InkLabels labels = {0};
  InkModel *model = NULL;
  int32_t transform = 0;
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  int rc;

  st = ink_coreml_open_message (parent, body, message, &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
      break;
    }
    if (f.number == 1) {
      st = read_tree_params (&r, &f, &params, err);
    } else if (f.number == 2) {
      st = ink_pb_expect (&f, INK_PB_VARINT, "postEvaluationTransform (field 2)", err);
      transform = ink_pb_int32 (&f);
    } else if (classifier && (f.number == 100 || f.number == 101)) {
      st = read_labels (&r, &f, message, &labels, err);
    }
  }
  if (st == INK_OK &&
      (transform < INK_TREE_NO_TRANSFORM || transform > INK_TREE_SOFTMAX_ZERO_CLASS_REFERENCE))
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "%s.postEvaluationTransform (field 2) has the unknown value %" PRId32,
                        message, transform);
  if (st == INK_OK && params.n_dimensions == 0)
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "TreeEnsembleParameters.numPredictionDimensions (field 2): Given output "
                        "dimension equals 0.");
  if (st == INK_OK && params.n_dimensions > (uint64_t) INT32_MAX)
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "TreeEnsembleParameters.numPredictionDimensions (field 2) is too large: "
                        "%" PRIu64,
                        params.n_dimensions);
  if (st == INK_OK) {
    model = ink_tree_ensemble_new (classifier ? INK_MODEL_TREE_ENSEMBLE_CLASSIFIER
                                              : INK_MODEL_TREE_ENSEMBLE_REGRESSOR,
                                   (size_t) params.n_dimensions, (InkTreeTransform) transform);
    if (model == NULL)
      st = ink_coreml_no_memory (err);
  }
  if (st == INK_OK && params.n_base > 0 &&
      ink_tree_ensemble_set_base_prediction (model, params.base, params.n_base) != INK_OK)
    st = ink_coreml_no_memory (err);
  for (size_t i = 0; st == INK_OK && i < params.n_nodes; i++) {
    st = ink_tree_ensemble_add_node (model, &params.nodes[i], err);
    if (st != INK_OK)
      ink_error_prefix (err, "TreeEnsembleParameters.nodes (field 1) entry %zu", i);
  }
  tree_params_clear (&params);
  if (st != INK_OK) {
    ink_labels_clear (&labels);
    return fail_model (model, number, err);
  }
  give_labels (model, &labels);
  return model;
}

/* ---- Generalized linear models (GLMClassifier.proto, GLMRegressor.proto) ---- */

typedef struct {
  double *weights; /* the rows, one after the other */
  size_t n_weights, cap_weights;
  size_t *row_lengths;
  size_t n_rows, cap_rows;
  double *offsets;
  size_t n_offsets, cap_offsets;
} GlmParams;

static void
glm_params_clear (GlmParams *p)
{
  free (p->weights);
  free (p->row_lengths);
  free (p->offsets);
  memset (p, 0, sizeof *p);
}

/* One weights row: DoubleArray { 1 value: repeated double }. */
static InkStatus
read_glm_row (const InkPbReader *parent, const InkPbField *rf, GlmParams *p, InkError *err)
{
  size_t before = p->n_weights;
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  int rc;

  if (!INK_GROW (p->row_lengths, p->n_rows, p->cap_rows))
    return ink_coreml_no_memory (err);
  st = ink_coreml_open_message (parent, rf, "DoubleArray", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) != 0) {
    if (rc < 0)
      st = INK_ERR_FORMAT;
    else if (f.number == 1)
      st = ink_pb_append_doubles (&f, &p->weights, &p->n_weights, &p->cap_weights,
                                  "DoubleArray.value (field 1)", err);
  }
  if (st != INK_OK)
    return ink_error_prefix (err, "weights (field 1) row %zu", p->n_rows);
  p->row_lengths[p->n_rows++] = p->n_weights - before;
  return INK_OK;
}

/* Core ML's validator rules for a GLM classifier (LinearModelValidator). */
static InkStatus
check_glm_classifier (const GlmParams *p, int32_t transform, int32_t encoding,
                      const InkLabels *labels, bool has_labels, InkError *err)
{
  long long n_classes = has_labels ? (long long) labels->n : -1;
  const char *reason = NULL;

  if (transform != 0 && transform != 1)
    reason = "Invalid post evaluation transform";
  else if (encoding != 0 && encoding != 1)
    reason = "Invalid class encoding";
  else if (p->n_rows == 0)
    reason = "The number of DoubleArrays in weights must be greater than zero";
  else if (p->n_rows != p->n_offsets)
    reason = "The number of DoubleArrays in weights must match number of offsets";
  else if (encoding == 0 && n_classes != -1 && (long long) p->n_rows != n_classes - 1)
    reason = "With ReferenceClass encoding the number of DoubleArrays in weights must be one "
             "less than number of classes";
  else if (encoding == 1 && n_classes == 2 && p->n_rows != 1)
    reason = "When using OneVsRest encoding for only two classes, the number of DoubleArrays in "
             "weights must be one";
  else if (encoding == 1 && n_classes != 2 && n_classes != -1 && (long long) p->n_rows != n_classes)
    reason = "With OneVsRest encoding the number of DoubleArrays in weights must equal the "
             "number of classes";
  else if (n_classes > 2 && transform == 1)
    reason = "Probit post evaluation transform is only supported for binary classification";
  else if (p->row_lengths[0] == 0)
    reason = "Weight DoubleArrays must have nonzero length";
  for (size_t i = 1; reason == NULL && i < p->n_rows; i++) {
    if (p->row_lengths[i] != p->row_lengths[0])
      reason = "Weight DoubleArrays must have the same length";
  }
  if (reason == NULL)
    return INK_OK;
  return ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "%s (%zu weight rows, %zu offsets, %lld class labels)", reason, p->n_rows,
                        p->n_offsets, n_classes < 0 ? 0 : n_classes);
}

/* Core ML's validator rules for a GLM regressor. */
static InkStatus
check_glm_regressor (const GlmParams *p, int32_t transform, InkError *err)
{
  if (transform < 0 || transform > 2)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "GLMRegressor.postEvaluationTransform (field 3) has the unknown value "
                          "%" PRId32,
                          transform);
  if (p->n_rows != p->n_offsets)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "Weights and offsets must be the same size (%zu weight rows, %zu "
                          "offsets).",
                          p->n_rows, p->n_offsets);
  for (size_t i = 1; i < p->n_rows; i++) {
    if (p->row_lengths[i] != p->row_lengths[0])
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "All weight coefficients must be the same size (row %zu has %zu, row "
                            "0 has %zu).",
                            i, p->row_lengths[i], p->row_lengths[0]);
  }
  return INK_OK;
}

InkModel *
ink_coreml_read_glm (uint32_t number, const InkPbReader *parent, const InkPbField *body,
                     InkError *err)
{
  bool classifier = number == INK_ML_GLM_CLASSIFIER;
  const char *message = classifier ? "GLMClassifier" : "GLMRegressor";
  GlmParams p = {0};
  InkLabels labels = {0};
  bool has_labels = false;
  int32_t transform = 0, encoding = 0;
  InkModel *model = NULL;
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  int rc;

  st = ink_coreml_open_message (parent, body, message, &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
      break;
    }
    switch (f.number) {
    case 1: st = read_glm_row (&r, &f, &p, err); break;
    case 2:
      st = ink_pb_append_doubles (&f, &p.offsets, &p.n_offsets, &p.cap_offsets, "offset (field 2)",
                                  err);
      break;
    case 3:
      st = ink_pb_expect (&f, INK_PB_VARINT, "postEvaluationTransform (field 3)", err);
      transform = ink_pb_int32 (&f);
      break;
    case 4:
      if (classifier) {
        st = ink_pb_expect (&f, INK_PB_VARINT, "classEncoding (field 4)", err);
        encoding = ink_pb_int32 (&f);
      }
      break;
    case 100:
    case 101:
      if (classifier) {
        st = read_labels (&r, &f, message, &labels, err);
        has_labels = st == INK_OK;
      }
      break;
    default: break;
    }
  }
  if (st == INK_OK)
    st = classifier ? check_glm_classifier (&p, transform, encoding, &labels, has_labels, err)
                    : check_glm_regressor (&p, transform, err);
  if (st == INK_OK) {
    size_t n_columns = p.n_rows > 0 ? p.row_lengths[0] : 0;

    if (classifier)
      model = ink_glm_classifier_new (
        p.weights, p.n_rows, n_columns, p.offsets, transform == 1 ? INK_GLM_PROBIT : INK_GLM_LOGIT,
        encoding == 1 ? INK_GLM_ONE_VS_REST : INK_GLM_REFERENCE_CLASS);
    else
      model = ink_glm_regressor_new (p.weights, p.n_rows, n_columns, p.offsets,
                                     transform == 0   ? INK_GLM_NO_TRANSFORM
                                     : transform == 1 ? INK_GLM_LOGIT
                                                      : INK_GLM_PROBIT);
    if (model == NULL)
      st = ink_coreml_no_memory (err);
  }
  glm_params_clear (&p);
  if (st != INK_OK) {
    ink_labels_clear (&labels);
    return fail_model (model, number, err);
  }
  give_labels (model, &labels);
  return model;
}

/* ---- k-nearest neighbours (NearestNeighbors.proto) ---- */

typedef struct {
  /* NearestNeighborsIndex */
  int32_t dimensions;
  float *samples; /* every sample's values, one after the other */
  size_t n_values, cap_values;
  size_t *lengths; /* per sample */
  size_t n_samples, cap_samples;
  uint32_t index_type; /* 0 unset, 100 linear, 110 kd-tree */
  int32_t leaf_size;   /* kd-tree */
  uint32_t distance;   /* 0 unset, 200 squared Euclidean */
  /* KNearestNeighborsClassifier */
  bool has_k;
  InkUpdateParameter k;
  int64_t *k_set;
  uint32_t label_case; /* 0 unset, 100 string, 101 int64 */
  InkLabels labels;
  uint32_t default_case; /* 0 unset, 110 string, 111 int64 */
  char *default_string;
  int64_t default_int64;
  uint32_t weighting; /* 0 unset, 200 uniform, 210 inverse distance */
} KnnParams;

static void
knn_params_clear (KnnParams *p)
{
  free (p->samples);
  free (p->lengths);
  free (p->k_set);
  ink_labels_clear (&p->labels);
  free (p->default_string);
  memset (p, 0, sizeof *p);
}

/* FloatVector { 1 vector: repeated float }: one stored example. */
static InkStatus
read_sample (const InkPbReader *parent, const InkPbField *sf, KnnParams *p, InkError *err)
{
  size_t before = p->n_values;
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  int rc;

  if (!INK_GROW (p->lengths, p->n_samples, p->cap_samples))
    return ink_coreml_no_memory (err);
  st = ink_coreml_open_message (parent, sf, "FloatVector", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) != 0) {
    if (rc < 0)
      st = INK_ERR_FORMAT;
    else if (f.number == 1)
      st = ink_pb_append_floats (&f, &p->samples, &p->n_values, &p->cap_values,
                                 "FloatVector.vector (field 1)", err);
  }
  if (st != INK_OK)
    return ink_error_prefix (err, "NearestNeighborsIndex.floatSamples (field 2) sample %zu",
                             p->n_samples);
  p->lengths[p->n_samples++] = p->n_values - before;
  return INK_OK;
}

/* SingleKdTreeIndex { 1 leafSize: int32 }. */
static InkStatus
read_kd_tree (const InkPbReader *parent, const InkPbField *kf, KnnParams *p, InkError *err)
{
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  int rc;

  p->leaf_size = 0;
  st = ink_coreml_open_message (parent, kf, "NearestNeighborsIndex.singleKdTreeIndex (field 110)",
                                &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) != 0) {
    if (rc < 0)
      st = INK_ERR_FORMAT;
    else if (f.number == 1) {
      st = ink_pb_expect (&f, INK_PB_VARINT, "SingleKdTreeIndex.leafSize (field 1)", err);
      p->leaf_size = ink_pb_int32 (&f);
    }
  }
  return st;
}

static InkStatus
read_knn_index (const InkPbReader *parent, const InkPbField *xf, KnnParams *p, InkError *err)
{
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  int rc;

  st = ink_coreml_open_message (parent, xf, "nearestNeighborsIndex (field 1)", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
      break;
    }
    if (f.number == 1) {
      st = ink_pb_expect (&f, INK_PB_VARINT, "NearestNeighborsIndex.numberOfDimensions (field 1)",
                          err);
      p->dimensions = ink_pb_int32 (&f);
    } else if (f.number == 2) {
      st = read_sample (&r, &f, p, err);
    } else if (f.number == 100) {
      st = expect_message (&f, "NearestNeighborsIndex.linearIndex (field 100)", err);
      p->index_type = 100;
    } else if (f.number == 110) {
      st = read_kd_tree (&r, &f, p, err);
      p->index_type = 110;
    } else if (f.number > 100 && f.number < 200) {
      st = ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "the nearest-neighbour index type in NearestNeighborsIndex field %u is "
                          "not supported (only linearIndex, field 100, and singleKdTreeIndex, "
                          "field 110)",
                          f.number);
    } else if (f.number == 200) {
      st = expect_message (&f, "NearestNeighborsIndex.squaredEuclideanDistance (field 200)", err);
      p->distance = 200;
    } else if (f.number > 200 && f.number < 300) {
      st = ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "the distance function in NearestNeighborsIndex field %u is not "
                          "supported (only squaredEuclideanDistance, field 200)",
                          f.number);
    }
  }
  return st;
}

/* ParameterValidator's rules for an Int64Parameter that must be positive. */
static InkStatus
check_positive_parameter (const InkUpdateParameter *p, InkError *err)
{
  long long def = (long long) p->default_value;

  if (def <= 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "Default Value (%lld) for '%s' expected to be a positive value.", def,
                          p->key);
  if (p->n_set > 0) {
    for (size_t i = 0; i < p->n_set; i++) {
      if (p->set[i] == def)
        return INK_OK;
      if (p->set[i] <= 0)
        return ink_error_set (err, INK_ERR_INVALID_MODEL,
                              "Non-positive value (%" PRId64
                              ") in Allowed Values Set for '%s' is not allowed.",
                              p->set[i], p->key);
    }
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "Specified Default Value (%lld) not found in Allowed Values Set for "
                          "'%s'",
                          def, p->key);
  }
  if (p->has_range) {
    if (p->min <= 0)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "Non-positive min value (%lld) in Allowed Value Range for '%s' is "
                            "not allowed.",
                            (long long) p->min, p->key);
    if (p->max <= 0)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "Non-positive max value (%lld) in Allowed Value Range for '%s' is "
                            "not allowed.",
                            (long long) p->max, p->key);
    if (p->default_value < p->min || p->default_value > p->max)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "Specified Default Value (%lld) out of Allowed Value Range for '%s'",
                            def, p->key);
    if (p->min > p->max)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "Specified minimum value (%lld) greater than maximum value for '%s'",
                            (long long) p->min, p->key);
  }
  return INK_OK;
}

/* KNearestNeighborsClassifierValidator's rules, in its order. */
static InkStatus
check_knn (const KnnParams *p, InkError *err)
{
  size_t n_labels = p->label_case != 0 ? p->labels.n : 0;
  InkUpdateParameter absent = {.key = INK_PARAM_NUMBER_OF_NEIGHBORS, .type = INK_PARAM_INT64};
  InkStatus st = check_positive_parameter (p->has_k ? &p->k : &absent, err);

  if (st != INK_OK)
    return st;
  if (p->weighting == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "KNearestNeighborsClassifier requires a weighting scheme to be set.");
  if ((p->default_case == 110 && p->label_case == 101) ||
      (p->default_case == 111 && p->label_case == 100))
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "KNearestNeighborsClassifier's class label and default class label "
                          "have different types.");
  if (p->default_case == 0 && n_labels == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "KNearestNeighborsClassifier should specify default class labels when "
                          "class labels are not specified.");
  if (p->n_samples == 0 && n_labels != 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "KNearestNeighborsClassifier has no data points (it has %zu labels).",
                          n_labels);
  if (p->n_samples != n_labels)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "Unexpected number of labels \"%zu\" for the given number of examples: "
                          "\"%zu\".",
                          n_labels, p->n_samples);
  for (size_t i = 0; i < p->n_samples; i++) {
    if (p->dimensions < 0 || p->lengths[i] != (size_t) p->dimensions)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "Unexpected length \"%zu\" of sample %zu (NearestNeighborsIndex."
                            "floatSamples, field 2) given the provided number of dimensions "
                            "\"%" PRId32 "\".",
                            p->lengths[i], i, p->dimensions);
  }
  for (size_t i = 0; i < p->n_values; i++) {
    if (!isfinite (p->samples[i]))
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "value %zu of sample %zu (NearestNeighborsIndex.floatSamples, field 2) "
                            "is not a finite number",
                            i % (size_t) p->dimensions, i / (size_t) p->dimensions);
  }
  if (p->index_type == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "KNearestNeighborsClassifier has no index type specified.");
  if (p->index_type == 110 && p->leaf_size <= 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "KNearestNeighborsClassifier requires leaf size to be a positive "
                          "integer.");
  if (p->distance == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "KNearestNeighborsClassifier requires a distance function to be set.");
  if (p->dimensions <= 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "NearestNeighborsIndex.numberOfDimensions (field 1) is %" PRId32
                          "; it must be positive",
                          p->dimensions);
  return INK_OK;
}

/* Reads one field of the KNearestNeighborsClassifier message. */
static InkStatus
read_knn_field (const InkPbReader *r, const InkPbField *f, KnnParams *p, InkError *err)
{
  InkStatus st = INK_OK;

  switch (f->number) {
  case 1: return read_knn_index (r, f, p, err);
  case 3:
    free (p->k_set);
    p->k_set = NULL;
    st = ink_coreml_read_parameter (r, f, INK_PARAM_NUMBER_OF_NEIGHBORS, INK_PARAM_INT64, &p->k,
                                    &p->k_set, err);
    if (st != INK_OK)
      return ink_error_prefix (err, "KNearestNeighborsClassifier.numberOfNeighbors (field 3)");
    p->has_k = true;
    return INK_OK;
  case 100:
  case 101:
    st = read_labels (r, f, "KNearestNeighborsClassifier", &p->labels, err);
    p->label_case = f->number;
    return st;
  case 110:
    st = ink_pb_replace_string (f, "KNearestNeighborsClassifier.defaultStringLabel (field 110)",
                                &p->default_string, err);
    if (st != INK_OK)
      return st;
    p->default_case = 110;
    return INK_OK;
  case 111:
    st = ink_pb_expect (f, INK_PB_VARINT,
                        "KNearestNeighborsClassifier.defaultInt64Label (field 111)", err);
    p->default_int64 = ink_pb_int64 (f);
    p->default_case = 111;
    return st;
  case 200:
    p->weighting = 200;
    return expect_message (f, "KNearestNeighborsClassifier.uniformWeighting (field 200)", err);
  case 210:
    p->weighting = 210;
    return expect_message (f, "KNearestNeighborsClassifier.inverseDistanceWeighting (field 210)",
                           err);
  default:
    if (f->number > 200 && f->number < 300)
      return ink_error_set (err, INK_ERR_UNSUPPORTED,
                            "the weighting scheme in KNearestNeighborsClassifier field %u is not "
                            "supported (only uniformWeighting, field 200, and "
                            "inverseDistanceWeighting, field 210)",
                            f->number);
    return INK_OK;
  }
}

/* Builds the model from checked parameters. */
static InkStatus
build_knn (KnnParams *p, InkModel **out, InkError *err)
{
  bool int64_labels = p->label_case == 101 || (p->label_case == 0 && p->default_case == 111);
  InkKnnWeighting weighting = p->weighting == 210 ? INK_KNN_INVERSE_DISTANCE : INK_KNN_UNIFORM;
  InkModel *model =
    ink_knn_new ((size_t) p->dimensions, weighting, (int64_t) p->k.default_value, int64_labels);
  InkStatus st = INK_OK;

  *out = model;
  if (model == NULL)
    return ink_coreml_no_memory (err);
  if (p->default_case == 110)
    st = ink_knn_set_default_label_string (model, p->default_string);
  else if (p->default_case == 111)
    st = ink_knn_set_default_label_int64 (model, p->default_int64);
  if (st != INK_OK)
    return ink_coreml_no_memory (err);
  for (size_t i = 0; st == INK_OK && i < p->n_samples; i++) {
    const float *row = p->samples + i * (size_t) p->dimensions;

    st = int64_labels ? ink_knn_add_example_int64 (model, row, p->labels.ints[i], err)
                      : ink_knn_add_example_string (model, row, p->labels.strings[i], err);
  }
  if (st == INK_OK)
    st = ink_model_set_update_parameter (model, &p->k, err);
  return st;
}

InkModel *
ink_coreml_read_knn (uint32_t number, const InkPbReader *parent, const InkPbField *body,
                     InkError *err)
{
  KnnParams p = {0};
  InkModel *model = NULL;
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  int rc;

  st = ink_coreml_open_message (parent, body, "KNearestNeighborsClassifier", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) != 0) {
    if (rc < 0)
      st = INK_ERR_FORMAT;
    else
      st = read_knn_field (&r, &f, &p, err);
  }
  if (st == INK_OK && p.label_case != 0 && p.labels.is_int64 != (p.label_case == 101))
    st = ink_error_set (err, INK_ERR_FORMAT, "KNearestNeighborsClassifier: malformed labels");
  if (st == INK_OK)
    st = check_knn (&p, err);
  if (st == INK_OK)
    st = build_knn (&p, &model, err);
  knn_params_clear (&p);
  if (st != INK_OK)
    return fail_model (model, number, err);
  return model;
}

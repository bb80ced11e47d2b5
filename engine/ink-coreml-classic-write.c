/* ink-coreml-classic-write.c: writing tree ensembles, GLMs and k-NN classifiers as Core ML
 *
 * The exact inverses of ink-coreml-classic-read.c: Model.Type fields 302 /
 * 402 (TreeEnsembleRegressor / Classifier), 300 / 400 (GLMRegressor /
 * Classifier) and 404 (KNearestNeighborsClassifier). Fields are written in
 * field-number order and, as proto3 does, scalars only when they are not
 * zero; oneof members and repeated values are always written.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "ink-classic-private.h"
#include "ink-coreml-private.h"

/* Writers reused for every nested message of one kind. */
typedef struct {
  InkPbWriter a, b, c, d;
} Scratch;

static void
scratch_init (Scratch *s)
{
  ink_pb_writer_init (&s->a);
  ink_pb_writer_init (&s->b);
  ink_pb_writer_init (&s->c);
  ink_pb_writer_init (&s->d);
}

static void
scratch_clear (Scratch *s)
{
  ink_pb_writer_clear (&s->a);
  ink_pb_writer_clear (&s->b);
  ink_pb_writer_clear (&s->c);
  ink_pb_writer_clear (&s->d);
}

static InkStatus
finish_body (InkPbWriter *w, uint32_t number, const InkPbWriter *body, InkError *err)
{
  ink_pb_put_message (w, number, body);
  if (ink_pb_writer_failed (w))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a Core ML %s",
                          ink_coreml_type_name (number));
  return INK_OK;
}

static void
put_uint64 (InkPbWriter *w, uint32_t number, uint64_t v)
{
  if (v != 0)
    ink_pb_put_varint (w, number, v);
}

/* proto3 omits a double only when it is +0.0 (-0.0 is written). */
static void
put_double (InkPbWriter *w, uint32_t number, double v)
{
  uint64_t bits;

  memcpy (&bits, &v, sizeof bits);
  if (bits != 0)
    ink_pb_put_double (w, number, v);
}

static void
raise_version (int *spec_version, int version)
{
  if (spec_version != NULL && *spec_version < version)
    *spec_version = version;
}

/* ---- Tree ensembles ---- */

/* TreeNode (coreml-spec-subset.md section 6) into node, using ev for the
 * EvaluationInfo messages. */
static void
write_tree_node (const InkTreeNode *n, InkPbWriter *node, InkPbWriter *ev)
{
  ink_pb_writer_reset (node);
  put_uint64 (node, 1, n->tree_id);
  put_uint64 (node, 2, n->node_id);
  put_uint64 (node, 3, (uint64_t) n->behavior);
  put_uint64 (node, 10, n->feature_index);
  put_double (node, 11, n->feature_value);
  put_uint64 (node, 12, n->true_child);
  put_uint64 (node, 13, n->false_child);
  if (n->missing_goes_true)
    ink_pb_put_bool (node, 14, true);
  for (size_t i = 0; i < n->n_evaluations; i++) {
    ink_pb_writer_reset (ev);
    put_uint64 (ev, 1, n->evaluations[i].index);
    put_double (ev, 2, n->evaluations[i].value);
    ink_pb_put_message (node, 20, ev);
  }
}

InkStatus
ink_coreml_write_tree_ensemble (const InkModel *model, InkPbWriter *w, int *spec_version,
                                InkError *err)
{
  bool classifier = model != NULL && model->kind == INK_MODEL_TREE_ENSEMBLE_CLASSIFIER;
  uint32_t number = classifier ? INK_ML_TREE_ENSEMBLE_CLASSIFIER : INK_ML_TREE_ENSEMBLE_REGRESSOR;
  InkTreeEnsembleView v;
  Scratch s;
  InkStatus st;

  if (!ink_tree_ensemble_view (model, &v))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "not a tree ensemble");
  if ((unsigned) v.transform > INK_TREE_SOFTMAX_ZERO_CLASS_REFERENCE)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "unknown tree ensemble transform %d",
                          (int) v.transform);
  scratch_init (&s);
  /* s.a: the body, s.b: TreeEnsembleParameters, s.c: a node, s.d: an evaluation. */
  for (size_t i = 0; i < v.n_nodes; i++) {
    InkTreeNode n = ink_tree_ensemble_node (model, i);

    write_tree_node (&n, &s.c, &s.d);
    ink_pb_put_message (&s.b, 1, &s.c);
  }
  put_uint64 (&s.b, 2, (uint64_t) v.n_dimensions);
  ink_pb_put_packed_doubles (&s.b, 3, v.base, v.n_base);
  ink_pb_put_message (&s.a, 1, &s.b);
  put_uint64 (&s.a, 2, (uint64_t) v.transform);
  if (classifier)
    ink_coreml_write_labels (&s.a, 100, 101, &model->class_labels);
  st = finish_body (w, number, &s.a, err);
  scratch_clear (&s);
  raise_version (spec_version, 1);
  return st;
}

/* ---- Generalized linear models ---- */

InkStatus
ink_coreml_write_glm (const InkModel *model, InkPbWriter *w, int *spec_version, InkError *err)
{
  bool classifier = model != NULL && model->kind == INK_MODEL_GLM_CLASSIFIER;
  uint32_t number = classifier ? INK_ML_GLM_CLASSIFIER : INK_ML_GLM_REGRESSOR;
  uint64_t transform;
  InkGlmView v;
  Scratch s;
  InkStatus st;

  if (!ink_glm_view (model, &v))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "not a GLM");
  /* Classifier: Logit 0, Probit 1. Regressor: NoTransform 0, Logit 1, Probit 2. */
  switch (v.transform) {
  case INK_GLM_LOGIT: transform = classifier ? 0 : 1; break;
  case INK_GLM_PROBIT: transform = classifier ? 1 : 2; break;
  case INK_GLM_NO_TRANSFORM:
    if (classifier)
      return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                            "a GLM classifier's transform must be Logit or Probit");
    transform = 0;
    break;
  default:
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "unknown GLM transform %d",
                          (int) v.transform);
  }
  scratch_init (&s);
  /* s.a: the body, s.b: one DoubleArray row. */
  for (size_t r = 0; r < v.n_rows; r++) {
    ink_pb_writer_reset (&s.b);
    ink_pb_put_packed_doubles (&s.b, 1, v.weights + r * v.n_columns, v.n_columns);
    ink_pb_put_message (&s.a, 1, &s.b);
  }
  ink_pb_put_packed_doubles (&s.a, 2, v.offsets, v.n_rows);
  put_uint64 (&s.a, 3, transform);
  if (classifier) {
    put_uint64 (&s.a, 4, v.encoding == INK_GLM_ONE_VS_REST ? 1 : 0);
    ink_coreml_write_labels (&s.a, 100, 101, &model->class_labels);
  }
  st = finish_body (w, number, &s.a, err);
  scratch_clear (&s);
  raise_version (spec_version, 1);
  return st;
}

/* ---- k-nearest neighbours ---- */

InkStatus
ink_coreml_write_knn (const InkModel *model, InkPbWriter *w, int *spec_version, InkError *err)
{
  const InkUpdateParameter *k;
  InkUpdateParameter k_default;
  InkKnnView v;
  Scratch s;
  InkStatus st;

  if (!ink_knn_view (model, &v))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "not a k-NN classifier");
  k = ink_description_find_update_parameter (ink_model_get_description (model),
                                             INK_PARAM_NUMBER_OF_NEIGHBORS);
  if (k == NULL) {
    /* An unfinished model: k alone, unbounded. */
    k_default = (InkUpdateParameter){
      .key = INK_PARAM_NUMBER_OF_NEIGHBORS, .type = INK_PARAM_INT64, .default_value = (double) v.k};
    k = &k_default;
  }
  scratch_init (&s);
  /* s.a: the body, s.b: NearestNeighborsIndex, s.c: a FloatVector, s.d: empty messages. */
  put_uint64 (&s.b, 1, (uint64_t) v.dimensions);
  for (size_t i = 0; i < v.n_examples; i++) {
    ink_pb_writer_reset (&s.c);
    ink_pb_put_packed_floats (&s.c, 1, v.samples + i * v.dimensions, v.dimensions);
    ink_pb_put_message (&s.b, 2, &s.c);
  }
  ink_pb_put_message (&s.b, 100, &s.d); /* linearIndex */
  ink_pb_put_message (&s.b, 200, &s.d); /* squaredEuclideanDistance */
  ink_pb_put_message (&s.a, 1, &s.b);
  ink_coreml_write_parameter (&s.a, 3, k);
  ink_coreml_write_labels (&s.a, 100, 101, v.labels);
  if (v.default_label != NULL && v.default_label->n > 0) {
    if (v.default_label->is_int64)
      ink_pb_put_int64 (&s.a, 111, v.default_label->ints[0]);
    else
      ink_pb_put_string (&s.a, 110, v.default_label->strings[0]);
  }
  ink_pb_put_message (&s.a, v.weighting == INK_KNN_INVERSE_DISTANCE ? 210 : 200, &s.d);
  st = finish_body (w, INK_ML_KNN_CLASSIFIER, &s.a, err);
  scratch_clear (&s);
  /* Core ML 3 (specification 4) introduced the k-NN classifier. */
  raise_version (spec_version, 4);
  return st;
}

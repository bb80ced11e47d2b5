/* test-tree.c: tree ensemble classifiers and regressors
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "ink-model-private.h"
#include "test-util.h"

#define TOL 1e-12

/* ---- Building ---- */

static InkTreeNode
branch (uint64_t tree, uint64_t id, InkTreeNodeBehavior mode, uint64_t feature, double value,
        uint64_t t, uint64_t f, bool missing_true)
{
  return (InkTreeNode){
    .tree_id = tree,
    .node_id = id,
    .behavior = mode,
    .feature_index = feature,
    .feature_value = value,
    .true_child = t,
    .false_child = f,
    .missing_goes_true = missing_true,
  };
}

static InkTreeNode
leaf (uint64_t tree, uint64_t id, const InkTreeEvaluation *evals, size_t n)
{
  return (InkTreeNode){
    .tree_id = tree,
    .node_id = id,
    .behavior = INK_TREE_LEAF,
    .n_evaluations = n,
    .evaluations = evals,
  };
}

static void
add_node (InkModel *m, InkTreeNode node)
{
  InkError err;

  ink_assert_ok (ink_tree_ensemble_add_node (m, &node, &err), &err);
}

/* A leaf adding value to dimension index. */
static void
add_leaf (InkModel *m, uint64_t tree, uint64_t id, uint64_t index, double value)
{
  InkTreeEvaluation e = {index, value};

  add_node (m, leaf (tree, id, &e, 1));
}

/* Declares input "x" (MultiArray Double [n_inputs]). */
static void
add_vector_input (InkModel *m, int64_t n_inputs)
{
  InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &n_inputs);
  InkError err;

  ink_assert_ok (ink_model_add_input (m, "x", &t, "", &err), &err);
}

/* A regressor with input x[n_inputs] and output "y" (a double for one
 * dimension, else a multi-array). */
static InkModel *
new_regressor (size_t n_dims, InkTreeTransform transform, int64_t n_inputs)
{
  InkModel *m = ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_REGRESSOR, n_dims, transform);
  int64_t shape = (int64_t) n_dims;
  InkFeatureType t = n_dims == 1 ? ink_feature_type_double ()
                                 : ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &shape);
  InkError err;

  g_assert_nonnull (m);
  add_vector_input (m, n_inputs);
  ink_assert_ok (ink_model_add_output (m, "y", &t, "", &err), &err);
  return m;
}

/* A classifier with input x[n_inputs], outputs "label" and "probs". */
static InkModel *
new_classifier (size_t n_dims, InkTreeTransform transform, int64_t n_inputs, bool int_labels)
{
  InkModel *m = ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_CLASSIFIER, n_dims, transform);
  InkFeatureType label = int_labels ? ink_feature_type_int64 () : ink_feature_type_string ();
  InkFeatureType probs = ink_feature_type_dictionary (int_labels ? INK_KEY_INT64 : INK_KEY_STRING);
  InkError err;

  g_assert_nonnull (m);
  add_vector_input (m, n_inputs);
  ink_assert_ok (ink_model_add_output (m, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "probs", &probs, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "probs"), &err);
  return m;
}

static void
finish (InkModel *m)
{
  InkError err;

  ink_assert_ok (ink_model_finish (m, &err), &err);
}

static InkFeatures *
predict (const InkModel *m, const double *x, size_t n)
{
  int64_t shape = (int64_t) n;
  InkFeatures *in = ink_features_new ();
  InkFeatures *out = NULL;
  InkError err;

  ink_assert_ok (
    ink_features_set (in, "x", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &shape, x)), &err);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  ink_features_free (in);
  return out;
}

static double
predict_double (const InkModel *m, const double *x, size_t n)
{
  InkFeatures *out = predict (m, x, n);
  const InkValue *y = ink_features_get (out, "y");
  double v;

  g_assert_nonnull (y);
  g_assert_cmpint (ink_value_get_type (y), ==, INK_VALUE_DOUBLE);
  v = ink_value_get_double (y);
  ink_features_free (out);
  return v;
}

static double
sigmoid (double v)
{
  return 1.0 / (1.0 + exp (-v));
}

/* Checks the label and the probabilities of a string-label classifier. */
static void
assert_string_class (const InkFeatures *out, const char *label, const char *const *labels,
                     const double *probs, size_t n)
{
  const InkValue *l = ink_features_get (out, "label");
  const InkValue *d = ink_features_get (out, "probs");

  g_assert_nonnull (l);
  g_assert_cmpstr (ink_value_get_string (l), ==, label);
  g_assert_nonnull (d);
  g_assert_cmpuint (ink_value_dictionary_count (d), ==, n);
  for (size_t i = 0; i < n; i++) {
    double p = -1;

    g_assert_true (ink_value_dictionary_lookup_string (d, labels[i], &p));
    g_assert_cmpfloat_with_epsilon (p, probs[i], TOL);
  }
}

/* ---- Branch modes ---- */

/* One tree: root 5 tests x[1] against 2.0; true leaf 7 adds +1, false leaf
 * 3 adds -1. Node ids are not in order, and the root is not node 0. */
static InkModel *
single_split (InkTreeNodeBehavior mode, bool missing_true)
{
  InkModel *m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);

  add_leaf (m, 0, 3, 0, -1.0);
  add_node (m, branch (0, 5, mode, 1, 2.0, 7, 3, missing_true));
  add_leaf (m, 0, 7, 0, +1.0);
  finish (m);
  return m;
}

static void
test_branch_modes (void)
{
  /* Worked by hand: whether x goes to the true child, for x just below,
   * at and just above the threshold 2.0. */
  static const struct {
    InkTreeNodeBehavior mode;
    bool below, at, above;
  } cases[] = {
    {INK_TREE_BRANCH_LE, true, true, false},  {INK_TREE_BRANCH_LT, true, false, false},
    {INK_TREE_BRANCH_GE, false, true, true},  {INK_TREE_BRANCH_GT, false, false, true},
    {INK_TREE_BRANCH_EQ, false, true, false}, {INK_TREE_BRANCH_NE, true, false, true},
  };
  double below = nextafter (2.0, 0.0), above = nextafter (2.0, 3.0);

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    InkModel *m = single_split (cases[i].mode, false);
    double x_below[] = {100, below}, x_at[] = {100, 2.0}, x_above[] = {100, above};
    double x_far[] = {2.0, -50}; /* feature 0 is not the one tested */

    g_assert_cmpfloat (predict_double (m, x_below, 2), ==, cases[i].below ? 1.0 : -1.0);
    g_assert_cmpfloat (predict_double (m, x_at, 2), ==, cases[i].at ? 1.0 : -1.0);
    g_assert_cmpfloat (predict_double (m, x_above, 2), ==, cases[i].above ? 1.0 : -1.0);
    g_assert_cmpfloat (predict_double (m, x_far, 2), ==, cases[i].below ? 1.0 : -1.0);
    ink_model_free (m);
  }
}

static void
test_missing_values (void)
{
  static const InkTreeNodeBehavior modes[] = {
    INK_TREE_BRANCH_LE, INK_TREE_BRANCH_LT, INK_TREE_BRANCH_GE,
    INK_TREE_BRANCH_GT, INK_TREE_BRANCH_EQ, INK_TREE_BRANCH_NE,
  };
  double x[] = {0, NAN};

  /* NaN follows missing_goes_true whatever the comparison would say
   * (NaN != 2 is true in C, NaN <= 2 is false). */
  for (size_t i = 0; i < G_N_ELEMENTS (modes); i++) {
    InkModel *yes = single_split (modes[i], true);
    InkModel *no = single_split (modes[i], false);

    g_assert_cmpfloat (predict_double (yes, x, 2), ==, 1.0);
    g_assert_cmpfloat (predict_double (no, x, 2), ==, -1.0);
    ink_model_free (yes);
    ink_model_free (no);
  }
}

/* ---- Sums, base prediction, transforms ---- */

/* Two dimensions, three inputs, two trees (ids 4 and 9):
 *   tree 4: x[0] <= 1 ? (x[2] > 0 ? leaf{0:+1, 1:+2} : leaf{0:-1}) : leaf{1:+0.5}
 *   tree 9: x[1] == 3 ? leaf{0:+10} : leaf{0:+0.25, 1:-0.75}
 * with the nodes added in mixed order. */
static void
add_two_trees (InkModel *m)
{
  InkTreeEvaluation both[] = {{0, 1.0}, {1, 2.0}};
  InkTreeEvaluation mixed[] = {{0, 0.25}, {1, -0.75}};

  add_node (m, leaf (9, 2, mixed, 2));
  add_node (m, branch (4, 1, INK_TREE_BRANCH_GT, 2, 0.0, 2, 3, false));
  add_leaf (m, 4, 3, 0, -1.0);
  add_node (m, branch (9, 0, INK_TREE_BRANCH_EQ, 1, 3.0, 1, 2, false));
  add_node (m, branch (4, 0, INK_TREE_BRANCH_LE, 0, 1.0, 1, 4, false));
  add_leaf (m, 9, 1, 0, 10.0);
  add_node (m, leaf (4, 2, both, 2));
  add_leaf (m, 4, 4, 1, 0.5);
}

/* Raw sums (before any transform and base) for the inputs below, by hand. */
static const double two_tree_x[][3] = {
  {0, 3, 1},  /* tree 4: leaf 2 {+1, +2}; tree 9: leaf 1 {+10} */
  {0, 0, -1}, /* tree 4: leaf 3 {-1};     tree 9: leaf 2 {+0.25, -0.75} */
  {5, 3, 1},  /* tree 4: leaf 4 {0, +0.5}; tree 9: leaf 1 {+10} */
};
static const double two_tree_sum[][2] = {
  {11, 2},
  {-0.75, -0.75},
  {10, 0.5},
};

static void
assert_vector_output (const InkFeatures *out, const double *want, size_t n)
{
  const InkValue *y = ink_features_get (out, "y");

  g_assert_nonnull (y);
  g_assert_cmpint (ink_value_get_type (y), ==, INK_VALUE_MULTIARRAY);
  g_assert_cmpint (ink_value_array_type (y), ==, INK_ARRAY_FLOAT64);
  g_assert_cmpuint (ink_value_array_rank (y), ==, 1);
  g_assert_cmpint (ink_value_array_shape (y)[0], ==, (int64_t) n);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (ink_value_array_get (y, i), want[i], TOL);
}

static void
test_sum_and_base (void)
{
  double base[] = {0.5, -1.0};
  InkModel *plain = new_regressor (2, INK_TREE_NO_TRANSFORM, 3);
  InkModel *based = new_regressor (2, INK_TREE_NO_TRANSFORM, 3);

  add_two_trees (plain);
  add_two_trees (based);
  g_assert_cmpint (ink_tree_ensemble_set_base_prediction (based, base, 2), ==, INK_OK);
  finish (plain);
  finish (based);
  for (size_t i = 0; i < G_N_ELEMENTS (two_tree_x); i++) {
    double with_base[] = {two_tree_sum[i][0] + 0.5, two_tree_sum[i][1] - 1.0};
    InkFeatures *out = predict (plain, two_tree_x[i], 3);

    assert_vector_output (out, two_tree_sum[i], 2);
    ink_features_free (out);
    out = predict (based, two_tree_x[i], 3);
    assert_vector_output (out, with_base, 2);
    ink_features_free (out);
  }
  ink_model_free (plain);
  ink_model_free (based);
}

static void
test_transforms (void)
{
  InkModel *softmax = new_regressor (2, INK_TREE_SOFTMAX, 3);
  InkModel *logistic = new_regressor (2, INK_TREE_LOGISTIC, 3);
  static const char *const labels[] = {"ref", "a", "b"};
  /* By hand from the sums: e^11 and e^10 beat 1; 1 beats 2 e^-0.75. */
  static const char *const best[] = {"a", "ref", "a"};
  InkModel *zero_ref = new_classifier (2, INK_TREE_SOFTMAX_ZERO_CLASS_REFERENCE, 3, false);

  add_two_trees (softmax);
  add_two_trees (logistic);
  add_two_trees (zero_ref);
  g_assert_cmpint (ink_model_set_class_labels_string (zero_ref, labels, 3), ==, INK_OK);
  finish (softmax);
  finish (logistic);
  finish (zero_ref);
  for (size_t i = 0; i < G_N_ELEMENTS (two_tree_x); i++) {
    double a = two_tree_sum[i][0], b = two_tree_sum[i][1];
    double sm[] = {exp (a) / (exp (a) + exp (b)), exp (b) / (exp (a) + exp (b))};
    double lg[] = {sigmoid (a), sigmoid (b)};
    double denom = 1 + exp (a) + exp (b);
    double zr[] = {1 / denom, exp (a) / denom, exp (b) / denom};
    InkFeatures *out;

    out = predict (softmax, two_tree_x[i], 3);
    assert_vector_output (out, sm, 2);
    ink_features_free (out);
    out = predict (logistic, two_tree_x[i], 3);
    assert_vector_output (out, lg, 2);
    ink_features_free (out);
    out = predict (zero_ref, two_tree_x[i], 3);
    assert_string_class (out, best[i], labels, zr, 3);
    ink_features_free (out);
  }
  ink_model_free (softmax);
  ink_model_free (logistic);
  ink_model_free (zero_ref);
}

/* ---- Classifiers ---- */

/* Like a scikit-learn random forest: one dimension, no transform, each
 * tree adds its share of the probability of the second class. */
static void
test_binary_classifier (void)
{
  static const char *const labels[] = {"Dismissed", "Purchased"};
  InkModel *forest = new_classifier (1, INK_TREE_NO_TRANSFORM, 2, false);
  InkModel *boosted = new_classifier (1, INK_TREE_LOGISTIC, 2, false);
  double base = -0.5;

  for (uint64_t t = 0; t < 2; t++) {
    InkModel *m = t == 0 ? forest : boosted;

    for (uint64_t tree = 0; tree < 2; tree++) {
      add_node (m, branch (tree, 0, INK_TREE_BRANCH_LT, tree, 10.0, 1, 2, false));
      add_leaf (m, tree, 1, 0, 0.1 + 0.2 * (double) tree); /* 0.1, 0.3 */
      add_leaf (m, tree, 2, 0, 0.4);
    }
    g_assert_cmpint (ink_model_set_class_labels_string (m, labels, 2), ==, INK_OK);
  }
  g_assert_cmpint (ink_tree_ensemble_set_base_prediction (boosted, &base, 1), ==, INK_OK);
  finish (forest);
  finish (boosted);
  {
    double x1[] = {1, 1};   /* 0.1 + 0.3 = 0.4 */
    double x2[] = {20, 20}; /* 0.4 + 0.4 = 0.8 */
    double p_lo[] = {0.6, 0.4}, p_hi[] = {0.2, 0.8};
    double s1 = sigmoid (-0.5 + 0.4), s2 = sigmoid (-0.5 + 0.8);
    double b_lo[] = {1 - s1, s1}, b_hi[] = {1 - s2, s2};
    InkFeatures *out;

    out = predict (forest, x1, 2);
    assert_string_class (out, "Dismissed", labels, p_lo, 2);
    ink_features_free (out);
    out = predict (forest, x2, 2);
    assert_string_class (out, "Purchased", labels, p_hi, 2);
    ink_features_free (out);
    out = predict (boosted, x1, 2);
    assert_string_class (out, "Dismissed", labels, b_lo, 2);
    ink_features_free (out);
    out = predict (boosted, x2, 2);
    assert_string_class (out, "Purchased", labels, b_hi, 2);
    ink_features_free (out);
  }
  ink_model_free (forest);
  ink_model_free (boosted);
}

/* Three int64 classes scored by one tree per class, softmax. */
static void
test_int64_labels (void)
{
  static const int64_t labels[] = {7, -3, 42};
  InkModel *m = new_classifier (3, INK_TREE_SOFTMAX, 1, true);
  double x[] = {0.5};
  double e = exp (1.0), denom = e + 1 + exp (2.0);
  double want[] = {e / denom, 1 / denom, exp (2.0) / denom};
  InkFeatures *out;
  const InkValue *d;

  add_leaf (m, 0, 0, 0, 1.0);
  add_leaf (m, 1, 0, 1, 0.0);
  add_node (m, branch (2, 0, INK_TREE_BRANCH_GE, 0, 0.5, 1, 2, false));
  add_leaf (m, 2, 1, 2, 2.0);
  add_leaf (m, 2, 2, 2, -2.0);
  g_assert_cmpint (ink_model_set_class_labels_int64 (m, labels, 3), ==, INK_OK);
  finish (m);
  out = predict (m, x, 1);
  g_assert_cmpint (ink_value_get_type (ink_features_get (out, "label")), ==, INK_VALUE_INT64);
  g_assert_cmpint (ink_value_get_int64 (ink_features_get (out, "label")), ==, 42);
  d = ink_features_get (out, "probs");
  g_assert_cmpint (ink_value_dictionary_key_type (d), ==, INK_KEY_INT64);
  for (size_t i = 0; i < 3; i++) {
    double p = -1;

    g_assert_true (ink_value_dictionary_lookup_int64 (d, labels[i], &p));
    g_assert_cmpfloat_with_epsilon (p, want[i], TOL);
  }
  ink_features_free (out);
  ink_model_free (m);
}

static void
test_ties (void)
{
  static const char *const labels[] = {"a", "b", "c"};
  InkModel *m = new_classifier (3, INK_TREE_NO_TRANSFORM, 1, false);
  InkTreeEvaluation tie_bc[] = {{0, 0.25}, {1, 0.5}, {2, 0.5}};
  InkTreeEvaluation all[] = {{0, 0.5}, {1, 0.5}, {2, 0.5}};
  double x_bc[] = {0}, x_all[] = {1};
  double p_bc[] = {0.25, 0.5, 0.5}, p_all[] = {0.5, 0.5, 0.5};
  InkFeatures *out;

  add_node (m, branch (0, 0, INK_TREE_BRANCH_EQ, 0, 0.0, 1, 2, false));
  add_node (m, leaf (0, 1, tie_bc, 3));
  add_node (m, leaf (0, 2, all, 3));
  g_assert_cmpint (ink_model_set_class_labels_string (m, labels, 3), ==, INK_OK);
  finish (m);
  out = predict (m, x_bc, 1);
  assert_string_class (out, "b", labels, p_bc, 3);
  ink_features_free (out);
  out = predict (m, x_all, 1);
  assert_string_class (out, "a", labels, p_all, 3);
  ink_features_free (out);
  ink_model_free (m);
}

/* With an empty predicted feature name the label goes to the first string
 * output, and no probabilities are written without a probabilities name. */
static void
test_default_label_output (void)
{
  static const char *const labels[] = {"no", "yes"};
  InkModel *m = ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_CLASSIFIER, 1, INK_TREE_LOGISTIC);
  InkFeatureType d = ink_feature_type_double (), s = ink_feature_type_string ();
  InkFeatures *in = ink_features_new (), *out = NULL;
  InkError err;

  ink_assert_ok (ink_model_add_input (m, "a", &d, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "answer", &s, "", &err), &err);
  add_leaf (m, 0, 0, 0, 3.0);
  g_assert_cmpint (ink_model_set_class_labels_string (m, labels, 2), ==, INK_OK);
  finish (m);
  ink_assert_ok (ink_features_set_double (in, "a", 1), &err);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  g_assert_cmpstr (ink_value_get_string (ink_features_get (out, "answer")), ==, "yes");
  g_assert_cmpuint (ink_features_count (out), ==, 1);
  ink_features_free (in);
  ink_features_free (out);
  ink_model_free (m);
}

/* ---- Regressors ---- */

static void
test_regressor_dimensions (void)
{
  int64_t one = 1;
  InkFeatureType arr1 = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &one);
  InkModel *scalar = new_regressor (1, INK_TREE_NO_TRANSFORM, 1);
  InkModel *as_array =
    ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_REGRESSOR, 1, INK_TREE_NO_TRANSFORM);
  InkModel *vec = new_regressor (3, INK_TREE_NO_TRANSFORM, 1);
  InkTreeEvaluation evals[] = {{2, 1.5}, {0, -2}};
  double x[] = {4}, want[] = {-2 + 0.5, 0.5, 1.5 + 0.5}, base3[] = {0.5, 0.5, 0.5};
  InkFeatures *out;
  InkError err;

  add_leaf (scalar, 0, 0, 0, 2.5);
  add_leaf (scalar, 1, 0, 0, 0.25);
  finish (scalar);
  g_assert_cmpfloat (predict_double (scalar, x, 1), ==, 2.75);

  add_vector_input (as_array, 1);
  ink_assert_ok (ink_model_add_output (as_array, "y", &arr1, "", &err), &err);
  add_leaf (as_array, 0, 0, 0, 2.5);
  finish (as_array);
  out = predict (as_array, x, 1);
  assert_vector_output (out, (double[]){2.5}, 1);
  ink_features_free (out);

  add_node (vec, leaf (0, 0, evals, 2));
  g_assert_cmpint (ink_tree_ensemble_set_base_prediction (vec, base3, 3), ==, INK_OK);
  finish (vec);
  out = predict (vec, x, 1);
  assert_vector_output (out, want, 3);
  ink_features_free (out);

  ink_model_free (scalar);
  ink_model_free (as_array);
  ink_model_free (vec);
}

/* Several inputs are read as one vector, in declaration order. */
static void
test_several_inputs (void)
{
  InkModel *m = ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_REGRESSOR, 1, INK_TREE_NO_TRANSFORM);
  InkFeatureType d = ink_feature_type_double (), i64 = ink_feature_type_int64 ();
  int64_t two = 2;
  InkFeatureType arr = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, &two);
  InkFeatures *in = ink_features_new (), *out = NULL;
  float v[] = {7, 8};
  InkError err;

  ink_assert_ok (ink_model_add_input (m, "a", &d, "", &err), &err);
  ink_assert_ok (ink_model_add_input (m, "v", &arr, "", &err), &err);
  ink_assert_ok (ink_model_add_input (m, "n", &i64, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "y", &d, "", &err), &err);
  /* x = [a, v0, v1, n]: the root tests x[3] (n) == 5, then x[2] (v1) > 7.5. */
  add_node (m, branch (0, 0, INK_TREE_BRANCH_EQ, 3, 5, 1, 2, false));
  add_node (m, branch (0, 1, INK_TREE_BRANCH_GT, 2, 7.5, 3, 2, false));
  add_leaf (m, 0, 2, 0, -1);
  add_leaf (m, 0, 3, 0, 1);
  finish (m);
  ink_assert_ok (ink_features_set_double (in, "a", 0), &err);
  ink_assert_ok (ink_features_set_int64 (in, "n", 5), &err);
  ink_assert_ok (ink_features_set (in, "v", ink_test_array (1, &two, v)), &err);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  g_assert_cmpfloat (ink_value_get_double (ink_features_get (out, "y")), ==, 1);
  ink_features_free (out);
  ink_assert_ok (ink_features_set_int64 (in, "n", 4), &err);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  g_assert_cmpfloat (ink_value_get_double (ink_features_get (out, "y")), ==, -1);
  ink_features_free (out);
  ink_features_free (in);
  ink_model_free (m);
}

/* ---- Invalid models ---- */

static void
assert_finish_fails (InkModel *m, InkStatus want, const char *fragment)
{
  InkError err;

  g_assert_cmpint (ink_model_finish (m, &err), ==, want);
  g_assert_cmpint (err.status, ==, want);
  if (strstr (err.message, fragment) == NULL)
    g_error ("message \"%s\" does not mention \"%s\"", err.message, fragment);
  ink_model_free (m);
}

static void
test_invalid_models (void)
{
  static const char *const labels[] = {"a", "b", "c"};
  InkModel *m;
  double base[] = {1, 2};

  /* A child that does not exist (node 2 is in another tree). */
  m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);
  add_node (m, branch (0, 0, INK_TREE_BRANCH_LE, 0, 1, 1, 2, false));
  add_leaf (m, 0, 1, 0, 1);
  add_leaf (m, 1, 2, 0, 1);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "false child 2 does not exist");

  /* A cycle below the root: 0 -> 1 -> 3 -> 1. */
  m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);
  add_node (m, branch (0, 0, INK_TREE_BRANCH_LE, 0, 1, 1, 2, false));
  add_node (m, branch (0, 1, INK_TREE_BRANCH_LE, 1, 1, 3, 2, false));
  add_node (m, branch (0, 3, INK_TREE_BRANCH_LE, 1, 1, 1, 2, false));
  add_leaf (m, 0, 2, 0, 1);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "cycle");

  /* A cycle through every node leaves no root. */
  m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);
  add_node (m, branch (0, 0, INK_TREE_BRANCH_LE, 0, 1, 1, 1, false));
  add_node (m, branch (0, 1, INK_TREE_BRANCH_LE, 0, 1, 0, 0, false));
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "0 root nodes");

  /* A node pointing at itself. */
  m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);
  add_node (m, branch (0, 0, INK_TREE_BRANCH_LE, 0, 1, 1, 2, false));
  add_node (m, branch (0, 1, INK_TREE_BRANCH_LE, 0, 1, 1, 2, false));
  add_leaf (m, 0, 2, 0, 1);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "cycle");

  /* Two roots in one tree. */
  m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);
  add_leaf (m, 0, 0, 0, 1);
  add_leaf (m, 0, 1, 0, 1);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "2 root nodes");

  /* The same node id twice. */
  m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);
  add_leaf (m, 3, 4, 0, 1);
  add_leaf (m, 3, 4, 0, 2);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "two nodes with id 4");

  /* Feature index 2 of a 2-value input. */
  m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);
  add_node (m, branch (0, 0, INK_TREE_BRANCH_LE, 2, 1, 1, 2, false));
  add_leaf (m, 0, 1, 0, 1);
  add_leaf (m, 0, 2, 0, 1);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "feature index 2");

  /* Evaluation index 1 with one dimension. */
  m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);
  add_leaf (m, 0, 0, 1, 1);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "evaluation index 1");

  /* A base prediction of the wrong length. */
  m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);
  add_leaf (m, 0, 0, 0, 1);
  g_assert_cmpint (ink_tree_ensemble_set_base_prediction (m, base, 2), ==, INK_OK);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "base prediction");

  /* Two dimensions for three labels. */
  m = new_classifier (2, INK_TREE_SOFTMAX, 2, false);
  add_leaf (m, 0, 0, 0, 1);
  g_assert_cmpint (ink_model_set_class_labels_string (m, labels, 3), ==, INK_OK);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "2 class scores for 3 class labels");

  /* A classifier without labels. */
  m = new_classifier (1, INK_TREE_LOGISTIC, 2, false);
  add_leaf (m, 0, 0, 0, 1);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "class labels");

  /* String labels for an int64 label output. */
  m = new_classifier (3, INK_TREE_SOFTMAX, 2, true);
  add_leaf (m, 0, 0, 0, 1);
  g_assert_cmpint (ink_model_set_class_labels_string (m, labels, 3), ==, INK_OK);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "class labels are String");

  /* No prediction dimensions. */
  m = new_regressor (0, INK_TREE_NO_TRANSFORM, 2);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "0 prediction dimensions");

  /* A non-finite threshold. */
  m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);
  add_node (m, branch (0, 0, INK_TREE_BRANCH_LE, 0, NAN, 1, 2, false));
  add_leaf (m, 0, 1, 0, 1);
  add_leaf (m, 0, 2, 0, 1);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "not finite");

  /* A regressor with a zero-class reference gives one value too many. */
  m = new_regressor (1, INK_TREE_SOFTMAX_ZERO_CLASS_REFERENCE, 2);
  add_leaf (m, 0, 0, 0, 1);
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "classifiers");

  /* A string input cannot be read as numbers. */
  {
    InkFeatureType s = ink_feature_type_string (), d = ink_feature_type_double ();
    InkError err;

    m = ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_REGRESSOR, 1, INK_TREE_NO_TRANSFORM);
    ink_assert_ok (ink_model_add_input (m, "s", &s, "", &err), &err);
    ink_assert_ok (ink_model_add_output (m, "y", &d, "", &err), &err);
    add_leaf (m, 0, 0, 0, 1);
    assert_finish_fails (m, INK_ERR_INVALID_MODEL, "input \"s\"");
  }
}

static void
test_builder_misuse (void)
{
  InkModel *m = new_regressor (1, INK_TREE_NO_TRANSFORM, 1);
  InkTreeNode bad = leaf (0, 0, NULL, 1);
  InkError err;

  g_assert_null (ink_tree_ensemble_new (INK_MODEL_GLM_REGRESSOR, 1, INK_TREE_NO_TRANSFORM));
  g_assert_cmpint (ink_tree_ensemble_add_node (m, &bad, &err), ==, INK_ERR_INVALID_ARGUMENT);
  bad = leaf (0, 0, NULL, 0);
  bad.behavior = (InkTreeNodeBehavior) 7;
  g_assert_cmpint (ink_tree_ensemble_add_node (m, &bad, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_tree_ensemble_set_base_prediction (m, NULL, 1), ==,
                   INK_ERR_INVALID_ARGUMENT);
  add_leaf (m, 0, 0, 0, 1);
  finish (m);
  g_assert_cmpint (ink_tree_ensemble_add_node (m, &bad, &err), ==, INK_ERR_INVALID_ARGUMENT);
  ink_model_free (m);
}

/* ---- Prediction errors ---- */

static void
test_predict_errors (void)
{
  InkModel *m = new_regressor (1, INK_TREE_NO_TRANSFORM, 2);
  InkFeatures *in = ink_features_new (), *out = NULL;
  int64_t three = 3;
  InkError err;

  add_leaf (m, 0, 0, 0, 1);
  finish (m);
  g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, INK_ERR_MISSING_INPUT);
  g_assert_nonnull (strstr (err.message, "x"));
  g_assert_null (out);
  ink_assert_ok (ink_features_set_string (in, "x", "two"), &err);
  g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, INK_ERR_TYPE_MISMATCH);
  g_assert_null (out);
  ink_assert_ok (
    ink_features_set (in, "x", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &three, NULL)),
    &err);
  g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, INK_ERR_SHAPE_MISMATCH);
  g_assert_null (out);
  ink_features_free (in);
  ink_model_free (m);
}

/* An input of any shape: the feature indices are checked at predict. */
static void
test_flexible_input (void)
{
  InkModel *m = ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_REGRESSOR, 1, INK_TREE_NO_TRANSFORM);
  InkFeatureType any = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 0, NULL);
  InkFeatureType d = ink_feature_type_double ();
  InkFeatures *in = ink_features_new (), *out = NULL;
  int64_t shape2 = 2, shape4 = 4;
  double x4[] = {0, 0, 0, 9};
  InkError err;

  ink_assert_ok (ink_model_add_input (m, "x", &any, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "y", &d, "", &err), &err);
  add_node (m, branch (0, 0, INK_TREE_BRANCH_GT, 3, 5, 1, 2, false));
  add_leaf (m, 0, 1, 0, 1);
  add_leaf (m, 0, 2, 0, -1);
  finish (m);
  ink_assert_ok (
    ink_features_set (in, "x", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &shape4, x4)), &err);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  g_assert_cmpfloat (ink_value_get_double (ink_features_get (out, "y")), ==, 1);
  ink_features_free (out);
  out = NULL;
  ink_assert_ok (
    ink_features_set (in, "x", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &shape2, x4)), &err);
  g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, INK_ERR_SHAPE_MISMATCH);
  g_assert_null (out);
  ink_features_free (in);
  ink_model_free (m);
}

/* ---- Copy and JSON ---- */

static InkModel *
json_round_trip (const InkModel *m)
{
  InkError err;
  cJSON *obj = ink_model_to_json (m, NULL, &err);
  char *text;
  cJSON *parsed;
  InkModel *back;

  if (obj == NULL)
    g_error ("ink_model_to_json: %s", err.message);
  text = cJSON_PrintUnformatted (obj);
  g_assert_nonnull (text);
  parsed = cJSON_Parse (text);
  g_assert_nonnull (parsed);
  back = ink_model_from_json (parsed, NULL, &err);
  if (back == NULL)
    g_error ("ink_model_from_json: %s", err.message);
  finish (back);
  cJSON_Delete (obj);
  cJSON_Delete (parsed);
  cJSON_free (text);
  return back;
}

static void
assert_same_predictions (const InkModel *a, const InkModel *b, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);

  for (int i = 0; i < 200; i++) {
    double x[3];
    InkFeatures *pa, *pb;
    const InkValue *ya, *yb;

    for (size_t k = 0; k < 3; k++)
      x[k] = g_rand_int_range (r, 0, 4) == 0 ? NAN : g_rand_double_range (r, -2, 6);
    pa = predict (a, x, 3);
    pb = predict (b, x, 3);
    ya = ink_features_get (pa, "y");
    yb = ink_features_get (pb, "y");
    for (size_t k = 0; k < ink_value_array_count (ya); k++)
      g_assert_cmpfloat (ink_value_array_get (ya, k), ==, ink_value_array_get (yb, k));
    ink_features_free (pa);
    ink_features_free (pb);
  }
  g_rand_free (r);
}

static void
test_json_round_trip (void)
{
  /* Values that need all 17 digits to survive text. */
  double base[] = {0.1, 1.0 / 3.0};
  InkTreeEvaluation odd[] = {{0, 2.0 / 3.0}, {1, 1e-300}};
  InkModel *m = new_regressor (2, INK_TREE_LOGISTIC, 3);
  InkModel *back, *copy;
  InkError err;
  static const char *const labels[] = {"x", "y"};
  InkModel *c = new_classifier (1, INK_TREE_LOGISTIC, 3, false);
  InkModel *c_back;
  InkFeatures *out;
  double x[] = {0, 3, 1};

  add_two_trees (m);
  add_node (m, branch (12, 0, INK_TREE_BRANCH_NE, 2, 0.7, 1, 2, true));
  add_node (m, leaf (12, 1, odd, 2));
  add_leaf (m, 12, 2, 1, -0.1);
  g_assert_cmpint (ink_tree_ensemble_set_base_prediction (m, base, 2), ==, INK_OK);
  finish (m);
  back = json_round_trip (m);
  assert_same_predictions (m, back, 7);
  copy = ink_model_copy (m, &err);
  g_assert_nonnull (copy);
  assert_same_predictions (m, copy, 8);

  add_leaf (c, 0, 0, 0, 0.3);
  g_assert_cmpint (ink_model_set_class_labels_string (c, labels, 2), ==, INK_OK);
  finish (c);
  c_back = json_round_trip (c);
  out = predict (c_back, x, 3);
  assert_string_class (out, "y", labels, (double[]){1 - sigmoid (0.3), sigmoid (0.3)}, 2);
  ink_features_free (out);

  ink_model_free (m);
  ink_model_free (back);
  ink_model_free (copy);
  ink_model_free (c);
  ink_model_free (c_back);
}

/* Malformed bodies fail with a format error, never a crash. */
static void
test_json_malformed (void)
{
  static const char *const bodies[] = {
    "{}",
    "{\"treeEnsemble\": 3}",
    "{\"treeEnsemble\": {\"numPredictionDimensions\": 1, \"postEvaluationTransform\": "
    "\"NoTransform\"}}",
    "{\"treeEnsemble\": {\"numPredictionDimensions\": 0, \"postEvaluationTransform\": "
    "\"NoTransform\", \"nodes\": []}}",
    "{\"treeEnsemble\": {\"numPredictionDimensions\": 1.5, \"postEvaluationTransform\": "
    "\"NoTransform\", \"nodes\": []}}",
    "{\"treeEnsemble\": {\"numPredictionDimensions\": 1, \"postEvaluationTransform\": "
    "\"Sideways\", \"nodes\": []}}",
    "{\"treeEnsemble\": {\"numPredictionDimensions\": 1, \"postEvaluationTransform\": "
    "\"NoTransform\", \"nodes\": [7]}}",
    "{\"treeEnsemble\": {\"numPredictionDimensions\": 1, \"postEvaluationTransform\": "
    "\"NoTransform\", \"nodes\": [{\"treeId\": -1, \"nodeId\": 0, \"nodeBehavior\": "
    "\"LeafNode\"}]}}",
    "{\"treeEnsemble\": {\"numPredictionDimensions\": 1, \"postEvaluationTransform\": "
    "\"NoTransform\", \"nodes\": [{\"treeId\": 0, \"nodeId\": 0, \"nodeBehavior\": "
    "\"BranchOnValueEqual\", \"branchFeatureIndex\": 0}]}}",
    "{\"treeEnsemble\": {\"numPredictionDimensions\": 1, \"postEvaluationTransform\": "
    "\"NoTransform\", \"nodes\": [{\"treeId\": 0, \"nodeId\": 0, \"nodeBehavior\": "
    "\"LeafNode\", \"evaluationInfo\": [{\"evaluationIndex\": \"0\"}]}]}}",
    "{\"treeEnsemble\": {\"numPredictionDimensions\": 1, \"postEvaluationTransform\": "
    "\"NoTransform\", \"basePredictionValue\": [1, null], \"nodes\": []}}",
  };

  for (size_t i = 0; i < G_N_ELEMENTS (bodies); i++) {
    InkModel *m = new_regressor (1, INK_TREE_NO_TRANSFORM, 1);
    cJSON *obj = cJSON_Parse (bodies[i]);
    InkError err;

    g_assert_nonnull (obj);
    g_assert_cmpint (ink_tree_ops.from_json (m, obj, NULL, &err), ==, INK_ERR_FORMAT);
    cJSON_Delete (obj);
    ink_model_free (m);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tree/branch-modes", test_branch_modes);
  g_test_add_func ("/tree/missing-values", test_missing_values);
  g_test_add_func ("/tree/sum-and-base", test_sum_and_base);
  g_test_add_func ("/tree/transforms", test_transforms);
  g_test_add_func ("/tree/binary-classifier", test_binary_classifier);
  g_test_add_func ("/tree/int64-labels", test_int64_labels);
  g_test_add_func ("/tree/ties", test_ties);
  g_test_add_func ("/tree/default-label-output", test_default_label_output);
  g_test_add_func ("/tree/regressor-dimensions", test_regressor_dimensions);
  g_test_add_func ("/tree/several-inputs", test_several_inputs);
  g_test_add_func ("/tree/invalid-models", test_invalid_models);
  g_test_add_func ("/tree/builder-misuse", test_builder_misuse);
  g_test_add_func ("/tree/predict-errors", test_predict_errors);
  g_test_add_func ("/tree/flexible-input", test_flexible_input);
  g_test_add_func ("/tree/json-round-trip", test_json_round_trip);
  g_test_add_func ("/tree/json-malformed", test_json_malformed);
  return g_test_run ();
}

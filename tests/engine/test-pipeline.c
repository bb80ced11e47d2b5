/* test-pipeline.c: pipelines of a neural network and a k-NN classifier
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "test-util.h"

enum {
  IN = 4,
  EMB = 3,
  N_EXAMPLES = 30,
  N_CLASSES = 3
};

static const char *const CLASSES[N_CLASSES] = {"circle", "square", "star"};

/* The inner product: features = W x + b. */
static const float W[EMB * IN] = {
  0.5f,   -1.0f, 0.25f, 2.0f, /* row 0 */
  -0.75f, 0.1f,  1.5f,  0.0f, /* row 1 */
  0.3f,   0.3f,  -0.6f, 1.2f, /* row 2 */
};
static const float B[EMB] = {0.1f, -0.2f, 0.05f};

static void
ref_embed (const float *x, float *y)
{
  for (size_t r = 0; r < EMB; r++) {
    double s = B[r];
    for (size_t c = 0; c < IN; c++)
      s += (double) W[r * IN + c] * x[c];
    y[r] = (float) s;
  }
}

static void
assert_message_has (const InkError *err, const char *needle)
{
  if (strstr (err->message, needle) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", err->message, needle);
}

/* ---- Stages ---- */

/* A network turning in_name (float32 [4]) into out_name (float32 [3]). */
static InkModel *
new_embed (const char *in_name, const char *out_name)
{
  InkModel *nn = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  const int64_t in_shape[] = {IN}, out_shape[] = {EMB};
  InkFeatureType x = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, in_shape);
  InkFeatureType y = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, out_shape);
  const char *const inputs[] = {in_name};
  const char *const outputs[] = {out_name};
  InkLayerSpec ip = {
    .name = "ip",
    .kind = INK_LAYER_INNER_PRODUCT,
    .inputs = inputs,
    .n_inputs = 1,
    .outputs = outputs,
    .n_outputs = 1,
    .params.inner_product =
      {.in_channels = IN, .out_channels = EMB, .has_bias = true, .weights = W, .bias = B},
  };
  InkError err;

  g_assert_nonnull (nn);
  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (nn, in_name, &x, "", &err), &err);
  ink_assert_ok (ink_model_add_output (nn, out_name, &y, "", &err), &err);
  ink_assert_ok (ink_nn_add_layer (nn, &ip, &err), &err);
  return nn;
}

/* A k-NN over in_name (float32 [3]); with_examples false leaves it empty
 * and without a default label, so it cannot be finished. */
static InkModel *
new_classifier (const char *in_name, bool with_examples)
{
  InkModel *knn = ink_knn_new (EMB, INK_KNN_INVERSE_DISTANCE, 3, false);
  const int64_t shape[] = {EMB};
  InkFeatureType f = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, shape);
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_STRING);
  float v[N_EXAMPLES * EMB];
  InkError err;

  g_assert_nonnull (knn);
  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (knn, in_name, &f, "", &err), &err);
  ink_assert_ok (ink_model_add_output (knn, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (knn, "labelProbability", &probs, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (knn, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (knn, "labelProbability"), &err);
  ink_test_fill_random (v, N_EXAMPLES * EMB, 7, -3.0f, 3.0f);
  for (size_t i = 0; with_examples && i < N_EXAMPLES; i++)
    ink_assert_ok (ink_knn_add_example_string (knn, v + i * EMB, CLASSES[i % N_CLASSES], &err),
                   &err);
  return knn;
}

/* A pipeline classifier with input x [4] (or any shape) and outputs label
 * and labelProbability; no stages yet. */
static InkModel *
new_pipeline (bool any_shape)
{
  InkModel *p = ink_pipeline_new (INK_MODEL_PIPELINE_CLASSIFIER);
  const int64_t shape[] = {IN};
  InkFeatureType x = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, any_shape ? 0 : 1, shape);
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_STRING);
  InkError err;

  g_assert_nonnull (p);
  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (p, "x", &x, "", &err), &err);
  ink_assert_ok (ink_model_add_output (p, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (p, "labelProbability", &probs, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (p, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (p, "labelProbability"), &err);
  return p;
}

static InkModel *
build_pipeline (void)
{
  InkModel *p = new_pipeline (false);
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_pipeline_add_model (p, "embed", new_embed ("x", "features"), &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "classifier", new_classifier ("features", true), &err),
                 &err);
  ink_assert_ok (ink_model_finish (p, &err), &err);
  return p;
}

static InkFeatures *
predict_x (const InkModel *m, const float *x)
{
  const int64_t shape[] = {IN};
  InkFeatures *in = ink_features_new ();
  InkFeatures *out = NULL;
  InkError err;

  ink_error_clear (&err);
  ink_features_set (in, "x", ink_test_array (1, shape, x));
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  ink_features_free (in);
  return out;
}

static void
assert_same_classification (const InkFeatures *a, const InkFeatures *b)
{
  const InkValue *da = ink_features_get (a, "labelProbability");
  const InkValue *db = ink_features_get (b, "labelProbability");

  g_assert_nonnull (ink_value_get_string (ink_features_get (a, "label")));
  g_assert_cmpstr (ink_value_get_string (ink_features_get (a, "label")), ==,
                   ink_value_get_string (ink_features_get (b, "label")));
  g_assert_cmpuint (ink_value_dictionary_count (da), ==, N_CLASSES);
  g_assert_cmpuint (ink_value_dictionary_count (db), ==, N_CLASSES);
  for (size_t c = 0; c < N_CLASSES; c++) {
    double pa = -1, pb = -2;
    g_assert_true (ink_value_dictionary_lookup_string (da, CLASSES[c], &pa));
    g_assert_true (ink_value_dictionary_lookup_string (db, CLASSES[c], &pb));
    g_assert_cmpfloat (pa, ==, pb);
  }
}

/* ---- Tests ---- */

static void
test_structure (void)
{
  InkModel *p = build_pipeline ();

  g_assert_cmpint (ink_model_get_kind (p), ==, INK_MODEL_PIPELINE_CLASSIFIER);
  g_assert_cmpuint (ink_pipeline_n_models (p), ==, 2);
  g_assert_cmpstr (ink_pipeline_get_name (p, 0), ==, "embed");
  g_assert_cmpstr (ink_pipeline_get_name (p, 1), ==, "classifier");
  g_assert_null (ink_pipeline_get_name (p, 2));
  g_assert_cmpint (ink_model_get_kind (ink_pipeline_get_model (p, 0)), ==,
                   INK_MODEL_NEURAL_NETWORK);
  g_assert_cmpint (ink_model_get_kind (ink_pipeline_get_model (p, 1)), ==,
                   INK_MODEL_KNN_CLASSIFIER);
  g_assert_cmpuint (ink_knn_n_examples (ink_pipeline_get_model (p, 1)), ==, N_EXAMPLES);
  g_assert_null (ink_pipeline_get_model (p, 2));
  /* Not a pipeline. */
  g_assert_cmpuint (ink_pipeline_n_models (ink_pipeline_get_model (p, 1)), ==, 0);
  g_assert_null (ink_pipeline_get_model (ink_pipeline_get_model (p, 1), 0));
  g_assert_null (ink_pipeline_get_name (ink_pipeline_get_model (p, 1), 0));
  g_assert_cmpuint (ink_pipeline_n_models (NULL), ==, 0);
  ink_model_free (p);

  g_assert_null (ink_pipeline_new (INK_MODEL_KNN_CLASSIFIER));
  g_assert_null (ink_pipeline_new (INK_MODEL_NEURAL_NETWORK));
}

static void
test_predicts_as_stages (void)
{
  InkModel *p = build_pipeline ();
  InkModel *embed = ink_pipeline_get_model (p, 0);
  InkModel *classifier = ink_pipeline_get_model (p, 1);
  const int64_t shape[] = {IN};
  GHashTable *labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  InkError err;

  ink_error_clear (&err);
  for (guint32 s = 0; s < 40; s++) {
    float x[IN], want[EMB];
    InkFeatures *in = ink_features_new ();
    InkFeatures *mid = NULL, *by_hand = NULL, *out;
    const InkValue *features;

    ink_test_fill_random (x, IN, 300 + s, -2.0f, 2.0f);
    out = predict_x (p, x);
    /* Only the pipeline's declared outputs come out. */
    g_assert_cmpuint (ink_features_count (out), ==, 2);
    g_assert_null (ink_features_get (out, "features"));

    /* Stage 1 by hand, checked against W x + b. */
    ink_features_set (in, "x", ink_test_array (1, shape, x));
    ink_assert_ok (ink_model_predict (embed, in, &mid, &err), &err);
    features = ink_features_get (mid, "features");
    g_assert_cmpuint (ink_value_array_count (features), ==, EMB);
    ref_embed (x, want);
    for (size_t i = 0; i < EMB; i++)
      g_assert_cmpfloat_with_epsilon (ink_value_array_get (features, i), want[i], 1e-5);
    /* Stage 2 by hand on stage 1's outputs. */
    ink_assert_ok (ink_model_predict (classifier, mid, &by_hand, &err), &err);
    assert_same_classification (out, by_hand);
    g_hash_table_add (labels, g_strdup (ink_value_get_string (ink_features_get (out, "label"))));
    ink_features_free (in);
    ink_features_free (mid);
    ink_features_free (by_hand);
    ink_features_free (out);
  }
  /* The queries reach more than one class. */
  g_assert_cmpuint (g_hash_table_size (labels), >=, 2);
  ink_model_free (p);
  g_hash_table_unref (labels);
}

static void
test_batch (void)
{
  InkModel *p = build_pipeline ();
  InkBatch *in = ink_batch_new (), *out = NULL;
  const int64_t shape[] = {IN};
  InkError err;

  for (guint32 s = 0; s < 5; s++) {
    float x[IN];
    InkFeatures *f = ink_features_new ();
    ink_test_fill_random (x, IN, 900 + s, -2.0f, 2.0f);
    ink_features_set (f, "x", ink_test_array (1, shape, x));
    ink_batch_append (in, f);
  }
  ink_assert_ok (ink_model_predict_batch (p, in, &out, &err), &err);
  g_assert_cmpuint (ink_batch_count (out), ==, 5);
  for (size_t i = 0; i < 5; i++) {
    InkFeatures *one = NULL;
    ink_assert_ok (ink_model_predict (p, ink_batch_get (in, i), &one, &err), &err);
    assert_same_classification (ink_batch_get (out, i), one);
    ink_features_free (one);
  }
  ink_batch_free (in);
  ink_batch_free (out);
  ink_model_free (p);
}

static void
test_copy (void)
{
  InkModel *p = build_pipeline ();
  InkFeatures *before[10];
  InkModel *c;
  InkError err;

  ink_error_clear (&err);
  for (guint32 s = 0; s < G_N_ELEMENTS (before); s++) {
    float x[IN];
    ink_test_fill_random (x, IN, 700 + s, -2.0f, 2.0f);
    before[s] = predict_x (p, x);
  }
  c = ink_model_copy (p, &err);
  g_assert_nonnull (c);
  ink_model_free (p);
  g_assert_cmpint (ink_model_get_kind (c), ==, INK_MODEL_PIPELINE_CLASSIFIER);
  g_assert_cmpuint (ink_pipeline_n_models (c), ==, 2);
  g_assert_cmpstr (ink_pipeline_get_name (c, 0), ==, "embed");
  g_assert_cmpstr (ink_pipeline_get_name (c, 1), ==, "classifier");
  for (guint32 s = 0; s < G_N_ELEMENTS (before); s++) {
    float x[IN];
    InkFeatures *after;
    ink_test_fill_random (x, IN, 700 + s, -2.0f, 2.0f);
    after = predict_x (c, x);
    assert_same_classification (before[s], after);
    ink_features_free (after);
    ink_features_free (before[s]);
  }
  ink_model_free (c);
}

static void
test_missing_stage_input (void)
{
  InkModel *p = new_pipeline (false);
  InkError err;

  ink_error_clear (&err);
  /* The network makes "embedding"; the classifier reads "features". */
  ink_assert_ok (ink_pipeline_add_model (p, "embed", new_embed ("x", "embedding"), &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "sorter", new_classifier ("features", true), &err),
                 &err);
  g_assert_cmpint (ink_model_finish (p, &err), ==, INK_ERR_INVALID_MODEL);
  assert_message_has (&err, "'sorter'");
  assert_message_has (&err, "'features'");
  ink_model_free (p);
}

static void
test_stage_order_matters (void)
{
  InkModel *p = new_pipeline (false);
  InkError err;

  ink_error_clear (&err);
  /* The classifier comes first, before anything makes its input. */
  ink_assert_ok (ink_pipeline_add_model (p, "classifier", new_classifier ("features", true), &err),
                 &err);
  ink_assert_ok (ink_pipeline_add_model (p, "embed", new_embed ("x", "features"), &err), &err);
  g_assert_cmpint (ink_model_finish (p, &err), ==, INK_ERR_INVALID_MODEL);
  assert_message_has (&err, "'classifier'");
  assert_message_has (&err, "'features'");
  ink_model_free (p);
}

static void
test_missing_output (void)
{
  InkModel *p = new_pipeline (false);
  InkFeatureType dbl = ink_feature_type_double ();
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_output (p, "score", &dbl, "", &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "embed", new_embed ("x", "features"), &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "classifier", new_classifier ("features", true), &err),
                 &err);
  g_assert_cmpint (ink_model_finish (p, &err), ==, INK_ERR_INVALID_MODEL);
  assert_message_has (&err, "'score'");
  ink_model_free (p);
}

static void
test_intermediate_output (void)
{
  /* A plain pipeline may expose an earlier stage's output. */
  InkModel *p = ink_pipeline_new (INK_MODEL_PIPELINE);
  const int64_t in_shape[] = {IN}, emb_shape[] = {EMB};
  InkFeatureType x = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, in_shape);
  InkFeatureType f = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, emb_shape);
  InkFeatureType label = ink_feature_type_string ();
  const float q[IN] = {1, -1, 0.5f, 2};
  float want[EMB];
  InkFeatures *out;
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (p, "x", &x, "", &err), &err);
  ink_assert_ok (ink_model_add_output (p, "features", &f, "", &err), &err);
  ink_assert_ok (ink_model_add_output (p, "label", &label, "", &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, NULL, new_embed ("x", "features"), &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, NULL, new_classifier ("features", true), &err), &err);
  ink_assert_ok (ink_model_finish (p, &err), &err);
  g_assert_cmpint (ink_model_get_kind (p), ==, INK_MODEL_PIPELINE);
  out = predict_x (p, q);
  g_assert_cmpuint (ink_features_count (out), ==, 2);
  ref_embed (q, want);
  for (size_t i = 0; i < EMB; i++)
    g_assert_cmpfloat_with_epsilon (ink_value_array_get (ink_features_get (out, "features"), i),
                                    want[i], 1e-5);
  g_assert_nonnull (ink_value_get_string (ink_features_get (out, "label")));
  ink_features_free (out);
  ink_model_free (p);
}

static void
test_duplicate_names (void)
{
  InkModel *p = new_pipeline (false);
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_pipeline_add_model (p, "stage", new_embed ("x", "features"), &err), &err);
  /* The rejected stage is freed (ASan reports a leak otherwise). */
  g_assert_cmpint (ink_pipeline_add_model (p, "stage", new_classifier ("features", true), &err), ==,
                   INK_ERR_INVALID_MODEL);
  assert_message_has (&err, "'stage'");
  g_assert_cmpuint (ink_pipeline_n_models (p), ==, 1);
  /* A generated name also clashes with an explicit one. */
  ink_assert_ok (ink_pipeline_add_model (p, "model2", new_classifier ("features", true), &err),
                 &err);
  g_assert_cmpint (ink_pipeline_add_model (p, NULL, new_classifier ("features", true), &err), ==,
                   INK_ERR_INVALID_MODEL);
  assert_message_has (&err, "'model2'");
  g_assert_cmpuint (ink_pipeline_n_models (p), ==, 2);
  ink_model_free (p);
}

static void
test_default_names (void)
{
  InkModel *p = new_pipeline (false);
  InkModel *q = new_pipeline (false);
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_pipeline_add_model (p, NULL, new_embed ("x", "features"), &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, NULL, new_classifier ("features", true), &err), &err);
  g_assert_cmpstr (ink_pipeline_get_name (p, 0), ==, "model0");
  g_assert_cmpstr (ink_pipeline_get_name (p, 1), ==, "model1");
  ink_assert_ok (ink_model_finish (p, &err), &err);
  g_assert_cmpstr (ink_pipeline_get_name (p, 1), ==, "model1");

  /* The generated name follows the stage's position. */
  ink_assert_ok (ink_pipeline_add_model (q, "first", new_embed ("x", "features"), &err), &err);
  ink_assert_ok (ink_pipeline_add_model (q, NULL, new_classifier ("features", true), &err), &err);
  g_assert_cmpstr (ink_pipeline_get_name (q, 0), ==, "first");
  g_assert_cmpstr (ink_pipeline_get_name (q, 1), ==, "model1");
  ink_model_free (p);
  ink_model_free (q);
}

static void
test_stage_error_at_predict (void)
{
  /* The pipeline takes x of any shape; the network needs 4 values. */
  InkModel *p = new_pipeline (true);
  const int64_t five[] = {5};
  InkFeatures *in = ink_features_new ();
  InkFeatures *out = NULL;
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_pipeline_add_model (p, "embed", new_embed ("x", "features"), &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "classifier", new_classifier ("features", true), &err),
                 &err);
  ink_assert_ok (ink_model_finish (p, &err), &err);
  ink_features_set (in, "x", ink_test_array (1, five, NULL));
  g_assert_cmpint (ink_model_predict (p, in, &out, &err), ==, INK_ERR_SHAPE_MISMATCH);
  g_assert_null (out);
  assert_message_has (&err, "'embed'");
  assert_message_has (&err, "x");
  g_assert_true (g_str_has_prefix (err.message, "pipeline stage 'embed'"));
  ink_features_free (in);
  ink_model_free (p);
}

static void
test_stage_error_at_finish (void)
{
  InkModel *p = new_pipeline (false);
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_pipeline_add_model (p, "embed", new_embed ("x", "features"), &err), &err);
  /* No examples and no default label. */
  ink_assert_ok (ink_pipeline_add_model (p, "classifier", new_classifier ("features", false), &err),
                 &err);
  g_assert_cmpint (ink_model_finish (p, &err), ==, INK_ERR_INVALID_MODEL);
  assert_message_has (&err, "'classifier'");
  assert_message_has (&err, "default label");
  ink_model_free (p);
}

static void
test_no_stages (void)
{
  InkModel *p = new_pipeline (false);
  InkError err;

  g_assert_cmpint (ink_model_finish (p, &err), ==, INK_ERR_INVALID_MODEL);
  ink_model_free (p);
}

static void
test_add_after_finish (void)
{
  InkModel *p = build_pipeline ();
  InkError err;

  /* The stage is taken, and freed, also on failure. */
  g_assert_cmpint (ink_pipeline_add_model (p, "late", new_embed ("x", "late"), &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpuint (ink_pipeline_n_models (p), ==, 2);
  g_assert_cmpint (ink_pipeline_add_model (p, "none", NULL, &err), !=, INK_OK);
  g_assert_cmpint (ink_pipeline_add_model (NULL, "x", new_embed ("x", "y"), &err), !=, INK_OK);
  ink_model_free (p);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/pipeline/structure", test_structure);
  g_test_add_func ("/engine/pipeline/predicts-as-stages", test_predicts_as_stages);
  g_test_add_func ("/engine/pipeline/batch", test_batch);
  g_test_add_func ("/engine/pipeline/copy", test_copy);
  g_test_add_func ("/engine/pipeline/intermediate-output", test_intermediate_output);
  g_test_add_func ("/engine/pipeline/names/default", test_default_names);
  g_test_add_func ("/engine/pipeline/names/duplicate", test_duplicate_names);
  g_test_add_func ("/engine/pipeline/error/missing-stage-input", test_missing_stage_input);
  g_test_add_func ("/engine/pipeline/error/stage-order", test_stage_order_matters);
  g_test_add_func ("/engine/pipeline/error/missing-output", test_missing_output);
  g_test_add_func ("/engine/pipeline/error/stage-at-predict", test_stage_error_at_predict);
  g_test_add_func ("/engine/pipeline/error/stage-at-finish", test_stage_error_at_finish);
  g_test_add_func ("/engine/pipeline/error/no-stages", test_no_stages);
  g_test_add_func ("/engine/pipeline/error/add-after-finish", test_add_after_finish);
  return g_test_run ();
}

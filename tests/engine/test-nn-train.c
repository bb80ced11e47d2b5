/* test-nn-train.c: training networks: losses, optimizers, backpropagation, threads
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "ink-coreml.h"
#include "ink-nn-train-private.h"
#include "test-util.h"

/* ---- Losses, against numbers worked by hand ---- */

static void
test_loss_cce (void)
{
  /* z = (1, 2, 3): sum exp z = e + e^2 + e^3 = 30.19287485, log of it
   * 3.40760596; p = (0.09003057, 0.24472847, 0.66524096). */
  const float z[3] = {1, 2, 3};
  const float p[3] = {0.09003057f, 0.24472847f, 0.66524096f};
  float d[3] = {0, 0, 0};
  double loss;

  /* Fused with the softmax: L = log sum exp z - z[2], d = p - onehot. */
  loss = ink_loss_cce_softmax (z, p, 3, 2, d);
  g_assert_cmpfloat_with_epsilon (loss, 0.40760596, 1e-7);
  g_assert_cmpfloat_with_epsilon (d[0], 0.09003057, 1e-7);
  g_assert_cmpfloat_with_epsilon (d[1], 0.24472847, 1e-7);
  g_assert_cmpfloat_with_epsilon (d[2], -0.33475904, 1e-7);
  /* Target 0: 3.40760596 - 1; d adds up onto what is there. */
  loss = ink_loss_cce_softmax (z, p, 3, 0, d);
  g_assert_cmpfloat_with_epsilon (loss, 2.40760596, 1e-7);
  g_assert_cmpfloat_with_epsilon (d[0], 2 * 0.09003057 - 1, 1e-7);
  g_assert_cmpfloat_with_epsilon (d[2], 0.66524096 - 0.33475904, 1e-7);
  /* No d: only the loss. Large logits do not overflow. */
  {
    const float big[2] = {1000, 0};
    const float pb[2] = {1, 0};
    g_assert_cmpfloat_with_epsilon (ink_loss_cce_softmax (big, pb, 2, 1, NULL), 1000.0, 1e-9);
    g_assert_cmpfloat_with_epsilon (ink_loss_cce_softmax (big, pb, 2, 0, NULL), 0.0, 1e-9);
  }

  /* Unfused: L = -log p[t], d[t] = -1 / p[t]. */
  memset (d, 0, sizeof d);
  loss = ink_loss_cce (p, 3, 2, d);
  g_assert_cmpfloat_with_epsilon (loss, 0.40760596, 1e-6);
  g_assert_cmpfloat (d[0], ==, 0.0f);
  g_assert_cmpfloat (d[1], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (d[2], -1.50321472, 1e-6);
  /* A probability of 0 is clamped: -log(1e-12) = 27.63102112. */
  {
    const float zero[2] = {1, 0};
    g_assert_cmpfloat_with_epsilon (ink_loss_cce (zero, 2, 1, NULL), 27.63102112, 1e-6);
  }
}

static void
test_loss_mse (void)
{
  /* x - t = (1, 0, 3): L = (1 + 0 + 9) / 3; d = 2 (x - t) / 3. */
  const float x[3] = {1, 2, 4}, t[3] = {0, 2, 1};
  float d[3] = {0, 0, 0};

  g_assert_cmpfloat_with_epsilon (ink_loss_mse (x, t, 3, d), 10.0 / 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (d[0], 2.0 / 3.0, 1e-7);
  g_assert_cmpfloat (d[1], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (d[2], 2.0, 1e-7);
  /* One element: the plain square. */
  g_assert_cmpfloat_with_epsilon (ink_loss_mse (x + 2, t + 2, 1, NULL), 9.0, 1e-12);
}

/* ---- Optimizers, single steps worked by hand ---- */

static void
test_sgd (void)
{
  float w[2] = {1.0f, -2.0f}, v[2] = {0, 0};
  const float g[2] = {0.5f, 0.25f};

  /* Step 1: v = g = (0.5, 0.25); w -= 0.1 v: (0.95, -2.025). */
  ink_optimizer_sgd (w, v, g, 2, 0.1, 0.9);
  g_assert_cmpfloat_with_epsilon (v[0], 0.5, 1e-7);
  g_assert_cmpfloat_with_epsilon (v[1], 0.25, 1e-7);
  g_assert_cmpfloat_with_epsilon (w[0], 0.95, 1e-7);
  g_assert_cmpfloat_with_epsilon (w[1], -2.025, 1e-7);
  /* Step 2: v = 0.9 v + g = (0.95, 0.475); w = (0.855, -2.0725). */
  ink_optimizer_sgd (w, v, g, 2, 0.1, 0.9);
  g_assert_cmpfloat_with_epsilon (v[0], 0.95, 1e-7);
  g_assert_cmpfloat_with_epsilon (v[1], 0.475, 1e-7);
  g_assert_cmpfloat_with_epsilon (w[0], 0.855, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[1], -2.0725, 1e-6);
  /* Without momentum: w -= lr g, v untouched. */
  ink_optimizer_sgd (w, v, g, 2, 0.2, 0.0);
  g_assert_cmpfloat_with_epsilon (w[0], 0.755, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[1], -2.1225, 1e-6);
  g_assert_cmpfloat_with_epsilon (v[0], 0.95, 1e-7);
}

static void
test_adam (void)
{
  float w[1] = {1.0f}, m[1] = {0}, v[1] = {0};
  float g[1] = {0.5f};

  /* Step 1 (lr 0.1, betas 0.9 and 0.999, eps 1e-8): m = 0.05, v = 0.00025;
   * bias corrections 0.1 and 0.001: step size 1, denominator
   * sqrt(0.00025) / sqrt(0.001) + 1e-8 = 0.5 + 1e-8; w = 1 - 0.05 / 0.5. */
  ink_optimizer_adam (w, m, v, g, 1, 0.1, 0.9, 0.999, 1e-8, 1);
  g_assert_cmpfloat_with_epsilon (m[0], 0.05, 1e-8);
  g_assert_cmpfloat_with_epsilon (v[0], 0.00025, 1e-10);
  g_assert_cmpfloat_with_epsilon (w[0], 0.9, 1e-6);
  /* Step 2 with g = -0.25: m = 0.045 - 0.025 = 0.02; v = 0.00024975 +
   * 0.0000625 = 0.00031225; bias corrections 0.19 and 0.001999: step size
   * 0.1 / 0.19 = 0.52631579, denominator 0.01767060 / 0.04471018 + 1e-8 =
   * 0.39522215; w = 0.9 - 0.52631579 * 0.02 / 0.39522215 = 0.87336659. */
  g[0] = -0.25f;
  ink_optimizer_adam (w, m, v, g, 1, 0.1, 0.9, 0.999, 1e-8, 2);
  g_assert_cmpfloat_with_epsilon (m[0], 0.02, 1e-8);
  g_assert_cmpfloat_with_epsilon (v[0], 0.00031225, 1e-10);
  g_assert_cmpfloat_with_epsilon (w[0], 0.87336659, 2e-6);
}

/* ---- Targets ---- */

static void
test_targets (void)
{
  const char *labels[3] = {"cat", "dog", "fish"};
  const int64_t int_labels[3] = {10, 20, 30};
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  InkModel *mi = ink_nn_new (INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  InkValue *v;
  size_t k = 99;
  float t[3];
  InkError err;

  g_assert_cmpint (ink_model_set_class_labels_string (m, labels, 3), ==, INK_OK);
  g_assert_cmpint (ink_model_set_class_labels_int64 (mi, int_labels, 3), ==, INK_OK);
  v = ink_value_new_string ("dog");
  ink_assert_ok (
    ink_loss_read_target (m, INK_LOSS_CATEGORICAL_CROSS_ENTROPY, "y", v, 3, &k, t, &err), &err);
  g_assert_cmpuint (k, ==, 1);
  ink_value_free (v);
  v = ink_value_new_string ("bird");
  g_assert_cmpint (
    ink_loss_read_target (m, INK_LOSS_CATEGORICAL_CROSS_ENTROPY, "y", v, 3, &k, t, &err), ==,
    INK_ERR_PARAMETER);
  g_assert_nonnull (strstr (err.message, "bird"));
  ink_value_free (v);
  /* int64: a label when the labels are int64, else an index. */
  v = ink_value_new_int64 (30);
  ink_assert_ok (
    ink_loss_read_target (mi, INK_LOSS_CATEGORICAL_CROSS_ENTROPY, "y", v, 3, &k, t, &err), &err);
  g_assert_cmpuint (k, ==, 2);
  g_assert_cmpint (
    ink_loss_read_target (m, INK_LOSS_CATEGORICAL_CROSS_ENTROPY, "y", v, 3, &k, t, &err), ==,
    INK_ERR_PARAMETER);
  ink_value_free (v);
  v = ink_value_new_int64 (2);
  ink_assert_ok (
    ink_loss_read_target (m, INK_LOSS_CATEGORICAL_CROSS_ENTROPY, "y", v, 3, &k, t, &err), &err);
  g_assert_cmpuint (k, ==, 2);
  ink_value_free (v);
  /* A double or a one-element array is an index. */
  v = ink_value_new_double (1.0);
  ink_assert_ok (
    ink_loss_read_target (m, INK_LOSS_CATEGORICAL_CROSS_ENTROPY, "y", v, 3, &k, t, &err), &err);
  g_assert_cmpuint (k, ==, 1);
  ink_value_free (v);
  v = ink_value_new_double (1.5);
  g_assert_cmpint (
    ink_loss_read_target (m, INK_LOSS_CATEGORICAL_CROSS_ENTROPY, "y", v, 3, &k, t, &err), ==,
    INK_ERR_PARAMETER);
  ink_value_free (v);
  {
    int64_t one = 1;
    float zero = 0;
    v = ink_test_array (1, &one, &zero);
    ink_assert_ok (
      ink_loss_read_target (m, INK_LOSS_CATEGORICAL_CROSS_ENTROPY, "y", v, 3, &k, t, &err), &err);
    g_assert_cmpuint (k, ==, 0);
    ink_value_free (v);
  }
  /* Mean squared error: a multi-array of the count, or a number for 1. */
  {
    int64_t three = 3;
    double src[3] = {1.5, -2, 4};
    v = ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &three, src);
    ink_assert_ok (ink_loss_read_target (m, INK_LOSS_MEAN_SQUARED_ERROR, "y", v, 3, &k, t, &err),
                   &err);
    g_assert_cmpfloat (t[0], ==, 1.5f);
    g_assert_cmpfloat (t[1], ==, -2.0f);
    g_assert_cmpfloat (t[2], ==, 4.0f);
    g_assert_cmpint (ink_loss_read_target (m, INK_LOSS_MEAN_SQUARED_ERROR, "y", v, 2, &k, t, &err),
                     ==, INK_ERR_SHAPE_MISMATCH);
    ink_value_free (v);
  }
  v = ink_value_new_double (7.25);
  ink_assert_ok (ink_loss_read_target (m, INK_LOSS_MEAN_SQUARED_ERROR, "y", v, 1, &k, t, &err),
                 &err);
  g_assert_cmpfloat (t[0], ==, 7.25f);
  ink_value_free (v);
  g_assert_cmpint (ink_loss_read_target (m, INK_LOSS_MEAN_SQUARED_ERROR, "y", NULL, 1, &k, t, &err),
                   ==, INK_ERR_MISSING_INPUT);
  g_assert_nonnull (strstr (err.message, "'y'"));
  ink_model_free (m);
  ink_model_free (mi);
}

/* ---- Building small networks ---- */

static InkLayerSpec
inner_product (size_t in, size_t out, const float *w, const float *b, bool updatable)
{
  InkLayerSpec s = {.kind = INK_LAYER_INNER_PRODUCT, .updatable = updatable};

  s.params.inner_product = (InkInnerProductParams){
    .in_channels = in, .out_channels = out, .has_bias = b != NULL, .weights = w, .bias = b};
  return s;
}

static InkLayerSpec
activation (InkActivationType type)
{
  InkLayerSpec s = {.kind = INK_LAYER_ACTIVATION};

  s.params.activation.type = type;
  return s;
}

static void
add_layer (InkModel *m, InkLayerSpec spec, const char *name, const char *in, const char *out)
{
  const char *ins[1] = {in}, *outs[1] = {out};
  InkError err;

  spec.name = name;
  spec.inputs = ins;
  spec.n_inputs = 1;
  spec.outputs = outs;
  spec.n_outputs = 1;
  ink_assert_ok (ink_nn_add_layer (m, &spec, &err), &err);
}

static void
add_array (InkModel *m, const char *name, bool input, bool training, size_t rank,
           const int64_t *shape)
{
  InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, rank, shape);
  InkError err;

  if (input)
    ink_assert_ok (ink_model_add_input (m, name, &t, "", &err), &err);
  else
    ink_assert_ok (ink_model_add_output (m, name, &t, "", &err), &err);
  if (training)
    ink_assert_ok (ink_model_add_training_input (m, name, &t, "", &err), &err);
}

/* A regressor x[n_in] -> dense (frozen) -> tanh -> dense (updatable) -> y,
 * with MSE against "y_true". */
#define MLP_IN 5
#define MLP_HIDDEN 7
#define MLP_OUT 2

static InkModel *
mlp_model (bool first_updatable)
{
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  float w1[MLP_HIDDEN * MLP_IN], b1[MLP_HIDDEN], w2[MLP_OUT * MLP_HIDDEN], b2[MLP_OUT];
  int64_t in_shape[1] = {MLP_IN}, out_shape[1] = {MLP_OUT};
  InkError err;

  ink_test_fill_random (w1, G_N_ELEMENTS (w1), 1, -0.6f, 0.6f);
  ink_test_fill_random (b1, G_N_ELEMENTS (b1), 2, -0.1f, 0.1f);
  ink_test_fill_random (w2, G_N_ELEMENTS (w2), 3, -0.6f, 0.6f);
  ink_test_fill_random (b2, G_N_ELEMENTS (b2), 4, -0.1f, 0.1f);
  add_array (m, "x", true, true, 1, in_shape);
  add_array (m, "y", false, false, 1, out_shape);
  add_array (m, "y_true", true, false, 1, out_shape);
  /* y_true is a training input only: an input the network ignores would do,
   * but Core ML keeps the target out of the prediction inputs. */
  add_layer (m, inner_product (MLP_IN, MLP_HIDDEN, w1, b1, first_updatable), "dense1", "x", "h");
  add_layer (m, activation (INK_ACT_TANH), "tanh", "h", "ht");
  add_layer (m, inner_product (MLP_HIDDEN, MLP_OUT, w2, b2, true), "dense2", "ht", "y");
  g_assert_cmpint (ink_nn_set_loss (m, "loss", INK_LOSS_MEAN_SQUARED_ERROR, "y", "y_true"), ==,
                   INK_OK);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  return m;
}

/* n examples for mlp_model: x random, y_true a fixed function of x. */
static InkFeatures **
mlp_examples (size_t n, guint32 seed)
{
  InkFeatures **ex = g_new (InkFeatures *, n);
  int64_t in_shape[1] = {MLP_IN}, out_shape[1] = {MLP_OUT};

  for (size_t i = 0; i < n; i++) {
    float x[MLP_IN], y[MLP_OUT];
    ink_test_fill_random (x, MLP_IN, seed + (guint32) i, -1, 1);
    y[0] = 0.5f * x[0] - x[1] + 0.25f * x[2] * x[3];
    y[1] = sinf (x[4]) + 0.1f;
    ex[i] = ink_features_new ();
    g_assert_cmpint (ink_features_set (ex[i], "x", ink_test_array (1, in_shape, x)), ==, INK_OK);
    g_assert_cmpint (ink_features_set (ex[i], "y_true", ink_test_array (1, out_shape, y)), ==,
                     INK_OK);
  }
  return ex;
}

static void
examples_free (InkFeatures **ex, size_t n)
{
  for (size_t i = 0; i < n; i++)
    ink_features_free (ex[i]);
  g_free (ex);
}

static const float *
layer_weights (InkModel *m, size_t layer, int slot, size_t *count)
{
  const InkLayer *l = &m->body.nn->layers[layer];

  *count = l->w[slot].count;
  return l->w[slot].data;
}

static InkOptimizerConfig
sgd_config (double lr, double momentum)
{
  InkOptimizerConfig c = {
    .optimizer = INK_OPTIMIZER_SGD, .learning_rate = lr, .momentum = momentum};

  return c;
}

/* ---- One step of the whole trainer, by hand ---- */

static InkValue *
double_array (double v)
{
  int64_t one = 1;

  return ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &one, &v);
}

static void
test_step_by_hand (void)
{
  /* y = w x + b with w = 0.5, b = 0; x = 2, t = 3: y = 1, L = (1 - 3)^2 =
   * 4; dL/dy = -4, dL/dw = -8, dL/db = -4; SGD lr 0.1: w = 1.3, b = 0.4. A
   * second example x = -1, t = 0 (y = -0.5, L = 0.25, dL/dy = -1, dL/dw =
   * 1, dL/db = -1) averaged in: mean L 2.125, gradient (-3.5, -2.5). */
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  const float w = 0.5f, b = 0.0f;
  int64_t one[1] = {1};
  InkFeatures *ex[2];
  InkNnTrainer *t;
  InkOptimizerConfig c = sgd_config (0.1, 0.0);
  float *const *grads;
  size_t n_arrays, count;
  double loss;
  InkError err;

  add_array (m, "x", true, true, 1, one);
  add_array (m, "y", false, false, 1, one);
  add_layer (m, inner_product (1, 1, &w, &b, true), "dense", "x", "y");
  g_assert_cmpint (ink_nn_set_loss (m, "loss", INK_LOSS_MEAN_SQUARED_ERROR, "y", "t"), ==, INK_OK);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  for (int i = 0; i < 2; i++) {
    ex[i] = ink_features_new ();
    ink_features_set (ex[i], "x", double_array (i == 0 ? 2.0 : -1.0));
    ink_features_set_double (ex[i], "t", i == 0 ? 3.0 : 0.0);
  }
  t = ink_nn_trainer_new (m, false, 1, &err);
  g_assert_nonnull (t);
  ink_nn_trainer_set_optimizer (t, &c);

  ink_assert_ok (ink_nn_trainer_loss (t, (const InkFeatures *const *) ex, 2, &loss, &err), &err);
  g_assert_cmpfloat_with_epsilon (loss, 2.125, 1e-9);
  ink_assert_ok (
    ink_nn_trainer_gradients (t, (const InkFeatures *const *) ex, 2, &grads, &n_arrays, &err),
    &err);
  g_assert_cmpuint (n_arrays, ==, 2);
  g_assert_cmpfloat_with_epsilon (grads[0][0], -3.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (grads[1][0], -2.5, 1e-6);

  ink_assert_ok (ink_nn_trainer_step (t, (const InkFeatures *const *) ex, 1, &loss, &err), &err);
  g_assert_cmpfloat_with_epsilon (loss, 4.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (layer_weights (m, 0, INK_W_WEIGHTS, &count)[0], 1.3, 1e-6);
  g_assert_cmpfloat_with_epsilon (layer_weights (m, 0, INK_W_BIAS, &count)[0], 0.4, 1e-6);

  /* The example without its target: an error naming the target. */
  ink_value_free (ink_features_take (ex[1], "t"));
  g_assert_cmpint (ink_nn_trainer_step (t, (const InkFeatures *const *) ex, 2, &loss, &err), ==,
                   INK_ERR_MISSING_INPUT);
  g_test_message ("%s", err.message);
  g_assert_nonnull (strstr (err.message, "'t'"));
  g_assert_cmpint (ink_nn_trainer_step (t, (const InkFeatures *const *) ex, 0, &loss, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  ink_nn_trainer_free (t);
  ink_features_free (ex[0]);
  ink_features_free (ex[1]);
  ink_model_free (m);
}

static void
test_trainer_rejects (void)
{
  const float w = 1.0f;
  int64_t one[1] = {1};
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  InkError err;

  add_array (m, "x", true, true, 1, one);
  add_array (m, "y", false, false, 1, one);
  add_layer (m, inner_product (1, 1, &w, NULL, false), "dense", "x", "y");
  ink_assert_ok (ink_model_finish (m, &err), &err);
  /* No loss. */
  g_assert_null (ink_nn_trainer_new (m, true, 1, &err));
  g_assert_cmpint (err.status, ==, INK_ERR_INVALID_MODEL);
  g_assert_nonnull (strstr (err.message, "loss"));
  g_assert_null (ink_nn_trainer_new (NULL, true, 1, &err));
  ink_model_free (m);

  /* A loss, but nothing updatable (and train_all not set). */
  m = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  add_array (m, "x", true, true, 1, one);
  add_array (m, "y", false, false, 1, one);
  add_layer (m, inner_product (1, 1, &w, NULL, false), "dense", "x", "y");
  g_assert_cmpint (ink_nn_set_loss (m, "loss", INK_LOSS_MEAN_SQUARED_ERROR, "y", "t"), ==, INK_OK);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  g_assert_null (ink_nn_trainer_new (m, false, 1, &err));
  g_test_message ("%s", err.message);
  g_assert_cmpint (err.status, ==, INK_ERR_INVALID_MODEL);
  /* With train_all it trains. */
  {
    InkNnTrainer *t = ink_nn_trainer_new (m, true, 1, &err);
    g_assert_nonnull (t);
    ink_nn_trainer_free (t);
  }
  ink_model_free (m);
}

/* ---- Only updatable layers change; the same run twice is the same ---- */

static void
train_mlp (InkModel *m, int threads, InkOptimizerType opt, int epochs)
{
  const size_t n = 40, batch = 8;
  InkFeatures **ex = mlp_examples (n, 100);
  InkNnTrainer *t;
  InkOptimizerConfig c = {.optimizer = opt,
                          .learning_rate = opt == INK_OPTIMIZER_ADAM ? 0.01 : 0.1,
                          .momentum = 0.9,
                          .beta1 = 0.9,
                          .beta2 = 0.999,
                          .eps = 1e-8};
  double first = 0, last = 0;
  InkError err;

  t = ink_nn_trainer_new (m, false, threads, &err);
  g_assert_nonnull (t);
  ink_nn_trainer_set_optimizer (t, &c);
  for (int e = 0; e < epochs; e++) {
    double sum = 0;
    for (size_t i = 0; i < n; i += batch) {
      double loss;
      ink_assert_ok (
        ink_nn_trainer_step (t, (const InkFeatures *const *) ex + i, batch, &loss, &err), &err);
      sum += loss;
    }
    if (e == 0)
      first = sum / (n / batch);
    last = sum / (n / batch);
  }
  g_test_message ("%d threads, %s: loss %.6f -> %.6f", threads,
                  opt == INK_OPTIMIZER_ADAM ? "Adam" : "SGD", first, last);
  g_assert_cmpfloat (last, <, first);
  ink_nn_trainer_free (t);
  examples_free (ex, n);
}

static void
test_only_updatable (void)
{
  InkModel *m = mlp_model (false), *orig = mlp_model (false);
  size_t c1, c2;

  train_mlp (m, 1, INK_OPTIMIZER_SGD, 5);
  /* The frozen layer: bit for bit what it was; the updatable one moved. */
  for (int s = INK_W_WEIGHTS; s <= INK_W_BIAS; s++) {
    const float *trained = layer_weights (m, 0, s, &c1);
    const float *before = layer_weights (orig, 0, s, &c2);
    g_assert_cmpmem (trained, c1 * sizeof (float), before, c2 * sizeof (float));
  }
  for (int s = INK_W_WEIGHTS; s <= INK_W_BIAS; s++) {
    const float *trained = layer_weights (m, 2, s, &c1);
    const float *before = layer_weights (orig, 2, s, &c2);
    g_assert_cmpuint (c1, ==, c2);
    g_assert_true (memcmp (trained, before, c1 * sizeof (float)) != 0);
  }
  ink_model_free (m);
  ink_model_free (orig);
}

/* Both layers' weights, concatenated. */
static GArray *
all_weights (InkModel *m)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (float));

  for (size_t l = 0; l < m->body.nn->n_layers; l++) {
    for (int s = 0; s < INK_W_SLOTS; s++) {
      size_t count;
      const float *w = layer_weights (m, l, s, &count);
      g_array_append_vals (a, w, (guint) count);
    }
  }
  return a;
}

static void
assert_same_bits (GArray *a, GArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  g_assert_cmpmem (a->data, a->len * sizeof (float), b->data, b->len * sizeof (float));
}

static void
test_reproducible (void)
{
  for (int opt = 0; opt < 2; opt++) {
    GArray *runs[4];
    for (int r = 0; r < 4; r++) {
      InkModel *m = mlp_model (true);
      /* Runs 0 and 1 on one thread, 2 and 3 on three. */
      train_mlp (m, r < 2 ? 1 : 3, (InkOptimizerType) opt, 4);
      runs[r] = all_weights (m);
      ink_model_free (m);
    }
    assert_same_bits (runs[0], runs[1]);
    assert_same_bits (runs[2], runs[3]);
    /* One thread and three differ only by the order of float sums. */
    ink_test_assert_close ((const float *) (void *) runs[0]->data,
                           (const float *) (void *) runs[2]->data, runs[0]->len, 1e-4);
    for (int r = 0; r < 4; r++)
      g_array_unref (runs[r]);
  }
}

/* ---- Gradients against finite differences, a small conv classifier ---- */

#define GC_C 2
#define GC_H 6
#define GC_W 6
#define GC_K 3
#define GC_OUT 3
#define GC_CLASSES 3

static InkModel *
conv_classifier (bool conv_updatable)
{
  static const char *const labels[GC_CLASSES] = {"a", "b", "c"};
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  int64_t shape[3] = {GC_C, GC_H, GC_W};
  float cw[GC_OUT * GC_C * GC_K * GC_K], cb[GC_OUT];
  /* conv valid: 3x4x4; pool 2x2: 3x2x2; flatten 12. */
  float fw[GC_CLASSES * 12], fb[GC_CLASSES];
  InkLayerSpec conv = {.kind = INK_LAYER_CONVOLUTION, .updatable = conv_updatable};
  InkLayerSpec pool = {.kind = INK_LAYER_POOLING};
  InkLayerSpec flatten = {.kind = INK_LAYER_FLATTEN};
  InkLayerSpec softmax = {.kind = INK_LAYER_SOFTMAX};
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType dict = ink_feature_type_dictionary (INK_KEY_STRING);
  InkError err;

  ink_test_fill_random (cw, G_N_ELEMENTS (cw), 11, -0.5f, 0.5f);
  ink_test_fill_random (cb, G_N_ELEMENTS (cb), 12, -0.1f, 0.1f);
  ink_test_fill_random (fw, G_N_ELEMENTS (fw), 13, -0.8f, 0.8f);
  ink_test_fill_random (fb, G_N_ELEMENTS (fb), 14, -0.1f, 0.1f);
  conv.params.convolution = (InkConvolutionParams){.out_channels = GC_OUT,
                                                   .kernel_channels = GC_C,
                                                   .kernel_h = GC_K,
                                                   .kernel_w = GC_K,
                                                   .has_bias = true,
                                                   .weights = cw,
                                                   .bias = cb};
  pool.params.pooling = (InkPoolingParams){
    .type = INK_POOL_MAX, .kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2};
  add_array (m, "x", true, true, 3, shape);
  ink_assert_ok (ink_model_add_output (m, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "probs", &dict, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (m, "label", &label, "", &err), &err);
  g_assert_cmpint (ink_model_set_predicted_feature_name (m, "label"), ==, INK_OK);
  g_assert_cmpint (ink_model_set_predicted_probabilities_name (m, "probs"), ==, INK_OK);
  g_assert_cmpint (ink_model_set_class_labels_string (m, labels, GC_CLASSES), ==, INK_OK);
  add_layer (m, conv, "conv", "x", "c");
  add_layer (m, activation (INK_ACT_RELU), "relu", "c", "r");
  add_layer (m, pool, "pool", "r", "p");
  add_layer (m, flatten, "flatten", "p", "f");
  add_layer (m, inner_product (12, GC_CLASSES, fw, fb, true), "fc", "f", "z");
  add_layer (m, softmax, "softmax", "z", "prob");
  g_assert_cmpint (ink_nn_set_loss (m, "loss", INK_LOSS_CATEGORICAL_CROSS_ENTROPY, "prob", "label"),
                   ==, INK_OK);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  return m;
}

static InkFeatures **
conv_examples (size_t n)
{
  static const char *const labels[GC_CLASSES] = {"a", "b", "c"};
  InkFeatures **ex = g_new (InkFeatures *, n);
  int64_t shape[3] = {GC_C, GC_H, GC_W};

  for (size_t i = 0; i < n; i++) {
    float x[GC_C * GC_H * GC_W];
    ink_test_fill_random (x, G_N_ELEMENTS (x), 50 + (guint32) i, -1, 1);
    ex[i] = ink_features_new ();
    ink_features_set (ex[i], "x", ink_test_array (3, shape, x));
    ink_features_set_string (ex[i], "label", labels[i % GC_CLASSES]);
  }
  return ex;
}

typedef struct {
  size_t layer;
  int slot;
} Slot;

/* Checks every trained weight's gradient from ink_nn_trainer_gradients
 * against central differences of ink_nn_trainer_loss. slots: the trained
 * arrays, in layer then slot order. */
static void
check_gradients (InkModel *m, InkFeatures **ex, size_t n, int threads, const Slot *slots,
                 size_t n_slots)
{
  InkNnTrainer *t = ink_nn_trainer_new (m, false, threads, NULL);
  float *const *grads;
  float **analytic;
  size_t n_arrays, checked = 0, near_kinks = 0, expected = 0;
  double worst = 0;
  InkError err;

  g_assert_nonnull (t);
  ink_assert_ok (
    ink_nn_trainer_gradients (t, (const InkFeatures *const *) ex, n, &grads, &n_arrays, &err),
    &err);
  g_assert_cmpuint (n_arrays, ==, n_slots);
  /* Copies: the trainer's arrays change with every call. */
  analytic = g_new (float *, n_arrays);
  for (size_t a = 0; a < n_arrays; a++) {
    size_t count;
    layer_weights (m, slots[a].layer, slots[a].slot, &count);
    analytic[a] = g_memdup2 (grads[a], count * sizeof (float));
    expected += count;
  }
  for (size_t a = 0; a < n_arrays; a++) {
    size_t count;
    float *w = (float *) layer_weights (m, slots[a].layer, slots[a].slot, &count);
    for (size_t k = 0; k < count; k++) {
      const float saved = w[k];
      bool ok = false;
      /* Central differences with h = 1e-3. ReLU and max pooling have
       * kinks: when one lies within h of the point, the difference straddles
       * it, and smaller steps decide (with a tolerance that grows as float
       * rounding of the loss, ~1e-7, weighs more). */
      for (float h = 1e-3f; !ok && h > 3e-5f; h /= 4) {
        double plus, minus, numeric, tol;
        w[k] = saved + h;
        ink_assert_ok (ink_nn_trainer_loss (t, (const InkFeatures *const *) ex, n, &plus, &err),
                       &err);
        w[k] = saved - h;
        ink_assert_ok (ink_nn_trainer_loss (t, (const InkFeatures *const *) ex, n, &minus, &err),
                       &err);
        w[k] = saved;
        numeric = (plus - minus) / (double) ((saved + h) - (saved - h));
        tol = 1e-3 + 1e-2 * fabs (numeric) + 4e-7 / h;
        ok = fabs (numeric - analytic[a][k]) <= tol;
        if (ok)
          worst = fmax (worst, fabs (numeric - analytic[a][k]));
        else if (h < 1e-4f)
          g_error ("gradient %zu[%zu]: backpropagation %.7g, finite differences %.7g", a, k,
                   analytic[a][k], numeric);
        else if (h > 5e-4f)
          near_kinks++;
      }
      checked++;
    }
    g_free (analytic[a]);
  }
  g_test_message ("%zu gradients checked (%zu near a kink); largest difference %.3g", checked,
                  near_kinks, worst);
  g_assert_cmpuint (checked, ==, expected);
  g_assert_cmpuint (near_kinks, <=, checked / 5);
  g_free (analytic);
  ink_nn_trainer_free (t);
}

static void
test_gradient_check (void)
{
  /* conv weights and bias, fc weights and bias */
  static const Slot slots[4] = {
    {0, INK_W_WEIGHTS}, {0, INK_W_BIAS}, {4, INK_W_WEIGHTS}, {4, INK_W_BIAS}};
  InkModel *m = conv_classifier (true);
  InkFeatures **ex = conv_examples (4);

  check_gradients (m, ex, 4, 2, slots, G_N_ELEMENTS (slots));
  examples_free (ex, 4);
  ink_model_free (m);
}

/* Layers no trained weight reaches run as at inference (the convolution
 * fused with its ReLU and pooling, or blocked): the trained layers see the
 * same inputs, bit for bit, as when the convolution trains too. */
static void
test_frozen_layers_at_inference (void)
{
  InkModel *frozen = conv_classifier (false), *trained = conv_classifier (true);
  const InkLayer *conv = &frozen->body.nn->layers[0];
  InkFeatures **ex = conv_examples (7);
  InkNnTrainer *tf, *tt;
  float *const *gf, *const *gt;
  size_t nf, nt, count;
  double lf, lt;
  InkError err;

  g_test_message ("frozen convolution: fused %d, blocked %d", conv->fused, conv->packed != NULL);
  g_assert_true (conv->fused || conv->packed != NULL);
  tf = ink_nn_trainer_new (frozen, false, 1, &err);
  tt = ink_nn_trainer_new (trained, false, 1, &err);
  g_assert_nonnull (tf);
  g_assert_nonnull (tt);
  ink_assert_ok (ink_nn_trainer_gradients (tf, (const InkFeatures *const *) ex, 7, &gf, &nf, &err),
                 &err);
  ink_assert_ok (ink_nn_trainer_gradients (tt, (const InkFeatures *const *) ex, 7, &gt, &nt, &err),
                 &err);
  /* fc's weights and bias: the frozen model's only arrays, the trained
   * model's last two. */
  g_assert_cmpuint (nf, ==, 2);
  g_assert_cmpuint (nt, ==, 4);
  layer_weights (frozen, 4, INK_W_WEIGHTS, &count);
  g_assert_cmpmem (gf[0], count * sizeof (float), gt[2], count * sizeof (float));
  layer_weights (frozen, 4, INK_W_BIAS, &count);
  g_assert_cmpmem (gf[1], count * sizeof (float), gt[3], count * sizeof (float));
  ink_assert_ok (ink_nn_trainer_loss (tf, (const InkFeatures *const *) ex, 7, &lf, &err), &err);
  ink_assert_ok (ink_nn_trainer_loss (tt, (const InkFeatures *const *) ex, 7, &lt, &err), &err);
  g_assert_cmpfloat (lf, ==, lt);
  ink_nn_trainer_free (tf);
  ink_nn_trainer_free (tt);
  examples_free (ex, 7);
  ink_model_free (frozen);
  ink_model_free (trained);
}

/* Inner products' weight derivatives are added 16 examples at a time: with
 * 37 examples (two full groups and a partial one on one thread; a chunk
 * ending mid-group on each of two), the gradient is the mean of the
 * examples' own gradients, and finite differences agree. */
static void
test_grouped_gradients (void)
{
  static const Slot slots[4] = {
    {0, INK_W_WEIGHTS}, {0, INK_W_BIAS}, {2, INK_W_WEIGHTS}, {2, INK_W_BIAS}};
  const size_t n = 37;
  InkModel *m = mlp_model (true);
  InkFeatures **ex = mlp_examples (n, 300);
  size_t sizes[4], total = 0;
  float *mean;
  InkError err;

  for (size_t a = 0; a < 4; a++) {
    layer_weights (m, slots[a].layer, slots[a].slot, &sizes[a]);
    total += sizes[a];
  }
  mean = g_new0 (float, total);
  {
    InkNnTrainer *t = ink_nn_trainer_new (m, false, 1, &err);
    g_assert_nonnull (t);
    for (size_t e = 0; e < n; e++) {
      float *const *g;
      size_t n_arrays, at = 0;
      ink_assert_ok (
        ink_nn_trainer_gradients (t, (const InkFeatures *const *) &ex[e], 1, &g, &n_arrays, &err),
        &err);
      for (size_t a = 0; a < n_arrays; a++) {
        for (size_t k = 0; k < sizes[a]; k++)
          mean[at + k] += g[a][k] / (float) n;
        at += sizes[a];
      }
    }
    ink_nn_trainer_free (t);
  }
  for (int threads = 1; threads <= 2; threads++) {
    InkNnTrainer *t = ink_nn_trainer_new (m, false, threads, &err);
    float *const *g;
    size_t n_arrays, at = 0;
    g_assert_nonnull (t);
    ink_assert_ok (
      ink_nn_trainer_gradients (t, (const InkFeatures *const *) ex, n, &g, &n_arrays, &err), &err);
    g_assert_cmpuint (n_arrays, ==, 4);
    for (size_t a = 0; a < n_arrays; a++) {
      ink_test_assert_close (g[a], mean + at, sizes[a], 1e-5);
      at += sizes[a];
    }
    ink_nn_trainer_free (t);
  }
  check_gradients (m, ex, n, 2, slots, G_N_ELEMENTS (slots));
  g_free (mean);
  examples_free (ex, n);
  ink_model_free (m);
}

/* x[4] -> dense 4->3 -> batchnorm (updatable: gamma, beta) -> sigmoid ->
 * the loss: cross-entropy on the sigmoid's output (not a softmax, so not
 * fused: -log p[t], d = -1 / p[t]) or mean squared error. */
static void
check_head (InkLossType loss)
{
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  static const Slot slots[4] = {
    {0, INK_W_WEIGHTS}, {0, INK_W_BIAS}, {1, INK_W_GAMMA}, {1, INK_W_BETA}};
  float w[12], b[3], gamma[3], beta[3], mean[3], var[3];
  int64_t four[1] = {4}, three[1] = {3};
  InkLayerSpec bn = {.kind = INK_LAYER_BATCHNORM, .updatable = true};
  InkFeatures *ex[5];
  InkError err;

  ink_test_fill_random (w, 12, 21, -1, 1);
  ink_test_fill_random (b, 3, 22, -0.2f, 0.2f);
  ink_test_fill_random (gamma, 3, 23, 0.5f, 1.5f);
  ink_test_fill_random (beta, 3, 24, -0.3f, 0.3f);
  ink_test_fill_random (mean, 3, 25, -0.2f, 0.2f);
  ink_test_fill_random (var, 3, 26, 0.5f, 2.0f);
  bn.params.batchnorm = (InkBatchnormParams){
    .channels = 3, .gamma = gamma, .beta = beta, .mean = mean, .variance = var};
  add_array (m, "x", true, true, 1, four);
  add_array (m, "y", false, false, 1, three);
  add_layer (m, inner_product (4, 3, w, b, true), "dense", "x", "h");
  add_layer (m, bn, "bn", "h", "n");
  add_layer (m, activation (INK_ACT_SIGMOID), "sigmoid", "n", "y");
  g_assert_cmpint (ink_nn_set_loss (m, "loss", loss, "y", "t"), ==, INK_OK);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  for (size_t i = 0; i < G_N_ELEMENTS (ex); i++) {
    float x[4], t[3];
    ink_test_fill_random (x, 4, 60 + (guint32) i, -2, 2);
    ink_test_fill_random (t, 3, 70 + (guint32) i, 0, 1);
    ex[i] = ink_features_new ();
    ink_features_set (ex[i], "x", ink_test_array (1, four, x));
    if (loss == INK_LOSS_MEAN_SQUARED_ERROR)
      ink_features_set (ex[i], "t", ink_test_array (1, three, t));
    else
      ink_features_set_int64 (ex[i], "t", (int64_t) (i % 3));
  }
  check_gradients (m, ex, G_N_ELEMENTS (ex), 1, slots, G_N_ELEMENTS (slots));
  /* The mean and variance are statistics, never trained. */
  {
    InkNnTrainer *t = ink_nn_trainer_new (m, true, 1, &err);
    size_t count;
    double l;
    ink_assert_ok (ink_nn_trainer_step (t, (const InkFeatures *const *) ex, 5, &l, &err), &err);
    g_assert_cmpmem (layer_weights (m, 1, INK_W_MEAN, &count), sizeof mean, mean, sizeof mean);
    g_assert_cmpmem (layer_weights (m, 1, INK_W_VARIANCE, &count), sizeof var, var, sizeof var);
    ink_nn_trainer_free (t);
  }
  for (size_t i = 0; i < G_N_ELEMENTS (ex); i++)
    ink_features_free (ex[i]);
  ink_model_free (m);
}

static void
test_gradient_check_cce_unfused (void)
{
  check_head (INK_LOSS_CATEGORICAL_CROSS_ENTROPY);
}

static void
test_gradient_check_mse (void)
{
  check_head (INK_LOSS_MEAN_SQUARED_ERROR);
}

/* ---- The Core ML fixtures ---- */

static double
declared (InkModel *m, const char *key)
{
  const InkUpdateParameter *p =
    ink_description_find_update_parameter (ink_model_get_description (m), key);

  g_assert_nonnull (p);
  return p->default_value;
}

static void
shuffle (size_t *order, size_t n, GRand *r)
{
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t) g_rand_int_range (r, 0, (gint32) i), tmp = order[i - 1];
    order[i - 1] = order[j];
    order[j] = tmp;
  }
}

/* Trains on the examples for the model's declared epochs (or at most
 * max_epochs), mini-batch size and shuffle, with the trainer's defaults
 * (the declared optimizer and parameters); returns the mean loss of each
 * epoch (g_free). */
static double *
train_declared (InkModel *m, InkFeatures **ex, size_t n, int max_epochs, int *epochs_run)
{
  int epochs = (int) declared (m, INK_PARAM_EPOCHS);
  size_t batch = (size_t) declared (m, INK_PARAM_MINI_BATCH_SIZE);
  bool shuffled = declared (m, INK_PARAM_SHUFFLE) != 0;
  size_t *order = g_new (size_t, n);
  const InkFeatures **mb = g_new (const InkFeatures *, batch);
  GRand *r = g_rand_new_with_seed (7);
  InkNnTrainer *t;
  double *losses;
  InkError err;

  epochs = epochs < max_epochs ? epochs : max_epochs;
  losses = g_new0 (double, (size_t) epochs);
  t = ink_nn_trainer_new (m, false, 1, &err);
  g_assert_nonnull (t);
  for (size_t i = 0; i < n; i++)
    order[i] = i;
  for (int e = 0; e < epochs; e++) {
    size_t batches = 0;
    if (shuffled)
      shuffle (order, n, r);
    for (size_t i = 0; i < n; i += batch) {
      size_t k = n - i < batch ? n - i : batch;
      double loss;
      for (size_t j = 0; j < k; j++)
        mb[j] = ex[order[i + j]];
      ink_assert_ok (ink_nn_trainer_step (t, mb, k, &loss, &err), &err);
      losses[e] += loss;
      batches++;
    }
    losses[e] /= (double) batches;
  }
  *epochs_run = epochs;
  ink_nn_trainer_free (t);
  g_rand_free (r);
  g_free (mb);
  g_free (order);
  return losses;
}

#define LINEAR_N 16

static InkFeatures **
linear_examples (void)
{
  InkFeatures **ex = g_new (InkFeatures *, LINEAR_N);

  /* y = 2 x + 1.5 on x evenly spread over [-1, 1]. */
  for (size_t i = 0; i < LINEAR_N; i++) {
    double x = -1.0 + 2.0 * (double) i / (LINEAR_N - 1);
    ex[i] = ink_features_new ();
    ink_features_set (ex[i], "dense_input", double_array (x));
    ink_features_set (ex[i], "output_true", double_array (2.0 * x + 1.5));
  }
  return ex;
}

static void
check_linear (InkModel *m, InkFeatures **ex)
{
  size_t count;
  int epochs;
  double *losses = train_declared (m, ex, LINEAR_N, 1000, &epochs);
  double w = layer_weights (m, 0, INK_W_WEIGHTS, &count)[0];
  double b = layer_weights (m, 0, INK_W_BIAS, &count)[0];

  g_test_message ("linear1x1 after %d epochs: w = %.7f, b = %.7f (loss %.3g -> %.3g)", epochs, w, b,
                  losses[0], losses[epochs - 1]);
  g_assert_cmpfloat_with_epsilon (w, 2.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (b, 1.5, 1e-3);
  g_free (losses);
}

static void
test_fixture_linear (void)
{
  g_autofree char *path = ink_test_fixture_path ("coreml/nn_updatable_linear1x1_mse.mlmodel");
  InkFeatures **ex;
  InkModel *m;
  InkError err;

  if (path == NULL)
    return;
  m = ink_coreml_compile_file (path, &err);
  g_assert_nonnull (m);
  /* Its declared training: SGD, lr 0.03, batch 1, momentum 0, 100 epochs. */
  g_assert_cmpfloat (declared (m, INK_PARAM_LEARNING_RATE), ==, 0.03);
  g_assert_cmpfloat (declared (m, INK_PARAM_MINI_BATCH_SIZE), ==, 1);
  g_assert_cmpfloat (declared (m, INK_PARAM_EPOCHS), ==, 100);
  ex = linear_examples ();
  check_linear (m, ex);
  examples_free (ex, LINEAR_N);
  ink_model_free (m);
}

/* A compiled model's weights are mapped from its file, read-only: the
 * trainer copies them before changing them, and the file stays as it was. */
static void
test_fixture_linear_mapped (void)
{
  g_autofree char *path = ink_test_fixture_path ("coreml/nn_updatable_linear1x1_mse.mlmodel");
  char *dir;
  g_autofree char *compiled = NULL;
  InkModel *m, *mapped, *again;
  InkFeatures **ex;
  size_t count;
  float w0;
  InkError err;

  if (path == NULL)
    return;
  dir = ink_test_tmpdir_new ();
  compiled = g_build_filename (dir, "linear.inkmodel", NULL);
  m = ink_coreml_compile_file (path, &err);
  g_assert_nonnull (m);
  w0 = layer_weights (m, 0, INK_W_WEIGHTS, &count)[0];
  ink_assert_ok (ink_model_save (m, compiled, &err), &err);
  mapped = ink_model_load (compiled, &err);
  g_assert_nonnull (mapped);
  ex = linear_examples ();
  check_linear (mapped, ex);
  again = ink_model_load (compiled, &err);
  g_assert_nonnull (again);
  g_assert_cmpfloat (layer_weights (again, 0, INK_W_WEIGHTS, &count)[0], ==, w0);
  examples_free (ex, LINEAR_N);
  ink_model_free (again);
  ink_model_free (mapped);
  ink_model_free (m);
  ink_test_tmpdir_free (dir);
}

#define BOSTON_FEATURES 13
/* The declared 500 epochs (about a second); ThreadSanitizer slows these
 * single-threaded loops thirtyfold, and the trend shows well before. */
#if defined(__SANITIZE_THREAD__)
#define BOSTON_MAX_EPOCHS 100
#else
#define BOSTON_MAX_EPOCHS 500
#endif

static void
test_fixture_boston (void)
{
  g_autofree char *path = ink_test_fixture_path ("coreml/nn_updatable_boston_mse.mlmodel");
  g_autofree char *data_path = ink_test_fixture_path ("coreml/data/boston_housing.txt");
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *ex = g_ptr_array_new ();
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (float));
  int64_t shape[1] = {BOSTON_FEATURES}, one[1] = {1};
  size_t n_rows, n_train;
  double *losses, first = 0, last = 0;
  int epochs, k;
  InkModel *m;
  InkError err;

  if (path == NULL || data_path == NULL) {
    g_ptr_array_unref (ex);
    g_array_unref (rows);
    return;
  }
  g_assert_true (g_file_get_contents (data_path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (size_t i = 0; lines[i] != NULL; i++) {
    float row[BOSTON_FEATURES + 1];
    char *p = lines[i], *end;
    size_t n = 0;
    while (n < BOSTON_FEATURES + 1) {
      row[n] = (float) g_ascii_strtod (p, &end);
      if (end == p)
        break;
      p = end;
      n++;
    }
    if (n == 0)
      continue;
    g_assert_cmpuint (n, ==, BOSTON_FEATURES + 1);
    g_array_append_vals (rows, row, BOSTON_FEATURES + 1);
  }
  n_rows = rows->len / (BOSTON_FEATURES + 1);
  g_assert_cmpuint (n_rows, ==, 506);
  /* As the fixture's own project prepared the data: the first 80% of the
   * rows (405) to train on, each feature standardized with their mean and
   * standard deviation. */
  n_train = (n_rows * 8 + 9) / 10;
  for (size_t c = 0; c < BOSTON_FEATURES; c++) {
    double mean = 0, var = 0;
    for (size_t r = 0; r < n_train; r++)
      mean += g_array_index (rows, float, r *(BOSTON_FEATURES + 1) + c) / (double) n_train;
    for (size_t r = 0; r < n_train; r++) {
      double d = g_array_index (rows, float, r *(BOSTON_FEATURES + 1) + c) - mean;
      var += d * d / (double) (n_train - 1);
    }
    for (size_t r = 0; r < n_train; r++) {
      float *v = &g_array_index (rows, float, r *(BOSTON_FEATURES + 1) + c);
      *v = (float) ((*v - mean) / sqrt (var));
    }
  }
  for (size_t r = 0; r < n_train; r++) {
    const float *row = &g_array_index (rows, float, r *(BOSTON_FEATURES + 1));
    InkFeatures *f = ink_features_new ();
    ink_features_set (f, "input", ink_test_array (1, shape, row));
    ink_features_set (f, "output_true", ink_test_array (1, one, row + BOSTON_FEATURES));
    g_ptr_array_add (ex, f);
  }
  m = ink_coreml_compile_file (path, &err);
  g_assert_nonnull (m);
  losses = train_declared (m, (InkFeatures **) ex->pdata, ex->len, BOSTON_MAX_EPOCHS, &epochs);
  for (int e = 0; e < epochs; e++)
    g_test_message ("boston epoch %d: loss %.4f", e, losses[e]);
  /* Lower on average: the last quarter of the epochs below the first. */
  k = epochs / 4;
  for (int e = 0; e < k; e++) {
    first += losses[e] / k;
    last += losses[epochs - 1 - e] / k;
  }
  g_test_message ("boston: mean loss of the first %d epochs %.4f, of the last %d %.4f", k, first, k,
                  last);
  g_assert_cmpfloat (last, <, first);
  g_assert_cmpfloat (losses[epochs - 1], <, losses[0]);
  g_free (losses);
  ink_model_free (m);
  g_ptr_array_set_free_func (ex, (GDestroyNotify) ink_features_free);
  g_ptr_array_unref (ex);
  g_array_unref (rows);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nn-train/loss/cce", test_loss_cce);
  g_test_add_func ("/nn-train/loss/mse", test_loss_mse);
  g_test_add_func ("/nn-train/loss/targets", test_targets);
  g_test_add_func ("/nn-train/optimizer/sgd", test_sgd);
  g_test_add_func ("/nn-train/optimizer/adam", test_adam);
  g_test_add_func ("/nn-train/trainer/step-by-hand", test_step_by_hand);
  g_test_add_func ("/nn-train/trainer/rejects", test_trainer_rejects);
  g_test_add_func ("/nn-train/trainer/only-updatable", test_only_updatable);
  g_test_add_func ("/nn-train/trainer/reproducible", test_reproducible);
  g_test_add_func ("/nn-train/trainer/gradient-check", test_gradient_check);
  g_test_add_func ("/nn-train/trainer/grouped-gradients", test_grouped_gradients);
  g_test_add_func ("/nn-train/trainer/frozen-layers-at-inference", test_frozen_layers_at_inference);
  g_test_add_func ("/nn-train/trainer/gradient-check-cce-unfused", test_gradient_check_cce_unfused);
  g_test_add_func ("/nn-train/trainer/gradient-check-mse", test_gradient_check_mse);
  g_test_add_func ("/nn-train/fixture/linear1x1", test_fixture_linear);
  g_test_add_func ("/nn-train/fixture/linear1x1-mapped", test_fixture_linear_mapped);
  g_test_add_func ("/nn-train/fixture/boston", test_fixture_boston);
  return g_test_run ();
}

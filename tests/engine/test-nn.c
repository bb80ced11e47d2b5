/* test-nn.c: whole neural networks: composition, classifiers, regressors, outputs, errors
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "ink-nn-private.h"
#include "test-util.h"

/* Networks are checked against references composed here from plain loops
 * (double accumulation), independent of the engine's kernels. */

#define TOL 1e-5

/* ---- Building, with the first failure recorded ---- */

typedef struct {
  InkModel *m;
  InkStatus st; /* the first failing builder call's status, or INK_OK */
  InkError err;
} Build;

static void
build_init (Build *b, InkModelKind kind)
{
  memset (b, 0, sizeof *b);
  b->m = ink_nn_new (kind);
  g_assert_nonnull (b->m);
}

static void
build_note (Build *b, InkStatus st, const InkError *err)
{
  if (b->st == INK_OK && st != INK_OK) {
    b->st = st;
    b->err = *err;
  }
}

/* A multi-array Float32 input: rank 1 [c] when h = w = 1, else [c, h, w]. */
static void
build_input (Build *b, const char *name, size_t c, size_t h, size_t w)
{
  int64_t dims[3] = {(int64_t) c, (int64_t) h, (int64_t) w};
  InkFeatureType t =
    ink_feature_type_multiarray (INK_ARRAY_FLOAT32, h == 1 && w == 1 ? 1 : 3, dims);
  InkError err;

  build_note (b, ink_model_add_input (b->m, name, &t, "", &err), &err);
}

static void
build_output_type (Build *b, const char *name, InkFeatureType t)
{
  InkError err;

  build_note (b, ink_model_add_output (b->m, name, &t, "", &err), &err);
}

/* A Float32 multi-array output of any shape. */
static void
build_output (Build *b, const char *name)
{
  build_output_type (b, name, ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 0, NULL));
}

static void
build_layer_n (Build *b, InkLayerSpec spec, const char *name, const char *const *ins, size_t n,
               const char *out)
{
  const char *outs[1] = {out};
  InkError err;

  spec.name = name;
  spec.inputs = ins;
  spec.n_inputs = n;
  spec.outputs = outs;
  spec.n_outputs = 1;
  build_note (b, ink_nn_add_layer (b->m, &spec, &err), &err);
}

static void
build_layer (Build *b, InkLayerSpec spec, const char *name, const char *in, const char *out)
{
  const char *ins[1] = {in};

  build_layer_n (b, spec, name, ins, 1, out);
}

static InkModel *
build_finish (Build *b)
{
  InkError err;

  ink_assert_ok (b->st, &b->err);
  ink_assert_ok (ink_model_finish (b->m, &err), &err);
  return b->m;
}

/* The model is rejected, by a builder call or else by ink_model_finish, with
 * a message naming each of word1 and word2 (when not NULL); afterwards it
 * cannot predict. */
static void
expect_rejected (Build *b, const char *word1, const char *word2)
{
  InkError err = b->err;
  InkStatus st = b->st;
  InkFeatures *in = ink_features_new (), *out = NULL;
  InkError perr;

  if (st == INK_OK)
    st = ink_model_finish (b->m, &err);
  g_assert_cmpint (st, !=, INK_OK);
  g_assert_cmpint (err.status, ==, st);
  g_assert_cmpstr (err.message, !=, "");
  g_test_message ("rejected (%s): %s", ink_status_to_string (st), err.message);
  if (word1 != NULL && strstr (err.message, word1) == NULL)
    g_error ("message \"%s\" does not name '%s'", err.message, word1);
  if (word2 != NULL && strstr (err.message, word2) == NULL)
    g_error ("message \"%s\" does not name '%s'", err.message, word2);
  g_assert_cmpint (ink_model_predict (b->m, in, &out, &perr), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_null (out);
  ink_features_free (in);
  ink_model_free (b->m);
  b->m = NULL;
}

static InkValue *
vector_value (size_t n, const float *data)
{
  int64_t dims[1] = {(int64_t) n};

  return ink_test_array (1, dims, data);
}

static InkValue *
tensor_value (size_t c, size_t h, size_t w, const float *data)
{
  int64_t dims[3] = {(int64_t) c, (int64_t) h, (int64_t) w};

  return ink_test_array (3, dims, data);
}

static float *
random_floats (size_t n, guint32 seed, float lo, float hi)
{
  float *v = g_new (float, n);

  ink_test_fill_random (v, n, seed, lo, hi);
  return v;
}

/* Output name as floats, checked to hold n values. */
static float *
output_floats (const InkFeatures *out, const char *name, size_t n)
{
  const InkValue *v = ink_features_get (out, name);
  float *y;

  if (v == NULL)
    g_error ("no output '%s'", name);
  g_assert_cmpint (ink_value_get_type (v), ==, INK_VALUE_MULTIARRAY);
  g_assert_cmpuint (ink_value_array_count (v), ==, n);
  y = g_new (float, n);
  for (size_t i = 0; i < n; i++)
    y[i] = (float) ink_value_array_get (v, i);
  return y;
}

/* ---- References ---- */

/* Stride-1 convolution with zero padding: lead rows/columns before the input. */
static void
ref_conv (const float *x, size_t c, size_t h, size_t w, const float *wt, const float *bias,
          size_t oc, size_t k, size_t lead, size_t oh, size_t ow, float *y)
{
  for (size_t o = 0; o < oc; o++) {
    for (size_t oy = 0; oy < oh; oy++) {
      for (size_t ox = 0; ox < ow; ox++) {
        double acc = bias[o];
        for (size_t ic = 0; ic < c; ic++) {
          for (size_t ky = 0; ky < k; ky++) {
            for (size_t kx = 0; kx < k; kx++) {
              long iy = (long) (oy + ky) - (long) lead, ix = (long) (ox + kx) - (long) lead;
              if (iy >= 0 && ix >= 0 && iy < (long) h && ix < (long) w)
                acc += (double) wt[((o * c + ic) * k + ky) * k + kx] *
                       x[(ic * h + (size_t) iy) * w + (size_t) ix];
            }
          }
        }
        y[(o * oh + oy) * ow + ox] = (float) acc;
      }
    }
  }
}

static void
ref_relu (float *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    v[i] = v[i] > 0 ? v[i] : 0;
}

/* 2x2 max pooling, stride 2, no padding. */
static void
ref_maxpool2 (const float *x, size_t c, size_t h, size_t w, float *y)
{
  for (size_t ch = 0; ch < c; ch++) {
    for (size_t oy = 0; oy < h / 2; oy++) {
      for (size_t ox = 0; ox < w / 2; ox++) {
        float m = -INFINITY;
        for (size_t dy = 0; dy < 2; dy++) {
          for (size_t dx = 0; dx < 2; dx++)
            m = MAX (m, x[(ch * h + 2 * oy + dy) * w + 2 * ox + dx]);
        }
        y[(ch * (h / 2) + oy) * (w / 2) + ox] = m;
      }
    }
  }
}

static void
ref_inner_product (const float *x, size_t n_in, const float *w, const float *b, size_t n_out,
                   float *y)
{
  for (size_t o = 0; o < n_out; o++) {
    double acc = b != NULL ? b[o] : 0.0;
    for (size_t i = 0; i < n_in; i++)
      acc += (double) w[o * n_in + i] * x[i];
    y[o] = (float) acc;
  }
}

static void
ref_softmax (const float *x, size_t n, float *y)
{
  double m = -INFINITY, sum = 0.0;

  for (size_t i = 0; i < n; i++)
    m = MAX (m, (double) x[i]);
  for (size_t i = 0; i < n; i++)
    sum += exp ((double) x[i] - m);
  for (size_t i = 0; i < n; i++)
    y[i] = (float) (exp ((double) x[i] - m) / sum);
}

static size_t
ref_argmax (const float *v, size_t n)
{
  size_t best = 0;

  for (size_t i = 1; i < n; i++) {
    if (v[i] > v[best])
      best = i;
  }
  return best;
}

/* ---- The small CNN ----
 *
 * x [3, 8, 8] -> conv1 3x3 SAME (4) -> relu1 -> pool1 max 2x2/2 [4, 4, 4]
 * -> conv2 3x3 VALID (6) [6, 2, 2] -> flatten CHANNEL_LAST [24]
 * -> fc inner product (5) -> softmax probs [5] */

#define CNN_IN (3 * 8 * 8)
#define CNN_CONV1 (4 * 8 * 8)
#define CNN_POOL1 (4 * 4 * 4)
#define CNN_CONV2 (6 * 2 * 2)
#define CNN_CLASSES 5

typedef struct {
  float *w1, *b1, *w2, *b2, *w3, *b3;
} Cnn;

static void
cnn_init (Cnn *n)
{
  n->w1 = random_floats (4 * 3 * 9, 301, -0.5f, 0.5f);
  n->b1 = random_floats (4, 302, -0.2f, 0.2f);
  n->w2 = random_floats (6 * 4 * 9, 303, -0.5f, 0.5f);
  n->b2 = random_floats (6, 304, -0.2f, 0.2f);
  n->w3 = random_floats (CNN_CLASSES * CNN_CONV2, 305, -0.5f, 0.5f);
  n->b3 = random_floats (CNN_CLASSES, 306, -0.2f, 0.2f);
}

static void
cnn_clear (Cnn *n)
{
  g_free (n->w1);
  g_free (n->b1);
  g_free (n->w2);
  g_free (n->b2);
  g_free (n->w3);
  g_free (n->b3);
}

static void
ref_cnn (const Cnn *n, const float *x, float *conv1, float *pool1, float *logits, float *probs)
{
  float relu1[CNN_CONV1], conv2[CNN_CONV2], flat[CNN_CONV2];

  /* SAME with a 3x3 kernel and stride 1: one pixel of padding each side. */
  ref_conv (x, 3, 8, 8, n->w1, n->b1, 4, 3, 1, 8, 8, conv1);
  memcpy (relu1, conv1, sizeof relu1);
  ref_relu (relu1, CNN_CONV1);
  ref_maxpool2 (relu1, 4, 8, 8, pool1);
  ref_conv (pool1, 4, 4, 4, n->w2, n->b2, 6, 3, 0, 2, 2, conv2);
  for (size_t c = 0; c < 6; c++) {
    for (size_t p = 0; p < 4; p++)
      flat[p * 6 + c] = conv2[c * 4 + p];
  }
  ref_inner_product (flat, CNN_CONV2, n->w3, n->b3, CNN_CLASSES, logits);
  ref_softmax (logits, CNN_CLASSES, probs);
}

static const char *const cnn_labels[CNN_CLASSES] = {"circle", "square", "star", "heart", "cross"};

/* Adds the CNN's layers to b, reading input "x". */
static void
cnn_layers (Build *b, const Cnn *n)
{
  InkLayerSpec conv1 = {.kind = INK_LAYER_CONVOLUTION};
  InkLayerSpec relu1 = {.kind = INK_LAYER_ACTIVATION};
  InkLayerSpec pool1 = {.kind = INK_LAYER_POOLING};
  InkLayerSpec conv2 = {.kind = INK_LAYER_CONVOLUTION};
  InkLayerSpec flat = {.kind = INK_LAYER_FLATTEN};
  InkLayerSpec fc = {.kind = INK_LAYER_INNER_PRODUCT};
  InkLayerSpec soft = {.kind = INK_LAYER_SOFTMAX};

  conv1.params.convolution = (InkConvolutionParams){
    .out_channels = 4,
    .kernel_channels = 3,
    .kernel_h = 3,
    .kernel_w = 3,
    .padding = {.type = INK_PAD_SAME},
    .has_bias = true,
    .weights = n->w1,
    .bias = n->b1,
  };
  relu1.params.activation.type = INK_ACT_RELU;
  pool1.params.pooling = (InkPoolingParams){
    .type = INK_POOL_MAX, .kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2};
  conv2.params.convolution = (InkConvolutionParams){
    .out_channels = 6,
    .kernel_channels = 4,
    .kernel_h = 3,
    .kernel_w = 3,
    .has_bias = true,
    .weights = n->w2,
    .bias = n->b2,
  };
  flat.params.flatten.order = INK_ORDER_CHANNEL_LAST;
  fc.params.inner_product = (InkInnerProductParams){CNN_CONV2, CNN_CLASSES, true, n->w3, n->b3};
  build_layer (b, conv1, "conv1", "x", "conv1");
  build_layer (b, relu1, "relu1", "conv1", "relu1");
  build_layer (b, pool1, "pool1", "relu1", "pool1");
  build_layer (b, conv2, "conv2", "pool1", "conv2");
  build_layer (b, flat, "flatten", "conv2", "flat");
  build_layer (b, fc, "fc", "flat", "logits");
  build_layer (b, soft, "softmax", "logits", "probs");
}

/* A plain network with outputs conv1, pool1 and probs, or a classifier with
 * string labels and outputs label, labelProbs and probs. */
static InkModel *
cnn_model (const Cnn *n, InkModelKind kind)
{
  Build b;

  build_init (&b, kind);
  build_input (&b, "x", 3, 8, 8);
  if (kind == INK_MODEL_NEURAL_NETWORK_CLASSIFIER) {
    build_output_type (&b, "label", ink_feature_type_string ());
    build_output_type (&b, "labelProbs", ink_feature_type_dictionary (INK_KEY_STRING));
    ink_assert_ok (ink_model_set_predicted_feature_name (b.m, "label"), &b.err);
    ink_assert_ok (ink_model_set_predicted_probabilities_name (b.m, "labelProbs"), &b.err);
    ink_assert_ok (ink_model_set_class_labels_string (b.m, cnn_labels, CNN_CLASSES), &b.err);
  } else {
    build_output (&b, "conv1");
    build_output (&b, "pool1");
  }
  build_output (&b, "probs");
  cnn_layers (&b, n);
  return build_finish (&b);
}

static InkFeatures *
cnn_inputs (const float *x)
{
  InkFeatures *in = ink_features_new ();

  g_assert_cmpint (ink_features_set (in, "x", tensor_value (3, 8, 8, x)), ==, INK_OK);
  return in;
}

static void
test_cnn (void)
{
  Cnn n;
  InkModel *m;

  cnn_init (&n);
  m = cnn_model (&n, INK_MODEL_NEURAL_NETWORK);
  for (guint32 k = 0; k < 5; k++) {
    float *x = random_floats (CNN_IN, 310 + k, -1, 1);
    float conv1[CNN_CONV1], pool1[CNN_POOL1], logits[CNN_CLASSES], probs[CNN_CLASSES];
    InkFeatures *in = cnn_inputs (x), *out = NULL;
    InkError err;
    float *got;

    ref_cnn (&n, x, conv1, pool1, logits, probs);
    ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
    g_assert_cmpuint (ink_features_count (out), ==, 3);
    /* Intermediate blobs as outputs, with their [C, H, W] shapes. */
    got = output_floats (out, "conv1", CNN_CONV1);
    ink_test_assert_close (got, conv1, CNN_CONV1, TOL);
    g_free (got);
    got = output_floats (out, "pool1", CNN_POOL1);
    ink_test_assert_close (got, pool1, CNN_POOL1, TOL);
    g_free (got);
    {
      const InkValue *v = ink_features_get (out, "pool1");
      g_assert_cmpuint (ink_value_array_rank (v), ==, 3);
      g_assert_cmpint (ink_value_array_shape (v)[0], ==, 4);
      g_assert_cmpint (ink_value_array_shape (v)[1], ==, 4);
      g_assert_cmpint (ink_value_array_shape (v)[2], ==, 4);
    }
    got = output_floats (out, "probs", CNN_CLASSES);
    ink_test_assert_close (got, probs, CNN_CLASSES, TOL);
    g_free (got);
    ink_features_free (out);
    ink_features_free (in);
    g_free (x);
  }
  ink_model_free (m);
  cnn_clear (&n);
}

/* Checks a classifier's label, probability dictionary (string or int64 keys)
 * and extra outputs against reference scores. */
static void
check_classification (const InkFeatures *out, const float *scores, size_t n,
                      const char *const *labels, const int64_t *int_labels)
{
  const InkValue *label = ink_features_get (out, "label");
  const InkValue *dict = ink_features_get (out, "labelProbs");
  size_t best = ref_argmax (scores, n);

  g_assert_nonnull (label);
  g_assert_nonnull (dict);
  g_assert_cmpint (ink_value_get_type (dict), ==, INK_VALUE_DICTIONARY);
  g_assert_cmpuint (ink_value_dictionary_count (dict), ==, n);
  if (labels != NULL) {
    g_assert_cmpint (ink_value_get_type (label), ==, INK_VALUE_STRING);
    g_assert_cmpstr (ink_value_get_string (label), ==, labels[best]);
    g_assert_cmpint (ink_value_dictionary_key_type (dict), ==, INK_KEY_STRING);
  } else {
    g_assert_cmpint (ink_value_get_type (label), ==, INK_VALUE_INT64);
    g_assert_cmpint (ink_value_get_int64 (label), ==, int_labels[best]);
    g_assert_cmpint (ink_value_dictionary_key_type (dict), ==, INK_KEY_INT64);
  }
  for (size_t i = 0; i < n; i++) {
    double p = NAN;
    bool found = labels != NULL ? ink_value_dictionary_lookup_string (dict, labels[i], &p)
                                : ink_value_dictionary_lookup_int64 (dict, int_labels[i], &p);
    g_assert_true (found);
    g_assert_cmpfloat_with_epsilon (p, scores[i], TOL);
  }
}

static void
test_classifier_cnn (void)
{
  Cnn n;
  InkModel *m;

  cnn_init (&n);
  m = cnn_model (&n, INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  for (guint32 k = 0; k < 5; k++) {
    float *x = random_floats (CNN_IN, 320 + k, -1, 1);
    float conv1[CNN_CONV1], pool1[CNN_POOL1], logits[CNN_CLASSES], probs[CNN_CLASSES];
    InkFeatures *in = cnn_inputs (x), *out = NULL;
    InkError err;
    float *got;

    ref_cnn (&n, x, conv1, pool1, logits, probs);
    ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
    check_classification (out, probs, CNN_CLASSES, cnn_labels, NULL);
    got = output_floats (out, "probs", CNN_CLASSES);
    ink_test_assert_close (got, probs, CNN_CLASSES, TOL);
    g_free (got);
    ink_features_free (out);
    ink_features_free (in);
    g_free (x);
  }
  ink_model_free (m);
  cnn_clear (&n);
}

/* ---- A dense classifier: x [6] -> fc (n) -> softmax "probs" [-> negate] ---- */

#define DENSE_IN 6

typedef struct {
  size_t classes;
  float *w, *b;
} Dense;

static void
dense_init (Dense *d, size_t classes, guint32 seed)
{
  d->classes = classes;
  d->w = random_floats (classes * DENSE_IN, seed, -1, 1);
  d->b = random_floats (classes, seed + 1, -0.5f, 0.5f);
}

static void
dense_clear (Dense *d)
{
  g_free (d->w);
  g_free (d->b);
}

/* With negate, a last layer computes -probs into "negated". */
static void
dense_layers (Build *b, const Dense *d, bool negate)
{
  InkLayerSpec fc = {.kind = INK_LAYER_INNER_PRODUCT};
  InkLayerSpec soft = {.kind = INK_LAYER_SOFTMAX};
  InkLayerSpec neg = {.kind = INK_LAYER_ACTIVATION};

  fc.params.inner_product = (InkInnerProductParams){DENSE_IN, d->classes, true, d->w, d->b};
  neg.params.activation = (InkActivationParams){INK_ACT_LINEAR, -1.0f, 0.0f};
  build_layer (b, fc, "fc", "x", "logits");
  build_layer (b, soft, "softmax", "logits", "probs");
  if (negate)
    build_layer (b, neg, "negate", "probs", "negated");
}

static void
dense_classifier_build (Build *b, const Dense *d, const char *const *labels,
                        const int64_t *int_labels, size_t n_labels, bool negate)
{
  InkError err;

  build_init (b, INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  build_input (b, "x", DENSE_IN, 1, 1);
  build_output_type (b, "label",
                     labels != NULL ? ink_feature_type_string () : ink_feature_type_int64 ());
  build_output_type (b, "labelProbs",
                     ink_feature_type_dictionary (labels != NULL ? INK_KEY_STRING : INK_KEY_INT64));
  ink_assert_ok (ink_model_set_predicted_feature_name (b->m, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (b->m, "labelProbs"), &err);
  if (labels != NULL)
    g_assert_cmpint (ink_model_set_class_labels_string (b->m, labels, n_labels), ==, INK_OK);
  else
    g_assert_cmpint (ink_model_set_class_labels_int64 (b->m, int_labels, n_labels), ==, INK_OK);
  dense_layers (b, d, negate);
}

/* Runs the classifier on several inputs; scores come from the softmax, or
 * from its negation when negated_scores is set. */
static void
check_dense_classifier (InkModel *m, const Dense *d, const char *const *labels,
                        const int64_t *int_labels, bool negated_scores)
{
  for (guint32 k = 0; k < 12; k++) {
    float *x = random_floats (DENSE_IN, 400 + k, -2, 2);
    float logits[16], probs[16];
    InkFeatures *in = ink_features_new (), *out = NULL;
    InkError err;

    ref_inner_product (x, DENSE_IN, d->w, d->b, d->classes, logits);
    ref_softmax (logits, d->classes, probs);
    if (negated_scores) {
      for (size_t i = 0; i < d->classes; i++)
        probs[i] = -probs[i];
    }
    g_assert_cmpint (ink_features_set (in, "x", vector_value (DENSE_IN, x)), ==, INK_OK);
    ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
    check_classification (out, probs, d->classes, labels, int_labels);
    ink_features_free (out);
    ink_features_free (in);
    g_free (x);
  }
}

static void
test_classifier_string_labels (void)
{
  static const char *const labels[3] = {"cat", "dog", "bird"};
  Dense d;
  Build b;

  dense_init (&d, 3, 410);
  dense_classifier_build (&b, &d, labels, NULL, 3, false);
  build_finish (&b);
  check_dense_classifier (b.m, &d, labels, NULL, false);
  ink_model_free (b.m);
  dense_clear (&d);
}

static void
test_classifier_int64_labels (void)
{
  static const int64_t labels[4] = {10, -20, 30, 4000000000LL};
  Dense d;
  Build b;

  dense_init (&d, 4, 420);
  dense_classifier_build (&b, &d, NULL, labels, 4, false);
  build_finish (&b);
  check_dense_classifier (b.m, &d, NULL, labels, false);
  ink_model_free (b.m);
  dense_clear (&d);
}

/* The scores come from the blob named by ink_nn_set_probability_blob, not
 * from the last layer (whose negated values would flip the argmax). */
static void
test_classifier_probability_blob (void)
{
  static const char *const labels[4] = {"a", "b", "c", "d"};
  Dense d;
  Build b;

  dense_init (&d, 4, 430);
  dense_classifier_build (&b, &d, labels, NULL, 4, true);
  g_assert_cmpint (ink_nn_set_probability_blob (b.m, "probs"), ==, INK_OK);
  build_finish (&b);
  check_dense_classifier (b.m, &d, labels, NULL, false);
  ink_model_free (b.m);

  /* Without it, the last layer's output is the scores. */
  dense_classifier_build (&b, &d, labels, NULL, 4, true);
  build_finish (&b);
  check_dense_classifier (b.m, &d, labels, NULL, true);
  ink_model_free (b.m);
  dense_clear (&d);
}

/* ---- Regressors and output types ---- */

static void
test_regressor_outputs (void)
{
  float *w1 = random_floats (4, 501, -1, 1), *b1 = random_floats (1, 502, -1, 1);
  float *w2 = random_floats (8, 503, -1, 1), *b2 = random_floats (2, 504, -1, 1);
  InkLayerSpec fy = {.kind = INK_LAYER_INNER_PRODUCT}, fz = fy;
  int64_t two = 2;
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK_REGRESSOR);
  build_input (&b, "x", 4, 1, 1);
  build_output_type (&b, "y", ink_feature_type_double ());
  build_output_type (&b, "z", ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &two));
  g_assert_cmpint (ink_model_set_predicted_feature_name (b.m, "y"), ==, INK_OK);
  fy.params.inner_product = (InkInnerProductParams){4, 1, true, w1, b1};
  fz.params.inner_product = (InkInnerProductParams){4, 2, true, w2, b2};
  build_layer (&b, fy, "fc_y", "x", "y");
  build_layer (&b, fz, "fc_z", "x", "z");
  build_finish (&b);
  for (guint32 k = 0; k < 4; k++) {
    float *x = random_floats (4, 510 + k, -3, 3);
    float y[1], z[2];
    InkFeatures *in = ink_features_new (), *out = NULL;
    const InkValue *vy, *vz;
    InkError err;

    ref_inner_product (x, 4, w1, b1, 1, y);
    ref_inner_product (x, 4, w2, b2, 2, z);
    g_assert_cmpint (ink_features_set (in, "x", vector_value (4, x)), ==, INK_OK);
    ink_assert_ok (ink_model_predict (b.m, in, &out, &err), &err);
    vy = ink_features_get (out, "y");
    vz = ink_features_get (out, "z");
    g_assert_nonnull (vy);
    g_assert_nonnull (vz);
    g_assert_cmpint (ink_value_get_type (vy), ==, INK_VALUE_DOUBLE);
    g_assert_cmpfloat_with_epsilon (ink_value_get_double (vy), y[0], TOL);
    g_assert_cmpint (ink_value_get_type (vz), ==, INK_VALUE_MULTIARRAY);
    g_assert_cmpint (ink_value_array_type (vz), ==, INK_ARRAY_FLOAT64);
    g_assert_cmpuint (ink_value_array_rank (vz), ==, 1);
    g_assert_cmpint (ink_value_array_shape (vz)[0], ==, 2);
    for (int i = 0; i < 2; i++) {
      g_assert_cmpfloat_with_epsilon (((const double *) ink_value_array_const_data (vz))[i], z[i],
                                      TOL);
    }
    ink_features_free (out);
    ink_features_free (in);
    g_free (x);
  }
  ink_model_free (b.m);
  g_free (w1);
  g_free (b1);
  g_free (w2);
  g_free (b2);
}

/* Outputs declared with another shape of the same element count take it. */
static void
test_outputs_reshaped (void)
{
  static const int64_t eight[1] = {8}, two_four[2] = {2, 4}, four_two[2] = {4, 2};
  InkLayerSpec lin = {.kind = INK_LAYER_ACTIVATION};
  InkLayerSpec flat = {.kind = INK_LAYER_FLATTEN};
  float *x = random_floats (8, 520, -1, 1);
  InkFeatures *in = ink_features_new (), *out = NULL;
  const InkValue *va, *vf, *vg;
  InkError err;
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 2, 2, 2);
  build_output_type (&b, "a", ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, eight));
  build_output_type (&b, "f", ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 2, two_four));
  build_output_type (&b, "g", ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 2, four_two));
  lin.params.activation = (InkActivationParams){INK_ACT_LINEAR, 2.0f, 1.0f};
  build_layer (&b, lin, "linear", "x", "a");   /* [2, 2, 2] */
  build_layer (&b, flat, "flatten", "a", "f"); /* [8, 1, 1] */
  build_layer (&b, lin, "linear2", "a", "g");  /* [2, 2, 2] */
  build_finish (&b);
  g_assert_cmpint (ink_features_set (in, "x", tensor_value (2, 2, 2, x)), ==, INK_OK);
  ink_assert_ok (ink_model_predict (b.m, in, &out, &err), &err);
  va = ink_features_get (out, "a");
  vf = ink_features_get (out, "f");
  vg = ink_features_get (out, "g");
  g_assert_cmpuint (ink_value_array_rank (va), ==, 1);
  g_assert_cmpint (ink_value_array_shape (va)[0], ==, 8);
  g_assert_cmpuint (ink_value_array_rank (vf), ==, 2);
  g_assert_cmpint (ink_value_array_shape (vf)[0], ==, 2);
  g_assert_cmpint (ink_value_array_shape (vf)[1], ==, 4);
  g_assert_cmpuint (ink_value_array_rank (vg), ==, 2);
  g_assert_cmpint (ink_value_array_shape (vg)[0], ==, 4);
  g_assert_cmpint (ink_value_array_shape (vg)[1], ==, 2);
  g_assert_cmpint (ink_value_array_type (vg), ==, INK_ARRAY_FLOAT64);
  for (size_t i = 0; i < 8; i++) {
    double a = 2.0 * x[i] + 1.0;
    g_assert_cmpfloat_with_epsilon (ink_value_array_get (va, i), a, TOL);
    g_assert_cmpfloat_with_epsilon (ink_value_array_get (vf, i), a, TOL);
    g_assert_cmpfloat_with_epsilon (ink_value_array_get (vg, i), 2.0 * a + 1.0, TOL);
  }
  ink_features_free (out);
  ink_features_free (in);
  ink_model_free (b.m);
  g_free (x);
}

/* ---- Copies, batches, threads ---- */

/* Asserts two outputs of the CNN are bit-identical. */
static void
assert_same_outputs (const InkFeatures *a, const InkFeatures *b)
{
  g_assert_cmpuint (ink_features_count (a), ==, ink_features_count (b));
  for (size_t i = 0; i < ink_features_count (a); i++) {
    const char *name = ink_features_name_at (a, i);
    const InkValue *va = ink_features_value_at (a, i), *vb = ink_features_get (b, name);
    g_assert_nonnull (vb);
    g_assert_cmpint (ink_value_get_type (va), ==, ink_value_get_type (vb));
    if (ink_value_get_type (va) == INK_VALUE_MULTIARRAY) {
      g_assert_cmpuint (ink_value_array_count (va), ==, ink_value_array_count (vb));
      g_assert_cmpuint (ink_value_array_rank (va), ==, ink_value_array_rank (vb));
      for (size_t k = 0; k < ink_value_array_count (va); k++)
        g_assert_cmpfloat (ink_value_array_get (va, k), ==, ink_value_array_get (vb, k));
    }
  }
}

static void
test_copy (void)
{
  InkFeatures *ins[4], *outs[4];
  InkModel *m, *c;
  InkError err;
  Cnn n;

  cnn_init (&n);
  m = cnn_model (&n, INK_MODEL_NEURAL_NETWORK);
  for (guint32 k = 0; k < 4; k++) {
    float *x = random_floats (CNN_IN, 600 + k, -1, 1);
    ins[k] = cnn_inputs (x);
    ink_assert_ok (ink_model_predict (m, ins[k], &outs[k], &err), &err);
    g_free (x);
  }
  c = ink_model_copy (m, &err);
  g_assert_nonnull (c);
  /* The copy owns its weights: it outlives the original and its buffers. */
  ink_model_free (m);
  cnn_clear (&n);
  g_assert_cmpint (ink_model_get_kind (c), ==, INK_MODEL_NEURAL_NETWORK);
  for (int k = 0; k < 4; k++) {
    InkFeatures *out = NULL;
    ink_assert_ok (ink_model_predict (c, ins[k], &out, &err), &err);
    assert_same_outputs (outs[k], out);
    ink_features_free (out);
    ink_features_free (outs[k]);
    ink_features_free (ins[k]);
  }
  ink_model_free (c);
}

static void
test_copy_classifier (void)
{
  static const char *const labels[3] = {"x", "y", "z"};
  InkModel *c;
  InkError err;
  Dense d;
  Build b;

  dense_init (&d, 3, 610);
  dense_classifier_build (&b, &d, labels, NULL, 3, true);
  g_assert_cmpint (ink_nn_set_probability_blob (b.m, "probs"), ==, INK_OK);
  build_finish (&b);
  c = ink_model_copy (b.m, &err);
  g_assert_nonnull (c);
  ink_model_free (b.m);
  g_assert_cmpint (ink_model_get_kind (c), ==, INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  /* Labels and the chosen probability blob are copied too. */
  check_dense_classifier (c, &d, labels, NULL, false);
  ink_model_free (c);
  dense_clear (&d);
}

static void
test_batch (void)
{
  InkBatch *batch = ink_batch_new (), *outs = NULL;
  InkFeatures *singles[6];
  InkError err;
  InkModel *m;
  Cnn n;

  cnn_init (&n);
  m = cnn_model (&n, INK_MODEL_NEURAL_NETWORK);
  for (guint32 k = 0; k < 6; k++) {
    float *x = random_floats (CNN_IN, 620 + k, -1, 1);
    InkFeatures *in = cnn_inputs (x);
    ink_assert_ok (ink_model_predict (m, in, &singles[k], &err), &err);
    g_assert_cmpint (ink_batch_append (batch, in), ==, INK_OK);
    g_free (x);
  }
  ink_assert_ok (ink_model_predict_batch (m, batch, &outs, &err), &err);
  g_assert_cmpuint (ink_batch_count (outs), ==, 6);
  for (size_t k = 0; k < 6; k++) {
    assert_same_outputs (singles[k], ink_batch_get (outs, k));
    ink_features_free (singles[k]);
  }
  ink_batch_free (outs);
  outs = NULL;

  /* An example without its input stops the batch; the error names it. */
  g_assert_cmpint (ink_batch_append (batch, ink_features_new ()), ==, INK_OK);
  g_assert_cmpint (ink_model_predict_batch (m, batch, &outs, &err), ==, INK_ERR_MISSING_INPUT);
  g_assert_null (outs);
  g_assert_nonnull (strstr (err.message, "6"));
  g_assert_nonnull (strstr (err.message, "'x'"));
  ink_batch_free (batch);
  ink_model_free (m);
  cnn_clear (&n);
}

#define N_THREADS 4
#define N_INPUTS 8
#define N_ROUNDS 40

typedef struct {
  const InkModel *model;
  InkFeatures *const *inputs;
  const float (*expected)[CNN_CLASSES];
  int offset;
} Worker;

/* Predicts N_ROUNDS times, cycling through the inputs from its own offset;
 * returns the number of results that differ from the expected ones. */
static gpointer
worker_run (gpointer data)
{
  const Worker *w = data;
  int bad = 0;

  for (int r = 0; r < N_ROUNDS; r++) {
    int k = (w->offset + r) % N_INPUTS;
    InkFeatures *out = NULL;
    InkError err;
    const InkValue *v;
    if (ink_model_predict (w->model, w->inputs[k], &out, &err) != INK_OK) {
      bad++;
      continue;
    }
    v = ink_features_get (out, "probs");
    if (v == NULL || ink_value_array_count (v) != CNN_CLASSES ||
        memcmp (ink_value_array_const_data (v), w->expected[k], sizeof w->expected[k]) != 0)
      bad++;
    ink_features_free (out);
  }
  return GINT_TO_POINTER (bad);
}

static void
test_concurrency (void)
{
  InkFeatures *inputs[N_INPUTS];
  float expected[N_INPUTS][CNN_CLASSES];
  Worker workers[N_THREADS];
  GThread *threads[N_THREADS];
  InkError err;
  InkModel *m;
  Cnn n;

  cnn_init (&n);
  m = cnn_model (&n, INK_MODEL_NEURAL_NETWORK);
  for (guint32 k = 0; k < N_INPUTS; k++) {
    float *x = random_floats (CNN_IN, 700 + k, -1, 1);
    InkFeatures *out = NULL;
    inputs[k] = cnn_inputs (x);
    ink_assert_ok (ink_model_predict (m, inputs[k], &out, &err), &err);
    g_assert_cmpint (ink_value_array_type (ink_features_get (out, "probs")), ==, INK_ARRAY_FLOAT32);
    memcpy (expected[k], ink_value_array_const_data (ink_features_get (out, "probs")),
            sizeof expected[k]);
    ink_features_free (out);
    g_free (x);
  }
  for (int t = 0; t < N_THREADS; t++) {
    workers[t] = (Worker){m, inputs, (const float (*)[CNN_CLASSES]) expected, t * 3};
    threads[t] = g_thread_new ("predict", worker_run, &workers[t]);
  }
  for (int t = 0; t < N_THREADS; t++)
    g_assert_cmpint (GPOINTER_TO_INT (g_thread_join (threads[t])), ==, 0);
  for (int k = 0; k < N_INPUTS; k++)
    ink_features_free (inputs[k]);
  ink_model_free (m);
  cnn_clear (&n);
}

/* ---- Input errors at predict ---- */

/* A network with inputs "pixels" [6] (copied to y) and "other" [2]. */
static InkModel *
vector_model (void)
{
  InkLayerSpec lin = {.kind = INK_LAYER_ACTIVATION};
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "pixels", 6, 1, 1);
  build_input (&b, "other", 2, 1, 1);
  build_output (&b, "y");
  lin.params.activation = (InkActivationParams){INK_ACT_LINEAR, 1.0f, 0.0f};
  build_layer (&b, lin, "identity", "pixels", "y");
  return build_finish (&b);
}

static void
expect_predict_error (const InkModel *m, InkFeatures *in, InkStatus status, const char *word)
{
  InkFeatures *out = NULL;
  InkError err;

  g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, status);
  g_assert_null (out);
  g_assert_cmpint (err.status, ==, status);
  g_test_message ("predict failed (%s): %s", ink_status_to_string (status), err.message);
  if (strstr (err.message, word) == NULL)
    g_error ("message \"%s\" does not name '%s'", err.message, word);
  ink_features_free (in);
}

static void
test_error_missing_input (void)
{
  static const float x[2] = {1, 2};
  InkModel *m = vector_model ();
  InkFeatures *in = ink_features_new ();

  g_assert_cmpint (ink_features_set (in, "other", vector_value (2, x)), ==, INK_OK);
  expect_predict_error (m, in, INK_ERR_MISSING_INPUT, "pixels");
  ink_model_free (m);
}

static void
test_error_wrong_type (void)
{
  static const float x[2] = {1, 2};
  InkModel *m = vector_model ();
  InkFeatures *in = ink_features_new ();

  g_assert_cmpint (ink_features_set_string (in, "pixels", "not an array"), ==, INK_OK);
  g_assert_cmpint (ink_features_set (in, "other", vector_value (2, x)), ==, INK_OK);
  expect_predict_error (m, in, INK_ERR_TYPE_MISMATCH, "pixels");
  ink_model_free (m);
}

static void
test_error_wrong_shape (void)
{
  static const float x[7] = {1, 2, 3, 4, 5, 6, 7};
  InkModel *m = vector_model ();
  InkFeatures *in = ink_features_new ();

  g_assert_cmpint (ink_features_set (in, "pixels", vector_value (7, x)), ==, INK_OK);
  g_assert_cmpint (ink_features_set (in, "other", vector_value (2, x)), ==, INK_OK);
  expect_predict_error (m, in, INK_ERR_SHAPE_MISMATCH, "pixels");
  in = ink_features_new ();
  g_assert_cmpint (ink_features_set (in, "pixels", vector_value (6, x)), ==, INK_OK);
  g_assert_cmpint (ink_features_set (in, "other", vector_value (1, x)), ==, INK_OK);
  expect_predict_error (m, in, INK_ERR_SHAPE_MISMATCH, "other");
  ink_model_free (m);
}

/* A value with the element count of the declared shape but another shape
 * ([3, 2, 2] for [2, 3, 2]) is a wrong shape too, as in Core ML. */
static void
test_error_wrong_shape_same_count (void)
{
  static const int64_t declared[3] = {2, 3, 2}, given[3] = {3, 2, 2};
  InkLayerSpec lin = {.kind = INK_LAYER_ACTIVATION};
  InkFeatures *in = ink_features_new ();
  InkError err;
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_output_type (&b, "y", ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 0, NULL));
  {
    InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 3, declared);
    build_note (&b, ink_model_add_input (b.m, "grid", &t, "", &err), &err);
  }
  lin.params.activation = (InkActivationParams){INK_ACT_LINEAR, 1.0f, 0.0f};
  build_layer (&b, lin, "identity", "grid", "y");
  build_finish (&b);
  g_assert_cmpint (ink_features_set (in, "grid", ink_test_array (3, given, NULL)), ==, INK_OK);
  expect_predict_error (b.m, in, INK_ERR_SHAPE_MISMATCH, "grid");
  ink_model_free (b.m);
}

/* An image of another size (or format) is converted, as if the caller had
 * converted it to the input's constraint first. */
static void
test_image_other_size (void)
{
  InkFeatureType t = ink_feature_type_image (INK_PIXEL_GRAY8, 4, 3);
  InkImageScaler scaler = {"image", 1.0f / 255.0f, 0, 0, 0, -0.5f};
  InkLayerSpec flat = {.kind = INK_LAYER_FLATTEN};
  GRand *r = g_rand_new_with_seed (800);
  uint8_t gray[9 * 7], rgba[5 * 6 * 4];
  InkValue *images[2];
  InkError err;
  Build b;

  for (size_t i = 0; i < sizeof gray; i++)
    gray[i] = (uint8_t) g_rand_int_range (r, 0, 256);
  for (size_t i = 0; i < sizeof rgba; i++)
    rgba[i] = (uint8_t) g_rand_int_range (r, 0, 256);
  g_rand_free (r);
  images[0] = ink_value_new_image (INK_PIXEL_GRAY8, 9, 7, 9, gray);
  images[1] = ink_value_new_image (INK_PIXEL_RGBA8, 5, 6, 5 * 4, rgba);

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_note (&b, ink_model_add_input (b.m, "image", &t, "", &err), &err);
  build_output (&b, "y");
  build_note (&b, ink_nn_add_image_scaler (b.m, &scaler, &err), &err);
  build_layer (&b, flat, "flatten", "image", "y");
  build_finish (&b);
  for (int i = 0; i < 2; i++) {
    InkValue *converted = NULL;
    InkFeatures *in1 = ink_features_new (), *in2 = ink_features_new ();
    InkFeatures *out1 = NULL, *out2 = NULL;
    ink_assert_ok (ink_image_convert_value (images[i], &t.image, NULL, &converted, &err), &err);
    g_assert_cmpint (ink_value_image_width (converted), ==, 4);
    g_assert_cmpint (ink_value_image_height (converted), ==, 3);
    g_assert_cmpint (ink_features_set (in1, "image", images[i]), ==, INK_OK);
    g_assert_cmpint (ink_features_set (in2, "image", converted), ==, INK_OK);
    ink_assert_ok (ink_model_predict (b.m, in1, &out1, &err), &err);
    ink_assert_ok (ink_model_predict (b.m, in2, &out2, &err), &err);
    assert_same_outputs (out1, out2);
    /* And the converted pixels went through the scaler. */
    {
      const InkValue *v = ink_features_get (out2, "y");
      const uint8_t *px = ink_value_image_pixels (converted);
      g_assert_cmpuint (ink_value_array_count (v), ==, 12);
      for (size_t p = 0; p < 12; p++)
        g_assert_cmpfloat_with_epsilon (ink_value_array_get (v, p), px[p] / 255.0 - 0.5, TOL);
    }
    ink_features_free (out1);
    ink_features_free (out2);
    ink_features_free (in1);
    ink_features_free (in2);
  }
  ink_model_free (b.m);
}

/* ---- Model errors at building or finishing ---- */

static InkLayerSpec
conv_3x3 (size_t in_c, size_t out_c, const float *w)
{
  InkLayerSpec s = {.kind = INK_LAYER_CONVOLUTION};

  s.params.convolution = (InkConvolutionParams){
    .out_channels = out_c, .kernel_channels = in_c, .kernel_h = 3, .kernel_w = 3, .weights = w};
  return s;
}

static void
test_error_unknown_blob (void)
{
  InkLayerSpec relu = {.kind = INK_LAYER_ACTIVATION};
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 4, 1, 1);
  build_output (&b, "y");
  build_layer (&b, relu, "relu", "x", "r");
  build_layer (&b, relu, "reader", "nowhere", "y");
  expect_rejected (&b, "reader", "nowhere");
}

/* A layer may not read a blob produced only by a later layer. */
static void
test_error_later_blob (void)
{
  InkLayerSpec relu = {.kind = INK_LAYER_ACTIVATION};
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 4, 1, 1);
  build_output (&b, "y");
  build_layer (&b, relu, "early", "later_blob", "y");
  build_layer (&b, relu, "late", "x", "later_blob");
  expect_rejected (&b, "early", "later_blob");
}

static void
test_error_channel_mismatch (void)
{
  float w[2 * 2 * 9] = {0};
  InkLayerSpec bn = {.kind = INK_LAYER_BATCHNORM};
  float ones[5] = {1, 1, 1, 1, 1};
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 3, 5, 5);
  build_output (&b, "y");
  build_layer (&b, conv_3x3 (2, 2, w), "conv_bad", "x", "y");
  expect_rejected (&b, "conv_bad", NULL);

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 3, 5, 5);
  build_output (&b, "y");
  bn.params.batchnorm = (InkBatchnormParams){5, 0, false, ones, ones, ones, ones};
  build_layer (&b, bn, "bn_bad", "x", "y");
  expect_rejected (&b, "bn_bad", NULL);
}

static void
test_error_inner_product_size (void)
{
  float w[5 * 2] = {0};
  InkLayerSpec fc = {.kind = INK_LAYER_INNER_PRODUCT};
  Build b;

  fc.params.inner_product = (InkInnerProductParams){5, 2, false, w, NULL};
  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 2, 1, 3); /* 6 values */
  build_output (&b, "y");
  build_layer (&b, fc, "fc_bad", "x", "y");
  expect_rejected (&b, "fc_bad", NULL);
}

static void
test_error_window_too_large (void)
{
  float w[2 * 2 * 9] = {0};
  InkLayerSpec pool = {.kind = INK_LAYER_POOLING};
  Build b;

  pool.params.pooling = (InkPoolingParams){.type = INK_POOL_MAX, .kernel_h = 5, .kernel_w = 2};
  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 2, 3, 3);
  build_output (&b, "y");
  build_layer (&b, pool, "pool_big", "x", "y");
  expect_rejected (&b, "pool_big", NULL);

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 2, 3, 2);
  build_output (&b, "y");
  build_layer (&b, conv_3x3 (2, 2, w), "conv_big", "x", "y");
  expect_rejected (&b, "conv_big", NULL);
}

static void
test_error_duplicate_name (void)
{
  InkLayerSpec relu = {.kind = INK_LAYER_ACTIVATION};
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 4, 1, 1);
  build_output (&b, "y");
  build_layer (&b, relu, "twice", "x", "a");
  build_layer (&b, relu, "twice", "a", "y");
  expect_rejected (&b, "twice", NULL);
}

static void
test_error_blob_produced_twice (void)
{
  InkLayerSpec relu = {.kind = INK_LAYER_ACTIVATION};
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 4, 1, 1);
  build_output (&b, "y");
  build_layer (&b, relu, "first", "x", "y");
  build_layer (&b, relu, "second", "x", "y");
  expect_rejected (&b, "y", NULL);
}

static void
test_error_missing_weights (void)
{
  float w[3 * 2] = {0}, ones[2] = {1, 1};
  InkLayerSpec fc = {.kind = INK_LAYER_INNER_PRODUCT};
  InkLayerSpec bn = {.kind = INK_LAYER_BATCHNORM};
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 2, 5, 5);
  build_output (&b, "y");
  build_layer (&b, conv_3x3 (2, 2, NULL), "conv_no_weights", "x", "y");
  expect_rejected (&b, "conv_no_weights", NULL);

  /* has_bias without a bias. */
  fc.params.inner_product = (InkInnerProductParams){3, 2, true, w, NULL};
  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 3, 1, 1);
  build_output (&b, "y");
  build_layer (&b, fc, "fc_no_bias", "x", "y");
  expect_rejected (&b, "fc_no_bias", NULL);

  /* Batchnorm without its variance. */
  bn.params.batchnorm = (InkBatchnormParams){2, 0, false, ones, ones, ones, NULL};
  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 2, 2, 2);
  build_output (&b, "y");
  build_layer (&b, bn, "bn_no_variance", "x", "y");
  expect_rejected (&b, "bn_no_variance", NULL);
}

static void
test_error_label_count (void)
{
  static const char *const labels[4] = {"a", "b", "c", "d"};
  Dense d;
  Build b;

  dense_init (&d, 3, 900);
  dense_classifier_build (&b, &d, labels, NULL, 4, false);
  expect_rejected (&b, "label", NULL);
  dense_clear (&d);
}

static void
test_error_probability_blob (void)
{
  static const char *const labels[3] = {"a", "b", "c"};
  Dense d;
  Build b;

  dense_init (&d, 3, 910);
  dense_classifier_build (&b, &d, labels, NULL, 3, false);
  g_assert_cmpint (ink_nn_set_probability_blob (b.m, "no_such_scores"), ==, INK_OK);
  expect_rejected (&b, "no_such_scores", NULL);
  dense_clear (&d);
}

static void
test_error_add_broadcast (void)
{
  static const struct {
    size_t a[3], b[3];
  } cases[] = {
    {{3, 4, 4}, {2, 4, 4}},
    {{3, 4, 4}, {3, 2, 4}},
    {{3, 4, 4}, {3, 4, 3}},
    {{3, 4, 4}, {2, 1, 1}},
  };
  InkLayerSpec add = {.kind = INK_LAYER_ADD};
  const char *ins[2] = {"a", "b"};

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    Build b;
    build_init (&b, INK_MODEL_NEURAL_NETWORK);
    build_input (&b, "a", cases[i].a[0], cases[i].a[1], cases[i].a[2]);
    build_input (&b, "b", cases[i].b[0], cases[i].b[1], cases[i].b[2]);
    build_output (&b, "y");
    build_layer_n (&b, add, "add_bad", ins, 2, "y");
    expect_rejected (&b, "add_bad", NULL);
  }
}

static void
test_error_concat_size (void)
{
  InkLayerSpec cat = {.kind = INK_LAYER_CONCAT};
  const char *ins[3] = {"a", "b", "c"};
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "a", 2, 3, 3);
  build_input (&b, "b", 2, 3, 4);
  build_output (&b, "y");
  build_layer_n (&b, cat, "cat_bad", ins, 2, "y");
  expect_rejected (&b, "cat_bad", NULL);

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "a", 2, 3, 3);
  build_input (&b, "b", 1, 3, 3);
  build_input (&b, "c", 1, 2, 3);
  build_output (&b, "y");
  build_layer_n (&b, cat, "cat_bad3", ins, 3, "y");
  expect_rejected (&b, "cat_bad3", NULL);
}

static void
test_error_no_layers (void)
{
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 4, 1, 1);
  build_output (&b, "x_out");
  expect_rejected (&b, NULL, NULL);
}

static void
test_error_output_not_produced (void)
{
  InkLayerSpec relu = {.kind = INK_LAYER_ACTIVATION};
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 4, 1, 1);
  build_output (&b, "y");
  build_output (&b, "ghost");
  build_layer (&b, relu, "relu", "x", "y");
  expect_rejected (&b, "ghost", NULL);
}

static void
test_error_scaler_not_image (void)
{
  InkLayerSpec relu = {.kind = INK_LAYER_ACTIVATION};
  InkImageScaler s = {"x", 1.0f, 0, 0, 0, 0};
  InkError err;
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 4, 1, 1);
  build_output (&b, "y");
  build_layer (&b, relu, "relu", "x", "y");
  build_note (&b, ink_nn_add_image_scaler (b.m, &s, &err), &err);
  expect_rejected (&b, "'x'", NULL);
}

static void
test_error_unfinished (void)
{
  InkLayerSpec relu = {.kind = INK_LAYER_ACTIVATION};
  static const float x[4] = {1, 2, 3, 4};
  InkFeatures *in = ink_features_new (), *out = NULL;
  InkError err;
  Build b;

  build_init (&b, INK_MODEL_NEURAL_NETWORK);
  build_input (&b, "x", 4, 1, 1);
  build_output (&b, "y");
  build_layer (&b, relu, "relu", "x", "y");
  ink_assert_ok (b.st, &b.err);
  g_assert_cmpint (ink_features_set (in, "x", vector_value (4, x)), ==, INK_OK);
  g_assert_cmpint (ink_model_predict (b.m, in, &out, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_null (out);
  g_assert_cmpstr (err.message, !=, "");
  /* Finishing makes it usable. */
  ink_assert_ok (ink_model_finish (b.m, &err), &err);
  ink_assert_ok (ink_model_predict (b.m, in, &out, &err), &err);
  g_assert_nonnull (ink_features_get (out, "y"));
  ink_features_free (out);
  ink_features_free (in);
  ink_model_free (b.m);
}

/* ---- Fused convolution, activation and max pooling ----
 *
 * At inference a convolution followed by an activation and a max pooling
 * is computed as one when nothing else reads the first two outputs. The
 * pooled values must be bit for bit those of the layers run one by one,
 * which is what a network gives when the convolution's output is also a
 * model output (so it is not fused). */

typedef struct {
  size_t c, h, w; /* input */
  size_t oc, k;   /* convolution: out channels, kernel size */
  InkPaddingType conv_pad;
  InkActivationType act;
  size_t pk, ps; /* pooling kernel and stride */
  InkPaddingType pool_pad;
  bool fusable;
} FuseCase;

static InkModel *
fuse_model (const FuseCase *fc, const float *w, const float *b, bool conv_output)
{
  InkLayerSpec conv = {.kind = INK_LAYER_CONVOLUTION};
  InkLayerSpec act = {.kind = INK_LAYER_ACTIVATION};
  InkLayerSpec pool = {.kind = INK_LAYER_POOLING};
  Build bd;

  build_init (&bd, INK_MODEL_NEURAL_NETWORK);
  build_input (&bd, "x", fc->c, fc->h, fc->w);
  build_output (&bd, "pool");
  if (conv_output)
    build_output (&bd, "conv");
  conv.params.convolution = (InkConvolutionParams){
    .out_channels = fc->oc,
    .kernel_channels = fc->c,
    .kernel_h = fc->k,
    .kernel_w = fc->k,
    .padding = {.type = fc->conv_pad},
    .has_bias = true,
    .weights = w,
    .bias = b,
  };
  act.params.activation = (InkActivationParams){.type = fc->act, .alpha = 0.1f};
  pool.params.pooling = (InkPoolingParams){.type = INK_POOL_MAX,
                                           .kernel_h = fc->pk,
                                           .kernel_w = fc->pk,
                                           .stride_h = fc->ps,
                                           .stride_w = fc->ps,
                                           .padding = {.type = fc->pool_pad}};
  build_layer (&bd, conv, "conv", "x", "conv");
  build_layer (&bd, act, "act", "conv", "act");
  build_layer (&bd, pool, "pool", "act", "pool");
  return build_finish (&bd);
}

static void
test_fused_conv_pool (void)
{
  static const FuseCase cases[] = {
    {3, 8, 8, 6, 3, INK_PAD_SAME, INK_ACT_RELU, 2, 2, INK_PAD_VALID, true},
    {1, 28, 28, 16, 3, INK_PAD_SAME, INK_ACT_RELU, 2, 2, INK_PAD_VALID, true},
    {16, 7, 7, 9, 3, INK_PAD_SAME, INK_ACT_RELU, 2, 2, INK_PAD_VALID, true},
    {2, 5, 9, 4, 3, INK_PAD_VALID, INK_ACT_LEAKY_RELU, 3, 2, INK_PAD_VALID, true},
    {4, 9, 11, 5, 5, INK_PAD_SAME, INK_ACT_TANH, 3, 1, INK_PAD_VALID, true},
    /* SAME pooling of 7 columns: the last window is cut at the edge. */
    {3, 7, 7, 4, 3, INK_PAD_SAME, INK_ACT_RELU, 2, 2, INK_PAD_SAME, false},
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    const FuseCase *fc = &cases[i];
    float *w = random_floats (fc->oc * fc->c * fc->k * fc->k, 700 + (guint32) i, -0.5f, 0.5f);
    float *b = random_floats (fc->oc, 800 + (guint32) i, -0.3f, 0.3f);
    float *x = random_floats (fc->c * fc->h * fc->w, 900 + (guint32) i, -1.0f, 1.0f);
    InkModel *fused = fuse_model (fc, w, b, false), *plain = fuse_model (fc, w, b, true);
    InkFeatures *in = ink_features_new (), *out_f = NULL, *out_p = NULL;
    const InkValue *vf, *vp;
    InkError err;

    g_assert_cmpint (fused->body.nn->layers[0].fused, ==, fc->fusable);
    g_assert_false (plain->body.nn->layers[0].fused);
    /* Zeros and exact ties in the input too. */
    for (size_t j = 0; j < fc->c * fc->h * fc->w; j += 7)
      x[j] = 0.0f;
    ink_features_set (in, "x", tensor_value (fc->c, fc->h, fc->w, x));
    ink_assert_ok (ink_model_predict (fused, in, &out_f, &err), &err);
    ink_assert_ok (ink_model_predict (plain, in, &out_p, &err), &err);
    vf = ink_features_get (out_f, "pool");
    vp = ink_features_get (out_p, "pool");
    g_assert_cmpuint (ink_value_array_count (vf), ==, ink_value_array_count (vp));
    g_assert_cmpmem (ink_value_array_const_data (vf), ink_value_array_count (vf) * sizeof (float),
                     ink_value_array_const_data (vp), ink_value_array_count (vp) * sizeof (float));
    ink_features_free (out_f);
    ink_features_free (out_p);
    ink_features_free (in);
    ink_model_free (fused);
    ink_model_free (plain);
    g_free (w);
    g_free (b);
    g_free (x);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/nn/cnn", test_cnn);
  g_test_add_func ("/engine/nn/classifier/cnn", test_classifier_cnn);
  g_test_add_func ("/engine/nn/classifier/string-labels", test_classifier_string_labels);
  g_test_add_func ("/engine/nn/classifier/int64-labels", test_classifier_int64_labels);
  g_test_add_func ("/engine/nn/classifier/probability-blob", test_classifier_probability_blob);
  g_test_add_func ("/engine/nn/regressor/outputs", test_regressor_outputs);
  g_test_add_func ("/engine/nn/outputs/reshaped", test_outputs_reshaped);
  g_test_add_func ("/engine/nn/copy/network", test_copy);
  g_test_add_func ("/engine/nn/copy/classifier", test_copy_classifier);
  g_test_add_func ("/engine/nn/batch", test_batch);
  g_test_add_func ("/engine/nn/concurrency", test_concurrency);
  g_test_add_func ("/engine/nn/inputs/image-other-size", test_image_other_size);
  g_test_add_func ("/engine/nn/fused-conv-pool", test_fused_conv_pool);

  g_test_add_func ("/engine/nn/errors/missing-input", test_error_missing_input);
  g_test_add_func ("/engine/nn/errors/wrong-type", test_error_wrong_type);
  g_test_add_func ("/engine/nn/errors/wrong-shape", test_error_wrong_shape);
  g_test_add_func ("/engine/nn/errors/wrong-shape-same-count", test_error_wrong_shape_same_count);
  g_test_add_func ("/engine/nn/errors/unknown-blob", test_error_unknown_blob);
  g_test_add_func ("/engine/nn/errors/later-blob", test_error_later_blob);
  g_test_add_func ("/engine/nn/errors/channel-mismatch", test_error_channel_mismatch);
  g_test_add_func ("/engine/nn/errors/inner-product-size", test_error_inner_product_size);
  g_test_add_func ("/engine/nn/errors/window-too-large", test_error_window_too_large);
  g_test_add_func ("/engine/nn/errors/duplicate-name", test_error_duplicate_name);
  g_test_add_func ("/engine/nn/errors/blob-produced-twice", test_error_blob_produced_twice);
  g_test_add_func ("/engine/nn/errors/missing-weights", test_error_missing_weights);
  g_test_add_func ("/engine/nn/errors/label-count", test_error_label_count);
  g_test_add_func ("/engine/nn/errors/probability-blob", test_error_probability_blob);
  g_test_add_func ("/engine/nn/errors/add-broadcast", test_error_add_broadcast);
  g_test_add_func ("/engine/nn/errors/concat-size", test_error_concat_size);
  g_test_add_func ("/engine/nn/errors/no-layers", test_error_no_layers);
  g_test_add_func ("/engine/nn/errors/output-not-produced", test_error_output_not_produced);
  g_test_add_func ("/engine/nn/errors/scaler-not-image", test_error_scaler_not_image);
  g_test_add_func ("/engine/nn/errors/unfinished", test_error_unfinished);

  return g_test_run ();
}

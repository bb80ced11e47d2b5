/* test-inkmodel.c: the compiled .inkmodel format and atomic writes
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ink-crc32.h"
#include "ink-model-private.h"
#include "test-util.h"

#define HEADER_SIZE 64

/* ---- Helpers ---- */

/* A plain bitwise CRC-32 (IEEE), independent of the engine's. */
static guint32
ref_crc32 (const void *data, gsize n)
{
  const guint8 *p = data;
  guint32 crc = 0xFFFFFFFFu;

  for (gsize i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++)
      crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
  }
  return ~crc;
}

static guint32
rd32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint64
rd64 (const guint8 *p)
{
  return (guint64) rd32 (p) | (guint64) rd32 (p + 4) << 32;
}

static void
wr32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static void
wr64 (guint8 *p, guint64 v)
{
  wr32 (p, (guint32) v);
  wr32 (p + 4, (guint32) (v >> 32));
}

static void
fix_header_crc (guint8 *file)
{
  wr32 (file + 60, ref_crc32 (file, 60));
}

typedef struct {
  guint8 *data;
  gsize size;
  guint64 json_off, json_size, w_off, w_size;
} ModelFile;

static void
model_file_read (ModelFile *f, const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents;

  g_assert_true (g_file_get_contents (path, &contents, &f->size, &error));
  g_assert_no_error (error);
  f->data = (guint8 *) contents;
  g_assert_cmpuint (f->size, >=, HEADER_SIZE);
  f->json_off = rd64 (f->data + 20);
  f->json_size = rd64 (f->data + 28);
  f->w_off = rd64 (f->data + 40);
  f->w_size = rd64 (f->data + 48);
}

static void
write_bytes (const char *path, const void *data, gsize size)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, data, (gssize) size, &error);
  g_assert_no_error (error);
}

/* A file composed from the format's description, independently of the
 * engine's writer. */
static GByteArray *
compose_file (const char *json, gsize json_len, const guint8 *weights, gsize w_len, guint32 version,
              guint32 flags)
{
  GByteArray *b = g_byte_array_new ();
  guint8 header[HEADER_SIZE] = {0};
  guint64 w_off = (HEADER_SIZE + json_len + 63) / 64 * 64;
  static const guint8 zeros[64];

  memcpy (header, "INKMODEL", 8);
  wr32 (header + 8, version);
  wr32 (header + 12, HEADER_SIZE);
  wr32 (header + 16, flags);
  wr64 (header + 20, HEADER_SIZE);
  wr64 (header + 28, json_len);
  wr32 (header + 36, ref_crc32 (json, json_len));
  wr64 (header + 40, w_off);
  wr64 (header + 48, w_len);
  wr32 (header + 56, ref_crc32 (weights, w_len));
  fix_header_crc (header);
  g_byte_array_append (b, header, sizeof header);
  g_byte_array_append (b, (const guint8 *) json, (guint) json_len);
  g_byte_array_append (b, zeros, (guint) (w_off - HEADER_SIZE - json_len));
  if (w_len > 0)
    g_byte_array_append (b, weights, (guint) w_len);
  return b;
}

/* Loads path expecting failure with status and a message containing
 * substring (when not NULL). */
static void
assert_load_fails (const char *path, InkStatus status, const char *substring)
{
  InkError err;
  InkModel *m = ink_model_load (path, &err);

  if (m != NULL)
    g_error ("loading %s succeeded; expected %s (%s)", path, ink_status_to_string (status),
             substring ? substring : "");
  g_test_message ("%s", err.message);
  if (err.status != status || (substring != NULL && strstr (err.message, substring) == NULL))
    g_error ("expected %s \"%s\", got %s: %s", ink_status_to_string (status),
             substring ? substring : "", ink_status_to_string (err.status), err.message);
}

static void
assert_bytes_load_fails (const char *path, const void *data, gsize size, InkStatus status,
                         const char *substring)
{
  write_bytes (path, data, size);
  assert_load_fails (path, status, substring);
}

/* Names in dir other than the given ones (NULL-terminated); caller frees. */
static GPtrArray *
unexpected_files (const char *dir, const char *const *expected)
{
  GPtrArray *extra = g_ptr_array_new_with_free_func (g_free);
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL) {
    if (expected == NULL || !g_strv_contains (expected, name))
      g_ptr_array_add (extra, g_strdup (name));
  }
  g_dir_close (d);
  return extra;
}

static void
assert_only_files (const char *dir, const char *const *expected)
{
  g_autoptr (GPtrArray) extra = unexpected_files (dir, expected);

  if (extra->len > 0)
    g_error ("unexpected file %s left in %s", (const char *) extra->pdata[0], dir);
}

static void
assert_file_content (const char *path, const char *content)
{
  g_autofree char *got = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &got, &len, NULL));
  g_assert_cmpmem (got, len, content, strlen (content));
}

/* ---- Bitwise comparison of predictions ---- */

static void assert_values_identical (const InkValue *a, const InkValue *b, const char *name);

static gsize
array_elem_size (InkArrayType t)
{
  return t == INK_ARRAY_FLOAT64 ? 8 : 4;
}

static void
assert_values_identical (const InkValue *a, const InkValue *b, const char *name)
{
  InkValueType t = ink_value_get_type (a);
  double x, y;

  g_assert_nonnull (b);
  if (ink_value_get_type (b) != t)
    g_error ("output %s: value types differ", name);
  switch (t) {
  case INK_VALUE_INT64:
    g_assert_cmpint (ink_value_get_int64 (a), ==, ink_value_get_int64 (b));
    break;
  case INK_VALUE_DOUBLE:
    x = ink_value_get_double (a);
    y = ink_value_get_double (b);
    if (memcmp (&x, &y, sizeof x) != 0)
      g_error ("output %s: %.17g vs %.17g", name, x, y);
    break;
  case INK_VALUE_STRING:
    g_assert_cmpstr (ink_value_get_string (a), ==, ink_value_get_string (b));
    break;
  case INK_VALUE_MULTIARRAY:
    g_assert_cmpint (ink_value_array_type (a), ==, ink_value_array_type (b));
    g_assert_cmpuint (ink_value_array_rank (a), ==, ink_value_array_rank (b));
    g_assert_cmpmem (ink_value_array_shape (a), ink_value_array_rank (a) * sizeof (int64_t),
                     ink_value_array_shape (b), ink_value_array_rank (b) * sizeof (int64_t));
    g_assert_cmpmem (ink_value_array_const_data (a),
                     ink_value_array_count (a) * array_elem_size (ink_value_array_type (a)),
                     ink_value_array_const_data (b),
                     ink_value_array_count (b) * array_elem_size (ink_value_array_type (b)));
    break;
  case INK_VALUE_IMAGE:
    g_assert_cmpint (ink_value_image_format (a), ==, ink_value_image_format (b));
    g_assert_cmpint (ink_value_image_width (a), ==, ink_value_image_width (b));
    g_assert_cmpint (ink_value_image_height (a), ==, ink_value_image_height (b));
    g_assert_cmpmem (
      ink_value_image_pixels (a), ink_value_image_stride (a) * (gsize) ink_value_image_height (a),
      ink_value_image_pixels (b), ink_value_image_stride (b) * (gsize) ink_value_image_height (b));
    break;
  case INK_VALUE_DICTIONARY:
    g_assert_cmpint (ink_value_dictionary_key_type (a), ==, ink_value_dictionary_key_type (b));
    g_assert_cmpuint (ink_value_dictionary_count (a), ==, ink_value_dictionary_count (b));
    for (size_t i = 0; i < ink_value_dictionary_count (a); i++) {
      if (ink_value_dictionary_key_type (a) == INK_KEY_STRING)
        g_assert_cmpstr (ink_value_dictionary_string_key (a, i), ==,
                         ink_value_dictionary_string_key (b, i));
      else
        g_assert_cmpint (ink_value_dictionary_int64_key (a, i), ==,
                         ink_value_dictionary_int64_key (b, i));
      x = ink_value_dictionary_value (a, i);
      y = ink_value_dictionary_value (b, i);
      if (memcmp (&x, &y, sizeof x) != 0)
        g_error ("output %s[%zu]: %.17g vs %.17g", name, i, x, y);
    }
    break;
  case INK_VALUE_SEQUENCE:
    g_assert_cmpuint (ink_value_sequence_count (a), ==, ink_value_sequence_count (b));
    for (size_t i = 0; i < ink_value_sequence_count (a); i++)
      assert_values_identical (ink_value_sequence_get (a, i), ink_value_sequence_get (b, i), name);
    break;
  case INK_VALUE_INVALID: g_error ("output %s: invalid value", name);
  }
}

static void
assert_predictions_identical (const InkModel *a, const InkModel *b, const InkFeatures *inputs)
{
  InkError err;
  InkFeatures *oa = NULL, *ob = NULL;

  ink_assert_ok (ink_model_predict (a, inputs, &oa, &err), &err);
  ink_assert_ok (ink_model_predict (b, inputs, &ob, &err), &err);
  g_assert_cmpuint (ink_features_count (oa), >, 0);
  g_assert_cmpuint (ink_features_count (oa), ==, ink_features_count (ob));
  for (size_t i = 0; i < ink_features_count (oa); i++) {
    const char *name = ink_features_name_at (oa, i);

    assert_values_identical (ink_features_value_at (oa, i), ink_features_get (ob, name), name);
  }
  ink_features_free (oa);
  ink_features_free (ob);
}

/* ---- Test models ---- */

/* Finishes m, or skips the test (returning NULL) when its kind is not
 * available in this build yet. */
static InkModel *
finish_or_skip (InkModel *m, const char *what)
{
  InkError err;
  InkStatus st;

  if (m == NULL) {
    g_test_skip_printf ("%s models are not available", what);
    return NULL;
  }
  st = ink_model_finish (m, &err);
  if (st == INK_ERR_UNSUPPORTED) {
    g_test_skip_printf ("%s: %s", what, err.message);
    ink_model_free (m);
    return NULL;
  }
  ink_assert_ok (st, &err);
  return m;
}

static const char *const string_labels[] = {"sun", "heart", "star"};

/* Convolution + ReLU + max pooling + inner product + softmax over a
 * 1x8x8 input; hidden > 0 adds an inner product of in x hidden weights
 * (a big model for the load-time test). */
static InkModel *
make_nn (size_t hidden)
{
  const int64_t in_shape[] = {1, 8, 8};
  InkFeatureType in_type = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 3, in_shape);
  InkFeatureType label_type = ink_feature_type_string ();
  InkFeatureType probs_type = ink_feature_type_dictionary (INK_KEY_STRING);
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  float conv_w[4 * 9], conv_b[4], fc1_w[64 * 3], fc1_b[3];
  g_autofree float *big_w = NULL, *big_b = NULL, *fc2_w = NULL;
  InkError err;

  if (m == NULL)
    return NULL;
  ink_test_fill_random (conv_w, G_N_ELEMENTS (conv_w), 1, -1, 1);
  ink_test_fill_random (conv_b, G_N_ELEMENTS (conv_b), 2, -0.1f, 0.1f);
  ink_test_fill_random (fc1_w, G_N_ELEMENTS (fc1_w), 3, -0.5f, 0.5f);
  ink_test_fill_random (fc1_b, G_N_ELEMENTS (fc1_b), 4, -0.1f, 0.1f);

  ink_assert_ok (ink_model_add_input (m, "image", &in_type, "a drawing", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "classLabel", &label_type, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "labelProbs", &probs_type, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "classLabel"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "labelProbs"), &err);
  ink_assert_ok (ink_model_set_class_labels_string (m, string_labels, 3), &err);
  ink_assert_ok (ink_model_set_metadata (m, &(InkMetadata){.short_description = "test network",
                                                           .author = "Zoë Ünicode ✓",
                                                           .license = "MIT"}),
                 &err);
  ink_assert_ok (ink_model_set_user_metadata (m, "base", "drawing"), &err);

  {
    const char *in[] = {"image"}, *out[] = {"conv"};
    InkLayerSpec l = {.name = "conv",
                      .kind = INK_LAYER_CONVOLUTION,
                      .inputs = in,
                      .n_inputs = 1,
                      .outputs = out,
                      .n_outputs = 1};

    l.params.convolution = (InkConvolutionParams){.out_channels = 4,
                                                  .kernel_channels = 1,
                                                  .groups = 1,
                                                  .kernel_h = 3,
                                                  .kernel_w = 3,
                                                  .padding = {.type = INK_PAD_SAME},
                                                  .has_bias = true,
                                                  .weights = conv_w,
                                                  .bias = conv_b};
    ink_assert_ok (ink_nn_add_layer (m, &l, &err), &err);
  }
  {
    const char *in[] = {"conv"}, *out[] = {"relu"};
    InkLayerSpec l = {.name = "relu",
                      .kind = INK_LAYER_ACTIVATION,
                      .inputs = in,
                      .n_inputs = 1,
                      .outputs = out,
                      .n_outputs = 1};

    l.params.activation.type = INK_ACT_RELU;
    ink_assert_ok (ink_nn_add_layer (m, &l, &err), &err);
  }
  {
    const char *in[] = {"relu"}, *out[] = {"pool"};
    InkLayerSpec l = {.name = "pool",
                      .kind = INK_LAYER_POOLING,
                      .inputs = in,
                      .n_inputs = 1,
                      .outputs = out,
                      .n_outputs = 1};

    l.params.pooling = (InkPoolingParams){.type = INK_POOL_MAX,
                                          .kernel_h = 2,
                                          .kernel_w = 2,
                                          .stride_h = 2,
                                          .stride_w = 2,
                                          .padding = {.type = INK_PAD_VALID}};
    ink_assert_ok (ink_nn_add_layer (m, &l, &err), &err);
  }
  if (hidden > 0) {
    const char *in[] = {"pool"}, *out[] = {"hidden"};
    InkLayerSpec l = {.name = "hidden",
                      .kind = INK_LAYER_INNER_PRODUCT,
                      .inputs = in,
                      .n_inputs = 1,
                      .outputs = out,
                      .n_outputs = 1};

    big_w = g_new (float, 64 * hidden);
    big_b = g_new (float, hidden);
    ink_test_fill_random (big_w, 64 * hidden, 5, -0.2f, 0.2f);
    ink_test_fill_random (big_b, hidden, 6, -0.1f, 0.1f);
    l.params.inner_product = (InkInnerProductParams){
      .in_channels = 64, .out_channels = hidden, .has_bias = true, .weights = big_w, .bias = big_b};
    ink_assert_ok (ink_nn_add_layer (m, &l, &err), &err);
  }
  {
    const char *in[] = {hidden > 0 ? "hidden" : "pool"}, *out[] = {"fc"};
    InkLayerSpec l = {.name = "fc",
                      .kind = INK_LAYER_INNER_PRODUCT,
                      .inputs = in,
                      .n_inputs = 1,
                      .outputs = out,
                      .n_outputs = 1};

    l.params.inner_product = (InkInnerProductParams){
      .in_channels = 64, .out_channels = 3, .has_bias = true, .weights = fc1_w, .bias = fc1_b};
    if (hidden > 0) {
      fc2_w = g_new (float, hidden * 3);
      ink_test_fill_random (fc2_w, hidden * 3, 7, -0.2f, 0.2f);
      l.params.inner_product.in_channels = hidden;
      l.params.inner_product.weights = fc2_w;
    }
    ink_assert_ok (ink_nn_add_layer (m, &l, &err), &err);
  }
  {
    const char *in[] = {"fc"}, *out[] = {"probs"};
    InkLayerSpec l = {.name = "softmax",
                      .kind = INK_LAYER_SOFTMAX,
                      .inputs = in,
                      .n_inputs = 1,
                      .outputs = out,
                      .n_outputs = 1};

    ink_assert_ok (ink_nn_add_layer (m, &l, &err), &err);
  }
  return finish_or_skip (m, "neural network");
}

static InkFeatures *
nn_inputs (guint32 seed)
{
  const int64_t shape[] = {1, 8, 8};
  float v[64];
  InkFeatures *f = ink_features_new ();

  ink_test_fill_random (v, 64, seed, 0, 1);
  g_assert_cmpint (ink_features_set (f, "image", ink_test_array (3, shape, v)), ==, INK_OK);
  return f;
}

#define KNN_DIM 6

static InkModel *
make_knn (void)
{
  const int64_t shape[] = {KNN_DIM};
  InkFeatureType in_type = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, shape);
  InkFeatureType label_type = ink_feature_type_string ();
  InkFeatureType probs_type = ink_feature_type_dictionary (INK_KEY_STRING);
  InkModel *m = ink_knn_new (KNN_DIM, INK_KNN_INVERSE_DISTANCE, 3, false);
  InkError err;

  if (m == NULL)
    return finish_or_skip (NULL, "k-NN");
  ink_assert_ok (ink_model_add_input (m, "features", &in_type, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "label", &label_type, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "labelProbs", &probs_type, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "labelProbs"), &err);
  ink_assert_ok (ink_knn_set_default_label_string (m, "unknown"), &err);
  for (guint32 i = 0; i < 30; i++) {
    float v[KNN_DIM];

    ink_test_fill_random (v, KNN_DIM, 100 + i, -1, 1);
    v[0] += (float) (i % 3); /* three loose clusters */
    ink_assert_ok (ink_knn_add_example_string (m, v, string_labels[i % 3], &err), &err);
  }
  return finish_or_skip (m, "k-NN");
}

static InkFeatures *
knn_inputs (guint32 seed)
{
  const int64_t shape[] = {KNN_DIM};
  float v[KNN_DIM];
  InkFeatures *f = ink_features_new ();

  ink_test_fill_random (v, KNN_DIM, seed, -1, 3);
  g_assert_cmpint (ink_features_set (f, "features", ink_test_array (1, shape, v)), ==, INK_OK);
  return f;
}

static InkModel *
make_glm (void)
{
  /* Doubles that need 16 or 17 digits to be exact (0.1 + 0.2 prints as
   * 0.3 with 15), and integers beyond 32 bits. */
  double weights[12];
  const double offsets[] = {0.1 + 0.2, -0.2, 1e-300 + 3e15 + 1};
  const int64_t labels[] = {10, -20, 4503599627370497};
  const int64_t shape[] = {4};
  InkFeatureType in_type = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, shape);
  InkFeatureType label_type = ink_feature_type_int64 ();
  InkFeatureType probs_type = ink_feature_type_dictionary (INK_KEY_INT64);
  GRand *r = g_rand_new_with_seed (42);
  InkModel *m;
  InkError err;

  for (size_t i = 0; i < G_N_ELEMENTS (weights); i++)
    weights[i] = g_rand_double_range (r, -2, 2);
  g_rand_free (r);
  m = ink_glm_classifier_new (weights, 3, 4, offsets, INK_GLM_LOGIT, INK_GLM_ONE_VS_REST);

  if (m == NULL)
    return finish_or_skip (NULL, "GLM");
  ink_assert_ok (ink_model_add_input (m, "x", &in_type, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "classLabel", &label_type, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "classProbability", &probs_type, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "classLabel"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "classProbability"), &err);
  ink_assert_ok (ink_model_set_class_labels_int64 (m, labels, 3), &err);
  return finish_or_skip (m, "GLM");
}

static InkFeatures *
vector_inputs (const char *name, size_t n, guint32 seed)
{
  const int64_t shape[] = {(int64_t) n};
  float v[16];
  InkFeatures *f = ink_features_new ();

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (v));
  ink_test_fill_random (v, n, seed, -2, 2);
  g_assert_cmpint (ink_features_set (f, name, ink_test_array (1, shape, v)), ==, INK_OK);
  return f;
}

static InkModel *
make_tree (void)
{
  const int64_t shape[] = {3};
  InkFeatureType in_type = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, shape);
  InkFeatureType out_type = ink_feature_type_double ();
  InkModel *m = ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_REGRESSOR, 1, INK_TREE_NO_TRANSFORM);
  const double base = 1.0 / 3.0;
  const InkTreeEvaluation e1 = {0, 1.5}, e2 = {0, -2.25}, e3 = {0, 0.1 + 0.2}, e4 = {0, 1e-9 / 7};
  const InkTreeNode nodes[] = {
    {.tree_id = 0,
     .node_id = 0,
     .behavior = INK_TREE_BRANCH_LE,
     .feature_index = 0,
     .feature_value = 0.1 + 0.2,
     .true_child = 1,
     .false_child = 2},
    {.tree_id = 0, .node_id = 1, .behavior = INK_TREE_LEAF, .n_evaluations = 1, .evaluations = &e1},
    {.tree_id = 0, .node_id = 2, .behavior = INK_TREE_LEAF, .n_evaluations = 1, .evaluations = &e2},
    {.tree_id = 1,
     .node_id = 0,
     .behavior = INK_TREE_BRANCH_GT,
     .feature_index = 2,
     .feature_value = 0.1,
     .true_child = 1,
     .false_child = 2},
    {.tree_id = 1, .node_id = 1, .behavior = INK_TREE_LEAF, .n_evaluations = 1, .evaluations = &e3},
    {.tree_id = 1, .node_id = 2, .behavior = INK_TREE_LEAF, .n_evaluations = 1, .evaluations = &e4},
  };
  InkError err;

  if (m == NULL)
    return finish_or_skip (NULL, "tree ensemble");
  ink_assert_ok (ink_model_add_input (m, "x", &in_type, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "y", &out_type, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "y"), &err);
  ink_assert_ok (ink_tree_ensemble_set_base_prediction (m, &base, 1), &err);
  for (size_t i = 0; i < G_N_ELEMENTS (nodes); i++)
    ink_assert_ok (ink_tree_ensemble_add_node (m, &nodes[i], &err), &err);
  return finish_or_skip (m, "tree ensemble");
}

/* The drawing classifier's shape: a network making an embedding, then a
 * k-NN classifier over it. */
static InkModel *
make_pipeline (void)
{
  const int64_t in_shape[] = {1, 8, 8}, emb_shape[] = {4};
  InkFeatureType in_type = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 3, in_shape);
  InkFeatureType emb_type = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, emb_shape);
  InkFeatureType label_type = ink_feature_type_string ();
  InkModel *p = ink_pipeline_new (INK_MODEL_PIPELINE_CLASSIFIER);
  InkModel *nn, *knn;
  float conv_w[4 * 9];
  InkError err;

  if (p == NULL)
    return finish_or_skip (NULL, "pipeline");
  nn = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  knn = ink_knn_new (4, INK_KNN_UNIFORM, 1, false);
  g_assert_nonnull (nn);
  g_assert_nonnull (knn);
  ink_test_fill_random (conv_w, G_N_ELEMENTS (conv_w), 11, -1, 1);
  ink_assert_ok (ink_model_add_input (nn, "image", &in_type, "", &err), &err);
  ink_assert_ok (ink_model_add_output (nn, "embedding", &emb_type, "", &err), &err);
  {
    const char *in[] = {"image"}, *out[] = {"conv"};
    InkLayerSpec l = {.name = "conv",
                      .kind = INK_LAYER_CONVOLUTION,
                      .inputs = in,
                      .n_inputs = 1,
                      .outputs = out,
                      .n_outputs = 1};

    l.params.convolution = (InkConvolutionParams){.out_channels = 4,
                                                  .kernel_channels = 1,
                                                  .kernel_h = 3,
                                                  .kernel_w = 3,
                                                  .padding = {.type = INK_PAD_VALID},
                                                  .weights = conv_w};
    ink_assert_ok (ink_nn_add_layer (nn, &l, &err), &err);
  }
  {
    const char *in[] = {"conv"}, *out[] = {"pooled"};
    InkLayerSpec l = {.name = "pool",
                      .kind = INK_LAYER_POOLING,
                      .inputs = in,
                      .n_inputs = 1,
                      .outputs = out,
                      .n_outputs = 1};

    l.params.pooling = (InkPoolingParams){.type = INK_POOL_AVERAGE, .global = true};
    ink_assert_ok (ink_nn_add_layer (nn, &l, &err), &err);
  }
  {
    const char *in[] = {"pooled"}, *out[] = {"embedding"};
    InkLayerSpec l = {.name = "flatten",
                      .kind = INK_LAYER_FLATTEN,
                      .inputs = in,
                      .n_inputs = 1,
                      .outputs = out,
                      .n_outputs = 1};

    ink_assert_ok (ink_nn_add_layer (nn, &l, &err), &err);
  }
  ink_assert_ok (ink_model_add_input (knn, "embedding", &emb_type, "", &err), &err);
  ink_assert_ok (ink_model_add_output (knn, "label", &label_type, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (knn, "label"), &err);
  for (guint32 i = 0; i < 9; i++) {
    float v[4];

    ink_test_fill_random (v, 4, 200 + i, -1, 1);
    ink_assert_ok (ink_knn_add_example_string (knn, v, string_labels[i % 3], &err), &err);
  }
  ink_assert_ok (ink_model_add_input (p, "image", &in_type, "", &err), &err);
  ink_assert_ok (ink_model_add_output (p, "label", &label_type, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (p, "label"), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "embedder", nn, &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "classifier", knn, &err), &err);
  return finish_or_skip (p, "pipeline");
}

typedef InkFeatures *(*InputsFunc) (guint32 seed);

static InkFeatures *
glm_inputs (guint32 seed)
{
  return vector_inputs ("x", 4, seed);
}

static InkFeatures *
tree_inputs (guint32 seed)
{
  return vector_inputs ("x", 3, seed);
}

/* Saves m, loads it back, and checks: identical predictions, the file is
 * mapped, saving the loaded model gives the same bytes, and a copy of the
 * loaded model outlives it. */
static void
check_round_trip (InkModel *m, InputsFunc inputs)
{
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "model.inkmodel", NULL);
  g_autofree char *path2 = g_build_filename (dir, "again.inkmodel", NULL);
  g_autofree char *a = NULL, *b = NULL;
  gsize alen, blen;
  InkModel *loaded, *copy;
  InkError err;

  ink_assert_ok (ink_model_save (m, path, &err), &err);
  loaded = ink_model_load (path, &err);
  if (loaded == NULL)
    g_error ("load failed: %s", err.message);
  g_assert_cmpint (ink_model_get_kind (loaded), ==, ink_model_get_kind (m));
  g_assert_cmpint (ink_model_get_specification_version (loaded), ==,
                   ink_model_get_specification_version (m));
  g_assert_nonnull (loaded->mapping);
  g_assert_true (loaded->finished);

  for (guint32 seed = 1; seed <= 8; seed++) {
    InkFeatures *f = inputs (seed);

    assert_predictions_identical (m, loaded, f);
    ink_features_free (f);
  }

  /* Saving what was loaded (weights borrowed from the mapping) writes the
   * same bytes: the format is deterministic and lossless. */
  ink_assert_ok (ink_model_save (loaded, path2, &err), &err);
  g_assert_true (g_file_get_contents (path, &a, &alen, NULL));
  g_assert_true (g_file_get_contents (path2, &b, &blen, NULL));
  g_assert_cmpuint (loaded->mapping_size, ==, alen);
  g_assert_cmpmem (a, alen, b, blen);

  copy = ink_model_copy (loaded, &err);
  if (copy == NULL)
    g_error ("copy failed: %s", err.message);
  g_assert_null (copy->mapping);
  ink_model_free (loaded);
  for (guint32 seed = 20; seed <= 22; seed++) {
    InkFeatures *f = inputs (seed);

    assert_predictions_identical (m, copy, f);
    ink_features_free (f);
  }
  ink_model_free (copy);
  ink_test_tmpdir_free (dir);
}

/* ---- Round trips ---- */

static void
test_round_trip_nn (void)
{
  InkModel *m = make_nn (0);

  if (m == NULL)
    return;
  check_round_trip (m, nn_inputs);
  ink_model_free (m);
}

static void
test_round_trip_knn (void)
{
  InkModel *m = make_knn ();

  if (m == NULL)
    return;
  check_round_trip (m, knn_inputs);
  ink_model_free (m);
}

static void
test_round_trip_glm (void)
{
  InkModel *m = make_glm ();

  if (m == NULL)
    return;
  check_round_trip (m, glm_inputs);
  ink_model_free (m);
}

static void
test_round_trip_tree (void)
{
  InkModel *m = make_tree ();

  if (m == NULL)
    return;
  check_round_trip (m, tree_inputs);
  ink_model_free (m);
}

static void
test_round_trip_pipeline (void)
{
  InkModel *m = make_pipeline ();

  if (m == NULL)
    return;
  check_round_trip (m, nn_inputs);
  ink_model_free (m);
}

/* Numbers are written with a '.' whatever the locale. */
static void
test_round_trip_locale (void)
{
  const char *const locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "nl_NL.UTF-8", "ru_RU.UTF-8"};
  const char *found = NULL;
  InkModel *m;

  for (size_t i = 0; i < G_N_ELEMENTS (locales) && found == NULL; i++)
    found = setlocale (LC_NUMERIC, locales[i]);
  if (found == NULL) {
    g_test_skip ("no locale with a decimal comma is installed");
    return;
  }
  m = make_glm ();
  if (m != NULL) {
    check_round_trip (m, glm_inputs);
    ink_model_free (m);
  }
  setlocale (LC_NUMERIC, "C");
}

/* The file matches docs/FORMATS.md field by field, and a file composed
 * from the documentation alone loads. */
static void
test_layout (void)
{
  InkModel *m = make_nn (0);
  char *dir;
  g_autofree char *path = NULL, *path2 = NULL;
  g_autoptr (GByteArray) again = NULL;
  ModelFile f;
  InkModel *loaded;
  InkError err;

  if (m == NULL)
    return;
  dir = ink_test_tmpdir_new ();
  path = g_build_filename (dir, "m.inkmodel", NULL);
  path2 = g_build_filename (dir, "composed.inkmodel", NULL);
  ink_assert_ok (ink_model_save (m, path, &err), &err);
  model_file_read (&f, path);

  g_assert_cmpmem (f.data, 8, "INKMODEL", 8);
  g_assert_cmpuint (rd32 (f.data + 8), ==, 1);
  g_assert_cmpuint (rd32 (f.data + 12), ==, HEADER_SIZE);
  g_assert_cmpuint (rd32 (f.data + 16), ==, 0);
  g_assert_cmpuint (f.json_off, ==, HEADER_SIZE);
  g_assert_cmpuint (rd32 (f.data + 36), ==, ref_crc32 (f.data + f.json_off, f.json_size));
  g_assert_cmpuint (f.w_off % 64, ==, 0);
  g_assert_cmpuint (f.w_off, >=, f.json_off + f.json_size);
  g_assert_cmpuint (f.w_off - (f.json_off + f.json_size), <, 64);
  g_assert_cmpuint (f.w_size, >, 0);
  g_assert_cmpuint (f.w_off + f.w_size, ==, f.size);
  g_assert_cmpuint (rd32 (f.data + 56), ==, ref_crc32 (f.data + f.w_off, f.w_size));
  g_assert_cmpuint (rd32 (f.data + 60), ==, ref_crc32 (f.data, 60));
  for (guint64 i = f.json_off + f.json_size; i < f.w_off; i++)
    g_assert_cmpuint (f.data[i], ==, 0);

  /* The JSON envelope. */
  {
    cJSON *root = cJSON_ParseWithLength ((const char *) f.data + f.json_off, f.json_size);
    const cJSON *model, *gen;

    g_assert_nonnull (root);
    g_assert_cmpfloat (cJSON_GetObjectItem (root, "format")->valuedouble, ==, 1);
    gen = cJSON_GetObjectItem (root, "generator");
    g_assert_true (cJSON_IsString (gen));
    g_assert_true (g_str_has_prefix (gen->valuestring, "inkling "));
    model = cJSON_GetObjectItem (root, "model");
    g_assert_cmpstr (cJSON_GetObjectItem (model, "kind")->valuestring, ==,
                     "neuralNetworkClassifier");
    g_assert_true (cJSON_IsNumber (cJSON_GetObjectItem (model, "specificationVersion")));
    g_assert_true (cJSON_IsObject (cJSON_GetObjectItem (model, "description")));
    g_assert_true (cJSON_IsArray (cJSON_GetObjectItem (model, "classLabels")));
    g_assert_true (cJSON_IsObject (cJSON_GetObjectItem (model, "body")));
    cJSON_Delete (root);
  }

  again = compose_file ((const char *) f.data + f.json_off, f.json_size, f.data + f.w_off, f.w_size,
                        1, 0);
  g_assert_cmpmem (again->data, again->len, f.data, f.size);
  write_bytes (path2, again->data, again->len);
  loaded = ink_model_load (path2, &err);
  if (loaded == NULL)
    g_error ("%s", err.message);
  for (guint32 seed = 1; seed <= 3; seed++) {
    InkFeatures *in = nn_inputs (seed);

    assert_predictions_identical (m, loaded, in);
    ink_features_free (in);
  }
  ink_model_free (loaded);
  g_free (f.data);
  ink_model_free (m);
  ink_test_tmpdir_free (dir);
}

static void
test_load_fast (void)
{
  InkModel *m = make_nn (4096); /* 64 x 4096 + 4096 x 3 floats: about 1.1 MB */
  char *dir;
  g_autofree char *path = NULL;
  gint64 best = G_MAXINT64;
  struct stat st;
  InkError err;

  if (m == NULL)
    return;
  dir = ink_test_tmpdir_new ();
  path = g_build_filename (dir, "big.inkmodel", NULL);
  ink_assert_ok (ink_model_save (m, path, &err), &err);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 1000000);
  for (int i = 0; i < 5; i++) {
    gint64 t0 = g_get_monotonic_time ();
    InkModel *loaded = ink_model_load (path, &err);
    gint64 dt = g_get_monotonic_time () - t0;

    if (loaded == NULL)
      g_error ("%s", err.message);
    g_assert_nonnull (loaded->mapping);
    g_assert_cmpuint (loaded->mapping_size, ==, (gsize) st.st_size);
    best = MIN (best, dt);
    if (i == 0) {
      InkFeatures *in = nn_inputs (3);

      assert_predictions_identical (m, loaded, in);
      ink_features_free (in);
    }
    ink_model_free (loaded);
  }
  g_test_message ("loading a %lld-byte model takes %.2f ms", (long long) st.st_size,
                  (double) best / 1000.0);
  /* Checksumming a megabyte takes about a millisecond; the bound is loose
   * for sanitizer and valgrind builds. */
  g_assert_cmpint (best, <, 250000);
  ink_model_free (m);
  ink_test_tmpdir_free (dir);
}

static void
test_save_unfinished (void)
{
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "m.inkmodel", NULL);
  InkError err;

  g_assert_nonnull (m);
  g_assert_cmpint (ink_model_save (m, path, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (err.message, "not finished"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  assert_only_files (dir, NULL);
  ink_model_free (m);
  ink_test_tmpdir_free (dir);
}

/* JSON has no NaN or infinity: a model holding one in its JSON part is
 * refused at save time rather than written as a file that cannot load. */
static void
test_save_not_finite (void)
{
  const int64_t shape[] = {1, 1, 1};
  InkFeatureType type = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 3, shape);
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  const char *in[] = {"x"}, *out[] = {"y"};
  InkLayerSpec l = {.name = "scale",
                    .kind = INK_LAYER_ACTIVATION,
                    .inputs = in,
                    .n_inputs = 1,
                    .outputs = out,
                    .n_outputs = 1};
  char *dir;
  g_autofree char *path = NULL;
  InkError err;

  g_assert_nonnull (m);
  ink_assert_ok (ink_model_add_input (m, "x", &type, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "y", &type, "", &err), &err);
  l.params.activation = (InkActivationParams){.type = INK_ACT_LINEAR, .alpha = INFINITY};
  if (ink_nn_add_layer (m, &l, &err) != INK_OK || ink_model_finish (m, &err) != INK_OK) {
    g_test_skip_printf ("the model is refused earlier: %s", err.message);
    ink_model_free (m);
    return;
  }
  dir = ink_test_tmpdir_new ();
  path = g_build_filename (dir, "m.inkmodel", NULL);
  g_assert_cmpint (ink_model_save (m, path, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_test_message ("%s", err.message);
  g_assert_nonnull (strstr (err.message, "not finite"));
  assert_only_files (dir, NULL);
  ink_model_free (m);
  ink_test_tmpdir_free (dir);
}

/* ---- Damaged files ---- */

typedef struct {
  InkModel *model;
  char *dir, *good_path, *bad_path;
  ModelFile f;
} Damage;

static gboolean
damage_setup (Damage *d)
{
  InkError err;

  memset (d, 0, sizeof *d);
  d->model = make_nn (0);
  if (d->model == NULL)
    return FALSE;
  d->dir = ink_test_tmpdir_new ();
  d->good_path = g_build_filename (d->dir, "good.inkmodel", NULL);
  d->bad_path = g_build_filename (d->dir, "bad.inkmodel", NULL);
  ink_assert_ok (ink_model_save (d->model, d->good_path, &err), &err);
  model_file_read (&d->f, d->good_path);
  g_assert_cmpuint (d->f.w_size, >, 0);
  return TRUE;
}

static void
damage_teardown (Damage *d)
{
  g_free (d->f.data);
  g_free (d->good_path);
  g_free (d->bad_path);
  ink_model_free (d->model);
  ink_test_tmpdir_free (d->dir);
}

static void
test_truncated (void)
{
  Damage d;
  GArray *cuts;

  if (!damage_setup (&d))
    return;
  assert_bytes_load_fails (d.bad_path, d.f.data, 0, INK_ERR_FORMAT, "is empty");
  cuts = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize i = 1; i <= HEADER_SIZE; i++)
    g_array_append_val (cuts, i);
  {
    gsize json_end = d.f.json_off + d.f.json_size;
    gsize more[] = {json_end - d.f.json_size / 2,
                    json_end - 1,
                    json_end,
                    d.f.w_off,
                    d.f.w_off + 1,
                    d.f.w_off + 4,
                    d.f.w_off + d.f.w_size / 2,
                    d.f.size - 4,
                    d.f.size - 1};

    g_array_append_vals (cuts, more, G_N_ELEMENTS (more));
  }
  for (guint i = 0; i < cuts->len; i++) {
    gsize n = g_array_index (cuts, gsize, i);

    assert_bytes_load_fails (d.bad_path, d.f.data, n, INK_ERR_FORMAT, "is truncated");
  }
  g_array_free (cuts, TRUE);

  /* Bytes after the last section are an error too. */
  {
    g_autofree guint8 *longer = g_malloc0 (d.f.size + 10);

    memcpy (longer, d.f.data, d.f.size);
    assert_bytes_load_fails (d.bad_path, longer, d.f.size + 10, INK_ERR_FORMAT,
                             "unexpected bytes after");
  }
  damage_teardown (&d);
}

static void
flip_and_expect (Damage *d, gsize at, InkStatus status, const char *substring)
{
  d->f.data[at] ^= 0x10;
  assert_bytes_load_fails (d->bad_path, d->f.data, d->f.size, status, substring);
  d->f.data[at] ^= 0x10;
}

static void
test_flipped_bytes (void)
{
  Damage d;

  if (!damage_setup (&d))
    return;
  for (gsize i = 0; i < 8; i++)
    flip_and_expect (&d, i, INK_ERR_FORMAT, "not an Inkling model file");
  /* Every header byte after the version and header size is covered by the
   * header checksum, the checksum itself included. */
  for (gsize i = 16; i < HEADER_SIZE; i++)
    flip_and_expect (&d, i, INK_ERR_FORMAT, "checksum mismatch in the header");
  flip_and_expect (&d, 13, INK_ERR_FORMAT, NULL); /* header size 64 + 4096: too long */
  {
    gsize json_points[] = {d.f.json_off, d.f.json_off + d.f.json_size / 3,
                           d.f.json_off + d.f.json_size - 1};
    gsize weight_points[] = {d.f.w_off, d.f.w_off + d.f.w_size / 2, d.f.size - 1};

    for (gsize i = 0; i < G_N_ELEMENTS (json_points); i++)
      flip_and_expect (&d, json_points[i], INK_ERR_FORMAT, "checksum mismatch in the JSON section");
    for (gsize i = 0; i < G_N_ELEMENTS (weight_points); i++)
      flip_and_expect (&d, weight_points[i], INK_ERR_FORMAT,
                       "checksum mismatch in the weights section");
  }
  /* The file itself was never changed. */
  {
    InkError err;
    InkModel *m = ink_model_load (d.good_path, &err);

    g_assert_nonnull (m);
    ink_model_free (m);
  }
  damage_teardown (&d);
}

static void
test_header_fields (void)
{
  Damage d;
  g_autofree guint8 *buf = NULL;

  if (!damage_setup (&d))
    return;
  buf = g_memdup2 (d.f.data, d.f.size);

  memcpy (buf, "INKMODEX", 8);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_FORMAT, "not an Inkling model");
  assert_bytes_load_fails (d.bad_path, "PK\3\4", 4, INK_ERR_FORMAT, "not an Inkling model");

  /* A newer version: refused as such even with a valid header checksum,
   * and even when its header is laid out differently. */
  memcpy (buf, d.f.data, d.f.size);
  wr32 (buf + 8, 2);
  fix_header_crc (buf);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_VERSION, "needs a newer Inkling");
  wr32 (buf + 8, 0xFFFFFFFFu);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_VERSION, "needs a newer Inkling");
  wr32 (buf + 8, 0);
  fix_header_crc (buf);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_FORMAT, "version 0");

  /* An unknown flag is a newer writer's feature. */
  memcpy (buf, d.f.data, d.f.size);
  wr32 (buf + 16, 1);
  fix_header_crc (buf);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_VERSION, "needs a newer Inkling");

  /* Section tables that lie (with valid checksums). */
  memcpy (buf, d.f.data, d.f.size);
  wr64 (buf + 20, 10);
  fix_header_crc (buf);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_FORMAT, "inside the header");
  memcpy (buf, d.f.data, d.f.size);
  wr64 (buf + 28, G_MAXUINT64 - 10);
  fix_header_crc (buf);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_FORMAT, "out of bounds");
  memcpy (buf, d.f.data, d.f.size);
  wr64 (buf + 48, d.f.w_size + 64);
  fix_header_crc (buf);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_FORMAT, "is truncated");
  memcpy (buf, d.f.data, d.f.size);
  wr64 (buf + 40, d.f.w_off - 64);
  wr64 (buf + 48, d.f.w_size + 64);
  fix_header_crc (buf);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_FORMAT, "overlap");
  memcpy (buf, d.f.data, d.f.size);
  wr64 (buf + 40, d.f.w_off + 4);
  wr64 (buf + 48, d.f.w_size - 4);
  fix_header_crc (buf);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_FORMAT, "not aligned");
  memcpy (buf, d.f.data, d.f.size);
  wr32 (buf + 12, 32);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_FORMAT, "header size");
  memcpy (buf, d.f.data, d.f.size);
  wr64 (buf + 28, 0);
  fix_header_crc (buf);
  assert_bytes_load_fails (d.bad_path, buf, d.f.size, INK_ERR_FORMAT, NULL);
  damage_teardown (&d);
}

/* Writes a file with the given JSON and the good file's weights. */
static void
assert_json_fails (Damage *d, const char *json, InkStatus status, const char *substring)
{
  g_autoptr (GByteArray) b =
    compose_file (json, strlen (json), d->f.data + d->f.w_off, d->f.w_size, 1, 0);

  assert_bytes_load_fails (d->bad_path, b->data, b->len, status, substring);
}

static cJSON *
good_json (Damage *d)
{
  cJSON *root = cJSON_ParseWithLength ((const char *) d->f.data + d->f.json_off, d->f.json_size);

  g_assert_nonnull (root);
  return root;
}

static void
assert_tree_fails (Damage *d, cJSON *root, InkStatus status, const char *substring)
{
  char *text = cJSON_PrintUnformatted (root);

  assert_json_fails (d, text, status, substring);
  cJSON_free (text);
  cJSON_Delete (root);
}

/* The first object below node that looks like a weight reference. */
static cJSON *
find_weight_ref (cJSON *node)
{
  cJSON *child;

  if (cJSON_IsObject (node) && cJSON_GetObjectItem (node, "offset") != NULL &&
      cJSON_GetObjectItem (node, "count") != NULL)
    return node;
  cJSON_ArrayForEach (child, node)
  {
    cJSON *found = find_weight_ref (child);

    if (found != NULL)
      return found;
  }
  return NULL;
}

static void
test_bad_json (void)
{
  Damage d;
  cJSON *root, *ref;

  if (!damage_setup (&d))
    return;
  assert_json_fails (&d, "{\"format\": 1,", INK_ERR_FORMAT, "not valid JSON");
  assert_json_fails (&d, "{\"format\": 1} trailing", INK_ERR_FORMAT, "not valid JSON");
  assert_json_fails (&d, "{\"format\": 1, \"model\": \"\xC3\x28\"}", INK_ERR_FORMAT,
                     "not valid UTF-8");
  assert_json_fails (&d, "[1, 2, 3]", INK_ERR_FORMAT, "\"format\"");
  assert_json_fails (&d, "{\"format\": 1}", INK_ERR_FORMAT, "\"model\"");
  assert_json_fails (&d, "{\"format\": 1, \"model\": []}", INK_ERR_FORMAT, "\"model\"");
  assert_json_fails (&d, "{\"format\": 2, \"model\": {}}", INK_ERR_VERSION, "newer Inkling");
  assert_json_fails (&d, "{\"format\": 1, \"model\": {}}", INK_ERR_FORMAT, "\"kind\"");
  assert_json_fails (&d,
                     "{\"format\": 1, \"model\": {\"kind\": \"quantumClassifier\", "
                     "\"specificationVersion\": 4, \"description\": {}, \"body\": {}}}",
                     INK_ERR_UNSUPPORTED, "quantumClassifier");
  assert_json_fails (&d,
                     "{\"format\": 1, \"model\": {\"kind\": \"neuralNetworkClassifier\", "
                     "\"specificationVersion\": 4}}",
                     INK_ERR_FORMAT, "description");

  /* Structurally wrong parts of an otherwise good model. */
  root = good_json (&d);
  cJSON_ReplaceItemInObject (cJSON_GetObjectItem (root, "model"), "specificationVersion",
                             cJSON_CreateString ("four"));
  assert_tree_fails (&d, root, INK_ERR_FORMAT, "specificationVersion");

  root = good_json (&d);
  cJSON_DeleteItemFromObject (cJSON_GetObjectItem (root, "model"), "body");
  assert_tree_fails (&d, root, INK_ERR_FORMAT, "body");

  root = good_json (&d);
  cJSON_ReplaceItemInObject (cJSON_GetObjectItem (root, "model"), "body", cJSON_CreateObject ());
  assert_tree_fails (&d, root, INK_ERR_FORMAT, NULL);

  root = good_json (&d);
  cJSON_ReplaceItemInObject (cJSON_GetObjectItem (root, "model"), "description",
                             cJSON_CreateNumber (5));
  assert_tree_fails (&d, root, INK_ERR_FORMAT, "description");

  root = good_json (&d);
  cJSON_ReplaceItemInObject (cJSON_GetObjectItem (root, "model"), "classLabels",
                             cJSON_CreateString ("sun"));
  assert_tree_fails (&d, root, INK_ERR_FORMAT, NULL);

  /* Weight references outside the weights section or malformed. */
  root = good_json (&d);
  ref = find_weight_ref (root);
  g_assert_nonnull (ref);
  cJSON_ReplaceItemInObject (ref, "offset", cJSON_CreateNumber ((double) d.f.w_size));
  assert_tree_fails (&d, root, INK_ERR_FORMAT, "out of bounds");

  root = good_json (&d);
  ref = find_weight_ref (root);
  cJSON_ReplaceItemInObject (ref, "count", cJSON_CreateNumber ((double) d.f.w_size / 4 + 1));
  assert_tree_fails (&d, root, INK_ERR_FORMAT, "out of bounds");

  root = good_json (&d);
  ref = find_weight_ref (root);
  cJSON_ReplaceItemInObject (ref, "count", cJSON_CreateRaw ("9007199254740992"));
  assert_tree_fails (&d, root, INK_ERR_FORMAT, "out of bounds");

  root = good_json (&d);
  ref = find_weight_ref (root);
  cJSON_ReplaceItemInObject (ref, "offset", cJSON_CreateNumber (2));
  assert_tree_fails (&d, root, INK_ERR_FORMAT, "not aligned");

  root = good_json (&d);
  ref = find_weight_ref (root);
  cJSON_ReplaceItemInObject (ref, "offset", cJSON_CreateNumber (-64));
  assert_tree_fails (&d, root, INK_ERR_FORMAT, "weight reference");

  root = good_json (&d);
  ref = find_weight_ref (root);
  cJSON_ReplaceItemInObject (ref, "offset", cJSON_CreateNumber (1e300));
  assert_tree_fails (&d, root, INK_ERR_FORMAT, "weight reference");

  root = good_json (&d);
  ref = find_weight_ref (root);
  cJSON_ReplaceItemInObject (ref, "count", cJSON_CreateNumber (1.5));
  assert_tree_fails (&d, root, INK_ERR_FORMAT, "weight reference");

  /* And the untouched tree still loads, so the failures above are the
   * edits'. */
  root = good_json (&d);
  {
    char *text = cJSON_PrintUnformatted (root);
    g_autoptr (GByteArray) b =
      compose_file (text, strlen (text), d.f.data + d.f.w_off, d.f.w_size, 1, 0);
    InkError err;
    InkModel *m;

    write_bytes (d.bad_path, b->data, b->len);
    m = ink_model_load (d.bad_path, &err);
    if (m == NULL)
      g_error ("%s", err.message);
    ink_model_free (m);
    cJSON_free (text);
    cJSON_Delete (root);
  }
  damage_teardown (&d);
}

static void
test_not_files (void)
{
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *missing = g_build_filename (dir, "missing.inkmodel", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.inkmodel", NULL);
  g_autofree char *sub = g_build_filename (dir, "folder.inkmodel", NULL);
  InkError err;

  assert_load_fails (missing, INK_ERR_IO, "No such file");
  g_assert_null (ink_model_load (missing, &err));
  g_assert_nonnull (strstr (err.message, missing));
  assert_bytes_load_fails (empty, "", 0, INK_ERR_FORMAT, "is empty");
  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  assert_load_fails (sub, INK_ERR_IO, "folder");
  assert_load_fails ("/dev/null", INK_ERR_IO, "not a regular file");
  g_assert_null (ink_model_load (NULL, &err));
  g_assert_cmpint (g_rmdir (sub), ==, 0);
  ink_test_tmpdir_free (dir);
}

/* ---- Atomic writes ---- */

static InkStatus
write_chunks (const char *path, const char *a, const char *b, InkError *err)
{
  const void *chunks[] = {a, "", b};
  size_t sizes[] = {strlen (a), 0, strlen (b)};

  return ink_atomic_write (path, chunks, sizes, 3, err);
}

static void
test_atomic_replace (void)
{
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "file", NULL);
  const char *const only[] = {"file", NULL};
  struct stat st;
  InkError err;

  ink_assert_ok (write_chunks (path, "hello ", "world", &err), &err);
  assert_file_content (path, "hello world");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);

  g_assert_cmpint (g_chmod (path, 0640), ==, 0);
  ink_assert_ok (write_chunks (path, "new ", "content", &err), &err);
  assert_file_content (path, "new content");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640); /* the mode is kept */
  assert_only_files (dir, only);

  /* A bare file name writes in the current folder. */
  {
    g_autofree char *cwd = g_get_current_dir ();

    g_assert_cmpint (g_chdir (dir), ==, 0);
    ink_assert_ok (write_chunks ("file", "relative", "", &err), &err);
    g_assert_cmpint (g_chdir (cwd), ==, 0);
    assert_file_content (path, "relative");
  }
  ink_test_tmpdir_free (dir);
}

static void
test_atomic_missing_folder (void)
{
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "no", "such", "file", NULL);
  InkError err;

  g_assert_cmpint (write_chunks (path, "a", "b", &err), ==, INK_ERR_IO);
  g_assert_nonnull (strstr (err.message, path));
  g_assert_nonnull (strstr (err.message, "No such file"));
  assert_only_files (dir, NULL);
  ink_test_tmpdir_free (dir);
}

static void
test_atomic_read_only_folder (void)
{
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "file", NULL);
  g_autofree char *probe = g_build_filename (dir, "probe", NULL);
  const char *const only[] = {"file", NULL};
  InkError err;
  int fd;

  ink_assert_ok (write_chunks (path, "old", "", &err), &err);
  g_assert_cmpint (g_chmod (dir, 0555), ==, 0);
  fd = g_open (probe, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd >= 0) {
    close (fd);
    g_unlink (probe);
    g_chmod (dir, 0755);
    ink_test_tmpdir_free (dir);
    g_test_skip ("permission bits do not stop this user (root?)");
    return;
  }
  g_assert_cmpint (write_chunks (path, "new", "", &err), ==, INK_ERR_IO);
  g_assert_nonnull (strstr (err.message, path));
  g_assert_nonnull (strstr (err.message, "Permission denied"));
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  assert_file_content (path, "old");
  assert_only_files (dir, only);
  ink_test_tmpdir_free (dir);
}

/* A write that fails half-way (the file size limit, which stops root too)
 * leaves the old file and no temporary file. */
static void
test_atomic_write_fails (void)
{
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "file", NULL);
  g_autofree char *big = g_strnfill (100000, 'x');
  const char *const only[] = {"file", NULL};
  struct rlimit old, small;
  void (*old_handler) (int);
  InkError err;
  InkStatus st;

  ink_assert_ok (write_chunks (path, "old", "", &err), &err);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old), ==, 0);
  small = old;
  small.rlim_cur = 4096;
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
  st = write_chunks (path, "header", big, &err);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old), ==, 0);
  signal (SIGXFSZ, old_handler);

  g_assert_cmpint (st, ==, INK_ERR_IO);
  g_assert_nonnull (strstr (err.message, path));
  g_assert_nonnull (strstr (err.message, g_strerror (EFBIG)));
  assert_file_content (path, "old");
  assert_only_files (dir, only);
  ink_test_tmpdir_free (dir);
}

/* Renaming over a folder fails after the data was written: the temporary
 * file is removed. */
static void
test_atomic_rename_fails (void)
{
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "taken", NULL);
  g_autofree char *inside = g_build_filename (path, "x", NULL);
  const char *const only[] = {"taken", NULL};
  InkError err;

  g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
  write_bytes (inside, "x", 1);
  g_assert_cmpint (write_chunks (path, "a", "b", &err), ==, INK_ERR_IO);
  g_assert_nonnull (strstr (err.message, path));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
  assert_only_files (dir, only);
  g_unlink (inside);
  g_rmdir (path);
  ink_test_tmpdir_free (dir);
}

/* A temporary file left by a writer that died (nobody holds it locked) is
 * removed by the next write of the same file; the temporary file of a live
 * writer (locked) and files that only look alike are kept. */
static void
test_atomic_stale_temps (void)
{
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "file", NULL);
  g_autofree char *stale = g_build_filename (dir, "file.tmp-AbC123", NULL);
  g_autofree char *live = g_build_filename (dir, "file.tmp-XyZ789", NULL);
  g_autofree char *short_name = g_build_filename (dir, "file.tmp-short", NULL);
  g_autofree char *other = g_build_filename (dir, "other.tmp-AbC123", NULL);
  const char *const kept[] = {"file", "file.tmp-XyZ789", "file.tmp-short", "other.tmp-AbC123",
                              NULL};
  InkError err;
  int fd;

  write_bytes (stale, "dead", 4);
  write_bytes (live, "live", 4);
  write_bytes (short_name, "x", 1);
  write_bytes (other, "x", 1);
  fd = g_open (live, O_RDONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);

  ink_assert_ok (write_chunks (path, "new", "", &err), &err);
  assert_file_content (path, "new");
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  for (int i = 0; kept[i] != NULL; i++) {
    g_autofree char *p = g_build_filename (dir, kept[i], NULL);

    g_assert_true (g_file_test (p, G_FILE_TEST_EXISTS));
  }
  assert_only_files (dir, kept);

  /* its writer gone, the next write removes it */
  close (fd);
  ink_assert_ok (write_chunks (path, "newer", "", &err), &err);
  assert_file_content (path, "newer");
  g_assert_false (g_file_test (live, G_FILE_TEST_EXISTS));
  assert_only_files (dir,
                     (const char *const[]){"file", "file.tmp-short", "other.tmp-AbC123", NULL});

  g_unlink (short_name);
  g_unlink (other);
  ink_test_tmpdir_free (dir);
}

/* Saving a model over an existing model replaces it; a failed save leaves
 * the old model loadable. */
static void
test_save_over (void)
{
  InkModel *a = make_nn (0), *b, *loaded;
  char *dir;
  g_autofree char *path = NULL;
  const char *const only[] = {"m.inkmodel", NULL};
  struct rlimit old, small;
  InkError err;
  InkStatus st;

  if (a == NULL)
    return;
  b = make_glm ();
  if (b == NULL) {
    ink_model_free (a);
    return;
  }
  dir = ink_test_tmpdir_new ();
  path = g_build_filename (dir, "m.inkmodel", NULL);
  ink_assert_ok (ink_model_save (a, path, &err), &err);
  ink_assert_ok (ink_model_save (b, path, &err), &err);
  loaded = ink_model_load (path, &err);
  g_assert_nonnull (loaded);
  g_assert_cmpint (ink_model_get_kind (loaded), ==, INK_MODEL_GLM_CLASSIFIER);

  /* The loaded model keeps working after its file is replaced. */
  ink_assert_ok (ink_model_save (a, path, &err), &err);
  {
    InkFeatures *in = glm_inputs (5);

    assert_predictions_identical (b, loaded, in);
    ink_features_free (in);
  }
  ink_model_free (loaded);

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old), ==, 0);
  small = old;
  small.rlim_cur = 100;
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
  st = ink_model_save (b, path, &err);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old), ==, 0);
  signal (SIGXFSZ, SIG_DFL);
  g_assert_cmpint (st, ==, INK_ERR_IO);
  loaded = ink_model_load (path, &err);
  g_assert_nonnull (loaded);
  g_assert_cmpint (ink_model_get_kind (loaded), ==, INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  ink_model_free (loaded);
  assert_only_files (dir, only);

  ink_model_free (a);
  ink_model_free (b);
  ink_test_tmpdir_free (dir);
}

/* ---- CRC-32 ---- */

/* The engine's CRC-32 (folded with PCLMULQDQ where the processor has it,
 * else by table) against the bitwise reference: every length around the
 * folding code's block sizes, at every alignment, whole and in pieces. */
static void
test_crc32 (void)
{
  gsize size = 70000;
  guint8 *buf = g_malloc (size + 16);

  for (gsize i = 0; i < size + 16; i++)
    buf[i] = (guint8) g_test_rand_int ();
  g_assert_cmphex (ink_crc32 (0, "123456789", 9), ==, 0xCBF43926u);
  g_assert_cmphex (ink_crc32_portable (0, "123456789", 9), ==, 0xCBF43926u);
  g_assert_cmphex (ink_crc32 (0, NULL, 0), ==, 0);
  for (gsize align = 0; align < 16; align++) {
    for (gsize n = 0; n < 300; n++) {
      guint32 want = ref_crc32 (buf + align, n);
      g_assert_cmphex (ink_crc32 (0, buf + align, n), ==, want);
      g_assert_cmphex (ink_crc32_portable (0, buf + align, n), ==, want);
    }
  }
  {
    guint32 want = ref_crc32 (buf + 3, size), crc = 0;
    gsize done = 0, step = 1;
    g_assert_cmphex (ink_crc32 (0, buf + 3, size), ==, want);
    /* Pieces of every size from 1 up, crossing the block edges. */
    while (done < size) {
      gsize n = MIN (step, size - done);
      crc = ink_crc32 (crc, buf + 3 + done, n);
      done += n;
      step = step * 3 / 2 + 1;
    }
    g_assert_cmphex (crc, ==, want);
  }
  g_free (buf);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/inkmodel/round-trip/nn", test_round_trip_nn);
  g_test_add_func ("/inkmodel/round-trip/knn", test_round_trip_knn);
  g_test_add_func ("/inkmodel/round-trip/glm", test_round_trip_glm);
  g_test_add_func ("/inkmodel/round-trip/tree", test_round_trip_tree);
  g_test_add_func ("/inkmodel/round-trip/pipeline", test_round_trip_pipeline);
  g_test_add_func ("/inkmodel/round-trip/locale", test_round_trip_locale);
  g_test_add_func ("/inkmodel/layout", test_layout);
  g_test_add_func ("/inkmodel/crc32", test_crc32);
  g_test_add_func ("/inkmodel/load-fast", test_load_fast);
  g_test_add_func ("/inkmodel/save-unfinished", test_save_unfinished);
  g_test_add_func ("/inkmodel/save-not-finite", test_save_not_finite);
  g_test_add_func ("/inkmodel/damaged/truncated", test_truncated);
  g_test_add_func ("/inkmodel/damaged/flipped-bytes", test_flipped_bytes);
  g_test_add_func ("/inkmodel/damaged/header-fields", test_header_fields);
  g_test_add_func ("/inkmodel/damaged/json", test_bad_json);
  g_test_add_func ("/inkmodel/not-files", test_not_files);
  g_test_add_func ("/inkmodel/atomic/replace", test_atomic_replace);
  g_test_add_func ("/inkmodel/atomic/missing-folder", test_atomic_missing_folder);
  g_test_add_func ("/inkmodel/atomic/read-only-folder", test_atomic_read_only_folder);
  g_test_add_func ("/inkmodel/atomic/write-fails", test_atomic_write_fails);
  g_test_add_func ("/inkmodel/atomic/rename-fails", test_atomic_rename_fails);
  g_test_add_func ("/inkmodel/atomic/stale-temps", test_atomic_stale_temps);
  g_test_add_func ("/inkmodel/save-over", test_save_over);
  return g_test_run ();
}

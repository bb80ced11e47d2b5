/* test-coreml.c: every Core ML fixture compiles or is refused precisely;
 * export round trips; malformed files never crash
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "ink-coreml.h"
#include "test-util.h"

typedef struct {
  const char *file;
  InkStatus status;     /* INK_OK: it compiles */
  const char *mentions; /* a phrase the refusal must contain */
} Expectation;

/* What ../shared/fixtures/coreml/SOURCES.md says of each file. */
static const Expectation fixtures[] = {
  {"coreml/item_similarity_recommender.mlmodel", INK_ERR_UNSUPPORTED,
   "itemSimilarityRecommender (Model field 501)"},
  {"coreml/knn_updatable_empty_kdtree.mlmodel", INK_OK, NULL},
  {"coreml/knn_updatable_empty_linear.mlmodel", INK_OK, NULL},
  {"coreml/nn_srcnn_flexible_image_range.mlmodel", INK_OK, NULL},
  {"coreml/nn_tiny_drawing_embedding.mlmodel", INK_OK, NULL},
  {"coreml/nn_updatable_boston_mse.mlmodel", INK_OK, NULL},
  {"coreml/nn_updatable_linear1x1_mse.mlmodel", INK_OK, NULL},
  {"coreml/nn_updatable_lstm_controlflow_mse.mlmodel", INK_ERR_UNSUPPORTED,
   "(NeuralNetworkLayer field "},
  {"coreml/nn_updatable_rgb150_conv_cce.mlmodel", INK_OK, NULL},
  {"coreml/nnc_updatable_digits8x8_adam_noloss_INVALID.mlmodel", INK_ERR_INVALID_MODEL,
   "specification version for an updatable model must be '4' or above"},
  {"coreml/nnc_updatable_mnist_specv1_INVALID.mlmodel", INK_ERR_INVALID_MODEL,
   "specification version for an updatable model must be '4' or above"},
  {"coreml/pipeline_iris_glm_classifier.mlmodel", INK_OK, NULL},
  {"coreml/pipeline_lunch_onehot_tree.mlmodel", INK_OK, NULL},
  {"coreml/pipeline_regressor_mars_glm.mlmodel", INK_OK, NULL},
  {"coreml/pipeline_visionfp_glm_nsfw.mlmodel", INK_ERR_UNSUPPORTED,
   "visionFeaturePrint (Model field 2002)"},
  {"coreml/tree_ensemble_rf_krause_v1.mlmodel", INK_OK, NULL},
  {"coreml/tree_ensemble_rf_krause_v2.mlmodel", INK_OK, NULL},
  {"seed-site/MyFirstCustomModel.bundled.mlmodel", INK_OK, NULL},
};

#define N_FIXTURES (sizeof fixtures / sizeof *fixtures)

static guint8 *
read_fixture (const char *relative, gsize *size)
{
  g_autofree char *path = ink_test_fixture_path (relative);
  g_autoptr (GError) error = NULL;
  char *data = NULL;

  if (path == NULL)
    return NULL;
  g_file_get_contents (path, &data, size, &error);
  g_assert_no_error (error);
  return (guint8 *) data;
}

static void
test_every_fixture (void)
{
  for (size_t i = 0; i < N_FIXTURES; i++) {
    g_autofree char *path = ink_test_fixture_path (fixtures[i].file);
    InkError err = {0};
    InkModel *m;

    if (path == NULL)
      return;
    m = ink_coreml_compile_file (path, &err);
    if (fixtures[i].status == INK_OK) {
      if (m == NULL)
        g_error ("%s should compile: %s", fixtures[i].file, err.message);
    } else {
      g_autofree char *said = g_ascii_strdown (err.message, -1);
      g_autofree char *want = g_ascii_strdown (fixtures[i].mentions, -1);
      if (m != NULL)
        g_error ("%s should be refused", fixtures[i].file);
      if (err.status != fixtures[i].status || strstr (said, want) == NULL)
        g_error ("%s: expected %s mentioning \"%s\", got %s: %s", fixtures[i].file,
                 ink_status_to_string (fixtures[i].status), fixtures[i].mentions,
                 ink_status_to_string (err.status), err.message);
    }
    ink_model_free (m);
  }
}

/* Core ML's validator refuses an updatable network whose loss target is not
 * a training input: the MNIST file with its version raised to 4 shows it. */
static void
test_loss_target_not_training_input (void)
{
  gsize size = 0;
  g_autofree guint8 *data =
    read_fixture ("coreml/nnc_updatable_mnist_specv1_INVALID.mlmodel", &size);
  InkError err = {0};
  InkModel *m;

  if (data == NULL)
    return;
  /* specificationVersion is the first field: key 0x08, value 1. */
  g_assert_cmpuint (data[0], ==, 0x08);
  g_assert_cmpuint (data[1], ==, 0x01);
  data[1] = 0x04;
  m = ink_coreml_compile_memory (data, size, &err);
  g_assert_null (m);
  g_assert_cmpint (err.status, ==, INK_ERR_INVALID_MODEL);
  g_assert_nonnull (strstr (err.message, "trueDigit"));
  g_assert_nonnull (strstr (err.message, "training input"));
}

/* An input value of the declared type, filled from rand. */
static InkValue *
random_value (const InkFeatureType *t, GRand *rand)
{
  switch (t->type) {
  case INK_VALUE_DOUBLE: return ink_value_new_double (g_rand_double_range (rand, 0, 1));
  case INK_VALUE_INT64: return ink_value_new_int64 (g_rand_int_range (rand, 0, 3));
  case INK_VALUE_MULTIARRAY: {
    InkValue *v = ink_value_new_multiarray (t->array_type, t->rank, t->shape, NULL);
    void *data = ink_value_array_data (v);
    for (size_t i = 0; i < ink_value_array_count (v); i++) {
      double x = g_rand_double_range (rand, 0, 1);
      if (t->array_type == INK_ARRAY_FLOAT32)
        ((float *) data)[i] = (float) x;
      else if (t->array_type == INK_ARRAY_FLOAT64)
        ((double *) data)[i] = x;
      else
        ((gint32 *) data)[i] = (gint32) (x * 10);
    }
    return v;
  }
  case INK_VALUE_IMAGE: {
    size_t bpp = ink_pixel_format_bytes (t->image.format);
    size_t n = (size_t) t->image.width * (size_t) t->image.height * bpp;
    g_autofree guint8 *px = g_malloc (n);
    for (size_t i = 0; i < n; i++)
      px[i] = (guint8) g_rand_int_range (rand, 0, 256);
    return ink_value_new_image (t->image.format, (int) t->image.width, (int) t->image.height,
                                (size_t) t->image.width * bpp, px);
  }
  default: return NULL;
  }
}

static gboolean
values_equal (const InkValue *a, const InkValue *b)
{
  if (ink_value_get_type (a) != ink_value_get_type (b))
    return FALSE;
  switch (ink_value_get_type (a)) {
  case INK_VALUE_STRING: return g_strcmp0 (ink_value_get_string (a), ink_value_get_string (b)) == 0;
  case INK_VALUE_INT64: return ink_value_get_int64 (a) == ink_value_get_int64 (b);
  case INK_VALUE_DOUBLE: return ink_value_get_double (a) == ink_value_get_double (b);
  case INK_VALUE_MULTIARRAY:
    if (ink_value_array_count (a) != ink_value_array_count (b))
      return FALSE;
    for (size_t i = 0; i < ink_value_array_count (a); i++) {
      if (ink_value_array_get (a, i) != ink_value_array_get (b, i))
        return FALSE;
    }
    return TRUE;
  case INK_VALUE_DICTIONARY:
    if (ink_value_dictionary_count (a) != ink_value_dictionary_count (b))
      return FALSE;
    for (size_t i = 0; i < ink_value_dictionary_count (a); i++) {
      double x;
      gboolean found =
        ink_value_dictionary_key_type (a) == INK_KEY_STRING
          ? ink_value_dictionary_lookup_string (b, ink_value_dictionary_string_key (a, i), &x)
          : ink_value_dictionary_lookup_int64 (b, ink_value_dictionary_int64_key (a, i), &x);
      if (!found || x != ink_value_dictionary_value (a, i))
        return FALSE;
    }
    return TRUE;
  case INK_VALUE_IMAGE:
    return ink_value_image_width (a) == ink_value_image_width (b) &&
           ink_value_image_height (a) == ink_value_image_height (b) &&
           memcmp (ink_value_image_pixels (a), ink_value_image_pixels (b),
                   ink_value_image_stride (a) * (size_t) ink_value_image_height (a)) == 0;
  default: return FALSE;
  }
}

/* Random inputs for every declared input; NULL when one cannot be made
 * (strings need the model's own categories: covered elsewhere). */
static InkFeatures *
random_inputs (const InkModel *m, GRand *rand)
{
  const InkModelDescription *d = ink_model_get_description (m);
  InkFeatures *in = ink_features_new ();

  for (size_t i = 0; i < ink_description_n_inputs (d); i++) {
    const InkFeatureDescription *fd = ink_description_input (d, i);
    InkValue *v = random_value (&fd->type, rand);
    if (v == NULL) {
      ink_features_free (in);
      return NULL;
    }
    g_assert_cmpint (ink_features_set (in, fd->name, v), ==, INK_OK);
  }
  return in;
}

/* How many numbers the model's inputs hold: image pixels and array
 * elements, 1 for a scalar. */
static size_t
input_elements (const InkModel *m)
{
  const InkModelDescription *d = ink_model_get_description (m);
  size_t total = 0;

  for (size_t i = 0; i < ink_description_n_inputs (d); i++) {
    const InkFeatureType *t = &ink_description_input (d, i)->type;
    size_t n = 1;
    if (t->type == INK_VALUE_IMAGE)
      n = (size_t) t->image.width * (size_t) t->image.height;
    else if (t->type == INK_VALUE_MULTIARRAY)
      for (size_t r = 0; r < t->rank; r++)
        n *= (size_t) t->shape[r];
    total += n;
  }
  return total;
}

static void
assert_same_predictions (const char *file, const InkModel *a, const InkModel *b)
{
  GRand *rand = g_rand_new_with_seed (7);
  /* Large inputs (SRCNN's 200x200 image) cost a second a prediction in an
   * optimized build and far more under sanitizers: one draw is enough
   * there, since every weight takes part in each prediction. */
  int rounds = input_elements (a) > 4096 ? 1 : 5;

  for (int k = 0; k < rounds; k++) {
    InkFeatures *in = random_inputs (a, rand), *oa = NULL, *ob = NULL;
    InkError err = {0};
    if (in == NULL)
      break;
    ink_assert_ok (ink_model_predict (a, in, &oa, &err), &err);
    ink_assert_ok (ink_model_predict (b, in, &ob, &err), &err);
    g_assert_cmpuint (ink_features_count (oa), ==, ink_features_count (ob));
    for (size_t i = 0; i < ink_features_count (oa); i++) {
      const char *name = ink_features_name_at (oa, i);
      if (!values_equal (ink_features_value_at (oa, i), ink_features_get (ob, name)))
        g_error ("%s: output '%s' differs after export and compile", file, name);
    }
    ink_features_free (in);
    ink_features_free (oa);
    ink_features_free (ob);
  }
  g_rand_free (rand);
}

static void
test_round_trip (void)
{
  for (size_t i = 0; i < N_FIXTURES; i++) {
    g_autofree char *path = NULL;
    InkError err = {0};
    InkModel *m, *again;
    uint8_t *data = NULL;
    size_t size = 0;

    if (fixtures[i].status != INK_OK)
      continue;
    path = ink_test_fixture_path (fixtures[i].file);
    if (path == NULL)
      return;
    m = ink_coreml_compile_file (path, &err);
    g_assert_nonnull (m);
    ink_assert_ok (ink_coreml_export_memory (m, &data, &size, &err), &err);
    again = ink_coreml_compile_memory (data, size, &err);
    if (again == NULL)
      g_error ("%s: the export does not compile: %s", fixtures[i].file, err.message);
    /* The export carries the lowest version with what it uses: never above
     * the source's, and at least 4 for an updatable model. */
    g_assert_cmpint (ink_model_get_specification_version (again), <=,
                     MAX (ink_model_get_specification_version (m), 4));
    if (ink_description_is_updatable (ink_model_get_description (m)))
      g_assert_cmpint (ink_model_get_specification_version (again), >=, 4);
    assert_same_predictions (fixtures[i].file, m, again);
    free (data);
    ink_model_free (again);
    ink_model_free (m);
  }
}

/* Every prefix of a file is malformed or a different valid model; either
 * way the compiler answers, never crashes. */
static void
test_truncation_and_corruption (void)
{
  GRand *rand = g_rand_new_with_seed (42);

  for (size_t i = 0; i < N_FIXTURES; i++) {
    gsize size = 0;
    g_autofree guint8 *data = read_fixture (fixtures[i].file, &size);
    size_t step;
    if (data == NULL)
      break;
    step = size / 97 + 1;
    for (size_t cut = 0; cut < size; cut += step) {
      InkError err = {0};
      g_autofree guint8 *copy = g_memdup2 (data, cut > 0 ? cut : 1);
      InkModel *m = ink_coreml_compile_memory (copy, cut, &err);
      if (m == NULL)
        g_assert_cmpstr (err.message, !=, "");
      ink_model_free (m);
    }
    for (int k = 0; k < 60; k++) {
      InkError err = {0};
      g_autofree guint8 *copy = g_memdup2 (data, size);
      InkModel *m;
      for (int flips = 0; flips < 3; flips++)
        copy[g_rand_int_range (rand, 0, (gint32) size)] ^= (guint8) g_rand_int_range (rand, 1, 256);
      m = ink_coreml_compile_memory (copy, size, &err);
      if (m == NULL)
        g_assert_cmpstr (err.message, !=, "");
      ink_model_free (m);
    }
  }
  g_rand_free (rand);
}

static void
test_not_a_model (void)
{
  static const guint8 garbage[] = {0x08, 0x04, 0x12, 0xff, 0xff, 0xff, 0x0f};
  static const guint8 no_type[] = {0x08, 0x04};
  InkError err = {0};

  g_assert_null (ink_coreml_compile_memory (garbage, sizeof garbage, &err));
  g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
  g_assert_null (ink_coreml_compile_memory (no_type, sizeof no_type, &err));
  g_assert_cmpint (err.status, ==, INK_ERR_INVALID_MODEL);
  g_assert_null (ink_coreml_compile_memory (NULL, 0, &err));
  g_assert_null (ink_coreml_compile_file ("/nonexistent/model.mlmodel", &err));
  g_assert_cmpint (err.status, ==, INK_ERR_IO);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/coreml/every-fixture", test_every_fixture);
  g_test_add_func ("/engine/coreml/loss-target-not-training-input",
                   test_loss_target_not_training_input);
  g_test_add_func ("/engine/coreml/round-trip", test_round_trip);
  g_test_add_func ("/engine/coreml/truncation-and-corruption", test_truncation_and_corruption);
  g_test_add_func ("/engine/coreml/not-a-model", test_not_a_model);
  return g_test_run ();
}

/* test-description.c: feature types, update parameters and the model description
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "test-util.h"

/* Asserts that st failed with want and that err's message holds each of the
 * NULL-terminated needles. */
static void
assert_error (InkStatus st, const InkError *err, InkStatus want, ...)
{
  va_list args;
  const char *needle;

  g_assert_cmpstr (ink_status_to_string (st), ==, ink_status_to_string (want));
  g_assert_cmpint (err->status, ==, want);
  va_start (args, want);
  while ((needle = va_arg (args, const char *)) != NULL) {
    if (strstr (err->message, needle) == NULL)
      g_error ("message \"%s\" does not contain \"%s\"", err->message, needle);
  }
  va_end (args);
}

/* ---- A fully described k-NN model ---- */

static const int64_t four[] = {4};

static InkModel *
build_described_knn (void)
{
  InkModel *m = ink_knn_new (4, INK_KNN_UNIFORM, 3, false);
  InkFeatureType features = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, four);
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_STRING);
  InkMetadata md = {"Sorts shapes", "1.2.3", "Ada", "MIT"};
  InkMetadata author_only = {NULL, NULL, "Grace", NULL};
  InkUpdateParameter k = {.key = INK_PARAM_NUMBER_OF_NEIGHBORS,
                          .type = INK_PARAM_INT64,
                          .default_value = 3,
                          .has_range = true,
                          .min = 1,
                          .max = 10};
  int64_t sizes[] = {8, 16, 32};
  InkUpdateParameter batch = {.key = INK_PARAM_MINI_BATCH_SIZE,
                              .type = INK_PARAM_INT64,
                              .default_value = 16,
                              .n_set = 3,
                              .set = sizes};
  InkUpdateParameter shuffle = {
    .key = INK_PARAM_SHUFFLE, .type = INK_PARAM_BOOL, .default_value = 1};
  const float a[4] = {0, 0, 0, 0}, b[4] = {1, 1, 1, 1};
  InkError err;

  g_assert_nonnull (m);
  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (m, "features", &features, "Shape measurements", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "label", &label, "The shape", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "labelProbability", &probs, NULL, &err), &err);
  ink_assert_ok (ink_model_add_training_input (m, "features", &features, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (m, "label", &label, "True shape", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "labelProbability"), &err);
  ink_assert_ok (ink_model_set_metadata (m, &md), &err);
  /* NULL fields leave the others unchanged. */
  ink_assert_ok (ink_model_set_metadata (m, &author_only), &err);
  ink_assert_ok (ink_model_set_user_metadata (m, "origin", "tests"), &err);
  ink_assert_ok (ink_model_set_user_metadata (m, "stage", "draft"), &err);
  ink_assert_ok (ink_model_set_user_metadata (m, "origin", "unit tests"), &err);
  ink_assert_ok (ink_model_set_updatable (m, true), &err);
  ink_assert_ok (ink_model_set_update_parameter (m, &k, &err), &err);
  ink_assert_ok (ink_model_set_update_parameter (m, &batch, &err), &err);
  ink_assert_ok (ink_model_set_update_parameter (m, &shuffle, &err), &err);
  /* The set is copied. */
  sizes[1] = 99;
  ink_assert_ok (ink_knn_add_example_string (m, a, "circle", &err), &err);
  ink_assert_ok (ink_knn_add_example_string (m, b, "square", &err), &err);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  return m;
}

static void
check_described_knn (const InkModelDescription *d)
{
  const InkFeatureDescription *fd;
  const InkUpdateParameter *p;
  InkMetadata md;

  g_assert_cmpuint (ink_description_n_inputs (d), ==, 1);
  fd = ink_description_input (d, 0);
  g_assert_nonnull (fd);
  g_assert_cmpstr (fd->name, ==, "features");
  g_assert_cmpstr (fd->short_description, ==, "Shape measurements");
  g_assert_cmpint (fd->type.type, ==, INK_VALUE_MULTIARRAY);
  g_assert_cmpint (fd->type.array_type, ==, INK_ARRAY_FLOAT32);
  g_assert_cmpuint (fd->type.rank, ==, 1);
  g_assert_cmpint (fd->type.shape[0], ==, 4);
  g_assert_false (fd->type.optional);
  g_assert_null (ink_description_input (d, 1));
  g_assert_true (ink_description_find_input (d, "features") == fd);
  g_assert_null (ink_description_find_input (d, "label"));
  g_assert_null (ink_description_find_input (d, NULL));

  g_assert_cmpuint (ink_description_n_outputs (d), ==, 2);
  fd = ink_description_output (d, 0);
  g_assert_cmpstr (fd->name, ==, "label");
  g_assert_cmpstr (fd->short_description, ==, "The shape");
  g_assert_cmpint (fd->type.type, ==, INK_VALUE_STRING);
  fd = ink_description_output (d, 1);
  g_assert_cmpstr (fd->name, ==, "labelProbability");
  /* A NULL short description reads as "". */
  g_assert_cmpstr (fd->short_description, ==, "");
  g_assert_cmpint (fd->type.type, ==, INK_VALUE_DICTIONARY);
  g_assert_cmpint (fd->type.key_type, ==, INK_KEY_STRING);
  g_assert_null (ink_description_output (d, 2));
  g_assert_true (ink_description_find_output (d, "labelProbability") == fd);
  g_assert_null (ink_description_find_output (d, "features"));

  g_assert_cmpuint (ink_description_n_training_inputs (d), ==, 2);
  g_assert_cmpstr (ink_description_training_input (d, 0)->name, ==, "features");
  g_assert_cmpint (ink_description_training_input (d, 0)->type.type, ==, INK_VALUE_MULTIARRAY);
  g_assert_cmpstr (ink_description_training_input (d, 1)->name, ==, "label");
  g_assert_cmpstr (ink_description_training_input (d, 1)->short_description, ==, "True shape");
  g_assert_null (ink_description_training_input (d, 2));

  g_assert_cmpstr (ink_description_predicted_feature_name (d), ==, "label");
  g_assert_cmpstr (ink_description_predicted_probabilities_name (d), ==, "labelProbability");

  md = ink_description_metadata (d);
  g_assert_cmpstr (md.short_description, ==, "Sorts shapes");
  g_assert_cmpstr (md.version, ==, "1.2.3");
  g_assert_cmpstr (md.author, ==, "Grace");
  g_assert_cmpstr (md.license, ==, "MIT");

  g_assert_cmpuint (ink_description_n_user_metadata (d), ==, 2);
  g_assert_cmpstr (ink_description_user_metadata_key (d, 0), ==, "origin");
  g_assert_cmpstr (ink_description_user_metadata_value (d, 0), ==, "unit tests");
  g_assert_cmpstr (ink_description_user_metadata_key (d, 1), ==, "stage");
  g_assert_cmpstr (ink_description_user_metadata_value (d, 1), ==, "draft");
  g_assert_null (ink_description_user_metadata_key (d, 2));
  g_assert_null (ink_description_user_metadata_value (d, 2));
  g_assert_cmpstr (ink_description_user_metadata_lookup (d, "stage"), ==, "draft");
  g_assert_null (ink_description_user_metadata_lookup (d, "missing"));
  g_assert_null (ink_description_user_metadata_lookup (d, NULL));

  g_assert_true (ink_description_is_updatable (d));
  g_assert_cmpuint (ink_description_n_update_parameters (d), ==, 3);
  p = ink_description_update_parameter (d, 0);
  g_assert_cmpstr (p->key, ==, INK_PARAM_NUMBER_OF_NEIGHBORS);
  g_assert_cmpint (p->type, ==, INK_PARAM_INT64);
  g_assert_cmpfloat (p->default_value, ==, 3);
  g_assert_true (p->has_range);
  g_assert_cmpfloat (p->min, ==, 1);
  g_assert_cmpfloat (p->max, ==, 10);
  g_assert_cmpuint (p->n_set, ==, 0);
  p = ink_description_find_update_parameter (d, INK_PARAM_MINI_BATCH_SIZE);
  g_assert_true (p == ink_description_update_parameter (d, 1));
  g_assert_cmpfloat (p->default_value, ==, 16);
  g_assert_false (p->has_range);
  g_assert_cmpuint (p->n_set, ==, 3);
  g_assert_cmpint (p->set[0], ==, 8);
  g_assert_cmpint (p->set[1], ==, 16);
  g_assert_cmpint (p->set[2], ==, 32);
  p = ink_description_find_update_parameter (d, INK_PARAM_SHUFFLE);
  g_assert_cmpint (p->type, ==, INK_PARAM_BOOL);
  g_assert_cmpfloat (p->default_value, ==, 1);
  g_assert_null (ink_description_update_parameter (d, 3));
  g_assert_null (ink_description_find_update_parameter (d, INK_PARAM_EPOCHS));
  g_assert_null (ink_description_find_update_parameter (d, NULL));
}

static void
test_accessors (void)
{
  InkModel *m = build_described_knn ();

  g_assert_cmpint (ink_model_get_kind (m), ==, INK_MODEL_KNN_CLASSIFIER);
  check_described_knn (ink_model_get_description (m));
  ink_model_free (m);
}

static void
test_copy_keeps_description (void)
{
  InkModel *m = build_described_knn ();
  InkError err;
  InkModel *c = ink_model_copy (m, &err);

  g_assert_nonnull (c);
  g_assert_true (ink_model_get_description (c) != ink_model_get_description (m));
  ink_model_free (m);
  check_described_knn (ink_model_get_description (c));
  ink_model_free (c);
}

static void
test_unset_fields (void)
{
  InkModel *m = ink_knn_new (1, INK_KNN_UNIFORM, 1, true);
  InkFeatureType x = ink_feature_type_double ();
  InkFeatureType label = ink_feature_type_int64 ();
  const float v[1] = {0.5f};
  const InkModelDescription *d;
  InkMetadata md;
  InkError err;

  ink_assert_ok (ink_model_add_input (m, "x", &x, NULL, &err), &err);
  ink_assert_ok (ink_model_add_output (m, "classLabel", &label, NULL, &err), &err);
  ink_assert_ok (ink_knn_add_example_int64 (m, v, 4, &err), &err);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  d = ink_model_get_description (m);
  g_assert_cmpstr (ink_description_predicted_feature_name (d), ==, "");
  g_assert_cmpstr (ink_description_predicted_probabilities_name (d), ==, "");
  md = ink_description_metadata (d);
  g_assert_cmpstr (md.short_description, ==, "");
  g_assert_cmpstr (md.version, ==, "");
  g_assert_cmpstr (md.author, ==, "");
  g_assert_cmpstr (md.license, ==, "");
  g_assert_cmpuint (ink_description_n_user_metadata (d), ==, 0);
  g_assert_cmpuint (ink_description_n_training_inputs (d), ==, 0);
  g_assert_null (ink_description_training_input (d, 0));
  g_assert_false (ink_description_is_updatable (d));
  g_assert_cmpstr (ink_description_input (d, 0)->short_description, ==, "");
  ink_model_free (m);
}

static void
test_duplicate_names (void)
{
  InkModel *m = ink_knn_new (2, INK_KNN_UNIFORM, 1, false);
  InkFeatureType dbl = ink_feature_type_double ();
  InkFeatureType str = ink_feature_type_string ();
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (m, "a", &dbl, "", &err), &err);
  assert_error (ink_model_add_input (m, "a", &str, "", &err), &err, INK_ERR_INVALID_MODEL, "'a'",
                NULL);
  g_assert_cmpuint (ink_description_n_inputs (ink_model_get_description (m)), ==, 1);
  g_assert_cmpint (ink_description_input (ink_model_get_description (m), 0)->type.type, ==,
                   INK_VALUE_DOUBLE);
  ink_assert_ok (ink_model_add_output (m, "y", &str, "", &err), &err);
  assert_error (ink_model_add_output (m, "y", &str, "", &err), &err, INK_ERR_INVALID_MODEL, "'y'",
                NULL);
  ink_assert_ok (ink_model_add_training_input (m, "a", &dbl, "", &err), &err);
  assert_error (ink_model_add_training_input (m, "a", &dbl, "", &err), &err, INK_ERR_INVALID_MODEL,
                "'a'", NULL);
  /* A name may be both an input and an output list entry of its own kind. */
  ink_assert_ok (ink_model_add_training_input (m, "y", &str, "", &err), &err);
  ink_model_free (m);
}

static void
test_bad_features (void)
{
  InkModel *m = ink_knn_new (2, INK_KNN_UNIFORM, 1, false);
  InkFeatureType dbl = ink_feature_type_double ();
  InkFeatureType invalid = {.type = INK_VALUE_INVALID};
  InkFeatureType bogus = {.type = (InkValueType) 42};
  InkError err;

  g_assert_cmpint (ink_model_add_input (m, "", &dbl, "", &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_model_add_input (m, NULL, &dbl, "", &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_model_add_input (m, "x", NULL, "", &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_model_add_input (m, "x", &invalid, "", &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_model_add_output (m, "x", &bogus, "", &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_model_add_input (NULL, "x", &dbl, "", &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_model_add_input (NULL, "x", &dbl, "", NULL), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpuint (ink_description_n_inputs (ink_model_get_description (m)), ==, 0);
  g_assert_cmpuint (ink_description_n_outputs (ink_model_get_description (m)), ==, 0);
  ink_model_free (m);
}

static void
test_finished_is_frozen (void)
{
  InkModel *m = build_described_knn ();
  InkFeatureType dbl = ink_feature_type_double ();
  InkError err;

  g_assert_cmpint (ink_model_add_input (m, "more", &dbl, "", &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_model_add_output (m, "more", &dbl, "", &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_model_set_predicted_feature_name (m, "x"), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_model_set_updatable (m, false), ==, INK_ERR_INVALID_ARGUMENT);
  check_described_knn (ink_model_get_description (m));
  ink_model_free (m);
}

/* ---- Feature type checks ---- */

static void
test_check_numbers (void)
{
  InkFeatureType i = ink_feature_type_int64 ();
  InkFeatureType d = ink_feature_type_double ();
  InkValue *iv = ink_value_new_int64 (3);
  InkValue *dv = ink_value_new_double (3.5);
  InkValue *sv = ink_value_new_string ("3");
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_feature_type_check (&i, "n", iv, &err), &err);
  ink_assert_ok (ink_feature_type_check (&i, "n", dv, &err), &err);
  ink_assert_ok (ink_feature_type_check (&d, "n", dv, &err), &err);
  ink_assert_ok (ink_feature_type_check (&d, "n", iv, &err), &err);
  assert_error (ink_feature_type_check (&i, "count", sv, &err), &err, INK_ERR_TYPE_MISMATCH,
                "'count'", "Int64", "String", NULL);
  assert_error (ink_feature_type_check (&d, "ratio", sv, &err), &err, INK_ERR_TYPE_MISMATCH,
                "'ratio'", "Double", NULL);
  g_assert_cmpint (ink_feature_type_check (&d, "ratio", sv, NULL), ==, INK_ERR_TYPE_MISMATCH);
  ink_value_free (iv);
  ink_value_free (dv);
  ink_value_free (sv);
}

static void
test_check_string (void)
{
  InkFeatureType s = ink_feature_type_string ();
  InkValue *sv = ink_value_new_string ("x");
  InkValue *iv = ink_value_new_int64 (1);
  InkError err;

  ink_assert_ok (ink_feature_type_check (&s, "name", sv, &err), &err);
  assert_error (ink_feature_type_check (&s, "name", iv, &err), &err, INK_ERR_TYPE_MISMATCH,
                "'name'", "String", "Int64", NULL);
  ink_value_free (sv);
  ink_value_free (iv);
}

static void
test_check_multiarray (void)
{
  const int64_t want[] = {2, 3};
  const int64_t other[] = {4};
  InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 2, want);
  InkFeatureType any = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 0, NULL);
  InkValue *good = ink_value_new_multiarray (INK_ARRAY_FLOAT32, 2, want, NULL);
  InkValue *f64 = ink_value_new_multiarray (INK_ARRAY_FLOAT64, 2, want, NULL);
  InkValue *i32 = ink_value_new_multiarray (INK_ARRAY_INT32, 2, want, NULL);
  InkValue *bad = ink_value_new_multiarray (INK_ARRAY_FLOAT32, 1, other, NULL);
  InkValue *dv = ink_value_new_double (1.0);
  InkError err;

  ink_assert_ok (ink_feature_type_check (&t, "pixels", good, &err), &err);
  /* Element types convert freely. */
  ink_assert_ok (ink_feature_type_check (&t, "pixels", f64, &err), &err);
  ink_assert_ok (ink_feature_type_check (&t, "pixels", i32, &err), &err);
  assert_error (ink_feature_type_check (&t, "pixels", bad, &err), &err, INK_ERR_SHAPE_MISMATCH,
                "'pixels'", "2x3", "4", NULL);
  assert_error (ink_feature_type_check (&t, "pixels", dv, &err), &err, INK_ERR_TYPE_MISMATCH,
                "'pixels'", "MultiArray", "Double", NULL);
  /* A declared rank of 0 accepts any shape. */
  g_assert_cmpuint (any.rank, ==, 0);
  ink_assert_ok (ink_feature_type_check (&any, "v", good, &err), &err);
  ink_assert_ok (ink_feature_type_check (&any, "v", bad, &err), &err);
  ink_value_free (good);
  ink_value_free (f64);
  ink_value_free (i32);
  ink_value_free (bad);
  ink_value_free (dv);
}

static void
test_check_image (void)
{
  InkFeatureType t = ink_feature_type_image (INK_PIXEL_GRAY8, 28, 28);
  InkValue *same = ink_value_new_image (INK_PIXEL_GRAY8, 28, 28, 28, NULL);
  InkValue *other = ink_value_new_image (INK_PIXEL_RGBA8, 10, 5, 40, NULL);
  const int64_t shape[] = {28, 28};
  InkValue *arr = ink_value_new_multiarray (INK_ARRAY_FLOAT32, 2, shape, NULL);
  InkError err;

  ink_assert_ok (ink_feature_type_check (&t, "drawing", same, &err), &err);
  /* Other sizes and formats are converted at prediction. */
  ink_assert_ok (ink_feature_type_check (&t, "drawing", other, &err), &err);
  assert_error (ink_feature_type_check (&t, "drawing", arr, &err), &err, INK_ERR_TYPE_MISMATCH,
                "'drawing'", "Image", NULL);
  ink_value_free (same);
  ink_value_free (other);
  ink_value_free (arr);
}

static void
test_check_dictionary (void)
{
  InkFeatureType ts = ink_feature_type_dictionary (INK_KEY_STRING);
  InkFeatureType ti = ink_feature_type_dictionary (INK_KEY_INT64);
  InkValue *ds = ink_value_new_dictionary (INK_KEY_STRING);
  InkValue *di = ink_value_new_dictionary (INK_KEY_INT64);
  InkValue *sv = ink_value_new_string ("k");
  InkError err;

  ink_assert_ok (ink_feature_type_check (&ts, "probs", ds, &err), &err);
  ink_assert_ok (ink_feature_type_check (&ti, "probs", di, &err), &err);
  assert_error (ink_feature_type_check (&ts, "probs", di, &err), &err, INK_ERR_TYPE_MISMATCH,
                "'probs'", "string", NULL);
  assert_error (ink_feature_type_check (&ti, "probs", ds, &err), &err, INK_ERR_TYPE_MISMATCH,
                "'probs'", "int64", NULL);
  assert_error (ink_feature_type_check (&ts, "probs", sv, &err), &err, INK_ERR_TYPE_MISMATCH,
                "'probs'", NULL);
  ink_value_free (ds);
  ink_value_free (di);
  ink_value_free (sv);
}

static void
test_check_sequence (void)
{
  InkFeatureType ti = ink_feature_type_sequence (INK_VALUE_INT64);
  InkFeatureType ts = ink_feature_type_sequence (INK_VALUE_STRING);
  InkValue *si = ink_value_new_sequence (INK_VALUE_INT64);
  InkValue *ss = ink_value_new_sequence (INK_VALUE_STRING);
  InkValue *iv = ink_value_new_int64 (1);
  InkError err;

  ink_assert_ok (ink_feature_type_check (&ti, "ids", si, &err), &err);
  ink_assert_ok (ink_feature_type_check (&ts, "words", ss, &err), &err);
  assert_error (ink_feature_type_check (&ti, "ids", ss, &err), &err, INK_ERR_TYPE_MISMATCH, "'ids'",
                NULL);
  assert_error (ink_feature_type_check (&ts, "words", si, &err), &err, INK_ERR_TYPE_MISMATCH,
                "'words'", NULL);
  assert_error (ink_feature_type_check (&ti, "ids", iv, &err), &err, INK_ERR_TYPE_MISMATCH, "'ids'",
                "Sequence", NULL);
  ink_value_free (si);
  ink_value_free (ss);
  ink_value_free (iv);
}

static void
test_check_missing (void)
{
  const InkFeatureType types[] = {
    ink_feature_type_int64 (),
    ink_feature_type_double (),
    ink_feature_type_string (),
    ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, four),
    ink_feature_type_image (INK_PIXEL_RGBA8, 8, 8),
    ink_feature_type_dictionary (INK_KEY_STRING),
    ink_feature_type_sequence (INK_VALUE_STRING),
  };
  InkError err;

  for (size_t i = 0; i < G_N_ELEMENTS (types); i++)
    assert_error (ink_feature_type_check (&types[i], "absent", NULL, &err), &err,
                  INK_ERR_MISSING_INPUT, "'absent'", NULL);
}

/* ---- Descriptions of types ---- */

static void
assert_describes (const InkFeatureType *t, const char *want)
{
  char buf[256];

  memset (buf, 'X', sizeof buf);
  ink_feature_type_describe (t, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, want);
}

static void
test_describe (void)
{
  const int64_t s1[] = {128};
  const int64_t s3[] = {1, 28, 28};
  InkFeatureType t;

  t = ink_feature_type_int64 ();
  assert_describes (&t, "Int64");
  t = ink_feature_type_double ();
  assert_describes (&t, "Double");
  t = ink_feature_type_string ();
  assert_describes (&t, "String");
  t = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, s1);
  assert_describes (&t, "MultiArray (Float32 128)");
  t = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 3, s3);
  assert_describes (&t, "MultiArray (Float64 1x28x28)");
  t = ink_feature_type_multiarray (INK_ARRAY_INT32, 0, NULL);
  assert_describes (&t, "MultiArray (Int32)");
  t = ink_feature_type_image (INK_PIXEL_GRAY8, 28, 28);
  assert_describes (&t, "Image (Gray8 28x28)");
  t = ink_feature_type_image (INK_PIXEL_BGRA8, 224, 160);
  assert_describes (&t, "Image (BGRA8 224x160)");
  t.image.has_range = true;
  t.image.min_width = 1;
  t.image.max_width = -1;
  assert_describes (&t, "Image (BGRA8 224x160, flexible)");
  t = ink_feature_type_dictionary (INK_KEY_STRING);
  assert_describes (&t, "Dictionary (String to Double)");
  t = ink_feature_type_dictionary (INK_KEY_INT64);
  assert_describes (&t, "Dictionary (Int64 to Double)");
  t = ink_feature_type_sequence (INK_VALUE_INT64);
  assert_describes (&t, "Sequence (Int64)");
  t = ink_feature_type_sequence (INK_VALUE_STRING);
  assert_describes (&t, "Sequence (String)");
  t = ink_feature_type_double ();
  t.optional = true;
  assert_describes (&t, "Double, optional");
  t = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, s1);
  t.optional = true;
  assert_describes (&t, "MultiArray (Float32 128), optional");
}

static void
test_describe_small_buffer (void)
{
  const int64_t s3[] = {1, 28, 28};
  InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 3, s3);
  char buf[12];

  t.optional = true;
  memset (buf, 'X', sizeof buf);
  ink_feature_type_describe (&t, buf, 8);
  g_assert_cmpstr (buf, ==, "MultiAr");
  g_assert_cmpint (buf[8], ==, 'X');
}

static void
test_type_constructors (void)
{
  int64_t big[INK_MAX_RANK + 2];
  InkFeatureType t;

  for (size_t i = 0; i < G_N_ELEMENTS (big); i++)
    big[i] = (int64_t) i + 1;
  t = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, G_N_ELEMENTS (big), big);
  g_assert_cmpuint (t.rank, <=, INK_MAX_RANK);
  t = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 3, NULL);
  g_assert_cmpuint (t.rank, ==, 0);
  g_assert_cmpint (t.array_type, ==, INK_ARRAY_FLOAT64);
  t = ink_feature_type_image (INK_PIXEL_RGBA8, 64, 32);
  g_assert_cmpint (t.type, ==, INK_VALUE_IMAGE);
  g_assert_cmpint (t.image.format, ==, INK_PIXEL_RGBA8);
  g_assert_cmpint (t.image.width, ==, 64);
  g_assert_cmpint (t.image.height, ==, 32);
  g_assert_cmpuint (t.image.n_sizes, ==, 0);
  g_assert_false (t.image.has_range);
  g_assert_false (t.optional);
}

/* ---- Update parameters ---- */

static void
test_param_range (void)
{
  InkUpdateParameter p = {.key = INK_PARAM_EPOCHS,
                          .type = INK_PARAM_INT64,
                          .default_value = 10,
                          .has_range = true,
                          .min = 1,
                          .max = 100};
  InkError err;

  ink_assert_ok (ink_update_parameter_check (&p, 10, &err), &err);
  ink_assert_ok (ink_update_parameter_check (&p, 1, &err), &err);
  ink_assert_ok (ink_update_parameter_check (&p, 100, &err), &err);
  assert_error (ink_update_parameter_check (&p, 0, &err), &err, INK_ERR_PARAMETER, "epochs",
                "[1, 100]", NULL);
  assert_error (ink_update_parameter_check (&p, 101, &err), &err, INK_ERR_PARAMETER, "epochs",
                "[1, 100]", NULL);
  g_assert_cmpint (ink_update_parameter_check (&p, -5, NULL), ==, INK_ERR_PARAMETER);
}

static void
test_param_integer (void)
{
  InkUpdateParameter p = {.key = INK_PARAM_SEED, .type = INK_PARAM_INT64};
  InkError err;

  ink_assert_ok (ink_update_parameter_check (&p, 123456, &err), &err);
  ink_assert_ok (ink_update_parameter_check (&p, -3, &err), &err);
  assert_error (ink_update_parameter_check (&p, 2.5, &err), &err, INK_ERR_PARAMETER, "seed",
                "integer", NULL);
  assert_error (ink_update_parameter_check (&p, -0.25, &err), &err, INK_ERR_PARAMETER, "seed",
                NULL);
}

static void
test_param_double (void)
{
  InkUpdateParameter p = {.key = INK_PARAM_LEARNING_RATE,
                          .type = INK_PARAM_DOUBLE,
                          .default_value = 0.01,
                          .has_range = true,
                          .min = 0,
                          .max = 1};
  InkUpdateParameter free_p = {.key = INK_PARAM_EPS, .type = INK_PARAM_DOUBLE};
  InkError err;

  ink_assert_ok (ink_update_parameter_check (&p, 0.5, &err), &err);
  ink_assert_ok (ink_update_parameter_check (&p, 0, &err), &err);
  ink_assert_ok (ink_update_parameter_check (&p, 1, &err), &err);
  assert_error (ink_update_parameter_check (&p, 1.5, &err), &err, INK_ERR_PARAMETER, "learningRate",
                "[0, 1]", NULL);
  assert_error (ink_update_parameter_check (&p, -1e-9, &err), &err, INK_ERR_PARAMETER,
                "learningRate", NULL);
  /* NaN is never inside a range. */
  g_assert_cmpint (ink_update_parameter_check (&p, NAN, &err), ==, INK_ERR_PARAMETER);
  ink_assert_ok (ink_update_parameter_check (&free_p, -1e30, &err), &err);
  ink_assert_ok (ink_update_parameter_check (&free_p, 1e-8, &err), &err);
}

static void
test_param_set (void)
{
  const int64_t sizes[] = {8, 16, 64};
  InkUpdateParameter p = {.key = INK_PARAM_MINI_BATCH_SIZE,
                          .type = INK_PARAM_INT64,
                          .default_value = 16,
                          .n_set = 3,
                          .set = sizes};
  InkError err;

  for (size_t i = 0; i < 3; i++)
    ink_assert_ok (ink_update_parameter_check (&p, (double) sizes[i], &err), &err);
  assert_error (ink_update_parameter_check (&p, 32, &err), &err, INK_ERR_PARAMETER, "miniBatchSize",
                "{8, 16, 64}", NULL);
  assert_error (ink_update_parameter_check (&p, 0, &err), &err, INK_ERR_PARAMETER, "miniBatchSize",
                "{8, 16, 64}", NULL);
}

static void
test_param_bool (void)
{
  InkUpdateParameter p = {.key = INK_PARAM_SHUFFLE, .type = INK_PARAM_BOOL};
  InkError err;

  ink_assert_ok (ink_update_parameter_check (&p, 0, &err), &err);
  ink_assert_ok (ink_update_parameter_check (&p, 1, &err), &err);
  assert_error (ink_update_parameter_check (&p, 0.5, &err), &err, INK_ERR_PARAMETER, "shuffle",
                NULL);
  assert_error (ink_update_parameter_check (&p, 2, &err), &err, INK_ERR_PARAMETER, "shuffle", NULL);
  assert_error (ink_update_parameter_check (&p, -1, &err), &err, INK_ERR_PARAMETER, "shuffle",
                NULL);
}

static void
test_param_declare_invalid (void)
{
  InkModel *m = ink_knn_new (2, INK_KNN_UNIFORM, 1, false);
  const int64_t sizes[] = {8, 16};
  InkUpdateParameter out_of_range = {.key = INK_PARAM_EPOCHS,
                                     .type = INK_PARAM_INT64,
                                     .default_value = 200,
                                     .has_range = true,
                                     .min = 1,
                                     .max = 100};
  InkUpdateParameter not_in_set = {.key = INK_PARAM_MINI_BATCH_SIZE,
                                   .type = INK_PARAM_INT64,
                                   .default_value = 12,
                                   .n_set = 2,
                                   .set = sizes};
  InkUpdateParameter not_integer = {
    .key = INK_PARAM_SEED, .type = INK_PARAM_INT64, .default_value = 0.5};
  InkUpdateParameter reversed = {.key = INK_PARAM_MOMENTUM,
                                 .type = INK_PARAM_DOUBLE,
                                 .default_value = 0.5,
                                 .has_range = true,
                                 .min = 1,
                                 .max = 0};
  InkUpdateParameter set_missing = {
    .key = INK_PARAM_MINI_BATCH_SIZE, .type = INK_PARAM_INT64, .default_value = 8, .n_set = 2};
  InkUpdateParameter no_key = {.key = NULL, .type = INK_PARAM_BOOL};
  InkUpdateParameter empty_key = {.key = "", .type = INK_PARAM_BOOL};
  InkUpdateParameter bad_type = {.key = "x", .type = (InkParamType) 9};
  const InkModelDescription *d = ink_model_get_description (m);
  InkError err;

  assert_error (ink_model_set_update_parameter (m, &out_of_range, &err), &err, INK_ERR_PARAMETER,
                "epochs", "[1, 100]", NULL);
  assert_error (ink_model_set_update_parameter (m, &not_in_set, &err), &err, INK_ERR_PARAMETER,
                "miniBatchSize", "{8, 16}", NULL);
  assert_error (ink_model_set_update_parameter (m, &not_integer, &err), &err, INK_ERR_PARAMETER,
                "seed", NULL);
  assert_error (ink_model_set_update_parameter (m, &reversed, &err), &err, INK_ERR_PARAMETER,
                "momentum", NULL);
  g_assert_cmpint (ink_model_set_update_parameter (m, &out_of_range, NULL), !=, INK_OK);
  g_assert_cmpint (ink_model_set_update_parameter (m, &set_missing, &err), !=, INK_OK);
  g_assert_cmpint (ink_model_set_update_parameter (m, &no_key, &err), !=, INK_OK);
  g_assert_cmpint (ink_model_set_update_parameter (m, &empty_key, &err), !=, INK_OK);
  g_assert_cmpint (ink_model_set_update_parameter (m, &bad_type, &err), !=, INK_OK);
  g_assert_cmpint (ink_model_set_update_parameter (m, NULL, &err), !=, INK_OK);
  g_assert_cmpint (ink_model_set_update_parameter (NULL, &out_of_range, &err), !=, INK_OK);
  /* Nothing was stored. */
  g_assert_cmpuint (ink_description_n_update_parameters (d), ==, 0);
  ink_model_free (m);
}

static void
test_param_replace (void)
{
  InkModel *m = ink_knn_new (2, INK_KNN_UNIFORM, 1, false);
  InkUpdateParameter p = {.key = INK_PARAM_EPOCHS,
                          .type = INK_PARAM_INT64,
                          .default_value = 10,
                          .has_range = true,
                          .min = 1,
                          .max = 100};
  InkUpdateParameter lr = {
    .key = INK_PARAM_LEARNING_RATE, .type = INK_PARAM_DOUBLE, .default_value = 0.1};
  const InkModelDescription *d = ink_model_get_description (m);
  const InkUpdateParameter *got;
  char key[] = "epochs";
  InkError err;

  p.key = key;
  ink_assert_ok (ink_model_set_update_parameter (m, &p, &err), &err);
  ink_assert_ok (ink_model_set_update_parameter (m, &lr, &err), &err);
  /* The key is copied. */
  key[0] = 'E';
  g_assert_nonnull (ink_description_find_update_parameter (d, "epochs"));
  p.key = INK_PARAM_EPOCHS;
  p.default_value = 50;
  p.max = 500;
  ink_assert_ok (ink_model_set_update_parameter (m, &p, &err), &err);
  g_assert_cmpuint (ink_description_n_update_parameters (d), ==, 2);
  got = ink_description_update_parameter (d, 0);
  g_assert_cmpstr (got->key, ==, "epochs");
  g_assert_cmpfloat (got->default_value, ==, 50);
  g_assert_cmpfloat (got->max, ==, 500);
  /* A rejected replacement keeps the old declaration. */
  p.default_value = 1000;
  g_assert_cmpint (ink_model_set_update_parameter (m, &p, &err), ==, INK_ERR_PARAMETER);
  g_assert_cmpfloat (ink_description_find_update_parameter (d, "epochs")->default_value, ==, 50);
  ink_model_free (m);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/description/accessors", test_accessors);
  g_test_add_func ("/engine/description/copy", test_copy_keeps_description);
  g_test_add_func ("/engine/description/unset", test_unset_fields);
  g_test_add_func ("/engine/description/duplicate-names", test_duplicate_names);
  g_test_add_func ("/engine/description/bad-features", test_bad_features);
  g_test_add_func ("/engine/description/finished-is-frozen", test_finished_is_frozen);
  g_test_add_func ("/engine/description/check/numbers", test_check_numbers);
  g_test_add_func ("/engine/description/check/string", test_check_string);
  g_test_add_func ("/engine/description/check/multiarray", test_check_multiarray);
  g_test_add_func ("/engine/description/check/image", test_check_image);
  g_test_add_func ("/engine/description/check/dictionary", test_check_dictionary);
  g_test_add_func ("/engine/description/check/sequence", test_check_sequence);
  g_test_add_func ("/engine/description/check/missing", test_check_missing);
  g_test_add_func ("/engine/description/describe", test_describe);
  g_test_add_func ("/engine/description/describe/small-buffer", test_describe_small_buffer);
  g_test_add_func ("/engine/description/type-constructors", test_type_constructors);
  g_test_add_func ("/engine/description/parameter/range", test_param_range);
  g_test_add_func ("/engine/description/parameter/integer", test_param_integer);
  g_test_add_func ("/engine/description/parameter/double", test_param_double);
  g_test_add_func ("/engine/description/parameter/set", test_param_set);
  g_test_add_func ("/engine/description/parameter/bool", test_param_bool);
  g_test_add_func ("/engine/description/parameter/declare-invalid", test_param_declare_invalid);
  g_test_add_func ("/engine/description/parameter/replace", test_param_replace);
  return g_test_run ();
}

/* test-feature-models.c: one-hot encoders, vectorizers, scaler, imputer,
 * array feature extractor, normalizer, and the pipelines built from them
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "ink-features-private.h"
#include "ink-model-private.h"
#include "test-util.h"

#define TOL 1e-12

/* ---- Helpers ---- */

static void
assert_message_has (const InkError *err, const char *needle)
{
  if (strstr (err->message, needle) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", err->message, needle);
}

static void
add_input (InkModel *m, const char *name, InkFeatureType t)
{
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (m, name, &t, "", &err), &err);
}

static void
add_output (InkModel *m, const char *name, InkFeatureType t)
{
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_output (m, name, &t, "", &err), &err);
}

/* A float64 (or other) multi-array type of shape [n]; n < 0: any shape. */
static InkFeatureType
array_of (InkArrayType at, int64_t n)
{
  return ink_feature_type_multiarray (at, n < 0 ? 0 : 1, n < 0 ? NULL : &n);
}

static InkFeatureType
optional (InkFeatureType t)
{
  t.optional = true;
  return t;
}

static InkModel *
finish (InkModel *m)
{
  InkError err;

  g_assert_nonnull (m);
  ink_error_clear (&err);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  return m;
}

/* Finishing m fails with want and a message naming the kind and needle;
 * frees m. */
static void
expect_finish_error (InkModel *m, InkStatus want, const char *needle)
{
  InkError err;
  InkStatus st;

  g_assert_nonnull (m);
  ink_error_clear (&err);
  st = ink_model_finish (m, &err);
  if (st != want)
    g_error ("finish: expected %s, got %s: %s", ink_status_to_string (want),
             ink_status_to_string (st), err.message);
  assert_message_has (&err, ink_model_kind_to_string (ink_model_get_kind (m)));
  assert_message_has (&err, needle);
  ink_model_free (m);
}

static InkFeatures *
features (const char *name, InkValue *v)
{
  InkFeatures *f = ink_features_new ();

  g_assert_nonnull (v);
  g_assert_cmpint (ink_features_set (f, name, v), ==, INK_OK);
  return f;
}

/* Predicts on in (freed); the caller frees the outputs. */
static InkFeatures *
run (const InkModel *m, InkFeatures *in)
{
  InkFeatures *out = NULL;
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  ink_features_free (in);
  return out;
}

static void
expect_predict_error (const InkModel *m, InkFeatures *in, InkStatus want, const char *needle)
{
  InkFeatures *out = NULL;
  InkError err;
  InkStatus st;

  ink_error_clear (&err);
  st = ink_model_predict (m, in, &out, &err);
  if (st != want)
    g_error ("predict: expected %s, got %s: %s", ink_status_to_string (want),
             ink_status_to_string (st), err.message);
  g_assert_null (out);
  assert_message_has (&err, needle);
  ink_features_free (in);
}

static InkValue *
array_value (const double *v, size_t n)
{
  int64_t shape[1] = {(int64_t) n};

  return ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, shape, v);
}

static void
assert_array (const InkValue *v, const double *want, size_t n, double tol)
{
  g_assert_nonnull (v);
  g_assert_cmpint (ink_value_get_type (v), ==, INK_VALUE_MULTIARRAY);
  g_assert_cmpuint (ink_value_array_count (v), ==, n);
  for (size_t i = 0; i < n; i++) {
    double got = ink_value_array_get (v, i);

    if (!(fabs (got - want[i]) <= tol))
      g_error ("element %zu: got %.17g, want %.17g", i, got, want[i]);
  }
}

/* Runs m on in and checks that out_name is the array want. */
static void
assert_predicts_array (const InkModel *m, InkFeatures *in, const char *out_name, const double *want,
                       size_t n)
{
  InkFeatures *out = run (m, in);

  assert_array (ink_features_get (out, out_name), want, n, TOL);
  ink_features_free (out);
}

static void
assert_predicts_double (const InkModel *m, InkFeatures *in, const char *out_name, double want)
{
  InkFeatures *out = run (m, in);
  const InkValue *v = ink_features_get (out, out_name);

  g_assert_nonnull (v);
  g_assert_cmpint (ink_value_get_type (v), ==, INK_VALUE_DOUBLE);
  if (isinf (want))
    g_assert_cmpfloat (ink_value_get_double (v), ==, want);
  else
    g_assert_cmpfloat_with_epsilon (ink_value_get_double (v), want, TOL);
  ink_features_free (out);
}

/* ---- Persistence: JSON, .inkmodel files, copies ---- */

static char *
model_json_text (const InkModel *m)
{
  InkError err;
  cJSON *obj = ink_model_to_json (m, NULL, &err);
  char *text;

  if (obj == NULL)
    g_error ("ink_model_to_json: %s", err.message);
  text = cJSON_PrintUnformatted (obj);
  cJSON_Delete (obj);
  return text;
}

static InkModel *
json_round_trip (const InkModel *m)
{
  char *text = model_json_text (m);
  cJSON *parsed = cJSON_Parse (text);
  InkModel *back;
  InkError err;

  g_assert_nonnull (parsed);
  back = ink_model_from_json (parsed, NULL, &err);
  if (back == NULL)
    g_error ("ink_model_from_json: %s", err.message);
  cJSON_Delete (parsed);
  cJSON_free (text);
  return finish (back);
}

static InkModel *
save_and_load (const InkModel *m)
{
  char *dir = ink_test_tmpdir_new ();
  char *path = g_build_filename (dir, "model.inkmodel", NULL);
  InkModel *loaded;
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_save (m, path, &err), &err);
  loaded = ink_model_load (path, &err);
  if (loaded == NULL)
    g_error ("ink_model_load: %s", err.message);
  g_free (path);
  ink_test_tmpdir_free (dir);
  return loaded;
}

typedef void (*VerifyFunc) (const InkModel *m);

/* Runs verify on m, on its JSON round trip, on a saved and reloaded copy
 * and on ink_model_copy's copy (each serializing like m); frees m. */
static void
check_everywhere (InkModel *m, VerifyFunc verify)
{
  char *want = model_json_text (m);
  InkModel *variants[3];
  InkError err;

  verify (m);
  variants[0] = json_round_trip (m);
  variants[1] = save_and_load (m);
  variants[2] = ink_model_copy (m, &err);
  if (variants[2] == NULL)
    g_error ("ink_model_copy: %s", err.message);
  for (size_t i = 0; i < G_N_ELEMENTS (variants); i++) {
    char *got = model_json_text (variants[i]);

    g_assert_cmpint (ink_model_get_kind (variants[i]), ==, ink_model_get_kind (m));
    g_assert_cmpstr (got, ==, want);
    cJSON_free (got);
    verify (variants[i]);
    ink_model_free (variants[i]);
  }
  cJSON_free (want);
  ink_model_free (m);
}

/* ---- Kinds ---- */

static void
test_kind_names (void)
{
  static const struct {
    InkModelKind kind;
    const char *name;
  } kinds[] = {
    {INK_MODEL_ONE_HOT_ENCODER, "oneHotEncoder"},
    {INK_MODEL_FEATURE_VECTORIZER, "featureVectorizer"},
    {INK_MODEL_DICT_VECTORIZER, "dictVectorizer"},
    {INK_MODEL_SCALER, "scaler"},
    {INK_MODEL_IMPUTER, "imputer"},
    {INK_MODEL_ARRAY_FEATURE_EXTRACTOR, "arrayFeatureExtractor"},
    {INK_MODEL_NORMALIZER, "normalizer"},
  };

  g_assert_cmpint (INK_MODEL_ONE_HOT_ENCODER, ==, 11);
  g_assert_cmpint (INK_MODEL_NORMALIZER, ==, 17);
  for (size_t i = 0; i < G_N_ELEMENTS (kinds); i++) {
    InkModelKind back;

    g_assert_cmpstr (ink_model_kind_to_string (kinds[i].kind), ==, kinds[i].name);
    g_assert_true (ink_model_kind_from_string (kinds[i].name, &back));
    g_assert_cmpint (back, ==, kinds[i].kind);
    g_assert_nonnull (ink_model_ops_for_kind (kinds[i].kind));
    g_assert_false (ink_model_kind_is_classifier (kinds[i].kind));
  }
}

/* ---- One-hot encoder ---- */

static const char *const COMPANIES[] = {"Mars", "McDonalds", "KFC"};

static InkModel *
new_string_encoder (bool sparse, bool ignore)
{
  InkModel *m = ink_one_hot_encoder_new_string (COMPANIES, 3, sparse, ignore);

  g_assert_nonnull (m);
  add_input (m, "company", ink_feature_type_string ());
  add_output (m, "company",
              sparse ? ink_feature_type_dictionary (INK_KEY_INT64)
                     : array_of (INK_ARRAY_FLOAT64, 3));
  return finish (m);
}

static void
verify_sparse_ignore (const InkModel *m)
{
  InkFeatures *out = run (m, features ("company", ink_value_new_string ("KFC")));
  const InkValue *d = ink_features_get (out, "company");
  double v = 0;

  g_assert_cmpint (ink_value_get_type (d), ==, INK_VALUE_DICTIONARY);
  g_assert_cmpint (ink_value_dictionary_key_type (d), ==, INK_KEY_INT64);
  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 1);
  g_assert_true (ink_value_dictionary_lookup_int64 (d, 2, &v));
  g_assert_cmpfloat (v, ==, 1.0);
  ink_features_free (out);
  /* Unknown, ignored: an empty dictionary. */
  out = run (m, features ("company", ink_value_new_string ("Subway")));
  d = ink_features_get (out, "company");
  g_assert_cmpint (ink_value_get_type (d), ==, INK_VALUE_DICTIONARY);
  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 0);
  ink_features_free (out);
}

static void
test_one_hot_string_sparse (void)
{
  InkModel *m = new_string_encoder (true, true);
  const InkOneHotEncoder *body = ink_one_hot_encoder_body (m);

  /* The exporter's view of the body. */
  g_assert_nonnull (body);
  g_assert_cmpuint (body->categories.n, ==, 3);
  g_assert_false (body->categories.is_int64);
  g_assert_cmpstr (body->categories.strings[1], ==, "McDonalds");
  g_assert_true (body->output_sparse);
  g_assert_true (body->ignore_unknown);
  g_assert_null (ink_scaler_body (m));
  check_everywhere (m, verify_sparse_ignore);
}

static void
verify_string_dense_error (const InkModel *m)
{
  const double mars[] = {1, 0, 0}, mcd[] = {0, 1, 0};

  assert_predicts_array (m, features ("company", ink_value_new_string ("Mars")), "company", mars,
                         3);
  assert_predicts_array (m, features ("company", ink_value_new_string ("McDonalds")), "company",
                         mcd, 3);
  expect_predict_error (m, features ("company", ink_value_new_string ("Subway")),
                        INK_ERR_INVALID_ARGUMENT, "\"Subway\", which is not one of its 3");
  expect_predict_error (m, features ("company", ink_value_new_int64 (3)), INK_ERR_TYPE_MISMATCH,
                        "company");
}

static void
test_one_hot_string_dense (void)
{
  check_everywhere (new_string_encoder (false, false), verify_string_dense_error);
}

static InkModel *
new_int64_encoder (bool sparse, bool ignore)
{
  const int64_t cats[] = {10, -3, 7};
  InkModel *m = ink_one_hot_encoder_new_int64 (cats, 3, sparse, ignore);

  g_assert_nonnull (m);
  add_input (m, "n", ink_feature_type_int64 ());
  /* Declared float32: the engine converts the float64 result. */
  add_output (m, "code",
              sparse ? ink_feature_type_dictionary (INK_KEY_INT64)
                     : array_of (INK_ARRAY_FLOAT32, 3));
  return finish (m);
}

static void
verify_int64_dense_ignore (const InkModel *m)
{
  const double seven[] = {0, 0, 1}, minus3[] = {0, 1, 0}, none[] = {0, 0, 0};
  InkFeatures *out = run (m, features ("n", ink_value_new_int64 (7)));
  const InkValue *v = ink_features_get (out, "code");

  g_assert_cmpint (ink_value_array_type (v), ==, INK_ARRAY_FLOAT32);
  assert_array (v, seven, 3, 0);
  ink_features_free (out);
  /* A Double holding an integer is the same category. */
  assert_predicts_array (m, features ("n", ink_value_new_double (-3.0)), "code", minus3, 3);
  assert_predicts_array (m, features ("n", ink_value_new_double (-3.5)), "code", none, 3);
  assert_predicts_array (m, features ("n", ink_value_new_int64 (5)), "code", none, 3);
}

static void
verify_int64_sparse_error (const InkModel *m)
{
  InkFeatures *out = run (m, features ("n", ink_value_new_int64 (10)));
  const InkValue *d = ink_features_get (out, "code");

  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 1);
  g_assert_cmpint (ink_value_dictionary_int64_key (d, 0), ==, 0);
  g_assert_cmpfloat (ink_value_dictionary_value (d, 0), ==, 1.0);
  ink_features_free (out);
  expect_predict_error (m, features ("n", ink_value_new_int64 (5)), INK_ERR_INVALID_ARGUMENT,
                        "is 5, which is not one of its 3 categories");
  expect_predict_error (m, features ("n", ink_value_new_double (0.5)), INK_ERR_INVALID_ARGUMENT,
                        "is 0.5");
  expect_predict_error (m, ink_features_new (), INK_ERR_MISSING_INPUT, "'n'");
}

static void
test_one_hot_int64 (void)
{
  check_everywhere (new_int64_encoder (false, true), verify_int64_dense_ignore);
  check_everywhere (new_int64_encoder (true, false), verify_int64_sparse_error);
}

static void
test_one_hot_absent_input (void)
{
  InkModel *m = ink_one_hot_encoder_new_string (COMPANIES, 3, false, true);
  const double none[] = {0, 0, 0};

  add_input (m, "company", optional (ink_feature_type_string ()));
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, -1));
  finish (m);
  /* An absent optional input is an unknown value. */
  assert_predicts_array (m, ink_features_new (), "v", none, 3);
  ink_model_free (m);
}

static void
test_one_hot_invalid (void)
{
  const char *const dup[] = {"a", "b", "a"};
  const int64_t idup[] = {4, 4};
  InkModel *m;

  g_assert_null (ink_one_hot_encoder_new_string (NULL, 2, false, false));
  g_assert_null (ink_one_hot_encoder_new_int64 (NULL, 1, false, false));
  g_assert_null (ink_one_hot_encoder_new_string ((const char *const[]){"a", NULL}, 2, 0, 0));

  m = ink_one_hot_encoder_new_string (NULL, 0, false, false);
  add_input (m, "x", ink_feature_type_string ());
  add_output (m, "y", array_of (INK_ARRAY_FLOAT64, -1));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "no categories");

  m = ink_one_hot_encoder_new_string (dup, 3, false, false);
  add_input (m, "x", ink_feature_type_string ());
  add_output (m, "y", array_of (INK_ARRAY_FLOAT64, 3));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "\"a\" appears twice (at 0 and 2)");

  m = ink_one_hot_encoder_new_int64 (idup, 2, true, false);
  add_input (m, "x", ink_feature_type_int64 ());
  add_output (m, "y", ink_feature_type_dictionary (INK_KEY_INT64));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "category 4 appears twice");

  m = ink_one_hot_encoder_new_string (COMPANIES, 3, false, false);
  add_input (m, "x", ink_feature_type_int64 ());
  add_output (m, "y", array_of (INK_ARRAY_FLOAT64, 3));
  expect_finish_error (m, INK_ERR_INVALID_MODEL,
                       "input 'x' is an Int64 but the categories are String");

  m = ink_one_hot_encoder_new_string (COMPANIES, 3, true, false);
  add_input (m, "x", ink_feature_type_string ());
  add_output (m, "y", array_of (INK_ARRAY_FLOAT64, 3));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "sparse output 'y' must be a Dictionary");

  m = ink_one_hot_encoder_new_string (COMPANIES, 3, true, false);
  add_input (m, "x", ink_feature_type_string ());
  add_output (m, "y", ink_feature_type_dictionary (INK_KEY_STRING));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "(String to Double)");

  m = ink_one_hot_encoder_new_string (COMPANIES, 3, false, false);
  add_input (m, "x", ink_feature_type_string ());
  add_output (m, "y", ink_feature_type_dictionary (INK_KEY_INT64));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "output 'y' must be a multi-array");

  m = ink_one_hot_encoder_new_string (COMPANIES, 3, false, false);
  add_input (m, "x", ink_feature_type_string ());
  add_output (m, "y", array_of (INK_ARRAY_FLOAT64, 4));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "declared with 4 values but there are 3");

  m = ink_one_hot_encoder_new_string (COMPANIES, 3, false, false);
  add_input (m, "x", ink_feature_type_string ());
  add_input (m, "z", ink_feature_type_string ());
  add_output (m, "y", array_of (INK_ARRAY_FLOAT64, 3));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "needs exactly 1 input; it declares 2");

  m = ink_one_hot_encoder_new_string (COMPANIES, 3, false, false);
  add_input (m, "x", ink_feature_type_string ());
  add_output (m, "y", array_of (INK_ARRAY_FLOAT64, 3));
  add_output (m, "w", array_of (INK_ARRAY_FLOAT64, 3));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "needs exactly 1 output; it declares 2");
}

/* ---- Feature vectorizer ---- */

/* Columns d (dictionary, 4), a (Double), c (float32 [2]), b (Int64): not
 * the order of the declared inputs. */
static InkModel *
new_vectorizer (int64_t c_shape)
{
  InkModel *m = ink_feature_vectorizer_new ();
  InkError err;

  g_assert_nonnull (m);
  ink_error_clear (&err);
  add_input (m, "a", ink_feature_type_double ());
  add_input (m, "b", ink_feature_type_int64 ());
  add_input (m, "c", array_of (INK_ARRAY_FLOAT32, c_shape));
  add_input (m, "d", ink_feature_type_dictionary (INK_KEY_INT64));
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, 8));
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "d", 4, &err), &err);
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "a", 1, &err), &err);
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "c", 2, &err), &err);
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "b", 1, &err), &err);
  return m;
}

static InkFeatures *
vectorizer_inputs (int64_t key, size_t c_count)
{
  const float c[] = {0.5f, -2.0f, 9.0f};
  int64_t shape[1] = {(int64_t) c_count};
  InkFeatures *f = ink_features_new ();
  InkValue *d = ink_value_new_dictionary (INK_KEY_INT64);

  ink_value_dictionary_set_int64 (d, 3, 7.0);
  ink_value_dictionary_set_int64 (d, key, -1.5);
  ink_features_set_double (f, "a", 2.25);
  ink_features_set_int64 (f, "b", 42);
  ink_features_set (f, "c", ink_test_array (1, shape, c));
  ink_features_set (f, "d", d);
  return f;
}

static void
verify_vectorizer (const InkModel *m)
{
  const double want[] = {0, -1.5, 0, 7, 2.25, 0.5, -2, 42};

  assert_predicts_array (m, vectorizer_inputs (1, 2), "v", want, 8);
  expect_predict_error (m, vectorizer_inputs (4, 2), INK_ERR_SHAPE_MISMATCH,
                        "input 'd' has the key 4, outside its 4 dimensions");
  expect_predict_error (m, vectorizer_inputs (-1, 2), INK_ERR_SHAPE_MISMATCH, "key -1");
}

static void
test_vectorizer (void)
{
  const InkFeatureVectorizer *body;
  InkModel *m = finish (new_vectorizer (2));

  body = ink_feature_vectorizer_body (m);
  g_assert_nonnull (body);
  g_assert_cmpuint (body->n_columns, ==, 4);
  g_assert_cmpstr (body->columns[2].name, ==, "c");
  g_assert_cmpuint (body->columns[0].dims, ==, 4);
  g_assert_cmpuint (body->total, ==, 8);
  check_everywhere (m, verify_vectorizer);

  /* A flexible array input: its size is checked at predict. */
  m = finish (new_vectorizer (-1));
  expect_predict_error (m, vectorizer_inputs (1, 3), INK_ERR_SHAPE_MISMATCH,
                        "featureVectorizer: input \"c\" has 3 value(s); expected 2");
  expect_predict_error (m, ink_features_new (), INK_ERR_MISSING_INPUT, "'a'");
  ink_model_free (m);
}

static void
test_vectorizer_invalid (void)
{
  InkModel *m = ink_feature_vectorizer_new (), *other;
  InkError err;

  ink_error_clear (&err);
  g_assert_cmpint (ink_feature_vectorizer_add_column (m, "a", 0, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  assert_message_has (&err, "at least 1 dimension");
  g_assert_cmpint (ink_feature_vectorizer_add_column (m, "", 1, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_feature_vectorizer_add_column (NULL, "a", 1, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  other = ink_normalizer_new (INK_NORM_L2);
  g_assert_cmpint (ink_feature_vectorizer_add_column (other, "a", 1, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  ink_model_free (other);
  add_input (m, "a", ink_feature_type_double ());
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, 1));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "no input columns");

  m = ink_feature_vectorizer_new ();
  add_input (m, "a", ink_feature_type_double ());
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, 1));
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "zz", 1, &err), &err);
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "column 'zz' is not one of the declared inputs");

  m = ink_feature_vectorizer_new ();
  add_input (m, "a", ink_feature_type_double ());
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, -1));
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "a", 2, &err), &err);
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "gives 1 value, but its column has 2");

  m = ink_feature_vectorizer_new ();
  add_input (m, "a", array_of (INK_ARRAY_FLOAT32, 3));
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, -1));
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "a", 2, &err), &err);
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "declared with 3 values but its column has 2");

  m = ink_feature_vectorizer_new ();
  add_input (m, "a", ink_feature_type_dictionary (INK_KEY_STRING));
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, -1));
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "a", 2, &err), &err);
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "only Int64 keys");

  m = ink_feature_vectorizer_new ();
  add_input (m, "a", ink_feature_type_string ());
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, -1));
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "a", 1, &err), &err);
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "is a String, which cannot be vectorized");

  m = ink_feature_vectorizer_new ();
  add_input (m, "a", ink_feature_type_double ());
  add_output (m, "v", ink_feature_type_double ());
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "a", 1, &err), &err);
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "output 'v' must be a multi-array");

  m = new_vectorizer (2);
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "a", 1, &err), &err);
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "declared with 8 values but the columns give 9");

  m = finish (new_vectorizer (2));
  g_assert_cmpint (ink_feature_vectorizer_add_column (m, "a", 1, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  ink_model_free (m);
}

/* ---- Dictionary vectorizer ---- */

static void
verify_dict_vectorizer_string (const InkModel *m)
{
  const double want[] = {4, 8, 0, 0};
  InkValue *d = ink_value_new_dictionary (INK_KEY_STRING);

  /* Core ML's documented example, plus a key that is not a category. */
  ink_value_dictionary_set_string (d, "a", 4);
  ink_value_dictionary_set_string (d, "c", 8);
  ink_value_dictionary_set_string (d, "q", 1);
  assert_predicts_array (m, features ("x", d), "v", want, 4);
  expect_predict_error (m, features ("x", ink_value_new_dictionary (INK_KEY_INT64)),
                        INK_ERR_TYPE_MISMATCH, "x");
}

static void
verify_dict_vectorizer_int64 (const InkModel *m)
{
  const double want[] = {0, -1, 2.5};
  InkValue *d = ink_value_new_dictionary (INK_KEY_INT64);

  ink_value_dictionary_set_int64 (d, 9, 2.5);
  ink_value_dictionary_set_int64 (d, 1, -1);
  ink_value_dictionary_set_int64 (d, 4, 100);
  assert_predicts_array (m, features ("x", d), "v", want, 3);
}

static void
test_dict_vectorizer (void)
{
  const char *const cats[] = {"a", "c", "b", "z"};
  const int64_t icats[] = {5, 1, 9};
  InkModel *m = ink_dict_vectorizer_new_string (cats, 4);

  add_input (m, "x", ink_feature_type_dictionary (INK_KEY_STRING));
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, 4));
  g_assert_cmpuint (ink_dict_vectorizer_body (finish (m))->categories.n, ==, 4);
  check_everywhere (m, verify_dict_vectorizer_string);

  m = ink_dict_vectorizer_new_int64 (icats, 3);
  add_input (m, "x", ink_feature_type_dictionary (INK_KEY_INT64));
  add_output (m, "v", array_of (INK_ARRAY_FLOAT32, -1));
  check_everywhere (finish (m), verify_dict_vectorizer_int64);

  g_assert_null (ink_dict_vectorizer_new_string (NULL, 1));
  m = ink_dict_vectorizer_new_int64 (icats, 3);
  add_input (m, "x", ink_feature_type_dictionary (INK_KEY_STRING));
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, 3));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "need a Dictionary (Int64 to Double)");
  m = ink_dict_vectorizer_new_string (cats, 4);
  add_input (m, "x", ink_feature_type_string ());
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, 4));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "input 'x' is a String");
  m = ink_dict_vectorizer_new_string (cats, 4);
  add_input (m, "x", ink_feature_type_dictionary (INK_KEY_STRING));
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, 3));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "declared with 3 values but there are 4");
  m = ink_dict_vectorizer_new_string ((const char *const[]){"a", "a"}, 2);
  add_input (m, "x", ink_feature_type_dictionary (INK_KEY_STRING));
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, 2));
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "appears twice");
}

/* ---- Scaler ---- */

static InkModel *
new_scaler (const double *shift, size_t n_shift, const double *scale, size_t n_scale,
            InkFeatureType in, InkFeatureType out)
{
  InkModel *m = ink_scaler_new (shift, n_shift, scale, n_scale);

  g_assert_nonnull (m);
  add_input (m, "x", in);
  add_output (m, "y", out);
  return m;
}

static void
verify_scaler_scalar (const InkModel *m)
{
  /* (x + 2) * 0.5 */
  assert_predicts_double (m, features ("x", ink_value_new_double (4)), "y", 3);
  assert_predicts_double (m, features ("x", ink_value_new_int64 (-6)), "y", -2);
}

static void
verify_scaler_broadcast (const InkModel *m)
{
  const double x[] = {1, 2, 3}, want[] = {20, 30, 40};

  assert_predicts_array (m, features ("x", array_value (x, 3)), "y", want, 3);
}

static void
verify_scaler_per_element (const InkModel *m)
{
  const float x[] = {1, 2, 3, 4};
  const double want[] = {2, 2, 12, 4};
  const int64_t shape[] = {2, 2};
  InkFeatures *out = run (m, features ("x", ink_test_array (2, shape, x)));
  const InkValue *y = ink_features_get (out, "y");

  /* The output keeps the input's shape. */
  assert_array (y, want, 4, TOL);
  g_assert_cmpuint (ink_value_array_rank (y), ==, 2);
  g_assert_cmpint (ink_value_array_shape (y)[0], ==, 2);
  g_assert_cmpint (ink_value_array_type (y), ==, INK_ARRAY_FLOAT64);
  ink_features_free (out);
}

static void
verify_scaler_int64_output (const InkModel *m)
{
  InkFeatures *out = run (m, features ("x", ink_value_new_int64 (3)));
  const InkValue *y = ink_features_get (out, "y");

  /* (3 + 1) * 2 */
  g_assert_cmpint (ink_value_get_type (y), ==, INK_VALUE_INT64);
  g_assert_cmpint (ink_value_get_int64 (y), ==, 8);
  ink_features_free (out);
}

static void
test_scaler (void)
{
  const double two[] = {2}, half[] = {0.5}, one[] = {1}, ten[] = {10};
  const double shifts[] = {1, 2, 3, 0}, scales[] = {1, 0.5, 2, 1};
  const double x[] = {1, 2, 3}, ident[] = {1, 2, 3}, plus[] = {2, 4, 6};
  const int64_t shape22[] = {2, 2};
  const InkScaler *body;
  InkModel *m;

  m = finish (new_scaler (two, 1, half, 1, ink_feature_type_double (), ink_feature_type_double ()));
  body = ink_scaler_body (m);
  g_assert_cmpuint (body->n_shift, ==, 1);
  g_assert_cmpfloat (body->scale[0], ==, 0.5);
  check_everywhere (m, verify_scaler_scalar);
  check_everywhere (finish (new_scaler (one, 1, ten, 1, array_of (INK_ARRAY_FLOAT64, 3),
                                        array_of (INK_ARRAY_FLOAT64, 3))),
                    verify_scaler_broadcast);
  check_everywhere (
    finish (new_scaler (shifts, 4, scales, 4,
                        ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 2, shape22),
                        ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 2, shape22))),
    verify_scaler_per_element);
  check_everywhere (
    finish (new_scaler (one, 1, two, 1, ink_feature_type_int64 (), ink_feature_type_int64 ())),
    verify_scaler_int64_output);

  /* Empty lists: shift 0, scale 1; a per-element shift with the default scale. */
  m = finish (new_scaler (NULL, 0, NULL, 0, array_of (INK_ARRAY_FLOAT64, -1),
                          array_of (INK_ARRAY_FLOAT64, -1)));
  assert_predicts_array (m, features ("x", array_value (x, 3)), "y", ident, 3);
  ink_model_free (m);
  m = finish (new_scaler (shifts, 3, NULL, 0, array_of (INK_ARRAY_FLOAT64, -1),
                          array_of (INK_ARRAY_FLOAT64, -1)));
  assert_predicts_array (m, features ("x", array_value (x, 3)), "y", plus, 3);
  /* The flexible input gets the wrong length. */
  expect_predict_error (m, features ("x", array_value (x, 2)), INK_ERR_SHAPE_MISMATCH,
                        "input 'x' has 2 values but there are 3 shift and 0 scale values");
  ink_model_free (m);

  /* An Int64 result that is not exact. */
  m = finish (new_scaler (half, 1, NULL, 0, ink_feature_type_int64 (), ink_feature_type_int64 ()));
  expect_predict_error (m, features ("x", ink_value_new_int64 (3)), INK_ERR_TYPE_MISMATCH,
                        "3.5 cannot be the Int64 output 'y'");
  ink_model_free (m);
}

static void
test_scaler_invalid (void)
{
  const double v2[] = {1, 2}, inf[] = {INFINITY}, nan1[] = {NAN};

  g_assert_null (ink_scaler_new (NULL, 1, NULL, 0));
  g_assert_null (ink_scaler_new (NULL, 0, NULL, 2));
  expect_finish_error (
    new_scaler (v2, 2, NULL, 0, ink_feature_type_double (), ink_feature_type_double ()),
    INK_ERR_INVALID_MODEL, "2 shift and 0 scale values for input 'x'");
  expect_finish_error (
    new_scaler (NULL, 0, v2, 2, array_of (INK_ARRAY_FLOAT64, 3), array_of (INK_ARRAY_FLOAT64, 3)),
    INK_ERR_INVALID_MODEL, "or one per element");
  expect_finish_error (
    new_scaler (NULL, 0, inf, 1, ink_feature_type_double (), ink_feature_type_double ()),
    INK_ERR_INVALID_MODEL, "scale value 0 is not finite");
  expect_finish_error (
    new_scaler (nan1, 1, NULL, 0, ink_feature_type_double (), ink_feature_type_double ()),
    INK_ERR_INVALID_MODEL, "shift value 0 is not finite");
  expect_finish_error (
    new_scaler (NULL, 0, NULL, 0, ink_feature_type_string (), ink_feature_type_double ()),
    INK_ERR_INVALID_MODEL, "input 'x' is a String");
  expect_finish_error (
    new_scaler (NULL, 0, NULL, 0, ink_feature_type_double (), ink_feature_type_int64 ()),
    INK_ERR_INVALID_MODEL, "input 'x' is a Double but output 'y' is an Int64");
  expect_finish_error (
    new_scaler (NULL, 0, NULL, 0, array_of (INK_ARRAY_FLOAT64, 3), ink_feature_type_double ()),
    INK_ERR_INVALID_MODEL, "output 'y' is a Double");
  expect_finish_error (
    new_scaler (NULL, 0, NULL, 0, array_of (INK_ARRAY_FLOAT64, 3), array_of (INK_ARRAY_FLOAT64, 2)),
    INK_ERR_INVALID_MODEL, "declared with 2 values but input 'x' with 3");
}

/* ---- Normalizer ---- */

static InkModel *
new_normalizer (InkNormType norm, InkFeatureType in, InkFeatureType out)
{
  InkModel *m = ink_normalizer_new (norm);

  g_assert_nonnull (m);
  add_input (m, "x", in);
  add_output (m, "y", out);
  return m;
}

static void
verify_norm (const InkModel *m, const double *want)
{
  const double x[] = {3, -4, 0}, zeros[] = {0, 0, 0};

  assert_predicts_array (m, features ("x", array_value (x, 3)), "y", want, 3);
  assert_predicts_array (m, features ("x", array_value (zeros, 3)), "y", zeros, 3);
}

static void
verify_lmax (const InkModel *m)
{
  const double want[] = {0.75, -1, 0};

  verify_norm (m, want);
}

static void
verify_l1 (const InkModel *m)
{
  const double want[] = {3.0 / 7.0, -4.0 / 7.0, 0};

  verify_norm (m, want);
}

static void
verify_l2 (const InkModel *m)
{
  const double want[] = {0.6, -0.8, 0}, huge[] = {3e300, -4e300, 0}, tiny[] = {3e-310, 4e-310};
  const double tiny_want[] = {0.6, 0.8};

  verify_norm (m, want);
  /* Neither overflow nor underflow in the sum of squares. */
  assert_predicts_array (m, features ("x", array_value (huge, 3)), "y", want, 3);
  assert_predicts_array (m, features ("x", array_value (tiny, 2)), "y", tiny_want, 2);
}

static void
test_normalizer (void)
{
  InkFeatureType any = array_of (INK_ARRAY_FLOAT64, -1);
  InkModel *m = finish (new_normalizer (INK_NORM_LMAX, any, any));

  g_assert_cmpint (ink_normalizer_body (m)->norm, ==, INK_NORM_LMAX);
  check_everywhere (m, verify_lmax);
  check_everywhere (finish (new_normalizer (INK_NORM_L1, array_of (INK_ARRAY_FLOAT32, -1), any)),
                    verify_l1);
  check_everywhere (finish (new_normalizer (INK_NORM_L2, any, any)), verify_l2);

  expect_finish_error (new_normalizer ((InkNormType) 7, any, any), INK_ERR_INVALID_MODEL,
                       "unknown norm type 7");
  expect_finish_error (new_normalizer (INK_NORM_L2, ink_feature_type_double (), any),
                       INK_ERR_INVALID_MODEL, "expected a multi-array");
  expect_finish_error (new_normalizer (INK_NORM_L2, any, ink_feature_type_double ()),
                       INK_ERR_INVALID_MODEL, "output 'y' is a Double");
  expect_finish_error (
    new_normalizer (INK_NORM_L2, array_of (INK_ARRAY_FLOAT64, 2), array_of (INK_ARRAY_FLOAT64, 3)),
    INK_ERR_INVALID_MODEL, "declared with 3 values but input 'x' with 2");
}

/* ---- Array feature extractor ---- */

static InkModel *
new_extractor (const uint64_t *indices, size_t n, InkFeatureType in, InkFeatureType out)
{
  InkModel *m = ink_array_feature_extractor_new (indices, n);

  g_assert_nonnull (m);
  add_input (m, "x", in);
  add_output (m, "y", out);
  return m;
}

static InkFeatures *
five_values (void)
{
  const double x[] = {10, 20, 30, 40, 50};

  return features ("x", array_value (x, 5));
}

static void
verify_extract_double (const InkModel *m)
{
  assert_predicts_double (m, five_values (), "y", 40);
}

static void
verify_extract_one_array (const InkModel *m)
{
  const double want[] = {40};

  assert_predicts_array (m, five_values (), "y", want, 1);
}

static void
verify_extract_several (const InkModel *m)
{
  const double want[] = {50, 10, 50};

  assert_predicts_array (m, five_values (), "y", want, 3);
}

static void
verify_extract_int64 (const InkModel *m)
{
  InkFeatures *out = run (m, five_values ());
  const InkValue *y = ink_features_get (out, "y");

  g_assert_cmpint (ink_value_get_type (y), ==, INK_VALUE_INT64);
  g_assert_cmpint (ink_value_get_int64 (y), ==, 40);
  ink_features_free (out);
}

static void
test_extractor (void)
{
  const uint64_t three[] = {3}, several[] = {4, 0, 4}, five[] = {5}, big[] = {UINT64_MAX};
  const int64_t shape23[] = {2, 3};
  const float m23[] = {1, 2, 3, 4, 5, 6};
  InkFeatureType arr5 = array_of (INK_ARRAY_FLOAT64, 5), any = array_of (INK_ARRAY_FLOAT64, -1);
  InkModel *m;

  m = finish (new_extractor (three, 1, arr5, ink_feature_type_double ()));
  g_assert_cmpuint (ink_array_feature_extractor_body (m)->indices[0], ==, 3);
  check_everywhere (m, verify_extract_double);
  check_everywhere (finish (new_extractor (three, 1, arr5, array_of (INK_ARRAY_FLOAT64, 1))),
                    verify_extract_one_array);
  check_everywhere (finish (new_extractor (several, 3, any, any)), verify_extract_several);
  check_everywhere (finish (new_extractor (three, 1, arr5, ink_feature_type_int64 ())),
                    verify_extract_int64);

  /* Row-major over a 2-D input. */
  m = finish (new_extractor (five, 1, ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 2, shape23),
                             ink_feature_type_double ()));
  assert_predicts_double (m, features ("x", ink_test_array (2, shape23, m23)), "y", 6);
  ink_model_free (m);

  /* A flexible input shorter than an index. */
  m = finish (new_extractor (five, 1, any, ink_feature_type_int64 ()));
  expect_predict_error (m, five_values (), INK_ERR_SHAPE_MISMATCH,
                        "index 5 is outside input 'x', which has 5 values");
  expect_predict_error (m, features ("x", array_value ((double[]){0, 1, 2, 3, 4, 5.5}, 6)),
                        INK_ERR_TYPE_MISMATCH, "5.5 cannot be the Int64 output");
  ink_model_free (m);

  g_assert_null (ink_array_feature_extractor_new (NULL, 2));
  expect_finish_error (new_extractor (five, 1, arr5, ink_feature_type_double ()),
                       INK_ERR_INVALID_MODEL, "index 5 is outside input 'x'");
  expect_finish_error (new_extractor (big, 1, any, ink_feature_type_double ()),
                       INK_ERR_INVALID_MODEL, "is outside input 'x'");
  expect_finish_error (new_extractor (several, 3, any, ink_feature_type_double ()),
                       INK_ERR_INVALID_MODEL, "exactly 1 index is needed, not 3");
  expect_finish_error (new_extractor (NULL, 0, any, any), INK_ERR_INVALID_MODEL, "has 0 indices");
  expect_finish_error (new_extractor (three, 1, ink_feature_type_double (), any),
                       INK_ERR_INVALID_MODEL, "input 'x' must be a multi-array");
  expect_finish_error (new_extractor (several, 3, any, array_of (INK_ARRAY_FLOAT64, 2)),
                       INK_ERR_INVALID_MODEL, "declared with 2 values but there are 3 indices");
  expect_finish_error (new_extractor (three, 1, any, ink_feature_type_string ()),
                       INK_ERR_INVALID_MODEL, "output 'y' is a String");
}

/* ---- Imputer ---- */

static InkModel *
new_imputer (InkModel *m, InkFeatureType in, InkFeatureType out)
{
  g_assert_nonnull (m);
  add_input (m, "x", optional (in));
  add_output (m, "y", out);
  return m;
}

static void
verify_impute_double_nan (const InkModel *m)
{
  InkFeatures *out;

  assert_predicts_double (m, features ("x", ink_value_new_double (NAN)), "y", 7.5);
  assert_predicts_double (m, features ("x", ink_value_new_double (3)), "y", 3);
  assert_predicts_double (m, features ("x", ink_value_new_int64 (-2)), "y", -2);
  assert_predicts_double (m, ink_features_new (), "y", 7.5);
  out = run (m, features ("x", ink_value_new_double (INFINITY)));
  g_assert_true (isinf (ink_value_get_double (ink_features_get (out, "y"))));
  ink_features_free (out);
}

static void
verify_impute_double_replace (const InkModel *m)
{
  InkFeatures *out = run (m, features ("x", ink_value_new_double (NAN)));

  /* Only the replace value is missing now. */
  g_assert_true (isnan (ink_value_get_double (ink_features_get (out, "y"))));
  ink_features_free (out);
  assert_predicts_double (m, features ("x", ink_value_new_double (-1)), "y", 7.5);
  assert_predicts_double (m, features ("x", ink_value_new_double (1)), "y", 1);
}

static void
verify_impute_infinity (const InkModel *m)
{
  assert_predicts_double (m, features ("x", ink_value_new_double (INFINITY)), "y", 7.5);
  assert_predicts_double (m, features ("x", ink_value_new_double (-INFINITY)), "y", -INFINITY);
}

static void
verify_impute_scalar_into_array (const InkModel *m)
{
  const double x[] = {1, NAN, 3, NAN}, want[] = {1, 7.5, 3, 7.5}, all[] = {7.5, 7.5, 7.5, 7.5};

  assert_predicts_array (m, features ("x", array_value (x, 4)), "y", want, 4);
  assert_predicts_array (m, ink_features_new (), "y", all, 4);
}

static void
verify_impute_double_array (const InkModel *m)
{
  const double x[] = {0, 5, 0}, want[] = {10, 5, 30}, all[] = {10, 20, 30};

  assert_predicts_array (m, features ("x", array_value (x, 3)), "y", want, 3);
  assert_predicts_array (m, ink_features_new (), "y", all, 3);
  expect_predict_error (m, features ("x", array_value (x, 2)), INK_ERR_SHAPE_MISMATCH,
                        "input 'x' has 2 values but the imputed array has 3");
}

static void
verify_impute_int64_array (const InkModel *m)
{
  const double x[] = {-1, 9, -1, NAN}, want[] = {1, 9, 3, NAN};
  InkFeatures *out = run (m, features ("x", array_value (x, 4)));
  const InkValue *y = ink_features_get (out, "y");

  /* NaN is not missing when the replace value is an int64. */
  g_assert_cmpuint (ink_value_array_count (y), ==, 4);
  for (size_t i = 0; i < 3; i++)
    g_assert_cmpfloat (ink_value_array_get (y, i), ==, want[i]);
  g_assert_true (isnan (ink_value_array_get (y, 3)));
  ink_features_free (out);
}

static void
verify_impute_int64 (const InkModel *m)
{
  InkFeatures *out = run (m, features ("x", ink_value_new_int64 (-1)));

  g_assert_cmpint (ink_value_get_int64 (ink_features_get (out, "y")), ==, 42);
  ink_features_free (out);
  out = run (m, features ("x", ink_value_new_int64 (5)));
  g_assert_cmpint (ink_value_get_int64 (ink_features_get (out, "y")), ==, 5);
  ink_features_free (out);
  out = run (m, ink_features_new ());
  g_assert_cmpint (ink_value_get_type (ink_features_get (out, "y")), ==, INK_VALUE_INT64);
  g_assert_cmpint (ink_value_get_int64 (ink_features_get (out, "y")), ==, 42);
  ink_features_free (out);
  expect_predict_error (m, features ("x", ink_value_new_double (0.5)), INK_ERR_TYPE_MISMATCH,
                        "is not an Int64");
}

static void
verify_impute_string (const InkModel *m)
{
  const char *const in[] = {"", "x", NULL};
  const char *const want[] = {"unknown", "x", "unknown"};

  for (size_t i = 0; i < G_N_ELEMENTS (in); i++) {
    InkFeatures *out =
      run (m, in[i] != NULL ? features ("x", ink_value_new_string (in[i])) : ink_features_new ());

    g_assert_cmpstr (ink_value_get_string (ink_features_get (out, "y")), ==, want[i]);
    ink_features_free (out);
  }
}

static void
verify_impute_string_dictionary (const InkModel *m)
{
  InkFeatures *out = run (m, ink_features_new ());
  const InkValue *d = ink_features_get (out, "y");
  InkValue *given = ink_value_new_dictionary (INK_KEY_STRING);
  double v;

  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 2);
  g_assert_true (ink_value_dictionary_lookup_string (d, "b", &v));
  g_assert_cmpfloat (v, ==, 2);
  ink_features_free (out);
  /* A dictionary that is there is kept. */
  ink_value_dictionary_set_string (given, "z", 9);
  out = run (m, features ("x", given));
  d = ink_features_get (out, "y");
  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 1);
  g_assert_cmpstr (ink_value_dictionary_string_key (d, 0), ==, "z");
  ink_features_free (out);
}

static void
verify_impute_int64_dictionary (const InkModel *m)
{
  InkFeatures *out = run (m, ink_features_new ());
  const InkValue *d = ink_features_get (out, "y");

  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 1);
  g_assert_cmpint (ink_value_dictionary_int64_key (d, 0), ==, 3);
  g_assert_cmpfloat (ink_value_dictionary_value (d, 0), ==, 0.5);
  ink_features_free (out);
}

static void
test_imputer (void)
{
  const double arr[] = {10, 20, 30}, dvals[] = {1, 2}, ival[] = {0.5};
  const int64_t iarr[] = {1, 2, 3, 4}, ikeys[] = {3};
  const char *const skeys[] = {"a", "b"};
  InkFeatureType d = ink_feature_type_double ();
  InkModel *m;

  m = finish (new_imputer (ink_imputer_new_double (7.5), d, d));
  g_assert_cmpint (ink_imputer_body (m)->imputed, ==, INK_IMPUTED_DOUBLE);
  g_assert_cmpint (ink_imputer_body (m)->replace, ==, INK_REPLACE_NONE);
  check_everywhere (m, verify_impute_double_nan);

  m = new_imputer (ink_imputer_new_double (7.5), d, d);
  g_assert_cmpint (ink_imputer_set_replace_double (m, -1), ==, INK_OK);
  check_everywhere (finish (m), verify_impute_double_replace);
  /* A NaN replace value written out explicitly, and an infinite one. */
  m = new_imputer (ink_imputer_new_double (7.5), d, d);
  g_assert_cmpint (ink_imputer_set_replace_double (m, NAN), ==, INK_OK);
  check_everywhere (finish (m), verify_impute_double_nan);
  m = new_imputer (ink_imputer_new_double (7.5), d, d);
  g_assert_cmpint (ink_imputer_set_replace_double (m, INFINITY), ==, INK_OK);
  check_everywhere (finish (m), verify_impute_infinity);

  check_everywhere (
    finish (new_imputer (ink_imputer_new_double (7.5), array_of (INK_ARRAY_FLOAT32, 4),
                         array_of (INK_ARRAY_FLOAT64, 4))),
    verify_impute_scalar_into_array);

  m = new_imputer (ink_imputer_new_double_array (arr, 3), array_of (INK_ARRAY_FLOAT64, -1),
                   array_of (INK_ARRAY_FLOAT64, -1));
  g_assert_cmpint (ink_imputer_set_replace_double (m, 0), ==, INK_OK);
  check_everywhere (finish (m), verify_impute_double_array);

  m = new_imputer (ink_imputer_new_int64_array (iarr, 4), array_of (INK_ARRAY_FLOAT64, -1),
                   array_of (INK_ARRAY_FLOAT64, -1));
  g_assert_cmpint (ink_imputer_set_replace_int64 (m, -1), ==, INK_OK);
  check_everywhere (finish (m), verify_impute_int64_array);

  m =
    new_imputer (ink_imputer_new_int64 (42), ink_feature_type_int64 (), ink_feature_type_int64 ());
  g_assert_cmpint (ink_imputer_set_replace_int64 (m, -1), ==, INK_OK);
  check_everywhere (finish (m), verify_impute_int64);

  m = new_imputer (ink_imputer_new_string ("unknown"), ink_feature_type_string (),
                   ink_feature_type_string ());
  g_assert_cmpint (ink_imputer_set_replace_string (m, ""), ==, INK_OK);
  g_assert_cmpstr (ink_imputer_body (m)->replace_string, ==, "");
  check_everywhere (finish (m), verify_impute_string);

  check_everywhere (finish (new_imputer (ink_imputer_new_string_dictionary (skeys, dvals, 2),
                                         ink_feature_type_dictionary (INK_KEY_STRING),
                                         ink_feature_type_dictionary (INK_KEY_STRING))),
                    verify_impute_string_dictionary);
  check_everywhere (finish (new_imputer (ink_imputer_new_int64_dictionary (ikeys, ival, 1),
                                         ink_feature_type_dictionary (INK_KEY_INT64),
                                         ink_feature_type_dictionary (INK_KEY_INT64))),
                    verify_impute_int64_dictionary);

  /* Without a replace value, an Int64 is only imputed when absent. */
  m = finish (
    new_imputer (ink_imputer_new_int64 (42), ink_feature_type_int64 (), ink_feature_type_int64 ()));
  {
    InkFeatures *out = run (m, features ("x", ink_value_new_int64 (-1)));

    g_assert_cmpint (ink_value_get_int64 (ink_features_get (out, "y")), ==, -1);
    ink_features_free (out);
  }
  ink_model_free (m);

  /* An absent array input of no fixed shape cannot be filled. */
  m = finish (new_imputer (ink_imputer_new_double (1), array_of (INK_ARRAY_FLOAT64, -1),
                           array_of (INK_ARRAY_FLOAT64, -1)));
  expect_predict_error (m, ink_features_new (), INK_ERR_MISSING_INPUT, "no fixed shape");
  ink_model_free (m);
}

static void
test_imputer_invalid (void)
{
  const double arr[] = {1, 2, 3}, v1[] = {1};
  InkFeatureType d = ink_feature_type_double (), any = array_of (INK_ARRAY_FLOAT64, -1);
  InkModel *m;

  g_assert_null (ink_imputer_new_string (NULL));
  g_assert_null (ink_imputer_new_double_array (NULL, 2));
  g_assert_null (ink_imputer_new_int64_array (NULL, 2));
  g_assert_null (ink_imputer_new_string_dictionary (NULL, v1, 1));
  g_assert_null (ink_imputer_new_int64_dictionary ((const int64_t[]){1}, NULL, 1));
  g_assert_cmpint (ink_imputer_set_replace_double (NULL, 1), ==, INK_ERR_INVALID_ARGUMENT);
  m = ink_scaler_new (NULL, 0, NULL, 0);
  g_assert_cmpint (ink_imputer_set_replace_int64 (m, 1), ==, INK_ERR_INVALID_ARGUMENT);
  ink_model_free (m);

  expect_finish_error (new_imputer (ink_imputer_new_int64 (1), d, d), INK_ERR_INVALID_MODEL,
                       "input 'x' is a Double, which an int64 imputed value does not fit");
  expect_finish_error (new_imputer (ink_imputer_new_double (1), d, any), INK_ERR_INVALID_MODEL,
                       "input 'x' is a Double but output 'y' is a multi-array");
  m = new_imputer (ink_imputer_new_double (1), d, d);
  g_assert_cmpint (ink_imputer_set_replace_string (m, "?"), ==, INK_OK);
  expect_finish_error (m, INK_ERR_INVALID_MODEL,
                       "a string replace value does not go with a double imputed value");
  m = new_imputer (ink_imputer_new_string_dictionary (NULL, NULL, 0),
                   ink_feature_type_dictionary (INK_KEY_STRING),
                   ink_feature_type_dictionary (INK_KEY_STRING));
  g_assert_cmpint (ink_imputer_set_replace_double (m, 0), ==, INK_OK);
  expect_finish_error (m, INK_ERR_INVALID_MODEL, "does not go with a String-keyed dictionary");
  expect_finish_error (new_imputer (ink_imputer_new_int64_dictionary (NULL, NULL, 0),
                                    ink_feature_type_dictionary (INK_KEY_STRING),
                                    ink_feature_type_dictionary (INK_KEY_STRING)),
                       INK_ERR_INVALID_MODEL, "an Int64-keyed dictionary imputed value");
  expect_finish_error (new_imputer (ink_imputer_new_double (1),
                                    ink_feature_type_dictionary (INK_KEY_STRING),
                                    ink_feature_type_dictionary (INK_KEY_INT64)),
                       INK_ERR_INVALID_MODEL, "but output 'y' is a Dictionary (Int64");
  expect_finish_error (new_imputer (ink_imputer_new_double_array (arr, 3),
                                    array_of (INK_ARRAY_FLOAT64, 4),
                                    array_of (INK_ARRAY_FLOAT64, 4)),
                       INK_ERR_INVALID_MODEL, "declared with 4 values but the imputed array has 3");
  expect_finish_error (new_imputer (ink_imputer_new_double (1), array_of (INK_ARRAY_FLOAT64, 4),
                                    array_of (INK_ARRAY_FLOAT64, 3)),
                       INK_ERR_INVALID_MODEL, "output 'y' is declared with 3 values");
  expect_finish_error (new_imputer (ink_imputer_new_double (NAN), d, d), INK_ERR_INVALID_MODEL,
                       "imputed value is not finite");
  expect_finish_error (
    new_imputer (ink_imputer_new_double_array ((double[]){1, INFINITY}, 2), any, any),
    INK_ERR_INVALID_MODEL, "imputed value 1 is not finite");
  expect_finish_error (new_imputer (ink_imputer_new_double_array (NULL, 0), any, any),
                       INK_ERR_INVALID_MODEL, "imputed array has 0 values");
  expect_finish_error (new_imputer (ink_imputer_new_string ("a"), ink_feature_type_int64 (),
                                    ink_feature_type_int64 ()),
                       INK_ERR_INVALID_MODEL, "a string imputed value does not fit");
}

/* ---- JSON details ---- */

static void
verify_big_categories (const InkModel *m)
{
  const double first[] = {1, 0, 0}, last[] = {0, 0, 1};

  assert_predicts_array (m, features ("n", ink_value_new_int64 (INT64_MAX)), "v", first, 3);
  assert_predicts_array (m, features ("n", ink_value_new_int64 (((int64_t) 1 << 53) + 1)), "v",
                         last, 3);
}

static void
test_json_large_int64 (void)
{
  const int64_t cats[] = {INT64_MAX, INT64_MIN, ((int64_t) 1 << 53) + 1};
  InkModel *m = ink_one_hot_encoder_new_int64 (cats, 3, false, false);
  char *text;

  add_input (m, "n", ink_feature_type_int64 ());
  add_output (m, "v", array_of (INK_ARRAY_FLOAT64, 3));
  finish (m);
  /* Integers a double cannot hold exactly are written as strings. */
  text = model_json_text (m);
  g_assert_nonnull (strstr (text, "\"int64Categories\":[\"9223372036854775807\","
                                  "\"-9223372036854775808\",\"9007199254740993\"]"));
  cJSON_free (text);
  check_everywhere (m, verify_big_categories);
}

/* from_json on a fresh model of kind fails with a format error. */
static void
expect_body_rejected (InkModelKind kind, const char *body)
{
  InkModel *m = ink_model_alloc (kind);
  cJSON *obj = cJSON_Parse (body);
  InkError err;
  InkStatus st;

  if (obj == NULL)
    g_error ("bad test JSON: %s", body);
  ink_error_clear (&err);
  st = m->ops->from_json (m, obj, NULL, &err);
  if (st != INK_ERR_FORMAT)
    g_error ("%s body %s: expected a format error, got %s: %s", ink_model_kind_to_string (kind),
             body, ink_status_to_string (st), err.message);
  g_assert_null (m->body.any);
  cJSON_Delete (obj);
  ink_model_free (m);
}

static void
test_json_malformed (void)
{
  static const struct {
    InkModelKind kind;
    const char *body;
  } cases[] = {
    {INK_MODEL_ONE_HOT_ENCODER, "{}"},
    {INK_MODEL_ONE_HOT_ENCODER, "{\"oneHotEncoder\": 1}"},
    {INK_MODEL_ONE_HOT_ENCODER, "{\"oneHotEncoder\": {}}"},
    {INK_MODEL_ONE_HOT_ENCODER,
     "{\"oneHotEncoder\": {\"stringCategories\": [], \"int64Categories\": []}}"},
    {INK_MODEL_ONE_HOT_ENCODER, "{\"oneHotEncoder\": {\"stringCategories\": \"a\"}}"},
    {INK_MODEL_ONE_HOT_ENCODER, "{\"oneHotEncoder\": {\"stringCategories\": [1]}}"},
    {INK_MODEL_ONE_HOT_ENCODER, "{\"oneHotEncoder\": {\"int64Categories\": [\"x\"]}}"},
    {INK_MODEL_ONE_HOT_ENCODER, "{\"oneHotEncoder\": {\"int64Categories\": [1.5]}}"},
    {INK_MODEL_ONE_HOT_ENCODER, "{\"oneHotEncoder\": {\"int64Categories\": [\"12a\"]}}"},
    {INK_MODEL_ONE_HOT_ENCODER, "{\"oneHotEncoder\": {\"int64Categories\": [\" 1\"]}}"},
    {INK_MODEL_ONE_HOT_ENCODER,
     "{\"oneHotEncoder\": {\"int64Categories\": [\"99999999999999999999\"]}}"},
    {INK_MODEL_ONE_HOT_ENCODER, "{\"oneHotEncoder\": {\"int64Categories\": [1e300]}}"},
    {INK_MODEL_ONE_HOT_ENCODER,
     "{\"oneHotEncoder\": {\"int64Categories\": [1], \"outputSparse\": 1}}"},
    {INK_MODEL_ONE_HOT_ENCODER,
     "{\"oneHotEncoder\": {\"int64Categories\": [1], \"handleUnknown\": \"Maybe\"}}"},
    {INK_MODEL_ONE_HOT_ENCODER,
     "{\"oneHotEncoder\": {\"int64Categories\": [1], \"handleUnknown\": 1}}"},
    {INK_MODEL_DICT_VECTORIZER, "{\"dictVectorizer\": []}"},
    {INK_MODEL_DICT_VECTORIZER, "{\"dictVectorizer\": {\"stringToIndex\": [null]}}"},
    {INK_MODEL_DICT_VECTORIZER, "{\"dictVectorizer\": {\"int64ToIndex\": {}}}"},
    {INK_MODEL_FEATURE_VECTORIZER, "{\"featureVectorizer\": {}}"},
    {INK_MODEL_FEATURE_VECTORIZER, "{\"featureVectorizer\": {\"inputList\": {}}}"},
    {INK_MODEL_FEATURE_VECTORIZER, "{\"featureVectorizer\": {\"inputList\": [1]}}"},
    {INK_MODEL_FEATURE_VECTORIZER,
     "{\"featureVectorizer\": {\"inputList\": [{\"inputDimensions\": 1}]}}"},
    {INK_MODEL_FEATURE_VECTORIZER,
     "{\"featureVectorizer\": {\"inputList\": [{\"inputColumn\": \"a\", "
     "\"inputDimensions\": 0}]}}"},
    {INK_MODEL_FEATURE_VECTORIZER,
     "{\"featureVectorizer\": {\"inputList\": [{\"inputColumn\": \"a\", "
     "\"inputDimensions\": 1.5}]}}"},
    {INK_MODEL_FEATURE_VECTORIZER,
     "{\"featureVectorizer\": {\"inputList\": [{\"inputColumn\": \"a\", "
     "\"inputDimensions\": 1e12}]}}"},
    {INK_MODEL_FEATURE_VECTORIZER,
     "{\"featureVectorizer\": {\"inputList\": [{\"inputColumn\": 3, \"inputDimensions\": 1}]}}"},
    {INK_MODEL_SCALER, "{\"scaler\": {\"shiftValue\": \"x\"}}"},
    {INK_MODEL_SCALER, "{\"scaler\": {\"scaleValue\": [null]}}"},
    {INK_MODEL_SCALER, "{\"scaler\": {\"shiftValue\": [1], \"scaleValue\": {}}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedDoubleValue\": 1, \"imputedInt64Value\": 2}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedDoubleValue\": \"x\"}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedInt64Value\": 1.5}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedStringValue\": 3}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedDoubleArray\": [true]}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedInt64Array\": \"x\"}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedInt64Array\": [1, 2.5]}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedStringDictionary\": [3]}}"},
    {INK_MODEL_IMPUTER,
     "{\"imputer\": {\"imputedStringDictionary\": [{\"key\": 1, \"value\": 2}]}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedStringDictionary\": [{\"key\": \"a\"}]}}"},
    {INK_MODEL_IMPUTER,
     "{\"imputer\": {\"imputedInt64Dictionary\": [{\"key\": \"x\", \"value\": 1}]}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedInt64Dictionary\": {\"1\": 2}}}"},
    {INK_MODEL_IMPUTER,
     "{\"imputer\": {\"imputedDoubleValue\": 1, \"replaceDoubleValue\": \"nan\"}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedDoubleValue\": 1, \"replaceDoubleValue\": null}}"},
    {INK_MODEL_IMPUTER, "{\"imputer\": {\"imputedDoubleValue\": 1, \"replaceDoubleValue\": 1, "
                        "\"replaceInt64Value\": 1}}"},
    {INK_MODEL_IMPUTER,
     "{\"imputer\": {\"imputedStringValue\": \"a\", \"replaceStringValue\": 5}}"},
    {INK_MODEL_IMPUTER,
     "{\"imputer\": {\"imputedInt64Value\": 1, \"replaceInt64Value\": \"abc\"}}"},
    {INK_MODEL_ARRAY_FEATURE_EXTRACTOR, "{\"arrayFeatureExtractor\": {}}"},
    {INK_MODEL_ARRAY_FEATURE_EXTRACTOR, "{\"arrayFeatureExtractor\": {\"extractIndex\": \"x\"}}"},
    {INK_MODEL_ARRAY_FEATURE_EXTRACTOR, "{\"arrayFeatureExtractor\": {\"extractIndex\": [-1]}}"},
    {INK_MODEL_ARRAY_FEATURE_EXTRACTOR, "{\"arrayFeatureExtractor\": {\"extractIndex\": [1.5]}}"},
    {INK_MODEL_ARRAY_FEATURE_EXTRACTOR,
     "{\"arrayFeatureExtractor\": {\"extractIndex\": [\"-3\"]}}"},
    {INK_MODEL_NORMALIZER, "{\"normalizer\": {}}"},
    {INK_MODEL_NORMALIZER, "{\"normalizer\": {\"normType\": \"L3\"}}"},
    {INK_MODEL_NORMALIZER, "{\"normalizer\": {\"normType\": 2}}"},
    {INK_MODEL_NORMALIZER, "{\"normalizer\": null}"},
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    expect_body_rejected (cases[i].kind, cases[i].body);
}

/* Every finished model of each kind, for the JSON fuzzing below. */
static InkModel *
sample_model (size_t i)
{
  const double one[] = {1}, arr[] = {1, 2};
  const int64_t icats[] = {1, 2};
  const uint64_t idx[] = {0, 1};
  InkFeatureType any = array_of (INK_ARRAY_FLOAT64, -1), d = ink_feature_type_double ();
  InkModel *m;

  switch (i) {
  case 0: return new_string_encoder (true, true);
  case 1: return new_int64_encoder (false, false);
  case 2: return finish (new_vectorizer (2));
  case 3:
    m = ink_dict_vectorizer_new_int64 (icats, 2);
    add_input (m, "x", ink_feature_type_dictionary (INK_KEY_INT64));
    add_output (m, "v", any);
    return finish (m);
  case 4: return finish (new_scaler (one, 1, arr, 2, any, any));
  case 5:
    m = new_imputer (ink_imputer_new_double (2), d, d);
    ink_imputer_set_replace_double (m, NAN);
    return finish (m);
  case 6:
    m = new_imputer (ink_imputer_new_int64_dictionary (icats, arr, 2),
                     ink_feature_type_dictionary (INK_KEY_INT64),
                     ink_feature_type_dictionary (INK_KEY_INT64));
    return finish (m);
  case 7:
    m = new_imputer (ink_imputer_new_int64_array (icats, 2), any, any);
    ink_imputer_set_replace_int64 (m, 7);
    return finish (m);
  case 8: return finish (new_extractor (idx, 2, any, any));
  case 9: return finish (new_normalizer (INK_NORM_L1, any, any));
  default: return NULL;
  }
}

/* Replaces each node under the model's "body" in turn with values of other
 * types; reading and finishing must fail cleanly or succeed, never crash. */
static void
fuzz_node (cJSON *root, cJSON *node)
{
  static const char *const others[] = {
    "null", "true", "-1", "0", "1.5", "1e300", "\"\"", "\"NaN\"", "[]", "[null]", "{}", "[[1]]",
  };
  cJSON *child;

  cJSON_ArrayForEach (child, node)
  {
    fuzz_node (root, child);
  }
  for (size_t k = 0; k < G_N_ELEMENTS (others); k++) {
    cJSON *replacement = cJSON_Parse (others[k]);
    cJSON saved = *node;
    InkModel *m;
    InkError err;

    /* Swap the contents in place, keeping the node's links and name. */
    node->type = replacement->type;
    node->valuedouble = replacement->valuedouble;
    node->valueint = replacement->valueint;
    node->valuestring = replacement->valuestring;
    node->child = replacement->child;
    m = ink_model_from_json (root, NULL, &err);
    if (m != NULL) {
      ink_model_finish (m, &err);
      ink_model_free (m);
    }
    node->type = saved.type;
    node->valuedouble = saved.valuedouble;
    node->valueint = saved.valueint;
    node->valuestring = saved.valuestring;
    node->child = saved.child;
    cJSON_Delete (replacement);
  }
}

static void
test_json_fuzz (void)
{
  for (size_t i = 0;; i++) {
    InkModel *m = sample_model (i);
    InkError err;
    cJSON *obj;

    if (m == NULL)
      break;
    obj = ink_model_to_json (m, NULL, &err);
    g_assert_nonnull (obj);
    fuzz_node (obj, cJSON_GetObjectItem (obj, "body"));
    cJSON_Delete (obj);
    ink_model_free (m);
  }
}

static void
test_json_kind_mismatch (void)
{
  InkModel *m = finish (new_normalizer (INK_NORM_L2, array_of (INK_ARRAY_FLOAT64, -1),
                                        array_of (INK_ARRAY_FLOAT64, -1)));
  InkError err;
  cJSON *obj = ink_model_to_json (m, NULL, &err);

  /* A normalizer body under the scaler kind. */
  cJSON_ReplaceItemInObject (obj, "kind", cJSON_CreateString ("scaler"));
  g_assert_null (ink_model_from_json (obj, NULL, &err));
  g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
  assert_message_has (&err, "\"scaler\"");
  cJSON_Delete (obj);
  ink_model_free (m);
}

/* ---- Pipelines ---- */

/* The categories of the "lunch" Create ML model (HealthyLuncher's
 * LunchDataTableClassifier): two sparse one-hot encoders whose outputs
 * replace their inputs, a feature vectorizer of 9 + 9 + 1 values and a
 * binary tree ensemble with a logistic transform. */
static const char *const LUNCH_COMPANIES[] = {
  "Mars", "McDonalds", "Burger King", "KFC", "Pizza Hut", "EAT", "Fresh", "Natural", "Healhy",
};
static const char *const LUNCH_NAMES[] = {
  "Snickers",       "Burger", "Fries",        "Fried chicken bucket", "Pizza",
  "Vegetable stew", "Salad",  "Grilled tuna", "Fruit salad",
};
static const char *const LUNCH_LABELS[] = {"fast food", "healthy"};

static InkModel *
lunch_encoder (const char *column, const char *const *categories, size_t n)
{
  InkModel *m = ink_one_hot_encoder_new_string (categories, n, true, true);

  add_input (m, column, ink_feature_type_string ());
  add_output (m, column, ink_feature_type_dictionary (INK_KEY_INT64));
  return m;
}

static void
add_branch (InkModel *m, uint64_t tree, InkTreeNodeBehavior b, uint64_t feature, double value)
{
  InkTreeNode node = {
    .tree_id = tree,
    .node_id = 0,
    .behavior = b,
    .feature_index = feature,
    .feature_value = value,
    .true_child = 1,
    .false_child = 2,
  };
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_tree_ensemble_add_node (m, &node, &err), &err);
}

static void
add_leaf (InkModel *m, uint64_t tree, uint64_t id, double value)
{
  InkTreeEvaluation e = {0, value};
  InkTreeNode node = {
    .tree_id = tree,
    .node_id = id,
    .behavior = INK_TREE_LEAF,
    .n_evaluations = 1,
    .evaluations = &e,
  };
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_tree_ensemble_add_node (m, &node, &err), &err);
}

/* Score = tree 0 (McDonalds, feature 1: -2 else +0.5)
 *       + tree 1 (price, feature 18, below 8: -1 else +1)
 *       + tree 2 (Salad, feature 9 + 6: +2.5 else 0);
 * P(healthy) = sigmoid (score). */
static InkModel *
lunch_trees (void)
{
  InkModel *m = ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_CLASSIFIER, 1, INK_TREE_LOGISTIC);
  const double base[] = {0};

  add_input (m, "__vectorized_features__", array_of (INK_ARRAY_FLOAT64, 19));
  add_output (m, "type", ink_feature_type_string ());
  add_output (m, "typeProbability", ink_feature_type_dictionary (INK_KEY_STRING));
  ink_model_set_predicted_feature_name (m, "type");
  ink_model_set_predicted_probabilities_name (m, "typeProbability");
  ink_model_set_class_labels_string (m, LUNCH_LABELS, 2);
  ink_tree_ensemble_set_base_prediction (m, base, 1);
  add_branch (m, 0, INK_TREE_BRANCH_LE, 1, 0.5);
  add_leaf (m, 0, 1, 0.5);
  add_leaf (m, 0, 2, -2.0);
  add_branch (m, 1, INK_TREE_BRANCH_LT, 18, 8.0);
  add_leaf (m, 1, 1, -1.0);
  add_leaf (m, 1, 2, 1.0);
  add_branch (m, 2, INK_TREE_BRANCH_GE, 15, 0.5);
  add_leaf (m, 2, 1, 2.5);
  add_leaf (m, 2, 2, 0.0);
  return m;
}

static InkModel *
lunch_pipeline (void)
{
  InkModel *p = ink_pipeline_new (INK_MODEL_PIPELINE_CLASSIFIER);
  InkModel *fv = ink_feature_vectorizer_new ();
  InkError err;

  ink_error_clear (&err);
  add_input (p, "company", ink_feature_type_string ());
  add_input (p, "name", ink_feature_type_string ());
  add_input (p, "price", ink_feature_type_double ());
  add_output (p, "type", ink_feature_type_string ());
  add_output (p, "typeProbability", ink_feature_type_dictionary (INK_KEY_STRING));
  ink_model_set_predicted_feature_name (p, "type");
  ink_model_set_predicted_probabilities_name (p, "typeProbability");

  add_input (fv, "company", ink_feature_type_dictionary (INK_KEY_INT64));
  add_input (fv, "name", ink_feature_type_dictionary (INK_KEY_INT64));
  add_input (fv, "price", ink_feature_type_double ());
  add_output (fv, "__vectorized_features__", array_of (INK_ARRAY_FLOAT64, 19));
  ink_assert_ok (ink_feature_vectorizer_add_column (fv, "company", 9, &err), &err);
  ink_assert_ok (ink_feature_vectorizer_add_column (fv, "name", 9, &err), &err);
  ink_assert_ok (ink_feature_vectorizer_add_column (fv, "price", 1, &err), &err);

  ink_assert_ok (
    ink_pipeline_add_model (p, NULL, lunch_encoder ("company", LUNCH_COMPANIES, 9), &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, NULL, lunch_encoder ("name", LUNCH_NAMES, 9), &err),
                 &err);
  ink_assert_ok (ink_pipeline_add_model (p, NULL, fv, &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, NULL, lunch_trees (), &err), &err);
  return finish (p);
}

static InkFeatures *
lunch (const char *company, const char *name, double price)
{
  InkFeatures *f = ink_features_new ();

  ink_features_set_string (f, "company", company);
  ink_features_set_string (f, "name", name);
  ink_features_set_double (f, "price", price);
  return f;
}

static void
assert_lunch (const InkModel *p, InkFeatures *in, double score)
{
  InkFeatures *out = run (p, in);
  double healthy = 1.0 / (1.0 + exp (-score)), fast = 1.0 - healthy, v = 0;
  const InkValue *probs = ink_features_get (out, "typeProbability");

  g_assert_cmpuint (ink_features_count (out), ==, 2);
  g_assert_cmpstr (ink_value_get_string (ink_features_get (out, "type")), ==,
                   healthy > 0.5 ? "healthy" : "fast food");
  g_assert_true (ink_value_dictionary_lookup_string (probs, "healthy", &v));
  g_assert_cmpfloat_with_epsilon (v, healthy, TOL);
  g_assert_true (ink_value_dictionary_lookup_string (probs, "fast food", &v));
  g_assert_cmpfloat_with_epsilon (v, fast, TOL);
  ink_features_free (out);
}

static void
verify_lunch (const InkModel *p)
{
  assert_lunch (p, lunch ("McDonalds", "Burger", 5), -2 - 1 + 0);
  assert_lunch (p, lunch ("Fresh", "Salad", 12), 0.5 + 1 + 2.5);
  assert_lunch (p, lunch ("McDonalds", "Salad", 9.5), -2 + 1 + 2.5);
  /* Unknown values are ignored (handleUnknown = IgnoreUnknown). */
  assert_lunch (p, lunch ("Subway", "Sandwich", 7.99), 0.5 - 1 + 0);
}

static void
test_pipeline_lunch (void)
{
  InkModel *p = lunch_pipeline ();
  InkModel *fv = ink_pipeline_get_model (p, 2);
  InkFeatures *in = ink_features_new (), *out;
  InkValue *company = ink_value_new_dictionary (INK_KEY_INT64);
  InkValue *name = ink_value_new_dictionary (INK_KEY_INT64);
  double want[19] = {0};

  /* The vectorizer stage alone, fed what the encoders give. */
  ink_value_dictionary_set_int64 (company, 3, 1.0);
  ink_value_dictionary_set_int64 (name, 8, 1.0);
  ink_features_set (in, "company", company);
  ink_features_set (in, "name", name);
  ink_features_set_double (in, "price", 6.5);
  want[3] = 1;
  want[9 + 8] = 1;
  want[18] = 6.5;
  out = run (fv, in);
  assert_array (ink_features_get (out, "__vectorized_features__"), want, 19, 0);
  ink_features_free (out);

  check_everywhere (p, verify_lunch);
}

/* MarsHabitatPricer: solarPanels, greenhouses, size -> price, a feature
 * vectorizer of three Doubles into a GLM regressor. */
static InkModel *
mars_pipeline (void)
{
  const double w[] = {12.5, 3.0, 0.25}, b[] = {-4.0};
  InkModel *p = ink_pipeline_new (INK_MODEL_PIPELINE_REGRESSOR);
  InkModel *fv = ink_feature_vectorizer_new ();
  InkModel *glm = ink_glm_regressor_new (w, 1, 3, b, INK_GLM_NO_TRANSFORM);
  const char *const columns[] = {"solarPanels", "greenhouses", "size"};
  InkError err;

  ink_error_clear (&err);
  for (size_t i = 0; i < 3; i++) {
    add_input (p, columns[i], ink_feature_type_double ());
    add_input (fv, columns[i], ink_feature_type_double ());
    ink_assert_ok (ink_feature_vectorizer_add_column (fv, columns[i], 1, &err), &err);
  }
  add_output (p, "price", ink_feature_type_double ());
  ink_model_set_predicted_feature_name (p, "price");
  add_output (fv, "__vectorized_features__", array_of (INK_ARRAY_FLOAT64, 3));
  add_input (glm, "__vectorized_features__", array_of (INK_ARRAY_FLOAT64, 3));
  add_output (glm, "price", ink_feature_type_double ());
  ink_model_set_predicted_feature_name (glm, "price");
  ink_assert_ok (ink_pipeline_add_model (p, NULL, fv, &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, NULL, glm, &err), &err);
  return finish (p);
}

static InkFeatures *
habitat (double panels, double greenhouses, double size)
{
  InkFeatures *f = ink_features_new ();

  ink_features_set_double (f, "solarPanels", panels);
  ink_features_set_double (f, "greenhouses", greenhouses);
  ink_features_set_double (f, "size", size);
  return f;
}

static void
verify_mars (const InkModel *p)
{
  /* -4 + 12.5 * panels + 3 * greenhouses + 0.25 * size */
  assert_predicts_double (p, habitat (1, 1, 750), "price", -4 + 12.5 + 3 + 187.5);
  assert_predicts_double (p, habitat (4.5, 2, 1000), "price", -4 + 56.25 + 6 + 250);
}

static void
test_pipeline_mars (void)
{
  InkModel *p = mars_pipeline ();
  InkFeatures *in = habitat (1, 1, 1);

  ink_value_free (ink_features_take (in, "size"));
  expect_predict_error (p, in, INK_ERR_MISSING_INPUT, "'size'");
  check_everywhere (p, verify_mars);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/feature-models/kind-names", test_kind_names);
  g_test_add_func ("/feature-models/one-hot/string-sparse", test_one_hot_string_sparse);
  g_test_add_func ("/feature-models/one-hot/string-dense", test_one_hot_string_dense);
  g_test_add_func ("/feature-models/one-hot/int64", test_one_hot_int64);
  g_test_add_func ("/feature-models/one-hot/absent-input", test_one_hot_absent_input);
  g_test_add_func ("/feature-models/one-hot/invalid", test_one_hot_invalid);
  g_test_add_func ("/feature-models/feature-vectorizer/values", test_vectorizer);
  g_test_add_func ("/feature-models/feature-vectorizer/invalid", test_vectorizer_invalid);
  g_test_add_func ("/feature-models/dict-vectorizer", test_dict_vectorizer);
  g_test_add_func ("/feature-models/scaler/values", test_scaler);
  g_test_add_func ("/feature-models/scaler/invalid", test_scaler_invalid);
  g_test_add_func ("/feature-models/normalizer", test_normalizer);
  g_test_add_func ("/feature-models/array-feature-extractor", test_extractor);
  g_test_add_func ("/feature-models/imputer/values", test_imputer);
  g_test_add_func ("/feature-models/imputer/invalid", test_imputer_invalid);
  g_test_add_func ("/feature-models/json/large-int64", test_json_large_int64);
  g_test_add_func ("/feature-models/json/malformed", test_json_malformed);
  g_test_add_func ("/feature-models/json/fuzz", test_json_fuzz);
  g_test_add_func ("/feature-models/json/kind-mismatch", test_json_kind_mismatch);
  g_test_add_func ("/feature-models/pipeline/lunch", test_pipeline_lunch);
  g_test_add_func ("/feature-models/pipeline/mars", test_pipeline_mars);
  return g_test_run ();
}

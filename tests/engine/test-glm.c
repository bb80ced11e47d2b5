/* test-glm.c: generalized linear model classifiers and regressors
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "ink-model-private.h"
#include "test-util.h"

#define TOL 1e-12

/* ---- Reference evaluation, written out plainly ---- */

static double
ref_sigmoid (double z)
{
  return 1.0 / (1.0 + exp (-z));
}

static double
ref_probit (double z)
{
  return 0.5 * erfc (-z / sqrt (2.0));
}

static void
ref_scores (const double *w, const double *b, size_t rows, size_t cols, const double *x, double *z)
{
  for (size_t r = 0; r < rows; r++) {
    z[r] = b[r];
    for (size_t c = 0; c < cols; c++)
      z[r] += w[r * cols + c] * x[c];
  }
}

/* ---- Building ---- */

static void
add_vector_input (InkModel *m, int64_t n)
{
  InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &n);
  InkError err;

  ink_assert_ok (ink_model_add_input (m, "x", &t, "", &err), &err);
}

static InkModel *
new_classifier (const double *w, size_t rows, size_t cols, const double *b, InkGlmTransform tr,
                InkGlmEncoding enc, const char *const *labels, size_t n_labels)
{
  InkModel *m = ink_glm_classifier_new (w, rows, cols, b, tr, enc);
  InkFeatureType s = ink_feature_type_string ();
  InkFeatureType d = ink_feature_type_dictionary (INK_KEY_STRING);
  InkError err;

  g_assert_nonnull (m);
  add_vector_input (m, (int64_t) cols);
  ink_assert_ok (ink_model_add_output (m, "label", &s, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "probs", &d, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "probs"), &err);
  ink_assert_ok (ink_model_set_class_labels_string (m, labels, n_labels), &err);
  return m;
}

static InkModel *
new_regressor (const double *w, size_t rows, size_t cols, const double *b, InkGlmTransform tr)
{
  InkModel *m = ink_glm_regressor_new (w, rows, cols, b, tr);
  int64_t n = (int64_t) rows;
  InkFeatureType t =
    rows == 1 ? ink_feature_type_double () : ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &n);
  InkError err;

  g_assert_nonnull (m);
  add_vector_input (m, (int64_t) cols);
  ink_assert_ok (ink_model_add_output (m, "y", &t, "", &err), &err);
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

static void
assert_class (const InkFeatures *out, const char *const *labels, const double *probs, size_t n)
{
  const InkValue *l = ink_features_get (out, "label");
  const InkValue *d = ink_features_get (out, "probs");
  size_t best = 0;
  double sum = 0;

  for (size_t i = 1; i < n; i++)
    best = probs[i] > probs[best] ? i : best;
  g_assert_nonnull (l);
  g_assert_cmpstr (ink_value_get_string (l), ==, labels[best]);
  g_assert_nonnull (d);
  g_assert_cmpuint (ink_value_dictionary_count (d), ==, n);
  for (size_t i = 0; i < n; i++) {
    double p = -1;

    g_assert_true (ink_value_dictionary_lookup_string (d, labels[i], &p));
    g_assert_cmpfloat_with_epsilon (p, probs[i], TOL);
    sum += p;
  }
  g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-12);
}

static const char *const two[] = {"no", "yes"};
static const char *const three[] = {"setosa", "versicolor", "virginica"};

/* ---- Binary ---- */

static void
test_binary (void)
{
  /* z = 0.5 x0 - x1 + 0.25 */
  double w[] = {0.5, -1.0}, b[] = {0.25};
  static const double xs[][2] = {{2, 1}, {-4, 0.5}, {1.5, 0}, {0, 0.25}};

  for (int tr = INK_GLM_LOGIT; tr <= INK_GLM_PROBIT; tr++) {
    for (int enc = INK_GLM_REFERENCE_CLASS; enc <= INK_GLM_ONE_VS_REST; enc++) {
      InkModel *m = new_classifier (w, 1, 2, b, tr, enc, two, 2);

      finish (m);
      for (size_t i = 0; i < G_N_ELEMENTS (xs); i++) {
        double z = 0.5 * xs[i][0] - xs[i][1] + 0.25;
        double p1 = tr == INK_GLM_LOGIT ? ref_sigmoid (z) : ref_probit (z);
        double probs[] = {1 - p1, p1};
        InkFeatures *out = predict (m, xs[i], 2);

        assert_class (out, two, probs, 2);
        ink_features_free (out);
      }
      ink_model_free (m);
    }
  }
}

/* Known values: z = 1 gives sigmoid 0.7310585786300049 and a normal CDF
 * of 0.8413447460685429; z = 0 gives exactly one half (a tie: "no"). */
static void
test_known_values (void)
{
  double w[] = {1.0}, b[] = {0.0}, one[] = {1.0}, zero[] = {0.0};
  InkModel *logit = new_classifier (w, 1, 1, b, INK_GLM_LOGIT, INK_GLM_ONE_VS_REST, two, 2);
  InkModel *probit = new_classifier (w, 1, 1, b, INK_GLM_PROBIT, INK_GLM_REFERENCE_CLASS, two, 2);
  InkFeatures *out;

  finish (logit);
  finish (probit);
  out = predict (logit, one, 1);
  assert_class (out, two, (double[]){1 - 0.7310585786300049, 0.7310585786300049}, 2);
  ink_features_free (out);
  out = predict (probit, one, 1);
  assert_class (out, two, (double[]){1 - 0.8413447460685429, 0.8413447460685429}, 2);
  ink_features_free (out);
  out = predict (probit, zero, 1);
  assert_class (out, two, (double[]){0.5, 0.5}, 2);
  g_assert_cmpstr (ink_value_get_string (ink_features_get (out, "label")), ==, "no");
  ink_features_free (out);
  ink_model_free (logit);
  ink_model_free (probit);
}

/* ---- Multiclass ---- */

static const double w3[] = {0.4, -1.2, 2.0, 0.1, 1.5, 0.3, 0.7, -0.2, -1.1, 0.9, 0.05, -0.6};
static const double b3[] = {0.5, -0.25, 0.1};
static const double xs4[][4] = {
  {5.1, 3.5, 1.4, 0.2},
  {6.2, 2.9, 4.3, 1.3},
  {7.7, 3.0, 6.1, 2.3},
  {0, 0, 0, 0},
};

static void
test_one_vs_rest (void)
{
  for (int tr = INK_GLM_LOGIT; tr <= INK_GLM_PROBIT; tr++) {
    InkModel *m = new_classifier (w3, 3, 4, b3, tr, INK_GLM_ONE_VS_REST, three, 3);

    finish (m);
    for (size_t i = 0; i < G_N_ELEMENTS (xs4); i++) {
      double z[3], p[3], sum = 0;
      InkFeatures *out;

      ref_scores (w3, b3, 3, 4, xs4[i], z);
      for (size_t k = 0; k < 3; k++) {
        p[k] = tr == INK_GLM_LOGIT ? ref_sigmoid (z[k]) : ref_probit (z[k]);
        sum += p[k];
      }
      for (size_t k = 0; k < 3; k++)
        p[k] /= sum;
      out = predict (m, xs4[i], 4);
      assert_class (out, three, p, 3);
      ink_features_free (out);
    }
    ink_model_free (m);
  }
}

static void
test_reference_class (void)
{
  /* Two rows score classes 1 and 2 against class 0. */
  InkModel *m = new_classifier (w3, 2, 4, b3, INK_GLM_LOGIT, INK_GLM_REFERENCE_CLASS, three, 3);

  finish (m);
  for (size_t i = 0; i < G_N_ELEMENTS (xs4); i++) {
    double z[2], denom;
    InkFeatures *out;

    ref_scores (w3, b3, 2, 4, xs4[i], z);
    denom = 1 + exp (z[0]) + exp (z[1]);
    out = predict (m, xs4[i], 4);
    assert_class (out, three, (double[]){1 / denom, exp (z[0]) / denom, exp (z[1]) / denom}, 3);
    ink_features_free (out);
  }
  ink_model_free (m);
}

/* Scores so negative that every f(z) underflows still give probabilities
 * (those of a softmax over log f(z)), never NaN. */
static void
test_extreme_scores (void)
{
  double w[] = {1, 1, 1}, b[] = {-1000, -1001, -1002}, x[] = {0};
  double e1 = exp (-1.0), e2 = exp (-2.0), s = 1 + e1 + e2;
  InkModel *m = new_classifier (w, 3, 1, b, INK_GLM_LOGIT, INK_GLM_ONE_VS_REST, three, 3);
  InkModel *big = new_classifier (w, 2, 1, (double[]){800, 799}, INK_GLM_LOGIT,
                                  INK_GLM_REFERENCE_CLASS, three, 3);
  InkFeatures *out;

  finish (m);
  finish (big);
  out = predict (m, x, 1);
  assert_class (out, three, (double[]){1 / s, e1 / s, e2 / s}, 3);
  ink_features_free (out);
  s = 1 + e1; /* exp (800) overflows; the reference class gets ~exp (-800) */
  out = predict (big, x, 1);
  assert_class (out, three, (double[]){0, 1 / s, e1 / s}, 3);
  ink_features_free (out);
  ink_model_free (m);
  ink_model_free (big);
}

static void
test_int64_labels (void)
{
  static const int64_t labels[] = {0, 1, 2};
  double w[] = {1, -1, 0.5}, b[] = {0, 0, 0}, x[] = {2};
  InkModel *m = ink_glm_classifier_new (w, 3, 1, b, INK_GLM_LOGIT, INK_GLM_ONE_VS_REST);
  InkFeatureType i64 = ink_feature_type_int64 ();
  InkFeatureType d = ink_feature_type_dictionary (INK_KEY_INT64);
  InkFeatures *out;
  const InkValue *probs;
  double p[3], sum = 0, got;
  InkError err;

  add_vector_input (m, 1);
  ink_assert_ok (ink_model_add_output (m, "iris", &i64, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "classProbability", &d, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "iris"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "classProbability"), &err);
  ink_assert_ok (ink_model_set_class_labels_int64 (m, labels, 3), &err);
  finish (m);
  out = predict (m, x, 1);
  g_assert_cmpint (ink_value_get_int64 (ink_features_get (out, "iris")), ==, 0);
  probs = ink_features_get (out, "classProbability");
  for (size_t k = 0; k < 3; k++) {
    p[k] = ref_sigmoid (w[k] * 2);
    sum += p[k];
  }
  for (size_t k = 0; k < 3; k++) {
    g_assert_true (ink_value_dictionary_lookup_int64 (probs, labels[k], &got));
    g_assert_cmpfloat_with_epsilon (got, p[k] / sum, TOL);
  }
  ink_features_free (out);
  ink_model_free (m);
}

/* ---- Regressors ---- */

static void
test_regressor (void)
{
  double w[] = {1.5, -0.5, 0.25, 2.0, 0.0, -1.0}, b[] = {0.1, -0.3};
  static const double xs[][3] = {{1, 2, 3}, {-1, 0.5, 4}, {0, 0, 0}};

  for (int tr = INK_GLM_LOGIT; tr <= INK_GLM_NO_TRANSFORM; tr++) {
    InkModel *one = new_regressor (w, 1, 3, b, tr);
    InkModel *two_rows = new_regressor (w, 2, 3, b, tr);

    finish (one);
    finish (two_rows);
    for (size_t i = 0; i < G_N_ELEMENTS (xs); i++) {
      double z[2], want[2];
      InkFeatures *out;
      const InkValue *y;

      ref_scores (w, b, 2, 3, xs[i], z);
      for (size_t r = 0; r < 2; r++)
        want[r] = tr == INK_GLM_LOGIT    ? ref_sigmoid (z[r])
                  : tr == INK_GLM_PROBIT ? ref_probit (z[r])
                                         : z[r];
      out = predict (one, xs[i], 3);
      y = ink_features_get (out, "y");
      g_assert_cmpint (ink_value_get_type (y), ==, INK_VALUE_DOUBLE);
      g_assert_cmpfloat_with_epsilon (ink_value_get_double (y), want[0], TOL);
      ink_features_free (out);

      out = predict (two_rows, xs[i], 3);
      y = ink_features_get (out, "y");
      g_assert_cmpint (ink_value_get_type (y), ==, INK_VALUE_MULTIARRAY);
      g_assert_cmpint (ink_value_array_type (y), ==, INK_ARRAY_FLOAT64);
      g_assert_cmpuint (ink_value_array_count (y), ==, 2);
      for (size_t r = 0; r < 2; r++)
        g_assert_cmpfloat_with_epsilon (ink_value_array_get (y, r), want[r], TOL);
      ink_features_free (out);
    }
    ink_model_free (one);
    ink_model_free (two_rows);
  }
}

/* Like the Mars habitat model: three double inputs, vectorized in order. */
static void
test_several_inputs (void)
{
  double w[] = {2, 10, 0.5}, b[] = {7};
  InkModel *m = ink_glm_regressor_new (w, 1, 3, b, INK_GLM_NO_TRANSFORM);
  InkFeatureType d = ink_feature_type_double (), i64 = ink_feature_type_int64 ();
  int64_t one = 1;
  InkFeatureType arr = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, &one);
  InkFeatures *in = ink_features_new (), *out = NULL;
  float size[] = {750};
  InkError err;

  ink_assert_ok (ink_model_add_input (m, "solarPanels", &d, "", &err), &err);
  ink_assert_ok (ink_model_add_input (m, "greenhouses", &i64, "", &err), &err);
  ink_assert_ok (ink_model_add_input (m, "size", &arr, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "price", &d, "", &err), &err);
  finish (m);
  ink_assert_ok (ink_features_set (in, "size", ink_test_array (1, &one, size)), &err);
  ink_assert_ok (ink_features_set_int64 (in, "greenhouses", 3), &err);
  ink_assert_ok (ink_features_set_double (in, "solarPanels", 1.5), &err);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  /* 2 * 1.5 + 10 * 3 + 0.5 * 750 + 7 */
  g_assert_cmpfloat (ink_value_get_double (ink_features_get (out, "price")), ==, 415);
  ink_features_free (out);
  ink_features_free (in);
  ink_model_free (m);
}

/* ---- Invalid models and inputs ---- */

static void
assert_finish_fails (InkModel *m, InkStatus want, const char *fragment)
{
  InkError err;

  g_assert_cmpint (ink_model_finish (m, &err), ==, want);
  if (strstr (err.message, fragment) == NULL)
    g_error ("message \"%s\" does not mention \"%s\"", err.message, fragment);
  ink_model_free (m);
}

static void
test_invalid_models (void)
{
  static const char *const four[] = {"a", "b", "c", "d"};
  double w[16] = {0}, b[4] = {0};
  InkModel *m;

  assert_finish_fails (new_classifier (w, 2, 2, b, INK_GLM_LOGIT, INK_GLM_ONE_VS_REST, two, 2),
                       INK_ERR_INVALID_MODEL, "2 classes needs 1 weight rows; it has 2");
  assert_finish_fails (new_classifier (w, 2, 2, b, INK_GLM_LOGIT, INK_GLM_ONE_VS_REST, three, 3),
                       INK_ERR_INVALID_MODEL, "3 classes needs 3 weight rows; it has 2");
  assert_finish_fails (
    new_classifier (w, 3, 2, b, INK_GLM_LOGIT, INK_GLM_REFERENCE_CLASS, three, 3),
    INK_ERR_INVALID_MODEL, "3 classes needs 2 weight rows; it has 3");
  assert_finish_fails (new_classifier (w, 2, 2, b, INK_GLM_LOGIT, INK_GLM_REFERENCE_CLASS, two, 2),
                       INK_ERR_INVALID_MODEL, "2 classes needs 1 weight rows");
  assert_finish_fails (
    new_classifier (w, 3, 2, b, INK_GLM_PROBIT, INK_GLM_REFERENCE_CLASS, four, 4),
    INK_ERR_UNSUPPORTED, "Probit");
  assert_finish_fails (
    new_classifier (w, 1, 2, b, INK_GLM_NO_TRANSFORM, INK_GLM_ONE_VS_REST, two, 2),
    INK_ERR_INVALID_MODEL, "Logit or Probit");
  assert_finish_fails (new_classifier (w, 1, 2, b, INK_GLM_LOGIT, INK_GLM_ONE_VS_REST, two, 1),
                       INK_ERR_INVALID_MODEL, "at least 2 class labels");
  assert_finish_fails (new_regressor (w, 0, 2, b, INK_GLM_NO_TRANSFORM), INK_ERR_INVALID_MODEL,
                       "0 x 2");

  /* Three columns for a two-value input. */
  m = ink_glm_regressor_new (w, 1, 3, b, INK_GLM_NO_TRANSFORM);
  add_vector_input (m, 2);
  {
    InkFeatureType d = ink_feature_type_double ();
    InkError err;

    ink_assert_ok (ink_model_add_output (m, "y", &d, "", &err), &err);
  }
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "3 columns but the inputs give 2 values");

  /* Two rows into a double output. */
  m = ink_glm_regressor_new (w, 2, 2, b, INK_GLM_NO_TRANSFORM);
  add_vector_input (m, 2);
  {
    InkFeatureType d = ink_feature_type_double ();
    InkError err;

    ink_assert_ok (ink_model_add_output (m, "y", &d, "", &err), &err);
  }
  assert_finish_fails (m, INK_ERR_INVALID_MODEL, "gives 2 values");

  /* A non-finite weight. */
  w[1] = INFINITY;
  assert_finish_fails (new_regressor (w, 1, 2, b, INK_GLM_NO_TRANSFORM), INK_ERR_INVALID_MODEL,
                       "not finite");

  g_assert_null (ink_glm_regressor_new (NULL, 1, 2, b, INK_GLM_LOGIT));
  g_assert_null (ink_glm_regressor_new (w, 1, 2, NULL, INK_GLM_LOGIT));
  g_assert_null (ink_glm_regressor_new (w, SIZE_MAX, 2, b, INK_GLM_LOGIT));
}

static void
test_predict_errors (void)
{
  double w[] = {1, 2}, b[] = {0};
  InkModel *m = new_classifier (w, 1, 2, b, INK_GLM_LOGIT, INK_GLM_ONE_VS_REST, two, 2);
  InkModel *any = ink_glm_regressor_new (w, 1, 2, b, INK_GLM_NO_TRANSFORM);
  InkFeatureType flexible = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 0, NULL);
  InkFeatureType d = ink_feature_type_double ();
  InkFeatures *in = ink_features_new (), *out = NULL;
  int64_t three_shape = 3;
  InkError err;

  finish (m);
  g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, INK_ERR_MISSING_INPUT);
  g_assert_nonnull (strstr (err.message, "'x'"));
  ink_assert_ok (ink_features_set_string (in, "x", "1,2"), &err);
  g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, INK_ERR_TYPE_MISMATCH);
  ink_assert_ok (
    ink_features_set (in, "x", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &three_shape, NULL)),
    &err);
  g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, INK_ERR_SHAPE_MISMATCH);
  g_assert_null (out);

  /* An input of any shape is only checked against the columns at predict. */
  ink_assert_ok (ink_model_add_input (any, "x", &flexible, "", &err), &err);
  ink_assert_ok (ink_model_add_output (any, "y", &d, "", &err), &err);
  finish (any);
  g_assert_cmpint (ink_model_predict (any, in, &out, &err), ==, INK_ERR_SHAPE_MISMATCH);
  g_assert_nonnull (strstr (err.message, "give 3 value(s); the model takes 2"));
  g_assert_null (out);

  ink_features_free (in);
  ink_model_free (m);
  ink_model_free (any);
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
assert_same_json (const InkModel *a, const InkModel *b)
{
  InkError err;
  cJSON *ja = ink_model_to_json (a, NULL, &err), *jb = ink_model_to_json (b, NULL, &err);
  char *ta = cJSON_PrintUnformatted (ja), *tb = cJSON_PrintUnformatted (jb);

  g_assert_cmpstr (ta, ==, tb);
  cJSON_free (ta);
  cJSON_free (tb);
  cJSON_Delete (ja);
  cJSON_Delete (jb);
}

static void
test_json_round_trip (void)
{
  /* Weights that need all 17 digits. */
  double w[] = {0.1, 1.0 / 3.0, -2.0 / 7.0, 1e-300, 123456.789, -0.0, 5e-324, 0.3};
  double b[] = {1.0 / 9.0, -0.7};
  InkModel *c = new_classifier (w, 2, 4, b, INK_GLM_LOGIT, INK_GLM_REFERENCE_CLASS, three, 3);
  InkModel *r = new_regressor (w, 2, 4, b, INK_GLM_PROBIT);
  InkModel *c_back, *r_back, *copy;
  InkError err;

  finish (c);
  finish (r);
  c_back = json_round_trip (c);
  r_back = json_round_trip (r);
  copy = ink_model_copy (c, &err);
  g_assert_nonnull (copy);
  /* cJSON prints each double with enough digits to read it back exactly,
   * so equal texts mean equal weights. */
  assert_same_json (c, c_back);
  assert_same_json (r, r_back);
  for (size_t i = 0; i < G_N_ELEMENTS (xs4); i++) {
    InkFeatures *a = predict (c, xs4[i], 4), *z = predict (c_back, xs4[i], 4);
    InkFeatures *k = predict (copy, xs4[i], 4);
    const InkValue *pa = ink_features_get (a, "probs"), *pz = ink_features_get (z, "probs");
    const InkValue *pk = ink_features_get (k, "probs");

    for (size_t j = 0; j < 3; j++) {
      g_assert_cmpfloat (ink_value_dictionary_value (pa, j), ==,
                         ink_value_dictionary_value (pz, j));
      g_assert_cmpfloat (ink_value_dictionary_value (pa, j), ==,
                         ink_value_dictionary_value (pk, j));
    }
    ink_features_free (a);
    ink_features_free (z);
    ink_features_free (k);
    a = predict (r, xs4[i], 4);
    z = predict (r_back, xs4[i], 4);
    for (size_t j = 0; j < 2; j++)
      g_assert_cmpfloat (ink_value_array_get (ink_features_get (a, "y"), j), ==,
                         ink_value_array_get (ink_features_get (z, "y"), j));
    ink_features_free (a);
    ink_features_free (z);
  }
  ink_model_free (c);
  ink_model_free (r);
  ink_model_free (c_back);
  ink_model_free (r_back);
  ink_model_free (copy);
}

static void
test_json_malformed (void)
{
  static const char *const bodies[] = {
    "{}",
    "{\"glm\": []}",
    "{\"glm\": {\"rows\": 1, \"columns\": 2, \"postEvaluationTransform\": \"Logit\", "
    "\"classEncoding\": \"OneVsRest\", \"weights\": [1], \"offset\": [0]}}",
    "{\"glm\": {\"rows\": 1, \"columns\": 2, \"postEvaluationTransform\": \"Logit\", "
    "\"classEncoding\": \"OneVsRest\", \"weights\": [1, 2], \"offset\": []}}",
    "{\"glm\": {\"rows\": 0, \"columns\": 2, \"postEvaluationTransform\": \"Logit\", "
    "\"classEncoding\": \"OneVsRest\", \"weights\": [], \"offset\": []}}",
    "{\"glm\": {\"rows\": 1e300, \"columns\": 1e300, \"postEvaluationTransform\": \"Logit\", "
    "\"classEncoding\": \"OneVsRest\", \"weights\": [], \"offset\": []}}",
    "{\"glm\": {\"rows\": 1, \"columns\": 2, \"postEvaluationTransform\": \"Tanh\", "
    "\"classEncoding\": \"OneVsRest\", \"weights\": [1, 2], \"offset\": [0]}}",
    "{\"glm\": {\"rows\": 1, \"columns\": 2, \"postEvaluationTransform\": \"Logit\", "
    "\"weights\": [1, 2], \"offset\": [0]}}",
    "{\"glm\": {\"rows\": 1, \"columns\": 2, \"postEvaluationTransform\": \"Logit\", "
    "\"classEncoding\": \"OneVsRest\", \"weights\": [1, \"2\"], \"offset\": [0]}}",
  };
  double w[] = {1, 2}, b[] = {0};

  for (size_t i = 0; i < G_N_ELEMENTS (bodies); i++) {
    InkModel *m = new_classifier (w, 1, 2, b, INK_GLM_LOGIT, INK_GLM_ONE_VS_REST, two, 2);
    cJSON *obj = cJSON_Parse (bodies[i]);
    InkError err;

    g_assert_nonnull (obj);
    g_assert_cmpint (ink_glm_ops.from_json (m, obj, NULL, &err), ==, INK_ERR_FORMAT);
    cJSON_Delete (obj);
    ink_model_free (m);
  }
}

/* ---- Labels and JSON helpers (shared by the model kinds) ---- */

static void
test_labels_json (void)
{
  static const char *const ok[] = {"[\"a\", \"b\"]", "[3, -4, 9007199254740992]", "[]"};
  static const char *const bad[] = {"[\"a\", 2]", "[1, \"b\"]", "[1.5]", "[true]",
                                    "{}",         "[1e300]",    "[null]"};
  InkLabels l = {0}, c = {0};
  InkError err;

  for (size_t i = 0; i < G_N_ELEMENTS (ok); i++) {
    cJSON *j = cJSON_Parse (ok[i]), *back;
    char *a, *b;

    ink_assert_ok (ink_labels_from_json (&l, j, &err), &err);
    g_assert_true (ink_labels_copy (&c, &l));
    back = ink_labels_to_json (&c);
    a = cJSON_PrintUnformatted (j);
    b = cJSON_PrintUnformatted (back);
    g_assert_cmpstr (a, ==, b);
    cJSON_free (a);
    cJSON_free (b);
    cJSON_Delete (j);
    cJSON_Delete (back);
  }
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++) {
    cJSON *j = cJSON_Parse (bad[i]);

    g_assert_cmpint (ink_labels_from_json (&l, j, &err), ==, INK_ERR_FORMAT);
    g_assert_cmpstr (err.message, !=, "");
    cJSON_Delete (j);
  }
  ink_labels_clear (&l);
  g_assert_true (ink_labels_append_int64 (&l, 5));
  g_assert_false (ink_labels_append_string (&l, "x"));
  g_assert_cmpuint (ink_labels_find_int64 (&l, 5), ==, 0);
  g_assert_cmpuint (ink_labels_find_int64 (&l, 6), ==, SIZE_MAX);
  g_assert_cmpuint (ink_labels_find_string (&l, "5"), ==, SIZE_MAX);
  ink_labels_clear (&l);
  g_assert_true (ink_labels_append_string (&l, "x"));
  g_assert_cmpuint (ink_labels_find_string (&l, "x"), ==, 0);
  ink_labels_clear (&l);
  ink_labels_clear (&c);
}

static void
test_json_helpers (void)
{
  cJSON *o = cJSON_Parse ("{\"s\": \"v\", \"n\": 2.5, \"i\": 42, \"big\": 1e20, \"b\": true, "
                          "\"a\": [1, 2.5, -3], \"bad\": [1, \"x\"]}");
  const char *s = "keep";
  double d = -1, *v = NULL;
  int64_t i = 0;
  bool b = false;
  size_t n = 0;
  InkError err;
  cJSON *arr;

  ink_assert_ok (ink_json_get_string (o, "s", &s, &err), &err);
  g_assert_cmpstr (s, ==, "v");
  ink_assert_ok (ink_json_get_number (o, "n", &d, &err), &err);
  g_assert_cmpfloat (d, ==, 2.5);
  ink_assert_ok (ink_json_get_int (o, "i", 0, 100, &i, &err), &err);
  g_assert_cmpint (i, ==, 42);
  ink_assert_ok (ink_json_get_bool (o, "b", &b, &err), &err);
  g_assert_true (b);
  g_assert_cmpint (ink_json_get_int (o, "i", 0, 41, &i, &err), ==, INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "\"i\""));
  g_assert_cmpint (ink_json_get_int (o, "n", 0, 100, &i, &err), ==, INK_ERR_FORMAT);
  g_assert_cmpint (ink_json_get_int (o, "big", INT64_MIN, INT64_MAX, &i, &err), ==, INK_ERR_FORMAT);
  g_assert_cmpint (ink_json_get_string (o, "n", &s, &err), ==, INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "\"n\" is not a string"));
  g_assert_cmpint (ink_json_get_number (o, "missing", &d, &err), ==, INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "missing key \"missing\""));
  g_assert_cmpint (ink_json_get_bool (o, "s", &b, &err), ==, INK_ERR_FORMAT);

  s = "keep";
  ink_assert_ok (ink_json_opt_string (o, "absent", &s, &err), &err);
  g_assert_cmpstr (s, ==, "keep");
  d = 7;
  ink_assert_ok (ink_json_opt_number (o, "absent", &d, &err), &err);
  g_assert_cmpfloat (d, ==, 7);
  ink_assert_ok (ink_json_opt_bool (o, "absent", &b, &err), &err);
  g_assert_true (b);
  g_assert_cmpint (ink_json_opt_number (o, "s", &d, &err), ==, INK_ERR_FORMAT);

  ink_assert_ok (ink_json_get_doubles (o, "a", &v, &n, &err), &err);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpfloat (v[1], ==, 2.5);
  arr = ink_json_doubles (v, n);
  g_assert_cmpint (cJSON_GetArraySize (arr), ==, 3);
  g_assert_cmpfloat (cJSON_GetArrayItem (arr, 2)->valuedouble, ==, -3);
  cJSON_Delete (arr);
  free (v);
  g_assert_cmpint (ink_json_get_doubles (o, "bad", &v, &n, &err), ==, INK_ERR_FORMAT);
  g_assert_cmpint (ink_json_get_doubles (o, "s", &v, &n, &err), ==, INK_ERR_FORMAT);
  g_assert_cmpint (ink_json_get_number (cJSON_GetObjectItem (o, "a"), "x", &d, &err), ==,
                   INK_ERR_FORMAT);
  cJSON_Delete (o);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/glm/binary", test_binary);
  g_test_add_func ("/glm/known-values", test_known_values);
  g_test_add_func ("/glm/one-vs-rest", test_one_vs_rest);
  g_test_add_func ("/glm/reference-class", test_reference_class);
  g_test_add_func ("/glm/extreme-scores", test_extreme_scores);
  g_test_add_func ("/glm/int64-labels", test_int64_labels);
  g_test_add_func ("/glm/regressor", test_regressor);
  g_test_add_func ("/glm/several-inputs", test_several_inputs);
  g_test_add_func ("/glm/invalid-models", test_invalid_models);
  g_test_add_func ("/glm/predict-errors", test_predict_errors);
  g_test_add_func ("/glm/json-round-trip", test_json_round_trip);
  g_test_add_func ("/glm/json-malformed", test_json_malformed);
  g_test_add_func ("/glm/labels-json", test_labels_json);
  g_test_add_func ("/glm/json-helpers", test_json_helpers);
  return g_test_run ();
}

/* test-knn.c: the k-nearest-neighbors classifier against a brute-force reference
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#define PROB_TOL 1e-9

/* ---- Reference: brute force, written out plainly ---- */

typedef struct {
  size_t dims, n, n_classes, k;
  InkKnnWeighting weighting;
  const float *vectors; /* n x dims */
  const size_t *cls;    /* class of each example; classes first appear in index order */
} RefKnn;

typedef struct {
  double d;
  size_t i;
} RefNeighbor;

static int
neighbor_cmp (const void *pa, const void *pb)
{
  const RefNeighbor *a = pa, *b = pb;

  if (a->d != b->d)
    return a->d < b->d ? -1 : 1;
  return a->i < b->i ? -1 : a->i > b->i;
}

/* Every example's squared distance to q, in double, nearest first (an
 * earlier example first on a tie). */
static void
ref_sort_neighbors (const RefKnn *r, const float *q, RefNeighbor *nb)
{
  for (size_t i = 0; i < r->n; i++) {
    double s = 0.0;
    for (size_t j = 0; j < r->dims; j++) {
      double d = (double) q[j] - (double) r->vectors[i * r->dims + j];
      s += d * d;
    }
    nb[i].d = s;
    nb[i].i = i;
  }
  qsort (nb, r->n, sizeof *nb, neighbor_cmp);
}

/* Fills probs (n_classes) and returns the winning class: most weight, then
 * the nearer example, then the class that appeared first. *margin_ok is
 * false when the k-th and (k+1)-th neighbours are so close that float
 * rounding could swap them. */
static size_t
ref_predict (const RefKnn *r, const float *q, double *probs, bool *margin_ok)
{
  RefNeighbor *nb = g_new (RefNeighbor, r->n);
  double *nearest = g_new (double, r->n_classes);
  size_t *first = g_new (size_t, r->n_classes);
  size_t k = r->k < r->n ? r->k : r->n;
  double total = 0.0;
  bool exact;
  size_t best = 0;

  ref_sort_neighbors (r, q, nb);
  if (margin_ok != NULL)
    *margin_ok = k == r->n || nb[k].d - nb[k - 1].d > 1e-5 * nb[k].d;
  for (size_t c = 0; c < r->n_classes; c++) {
    probs[c] = 0.0;
    nearest[c] = INFINITY;
    first[c] = SIZE_MAX;
  }
  for (size_t i = r->n; i-- > 0;)
    first[r->cls[i]] = i;
  exact = r->weighting == INK_KNN_INVERSE_DISTANCE && nb[0].d == 0.0;
  for (size_t j = 0; j < k; j++) {
    size_t c = r->cls[nb[j].i];
    double w = 1.0;
    if (r->weighting == INK_KNN_INVERSE_DISTANCE)
      w = exact ? (nb[j].d == 0.0 ? 1.0 : 0.0) : 1.0 / nb[j].d;
    probs[c] += w;
    total += w;
    if (nb[j].d < nearest[c])
      nearest[c] = nb[j].d;
  }
  for (size_t c = 0; c < r->n_classes; c++)
    probs[c] /= total;
  for (size_t c = 1; c < r->n_classes; c++) {
    if (probs[c] > probs[best] ||
        (probs[c] == probs[best] &&
         (nearest[c] < nearest[best] || (nearest[c] == nearest[best] && first[c] < first[best]))))
      best = c;
  }
  g_free (nb);
  g_free (nearest);
  g_free (first);
  return best;
}

/* ---- Building and running ---- */

/* A k-NN with input `features` (float32 [dims]) and outputs `label` and
 * `labelProbability`, not finished. */
static InkModel *
new_knn (size_t dims, InkKnnWeighting weighting, int64_t k, bool int64_labels)
{
  InkModel *m = ink_knn_new (dims, weighting, k, int64_labels);
  int64_t shape[1] = {(int64_t) dims};
  InkFeatureType features = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, shape);
  InkFeatureType label = int64_labels ? ink_feature_type_int64 () : ink_feature_type_string ();
  InkFeatureType probs =
    ink_feature_type_dictionary (int64_labels ? INK_KEY_INT64 : INK_KEY_STRING);
  InkError err;

  g_assert_nonnull (m);
  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (m, "features", &features, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "labelProbability", &probs, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "labelProbability"), &err);
  return m;
}

static void
add_examples (InkModel *m, const RefKnn *r, const char *const *names, const int64_t *ids)
{
  InkError err;

  ink_error_clear (&err);
  for (size_t i = 0; i < r->n; i++) {
    const float *v = r->vectors + i * r->dims;
    if (names != NULL)
      ink_assert_ok (ink_knn_add_example_string (m, v, names[r->cls[i]], &err), &err);
    else
      ink_assert_ok (ink_knn_add_example_int64 (m, v, ids[r->cls[i]], &err), &err);
  }
  g_assert_cmpuint (ink_knn_n_examples (m), ==, r->n);
}

/* A finished k-NN holding r's examples. */
static InkModel *
build_knn (const RefKnn *r, const char *const *names, const int64_t *ids)
{
  InkModel *m = new_knn (r->dims, r->weighting, (int64_t) r->k, names == NULL);
  InkError err;

  add_examples (m, r, names, ids);
  ink_error_clear (&err);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  return m;
}

static InkFeatures *
predict_value (const InkModel *m, const char *name, InkValue *v)
{
  InkFeatures *in = ink_features_new ();
  InkFeatures *out = NULL;
  InkError err;

  ink_error_clear (&err);
  g_assert_cmpint (ink_features_set (in, name, v), ==, INK_OK);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  g_assert_nonnull (out);
  ink_features_free (in);
  return out;
}

static InkFeatures *
predict_vector (const InkModel *m, const float *q, size_t dims)
{
  int64_t shape[1] = {(int64_t) dims};

  return predict_value (m, "features", ink_test_array (1, shape, q));
}

/* |got - want| <= tol (g_assert_cmpfloat_with_epsilon is strict, so tol 0 fails). */
static void
assert_prob (double got, double want, double tol)
{
  if (!(fabs (got - want) <= tol))
    g_error ("probability %.17g, expected %.17g (tolerance %g)", got, want, tol);
}

/* Checks a string-labelled prediction: the label and every class's probability. */
static void
check_string (const InkFeatures *out, const char *const *names, size_t n_classes, size_t want,
              const double *probs, double tol)
{
  const InkValue *dict = ink_features_get (out, "labelProbability");

  g_assert_cmpuint (ink_features_count (out), ==, 2);
  g_assert_cmpint (ink_value_get_type (ink_features_get (out, "label")), ==, INK_VALUE_STRING);
  g_assert_cmpstr (ink_value_get_string (ink_features_get (out, "label")), ==, names[want]);
  g_assert_cmpint (ink_value_get_type (dict), ==, INK_VALUE_DICTIONARY);
  g_assert_cmpint (ink_value_dictionary_key_type (dict), ==, INK_KEY_STRING);
  g_assert_cmpuint (ink_value_dictionary_count (dict), ==, n_classes);
  for (size_t c = 0; c < n_classes; c++) {
    double p = -1.0;
    g_assert_true (ink_value_dictionary_lookup_string (dict, names[c], &p));
    assert_prob (p, probs[c], tol);
  }
}

static void
check_int64 (const InkFeatures *out, const int64_t *ids, size_t n_classes, size_t want,
             const double *probs, double tol)
{
  const InkValue *dict = ink_features_get (out, "labelProbability");

  g_assert_cmpint (ink_value_get_type (ink_features_get (out, "label")), ==, INK_VALUE_INT64);
  g_assert_cmpint (ink_value_get_int64 (ink_features_get (out, "label")), ==, ids[want]);
  g_assert_cmpint (ink_value_dictionary_key_type (dict), ==, INK_KEY_INT64);
  g_assert_cmpuint (ink_value_dictionary_count (dict), ==, n_classes);
  for (size_t c = 0; c < n_classes; c++) {
    double p = -1.0;
    g_assert_true (ink_value_dictionary_lookup_int64 (dict, ids[c], &p));
    assert_prob (p, probs[c], tol);
  }
}

/* Predicts q with m and with the reference, and compares. */
static void
check_against_ref (const InkModel *m, const RefKnn *r, const char *const *names, const int64_t *ids,
                   const float *q, double tol)
{
  double *probs = g_new (double, r->n_classes);
  size_t want = ref_predict (r, q, probs, NULL);
  InkFeatures *out = predict_vector (m, q, r->dims);

  if (names != NULL)
    check_string (out, names, r->n_classes, want, probs, tol);
  else
    check_int64 (out, ids, r->n_classes, want, probs, tol);
  ink_features_free (out);
  g_free (probs);
}

/* ---- Small hand-checked cases ---- */

static const char *const AB[] = {"A", "B"};
static const char *const ABC[] = {"A", "B", "C"};

/* A: (0,0) (0,1) (1,0); B: (5,5) (5,6). */
static const float square_vectors[] = {0, 0, 0, 1, 1, 0, 5, 5, 5, 6};
static const size_t square_classes[] = {0, 0, 0, 1, 1};

static void
test_uniform (void)
{
  RefKnn r = {2, 5, 2, 3, INK_KNN_UNIFORM, square_vectors, square_classes};
  InkModel *m = build_knn (&r, AB, NULL);
  const float near_a[] = {0.2f, 0.2f}, mid[] = {4, 4};
  const double p_a[] = {1.0, 0.0}, p_mid[] = {1.0 / 3.0, 2.0 / 3.0};
  InkFeatures *out;

  out = predict_vector (m, near_a, 2);
  check_string (out, AB, 2, 0, p_a, PROB_TOL);
  ink_features_free (out);
  /* Nearest three: B (d²=2), B (5), then A (25): probability = votes / k. */
  out = predict_vector (m, mid, 2);
  check_string (out, AB, 2, 1, p_mid, PROB_TOL);
  ink_features_free (out);
  check_against_ref (m, &r, AB, NULL, near_a, PROB_TOL);
  check_against_ref (m, &r, AB, NULL, mid, PROB_TOL);
  ink_model_free (m);
}

/* A at 0; B at 3 and 4; query 1: squared distances 1, 4, 9. */
static const float line_vectors[] = {0, 3, 4};
static const size_t line_classes[] = {0, 1, 1};

static void
test_inverse_distance (void)
{
  RefKnn r = {1, 3, 2, 3, INK_KNN_INVERSE_DISTANCE, line_vectors, line_classes};
  RefKnn ru = r;
  InkModel *m = build_knn (&r, AB, NULL);
  InkModel *mu;
  const float q[] = {1};
  /* Weights 1/d²: 1, 1/4, 1/9. */
  double total = 1.0 + 0.25 + 1.0 / 9.0;
  const double p[] = {1.0 / total, (0.25 + 1.0 / 9.0) / total};
  const double pu[] = {1.0 / 3.0, 2.0 / 3.0};
  InkFeatures *out;

  out = predict_vector (m, q, 1);
  check_string (out, AB, 2, 0, p, 1e-7);
  ink_features_free (out);
  check_against_ref (m, &r, AB, NULL, q, 1e-7);
  for (float x = -2.0f; x <= 6.0f; x += 0.375f)
    check_against_ref (m, &r, AB, NULL, &x, 1e-6);

  /* The same examples with uniform weights pick B. */
  ru.weighting = INK_KNN_UNIFORM;
  mu = build_knn (&ru, AB, NULL);
  out = predict_vector (mu, q, 1);
  check_string (out, AB, 2, 1, pu, PROB_TOL);
  ink_features_free (out);
  ink_model_free (m);
  ink_model_free (mu);
}

static void
test_exact_match (void)
{
  /* A (1,1); B (1,1.5) and (2,2). */
  const float v1[] = {1, 1, 1, 1.5f, 2, 2};
  const size_t c1[] = {0, 1, 1};
  RefKnn r1 = {2, 3, 2, 3, INK_KNN_INVERSE_DISTANCE, v1, c1};
  /* A and B both at (1,1); C at (3,3). */
  const float v2[] = {1, 1, 1, 1, 3, 3};
  const size_t c2[] = {0, 1, 2};
  RefKnn r2 = {2, 3, 3, 3, INK_KNN_INVERSE_DISTANCE, v2, c2};
  const float q[] = {1, 1};
  const double p1[] = {1.0, 0.0};
  const double p2[] = {0.5, 0.5, 0.0};
  InkModel *m = build_knn (&r1, AB, NULL);
  InkFeatures *out = predict_vector (m, q, 2);
  const InkValue *dict;
  double x;

  /* Only the exact match votes. */
  check_string (out, AB, 2, 0, p1, 0.0);
  ink_features_free (out);
  ink_model_free (m);

  /* Two exact matches share the vote equally. */
  m = build_knn (&r2, ABC, NULL);
  out = predict_vector (m, q, 2);
  dict = ink_features_get (out, "labelProbability");
  for (size_t c = 0; c < 3; c++) {
    g_assert_true (ink_value_dictionary_lookup_string (dict, ABC[c], &x));
    g_assert_cmpfloat (x, ==, p2[c]);
  }
  g_assert_cmpstr (ink_value_get_string (ink_features_get (out, "label")), !=, "C");
  ink_features_free (out);
  /* And every probability stays finite next to the exact match. */
  out = predict_vector (m, (const float[]){1, 1.0001f}, 2);
  dict = ink_features_get (out, "labelProbability");
  for (size_t c = 0; c < 3; c++)
    g_assert_true (isfinite (ink_value_dictionary_value (dict, c)));
  ink_features_free (out);
  ink_model_free (m);
}

static void
test_k_larger_than_examples (void)
{
  const float v[] = {0, 0, 1, 1, 2, 2, 9, 9};
  const size_t cls[] = {0, 0, 1, 2};
  RefKnn r = {2, 4, 3, 10, INK_KNN_UNIFORM, v, cls};
  const float q[] = {8, 8};
  const double p[] = {0.5, 0.25, 0.25};
  InkModel *m = build_knn (&r, ABC, NULL);
  InkFeatures *out = predict_vector (m, q, 2);

  /* All four vote, even the far ones. */
  check_string (out, ABC, 3, 0, p, PROB_TOL);
  ink_features_free (out);
  ink_model_free (m);

  r.weighting = INK_KNN_INVERSE_DISTANCE;
  m = build_knn (&r, ABC, NULL);
  check_against_ref (m, &r, ABC, NULL, q, 1e-7);
  check_against_ref (m, &r, ABC, NULL, (const float[]){0.5f, 0.4f}, 1e-7);
  ink_model_free (m);
}

static void
test_tie_in_votes (void)
{
  /* k = 2: A at 0, B at 3: one vote each; the nearer example wins. */
  const float v2[] = {0, 3};
  const size_t c2[] = {0, 1};
  RefKnn r2 = {1, 2, 2, 2, INK_KNN_UNIFORM, v2, c2};
  /* k = 4: A at 0 and 5, B at 2 and -4: two votes each. */
  const float v4[] = {0, 5, 2, -4};
  const size_t c4[] = {0, 0, 1, 1};
  RefKnn r4 = {1, 4, 2, 4, INK_KNN_UNIFORM, v4, c4};
  const double half[] = {0.5, 0.5};
  InkModel *m = build_knn (&r2, AB, NULL);
  InkFeatures *out;

  out = predict_vector (m, (const float[]){2}, 1);
  check_string (out, AB, 2, 1, half, PROB_TOL);
  ink_features_free (out);
  out = predict_vector (m, (const float[]){1}, 1);
  check_string (out, AB, 2, 0, half, PROB_TOL);
  ink_features_free (out);
  ink_model_free (m);

  m = build_knn (&r4, AB, NULL);
  /* Squared distances from 1.2: A 1.44, 14.44; B 0.64, 27.04. */
  out = predict_vector (m, (const float[]){1.2f}, 1);
  check_string (out, AB, 2, 1, half, PROB_TOL);
  ink_features_free (out);
  /* From 0.8: A 0.64, 17.64; B 1.44, 23.04. */
  out = predict_vector (m, (const float[]){0.8f}, 1);
  check_string (out, AB, 2, 0, half, PROB_TOL);
  ink_features_free (out);
  for (float x = -6.0f; x <= 7.0f; x += 0.25f)
    check_against_ref (m, &r4, AB, NULL, &x, PROB_TOL);
  ink_model_free (m);
}

static void
test_empty_default_string (void)
{
  InkModel *m = new_knn (3, INK_KNN_INVERSE_DISTANCE, 3, false);
  const float q[] = {1, 2, 3};
  const char *const names[] = {"unknown"};
  const double one[] = {1.0};
  InkFeatures *out;
  InkError err;

  ink_error_clear (&err);
  g_assert_cmpint (ink_knn_set_default_label_string (m, "unknown"), ==, INK_OK);
  g_assert_cmpint (ink_knn_set_default_label_int64 (m, 3), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpuint (ink_knn_n_examples (m), ==, 0);
  /* No examples: the default label, with probability 1. */
  ink_assert_ok (ink_model_finish (m, &err), &err);
  out = predict_vector (m, q, 3);
  check_string (out, names, 1, 0, one, 0.0);
  ink_features_free (out);
  ink_model_free (m);
}

static void
test_empty_default_int64 (void)
{
  InkModel *m = new_knn (2, INK_KNN_UNIFORM, 1, true);
  const float q[] = {0, 0};
  const int64_t ids[] = {-1};
  const double one[] = {1.0};
  InkFeatures *out;
  InkError err;

  ink_error_clear (&err);
  g_assert_cmpint (ink_knn_set_default_label_string (m, "x"), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_knn_set_default_label_int64 (m, 5), ==, INK_OK);
  /* Setting again replaces. */
  g_assert_cmpint (ink_knn_set_default_label_int64 (m, -1), ==, INK_OK);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  out = predict_vector (m, q, 2);
  check_int64 (out, ids, 1, 0, one, 0.0);
  ink_features_free (out);
  ink_model_free (m);
}

static void
test_default_label_unused (void)
{
  RefKnn r = {2, 5, 2, 3, INK_KNN_UNIFORM, square_vectors, square_classes};
  InkModel *m = new_knn (2, INK_KNN_UNIFORM, 3, false);
  InkError err;

  /* With examples the default label never appears. */
  g_assert_cmpint (ink_knn_set_default_label_string (m, "unknown"), ==, INK_OK);
  add_examples (m, &r, AB, NULL);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  check_against_ref (m, &r, AB, NULL, (const float[]){4, 4}, PROB_TOL);
  check_against_ref (m, &r, AB, NULL, (const float[]){0, 0}, PROB_TOL);
  ink_model_free (m);
}

static void
test_int64_labels (void)
{
  enum {
    N = 40,
    D = 3,
    C = 3
  };
  float v[N * D];
  size_t cls[N];
  const int64_t ids[C] = {7, -3, 42};
  RefKnn r = {D, N, C, 4, INK_KNN_INVERSE_DISTANCE, v, cls};
  InkModel *m;
  float q[D];

  ink_test_fill_random (v, N * D, 11, -1.0f, 1.0f);
  for (size_t i = 0; i < N; i++)
    cls[i] = i % C;
  m = build_knn (&r, NULL, ids);
  for (guint32 s = 0; s < 20; s++) {
    ink_test_fill_random (q, D, 100 + s, -1.2f, 1.2f);
    check_against_ref (m, &r, NULL, ids, q, 1e-6);
  }
  ink_model_free (m);

  r.weighting = INK_KNN_UNIFORM;
  m = build_knn (&r, NULL, ids);
  for (guint32 s = 0; s < 20; s++) {
    ink_test_fill_random (q, D, 200 + s, -1.2f, 1.2f);
    check_against_ref (m, &r, NULL, ids, q, PROB_TOL);
  }
  ink_model_free (m);
}

/* ---- Other input forms ---- */

static const float cube_vectors[] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5f, 0.5f, 0};
static const size_t cube_classes[] = {0, 1, 2, 1};

static void
compare_outputs (const InkFeatures *a, const InkFeatures *b)
{
  const InkValue *da = ink_features_get (a, "labelProbability");
  const InkValue *db = ink_features_get (b, "labelProbability");

  g_assert_cmpstr (ink_value_get_string (ink_features_get (a, "label")), ==,
                   ink_value_get_string (ink_features_get (b, "label")));
  g_assert_cmpuint (ink_value_dictionary_count (da), ==, ink_value_dictionary_count (db));
  for (size_t i = 0; i < ink_value_dictionary_count (da); i++) {
    g_assert_cmpstr (ink_value_dictionary_string_key (da, i), ==,
                     ink_value_dictionary_string_key (db, i));
    g_assert_cmpfloat (ink_value_dictionary_value (da, i), ==, ink_value_dictionary_value (db, i));
  }
}

static void
test_float64_input (void)
{
  RefKnn r = {3, 4, 3, 2, INK_KNN_INVERSE_DISTANCE, cube_vectors, cube_classes};
  InkModel *m = build_knn (&r, ABC, NULL);
  InkModel *m64 = ink_knn_new (3, INK_KNN_INVERSE_DISTANCE, 2, false);
  const int64_t shape[] = {3};
  InkFeatureType f64 = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, shape);
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_STRING);
  const float qf[] = {0.75f, 0.25f, 0.125f};
  const double qd[] = {0.75, 0.25, 0.125};
  const int32_t qi[] = {0, 0, 2};
  const float qfi[] = {0, 0, 2};
  InkFeatures *a, *b;
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (m64, "features", &f64, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m64, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m64, "labelProbability", &probs, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m64, "labelProbability"), &err);
  add_examples (m64, &r, ABC, NULL);
  ink_assert_ok (ink_model_finish (m64, &err), &err);

  /* A float32-declared input given as float64 and as int32. */
  a = predict_vector (m, qf, 3);
  b = predict_value (m, "features", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, shape, qd));
  compare_outputs (a, b);
  ink_features_free (b);
  /* A float64-declared input. */
  b = predict_value (m64, "features", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, shape, qd));
  compare_outputs (a, b);
  ink_features_free (b);
  check_against_ref (m, &r, ABC, NULL, qf, 1e-7);
  ink_features_free (a);

  a = predict_vector (m, qfi, 3);
  b = predict_value (m, "features", ink_value_new_multiarray (INK_ARRAY_INT32, 1, shape, qi));
  compare_outputs (a, b);
  ink_features_free (b);
  b = predict_value (m64, "features", ink_value_new_multiarray (INK_ARRAY_INT32, 1, shape, qi));
  compare_outputs (a, b);
  ink_features_free (a);
  ink_features_free (b);
  ink_model_free (m);
  ink_model_free (m64);
}

/* A k-NN over D = 3 Double inputs a, b, c (declared in that order). */
static InkModel *
build_three_doubles (const RefKnn *r)
{
  InkModel *m = ink_knn_new (3, r->weighting, (int64_t) r->k, false);
  InkFeatureType dbl = ink_feature_type_double ();
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_STRING);
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (m, "a", &dbl, "", &err), &err);
  ink_assert_ok (ink_model_add_input (m, "b", &dbl, "", &err), &err);
  ink_assert_ok (ink_model_add_input (m, "c", &dbl, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "labelProbability", &probs, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "labelProbability"), &err);
  add_examples (m, r, ABC, NULL);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  return m;
}

static void
test_several_doubles (void)
{
  RefKnn r = {3, 4, 3, 2, INK_KNN_INVERSE_DISTANCE, cube_vectors, cube_classes};
  InkModel *m = build_three_doubles (&r);
  const float queries[][3] = {
    {0.9f, 0.1f, 0.0f}, {0.0f, 0.2f, 0.9f}, {0.1f, 0.8f, 0.3f}, {0.4f, 0.6f, 0.05f}};
  InkError err;

  for (size_t s = 0; s < G_N_ELEMENTS (queries); s++) {
    const float *q = queries[s];
    double probs[3];
    size_t want = ref_predict (&r, q, probs, NULL);
    InkFeatures *in = ink_features_new ();
    InkFeatures *out = NULL;

    /* Provided out of declaration order: the vector follows the declaration. */
    ink_features_set_double (in, "c", q[2]);
    ink_features_set_double (in, "a", q[0]);
    ink_features_set_double (in, "b", q[1]);
    ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
    check_string (out, ABC, 3, want, probs, 1e-6);
    ink_features_free (in);
    ink_features_free (out);
  }
  {
    /* Int64 values feed Double inputs. */
    const float q[] = {0, 0, 1};
    double probs[3];
    size_t want = ref_predict (&r, q, probs, NULL);
    InkFeatures *in = ink_features_new ();
    InkFeatures *out = NULL;

    g_assert_cmpuint (want, ==, 2);
    ink_features_set_int64 (in, "a", 0);
    ink_features_set_int64 (in, "b", 0);
    ink_features_set_int64 (in, "c", 1);
    ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
    check_string (out, ABC, 3, want, probs, 0.0);
    ink_features_free (in);
    ink_features_free (out);
  }
  {
    /* A missing one is reported by name. */
    InkFeatures *in = ink_features_new ();
    InkFeatures *out = NULL;

    ink_features_set_double (in, "a", 0);
    ink_features_set_double (in, "c", 0);
    g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, INK_ERR_MISSING_INPUT);
    g_assert_nonnull (strstr (err.message, "'b'"));
    g_assert_null (out);
    ink_features_free (in);
  }
  ink_model_free (m);
}

static void
test_mixed_inputs (void)
{
  /* Inputs s (Double) then v (multi-array [2]): the vector is (s, v0, v1). */
  RefKnn r = {3, 4, 3, 1, INK_KNN_UNIFORM, cube_vectors, cube_classes};
  InkModel *m = ink_knn_new (3, INK_KNN_UNIFORM, 1, false);
  const int64_t two[] = {2};
  InkFeatureType dbl = ink_feature_type_double ();
  InkFeatureType vec = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, two);
  InkFeatureType label = ink_feature_type_string ();
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (m, "s", &dbl, "", &err), &err);
  ink_assert_ok (ink_model_add_input (m, "v", &vec, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "label", &label, "", &err), &err);
  add_examples (m, &r, ABC, NULL);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  for (size_t c = 0; c < 3; c++) {
    const float *e = cube_vectors + c * 3;
    InkFeatures *in = ink_features_new ();
    InkFeatures *out = NULL;

    ink_features_set (in, "v", ink_test_array (1, two, e + 1));
    ink_features_set_double (in, "s", e[0]);
    ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
    g_assert_cmpuint (ink_features_count (out), ==, 1);
    g_assert_cmpstr (ink_value_get_string (ink_features_get (out, "label")), ==, ABC[c]);
    ink_features_free (in);
    ink_features_free (out);
  }
  ink_model_free (m);
}

/* ---- Errors ---- */

static void
test_wrong_dimension (void)
{
  const int64_t three[] = {3};
  InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, three);
  InkFeatureType dbl = ink_feature_type_double ();
  InkFeatureType label = ink_feature_type_string ();
  const float v[4] = {0};
  InkModel *m = ink_knn_new (4, INK_KNN_UNIFORM, 1, false);
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_add_input (m, "features", &t, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "label", &label, "", &err), &err);
  ink_assert_ok (ink_knn_add_example_string (m, v, "A", &err), &err);
  g_assert_cmpint (ink_model_finish (m, &err), ==, INK_ERR_INVALID_MODEL);
  g_assert_nonnull (strstr (err.message, "4"));
  g_assert_nonnull (strstr (err.message, "3"));
  ink_model_free (m);

  /* Three Double inputs for a two-dimensional index. */
  m = ink_knn_new (2, INK_KNN_UNIFORM, 1, false);
  ink_model_add_input (m, "a", &dbl, "", &err);
  ink_model_add_input (m, "b", &dbl, "", &err);
  ink_model_add_input (m, "c", &dbl, "", &err);
  ink_model_add_output (m, "label", &label, "", &err);
  ink_assert_ok (ink_knn_add_example_string (m, v, "A", &err), &err);
  g_assert_cmpint (ink_model_finish (m, &err), ==, INK_ERR_INVALID_MODEL);
  ink_model_free (m);
}

static void
test_no_examples_no_default (void)
{
  InkModel *m = new_knn (2, INK_KNN_UNIFORM, 1, false);
  InkFeatures *in = ink_features_new ();
  InkFeatures *out = NULL;
  InkError err;

  g_assert_cmpint (ink_model_finish (m, &err), ==, INK_ERR_INVALID_MODEL);
  g_assert_nonnull (strstr (err.message, "default label"));
  /* An unfinished model does not predict. */
  ink_features_set (in, "features", ink_test_array (1, (const int64_t[]){2}, NULL));
  g_assert_cmpint (ink_model_predict (m, in, &out, &err), !=, INK_OK);
  g_assert_null (out);
  ink_features_free (in);
  ink_model_free (m);
}

static void
test_bad_examples (void)
{
  InkModel *m = new_knn (3, INK_KNN_UNIFORM, 1, false);
  const float nan_v[] = {0, NAN, 1};
  const float inf_v[] = {-INFINITY, 0, 1};
  const float good[] = {1, 2, 3};
  InkError err;

  ink_error_clear (&err);
  g_assert_cmpint (ink_knn_add_example_string (m, nan_v, "A", &err), !=, INK_OK);
  g_assert_cmpint (err.status, !=, INK_OK);
  g_assert_cmpint (ink_knn_add_example_string (m, inf_v, "A", &err), !=, INK_OK);
  g_assert_cmpint (ink_knn_add_example_string (m, nan_v, "A", NULL), !=, INK_OK);
  g_assert_cmpint (ink_knn_add_example_string (m, NULL, "A", &err), !=, INK_OK);
  g_assert_cmpint (ink_knn_add_example_string (m, good, NULL, &err), !=, INK_OK);
  /* Labels must be of the classifier's type. */
  g_assert_cmpint (ink_knn_add_example_int64 (m, good, 1, &err), ==, INK_ERR_TYPE_MISMATCH);
  g_assert_cmpuint (ink_knn_n_examples (m), ==, 0);
  ink_assert_ok (ink_knn_add_example_string (m, good, "A", &err), &err);
  g_assert_cmpuint (ink_knn_n_examples (m), ==, 1);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  {
    InkFeatures *out = predict_vector (m, good, 3);
    g_assert_cmpstr (ink_value_get_string (ink_features_get (out, "label")), ==, "A");
    ink_features_free (out);
  }
  ink_model_free (m);

  m = new_knn (1, INK_KNN_UNIFORM, 1, true);
  g_assert_cmpint (ink_knn_add_example_string (m, good, "A", &err), ==, INK_ERR_TYPE_MISMATCH);
  g_assert_cmpint (ink_knn_add_example_int64 (m, nan_v + 1, 3, &err), !=, INK_OK);
  g_assert_cmpuint (ink_knn_n_examples (m), ==, 0);
  ink_model_free (m);

  /* Examples only go into k-NN models. */
  g_assert_cmpint (ink_knn_add_example_string (NULL, good, "A", &err), !=, INK_OK);
  g_assert_cmpuint (ink_knn_n_examples (NULL), ==, 0);
}

static void
test_bad_new (void)
{
  g_assert_null (ink_knn_new (0, INK_KNN_UNIFORM, 1, false));
  g_assert_null (ink_knn_new (2, INK_KNN_UNIFORM, 0, false));
  g_assert_null (ink_knn_new (2, INK_KNN_UNIFORM, -3, false));
  g_assert_null (ink_knn_new (2, (InkKnnWeighting) 7, 1, false));
}

static void
test_label_output_type (void)
{
  /* String labels but an int64 label output. */
  InkModel *m = ink_knn_new (1, INK_KNN_UNIFORM, 1, false);
  InkFeatureType dbl = ink_feature_type_double ();
  InkFeatureType i64 = ink_feature_type_int64 ();
  const float v[] = {0};
  InkError err;

  ink_model_add_input (m, "x", &dbl, "", &err);
  ink_model_add_output (m, "label", &i64, "", &err);
  ink_knn_add_example_string (m, v, "A", &err);
  g_assert_cmpint (ink_model_finish (m, &err), ==, INK_ERR_INVALID_MODEL);
  ink_model_free (m);
}

static void
test_predict_errors (void)
{
  RefKnn r = {2, 5, 2, 3, INK_KNN_UNIFORM, square_vectors, square_classes};
  InkModel *m = build_knn (&r, AB, NULL);
  const int64_t three[] = {3};
  InkFeatures *in = ink_features_new ();
  InkFeatures *out = NULL;
  InkError err;

  g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, INK_ERR_MISSING_INPUT);
  g_assert_nonnull (strstr (err.message, "features"));
  ink_features_set (in, "features", ink_test_array (1, three, NULL));
  g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, INK_ERR_SHAPE_MISMATCH);
  g_assert_nonnull (strstr (err.message, "features"));
  ink_features_set_string (in, "features", "oops");
  g_assert_cmpint (ink_model_predict (m, in, &out, &err), ==, INK_ERR_TYPE_MISMATCH);
  g_assert_null (out);
  ink_features_free (in);
  ink_model_free (m);
}

/* ---- numberOfNeighbors ---- */

static void
test_k_parameter_default (void)
{
  RefKnn r = {2, 5, 2, 3, INK_KNN_UNIFORM, square_vectors, square_classes};
  InkModel *m = build_knn (&r, AB, NULL);
  const InkUpdateParameter *p = ink_description_find_update_parameter (
    ink_model_get_description (m), INK_PARAM_NUMBER_OF_NEIGHBORS);

  /* Finishing declares k with its default and a range. */
  g_assert_nonnull (p);
  g_assert_cmpint (p->type, ==, INK_PARAM_INT64);
  g_assert_cmpfloat (p->default_value, ==, 3);
  g_assert_true (p->has_range);
  g_assert_cmpfloat (p->min, ==, 1);
  g_assert_cmpfloat (p->max, >=, 3);
  ink_model_free (m);
}

static void
test_k_parameter_overrides (void)
{
  RefKnn r = {2, 5, 2, 3, INK_KNN_UNIFORM, square_vectors, square_classes};
  InkModel *m = new_knn (2, INK_KNN_UNIFORM, 1, false);
  InkUpdateParameter k = {.key = INK_PARAM_NUMBER_OF_NEIGHBORS,
                          .type = INK_PARAM_INT64,
                          .default_value = 3,
                          .has_range = true,
                          .min = 1,
                          .max = 10};
  const double p_mid[] = {1.0 / 3.0, 2.0 / 3.0};
  InkFeatures *out;
  InkError err;

  ink_error_clear (&err);
  ink_assert_ok (ink_model_set_update_parameter (m, &k, &err), &err);
  add_examples (m, &r, AB, NULL);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  /* k = 3 from the parameter, not 1 from ink_knn_new. */
  out = predict_vector (m, (const float[]){4, 4}, 2);
  check_string (out, AB, 2, 1, p_mid, PROB_TOL);
  ink_features_free (out);
  g_assert_cmpfloat (ink_description_find_update_parameter (ink_model_get_description (m),
                                                            INK_PARAM_NUMBER_OF_NEIGHBORS)
                       ->max,
                     ==, 10);
  ink_model_free (m);
}

static void
test_k_parameter_invalid (void)
{
  InkUpdateParameter as_double = {
    .key = INK_PARAM_NUMBER_OF_NEIGHBORS, .type = INK_PARAM_DOUBLE, .default_value = 2};
  InkUpdateParameter zero = {.key = INK_PARAM_NUMBER_OF_NEIGHBORS,
                             .type = INK_PARAM_INT64,
                             .default_value = 0,
                             .has_range = true,
                             .min = 0,
                             .max = 5};
  const InkUpdateParameter *params[] = {&as_double, &zero};
  const float v[] = {0, 0};

  for (size_t i = 0; i < G_N_ELEMENTS (params); i++) {
    InkModel *m = new_knn (2, INK_KNN_UNIFORM, 1, false);
    InkError err;

    ink_error_clear (&err);
    ink_assert_ok (ink_model_set_update_parameter (m, params[i], &err), &err);
    ink_assert_ok (ink_knn_add_example_string (m, v, "A", &err), &err);
    g_assert_cmpint (ink_model_finish (m, &err), ==, INK_ERR_INVALID_MODEL);
    g_assert_nonnull (strstr (err.message, INK_PARAM_NUMBER_OF_NEIGHBORS));
    ink_model_free (m);
  }
}

/* ---- Copies and batches ---- */

static void
test_copy_and_batch (void)
{
  enum {
    N = 60,
    D = 4
  };
  float v[N * D];
  size_t cls[N];
  RefKnn r = {D, N, 3, 5, INK_KNN_INVERSE_DISTANCE, v, cls};
  InkModel *m, *c;
  InkBatch *in = ink_batch_new (), *out = NULL;
  InkError err;

  ink_test_fill_random (v, N * D, 3, 0.0f, 1.0f);
  for (size_t i = 0; i < N; i++)
    cls[i] = (i * 7) % 3;
  m = build_knn (&r, ABC, NULL);
  c = ink_model_copy (m, &err);
  g_assert_nonnull (c);
  g_assert_cmpuint (ink_knn_n_examples (c), ==, N);
  for (guint32 s = 0; s < 10; s++) {
    float q[D];
    InkFeatures *f = ink_features_new ();
    ink_test_fill_random (q, D, 50 + s, 0.0f, 1.0f);
    ink_features_set (f, "features", ink_test_array (1, (const int64_t[]){D}, q));
    ink_batch_append (in, f);
  }
  ink_model_free (m);
  ink_assert_ok (ink_model_predict_batch (c, in, &out, &err), &err);
  g_assert_cmpuint (ink_batch_count (out), ==, 10);
  for (size_t s = 0; s < 10; s++) {
    const float *q =
      ink_value_array_const_data (ink_features_get (ink_batch_get (in, s), "features"));
    double probs[3];
    size_t want = ref_predict (&r, q, probs, NULL);
    check_string (ink_batch_get (out, s), ABC, 3, want, probs, 1e-6);
  }
  ink_batch_free (in);
  ink_batch_free (out);
  ink_model_free (c);
}

/* ---- 1,000 random examples in 16 dimensions ---- */

static void
run_random (InkKnnWeighting weighting, size_t k, bool int64_labels)
{
  enum {
    N = 1000,
    D = 16,
    C = 6,
    QUERIES = 50
  };
  const char *const names[C] = {"zero", "one", "two", "three", "four", "five"};
  const int64_t ids[C] = {100, -1, 7, 0, 55, 3};
  float *v = g_new (float, N *D);
  size_t *cls = g_new (size_t, N);
  RefKnn r = {D, N, C, k, weighting, v, cls};
  InkModel *m;
  GRand *rand = g_rand_new_with_seed (1234 + (guint32) k);
  size_t compared = 0;

  ink_test_fill_random (v, N * D, 42, -1.0f, 1.0f);
  for (size_t i = 0; i < N; i++)
    cls[i] = (size_t) g_rand_int_range (rand, 0, C);
  m = build_knn (&r, int64_labels ? NULL : names, int64_labels ? ids : NULL);
  for (guint32 s = 0; s < QUERIES; s++) {
    float q[D];
    double probs[C];
    bool margin_ok;
    InkFeatures *out;

    ink_test_fill_random (q, D, 5000 + s, -1.0f, 1.0f);
    /* Some queries sit on an example (inverse distance: exact match). */
    if (s % 10 == 0)
      memcpy (q, v + (size_t) s * 13 * D, sizeof q);
    (void) ref_predict (&r, q, probs, &margin_ok);
    if (!margin_ok)
      continue;
    out = predict_vector (m, q, D);
    if (int64_labels)
      check_int64 (out, ids, C, ref_predict (&r, q, probs, NULL), probs, 1e-5);
    else
      check_string (out, names, C, ref_predict (&r, q, probs, NULL), probs, 1e-5);
    ink_features_free (out);
    compared++;
  }
  g_assert_cmpuint (compared, >=, QUERIES - 2);
  g_rand_free (rand);
  ink_model_free (m);
  g_free (v);
  g_free (cls);
}

static void
test_random_uniform (void)
{
  run_random (INK_KNN_UNIFORM, 5, false);
  run_random (INK_KNN_UNIFORM, 8, true);
}

static void
test_random_inverse (void)
{
  run_random (INK_KNN_INVERSE_DISTANCE, 5, false);
  run_random (INK_KNN_INVERSE_DISTANCE, 12, true);
}

/* ---- The compact scan: exactly the brute-force answer ---- */

/* Like check_against_ref, but only where float rounding cannot reorder
 * the k + 1 nearest neighbours: distances equal only between duplicates
 * (ties that the earlier example wins in both), else well apart. */
static bool
check_exact (const InkModel *m, const RefKnn *r, const char *const *names, const float *q)
{
  RefNeighbor *nb = g_new (RefNeighbor, r->n);
  double *probs = g_new (double, r->n_classes);
  size_t k = r->k < r->n ? r->k : r->n;
  bool ok = true;
  size_t want;
  InkFeatures *out;

  ref_sort_neighbors (r, q, nb);
  /* Distances that differ by a float rounding or that leave the float
   * range (overflow, underflow) are not compared. */
  for (size_t j = 0; j + 1 < r->n && j <= k; j++) {
    double a = nb[j].d, b = nb[j + 1].d;
    const float *va = r->vectors + nb[j].i * r->dims, *vb = r->vectors + nb[j + 1].i * r->dims;
    if (a == b ? memcmp (va, vb, r->dims * sizeof *va) != 0 : b - a <= 1e-4 * b)
      ok = false;
  }
  for (size_t j = 0; j < r->n && j <= k; j++) {
    if (nb[j].d > 1e37 || (nb[j].d > 0.0 && nb[j].d < 1e-36))
      ok = false;
  }
  if (ok) {
    want = ref_predict (r, q, probs, NULL);
    out = predict_vector (m, q, r->dims);
    check_string (out, names, r->n_classes, want, probs,
                  r->weighting == INK_KNN_UNIFORM ? 1e-12 : 1e-5);
    ink_features_free (out);
  }
  g_free (nb);
  g_free (probs);
  return ok;
}

/* Fills n x dims examples of the given magnitude: random rows, near and
 * exact duplicates, rows a thousand times larger or ten times smaller, rows of one
 * large value among small ones. */
static void
fill_compact_examples (float *v, size_t n, size_t dims, double magnitude, GRand *rand)
{
  for (size_t i = 0; i < n; i++) {
    float *row = v + i * dims;
    int kind = g_rand_int_range (rand, 0, 10);
    double scale = magnitude * (kind == 7 ? 1e3 : kind == 8 ? 0.1 : 1.0);
    if (i > 0 && kind == 9) {
      memcpy (row, v + (size_t) g_rand_int_range (rand, 0, (gint32) i) * dims, dims * sizeof *row);
      continue;
    }
    for (size_t j = 0; j < dims; j++)
      row[j] = (float) (scale * g_rand_double_range (rand, -1.0, 1.0));
    if (kind == 6) { /* near an earlier row */
      const float *src = v + (size_t) g_rand_int_range (rand, 0, (gint32) (i > 0 ? i : 1)) * dims;
      for (size_t j = 0; i > 0 && j < dims; j++)
        row[j] = src[j] + (float) (magnitude * g_rand_double_range (rand, -1e-3, 1e-3));
    }
    if (kind == 5) { /* one large value among small ones */
      for (size_t j = 0; j < dims; j++)
        row[j] *= 0.1f;
      row[g_rand_int_range (rand, 0, (gint32) dims)] = (float) (3.0 * magnitude);
    }
  }
}

static void
run_compact (size_t dims, size_t n, size_t k, InkKnnWeighting weighting, double magnitude)
{
  enum {
    C = 5,
    QUERIES = 120
  };
  const char *const names[C] = {"a", "b", "c", "d", "e"};
  float *v = g_new (float, n *dims);
  size_t *cls = g_new (size_t, n);
  bool *remove = g_new0 (bool, n);
  float *q = g_new (float, dims);
  GRand *rand = g_rand_new_with_seed ((guint32) (dims * 7919 + n + k));
  RefKnn r = {dims, n, C, k, weighting, v, cls};
  size_t compared = 0, kept = 0;
  InkModel *m;
  InkError err;

  fill_compact_examples (v, n, dims, magnitude, rand);
  for (size_t i = 0; i < n; i++)
    cls[i] = i < C ? i : (size_t) g_rand_int_range (rand, 0, C);
  /* Examples go in in two rounds, with predictions after each. */
  r.n = n / 2;
  m = build_knn (&r, names, NULL);
  for (int round = 0; round < 3; round++) {
    if (round == 1) {
      ink_error_clear (&err);
      for (size_t i = n / 2; i < n; i++)
        ink_assert_ok (ink_knn_add_example_string (m, v + i * dims, names[cls[i]], &err), &err);
      r.n = n;
    } else if (round == 2) {
      /* Remove a third (keeping each class), then compact the reference. */
      for (size_t i = C; i < n; i++)
        remove[i] = g_rand_int_range (rand, 0, 3) == 0;
      ink_error_clear (&err);
      for (size_t i = n; i-- > 0;) {
        if (remove[i])
          ink_assert_ok (ink_knn_remove_example (m, i, &err), &err);
      }
      for (size_t i = 0; i < n; i++) {
        if (remove[i])
          continue;
        memmove (v + kept * dims, v + i * dims, dims * sizeof *v);
        cls[kept++] = cls[i];
      }
      r.n = kept;
      g_assert_cmpuint (ink_knn_n_examples (m), ==, kept);
    }
    for (guint32 s = 0; s < QUERIES; s++) {
      int kind = g_rand_int_range (rand, 0, 6);
      const float *ex = v + (size_t) g_rand_int_range (rand, 0, (gint32) r.n) * dims;
      double scale = magnitude * (kind == 4 ? 1e3 : kind == 5 ? 1e-3 : 1.0);
      for (size_t j = 0; j < dims; j++)
        q[j] = (float) (scale * g_rand_double_range (rand, -1.0, 1.0));
      if (kind == 1) /* on an example (maybe a duplicated one) */
        memcpy (q, ex, dims * sizeof *q);
      else if (kind == 2) /* near one */
        for (size_t j = 0; j < dims; j++)
          q[j] = ex[j] + (float) (magnitude * g_rand_double_range (rand, -1e-2, 1e-2));
      else if (kind == 3) /* between a third of the examples and the origin */
        for (size_t j = 0; j < dims; j++)
          q[j] = ex[j] * 0.5f;
      if (check_exact (m, &r, names, q))
        compared++;
    }
  }
  /* The compact copy is rebuilt on load and on copy, not saved. */
  {
    char *dir = ink_test_tmpdir_new ();
    char *path = g_build_filename (dir, "knn.inkmodel", NULL);
    InkModel *copies[2];
    ink_error_clear (&err);
    ink_assert_ok (ink_model_save (m, path, &err), &err);
    copies[0] = ink_model_load (path, &err);
    g_assert_nonnull (copies[0]);
    copies[1] = ink_model_copy (m, &err);
    g_assert_nonnull (copies[1]);
    for (size_t c = 0; c < 2; c++) {
      for (guint32 s = 0; s < 20; s++) {
        const float *ex = v + (size_t) g_rand_int_range (rand, 0, (gint32) r.n) * dims;
        for (size_t j = 0; j < dims; j++)
          q[j] = ex[j] + (float) (magnitude * g_rand_double_range (rand, -0.1, 0.1));
        (void) check_exact (copies[c], &r, names, q);
      }
      ink_model_free (copies[c]);
    }
    g_free (path);
    ink_test_tmpdir_free (dir);
  }
  g_test_message ("%zu dimensions, magnitude %g: %zu of %d queries compared", dims, magnitude,
                  compared, 3 * QUERIES);
  g_assert_cmpuint (compared, >=, 3 * QUERIES / 2);
  g_rand_free (rand);
  ink_model_free (m);
  g_free (v);
  g_free (cls);
  g_free (remove);
  g_free (q);
}

static void
test_compact (void)
{
  static const double magnitudes[] = {1.0, 1e17, 1e-15};

  for (size_t i = 0; i < G_N_ELEMENTS (magnitudes); i++) {
    run_compact (128, 2000, 3, INK_KNN_UNIFORM, magnitudes[i]);
    run_compact (128, 600, 1, INK_KNN_UNIFORM, magnitudes[i]);
    run_compact (7, 900, 5, INK_KNN_INVERSE_DISTANCE, magnitudes[i]);
    run_compact (33, 700, 8, INK_KNN_UNIFORM, magnitudes[i]);
    run_compact (300, 400, 2, INK_KNN_INVERSE_DISTANCE, magnitudes[i]);
  }
}

/* Exact ties: many copies of few vectors, so the earlier example must win
 * and every vote count is decided by index order. */
static void
test_compact_ties (void)
{
  enum {
    N = 1200,
    D = 16,
    C = 4
  };
  const char *const names[C] = {"w", "x", "y", "z"};
  float *v = g_new (float, N *D);
  size_t cls[N];
  float base[6][D];
  RefKnn r = {D, N, C, 7, INK_KNN_UNIFORM, v, cls};
  InkModel *m;

  ink_test_fill_random (&base[0][0], 6 * D, 99, -1.0f, 1.0f);
  for (size_t i = 0; i < N; i++) {
    memcpy (v + i * D, base[(i * 7) % 6], sizeof base[0]);
    cls[i] = (i * 13 + i / 5) % C;
  }
  for (size_t c = 0; c < C; c++)
    cls[c] = c;
  m = build_knn (&r, names, NULL);
  for (size_t b = 0; b < 6; b++) {
    float q[D];
    memcpy (q, base[b], sizeof q);
    g_assert_true (check_exact (m, &r, names, q));
    for (size_t j = 0; j < D; j++)
      q[j] += 0.25f;
    (void) check_exact (m, &r, names, q);
  }
  ink_model_free (m);
  g_free (v);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/knn/uniform", test_uniform);
  g_test_add_func ("/engine/knn/inverse-distance", test_inverse_distance);
  g_test_add_func ("/engine/knn/exact-match", test_exact_match);
  g_test_add_func ("/engine/knn/k-larger-than-examples", test_k_larger_than_examples);
  g_test_add_func ("/engine/knn/tie-in-votes", test_tie_in_votes);
  g_test_add_func ("/engine/knn/empty/default-string", test_empty_default_string);
  g_test_add_func ("/engine/knn/empty/default-int64", test_empty_default_int64);
  g_test_add_func ("/engine/knn/default-label-unused", test_default_label_unused);
  g_test_add_func ("/engine/knn/int64-labels", test_int64_labels);
  g_test_add_func ("/engine/knn/input/float64", test_float64_input);
  g_test_add_func ("/engine/knn/input/several-doubles", test_several_doubles);
  g_test_add_func ("/engine/knn/input/mixed", test_mixed_inputs);
  g_test_add_func ("/engine/knn/error/wrong-dimension", test_wrong_dimension);
  g_test_add_func ("/engine/knn/error/no-examples-no-default", test_no_examples_no_default);
  g_test_add_func ("/engine/knn/error/bad-examples", test_bad_examples);
  g_test_add_func ("/engine/knn/error/bad-new", test_bad_new);
  g_test_add_func ("/engine/knn/error/label-output-type", test_label_output_type);
  g_test_add_func ("/engine/knn/error/predict", test_predict_errors);
  g_test_add_func ("/engine/knn/k-parameter/default", test_k_parameter_default);
  g_test_add_func ("/engine/knn/k-parameter/overrides", test_k_parameter_overrides);
  g_test_add_func ("/engine/knn/k-parameter/invalid", test_k_parameter_invalid);
  g_test_add_func ("/engine/knn/copy-and-batch", test_copy_and_batch);
  g_test_add_func ("/engine/knn/random/uniform", test_random_uniform);
  g_test_add_func ("/engine/knn/random/inverse-distance", test_random_inverse);
  g_test_add_func ("/engine/knn/compact/random", test_compact);
  g_test_add_func ("/engine/knn/compact/ties", test_compact_ties);
  return g_test_run ();
}

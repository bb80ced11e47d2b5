/* test-update-knn.c: k-NN updates through tasks (Core ML's empty updatable
 * k-NN fixtures and a drawing pipeline), and removing labels and examples
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "ink-classic-private.h"
#include "test-util.h"

static void
assert_message_has (const InkError *err, const char *needle)
{
  if (strstr (err->message, needle) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", err->message, needle);
}

static InkModel *
compile_fixture (const char *name)
{
  g_autofree char *rel = g_strdup_printf ("coreml/%s", name);
  g_autofree char *path = ink_test_fixture_path (rel);
  InkError err = {0};
  InkModel *m;

  if (path == NULL)
    return NULL;
  m = ink_coreml_compile_file (path, &err);
  if (m == NULL)
    g_error ("%s: %s", name, err.message);
  return m;
}

/* Runs an update task to completion and returns the updated model. */
static InkModel *
update (const InkModel *m, const InkBatch *b, const InkUpdateConfig *config)
{
  InkError err = {0};
  InkUpdateTask *t = ink_update_task_new (m, b, config, 0, NULL, NULL, NULL, &err);
  InkModel *out;

  if (t == NULL)
    g_error ("ink_update_task_new: %s", err.message);
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  if (ink_update_task_wait (t) != INK_TASK_COMPLETED) {
    ink_update_task_get_error (t, &err);
    g_error ("the update failed: %s", err.message);
  }
  out = ink_update_task_take_model (t);
  ink_update_task_free (t);
  g_assert_nonnull (out);
  return out;
}

/* ---- Vectors ---- */

enum {
  N_CLASSES = 3,
  PER_CLASS = 4
};

static const char *const NAMES[N_CLASSES] = {"home", "work", "gym"};

/* The centre of class c in dims dimensions: 10 along a class-specific
 * pattern. */
static void
centre (size_t c, size_t dims, float *v)
{
  for (size_t j = 0; j < dims; j++)
    v[j] = (j % N_CLASSES) == c ? 10.0f : 0.0f;
}

static InkFeatures *
vector_example (const char *input, const float *v, size_t dims, const char *label_name,
                const char *label)
{
  const int64_t shape[] = {(int64_t) dims};
  InkFeatures *f = ink_features_new ();

  ink_features_set (f, input, ink_test_array (1, shape, v));
  if (label != NULL)
    ink_features_set_string (f, label_name, label);
  return f;
}

/* PER_CLASS jittered examples of each class, classes interleaved. */
static InkBatch *
clustered (const char *input, size_t dims, const char *label_name)
{
  InkBatch *b = ink_batch_new ();
  float *v = g_new (float, dims), *jitter = g_new (float, dims);

  for (size_t i = 0; i < PER_CLASS; i++) {
    for (size_t c = 0; c < N_CLASSES; c++) {
      centre (c, dims, v);
      ink_test_fill_random (jitter, dims, (guint32) (i * N_CLASSES + c + 1), -1.0f, 1.0f);
      for (size_t j = 0; j < dims; j++)
        v[j] += jitter[j];
      ink_batch_append (b, vector_example (input, v, dims, label_name, NAMES[c]));
    }
  }
  g_free (v);
  g_free (jitter);
  return b;
}

/* The label and the probabilities' dictionary for v. */
static char *
predict_vector (const InkModel *m, const char *input, const float *v, size_t dims,
                const char *label_name, const char *probs_name, bool *has_probs_for,
                const char *probe)
{
  InkFeatures *in = vector_example (input, v, dims, NULL, NULL), *out = NULL;
  InkError err = {0};
  char *label;

  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  label = g_strdup (ink_value_get_string (ink_features_get (out, label_name)));
  if (has_probs_for != NULL) {
    double p = 0;
    *has_probs_for =
      ink_value_dictionary_lookup_string (ink_features_get (out, probs_name), probe, &p);
  }
  ink_features_free (in);
  ink_features_free (out);
  return label;
}

static void
assert_predicts_centres (const InkModel *m, const char *input, size_t dims, const char *label_name)
{
  float *v = g_new (float, dims);

  for (size_t c = 0; c < N_CLASSES; c++) {
    g_autofree char *got = NULL;
    centre (c, dims, v);
    got = predict_vector (m, input, v, dims, label_name, NULL, NULL, NULL);
    g_assert_cmpstr (got, ==, NAMES[c]);
  }
  g_free (v);
}

/* ---- The empty Core ML fixtures learn ---- */

static void
check_fixture (const char *name, size_t dims, const char *probs_name, const char *default_label,
               int64_t k)
{
  InkModel *m = compile_fixture (name);
  InkModel *learned;
  InkBatch *b;
  float *v;
  g_autofree char *before = NULL;
  const InkUpdateParameter *p;

  if (m == NULL)
    return;
  v = g_new0 (float, dims);
  before = predict_vector (m, "input", v, dims, "output", NULL, NULL, NULL);
  g_assert_cmpstr (before, ==, default_label);
  g_assert_cmpuint (ink_knn_n_examples (m), ==, 0);
  p = ink_description_find_update_parameter (ink_model_get_description (m),
                                             INK_PARAM_NUMBER_OF_NEIGHBORS);
  g_assert_nonnull (p);
  g_assert_cmpfloat (p->default_value, ==, (double) k);

  b = clustered ("input", dims, "output");
  learned = update (m, b, NULL);
  g_assert_cmpuint (ink_knn_n_examples (learned), ==, N_CLASSES * PER_CLASS);
  g_assert_cmpuint (ink_knn_n_examples (m), ==, 0);
  assert_predicts_centres (learned, "input", dims, "output");
  /* Each example predicts its own label. */
  for (size_t i = 0; i < ink_batch_count (b); i++) {
    const InkFeatures *ex = ink_batch_get (b, i);
    const InkValue *x = ink_features_get (ex, "input");
    g_autofree char *got = predict_vector (learned, "input", ink_value_array_const_data (x), dims,
                                           "output", NULL, NULL, NULL);
    g_assert_cmpstr (got, ==, ink_value_get_string (ink_features_get (ex, "output")));
  }
  /* The probabilities name every learned label. */
  {
    bool has = false;
    g_autofree char *got = NULL;
    centre (1, dims, v);
    got = predict_vector (learned, "input", v, dims, "output", probs_name, &has, "gym");
    g_assert_true (has);
  }
  ink_model_free (learned);
  ink_batch_free (b);
  ink_model_free (m);
  g_free (v);
}

static void
test_fixture_linear (void)
{
  check_fixture ("knn_updatable_empty_linear.mlmodel", 3, "stationProbability", "???", 5);
}

static void
test_fixture_kdtree (void)
{
  check_fixture ("knn_updatable_empty_kdtree.mlmodel", 21, "outputProbs", "defaultLabel", 3);
}

static void
test_fixture_neighbors (void)
{
  InkModel *m = compile_fixture ("knn_updatable_empty_linear.mlmodel");
  InkUpdateConfig *config;
  InkModel *learned;
  InkBatch *b;
  InkError err = {0};
  InkKnnView view;

  if (m == NULL)
    return;
  b = clustered ("input", 3, "output");
  config = ink_update_config_new ();
  ink_assert_ok (ink_update_config_set_parameter (config, INK_PARAM_NUMBER_OF_NEIGHBORS, 1, &err),
                 &err);
  learned = update (m, b, config);
  g_assert_true (ink_knn_view (learned, &view));
  g_assert_cmpint (view.k, ==, 1);
  /* Out of the fixture's range [1, 1000]. */
  ink_update_config_set_parameter (config, INK_PARAM_NUMBER_OF_NEIGHBORS, 1001, &err);
  g_assert_null (ink_update_task_new (m, b, config, 0, NULL, NULL, NULL, &err));
  g_assert_cmpint (err.status, ==, INK_ERR_PARAMETER);
  assert_message_has (&err, "numberOfNeighbors");
  assert_message_has (&err, "[1, 1000]");
  ink_update_config_free (config);
  ink_model_free (learned);
  ink_batch_free (b);
  ink_model_free (m);
}

/* ---- Removal ---- */

static void
test_remove (void)
{
  InkModel *m = compile_fixture ("knn_updatable_empty_linear.mlmodel");
  InkModel *learned;
  InkBatch *b;
  InkError err = {0};
  InkKnnView view;
  size_t removed = 99;
  float v[3];
  bool has = true;
  g_autofree char *got = NULL;

  if (m == NULL)
    return;
  b = clustered ("input", 3, "output");
  learned = update (m, b, NULL);
  g_assert_cmpuint (ink_knn_n_examples (learned), ==, 12);

  /* A label: all its examples go, and it is never predicted again. */
  ink_assert_ok (ink_knn_remove_label (learned, "work", &removed, &err), &err);
  g_assert_cmpuint (removed, ==, PER_CLASS);
  g_assert_cmpuint (ink_knn_n_examples (learned), ==, 12 - PER_CLASS);
  centre (1, 3, v);
  got = predict_vector (learned, "input", v, 3, "output", "stationProbability", &has, "work");
  g_assert_cmpstr (got, !=, "work");
  g_assert_false (has);
  ink_assert_ok (ink_knn_remove_label (learned, "nothing", &removed, &err), &err);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpuint (ink_knn_n_examples (learned), ==, 12 - PER_CLASS);

  /* One example: the others keep their order. */
  g_assert_true (ink_knn_view (learned, &view));
  g_assert_cmpstr (view.labels->strings[0], ==, "home");
  g_assert_cmpstr (view.labels->strings[1], ==, "gym");
  ink_assert_ok (ink_knn_remove_example (learned, 0, &err), &err);
  g_assert_cmpuint (ink_knn_n_examples (learned), ==, 12 - PER_CLASS - 1);
  g_assert_true (ink_knn_view (learned, &view));
  g_assert_cmpstr (view.labels->strings[0], ==, "gym");
  {
    const float *first =
      ink_value_array_const_data (ink_features_get (ink_batch_get (b, 2), "input"));
    ink_test_assert_close (view.samples, first, 3, 0.0);
  }
  g_assert_cmpint (ink_knn_remove_example (learned, 100, &err), ==, INK_ERR_INVALID_ARGUMENT);
  assert_message_has (&err, "100");

  /* Everything: the default label answers again. */
  ink_assert_ok (ink_knn_remove_label (learned, "home", &removed, &err), &err);
  ink_assert_ok (ink_knn_remove_label (learned, "gym", &removed, &err), &err);
  g_assert_cmpuint (ink_knn_n_examples (learned), ==, 0);
  g_free (got);
  got = predict_vector (learned, "input", v, 3, "output", NULL, NULL, NULL);
  g_assert_cmpstr (got, ==, "???");

  /* Not a k-NN. */
  g_assert_cmpint (ink_knn_remove_label (NULL, "x", NULL, &err), ==, INK_ERR_INVALID_ARGUMENT);
  ink_model_free (learned);
  ink_batch_free (b);
  ink_model_free (m);
}

/* A k-NN with int64 labels and no default label. */
static void
test_remove_int64 (void)
{
  InkModel *m = ink_knn_new (2, INK_KNN_UNIFORM, 1, true);
  const int64_t shape[] = {2};
  InkFeatureType x = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, shape);
  InkFeatureType label = ink_feature_type_int64 ();
  const float a[2] = {0, 0}, b[2] = {5, 5};
  InkError err = {0};
  size_t removed = 0;

  ink_assert_ok (ink_model_add_input (m, "x", &x, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "label"), &err);
  ink_assert_ok (ink_knn_add_example_int64 (m, a, 7, &err), &err);
  ink_assert_ok (ink_knn_add_example_int64 (m, b, -3, &err), &err);
  ink_assert_ok (ink_model_finish (m, &err), &err);

  g_assert_cmpint (ink_knn_remove_label (m, "7x", &removed, &err), ==, INK_ERR_TYPE_MISMATCH);
  assert_message_has (&err, "7x");
  ink_assert_ok (ink_knn_remove_label (m, "-3", &removed, &err), &err);
  g_assert_cmpuint (removed, ==, 1);
  g_assert_cmpuint (ink_knn_n_examples (m), ==, 1);
  /* The last example stays: there is no default label to answer with. */
  g_assert_cmpint (ink_knn_remove_label (m, "7", &removed, &err), ==, INK_ERR_INVALID_ARGUMENT);
  assert_message_has (&err, "default label");
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpint (ink_knn_remove_example (m, 0, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpuint (ink_knn_n_examples (m), ==, 1);
  {
    InkFeatures *in = ink_features_new (), *out = NULL;
    ink_features_set (in, "x", ink_test_array (1, shape, b));
    ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
    g_assert_cmpint (ink_value_get_int64 (ink_features_get (out, "label")), ==, 7);
    ink_features_free (in);
    ink_features_free (out);
  }
  ink_model_free (m);
}

/* ---- A drawing pipeline: embedding network, then an updatable k-NN ---- */

typedef enum {
  SHAPE_CIRCLE,
  SHAPE_SQUARE,
  SHAPE_TRIANGLE,
  SHAPE_CROSS
} Shape;

static const char *const SHAPE_NAMES[] = {"circle", "square", "triangle", "cross"};

enum {
  CANVAS = 56
};

typedef struct {
  double x0, y0, x1, y1;
} Segment;

static double
segment_distance (const Segment *s, double px, double py)
{
  double dx = s->x1 - s->x0, dy = s->y1 - s->y0;
  double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((px - s->x0) * dx + (py - s->y0) * dy) / len2 : 0;

  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return hypot (px - (s->x0 + t * dx), py - (s->y0 + t * dy));
}

/* A white-on-black drawing of the shape on a CANVAS x CANVAS gray canvas
 * (the network takes 28 x 28: the engine scales it), with jitter in
 * position, size and each vertex from seed. */
static InkValue *
draw (Shape shape, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  double cx = 0.5 + g_rand_double_range (r, -0.04, 0.04);
  double cy = 0.5 + g_rand_double_range (r, -0.04, 0.04);
  double size = 0.32 * g_rand_double_range (r, 0.9, 1.1);
  double pts[33][2];
  size_t n = 0;
  Segment segs[32];
  size_t n_segs = 0;
  guint8 *px = g_new0 (guint8, CANVAS * CANVAS);
  const double half_width = 1.6; /* pixels of the canvas */
  InkValue *v;

  switch (shape) {
  case SHAPE_CIRCLE:
    for (int i = 0; i <= 32; i++) {
      double a = 2 * G_PI * i / 32;
      pts[n][0] = cx + size * cos (a);
      pts[n][1] = cy + size * sin (a);
      n++;
    }
    break;
  case SHAPE_SQUARE:
    for (int i = 0; i <= 4; i++) {
      static const double corners[5][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}, {-1, -1}};
      pts[n][0] = cx + 0.85 * size * corners[i][0];
      pts[n][1] = cy + 0.85 * size * corners[i][1];
      n++;
    }
    break;
  case SHAPE_TRIANGLE:
    for (int i = 0; i <= 3; i++) {
      double a = -G_PI / 2 + 2 * G_PI * (i % 3) / 3;
      pts[n][0] = cx + size * cos (a);
      pts[n][1] = cy + size * sin (a) + 0.05;
      n++;
    }
    break;
  case SHAPE_CROSS: break;
  }
  if (shape == SHAPE_CROSS) {
    segs[n_segs++] = (Segment){cx - size, cy - size, cx + size, cy + size};
    segs[n_segs++] = (Segment){cx + size, cy - size, cx - size, cy + size};
  } else {
    for (size_t i = 0; i + 1 < n; i++)
      segs[n_segs++] = (Segment){pts[i][0], pts[i][1], pts[i + 1][0], pts[i + 1][1]};
  }
  /* Wobble every end point a little. */
  for (size_t i = 0; i < n_segs; i++) {
    segs[i].x0 += g_rand_double_range (r, -0.015, 0.015);
    segs[i].y0 += g_rand_double_range (r, -0.015, 0.015);
    segs[i].x1 += g_rand_double_range (r, -0.015, 0.015);
    segs[i].y1 += g_rand_double_range (r, -0.015, 0.015);
  }
  for (int y = 0; y < CANVAS; y++) {
    for (int x = 0; x < CANVAS; x++) {
      double best = INFINITY, cover;
      for (size_t i = 0; i < n_segs; i++) {
        Segment s = {segs[i].x0 * CANVAS, segs[i].y0 * CANVAS, segs[i].x1 * CANVAS,
                     segs[i].y1 * CANVAS};
        best = MIN (best, segment_distance (&s, x + 0.5, y + 0.5));
      }
      cover = CLAMP (half_width + 0.5 - best, 0.0, 1.0);
      px[y * CANVAS + x] = (guint8) lround (255 * cover);
    }
  }
  v = ink_value_new_image (INK_PIXEL_GRAY8, CANVAS, CANVAS, CANVAS, px);
  g_free (px);
  g_rand_free (r);
  return v;
}

/* Apple's UpdatableDrawingClassifier, rebuilt: the drawing embedding, then
 * an empty updatable k-NN (k = 3, inverse distance, default "unknown"). */
static InkModel *
drawing_classifier (void)
{
  InkModel *embed = compile_fixture ("nn_tiny_drawing_embedding.mlmodel");
  InkModel *knn, *p;
  const int64_t shape[] = {128};
  InkFeatureType emb = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, shape);
  InkFeatureType drawing = ink_feature_type_image (INK_PIXEL_GRAY8, 28, 28);
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_STRING);
  InkUpdateParameter k = {.key = INK_PARAM_NUMBER_OF_NEIGHBORS,
                          .type = INK_PARAM_INT64,
                          .default_value = 3,
                          .has_range = true,
                          .min = 1,
                          .max = 10};
  InkError err = {0};

  if (embed == NULL)
    return NULL;
  knn = ink_knn_new (128, INK_KNN_INVERSE_DISTANCE, 3, false);
  ink_assert_ok (ink_model_add_input (knn, "embedding", &emb, "", &err), &err);
  ink_assert_ok (ink_model_add_output (knn, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (knn, "labelProbability", &probs, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (knn, "embedding", &emb, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (knn, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (knn, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (knn, "labelProbability"), &err);
  ink_assert_ok (ink_knn_set_default_label_string (knn, "unknown"), &err);
  ink_assert_ok (ink_model_set_update_parameter (knn, &k, &err), &err);
  ink_assert_ok (ink_model_set_updatable (knn, true), &err);

  p = ink_pipeline_new (INK_MODEL_PIPELINE_CLASSIFIER);
  ink_assert_ok (ink_model_add_input (p, "drawing", &drawing, "", &err), &err);
  ink_assert_ok (ink_model_add_output (p, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (p, "labelProbability", &probs, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (p, "drawing", &drawing, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (p, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (p, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (p, "labelProbability"), &err);
  ink_assert_ok (ink_model_set_updatable (p, true), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "embedding", embed, &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "classifier", knn, &err), &err);
  ink_assert_ok (ink_model_finish (p, &err), &err);
  return p;
}

static InkFeatures *
drawing_example (Shape shape, guint32 seed, bool labelled)
{
  InkFeatures *f = ink_features_new ();

  ink_features_set (f, "drawing", draw (shape, seed));
  if (labelled)
    ink_features_set_string (f, "label", SHAPE_NAMES[shape]);
  return f;
}

static char *
predict_drawing (const InkModel *m, Shape shape, guint32 seed, double *probability)
{
  InkFeatures *in = drawing_example (shape, seed, false), *out = NULL;
  InkError err = {0};
  char *label;

  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  label = g_strdup (ink_value_get_string (ink_features_get (out, "label")));
  if (probability != NULL) {
    *probability = 0;
    ink_value_dictionary_lookup_string (ink_features_get (out, "labelProbability"), label,
                                        probability);
  }
  ink_features_free (in);
  ink_features_free (out);
  return label;
}

static void
test_drawing_pipeline (void)
{
  InkModel *base = drawing_classifier ();
  InkModel *first, *second;
  InkBatch *b;
  size_t removed = 0;
  InkError err = {0};
  g_autofree char *got = NULL;

  if (base == NULL)
    return;
  got = predict_drawing (base, SHAPE_CIRCLE, 1, NULL);
  g_assert_cmpstr (got, ==, "unknown");

  /* Circles and squares, three drawings each. */
  b = ink_batch_new ();
  for (guint32 i = 0; i < 3; i++) {
    ink_batch_append (b, drawing_example (SHAPE_CIRCLE, 100 + i, true));
    ink_batch_append (b, drawing_example (SHAPE_SQUARE, 200 + i, true));
  }
  first = update (base, b, NULL);
  ink_batch_free (b);
  g_assert_cmpuint (ink_knn_n_examples (first), ==, 6);
  g_assert_cmpuint (ink_knn_n_examples (base), ==, 0);

  /* Then a new label from three drawings. */
  b = ink_batch_new ();
  for (guint32 i = 0; i < 3; i++)
    ink_batch_append (b, drawing_example (SHAPE_TRIANGLE, 300 + i, true));
  second = update (first, b, NULL);
  ink_batch_free (b);
  g_assert_cmpuint (ink_knn_n_examples (second), ==, 9);
  g_assert_cmpuint (ink_knn_n_examples (first), ==, 6);

  /* A fourth drawing of each, never seen. */
  for (Shape s = SHAPE_CIRCLE; s <= SHAPE_TRIANGLE; s++) {
    double prob = 0;
    g_free (got);
    got = predict_drawing (second, s, 999 + s, &prob);
    g_test_message ("%s: %s (%.3f)", SHAPE_NAMES[s], got, prob);
    g_assert_cmpstr (got, ==, SHAPE_NAMES[s]);
    g_assert_cmpfloat (prob, >, 0.5);
  }
  g_free (got);
  got = predict_drawing (first, SHAPE_TRIANGLE, 1002, NULL);
  g_assert_cmpstr (got, !=, "triangle");

  /* Forgetting the new label, on the pipeline itself. */
  ink_assert_ok (ink_knn_remove_label (second, "triangle", &removed, &err), &err);
  g_assert_cmpuint (removed, ==, 3);
  g_assert_cmpuint (ink_knn_n_examples (second), ==, 6);
  g_free (got);
  got = predict_drawing (second, SHAPE_TRIANGLE, 1002, NULL);
  g_assert_cmpstr (got, !=, "triangle");
  ink_assert_ok (ink_knn_remove_example (second, 5, &err), &err);
  g_assert_cmpuint (ink_knn_n_examples (second), ==, 5);
  g_free (got);
  got = predict_drawing (second, SHAPE_CIRCLE, 1000, NULL);
  g_assert_cmpstr (got, ==, "circle");

  /* An example that is not a drawing is refused at once. */
  b = ink_batch_new ();
  {
    InkFeatures *f = ink_features_new ();
    ink_features_set_double (f, "drawing", 1.0);
    ink_features_set_string (f, "label", "x");
    ink_batch_append (b, f);
  }
  g_assert_null (ink_update_task_new (second, b, NULL, 0, NULL, NULL, NULL, &err));
  g_assert_cmpint (err.status, ==, INK_ERR_TYPE_MISMATCH);
  assert_message_has (&err, "'drawing'");
  ink_batch_free (b);

  ink_model_free (second);
  ink_model_free (first);
  ink_model_free (base);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/update-knn/fixture/linear", test_fixture_linear);
  g_test_add_func ("/engine/update-knn/fixture/kdtree", test_fixture_kdtree);
  g_test_add_func ("/engine/update-knn/fixture/neighbors", test_fixture_neighbors);
  g_test_add_func ("/engine/update-knn/remove", test_remove);
  g_test_add_func ("/engine/update-knn/remove-int64", test_remove_int64);
  g_test_add_func ("/engine/update-knn/drawing-pipeline", test_drawing_pipeline);
  return g_test_run ();
}

/* make-cli-models.c: builds the small models and images test-cli.py runs inkling-cli on
 *
 * SPDX-License-Identifier: MIT
 */

/* Usage: make-cli-models OUTDIR. test-cli.py recomputes every expected
 * prediction on its own, so the numbers here are mirrored there: keep the
 * two in step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ink.h"

#define IMAGE_SIZE 8
#define N_PIXELS (IMAGE_SIZE * IMAGE_SIZE)
#define NN_FEATURES 20

static const char *outdir;

static void
check (InkStatus status, const InkError *err, const char *what)
{
  if (status == INK_OK)
    return;
  fprintf (stderr, "make-cli-models: %s: %s: %s\n", what, ink_status_to_string (status),
           err != NULL ? err->message : "");
  exit (1);
}

static void *
check_ptr (void *p, const char *what)
{
  if (p == NULL) {
    fprintf (stderr, "make-cli-models: %s failed\n", what);
    exit (1);
  }
  return p;
}

static char *
out_path (const char *name)
{
  size_t size = strlen (outdir) + strlen (name) + 2;
  char *path = check_ptr (malloc (size), "malloc");

  snprintf (path, size, "%s/%s", outdir, name);
  return path;
}

static void
add_input (InkModel *model, const char *name, InkFeatureType type, const char *description)
{
  InkError err = {0};

  check (ink_model_add_input (model, name, &type, description, &err), &err, name);
}

static void
add_output (InkModel *model, const char *name, InkFeatureType type, const char *description)
{
  InkError err = {0};

  check (ink_model_add_output (model, name, &type, description, &err), &err, name);
}

static void
add_training_input (InkModel *model, const char *name, InkFeatureType type)
{
  InkError err = {0};

  check (ink_model_add_training_input (model, name, &type, "", &err), &err, name);
}

static void
finish_and_save (InkModel *model, const char *name)
{
  InkError err = {0};
  char *path = out_path (name);

  check (ink_model_finish (model, &err), &err, name);
  check (ink_model_save (model, path, &err), &err, path);
  ink_model_free (model);
  free (path);
}

static InkFeatureType
vector_type (InkArrayType type, int64_t n)
{
  int64_t shape[1] = {n};

  return ink_feature_type_multiarray (type, 1, shape);
}

/* y = 0.5 x0 - 1.25 x1 + 2 x2 + 0.75, with full metadata. */
static void
make_glm (void)
{
  const double weights[3] = {0.5, -1.25, 2.0};
  const double offset[1] = {0.75};
  InkModel *model =
    check_ptr (ink_glm_regressor_new (weights, 1, 3, offset, INK_GLM_NO_TRANSFORM), "glm");
  InkMetadata meta = {
    .short_description = "A linear regressor over three measurements",
    .version = "1.2",
    .author = "Inkling tests",
    .license = "MIT",
  };

  add_input (model, "x", vector_type (INK_ARRAY_FLOAT64, 3), "Three measurements");
  add_output (model, "y", ink_feature_type_double (), "The estimate");
  ink_model_set_predicted_feature_name (model, "y");
  ink_model_set_metadata (model, &meta);
  ink_model_set_user_metadata (model, "com.example.source", "make-cli-models");
  finish_and_save (model, "glm.inkmodel");
}

static void
add_node (InkModel *model, const InkTreeNode *node)
{
  InkError err = {0};

  check (ink_tree_ensemble_add_node (model, node, &err), &err, "tree node");
}

static void
add_branch (InkModel *model, uint64_t id, uint64_t feature, double value, uint64_t t, uint64_t f)
{
  InkTreeNode node = {
    .node_id = id,
    .behavior = INK_TREE_BRANCH_LE,
    .feature_index = feature,
    .feature_value = value,
    .true_child = t,
    .false_child = f,
  };

  add_node (model, &node);
}

static void
add_leaf (InkModel *model, uint64_t id, size_t n, const InkTreeEvaluation *evaluations)
{
  InkTreeNode node = {
    .node_id = id,
    .behavior = INK_TREE_LEAF,
    .n_evaluations = n,
    .evaluations = evaluations,
  };

  add_node (model, &node);
}

/* One tree: x0 <= 0.5 -> cat; else x1 <= 0 -> dog; else bird (softmax of
 * the leaf scores). */
static void
make_tree_classifier (void)
{
  const char *labels[3] = {"cat", "dog", "bird"};
  const double base[3] = {0, 0, 0};
  const InkTreeEvaluation cat[1] = {{0, 2.0}};
  const InkTreeEvaluation dog[1] = {{1, 1.5}};
  const InkTreeEvaluation bird[2] = {{2, 3.0}, {0, 0.5}};
  InkModel *model = check_ptr (
    ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_CLASSIFIER, 3, INK_TREE_SOFTMAX), "tree");

  add_input (model, "features", vector_type (INK_ARRAY_FLOAT32, 2), "");
  add_output (model, "classLabel", ink_feature_type_string (), "");
  add_output (model, "classProbability", ink_feature_type_dictionary (INK_KEY_STRING), "");
  ink_model_set_predicted_feature_name (model, "classLabel");
  ink_model_set_predicted_probabilities_name (model, "classProbability");
  ink_model_set_class_labels_string (model, labels, 3);
  check (ink_tree_ensemble_set_base_prediction (model, base, 3), NULL, "base prediction");
  add_branch (model, 0, 0, 0.5, 1, 2);
  add_leaf (model, 1, 1, cat);
  add_branch (model, 2, 1, 0.0, 3, 4);
  add_leaf (model, 3, 1, dog);
  add_leaf (model, 4, 2, bird);
  finish_and_save (model, "tree-classifier.inkmodel");
}

/* y = 0.25 + (input <= threshold ? low : high), over one scalar input. */
static void
make_tree_regressor (const char *file, const char *input, InkFeatureType type, double threshold,
                     double low, double high)
{
  const double base[1] = {0.25};
  const InkTreeEvaluation low_leaf[1] = {{0, low}};
  const InkTreeEvaluation high_leaf[1] = {{0, high}};
  InkModel *model = check_ptr (
    ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_REGRESSOR, 1, INK_TREE_NO_TRANSFORM), file);

  add_input (model, input, type, "");
  add_output (model, "y", ink_feature_type_double (), "");
  ink_model_set_predicted_feature_name (model, "y");
  check (ink_tree_ensemble_set_base_prediction (model, base, 1), NULL, "base prediction");
  add_branch (model, 0, 0, threshold, 1, 2);
  add_leaf (model, 1, 1, low_leaf);
  add_leaf (model, 2, 1, high_leaf);
  finish_and_save (model, file);
}

/* Weight of output r for pixel k, and the bias of output r (test-cli.py
 * mirrors both). Multiples of 1/64 and 1/8: exact in float32. */
static float
nn_weight (int r, int k)
{
  return (float) ((r * 7 + k * 3) % 11 - 5) / 64.0f;
}

static float
nn_bias (int r)
{
  return (float) r * 0.125f;
}

/* Gray 8x8 image, scaled to [0, 1], through one inner product to 20
 * features; the features also come out reshaped to [1, 4, 5] as "grid". */
static void
make_nn (void)
{
  static float weights[NN_FEATURES * N_PIXELS];
  float bias[NN_FEATURES];
  const char *image_in[1] = {"image"};
  const char *features_out[1] = {"features"};
  const char *grid_out[1] = {"grid"};
  const int64_t grid_shape[3] = {1, 4, 5};
  InkModel *model = check_ptr (ink_nn_new (INK_MODEL_NEURAL_NETWORK), "nn");
  InkImageScaler scaler = {.feature_name = "image", .channel_scale = 1.0f / 255.0f};
  InkLayerSpec dense = {.name = "dense", .kind = INK_LAYER_INNER_PRODUCT};
  InkLayerSpec reshape = {.name = "reshape", .kind = INK_LAYER_RESHAPE};
  InkError err = {0};

  for (int r = 0; r < NN_FEATURES; r++) {
    bias[r] = nn_bias (r);
    for (int k = 0; k < N_PIXELS; k++)
      weights[r * N_PIXELS + k] = nn_weight (r, k);
  }
  add_input (model, "image", ink_feature_type_image (INK_PIXEL_GRAY8, IMAGE_SIZE, IMAGE_SIZE),
             "A drawing");
  add_output (model, "features", vector_type (INK_ARRAY_FLOAT32, NN_FEATURES), "");
  add_output (model, "grid", ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 3, grid_shape),
              "The features as 4 rows of 5");
  check (ink_nn_add_image_scaler (model, &scaler, &err), &err, "image scaler");

  dense.inputs = image_in;
  dense.n_inputs = 1;
  dense.outputs = features_out;
  dense.n_outputs = 1;
  dense.params.inner_product = (InkInnerProductParams){
    .in_channels = N_PIXELS,
    .out_channels = NN_FEATURES,
    .has_bias = true,
    .weights = weights,
    .bias = bias,
  };
  check (ink_nn_add_layer (model, &dense, &err), &err, "inner product");

  reshape.inputs = features_out;
  reshape.n_inputs = 1;
  reshape.outputs = grid_out;
  reshape.n_outputs = 1;
  reshape.params.reshape = (InkReshapeParams){.shape = {1, 4, 5}};
  check (ink_nn_add_layer (model, &reshape, &err), &err, "reshape");
  finish_and_save (model, "nn-image.inkmodel");
}

static void
set_k_parameter (InkModel *model, int64_t k, bool has_range, double min, double max, size_t n_set,
                 const int64_t *set)
{
  InkUpdateParameter p = {
    .key = INK_PARAM_NUMBER_OF_NEIGHBORS,
    .type = INK_PARAM_INT64,
    .default_value = (double) k,
    .has_range = has_range,
    .min = min,
    .max = max,
    .n_set = n_set,
    .set = set,
  };
  InkError err = {0};

  check (ink_model_set_update_parameter (model, &p, &err), &err, "numberOfNeighbors");
}

/* k = 3, uniform votes, string labels in three clusters; updatable. */
static void
make_knn_string (void)
{
  static const struct {
    float x, y;
    const char *label;
  } examples[] = {
    {0, 0, "sun"},  {0, 1, "sun"},  {1, 0, "sun"},   {5, 5, "moon"},
    {5, 6, "moon"}, {6, 5, "moon"}, {10, 0, "star"}, {10, 1, "star"},
  };
  InkModel *model = check_ptr (ink_knn_new (2, INK_KNN_UNIFORM, 3, false), "knn");
  InkError err = {0};

  add_input (model, "features", vector_type (INK_ARRAY_FLOAT32, 2), "A point");
  add_output (model, "label", ink_feature_type_string (), "The nearest points' label");
  add_training_input (model, "features", vector_type (INK_ARRAY_FLOAT32, 2));
  add_training_input (model, "label", ink_feature_type_string ());
  ink_model_set_predicted_feature_name (model, "label");
  ink_model_set_specification_version (model, 4);
  ink_model_set_updatable (model, true);
  set_k_parameter (model, 3, true, 1, 7, 0, NULL);
  ink_knn_set_default_label_string (model, "unknown");
  for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
    const float v[2] = {examples[i].x, examples[i].y};

    check (ink_knn_add_example_string (model, v, examples[i].label, &err), &err, "example");
  }
  finish_and_save (model, "knn-string.inkmodel");
}

/* k = 1, int64 labels, with a probabilities output; k allowed in {1, 3}. */
static void
make_knn_int (void)
{
  static const struct {
    float x, y;
    int64_t label;
  } examples[] = {{0, 0, 10}, {4, 0, 20}, {0, 4, 30}};
  static const int64_t k_set[2] = {1, 3};
  InkModel *model = check_ptr (ink_knn_new (2, INK_KNN_UNIFORM, 1, true), "knn");
  InkError err = {0};

  add_input (model, "features", vector_type (INK_ARRAY_FLOAT32, 2), "");
  add_output (model, "label", ink_feature_type_int64 (), "");
  add_output (model, "labelProbability", ink_feature_type_dictionary (INK_KEY_INT64), "");
  add_training_input (model, "features", vector_type (INK_ARRAY_FLOAT32, 2));
  add_training_input (model, "label", ink_feature_type_int64 ());
  ink_model_set_predicted_feature_name (model, "label");
  ink_model_set_predicted_probabilities_name (model, "labelProbability");
  ink_model_set_specification_version (model, 4);
  ink_model_set_updatable (model, true);
  set_k_parameter (model, 1, false, 0, 0, 2, k_set);
  ink_knn_set_default_label_int64 (model, -1);
  for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
    const float v[2] = {examples[i].x, examples[i].y};

    check (ink_knn_add_example_int64 (model, v, examples[i].label, &err), &err, "example");
  }
  finish_and_save (model, "knn-int.inkmodel");
}

/* The 8x8 network of make_nn without its reshape, as a pipeline's first
 * stage: "image" to 20 "features". */
static InkModel *
make_embedding_stage (void)
{
  static float weights[NN_FEATURES * N_PIXELS];
  float bias[NN_FEATURES];
  const char *image_in[1] = {"image"};
  const char *features_out[1] = {"features"};
  InkModel *model = check_ptr (ink_nn_new (INK_MODEL_NEURAL_NETWORK), "embedding");
  InkImageScaler scaler = {.feature_name = "image", .channel_scale = 1.0f / 255.0f};
  InkLayerSpec dense = {.name = "dense", .kind = INK_LAYER_INNER_PRODUCT};
  InkError err = {0};

  for (int r = 0; r < NN_FEATURES; r++) {
    bias[r] = nn_bias (r);
    for (int k = 0; k < N_PIXELS; k++)
      weights[r * N_PIXELS + k] = nn_weight (r, k);
  }
  ink_model_set_specification_version (model, 4);
  add_input (model, "image", ink_feature_type_image (INK_PIXEL_GRAY8, IMAGE_SIZE, IMAGE_SIZE), "");
  add_output (model, "features", vector_type (INK_ARRAY_FLOAT32, NN_FEATURES), "");
  check (ink_nn_add_image_scaler (model, &scaler, &err), &err, "image scaler");
  dense.inputs = image_in;
  dense.n_inputs = 1;
  dense.outputs = features_out;
  dense.n_outputs = 1;
  dense.params.inner_product = (InkInnerProductParams){
    .in_channels = N_PIXELS,
    .out_channels = NN_FEATURES,
    .has_bias = true,
    .weights = weights,
    .bias = bias,
  };
  check (ink_nn_add_layer (model, &dense, &err), &err, "inner product");
  return model;
}

/* knn-image.inkmodel: the embedding, then an empty updatable k-NN (k = 1,
 * default label "unknown"), like the bundled drawing classifier: trained
 * on "image" and "label". */
static void
make_knn_pipeline (void)
{
  InkModel *pipeline = check_ptr (ink_pipeline_new (INK_MODEL_PIPELINE_CLASSIFIER), "pipeline");
  InkModel *knn = check_ptr (ink_knn_new (NN_FEATURES, INK_KNN_UNIFORM, 1, false), "knn");
  InkFeatureType image = ink_feature_type_image (INK_PIXEL_GRAY8, IMAGE_SIZE, IMAGE_SIZE);
  InkError err = {0};

  ink_model_set_specification_version (knn, 4);
  add_input (knn, "features", vector_type (INK_ARRAY_FLOAT32, NN_FEATURES), "");
  add_output (knn, "label", ink_feature_type_string (), "");
  add_output (knn, "labelProbability", ink_feature_type_dictionary (INK_KEY_STRING), "");
  add_training_input (knn, "features", vector_type (INK_ARRAY_FLOAT32, NN_FEATURES));
  add_training_input (knn, "label", ink_feature_type_string ());
  ink_model_set_predicted_feature_name (knn, "label");
  ink_model_set_predicted_probabilities_name (knn, "labelProbability");
  ink_model_set_updatable (knn, true);
  set_k_parameter (knn, 1, true, 1, 5, 0, NULL);
  ink_knn_set_default_label_string (knn, "unknown");

  ink_model_set_specification_version (pipeline, 4);
  add_input (pipeline, "image", image, "A drawing");
  add_output (pipeline, "label", ink_feature_type_string (), "");
  add_output (pipeline, "labelProbability", ink_feature_type_dictionary (INK_KEY_STRING), "");
  add_training_input (pipeline, "image", image);
  add_training_input (pipeline, "label", ink_feature_type_string ());
  ink_model_set_predicted_feature_name (pipeline, "label");
  ink_model_set_predicted_probabilities_name (pipeline, "labelProbability");
  ink_model_set_updatable (pipeline, true);
  check (ink_pipeline_add_model (pipeline, "embedding", make_embedding_stage (), &err), &err,
         "embedding stage");
  check (ink_pipeline_add_model (pipeline, "classifier", knn, &err), &err, "k-NN stage");
  finish_and_save (pipeline, "knn-image.inkmodel");
}

static void
set_parameter (InkModel *model, const char *key, InkParamType type, double value, bool has_range,
               double min, double max)
{
  InkUpdateParameter p = {
    .key = key,
    .type = type,
    .default_value = value,
    .has_range = has_range,
    .min = min,
    .max = max,
  };
  InkError err = {0};

  check (ink_model_set_update_parameter (model, &p, &err), &err, key);
}

/* nn-regressor.inkmodel: y = w . x + b over two Float32 features, w and b
 * zero and updatable; mean squared error against "y_true", SGD. */
static void
make_nn_regressor (void)
{
  const float weights[2] = {0, 0};
  const float bias[1] = {0};
  const char *x_in[1] = {"x"};
  const char *y_out[1] = {"y"};
  InkModel *model = check_ptr (ink_nn_new (INK_MODEL_NEURAL_NETWORK), "regressor");
  InkLayerSpec dense = {.name = "dense", .kind = INK_LAYER_INNER_PRODUCT, .updatable = true};
  InkError err = {0};

  ink_model_set_specification_version (model, 4);
  add_input (model, "x", vector_type (INK_ARRAY_FLOAT32, 2), "Two measurements");
  add_output (model, "y", vector_type (INK_ARRAY_FLOAT32, 1), "The estimate");
  add_training_input (model, "x", vector_type (INK_ARRAY_FLOAT32, 2));
  add_training_input (model, "y_true", vector_type (INK_ARRAY_FLOAT32, 1));
  dense.inputs = x_in;
  dense.n_inputs = 1;
  dense.outputs = y_out;
  dense.n_outputs = 1;
  dense.params.inner_product = (InkInnerProductParams){
    .in_channels = 2,
    .out_channels = 1,
    .has_bias = true,
    .weights = weights,
    .bias = bias,
  };
  check (ink_nn_add_layer (model, &dense, &err), &err, "inner product");
  check (ink_nn_set_loss (model, "loss", INK_LOSS_MEAN_SQUARED_ERROR, "y", "y_true"), NULL, "loss");
  check (ink_nn_set_optimizer (model, INK_OPTIMIZER_SGD), NULL, "optimizer");
  ink_model_set_updatable (model, true);
  set_parameter (model, INK_PARAM_EPOCHS, INK_PARAM_INT64, 20, true, 1, 10000000);
  set_parameter (model, INK_PARAM_LEARNING_RATE, INK_PARAM_DOUBLE, 0.05, true, 0, 1);
  set_parameter (model, INK_PARAM_MINI_BATCH_SIZE, INK_PARAM_INT64, 4, true, 1, 64);
  set_parameter (model, INK_PARAM_MOMENTUM, INK_PARAM_DOUBLE, 0, true, 0, 1);
  set_parameter (model, INK_PARAM_SHUFFLE, INK_PARAM_BOOL, 1, false, 0, 0);
  set_parameter (model, INK_PARAM_SEED, INK_PARAM_INT64, 7, false, 0, 0);
  finish_and_save (model, "nn-regressor.inkmodel");
}

static void
save_png (InkValue *image, const char *name)
{
  InkError err = {0};
  char *path = out_path (name);

  check_ptr (image, name);
  check (ink_image_save_png (image, path, &err), &err, path);
  ink_value_free (image);
  free (path);
}

/* digit.png: gray 8x8, pixel (x, y) = 32 x + 4 y. big.png: the same
 * picture as 16x16 RGBA, each pixel doubled in both directions, so
 * area-averaging it down to 8x8 gives digit.png back. inverse.png:
 * digit.png's negative, 255 - 32 x - 4 y. */
static void
make_images (void)
{
  uint8_t gray[IMAGE_SIZE * IMAGE_SIZE];
  uint8_t rgba[4 * IMAGE_SIZE * IMAGE_SIZE * 4];

  for (int y = 0; y < IMAGE_SIZE; y++) {
    for (int x = 0; x < IMAGE_SIZE; x++)
      gray[y * IMAGE_SIZE + x] = (uint8_t) (32 * x + 4 * y);
  }
  for (int y = 0; y < 2 * IMAGE_SIZE; y++) {
    for (int x = 0; x < 2 * IMAGE_SIZE; x++) {
      uint8_t *p = &rgba[(y * 2 * IMAGE_SIZE + x) * 4];

      p[0] = p[1] = p[2] = gray[(y / 2) * IMAGE_SIZE + x / 2];
      p[3] = 255;
    }
  }
  save_png (ink_value_new_image (INK_PIXEL_GRAY8, IMAGE_SIZE, IMAGE_SIZE, IMAGE_SIZE, gray),
            "digit.png");
  save_png (
    ink_value_new_image (INK_PIXEL_RGBA8, 2 * IMAGE_SIZE, 2 * IMAGE_SIZE, 2 * IMAGE_SIZE * 4, rgba),
    "big.png");
  for (int i = 0; i < IMAGE_SIZE * IMAGE_SIZE; i++)
    gray[i] = (uint8_t) (255 - gray[i]);
  save_png (ink_value_new_image (INK_PIXEL_GRAY8, IMAGE_SIZE, IMAGE_SIZE, IMAGE_SIZE, gray),
            "inverse.png");
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: make-cli-models OUTDIR\n");
    return 2;
  }
  outdir = argv[1];
  make_glm ();
  make_tree_classifier ();
  make_tree_regressor ("tree-double.inkmodel", "x", ink_feature_type_double (), 0.5, 1.5, -2.5);
  make_tree_regressor ("tree-int.inkmodel", "n", ink_feature_type_int64 (), 10, 100, 200);
  make_nn ();
  make_knn_string ();
  make_knn_int ();
  make_knn_pipeline ();
  make_nn_regressor ();
  make_images ();
  return 0;
}

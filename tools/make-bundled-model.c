/* make-bundled-model.c: writes the starter drawing classifier at build time
 *
 * The model is Apple's updatable drawing classifier in shape: a pipeline of a
 * feature extractor (28x28 drawing to a 49-float embedding) and an updatable
 * k-nearest-neighbors classifier. This starter version is honest about what
 * it is: its "embedding" is the drawing averaged down to 7x7 pixels, and the
 * k-NN holds no examples, so it answers "unknown" until a sticker is taught.
 * A trained network and starter stickers replace it later.
 *
 * Usage: make-bundled-model OUT.inkmodel
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>

#include "ink.h"

#define DRAWING_SIZE 28
#define POOL_SIZE 4
#define FEATURES_SIDE (DRAWING_SIZE / POOL_SIZE)
#define N_FEATURES (FEATURES_SIDE * FEATURES_SIDE)

/* Updatable models need Core ML 3 (specification version 4). */
#define SPECIFICATION_VERSION 4

static const char *progname = "make-bundled-model";

/* A build tool has nothing to recover: any failure ends it. */
static void
check (InkStatus status, const InkError *err, const char *what)
{
  if (status == INK_OK)
    return;
  fprintf (stderr, "%s: %s: %s\n", progname, what,
           err != NULL && err->status != INK_OK && err->message[0] != '\0'
             ? err->message
             : ink_status_to_string (status));
  exit (EXIT_FAILURE);
}

static void *
check_new (void *handle, const char *what)
{
  if (handle == NULL) {
    fprintf (stderr, "%s: %s: out of memory\n", progname, what);
    exit (EXIT_FAILURE);
  }
  return handle;
}

/* Feature types shared by the stages and the pipeline. */
static InkFeatureType
drawing_type (void)
{
  return ink_feature_type_image (INK_PIXEL_GRAY8, DRAWING_SIZE, DRAWING_SIZE);
}

static InkFeatureType
features_type (void)
{
  const int64_t shape[] = {N_FEATURES};

  return ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, shape);
}

#define DRAWING_DESCRIPTION "A drawing: 28x28 grayscale, dark ink on light paper"
#define FEATURES_DESCRIPTION "The drawing's ink averaged over 7x7 cells, row by row"
#define LABEL_DESCRIPTION "The most likely sticker, or \"unknown\" before any is taught"
#define PROBABILITY_DESCRIPTION "Each sticker's probability"

/* Stage 1: the drawing, inverted to ink 1 / paper 0, pooled 4x4 to 7x7 and
 * flattened to 49 features. */
static InkModel *
make_feature_extractor (void)
{
  InkModel *nn = check_new (ink_nn_new (INK_MODEL_NEURAL_NETWORK), "feature extractor");
  InkFeatureType drawing = drawing_type ();
  InkFeatureType features = features_type ();
  const char *const drawing_blob[] = {"drawing"};
  const char *const pooled_blob[] = {"pooled"};
  const char *const features_blob[] = {"features"};
  InkImageScaler scaler = {
    .feature_name = "drawing",
    .channel_scale = -1.0f / 255.0f,
    .gray_bias = 1.0f,
  };
  InkPoolingParams pooling = {
    .type = INK_POOL_AVERAGE,
    .kernel_h = POOL_SIZE,
    .kernel_w = POOL_SIZE,
    .stride_h = POOL_SIZE,
    .stride_w = POOL_SIZE,
    .padding = {.type = INK_PAD_VALID},
  };
  InkLayerSpec pool = {
    .name = "pool",
    .kind = INK_LAYER_POOLING,
    .inputs = drawing_blob,
    .n_inputs = 1,
    .outputs = pooled_blob,
    .n_outputs = 1,
    .params.pooling = pooling,
  };
  InkLayerSpec flatten = {
    .name = "flatten",
    .kind = INK_LAYER_FLATTEN,
    .inputs = pooled_blob,
    .n_inputs = 1,
    .outputs = features_blob,
    .n_outputs = 1,
    .params.flatten = {.order = INK_ORDER_CHANNEL_FIRST},
  };
  InkError err;

  ink_error_clear (&err);
  check (ink_model_set_specification_version (nn, SPECIFICATION_VERSION), NULL,
         "feature extractor: specification version");
  check (ink_model_add_input (nn, "drawing", &drawing, DRAWING_DESCRIPTION, &err), &err,
         "feature extractor: input");
  check (ink_model_add_output (nn, "features", &features, FEATURES_DESCRIPTION, &err), &err,
         "feature extractor: output");
  check (ink_nn_add_image_scaler (nn, &scaler, &err), &err, "feature extractor: image scaler");
  check (ink_nn_add_layer (nn, &pool, &err), &err, "feature extractor: pooling layer");
  check (ink_nn_add_layer (nn, &flatten, &err), &err, "feature extractor: flatten layer");
  return nn;
}

/* Stage 2: an empty, updatable k-NN over the 49 features. */
static InkModel *
make_classifier (void)
{
  InkModel *knn =
    check_new (ink_knn_new (N_FEATURES, INK_KNN_INVERSE_DISTANCE, 3, false), "classifier");
  InkFeatureType features = features_type ();
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probabilities = ink_feature_type_dictionary (INK_KEY_STRING);
  InkUpdateParameter neighbors = {
    .key = INK_PARAM_NUMBER_OF_NEIGHBORS,
    .type = INK_PARAM_INT64,
    .default_value = 3,
    .has_range = true,
    .min = 1,
    .max = 10,
  };
  InkError err;

  ink_error_clear (&err);
  check (ink_model_set_specification_version (knn, SPECIFICATION_VERSION), NULL,
         "classifier: specification version");
  check (ink_knn_set_default_label_string (knn, "unknown"), NULL, "classifier: default label");
  check (ink_model_add_input (knn, "features", &features, FEATURES_DESCRIPTION, &err), &err,
         "classifier: input");
  check (ink_model_add_output (knn, "label", &label, LABEL_DESCRIPTION, &err), &err,
         "classifier: label output");
  check (
    ink_model_add_output (knn, "labelProbability", &probabilities, PROBABILITY_DESCRIPTION, &err),
    &err, "classifier: probability output");
  check (ink_model_add_training_input (knn, "features", &features, FEATURES_DESCRIPTION, &err),
         &err, "classifier: features training input");
  check (ink_model_add_training_input (knn, "label", &label, "The sticker the example shows", &err),
         &err, "classifier: label training input");
  check (ink_model_set_predicted_feature_name (knn, "label"), NULL,
         "classifier: predicted feature name");
  check (ink_model_set_predicted_probabilities_name (knn, "labelProbability"), NULL,
         "classifier: probabilities name");
  check (ink_model_set_updatable (knn, true), NULL, "classifier: updatable");
  check (ink_model_set_update_parameter (knn, &neighbors, &err), &err,
         "classifier: numberOfNeighbors");
  return knn;
}

static InkModel *
make_pipeline (void)
{
  InkModel *pipeline = check_new (ink_pipeline_new (INK_MODEL_PIPELINE_CLASSIFIER), "pipeline");
  InkFeatureType drawing = drawing_type ();
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probabilities = ink_feature_type_dictionary (INK_KEY_STRING);
  InkMetadata metadata = {
    .short_description = "Inkling drawing classifier",
    .version = "0.1.0",
    .author = "Inkling",
    .license = "MIT",
  };
  InkError err;

  ink_error_clear (&err);
  check (ink_model_set_specification_version (pipeline, SPECIFICATION_VERSION), NULL,
         "pipeline: specification version");
  check (ink_model_add_input (pipeline, "drawing", &drawing, DRAWING_DESCRIPTION, &err), &err,
         "pipeline: input");
  check (ink_model_add_output (pipeline, "label", &label, LABEL_DESCRIPTION, &err), &err,
         "pipeline: label output");
  check (ink_model_add_output (pipeline, "labelProbability", &probabilities,
                               PROBABILITY_DESCRIPTION, &err),
         &err, "pipeline: probability output");
  check (ink_model_add_training_input (pipeline, "drawing", &drawing, DRAWING_DESCRIPTION, &err),
         &err, "pipeline: drawing training input");
  check (
    ink_model_add_training_input (pipeline, "label", &label, "The sticker the drawing shows", &err),
    &err, "pipeline: label training input");
  check (ink_model_set_predicted_feature_name (pipeline, "label"), NULL,
         "pipeline: predicted feature name");
  check (ink_model_set_predicted_probabilities_name (pipeline, "labelProbability"), NULL,
         "pipeline: probabilities name");
  check (ink_model_set_updatable (pipeline, true), NULL, "pipeline: updatable");
  check (ink_model_set_metadata (pipeline, &metadata), NULL, "pipeline: metadata");
  check (ink_model_set_user_metadata (pipeline, "inkling.stage",
                                      "starter (pixel features, no stickers yet)"),
         NULL, "pipeline: user metadata");

  /* The pipeline takes ownership of its stages. */
  check (ink_pipeline_add_model (pipeline, "featureExtractor", make_feature_extractor (), &err),
         &err, "pipeline: feature extractor stage");
  check (ink_pipeline_add_model (pipeline, "classifier", make_classifier (), &err), &err,
         "pipeline: classifier stage");

  check (ink_model_finish (pipeline, &err), &err, "pipeline: finish");
  return pipeline;
}

int
main (int argc, char *argv[])
{
  InkModel *model;
  InkError err;

  if (argc > 0 && argv[0] != NULL)
    progname = argv[0];
  if (argc != 2) {
    fprintf (stderr, "usage: %s OUT.inkmodel\n", progname);
    return 2;
  }

  model = make_pipeline ();
  ink_error_clear (&err);
  check (ink_model_save (model, argv[1], &err), &err, "saving the model");
  ink_model_free (model);
  return EXIT_SUCCESS;
}

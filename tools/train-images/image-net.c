/* image-net.c: the image classifier's network
 *
 * SPDX-License-Identifier: MIT
 */
#include "image-net.h"

#include <math.h>
#include <string.h>

/* Updatable models need Core ML 3 (specification version 4). */
#define SPECIFICATION_VERSION 4

uint64_t
net_rand (uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

double
net_uniform (uint64_t *state)
{
  return (double) (net_rand (state) >> 11) * 0x1.0p-53;
}

size_t
net_below (uint64_t *state, size_t n)
{
  uint64_t limit = UINT64_MAX - UINT64_MAX % n, r;

  do
    r = net_rand (state);
  while (r >= limit);
  return (size_t) (r % n);
}

void
net_set_error (GError **error, const char *what, InkStatus status, const InkError *err)
{
  g_set_error (error, NET_ERROR, 0, "%s: %s", what,
               err != NULL && err->status != INK_OK && err->message[0] != '\0'
                 ? err->message
                 : ink_status_to_string (status));
}

/* He-uniform: U(-sqrt(6 / fan_in), sqrt(6 / fan_in)), for ReLU networks. */
static float *
he_uniform (uint64_t *rng, size_t n, size_t fan_in)
{
  float *w = g_new (float, n);
  double bound = sqrt (6.0 / (double) fan_in);

  for (size_t i = 0; i < n; i++)
    w[i] = (float) ((2.0 * net_uniform (rng) - 1.0) * bound);
  return w;
}

static bool
add (InkModel *m, InkLayerSpec spec, const char *name, const char *in, const char *out,
     GError **error)
{
  const char *ins[1] = {in}, *outs[1] = {out};
  InkError err;
  InkStatus st;

  spec.name = name;
  spec.inputs = ins;
  spec.n_inputs = 1;
  spec.outputs = outs;
  spec.n_outputs = 1;
  ink_error_clear (&err);
  st = ink_nn_add_layer (m, &spec, &err);
  if (st != INK_OK) {
    net_set_error (error, name, st, &err);
    return false;
  }
  return true;
}

static bool
add_conv (InkModel *m, uint64_t *rng, const char *name, const char *in, const char *out,
          size_t in_c, size_t out_c, GError **error)
{
  g_autofree float *w = he_uniform (rng, out_c * in_c * 9, in_c * 9);
  g_autofree float *b = g_new0 (float, out_c);
  InkLayerSpec s = {.kind = INK_LAYER_CONVOLUTION};

  s.params.convolution = (InkConvolutionParams){
    .out_channels = out_c,
    .kernel_channels = in_c,
    .kernel_h = 3,
    .kernel_w = 3,
    .padding = {.type = INK_PAD_SAME},
    .has_bias = true,
    .weights = w,
    .bias = b,
  };
  return add (m, s, name, in, out, error);
}

static bool
add_fc (InkModel *m, uint64_t *rng, const char *name, const char *in, const char *out, size_t in_c,
        size_t out_c, bool updatable, GError **error)
{
  g_autofree float *w = he_uniform (rng, out_c * in_c, in_c);
  g_autofree float *b = g_new0 (float, out_c);
  InkLayerSpec s = {.kind = INK_LAYER_INNER_PRODUCT, .updatable = updatable};

  s.params.inner_product = (InkInnerProductParams){
    .in_channels = in_c, .out_channels = out_c, .has_bias = true, .weights = w, .bias = b};
  return add (m, s, name, in, out, error);
}

static bool
add_relu (InkModel *m, const char *name, const char *in, const char *out, GError **error)
{
  InkLayerSpec s = {.kind = INK_LAYER_ACTIVATION};

  s.params.activation.type = INK_ACT_RELU;
  return add (m, s, name, in, out, error);
}

static bool
add_pool (InkModel *m, const char *name, const char *in, const char *out, GError **error)
{
  InkLayerSpec s = {.kind = INK_LAYER_POOLING};

  s.params.pooling = (InkPoolingParams){.type = INK_POOL_MAX,
                                        .kernel_h = 2,
                                        .kernel_w = 2,
                                        .stride_h = 2,
                                        .stride_w = 2,
                                        .padding = {.type = INK_PAD_VALID}};
  return add (m, s, name, in, out, error);
}

static bool
add_layers (InkModel *m, uint64_t seed, GError **error)
{
  uint64_t rng = seed;
  InkLayerSpec flatten = {.kind = INK_LAYER_FLATTEN};
  InkLayerSpec softmax = {.kind = INK_LAYER_SOFTMAX};

  flatten.params.flatten.order = INK_ORDER_CHANNEL_FIRST;
  return add_conv (m, &rng, "conv1", NET_INPUT, "conv1", 1, NET_C1, error) &&
         add_relu (m, "relu1", "conv1", "relu1", error) &&
         add_pool (m, "pool1", "relu1", "pool1", error) &&
         add_conv (m, &rng, "conv2", "pool1", "conv2", NET_C1, NET_C2, error) &&
         add_relu (m, "relu2", "conv2", "relu2", error) &&
         add_pool (m, "pool2", "relu2", "pool2", error) &&
         add (m, flatten, "flatten", "pool2", "flatten", error) &&
         add_fc (m, &rng, "fc1", "flatten", "fc1", NET_FLAT, NET_HIDDEN, true, error) &&
         add_relu (m, "relu3", "fc1", "relu3", error) &&
         add_fc (m, &rng, "fc2", "relu3", "fc2", NET_HIDDEN, FMNIST_CLASSES, true, error) &&
         add (m, softmax, "softmax", "fc2", NET_PROBABILITY, error);
}

#define IMAGE_DESCRIPTION                                                                          \
  "A piece of clothing: 28x28 grayscale, a light garment on a black background, as in "            \
  "Fashion-MNIST"
#define LABEL_DESCRIPTION "The most likely kind of clothing"
#define PROBABILITY_DESCRIPTION "Each kind of clothing's probability"
#define TARGET_DESCRIPTION "The kind of clothing the image shows"

#define MODEL_DESCRIPTION                                                                          \
  "Inkling image classifier: tells 10 kinds of clothing apart in 28x28 grayscale images. A "       \
  "small convolutional network trained by Inkling's own tools (tools/train-images) on "            \
  "Fashion-MNIST by Zalando Research (MIT licence); its last two layers (fc1, fc2) are "           \
  "updatable, so that it can be relabelled and retrained on the device."
#define MODEL_LICENSE                                                                              \
  "MIT. Trained on Fashion-MNIST, Copyright (c) 2017 Zalando SE, MIT licence "                     \
  "(https://github.com/zalandoresearch/fashion-mnist)."

static bool
check (InkStatus st, const InkError *err, const char *what, GError **error)
{
  if (st == INK_OK)
    return true;
  net_set_error (error, what, st, err);
  return false;
}

static bool
set_param (InkModel *m, const char *key, InkParamType type, double def, double min, double max,
           GError **error)
{
  InkUpdateParameter p = {
    .key = key, .type = type, .default_value = def, .has_range = true, .min = min, .max = max};
  InkError err;

  ink_error_clear (&err);
  if (type == INK_PARAM_BOOL)
    p.has_range = false;
  return check (ink_model_set_update_parameter (m, &p, &err), &err, key, error);
}

InkModel *
net_new (uint64_t seed, GError **error)
{
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  InkFeatureType image = ink_feature_type_image (INK_PIXEL_GRAY8, FMNIST_SIDE, FMNIST_SIDE);
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probabilities = ink_feature_type_dictionary (INK_KEY_STRING);
  InkImageScaler scaler = {.feature_name = NET_INPUT, .channel_scale = 1.0f / 255.0f};
  InkMetadata metadata = {
    .short_description = MODEL_DESCRIPTION,
    .version = "1.0",
    .author = "Inkling contributors",
    .license = MODEL_LICENSE,
  };
  InkError err;
  bool ok;

  if (m == NULL) {
    g_set_error (error, NET_ERROR, 0, "out of memory");
    return NULL;
  }
  ink_error_clear (&err);
  ok =
    check (ink_model_set_specification_version (m, SPECIFICATION_VERSION), NULL,
           "specification version", error) &&
    check (ink_model_add_input (m, NET_INPUT, &image, IMAGE_DESCRIPTION, &err), &err, "input",
           error) &&
    check (ink_model_add_output (m, NET_LABEL, &label, LABEL_DESCRIPTION, &err), &err,
           "label output", error) &&
    check (ink_model_add_output (m, NET_PROBABILITY, &probabilities, PROBABILITY_DESCRIPTION, &err),
           &err, "probability output", error) &&
    check (ink_model_add_training_input (m, NET_INPUT, &image, IMAGE_DESCRIPTION, &err), &err,
           "image training input", error) &&
    check (ink_model_add_training_input (m, NET_LABEL, &label, TARGET_DESCRIPTION, &err), &err,
           "label training input", error) &&
    check (ink_model_set_predicted_feature_name (m, NET_LABEL), NULL, "predicted feature", error) &&
    check (ink_model_set_predicted_probabilities_name (m, NET_PROBABILITY), NULL,
           "probabilities name", error) &&
    check (ink_model_set_class_labels_string (m, fmnist_labels, FMNIST_CLASSES), NULL,
           "class labels", error) &&
    check (ink_model_set_metadata (m, &metadata), NULL, "metadata", error) &&
    check (ink_model_set_user_metadata (
             m, "dataset",
             "Fashion-MNIST (https://github.com/zalandoresearch/fashion-mnist), Copyright (c) "
             "2017 Zalando SE, MIT licence; label T-shirt is the data set's T-shirt/top"),
           NULL, "user metadata", error) &&
    check (ink_nn_add_image_scaler (m, &scaler, &err), &err, "image scaler", error) &&
    add_layers (m, seed, error) &&
    check (
      ink_nn_set_loss (m, "loss", INK_LOSS_CATEGORICAL_CROSS_ENTROPY, NET_PROBABILITY, NET_LABEL),
      NULL, "loss", error) &&
    check (ink_nn_set_optimizer (m, INK_OPTIMIZER_SGD), NULL, "optimizer", error) &&
    check (ink_model_set_updatable (m, true), NULL, "updatable", error) &&
    set_param (m, INK_PARAM_EPOCHS, INK_PARAM_INT64, NET_UPDATE_EPOCHS, 1, 100, error) &&
    set_param (m, INK_PARAM_LEARNING_RATE, INK_PARAM_DOUBLE, NET_UPDATE_LEARNING_RATE, 1e-5, 1,
               error) &&
    set_param (m, INK_PARAM_MINI_BATCH_SIZE, INK_PARAM_INT64, NET_UPDATE_MINI_BATCH, 1, 256,
               error) &&
    set_param (m, INK_PARAM_MOMENTUM, INK_PARAM_DOUBLE, NET_UPDATE_MOMENTUM, 0, 0.99, error) &&
    set_param (m, INK_PARAM_SHUFFLE, INK_PARAM_BOOL, 1, 0, 1, error) &&
    check (ink_model_finish (m, &err), &err, "finish", error);
  if (!ok) {
    ink_model_free (m);
    return NULL;
  }
  return m;
}

InkFeatures *
net_example (const uint8_t *pixels, const char *label)
{
  InkFeatures *f = ink_features_new ();
  InkValue *image =
    ink_value_new_image (INK_PIXEL_GRAY8, FMNIST_SIDE, FMNIST_SIDE, FMNIST_SIDE, pixels);

  if (f == NULL || image == NULL || ink_features_set (f, NET_INPUT, image) != INK_OK ||
      (label != NULL && ink_features_set_string (f, NET_LABEL, label) != INK_OK))
    g_error ("out of memory");
  return f;
}

typedef struct {
  const InkModel *model;
  const FmnistSplit *split;
  const size_t *indices;
  size_t begin, end;
  int *predicted;
  InkStatus status;
  InkError err;
} PredictJob;

static gpointer
predict_job (gpointer data)
{
  PredictJob *job = data;

  for (size_t i = job->begin; i < job->end && job->status == INK_OK; i++) {
    size_t k = job->indices != NULL ? job->indices[i] : i;
    InkFeatures *in = net_example (job->split->images + k * FMNIST_PIXELS, NULL);
    InkFeatures *out = NULL;
    const InkValue *v;

    job->status = ink_model_predict (job->model, in, &out, &job->err);
    if (job->status == INK_OK) {
      v = ink_features_get (out, NET_LABEL);
      job->predicted[i] = v != NULL ? fmnist_label_index (ink_value_get_string (v)) : -1;
    }
    ink_features_free (in);
    ink_features_free (out);
  }
  return NULL;
}

bool
net_predict_split (const InkModel *model, const FmnistSplit *split, const size_t *indices, size_t n,
                   int threads, int *predicted, GError **error)
{
  PredictJob jobs[64];
  GThread *thread[64];

  threads = CLAMP (threads, 1, 64);
  for (int t = 0; t < threads; t++) {
    jobs[t] = (PredictJob){.model = model,
                           .split = split,
                           .indices = indices,
                           .begin = n * (size_t) t / (size_t) threads,
                           .end = n * (size_t) (t + 1) / (size_t) threads,
                           .predicted = predicted,
                           .status = INK_OK};
    ink_error_clear (&jobs[t].err);
    thread[t] = t > 0 ? g_thread_new ("predict", predict_job, &jobs[t]) : NULL;
  }
  predict_job (&jobs[0]);
  for (int t = 1; t < threads; t++)
    g_thread_join (thread[t]);
  for (int t = 0; t < threads; t++)
    if (jobs[t].status != INK_OK) {
      net_set_error (error, "prediction", jobs[t].status, &jobs[t].err);
      return false;
    }
  return true;
}

double
net_accuracy (const InkModel *m, const FmnistSplit *split, const size_t *indices, size_t n,
              int threads, int correct_per_class[FMNIST_CLASSES],
              int total_per_class[FMNIST_CLASSES], GError **error)
{
  g_autofree int *predicted = g_new (int, n);
  size_t correct = 0;

  if (!net_predict_split (m, split, indices, n, threads, predicted, error))
    return -1;
  for (size_t i = 0; i < n; i++) {
    int truth = split->labels[indices != NULL ? indices[i] : i];
    if (total_per_class != NULL)
      total_per_class[truth]++;
    if (predicted[i] == truth) {
      correct++;
      if (correct_per_class != NULL)
        correct_per_class[truth]++;
    }
  }
  return (double) correct / (double) n;
}

InkModel *
net_load (const char *path, GError **error)
{
  InkModel *m;
  InkError err;

  ink_error_clear (&err);
  m = g_str_has_suffix (path, ".mlmodel") ? ink_coreml_compile_file (path, &err)
                                          : ink_model_load (path, &err);
  if (m == NULL)
    net_set_error (error, path, err.status, &err);
  return m;
}

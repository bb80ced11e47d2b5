/* parity-train.c: trains a small convolutional classifier with the engine's
 * trainer, for tests/parity/torch-parity.py to compare with PyTorch
 *
 * The network (the same as the script's):
 *
 *   image [1, 12, 12]
 *   -> conv1: 4 channels, 3x3, valid      [4, 10, 10]
 *   -> ReLU -> max pool 2x2, stride 2     [4, 5, 5]
 *   -> conv2: 8 channels, 3x3, valid      [8, 3, 3]
 *   -> ReLU -> flatten (channel first)    [72]
 *   -> fc: inner product 72 -> 4 -> softmax, categorical cross-entropy
 *
 * Usage: parity-train DIR OPTIMIZER EPOCHS BATCH THREADS LR MOMENTUM BETA1 BETA2 EPS
 *
 * DIR holds raw little-endian float32 files conv1.w, conv1.b, conv2.w,
 * conv2.b, fc.w, fc.b (PyTorch's layouts, which are Core ML's), x (the
 * examples, n x 1 x 12 x 12) and y (their classes, n int64). OPTIMIZER is
 * sgd or adam. The examples are taken in order, no shuffling, in
 * mini-batches of BATCH (the last one may be smaller). Prints JSON:
 * {"losses": [mean loss of each epoch], "examples_per_second": ...}.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ink-nn-train-private.h"

#define SIDE 12
#define CLASSES 4
#define C1 4
#define C2 8
#define FLAT (C2 * 3 * 3)

static void
die (const char *what, const InkError *err)
{
  fprintf (stderr, "parity-train: %s%s%s\n", what, err != NULL ? ": " : "",
           err != NULL ? err->message : "");
  exit (1);
}

/* The whole file; *n its size in bytes. */
static void *
read_file (const char *dir, const char *name, size_t *n)
{
  char path[4096];
  FILE *f;
  long size;
  void *data;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  f = fopen (path, "rb");
  if (f == NULL || fseek (f, 0, SEEK_END) != 0 || (size = ftell (f)) < 0 ||
      fseek (f, 0, SEEK_SET) != 0)
    die (path, NULL);
  data = malloc ((size_t) size + 1);
  if (data == NULL || fread (data, 1, (size_t) size, f) != (size_t) size)
    die (path, NULL);
  fclose (f);
  *n = (size_t) size;
  return data;
}

static float *
read_floats (const char *dir, const char *name, size_t expect)
{
  size_t n;
  float *v = read_file (dir, name, &n);

  if (n != expect * sizeof (float)) {
    fprintf (stderr, "parity-train: %s holds %zu bytes, expected %zu floats\n", name, n, expect);
    exit (1);
  }
  return v;
}

static void
add_layer (InkModel *m, InkLayerSpec spec, const char *name, const char *in, const char *out)
{
  const char *ins[1] = {in}, *outs[1] = {out};
  InkError err;

  spec.name = name;
  spec.inputs = ins;
  spec.n_inputs = 1;
  spec.outputs = outs;
  spec.n_outputs = 1;
  if (ink_nn_add_layer (m, &spec, &err) != INK_OK)
    die (name, &err);
}

static InkLayerSpec
conv (size_t in, size_t out, const float *w, const float *b)
{
  InkLayerSpec s = {.kind = INK_LAYER_CONVOLUTION, .updatable = true};

  s.params.convolution = (InkConvolutionParams){.out_channels = out,
                                                .kernel_channels = in,
                                                .kernel_h = 3,
                                                .kernel_w = 3,
                                                .has_bias = true,
                                                .weights = w,
                                                .bias = b};
  return s;
}

static InkLayerSpec
relu (void)
{
  InkLayerSpec s = {.kind = INK_LAYER_ACTIVATION};

  s.params.activation.type = INK_ACT_RELU;
  return s;
}

static InkModel *
build (const char *dir)
{
  static const int64_t labels[CLASSES] = {0, 1, 2, 3};
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  int64_t shape[3] = {1, SIDE, SIDE};
  InkFeatureType image = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 3, shape);
  InkFeatureType label = ink_feature_type_int64 ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_INT64);
  float *w1 = read_floats (dir, "conv1.w", C1 * 1 * 9), *b1 = read_floats (dir, "conv1.b", C1);
  float *w2 = read_floats (dir, "conv2.w", C2 * C1 * 9), *b2 = read_floats (dir, "conv2.b", C2);
  float *wf = read_floats (dir, "fc.w", CLASSES * FLAT), *bf = read_floats (dir, "fc.b", CLASSES);
  InkLayerSpec pool = {.kind = INK_LAYER_POOLING};
  InkLayerSpec flatten = {.kind = INK_LAYER_FLATTEN};
  InkLayerSpec fc = {.kind = INK_LAYER_INNER_PRODUCT, .updatable = true};
  InkLayerSpec softmax = {.kind = INK_LAYER_SOFTMAX};
  InkError err;

  pool.params.pooling = (InkPoolingParams){
    .type = INK_POOL_MAX, .kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2};
  flatten.params.flatten.order = INK_ORDER_CHANNEL_FIRST;
  fc.params.inner_product = (InkInnerProductParams){
    .in_channels = FLAT, .out_channels = CLASSES, .has_bias = true, .weights = wf, .bias = bf};
  if (ink_model_add_input (m, "image", &image, "", &err) != INK_OK ||
      ink_model_add_output (m, "classLabel", &label, "", &err) != INK_OK ||
      ink_model_add_output (m, "classProbability", &probs, "", &err) != INK_OK ||
      ink_model_add_training_input (m, "image", &image, "", &err) != INK_OK ||
      ink_model_add_training_input (m, "classLabel", &label, "", &err) != INK_OK)
    die ("the description", &err);
  ink_model_set_predicted_feature_name (m, "classLabel");
  ink_model_set_predicted_probabilities_name (m, "classProbability");
  ink_model_set_class_labels_int64 (m, labels, CLASSES);
  add_layer (m, conv (1, C1, w1, b1), "conv1", "image", "c1");
  add_layer (m, relu (), "relu1", "c1", "r1");
  add_layer (m, pool, "pool", "r1", "p1");
  add_layer (m, conv (C1, C2, w2, b2), "conv2", "p1", "c2");
  add_layer (m, relu (), "relu2", "c2", "r2");
  add_layer (m, flatten, "flatten", "r2", "f");
  add_layer (m, fc, "fc", "f", "logits");
  add_layer (m, softmax, "softmax", "logits", "probs");
  ink_nn_set_loss (m, "loss", INK_LOSS_CATEGORICAL_CROSS_ENTROPY, "probs", "classLabel");
  if (ink_model_finish (m, &err) != INK_OK)
    die ("the network", &err);
  free (w1);
  free (b1);
  free (w2);
  free (b2);
  free (wf);
  free (bf);
  return m;
}

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

int
main (int argc, char **argv)
{
  const char *dir;
  InkOptimizerConfig config = {0};
  int epochs, threads;
  size_t batch, n, bytes;
  float *x;
  int64_t *y, shape[3] = {1, SIDE, SIDE};
  InkFeatures **ex;
  InkModel *m;
  InkNnTrainer *t;
  double start, elapsed;
  InkError err;

  if (argc != 11) {
    fprintf (stderr, "usage: parity-train DIR sgd|adam EPOCHS BATCH THREADS LR MOMENTUM BETA1 "
                     "BETA2 EPS\n");
    return 2;
  }
  dir = argv[1];
  config.optimizer = strcmp (argv[2], "adam") == 0 ? INK_OPTIMIZER_ADAM : INK_OPTIMIZER_SGD;
  epochs = atoi (argv[3]);
  batch = (size_t) atoi (argv[4]);
  threads = atoi (argv[5]);
  config.learning_rate = strtod (argv[6], NULL);
  config.momentum = strtod (argv[7], NULL);
  config.beta1 = strtod (argv[8], NULL);
  config.beta2 = strtod (argv[9], NULL);
  config.eps = strtod (argv[10], NULL);
  if (epochs < 1 || batch < 1)
    die ("EPOCHS and BATCH must be positive", NULL);

  y = read_file (dir, "y", &bytes);
  n = bytes / sizeof *y;
  x = read_floats (dir, "x", n * SIDE * SIDE);
  ex = calloc (n, sizeof *ex);
  for (size_t i = 0; i < n; i++) {
    ex[i] = ink_features_new ();
    if (ink_features_set (
          ex[i], "image",
          ink_value_new_multiarray (INK_ARRAY_FLOAT32, 3, shape, x + i * SIDE * SIDE)) != INK_OK ||
        ink_features_set_int64 (ex[i], "classLabel", y[i]) != INK_OK)
      die ("out of memory", NULL);
  }
  m = build (dir);
  t = ink_nn_trainer_new (m, false, threads, &err);
  if (t == NULL)
    die ("the trainer", &err);
  ink_nn_trainer_set_optimizer (t, &config);

  printf ("{\"losses\": [");
  start = now ();
  for (int e = 0; e < epochs; e++) {
    double sum = 0;
    size_t batches = 0;
    for (size_t i = 0; i < n; i += batch) {
      double loss;
      size_t k = n - i < batch ? n - i : batch;
      if (ink_nn_trainer_step (t, (const InkFeatures *const *) ex + i, k, &loss, &err) != INK_OK)
        die ("a training step", &err);
      sum += loss;
      batches++;
    }
    printf ("%s%.9g", e > 0 ? ", " : "", sum / (double) batches);
  }
  elapsed = now () - start;
  printf ("], \"examples_per_second\": %.0f, \"threads\": %d}\n",
          elapsed > 0 ? (double) epochs * (double) n / elapsed : 0.0, threads);

  ink_nn_trainer_free (t);
  ink_model_free (m);
  for (size_t i = 0; i < n; i++)
    ink_features_free (ex[i]);
  free (ex);
  free (x);
  free (y);
  return 0;
}

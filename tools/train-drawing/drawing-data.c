/* drawing-data.c: the drawing classifier's shared pieces (drawing-data.h)
 *
 * SPDX-License-Identifier: MIT
 */
#include "drawing-data.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ink-nn-private.h"

/* ---- Classes ---- */

static const char *const train_classes[] = {
  /* The starter stickers' classes. */
  "sun", "heart", "star", "house", "smiley", "arrow", "moon", "cloud", "lightning", "flower",
  /* The other trained shapes. */
  "circle", "square", "triangle", "spiral", "zigzag", "tree", "cat_face", "eye", "key", "bell",
  "envelope", "car", "mushroom", "leaf", "diamond", "hexagon", "pentagon", "plus", "checkmark",
  "musical_note", "fork", "candle", "balloon", "kite", "snowflake", "hourglass", "apple", "bird",
  "tent", "lollipop",
  /* Upper-case letters and the digits that do not look like one. */
  "glyph:A", "glyph:B", "glyph:C", "glyph:D", "glyph:E", "glyph:F", "glyph:G", "glyph:H", "glyph:I",
  "glyph:J", "glyph:K", "glyph:L", "glyph:M", "glyph:N", "glyph:O", "glyph:P", "glyph:Q", "glyph:R",
  "glyph:S", "glyph:T", "glyph:U", "glyph:V", "glyph:W", "glyph:X", "glyph:Y", "glyph:Z", "glyph:2",
  "glyph:3", "glyph:4", "glyph:5", "glyph:6", "glyph:7", "glyph:8", "glyph:9",
  /* Lower-case letters unlike their capitals and unlike the held-out ones. */
  "glyph:i", "glyph:j", "glyph:k", "glyph:p", "glyph:y",
  /* Glyphs turned a quarter clockwise (@90) and anticlockwise (@270): more
   * classes of letter-like strokes, as Omniglot's rotated characters. Only
   * glyphs whose turns look like no other class and no held-out one: not B,
   * D, E, F, M, 3 (turned, they look like m or n), not W, 9, L (their turns
   * are turns of M, 6, 7), nor the symmetric or look-alike C, H, I, N, O, S,
   * U, X, Z, 8 (8 turned is infinity). */
  "glyph:A@90", "glyph:A@270", "glyph:G@90", "glyph:G@270", "glyph:J@90", "glyph:J@270",
  "glyph:K@90", "glyph:K@270", "glyph:P@90", "glyph:P@270", "glyph:Q@90", "glyph:Q@270",
  "glyph:R@90", "glyph:R@270", "glyph:T@90", "glyph:T@270", "glyph:V@90", "glyph:V@270",
  "glyph:Y@90", "glyph:Y@270", "glyph:2@90", "glyph:2@270", "glyph:4@90", "glyph:4@270",
  "glyph:5@90", "glyph:5@270", "glyph:7@90", "glyph:7@270", NULL};

/* Never seen by the network: ten shapes, and lower-case letters that do not
 * look like their upper-case forms once framed (drawn with the held-out
 * fonts). */
static const char *const heldout_classes[] = {
  "fish",    "umbrella", "cup",     "boat",    "crown",   "ladder",  "glasses", "butterfly",
  "rocket",  "infinity", "glyph:a", "glyph:b", "glyph:d", "glyph:e", "glyph:f", "glyph:g",
  "glyph:h", "glyph:m",  "glyph:n", "glyph:q", "glyph:r", "glyph:t", NULL};

const char *const *
drawing_classes (DrawingSplit split, size_t *n)
{
  const char *const *list = split == DRAWING_TRAIN ? train_classes : heldout_classes;

  if (n != NULL) {
    *n = 0;
    while (list[*n] != NULL)
      (*n)++;
  }
  return list;
}

DoodleFontSet
drawing_font_set (DrawingSplit split)
{
  return split == DRAWING_TRAIN ? DOODLE_FONTS_TRAIN : DOODLE_FONTS_HELDOUT;
}

static const DrawingSticker stickers[DRAWING_N_STICKERS] = {
  {"sun", "☀️", "sun"},  {"heart", "❤️", "heart"}, {"star", "⭐", "star"},
  {"house", "🏠", "house"},   {"smiley", "😀", "smiley"},    {"arrow", "➡️", "arrow"},
  {"moon", "🌙", "moon"},     {"cloud", "☁️", "cloud"}, {"lightning", "⚡", "lightning"},
  {"flower", "🌸", "flower"},
};

const DrawingSticker *
drawing_stickers (void)
{
  return stickers;
}

const char *
drawing_stickers_emoji_json (void)
{
  return "{\"sun\":\"☀️\",\"heart\":\"❤️\",\"star\":\"⭐\",\"house\":\"🏠\",\"smiley\":"
         "\"😀\","
         "\"arrow\":\"➡️\",\"moon\":\"🌙\",\"cloud\":\"☁️\",\"lightning\":\"⚡\","
         "\"flower\":"
         "\"🌸\"}";
}

uint64_t
drawing_seed (DrawingSeedPurpose purpose, uint32_t a, uint32_t b)
{
  return ((uint64_t) purpose << 56) | ((uint64_t) (a & 0xffffffu) << 32) | (uint64_t) b;
}

InkStatus
drawing_render (const char *class_name, uint64_t seed, DoodleFontSet font_set,
                uint8_t pixels[DRAWING_PIXELS], InkError *err)
{
  DoodleOptions options = doodle_options_default ();
  InkDrawing *drawing = ink_drawing_new ();
  const char *turn;
  char base[64];
  InkStatus st;

  if (drawing == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  options.font_set = font_set;
  turn = strchr (class_name, '@');
  if (turn != NULL) {
    /* A turned class: the base class's sample, turned about the origin
     * (framing centres it again). y points down, so +90 is clockwise. */
    size_t len = (size_t) (turn - class_name);
    if (len >= sizeof base || (strcmp (turn, "@90") != 0 && strcmp (turn, "@270") != 0)) {
      ink_drawing_free (drawing);
      return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "unknown class %s", class_name);
    }
    memcpy (base, class_name, len);
    base[len] = '\0';
    st = doodle_generate_with (base, seed, &options, drawing, err);
    if (st == INK_OK) {
      double q = strcmp (turn, "@90") == 0 ? 1 : -1;
      ink_drawing_transform (drawing, 0, q, -q, 0, 0, 0);
    }
  } else {
    st = doodle_generate_with (class_name, seed, &options, drawing, err);
  }
  if (st == INK_OK)
    st = ink_drawing_render_gray8 (drawing, NULL, DRAWING_SIDE, DRAWING_SIDE, DRAWING_SIDE, pixels,
                                   err);
  ink_drawing_free (drawing);
  return st;
}

InkFeatures *
drawing_features (const uint8_t pixels[DRAWING_PIXELS])
{
  InkFeatures *f = ink_features_new ();
  InkValue *image;

  if (f == NULL)
    return NULL;
  image = ink_value_new_image (INK_PIXEL_GRAY8, DRAWING_SIDE, DRAWING_SIDE, DRAWING_SIDE, pixels);
  if (image == NULL || ink_features_set (f, "drawing", image) != INK_OK) {
    ink_features_free (f);
    return NULL;
  }
  return f;
}

/* ---- Generating many samples on several threads ---- */

typedef struct {
  const char *const *classes;
  size_t n_classes, per_class;
  uint32_t stream; /* the seed's middle field: run seed and epoch */
  DrawingSeedPurpose purpose;
  DoodleFontSet fonts;
  uint8_t *pixels; /* n_classes * per_class images */
  int32_t *labels;
  size_t first, count; /* this worker's share */
  InkError err;
  InkStatus status;
} GenJob;

static void *
gen_worker (void *data)
{
  GenJob *job = data;

  for (size_t i = job->first; i < job->first + job->count && job->status == INK_OK; i++) {
    size_t c = i / job->per_class, j = i % job->per_class;
    uint64_t seed = drawing_seed (job->purpose, job->stream, (uint32_t) (c << 20 | j));
    job->labels[i] = (int32_t) c;
    job->status = drawing_render (job->classes[c], seed, job->fonts,
                                  job->pixels + i * DRAWING_PIXELS, &job->err);
  }
  return NULL;
}

InkStatus
drawing_generate (const char *const *classes, size_t n_classes, size_t per_class,
                  DrawingSeedPurpose purpose, uint32_t stream, DoodleFontSet fonts, int threads,
                  uint8_t *pixels, int32_t *labels, InkError *err)
{
  GenJob jobs[64];
  pthread_t ids[64];
  bool started[64] = {false};
  size_t total = n_classes * per_class;

  if (threads < 1)
    threads = 1;
  if (threads > 64)
    threads = 64;
  for (int t = 0; t < threads; t++) {
    jobs[t] = (GenJob){.classes = classes,
                       .n_classes = n_classes,
                       .per_class = per_class,
                       .stream = stream,
                       .purpose = purpose,
                       .fonts = fonts,
                       .pixels = pixels,
                       .labels = labels,
                       .first = total * (size_t) t / (size_t) threads,
                       .count = total * (size_t) (t + 1) / (size_t) threads -
                                total * (size_t) t / (size_t) threads,
                       .status = INK_OK};
    ink_error_clear (&jobs[t].err);
  }
  for (int t = 1; t < threads; t++) {
    started[t] = pthread_create (&ids[t], NULL, gen_worker, &jobs[t]) == 0;
    if (!started[t])
      jobs[t].status = ink_error_set (&jobs[t].err, INK_ERR_NO_MEMORY, "cannot start a thread");
  }
  gen_worker (&jobs[0]);
  for (int t = 1; t < threads; t++)
    if (started[t])
      pthread_join (ids[t], NULL);
  for (int t = 0; t < threads; t++)
    if (jobs[t].status != INK_OK) {
      if (err != NULL)
        *err = jobs[t].err;
      return jobs[t].status;
    }
  return INK_OK;
}

/* ---- The network ---- */

/* 28 -> 14 -> 7 -> 3 after three 2x2 poolings (the last drops a row). */
#define FINAL_SIDE 3

static size_t
hidden_size (const DrawingNetShape *s)
{
  return s->c3 * FINAL_SIDE * FINAL_SIDE;
}

uint64_t
drawing_random (uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

size_t
drawing_draw_below (uint64_t *state, size_t n)
{
  uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;

  do
    x = drawing_random (state);
  while (x >= limit);
  return (size_t) (x % n);
}

/* Kaiming (He) uniform for a ReLU network: U(-b, b), b = sqrt(6 / fan_in). */
static float *
kaiming (size_t n, size_t fan_in, uint64_t *state)
{
  float *w = malloc (n * sizeof *w);
  double bound = sqrt (6.0 / (double) fan_in);

  if (w == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    double u = (double) (drawing_random (state) >> 11) / 9007199254740992.0;
    w[i] = (float) ((2.0 * u - 1.0) * bound);
  }
  return w;
}

void
drawing_net_free (DrawingNet *net)
{
  if (net == NULL)
    return;
  free (net->conv1_w);
  free (net->conv1_b);
  free (net->conv2_w);
  free (net->conv2_b);
  free (net->conv3_w);
  free (net->conv3_b);
  free (net->embed_w);
  free (net->embed_b);
  free (net->head_w);
  free (net->head_b);
  free (net);
}

DrawingNet *
drawing_net_new (const DrawingNetShape *shape, size_t n_classes, uint64_t seed)
{
  DrawingNet *net = calloc (1, sizeof *net);
  const DrawingNetShape *s = shape;
  size_t hidden = hidden_size (s);
  uint64_t state = seed;

  if (net == NULL)
    return NULL;
  net->shape = *s;
  net->n_classes = n_classes;
  net->conv1_w = kaiming (s->c1 * 9, 9, &state);
  net->conv1_b = calloc (s->c1, sizeof (float));
  net->conv2_w = kaiming (s->c2 * s->c1 * 9, s->c1 * 9, &state);
  net->conv2_b = calloc (s->c2, sizeof (float));
  net->conv3_w = kaiming (s->c3 * s->c2 * 9, s->c2 * 9, &state);
  net->conv3_b = calloc (s->c3, sizeof (float));
  net->embed_w = kaiming (DRAWING_EMBEDDING * hidden, hidden, &state);
  net->embed_b = calloc (DRAWING_EMBEDDING, sizeof (float));
  if (n_classes > 0) {
    /* The head sees unit-variance inputs when normalized: keep its logits
     * small at first. */
    net->head_w = kaiming (n_classes * DRAWING_EMBEDDING, DRAWING_EMBEDDING * 3, &state);
    net->head_b = calloc (n_classes, sizeof (float));
  }
  if (net->conv1_w == NULL || net->conv1_b == NULL || net->conv2_w == NULL ||
      net->conv2_b == NULL || net->conv3_w == NULL || net->conv3_b == NULL ||
      net->embed_w == NULL || net->embed_b == NULL ||
      (n_classes > 0 && (net->head_w == NULL || net->head_b == NULL))) {
    drawing_net_free (net);
    return NULL;
  }
  return net;
}

size_t
drawing_net_n_parameters (const DrawingNet *net, bool head)
{
  const DrawingNetShape *s = &net->shape;
  size_t n = s->c1 * 10 + s->c2 * (s->c1 * 9 + 1) + s->c3 * (s->c2 * 9 + 1) +
             DRAWING_EMBEDDING * (hidden_size (s) + 1);

  if (head)
    n += net->n_classes * (DRAWING_EMBEDDING + 1);
  return n;
}

typedef struct {
  InkModel *model;
  InkStatus status;
  InkError *err;
} Builder;

static void
add (Builder *b, InkLayerSpec spec, const char *name, const char *in, const char *out)
{
  const char *ins[1] = {in}, *outs[1] = {out};

  if (b->status != INK_OK)
    return;
  spec.name = name;
  spec.inputs = ins;
  spec.n_inputs = 1;
  spec.outputs = outs;
  spec.n_outputs = 1;
  b->status = ink_nn_add_layer (b->model, &spec, b->err);
}

static InkLayerSpec
conv_layer (size_t in, size_t out, const float *w, const float *bias)
{
  InkLayerSpec s = {.kind = INK_LAYER_CONVOLUTION, .updatable = true};

  s.params.convolution = (InkConvolutionParams){
    .out_channels = out,
    .kernel_channels = in,
    .kernel_h = 3,
    .kernel_w = 3,
    .padding = {.type = INK_PAD_SAME},
    .has_bias = true,
    .weights = w,
    .bias = bias,
  };
  return s;
}

static InkLayerSpec
dense_layer (size_t in, size_t out, const float *w, const float *bias)
{
  InkLayerSpec s = {.kind = INK_LAYER_INNER_PRODUCT, .updatable = true};

  s.params.inner_product = (InkInnerProductParams){
    .in_channels = in, .out_channels = out, .has_bias = true, .weights = w, .bias = bias};
  return s;
}

static InkLayerSpec
relu_layer (void)
{
  InkLayerSpec s = {.kind = INK_LAYER_ACTIVATION};

  s.params.activation.type = INK_ACT_RELU;
  return s;
}

static InkLayerSpec
pool_layer (void)
{
  InkLayerSpec s = {.kind = INK_LAYER_POOLING};

  s.params.pooling = (InkPoolingParams){
    .type = INK_POOL_MAX, .kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2};
  return s;
}

/* The layers from "drawing" to the embedding blob, which is named out. */
static void
add_body (Builder *b, const DrawingNet *net, const char *out)
{
  const DrawingNetShape *s = &net->shape;
  InkImageScaler scaler = {.feature_name = "drawing", .channel_scale = 1.0f / 255.0f};
  InkLayerSpec flatten = {.kind = INK_LAYER_FLATTEN};
  static const float one = 1.0f, zero = 0.0f;

  if (b->status == INK_OK)
    b->status = ink_nn_add_image_scaler (b->model, &scaler, b->err);
  add (b, conv_layer (1, s->c1, net->conv1_w, net->conv1_b), "conv1", "drawing", "conv1");
  add (b, relu_layer (), "relu1", "conv1", "relu1");
  add (b, pool_layer (), "pool1", "relu1", "pool1");
  add (b, conv_layer (s->c1, s->c2, net->conv2_w, net->conv2_b), "conv2", "pool1", "conv2");
  add (b, relu_layer (), "relu2", "conv2", "relu2");
  add (b, pool_layer (), "pool2", "relu2", "pool2");
  add (b, conv_layer (s->c2, s->c3, net->conv3_w, net->conv3_b), "conv3", "pool2", "conv3");
  add (b, relu_layer (), "relu3", "conv3", "relu3");
  add (b, pool_layer (), "pool3", "relu3", "pool3");
  flatten.params.flatten.order = INK_ORDER_CHANNEL_FIRST;
  add (b, flatten, "flatten", "pool3", "flat");
  if (!s->normalize) {
    add (b, dense_layer (hidden_size (s), DRAWING_EMBEDDING, net->embed_w, net->embed_b), "dense",
         "flat", "dense");
    add (b, relu_layer (), "dense_relu", "dense", out);
  } else {
    InkLayerSpec row = {.kind = INK_LAYER_RESHAPE};
    InkLayerSpec norm = {.kind = INK_LAYER_BATCHNORM};
    InkLayerSpec flat2 = {.kind = INK_LAYER_FLATTEN};

    /* [128, 1, 1] -> [1, 1, 128]: one plane, which instance normalization
     * standardizes. */
    row.params.reshape = (InkReshapeParams){.shape = {1, 1, DRAWING_EMBEDDING}};
    norm.params.batchnorm = (InkBatchnormParams){.channels = 1,
                                                 .epsilon = 1e-5f,
                                                 .compute_mean_var = true,
                                                 .gamma = &one,
                                                 .beta = &zero,
                                                 .mean = &zero,
                                                 .variance = &one};
    flat2.params.flatten.order = INK_ORDER_CHANNEL_FIRST;
    add (b, dense_layer (hidden_size (s), DRAWING_EMBEDDING, net->embed_w, net->embed_b), "dense",
         "flat", "dense");
    add (b, row, "to_row", "dense", "dense_row");
    add (b, norm, "standardize", "dense_row", "standardized");
    add (b, flat2, "to_vector", "standardized", out);
  }
}

static InkFeatureType
drawing_type (void)
{
  return ink_feature_type_image (INK_PIXEL_GRAY8, DRAWING_SIDE, DRAWING_SIDE);
}

static InkFeatureType
embedding_type (void)
{
  const int64_t shape[1] = {DRAWING_EMBEDDING};

  return ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, shape);
}

#define DRAWING_DESCRIPTION "A drawing: 28x28 grayscale, white strokes on black"
#define EMBEDDING_DESCRIPTION "The drawing's embedding: 128 values"

InkModel *
drawing_net_build_trainer (const DrawingNet *net, InkError *err)
{
  Builder b = {ink_nn_new (INK_MODEL_NEURAL_NETWORK_CLASSIFIER), INK_OK, err};
  InkFeatureType image = drawing_type ();
  InkFeatureType label = ink_feature_type_int64 ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_INT64);
  InkLayerSpec softmax = {.kind = INK_LAYER_SOFTMAX};
  int64_t *labels;

  if (b.model == NULL || net->n_classes == 0) {
    ink_model_free (b.model);
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  labels = malloc (net->n_classes * sizeof *labels);
  if (labels == NULL) {
    ink_model_free (b.model);
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < net->n_classes; i++)
    labels[i] = (int64_t) i;
  if ((b.status = ink_model_add_input (b.model, "drawing", &image, "", err)) == INK_OK &&
      (b.status = ink_model_add_output (b.model, "classLabel", &label, "", err)) == INK_OK &&
      (b.status = ink_model_add_output (b.model, "classProbability", &probs, "", err)) == INK_OK &&
      (b.status = ink_model_add_training_input (b.model, "drawing", &image, "", err)) == INK_OK)
    b.status = ink_model_add_training_input (b.model, "classLabel", &label, "", err);
  if (b.status == INK_OK) {
    ink_model_set_predicted_feature_name (b.model, "classLabel");
    ink_model_set_predicted_probabilities_name (b.model, "classProbability");
    ink_model_set_class_labels_int64 (b.model, labels, net->n_classes);
  }
  free (labels);
  add_body (&b, net, "embedding");
  add (&b, dense_layer (DRAWING_EMBEDDING, net->n_classes, net->head_w, net->head_b), "head",
       "embedding", "logits");
  add (&b, softmax, "softmax", "logits", "probs");
  if (b.status == INK_OK)
    b.status =
      ink_nn_set_loss (b.model, "loss", INK_LOSS_CATEGORICAL_CROSS_ENTROPY, "probs", "classLabel");
  if (b.status == INK_OK)
    b.status = ink_nn_set_optimizer (b.model, INK_OPTIMIZER_ADAM);
  if (b.status == INK_OK)
    b.status = ink_model_finish (b.model, err);
  if (b.status != INK_OK) {
    ink_model_free (b.model);
    return NULL;
  }
  return b.model;
}

/* Copies a trained layer's slot back into dst (count floats). */
static InkStatus
read_slot (const InkModel *model, const char *layer, int slot, float *dst, size_t count,
           InkError *err)
{
  const InkNetwork *nn = model->body.nn;

  for (size_t i = 0; i < nn->n_layers; i++) {
    const InkLayer *l = &nn->layers[i];
    if (strcmp (l->name, layer) != 0)
      continue;
    if (l->w[slot].count != count)
      return ink_error_set (err, INK_ERR_SHAPE_MISMATCH, "layer %s holds %zu values, not %zu",
                            layer, l->w[slot].count, count);
    memcpy (dst, l->w[slot].data, count * sizeof *dst);
    return INK_OK;
  }
  return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no layer %s", layer);
}

InkStatus
drawing_net_read_back (DrawingNet *net, const InkModel *model, InkError *err)
{
  const DrawingNetShape *s = &net->shape;
  struct {
    const char *layer;
    int slot;
    float *dst;
    size_t count;
  } slots[] = {
    {"conv1", INK_W_WEIGHTS, net->conv1_w, s->c1 * 9},
    {"conv1", INK_W_BIAS, net->conv1_b, s->c1},
    {"conv2", INK_W_WEIGHTS, net->conv2_w, s->c2 * s->c1 * 9},
    {"conv2", INK_W_BIAS, net->conv2_b, s->c2},
    {"conv3", INK_W_WEIGHTS, net->conv3_w, s->c3 * s->c2 * 9},
    {"conv3", INK_W_BIAS, net->conv3_b, s->c3},
    {"dense", INK_W_WEIGHTS, net->embed_w, DRAWING_EMBEDDING * hidden_size (s)},
    {"dense", INK_W_BIAS, net->embed_b, DRAWING_EMBEDDING},
    {"head", INK_W_WEIGHTS, net->head_w, net->n_classes * DRAWING_EMBEDDING},
    {"head", INK_W_BIAS, net->head_b, net->n_classes},
  };

  for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
    InkStatus st;
    if (slots[i].dst == NULL)
      continue;
    st = read_slot (model, slots[i].layer, slots[i].slot, slots[i].dst, slots[i].count, err);
    if (st != INK_OK)
      return st;
  }
  return INK_OK;
}

InkModel *
drawing_net_build_embedding (const DrawingNet *net, InkError *err)
{
  Builder b = {ink_nn_new (INK_MODEL_NEURAL_NETWORK), INK_OK, err};
  InkFeatureType image = drawing_type ();
  InkFeatureType embedding = embedding_type ();

  if (b.model == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  if ((b.status = ink_model_add_input (b.model, "drawing", &image, DRAWING_DESCRIPTION, err)) ==
      INK_OK)
    b.status = ink_model_add_output (b.model, "embedding", &embedding, EMBEDDING_DESCRIPTION, err);
  add_body (&b, net, "embedding");
  if (b.status != INK_OK) {
    ink_model_free (b.model);
    return NULL;
  }
  /* No layer of it is updatable: only the k-NN learns on the device. */
  for (size_t i = 0; i < b.model->body.nn->n_layers; i++)
    b.model->body.nn->layers[i].updatable = false;
  return b.model;
}

/* ---- The bundled classifier ---- */

/* Updatable models need Core ML 3 (specification version 4). */
#define SPECIFICATION_VERSION 4

#define LABEL_DESCRIPTION "The most likely sticker, or \"unknown\" when none is known"
#define PROBABILITY_DESCRIPTION "Each sticker's probability"

InkModel *
drawing_knn_new (const DrawingClassifierOptions *o, InkError *err)
{
  InkModel *knn = ink_knn_new (DRAWING_EMBEDDING, o->weighting, o->k, false);
  InkFeatureType embedding = embedding_type ();
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probabilities = ink_feature_type_dictionary (INK_KEY_STRING);
  InkUpdateParameter neighbors = {
    .key = INK_PARAM_NUMBER_OF_NEIGHBORS,
    .type = INK_PARAM_INT64,
    .default_value = (double) o->k,
    .has_range = true,
    .min = 1,
    .max = 10,
  };
  InkStatus st;

  if (knn == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  if ((st = ink_model_set_specification_version (knn, SPECIFICATION_VERSION)) == INK_OK &&
      (st = ink_knn_set_default_label_string (knn, "unknown")) == INK_OK &&
      (st = ink_model_add_input (knn, "embedding", &embedding, EMBEDDING_DESCRIPTION, err)) ==
        INK_OK &&
      (st = ink_model_add_output (knn, "label", &label, LABEL_DESCRIPTION, err)) == INK_OK &&
      (st = ink_model_add_output (knn, "labelProbability", &probabilities, PROBABILITY_DESCRIPTION,
                                  err)) == INK_OK &&
      (st = ink_model_add_training_input (knn, "embedding", &embedding, EMBEDDING_DESCRIPTION,
                                          err)) == INK_OK &&
      (st = ink_model_add_training_input (knn, "label", &label, "The sticker the example shows",
                                          err)) == INK_OK &&
      (st = ink_model_set_predicted_feature_name (knn, "label")) == INK_OK &&
      (st = ink_model_set_predicted_probabilities_name (knn, "labelProbability")) == INK_OK &&
      (st = ink_model_set_updatable (knn, true)) == INK_OK)
    st = ink_model_set_update_parameter (knn, &neighbors, err);
  if (st != INK_OK) {
    if (err != NULL && err->status == INK_OK)
      ink_error_set (err, st, "cannot describe the k-NN");
    ink_model_free (knn);
    return NULL;
  }
  return knn;
}

InkModel *
drawing_classifier_new (InkModel *embedding, const DrawingClassifierOptions *o, InkError *err)
{
  InkModel *pipeline = ink_pipeline_new (INK_MODEL_PIPELINE_CLASSIFIER), *knn;
  InkFeatureType drawing = drawing_type ();
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probabilities = ink_feature_type_dictionary (INK_KEY_STRING);
  InkMetadata metadata = {
    .short_description = "Inkling drawing classifier",
    .version = o->version,
    .author = "Inkling contributors",
    .license = "MIT",
  };
  InkStatus st;

  if (pipeline == NULL) {
    ink_model_free (embedding);
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  if ((st = ink_model_set_specification_version (pipeline, SPECIFICATION_VERSION)) == INK_OK &&
      (st = ink_model_set_specification_version (embedding, SPECIFICATION_VERSION)) == INK_OK &&
      (st = ink_model_add_input (pipeline, "drawing", &drawing, DRAWING_DESCRIPTION, err)) ==
        INK_OK &&
      (st = ink_model_add_output (pipeline, "label", &label, LABEL_DESCRIPTION, err)) == INK_OK &&
      (st = ink_model_add_output (pipeline, "labelProbability", &probabilities,
                                  PROBABILITY_DESCRIPTION, err)) == INK_OK &&
      (st = ink_model_add_training_input (pipeline, "drawing", &drawing, DRAWING_DESCRIPTION,
                                          err)) == INK_OK &&
      (st = ink_model_add_training_input (pipeline, "label", &label,
                                          "The sticker the drawing shows", err)) == INK_OK &&
      (st = ink_model_set_predicted_feature_name (pipeline, "label")) == INK_OK &&
      (st = ink_model_set_predicted_probabilities_name (pipeline, "labelProbability")) == INK_OK &&
      (st = ink_model_set_updatable (pipeline, true)) == INK_OK &&
      (st = ink_model_set_metadata (pipeline, &metadata)) == INK_OK)
    st = ink_model_set_user_metadata (pipeline, DRAWING_EMOJI_KEY, drawing_stickers_emoji_json ());
  if (st != INK_OK) {
    if (err != NULL && err->status == INK_OK)
      ink_error_set (err, st, "cannot describe the pipeline");
    ink_model_free (embedding);
    ink_model_free (pipeline);
    return NULL;
  }
  /* The pipeline owns its stages from here on. */
  st = ink_pipeline_add_model (pipeline, "embedding", embedding, err);
  if (st == INK_OK) {
    knn = drawing_knn_new (o, err);
    st =
      knn == NULL ? INK_ERR_NO_MEMORY : ink_pipeline_add_model (pipeline, "classifier", knn, err);
  }
  if (st != INK_OK) {
    ink_model_free (pipeline);
    return NULL;
  }
  return pipeline;
}

InkStatus
drawing_embed (const InkModel *network, const char *output_name,
               const uint8_t pixels[DRAWING_PIXELS], float *out, InkError *err)
{
  InkFeatures *in = drawing_features (pixels), *outputs = NULL;
  const InkValue *v;
  InkStatus st;

  if (in == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  st = ink_model_predict (network, in, &outputs, err);
  ink_features_free (in);
  if (st != INK_OK)
    return st;
  v = ink_features_get (outputs, output_name);
  if (v == NULL || ink_value_get_type (v) != INK_VALUE_MULTIARRAY ||
      ink_value_array_count (v) != DRAWING_EMBEDDING) {
    ink_features_free (outputs);
    return ink_error_set (err, INK_ERR_SHAPE_MISMATCH, "no %d-value output %s", DRAWING_EMBEDDING,
                          output_name);
  }
  for (size_t i = 0; i < DRAWING_EMBEDDING; i++)
    out[i] = (float) ink_value_array_get (v, i);
  ink_features_free (outputs);
  return INK_OK;
}

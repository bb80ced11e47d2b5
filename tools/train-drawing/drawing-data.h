/* drawing-data.h: what the drawing classifier's tools share: the class
 * split, the seed spaces, rendering a sample as the app does, the network
 * and the bundled classifier
 *
 * inkling-train-drawing (train-drawing.c), inkling-eval-drawing
 * (tools/eval-drawing) and the data suite's test of the bundled model all
 * go through these, so that they agree on which classes and seeds are for
 * what.
 *
 * Classes. The network is trained on DRAWING_TRAIN classes: 40 of the
 * generator's 50 shapes (among them the ten starter stickers), 39 glyph
 * classes (A-Z, 2-9, i, j, k, p, y) drawn with the generator's training
 * fonts, and 28 of those glyphs turned a quarter either way ("glyph:A@90",
 * "glyph:A@270": classes of their own). It never
 * sees the DRAWING_HELDOUT classes: 10 shapes and 12 lower-case letters
 * (drawn with the held-out fonts), which the few-shot evaluation teaches
 * from 3 drawings each.
 *
 * Seeds. Every sample's seed is drawing_seed (purpose, a, b): the purpose
 * (training, starter stickers, validation, evaluation, tests) is in the top
 * byte, so no two purposes ever share a sample.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doodle.h"
#include "ink.h"

#define DRAWING_SIDE 28
#define DRAWING_PIXELS (DRAWING_SIDE * DRAWING_SIDE)

/* The embedding's length (as Apple's TinyDrawingEmbedding's). */
#define DRAWING_EMBEDDING 128

typedef enum {
  DRAWING_TRAIN = 0,   /* classes the network is trained on */
  DRAWING_HELDOUT = 1, /* classes it never sees (few-shot evaluation) */
} DrawingSplit;

/* The class names of a split, a static NULL-terminated array; *n their
 * number. */
const char *const *drawing_classes (DrawingSplit split, size_t *n);

/* The fonts a class's glyphs are drawn with: training fonts for training
 * classes, held-out fonts for held-out ones (shapes ignore it). */
DoodleFontSet drawing_font_set (DrawingSplit split);

typedef struct {
  const char *label; /* the k-NN's label: the sticker's word */
  const char *emoji;
  const char *doodle_class; /* the generator's class */
} DrawingSticker;

#define DRAWING_N_STICKERS 10

/* The starter stickers, in a fixed order. */
const DrawingSticker *drawing_stickers (void);

/* The user metadata key whose value maps each label to its emoji, as a JSON
 * object ({"sun": "☀️", ...}); see docs/FORMATS.md. */
#define DRAWING_EMOJI_KEY "inkling.emoji"

/* The JSON object above for the starter stickers (static). */
const char *drawing_stickers_emoji_json (void);

typedef enum {
  DRAWING_SEEDS_TRAIN = 1,    /* network training */
  DRAWING_SEEDS_STARTER = 2,  /* the starter stickers' k-NN examples */
  DRAWING_SEEDS_VALIDATE = 3, /* design choices (k, weighting, network) */
  DRAWING_SEEDS_EVALUATE = 4, /* the numbers in docs/MODELS.md, never tuned on */
  DRAWING_SEEDS_TEST = 5,     /* the data suite's fixed drawings */
} DrawingSeedPurpose;

/* The tools' random numbers (splitmix64): the next value of a stream, and
 * an unbiased draw in 0..n-1 (n > 0). */
uint64_t drawing_random (uint64_t *state);
size_t drawing_draw_below (uint64_t *state, size_t n);

/* A sample seed: purpose in the top 8 bits, a in the next 24, b in the low
 * 32. */
uint64_t drawing_seed (DrawingSeedPurpose purpose, uint32_t a, uint32_t b);

/* Generates a sample of class_name for seed (glyphs with the fonts of
 * font_set; a name ending in "@90" or "@270" is its base class's sample
 * turned a quarter clockwise or anticlockwise) and renders it as the app renders a drawing for the model: the
 * default render options at 28x28 gray (white ink on black). Thread-safe. */
InkStatus drawing_render (const char *class_name, uint64_t seed, DoodleFontSet font_set,
                          uint8_t pixels[DRAWING_PIXELS], InkError *err);

/* Renders per_class samples of each of the n_classes classes into pixels
 * (n_classes * per_class images of DRAWING_PIXELS bytes, class by class)
 * and their class indices into labels, on threads threads (1..64). Sample j
 * of class c has the seed drawing_seed (purpose, stream, c << 20 | j): the
 * result does not depend on the thread count. */
InkStatus drawing_generate (const char *const *classes, size_t n_classes, size_t per_class,
                            DrawingSeedPurpose purpose, uint32_t stream, DoodleFontSet fonts,
                            int threads, uint8_t *pixels, int32_t *labels, InkError *err);

/* A features provider holding "drawing", a 28x28 GRAY8 image of pixels
 * (copied); NULL when out of memory. */
InkFeatures *drawing_features (const uint8_t pixels[DRAWING_PIXELS]);

/* ---- The network ---- */

typedef struct {
  size_t c1, c2, c3; /* convolution widths (3x3, same padding), each then
                      * ReLU and 2x2 max pooling: 28 -> 14 -> 7 -> 3 */
  /* The embedding is the dense layer's output standardized across its 128
   * values (instance normalization: zero mean, unit variance, so every
   * embedding has the same length and k-NN distances compare directions),
   * instead of passed through a ReLU as Apple's is. */
  bool normalize;
} DrawingNetShape;

/* The network's trainable arrays, Core ML's layouts. */
typedef struct {
  DrawingNetShape shape;
  float *conv1_w, *conv1_b, *conv2_w, *conv2_b, *conv3_w, *conv3_b;
  float *embed_w, *embed_b; /* hidden -> DRAWING_EMBEDDING */
  size_t n_classes;         /* the training head, or 0 */
  float *head_w, *head_b;   /* DRAWING_EMBEDDING -> n_classes */
} DrawingNet;

/* Random initial weights (Kaiming uniform, zero biases) from seed; the head
 * has n_classes outputs. NULL when out of memory. */
DrawingNet *drawing_net_new (const DrawingNetShape *shape, size_t n_classes, uint64_t seed);
void drawing_net_free (DrawingNet *net);
/* Trainable parameters without (head = false) or with the head. */
size_t drawing_net_n_parameters (const DrawingNet *net, bool head);

/* The training network: a neuralNetworkClassifier with int64 classes
 * 0..n_classes-1, input "drawing", the head and a softmax, categorical
 * cross-entropy against "classLabel". Finished; NULL on error. */
InkModel *drawing_net_build_trainer (const DrawingNet *net, InkError *err);

/* Reads the trained weights back from a network built by
 * drawing_net_build_trainer. */
InkStatus drawing_net_read_back (DrawingNet *net, const InkModel *model, InkError *err);

/* The embedding network: a neuralNetwork from "drawing" to "embedding"
 * [128] (no head). Not finished (a pipeline finishes it). */
InkModel *drawing_net_build_embedding (const DrawingNet *net, InkError *err);

/* ---- The bundled classifier ---- */

typedef struct {
  int64_t k;                 /* numberOfNeighbors' default */
  InkKnnWeighting weighting; /* the k-NN's weighting */
  const char *version;       /* metadata version */
} DrawingClassifierOptions;

/* The pipeline classifier: the embedding network, then an updatable k-NN
 * (default label "unknown", numberOfNeighbors k in 1..10) with no examples.
 * Takes ownership of embedding. Not finished; NULL on error. */
InkModel *drawing_classifier_new (InkModel *embedding, const DrawingClassifierOptions *options,
                                  InkError *err);

/* The k-NN alone: input "embedding" (DRAWING_EMBEDDING floats), outputs
 * "label" and "labelProbability", updatable, no examples. Not finished. */
InkModel *drawing_knn_new (const DrawingClassifierOptions *options, InkError *err);

/* Runs the first stage of a pipeline (or a network) on a drawing and copies
 * its float output named output_name (DRAWING_EMBEDDING values) into out. */
InkStatus drawing_embed (const InkModel *network, const char *output_name,
                         const uint8_t pixels[DRAWING_PIXELS], float *out, InkError *err);

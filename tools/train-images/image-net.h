/* image-net.h: the image classifier's network, its examples and its
 * evaluation, shared by the training and evaluation commands
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "fmnist.h"
#include "ink.h"

/* The architecture (docs/MODELS.md, "Image classifier"):
 *
 *   image: 28x28 Gray8, scaled by 1/255
 *   conv1  3x3, 1 -> C1, same padding   [C1, 28, 28]   relu1, pool1 (max 2x2)
 *   conv2  3x3, C1 -> C2, same padding  [C2, 14, 14]   relu2, pool2 (max 2x2)
 *   flatten                             [C2 * 7 * 7]
 *   fc1    inner product -> HIDDEN      relu3          (updatable)
 *   fc2    inner product -> 10          softmax        (updatable)
 */
#define NET_C1 16
#define NET_C2 32
#define NET_HIDDEN 128
#define NET_FLAT (NET_C2 * 7 * 7)

/* Names: the input, the outputs, the probabilities blob the loss reads. */
#define NET_INPUT "image"
#define NET_LABEL "label"
#define NET_PROBABILITY "labelProbability"

/* Defaults of the update parameters the model declares. */
#define NET_UPDATE_EPOCHS 10
#define NET_UPDATE_LEARNING_RATE 0.01
#define NET_UPDATE_MINI_BATCH 16
#define NET_UPDATE_MOMENTUM 0.9

#define NET_ERROR g_quark_from_static_string ("inkling-train-images")

/* splitmix64: the tools' only random source. */
uint64_t net_rand (uint64_t *state);
/* Uniform in [0, 1). */
double net_uniform (uint64_t *state);
/* Uniform in [0, n), unbiased. */
size_t net_below (uint64_t *state, size_t n);

/* The model, with its interface, metadata, update configuration and fresh
 * weights drawn from seed (He-uniform weights, zero biases), finished. */
InkModel *net_new (uint64_t seed, GError **error);

/* One training example: the 28x28 pixels and a label (NULL: none). */
InkFeatures *net_example (const uint8_t *pixels, const char *label);

/* Runs the model on each of the n images of split at indices (NULL: all
 * of it) on threads threads; predicted[i] receives the label index of
 * image i of the list. */
bool net_predict_split (const InkModel *model, const FmnistSplit *split, const size_t *indices,
                        size_t n, int threads, int *predicted, GError **error);

/* The fraction of the n images of split at indices (NULL: all of it) that
 * the model labels right, or -1 on error; when not NULL, correct_per_class
 * and total_per_class are incremented per true class. */
double net_accuracy (const InkModel *model, const FmnistSplit *split, const size_t *indices,
                     size_t n, int threads, int correct_per_class[FMNIST_CLASSES],
                     int total_per_class[FMNIST_CLASSES], GError **error);

/* Sets error from an engine error. */
void net_set_error (GError **error, const char *what, InkStatus status, const InkError *err);

/* Loads a .mlmodel (compiled in memory) or a compiled .inkmodel. */
InkModel *net_load (const char *path, GError **error);

/* fmnist.h: the Fashion-MNIST data set (Zalando Research, MIT licence), read
 * from the gzipped IDX files of Debian's dataset-fashion-mnist
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#define FMNIST_SIDE 28
#define FMNIST_PIXELS (FMNIST_SIDE * FMNIST_SIDE)
#define FMNIST_CLASSES 10

/* Where Debian's dataset-fashion-mnist puts the files. */
#define FMNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

/* The model's class labels, in Fashion-MNIST's class order (0..9). The
 * data set's "T-shirt/top" is "T-shirt" here, so that every label can name
 * a folder (inkling-cli update --examples DIR/LABEL/...). */
extern const char *const fmnist_labels[FMNIST_CLASSES];

/* fmnist_labels[i] in lower case with spaces as '-', for file names. */
const char *fmnist_slug (int label);

/* The label's index, or -1. */
int fmnist_label_index (const char *label);

typedef struct {
  size_t n;
  uint8_t *images; /* n x 28 x 28, row by row; 0 is the background (black) */
  uint8_t *labels; /* n class indices */
} FmnistSplit;

/* Reads split "train" (60000 images) or "t10k" (the 10000 test images) from
 * dir (NULL: FMNIST_DEFAULT_DIR): DIR/SPLIT-images-idx3-ubyte.gz and
 * DIR/SPLIT-labels-idx1-ubyte.gz (uncompressed files without ".gz" are read
 * too). */
bool fmnist_load (const char *dir, const char *split, FmnistSplit *out, GError **error);
void fmnist_clear (FmnistSplit *split);

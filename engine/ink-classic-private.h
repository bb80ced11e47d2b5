/* ink-classic-private.h: read-only views of the tree ensemble, GLM and k-NN
 * bodies, for code that writes them out (the Core ML writer)
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "ink-model-private.h"

/* Everything borrowed from the model, valid until it changes. */
typedef struct {
  size_t n_dimensions;
  InkTreeTransform transform;
  const double *base; /* NULL when n_base is 0 (zeros) */
  size_t n_base;
  size_t n_nodes;
} InkTreeEnsembleView;

/* false when model is not a tree ensemble with a body. */
bool ink_tree_ensemble_view (const InkModel *model, InkTreeEnsembleView *view);
/* Node i (below n_nodes), in the order the nodes were added. */
InkTreeNode ink_tree_ensemble_node (const InkModel *model, size_t i);

typedef struct {
  const double *weights; /* n_rows x n_columns, row-major */
  const double *offsets; /* n_rows */
  size_t n_rows, n_columns;
  InkGlmTransform transform;
  InkGlmEncoding encoding; /* classifiers */
} InkGlmView;

bool ink_glm_view (const InkModel *model, InkGlmView *view);

typedef struct {
  size_t dimensions;
  InkKnnWeighting weighting;
  int64_t k;
  bool labels_int64;
  size_t n_examples;
  const float *samples;           /* n_examples x dimensions */
  const InkLabels *labels;        /* one per example */
  const InkLabels *default_label; /* one entry, or NULL when there is none */
} InkKnnView;

bool ink_knn_view (const InkModel *model, InkKnnView *view);

/* ink-nn-train-private.h: training a neural network by backpropagation
 *
 * Used by update tasks (ink-update.c) and by the project's own tools that
 * train the bundled models from scratch. Not thread-safe: one trainer is
 * used by one thread at a time (it may run its own compute threads).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "ink-nn-private.h"

typedef struct InkNnTrainer InkNnTrainer;

typedef struct {
  InkOptimizerType optimizer;
  double learning_rate;
  double momentum;          /* SGD: v = momentum * v + g; w -= learning_rate * v */
  double beta1, beta2, eps; /* Adam, with bias correction (as PyTorch) */
} InkOptimizerConfig;

/* Prepares to train model, a neural network (classifier, regressor or
 * plain) with a loss, in place: its weights change with every step, so
 * the caller passes its own private copy. Only layers marked updatable
 * change, unless train_all is set (the tools that train a network from
 * scratch). threads: compute threads for a mini-batch (>= 1). Fails when
 * the network has no loss, or nothing to train. */
InkNnTrainer *ink_nn_trainer_new (InkModel *model, bool train_all, int threads, InkError *err);
void ink_nn_trainer_free (InkNnTrainer *trainer);

/* Sets or changes the optimizer's hyperparameters; the optimizer's state
 * (momentum buffers, Adam moments and step count) is kept. */
void ink_nn_trainer_set_optimizer (InkNnTrainer *trainer, const InkOptimizerConfig *config);

/* One mini-batch: forward, loss, backward over the n examples (each with the
 * network's inputs and the loss target), then one optimizer step with the
 * gradient averaged over the examples. *loss is the mean loss before the
 * step. The result depends only on the inputs, the weights, the optimizer
 * state and the thread count. */
InkStatus ink_nn_trainer_step (InkNnTrainer *trainer, const InkFeatures *const *examples,
                               size_t n, double *loss, InkError *err);

/* The mean loss over n examples, changing nothing. */
InkStatus ink_nn_trainer_loss (InkNnTrainer *trainer, const InkFeatures *const *examples,
                               size_t n, double *loss, InkError *err);

/* For gradient checks: the gradient of the mean loss over the examples with
 * respect to every trainable weight, without a step. grads receives one
 * float array per trainable (layer, slot), in layer order then slot order;
 * *n_arrays their number; the arrays are owned by the trainer and valid
 * until the next call. */
InkStatus ink_nn_trainer_gradients (InkNnTrainer *trainer, const InkFeatures *const *examples,
                                    size_t n, float *const **grads, size_t *n_arrays,
                                    InkError *err);

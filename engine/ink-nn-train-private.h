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
 * scratch): their weights and bias (convolution, deconvolution, inner
 * product) or gamma and beta (batchnorm), made owned first when they are
 * mapped from a file. threads: compute threads for a mini-batch (>= 1; 0
 * or less means one per processor; at most 64): each takes a contiguous
 * share of the examples, and their gradients are summed in a fixed order.
 * The optimizer starts as the model declares it (its optimizer type and
 * the defaults of its learningRate, momentum, beta1, beta2 and eps
 * parameters; else SGD, 0.01, 0, 0.9, 0.999, 1e-8). Fails when the network
 * has no loss, or nothing to train before its loss input. */
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
InkStatus ink_nn_trainer_step (InkNnTrainer *trainer, const InkFeatures *const *examples, size_t n,
                               double *loss, InkError *err);

/* The mean loss over n examples, changing nothing. */
InkStatus ink_nn_trainer_loss (InkNnTrainer *trainer, const InkFeatures *const *examples, size_t n,
                               double *loss, InkError *err);

/* For gradient checks: the gradient of the mean loss over the examples with
 * respect to every trainable weight, without a step. grads receives one
 * float array per trainable (layer, slot), in layer order then slot order;
 * *n_arrays their number; the arrays are owned by the trainer and valid
 * until the next call. */
InkStatus ink_nn_trainer_gradients (InkNnTrainer *trainer, const InkFeatures *const *examples,
                                    size_t n, float *const **grads, size_t *n_arrays,
                                    InkError *err);

/* ---- Building blocks (ink-loss.c, ink-optimizer.c) ----
 *
 * Per-example losses. Each returns the example's loss and, when d is not
 * NULL, ADDS the derivative of that loss with respect to its input into d
 * (the trainer averages over the mini-batch afterwards).
 *
 * Categorical cross-entropy, Core ML's categoricalCrossEntropyLossLayer:
 * L = -log p[target] over the n probabilities p (the softmax output).
 * _softmax is the fused form used when a softmax layer over the n values
 * produces p: the loss is computed from the softmax's input z as
 * log(sum exp z) - z[target] (in double, stable), and d (with respect to z)
 * gets p - onehot(target), so the softmax layer itself is skipped by the
 * backward pass. The unfused form clamps p[target] at INK_LOSS_CCE_MIN_P.
 *
 * Mean squared error, Core ML's meanSquaredErrorLossLayer, defined as
 * torch.nn.MSELoss(reduction='mean') over the mini-batch: one example's
 * loss is the mean over its n elements of (x - t)^2, d gets 2 (x - t) / n,
 * and the mini-batch's loss is the mean of its examples' losses (so the
 * mean over every element of the batch, as PyTorch's). */
#define INK_LOSS_CCE_MIN_P 1e-12

double ink_loss_cce (const float *p, size_t n, size_t target, float *d);
double ink_loss_cce_softmax (const float *z, const float *p, size_t n, size_t target, float *d);
double ink_loss_mse (const float *x, const float *t, size_t n, float *d);

/* Reads an example's loss target from value. Cross-entropy: the class
 * index into the n scores, *class_index; a string target is looked up in
 * the model's string class labels; an int64 in its int64 class labels when
 * it has them, else it is the index itself; a double or a one-element
 * multi-array is the index (an integral value). Mean squared error: n
 * floats into t, from a multi-array of n elements (any element type) or,
 * when n is 1, a double or an int64. The error names the target. */
InkStatus ink_loss_read_target (const InkModel *model, InkLossType type, const char *name,
                                const InkValue *value, size_t n, size_t *class_index, float *t,
                                InkError *err);

/* Optimizer steps over n weights w with gradient g, as PyTorch computes
 * them in float32.
 *
 * SGD (torch.optim.SGD, no dampening, no Nesterov, no weight decay):
 * v = momentum * v + g; w -= lr * v. With momentum 0, w -= lr * g (v is
 * left alone). v starts at zero, so the first step is v = g, as PyTorch's
 * first step is.
 *
 * Adam (torch.optim.Adam, no weight decay, no AMSGrad): step is the step
 * count after incrementing (1 on the first step); m = beta1 m + (1 - beta1)
 * g; v = beta2 v + (1 - beta2) g^2; w -= (lr / (1 - beta1^step)) * m /
 * (sqrt(v) / sqrt(1 - beta2^step) + eps). */
void ink_optimizer_sgd (float *w, float *v, const float *g, size_t n, double lr, double momentum);
void ink_optimizer_adam (float *w, float *m, float *v, const float *g, size_t n, double lr,
                         double beta1, double beta2, double eps, int64_t step);

/* ink-nn-train.c: training a neural network by backpropagation
 *
 * One mini-batch is split into contiguous chunks, one per compute thread.
 * Each thread runs its examples one at a time: the forward pass into its
 * own workspace (layers no trained weight reaches run as at inference,
 * fused and blocked), the loss and its derivative, then the layers in
 * reverse with ink_nn_layer_backward, which adds every example's weight
 * derivatives into the thread's gradient buffers; inner products keep their
 * examples' inputs and output derivatives and add their weight derivatives
 * 16 examples at a time. The buffers are then summed in thread order (the
 * first thread's is the mini-batch's own) and divided by the batch size,
 * and the optimizer takes one step. Nothing
 * is allocated per example or per mini-batch: the buffers and threads are
 * made once, by ink_nn_trainer_new.
 *
 * What the backward pass visits is planned once too: a blob is "down" when
 * it depends on a trained weight, "up" when the loss depends on it. Only
 * layers whose output is both are visited; only the derivatives of blobs
 * that are both are kept (and zeroed per example).
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-nn-train-private.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ink-nn-backward-private.h"

#define MAX_THREADS 64
/* Inner products' weight derivatives are added a group of examples at a
 * time (ink_kernel_dense_weight_grad): each example's input and output
 * derivative are kept until the group is full or the chunk ends. */
#define GROUP_ROWS 16

/* A trained weight slot. */
typedef struct {
  size_t layer;
  int slot;
  size_t count;
  size_t offset; /* into every gradient and optimizer-state array */
} Param;

/* A layer the backward pass visits, and where its derivatives go. */
typedef struct {
  size_t layer;
  size_t first_input;           /* into InkNnTrainer.input_blobs, n_inputs entries */
  size_t w_offset[INK_W_SLOTS]; /* into the gradient buffers; SIZE_MAX: not trained */
  size_t dense;                 /* into InkNnTrainer.dense; SIZE_MAX: weights added per example */
} BackLayer;

/* An inner product whose trained weights' derivative is added per group. */
typedef struct {
  size_t n_in, n_out;
  size_t x_offset, dy_offset; /* into Worker.rows: GROUP_ROWS rows of each */
  size_t w_offset;
} DenseGrad;

typedef struct {
  InkNnTrainer *trainer;
  pthread_t thread;
  bool started;
  float *ws;      /* the forward workspace */
  float *d;       /* derivatives, at the blobs' workspace offsets */
  float *scratch; /* for ink_nn_layer_backward */
  float *grad;    /* weight derivatives summed over this thread's examples */
  float *target;  /* mean squared error target */
  float **d_in;
  float *rows;   /* the group's inputs and output derivatives, per DenseGrad */
  size_t n_rows; /* examples in the group so far */
  /* The current job: examples [begin, end), and its results. */
  size_t begin, end;
  double loss;
  InkStatus status;
  InkError err;
} Worker;

struct InkNnTrainer {
  InkModel *model;
  InkNetwork *nn;
  InkOptimizerConfig config;

  Param *params;
  size_t n_params, n_weights;
  BackLayer *back;
  size_t n_back;
  int *input_blobs; /* per visited layer input: the blob whose derivative it adds to, or -1 */
  size_t *zero_blobs;
  size_t n_zero;
  int loss_blob;
  size_t loss_count;
  int logits_blob; /* fused cross-entropy: the softmax layer's input; else -1 */
  DenseGrad *dense;
  size_t n_dense, dense_floats;
  bool *at_inference; /* per layer: not visited by the backward pass */

  float *grad; /* the mini-batch's mean gradient */
  float **grad_arrays;
  float *sgd_v, *adam_m, *adam_v;
  int64_t adam_step;

  Worker *workers;
  int n_workers;
  /* The compute threads (workers 1 and up) wait for a new generation. */
  pthread_mutex_t lock;
  pthread_cond_t start, done;
  bool sync_ready;
  unsigned generation;
  int pending;
  bool quit;
  bool job_backward;
  const InkFeatures *const *job_examples;
};

/* ---- One thread's share of a mini-batch ---- */

static void
flush_dense (InkNnTrainer *t, Worker *w)
{
  for (size_t i = 0; i < t->n_dense && w->n_rows > 0; i++) {
    const DenseGrad *g = &t->dense[i];
    ink_kernel_dense_weight_grad (w->n_rows, g->n_out, g->n_in, w->rows + g->dy_offset,
                                  w->rows + g->x_offset, w->grad + g->w_offset);
  }
  w->n_rows = 0;
}

static InkStatus
run_example (InkNnTrainer *t, Worker *w, const InkFeatures *ex, bool backward, double *loss)
{
  const InkNetwork *nn = t->nn;
  const InkBlob *lb = &nn->blobs[t->loss_blob];
  size_t class_index = 0;
  float *dx = NULL;
  InkStatus st;

  if (ex == NULL)
    return ink_error_set (&w->err, INK_ERR_INVALID_ARGUMENT, "the example is missing (NULL)");
  st = ink_nn_forward_mixed (t->model, ex, w->ws, t->at_inference, &w->err);
  if (st == INK_OK)
    st = ink_loss_read_target (t->model, nn->loss_type, nn->loss_target,
                               ink_features_get (ex, nn->loss_target), t->loss_count, &class_index,
                               w->target, &w->err);
  if (st != INK_OK)
    return st;
  if (backward) {
    for (size_t i = 0; i < t->n_zero; i++) {
      const InkBlob *b = &nn->blobs[t->zero_blobs[i]];
      memset (w->d + b->offset, 0, ink_shape_count (b->shape) * sizeof *w->d);
    }
    dx = w->d + lb->offset;
  }
  if (nn->loss_type == INK_LOSS_MEAN_SQUARED_ERROR)
    *loss = ink_loss_mse (w->ws + lb->offset, w->target, t->loss_count, dx);
  else if (t->logits_blob >= 0)
    *loss = ink_loss_cce_softmax (w->ws + nn->blobs[t->logits_blob].offset, w->ws + lb->offset,
                                  t->loss_count, class_index,
                                  backward ? w->d + nn->blobs[t->logits_blob].offset : NULL);
  else
    *loss = ink_loss_cce (w->ws + lb->offset, t->loss_count, class_index, dx);
  if (!backward)
    return INK_OK;
  for (size_t i = t->n_back; i-- > 0;) {
    const BackLayer *bl = &t->back[i];
    const InkLayer *l = &nn->layers[bl->layer];
    float *d_w[INK_W_SLOTS];
    for (size_t k = 0; k < l->n_inputs; k++) {
      int b = t->input_blobs[bl->first_input + k];
      w->d_in[k] = b >= 0 ? w->d + nn->blobs[b].offset : NULL;
    }
    for (int s = 0; s < INK_W_SLOTS; s++)
      d_w[s] = bl->w_offset[s] != SIZE_MAX ? w->grad + bl->w_offset[s] : NULL;
    if (bl->dense != SIZE_MAX) {
      const DenseGrad *g = &t->dense[bl->dense];
      d_w[INK_W_WEIGHTS] = NULL;
      memcpy (w->rows + g->x_offset + w->n_rows * g->n_in, w->ws + nn->blobs[l->in_blobs[0]].offset,
              g->n_in * sizeof *w->rows);
      memcpy (w->rows + g->dy_offset + w->n_rows * g->n_out, w->d + nn->blobs[l->out_blob].offset,
              g->n_out * sizeof *w->rows);
    }
    ink_nn_layer_backward (nn, l, w->ws, w->d + nn->blobs[l->out_blob].offset, w->d_in, d_w,
                           w->scratch);
  }
  if (t->n_dense > 0 && ++w->n_rows == GROUP_ROWS)
    flush_dense (t, w);
  return INK_OK;
}

static void
run_chunk (Worker *w, bool backward, const InkFeatures *const *examples)
{
  InkNnTrainer *t = w->trainer;

  w->loss = 0.0;
  w->status = INK_OK;
  ink_error_clear (&w->err);
  w->n_rows = 0;
  if (backward)
    memset (w->grad, 0, t->n_weights * sizeof *w->grad);
  for (size_t e = w->begin; e < w->end; e++) {
    double loss = 0.0;
    w->status = run_example (t, w, examples[e], backward, &loss);
    if (w->status != INK_OK) {
      ink_error_prefix (&w->err, "training example %zu", e);
      return;
    }
    w->loss += loss;
  }
  if (backward)
    flush_dense (t, w);
}

static void *
worker_main (void *data)
{
  Worker *w = data;
  InkNnTrainer *t = w->trainer;
  unsigned seen = 0;

  pthread_mutex_lock (&t->lock);
  for (;;) {
    bool backward;
    const InkFeatures *const *examples;
    while (t->generation == seen && !t->quit)
      pthread_cond_wait (&t->start, &t->lock);
    if (t->quit)
      break;
    seen = t->generation;
    backward = t->job_backward;
    examples = t->job_examples;
    pthread_mutex_unlock (&t->lock);
    run_chunk (w, backward, examples);
    pthread_mutex_lock (&t->lock);
    if (--t->pending == 0)
      pthread_cond_signal (&t->done);
  }
  pthread_mutex_unlock (&t->lock);
  return NULL;
}

/* Runs the n examples on every thread (forward and loss; with backward,
 * the gradient too, into t->grad as the mean over the examples). *loss is
 * the mean loss. */
static InkStatus
run_job (InkNnTrainer *t, const InkFeatures *const *examples, size_t n, bool backward, double *loss,
         InkError *err)
{
  double sum = 0.0;

  if (examples == NULL || n == 0)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "a mini-batch needs at least one example");
  /* Contiguous chunks, fixed by n and the thread count alone. */
  for (int i = 0; i < t->n_workers; i++) {
    t->workers[i].begin = n * (size_t) i / (size_t) t->n_workers;
    t->workers[i].end = n * (size_t) (i + 1) / (size_t) t->n_workers;
  }
  if (t->n_workers > 1) {
    pthread_mutex_lock (&t->lock);
    t->job_backward = backward;
    t->job_examples = examples;
    t->pending = t->n_workers - 1;
    t->generation++;
    pthread_cond_broadcast (&t->start);
    pthread_mutex_unlock (&t->lock);
  }
  run_chunk (&t->workers[0], backward, examples);
  if (t->n_workers > 1) {
    pthread_mutex_lock (&t->lock);
    while (t->pending > 0)
      pthread_cond_wait (&t->done, &t->lock);
    pthread_mutex_unlock (&t->lock);
  }
  for (int i = 0; i < t->n_workers; i++) {
    Worker *w = &t->workers[i];
    if (w->status != INK_OK) {
      if (err != NULL)
        *err = w->err;
      return w->status;
    }
    sum += w->loss;
  }
  if (backward) {
    const float scale = 1.0f / (float) n;
    const size_t count = t->n_weights;
    float *restrict mean = t->grad;
    for (int i = 1; i < t->n_workers; i++) {
      const float *restrict g = t->workers[i].grad;
      if (t->workers[i].begin == t->workers[i].end)
        continue;
      for (size_t k = 0; k < count; k++)
        mean[k] += g[k];
    }
    for (size_t k = 0; k < count; k++)
      mean[k] *= scale;
  }
  *loss = sum / (double) n;
  return INK_OK;
}

/* ---- Planning ---- */

static bool
layer_trains (const InkLayer *l, bool train_all)
{
  switch (l->kind) {
  case INK_LAYER_CONVOLUTION:
  case INK_LAYER_DECONVOLUTION:
  case INK_LAYER_INNER_PRODUCT:
  case INK_LAYER_BATCHNORM: return train_all || l->updatable;
  default: return false;
  }
}

/* The weight slots training changes: weights and bias, or gamma and beta
 * (batchnorm's mean and variance are statistics, not trained). */
static bool
slot_trains (const InkLayer *l, int slot)
{
  return (slot == INK_W_WEIGHTS || slot == INK_W_BIAS) && l->w[slot].count > 0;
}

static InkStatus
plan_params (InkNnTrainer *t, bool train_all, InkError *err)
{
  InkNetwork *nn = t->nn;
  size_t n = 0;

  for (size_t i = 0; i < nn->n_layers; i++) {
    for (int s = 0; s < INK_W_SLOTS && layer_trains (&nn->layers[i], train_all); s++)
      n += slot_trains (&nn->layers[i], s);
  }
  if (n == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "the network has no updatable layer with weights to train");
  t->params = calloc (n, sizeof *t->params);
  t->grad_arrays = calloc (n, sizeof *t->grad_arrays);
  if (t->params == NULL || t->grad_arrays == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; i < nn->n_layers; i++) {
    InkLayer *l = &nn->layers[i];
    for (int s = 0; s < INK_W_SLOTS && layer_trains (l, train_all); s++) {
      Param *p = &t->params[t->n_params];
      if (!slot_trains (l, s))
        continue;
      /* Weights mapped from a model file are read-only: copy them first. */
      if (!ink_weights_make_owned (&l->w[s]))
        return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
      p->layer = i;
      p->slot = s;
      p->count = l->w[s].count;
      p->offset = t->n_weights;
      /* Each array starts 16-float aligned. */
      t->n_weights += (p->count + 15) & ~(size_t) 15;
      t->n_params++;
    }
  }
  return INK_OK;
}

static InkStatus
plan_backward (InkNnTrainer *t, bool train_all, InkError *err)
{
  InkNetwork *nn = t->nn;
  bool *down = calloc (nn->n_blobs, sizeof *down), *up = calloc (nn->n_blobs, sizeof *up);
  size_t n_inputs = 0, p = 0;
  int producer = -1;
  InkStatus st = INK_OK;

  if (down == NULL || up == NULL) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < nn->n_layers; i++) {
    const InkLayer *l = &nn->layers[i];
    bool d = layer_trains (l, train_all);
    for (size_t k = 0; k < l->n_inputs; k++)
      d = d || down[l->in_blobs[k]];
    down[l->out_blob] = d;
    if (l->out_blob == t->loss_blob)
      producer = (int) i;
  }
  if (!down[t->loss_blob]) {
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "no updatable layer comes before the loss input '%s'", nn->loss_input);
    goto out;
  }
  /* Cross-entropy right after a softmax over a vector is fused: the
   * derivative goes straight to the softmax's input. */
  if (nn->loss_type == INK_LOSS_CATEGORICAL_CROSS_ENTROPY && producer >= 0 &&
      nn->layers[producer].kind == INK_LAYER_SOFTMAX &&
      nn->blobs[t->loss_blob].shape.h * nn->blobs[t->loss_blob].shape.w == 1)
    t->logits_blob = nn->layers[producer].in_blobs[0];
  up[t->loss_blob] = true;
  for (size_t i = nn->n_layers; i-- > 0;) {
    const InkLayer *l = &nn->layers[i];
    if (!up[l->out_blob] || !down[l->out_blob])
      continue;
    for (size_t k = 0; k < l->n_inputs; k++)
      up[l->in_blobs[k]] = true;
    if (t->logits_blob >= 0 && (int) i == producer)
      continue;
    t->n_back++;
    n_inputs += l->n_inputs;
  }
  t->back = calloc (t->n_back + 1, sizeof *t->back);
  t->input_blobs = calloc (n_inputs + 1, sizeof *t->input_blobs);
  t->zero_blobs = calloc (nn->n_blobs, sizeof *t->zero_blobs);
  t->dense = calloc (t->n_back + 1, sizeof *t->dense);
  t->at_inference = calloc (nn->n_layers + 1, sizeof *t->at_inference);
  if (t->back == NULL || t->input_blobs == NULL || t->zero_blobs == NULL || t->dense == NULL ||
      t->at_inference == NULL) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    goto out;
  }
  for (size_t b = 0; b < nn->n_blobs; b++) {
    if (up[b] && down[b] && !(t->logits_blob >= 0 && (int) b == t->loss_blob))
      t->zero_blobs[t->n_zero++] = b;
  }
  /* The layers no trained weight reaches (frozen convolutions, say) run as
   * at inference, fused and blocked: the backward pass reads none of their
   * blobs but their final outputs, which are the same either way. */
  for (size_t i = 0; i < nn->n_layers; i++)
    t->at_inference[i] = !down[nn->layers[i].out_blob];
  n_inputs = 0;
  for (size_t i = 0; i < nn->n_layers; i++) {
    const InkLayer *l = &nn->layers[i];
    BackLayer *bl;
    if (!up[l->out_blob] || !down[l->out_blob] || (t->logits_blob >= 0 && (int) i == producer))
      continue;
    bl = &t->back[p++];
    bl->layer = i;
    bl->first_input = n_inputs;
    for (size_t k = 0; k < l->n_inputs; k++)
      t->input_blobs[n_inputs++] = down[l->in_blobs[k]] ? l->in_blobs[k] : -1;
    for (int s = 0; s < INK_W_SLOTS; s++)
      bl->w_offset[s] = SIZE_MAX;
    for (size_t k = 0; k < t->n_params; k++) {
      if (t->params[k].layer == i)
        bl->w_offset[t->params[k].slot] = t->params[k].offset;
    }
    bl->dense = SIZE_MAX;
    if (l->kind == INK_LAYER_INNER_PRODUCT && bl->w_offset[INK_W_WEIGHTS] != SIZE_MAX) {
      DenseGrad *g = &t->dense[t->n_dense];
      g->n_in = ink_shape_count (nn->blobs[l->in_blobs[0]].shape);
      g->n_out = ink_shape_count (nn->blobs[l->out_blob].shape);
      g->x_offset = t->dense_floats;
      g->dy_offset = g->x_offset + GROUP_ROWS * g->n_in;
      g->w_offset = bl->w_offset[INK_W_WEIGHTS];
      t->dense_floats = g->dy_offset + GROUP_ROWS * g->n_out;
      bl->dense = t->n_dense++;
    }
  }
out:
  free (down);
  free (up);
  return st;
}

static float *
alloc_floats (size_t n)
{
  size_t bytes = ((n > 0 ? n : 1) * sizeof (float) + 63) & ~(size_t) 63;
  float *v = aligned_alloc (64, bytes);

  if (v != NULL)
    memset (v, 0, bytes);
  return v;
}

static InkStatus
make_workers (InkNnTrainer *t, int threads, InkError *err)
{
  const InkNetwork *nn = t->nn;
  size_t scratch = 1, max_inputs = 1;

  for (size_t i = 0; i < t->n_back; i++) {
    const InkLayer *l = &nn->layers[t->back[i].layer];
    size_t need = ink_nn_layer_backward_scratch (nn, l);
    scratch = need > scratch ? need : scratch;
    max_inputs = l->n_inputs > max_inputs ? l->n_inputs : max_inputs;
  }
  t->workers = calloc ((size_t) threads, sizeof *t->workers);
  if (t->workers == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  t->n_workers = threads;
  for (int i = 0; i < threads; i++) {
    Worker *w = &t->workers[i];
    w->trainer = t;
    w->ws = alloc_floats (nn->workspace_floats);
    w->d = alloc_floats (nn->scratch_offset);
    w->scratch = alloc_floats (scratch);
    /* The first thread sums into the mini-batch's gradient itself. */
    w->grad = i == 0 ? t->grad : alloc_floats (t->n_weights);
    w->target = alloc_floats (t->loss_count);
    w->d_in = calloc (max_inputs, sizeof *w->d_in);
    w->rows = alloc_floats (t->dense_floats);
    if (w->ws == NULL || w->d == NULL || w->scratch == NULL || w->grad == NULL ||
        w->target == NULL || w->d_in == NULL || w->rows == NULL)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory for the training buffers");
  }
  if (threads == 1)
    return INK_OK;
  if (pthread_mutex_init (&t->lock, NULL) != 0)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "cannot make a mutex");
  if (pthread_cond_init (&t->start, NULL) != 0) {
    pthread_mutex_destroy (&t->lock);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "cannot make a condition variable");
  }
  if (pthread_cond_init (&t->done, NULL) != 0) {
    pthread_cond_destroy (&t->start);
    pthread_mutex_destroy (&t->lock);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "cannot make a condition variable");
  }
  t->sync_ready = true;
  for (int i = 1; i < threads; i++) {
    Worker *w = &t->workers[i];
    if (pthread_create (&w->thread, NULL, worker_main, w) != 0)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "cannot start training thread %d of %d", i + 1,
                            threads);
    w->started = true;
  }
  return INK_OK;
}

static double
param_default (const InkModel *m, const char *key, double fallback)
{
  const InkUpdateParameter *p = ink_description_find_update_parameter (&m->desc, key);

  return p != NULL ? p->default_value : fallback;
}

/* ---- The trainer ---- */

InkNnTrainer *
ink_nn_trainer_new (InkModel *model, bool train_all, int threads, InkError *err)
{
  InkNnTrainer *t;
  InkNetwork *nn;
  size_t total;
  InkStatus st;

  if (model == NULL || !ink_model_kind_is_network (model->kind) || !model->finished) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "only a finished neural network can be trained");
    return NULL;
  }
  nn = model->body.nn;
  if (!nn->has_loss) {
    ink_error_set (err, INK_ERR_INVALID_MODEL, "the network has no loss layer to train with");
    return NULL;
  }
  if (threads < 1) {
    long cpus = sysconf (_SC_NPROCESSORS_ONLN);
    threads = cpus > 0 ? (int) (cpus < MAX_THREADS ? cpus : MAX_THREADS) : 1;
  }
  threads = threads > MAX_THREADS ? MAX_THREADS : threads;
  t = calloc (1, sizeof *t);
  if (t == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  t->model = model;
  t->nn = nn;
  t->logits_blob = -1;
  t->loss_blob = ink_nn_find_blob (nn, nn->loss_input);
  if (t->loss_blob < 0 || nn->blobs[t->loss_blob].source != INK_BLOB_LAYER) {
    ink_error_set (err, INK_ERR_INVALID_MODEL,
                   "the loss layer '%s' reads '%s', which no layer of the network produces",
                   nn->loss_name, nn->loss_input);
    ink_nn_trainer_free (t);
    return NULL;
  }
  t->loss_count = ink_shape_count (nn->blobs[t->loss_blob].shape);
  st = plan_params (t, train_all, err);
  if (st == INK_OK)
    st = plan_backward (t, train_all, err);
  total = t->n_weights;
  if (st == INK_OK) {
    t->grad = alloc_floats (total);
    t->sgd_v = alloc_floats (total);
    t->adam_m = alloc_floats (total);
    t->adam_v = alloc_floats (total);
    if (t->grad == NULL || t->sgd_v == NULL || t->adam_m == NULL || t->adam_v == NULL)
      st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory for the optimizer");
  }
  if (st == INK_OK)
    st = make_workers (t, threads, err);
  if (st != INK_OK) {
    ink_nn_trainer_free (t);
    return NULL;
  }
  for (size_t i = 0; i < t->n_params; i++)
    t->grad_arrays[i] = t->grad + t->params[i].offset;
  /* Until told otherwise, the model's own optimizer and defaults. */
  t->config.optimizer = nn->has_optimizer ? nn->optimizer : INK_OPTIMIZER_SGD;
  t->config.learning_rate = param_default (model, INK_PARAM_LEARNING_RATE, 0.01);
  t->config.momentum = param_default (model, INK_PARAM_MOMENTUM, 0.0);
  t->config.beta1 = param_default (model, INK_PARAM_BETA1, 0.9);
  t->config.beta2 = param_default (model, INK_PARAM_BETA2, 0.999);
  t->config.eps = param_default (model, INK_PARAM_EPS, 1e-8);
  return t;
}

void
ink_nn_trainer_free (InkNnTrainer *t)
{
  if (t == NULL)
    return;
  if (t->sync_ready) {
    pthread_mutex_lock (&t->lock);
    t->quit = true;
    pthread_cond_broadcast (&t->start);
    pthread_mutex_unlock (&t->lock);
  }
  for (int i = 0; i < t->n_workers; i++) {
    Worker *w = &t->workers[i];
    if (w->started)
      pthread_join (w->thread, NULL);
    free (w->ws);
    free (w->d);
    free (w->scratch);
    if (w->grad != t->grad)
      free (w->grad);
    free (w->target);
    free (w->d_in);
    free (w->rows);
  }
  if (t->sync_ready) {
    pthread_cond_destroy (&t->done);
    pthread_cond_destroy (&t->start);
    pthread_mutex_destroy (&t->lock);
  }
  free (t->workers);
  free (t->params);
  free (t->back);
  free (t->input_blobs);
  free (t->zero_blobs);
  free (t->dense);
  free (t->at_inference);
  free (t->grad);
  free (t->grad_arrays);
  free (t->sgd_v);
  free (t->adam_m);
  free (t->adam_v);
  free (t);
}

void
ink_nn_trainer_set_optimizer (InkNnTrainer *t, const InkOptimizerConfig *config)
{
  if (t != NULL && config != NULL)
    t->config = *config;
}

InkStatus
ink_nn_trainer_step (InkNnTrainer *t, const InkFeatures *const *examples, size_t n, double *loss,
                     InkError *err)
{
  const InkOptimizerConfig *c;
  double mean = 0.0;
  InkStatus st;

  if (t == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no trainer");
  st = run_job (t, examples, n, true, &mean, err);
  if (st != INK_OK)
    return st;
  c = &t->config;
  ink_model_changed (t->model);
  if (c->optimizer == INK_OPTIMIZER_ADAM)
    t->adam_step++;
  for (size_t i = 0; i < t->n_params; i++) {
    const Param *p = &t->params[i];
    float *w = t->nn->layers[p->layer].w[p->slot].data;
    if (c->optimizer == INK_OPTIMIZER_ADAM)
      ink_optimizer_adam (w, t->adam_m + p->offset, t->adam_v + p->offset, t->grad + p->offset,
                          p->count, c->learning_rate, c->beta1, c->beta2, c->eps, t->adam_step);
    else
      ink_optimizer_sgd (w, t->sgd_v + p->offset, t->grad + p->offset, p->count, c->learning_rate,
                         c->momentum);
    /* Inference reads the convolutions' weights packed (the last slot of a
     * layer is packed once with the others). */
    if (i + 1 == t->n_params || t->params[i + 1].layer != p->layer)
      ink_nn_layer_repack (&t->nn->layers[p->layer]);
  }
  if (loss != NULL)
    *loss = mean;
  return INK_OK;
}

InkStatus
ink_nn_trainer_loss (InkNnTrainer *t, const InkFeatures *const *examples, size_t n, double *loss,
                     InkError *err)
{
  double mean = 0.0;
  InkStatus st;

  if (t == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no trainer");
  st = run_job (t, examples, n, false, &mean, err);
  if (st == INK_OK && loss != NULL)
    *loss = mean;
  return st;
}

InkStatus
ink_nn_trainer_gradients (InkNnTrainer *t, const InkFeatures *const *examples, size_t n,
                          float *const **grads, size_t *n_arrays, InkError *err)
{
  double mean = 0.0;
  InkStatus st;

  if (t == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no trainer");
  st = run_job (t, examples, n, true, &mean, err);
  if (st != INK_OK)
    return st;
  if (grads != NULL)
    *grads = t->grad_arrays;
  if (n_arrays != NULL)
    *n_arrays = t->n_params;
  return INK_OK;
}

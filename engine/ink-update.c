/* ink-update.c: update tasks (Core ML's MLUpdateTask): validation, the
 * worker thread, the epoch loop, progress and completion callbacks,
 * cancellation and parameter changes between epochs
 *
 * Concurrency: everything that more than one thread touches (state, the
 * parameters in effect and pending, metrics, result, error) is guarded by
 * the task's mutex; the condition variable announces the end. Cancellation
 * is also an atomic flag, so long loops can poll it cheaply. Callbacks are
 * always called without the mutex held, so they may call back into the
 * task. The working model and the examples belong to the worker alone
 * from resume until the end.
 *
 * Shuffling: a splitmix64 stream (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", 2014; the constants of Vigna's
 * reference code) seeded with the seed parameter when training begins and
 * again whenever a parameter change gives a new seed. Each epoch that
 * shuffles applies one Fisher-Yates pass over the current order, drawing
 * j uniformly from [0, i] by rejection (no modulo bias). So the order of
 * every epoch depends only on the seed and the batch size.
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "ink-coreml.h"
#include "ink-nn-private.h"
#include "ink-nn-train-private.h"
#include "ink-update-private.h"

struct InkUpdateTask {
  pthread_mutex_t lock;
  pthread_cond_t ended_cond;

  /* Fixed at creation; the model and examples are the worker's once it
   * runs. */
  InkModel *model;
  InkIdCell *base_id; /* the id cell of the model it was copied from */
  InkBatch *examples;
  InkModelDescription declared; /* whose update parameters may be set */
  unsigned events;
  InkUpdateProgressFunc progress;
  InkUpdateCompletionFunc completion;
  void *user_data;
  int threads;

  atomic_bool cancel;

  /* Guarded by lock. */
  InkTaskState state;
  bool started;        /* the worker thread exists */
  bool ended;          /* the completion callback has returned */
  bool free_requested; /* freed from a callback: the worker frees it */
  pthread_t thread;
  InkUpdateParams params;   /* in effect */
  InkUpdateConfig *pending; /* set_parameters, for the next epoch */
  InkUpdateMetrics metrics;
  InkModel *result;
  InkError error;
};

/* The task whose worker runs on this thread, if any. */
static _Thread_local InkUpdateTask *current_task;

const char *
ink_task_state_to_string (InkTaskState state)
{
  switch (state) {
  case INK_TASK_CREATED: return "created";
  case INK_TASK_RUNNING: return "running";
  case INK_TASK_CANCELLING: return "cancelling";
  case INK_TASK_COMPLETED: return "completed";
  case INK_TASK_CANCELLED: return "cancelled";
  case INK_TASK_FAILED: return "failed";
  }
  return "unknown";
}

const char *
ink_update_event_to_string (InkUpdateEvent event)
{
  switch (event) {
  case INK_EVENT_TRAINING_BEGIN: return "trainingBegin";
  case INK_EVENT_EPOCH_END: return "epochEnd";
  case INK_EVENT_MINI_BATCH_END: return "miniBatchEnd";
  }
  return "unknown";
}

static bool
state_is_final (InkTaskState s)
{
  return s == INK_TASK_COMPLETED || s == INK_TASK_CANCELLED || s == INK_TASK_FAILED;
}

static void
lock (const InkUpdateTask *t)
{
  pthread_mutex_lock ((pthread_mutex_t *) &t->lock);
}

static void
unlock (const InkUpdateTask *t)
{
  pthread_mutex_unlock ((pthread_mutex_t *) &t->lock);
}

/* ---- What gets trained ---- */

InkModel *
ink_update_trained_model (const InkModel *model)
{
  const InkModel *m = model;

  while (m != NULL && ink_model_kind_is_pipeline (m->kind) && ink_pipeline_n_models (m) > 0)
    m = ink_pipeline_get_model ((InkModel *) m, ink_pipeline_n_models (m) - 1);
  return (InkModel *) m;
}

const InkModelDescription *
ink_update_parameters_description (const InkModel *model)
{
  if (model->desc.n_params > 0 || !ink_model_kind_is_pipeline (model->kind))
    return &model->desc;
  return &ink_update_trained_model (model)->desc;
}

const char *
ink_update_target_name (const InkModel *model)
{
  const InkModelDescription *d = &model->desc;
  const InkModel *trained = ink_update_trained_model (model);

  if (ink_model_kind_is_network (trained->kind) && trained->body.nn->has_loss)
    return trained->body.nn->loss_target;
  for (size_t i = 0; i < d->n_training_inputs; i++) {
    if (ink_description_find_input (d, d->training_inputs[i].name) == NULL)
      return d->training_inputs[i].name;
  }
  if (d->predicted_feature_name != NULL && d->predicted_feature_name[0] != '\0')
    return d->predicted_feature_name;
  return NULL;
}

/* Moves every value of from into to. */
static InkStatus
merge_features (InkFeatures *to, InkFeatures *from)
{
  while (ink_features_count (from) > 0) {
    char *name = ink_strdup (ink_features_name_at (from, 0));
    InkValue *v = name != NULL ? ink_features_take (from, name) : NULL;
    InkStatus st = v != NULL ? ink_features_set (to, name, v) : INK_ERR_NO_MEMORY;
    free (name);
    if (st != INK_OK)
      return st;
  }
  return INK_OK;
}

InkStatus
ink_update_prepare_example (const InkModel *model, const InkFeatures *example, InkFeatures **out,
                            InkError *err)
{
  InkFeatures *work = ink_features_copy (example);
  const InkModel *m = model;

  *out = NULL;
  if (work == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  while (ink_model_kind_is_pipeline (m->kind) && ink_pipeline_n_models (m) > 0) {
    size_t n = ink_pipeline_n_models (m);
    for (size_t i = 0; i + 1 < n; i++) {
      InkFeatures *produced = NULL;
      InkStatus st =
        ink_model_predict (ink_pipeline_get_model ((InkModel *) m, i), work, &produced, err);
      if (st == INK_OK && (st = merge_features (work, produced)) != INK_OK)
        ink_error_set (err, st, "out of memory");
      ink_features_free (produced);
      if (st != INK_OK) {
        ink_features_free (work);
        return ink_error_prefix (err, "pipeline stage '%s'", ink_pipeline_get_name (m, i));
      }
    }
    m = ink_pipeline_get_model ((InkModel *) m, n - 1);
  }
  *out = work;
  return INK_OK;
}

/* ---- Validation ---- */

static InkStatus
check_updatable (const InkModel *m, InkError *err)
{
  const char *kind = ink_model_kind_to_string (m->kind);
  const InkModel *trained;

  if (!m->finished)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "the %s is not finished", kind);
  if (m->kind != INK_MODEL_KNN_CLASSIFIER && !ink_model_kind_is_network (m->kind) &&
      !ink_model_kind_is_pipeline (m->kind))
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "a %s model is not updatable: only k-nearest-neighbors classifiers, "
                          "neural networks and pipelines ending in one are",
                          kind);
  if (!m->desc.updatable)
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "the %s is not updatable (it is not marked isUpdatable)", kind);
  trained = ink_update_trained_model (m);
  if (trained != m) {
    const char *last = ink_model_kind_to_string (trained->kind);
    if (trained->kind != INK_MODEL_KNN_CLASSIFIER && !ink_model_kind_is_network (trained->kind))
      return ink_error_set (err, INK_ERR_UNSUPPORTED,
                            "the %s is not updatable: its last stage is a %s, not a "
                            "k-nearest-neighbors classifier or a neural network",
                            kind, last);
    if (!trained->desc.updatable)
      return ink_error_set (err, INK_ERR_UNSUPPORTED,
                            "the %s is not updatable: its last stage (a %s) is not marked "
                            "isUpdatable",
                            kind, last);
  }
  if (ink_model_kind_is_network (trained->kind) && !trained->body.nn->has_loss)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "the %s cannot be trained: its network has no loss layer", kind);
  return INK_OK;
}

/* "'a', 'b'" into buf. */
static void
list_training_inputs (const InkModelDescription *d, char *buf, size_t size)
{
  size_t used = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < d->n_training_inputs && used < size; i++)
    used += (size_t) snprintf (buf + used, size - used, "%s'%s'", i > 0 ? ", " : "",
                               d->training_inputs[i].name);
}

static InkStatus
missing (const InkModel *m, size_t example, const char *name, InkError *err)
{
  char names[256];

  list_training_inputs (&m->desc, names, sizeof names);
  if (names[0] == '\0')
    return ink_error_set (err, INK_ERR_MISSING_INPUT, "example %zu lacks the training input '%s'",
                          example, name);
  return ink_error_set (err, INK_ERR_MISSING_INPUT,
                        "example %zu lacks the training input '%s' (the model's training inputs "
                        "are %s)",
                        example, name, names);
}

/* Checks one example: every training input and prediction input present
 * (unless optional) with a value of its type, and the target. */
static InkStatus
check_example (const InkModel *m, const char *target, size_t i, const InkFeatures *ex,
               InkError *err)
{
  const InkModelDescription *d = &m->desc;
  const InkModel *trained = ink_update_trained_model (m);
  const InkValue *v;

  for (size_t k = 0; k < d->n_training_inputs + d->n_inputs; k++) {
    bool is_training = k < d->n_training_inputs;
    const InkFeatureDescription *fd =
      is_training ? &d->training_inputs[k] : &d->inputs[k - d->n_training_inputs];
    if (!is_training && d->n_training_inputs > 0) {
      /* Already checked when it is also a training input. */
      bool listed = false;
      for (size_t j = 0; j < d->n_training_inputs; j++)
        listed = listed || strcmp (d->training_inputs[j].name, fd->name) == 0;
      if (listed)
        continue;
    }
    v = ink_features_get (ex, fd->name);
    if (v == NULL) {
      if (fd->type.optional)
        continue;
      return missing (m, i, fd->name, err);
    }
    if (ink_feature_type_check (&fd->type, fd->name, v, err) != INK_OK)
      return ink_error_prefix (err, "example %zu", i);
  }
  v = ink_features_get (ex, target);
  if (v == NULL)
    return missing (m, i, target, err);
  if (trained->kind == INK_MODEL_KNN_CLASSIFIER &&
      ink_update_knn_check_label (trained, target, v, err) != INK_OK)
    return ink_error_prefix (err, "example %zu", i);
  return INK_OK;
}

static InkStatus
validate (const InkModel *model, const InkBatch *examples, const InkUpdateConfig *config,
          InkError *err)
{
  const char *target;
  size_t n;
  InkStatus st;

  st = check_updatable (model, err);
  if (st != INK_OK)
    return st;
  n = examples != NULL ? ink_batch_count (examples) : 0;
  if (n == 0)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "the batch of training examples is empty");
  target = ink_update_target_name (model);
  if (target == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "the %s names no training target (a training input that is not an "
                          "input, or a predicted feature)",
                          ink_model_kind_to_string (model->kind));
  for (size_t i = 0; i < n; i++) {
    st = check_example (model, target, i, ink_batch_get (examples, i), err);
    if (st != INK_OK)
      return st;
  }
  return ink_update_config_check (config, ink_update_parameters_description (model), err);
}

/* ---- Creation ---- */

static void
task_destroy (InkUpdateTask *t)
{
  ink_model_free (t->model);
  ink_model_free (t->result);
  ink_id_cell_unref (t->base_id);
  ink_batch_free (t->examples);
  ink_description_clear (&t->declared);
  ink_update_config_free (t->pending);
  pthread_cond_destroy (&t->ended_cond);
  pthread_mutex_destroy (&t->lock);
  free (t);
}

static InkBatch *
copy_batch (const InkBatch *b)
{
  InkBatch *c = ink_batch_new ();

  for (size_t i = 0; c != NULL && i < ink_batch_count (b); i++) {
    InkFeatures *f = ink_features_copy (ink_batch_get (b, i));
    if (f == NULL || ink_batch_append (c, f) != INK_OK) {
      ink_batch_free (c);
      return NULL;
    }
  }
  return c;
}

static int64_t mini_batches_for (const InkUpdateParams *p, size_t n, bool knn);

InkUpdateTask *
ink_update_task_new (const InkModel *model, const InkBatch *examples, const InkUpdateConfig *config,
                     unsigned events, InkUpdateProgressFunc progress,
                     InkUpdateCompletionFunc completion, void *user_data, InkError *err)
{
  InkUpdateTask *t;
  bool knn;

  if (model == NULL || examples == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "an update task needs a model and examples");
    return NULL;
  }
  if (validate (model, examples, config, err) != INK_OK)
    return NULL;
  t = calloc (1, sizeof *t);
  if (t == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  pthread_mutex_init (&t->lock, NULL);
  pthread_cond_init (&t->ended_cond, NULL);
  atomic_init (&t->cancel, false);
  t->state = INK_TASK_CREATED;
  t->events = events;
  t->progress = progress;
  t->completion = completion;
  t->user_data = user_data;
  t->threads = ink_update_config_resolve_threads (config);
  t->model = ink_model_copy (model, err);
  if (t->model == NULL) {
    task_destroy (t);
    return NULL;
  }
  /* NULL (out of memory) only means the id is computed without a cache. */
  t->base_id = ink_model_id_cell (model);
  t->examples = copy_batch (examples);
  if (t->examples == NULL ||
      !ink_description_copy (&t->declared, ink_update_parameters_description (model))) {
    task_destroy (t);
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  ink_update_params_init (&t->params, &t->declared);
  ink_update_params_apply (&t->params, config);
  knn = ink_update_trained_model (t->model)->kind == INK_MODEL_KNN_CLASSIFIER;
  t->metrics = (InkUpdateMetrics){
    .loss = NAN,
    .epochs = knn ? 1 : t->params.epochs,
    .mini_batches = mini_batches_for (&t->params, ink_batch_count (examples), knn),
  };
  ink_error_clear (&t->error);
  return t;
}

InkUpdateTask *
ink_update_task_new_from_file (const char *path, const InkBatch *examples,
                               const InkUpdateConfig *config, unsigned events,
                               InkUpdateProgressFunc progress, InkUpdateCompletionFunc completion,
                               void *user_data, InkError *err)
{
  uint8_t head[8];
  size_t got = 0;
  FILE *f;
  InkModel *m;
  InkUpdateTask *t;

  if (path == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model path");
    return NULL;
  }
  f = fopen (path, "rb");
  if (f == NULL) {
    ink_error_set (err, INK_ERR_IO, "cannot open %s", path);
    return NULL;
  }
  got = fread (head, 1, sizeof head, f);
  fclose (f);
  m =
    ink_coreml_sniff (head, got) ? ink_coreml_compile_file (path, err) : ink_model_load (path, err);
  if (m == NULL)
    return NULL;
  t = ink_update_task_new (m, examples, config, events, progress, completion, user_data, err);
  ink_model_free (m);
  return t;
}

/* ---- The worker ---- */

/* Examples per mini-batch of a k-NN update (see ink-update.h). */
#define KNN_MINI_BATCH INK_UPDATE_KNN_MINI_BATCH_SIZE

static size_t
batch_size_for (const InkUpdateParams *p, size_t n, bool knn)
{
  if (knn)
    return KNN_MINI_BATCH < n ? KNN_MINI_BATCH : n;
  if (p->mini_batch_size <= 0 || (uint64_t) p->mini_batch_size > n)
    return n;
  return (size_t) p->mini_batch_size;
}

static int64_t
mini_batches_for (const InkUpdateParams *p, size_t n, bool knn)
{
  size_t bs = batch_size_for (p, n, knn);

  return bs > 0 ? (int64_t) ((n + bs - 1) / bs) : 0;
}

static uint64_t
splitmix64 (uint64_t *state)
{
  uint64_t z = (*state += UINT64_C (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static size_t
uniform_below (uint64_t *state, size_t n)
{
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t r;

  do {
    r = splitmix64 (state);
  } while (r >= limit);
  return (size_t) (r % n);
}

static void
shuffle (size_t *order, size_t n, uint64_t *state)
{
  for (size_t i = n; i-- > 1;) {
    size_t j = uniform_below (state, i + 1);
    size_t tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
}

static bool
cancelled (const InkUpdateTask *t)
{
  return atomic_load (&((InkUpdateTask *) t)->cancel);
}

/* Publishes metrics and, when asked for, reports the event. */
static void
report (InkUpdateTask *t, InkUpdateEvent event, const InkUpdateMetrics *m)
{
  InkUpdateMetrics copy = *m;

  lock (t);
  t->metrics = copy;
  unlock (t);
  if (t->progress != NULL && (t->events & (unsigned) event) != 0)
    t->progress (t, event, &copy, t->user_data);
}

/* Applies parameters set since the last epoch began; returns the values in
 * effect for the epoch starting. */
static InkUpdateParams
begin_epoch (InkUpdateTask *t)
{
  InkUpdateParams p;

  lock (t);
  if (t->pending != NULL) {
    ink_update_params_apply (&t->params, t->pending);
    ink_update_config_free (t->pending);
    t->pending = NULL;
  }
  p = t->params;
  unlock (t);
  return p;
}

static InkOptimizerConfig
optimizer_config (const InkNetwork *nn, const InkUpdateParams *p)
{
  return (InkOptimizerConfig){
    .optimizer = nn->has_optimizer ? nn->optimizer : INK_OPTIMIZER_SGD,
    .learning_rate = p->learning_rate,
    .momentum = p->momentum,
    .beta1 = p->beta1,
    .beta2 = p->beta2,
    .eps = p->eps,
  };
}

static bool
optimizer_changed (const InkUpdateParams *a, const InkUpdateParams *b)
{
  return a->learning_rate != b->learning_rate || a->momentum != b->momentum ||
         a->beta1 != b->beta1 || a->beta2 != b->beta2 || a->eps != b->eps;
}

static InkStatus
run_network (InkUpdateTask *t, InkError *err)
{
  InkModel *net = ink_update_trained_model (t->model);
  size_t n = ink_batch_count (t->examples);
  bool pipeline = net != t->model;
  InkFeatures **prepared = NULL;
  const InkFeatures **inputs = calloc (n, sizeof *inputs);
  const InkFeatures **mb = calloc (n, sizeof *mb);
  size_t *order = calloc (n, sizeof *order);
  InkNnTrainer *trainer = NULL;
  InkUpdateParams p, prev;
  InkUpdateMetrics m = {.loss = NAN};
  uint64_t rng;
  InkStatus st = INK_OK;

  if (pipeline)
    prepared = calloc (n, sizeof *prepared);
  if (inputs == NULL || mb == NULL || order == NULL || (pipeline && prepared == NULL)) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    goto out;
  }
  /* Earlier pipeline stages do not change: run them once. */
  for (size_t i = 0; i < n; i++) {
    order[i] = i;
    if (!pipeline) {
      inputs[i] = ink_batch_get (t->examples, i);
      continue;
    }
    if (cancelled (t)) {
      st = INK_ERR_CANCELLED;
      goto out;
    }
    st = ink_update_prepare_example (t->model, ink_batch_get (t->examples, i), &prepared[i], err);
    if (st != INK_OK) {
      ink_error_prefix (err, "example %zu", i);
      goto out;
    }
    inputs[i] = prepared[i];
  }
  trainer = ink_nn_trainer_new (net, false, t->threads, err);
  if (trainer == NULL) {
    st = err != NULL && err->status != INK_OK ? err->status : INK_ERR_NO_MEMORY;
    goto out;
  }
  lock (t);
  p = t->params;
  unlock (t);
  prev = p;
  rng = (uint64_t) p.seed;
  {
    InkOptimizerConfig oc = optimizer_config (net->body.nn, &p);
    ink_nn_trainer_set_optimizer (trainer, &oc);
  }
  m.epochs = p.epochs;
  m.mini_batches = mini_batches_for (&p, n, false);
  report (t, INK_EVENT_TRAINING_BEGIN, &m);

  for (int64_t epoch = 0;; epoch++) {
    double sum = 0.0;
    size_t bs, nmb;

    p = begin_epoch (t);
    if (optimizer_changed (&p, &prev)) {
      InkOptimizerConfig oc = optimizer_config (net->body.nn, &p);
      ink_nn_trainer_set_optimizer (trainer, &oc);
    }
    if (p.seed != prev.seed)
      rng = (uint64_t) p.seed;
    prev = p;
    if (epoch >= p.epochs)
      break;
    bs = batch_size_for (&p, n, false);
    nmb = (n + bs - 1) / bs;
    if (p.shuffle)
      shuffle (order, n, &rng);
    m.epoch = epoch;
    m.epochs = p.epochs;
    m.mini_batches = (int64_t) nmb;
    for (size_t b = 0; b < nmb; b++) {
      size_t start = b * bs, count = n - start < bs ? n - start : bs;
      double loss = NAN;
      if (cancelled (t)) {
        st = INK_ERR_CANCELLED;
        goto out;
      }
      for (size_t k = 0; k < count; k++)
        mb[k] = inputs[order[start + k]];
      st = ink_nn_trainer_step (trainer, mb, count, &loss, err);
      if (st != INK_OK) {
        ink_error_prefix (err, "epoch %lld, mini-batch %zu", (long long) epoch, b);
        goto out;
      }
      sum += loss * (double) count;
      m.mini_batch = (int64_t) b;
      m.loss = loss;
      m.examples_seen += (int64_t) count;
      report (t, INK_EVENT_MINI_BATCH_END, &m);
    }
    m.loss = sum / (double) n;
    report (t, INK_EVENT_EPOCH_END, &m);
  }
out:
  ink_nn_trainer_free (trainer);
  for (size_t i = 0; prepared != NULL && i < n; i++)
    ink_features_free (prepared[i]);
  free (prepared);
  free (inputs);
  free (mb);
  free (order);
  return st;
}

static InkStatus
run_knn (InkUpdateTask *t, InkError *err)
{
  InkModel *knn = ink_update_trained_model (t->model);
  const char *target = ink_update_target_name (t->model);
  size_t n = ink_batch_count (t->examples);
  size_t bs = batch_size_for (NULL, n, true), nmb = (n + bs - 1) / bs;
  InkUpdateMetrics m = {.loss = NAN, .epochs = 1, .mini_batches = (int64_t) nmb};
  InkUpdateParams p;
  InkStatus st;

  report (t, INK_EVENT_TRAINING_BEGIN, &m);
  p = begin_epoch (t);
  for (size_t b = 0; b < nmb; b++) {
    size_t start = b * bs, count = n - start < bs ? n - start : bs;
    if (cancelled (t))
      return INK_ERR_CANCELLED;
    for (size_t i = start; i < start + count; i++) {
      InkFeatures *f = NULL;
      st = ink_update_prepare_example (t->model, ink_batch_get (t->examples, i), &f, err);
      if (st == INK_OK)
        st = ink_update_knn_add (knn, f, target, err);
      ink_features_free (f);
      if (st != INK_OK)
        return ink_error_prefix (err, "example %zu", i);
    }
    m.mini_batch = (int64_t) b;
    m.examples_seen += (int64_t) count;
    report (t, INK_EVENT_MINI_BATCH_END, &m);
  }
  report (t, INK_EVENT_EPOCH_END, &m);
  if (p.k > 0)
    return ink_update_knn_set_k (t->model, p.k, err);
  return INK_OK;
}

static InkStatus
run (InkUpdateTask *t, InkError *err)
{
  InkProvenanceBase base;
  InkStatus st;

  if (cancelled (t))
    return INK_ERR_CANCELLED;
  /* The record of the base, before anything changes. */
  st = ink_provenance_base_init (&base, t->model, t->base_id, err);
  if (st != INK_OK)
    return st;
  if (ink_update_trained_model (t->model)->kind == INK_MODEL_KNN_CLASSIFIER)
    st = run_knn (t, err);
  else
    st = run_network (t, err);
  if (st == INK_OK)
    st = ink_provenance_record (t->model, &base, (int64_t) ink_batch_count (t->examples), err);
  ink_provenance_base_clear (&base);
  /* A cancel that arrived during the last mini-batch still wins. */
  if (st == INK_OK && cancelled (t))
    st = INK_ERR_CANCELLED;
  return st;
}

static void *
worker (void *data)
{
  InkUpdateTask *t = data;
  InkModel *discard = NULL;
  InkError err;
  InkStatus st;
  bool free_me;

  current_task = t;
  ink_error_clear (&err);
  st = run (t, &err);
  if (st == INK_ERR_CANCELLED)
    ink_error_set (&err, INK_ERR_CANCELLED, "cancelled");
  else if (st != INK_OK && err.status == INK_OK)
    ink_error_set (&err, st, "the update failed (%s)", ink_status_to_string (st));
  lock (t);
  if (st == INK_OK) {
    t->state = INK_TASK_COMPLETED;
    t->result = t->model;
  } else {
    t->state = st == INK_ERR_CANCELLED ? INK_TASK_CANCELLED : INK_TASK_FAILED;
    t->error = err;
    discard = t->model;
  }
  t->model = NULL;
  unlock (t);
  ink_model_free (discard);
  if (t->completion != NULL)
    t->completion (t, t->user_data);
  lock (t);
  t->ended = true;
  free_me = t->free_requested;
  pthread_cond_broadcast (&t->ended_cond);
  unlock (t);
  current_task = NULL;
  if (free_me) {
    pthread_detach (pthread_self ());
    task_destroy (t);
  }
  return NULL;
}

/* ---- Control ---- */

InkStatus
ink_update_task_resume (InkUpdateTask *t, InkError *err)
{
  int rc;

  if (t == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no task");
  lock (t);
  if (t->started || t->state != INK_TASK_CREATED) {
    InkTaskState s = t->state;
    unlock (t);
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "the task was already resumed (it is %s)",
                          ink_task_state_to_string (s));
  }
  t->state = cancelled (t) ? INK_TASK_CANCELLING : INK_TASK_RUNNING;
  t->started = true;
  rc = pthread_create (&t->thread, NULL, worker, t);
  if (rc != 0) {
    t->state = INK_TASK_CREATED;
    t->started = false;
    unlock (t);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "cannot start the update thread: %s",
                          strerror (rc));
  }
  unlock (t);
  return INK_OK;
}

InkStatus
ink_update_task_set_parameters (InkUpdateTask *t, const InkUpdateConfig *config, InkError *err)
{
  InkStatus st = INK_OK;

  if (t == NULL || config == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no task or configuration");
  /* declared never changes after creation: no lock needed. */
  st = ink_update_config_check (config, &t->declared, err);
  if (st != INK_OK)
    return st;
  lock (t);
  if (state_is_final (t->state)) {
    InkTaskState s = t->state;
    unlock (t);
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "the task has ended (it is %s)",
                          ink_task_state_to_string (s));
  }
  if (t->pending == NULL)
    t->pending = ink_update_config_new ();
  if (t->pending == NULL)
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; st == INK_OK && i < config->n; i++)
    st = ink_update_config_set_parameter (t->pending, config->keys[i], config->values[i], err);
  unlock (t);
  return st;
}

void
ink_update_task_cancel (InkUpdateTask *t)
{
  if (t == NULL)
    return;
  lock (t);
  if (!state_is_final (t->state)) {
    atomic_store (&t->cancel, true);
    if (t->state == INK_TASK_RUNNING)
      t->state = INK_TASK_CANCELLING;
  }
  unlock (t);
}

InkTaskState
ink_update_task_wait (InkUpdateTask *t)
{
  InkTaskState s;

  if (t == NULL)
    return INK_TASK_FAILED;
  lock (t);
  /* From a callback the end cannot come while we wait for it. */
  while (t->started && !t->ended && current_task != t)
    pthread_cond_wait (&t->ended_cond, &t->lock);
  s = t->state;
  unlock (t);
  return s;
}

InkTaskState
ink_update_task_get_state (const InkUpdateTask *t)
{
  InkTaskState s;

  if (t == NULL)
    return INK_TASK_FAILED;
  lock (t);
  s = t->state;
  unlock (t);
  return s;
}

const InkModel *
ink_update_task_get_model (const InkUpdateTask *t)
{
  const InkModel *m;

  if (t == NULL)
    return NULL;
  lock (t);
  m = t->result;
  unlock (t);
  return m;
}

InkModel *
ink_update_task_take_model (InkUpdateTask *t)
{
  InkModel *m;

  if (t == NULL)
    return NULL;
  lock (t);
  m = t->result;
  t->result = NULL;
  unlock (t);
  return m;
}

InkUpdateMetrics
ink_update_task_get_metrics (const InkUpdateTask *t)
{
  InkUpdateMetrics m = {.loss = NAN};

  if (t == NULL)
    return m;
  lock (t);
  m = t->metrics;
  unlock (t);
  return m;
}

void
ink_update_task_get_error (const InkUpdateTask *t, InkError *err)
{
  if (err == NULL)
    return;
  ink_error_clear (err);
  if (t == NULL)
    return;
  lock (t);
  if (t->state == INK_TASK_FAILED || t->state == INK_TASK_CANCELLED)
    *err = t->error;
  unlock (t);
}

InkStatus
ink_update_task_get_parameter (const InkUpdateTask *t, const char *key, double *value,
                               InkError *err)
{
  InkUpdateParams p;
  struct {
    const char *key;
    double value;
  } table[10];

  if (t == NULL || key == NULL || value == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no task, key or value");
  lock (t);
  p = t->params;
  unlock (t);
  table[0].key = INK_PARAM_EPOCHS, table[0].value = (double) p.epochs;
  table[1].key = INK_PARAM_LEARNING_RATE, table[1].value = p.learning_rate;
  table[2].key = INK_PARAM_MINI_BATCH_SIZE, table[2].value = (double) p.mini_batch_size;
  table[3].key = INK_PARAM_MOMENTUM, table[3].value = p.momentum;
  table[4].key = INK_PARAM_BETA1, table[4].value = p.beta1;
  table[5].key = INK_PARAM_BETA2, table[5].value = p.beta2;
  table[6].key = INK_PARAM_EPS, table[6].value = p.eps;
  table[7].key = INK_PARAM_SHUFFLE, table[7].value = p.shuffle ? 1.0 : 0.0;
  table[8].key = INK_PARAM_SEED, table[8].value = (double) p.seed;
  table[9].key = INK_PARAM_NUMBER_OF_NEIGHBORS, table[9].value = (double) p.k;
  for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
    if (strcmp (table[i].key, key) == 0) {
      *value = table[i].value;
      return INK_OK;
    }
  }
  return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "unknown update parameter '%s'", key);
}

void
ink_update_task_free (InkUpdateTask *t)
{
  bool started;

  if (t == NULL)
    return;
  if (current_task == t) {
    /* From a callback: the worker frees the task once it has ended. */
    lock (t);
    t->free_requested = true;
    unlock (t);
    ink_update_task_cancel (t);
    return;
  }
  ink_update_task_cancel (t);
  ink_update_task_wait (t);
  lock (t);
  started = t->started;
  unlock (t);
  if (started)
    pthread_join (t->thread, NULL);
  task_destroy (t);
}

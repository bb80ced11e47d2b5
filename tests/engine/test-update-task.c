/* test-update-task.c: update tasks: states, events, callbacks' thread,
 * cancellation, parameter changes between epochs, validation, and network
 * training through a task
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "test-util.h"

enum {
  DIMS = 2,
  MAX_EVENTS = 4096
};

static void
assert_message_has (const InkError *err, const char *needle)
{
  if (strstr (err->message, needle) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", err->message, needle);
}

/* ---- Models and examples ---- */

/* An updatable k-NN over x (float32 [2]) with string labels, outputs label
 * and labelProbability, default label "none"; training inputs x, label. */
static InkModel *
new_knn (bool updatable, bool finish)
{
  InkModel *m = ink_knn_new (DIMS, INK_KNN_UNIFORM, 3, false);
  const int64_t shape[] = {DIMS};
  InkFeatureType x = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, shape);
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_STRING);
  InkUpdateParameter k = {.key = INK_PARAM_NUMBER_OF_NEIGHBORS,
                          .type = INK_PARAM_INT64,
                          .default_value = 3,
                          .has_range = true,
                          .min = 1,
                          .max = 10};
  InkError err = {0};

  g_assert_nonnull (m);
  ink_assert_ok (ink_model_add_input (m, "x", &x, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "labelProbability", &probs, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (m, "x", &x, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (m, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "labelProbability"), &err);
  ink_assert_ok (ink_knn_set_default_label_string (m, "none"), &err);
  ink_assert_ok (ink_model_set_update_parameter (m, &k, &err), &err);
  ink_assert_ok (ink_model_set_updatable (m, updatable), &err);
  if (finish)
    ink_assert_ok (ink_model_finish (m, &err), &err);
  return m;
}

static InkFeatures *
example (float x0, float x1, const char *label)
{
  const int64_t shape[] = {DIMS};
  const float v[DIMS] = {x0, x1};
  InkFeatures *f = ink_features_new ();

  ink_features_set (f, "x", ink_test_array (1, shape, v));
  if (label != NULL)
    ink_features_set_string (f, "label", label);
  return f;
}

/* n examples: class "a" near (0, 0), "b" near (10, 10), alternating. */
static InkBatch *
examples (size_t n)
{
  InkBatch *b = ink_batch_new ();

  for (size_t i = 0; i < n; i++) {
    float off = 10.0f * (float) (i % 2), jitter = 0.01f * (float) i;
    ink_batch_append (b, example (off + jitter, off - jitter, i % 2 ? "b" : "a"));
  }
  return b;
}

static const char *
predict_label (const InkModel *m, float x0, float x1)
{
  static char label[64];
  InkFeatures *in = example (x0, x1, NULL), *out = NULL;
  InkError err = {0};

  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  g_strlcpy (label, ink_value_get_string (ink_features_get (out, "label")), sizeof label);
  ink_features_free (in);
  ink_features_free (out);
  return label;
}

/* ---- Recording what a task reports ---- */

typedef struct {
  InkUpdateEvent event;
  InkUpdateMetrics metrics;
  InkTaskState state;
  pthread_t thread;
  double learning_rate; /* the parameter in effect */
} Event;

typedef struct {
  Event events[MAX_EVENTS];
  size_t n_events;
  int completions;
  InkTaskState state_at_completion;
  bool model_at_completion;
  pthread_t completion_thread;
  size_t events_before_completion;
  /* Behaviours */
  int64_t cancel_at_mini_batch; /* -1: never */
  bool cancel_at_begin;
  gulong sleep_us;
  InkUpdateConfig *set_at_begin;     /* set_parameters from trainingBegin */
  InkUpdateConfig *set_at_epoch_end; /* ... from the epochEnd of set_epoch */
  int64_t set_epoch;
  InkStatus set_status;
  /* Blocking in a callback until another thread has cancelled. */
  bool block;
  /* pthread's, not GLib's: ThreadSanitizer only knows the former. */
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  bool in_callback, released;
} Recorder;

static void
recorder_init (Recorder *r)
{
  memset (r, 0, sizeof *r);
  r->cancel_at_mini_batch = -1;
  r->set_epoch = -1;
  pthread_mutex_init (&r->mutex, NULL);
  pthread_cond_init (&r->cond, NULL);
}

static void
recorder_clear (Recorder *r)
{
  ink_update_config_free (r->set_at_begin);
  ink_update_config_free (r->set_at_epoch_end);
  pthread_mutex_destroy (&r->mutex);
  pthread_cond_destroy (&r->cond);
}

static void
on_progress (InkUpdateTask *task, InkUpdateEvent event, const InkUpdateMetrics *m, void *data)
{
  Recorder *r = data;
  Event *e;
  InkError err = {0};

  g_assert_cmpuint (r->n_events, <, MAX_EVENTS);
  e = &r->events[r->n_events++];
  e->event = event;
  e->metrics = *m;
  e->state = ink_update_task_get_state (task);
  e->thread = pthread_self ();
  e->learning_rate = NAN;
  ink_update_task_get_parameter (task, INK_PARAM_LEARNING_RATE, &e->learning_rate, NULL);
  if (event == INK_EVENT_TRAINING_BEGIN && r->cancel_at_begin)
    ink_update_task_cancel (task);
  if (event == INK_EVENT_TRAINING_BEGIN && r->set_at_begin != NULL)
    r->set_status = ink_update_task_set_parameters (task, r->set_at_begin, &err);
  if (event == INK_EVENT_EPOCH_END && r->set_at_epoch_end != NULL && m->epoch == r->set_epoch)
    r->set_status = ink_update_task_set_parameters (task, r->set_at_epoch_end, &err);
  if (event == INK_EVENT_MINI_BATCH_END && m->mini_batch == r->cancel_at_mini_batch)
    ink_update_task_cancel (task);
  if (event == INK_EVENT_MINI_BATCH_END && r->block && m->mini_batch == 0) {
    pthread_mutex_lock (&r->mutex);
    r->in_callback = true;
    pthread_cond_broadcast (&r->cond);
    while (!r->released)
      pthread_cond_wait (&r->cond, &r->mutex);
    pthread_mutex_unlock (&r->mutex);
  }
  if (r->sleep_us > 0)
    g_usleep (r->sleep_us);
}

static void
on_complete (InkUpdateTask *task, void *data)
{
  Recorder *r = data;

  r->completions++;
  r->state_at_completion = ink_update_task_get_state (task);
  r->model_at_completion = ink_update_task_get_model (task) != NULL;
  r->completion_thread = pthread_self ();
  r->events_before_completion = r->n_events;
}

static InkUpdateTask *
new_task (const InkModel *m, const InkBatch *b, const InkUpdateConfig *config, unsigned events,
          Recorder *r)
{
  InkError err = {0};
  InkUpdateTask *t = ink_update_task_new (m, b, config, events, on_progress, on_complete, r, &err);

  if (t == NULL)
    g_error ("ink_update_task_new: %s", err.message);
  return t;
}

/* ---- States, events, threads ---- */

static void
test_state_names (void)
{
  g_assert_cmpstr (ink_task_state_to_string (INK_TASK_CREATED), ==, "created");
  g_assert_cmpstr (ink_task_state_to_string (INK_TASK_CANCELLING), ==, "cancelling");
  g_assert_cmpstr (ink_task_state_to_string (INK_TASK_FAILED), ==, "failed");
  g_assert_cmpstr (ink_update_event_to_string (INK_EVENT_TRAINING_BEGIN), ==, "trainingBegin");
  g_assert_cmpstr (ink_update_event_to_string (INK_EVENT_EPOCH_END), ==, "epochEnd");
  g_assert_cmpstr (ink_update_event_to_string (INK_EVENT_MINI_BATCH_END), ==, "miniBatchEnd");
}

static void
test_lifecycle (void)
{
  InkModel *m = new_knn (true, true);
  InkBatch *b = examples (40);
  Recorder r;
  InkUpdateTask *t;
  InkError err = {0};
  InkUpdateMetrics met;
  InkModel *taken;
  pthread_t self = pthread_self ();
  const size_t n_mb = (40 + INK_UPDATE_KNN_MINI_BATCH_SIZE - 1) / INK_UPDATE_KNN_MINI_BATCH_SIZE;

  recorder_init (&r);
  t = new_task (m, b, NULL, INK_EVENT_ALL, &r);
  /* The caller's model and batch may go at once. */
  ink_batch_free (b);
  g_assert_cmpint (ink_update_task_get_state (t), ==, INK_TASK_CREATED);
  g_assert_cmpint (ink_update_task_wait (t), ==, INK_TASK_CREATED);
  g_assert_null (ink_update_task_get_model (t));
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  g_assert_cmpint (ink_update_task_resume (t, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_update_task_wait (t), ==, INK_TASK_COMPLETED);
  g_assert_cmpint (ink_update_task_get_state (t), ==, INK_TASK_COMPLETED);
  g_assert_cmpint (ink_update_task_wait (t), ==, INK_TASK_COMPLETED);

  /* trainingBegin, a miniBatchEnd per mini-batch, then epochEnd. */
  g_assert_cmpuint (r.n_events, ==, n_mb + 2);
  g_assert_cmpint (r.events[0].event, ==, INK_EVENT_TRAINING_BEGIN);
  g_assert_cmpint (r.events[0].metrics.examples_seen, ==, 0);
  for (size_t i = 0; i < n_mb; i++) {
    const Event *e = &r.events[1 + i];
    size_t seen = MIN ((i + 1) * INK_UPDATE_KNN_MINI_BATCH_SIZE, 40);
    g_assert_cmpint (e->event, ==, INK_EVENT_MINI_BATCH_END);
    g_assert_cmpint (e->metrics.mini_batch, ==, (int64_t) i);
    g_assert_cmpint (e->metrics.epoch, ==, 0);
    g_assert_cmpint (e->metrics.examples_seen, ==, (int64_t) seen);
    g_assert_cmpint (e->metrics.epochs, ==, 1);
    g_assert_cmpint (e->metrics.mini_batches, ==, (int64_t) n_mb);
    g_assert_true (isnan (e->metrics.loss));
    g_assert_cmpint (e->state, ==, INK_TASK_RUNNING);
  }
  g_assert_cmpint (r.events[n_mb + 1].event, ==, INK_EVENT_EPOCH_END);
  g_assert_cmpint (r.events[n_mb + 1].metrics.examples_seen, ==, 40);
  /* Every callback on one worker thread, not this one; completion once,
   * after every event, with the final state already set. */
  for (size_t i = 0; i < r.n_events; i++) {
    g_assert_false (pthread_equal (r.events[i].thread, self));
    g_assert_true (pthread_equal (r.events[i].thread, r.events[0].thread));
  }
  g_assert_cmpint (r.completions, ==, 1);
  g_assert_true (pthread_equal (r.completion_thread, r.events[0].thread));
  g_assert_cmpuint (r.events_before_completion, ==, r.n_events);
  g_assert_cmpint (r.state_at_completion, ==, INK_TASK_COMPLETED);
  g_assert_true (r.model_at_completion);

  met = ink_update_task_get_metrics (t);
  g_assert_cmpint (met.examples_seen, ==, 40);
  g_assert_cmpint (met.epochs, ==, 1);
  ink_update_task_get_error (t, &err);
  g_assert_cmpint (err.status, ==, INK_OK);

  /* The result learned; the original did not. */
  g_assert_nonnull (ink_update_task_get_model (t));
  g_assert_cmpuint (ink_knn_n_examples (ink_update_task_get_model (t)), ==, 40);
  g_assert_cmpuint (ink_knn_n_examples (m), ==, 0);
  g_assert_cmpstr (predict_label (ink_update_task_get_model (t), 9.5f, 9.5f), ==, "b");
  g_assert_cmpstr (predict_label (m, 9.5f, 9.5f), ==, "none");
  taken = ink_update_task_take_model (t);
  g_assert_nonnull (taken);
  g_assert_null (ink_update_task_get_model (t));
  g_assert_null (ink_update_task_take_model (t));
  ink_update_task_free (t);
  /* The model outlives its task. */
  g_assert_cmpstr (predict_label (taken, 0.1f, 0.0f), ==, "a");
  ink_model_free (taken);
  ink_model_free (m);
  recorder_clear (&r);
}

static void
test_event_mask (void)
{
  InkModel *m = new_knn (true, true);
  InkBatch *b = examples (40);
  Recorder r;
  InkUpdateTask *t;
  InkError err = {0};

  recorder_init (&r);
  t = new_task (m, b, NULL, INK_EVENT_EPOCH_END, &r);
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  g_assert_cmpint (ink_update_task_wait (t), ==, INK_TASK_COMPLETED);
  g_assert_cmpuint (r.n_events, ==, 1);
  g_assert_cmpint (r.events[0].event, ==, INK_EVENT_EPOCH_END);
  g_assert_cmpint (r.completions, ==, 1);
  ink_update_task_free (t);

  /* No callbacks at all. */
  t = ink_update_task_new (m, b, NULL, 0, NULL, NULL, NULL, &err);
  g_assert_nonnull (t);
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  g_assert_cmpint (ink_update_task_wait (t), ==, INK_TASK_COMPLETED);
  ink_update_task_free (t);
  ink_batch_free (b);
  ink_model_free (m);
  recorder_clear (&r);
}

/* ---- Cancellation ---- */

static void
assert_cancelled (InkUpdateTask *t, const Recorder *r)
{
  InkError err = {0};

  g_assert_cmpint (ink_update_task_wait (t), ==, INK_TASK_CANCELLED);
  g_assert_null (ink_update_task_get_model (t));
  g_assert_null (ink_update_task_take_model (t));
  ink_update_task_get_error (t, &err);
  g_assert_cmpint (err.status, ==, INK_ERR_CANCELLED);
  assert_message_has (&err, "cancelled");
  g_assert_cmpint (r->completions, ==, 1);
  g_assert_cmpint (r->state_at_completion, ==, INK_TASK_CANCELLED);
  g_assert_false (r->model_at_completion);
  /* Cancelling again, or setting parameters, changes nothing now. */
  ink_update_task_cancel (t);
  g_assert_cmpint (ink_update_task_get_state (t), ==, INK_TASK_CANCELLED);
}

static void
test_cancel_from_callback (void)
{
  InkModel *m = new_knn (true, true);
  InkBatch *b = examples (100);
  Recorder r;
  InkUpdateTask *t;
  InkError err = {0};

  recorder_init (&r);
  r.cancel_at_mini_batch = 1;
  t = new_task (m, b, NULL, INK_EVENT_ALL, &r);
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  assert_cancelled (t, &r);
  /* trainingBegin, mini-batches 0 and 1, and nothing after the cancel. */
  g_assert_cmpuint (r.n_events, ==, 3);
  g_assert_cmpint (r.events[2].event, ==, INK_EVENT_MINI_BATCH_END);
  g_assert_cmpint (r.events[2].metrics.mini_batch, ==, 1);
  ink_update_task_free (t);

  /* At the very start. */
  recorder_clear (&r);
  recorder_init (&r);
  r.cancel_at_begin = true;
  t = new_task (m, b, NULL, INK_EVENT_ALL, &r);
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  assert_cancelled (t, &r);
  g_assert_cmpuint (r.n_events, ==, 1);
  ink_update_task_free (t);
  ink_batch_free (b);
  ink_model_free (m);
  recorder_clear (&r);
}

static void
test_cancel_from_other_thread (void)
{
  InkModel *m = new_knn (true, true);
  InkBatch *b = examples (100);
  Recorder r;
  InkUpdateTask *t;
  InkError err = {0};

  recorder_init (&r);
  r.block = true;
  t = new_task (m, b, NULL, INK_EVENT_ALL, &r);
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  pthread_mutex_lock (&r.mutex);
  while (!r.in_callback)
    pthread_cond_wait (&r.cond, &r.mutex);
  pthread_mutex_unlock (&r.mutex);
  /* The worker is inside the callback of mini-batch 0. */
  g_assert_cmpint (ink_update_task_get_state (t), ==, INK_TASK_RUNNING);
  ink_update_task_cancel (t);
  g_assert_cmpint (ink_update_task_get_state (t), ==, INK_TASK_CANCELLING);
  pthread_mutex_lock (&r.mutex);
  r.released = true;
  pthread_cond_broadcast (&r.cond);
  pthread_mutex_unlock (&r.mutex);
  assert_cancelled (t, &r);
  /* trainingBegin and mini-batch 0 only. */
  g_assert_cmpuint (r.n_events, ==, 2);
  g_assert_cmpint (r.events[1].state, ==, INK_TASK_RUNNING);
  ink_update_task_free (t);
  ink_batch_free (b);
  ink_model_free (m);
  recorder_clear (&r);
}

static void
test_cancel_before_resume (void)
{
  InkModel *m = new_knn (true, true);
  InkBatch *b = examples (10);
  Recorder r;
  InkUpdateTask *t;
  InkError err = {0};

  recorder_init (&r);
  t = new_task (m, b, NULL, INK_EVENT_ALL, &r);
  ink_update_task_cancel (t);
  g_assert_cmpint (ink_update_task_get_state (t), ==, INK_TASK_CREATED);
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  assert_cancelled (t, &r);
  g_assert_cmpuint (r.n_events, ==, 0);
  ink_update_task_free (t);

  /* A task never resumed is freed without ever running. */
  recorder_clear (&r);
  recorder_init (&r);
  t = new_task (m, b, NULL, INK_EVENT_ALL, &r);
  ink_update_task_free (t);
  g_assert_cmpint (r.completions, ==, 0);
  ink_batch_free (b);
  ink_model_free (m);
  recorder_clear (&r);
}

static void
test_free_while_running (void)
{
  InkModel *m = new_knn (true, true);
  InkBatch *b = examples (400);
  Recorder r;
  InkUpdateTask *t;
  InkError err = {0};

  recorder_init (&r);
  r.sleep_us = 2000;
  t = new_task (m, b, NULL, INK_EVENT_ALL, &r);
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  g_usleep (3000);
  ink_update_task_free (t);
  /* It stopped early, ended once, and kept no model. */
  g_assert_cmpint (r.completions, ==, 1);
  g_assert_cmpint (r.state_at_completion, ==, INK_TASK_CANCELLED);
  g_assert_cmpuint (r.n_events, <, 400 / INK_UPDATE_KNN_MINI_BATCH_SIZE + 2);
  ink_batch_free (b);
  ink_model_free (m);
  recorder_clear (&r);
}

/* ---- Parameters ---- */

static void
test_parameters_knn (void)
{
  InkModel *m = new_knn (true, true);
  InkBatch *b = examples (20);
  InkUpdateConfig *config = ink_update_config_new (), *bad = ink_update_config_new ();
  Recorder r;
  InkUpdateTask *t;
  InkError err = {0};
  double v = 0;
  const InkUpdateParameter *k;

  /* The configuration: keys by Core ML name, any order, last wins. */
  ink_assert_ok (ink_update_config_set_parameter (config, INK_PARAM_NUMBER_OF_NEIGHBORS, 5, &err),
                 &err);
  ink_assert_ok (ink_update_config_set_parameter (config, INK_PARAM_NUMBER_OF_NEIGHBORS, 2, &err),
                 &err);
  g_assert_cmpuint (ink_update_config_n_parameters (config), ==, 1);
  g_assert_cmpstr (ink_update_config_parameter_key (config, 0), ==, "numberOfNeighbors");
  g_assert_cmpfloat (ink_update_config_parameter_value (config, 0), ==, 2);
  g_assert_cmpint (ink_update_config_set_parameter (config, "weights", 1, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  assert_message_has (&err, "weights");
  {
    InkUpdateConfig *copy = ink_update_config_copy (config);
    g_assert_cmpuint (ink_update_config_n_parameters (copy), ==, 1);
    ink_update_config_free (copy);
  }

  /* The configured k is in effect from the start... */
  recorder_init (&r);
  t = new_task (m, b, config, INK_EVENT_ALL, &r);
  ink_assert_ok (ink_update_task_get_parameter (t, INK_PARAM_NUMBER_OF_NEIGHBORS, &v, &err), &err);
  g_assert_cmpfloat (v, ==, 2);
  g_assert_cmpint (ink_update_task_get_parameter (t, "nope", &v, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  /* ... checked at once when changed ... */
  ink_assert_ok (ink_update_config_set_parameter (bad, INK_PARAM_NUMBER_OF_NEIGHBORS, 11, &err),
                 &err);
  g_assert_cmpint (ink_update_task_set_parameters (t, bad, &err), ==, INK_ERR_PARAMETER);
  assert_message_has (&err, "numberOfNeighbors");
  assert_message_has (&err, "[1, 10]");
  /* ... and a change made at trainingBegin applies to the epoch. */
  r.set_at_begin = ink_update_config_new ();
  ink_update_config_set_parameter (r.set_at_begin, INK_PARAM_NUMBER_OF_NEIGHBORS, 7, NULL);
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  g_assert_cmpint (ink_update_task_wait (t), ==, INK_TASK_COMPLETED);
  g_assert_cmpint (r.set_status, ==, INK_OK);
  ink_assert_ok (ink_update_task_get_parameter (t, INK_PARAM_NUMBER_OF_NEIGHBORS, &v, &err), &err);
  g_assert_cmpfloat (v, ==, 7);
  k = ink_description_find_update_parameter (
    ink_model_get_description (ink_update_task_get_model (t)), INK_PARAM_NUMBER_OF_NEIGHBORS);
  g_assert_nonnull (k);
  g_assert_cmpfloat (k->default_value, ==, 7);
  g_assert_true (k->has_range);
  g_assert_cmpfloat (k->max, ==, 10);
  /* The original keeps its k. */
  k = ink_description_find_update_parameter (ink_model_get_description (m),
                                             INK_PARAM_NUMBER_OF_NEIGHBORS);
  g_assert_cmpfloat (k->default_value, ==, 3);
  /* Too late once ended. */
  g_assert_cmpint (ink_update_task_set_parameters (t, config, &err), ==, INK_ERR_INVALID_ARGUMENT);
  ink_update_task_free (t);

  ink_update_config_free (bad);
  ink_update_config_free (config);
  ink_batch_free (b);
  ink_model_free (m);
  recorder_clear (&r);
}

/* ---- Validation ---- */

static void
expect_invalid (const InkModel *m, const InkBatch *b, const InkUpdateConfig *config,
                InkStatus status, const char *needle1, const char *needle2)
{
  InkError err = {0};
  InkUpdateTask *t = ink_update_task_new (m, b, config, INK_EVENT_ALL, NULL, NULL, NULL, &err);

  g_assert_null (t);
  if (err.status != status)
    g_error ("expected %s, got %s: %s", ink_status_to_string (status),
             ink_status_to_string (err.status), err.message);
  if (needle1 != NULL)
    assert_message_has (&err, needle1);
  if (needle2 != NULL)
    assert_message_has (&err, needle2);
}

static void
test_validation (void)
{
  InkModel *m = new_knn (true, true);
  InkModel *fixed = new_knn (false, true);
  const double w[2] = {1.0, 2.0}, off[1] = {0.5};
  InkModel *glm = ink_glm_regressor_new (w, 1, 2, off, INK_GLM_NO_TRANSFORM);
  InkBatch *good = examples (4), *empty = ink_batch_new (), *b;
  InkUpdateConfig *config;
  const int64_t shape3[] = {3};
  const float v3[3] = {1, 2, 3};
  InkFeatureType x = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, (const int64_t[]){2});
  InkFeatureType y = ink_feature_type_double ();
  InkError err = {0};
  InkFeatures *f;

  /* Model kinds that cannot learn, and updatable kinds not marked so. */
  ink_assert_ok (ink_model_add_input (glm, "x", &x, "", &err), &err);
  ink_assert_ok (ink_model_add_output (glm, "y", &y, "", &err), &err);
  ink_assert_ok (ink_model_finish (glm, &err), &err);
  expect_invalid (glm, good, NULL, INK_ERR_UNSUPPORTED, "glmRegressor", "not updatable");
  expect_invalid (fixed, good, NULL, INK_ERR_UNSUPPORTED, "kNearestNeighborsClassifier",
                  "not updatable");
  expect_invalid (NULL, good, NULL, INK_ERR_INVALID_ARGUMENT, NULL, NULL);
  /* A network marked updatable without a loss to train with. */
  {
    InkModel *nn = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
    const float weights[2] = {1, 1};
    const char *const ins[] = {"x"}, *const outs[] = {"y"};
    InkLayerSpec ip = {
      .name = "ip",
      .kind = INK_LAYER_INNER_PRODUCT,
      .inputs = ins,
      .n_inputs = 1,
      .outputs = outs,
      .n_outputs = 1,
      .updatable = true,
      .params.inner_product = {.in_channels = 2, .out_channels = 1, .weights = weights}};
    InkFeatureType y1 = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, (const int64_t[]){1});
    ink_assert_ok (ink_model_add_input (nn, "x", &x, "", &err), &err);
    ink_assert_ok (ink_model_add_output (nn, "y", &y1, "", &err), &err);
    ink_assert_ok (ink_nn_add_layer (nn, &ip, &err), &err);
    ink_assert_ok (ink_model_set_updatable (nn, true), &err);
    ink_assert_ok (ink_model_finish (nn, &err), &err);
    expect_invalid (nn, good, NULL, INK_ERR_INVALID_MODEL, "neuralNetwork", "loss");
    ink_model_free (nn);
  }
  /* A pipeline whose last stage cannot learn. */
  {
    InkModel *p = ink_pipeline_new (INK_MODEL_PIPELINE_REGRESSOR);
    InkModel *g = ink_glm_regressor_new (w, 1, 2, off, INK_GLM_NO_TRANSFORM);
    ink_assert_ok (ink_model_add_input (g, "x", &x, "", &err), &err);
    ink_assert_ok (ink_model_add_output (g, "y", &y, "", &err), &err);
    ink_assert_ok (ink_model_add_input (p, "x", &x, "", &err), &err);
    ink_assert_ok (ink_model_add_output (p, "y", &y, "", &err), &err);
    ink_assert_ok (ink_model_set_updatable (p, true), &err);
    ink_assert_ok (ink_pipeline_add_model (p, "glm", g, &err), &err);
    ink_assert_ok (ink_model_finish (p, &err), &err);
    expect_invalid (p, good, NULL, INK_ERR_UNSUPPORTED, "pipelineRegressor", "glmRegressor");
    ink_model_free (p);
  }

  /* An empty batch. */
  expect_invalid (m, empty, NULL, INK_ERR_INVALID_ARGUMENT, "empty", NULL);

  /* A missing training input, named, with the example. */
  b = examples (3);
  ink_batch_append (b, example (1, 1, NULL));
  expect_invalid (m, b, NULL, INK_ERR_MISSING_INPUT, "example 3", "'label'");
  ink_batch_free (b);
  b = ink_batch_new ();
  f = ink_features_new ();
  ink_features_set_string (f, "label", "a");
  ink_batch_append (b, f);
  expect_invalid (m, b, NULL, INK_ERR_MISSING_INPUT, "example 0", "'x'");
  ink_batch_free (b);

  /* Wrong value types and shapes: feature, expected and got. */
  b = ink_batch_new ();
  f = ink_features_new ();
  ink_features_set_string (f, "x", "1,2");
  ink_features_set_string (f, "label", "a");
  ink_batch_append (b, f);
  expect_invalid (m, b, NULL, INK_ERR_TYPE_MISMATCH, "'x'", "got String");
  ink_batch_free (b);
  b = ink_batch_new ();
  f = ink_features_new ();
  ink_features_set (f, "x", ink_test_array (1, shape3, v3));
  ink_features_set_string (f, "label", "a");
  ink_batch_append (b, f);
  expect_invalid (m, b, NULL, INK_ERR_SHAPE_MISMATCH, "'x'", "got shape 3");
  ink_batch_free (b);
  b = ink_batch_new ();
  f = example (1, 2, NULL);
  ink_features_set_int64 (f, "label", 4);
  ink_batch_append (b, f);
  expect_invalid (m, b, NULL, INK_ERR_TYPE_MISMATCH, "'label'", "Int64");
  ink_batch_free (b);

  /* Parameters: undeclared, out of range, not an integer. */
  config = ink_update_config_new ();
  ink_assert_ok (ink_update_config_set_parameter (config, INK_PARAM_LEARNING_RATE, 0.1, &err),
                 &err);
  expect_invalid (m, good, config, INK_ERR_PARAMETER, "learningRate", "numberOfNeighbors");
  ink_update_config_free (config);
  config = ink_update_config_new ();
  ink_assert_ok (ink_update_config_set_parameter (config, INK_PARAM_NUMBER_OF_NEIGHBORS, 0, &err),
                 &err);
  expect_invalid (m, good, config, INK_ERR_PARAMETER, "numberOfNeighbors", "[1, 10]");
  ink_update_config_set_parameter (config, INK_PARAM_NUMBER_OF_NEIGHBORS, 11, &err);
  expect_invalid (m, good, config, INK_ERR_PARAMETER, "numberOfNeighbors", "[1, 10]");
  ink_update_config_set_parameter (config, INK_PARAM_NUMBER_OF_NEIGHBORS, 2.5, &err);
  expect_invalid (m, good, config, INK_ERR_PARAMETER, "numberOfNeighbors", "integer");
  ink_update_config_free (config);

  /* A file that is not there. */
  {
    InkUpdateTask *t = ink_update_task_new_from_file ("/nonexistent/model.inkmodel", good, NULL, 0,
                                                      NULL, NULL, NULL, &err);
    g_assert_null (t);
    g_assert_cmpint (err.status, ==, INK_ERR_IO);
  }

  ink_batch_free (good);
  ink_batch_free (empty);
  ink_model_free (m);
  ink_model_free (fixed);
  ink_model_free (glm);
}

/* ---- The model given is never changed ---- */

static guint8 *
read_all (const char *path, gsize *size)
{
  gchar *data = NULL;
  GError *error = NULL;

  g_file_get_contents (path, &data, size, &error);
  g_assert_no_error (error);
  return (guint8 *) data;
}

static void
run_from_file (const char *path, const InkBatch *b)
{
  gsize size0, size1;
  g_autofree guint8 *before = read_all (path, &size0);
  g_autofree guint8 *after = NULL;
  InkError err = {0};
  InkUpdateTask *t =
    ink_update_task_new_from_file (path, b, NULL, INK_EVENT_ALL, NULL, NULL, NULL, &err);

  if (t == NULL)
    g_error ("%s: %s", path, err.message);
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  g_assert_cmpint (ink_update_task_wait (t), ==, INK_TASK_COMPLETED);
  g_assert_cmpuint (ink_knn_n_examples (ink_update_task_get_model (t)), >=, ink_batch_count (b));
  ink_update_task_free (t);
  after = read_all (path, &size1);
  g_assert_cmpmem (before, size0, after, size1);
}

static void
test_original_untouched (void)
{
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "base.inkmodel", NULL);
  g_autofree char *fixture = NULL;
  InkModel *m = new_knn (true, true);
  InkBatch *b = examples (30);
  InkError err = {0};

  ink_assert_ok (ink_model_save (m, path, &err), &err);
  run_from_file (path, b);
  ink_model_free (m);
  ink_batch_free (b);

  fixture = ink_test_fixture_path ("coreml/knn_updatable_empty_linear.mlmodel");
  if (fixture != NULL) {
    /* A Core ML file works too (and stays as it was). */
    const int64_t shape[] = {3};
    const float v[3] = {1, 2, 3};
    InkFeatures *f = ink_features_new ();
    b = ink_batch_new ();
    ink_features_set (f, "input", ink_test_array (1, shape, v));
    ink_features_set_string (f, "output", "station");
    ink_batch_append (b, f);
    run_from_file (fixture, b);
    ink_batch_free (b);
  }
  ink_test_tmpdir_free (dir);
}

/* ---- Networks (the trainer) ---- */

static InkModel *
compile_fixture (const char *name)
{
  g_autofree char *rel = g_strdup_printf ("coreml/%s", name);
  g_autofree char *path = ink_test_fixture_path (rel);
  InkError err = {0};
  InkModel *m;

  if (path == NULL)
    return NULL;
  m = ink_coreml_compile_file (path, &err);
  if (m == NULL)
    g_error ("%s: %s", name, err.message);
  return m;
}

static InkFeatures *
linear_example (const char *input, double x, double y)
{
  const int64_t shape[] = {1};
  InkFeatures *f = ink_features_new ();

  ink_features_set (f, input, ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, shape, &x));
  if (!isnan (y))
    ink_features_set (f, "output_true", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, shape, &y));
  return f;
}

/* y = 2x + 1.5 at 20 points in [-1, 1]. */
static InkBatch *
linear_batch (const char *input, double scale)
{
  InkBatch *b = ink_batch_new ();

  for (int i = 0; i < 20; i++) {
    double x = -1.0 + 2.0 * i / 19.0;
    ink_batch_append (b, linear_example (input, x, 2.0 * x * scale + 1.5));
  }
  return b;
}

static double
predict_linear (const InkModel *m, const char *input, const char *output, double x)
{
  InkFeatures *in = linear_example (input, x, NAN), *out = NULL;
  InkError err = {0};
  const InkValue *v;
  double y;

  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  v = ink_features_get (out, output);
  g_assert_nonnull (v);
  y = ink_value_get_type (v) == INK_VALUE_MULTIARRAY ? ink_value_array_get (v, 0)
                                                     : ink_value_get_double (v);
  ink_features_free (in);
  ink_features_free (out);
  return y;
}

/* Runs a task to its end; NULL (with a skip) while the trainer is not
 * there yet. */
static InkUpdateTask *
run_network_task (const InkModel *m, const InkBatch *b, const InkUpdateConfig *config, Recorder *r)
{
  InkUpdateTask *t = new_task (m, b, config, INK_EVENT_ALL, r);
  InkError err = {0};
  InkTaskState s;

  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  s = ink_update_task_wait (t);
  ink_update_task_get_error (t, &err);
  if (s == INK_TASK_FAILED && err.status == INK_ERR_UNSUPPORTED &&
      strstr (err.message, "trainer is not finished") != NULL) {
    g_test_skip ("the network trainer is not there yet");
    ink_update_task_free (t);
    return NULL;
  }
  if (s != INK_TASK_COMPLETED)
    g_error ("the task ended %s: %s", ink_task_state_to_string (s), err.message);
  return t;
}

static void
test_network_linear (void)
{
  InkModel *m = compile_fixture ("nn_updatable_linear1x1_mse.mlmodel");
  InkBatch *b;
  Recorder r;
  InkUpdateTask *t;
  const InkModel *out;
  double w, bias, before;
  int64_t epochs = 0;

  if (m == NULL)
    return;
  b = linear_batch ("dense_input", 1.0);
  before = predict_linear (m, "dense_input", "output", 1.0);
  recorder_init (&r);
  t = run_network_task (m, b, NULL, &r);
  if (t == NULL)
    goto out;
  out = ink_update_task_get_model (t);
  bias = predict_linear (out, "dense_input", "output", 0.0);
  w = predict_linear (out, "dense_input", "output", 1.0) - bias;
  g_test_message ("w = %.7f, b = %.7f", w, bias);
  g_assert_cmpfloat_with_epsilon (w, 2.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (bias, 1.5, 1e-3);
  /* The base is as it was. */
  g_assert_cmpfloat (predict_linear (m, "dense_input", "output", 1.0), ==, before);
  /* 100 epochs of 20 mini-batches of 1, losses reported and falling. */
  g_assert_cmpint (r.events[0].event, ==, INK_EVENT_TRAINING_BEGIN);
  g_assert_cmpint (r.events[0].metrics.epochs, ==, 100);
  for (size_t i = 1; i < r.n_events; i++) {
    const Event *e = &r.events[i];
    /* Each epoch: mini-batches 0 to 19 in order, then its end. */
    g_assert_cmpint (e->event, ==, i % 21 == 0 ? INK_EVENT_EPOCH_END : INK_EVENT_MINI_BATCH_END);
    g_assert_cmpint (e->metrics.epoch, ==, (int64_t) ((i - 1) / 21));
    if (e->event == INK_EVENT_MINI_BATCH_END) {
      g_assert_cmpint (e->metrics.mini_batch, ==, (int64_t) ((i - 1) % 21));
      g_assert_cmpint (e->metrics.examples_seen, ==, (int64_t) (i - (i - 1) / 21));
    }
    if (e->event == INK_EVENT_EPOCH_END) {
      g_assert_cmpint (e->metrics.epoch, ==, epochs);
      g_assert_cmpint (e->metrics.mini_batches, ==, 20);
      g_assert_cmpint (e->metrics.examples_seen, ==, 20 * (epochs + 1));
      g_assert_true (isfinite (e->metrics.loss));
      epochs++;
    } else if (e->event == INK_EVENT_MINI_BATCH_END) {
      g_assert_true (isfinite (e->metrics.loss));
      g_assert_cmpfloat (e->learning_rate, ==, 0.03);
    }
  }
  g_assert_cmpint (epochs, ==, 100);
  g_assert_cmpint (r.events[r.n_events - 1].event, ==, INK_EVENT_EPOCH_END);
  g_assert_cmpfloat (r.events[r.n_events - 1].metrics.loss, <, 1e-6);
  ink_update_task_free (t);
out:
  recorder_clear (&r);
  ink_batch_free (b);
  ink_model_free (m);
}

static void
test_network_deterministic (void)
{
  InkModel *m = compile_fixture ("nn_updatable_linear1x1_mse.mlmodel");
  InkUpdateConfig *config;
  InkBatch *b;
  Recorder r1, r2;
  InkUpdateTask *t1 = NULL, *t2 = NULL;

  if (m == NULL)
    return;
  b = linear_batch ("dense_input", 1.0);
  config = ink_update_config_new ();
  /* Few steps, so the weights are far from converged and any difference
   * in order would show. */
  ink_update_config_set_parameter (config, INK_PARAM_LEARNING_RATE, 0.01, NULL);
  recorder_init (&r1);
  recorder_init (&r2);
  t1 = run_network_task (m, b, config, &r1);
  if (t1 == NULL)
    goto out;
  t2 = run_network_task (m, b, config, &r2);
  for (double x = -2.0; x <= 2.0; x += 0.5) {
    double y1 = predict_linear (ink_update_task_get_model (t1), "dense_input", "output", x);
    double y2 = predict_linear (ink_update_task_get_model (t2), "dense_input", "output", x);
    g_assert_true (memcmp (&y1, &y2, sizeof y1) == 0);
  }
  /* The same losses, event for event. */
  g_assert_cmpuint (r1.n_events, ==, r2.n_events);
  for (size_t i = 0; i < r1.n_events; i++) {
    double l1 = r1.events[i].metrics.loss, l2 = r2.events[i].metrics.loss;
    g_assert_true ((isnan (l1) && isnan (l2)) || memcmp (&l1, &l2, sizeof l1) == 0);
  }
out:
  ink_update_task_free (t1);
  ink_update_task_free (t2);
  recorder_clear (&r1);
  recorder_clear (&r2);
  ink_update_config_free (config);
  ink_batch_free (b);
  ink_model_free (m);
}

static void
test_network_set_parameters (void)
{
  InkModel *m = compile_fixture ("nn_updatable_linear1x1_mse.mlmodel");
  InkUpdateConfig *config;
  InkBatch *b;
  Recorder r;
  InkUpdateTask *t;
  double epoch_loss[100] = {0};
  size_t n_epochs = 0;

  if (m == NULL)
    return;
  b = linear_batch ("dense_input", 1.0);
  config = ink_update_config_new ();
  g_assert_cmpint (ink_update_config_set_parameter (config, INK_PARAM_SHUFFLE, 0, NULL), ==,
                   INK_OK);
  recorder_init (&r);
  /* At the end of epoch 1, learningRate 0: from epoch 2 on nothing moves. */
  r.set_epoch = 1;
  r.set_at_epoch_end = ink_update_config_new ();
  ink_update_config_set_parameter (r.set_at_epoch_end, INK_PARAM_LEARNING_RATE, 0.0, NULL);
  t = run_network_task (m, b, config, &r);
  if (t == NULL)
    goto out;
  g_assert_cmpint (r.set_status, ==, INK_OK);
  for (size_t i = 0; i < r.n_events; i++) {
    const Event *e = &r.events[i];
    if (e->event == INK_EVENT_MINI_BATCH_END)
      g_assert_cmpfloat (e->learning_rate, ==, e->metrics.epoch < 2 ? 0.03 : 0.0);
    if (e->event == INK_EVENT_EPOCH_END && n_epochs < G_N_ELEMENTS (epoch_loss))
      epoch_loss[n_epochs++] = e->metrics.loss;
  }
  g_assert_cmpuint (n_epochs, ==, 100);
  g_assert_cmpfloat (epoch_loss[1], <, epoch_loss[0]);
  for (size_t e = 3; e < n_epochs; e++)
    g_assert_cmpfloat (epoch_loss[e], ==, epoch_loss[2]);
  ink_update_task_free (t);
out:
  recorder_clear (&r);
  ink_update_config_free (config);
  ink_batch_free (b);
  ink_model_free (m);
}

/* The Boston fixture (13 -> 64 -> 32 -> 1, mini-batches of 32) with compute
 * threads: two runs with the same seed and thread count agree bit for bit,
 * and the loss falls. */
static void
test_network_threads (void)
{
  InkModel *m = compile_fixture ("nn_updatable_boston_mse.mlmodel");
  InkUpdateConfig *config;
  InkBatch *b;
  Recorder r1, r2;
  InkUpdateTask *t1 = NULL, *t2 = NULL;
  const int64_t shape13[] = {13}, shape1[] = {1};
  float x[13];

  if (m == NULL)
    return;
  b = ink_batch_new ();
  for (guint32 i = 0; i < 64; i++) {
    InkFeatures *f = ink_features_new ();
    float y = 0.5f;
    ink_test_fill_random (x, 13, 40 + i, -1.0f, 1.0f);
    for (size_t j = 0; j < 13; j++)
      y += (float) (j % 3) * 0.2f * x[j];
    ink_features_set (f, "input", ink_test_array (1, shape13, x));
    ink_features_set (f, "output_true", ink_test_array (1, shape1, &y));
    ink_batch_append (b, f);
  }
  config = ink_update_config_new ();
  ink_update_config_set_threads (config, 3);
  recorder_init (&r1);
  recorder_init (&r2);
  t1 = run_network_task (m, b, config, &r1);
  if (t1 == NULL)
    goto out;
  t2 = run_network_task (m, b, config, &r2);
  g_assert_cmpuint (r1.n_events, ==, r2.n_events);
  for (size_t i = 0; i < r1.n_events; i++) {
    double l1 = r1.events[i].metrics.loss, l2 = r2.events[i].metrics.loss;
    g_assert_true ((isnan (l1) && isnan (l2)) || memcmp (&l1, &l2, sizeof l1) == 0);
  }
  {
    const Event *first = NULL, *last = NULL;
    for (size_t i = 0; i < r1.n_events; i++) {
      if (r1.events[i].event != INK_EVENT_EPOCH_END)
        continue;
      if (first == NULL)
        first = &r1.events[i];
      last = &r1.events[i];
    }
    g_assert_nonnull (last);
    g_assert_cmpint (last->metrics.mini_batches, ==, 2);
    g_test_message ("loss %g -> %g over %lld epochs", first->metrics.loss, last->metrics.loss,
                    (long long) last->metrics.epochs);
    g_assert_cmpfloat (last->metrics.loss, <, 0.5 * first->metrics.loss);
  }
  for (size_t i = 0; i < 5; i++) {
    const InkFeatures *ex = ink_batch_get (b, i);
    InkFeatures *o1 = NULL, *o2 = NULL;
    InkError err = {0};
    double y1, y2;
    ink_assert_ok (ink_model_predict (ink_update_task_get_model (t1), ex, &o1, &err), &err);
    ink_assert_ok (ink_model_predict (ink_update_task_get_model (t2), ex, &o2, &err), &err);
    y1 = ink_value_array_get (ink_features_get (o1, "output"), 0);
    y2 = ink_value_array_get (ink_features_get (o2, "output"), 0);
    g_assert_true (memcmp (&y1, &y2, sizeof y1) == 0);
    ink_features_free (o1);
    ink_features_free (o2);
  }
out:
  ink_update_task_free (t1);
  ink_update_task_free (t2);
  recorder_clear (&r1);
  recorder_clear (&r2);
  ink_update_config_free (config);
  ink_batch_free (b);
  ink_model_free (m);
}

/* A pipeline: a scaler (2 x) feeding the updatable network. */
static void
test_network_pipeline (void)
{
  InkModel *net = compile_fixture ("nn_updatable_linear1x1_mse.mlmodel");
  const double twice = 2.0;
  InkModel *scaler, *p;
  const int64_t shape[] = {1};
  InkFeatureType arr = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, shape);
  InkError err = {0};
  InkBatch *b;
  Recorder r;
  InkUpdateTask *t;

  if (net == NULL)
    return;
  scaler = ink_scaler_new (NULL, 0, &twice, 1);
  ink_assert_ok (ink_model_add_input (scaler, "x", &arr, "", &err), &err);
  ink_assert_ok (ink_model_add_output (scaler, "dense_input", &arr, "", &err), &err);
  p = ink_pipeline_new (INK_MODEL_PIPELINE);
  ink_assert_ok (ink_model_add_input (p, "x", &arr, "", &err), &err);
  ink_assert_ok (ink_model_add_output (p, "output", &arr, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (p, "x", &arr, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (p, "output_true", &arr, "", &err), &err);
  ink_assert_ok (ink_model_set_updatable (p, true), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "scale", scaler, &err), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "net", net, &err), &err);
  ink_assert_ok (ink_model_finish (p, &err), &err);

  /* y = 2 (2 x) + 1.5 through the scaler: the network learns w = 2. */
  b = linear_batch ("x", 2.0);
  recorder_init (&r);
  t = run_network_task (p, b, NULL, &r);
  if (t != NULL) {
    const InkModel *out = ink_update_task_get_model (t);
    double y0 = predict_linear (out, "x", "output", 0.0);
    double y1 = predict_linear (out, "x", "output", 1.0);
    g_assert_cmpfloat_with_epsilon (y0, 1.5, 1e-3);
    g_assert_cmpfloat_with_epsilon (y1 - y0, 4.0, 1e-3);
    ink_update_task_free (t);
  }
  recorder_clear (&r);
  ink_batch_free (b);
  ink_model_free (p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/update-task/state-names", test_state_names);
  g_test_add_func ("/engine/update-task/lifecycle", test_lifecycle);
  g_test_add_func ("/engine/update-task/event-mask", test_event_mask);
  g_test_add_func ("/engine/update-task/cancel/from-callback", test_cancel_from_callback);
  g_test_add_func ("/engine/update-task/cancel/from-other-thread", test_cancel_from_other_thread);
  g_test_add_func ("/engine/update-task/cancel/before-resume", test_cancel_before_resume);
  g_test_add_func ("/engine/update-task/free-while-running", test_free_while_running);
  g_test_add_func ("/engine/update-task/parameters/knn", test_parameters_knn);
  g_test_add_func ("/engine/update-task/validation", test_validation);
  g_test_add_func ("/engine/update-task/original-untouched", test_original_untouched);
  g_test_add_func ("/engine/update-task/network/linear", test_network_linear);
  g_test_add_func ("/engine/update-task/network/deterministic", test_network_deterministic);
  g_test_add_func ("/engine/update-task/network/set-parameters", test_network_set_parameters);
  g_test_add_func ("/engine/update-task/network/pipeline", test_network_pipeline);
  g_test_add_func ("/engine/update-task/network/threads", test_network_threads);
  return g_test_run ();
}

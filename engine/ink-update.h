/* ink-update.h: update tasks, Core ML's MLUpdateTask
 *
 * An update task personalizes a copy of an updatable model with a batch of
 * training examples on a worker thread: a k-nearest-neighbors classifier
 * (alone or as the last stage of a pipeline) gets the examples' embeddings,
 * a neural network (alone or as the last stage of a pipeline) is trained by
 * backpropagation with its loss and optimizer. The model given is never
 * changed; the result is a new model.
 *
 * Lifecycle: ink_update_task_new (state CREATED) → ink_update_task_resume
 * (RUNNING, on a worker thread) → COMPLETED, CANCELLED or FAILED; a cancel
 * request moves RUNNING to CANCELLING until the worker stops at the next
 * mini-batch. A task whose cancel was requested while it was running always
 * ends CANCELLED (with no model), even if the request came during its last
 * mini-batch. The completion callback runs once, on the worker thread,
 * after the final state is set. Progress callbacks run on the worker thread
 * too, for the events asked for, in order: trainingBegin once, then for each
 * epoch a miniBatchEnd per mini-batch and an epochEnd. Neither may free the
 * task; both may call ink_update_task_cancel, ink_update_task_set_parameters
 * and the accessors.
 *
 * Training: a network is trained for `epochs` epochs; each epoch (when
 * `shuffle` is true) reorders the examples with a splitmix64 stream seeded
 * by `seed` (one Fisher-Yates pass per epoch, unbiased draws; reseeded when
 * a parameter change brings a new seed), then runs mini-batches of
 * `miniBatchSize` examples (the last one may be smaller), one optimizer
 * step each. Cancellation is checked before each mini-batch; parameters
 * changed with ink_update_task_set_parameters take effect when the next
 * epoch begins. For a pipeline, the stages before the network run once on
 * every example when the task starts. Parameters the model does not declare
 * take these defaults: epochs 1, learningRate 0.01, miniBatchSize the whole
 * batch, momentum 0, beta1 0.9, beta2 0.999, eps 1e-8, shuffle true, seed 0.
 *
 * A k-NN update is one epoch: the examples, in order, in mini-batches of
 * INK_UPDATE_KNN_MINI_BATCH_SIZE (for a pipeline each goes through the
 * earlier stages; the k-NN's input features, by name, are its vector) are
 * added with their labels (the training input that is not a prediction
 * input, else the predicted feature). numberOfNeighbors sets k of the
 * result. Metrics' loss is NAN.
 *
 * Thread safety: every function may be called from any thread. From a
 * callback, ink_update_task_wait returns the current state at once, and
 * ink_update_task_free only marks the task to be freed by its worker when
 * it ends (so that no callback can deadlock); avoid both there.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ink-features.h"
#include "ink-model.h"
#include "ink-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  INK_TASK_CREATED = 0,
  INK_TASK_RUNNING = 1,
  INK_TASK_CANCELLING = 2,
  INK_TASK_COMPLETED = 3,
  INK_TASK_CANCELLED = 4,
  INK_TASK_FAILED = 5,
} InkTaskState;

/* "created", "running", ... */
const char *ink_task_state_to_string (InkTaskState state);

/* Events a task reports (Core ML's MLUpdateProgressEvent); a bit set. */
typedef enum {
  INK_EVENT_TRAINING_BEGIN = 1 << 0,
  INK_EVENT_EPOCH_END = 1 << 1,
  INK_EVENT_MINI_BATCH_END = 1 << 2,
} InkUpdateEvent;

#define INK_EVENT_ALL (INK_EVENT_TRAINING_BEGIN | INK_EVENT_EPOCH_END | INK_EVENT_MINI_BATCH_END)

/* "trainingBegin", "epochEnd", "miniBatchEnd" */
const char *ink_update_event_to_string (InkUpdateEvent event);

/* Metrics at an event (Core ML's MLUpdateContext.metrics). */
typedef struct {
  double loss;           /* mean loss of the mini-batch or epoch; NAN for k-NN */
  int64_t epoch;         /* index of the current epoch, from 0 */
  int64_t mini_batch;    /* index of the mini-batch within the epoch, from 0 */
  int64_t examples_seen; /* examples processed since the task started */
  int64_t epochs;        /* epochs the task will run (1 for k-NN) */
  int64_t mini_batches;  /* mini-batches per epoch */
} InkUpdateMetrics;

/* Configuration (Core ML's MLModelConfiguration with MLParameterKey
 * overrides): compute threads, and parameter values that replace the
 * model's defaults. Owned by the caller; tasks copy what they need. */
typedef struct InkUpdateConfig InkUpdateConfig;

InkUpdateConfig *ink_update_config_new (void);
void ink_update_config_free (InkUpdateConfig *config);
InkUpdateConfig *ink_update_config_copy (const InkUpdateConfig *config);
/* Worker threads for the forward and backward passes (default 1; 0 means
 * one per processor). Results do not depend on it for k-NN; a network's
 * are bit-for-bit the same for the same seed and thread count. */
void ink_update_config_set_threads (InkUpdateConfig *config, int threads);
/* An override by Core ML key (the INK_PARAM_* names: epochs, learningRate,
 * miniBatchSize, momentum, beta1, beta2, eps, shuffle, seed,
 * numberOfNeighbors). An unknown key is INK_ERR_INVALID_ARGUMENT. Whether
 * the model declares the parameter and allows the value is checked when a
 * task is made. */
InkStatus ink_update_config_set_parameter (InkUpdateConfig *config, const char *key, double value,
                                           InkError *err);
size_t ink_update_config_n_parameters (const InkUpdateConfig *config);
const char *ink_update_config_parameter_key (const InkUpdateConfig *config, size_t i);
double ink_update_config_parameter_value (const InkUpdateConfig *config, size_t i);

typedef struct InkUpdateTask InkUpdateTask;

/* Called on the worker thread for each event asked for. */
typedef void (*InkUpdateProgressFunc) (InkUpdateTask *task, InkUpdateEvent event,
                                       const InkUpdateMetrics *metrics, void *user_data);
/* Called once on the worker thread when the task has ended (completed,
 * cancelled or failed); read the result with the accessors below. */
typedef void (*InkUpdateCompletionFunc) (InkUpdateTask *task, void *user_data);

/* Makes a task (state CREATED) that will update a copy of model with the
 * examples (each holds the model's training inputs). The model and the
 * batch are copied: the caller keeps ownership and may free them at once.
 * config may be NULL (the model's defaults). Fails, naming the cause, when
 * the model is not updatable, the batch is empty, an example lacks a
 * training input or has the wrong type or shape, or a parameter is not
 * declared by the model or is outside its range (the error names the
 * parameter and the range). progress and completion may be NULL. */
InkUpdateTask *ink_update_task_new (const InkModel *model, const InkBatch *examples,
                                    const InkUpdateConfig *config, unsigned events,
                                    InkUpdateProgressFunc progress,
                                    InkUpdateCompletionFunc completion, void *user_data,
                                    InkError *err);
/* The same, loading the model from a compiled .inkmodel or a .mlmodel. */
InkUpdateTask *ink_update_task_new_from_file (const char *path, const InkBatch *examples,
                                              const InkUpdateConfig *config, unsigned events,
                                              InkUpdateProgressFunc progress,
                                              InkUpdateCompletionFunc completion, void *user_data,
                                              InkError *err);

/* Examples per mini-batch of a k-NN update. */
#define INK_UPDATE_KNN_MINI_BATCH_SIZE 16

/* Starts the task on its worker thread. Only from CREATED. A task cancelled
 * before it was resumed starts, then ends at once as CANCELLED. */
InkStatus ink_update_task_resume (InkUpdateTask *task, InkError *err);
/* Changes parameters from the next epoch on (Core ML's
 * resume(withParameters:)); typically called from an epoch-end callback.
 * Values are checked against the model's ranges at once. Only the
 * parameter values are taken from config: the compute threads stay as the
 * task was made with. INK_ERR_INVALID_ARGUMENT once the task has ended. */
InkStatus ink_update_task_set_parameters (InkUpdateTask *task, const InkUpdateConfig *config,
                                          InkError *err);
/* The value of a parameter (an INK_PARAM_* key) in effect: for the epoch
 * running, or before the first one, the value it will start with (the
 * model's default, or the configuration's override). Changes made with
 * ink_update_task_set_parameters show once their epoch has begun. An
 * unknown key is INK_ERR_INVALID_ARGUMENT. */
InkStatus ink_update_task_get_parameter (const InkUpdateTask *task, const char *key, double *value,
                                         InkError *err);
/* Asks the task to stop at the next mini-batch. No effect once ended. */
void ink_update_task_cancel (InkUpdateTask *task);
/* Blocks until the task has ended and its completion callback returned;
 * returns the final state (CREATED if it was never resumed). */
InkTaskState ink_update_task_wait (InkUpdateTask *task);
InkTaskState ink_update_task_get_state (const InkUpdateTask *task);

/* The result, once ended (Core ML's MLUpdateContext). The updated model is
 * NULL unless COMPLETED; it is owned by the task unless taken. */
const InkModel *ink_update_task_get_model (const InkUpdateTask *task);
InkModel *ink_update_task_take_model (InkUpdateTask *task);
InkUpdateMetrics ink_update_task_get_metrics (const InkUpdateTask *task);
/* The error of a FAILED task; for a CANCELLED one, INK_ERR_CANCELLED with
 * the message "cancelled"; INK_OK otherwise. Copied into err. */
void ink_update_task_get_error (const InkUpdateTask *task, InkError *err);

/* Cancels a running task, waits for it and frees it (see above for a call
 * from a callback). */
void ink_update_task_free (InkUpdateTask *task);

/* ---- Personalized models ---- */

/* What an updated model records of how it was made, in its user metadata
 * (keys "inkling.base.id", "inkling.base.version", "inkling.update.examples",
 * "inkling.update.time"). Strings are borrowed from the model; all NULL and
 * 0 for a model that was never updated. */
typedef struct {
  const char *base_id;      /* the base model's id (see ink_model_get_id) */
  const char *base_version; /* the base model's metadata version */
  int64_t examples;         /* examples it was updated with, in all */
  const char *updated_at;   /* ISO 8601 UTC, e.g. "2026-11-22T10:00:00Z" */
} InkProvenance;

bool ink_model_get_provenance (const InkModel *model, InkProvenance *out);
/* A model's id: its "inkling.id" user metadata when set, else
 * "sha256:" and the hex SHA-256 of its Core ML export. Caller frees. An
 * updated model does not keep its base's "inkling.id" (it is a different
 * model); its provenance names the base by that id. The hash is computed
 * once per content: the model (and the update tasks made from it) keep it
 * until the model is changed in place. Safe to call from several threads
 * on the same model. */
char *ink_model_get_id (const InkModel *model, InkError *err);

/* ---- Direct k-NN edits (no task needed: they are instant) ---- */

/* They change the model in place: the next prediction reflects them. Do not
 * run them while other threads predict with the same model. Removing the
 * last example of a k-NN that has no default label is refused
 * (INK_ERR_INVALID_ARGUMENT), as such a k-NN could not answer.
 * ink_knn_n_examples (ink-builder.h) also counts a pipeline's k-NN. */

/* Removes every example with the label (string or decimal int64); returns
 * how many were removed in *removed. model is a k-NN classifier or a
 * pipeline whose last stage is one. */
InkStatus ink_knn_remove_label (InkModel *model, const char *label, size_t *removed, InkError *err);
/* Removes the example at index (0 .. ink_knn_n_examples - 1). */
InkStatus ink_knn_remove_example (InkModel *model, size_t index, InkError *err);

#ifdef __cplusplus
}
#endif

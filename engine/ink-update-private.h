/* ink-update-private.h: what the update task's files share
 * (ink-update.c, ink-update-config.c, ink-update-knn.c, ink-provenance.c)
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ink-model-private.h"
#include "ink-update.h"

/* ---- Configuration (ink-update-config.c) ---- */

struct InkUpdateConfig {
  int threads; /* 0: one per processor */
  char **keys;
  double *values;
  size_t n, cap_keys, cap_values;
};

/* The parameter values a task trains with. Parameters a model does not
 * declare take the built-in defaults below (coremltools' defaults where
 * it has them). */
typedef struct {
  int64_t epochs;          /* 1 */
  double learning_rate;    /* 0.01 */
  int64_t mini_batch_size; /* 0: the whole batch in one mini-batch */
  double momentum;         /* 0 */
  double beta1;            /* 0.9 */
  double beta2;            /* 0.999 */
  double eps;              /* 1e-8 */
  bool shuffle;            /* true */
  int64_t seed;            /* 0 */
  int64_t k;               /* numberOfNeighbors: the k-NN's own k */
} InkUpdateParams;

/* Whether key is one of the INK_PARAM_* names. */
bool ink_update_param_key_known (const char *key);
/* The built-in defaults, then the defaults d declares. */
void ink_update_params_init (InkUpdateParams *p, const InkModelDescription *d);
/* Sets one parameter by key (unknown keys are ignored). */
void ink_update_params_set (InkUpdateParams *p, const char *key, double value);
/* Applies every override of config. */
void ink_update_params_apply (InkUpdateParams *p, const InkUpdateConfig *config);
/* Checks every override of config against the parameters d declares: an
 * undeclared key or a value outside the allowed range or set is
 * INK_ERR_PARAMETER, naming the parameter (and the allowed values). */
InkStatus ink_update_config_check (const InkUpdateConfig *config, const InkModelDescription *d,
                                   InkError *err);
/* The thread count to use: config's, with 0 resolved to the processors. */
int ink_update_config_resolve_threads (const InkUpdateConfig *config);

/* ---- What gets trained ---- */

/* The model an update changes: model itself, or for a pipeline its last
 * stage (recursively). Borrowed. */
InkModel *ink_update_trained_model (const InkModel *model);
/* The description whose update parameters apply to model: its own when it
 * declares some, else its trained model's. */
const InkModelDescription *ink_update_parameters_description (const InkModel *model);
/* Runs every pipeline stage before the trained model on example and
 * returns a new feature set: the example's features plus what those
 * stages produce (so the trained model's inputs and the training target are
 * both there). For a model that is not a pipeline, a copy of example. */
InkStatus ink_update_prepare_example (const InkModel *model, const InkFeatures *example,
                                      InkFeatures **out, InkError *err);
/* The name of the training target (the label of a k-NN, the loss target
 * of a network): a training input that is not a prediction input, else
 * the predicted feature name. NULL when there is none. */
const char *ink_update_target_name (const InkModel *model);

/* ---- k-NN updates (ink-update-knn.c) ---- */

/* Reads the k-NN's input vector (dims floats) and label from features
 * (as made by ink_update_prepare_example) and adds the example to knn.
 * label_name names the feature holding the label. */
InkStatus ink_update_knn_add (InkModel *knn, const InkFeatures *features, const char *label_name,
                              InkError *err);
/* Checks that value is a label of the k-NN's type (a string, or an int64
 * or integral double); the error names the feature. */
InkStatus ink_update_knn_check_label (const InkModel *knn, const char *name, const InkValue *value,
                                      InkError *err);
/* Sets k of the k-NN at the end of model, and the default of its
 * numberOfNeighbors parameter (in model's description too, for a
 * pipeline), so that saving and exporting keep it. */
InkStatus ink_update_knn_set_k (InkModel *model, int64_t k, InkError *err);

/* Hooks into the k-NN body (ink-knn.c). */
/* Removes the examples i with remove[i] set (n_examples entries) and
 * rebuilds the class list. */
InkStatus ink_knn_remove_examples (InkModel *knn, const bool *remove, InkError *err);
/* Sets k (1 .. the k-NN's maximum); false when out of range. */
bool ink_knn_set_k (InkModel *knn, int64_t k);
/* Whether the k-NN has a default label (answered with no examples). */
bool ink_knn_has_default_label (const InkModel *knn);

/* ---- Provenance (ink-provenance.c) ---- */

#define INK_META_BASE_ID "inkling.base.id"
#define INK_META_BASE_VERSION "inkling.base.version"
#define INK_META_UPDATE_EXAMPLES "inkling.update.examples"
#define INK_META_UPDATE_TIME "inkling.update.time"
#define INK_META_ID "inkling.id"

/* What an updated model inherits from its base, taken before the update
 * changes anything. */
typedef struct {
  char *base_id;
  char *base_version;
  int64_t examples; /* examples of earlier updates */
} InkProvenanceBase;

/* base_cell: the id cell of the model base was copied from
 * (ink_model_id_cell), so its id is computed at most once; may be NULL. */
InkStatus ink_provenance_base_init (InkProvenanceBase *pb, const InkModel *base,
                                    InkIdCell *base_cell, InkError *err);
void ink_provenance_base_clear (InkProvenanceBase *pb);
/* Writes the four provenance keys into updated's user metadata: the base's
 * id and version, pb->examples + n_examples, and the current UTC time. */
InkStatus ink_provenance_record (InkModel *updated, const InkProvenanceBase *pb, int64_t n_examples,
                                 InkError *err);

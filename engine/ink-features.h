/* ink-features.h: feature providers and batch providers
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stddef.h>

#include "ink-status.h"
#include "ink-value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Named feature values (Core ML's MLDictionaryFeatureProvider). Names keep
 * insertion order. Not thread-safe for concurrent modification; concurrent
 * reads are fine. */
typedef struct InkFeatures InkFeatures;

InkFeatures *ink_features_new (void);
void ink_features_free (InkFeatures *features);
InkFeatures *ink_features_copy (const InkFeatures *features);

/* Takes ownership of value (also on failure); replaces an existing name. */
InkStatus ink_features_set (InkFeatures *features, const char *name, InkValue *value);
/* Convenience setters, each building the value. */
InkStatus ink_features_set_double (InkFeatures *features, const char *name, double v);
InkStatus ink_features_set_int64 (InkFeatures *features, const char *name, int64_t v);
InkStatus ink_features_set_string (InkFeatures *features, const char *name, const char *v);

/* Borrowed; NULL when absent. */
const InkValue *ink_features_get (const InkFeatures *features, const char *name);
/* Removes and returns the value (caller owns it), or NULL when absent. */
InkValue *ink_features_take (InkFeatures *features, const char *name);
size_t ink_features_count (const InkFeatures *features);
const char *ink_features_name_at (const InkFeatures *features, size_t i);
const InkValue *ink_features_value_at (const InkFeatures *features, size_t i);

/* An ordered array of feature providers (Core ML's MLArrayBatchProvider). */
typedef struct InkBatch InkBatch;

InkBatch *ink_batch_new (void);
void ink_batch_free (InkBatch *batch);
/* Takes ownership of features (also on failure). */
InkStatus ink_batch_append (InkBatch *batch, InkFeatures *features);
size_t ink_batch_count (const InkBatch *batch);
const InkFeatures *ink_batch_get (const InkBatch *batch, size_t i);

#ifdef __cplusplus
}
#endif

/* ink-description.h: feature types and the model description
 * (Core ML's MLFeatureDescription, MLImageConstraint, MLModelDescription)
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ink-status.h"
#include "ink-value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int64_t width;
  int64_t height;
} InkImageSize;

/* The image an input accepts. width/height is the default size. Flexible
 * sizes are either an enumerated list or ranges (max -1 = unbounded);
 * n_sizes == 0 and has_range == false mean exactly width x height. */
typedef struct {
  int64_t width;
  int64_t height;
  InkPixelFormat format;
  size_t n_sizes;
  const InkImageSize *sizes; /* borrowed from whoever owns the type */
  bool has_range;
  int64_t min_width, max_width;
  int64_t min_height, max_height;
} InkImageConstraint;

/* A feature's type. Plain data; pointers inside are borrowed from the
 * description (or, when passed to a builder, copied by it). */
typedef struct {
  InkValueType type;
  bool optional;
  /* INK_VALUE_MULTIARRAY: element type and default shape (rank 0 = any) */
  InkArrayType array_type;
  size_t rank;
  int64_t shape[INK_MAX_RANK];
  /* INK_VALUE_IMAGE */
  InkImageConstraint image;
  /* INK_VALUE_DICTIONARY */
  InkKeyType key_type;
  /* INK_VALUE_SEQUENCE: INK_VALUE_INT64 or INK_VALUE_STRING */
  InkValueType element_type;
} InkFeatureType;

typedef struct {
  const char *name;
  const char *short_description; /* may be "" */
  InkFeatureType type;
} InkFeatureDescription;

/* Convenience constructors for feature types. */
InkFeatureType ink_feature_type_int64 (void);
InkFeatureType ink_feature_type_double (void);
InkFeatureType ink_feature_type_string (void);
InkFeatureType ink_feature_type_multiarray (InkArrayType type, size_t rank, const int64_t *shape);
InkFeatureType ink_feature_type_image (InkPixelFormat format, int64_t width, int64_t height);
InkFeatureType ink_feature_type_dictionary (InkKeyType key_type);
InkFeatureType ink_feature_type_sequence (InkValueType element_type);

/* Whether value satisfies type: the value type, multi-array shape (for a
 * declared rank > 0) and image size/format. On failure err names the feature
 * and what differs. Multi-array element types convert freely. */
InkStatus ink_feature_type_check (const InkFeatureType *type, const char *name,
                                  const InkValue *value, InkError *err);

/* Whether an image of width x height satisfies the constraint's sizes. */
bool ink_image_constraint_allows (const InkImageConstraint *c, int64_t width, int64_t height);

/* Writes a short human-readable form ("MultiArray (Float32 128)",
 * "Image (Gray8 28x28)") into buf. */
void ink_feature_type_describe (const InkFeatureType *type, char *buf, size_t size);

typedef struct {
  const char *short_description;
  const char *version;
  const char *author;
  const char *license;
} InkMetadata;

/* Core ML's MLParameterKey names, used everywhere a parameter is named. */
#define INK_PARAM_EPOCHS "epochs"
#define INK_PARAM_LEARNING_RATE "learningRate"
#define INK_PARAM_MINI_BATCH_SIZE "miniBatchSize"
#define INK_PARAM_MOMENTUM "momentum"
#define INK_PARAM_BETA1 "beta1"
#define INK_PARAM_BETA2 "beta2"
#define INK_PARAM_EPS "eps"
#define INK_PARAM_SHUFFLE "shuffle"
#define INK_PARAM_SEED "seed"
#define INK_PARAM_NUMBER_OF_NEIGHBORS "numberOfNeighbors"

typedef enum {
  INK_PARAM_INT64 = 0,
  INK_PARAM_DOUBLE = 1,
  INK_PARAM_BOOL = 2,
} InkParamType;

/* An update parameter with its default and the values allowed. For int64:
 * either a [min, max] range, a set of values, or unbounded. For double:
 * a range or unbounded. Bools have neither. */
typedef struct {
  const char *key;
  InkParamType type;
  double default_value; /* int64 and bool defaults are stored exactly */
  bool has_range;
  double min, max;
  size_t n_set;
  const int64_t *set; /* borrowed */
} InkUpdateParameter;

/* Checks value against the parameter's range or set; the error names the
 * parameter and the allowed values. */
InkStatus ink_update_parameter_check (const InkUpdateParameter *p, double value, InkError *err);

/* The description of a model: borrowed from the model that owns it. */
typedef struct InkModelDescription InkModelDescription;

size_t ink_description_n_inputs (const InkModelDescription *d);
const InkFeatureDescription *ink_description_input (const InkModelDescription *d, size_t i);
size_t ink_description_n_outputs (const InkModelDescription *d);
const InkFeatureDescription *ink_description_output (const InkModelDescription *d, size_t i);
size_t ink_description_n_training_inputs (const InkModelDescription *d);
const InkFeatureDescription *ink_description_training_input (const InkModelDescription *d,
                                                             size_t i);
/* By name; NULL when absent. */
const InkFeatureDescription *ink_description_find_input (const InkModelDescription *d,
                                                         const char *name);
const InkFeatureDescription *ink_description_find_output (const InkModelDescription *d,
                                                          const char *name);
/* "" when unset. */
const char *ink_description_predicted_feature_name (const InkModelDescription *d);
const char *ink_description_predicted_probabilities_name (const InkModelDescription *d);
/* Strings are "" when unset; never NULL. */
InkMetadata ink_description_metadata (const InkModelDescription *d);
size_t ink_description_n_user_metadata (const InkModelDescription *d);
const char *ink_description_user_metadata_key (const InkModelDescription *d, size_t i);
const char *ink_description_user_metadata_value (const InkModelDescription *d, size_t i);
/* NULL when absent. */
const char *ink_description_user_metadata_lookup (const InkModelDescription *d, const char *key);
bool ink_description_is_updatable (const InkModelDescription *d);
size_t ink_description_n_update_parameters (const InkModelDescription *d);
const InkUpdateParameter *ink_description_update_parameter (const InkModelDescription *d, size_t i);
const InkUpdateParameter *ink_description_find_update_parameter (const InkModelDescription *d,
                                                                 const char *key);

#ifdef __cplusplus
}
#endif

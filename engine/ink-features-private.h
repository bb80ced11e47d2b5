/* ink-features-private.h: the bodies of the feature-engineering model kinds
 *
 * The seven kinds Core ML pipelines use to turn raw columns into the vector
 * a model reads: oneHotEncoder, featureVectorizer, dictVectorizer, scaler,
 * imputer, arrayFeatureExtractor and normalizer (not to be confused with
 * ink-features.h, the feature providers). They are built with the
 * "Feature engineering" section of ink-builder.h; this header shows their
 * bodies as plain structs so that code inside the engine (the Core ML
 * exporter) can read a model back. Everything here is borrowed from the
 * model and read-only to callers; the *_body getters return NULL for a
 * model of another kind. Fields marked "finish" are derived state rebuilt
 * by ink_model_finish, not part of the model.
 *
 * The Core ML messages each body mirrors, with their field numbers, are
 * described at the top of the .c file implementing the kind:
 *   ink-one-hot.c      OneHotEncoder (Model field 600), DictVectorizer (603)
 *   ink-vectorizer.c   FeatureVectorizer (602), ArrayFeatureExtractor (609)
 *   ink-scaler.c       Scaler (604), Normalizer (607)
 *   ink-imputer.c      Imputer (601); its JSON body in ink-imputer-json.c
 *   ink-feature-models.c  helpers shared by all of them
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ink-model-private.h"

/* Beyond this many values (categories, vector entries, indices) a model is
 * surely corrupt; it bounds what predict allocates. */
#define INK_FM_MAX_VALUES ((size_t) 1 << 24)

/* Categories sorted for lookup (finish). */
typedef struct {
  size_t *order; /* indices into the categories, by ascending value */
  size_t n;
} InkCategoryIndex;

/* ---- Bodies ---- */

typedef struct {
  InkLabels categories;   /* stringCategories (1) or int64Categories (2) */
  bool output_sparse;     /* outputSparse (10) */
  bool ignore_unknown;    /* handleUnknown (11): IgnoreUnknown = 1 */
  InkCategoryIndex index; /* finish */
} InkOneHotEncoder;

typedef struct {
  InkLabels categories;   /* stringToIndex (1) or int64ToIndex (2) */
  InkCategoryIndex index; /* finish */
} InkDictVectorizer;

typedef struct {
  char *name;  /* InputColumn.inputColumn (1) */
  size_t dims; /* InputColumn.inputDimensions (2) */
} InkVectorizerColumn;

typedef struct {
  InkVectorizerColumn *columns; /* inputList (1), in output order */
  size_t n_columns, cap_columns;
  size_t total; /* finish: the sum of the dimensions */
} InkFeatureVectorizer;

typedef struct {
  double *shift; /* shiftValue (1); empty means 0 */
  size_t n_shift;
  double *scale; /* scaleValue (2); empty means 1 */
  size_t n_scale;
} InkScaler;

/* The imputed value's variant; the values are Core ML's field numbers. */
typedef enum {
  INK_IMPUTED_NONE = 0,
  INK_IMPUTED_DOUBLE = 1,
  INK_IMPUTED_INT64 = 2,
  INK_IMPUTED_STRING = 3,
  INK_IMPUTED_DOUBLE_ARRAY = 4,
  INK_IMPUTED_INT64_ARRAY = 5,
  INK_IMPUTED_STRING_DICTIONARY = 6,
  INK_IMPUTED_INT64_DICTIONARY = 7,
} InkImputedKind;

/* The replace value's variant (Core ML's field numbers); NONE means NaN
 * for doubles and multi-array elements, and "absent only" otherwise. */
typedef enum {
  INK_REPLACE_NONE = 0,
  INK_REPLACE_DOUBLE = 11,
  INK_REPLACE_INT64 = 12,
  INK_REPLACE_STRING = 13,
} InkReplaceKind;

typedef struct {
  InkImputedKind imputed;
  double imputed_double;   /* DOUBLE */
  int64_t imputed_int64;   /* INT64 */
  char *imputed_string;    /* STRING */
  double *imputed_doubles; /* DOUBLE_ARRAY: n_imputed values */
  int64_t *imputed_ints;   /* INT64_ARRAY: n_imputed values */
  size_t n_imputed;
  InkLabels dict_keys; /* *_DICTIONARY: the keys (string or int64) */
  double *dict_values; /* *_DICTIONARY: dict_keys.n values */
  InkReplaceKind replace;
  double replace_double; /* may be NaN or infinite */
  int64_t replace_int64;
  char *replace_string;
} InkImputer;

typedef struct {
  uint64_t *indices; /* extractIndex (1) */
  size_t n;
} InkArrayFeatureExtractor;

typedef struct {
  InkNormType norm; /* normType (1) */
} InkNormalizer;

const InkOneHotEncoder *ink_one_hot_encoder_body (const InkModel *model);
const InkDictVectorizer *ink_dict_vectorizer_body (const InkModel *model);
const InkFeatureVectorizer *ink_feature_vectorizer_body (const InkModel *model);
const InkScaler *ink_scaler_body (const InkModel *model);
const InkImputer *ink_imputer_body (const InkModel *model);
const InkArrayFeatureExtractor *ink_array_feature_extractor_body (const InkModel *model);
const InkNormalizer *ink_normalizer_body (const InkModel *model);

extern const InkModelOps ink_one_hot_encoder_ops;
extern const InkModelOps ink_dict_vectorizer_ops;
extern const InkModelOps ink_feature_vectorizer_ops;
extern const InkModelOps ink_scaler_ops;
extern const InkModelOps ink_imputer_ops;
extern const InkModelOps ink_array_feature_extractor_ops;
extern const InkModelOps ink_normalizer_ops;

/* The imputer's JSON body (ink-imputer-json.c) and what it shares with
 * ink-imputer.c. */
void ink_imputer_clear (InkImputer *b);
InkStatus ink_imputer_to_json (const InkModel *model, cJSON *obj, InkWeightWriter *w,
                               InkError *err);
InkStatus ink_imputer_from_json (InkModel *model, const cJSON *obj, InkWeightReader *r,
                                 InkError *err);

/* ---- Helpers shared by the kinds (ink-feature-models.c) ---- */

/* A new model of kind whose body is a zeroed block of size bytes. */
InkModel *ink_fm_alloc (InkModelKind kind, size_t size);
/* The model's body when it is of kind and not finished, else NULL. */
void *ink_fm_open_body (InkModel *model, InkModelKind kind);
const char *ink_fm_kind (const InkModel *model);

/* For finish: the model declares exactly n_inputs inputs (0: any number, at
 * least one) and exactly one output. */
InkStatus ink_fm_check_counts (const InkModel *model, size_t n_inputs, InkError *err);
/* Whether t is a multi-array with a fixed shape; *count is its size. */
bool ink_fm_fixed_count (const InkFeatureType *t, size_t *count);
/* "a multi-array", "a double", ...: for messages. */
const char *ink_fm_type_name (const InkFeatureType *t);

/* Puts v (taken; NULL means out of memory) under the first output. */
InkStatus ink_fm_emit (const InkModel *model, InkValue *v, InkFeatures *out, InkError *err);
/* A float64 multi-array of the given shape (NULL: [n]) holding n values. */
InkValue *ink_fm_array (size_t rank, const int64_t *shape, const double *values, size_t n);
/* A malloc'd copy of n doubles (NULL when n is 0 or out of memory). */
double *ink_fm_dup_doubles (const double *v, size_t n);
/* A double value as an int64 without loss, else false. */
bool ink_fm_double_to_int64 (double d, int64_t *out);

/* Categories: every value is distinct; builds the sorted index. */
InkStatus ink_category_index_build (InkCategoryIndex *ix, const InkLabels *l, const InkModel *model,
                                    InkError *err);
void ink_category_index_clear (InkCategoryIndex *ix);
/* The category's position in the list, or SIZE_MAX. */
size_t ink_category_index_find_string (const InkCategoryIndex *ix, const InkLabels *l,
                                       const char *s);
size_t ink_category_index_find_int64 (const InkCategoryIndex *ix, const InkLabels *l, int64_t v);
/* Copies the categories (strings: NULL entries refused). */
bool ink_fm_labels_from_strings (InkLabels *l, const char *const *s, size_t n);
bool ink_fm_labels_from_ints (InkLabels *l, const int64_t *v, size_t n);

/* JSON: an int64 is a number when a double holds it exactly (|v| <= 2^53)
 * and a decimal string otherwise; both forms are read. */
cJSON *ink_fm_json_int64 (int64_t v);
InkStatus ink_fm_int64_from_json (const cJSON *item, const char *what, int64_t *out, InkError *err);
/* A double that may be NaN or infinite: a number, or "NaN", "Infinity",
 * "-Infinity". */
cJSON *ink_fm_json_double_ext (double v);
InkStatus ink_fm_double_ext_from_json (const cJSON *item, const char *what, double *out,
                                       InkError *err);
/* Categories as an array under string_key or int_key of obj. */
bool ink_fm_categories_to_json (cJSON *obj, const InkLabels *l, const char *string_key,
                                const char *int_key);
/* Exactly one of string_key and int_key must be present. */
InkStatus ink_fm_categories_from_json (const cJSON *obj, const char *string_key,
                                       const char *int_key, InkLabels *out, InkError *err);
/* The object under key, or a format error. */
const cJSON *ink_fm_json_object (const cJSON *obj, const char *key, InkError *err);

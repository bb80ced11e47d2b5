/* ink-builder.h: making models in code
 *
 * Every model is built the same way: create it with ink_*_new, describe its
 * interface (inputs, outputs, metadata), add its body (layers, examples,
 * nodes, sub-models), then call ink_model_finish, which validates the whole
 * model and prepares it for prediction. Arrays and strings passed in are
 * copied. A model that is not finished cannot predict or be saved.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ink-description.h"
#include "ink-model.h"
#include "ink-status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The interface, common to every model kind ---- */

InkStatus ink_model_add_input (InkModel *model, const char *name, const InkFeatureType *type,
                               const char *short_description, InkError *err);
InkStatus ink_model_add_output (InkModel *model, const char *name, const InkFeatureType *type,
                                const char *short_description, InkError *err);
InkStatus ink_model_add_training_input (InkModel *model, const char *name,
                                        const InkFeatureType *type, const char *short_description,
                                        InkError *err);
InkStatus ink_model_set_predicted_feature_name (InkModel *model, const char *name);
InkStatus ink_model_set_predicted_probabilities_name (InkModel *model, const char *name);
/* NULL fields are left unchanged. */
InkStatus ink_model_set_metadata (InkModel *model, const InkMetadata *metadata);
InkStatus ink_model_set_user_metadata (InkModel *model, const char *key, const char *value);
InkStatus ink_model_set_specification_version (InkModel *model, int version);
InkStatus ink_model_set_updatable (InkModel *model, bool updatable);
/* Declares (or replaces) an update parameter with its default and range. */
InkStatus ink_model_set_update_parameter (InkModel *model, const InkUpdateParameter *param,
                                          InkError *err);

/* Class labels of a classifier (NN classifier, GLM, tree ensemble; k-NN
 * labels come with each example). */
InkStatus ink_model_set_class_labels_string (InkModel *model, const char *const *labels, size_t n);
InkStatus ink_model_set_class_labels_int64 (InkModel *model, const int64_t *labels, size_t n);

/* Validates and prepares the model; must be called once, last. */
InkStatus ink_model_finish (InkModel *model, InkError *err);

/* ---- Neural networks ---- */

InkModel *ink_nn_new (InkModelKind kind); /* a NEURAL_NETWORK* kind */

typedef enum {
  INK_LAYER_CONVOLUTION = 0,
  INK_LAYER_INNER_PRODUCT = 1,
  INK_LAYER_POOLING = 2,
  INK_LAYER_ACTIVATION = 3,
  INK_LAYER_SOFTMAX = 4,
  INK_LAYER_FLATTEN = 5,
  INK_LAYER_RESHAPE = 6,
  INK_LAYER_BATCHNORM = 7,
  INK_LAYER_ADD = 8,
  INK_LAYER_CONCAT = 9,
  INK_LAYER_DECONVOLUTION = 10,
  INK_LAYER_TRANSPOSE = 11,
  INK_LAYER_RESHAPE_STATIC = 12,
} InkLayerKind;

/* "convolution", "innerProduct", ...: Core ML's layer names. */
const char *ink_layer_kind_to_string (InkLayerKind kind);

typedef enum {
  INK_PAD_VALID = 0, /* explicit amounts (pad_*), possibly zero */
  INK_PAD_SAME = 1,  /* output = ceil(input / stride) */
  /* Pooling only, Core ML's ValidCompletePadding (Caffe's rule): top/left
   * amounts padded on both sides, out = ceil((in + 2 pad - k) / stride) + 1,
   * less one when pad > 0 and the last window starts in the padding. */
  INK_PAD_INCLUDE_LAST = 2,
} InkPaddingType;

typedef enum {
  INK_SAME_BOTTOM_RIGHT_HEAVY = 0,
  INK_SAME_TOP_LEFT_HEAVY = 1,
} InkSamePadding;

typedef struct {
  InkPaddingType type;
  /* VALID: rows/columns added at each edge; INCLUDE_LAST: top and left. */
  size_t top, bottom, left, right;
  InkSamePadding same_mode;
} InkPadding;

/* Convolution: weights are [out_channels][kernel_channels][kernel_h][kernel_w],
 * with kernel_channels = input channels / groups.
 *
 * Deconvolution (transposed convolution, INK_LAYER_DECONVOLUTION): weights
 * are [kernel_channels][out_channels / groups][kernel_h][kernel_w], with
 * kernel_channels = input channels; dilation is ignored. The output is
 * (in - 1) * stride + kernel - (top + bottom) with VALID padding (the amounts
 * are cropped from the full result), and in * stride with SAME padding (the
 * full result's excess is cropped as SAME convolution pads: the odd pixel at
 * the bottom/right by default). output_h/output_w, when non-zero, must equal
 * that size (Core ML's outputShape). */
typedef struct {
  size_t out_channels;
  size_t kernel_channels;
  size_t groups; /* 0 is taken as 1 */
  size_t kernel_h, kernel_w;
  size_t stride_h, stride_w;     /* 0 is taken as 1 */
  size_t dilation_h, dilation_w; /* 0 is taken as 1 */
  InkPadding padding;
  bool has_bias;
  const float *weights;
  const float *bias;
  size_t output_h, output_w; /* deconvolution only; 0 = from the padding */
} InkConvolutionParams;

/* Weights are [out_channels][in_channels], row-major; the input blob is
 * taken as a flat vector in channel-first order. */
typedef struct {
  size_t in_channels;
  size_t out_channels;
  bool has_bias;
  const float *weights;
  const float *bias;
} InkInnerProductParams;

typedef enum {
  INK_POOL_MAX = 0,
  INK_POOL_AVERAGE = 1,
} InkPoolType;

typedef struct {
  InkPoolType type;
  size_t kernel_h, kernel_w;
  size_t stride_h, stride_w; /* 0 is taken as 1 */
  InkPadding padding;
  bool exclude_padding; /* average: divide by the pixels inside the input */
  bool global;          /* kernel = whole spatial extent */
} InkPoolingParams;

typedef enum {
  INK_ACT_RELU = 0,
  INK_ACT_LEAKY_RELU = 1, /* alpha * x for x < 0 */
  INK_ACT_SIGMOID = 2,
  INK_ACT_TANH = 3,
  INK_ACT_LINEAR = 4, /* alpha * x + beta */
} InkActivationType;

typedef struct {
  InkActivationType type;
  float alpha, beta;
} InkActivationParams;

typedef enum {
  INK_ORDER_CHANNEL_FIRST = 0,
  INK_ORDER_CHANNEL_LAST = 1,
} InkChannelOrder;

typedef struct {
  InkChannelOrder order;
} InkFlattenParams;

/* Target [C, H, W]; order CHANNEL_LAST reads and writes in H, W, C order. */
typedef struct {
  int64_t shape[3];
  InkChannelOrder order;
} InkReshapeParams;

/* A permutation of the per-example [C, H, W] axes: output axis i is input
 * axis axes[i] (Core ML's transpose of a rank-4 [B, C, H, W] tensor whose
 * batch axis stays first, axes 1..3 minus one). */
typedef struct {
  size_t axes[3];
} InkTransposeParams;

/* Core ML's reshapeStatic: the data keeps its order, the target shape has
 * rank 1 to 5 and at most one -1 (inferred from the element count). The
 * per-example blob takes the last three dimensions (right-aligned: rank 2
 * [a, b] is [1, a, b]); dimensions before them must be 1. */
typedef struct {
  size_t rank;
  int64_t shape[5];
} InkReshapeStaticParams;

/* y = gamma * (x - mean) / sqrt(variance + epsilon) + beta per channel;
 * with compute_mean_var the mean and variance come from the input itself
 * (instance normalization). */
typedef struct {
  size_t channels;
  float epsilon; /* 0 is taken as 1e-5 */
  bool compute_mean_var;
  const float *gamma, *beta, *mean, *variance;
} InkBatchnormParams;

/* With one input, y = x + alpha; with several, their broadcast sum. */
typedef struct {
  float alpha;
} InkAddParams;

typedef struct {
  const char *name;
  InkLayerKind kind;
  const char *const *inputs;
  size_t n_inputs;
  const char *const *outputs;
  size_t n_outputs;
  bool updatable; /* its weights (and bias) are changed by update tasks */
  union {
    InkConvolutionParams convolution;
    InkInnerProductParams inner_product;
    InkPoolingParams pooling;
    InkActivationParams activation;
    InkFlattenParams flatten;
    InkReshapeParams reshape;
    InkBatchnormParams batchnorm;
    InkAddParams add;
    InkTransposeParams transpose;
    InkReshapeStaticParams reshape_static;
  } params;
} InkLayerSpec;

InkStatus ink_nn_add_layer (InkModel *model, const InkLayerSpec *layer, InkError *err);

/* Image preprocessing of an image input: y = scale * pixel + bias, with the
 * bias per channel (gray: gray_bias; colour: red, green, blue). An empty
 * feature_name ("") means the network's only image input; finish resolves
 * it (and fails when the network has no image input or several). */
typedef struct {
  const char *feature_name;
  float channel_scale;
  float red_bias, green_bias, blue_bias, gray_bias;
} InkImageScaler;

InkStatus ink_nn_add_image_scaler (InkModel *model, const InkImageScaler *scaler, InkError *err);

/* The blob whose values are the class scores of an NN classifier (default:
 * the output of the last layer). */
InkStatus ink_nn_set_probability_blob (InkModel *model, const char *blob_name);

/* How Core ML maps the inputs to tensors (spec 4: EXACT_ARRAY_MAPPING and
 * RANK4_IMAGE_MAPPING, against the legacy rank-5 mappings). Inkling runs
 * the same either way; the flags are kept so an export says the same. */
InkStatus ink_nn_set_shape_mapping (InkModel *model, bool exact_arrays, bool rank4_images);

typedef enum {
  INK_LOSS_CATEGORICAL_CROSS_ENTROPY = 0,
  INK_LOSS_MEAN_SQUARED_ERROR = 1,
} InkLossType;

typedef enum {
  INK_OPTIMIZER_SGD = 0,
  INK_OPTIMIZER_ADAM = 1,
} InkOptimizerType;

/* Training configuration of an updatable network (its parameter defaults and
 * ranges are declared with ink_model_set_update_parameter). */
InkStatus ink_nn_set_loss (InkModel *model, const char *name, InkLossType type, const char *input,
                           const char *target);
InkStatus ink_nn_set_optimizer (InkModel *model, InkOptimizerType type);

/* ---- k-nearest-neighbors classifier ---- */

typedef enum {
  INK_KNN_UNIFORM = 0,          /* each of the k neighbours votes 1 */
  INK_KNN_INVERSE_DISTANCE = 1, /* each votes 1 / distance */
} InkKnnWeighting;

/* A classifier over dimensions-long float vectors using a linear index and
 * squared Euclidean distance. labels_int64 selects int64 labels. k's
 * default and allowed range are the numberOfNeighbors update parameter. */
InkModel *ink_knn_new (size_t dimensions, InkKnnWeighting weighting, int64_t k, bool labels_int64);
InkStatus ink_knn_set_default_label_string (InkModel *model, const char *label);
InkStatus ink_knn_set_default_label_int64 (InkModel *model, int64_t label);
InkStatus ink_knn_add_example_string (InkModel *model, const float *vector, const char *label,
                                      InkError *err);
InkStatus ink_knn_add_example_int64 (InkModel *model, const float *vector, int64_t label,
                                     InkError *err);
/* For a pipeline, the examples of the k-NN it ends with. */
size_t ink_knn_n_examples (const InkModel *model);

/* ---- Tree ensembles ---- */

typedef enum {
  INK_TREE_BRANCH_LE = 0, /* x <= value goes to the true child */
  INK_TREE_BRANCH_LT = 1,
  INK_TREE_BRANCH_GE = 2,
  INK_TREE_BRANCH_GT = 3,
  INK_TREE_BRANCH_EQ = 4,
  INK_TREE_BRANCH_NE = 5,
  INK_TREE_LEAF = 6,
} InkTreeNodeBehavior;

typedef enum {
  INK_TREE_NO_TRANSFORM = 0,
  INK_TREE_SOFTMAX = 1,
  INK_TREE_LOGISTIC = 2,
  INK_TREE_SOFTMAX_ZERO_CLASS_REFERENCE = 3,
} InkTreeTransform;

typedef struct {
  uint64_t index;
  double value;
} InkTreeEvaluation;

typedef struct {
  uint64_t tree_id;
  uint64_t node_id;
  InkTreeNodeBehavior behavior;
  uint64_t feature_index;
  double feature_value;
  uint64_t true_child;
  uint64_t false_child;
  bool missing_goes_true;
  size_t n_evaluations; /* leaves: added to the prediction */
  const InkTreeEvaluation *evaluations;
} InkTreeNode;

/* kind: INK_MODEL_TREE_ENSEMBLE_CLASSIFIER or _REGRESSOR; the input is the
 * model's first input (a multi-array, double or int64). */
InkModel *ink_tree_ensemble_new (InkModelKind kind, size_t n_dimensions,
                                 InkTreeTransform transform);
InkStatus ink_tree_ensemble_set_base_prediction (InkModel *model, const double *values, size_t n);
InkStatus ink_tree_ensemble_add_node (InkModel *model, const InkTreeNode *node, InkError *err);

/* ---- Generalized linear models ---- */

typedef enum {
  INK_GLM_LOGIT = 0,
  INK_GLM_PROBIT = 1,
  INK_GLM_NO_TRANSFORM = 2, /* regressors only */
} InkGlmTransform;

typedef enum {
  INK_GLM_REFERENCE_CLASS = 0,
  INK_GLM_ONE_VS_REST = 1,
} InkGlmEncoding;

/* weights: n_rows x n_columns row-major; offsets: n_rows. */
InkModel *ink_glm_classifier_new (const double *weights, size_t n_rows, size_t n_columns,
                                  const double *offsets, InkGlmTransform transform,
                                  InkGlmEncoding encoding);
InkModel *ink_glm_regressor_new (const double *weights, size_t n_rows, size_t n_columns,
                                 const double *offsets, InkGlmTransform transform);

/* ---- Pipelines ---- */

/* kind: INK_MODEL_PIPELINE, _PIPELINE_CLASSIFIER or _PIPELINE_REGRESSOR. */
InkModel *ink_pipeline_new (InkModelKind kind);
/* Takes ownership of stage (finished or not; finishing the pipeline finishes
 * its stages). name may be NULL for "model<i>". */
InkStatus ink_pipeline_add_model (InkModel *pipeline, const char *name, InkModel *stage,
                                  InkError *err);
size_t ink_pipeline_n_models (const InkModel *pipeline);
/* Borrowed. */
InkModel *ink_pipeline_get_model (InkModel *pipeline, size_t i);
const char *ink_pipeline_get_name (const InkModel *pipeline, size_t i);

/* ---- Feature engineering ---- */

/* Core ML's preprocessing models. Each reads the input(s) it declares and
 * writes one value under its first (and only) declared output; finish
 * checks the declared types. Constructors return NULL for NULL arrays
 * with n > 0 or when out of memory. The bodies can be read back through
 * ink-features-private.h (inside the engine). */

/* A categorical input (a String for string categories, an Int64 for
 * int64 ones) becomes the index of its category: sparse, a
 * Dictionary (Int64 to Double) {index: 1.0}; dense, a multi-array of one
 * value per category, 1.0 at the index. A value that is not a category is
 * an error, or with ignore_unknown an empty dictionary / all zeros. */
InkModel *ink_one_hot_encoder_new_string (const char *const *categories, size_t n, bool sparse,
                                          bool ignore_unknown);
InkModel *ink_one_hot_encoder_new_int64 (const int64_t *categories, size_t n, bool sparse,
                                         bool ignore_unknown);

/* Concatenates inputs, in the order their columns are added, into one
 * float64 multi-array (the output, declared as a multi-array): a Double or
 * Int64 gives 1 value (dims must be 1), a multi-array its dims elements, a
 * Dictionary (Int64 to Double) a dims-long vector with each value at its
 * key (keys outside [0, dims) are an error, missing keys 0). Each column
 * names a declared input. */
InkModel *ink_feature_vectorizer_new (void);
InkStatus ink_feature_vectorizer_add_column (InkModel *model, const char *name, size_t dims,
                                             InkError *err);

/* A Dictionary input (keyed like the categories) becomes a float64
 * multi-array of one value per category, in category order: missing keys
 * give 0, keys that are not categories are ignored. */
InkModel *ink_dict_vectorizer_new_string (const char *const *categories, size_t n);
InkModel *ink_dict_vectorizer_new_int64 (const int64_t *categories, size_t n);

/* y = (x + shift) * scale. Each array has 0 entries (shift 0, scale 1), 1
 * (applied to every element) or one per element of a multi-array input. A
 * Double or Int64 input gives a Double (or an Int64 output, when declared
 * so and exact); a multi-array a float64 multi-array of the same shape. */
InkModel *ink_scaler_new (const double *shift, size_t n_shift, const double *scale, size_t n_scale);

/* Replaces a missing value with the imputed one. A value is missing when
 * the (optional) input is absent, or when it equals the replace value: by
 * default NaN for a Double input and for each element of a multi-array
 * input; Int64 and String inputs have no default replace value. The input
 * and output types match: _double takes a Double or multi-array input (every
 * missing element becomes the value), _int64 an Int64, _string a String,
 * the arrays a multi-array (element i becomes values[i]), the dictionaries
 * a Dictionary (imputed only when absent; no replace value allowed). */
InkModel *ink_imputer_new_double (double value);
InkModel *ink_imputer_new_int64 (int64_t value);
InkModel *ink_imputer_new_string (const char *value);
InkModel *ink_imputer_new_double_array (const double *values, size_t n);
InkModel *ink_imputer_new_int64_array (const int64_t *values, size_t n);
InkModel *ink_imputer_new_string_dictionary (const char *const *keys, const double *values,
                                             size_t n);
InkModel *ink_imputer_new_int64_dictionary (const int64_t *keys, const double *values, size_t n);
/* The replace value (one at most; the last call wins). A double one fits
 * Double and multi-array inputs (NaN is the default), an int64 one Int64
 * inputs and int64 arrays, a string one String inputs. */
InkStatus ink_imputer_set_replace_double (InkModel *model, double value);
InkStatus ink_imputer_set_replace_int64 (InkModel *model, int64_t value);
InkStatus ink_imputer_set_replace_string (InkModel *model, const char *value);

/* Picks elements (row-major, zero-based) of a multi-array input: one index
 * gives a Double (or an Int64, when declared so and exact) unless the
 * output is declared as a multi-array; several give a float64
 * multi-array. */
InkModel *ink_array_feature_extractor_new (const uint64_t *indices, size_t n);

typedef enum {
  INK_NORM_LMAX = 0, /* x / max |x_i| */
  INK_NORM_L1 = 1,   /* x / sum |x_i| */
  INK_NORM_L2 = 2,   /* x / sqrt (sum x_i^2) */
} InkNormType;

/* Divides a multi-array by its norm into a float64 multi-array of the same
 * shape; an all-zero input stays all zeros. */
InkModel *ink_normalizer_new (InkNormType norm);

#ifdef __cplusplus
}
#endif

/* ink-nn-private.h: the neural network's layers, plan and kernels
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "ink-model-private.h"

/* The number of layer kinds (InkLayerKind values are 0 .. this - 1). */
#define INK_N_LAYER_KINDS ((int) INK_LAYER_RESHAPE_STATIC + 1)

/* Weight slots of a layer: convolution, deconvolution and inner product use
 * WEIGHTS and BIAS; batchnorm uses GAMMA, BETA, MEAN, VARIANCE. */
enum {
  INK_W_WEIGHTS = 0,
  INK_W_BIAS = 1,
  INK_W_GAMMA = 0,
  INK_W_BETA = 1,
  INK_W_MEAN = 2,
  INK_W_VARIANCE = 3,
  INK_W_SLOTS = 4,
};

/* A blob's per-example shape: channels, height, width (Core ML's legacy
 * [C, H, W] with batch and sequence of 1). */
typedef struct {
  size_t c, h, w;
} InkShape;

static inline size_t
ink_shape_count (InkShape s)
{
  return s.c * s.h * s.w;
}

/* Resolved geometry of a convolution or pooling window. For a
 * deconvolution, in_* is the layer's input, out_* its output, and
 * pad_top/pad_left the rows and columns cropped from the start of the full
 * (in - 1) * stride + kernel result. */
typedef struct {
  size_t in_c, in_h, in_w;
  size_t out_c, out_h, out_w;
  size_t k_h, k_w, stride_h, stride_w, dil_h, dil_w;
  size_t pad_top, pad_left, pad_bottom, pad_right;
  size_t groups;
} InkWindow;

/* One axis of a pooling window, for the forward and backward passes alike:
 * the window of output o runs from start (o * stride - pad before, maybe
 * negative) to end; [lo, hi) is its part inside the n input pixels, and
 * padded_end its end clipped to the padded input (n + pad after: Caffe's
 * rule for the average's divisor). */
typedef struct {
  ptrdiff_t start, lo, hi, padded_end;
} InkPoolSpan;

static inline InkPoolSpan
ink_pool_span (size_t o, size_t stride, size_t k, size_t n, size_t pad_before, size_t pad_after)
{
  ptrdiff_t start = (ptrdiff_t) (o * stride) - (ptrdiff_t) pad_before;
  ptrdiff_t end = start + (ptrdiff_t) k;
  ptrdiff_t limit = (ptrdiff_t) (n + pad_after);
  InkPoolSpan s = {start, start < 0 ? 0 : start, end > (ptrdiff_t) n ? (ptrdiff_t) n : end,
                   end > limit ? limit : end};

  return s;
}

static inline InkPoolSpan
ink_pool_rows (const InkWindow *g, size_t oy)
{
  return ink_pool_span (oy, g->stride_h, g->k_h, g->in_h, g->pad_top, g->pad_bottom);
}

static inline InkPoolSpan
ink_pool_cols (const InkWindow *g, size_t ox)
{
  return ink_pool_span (ox, g->stride_w, g->k_w, g->in_w, g->pad_left, g->pad_right);
}

/* The number of pixels an average pooling window divides by. */
static inline ptrdiff_t
ink_pool_count (InkPoolSpan y, InkPoolSpan x, bool exclude_padding)
{
  return exclude_padding ? (y.hi - y.lo) * (x.hi - x.lo)
                         : (y.padded_end - y.start) * (x.padded_end - x.start);
}

typedef struct {
  char *name;
  InkLayerKind kind;
  char **inputs;
  size_t n_inputs;
  char **outputs;
  size_t n_outputs;
  bool updatable;
  /* Parameters as given to the builder; their weight pointers are unused
   * (the values live in w[]). */
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
  } p;
  InkWeights w[INK_W_SLOTS];
  /* Plan, filled by finish: blob indices and geometry. */
  int *in_blobs;
  int out_blob;
  InkWindow win;
  /* A convolution whose output only the next layer, an activation, reads,
   * and whose activation's output only the layer after, a max pooling,
   * reads: at inference it computes those two layers too, and only the
   * pooling's output is written (ink_kernel_convolution_fused). */
  bool fused;
  /* A convolution's weights and bias packed for ink_kernel_conv_blocked,
   * which runs it at inference; NULL where that kernel does not apply. Made
   * by finish, and again by ink_nn_layer_repack after training changes the
   * weights. */
  float *packed;
} InkLayer;

typedef struct {
  char *feature_name;
  float scale;
  float red_bias, green_bias, blue_bias, gray_bias;
} InkScaler;

typedef enum {
  INK_BLOB_LAYER = 0,
  INK_BLOB_INPUT_IMAGE = 1,
  INK_BLOB_INPUT_ARRAY = 2,
  INK_BLOB_INPUT_SCALAR = 3,
} InkBlobSource;

typedef struct {
  char *name;
  InkShape shape;
  size_t offset; /* in floats, within a workspace */
  InkBlobSource source;
  int scaler; /* index into scalers for image inputs, or -1 */
  InkPixelFormat format;
} InkBlob;

typedef struct InkWorkspacePool InkWorkspacePool;

struct InkNetwork {
  InkLayer *layers;
  size_t n_layers, cap_layers;
  InkScaler *scalers;
  size_t n_scalers, cap_scalers;
  char *probability_blob;
  bool has_loss;
  char *loss_name;
  InkLossType loss_type;
  char *loss_input, *loss_target;
  bool has_optimizer;
  InkOptimizerType optimizer;
  /* Core ML's input shape mappings (spec 4), kept for export. */
  bool exact_array_mapping, rank4_image_mapping;
  /* Plan, filled by finish. */
  InkBlob *blobs;
  size_t n_blobs, cap_blobs;
  size_t workspace_floats; /* all blobs, then the scratch area */
  size_t scratch_offset;
  int probs_blob; /* classifier: the blob with the class scores */
  InkWorkspacePool *pool;
};

/* Initializes l from a builder spec with the weight slots from src: copied,
 * or borrowed (from a mapped file) when borrow is set. src_counts, when not
 * NULL, are the sizes src holds, checked against what the layer needs. */
InkStatus ink_nn_layer_init (InkLayer *l, const InkLayerSpec *spec,
                             const float *const src[INK_W_SLOTS], const size_t *src_counts,
                             bool borrow, InkError *err);
/* The builder spec of an existing layer (weights not included). */
InkLayerSpec ink_nn_layer_spec (const InkLayer *l);
/* The network's body as JSON (ink-nn-json.c). */
InkStatus ink_nn_to_json (const InkModel *m, cJSON *obj, InkWeightWriter *w, InkError *err);
InkStatus ink_nn_from_json (InkModel *m, const cJSON *obj, InkWeightReader *r, InkError *err);

/* Index of a blob by name, or -1. */
int ink_nn_find_blob (const InkNetwork *nn, const char *name);

/* Runs the whole network on one example whose inputs are in features,
 * writing every blob into ws (workspace_floats long). With inference set,
 * the blobs that only fused layers read (InkLayer.fused) are not written:
 * training passes false, as the backward pass reads them. */
InkStatus ink_nn_forward (const InkModel *model, const InkFeatures *inputs, float *ws,
                          bool inference, InkError *err);
/* As ink_nn_forward, with inference chosen per layer: at_inference[i] for
 * layer i (a fused convolution's flag decides for its activation and
 * pooling too). Training sets it for the layers the backward pass does not
 * visit: the blobs it skips are read by nothing else, and every blob
 * written holds the same values as with inference off. */
InkStatus ink_nn_forward_mixed (const InkModel *model, const InkFeatures *inputs, float *ws,
                                const bool *at_inference, InkError *err);

/* Packs a convolution's weights again (InkLayer.packed) after they
 * changed. */
void ink_nn_layer_repack (InkLayer *l);

/* The instruction set the kernels use: the processor's, capped by
 * INKLING_SIMD=generic or avx2 (ink-nn-kernels.c). */
typedef enum {
  INK_SIMD_NONE = 0,
  INK_SIMD_AVX2 = 1,
  INK_SIMD_AVX512 = 2,
} InkSimdLevel;
InkSimdLevel ink_kernel_simd_level (void);

/* Stride-1 convolution vectorized over output channels, for inference
 * (ink-nn-conv-blocked.c). packed_floats is the size of the packed weights
 * and bias, 0 where the kernel does not apply (another stride or dilation,
 * no AVX2, a large output). With pool NULL it writes the convolution's
 * output to out; otherwise it applies act (may be NULL) and the max pooling
 * and writes only pool_out, as ink_kernel_convolution_fused does. Results
 * are bit for bit those of ink_kernel_convolution's direct kernel. */
size_t ink_kernel_conv_blocked_packed_floats (const InkWindow *g);
void ink_kernel_conv_blocked_pack (const InkWindow *g, const float *weights, const float *bias,
                                   float *packed);
size_t ink_kernel_conv_blocked_scratch (const InkWindow *g);
void ink_kernel_conv_blocked (const InkWindow *g, const float *packed, const float *in, float *out,
                              float *scratch, const InkActivationParams *act, const InkWindow *pool,
                              float *pool_out);

/* Kernels (ink-nn-kernels.c). Shapes are [C, H, W], contiguous. */
void ink_kernel_convolution (const InkWindow *g, const float *in, const float *weights,
                             const float *bias, float *out, float *scratch);
size_t ink_kernel_convolution_scratch (const InkWindow *g);
/* At inference: a convolution, then an element-wise activation of its
 * output, then a max pooling of that into pool_out, done a few output
 * channels at a time on the convolution's register tiles, so the
 * convolution's and the activation's outputs (out, act_out) need not be
 * written, and may not be. pool_out holds exactly what the three kernels
 * called one after the other would write: the same activation and pooling
 * code runs on the same values. Only when fusable (below). */
bool ink_kernel_convolution_fusable (const InkWindow *g, const InkWindow *pool);
void ink_kernel_convolution_fused (const InkWindow *g, const float *in, const float *weights,
                                   const float *bias, float *out, float *scratch,
                                   const InkActivationParams *act, float *act_out,
                                   const InkWindow *pool, float *pool_out);
size_t ink_kernel_deconvolution_scratch (const InkWindow *g);
void ink_kernel_deconvolution (const InkWindow *g, const float *in, const float *weights,
                               const float *bias, float *out, float *scratch);
/* out's axis i is in's axis axes[i]. */
void ink_kernel_transpose (InkShape in_shape, const size_t axes[3], const float *in, float *out);

/* A transpose's walk, for the forward and backward passes alike: out's
 * element (i, j, k) is (i * n[1] + j) * n[2] + k, in's is i * stride[0] +
 * j * stride[1] + k * stride[2], for i < n[0], j < n[1], k < n[2]. */
typedef struct {
  size_t n[3], stride[3];
} InkTransposeWalk;

static inline InkTransposeWalk
ink_transpose_walk (InkShape s, const size_t axes[3])
{
  const size_t dims[3] = {s.c, s.h, s.w};
  const size_t strides[3] = {s.h * s.w, s.w, 1};
  InkTransposeWalk t;

  for (int a = 0; a < 3; a++) {
    t.n[a] = dims[axes[a]];
    t.stride[a] = strides[axes[a]];
  }
  return t;
}
void ink_kernel_inner_product (const float *in, size_t n_in, const float *weights,
                               const float *bias, float *out, size_t n_out);
/* An inner product's weight derivative over a group of examples
 * (ink-nn-dense-grad.c): dw[o * n_in + i] += dy[r * n_out + o] *
 * x[r * n_in + i] for each example r < rows in turn, o < n_out, i < n_in. */
void ink_kernel_dense_weight_grad (size_t rows, size_t n_out, size_t n_in, const float *dy,
                                   const float *x, float *dw);
void ink_kernel_pool_max (const InkWindow *g, const float *in, float *out);
void ink_kernel_pool_average (const InkWindow *g, const float *in, float *out,
                              bool exclude_padding);
void ink_kernel_activation (const InkActivationParams *a, const float *in, float *out, size_t n);
void ink_kernel_softmax_channels (InkShape s, const float *in, float *out);
void ink_kernel_flatten_channel_last (InkShape s, const float *in, float *out);
void ink_kernel_reshape_channel_last (InkShape from, InkShape to, const float *in, float *out);
void ink_kernel_batchnorm (InkShape s, const float *in, const float *gamma, const float *beta,
                           const float *mean, const float *variance, float epsilon,
                           bool compute_mean_var, float *out);
/* out = broadcast sum; each input's dims are out's or 1. */
void ink_kernel_add (InkShape out_shape, const float *const *ins, const InkShape *in_shapes,
                     size_t n, float *out);

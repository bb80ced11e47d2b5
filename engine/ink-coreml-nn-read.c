/* ink-coreml-nn-read.c: reading Core ML neural networks (plain, classifier,
 * regressor) into the runtime's layers
 *
 * Every layer kind the runtime has is mapped; any other layer kind, option
 * or weight encoding that would change the results if it were ignored is
 * refused with a message naming it and its field number. Other unknown
 * fields are skipped, as protobuf readers do for newer files.
 *
 * An image scaler whose featureName is empty is stored with an empty name:
 * the network's finish resolves it to the only image input (see
 * ink_nn_add_image_scaler), since the inputs are not known yet here.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include "ink-coreml-private.h"
#include "ink-nn-private.h"

/* Sizes (channels, kernel sizes, strides, paddings) above this are refused
 * before any arithmetic, so that no product can overflow. */
#define NN_MAX_SIZE ((uint64_t) 1 << 28)

/* NeuralNetworkLayer oneof field numbers (NeuralNetwork.proto). */
enum {
  L_CONVOLUTION = 100,
  L_POOLING = 120,
  L_ACTIVATION = 130,
  L_INNER_PRODUCT = 140,
  L_BATCHNORM = 160,
  L_SOFTMAX = 175,
  L_ADD = 230,
  L_RESHAPE = 300,
  L_FLATTEN = 301,
  L_CONCAT = 320,
  L_TRANSPOSE = 985,
  L_RESHAPE_STATIC = 1140,
};

static const struct {
  uint16_t number;
  const char *name;
} layer_kinds[] = {
  {100, "convolution"},
  {120, "pooling"},
  {130, "activation"},
  {140, "innerProduct"},
  {150, "embedding"},
  {160, "batchnorm"},
  {165, "mvn"},
  {170, "l2normalize"},
  {175, "softmax"},
  {180, "lrn"},
  {190, "crop"},
  {200, "padding"},
  {210, "upsample"},
  {211, "resizeBilinear"},
  {212, "cropResize"},
  {220, "unary"},
  {230, "add"},
  {231, "multiply"},
  {240, "average"},
  {245, "scale"},
  {250, "bias"},
  {260, "max"},
  {261, "min"},
  {270, "dot"},
  {280, "reduce"},
  {290, "loadConstant"},
  {300, "reshape"},
  {301, "flatten"},
  {310, "permute"},
  {320, "concat"},
  {330, "split"},
  {340, "sequenceRepeat"},
  {345, "reorganizeData"},
  {350, "slice"},
  {400, "simpleRecurrent"},
  {410, "gru"},
  {420, "uniDirectionalLSTM"},
  {430, "biDirectionalLSTM"},
  {500, "custom"},
  {600, "copy"},
  {605, "branch"},
  {615, "loop"},
  {620, "loopBreak"},
  {625, "loopContinue"},
  {635, "rangeStatic"},
  {640, "rangeDynamic"},
  {660, "clip"},
  {665, "ceil"},
  {670, "floor"},
  {680, "sign"},
  {685, "round"},
  {700, "exp2"},
  {710, "sin"},
  {715, "cos"},
  {720, "tan"},
  {730, "asin"},
  {735, "acos"},
  {740, "atan"},
  {750, "sinh"},
  {755, "cosh"},
  {760, "tanh"},
  {770, "asinh"},
  {775, "acosh"},
  {780, "atanh"},
  {790, "erf"},
  {795, "gelu"},
  {815, "equal"},
  {820, "notEqual"},
  {825, "lessThan"},
  {827, "lessEqual"},
  {830, "greaterThan"},
  {832, "greaterEqual"},
  {840, "logicalOr"},
  {845, "logicalXor"},
  {850, "logicalNot"},
  {855, "logicalAnd"},
  {865, "modBroadcastable"},
  {870, "minBroadcastable"},
  {875, "maxBroadcastable"},
  {880, "addBroadcastable"},
  {885, "powBroadcastable"},
  {890, "divideBroadcastable"},
  {895, "floorDivBroadcastable"},
  {900, "multiplyBroadcastable"},
  {905, "subtractBroadcastable"},
  {920, "tile"},
  {925, "stack"},
  {930, "gather"},
  {935, "scatter"},
  {940, "gatherND"},
  {945, "scatterND"},
  {950, "softmaxND"},
  {952, "gatherAlongAxis"},
  {954, "scatterAlongAxis"},
  {960, "reverse"},
  {965, "reverseSeq"},
  {975, "splitND"},
  {980, "concatND"},
  {985, "transpose"},
  {995, "sliceStatic"},
  {1000, "sliceDynamic"},
  {1005, "slidingWindows"},
  {1015, "topK"},
  {1020, "argMin"},
  {1025, "argMax"},
  {1040, "embeddingND"},
  {1045, "batchedMatmul"},
  {1065, "getShape"},
  {1070, "loadConstantND"},
  {1080, "fillLike"},
  {1085, "fillStatic"},
  {1090, "fillDynamic"},
  {1100, "broadcastToLike"},
  {1105, "broadcastToStatic"},
  {1110, "broadcastToDynamic"},
  {1120, "squeeze"},
  {1125, "expandDims"},
  {1130, "flattenTo2D"},
  {1135, "reshapeLike"},
  {1140, "reshapeStatic"},
  {1145, "reshapeDynamic"},
  {1150, "rankPreservingReshape"},
  {1155, "constantPad"},
  {1170, "randomNormalLike"},
  {1175, "randomNormalStatic"},
  {1180, "randomNormalDynamic"},
  {1190, "randomUniformLike"},
  {1195, "randomUniformStatic"},
  {1200, "randomUniformDynamic"},
  {1210, "randomBernoulliLike"},
  {1215, "randomBernoulliStatic"},
  {1220, "randomBernoulliDynamic"},
  {1230, "categoricalDistribution"},
  {1250, "reduceL1"},
  {1255, "reduceL2"},
  {1260, "reduceMax"},
  {1265, "reduceMin"},
  {1270, "reduceSum"},
  {1275, "reduceProd"},
  {1280, "reduceMean"},
  {1285, "reduceLogSum"},
  {1290, "reduceSumSquare"},
  {1295, "reduceLogSumExp"},
  {1313, "whereNonZero"},
  {1315, "matrixBandPart"},
  {1320, "lowerTriangular"},
  {1325, "upperTriangular"},
  {1330, "whereBroadcastable"},
  {1350, "layerNormalization"},
  {1400, "NonMaximumSuppression"},
  {1450, "oneHot"},
  {1455, "cumSum"},
  {1460, "clampedReLU"},
  {1461, "argSort"},
  {1465, "pooling3d"},
  {1466, "globalPooling3d"},
  {1470, "sliceBySize"},
  {1471, "convolution3d"},
};

/* Core ML's name for a NeuralNetworkLayer field number, or NULL. */
static const char *
layer_kind_name (uint32_t number)
{
  for (size_t i = 0; i < sizeof layer_kinds / sizeof *layer_kinds; i++) {
    if (layer_kinds[i].number == number)
      return layer_kinds[i].name;
  }
  return NULL;
}

/* ---- Small field readers ---- */

typedef struct {
  int64_t *v;
  size_t n, cap;
} Int64s;

static InkStatus
get_bool (const InkPbField *f, const char *what, bool *out, InkError *err)
{
  if (ink_pb_expect (f, INK_PB_VARINT, what, err) != INK_OK)
    return INK_ERR_FORMAT;
  *out = ink_pb_bool (f);
  return INK_OK;
}

static InkStatus
get_enum (const InkPbField *f, const char *what, int32_t *out, InkError *err)
{
  if (ink_pb_expect (f, INK_PB_VARINT, what, err) != INK_OK)
    return INK_ERR_FORMAT;
  *out = ink_pb_int32 (f);
  return INK_OK;
}

static InkStatus
get_float (const InkPbField *f, const char *what, float *out, InkError *err)
{
  if (ink_pb_expect (f, INK_PB_I32, what, err) != INK_OK)
    return INK_ERR_FORMAT;
  *out = ink_pb_float (f);
  return INK_OK;
}

/* A uint64 size, refused above NN_MAX_SIZE. */
static InkStatus
get_size (const InkPbField *f, const char *what, size_t *out, InkError *err)
{
  if (ink_pb_expect (f, INK_PB_VARINT, what, err) != INK_OK)
    return INK_ERR_FORMAT;
  if (f->value > NN_MAX_SIZE)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s is %llu, more than Inkling allows", what,
                          (unsigned long long) f->value);
  *out = (size_t) f->value;
  return INK_OK;
}

/* A repeated uint64 [H, W] pair (kernel sizes, strides, ...): absent gives
 * the default, otherwise exactly two values in 1 .. NN_MAX_SIZE (0 allowed
 * when zero_ok). */
static InkStatus
size_pair (const Int64s *v, const char *layer, const char *what, size_t dflt, bool zero_ok,
           size_t *h, size_t *w, InkError *err)
{
  if (v->n == 0) {
    *h = *w = dflt;
    return INK_OK;
  }
  if (v->n != 2)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "layer '%s': %s must hold 2 values ([H, W]), it holds %zu", layer, what,
                          v->n);
  for (int i = 0; i < 2; i++) {
    if (v->v[i] < (zero_ok ? 0 : 1) || (uint64_t) v->v[i] > NN_MAX_SIZE)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "layer '%s': %s holds the invalid value %llu", layer, what,
                            (unsigned long long) v->v[i]);
  }
  *h = (size_t) v->v[0];
  *w = (size_t) v->v[1];
  return INK_OK;
}

/* ---- Layers ---- */

typedef struct {
  float *v;
  size_t n, cap;
  bool present;   /* the WeightParams field was there */
  bool updatable; /* WeightParams.isUpdatable */
} Weights;

typedef struct {
  size_t index;
  char *name;
  char **inputs, **outputs;
  size_t n_inputs, cap_inputs, n_outputs, cap_outputs;
  bool updatable;
  bool has_kind;
  InkPbField body; /* the layer oneof member */
  InkLayerSpec spec;
  Weights w[INK_W_SLOTS];
} LayerRead;

static void
layer_read_clear (LayerRead *l)
{
  free (l->name);
  ink_strv_free (l->inputs, l->n_inputs);
  ink_strv_free (l->outputs, l->n_outputs);
  for (int i = 0; i < INK_W_SLOTS; i++)
    free (l->w[i].v);
  memset (l, 0, sizeof *l);
}

/* WeightParams: float32 (packed or not) or float16 values; quantized
 * encodings are refused. */
static InkStatus
read_weights (const InkPbReader *parent, const InkPbField *f, const char *layer, const char *what,
              Weights *w, InkError *err)
{
  InkPbReader r;
  InkPbField g;
  bool fp32 = false, fp16 = false;
  int rc;

  if (ink_pb_open (parent, f, "WeightParams", &r, err) != INK_OK)
    return INK_ERR_FORMAT;
  w->present = true;
  while ((rc = ink_pb_next (&r, &g, err)) > 0) {
    switch (g.number) {
    case 1:
      if (ink_pb_append_floats (&g, &w->v, &w->n, &w->cap, "WeightParams.floatValue (field 1)",
                                err) != INK_OK)
        return INK_ERR_FORMAT;
      fp32 = true;
      break;
    case 2:
      if (ink_pb_append_halfs (&g, &w->v, &w->n, &w->cap, "WeightParams.float16Value (field 2)",
                               err) != INK_OK)
        return INK_ERR_FORMAT;
      fp16 = true;
      break;
    case 30:
    case 31:
    case 40:
      return ink_error_set (err, INK_ERR_UNSUPPORTED,
                            "quantized weights in layer '%s' (its %s use WeightParams field %u, "
                            "%s), which Inkling cannot run",
                            layer, what, g.number,
                            g.number == 30   ? "rawValue"
                            : g.number == 31 ? "int8RawValue"
                                             : "quantization");
    case 50:
      if (get_bool (&g, "WeightParams.isUpdatable (field 50)", &w->updatable, err) != INK_OK)
        return INK_ERR_FORMAT;
      break;
    default: break;
    }
  }
  if (rc < 0)
    return INK_ERR_FORMAT;
  if (fp32 && fp16)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "layer '%s': its %s hold both float32 and float16 values", layer, what);
  return INK_OK;
}

static InkStatus
check_count (const LayerRead *l, const char *kind, const Weights *w, const char *what,
             size_t expected, const char *formula, InkError *err)
{
  if (w->n != expected)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s layer '%s': its %s hold %zu values, expected %zu (%s)", kind, l->name,
                          what, w->n, expected, formula);
  return INK_OK;
}

/* ValidPadding { 1 paddingAmounts: BorderAmounts { 10 borderAmounts:
 * EdgeSizes { 1 startEdgeSize, 2 endEdgeSize } x [H, W] } }. */
static InkStatus
read_valid_padding (const InkPbReader *parent, const InkPbField *f, const char *layer,
                    InkPadding *pad, InkError *err)
{
  InkPbReader r, amounts, edge;
  InkPbField g, h, e;
  size_t n_edges = 0, edges[2][2] = {{0, 0}, {0, 0}};
  int rc, rc2, rc3;

  memset (pad, 0, sizeof *pad);
  pad->type = INK_PAD_VALID;
  if (ink_pb_open (parent, f, "ValidPadding", &r, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&r, &g, err)) > 0) {
    if (g.number != 1)
      continue;
    if (ink_pb_open (&r, &g, "ValidPadding.paddingAmounts (field 1)", &amounts, err) != INK_OK)
      return INK_ERR_FORMAT;
    while ((rc2 = ink_pb_next (&amounts, &h, err)) > 0) {
      if (h.number != 10)
        continue;
      if (ink_pb_open (&amounts, &h, "BorderAmounts.borderAmounts (field 10)", &edge, err) !=
          INK_OK)
        return INK_ERR_FORMAT;
      if (n_edges >= 2)
        return ink_error_set (err, INK_ERR_INVALID_MODEL,
                              "layer '%s': the padding amounts must be [H, W], there are more",
                              layer);
      while ((rc3 = ink_pb_next (&edge, &e, err)) > 0) {
        InkStatus st = INK_OK;
        if (e.number == 1 || e.number == 2)
          st = get_size (&e, "EdgeSizes", &edges[n_edges][e.number - 1], err);
        if (st != INK_OK)
          return st;
      }
      if (rc3 < 0)
        return INK_ERR_FORMAT;
      n_edges++;
    }
    if (rc2 < 0)
      return INK_ERR_FORMAT;
  }
  if (rc < 0)
    return INK_ERR_FORMAT;
  if (n_edges == 1)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "layer '%s': the padding amounts must be [H, W], there is one", layer);
  pad->top = edges[0][0];
  pad->bottom = edges[0][1];
  pad->left = edges[1][0];
  pad->right = edges[1][1];
  return INK_OK;
}

/* SamePadding { 1 asymmetryMode }. */
static InkStatus
read_same_padding (const InkPbReader *parent, const InkPbField *f, const char *layer,
                   InkPadding *pad, InkError *err)
{
  InkPbReader r;
  InkPbField g;
  int32_t mode = 0;
  int rc;

  memset (pad, 0, sizeof *pad);
  pad->type = INK_PAD_SAME;
  if (ink_pb_open (parent, f, "SamePadding", &r, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&r, &g, err)) > 0) {
    if (g.number == 1 && get_enum (&g, "SamePadding.asymmetryMode (field 1)", &mode, err) != INK_OK)
      return INK_ERR_FORMAT;
  }
  if (rc < 0)
    return INK_ERR_FORMAT;
  if (mode != 0 && mode != 1)
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "layer '%s' uses the unknown same-padding mode %d", layer, (int) mode);
  pad->same_mode = mode == 1 ? INK_SAME_TOP_LEFT_HEAVY : INK_SAME_BOTTOM_RIGHT_HEAVY;
  return INK_OK;
}

static InkStatus
append_sizes (const InkPbField *f, Int64s *v, const char *what, InkError *err)
{
  return ink_pb_append_int64s (f, &v->v, &v->n, &v->cap, what, err);
}

static InkStatus
read_convolution (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  InkConvolutionParams *c = &l->spec.params.convolution;
  Int64s kernel = {0}, stride = {0}, dilation = {0}, out_shape = {0};
  InkPbReader r;
  InkPbField f;
  bool deconv = false;
  const char *kind;
  size_t groups = 1, expected, per_group;
  InkStatus st;
  int rc = 0;

  c->padding.type = INK_PAD_VALID;
  st = ink_pb_open (parent, &l->body, "ConvolutionLayerParams", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    switch (f.number) {
    case 1:
      st = get_size (&f, "ConvolutionLayerParams.outputChannels (field 1)", &c->out_channels, err);
      break;
    case 2:
      st =
        get_size (&f, "ConvolutionLayerParams.kernelChannels (field 2)", &c->kernel_channels, err);
      break;
    case 10:
      st = get_size (&f, "ConvolutionLayerParams.nGroups (field 10)", &c->groups, err);
      break;
    case 20:
      st = append_sizes (&f, &kernel, "ConvolutionLayerParams.kernelSize (field 20)", err);
      break;
    case 30:
      st = append_sizes (&f, &stride, "ConvolutionLayerParams.stride (field 30)", err);
      break;
    case 40:
      st = append_sizes (&f, &dilation, "ConvolutionLayerParams.dilationFactor (field 40)", err);
      break;
    case 50: st = read_valid_padding (&r, &f, l->name, &c->padding, err); break;
    case 51: st = read_same_padding (&r, &f, l->name, &c->padding, err); break;
    case 60:
      st = get_bool (&f, "ConvolutionLayerParams.isDeconvolution (field 60)", &deconv, err);
      break;
    case 70:
      st = get_bool (&f, "ConvolutionLayerParams.hasBias (field 70)", &c->has_bias, err);
      break;
    case 90: st = read_weights (&r, &f, l->name, "weights", &l->w[INK_W_WEIGHTS], err); break;
    case 91: st = read_weights (&r, &f, l->name, "bias", &l->w[INK_W_BIAS], err); break;
    case 100:
      st = append_sizes (&f, &out_shape, "ConvolutionLayerParams.outputShape (field 100)", err);
      break;
    default: break;
    }
  }
  if (st == INK_OK && rc < 0)
    st = INK_ERR_FORMAT;
  kind = deconv ? "deconvolution" : "convolution";
  l->spec.kind = deconv ? INK_LAYER_DECONVOLUTION : INK_LAYER_CONVOLUTION;
  if (st == INK_OK)
    st = size_pair (&kernel, l->name, "the kernel size", 3, false, &c->kernel_h, &c->kernel_w, err);
  if (st == INK_OK)
    st = size_pair (&stride, l->name, "the stride", 1, false, &c->stride_h, &c->stride_w, err);
  if (st == INK_OK)
    st =
      size_pair (&dilation, l->name, "the dilation", 1, false, &c->dilation_h, &c->dilation_w, err);
  if (st == INK_OK && deconv)
    st = size_pair (&out_shape, l->name, "the output shape", 0, false, &c->output_h, &c->output_w,
                    err);
  free (kernel.v);
  free (stride.v);
  free (dilation.v);
  free (out_shape.v);
  if (st != INK_OK)
    return st;
  groups = c->groups == 0 ? 1 : c->groups;
  if (c->out_channels == 0 || c->kernel_channels == 0 || c->out_channels % groups != 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "%s layer '%s': %zu output and %zu kernel channels do not fit %zu groups",
                          kind, l->name, c->out_channels, c->kernel_channels, groups);
  per_group = deconv ? c->out_channels / groups : c->kernel_channels;
  if (!ink_size_mul (deconv ? c->kernel_channels : c->out_channels, per_group, &expected) ||
      !ink_size_mul (expected, c->kernel_h, &expected) ||
      !ink_size_mul (expected, c->kernel_w, &expected))
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s layer '%s' is too large", kind, l->name);
  st = check_count (l, kind, &l->w[INK_W_WEIGHTS], "weights", expected,
                    deconv ? "kernelChannels x outputChannels / nGroups x kernel height x width"
                           : "outputChannels x kernelChannels x kernel height x width",
                    err);
  if (st == INK_OK && c->has_bias)
    st = check_count (l, kind, &l->w[INK_W_BIAS], "bias", c->out_channels, "outputChannels", err);
  return st;
}

static InkStatus
read_pooling (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  InkPoolingParams *p = &l->spec.params.pooling;
  Int64s kernel = {0}, stride = {0}, amounts = {0};
  InkPbReader r, inner;
  InkPbField f, g;
  int32_t type = 0;
  bool include_last = false;
  InkStatus st;
  int rc = 0, rc2;

  p->padding.type = INK_PAD_VALID;
  st = ink_pb_open (parent, &l->body, "PoolingLayerParams", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    switch (f.number) {
    case 1: st = get_enum (&f, "PoolingLayerParams.type (field 1)", &type, err); break;
    case 10:
      st = append_sizes (&f, &kernel, "PoolingLayerParams.kernelSize (field 10)", err);
      break;
    case 20: st = append_sizes (&f, &stride, "PoolingLayerParams.stride (field 20)", err); break;
    case 30: st = read_valid_padding (&r, &f, l->name, &p->padding, err); break;
    case 31: st = read_same_padding (&r, &f, l->name, &p->padding, err); break;
    case 32: /* ValidCompletePadding { 10 paddingAmounts [H, W] } */
      include_last = true;
      amounts.n = 0;
      st = ink_pb_open (&r, &f, "PoolingLayerParams.includeLastPixel (field 32)", &inner, err);
      while (st == INK_OK && (rc2 = ink_pb_next (&inner, &g, err)) != 0) {
        if (rc2 < 0)
          st = INK_ERR_FORMAT;
        else if (g.number == 10)
          st = append_sizes (&g, &amounts, "ValidCompletePadding.paddingAmounts (field 10)", err);
      }
      break;
    case 50:
      st = get_bool (&f, "PoolingLayerParams.avgPoolExcludePadding (field 50)", &p->exclude_padding,
                     err);
      break;
    case 60:
      st = get_bool (&f, "PoolingLayerParams.globalPooling (field 60)", &p->global, err);
      break;
    default: break;
    }
    if (f.number == 30 || f.number == 31)
      include_last = false;
  }
  if (st == INK_OK && rc < 0)
    st = INK_ERR_FORMAT;
  if (st == INK_OK)
    st = size_pair (&kernel, l->name, "the kernel size", 3, false, &p->kernel_h, &p->kernel_w, err);
  if (st == INK_OK)
    st = size_pair (&stride, l->name, "the stride", 1, false, &p->stride_h, &p->stride_w, err);
  if (st == INK_OK && include_last) {
    memset (&p->padding, 0, sizeof p->padding);
    p->padding.type = INK_PAD_INCLUDE_LAST;
    st = size_pair (&amounts, l->name, "the padding amounts", 0, true, &p->padding.top,
                    &p->padding.left, err);
  }
  free (kernel.v);
  free (stride.v);
  free (amounts.v);
  if (st != INK_OK)
    return st;
  if (type == 2)
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "pooling layer '%s' uses L2 pooling, which Inkling cannot run", l->name);
  if (type != 0 && type != 1)
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "pooling layer '%s' uses the unknown pooling type %d", l->name,
                          (int) type);
  p->type = type == 0 ? INK_POOL_MAX : INK_POOL_AVERAGE;
  return INK_OK;
}

static const struct {
  uint16_t number;
  const char *name;
} unsupported_activations[] = {
  {20, "thresholdedReLU"},
  {25, "PReLU"},
  {31, "scaledTanh"},
  {41, "sigmoidHard"},
  {50, "ELU"},
  {60, "softsign"},
  {70, "softplus"},
  {71, "parametricSoftplus"},
};

/* Reads ActivationParams' alpha (1) and beta (2) floats from one of its members. */
static InkStatus
read_alpha_beta (const InkPbReader *parent, const InkPbField *f, float *alpha, float *beta,
                 InkError *err)
{
  InkPbReader r;
  InkPbField g;
  int rc;

  if (ink_pb_open (parent, f, "ActivationParams member", &r, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&r, &g, err)) > 0) {
    if (g.number == 1 && get_float (&g, "activation alpha (field 1)", alpha, err) != INK_OK)
      return INK_ERR_FORMAT;
    if (g.number == 2 && beta != NULL &&
        get_float (&g, "activation beta (field 2)", beta, err) != INK_OK)
      return INK_ERR_FORMAT;
  }
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

static InkStatus
read_activation (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  InkActivationParams *a = &l->spec.params.activation;
  InkPbReader r;
  InkPbField f, fn = {0};
  bool found = false;
  int rc;

  if (ink_pb_open (parent, &l->body, "ActivationParams", &r, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&r, &f, err)) > 0) {
    fn = f; /* a oneof: the last member wins */
    found = true;
  }
  if (rc < 0)
    return INK_ERR_FORMAT;
  if (!found)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "activation layer '%s' has no activation function", l->name);
  switch (fn.number) {
  case 5: a->type = INK_ACT_LINEAR; return read_alpha_beta (&r, &fn, &a->alpha, &a->beta, err);
  case 10: a->type = INK_ACT_RELU; return ink_pb_expect (&fn, INK_PB_LEN, "ActivationReLU", err);
  case 15: a->type = INK_ACT_LEAKY_RELU; return read_alpha_beta (&r, &fn, &a->alpha, NULL, err);
  case 30: a->type = INK_ACT_TANH; return ink_pb_expect (&fn, INK_PB_LEN, "ActivationTanh", err);
  case 40:
    a->type = INK_ACT_SIGMOID;
    return ink_pb_expect (&fn, INK_PB_LEN, "ActivationSigmoid", err);
  default: break;
  }
  for (size_t i = 0; i < sizeof unsupported_activations / sizeof *unsupported_activations; i++) {
    if (unsupported_activations[i].number == fn.number)
      return ink_error_set (err, INK_ERR_UNSUPPORTED,
                            "activation layer '%s' uses the %s activation (ActivationParams field "
                            "%u), which Inkling cannot run",
                            l->name, unsupported_activations[i].name, fn.number);
  }
  return ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "activation layer '%s' uses an unknown activation (ActivationParams field "
                        "%u), which Inkling cannot run",
                        l->name, fn.number);
}

static InkStatus
read_inner_product (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  InkInnerProductParams *ip = &l->spec.params.inner_product;
  InkPbReader r;
  InkPbField f;
  bool int8 = false;
  size_t expected;
  InkStatus st;
  int rc = 0;

  st = ink_pb_open (parent, &l->body, "InnerProductLayerParams", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    switch (f.number) {
    case 1:
      st = get_size (&f, "InnerProductLayerParams.inputChannels (field 1)", &ip->in_channels, err);
      break;
    case 2:
      st =
        get_size (&f, "InnerProductLayerParams.outputChannels (field 2)", &ip->out_channels, err);
      break;
    case 10:
      st = get_bool (&f, "InnerProductLayerParams.hasBias (field 10)", &ip->has_bias, err);
      break;
    case 20: st = read_weights (&r, &f, l->name, "weights", &l->w[INK_W_WEIGHTS], err); break;
    case 21: st = read_weights (&r, &f, l->name, "bias", &l->w[INK_W_BIAS], err); break;
    case 22:
      st = get_bool (&f, "InnerProductLayerParams.int8DynamicQuantize (field 22)", &int8, err);
      break;
    default: break;
    }
  }
  if (st == INK_OK && rc < 0)
    st = INK_ERR_FORMAT;
  if (st != INK_OK)
    return st;
  if (int8)
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "innerProduct layer '%s' uses int8 dynamic quantization "
                          "(InnerProductLayerParams field 22), which Inkling cannot run",
                          l->name);
  if (ip->in_channels == 0 || ip->out_channels == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "innerProduct layer '%s' has %zu input and %zu output channels", l->name,
                          ip->in_channels, ip->out_channels);
  if (!ink_size_mul (ip->in_channels, ip->out_channels, &expected))
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "innerProduct layer '%s' is too large",
                          l->name);
  st = check_count (l, "innerProduct", &l->w[INK_W_WEIGHTS], "weights", expected,
                    "outputChannels x inputChannels", err);
  if (st == INK_OK && ip->has_bias)
    st = check_count (l, "innerProduct", &l->w[INK_W_BIAS], "bias", ip->out_channels,
                      "outputChannels", err);
  return st;
}

static InkStatus
read_batchnorm (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  static const char *const names[4] = {"gamma", "beta", "mean", "variance"};
  InkBatchnormParams *b = &l->spec.params.batchnorm;
  InkPbReader r;
  InkPbField f;
  bool compute = false, instance = false;
  InkStatus st;
  int rc = 0;

  st = ink_pb_open (parent, &l->body, "BatchnormLayerParams", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    switch (f.number) {
    case 1: st = get_size (&f, "BatchnormLayerParams.channels (field 1)", &b->channels, err); break;
    case 5:
      st = get_bool (&f, "BatchnormLayerParams.computeMeanVar (field 5)", &compute, err);
      break;
    case 6:
      st = get_bool (&f, "BatchnormLayerParams.instanceNormalization (field 6)", &instance, err);
      break;
    case 10:
      st = get_float (&f, "BatchnormLayerParams.epsilon (field 10)", &b->epsilon, err);
      break;
    case 15:
    case 16:
    case 17:
    case 18:
      st = read_weights (&r, &f, l->name, names[f.number - 15], &l->w[f.number - 15], err);
      break;
    default: break;
    }
  }
  if (st == INK_OK && rc < 0)
    st = INK_ERR_FORMAT;
  if (st != INK_OK)
    return st;
  /* One example at a time: batch statistics are the instance's. */
  b->compute_mean_var = compute || instance;
  if (b->channels == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "batchnorm layer '%s' has no channels",
                          l->name);
  for (int i = 0; i < 4; i++) {
    if (i >= 2 && b->compute_mean_var) {
      l->w[i].n = 0; /* ignored: computed from the input */
      continue;
    }
    st = check_count (l, "batchnorm", &l->w[i], names[i], b->channels, "channels", err);
    if (st != INK_OK)
      return st;
  }
  return INK_OK;
}

/* A message with a single float field 1 (AddLayerParams.alpha). */
static InkStatus
read_add (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  InkPbReader r;
  InkPbField f;
  int rc;

  if (ink_pb_open (parent, &l->body, "AddLayerParams", &r, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&r, &f, err)) > 0) {
    if (f.number == 1 &&
        get_float (&f, "AddLayerParams.alpha (field 1)", &l->spec.params.add.alpha, err) != INK_OK)
      return INK_ERR_FORMAT;
  }
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

static InkStatus
read_mode (const InkPbField *f, const char *layer, const char *what, InkChannelOrder *order,
           InkError *err)
{
  int32_t mode;

  if (get_enum (f, what, &mode, err) != INK_OK)
    return INK_ERR_FORMAT;
  if (mode != 0 && mode != 1)
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "layer '%s' uses the unknown %s %d", layer,
                          what, (int) mode);
  *order = mode == 1 ? INK_ORDER_CHANNEL_LAST : INK_ORDER_CHANNEL_FIRST;
  return INK_OK;
}

static InkStatus
read_flatten (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  InkPbReader r;
  InkPbField f;
  int rc;

  if (ink_pb_open (parent, &l->body, "FlattenLayerParams", &r, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&r, &f, err)) > 0) {
    InkStatus st = INK_OK;
    if (f.number == 1)
      st = read_mode (&f, l->name, "FlattenLayerParams.mode (field 1)",
                      &l->spec.params.flatten.order, err);
    if (st != INK_OK)
      return st;
  }
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

static InkStatus
read_reshape (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  InkReshapeParams *p = &l->spec.params.reshape;
  Int64s shape = {0};
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  size_t first;
  int rc = 0;

  st = ink_pb_open (parent, &l->body, "ReshapeLayerParams", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    if (f.number == 1)
      st = append_sizes (&f, &shape, "ReshapeLayerParams.targetShape (field 1)", err);
    else if (f.number == 2)
      st = read_mode (&f, l->name, "ReshapeLayerParams.mode (field 2)", &p->order, err);
  }
  if (st == INK_OK && rc < 0)
    st = INK_ERR_FORMAT;
  if (st == INK_OK && shape.n != 3 && shape.n != 4)
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "reshape layer '%s': the target shape must have 3 ([C, H, W]) or 4 "
                        "([Seq, C, H, W]) values, it has %zu",
                        l->name, shape.n);
  if (st == INK_OK && shape.n == 4 && shape.v[0] != 1)
    st = ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "reshape layer '%s' reshapes into a sequence of %lld; Inkling runs "
                        "sequences of 1 only",
                        l->name, (long long) shape.v[0]);
  first = shape.n == 4 ? 1 : 0;
  for (size_t i = 0; st == INK_OK && i < 3; i++) {
    int64_t d = shape.v[first + i];
    if (d < 1 || (uint64_t) d > NN_MAX_SIZE)
      st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "reshape layer '%s': target dimension %lld is invalid", l->name,
                          (long long) d);
    else
      p->shape[i] = d;
  }
  free (shape.v);
  return st;
}

static InkStatus
read_concat (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  InkPbReader r;
  InkPbField f;
  bool sequence = false;
  int rc;

  if (ink_pb_open (parent, &l->body, "ConcatLayerParams", &r, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&r, &f, err)) > 0) {
    if (f.number == 100 &&
        get_bool (&f, "ConcatLayerParams.sequenceConcat (field 100)", &sequence, err) != INK_OK)
      return INK_ERR_FORMAT;
  }
  if (rc < 0)
    return INK_ERR_FORMAT;
  if (sequence)
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "concat layer '%s' concatenates along the sequence axis "
                          "(ConcatLayerParams.sequenceConcat, field 100), which Inkling cannot run",
                          l->name);
  return INK_OK;
}

/* SoftmaxLayerParams is an empty message: only its wire type is checked. */
static InkStatus
read_softmax (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  (void) parent;
  if (ink_pb_expect (&l->body, INK_PB_LEN, "NeuralNetworkLayer.softmax (field 175)", err) != INK_OK)
    return INK_ERR_FORMAT;
  return INK_OK;
}

/* TransposeLayerParams { 1 axes }: rank 4 with the batch axis first. */
static InkStatus
read_transpose (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  Int64s axes = {0};
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  bool ok;
  int rc = 0;

  st = ink_pb_open (parent, &l->body, "TransposeLayerParams", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    if (f.number == 1)
      st = append_sizes (&f, &axes, "TransposeLayerParams.axes (field 1)", err);
  }
  if (st == INK_OK && rc < 0)
    st = INK_ERR_FORMAT;
  if (st != INK_OK) {
    free (axes.v);
    return st;
  }
  ok = axes.n == 4 && axes.v[0] == 0;
  for (size_t i = 1; ok && i < 4; i++) {
    ok = axes.v[i] >= 1 && axes.v[i] <= 3;
    l->spec.params.transpose.axes[i - 1] = ok ? (size_t) axes.v[i] - 1 : 0;
  }
  ok = ok && axes.v[1] != axes.v[2] && axes.v[1] != axes.v[3] && axes.v[2] != axes.v[3];
  if (!ok) {
    char buf[96];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < axes.n && i < 6 && used < sizeof buf; i++)
      used += (size_t) snprintf (buf + used, sizeof buf - used, "%s%lld", i > 0 ? ", " : "",
                                 (long long) axes.v[i]);
    st = ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "transpose layer '%s' has the axes [%s%s]; Inkling runs only transposes "
                        "of rank-4 [B, C, H, W] tensors that keep the batch axis first",
                        l->name, buf, axes.n > 6 ? ", ..." : "");
  }
  free (axes.v);
  return st;
}

/* ReshapeStaticLayerParams { 1 targetShape }. */
static InkStatus
read_reshape_static (const InkPbReader *parent, LayerRead *l, InkError *err)
{
  InkReshapeStaticParams *p = &l->spec.params.reshape_static;
  Int64s shape = {0};
  InkPbReader r;
  InkPbField f;
  InkStatus st;
  int rc = 0;

  st = ink_pb_open (parent, &l->body, "ReshapeStaticLayerParams", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    if (f.number == 1)
      st = append_sizes (&f, &shape, "ReshapeStaticLayerParams.targetShape (field 1)", err);
  }
  if (st == INK_OK && rc < 0)
    st = INK_ERR_FORMAT;
  if (st == INK_OK && (shape.n < 1 || shape.n > 5))
    st = ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "reshapeStatic layer '%s' has a target shape of rank %zu; Inkling runs "
                        "ranks 1 to 5",
                        l->name, shape.n);
  if (st == INK_OK) {
    p->rank = shape.n;
    memcpy (p->shape, shape.v, shape.n * sizeof *shape.v);
  }
  free (shape.v);
  return st;
}

/* The first pass over a NeuralNetworkLayer: name, blobs, flags and the
 * layer oneof member (the last one present, as protobuf does). */
static InkStatus
read_layer_header (const InkPbReader *parent, const InkPbField *lf, LayerRead *l, InkError *err)
{
  InkPbReader r;
  InkPbField f;
  int rc;

  if (ink_pb_open (parent, lf, "NeuralNetwork.layers (field 1)", &r, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&r, &f, err)) > 0) {
    InkStatus st = INK_OK;
    char *s = NULL;
    switch (f.number) {
    case 1:
      st = ink_pb_replace_string (&f, "NeuralNetworkLayer.name (field 1)", &l->name, err);
      break;
    case 2:
    case 3:
      st = ink_pb_replace_string (&f,
                                  f.number == 2 ? "NeuralNetworkLayer.input (field 2)"
                                                : "NeuralNetworkLayer.output (field 3)",
                                  &s, err);
      if (st == INK_OK && f.number == 2 && INK_GROW (l->inputs, l->n_inputs, l->cap_inputs))
        l->inputs[l->n_inputs++] = s;
      else if (st == INK_OK && f.number == 3 && INK_GROW (l->outputs, l->n_outputs, l->cap_outputs))
        l->outputs[l->n_outputs++] = s;
      else if (st == INK_OK) {
        free (s);
        st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
      }
      break;
    case 10:
      st = get_bool (&f, "NeuralNetworkLayer.isUpdatable (field 10)", &l->updatable, err);
      break;
    default:
      if (f.number >= 100) {
        l->body = f;
        l->has_kind = true;
      }
      break;
    }
    if (st != INK_OK)
      return st;
  }
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

/* Adds the layer to the network (its weights are copied). */
static InkStatus
add_layer (InkModel *m, LayerRead *l, InkError *err)
{
  InkLayerSpec *s = &l->spec;
  const float *w[INK_W_SLOTS];

  for (int i = 0; i < INK_W_SLOTS; i++)
    w[i] = l->w[i].n > 0 ? l->w[i].v : NULL;
  s->name = l->name;
  s->inputs = (const char *const *) l->inputs;
  s->n_inputs = l->n_inputs;
  s->outputs = (const char *const *) l->outputs;
  s->n_outputs = l->n_outputs;
  switch (s->kind) {
  case INK_LAYER_CONVOLUTION:
  case INK_LAYER_DECONVOLUTION:
    s->params.convolution.weights = w[INK_W_WEIGHTS];
    s->params.convolution.bias = s->params.convolution.has_bias ? w[INK_W_BIAS] : NULL;
    s->updatable = l->updatable;
    break;
  case INK_LAYER_INNER_PRODUCT:
    s->params.inner_product.weights = w[INK_W_WEIGHTS];
    s->params.inner_product.bias = s->params.inner_product.has_bias ? w[INK_W_BIAS] : NULL;
    s->updatable = l->updatable;
    break;
  case INK_LAYER_BATCHNORM:
    s->params.batchnorm.gamma = w[INK_W_GAMMA];
    s->params.batchnorm.beta = w[INK_W_BETA];
    s->params.batchnorm.mean = w[INK_W_MEAN];
    s->params.batchnorm.variance = w[INK_W_VARIANCE];
    break;
  default:
    /* Core ML marks only layers with weights as updatable. */
    break;
  }
  return ink_nn_add_layer (m, s, err);
}

/* The layer kinds Inkling runs: the NeuralNetworkLayer field, the runtime's
 * kind (a convolution's reader changes it for a deconvolution), whether
 * the layer takes several inputs and the reader of its parameters. */
static const struct {
  uint16_t number;
  InkLayerKind kind;
  bool multi_input;
  InkStatus (*read) (const InkPbReader *parent, LayerRead *l, InkError *err);
} layer_readers[] = {
  {L_CONVOLUTION, INK_LAYER_CONVOLUTION, false, read_convolution},
  {L_POOLING, INK_LAYER_POOLING, false, read_pooling},
  {L_ACTIVATION, INK_LAYER_ACTIVATION, false, read_activation},
  {L_INNER_PRODUCT, INK_LAYER_INNER_PRODUCT, false, read_inner_product},
  {L_BATCHNORM, INK_LAYER_BATCHNORM, false, read_batchnorm},
  {L_SOFTMAX, INK_LAYER_SOFTMAX, false, read_softmax},
  {L_ADD, INK_LAYER_ADD, true, read_add},
  {L_RESHAPE, INK_LAYER_RESHAPE, false, read_reshape},
  {L_FLATTEN, INK_LAYER_FLATTEN, false, read_flatten},
  {L_CONCAT, INK_LAYER_CONCAT, true, read_concat},
  {L_TRANSPOSE, INK_LAYER_TRANSPOSE, false, read_transpose},
  {L_RESHAPE_STATIC, INK_LAYER_RESHAPE_STATIC, false, read_reshape_static},
};

/* Reads the layer's parameters into l, or refuses a kind Inkling cannot run. */
static InkStatus
read_layer_body (const InkPbReader *parent, LayerRead *l, const char *kind_name, bool *multi_input,
                 InkError *err)
{
  for (size_t i = 0; i < sizeof layer_readers / sizeof *layer_readers; i++) {
    if (layer_readers[i].number == l->body.number) {
      l->spec.kind = layer_readers[i].kind;
      *multi_input = layer_readers[i].multi_input;
      return layer_readers[i].read (parent, l, err);
    }
  }
  if (kind_name != NULL)
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "layer '%s' is a %s layer (NeuralNetworkLayer field %u), which Inkling "
                          "cannot run",
                          l->name, kind_name, l->body.number);
  return ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "layer '%s' is an unknown layer type (NeuralNetworkLayer field %u), "
                        "which Inkling cannot run",
                        l->name, l->body.number);
}

static InkStatus
read_layer (InkModel *m, const InkPbReader *parent, const InkPbField *lf, size_t index,
            InkError *err)
{
  LayerRead l = {0};
  const char *kind_name;
  InkStatus st;
  bool multi_input = false;

  l.index = index;
  st = read_layer_header (parent, lf, &l, err);
  if (st != INK_OK) {
    if (st == INK_ERR_FORMAT && l.name != NULL)
      ink_error_prefix (err, "layer %zu ('%s')", index, l.name);
    else if (st == INK_ERR_FORMAT)
      ink_error_prefix (err, "layer %zu", index);
    layer_read_clear (&l);
    return st;
  }
  if (l.name == NULL || l.name[0] == '\0') {
    layer_read_clear (&l);
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "layer %zu has no name", index);
  }
  if (!l.has_kind) {
    st = ink_error_set (err, INK_ERR_INVALID_MODEL, "layer '%s' has no layer type", l.name);
    layer_read_clear (&l);
    return st;
  }
  kind_name = layer_kind_name (l.body.number);
  st = read_layer_body (parent, &l, kind_name, &multi_input, err);
  if (st == INK_ERR_FORMAT)
    ink_error_prefix (err, "layer '%s'", l.name);
  if (st == INK_OK && l.n_outputs == 0)
    st =
      ink_error_set (err, INK_ERR_INVALID_MODEL, "%s layer '%s' has no output", kind_name, l.name);
  if (st == INK_OK && l.n_outputs > 1)
    st =
      ink_error_set (err, INK_ERR_INVALID_MODEL, "%s layer '%s' has %zu outputs; it must have one",
                     kind_name, l.name, l.n_outputs);
  if (st == INK_OK && l.n_inputs == 0)
    st =
      ink_error_set (err, INK_ERR_INVALID_MODEL, "%s layer '%s' has no input", kind_name, l.name);
  if (st == INK_OK && l.n_inputs > 1 && !multi_input)
    st =
      l.spec.kind == INK_LAYER_CONVOLUTION
        ? ink_error_set (err, INK_ERR_UNSUPPORTED,
                         "convolution layer '%s' takes its weights from a second input, which "
                         "Inkling cannot run",
                         l.name)
        : ink_error_set (err, INK_ERR_INVALID_MODEL, "%s layer '%s' has %zu inputs; it takes one",
                         kind_name, l.name, l.n_inputs);
  if (st == INK_OK)
    st = add_layer (m, &l, err);
  layer_read_clear (&l);
  return st;
}

/* ---- Preprocessing ---- */

static InkStatus
read_preprocessing (InkModel *m, const InkPbReader *parent, const InkPbField *pf, InkError *err)
{
  InkPbReader r, sr;
  InkPbField f, g, scaler = {0};
  InkImageScaler sc = {0};
  char *name = NULL;
  bool has_scaler = false, has_mean = false;
  InkStatus st;
  int rc = 0;

  st = ink_pb_open (parent, pf, "NeuralNetwork.preprocessing (field 2)", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    if (f.number == 1) {
      st =
        ink_pb_replace_string (&f, "NeuralNetworkPreprocessing.featureName (field 1)", &name, err);
    } else if (f.number == 10) {
      scaler = f;
      has_scaler = true;
      has_mean = false;
    } else if (f.number == 11) {
      has_mean = true;
      has_scaler = false;
    }
  }
  if (st == INK_OK && rc < 0)
    st = INK_ERR_FORMAT;
  if (st == INK_OK && has_mean)
    st = ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "the mean-image preprocessing of input '%s' (NeuralNetworkPreprocessing "
                        "field 11) is not supported",
                        name != NULL ? name : "");
  if (st == INK_OK && has_scaler) {
    st = ink_pb_open (&r, &scaler, "NeuralNetworkPreprocessing.scaler (field 10)", &sr, err);
    while (st == INK_OK && (rc = ink_pb_next (&sr, &g, err)) != 0) {
      float *slot = g.number == 10   ? &sc.channel_scale
                    : g.number == 20 ? &sc.blue_bias
                    : g.number == 21 ? &sc.green_bias
                    : g.number == 22 ? &sc.red_bias
                    : g.number == 30 ? &sc.gray_bias
                                     : NULL;
      if (rc < 0)
        st = INK_ERR_FORMAT;
      else if (slot != NULL)
        st = get_float (&g, "NeuralNetworkImageScaler", slot, err);
    }
    sc.feature_name = name != NULL ? name : "";
    if (st == INK_OK)
      st = ink_nn_add_image_scaler (m, &sc, err);
  }
  free (name);
  return st;
}

/* ---- Update parameters ---- */

static InkStatus
read_update_parameter (InkModel *m, const InkPbReader *parent, const InkPbField *f, const char *key,
                       InkParamType type, InkError *err)
{
  InkUpdateParameter p;
  int64_t *set = NULL;
  InkStatus st = ink_coreml_read_parameter (parent, f, key, type, &p, &set, err);

  if (st == INK_OK)
    st = ink_model_set_update_parameter (m, &p, err);
  free (set);
  return st;
}

/* LossLayer { 1 name; 10 categoricalCrossEntropyLossLayer | 11
 * meanSquaredErrorLossLayer { 1 input, 2 target } }. */
static InkStatus
read_loss (InkModel *m, const InkPbReader *parent, const InkPbField *lf, InkError *err)
{
  InkPbReader r, tr;
  InkPbField f, g, type_field = {0};
  char *name = NULL, *input = NULL, *target = NULL;
  bool has_type = false;
  InkStatus st;
  int rc = 0;

  st = ink_pb_open (parent, lf, "NetworkUpdateParameters.lossLayers (field 1)", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    if (f.number == 1) {
      st = ink_pb_replace_string (&f, "LossLayer.name (field 1)", &name, err);
    } else if (f.number >= 10) {
      type_field = f;
      has_type = true;
    }
  }
  if (st == INK_OK && rc < 0)
    st = INK_ERR_FORMAT;
  if (st == INK_OK && !has_type)
    st = ink_error_set (err, INK_ERR_INVALID_MODEL, "the loss layer '%s' has no loss type",
                        name != NULL ? name : "");
  if (st == INK_OK && type_field.number != 10 && type_field.number != 11)
    st = ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "the loss layer '%s' is of an unknown type (LossLayer field %u), which "
                        "Inkling cannot train",
                        name != NULL ? name : "", type_field.number);
  if (st == INK_OK)
    st = ink_pb_open (&r, &type_field, "LossLayer type", &tr, err);
  while (st == INK_OK && (rc = ink_pb_next (&tr, &g, err)) != 0) {
    if (rc < 0)
      st = INK_ERR_FORMAT;
    else if (g.number == 1)
      st = ink_pb_replace_string (&g, "loss input (field 1)", &input, err);
    else if (g.number == 2)
      st = ink_pb_replace_string (&g, "loss target (field 2)", &target, err);
  }
  if (st == INK_OK && (input == NULL || target == NULL || input[0] == '\0' || target[0] == '\0'))
    st =
      ink_error_set (err, INK_ERR_INVALID_MODEL, "the loss layer '%s' needs an input and a target",
                     name != NULL ? name : "");
  if (st == INK_OK && ink_nn_set_loss (m, name != NULL && name[0] != '\0' ? name : "loss",
                                       type_field.number == 10 ? INK_LOSS_CATEGORICAL_CROSS_ENTROPY
                                                               : INK_LOSS_MEAN_SQUARED_ERROR,
                                       input, target) != INK_OK)
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  free (name);
  free (input);
  free (target);
  return st;
}

/* Optimizer { 10 sgdOptimizer | 11 adamOptimizer }. */
static InkStatus
read_optimizer (InkModel *m, const InkPbReader *parent, const InkPbField *of, InkError *err)
{
  static const char *const sgd_keys[] = {NULL, INK_PARAM_LEARNING_RATE, INK_PARAM_MINI_BATCH_SIZE,
                                         INK_PARAM_MOMENTUM};
  static const char *const adam_keys[] = {NULL,
                                          INK_PARAM_LEARNING_RATE,
                                          INK_PARAM_MINI_BATCH_SIZE,
                                          INK_PARAM_BETA1,
                                          INK_PARAM_BETA2,
                                          INK_PARAM_EPS};
  InkPbReader r, pr;
  InkPbField f, g, type_field = {0};
  bool has_type = false;
  InkStatus st;
  int rc = 0;

  st = ink_pb_open (parent, of, "NetworkUpdateParameters.optimizer (field 2)", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    type_field = f;
    has_type = true;
  }
  if (st == INK_OK && rc < 0)
    st = INK_ERR_FORMAT;
  if (st != INK_OK || !has_type)
    return st;
  if (type_field.number != 10 && type_field.number != 11)
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "the network's optimizer is of an unknown type (Optimizer field %u), "
                          "which Inkling cannot train with",
                          type_field.number);
  ink_nn_set_optimizer (m, type_field.number == 10 ? INK_OPTIMIZER_SGD : INK_OPTIMIZER_ADAM);
  st = ink_pb_open (&r, &type_field, type_field.number == 10 ? "SGDOptimizer" : "AdamOptimizer",
                    &pr, err);
  while (st == INK_OK && (rc = ink_pb_next (&pr, &g, err)) != 0) {
    const char *key = NULL;
    if (rc < 0) {
      st = INK_ERR_FORMAT;
      break;
    }
    if (type_field.number == 10 && g.number >= 1 && g.number <= 3)
      key = sgd_keys[g.number];
    else if (type_field.number == 11 && g.number >= 1 && g.number <= 5)
      key = adam_keys[g.number];
    if (key != NULL)
      st = read_update_parameter (m, &pr, &g, key,
                                  g.number == 2 ? INK_PARAM_INT64 : INK_PARAM_DOUBLE, err);
  }
  return st;
}

static InkStatus
read_update_params (InkModel *m, const InkPbReader *parent, const InkPbField *uf, InkError *err)
{
  InkPbReader r;
  InkPbField f;
  size_t n_losses = 0;
  InkStatus st;
  int rc = 0;

  st = ink_pb_open (parent, uf, "NeuralNetwork.updateParams (field 10)", &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    switch (f.number) {
    case 1:
      if (++n_losses == 1)
        st = read_loss (m, &r, &f, err);
      break;
    case 2: st = read_optimizer (m, &r, &f, err); break;
    case 3: st = read_update_parameter (m, &r, &f, INK_PARAM_EPOCHS, INK_PARAM_INT64, err); break;
    case 10: st = read_update_parameter (m, &r, &f, INK_PARAM_SHUFFLE, INK_PARAM_BOOL, err); break;
    case 20: st = read_update_parameter (m, &r, &f, INK_PARAM_SEED, INK_PARAM_INT64, err); break;
    default: break;
    }
  }
  if (st == INK_OK && rc < 0)
    st = INK_ERR_FORMAT;
  if (st == INK_OK && n_losses > 1)
    st = ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "the network has %zu loss layers; Core ML and Inkling train with exactly "
                        "one",
                        n_losses);
  return st;
}

/* ---- The network ---- */

static InkStatus
read_mapping (const InkPbField *f, const char *what, bool *out, InkError *err)
{
  int32_t v;

  if (get_enum (f, what, &v, err) != INK_OK)
    return INK_ERR_FORMAT;
  if (v != 0 && v != 1)
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "%s has the unknown value %d", what, (int) v);
  *out = v == 1;
  return INK_OK;
}

InkModel *
ink_coreml_read_network (uint32_t number, const InkPbReader *parent, const InkPbField *body,
                         InkError *err)
{
  InkModelKind kind =
    number == INK_ML_NEURAL_NETWORK_CLASSIFIER  ? INK_MODEL_NEURAL_NETWORK_CLASSIFIER
    : number == INK_ML_NEURAL_NETWORK_REGRESSOR ? INK_MODEL_NEURAL_NETWORK_REGRESSOR
                                                : INK_MODEL_NEURAL_NETWORK;
  bool classifier = kind == INK_MODEL_NEURAL_NETWORK_CLASSIFIER;
  bool exact_arrays = false, rank4_images = false;
  InkModel *m = ink_nn_new (kind);
  InkPbReader r;
  InkPbField f;
  size_t n_layers = 0;
  char *probs = NULL;
  InkStatus st;
  int rc = 0;

  if (m == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  st = ink_pb_open (parent, body, ink_coreml_type_name (number), &r, err);
  while (st == INK_OK && (rc = ink_pb_next (&r, &f, err)) > 0) {
    switch (f.number) {
    case 1: st = read_layer (m, &r, &f, n_layers++, err); break;
    case 2: st = read_preprocessing (m, &r, &f, err); break;
    case 5:
      st = read_mapping (&f, "NeuralNetwork.arrayInputShapeMapping (field 5)", &exact_arrays, err);
      break;
    case 6:
      st = read_mapping (&f, "NeuralNetwork.imageInputShapeMapping (field 6)", &rank4_images, err);
      break;
    case 10: st = read_update_params (m, &r, &f, err); break;
    case 100:
      if (classifier)
        st = ink_coreml_read_string_vector (&r, &f, &m->class_labels, err);
      break;
    case 101:
      if (classifier)
        st = ink_coreml_read_int64_vector (&r, &f, &m->class_labels, err);
      break;
    case 200:
      if (classifier)
        st = ink_pb_replace_string (
          &f, "NeuralNetworkClassifier.labelProbabilityLayerName (field 200)", &probs, err);
      break;
    default: break;
    }
  }
  if (st == INK_OK && rc < 0)
    st = ink_error_prefix (err, "%s (Model field %u)", ink_coreml_type_name (number), number);
  if (st == INK_OK && ink_nn_set_shape_mapping (m, exact_arrays, rank4_images) != INK_OK)
    st = ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "the network is already finished");
  if (st == INK_OK && probs != NULL && probs[0] != '\0' &&
      ink_nn_set_probability_blob (m, probs) != INK_OK)
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  free (probs);
  if (st != INK_OK) {
    ink_model_free (m);
    return NULL;
  }
  return m;
}

/* ink-nn.c: neural networks: building, planning and the forward pass
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ink-image.h"
#include "ink-nn-private.h"

/* Workspaces are reused across predictions: a stack of free buffers
 * guarded by a mutex, so concurrent predictions each get their own. */
struct InkWorkspacePool {
  pthread_mutex_t lock;
  float **free;
  size_t n, cap;
};

static const char *const layer_names[] = {
  [INK_LAYER_CONVOLUTION] = "convolution",
  [INK_LAYER_INNER_PRODUCT] = "innerProduct",
  [INK_LAYER_POOLING] = "pooling",
  [INK_LAYER_ACTIVATION] = "activation",
  [INK_LAYER_SOFTMAX] = "softmax",
  [INK_LAYER_FLATTEN] = "flatten",
  [INK_LAYER_RESHAPE] = "reshape",
  [INK_LAYER_BATCHNORM] = "batchnorm",
  [INK_LAYER_ADD] = "add",
  [INK_LAYER_CONCAT] = "concat",
  [INK_LAYER_DECONVOLUTION] = "deconvolution",
  [INK_LAYER_TRANSPOSE] = "transpose",
  [INK_LAYER_RESHAPE_STATIC] = "reshapeStatic",
};

const char *
ink_layer_kind_to_string (InkLayerKind kind)
{
  if ((unsigned) kind < sizeof layer_names / sizeof *layer_names)
    return layer_names[kind];
  return "unknown";
}

InkModel *
ink_nn_new (InkModelKind kind)
{
  InkModel *m;

  if (!ink_model_kind_is_network (kind))
    return NULL;
  m = ink_model_alloc (kind);
  if (m == NULL)
    return NULL;
  m->body.nn = calloc (1, sizeof (InkNetwork));
  if (m->body.nn == NULL) {
    ink_model_free (m);
    return NULL;
  }
  m->body.nn->probs_blob = -1;
  return m;
}

static InkNetwork *
network_of (InkModel *m)
{
  return m != NULL && ink_model_kind_is_network (m->kind) ? m->body.nn : NULL;
}

static void
layer_clear (InkLayer *l)
{
  free (l->name);
  ink_strv_free (l->inputs, l->n_inputs);
  ink_strv_free (l->outputs, l->n_outputs);
  for (int i = 0; i < INK_W_SLOTS; i++)
    ink_weights_clear (&l->w[i]);
  free (l->in_blobs);
  memset (l, 0, sizeof *l);
}

/* Products of layer sizes are capped so that no count can overflow. */
#define INK_MAX_ELEMENTS ((size_t) 1 << 28)

static size_t
capped_product (size_t a, size_t b, size_t c, size_t d)
{
  size_t n;

  if (!ink_size_mul (a, b, &n) || !ink_size_mul (n, c, &n) || !ink_size_mul (n, d, &n) ||
      n > INK_MAX_ELEMENTS)
    return SIZE_MAX;
  return n;
}

/* The number of floats each weight slot of a layer holds; SIZE_MAX when
 * absurdly large. */
static void
weight_counts (const InkLayer *l, size_t counts[INK_W_SLOTS])
{
  memset (counts, 0, INK_W_SLOTS * sizeof *counts);
  switch (l->kind) {
  case INK_LAYER_CONVOLUTION: {
    const InkConvolutionParams *c = &l->p.convolution;
    counts[INK_W_WEIGHTS] =
      capped_product (c->out_channels, c->kernel_channels, c->kernel_h, c->kernel_w);
    counts[INK_W_BIAS] = c->has_bias ? c->out_channels : 0;
    break;
  }
  case INK_LAYER_DECONVOLUTION: {
    const InkConvolutionParams *c = &l->p.convolution;
    counts[INK_W_WEIGHTS] =
      capped_product (c->kernel_channels, c->out_channels / c->groups, c->kernel_h, c->kernel_w);
    counts[INK_W_BIAS] = c->has_bias ? c->out_channels : 0;
    break;
  }
  case INK_LAYER_INNER_PRODUCT:
    counts[INK_W_WEIGHTS] =
      capped_product (l->p.inner_product.in_channels, l->p.inner_product.out_channels, 1, 1);
    counts[INK_W_BIAS] = l->p.inner_product.has_bias ? l->p.inner_product.out_channels : 0;
    break;
  case INK_LAYER_BATCHNORM:
    for (int i = 0; i < 4; i++)
      counts[i] = l->p.batchnorm.channels;
    if (l->p.batchnorm.compute_mean_var)
      counts[INK_W_MEAN] = counts[INK_W_VARIANCE] = 0;
    break;
  default: break;
  }
}

static InkStatus
check_layer_params (const InkLayer *l, InkError *err)
{
  const char *kind = ink_layer_kind_to_string (l->kind);

  switch (l->kind) {
  case INK_LAYER_CONVOLUTION:
  case INK_LAYER_DECONVOLUTION: {
    const InkConvolutionParams *c = &l->p.convolution;
    if (c->out_channels == 0 || c->kernel_channels == 0 || c->kernel_h == 0 || c->kernel_w == 0)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s layer '%s': channels and kernel size must be positive", kind,
                            l->name);
    if (c->out_channels % c->groups != 0)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s layer '%s': %zu output channels are not divisible into %zu groups",
                            kind, l->name, c->out_channels, c->groups);
    if (c->padding.type == INK_PAD_INCLUDE_LAST)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s layer '%s': include-last padding is for pooling only", kind,
                            l->name);
    if (l->kind == INK_LAYER_DECONVOLUTION && c->kernel_channels % c->groups != 0)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s layer '%s': %zu input channels are not divisible into %zu groups",
                            kind, l->name, c->kernel_channels, c->groups);
    if (l->kind == INK_LAYER_DECONVOLUTION && (c->output_h == 0) != (c->output_w == 0))
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s layer '%s': the output shape needs both a height and a width", kind,
                            l->name);
    break;
  }
  case INK_LAYER_TRANSPOSE: {
    const size_t *a = l->p.transpose.axes;
    if (a[0] > 2 || a[1] > 2 || a[2] > 2 || a[0] == a[1] || a[0] == a[2] || a[1] == a[2])
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s layer '%s': the axes %zu, %zu, %zu are not a permutation of the "
                            "channel, height and width axes",
                            kind, l->name, a[0], a[1], a[2]);
    break;
  }
  case INK_LAYER_RESHAPE_STATIC: {
    const InkReshapeStaticParams *r = &l->p.reshape_static;
    int inferred = 0;
    if (r->rank < 1 || r->rank > 5)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s layer '%s': the target shape has rank %zu (1 to 5 allowed)", kind,
                            l->name, r->rank);
    for (size_t i = 0; i < r->rank; i++) {
      if (r->shape[i] == -1)
        inferred++;
      else if (r->shape[i] <= 0 || r->shape[i] > (int64_t) INK_MAX_ELEMENTS)
        return ink_error_set (err, INK_ERR_INVALID_MODEL,
                              "%s layer '%s': target dimension %zu is %lld", kind, l->name, i,
                              (long long) r->shape[i]);
    }
    if (inferred > 1)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s layer '%s': only one target dimension may be -1", kind, l->name);
    break;
  }
  case INK_LAYER_INNER_PRODUCT:
    if (l->p.inner_product.in_channels == 0 || l->p.inner_product.out_channels == 0)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s layer '%s': channel counts must be positive", kind, l->name);
    break;
  case INK_LAYER_POOLING:
    if (!l->p.pooling.global && (l->p.pooling.kernel_h == 0 || l->p.pooling.kernel_w == 0))
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s layer '%s': kernel size must be positive", kind, l->name);
    if (l->p.pooling.type > INK_POOL_AVERAGE)
      return ink_error_set (err, INK_ERR_UNSUPPORTED, "%s layer '%s': unsupported pooling type",
                            kind, l->name);
    break;
  case INK_LAYER_ACTIVATION:
    if (l->p.activation.type > INK_ACT_LINEAR)
      return ink_error_set (err, INK_ERR_UNSUPPORTED, "%s layer '%s': unsupported activation", kind,
                            l->name);
    break;
  case INK_LAYER_BATCHNORM:
    if (l->p.batchnorm.channels == 0)
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s layer '%s': no channels", kind,
                            l->name);
    break;
  case INK_LAYER_RESHAPE:
    for (int i = 0; i < 3; i++) {
      if (l->p.reshape.shape[i] <= 0)
        return ink_error_set (err, INK_ERR_INVALID_MODEL,
                              "%s layer '%s': target shape must be positive", kind, l->name);
    }
    break;
  default: break;
  }
  return INK_OK;
}

/* Normalizes defaults (0 strides, groups, dilation, epsilon mean 1 / 1e-5;
 * a deconvolution has no dilation). */
static void
normalize_params (InkLayer *l)
{
  if (l->kind == INK_LAYER_CONVOLUTION || l->kind == INK_LAYER_DECONVOLUTION) {
    InkConvolutionParams *c = &l->p.convolution;
    c->groups = c->groups == 0 ? 1 : c->groups;
    c->stride_h = c->stride_h == 0 ? 1 : c->stride_h;
    c->stride_w = c->stride_w == 0 ? 1 : c->stride_w;
    c->dilation_h = c->dilation_h == 0 || l->kind == INK_LAYER_DECONVOLUTION ? 1 : c->dilation_h;
    c->dilation_w = c->dilation_w == 0 || l->kind == INK_LAYER_DECONVOLUTION ? 1 : c->dilation_w;
    if (l->kind == INK_LAYER_CONVOLUTION)
      c->output_h = c->output_w = 0;
    c->weights = c->bias = NULL;
  } else if (l->kind == INK_LAYER_POOLING) {
    l->p.pooling.stride_h = l->p.pooling.stride_h == 0 ? 1 : l->p.pooling.stride_h;
    l->p.pooling.stride_w = l->p.pooling.stride_w == 0 ? 1 : l->p.pooling.stride_w;
  } else if (l->kind == INK_LAYER_INNER_PRODUCT) {
    l->p.inner_product.weights = l->p.inner_product.bias = NULL;
  } else if (l->kind == INK_LAYER_BATCHNORM) {
    InkBatchnormParams *b = &l->p.batchnorm;
    b->epsilon = b->epsilon == 0.0f ? 1e-5f : b->epsilon;
    b->gamma = b->beta = b->mean = b->variance = NULL;
  }
}

InkStatus
ink_nn_layer_init (InkLayer *l, const InkLayerSpec *spec, const float *const src[INK_W_SLOTS],
                   const size_t *src_counts, bool borrow, InkError *err)
{
  size_t counts[INK_W_SLOTS];
  InkStatus st;

  memset (l, 0, sizeof *l);
  l->kind = spec->kind;
  l->updatable = spec->updatable;
  l->n_inputs = spec->n_inputs;
  l->n_outputs = spec->n_outputs;
  memcpy (&l->p, &spec->params, sizeof l->p);
  l->name = ink_strdup (spec->name);
  l->inputs = ink_strv_copy (spec->inputs, spec->n_inputs);
  l->outputs = ink_strv_copy (spec->outputs, spec->n_outputs);
  if (l->name == NULL || l->inputs == NULL || l->outputs == NULL) {
    layer_clear (l);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  normalize_params (l);
  st = check_layer_params (l, err);
  if (st != INK_OK) {
    layer_clear (l);
    return st;
  }
  weight_counts (l, counts);
  for (int i = 0; i < INK_W_SLOTS; i++) {
    if (counts[i] == 0)
      continue;
    if (counts[i] > INK_MAX_ELEMENTS) {
      layer_clear (l);
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s layer '%s' is too large",
                            ink_layer_kind_to_string (spec->kind), spec->name);
    }
    if (src[i] == NULL || (src_counts != NULL && src_counts[i] != counts[i])) {
      layer_clear (l);
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "%s layer '%s' has %zu values in weight slot %d, expected %zu",
                            ink_layer_kind_to_string (spec->kind), spec->name,
                            src[i] == NULL       ? 0
                            : src_counts != NULL ? src_counts[i]
                                                 : counts[i],
                            i, counts[i]);
    }
    if (borrow) {
      l->w[i] = (InkWeights){(float *) src[i], counts[i], false};
    } else if (!ink_weights_set (&l->w[i], src[i], counts[i])) {
      layer_clear (l);
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    }
  }
  return INK_OK;
}

InkStatus
ink_nn_add_layer (InkModel *m, const InkLayerSpec *spec, InkError *err)
{
  InkNetwork *nn = network_of (m);
  const float *src[INK_W_SLOTS] = {NULL};
  InkStatus st;

  if (nn == NULL || m->finished || spec == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "layers go into an unfinished network");
  if (spec->name == NULL || spec->name[0] == '\0' || spec->n_inputs == 0 || spec->n_outputs != 1 ||
      spec->inputs == NULL || spec->outputs == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "a layer needs a name, at least one input and exactly one output");
  if ((unsigned) spec->kind >= (unsigned) INK_N_LAYER_KINDS)
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "layer '%s' has an unknown kind %d", spec->name,
                          (int) spec->kind);
  for (size_t i = 0; i < nn->n_layers; i++) {
    if (strcmp (nn->layers[i].name, spec->name) == 0)
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "duplicate layer name '%s'", spec->name);
  }
  switch (spec->kind) {
  case INK_LAYER_CONVOLUTION:
  case INK_LAYER_DECONVOLUTION:
    src[INK_W_WEIGHTS] = spec->params.convolution.weights;
    src[INK_W_BIAS] = spec->params.convolution.bias;
    break;
  case INK_LAYER_INNER_PRODUCT:
    src[INK_W_WEIGHTS] = spec->params.inner_product.weights;
    src[INK_W_BIAS] = spec->params.inner_product.bias;
    break;
  case INK_LAYER_BATCHNORM:
    src[INK_W_GAMMA] = spec->params.batchnorm.gamma;
    src[INK_W_BETA] = spec->params.batchnorm.beta;
    src[INK_W_MEAN] = spec->params.batchnorm.mean;
    src[INK_W_VARIANCE] = spec->params.batchnorm.variance;
    break;
  default: break;
  }
  if (!INK_GROW (nn->layers, nn->n_layers, nn->cap_layers))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  st = ink_nn_layer_init (&nn->layers[nn->n_layers], spec, src, NULL, false, err);
  if (st != INK_OK)
    return st;
  nn->n_layers++;
  return INK_OK;
}

InkStatus
ink_nn_add_image_scaler (InkModel *m, const InkImageScaler *s, InkError *err)
{
  InkNetwork *nn = network_of (m);
  InkScaler *slot;

  if (nn == NULL || m->finished || s == NULL || s->feature_name == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "an image scaler needs a feature name");
  if (!INK_GROW (nn->scalers, nn->n_scalers, nn->cap_scalers))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  slot = &nn->scalers[nn->n_scalers];
  slot->feature_name = ink_strdup (s->feature_name);
  if (slot->feature_name == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  slot->scale = s->channel_scale;
  slot->red_bias = s->red_bias;
  slot->green_bias = s->green_bias;
  slot->blue_bias = s->blue_bias;
  slot->gray_bias = s->gray_bias;
  nn->n_scalers++;
  return INK_OK;
}

static bool
replace_string (char **slot, const char *value)
{
  char *c = value != NULL ? ink_strdup (value) : NULL;

  if (value != NULL && c == NULL)
    return false;
  free (*slot);
  *slot = c;
  return true;
}

InkStatus
ink_nn_set_probability_blob (InkModel *m, const char *blob)
{
  InkNetwork *nn = network_of (m);

  if (nn == NULL || m->finished)
    return INK_ERR_INVALID_ARGUMENT;
  return replace_string (&nn->probability_blob, blob) ? INK_OK : INK_ERR_NO_MEMORY;
}

InkStatus
ink_nn_set_shape_mapping (InkModel *m, bool exact_arrays, bool rank4_images)
{
  InkNetwork *nn = network_of (m);

  if (nn == NULL || m->finished)
    return INK_ERR_INVALID_ARGUMENT;
  nn->exact_array_mapping = exact_arrays;
  nn->rank4_image_mapping = rank4_images;
  return INK_OK;
}

InkStatus
ink_nn_set_loss (InkModel *m, const char *name, InkLossType type, const char *input,
                 const char *target)
{
  InkNetwork *nn = network_of (m);

  if (nn == NULL || m->finished || input == NULL || target == NULL ||
      type > INK_LOSS_MEAN_SQUARED_ERROR)
    return INK_ERR_INVALID_ARGUMENT;
  if (!replace_string (&nn->loss_name, name != NULL ? name : "loss") ||
      !replace_string (&nn->loss_input, input) || !replace_string (&nn->loss_target, target))
    return INK_ERR_NO_MEMORY;
  nn->loss_type = type;
  nn->has_loss = true;
  return INK_OK;
}

InkStatus
ink_nn_set_optimizer (InkModel *m, InkOptimizerType type)
{
  InkNetwork *nn = network_of (m);

  if (nn == NULL || m->finished || type > INK_OPTIMIZER_ADAM)
    return INK_ERR_INVALID_ARGUMENT;
  nn->optimizer = type;
  nn->has_optimizer = true;
  return INK_OK;
}

/* ---- Planning ---- */

int
ink_nn_find_blob (const InkNetwork *nn, const char *name)
{
  for (size_t i = 0; name != NULL && i < nn->n_blobs; i++) {
    if (strcmp (nn->blobs[i].name, name) == 0)
      return (int) i;
  }
  return -1;
}

static InkStatus
add_blob (InkNetwork *nn, const char *name, InkShape shape, InkBlobSource source, int *index,
          InkError *err)
{
  InkBlob *b;

  if (ink_nn_find_blob (nn, name) >= 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "blob '%s' is produced twice", name);
  if (capped_product (shape.c, shape.h, shape.w, 1) == SIZE_MAX)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "blob '%s' would be too large", name);
  if (ink_shape_count (shape) == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "blob '%s' would be empty", name);
  if (!INK_GROW (nn->blobs, nn->n_blobs, nn->cap_blobs))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  b = &nn->blobs[nn->n_blobs];
  memset (b, 0, sizeof *b);
  b->name = ink_strdup (name);
  if (b->name == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  b->shape = shape;
  b->source = source;
  b->scaler = -1;
  *index = (int) nn->n_blobs++;
  return INK_OK;
}

/* The blob shape of a network input, from its declared feature type. */
static InkStatus
input_shape (const InkFeatureDescription *fd, InkShape *s, InkBlobSource *src, InkError *err)
{
  const InkFeatureType *t = &fd->type;
  size_t rank = t->rank, first = 0;

  switch (t->type) {
  case INK_VALUE_IMAGE:
    *s = (InkShape){t->image.format == INK_PIXEL_GRAY8 ? 1 : 3, (size_t) t->image.height,
                    (size_t) t->image.width};
    *src = INK_BLOB_INPUT_IMAGE;
    return INK_OK;
  case INK_VALUE_DOUBLE:
  case INK_VALUE_INT64:
    *s = (InkShape){1, 1, 1};
    *src = INK_BLOB_INPUT_SCALAR;
    return INK_OK;
  case INK_VALUE_MULTIARRAY:
    /* Drop leading unit dimensions (batch, sequence) down to rank 3. */
    while (rank - first > 3 && t->shape[first] == 1)
      first++;
    *src = INK_BLOB_INPUT_ARRAY;
    switch (rank - first) {
    case 1: *s = (InkShape){(size_t) t->shape[first], 1, 1}; return INK_OK;
    case 2:
      *s = (InkShape){1, (size_t) t->shape[first], (size_t) t->shape[first + 1]};
      return INK_OK;
    case 3:
      *s = (InkShape){(size_t) t->shape[first], (size_t) t->shape[first + 1],
                      (size_t) t->shape[first + 2]};
      return INK_OK;
    default: break;
    }
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "network input '%s' needs a fixed shape of rank 1 to 3", fd->name);
  default: break;
  }
  return ink_error_set (err, INK_ERR_UNSUPPORTED, "network input '%s' of type %s is not supported",
                        fd->name, ink_value_type_to_string (t->type));
}

/* Output size along one axis of a window, and its leading padding. */
static InkStatus
window_axis (size_t in, size_t k, size_t stride, size_t dil, const InkPadding *pad, bool vertical,
             size_t *out, size_t *lead, size_t *trail)
{
  size_t k_eff = (k - 1) * dil + 1;
  size_t before = vertical ? pad->top : pad->left, after = vertical ? pad->bottom : pad->right;

  switch (pad->type) {
  case INK_PAD_VALID:
    if (in + before + after < k_eff)
      return INK_ERR_SHAPE_MISMATCH;
    *out = (in + before + after - k_eff) / stride + 1;
    *lead = before;
    *trail = after;
    return INK_OK;
  case INK_PAD_SAME: {
    size_t o = (in + stride - 1) / stride;
    size_t need = (o - 1) * stride + k_eff;
    size_t total = need > in ? need - in : 0;
    *out = o;
    *lead = pad->same_mode == INK_SAME_TOP_LEFT_HEAVY ? total - total / 2 : total / 2;
    *trail = total - *lead;
    return INK_OK;
  }
  case INK_PAD_INCLUDE_LAST: {
    /* Caffe's rounding: ceil, then drop a window that starts in the padding. */
    size_t padded = in + 2 * before;
    size_t o;
    if (padded < k_eff)
      return INK_ERR_SHAPE_MISMATCH;
    o = (padded - k_eff + stride - 1) / stride + 1;
    if (before > 0 && (o - 1) * stride >= in + before)
      o--;
    *out = o;
    *lead = before;
    *trail = (o - 1) * stride + k_eff > in + before ? (o - 1) * stride + k_eff - in - before : 0;
    if (*trail > before)
      *trail = before;
    return INK_OK;
  }
  }
  return INK_ERR_INVALID_MODEL;
}

static InkStatus
plan_window (InkLayer *l, InkShape in, size_t k_h, size_t k_w, size_t s_h, size_t s_w, size_t d_h,
             size_t d_w, const InkPadding *pad, InkShape *out, InkError *err)
{
  InkWindow *g = &l->win;
  size_t trail_h, trail_w;

  g->in_c = in.c, g->in_h = in.h, g->in_w = in.w;
  g->k_h = k_h, g->k_w = k_w, g->stride_h = s_h, g->stride_w = s_w, g->dil_h = d_h, g->dil_w = d_w;
  if (window_axis (in.h, k_h, s_h, d_h, pad, true, &g->out_h, &g->pad_top, &trail_h) != INK_OK ||
      window_axis (in.w, k_w, s_w, d_w, pad, false, &g->out_w, &g->pad_left, &trail_w) != INK_OK)
    return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                          "%s layer '%s': a %zux%zu window does not fit its %zux%zu input",
                          ink_layer_kind_to_string (l->kind), l->name, k_h, k_w, in.h, in.w);
  g->pad_bottom = trail_h;
  g->pad_right = trail_w;
  out->h = g->out_h;
  out->w = g->out_w;
  return INK_OK;
}

static InkStatus
layer_shape_error (const InkLayer *l, InkError *err, const char *what, size_t want, size_t have)
{
  return ink_error_set (err, INK_ERR_SHAPE_MISMATCH, "%s layer '%s': %s is %zu, expected %zu",
                        ink_layer_kind_to_string (l->kind), l->name, what, have, want);
}

/* A deconvolution's output size along one axis and the amount cropped from
 * the start of its full (in - 1) * stride + k result. */
static bool
deconv_axis (size_t in, size_t k, size_t stride, const InkPadding *pad, bool vertical, size_t *out,
             size_t *crop)
{
  size_t full = (in - 1) * stride + k;
  size_t before = vertical ? pad->top : pad->left, after = vertical ? pad->bottom : pad->right;

  if (pad->type == INK_PAD_SAME) {
    size_t total;
    *out = in * stride;
    total = full > *out ? full - *out : 0;
    *crop = pad->same_mode == INK_SAME_TOP_LEFT_HEAVY ? total - total / 2 : total / 2;
    return true;
  }
  if (before + after >= full)
    return false;
  *out = full - before - after;
  *crop = before;
  return true;
}

static InkStatus
plan_deconvolution (InkLayer *l, InkShape in, InkShape *out, InkError *err)
{
  const InkConvolutionParams *c = &l->p.convolution;
  InkWindow *g = &l->win;

  if (in.c != c->kernel_channels)
    return layer_shape_error (l, err, "the input's channel count", c->kernel_channels, in.c);
  if (capped_product (in.h, c->stride_h, 1, 1) == SIZE_MAX ||
      capped_product (in.w, c->stride_w, 1, 1) == SIZE_MAX ||
      !deconv_axis (in.h, c->kernel_h, c->stride_h, &c->padding, true, &g->out_h, &g->pad_top) ||
      !deconv_axis (in.w, c->kernel_w, c->stride_w, &c->padding, false, &g->out_w, &g->pad_left))
    return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                          "deconvolution layer '%s': its padding crops away its whole %zux%zu "
                          "output",
                          l->name, in.h, in.w);
  if (c->output_h != 0 && (c->output_h != g->out_h || c->output_w != g->out_w))
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "deconvolution layer '%s' asks for a %zux%zu output where its padding "
                          "gives %zux%zu; Inkling runs only output shapes that match the padding",
                          l->name, c->output_h, c->output_w, g->out_h, g->out_w);
  g->in_c = in.c, g->in_h = in.h, g->in_w = in.w;
  g->out_c = c->out_channels;
  g->k_h = c->kernel_h, g->k_w = c->kernel_w;
  g->stride_h = c->stride_h, g->stride_w = c->stride_w;
  g->dil_h = g->dil_w = 1;
  g->groups = c->groups;
  g->pad_bottom = g->pad_right = 0;
  *out = (InkShape){c->out_channels, g->out_h, g->out_w};
  return INK_OK;
}

/* A reshapeStatic target as a per-example [C, H, W]: -1 inferred from the
 * input's element count, right-aligned, leading dimensions 1. */
static InkStatus
plan_reshape_static (const InkLayer *l, InkShape in, InkShape *out, InkError *err)
{
  const InkReshapeStaticParams *r = &l->p.reshape_static;
  size_t dims[5], known = 1, count = ink_shape_count (in), rank = r->rank;
  int inferred = -1;

  for (size_t i = 0; i < rank; i++) {
    if (r->shape[i] < 0) {
      inferred = (int) i;
      dims[i] = 1;
    } else {
      dims[i] = (size_t) r->shape[i];
      if (capped_product (known, dims[i], 1, 1) == SIZE_MAX)
        return layer_shape_error (l, err, "the target size", count, SIZE_MAX);
      known *= dims[i];
    }
  }
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                            "reshapeStatic layer '%s': %zu values do not divide into a -1 "
                            "dimension",
                            l->name, count);
    dims[inferred] = count / known;
    known = count;
  }
  if (known != count)
    return layer_shape_error (l, err, "the input size", known, count);
  for (size_t i = 0; i + 3 < rank; i++) {
    if (dims[i] != 1)
      return ink_error_set (err, INK_ERR_UNSUPPORTED,
                            "reshapeStatic layer '%s': target dimension %zu is %zu; Inkling runs "
                            "one example at a time, so only the last three dimensions may "
                            "exceed 1",
                            l->name, i, dims[i]);
  }
  *out = (InkShape){rank >= 3 ? dims[rank - 3] : 1, rank >= 2 ? dims[rank - 2] : 1, dims[rank - 1]};
  return INK_OK;
}

/* Infers a layer's output shape from its inputs' shapes. */
static InkStatus
plan_layer (InkNetwork *nn, InkLayer *l, InkShape *out, InkError *err)
{
  InkShape in = nn->blobs[l->in_blobs[0]].shape;

  *out = in;
  switch (l->kind) {
  case INK_LAYER_CONVOLUTION: {
    const InkConvolutionParams *c = &l->p.convolution;
    if (in.c != c->kernel_channels * c->groups)
      return layer_shape_error (l, err, "the input's channel count", c->kernel_channels * c->groups,
                                in.c);
    out->c = c->out_channels;
    l->win.groups = c->groups;
    l->win.out_c = c->out_channels;
    return plan_window (l, in, c->kernel_h, c->kernel_w, c->stride_h, c->stride_w, c->dilation_h,
                        c->dilation_w, &c->padding, out, err);
  }
  case INK_LAYER_DECONVOLUTION: return plan_deconvolution (l, in, out, err);
  case INK_LAYER_TRANSPOSE: {
    size_t d[3] = {in.c, in.h, in.w};
    const size_t *a = l->p.transpose.axes;
    *out = (InkShape){d[a[0]], d[a[1]], d[a[2]]};
    return INK_OK;
  }
  case INK_LAYER_RESHAPE_STATIC: return plan_reshape_static (l, in, out, err);
  case INK_LAYER_INNER_PRODUCT:
    if (ink_shape_count (in) != l->p.inner_product.in_channels)
      return layer_shape_error (l, err, "the input size", l->p.inner_product.in_channels,
                                ink_shape_count (in));
    *out = (InkShape){l->p.inner_product.out_channels, 1, 1};
    return INK_OK;
  case INK_LAYER_POOLING: {
    const InkPoolingParams *p = &l->p.pooling;
    InkPadding none = {.type = INK_PAD_VALID};
    l->win.groups = 1;
    l->win.out_c = in.c;
    if (p->global)
      return plan_window (l, in, in.h, in.w, 1, 1, 1, 1, &none, out, err);
    return plan_window (l, in, p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, 1, 1,
                        &p->padding, out, err);
  }
  case INK_LAYER_BATCHNORM:
    if (in.c != l->p.batchnorm.channels)
      return layer_shape_error (l, err, "the input's channel count", l->p.batchnorm.channels, in.c);
    return INK_OK;
  case INK_LAYER_FLATTEN: *out = (InkShape){ink_shape_count (in), 1, 1}; return INK_OK;
  case INK_LAYER_RESHAPE: {
    InkShape t = {(size_t) l->p.reshape.shape[0], (size_t) l->p.reshape.shape[1],
                  (size_t) l->p.reshape.shape[2]};
    if (ink_shape_count (t) != ink_shape_count (in))
      return layer_shape_error (l, err, "the input size", ink_shape_count (t),
                                ink_shape_count (in));
    *out = t;
    return INK_OK;
  }
  case INK_LAYER_ADD:
    for (size_t i = 1; i < l->n_inputs; i++) {
      InkShape s = nn->blobs[l->in_blobs[i]].shape;
      size_t *o[3] = {&out->c, &out->h, &out->w};
      size_t d[3] = {s.c, s.h, s.w};
      for (int k = 0; k < 3; k++) {
        if (*o[k] != d[k] && *o[k] != 1 && d[k] != 1)
          return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                                "add layer '%s': input shapes %zux%zux%zu and %zux%zux%zu do not "
                                "broadcast",
                                l->name, in.c, in.h, in.w, s.c, s.h, s.w);
        *o[k] = *o[k] > d[k] ? *o[k] : d[k];
      }
    }
    return INK_OK;
  case INK_LAYER_CONCAT:
    for (size_t i = 1; i < l->n_inputs; i++) {
      InkShape s = nn->blobs[l->in_blobs[i]].shape;
      if (s.h != in.h || s.w != in.w)
        return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                              "concat layer '%s': inputs must share height and width (%zux%zu "
                              "vs %zux%zu)",
                              l->name, in.h, in.w, s.h, s.w);
      out->c += s.c;
    }
    return INK_OK;
  case INK_LAYER_ACTIVATION:
  case INK_LAYER_SOFTMAX: return INK_OK;
  }
  return ink_error_set (err, INK_ERR_UNSUPPORTED, "layer '%s' has an unknown kind", l->name);
}

static int
find_scaler (const InkNetwork *nn, const char *feature)
{
  for (size_t i = 0; i < nn->n_scalers; i++) {
    if (strcmp (nn->scalers[i].feature_name, feature) == 0)
      return (int) i;
  }
  return -1;
}

static void
plan_clear (InkNetwork *nn)
{
  for (size_t i = 0; i < nn->n_blobs; i++)
    free (nn->blobs[i].name);
  free (nn->blobs);
  nn->blobs = NULL;
  nn->n_blobs = nn->cap_blobs = 0;
  for (size_t i = 0; i < nn->n_layers; i++) {
    free (nn->layers[i].in_blobs);
    nn->layers[i].in_blobs = NULL;
    nn->layers[i].fused = false;
    free (nn->layers[i].packed);
    nn->layers[i].packed = NULL;
  }
}

/* An image scaler with an empty feature name (Core ML files may leave it
 * out) applies to the network's only image input. */
static InkStatus
resolve_scalers (const InkModel *m, InkNetwork *nn, InkError *err)
{
  const char *image = NULL;
  size_t n_images = 0;

  for (size_t i = 0; i < m->desc.n_inputs; i++) {
    if (m->desc.inputs[i].type.type == INK_VALUE_IMAGE) {
      image = m->desc.inputs[i].name;
      n_images++;
    }
  }
  for (size_t i = 0; i < nn->n_scalers; i++) {
    if (nn->scalers[i].feature_name[0] != '\0')
      continue;
    if (n_images != 1)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "image preprocessing names no input, and the network has %zu image "
                            "inputs (it needs exactly one)",
                            n_images);
    if (!replace_string (&nn->scalers[i].feature_name, image))
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  return INK_OK;
}

static InkStatus
plan_inputs (const InkModel *m, InkNetwork *nn, InkError *err)
{
  InkStatus resolved = resolve_scalers (m, nn, err);

  if (resolved != INK_OK)
    return resolved;
  for (size_t i = 0; i < m->desc.n_inputs; i++) {
    const InkFeatureDescription *fd = &m->desc.inputs[i];
    InkShape s;
    InkBlobSource src;
    int index;
    InkStatus st = input_shape (fd, &s, &src, err);
    if (st == INK_OK)
      st = add_blob (nn, fd->name, s, src, &index, err);
    if (st != INK_OK)
      return st;
    nn->blobs[index].format = fd->type.image.format;
    nn->blobs[index].scaler = find_scaler (nn, fd->name);
  }
  for (size_t i = 0; i < nn->n_scalers; i++) {
    int b = ink_nn_find_blob (nn, nn->scalers[i].feature_name);
    if (b < 0 || nn->blobs[b].source != INK_BLOB_INPUT_IMAGE)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "image preprocessing names '%s', which is not an image input",
                            nn->scalers[i].feature_name);
  }
  return INK_OK;
}

static InkStatus
plan_layers (InkNetwork *nn, size_t *scratch, InkError *err)
{
  for (size_t i = 0; i < nn->n_layers; i++) {
    InkLayer *l = &nn->layers[i];
    InkShape out;
    InkStatus st;
    l->in_blobs = calloc (l->n_inputs, sizeof *l->in_blobs);
    if (l->in_blobs == NULL)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    for (size_t k = 0; k < l->n_inputs; k++) {
      l->in_blobs[k] = ink_nn_find_blob (nn, l->inputs[k]);
      if (l->in_blobs[k] < 0)
        return ink_error_set (err, INK_ERR_INVALID_MODEL,
                              "%s layer '%s' reads '%s', which no input or earlier layer produces",
                              ink_layer_kind_to_string (l->kind), l->name, l->inputs[k]);
    }
    if (l->n_inputs > 1 && l->kind != INK_LAYER_ADD && l->kind != INK_LAYER_CONCAT)
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s layer '%s' takes a single input",
                            ink_layer_kind_to_string (l->kind), l->name);
    st = plan_layer (nn, l, &out, err);
    if (st == INK_OK)
      st = add_blob (nn, l->outputs[0], out, INK_BLOB_LAYER, &l->out_blob, err);
    if (st != INK_OK)
      return st;
    /* A sum of several inputs is accumulated in the scratch area. */
    if (l->kind == INK_LAYER_ADD && l->n_inputs > 1 && ink_shape_count (out) > *scratch)
      *scratch = ink_shape_count (out);
    if (l->kind == INK_LAYER_CONVOLUTION) {
      size_t need = capped_product (l->win.in_c / l->win.groups, l->win.k_h * l->win.k_w,
                                    l->win.out_h, l->win.out_w);
      if (need == SIZE_MAX)
        return ink_error_set (err, INK_ERR_INVALID_MODEL, "convolution '%s' is too large", l->name);
      /* The direct kernels' padded planes may need more than im2col. */
      if (ink_kernel_convolution_scratch (&l->win) > need)
        need = ink_kernel_convolution_scratch (&l->win);
      if (ink_kernel_conv_blocked_scratch (&l->win) > need)
        need = ink_kernel_conv_blocked_scratch (&l->win);
      *scratch = need > *scratch ? need : *scratch;
    }
    if (l->kind == INK_LAYER_DECONVOLUTION) {
      size_t need = ink_kernel_deconvolution_scratch (&l->win);
      *scratch = need > *scratch ? need : *scratch;
    }
  }
  return INK_OK;
}

/* Whether a blob is read by a layer other than `reader`, or is one of the
 * model's outputs or the class scores. */
static bool
blob_needed (const InkModel *m, const InkNetwork *nn, int blob, size_t reader)
{
  for (size_t i = 0; i < nn->n_layers; i++) {
    for (size_t k = 0; i != reader && k < nn->layers[i].n_inputs; k++) {
      if (nn->layers[i].in_blobs[k] == blob)
        return true;
    }
  }
  for (size_t i = 0; i < m->desc.n_outputs; i++) {
    if (strcmp (m->desc.outputs[i].name, nn->blobs[blob].name) == 0)
      return true;
  }
  return blob == nn->probs_blob;
}

/* A convolution followed by an activation of its output and a max pooling
 * of that, with neither intermediate blob needed elsewhere, is computed as
 * one at inference (ink_kernel_convolution_fused). */
static void
plan_fusion (const InkModel *m, InkNetwork *nn)
{
  for (size_t i = 0; i + 2 < nn->n_layers; i++) {
    InkLayer *l = &nn->layers[i];
    const InkLayer *a = &nn->layers[i + 1], *p = &nn->layers[i + 2];

    l->fused = l->kind == INK_LAYER_CONVOLUTION && a->kind == INK_LAYER_ACTIVATION &&
               a->n_inputs == 1 && a->in_blobs[0] == l->out_blob && p->kind == INK_LAYER_POOLING &&
               p->p.pooling.type == INK_POOL_MAX && p->n_inputs == 1 &&
               p->in_blobs[0] == a->out_blob && ink_kernel_convolution_fusable (&l->win, &p->win) &&
               !blob_needed (m, nn, l->out_blob, i + 1) && !blob_needed (m, nn, a->out_blob, i + 2);
  }
}

void
ink_nn_layer_repack (InkLayer *l)
{
  if (l->packed != NULL)
    ink_kernel_conv_blocked_pack (&l->win, l->w[INK_W_WEIGHTS].data, l->w[INK_W_BIAS].data,
                                  l->packed);
}

/* The weights of the convolutions that ink_kernel_conv_blocked runs. */
static bool
plan_packing (InkNetwork *nn)
{
  for (size_t i = 0; i < nn->n_layers; i++) {
    InkLayer *l = &nn->layers[i];
    size_t n =
      l->kind == INK_LAYER_CONVOLUTION ? ink_kernel_conv_blocked_packed_floats (&l->win) : 0;
    if (n == 0)
      continue;
    l->packed = aligned_alloc (64, (n * sizeof (float) + 63) & ~(size_t) 63);
    if (l->packed == NULL)
      return false;
    ink_nn_layer_repack (l);
  }
  return true;
}

static InkStatus
plan_outputs (const InkModel *m, InkNetwork *nn, InkError *err)
{
  const char *probs = nn->probability_blob;

  if (m->kind == INK_MODEL_NEURAL_NETWORK_CLASSIFIER) {
    if (probs == NULL || probs[0] == '\0')
      probs = nn->n_layers > 0 ? nn->layers[nn->n_layers - 1].outputs[0] : NULL;
    nn->probs_blob = ink_nn_find_blob (nn, probs);
    if (nn->probs_blob < 0)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "the classifier's probability blob '%s' is not produced",
                            probs != NULL ? probs : "");
    if (ink_shape_count (nn->blobs[nn->probs_blob].shape) != m->class_labels.n)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "the classifier has %zu class labels but its scores have %zu values",
                            m->class_labels.n, ink_shape_count (nn->blobs[nn->probs_blob].shape));
  }
  for (size_t i = 0; i < m->desc.n_outputs; i++) {
    const char *name = m->desc.outputs[i].name;
    bool is_label = ink_model_kind_is_classifier (m->kind) &&
                    (strcmp (name, ink_description_predicted_feature_name (&m->desc)) == 0 ||
                     strcmp (name, ink_description_predicted_probabilities_name (&m->desc)) == 0);
    if (!is_label && ink_nn_find_blob (nn, name) < 0 &&
        !(m->kind == INK_MODEL_NEURAL_NETWORK_REGRESSOR && nn->n_layers > 0))
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "no layer produces the output '%s'", name);
  }
  return INK_OK;
}

static InkStatus
nn_finish (InkModel *m, InkError *err)
{
  InkNetwork *nn = m->body.nn;
  size_t scratch = 0, offset = 0;
  InkStatus st;

  plan_clear (nn);
  if (nn->n_layers == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "the network has no layers");
  st = plan_inputs (m, nn, err);
  if (st == INK_OK)
    st = plan_layers (nn, &scratch, err);
  if (st == INK_OK)
    st = plan_outputs (m, nn, err);
  if (st != INK_OK) {
    plan_clear (nn);
    return st;
  }
  plan_fusion (m, nn);
  if (!plan_packing (nn)) {
    plan_clear (nn);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  /* Each blob gets its own 16-float-aligned region; the scratch area follows. */
  for (size_t i = 0; i < nn->n_blobs; i++) {
    nn->blobs[i].offset = offset;
    offset += (ink_shape_count (nn->blobs[i].shape) + 15) & ~(size_t) 15;
  }
  nn->scratch_offset = offset;
  nn->workspace_floats = offset + scratch;
  if (nn->pool == NULL) {
    nn->pool = calloc (1, sizeof *nn->pool);
    if (nn->pool == NULL || pthread_mutex_init (&nn->pool->lock, NULL) != 0) {
      free (nn->pool);
      nn->pool = NULL;
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    }
  }
  return INK_OK;
}

/* ---- Forward pass ---- */

static InkStatus
load_input (const InkNetwork *nn, const InkBlob *b, const InkValue *v, float *dst, InkError *err)
{
  size_t n = ink_shape_count (b->shape);

  if (b->source == INK_BLOB_INPUT_SCALAR) {
    dst[0] = (float) ink_value_get_double (v);
    return INK_OK;
  }
  if (b->source == INK_BLOB_INPUT_ARRAY) {
    if (ink_value_array_count (v) != n)
      return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                            "input '%s' has %zu values, the network expects %zu", b->name,
                            ink_value_array_count (v), n);
    if (ink_value_array_type (v) == INK_ARRAY_FLOAT32) {
      memcpy (dst, ink_value_array_const_data (v), n * sizeof *dst);
    } else {
      for (size_t i = 0; i < n; i++)
        dst[i] = (float) ink_value_array_get (v, i);
    }
    return INK_OK;
  }
  {
    const uint8_t *px = ink_value_image_pixels (v);
    size_t plane = b->shape.h * b->shape.w;
    const InkScaler *s = b->scaler >= 0 ? &nn->scalers[b->scaler] : NULL;
    float scale = s != NULL ? s->scale : 1.0f;
    if ((size_t) ink_value_image_width (v) != b->shape.w ||
        (size_t) ink_value_image_height (v) != b->shape.h ||
        ink_value_image_format (v) != b->format)
      return ink_error_set (err, INK_ERR_SHAPE_MISMATCH, "input image '%s' must be %zux%zu %s",
                            b->name, b->shape.w, b->shape.h,
                            ink_pixel_format_to_string (b->format));
    if (b->shape.c == 1) {
      float bias = s != NULL ? s->gray_bias : 0.0f;
      for (size_t p = 0; p < plane; p++)
        dst[p] = scale * px[p] + bias;
    } else {
      /* Channels follow the colour space: R, G, B for RGBA; B, G, R for BGRA. */
      float bias[3] = {0, 0, 0};
      if (s != NULL) {
        bool bgr = b->format == INK_PIXEL_BGRA8;
        bias[0] = bgr ? s->blue_bias : s->red_bias;
        bias[1] = s->green_bias;
        bias[2] = bgr ? s->red_bias : s->blue_bias;
      }
      for (size_t c = 0; c < 3; c++) {
        for (size_t p = 0; p < plane; p++)
          dst[c * plane + p] = scale * px[p * 4 + c] + bias[c];
      }
    }
  }
  return INK_OK;
}

/* An image the network's plan does not take as it is (another size that a
 * flexible constraint allows, or another pixel format) is converted to the
 * size and format the network was planned for: its input's default size. */
static InkStatus
load_image_input (const InkNetwork *nn, const InkBlob *b, const InkValue *v, float *dst,
                  InkError *err)
{
  InkImageConstraint fixed = {0};
  InkValue *converted = NULL;
  InkStatus st;

  if ((size_t) ink_value_image_width (v) == b->shape.w &&
      (size_t) ink_value_image_height (v) == b->shape.h && ink_value_image_format (v) == b->format)
    return load_input (nn, b, v, dst, err);
  fixed.width = (int64_t) b->shape.w;
  fixed.height = (int64_t) b->shape.h;
  fixed.format = b->format;
  st = ink_image_convert_value (v, &fixed, NULL, &converted, err);
  if (st != INK_OK)
    return ink_error_prefix (err, "input '%s'", b->name);
  st = load_input (nn, b, converted, dst, err);
  ink_value_free (converted);
  return st;
}

static void
run_layer (const InkNetwork *nn, const InkLayer *l, float *ws)
{
  const InkBlob *ib = &nn->blobs[l->in_blobs[0]];
  const InkBlob *ob = &nn->blobs[l->out_blob];
  const float *in = ws + ib->offset;
  float *out = ws + ob->offset;
  size_t n = ink_shape_count (ob->shape);

  switch (l->kind) {
  case INK_LAYER_CONVOLUTION:
    ink_kernel_convolution (&l->win, in, l->w[INK_W_WEIGHTS].data, l->w[INK_W_BIAS].data, out,
                            ws + nn->scratch_offset);
    break;
  case INK_LAYER_DECONVOLUTION:
    ink_kernel_deconvolution (&l->win, in, l->w[INK_W_WEIGHTS].data, l->w[INK_W_BIAS].data, out,
                              ws + nn->scratch_offset);
    break;
  case INK_LAYER_TRANSPOSE: ink_kernel_transpose (ib->shape, l->p.transpose.axes, in, out); break;
  case INK_LAYER_RESHAPE_STATIC: memcpy (out, in, n * sizeof *out); break;
  case INK_LAYER_INNER_PRODUCT:
    ink_kernel_inner_product (in, ink_shape_count (ib->shape), l->w[INK_W_WEIGHTS].data,
                              l->w[INK_W_BIAS].data, out, n);
    break;
  case INK_LAYER_POOLING:
    if (l->p.pooling.type == INK_POOL_MAX)
      ink_kernel_pool_max (&l->win, in, out);
    else
      ink_kernel_pool_average (&l->win, in, out, l->p.pooling.exclude_padding);
    break;
  case INK_LAYER_ACTIVATION: ink_kernel_activation (&l->p.activation, in, out, n); break;
  case INK_LAYER_SOFTMAX: ink_kernel_softmax_channels (ob->shape, in, out); break;
  case INK_LAYER_FLATTEN:
    if (l->p.flatten.order == INK_ORDER_CHANNEL_LAST)
      ink_kernel_flatten_channel_last (ib->shape, in, out);
    else
      memcpy (out, in, n * sizeof *out);
    break;
  case INK_LAYER_RESHAPE:
    if (l->p.reshape.order == INK_ORDER_CHANNEL_LAST)
      ink_kernel_reshape_channel_last (ib->shape, ob->shape, in, out);
    else
      memcpy (out, in, n * sizeof *out);
    break;
  case INK_LAYER_BATCHNORM:
    ink_kernel_batchnorm (ib->shape, in, l->w[INK_W_GAMMA].data, l->w[INK_W_BETA].data,
                          l->w[INK_W_MEAN].data, l->w[INK_W_VARIANCE].data, l->p.batchnorm.epsilon,
                          l->p.batchnorm.compute_mean_var, out);
    break;
  case INK_LAYER_ADD:
    if (l->n_inputs == 1) {
      for (size_t i = 0; i < n; i++)
        out[i] = in[i] + l->p.add.alpha;
    } else {
      const float *ins[16];
      InkShape shapes[16];
      size_t done = 0;
      /* Sum in chunks of 16 inputs; later chunks add onto the result. */
      while (done < l->n_inputs) {
        size_t k = 0;
        if (done > 0) {
          ins[k] = out;
          shapes[k++] = ob->shape;
        }
        for (; k < 16 && done < l->n_inputs; k++, done++) {
          ins[k] = ws + nn->blobs[l->in_blobs[done]].offset;
          shapes[k] = nn->blobs[l->in_blobs[done]].shape;
        }
        ink_kernel_add (ob->shape, ins, shapes, k, ws + nn->scratch_offset);
        memcpy (out, ws + nn->scratch_offset, n * sizeof *out);
      }
    }
    break;
  case INK_LAYER_CONCAT: {
    size_t at = 0;
    for (size_t k = 0; k < l->n_inputs; k++) {
      const InkBlob *b = &nn->blobs[l->in_blobs[k]];
      memcpy (out + at, ws + b->offset, ink_shape_count (b->shape) * sizeof *out);
      at += ink_shape_count (b->shape);
    }
    break;
  }
  }
}

static InkStatus
forward (const InkModel *m, const InkFeatures *inputs, float *ws, bool all_inference,
         const bool *at_inference, InkError *err)
{
  const InkNetwork *nn = m->body.nn;

  for (size_t i = 0; i < nn->n_blobs; i++) {
    const InkBlob *b = &nn->blobs[i];
    const InkValue *v;
    InkStatus st;
    if (b->source == INK_BLOB_LAYER)
      continue;
    v = ink_features_get (inputs, b->name);
    if (v == NULL) {
      memset (ws + b->offset, 0, ink_shape_count (b->shape) * sizeof *ws);
      continue;
    }
    if (b->source == INK_BLOB_INPUT_IMAGE && ink_value_get_type (v) != INK_VALUE_IMAGE)
      return ink_error_set (err, INK_ERR_TYPE_MISMATCH, "input '%s' must be an image", b->name);
    if (b->source == INK_BLOB_INPUT_IMAGE)
      st = load_image_input (nn, b, v, ws + b->offset, err);
    else
      st = load_input (nn, b, v, ws + b->offset, err);
    if (st != INK_OK)
      return st;
  }
  for (size_t i = 0; i < nn->n_layers; i++) {
    const InkLayer *l = &nn->layers[i];
    const bool inference = all_inference || (at_inference != NULL && at_inference[i]);
    if (inference && l->packed != NULL) {
      const InkLayer *a = l->fused ? &nn->layers[i + 1] : NULL;
      const InkLayer *p = l->fused ? &nn->layers[i + 2] : NULL;
      ink_kernel_conv_blocked (&l->win, l->packed, ws + nn->blobs[l->in_blobs[0]].offset,
                               ws + nn->blobs[l->out_blob].offset, ws + nn->scratch_offset,
                               a != NULL ? &a->p.activation : NULL, p != NULL ? &p->win : NULL,
                               p != NULL ? ws + nn->blobs[p->out_blob].offset : NULL);
      i += l->fused ? 2 : 0;
      continue;
    }
    if (inference && l->fused) {
      const InkLayer *a = &nn->layers[i + 1], *p = &nn->layers[i + 2];
      ink_kernel_convolution_fused (&l->win, ws + nn->blobs[l->in_blobs[0]].offset,
                                    l->w[INK_W_WEIGHTS].data, l->w[INK_W_BIAS].data,
                                    ws + nn->blobs[l->out_blob].offset, ws + nn->scratch_offset,
                                    &a->p.activation, ws + nn->blobs[a->out_blob].offset, &p->win,
                                    ws + nn->blobs[p->out_blob].offset);
      i += 2;
      continue;
    }
    run_layer (nn, l, ws);
  }
  return INK_OK;
}

InkStatus
ink_nn_forward (const InkModel *m, const InkFeatures *inputs, float *ws, bool inference,
                InkError *err)
{
  return forward (m, inputs, ws, inference, NULL, err);
}

InkStatus
ink_nn_forward_mixed (const InkModel *m, const InkFeatures *inputs, float *ws,
                      const bool *at_inference, InkError *err)
{
  return forward (m, inputs, ws, false, at_inference, err);
}

static float *
workspace_acquire (InkNetwork *nn)
{
  float *ws = NULL;

  pthread_mutex_lock (&nn->pool->lock);
  if (nn->pool->n > 0)
    ws = nn->pool->free[--nn->pool->n];
  pthread_mutex_unlock (&nn->pool->lock);
  if (ws == NULL)
    ws = aligned_alloc (64, ((nn->workspace_floats * sizeof (float)) + 63) & ~(size_t) 63);
  return ws;
}

static void
workspace_release (InkNetwork *nn, float *ws)
{
  pthread_mutex_lock (&nn->pool->lock);
  if (INK_GROW (nn->pool->free, nn->pool->n, nn->pool->cap)) {
    nn->pool->free[nn->pool->n++] = ws;
    ws = NULL;
  }
  pthread_mutex_unlock (&nn->pool->lock);
  free (ws);
}

/* A blob declared as an image output: gray from one channel, colour from
 * three (in the colour space's channel order), each value rounded and
 * clamped to 0..255 (alpha 255). NULL when the blob is not [1 or 3, H, W]
 * or out of memory. */
static InkValue *
blob_image (const InkBlob *b, const float *ws, InkPixelFormat format)
{
  const float *src = ws + b->offset;
  size_t plane = b->shape.h * b->shape.w, bpp = ink_pixel_format_bytes (format);
  bool gray = format == INK_PIXEL_GRAY8;
  uint8_t *px;
  InkValue *v;

  if (b->shape.c != (gray ? 1u : 3u) || b->shape.w > INT32_MAX || b->shape.h > INT32_MAX)
    return NULL;
  px = malloc (plane * bpp);
  if (px == NULL)
    return NULL;
  for (size_t p = 0; p < plane; p++) {
    for (size_t c = 0; c < b->shape.c; c++) {
      float x = src[c * plane + p];
      px[p * bpp + c] = x >= 255.0f ? 255 : x > 0.0f ? (uint8_t) lrintf (x) : 0;
    }
    if (!gray)
      px[p * bpp + 3] = 255;
  }
  v = ink_value_new_image (format, (int) b->shape.w, (int) b->shape.h, b->shape.w * bpp, px);
  free (px);
  return v;
}

static InkValue *
blob_value (const InkBlob *b, const float *ws)
{
  int64_t shape[3] = {(int64_t) b->shape.c, (int64_t) b->shape.h, (int64_t) b->shape.w};
  size_t rank = b->shape.h == 1 && b->shape.w == 1 ? 1 : 3;

  return ink_value_new_multiarray (INK_ARRAY_FLOAT32, rank, shape, ws + b->offset);
}

static InkStatus
nn_predict (const InkModel *m, const InkFeatures *inputs, InkFeatures *out, InkError *err)
{
  InkNetwork *nn = m->body.nn;
  float *ws = workspace_acquire (nn);
  InkStatus st;

  if (ws == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory for the network's workspace");
  st = ink_nn_forward (m, inputs, ws, true, err);
  for (size_t i = 0; st == INK_OK && i < m->desc.n_outputs; i++) {
    const char *name = m->desc.outputs[i].name;
    int b = ink_nn_find_blob (nn, name);
    if (b < 0 && m->kind == INK_MODEL_NEURAL_NETWORK_REGRESSOR &&
        strcmp (name, ink_description_predicted_feature_name (&m->desc)) == 0)
      b = nn->layers[nn->n_layers - 1].out_blob;
    if (b >= 0 && m->desc.outputs[i].type.type == INK_VALUE_IMAGE) {
      InkValue *image = blob_image (&nn->blobs[b], ws, m->desc.outputs[i].type.image.format);
      st = image != NULL ? ink_features_set (out, name, image)
                         : ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                                          "the blob of the image output '%s' is %zux%zux%zu, "
                                          "which is not an image",
                                          name, nn->blobs[b].shape.c, nn->blobs[b].shape.h,
                                          nn->blobs[b].shape.w);
    } else if (b >= 0) {
      st = ink_features_set (out, name, blob_value (&nn->blobs[b], ws));
    }
  }
  if (st == INK_OK && m->kind == INK_MODEL_NEURAL_NETWORK_CLASSIFIER) {
    const InkBlob *pb = &nn->blobs[nn->probs_blob];
    size_t n = ink_shape_count (pb->shape);
    double *probs = malloc (n * sizeof *probs);
    if (probs == NULL) {
      st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    } else {
      for (size_t i = 0; i < n; i++)
        probs[i] = ws[pb->offset + i];
      st = ink_classifier_emit (m, &m->class_labels, probs, out, err);
      free (probs);
    }
  }
  workspace_release (nn, ws);
  return st;
}

static void
nn_free_body (InkModel *m)
{
  InkNetwork *nn = m->body.nn;

  plan_clear (nn);
  for (size_t i = 0; i < nn->n_layers; i++)
    layer_clear (&nn->layers[i]);
  free (nn->layers);
  for (size_t i = 0; i < nn->n_scalers; i++)
    free (nn->scalers[i].feature_name);
  free (nn->scalers);
  free (nn->probability_blob);
  free (nn->loss_name);
  free (nn->loss_input);
  free (nn->loss_target);
  if (nn->pool != NULL) {
    for (size_t i = 0; i < nn->pool->n; i++)
      free (nn->pool->free[i]);
    free (nn->pool->free);
    pthread_mutex_destroy (&nn->pool->lock);
    free (nn->pool);
  }
  free (nn);
  m->body.nn = NULL;
}

InkLayerSpec
ink_nn_layer_spec (const InkLayer *l)
{
  InkLayerSpec spec = {0};

  spec.name = l->name;
  spec.kind = l->kind;
  spec.inputs = (const char *const *) l->inputs;
  spec.n_inputs = l->n_inputs;
  spec.outputs = (const char *const *) l->outputs;
  spec.n_outputs = l->n_outputs;
  spec.updatable = l->updatable;
  memcpy (&spec.params, &l->p, sizeof spec.params);
  return spec;
}

static InkStatus
nn_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  const InkNetwork *s = src->body.nn;
  InkNetwork *d = calloc (1, sizeof *d);
  InkStatus st = INK_OK;

  if (d == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  dst->body.nn = d;
  d->probs_blob = -1;
  for (size_t i = 0; st == INK_OK && i < s->n_layers; i++) {
    InkLayerSpec spec = ink_nn_layer_spec (&s->layers[i]);
    const float *w[INK_W_SLOTS];
    for (int k = 0; k < INK_W_SLOTS; k++)
      w[k] = s->layers[i].w[k].data;
    if (!INK_GROW (d->layers, d->n_layers, d->cap_layers))
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    st = ink_nn_layer_init (&d->layers[d->n_layers], &spec, w, NULL, false, err);
    if (st == INK_OK)
      d->n_layers++;
  }
  for (size_t i = 0; st == INK_OK && i < s->n_scalers; i++) {
    const InkScaler *sc = &s->scalers[i];
    InkImageScaler spec = {sc->feature_name, sc->scale,     sc->red_bias,
                           sc->green_bias,   sc->blue_bias, sc->gray_bias};
    st = ink_nn_add_image_scaler (dst, &spec, err);
  }
  if (st != INK_OK)
    return st;
  if (!replace_string (&d->probability_blob, s->probability_blob))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  if (s->has_loss &&
      ink_nn_set_loss (dst, s->loss_name, s->loss_type, s->loss_input, s->loss_target) != INK_OK)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  d->has_optimizer = s->has_optimizer;
  d->optimizer = s->optimizer;
  d->exact_array_mapping = s->exact_array_mapping;
  d->rank4_image_mapping = s->rank4_image_mapping;
  return INK_OK;
}

const InkModelOps ink_nn_ops = {
  .finish = nn_finish,
  .predict = nn_predict,
  .free_body = nn_free_body,
  .copy_body = nn_copy_body,
  .to_json = ink_nn_to_json,
  .from_json = ink_nn_from_json,
};

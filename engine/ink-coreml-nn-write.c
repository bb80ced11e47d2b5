/* ink-coreml-nn-write.c: writing neural networks (plain, classifier,
 * regressor) as Core ML specifications, the inverse of ink-coreml-nn-read.c
 *
 * Weights are written as packed float32 (floatValue), flagged updatable on
 * the layers that are. The specification version is raised to 4 for
 * anything Core ML added then: update parameters and updatable layers, the
 * exact input shape mappings and the N-dimensional layers (transpose,
 * reshapeStatic).
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "ink-coreml-private.h"
#include "ink-nn-private.h"

/* Nested messages: each writer is built, then put into its parent. */
static void
put_sub (InkPbWriter *w, uint32_t number, InkPbWriter *sub)
{
  ink_pb_put_message (w, number, sub);
  if (ink_pb_writer_failed (sub))
    w->failed = true;
  ink_pb_writer_clear (sub);
}

static void
put_empty (InkPbWriter *w, uint32_t number)
{
  InkPbWriter e;

  ink_pb_writer_init (&e);
  put_sub (w, number, &e);
}

static void
put_float_nonzero (InkPbWriter *w, uint32_t number, float v)
{
  if (v != 0.0f)
    ink_pb_put_float (w, number, v);
}

static void
put_pair (InkPbWriter *w, uint32_t number, size_t a, size_t b)
{
  int64_t v[2] = {(int64_t) a, (int64_t) b};

  ink_pb_put_packed_int64s (w, number, v, 2);
}

static void
put_weights (InkPbWriter *w, uint32_t number, const InkWeights *weights, bool updatable)
{
  InkPbWriter p;

  ink_pb_writer_init (&p);
  ink_pb_put_packed_floats (&p, 1, weights->data, weights->count);
  if (updatable)
    ink_pb_put_bool (&p, 50, true);
  put_sub (w, number, &p);
}

/* ValidPadding / SamePadding (conv and pooling), or pooling's
 * ValidCompletePadding. */
static void
put_padding (InkPbWriter *w, uint32_t valid, uint32_t same, uint32_t include_last,
             const InkPadding *pad)
{
  InkPbWriter p, amounts, edge;

  ink_pb_writer_init (&p);
  switch (pad->type) {
  case INK_PAD_VALID:
    ink_pb_writer_init (&amounts);
    for (int i = 0; i < 2; i++) {
      size_t start = i == 0 ? pad->top : pad->left, end = i == 0 ? pad->bottom : pad->right;
      ink_pb_writer_init (&edge);
      if (start != 0)
        ink_pb_put_varint (&edge, 1, start);
      if (end != 0)
        ink_pb_put_varint (&edge, 2, end);
      put_sub (&amounts, 10, &edge);
    }
    put_sub (&p, 1, &amounts);
    put_sub (w, valid, &p);
    break;
  case INK_PAD_SAME:
    if (pad->same_mode == INK_SAME_TOP_LEFT_HEAVY)
      ink_pb_put_varint (&p, 1, 1);
    put_sub (w, same, &p);
    break;
  case INK_PAD_INCLUDE_LAST:
    if (pad->top != 0 || pad->left != 0)
      put_pair (&p, 10, pad->top, pad->left);
    put_sub (w, include_last, &p);
    break;
  }
  ink_pb_writer_clear (&p);
}

static void
write_convolution (InkPbWriter *w, const InkLayer *l)
{
  const InkConvolutionParams *c = &l->p.convolution;
  bool deconv = l->kind == INK_LAYER_DECONVOLUTION;
  InkPbWriter p;

  ink_pb_writer_init (&p);
  ink_pb_put_varint (&p, 1, c->out_channels);
  ink_pb_put_varint (&p, 2, c->kernel_channels);
  ink_pb_put_varint (&p, 10, c->groups);
  put_pair (&p, 20, c->kernel_h, c->kernel_w);
  put_pair (&p, 30, c->stride_h, c->stride_w);
  if (!deconv)
    put_pair (&p, 40, c->dilation_h, c->dilation_w);
  put_padding (&p, 50, 51, 0, &c->padding);
  if (deconv)
    ink_pb_put_bool (&p, 60, true);
  if (c->has_bias)
    ink_pb_put_bool (&p, 70, true);
  put_weights (&p, 90, &l->w[INK_W_WEIGHTS], l->updatable);
  if (c->has_bias)
    put_weights (&p, 91, &l->w[INK_W_BIAS], l->updatable);
  if (deconv && c->output_h != 0)
    put_pair (&p, 100, c->output_h, c->output_w);
  put_sub (w, 100, &p);
}

static void
write_pooling (InkPbWriter *w, const InkLayer *l)
{
  const InkPoolingParams *pp = &l->p.pooling;
  InkPbWriter p;

  ink_pb_writer_init (&p);
  if (pp->type == INK_POOL_AVERAGE)
    ink_pb_put_varint (&p, 1, 1);
  put_pair (&p, 10, pp->kernel_h, pp->kernel_w);
  put_pair (&p, 20, pp->stride_h, pp->stride_w);
  put_padding (&p, 30, 31, 32, &pp->padding);
  if (pp->exclude_padding)
    ink_pb_put_bool (&p, 50, true);
  if (pp->global)
    ink_pb_put_bool (&p, 60, true);
  put_sub (w, 120, &p);
}

static void
write_activation (InkPbWriter *w, const InkLayer *l)
{
  const InkActivationParams *a = &l->p.activation;
  InkPbWriter p, fn;

  ink_pb_writer_init (&p);
  ink_pb_writer_init (&fn);
  switch (a->type) {
  case INK_ACT_LINEAR:
    put_float_nonzero (&fn, 1, a->alpha);
    put_float_nonzero (&fn, 2, a->beta);
    put_sub (&p, 5, &fn);
    break;
  case INK_ACT_RELU: put_sub (&p, 10, &fn); break;
  case INK_ACT_LEAKY_RELU:
    put_float_nonzero (&fn, 1, a->alpha);
    put_sub (&p, 15, &fn);
    break;
  case INK_ACT_TANH: put_sub (&p, 30, &fn); break;
  case INK_ACT_SIGMOID: put_sub (&p, 40, &fn); break;
  }
  ink_pb_writer_clear (&fn);
  put_sub (w, 130, &p);
}

static void
write_inner_product (InkPbWriter *w, const InkLayer *l)
{
  const InkInnerProductParams *ip = &l->p.inner_product;
  InkPbWriter p;

  ink_pb_writer_init (&p);
  ink_pb_put_varint (&p, 1, ip->in_channels);
  ink_pb_put_varint (&p, 2, ip->out_channels);
  if (ip->has_bias)
    ink_pb_put_bool (&p, 10, true);
  put_weights (&p, 20, &l->w[INK_W_WEIGHTS], l->updatable);
  if (ip->has_bias)
    put_weights (&p, 21, &l->w[INK_W_BIAS], l->updatable);
  put_sub (w, 140, &p);
}

static void
write_batchnorm (InkPbWriter *w, const InkLayer *l)
{
  const InkBatchnormParams *b = &l->p.batchnorm;
  InkPbWriter p;

  ink_pb_writer_init (&p);
  ink_pb_put_varint (&p, 1, b->channels);
  if (b->compute_mean_var) {
    ink_pb_put_bool (&p, 5, true);
    ink_pb_put_bool (&p, 6, true);
  }
  put_float_nonzero (&p, 10, b->epsilon);
  for (int i = 0; i < 4; i++) {
    if (l->w[i].count > 0)
      put_weights (&p, (uint32_t) (15 + i), &l->w[i], false);
  }
  put_sub (w, 160, &p);
}

static void
write_layer_params (InkPbWriter *w, const InkLayer *l)
{
  InkPbWriter p;

  ink_pb_writer_init (&p);
  switch (l->kind) {
  case INK_LAYER_CONVOLUTION:
  case INK_LAYER_DECONVOLUTION: write_convolution (w, l); break;
  case INK_LAYER_POOLING: write_pooling (w, l); break;
  case INK_LAYER_ACTIVATION: write_activation (w, l); break;
  case INK_LAYER_INNER_PRODUCT: write_inner_product (w, l); break;
  case INK_LAYER_BATCHNORM: write_batchnorm (w, l); break;
  case INK_LAYER_SOFTMAX: put_empty (w, 175); break;
  case INK_LAYER_ADD:
    put_float_nonzero (&p, 1, l->p.add.alpha);
    put_sub (w, 230, &p);
    break;
  case INK_LAYER_RESHAPE:
    ink_pb_put_packed_int64s (&p, 1, l->p.reshape.shape, 3);
    if (l->p.reshape.order == INK_ORDER_CHANNEL_LAST)
      ink_pb_put_varint (&p, 2, 1);
    put_sub (w, 300, &p);
    break;
  case INK_LAYER_FLATTEN:
    if (l->p.flatten.order == INK_ORDER_CHANNEL_LAST)
      ink_pb_put_varint (&p, 1, 1);
    put_sub (w, 301, &p);
    break;
  case INK_LAYER_CONCAT: put_empty (w, 320); break;
  case INK_LAYER_TRANSPOSE: {
    /* Back to a rank-4 permutation with the batch axis first. */
    int64_t axes[4] = {0, (int64_t) l->p.transpose.axes[0] + 1,
                       (int64_t) l->p.transpose.axes[1] + 1, (int64_t) l->p.transpose.axes[2] + 1};
    ink_pb_put_packed_int64s (&p, 1, axes, 4);
    put_sub (w, 985, &p);
    break;
  }
  case INK_LAYER_RESHAPE_STATIC:
    ink_pb_put_packed_int64s (&p, 1, l->p.reshape_static.shape, l->p.reshape_static.rank);
    put_sub (w, 1140, &p);
    break;
  }
  ink_pb_writer_clear (&p);
}

static void
write_layer (InkPbWriter *w, const InkLayer *l)
{
  InkPbWriter p;

  ink_pb_writer_init (&p);
  ink_pb_put_string (&p, 1, l->name);
  for (size_t i = 0; i < l->n_inputs; i++)
    ink_pb_put_string (&p, 2, l->inputs[i]);
  for (size_t i = 0; i < l->n_outputs; i++)
    ink_pb_put_string (&p, 3, l->outputs[i]);
  if (l->updatable)
    ink_pb_put_bool (&p, 10, true);
  write_layer_params (&p, l);
  put_sub (w, 1, &p);
}

static void
write_scaler (InkPbWriter *w, const InkScaler *s)
{
  InkPbWriter p, sc;

  ink_pb_writer_init (&p);
  ink_pb_writer_init (&sc);
  if (s->feature_name[0] != '\0')
    ink_pb_put_string (&p, 1, s->feature_name);
  put_float_nonzero (&sc, 10, s->scale);
  put_float_nonzero (&sc, 20, s->blue_bias);
  put_float_nonzero (&sc, 21, s->green_bias);
  put_float_nonzero (&sc, 22, s->red_bias);
  put_float_nonzero (&sc, 30, s->gray_bias);
  put_sub (&p, 10, &sc);
  put_sub (w, 2, &p);
}

/* A declared update parameter, when there is one. */
static bool
put_parameter (InkPbWriter *w, uint32_t number, const InkModel *m, const char *key)
{
  const InkUpdateParameter *p = ink_description_find_update_parameter (&m->desc, key);

  if (p == NULL)
    return false;
  ink_coreml_write_parameter (w, number, p);
  return true;
}

static bool
has_nn_parameters (const InkModel *m)
{
  static const char *const keys[] = {
    INK_PARAM_EPOCHS,   INK_PARAM_LEARNING_RATE, INK_PARAM_MINI_BATCH_SIZE,
    INK_PARAM_MOMENTUM, INK_PARAM_BETA1,         INK_PARAM_BETA2,
    INK_PARAM_EPS,      INK_PARAM_SHUFFLE,       INK_PARAM_SEED};

  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    if (ink_description_find_update_parameter (&m->desc, keys[i]) != NULL)
      return true;
  }
  return false;
}

/* NetworkUpdateParameters: the loss, the optimizer with the parameters
 * the model declares, epochs, shuffle and seed. */
static void
write_update_params (InkPbWriter *w, const InkModel *m)
{
  const InkNetwork *nn = m->body.nn;
  InkPbWriter up, loss, type, opt, params;

  ink_pb_writer_init (&up);
  if (nn->has_loss) {
    ink_pb_writer_init (&loss);
    ink_pb_writer_init (&type);
    ink_pb_put_string (&loss, 1, nn->loss_name);
    ink_pb_put_string (&type, 1, nn->loss_input);
    ink_pb_put_string (&type, 2, nn->loss_target);
    put_sub (&loss, nn->loss_type == INK_LOSS_CATEGORICAL_CROSS_ENTROPY ? 10 : 11, &type);
    put_sub (&up, 1, &loss);
  }
  if (nn->has_optimizer) {
    bool adam = nn->optimizer == INK_OPTIMIZER_ADAM;
    ink_pb_writer_init (&opt);
    ink_pb_writer_init (&params);
    put_parameter (&params, 1, m, INK_PARAM_LEARNING_RATE);
    put_parameter (&params, 2, m, INK_PARAM_MINI_BATCH_SIZE);
    if (adam) {
      put_parameter (&params, 3, m, INK_PARAM_BETA1);
      put_parameter (&params, 4, m, INK_PARAM_BETA2);
      put_parameter (&params, 5, m, INK_PARAM_EPS);
    } else {
      put_parameter (&params, 3, m, INK_PARAM_MOMENTUM);
    }
    put_sub (&opt, adam ? 11 : 10, &params);
    put_sub (&up, 2, &opt);
  }
  put_parameter (&up, 3, m, INK_PARAM_EPOCHS);
  put_parameter (&up, 10, m, INK_PARAM_SHUFFLE);
  put_parameter (&up, 20, m, INK_PARAM_SEED);
  put_sub (w, 10, &up);
}

InkStatus
ink_coreml_write_network (const InkModel *m, InkPbWriter *w, int *spec_version, InkError *err)
{
  const InkNetwork *nn;
  uint32_t number;
  bool updatable = false, nd_layers = false, training;
  InkPbWriter body;

  if (m == NULL || !ink_model_kind_is_network (m->kind) || m->body.nn == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "not a neural network");
  nn = m->body.nn;
  number = m->kind == INK_MODEL_NEURAL_NETWORK_CLASSIFIER  ? INK_ML_NEURAL_NETWORK_CLASSIFIER
           : m->kind == INK_MODEL_NEURAL_NETWORK_REGRESSOR ? INK_ML_NEURAL_NETWORK_REGRESSOR
                                                           : INK_ML_NEURAL_NETWORK;
  for (size_t i = 0; i < nn->n_layers; i++) {
    updatable = updatable || nn->layers[i].updatable;
    nd_layers = nd_layers || nn->layers[i].kind == INK_LAYER_TRANSPOSE ||
                nn->layers[i].kind == INK_LAYER_RESHAPE_STATIC;
  }
  training = nn->has_loss || nn->has_optimizer || has_nn_parameters (m);

  ink_pb_writer_init (&body);
  for (size_t i = 0; i < nn->n_layers; i++)
    write_layer (&body, &nn->layers[i]);
  for (size_t i = 0; i < nn->n_scalers; i++)
    write_scaler (&body, &nn->scalers[i]);
  /* Core ML's N-dimensional layers need the exact (rank-preserving)
   * mappings; its validator refuses them under the legacy rank-5 ones. */
  if (nn->exact_array_mapping || nd_layers)
    ink_pb_put_varint (&body, 5, 1);
  if (nn->rank4_image_mapping || nd_layers)
    ink_pb_put_varint (&body, 6, 1);
  if (training)
    write_update_params (&body, m);
  if (m->kind == INK_MODEL_NEURAL_NETWORK_CLASSIFIER) {
    ink_coreml_write_labels (&body, 100, 101, &m->class_labels);
    if (nn->probability_blob != NULL && nn->probability_blob[0] != '\0')
      ink_pb_put_string (&body, 200, nn->probability_blob);
  }
  put_sub (w, number, &body);
  if ((updatable || training || nd_layers || nn->exact_array_mapping || nn->rank4_image_mapping) &&
      *spec_version < 4)
    *spec_version = 4;
  if (ink_pb_writer_failed (w))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a neural network");
  return INK_OK;
}

/* ink-nn-json.c: a neural network's body as JSON (in .inkmodel files)
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "ink-nn-private.h"

static const char *const padding_names[] = {"valid", "same", "includeLast"};
static const char *const activation_names[] = {"ReLU", "leakyReLU", "sigmoid", "tanh", "linear"};
static const char *const order_names[] = {"channelFirst", "channelLast"};
static const char *const slot_names[INK_W_SLOTS] = {"w0", "w1", "w2", "w3"};

static cJSON *
pair (size_t a, size_t b)
{
  cJSON *arr = cJSON_CreateArray ();

  cJSON_AddItemToArray (arr, cJSON_CreateNumber ((double) a));
  cJSON_AddItemToArray (arr, cJSON_CreateNumber ((double) b));
  return arr;
}

static cJSON *
padding_to_json (const InkPadding *p)
{
  cJSON *o = cJSON_CreateObject ();

  cJSON_AddStringToObject (o, "type", padding_names[p->type]);
  cJSON_AddItemToObject (o, "amounts", pair (p->top, p->bottom));
  cJSON_AddItemToObject (o, "amountsW", pair (p->left, p->right));
  cJSON_AddBoolToObject (o, "topLeftHeavy", p->same_mode == INK_SAME_TOP_LEFT_HEAVY);
  return o;
}

static cJSON *
strings (char **v, size_t n)
{
  return cJSON_CreateStringArray ((const char *const *) v, (int) n);
}

static cJSON *
params_to_json (const InkLayer *l)
{
  cJSON *o = cJSON_CreateObject ();

  switch (l->kind) {
  case INK_LAYER_CONVOLUTION:
  case INK_LAYER_DECONVOLUTION: {
    const InkConvolutionParams *c = &l->p.convolution;
    cJSON_AddNumberToObject (o, "outChannels", (double) c->out_channels);
    cJSON_AddNumberToObject (o, "kernelChannels", (double) c->kernel_channels);
    cJSON_AddNumberToObject (o, "groups", (double) c->groups);
    cJSON_AddItemToObject (o, "kernel", pair (c->kernel_h, c->kernel_w));
    cJSON_AddItemToObject (o, "stride", pair (c->stride_h, c->stride_w));
    cJSON_AddItemToObject (o, "dilation", pair (c->dilation_h, c->dilation_w));
    cJSON_AddItemToObject (o, "padding", padding_to_json (&c->padding));
    cJSON_AddBoolToObject (o, "hasBias", c->has_bias);
    if (l->kind == INK_LAYER_DECONVOLUTION)
      cJSON_AddItemToObject (o, "outputShape", pair (c->output_h, c->output_w));
    break;
  }
  case INK_LAYER_TRANSPOSE: {
    cJSON *axes = cJSON_AddArrayToObject (o, "axes");
    for (int i = 0; i < 3; i++)
      cJSON_AddItemToArray (axes, cJSON_CreateNumber ((double) l->p.transpose.axes[i]));
    break;
  }
  case INK_LAYER_RESHAPE_STATIC: {
    cJSON *shape = cJSON_AddArrayToObject (o, "shape");
    for (size_t i = 0; i < l->p.reshape_static.rank; i++)
      cJSON_AddItemToArray (shape, cJSON_CreateNumber ((double) l->p.reshape_static.shape[i]));
    break;
  }
  case INK_LAYER_INNER_PRODUCT:
    cJSON_AddNumberToObject (o, "inChannels", (double) l->p.inner_product.in_channels);
    cJSON_AddNumberToObject (o, "outChannels", (double) l->p.inner_product.out_channels);
    cJSON_AddBoolToObject (o, "hasBias", l->p.inner_product.has_bias);
    break;
  case INK_LAYER_POOLING: {
    const InkPoolingParams *p = &l->p.pooling;
    cJSON_AddStringToObject (o, "type", p->type == INK_POOL_MAX ? "max" : "average");
    cJSON_AddItemToObject (o, "kernel", pair (p->kernel_h, p->kernel_w));
    cJSON_AddItemToObject (o, "stride", pair (p->stride_h, p->stride_w));
    cJSON_AddItemToObject (o, "padding", padding_to_json (&p->padding));
    cJSON_AddBoolToObject (o, "excludePadding", p->exclude_padding);
    cJSON_AddBoolToObject (o, "global", p->global);
    break;
  }
  case INK_LAYER_ACTIVATION:
    cJSON_AddStringToObject (o, "type", activation_names[l->p.activation.type]);
    cJSON_AddNumberToObject (o, "alpha", l->p.activation.alpha);
    cJSON_AddNumberToObject (o, "beta", l->p.activation.beta);
    break;
  case INK_LAYER_FLATTEN:
    cJSON_AddStringToObject (o, "order", order_names[l->p.flatten.order]);
    break;
  case INK_LAYER_RESHAPE: {
    cJSON *shape = cJSON_AddArrayToObject (o, "shape");
    for (int i = 0; i < 3; i++)
      cJSON_AddItemToArray (shape, cJSON_CreateNumber ((double) l->p.reshape.shape[i]));
    cJSON_AddStringToObject (o, "order", order_names[l->p.reshape.order]);
    break;
  }
  case INK_LAYER_BATCHNORM:
    cJSON_AddNumberToObject (o, "channels", (double) l->p.batchnorm.channels);
    cJSON_AddNumberToObject (o, "epsilon", l->p.batchnorm.epsilon);
    cJSON_AddBoolToObject (o, "computeMeanVar", l->p.batchnorm.compute_mean_var);
    break;
  case INK_LAYER_ADD: cJSON_AddNumberToObject (o, "alpha", l->p.add.alpha); break;
  case INK_LAYER_SOFTMAX:
  case INK_LAYER_CONCAT: break;
  }
  return o;
}

InkStatus
ink_nn_to_json (const InkModel *m, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkNetwork *nn = m->body.nn;
  cJSON *layers = cJSON_AddArrayToObject (obj, "layers");
  cJSON *scalers = cJSON_AddArrayToObject (obj, "imageScalers");

  for (size_t i = 0; i < nn->n_layers; i++) {
    const InkLayer *l = &nn->layers[i];
    cJSON *o = cJSON_CreateObject (), *weights;
    cJSON_AddItemToArray (layers, o);
    cJSON_AddStringToObject (o, "name", l->name);
    cJSON_AddStringToObject (o, "kind", ink_layer_kind_to_string (l->kind));
    cJSON_AddItemToObject (o, "inputs", strings (l->inputs, l->n_inputs));
    cJSON_AddItemToObject (o, "outputs", strings (l->outputs, l->n_outputs));
    cJSON_AddBoolToObject (o, "updatable", l->updatable);
    cJSON_AddItemToObject (o, "params", params_to_json (l));
    weights = cJSON_AddObjectToObject (o, "weights");
    for (int k = 0; k < INK_W_SLOTS; k++) {
      cJSON *ref;
      if (l->w[k].count == 0)
        continue;
      ref = ink_weight_writer_add (w, l->w[k].data, l->w[k].count);
      if (ref == NULL)
        return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing weights");
      cJSON_AddItemToObject (weights, slot_names[k], ref);
    }
  }
  for (size_t i = 0; i < nn->n_scalers; i++) {
    const InkScaler *s = &nn->scalers[i];
    cJSON *o = cJSON_CreateObject ();
    cJSON_AddItemToArray (scalers, o);
    cJSON_AddStringToObject (o, "featureName", s->feature_name);
    cJSON_AddNumberToObject (o, "channelScale", s->scale);
    cJSON_AddNumberToObject (o, "redBias", s->red_bias);
    cJSON_AddNumberToObject (o, "greenBias", s->green_bias);
    cJSON_AddNumberToObject (o, "blueBias", s->blue_bias);
    cJSON_AddNumberToObject (o, "grayBias", s->gray_bias);
  }
  if (nn->probability_blob != NULL)
    cJSON_AddStringToObject (obj, "probabilityBlob", nn->probability_blob);
  if (nn->has_loss) {
    cJSON *loss = cJSON_AddObjectToObject (obj, "loss");
    cJSON_AddStringToObject (loss, "name", nn->loss_name);
    cJSON_AddStringToObject (loss, "type",
                             nn->loss_type == INK_LOSS_MEAN_SQUARED_ERROR
                               ? "meanSquaredError"
                               : "categoricalCrossEntropy");
    cJSON_AddStringToObject (loss, "input", nn->loss_input);
    cJSON_AddStringToObject (loss, "target", nn->loss_target);
  }
  if (nn->has_optimizer)
    cJSON_AddStringToObject (obj, "optimizer",
                             nn->optimizer == INK_OPTIMIZER_ADAM ? "adam" : "sgd");
  if (nn->exact_array_mapping)
    cJSON_AddBoolToObject (obj, "exactArrayMapping", true);
  if (nn->rank4_image_mapping)
    cJSON_AddBoolToObject (obj, "rank4ImageMapping", true);
  return INK_OK;
}

/* ---- Reading ---- */

static int
name_index (const char *const *names, int n, const char *s)
{
  for (int i = 0; s != NULL && i < n; i++) {
    if (strcmp (names[i], s) == 0)
      return i;
  }
  return -1;
}

static InkStatus
get_size (const cJSON *o, const char *key, size_t *out, InkError *err)
{
  int64_t v;

  if (ink_json_get_int (o, key, 0, (int64_t) 1 << 32, &v, err) != INK_OK)
    return INK_ERR_FORMAT;
  *out = (size_t) v;
  return INK_OK;
}

static InkStatus
get_pair (const cJSON *o, const char *key, size_t *a, size_t *b, InkError *err)
{
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive (o, key);
  const cJSON *x = cJSON_GetArrayItem (arr, 0), *y = cJSON_GetArrayItem (arr, 1);

  if (!cJSON_IsArray (arr) || cJSON_GetArraySize (arr) != 2 || !cJSON_IsNumber (x) ||
      !cJSON_IsNumber (y) || x->valuedouble < 0 || y->valuedouble < 0 || x->valuedouble > 1e9 ||
      y->valuedouble > 1e9)
    return ink_error_set (err, INK_ERR_FORMAT, "'%s' must be a pair of sizes", key);
  *a = (size_t) x->valuedouble;
  *b = (size_t) y->valuedouble;
  return INK_OK;
}

static InkStatus
get_float (const cJSON *o, const char *key, float *out, InkError *err)
{
  double v;

  if (ink_json_get_number (o, key, &v, err) != INK_OK)
    return INK_ERR_FORMAT;
  *out = (float) v;
  return INK_OK;
}

static InkStatus
get_choice (const cJSON *o, const char *key, const char *const *names, int n, int *out,
            InkError *err)
{
  const char *s;

  if (ink_json_get_string (o, key, &s, err) != INK_OK)
    return INK_ERR_FORMAT;
  *out = name_index (names, n, s);
  if (*out < 0)
    return ink_error_set (err, INK_ERR_FORMAT, "unknown %s '%s'", key, s);
  return INK_OK;
}

static InkStatus
padding_from_json (const cJSON *o, InkPadding *p, InkError *err)
{
  int type;
  bool heavy = false;

  if (!cJSON_IsObject (o))
    return ink_error_set (err, INK_ERR_FORMAT, "'padding' must be an object");
  if (get_choice (o, "type", padding_names, 3, &type, err) != INK_OK ||
      get_pair (o, "amounts", &p->top, &p->bottom, err) != INK_OK ||
      get_pair (o, "amountsW", &p->left, &p->right, err) != INK_OK ||
      ink_json_opt_bool (o, "topLeftHeavy", &heavy, err) != INK_OK)
    return INK_ERR_FORMAT;
  p->type = (InkPaddingType) type;
  p->same_mode = heavy ? INK_SAME_TOP_LEFT_HEAVY : INK_SAME_BOTTOM_RIGHT_HEAVY;
  return INK_OK;
}

static InkStatus
params_from_json (InkLayerSpec *spec, const cJSON *o, InkError *err)
{
  int choice;
  bool b = false;

  if (!cJSON_IsObject (o))
    return ink_error_set (err, INK_ERR_FORMAT, "'params' must be an object");
  switch (spec->kind) {
  case INK_LAYER_CONVOLUTION:
  case INK_LAYER_DECONVOLUTION: {
    InkConvolutionParams *c = &spec->params.convolution;
    if (get_size (o, "outChannels", &c->out_channels, err) != INK_OK ||
        get_size (o, "kernelChannels", &c->kernel_channels, err) != INK_OK ||
        get_size (o, "groups", &c->groups, err) != INK_OK ||
        get_pair (o, "kernel", &c->kernel_h, &c->kernel_w, err) != INK_OK ||
        get_pair (o, "stride", &c->stride_h, &c->stride_w, err) != INK_OK ||
        get_pair (o, "dilation", &c->dilation_h, &c->dilation_w, err) != INK_OK ||
        padding_from_json (cJSON_GetObjectItemCaseSensitive (o, "padding"), &c->padding, err) !=
          INK_OK ||
        ink_json_get_bool (o, "hasBias", &c->has_bias, err) != INK_OK)
      return INK_ERR_FORMAT;
    if (spec->kind == INK_LAYER_DECONVOLUTION &&
        get_pair (o, "outputShape", &c->output_h, &c->output_w, err) != INK_OK)
      return INK_ERR_FORMAT;
    return INK_OK;
  }
  case INK_LAYER_TRANSPOSE: {
    const cJSON *axes = cJSON_GetObjectItemCaseSensitive (o, "axes");
    if (!cJSON_IsArray (axes) || cJSON_GetArraySize (axes) != 3)
      return ink_error_set (err, INK_ERR_FORMAT, "a transpose needs 3 axes");
    for (int i = 0; i < 3; i++) {
      const cJSON *a = cJSON_GetArrayItem (axes, i);
      if (!cJSON_IsNumber (a) || a->valuedouble < 0 || a->valuedouble > 2)
        return ink_error_set (err, INK_ERR_FORMAT, "invalid transpose axis");
      spec->params.transpose.axes[i] = (size_t) a->valuedouble;
    }
    return INK_OK;
  }
  case INK_LAYER_RESHAPE_STATIC: {
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive (o, "shape");
    int n = cJSON_GetArraySize (shape);
    if (!cJSON_IsArray (shape) || n < 1 || n > 5)
      return ink_error_set (err, INK_ERR_FORMAT, "a reshapeStatic needs a shape of rank 1 to 5");
    spec->params.reshape_static.rank = (size_t) n;
    for (int i = 0; i < n; i++) {
      const cJSON *d = cJSON_GetArrayItem (shape, i);
      if (!cJSON_IsNumber (d) || d->valuedouble < -1 || d->valuedouble > 1e9 ||
          d->valuedouble != (double) (int64_t) d->valuedouble)
        return ink_error_set (err, INK_ERR_FORMAT, "invalid reshapeStatic dimension");
      spec->params.reshape_static.shape[i] = (int64_t) d->valuedouble;
    }
    return INK_OK;
  }
  case INK_LAYER_INNER_PRODUCT: {
    InkInnerProductParams *ip = &spec->params.inner_product;
    if (get_size (o, "inChannels", &ip->in_channels, err) != INK_OK ||
        get_size (o, "outChannels", &ip->out_channels, err) != INK_OK ||
        ink_json_get_bool (o, "hasBias", &ip->has_bias, err) != INK_OK)
      return INK_ERR_FORMAT;
    return INK_OK;
  }
  case INK_LAYER_POOLING: {
    InkPoolingParams *p = &spec->params.pooling;
    static const char *const types[] = {"max", "average"};
    if (get_choice (o, "type", types, 2, &choice, err) != INK_OK ||
        get_pair (o, "kernel", &p->kernel_h, &p->kernel_w, err) != INK_OK ||
        get_pair (o, "stride", &p->stride_h, &p->stride_w, err) != INK_OK ||
        padding_from_json (cJSON_GetObjectItemCaseSensitive (o, "padding"), &p->padding, err) !=
          INK_OK ||
        ink_json_get_bool (o, "excludePadding", &p->exclude_padding, err) != INK_OK ||
        ink_json_get_bool (o, "global", &p->global, err) != INK_OK)
      return INK_ERR_FORMAT;
    p->type = (InkPoolType) choice;
    return INK_OK;
  }
  case INK_LAYER_ACTIVATION:
    if (get_choice (o, "type", activation_names, 5, &choice, err) != INK_OK ||
        get_float (o, "alpha", &spec->params.activation.alpha, err) != INK_OK ||
        get_float (o, "beta", &spec->params.activation.beta, err) != INK_OK)
      return INK_ERR_FORMAT;
    spec->params.activation.type = (InkActivationType) choice;
    return INK_OK;
  case INK_LAYER_FLATTEN:
    if (get_choice (o, "order", order_names, 2, &choice, err) != INK_OK)
      return INK_ERR_FORMAT;
    spec->params.flatten.order = (InkChannelOrder) choice;
    return INK_OK;
  case INK_LAYER_RESHAPE: {
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive (o, "shape");
    if (!cJSON_IsArray (shape) || cJSON_GetArraySize (shape) != 3)
      return ink_error_set (err, INK_ERR_FORMAT, "a reshape needs a 3-element shape");
    for (int i = 0; i < 3; i++) {
      const cJSON *d = cJSON_GetArrayItem (shape, i);
      if (!cJSON_IsNumber (d) || d->valuedouble < 1 || d->valuedouble > 1e9)
        return ink_error_set (err, INK_ERR_FORMAT, "invalid reshape dimension");
      spec->params.reshape.shape[i] = (int64_t) d->valuedouble;
    }
    if (get_choice (o, "order", order_names, 2, &choice, err) != INK_OK)
      return INK_ERR_FORMAT;
    spec->params.reshape.order = (InkChannelOrder) choice;
    return INK_OK;
  }
  case INK_LAYER_BATCHNORM:
    if (get_size (o, "channels", &spec->params.batchnorm.channels, err) != INK_OK ||
        get_float (o, "epsilon", &spec->params.batchnorm.epsilon, err) != INK_OK ||
        ink_json_get_bool (o, "computeMeanVar", &b, err) != INK_OK)
      return INK_ERR_FORMAT;
    spec->params.batchnorm.compute_mean_var = b;
    return INK_OK;
  case INK_LAYER_ADD: return get_float (o, "alpha", &spec->params.add.alpha, err);
  case INK_LAYER_SOFTMAX:
  case INK_LAYER_CONCAT: return INK_OK;
  }
  return ink_error_set (err, INK_ERR_FORMAT, "unknown layer kind");
}

/* A JSON array of strings as a new vector of borrowed pointers. */
static InkStatus
string_list (const cJSON *arr, const char ***out, size_t *n, const char *what, InkError *err)
{
  const cJSON *item;
  size_t i = 0;

  if (!cJSON_IsArray (arr) || cJSON_GetArraySize (arr) < 1)
    return ink_error_set (err, INK_ERR_FORMAT, "a layer needs a non-empty '%s' array", what);
  *n = (size_t) cJSON_GetArraySize (arr);
  *out = calloc (*n, sizeof **out);
  if (*out == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  cJSON_ArrayForEach (item, arr)
  {
    if (!cJSON_IsString (item))
      return ink_error_set (err, INK_ERR_FORMAT, "'%s' must hold strings", what);
    (*out)[i++] = item->valuestring;
  }
  return INK_OK;
}

static InkStatus
layer_from_json (InkNetwork *nn, const cJSON *o, InkWeightReader *r, InkError *err)
{
  InkLayerSpec spec = {0};
  const char *kind_name;
  const char **inputs = NULL, **outputs = NULL;
  const float *src[INK_W_SLOTS] = {NULL};
  size_t counts[INK_W_SLOTS] = {0};
  const cJSON *weights;
  int kind = -1;
  InkStatus st;

  if (ink_json_get_string (o, "name", &spec.name, err) != INK_OK ||
      ink_json_get_string (o, "kind", &kind_name, err) != INK_OK ||
      ink_json_opt_bool (o, "updatable", &spec.updatable, err) != INK_OK)
    return INK_ERR_FORMAT;
  for (int k = 0; k < INK_N_LAYER_KINDS; k++) {
    if (strcmp (ink_layer_kind_to_string ((InkLayerKind) k), kind_name) == 0)
      kind = k;
  }
  if (kind < 0)
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "layer '%s' has the unknown kind '%s'",
                          spec.name, kind_name);
  spec.kind = (InkLayerKind) kind;
  st = params_from_json (&spec, cJSON_GetObjectItemCaseSensitive (o, "params"), err);
  if (st == INK_OK)
    st = string_list (cJSON_GetObjectItemCaseSensitive (o, "inputs"), &inputs, &spec.n_inputs,
                      "inputs", err);
  if (st == INK_OK)
    st = string_list (cJSON_GetObjectItemCaseSensitive (o, "outputs"), &outputs, &spec.n_outputs,
                      "outputs", err);
  weights = cJSON_GetObjectItemCaseSensitive (o, "weights");
  for (int k = 0; st == INK_OK && k < INK_W_SLOTS; k++) {
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive (weights, slot_names[k]);
    InkWeights w = {0};
    if (ref == NULL)
      continue;
    st = ink_weight_reader_get (r, ref, &w, spec.name, err);
    src[k] = w.data;
    counts[k] = w.count;
  }
  spec.inputs = inputs;
  spec.outputs = outputs;
  if (st == INK_OK && spec.n_outputs != 1)
    st = ink_error_set (err, INK_ERR_FORMAT, "layer '%s' must have exactly one output", spec.name);
  if (st == INK_OK && !INK_GROW (nn->layers, nn->n_layers, nn->cap_layers))
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  if (st == INK_OK)
    st = ink_nn_layer_init (&nn->layers[nn->n_layers], &spec, src, counts, true, err);
  if (st == INK_OK)
    nn->n_layers++;
  free (inputs);
  free (outputs);
  return st;
}

InkStatus
ink_nn_from_json (InkModel *m, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  InkNetwork *nn = calloc (1, sizeof *nn);
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive (obj, "layers");
  const cJSON *scalers = cJSON_GetObjectItemCaseSensitive (obj, "imageScalers");
  const cJSON *loss = cJSON_GetObjectItemCaseSensitive (obj, "loss");
  const cJSON *item;
  const char *s;

  if (nn == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  nn->probs_blob = -1;
  m->body.nn = nn;
  if (!cJSON_IsArray (layers))
    return ink_error_set (err, INK_ERR_FORMAT, "a network needs a 'layers' array");
  cJSON_ArrayForEach (item, layers)
  {
    if (layer_from_json (nn, item, r, err) != INK_OK)
      return err != NULL ? err->status : INK_ERR_FORMAT;
  }
  if (scalers != NULL && !cJSON_IsArray (scalers))
    return ink_error_set (err, INK_ERR_FORMAT, "'imageScalers' must be an array");
  cJSON_ArrayForEach (item, scalers)
  {
    InkImageScaler sc = {0};
    if (ink_json_get_string (item, "featureName", &sc.feature_name, err) != INK_OK ||
        get_float (item, "channelScale", &sc.channel_scale, err) != INK_OK ||
        get_float (item, "redBias", &sc.red_bias, err) != INK_OK ||
        get_float (item, "greenBias", &sc.green_bias, err) != INK_OK ||
        get_float (item, "blueBias", &sc.blue_bias, err) != INK_OK ||
        get_float (item, "grayBias", &sc.gray_bias, err) != INK_OK)
      return INK_ERR_FORMAT;
    if (ink_nn_add_image_scaler (m, &sc, err) != INK_OK)
      return err != NULL ? err->status : INK_ERR_FORMAT;
  }
  s = NULL;
  if (ink_json_opt_string (obj, "probabilityBlob", &s, err) != INK_OK)
    return INK_ERR_FORMAT;
  if (s != NULL && ink_nn_set_probability_blob (m, s) != INK_OK)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  if (loss != NULL) {
    const char *name, *type, *input, *target;
    if (ink_json_get_string (loss, "name", &name, err) != INK_OK ||
        ink_json_get_string (loss, "type", &type, err) != INK_OK ||
        ink_json_get_string (loss, "input", &input, err) != INK_OK ||
        ink_json_get_string (loss, "target", &target, err) != INK_OK)
      return INK_ERR_FORMAT;
    ink_nn_set_loss (m, name,
                     strcmp (type, "meanSquaredError") == 0 ? INK_LOSS_MEAN_SQUARED_ERROR
                                                            : INK_LOSS_CATEGORICAL_CROSS_ENTROPY,
                     input, target);
  }
  s = NULL;
  if (ink_json_opt_string (obj, "optimizer", &s, err) != INK_OK)
    return INK_ERR_FORMAT;
  if (s != NULL)
    ink_nn_set_optimizer (m, strcmp (s, "adam") == 0 ? INK_OPTIMIZER_ADAM : INK_OPTIMIZER_SGD);
  if (ink_json_opt_bool (obj, "exactArrayMapping", &nn->exact_array_mapping, err) != INK_OK ||
      ink_json_opt_bool (obj, "rank4ImageMapping", &nn->rank4_image_mapping, err) != INK_OK)
    return INK_ERR_FORMAT;
  return INK_OK;
}

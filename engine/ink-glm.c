/* ink-glm.c: generalized linear model classifiers and regressors
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-classic-private.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

/* Vectors up to this size live on the stack during predict. */
#define GLM_STACK_VALUES 64
#define LOG_SQRT_2PI 0.91893853320467274178

struct InkGlm {
  double *weights; /* n_rows x n_columns, row-major */
  double *offsets; /* n_rows */
  size_t n_rows, n_columns;
  InkGlmTransform transform;
  InkGlmEncoding encoding; /* classifiers */
};

static const char *const transform_names[] = {"Logit", "Probit", "NoTransform"};
static const char *const encoding_names[] = {"ReferenceClass", "OneVsRest"};

#define N_TRANSFORMS (sizeof transform_names / sizeof transform_names[0])
#define N_ENCODINGS (sizeof encoding_names / sizeof encoding_names[0])

static void
glm_free (InkGlm *g)
{
  if (g == NULL)
    return;
  free (g->weights);
  free (g->offsets);
  free (g);
}

static void
glm_free_body (InkModel *model)
{
  glm_free (model->body.glm);
  model->body.glm = NULL;
}

/* A body holding copies of weights and offsets; NULL when out of memory or
 * when the sizes overflow. */
static InkGlm *
glm_body_new (const double *weights, size_t n_rows, size_t n_columns, const double *offsets)
{
  InkGlm *g;
  size_t n_weights;

  if (!ink_size_mul (n_rows, n_columns, &n_weights) || n_weights > SIZE_MAX / sizeof (double) ||
      (n_weights > 0 && weights == NULL) || (n_rows > 0 && offsets == NULL))
    return NULL;
  g = calloc (1, sizeof *g);
  if (g == NULL)
    return NULL;
  g->weights = malloc ((n_weights > 0 ? n_weights : 1) * sizeof (double));
  g->offsets = malloc ((n_rows > 0 ? n_rows : 1) * sizeof (double));
  if (g->weights == NULL || g->offsets == NULL) {
    glm_free (g);
    return NULL;
  }
  if (n_weights > 0)
    memcpy (g->weights, weights, n_weights * sizeof (double));
  if (n_rows > 0)
    memcpy (g->offsets, offsets, n_rows * sizeof (double));
  g->n_rows = n_rows;
  g->n_columns = n_columns;
  return g;
}

static InkModel *
glm_new (InkModelKind kind, const double *weights, size_t n_rows, size_t n_columns,
         const double *offsets, InkGlmTransform transform, InkGlmEncoding encoding)
{
  InkModel *model;
  InkGlm *g = glm_body_new (weights, n_rows, n_columns, offsets);

  if (g == NULL)
    return NULL;
  model = ink_model_alloc (kind);
  if (model == NULL) {
    glm_free (g);
    return NULL;
  }
  g->transform = transform;
  g->encoding = encoding;
  model->body.glm = g;
  return model;
}

InkModel *
ink_glm_classifier_new (const double *weights, size_t n_rows, size_t n_columns,
                        const double *offsets, InkGlmTransform transform, InkGlmEncoding encoding)
{
  return glm_new (INK_MODEL_GLM_CLASSIFIER, weights, n_rows, n_columns, offsets, transform,
                  encoding);
}

InkModel *
ink_glm_regressor_new (const double *weights, size_t n_rows, size_t n_columns,
                       const double *offsets, InkGlmTransform transform)
{
  return glm_new (INK_MODEL_GLM_REGRESSOR, weights, n_rows, n_columns, offsets, transform,
                  INK_GLM_REFERENCE_CLASS);
}

/* ---- Validation ---- */

static InkStatus
check_classifier (const InkModel *model, const InkGlm *g, InkError *err)
{
  size_t n_classes = model->class_labels.n;
  size_t want;

  if (g->transform != INK_GLM_LOGIT && g->transform != INK_GLM_PROBIT)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "a GLM classifier's transform must be Logit or Probit");
  if ((unsigned) g->encoding >= N_ENCODINGS)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "unknown GLM class encoding %d",
                          (int) g->encoding);
  if (n_classes < 2)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "a GLM classifier needs at least 2 class labels; it has %zu", n_classes);
  if (g->encoding == INK_GLM_REFERENCE_CLASS)
    want = n_classes - 1;
  else
    want = n_classes == 2 ? 1 : n_classes;
  if (g->n_rows != want)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "a %s GLM classifier with %zu classes needs %zu weight rows; it has %zu",
                          encoding_names[g->encoding], n_classes, want, g->n_rows);
  if (g->encoding == INK_GLM_REFERENCE_CLASS && g->transform == INK_GLM_PROBIT && n_classes > 2)
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "Probit with ReferenceClass is only supported for 2 classes, not %zu",
                          n_classes);
  return ink_classifier_check (model, &model->class_labels, err);
}

static InkStatus
glm_finish (InkModel *model, InkError *err)
{
  const InkGlm *g = model->body.glm;
  size_t dim, n_weights;
  bool known;
  InkStatus st;

  if (g == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "GLM has no body");
  if (g->n_rows == 0 || g->n_columns == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "GLM weights are %zu x %zu; rows and columns must not be empty",
                          g->n_rows, g->n_columns);
  if ((unsigned) g->transform >= N_TRANSFORMS)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "unknown GLM transform %d",
                          (int) g->transform);
  n_weights = g->n_rows * g->n_columns; /* checked when the body was made */
  for (size_t i = 0; i < n_weights; i++) {
    if (!isfinite (g->weights[i]))
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "GLM weight %zu (row %zu) is not finite",
                            i % g->n_columns, i / g->n_columns);
  }
  for (size_t i = 0; i < g->n_rows; i++) {
    if (!isfinite (g->offsets[i]))
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "GLM offset %zu is not finite", i);
  }
  st = ink_model_input_dimension (model, &dim, &known, err);
  if (st != INK_OK)
    return st;
  if (known && dim != g->n_columns)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "GLM weights have %zu columns but the inputs give %zu values",
                          g->n_columns, dim);
  if (model->kind == INK_MODEL_GLM_CLASSIFIER)
    return check_classifier (model, g, err);
  return ink_regressor_check (model, g->n_rows, err);
}

/* ---- Prediction ---- */

static double
sigmoid (double z)
{
  if (z >= 0)
    return 1.0 / (1.0 + exp (-z));
  return exp (z) / (1.0 + exp (z));
}

/* The standard normal CDF. */
static double
probit (double z)
{
  return 0.5 * erfc (-z / sqrt (2.0));
}

static double
apply_link (InkGlmTransform t, double z)
{
  switch (t) {
  case INK_GLM_LOGIT: return sigmoid (z);
  case INK_GLM_PROBIT: return probit (z);
  case INK_GLM_NO_TRANSFORM: break;
  }
  return z;
}

/* log f(z), accurate where f(z) itself underflows. */
static double
log_link (InkGlmTransform t, double z)
{
  if (t == INK_GLM_LOGIT)
    return z >= 0 ? -log1p (exp (-z)) : z - log1p (exp (z));
  if (z > -30)
    return log (probit (z));
  /* Mills-ratio expansion of the normal tail. */
  return -0.5 * z * z - log (-z) - LOG_SQRT_2PI + log1p (-1 / (z * z) + 3 / (z * z * z * z));
}

/* probs (n_classes) from the scores z (n_rows). */
static void
class_probabilities (const InkGlm *g, const double *z, double *probs, size_t n_classes)
{
  double max, sum;

  if (g->n_rows == 1) {
    /* Binary under either encoding: the row scores the second class. */
    probs[1] = apply_link (g->transform, z[0]);
    probs[0] = apply_link (g->transform, -z[0]); /* = 1 - p1, without the rounding */
    return;
  }
  if (g->encoding == INK_GLM_ONE_VS_REST) {
    /* p_i = f(z_i) / sum f(z_j), computed from log f so tiny scores do not
     * all round to zero. */
    max = -INFINITY;
    for (size_t i = 0; i < n_classes; i++) {
      probs[i] = log_link (g->transform, z[i]);
      max = probs[i] > max ? probs[i] : max;
    }
  } else {
    /* Softmax over [0, z_1 ... z_k]: class 0 is the reference. */
    probs[0] = 0;
    max = 0;
    for (size_t i = 1; i < n_classes; i++) {
      probs[i] = z[i - 1];
      max = probs[i] > max ? probs[i] : max;
    }
  }
  sum = 0;
  for (size_t i = 0; i < n_classes; i++) {
    probs[i] = exp (probs[i] - max);
    sum += probs[i];
  }
  for (size_t i = 0; i < n_classes; i++)
    probs[i] /= sum;
}

static InkStatus
glm_predict (const InkModel *model, const InkFeatures *inputs, InkFeatures *out, InkError *err)
{
  const InkGlm *g = model->body.glm;
  size_t n_classes = model->class_labels.n;
  size_t n_probs = model->kind == INK_MODEL_GLM_CLASSIFIER ? n_classes : 0;
  double x_stack[GLM_STACK_VALUES], z_stack[GLM_STACK_VALUES], p_stack[GLM_STACK_VALUES];
  double *x = x_stack, *z = z_stack, *p = p_stack;
  InkStatus st;

  /* Sizes were bounded when the body was made. */
  if (g->n_columns > GLM_STACK_VALUES)
    x = malloc (g->n_columns * sizeof *x);
  if (g->n_rows > GLM_STACK_VALUES)
    z = malloc (g->n_rows * sizeof *z);
  if (n_probs > GLM_STACK_VALUES)
    p = n_probs <= SIZE_MAX / sizeof *p ? malloc (n_probs * sizeof *p) : NULL;
  if (x == NULL || z == NULL || p == NULL) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory predicting");
    goto out;
  }
  st = ink_model_gather_inputs (model, inputs, x, g->n_columns, err);
  if (st != INK_OK)
    goto out;
  for (size_t r = 0; r < g->n_rows; r++) {
    const double *w = g->weights + r * g->n_columns;
    double s = g->offsets[r];

    for (size_t c = 0; c < g->n_columns; c++)
      s += w[c] * x[c];
    z[r] = s;
  }
  if (model->kind == INK_MODEL_GLM_CLASSIFIER) {
    class_probabilities (g, z, p, n_classes);
    st = ink_classifier_emit (model, &model->class_labels, p, out, err);
  } else {
    for (size_t r = 0; r < g->n_rows; r++)
      z[r] = apply_link (g->transform, z[r]);
    st = ink_regressor_emit (model, z, g->n_rows, out, err);
  }
out:
  if (x != x_stack)
    free (x);
  if (z != z_stack)
    free (z);
  if (p != p_stack)
    free (p);
  return st;
}

/* ---- Copy and JSON ---- */

static InkStatus
glm_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  const InkGlm *s = src->body.glm;
  InkGlm *g;

  if (s == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "GLM has no body");
  g = glm_body_new (s->weights, s->n_rows, s->n_columns, s->offsets);
  if (g == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying a GLM");
  g->transform = s->transform;
  g->encoding = s->encoding;
  glm_free (dst->body.glm);
  dst->body.glm = g;
  return INK_OK;
}

static InkStatus
glm_to_json (const InkModel *model, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkGlm *g = model->body.glm;
  bool classifier = model->kind == INK_MODEL_GLM_CLASSIFIER;
  cJSON *o, *weights = NULL, *offsets = NULL;

  (void) w; /* weights are stored inline as JSON doubles */
  if (g == NULL || (unsigned) g->transform >= N_TRANSFORMS ||
      (classifier && (unsigned) g->encoding >= N_ENCODINGS))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "GLM is not valid");
  o = cJSON_AddObjectToObject (obj, "glm");
  if (o == NULL || cJSON_AddNumberToObject (o, "rows", (double) g->n_rows) == NULL ||
      cJSON_AddNumberToObject (o, "columns", (double) g->n_columns) == NULL ||
      cJSON_AddStringToObject (o, "postEvaluationTransform", transform_names[g->transform]) ==
        NULL ||
      (classifier &&
       cJSON_AddStringToObject (o, "classEncoding", encoding_names[g->encoding]) == NULL))
    goto no_memory;
  weights = ink_json_doubles (g->weights, g->n_rows * g->n_columns);
  if (weights == NULL || !cJSON_AddItemToObject (o, "weights", weights))
    goto no_memory;
  weights = NULL;
  offsets = ink_json_doubles (g->offsets, g->n_rows);
  if (offsets == NULL || !cJSON_AddItemToObject (o, "offset", offsets))
    goto no_memory;
  return INK_OK;
no_memory:
  cJSON_Delete (weights);
  cJSON_Delete (offsets);
  return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a GLM");
}

static InkStatus
glm_from_json (InkModel *model, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  const cJSON *o = cJSON_GetObjectItemCaseSensitive (obj, "glm");
  bool classifier = model->kind == INK_MODEL_GLM_CLASSIFIER;
  int64_t rows, columns;
  int transform = 0, encoding = INK_GLM_REFERENCE_CLASS;
  double *weights = NULL, *offsets = NULL;
  size_t n_weights = 0, n_offsets = 0;
  InkGlm *g;
  InkStatus st;

  (void) r; /* weights are stored inline as JSON doubles */
  if (!cJSON_IsObject (o))
    return ink_error_set (err, INK_ERR_FORMAT, "missing the \"glm\" object");
  if ((st = ink_json_get_int (o, "rows", 1, INT32_MAX, &rows, err)) != INK_OK ||
      (st = ink_json_get_int (o, "columns", 1, INT32_MAX, &columns, err)) != INK_OK ||
      (st = ink_json_get_choice (o, "postEvaluationTransform", transform_names, N_TRANSFORMS,
                                 &transform, err)) != INK_OK ||
      (classifier && (st = ink_json_get_choice (o, "classEncoding", encoding_names, N_ENCODINGS,
                                                &encoding, err)) != INK_OK) ||
      (st = ink_json_get_doubles (o, "weights", &weights, &n_weights, err)) != INK_OK ||
      (st = ink_json_get_doubles (o, "offset", &offsets, &n_offsets, err)) != INK_OK)
    goto fail;
  /* rows and columns are below 2^31, so their product fits. */
  if (n_weights != (size_t) rows * (size_t) columns || n_offsets != (size_t) rows) {
    st = ink_error_set (err, INK_ERR_FORMAT,
                        "%zu weights and %zu offsets for %" PRId64 " x %" PRId64 " weights",
                        n_weights, n_offsets, rows, columns);
    goto fail;
  }
  g = glm_body_new (weights, (size_t) rows, (size_t) columns, offsets);
  if (g == NULL) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading a GLM");
    goto fail;
  }
  g->transform = (InkGlmTransform) transform;
  g->encoding = (InkGlmEncoding) encoding;
  glm_free (model->body.glm);
  model->body.glm = g;
  free (weights);
  free (offsets);
  return INK_OK;
fail:
  free (weights);
  free (offsets);
  ink_error_prefix (err, "GLM");
  return st;
}

/* ---- Read-back view ---- */

bool
ink_glm_view (const InkModel *model, InkGlmView *view)
{
  const InkGlm *g;

  if (model == NULL || view == NULL ||
      (model->kind != INK_MODEL_GLM_CLASSIFIER && model->kind != INK_MODEL_GLM_REGRESSOR) ||
      model->body.glm == NULL)
    return false;
  g = model->body.glm;
  view->weights = g->weights;
  view->offsets = g->offsets;
  view->n_rows = g->n_rows;
  view->n_columns = g->n_columns;
  view->transform = g->transform;
  view->encoding = g->encoding;
  return true;
}

const InkModelOps ink_glm_ops = {
  .finish = glm_finish,
  .predict = glm_predict,
  .free_body = glm_free_body,
  .copy_body = glm_copy_body,
  .to_json = glm_to_json,
  .from_json = glm_from_json,
};

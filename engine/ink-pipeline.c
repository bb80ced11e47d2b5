/* ink-pipeline.c: pipelines of models run in order (Core ML's Pipeline,
 * PipelineClassifier and PipelineRegressor)
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include "ink-model-private.h"

struct InkPipeline {
  InkModel **models;
  char **names;
  size_t n, cap_models, cap_names;
};

InkModel *
ink_pipeline_new (InkModelKind kind)
{
  InkModel *m;

  if (!ink_model_kind_is_pipeline (kind))
    return NULL;
  m = ink_model_alloc (kind);
  if (m == NULL)
    return NULL;
  m->body.pipeline = calloc (1, sizeof (InkPipeline));
  if (m->body.pipeline == NULL) {
    ink_model_free (m);
    return NULL;
  }
  return m;
}

static InkPipeline *
pipeline_of (const InkModel *m)
{
  return m != NULL && ink_model_kind_is_pipeline (m->kind) ? m->body.pipeline : NULL;
}

InkStatus
ink_pipeline_add_model (InkModel *m, const char *name, InkModel *stage, InkError *err)
{
  InkPipeline *p = pipeline_of (m);
  char generated[32];
  char *copy;

  if (p == NULL || m->finished || stage == NULL) {
    ink_model_free (stage);
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "stages go into an unfinished pipeline");
  }
  if (name == NULL) {
    snprintf (generated, sizeof generated, "model%zu", p->n);
    name = generated;
  }
  for (size_t i = 0; i < p->n; i++) {
    if (strcmp (p->names[i], name) == 0) {
      ink_model_free (stage);
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "duplicate pipeline stage name '%s'", name);
    }
  }
  copy = ink_strdup (name);
  if (copy == NULL || !INK_GROW (p->models, p->n, p->cap_models) ||
      !INK_GROW (p->names, p->n, p->cap_names)) {
    free (copy);
    ink_model_free (stage);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  p->models[p->n] = stage;
  p->names[p->n] = copy;
  p->n++;
  return INK_OK;
}

size_t
ink_pipeline_n_models (const InkModel *m)
{
  const InkPipeline *p = pipeline_of (m);

  return p != NULL ? p->n : 0;
}

InkModel *
ink_pipeline_get_model (InkModel *m, size_t i)
{
  InkPipeline *p = pipeline_of (m);

  return p != NULL && i < p->n ? p->models[i] : NULL;
}

const char *
ink_pipeline_get_name (const InkModel *m, size_t i)
{
  const InkPipeline *p = pipeline_of (m);

  return p != NULL && i < p->n ? p->names[i] : NULL;
}

/* Whether name is a pipeline input or an output of a stage before stage. */
static bool
available (const InkModel *m, size_t stage, const char *name)
{
  const InkPipeline *p = m->body.pipeline;

  if (ink_description_find_input (&m->desc, name) != NULL)
    return true;
  for (size_t i = 0; i < stage; i++) {
    if (ink_description_find_output (&p->models[i]->desc, name) != NULL)
      return true;
  }
  return false;
}

static InkStatus
pipeline_finish (InkModel *m, InkError *err)
{
  InkPipeline *p = m->body.pipeline;

  if (p->n == 0)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "the pipeline has no models");
  for (size_t i = 0; i < p->n; i++) {
    InkModel *stage = p->models[i];
    if (ink_model_finish (stage, err) != INK_OK)
      return ink_error_prefix (err, "pipeline stage '%s'", p->names[i]);
    for (size_t k = 0; k < stage->desc.n_inputs; k++) {
      const InkFeatureDescription *in = &stage->desc.inputs[k];
      if (!in->type.optional && !available (m, i, in->name))
        return ink_error_set (err, INK_ERR_INVALID_MODEL,
                              "pipeline stage '%s' needs '%s', which neither the pipeline's "
                              "inputs nor an earlier stage provides",
                              p->names[i], in->name);
    }
    if (stage->spec_version > m->spec_version)
      m->spec_version = stage->spec_version;
  }
  /* An updatable pipeline is trained through its last stage, whose
   * parameters it presents as its own unless it declares some. */
  if (m->desc.updatable && m->desc.n_params == 0) {
    const InkModelDescription *last = &p->models[p->n - 1]->desc;
    for (size_t k = 0; k < last->n_params; k++) {
      if (ink_description_set_update_parameter (&m->desc, &last->params[k], err) != INK_OK)
        return err != NULL ? err->status : INK_ERR_INVALID_MODEL;
    }
  }
  for (size_t k = 0; k < m->desc.n_outputs; k++) {
    if (!available (m, p->n, m->desc.outputs[k].name))
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "no stage of the pipeline produces its output '%s'",
                            m->desc.outputs[k].name);
  }
  return INK_OK;
}

static InkStatus
pipeline_predict (const InkModel *m, const InkFeatures *inputs, InkFeatures *out, InkError *err)
{
  const InkPipeline *p = m->body.pipeline;
  InkFeatures *work = ink_features_copy (inputs);
  InkStatus st = INK_OK;

  if (work == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; st == INK_OK && i < p->n; i++) {
    InkFeatures *produced = NULL;
    st = ink_model_predict (p->models[i], work, &produced, err);
    if (st != INK_OK) {
      ink_error_prefix (err, "pipeline stage '%s'", p->names[i]);
      break;
    }
    while (st == INK_OK && ink_features_count (produced) > 0) {
      char *name = ink_strdup (ink_features_name_at (produced, 0));
      InkValue *v = name != NULL ? ink_features_take (produced, name) : NULL;
      st = v != NULL ? ink_features_set (work, name, v) : INK_ERR_NO_MEMORY;
      free (name);
    }
    ink_features_free (produced);
    if (st != INK_OK)
      ink_error_set (err, st, "out of memory");
  }
  for (size_t k = 0; st == INK_OK && k < m->desc.n_outputs; k++) {
    const char *name = m->desc.outputs[k].name;
    InkValue *v = ink_features_take (work, name);
    if (v != NULL)
      st = ink_features_set (out, name, v);
  }
  ink_features_free (work);
  return st;
}

static void
pipeline_free_body (InkModel *m)
{
  InkPipeline *p = m->body.pipeline;

  for (size_t i = 0; i < p->n; i++)
    ink_model_free (p->models[i]);
  free (p->models);
  ink_strv_free (p->names, p->n);
  free (p);
  m->body.pipeline = NULL;
}

static InkStatus
pipeline_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  const InkPipeline *s = src->body.pipeline;

  dst->body.pipeline = calloc (1, sizeof (InkPipeline));
  if (dst->body.pipeline == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; i < s->n; i++) {
    InkModel *stage = ink_model_copy (s->models[i], err);
    if (stage == NULL || ink_pipeline_add_model (dst, s->names[i], stage, err) != INK_OK)
      return err != NULL && err->status != INK_OK ? err->status : INK_ERR_NO_MEMORY;
  }
  return INK_OK;
}

static InkStatus
pipeline_to_json (const InkModel *m, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkPipeline *p = m->body.pipeline;
  cJSON *stages = cJSON_AddArrayToObject (obj, "models");

  for (size_t i = 0; i < p->n; i++) {
    cJSON *entry = cJSON_CreateObject ();
    cJSON *child = ink_model_to_json (p->models[i], w, err);
    cJSON_AddItemToArray (stages, entry);
    if (child == NULL)
      return err != NULL && err->status != INK_OK ? err->status : INK_ERR_NO_MEMORY;
    cJSON_AddStringToObject (entry, "name", p->names[i]);
    cJSON_AddItemToObject (entry, "model", child);
  }
  return INK_OK;
}

static InkStatus
pipeline_from_json (InkModel *m, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  const cJSON *stages = cJSON_GetObjectItemCaseSensitive (obj, "models");
  const cJSON *entry;

  m->body.pipeline = calloc (1, sizeof (InkPipeline));
  if (m->body.pipeline == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  if (!cJSON_IsArray (stages))
    return ink_error_set (err, INK_ERR_FORMAT, "a pipeline needs a 'models' array");
  cJSON_ArrayForEach (entry, stages)
  {
    const char *name;
    InkModel *stage;
    if (ink_json_get_string (entry, "name", &name, err) != INK_OK)
      return INK_ERR_FORMAT;
    stage = ink_model_from_json (cJSON_GetObjectItemCaseSensitive (entry, "model"), r, err);
    if (stage == NULL)
      return ink_error_prefix (err, "pipeline stage '%s'", name);
    if (ink_pipeline_add_model (m, name, stage, err) != INK_OK)
      return INK_ERR_FORMAT;
  }
  return INK_OK;
}

const InkModelOps ink_pipeline_ops = {
  .finish = pipeline_finish,
  .predict = pipeline_predict,
  .free_body = pipeline_free_body,
  .copy_body = pipeline_copy_body,
  .to_json = pipeline_to_json,
  .from_json = pipeline_from_json,
};

/* ink-coreml-write.c: exporting models as Core ML .mlmodel files: the Model
 * message, descriptions and pipelines
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ink-coreml-private.h"

/* ---- Shared writers ---- */

void
ink_coreml_write_labels (InkPbWriter *w, uint32_t string_number, uint32_t int64_number,
                         const InkLabels *labels)
{
  InkPbWriter sub;

  ink_pb_writer_init (&sub);
  if (labels->is_int64) {
    ink_pb_put_packed_int64s (&sub, 1, labels->ints, labels->n);
    ink_pb_put_message (w, int64_number, &sub);
  } else {
    for (size_t i = 0; i < labels->n; i++)
      ink_pb_put_string (&sub, 1, labels->strings[i]);
    ink_pb_put_message (w, string_number, &sub);
  }
  if (ink_pb_writer_failed (&sub))
    w->failed = true;
  ink_pb_writer_clear (&sub);
}

void
ink_coreml_write_parameter (InkPbWriter *w, uint32_t number, const InkUpdateParameter *p)
{
  InkPbWriter sub, allowed;

  ink_pb_writer_init (&sub);
  ink_pb_writer_init (&allowed);
  switch (p->type) {
  case INK_PARAM_DOUBLE:
    if (p->default_value != 0.0)
      ink_pb_put_double (&sub, 1, p->default_value);
    if (p->has_range) {
      ink_pb_put_double (&allowed, 1, p->min);
      ink_pb_put_double (&allowed, 2, p->max);
      ink_pb_put_message (&sub, 10, &allowed);
    }
    break;
  case INK_PARAM_INT64:
    if (p->default_value != 0.0)
      ink_pb_put_int64 (&sub, 1, (int64_t) p->default_value);
    if (p->n_set > 0) {
      ink_pb_put_packed_int64s (&allowed, 1, p->set, p->n_set);
      ink_pb_put_message (&sub, 11, &allowed);
    } else if (p->has_range) {
      ink_pb_put_int64 (&allowed, 1, (int64_t) p->min);
      ink_pb_put_int64 (&allowed, 2, (int64_t) p->max);
      ink_pb_put_message (&sub, 10, &allowed);
    }
    break;
  case INK_PARAM_BOOL:
    if (p->default_value != 0.0)
      ink_pb_put_bool (&sub, 1, true);
    break;
  }
  ink_pb_put_message (w, number, &sub);
  if (ink_pb_writer_failed (&sub) || ink_pb_writer_failed (&allowed))
    w->failed = true;
  ink_pb_writer_clear (&sub);
  ink_pb_writer_clear (&allowed);
}

/* ---- Descriptions ---- */

static void
put_empty (InkPbWriter *w, uint32_t number)
{
  InkPbWriter empty;

  ink_pb_writer_init (&empty);
  ink_pb_put_message (w, number, &empty);
  ink_pb_writer_clear (&empty);
}

static void
put_size_range (InkPbWriter *w, uint32_t number, int64_t lo, int64_t hi)
{
  InkPbWriter r;

  ink_pb_writer_init (&r);
  if (lo != 0)
    ink_pb_put_int64 (&r, 1, lo);
  if (hi != 0)
    ink_pb_put_int64 (&r, 2, hi);
  ink_pb_put_message (w, number, &r);
  if (ink_pb_writer_failed (&r))
    w->failed = true;
  ink_pb_writer_clear (&r);
}

static void
write_image_type (InkPbWriter *w, const InkImageConstraint *c)
{
  static const int color_space[] = {
    [INK_PIXEL_GRAY8] = 10, [INK_PIXEL_RGBA8] = 20, [INK_PIXEL_BGRA8] = 30};
  InkPbWriter img, flex, size;

  ink_pb_writer_init (&img);
  ink_pb_writer_init (&flex);
  ink_pb_put_int64 (&img, 1, c->width);
  ink_pb_put_int64 (&img, 2, c->height);
  ink_pb_put_varint (&img, 3, (uint64_t) color_space[c->format]);
  if (c->n_sizes > 0) {
    for (size_t i = 0; i < c->n_sizes; i++) {
      ink_pb_writer_init (&size);
      ink_pb_put_int64 (&size, 1, c->sizes[i].width);
      ink_pb_put_int64 (&size, 2, c->sizes[i].height);
      ink_pb_put_message (&flex, 1, &size);
      ink_pb_writer_clear (&size);
    }
    ink_pb_put_message (&img, 21, &flex);
  } else if (c->has_range) {
    put_size_range (&flex, 1, c->min_width, c->max_width);
    put_size_range (&flex, 2, c->min_height, c->max_height);
    ink_pb_put_message (&img, 31, &flex);
  }
  ink_pb_put_message (w, 4, &img);
  if (ink_pb_writer_failed (&img) || ink_pb_writer_failed (&flex))
    w->failed = true;
  ink_pb_writer_clear (&img);
  ink_pb_writer_clear (&flex);
}

static void
write_feature_type (InkPbWriter *w, const InkFeatureType *t)
{
  static const uint64_t data_type[] = {
    [INK_ARRAY_FLOAT32] = 65568, [INK_ARRAY_FLOAT64] = 65600, [INK_ARRAY_INT32] = 131104};
  InkPbWriter sub;

  ink_pb_writer_init (&sub);
  switch (t->type) {
  case INK_VALUE_INT64: put_empty (w, 1); break;
  case INK_VALUE_DOUBLE: put_empty (w, 2); break;
  case INK_VALUE_STRING: put_empty (w, 3); break;
  case INK_VALUE_IMAGE: write_image_type (w, &t->image); break;
  case INK_VALUE_MULTIARRAY:
    ink_pb_put_packed_int64s (&sub, 1, t->shape, t->rank);
    ink_pb_put_varint (&sub, 2, data_type[t->array_type]);
    ink_pb_put_message (w, 5, &sub);
    break;
  case INK_VALUE_DICTIONARY:
    put_empty (&sub, t->key_type == INK_KEY_STRING ? 2 : 1);
    ink_pb_put_message (w, 6, &sub);
    break;
  case INK_VALUE_SEQUENCE:
    put_empty (&sub, t->element_type == INK_VALUE_STRING ? 3 : 1);
    ink_pb_put_message (w, 7, &sub);
    break;
  case INK_VALUE_INVALID: break;
  }
  if (t->optional)
    ink_pb_put_bool (w, 1000, true);
  if (ink_pb_writer_failed (&sub))
    w->failed = true;
  ink_pb_writer_clear (&sub);
}

static void
write_feature (InkPbWriter *w, uint32_t number, const InkFeatureDescription *fd)
{
  InkPbWriter f, type;

  ink_pb_writer_init (&f);
  ink_pb_writer_init (&type);
  ink_pb_put_string (&f, 1, fd->name);
  if (fd->short_description[0] != '\0')
    ink_pb_put_string (&f, 2, fd->short_description);
  write_feature_type (&type, &fd->type);
  ink_pb_put_message (&f, 3, &type);
  ink_pb_put_message (w, number, &f);
  if (ink_pb_writer_failed (&f) || ink_pb_writer_failed (&type))
    w->failed = true;
  ink_pb_writer_clear (&f);
  ink_pb_writer_clear (&type);
}

static void
put_nonempty (InkPbWriter *w, uint32_t number, const char *s)
{
  if (s != NULL && s[0] != '\0')
    ink_pb_put_string (w, number, s);
}

static void
write_metadata (InkPbWriter *w, const InkModelDescription *d)
{
  InkMetadata md = ink_description_metadata (d);
  InkPbWriter m, entry;

  ink_pb_writer_init (&m);
  put_nonempty (&m, 1, md.short_description);
  put_nonempty (&m, 2, md.version);
  put_nonempty (&m, 3, md.author);
  put_nonempty (&m, 4, md.license);
  for (size_t i = 0; i < ink_description_n_user_metadata (d); i++) {
    ink_pb_writer_init (&entry);
    ink_pb_put_string (&entry, 1, ink_description_user_metadata_key (d, i));
    ink_pb_put_string (&entry, 2, ink_description_user_metadata_value (d, i));
    ink_pb_put_message (&m, 100, &entry);
    ink_pb_writer_clear (&entry);
  }
  if (m.len > 0)
    ink_pb_put_message (w, 100, &m);
  if (ink_pb_writer_failed (&m))
    w->failed = true;
  ink_pb_writer_clear (&m);
}

static bool
has_flexible_images (const InkModelDescription *d)
{
  for (size_t i = 0; i < ink_description_n_inputs (d); i++) {
    const InkImageConstraint *c = &ink_description_input (d, i)->type.image;
    if (ink_description_input (d, i)->type.type == INK_VALUE_IMAGE &&
        (c->n_sizes > 0 || c->has_range))
      return true;
  }
  return false;
}

static void
write_description (InkPbWriter *w, const InkModelDescription *d)
{
  InkPbWriter desc;

  ink_pb_writer_init (&desc);
  for (size_t i = 0; i < ink_description_n_inputs (d); i++)
    write_feature (&desc, 1, ink_description_input (d, i));
  for (size_t i = 0; i < ink_description_n_outputs (d); i++)
    write_feature (&desc, 10, ink_description_output (d, i));
  put_nonempty (&desc, 11, ink_description_predicted_feature_name (d));
  put_nonempty (&desc, 12, ink_description_predicted_probabilities_name (d));
  for (size_t i = 0; i < ink_description_n_training_inputs (d); i++)
    write_feature (&desc, 50, ink_description_training_input (d, i));
  write_metadata (&desc, d);
  ink_pb_put_message (w, 2, &desc);
  if (ink_pb_writer_failed (&desc))
    w->failed = true;
  ink_pb_writer_clear (&desc);
}

/* ---- Pipelines and the Model message ---- */

static InkStatus
write_pipeline (const InkModel *m, InkPbWriter *w, int *spec_version, InkError *err)
{
  InkPbWriter pipe, wrapper;
  InkStatus st = INK_OK;
  size_t n = ink_pipeline_n_models (m);

  ink_pb_writer_init (&pipe);
  ink_pb_writer_init (&wrapper);
  for (size_t i = 0; st == INK_OK && i < n; i++) {
    InkPbWriter stage;
    int stage_spec = 1;
    ink_pb_writer_init (&stage);
    st =
      ink_coreml_write_model (ink_pipeline_get_model ((InkModel *) m, i), &stage, &stage_spec, err);
    ink_pb_put_message (&pipe, 1, &stage);
    ink_pb_writer_clear (&stage);
    if (stage_spec > *spec_version)
      *spec_version = stage_spec;
  }
  for (size_t i = 0; st == INK_OK && i < n; i++)
    ink_pb_put_string (&pipe, 2, ink_pipeline_get_name (m, i));
  if (st == INK_OK) {
    if (m->kind == INK_MODEL_PIPELINE) {
      ink_pb_put_message (w, INK_ML_PIPELINE, &pipe);
    } else {
      ink_pb_put_message (&wrapper, 1, &pipe);
      ink_pb_put_message (w,
                          m->kind == INK_MODEL_PIPELINE_CLASSIFIER ? INK_ML_PIPELINE_CLASSIFIER
                                                                   : INK_ML_PIPELINE_REGRESSOR,
                          &wrapper);
    }
  }
  if (ink_pb_writer_failed (&pipe) || ink_pb_writer_failed (&wrapper))
    w->failed = true;
  ink_pb_writer_clear (&pipe);
  ink_pb_writer_clear (&wrapper);
  return st;
}

static InkStatus
write_body (const InkModel *m, InkPbWriter *w, int *spec_version, InkError *err)
{
  switch (m->kind) {
  case INK_MODEL_NEURAL_NETWORK:
  case INK_MODEL_NEURAL_NETWORK_CLASSIFIER:
  case INK_MODEL_NEURAL_NETWORK_REGRESSOR:
    return ink_coreml_write_network (m, w, spec_version, err);
  case INK_MODEL_TREE_ENSEMBLE_CLASSIFIER:
  case INK_MODEL_TREE_ENSEMBLE_REGRESSOR:
    return ink_coreml_write_tree_ensemble (m, w, spec_version, err);
  case INK_MODEL_GLM_CLASSIFIER:
  case INK_MODEL_GLM_REGRESSOR: return ink_coreml_write_glm (m, w, spec_version, err);
  case INK_MODEL_KNN_CLASSIFIER: return ink_coreml_write_knn (m, w, spec_version, err);
  case INK_MODEL_PIPELINE:
  case INK_MODEL_PIPELINE_CLASSIFIER:
  case INK_MODEL_PIPELINE_REGRESSOR: return write_pipeline (m, w, spec_version, err);
  default: return ink_coreml_write_feature_model (m, w, spec_version, err);
  }
}

static void
append_raw (InkPbWriter *w, const uint8_t *data, size_t size)
{
  uint8_t *p;

  if (w->failed || size == 0)
    return;
  if (w->len + size > w->cap) {
    p = realloc (w->buf, w->len + size);
    if (p == NULL) {
      w->failed = true;
      return;
    }
    w->buf = p;
    w->cap = w->len + size;
  }
  memcpy (w->buf + w->len, data, size);
  w->len += size;
}

InkStatus
ink_coreml_write_model (const InkModel *m, InkPbWriter *w, int *spec_version, InkError *err)
{
  const InkModelDescription *d = ink_model_get_description (m);
  InkPbWriter body;
  int spec = 1;
  InkStatus st;

  ink_pb_writer_init (&body);
  st = write_body (m, &body, &spec, err);
  if (st != INK_OK) {
    ink_pb_writer_clear (&body);
    return st;
  }
  /* The lowest version with everything used: flexible image sizes came
   * with version 3, updatable models with 4. */
  if (has_flexible_images (d) && spec < 3)
    spec = 3;
  if (ink_description_is_updatable (d) && spec < 4)
    spec = 4;
  ink_pb_put_varint (w, 1, (uint64_t) spec);
  write_description (w, d);
  if (ink_description_is_updatable (d))
    ink_pb_put_bool (w, 10, true);
  /* The body writer already wrote the Type field with its key. */
  append_raw (w, body.buf, body.len);
  if (ink_pb_writer_failed (&body))
    w->failed = true;
  ink_pb_writer_clear (&body);
  if (spec > *spec_version)
    *spec_version = spec;
  if (ink_pb_writer_failed (w))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a Core ML model");
  return INK_OK;
}

InkStatus
ink_coreml_export_memory (const InkModel *m, uint8_t **data, size_t *size, InkError *err)
{
  InkPbWriter w;
  int spec = 1;
  InkStatus st;

  if (m == NULL || data == NULL || size == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "export needs a model and an output");
  ink_pb_writer_init (&w);
  st = ink_coreml_write_model (m, &w, &spec, err);
  if (st != INK_OK) {
    ink_pb_writer_clear (&w);
    return st;
  }
  *data = w.buf;
  *size = w.len;
  return INK_OK;
}

InkStatus
ink_coreml_export (const InkModel *m, const char *path, InkError *err)
{
  uint8_t *data = NULL;
  size_t size = 0;
  InkStatus st;

  if (path == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no output path");
  st = ink_coreml_export_memory (m, &data, &size, err);
  if (st == INK_OK) {
    const void *chunks[1] = {data};
    st = ink_atomic_write (path, chunks, &size, 1, err);
  }
  free (data);
  return st;
}

/* ink-description.c: feature types and the model description
 *
 * SPDX-License-Identifier: MIT
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ink-model-private.h"

InkFeatureType
ink_feature_type_int64 (void)
{
  return (InkFeatureType){.type = INK_VALUE_INT64};
}

InkFeatureType
ink_feature_type_double (void)
{
  return (InkFeatureType){.type = INK_VALUE_DOUBLE};
}

InkFeatureType
ink_feature_type_string (void)
{
  return (InkFeatureType){.type = INK_VALUE_STRING};
}

InkFeatureType
ink_feature_type_multiarray (InkArrayType type, size_t rank, const int64_t *shape)
{
  InkFeatureType t = {.type = INK_VALUE_MULTIARRAY, .array_type = type};

  if (rank > INK_MAX_RANK)
    rank = INK_MAX_RANK;
  t.rank = shape != NULL ? rank : 0;
  for (size_t i = 0; i < t.rank; i++)
    t.shape[i] = shape[i];
  return t;
}

InkFeatureType
ink_feature_type_image (InkPixelFormat format, int64_t width, int64_t height)
{
  InkFeatureType t = {.type = INK_VALUE_IMAGE};

  t.image.format = format;
  t.image.width = width;
  t.image.height = height;
  return t;
}

InkFeatureType
ink_feature_type_dictionary (InkKeyType key_type)
{
  return (InkFeatureType){.type = INK_VALUE_DICTIONARY, .key_type = key_type};
}

InkFeatureType
ink_feature_type_sequence (InkValueType element_type)
{
  return (InkFeatureType){.type = INK_VALUE_SEQUENCE, .element_type = element_type};
}

/* Equal shapes, ignoring leading unit dimensions (batch, sequence). */
static bool
same_shape (const int64_t *a, size_t ra, const int64_t *b, size_t rb)
{
  while (ra > 1 && a[0] == 1)
    a++, ra--;
  while (rb > 1 && b[0] == 1)
    b++, rb--;
  if (ra != rb)
    return false;
  for (size_t i = 0; i < ra; i++) {
    if (a[i] != b[i])
      return false;
  }
  return true;
}

static void
describe_shape (const int64_t *shape, size_t rank, char *buf, size_t size)
{
  size_t used = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < rank && used < size; i++)
    used += (size_t) snprintf (buf + used, size - used, "%s%" PRId64, i > 0 ? "x" : "", shape[i]);
}

InkStatus
ink_feature_type_check (const InkFeatureType *t, const char *name, const InkValue *v, InkError *err)
{
  InkValueType vt = ink_value_get_type (v);

  if (vt == INK_VALUE_INVALID)
    return ink_error_set (err, INK_ERR_MISSING_INPUT, "feature '%s' has no value", name);
  switch (t->type) {
  case INK_VALUE_INT64:
  case INK_VALUE_DOUBLE:
    /* Core ML converts between the two numeric scalar types. */
    if (vt == INK_VALUE_INT64 || vt == INK_VALUE_DOUBLE)
      return INK_OK;
    break;
  case INK_VALUE_MULTIARRAY:
    if (vt == INK_VALUE_MULTIARRAY) {
      char a[128], b[128];
      if (t->rank == 0 ||
          same_shape (t->shape, t->rank, ink_value_array_shape (v), ink_value_array_rank (v)))
        return INK_OK;
      describe_shape (t->shape, t->rank, a, sizeof a);
      describe_shape (ink_value_array_shape (v), ink_value_array_rank (v), b, sizeof b);
      return ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                            "feature '%s' must be a multi-array of shape %s, got shape %s", name, a,
                            b);
    }
    break;
  case INK_VALUE_DICTIONARY:
    if (vt == INK_VALUE_DICTIONARY) {
      if (ink_value_dictionary_key_type (v) == t->key_type)
        return INK_OK;
      return ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                            "feature '%s' must be a dictionary with %s keys", name,
                            t->key_type == INK_KEY_STRING ? "string" : "int64");
    }
    break;
  case INK_VALUE_SEQUENCE:
    if (vt == INK_VALUE_SEQUENCE && ink_value_sequence_element_type (v) == t->element_type)
      return INK_OK;
    break;
  case INK_VALUE_STRING:
  case INK_VALUE_IMAGE:
    /* Images of any size or format are converted to the constraint. */
    if (vt == t->type)
      return INK_OK;
    break;
  case INK_VALUE_INVALID: break;
  }
  return ink_error_set (err, INK_ERR_TYPE_MISMATCH, "feature '%s' must be %s, got %s", name,
                        ink_value_type_to_string (t->type), ink_value_type_to_string (vt));
}

void
ink_feature_type_describe (const InkFeatureType *t, char *buf, size_t size)
{
  char shape[128];

  switch (t->type) {
  case INK_VALUE_MULTIARRAY:
    describe_shape (t->shape, t->rank, shape, sizeof shape);
    snprintf (buf, size, "MultiArray (%s%s%s)", ink_array_type_to_string (t->array_type),
              t->rank > 0 ? " " : "", shape);
    break;
  case INK_VALUE_IMAGE:
    snprintf (buf, size, "Image (%s %" PRId64 "x%" PRId64 "%s)",
              ink_pixel_format_to_string (t->image.format), t->image.width, t->image.height,
              t->image.n_sizes > 0 || t->image.has_range ? ", flexible" : "");
    break;
  case INK_VALUE_DICTIONARY:
    snprintf (buf, size, "Dictionary (%s to Double)",
              t->key_type == INK_KEY_STRING ? "String" : "Int64");
    break;
  case INK_VALUE_SEQUENCE:
    snprintf (buf, size, "Sequence (%s)", ink_value_type_to_string (t->element_type));
    break;
  default: snprintf (buf, size, "%s", ink_value_type_to_string (t->type)); break;
  }
  if (t->optional) {
    size_t n = strlen (buf);
    snprintf (buf + n, size > n ? size - n : 0, ", optional");
  }
}

InkStatus
ink_update_parameter_check (const InkUpdateParameter *p, double value, InkError *err)
{
  if (p->type == INK_PARAM_INT64 && value != floor (value))
    return ink_error_set (err, INK_ERR_PARAMETER, "parameter %s must be an integer, got %g", p->key,
                          value);
  if (p->type == INK_PARAM_BOOL && value != 0.0 && value != 1.0)
    return ink_error_set (err, INK_ERR_PARAMETER, "parameter %s must be true or false", p->key);
  if (p->has_range && !(value >= p->min && value <= p->max))
    return ink_error_set (err, INK_ERR_PARAMETER,
                          "parameter %s = %g is outside its allowed range [%g, %g]", p->key, value,
                          p->min, p->max);
  if (p->n_set > 0) {
    char allowed[256];
    size_t used = 0;
    for (size_t i = 0; i < p->n_set; i++) {
      if ((double) p->set[i] == value)
        return INK_OK;
    }
    allowed[0] = '\0';
    for (size_t i = 0; i < p->n_set && used < sizeof allowed; i++)
      used += (size_t) snprintf (allowed + used, sizeof allowed - used, "%s%" PRId64,
                                 i > 0 ? ", " : "", p->set[i]);
    return ink_error_set (err, INK_ERR_PARAMETER,
                          "parameter %s = %g is not one of its allowed values {%s}", p->key, value,
                          allowed);
  }
  return INK_OK;
}

/* ---- Owned storage ---- */

bool
ink_feature_description_init (InkFeatureDescription *dst, const char *name,
                              const InkFeatureType *type, const char *short_description)
{
  InkImageSize *sizes = NULL;

  memset (dst, 0, sizeof *dst);
  dst->type = *type;
  if (type->type == INK_VALUE_IMAGE && type->image.n_sizes > 0) {
    sizes = malloc (type->image.n_sizes * sizeof *sizes);
    if (sizes == NULL)
      return false;
    memcpy (sizes, type->image.sizes, type->image.n_sizes * sizeof *sizes);
  } else {
    dst->type.image.n_sizes = 0;
  }
  dst->type.image.sizes = sizes;
  dst->name = ink_strdup (name != NULL ? name : "");
  dst->short_description = ink_strdup (short_description != NULL ? short_description : "");
  if (dst->name == NULL || dst->short_description == NULL) {
    ink_feature_description_clear (dst);
    return false;
  }
  return true;
}

void
ink_feature_description_clear (InkFeatureDescription *fd)
{
  free ((char *) fd->name);
  free ((char *) fd->short_description);
  free ((InkImageSize *) fd->type.image.sizes);
  memset (fd, 0, sizeof *fd);
}

static void
clear_features (InkFeatureDescription *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    ink_feature_description_clear (&a[i]);
  free (a);
}

static void
clear_param (InkUpdateParameter *p)
{
  free ((char *) p->key);
  free ((int64_t *) p->set);
}

void
ink_description_clear (InkModelDescription *d)
{
  clear_features (d->inputs, d->n_inputs);
  clear_features (d->outputs, d->n_outputs);
  clear_features (d->training_inputs, d->n_training_inputs);
  free (d->predicted_feature_name);
  free (d->probabilities_name);
  free (d->short_description);
  free (d->version);
  free (d->author);
  free (d->license);
  ink_strv_free (d->user_keys, d->n_user);
  ink_strv_free (d->user_values, d->n_user);
  for (size_t i = 0; i < d->n_params; i++)
    clear_param (&d->params[i]);
  free (d->params);
  memset (d, 0, sizeof *d);
}

/* Appends a copy of a feature description to one of the three lists. */
static bool
append_feature (InkFeatureDescription **list, size_t *n, size_t *cap, const char *name,
                const InkFeatureType *type, const char *short_description)
{
  if (!ink_grow ((void **) list, sizeof **list, *n, cap))
    return false;
  if (!ink_feature_description_init (&(*list)[*n], name, type, short_description))
    return false;
  (*n)++;
  return true;
}

static bool
set_string (char **slot, const char *value)
{
  char *c = ink_strdup (value != NULL ? value : "");

  if (c == NULL)
    return false;
  free (*slot);
  *slot = c;
  return true;
}

bool
ink_description_set_user_metadata (InkModelDescription *d, const char *key, const char *value)
{
  for (size_t i = 0; i < d->n_user; i++) {
    if (strcmp (d->user_keys[i], key) == 0)
      return set_string (&d->user_values[i], value);
  }
  if (!INK_GROW (d->user_keys, d->n_user, d->cap_user_keys) ||
      !INK_GROW (d->user_values, d->n_user, d->cap_user_values))
    return false;
  d->user_keys[d->n_user] = ink_strdup (key);
  d->user_values[d->n_user] = ink_strdup (value);
  if (d->user_keys[d->n_user] == NULL || d->user_values[d->n_user] == NULL) {
    free (d->user_keys[d->n_user]);
    free (d->user_values[d->n_user]);
    return false;
  }
  d->n_user++;
  return true;
}

static InkUpdateParameter *
find_param (const InkModelDescription *d, const char *key)
{
  for (size_t i = 0; i < d->n_params; i++) {
    if (strcmp (d->params[i].key, key) == 0)
      return &d->params[i];
  }
  return NULL;
}

static bool
set_param (InkModelDescription *d, const InkUpdateParameter *p)
{
  InkUpdateParameter copy = *p;
  InkUpdateParameter *slot;

  copy.key = ink_strdup (p->key);
  copy.set = NULL;
  if (p->n_set > 0) {
    int64_t *set = malloc (p->n_set * sizeof *set);
    if (set != NULL)
      memcpy (set, p->set, p->n_set * sizeof *set);
    copy.set = set;
  }
  if (copy.key == NULL || (p->n_set > 0 && copy.set == NULL)) {
    clear_param (&copy);
    return false;
  }
  slot = find_param (d, p->key);
  if (slot != NULL) {
    clear_param (slot);
  } else {
    if (!INK_GROW (d->params, d->n_params, d->cap_params)) {
      clear_param (&copy);
      return false;
    }
    slot = &d->params[d->n_params++];
  }
  *slot = copy;
  return true;
}

bool
ink_description_copy (InkModelDescription *dst, const InkModelDescription *src)
{
  bool ok = true;

  memset (dst, 0, sizeof *dst);
  for (size_t i = 0; ok && i < src->n_inputs; i++)
    ok = append_feature (&dst->inputs, &dst->n_inputs, &dst->cap_inputs, src->inputs[i].name,
                         &src->inputs[i].type, src->inputs[i].short_description);
  for (size_t i = 0; ok && i < src->n_outputs; i++)
    ok = append_feature (&dst->outputs, &dst->n_outputs, &dst->cap_outputs, src->outputs[i].name,
                         &src->outputs[i].type, src->outputs[i].short_description);
  for (size_t i = 0; ok && i < src->n_training_inputs; i++)
    ok = append_feature (&dst->training_inputs, &dst->n_training_inputs, &dst->cap_training_inputs,
                         src->training_inputs[i].name, &src->training_inputs[i].type,
                         src->training_inputs[i].short_description);
  ok = ok && set_string (&dst->predicted_feature_name, src->predicted_feature_name) &&
       set_string (&dst->probabilities_name, src->probabilities_name) &&
       set_string (&dst->short_description, src->short_description) &&
       set_string (&dst->version, src->version) && set_string (&dst->author, src->author) &&
       set_string (&dst->license, src->license);
  for (size_t i = 0; ok && i < src->n_user; i++)
    ok = ink_description_set_user_metadata (dst, src->user_keys[i], src->user_values[i]);
  for (size_t i = 0; ok && i < src->n_params; i++)
    ok = set_param (dst, &src->params[i]);
  dst->updatable = src->updatable;
  if (!ok)
    ink_description_clear (dst);
  return ok;
}

/* ---- Builder setters (declared in ink-builder.h) ---- */

static InkStatus
add_feature_checked (InkModel *model, InkFeatureDescription **list, size_t *n, size_t *cap,
                     const char *name, const InkFeatureType *type, const char *sd, const char *what,
                     InkError *err)
{
  if (model == NULL || name == NULL || name[0] == '\0' || type == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "a model %s needs a name and a type",
                          what);
  if (model->finished)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "the model is already finished");
  for (size_t i = 0; i < *n; i++) {
    if (strcmp ((*list)[i].name, name) == 0)
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "duplicate %s '%s'", what, name);
  }
  if (type->type == INK_VALUE_INVALID || type->type > INK_VALUE_SEQUENCE)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "%s '%s' has an invalid type", what, name);
  if (!append_feature (list, n, cap, name, type, sd))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  return INK_OK;
}

InkStatus
ink_model_add_input (InkModel *m, const char *name, const InkFeatureType *type, const char *sd,
                     InkError *err)
{
  if (m == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model");
  return add_feature_checked (m, &m->desc.inputs, &m->desc.n_inputs, &m->desc.cap_inputs, name,
                              type, sd, "input", err);
}

InkStatus
ink_model_add_output (InkModel *m, const char *name, const InkFeatureType *type, const char *sd,
                      InkError *err)
{
  if (m == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model");
  return add_feature_checked (m, &m->desc.outputs, &m->desc.n_outputs, &m->desc.cap_outputs, name,
                              type, sd, "output", err);
}

InkStatus
ink_model_add_training_input (InkModel *m, const char *name, const InkFeatureType *type,
                              const char *sd, InkError *err)
{
  if (m == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model");
  return add_feature_checked (m, &m->desc.training_inputs, &m->desc.n_training_inputs,
                              &m->desc.cap_training_inputs, name, type, sd, "training input", err);
}

InkStatus
ink_model_set_predicted_feature_name (InkModel *m, const char *name)
{
  if (m == NULL || m->finished)
    return INK_ERR_INVALID_ARGUMENT;
  return set_string (&m->desc.predicted_feature_name, name) ? INK_OK : INK_ERR_NO_MEMORY;
}

InkStatus
ink_model_set_predicted_probabilities_name (InkModel *m, const char *name)
{
  if (m == NULL || m->finished)
    return INK_ERR_INVALID_ARGUMENT;
  return set_string (&m->desc.probabilities_name, name) ? INK_OK : INK_ERR_NO_MEMORY;
}

InkStatus
ink_model_set_metadata (InkModel *m, const InkMetadata *md)
{
  bool ok = true;

  if (m == NULL || md == NULL)
    return INK_ERR_INVALID_ARGUMENT;
  ink_model_changed (m);
  if (md->short_description != NULL)
    ok = ok && set_string (&m->desc.short_description, md->short_description);
  if (md->version != NULL)
    ok = ok && set_string (&m->desc.version, md->version);
  if (md->author != NULL)
    ok = ok && set_string (&m->desc.author, md->author);
  if (md->license != NULL)
    ok = ok && set_string (&m->desc.license, md->license);
  return ok ? INK_OK : INK_ERR_NO_MEMORY;
}

InkStatus
ink_model_set_user_metadata (InkModel *m, const char *key, const char *value)
{
  if (m == NULL || key == NULL || value == NULL)
    return INK_ERR_INVALID_ARGUMENT;
  ink_model_changed (m);
  return ink_description_set_user_metadata (&m->desc, key, value) ? INK_OK : INK_ERR_NO_MEMORY;
}

InkStatus
ink_model_set_updatable (InkModel *m, bool updatable)
{
  if (m == NULL || m->finished)
    return INK_ERR_INVALID_ARGUMENT;
  m->desc.updatable = updatable;
  return INK_OK;
}

InkStatus
ink_model_set_update_parameter (InkModel *m, const InkUpdateParameter *p, InkError *err)
{
  if (m == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model");
  ink_model_changed (m);
  return ink_description_set_update_parameter (&m->desc, p, err);
}

InkStatus
ink_description_set_update_parameter (InkModelDescription *d, const InkUpdateParameter *p,
                                      InkError *err)
{
  if (p == NULL || p->key == NULL || p->key[0] == '\0')
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "an update parameter needs a key");
  if (p->type > INK_PARAM_BOOL || (p->has_range && p->min > p->max))
    return ink_error_set (err, INK_ERR_PARAMETER, "parameter %s has an invalid range", p->key);
  if (p->n_set > 0 && p->set == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "parameter %s: set values missing",
                          p->key);
  if (ink_update_parameter_check (p, p->default_value, err) != INK_OK)
    return ink_error_prefix (err, "default value");
  if (!set_param (d, p))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  return INK_OK;
}

/* ---- Accessors ---- */

size_t
ink_description_n_inputs (const InkModelDescription *d)
{
  return d->n_inputs;
}

const InkFeatureDescription *
ink_description_input (const InkModelDescription *d, size_t i)
{
  return i < d->n_inputs ? &d->inputs[i] : NULL;
}

size_t
ink_description_n_outputs (const InkModelDescription *d)
{
  return d->n_outputs;
}

const InkFeatureDescription *
ink_description_output (const InkModelDescription *d, size_t i)
{
  return i < d->n_outputs ? &d->outputs[i] : NULL;
}

size_t
ink_description_n_training_inputs (const InkModelDescription *d)
{
  return d->n_training_inputs;
}

const InkFeatureDescription *
ink_description_training_input (const InkModelDescription *d, size_t i)
{
  return i < d->n_training_inputs ? &d->training_inputs[i] : NULL;
}

static const InkFeatureDescription *
find_feature (const InkFeatureDescription *list, size_t n, const char *name)
{
  for (size_t i = 0; name != NULL && i < n; i++) {
    if (strcmp (list[i].name, name) == 0)
      return &list[i];
  }
  return NULL;
}

const InkFeatureDescription *
ink_description_find_input (const InkModelDescription *d, const char *name)
{
  return find_feature (d->inputs, d->n_inputs, name);
}

const InkFeatureDescription *
ink_description_find_output (const InkModelDescription *d, const char *name)
{
  return find_feature (d->outputs, d->n_outputs, name);
}

static const char *
or_empty (const char *s)
{
  return s != NULL ? s : "";
}

const char *
ink_description_predicted_feature_name (const InkModelDescription *d)
{
  return or_empty (d->predicted_feature_name);
}

const char *
ink_description_predicted_probabilities_name (const InkModelDescription *d)
{
  return or_empty (d->probabilities_name);
}

InkMetadata
ink_description_metadata (const InkModelDescription *d)
{
  return (InkMetadata){or_empty (d->short_description), or_empty (d->version), or_empty (d->author),
                       or_empty (d->license)};
}

size_t
ink_description_n_user_metadata (const InkModelDescription *d)
{
  return d->n_user;
}

const char *
ink_description_user_metadata_key (const InkModelDescription *d, size_t i)
{
  return i < d->n_user ? d->user_keys[i] : NULL;
}

const char *
ink_description_user_metadata_value (const InkModelDescription *d, size_t i)
{
  return i < d->n_user ? d->user_values[i] : NULL;
}

const char *
ink_description_user_metadata_lookup (const InkModelDescription *d, const char *key)
{
  for (size_t i = 0; key != NULL && i < d->n_user; i++) {
    if (strcmp (d->user_keys[i], key) == 0)
      return d->user_values[i];
  }
  return NULL;
}

bool
ink_description_is_updatable (const InkModelDescription *d)
{
  return d->updatable;
}

size_t
ink_description_n_update_parameters (const InkModelDescription *d)
{
  return d->n_params;
}

const InkUpdateParameter *
ink_description_update_parameter (const InkModelDescription *d, size_t i)
{
  return i < d->n_params ? &d->params[i] : NULL;
}

const InkUpdateParameter *
ink_description_find_update_parameter (const InkModelDescription *d, const char *key)
{
  return key != NULL ? find_param (d, key) : NULL;
}

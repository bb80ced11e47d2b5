/* ink-description-json.c: the model description as JSON (in .inkmodel files)
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "ink-model-private.h"

static const char *const value_type_names[] = {
  [INK_VALUE_INT64] = "Int64",       [INK_VALUE_DOUBLE] = "Double",
  [INK_VALUE_STRING] = "String",     [INK_VALUE_MULTIARRAY] = "MultiArray",
  [INK_VALUE_IMAGE] = "Image",       [INK_VALUE_DICTIONARY] = "Dictionary",
  [INK_VALUE_SEQUENCE] = "Sequence",
};

static const char *const array_type_names[] = {"Float32", "Float64", "Int32"};
static const char *const pixel_format_names[] = {"Gray8", "RGBA8", "BGRA8"};
static const char *const param_type_names[] = {"int64", "double", "bool"};

/* Index of name in names[0..n), or -1. */
static int
lookup_name (const char *const *names, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++) {
    if (names[i] != NULL && strcmp (names[i], name) == 0)
      return (int) i;
  }
  return -1;
}

#define N_OF(a) (sizeof (a) / sizeof *(a))

static cJSON *
int_pair (int64_t a, int64_t b)
{
  cJSON *arr = cJSON_CreateArray ();

  cJSON_AddItemToArray (arr, cJSON_CreateNumber ((double) a));
  cJSON_AddItemToArray (arr, cJSON_CreateNumber ((double) b));
  return arr;
}

cJSON *
ink_feature_type_to_json (const InkFeatureType *t)
{
  cJSON *o = cJSON_CreateObject ();

  if (o == NULL || t->type <= INK_VALUE_INVALID || t->type > INK_VALUE_SEQUENCE)
    return o;
  cJSON_AddStringToObject (o, "type", value_type_names[t->type]);
  switch (t->type) {
  case INK_VALUE_MULTIARRAY: {
    cJSON *shape = cJSON_AddArrayToObject (o, "shape");
    cJSON_AddStringToObject (o, "dataType", array_type_names[t->array_type]);
    for (size_t i = 0; i < t->rank; i++)
      cJSON_AddItemToArray (shape, cJSON_CreateNumber ((double) t->shape[i]));
    break;
  }
  case INK_VALUE_IMAGE:
    cJSON_AddNumberToObject (o, "width", (double) t->image.width);
    cJSON_AddNumberToObject (o, "height", (double) t->image.height);
    cJSON_AddStringToObject (o, "pixelFormat", pixel_format_names[t->image.format]);
    if (t->image.n_sizes > 0) {
      cJSON *sizes = cJSON_AddArrayToObject (o, "sizes");
      for (size_t i = 0; i < t->image.n_sizes; i++)
        cJSON_AddItemToArray (sizes, int_pair (t->image.sizes[i].width, t->image.sizes[i].height));
    }
    if (t->image.has_range) {
      cJSON *range = cJSON_AddObjectToObject (o, "sizeRange");
      cJSON_AddItemToObject (range, "width", int_pair (t->image.min_width, t->image.max_width));
      cJSON_AddItemToObject (range, "height", int_pair (t->image.min_height, t->image.max_height));
    }
    break;
  case INK_VALUE_DICTIONARY:
    cJSON_AddStringToObject (o, "keyType", t->key_type == INK_KEY_STRING ? "String" : "Int64");
    break;
  case INK_VALUE_SEQUENCE:
    cJSON_AddStringToObject (o, "elementType", value_type_names[t->element_type]);
    break;
  default: break;
  }
  if (t->optional)
    cJSON_AddBoolToObject (o, "optional", 1);
  return o;
}

static InkStatus
get_enum (const cJSON *o, const char *key, const char *const *names, size_t n, int *out,
          InkError *err)
{
  const char *s;
  int i;

  if (ink_json_get_string (o, key, &s, err) != INK_OK)
    return err != NULL ? err->status : INK_ERR_FORMAT;
  i = lookup_name (names, n, s);
  if (i < 0)
    return ink_error_set (err, INK_ERR_FORMAT, "unknown %s '%s'", key, s);
  *out = i;
  return INK_OK;
}

static InkStatus
get_pair (const cJSON *o, const char *key, int64_t *a, int64_t *b, InkError *err)
{
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive (o, key);

  if (!cJSON_IsArray (arr) || cJSON_GetArraySize (arr) != 2 ||
      !cJSON_IsNumber (cJSON_GetArrayItem (arr, 0)) ||
      !cJSON_IsNumber (cJSON_GetArrayItem (arr, 1)))
    return ink_error_set (err, INK_ERR_FORMAT, "'%s' must be a pair of numbers", key);
  *a = (int64_t) cJSON_GetArrayItem (arr, 0)->valuedouble;
  *b = (int64_t) cJSON_GetArrayItem (arr, 1)->valuedouble;
  return INK_OK;
}

/* Parses a feature type; image sizes go into *sizes (caller frees). */
static InkStatus
feature_type_from_json (const cJSON *o, InkFeatureType *t, InkImageSize **sizes, InkError *err)
{
  int kind = 0, sub = 0;
  bool optional = false;

  memset (t, 0, sizeof *t);
  *sizes = NULL;
  if (!cJSON_IsObject (o))
    return ink_error_set (err, INK_ERR_FORMAT, "a feature type must be an object");
  if (get_enum (o, "type", value_type_names, N_OF (value_type_names), &kind, err) != INK_OK)
    return err != NULL ? err->status : INK_ERR_FORMAT;
  t->type = (InkValueType) kind;
  if (ink_json_opt_bool (o, "optional", &optional, err) != INK_OK)
    return INK_ERR_FORMAT;
  t->optional = optional;
  switch (t->type) {
  case INK_VALUE_MULTIARRAY: {
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive (o, "shape");
    const cJSON *dim;
    if (get_enum (o, "dataType", array_type_names, N_OF (array_type_names), &sub, err) != INK_OK)
      return INK_ERR_FORMAT;
    t->array_type = (InkArrayType) sub;
    if (!cJSON_IsArray (shape) || cJSON_GetArraySize (shape) > INK_MAX_RANK)
      return ink_error_set (err, INK_ERR_FORMAT, "a multi-array needs a shape of rank <= %d",
                            INK_MAX_RANK);
    cJSON_ArrayForEach (dim, shape)
    {
      if (!cJSON_IsNumber (dim) || dim->valuedouble < 0 || dim->valuedouble > 1e12)
        return ink_error_set (err, INK_ERR_FORMAT, "invalid multi-array dimension");
      t->shape[t->rank++] = (int64_t) dim->valuedouble;
    }
    break;
  }
  case INK_VALUE_IMAGE: {
    const cJSON *list = cJSON_GetObjectItemCaseSensitive (o, "sizes");
    const cJSON *range = cJSON_GetObjectItemCaseSensitive (o, "sizeRange");
    if (ink_json_get_int (o, "width", 1, 1 << 20, &t->image.width, err) != INK_OK ||
        ink_json_get_int (o, "height", 1, 1 << 20, &t->image.height, err) != INK_OK ||
        get_enum (o, "pixelFormat", pixel_format_names, N_OF (pixel_format_names), &sub, err) !=
          INK_OK)
      return INK_ERR_FORMAT;
    t->image.format = (InkPixelFormat) sub;
    if (cJSON_IsArray (list) && cJSON_GetArraySize (list) > 0) {
      size_t n = (size_t) cJSON_GetArraySize (list), i = 0;
      const cJSON *item;
      *sizes = calloc (n, sizeof **sizes);
      if (*sizes == NULL)
        return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
      cJSON_ArrayForEach (item, list)
      {
        cJSON *holder = cJSON_CreateObject ();
        InkStatus st;
        cJSON_AddItemReferenceToObject (holder, "size", (cJSON *) item);
        st = get_pair (holder, "size", &(*sizes)[i].width, &(*sizes)[i].height, err);
        cJSON_Delete (holder);
        if (st != INK_OK)
          return st;
        i++;
      }
      t->image.n_sizes = n;
      t->image.sizes = *sizes;
    }
    if (range != NULL) {
      if (get_pair (range, "width", &t->image.min_width, &t->image.max_width, err) != INK_OK ||
          get_pair (range, "height", &t->image.min_height, &t->image.max_height, err) != INK_OK)
        return INK_ERR_FORMAT;
      t->image.has_range = true;
    }
    break;
  }
  case INK_VALUE_DICTIONARY: {
    static const char *const keys[] = {"String", "Int64"};
    if (get_enum (o, "keyType", keys, 2, &sub, err) != INK_OK)
      return INK_ERR_FORMAT;
    t->key_type = (InkKeyType) sub;
    break;
  }
  case INK_VALUE_SEQUENCE:
    if (get_enum (o, "elementType", value_type_names, N_OF (value_type_names), &sub, err) != INK_OK)
      return INK_ERR_FORMAT;
    t->element_type = (InkValueType) sub;
    if (t->element_type != INK_VALUE_INT64 && t->element_type != INK_VALUE_STRING)
      return ink_error_set (err, INK_ERR_FORMAT, "sequences hold Int64 or String values");
    break;
  default: break;
  }
  return INK_OK;
}

static cJSON *
features_to_json (const InkFeatureDescription *list, size_t n)
{
  cJSON *arr = cJSON_CreateArray ();

  for (size_t i = 0; i < n; i++) {
    cJSON *f = cJSON_CreateObject ();
    cJSON_AddStringToObject (f, "name", list[i].name);
    if (list[i].short_description[0] != '\0')
      cJSON_AddStringToObject (f, "shortDescription", list[i].short_description);
    cJSON_AddItemToObject (f, "type", ink_feature_type_to_json (&list[i].type));
    cJSON_AddItemToArray (arr, f);
  }
  return arr;
}

static cJSON *
param_to_json (const InkUpdateParameter *p)
{
  cJSON *o = cJSON_CreateObject ();

  cJSON_AddStringToObject (o, "key", p->key);
  cJSON_AddStringToObject (o, "type", param_type_names[p->type]);
  if (p->type == INK_PARAM_BOOL)
    cJSON_AddBoolToObject (o, "default", p->default_value != 0.0);
  else
    cJSON_AddNumberToObject (o, "default", p->default_value);
  if (p->has_range) {
    cJSON *r = cJSON_AddArrayToObject (o, "range");
    cJSON_AddItemToArray (r, cJSON_CreateNumber (p->min));
    cJSON_AddItemToArray (r, cJSON_CreateNumber (p->max));
  }
  if (p->n_set > 0) {
    cJSON *s = cJSON_AddArrayToObject (o, "set");
    for (size_t i = 0; i < p->n_set; i++)
      cJSON_AddItemToArray (s, cJSON_CreateNumber ((double) p->set[i]));
  }
  return o;
}

cJSON *
ink_description_to_json (const InkModelDescription *d)
{
  cJSON *o = cJSON_CreateObject ();
  cJSON *md, *user, *params;
  InkMetadata m = ink_description_metadata (d);

  cJSON_AddItemToObject (o, "inputs", features_to_json (d->inputs, d->n_inputs));
  cJSON_AddItemToObject (o, "outputs", features_to_json (d->outputs, d->n_outputs));
  cJSON_AddItemToObject (o, "trainingInputs",
                         features_to_json (d->training_inputs, d->n_training_inputs));
  cJSON_AddStringToObject (o, "predictedFeatureName", ink_description_predicted_feature_name (d));
  cJSON_AddStringToObject (o, "predictedProbabilitiesName",
                           ink_description_predicted_probabilities_name (d));
  md = cJSON_AddObjectToObject (o, "metadata");
  cJSON_AddStringToObject (md, "shortDescription", m.short_description);
  cJSON_AddStringToObject (md, "version", m.version);
  cJSON_AddStringToObject (md, "author", m.author);
  cJSON_AddStringToObject (md, "license", m.license);
  user = cJSON_AddObjectToObject (md, "userDefined");
  for (size_t i = 0; i < d->n_user; i++)
    cJSON_AddStringToObject (user, d->user_keys[i], d->user_values[i]);
  cJSON_AddBoolToObject (o, "isUpdatable", d->updatable);
  params = cJSON_AddArrayToObject (o, "updateParameters");
  for (size_t i = 0; i < d->n_params; i++)
    cJSON_AddItemToArray (params, param_to_json (&d->params[i]));
  return o;
}

static InkStatus
features_from_json (const cJSON *arr, InkFeatureDescription **list, size_t *n, size_t *cap,
                    const char *what, InkError *err)
{
  const cJSON *f;

  if (arr == NULL)
    return INK_OK;
  if (!cJSON_IsArray (arr))
    return ink_error_set (err, INK_ERR_FORMAT, "'%s' must be an array", what);
  cJSON_ArrayForEach (f, arr)
  {
    const char *name = NULL, *sd = "";
    InkFeatureType t;
    InkImageSize *sizes = NULL;
    bool ok;
    if (ink_json_get_string (f, "name", &name, err) != INK_OK ||
        ink_json_opt_string (f, "shortDescription", &sd, err) != INK_OK)
      return ink_error_prefix (err, "%s", what);
    if (feature_type_from_json (cJSON_GetObjectItemCaseSensitive (f, "type"), &t, &sizes, err) !=
        INK_OK) {
      free (sizes);
      return ink_error_prefix (err, "%s '%s'", what, name);
    }
    ok = ink_grow ((void **) list, sizeof **list, *n, cap) &&
         ink_feature_description_init (&(*list)[*n], name, &t, sd);
    free (sizes);
    if (!ok)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    (*n)++;
  }
  return INK_OK;
}

static InkStatus
param_from_json (InkModelDescription *d, const cJSON *o, InkError *err)
{
  InkUpdateParameter p = {0};
  const cJSON *def, *range, *set;
  int type = 0;
  int64_t *values = NULL;
  InkStatus st;

  if (ink_json_get_string (o, "key", &p.key, err) != INK_OK ||
      get_enum (o, "type", param_type_names, N_OF (param_type_names), &type, err) != INK_OK)
    return INK_ERR_FORMAT;
  p.type = (InkParamType) type;
  def = cJSON_GetObjectItemCaseSensitive (o, "default");
  if (cJSON_IsBool (def))
    p.default_value = cJSON_IsTrue (def) ? 1.0 : 0.0;
  else if (cJSON_IsNumber (def))
    p.default_value = def->valuedouble;
  else
    return ink_error_set (err, INK_ERR_FORMAT, "parameter %s has no default", p.key);
  range = cJSON_GetObjectItemCaseSensitive (o, "range");
  if (range != NULL) {
    if (!cJSON_IsArray (range) || cJSON_GetArraySize (range) != 2 ||
        !cJSON_IsNumber (cJSON_GetArrayItem (range, 0)) ||
        !cJSON_IsNumber (cJSON_GetArrayItem (range, 1)))
      return ink_error_set (err, INK_ERR_FORMAT, "parameter %s: bad range", p.key);
    p.has_range = true;
    p.min = cJSON_GetArrayItem (range, 0)->valuedouble;
    p.max = cJSON_GetArrayItem (range, 1)->valuedouble;
  }
  set = cJSON_GetObjectItemCaseSensitive (o, "set");
  if (set != NULL) {
    const cJSON *item;
    if (!cJSON_IsArray (set))
      return ink_error_set (err, INK_ERR_FORMAT, "parameter %s: bad set", p.key);
    values = calloc ((size_t) cJSON_GetArraySize (set) + 1, sizeof *values);
    if (values == NULL)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    cJSON_ArrayForEach (item, set)
    {
      if (!cJSON_IsNumber (item)) {
        free (values);
        return ink_error_set (err, INK_ERR_FORMAT, "parameter %s: bad set", p.key);
      }
      values[p.n_set++] = (int64_t) item->valuedouble;
    }
    p.set = values;
  }
  st = ink_description_set_update_parameter (d, &p, err);
  free (values);
  if (st != INK_OK && err != NULL)
    err->status = INK_ERR_FORMAT;
  return st == INK_OK ? INK_OK : INK_ERR_FORMAT;
}

InkStatus
ink_description_from_json (InkModelDescription *d, const cJSON *o, InkError *err)
{
  const cJSON *md, *user, *params, *kv, *p;
  const char *s;
  bool updatable = false;

  if (!cJSON_IsObject (o))
    return ink_error_set (err, INK_ERR_FORMAT, "the description must be an object");
  if (features_from_json (cJSON_GetObjectItemCaseSensitive (o, "inputs"), &d->inputs, &d->n_inputs,
                          &d->cap_inputs, "input", err) != INK_OK ||
      features_from_json (cJSON_GetObjectItemCaseSensitive (o, "outputs"), &d->outputs,
                          &d->n_outputs, &d->cap_outputs, "output", err) != INK_OK ||
      features_from_json (cJSON_GetObjectItemCaseSensitive (o, "trainingInputs"),
                          &d->training_inputs, &d->n_training_inputs, &d->cap_training_inputs,
                          "training input", err) != INK_OK)
    return INK_ERR_FORMAT;
  s = "";
  if (ink_json_opt_string (o, "predictedFeatureName", &s, err) != INK_OK)
    return INK_ERR_FORMAT;
  d->predicted_feature_name = ink_strdup (s);
  s = "";
  if (ink_json_opt_string (o, "predictedProbabilitiesName", &s, err) != INK_OK)
    return INK_ERR_FORMAT;
  d->probabilities_name = ink_strdup (s);
  md = cJSON_GetObjectItemCaseSensitive (o, "metadata");
  if (cJSON_IsObject (md)) {
    const char *f[4] = {"", "", "", ""};
    if (ink_json_opt_string (md, "shortDescription", &f[0], err) != INK_OK ||
        ink_json_opt_string (md, "version", &f[1], err) != INK_OK ||
        ink_json_opt_string (md, "author", &f[2], err) != INK_OK ||
        ink_json_opt_string (md, "license", &f[3], err) != INK_OK)
      return INK_ERR_FORMAT;
    d->short_description = ink_strdup (f[0]);
    d->version = ink_strdup (f[1]);
    d->author = ink_strdup (f[2]);
    d->license = ink_strdup (f[3]);
    user = cJSON_GetObjectItemCaseSensitive (md, "userDefined");
    if (user != NULL && !cJSON_IsObject (user))
      return ink_error_set (err, INK_ERR_FORMAT, "'userDefined' must be an object");
    cJSON_ArrayForEach (kv, user)
    {
      if (!cJSON_IsString (kv) ||
          !ink_description_set_user_metadata (d, kv->string, kv->valuestring))
        return ink_error_set (err, INK_ERR_FORMAT, "user-defined metadata must be strings");
    }
  }
  if (ink_json_opt_bool (o, "isUpdatable", &updatable, err) != INK_OK)
    return INK_ERR_FORMAT;
  d->updatable = updatable;
  params = cJSON_GetObjectItemCaseSensitive (o, "updateParameters");
  if (params != NULL && !cJSON_IsArray (params))
    return ink_error_set (err, INK_ERR_FORMAT, "'updateParameters' must be an array");
  cJSON_ArrayForEach (p, params)
  {
    if (param_from_json (d, p, err) != INK_OK)
      return INK_ERR_FORMAT;
  }
  return INK_OK;
}

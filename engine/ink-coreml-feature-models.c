/* ink-coreml-feature-models.c: reading and writing Core ML's feature-engineering models
 *
 * The bodies of Model.Type fields 600 oneHotEncoder, 601 imputer, 602
 * featureVectorizer, 603 dictVectorizer, 604 scaler, 607 normalizer and 609
 * arrayFeatureExtractor. Their field numbers are listed at the top of the
 * runtime files (ink-one-hot.c, ink-imputer.c, ink-vectorizer.c,
 * ink-scaler.c) and in short here:
 *   OneHotEncoder          1 stringCategories (StringVector) | 2 int64Categories
 *                          (Int64Vector), 10 outputSparse, 11 handleUnknown
 *   Imputer                1 imputedDoubleValue | 2 imputedInt64Value |
 *                          3 imputedStringValue | 4 imputedDoubleArray
 *                          (DoubleVector) | 5 imputedInt64Array (Int64Vector) |
 *                          6 imputedStringDictionary (StringToDoubleMap) |
 *                          7 imputedInt64Dictionary (Int64ToDoubleMap);
 *                          11 replaceDoubleValue | 12 replaceInt64Value |
 *                          13 replaceStringValue
 *   FeatureVectorizer      1 inputList: InputColumn {1 inputColumn, 2 inputDimensions}
 *   DictVectorizer         1 stringToIndex (StringVector) | 2 int64ToIndex (Int64Vector)
 *   Scaler                 1 shiftValue, 2 scaleValue (repeated double)
 *   Normalizer             1 normType (LMax 0, L1 1, L2 2)
 *   ArrayFeatureExtractor  1 extractIndex (repeated uint64)
 * The maps are repeated entries {1 key, 2 value}. Every one of these models
 * exists since Core ML 1 (specification version 1). The validator's rules
 * on the bodies alone are checked here with its reasons; the rules on the
 * interface are the runtime's, at finish.
 *
 * SPDX-License-Identifier: MIT
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ink-coreml-private.h"
#include "ink-features-private.h"

/* A StringVector or Int64Vector (a member of a oneof) into labels; the
 * error names the field. */
static InkStatus
read_vector (const InkPbReader *r, const InkPbField *f, const char *what, bool int64,
             InkLabels *labels, InkError *err)
{
  InkStatus st = ink_pb_expect (f, INK_PB_LEN, what, err);

  if (st != INK_OK)
    return st;
  st = int64 ? ink_coreml_read_int64_vector (r, f, labels, err)
             : ink_coreml_read_string_vector (r, f, labels, err);
  if (st != INK_OK)
    ink_error_prefix (err, "%s", what);
  return st;
}

/* ---- OneHotEncoder (600) ---- */

static InkModel *
read_one_hot (const InkPbReader *r, InkError *err)
{
  InkPbReader sub = *r;
  InkPbField f;
  InkLabels categories = {0};
  uint32_t category_field = 0;
  bool sparse = false;
  int32_t handle_unknown = 0;
  InkModel *model = NULL;
  InkStatus st = INK_OK;
  int rc;

  while (st == INK_OK && (rc = ink_pb_next (&sub, &f, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
    } else if (f.number == 1 || f.number == 2) {
      st = read_vector (&sub, &f,
                        f.number == 1 ? "OneHotEncoder.stringCategories (field 1)"
                                      : "OneHotEncoder.int64Categories (field 2)",
                        f.number == 2, &categories, err);
      category_field = f.number;
    } else if (f.number == 10) {
      st = ink_pb_expect (&f, INK_PB_VARINT, "OneHotEncoder.outputSparse (field 10)", err);
      sparse = ink_pb_bool (&f);
    } else if (f.number == 11) {
      st = ink_pb_expect (&f, INK_PB_VARINT, "OneHotEncoder.handleUnknown (field 11)", err);
      handle_unknown = ink_pb_int32 (&f);
    }
  }
  if (st == INK_OK && category_field == 0)
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "OneHotEncoder parameter incorrect type: neither stringCategories "
                        "(field 1) nor int64Categories (field 2) is set");
  if (st == INK_OK && handle_unknown != 0 && handle_unknown != 1)
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "OneHotEncoder.handleUnknown (field 11) has the unknown value %" PRId32,
                        handle_unknown);
  if (st == INK_OK) {
    model =
      category_field == 2
        ? ink_one_hot_encoder_new_int64 (categories.ints, categories.n, sparse, handle_unknown == 1)
        : ink_one_hot_encoder_new_string ((const char *const *) categories.strings, categories.n,
                                          sparse, handle_unknown == 1);
    if (model == NULL)
      ink_coreml_no_memory (err);
  }
  ink_labels_clear (&categories);
  return model;
}

/* ---- DictVectorizer (603) ---- */

static InkModel *
read_dict_vectorizer (const InkPbReader *r, InkError *err)
{
  InkPbReader sub = *r;
  InkPbField f;
  InkLabels keys = {0};
  uint32_t map_field = 0;
  InkModel *model = NULL;
  InkStatus st = INK_OK;
  int rc;

  while (st == INK_OK && (rc = ink_pb_next (&sub, &f, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
    } else if (f.number == 1 || f.number == 2) {
      st = read_vector (&sub, &f,
                        f.number == 1 ? "DictVectorizer.stringToIndex (field 1)"
                                      : "DictVectorizer.int64ToIndex (field 2)",
                        f.number == 2, &keys, err);
      map_field = f.number;
    }
  }
  if (st == INK_OK && map_field == 0)
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "DictVectorizerValidator parameter not set: neither stringToIndex "
                        "(field 1) nor int64ToIndex (field 2) is set");
  if (st == INK_OK) {
    model = map_field == 2
              ? ink_dict_vectorizer_new_int64 (keys.ints, keys.n)
              : ink_dict_vectorizer_new_string ((const char *const *) keys.strings, keys.n);
    if (model == NULL)
      ink_coreml_no_memory (err);
  }
  ink_labels_clear (&keys);
  return model;
}

/* ---- FeatureVectorizer (602) ---- */

/* FeatureVectorizer.InputColumn: 1 inputColumn, 2 inputDimensions. */
static InkStatus
read_column (InkModel *model, const InkPbReader *r, const InkPbField *cf, size_t i, InkError *err)
{
  InkPbReader sub;
  InkPbField f;
  char *name = NULL;
  uint64_t dims = 0;
  InkStatus st = ink_coreml_open_message (r, cf, "InputColumn", &sub, err);
  int rc;

  while (st == INK_OK && (rc = ink_pb_next (&sub, &f, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
    } else if (f.number == 1) {
      st = ink_pb_replace_string (&f, "InputColumn.inputColumn (field 1)", &name, err);
    } else if (f.number == 2) {
      st = ink_pb_expect (&f, INK_PB_VARINT, "InputColumn.inputDimensions (field 2)", err);
      dims = f.value;
    }
  }
  if (st == INK_OK && dims == 0)
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "Dimension size must be greater than zero (InputColumn.inputDimensions, "
                        "field 2).");
  if (st == INK_OK && (name == NULL || name[0] == '\0'))
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "InputColumn.inputColumn (field 1) names no input");
  if (st == INK_OK && dims > INK_FM_MAX_VALUES)
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "InputColumn.inputDimensions (field 2) is too large: %" PRIu64, dims);
  if (st == INK_OK)
    st = ink_feature_vectorizer_add_column (model, name, (size_t) dims, err);
  free (name);
  if (st != INK_OK)
    ink_error_prefix (err, "FeatureVectorizer.inputList (field 1) column %zu", i);
  return st;
}

static InkModel *
read_feature_vectorizer (const InkPbReader *r, InkError *err)
{
  InkPbReader sub = *r;
  InkPbField f;
  InkModel *model = ink_feature_vectorizer_new ();
  InkStatus st = model != NULL ? INK_OK : ink_coreml_no_memory (err);
  size_t n = 0;
  int rc;

  while (st == INK_OK && (rc = ink_pb_next (&sub, &f, err)) != 0) {
    if (rc < 0)
      st = INK_ERR_FORMAT;
    else if (f.number == 1)
      st = read_column (model, &sub, &f, n++, err);
  }
  if (st != INK_OK) {
    ink_model_free (model);
    return NULL;
  }
  return model;
}

/* ---- Scaler (604) ---- */

static InkModel *
read_scaler (const InkPbReader *r, InkError *err)
{
  InkPbReader sub = *r;
  InkPbField f;
  double *shift = NULL, *scale = NULL;
  size_t n_shift = 0, cap_shift = 0, n_scale = 0, cap_scale = 0;
  InkModel *model = NULL;
  InkStatus st = INK_OK;
  int rc;

  while (st == INK_OK && (rc = ink_pb_next (&sub, &f, err)) != 0) {
    if (rc < 0)
      st = INK_ERR_FORMAT;
    else if (f.number == 1)
      st = ink_pb_append_doubles (&f, &shift, &n_shift, &cap_shift, "Scaler.shiftValue (field 1)",
                                  err);
    else if (f.number == 2)
      st = ink_pb_append_doubles (&f, &scale, &n_scale, &cap_scale, "Scaler.scaleValue (field 2)",
                                  err);
  }
  if (st == INK_OK) {
    model = ink_scaler_new (shift, n_shift, scale, n_scale);
    if (model == NULL)
      ink_coreml_no_memory (err);
  }
  free (shift);
  free (scale);
  return model;
}

/* ---- Imputer (601) ---- */

typedef struct {
  uint32_t imputed; /* the ImputedValue field, 1 to 7, or 0 */
  double d;         /* 1 */
  int64_t i;        /* 2 */
  char *s;          /* 3 */
  double *doubles;  /* 4, and the dictionaries' values */
  size_t n_doubles, cap_doubles;
  InkLabels labels; /* 5 (ints), the dictionaries' keys */
  uint32_t replace; /* 11 to 13, or 0 */
  double replace_d;
  int64_t replace_i;
  char *replace_s;
} ImputerParams;

static void
imputer_params_clear (ImputerParams *p)
{
  free (p->s);
  free (p->doubles);
  ink_labels_clear (&p->labels);
  free (p->replace_s);
  memset (p, 0, sizeof *p);
}

/* Drops what an earlier member of the ImputedValue oneof gave. */
static void
imputed_reset (ImputerParams *p, uint32_t field)
{
  free (p->s);
  p->s = NULL;
  p->n_doubles = 0;
  ink_labels_clear (&p->labels);
  p->labels.is_int64 = field == 5 || field == 7;
  p->imputed = field;
}

/* DoubleVector {1 vector: repeated double}. */
static InkStatus
read_double_vector (const InkPbReader *r, const InkPbField *vf, ImputerParams *p, InkError *err)
{
  InkPbReader sub;
  InkPbField f;
  InkStatus st = ink_coreml_open_message (r, vf, "Imputer.imputedDoubleArray (field 4)", &sub, err);
  int rc;

  while (st == INK_OK && (rc = ink_pb_next (&sub, &f, err)) != 0) {
    if (rc < 0)
      st = INK_ERR_FORMAT;
    else if (f.number == 1)
      st = ink_pb_append_doubles (&f, &p->doubles, &p->n_doubles, &p->cap_doubles,
                                  "DoubleVector.vector (field 1)", err);
  }
  return st;
}

/* One map entry {1 key, 2 value} of a StringToDoubleMap or Int64ToDoubleMap. */
static InkStatus
read_map_entry (const InkPbReader *r, const InkPbField *ef, bool int64_keys, ImputerParams *p,
                InkError *err)
{
  const char *what =
    int64_keys ? "Int64ToDoubleMap.map (field 1)" : "StringToDoubleMap.map (field 1)";
  InkPbReader sub;
  InkPbField f;
  char *key = NULL;
  int64_t ikey = 0;
  double value = 0.0;
  bool ok;
  InkStatus st = ink_coreml_open_message (r, ef, what, &sub, err);
  int rc;

  if (st != INK_OK)
    return st;
  while (st == INK_OK && (rc = ink_pb_next (&sub, &f, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
    } else if (f.number == 1 && int64_keys) {
      st = ink_pb_expect (&f, INK_PB_VARINT, "map entry key (field 1)", err);
      ikey = ink_pb_int64 (&f);
    } else if (f.number == 1) {
      st = ink_pb_replace_string (&f, "map entry key (field 1)", &key, err);
    } else if (f.number == 2) {
      st = ink_pb_expect (&f, INK_PB_I64, "map entry value (field 2)", err);
      value = ink_pb_double (&f);
    }
  }
  if (st == INK_OK) {
    ok = int64_keys ? ink_labels_append_int64 (&p->labels, ikey)
                    : ink_labels_append_string (&p->labels, key != NULL ? key : "");
    if (ok && INK_GROW (p->doubles, p->n_doubles, p->cap_doubles))
      p->doubles[p->n_doubles++] = value;
    else
      st = ink_coreml_no_memory (err);
    if (ok && st != INK_OK)
      p->labels.n--; /* keep keys and values paired */
  } else {
    ink_error_prefix (err, "%s", what);
  }
  free (key);
  return st;
}

static InkStatus
read_map (const InkPbReader *r, const InkPbField *mf, ImputerParams *p, InkError *err)
{
  bool int64_keys = mf->number == 7;
  InkPbReader sub;
  InkPbField f;
  InkStatus st = ink_coreml_open_message (r, mf,
                                          int64_keys ? "Imputer.imputedInt64Dictionary (field 7)"
                                                     : "Imputer.imputedStringDictionary (field 6)",
                                          &sub, err);
  int rc;

  while (st == INK_OK && (rc = ink_pb_next (&sub, &f, err)) != 0) {
    if (rc < 0)
      st = INK_ERR_FORMAT;
    else if (f.number == 1)
      st = read_map_entry (&sub, &f, int64_keys, p, err);
  }
  return st;
}

typedef struct {
  const ImputerParams *p;
  size_t i;
} KeyRef;

static int
compare_keys (const void *a, const void *b)
{
  const KeyRef *x = a, *y = b;
  const InkLabels *l = &x->p->labels;
  int c;

  if (l->is_int64)
    c = l->ints[x->i] < l->ints[y->i] ? -1 : l->ints[x->i] > l->ints[y->i];
  else
    c = strcmp (l->strings[x->i], l->strings[y->i]);
  if (c != 0)
    return c;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* A protobuf map keeps the last value given for a key: drops the entries
 * whose key comes again later, keeping the order of the others. */
static InkStatus
dedupe_map (ImputerParams *p, InkError *err)
{
  size_t n = p->labels.n, m = 0;
  KeyRef *refs;
  bool *drop;
  InkLabels keys = {.is_int64 = p->labels.is_int64};

  if (n < 2)
    return INK_OK;
  refs = malloc (n * sizeof *refs);
  drop = calloc (n, sizeof *drop);
  if (refs == NULL || drop == NULL) {
    free (refs);
    free (drop);
    return ink_coreml_no_memory (err);
  }
  for (size_t i = 0; i < n; i++)
    refs[i] = (KeyRef){p, i};
  /* Sorted by key, then position: in a run of one key, all but the last go. */
  qsort (refs, n, sizeof *refs, compare_keys);
  for (size_t i = 0; i + 1 < n; i++) {
    size_t a = refs[i].i, b = refs[i + 1].i;

    if (keys.is_int64 ? p->labels.ints[a] == p->labels.ints[b]
                      : strcmp (p->labels.strings[a], p->labels.strings[b]) == 0)
      drop[a] = true;
  }
  free (refs);
  for (size_t i = 0; i < n; i++) {
    bool ok;

    if (drop[i])
      continue;
    ok = keys.is_int64 ? ink_labels_append_int64 (&keys, p->labels.ints[i])
                       : ink_labels_append_string (&keys, p->labels.strings[i]);
    if (!ok) {
      free (drop);
      ink_labels_clear (&keys);
      return ink_coreml_no_memory (err);
    }
    p->doubles[m++] = p->doubles[i];
  }
  free (drop);
  ink_labels_clear (&p->labels);
  p->labels = keys;
  p->n_doubles = m;
  return INK_OK;
}

static InkStatus
read_imputer_field (const InkPbReader *r, const InkPbField *f, ImputerParams *p, InkError *err)
{
  InkStatus st = INK_OK;

  switch (f->number) {
  case 1:
    imputed_reset (p, 1);
    p->d = ink_pb_double (f);
    return ink_pb_expect (f, INK_PB_I64, "Imputer.imputedDoubleValue (field 1)", err);
  case 2:
    imputed_reset (p, 2);
    p->i = ink_pb_int64 (f);
    return ink_pb_expect (f, INK_PB_VARINT, "Imputer.imputedInt64Value (field 2)", err);
  case 3:
    imputed_reset (p, 3);
    return ink_pb_replace_string (f, "Imputer.imputedStringValue (field 3)", &p->s, err);
  case 4: imputed_reset (p, 4); return read_double_vector (r, f, p, err);
  case 5:
    imputed_reset (p, 5);
    return read_vector (r, f, "Imputer.imputedInt64Array (field 5)", true, &p->labels, err);
  case 6:
  case 7:
    imputed_reset (p, f->number);
    st = read_map (r, f, p, err);
    return st == INK_OK ? dedupe_map (p, err) : st;
  case 11:
    p->replace = 11;
    p->replace_d = ink_pb_double (f);
    return ink_pb_expect (f, INK_PB_I64, "Imputer.replaceDoubleValue (field 11)", err);
  case 12:
    p->replace = 12;
    p->replace_i = ink_pb_int64 (f);
    return ink_pb_expect (f, INK_PB_VARINT, "Imputer.replaceInt64Value (field 12)", err);
  case 13:
    p->replace = 13;
    return ink_pb_replace_string (f, "Imputer.replaceStringValue (field 13)", &p->replace_s, err);
  default: return INK_OK;
  }
}

/* ImputerValidator: the replace value each imputed value allows. */
static uint32_t
allowed_replace (uint32_t imputed)
{
  switch (imputed) {
  case 1:
  case 4: return 11;
  case 2:
  case 5: return 12;
  case 3: return 13;
  default: return 0; /* dictionaries: none */
  }
}

static InkModel *
build_imputer (const ImputerParams *p, InkError *err)
{
  InkModel *model = NULL;
  InkStatus st = INK_OK;

  switch (p->imputed) {
  case 1: model = ink_imputer_new_double (p->d); break;
  case 2: model = ink_imputer_new_int64 (p->i); break;
  case 3: model = ink_imputer_new_string (p->s); break;
  case 4: model = ink_imputer_new_double_array (p->doubles, p->n_doubles); break;
  case 5: model = ink_imputer_new_int64_array (p->labels.ints, p->labels.n); break;
  case 6:
    model = ink_imputer_new_string_dictionary ((const char *const *) p->labels.strings, p->doubles,
                                               p->labels.n);
    break;
  case 7: model = ink_imputer_new_int64_dictionary (p->labels.ints, p->doubles, p->labels.n); break;
  default: break;
  }
  if (model == NULL) {
    ink_coreml_no_memory (err);
    return NULL;
  }
  if (p->replace == 11)
    st = ink_imputer_set_replace_double (model, p->replace_d);
  else if (p->replace == 12)
    st = ink_imputer_set_replace_int64 (model, p->replace_i);
  else if (p->replace == 13)
    st = ink_imputer_set_replace_string (model, p->replace_s);
  if (st != INK_OK) {
    ink_model_free (model);
    ink_coreml_no_memory (err);
    return NULL;
  }
  return model;
}

static InkModel *
read_imputer (const InkPbReader *r, InkError *err)
{
  InkPbReader sub = *r;
  InkPbField f;
  ImputerParams p = {0};
  InkModel *model = NULL;
  InkStatus st = INK_OK;
  int rc;

  while (st == INK_OK && (rc = ink_pb_next (&sub, &f, err)) != 0) {
    if (rc < 0)
      st = INK_ERR_FORMAT;
    else
      st = read_imputer_field (&sub, &f, &p, err);
  }
  if (st == INK_OK && p.imputed == 0)
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "Imputer parameter must be set (one of the imputed values, fields 1 to "
                        "7).");
  if (st == INK_OK && p.replace != 0 && p.replace != allowed_replace (p.imputed))
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "Type of given replace value not compatible with input feature type "
                        "(imputed value field %u, replace value field %u).",
                        p.imputed, p.replace);
  if (st == INK_OK)
    model = build_imputer (&p, err);
  imputer_params_clear (&p);
  return model;
}

/* ---- Normalizer (607) and ArrayFeatureExtractor (609) ---- */

static InkModel *
read_normalizer (const InkPbReader *r, InkError *err)
{
  InkPbReader sub = *r;
  InkPbField f;
  int32_t norm = 0;
  InkModel *model = NULL;
  InkStatus st = INK_OK;
  int rc;

  while (st == INK_OK && (rc = ink_pb_next (&sub, &f, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
    } else if (f.number == 1) {
      st = ink_pb_expect (&f, INK_PB_VARINT, "Normalizer.normType (field 1)", err);
      norm = ink_pb_int32 (&f);
    }
  }
  if (st == INK_OK && (norm < INK_NORM_LMAX || norm > INK_NORM_L2))
    st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                        "NormalizerValidator normLx invalid: Normalizer.normType (field 1) has "
                        "the unknown value %" PRId32,
                        norm);
  if (st == INK_OK) {
    model = ink_normalizer_new ((InkNormType) norm);
    if (model == NULL)
      ink_coreml_no_memory (err);
  }
  return model;
}

static InkModel *
read_array_feature_extractor (const InkPbReader *r, InkError *err)
{
  InkPbReader sub = *r;
  InkPbField f;
  int64_t *indices = NULL;
  size_t n = 0, cap = 0;
  InkModel *model = NULL;
  InkStatus st = INK_OK;
  int rc;

  while (st == INK_OK && (rc = ink_pb_next (&sub, &f, err)) != 0) {
    if (rc < 0)
      st = INK_ERR_FORMAT;
    else if (f.number == 1)
      st = ink_pb_append_int64s (&f, &indices, &n, &cap,
                                 "ArrayFeatureExtractor.extractIndex (field 1)", err);
  }
  if (st == INK_OK) {
    /* uint64 on the wire: the same 64 bits. */
    model = ink_array_feature_extractor_new ((const uint64_t *) indices, n);
    if (model == NULL)
      ink_coreml_no_memory (err);
  }
  free (indices);
  return model;
}

InkModel *
ink_coreml_read_feature_model (uint32_t number, const InkPbReader *parent, const InkPbField *body,
                               InkError *err)
{
  const char *name = ink_coreml_type_name (number);
  InkModel *model = NULL;
  InkPbReader r;

  if (ink_coreml_open_message (parent, body, name != NULL ? name : "model", &r, err) == INK_OK) {
    switch (number) {
    case INK_ML_ONE_HOT_ENCODER: model = read_one_hot (&r, err); break;
    case INK_ML_IMPUTER: model = read_imputer (&r, err); break;
    case INK_ML_FEATURE_VECTORIZER: model = read_feature_vectorizer (&r, err); break;
    case INK_ML_DICT_VECTORIZER: model = read_dict_vectorizer (&r, err); break;
    case INK_ML_SCALER: model = read_scaler (&r, err); break;
    case INK_ML_NORMALIZER: model = read_normalizer (&r, err); break;
    case INK_ML_ARRAY_FEATURE_EXTRACTOR: model = read_array_feature_extractor (&r, err); break;
    default: ink_error_set (err, INK_ERR_UNSUPPORTED, "not a feature-engineering model"); break;
    }
  }
  if (model == NULL)
    ink_error_prefix (err, "%s (Model field %u)", name != NULL ? name : "model", number);
  return model;
}

/* ---- Writing ---- */

static void
put_map_entry_string (InkPbWriter *w, InkPbWriter *entry, const char *key, double value)
{
  ink_pb_writer_reset (entry);
  ink_pb_put_string (entry, 1, key);
  ink_pb_put_double (entry, 2, value);
  ink_pb_put_message (w, 1, entry);
}

static void
put_map_entry_int64 (InkPbWriter *w, InkPbWriter *entry, int64_t key, double value)
{
  ink_pb_writer_reset (entry);
  ink_pb_put_int64 (entry, 1, key);
  ink_pb_put_double (entry, 2, value);
  ink_pb_put_message (w, 1, entry);
}

static void
write_imputer (const InkImputer *b, InkPbWriter *w, InkPbWriter *sub, InkPbWriter *entry)
{
  /* Oneof members are written even at their default value. */
  switch (b->imputed) {
  case INK_IMPUTED_DOUBLE: ink_pb_put_double (w, 1, b->imputed_double); break;
  case INK_IMPUTED_INT64: ink_pb_put_int64 (w, 2, b->imputed_int64); break;
  case INK_IMPUTED_STRING: ink_pb_put_string (w, 3, b->imputed_string); break;
  case INK_IMPUTED_DOUBLE_ARRAY:
    ink_pb_put_packed_doubles (sub, 1, b->imputed_doubles, b->n_imputed);
    ink_pb_put_message (w, 4, sub);
    break;
  case INK_IMPUTED_INT64_ARRAY:
    ink_pb_put_packed_int64s (sub, 1, b->imputed_ints, b->n_imputed);
    ink_pb_put_message (w, 5, sub);
    break;
  case INK_IMPUTED_STRING_DICTIONARY:
  case INK_IMPUTED_INT64_DICTIONARY:
    for (size_t i = 0; i < b->dict_keys.n; i++) {
      if (b->dict_keys.is_int64)
        put_map_entry_int64 (sub, entry, b->dict_keys.ints[i], b->dict_values[i]);
      else
        put_map_entry_string (sub, entry, b->dict_keys.strings[i], b->dict_values[i]);
    }
    ink_pb_put_message (w, b->imputed == INK_IMPUTED_STRING_DICTIONARY ? 6 : 7, sub);
    break;
  case INK_IMPUTED_NONE: break;
  }
  switch (b->replace) {
  case INK_REPLACE_DOUBLE: ink_pb_put_double (w, 11, b->replace_double); break;
  case INK_REPLACE_INT64: ink_pb_put_int64 (w, 12, b->replace_int64); break;
  case INK_REPLACE_STRING: ink_pb_put_string (w, 13, b->replace_string); break;
  case INK_REPLACE_NONE: break;
  }
}

static void
write_vectorizer (const InkFeatureVectorizer *v, InkPbWriter *w, InkPbWriter *column)
{
  for (size_t i = 0; i < v->n_columns; i++) {
    ink_pb_writer_reset (column);
    if (v->columns[i].name != NULL && v->columns[i].name[0] != '\0')
      ink_pb_put_string (column, 1, v->columns[i].name);
    if (v->columns[i].dims != 0)
      ink_pb_put_varint (column, 2, (uint64_t) v->columns[i].dims);
    ink_pb_put_message (w, 1, column);
  }
}

/* The body of model into body; its Model.Type field number in *number. */
static InkStatus
write_feature_body (const InkModel *model, InkPbWriter *body, InkPbWriter *sub, InkPbWriter *entry,
                    uint32_t *number, InkError *err)
{
  switch (ink_model_get_kind (model)) {
  case INK_MODEL_ONE_HOT_ENCODER: {
    const InkOneHotEncoder *e = ink_one_hot_encoder_body (model);

    *number = INK_ML_ONE_HOT_ENCODER;
    ink_coreml_write_labels (body, 1, 2, &e->categories);
    if (e->output_sparse)
      ink_pb_put_bool (body, 10, true);
    if (e->ignore_unknown)
      ink_pb_put_varint (body, 11, 1);
    return INK_OK;
  }
  case INK_MODEL_DICT_VECTORIZER:
    *number = INK_ML_DICT_VECTORIZER;
    ink_coreml_write_labels (body, 1, 2, &ink_dict_vectorizer_body (model)->categories);
    return INK_OK;
  case INK_MODEL_FEATURE_VECTORIZER:
    *number = INK_ML_FEATURE_VECTORIZER;
    write_vectorizer (ink_feature_vectorizer_body (model), body, sub);
    return INK_OK;
  case INK_MODEL_SCALER: {
    const InkScaler *s = ink_scaler_body (model);

    *number = INK_ML_SCALER;
    ink_pb_put_packed_doubles (body, 1, s->shift, s->n_shift);
    ink_pb_put_packed_doubles (body, 2, s->scale, s->n_scale);
    return INK_OK;
  }
  case INK_MODEL_IMPUTER:
    *number = INK_ML_IMPUTER;
    write_imputer (ink_imputer_body (model), body, sub, entry);
    return INK_OK;
  case INK_MODEL_NORMALIZER: {
    InkNormType norm = ink_normalizer_body (model)->norm;

    *number = INK_ML_NORMALIZER;
    if (norm != INK_NORM_LMAX)
      ink_pb_put_varint (body, 1, (uint64_t) norm);
    return INK_OK;
  }
  case INK_MODEL_ARRAY_FEATURE_EXTRACTOR: {
    const InkArrayFeatureExtractor *a = ink_array_feature_extractor_body (model);

    *number = INK_ML_ARRAY_FEATURE_EXTRACTOR;
    /* uint64 values, written as the same 64 bits. */
    ink_pb_put_packed_int64s (body, 1, (const int64_t *) a->indices, a->n);
    return INK_OK;
  }
  default:
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "cannot export a %s as Core ML",
                          ink_model_kind_to_string (ink_model_get_kind (model)));
  }
}

InkStatus
ink_coreml_write_feature_model (const InkModel *model, InkPbWriter *w, int *spec_version,
                                InkError *err)
{
  InkPbWriter body, sub, entry;
  uint32_t number = 0;
  InkStatus st;

  if (model == NULL || model->body.any == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no feature-engineering model");
  ink_pb_writer_init (&body);
  ink_pb_writer_init (&sub);
  ink_pb_writer_init (&entry);
  st = write_feature_body (model, &body, &sub, &entry, &number, err);
  if (st == INK_OK) {
    ink_pb_put_message (w, number, &body);
    if (ink_pb_writer_failed (&sub) || ink_pb_writer_failed (&entry) || ink_pb_writer_failed (w))
      st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a Core ML %s",
                          ink_coreml_type_name (number));
  }
  ink_pb_writer_clear (&body);
  ink_pb_writer_clear (&sub);
  ink_pb_writer_clear (&entry);
  /* Every feature-engineering model exists since Core ML 1. */
  if (spec_version != NULL && *spec_version < 1)
    *spec_version = 1;
  return st;
}

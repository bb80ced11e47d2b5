/* ink-coreml-read.c: compiling Core ML .mlmodel files: the Model message,
 * descriptions, pipelines and Core ML's validation rules
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ink-coreml-private.h"
#include "ink-nn-private.h"

/* Core ML model files are small; this only stops absurd allocations. */
#define INK_COREML_MAX_FILE ((size_t) 1 << 31)

static const struct {
  uint32_t number;
  const char *name;
} type_names[] = {
  {200, "pipelineClassifier"},
  {201, "pipelineRegressor"},
  {202, "pipeline"},
  {300, "glmRegressor"},
  {301, "supportVectorRegressor"},
  {302, "treeEnsembleRegressor"},
  {303, "neuralNetworkRegressor"},
  {304, "bayesianProbitRegressor"},
  {400, "glmClassifier"},
  {401, "supportVectorClassifier"},
  {402, "treeEnsembleClassifier"},
  {403, "neuralNetworkClassifier"},
  {404, "kNearestNeighborsClassifier"},
  {500, "neuralNetwork"},
  {501, "itemSimilarityRecommender"},
  {502, "mlProgram"},
  {555, "customModel"},
  {556, "linkedModel"},
  {560, "classConfidenceThresholding"},
  {600, "oneHotEncoder"},
  {601, "imputer"},
  {602, "featureVectorizer"},
  {603, "dictVectorizer"},
  {604, "scaler"},
  {606, "categoricalMapping"},
  {607, "normalizer"},
  {609, "arrayFeatureExtractor"},
  {610, "nonMaximumSuppression"},
  {900, "identity"},
  {2000, "textClassifier"},
  {2001, "wordTagger"},
  {2002, "visionFeaturePrint"},
  {2003, "soundAnalysisPreprocessing"},
  {2004, "gazetteer"},
  {2005, "wordEmbedding"},
  {2006, "audioFeaturePrint"},
  {3000, "serializedModel"},
};

const char *
ink_coreml_type_name (uint32_t number)
{
  for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++) {
    if (type_names[i].number == number)
      return type_names[i].name;
  }
  return NULL;
}

static InkCoremlBodyReader
body_reader (uint32_t number)
{
  switch (number) {
  case INK_ML_NEURAL_NETWORK:
  case INK_ML_NEURAL_NETWORK_CLASSIFIER:
  case INK_ML_NEURAL_NETWORK_REGRESSOR: return ink_coreml_read_network;
  case INK_ML_TREE_ENSEMBLE_CLASSIFIER:
  case INK_ML_TREE_ENSEMBLE_REGRESSOR: return ink_coreml_read_tree_ensemble;
  case INK_ML_GLM_CLASSIFIER:
  case INK_ML_GLM_REGRESSOR: return ink_coreml_read_glm;
  case INK_ML_KNN_CLASSIFIER: return ink_coreml_read_knn;
  case INK_ML_ONE_HOT_ENCODER:
  case INK_ML_IMPUTER:
  case INK_ML_FEATURE_VECTORIZER:
  case INK_ML_DICT_VECTORIZER:
  case INK_ML_SCALER:
  case INK_ML_NORMALIZER:
  case INK_ML_ARRAY_FEATURE_EXTRACTOR: return ink_coreml_read_feature_model;
  default: return NULL;
  }
}

/* Whether a Model field number is one of the Type oneof's members. */
static bool
is_type_field (uint32_t number)
{
  return number >= 200 && number != 1000;
}

/* ---- Shared parameter messages ---- */

InkStatus
ink_coreml_open_message (const InkPbReader *parent, const InkPbField *f, const char *what,
                         InkPbReader *sub, InkError *err)
{
  InkStatus st = ink_pb_expect (f, INK_PB_LEN, what, err);

  if (st != INK_OK)
    return st;
  st = ink_pb_sub (parent, f, sub, err);
  if (st != INK_OK)
    ink_error_prefix (err, "%s", what);
  return st;
}

InkStatus
ink_coreml_no_memory (InkError *err)
{
  return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading a Core ML model");
}

InkStatus
ink_coreml_read_string_vector (const InkPbReader *parent, const InkPbField *f, InkLabels *labels,
                               InkError *err)
{
  InkPbReader sub;
  InkPbField fld;
  int rc;

  ink_labels_clear (labels);
  labels->is_int64 = false;
  if (ink_pb_open (parent, f, "StringVector", &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&sub, &fld, err)) > 0) {
    char *s;
    bool ok;
    if (fld.number != 1)
      continue;
    s = ink_pb_string (&fld, "StringVector.vector (field 1)", err);
    if (s == NULL)
      return INK_ERR_FORMAT;
    ok = ink_labels_append_string (labels, s);
    free (s);
    if (!ok)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

InkStatus
ink_coreml_read_int64_vector (const InkPbReader *parent, const InkPbField *f, InkLabels *labels,
                              InkError *err)
{
  InkPbReader sub;
  InkPbField fld;
  int64_t *v = NULL;
  size_t n = 0, cap = 0;
  int rc;

  ink_labels_clear (labels);
  labels->is_int64 = true;
  if (ink_pb_open (parent, f, "Int64Vector", &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&sub, &fld, err)) > 0) {
    if (fld.number == 1 &&
        ink_pb_append_int64s (&fld, &v, &n, &cap, "Int64Vector.vector (field 1)", err) != INK_OK) {
      free (v);
      return INK_ERR_FORMAT;
    }
  }
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (!ink_labels_append_int64 (labels, v[i])) {
      free (v);
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    }
  }
  free (v);
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

/* Int64Range / DoubleRange: 1 minValue, 2 maxValue. */
static InkStatus
read_range (const InkPbReader *parent, const InkPbField *f, bool is_double, double *lo, double *hi,
            InkError *err)
{
  InkPbReader sub;
  InkPbField fld;
  int rc;

  *lo = *hi = 0.0;
  if (ink_pb_open (parent, f, "range", &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&sub, &fld, err)) > 0) {
    double v;
    if (fld.number != 1 && fld.number != 2)
      continue;
    if (ink_pb_expect (&fld, is_double ? INK_PB_I64 : INK_PB_VARINT, "range bound", err) != INK_OK)
      return INK_ERR_FORMAT;
    v = is_double ? ink_pb_double (&fld) : (double) ink_pb_int64 (&fld);
    *(fld.number == 1 ? lo : hi) = v;
  }
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

InkStatus
ink_coreml_read_parameter (const InkPbReader *parent, const InkPbField *f, const char *key,
                           InkParamType type, InkUpdateParameter *p, int64_t **set_storage,
                           InkError *err)
{
  InkPbReader sub;
  InkPbField fld;
  size_t cap = 0;
  int rc;

  memset (p, 0, sizeof *p);
  p->key = key;
  p->type = type;
  *set_storage = NULL;
  if (ink_pb_open (parent, f, key, &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&sub, &fld, err)) > 0) {
    InkStatus st = INK_OK;
    switch (fld.number) {
    case 1: /* defaultValue */
      if (type == INK_PARAM_DOUBLE) {
        st = ink_pb_expect (&fld, INK_PB_I64, key, err);
        p->default_value = ink_pb_double (&fld);
      } else {
        st = ink_pb_expect (&fld, INK_PB_VARINT, key, err);
        p->default_value =
          type == INK_PARAM_BOOL ? (ink_pb_bool (&fld) ? 1.0 : 0.0) : (double) ink_pb_int64 (&fld);
      }
      break;
    case 10: /* range */
      if (type != INK_PARAM_BOOL) {
        st = read_range (&sub, &fld, type == INK_PARAM_DOUBLE, &p->min, &p->max, err);
        p->has_range = true;
      }
      break;
    case 11: /* set (Int64Set: 1 values) */
      if (type == INK_PARAM_INT64) {
        InkPbReader set;
        InkPbField v;
        int rc2;
        st = ink_pb_open (&sub, &fld, "Int64Set", &set, err);
        while (st == INK_OK && (rc2 = ink_pb_next (&set, &v, err)) != 0) {
          if (rc2 < 0)
            st = INK_ERR_FORMAT;
          else if (v.number == 1)
            st = ink_pb_append_int64s (&v, set_storage, &p->n_set, &cap, "Int64Set.values", err);
        }
        p->set = *set_storage;
      }
      break;
    default: break;
    }
    if (st != INK_OK) {
      free (*set_storage);
      *set_storage = NULL;
      return INK_ERR_FORMAT;
    }
  }
  if (rc < 0) {
    free (*set_storage);
    *set_storage = NULL;
    return INK_ERR_FORMAT;
  }
  return INK_OK;
}

/* ---- Feature types and descriptions ---- */

static InkStatus
read_size_range (const InkPbReader *parent, const InkPbField *f, int64_t *lo, int64_t *hi,
                 InkError *err)
{
  InkPbReader sub;
  InkPbField fld;
  int rc;

  *lo = 0;
  *hi = 0;
  if (ink_pb_open (parent, f, "SizeRange", &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&sub, &fld, err)) > 0) {
    if (fld.number != 1 && fld.number != 2)
      continue;
    if (ink_pb_expect (&fld, INK_PB_VARINT, "SizeRange bound", err) != INK_OK)
      return INK_ERR_FORMAT;
    *(fld.number == 1 ? lo : hi) = ink_pb_int64 (&fld);
  }
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

static InkStatus
read_image_type (const InkPbReader *parent, const InkPbField *f, InkFeatureType *t,
                 InkImageSize **sizes, InkError *err)
{
  InkPbReader sub, inner, item;
  InkPbField fld, g, h;
  size_t n = 0, cap = 0;
  int rc, rc2, rc3;

  t->type = INK_VALUE_IMAGE;
  if (ink_pb_open (parent, f, "ImageFeatureType", &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&sub, &fld, err)) > 0) {
    switch (fld.number) {
    case 1:
    case 2:
      if (ink_pb_expect (&fld, INK_PB_VARINT, "ImageFeatureType size", err) != INK_OK)
        return INK_ERR_FORMAT;
      *(fld.number == 1 ? &t->image.width : &t->image.height) = ink_pb_int64 (&fld);
      break;
    case 3: /* colorSpace */
      if (ink_pb_expect (&fld, INK_PB_VARINT, "ImageFeatureType.colorSpace", err) != INK_OK)
        return INK_ERR_FORMAT;
      switch (ink_pb_int32 (&fld)) {
      case 10: t->image.format = INK_PIXEL_GRAY8; break;
      case 20: t->image.format = INK_PIXEL_RGBA8; break;
      case 30: t->image.format = INK_PIXEL_BGRA8; break;
      default:
        return ink_error_set (err, INK_ERR_UNSUPPORTED,
                              "image colour space %d (ImageFeatureType field 3) is not supported",
                              ink_pb_int32 (&fld));
      }
      break;
    case 21: /* enumeratedSizes: 1 sizes { 1 width, 2 height } */
      if (ink_pb_open (&sub, &fld, "EnumeratedImageSizes", &inner, err) != INK_OK)
        return INK_ERR_FORMAT;
      while ((rc2 = ink_pb_next (&inner, &g, err)) > 0) {
        InkImageSize size = {0, 0};
        if (g.number != 1)
          continue;
        if (ink_pb_open (&inner, &g, "ImageSize", &item, err) != INK_OK)
          return INK_ERR_FORMAT;
        while ((rc3 = ink_pb_next (&item, &h, err)) > 0) {
          if ((h.number == 1 || h.number == 2) &&
              ink_pb_expect (&h, INK_PB_VARINT, "ImageSize", err) != INK_OK)
            return INK_ERR_FORMAT;
          if (h.number == 1)
            size.width = ink_pb_int64 (&h);
          else if (h.number == 2)
            size.height = ink_pb_int64 (&h);
        }
        if (rc3 < 0 || !ink_grow ((void **) sizes, sizeof **sizes, n, &cap))
          return rc3 < 0 ? INK_ERR_FORMAT : ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
        (*sizes)[n++] = size;
      }
      if (rc2 < 0)
        return INK_ERR_FORMAT;
      t->image.sizes = *sizes;
      t->image.n_sizes = n;
      break;
    case 31: /* imageSizeRange: 1 widthRange, 2 heightRange */
      if (ink_pb_open (&sub, &fld, "ImageSizeRange", &inner, err) != INK_OK)
        return INK_ERR_FORMAT;
      t->image.has_range = true;
      while ((rc2 = ink_pb_next (&inner, &g, err)) > 0) {
        if (g.number == 1 &&
            read_size_range (&inner, &g, &t->image.min_width, &t->image.max_width, err) != INK_OK)
          return INK_ERR_FORMAT;
        if (g.number == 2 &&
            read_size_range (&inner, &g, &t->image.min_height, &t->image.max_height, err) != INK_OK)
          return INK_ERR_FORMAT;
      }
      if (rc2 < 0)
        return INK_ERR_FORMAT;
      break;
    default: break;
    }
  }
  if (rc < 0)
    return INK_ERR_FORMAT;
  /* With flexibility and no default size, the first size or the lower
   * bounds are the default (Core ML's rule). */
  if (t->image.width <= 0 && t->image.n_sizes > 0)
    t->image.width = t->image.sizes[0].width, t->image.height = t->image.sizes[0].height;
  if (t->image.width <= 0 && t->image.has_range)
    t->image.width = t->image.min_width, t->image.height = t->image.min_height;
  if (t->image.width <= 0 || t->image.height <= 0 || t->image.width > (1 << 20) ||
      t->image.height > (1 << 20))
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "an image feature has an invalid size %lldx%lld",
                          (long long) t->image.width, (long long) t->image.height);
  return INK_OK;
}

static InkStatus
read_array_type (const InkPbReader *parent, const InkPbField *f, InkFeatureType *t, InkError *err)
{
  InkPbReader sub;
  InkPbField fld;
  int64_t *shape = NULL;
  size_t n = 0, cap = 0;
  int rc;

  t->type = INK_VALUE_MULTIARRAY;
  t->array_type = INK_ARRAY_FLOAT64;
  if (ink_pb_open (parent, f, "ArrayFeatureType", &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&sub, &fld, err)) > 0) {
    if (fld.number == 1) {
      if (ink_pb_append_int64s (&fld, &shape, &n, &cap, "ArrayFeatureType.shape (field 1)", err) !=
          INK_OK) {
        free (shape);
        return INK_ERR_FORMAT;
      }
    } else if (fld.number == 2) {
      if (ink_pb_expect (&fld, INK_PB_VARINT, "ArrayFeatureType.dataType (field 2)", err) !=
          INK_OK) {
        free (shape);
        return INK_ERR_FORMAT;
      }
      switch (ink_pb_int32 (&fld)) {
      case 65568: t->array_type = INK_ARRAY_FLOAT32; break;
      case 65600: t->array_type = INK_ARRAY_FLOAT64; break;
      case 131104: t->array_type = INK_ARRAY_INT32; break;
      /* Float16 arrays are computed in float32, as Core ML does on the CPU. */
      case 65552: t->array_type = INK_ARRAY_FLOAT32; break;
      default:
        free (shape);
        return ink_error_set (err, INK_ERR_UNSUPPORTED,
                              "multi-array data type %d (ArrayFeatureType field 2) is not "
                              "supported",
                              ink_pb_int32 (&fld));
      }
    }
  }
  if (rc < 0 || n > INK_MAX_RANK) {
    free (shape);
    return rc < 0 ? INK_ERR_FORMAT
                  : ink_error_set (err, INK_ERR_UNSUPPORTED,
                                   "a multi-array of rank %zu is not supported", n);
  }
  for (size_t i = 0; i < n; i++) {
    if (shape[i] < 0) {
      free (shape);
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "a multi-array has a negative dimension");
    }
    t->shape[i] = shape[i];
  }
  t->rank = n;
  free (shape);
  return INK_OK;
}

static InkStatus
read_simple_oneof (const InkPbReader *parent, const InkPbField *f, const char *what,
                   uint32_t *choice, InkError *err)
{
  InkPbReader sub;
  InkPbField fld;
  int rc;

  *choice = 0;
  if (ink_pb_open (parent, f, what, &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&sub, &fld, err)) > 0) {
    if (*choice == 0 && fld.wire == INK_PB_LEN)
      *choice = fld.number;
  }
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

static InkStatus
read_feature_type (const InkPbReader *parent, const InkPbField *f, InkFeatureType *t,
                   InkImageSize **sizes, InkError *err)
{
  InkPbReader sub;
  InkPbField fld;
  uint32_t choice;
  int rc;

  memset (t, 0, sizeof *t);
  if (ink_pb_open (parent, f, "FeatureType", &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&sub, &fld, err)) > 0) {
    InkStatus st = INK_OK;
    switch (fld.number) {
    case 1: t->type = INK_VALUE_INT64; break;
    case 2: t->type = INK_VALUE_DOUBLE; break;
    case 3: t->type = INK_VALUE_STRING; break;
    case 4: st = read_image_type (&sub, &fld, t, sizes, err); break;
    case 5: st = read_array_type (&sub, &fld, t, err); break;
    case 6:
      t->type = INK_VALUE_DICTIONARY;
      st = read_simple_oneof (&sub, &fld, "DictionaryFeatureType", &choice, err);
      t->key_type = choice == 2 ? INK_KEY_STRING : INK_KEY_INT64;
      break;
    case 7:
      t->type = INK_VALUE_SEQUENCE;
      st = read_simple_oneof (&sub, &fld, "SequenceFeatureType", &choice, err);
      t->element_type = choice == 3 ? INK_VALUE_STRING : INK_VALUE_INT64;
      break;
    case 8:
      return ink_error_set (err, INK_ERR_UNSUPPORTED,
                            "state features (FeatureType field 8) are not supported");
    case 1000:
      if (ink_pb_expect (&fld, INK_PB_VARINT, "FeatureType.isOptional (field 1000)", err) != INK_OK)
        return INK_ERR_FORMAT;
      t->optional = ink_pb_bool (&fld);
      break;
    default: break;
    }
    if (st != INK_OK)
      return st;
  }
  if (rc < 0)
    return INK_ERR_FORMAT;
  if (t->type == INK_VALUE_INVALID)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "a feature has no type");
  return INK_OK;
}

typedef InkStatus (*AddFeature) (InkModel *, const char *, const InkFeatureType *, const char *,
                                 InkError *);

static InkStatus
read_feature (InkModel *m, const InkPbReader *parent, const InkPbField *f, AddFeature add,
              const char *what, InkError *err)
{
  InkPbReader sub;
  InkPbField fld;
  char *name = NULL, *sd = NULL;
  InkImageSize *sizes = NULL;
  InkFeatureType t;
  bool have_type = false;
  InkStatus st = INK_OK;
  int rc;

  if (ink_pb_open (parent, f, what, &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while (st == INK_OK && (rc = ink_pb_next (&sub, &fld, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
    } else if (fld.number == 1) {
      free (name);
      name = ink_pb_string (&fld, "FeatureDescription.name", err);
      st = name != NULL ? INK_OK : INK_ERR_FORMAT;
    } else if (fld.number == 2) {
      free (sd);
      sd = ink_pb_string (&fld, "FeatureDescription.shortDescription", err);
      st = sd != NULL ? INK_OK : INK_ERR_FORMAT;
    } else if (fld.number == 3) {
      free (sizes);
      sizes = NULL;
      st = read_feature_type (&sub, &fld, &t, &sizes, err);
      have_type = st == INK_OK;
    }
  }
  if (st == INK_OK && (name == NULL || !have_type))
    st = ink_error_set (err, INK_ERR_INVALID_MODEL, "an %s has no %s", what,
                        name == NULL ? "name" : "type");
  if (st == INK_OK)
    st = add (m, name, &t, sd, err);
  if (st != INK_OK && name != NULL && err != NULL && strstr (err->message, name) == NULL)
    ink_error_prefix (err, "%s '%s'", what, name);
  free (name);
  free (sd);
  free (sizes);
  return st;
}

static InkStatus
read_metadata (InkModel *m, const InkPbReader *parent, const InkPbField *f, InkError *err)
{
  InkPbReader sub, entry;
  InkPbField fld, g;
  int rc, rc2;

  if (ink_pb_open (parent, f, "Metadata", &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&sub, &fld, err)) > 0) {
    InkMetadata md = {NULL, NULL, NULL, NULL};
    char *s;
    if (fld.number >= 1 && fld.number <= 4) {
      s = ink_pb_string (&fld, "Metadata", err);
      if (s == NULL)
        return INK_ERR_FORMAT;
      if (fld.number == 1)
        md.short_description = s;
      else if (fld.number == 2)
        md.version = s;
      else if (fld.number == 3)
        md.author = s;
      else
        md.license = s;
      ink_model_set_metadata (m, &md);
      free (s);
    } else if (fld.number == 100) {
      char *key = NULL, *value = NULL;
      if (ink_pb_open (&sub, &fld, "Metadata.userDefined", &entry, err) != INK_OK)
        return INK_ERR_FORMAT;
      while ((rc2 = ink_pb_next (&entry, &g, err)) > 0) {
        if (g.number == 1 || g.number == 2) {
          char **slot = g.number == 1 ? &key : &value;
          free (*slot);
          *slot = ink_pb_string (&g, "Metadata.userDefined", err);
          if (*slot == NULL)
            rc2 = -1;
        }
        if (rc2 < 0)
          break;
      }
      if (rc2 == 0)
        ink_model_set_user_metadata (m, key != NULL ? key : "", value != NULL ? value : "");
      free (key);
      free (value);
      if (rc2 < 0)
        return INK_ERR_FORMAT;
    }
  }
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

static InkStatus
read_description (InkModel *m, const InkPbReader *parent, const InkPbField *f, InkError *err)
{
  InkPbReader sub;
  InkPbField fld;
  int rc;

  if (ink_pb_open (parent, f, "ModelDescription", &sub, err) != INK_OK)
    return INK_ERR_FORMAT;
  while ((rc = ink_pb_next (&sub, &fld, err)) > 0) {
    InkStatus st = INK_OK;
    char *s;
    switch (fld.number) {
    case 1: st = read_feature (m, &sub, &fld, ink_model_add_input, "input", err); break;
    case 10: st = read_feature (m, &sub, &fld, ink_model_add_output, "output", err); break;
    case 50:
      st = read_feature (m, &sub, &fld, ink_model_add_training_input, "training input", err);
      break;
    case 11:
    case 12:
      s = ink_pb_string (&fld, "ModelDescription predicted name", err);
      if (s == NULL)
        return INK_ERR_FORMAT;
      if (fld.number == 11)
        ink_model_set_predicted_feature_name (m, s);
      else
        ink_model_set_predicted_probabilities_name (m, s);
      free (s);
      break;
    case 100: st = read_metadata (m, &sub, &fld, err); break;
    case 20:
      return ink_error_set (err, INK_ERR_UNSUPPORTED,
                            "multi-function models (ModelDescription field 20) are not supported");
    default: break;
    }
    if (st != INK_OK)
      return st;
  }
  return rc < 0 ? INK_ERR_FORMAT : INK_OK;
}

/* ---- Pipelines ---- */

static InkModel *
read_pipeline (uint32_t number, const InkPbReader *parent, const InkPbField *body, InkError *err)
{
  InkModelKind kind = number == INK_ML_PIPELINE_CLASSIFIER  ? INK_MODEL_PIPELINE_CLASSIFIER
                      : number == INK_ML_PIPELINE_REGRESSOR ? INK_MODEL_PIPELINE_REGRESSOR
                                                            : INK_MODEL_PIPELINE;
  InkModel *m = ink_pipeline_new (kind);
  InkModel **stages = NULL;
  char **names = NULL;
  size_t n_stages = 0, cap_stages = 0, n_names = 0, cap_names = 0;
  InkPbReader sub, pipe;
  InkPbField fld, g;
  InkStatus st = INK_OK;
  int rc;

  if (m == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  st = ink_pb_open (parent, body, ink_coreml_type_name (number), &sub, err);
  /* PipelineClassifier and PipelineRegressor wrap a Pipeline in field 1. */
  if (st == INK_OK && number != INK_ML_PIPELINE) {
    bool found = false;
    while (st == INK_OK && (rc = ink_pb_next (&sub, &fld, err)) != 0) {
      if (rc < 0)
        st = INK_ERR_FORMAT;
      else if (fld.number == 1 && !found) {
        st = ink_pb_open (&sub, &fld, "Pipeline", &pipe, err);
        found = true;
      }
    }
    if (st == INK_OK && !found)
      ink_pb_reader_init (&pipe, NULL, 0);
  } else {
    pipe = sub;
  }
  while (st == INK_OK && (rc = ink_pb_next (&pipe, &g, err)) != 0) {
    if (rc < 0) {
      st = INK_ERR_FORMAT;
    } else if (g.number == 1) {
      InkPbReader child;
      InkModel *stage;
      st = ink_pb_open (&pipe, &g, "Pipeline.models (field 1)", &child, err);
      stage = st == INK_OK ? ink_coreml_read_model (&child, err) : NULL;
      if (stage == NULL) {
        st = err != NULL && err->status != INK_OK ? err->status : INK_ERR_FORMAT;
        ink_error_prefix (err, "pipeline model %zu", n_stages);
      } else if (!INK_GROW (stages, n_stages, cap_stages)) {
        ink_model_free (stage);
        st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
      } else {
        stages[n_stages++] = stage;
      }
    } else if (g.number == 2) {
      char *s = ink_pb_string (&g, "Pipeline.names (field 2)", err);
      if (s == NULL || !INK_GROW (names, n_names, cap_names)) {
        free (s);
        st = s == NULL ? INK_ERR_FORMAT : ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
      } else {
        names[n_names++] = s;
      }
    }
  }
  if (st == INK_OK && n_names > 0 && n_names != n_stages)
    st = ink_error_set (err, INK_ERR_INVALID_MODEL, "the pipeline has %zu models but %zu names",
                        n_stages, n_names);
  for (size_t i = 0; i < n_stages; i++) {
    if (st == INK_OK)
      st = ink_pipeline_add_model (m, n_names > 0 ? names[i] : NULL, stages[i], err);
    else
      ink_model_free (stages[i]);
  }
  free (stages);
  ink_strv_free (names, n_names);
  if (st != INK_OK) {
    ink_model_free (m);
    return NULL;
  }
  return m;
}

/* ---- Core ML's validation rules for updatable models ---- */

static bool
is_training_input (const InkModel *m, const char *name)
{
  const InkModelDescription *d = ink_model_get_description (m);

  for (size_t i = 0; i < ink_description_n_training_inputs (d); i++) {
    if (strcmp (ink_description_training_input (d, i)->name, name) == 0)
      return true;
  }
  return false;
}

static bool
kind_may_update (InkModelKind kind)
{
  return ink_model_kind_is_network (kind) || ink_model_kind_is_pipeline (kind) ||
         kind == INK_MODEL_KNN_CLASSIFIER;
}

static bool
is_training_input_of (const InkModel *m, const InkModel *top, const char *name)
{
  return is_training_input (m, name) || is_training_input (top, name);
}

static InkStatus
validate_updatable (const InkModel *m, const InkModel *top, InkError *err)
{
  if (!ink_description_is_updatable (ink_model_get_description (m)))
    return INK_OK;
  if (!kind_may_update (m->kind))
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "This model type is not supported for on-device update (%s).",
                          ink_model_kind_to_string (m->kind));
  if (m->spec_version < 4)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "Model specification version for an updatable model must be '4' or "
                          "above (this one is %d).",
                          m->spec_version);
  if (ink_model_kind_is_network (m->kind)) {
    const InkNetwork *nn = m->body.nn;
    if (!nn->has_loss)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "an updatable neural network needs a loss layer");
    if (!is_training_input_of (m, top, nn->loss_target))
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "the loss layer '%s' has the target '%s', which is not one of the "
                            "model's training inputs",
                            nn->loss_name, nn->loss_target);
  }
  return INK_OK;
}

/* ---- The Model message ---- */

static InkStatus
reject_type (uint32_t number, InkError *err)
{
  const char *name = ink_coreml_type_name (number);

  if (name != NULL)
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "the Core ML model type %s (Model field %u) is not supported", name,
                          number);
  return ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "an unknown Core ML model type (Model field %u) is not supported", number);
}

InkModel *
ink_coreml_read_model (const InkPbReader *r, InkError *err)
{
  InkPbReader reader = *r;
  InkPbField fld, desc = {0}, body = {0};
  bool have_desc = false, have_body = false, updatable = false;
  int64_t spec = 0;
  InkModel *m = NULL;
  InkCoremlBodyReader read_body;
  int rc;

  while ((rc = ink_pb_next (&reader, &fld, err)) > 0) {
    if (fld.number == 1) {
      if (ink_pb_expect (&fld, INK_PB_VARINT, "Model.specificationVersion (field 1)", err) !=
          INK_OK)
        return NULL;
      spec = ink_pb_int64 (&fld);
    } else if (fld.number == 2) {
      desc = fld;
      have_desc = true;
    } else if (fld.number == 10) {
      if (ink_pb_expect (&fld, INK_PB_VARINT, "Model.isUpdatable (field 10)", err) != INK_OK)
        return NULL;
      updatable = ink_pb_bool (&fld);
    } else if (is_type_field (fld.number) && !have_body) {
      body = fld;
      have_body = true;
    }
  }
  if (rc < 0)
    return NULL;
  if (!have_body) {
    ink_error_set (err, INK_ERR_INVALID_MODEL, "the Core ML model has no model type");
    return NULL;
  }
  if (spec < 1 || spec > 1000) {
    ink_error_set (err, INK_ERR_INVALID_MODEL, "invalid specification version %lld",
                   (long long) spec);
    return NULL;
  }
  if (body.number == INK_ML_PIPELINE || body.number == INK_ML_PIPELINE_CLASSIFIER ||
      body.number == INK_ML_PIPELINE_REGRESSOR) {
    m = read_pipeline (body.number, r, &body, err);
  } else {
    read_body = body_reader (body.number);
    if (read_body == NULL) {
      reject_type (body.number, err);
      return NULL;
    }
    m = read_body (body.number, r, &body, err);
  }
  if (m == NULL)
    return NULL;
  m->spec_version = (int) spec;
  if ((have_desc && read_description (m, r, &desc, err) != INK_OK) ||
      ink_model_set_updatable (m, updatable) != INK_OK) {
    ink_model_free (m);
    return NULL;
  }
  return m;
}

/* Checks the validator's rules over a model and its pipeline stages. */
static InkStatus
validate (const InkModel *m, const InkModel *top, InkError *err)
{
  InkStatus st = validate_updatable (m, top, err);

  if (st == INK_OK && ink_model_kind_is_pipeline (m->kind)) {
    size_t n = ink_pipeline_n_models (m);
    for (size_t i = 0; st == INK_OK && i < n; i++) {
      InkModel *stage = ink_pipeline_get_model ((InkModel *) m, i);
      bool stage_updatable = ink_description_is_updatable (ink_model_get_description (stage));
      if (stage_updatable && !ink_description_is_updatable (ink_model_get_description (m)))
        return ink_error_set (err, INK_ERR_INVALID_MODEL,
                              "a pipeline that is not updatable contains the updatable model "
                              "'%s'",
                              ink_pipeline_get_name (m, i));
      if (stage_updatable && i + 1 != n)
        return ink_error_set (err, INK_ERR_INVALID_MODEL,
                              "only the last model of an updatable pipeline may be updatable "
                              "('%s' is not the last)",
                              ink_pipeline_get_name (m, i));
      st = validate (stage, top, err);
    }
  }
  return st;
}

InkModel *
ink_coreml_compile_memory (const uint8_t *data, size_t size, InkError *err)
{
  InkPbReader r;
  InkModel *m;

  if (data == NULL && size > 0) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no data");
    return NULL;
  }
  ink_pb_reader_init (&r, data, size);
  m = ink_coreml_read_model (&r, err);
  if (m == NULL)
    return NULL;
  if (validate (m, m, err) != INK_OK || ink_model_finish (m, err) != INK_OK) {
    ink_model_free (m);
    return NULL;
  }
  return m;
}

InkModel *
ink_coreml_compile_file (const char *path, InkError *err)
{
  struct stat st;
  void *map;
  InkModel *m;
  int fd;

  if (path == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no model path");
    return NULL;
  }
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ink_error_set (err, INK_ERR_IO, "cannot open %s: %s", path, strerror (errno));
    return NULL;
  }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
    ink_error_set (err, INK_ERR_IO, "%s is not a regular file", path);
    close (fd);
    return NULL;
  }
  if ((uint64_t) st.st_size > INK_COREML_MAX_FILE) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is too large for a Core ML model", path);
    close (fd);
    return NULL;
  }
  if (st.st_size == 0) {
    close (fd);
    ink_error_set (err, INK_ERR_FORMAT, "%s is empty", path);
    return NULL;
  }
  map = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (map == MAP_FAILED) {
    ink_error_set (err, INK_ERR_IO, "cannot read %s: %s", path, strerror (errno));
    return NULL;
  }
  m = ink_coreml_compile_memory (map, (size_t) st.st_size, err);
  munmap (map, (size_t) st.st_size);
  if (m == NULL)
    ink_error_prefix (err, "%s", path);
  return m;
}

int
ink_coreml_sniff (const uint8_t *data, size_t size)
{
  /* A Core ML file is a protobuf Model whose first field is almost always
   * specificationVersion (key byte 0x08); an .inkmodel starts with its magic. */
  if (size >= 8 && memcmp (data, "INKMODEL", 8) == 0)
    return 0;
  return size >= 2 && (data[0] == 0x08 || data[0] == 0x12);
}

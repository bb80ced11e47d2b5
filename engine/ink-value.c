/* ink-value.c: feature values
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-value.h"

#include <stdlib.h>
#include <string.h>

#include "ink-util-private.h"

typedef struct {
  char *string_key;
  int64_t int_key;
  double value;
} DictEntry;

struct InkValue {
  InkValueType type;
  union {
    int64_t i;
    double d;
    char *s;
    struct {
      InkArrayType type;
      size_t rank;
      int64_t shape[INK_MAX_RANK];
      size_t count;
      void *data;
    } array;
    struct {
      InkPixelFormat format;
      int width, height;
      uint8_t *pixels;
    } image;
    struct {
      InkKeyType key_type;
      DictEntry *entries;
      size_t n, cap;
    } dict;
    struct {
      InkValueType element_type;
      InkValue **items;
      size_t n, cap;
    } seq;
  } u;
};

static InkValue *
value_new (InkValueType type)
{
  InkValue *v = calloc (1, sizeof *v);

  if (v != NULL)
    v->type = type;
  return v;
}

InkValue *
ink_value_new_int64 (int64_t x)
{
  InkValue *v = value_new (INK_VALUE_INT64);

  if (v != NULL)
    v->u.i = x;
  return v;
}

InkValue *
ink_value_new_double (double x)
{
  InkValue *v = value_new (INK_VALUE_DOUBLE);

  if (v != NULL)
    v->u.d = x;
  return v;
}

InkValue *
ink_value_new_string (const char *x)
{
  InkValue *v = value_new (INK_VALUE_STRING);

  if (v == NULL)
    return NULL;
  v->u.s = ink_strdup (x != NULL ? x : "");
  if (v->u.s == NULL) {
    free (v);
    return NULL;
  }
  return v;
}

static size_t
array_element_size (InkArrayType type)
{
  switch (type) {
  case INK_ARRAY_FLOAT32: return sizeof (float);
  case INK_ARRAY_FLOAT64: return sizeof (double);
  case INK_ARRAY_INT32: return sizeof (int32_t);
  }
  return 0;
}

InkValue *
ink_value_new_multiarray (InkArrayType type, size_t rank, const int64_t *shape, const void *data)
{
  size_t count = 1;
  size_t esize = array_element_size (type);
  InkValue *v;

  if (rank == 0 || rank > INK_MAX_RANK || shape == NULL || esize == 0)
    return NULL;
  for (size_t i = 0; i < rank; i++) {
    if (shape[i] < 0 || !ink_size_mul (count, (size_t) shape[i], &count))
      return NULL;
  }
  if (count > SIZE_MAX / esize)
    return NULL;
  v = value_new (INK_VALUE_MULTIARRAY);
  if (v == NULL)
    return NULL;
  v->u.array.type = type;
  v->u.array.rank = rank;
  memcpy (v->u.array.shape, shape, rank * sizeof *shape);
  v->u.array.count = count;
  v->u.array.data = calloc (count > 0 ? count : 1, esize);
  if (v->u.array.data == NULL) {
    free (v);
    return NULL;
  }
  if (data != NULL && count > 0)
    memcpy (v->u.array.data, data, count * esize);
  return v;
}

size_t
ink_pixel_format_bytes (InkPixelFormat format)
{
  return format == INK_PIXEL_GRAY8 ? 1 : 4;
}

InkValue *
ink_value_new_image (InkPixelFormat format, int width, int height, size_t stride,
                     const uint8_t *pixels)
{
  size_t bpp = ink_pixel_format_bytes (format);
  size_t row, total;
  InkValue *v;

  if (width <= 0 || height <= 0 || (unsigned) format > INK_PIXEL_BGRA8)
    return NULL;
  if (!ink_size_mul ((size_t) width, bpp, &row) || !ink_size_mul (row, (size_t) height, &total))
    return NULL;
  if (pixels != NULL && stride < row)
    return NULL;
  v = value_new (INK_VALUE_IMAGE);
  if (v == NULL)
    return NULL;
  v->u.image.format = format;
  v->u.image.width = width;
  v->u.image.height = height;
  v->u.image.pixels = calloc (total, 1);
  if (v->u.image.pixels == NULL) {
    free (v);
    return NULL;
  }
  if (pixels != NULL) {
    for (int y = 0; y < height; y++)
      memcpy (v->u.image.pixels + (size_t) y * row, pixels + (size_t) y * stride, row);
  }
  return v;
}

InkValue *
ink_value_new_dictionary (InkKeyType key_type)
{
  InkValue *v = value_new (INK_VALUE_DICTIONARY);

  if (v != NULL)
    v->u.dict.key_type = key_type;
  return v;
}

InkValue *
ink_value_new_sequence (InkValueType element_type)
{
  InkValue *v;

  if (element_type != INK_VALUE_INT64 && element_type != INK_VALUE_STRING)
    return NULL;
  v = value_new (INK_VALUE_SEQUENCE);
  if (v != NULL)
    v->u.seq.element_type = element_type;
  return v;
}

void
ink_value_free (InkValue *v)
{
  if (v == NULL)
    return;
  switch (v->type) {
  case INK_VALUE_STRING: free (v->u.s); break;
  case INK_VALUE_MULTIARRAY: free (v->u.array.data); break;
  case INK_VALUE_IMAGE: free (v->u.image.pixels); break;
  case INK_VALUE_DICTIONARY:
    for (size_t i = 0; i < v->u.dict.n; i++)
      free (v->u.dict.entries[i].string_key);
    free (v->u.dict.entries);
    break;
  case INK_VALUE_SEQUENCE:
    for (size_t i = 0; i < v->u.seq.n; i++)
      ink_value_free (v->u.seq.items[i]);
    free (v->u.seq.items);
    break;
  case INK_VALUE_INVALID:
  case INK_VALUE_INT64:
  case INK_VALUE_DOUBLE: break;
  }
  free (v);
}

InkValue *
ink_value_copy (const InkValue *v)
{
  InkValue *c = NULL;

  if (v == NULL)
    return NULL;
  switch (v->type) {
  case INK_VALUE_INT64: return ink_value_new_int64 (v->u.i);
  case INK_VALUE_DOUBLE: return ink_value_new_double (v->u.d);
  case INK_VALUE_STRING: return ink_value_new_string (v->u.s);
  case INK_VALUE_MULTIARRAY:
    return ink_value_new_multiarray (v->u.array.type, v->u.array.rank, v->u.array.shape,
                                     v->u.array.data);
  case INK_VALUE_IMAGE:
    return ink_value_new_image (v->u.image.format, v->u.image.width, v->u.image.height,
                                ink_value_image_stride (v), v->u.image.pixels);
  case INK_VALUE_DICTIONARY:
    c = ink_value_new_dictionary (v->u.dict.key_type);
    for (size_t i = 0; c != NULL && i < v->u.dict.n; i++) {
      const DictEntry *e = &v->u.dict.entries[i];
      InkStatus st = v->u.dict.key_type == INK_KEY_STRING
                       ? ink_value_dictionary_set_string (c, e->string_key, e->value)
                       : ink_value_dictionary_set_int64 (c, e->int_key, e->value);
      if (st != INK_OK) {
        ink_value_free (c);
        c = NULL;
      }
    }
    return c;
  case INK_VALUE_SEQUENCE:
    c = ink_value_new_sequence (v->u.seq.element_type);
    for (size_t i = 0; c != NULL && i < v->u.seq.n; i++) {
      if (ink_value_sequence_append (c, ink_value_copy (v->u.seq.items[i])) != INK_OK) {
        ink_value_free (c);
        c = NULL;
      }
    }
    return c;
  case INK_VALUE_INVALID: break;
  }
  return NULL;
}

InkValueType
ink_value_get_type (const InkValue *v)
{
  return v != NULL ? v->type : INK_VALUE_INVALID;
}

const char *
ink_value_type_to_string (InkValueType type)
{
  switch (type) {
  case INK_VALUE_INT64: return "Int64";
  case INK_VALUE_DOUBLE: return "Double";
  case INK_VALUE_STRING: return "String";
  case INK_VALUE_MULTIARRAY: return "MultiArray";
  case INK_VALUE_IMAGE: return "Image";
  case INK_VALUE_DICTIONARY: return "Dictionary";
  case INK_VALUE_SEQUENCE: return "Sequence";
  case INK_VALUE_INVALID: break;
  }
  return "Invalid";
}

const char *
ink_array_type_to_string (InkArrayType type)
{
  switch (type) {
  case INK_ARRAY_FLOAT32: return "Float32";
  case INK_ARRAY_FLOAT64: return "Float64";
  case INK_ARRAY_INT32: return "Int32";
  }
  return "Invalid";
}

const char *
ink_pixel_format_to_string (InkPixelFormat format)
{
  switch (format) {
  case INK_PIXEL_GRAY8: return "Gray8";
  case INK_PIXEL_RGBA8: return "RGBA8";
  case INK_PIXEL_BGRA8: return "BGRA8";
  }
  return "Invalid";
}

int64_t
ink_value_get_int64 (const InkValue *v)
{
  if (v == NULL)
    return 0;
  if (v->type == INK_VALUE_DOUBLE)
    return (int64_t) v->u.d;
  return v->type == INK_VALUE_INT64 ? v->u.i : 0;
}

double
ink_value_get_double (const InkValue *v)
{
  if (v == NULL)
    return 0.0;
  if (v->type == INK_VALUE_INT64)
    return (double) v->u.i;
  return v->type == INK_VALUE_DOUBLE ? v->u.d : 0.0;
}

const char *
ink_value_get_string (const InkValue *v)
{
  return v != NULL && v->type == INK_VALUE_STRING ? v->u.s : NULL;
}

InkArrayType
ink_value_array_type (const InkValue *v)
{
  return v->u.array.type;
}

size_t
ink_value_array_rank (const InkValue *v)
{
  return v != NULL && v->type == INK_VALUE_MULTIARRAY ? v->u.array.rank : 0;
}

const int64_t *
ink_value_array_shape (const InkValue *v)
{
  return v != NULL && v->type == INK_VALUE_MULTIARRAY ? v->u.array.shape : NULL;
}

size_t
ink_value_array_count (const InkValue *v)
{
  return v != NULL && v->type == INK_VALUE_MULTIARRAY ? v->u.array.count : 0;
}

void *
ink_value_array_data (InkValue *v)
{
  return v != NULL && v->type == INK_VALUE_MULTIARRAY ? v->u.array.data : NULL;
}

const void *
ink_value_array_const_data (const InkValue *v)
{
  return v != NULL && v->type == INK_VALUE_MULTIARRAY ? v->u.array.data : NULL;
}

double
ink_value_array_get (const InkValue *v, size_t i)
{
  if (v == NULL || v->type != INK_VALUE_MULTIARRAY || i >= v->u.array.count)
    return 0.0;
  switch (v->u.array.type) {
  case INK_ARRAY_FLOAT32: return ((const float *) v->u.array.data)[i];
  case INK_ARRAY_FLOAT64: return ((const double *) v->u.array.data)[i];
  case INK_ARRAY_INT32: return ((const int32_t *) v->u.array.data)[i];
  }
  return 0.0;
}

InkPixelFormat
ink_value_image_format (const InkValue *v)
{
  return v->u.image.format;
}

int
ink_value_image_width (const InkValue *v)
{
  return v != NULL && v->type == INK_VALUE_IMAGE ? v->u.image.width : 0;
}

int
ink_value_image_height (const InkValue *v)
{
  return v != NULL && v->type == INK_VALUE_IMAGE ? v->u.image.height : 0;
}

size_t
ink_value_image_stride (const InkValue *v)
{
  if (v == NULL || v->type != INK_VALUE_IMAGE)
    return 0;
  return (size_t) v->u.image.width * ink_pixel_format_bytes (v->u.image.format);
}

const uint8_t *
ink_value_image_pixels (const InkValue *v)
{
  return v != NULL && v->type == INK_VALUE_IMAGE ? v->u.image.pixels : NULL;
}

InkKeyType
ink_value_dictionary_key_type (const InkValue *v)
{
  return v->u.dict.key_type;
}

static DictEntry *
dict_find (const InkValue *v, const char *skey, int64_t ikey)
{
  for (size_t i = 0; i < v->u.dict.n; i++) {
    DictEntry *e = &v->u.dict.entries[i];
    if (skey != NULL ? strcmp (e->string_key, skey) == 0 : e->int_key == ikey)
      return e;
  }
  return NULL;
}

static InkStatus
dict_set (InkValue *v, const char *skey, int64_t ikey, double x)
{
  DictEntry *e;

  if (v == NULL || v->type != INK_VALUE_DICTIONARY)
    return INK_ERR_INVALID_ARGUMENT;
  if ((skey != NULL) != (v->u.dict.key_type == INK_KEY_STRING))
    return INK_ERR_TYPE_MISMATCH;
  e = dict_find (v, skey, ikey);
  if (e == NULL) {
    if (!INK_GROW (v->u.dict.entries, v->u.dict.n, v->u.dict.cap))
      return INK_ERR_NO_MEMORY;
    e = &v->u.dict.entries[v->u.dict.n];
    e->string_key = NULL;
    if (skey != NULL && (e->string_key = ink_strdup (skey)) == NULL)
      return INK_ERR_NO_MEMORY;
    e->int_key = ikey;
    v->u.dict.n++;
  }
  e->value = x;
  return INK_OK;
}

InkStatus
ink_value_dictionary_set_string (InkValue *v, const char *key, double x)
{
  if (key == NULL)
    return INK_ERR_INVALID_ARGUMENT;
  return dict_set (v, key, 0, x);
}

InkStatus
ink_value_dictionary_set_int64 (InkValue *v, int64_t key, double x)
{
  return dict_set (v, NULL, key, x);
}

size_t
ink_value_dictionary_count (const InkValue *v)
{
  return v != NULL && v->type == INK_VALUE_DICTIONARY ? v->u.dict.n : 0;
}

const char *
ink_value_dictionary_string_key (const InkValue *v, size_t i)
{
  return i < ink_value_dictionary_count (v) ? v->u.dict.entries[i].string_key : NULL;
}

int64_t
ink_value_dictionary_int64_key (const InkValue *v, size_t i)
{
  return i < ink_value_dictionary_count (v) ? v->u.dict.entries[i].int_key : 0;
}

double
ink_value_dictionary_value (const InkValue *v, size_t i)
{
  return i < ink_value_dictionary_count (v) ? v->u.dict.entries[i].value : 0.0;
}

bool
ink_value_dictionary_lookup_string (const InkValue *v, const char *key, double *x)
{
  const DictEntry *e;

  if (v == NULL || v->type != INK_VALUE_DICTIONARY || v->u.dict.key_type != INK_KEY_STRING ||
      key == NULL)
    return false;
  e = dict_find (v, key, 0);
  if (e != NULL && x != NULL)
    *x = e->value;
  return e != NULL;
}

bool
ink_value_dictionary_lookup_int64 (const InkValue *v, int64_t key, double *x)
{
  const DictEntry *e;

  if (v == NULL || v->type != INK_VALUE_DICTIONARY || v->u.dict.key_type != INK_KEY_INT64)
    return false;
  e = dict_find (v, NULL, key);
  if (e != NULL && x != NULL)
    *x = e->value;
  return e != NULL;
}

InkValueType
ink_value_sequence_element_type (const InkValue *v)
{
  return v->u.seq.element_type;
}

InkStatus
ink_value_sequence_append (InkValue *seq, InkValue *element)
{
  if (seq == NULL || seq->type != INK_VALUE_SEQUENCE || element == NULL) {
    ink_value_free (element);
    return INK_ERR_INVALID_ARGUMENT;
  }
  if (element->type != seq->u.seq.element_type) {
    ink_value_free (element);
    return INK_ERR_TYPE_MISMATCH;
  }
  if (!INK_GROW (seq->u.seq.items, seq->u.seq.n, seq->u.seq.cap)) {
    ink_value_free (element);
    return INK_ERR_NO_MEMORY;
  }
  seq->u.seq.items[seq->u.seq.n++] = element;
  return INK_OK;
}

size_t
ink_value_sequence_count (const InkValue *v)
{
  return v != NULL && v->type == INK_VALUE_SEQUENCE ? v->u.seq.n : 0;
}

const InkValue *
ink_value_sequence_get (const InkValue *v, size_t i)
{
  return i < ink_value_sequence_count (v) ? v->u.seq.items[i] : NULL;
}

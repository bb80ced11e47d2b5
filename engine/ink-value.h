/* ink-value.h: feature values (Core ML's MLFeatureValue)
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ink-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  INK_VALUE_INVALID = 0,
  INK_VALUE_INT64 = 1,
  INK_VALUE_DOUBLE = 2,
  INK_VALUE_STRING = 3,
  INK_VALUE_MULTIARRAY = 4,
  INK_VALUE_IMAGE = 5,
  INK_VALUE_DICTIONARY = 6,
  INK_VALUE_SEQUENCE = 7,
} InkValueType;

typedef enum {
  INK_ARRAY_FLOAT32 = 0,
  INK_ARRAY_FLOAT64 = 1,
  INK_ARRAY_INT32 = 2,
} InkArrayType;

/* 8-bit pixel layouts. RGBA8 and BGRA8 are 4 bytes per pixel, alpha ignored
 * by models (as Core ML's RGB and BGR colour spaces). */
typedef enum {
  INK_PIXEL_GRAY8 = 0,
  INK_PIXEL_RGBA8 = 1,
  INK_PIXEL_BGRA8 = 2,
} InkPixelFormat;

typedef enum {
  INK_KEY_STRING = 0,
  INK_KEY_INT64 = 1,
} InkKeyType;

#define INK_MAX_RANK 8

/* An immutable-once-built value. Every constructor returns a new value the
 * caller owns (free with ink_value_free) or NULL when out of memory. */
typedef struct InkValue InkValue;

InkValue *ink_value_new_int64 (int64_t v);
InkValue *ink_value_new_double (double v);
InkValue *ink_value_new_string (const char *v);

/* A multi-array of the given shape; data (row-major, of the element type) is
 * copied, or the array is zero-filled when data is NULL. Returns NULL for a
 * rank of 0 or above INK_MAX_RANK, a negative dimension, or no memory. */
InkValue *ink_value_new_multiarray (InkArrayType type, size_t rank, const int64_t *shape,
                                    const void *data);

/* An image; pixels (height rows of stride bytes) are copied into a tightly
 * packed buffer. Returns NULL for a non-positive size or a stride too small. */
InkValue *ink_value_new_image (InkPixelFormat format, int width, int height, size_t stride,
                               const uint8_t *pixels);

/* An empty dictionary whose keys are strings or int64 and values double. */
InkValue *ink_value_new_dictionary (InkKeyType key_type);

/* An empty sequence of int64 or string values. */
InkValue *ink_value_new_sequence (InkValueType element_type);

InkValue *ink_value_copy (const InkValue *value);
void ink_value_free (InkValue *value);

InkValueType ink_value_get_type (const InkValue *value);
const char *ink_value_type_to_string (InkValueType type);
const char *ink_array_type_to_string (InkArrayType type);
const char *ink_pixel_format_to_string (InkPixelFormat format);

int64_t ink_value_get_int64 (const InkValue *value);
double ink_value_get_double (const InkValue *value);
const char *ink_value_get_string (const InkValue *value);

/* Multi-array accessors. The data pointer is borrowed and stays valid for
 * the value's lifetime; it is writable so producers can fill it in place. */
InkArrayType ink_value_array_type (const InkValue *value);
size_t ink_value_array_rank (const InkValue *value);
const int64_t *ink_value_array_shape (const InkValue *value);
size_t ink_value_array_count (const InkValue *value);
void *ink_value_array_data (InkValue *value);
const void *ink_value_array_const_data (const InkValue *value);
/* Element i (row-major) of any element type, as a double. */
double ink_value_array_get (const InkValue *value, size_t i);

/* Image accessors: tightly packed rows (stride = width * bytes per pixel). */
InkPixelFormat ink_value_image_format (const InkValue *value);
int ink_value_image_width (const InkValue *value);
int ink_value_image_height (const InkValue *value);
size_t ink_value_image_stride (const InkValue *value);
const uint8_t *ink_value_image_pixels (const InkValue *value);
size_t ink_pixel_format_bytes (InkPixelFormat format);

/* Dictionary: setting an existing key replaces its value. Entries keep
 * insertion order. */
InkKeyType ink_value_dictionary_key_type (const InkValue *value);
InkStatus ink_value_dictionary_set_string (InkValue *dict, const char *key, double v);
InkStatus ink_value_dictionary_set_int64 (InkValue *dict, int64_t key, double v);
size_t ink_value_dictionary_count (const InkValue *dict);
const char *ink_value_dictionary_string_key (const InkValue *dict, size_t i);
int64_t ink_value_dictionary_int64_key (const InkValue *dict, size_t i);
double ink_value_dictionary_value (const InkValue *dict, size_t i);
/* Looks up a key; returns false when absent. */
bool ink_value_dictionary_lookup_string (const InkValue *dict, const char *key, double *v);
bool ink_value_dictionary_lookup_int64 (const InkValue *dict, int64_t key, double *v);

/* Sequence: append takes ownership of element, which must be of the
 * sequence's element type (else INK_ERR_TYPE_MISMATCH and element is freed). */
InkValueType ink_value_sequence_element_type (const InkValue *value);
InkStatus ink_value_sequence_append (InkValue *seq, InkValue *element);
size_t ink_value_sequence_count (const InkValue *seq);
const InkValue *ink_value_sequence_get (const InkValue *seq, size_t i);

#ifdef __cplusplus
}
#endif

/* test-value.c: feature values (scalars, multi-arrays, images, dictionaries, sequences)
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "test-util.h"

/* ---- Scalars ---- */

static void
test_scalar_int64 (void)
{
  InkValue *v = ink_value_new_int64 (INT64_MIN);

  g_assert_nonnull (v);
  g_assert_cmpint (ink_value_get_type (v), ==, INK_VALUE_INT64);
  g_assert_cmpint (ink_value_get_int64 (v), ==, INT64_MIN);
  ink_value_free (v);

  v = ink_value_new_int64 (-42);
  g_assert_cmpint (ink_value_get_int64 (v), ==, -42);
  /* Numbers read as either numeric type. */
  g_assert_cmpfloat (ink_value_get_double (v), ==, -42.0);
  g_assert_null (ink_value_get_string (v));
  ink_value_free (v);
}

static void
test_scalar_double (void)
{
  InkValue *v = ink_value_new_double (2.75);

  g_assert_nonnull (v);
  g_assert_cmpint (ink_value_get_type (v), ==, INK_VALUE_DOUBLE);
  g_assert_cmpfloat (ink_value_get_double (v), ==, 2.75);
  g_assert_cmpint (ink_value_get_int64 (v), ==, 2);
  g_assert_null (ink_value_get_string (v));
  ink_value_free (v);

  v = ink_value_new_double (-1e300);
  g_assert_cmpfloat (ink_value_get_double (v), ==, -1e300);
  ink_value_free (v);
}

static void
test_scalar_string (void)
{
  char buf[] = "hello";
  InkValue *v = ink_value_new_string (buf);

  g_assert_nonnull (v);
  g_assert_cmpint (ink_value_get_type (v), ==, INK_VALUE_STRING);
  /* The string is copied. */
  buf[0] = 'J';
  g_assert_cmpstr (ink_value_get_string (v), ==, "hello");
  g_assert_cmpint (ink_value_get_int64 (v), ==, 0);
  g_assert_cmpfloat (ink_value_get_double (v), ==, 0.0);
  ink_value_free (v);

  v = ink_value_new_string ("");
  g_assert_cmpstr (ink_value_get_string (v), ==, "");
  ink_value_free (v);

  v = ink_value_new_string ("caf\xc3\xa9 \xe2\x9c\x8f");
  g_assert_cmpstr (ink_value_get_string (v), ==, "caf\xc3\xa9 \xe2\x9c\x8f");
  ink_value_free (v);
}

static void
test_null_value (void)
{
  g_assert_cmpint (ink_value_get_type (NULL), ==, INK_VALUE_INVALID);
  g_assert_cmpint (ink_value_get_int64 (NULL), ==, 0);
  g_assert_cmpfloat (ink_value_get_double (NULL), ==, 0.0);
  g_assert_null (ink_value_get_string (NULL));
  g_assert_cmpuint (ink_value_array_rank (NULL), ==, 0);
  g_assert_null (ink_value_array_shape (NULL));
  g_assert_cmpuint (ink_value_array_count (NULL), ==, 0);
  g_assert_null (ink_value_array_data (NULL));
  g_assert_null (ink_value_array_const_data (NULL));
  g_assert_cmpfloat (ink_value_array_get (NULL, 0), ==, 0.0);
  g_assert_cmpint (ink_value_image_width (NULL), ==, 0);
  g_assert_cmpint (ink_value_image_height (NULL), ==, 0);
  g_assert_cmpuint (ink_value_image_stride (NULL), ==, 0);
  g_assert_null (ink_value_image_pixels (NULL));
  g_assert_cmpuint (ink_value_dictionary_count (NULL), ==, 0);
  g_assert_cmpuint (ink_value_sequence_count (NULL), ==, 0);
  g_assert_null (ink_value_sequence_get (NULL, 0));
  g_assert_null (ink_value_copy (NULL));
  ink_value_free (NULL);
}

/* ---- Multi-arrays ---- */

static void
check_shape (const InkValue *v, size_t rank, const int64_t *shape, size_t count)
{
  g_assert_cmpint (ink_value_get_type (v), ==, INK_VALUE_MULTIARRAY);
  g_assert_cmpuint (ink_value_array_rank (v), ==, rank);
  for (size_t i = 0; i < rank; i++)
    g_assert_cmpint (ink_value_array_shape (v)[i], ==, shape[i]);
  g_assert_cmpuint (ink_value_array_count (v), ==, count);
}

static void
test_multiarray_float32 (void)
{
  const int64_t shape[] = {2, 3};
  const float data[] = {0.5f, -1.25f, 3.0f, 1e-7f, -0.0f, 65504.0f};
  InkValue *v = ink_value_new_multiarray (INK_ARRAY_FLOAT32, 2, shape, data);

  g_assert_nonnull (v);
  check_shape (v, 2, shape, 6);
  g_assert_cmpint (ink_value_array_type (v), ==, INK_ARRAY_FLOAT32);
  g_assert_true (ink_value_array_const_data (v) != (const void *) data);
  g_assert_cmpmem (ink_value_array_const_data (v), sizeof data, data, sizeof data);
  g_assert_true (ink_value_array_data (v) == ink_value_array_const_data (v));
  for (size_t i = 0; i < 6; i++)
    g_assert_cmpfloat (ink_value_array_get (v, i), ==, (double) data[i]);
  /* Out of range reads as 0. */
  g_assert_cmpfloat (ink_value_array_get (v, 6), ==, 0.0);
  /* The data is writable in place. */
  ((float *) ink_value_array_data (v))[4] = 9.5f;
  g_assert_cmpfloat (ink_value_array_get (v, 4), ==, 9.5);
  /* Not a scalar or a string. */
  g_assert_null (ink_value_get_string (v));
  ink_value_free (v);
}

static void
test_multiarray_float64 (void)
{
  const int64_t shape[] = {4};
  const double data[] = {1.0 / 3.0, -2.5e200, 0.0, 7.0};
  InkValue *v = ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, shape, data);

  g_assert_nonnull (v);
  check_shape (v, 1, shape, 4);
  g_assert_cmpint (ink_value_array_type (v), ==, INK_ARRAY_FLOAT64);
  g_assert_cmpmem (ink_value_array_const_data (v), sizeof data, data, sizeof data);
  for (size_t i = 0; i < 4; i++)
    g_assert_cmpfloat (ink_value_array_get (v, i), ==, data[i]);
  ink_value_free (v);
}

static void
test_multiarray_int32 (void)
{
  const int64_t shape[] = {1, 2, 2};
  const int32_t data[] = {INT32_MIN, -1, 0, INT32_MAX};
  InkValue *v = ink_value_new_multiarray (INK_ARRAY_INT32, 3, shape, data);

  g_assert_nonnull (v);
  check_shape (v, 3, shape, 4);
  g_assert_cmpint (ink_value_array_type (v), ==, INK_ARRAY_INT32);
  g_assert_cmpmem (ink_value_array_const_data (v), sizeof data, data, sizeof data);
  for (size_t i = 0; i < 4; i++)
    g_assert_cmpfloat (ink_value_array_get (v, i), ==, (double) data[i]);
  ink_value_free (v);
}

static void
test_multiarray_zero_filled (void)
{
  const int64_t shape[] = {3, 1, 5};
  InkArrayType types[] = {INK_ARRAY_FLOAT32, INK_ARRAY_FLOAT64, INK_ARRAY_INT32};
  size_t sizes[] = {sizeof (float), sizeof (double), sizeof (int32_t)};

  for (size_t t = 0; t < G_N_ELEMENTS (types); t++) {
    InkValue *v = ink_value_new_multiarray (types[t], 3, shape, NULL);
    const guint8 *bytes;

    g_assert_nonnull (v);
    check_shape (v, 3, shape, 15);
    g_assert_cmpint (ink_value_array_type (v), ==, types[t]);
    bytes = ink_value_array_const_data (v);
    for (size_t i = 0; i < 15 * sizes[t]; i++)
      g_assert_cmpuint (bytes[i], ==, 0);
    for (size_t i = 0; i < 15; i++)
      g_assert_cmpfloat (ink_value_array_get (v, i), ==, 0.0);
    ink_value_free (v);
  }
}

static void
test_multiarray_max_rank (void)
{
  int64_t shape[INK_MAX_RANK];
  InkValue *v;

  for (size_t i = 0; i < INK_MAX_RANK; i++)
    shape[i] = i == 3 ? 2 : 1;
  v = ink_value_new_multiarray (INK_ARRAY_FLOAT32, INK_MAX_RANK, shape, NULL);
  g_assert_nonnull (v);
  check_shape (v, INK_MAX_RANK, shape, 2);
  ink_value_free (v);
}

static void
test_multiarray_empty_dimension (void)
{
  const int64_t shape[] = {3, 0};
  InkValue *v = ink_value_new_multiarray (INK_ARRAY_FLOAT32, 2, shape, NULL);

  g_assert_nonnull (v);
  check_shape (v, 2, shape, 0);
  g_assert_cmpfloat (ink_value_array_get (v, 0), ==, 0.0);
  ink_value_free (v);
}

static void
test_multiarray_invalid (void)
{
  int64_t shape[INK_MAX_RANK + 1];
  const int64_t negative[] = {2, -1, 3};
  const int64_t huge[] = {INT64_MAX, INT64_MAX};

  for (size_t i = 0; i < G_N_ELEMENTS (shape); i++)
    shape[i] = 1;
  g_assert_null (ink_value_new_multiarray (INK_ARRAY_FLOAT32, 0, shape, NULL));
  g_assert_null (ink_value_new_multiarray (INK_ARRAY_FLOAT32, INK_MAX_RANK + 1, shape, NULL));
  g_assert_null (ink_value_new_multiarray (INK_ARRAY_FLOAT64, 3, negative, NULL));
  g_assert_null (ink_value_new_multiarray (INK_ARRAY_FLOAT32, 1, NULL, NULL));
  /* An element count that overflows size_t. */
  g_assert_null (ink_value_new_multiarray (INK_ARRAY_FLOAT32, 2, huge, NULL));
}

/* ---- Images ---- */

static void
test_image_stride_padding (void)
{
  enum {
    W = 3,
    H = 4,
    BPP = 4,
    STRIDE = 16
  };
  guint8 src[STRIDE * H];
  InkValue *v;
  const guint8 *px;

  /* Padding bytes are 0xEE; pixel bytes never are. */
  memset (src, 0xEE, sizeof src);
  for (int y = 0; y < H; y++) {
    for (int x = 0; x < W * BPP; x++)
      src[y * STRIDE + x] = (guint8) (y * 16 + x);
  }
  v = ink_value_new_image (INK_PIXEL_RGBA8, W, H, STRIDE, src);
  g_assert_nonnull (v);
  g_assert_cmpint (ink_value_get_type (v), ==, INK_VALUE_IMAGE);
  g_assert_cmpint (ink_value_image_format (v), ==, INK_PIXEL_RGBA8);
  g_assert_cmpint (ink_value_image_width (v), ==, W);
  g_assert_cmpint (ink_value_image_height (v), ==, H);
  g_assert_cmpuint (ink_value_image_stride (v), ==, W * BPP);
  px = ink_value_image_pixels (v);
  for (int y = 0; y < H; y++) {
    for (int x = 0; x < W * BPP; x++)
      g_assert_cmpuint (px[y * W * BPP + x], ==, (guint) (y * 16 + x));
  }
  for (size_t i = 0; i < (size_t) W * H * BPP; i++)
    g_assert_cmpuint (px[i], !=, 0xEE);
  /* The pixels were copied. */
  g_assert_true (px != src);
  ink_value_free (v);
}

static void
test_image_formats (void)
{
  const InkPixelFormat formats[] = {INK_PIXEL_GRAY8, INK_PIXEL_RGBA8, INK_PIXEL_BGRA8};
  const size_t bpp[] = {1, 4, 4};

  for (size_t f = 0; f < G_N_ELEMENTS (formats); f++) {
    size_t row = 5 * bpp[f];
    guint8 *src = g_malloc (row * 2);
    InkValue *v;

    for (size_t i = 0; i < row * 2; i++)
      src[i] = (guint8) (i * 7 + f);
    g_assert_cmpuint (ink_pixel_format_bytes (formats[f]), ==, bpp[f]);
    v = ink_value_new_image (formats[f], 5, 2, row, src);
    g_assert_nonnull (v);
    g_assert_cmpint (ink_value_image_format (v), ==, formats[f]);
    g_assert_cmpuint (ink_value_image_stride (v), ==, row);
    g_assert_cmpmem (ink_value_image_pixels (v), row * 2, src, row * 2);
    ink_value_free (v);
    g_free (src);
  }
}

static void
test_image_zero_filled (void)
{
  InkValue *v = ink_value_new_image (INK_PIXEL_GRAY8, 7, 3, 0, NULL);
  const guint8 *px;

  g_assert_nonnull (v);
  g_assert_cmpuint (ink_value_image_stride (v), ==, 7);
  px = ink_value_image_pixels (v);
  for (size_t i = 0; i < 21; i++)
    g_assert_cmpuint (px[i], ==, 0);
  ink_value_free (v);
}

static void
test_image_invalid (void)
{
  guint8 px[64] = {0};

  g_assert_null (ink_value_new_image (INK_PIXEL_GRAY8, 0, 4, 4, px));
  g_assert_null (ink_value_new_image (INK_PIXEL_GRAY8, 4, 0, 4, px));
  g_assert_null (ink_value_new_image (INK_PIXEL_RGBA8, -2, 2, 8, px));
  g_assert_null (ink_value_new_image (INK_PIXEL_RGBA8, 2, -2, 8, px));
  /* A stride shorter than a row of pixels. */
  g_assert_null (ink_value_new_image (INK_PIXEL_RGBA8, 4, 2, 15, px));
  g_assert_null (ink_value_new_image (INK_PIXEL_GRAY8, 4, 2, 3, px));
  /* Exactly a row is fine. */
  {
    InkValue *v = ink_value_new_image (INK_PIXEL_RGBA8, 4, 2, 16, px);
    g_assert_nonnull (v);
    ink_value_free (v);
  }
}

/* ---- Dictionaries ---- */

static void
test_dictionary_string (void)
{
  InkValue *d = ink_value_new_dictionary (INK_KEY_STRING);
  char key[] = "cat";
  double x = -1.0;

  g_assert_nonnull (d);
  g_assert_cmpint (ink_value_get_type (d), ==, INK_VALUE_DICTIONARY);
  g_assert_cmpint (ink_value_dictionary_key_type (d), ==, INK_KEY_STRING);
  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 0);
  g_assert_false (ink_value_dictionary_lookup_string (d, "cat", &x));

  g_assert_cmpint (ink_value_dictionary_set_string (d, key, 0.25), ==, INK_OK);
  g_assert_cmpint (ink_value_dictionary_set_string (d, "dog", 0.5), ==, INK_OK);
  g_assert_cmpint (ink_value_dictionary_set_string (d, "", 0.125), ==, INK_OK);
  /* Keys are copied. */
  key[0] = 'b';
  /* Replacing keeps the position and the count. */
  g_assert_cmpint (ink_value_dictionary_set_string (d, "cat", 0.75), ==, INK_OK);
  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 3);
  g_assert_cmpstr (ink_value_dictionary_string_key (d, 0), ==, "cat");
  g_assert_cmpstr (ink_value_dictionary_string_key (d, 1), ==, "dog");
  g_assert_cmpstr (ink_value_dictionary_string_key (d, 2), ==, "");
  g_assert_null (ink_value_dictionary_string_key (d, 3));
  g_assert_cmpfloat (ink_value_dictionary_value (d, 0), ==, 0.75);
  g_assert_cmpfloat (ink_value_dictionary_value (d, 1), ==, 0.5);
  g_assert_cmpfloat (ink_value_dictionary_value (d, 2), ==, 0.125);
  g_assert_cmpfloat (ink_value_dictionary_value (d, 3), ==, 0.0);

  g_assert_true (ink_value_dictionary_lookup_string (d, "dog", &x));
  g_assert_cmpfloat (x, ==, 0.5);
  g_assert_true (ink_value_dictionary_lookup_string (d, "cat", NULL));
  g_assert_false (ink_value_dictionary_lookup_string (d, "bat", &x));
  g_assert_false (ink_value_dictionary_lookup_string (d, "Dog", &x));
  g_assert_false (ink_value_dictionary_lookup_string (d, NULL, &x));
  g_assert_cmpfloat (x, ==, 0.5);

  /* Int64 keys do not go into a string dictionary. */
  g_assert_cmpint (ink_value_dictionary_set_int64 (d, 3, 1.0), ==, INK_ERR_TYPE_MISMATCH);
  g_assert_false (ink_value_dictionary_lookup_int64 (d, 0, &x));
  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 3);
  g_assert_cmpint (ink_value_dictionary_set_string (d, NULL, 1.0), ==, INK_ERR_INVALID_ARGUMENT);
  ink_value_free (d);
}

static void
test_dictionary_int64 (void)
{
  InkValue *d = ink_value_new_dictionary (INK_KEY_INT64);
  double x = 0.0;

  g_assert_nonnull (d);
  g_assert_cmpint (ink_value_dictionary_key_type (d), ==, INK_KEY_INT64);
  g_assert_cmpint (ink_value_dictionary_set_int64 (d, 7, 0.1), ==, INK_OK);
  g_assert_cmpint (ink_value_dictionary_set_int64 (d, -3, 0.2), ==, INK_OK);
  g_assert_cmpint (ink_value_dictionary_set_int64 (d, 0, 0.3), ==, INK_OK);
  g_assert_cmpint (ink_value_dictionary_set_int64 (d, INT64_MAX, 0.4), ==, INK_OK);
  g_assert_cmpint (ink_value_dictionary_set_int64 (d, -3, 0.9), ==, INK_OK);
  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 4);
  g_assert_cmpint (ink_value_dictionary_int64_key (d, 0), ==, 7);
  g_assert_cmpint (ink_value_dictionary_int64_key (d, 1), ==, -3);
  g_assert_cmpint (ink_value_dictionary_int64_key (d, 2), ==, 0);
  g_assert_cmpint (ink_value_dictionary_int64_key (d, 3), ==, INT64_MAX);
  g_assert_cmpfloat (ink_value_dictionary_value (d, 1), ==, 0.9);
  g_assert_true (ink_value_dictionary_lookup_int64 (d, 0, &x));
  g_assert_cmpfloat (x, ==, 0.3);
  g_assert_true (ink_value_dictionary_lookup_int64 (d, INT64_MAX, &x));
  g_assert_cmpfloat (x, ==, 0.4);
  g_assert_false (ink_value_dictionary_lookup_int64 (d, 8, &x));
  g_assert_false (ink_value_dictionary_lookup_int64 (d, INT64_MIN, NULL));

  g_assert_cmpint (ink_value_dictionary_set_string (d, "7", 1.0), ==, INK_ERR_TYPE_MISMATCH);
  g_assert_false (ink_value_dictionary_lookup_string (d, "7", &x));
  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 4);
  ink_value_free (d);
}

static void
test_dictionary_not_a_dictionary (void)
{
  InkValue *v = ink_value_new_double (1.0);

  g_assert_cmpint (ink_value_dictionary_set_string (v, "a", 1.0), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_value_dictionary_set_int64 (v, 1, 1.0), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_value_dictionary_set_int64 (NULL, 1, 1.0), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpuint (ink_value_dictionary_count (v), ==, 0);
  g_assert_false (ink_value_dictionary_lookup_string (v, "a", NULL));
  g_assert_false (ink_value_dictionary_lookup_int64 (NULL, 1, NULL));
  ink_value_free (v);
}

static void
test_dictionary_many (void)
{
  InkValue *d = ink_value_new_dictionary (INK_KEY_STRING);

  for (int i = 0; i < 500; i++) {
    char key[16];
    g_snprintf (key, sizeof key, "k%d", i);
    g_assert_cmpint (ink_value_dictionary_set_string (d, key, i), ==, INK_OK);
  }
  g_assert_cmpuint (ink_value_dictionary_count (d), ==, 500);
  for (int i = 0; i < 500; i++) {
    char key[16];
    double x = -1;
    g_snprintf (key, sizeof key, "k%d", i);
    g_assert_cmpstr (ink_value_dictionary_string_key (d, (size_t) i), ==, key);
    g_assert_true (ink_value_dictionary_lookup_string (d, key, &x));
    g_assert_cmpfloat (x, ==, i);
  }
  ink_value_free (d);
}

/* ---- Sequences ---- */

static void
test_sequence_int64 (void)
{
  InkValue *s = ink_value_new_sequence (INK_VALUE_INT64);

  g_assert_nonnull (s);
  g_assert_cmpint (ink_value_get_type (s), ==, INK_VALUE_SEQUENCE);
  g_assert_cmpint (ink_value_sequence_element_type (s), ==, INK_VALUE_INT64);
  g_assert_cmpuint (ink_value_sequence_count (s), ==, 0);
  g_assert_null (ink_value_sequence_get (s, 0));
  for (int64_t i = 0; i < 40; i++)
    g_assert_cmpint (ink_value_sequence_append (s, ink_value_new_int64 (i * i - 5)), ==, INK_OK);
  g_assert_cmpuint (ink_value_sequence_count (s), ==, 40);
  for (int64_t i = 0; i < 40; i++) {
    const InkValue *e = ink_value_sequence_get (s, (size_t) i);
    g_assert_cmpint (ink_value_get_type (e), ==, INK_VALUE_INT64);
    g_assert_cmpint (ink_value_get_int64 (e), ==, i * i - 5);
  }
  g_assert_null (ink_value_sequence_get (s, 40));
  ink_value_free (s);
}

static void
test_sequence_string (void)
{
  InkValue *s = ink_value_new_sequence (INK_VALUE_STRING);

  g_assert_nonnull (s);
  g_assert_cmpint (ink_value_sequence_element_type (s), ==, INK_VALUE_STRING);
  g_assert_cmpint (ink_value_sequence_append (s, ink_value_new_string ("a")), ==, INK_OK);
  g_assert_cmpint (ink_value_sequence_append (s, ink_value_new_string ("bc")), ==, INK_OK);
  g_assert_cmpint (ink_value_sequence_append (s, ink_value_new_string ("")), ==, INK_OK);
  g_assert_cmpuint (ink_value_sequence_count (s), ==, 3);
  g_assert_cmpstr (ink_value_get_string (ink_value_sequence_get (s, 0)), ==, "a");
  g_assert_cmpstr (ink_value_get_string (ink_value_sequence_get (s, 1)), ==, "bc");
  g_assert_cmpstr (ink_value_get_string (ink_value_sequence_get (s, 2)), ==, "");
  ink_value_free (s);
}

static void
test_sequence_wrong_type (void)
{
  const int64_t shape[] = {1000};
  InkValue *s = ink_value_new_sequence (INK_VALUE_INT64);
  InkValue *t = ink_value_new_sequence (INK_VALUE_STRING);

  g_assert_cmpint (ink_value_sequence_append (s, ink_value_new_int64 (1)), ==, INK_OK);
  /* The rejected element is freed (ASan reports a leak otherwise). */
  g_assert_cmpint (ink_value_sequence_append (s, ink_value_new_string ("one")), ==,
                   INK_ERR_TYPE_MISMATCH);
  g_assert_cmpint (ink_value_sequence_append (s, ink_value_new_double (1.0)), ==,
                   INK_ERR_TYPE_MISMATCH);
  g_assert_cmpint (
    ink_value_sequence_append (s, ink_value_new_multiarray (INK_ARRAY_FLOAT32, 1, shape, NULL)), ==,
    INK_ERR_TYPE_MISMATCH);
  g_assert_cmpint (ink_value_sequence_append (t, ink_value_new_int64 (2)), ==,
                   INK_ERR_TYPE_MISMATCH);
  g_assert_cmpuint (ink_value_sequence_count (s), ==, 1);
  g_assert_cmpuint (ink_value_sequence_count (t), ==, 0);
  g_assert_cmpint (ink_value_sequence_append (s, NULL), !=, INK_OK);
  /* Appending to something that is not a sequence frees the element too. */
  {
    InkValue *d = ink_value_new_double (0.0);
    g_assert_cmpint (ink_value_sequence_append (d, ink_value_new_int64 (3)), ==,
                     INK_ERR_INVALID_ARGUMENT);
    g_assert_cmpint (ink_value_sequence_append (NULL, ink_value_new_int64 (3)), ==,
                     INK_ERR_INVALID_ARGUMENT);
    ink_value_free (d);
  }
  /* Sequences hold int64 or strings only. */
  g_assert_null (ink_value_new_sequence (INK_VALUE_DOUBLE));
  g_assert_null (ink_value_new_sequence (INK_VALUE_SEQUENCE));
  g_assert_null (ink_value_new_sequence (INK_VALUE_INVALID));
  ink_value_free (s);
  ink_value_free (t);
}

/* ---- Copies ---- */

static void
test_copy_scalars (void)
{
  InkValue *a = ink_value_new_int64 (-9);
  InkValue *b = ink_value_new_double (0.125);
  InkValue *c = ink_value_new_string ("text");
  InkValue *ca = ink_value_copy (a), *cb = ink_value_copy (b), *cc = ink_value_copy (c);

  g_assert_cmpint (ink_value_get_type (ca), ==, INK_VALUE_INT64);
  g_assert_cmpint (ink_value_get_int64 (ca), ==, -9);
  g_assert_cmpint (ink_value_get_type (cb), ==, INK_VALUE_DOUBLE);
  g_assert_cmpfloat (ink_value_get_double (cb), ==, 0.125);
  g_assert_cmpint (ink_value_get_type (cc), ==, INK_VALUE_STRING);
  g_assert_cmpstr (ink_value_get_string (cc), ==, "text");
  g_assert_true (ink_value_get_string (cc) != ink_value_get_string (c));
  ink_value_free (a);
  ink_value_free (b);
  ink_value_free (c);
  /* The copies outlive the originals. */
  g_assert_cmpstr (ink_value_get_string (cc), ==, "text");
  ink_value_free (ca);
  ink_value_free (cb);
  ink_value_free (cc);
}

static void
test_copy_multiarray (void)
{
  const int64_t shape[] = {2, 2};
  const float f32[] = {1, 2, 3, 4};
  const double f64[] = {-1, -2, -3, -4};
  const int32_t i32[] = {10, 20, 30, 40};
  const void *data[] = {f32, f64, i32};
  InkArrayType types[] = {INK_ARRAY_FLOAT32, INK_ARRAY_FLOAT64, INK_ARRAY_INT32};

  for (size_t t = 0; t < G_N_ELEMENTS (types); t++) {
    InkValue *v = ink_value_new_multiarray (types[t], 2, shape, data[t]);
    InkValue *c = ink_value_copy (v);
    double expect[4];

    g_assert_nonnull (c);
    for (size_t i = 0; i < 4; i++)
      expect[i] = ink_value_array_get (v, i);
    check_shape (c, 2, shape, 4);
    g_assert_cmpint (ink_value_array_type (c), ==, types[t]);
    g_assert_true (ink_value_array_const_data (c) != ink_value_array_const_data (v));
    /* Change the original after copying. */
    switch (types[t]) {
    case INK_ARRAY_FLOAT32: ((float *) ink_value_array_data (v))[0] = 99; break;
    case INK_ARRAY_FLOAT64: ((double *) ink_value_array_data (v))[0] = 99; break;
    case INK_ARRAY_INT32: ((int32_t *) ink_value_array_data (v))[0] = 99; break;
    }
    g_assert_cmpfloat (ink_value_array_get (v, 0), ==, 99);
    for (size_t i = 0; i < 4; i++)
      g_assert_cmpfloat (ink_value_array_get (c, i), ==, expect[i]);
    ink_value_free (v);
    g_assert_cmpfloat (ink_value_array_get (c, 3), ==, expect[3]);
    ink_value_free (c);
  }
}

static void
test_copy_image (void)
{
  guint8 src[2 * 3 * 4];
  InkValue *v, *c;

  for (size_t i = 0; i < sizeof src; i++)
    src[i] = (guint8) (i + 1);
  v = ink_value_new_image (INK_PIXEL_BGRA8, 3, 2, 12, src);
  c = ink_value_copy (v);
  g_assert_nonnull (c);
  g_assert_cmpint (ink_value_image_format (c), ==, INK_PIXEL_BGRA8);
  g_assert_cmpint (ink_value_image_width (c), ==, 3);
  g_assert_cmpint (ink_value_image_height (c), ==, 2);
  g_assert_cmpuint (ink_value_image_stride (c), ==, 12);
  g_assert_true (ink_value_image_pixels (c) != ink_value_image_pixels (v));
  g_assert_cmpmem (ink_value_image_pixels (c), sizeof src, src, sizeof src);
  ink_value_free (v);
  g_assert_cmpmem (ink_value_image_pixels (c), sizeof src, src, sizeof src);
  ink_value_free (c);
}

static void
test_copy_dictionary (void)
{
  InkValue *s = ink_value_new_dictionary (INK_KEY_STRING);
  InkValue *i = ink_value_new_dictionary (INK_KEY_INT64);
  InkValue *cs, *ci, *ce;
  double x;

  ink_value_dictionary_set_string (s, "b", 2.0);
  ink_value_dictionary_set_string (s, "a", 1.0);
  ink_value_dictionary_set_int64 (i, 5, 0.5);
  ink_value_dictionary_set_int64 (i, -5, 0.25);
  cs = ink_value_copy (s);
  ci = ink_value_copy (i);
  /* Change the originals after copying. */
  ink_value_dictionary_set_string (s, "a", 100.0);
  ink_value_dictionary_set_string (s, "c", 3.0);
  ink_value_dictionary_set_int64 (i, 5, 100.0);

  g_assert_cmpint (ink_value_get_type (cs), ==, INK_VALUE_DICTIONARY);
  g_assert_cmpint (ink_value_dictionary_key_type (cs), ==, INK_KEY_STRING);
  g_assert_cmpuint (ink_value_dictionary_count (cs), ==, 2);
  g_assert_cmpstr (ink_value_dictionary_string_key (cs, 0), ==, "b");
  g_assert_cmpstr (ink_value_dictionary_string_key (cs, 1), ==, "a");
  g_assert_true (ink_value_dictionary_lookup_string (cs, "a", &x));
  g_assert_cmpfloat (x, ==, 1.0);
  g_assert_false (ink_value_dictionary_lookup_string (cs, "c", NULL));

  g_assert_cmpint (ink_value_dictionary_key_type (ci), ==, INK_KEY_INT64);
  g_assert_cmpuint (ink_value_dictionary_count (ci), ==, 2);
  g_assert_cmpint (ink_value_dictionary_int64_key (ci, 0), ==, 5);
  g_assert_cmpint (ink_value_dictionary_int64_key (ci, 1), ==, -5);
  g_assert_true (ink_value_dictionary_lookup_int64 (ci, 5, &x));
  g_assert_cmpfloat (x, ==, 0.5);

  ink_value_free (s);
  ink_value_free (i);
  g_assert_cmpstr (ink_value_dictionary_string_key (cs, 0), ==, "b");
  ink_value_free (cs);
  ink_value_free (ci);

  /* An empty dictionary copies too. */
  s = ink_value_new_dictionary (INK_KEY_STRING);
  ce = ink_value_copy (s);
  g_assert_nonnull (ce);
  g_assert_cmpuint (ink_value_dictionary_count (ce), ==, 0);
  ink_value_free (s);
  ink_value_free (ce);
}

static void
test_copy_sequence (void)
{
  InkValue *s = ink_value_new_sequence (INK_VALUE_STRING);
  InkValue *n = ink_value_new_sequence (INK_VALUE_INT64);
  InkValue *cs, *cn;

  ink_value_sequence_append (s, ink_value_new_string ("x"));
  ink_value_sequence_append (s, ink_value_new_string ("yz"));
  ink_value_sequence_append (n, ink_value_new_int64 (4));
  cs = ink_value_copy (s);
  cn = ink_value_copy (n);
  ink_value_sequence_append (s, ink_value_new_string ("later"));
  ink_value_sequence_append (n, ink_value_new_int64 (5));

  g_assert_cmpint (ink_value_get_type (cs), ==, INK_VALUE_SEQUENCE);
  g_assert_cmpint (ink_value_sequence_element_type (cs), ==, INK_VALUE_STRING);
  g_assert_cmpuint (ink_value_sequence_count (cs), ==, 2);
  g_assert_true (ink_value_sequence_get (cs, 0) != ink_value_sequence_get (s, 0));
  g_assert_cmpint (ink_value_sequence_element_type (cn), ==, INK_VALUE_INT64);
  g_assert_cmpuint (ink_value_sequence_count (cn), ==, 1);
  ink_value_free (s);
  ink_value_free (n);
  g_assert_cmpstr (ink_value_get_string (ink_value_sequence_get (cs, 1)), ==, "yz");
  g_assert_cmpint (ink_value_get_int64 (ink_value_sequence_get (cn, 0)), ==, 4);
  ink_value_free (cs);
  ink_value_free (cn);
}

/* ---- Names ---- */

static void
test_type_names (void)
{
  g_assert_cmpstr (ink_value_type_to_string (INK_VALUE_INT64), ==, "Int64");
  g_assert_cmpstr (ink_value_type_to_string (INK_VALUE_DOUBLE), ==, "Double");
  g_assert_cmpstr (ink_value_type_to_string (INK_VALUE_STRING), ==, "String");
  g_assert_cmpstr (ink_value_type_to_string (INK_VALUE_MULTIARRAY), ==, "MultiArray");
  g_assert_cmpstr (ink_value_type_to_string (INK_VALUE_IMAGE), ==, "Image");
  g_assert_cmpstr (ink_value_type_to_string (INK_VALUE_DICTIONARY), ==, "Dictionary");
  g_assert_cmpstr (ink_value_type_to_string (INK_VALUE_SEQUENCE), ==, "Sequence");
  g_assert_cmpstr (ink_value_type_to_string (INK_VALUE_INVALID), ==, "Invalid");
  g_assert_cmpstr (ink_value_type_to_string ((InkValueType) 77), ==, "Invalid");

  g_assert_cmpstr (ink_array_type_to_string (INK_ARRAY_FLOAT32), ==, "Float32");
  g_assert_cmpstr (ink_array_type_to_string (INK_ARRAY_FLOAT64), ==, "Float64");
  g_assert_cmpstr (ink_array_type_to_string (INK_ARRAY_INT32), ==, "Int32");
  g_assert_cmpstr (ink_array_type_to_string ((InkArrayType) 77), ==, "Invalid");

  g_assert_cmpstr (ink_pixel_format_to_string (INK_PIXEL_GRAY8), ==, "Gray8");
  g_assert_cmpstr (ink_pixel_format_to_string (INK_PIXEL_RGBA8), ==, "RGBA8");
  g_assert_cmpstr (ink_pixel_format_to_string (INK_PIXEL_BGRA8), ==, "BGRA8");
  g_assert_cmpstr (ink_pixel_format_to_string ((InkPixelFormat) 77), ==, "Invalid");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/value/scalar/int64", test_scalar_int64);
  g_test_add_func ("/engine/value/scalar/double", test_scalar_double);
  g_test_add_func ("/engine/value/scalar/string", test_scalar_string);
  g_test_add_func ("/engine/value/null", test_null_value);
  g_test_add_func ("/engine/value/multiarray/float32", test_multiarray_float32);
  g_test_add_func ("/engine/value/multiarray/float64", test_multiarray_float64);
  g_test_add_func ("/engine/value/multiarray/int32", test_multiarray_int32);
  g_test_add_func ("/engine/value/multiarray/zero-filled", test_multiarray_zero_filled);
  g_test_add_func ("/engine/value/multiarray/max-rank", test_multiarray_max_rank);
  g_test_add_func ("/engine/value/multiarray/empty-dimension", test_multiarray_empty_dimension);
  g_test_add_func ("/engine/value/multiarray/invalid", test_multiarray_invalid);
  g_test_add_func ("/engine/value/image/stride-padding", test_image_stride_padding);
  g_test_add_func ("/engine/value/image/formats", test_image_formats);
  g_test_add_func ("/engine/value/image/zero-filled", test_image_zero_filled);
  g_test_add_func ("/engine/value/image/invalid", test_image_invalid);
  g_test_add_func ("/engine/value/dictionary/string", test_dictionary_string);
  g_test_add_func ("/engine/value/dictionary/int64", test_dictionary_int64);
  g_test_add_func ("/engine/value/dictionary/not-a-dictionary", test_dictionary_not_a_dictionary);
  g_test_add_func ("/engine/value/dictionary/many", test_dictionary_many);
  g_test_add_func ("/engine/value/sequence/int64", test_sequence_int64);
  g_test_add_func ("/engine/value/sequence/string", test_sequence_string);
  g_test_add_func ("/engine/value/sequence/wrong-type", test_sequence_wrong_type);
  g_test_add_func ("/engine/value/copy/scalars", test_copy_scalars);
  g_test_add_func ("/engine/value/copy/multiarray", test_copy_multiarray);
  g_test_add_func ("/engine/value/copy/image", test_copy_image);
  g_test_add_func ("/engine/value/copy/dictionary", test_copy_dictionary);
  g_test_add_func ("/engine/value/copy/sequence", test_copy_sequence);
  g_test_add_func ("/engine/value/names", test_type_names);
  return g_test_run ();
}

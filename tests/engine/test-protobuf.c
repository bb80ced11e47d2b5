/* test-protobuf.c: the protobuf wire-format reader and writer
 *
 * SPDX-License-Identifier: MIT
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ink-protobuf.h"
#include "test-util.h"

/* ---- Helpers ------------------------------------------------------------ */

/* Reads exactly one field from w's buffer (the buffer holds nothing else). */
static void
read_single (const InkPbWriter *w, InkPbField *f)
{
  InkPbReader r;
  InkPbField end;
  InkError err;

  g_assert_false (ink_pb_writer_failed (w));
  ink_pb_reader_init (&r, w->buf, w->len);
  g_assert_cmpint (ink_pb_next (&r, f, &err), ==, 1);
  g_assert_cmpint (ink_pb_next (&r, &end, &err), ==, 0);
}

static void
assert_bytes (const InkPbWriter *w, const uint8_t *expected, size_t n)
{
  g_assert_false (ink_pb_writer_failed (w));
  g_assert_cmpmem (w->buf, w->len, expected, n);
}

/* Runs the reader over a copy of data of exactly size bytes (so that ASan
 * sees any over-read) until it ends; returns the last ink_pb_next result. */
static int
read_all (const uint8_t *data, size_t size, size_t *fields, InkError *err)
{
  uint8_t *copy = size > 0 ? g_memdup2 (data, size) : NULL;
  InkPbReader r;
  InkPbField f;
  int rc;

  *fields = 0;
  ink_pb_reader_init (&r, copy, size);
  while ((rc = ink_pb_next (&r, &f, err)) == 1)
    (*fields)++;
  g_free (copy);
  return rc;
}

static void
assert_malformed (const uint8_t *data, size_t size, const char *needle)
{
  InkError err;
  size_t fields;

  ink_error_clear (&err);
  g_assert_cmpint (read_all (data, size, &fields, &err), ==, -1);
  g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
  if (strstr (err.message, needle) == NULL)
    g_error ("error message \"%s\" lacks \"%s\"", err.message, needle);
}

static uint32_t
fbits (float x)
{
  uint32_t u;

  memcpy (&u, &x, sizeof u);
  return u;
}

static uint64_t
dbits (double x)
{
  uint64_t u;

  memcpy (&u, &x, sizeof u);
  return u;
}

typedef struct {
  size_t fields;   /* fields read, at every level */
  size_t messages; /* LEN payloads that parsed whole as messages */
  size_t errors;   /* messages (or would-be messages) that did not parse */
  int max_depth;
} WalkStats;

/* Calls every view of f that its wire type allows, checking what must hold. */
static void
exercise_field (const InkPbField *f)
{
  InkError err;
  float *fl = NULL;
  double *db = NULL;
  int64_t *iv = NULL;
  size_t n, cap = 0;
  InkStatus st;
  char *s;

  (void) ink_pb_int64 (f);
  (void) ink_pb_int32 (f);
  (void) ink_pb_bool (f);
  (void) ink_pb_double (f);
  (void) ink_pb_float (f);

  n = 0;
  st = ink_pb_append_floats (f, &fl, &n, &cap, "floats", &err);
  if (f->wire == INK_PB_I32 || (f->wire == INK_PB_LEN && f->size % 4 == 0)) {
    g_assert_cmpint (st, ==, INK_OK);
    g_assert_cmpuint (n, ==, f->wire == INK_PB_I32 ? 1 : f->size / 4);
  } else {
    g_assert_cmpint (st, ==, INK_ERR_FORMAT);
    g_assert_cmpuint (n, ==, 0);
  }
  n = 0;
  st = ink_pb_append_halfs (f, &fl, &n, &cap, "halfs", &err);
  g_assert_cmpint (st, ==, f->wire == INK_PB_LEN && f->size % 2 == 0 ? INK_OK : INK_ERR_FORMAT);
  free (fl);

  n = cap = 0;
  st = ink_pb_append_doubles (f, &db, &n, &cap, "doubles", &err);
  if (f->wire == INK_PB_I64 || (f->wire == INK_PB_LEN && f->size % 8 == 0))
    g_assert_cmpint (st, ==, INK_OK);
  else
    g_assert_cmpint (st, ==, INK_ERR_FORMAT);
  free (db);

  n = cap = 0;
  st = ink_pb_append_int64s (f, &iv, &n, &cap, "int64s", &err);
  if (f->wire == INK_PB_VARINT)
    g_assert_cmpint (st, ==, INK_OK);
  if (st == INK_OK && f->wire == INK_PB_LEN)
    g_assert_cmpuint (n, <=, f->size);
  if (st != INK_OK) {
    g_assert_cmpint (st, ==, INK_ERR_FORMAT);
    g_assert_cmpuint (n, ==, 0);
  }
  free (iv);

  s = ink_pb_string (f, "string", &err);
  if (s != NULL) {
    g_assert_cmpint (f->wire, ==, INK_PB_LEN);
    g_assert_cmpuint (strlen (s), ==, f->size);
    free (s);
  } else {
    g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
  }
}

/* Walks a message, recursing into every LEN payload as a possible message.
 * Returns the top level's last ink_pb_next result (0 or -1). */
static int
walk (const InkPbReader *r0, const uint8_t *lo, const uint8_t *hi, WalkStats *st, bool exercise)
{
  InkPbReader r = *r0;
  InkPbField f;
  InkError err;
  int rc;

  if (r.depth > st->max_depth)
    st->max_depth = r.depth;
  while ((rc = ink_pb_next (&r, &f, &err)) == 1) {
    st->fields++;
    g_assert_cmpuint (f.number, >=, 1);
    g_assert_cmpuint (f.number, <=, INK_PB_MAX_FIELD_NUMBER);
    g_assert_true (f.wire == INK_PB_VARINT || f.wire == INK_PB_I64 || f.wire == INK_PB_LEN ||
                   f.wire == INK_PB_I32);
    g_assert_true (r.pos <= r.end);
    if (exercise)
      exercise_field (&f);
    if (f.wire == INK_PB_LEN) {
      InkPbReader child;

      g_assert_true (f.data >= lo && f.data <= hi && f.size <= (size_t) (hi - f.data));
      if (ink_pb_sub (&r, &f, &child, &err) == INK_OK) {
        g_assert_cmpint (child.depth, ==, r.depth + 1);
        if (walk (&child, f.data, f.data + f.size, st, exercise) == 0)
          st->messages++;
      } else {
        g_assert_cmpint (r.depth, ==, INK_PB_MAX_DEPTH);
        g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
      }
    }
  }
  if (rc == -1) {
    st->errors++;
    g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
    g_assert_nonnull (strstr (err.message, "byte"));
  } else {
    g_assert_cmpint (rc, ==, 0);
  }
  return rc;
}

/* Walks a copy of exactly size bytes (for ASan). */
static int
walk_buffer (const uint8_t *data, size_t size, WalkStats *st, bool exercise)
{
  uint8_t *copy = size > 0 ? g_memdup2 (data, size) : NULL;
  InkPbReader r;
  int rc;

  ink_pb_reader_init (&r, copy, size);
  rc = walk (&r, copy, copy != NULL ? copy + size : NULL, st, exercise);
  g_free (copy);
  return rc;
}

/* A message using every writer call, nested 3 deep:
 *   1: varint 150, 2: { 1: "inner", 2: { 1: double, 2: packed floats, 3: {} }, 3: -1 },
 *   3: float, 4: packed int64s, 5: bytes, 6: bool, 7: packed doubles, 8: "" */
static void
build_sample (InkPbWriter *w)
{
  static const float floats[] = {1.0f, -2.5f, 3.25f};
  static const double doubles[] = {0.5, -1e300};
  static const int64_t ints[] = {0, 1, -1, 300, INT64_MIN, INT64_MAX};
  static const uint8_t raw[] = {0, 1, 2, 0xff};
  InkPbWriter a, b, c;

  ink_pb_writer_init (&a);
  ink_pb_writer_init (&b);
  ink_pb_writer_init (&c);
  ink_pb_put_double (&b, 1, 3.5);
  ink_pb_put_packed_floats (&b, 2, floats, G_N_ELEMENTS (floats));
  ink_pb_put_message (&b, 3, &c);
  ink_pb_put_string (&a, 1, "inner");
  ink_pb_put_message (&a, 2, &b);
  ink_pb_put_int64 (&a, 3, -1);
  ink_pb_put_varint (w, 1, 150);
  ink_pb_put_message (w, 2, &a);
  ink_pb_put_float (w, 3, 0.75f);
  ink_pb_put_packed_int64s (w, 4, ints, G_N_ELEMENTS (ints));
  ink_pb_put_bytes (w, 5, raw, sizeof raw);
  ink_pb_put_bool (w, 6, true);
  ink_pb_put_packed_doubles (w, 7, doubles, G_N_ELEMENTS (doubles));
  ink_pb_put_string (w, 8, "");
  g_assert_false (ink_pb_writer_failed (w));
  ink_pb_writer_clear (&a);
  ink_pb_writer_clear (&b);
  ink_pb_writer_clear (&c);
}

/* ---- Round trips -------------------------------------------------------- */

static const uint64_t varint_values[] = {
  0,
  1,
  2,
  127,
  128,
  255,
  256,
  16383,
  16384,
  2097151,
  2097152,
  UINT32_MAX,
  (uint64_t) UINT32_MAX + 1,
  (uint64_t) 1 << 35,
  (uint64_t) 1 << 56,
  ((uint64_t) 1 << 63) - 1,
  (uint64_t) 1 << 63,
  UINT64_MAX - 1,
  UINT64_MAX,
};

static const uint32_t field_numbers[] = {
  1,
  2,
  15,
  16,
  500,
  2047,
  2048,
  262143,
  262144,
  INK_PB_MAX_FIELD_NUMBER - 1,
  INK_PB_MAX_FIELD_NUMBER,
};

static void
test_varint_roundtrip (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (varint_values); i++) {
    for (size_t j = 0; j < G_N_ELEMENTS (field_numbers); j++) {
      InkPbWriter w;
      InkPbField f;
      size_t expect_len = 0;

      /* The canonical (shortest) encoding's size. */
      for (uint64_t k = (uint64_t) field_numbers[j] << 3;; k >>= 7) {
        expect_len++;
        if (k < 128)
          break;
      }
      for (uint64_t v = varint_values[i];; v >>= 7) {
        expect_len++;
        if (v < 128)
          break;
      }
      ink_pb_writer_init (&w);
      ink_pb_put_varint (&w, field_numbers[j], varint_values[i]);
      g_assert_cmpuint (w.len, ==, expect_len);
      read_single (&w, &f);
      g_assert_cmpuint (f.number, ==, field_numbers[j]);
      g_assert_cmpint (f.wire, ==, INK_PB_VARINT);
      g_assert_cmpuint (f.value, ==, varint_values[i]);
      g_assert_null (f.data);
      g_assert_cmpuint (f.size, ==, 0);
      ink_pb_writer_clear (&w);
      g_assert_null (w.buf);
    }
  }
}

static void
test_varint_encoding (void)
{
  static const uint8_t zero[] = {0x08, 0x00};
  static const uint8_t v127[] = {0x08, 0x7f};
  static const uint8_t v128[] = {0x08, 0x80, 0x01};
  static const uint8_t v150[] = {0x08, 0x96, 0x01};
  static const uint8_t minus1[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0x01};
  static const uint8_t field16[] = {0x80, 0x01, 0x01};
  static const uint8_t field500[] = {0xa2, 0x1f, 0x00}; /* neuralNetwork, coreml-spec-subset §0 */
  static const uint8_t max_field[] = {0xf8, 0xff, 0xff, 0xff, 0x0f, 0x05};
  static const uint8_t dbl[] = {0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f};
  static const uint8_t flt[] = {0x1d, 0, 0, 0x80, 0x3f};
  static const uint8_t str[] = {0x12, 0x02, 'h', 'i'};
  InkPbWriter w, empty;

  ink_pb_writer_init (&w);
  ink_pb_writer_init (&empty);
  ink_pb_put_varint (&w, 1, 0);
  assert_bytes (&w, zero, sizeof zero);
  ink_pb_writer_reset (&w);
  ink_pb_put_varint (&w, 1, 127);
  assert_bytes (&w, v127, sizeof v127);
  ink_pb_writer_reset (&w);
  ink_pb_put_varint (&w, 1, 128);
  assert_bytes (&w, v128, sizeof v128);
  ink_pb_writer_reset (&w);
  ink_pb_put_int64 (&w, 1, 150);
  assert_bytes (&w, v150, sizeof v150);
  ink_pb_writer_reset (&w);
  ink_pb_put_int64 (&w, 1, -1);
  assert_bytes (&w, minus1, sizeof minus1);
  ink_pb_writer_reset (&w);
  ink_pb_put_bool (&w, 16, true);
  assert_bytes (&w, field16, sizeof field16);
  ink_pb_writer_reset (&w);
  ink_pb_put_message (&w, 500, &empty);
  assert_bytes (&w, field500, sizeof field500);
  ink_pb_writer_reset (&w);
  ink_pb_put_varint (&w, INK_PB_MAX_FIELD_NUMBER, 5);
  assert_bytes (&w, max_field, sizeof max_field);
  ink_pb_writer_reset (&w);
  ink_pb_put_double (&w, 1, 1.0);
  assert_bytes (&w, dbl, sizeof dbl);
  ink_pb_writer_reset (&w);
  ink_pb_put_float (&w, 3, 1.0f);
  assert_bytes (&w, flt, sizeof flt);
  ink_pb_writer_reset (&w);
  ink_pb_put_string (&w, 2, "hi");
  assert_bytes (&w, str, sizeof str);
  ink_pb_writer_clear (&w);
  ink_pb_writer_clear (&empty);
}

static void
test_scalar_int64 (void)
{
  static const int64_t values[] = {0,         1,         -1,     127,       128,
                                   -128,      300,       -300,   INT32_MAX, INT32_MIN,
                                   INT64_MAX, INT64_MIN, -65536, 1 << 30,   INT64_MIN + 1};

  for (size_t i = 0; i < G_N_ELEMENTS (values); i++) {
    InkPbWriter w;
    InkPbField f;

    ink_pb_writer_init (&w);
    ink_pb_put_int64 (&w, 7, values[i]);
    if (values[i] < 0)
      g_assert_cmpuint (w.len, ==, 1 + 10); /* negatives are always 10-byte varints */
    read_single (&w, &f);
    g_assert_cmpint (f.wire, ==, INK_PB_VARINT);
    g_assert_cmpint (ink_pb_int64 (&f), ==, values[i]);
    g_assert_cmpint (ink_pb_expect (&f, INK_PB_VARINT, "x", NULL), ==, INK_OK);
    if (values[i] >= INT32_MIN && values[i] <= INT32_MAX)
      g_assert_cmpint (ink_pb_int32 (&f), ==, (int32_t) values[i]);
    ink_pb_writer_clear (&w);
  }
}

static void
test_scalar_int32 (void)
{
  InkPbField f = {.number = 1, .wire = INK_PB_VARINT};

  f.value = (uint64_t) -5; /* a 10-byte negative int32/enum */
  g_assert_cmpint (ink_pb_int32 (&f), ==, -5);
  f.value = ((uint64_t) 1 << 32) + 7; /* protobuf truncates to the low 32 bits */
  g_assert_cmpint (ink_pb_int32 (&f), ==, 7);
  f.value = 0xffffffffu; /* a 5-byte -1 from a sloppy writer */
  g_assert_cmpint (ink_pb_int32 (&f), ==, -1);
  f.value = 0x80000000u;
  g_assert_cmpint (ink_pb_int32 (&f), ==, INT32_MIN);
  f.value = INT32_MAX;
  g_assert_cmpint (ink_pb_int32 (&f), ==, INT32_MAX);
  f.value = UINT64_MAX;
  g_assert_cmpint (ink_pb_int64 (&f), ==, -1);
}

static void
test_scalar_bool (void)
{
  InkPbWriter w;
  InkPbField f;

  for (int b = 0; b <= 1; b++) {
    ink_pb_writer_init (&w);
    ink_pb_put_bool (&w, 10, b != 0);
    g_assert_cmpuint (w.len, ==, 2);
    read_single (&w, &f);
    g_assert_cmpuint (f.number, ==, 10);
    g_assert_cmpint (ink_pb_bool (&f), ==, b != 0);
    ink_pb_writer_clear (&w);
  }
  /* Any nonzero varint is true. */
  f.value = (uint64_t) 1 << 40;
  g_assert_true (ink_pb_bool (&f));
}

static void
test_scalar_double (void)
{
  const double values[] = {0.0,     -0.0,     1.0,      -1.0,      0.1, DBL_MAX, -DBL_MAX,
                           DBL_MIN, 4.9e-324, INFINITY, -INFINITY, NAN, -NAN};
  const uint64_t payload_nan = 0x7ff0000000000001ull; /* signalling, payload 1 */

  for (size_t i = 0; i <= G_N_ELEMENTS (values); i++) {
    double x;
    InkPbWriter w;
    InkPbField f;

    if (i < G_N_ELEMENTS (values))
      x = values[i];
    else
      memcpy (&x, &payload_nan, sizeof x);
    ink_pb_writer_init (&w);
    ink_pb_put_double (&w, 2, x);
    g_assert_cmpuint (w.len, ==, 9);
    read_single (&w, &f);
    g_assert_cmpint (f.wire, ==, INK_PB_I64);
    g_assert_cmpuint (f.value, ==, dbits (x));
    g_assert_cmpuint (dbits (ink_pb_double (&f)), ==, dbits (x)); /* bit-exact, NaN payloads too */
    ink_pb_writer_clear (&w);
  }
}

static void
test_scalar_float (void)
{
  const float values[] = {0.0f,    -0.0f,    1.0f,     -1.0f,     0.1f, FLT_MAX, -FLT_MAX,
                          FLT_MIN, 1.4e-45f, INFINITY, -INFINITY, NAN,  -NAN};
  const uint32_t payload_nan = 0x7f800001u;

  for (size_t i = 0; i <= G_N_ELEMENTS (values); i++) {
    float x;
    InkPbWriter w;
    InkPbField f;

    if (i < G_N_ELEMENTS (values))
      x = values[i];
    else
      memcpy (&x, &payload_nan, sizeof x);
    ink_pb_writer_init (&w);
    ink_pb_put_float (&w, 3, x);
    g_assert_cmpuint (w.len, ==, 5);
    read_single (&w, &f);
    g_assert_cmpint (f.wire, ==, INK_PB_I32);
    g_assert_cmpuint (f.value, ==, fbits (x));
    g_assert_cmpuint (fbits (ink_pb_float (&f)), ==, fbits (x));
    ink_pb_writer_clear (&w);
  }
}

static void
test_strings (void)
{
  const char *strings[] = {
    "",
    "a",
    "hello, world",
    "h\xc3\xa9llo \xe2\x86\x92 \xf0\x9f\x98\x80",           /* é → 😀 */
    "\xef\xbf\xbf\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80", /* U+FFFF U+10FFFF U+D7FF U+E000 */
    "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xf0\x90\x80\x80",     /* boundaries of each length */
  };
  char long_str[1000];

  memset (long_str, 'x', sizeof long_str - 1);
  long_str[sizeof long_str - 1] = '\0';
  for (size_t i = 0; i <= G_N_ELEMENTS (strings); i++) {
    const char *s = i < G_N_ELEMENTS (strings) ? strings[i] : long_str;
    InkPbWriter w;
    InkPbField f;
    InkError err;
    char *got;

    ink_pb_writer_init (&w);
    ink_pb_put_string (&w, 1, s);
    read_single (&w, &f);
    g_assert_cmpint (f.wire, ==, INK_PB_LEN);
    g_assert_cmpuint (f.size, ==, strlen (s));
    got = ink_pb_string (&f, "name", &err);
    g_assert_nonnull (got);
    g_assert_cmpstr (got, ==, s);
    free (got);
    ink_pb_writer_clear (&w);
  }

  /* NULL is written as "". */
  {
    static const uint8_t expected[] = {0x0a, 0x00};
    InkPbWriter w;

    ink_pb_writer_init (&w);
    ink_pb_put_string (&w, 1, NULL);
    assert_bytes (&w, expected, sizeof expected);
    ink_pb_writer_clear (&w);
  }

  /* Bytes with NULs round-trip as bytes (but not as a string). */
  {
    static const uint8_t raw[] = {0, 'a', 0, 0xff, 0x80};
    InkPbWriter w;
    InkPbField f;
    InkError err;

    ink_pb_writer_init (&w);
    ink_pb_put_bytes (&w, 3, raw, sizeof raw);
    ink_pb_put_bytes (&w, 4, NULL, 0);
    g_assert_false (ink_pb_writer_failed (&w));
    {
      InkPbReader r;

      ink_pb_reader_init (&r, w.buf, w.len);
      g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
      g_assert_cmpmem (f.data, f.size, raw, sizeof raw);
      g_assert_null (ink_pb_string (&f, "blob", &err));
      g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
      g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
      g_assert_cmpuint (f.number, ==, 4);
      g_assert_cmpuint (f.size, ==, 0);
      g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 0);
    }
    ink_pb_writer_clear (&w);
  }
}

static void
test_message_empty (void)
{
  static const uint8_t expected[] = {0x2a, 0x00};
  InkPbWriter w, sub;
  InkPbReader r, child;
  InkPbField f;
  InkError err;

  ink_pb_writer_init (&w);
  ink_pb_writer_init (&sub);
  ink_pb_put_message (&w, 5, &sub); /* Int64FeatureType-style: present but empty */
  assert_bytes (&w, expected, sizeof expected);
  read_single (&w, &f);
  g_assert_cmpint (f.wire, ==, INK_PB_LEN);
  g_assert_cmpuint (f.size, ==, 0);
  ink_pb_reader_init (&r, w.buf, w.len);
  ink_assert_ok (ink_pb_sub (&r, &f, &child, &err), &err);
  g_assert_cmpint (ink_pb_next (&child, &f, &err), ==, 0);

  /* An empty input is an empty message, NULL included. */
  ink_pb_reader_init (&r, NULL, 0);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 0);
  g_assert_cmpuint (ink_pb_reader_offset (&r), ==, 0);
  ink_pb_writer_clear (&w);
  ink_pb_writer_clear (&sub);
}

static void
test_message_nested (void)
{
  InkPbWriter w;
  InkPbReader r, a, b, c;
  InkPbField f;
  InkError err;
  float *fl = NULL;
  size_t n = 0, cap = 0;
  char *s;

  ink_pb_writer_init (&w);
  build_sample (&w);
  ink_pb_reader_init (&r, w.buf, w.len);

  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpuint (f.number, ==, 1);
  g_assert_cmpuint (f.value, ==, 150);

  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpuint (f.number, ==, 2);
  ink_assert_ok (ink_pb_expect (&f, INK_PB_LEN, "a", &err), &err);
  ink_assert_ok (ink_pb_sub (&r, &f, &a, &err), &err);
  g_assert_cmpint (a.depth, ==, 1);
  {
    g_assert_cmpint (ink_pb_next (&a, &f, &err), ==, 1);
    s = ink_pb_string (&f, "a.name", &err);
    g_assert_cmpstr (s, ==, "inner");
    free (s);
    g_assert_cmpint (ink_pb_next (&a, &f, &err), ==, 1);
    g_assert_cmpuint (f.number, ==, 2);
    ink_assert_ok (ink_pb_sub (&a, &f, &b, &err), &err);
    g_assert_cmpint (b.depth, ==, 2);
    {
      g_assert_cmpint (ink_pb_next (&b, &f, &err), ==, 1);
      g_assert_cmpfloat (ink_pb_double (&f), ==, 3.5);
      g_assert_cmpint (ink_pb_next (&b, &f, &err), ==, 1);
      ink_assert_ok (ink_pb_append_floats (&f, &fl, &n, &cap, "b.floats", &err), &err);
      g_assert_cmpuint (n, ==, 3);
      g_assert_cmpfloat (fl[0], ==, 1.0f);
      g_assert_cmpfloat (fl[1], ==, -2.5f);
      g_assert_cmpfloat (fl[2], ==, 3.25f);
      g_assert_cmpint (ink_pb_next (&b, &f, &err), ==, 1);
      g_assert_cmpuint (f.number, ==, 3);
      ink_assert_ok (ink_pb_sub (&b, &f, &c, &err), &err);
      g_assert_cmpint (c.depth, ==, 3);
      g_assert_cmpint (ink_pb_next (&c, &f, &err), ==, 0);
      g_assert_cmpint (ink_pb_next (&b, &f, &err), ==, 0);
    }
    g_assert_cmpint (ink_pb_next (&a, &f, &err), ==, 1);
    g_assert_cmpint (ink_pb_int64 (&f), ==, -1);
    g_assert_cmpint (ink_pb_next (&a, &f, &err), ==, 0);
  }
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpfloat (ink_pb_float (&f), ==, 0.75f);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpuint (f.number, ==, 4);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpuint (f.number, ==, 5);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_true (ink_pb_bool (&f));
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpuint (f.number, ==, 7);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpuint (f.number, ==, 8);
  g_assert_cmpuint (f.size, ==, 0);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 0);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 0); /* stays at the end */
  g_assert_cmpuint (ink_pb_reader_offset (&r), ==, w.len);
  free (fl);
  ink_pb_writer_clear (&w);
}

/* ---- Repeated scalars --------------------------------------------------- */

/* Reads every field of w's buffer into the array with append. */
#define APPEND_ALL(w, fn, arr, n, cap)                                                             \
  G_STMT_START                                                                                     \
  {                                                                                                \
    InkPbReader r_;                                                                                \
    InkPbField f_;                                                                                 \
    InkError e_;                                                                                   \
    int rc_;                                                                                       \
    ink_pb_reader_init (&r_, (w)->buf, (w)->len);                                                  \
    while ((rc_ = ink_pb_next (&r_, &f_, &e_)) == 1)                                               \
      ink_assert_ok (fn (&f_, &(arr), &(n), &(cap), "values (field 1)", &e_), &e_);                \
    g_assert_cmpint (rc_, ==, 0);                                                                  \
  }                                                                                                \
  G_STMT_END

static void
test_repeated_floats (void)
{
  const float values[] = {0.0f,    -0.0f,  1.0f,     -1.5f,     FLT_MAX,
                          FLT_MIN, 1e-45f, INFINITY, -INFINITY, NAN};
  const size_t nv = G_N_ELEMENTS (values);
  InkPbWriter packed, unpacked, mixed, empty;
  float *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  size_t na = 0, ca = 0, nb = 0, cb = 0, nc = 0, cc = 0, nd = 0, cd = 0;

  ink_pb_writer_init (&packed);
  ink_pb_writer_init (&unpacked);
  ink_pb_writer_init (&mixed);
  ink_pb_writer_init (&empty);
  ink_pb_put_packed_floats (&packed, 1, values, nv);
  g_assert_cmpuint (packed.len, ==, 2 + 4 * nv);
  for (size_t i = 0; i < nv; i++)
    ink_pb_put_float (&unpacked, 1, values[i]);
  ink_pb_put_packed_floats (&mixed, 1, values, 4);
  ink_pb_put_float (&mixed, 1, values[4]);
  ink_pb_put_packed_floats (&mixed, 1, values + 5, nv - 5);
  ink_pb_put_packed_floats (&empty, 1, values, 0);
  g_assert_cmpuint (empty.len, ==, 0); /* proto3 omits empty repeated fields */

  APPEND_ALL (&packed, ink_pb_append_floats, a, na, ca);
  APPEND_ALL (&unpacked, ink_pb_append_floats, b, nb, cb);
  APPEND_ALL (&mixed, ink_pb_append_floats, c, nc, cc);
  APPEND_ALL (&empty, ink_pb_append_floats, d, nd, cd);
  g_assert_cmpuint (na, ==, nv);
  g_assert_cmpuint (nb, ==, nv);
  g_assert_cmpuint (nc, ==, nv);
  g_assert_cmpuint (nd, ==, 0);
  g_assert_null (d);
  g_assert_cmpuint (ca, >=, na);
  g_assert_cmpuint (cb, >=, nb);
  for (size_t i = 0; i < nv; i++) {
    g_assert_cmpuint (fbits (a[i]), ==, fbits (values[i]));
    g_assert_cmpuint (fbits (b[i]), ==, fbits (values[i]));
    g_assert_cmpuint (fbits (c[i]), ==, fbits (values[i]));
  }
  /* Appending after INK_GROW-style growth keeps earlier values. */
  APPEND_ALL (&packed, ink_pb_append_floats, a, na, ca);
  g_assert_cmpuint (na, ==, 2 * nv);
  g_assert_cmpuint (fbits (a[nv + 3]), ==, fbits (values[3]));
  free (a);
  free (b);
  free (c);
  ink_pb_writer_clear (&packed);
  ink_pb_writer_clear (&unpacked);
  ink_pb_writer_clear (&mixed);
  ink_pb_writer_clear (&empty);
}

static void
test_repeated_doubles (void)
{
  const double values[] = {0.0, -0.0, 1.0, -1.5, DBL_MAX, DBL_MIN, 4.9e-324, INFINITY, NAN};
  const size_t nv = G_N_ELEMENTS (values);
  InkPbWriter packed, unpacked;
  double *a = NULL, *b = NULL;
  size_t na = 0, ca = 0, nb = 0, cb = 0;

  ink_pb_writer_init (&packed);
  ink_pb_writer_init (&unpacked);
  ink_pb_put_packed_doubles (&packed, 1, values, nv);
  g_assert_cmpuint (packed.len, ==, 2 + 8 * nv);
  for (size_t i = 0; i < nv; i++)
    ink_pb_put_double (&unpacked, 1, values[i]);
  ink_pb_put_packed_doubles (&unpacked, 1, values, 0);
  APPEND_ALL (&packed, ink_pb_append_doubles, a, na, ca);
  APPEND_ALL (&unpacked, ink_pb_append_doubles, b, nb, cb);
  g_assert_cmpuint (na, ==, nv);
  g_assert_cmpuint (nb, ==, nv);
  for (size_t i = 0; i < nv; i++) {
    g_assert_cmpuint (dbits (a[i]), ==, dbits (values[i]));
    g_assert_cmpuint (dbits (b[i]), ==, dbits (values[i]));
  }
  free (a);
  free (b);
  ink_pb_writer_clear (&packed);
  ink_pb_writer_clear (&unpacked);
}

static void
test_repeated_int64s (void)
{
  const int64_t values[] = {0, 1, -1, 127, 128, -128, INT64_MAX, INT64_MIN, 1 << 20, -(1 << 20)};
  const size_t nv = G_N_ELEMENTS (values);
  InkPbWriter packed, unpacked, mixed;
  int64_t *a = NULL, *b = NULL, *c = NULL;
  size_t na = 0, ca = 0, nb = 0, cb = 0, nc = 0, cc = 0;
  static const uint8_t shape[] = {0x0a, 0x03, 0x01, 0x96, 0x01}; /* [1, 150] */

  ink_pb_writer_init (&packed);
  ink_pb_writer_init (&unpacked);
  ink_pb_writer_init (&mixed);
  ink_pb_put_packed_int64s (&packed, 1, values, nv);
  for (size_t i = 0; i < nv; i++)
    ink_pb_put_int64 (&unpacked, 1, values[i]);
  ink_pb_put_int64 (&mixed, 1, values[0]);
  ink_pb_put_packed_int64s (&mixed, 1, values + 1, nv - 1);
  APPEND_ALL (&packed, ink_pb_append_int64s, a, na, ca);
  APPEND_ALL (&unpacked, ink_pb_append_int64s, b, nb, cb);
  APPEND_ALL (&mixed, ink_pb_append_int64s, c, nc, cc);
  g_assert_cmpuint (na, ==, nv);
  g_assert_cmpuint (nb, ==, nv);
  g_assert_cmpuint (nc, ==, nv);
  for (size_t i = 0; i < nv; i++) {
    g_assert_cmpint (a[i], ==, values[i]);
    g_assert_cmpint (b[i], ==, values[i]);
    g_assert_cmpint (c[i], ==, values[i]);
  }
  ink_pb_writer_reset (&packed);
  ink_pb_put_packed_int64s (&packed, 1, (const int64_t[]){1, 150}, 2);
  assert_bytes (&packed, shape, sizeof shape);
  free (a);
  free (b);
  free (c);
  ink_pb_writer_clear (&packed);
  ink_pb_writer_clear (&unpacked);
  ink_pb_writer_clear (&mixed);
}

/* ---- float16 ------------------------------------------------------------ */

static float
reference_half (uint16_t h)
{
  int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v;

  if (exp == 0x1f)
    v = mant != 0 ? NAN : INFINITY;
  else if (exp == 0)
    v = ldexp (mant, -24);
  else
    v = ldexp (1024 + mant, exp - 25);
  return (float) (sign ? -v : v);
}

static void
check_half (uint16_t h, float got)
{
  float want = reference_half (h);

  if (isnan (want)) {
    uint32_t bits = fbits (got);

    if (!isnan (got) || (signbit (got) != 0) != ((h & 0x8000) != 0) ||
        (bits & 0x7fffff) != (uint32_t) (h & 0x3ff) << 13)
      g_error ("half 0x%04x: got bits 0x%08x, want a NaN with payload 0x%03x", h, bits, h & 0x3ff);
  } else if (fbits (got) != fbits (want)) {
    g_error ("half 0x%04x: got %.9g (0x%08x), want %.9g (0x%08x)", h, got, fbits (got), want,
             fbits (want));
  }
}

static void
test_halfs_all (void)
{
  uint8_t *bytes = g_malloc (2 * 65536);
  InkPbWriter w;
  InkPbField f;
  InkError err;
  float *v = NULL;
  size_t n = 0, cap = 0;

  for (uint32_t h = 0; h < 65536; h++) {
    bytes[2 * h] = (uint8_t) h;
    bytes[2 * h + 1] = (uint8_t) (h >> 8);
    check_half ((uint16_t) h, ink_pb_half_to_float ((uint16_t) h));
  }
  ink_pb_writer_init (&w);
  ink_pb_put_bytes (&w, 4, bytes, 2 * 65536);
  read_single (&w, &f);
  v = malloc (3 * sizeof *v); /* a non-empty array: halfs are appended after it */
  v[0] = v[1] = v[2] = 42.0f;
  n = cap = 3;
  ink_assert_ok (ink_pb_append_halfs (&f, &v, &n, &cap, "float16Value (field 4)", &err), &err);
  g_assert_cmpuint (n, ==, 3 + 65536);
  g_assert_cmpfloat (v[2], ==, 42.0f);
  for (uint32_t h = 0; h < 65536; h++)
    check_half ((uint16_t) h, v[3 + h]);
  /* A few by value. */
  g_assert_cmpfloat (v[3 + 0x3c00], ==, 1.0f);
  g_assert_cmpfloat (v[3 + 0xc000], ==, -2.0f);
  g_assert_cmpfloat (v[3 + 0x7bff], ==, 65504.0f);
  g_assert_cmpfloat (v[3 + 0x0001], ==, ldexpf (1.0f, -24));
  g_assert_cmpfloat (v[3 + 0x03ff], ==, ldexpf (1023.0f, -24));
  g_assert_true (isinf (v[3 + 0x7c00]) && v[3 + 0x7c00] > 0);
  g_assert_true (isinf (v[3 + 0xfc00]) && v[3 + 0xfc00] < 0);
  g_assert_true (signbit (v[3 + 0x8000]) && v[3 + 0x8000] == 0.0f);
  free (v);
  ink_pb_writer_clear (&w);
  g_free (bytes);
}

static void
test_halfs_errors (void)
{
  static const uint8_t odd[] = {0x22, 0x03, 0x00, 0x3c, 0x00};
  InkPbReader r;
  InkPbField f;
  InkError err;
  float *v = NULL;
  size_t n = 0, cap = 0;

  ink_pb_reader_init (&r, odd, sizeof odd);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpint (ink_pb_append_halfs (&f, &v, &n, &cap, "float16Value (field 4)", &err), ==,
                   INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "float16Value (field 4)"));
  g_assert_cmpuint (n, ==, 0);
  g_assert_null (v);
  f.wire = INK_PB_I32; /* halfs only come as bytes */
  g_assert_cmpint (ink_pb_append_halfs (&f, &v, &n, &cap, "float16Value (field 4)", &err), ==,
                   INK_ERR_FORMAT);
  g_assert_null (v);
}

/* ---- Malformed input ---------------------------------------------------- */

static void
test_malformed_truncations (void)
{
  InkPbWriter w;
  InkPbReader r;
  InkPbField f;
  InkError err;
  GArray *bounds = g_array_new (FALSE, FALSE, sizeof (size_t));
  size_t zero = 0;

  ink_pb_writer_init (&w);
  build_sample (&w);
  ink_pb_reader_init (&r, w.buf, w.len);
  g_array_append_val (bounds, zero);
  while (ink_pb_next (&r, &f, &err) == 1) {
    size_t off = ink_pb_reader_offset (&r);

    g_array_append_val (bounds, off);
  }
  g_assert_cmpuint (g_array_index (bounds, size_t, bounds->len - 1), ==, w.len);

  for (size_t len = 0; len <= w.len; len++) {
    size_t fields = 0, k;
    WalkStats st = {0};
    int rc;

    ink_error_clear (&err);
    rc = read_all (w.buf, len, &fields, &err);
    for (k = 0; k < bounds->len && g_array_index (bounds, size_t, k) != len; k++)
      ;
    if (k < bounds->len) { /* cut at a field boundary: a shorter, valid message */
      g_assert_cmpint (rc, ==, 0);
      g_assert_cmpuint (fields, ==, k);
    } else {
      g_assert_cmpint (rc, ==, -1);
      g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
      g_assert_nonnull (strstr (err.message, "byte"));
      for (k = 0; k < bounds->len && g_array_index (bounds, size_t, k) < len; k++)
        ;
      g_assert_cmpuint (fields, ==, k - 1); /* the whole fields before the cut */
    }
    walk_buffer (w.buf, len, &st, true);
  }

  /* Truncating the nested message inside field 2 (rewriting the lengths to
   * match) is caught one level down. */
  {
    InkPbField outer;
    InkPbReader child;
    WalkStats st = {0};

    ink_pb_reader_init (&r, w.buf, w.len);
    g_assert_cmpint (ink_pb_next (&r, &outer, &err), ==, 1);
    g_assert_cmpint (ink_pb_next (&r, &outer, &err), ==, 1);
    for (size_t len = 0; len < outer.size; len++) {
      InkPbField cut = outer;
      size_t fields = 0;

      cut.size = len;
      ink_assert_ok (ink_pb_sub (&r, &cut, &child, &err), &err);
      while (ink_pb_next (&child, &f, &err) == 1)
        fields++;
      walk (&child, cut.data, cut.data + len, &st, true);
    }
  }
  g_array_free (bounds, TRUE);
  ink_pb_writer_clear (&w);
}

static void
test_malformed_varints (void)
{
  static const uint8_t key_cut[] = {0x80};
  static const uint8_t key_cut2[] = {0xa2, 0x9f};
  static const uint8_t value_cut[] = {0x08, 0x80};
  static const uint8_t value_cut9[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t eleven[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0x81, 0x01};
  static const uint8_t eleven_zero[] = {0x08, 0x80, 0x80, 0x80, 0x80, 0x80,
                                        0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  static const uint8_t tenth_big[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0x02};
  static const uint8_t ten_ok[] = {0x08, 0x80, 0x80, 0x80, 0x80, 0x80,
                                   0x80, 0x80, 0x80, 0x80, 0x01};
  static const uint8_t padded_ok[] = {0x88, 0x80, 0x00, 0x85, 0x80, 0x80, 0x00}; /* 1: 5 */
  static const uint8_t key_eleven[] = {0x88, 0x80, 0x80, 0x80, 0x80, 0x80,
                                       0x80, 0x80, 0x80, 0x80, 0x00, 0x00};
  InkPbReader r;
  InkPbField f;
  InkError err;

  assert_malformed (key_cut, sizeof key_cut, "truncated varint at byte 0");
  assert_malformed (key_cut2, sizeof key_cut2, "truncated varint at byte 0");
  assert_malformed (value_cut, sizeof value_cut, "truncated varint at byte 1");
  assert_malformed (value_cut9, sizeof value_cut9, "truncated varint at byte 1");
  assert_malformed (eleven, sizeof eleven, "varint at byte 1");
  assert_malformed (eleven_zero, sizeof eleven_zero, "over-long");
  assert_malformed (tenth_big, sizeof tenth_big, "over-long");
  assert_malformed (key_eleven, sizeof key_eleven, "over-long");

  /* A 10-byte varint whose 10th byte is 1 is 2^63. */
  ink_pb_reader_init (&r, ten_ok, sizeof ten_ok);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpuint (f.value, ==, (uint64_t) 1 << 63);
  g_assert_cmpint (ink_pb_int64 (&f), ==, INT64_MIN);
  /* Non-canonical (padded) varints are legal protobuf. */
  ink_pb_reader_init (&r, padded_ok, sizeof padded_ok);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpuint (f.number, ==, 1);
  g_assert_cmpuint (f.value, ==, 5);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 0);
}

static void
test_malformed_lengths (void)
{
  static const uint8_t past[] = {0x2a, 0x05, 'a', 'b'};
  static const uint8_t past_one[] = {0x08, 0x01, 0x12, 0x03, 'a', 'b'};
  static const uint8_t len_cut[] = {0x12, 0x80};
  static const uint8_t len_2_64[] = {0x12, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0x01, 'x'};
  static const uint8_t len_2_63[] = {0x12, 0x80, 0x80, 0x80, 0x80, 0x80,
                                     0x80, 0x80, 0x80, 0x80, 0x01, 'x'};
  static const uint8_t len_2_32[] = {0x12, 0x80, 0x80, 0x80, 0x80, 0x10, 'x'};
  static const uint8_t fixed64_cut[] = {0x09, 1, 2, 3, 4, 5, 6, 7};
  static const uint8_t fixed32_cut[] = {0x0d, 1, 2, 3};
  uint8_t near_max[16];
  size_t k = 0;
  uint64_t v = (uint64_t) SIZE_MAX - 3;

  assert_malformed (past, sizeof past,
                    "field 5 length 5 runs past the end of its message at byte 0");
  assert_malformed (past_one, sizeof past_one, "field 2 length 3 runs past the end");
  assert_malformed (past_one, sizeof past_one, "at byte 2");
  assert_malformed (len_cut, sizeof len_cut, "truncated varint at byte 1");
  assert_malformed (len_2_64, sizeof len_2_64, "length 18446744073709551615");
  assert_malformed (len_2_63, sizeof len_2_63, "runs past the end");
  assert_malformed (len_2_32, sizeof len_2_32, "length 4294967296");
  assert_malformed (fixed64_cut, sizeof fixed64_cut, "64-bit value runs past the end");
  assert_malformed (fixed32_cut, sizeof fixed32_cut, "32-bit value runs past the end");

  /* A length near SIZE_MAX: must not wrap the end pointer. */
  near_max[k++] = 0x12;
  while (v >= 0x80) {
    near_max[k++] = (uint8_t) (v | 0x80);
    v >>= 7;
  }
  near_max[k++] = (uint8_t) v;
  near_max[k++] = 'x';
  assert_malformed (near_max, k, "runs past the end");

  /* Lengths are checked against the enclosing message, not the buffer. */
  {
    static const uint8_t nested[] = {0x0a, 0x03, 0x12, 0x05, 'a', 'b', 'c', 'd', 'e'};
    InkPbReader r, child;
    InkPbField f;
    InkError err;

    ink_pb_reader_init (&r, nested, sizeof nested);
    g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
    ink_assert_ok (ink_pb_sub (&r, &f, &child, &err), &err);
    g_assert_cmpint (ink_pb_next (&child, &f, &err), ==, -1);
    /* The offset counts from the outermost buffer. */
    g_assert_nonnull (strstr (err.message, "field 2 length 5"));
    g_assert_nonnull (strstr (err.message, "at byte 2"));
  }
}

static void
test_malformed_wire_types (void)
{
  static const uint8_t group_start[] = {0x0b, 0x08, 0x01, 0x0c};
  static const uint8_t group_end[] = {0x08, 0x01, 0x0c};
  static const uint8_t wire6[] = {0x0e, 0x00};
  static const uint8_t wire7[] = {0x08, 0x00, 0x08, 0x00, 0x0f};
  InkPbField f = {.number = 1, .wire = INK_PB_VARINT, .value = 3};
  InkError err;

  assert_malformed (group_start, sizeof group_start, "group wire type 3");
  assert_malformed (group_end, sizeof group_end, "group wire type 4");
  assert_malformed (group_end, sizeof group_end, "at byte 2");
  assert_malformed (wire6, sizeof wire6, "invalid wire type 6 at byte 0");
  assert_malformed (wire7, sizeof wire7, "invalid wire type 7 at byte 4");

  g_assert_cmpint (ink_pb_expect (&f, INK_PB_LEN, "ModelDescription.input (field 1)", &err), ==,
                   INK_ERR_FORMAT);
  g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "ModelDescription.input (field 1)"));
  g_assert_nonnull (strstr (err.message, "expected wire type 2 (length-delimited)"));
  g_assert_nonnull (strstr (err.message, "got 0 (varint)"));
  f.wire = INK_PB_I32;
  g_assert_cmpint (ink_pb_expect (&f, INK_PB_I64, "x.y (field 9)", &err), ==, INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "x.y (field 9): expected wire type 1 (64-bit), got 5"));
  g_assert_cmpint (ink_pb_expect (&f, INK_PB_I32, "x", &err), ==, INK_OK);
  g_assert_cmpint (ink_pb_expect (&f, INK_PB_VARINT, NULL, NULL), ==, INK_ERR_FORMAT);

  /* Wrong wire types for the typed views. */
  {
    float *v = NULL;
    double *d = NULL;
    int64_t *iv = NULL;
    size_t n = 0, cap = 0;

    f.wire = INK_PB_VARINT;
    g_assert_cmpint (ink_pb_append_floats (&f, &v, &n, &cap, "weights (field 1)", &err), ==,
                     INK_ERR_FORMAT);
    g_assert_nonnull (strstr (err.message, "weights (field 1)"));
    g_assert_cmpint (ink_pb_append_doubles (&f, &d, &n, &cap, "w", &err), ==, INK_ERR_FORMAT);
    f.wire = INK_PB_I64;
    g_assert_cmpint (ink_pb_append_int64s (&f, &iv, &n, &cap, "shape (field 3)", &err), ==,
                     INK_ERR_FORMAT);
    g_assert_nonnull (strstr (err.message, "shape (field 3)"));
    g_assert_null (ink_pb_string (&f, "name (field 1)", &err));
    g_assert_nonnull (strstr (err.message, "name (field 1)"));
    g_assert_null (v);
    g_assert_null (d);
    g_assert_null (iv);
    g_assert_cmpuint (n, ==, 0);
  }
}

static void
test_malformed_field_numbers (void)
{
  static const uint8_t zero[] = {0x08, 0x01, 0x00, 0x00};
  static const uint8_t zero_len[] = {0x02, 0x00};
  static const uint8_t too_big[] = {0x80, 0x80, 0x80, 0x80, 0x10, 0x00}; /* 2^29 */
  static const uint8_t huge[] = {0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00};
  static const uint8_t max_ok[] = {0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00};
  size_t fields;
  InkError err;

  assert_malformed (zero, sizeof zero, "field number 0 at byte 2");
  assert_malformed (zero_len, sizeof zero_len, "field number 0 at byte 0");
  assert_malformed (too_big, sizeof too_big, "field number 536870912");
  assert_malformed (huge, sizeof huge, "at byte 0");
  g_assert_cmpint (read_all (max_ok, sizeof max_ok, &fields, &err), ==, 0);
  g_assert_cmpuint (fields, ==, 1);
}

/* A message nested `levels` times in field 2, with field 1 = 42 innermost. */
static void
build_nest (InkPbWriter *w, int levels)
{
  InkPbWriter cur;

  ink_pb_writer_init (&cur);
  ink_pb_put_varint (&cur, 1, 42);
  for (int i = 0; i < levels; i++) {
    InkPbWriter outer;

    ink_pb_writer_init (&outer);
    ink_pb_put_message (&outer, 2, &cur);
    ink_pb_writer_clear (&cur);
    cur = outer;
  }
  g_assert_false (ink_pb_writer_failed (&cur));
  *w = cur;
}

static void
test_malformed_depth (void)
{
  InkPbWriter w;
  InkPbReader r, child;
  InkPbField f;
  InkError err;
  WalkStats st = {0};

  /* Exactly INK_PB_MAX_DEPTH levels: the innermost field is reachable. */
  build_nest (&w, INK_PB_MAX_DEPTH);
  ink_pb_reader_init (&r, w.buf, w.len);
  for (int d = 1; d <= INK_PB_MAX_DEPTH; d++) {
    g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
    g_assert_cmpuint (f.number, ==, 2);
    ink_assert_ok (ink_pb_sub (&r, &f, &child, &err), &err);
    g_assert_cmpint (child.depth, ==, d);
    r = child;
  }
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpuint (f.value, ==, 42);
  ink_pb_writer_clear (&w);

  /* One level more is refused. */
  build_nest (&w, INK_PB_MAX_DEPTH + 6);
  ink_pb_reader_init (&r, w.buf, w.len);
  for (int d = 1;; d++) {
    InkStatus s;

    g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
    s = ink_pb_sub (&r, &f, &child, &err);
    if (d <= INK_PB_MAX_DEPTH) {
      ink_assert_ok (s, &err);
      r = child;
      continue;
    }
    g_assert_cmpint (s, ==, INK_ERR_FORMAT);
    g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
    g_assert_nonnull (strstr (err.message, "deeper than 64"));
    break;
  }
  walk_buffer (w.buf, w.len, &st, false);
  g_assert_cmpint (st.max_depth, ==, INK_PB_MAX_DEPTH);
  ink_pb_writer_clear (&w);

  /* 10,000 nested one-byte-length headers: bounded recursion, no stack overflow. */
  {
    size_t levels = 10000, k = 0;
    uint8_t *deep = g_malloc (2 * levels);

    for (size_t i = 0; i < levels; i++) {
      size_t rest = 2 * (levels - i - 1);

      deep[k++] = 0x12;
      deep[k++] = (uint8_t) (rest < 127 ? rest : 127); /* lies once it no longer fits */
    }
    memset (&st, 0, sizeof st);
    walk_buffer (deep, k, &st, false);
    g_assert_cmpint (st.max_depth, <=, INK_PB_MAX_DEPTH);
    g_free (deep);
  }
}

static void
test_malformed_packed_sizes (void)
{
  static const uint8_t floats5[] = {0x0a, 0x05, 0, 0, 0x80, 0x3f, 0};
  static const uint8_t doubles12[] = {0x0a, 0x0c, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 1, 2, 3, 4};
  static const uint8_t int64_cut[] = {0x0a, 0x03, 0x01, 0x02, 0x80};
  static const uint8_t int64_long[] = {0x0a, 0x0c, 0x01, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  InkPbReader r;
  InkPbField f;
  InkError err;
  float *fv = NULL;
  double *dv = NULL;
  int64_t *iv = NULL;
  size_t n, cap;

  ink_pb_reader_init (&r, floats5, sizeof floats5);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  n = cap = 0;
  g_assert_cmpint (ink_pb_append_floats (&f, &fv, &n, &cap, "weights.floatValue (field 1)", &err),
                   ==, INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "weights.floatValue (field 1)"));
  g_assert_nonnull (strstr (err.message, "multiple of 4"));
  g_assert_null (fv);
  g_assert_cmpuint (n, ==, 0);

  ink_pb_reader_init (&r, doubles12, sizeof doubles12);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpint (ink_pb_append_doubles (&f, &dv, &n, &cap, "vector (field 1)", &err), ==,
                   INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "multiple of 8"));
  g_assert_null (dv);

  ink_pb_reader_init (&r, int64_cut, sizeof int64_cut);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  g_assert_cmpint (ink_pb_append_int64s (&f, &iv, &n, &cap, "shape (field 1)", &err), ==,
                   INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "shape (field 1)"));
  g_assert_null (iv);

  /* An 11-byte element: *n is left as it was, even after growing. */
  ink_pb_reader_init (&r, int64_long, sizeof int64_long);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
  iv = malloc (sizeof *iv);
  iv[0] = 9;
  n = cap = 1;
  g_assert_cmpint (ink_pb_append_int64s (&f, &iv, &n, &cap, "shape (field 1)", &err), ==,
                   INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "over-long"));
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (iv[0], ==, 9);
  free (iv);
}

static void
test_malformed_huge_counts (void)
{
  uint8_t buf[20];
  size_t k = 0;
  uint64_t v = (uint64_t) 1 << 40;
  InkPbReader r;
  InkPbField f;
  InkError err;
  float *fv = NULL;
  size_t n = 0, cap = 0;

  memset (buf, 0x3f, sizeof buf);
  buf[k++] = 0x0a; /* field 1, LEN, claiming 2^40 bytes of floats */
  while (v >= 0x80) {
    buf[k++] = (uint8_t) (v | 0x80);
    v >>= 7;
  }
  buf[k++] = (uint8_t) v;
  ink_pb_reader_init (&r, buf, sizeof buf);
  g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, -1);
  g_assert_nonnull (strstr (err.message, "length 1099511627776 runs past the end"));
  g_assert_null (fv);
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpuint (cap, ==, 0);

  /* A packed varint array can hold at most one value per byte. */
  {
    static const uint8_t ints[] = {0x0a, 0x08, 0x80, 0x80, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05};
    int64_t *iv = NULL;

    ink_pb_reader_init (&r, ints, sizeof ints);
    g_assert_cmpint (ink_pb_next (&r, &f, &err), ==, 1);
    ink_assert_ok (ink_pb_append_int64s (&f, &iv, &n, &cap, "ints", &err), &err);
    g_assert_cmpuint (n, ==, 5);
    g_assert_cmpuint (cap, <=, 8);
    g_assert_cmpint (iv[0], ==, 1 << 21);
    g_assert_cmpint (iv[4], ==, 5);
    free (iv);
  }
}

static void
test_malformed_utf8 (void)
{
  static const char *const bad[] = {
    "\x80",                 /* lone continuation byte */
    "a\xbf",                /* continuation byte */
    "\xc0\x80",             /* overlong NUL */
    "\xc1\xbf",             /* overlong */
    "\xe0\x80\x80",         /* overlong 3-byte */
    "\xe0\x9f\xbf",         /* overlong 3-byte, highest */
    "\xf0\x80\x80\x80",     /* overlong 4-byte */
    "\xf0\x8f\xbf\xbf",     /* overlong 4-byte, highest */
    "\xed\xa0\x80",         /* surrogate U+D800 */
    "\xed\xbf\xbf",         /* surrogate U+DFFF */
    "\xf4\x90\x80\x80",     /* U+110000 */
    "\xf5\x80\x80\x80",     /* lead byte F5 */
    "\xf8\x88\x80\x80\x80", /* 5-byte form */
    "\xfe",
    "\xff",
    "\xe2\x82",       /* truncated 3-byte */
    "ab\xf0\x9f\x98", /* truncated 4-byte at the end */
    "\xc3\x28",       /* bad continuation */
    "\xe2\x28\xa1",
  };
  static const char with_nul[] = {'a', 'b', 0, 'c'};
  InkPbWriter w;
  InkPbField f;
  InkError err;

  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++) {
    ink_pb_writer_init (&w);
    ink_pb_put_string (&w, 1, bad[i]);
    read_single (&w, &f);
    g_assert_null (ink_pb_string (&f, "FeatureDescription.name (field 1)", &err));
    g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
    g_assert_nonnull (strstr (err.message, "FeatureDescription.name (field 1)"));
    g_assert_nonnull (strstr (err.message, "invalid UTF-8"));
    ink_pb_writer_clear (&w);
  }
  ink_pb_writer_init (&w);
  ink_pb_put_bytes (&w, 1, with_nul, sizeof with_nul);
  read_single (&w, &f);
  g_assert_null (ink_pb_string (&f, "FeatureDescription.name (field 1)", &err));
  g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "embedded NUL byte at offset 2"));
  ink_pb_writer_clear (&w);
}

/* ---- Writer ------------------------------------------------------------- */

static void
test_writer_failure (void)
{
  InkPbWriter w, sub;

  ink_pb_writer_init (&w);
  g_assert_false (ink_pb_writer_failed (&w));
  ink_pb_put_varint (&w, 1, 1);
  g_assert_cmpuint (w.len, ==, 2);
  ink_pb_put_varint (&w, 0, 1); /* invalid field numbers fail the writer */
  g_assert_true (ink_pb_writer_failed (&w));
  ink_pb_put_varint (&w, 1, 1); /* later calls are no-ops */
  ink_pb_put_string (&w, 2, "x");
  ink_pb_put_packed_floats (&w, 3, (const float[]){1.0f}, 1);
  g_assert_cmpuint (w.len, ==, 2);
  ink_pb_writer_reset (&w);
  g_assert_false (ink_pb_writer_failed (&w));
  g_assert_cmpuint (w.len, ==, 0);
  ink_pb_put_double (&w, INK_PB_MAX_FIELD_NUMBER + 1, 1.0);
  g_assert_true (ink_pb_writer_failed (&w));

  /* A failed sub-message fails its parent; so does writing w into itself. */
  ink_pb_writer_reset (&w);
  ink_pb_writer_init (&sub);
  ink_pb_put_float (&sub, 0, 1.0f);
  ink_pb_put_message (&w, 1, &sub);
  g_assert_true (ink_pb_writer_failed (&w));
  ink_pb_writer_reset (&w);
  ink_pb_put_varint (&w, 1, 1);
  ink_pb_put_message (&w, 2, &w);
  g_assert_true (ink_pb_writer_failed (&w));
  ink_pb_writer_clear (&w);
  ink_pb_writer_clear (&sub);
  g_assert_null (w.buf);
  g_assert_cmpuint (w.len, ==, 0);
  g_assert_cmpuint (w.cap, ==, 0);
  g_assert_false (w.failed);

  /* NULL bytes with a nonzero size is a caller error. */
  ink_pb_put_bytes (&w, 1, NULL, 3);
  g_assert_true (ink_pb_writer_failed (&w));
  ink_pb_writer_clear (&w);
}

static void
test_writer_growth (void)
{
  InkPbWriter w;
  InkPbReader r;
  InkPbField f;
  InkError err;
  uint64_t i = 0;

  ink_pb_writer_init (&w);
  for (uint64_t k = 0; k < 100000; k++)
    ink_pb_put_varint (&w, (uint32_t) (k % 1000) + 1, k * 7919);
  g_assert_false (ink_pb_writer_failed (&w));
  ink_pb_reader_init (&r, w.buf, w.len);
  while (ink_pb_next (&r, &f, &err) == 1) {
    g_assert_cmpuint (f.number, ==, (i % 1000) + 1);
    g_assert_cmpuint (f.value, ==, i * 7919);
    i++;
  }
  g_assert_cmpuint (i, ==, 100000);
  ink_pb_writer_clear (&w);
}

/* ---- Randomized --------------------------------------------------------- */

/* A random, mostly plausible message: valid keys most of the time, lengths
 * that are usually right, nested messages. */
static void
gen_message (GRand *rnd, GByteArray *out, int depth)
{
  int fields = g_rand_int_range (rnd, 0, 6);

  for (int i = 0; i < fields; i++) {
    uint8_t tmp[10];
    size_t k;
    static const uint32_t wires[] = {0, 1, 2, 5};
    uint32_t number, wire;
    uint64_t key;

    /* One draw per statement, so the sequence does not depend on the
     * compiler's order of evaluation. */
    if (g_rand_boolean (rnd)) {
      number = (uint32_t) g_rand_int_range (rnd, 1, 20);
    } else {
      number = g_rand_int (rnd);
      number >>= g_rand_int_range (rnd, 0, 32);
    }
    if (g_rand_int_range (rnd, 0, 100) < 95)
      wire = wires[g_rand_int_range (rnd, 0, 4)];
    else
      wire = (uint32_t) g_rand_int_range (rnd, 0, 8);
    key = (uint64_t) number << 3 | wire;
    for (k = 0; key >= 0x80; key >>= 7)
      tmp[k++] = (uint8_t) (key | 0x80);
    tmp[k++] = (uint8_t) key;
    g_byte_array_append (out, tmp, (guint) k);
    switch (wire) {
    case 0: {
      uint64_t v = (uint64_t) g_rand_int (rnd) << 32;

      v |= g_rand_int (rnd);
      v >>= g_rand_int_range (rnd, 0, 64);
      for (k = 0; v >= 0x80; v >>= 7)
        tmp[k++] = (uint8_t) (v | 0x80);
      tmp[k++] = (uint8_t) v;
      g_byte_array_append (out, tmp, (guint) k);
      break;
    }
    case 1:
    case 5:
      for (k = 0; k < (wire == 1 ? 8u : 4u); k++)
        tmp[k] = (uint8_t) g_rand_int (rnd);
      g_byte_array_append (out, tmp, (guint) k);
      break;
    case 2: {
      GByteArray *inner = g_byte_array_new ();
      uint64_t len;

      if (depth < 8 && g_rand_boolean (rnd)) {
        gen_message (rnd, inner, depth + 1);
      } else {
        int n = g_rand_int_range (rnd, 0, 24);

        for (int j = 0; j < n; j++) {
          uint8_t b = (uint8_t) g_rand_int (rnd);

          g_byte_array_append (inner, &b, 1);
        }
      }
      len = inner->len;
      if (g_rand_int_range (rnd, 0, 20) == 0)
        len += (uint64_t) g_rand_int_range (rnd, -3, 4);
      for (k = 0; len >= 0x80 && k < 9; len >>= 7)
        tmp[k++] = (uint8_t) (len | 0x80);
      tmp[k++] = (uint8_t) len;
      g_byte_array_append (out, tmp, (guint) k);
      g_byte_array_append (out, inner->data, inner->len);
      g_byte_array_unref (inner);
      break;
    }
    default: break;
    }
  }
}

static void
test_fuzz_random (void)
{
  GRand *rnd = g_rand_new_with_seed (20240601u);
  WalkStats st = {0};
  size_t ok = 0;

  for (int iter = 0; iter < 20000; iter++) {
    GByteArray *buf = g_byte_array_new ();

    if (iter % 2 == 0) { /* raw noise */
      int n = g_rand_int_range (rnd, 0, 96);

      for (int j = 0; j < n; j++) {
        uint8_t b = (uint8_t) g_rand_int (rnd);

        g_byte_array_append (buf, &b, 1);
      }
    } else { /* plausible structure */
      gen_message (rnd, buf, 0);
    }
    ok += walk_buffer (buf->data, buf->len, &st, true) == 0;
    g_byte_array_unref (buf);
  }
  g_test_message ("random: %zu of 20000 buffers parsed, %zu fields, %zu nested messages", ok,
                  st.fields, st.messages);
  g_assert_cmpuint (st.fields, >, 20000);
  g_assert_cmpuint (st.messages, >, 1000);
  g_rand_free (rnd);
}

static void
byte_array_insert (GByteArray *a, guint at, const uint8_t *data, guint len)
{
  guint old = a->len;

  g_byte_array_set_size (a, old + len);
  memmove (a->data + at + len, a->data + at, old - at);
  memcpy (a->data + at, data, len);
}

static void
test_fuzz_mutations (void)
{
  static const uint8_t specials[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x0b, 0x0c, 0x0f};
  GRand *rnd = g_rand_new_with_seed (4242);
  InkPbWriter w;
  WalkStats st = {0};
  size_t ok = 0;

  ink_pb_writer_init (&w);
  build_sample (&w);
  for (int iter = 0; iter < 20000; iter++) {
    GByteArray *buf = g_byte_array_sized_new (w.len + 16);
    int edits = g_rand_int_range (rnd, 1, 5);

    g_byte_array_append (buf, w.buf, (guint) w.len);
    for (int e = 0; e < edits && buf->len > 0; e++) {
      guint at = (guint) g_rand_int_range (rnd, 0, (gint32) buf->len);

      switch (g_rand_int_range (rnd, 0, 6)) {
      case 0: buf->data[at] ^= (uint8_t) (1u << g_rand_int_range (rnd, 0, 8)); break;
      case 1: buf->data[at] = specials[g_rand_int_range (rnd, 0, G_N_ELEMENTS (specials))]; break;
      case 2: {
        uint8_t b = (uint8_t) g_rand_int (rnd);

        byte_array_insert (buf, at, &b, 1);
        break;
      }
      case 3: g_byte_array_remove_index (buf, at); break;
      case 4: g_byte_array_set_size (buf, at); break;
      default: { /* duplicate a chunk */
        guint len = (guint) g_rand_int_range (rnd, 1, 16);
        uint8_t chunk[16];

        if (len > buf->len - at)
          len = buf->len - at;
        memcpy (chunk, buf->data + at, len);
        byte_array_insert (buf, at, chunk, len);
        break;
      }
      }
    }
    ok += walk_buffer (buf->data, buf->len, &st, true) == 0;
    g_byte_array_unref (buf);
  }
  g_test_message ("mutations: %zu of 20000 buffers parsed, %zu fields, %zu nested messages", ok,
                  st.fields, st.messages);
  g_assert_cmpuint (ok, >, 0);
  g_assert_cmpuint (ok, <, 20000);
  g_rand_free (rnd);
  ink_pb_writer_clear (&w);
}

/* ---- Real Core ML files ------------------------------------------------- */

static void
test_fixture_linear (void)
{
  g_autofree char *path = ink_test_fixture_path ("coreml/nn_updatable_linear1x1_mse.mlmodel");
  g_autofree char *data = NULL;
  gsize size = 0;
  InkPbReader r;
  InkPbField f;
  InkError err;
  bool seen1 = false, seen2 = false, seen10 = false, seen500 = false;
  int rc;

  if (path == NULL)
    return;
  g_assert_true (g_file_get_contents (path, &data, &size, NULL));
  ink_pb_reader_init (&r, (const uint8_t *) data, size);
  while ((rc = ink_pb_next (&r, &f, &err)) == 1) {
    switch (f.number) {
    case 1:
      ink_assert_ok (
        ink_pb_expect (&f, INK_PB_VARINT, "Model.specificationVersion (field 1)", &err), &err);
      g_assert_cmpint (ink_pb_int32 (&f), ==, 4);
      seen1 = true;
      break;
    case 2:
      ink_assert_ok (ink_pb_expect (&f, INK_PB_LEN, "Model.description (field 2)", &err), &err);
      seen2 = true;
      break;
    case 10:
      ink_assert_ok (ink_pb_expect (&f, INK_PB_VARINT, "Model.isUpdatable (field 10)", &err), &err);
      g_assert_cmpuint (f.value, ==, 1);
      g_assert_true (ink_pb_bool (&f));
      seen10 = true;
      break;
    case 500:
      ink_assert_ok (ink_pb_expect (&f, INK_PB_LEN, "Model.neuralNetwork (field 500)", &err), &err);
      seen500 = true;
      break;
    default: break;
    }
  }
  if (rc != 0)
    g_error ("%s: %s", path, err.message);
  g_assert_true (seen1 && seen2 && seen10 && seen500);
}

/* The "top-level fields: [(1, 0), (2, 2), ...]" line DECODED.txt gives for
 * name (written by an independent walker), or NULL. */
static char *
decoded_top_level (const char *decoded, const char *name)
{
  g_autofree char *header = g_strdup_printf ("== %s size=", name);
  const char *p = strstr (decoded, header), *line, *eol;

  if (p == NULL)
    return NULL;
  line = strstr (p, "top-level fields: ");
  if (line == NULL)
    return NULL;
  eol = strchr (line, '\n');
  return g_strndup (line, eol != NULL ? (gsize) (eol - line) : strlen (line));
}

static void
test_fixture_walk_all (void)
{
  g_autofree char *probe = ink_test_fixture_path ("coreml");
  g_autofree char *decoded = NULL;
  GDir *dir;
  const char *name;
  size_t files = 0, cross_checked = 0;

  if (probe == NULL)
    return;
  {
    g_autofree char *dpath = g_build_filename (probe, "DECODED.txt", NULL);

    g_file_get_contents (dpath, &decoded, NULL, NULL);
  }
  dir = g_dir_open (probe, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = NULL;
    g_autofree char *data = NULL;
    g_autofree char *expected = NULL;
    GString *top = NULL;
    gsize size = 0;
    WalkStats st = {0};
    InkPbReader r;
    InkPbField f;
    InkError err;
    int rc;

    if (!g_str_has_suffix (name, ".mlmodel"))
      continue;
    path = g_build_filename (probe, name, NULL);
    g_assert_true (g_file_get_contents (path, &data, &size, NULL));
    ink_pb_reader_init (&r, (const uint8_t *) data, size);
    rc = walk (&r, (const uint8_t *) data, (const uint8_t *) data + size, &st, false);
    if (rc != 0)
      g_error ("%s does not parse", name);
    g_assert_cmpuint (st.fields, >, 3);
    g_assert_cmpuint (st.messages, >, 1);

    /* Same top-level fields as the independent walker. */
    top = g_string_new ("top-level fields: [");
    ink_pb_reader_init (&r, (const uint8_t *) data, size);
    for (int i = 0; (rc = ink_pb_next (&r, &f, &err)) == 1; i++)
      g_string_append_printf (top, "%s(%u, %d)", i > 0 ? ", " : "", f.number, (int) f.wire);
    g_string_append_c (top, ']');
    expected = decoded != NULL ? decoded_top_level (decoded, name) : NULL;
    if (expected != NULL) {
      g_assert_cmpstr (top->str, ==, expected);
      cross_checked++;
    }
    g_test_message ("%s: %zu fields, %zu nested messages, depth %d", name, st.fields, st.messages,
                    st.max_depth);
    g_string_free (top, TRUE);
    files++;
  }
  g_dir_close (dir);
  g_assert_cmpuint (files, >, 0);
  if (decoded != NULL)
    g_assert_cmpuint (cross_checked, >, 0);
}

/* Re-encoding each top-level field with the writer reproduces the file byte
 * for byte (Core ML's writers use canonical varints and field order). */
static void
test_fixture_reencode (void)
{
  g_autofree char *probe = ink_test_fixture_path ("coreml");
  GDir *dir;
  const char *name;

  if (probe == NULL)
    return;
  dir = g_dir_open (probe, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = NULL;
    g_autofree char *data = NULL;
    gsize size = 0;
    InkPbReader r;
    InkPbField f;
    InkPbWriter w;
    InkError err;

    if (!g_str_has_suffix (name, ".mlmodel"))
      continue;
    path = g_build_filename (probe, name, NULL);
    g_assert_true (g_file_get_contents (path, &data, &size, NULL));
    ink_pb_writer_init (&w);
    ink_pb_reader_init (&r, (const uint8_t *) data, size);
    while (ink_pb_next (&r, &f, &err) == 1) {
      switch (f.wire) {
      case INK_PB_VARINT: ink_pb_put_varint (&w, f.number, f.value); break;
      case INK_PB_I64: ink_pb_put_double (&w, f.number, ink_pb_double (&f)); break;
      case INK_PB_I32: ink_pb_put_float (&w, f.number, ink_pb_float (&f)); break;
      case INK_PB_LEN: ink_pb_put_bytes (&w, f.number, f.data, f.size); break;
      default: g_assert_not_reached ();
      }
    }
    g_assert_false (ink_pb_writer_failed (&w));
    g_assert_cmpmem (w.buf, w.len, data, size);
    ink_pb_writer_clear (&w);
  }
  g_dir_close (dir);
}

/* ---- Throughput --------------------------------------------------------- */

static void
test_perf_append_floats (void)
{
  const size_t count = 1 << 20; /* 4 MB of packed floats */
  const int rounds = g_test_perf () ? 500 : 20;
  float *src = g_malloc (count * sizeof *src);
  float *v = NULL;
  size_t n = 0, cap = 0;
  InkPbWriter w;
  InkPbField f;
  InkError err;
  gint64 t0, t1;
  double warm, cold, write;

  ink_test_fill_random (src, count, 7, -1.0f, 1.0f);
  ink_pb_writer_init (&w);
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < rounds; i++) {
    ink_pb_writer_reset (&w);
    ink_pb_put_packed_floats (&w, 1, src, count);
  }
  t1 = g_get_monotonic_time ();
  write = (double) rounds * (double) (count * 4) / (double) MAX (t1 - t0, 1) / 1e3;
  read_single (&w, &f);
  g_assert_cmpuint (f.size, ==, count * 4);

  /* Into a fresh array each time (allocation and page faults included). */
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < rounds; i++) {
    n = cap = 0;
    v = NULL;
    ink_assert_ok (ink_pb_append_floats (&f, &v, &n, &cap, "floatValue", &err), &err);
    free (i + 1 < rounds ? v : NULL);
  }
  t1 = g_get_monotonic_time ();
  cold = (double) rounds * (double) f.size / (double) MAX (t1 - t0, 1) / 1e3;
  g_assert_cmpuint (n, ==, count);
  g_assert_cmpmem (v, n * sizeof *v, src, count * sizeof *src);

  /* Into a reused array. */
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < rounds; i++) {
    n = 0;
    ink_assert_ok (ink_pb_append_floats (&f, &v, &n, &cap, "floatValue", &err), &err);
  }
  t1 = g_get_monotonic_time ();
  warm = (double) rounds * (double) f.size / (double) MAX (t1 - t0, 1) / 1e3;
  g_assert_cmpmem (v, n * sizeof *v, src, count * sizeof *src);

  g_test_message ("4 MB packed floats: append %.2f GB/s (fresh array), %.2f GB/s (reused array); "
                  "write %.2f GB/s",
                  cold, warm, write);
  g_printerr ("# 4 MB packed floats: append %.2f GB/s fresh, %.2f GB/s reused; write %.2f GB/s\n",
              cold, warm, write);
  free (v);
  g_free (src);
  ink_pb_writer_clear (&w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protobuf/varint/roundtrip", test_varint_roundtrip);
  g_test_add_func ("/protobuf/varint/encoding", test_varint_encoding);
  g_test_add_func ("/protobuf/scalar/int64", test_scalar_int64);
  g_test_add_func ("/protobuf/scalar/int32", test_scalar_int32);
  g_test_add_func ("/protobuf/scalar/bool", test_scalar_bool);
  g_test_add_func ("/protobuf/scalar/double", test_scalar_double);
  g_test_add_func ("/protobuf/scalar/float", test_scalar_float);
  g_test_add_func ("/protobuf/strings", test_strings);
  g_test_add_func ("/protobuf/message/empty", test_message_empty);
  g_test_add_func ("/protobuf/message/nested", test_message_nested);
  g_test_add_func ("/protobuf/repeated/floats", test_repeated_floats);
  g_test_add_func ("/protobuf/repeated/doubles", test_repeated_doubles);
  g_test_add_func ("/protobuf/repeated/int64s", test_repeated_int64s);
  g_test_add_func ("/protobuf/halfs/all", test_halfs_all);
  g_test_add_func ("/protobuf/halfs/errors", test_halfs_errors);
  g_test_add_func ("/protobuf/malformed/truncations", test_malformed_truncations);
  g_test_add_func ("/protobuf/malformed/varints", test_malformed_varints);
  g_test_add_func ("/protobuf/malformed/lengths", test_malformed_lengths);
  g_test_add_func ("/protobuf/malformed/wire-types", test_malformed_wire_types);
  g_test_add_func ("/protobuf/malformed/field-numbers", test_malformed_field_numbers);
  g_test_add_func ("/protobuf/malformed/depth", test_malformed_depth);
  g_test_add_func ("/protobuf/malformed/packed-sizes", test_malformed_packed_sizes);
  g_test_add_func ("/protobuf/malformed/huge-counts", test_malformed_huge_counts);
  g_test_add_func ("/protobuf/malformed/utf8", test_malformed_utf8);
  g_test_add_func ("/protobuf/writer/failure", test_writer_failure);
  g_test_add_func ("/protobuf/writer/growth", test_writer_growth);
  g_test_add_func ("/protobuf/fuzz/random", test_fuzz_random);
  g_test_add_func ("/protobuf/fuzz/mutations", test_fuzz_mutations);
  g_test_add_func ("/protobuf/fixtures/linear1x1", test_fixture_linear);
  g_test_add_func ("/protobuf/fixtures/walk-all", test_fixture_walk_all);
  g_test_add_func ("/protobuf/fixtures/reencode", test_fixture_reencode);
  g_test_add_func ("/protobuf/perf/append-floats", test_perf_append_floats);
  return g_test_run ();
}

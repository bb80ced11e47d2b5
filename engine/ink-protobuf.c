/* ink-protobuf.c: a small, hardened protobuf wire-format reader and writer
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-protobuf.h"

#include <string.h>

#include "ink-util-private.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define INK_PB_LITTLE_ENDIAN 1
#else
#define INK_PB_LITTLE_ENDIAN 0
#endif

/* ---- Little helpers ---------------------------------------------------- */

static inline uint32_t
float_bits (float x)
{
  uint32_t u;

  memcpy (&u, &x, sizeof u);
  return u;
}

static inline uint64_t
double_bits (double x)
{
  uint64_t u;

  memcpy (&u, &x, sizeof u);
  return u;
}

/* Decodes the varint at p (p < end or p == end). Returns the number of bytes
 * used (1..10), 0 when the input ends inside the varint, or -1 when it is
 * longer than 10 bytes or its 10th byte carries bits beyond 64. */
static inline int
read_varint (const uint8_t *p, const uint8_t *end, uint64_t *out)
{
  size_t avail = (size_t) (end - p);
  size_t max = avail < 10 ? avail : 10;
  uint64_t v = 0;

  if (avail > 0 && p[0] < 0x80) {
    *out = p[0];
    return 1;
  }
  for (size_t i = 0; i < max; i++) {
    uint8_t b = p[i];

    v |= (uint64_t) (b & 0x7f) << (7 * i);
    if (b < 0x80) {
      if (i == 9 && b > 1)
        return -1;
      *out = v;
      return (int) i + 1;
    }
  }
  return avail >= 10 ? -1 : 0;
}

static inline size_t
varint_size (uint64_t v)
{
  size_t n = 1;

  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static inline size_t
write_varint (uint8_t *p, uint64_t v)
{
  size_t i = 0;

  while (v >= 0x80) {
    p[i++] = (uint8_t) (v | 0x80);
    v >>= 7;
  }
  p[i++] = (uint8_t) v;
  return i;
}

const char *
ink_pb_wire_name (InkPbWireType wire)
{
  switch (wire) {
  case INK_PB_VARINT: return "varint";
  case INK_PB_I64: return "64-bit";
  case INK_PB_LEN: return "length-delimited";
  case INK_PB_I32: return "32-bit";
  default: return "invalid";
  }
}

/* ---- Reader ------------------------------------------------------------ */

void
ink_pb_reader_init (InkPbReader *r, const uint8_t *data, size_t size)
{
  r->pos = data;
  r->end = size > 0 ? data + size : data; /* no NULL + 0 */
  r->depth = 0;
  r->base = data;
}

size_t
ink_pb_reader_offset (const InkPbReader *r)
{
  if (r->base == NULL || r->pos == NULL)
    return 0;
  return (size_t) (r->pos - r->base);
}

static int
varint_error (const InkPbReader *r, const uint8_t *at, int rc, const char *what, uint32_t number,
              InkError *err)
{
  size_t offset = (size_t) (at - r->base);

  if (number == 0)
    ink_error_set (err, INK_ERR_FORMAT, "%s varint at byte %zu (%s)",
                   rc == 0 ? "truncated" : "over-long (more than 64 bits)", offset, what);
  else
    ink_error_set (err, INK_ERR_FORMAT, "%s varint at byte %zu (%s of field %u)",
                   rc == 0 ? "truncated" : "over-long (more than 64 bits)", offset, what, number);
  return -1;
}

int
ink_pb_next (InkPbReader *r, InkPbField *f, InkError *err)
{
  const uint8_t *start, *p;
  uint64_t key, number, len;
  unsigned wire;
  int k;

  if (r->base == NULL)
    r->base = r->pos;
  start = r->pos;
  if (start == NULL || start >= r->end)
    return 0;

  /* The key: (number << 3) | wire, usually one or two bytes. */
  if (start[0] < 0x80) {
    key = start[0];
    k = 1;
  } else {
    k = read_varint (start, r->end, &key);
    if (k <= 0)
      return varint_error (r, start, k, "field key", 0, err);
  }
  p = start + k;
  number = key >> 3;
  wire = (unsigned) (key & 7);
  if (number == 0) {
    ink_error_set (err, INK_ERR_FORMAT, "field number 0 at byte %zu", (size_t) (start - r->base));
    return -1;
  }
  if (number > INK_PB_MAX_FIELD_NUMBER) {
    ink_error_set (err, INK_ERR_FORMAT, "field number %llu (above 2^29-1) at byte %zu",
                   (unsigned long long) number, (size_t) (start - r->base));
    return -1;
  }

  f->number = (uint32_t) number;
  f->value = 0;
  f->data = NULL;
  f->size = 0;
  switch (wire) {
  case INK_PB_VARINT:
    if (p < r->end && p[0] < 0x80) {
      f->value = p[0];
      k = 1;
    } else {
      k = read_varint (p, r->end, &f->value);
      if (k <= 0)
        return varint_error (r, p, k, "value", f->number, err);
    }
    p += k;
    break;
  case INK_PB_I64:
    if (r->end - p < 8) {
      ink_error_set (err, INK_ERR_FORMAT,
                     "field %u: 64-bit value runs past the end of its message at byte %zu",
                     f->number, (size_t) (p - r->base));
      return -1;
    }
    f->value = ink_load_le64 (p);
    p += 8;
    break;
  case INK_PB_I32:
    if (r->end - p < 4) {
      ink_error_set (err, INK_ERR_FORMAT,
                     "field %u: 32-bit value runs past the end of its message at byte %zu",
                     f->number, (size_t) (p - r->base));
      return -1;
    }
    f->value = ink_load_le32 (p);
    p += 4;
    break;
  case INK_PB_LEN:
    k = read_varint (p, r->end, &len);
    if (k <= 0)
      return varint_error (r, p, k, "length", f->number, err);
    p += k;
    if (len > (uint64_t) (r->end - p)) {
      ink_error_set (err, INK_ERR_FORMAT,
                     "field %u length %llu runs past the end of its message at byte %zu "
                     "(%zu bytes left)",
                     f->number, (unsigned long long) len, (size_t) (start - r->base),
                     (size_t) (r->end - p));
      return -1;
    }
    f->data = p;
    f->size = (size_t) len;
    p += len;
    break;
  case 3:
  case 4:
    ink_error_set (err, INK_ERR_FORMAT,
                   "field %u at byte %zu uses the deprecated group wire type %u, "
                   "which Core ML files never use",
                   f->number, (size_t) (start - r->base), wire);
    return -1;
  default:
    ink_error_set (err, INK_ERR_FORMAT, "invalid wire type %u at byte %zu (field %u)", wire,
                   (size_t) (start - r->base), f->number);
    return -1;
  }
  f->wire = (InkPbWireType) wire;
  r->pos = p;
  return 1;
}

InkStatus
ink_pb_sub (const InkPbReader *parent, const InkPbField *f, InkPbReader *child, InkError *err)
{
  const uint8_t *base = parent->base != NULL ? parent->base : parent->pos;
  size_t offset = base != NULL && f->data != NULL ? (size_t) (f->data - base) : 0;

  if (f->wire != INK_PB_LEN)
    return ink_error_set (
      err, INK_ERR_FORMAT, "field %u is not a nested message: wire type %d (%s), expected 2 (%s)",
      f->number, (int) f->wire, ink_pb_wire_name (f->wire), ink_pb_wire_name (INK_PB_LEN));
  if (parent->depth >= INK_PB_MAX_DEPTH)
    return ink_error_set (err, INK_ERR_FORMAT,
                          "field %u at byte %zu: messages nested deeper than %d levels", f->number,
                          offset, INK_PB_MAX_DEPTH);
  ink_pb_reader_init (child, f->data, f->size);
  child->depth = parent->depth + 1;
  child->base = base != NULL ? base : f->data;
  return INK_OK;
}

InkStatus
ink_pb_expect (const InkPbField *f, InkPbWireType wire, const char *what, InkError *err)
{
  if (f->wire == wire)
    return INK_OK;
  if (what != NULL)
    return ink_error_set (err, INK_ERR_FORMAT, "%s: expected wire type %d (%s), got %d (%s)", what,
                          (int) wire, ink_pb_wire_name (wire), (int) f->wire,
                          ink_pb_wire_name (f->wire));
  return ink_error_set (err, INK_ERR_FORMAT, "field %u: expected wire type %d (%s), got %d (%s)",
                        f->number, (int) wire, ink_pb_wire_name (wire), (int) f->wire,
                        ink_pb_wire_name (f->wire));
}

InkStatus
ink_pb_open (const InkPbReader *parent, const InkPbField *f, const char *what, InkPbReader *child,
             InkError *err)
{
  if (ink_pb_expect (f, INK_PB_LEN, what, err) != INK_OK)
    return INK_ERR_FORMAT;
  return ink_pb_sub (parent, f, child, err);
}

/* ---- Scalar views ------------------------------------------------------ */

int64_t
ink_pb_int64 (const InkPbField *f)
{
  uint64_t u = f->value;

  /* Two's complement without implementation-defined conversions. */
  return u <= (uint64_t) INT64_MAX ? (int64_t) u : -(int64_t) (~u) - 1;
}

int32_t
ink_pb_int32 (const InkPbField *f)
{
  uint32_t u = (uint32_t) f->value;

  return u <= (uint32_t) INT32_MAX ? (int32_t) u : -(int32_t) (~u) - 1;
}

bool
ink_pb_bool (const InkPbField *f)
{
  return f->value != 0;
}

double
ink_pb_double (const InkPbField *f)
{
  double d;

  memcpy (&d, &f->value, sizeof d);
  return d;
}

float
ink_pb_float (const InkPbField *f)
{
  uint32_t u = (uint32_t) f->value;
  float x;

  memcpy (&x, &u, sizeof x);
  return x;
}

static const char *
what_or_field (const char *what)
{
  return what != NULL ? what : "field";
}

char *
ink_pb_string (const InkPbField *f, const char *what, InkError *err)
{
  size_t at;
  char *s;

  if (ink_pb_expect (f, INK_PB_LEN, what, err) != INK_OK)
    return NULL;
  at = ink_utf8_check (f->data, f->size);
  if (at < f->size) {
    ink_error_set (err, INK_ERR_FORMAT, "%s: %s at offset %zu of a %zu-byte string",
                   what_or_field (what), f->data[at] == 0 ? "embedded NUL byte" : "invalid UTF-8",
                   at, f->size);
    return NULL;
  }
  s = malloc (f->size + 1);
  if (s == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "%s: out of memory for a %zu-byte string",
                   what_or_field (what), f->size);
    return NULL;
  }
  if (f->size > 0)
    memcpy (s, f->data, f->size);
  s[f->size] = '\0';
  return s;
}

InkStatus
ink_pb_replace_string (const InkPbField *f, const char *what, char **out, InkError *err)
{
  char *s = ink_pb_string (f, what, err);

  if (s == NULL)
    return err != NULL && err->status != INK_OK ? err->status : INK_ERR_FORMAT;
  free (*out);
  *out = s;
  return INK_OK;
}

/* ---- Repeated scalars -------------------------------------------------- */

/* Makes room for count more elements after the first n of *array. Grows
 * geometrically (like ink_grow) but never below what is needed. */
static InkStatus
reserve_array (void **array, size_t elem_size, size_t n, size_t *cap, size_t count,
               const char *what, InkError *err)
{
  size_t need, new_cap;
  void *p;

  if (*cap >= n && count <= *cap - n)
    return INK_OK;
  if (n > SIZE_MAX / elem_size || count > SIZE_MAX / elem_size - n)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "%s: too many values (%zu + %zu)",
                          what_or_field (what), n, count);
  need = n + count;
  new_cap = *cap <= SIZE_MAX / elem_size / 2 ? *cap * 2 : need;
  if (new_cap < need)
    new_cap = need;
  if (new_cap < 8 && 8 <= SIZE_MAX / elem_size)
    new_cap = 8;
  p = realloc (*array, new_cap * elem_size);
  if (p == NULL && new_cap > need) {
    new_cap = need;
    p = realloc (*array, new_cap * elem_size);
  }
  if (p == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "%s: out of memory for %zu values",
                          what_or_field (what), need);
  *array = p;
  *cap = new_cap;
  return INK_OK;
}

static InkStatus
wrong_wire (const InkPbField *f, InkPbWireType scalar, const char *what, InkError *err)
{
  return ink_error_set (err, INK_ERR_FORMAT,
                        "%s: expected wire type %d (%s) or 2 (packed), got %d (%s)",
                        what_or_field (what), (int) scalar, ink_pb_wire_name (scalar),
                        (int) f->wire, ink_pb_wire_name (f->wire));
}

/* Appends a fixed-width field of 4-byte floats or 8-byte doubles: one value
 * (wire I32 / I64) or a packed array of them. */
static InkStatus
append_fixed (const InkPbField *f, size_t width, void **v, size_t *n, size_t *cap, const char *what,
              InkError *err)
{
  InkPbWireType scalar = width == 4 ? INK_PB_I32 : INK_PB_I64;
  size_t count;
  uint8_t *out;

  if (f->wire == scalar) {
    uint32_t u32 = (uint32_t) f->value;

    if (reserve_array (v, width, *n, cap, 1, what, err) != INK_OK)
      return INK_ERR_NO_MEMORY;
    memcpy ((uint8_t *) *v + *n * width, width == 4 ? (const void *) &u32 : &f->value, width);
    (*n)++;
    return INK_OK;
  }
  if (f->wire != INK_PB_LEN)
    return wrong_wire (f, scalar, what, err);
  if (f->size % width != 0)
    return ink_error_set (err, INK_ERR_FORMAT,
                          "%s: packed %s array of %zu bytes is not a multiple of %zu",
                          what_or_field (what), width == 4 ? "float" : "double", f->size, width);
  count = f->size / width;
  if (count == 0)
    return INK_OK;
  if (reserve_array (v, width, *n, cap, count, what, err) != INK_OK)
    return INK_ERR_NO_MEMORY;
  out = (uint8_t *) *v + *n * width;
#if INK_PB_LITTLE_ENDIAN
  memcpy (out, f->data, f->size);
#else
  for (size_t i = 0; i < count; i++) {
    if (width == 4) {
      uint32_t u = ink_load_le32 (f->data + 4 * i);
      memcpy (out + 4 * i, &u, sizeof u);
    } else {
      uint64_t u = ink_load_le64 (f->data + 8 * i);
      memcpy (out + 8 * i, &u, sizeof u);
    }
  }
#endif
  *n += count;
  return INK_OK;
}

InkStatus
ink_pb_append_floats (const InkPbField *f, float **v, size_t *n, size_t *cap, const char *what,
                      InkError *err)
{
  return append_fixed (f, sizeof **v, (void **) v, n, cap, what, err);
}

InkStatus
ink_pb_append_doubles (const InkPbField *f, double **v, size_t *n, size_t *cap, const char *what,
                       InkError *err)
{
  return append_fixed (f, sizeof **v, (void **) v, n, cap, what, err);
}

InkStatus
ink_pb_append_int64s (const InkPbField *f, int64_t **v, size_t *n, size_t *cap, const char *what,
                      InkError *err)
{
  const uint8_t *p, *end;
  size_t count = 0;
  int64_t *out;

  if (f->wire == INK_PB_VARINT) {
    if (reserve_array ((void **) v, sizeof **v, *n, cap, 1, what, err) != INK_OK)
      return INK_ERR_NO_MEMORY;
    (*v)[(*n)++] = ink_pb_int64 (f);
    return INK_OK;
  }
  if (f->wire != INK_PB_LEN)
    return wrong_wire (f, INK_PB_VARINT, what, err);
  if (f->size == 0)
    return INK_OK;
  /* Every varint ends with exactly one byte below 0x80: count them, so the
   * array is sized by what the payload really holds (at most its size). */
  if (f->data[f->size - 1] >= 0x80)
    return ink_error_set (err, INK_ERR_FORMAT,
                          "%s: packed varint array of %zu bytes ends inside a varint",
                          what_or_field (what), f->size);
  for (size_t i = 0; i < f->size; i++)
    count += f->data[i] < 0x80;
  if (reserve_array ((void **) v, sizeof **v, *n, cap, count, what, err) != INK_OK)
    return INK_ERR_NO_MEMORY;
  out = *v + *n;
  p = f->data;
  end = f->data + f->size;
  for (size_t i = 0; i < count; i++) {
    uint64_t u;
    int k = read_varint (p, end, &u);

    if (k <= 0)
      return ink_error_set (
        err, INK_ERR_FORMAT, "%s: %s varint at offset %zu of a %zu-byte packed array",
        what_or_field (what), k == 0 ? "truncated" : "over-long", (size_t) (p - f->data), f->size);
    out[i] = u <= (uint64_t) INT64_MAX ? (int64_t) u : -(int64_t) (~u) - 1;
    p += k;
  }
  *n += count;
  return INK_OK;
}

float
ink_pb_half_to_float (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  float x;

  if (exp == 0x1f) { /* inf, or NaN with its payload (and quiet bit) kept */
    bits = sign | 0x7f800000u | mant << 13;
  } else if (exp != 0) { /* normal: rebias 15 -> 127 */
    bits = sign | (exp + 112) << 23 | mant << 13;
  } else if (mant == 0) { /* signed zero */
    bits = sign;
  } else {                                 /* subnormal half = normal float: mant * 2^-24 */
    int shift = __builtin_clz (mant) - 21; /* brings the top bit to bit 10 */

    mant = (mant << shift) & 0x3ff;
    bits = sign | (uint32_t) (113 - shift) << 23 | mant << 13;
  }
  memcpy (&x, &bits, sizeof x);
  return x;
}

InkStatus
ink_pb_append_halfs (const InkPbField *f, float **v, size_t *n, size_t *cap, const char *what,
                     InkError *err)
{
  size_t count;
  float *out;

  if (f->wire != INK_PB_LEN)
    return ink_error_set (err, INK_ERR_FORMAT,
                          "%s: expected wire type 2 (float16 bytes), got %d (%s)",
                          what_or_field (what), (int) f->wire, ink_pb_wire_name (f->wire));
  if (f->size % 2 != 0)
    return ink_error_set (err, INK_ERR_FORMAT,
                          "%s: float16 array of %zu bytes is not a multiple of 2",
                          what_or_field (what), f->size);
  count = f->size / 2;
  if (count == 0)
    return INK_OK;
  if (reserve_array ((void **) v, sizeof **v, *n, cap, count, what, err) != INK_OK)
    return INK_ERR_NO_MEMORY;
  out = *v + *n;
  for (size_t i = 0; i < count; i++)
    out[i] = ink_pb_half_to_float ((uint16_t) (f->data[2 * i] | f->data[2 * i + 1] << 8));
  *n += count;
  return INK_OK;
}

/* ---- Writer ------------------------------------------------------------ */

void
ink_pb_writer_init (InkPbWriter *w)
{
  w->buf = NULL;
  w->len = 0;
  w->cap = 0;
  w->failed = false;
}

void
ink_pb_writer_clear (InkPbWriter *w)
{
  free (w->buf);
  ink_pb_writer_init (w);
}

void
ink_pb_writer_reset (InkPbWriter *w)
{
  w->len = 0;
  w->failed = false;
}

bool
ink_pb_writer_failed (const InkPbWriter *w)
{
  return w->failed;
}

/* Room for extra more bytes; false (and failed set) when that fails. */
static bool
reserve (InkPbWriter *w, size_t extra)
{
  size_t need, new_cap;
  uint8_t *p;

  if (w->failed)
    return false;
  if (extra <= w->cap - w->len)
    return true;
  if (extra > SIZE_MAX - w->len) {
    w->failed = true;
    return false;
  }
  need = w->len + extra;
  new_cap = w->cap < 64 ? 64 : w->cap;
  while (new_cap < need)
    new_cap = new_cap <= SIZE_MAX / 2 ? new_cap * 2 : need;
  p = realloc (w->buf, new_cap);
  if (p == NULL) {
    w->failed = true;
    return false;
  }
  w->buf = p;
  w->cap = new_cap;
  return true;
}

/* Writes the key of a field with extra more bytes to follow (reserved here
 * too); false when w failed or number is invalid. */
static bool
put_key (InkPbWriter *w, uint32_t number, InkPbWireType wire, size_t extra)
{
  if (w->failed)
    return false;
  if (number == 0 || number > INK_PB_MAX_FIELD_NUMBER || extra > SIZE_MAX - 5) {
    w->failed = true;
    return false;
  }
  if (!reserve (w, 5 + extra))
    return false;
  w->len += write_varint (w->buf + w->len, (uint64_t) number << 3 | (uint64_t) wire);
  return true;
}

void
ink_pb_put_varint (InkPbWriter *w, uint32_t number, uint64_t value)
{
  if (put_key (w, number, INK_PB_VARINT, 10))
    w->len += write_varint (w->buf + w->len, value);
}

void
ink_pb_put_int64 (InkPbWriter *w, uint32_t number, int64_t value)
{
  ink_pb_put_varint (w, number, (uint64_t) value);
}

void
ink_pb_put_bool (InkPbWriter *w, uint32_t number, bool value)
{
  ink_pb_put_varint (w, number, value ? 1 : 0);
}

void
ink_pb_put_double (InkPbWriter *w, uint32_t number, double value)
{
  if (put_key (w, number, INK_PB_I64, 8)) {
    ink_store_le64 (w->buf + w->len, double_bits (value));
    w->len += 8;
  }
}

void
ink_pb_put_float (InkPbWriter *w, uint32_t number, float value)
{
  if (put_key (w, number, INK_PB_I32, 4)) {
    ink_store_le32 (w->buf + w->len, float_bits (value));
    w->len += 4;
  }
}

/* Key and length of a LEN field of size bytes, with room for the payload. */
static bool
put_len_header (InkPbWriter *w, uint32_t number, size_t size)
{
  if (size > SIZE_MAX - 10) {
    w->failed = true;
    return false;
  }
  if (!put_key (w, number, INK_PB_LEN, 10 + size))
    return false;
  w->len += write_varint (w->buf + w->len, (uint64_t) size);
  return true;
}

void
ink_pb_put_bytes (InkPbWriter *w, uint32_t number, const void *data, size_t size)
{
  if (size > 0 && data == NULL) {
    w->failed = true;
    return;
  }
  if (put_len_header (w, number, size) && size > 0) {
    memcpy (w->buf + w->len, data, size);
    w->len += size;
  }
}

void
ink_pb_put_string (InkPbWriter *w, uint32_t number, const char *s)
{
  ink_pb_put_bytes (w, number, s, s != NULL ? strlen (s) : 0);
}

void
ink_pb_put_message (InkPbWriter *w, uint32_t number, const InkPbWriter *sub)
{
  if (sub == w || sub->failed) {
    w->failed = true;
    return;
  }
  ink_pb_put_bytes (w, number, sub->buf, sub->len);
}

/* A packed array of n 4-byte floats or 8-byte doubles. */
static void
put_packed_fixed (InkPbWriter *w, uint32_t number, const void *v, size_t n, size_t width)
{
  size_t size;

  if (n == 0)
    return;
  if (!ink_size_mul (n, width, &size)) {
    w->failed = true;
    return;
  }
  if (!put_len_header (w, number, size))
    return;
#if INK_PB_LITTLE_ENDIAN
  memcpy (w->buf + w->len, v, size);
#else
  for (size_t i = 0; i < n; i++) {
    const uint8_t *src = (const uint8_t *) v + width * i;

    if (width == 4) {
      uint32_t u;
      memcpy (&u, src, sizeof u);
      ink_store_le32 (w->buf + w->len + 4 * i, u);
    } else {
      uint64_t u;
      memcpy (&u, src, sizeof u);
      ink_store_le64 (w->buf + w->len + 8 * i, u);
    }
  }
#endif
  w->len += size;
}

void
ink_pb_put_packed_floats (InkPbWriter *w, uint32_t number, const float *v, size_t n)
{
  put_packed_fixed (w, number, v, n, sizeof *v);
}

void
ink_pb_put_packed_doubles (InkPbWriter *w, uint32_t number, const double *v, size_t n)
{
  put_packed_fixed (w, number, v, n, sizeof *v);
}

void
ink_pb_put_packed_int64s (InkPbWriter *w, uint32_t number, const int64_t *v, size_t n)
{
  size_t size = 0;

  if (n == 0)
    return;
  for (size_t i = 0; i < n; i++) {
    size_t s = varint_size ((uint64_t) v[i]);

    if (s > SIZE_MAX - size) {
      w->failed = true;
      return;
    }
    size += s;
  }
  if (!put_len_header (w, number, size))
    return;
  for (size_t i = 0; i < n; i++)
    w->len += write_varint (w->buf + w->len, (uint64_t) v[i]);
}

/* ink-protobuf.h: a small, hardened protobuf wire-format reader and writer
 *
 * Private to the engine (not part of ink.h). Used by the Core ML .mlmodel
 * reader and writer. The reader is zero-copy: fields point into the input,
 * which must outlive every reader and field taken from it. No GLib here.
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
  INK_PB_VARINT = 0,
  INK_PB_I64 = 1,
  INK_PB_LEN = 2,
  INK_PB_I32 = 5
} InkPbWireType;

/* The largest field number protobuf allows. */
#define INK_PB_MAX_FIELD_NUMBER 0x1fffffffu

typedef struct {
  uint32_t number; /* field number, 1 .. 2^29-1 */
  InkPbWireType wire;
  uint64_t value;      /* VARINT value; raw little-endian bits of I64 / I32 */
  const uint8_t *data; /* LEN: the payload (points into the input) */
  size_t size;         /* LEN: payload size */
} InkPbField;

typedef struct {
  const uint8_t *pos, *end;
  int depth; /* nesting depth of this message, for a recursion limit */
  /* Start of the outermost buffer, for the byte offsets in error messages.
   * Set by ink_pb_reader_init and inherited by ink_pb_sub; a reader built by
   * hand (base NULL) takes its first pos as the base. */
  const uint8_t *base;
} InkPbReader;

#define INK_PB_MAX_DEPTH 64

void ink_pb_reader_init (InkPbReader *r, const uint8_t *data, size_t size);
/* Reads the next field: 1 = *f filled, 0 = end of the message, -1 = malformed
 * (err set with INK_ERR_FORMAT and a message saying what and at which byte
 * offset from the start of the outermost buffer, e.g. "truncated varint at
 * byte 1234", "field 5 length 99999 runs past the end of its message at
 * byte 40", "invalid wire type 7 at byte 3", "field number 0 at byte 9"). Groups
 * (wire types 3 and 4) are malformed for Core ML files. Unknown fields need no
 * skipping: every field, known or not, is returned whole. */
int ink_pb_next (InkPbReader *r, InkPbField *f, InkError *err);
/* A reader over a LEN field's payload (a nested message), depth + 1; returns
 * INK_ERR_FORMAT when depth would exceed INK_PB_MAX_DEPTH (or when f is not a
 * LEN field). */
InkStatus ink_pb_sub (const InkPbReader *parent, const InkPbField *f, InkPbReader *child,
                      InkError *err);
/* Checks f's wire type; the error names `what` (e.g. "ModelDescription.input (field 1)"), the
 * expected and the actual wire types. */
InkStatus ink_pb_expect (const InkPbField *f, InkPbWireType wire, const char *what, InkError *err);
/* ink_pb_expect (LEN, naming `what`) then ink_pb_sub: opens the nested
 * message in f. */
InkStatus ink_pb_open (const InkPbReader *parent, const InkPbField *f, const char *what,
                       InkPbReader *child, InkError *err);

/* Additions: */
/* Byte offset of r's position from the start of the outermost buffer (for
 * callers' own error messages, "... at byte N"). */
size_t ink_pb_reader_offset (const InkPbReader *r);
/* "varint", "64-bit", "length-delimited", "32-bit", or "invalid". */
const char *ink_pb_wire_name (InkPbWireType wire);

/* Scalar views of a field (no checks beyond the wire type, which the caller did with expect). */
/* The varint as two's complement int64 (negative = 10-byte varint). */
int64_t ink_pb_int64 (const InkPbField *f);
int32_t ink_pb_int32 (const InkPbField *f); /* low 32 bits, as protobuf does for int32 and enums */
bool ink_pb_bool (const InkPbField *f);
double ink_pb_double (const InkPbField *f); /* I64 */
float ink_pb_float (const InkPbField *f);   /* I32 */
/* A LEN field as a new NUL-terminated string (malloc). Rejects embedded NUL
 * bytes and invalid UTF-8 (overlong forms, surrogates, > U+10FFFF) with
 * INK_ERR_FORMAT naming `what`; INK_ERR_NO_MEMORY. */
char *ink_pb_string (const InkPbField *f, const char *what, InkError *err);
/* ink_pb_string into *out, freeing the string it held; on error *out is
 * kept and the status returned (INK_ERR_FORMAT when err is NULL). */
InkStatus ink_pb_replace_string (const InkPbField *f, const char *what, char **out, InkError *err);

/* Repeated scalars: append the value(s) of one occurrence of a repeated field
 * to a growable array, accepting both the packed form (one LEN field holding
 * many values) and the unpacked form (one scalar field per value). *n and
 * *cap are the array's count and capacity (INK_GROW style). Counts are checked
 * against the payload size before allocating (a packed float field of size s
 * must have s % 4 == 0; "huge counts" can never allocate more than the input
 * could hold). Errors: INK_ERR_FORMAT naming `what`; INK_ERR_NO_MEMORY. On
 * error *n is unchanged (*v and *cap may have grown, consistently). */
InkStatus ink_pb_append_floats (const InkPbField *f, float **v, size_t *n, size_t *cap,
                                const char *what, InkError *err);
InkStatus ink_pb_append_doubles (const InkPbField *f, double **v, size_t *n, size_t *cap,
                                 const char *what, InkError *err);
InkStatus ink_pb_append_int64s (const InkPbField *f, int64_t **v, size_t *n, size_t *cap,
                                const char *what, InkError *err);
/* float16Value bytes (IEEE half, little-endian, 2 bytes each) to float32,
 * appended; odd sizes are an error. Handles subnormals, inf and NaN exactly
 * (NaN payloads are kept). LEN only. */
InkStatus ink_pb_append_halfs (const InkPbField *f, float **v, size_t *n, size_t *cap,
                               const char *what, InkError *err);
/* Addition: one IEEE half (bits) to float32, exactly. */
float ink_pb_half_to_float (uint16_t h);

/* Writer: a growable buffer. Any allocation failure sets failed and makes
 * later calls no-ops; check ink_pb_writer_failed at the end. An invalid field
 * number (0 or > 2^29-1) also sets failed. Fields are written in the order
 * called (callers write them in field-number order, as protobuf's own writers
 * do). proto3 rules are the caller's: write a scalar only when it is not the
 * default. */
typedef struct {
  uint8_t *buf;
  size_t len, cap;
  bool failed;
} InkPbWriter;

void ink_pb_writer_init (InkPbWriter *w);
void ink_pb_writer_clear (InkPbWriter *w); /* frees buf */
bool ink_pb_writer_failed (const InkPbWriter *w);
/* Addition: empties w (len 0, failed false) but keeps its buffer for reuse. */
void ink_pb_writer_reset (InkPbWriter *w);
void ink_pb_put_varint (InkPbWriter *w, uint32_t number, uint64_t value);
/* Negatives as 10-byte varints. */
void ink_pb_put_int64 (InkPbWriter *w, uint32_t number, int64_t value);
void ink_pb_put_bool (InkPbWriter *w, uint32_t number, bool value);
void ink_pb_put_double (InkPbWriter *w, uint32_t number, double value);
void ink_pb_put_float (InkPbWriter *w, uint32_t number, float value);
void ink_pb_put_bytes (InkPbWriter *w, uint32_t number, const void *data, size_t size);
void ink_pb_put_string (InkPbWriter *w, uint32_t number, const char *s); /* NULL = "" */
/* A nested message: its bytes are sub's buffer (sub is not cleared). An empty
 * message is still written (key + length 0), because presence matters for
 * oneof members such as Int64FeatureType. A failed sub makes w failed. */
void ink_pb_put_message (InkPbWriter *w, uint32_t number, const InkPbWriter *sub);
/* Packed repeated fields; n == 0 writes nothing (proto3 omits empty repeated
 * fields). */
void ink_pb_put_packed_floats (InkPbWriter *w, uint32_t number, const float *v, size_t n);
void ink_pb_put_packed_doubles (InkPbWriter *w, uint32_t number, const double *v, size_t n);
void ink_pb_put_packed_int64s (InkPbWriter *w, uint32_t number, const int64_t *v, size_t n);

#ifdef __cplusplus
}
#endif

/* fuzz-inkmodel.c: the compiled .inkmodel loader
 *
 * Loads the input as a .inkmodel file as it is, then (when its header and
 * sections lie inside the input) once more with every CRC-32 recomputed,
 * so that mutations reach the JSON and weight checks behind the
 * checksums. A model that loads runs one prediction on a zero input.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

/* Each input is written to a file and mapped: larger models (the compiled
 * image networks) would slow fuzzing to a few inputs a second. */
#define MAX_INPUT ((size_t) 1 << 20)
#define HEADER_SIZE 64u

static uint32_t crc_table[256];

static uint32_t
crc32_ieee (const uint8_t *p, size_t n)
{
  uint32_t c = 0xffffffffu;

  if (crc_table[1] == 0) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t v = i;

      for (int k = 0; k < 8; k++)
        v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
      crc_table[i] = v;
    }
  }
  for (size_t i = 0; i < n; i++)
    c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

static uint32_t
get_le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint64_t
get_le64 (const uint8_t *p)
{
  return (uint64_t) get_le32 (p) | (uint64_t) get_le32 (p + 4) << 32;
}

static void
put_le32 (uint8_t *p, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t) (v >> (8 * i));
}

static void
load (const uint8_t *data, size_t size)
{
  const char *path = fuzz_write_temp (data, size);
  InkError err;
  InkModel *model;

  if (path == NULL)
    return;
  ink_error_clear (&err);
  model = ink_model_load (path, &err);
  if (model == NULL)
    return;
  fuzz_predict_zero (model);
  ink_model_free (model);
}

/* Recomputes the section and header CRCs of a copy of data; false when the
 * header or a section does not lie inside it. */
static bool
fix_checksums (uint8_t *copy, size_t size)
{
  uint32_t header_size;
  uint64_t json_off, json_size, w_off, w_size;

  if (size < HEADER_SIZE)
    return false;
  header_size = get_le32 (copy + 12);
  json_off = get_le64 (copy + 20);
  json_size = get_le64 (copy + 28);
  w_off = get_le64 (copy + 40);
  w_size = get_le64 (copy + 48);
  if (header_size < HEADER_SIZE || header_size > size || json_off > size ||
      json_size > size - json_off || w_off > size || w_size > size - w_off)
    return false;
  put_le32 (copy + 36, crc32_ieee (copy + json_off, json_size));
  put_le32 (copy + 56, crc32_ieee (copy + w_off, w_size));
  put_le32 (copy + header_size - 4, crc32_ieee (copy, header_size - 4));
  return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  uint8_t *copy;

  if (size > MAX_INPUT)
    return 0;
  load (data, size);
  copy = malloc (size > 0 ? size : 1);
  if (copy == NULL)
    return 0;
  if (size > 0)
    memcpy (copy, data, size);
  if (fix_checksums (copy, size) && memcmp (copy, data, size) != 0)
    load (copy, size);
  free (copy);
  return 0;
}

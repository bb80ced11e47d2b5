/* ink-inkmodel.c: the compiled .inkmodel file format
 *
 * SPDX-License-Identifier: MIT
 */

/* The format (docs/FORMATS.md has the long form): one file, every integer
 * little-endian.
 *
 *   offset size  field
 *        0    8  magic "INKMODEL"
 *        8    4  format version (u32) = 1
 *       12    4  header size (u32) = 64 (readers accept >= 64; the extra
 *                bytes before the header CRC are reserved for extensions)
 *       16    4  flags (u32) = 0; a set bit means "needs a newer reader"
 *       20    8  JSON section offset (u64)
 *       28    8  JSON section size (u64)
 *       36    4  JSON section CRC-32 (u32)
 *       40    8  weights section offset (u64), a multiple of 64
 *       48    8  weights section size (u64)
 *       56    4  weights section CRC-32 (u32)
 *       60    4  header CRC-32: the last 4 bytes of the header, over all
 *                header bytes before it
 *
 * CRC-32 is the IEEE 802.3 one (zlib's crc32). The writer places the JSON
 * section right after the header and the weights section at the next
 * multiple of 64, zero-padded; the file ends where the weights section does.
 *
 * The JSON section is UTF-8 text:
 *   {"format": 1, "generator": "inkling 0.1.0", "model": MODEL}
 *   MODEL = {"kind": "neuralNetworkClassifier", "specificationVersion": 4,
 *            "description": {...}, "classLabels": [...] (optional),
 *            "body": {...}}   (pipelines nest MODEL objects in their body)
 * The weights section holds float32 little-endian arrays, each starting at a
 * multiple of 64 bytes from the section start (so from the file start). A
 * body refers to an array as {"offset": bytes from the section start,
 * "count": floats}.
 *
 * A reader maps the whole file read-only and checks, in order: size, magic,
 * version, header size, header CRC, flags, section bounds (inside the file,
 * not overlapping, nothing after them), section CRCs, UTF-8, JSON; weight
 * references are bounds-checked as they are resolved. Weights are then used
 * in place from the mapping.
 */
#include "ink-model-private.h"
#include "ink-crc32.h"
#include "ink-util-private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef INK_VERSION
#define INK_VERSION "0.1.0"
#endif

#define INKMODEL_MAGIC "INKMODEL"
#define INKMODEL_VERSION 1u
#define INKMODEL_HEADER_SIZE 64u
#define INKMODEL_ALIGN 64u
/* JSON numbers are doubles: integers above 2^53 are not exact. */
#define JSON_MAX_INT 9007199254740992.0

static uint32_t
crc32_ieee (const void *data, size_t n)
{
  return ink_crc32 (0, data, n);
}

/* ---- Weights ---- */

/* The writer does not copy the weights: it records where each array goes
 * in the weights section and the caller's pointer to it, and the file is
 * written (and checksummed) from the model's own arrays. So the arrays must
 * stay unchanged until the writer is done, which holds for the model being
 * saved (only ink_inkmodel_write makes a writer). Zeros, and big-endian
 * hosts' byte-swapped copies, are owned by the writer. */
typedef struct {
  size_t offset, bytes; /* in the weights section */
  const uint8_t *data;
  bool owned;
} WeightSegment;

struct InkWeightWriter {
  WeightSegment *segs;
  size_t n, cap;
  size_t size; /* of the weights section so far */
};

struct InkWeightReader {
  const uint8_t *base;
  size_t size;
};

static void
weight_writer_clear (InkWeightWriter *w)
{
  for (size_t i = 0; i < w->n; i++) {
    if (w->segs[i].owned)
      free ((void *) (uintptr_t) w->segs[i].data);
  }
  free (w->segs);
  memset (w, 0, sizeof *w);
}

static cJSON *
weight_reference (size_t offset, size_t count, bool with_offset)
{
  cJSON *ref = cJSON_CreateObject ();

  if (ref == NULL)
    return NULL;
  if ((with_offset && cJSON_AddNumberToObject (ref, "offset", (double) offset) == NULL) ||
      cJSON_AddNumberToObject (ref, "count", (double) count) == NULL) {
    cJSON_Delete (ref);
    return NULL;
  }
  return ref;
}

/* With a NULL writer (serializing only to show a model, as `inspect --json`
 * does) the reference is just {"count": n}. data NULL appends zeros. */
cJSON *
ink_weight_writer_add (InkWeightWriter *w, const float *data, size_t count)
{
  size_t offset, bytes, end;
  WeightSegment seg = {0};

  if (w == NULL)
    return weight_reference (0, count, false);
  offset = (w->size + (INKMODEL_ALIGN - 1)) & ~(size_t) (INKMODEL_ALIGN - 1);
  if (offset < w->size || !ink_size_mul (count, sizeof (float), &bytes) ||
      __builtin_add_overflow (offset, bytes, &end) || (double) end > JSON_MAX_INT)
    return NULL;
  if (!INK_GROW (w->segs, w->n, w->cap))
    return NULL;
  seg.offset = offset;
  seg.bytes = bytes;
  if (bytes > 0 && data == NULL) {
    seg.data = calloc (1, bytes);
    seg.owned = true;
    if (seg.data == NULL)
      return NULL;
  } else if (bytes > 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint8_t *le = malloc (bytes);

    if (le == NULL)
      return NULL;
    for (size_t i = 0; i < count; i++) {
      uint32_t u;

      memcpy (&u, &data[i], 4);
      ink_store_le32 (le + 4 * i, u);
    }
    seg.data = le;
    seg.owned = true;
#else
    seg.data = (const uint8_t *) data;
#endif
  }
  {
    cJSON *ref = weight_reference (offset, count, true);
    if (ref == NULL) {
      if (seg.owned)
        free ((void *) (uintptr_t) seg.data);
      return NULL;
    }
    w->segs[w->n++] = seg;
    w->size = end;
    return ref;
  }
}

/* A JSON number that is an exact integer in [0, 2^53]. */
static bool
json_size_value (const cJSON *obj, const char *key, size_t *out)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  double v;

  if (!cJSON_IsNumber (item))
    return false;
  v = item->valuedouble;
  if (!(v >= 0 && v <= JSON_MAX_INT) || v != (double) (uint64_t) v || (uint64_t) v > SIZE_MAX)
    return false;
  *out = (size_t) v;
  return true;
}

InkStatus
ink_weight_reader_get (InkWeightReader *r, const cJSON *ref, InkWeights *out, const char *what,
                       InkError *err)
{
  size_t offset, count, bytes, end;

  if (what == NULL)
    what = "weights";
  if (out == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "ink_weight_reader_get: no output");
  if (!cJSON_IsObject (ref) || !json_size_value (ref, "offset", &offset) ||
      !json_size_value (ref, "count", &count))
    return ink_error_set (err, INK_ERR_FORMAT,
                          "%s: the weight reference is not {\"offset\": n, \"count\": n}", what);
  if (r == NULL)
    return ink_error_set (err, INK_ERR_FORMAT, "%s: no weights section to read from", what);
  if (offset % sizeof (float) != 0)
    return ink_error_set (err, INK_ERR_FORMAT, "%s: weight offset %zu is not aligned", what,
                          offset);
  if (!ink_size_mul (count, sizeof (float), &bytes) ||
      __builtin_add_overflow (offset, bytes, &end) || end > r->size)
    return ink_error_set (err, INK_ERR_FORMAT,
                          "%s: weights out of bounds (%zu floats at offset %zu; the weights "
                          "section has %zu bytes)",
                          what, count, offset, r->size);
  out->count = count;
  if (count == 0) {
    out->data = NULL;
    out->owned = false;
    return INK_OK;
  }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  out->data = malloc (bytes);
  if (out->data == NULL) {
    out->count = 0;
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  for (size_t i = 0; i < count; i++) {
    uint32_t u = ink_load_le32 (r->base + offset + 4 * i);
    memcpy (&out->data[i], &u, 4);
  }
  out->owned = true;
#else
  /* The mapping is read-only; kinds call ink_weights_make_owned to change it. */
  out->data = (float *) (uintptr_t) (r->base + offset);
  out->owned = false;
#endif
  return INK_OK;
}

/* ---- Models as JSON ---- */

cJSON *
ink_model_to_json (const InkModel *model, InkWeightWriter *w, InkError *err)
{
  const char *kind;
  cJSON *obj, *desc, *labels, *body;
  InkStatus st;

  if (model == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "ink_model_to_json: no model");
    return NULL;
  }
  kind = ink_model_kind_to_string (model->kind);
  if (kind == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "unknown model kind %d", (int) model->kind);
    return NULL;
  }
  if (model->ops == NULL || model->ops->to_json == NULL) {
    ink_error_set (err, INK_ERR_UNSUPPORTED, "%s models cannot be serialized", kind);
    return NULL;
  }
  obj = cJSON_CreateObject ();
  if (obj == NULL)
    goto no_memory;
  if (cJSON_AddStringToObject (obj, "kind", kind) == NULL ||
      cJSON_AddNumberToObject (obj, "specificationVersion", model->spec_version) == NULL)
    goto no_memory;
  desc = ink_description_to_json (&model->desc);
  if (desc == NULL || !cJSON_AddItemToObject (obj, "description", desc)) {
    cJSON_Delete (desc);
    goto no_memory;
  }
  if (model->class_labels.n > 0) {
    labels = ink_labels_to_json (&model->class_labels);
    if (labels == NULL || !cJSON_AddItemToObject (obj, "classLabels", labels)) {
      cJSON_Delete (labels);
      goto no_memory;
    }
  }
  body = cJSON_AddObjectToObject (obj, "body");
  if (body == NULL)
    goto no_memory;
  st = model->ops->to_json (model, body, w, err);
  if (st != INK_OK) {
    cJSON_Delete (obj);
    ink_error_prefix (err, "%s", kind);
    return NULL;
  }
  return obj;

no_memory:
  cJSON_Delete (obj);
  ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory while serializing a %s model", kind);
  return NULL;
}

InkModel *
ink_model_from_json (const cJSON *obj, InkWeightReader *r, InkError *err)
{
  const cJSON *kind_item, *spec_item, *desc, *labels, *body;
  InkModelKind kind;
  InkModel *model;
  double spec;

  if (!cJSON_IsObject (obj)) {
    ink_error_set (err, INK_ERR_FORMAT, "a model must be a JSON object");
    return NULL;
  }
  kind_item = cJSON_GetObjectItemCaseSensitive (obj, "kind");
  if (!cJSON_IsString (kind_item)) {
    ink_error_set (err, INK_ERR_FORMAT, "the model has no \"kind\" string");
    return NULL;
  }
  if (!ink_model_kind_from_string (kind_item->valuestring, &kind)) {
    ink_error_set (err, INK_ERR_UNSUPPORTED, "unknown model kind \"%.100s\"",
                   kind_item->valuestring);
    return NULL;
  }
  spec_item = cJSON_GetObjectItemCaseSensitive (obj, "specificationVersion");
  spec = cJSON_IsNumber (spec_item) ? spec_item->valuedouble : -1;
  if (!(spec >= 1 && spec <= INT_MAX) || spec != (double) (int) spec) {
    ink_error_set (err, INK_ERR_FORMAT,
                   "%s: \"specificationVersion\" is missing or not a positive integer",
                   kind_item->valuestring);
    return NULL;
  }
  desc = cJSON_GetObjectItemCaseSensitive (obj, "description");
  body = cJSON_GetObjectItemCaseSensitive (obj, "body");
  labels = cJSON_GetObjectItemCaseSensitive (obj, "classLabels");
  if (!cJSON_IsObject (desc) || !cJSON_IsObject (body)) {
    ink_error_set (err, INK_ERR_FORMAT, "%s: the model has no \"%s\" object",
                   kind_item->valuestring, cJSON_IsObject (desc) ? "body" : "description");
    return NULL;
  }

  model = ink_model_alloc (kind);
  if (model == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  model->spec_version = (int) spec;
  if (ink_description_from_json (&model->desc, desc, err) != INK_OK) {
    ink_error_prefix (err, "%s: description", kind_item->valuestring);
    goto fail;
  }
  if (labels != NULL && !cJSON_IsNull (labels) &&
      ink_labels_from_json (&model->class_labels, labels, err) != INK_OK) {
    ink_error_prefix (err, "%s: class labels", kind_item->valuestring);
    goto fail;
  }
  if (model->ops == NULL || model->ops->from_json == NULL) {
    ink_error_set (err, INK_ERR_UNSUPPORTED, "%s models cannot be read", kind_item->valuestring);
    goto fail;
  }
  if (model->ops->from_json (model, body, r, err) != INK_OK) {
    ink_error_prefix (err, "%s", kind_item->valuestring);
    goto fail;
  }
  return model;

fail:
  ink_model_free (model);
  return NULL;
}

/* ---- Writing ---- */

/* The shortest text that reads back as exactly v (called in the C locale). */
static void
format_double (char *buf, size_t size, double v)
{
  for (int digits = 15; digits <= 17; digits++) {
    snprintf (buf, size, "%.*g", digits, v);
    if (strtod (buf, NULL) == v)
      break;
  }
}

/* cJSON prints a number with 15 significant digits whenever that reads back
 * within DBL_EPSILON of it, which loses the last bit of many doubles (0.1 +
 * 0.2 becomes 0.3) and of integers above 2^31. Numbers are turned into raw
 * JSON text that reads back exactly. NaN and infinities, which JSON cannot
 * hold (cJSON would write null), are refused. */
static InkStatus
exact_numbers (cJSON *node, InkError *err)
{
  for (; node != NULL; node = node->next) {
    if (cJSON_IsNumber (node)) {
      char buf[40];
      size_t n;

      if (!isfinite (node->valuedouble))
        return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                              "the model holds a number that is not finite (\"%.60s\" is %g)",
                              node->string != NULL ? node->string : "", node->valuedouble);
      format_double (buf, sizeof buf, node->valuedouble);
      n = strlen (buf) + 1;
      node->valuestring = cJSON_malloc (n);
      if (node->valuestring == NULL)
        return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
      memcpy (node->valuestring, buf, n);
      node->type = cJSON_Raw | (node->type & cJSON_StringIsConst);
    } else if (node->child != NULL && exact_numbers (node->child, err) != INK_OK) {
      return err->status;
    }
  }
  return INK_OK;
}

InkStatus
ink_inkmodel_write (const InkModel *model, const char *path, InkError *err)
{
  static const uint8_t zeros[INKMODEL_ALIGN];
  InkWeightWriter w = {0};
  InkError e;
  uint8_t header[INKMODEL_HEADER_SIZE];
  cJSON *root = NULL, *model_json;
  char *text = NULL;
  size_t json_size, json_end, weights_offset, bad;
  InkStatus st;

  if (model == NULL || path == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "ink_inkmodel_write: no model or path");
  if (!model->finished)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "cannot save %s: the model is not finished", path);

  ink_error_clear (&e);
  model_json = ink_model_to_json (model, &w, &e);
  if (model_json == NULL) {
    ink_error_prefix (&e, "cannot save %s", path);
    st = ink_error_set (err, e.status != INK_OK ? e.status : INK_ERR_NO_MEMORY, "%s", e.message);
    goto out;
  }
  root = cJSON_CreateObject ();
  if (root == NULL || !cJSON_AddItemToObject (root, "format", cJSON_CreateNumber (1)) ||
      cJSON_AddStringToObject (root, "generator", "inkling " INK_VERSION) == NULL ||
      !cJSON_AddItemToObject (root, "model", model_json)) {
    if (root == NULL || cJSON_GetObjectItemCaseSensitive (root, "model") == NULL)
      cJSON_Delete (model_json);
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "cannot save %s: out of memory", path);
    goto out;
  }
  ink_error_clear (&e);
  {
    /* The decimal point must be '.' whatever the user's locale. */
    locale_t c = newlocale (LC_ALL_MASK, "C", (locale_t) 0);
    locale_t old;

    if (c == (locale_t) 0) {
      st = ink_error_set (err, INK_ERR_NO_MEMORY, "cannot save %s: out of memory", path);
      goto out;
    }
    old = uselocale (c);
    st = exact_numbers (root, &e);
    uselocale (old);
    freelocale (c);
    if (st != INK_OK) {
      st = ink_error_set (err, e.status, "cannot save %s: %s", path, e.message);
      goto out;
    }
  }
  text = cJSON_PrintUnformatted (root);
  if (text == NULL) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "cannot save %s: out of memory", path);
    goto out;
  }
  json_size = strlen (text);
  bad = ink_utf8_check ((const uint8_t *) text, json_size);
  if (bad != json_size) {
    st = ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                        "cannot save %s: the model holds text that is not valid UTF-8 (\"%.40s\")",
                        path, text + (bad > 20 ? bad - 20 : 0));
    goto out;
  }

  json_end = INKMODEL_HEADER_SIZE + json_size;
  weights_offset = (json_end + (INKMODEL_ALIGN - 1)) & ~(size_t) (INKMODEL_ALIGN - 1);
  memset (header, 0, sizeof header);
  memcpy (header, INKMODEL_MAGIC, 8);
  ink_store_le32 (header + 8, INKMODEL_VERSION);
  ink_store_le32 (header + 12, INKMODEL_HEADER_SIZE);
  ink_store_le32 (header + 16, 0);
  ink_store_le64 (header + 20, INKMODEL_HEADER_SIZE);
  ink_store_le64 (header + 28, json_size);
  ink_store_le32 (header + 36, crc32_ieee (text, json_size));
  ink_store_le64 (header + 40, weights_offset);
  ink_store_le64 (header + 48, w.size);

  /* The file is written from the pieces where they are: header, JSON,
   * padding, then each weight array after the zeros that align it. The
   * weights' checksum is taken over the same pieces. */
  {
    size_t n = 0, pos = 0, max = 3 + 2 * w.n;
    const void **chunks = malloc (max * sizeof *chunks);
    size_t *sizes = malloc (max * sizeof *sizes);
    uint32_t crc = 0;

    if (chunks == NULL || sizes == NULL) {
      free (chunks);
      free (sizes);
      st = ink_error_set (err, INK_ERR_NO_MEMORY, "cannot save %s: out of memory", path);
      goto out;
    }
    chunks[n] = header, sizes[n++] = sizeof header;
    chunks[n] = text, sizes[n++] = json_size;
    chunks[n] = zeros, sizes[n++] = weights_offset - json_end;
    for (size_t i = 0; i < w.n; i++) {
      const WeightSegment *g = &w.segs[i];
      /* Less than INKMODEL_ALIGN bytes of padding before each array. */
      chunks[n] = zeros, sizes[n++] = g->offset - pos;
      chunks[n] = g->data, sizes[n++] = g->bytes;
      crc = ink_crc32 (ink_crc32 (crc, zeros, g->offset - pos), g->data, g->bytes);
      pos = g->offset + g->bytes;
    }
    ink_store_le32 (header + 56, crc);
    ink_store_le32 (header + 60, crc32_ieee (header, INKMODEL_HEADER_SIZE - 4));
    st = ink_atomic_write (path, chunks, sizes, n, err);
    free (chunks);
    free (sizes);
  }

out:
  cJSON_Delete (root);
  cJSON_free (text);
  weight_writer_clear (&w);
  return st;
}

/* ---- Reading ---- */

/* Statuses meaning "the file describes an impossible model" are reported as
 * a malformed file. */
static InkStatus
file_status (InkStatus st)
{
  switch (st) {
  case INK_ERR_INVALID_ARGUMENT:
  case INK_ERR_INVALID_MODEL:
  case INK_ERR_TYPE_MISMATCH:
  case INK_ERR_SHAPE_MISMATCH:
  case INK_ERR_PARAMETER: return INK_ERR_FORMAT;
  default: return st;
  }
}

/* Checks that [offset, offset + size) lies within the file. */
static InkStatus
check_section (const char *path, const char *name, uint64_t offset, uint64_t size,
               uint32_t header_size, size_t file_size, uint64_t *end, InkError *err)
{
  *end = 0; /* set on every path, also when the section is refused */
  if (offset < header_size)
    return ink_error_set (err, INK_ERR_FORMAT,
                          "%s is corrupt: its %s section starts inside the header", path, name);
  if (__builtin_add_overflow (offset, size, end))
    return ink_error_set (err, INK_ERR_FORMAT, "%s is corrupt: its %s section is out of bounds",
                          path, name);
  if (*end > file_size)
    return ink_error_set (err, INK_ERR_FORMAT,
                          "%s is truncated: its %s section ends at byte %llu but the file has "
                          "%zu bytes",
                          path, name, (unsigned long long) *end, file_size);
  return INK_OK;
}

/* Validates the mapped file and builds the (unfinished) model. */
static InkModel *
parse_mapped (const char *path, const uint8_t *base, size_t size, InkError *err)
{
  uint32_t version, header_size, flags;
  uint64_t json_off, json_size, json_end, w_off, w_size, w_end, last;
  const cJSON *format, *model_json;
  const char *parse_end;
  cJSON *root;
  char *text;
  InkWeightReader reader;
  InkModel *model;
  size_t bad;

  if (size == 0) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is empty", path);
    return NULL;
  }
  if (memcmp (base, INKMODEL_MAGIC, size < 8 ? size : 8) != 0) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is not an Inkling model file (wrong magic)", path);
    return NULL;
  }
  if (size < INKMODEL_HEADER_SIZE) {
    ink_error_set (err, INK_ERR_FORMAT,
                   "%s is truncated: %zu bytes, shorter than the %u-byte header", path, size,
                   INKMODEL_HEADER_SIZE);
    return NULL;
  }
  version = ink_load_le32 (base + 8);
  if (version > INKMODEL_VERSION) {
    ink_error_set (err, INK_ERR_VERSION,
                   "%s needs a newer Inkling: it uses format version %u, this Inkling reads "
                   "version %u",
                   path, version, INKMODEL_VERSION);
    return NULL;
  }
  if (version == 0) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is corrupt: format version 0", path);
    return NULL;
  }
  header_size = ink_load_le32 (base + 12);
  if (header_size < INKMODEL_HEADER_SIZE) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is corrupt: header size %u", path, header_size);
    return NULL;
  }
  if (header_size > size) {
    ink_error_set (err, INK_ERR_FORMAT,
                   "%s is truncated: %zu bytes, shorter than its %u-byte header", path, size,
                   header_size);
    return NULL;
  }
  if (crc32_ieee (base, header_size - 4) != ink_load_le32 (base + header_size - 4)) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is corrupt: checksum mismatch in the header", path);
    return NULL;
  }
  flags = ink_load_le32 (base + 16);
  if (flags != 0) {
    ink_error_set (err, INK_ERR_VERSION,
                   "%s needs a newer Inkling: it uses format features this Inkling does not "
                   "know (flags 0x%x)",
                   path, flags);
    return NULL;
  }

  json_off = ink_load_le64 (base + 20);
  json_size = ink_load_le64 (base + 28);
  w_off = ink_load_le64 (base + 40);
  w_size = ink_load_le64 (base + 48);
  if (check_section (path, "JSON", json_off, json_size, header_size, size, &json_end, err) ||
      check_section (path, "weights", w_off, w_size, header_size, size, &w_end, err))
    return NULL;
  if (json_size == 0) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is corrupt: its JSON section is empty", path);
    return NULL;
  }
  if (w_off % INKMODEL_ALIGN != 0) {
    ink_error_set (err, INK_ERR_FORMAT,
                   "%s is corrupt: its weights section is not aligned to %u bytes", path,
                   INKMODEL_ALIGN);
    return NULL;
  }
  if (w_size > 0 && json_off < w_end && w_off < json_end) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is corrupt: its sections overlap", path);
    return NULL;
  }
  last = json_end > w_end ? json_end : w_end;
  if (last != size) {
    ink_error_set (err, INK_ERR_FORMAT,
                   "%s is corrupt: %llu unexpected bytes after its last section", path,
                   (unsigned long long) (size - last));
    return NULL;
  }
  if (crc32_ieee (base + json_off, json_size) != ink_load_le32 (base + 36)) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is corrupt: checksum mismatch in the JSON section",
                   path);
    return NULL;
  }
  if (crc32_ieee (base + w_off, w_size) != ink_load_le32 (base + 56)) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is corrupt: checksum mismatch in the weights section",
                   path);
    return NULL;
  }
  bad = ink_utf8_check (base + json_off, json_size);
  if (bad != json_size) {
    ink_error_set (err, INK_ERR_FORMAT,
                   "%s is corrupt: its JSON section is not valid UTF-8 (byte %zu)", path, bad);
    return NULL;
  }

  /* A NUL-terminated copy, so the parser can never read past the section. */
  text = malloc (json_size + 1);
  if (text == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading %s", path);
    return NULL;
  }
  memcpy (text, base + json_off, json_size);
  text[json_size] = '\0';
  root = cJSON_ParseWithLengthOpts (text, json_size, &parse_end, false);
  if (root != NULL) {
    while (*parse_end == ' ' || *parse_end == '\t' || *parse_end == '\n' || *parse_end == '\r')
      parse_end++;
  }
  if (root == NULL || parse_end != text + json_size) {
    const char *at = root == NULL ? cJSON_GetErrorPtr () : parse_end;
    size_t pos = at != NULL && at >= text && at <= text + json_size ? (size_t) (at - text) : 0;

    ink_error_set (err, INK_ERR_FORMAT,
                   "%s is corrupt: its JSON section is not valid JSON "
                   "(at byte %zu)",
                   path, pos);
    cJSON_Delete (root);
    free (text);
    return NULL;
  }
  free (text);

  format = cJSON_GetObjectItemCaseSensitive (root, "format");
  model_json = cJSON_GetObjectItemCaseSensitive (root, "model");
  if (!cJSON_IsObject (root) || !cJSON_IsNumber (format) || format->valuedouble < 1 ||
      format->valuedouble != (double) (int) format->valuedouble) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is corrupt: its JSON section has no \"format\" version",
                   path);
    cJSON_Delete (root);
    return NULL;
  }
  if (format->valuedouble > INKMODEL_VERSION) {
    ink_error_set (err, INK_ERR_VERSION,
                   "%s needs a newer Inkling: its model uses format version %d, this Inkling "
                   "reads version %u",
                   path, (int) format->valuedouble, INKMODEL_VERSION);
    cJSON_Delete (root);
    return NULL;
  }
  if (!cJSON_IsObject (model_json)) {
    ink_error_set (err, INK_ERR_FORMAT, "%s is corrupt: its JSON section has no \"model\" object",
                   path);
    cJSON_Delete (root);
    return NULL;
  }

  reader.base = base + w_off;
  reader.size = (size_t) w_size;
  model = ink_model_from_json (model_json, &reader, err);
  cJSON_Delete (root);
  if (model == NULL)
    ink_error_prefix (err, "%s", path);
  return model;
}

InkModel *
ink_inkmodel_read (const char *path, InkError *err)
{
  InkError e;
  struct stat st;
  InkModel *model;
  void *map = NULL;
  size_t size;
  int fd, saved;

  ink_error_clear (&e);
  if (path == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "ink_inkmodel_read: no path");
    return NULL;
  }
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    saved = errno;
    ink_error_set (err, INK_ERR_IO, "cannot open %s: %s", path, strerror (saved));
    return NULL;
  }
  if (fstat (fd, &st) < 0) {
    saved = errno;
    close (fd);
    ink_error_set (err, INK_ERR_IO, "cannot read %s: %s", path, strerror (saved));
    return NULL;
  }
  if (!S_ISREG (st.st_mode)) {
    close (fd);
    ink_error_set (err, INK_ERR_IO, "cannot read %s: %s", path,
                   S_ISDIR (st.st_mode) ? "it is a folder" : "it is not a regular file");
    return NULL;
  }
  if ((uint64_t) st.st_size > SIZE_MAX) {
    close (fd);
    ink_error_set (err, INK_ERR_FORMAT, "%s is too large", path);
    return NULL;
  }
  size = (size_t) st.st_size;
  if (size > 0) {
    /* Atomic writers replace the file rather than truncating it, so the
     * mapping stays valid (no SIGBUS) for the model's lifetime. */
    map = mmap (NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      saved = errno;
      close (fd);
      ink_error_set (err, INK_ERR_IO, "cannot map %s: %s", path, strerror (saved));
      return NULL;
    }
  }
  close (fd);

  model = parse_mapped (path, map, size, &e);
  if (model == NULL) {
    if (map != NULL)
      munmap (map, size);
    ink_error_set (err, file_status (e.status), "%s", e.message);
    return NULL;
  }
  model->mapping = map;
  model->mapping_size = size;
  if (ink_model_finish (model, &e) != INK_OK) {
    ink_model_free (model); /* unmaps */
    ink_error_prefix (&e, "%s", path);
    ink_error_set (err, file_status (e.status), "%s", e.message);
    return NULL;
  }
  return model;
}

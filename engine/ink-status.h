/* ink-status.h: status codes and caller-owned error messages
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Stable status codes: values are append-only and never renumbered. */
typedef enum {
  INK_OK = 0,
  INK_ERR_INVALID_ARGUMENT = 1, /* API misuse: NULL handle, bad enum, wrong state */
  INK_ERR_NO_MEMORY = 2,
  INK_ERR_IO = 3,             /* a file could not be read or written */
  INK_ERR_FORMAT = 4,         /* a file or document is malformed or corrupt */
  INK_ERR_VERSION = 5,        /* a file was written by a newer format version */
  INK_ERR_UNSUPPORTED = 6,    /* a model type, layer or option the engine cannot run */
  INK_ERR_MISSING_INPUT = 7,  /* a required input feature is absent */
  INK_ERR_TYPE_MISMATCH = 8,  /* a feature has the wrong value type */
  INK_ERR_SHAPE_MISMATCH = 9, /* a multi-array or image has the wrong shape or size */
  INK_ERR_IMAGE = 10,         /* an image could not be decoded or converted */
  INK_ERR_INVALID_MODEL = 11, /* a model's structure is inconsistent */
  INK_ERR_PARAMETER = 12,     /* a parameter is unknown or outside its allowed range */
  INK_ERR_CANCELLED = 13,
  INK_ERR_NETWORK = 14,
  INK_ERR_HTTP = 15,
  INK_ERR_VERIFICATION = 16,
  INK_ERR_DATABASE = 17,
} InkStatus;

#define INK_ERROR_MESSAGE_SIZE 512

/* A caller-owned error record, filled by every call that can fail (like
 * CURLOPT_ERRORBUFFER). Passing NULL where an InkError * is taken is allowed:
 * the status is still returned. */
typedef struct {
  InkStatus status;
  char message[INK_ERROR_MESSAGE_SIZE];
} InkError;

/* A short, constant English name for a status ("format error"). */
const char *ink_status_to_string (InkStatus status);

/* Resets err to INK_OK with an empty message. NULL is allowed. */
void ink_error_clear (InkError *err);

/* Fills err (if not NULL) and returns status, so callers can write
 * `return ink_error_set (err, INK_ERR_IO, "cannot open %s", path);`. */
InkStatus ink_error_set (InkError *err, InkStatus status, const char *format, ...)
  __attribute__ ((format (printf, 3, 4)));

InkStatus ink_error_setv (InkError *err, InkStatus status, const char *format, va_list args)
  __attribute__ ((format (printf, 3, 0)));

/* Prepends "context: " to an error already set and returns its status
 * (with a NULL err, the status last set on this thread). */
InkStatus ink_error_prefix (InkError *err, const char *format, ...)
  __attribute__ ((format (printf, 2, 3)));

#ifdef __cplusplus
}
#endif

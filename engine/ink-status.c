/* ink-status.c: status codes and caller-owned error messages
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-status.h"

#include <stdio.h>
#include <string.h>

/* The status most recently set on this thread, so that ink_error_prefix
 * can return it when the caller passed no InkError. */
static _Thread_local InkStatus last_status;

const char *
ink_status_to_string (InkStatus status)
{
  switch (status) {
  case INK_OK: return "success";
  case INK_ERR_INVALID_ARGUMENT: return "invalid argument";
  case INK_ERR_NO_MEMORY: return "out of memory";
  case INK_ERR_IO: return "input/output error";
  case INK_ERR_FORMAT: return "format error";
  case INK_ERR_VERSION: return "unsupported format version";
  case INK_ERR_UNSUPPORTED: return "unsupported";
  case INK_ERR_MISSING_INPUT: return "missing input";
  case INK_ERR_TYPE_MISMATCH: return "type mismatch";
  case INK_ERR_SHAPE_MISMATCH: return "shape mismatch";
  case INK_ERR_IMAGE: return "image error";
  case INK_ERR_INVALID_MODEL: return "invalid model";
  case INK_ERR_PARAMETER: return "invalid parameter";
  case INK_ERR_CANCELLED: return "cancelled";
  case INK_ERR_NETWORK: return "network error";
  case INK_ERR_HTTP: return "HTTP error";
  case INK_ERR_VERIFICATION: return "verification failed";
  case INK_ERR_DATABASE: return "database error";
  }
  return "unknown status";
}

void
ink_error_clear (InkError *err)
{
  if (err == NULL)
    return;
  err->status = INK_OK;
  err->message[0] = '\0';
}

InkStatus
ink_error_setv (InkError *err, InkStatus status, const char *format, va_list args)
{
  last_status = status;
  if (err != NULL) {
    err->status = status;
    vsnprintf (err->message, sizeof err->message, format, args);
  }
  return status;
}

InkStatus
ink_error_set (InkError *err, InkStatus status, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  ink_error_setv (err, status, format, args);
  va_end (args);
  return status;
}

InkStatus
ink_error_prefix (InkError *err, const char *format, ...)
{
  char prefix[INK_ERROR_MESSAGE_SIZE];
  char joined[2 * INK_ERROR_MESSAGE_SIZE + 2];
  va_list args;

  if (err == NULL)
    return last_status != INK_OK ? last_status : INK_ERR_INVALID_ARGUMENT;
  va_start (args, format);
  vsnprintf (prefix, sizeof prefix, format, args);
  va_end (args);
  snprintf (joined, sizeof joined, "%s: %s", prefix, err->message);
  memcpy (err->message, joined, sizeof err->message - 1);
  err->message[sizeof err->message - 1] = '\0';
  return err->status;
}

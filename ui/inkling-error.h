/* inkling-error.h: GError domains of the application
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

#include "ink.h"

G_BEGIN_DECLS

#define INKLING_ENGINE_ERROR (inkling_engine_error_quark ())

/* Engine failures as GErrors: the codes are the engine's InkStatus values,
 * so they stay stable as the engine appends new ones. */
typedef enum {
  INKLING_ENGINE_ERROR_INVALID_ARGUMENT = INK_ERR_INVALID_ARGUMENT,
  INKLING_ENGINE_ERROR_NO_MEMORY = INK_ERR_NO_MEMORY,
  INKLING_ENGINE_ERROR_IO = INK_ERR_IO,
  INKLING_ENGINE_ERROR_FORMAT = INK_ERR_FORMAT,
  INKLING_ENGINE_ERROR_VERSION = INK_ERR_VERSION,
  INKLING_ENGINE_ERROR_UNSUPPORTED = INK_ERR_UNSUPPORTED,
  INKLING_ENGINE_ERROR_MISSING_INPUT = INK_ERR_MISSING_INPUT,
  INKLING_ENGINE_ERROR_TYPE_MISMATCH = INK_ERR_TYPE_MISMATCH,
  INKLING_ENGINE_ERROR_SHAPE_MISMATCH = INK_ERR_SHAPE_MISMATCH,
  INKLING_ENGINE_ERROR_IMAGE = INK_ERR_IMAGE,
  INKLING_ENGINE_ERROR_INVALID_MODEL = INK_ERR_INVALID_MODEL,
  INKLING_ENGINE_ERROR_PARAMETER = INK_ERR_PARAMETER,
  INKLING_ENGINE_ERROR_CANCELLED = INK_ERR_CANCELLED,
  INKLING_ENGINE_ERROR_NETWORK = INK_ERR_NETWORK,
  INKLING_ENGINE_ERROR_HTTP = INK_ERR_HTTP,
  INKLING_ENGINE_ERROR_VERIFICATION = INK_ERR_VERIFICATION,
  INKLING_ENGINE_ERROR_DATABASE = INK_ERR_DATABASE,
} InklingEngineError;

GQuark inkling_engine_error_quark (void);

/* Sets *error (if error is not NULL) from an engine error record: the code
 * is err->status and the message the engine's, or the status name when the
 * engine gave none. A record left at INK_OK by a failing call is reported
 * as INKLING_ENGINE_ERROR_INVALID_MODEL rather than dropped. */
void inkling_set_engine_error (GError **error, const InkError *err);

G_END_DECLS

/* inkling-error.c: GError domains of the application
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-error.h"

/* The first argument is stringified as the quark's name, hyphens and all. */
/* clang-format off */
G_DEFINE_QUARK (inkling-engine-error-quark, inkling_engine_error)
/* clang-format on */

void
inkling_set_engine_error (GError **error, const InkError *err)
{
  InkStatus status;
  const char *message;

  g_return_if_fail (err != NULL);

  status = err->status;
  message = err->message;
  if (status == INK_OK) {
    /* An engine call failed without saying why: still an error. */
    status = INK_ERR_INVALID_MODEL;
    if (message[0] == '\0')
      message = "the engine failed without giving a reason";
  }
  if (message[0] == '\0')
    message = ink_status_to_string (status);

  g_set_error_literal (error, INKLING_ENGINE_ERROR, (int) status, message);
}

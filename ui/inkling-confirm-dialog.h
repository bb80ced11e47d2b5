/* inkling-confirm-dialog.h: the question asked before an action that
 * cannot be taken back
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* A new dialog over parent with heading and body, and two responses:
 * "cancel" (_Cancel; the default, and the answer to Escape or closing)
 * and response, labelled label and styled destructive. Connect to its
 * "response" signal, then present it; it closes itself when answered. */
AdwMessageDialog *inkling_confirm_dialog_new (GtkWindow *parent, const char *heading,
                                              const char *body, const char *response,
                                              const char *label);

G_END_DECLS

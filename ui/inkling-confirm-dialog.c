/* inkling-confirm-dialog.c: the question asked before an action that
 * cannot be taken back
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-confirm-dialog.h"

AdwMessageDialog *
inkling_confirm_dialog_new (GtkWindow *parent, const char *heading, const char *body,
                            const char *response, const char *label)
{
  AdwMessageDialog *dialog;

  g_return_val_if_fail (heading != NULL && response != NULL && label != NULL, NULL);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, heading, body));
  adw_message_dialog_add_responses (dialog, "cancel", "_Cancel", response, label, NULL);
  adw_message_dialog_set_response_appearance (dialog, response, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  return dialog;
}

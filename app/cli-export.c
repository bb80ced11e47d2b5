/* cli-export.c: `inkling-cli export MODEL OUT.mlmodel`
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-common.h"

#include <stdio.h>

int
cli_export (int argc, char **argv)
{
  g_auto (GStrv) remaining = NULL;
  const GOptionEntry entries[] = {
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &remaining, NULL, "MODEL OUT.mlmodel"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (InkModel) model = NULL;
  InkError err = {0};
  int status;

  g_option_context_set_summary (context,
                                "Writes MODEL (.inkmodel or .mlmodel, including personalized "
                                "models) as a Core ML .mlmodel file.");
  g_option_context_add_main_entries (context, entries, NULL);
  status = cli_parse_options (context, "export", &argc, &argv);
  if (status == CLI_EXIT_OK)
    status = cli_check_arguments ("export", remaining, 2, "MODEL OUT.mlmodel");
  if (status != CLI_EXIT_OK)
    return status;
  model = cli_load_model (remaining[0], &err);
  if (model == NULL)
    return cli_fail_engine (&err);
  if (ink_coreml_export (model, remaining[1], &err) != INK_OK)
    return cli_fail_engine (&err);
  return cli_finish_output ();
}

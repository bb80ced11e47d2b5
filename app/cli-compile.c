/* cli-compile.c: `inkling-cli compile IN.mlmodel OUT.inkmodel`
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-common.h"

#include <stdio.h>

int
cli_compile (int argc, char **argv)
{
  g_auto (GStrv) remaining = NULL;
  const GOptionEntry entries[] = {
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &remaining, NULL,
     "IN.mlmodel OUT.inkmodel"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (InkModel) model = NULL;
  InkError err = {0};
  int status;

  g_option_context_set_summary (context,
                                "Compiles a Core ML .mlmodel file into a compiled .inkmodel file.");
  g_option_context_add_main_entries (context, entries, NULL);
  status = cli_parse_options (context, "compile", &argc, &argv);
  if (status == CLI_EXIT_OK)
    status = cli_check_arguments ("compile", remaining, 2, "IN.mlmodel OUT.inkmodel");
  if (status != CLI_EXIT_OK)
    return status;
  if (cli_is_compiled_model (remaining[0]))
    return cli_fail ("%s is already a compiled .inkmodel; compile takes a Core ML .mlmodel "
                     "(other commands take either)",
                     remaining[0]);
  model = ink_coreml_compile_file (remaining[0], &err);
  if (model == NULL)
    return cli_fail_engine (&err);
  if (ink_model_save (model, remaining[1], &err) != INK_OK)
    return cli_fail_engine (&err);
  return cli_finish_output ();
}

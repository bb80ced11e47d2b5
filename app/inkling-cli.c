/* inkling-cli.c: the headless tool's entry point, command dispatch and usage
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-common.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#ifndef INKLING_VERSION
#define INKLING_VERSION "unknown"
#endif

static const CliCommand commands[] = {
  {"compile", "IN.mlmodel OUT.inkmodel", "Compile a Core ML model", cli_compile},
  {"export", "MODEL OUT.mlmodel", "Write a model as a Core ML model", cli_export},
  {"inspect", "MODEL [--json]", "Show a model's description", cli_inspect},
  {"predict", "MODEL [--input NAME=VALUE]... [--image [NAME=]FILE]... [--json]",
   "Run a model on one example", cli_predict},
  {"update",
   "MODEL -o OUT [--examples DIR | --label L --image FILE...] [--param KEY=VALUE]...\n"
   "            [--threads N] [--json]",
   "Personalize an updatable model with labelled examples", cli_update},
  {"remote",
   "status|check|install [VERSION]|rollback|reset [--server URL] [--store DIR]\n"
   "            [--key FILE] [--channel C] [--json]",
   "Over-the-air model updates: check, install, roll back, reset", cli_remote},
  {"publish",
   "SITE_DIR MODEL.mlmodel --version V [--channel C] [--key FILE] [--notes T]\n"
   "            [--rollout P] [--min-app-version V] [--expires DATE]",
   "Publish a model on a static site (models and a signed manifest)", cli_publish},
  {"serve", "SITE_DIR [--port N] [--fault SPEC]...",
   "Serve a site on 127.0.0.1, injecting faults on request", cli_serve},
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: inkling-cli COMMAND [ARGUMENT...]\n"
                "\n"
                "Runs Inkling's engine without a window: for scripts, QA and benchmarks.\n"
                "MODEL is a compiled .inkmodel file or a Core ML .mlmodel file.\n"
                "\n"
                "Commands:\n");
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-9s %s\n  %-9s   %s\n", commands[i].name, commands[i].synopsis, "",
             commands[i].summary);
  fprintf (out, "\n"
                "Options:\n"
                "  --help, -h     Show this help (inkling-cli COMMAND --help for a command's)\n"
                "  --version      Show the version\n"
                "\n"
                "Exit status: 0 on success, 1 on an error, 2 on a usage error.\n");
}

static const CliCommand *
find_command (const char *name)
{
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++) {
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  }
  return NULL;
}

/* Runs a command as `inkling-cli NAME ARGS...`; GOptionContext's help
 * names it after the program name. */
static int
run_command (const CliCommand *command, int argc, char **argv)
{
  g_autofree char *prgname = g_strdup_printf ("inkling-cli %s", command->name);

  g_set_prgname (prgname);
  return command->run (argc, argv);
}

/* `inkling-cli help [COMMAND]` */
static int
run_help (int argc, char **argv)
{
  const CliCommand *command;
  char *help_argv[] = {NULL, (char *) "--help", NULL};

  if (argc < 3) {
    print_usage (stdout);
    return cli_finish_output ();
  }
  if (argc > 3)
    return cli_usage_error ("help", "unexpected argument '%s'", argv[3]);
  command = find_command (argv[2]);
  if (command == NULL)
    return cli_usage_error (NULL, "unknown command '%s'", argv[2]);
  help_argv[0] = argv[2];
  return run_command (command, 2, help_argv);
}

int
main (int argc, char **argv)
{
  const CliCommand *command;
  const char *name;

  /* Messages in the user's language and charset, but numbers always with a
   * '.': values are parsed and printed the same way everywhere. */
  setlocale (LC_ALL, "");
  setlocale (LC_NUMERIC, "C");

  if (argc < 2) {
    g_printerr ("inkling-cli: missing command\n");
    print_usage (stderr);
    return CLI_EXIT_USAGE;
  }
  name = argv[1];
  if (strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0 || strcmp (name, "help") == 0)
    return run_help (argc, argv);
  if (strcmp (name, "--version") == 0) {
    printf ("inkling-cli %s\n", INKLING_VERSION);
    return cli_finish_output ();
  }
  if (name[0] == '-')
    return cli_usage_error (NULL, "unknown option '%s'", name);
  command = find_command (name);
  if (command == NULL)
    return cli_usage_error (NULL, "unknown command '%s'", name);
  return run_command (command, argc - 1, argv + 1);
}

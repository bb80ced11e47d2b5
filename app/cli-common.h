/* cli-common.h: what inkling-cli's commands share
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "ink.h"

G_BEGIN_DECLS

/* Exit statuses, as DESIGN.md's "The command line" fixes them. */
enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_ERROR = 1, /* the work failed; a message is on stderr */
  CLI_EXIT_USAGE = 2, /* the command line was wrong */
};

/* One `inkling-cli NAME ...` command. run() gets the arguments after
 * "inkling-cli" (argv[0] is the command's name) and returns an exit status.
 * To add a command: write cli-NAME.c with its run function, declare it
 * below, list it in inkling-cli.c's table and in app/meson.build. */
typedef struct {
  const char *name;
  const char *synopsis; /* arguments, for the usage text */
  const char *summary;
  int (*run) (int argc, char **argv);
} CliCommand;

int cli_compile (int argc, char **argv);
int cli_export (int argc, char **argv);
int cli_inspect (int argc, char **argv);
int cli_predict (int argc, char **argv);
int cli_publish (int argc, char **argv);
int cli_remote (int argc, char **argv);
int cli_serve (int argc, char **argv);
int cli_update (int argc, char **argv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkModel, ink_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkFeatures, ink_features_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkBatch, ink_batch_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkValue, ink_value_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (cJSON, cJSON_Delete)

/* ---- Messages and exit statuses ---- */

/* Prints "inkling-cli: MESSAGE" on stderr; returns CLI_EXIT_ERROR. */
int cli_fail (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* The same with an engine error's message (or its status's name). */
int cli_fail_engine (const InkError *err);
/* Prints "inkling-cli COMMAND: MESSAGE" and a hint to --help on stderr;
 * returns CLI_EXIT_USAGE. */
int cli_usage_error (const char *command, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Parses the options in argc and argv with context (built by the command,
 * whose entries may include G_OPTION_REMAINING); --help prints the
 * command's help and exits 0. Returns CLI_EXIT_OK or, after a message,
 * CLI_EXIT_USAGE. */
int cli_parse_options (GOptionContext *context, const char *command, int *argc, char ***argv);

/* Checks that exactly n positional arguments (what, e.g. "MODEL") remain. */
int cli_check_arguments (const char *command, char **remaining, guint n, const char *what);

/* Flushes stdout; CLI_EXIT_ERROR with a message when writing failed. */
int cli_finish_output (void);

/* ---- Models ---- */

/* Loads MODEL as taken on the command line: a compiled .inkmodel file, or
 * anything else as a Core ML .mlmodel compiled in memory. Caller owns the
 * model. */
InkModel *cli_load_model (const char *path, InkError *err);
/* Whether the file starts with the compiled .inkmodel magic. */
bool cli_is_compiled_model (const char *path);

/* "x (MultiArray (Float32 3)), y (Double)", or "(none)": the n features
 * at (d, 0) .. at (d, n - 1). Caller frees. */
char *cli_describe_features (const InkModelDescription *d, size_t n,
                             const InkFeatureDescription *(*at) (const InkModelDescription *d,
                                                                 size_t i));
/* The same of the model's inputs. */
char *cli_describe_inputs (const InkModelDescription *description);

/* ---- Values ---- */

/* Parses text as a value for input (the declared type decides: a number, a
 * string, comma-separated numbers for a multi-array, key:value pairs for a
 * dictionary, comma-separated items for a sequence, a file for an image).
 * Caller owns the value; NULL with err set when text does not fit. */
InkValue *cli_parse_value (const InkFeatureDescription *input, const char *text, InkError *err);

/* The shortest decimal form that reads back as exactly v. Caller frees. */
char *cli_format_double (double v);

/* A one-line human-readable form: numbers, strings as is, dictionaries as
 * "label (0.873), ..." by value descending, arrays as "[a, b, ...]" with at
 * most 16 elements shown. Caller frees. */
char *cli_value_to_text (const InkValue *value);

/* JSON form: numbers, strings, dictionaries as objects (int64 keys as
 * decimal strings), multi-arrays as nested arrays following their shape,
 * images as {"width", "height", "pixelFormat"}, sequences as arrays. */
cJSON *cli_value_to_json (const InkValue *value);

/* {"type": "MultiArray", "dataType": "Float32", "shape": [...]}, etc. */
cJSON *cli_feature_type_to_json (const InkFeatureType *type);

/* An int64 as a JSON number, exact beyond 2^53 too. */
cJSON *cli_json_int64 (int64_t v);

/* Prints json (formatted) and a newline on stdout; returns an exit status. */
int cli_print_json (const cJSON *json);
/* Prints json on one line and flushes, so a reader sees each at once. */
void cli_print_json_line (const cJSON *json);

G_END_DECLS

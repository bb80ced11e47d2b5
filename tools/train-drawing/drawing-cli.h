/* drawing-cli.h: the command-line helpers that inkling-train-drawing and
 * inkling-eval-drawing share
 *
 * program is the tool's name, which starts every message.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "ink.h"

/* Prints "PROGRAM: WHAT" (and ": " err's message) on stderr and exits with
 * EXIT_FAILURE. */
_Noreturn void drawing_cli_die (const char *program, const char *what, const InkError *err);

/* s as a whole number in min .. max; else prints that name must be in that
 * range and exits with status 2. */
long drawing_cli_parse_long (const char *program, const char *s, const char *name, long min,
                             long max);

/* --weighting's value: "uniform" or "inverse" (inverse distance); else
 * exits as drawing_cli_die. */
InkKnnWeighting drawing_cli_parse_weighting (const char *program, const char *s);

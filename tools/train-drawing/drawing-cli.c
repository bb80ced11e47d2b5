/* drawing-cli.c: the command-line helpers of the drawing tools
 *
 * SPDX-License-Identifier: MIT
 */
#include "drawing-cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
drawing_cli_die (const char *program, const char *what, const InkError *err)
{
  fprintf (stderr, "%s: %s%s%s\n", program, what, err != NULL ? ": " : "",
           err != NULL ? err->message : "");
  exit (EXIT_FAILURE);
}

long
drawing_cli_parse_long (const char *program, const char *s, const char *name, long min, long max)
{
  char *end;
  long v;

  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
    fprintf (stderr, "%s: %s must be %ld..%ld\n", program, name, min, max);
    exit (2);
  }
  return v;
}

InkKnnWeighting
drawing_cli_parse_weighting (const char *program, const char *s)
{
  if (strcmp (s, "uniform") == 0)
    return INK_KNN_UNIFORM;
  if (strcmp (s, "inverse") == 0)
    return INK_KNN_INVERSE_DISTANCE;
  drawing_cli_die (program, "--weighting is uniform or inverse", NULL);
}

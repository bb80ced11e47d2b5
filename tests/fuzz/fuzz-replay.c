/* fuzz-replay.c: runs a fuzz target without libFuzzer
 *
 * Usage: fuzz-NAME-replay PATH...: each file, and each file in each folder
 * (sorted, not recursive), is passed to LLVMFuzzerTestOneInput once. A
 * crash or a sanitizer report fails the test; a missing path is an error.
 * Prints one TAP line per input.
 *
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz-common.h"

static int n_run;

static int
replay_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  uint8_t *data = NULL;
  size_t size = 0, cap = 0, n;

  if (f == NULL) {
    printf ("not ok %d - %s: cannot open\n", ++n_run, path);
    return 1;
  }
  do {
    if (size == cap) {
      uint8_t *bigger;

      cap = cap == 0 ? 65536 : cap * 2;
      bigger = realloc (data, cap);
      if (bigger == NULL) {
        free (data);
        fclose (f);
        printf ("not ok %d - %s: out of memory\n", ++n_run, path);
        return 1;
      }
      data = bigger;
    }
    n = fread (data + size, 1, cap - size, f);
    size += n;
  } while (n > 0);
  fclose (f);
  fflush (stdout);
  /* libFuzzer passes a buffer of exactly size bytes: copy it into one so
   * that AddressSanitizer sees a read past the end. */
  {
    uint8_t *exact = malloc (size > 0 ? size : 1);

    if (exact == NULL) {
      free (data);
      printf ("not ok %d - %s: out of memory\n", ++n_run, path);
      return 1;
    }
    if (size > 0)
      memcpy (exact, data, size);
    free (data);
    LLVMFuzzerTestOneInput (exact, size);
    free (exact);
  }
  printf ("ok %d - %s (%zu bytes)\n", ++n_run, path, size);
  return 0;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
replay_dir (const char *path)
{
  DIR *dir = opendir (path);
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, cap = 0;
  int failed = 0;

  if (dir == NULL) {
    printf ("not ok %d - %s: cannot open folder\n", ++n_run, path);
    return 1;
  }
  while ((e = readdir (dir)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (n == cap) {
      char **bigger;

      cap = cap == 0 ? 64 : cap * 2;
      bigger = realloc (names, cap * sizeof *names);
      if (bigger == NULL)
        break;
      names = bigger;
    }
    names[n] = malloc (strlen (path) + strlen (e->d_name) + 2);
    if (names[n] == NULL)
      break;
    sprintf (names[n], "%s/%s", path, e->d_name);
    n++;
  }
  closedir (dir);
  if (n > 0)
    qsort (names, n, sizeof *names, compare_names);
  for (size_t i = 0; i < n; i++) {
    struct stat st;

    if (stat (names[i], &st) == 0 && S_ISREG (st.st_mode))
      failed |= replay_file (names[i]);
    free (names[i]);
  }
  free (names);
  return failed;
}

int
main (int argc, char **argv)
{
  int failed = 0;

  for (int i = 1; i < argc; i++) {
    struct stat st;

    if (stat (argv[i], &st) != 0) {
      printf ("not ok %d - %s: no such file or folder\n", ++n_run, argv[i]);
      failed = 1;
    } else if (S_ISDIR (st.st_mode)) {
      failed |= replay_dir (argv[i]);
    } else {
      failed |= replay_file (argv[i]);
    }
  }
  if (n_run == 0)
    printf ("1..0 # SKIP no inputs\n");
  else
    printf ("1..%d\n", n_run);
  return failed;
}

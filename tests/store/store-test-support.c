/* store-test-support.c: the temporary folders the store tests work in
 *
 * SPDX-License-Identifier: MIT
 */
#include <glib/gstdio.h>

#include "store-test-support.h"

char *
store_test_tmpdir_new (const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *template = g_strdup_printf ("inkling-%s-XXXXXX", name);
  char *dir = g_dir_make_tmp (template, &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

void
store_test_tmpdir_free (char *dir)
{
  if (dir == NULL)
    return;
  remove_tree (dir);
  g_free (dir);
}

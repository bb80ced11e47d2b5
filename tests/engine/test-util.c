/* test-util.c: helpers shared by the engine tests
 *
 * SPDX-License-Identifier: MIT
 */
#include "test-util.h"

#include <glib/gstdio.h>
#include <math.h>

char *
ink_test_fixture_path (const char *relative)
{
  const char *root = g_getenv ("INKLING_FIXTURES");
  g_autofree char *path = NULL;

  if (root == NULL || !g_file_test (root, G_FILE_TEST_IS_DIR)) {
    g_test_skip ("../shared/fixtures is absent: fixture tests skipped");
    return NULL;
  }
  path = g_build_filename (root, relative, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_autofree char *msg = g_strdup_printf ("fixture %s is absent: skipped", relative);
    g_test_skip (msg);
    return NULL;
  }
  return g_steal_pointer (&path);
}

char *
ink_test_tmpdir_new (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("inkling-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
ink_test_tmpdir_free (char *dir)
{
  GDir *d;
  const char *name;

  if (dir == NULL)
    return;
  d = g_dir_open (dir, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    g_autofree char *p = g_build_filename (dir, name, NULL);
    g_remove (p);
  }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (dir);
  g_free (dir);
}

void
ink_test_fill_random (float *v, size_t n, guint32 seed, float lo, float hi)
{
  GRand *r = g_rand_new_with_seed (seed);

  for (size_t i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (r, lo, hi);
  g_rand_free (r);
}

void
ink_test_assert_close (const float *a, const float *b, size_t n, double tol)
{
  for (size_t i = 0; i < n; i++) {
    if (!(fabs ((double) a[i] - (double) b[i]) <= tol))
      g_error ("element %zu differs: %.9g vs %.9g (tolerance %g)", i, a[i], b[i], tol);
  }
}

InkValue *
ink_test_array (size_t rank, const int64_t *shape, const float *data)
{
  InkValue *v = ink_value_new_multiarray (INK_ARRAY_FLOAT32, rank, shape, data);

  g_assert_nonnull (v);
  return v;
}

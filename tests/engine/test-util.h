/* test-util.h: helpers shared by the engine tests
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

#include "ink.h"

/* Fails the test with the engine's message when st is not INK_OK. */
#define ink_assert_ok(st, err)                                                                     \
  G_STMT_START                                                                                     \
  {                                                                                                \
    InkStatus st__ = (st);                                                                         \
    if (st__ != INK_OK)                                                                            \
      g_error ("%s:%d: expected INK_OK, got %s: %s", __FILE__, __LINE__,                           \
               ink_status_to_string (st__), (err)->message);                                       \
  }                                                                                                \
  G_STMT_END

/* Path of a file under ../shared/fixtures, or NULL after g_test_skip() with a
 * clear message when the fixtures folder is absent. Caller frees. */
char *ink_test_fixture_path (const char *relative);

/* A new temporary folder, removed (with its files) by ink_test_tmpdir_free. */
char *ink_test_tmpdir_new (void);
void ink_test_tmpdir_free (char *dir);

/* Deterministic pseudo-random floats in [lo, hi). */
void ink_test_fill_random (float *v, size_t n, guint32 seed, float lo, float hi);

/* Asserts |a[i] - b[i]| <= tol for all i, reporting the first offender. */
void ink_test_assert_close (const float *a, const float *b, size_t n, double tol);

/* A multi-array value of float32 with the given shape and data. */
InkValue *ink_test_array (size_t rank, const int64_t *shape, const float *data);

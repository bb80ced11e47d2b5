/* test-error.c: engine errors as GErrors (inkling-error.c)
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-error.h"

static void
test_error_code_and_message (void)
{
  g_autoptr (GError) error = NULL;
  InkError err;

  ink_error_set (&err, INK_ERR_FORMAT, "bad magic in %s", "model.inkmodel");
  inkling_set_engine_error (&error, &err);

  g_assert_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_FORMAT);
  g_assert_cmpint (error->code, ==, INK_ERR_FORMAT);
  g_assert_cmpstr (error->message, ==, "bad magic in model.inkmodel");
}

static void
test_error_empty_message (void)
{
  g_autoptr (GError) error = NULL;
  InkError err;

  ink_error_clear (&err);
  err.status = INK_ERR_IO;
  inkling_set_engine_error (&error, &err);

  g_assert_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_IO);
  g_assert_cmpstr (error->message, ==, ink_status_to_string (INK_ERR_IO));
}

static void
test_error_status_ok (void)
{
  g_autoptr (GError) error = NULL;
  InkError err;

  /* A failing call that left the record at INK_OK is still an error. */
  ink_error_clear (&err);
  inkling_set_engine_error (&error, &err);

  g_assert_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_INVALID_MODEL);
  g_assert_cmpstr (error->message, !=, "");
}

static void
test_error_null (void)
{
  InkError err;

  ink_error_set (&err, INK_ERR_IO, "ignored");
  inkling_set_engine_error (NULL, &err);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/inkling/error/code-and-message", test_error_code_and_message);
  g_test_add_func ("/inkling/error/empty-message", test_error_empty_message);
  g_test_add_func ("/inkling/error/status-ok", test_error_status_ok);
  g_test_add_func ("/inkling/error/null", test_error_null);

  return g_test_run ();
}

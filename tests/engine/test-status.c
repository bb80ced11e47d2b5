/* test-status.c: status codes and caller-owned error messages
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "test-util.h"

#define FIRST_STATUS INK_OK
#define LAST_STATUS INK_ERR_DATABASE

static void
test_strings_distinct (void)
{
  for (int a = FIRST_STATUS; a <= LAST_STATUS; a++) {
    const char *sa = ink_status_to_string ((InkStatus) a);

    g_assert_nonnull (sa);
    g_assert_cmpuint (strlen (sa), >, 0);
    for (int b = FIRST_STATUS; b < a; b++)
      g_assert_cmpstr (sa, !=, ink_status_to_string ((InkStatus) b));
  }
  g_assert_cmpstr (ink_status_to_string (INK_OK), ==, "success");
  g_assert_cmpstr (ink_status_to_string (INK_ERR_FORMAT), ==, "format error");
}

static void
test_strings_unknown (void)
{
  const char *s = ink_status_to_string ((InkStatus) 9999);

  g_assert_nonnull (s);
  g_assert_cmpuint (strlen (s), >, 0);
  for (int a = FIRST_STATUS; a <= LAST_STATUS; a++)
    g_assert_cmpstr (s, !=, ink_status_to_string ((InkStatus) a));
}

static void
test_error_set (void)
{
  InkError err;

  ink_error_clear (&err);
  g_assert_cmpint (err.status, ==, INK_OK);
  g_assert_cmpstr (err.message, ==, "");
  g_assert_cmpint (ink_error_set (&err, INK_ERR_IO, "cannot open %s (%d)", "a.txt", 42), ==,
                   INK_ERR_IO);
  g_assert_cmpint (err.status, ==, INK_ERR_IO);
  g_assert_cmpstr (err.message, ==, "cannot open a.txt (42)");

  /* A second set replaces the first. */
  ink_error_set (&err, INK_ERR_FORMAT, "bad");
  g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
  g_assert_cmpstr (err.message, ==, "bad");

  ink_error_clear (&err);
  g_assert_cmpint (err.status, ==, INK_OK);
  g_assert_cmpstr (err.message, ==, "");
}

static void
test_error_null (void)
{
  g_assert_cmpint (ink_error_set (NULL, INK_ERR_PARAMETER, "x = %d", 3), ==, INK_ERR_PARAMETER);
  g_assert_cmpint (ink_error_set (NULL, INK_OK, "nothing"), ==, INK_OK);
  ink_error_clear (NULL);
  /* Prefixing nothing must not crash, and is not a success. */
  g_assert_cmpint (ink_error_prefix (NULL, "context"), !=, INK_OK);
}

static InkStatus set_through_v (InkError *err, InkStatus st, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static InkStatus
set_through_v (InkError *err, InkStatus st, const char *format, ...)
{
  va_list args;
  InkStatus r;

  va_start (args, format);
  r = ink_error_setv (err, st, format, args);
  va_end (args);
  return r;
}

static void
test_error_setv (void)
{
  InkError err;

  ink_error_clear (&err);
  g_assert_cmpint (set_through_v (&err, INK_ERR_HTTP, "status %d from %s", 404, "host"), ==,
                   INK_ERR_HTTP);
  g_assert_cmpint (err.status, ==, INK_ERR_HTTP);
  g_assert_cmpstr (err.message, ==, "status 404 from host");
  g_assert_cmpint (set_through_v (NULL, INK_ERR_IO, "%s", "x"), ==, INK_ERR_IO);
}

static void
test_error_prefix (void)
{
  InkError err;

  ink_error_clear (&err);
  ink_error_set (&err, INK_ERR_SHAPE_MISMATCH, "feature 'x' has 3 values");
  g_assert_cmpint (ink_error_prefix (&err, "pipeline stage '%s'", "embed"), ==,
                   INK_ERR_SHAPE_MISMATCH);
  g_assert_cmpint (err.status, ==, INK_ERR_SHAPE_MISMATCH);
  g_assert_cmpstr (err.message, ==, "pipeline stage 'embed': feature 'x' has 3 values");

  /* Prefixes nest, outermost first. */
  ink_error_prefix (&err, "example %d", 7);
  g_assert_cmpstr (err.message, ==, "example 7: pipeline stage 'embed': feature 'x' has 3 values");
  g_assert_cmpint (err.status, ==, INK_ERR_SHAPE_MISMATCH);
}

static void
test_truncate_set (void)
{
  InkError err;
  char *longer = g_strnfill (3 * INK_ERROR_MESSAGE_SIZE, 'a');

  ink_error_set (&err, INK_ERR_FORMAT, "%s", longer);
  g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
  g_assert_cmpuint (strlen (err.message), ==, INK_ERROR_MESSAGE_SIZE - 1);
  g_assert_cmpint (err.message[INK_ERROR_MESSAGE_SIZE - 1], ==, '\0');
  g_assert_true (strspn (err.message, "a") == INK_ERROR_MESSAGE_SIZE - 1);
  g_free (longer);
}

static void
test_truncate_prefix (void)
{
  InkError err;
  char *body = g_strnfill (INK_ERROR_MESSAGE_SIZE - 1, 'b');
  char *context = g_strnfill (2 * INK_ERROR_MESSAGE_SIZE, 'c');

  /* A full message with a short prefix: the prefix survives, the tail goes. */
  ink_error_set (&err, INK_ERR_IO, "%s", body);
  g_assert_cmpint (ink_error_prefix (&err, "ctx"), ==, INK_ERR_IO);
  g_assert_cmpuint (strlen (err.message), ==, INK_ERROR_MESSAGE_SIZE - 1);
  g_assert_true (g_str_has_prefix (err.message, "ctx: bbb"));

  /* A prefix longer than the whole buffer. */
  ink_error_set (&err, INK_ERR_NETWORK, "short");
  g_assert_cmpint (ink_error_prefix (&err, "%s", context), ==, INK_ERR_NETWORK);
  g_assert_cmpuint (strlen (err.message), ==, INK_ERROR_MESSAGE_SIZE - 1);
  g_assert_true (strspn (err.message, "c") == INK_ERROR_MESSAGE_SIZE - 1);
  g_assert_cmpint (err.status, ==, INK_ERR_NETWORK);

  /* Repeated prefixing of a long message stays in bounds. */
  ink_error_set (&err, INK_ERR_IO, "%s", body);
  for (int i = 0; i < 10; i++)
    ink_error_prefix (&err, "level %d", i);
  g_assert_cmpuint (strlen (err.message), ==, INK_ERROR_MESSAGE_SIZE - 1);
  g_assert_true (g_str_has_prefix (err.message, "level 9: level 8: "));
  g_free (body);
  g_free (context);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/status/strings/distinct", test_strings_distinct);
  g_test_add_func ("/engine/status/strings/unknown", test_strings_unknown);
  g_test_add_func ("/engine/status/error/set", test_error_set);
  g_test_add_func ("/engine/status/error/null", test_error_null);
  g_test_add_func ("/engine/status/error/setv", test_error_setv);
  g_test_add_func ("/engine/status/error/prefix", test_error_prefix);
  g_test_add_func ("/engine/status/truncate/set", test_truncate_set);
  g_test_add_func ("/engine/status/truncate/prefix", test_truncate_prefix);
  return g_test_run ();
}

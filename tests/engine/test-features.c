/* test-features.c: feature providers and batch providers
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "test-util.h"

static void
test_set_get (void)
{
  InkFeatures *f = ink_features_new ();
  InkValue *v = ink_value_new_int64 (5);
  char name[] = "count";

  g_assert_nonnull (f);
  g_assert_cmpuint (ink_features_count (f), ==, 0);
  g_assert_null (ink_features_get (f, "count"));
  g_assert_cmpint (ink_features_set (f, name, v), ==, INK_OK);
  /* The name is copied; the value is taken, not copied. */
  name[0] = 'm';
  g_assert_true (ink_features_get (f, "count") == v);
  g_assert_null (ink_features_get (f, "mount"));
  g_assert_cmpuint (ink_features_count (f), ==, 1);
  g_assert_cmpstr (ink_features_name_at (f, 0), ==, "count");
  g_assert_true (ink_features_value_at (f, 0) == v);
  g_assert_null (ink_features_name_at (f, 1));
  g_assert_null (ink_features_value_at (f, 1));
  ink_features_free (f);
}

static void
test_order_and_replace (void)
{
  InkFeatures *f = ink_features_new ();

  g_assert_cmpint (ink_features_set_double (f, "b", 1.5), ==, INK_OK);
  g_assert_cmpint (ink_features_set_int64 (f, "a", -7), ==, INK_OK);
  g_assert_cmpint (ink_features_set_string (f, "c", "hi"), ==, INK_OK);
  g_assert_cmpuint (ink_features_count (f), ==, 3);
  g_assert_cmpstr (ink_features_name_at (f, 0), ==, "b");
  g_assert_cmpstr (ink_features_name_at (f, 1), ==, "a");
  g_assert_cmpstr (ink_features_name_at (f, 2), ==, "c");

  g_assert_cmpint (ink_value_get_type (ink_features_get (f, "b")), ==, INK_VALUE_DOUBLE);
  g_assert_cmpfloat (ink_value_get_double (ink_features_get (f, "b")), ==, 1.5);
  g_assert_cmpint (ink_value_get_type (ink_features_get (f, "a")), ==, INK_VALUE_INT64);
  g_assert_cmpint (ink_value_get_int64 (ink_features_get (f, "a")), ==, -7);
  g_assert_cmpint (ink_value_get_type (ink_features_get (f, "c")), ==, INK_VALUE_STRING);
  g_assert_cmpstr (ink_value_get_string (ink_features_get (f, "c")), ==, "hi");

  /* Replacing keeps the count and the position; the old value is freed. */
  g_assert_cmpint (ink_features_set_string (f, "a", "now a string"), ==, INK_OK);
  g_assert_cmpuint (ink_features_count (f), ==, 3);
  g_assert_cmpstr (ink_features_name_at (f, 1), ==, "a");
  g_assert_cmpstr (ink_value_get_string (ink_features_get (f, "a")), ==, "now a string");
  g_assert_true (ink_features_value_at (f, 1) == ink_features_get (f, "a"));
  /* Names are case-sensitive. */
  g_assert_cmpint (ink_features_set_double (f, "A", 2.0), ==, INK_OK);
  g_assert_cmpuint (ink_features_count (f), ==, 4);
  ink_features_free (f);
}

static void
test_take (void)
{
  InkFeatures *f = ink_features_new ();
  InkValue *v;

  ink_features_set_int64 (f, "x", 1);
  ink_features_set_int64 (f, "y", 2);
  ink_features_set_int64 (f, "z", 3);
  v = ink_features_take (f, "y");
  g_assert_nonnull (v);
  g_assert_cmpint (ink_value_get_int64 (v), ==, 2);
  ink_value_free (v);
  g_assert_cmpuint (ink_features_count (f), ==, 2);
  g_assert_cmpstr (ink_features_name_at (f, 0), ==, "x");
  g_assert_cmpstr (ink_features_name_at (f, 1), ==, "z");
  g_assert_null (ink_features_get (f, "y"));
  g_assert_null (ink_features_take (f, "y"));
  g_assert_null (ink_features_take (f, NULL));

  /* Take the last, then the first, then re-add. */
  v = ink_features_take (f, "z");
  g_assert_cmpint (ink_value_get_int64 (v), ==, 3);
  ink_value_free (v);
  v = ink_features_take (f, "x");
  g_assert_cmpint (ink_value_get_int64 (v), ==, 1);
  ink_value_free (v);
  g_assert_cmpuint (ink_features_count (f), ==, 0);
  ink_features_set_int64 (f, "y", 9);
  g_assert_cmpstr (ink_features_name_at (f, 0), ==, "y");
  g_assert_cmpint (ink_value_get_int64 (ink_features_get (f, "y")), ==, 9);
  ink_features_free (f);
}

static void
test_many (void)
{
  InkFeatures *f = ink_features_new ();

  for (int i = 0; i < 300; i++) {
    char name[16];
    g_snprintf (name, sizeof name, "f%03d", i);
    g_assert_cmpint (ink_features_set_int64 (f, name, i), ==, INK_OK);
  }
  g_assert_cmpuint (ink_features_count (f), ==, 300);
  for (int i = 0; i < 300; i++) {
    char name[16];
    g_snprintf (name, sizeof name, "f%03d", i);
    g_assert_cmpstr (ink_features_name_at (f, (size_t) i), ==, name);
    g_assert_cmpint (ink_value_get_int64 (ink_features_get (f, name)), ==, i);
  }
  ink_features_free (f);
}

static void
test_null_handling (void)
{
  InkFeatures *f = ink_features_new ();

  /* Ownership is taken also on failure (ASan reports a leak otherwise). */
  g_assert_cmpint (ink_features_set (NULL, "a", ink_value_new_int64 (1)), !=, INK_OK);
  g_assert_cmpint (ink_features_set (f, NULL, ink_value_new_string ("leak?")), !=, INK_OK);
  g_assert_cmpint (ink_features_set (f, "a", NULL), !=, INK_OK);
  g_assert_cmpint (ink_features_set_double (NULL, "a", 1.0), !=, INK_OK);
  g_assert_cmpint (ink_features_set_string (f, NULL, "x"), !=, INK_OK);
  g_assert_cmpuint (ink_features_count (f), ==, 0);
  g_assert_null (ink_features_get (f, NULL));

  g_assert_cmpuint (ink_features_count (NULL), ==, 0);
  g_assert_null (ink_features_get (NULL, "a"));
  g_assert_null (ink_features_take (NULL, "a"));
  g_assert_null (ink_features_name_at (NULL, 0));
  g_assert_null (ink_features_value_at (NULL, 0));
  ink_features_free (NULL);
  ink_features_free (f);
}

static void
test_copy_deep (void)
{
  const int64_t shape[] = {3};
  const float data[] = {1, 2, 3};
  InkFeatures *f = ink_features_new ();
  InkFeatures *c;
  InkValue *dict = ink_value_new_dictionary (INK_KEY_STRING);
  const InkValue *arr;
  double x;

  ink_features_set (f, "v", ink_test_array (1, shape, data));
  ink_features_set_string (f, "s", "text");
  ink_value_dictionary_set_string (dict, "k", 0.5);
  ink_features_set (f, "d", dict);
  c = ink_features_copy (f);
  g_assert_nonnull (c);
  g_assert_cmpuint (ink_features_count (c), ==, 3);
  g_assert_cmpstr (ink_features_name_at (c, 0), ==, "v");
  g_assert_cmpstr (ink_features_name_at (c, 1), ==, "s");
  g_assert_cmpstr (ink_features_name_at (c, 2), ==, "d");
  g_assert_true (ink_features_get (c, "v") != ink_features_get (f, "v"));

  /* Change the original's values after copying. */
  ((float *) ink_value_array_data ((InkValue *) ink_features_get (f, "v")))[1] = 42.0f;
  ink_value_dictionary_set_string (dict, "k", 0.9);
  ink_features_set_string (f, "s", "changed");
  ink_features_set_int64 (f, "new", 1);

  arr = ink_features_get (c, "v");
  g_assert_cmpfloat (ink_value_array_get (arr, 0), ==, 1.0);
  g_assert_cmpfloat (ink_value_array_get (arr, 1), ==, 2.0);
  g_assert_cmpfloat (ink_value_array_get (arr, 2), ==, 3.0);
  g_assert_cmpstr (ink_value_get_string (ink_features_get (c, "s")), ==, "text");
  g_assert_true (ink_value_dictionary_lookup_string (ink_features_get (c, "d"), "k", &x));
  g_assert_cmpfloat (x, ==, 0.5);
  g_assert_null (ink_features_get (c, "new"));
  ink_features_free (f);
  g_assert_cmpstr (ink_value_get_string (ink_features_get (c, "s")), ==, "text");
  ink_features_free (c);

  /* An empty provider copies to an empty one. */
  f = ink_features_new ();
  c = ink_features_copy (f);
  g_assert_nonnull (c);
  g_assert_cmpuint (ink_features_count (c), ==, 0);
  ink_features_free (f);
  ink_features_free (c);
}

static void
test_batch (void)
{
  InkBatch *b = ink_batch_new ();
  InkFeatures *items[3];

  g_assert_nonnull (b);
  g_assert_cmpuint (ink_batch_count (b), ==, 0);
  g_assert_null (ink_batch_get (b, 0));
  for (int i = 0; i < 3; i++) {
    items[i] = ink_features_new ();
    ink_features_set_int64 (items[i], "i", i);
    g_assert_cmpint (ink_batch_append (b, items[i]), ==, INK_OK);
  }
  g_assert_cmpuint (ink_batch_count (b), ==, 3);
  for (int i = 0; i < 3; i++) {
    const InkFeatures *f = ink_batch_get (b, (size_t) i);
    g_assert_true (f == items[i]);
    g_assert_cmpint (ink_value_get_int64 (ink_features_get (f, "i")), ==, i);
  }
  g_assert_null (ink_batch_get (b, 3));
  ink_batch_free (b);
}

static void
test_batch_many (void)
{
  InkBatch *b = ink_batch_new ();

  for (int i = 0; i < 200; i++) {
    InkFeatures *f = ink_features_new ();
    ink_features_set_int64 (f, "i", i);
    g_assert_cmpint (ink_batch_append (b, f), ==, INK_OK);
  }
  g_assert_cmpuint (ink_batch_count (b), ==, 200);
  for (int i = 0; i < 200; i++)
    g_assert_cmpint (ink_value_get_int64 (ink_features_get (ink_batch_get (b, (size_t) i), "i")),
                     ==, i);
  ink_batch_free (b);
}

static void
test_batch_null (void)
{
  InkBatch *b = ink_batch_new ();
  InkFeatures *f = ink_features_new ();

  ink_features_set_string (f, "s", "owned");
  /* Ownership is taken also on failure. */
  g_assert_cmpint (ink_batch_append (NULL, f), !=, INK_OK);
  g_assert_cmpint (ink_batch_append (b, NULL), !=, INK_OK);
  g_assert_cmpuint (ink_batch_count (b), ==, 0);
  g_assert_cmpuint (ink_batch_count (NULL), ==, 0);
  g_assert_null (ink_batch_get (NULL, 0));
  ink_batch_free (NULL);
  ink_batch_free (b);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/features/set-get", test_set_get);
  g_test_add_func ("/engine/features/order-and-replace", test_order_and_replace);
  g_test_add_func ("/engine/features/take", test_take);
  g_test_add_func ("/engine/features/many", test_many);
  g_test_add_func ("/engine/features/null", test_null_handling);
  g_test_add_func ("/engine/features/copy-deep", test_copy_deep);
  g_test_add_func ("/engine/features/batch/append-get", test_batch);
  g_test_add_func ("/engine/features/batch/many", test_batch_many);
  g_test_add_func ("/engine/features/batch/null", test_batch_null);
  return g_test_run ();
}

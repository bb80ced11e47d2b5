/* test-state.c: the test state file's JSON (inkling-state.c)
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "inkling-state.h"

static void
test_state_json_values (void)
{
  GVariantDict dict;
  GVariantBuilder list;
  g_autoptr (GVariant) value = NULL;
  g_autofree char *json = NULL;

  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "label", "s", "fish");
  g_variant_dict_insert (&dict, "confidence", "d", 0.5);
  g_variant_builder_add_value (&list, g_variant_dict_end (&dict));

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "b", "b", TRUE);
  g_variant_dict_insert (&dict, "u", "u", 7);
  g_variant_dict_insert (&dict, "x", "x", (gint64) -3);
  g_variant_dict_insert_value (&dict, "guesses", g_variant_builder_end (&list));
  value = g_variant_ref_sink (g_variant_dict_end (&dict));
  json = inkling_state_to_json (value);

  /* A GVariantDict keeps its keys in a hash table: check each part. */
  g_assert_nonnull (strstr (json, "\"b\":true"));
  g_assert_nonnull (strstr (json, "\"u\":7"));
  g_assert_nonnull (strstr (json, "\"x\":-3"));
  g_assert_nonnull (strstr (json, "\"guesses\":[{"));
  g_assert_nonnull (strstr (json, "\"label\":\"fish\""));
  g_assert_nonnull (strstr (json, "\"confidence\":0.5"));
  g_assert_true (json[0] == '{');
  g_assert_true (g_str_has_suffix (json, "}\n"));
}

static void
test_state_json_escapes (void)
{
  g_autoptr (GVariant) value = g_variant_ref_sink (g_variant_new_string ("a\"b\\c\nd 🐟"));
  g_autofree char *json = inkling_state_to_json (value);

  g_assert_cmpstr (json, ==, "\"a\\\"b\\\\c\\u000ad 🐟\"\n");
}

static void
test_state_json_non_finite (void)
{
  g_autoptr (GVariant) value = g_variant_ref_sink (g_variant_new_double (NAN));
  g_autofree char *json = inkling_state_to_json (value);

  /* JSON has no NaN. */
  g_assert_cmpstr (json, ==, "null\n");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/inkling/state/json-values", test_state_json_values);
  g_test_add_func ("/inkling/state/json-escapes", test_state_json_escapes);
  g_test_add_func ("/inkling/state/json-non-finite", test_state_json_non_finite);

  return g_test_run ();
}

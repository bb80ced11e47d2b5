/* inkling-state.c: what the window shows, written as JSON for tests
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "inkling-state.h"

GVariant *
inkling_state_describe_bounds (GtkWidget *widget)
{
  GVariantDict dict;
  GtkNative *native;
  graphene_rect_t bounds;
  double sx = 0, sy = 0;
  gboolean mapped;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);

  g_variant_dict_init (&dict, NULL);
  native = gtk_widget_get_native (widget);
  mapped = gtk_widget_get_mapped (widget) && native != NULL &&
           gtk_widget_compute_bounds (widget, GTK_WIDGET (native), &bounds);
  if (!mapped)
    graphene_rect_init (&bounds, 0, 0, 0, 0);
  else
    gtk_native_get_surface_transform (native, &sx, &sy);

  g_variant_dict_insert (&dict, "mapped", "b", mapped);
  g_variant_dict_insert (&dict, "x", "d", (double) bounds.origin.x + sx);
  g_variant_dict_insert (&dict, "y", "d", (double) bounds.origin.y + sy);
  g_variant_dict_insert (&dict, "width", "d", (double) bounds.size.width);
  g_variant_dict_insert (&dict, "height", "d", (double) bounds.size.height);
  return g_variant_dict_end (&dict);
}

static void
append_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const char *p = s; *p != '\0'; p++) {
    guchar c = (guchar) *p;

    if (c == '"' || c == '\\')
      g_string_append_printf (out, "\\%c", c);
    else if (c < 0x20)
      g_string_append_printf (out, "\\u%04x", c);
    else
      g_string_append_c (out, (char) c);
  }
  g_string_append_c (out, '"');
}

static void
append_value (GString *out, GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT)) {
    g_autoptr (GVariant) inner = g_variant_get_variant (value);

    append_value (out, inner);
  } else if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARDICT)) {
    GVariantIter iter;
    const char *key;
    GVariant *item;
    gboolean first = TRUE;

    g_string_append_c (out, '{');
    g_variant_iter_init (&iter, value);
    while (g_variant_iter_loop (&iter, "{&sv}", &key, &item)) {
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      append_string (out, key);
      g_string_append_c (out, ':');
      append_value (out, item);
    }
    g_string_append_c (out, '}');
  } else if (g_variant_is_container (value)) {
    gsize n = g_variant_n_children (value);

    g_string_append_c (out, '[');
    for (gsize i = 0; i < n; i++) {
      g_autoptr (GVariant) child = g_variant_get_child_value (value, i);

      if (i > 0)
        g_string_append_c (out, ',');
      append_value (out, child);
    }
    g_string_append_c (out, ']');
  } else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN)) {
    g_string_append (out, g_variant_get_boolean (value) ? "true" : "false");
  } else if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE)) {
    double d = g_variant_get_double (value);
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append (out, isfinite (d) ? g_ascii_dtostr (buf, sizeof buf, d) : "null");
  } else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)) {
    append_string (out, g_variant_get_string (value, NULL));
  } else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32)) {
    g_string_append_printf (out, "%d", g_variant_get_int32 (value));
  } else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32)) {
    g_string_append_printf (out, "%u", g_variant_get_uint32 (value));
  } else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64)) {
    g_string_append_printf (out, "%" G_GINT64_FORMAT, g_variant_get_int64 (value));
  } else {
    g_autofree char *text = g_variant_print (value, FALSE);

    append_string (out, text);
  }
}

char *
inkling_state_to_json (GVariant *value)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (value != NULL, NULL);

  append_value (out, value);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

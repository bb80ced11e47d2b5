/* inkling-thumbnail.c: textures of drawings as the models see them
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-thumbnail.h"

GdkTexture *
inkling_thumbnail_from_gray8 (GBytes *gray, int side)
{
  const guint8 *src;
  guint8 *rgb;
  gsize n;
  g_autoptr (GBytes) bytes = NULL;

  g_return_val_if_fail (gray != NULL, NULL);

  src = g_bytes_get_data (gray, &n);
  if (side <= 0 || n != (gsize) side * side)
    return NULL;
  /* GTK 4.8 has no single-channel memory format. */
  rgb = g_malloc (n * 3);
  for (gsize i = 0; i < n; i++)
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = src[i];
  bytes = g_bytes_new_take (rgb, n * 3);
  return gdk_memory_texture_new (side, side, GDK_MEMORY_R8G8B8, bytes, (gsize) side * 3);
}

GdkTexture *
inkling_thumbnail_from_drawing (const InkDrawing *drawing, int side)
{
  g_autoptr (GBytes) gray = NULL;
  guint8 *pixels;
  InkError err;

  g_return_val_if_fail (drawing != NULL, NULL);
  g_return_val_if_fail (side > 0, NULL);

  pixels = g_malloc ((gsize) side * side);
  ink_error_clear (&err);
  if (ink_drawing_render_gray8 (drawing, NULL, side, side, (size_t) side, pixels, &err) != INK_OK) {
    g_warning ("Cannot render a thumbnail: %s", err.message);
    g_free (pixels);
    return NULL;
  }
  gray = g_bytes_new_take (pixels, (gsize) side * side);
  return inkling_thumbnail_from_gray8 (gray, side);
}

GtkWidget *
inkling_thumbnail_new_picture (GdkTexture *texture, int size, const char *label)
{
  GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));

  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_widget_set_size_request (picture, size, size);
  gtk_widget_set_overflow (picture, GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (picture, "thumbnail");
  gtk_accessible_update_property (GTK_ACCESSIBLE (picture), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  return picture;
}

/* inkling-thumbnail.h: textures of drawings as the models see them
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "ink.h"

G_BEGIN_DECLS

/* A texture of side x side gray8 pixels (white ink on black, as the models
 * take them); NULL when gray is not that size. */
GdkTexture *inkling_thumbnail_from_gray8 (GBytes *gray, int side);

/* The drawing rendered by the shared rasterizer with the models' default
 * options at side x side; NULL on failure. */
GdkTexture *inkling_thumbnail_from_drawing (const InkDrawing *drawing, int side);

/* A framed picture of texture, size logical pixels a side, with an
 * accessible label. */
GtkWidget *inkling_thumbnail_new_picture (GdkTexture *texture, int size, const char *label);

G_END_DECLS

/* inkling-example.h: one example drawing of a sticker (an item of
 * InklingStore)
 *
 * An example keeps the strokes as drawn (the JSON of ink-strokes.h, so that
 * it can be rendered again at another size for another model) and the
 * 28x28 gray raster the model was taught with (white ink on black, rows of
 * 28 bytes, as ink_drawing_render_gray8 makes with the default options).
 * Immutable; made only by InklingStore.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The side of an example's raster, in pixels. */
#define INKLING_EXAMPLE_RASTER_SIZE 28

#define INKLING_TYPE_EXAMPLE (inkling_example_get_type ())

G_DECLARE_FINAL_TYPE (InklingExample, inkling_example, INKLING, EXAMPLE, GObject)

/* The row id (> 0). Property "id". */
gint64 inkling_example_get_id (InklingExample *self);
/* The sticker's row id. Property "sticker-id". */
gint64 inkling_example_get_sticker_id (InklingExample *self);
/* The strokes as ink-strokes.h JSON ({"version":1,"strokes":[...]}).
 * Property "strokes". */
const char *inkling_example_get_strokes (InklingExample *self);
/* The 28x28 gray raster (784 bytes, white ink on black). Property
 * "raster". */
GBytes *inkling_example_get_raster (InklingExample *self);
/* Unix seconds (UTC). Property "created". */
gint64 inkling_example_get_created (InklingExample *self);

/* For InklingStore only. */
InklingExample *inkling_example_new (gint64 id, gint64 sticker_id, const char *strokes,
                                     GBytes *raster, gint64 created);

G_END_DECLS

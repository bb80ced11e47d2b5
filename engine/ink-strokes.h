/* ink-strokes.h: drawings as strokes of points, and the one stroke rasterizer
 * shared by the app's canvas and the training tools
 *
 * A drawing is a list of strokes; a stroke is a list of points in canvas
 * coordinates (any unit, y down) with a pen pressure and an optional time.
 * Rendering goes through Cairo with round caps and joins, optional smoothing
 * (quadratic curves through the midpoints of consecutive points), stroke
 * width scaled by pressure, and antialiasing, so that what the canvas shows,
 * what the models are trained on and what they are asked about are the same
 * strokes drawn the same way.
 *
 * Model input polarity: the drawing models (Apple's TinyDrawingEmbedding,
 * whose input is documented as "sketch image with black background and white
 * strokes", and Inkling's own, trained on the Quick, Draw! convention) take
 * white ink (255) on a black background (0). The default render options give
 * exactly that; the canvas picks its own colours.
 *
 * An InkDrawing is not thread-safe: use one from one thread at a time (a
 * const drawing may be rendered from several threads at once).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ink-status.h"
#include "ink-value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The pressure to record when the device reports none (a mouse): the
 * pressure at which a stroke has its nominal width. */
#define INK_PRESSURE_DEFAULT 0.5

/* The most points a drawing may hold (a bound for hostile JSON documents). */
#define INK_DRAWING_MAX_POINTS 1000000

typedef struct {
  double x, y;     /* canvas coordinates, y down */
  double pressure; /* 0..1; INK_PRESSURE_DEFAULT when unknown */
  double time;     /* seconds from any fixed origin; negative when unknown */
} InkPoint;

typedef struct InkDrawing InkDrawing;

/* A new empty drawing, owned by the caller (ink_drawing_free); NULL when out
 * of memory. */
InkDrawing *ink_drawing_new (void);
/* A deep copy (strokes and redo history); NULL when out of memory. */
InkDrawing *ink_drawing_copy (const InkDrawing *drawing);
void ink_drawing_free (InkDrawing *drawing);

/* Removes every stroke and the redo history. */
void ink_drawing_clear (InkDrawing *drawing);

/* Starts a new, empty stroke that ink_drawing_add_point appends to (ending
 * any open one). Adding a stroke forgets the redo history. */
InkStatus ink_drawing_begin_stroke (InkDrawing *drawing, InkError *err);

/* Appends a point to the open stroke, beginning one when none is open.
 * Pressure is clamped to 0..1. Errors: INK_ERR_INVALID_ARGUMENT for a
 * non-finite coordinate or pressure, INK_ERR_NO_MEMORY, and
 * INK_ERR_SHAPE_MISMATCH past INK_DRAWING_MAX_POINTS. */
InkStatus ink_drawing_add_point (InkDrawing *drawing, double x, double y, double pressure,
                                 double time, InkError *err);

/* Ends the open stroke, if any (an open stroke without points is dropped).
 * Harmless when none is open. */
void ink_drawing_end_stroke (InkDrawing *drawing);

/* Appends a whole stroke of n >= 1 points (copied), ending any open one.
 * Errors as ink_drawing_add_point, and INK_ERR_INVALID_ARGUMENT for n == 0. */
InkStatus ink_drawing_add_stroke (InkDrawing *drawing, const InkPoint *points, size_t n,
                                  InkError *err);

/* Removes the last stroke (open or not) onto the redo history; false when
 * the drawing has no stroke. */
bool ink_drawing_undo (InkDrawing *drawing);
/* Puts back the stroke the last undo removed; false when there is none. */
bool ink_drawing_redo (InkDrawing *drawing);
bool ink_drawing_can_redo (const InkDrawing *drawing);

size_t ink_drawing_stroke_count (const InkDrawing *drawing);
/* Points over all strokes. */
size_t ink_drawing_point_count (const InkDrawing *drawing);
/* The points of stroke i (borrowed: valid until the drawing changes), and
 * their number in *n; NULL when i is out of range. */
const InkPoint *ink_drawing_get_stroke (const InkDrawing *drawing, size_t i, size_t *n);

/* The bounding box of all points (stroke centrelines, not ink width);
 * false, with the outputs untouched, for a drawing without points. */
bool ink_drawing_get_bounds (const InkDrawing *drawing, double *x0, double *y0, double *x1,
                             double *y1);

/* Maps every point (x, y) to (xx*x + xy*y + x0, yx*x + yy*y + y0), as a
 * cairo_matrix_t does. Pressure and time are unchanged. */
void ink_drawing_transform (InkDrawing *drawing, double xx, double yx, double xy, double yy,
                            double x0, double y0);

/* How the drawing is placed in the output. */
typedef enum {
  /* The bounding box of the points is scaled, keeping its aspect ratio, to
   * fit inside the output less a margin, and centred (as Quick, Draw! data
   * is prepared): where and how big it was drawn does not matter. The pen
   * width is relative to the output size. For model input. */
  INK_FRAMING_FIT = 0,
  /* Canvas coordinates map to pixels as (x - origin_x) * scale: what the
   * canvas shows. The pen width is in canvas units. */
  INK_FRAMING_CANVAS = 1,
} InkFraming;

typedef struct {
  InkFraming framing;
  /* INK_FRAMING_FIT: the space left on each side between the output's edge
   * and the drawing's bounding box, as a fraction of the output's shorter
   * side (default 0.1). */
  double margin;
  /* INK_FRAMING_FIT: the pen width at INK_PRESSURE_DEFAULT, as a fraction of
   * the output's shorter side (default 0.06: 1.7 pixels at 28x28). */
  double fit_line_width;
  /* INK_FRAMING_CANVAS: the pen width at INK_PRESSURE_DEFAULT, in canvas
   * units (default 8), the canvas-to-pixel scale (default 1, 2 on a HiDPI
   * display) and the canvas point at the output's top-left corner. */
  double canvas_line_width;
  double scale;
  double origin_x, origin_y;
  /* How much pressure changes the width: the width is multiplied by
   * 1 + pressure_gain * (2 * pressure - 1), so 0 ignores pressure and the
   * default, 0.6, gives 0.4x at pressure 0 and 1.6x at pressure 1. */
  double pressure_gain;
  /* No stroke is drawn thinner than this many output pixels (default 1), so
   * that thin strokes survive small outputs. */
  double min_line_width;
  /* Quadratic curves through the midpoints of consecutive points instead of
   * straight segments (default true). */
  bool smooth;
  /* Gray outputs are drawn at this many times the output size, then each
   * block of supersample x supersample pixels is averaged (area averaging,
   * as ink_image_convert shrinks). 1..8; default 4. */
  int supersample;
  /* Gray levels of the background and of full ink (defaults 0 and 255: white
   * on black, what the drawing models expect). */
  uint8_t background;
  uint8_t ink;
} InkRenderOptions;

/* The defaults above: fit framing, white strokes on black. */
InkRenderOptions ink_render_options_default (void);

/* Renders into a caller-owned gray8 buffer of height rows of stride bytes
 * (every pixel is written: the background, then the ink). A drawing without
 * strokes renders as background. NULL options mean the defaults. Errors:
 * INK_ERR_INVALID_ARGUMENT for a bad size (1..16384 a side), stride or
 * option, INK_ERR_NO_MEMORY. */
InkStatus ink_drawing_render_gray8 (const InkDrawing *drawing, const InkRenderOptions *options,
                                    int width, int height, size_t stride, uint8_t *pixels,
                                    InkError *err);

/* The same as a new INK_PIXEL_GRAY8 image value, owned by the caller. */
InkStatus ink_drawing_render_image (const InkDrawing *drawing, const InkRenderOptions *options,
                                    int width, int height, InkValue **out, InkError *err);

/* Composites the strokes over caller-owned pixels in Cairo's ARGB32 layout
 * (premultiplied alpha, native-endian 32-bit words: B, G, R, A bytes on a
 * little-endian machine; stride a multiple of 4), in colour argb
 * (0xAARRGGBB, not premultiplied): for a canvas, which paints its own
 * background first. Options as above; background, ink and supersample are
 * not used (Cairo antialiases directly). Errors as ink_drawing_render_gray8. */
InkStatus ink_drawing_render_argb32 (const InkDrawing *drawing, const InkRenderOptions *options,
                                     uint32_t argb, int width, int height, size_t stride,
                                     uint8_t *pixels, InkError *err);

/* Serializes the strokes (not the redo history) as compact JSON:
 *   {"version":1,"strokes":[{"x":[..],"y":[..],"p":[..],"t":[..]},..]}
 * with x and y rounded to 0.01, pressure to 0.001 and time (seconds, present
 * only when every point of the stroke has one) to 0.001. *out is a
 * NUL-terminated string owned by the caller (free()). */
InkStatus ink_drawing_to_json (const InkDrawing *drawing, char **out, InkError *err);

/* Parses such a document (size bytes; the text need not be NUL-terminated)
 * into a new drawing owned by the caller. "p" may be absent (the default
 * pressure) and so may "t". Errors: INK_ERR_FORMAT for malformed JSON or a
 * document that is not a drawing (mismatched lengths, a non-finite number, a
 * pressure outside 0..1, an empty stroke, too many points), INK_ERR_VERSION
 * for a newer version, INK_ERR_NO_MEMORY. */
InkStatus ink_drawing_from_json (const char *json, size_t size, InkDrawing **out, InkError *err);

#ifdef __cplusplus
}
#endif

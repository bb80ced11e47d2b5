/* inkling-canvas.h: the drawing canvas
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "ink.h"

G_BEGIN_DECLS

#define INKLING_TYPE_CANVAS (inkling_canvas_get_type ())

G_DECLARE_FINAL_TYPE (InklingCanvas, inkling_canvas, INKLING, CANVAS, GtkWidget)

/* The side of the drawing models' input, in pixels. */
#define INKLING_CANVAS_INPUT_SIDE 28

GtkWidget *inkling_canvas_new (void);

/* The pen width at the default pressure, in logical pixels (default 8). */
double inkling_canvas_get_stroke_width (InklingCanvas *self);
void inkling_canvas_set_stroke_width (InklingCanvas *self, double width);

/* Whether there is a stroke to undo, the one being drawn included. */
gboolean inkling_canvas_get_can_undo (InklingCanvas *self);
gboolean inkling_canvas_get_can_redo (InklingCanvas *self);
gboolean inkling_canvas_get_is_empty (InklingCanvas *self);
guint inkling_canvas_get_stroke_count (InklingCanvas *self);
/* Whether a stroke is being drawn (the pen is down). */
gboolean inkling_canvas_get_in_stroke (InklingCanvas *self);
/* A number that changes with every change of the strokes (a point added,
 * undo, redo, clear): what a result computed from them is for. */
guint inkling_canvas_get_revision (InklingCanvas *self);

/* Undo and redo work a whole stroke at a time; clear also forgets the redo
 * history. Undo and clear while a stroke is drawn let go of the pointer:
 * undo drops that stroke, and the rest of the drag draws nothing. Each
 * emits "strokes-changed" (finished TRUE) when it changed something. */
gboolean inkling_canvas_undo (InklingCanvas *self);
gboolean inkling_canvas_redo (InklingCanvas *self);
void inkling_canvas_clear (InklingCanvas *self);

/* The strokes, borrowed: valid until the canvas changes. */
const InkDrawing *inkling_canvas_get_drawing (InklingCanvas *self);

/* A copy of the strokes (including the one being drawn), owned by the
 * caller (ink_drawing_free); NULL when out of memory. */
InkDrawing *inkling_canvas_copy_drawing (InklingCanvas *self);

/* The drawing as the models see it: side x side gray8 pixels, white ink on
 * black, fit framing, rendered by ink_drawing_render_gray8 with the default
 * options as the training tools do. NULL with error on failure. */
GBytes *inkling_canvas_render_input (InklingCanvas *self, int side, GError **error);

G_END_DECLS

/* inkling-canvas.c: the drawing canvas
 *
 * Input: a GtkGestureStylus takes the events of devices with a tool (pens,
 * erasers), reading the coalesced samples of its backlog and the pressure
 * axis; a GtkGestureDrag takes the rest (mouse, touch) at the default
 * pressure. Both feed one path: points are smoothed with an exponential
 * moving average, and those closer than a fraction of a pixel to the last
 * are dropped, then appended to an InkDrawing, which keeps strokes and the
 * per-stroke undo history. The picture is the engine's own rasterizer
 * (ink_drawing_render_argb32) at the display's scale, so what is seen is
 * what the models get, and HiDPI screens stay sharp.
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "inkling-canvas.h"
#include "inkling-error.h"

/* During a stroke, "strokes-changed" is emitted at most this often (ms). */
#define LIVE_INTERVAL_MS 150
/* Weight of a new sample in the moving average (1 = no smoothing). */
#define SMOOTHING 0.5
/* Samples nearer than this to the last point are dropped (logical px). */
#define MIN_DISTANCE 0.75

struct _InklingCanvas {
  GtkWidget parent_instance;

  /* Owned References */
  InkDrawing *drawing;
  cairo_surface_t *surface; /* the strokes as last rendered; NULL when stale */

  /* Borrowed References (the widget owns its controllers) */
  GtkGesture *stylus;
  GtkGesture *drag;

  /* The stroke being drawn: the gesture's start point and the smoothed
   * position of the last sample. */
  gboolean drawing_stroke;
  double start_x, start_y;
  double last_x, last_y;
  double last_pressure;
  gint64 stroke_start_time;

  guint live_id;
  gboolean live_dirty;
  guint revision;

  double stroke_width;
  gboolean can_undo, can_redo, is_empty;
};

G_DEFINE_FINAL_TYPE (InklingCanvas, inkling_canvas, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STROKE_WIDTH,
  PROP_CAN_UNDO,
  PROP_CAN_REDO,
  PROP_IS_EMPTY,
  N_PROPS
};

enum {
  STROKES_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GtkWidget *
inkling_canvas_new (void)
{
  return g_object_new (INKLING_TYPE_CANVAS, NULL);
}

/* Recomputes the state properties and notifies those that changed. */
static void
inkling_canvas_update_state (InklingCanvas *self)
{
  gboolean is_empty = ink_drawing_stroke_count (self->drawing) == 0;
  /* Undo also works while drawing (it drops the stroke being drawn), so
   * lifting the pen changes no action's state: that would restyle the Undo
   * button, and relayout the window, in the frame that shows the guesses. */
  gboolean can_undo = !is_empty;
  gboolean can_redo = ink_drawing_can_redo (self->drawing) && !self->drawing_stroke;
  g_autofree char *description = NULL;

  if (is_empty != self->is_empty) {
    self->is_empty = is_empty;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_EMPTY]);
  }
  if (can_undo != self->can_undo) {
    self->can_undo = can_undo;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_UNDO]);
  }
  if (can_redo != self->can_redo) {
    self->can_redo = can_redo;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_REDO]);
  }

  description = g_strdup_printf (
    g_dngettext (NULL, "%u stroke", "%u strokes", ink_drawing_stroke_count (self->drawing)),
    (guint) ink_drawing_stroke_count (self->drawing));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description, -1);
}

/* A finished change of the strokes: a stroke's end, undo, redo or clear. */
static void
inkling_canvas_finish_change (InklingCanvas *self)
{
  self->revision++;
  inkling_canvas_update_state (self);
  g_clear_handle_id (&self->live_id, g_source_remove);
  self->live_dirty = FALSE;
  g_signal_emit (self, signals[STROKES_CHANGED], 0, TRUE);
}

/* The same, for a change that the picture shows. */
static void
inkling_canvas_changed (InklingCanvas *self)
{
  g_clear_pointer (&self->surface, cairo_surface_destroy);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  inkling_canvas_finish_change (self);
}

static gboolean
inkling_canvas_live_timeout (gpointer user_data)
{
  InklingCanvas *self = user_data;

  if (!self->live_dirty || !self->drawing_stroke) {
    self->live_id = 0;
    return G_SOURCE_REMOVE;
  }
  self->live_dirty = FALSE;
  g_signal_emit (self, signals[STROKES_CHANGED], 0, FALSE);
  return G_SOURCE_CONTINUE;
}

static void
inkling_canvas_add_point (InklingCanvas *self, double x, double y, double pressure, gboolean raw)
{
  InkError err;
  double t = (double) (g_get_monotonic_time () - self->stroke_start_time) / G_USEC_PER_SEC;

  if (!raw) {
    x = self->last_x + SMOOTHING * (x - self->last_x);
    y = self->last_y + SMOOTHING * (y - self->last_y);
    pressure = self->last_pressure + SMOOTHING * (pressure - self->last_pressure);
    if (hypot (x - self->last_x, y - self->last_y) < MIN_DISTANCE)
      return;
  }

  ink_error_clear (&err);
  if (ink_drawing_add_point (self->drawing, x, y, CLAMP (pressure, 0.0, 1.0), t, &err) != INK_OK) {
    g_warning ("Cannot add a point to the drawing: %s", err.message);
    return;
  }
  self->last_x = x;
  self->last_y = y;
  self->last_pressure = pressure;
  self->revision++;

  g_clear_pointer (&self->surface, cairo_surface_destroy);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  self->live_dirty = TRUE;
  if (self->live_id == 0)
    self->live_id = g_timeout_add (LIVE_INTERVAL_MS, inkling_canvas_live_timeout, self);
}

static void
inkling_canvas_begin (InklingCanvas *self, double x, double y, double pressure)
{
  InkError err;

  ink_error_clear (&err);
  if (ink_drawing_begin_stroke (self->drawing, &err) != INK_OK) {
    g_warning ("Cannot begin a stroke: %s", err.message);
    return;
  }
  self->drawing_stroke = TRUE;
  self->stroke_start_time = g_get_monotonic_time ();
  self->start_x = x;
  self->start_y = y;
  inkling_canvas_add_point (self, x, y, pressure, TRUE);
  inkling_canvas_update_state (self);
}

static void
inkling_canvas_end (InklingCanvas *self, double x, double y, double pressure)
{
  if (!self->drawing_stroke)
    return;
  /* The stroke ends where the pen lifted, not where the average lags. */
  if (hypot (x - self->last_x, y - self->last_y) >= MIN_DISTANCE)
    inkling_canvas_add_point (self, x, y, pressure, TRUE);
  ink_drawing_end_stroke (self->drawing);
  self->drawing_stroke = FALSE;
  /* Ending a stroke changes nothing on screen: only a point added above
   * (which repaints) does. */
  inkling_canvas_finish_change (self);
}

/* Lifts the pen without the pointer: the gestures let go of it, and the
 * stroke being drawn ends where it is. */
static void
inkling_canvas_stop_stroke (InklingCanvas *self)
{
  if (!self->drawing_stroke)
    return;
  /* First, so that the gestures' cancel and end handlers do nothing. */
  self->drawing_stroke = FALSE;
  gtk_event_controller_reset (GTK_EVENT_CONTROLLER (self->stylus));
  gtk_event_controller_reset (GTK_EVENT_CONTROLLER (self->drag));
  ink_drawing_end_stroke (self->drawing);
}

/* ---- Stylus ---- */

static double
stylus_pressure (GtkGestureStylus *gesture)
{
  double pressure;

  /* Only a tool with a pressure axis reports one (asking other devices is
   * not meaningful). */
  if (gtk_gesture_stylus_get_device_tool (gesture) != NULL &&
      gtk_gesture_stylus_get_axis (gesture, GDK_AXIS_PRESSURE, &pressure))
    return pressure;
  return INK_PRESSURE_DEFAULT;
}

static void
on_stylus_down (GtkGestureStylus *gesture, double x, double y, InklingCanvas *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  inkling_canvas_begin (self, x, y, stylus_pressure (gesture));
}

static void
on_stylus_motion (GtkGestureStylus *gesture, double x, double y, InklingCanvas *self)
{
  GdkTimeCoord *backlog = NULL;
  guint n = 0;

  if (!self->drawing_stroke)
    return;
  /* Fast strokes arrive coalesced: the backlog has the samples in between. */
  if (gtk_gesture_stylus_get_backlog (gesture, &backlog, &n)) {
    for (guint i = 0; i < n; i++) {
      double pressure = INK_PRESSURE_DEFAULT;

      if (backlog[i].flags & GDK_AXIS_FLAG_PRESSURE)
        pressure = backlog[i].axes[GDK_AXIS_PRESSURE];
      inkling_canvas_add_point (self, backlog[i].axes[GDK_AXIS_X], backlog[i].axes[GDK_AXIS_Y],
                                pressure, FALSE);
    }
    g_free (backlog);
  }
  inkling_canvas_add_point (self, x, y, stylus_pressure (gesture), FALSE);
}

static void
on_stylus_up (GtkGestureStylus *gesture, double x, double y, InklingCanvas *self)
{
  inkling_canvas_end (self, x, y, stylus_pressure (gesture));
}

/* ---- Mouse and touch ---- */

static void
on_drag_begin (GtkGestureDrag *gesture, double x, double y, InklingCanvas *self)
{
  GdkEventSequence *sequence =
    gtk_gesture_single_get_current_sequence (GTK_GESTURE_SINGLE (gesture));
  GdkEvent *event = gtk_gesture_get_last_event (GTK_GESTURE (gesture), sequence);

  /* Pens are the stylus gesture's. */
  if (event != NULL && gdk_event_get_device_tool (event) != NULL) {
    gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
    return;
  }
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  inkling_canvas_begin (self, x, y, INK_PRESSURE_DEFAULT);
}

static void
on_drag_update (GtkGestureDrag *gesture, double dx, double dy, InklingCanvas *self)
{
  GdkEventSequence *sequence;
  GdkEvent *event;
  double x = self->start_x + dx, y = self->start_y + dy;

  if (!self->drawing_stroke)
    return;

  /* GDK merges the motion events of one frame into the last; the ones in
   * between are its history, in surface coordinates (as the event's own
   * position), which differ from ours by a fixed offset. */
  sequence = gtk_gesture_single_get_current_sequence (GTK_GESTURE_SINGLE (gesture));
  event = gtk_gesture_get_last_event (GTK_GESTURE (gesture), sequence);
  if (event != NULL && gdk_event_get_event_type (event) == GDK_MOTION_NOTIFY) {
    double ex, ey;
    guint n = 0;
    GdkTimeCoord *history = gdk_event_get_history (event, &n);

    if (history != NULL && gdk_event_get_position (event, &ex, &ey)) {
      for (guint i = 0; i < n; i++)
        if ((history[i].flags & GDK_AXIS_FLAG_X) && (history[i].flags & GDK_AXIS_FLAG_Y))
          inkling_canvas_add_point (self, history[i].axes[GDK_AXIS_X] + x - ex,
                                    history[i].axes[GDK_AXIS_Y] + y - ey, INK_PRESSURE_DEFAULT,
                                    FALSE);
    }
    g_free (history);
  }
  inkling_canvas_add_point (self, x, y, INK_PRESSURE_DEFAULT, FALSE);
}

static void
on_drag_end (GtkGestureDrag *gesture, double dx, double dy, InklingCanvas *self)
{
  inkling_canvas_end (self, self->start_x + dx, self->start_y + dy, INK_PRESSURE_DEFAULT);
}

static void
on_cancel (GtkGesture *gesture, GdkEventSequence *sequence, InklingCanvas *self)
{
  /* What was drawn so far stays: it is a stroke all the same. */
  inkling_canvas_end (self, self->last_x, self->last_y, self->last_pressure);
}

/* ---- Rendering ---- */

static cairo_surface_t *
inkling_canvas_render (InklingCanvas *self, int width, int height, int scale)
{
  InkRenderOptions options = ink_render_options_default ();
  GtkStyleContext *style = gtk_widget_get_style_context (GTK_WIDGET (self));
  cairo_surface_t *surface =
    cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width * scale, height * scale);
  GdkRGBA color;
  guint32 argb;
  InkError err;

  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS) {
    g_warning ("Cannot draw the strokes: %s",
               cairo_status_to_string (cairo_surface_status (surface)));
    return surface;
  }
  gtk_style_context_get_color (style, &color);
  argb = ((guint32) (color.alpha * 255) << 24) | ((guint32) (color.red * 255) << 16) |
         ((guint32) (color.green * 255) << 8) | (guint32) (color.blue * 255);

  options.framing = INK_FRAMING_CANVAS;
  options.canvas_line_width = self->stroke_width;
  options.scale = scale;

  cairo_surface_flush (surface);
  ink_error_clear (&err);
  if (ink_drawing_render_argb32 (self->drawing, &options, argb, width * scale, height * scale,
                                 (size_t) cairo_image_surface_get_stride (surface),
                                 cairo_image_surface_get_data (surface), &err) != INK_OK)
    g_warning ("Cannot draw the strokes: %s", err.message);
  cairo_surface_mark_dirty (surface);
  cairo_surface_set_device_scale (surface, scale, scale);
  return surface;
}

static void
inkling_canvas_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  InklingCanvas *self = INKLING_CANVAS (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  cairo_t *cr;

  if (width <= 0 || height <= 0 || ink_drawing_stroke_count (self->drawing) == 0)
    return;

  if (self->surface != NULL && (cairo_image_surface_get_width (self->surface) != width * scale ||
                                cairo_image_surface_get_height (self->surface) != height * scale))
    g_clear_pointer (&self->surface, cairo_surface_destroy);
  if (self->surface == NULL)
    self->surface = inkling_canvas_render (self, width, height, scale);

  /* An image surface in a cairo node, not a GdkTexture: GTK 4.8's cairo
   * renderer converts a texture's every pixel through floats each frame it
   * draws it (milliseconds at this size), and paints a surface as it is. */
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_set_source_surface (cr, self->surface, 0, 0);
  cairo_paint (cr);
  cairo_destroy (cr);
}

static void
inkling_canvas_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  InklingCanvas *self = INKLING_CANVAS (widget);

  GTK_WIDGET_CLASS (inkling_canvas_parent_class)->css_changed (widget, change);
  /* The ink takes the text colour, which changes with dark mode. */
  g_clear_pointer (&self->surface, cairo_surface_destroy);
  gtk_widget_queue_draw (widget);
}

/* ---- Public API ---- */

double
inkling_canvas_get_stroke_width (InklingCanvas *self)
{
  g_return_val_if_fail (INKLING_IS_CANVAS (self), 0);

  return self->stroke_width;
}

void
inkling_canvas_set_stroke_width (InklingCanvas *self, double width)
{
  g_return_if_fail (INKLING_IS_CANVAS (self));

  if (width == self->stroke_width)
    return;
  self->stroke_width = width;
  g_clear_pointer (&self->surface, cairo_surface_destroy);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STROKE_WIDTH]);
}

gboolean
inkling_canvas_get_can_undo (InklingCanvas *self)
{
  g_return_val_if_fail (INKLING_IS_CANVAS (self), FALSE);

  return self->can_undo;
}

gboolean
inkling_canvas_get_can_redo (InklingCanvas *self)
{
  g_return_val_if_fail (INKLING_IS_CANVAS (self), FALSE);

  return self->can_redo;
}

gboolean
inkling_canvas_get_is_empty (InklingCanvas *self)
{
  g_return_val_if_fail (INKLING_IS_CANVAS (self), TRUE);

  return self->is_empty;
}

guint
inkling_canvas_get_stroke_count (InklingCanvas *self)
{
  g_return_val_if_fail (INKLING_IS_CANVAS (self), 0);

  return (guint) ink_drawing_stroke_count (self->drawing);
}

gboolean
inkling_canvas_get_in_stroke (InklingCanvas *self)
{
  g_return_val_if_fail (INKLING_IS_CANVAS (self), FALSE);

  return self->drawing_stroke;
}

guint
inkling_canvas_get_revision (InklingCanvas *self)
{
  g_return_val_if_fail (INKLING_IS_CANVAS (self), 0);

  return self->revision;
}

gboolean
inkling_canvas_undo (InklingCanvas *self)
{
  g_return_val_if_fail (INKLING_IS_CANVAS (self), FALSE);

  /* While drawing: the stroke being drawn is the one undone. */
  inkling_canvas_stop_stroke (self);
  if (!ink_drawing_undo (self->drawing))
    return FALSE;
  inkling_canvas_changed (self);
  return TRUE;
}

gboolean
inkling_canvas_redo (InklingCanvas *self)
{
  g_return_val_if_fail (INKLING_IS_CANVAS (self), FALSE);

  if (self->drawing_stroke || !ink_drawing_redo (self->drawing))
    return FALSE;
  inkling_canvas_changed (self);
  return TRUE;
}

void
inkling_canvas_clear (InklingCanvas *self)
{
  g_return_if_fail (INKLING_IS_CANVAS (self));

  inkling_canvas_stop_stroke (self);
  if (ink_drawing_stroke_count (self->drawing) == 0 && !ink_drawing_can_redo (self->drawing))
    return;
  ink_drawing_clear (self->drawing);
  inkling_canvas_changed (self);
}

const InkDrawing *
inkling_canvas_get_drawing (InklingCanvas *self)
{
  g_return_val_if_fail (INKLING_IS_CANVAS (self), NULL);

  return self->drawing;
}

InkDrawing *
inkling_canvas_copy_drawing (InklingCanvas *self)
{
  g_return_val_if_fail (INKLING_IS_CANVAS (self), NULL);

  return ink_drawing_copy (self->drawing);
}

GBytes *
inkling_canvas_render_input (InklingCanvas *self, int side, GError **error)
{
  guint8 *pixels;
  InkError err;

  g_return_val_if_fail (INKLING_IS_CANVAS (self), NULL);
  g_return_val_if_fail (side > 0, NULL);

  pixels = g_malloc ((gsize) side * side);
  ink_error_clear (&err);
  /* NULL options: the defaults, exactly what the training tools use. */
  if (ink_drawing_render_gray8 (self->drawing, NULL, side, side, (size_t) side, pixels, &err) !=
      INK_OK) {
    g_free (pixels);
    inkling_set_engine_error (error, &err);
    return NULL;
  }
  return g_bytes_new_take (pixels, (gsize) side * side);
}

/* ---- GObject ---- */

static void
inkling_canvas_dispose (GObject *object)
{
  InklingCanvas *self = INKLING_CANVAS (object);

  g_clear_handle_id (&self->live_id, g_source_remove);
  g_clear_pointer (&self->surface, cairo_surface_destroy);

  G_OBJECT_CLASS (inkling_canvas_parent_class)->dispose (object);
}

static void
inkling_canvas_finalize (GObject *object)
{
  InklingCanvas *self = INKLING_CANVAS (object);

  g_clear_pointer (&self->drawing, ink_drawing_free);

  G_OBJECT_CLASS (inkling_canvas_parent_class)->finalize (object);
}

static void
inkling_canvas_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  InklingCanvas *self = INKLING_CANVAS (object);

  switch (prop_id) {
  case PROP_STROKE_WIDTH: g_value_set_double (value, self->stroke_width); break;
  case PROP_CAN_UNDO: g_value_set_boolean (value, self->can_undo); break;
  case PROP_CAN_REDO: g_value_set_boolean (value, self->can_redo); break;
  case PROP_IS_EMPTY: g_value_set_boolean (value, self->is_empty); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_canvas_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  InklingCanvas *self = INKLING_CANVAS (object);

  switch (prop_id) {
  case PROP_STROKE_WIDTH: inkling_canvas_set_stroke_width (self, g_value_get_double (value)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_canvas_class_init (InklingCanvasClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inkling_canvas_dispose;
  object_class->finalize = inkling_canvas_finalize;
  object_class->get_property = inkling_canvas_get_property;
  object_class->set_property = inkling_canvas_set_property;

  widget_class->snapshot = inkling_canvas_snapshot;
  widget_class->css_changed = inkling_canvas_css_changed;

  properties[PROP_STROKE_WIDTH] =
    g_param_spec_double ("stroke-width", NULL, NULL, 0.5, 200, 8,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_UNDO] =
    g_param_spec_boolean ("can-undo", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_REDO] =
    g_param_spec_boolean ("can-redo", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_IS_EMPTY] =
    g_param_spec_boolean ("is-empty", NULL, NULL, TRUE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * InklingCanvas::strokes-changed:
   * @canvas: the canvas
   * @finished: TRUE at the end of a stroke and after undo, redo or clear;
   *   FALSE for the throttled updates while a stroke is being drawn
   */
  signals[STROKES_CHANGED] =
    g_signal_new ("strokes-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  gtk_widget_class_set_css_name (widget_class, "inklingcanvas");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
inkling_canvas_init (InklingCanvas *self)
{
  self->drawing = ink_drawing_new ();
  g_assert (self->drawing != NULL);
  self->stroke_width = 8;
  self->is_empty = TRUE;

  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "crosshair");

  self->stylus = gtk_gesture_stylus_new ();
  g_signal_connect (self->stylus, "down", G_CALLBACK (on_stylus_down), self);
  g_signal_connect (self->stylus, "motion", G_CALLBACK (on_stylus_motion), self);
  g_signal_connect (self->stylus, "up", G_CALLBACK (on_stylus_up), self);
  g_signal_connect (self->stylus, "cancel", G_CALLBACK (on_cancel), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (self->stylus));

  self->drag = gtk_gesture_drag_new ();
  g_signal_connect (self->drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (self->drag, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (self->drag, "drag-end", G_CALLBACK (on_drag_end), self);
  g_signal_connect (self->drag, "cancel", G_CALLBACK (on_cancel), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (self->drag));

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  "Drawing canvas", -1);
}

/* inkling-confidence-bar.c: a bar that shows a guess's confidence
 *
 * The trough is the widget's own CSS box (background, border radius,
 * min-height in style.css); the filled part is drawn over it in the CSS
 * colour, as a pill as tall as the bar. A new value only queues a redraw.
 * GtkLevelBar would queue an allocation, and with it a relayout of the
 * whole window, each time the guesses change (see docs/BENCHMARKS.md).
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "inkling-confidence-bar.h"

struct _InklingConfidenceBar {
  GtkWidget parent_instance;

  double value;
};

G_DEFINE_FINAL_TYPE (InklingConfidenceBar, inkling_confidence_bar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_VALUE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
inkling_confidence_bar_new (void)
{
  return g_object_new (INKLING_TYPE_CONFIDENCE_BAR, NULL);
}

double
inkling_confidence_bar_get_value (InklingConfidenceBar *self)
{
  g_return_val_if_fail (INKLING_IS_CONFIDENCE_BAR (self), 0);

  return self->value;
}

void
inkling_confidence_bar_set_value (InklingConfidenceBar *self, double value)
{
  g_return_if_fail (INKLING_IS_CONFIDENCE_BAR (self));

  value = isnan (value) ? 0 : CLAMP (value, 0.0, 1.0);
  if (value == self->value)
    return;
  self->value = value;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, value,
                                  -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALUE]);
}

static void
inkling_confidence_bar_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  InklingConfidenceBar *self = INKLING_CONFIDENCE_BAR (widget);
  float width = gtk_widget_get_width (widget);
  float height = gtk_widget_get_height (widget);
  float filled = roundf (width * (float) self->value);
  GskRoundedRect pill;
  GdkRGBA color;

  if (filled <= 0 || height <= 0)
    return;
  /* At least a circle, so that a small confidence still shows as a dot. */
  filled = MAX (filled, MIN (height, width));
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  gsk_rounded_rect_init_from_rect (&pill, &GRAPHENE_RECT_INIT (0, 0, filled, height), height / 2);
  gtk_snapshot_push_rounded_clip (snapshot, &pill);
  gtk_snapshot_append_color (snapshot, &color, &pill.bounds);
  gtk_snapshot_pop (snapshot);
}

static void
inkling_confidence_bar_get_property (GObject *object, guint prop_id, GValue *value,
                                     GParamSpec *pspec)
{
  InklingConfidenceBar *self = INKLING_CONFIDENCE_BAR (object);

  switch (prop_id) {
  case PROP_VALUE: g_value_set_double (value, self->value); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_confidence_bar_set_property (GObject *object, guint prop_id, const GValue *value,
                                     GParamSpec *pspec)
{
  InklingConfidenceBar *self = INKLING_CONFIDENCE_BAR (object);

  switch (prop_id) {
  case PROP_VALUE: inkling_confidence_bar_set_value (self, g_value_get_double (value)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_confidence_bar_class_init (InklingConfidenceBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = inkling_confidence_bar_get_property;
  object_class->set_property = inkling_confidence_bar_set_property;

  widget_class->snapshot = inkling_confidence_bar_snapshot;

  properties[PROP_VALUE] =
    g_param_spec_double ("value", NULL, NULL, 0, 1, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "inklingconfidencebar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_METER);
}

static void
inkling_confidence_bar_init (InklingConfidenceBar *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, 0.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, 1.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, 0.0, -1);
}

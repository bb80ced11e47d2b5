/* inkling-loss-chart.c: a live chart of the training loss
 *
 * The loss of each mini-batch as a line over the epochs, drawn with Cairo
 * (through the snapshot, so it stays sharp at any scale) in the theme's
 * accent and text colours. The y axis starts at 0 and ends at the largest
 * loss seen.
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "inkling-loss-chart.h"

#define PAD_LEFT 44.0
#define PAD_RIGHT 12.0
#define PAD_TOP 12.0
#define PAD_BOTTOM 24.0

typedef struct {
  double progress;
  double loss;
} Point;

struct _InklingLossChart {
  GtkWidget parent_instance;

  /* Owned References */
  GArray *points; /* of Point */

  guint epochs;
  double max_loss;
};

G_DEFINE_FINAL_TYPE (InklingLossChart, inkling_loss_chart, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_N_POINTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
inkling_loss_chart_new (void)
{
  return g_object_new (INKLING_TYPE_LOSS_CHART, NULL);
}

static void
inkling_loss_chart_update_description (InklingLossChart *self)
{
  g_autofree char *text = NULL;

  if (self->points->len == 0)
    text = g_strdup ("No training yet");
  else
    text = g_strdup_printf ("%u points; last loss %.4f", self->points->len,
                            g_array_index (self->points, Point, self->points->len - 1).loss);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                  -1);
}

void
inkling_loss_chart_reset (InklingLossChart *self, guint epochs)
{
  g_return_if_fail (INKLING_IS_LOSS_CHART (self));

  g_array_set_size (self->points, 0);
  self->epochs = MAX (epochs, 1);
  self->max_loss = 0;
  inkling_loss_chart_update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_POINTS]);
}

void
inkling_loss_chart_add_point (InklingLossChart *self, double progress, double loss)
{
  Point p = {progress, loss};

  g_return_if_fail (INKLING_IS_LOSS_CHART (self));

  if (!isfinite (progress) || !isfinite (loss))
    return;
  /* An epoch's end is reported where its last mini-batch was: the line
   * only goes forward. */
  if (self->points->len > 0 &&
      progress <= g_array_index (self->points, Point, self->points->len - 1).progress)
    return;
  g_array_append_val (self->points, p);
  self->max_loss = MAX (self->max_loss, loss);
  inkling_loss_chart_update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_POINTS]);
}

guint
inkling_loss_chart_get_n_points (InklingLossChart *self)
{
  g_return_val_if_fail (INKLING_IS_LOSS_CHART (self), 0);

  return self->points->len;
}

static void
draw_text (GtkWidget *widget, cairo_t *cr, const char *text, double x, double y, double align)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - align * w, y - h / 2.0);
  pango_cairo_show_layout (cr, layout);
}

static void
inkling_loss_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  InklingLossChart *self = INKLING_LOSS_CHART (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double plot_w = width - PAD_LEFT - PAD_RIGHT;
  double plot_h = height - PAD_TOP - PAD_BOTTOM;
  double top = self->max_loss > 0 ? self->max_loss * 1.1 : 1.0;
  GtkStyleContext *style = gtk_widget_get_style_context (widget);
  GdkRGBA fg, accent;
  g_autofree char *top_text = NULL;
  g_autofree char *epochs_text = NULL;
  cairo_t *cr;

  if (plot_w <= 0 || plot_h <= 0)
    return;

  gtk_style_context_get_color (style, &fg);
  if (!gtk_style_context_lookup_color (style, "accent_color", &accent))
    accent = fg;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* Axes and labels, in a faint text colour. */
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha * 0.35);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, PAD_LEFT + 0.5, PAD_TOP);
  cairo_line_to (cr, PAD_LEFT + 0.5, PAD_TOP + plot_h + 0.5);
  cairo_line_to (cr, PAD_LEFT + plot_w, PAD_TOP + plot_h + 0.5);
  cairo_stroke (cr);

  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha * 0.7);
  top_text = g_strdup_printf ("%.2f", top);
  draw_text (widget, cr, top_text, PAD_LEFT - 6, PAD_TOP, 1.0);
  draw_text (widget, cr, "0", PAD_LEFT - 6, PAD_TOP + plot_h, 1.0);
  epochs_text = g_strdup_printf ("%u epochs", self->epochs);
  draw_text (widget, cr, epochs_text, PAD_LEFT + plot_w, height - PAD_BOTTOM / 2, 1.0);

  /* The loss line. */
  if (self->points->len > 0) {
    cairo_set_source_rgba (cr, accent.red, accent.green, accent.blue, accent.alpha);
    cairo_set_line_width (cr, 2);
    cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
    for (guint i = 0; i < self->points->len; i++) {
      const Point *p = &g_array_index (self->points, Point, i);
      double x = PAD_LEFT + plot_w * CLAMP (p->progress / self->epochs, 0.0, 1.0);
      double y = PAD_TOP + plot_h * (1.0 - CLAMP (p->loss / top, 0.0, 1.0));

      if (i == 0)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
    }
    if (self->points->len == 1)
      cairo_rel_line_to (cr, 1, 0);
    cairo_stroke (cr);
  }

  cairo_destroy (cr);
}

static void
inkling_loss_chart_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                            int *minimum, int *natural, int *minimum_baseline,
                            int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 160 : 100;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 360 : 160;
}

static void
inkling_loss_chart_finalize (GObject *object)
{
  InklingLossChart *self = INKLING_LOSS_CHART (object);

  g_clear_pointer (&self->points, g_array_unref);

  G_OBJECT_CLASS (inkling_loss_chart_parent_class)->finalize (object);
}

static void
inkling_loss_chart_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  InklingLossChart *self = INKLING_LOSS_CHART (object);

  switch (prop_id) {
  case PROP_N_POINTS: g_value_set_uint (value, self->points->len); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_loss_chart_class_init (InklingLossChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = inkling_loss_chart_finalize;
  object_class->get_property = inkling_loss_chart_get_property;

  widget_class->snapshot = inkling_loss_chart_snapshot;
  widget_class->measure = inkling_loss_chart_measure;

  properties[PROP_N_POINTS] = g_param_spec_uint ("n-points", NULL, NULL, 0, G_MAXUINT, 0,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "inklinglosschart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
inkling_loss_chart_init (InklingLossChart *self)
{
  self->points = g_array_new (FALSE, FALSE, sizeof (Point));
  self->epochs = 1;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  "Loss chart", -1);
  inkling_loss_chart_update_description (self);
}

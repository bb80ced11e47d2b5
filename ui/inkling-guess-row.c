/* inkling-guess-row.c: one of the Draw page's guesses
 *
 * The texts are GtkInscriptions and the bar an InklingConfidenceBar: both
 * take their size from the font and the style, never from what they show.
 * New guesses arrive several times a second while drawing, and after every
 * stroke; a GtkLabel or GtkLevelBar would make each of them relayout the
 * whole window, which under X11 costs several round trips to the server in
 * the very frame that shows the guesses (docs/BENCHMARKS.md).
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-guess-row.h"

#include "inkling-confidence-bar.h"

struct _InklingGuessRow {
  GtkBox parent_instance;

  /* Template Widgets */
  GtkInscription *emoji;
  GtkInscription *name;
  GtkInscription *percent;
  InklingConfidenceBar *bar;
};

G_DEFINE_FINAL_TYPE (InklingGuessRow, inkling_guess_row, GTK_TYPE_BOX)

GtkWidget *
inkling_guess_row_new (void)
{
  return g_object_new (INKLING_TYPE_GUESS_ROW, NULL);
}

void
inkling_guess_row_set_guess (InklingGuessRow *self, guint rank, const InklingGuess *guess)
{
  double probability;
  g_autofree char *percent = NULL;
  g_autofree char *accessible = NULL;

  g_return_if_fail (INKLING_IS_GUESS_ROW (self));
  g_return_if_fail (guess != NULL);

  probability = CLAMP (guess->probability, 0.0, 1.0);
  percent = g_strdup_printf ("%.0f%%", probability * 100);
  accessible =
    g_strdup_printf ("Guess %u: %s, %.0f percent", rank, guess->label, probability * 100);
  gtk_inscription_set_text (self->emoji, guess->emoji != NULL ? guess->emoji : "");
  gtk_inscription_set_text (self->name, guess->label);
  gtk_inscription_set_text (self->percent, percent);
  inkling_confidence_bar_set_value (self->bar, probability);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
}

GVariant *
inkling_guess_row_describe (InklingGuessRow *self)
{
  GVariantDict dict;
  const char *text;

  g_return_val_if_fail (INKLING_IS_GUESS_ROW (self), NULL);

  g_variant_dict_init (&dict, NULL);
  text = gtk_inscription_get_text (self->name);
  g_variant_dict_insert (&dict, "label", "s", text != NULL ? text : "");
  text = gtk_inscription_get_text (self->emoji);
  g_variant_dict_insert (&dict, "emoji", "s", text != NULL ? text : "");
  text = gtk_inscription_get_text (self->percent);
  g_variant_dict_insert (&dict, "percent", "s", text != NULL ? text : "");
  g_variant_dict_insert (&dict, "confidence", "d", inkling_confidence_bar_get_value (self->bar));
  return g_variant_dict_end (&dict);
}

static void
inkling_guess_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), INKLING_TYPE_GUESS_ROW);

  G_OBJECT_CLASS (inkling_guess_row_parent_class)->dispose (object);
}

static void
inkling_guess_row_class_init (InklingGuessRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inkling_guess_row_dispose;

  g_type_ensure (INKLING_TYPE_CONFIDENCE_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/inkling/Inkling/inkling-guess-row.ui");
  gtk_widget_class_bind_template_child (widget_class, InklingGuessRow, emoji);
  gtk_widget_class_bind_template_child (widget_class, InklingGuessRow, name);
  gtk_widget_class_bind_template_child (widget_class, InklingGuessRow, percent);
  gtk_widget_class_bind_template_child (widget_class, InklingGuessRow, bar);
}

static void
inkling_guess_row_init (InklingGuessRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

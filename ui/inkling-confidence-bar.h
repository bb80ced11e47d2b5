/* inkling-confidence-bar.h: a bar that shows a guess's confidence
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define INKLING_TYPE_CONFIDENCE_BAR (inkling_confidence_bar_get_type ())

G_DECLARE_FINAL_TYPE (InklingConfidenceBar, inkling_confidence_bar, INKLING, CONFIDENCE_BAR,
                      GtkWidget)

GtkWidget *inkling_confidence_bar_new (void);

/* The confidence, 0 to 1 (clamped; NaN counts as 0). Changing it only
 * repaints the bar: its size never depends on the value. */
double inkling_confidence_bar_get_value (InklingConfidenceBar *self);
void inkling_confidence_bar_set_value (InklingConfidenceBar *self, double value);

G_END_DECLS

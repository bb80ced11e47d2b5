/* inkling-loss-chart.h: a live chart of the training loss
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define INKLING_TYPE_LOSS_CHART (inkling_loss_chart_get_type ())

G_DECLARE_FINAL_TYPE (InklingLossChart, inkling_loss_chart, INKLING, LOSS_CHART, GtkWidget)

GtkWidget *inkling_loss_chart_new (void);

/* Forgets every point; epochs is the x range to show (>= 1). */
void inkling_loss_chart_reset (InklingLossChart *self, guint epochs);

/* Adds a point: progress in epochs (0..epochs, fractional for mini-batches)
 * and the loss there. Non-finite losses are ignored. */
void inkling_loss_chart_add_point (InklingLossChart *self, double progress, double loss);

guint inkling_loss_chart_get_n_points (InklingLossChart *self);

G_END_DECLS

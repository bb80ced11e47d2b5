/* inkling-guess-row.h: one of the Draw page's guesses (emoji, label,
 * percent and a confidence bar)
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "inkling-guess.h"

G_BEGIN_DECLS

#define INKLING_TYPE_GUESS_ROW (inkling_guess_row_get_type ())

G_DECLARE_FINAL_TYPE (InklingGuessRow, inkling_guess_row, INKLING, GUESS_ROW, GtkBox)

GtkWidget *inkling_guess_row_new (void);

/* Shows guess, the rank-th (from 1) best. The row's size does not depend on
 * the guess, so a new one only repaints the row. */
void inkling_guess_row_set_guess (InklingGuessRow *self, guint rank, const InklingGuess *guess);

/* The guess as the row shows it: an a{sv} with "label", "emoji", "percent"
 * (strings) and "confidence" (the bar's value, a double). */
GVariant *inkling_guess_row_describe (InklingGuessRow *self);

G_END_DECLS

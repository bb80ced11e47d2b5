/* inkling-guess.h: one guess of a classifier (a boxed type)
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct {
  char *label;        /* the class label, e.g. "sun" */
  char *emoji;        /* its emoji (UTF-8), or NULL when none is known */
  double probability; /* 0..1 */
} InklingGuess;

#define INKLING_TYPE_GUESS (inkling_guess_get_type ())

GType inkling_guess_get_type (void) G_GNUC_CONST;
/* Copies label and emoji (emoji may be NULL). */
InklingGuess *inkling_guess_new (const char *label, const char *emoji, double probability);
InklingGuess *inkling_guess_copy (const InklingGuess *guess);
void inkling_guess_free (InklingGuess *guess);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InklingGuess, inkling_guess_free)

G_END_DECLS

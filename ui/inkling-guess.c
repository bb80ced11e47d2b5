/* inkling-guess.c: one guess of a classifier
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-guess.h"

G_DEFINE_BOXED_TYPE (InklingGuess, inkling_guess, inkling_guess_copy, inkling_guess_free)

InklingGuess *
inkling_guess_new (const char *label, const char *emoji, double probability)
{
  InklingGuess *guess = g_new0 (InklingGuess, 1);

  guess->label = g_strdup (label != NULL ? label : "");
  guess->emoji = g_strdup (emoji);
  guess->probability = probability;
  return guess;
}

InklingGuess *
inkling_guess_copy (const InklingGuess *guess)
{
  g_return_val_if_fail (guess != NULL, NULL);

  return inkling_guess_new (guess->label, guess->emoji, guess->probability);
}

void
inkling_guess_free (InklingGuess *guess)
{
  if (guess == NULL)
    return;
  g_free (guess->label);
  g_free (guess->emoji);
  g_free (guess);
}

/* inkling-window.h: the main window
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

#include "ink.h"
#include "inkling-application.h"

G_BEGIN_DECLS

#define INKLING_TYPE_WINDOW (inkling_window_get_type ())

G_DECLARE_FINAL_TYPE (InklingWindow, inkling_window, INKLING, WINDOW, AdwApplicationWindow)

/* A window on the application's model manager: its pages when a drawing
 * model runs (the title is then "Inkling — <model name>"), else a page
 * saying why none could be loaded (the title is "Inkling"). */
InklingWindow *inkling_window_new (InklingApplication *application);

/* Shows text in a toast. */
void inkling_window_add_toast (InklingWindow *self, const char *text);

G_END_DECLS

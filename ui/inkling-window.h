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

InklingWindow *inkling_window_new (InklingApplication *application);

/* Shows what model is running: its name (also in the window title, as
 * "Inkling — <name>"), version, author, kind, inputs and outputs. The model
 * is borrowed for the duration of the call only. */
void inkling_window_show_model (InklingWindow *self, const InkModel *model);

/* Shows why the model at path could not be loaded. */
void inkling_window_show_model_error (InklingWindow *self, const char *path, const GError *error);

G_END_DECLS

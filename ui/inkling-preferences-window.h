/* inkling-preferences-window.h: the settings pane (app.preferences):
 * over-the-air model updates
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

#include "inkling-model-manager.h"
#include "inkling-updater.h"

G_BEGIN_DECLS

#define INKLING_TYPE_PREFERENCES_WINDOW (inkling_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (InklingPreferencesWindow, inkling_preferences_window, INKLING,
                      PREFERENCES_WINDOW, AdwPreferencesWindow)

/* A pane over manager and updater (borrowed; they must outlive it). Its
 * server settings are bound to settings (NULL when the app's schema is not
 * installed: they are then insensitive). Its buttons activate the
 * application's actions (app.remote-check, app.remote-install,
 * app.remote-rollback, app.remote-reset, app.remote-copy-log,
 * app.remote-cancel): the caller
 * makes them reachable (gtk_window_set_application or an "app" action
 * group). */
InklingPreferencesWindow *inkling_preferences_window_new (InklingModelManager *manager,
                                                          InklingUpdater *updater,
                                                          GSettings *settings);

/* What it shows, for the test state file (a{sv}): the settings as the
 * widgets hold them, the status rows' text, the versions listed with their
 * buttons, the log lines, the download's progress, and where the server
 * entry and the Check Now and Cancel buttons are on the window's surface. */
GVariant *inkling_preferences_window_describe (InklingPreferencesWindow *self);

G_END_DECLS

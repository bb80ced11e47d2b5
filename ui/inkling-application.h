/* inkling-application.h: the Inkling application
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

#include "ink.h"
#include "inkling-model-manager.h"
#include "inkling-preferences-window.h"
#include "inkling-updater.h"

G_BEGIN_DECLS

#define INKLING_TYPE_APPLICATION (inkling_application_get_type ())

G_DECLARE_FINAL_TYPE (InklingApplication, inkling_application, INKLING, APPLICATION, AdwApplication)

InklingApplication *inkling_application_new (void);

/* The path the bundled model is loaded from: $INKLING_BUNDLED_MODEL when
 * set and not empty (running from the build tree), else the installed one. */
const char *inkling_application_get_bundled_model_path (InklingApplication *self);

/* The live drawing model, borrowed (see InklingModelManager); NULL before
 * startup or when none could be loaded, in which case get_model_error says
 * why. */
const InkModel *inkling_application_get_model (InklingApplication *self);
/* The model manager, borrowed; NULL before startup. */
InklingModelManager *inkling_application_get_manager (InklingApplication *self);
const GError *inkling_application_get_model_error (InklingApplication *self);
/* The remote model updater, borrowed; NULL before startup or when no
 * drawing model could be loaded. */
InklingUpdater *inkling_application_get_updater (InklingApplication *self);
/* The settings pane while it is open (app.preferences), borrowed; else NULL. */
InklingPreferencesWindow *inkling_application_get_preferences (InklingApplication *self);

G_END_DECLS

/* inkling-application.h: the Inkling application
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

#include "ink.h"

G_BEGIN_DECLS

#define INKLING_TYPE_APPLICATION (inkling_application_get_type ())

G_DECLARE_FINAL_TYPE (InklingApplication, inkling_application, INKLING, APPLICATION, AdwApplication)

InklingApplication *inkling_application_new (void);

/* The path the bundled model is loaded from: $INKLING_BUNDLED_MODEL when
 * set and not empty (running from the build tree), else the installed one. */
const char *inkling_application_get_bundled_model_path (InklingApplication *self);

/* The model loaded at startup, borrowed; NULL before startup or when it
 * failed to load, in which case get_model_error says why. */
const InkModel *inkling_application_get_model (InklingApplication *self);
const GError *inkling_application_get_model_error (InklingApplication *self);

G_END_DECLS

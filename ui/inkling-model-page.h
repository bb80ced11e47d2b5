/* inkling-model-page.h: the Model page
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

#include "inkling-model-manager.h"

G_BEGIN_DECLS

#define INKLING_TYPE_MODEL_PAGE (inkling_model_page_get_type ())

G_DECLARE_FINAL_TYPE (InklingModelPage, inkling_model_page, INKLING, MODEL_PAGE, AdwBin)

/* The manager is borrowed for the page's lifetime. */
void inkling_model_page_set_manager (InklingModelPage *self, InklingModelManager *manager);

/* What it shows, for the test state file (a{sv}). */
GVariant *inkling_model_page_describe (InklingModelPage *self);

G_END_DECLS

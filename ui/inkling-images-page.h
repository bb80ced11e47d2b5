/* inkling-images-page.h: the Images page
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

#include "inkling-model-manager.h"

G_BEGIN_DECLS

#define INKLING_TYPE_IMAGES_PAGE (inkling_images_page_get_type ())

G_DECLARE_FINAL_TYPE (InklingImagesPage, inkling_images_page, INKLING, IMAGES_PAGE, AdwBin)

/* The manager is borrowed for the page's lifetime. */
void inkling_images_page_set_manager (InklingImagesPage *self, InklingModelManager *manager);

/* Reads the files (without blocking), adds them to the store, then
 * classifies every image. */
void inkling_images_page_import_files (InklingImagesPage *self, GSList *files);
/* Imports the bundled demo images (a folder of PNG files). */
gboolean inkling_images_page_import_demo (InklingImagesPage *self, GError **error);
/* Imports the clipboard's files or image. */
void inkling_images_page_paste (InklingImagesPage *self);

/* Sets the user's label of an image ("" removes it). */
gboolean inkling_images_page_relabel (InklingImagesPage *self, gint64 id, const char *label,
                                      GError **error);

/* Trains with the epochs and learning rate shown; cancel stops it. */
gboolean inkling_images_page_train (InklingImagesPage *self, GError **error);
void inkling_images_page_cancel_training (InklingImagesPage *self);
gboolean inkling_images_page_get_training (InklingImagesPage *self);

/* What it shows, for the test state file (a{sv}). */
GVariant *inkling_images_page_describe (InklingImagesPage *self);

G_END_DECLS

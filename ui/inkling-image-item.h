/* inkling-image-item.h: an image the user imported (an item of InklingStore)
 *
 * The file's bytes are copied into the database (the original may move or
 * vanish). The predicted label is what the image classifier last said; the
 * user label is what the user set (NULL until then), and is what training
 * learns from. Made and changed only by InklingStore, on the main thread.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define INKLING_TYPE_IMAGE_ITEM (inkling_image_item_get_type ())

G_DECLARE_FINAL_TYPE (InklingImageItem, inkling_image_item, INKLING, IMAGE_ITEM, GObject)

/* The row id (> 0). Property "id". */
gint64 inkling_image_item_get_id (InklingImageItem *self);
/* The imported file's name (basename, for display). Property "name". */
const char *inkling_image_item_get_name (InklingImageItem *self);
/* The file's bytes (PNG or JPEG). Property "data". */
GBytes *inkling_image_item_get_data (InklingImageItem *self);
/* The last prediction, or NULL. Properties "predicted-label" and
 * "confidence" (0..1; 0 when none). */
const char *inkling_image_item_get_predicted_label (InklingImageItem *self);
double inkling_image_item_get_confidence (InklingImageItem *self);
/* The user's label, or NULL. Property "user-label". */
const char *inkling_image_item_get_user_label (InklingImageItem *self);
/* The user label when set, else the predicted label (may be NULL).
 * Property "label" (notified with either). */
const char *inkling_image_item_get_label (InklingImageItem *self);
/* Unix seconds (UTC). Property "created". */
gint64 inkling_image_item_get_created (InklingImageItem *self);

/* For InklingStore only. */
InklingImageItem *inkling_image_item_new (gint64 id, const char *name, GBytes *data,
                                          const char *predicted_label, double confidence,
                                          const char *user_label, gint64 created);
void inkling_image_item_set_predicted (InklingImageItem *self, const char *label,
                                       double confidence);
void inkling_image_item_set_user_label (InklingImageItem *self, const char *label);

G_END_DECLS

/* inkling-sticker.h: one of the user's stickers (an item of InklingStore)
 *
 * A sticker is a label (the class label the drawing classifier answers,
 * e.g. "cat") with the emoji shown for it, and the example drawings the
 * user taught it with. Items are made and changed only by InklingStore, on
 * the main thread; the UI reads them and binds to their properties.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define INKLING_TYPE_STICKER (inkling_sticker_get_type ())

G_DECLARE_FINAL_TYPE (InklingSticker, inkling_sticker, INKLING, STICKER, GObject)

/* The row id in the database (> 0). Property "id". */
gint64 inkling_sticker_get_id (InklingSticker *self);
/* The emoji (UTF-8, e.g. "🐱"); never NULL, may be "". Property "emoji". */
const char *inkling_sticker_get_emoji (InklingSticker *self);
/* The label (the class label in the model); never NULL. Property "label". */
const char *inkling_sticker_get_label (InklingSticker *self);
/* Unix seconds (UTC) when it was made. Property "created". */
gint64 inkling_sticker_get_created (InklingSticker *self);
/* The sticker's examples (InklingExample), oldest first; owned by the
 * sticker and kept up to date by the store. */
GListModel *inkling_sticker_get_examples (InklingSticker *self);
/* The number of examples. Property "n-examples" (notified on changes). */
guint inkling_sticker_get_n_examples (InklingSticker *self);

/* For InklingStore only. */
InklingSticker *inkling_sticker_new (gint64 id, const char *emoji, const char *label,
                                     gint64 created);
void inkling_sticker_set_emoji (InklingSticker *self, const char *emoji);
GListStore *inkling_sticker_get_example_store (InklingSticker *self);

G_END_DECLS

/* inkling-stickers-page.h: the Stickers page
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

#include "inkling-model-manager.h"
#include "inkling-sticker-editor.h"

G_BEGIN_DECLS

#define INKLING_TYPE_STICKERS_PAGE (inkling_stickers_page_get_type ())

G_DECLARE_FINAL_TYPE (InklingStickersPage, inkling_stickers_page, INKLING, STICKERS_PAGE, AdwBin)

/* The manager is borrowed for the page's lifetime. */
void inkling_stickers_page_set_manager (InklingStickersPage *self, InklingModelManager *manager);

InklingStickerEditor *inkling_stickers_page_get_editor (InklingStickersPage *self);

/* Shows the New sticker flow from its first step, or the list again. */
void inkling_stickers_page_show_editor (InklingStickersPage *self);
void inkling_stickers_page_show_list (InklingStickersPage *self);
gboolean inkling_stickers_page_get_editing (InklingStickersPage *self);

/* What it shows, for the test state file (a{sv}). */
GVariant *inkling_stickers_page_describe (InklingStickersPage *self);

G_END_DECLS

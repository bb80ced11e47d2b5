/* inkling-sticker-editor.h: New sticker: emoji and label, three drawings,
 * then personalization with progress
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

#include "inkling-canvas.h"
#include "inkling-model-manager.h"

G_BEGIN_DECLS

#define INKLING_TYPE_STICKER_EDITOR (inkling_sticker_editor_get_type ())

G_DECLARE_FINAL_TYPE (InklingStickerEditor, inkling_sticker_editor, INKLING, STICKER_EDITOR, AdwBin)

/* How many drawings a new sticker starts with. */
#define INKLING_STICKER_EDITOR_N_DRAWINGS 3

/* The manager is borrowed for the editor's lifetime. */
void inkling_sticker_editor_set_manager (InklingStickerEditor *self, InklingModelManager *manager);

/* Back to the first step, with no emoji, label or drawing. */
void inkling_sticker_editor_start (InklingStickerEditor *self);

/* The new sticker's emoji (shown on its button). */
void inkling_sticker_editor_set_emoji (InklingStickerEditor *self, const char *emoji);

/* From the name step to the drawings; FALSE with error without a name. */
gboolean inkling_sticker_editor_next (InklingStickerEditor *self, GError **error);

/* Takes the drawing on the canvas; the third starts the personalization.
 * FALSE with error when the canvas is empty or not in the drawing step. */
gboolean inkling_sticker_editor_add_drawing (InklingStickerEditor *self, GError **error);

InklingCanvas *inkling_sticker_editor_get_canvas (InklingStickerEditor *self);

/* "name", "draw" or "personalize". */
const char *inkling_sticker_editor_get_step (InklingStickerEditor *self);

/* What it shows, for the test state file (a{sv}). */
GVariant *inkling_sticker_editor_describe (InklingStickerEditor *self);

G_END_DECLS

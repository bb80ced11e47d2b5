/* inkling-draw-page.h: the Draw page
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

#include "inkling-canvas.h"
#include "inkling-model-manager.h"

G_BEGIN_DECLS

#define INKLING_TYPE_DRAW_PAGE (inkling_draw_page_get_type ())

G_DECLARE_FINAL_TYPE (InklingDrawPage, inkling_draw_page, INKLING, DRAW_PAGE, AdwBin)

/* The manager is borrowed for the page's lifetime (the application owns it). */
void inkling_draw_page_set_manager (InklingDrawPage *self, InklingModelManager *manager);

InklingCanvas *inkling_draw_page_get_canvas (InklingDrawPage *self);

/* Presenter mode: thick strokes and big guesses. */
void inkling_draw_page_set_presenting (InklingDrawPage *self, gboolean presenting,
                                       double stroke_width);

/* Teaches the drawing on the canvas to the sticker labelled label (made
 * when new, with emoji, which may be NULL); the canvas is cleared once the
 * store has it. FALSE with error when it cannot start. */
gboolean inkling_draw_page_teach (InklingDrawPage *self, const char *label, const char *emoji,
                                  GError **error);

/* What the page shows, for the test state file: an a{sv} with "guesses"
 * (aa{sv} of label, text, confidence), "strokes", "canvas" and "pending". */
GVariant *inkling_draw_page_describe (InklingDrawPage *self);

G_END_DECLS

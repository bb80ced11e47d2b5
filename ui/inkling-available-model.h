/* inkling-available-model.h: one model of the server's manifest, as the
 * updater judged it for this installation (an item of
 * inkling_updater_get_available)
 *
 * Immutable once made; safe to make on any thread and hand over.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib-object.h>

#include "ink.h"

G_BEGIN_DECLS

#define INKLING_TYPE_AVAILABLE_MODEL (inkling_available_model_get_type ())

G_DECLARE_FINAL_TYPE (InklingAvailableModel, inkling_available_model, INKLING, AVAILABLE_MODEL,
                      GObject)

/* A copy of what available holds. */
InklingAvailableModel *inkling_available_model_new (const InkRemoteAvailable *available);

const char *inkling_available_model_get_id (InklingAvailableModel *self);
/* "" for a seed-form manifest's model (it has none). */
const char *inkling_available_model_get_version (InklingAvailableModel *self);
/* What Install asks the updater for: the version, else the id. */
const char *inkling_available_model_get_install_name (InklingAvailableModel *self);
const char *inkling_available_model_get_channel (InklingAvailableModel *self);
/* "" when none. */
const char *inkling_available_model_get_notes (InklingAvailableModel *self);
/* Unix seconds; 0 when not given. */
gint64 inkling_available_model_get_published (InklingAvailableModel *self);
/* Bytes; -1 when not given. */
gint64 inkling_available_model_get_size (InklingAvailableModel *self);
/* Channel, app version and rollout allow it; else reason says why not. */
gboolean inkling_available_model_get_applies (InklingAvailableModel *self);
const char *inkling_available_model_get_reason (InklingAvailableModel *self);
/* ink_version_compare with the active model's version (< 0: older). */
int inkling_available_model_get_compare (InklingAvailableModel *self);
/* It is the active model / the previous one (the rollback target). */
gboolean inkling_available_model_get_active (InklingAvailableModel *self);
gboolean inkling_available_model_get_previous (InklingAvailableModel *self);

G_END_DECLS

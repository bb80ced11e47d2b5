/* inkling-update-record.h: one entry of the update history (an item of
 * InklingStore)
 *
 * Immutable; made only by InklingStore.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define INKLING_TYPE_UPDATE_RECORD (inkling_update_record_get_type ())

G_DECLARE_FINAL_TYPE (InklingUpdateRecord, inkling_update_record, INKLING, UPDATE_RECORD, GObject)

/* The row id (> 0). Property "id". */
gint64 inkling_update_record_get_id (InklingUpdateRecord *self);
/* Unix seconds (UTC). Property "time". */
gint64 inkling_update_record_get_time (InklingUpdateRecord *self);
/* What happened: "teach", "rebuild", "reset", "train-images", "open-model"
 * (INKLING_UPDATE_KIND_* in inkling-model-manager.h). Property "kind". */
const char *inkling_update_record_get_kind (InklingUpdateRecord *self);
/* Examples the update used. Property "examples". */
gint64 inkling_update_record_get_examples (InklingUpdateRecord *self);
/* The resulting model's version or id (may be ""). Property
 * "model-version". */
const char *inkling_update_record_get_model_version (InklingUpdateRecord *self);
/* "completed", "cancelled", or "failed: MESSAGE"; may carry details after
 * the word (e.g. "completed: accuracy 62% → 88%"). Property "result". */
const char *inkling_update_record_get_result (InklingUpdateRecord *self);

/* For InklingStore only. */
InklingUpdateRecord *inkling_update_record_new (gint64 id, gint64 time, const char *kind,
                                                gint64 examples, const char *model_version,
                                                const char *result);

G_END_DECLS

/* inkling-store.h: the personalization store (SQLite)
 *
 * What the user taught is the source of truth; models are derived from it
 * (DESIGN.md, "Personalization data"). The store is one SQLite database,
 * by default $XDG_DATA_HOME/<app-id>/inkling.db, holding:
 *
 *   stickers   id, emoji, label (unique), created
 *   examples   id, sticker id, strokes (ink-strokes.h JSON), 28x28 gray
 *              raster, created (deleted with their sticker)
 *   images     id, name, file bytes, predicted label and confidence, user
 *              label, created
 *   history    id, time, kind, examples, model version, result
 *
 * Every change is one transaction: it is all saved or, on any error, none
 * of it (the in-memory lists change only after the commit). The schema is
 * versioned with PRAGMA user_version and migrated on open; the database
 * runs in WAL mode, syncing each commit to disk (synchronous = FULL), with a
 * busy timeout.
 *
 * Damage and contention: opening never writes to a database it cannot read.
 * A file that is not a database or is corrupt fails with
 * INKLING_STORE_ERROR_CORRUPT and is left untouched (the app can then offer
 * inkling_store_move_aside, which renames it, keeping every byte, so that a
 * new one can be made); a database another program holds locked past the
 * busy timeout fails with INKLING_STORE_ERROR_LOCKED, at open or at a
 * change (which then changes nothing); a newer schema fails with
 * INKLING_STORE_ERROR_NEWER_SCHEMA.
 *
 * Threads: an InklingStore, its lists and its items belong to the main
 * thread (the thread that opened it). Signals and list changes happen
 * there, synchronously, during the call that made the change.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

#include "inkling-example.h"
#include "inkling-image-item.h"
#include "inkling-sticker.h"
#include "inkling-update-record.h"

G_BEGIN_DECLS

#define INKLING_STORE_ERROR (inkling_store_error_quark ())

typedef enum {
  INKLING_STORE_ERROR_FAILED,       /* another SQLite error (message says which) */
  INKLING_STORE_ERROR_IO,           /* the folder or file cannot be made or read */
  INKLING_STORE_ERROR_CORRUPT,      /* not a database, or a damaged one: left as is */
  INKLING_STORE_ERROR_LOCKED,       /* another program holds it locked */
  INKLING_STORE_ERROR_NEWER_SCHEMA, /* written by a newer Inkling */
  INKLING_STORE_ERROR_NOT_FOUND,    /* the item is not (or no longer) in the store */
  INKLING_STORE_ERROR_INVALID,      /* a bad argument: empty label, bad strokes or raster */
  INKLING_STORE_ERROR_EXISTS,       /* a sticker with that label exists already */
} InklingStoreError;

GQuark inkling_store_error_quark (void);

/* The schema version this build writes (PRAGMA user_version). */
#define INKLING_STORE_SCHEMA_VERSION 1

/* The default busy timeout, in milliseconds. */
#define INKLING_STORE_DEFAULT_BUSY_TIMEOUT 5000

#define INKLING_TYPE_STORE (inkling_store_get_type ())

G_DECLARE_FINAL_TYPE (InklingStore, inkling_store, INKLING, STORE, GObject)

/* $XDG_DATA_HOME/<app-id>/inkling.db (g_get_user_data_dir). Free with
 * g_free. */
char *inkling_store_default_path (void);

/* Opens (creating it and its folder when needed) the database at path
 * (NULL: inkling_store_default_path), migrates its schema and loads the
 * lists. busy_timeout_ms: how long to wait for another program's lock (0:
 * INKLING_STORE_DEFAULT_BUSY_TIMEOUT). NULL with error set on failure (see
 * above for the codes); a failed open never modified the file. */
InklingStore *inkling_store_open (const char *path, guint busy_timeout_ms, GError **error);

/* Renames a database that cannot be opened (and its -wal and -shm files)
 * to PATH.damaged-YYYYMMDD-HHMMSS (a suffix ".N" when taken), keeping its
 * bytes, so that inkling_store_open can start a new one. *new_path (may be
 * NULL) receives the new name. */
gboolean inkling_store_move_aside (const char *path, char **new_path, GError **error);

/* The database file. */
const char *inkling_store_get_path (InklingStore *self);

/* ---- Lists (owned by the store, kept in sync; bind to them) ---- */

/* InklingSticker items, oldest first. */
GListModel *inkling_store_get_stickers (InklingStore *self);
/* InklingImageItem items, oldest first. */
GListModel *inkling_store_get_images (InklingStore *self);
/* InklingUpdateRecord items, NEWEST first. */
GListModel *inkling_store_get_history (InklingStore *self);

/* Look-ups (transfer none; NULL when absent). */
InklingSticker *inkling_store_find_sticker (InklingStore *self, gint64 id);
InklingSticker *inkling_store_find_sticker_by_label (InklingStore *self, const char *label);
/* Examples over all stickers. */
guint inkling_store_count_examples (InklingStore *self);

/* ---- Changes: each is one transaction ---- */

/* A new sticker without examples (transfer none). label: non-empty, at most
 * 64 characters, unique (INKLING_STORE_ERROR_EXISTS); emoji may be "". */
InklingSticker *inkling_store_add_sticker (InklingStore *self, const char *emoji, const char *label,
                                           GError **error);

/* A new sticker with its first examples, all or nothing (the "New sticker"
 * flow: three drawings). strokes[i] is ink-strokes.h JSON, rasters[i]
 * 28x28 = 784 bytes; n >= 1. Transfer none. */
InklingSticker *inkling_store_add_sticker_with_examples (InklingStore *self, const char *emoji,
                                                         const char *label,
                                                         const char *const *strokes,
                                                         GBytes *const *rasters, guint n,
                                                         GError **error);

/* Changes a sticker's emoji (e.g. after it was taught without one). */
gboolean inkling_store_set_sticker_emoji (InklingStore *self, InklingSticker *sticker,
                                          const char *emoji, GError **error);

/* Adds an example to a sticker (transfer none). strokes must parse as
 * ink-strokes.h JSON and raster be 784 bytes (INKLING_STORE_ERROR_INVALID
 * otherwise). */
InklingExample *inkling_store_add_example (InklingStore *self, InklingSticker *sticker,
                                           const char *strokes, GBytes *raster, GError **error);

/* Deletes a sticker and its examples. */
gboolean inkling_store_delete_sticker (InklingStore *self, InklingSticker *sticker, GError **error);
/* Deletes one example (its sticker stays, even with none left). */
gboolean inkling_store_delete_example (InklingStore *self, InklingExample *example, GError **error);
/* Deletes every sticker and example (reset personalization); images and
 * history stay. */
gboolean inkling_store_delete_all_stickers (InklingStore *self, GError **error);

/* Imports an image (transfer none). data: the file's bytes (PNG or JPEG; not
 * checked here); name: shown to the user (e.g. the file's basename). */
InklingImageItem *inkling_store_add_image (InklingStore *self, const char *name, GBytes *data,
                                           GError **error);
/* Sets what the image classifier predicted (label NULL: none). */
gboolean inkling_store_set_image_prediction (InklingStore *self, InklingImageItem *image,
                                             const char *label, double confidence, GError **error);
/* Sets the user's label (NULL: none). */
gboolean inkling_store_set_image_label (InklingStore *self, InklingImageItem *image,
                                        const char *label, GError **error);
gboolean inkling_store_delete_image (InklingStore *self, InklingImageItem *image, GError **error);

/* Appends an entry to the update history (transfer none); time is now. */
InklingUpdateRecord *inkling_store_add_history (InklingStore *self, const char *kind,
                                                gint64 examples, const char *model_version,
                                                const char *result, GError **error);

G_END_DECLS

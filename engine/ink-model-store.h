/* ink-model-store.h: the model store folder (bundled, downloaded and
 * personalized models; which one is active; rollback; fallback)
 *
 * Layout of a store folder DIR (created on open, mode 0700):
 *
 *   DIR/active.json          the pointer file: the active entry and the
 *                            previous one (kept for rollback); replaced
 *                            atomically (temporary file, fsync, rename)
 *   DIR/models/NAME.inkmodel           a downloaded model (or one opened
 *                                      from a file), compiled
 *   DIR/models/NAME.personal.inkmodel  the user's examples applied to it
 *   DIR/models/bundled.personal.inkmodel  ... applied to the bundled model
 *   DIR/downloads/NAME.mlmodel.partial    a download in progress (resumable)
 *   DIR/installation-id      a random id made once (rollout buckets)
 *   DIR/remote.json, DIR/manifest.json[.minisig], DIR/activity.jsonl
 *                            the updater's state, its last verified
 *                            manifest and the activity log (ink-remote.h,
 *                            ink-activity.h)
 *   DIR/.lock                serializes changes between processes
 *
 * NAME is ink_model_store_safe_name (id) followed by "-VERSION" when the
 * model has a version, and by ".ORIGIN" ("server" or "file") when a kept
 * entry of the other origin already has that name. The bundled model lives
 * outside the store, read-only (in the install prefix); the store only
 * names it.
 *
 * Only models referenced by the active or the previous entry are kept: each
 * change of the active entry deletes the others ("clean-up"). A pointer
 * file that is missing means the bundled model is active. File names read
 * from the pointer file are checked like manifest ids, so an edited pointer
 * file cannot name a file outside DIR/models either.
 *
 * Fallback: ink_model_store_load returns the model to run and, when it is
 * not what the pointer file names (missing or corrupt pointer file, missing
 * or corrupt model file), the bundled model with the reason in words.
 *
 * Ownership: InkModelStore is owned by its opener (ink_model_store_free).
 * Strings in an InkModelStoreEntry are borrowed from the store and valid
 * until the next call that refreshes or changes it (every function below
 * not taking a const store).
 *
 * Threads and processes: one InkModelStore handle is used by one thread at
 * a time. Several handles on the same folder (in one process or in several,
 * e.g. the app and inkling-cli) are safe: changes take an exclusive lock on
 * DIR/.lock and readers only ever see a complete pointer file. A handle
 * caches the pointer file; ink_model_store_refresh re-reads it.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ink-model.h"
#include "ink-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct InkModelStore InkModelStore;

typedef enum {
  INK_MODEL_SOURCE_BUNDLED = 0,    /* shipped with the app, read-only */
  INK_MODEL_SOURCE_DOWNLOADED = 1, /* installed in the store: by the updater, or opened from a
                                      file (see InkModelOrigin) */
} InkModelSource;

/* "bundled", "downloaded" */
const char *ink_model_source_to_string (InkModelSource source);

/* Where a downloaded (installed) model came from. It is kept in the pointer
 * file as "origin"; an entry without one (written before origins existed,
 * or by an older inkling) is from a file when its url is a file: URI (the
 * updater only downloads http: and https: URLs), else from a server. */
typedef enum {
  INK_MODEL_ORIGIN_SERVER = 0, /* the updater downloaded it from url */
  INK_MODEL_ORIGIN_FILE = 1,   /* opened from a local file; url is its file: URI */
} InkModelOrigin;

/* "server", "file" */
const char *ink_model_origin_to_string (InkModelOrigin origin);

/* The id of the bundled model's entry. */
#define INK_MODEL_STORE_BUNDLED_ID "bundled"

/* One model the pointer file names. */
typedef struct {
  InkModelSource source;
  const char *id;            /* the manifest's id; INK_MODEL_STORE_BUNDLED_ID for bundled */
  const char *version;       /* NULL when unknown (seed-form manifests; bundled without one) */
  const char *path;          /* absolute path of the compiled base model (the bundled path for
                                bundled; NULL when the store has no bundled path) */
  const char *personal_path; /* absolute path of its personalized model; NULL when none */
  const char *sha256;        /* hex SHA-256 of the downloaded .mlmodel; NULL for bundled */
  const char *url;           /* where it was downloaded from; NULL for bundled */
  int64_t installed_at;      /* Unix seconds; 0 for bundled */
  InkModelOrigin origin;     /* INK_MODEL_ORIGIN_SERVER for bundled */
} InkModelStoreEntry;

/* Where an entry's model came from, as people read it: "bundled",
 * "downloaded" or "opened from a file". A static string. */
const char *ink_model_store_entry_provenance (const InkModelStoreEntry *entry);

/* Opens (creating when needed) the store folder dir. bundled_path is the
 * compiled (.inkmodel) or Core ML (.mlmodel) bundled model, or NULL when
 * there is none (then nothing can be loaded until a model is installed).
 * Reads the pointer file; a missing or corrupt one is not an error here
 * (see ink_model_store_get_problem). Fails with INK_ERR_IO when dir cannot
 * be created or written. */
InkModelStore *ink_model_store_open (const char *dir, const char *bundled_path, InkError *err);
void ink_model_store_free (InkModelStore *store);

/* $XDG_DATA_HOME/APP/models (~/.local/share/APP/models when unset);
 * malloc'd, NULL when neither XDG_DATA_HOME nor HOME is set. */
char *ink_model_store_default_dir (const char *app);

/* The version of the bundled model (e.g. its metadata version), shown in
 * its entry and compared with downloaded versions. NULL (the default):
 * unknown, and any downloaded version is newer. Copied. */
void ink_model_store_set_bundled_version (InkModelStore *store, const char *version);

const char *ink_model_store_get_dir (const InkModelStore *store);
const char *ink_model_store_get_bundled_path (const InkModelStore *store);
/* This installation's random id (32 hex digits), made on first open. */
const char *ink_model_store_get_installation_id (const InkModelStore *store);

/* Re-reads the pointer file (another handle or process may have changed
 * it). Never fails on a bad pointer file: that becomes the problem below
 * and the bundled model becomes the active entry. */
InkStatus ink_model_store_refresh (InkModelStore *store, InkError *err);
/* Why the pointer file could not be used at the last read (e.g.
 * "active.json is corrupt: ..."), or "" when it was fine or absent. */
const char *ink_model_store_get_problem (const InkModelStore *store);

/* The active entry (the bundled one when nothing is installed). */
void ink_model_store_get_active (const InkModelStore *store, InkModelStoreEntry *out);
/* The previous entry, kept for rollback; false (and *out zeroed) when none. */
bool ink_model_store_get_previous (const InkModelStore *store, InkModelStoreEntry *out);

/* How ink_model_store_load chose. */
typedef struct {
  InkModelStoreEntry entry;            /* the entry whose model was loaded (borrowed) */
  bool personalized;                   /* the personalized model was loaded */
  bool fell_back;                      /* not what the pointer file names */
  char reason[INK_ERROR_MESSAGE_SIZE]; /* why it fell back; "" otherwise */
} InkModelStoreLoad;

/* Flags for ink_model_store_load. */
#define INK_MODEL_STORE_LOAD_BASE (1u << 0) /* the base model, never the personalized one */

/* Refreshes, then loads the model to run (owned by the caller): the active
 * entry's personalized model when it has one (unless
 * INK_MODEL_STORE_LOAD_BASE), else its base model. A personalized model
 * that is missing or corrupt falls back to the entry's base model; a base
 * model that is missing or corrupt falls back to the bundled model (with
 * the bundled entry's personalized model only when the bundled entry was
 * the active one). info (may be NULL) says what was loaded and why.
 * Fails only when the bundled model cannot be loaded either (or there is
 * none); the error then gives both reasons. */
InkModel *ink_model_store_load (InkModelStore *store, unsigned flags, InkModelStoreLoad *info,
                                InkError *err);
/* Loads the base model of an entry (e.g. the previous one). */
InkModel *ink_model_store_load_entry (const InkModelStore *store, const InkModelStoreEntry *entry,
                                      InkError *err);

/* ---- Changes: each takes the lock, writes model files atomically,
 * replaces the pointer file atomically, then deletes model files that
 * neither the active nor the previous entry names. If any step before the
 * pointer replacement fails, the active model is unchanged. ---- */

/* Makes a new downloaded model active; the active entry becomes the
 * previous one (the old previous is deleted). entry supplies id (required;
 * made safe with ink_model_store_safe_name), version, sha256, url and
 * origin; its source, path, personal_path and installed_at are ignored (set
 * here).
 * base is written as a compiled model; personal (may be NULL) is the
 * user's examples applied to base. Installing the entry that is already
 * active (same id, version and origin) replaces it in place and keeps the
 * previous entry; a model of the other origin with the same id and version
 * is another model (it gets its own file). */
InkStatus ink_model_store_install (InkModelStore *store, const InkModelStoreEntry *entry,
                                   const InkModel *base, const InkModel *personal, InkError *err);
/* Saves personal as the active entry's personalized model (after the user
 * taught it something), replacing any earlier one. */
InkStatus ink_model_store_save_personalized (InkModelStore *store, const InkModel *personal,
                                             InkError *err);
/* Removes the active entry's personalized model (e.g. "reset
 * personalization"): the base model runs again. */
InkStatus ink_model_store_clear_personalized (InkModelStore *store, InkError *err);
/* Swaps the active and previous entries (so a rollback can be undone by
 * another). personal (may be NULL for none) is the personalized model for
 * the entry made active: the user's examples applied to its base again.
 * INK_ERR_INVALID_ARGUMENT when there is no previous entry; INK_ERR_IO or
 * INK_ERR_FORMAT when its base model is missing or does not load (the
 * active entry then stays). */
InkStatus ink_model_store_rollback (InkModelStore *store, const InkModel *personal, InkError *err);
/* Makes the bundled model active; the active entry (if downloaded) becomes
 * the previous one. personal as for rollback. INK_ERR_INVALID_ARGUMENT when
 * the store has no bundled path. */
InkStatus ink_model_store_reset (InkModelStore *store, const InkModel *personal, InkError *err);
/* Deletes model files and stale downloads that no entry names (changes do
 * it already; for clean-up after a crash). *removed (may be NULL) counts
 * the files deleted. */
InkStatus ink_model_store_cleanup (InkModelStore *store, size_t *removed, InkError *err);

/* ---- Names ---- */

/* The longest safe name, NUL included. */
#define INK_MODEL_STORE_NAME_SIZE 80

/* Maps an id (or any name from a manifest) to a file-name stem that can
 * only name a file inside the store:
 *  - refused with INK_ERR_VERIFICATION ("unsafe name ...: it would leave
 *    the store") when it is empty, absolute, contains "/", "\\", "..", a
 *    control character, or starts with ".";
 *  - kept as is when it is 1..64 characters of [A-Za-z0-9._-];
 *  - otherwise (spaces, non-ASCII, too long) "id-" followed by the first
 *    16 hex digits of its SHA-256.
 * out must hold INK_MODEL_STORE_NAME_SIZE bytes. */
InkStatus ink_model_store_safe_name (const char *id, char out[INK_MODEL_STORE_NAME_SIZE],
                                     InkError *err);

#ifdef __cplusplus
}
#endif

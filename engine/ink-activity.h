/* ink-activity.h: the updater's activity log (every step, with timestamps)
 *
 * The updater (ink-remote.h) records every step it takes as an entry: the
 * check, the HTTP status, each decision and its reason, bytes downloaded,
 * verification, compile, install, personalization, activation, clean-up,
 * rollback, reset and every error. Entries are appended to the store's
 * DIR/activity.jsonl, one JSON object per line, oldest first, capped (the
 * oldest lines are dropped), and passed to the updater's log callback as
 * they happen.
 *
 * One line of JSON (ink_activity_entry_to_json), members always present:
 *   {"time": "2026-11-22T10:00:00.123Z", "time_ms": 1795341600123,
 *    "step": "download", "level": "info", "status": "ok",
 *    "http_status": 206, "bytes": 8074, "model": "doodles",
 *    "version": "1.2.0", "message": "resumed at 4096 of 8074 bytes"}
 * "status" is "ok" or ink_status_to_string's text for the error;
 * "http_status" is 0 and "bytes" -1 when they do not apply; "model" and
 * "version" are "" when no model is concerned. Readers ignore unknown
 * members.
 *
 * Entries are plain structs with fixed-size text (longer text is cut at a
 * UTF-8 character boundary), so they can be copied freely. Every function
 * is thread-safe; appending is serialized by the store's lock.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ink-model-store.h"
#include "ink-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  INK_ACTIVITY_CHECK = 0,       /* a manifest check started or ended */
  INK_ACTIVITY_HTTP = 1,        /* an HTTP response (status, headers of note) */
  INK_ACTIVITY_DECISION = 2,    /* what the updater chose and why */
  INK_ACTIVITY_DOWNLOAD = 3,    /* a model download: start, resume, progress end */
  INK_ACTIVITY_VERIFY = 4,      /* signature, expiry, size, hash */
  INK_ACTIVITY_COMPILE = 5,     /* .mlmodel compiled, inputs/outputs fit, test prediction */
  INK_ACTIVITY_INSTALL = 6,     /* files placed in the store */
  INK_ACTIVITY_PERSONALIZE = 7, /* the user's examples applied to the new base */
  INK_ACTIVITY_ACTIVATE = 8,    /* the pointer file names a new active model */
  INK_ACTIVITY_CLEANUP = 9,     /* outdated files deleted */
  INK_ACTIVITY_ROLLBACK = 10,
  INK_ACTIVITY_RESET = 11,
  INK_ACTIVITY_SCHEDULE = 12, /* when the next automatic check is due, backoff */
} InkActivityStep;

typedef enum {
  INK_ACTIVITY_INFO = 0,
  INK_ACTIVITY_WARNING = 1, /* something went wrong but the step went on */
  INK_ACTIVITY_ERROR = 2,   /* the operation failed here; the current model stays */
} InkActivityLevel;

#define INK_ACTIVITY_MESSAGE_SIZE 512
#define INK_ACTIVITY_MODEL_SIZE 128
#define INK_ACTIVITY_VERSION_SIZE 64

typedef struct {
  int64_t time_ms; /* Unix time in milliseconds */
  InkActivityStep step;
  InkActivityLevel level;
  InkStatus status;                        /* INK_OK, or the error of the step */
  long http_status;                        /* 0 when not an HTTP step */
  int64_t bytes;                           /* -1 when not applicable */
  char model[INK_ACTIVITY_MODEL_SIZE];     /* the model id concerned, or "" */
  char version[INK_ACTIVITY_VERSION_SIZE]; /* its version, or "" */
  char message[INK_ACTIVITY_MESSAGE_SIZE]; /* one line of English */
} InkActivityEntry;

/* How many entries DIR/activity.jsonl keeps by default. */
#define INK_ACTIVITY_DEFAULT_CAP 1000

/* "check", "http", "decision", "download", "verify", "compile", "install",
 * "personalize", "activate", "cleanup", "rollback", "reset", "schedule" */
const char *ink_activity_step_to_string (InkActivityStep step);
/* "info", "warning", "error" */
const char *ink_activity_level_to_string (InkActivityLevel level);

/* One line of JSON (no newline), malloc'd; NULL when out of memory. */
char *ink_activity_entry_to_json (const InkActivityEntry *entry);
/* Parses such a line. INK_ERR_FORMAT when it is not one. */
InkStatus ink_activity_entry_from_json (const char *line, InkActivityEntry *out, InkError *err);
/* A JSON array of entries, malloc'd. */
char *ink_activity_to_json (const InkActivityEntry *entries, size_t n);
/* A human line for the settings pane and copying: time, step, version,
 * "ERROR: " or "warning: " for those levels, message, HTTP status, e.g.
 * "2026-11-22 10:00:00 UTC  http     1.2.0  GET http://...: HTTP 206, 7574 bytes in
 * 0.01 s, appended to the partial file (HTTP 206)" */
void ink_activity_format (const InkActivityEntry *entry, char *buf, size_t size);

/* Appends an entry to the store's log, keeping at most cap entries (0:
 * INK_ACTIVITY_DEFAULT_CAP). Takes the store's lock. */
InkStatus ink_activity_append (InkModelStore *store, const InkActivityEntry *entry, size_t cap,
                               InkError *err);
/* Reads the last max entries (0: all) of the store's log, oldest first,
 * into *entries (malloc'd, the caller frees with free()); *n is the count.
 * A missing log is zero entries; unreadable lines are skipped. */
InkStatus ink_activity_read (const InkModelStore *store, size_t max, InkActivityEntry **entries,
                             size_t *n, InkError *err);
/* Empties the store's log. */
InkStatus ink_activity_clear (InkModelStore *store, InkError *err);

#ifdef __cplusplus
}
#endif

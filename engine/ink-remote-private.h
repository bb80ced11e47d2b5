/* ink-remote-private.h: internals shared by the store, the activity log,
 * HTTP and the updater
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ink-activity.h"
#include "ink-manifest.h"
#include "ink-minisign.h"
#include "ink-model-store.h"
#include "ink-remote.h"

/* ---- Files and time (ink-model-store.c) ---- */

/* DIR/name, malloc'd; NULL when out of memory. */
char *ink_store_file (const InkModelStore *store, const char *name);
/* Takes the store's exclusive lock (DIR/.lock); *fd is released with
 * ink_store_unlock. */
InkStatus ink_store_lock (const InkModelStore *store, int *fd, InkError *err);
void ink_store_unlock (int fd);
/* Reads a whole file of at most max bytes (NUL-terminated beyond *size).
 * INK_ERR_IO with errno ENOENT kept when it does not exist. */
char *ink_read_file (const char *path, size_t max, size_t *size, InkError *err);
/* Writes a whole file atomically. */
InkStatus ink_write_file (const char *path, const void *data, size_t size, InkError *err);
/* Writes root (consumed, may be NULL after a failed allocation) as DIR/name,
 * atomically. */
struct cJSON;
InkStatus ink_store_write_json (const InkModelStore *store, const char *name, struct cJSON *root,
                                InkError *err);
/* Loads a model file: a Core ML .mlmodel is compiled, else a .inkmodel is
 * loaded. */
InkModel *ink_store_load_model_file (const char *path, InkError *err);
/* Unix time in milliseconds and seconds. */
int64_t ink_now_ms (void);
int64_t ink_now (void);
/* Copies src into dst of size bytes, cutting at a UTF-8 boundary. */
void ink_copy_text (char *dst, size_t size, const char *src);

/* ---- HTTP (ink-http.c) ---- */

typedef struct {
  const char *url;
  const char *etag;          /* If-None-Match, or NULL */
  const char *last_modified; /* If-Modified-Since, or NULL */
  int64_t resume_from;       /* > 0: Range: bytes=N- (to a file only) */
  int fd;                    /* >= 0: the body goes here (opened O_APPEND); else to memory */
  int64_t max_size;          /* the body's cap (whole file when resuming) */
  long connect_timeout_ms;
  long timeout_ms;
  long low_speed_limit;
  long low_speed_time_s;
  long max_redirects;
  const char *ca_bundle;
  bool require_https;
  /* progress and cancel */
  InkRemoteProgressFunc progress; /* returning false stops this request */
  void *progress_data;
  int64_t progress_total; /* the expected whole size, or -1 */
  /* Asked before the request and at each transfer callback, on the
   * calling thread; true stops it (INK_ERR_CANCELLED). NULL: never. */
  bool (*stop) (void *stop_data);
  void *stop_data;
} InkHttpRequest;

typedef struct {
  long status;    /* the final response's status; 0 when none */
  char etag[256]; /* its headers of note ("" when absent) */
  char last_modified[128];
  char retry_after[128];
  char content_range[128];
  char location[512];
  int64_t content_length; /* -1 when absent */
  int64_t bytes;          /* body bytes kept (written or in memory) */
  bool restarted;         /* a 200 answered a Range request: the file was emptied */
  bool interrupted;       /* the connection broke mid-body (resumable) */
  bool too_large;         /* the body exceeded max_size */
  bool cancelled;
  bool bad_range;      /* a 206 whose Content-Range does not start where asked */
  int64_t range_start; /* where the kept body starts in the whole file */
  char *body;          /* memory bodies (malloc'd, NUL-terminated); caller frees */
  size_t body_size;
  long redirects;
  double seconds;
} InkHttpResponse;

/* Runs one GET. Returns INK_OK whenever a final response arrived (any
 * status: the caller judges it), else INK_ERR_NETWORK (time-outs,
 * refused connections, TLS, too many redirects), INK_ERR_CANCELLED, or
 * INK_ERR_VERIFICATION (more than max_size bytes). resp is filled in every
 * case; free it with ink_http_response_clear. */
InkStatus ink_http_get (const InkHttpRequest *req, InkHttpResponse *resp, InkError *err);
void ink_http_response_clear (InkHttpResponse *resp);
/* The user agent string. */
const char *ink_http_user_agent (void);

/* ---- Updater state (ink-remote-state.c) ---- */

typedef struct {
  char *manifest_url; /* the URL the validators belong to */
  char *etag;
  char *last_modified;
  int64_t last_check;
  InkStatus last_status;
  long last_http_status;
  char last_result[INK_ERROR_MESSAGE_SIZE];
  int64_t last_success;
  int failures;
  int64_t next_check;
  int64_t retry_after_until;
  char *skipped_id;
  char *skipped_version;
} InkRemoteState;

void ink_remote_state_clear (InkRemoteState *state);
/* Reads DIR/remote.json (missing or corrupt: an empty state). */
void ink_remote_state_load (const InkModelStore *store, InkRemoteState *state);
InkStatus ink_remote_state_save (const InkModelStore *store, const InkRemoteState *state,
                                 InkError *err);
/* Replaces a string field (NULL clears it). */
void ink_remote_state_set (char **field, const char *value);

/* ---- The updater (ink-remote.c, ink-remote-install.c) ---- */

typedef struct {
  InkRemoteConfig config; /* strings and arrays below are owned copies */
  char **strings;         /* everything the copy owns, to free */
  size_t n_strings;
  InkUrlRewrite *rewrites;
  InkRemoteFeature *inputs;
  InkRemoteFeature *outputs;
  InkFeatures *test_input;
  bool has_key;
  InkMinisignPublicKey key;
} InkRemoteSettings;

struct InkRemote {
  InkModelStore *store;
  InkRemoteSettings settings;
  InkRemoteState state;
  InkManifest *manifest;      /* the kept (last verified) manifest, or NULL */
  InkRemoteAvailable *judged; /* per model of manifest */
  /* INK_REMOTE_RUN_BUSY while an operation runs, plus INK_REMOTE_RUN_CANCEL
   * once ink_remote_cancel asked it to stop. One atomic word, so that a
   * cancel is never lost as an operation starts nor outlives it. */
  atomic_uint run;
  char installation_id[64];
};

#define INK_REMOTE_RUN_BUSY 1u
#define INK_REMOTE_RUN_CANCEL 2u

/* Appends a log entry (store file and callback). fmt is the message. */
void ink_remote_log (InkRemote *remote, InkActivityStep step, InkActivityLevel level,
                     InkStatus status, long http_status, int64_t bytes,
                     const InkManifestModel *model, const char *fmt, ...)
  __attribute__ ((format (printf, 8, 9)));
/* The active version (the bundled version for bundled), or NULL. */
const char *ink_remote_active_version (InkRemote *remote);
/* Applies the URL rewrites; malloc'd. */
char *ink_remote_rewrite_url (const InkRemote *remote, const char *url);
/* Fills an HTTP request with the configured limits. */
void ink_remote_http_defaults (const InkRemote *remote, InkHttpRequest *req);
/* Re-judges the kept manifest's models for this installation. */
void ink_remote_judge (InkRemote *remote);
/* The check step, shared by check and install; fills result. */
InkStatus ink_remote_do_check (InkRemote *remote, InkRemoteCheckResult *result, InkError *err);
/* Starts an operation: false when one runs already ("busy"). The cancel
 * flag starts cleared. */
bool ink_remote_begin (InkRemote *remote);
/* Ends it (clearing the cancel flag). */
void ink_remote_end (InkRemote *remote);
/* Whether the operation running was cancelled (any thread). */
bool ink_remote_cancelled (InkRemote *remote);
/* The same, or INK_ERR_CANCELLED in e ("cancelled before STEP") when it was. */
InkStatus ink_remote_check_cancel (InkRemote *remote, const char *step, InkError *e);

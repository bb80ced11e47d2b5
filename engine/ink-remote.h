/* ink-remote.h: over-the-air model updates (the updater)
 *
 * A model server is any static file host. The updater fetches its manifest
 * (ink-manifest.h), picks the model meant for this installation, downloads
 * it, verifies it, compiles and tests it, re-applies the user's examples to
 * it, and makes it the store's active model (ink-model-store.h). Every step
 * goes to the activity log (ink-activity.h).
 *
 * Check (ink_remote_check):
 *  - GET the manifest with If-None-Match / If-Modified-Since from the last
 *    200; a 304 reuses the manifest kept in the store (DIR/manifest.json)
 *    and downloads nothing. The validators are stored only once a manifest
 *    has verified.
 *  - With a public key configured, GET MANIFEST_URL ".minisig" and verify
 *    it (ink-minisign.h); a missing (404) or bad signature fails the check.
 *    On a 304 the kept manifest and signature are verified again.
 *  - Parse; an expired manifest is refused (the kept one too).
 *  - Decide: the candidate is the newest model (ink_version_compare; a
 *    model without a version is "new" when its id differs from the active
 *    one) that applies to this installation (channel, min_app_version,
 *    rollout bucket; ink_manifest_model_applies) and is newer than the
 *    active model. A model the user rolled back from is skipped by checks
 *    and automatic updates (but can be installed by name).
 *    A model opened from a file (INK_MODEL_ORIGIN_FILE) is never a
 *    manifest model, even with the same id and version: it is not shown
 *    as active or previous, and its id is no line of the manifest's.
 *
 * Install (ink_remote_install): a check (as above), then for the chosen
 * model:
 *  - its id must map to a safe store name (ink_model_store_safe_name) and
 *    its URL must be http(s); its version must be newer than the active
 *    one unless INK_REMOTE_ALLOW_OLDER (an explicit rollback), and its
 *    min_app_version must be met;
 *  - download to DIR/downloads/NAME.mlmodel.partial; an existing partial
 *    file is resumed with a Range request (a 206 with a matching
 *    Content-Range appends; a 200 restarts from zero; a 416 restarts), and
 *    a transfer that breaks after making progress is resumed up to
 *    download_retries times. The size is capped by the manifest's size and
 *    by max_download_size (an oversized body is refused while it arrives);
 *  - verify the exact size and SHA-256 from the manifest (a seed-form
 *    manifest has neither: only the caps and the signature then apply);
 *  - compile (ink_coreml_compile_file; a compiled .inkmodel is accepted
 *    too), check that it fits (required inputs and outputs, the fit
 *    callback), run one test prediction (test_input, else zeros of the
 *    declared input types) and check the required outputs are produced;
 *  - re-apply the user's examples (the personalize callback) to the new
 *    base model;
 *  - ink_model_store_install: files placed atomically, the pointer file
 *    replaced, the previous model kept for rollback, older ones deleted.
 * On any failure nothing in the store changes except the partial download
 * (kept for resuming after a network failure; deleted after a size or hash
 * mismatch), the current model stays active, and the log says why.
 *
 * Switching the live model is the caller's job, on its main thread: when
 * an install, rollback or reset returns INK_OK, load the new model with
 * ink_model_store_load and swap it in.
 *
 * HTTP: libcurl with peer and host verification on (ca_bundle or the
 * system's), only http and https, at most max_redirects redirects,
 * connect/total/low-speed time limits. A redirect from an https URL is
 * followed only to https: one down to plain http fails the request
 * (INK_ERR_NETWORK, "refused the redirect to URL fetching URL: ...").
 *
 * Automatic checks: the engine does not schedule anything itself. After
 * each check it computes the time of the next one (ink_remote_get_status's
 * next_check): the interval after a success, exponential backoff with
 * jitter after consecutive failures, never earlier than a Retry-After (or
 * X-Retry-After) the server sent. The app arms a timer for it and calls
 * ink_remote_update then.
 *
 * Threads: every operation (check, install, update, rollback, reset) is
 * blocking and runs on the calling thread: call it from a worker thread in
 * an app. One operation at a time per InkRemote: a second concurrent call
 * fails at once with INK_ERR_INVALID_ARGUMENT ("busy"). Callbacks (progress,
 * log, fit, personalize) run on the operation's thread, synchronously; they
 * must not call into the same InkRemote except ink_remote_cancel. The
 * store given to ink_remote_new must not be used by another thread while an
 * operation runs (open a second handle on the same folder for that: see
 * ink-model-store.h). ink_remote_cancel may be called from any thread
 * (see it below).
 * libcurl and libsodium are initialized once, internally and thread-safely.
 *
 * Ownership: InkRemote is owned by its creator; it borrows the store, which
 * must outlive it. The configuration is copied by ink_remote_new (strings,
 * arrays, the test input); the callbacks' user_data are borrowed.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ink-activity.h"
#include "ink-features.h"
#include "ink-manifest.h"
#include "ink-model-store.h"
#include "ink-model.h"
#include "ink-status.h"
#include "ink-value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct InkRemote InkRemote;

/* A URL prefix replaced by another before any request (for a site served
 * on loopback under another name: e.g. from "https://host/demo/" to
 * "http://127.0.0.1:8080/"). Applied to the manifest URL and to model URLs
 * after resolution; the first matching rule wins. */
typedef struct {
  const char *from;
  const char *to;
} InkUrlRewrite;

/* A feature the app needs from a model. */
typedef struct {
  const char *name;
  InkValueType type; /* INK_VALUE_INVALID: any type */
} InkRemoteFeature;

/* The features a downloaded model must share with a reference model (the
 * app's bundled one): its inputs and its outputs, by name and value type. */
typedef struct {
  InkRemoteFeature *inputs; /* n_inputs of them; NULL when none */
  size_t n_inputs;
  InkRemoteFeature *outputs; /* n_outputs of them; NULL when none */
  size_t n_outputs;
} InkRemoteRequirements;

/* Fills req with every input and every output of description, in order.
 * req owns the two arrays (free them with ink_remote_requirements_clear);
 * the names are borrowed from description, which must outlive req (the
 * updater copies them: ink_remote_new). On failure (INK_ERR_NO_MEMORY)
 * req is empty. */
InkStatus ink_remote_requirements_from_description (const InkModelDescription *description,
                                                    InkRemoteRequirements *req, InkError *err);
/* Frees req's arrays and empties it; an empty req is fine. */
void ink_remote_requirements_clear (InkRemoteRequirements *req);

/* Decides whether a compiled model fits the app, beyond the required
 * inputs and outputs: INK_OK, or an error (its message is logged). */
typedef InkStatus (*InkRemoteFitFunc) (const InkModel *model, void *user_data, InkError *err);

/* Applies the user's examples to a new base model (Core ML: an update task
 * on the new base). On INK_OK, *personalized is a new model owned by the
 * engine from then on, or NULL when the user has taught nothing. A
 * failure fails the install, rollback or reset (the current model stays). */
typedef InkStatus (*InkRemotePersonalizeFunc) (const InkModel *base, InkModel **personalized,
                                               void *user_data, InkError *err);

/* Download progress: bytes received of total (-1 when unknown), counting
 * bytes resumed from a partial file. Return false to cancel. */
typedef bool (*InkRemoteProgressFunc) (int64_t received, int64_t total, void *user_data);

/* Each activity log entry, as it is appended. */
typedef void (*InkRemoteLogFunc) (const InkActivityEntry *entry, void *user_data);

typedef struct {
  /* Where. The manifest's URL (http or https). Required for checks. */
  const char *manifest_url;
  const InkUrlRewrite *url_rewrites;
  size_t n_url_rewrites;

  /* Who. NULL channel: INK_MANIFEST_DEFAULT_CHANNEL. NULL app_version: the
   * engine's version. NULL installation_id: the store's. */
  const char *channel;
  const char *app_version;
  const char *installation_id;

  /* Trust. public_key: a minisign public key (the base64 line or a whole
   * minisign.pub text); NULL or "" means manifests are not signed. ca_bundle:
   * a PEM file of CA certificates; NULL uses the system's. require_https
   * refuses http:// URLs (default false, so loopback test sites work). */
  const char *public_key;
  const char *ca_bundle;
  bool require_https;

  /* Limits. Times in milliseconds unless named _s. */
  long connect_timeout_ms;   /* default 10000 */
  long manifest_timeout_ms;  /* whole manifest or signature transfer; default 30000 */
  long download_timeout_ms;  /* whole model transfer; default 600000 */
  long low_speed_limit;      /* bytes per second, below which ... (default 1) */
  long low_speed_time_s;     /* ... for this long aborts a transfer (default 30) */
  long max_redirects;        /* default 5; 0 refuses any redirect */
  int64_t max_manifest_size; /* default 1 MiB */
  int64_t max_download_size; /* default 256 MiB */
  int download_retries;      /* resumes within one install; default 2 */

  /* Scheduling (seconds). */
  int64_t check_interval_s;  /* between successful automatic checks; default 86400 */
  int64_t backoff_initial_s; /* after the first failure; default 60 */
  int64_t backoff_max_s;     /* default 86400 */

  /* What the app needs of a model. Every required input must be an input
   * of the model (of that type), every required output an output; fit is
   * called after these checks (NULL: none). test_input (NULL: zeros of the
   * declared types) is the example of the test prediction. */
  const InkRemoteFeature *required_inputs;
  size_t n_required_inputs;
  const InkRemoteFeature *required_outputs;
  size_t n_required_outputs;
  InkRemoteFitFunc fit;
  void *fit_data;
  const InkFeatures *test_input;

  /* Personalization (NULL: installed models carry none). */
  InkRemotePersonalizeFunc personalize;
  void *personalize_data;

  /* Observing. log_cap: entries kept in DIR/activity.jsonl (0: default). */
  InkRemoteProgressFunc progress;
  void *progress_data;
  InkRemoteLogFunc log;
  void *log_data;
  size_t log_cap;
} InkRemoteConfig;

/* Fills config with the defaults above (all pointers NULL). In a config
 * given to the updater, a time, size or interval of zero or less means its
 * default; max_redirects and download_retries take 0 as "none". */
void ink_remote_config_init (InkRemoteConfig *config);

/* A new updater on store (borrowed; must outlive it). Reads the store's
 * updater state and kept manifest. Fails with INK_ERR_FORMAT for a bad
 * public key, INK_ERR_INVALID_ARGUMENT for an unusable configuration. */
InkRemote *ink_remote_new (InkModelStore *store, const InkRemoteConfig *config, InkError *err);
void ink_remote_free (InkRemote *remote);
/* Replaces the configuration (e.g. the user changed the server URL in the
 * settings). A different manifest URL forgets the stored validators.
 * Not while an operation runs (INK_ERR_INVALID_ARGUMENT "busy"). */
InkStatus ink_remote_set_config (InkRemote *remote, const InkRemoteConfig *config, InkError *err);

typedef enum {
  INK_CHECK_NO_UPDATE = 0,        /* nothing newer applies (reason says why) */
  INK_CHECK_UPDATE_AVAILABLE = 1, /* a candidate was found */
  INK_CHECK_FAILED = 2,           /* the check itself failed (network, HTTP, verification) */
} InkCheckOutcome;

/* "no-update", "update-available", "failed" */
const char *ink_check_outcome_to_string (InkCheckOutcome outcome);

typedef struct {
  InkCheckOutcome outcome;
  long http_status;                 /* of the manifest request; 0 when none was answered */
  bool not_modified;                /* a 304: the kept manifest was used */
  int64_t manifest_bytes;           /* bytes of manifest transferred (0 on a 304) */
  bool signature_verified;          /* a public key is configured and the manifest verified */
  int candidate;                    /* index for ink_remote_get_available; -1 when none */
  char id[INK_ACTIVITY_MODEL_SIZE]; /* the candidate's id, or "" */
  char version[INK_ACTIVITY_VERSION_SIZE]; /* the candidate's version, or "" */
  char reason[INK_ERROR_MESSAGE_SIZE];     /* the decision in words, or the failure */
  int64_t next_check;                      /* Unix seconds of the next automatic check */
} InkRemoteCheckResult;

/* Checks the server (see the top of this file). result (may be NULL) is
 * filled in every case. Returns INK_OK when the check succeeded, whatever
 * it found; else the error (INK_ERR_NETWORK, INK_ERR_HTTP, INK_ERR_FORMAT,
 * INK_ERR_VERIFICATION, INK_ERR_CANCELLED, ...). */
InkStatus ink_remote_check (InkRemote *remote, InkRemoteCheckResult *result, InkError *err);

/* Flags for ink_remote_install. */
#define INK_REMOTE_ALLOW_OLDER (1u << 0) /* install an older version: a rollback on purpose */
#define INK_REMOTE_REINSTALL (1u << 1)   /* install even when that version is active */

/* Checks, then installs (see the top of this file):
 *  - version NULL: the check's candidate. When there is none, returns INK_OK
 *    with *installed false (the log and result->reason say why).
 *  - version given: the manifest model whose version equals it numerically
 *    (or whose id equals it, for seed-form manifests), preferring the
 *    active model's id (when the updater installed it); channel and
 *    rollout do not apply to a model asked for by name (min_app_version,
 *    expiry and verification do). Not in the manifest:
 *    INK_ERR_INVALID_ARGUMENT. Older than the active model without
 *    INK_REMOTE_ALLOW_OLDER: INK_ERR_VERIFICATION. The same as the active
 *    one without INK_REMOTE_REINSTALL: INK_OK, *installed false.
 * installed and result may be NULL. On INK_OK with *installed true, the
 * store's active entry is the new model. */
InkStatus ink_remote_install (InkRemote *remote, const char *version, unsigned flags,
                              bool *installed, InkRemoteCheckResult *result, InkError *err);

/* The automatic update: ink_remote_install (remote, NULL, 0, ...). The app
 * calls it when next_check is due (and may skip the install part by
 * calling ink_remote_check instead, to ask the user first). */
InkStatus ink_remote_update (InkRemote *remote, bool *installed, InkRemoteCheckResult *result,
                             InkError *err);

/* Makes the previous model active again (ink_model_store_rollback), with
 * the user's examples re-applied to it (personalize). The model rolled back
 * from is then skipped by automatic updates. No network. */
InkStatus ink_remote_rollback (InkRemote *remote, InkError *err);
/* Makes the bundled model active (ink_model_store_reset), with the user's
 * examples re-applied; forgets the skipped model. No network. */
InkStatus ink_remote_reset (InkRemote *remote, InkError *err);

/* Stops the operation running now at its next transfer callback or step:
 * it fails with INK_ERR_CANCELLED and the current model stays. A partial
 * download is kept for resume.
 * Threads: may be called from any thread (the flag is a C11 atomic), and
 * from the operation's own callbacks. It is checked before every request
 * and during transfers, and between steps: after the check (before
 * verifying the manifest and before choosing a model), before verifying
 * the download, compiling, applying the user's examples and installing;
 * for rollback and reset, before applying the examples and before
 * switching. Once the store's model has been switched the operation
 * completes. No effect when no operation runs: an operation started later
 * is not cancelled by it. */
void ink_remote_cancel (InkRemote *remote);

/* ---- Status and available models ---- */

typedef struct {
  InkModelStoreEntry active; /* borrowed from the store */
  bool has_previous;
  InkModelStoreEntry previous; /* borrowed from the store; zeroed when none */
  const char *store_problem;   /* ink_model_store_get_problem; "" when none */
  const char *manifest_url;    /* the configured one; NULL when none */
  const char *installation_id;
  int64_t last_check;                       /* Unix seconds of the last check; 0 never */
  InkStatus last_status;                    /* its status */
  long last_http_status;                    /* its manifest HTTP status; 0 when none */
  char last_result[INK_ERROR_MESSAGE_SIZE]; /* its reason or error */
  int64_t last_success;                     /* Unix seconds of the last successful check; 0 never */
  int failures;                             /* consecutive failed checks */
  int64_t next_check;                       /* Unix seconds of the next automatic check due */
  int64_t retry_after_until; /* Unix seconds before which the server asked not to come back */
  const char *etag;          /* stored validators; NULL when none */
  const char *last_modified;
  const char *skipped_id; /* a model rolled back from (skipped); NULL when none */
  const char *skipped_version;
} InkRemoteStatus;

/* Fills out (strings borrowed from the updater and its store, valid until
 * the next call on either). No network. */
void ink_remote_get_status (InkRemote *remote, InkRemoteStatus *out);
/* The same as one JSON object (malloc'd):
 *   {"active": ENTRY, "previous": ENTRY|null, "store_problem": "",
 *    "manifest_url": ..., "installation_id": ..., "last_check": ISO|null,
 *    "last_status": "ok", "last_http_status": 200, "last_result": "...",
 *    "last_success": ISO|null, "failures": 0, "next_check": ISO|null,
 *    "retry_after_until": ISO|null, "etag": ..., "last_modified": ...,
 *    "skipped": {"id", "version"}|null,
 *    "available": [AVAILABLE, ...]}
 * ENTRY = {"source", "id", "version", "path", "personal_path", "sha256",
 * "url", "installed_at"} (absent values null); AVAILABLE = the manifest
 * model's fields plus "applies", "reason", "compare", "active",
 * "previous". */
char *ink_remote_status_to_json (InkRemote *remote);

/* A model of the kept (last verified) manifest, judged for this
 * installation. */
typedef struct {
  InkManifestModel model; /* strings borrowed from the updater; valid until the next check */
  bool applies;           /* channel, app version and rollout allow it */
  char reason[256];       /* why not, when it does not apply; else "" */
  int compare;            /* ink_version_compare with the active version (<0 older) */
  bool active;            /* it is the active model (same id and version) */
  bool previous;          /* it is the previous model (the rollback target) */
} InkRemoteAvailable;

/* The models of the kept manifest (none before a first successful check).
 * With no manifest URL configured, those of the URL last checked. */
size_t ink_remote_n_available (InkRemote *remote);
bool ink_remote_get_available (InkRemote *remote, size_t i, InkRemoteAvailable *out);

/* The delay in seconds before the next automatic check, as the updater
 * computes it: with failures == 0, check_interval_s plus up to 10% of it;
 * after n >= 1 consecutive failures, d = min(backoff_max_s,
 * backoff_initial_s * 2^(n-1)) and the delay is d/2 + jitter * d/2. Either
 * way at least retry_after_s (a server's Retry-After, capped to 7 days;
 * 0 when none). jitter is in [0, 1). Exposed for tests and UIs. */
int64_t ink_remote_backoff_delay (const InkRemoteConfig *config, int failures,
                                  int64_t retry_after_s, double jitter);

/* Parses a Retry-After value: delay-seconds or an HTTP date; seconds from
 * now (Unix seconds), or -1 when malformed. */
int64_t ink_remote_parse_retry_after (const char *value, int64_t now);

#ifdef __cplusplus
}
#endif

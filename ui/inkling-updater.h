/* inkling-updater.h: over-the-air model updates in the app (the settings
 * pane's and the automatic checks' side of ink-remote.h)
 *
 * InklingUpdater drives the engine's updater (InkRemote) on the model
 * manager's model store folder: check the server, install a version, roll
 * back, reset to the bundled model. The network and the store work run on
 * one worker thread of its own, one operation after the other (queued in
 * the order asked); results, download progress and each activity log entry
 * come back on the main context. An install, rollback or reset goes
 * through an InklingModelHandoff of the model manager: the user's examples
 * are applied to the new base model on the manager's serial worker and the
 * live model switches on the main thread ("model-changed").
 *
 * Configuration: the properties below (the app binds them to GSettings).
 * The server URL is the manifest's; a URL ending in '/' is a site whose
 * manifest.json is read (as inkling-cli remote --server does).
 *
 * Automatic checks: while "automatic-checks" is on and a server URL is
 * set, the updater runs the engine's automatic update (ink_remote_update)
 * when the engine's next check is due: "check-interval" seconds after a
 * successful check, backing off after failures (the engine's
 * ink_remote_backoff_delay, never before a server's Retry-After), a few
 * seconds after the server, channel, key or CA file changed (unless a check by hand
 * came first), and a few seconds after start when it never checked. A newer model that applies and
 * verifies is installed at once (as DESIGN.md's "Remote updates" has it;
 * a model the user rolled back from is skipped); a "message" says so.
 *
 * Threads: make and use it on the main thread; call
 * inkling_updater_shutdown before the application quits (it cancels the
 * running operation and waits for the worker).
 *
 * Errors: INKLING_ENGINE_ERROR (the engine's status and message),
 * G_IO_ERROR_CANCELLED.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

#include "inkling-available-model.h"
#include "inkling-model-manager.h"

G_BEGIN_DECLS

/* How many activity log lines the updater keeps for the settings pane. */
#define INKLING_UPDATER_LOG_LINES 200

#define INKLING_TYPE_UPDATER (inkling_updater_get_type ())

G_DECLARE_FINAL_TYPE (InklingUpdater, inkling_updater, INKLING, UPDATER, GObject)

/* An updater on manager's model store folder and bundled model (manager
 * must have started). Starts reading the store's state at once. */
InklingUpdater *inkling_updater_new (InklingModelManager *manager);

/* Cancels what runs, drops what is queued (their callbacks get
 * G_IO_ERROR_CANCELLED if the main context runs again), waits for the
 * worker and stops the automatic checks. Nothing can be started after. */
void inkling_updater_shutdown (InklingUpdater *self);

/* Properties (read-write):
 *  "server-url"        the manifest URL, or a site URL ending in '/' ("": none)
 *  "channel"           the manifest channel ("": stable)
 *  "public-key"        a minisign public key ("": manifests are not signed)
 *  "ca-file"           a PEM file of CA certificates trusted for https://
 *                      servers instead of the system's ("": the system's);
 *                      the engine's ca_bundle, as inkling-cli remote
 *                      --ca-file. A check or install fails at once when
 *                      it is set but no file.
 *  "automatic-checks"  see the top of this file
 *  "check-interval"    seconds between successful automatic checks
 * Read-only, notified on change:
 *  "busy"         an operation runs or is queued
 *  "operation"    the one running: "open" (reading the store at start),
 *                 "check", "install", "rollback", "reset", "update"
 *                 (automatic) or ""
 *  "progress"     of the download running, 0..1, or -1 (none or unknown size)
 *  "last-check"   Unix seconds of the last check (0: never)
 *  "last-ok"      it succeeded
 *  "last-result"  its outcome or error in words
 *  "next-check"   Unix seconds of the next automatic check (0: none armed)
 *  "active-name"  the store's active model in words ("2.0.0 (downloaded)")
 *  "previous-name" the rollback target in words ("": none)
 *  "problem"      why the store or its state could not be used ("": none) */
const char *inkling_updater_get_server_url (InklingUpdater *self);
gboolean inkling_updater_get_busy (InklingUpdater *self);
const char *inkling_updater_get_operation (InklingUpdater *self);
double inkling_updater_get_progress (InklingUpdater *self);
gint64 inkling_updater_get_last_check (InklingUpdater *self);
gboolean inkling_updater_get_last_ok (InklingUpdater *self);
const char *inkling_updater_get_last_result (InklingUpdater *self);
gint64 inkling_updater_get_next_check (InklingUpdater *self);
const char *inkling_updater_get_active_name (InklingUpdater *self);
const char *inkling_updater_get_previous_name (InklingUpdater *self);
const char *inkling_updater_get_problem (InklingUpdater *self);

/* The models of the last verified manifest (InklingAvailableModel), as
 * the engine judged them; replaced after each operation. */
GListModel *inkling_updater_get_available (InklingUpdater *self);
/* The activity log's last lines (ink_activity_format), oldest first,
 * NULL-terminated; valid until "log-changed". */
const char *const *inkling_updater_get_log (InklingUpdater *self);
/* The same lines joined with newlines. Free with g_free. */
char *inkling_updater_dup_log_text (InklingUpdater *self);

/* Operations; each finishes with inkling_updater_finish, whose result is
 * the outcome in words ("Version 2.0.0 is available", "Installed version
 * 2.0.0", ...). A failure is an error; the current model stays.
 * install: name is a version (or a seed-form model's id) from the
 * manifest, installed even when older than the active one (the user asked
 * for it); NULL installs the newest model that applies. */
void inkling_updater_check_async (InklingUpdater *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
void inkling_updater_install_async (InklingUpdater *self, const char *name,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
void inkling_updater_rollback_async (InklingUpdater *self, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
void inkling_updater_reset_async (InklingUpdater *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
char *inkling_updater_finish (InklingUpdater *self, GAsyncResult *result, GError **error);

/* Cancels the operation running (the first of "busy"): a download stops
 * at its next progress report, other steps at the next one the engine
 * checks. It then finishes with G_IO_ERROR_CANCELLED, the current model
 * stays (a partial download is kept for resuming), and the activity log
 * says the user cancelled it. Operations queued after it still run.
 * Returns FALSE when none runs (nothing to cancel). */
gboolean inkling_updater_cancel (InklingUpdater *self);

/* Signals (on the main context):
 *  "changed" ()                the status, the available models or the
 *                              log were replaced (after each operation)
 *  "log-changed" ()            a log line was added or the log replaced
 *  "message" (const char *)    something to tell the user: an automatic
 *                              update installed a model */

G_END_DECLS

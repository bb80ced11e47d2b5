/* inkling-updater.c: over-the-air model updates in the app
 *
 * Two sides:
 *  - the worker (one thread of a GThreadPool, so operations run one after
 *    the other): the InkModelStore handle of its own on the manager's
 *    folder (ink-model-store.h allows a handle per thread), the InkRemote,
 *    the bundled model whose features a downloaded model must have. Only
 *    op_run touches them (Worker);
 *  - the main thread: the properties, the status of the last operation
 *    (a Snapshot the worker builds after each one), the log lines, the
 *    automatic checks' timer.
 * An Op is made on the main thread, run on the worker, then completed on
 * the main context, where its GTask returns.
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-config.h"

#include "inkling-updater.h"

#include <string.h>

#include "inkling-engine-autoptr.h"
#include "inkling-error.h"
#include "inkling-tsan-private.h"

/* The manifest file name a site URL ending in '/' gets (as the CLI's). */
#define MANIFEST_NAME "manifest.json"
/* Seconds an automatic check waits after start or a change of server. */
#define SETTLE_S 3
/* The longest timer armed: later checks are re-armed from the wall clock
 * (a monotonic timer does not count a suspended machine's sleep). */
#define MAX_TIMER_S 3600
#define DEFAULT_INTERVAL_S (24 * 3600)

typedef enum {
  OP_OPEN,
  OP_CHECK,
  OP_INSTALL,
  OP_ROLLBACK,
  OP_RESET,
  OP_UPDATE, /* the automatic one */
} OpKind;

static const char *const op_names[] = {"open", "check", "install", "rollback", "reset", "update"};

/* What the worker alone touches. */
typedef struct {
  InkModelStore *store;
  InkRemote *remote;
  InkModel *bundled;
  InkRemoteRequirements required; /* names borrowed from bundled */
  char *open_error;               /* why the store could not be opened */
} Worker;

/* The status after an operation, built on the worker. */
typedef struct {
  gint64 last_check;
  gboolean last_ok;
  char *last_result;
  gint64 next_check; /* the engine's; 0 when never checked */
  char *active_name;
  char *previous_name;
  char *problem;
  GPtrArray *available; /* InklingAvailableModel */
  GPtrArray *log;       /* char *, oldest first */
} Snapshot;

struct _InklingUpdater {
  GObject parent_instance;

  GMainContext *context;
  GThreadPool *pool;
  Worker worker;
  GMutex lock;
  gint shut_down; /* atomic */

  /* Owned References */
  InklingModelManager *manager;
  char *models_dir;
  char *bundled_path;
  char *server_url;
  char *channel;
  char *public_key;
  char *ca_file;
  char *operation;
  char *last_result;
  char *active_name;
  char *previous_name;
  char *problem;
  GListStore *available;
  GPtrArray *log; /* char *, NULL-terminated */

  /* Guarded by lock: the operation running, for cancelling it. */
  gpointer running_op; /* the Op the worker runs, to compare with */
  InkRemote *running_remote;
  InklingModelHandoff *running_handoff;

  GQueue pending; /* the Op of each operation queued or running, in order */
  gboolean automatic;
  guint interval;
  double progress;
  gint64 last_check;
  gboolean last_ok;
  gint64 engine_next_check;
  gint64 next_check;
  gboolean have_status; /* the first snapshot arrived */
  gboolean check_soon;  /* the server changed: check after SETTLE_S */
  int auto_failures;    /* automatic operations that failed before the engine scheduled */
  gint64 retry_at;      /* ... so not before this (Unix seconds) */
  guint timer_id;
};

G_DEFINE_FINAL_TYPE (InklingUpdater, inkling_updater, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SERVER_URL,
  PROP_CHANNEL,
  PROP_PUBLIC_KEY,
  PROP_CA_FILE,
  PROP_AUTOMATIC_CHECKS,
  PROP_CHECK_INTERVAL,
  PROP_BUSY,
  PROP_OPERATION,
  PROP_PROGRESS,
  PROP_LAST_CHECK,
  PROP_LAST_OK,
  PROP_LAST_RESULT,
  PROP_NEXT_CHECK,
  PROP_ACTIVE_NAME,
  PROP_PREVIOUS_NAME,
  PROP_PROBLEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CHANGED,
  LOG_CHANGED,
  MESSAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  OpKind kind;
  InklingUpdater *self;      /* owned */
  GTask *task;               /* owned; main thread only */
  GCancellable *cancellable; /* owned, may be NULL */
  InklingModelHandoff *handoff;

  /* inputs, copied on the main thread */
  char *server_url;
  char *channel;
  char *public_key;
  char *ca_file;
  guint interval;
  char *name;

  /* outputs */
  InkStatus status;
  InkError err;
  bool installed;
  InkRemoteCheckResult result;
  char *summary;
  Snapshot *snapshot;
  int progress_percent;
  gint cancelled; /* atomic: inkling_updater_cancel asked to stop it */
} Op;

/* ---- Small helpers ---- */

/* Runs func on context's thread through its loop (as the model manager's
 * hand-over: never at once in the calling thread). */
static void
hand_over_to_main (GMainContext *context, GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "[inkling] updater hand-over");
  g_source_attach (source, context);
  g_source_unref (source);
}

static void
set_string (InklingUpdater *self, char **field, const char *value, guint prop)
{
  if (value == NULL)
    value = "";
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_int64 (InklingUpdater *self, gint64 *field, gint64 value, guint prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_progress (InklingUpdater *self, double progress)
{
  if (self->progress == progress)
    return;
  self->progress = progress;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static gboolean
is_http_url (const char *url)
{
  return g_str_has_prefix (url, "http://") || g_str_has_prefix (url, "https://");
}

static const char *
error_text (const InkError *err)
{
  return err->message[0] != '\0' ? err->message : ink_status_to_string (err->status);
}

/* "2.0.0 (downloaded)", "1.0.0 (bundled)", "the bundled model", "3.0
 * (opened from a file)". */
static char *
describe_entry (const InkModelStoreEntry *entry)
{
  const char *name = entry->version != NULL ? entry->version : entry->id;

  if (entry->source == INK_MODEL_SOURCE_BUNDLED)
    return entry->version != NULL ? g_strdup_printf ("%s (bundled)", entry->version)
                                  : g_strdup ("the bundled model");
  return g_strdup_printf ("%s (%s)", name != NULL ? name : "a model",
                          ink_model_store_entry_provenance (entry));
}

/* ---- Snapshots ---- */

static void
snapshot_free (Snapshot *s)
{
  if (s == NULL)
    return;
  g_free (s->last_result);
  g_free (s->active_name);
  g_free (s->previous_name);
  g_free (s->problem);
  g_ptr_array_unref (s->available);
  g_ptr_array_unref (s->log);
  g_free (s);
}

static GPtrArray *
read_log (InkModelStore *store)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  InkActivityEntry *entries = NULL;
  size_t n = 0;

  if (ink_activity_read (store, INKLING_UPDATER_LOG_LINES, &entries, &n, NULL) != INK_OK)
    return lines;
  for (size_t i = 0; i < n; i++) {
    char text[INK_ACTIVITY_MESSAGE_SIZE + 256];

    ink_activity_format (&entries[i], text, sizeof text);
    g_ptr_array_add (lines, g_strdup (text));
  }
  free (entries);
  return lines;
}

/* On the worker, after an operation (remote may be NULL: no updater yet). */
static Snapshot *
snapshot_new (Worker *w)
{
  Snapshot *s = g_new0 (Snapshot, 1);
  InkModelStoreEntry entry;

  s->available = g_ptr_array_new_with_free_func (g_object_unref);
  if (w->store == NULL) {
    s->log = g_ptr_array_new_with_free_func (g_free);
    s->problem = g_strdup (w->open_error);
    return s;
  }
  s->log = read_log (w->store);
  if (w->remote != NULL) {
    InkRemoteStatus st;

    ink_remote_get_status (w->remote, &st);
    s->last_check = st.last_check;
    s->last_ok = st.last_status == INK_OK;
    s->last_result = g_strdup (st.last_result);
    s->next_check = st.next_check;
    s->problem = g_strdup (st.store_problem);
    s->active_name = describe_entry (&st.active);
    s->previous_name = st.has_previous ? describe_entry (&st.previous) : NULL;
    for (size_t i = 0; i < ink_remote_n_available (w->remote); i++) {
      InkRemoteAvailable available;

      if (ink_remote_get_available (w->remote, i, &available))
        g_ptr_array_add (s->available, inkling_available_model_new (&available));
    }
  } else {
    ink_model_store_refresh (w->store, NULL);
    ink_model_store_get_active (w->store, &entry);
    s->active_name = describe_entry (&entry);
    if (ink_model_store_get_previous (w->store, &entry))
      s->previous_name = describe_entry (&entry);
    s->problem = g_strdup (ink_model_store_get_problem (w->store));
  }
  return s;
}

/* ---- Ops ---- */

static Op *
op_new (InklingUpdater *self, OpKind kind, GCancellable *cancellable, GAsyncReadyCallback callback,
        gpointer user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  op->self = g_object_ref (self);
  op->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (op->task, inkling_updater_finish);
  op->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  op->server_url = g_strdup (self->server_url);
  op->channel = g_strdup (self->channel);
  op->public_key = g_strdup (self->public_key);
  op->ca_file = g_strdup (self->ca_file);
  op->interval = self->interval;
  op->progress_percent = -1;
  return op;
}

static void
op_free (Op *op)
{
  g_clear_object (&op->task);
  g_clear_object (&op->cancellable);
  g_clear_pointer (&op->handoff, inkling_model_handoff_unref);
  g_free (op->server_url);
  g_free (op->channel);
  g_free (op->public_key);
  g_free (op->ca_file);
  g_free (op->name);
  g_free (op->summary);
  snapshot_free (op->snapshot);
  g_clear_object (&op->self);
  g_free (op);
}

/* ---- Engine callbacks, on the worker ---- */

typedef struct {
  InklingUpdater *self;
  char *line;
} LogLine;

static void
log_line_free (gpointer data)
{
  LogLine *l = data;

  INKLING_TSAN_ACQUIRE (l);
  g_object_unref (l->self);
  g_free (l->line);
  g_free (l);
}

static gboolean
log_line_on_main (gpointer data)
{
  LogLine *l = data;
  InklingUpdater *self;

  INKLING_TSAN_ACQUIRE (l);
  self = l->self;
  /* The array ends with NULL: insert before it, drop the oldest. */
  g_ptr_array_insert (self->log, (int) self->log->len - 1, g_steal_pointer (&l->line));
  while (self->log->len > INKLING_UPDATER_LOG_LINES + 1)
    g_ptr_array_remove_index (self->log, 0);
  g_signal_emit (self, signals[LOG_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static void
on_log (const InkActivityEntry *entry, void *user_data)
{
  Op *op = user_data;
  LogLine *l = g_new0 (LogLine, 1);
  char text[INK_ACTIVITY_MESSAGE_SIZE + 256];

  /* A cancel that came after op_run looked but before the engine's
   * operation began was lost there: the engine logs as each step starts,
   * so ask again (the engine stops before its next step). */
  if (g_atomic_int_get (&op->cancelled) || g_atomic_int_get (&op->self->shut_down))
    ink_remote_cancel (op->self->worker.remote);
  ink_activity_format (entry, text, sizeof text);
  l->self = g_object_ref (op->self);
  l->line = g_strdup (text);
  INKLING_TSAN_RELEASE (l);
  hand_over_to_main (op->self->context, log_line_on_main, l, log_line_free);
}

typedef struct {
  InklingUpdater *self;
  double progress;
} Progress;

static void
progress_free (gpointer data)
{
  Progress *p = data;

  INKLING_TSAN_ACQUIRE (p);
  g_object_unref (p->self);
  g_free (p);
}

static gboolean
progress_on_main (gpointer data)
{
  Progress *p = data;

  INKLING_TSAN_ACQUIRE (p);
  if (p->self->pending.length > 0)
    set_progress (p->self, p->progress);
  return G_SOURCE_REMOVE;
}

static bool
on_progress (int64_t received, int64_t total, void *user_data)
{
  Op *op = user_data;
  int percent = total > 0 ? (int) (CLAMP (received, 0, total) * 100 / total) : -1;
  Progress *p;

  if (percent == op->progress_percent)
    return !g_atomic_int_get (&op->self->shut_down) && !g_atomic_int_get (&op->cancelled);
  op->progress_percent = percent;
  p = g_new0 (Progress, 1);
  p->self = g_object_ref (op->self);
  p->progress = percent >= 0 ? percent / 100.0 : -1;
  INKLING_TSAN_RELEASE (p);
  hand_over_to_main (op->self->context, progress_on_main, p, progress_free);
  return !g_atomic_int_get (&op->self->shut_down) && !g_atomic_int_get (&op->cancelled);
}

/* A downloaded model must be a classifier with an image input, as the
 * pages need (the bundled model's features are required too). */
static InkStatus
fit_check (const InkModel *model, void *user_data, InkError *err)
{
  const InkModelDescription *d = ink_model_get_description (model);

  if (ink_description_predicted_feature_name (d)[0] == '\0')
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "the model is not a classifier");
  for (size_t i = 0; i < ink_description_n_inputs (d); i++) {
    if (ink_description_input (d, i)->type.type == INK_VALUE_IMAGE)
      return INK_OK;
  }
  return ink_error_set (err, INK_ERR_UNSUPPORTED, "the model has no image input");
}

/* Stops what the worker runs now; called with the lock held. */
static void
cancel_running_locked (InklingUpdater *self)
{
  if (self->running_remote != NULL)
    ink_remote_cancel (self->running_remote);
  if (self->running_handoff != NULL)
    inkling_model_handoff_cancel (self->running_handoff);
}

static void
cancel_remote (GCancellable *cancellable, gpointer user_data)
{
  InklingUpdater *self = user_data;

  g_mutex_lock (&self->lock);
  INKLING_TSAN_ACQUIRE (&self->lock);
  cancel_running_locked (self);
  INKLING_TSAN_RELEASE (&self->lock);
  g_mutex_unlock (&self->lock);
}

/* ---- The worker ---- */

static void
worker_open (InklingUpdater *self)
{
  Worker *w = &self->worker;
  InkError err;

  ink_error_clear (&err);
  w->store = ink_model_store_open (self->models_dir, self->bundled_path, &err);
  if (w->store == NULL) {
    w->open_error = g_strdup_printf ("The model folder %s cannot be used: %s", self->models_dir,
                                     error_text (&err));
    return;
  }
  w->bundled = ink_model_store_load_entry (
    w->store,
    &(InkModelStoreEntry){.source = INK_MODEL_SOURCE_BUNDLED,
                          .id = INK_MODEL_STORE_BUNDLED_ID,
                          .path = ink_model_store_get_bundled_path (w->store)},
    &err);
  if (w->bundled != NULL) {
    const InkModelDescription *d = ink_model_get_description (w->bundled);
    InkMetadata metadata = ink_description_metadata (d);

    if (metadata.version != NULL && ink_version_is_valid (metadata.version))
      ink_model_store_set_bundled_version (w->store, metadata.version);
    if (ink_remote_requirements_from_description (d, &w->required, &err) != INK_OK)
      g_message ("The bundled model's features cannot be listed (%s): downloaded models are not "
                 "checked against them",
                 error_text (&err));
  } else {
    g_message ("The bundled model does not load (%s): downloaded models are not checked "
               "against its features",
               error_text (&err));
  }
}

/* The engine's updater with the op's configuration. */
static InkStatus
worker_configure (InklingUpdater *self, Op *op)
{
  Worker *w = &self->worker;
  g_autofree char *url = NULL;
  InkRemoteConfig config;

  if (op->server_url[0] != '\0' && is_http_url (op->server_url))
    url = g_str_has_suffix (op->server_url, "/") ? g_strconcat (op->server_url, MANIFEST_NAME, NULL)
                                                 : g_strdup (op->server_url);
  if ((op->kind == OP_CHECK || op->kind == OP_INSTALL || op->kind == OP_UPDATE) && url == NULL)
    return ink_error_set (&op->err, INK_ERR_INVALID_ARGUMENT,
                          op->server_url[0] == '\0'
                            ? "no model server is set: enter its URL first"
                            : "the server URL must start with http:// or https://");
  /* (as inkling-cli remote --ca-file) */
  if ((op->kind == OP_CHECK || op->kind == OP_INSTALL || op->kind == OP_UPDATE) &&
      op->ca_file[0] != '\0' && !g_file_test (op->ca_file, G_FILE_TEST_IS_REGULAR))
    return ink_error_set (&op->err, INK_ERR_INVALID_ARGUMENT,
                          "%s: no such file (the CA certificates file must be a PEM file of CA "
                          "certificates; clear it to trust the system's)",
                          op->ca_file);

  ink_remote_config_init (&config);
  config.manifest_url = url;
  config.channel = op->channel[0] != '\0' ? op->channel : NULL;
  config.app_version = INKLING_VERSION;
  config.public_key = op->public_key[0] != '\0' ? op->public_key : NULL;
  config.ca_bundle = op->ca_file[0] != '\0' ? op->ca_file : NULL;
  config.check_interval_s = op->interval;
  config.required_inputs = w->required.inputs;
  config.n_required_inputs = w->required.n_inputs;
  config.required_outputs = w->required.outputs;
  config.n_required_outputs = w->required.n_outputs;
  config.fit = fit_check;
  if (op->handoff != NULL) {
    config.personalize = inkling_model_handoff_personalize;
    config.personalize_data = op->handoff;
  }
  config.progress = on_progress;
  config.progress_data = op;
  config.log = on_log;
  config.log_data = op;

  if (w->remote == NULL) {
    w->remote = ink_remote_new (w->store, &config, &op->err);
    return w->remote != NULL ? INK_OK : op->err.status;
  }
  return ink_remote_set_config (w->remote, &config, &op->err);
}

static void
op_describe_outcome (Op *op)
{
  InkModelStoreEntry active;
  g_autofree char *name = NULL;
  const InkRemoteCheckResult *r = &op->result;

  switch (op->kind) {
  case OP_OPEN: break;
  case OP_CHECK:
    if (r->outcome == INK_CHECK_UPDATE_AVAILABLE)
      op->summary = g_strdup_printf ("Version %s is available", r->version[0] ? r->version : r->id);
    else
      op->summary = g_strdup_printf ("No new model%s%s", r->reason[0] ? ": " : "", r->reason);
    break;
  case OP_INSTALL:
  case OP_UPDATE:
    ink_model_store_get_active (op->self->worker.store, &active);
    name = describe_entry (&active);
    if (op->installed)
      op->summary = g_strdup_printf ("Installed version %s", name);
    else
      op->summary = g_strdup_printf ("Nothing installed%s%s", r->reason[0] ? ": " : "", r->reason);
    break;
  case OP_ROLLBACK:
  case OP_RESET:
    ink_model_store_get_active (op->self->worker.store, &active);
    name = describe_entry (&active);
    op->summary =
      g_strdup_printf ("%s %s", op->kind == OP_ROLLBACK ? "Rolled back to" : "Reset to", name);
    break;
  }
}

static void
op_run_engine (InklingUpdater *self, Op *op)
{
  Worker *w = &self->worker;

  switch (op->kind) {
  case OP_OPEN: op->status = INK_OK; return;
  case OP_CHECK: op->status = ink_remote_check (w->remote, &op->result, &op->err); break;
  case OP_INSTALL:
    op->status =
      ink_remote_install (w->remote, op->name, op->name != NULL ? INK_REMOTE_ALLOW_OLDER : 0,
                          &op->installed, &op->result, &op->err);
    break;
  case OP_UPDATE:
    op->status = ink_remote_update (w->remote, &op->installed, &op->result, &op->err);
    break;
  case OP_ROLLBACK: op->status = ink_remote_rollback (w->remote, &op->err); break;
  case OP_RESET: op->status = ink_remote_reset (w->remote, &op->err); break;
  }
  if (op->status == INK_OK)
    op_describe_outcome (op);
}

/* The user's cancel in the activity log, after what the engine logged of
 * where it stopped. */
static void
log_cancelled (Worker *w, Op *op)
{
  InkActivityEntry entry = {
    .time_ms = g_get_real_time () / 1000,
    .step = INK_ACTIVITY_DECISION,
    .level = INK_ACTIVITY_INFO,
    .status = INK_ERR_CANCELLED,
    .bytes = -1,
  };
  InkModelStoreEntry active;
  g_autofree char *name = NULL;

  ink_model_store_refresh (w->store, NULL);
  ink_model_store_get_active (w->store, &active);
  name = describe_entry (&active);
  g_snprintf (entry.message, sizeof entry.message,
              "%s cancelled by the user; the running model stays %s", op_names[op->kind], name);
  ink_activity_append (w->store, &entry, 0, NULL);
}

static gboolean op_complete_on_main (gpointer data);
static void op_complete_free (gpointer data);

static void
op_run (gpointer data, gpointer user_data)
{
  Op *op = data;
  InklingUpdater *self;
  Worker *w;
  GMainContext *context;
  gulong handler = 0;
  gboolean switched;

  INKLING_TSAN_ACQUIRE (op);
  self = op->self;
  w = &self->worker;
  INKLING_TSAN_ACQUIRE (w);
  ink_error_clear (&op->err);

  if (op->kind == OP_OPEN)
    worker_open (self);
  if (g_atomic_int_get (&self->shut_down) || g_atomic_int_get (&op->cancelled) ||
      (op->cancellable != NULL && g_cancellable_is_cancelled (op->cancellable))) {
    op->status = ink_error_set (&op->err, INK_ERR_CANCELLED, "cancelled");
  } else if (w->store == NULL) {
    op->status = ink_error_set (&op->err, INK_ERR_IO, "%s", w->open_error);
  } else if (worker_configure (self, op) != INK_OK) {
    op->status = op->err.status;
  } else {
    g_mutex_lock (&self->lock);
    INKLING_TSAN_ACQUIRE (&self->lock);
    self->running_op = op;
    self->running_remote = w->remote;
    self->running_handoff = op->handoff;
    INKLING_TSAN_RELEASE (&self->lock);
    g_mutex_unlock (&self->lock);
    if (op->cancellable != NULL)
      handler = g_cancellable_connect (op->cancellable, G_CALLBACK (cancel_remote), self, NULL);
    /* shutdown() may have looked before running_remote was set */
    if (g_atomic_int_get (&self->shut_down))
      cancel_remote (NULL, self);

    /* (so may inkling_updater_cancel: the engine only hears of a cancel
     * while it runs) */
    if (g_atomic_int_get (&op->cancelled))
      op->status = ink_error_set (&op->err, INK_ERR_CANCELLED, "cancelled");
    else
      op_run_engine (self, op);

    if (handler != 0)
      g_cancellable_disconnect (op->cancellable, handler);
    g_mutex_lock (&self->lock);
    INKLING_TSAN_ACQUIRE (&self->lock);
    self->running_op = NULL;
    self->running_remote = NULL;
    self->running_handoff = NULL;
    INKLING_TSAN_RELEASE (&self->lock);
    g_mutex_unlock (&self->lock);
  }
  if (op->status == INK_ERR_CANCELLED && g_atomic_int_get (&op->cancelled) && w->store != NULL)
    log_cancelled (w, op);

  switched =
    op->status == INK_OK && (op->kind == OP_ROLLBACK || op->kind == OP_RESET || op->installed);
  if (op->handoff != NULL)
    inkling_model_handoff_done (op->handoff, switched);
  op->snapshot = snapshot_new (w);

  context = self->context; /* op (and self) are the main thread's once handed over */
  INKLING_TSAN_RELEASE (w);
  INKLING_TSAN_RELEASE (op);
  hand_over_to_main (context, op_complete_on_main, op, op_complete_free);
}

/* ---- Automatic checks (main thread) ---- */

static void run_op (InklingUpdater *self, Op *op);

static gboolean
automatic_wanted (InklingUpdater *self)
{
  return self->automatic && self->server_url[0] != '\0' && !g_atomic_int_get (&self->shut_down);
}

static gboolean on_timer (gpointer user_data);

/* (Re-)arms the timer for the next automatic check. */
static void
schedule (InklingUpdater *self)
{
  gint64 now = now_s ();
  gint64 due;

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (!automatic_wanted (self) || !self->have_status) {
    set_int64 (self, &self->next_check, 0, PROP_NEXT_CHECK);
    return;
  }
  if (self->check_soon || self->engine_next_check <= 0)
    due = now + SETTLE_S;
  else
    due = self->engine_next_check;
  due = MAX (due, self->retry_at);
  set_int64 (self, &self->next_check, due, PROP_NEXT_CHECK);
  self->timer_id =
    g_timeout_add_seconds ((guint) CLAMP (due - now, 1, MAX_TIMER_S), on_timer, self);
}

static gboolean
on_timer (gpointer user_data)
{
  InklingUpdater *self = user_data;

  self->timer_id = 0;
  if (!automatic_wanted (self))
    return G_SOURCE_REMOVE;
  if (now_s () < self->next_check) {
    schedule (self);
  } else if (self->pending.length == 0) {
    /* (When busy, the operation's end re-arms.) */
    Op *op = op_new (self, OP_UPDATE, NULL, NULL, NULL);

    self->check_soon = FALSE;
    op->handoff = inkling_model_manager_new_handoff (self->manager, INKLING_UPDATE_KIND_INSTALL);
    run_op (self, op);
  }
  return G_SOURCE_REMOVE;
}

/* After an automatic operation: backs off when it failed before the
 * engine scheduled the next check (e.g. a bad key or URL). */
static void
automatic_done (InklingUpdater *self, Op *op)
{
  gint64 now = now_s ();

  if (op->status == INK_OK) {
    self->auto_failures = 0;
    self->retry_at = 0;
    if (op->installed)
      g_signal_emit (self, signals[MESSAGE], 0,
                     op->summary != NULL ? op->summary : "A new model was installed");
  } else if (op->snapshot->next_check <= now) {
    InkRemoteConfig config;

    ink_remote_config_init (&config);
    config.check_interval_s = self->interval;
    self->auto_failures = MIN (self->auto_failures + 1, 30);
    self->retry_at =
      now + ink_remote_backoff_delay (&config, self->auto_failures, 0, g_random_double ());
  }
}

/* ---- Completing on the main thread ---- */

static void
apply_snapshot (InklingUpdater *self, Snapshot *s)
{
  g_object_freeze_notify (G_OBJECT (self));
  set_int64 (self, &self->last_check, s->last_check, PROP_LAST_CHECK);
  if (self->last_ok != s->last_ok) {
    self->last_ok = s->last_ok;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_OK]);
  }
  set_string (self, &self->last_result, s->last_result, PROP_LAST_RESULT);
  set_string (self, &self->active_name, s->active_name, PROP_ACTIVE_NAME);
  set_string (self, &self->previous_name, s->previous_name, PROP_PREVIOUS_NAME);
  set_string (self, &self->problem, s->problem, PROP_PROBLEM);
  self->engine_next_check = s->next_check;
  self->have_status = TRUE;
  g_list_store_splice (self->available, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (self->available)),
                       s->available->pdata, s->available->len);
  g_ptr_array_set_size (self->log, 0);
  for (guint i = 0; i < s->log->len; i++)
    g_ptr_array_add (self->log, g_strdup (g_ptr_array_index (s->log, i)));
  g_ptr_array_add (self->log, NULL);
  g_object_thaw_notify (G_OBJECT (self));
  g_signal_emit (self, signals[CHANGED], 0);
  g_signal_emit (self, signals[LOG_CHANGED], 0);
}

static void
op_complete_free (gpointer data)
{
  Op *op = data;

  INKLING_TSAN_ACQUIRE (op);
  op_free (op);
}

static gboolean
op_complete_on_main (gpointer data)
{
  Op *op = data;
  InklingUpdater *self;

  INKLING_TSAN_ACQUIRE (op);
  self = op->self;
  apply_snapshot (self, op->snapshot);
  if (op->kind == OP_UPDATE)
    automatic_done (self, op);
  /* The server as set now was checked: the engine's schedule holds again. */
  if (op->status == INK_OK && (op->kind == OP_CHECK || op->kind == OP_INSTALL) &&
      g_strcmp0 (op->server_url, self->server_url) == 0)
    self->check_soon = FALSE;

  g_assert (g_queue_peek_head (&self->pending) == op);
  g_queue_pop_head (&self->pending);
  set_progress (self, -1);
  if (self->pending.length == 0) {
    set_string (self, &self->operation, "", PROP_OPERATION);
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  } else {
    set_string (self, &self->operation, op_names[((Op *) g_queue_peek_head (&self->pending))->kind],
                PROP_OPERATION);
  }
  schedule (self);

  if (op->status == INK_OK) {
    g_task_return_pointer (op->task, g_steal_pointer (&op->summary), g_free);
  } else if (op->status == INK_ERR_CANCELLED) {
    g_task_return_new_error (op->task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%c%s cancelled",
                             g_ascii_toupper (op_names[op->kind][0]), op_names[op->kind] + 1);
  } else {
    g_autoptr (GError) error = NULL;

    inkling_set_engine_error (&error, &op->err);
    g_prefix_error (&error, "%c%s failed: ", g_ascii_toupper (op_names[op->kind][0]),
                    op_names[op->kind] + 1);
    g_task_return_error (op->task, g_steal_pointer (&error));
  }
  return G_SOURCE_REMOVE;
}

static void
run_op (InklingUpdater *self, Op *op)
{
  if (g_atomic_int_get (&self->shut_down)) {
    g_task_return_new_error (op->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "the updater was shut down");
    op_free (op);
    return;
  }
  g_queue_push_tail (&self->pending, op);
  if (self->pending.length == 1) {
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    set_string (self, &self->operation, op_names[op->kind], PROP_OPERATION);
    set_progress (self, -1);
  }
  INKLING_TSAN_RELEASE (op);
  g_thread_pool_push (self->pool, op, NULL);
}

/* ---- Public API ---- */

InklingUpdater *
inkling_updater_new (InklingModelManager *manager)
{
  InklingUpdater *self;

  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (manager), NULL);

  self = g_object_new (INKLING_TYPE_UPDATER, NULL);
  self->manager = g_object_ref (manager);
  self->models_dir = g_strdup (inkling_model_manager_get_models_dir (manager));
  self->bundled_path = g_strdup (inkling_model_manager_get_bundled_path (manager));
  run_op (self, op_new (self, OP_OPEN, NULL, NULL, NULL));
  return self;
}

void
inkling_updater_shutdown (InklingUpdater *self)
{
  g_return_if_fail (INKLING_IS_UPDATER (self));

  if (g_atomic_int_get (&self->shut_down))
    return;
  g_atomic_int_set (&self->shut_down, 1);
  g_clear_handle_id (&self->timer_id, g_source_remove);
  cancel_remote (NULL, self);
  g_thread_pool_free (self->pool, FALSE, TRUE);
  self->pool = NULL;
}

static void
start (InklingUpdater *self, OpKind kind, const char *name, GCancellable *cancellable,
       GAsyncReadyCallback callback, gpointer user_data)
{
  Op *op = op_new (self, kind, cancellable, callback, user_data);

  op->name = g_strdup (name);
  if (kind == OP_INSTALL || kind == OP_ROLLBACK || kind == OP_RESET)
    op->handoff = inkling_model_manager_new_handoff (
      self->manager, kind == OP_INSTALL    ? INKLING_UPDATE_KIND_INSTALL
                     : kind == OP_ROLLBACK ? INKLING_UPDATE_KIND_ROLLBACK
                                           : INKLING_UPDATE_KIND_RESET_MODEL);
  run_op (self, op);
}

void
inkling_updater_check_async (InklingUpdater *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (INKLING_IS_UPDATER (self));
  start (self, OP_CHECK, NULL, cancellable, callback, user_data);
}

void
inkling_updater_install_async (InklingUpdater *self, const char *name, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (INKLING_IS_UPDATER (self));
  start (self, OP_INSTALL, name != NULL && name[0] != '\0' ? name : NULL, cancellable, callback,
         user_data);
}

void
inkling_updater_rollback_async (InklingUpdater *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (INKLING_IS_UPDATER (self));
  start (self, OP_ROLLBACK, NULL, cancellable, callback, user_data);
}

void
inkling_updater_reset_async (InklingUpdater *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (INKLING_IS_UPDATER (self));
  start (self, OP_RESET, NULL, cancellable, callback, user_data);
}

gboolean
inkling_updater_cancel (InklingUpdater *self)
{
  Op *op;

  g_return_val_if_fail (INKLING_IS_UPDATER (self), FALSE);

  op = g_queue_peek_head (&self->pending);
  if (op == NULL || op->kind == OP_OPEN)
    return FALSE;
  g_atomic_int_set (&op->cancelled, 1);
  /* The engine's cancel only when the worker runs this op now (not yet:
   * op_run sees the flag; already done: its completion is on its way). */
  g_mutex_lock (&self->lock);
  INKLING_TSAN_ACQUIRE (&self->lock);
  if (self->running_op == op)
    cancel_running_locked (self);
  INKLING_TSAN_RELEASE (&self->lock);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

char *
inkling_updater_finish (InklingUpdater *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
inkling_updater_get_server_url (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), NULL);
  return self->server_url;
}

gboolean
inkling_updater_get_busy (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), FALSE);
  return self->pending.length > 0;
}

const char *
inkling_updater_get_operation (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), NULL);
  return self->operation;
}

double
inkling_updater_get_progress (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), -1);
  return self->progress;
}

gint64
inkling_updater_get_last_check (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), 0);
  return self->last_check;
}

gboolean
inkling_updater_get_last_ok (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), FALSE);
  return self->last_ok;
}

const char *
inkling_updater_get_last_result (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), NULL);
  return self->last_result;
}

gint64
inkling_updater_get_next_check (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), 0);
  return self->next_check;
}

const char *
inkling_updater_get_active_name (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), NULL);
  return self->active_name;
}

const char *
inkling_updater_get_previous_name (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), NULL);
  return self->previous_name;
}

const char *
inkling_updater_get_problem (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), NULL);
  return self->problem;
}

GListModel *
inkling_updater_get_available (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), NULL);
  return G_LIST_MODEL (self->available);
}

const char *const *
inkling_updater_get_log (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), NULL);
  return (const char *const *) self->log->pdata;
}

char *
inkling_updater_dup_log_text (InklingUpdater *self)
{
  g_return_val_if_fail (INKLING_IS_UPDATER (self), NULL);
  return g_strjoinv ("\n", (char **) self->log->pdata);
}

/* ---- GObject ---- */

static void
inkling_updater_set_setting (InklingUpdater *self, guint prop_id, const GValue *value)
{
  gboolean server_changed = FALSE;

  switch (prop_id) {
  case PROP_SERVER_URL:
    server_changed = g_strcmp0 (self->server_url, g_value_get_string (value)) != 0;
    set_string (self, &self->server_url, g_value_get_string (value), PROP_SERVER_URL);
    break;
  case PROP_CHANNEL:
    server_changed = g_strcmp0 (self->channel, g_value_get_string (value)) != 0;
    set_string (self, &self->channel, g_value_get_string (value), PROP_CHANNEL);
    break;
  case PROP_PUBLIC_KEY:
    server_changed = g_strcmp0 (self->public_key, g_value_get_string (value)) != 0;
    set_string (self, &self->public_key, g_value_get_string (value), PROP_PUBLIC_KEY);
    break;
  case PROP_CA_FILE:
    server_changed = g_strcmp0 (self->ca_file, g_value_get_string (value)) != 0;
    set_string (self, &self->ca_file, g_value_get_string (value), PROP_CA_FILE);
    break;
  case PROP_AUTOMATIC_CHECKS:
    if (self->automatic == g_value_get_boolean (value))
      return;
    self->automatic = g_value_get_boolean (value);
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
    break;
  case PROP_CHECK_INTERVAL:
    if (self->interval == g_value_get_uint (value))
      return;
    self->interval = g_value_get_uint (value);
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
    return; /* the engine's next check counts it after the next check */
  default: g_assert_not_reached ();
  }
  if (server_changed) {
    self->check_soon = TRUE;
    self->auto_failures = 0;
    self->retry_at = 0;
  }
  schedule (self);
}

static void
inkling_updater_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  InklingUpdater *self = INKLING_UPDATER (object);

  switch (prop_id) {
  case PROP_SERVER_URL:
  case PROP_CHANNEL:
  case PROP_PUBLIC_KEY:
  case PROP_CA_FILE:
  case PROP_AUTOMATIC_CHECKS:
  case PROP_CHECK_INTERVAL: inkling_updater_set_setting (self, prop_id, value); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_updater_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  InklingUpdater *self = INKLING_UPDATER (object);

  switch (prop_id) {
  case PROP_SERVER_URL: g_value_set_string (value, self->server_url); break;
  case PROP_CHANNEL: g_value_set_string (value, self->channel); break;
  case PROP_PUBLIC_KEY: g_value_set_string (value, self->public_key); break;
  case PROP_CA_FILE: g_value_set_string (value, self->ca_file); break;
  case PROP_AUTOMATIC_CHECKS: g_value_set_boolean (value, self->automatic); break;
  case PROP_CHECK_INTERVAL: g_value_set_uint (value, self->interval); break;
  case PROP_BUSY: g_value_set_boolean (value, self->pending.length > 0); break;
  case PROP_OPERATION: g_value_set_string (value, self->operation); break;
  case PROP_PROGRESS: g_value_set_double (value, self->progress); break;
  case PROP_LAST_CHECK: g_value_set_int64 (value, self->last_check); break;
  case PROP_LAST_OK: g_value_set_boolean (value, self->last_ok); break;
  case PROP_LAST_RESULT: g_value_set_string (value, self->last_result); break;
  case PROP_NEXT_CHECK: g_value_set_int64 (value, self->next_check); break;
  case PROP_ACTIVE_NAME: g_value_set_string (value, self->active_name); break;
  case PROP_PREVIOUS_NAME: g_value_set_string (value, self->previous_name); break;
  case PROP_PROBLEM: g_value_set_string (value, self->problem); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_updater_dispose (GObject *object)
{
  InklingUpdater *self = INKLING_UPDATER (object);

  /* Ops hold a reference: none is queued or running by now. */
  inkling_updater_shutdown (self);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (inkling_updater_parent_class)->dispose (object);
}

static void
inkling_updater_finalize (GObject *object)
{
  InklingUpdater *self = INKLING_UPDATER (object);
  Worker *w = &self->worker;

  INKLING_TSAN_ACQUIRE (w);
  g_clear_pointer (&w->remote, ink_remote_free);
  g_clear_pointer (&w->store, ink_model_store_free);
  g_clear_pointer (&w->bundled, ink_model_free);
  ink_remote_requirements_clear (&w->required);
  g_clear_pointer (&w->open_error, g_free);
  g_clear_pointer (&self->models_dir, g_free);
  g_clear_pointer (&self->bundled_path, g_free);
  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->channel, g_free);
  g_clear_pointer (&self->public_key, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->operation, g_free);
  g_clear_pointer (&self->last_result, g_free);
  g_clear_pointer (&self->active_name, g_free);
  g_clear_pointer (&self->previous_name, g_free);
  g_clear_pointer (&self->problem, g_free);
  g_clear_object (&self->available);
  g_clear_pointer (&self->log, g_ptr_array_unref);
  g_queue_clear (&self->pending);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (inkling_updater_parent_class)->finalize (object);
}

static void
inkling_updater_class_init (InklingUpdaterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = inkling_updater_dispose;
  object_class->finalize = inkling_updater_finalize;
  object_class->get_property = inkling_updater_get_property;
  object_class->set_property = inkling_updater_set_property;

  properties[PROP_SERVER_URL] = g_param_spec_string ("server-url", NULL, NULL, "", rw);
  properties[PROP_CHANNEL] = g_param_spec_string ("channel", NULL, NULL, "", rw);
  properties[PROP_PUBLIC_KEY] = g_param_spec_string ("public-key", NULL, NULL, "", rw);
  properties[PROP_CA_FILE] = g_param_spec_string ("ca-file", NULL, NULL, "", rw);
  properties[PROP_AUTOMATIC_CHECKS] =
    g_param_spec_boolean ("automatic-checks", NULL, NULL, FALSE, rw);
  properties[PROP_CHECK_INTERVAL] =
    g_param_spec_uint ("check-interval", NULL, NULL, 1, G_MAXUINT, DEFAULT_INTERVAL_S, rw);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, ro);
  properties[PROP_OPERATION] = g_param_spec_string ("operation", NULL, NULL, "", ro);
  properties[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, -1, 1, -1, ro);
  properties[PROP_LAST_CHECK] = g_param_spec_int64 ("last-check", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_LAST_OK] = g_param_spec_boolean ("last-ok", NULL, NULL, FALSE, ro);
  properties[PROP_LAST_RESULT] = g_param_spec_string ("last-result", NULL, NULL, "", ro);
  properties[PROP_NEXT_CHECK] = g_param_spec_int64 ("next-check", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_ACTIVE_NAME] = g_param_spec_string ("active-name", NULL, NULL, "", ro);
  properties[PROP_PREVIOUS_NAME] = g_param_spec_string ("previous-name", NULL, NULL, "", ro);
  properties[PROP_PROBLEM] = g_param_spec_string ("problem", NULL, NULL, "", ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);
  signals[LOG_CHANGED] = g_signal_new ("log-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
inkling_updater_init (InklingUpdater *self)
{
  self->context = g_main_context_ref_thread_default ();
  g_mutex_init (&self->lock);
  self->pool = g_thread_pool_new (op_run, NULL, 1, FALSE, NULL);
  self->server_url = g_strdup ("");
  self->channel = g_strdup ("");
  self->public_key = g_strdup ("");
  self->ca_file = g_strdup ("");
  self->operation = g_strdup ("");
  self->last_result = g_strdup ("");
  self->active_name = g_strdup ("");
  self->previous_name = g_strdup ("");
  self->problem = g_strdup ("");
  self->interval = DEFAULT_INTERVAL_S;
  self->progress = -1;
  self->available = g_list_store_new (INKLING_TYPE_AVAILABLE_MODEL);
  self->log = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->log, NULL);
}

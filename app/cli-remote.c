/* cli-remote.c: `inkling-cli remote status|check|install [VERSION]|rollback|reset`,
 * the app's updater (ink-remote.h) and model store (ink-model-store.h)
 * from the command line, for QA and demos
 *
 * The same engine code as the app's settings pane: the store folder is the
 * app's (unless --store), the bundled model the app's (unless --bundled),
 * and a downloaded model must take the bundled model's inputs and give its
 * outputs, as the app requires. Operations run on a worker thread; its
 * callbacks print the activity log and download progress as they happen,
 * while the main thread waits for SIGINT or SIGTERM (GLib's handler only
 * wakes it) and then cancels the operation: the current model stays.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-examples.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef INKLING_APP_ID
#define INKLING_APP_ID "io.github.inkling.Inkling"
#endif
#ifndef INKLING_BUNDLED_MODEL_PATH
#define INKLING_BUNDLED_MODEL_PATH "/usr/share/inkling/models/drawing-classifier.inkmodel"
#endif

/* The manifest file name a site URL ending in '/' gets (cli-publish.c). */
#define MANIFEST_NAME "manifest.json"
/* Activity log entries `remote status` shows (text) or includes (JSON). */
#define STATUS_LOG_TEXT 12
#define STATUS_LOG_JSON 200
/* Progress lines at most this often (microseconds). */
#define PROGRESS_INTERVAL (250 * 1000)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkUpdateConfig, ink_update_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkUpdateTask, ink_update_task_free)

typedef enum {
  OP_STATUS,
  OP_CHECK,
  OP_INSTALL,
  OP_ROLLBACK,
  OP_RESET,
} Op;

static const char *const op_names[] = {"status", "check", "install", "rollback", "reset"};

typedef struct {
  /* Options. */
  char *server;
  char *store_dir;
  char *bundled;
  char *key;
  char *ca_file;
  char *channel;
  char *app_version;
  char *examples;
  char **rewrites;
  double timeout;
  gint64 max_size;
  int retries;
  int max_redirects;
  gboolean allow_older;
  gboolean reinstall;
  gboolean json;

  Op op;
  const char *version; /* install VERSION */

  InkModelStore *store;
  InkRemote *remote;
  InkModel *bundled_model;        /* its description gives the required features */
  InkRemoteRequirements required; /* names borrowed from bundled_model */

  /* The operation, on its worker thread. */
  GMainContext *context;
  gint done;  /* atomic */
  cJSON *log; /* the entries of this run; the worker's until it is done */
  gint64 progress_shown_at;
  int progress_percent;
  InkStatus status;
  InkError err;
  bool installed;
  InkRemoteCheckResult result;
  gint cancel_requested; /* atomic: set on the main thread, read by on_log */
} Remote;

/* ---- Output ---- */

static cJSON *
date_or_null (int64_t t)
{
  char buf[32];

  if (t <= 0)
    return cJSON_CreateNull ();
  ink_manifest_format_date (t, buf, sizeof buf);
  return cJSON_CreateString (buf);
}

static cJSON *
entry_to_json (const InkActivityEntry *entry)
{
  char *text = ink_activity_entry_to_json (entry);
  cJSON *json = text != NULL ? cJSON_Parse (text) : NULL;

  free (text);
  return json != NULL ? json : cJSON_CreateNull ();
}

static const char *
error_text (const InkError *err)
{
  return err->message[0] != '\0' ? err->message : ink_status_to_string (err->status);
}

/* ---- Callbacks, on the operation's thread ---- */

static void
on_log (const InkActivityEntry *entry, void *user_data)
{
  Remote *r = user_data;
  cJSON *json = entry_to_json (entry);

  /* A signal that came before the engine began the operation found nothing
   * to cancel; the engine logs as it begins, so send it again. */
  if (g_atomic_int_get (&r->cancel_requested))
    ink_remote_cancel (r->remote);

  if (r->json) {
    g_autoptr (cJSON) line = cJSON_Duplicate (json, TRUE);

    if (cJSON_IsObject (line)) {
      cJSON_AddStringToObject (line, "event", "log");
      cli_print_json_line (line);
    }
  } else {
    char text[INK_ACTIVITY_MESSAGE_SIZE + 256];

    ink_activity_format (entry, text, sizeof text);
    printf ("%s\n", text);
    fflush (stdout);
  }
  cJSON_AddItemToArray (r->log, json);
}

static bool
on_progress (int64_t received, int64_t total, void *user_data)
{
  Remote *r = user_data;
  gint64 now = g_get_monotonic_time ();
  int percent = total > 0 ? (int) (received * 100 / total) : -1;
  gboolean last = total > 0 && received >= total;

  if (!last && now - r->progress_shown_at < PROGRESS_INTERVAL)
    return true;
  if (last && r->progress_percent == 100)
    return true;
  r->progress_shown_at = now;
  r->progress_percent = percent;
  if (r->json) {
    g_autoptr (cJSON) json = cJSON_CreateObject ();

    cJSON_AddStringToObject (json, "event", "progress");
    cJSON_AddItemToObject (json, "received", cli_json_int64 (received));
    cJSON_AddItemToObject (json, "total",
                           total >= 0 ? cli_json_int64 (total) : cJSON_CreateNull ());
    cli_print_json_line (json);
  } else if (total > 0) {
    printf ("downloading: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes (%d%%)\n",
            (gint64) received, (gint64) total, percent);
    fflush (stdout);
  } else {
    printf ("downloading: %" G_GINT64_FORMAT " bytes\n", (gint64) received);
    fflush (stdout);
  }
  return true;
}

/* Re-applies --examples to a new base model, as `update --examples` does:
 * the CLI's stand-in for the app's personalization database. */
static InkStatus
on_personalize (const InkModel *base, InkModel **personalized, void *user_data, InkError *err)
{
  Remote *r = user_data;
  const InkModelDescription *d = ink_model_get_description (base);
  g_autoptr (InkBatch) examples = NULL;
  g_autoptr (InkUpdateConfig) config = NULL;
  g_autoptr (InkUpdateTask) task = NULL;
  InkTaskState state;

  *personalized = NULL;
  if (r->examples == NULL)
    return INK_OK;
  if (!ink_description_is_updatable (d))
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "the model is not updatable: the examples of %s cannot be applied",
                          r->examples);
  examples = cli_examples_read (d, r->examples, err);
  if (examples == NULL)
    return err->status;
  config = ink_update_config_new ();
  task = ink_update_task_new (base, examples, config, 0, NULL, NULL, NULL, err);
  if (task == NULL)
    return err->status;
  if (ink_update_task_resume (task, err) != INK_OK)
    return err->status;
  state = ink_update_task_wait (task);
  if (state != INK_TASK_COMPLETED) {
    ink_update_task_get_error (task, err);
    return err->status != INK_OK ? err->status : INK_ERR_CANCELLED;
  }
  *personalized = ink_update_task_take_model (task);
  return INK_OK;
}

/* ---- Running an operation ---- */

static gpointer
operation_thread (gpointer data)
{
  Remote *r = data;
  unsigned flags = 0;

  if (r->allow_older)
    flags |= INK_REMOTE_ALLOW_OLDER;
  if (r->reinstall)
    flags |= INK_REMOTE_REINSTALL;
  switch (r->op) {
  case OP_CHECK: r->status = ink_remote_check (r->remote, &r->result, &r->err); break;
  case OP_INSTALL:
    r->status =
      ink_remote_install (r->remote, r->version, flags, &r->installed, &r->result, &r->err);
    break;
  case OP_ROLLBACK: r->status = ink_remote_rollback (r->remote, &r->err); break;
  case OP_RESET: r->status = ink_remote_reset (r->remote, &r->err); break;
  case OP_STATUS: r->status = INK_OK; break;
  }
  g_atomic_int_set (&r->done, 1);
  g_main_context_wakeup (r->context);
  return NULL;
}

/* Dispatched on the main thread after GLib's signal handler woke it. */
static gboolean
on_signal (gpointer user_data)
{
  Remote *r = user_data;

  g_atomic_int_set (&r->cancel_requested, TRUE);
  ink_remote_cancel (r->remote);
  return G_SOURCE_CONTINUE;
}

static void
run_operation (Remote *r)
{
  guint sigint, sigterm;
  GThread *thread;

  r->context = g_main_context_default ();
  sigint = g_unix_signal_add (SIGINT, on_signal, r);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, r);
  thread = g_thread_new ("remote", operation_thread, r);
  while (!g_atomic_int_get (&r->done))
    g_main_context_iteration (r->context, TRUE);
  g_thread_join (thread);
  while (g_main_context_pending (r->context))
    g_main_context_iteration (r->context, FALSE);
  g_source_remove (sigint);
  g_source_remove (sigterm);
}

/* ---- Results ---- */

static cJSON *
check_result_to_json (const InkRemoteCheckResult *c)
{
  cJSON *json = cJSON_CreateObject ();

  cJSON_AddStringToObject (json, "outcome", ink_check_outcome_to_string (c->outcome));
  cJSON_AddNumberToObject (json, "http_status", (double) c->http_status);
  cJSON_AddBoolToObject (json, "not_modified", c->not_modified);
  cJSON_AddItemToObject (json, "manifest_bytes", cli_json_int64 (c->manifest_bytes));
  cJSON_AddBoolToObject (json, "signature_verified", c->signature_verified);
  if (c->candidate >= 0 || c->id[0] != '\0') {
    cJSON *candidate = cJSON_AddObjectToObject (json, "candidate");

    cJSON_AddStringToObject (candidate, "id", c->id);
    cJSON_AddStringToObject (candidate, "version", c->version);
  } else {
    cJSON_AddNullToObject (json, "candidate");
  }
  cJSON_AddStringToObject (json, "reason", c->reason);
  cJSON_AddItemToObject (json, "next_check", date_or_null (c->next_check));
  return json;
}

/* ink_remote_status_to_json, with "personalized" added to the entries and
 * the last entries of the activity log as "log". */
static cJSON *
status_to_json (Remote *r, size_t max_log)
{
  char *text = ink_remote_status_to_json (r->remote);
  cJSON *json = text != NULL ? cJSON_Parse (text) : NULL;
  InkActivityEntry *entries = NULL;
  size_t n = 0;
  InkError err = {0};
  cJSON *log;

  free (text);
  if (json == NULL)
    json = cJSON_CreateObject ();
  for (int i = 0; i < 2; i++) {
    cJSON *entry = cJSON_GetObjectItemCaseSensitive (json, i == 0 ? "active" : "previous");

    if (cJSON_IsObject (entry))
      cJSON_AddBoolToObject (
        entry, "personalized",
        cJSON_IsString (cJSON_GetObjectItemCaseSensitive (entry, "personal_path")));
  }
  if (max_log > 0) {
    log = cJSON_AddArrayToObject (json, "log");
    if (ink_activity_read (r->store, max_log, &entries, &n, &err) == INK_OK) {
      for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray (log, entry_to_json (&entries[i]));
      free (entries);
    }
  }
  return json;
}

static const char *
entry_name (const InkModelStoreEntry *e)
{
  return e->source == INK_MODEL_SOURCE_BUNDLED ? "the bundled model" : e->id;
}

static void
print_entry (const char *title, const InkModelStoreEntry *e)
{
  char date[32];

  printf ("%s: %s%s%s (%s%s)\n", title, entry_name (e), e->version ? " " : "",
          e->version ? e->version : "", ink_model_store_entry_provenance (e),
          e->personal_path ? ", personalized" : "");
  if (e->path != NULL)
    printf ("  file: %s\n", e->path);
  if (e->personal_path != NULL)
    printf ("  personalized: %s\n", e->personal_path);
  if (e->url != NULL)
    printf ("  from: %s\n", e->url);
  if (e->installed_at > 0) {
    ink_manifest_format_date (e->installed_at, date, sizeof date);
    printf ("  installed: %s\n", date);
  }
}

static void
print_status_text (Remote *r)
{
  InkRemoteStatus s;
  InkActivityEntry *entries = NULL;
  size_t n_available, n_log = 0;
  InkError err = {0};
  char date[32];

  ink_remote_get_status (r->remote, &s);
  print_entry ("Active model", &s.active);
  if (s.has_previous)
    print_entry ("Previous model (rollback)", &s.previous);
  if (s.store_problem != NULL && s.store_problem[0] != '\0')
    printf ("Problem: %s\n", s.store_problem);
  printf ("Store: %s\n", ink_model_store_get_dir (r->store));
  if (s.manifest_url != NULL)
    printf ("Server: %s\n", s.manifest_url);
  if (s.last_check > 0) {
    ink_manifest_format_date (s.last_check, date, sizeof date);
    printf ("Last check: %s: %s", date, ink_status_to_string (s.last_status));
    if (s.last_http_status != 0)
      printf (" (HTTP %ld)", s.last_http_status);
    printf ("%s%s\n", s.last_result[0] ? ": " : "", s.last_result);
  } else {
    printf ("Last check: never\n");
  }
  if (s.failures > 0)
    printf ("Failed checks in a row: %d\n", s.failures);
  if (s.next_check > 0) {
    ink_manifest_format_date (s.next_check, date, sizeof date);
    printf ("Next automatic check: %s\n", date);
  }
  if (s.skipped_id != NULL)
    printf ("Skipped (rolled back from): %s %s\n", s.skipped_id,
            s.skipped_version ? s.skipped_version : "");

  n_available = ink_remote_n_available (r->remote);
  printf ("Available%s\n", n_available == 0 ? ": none known (run remote check)" : ":");
  for (size_t i = 0; i < n_available; i++) {
    InkRemoteAvailable a;

    if (!ink_remote_get_available (r->remote, i, &a))
      continue;
    printf ("  %s %s  channel %s", a.model.id, a.model.version ? a.model.version : "(no version)",
            a.model.channel);
    if (a.active)
      printf ("  [active]");
    else if (a.previous)
      printf ("  [previous]");
    else if (a.compare > 0)
      printf ("  newer");
    else if (a.compare < 0)
      printf ("  older");
    if (!a.applies)
      printf ("  (not for this installation: %s)", a.reason);
    putchar ('\n');
  }

  if (ink_activity_read (r->store, STATUS_LOG_TEXT, &entries, &n_log, &err) == INK_OK &&
      n_log > 0) {
    printf ("Recent activity:\n");
    for (size_t i = 0; i < n_log; i++) {
      char text[INK_ACTIVITY_MESSAGE_SIZE + 256];

      ink_activity_format (&entries[i], text, sizeof text);
      printf ("  %s\n", text);
    }
  }
  free (entries);
}

/* The last line of --json for an operation. */
static void
print_result_json (Remote *r)
{
  g_autoptr (cJSON) json = cJSON_CreateObject ();
  cJSON *status = status_to_json (r, 0);

  cJSON_AddStringToObject (json, "event", "result");
  cJSON_AddStringToObject (json, "command", op_names[r->op]);
  cJSON_AddBoolToObject (json, "ok", r->status == INK_OK);
  cJSON_AddStringToObject (json, "status",
                           r->status == INK_OK ? "ok" : ink_status_to_string (r->status));
  if (r->status == INK_OK)
    cJSON_AddNullToObject (json, "error");
  else
    cJSON_AddStringToObject (json, "error", error_text (&r->err));
  if (r->op == OP_CHECK || r->op == OP_INSTALL)
    cJSON_AddItemToObject (json, "check", check_result_to_json (&r->result));
  if (r->op == OP_INSTALL)
    cJSON_AddBoolToObject (json, "installed", r->installed);
  cJSON_AddItemReferenceToObject (json, "active",
                                  cJSON_GetObjectItemCaseSensitive (status, "active"));
  cJSON_AddItemReferenceToObject (json, "previous",
                                  cJSON_GetObjectItemCaseSensitive (status, "previous"));
  cJSON_AddItemReferenceToObject (json, "available",
                                  cJSON_GetObjectItemCaseSensitive (status, "available"));
  cJSON_AddItemReferenceToObject (json, "log", r->log);
  cli_print_json_line (json);
  cJSON_Delete (g_steal_pointer (&json));
  cJSON_Delete (status);
}

static void
print_result_text (Remote *r)
{
  InkModelStoreEntry active;

  ink_model_store_get_active (r->store, &active);
  switch (r->op) {
  case OP_CHECK:
    if (r->result.outcome == INK_CHECK_UPDATE_AVAILABLE)
      printf ("Update available: %s %s%s%s\n", r->result.id, r->result.version,
              r->result.reason[0] ? ": " : "", r->result.reason);
    else
      printf ("No update%s%s\n", r->result.reason[0] ? ": " : "", r->result.reason);
    if (r->result.not_modified)
      printf ("The manifest was not modified (HTTP 304): nothing was downloaded.\n");
    break;
  case OP_INSTALL:
    if (r->installed)
      printf ("Installed and activated %s %s\n", active.id, active.version ? active.version : "");
    else
      printf ("Nothing installed%s%s\n", r->result.reason[0] ? ": " : "", r->result.reason);
    break;
  case OP_ROLLBACK:
  case OP_RESET:
    printf ("Active model: %s%s%s\n", entry_name (&active), active.version ? " " : "",
            active.version ? active.version : "");
    break;
  case OP_STATUS: break;
  }
}

/* ---- Setting up ---- */

/* The bundled model: --bundled, $INKLING_BUNDLED_MODEL, or the installed
 * one (as the app finds it); NULL when that file is absent. */
static char *
find_bundled (const Remote *r)
{
  const char *path = r->bundled;

  if (path == NULL)
    path = g_getenv ("INKLING_BUNDLED_MODEL");
  if (path == NULL || path[0] == '\0')
    path = INKLING_BUNDLED_MODEL_PATH;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return g_strdup (path);
}

/* The manifest URL: a site URL ending in '/' gets manifest.json. */
static char *
manifest_url (const char *server)
{
  if (g_str_has_suffix (server, "/"))
    return g_strconcat (server, MANIFEST_NAME, NULL);
  return g_strdup (server);
}

/* --key: a minisign.pub file, or the base64 key line itself. */
static int
read_public_key (const char *key, char **text)
{
  g_autoptr (GError) error = NULL;

  if (g_file_test (key, G_FILE_TEST_EXISTS)) {
    if (!g_file_get_contents (key, text, NULL, &error))
      return cli_fail ("cannot read the key: %s", error->message);
    return CLI_EXIT_OK;
  }
  if (g_str_has_prefix (key, "RW") && strlen (key) > 40) {
    *text = g_strdup (key);
    return CLI_EXIT_OK;
  }
  return cli_fail ("%s: no such key file (--key takes a minisign public key file)", key);
}

static int
open_remote (Remote *r, const char *url, GArray *rewrites)
{
  g_autofree char *bundled = find_bundled (r);
  g_autofree char *key_text = NULL;
  char *default_dir = NULL;
  InkRemoteConfig config;
  InkError err = {0};
  int status;

  if (r->key != NULL) {
    status = read_public_key (r->key, &key_text);
    if (status != CLI_EXIT_OK)
      return status;
  }
  if (r->store_dir == NULL) {
    default_dir = ink_model_store_default_dir (INKLING_APP_ID);
    if (default_dir == NULL)
      return cli_fail ("no store folder: set XDG_DATA_HOME or HOME, or give --store DIR");
  }
  r->store = ink_model_store_open (r->store_dir ? r->store_dir : default_dir, bundled, &err);
  free (default_dir);
  if (r->store == NULL)
    return cli_fail_engine (&err);

  if (bundled != NULL) {
    r->bundled_model = cli_load_model (bundled, &err);
    if (r->bundled_model == NULL) {
      g_printerr ("inkling-cli: warning: the bundled model %s does not load (%s): downloaded "
                  "models are not checked against it\n",
                  bundled, error_text (&err));
    } else {
      InkMetadata metadata =
        ink_description_metadata (ink_model_get_description (r->bundled_model));

      if (metadata.version != NULL && ink_version_is_valid (metadata.version))
        ink_model_store_set_bundled_version (r->store, metadata.version);
      /* A downloaded model must take the bundled model's inputs and give
       * its outputs (names and types), as the app's widgets need them. */
      if (ink_remote_requirements_from_description (ink_model_get_description (r->bundled_model),
                                                    &r->required, &err) != INK_OK)
        return cli_fail_engine (&err);
    }
  }

  ink_remote_config_init (&config);
  config.manifest_url = url;
  config.url_rewrites = (const InkUrlRewrite *) (void *) rewrites->data;
  config.n_url_rewrites = rewrites->len;
  config.channel = r->channel;
  config.app_version = r->app_version;
  config.public_key = key_text;
  config.ca_bundle = r->ca_file;
  if (r->timeout > 0) {
    long ms = (long) (r->timeout * 1000);

    config.connect_timeout_ms = MIN (config.connect_timeout_ms, ms);
    config.manifest_timeout_ms = ms;
    config.download_timeout_ms = ms;
  }
  if (r->max_size > 0)
    config.max_download_size = r->max_size;
  if (r->retries >= 0)
    config.download_retries = r->retries;
  if (r->max_redirects >= 0)
    config.max_redirects = r->max_redirects;
  config.required_inputs = r->required.inputs;
  config.n_required_inputs = r->required.n_inputs;
  config.required_outputs = r->required.outputs;
  config.n_required_outputs = r->required.n_outputs;
  config.personalize = on_personalize;
  config.personalize_data = r;
  config.progress = on_progress;
  config.progress_data = r;
  config.log = on_log;
  config.log_data = r;
  r->remote = ink_remote_new (r->store, &config, &err);
  if (r->remote == NULL)
    return cli_fail_engine (&err);
  return CLI_EXIT_OK;
}

static int
parse_rewrites (Remote *r, GArray *rewrites)
{
  for (guint i = 0; r->rewrites != NULL && r->rewrites[i] != NULL; i++) {
    char *eq = strstr (r->rewrites[i], "=");
    InkUrlRewrite rewrite;

    if (eq == NULL || eq == r->rewrites[i] || eq[1] == '\0')
      return cli_usage_error ("remote", "--rewrite takes FROM=TO (URL prefixes), not '%s'",
                              r->rewrites[i]);
    *eq = '\0';
    rewrite.from = r->rewrites[i];
    rewrite.to = eq + 1;
    g_array_append_val (rewrites, rewrite);
  }
  return CLI_EXIT_OK;
}

static int
check_usage (Remote *r, char **remaining)
{
  guint n = remaining != NULL ? g_strv_length (remaining) : 0;
  gsize op;

  if (n == 0)
    return cli_usage_error ("remote",
                            "missing the command: status, check, install [VERSION], rollback "
                            "or reset");
  for (op = 0; op < G_N_ELEMENTS (op_names); op++) {
    if (strcmp (remaining[0], op_names[op]) == 0)
      break;
  }
  if (op == G_N_ELEMENTS (op_names))
    return cli_usage_error ("remote",
                            "unknown command '%s' (status, check, install, rollback, "
                            "reset)",
                            remaining[0]);
  r->op = (Op) op;
  if (n > (r->op == OP_INSTALL ? 2u : 1u))
    return cli_usage_error ("remote", "unexpected argument '%s'",
                            remaining[r->op == OP_INSTALL ? 2 : 1]);
  if (r->op == OP_INSTALL && n == 2) {
    r->version = remaining[1];
    if (r->version[0] == '\0')
      return cli_usage_error ("remote", "install: VERSION must not be empty");
  }
  if (r->server == NULL && g_getenv ("INKLING_SERVER") != NULL && g_getenv ("INKLING_SERVER")[0])
    r->server = g_strdup (g_getenv ("INKLING_SERVER"));
  if ((r->op == OP_CHECK || r->op == OP_INSTALL) && r->server == NULL)
    return cli_usage_error ("remote", "%s needs the server: --server URL (or $INKLING_SERVER)",
                            op_names[r->op]);
  if (r->server != NULL && !g_str_has_prefix (r->server, "http://") &&
      !g_str_has_prefix (r->server, "https://"))
    return cli_usage_error ("remote", "--server takes an http:// or https:// URL, not '%s'",
                            r->server);
  if ((r->allow_older || r->reinstall) && r->op != OP_INSTALL)
    return cli_usage_error ("remote", "--allow-older and --reinstall are for install");
  if (r->timeout < 0)
    return cli_usage_error ("remote", "--timeout takes seconds, more than 0");
  if (r->max_size < 0)
    return cli_usage_error ("remote", "--max-size takes a number of bytes");
  if (r->retries < -1)
    return cli_usage_error ("remote", "--retries takes 0 or more");
  if (r->max_redirects < -1)
    return cli_usage_error ("remote", "--max-redirects takes 0 or more");
  if (r->app_version != NULL && !ink_version_is_valid (r->app_version))
    return cli_usage_error ("remote", "--app-version '%s' is not a dotted version", r->app_version);
  if (r->examples != NULL && !g_file_test (r->examples, G_FILE_TEST_EXISTS))
    return cli_fail ("%s: no such file or folder (--examples)", r->examples);
  if (r->ca_file != NULL && !g_file_test (r->ca_file, G_FILE_TEST_IS_REGULAR))
    return cli_fail ("%s: no such file (--ca-file takes a PEM file of CA certificates)",
                     r->ca_file);
  return CLI_EXIT_OK;
}

/* Reports how an operation ended; returns the exit status. */
static int
finish (Remote *r)
{
  InkModelStoreEntry active;

  if (r->op == OP_STATUS) {
    if (r->json) {
      g_autoptr (cJSON) json = status_to_json (r, STATUS_LOG_JSON);

      return cli_print_json (json);
    }
    print_status_text (r);
    return cli_finish_output ();
  }
  if (r->json)
    print_result_json (r);
  else if (r->status == INK_OK)
    print_result_text (r);
  if (r->status == INK_OK)
    return cli_finish_output ();

  ink_model_store_get_active (r->store, &active);
  if (g_atomic_int_get (&r->cancel_requested) || r->status == INK_ERR_CANCELLED)
    return cli_fail ("%s cancelled; the active model is still %s%s%s", op_names[r->op],
                     entry_name (&active), active.version ? " " : "",
                     active.version ? active.version : "");
  return cli_fail ("%s failed: %s; the active model is still %s%s%s", op_names[r->op],
                   error_text (&r->err), entry_name (&active), active.version ? " " : "",
                   active.version ? active.version : "");
}

static void
remote_clear (Remote *r)
{
  g_clear_pointer (&r->remote, ink_remote_free);
  g_clear_pointer (&r->store, ink_model_store_free);
  g_clear_pointer (&r->bundled_model, ink_model_free);
  ink_remote_requirements_clear (&r->required);
  g_clear_pointer (&r->log, cJSON_Delete);
  g_clear_pointer (&r->server, g_free);
  g_clear_pointer (&r->store_dir, g_free);
  g_clear_pointer (&r->bundled, g_free);
  g_clear_pointer (&r->key, g_free);
  g_clear_pointer (&r->ca_file, g_free);
  g_clear_pointer (&r->channel, g_free);
  g_clear_pointer (&r->app_version, g_free);
  g_clear_pointer (&r->examples, g_free);
  g_clear_pointer (&r->rewrites, g_strfreev);
}

int
cli_remote (int argc, char **argv)
{
  Remote r = {.retries = -1, .max_redirects = -1};
  g_auto (GStrv) remaining = NULL;
  const GOptionEntry entries[] = {
    {"server", 0, 0, G_OPTION_ARG_STRING, &r.server,
     "The manifest's URL; a URL ending in '/' is a site, whose manifest.json is read "
     "(default: $INKLING_SERVER)",
     "URL"},
    {"store", 0, 0, G_OPTION_ARG_FILENAME, &r.store_dir,
     "The model store folder (default: the app's, $XDG_DATA_HOME/" INKLING_APP_ID "/models)",
     "DIR"},
    {"bundled", 0, 0, G_OPTION_ARG_FILENAME, &r.bundled,
     "The bundled model (default: $INKLING_BUNDLED_MODEL, else the installed one)", "MODEL"},
    {"key", 0, 0, G_OPTION_ARG_FILENAME, &r.key,
     "Require manifests signed with this minisign public key", "FILE"},
    {"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &r.ca_file,
     "Trust the CA certificates of this PEM file for https (instead of the system's)", "FILE"},
    {"channel", 0, 0, G_OPTION_ARG_STRING, &r.channel, "The channel (default stable)", "C"},
    {"app-version", 0, 0, G_OPTION_ARG_STRING, &r.app_version,
     "The app version models' min_app_version is compared with (default: this one's)", "V"},
    {"examples", 0, 0, G_OPTION_ARG_FILENAME, &r.examples,
     "Apply these examples (as update --examples) to the model made active", "DIR"},
    {"rewrite", 0, 0, G_OPTION_ARG_STRING_ARRAY, &r.rewrites,
     "Fetch URLs starting with FROM from TO instead (repeatable)", "FROM=TO"},
    {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &r.timeout,
     "Give up a transfer (manifest, signature or model) after this long", "SECONDS"},
    {"max-size", 0, 0, G_OPTION_ARG_INT64, &r.max_size,
     "The largest model download accepted (default 256 MiB)", "BYTES"},
    {"retries", 0, 0, G_OPTION_ARG_INT, &r.retries,
     "Resume a broken download this many times (default 2)", "N"},
    {"max-redirects", 0, 0, G_OPTION_ARG_INT, &r.max_redirects,
     "Follow at most N redirects a request (default 5; 0 follows none)", "N"},
    {"allow-older", 0, 0, G_OPTION_ARG_NONE, &r.allow_older,
     "install: allow an older version than the active one (a rollback on purpose)", NULL},
    {"reinstall", 0, 0, G_OPTION_ARG_NONE, &r.reinstall, "install: even the version that is active",
     NULL},
    {"json", 0, 0, G_OPTION_ARG_NONE, &r.json,
     "JSON: status prints one document; the others a line per log entry and progress "
     "report, then a result line",
     NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &remaining, NULL,
     "status|check|install [VERSION]|rollback|reset"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GArray) rewrites = g_array_new (FALSE, FALSE, sizeof (InkUrlRewrite));
  g_autofree char *url = NULL;
  int status;

  g_option_context_set_summary (
    context, "Over-the-air model updates, as the app's settings pane does them:\n"
             "  status             the active model (version; bundled, downloaded or\n"
             "                     personalized), the last check, the versions available\n"
             "  check              fetch the manifest (a 304 downloads nothing) and say what\n"
             "                     is available\n"
             "  install [VERSION]  download, verify, compile, install and activate the\n"
             "                     newest model (or VERSION)\n"
             "  rollback           make the previous model active again\n"
             "  reset              make the bundled model active");
  g_option_context_set_description (
    context, "Every step is written to the store's activity log and printed as it happens.\n"
             "Ctrl-C (SIGINT) or SIGTERM cancels: the active model stays, a partial download\n"
             "is kept for resuming. Exit status 1 when the operation fails.\n");
  g_option_context_add_main_entries (context, entries, NULL);
  status = cli_parse_options (context, "remote", &argc, &argv);
  if (status == CLI_EXIT_OK)
    status = check_usage (&r, remaining);
  if (status == CLI_EXIT_OK)
    status = parse_rewrites (&r, rewrites);
  if (status != CLI_EXIT_OK) {
    remote_clear (&r);
    return status;
  }

  r.log = cJSON_CreateArray ();
  url = r.server != NULL ? manifest_url (r.server) : NULL;
  status = open_remote (&r, url, rewrites);
  if (status == CLI_EXIT_OK) {
    if (r.op != OP_STATUS)
      run_operation (&r);
    status = finish (&r);
  }
  remote_clear (&r);
  return status;
}

/* test-updater.c: InklingUpdater against a real model server: a site
 * written by `inkling-cli publish` (the bundled model as 1.0.0 and 2.0.0)
 * and served by `inkling-cli serve` on 127.0.0.1, with a real store, model
 * manager and model folder. Check, install (the user's examples applied to
 * the new base model), rollback, reset, errors, a teach racing an install,
 * shutting down during an install, the automatic update, and an https://
 * server trusted through "ca-file" (nginx-light with certificates openssl
 * makes, as tests/remote does; skipped without them).
 *
 * $INKLING_CLI is the inkling-cli to run; $INKLING_BUNDLED_MODEL the
 * bundled model (data/drawing-classifier.mlmodel, version 1.0.0).
 *
 * SPDX-License-Identifier: MIT
 */

#include <unistd.h>

#include "ink.h"
#include "inkling-error.h"
#include "inkling-updater.h"
#include "store-test-support.h"

/* A guard against hanging (not a timing check): seconds. */
#define DEADLINE_S 240

typedef struct {
  char *dir;
  char *site;
  char *url;
  GSubprocess *server;
  InklingStore *store;
  InklingModelManager *manager;
  InklingUpdater *updater;
  GPtrArray *messages;
} Fixture;

/* ---- The server ---- */

static void
run_cli (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_autoptr (GPtrArray) args = g_ptr_array_new ();

  g_ptr_array_add (args, (gpointer) g_getenv ("INKLING_CLI"));
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("inkling-cli %s failed: %s%s", argv[0], out, err);
}

static void
publish_site (Fixture *f)
{
  const char *model = g_getenv ("INKLING_BUNDLED_MODEL");

  g_assert_nonnull (g_getenv ("INKLING_CLI"));
  g_assert_nonnull (model);
  f->site = g_build_filename (f->dir, "site", NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->site, 0700), ==, 0);
  run_cli ((const char *const[]){"publish", f->site, model, "--version", "1.0.0", "--notes",
                                 "the first", NULL});
  run_cli ((const char *const[]){"publish", f->site, model, "--version", "2.0.0", "--notes",
                                 "the second", NULL});
}

/* `inkling-cli serve SITE` on a free port, with a fault when fault is not
 * NULL; *url is where. */
static GSubprocess *
serve (const char *site, const char *fault, char **url)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  GSubprocess *server;

  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                             &error, g_getenv ("INKLING_CLI"), "serve", site, "--port", "0",
                             fault != NULL ? "--fault" : NULL, fault, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  *url = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (*url, "http://127.0.0.1:"));
  g_test_message ("serving %s on %s%s%s", site, *url, fault != NULL ? " with " : "",
                  fault != NULL ? fault : "");
  return server;
}

static void
start_server (Fixture *f)
{
  f->server = serve (f->site, NULL, &f->url);
}

static void
stop_server (GSubprocess *server)
{
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
}

/* ---- An https:// server: nginx with a certificate of a test CA ---- */

typedef struct {
  char *dir;
  char *ca; /* the CA certificate (PEM) that signed nginx's */
  char *url;
  GSubprocess *nginx;
} Https;

static char *
find_tool (const char *name)
{
  g_autofree char *sbin = g_build_filename ("/usr/sbin", name, NULL);
  char *path = g_find_program_in_path (name);

  if (path == NULL && g_file_test (sbin, G_FILE_TEST_IS_EXECUTABLE))
    path = g_steal_pointer (&sbin);
  return path;
}

static void
openssl (const char *dir, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) "openssl");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (dir, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("openssl %s failed: %s", args[0], err);
}

/* A CA and a certificate it signed for 127.0.0.1 (site.pem, site.key). */
static void
make_certificates (const char *dir)
{
  g_autofree char *ext = g_build_filename (dir, "site.ext", NULL);
  g_autoptr (GError) error = NULL;

  openssl (dir, (const char *const[]){"req",
                                      "-x509",
                                      "-newkey",
                                      "ec",
                                      "-pkeyopt",
                                      "ec_paramgen_curve:prime256v1",
                                      "-nodes",
                                      "-keyout",
                                      "ca.key",
                                      "-out",
                                      "ca.pem",
                                      "-days",
                                      "2",
                                      "-subj",
                                      "/CN=Inkling test CA",
                                      "-addext",
                                      "basicConstraints=critical,CA:TRUE",
                                      "-addext",
                                      "keyUsage=critical,keyCertSign,cRLSign",
                                      NULL});
  openssl (dir, (const char *const[]){
                  "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-keyout", "site.key", "-out", "site.csr", "-subj", "/CN=127.0.0.1", NULL});
  g_file_set_contents (ext,
                       "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                       "extendedKeyUsage=serverAuth\n",
                       -1, &error);
  g_assert_no_error (error);
  openssl (dir, (const char *const[]){"x509", "-req", "-in", "site.csr", "-CA", "ca.pem", "-CAkey",
                                      "ca.key", "-CAcreateserial", "-out", "site.pem", "-days", "2",
                                      "-extfile", "site.ext", NULL});
}

static guint16
free_port (void)
{
  g_autoptr (GSocket) socket =
    g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* nginx serving site over https on a free port of 127.0.0.1, every file
 * it writes in a folder of its own. FALSE (the test skipped) without
 * nginx or openssl. */
static gboolean
https_start (Fixture *f, Https *h)
{
  g_autofree char *nginx = find_tool ("nginx");
  g_autofree char *openssl_path = find_tool ("openssl");
  g_autofree char *conf = NULL;
  g_autofree char *conf_path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint16 port = free_port ();

  memset (h, 0, sizeof *h);
  if (nginx == NULL || openssl_path == NULL) {
    g_test_skip ("nginx or openssl is not installed (Debian: nginx-light, openssl)");
    return FALSE;
  }
  h->dir = g_build_filename (f->dir, "https", NULL);
  g_assert_cmpint (g_mkdir_with_parents (h->dir, 0700), ==, 0);
  for (guint i = 0; i < 2; i++) {
    g_autofree char *sub = g_build_filename (h->dir, i == 0 ? "logs" : "temp", NULL);

    g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  }
  make_certificates (h->dir);
  h->ca = g_build_filename (h->dir, "ca.pem", NULL);
  conf = g_strdup_printf ("%sworker_processes 1;\ndaemon off;\nmaster_process off;\n"
                          "pid %s/nginx.pid;\nerror_log %s/logs/error.log;\n"
                          "events { worker_connections 64; }\n"
                          "http {\n  access_log %s/logs/access.log;\n"
                          "  client_body_temp_path %s/temp;\n  proxy_temp_path %s/temp;\n"
                          "  fastcgi_temp_path %s/temp;\n  uwsgi_temp_path %s/temp;\n"
                          "  scgi_temp_path %s/temp;\n"
                          "  types { application/json json; application/octet-stream mlmodel; }\n"
                          "  server {\n    listen 127.0.0.1:%u ssl;\n"
                          "    ssl_certificate %s/site.pem;\n"
                          "    ssl_certificate_key %s/site.key;\n    root %s;\n  }\n}\n",
                          geteuid () == 0 ? "user root;\n" : "", h->dir, h->dir, h->dir, h->dir,
                          h->dir, h->dir, h->dir, h->dir, port, h->dir, h->dir, f->site);
  conf_path = g_build_filename (h->dir, "nginx.conf", NULL);
  g_file_set_contents (conf_path, conf, -1, &error);
  g_assert_no_error (error);
  h->nginx =
    g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                      nginx, "-p", h->dir, "-c", conf_path, NULL);
  g_assert_no_error (error);
  /* Until it listens (a guard against hanging, not a timing check). */
  for (;;) {
    g_autoptr (GSocketConnection) connection =
      g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);

    if (connection != NULL)
      break;
    if (g_get_monotonic_time () > deadline)
      g_error ("nginx did not listen on port %u", port);
    g_usleep (50 * 1000);
  }
  h->url = g_strdup_printf ("https://127.0.0.1:%u/", port);
  g_test_message ("nginx serves %s on %s", f->site, h->url);
  return TRUE;
}

static void
https_stop (Https *h)
{
  if (h->nginx != NULL) {
    g_subprocess_send_signal (h->nginx, SIGQUIT);
    g_subprocess_wait (h->nginx, NULL, NULL);
  }
  g_clear_object (&h->nginx);
  g_free (h->dir);
  g_free (h->ca);
  g_free (h->url);
}

/* ---- The app's side ---- */

static void
on_message (InklingUpdater *updater, const char *text, Fixture *f)
{
  g_test_message ("message: %s", text);
  g_ptr_array_add (f->messages, g_strdup (text));
}

static void
iterate_until (gboolean (*done) (Fixture *f), Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (!done (f)) {
    if (g_get_monotonic_time () > deadline)
      g_error ("gave up waiting");
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
}

static gboolean
all_idle (Fixture *f)
{
  return !inkling_updater_get_busy (f->updater) && !inkling_model_manager_get_busy (f->manager);
}

static void
wait_idle (Fixture *f)
{
  iterate_until (all_idle, f);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
open_app (Fixture *f)
{
  g_autofree char *db = g_build_filename (f->dir, "data", "inkling.db", NULL);
  g_autofree char *models = g_build_filename (f->dir, "data", "models", NULL);
  g_autoptr (GError) error = NULL;

  f->store = inkling_store_open (db, 0, &error);
  g_assert_no_error (error);
  f->manager = inkling_model_manager_new (f->store, models, NULL, NULL);
  g_assert_true (inkling_model_manager_start (f->manager, &error));
  g_assert_no_error (error);
  f->updater = inkling_updater_new (f->manager);
  g_signal_connect (f->updater, "message", G_CALLBACK (on_message), f);
  wait_idle (f);
}

static void
close_app (Fixture *f)
{
  if (f->updater != NULL) {
    wait_idle (f);
    inkling_updater_shutdown (f->updater);
  }
  g_clear_object (&f->updater);
  g_clear_object (&f->manager);
  g_clear_object (&f->store);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = store_test_tmpdir_new ("updater");
  f->messages = g_ptr_array_new_with_free_func (g_free);
  publish_site (f);
  start_server (f);
  open_app (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  close_app (f);
  stop_server (f->server);
  g_clear_object (&f->server);
  store_test_tmpdir_free (f->dir);
  g_ptr_array_unref (f->messages);
  g_free (f->url);
  g_free (f->site);
}

/* ---- Operations ---- */

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (*slot == NULL) {
    if (g_get_monotonic_time () > deadline)
      g_error ("gave up waiting for a result");
    g_main_context_iteration (NULL, TRUE);
  }
  return *slot;
}

typedef enum {
  CHECK,
  INSTALL,
  ROLLBACK,
  RESET,
} Kind;

/* Runs an operation to its end (and the model switch it makes); its
 * summary, or NULL with error. */
static char *
run (Fixture *f, Kind kind, const char *name, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  char *summary;

  switch (kind) {
  case CHECK: inkling_updater_check_async (f->updater, NULL, store_result, &result); break;
  case INSTALL:
    inkling_updater_install_async (f->updater, name, NULL, store_result, &result);
    break;
  case ROLLBACK: inkling_updater_rollback_async (f->updater, NULL, store_result, &result); break;
  case RESET: inkling_updater_reset_async (f->updater, NULL, store_result, &result); break;
  }
  g_assert_true (inkling_updater_get_busy (f->updater));
  summary = inkling_updater_finish (f->updater, wait_for (&result), error);
  wait_idle (f);
  g_test_message ("-> %s", summary != NULL ? summary : (*error)->message);
  return summary;
}

static char *
run_ok (Fixture *f, Kind kind, const char *name)
{
  g_autoptr (GError) error = NULL;
  char *summary = run (f, kind, name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (summary);
  return summary;
}

static void
set_server (Fixture *f)
{
  g_object_set (f->updater, "server-url", f->url, NULL);
}

static void
assert_model (Fixture *f, const char *version, const char *source)
{
  g_assert_cmpstr (inkling_model_manager_get_model_version (f->manager), ==, version);
  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==, source);
}

static InkDrawing *
hourglass (guint32 seed)
{
  static const double corners[][2] = {{30, 20}, {170, 20}, {30, 180}, {170, 180}, {30, 20}};
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  InkDrawing *drawing = ink_drawing_new ();

  g_assert_cmpint (ink_drawing_begin_stroke (drawing, NULL), ==, INK_OK);
  for (guint i = 0; i < G_N_ELEMENTS (corners); i++)
    g_assert_cmpint (ink_drawing_add_point (drawing,
                                            corners[i][0] + g_rand_double_range (rand, -4, 4),
                                            corners[i][1] + g_rand_double_range (rand, -4, 4),
                                            INK_PRESSURE_DEFAULT, -1, NULL),
                     ==, INK_OK);
  ink_drawing_end_stroke (drawing);
  return drawing;
}

/* Starts teaching one hourglass; the store has it at once. */
static void
teach_async (Fixture *f, guint32 seed, GAsyncResult **result)
{
  InkDrawing *drawing = hourglass (seed);

  inkling_model_manager_teach_async (f->manager, "hourglass", "⌛",
                                     (const InkDrawing *const *) &drawing, 1, NULL, store_result,
                                     result);
  ink_drawing_free (drawing);
}

static void
teach (Fixture *f, guint32 seed)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingSticker) sticker = NULL;

  teach_async (f, seed, &result);
  sticker = inkling_model_manager_teach_finish (f->manager, wait_for (&result), &error);
  g_assert_no_error (error);
  wait_idle (f);
}

static InklingAvailableModel *
find_available (Fixture *f, const char *version)
{
  GListModel *list = inkling_updater_get_available (f->updater);

  for (guint i = 0; i < g_list_model_get_n_items (list); i++) {
    g_autoptr (InklingAvailableModel) m = g_list_model_get_item (list, i);

    if (g_strcmp0 (inkling_available_model_get_version (m), version) == 0)
      return g_steal_pointer (&m);
  }
  return NULL;
}

static gboolean
log_mentions (Fixture *f, const char *text)
{
  const char *const *lines = inkling_updater_get_log (f->updater);

  for (guint i = 0; lines[i] != NULL; i++) {
    if (strstr (lines[i], text) != NULL)
      return TRUE;
  }
  return FALSE;
}

/* ---- Tests ---- */

static void
test_status (Fixture *f, gconstpointer data)
{
  g_assert_false (inkling_updater_get_busy (f->updater));
  g_assert_cmpstr (inkling_updater_get_operation (f->updater), ==, "");
  g_assert_cmpstr (inkling_updater_get_active_name (f->updater), ==, "1.0.0 (bundled)");
  g_assert_cmpstr (inkling_updater_get_previous_name (f->updater), ==, "");
  g_assert_cmpstr (inkling_updater_get_problem (f->updater), ==, "");
  g_assert_cmpint (inkling_updater_get_last_check (f->updater), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (inkling_updater_get_available (f->updater)), ==, 0);
  /* Automatic checks are off: nothing is armed. */
  g_assert_cmpint (inkling_updater_get_next_check (f->updater), ==, 0);
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_BUNDLED);
}

static void
test_check (Fixture *f, gconstpointer data)
{
  g_autofree char *summary = NULL;
  g_autoptr (InklingAvailableModel) v1 = NULL;
  g_autoptr (InklingAvailableModel) v2 = NULL;
  g_autofree char *text = NULL;

  set_server (f);
  summary = run_ok (f, CHECK, NULL);
  g_assert_cmpstr (summary, ==, "Version 2.0.0 is available");
  g_assert_true (inkling_updater_get_last_ok (f->updater));
  g_assert_cmpint (inkling_updater_get_last_check (f->updater), >, 0);
  g_assert_cmpuint (g_list_model_get_n_items (inkling_updater_get_available (f->updater)), ==, 2);
  v1 = find_available (f, "1.0.0");
  v2 = find_available (f, "2.0.0");
  g_assert_nonnull (v1);
  g_assert_nonnull (v2);
  g_assert_cmpint (inkling_available_model_get_compare (v1), ==, 0);
  g_assert_cmpint (inkling_available_model_get_compare (v2), >, 0);
  g_assert_true (inkling_available_model_get_applies (v2));
  g_assert_cmpstr (inkling_available_model_get_notes (v2), ==, "the second");
  g_assert_cmpstr (inkling_available_model_get_install_name (v2), ==, "2.0.0");
  g_assert_false (inkling_available_model_get_active (v2));
  g_assert_true (log_mentions (f, "HTTP 200"));
  text = inkling_updater_dup_log_text (f->updater);
  g_assert_nonnull (strstr (text, "\n"));
  /* A check changes no model. */
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_BUNDLED);

  /* Again: the manifest is unchanged, a 304. */
  g_clear_pointer (&summary, g_free);
  summary = run_ok (f, CHECK, NULL);
  g_assert_cmpstr (summary, ==, "Version 2.0.0 is available");
  g_assert_true (log_mentions (f, "304"));
}

static void
test_install_rollback_reset (Fixture *f, gconstpointer data)
{
  g_autofree char *installed = NULL;
  g_autofree char *rolled = NULL;
  g_autofree char *again = NULL;
  g_autofree char *reset = NULL;
  g_autoptr (InklingAvailableModel) v2 = NULL;
  g_autoptr (InklingUpdateRecord) record = NULL;

  /* What the user taught must survive every switch. */
  teach (f, 1);
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 1);

  set_server (f);
  installed = run_ok (f, INSTALL, NULL);
  g_assert_cmpstr (installed, ==, "Installed version 2.0.0 (downloaded)");
  assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 1);
  g_assert_cmpstr (inkling_updater_get_active_name (f->updater), ==, "2.0.0 (downloaded)");
  g_assert_cmpstr (inkling_updater_get_previous_name (f->updater), ==, "1.0.0 (bundled)");
  v2 = find_available (f, "2.0.0");
  g_assert_true (inkling_available_model_get_active (v2));
  g_assert_true (log_mentions (f, "examples were applied"));
  record = g_list_model_get_item (inkling_store_get_history (f->store), 0);
  g_assert_cmpstr (inkling_update_record_get_kind (record), ==, INKLING_UPDATE_KIND_INSTALL);
  g_assert_cmpstr (inkling_update_record_get_model_version (record), ==, "2.0.0");
  g_clear_object (&record);

  /* Teaching goes on on the new model. */
  teach (f, 2);
  assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 2);

  rolled = run_ok (f, ROLLBACK, NULL);
  g_assert_cmpstr (rolled, ==, "Rolled back to 1.0.0 (bundled)");
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 2);
  g_assert_cmpstr (inkling_updater_get_previous_name (f->updater), ==, "2.0.0 (downloaded)");
  record = g_list_model_get_item (inkling_store_get_history (f->store), 0);
  g_assert_cmpstr (inkling_update_record_get_kind (record), ==, INKLING_UPDATE_KIND_ROLLBACK);
  g_clear_object (&record);

  /* The model rolled back from can still be installed by name. */
  again = run_ok (f, INSTALL, "2.0.0");
  g_assert_cmpstr (again, ==, "Installed version 2.0.0 (downloaded)");
  assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_PERSONALIZED);

  reset = run_ok (f, RESET, NULL);
  g_assert_cmpstr (reset, ==, "Reset to 1.0.0 (bundled)");
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 2);

  /* After a restart the same model runs. */
  close_app (f);
  open_app (f);
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 2);
  g_assert_cmpstr (inkling_updater_get_previous_name (f->updater), ==, "2.0.0 (downloaded)");
}

static void
test_restart_downloaded (Fixture *f, gconstpointer data)
{
  g_autofree char *installed = NULL;

  set_server (f);
  installed = run_ok (f, INSTALL, "2.0.0");
  assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_DOWNLOADED);
  close_app (f);
  open_app (f);
  /* The store's version, not the file's metadata (1.0.0: the same file). */
  assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_DOWNLOADED);
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *closed = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  guint16 port;

  /* No server. */
  summary = run (f, CHECK, NULL, &error);
  g_assert_null (summary);
  g_assert_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "URL"));
  g_clear_error (&error);

  g_object_set (f->updater, "server-url", "ftp://example.com/", NULL);
  summary = run (f, INSTALL, NULL, &error);
  g_assert_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "http://"));
  g_clear_error (&error);

  /* Nobody listens: a network error, logged, and the model stays. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  address = g_inet_socket_address_new (loopback, 0);
  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  g_clear_object (&address);
  address = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  g_clear_object (&socket);
  closed = g_strdup_printf ("http://127.0.0.1:%u/", port);
  g_object_set (f->updater, "server-url", closed, NULL);
  summary = run (f, CHECK, NULL, &error);
  g_assert_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_NETWORK);
  g_assert_true (g_str_has_prefix (error->message, "Check failed: "));
  g_clear_error (&error);
  g_assert_false (inkling_updater_get_last_ok (f->updater));
  g_assert_cmpstr (inkling_updater_get_last_result (f->updater), !=, "");
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_BUNDLED);

  /* A version the manifest does not have. */
  set_server (f);
  summary = run (f, INSTALL, "9.9.9", &error);
  g_assert_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_BUNDLED);

  /* Nothing to roll back to. */
  summary = run (f, ROLLBACK, NULL, &error);
  g_assert_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A public key that is not one. */
  g_object_set (f->updater, "public-key", "not a key", NULL);
  summary = run (f, CHECK, NULL, &error);
  g_assert_nonnull (error);
  g_clear_error (&error);
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_BUNDLED);
}

/* A teach asked while an install runs: whichever gets the manager's
 * worker first, the result has both the new base model and the example. */
static void
test_teach_during_install (Fixture *f, gconstpointer data)
{
  g_autoptr (GAsyncResult) installed = NULL;
  g_autoptr (GAsyncResult) taught = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingSticker) sticker = NULL;
  g_autofree char *summary = NULL;

  teach (f, 1);
  set_server (f);
  inkling_updater_install_async (f->updater, NULL, NULL, store_result, &installed);
  teach_async (f, 2, &taught);
  sticker = inkling_model_manager_teach_finish (f->manager, wait_for (&taught), &error);
  g_assert_no_error (error);
  summary = inkling_updater_finish (f->updater, wait_for (&installed), &error);
  g_assert_no_error (error);
  wait_idle (f);
  assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 2);

  /* And so after a restart (nothing to rebuild). */
  close_app (f);
  open_app (f);
  assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 2);
}

/* Shutting down while an install runs neither hangs nor leaves the live
 * model out of step with the store. */
static void
test_shutdown (Fixture *f, gconstpointer data)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = NULL;

  set_server (f);
  inkling_updater_install_async (f->updater, NULL, NULL, store_result, &result);
  inkling_updater_shutdown (f->updater);
  summary = inkling_updater_finish (f->updater, wait_for (&result), &error);
  g_test_message ("-> %s", summary != NULL ? summary : error->message);
  iterate_until (all_idle, f);
  if (error != NULL) {
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_BUNDLED);
  } else {
    assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_DOWNLOADED);
  }
  g_clear_error (&error);
  /* Nothing starts after. */
  g_clear_object (&result);
  inkling_updater_check_async (f->updater, NULL, store_result, &result);
  g_assert_null (inkling_updater_finish (f->updater, wait_for (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* The store agrees with the manager after a restart. */
  {
    g_autofree char *version = g_strdup (inkling_model_manager_get_model_version (f->manager));

    close_app (f);
    open_app (f);
    g_assert_cmpstr (inkling_model_manager_get_model_version (f->manager), ==, version);
  }
}

static gboolean
downloading (Fixture *f)
{
  return inkling_updater_get_progress (f->updater) > 0;
}

/* Cancel while a model downloads from a server that drips it (the whole
 * file would take minutes): the install ends as cancelled, the model that
 * ran stays, the log says the user cancelled; the next install resumes
 * the partial download. Cancelling an install the worker has not started
 * yet, and nothing at all, work too. */
static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr (GFile) model = g_file_new_for_path (g_getenv ("INKLING_BUNDLED_MODEL"));
  g_autoptr (GFileInfo) info =
    g_file_query_info (model, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, NULL, NULL);
  g_autofree char *fault = NULL;
  g_autofree char *slow_url = NULL;
  g_autoptr (GSubprocess) slow = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = NULL;

  g_assert_false (inkling_updater_cancel (f->updater));

  /* 1% of the file a second, so that progress shows at once. */
  g_assert_nonnull (info);
  fault = g_strdup_printf ("drip=*.mlmodel:%" G_GINT64_FORMAT,
                           MAX (g_file_info_get_size (info) / 100, 1));
  slow = serve (f->site, fault, &slow_url);
  g_object_set (f->updater, "server-url", slow_url, NULL);

  /* Queued and cancelled at once: the worker may not have started it. */
  inkling_updater_install_async (f->updater, NULL, NULL, store_result, &result);
  g_assert_true (inkling_updater_cancel (f->updater));
  g_assert_null (inkling_updater_finish (f->updater, wait_for (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);
  wait_idle (f);
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_BUNDLED);
  g_assert_true (log_mentions (f, "install cancelled by the user"));

  /* Cancelled while the model arrives. */
  inkling_updater_install_async (f->updater, NULL, NULL, store_result, &result);
  iterate_until (downloading, f);
  g_assert_cmpstr (inkling_updater_get_operation (f->updater), ==, "install");
  g_assert_true (inkling_updater_cancel (f->updater));
  summary = inkling_updater_finish (f->updater, wait_for (&result), &error);
  g_assert_null (summary);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "Install cancelled");
  wait_idle (f);
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_BUNDLED);
  g_assert_cmpstr (inkling_updater_get_active_name (f->updater), ==, "1.0.0 (bundled)");
  g_assert_cmpstr (inkling_updater_get_previous_name (f->updater), ==, "");
  g_assert_cmpfloat (inkling_updater_get_progress (f->updater), <, 0);
  g_assert_false (inkling_updater_get_busy (f->updater));
  g_assert_true (log_mentions (f, "ERROR: cancelled: http://"));
  g_assert_true (
    log_mentions (f, "install cancelled by the user; the running model stays 1.0.0 (bundled)"));
  g_assert_cmpuint (g_list_model_get_n_items (inkling_store_get_history (f->store)), ==, 0);
  stop_server (slow);

  /* The next install picks the download up where it stopped. */
  set_server (f);
  summary = run_ok (f, INSTALL, NULL);
  g_assert_cmpstr (summary, ==, "Installed version 2.0.0 (downloaded)");
  g_assert_true (log_mentions (f, "(Range request)"));
  assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_DOWNLOADED);
  g_assert_false (inkling_updater_cancel (f->updater));
}

static gboolean
automatic_installed (Fixture *f)
{
  return f->messages->len > 0 && all_idle (f);
}

static void
test_automatic (Fixture *f, gconstpointer data)
{
  /* On, but no server yet: nothing armed. */
  g_object_set (f->updater, "automatic-checks", TRUE, NULL);
  g_assert_cmpint (inkling_updater_get_next_check (f->updater), ==, 0);

  set_server (f);
  g_assert_cmpint (inkling_updater_get_next_check (f->updater), >, 0);
  iterate_until (automatic_installed, f);
  g_assert_cmpstr (g_ptr_array_index (f->messages, 0), ==, "Installed version 2.0.0 (downloaded)");
  assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_DOWNLOADED);
  g_assert_true (inkling_updater_get_last_ok (f->updater));
  /* The next one is a check interval away (a day by default). */
  g_assert_cmpint (inkling_updater_get_next_check (f->updater), >,
                   inkling_updater_get_last_check (f->updater) + 3600);

  /* Off: disarmed. */
  g_object_set (f->updater, "automatic-checks", FALSE, NULL);
  g_assert_cmpint (inkling_updater_get_next_check (f->updater), ==, 0);
}

/* An https:// server whose certificate a CA of the test's signed: with the
 * system's certificates the check is refused, naming the certificate;
 * with "ca-file" set to that CA (the app's GSettings key remote-ca-file)
 * it checks and installs; a CA file that is not there fails at once,
 * naming it; cleared, the system's certificates apply again. */
static void
test_ca_file (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *installed = NULL;
  Https h;

  if (!https_start (f, &h))
    return;
  g_object_set (f->updater, "server-url", h.url, NULL);
  summary = run (f, CHECK, NULL, &error);
  g_assert_null (summary);
  g_assert_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "HTTPS certificate is not trusted"));
  g_assert_nonnull (strstr (error->message, "trusted CA certificates: the system's"));
  g_clear_error (&error);
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_BUNDLED);

  g_object_set (f->updater, "ca-file", h.ca, NULL);
  summary = run_ok (f, CHECK, NULL);
  g_assert_cmpstr (summary, ==, "Version 2.0.0 is available");
  installed = run_ok (f, INSTALL, NULL);
  g_assert_cmpstr (installed, ==, "Installed version 2.0.0 (downloaded)");
  assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_DOWNLOADED);
  g_assert_true (log_mentions (f, h.url));

  g_object_set (f->updater, "ca-file", "/nonexistent/inkling-ca.pem", NULL);
  g_clear_pointer (&summary, g_free);
  summary = run (f, CHECK, NULL, &error);
  g_assert_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "/nonexistent/inkling-ca.pem: no such file"));
  g_clear_error (&error);

  g_object_set (f->updater, "ca-file", "", NULL);
  summary = run (f, CHECK, NULL, &error);
  g_assert_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "not trusted"));
  g_clear_error (&error);
  assert_model (f, "2.0.0", INKLING_MODEL_SOURCE_DOWNLOADED);
  https_stop (&h);
}

/* Opens a copy of the bundled model as DIR/doodles.mlmodel: the store's
 * active entry is then "file-doodles" 1.0.0, opened from a file. */
static void
open_doodles (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->dir, "doodles.mlmodel", NULL);
  g_autoptr (GFile) bundled = g_file_new_for_path (g_getenv ("INKLING_BUNDLED_MODEL"));
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_copy (bundled, file, G_FILE_COPY_NONE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  inkling_model_manager_open_model_async (f->manager, file, NULL, store_result, &result);
  g_assert_true (inkling_model_manager_open_model_finish (f->manager, wait_for (&result), &error));
  g_assert_no_error (error);
  wait_idle (f);
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_OPENED);
}

/* Serves site (replacing the fixture's server) and points the updater at it. */
static void
serve_site (Fixture *f, const char *site)
{
  stop_server (f->server);
  g_clear_object (&f->server);
  g_clear_pointer (&f->url, g_free);
  f->server = serve (site, NULL, &f->url);
  set_server (f);
}

/* A manifest model with the id and version of the model the user opened
 * from a file is not that model: a check does not show it as running, and
 * installing it installs it (the opened model kept as the previous one). */
static void
test_opened_file_same_version (Fixture *f, gconstpointer data)
{
  g_autofree char *site = g_build_filename (f->dir, "site-file", NULL);
  g_autofree char *installed = NULL;
  g_autofree char *rolled = NULL;
  g_autoptr (InklingAvailableModel) m = NULL;

  open_doodles (f);
  g_assert_cmpint (g_mkdir_with_parents (site, 0700), ==, 0);
  run_cli ((const char *const[]){"publish", site, g_getenv ("INKLING_BUNDLED_MODEL"), "--version",
                                 "1.0.0", "--id", "file-doodles", NULL});
  serve_site (f, site);
  g_free (run_ok (f, CHECK, NULL));
  m = find_available (f, "1.0.0");
  g_assert_nonnull (m);
  g_assert_cmpstr (inkling_available_model_get_id (m), ==, "file-doodles");
  g_assert_false (inkling_available_model_get_active (m));
  g_clear_object (&m);

  installed = run_ok (f, INSTALL, "1.0.0");
  g_assert_cmpstr (installed, ==, "Installed version 1.0.0 (downloaded)");
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_DOWNLOADED);
  g_assert_cmpstr (inkling_updater_get_active_name (f->updater), ==, "1.0.0 (downloaded)");
  g_assert_cmpstr (inkling_updater_get_previous_name (f->updater), ==,
                   "1.0.0 (opened from a file)");
  m = find_available (f, "1.0.0");
  g_assert_true (inkling_available_model_get_active (m));

  /* The opened model is still there to go back to. */
  rolled = run_ok (f, ROLLBACK, NULL);
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_OPENED);
  g_assert_cmpstr (inkling_updater_get_previous_name (f->updater), ==, "1.0.0 (downloaded)");
}

/* Asked for by a version two manifest models have, the one with the opened
 * model's id is not taken for the running model's line: the first listed
 * is installed. */
static void
test_opened_file_not_preferred (Fixture *f, gconstpointer data)
{
  GListModel *list;
  g_autofree char *installed = NULL;
  const char *active_id = NULL;

  open_doodles (f);
  run_cli ((const char *const[]){"publish", f->site, g_getenv ("INKLING_BUNDLED_MODEL"),
                                 "--version", "1.0.0", "--id", "file-doodles", NULL});
  set_server (f);
  installed = run_ok (f, INSTALL, "1.0.0");
  g_assert_cmpstr (installed, ==, "Installed version 1.0.0 (downloaded)");
  list = inkling_updater_get_available (f->updater);
  for (guint i = 0; i < g_list_model_get_n_items (list); i++) {
    g_autoptr (InklingAvailableModel) m = g_list_model_get_item (list, i);

    if (inkling_available_model_get_active (m)) {
      g_assert_null (active_id);
      active_id = inkling_available_model_get_id (m);
    }
  }
  g_assert_nonnull (active_id);
  g_assert_cmpstr (active_id, !=, "file-doodles");
}

/* The seed article's manifest (one model, no version, its id the file
 * name) naming the opened model's id: a model without a version whose id
 * is the opened model's is still new, and an update installs it. */
static void
test_opened_file_seed_form (Fixture *f, gconstpointer data)
{
  g_autofree char *site = g_build_filename (f->dir, "site-seed", NULL);
  g_autofree char *models = g_build_filename (site, "models", NULL);
  g_autofree char *model = g_build_filename (models, "file-doodles.mlmodel", NULL);
  g_autofree char *manifest = g_build_filename (site, "manifest.json", NULL);
  g_autoptr (GFile) bundled = g_file_new_for_path (g_getenv ("INKLING_BUNDLED_MODEL"));
  g_autoptr (GFile) copy = g_file_new_for_path (model);
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *installed = NULL;

  open_doodles (f);
  g_assert_cmpint (g_mkdir_with_parents (models, 0700), ==, 0);
  g_assert_true (g_file_copy (bundled, copy, G_FILE_COPY_NONE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_file_set_contents (manifest, "{\"url\": \"models/file-doodles.mlmodel\"}", -1, &error);
  g_assert_no_error (error);
  serve_site (f, site);
  summary = run_ok (f, CHECK, NULL);
  g_assert_cmpstr (summary, ==, "Version file-doodles is available");
  installed = run_ok (f, INSTALL, NULL);
  g_assert_cmpstr (installed, ==, "Installed version file-doodles (downloaded)");
  /* No version in the store: the file's own metadata version shows. */
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_DOWNLOADED);
  g_assert_cmpstr (inkling_updater_get_active_name (f->updater), ==, "file-doodles (downloaded)");
  g_assert_cmpstr (inkling_updater_get_previous_name (f->updater), ==,
                   "1.0.0 (opened from a file)");
}

/* A server that fails: automatic checks back off (the engine's backoff),
 * and nothing is installed. */
static void
test_automatic_backoff (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autofree char *closed = NULL;
  gint64 last;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  address = g_inet_socket_address_new (loopback, 0);
  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  g_clear_object (&address);
  address = g_socket_get_local_address (socket, NULL);
  closed = g_strdup_printf ("http://127.0.0.1:%u/",
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
  g_clear_object (&socket);

  g_object_set (f->updater, "automatic-checks", TRUE, "server-url", closed, NULL);
  while (inkling_updater_get_last_check (f->updater) == 0 || !all_idle (f))
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (inkling_updater_get_last_ok (f->updater));
  last = inkling_updater_get_last_check (f->updater);
  /* The first backoff: 30 to 60 s (backoff_initial_s 60, halved with jitter). */
  g_assert_cmpint (inkling_updater_get_next_check (f->updater), >=, last + 30);
  g_assert_cmpint (inkling_updater_get_next_check (f->updater), <=, last + 61);
  assert_model (f, "1.0.0", INKLING_MODEL_SOURCE_BUNDLED);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/updater/status", test_status);
  ADD ("/updater/check", test_check);
  ADD ("/updater/install-rollback-reset", test_install_rollback_reset);
  ADD ("/updater/restart-downloaded", test_restart_downloaded);
  ADD ("/updater/errors", test_errors);
  ADD ("/updater/teach-during-install", test_teach_during_install);
  ADD ("/updater/shutdown", test_shutdown);
  ADD ("/updater/cancel", test_cancel);
  ADD ("/updater/automatic", test_automatic);
  ADD ("/updater/automatic-backoff", test_automatic_backoff);
  ADD ("/updater/ca-file", test_ca_file);
  ADD ("/updater/opened-file-same-version", test_opened_file_same_version);
  ADD ("/updater/opened-file-seed-form", test_opened_file_seed_form);
  ADD ("/updater/opened-file-not-preferred", test_opened_file_not_preferred);
#undef ADD

  return g_test_run ();
}

/* test-remote-cancel.c: ink_remote_cancel from another thread while the
 * updater is in each step (the check, choosing, verifying, compiling,
 * applying the examples; rollback's steps): the operation ends with
 * INK_ERR_CANCELLED, the active model stays, and the next operation is not
 * cancelled by it. Over real HTTP: a site `inkling-cli publish` writes,
 * served by `inkling-cli serve` on 127.0.0.1 ($INKLING_CLI).
 *
 * The updater's log callback is the hook: when the entry of the step asked
 * for is logged, the operation's thread waits there while a second thread
 * cancels, so the cancel lands inside that step every time. pthread
 * primitives, which ThreadSanitizer sees (Debian's GLib is not
 * instrumented).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-util.h"

/* The other thread, which cancels when the log callback asks it to. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  pthread_t thread;
  InkRemote *remote;
  bool asked;  /* the operation's thread waits in the log callback */
  bool done;   /* ink_remote_cancel returned */
  bool quit;   /* the thread ends */
  int cancels; /* how many times it cancelled */
  /* where to cancel: the first entry of this step whose message has text */
  InkActivityStep step;
  const char *text;
  bool armed;
} Canceller;

static void *
canceller_main (void *data)
{
  Canceller *c = data;

  pthread_mutex_lock (&c->lock);
  for (;;) {
    while (!c->asked && !c->quit)
      pthread_cond_wait (&c->cond, &c->lock);
    if (c->quit)
      break;
    c->asked = false;
    ink_remote_cancel (c->remote);
    c->cancels++;
    c->done = true;
    pthread_cond_broadcast (&c->cond);
  }
  pthread_mutex_unlock (&c->lock);
  return NULL;
}

/* On the operation's thread. */
static void
on_log (const InkActivityEntry *entry, void *user_data)
{
  Canceller *c = user_data;

  g_test_message ("log: %s %s: %s", ink_activity_step_to_string (entry->step),
                  entry->level == INK_ACTIVITY_ERROR ? "ERROR" : "info", entry->message);
  pthread_mutex_lock (&c->lock);
  if (c->armed && entry->step == c->step && strstr (entry->message, c->text) != NULL) {
    c->armed = false;
    c->done = false;
    c->asked = true;
    pthread_cond_broadcast (&c->cond);
    while (!c->done)
      pthread_cond_wait (&c->cond, &c->lock);
  }
  pthread_mutex_unlock (&c->lock);
}

static void
arm (Canceller *c, InkActivityStep step, const char *text)
{
  pthread_mutex_lock (&c->lock);
  c->step = step;
  c->text = text;
  c->armed = true;
  pthread_mutex_unlock (&c->lock);
}

/* Whether the armed cancel happened (and disarms it). */
static bool
fired (Canceller *c, int before)
{
  bool yes;

  pthread_mutex_lock (&c->lock);
  yes = c->cancels == before + 1;
  c->armed = false;
  pthread_mutex_unlock (&c->lock);
  return yes;
}

static int
cancels (Canceller *c)
{
  int n;

  pthread_mutex_lock (&c->lock);
  n = c->cancels;
  pthread_mutex_unlock (&c->lock);
  return n;
}

/* The user's examples: none, but the step runs (and logs). */
static InkStatus
on_personalize (const InkModel *base, InkModel **personalized, void *user_data, InkError *err)
{
  *personalized = NULL;
  return INK_OK;
}

/* ---- The site and its server ---- */

static void
run_cli (const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) g_getenv ("INKLING_CLI"));
  for (size_t i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("inkling-cli %s failed: %s%s", args[0], out, err);
}

/* `inkling-cli serve SITE --port 0`: its pid, and its URL in url. */
static GPid
serve (const char *site, char url[256])
{
  const char *argv[] = {g_getenv ("INKLING_CLI"), "serve", site, "--port", "0", NULL};
  g_autoptr (GError) error = NULL;
  GPid pid;
  int out;
  size_t n = 0;

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                                           NULL, NULL, &pid, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  /* its first line is the URL */
  while (n < 255) {
    ssize_t r = read (out, url + n, 1);

    if (r < 0 && errno == EINTR)
      continue;
    g_assert_cmpint (r, ==, 1);
    if (url[n] == '\n')
      break;
    n++;
  }
  url[n] = '\0';
  close (out);
  g_assert_true (g_str_has_prefix (url, "http://127.0.0.1:"));
  return pid;
}

static void
stop (GPid pid)
{
  kill (pid, SIGTERM);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
}

/* A model for the site and the store's bundled one: y = x + b. */
static char *
write_model (const char *dir, const char *name, double b)
{
  double w = 1.0;
  int64_t one = 1;
  InkFeatureType in = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &one);
  InkFeatureType out = ink_feature_type_double ();
  InkModel *m = ink_glm_regressor_new (&w, 1, 1, &b, INK_GLM_NO_TRANSFORM);
  char *path = g_build_filename (dir, name, NULL);
  InkError err = {0};

  ink_assert_ok (ink_model_add_input (m, "x", &in, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "y", &out, "", &err), &err);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  ink_assert_ok (ink_coreml_export (m, path, &err), &err);
  ink_model_free (m);
  return path;
}

/* ---- The test ---- */

typedef struct {
  InkModelStore *store;
  InkRemote *remote;
  Canceller canceller;
  char *models; /* the store's models folder */
} Fixture;

static char *
list_models (const Fixture *f)
{
  g_autoptr (GDir) dir = g_dir_open (f->models, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, (gpointer) name);
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (",", (char **) names->pdata);
}

static void
assert_active (const Fixture *f, InkModelSource source, const char *version)
{
  InkModelStoreEntry active;

  ink_model_store_refresh (f->store, NULL);
  ink_model_store_get_active (f->store, &active);
  g_assert_cmpint (active.source, ==, source);
  g_assert_cmpstr (active.version, ==, version);
}

/* The last error logged has words (and the store's log has it too). */
static void
assert_logged_error (const Fixture *f, const char *words)
{
  InkActivityEntry *entries = NULL;
  size_t n = 0;
  InkError err = {0};
  bool found = false;

  ink_assert_ok (ink_activity_read (f->store, 0, &entries, &n, &err), &err);
  for (size_t i = n; i-- > 0 && !found;) {
    if (entries[i].level == INK_ACTIVITY_ERROR) {
      g_assert_cmpint (entries[i].status, ==, INK_ERR_CANCELLED);
      g_assert_nonnull (strstr (entries[i].message, words));
      found = true;
    }
  }
  free (entries);
  g_assert_true (found);
}

typedef enum {
  OP_INSTALL,
  OP_ROLLBACK,
} Op;

/* Runs op with a cancel armed at (step, text): it must end cancelled with
 * a message having words, and the store stay as it was. */
static void
cancelled_at (Fixture *f, Op op, InkActivityStep step, const char *text, const char *words)
{
  g_autofree char *before = list_models (f);
  g_autofree char *after = NULL;
  InkModelStoreEntry active;
  g_autofree char *active_version = NULL;
  InkModelSource active_source;
  int n = cancels (&f->canceller);
  InkError err = {0};
  InkStatus st;
  bool installed = false;

  ink_model_store_get_active (f->store, &active);
  active_source = active.source;
  active_version = g_strdup (active.version);
  g_test_message ("cancel at %s \"%s\"", ink_activity_step_to_string (step), text);
  arm (&f->canceller, step, text);
  if (op == OP_INSTALL)
    st = ink_remote_install (f->remote, NULL, 0, &installed, NULL, &err);
  else
    st = ink_remote_rollback (f->remote, &err);
  g_assert_true (fired (&f->canceller, n));
  g_test_message ("-> %s: %s", ink_status_to_string (st), err.message);
  g_assert_cmpint (st, ==, INK_ERR_CANCELLED);
  g_assert_nonnull (strstr (err.message, words));
  g_assert_false (installed);
  assert_logged_error (f, words);
  assert_active (f, active_source, active_version);
  after = list_models (f);
  g_assert_cmpstr (after, ==, before);
}

static void
test_cancel_steps (void)
{
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *site = g_build_filename (dir, "site", NULL);
  g_autofree char *bundled = write_model (dir, "v1.mlmodel", 1);
  g_autofree char *v2 = write_model (dir, "v2.mlmodel", 2);
  g_autofree char *store_dir = g_build_filename (dir, "store", NULL);
  g_autofree char *manifest = NULL;
  char url[256];
  Fixture f = {0};
  InkRemoteConfig config;
  InkError err = {0};
  bool installed = false;
  GPid server;

  g_assert_nonnull (g_getenv ("INKLING_CLI"));
  g_assert_cmpint (g_mkdir_with_parents (site, 0700), ==, 0);
  run_cli ((const char *const[]){"publish", site, v2, "--version", "2.0.0", "--id", "glm", NULL});
  server = serve (site, url);
  manifest = g_strconcat (url, "manifest.json", NULL);

  f.store = ink_model_store_open (store_dir, bundled, &err);
  g_assert_nonnull (f.store);
  ink_model_store_set_bundled_version (f.store, "1.0.0");
  f.models = g_build_filename (store_dir, "models", NULL);
  pthread_mutex_init (&f.canceller.lock, NULL);
  pthread_cond_init (&f.canceller.cond, NULL);
  ink_remote_config_init (&config);
  config.manifest_url = manifest;
  config.personalize = on_personalize;
  config.log = on_log;
  config.log_data = &f.canceller;
  f.remote = ink_remote_new (f.store, &config, &err);
  g_assert_nonnull (f.remote);
  f.canceller.remote = f.remote;
  g_assert_cmpint (pthread_create (&f.canceller.thread, NULL, canceller_main, &f.canceller), ==, 0);

  /* Install: each step after the transfer that precedes it. */
  cancelled_at (&f, OP_INSTALL, INK_ACTIVITY_CHECK, "checking", "cancelled: ");
  cancelled_at (&f, OP_INSTALL, INK_ACTIVITY_HTTP, "manifest.json: HTTP 200",
                "cancelled before verifying the manifest");
  cancelled_at (&f, OP_INSTALL, INK_ACTIVITY_DECISION, "update available",
                "cancelled before choosing a model to install");
  cancelled_at (&f, OP_INSTALL, INK_ACTIVITY_HTTP, ".mlmodel: HTTP 200",
                "cancelled before verifying the download");
  cancelled_at (&f, OP_INSTALL, INK_ACTIVITY_VERIFY, "size and hash match",
                "cancelled before compiling");
  cancelled_at (&f, OP_INSTALL, INK_ACTIVITY_COMPILE, "test prediction succeeded",
                "cancelled before applying the user's examples");
  cancelled_at (&f, OP_INSTALL, INK_ACTIVITY_PERSONALIZE, "no examples",
                "cancelled before installing");
  assert_active (&f, INK_MODEL_SOURCE_BUNDLED, "1.0.0");

  /* A cancel while nothing runs is no cancel of what comes next. */
  ink_remote_cancel (f.remote);
  ink_assert_ok (ink_remote_install (f.remote, NULL, 0, &installed, NULL, &err), &err);
  g_assert_true (installed);
  assert_active (&f, INK_MODEL_SOURCE_DOWNLOADED, "2.0.0");

  /* Rollback: before applying the examples, and before switching. */
  cancelled_at (&f, OP_ROLLBACK, INK_ACTIVITY_ROLLBACK, "rolling back",
                "cancelled before applying the user's examples");
  cancelled_at (&f, OP_ROLLBACK, INK_ACTIVITY_PERSONALIZE, "no examples",
                "cancelled before switching the model");
  assert_active (&f, INK_MODEL_SOURCE_DOWNLOADED, "2.0.0");
  ink_assert_ok (ink_remote_rollback (f.remote, &err), &err);
  assert_active (&f, INK_MODEL_SOURCE_BUNDLED, "1.0.0");

  pthread_mutex_lock (&f.canceller.lock);
  f.canceller.quit = true;
  pthread_cond_broadcast (&f.canceller.cond);
  pthread_mutex_unlock (&f.canceller.lock);
  pthread_join (f.canceller.thread, NULL);
  pthread_cond_destroy (&f.canceller.cond);
  pthread_mutex_destroy (&f.canceller.lock);
  ink_remote_free (f.remote);
  ink_model_store_free (f.store);
  g_free (f.models);
  stop (server);
  ink_test_tmpdir_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/remote-cancel/steps", test_cancel_steps);
  return g_test_run ();
}

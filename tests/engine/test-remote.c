/* test-remote.c: the updater without a network: configuration, required
 * features, scheduling (backoff, Retry-After), the activity log, status,
 * and rollback and reset through the updater (with personalization
 * re-applied and logged).
 * Checks and installs over HTTP are tested end to end in tests/remote.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "ink-builder.h"
#include "test-util.h"

/* ---- Scheduling ---- */

static void
test_backoff (void)
{
  InkRemoteConfig c;

  ink_remote_config_init (&c);
  c.check_interval_s = 1000;
  c.backoff_initial_s = 60;
  c.backoff_max_s = 600;
  /* After a success: the interval plus up to 10% of jitter. */
  g_assert_cmpint (ink_remote_backoff_delay (&c, 0, 0, 0.0), ==, 1000);
  g_assert_cmpint (ink_remote_backoff_delay (&c, 0, 0, 0.5), ==, 1050);
  /* After n failures: d = min(max, initial * 2^(n-1)), delay in [d/2, d). */
  g_assert_cmpint (ink_remote_backoff_delay (&c, 1, 0, 0.0), ==, 30);
  g_assert_cmpint (ink_remote_backoff_delay (&c, 1, 0, 0.999), ==, 59);
  g_assert_cmpint (ink_remote_backoff_delay (&c, 2, 0, 0.0), ==, 60);
  g_assert_cmpint (ink_remote_backoff_delay (&c, 3, 0, 0.0), ==, 120);
  g_assert_cmpint (ink_remote_backoff_delay (&c, 4, 0, 0.0), ==, 240);
  g_assert_cmpint (ink_remote_backoff_delay (&c, 5, 0, 0.0), ==, 300);
  g_assert_cmpint (ink_remote_backoff_delay (&c, 50, 0, 0.0), ==, 300);
  g_assert_cmpint (ink_remote_backoff_delay (&c, 1000, 0, 0.5), ==, 450);
  /* Never earlier than Retry-After (capped to a week). */
  g_assert_cmpint (ink_remote_backoff_delay (&c, 1, 7200, 0.0), ==, 7200);
  g_assert_cmpint (ink_remote_backoff_delay (&c, 0, 100, 0.0), ==, 1000);
  g_assert_cmpint (ink_remote_backoff_delay (&c, 1, 1000000000, 0.0), ==, 7 * 24 * 3600);
  /* Out-of-range jitter counts as none; NULL config: the defaults. */
  g_assert_cmpint (ink_remote_backoff_delay (&c, 1, 0, 7.0), ==, 30);
  g_assert_cmpint (ink_remote_backoff_delay (NULL, 0, 0, 0.0), ==, 86400);
}

static void
test_retry_after (void)
{
  int64_t now = 1000000000; /* 2001-09-09T01:46:40Z */

  g_assert_cmpint (ink_remote_parse_retry_after ("120", now), ==, 120);
  g_assert_cmpint (ink_remote_parse_retry_after (" 0", now), ==, 0);
  g_assert_cmpint (ink_remote_parse_retry_after ("Sun, 09 Sep 2001 01:48:40 GMT", now), ==, 120);
  /* A date in the past: now. */
  g_assert_cmpint (ink_remote_parse_retry_after ("Sun, 09 Sep 2001 01:00:00 GMT", now), ==, 0);
  g_assert_cmpint (ink_remote_parse_retry_after ("soon", now), ==, -1);
  g_assert_cmpint (ink_remote_parse_retry_after ("12abc", now), ==, -1);
  g_assert_cmpint (ink_remote_parse_retry_after ("", now), ==, -1);
  g_assert_cmpint (ink_remote_parse_retry_after (NULL, now), ==, -1);
}

/* ---- The activity log ---- */

static InkActivityEntry
make_entry (int i)
{
  InkActivityEntry e;

  memset (&e, 0, sizeof e);
  e.time_ms = 1795341600123 + i;
  e.step = INK_ACTIVITY_DOWNLOAD;
  e.level = INK_ACTIVITY_WARNING;
  e.status = INK_ERR_NETWORK;
  e.http_status = 206;
  e.bytes = 4096 + i;
  g_strlcpy (e.model, "doodles", sizeof e.model);
  g_strlcpy (e.version, "1.2.0", sizeof e.version);
  g_snprintf (e.message, sizeof e.message, "resumed \"%d\" \xc3\xa9", i);
  return e;
}

static void
test_activity_json (void)
{
  InkActivityEntry e = make_entry (0), back;
  InkError err = {0};
  char *json = ink_activity_entry_to_json (&e);
  char line[INK_ACTIVITY_MESSAGE_SIZE + 256];

  g_assert_nonnull (strstr (json, "\"time\":\"2026-11-22T10:00:00.123Z\""));
  g_assert_nonnull (strstr (json, "\"step\":\"download\""));
  g_assert_nonnull (strstr (json, "\"level\":\"warning\""));
  {
    g_autofree char *want =
      g_strdup_printf ("\"status\":\"%s\"", ink_status_to_string (INK_ERR_NETWORK));

    g_assert_nonnull (strstr (json, want));
  }
  ink_assert_ok (ink_activity_entry_from_json (json, &back, &err), &err);
  g_assert_cmpmem (&e, sizeof e, &back, sizeof back);
  free (json);
  g_assert_cmpint (ink_activity_entry_from_json ("{\"step\": 1}", &back, &err), ==, INK_ERR_FORMAT);
  g_assert_cmpint (ink_activity_entry_from_json ("nope", &back, &err), ==, INK_ERR_FORMAT);
  ink_activity_format (&e, line, sizeof line);
  g_assert_nonnull (strstr (line, "2026-11-22 10:00:00"));
  g_assert_nonnull (strstr (line, "download"));
  g_assert_nonnull (strstr (line, "1.2.0"));
  g_assert_nonnull (strstr (line, "(HTTP 206)"));
  for (int s = INK_ACTIVITY_CHECK; s <= INK_ACTIVITY_SCHEDULE; s++)
    g_assert_cmpstr (ink_activity_step_to_string ((InkActivityStep) s), !=, "unknown");
}

static void
test_activity_file (void)
{
  char *dir = ink_test_tmpdir_new ();
  InkError err = {0};
  InkModelStore *store = ink_model_store_open (dir, NULL, &err);
  InkActivityEntry *entries = NULL;
  size_t n = 99;
  char *json;

  g_assert_nonnull (store);
  ink_assert_ok (ink_activity_read (store, 0, &entries, &n, &err), &err);
  g_assert_cmpuint (n, ==, 0);
  free (entries);
  for (int i = 0; i < 30; i++) {
    InkActivityEntry e = make_entry (i);

    ink_assert_ok (ink_activity_append (store, &e, 10, &err), &err);
  }
  /* Capped: at most the last 10 (trimmed to three quarters when past the
   * cap), oldest first. */
  ink_assert_ok (ink_activity_read (store, 0, &entries, &n, &err), &err);
  g_assert_cmpuint (n, >=, 7);
  g_assert_cmpuint (n, <=, 10);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpint (entries[i].bytes, ==, 4096 + 30 - (int64_t) n + (int64_t) i);
  json = ink_activity_to_json (entries, n);
  g_assert_true (json[0] == '[');
  free (json);
  free (entries);
  ink_assert_ok (ink_activity_read (store, 3, &entries, &n, &err), &err);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpint (entries[2].bytes, ==, 4096 + 29);
  free (entries);
  ink_assert_ok (ink_activity_clear (store, &err), &err);
  ink_assert_ok (ink_activity_read (store, 0, &entries, &n, &err), &err);
  g_assert_cmpuint (n, ==, 0);
  free (entries);
  ink_model_store_free (store);
  ink_test_tmpdir_free (dir);
}

/* ---- The updater ---- */

static InkModel *
make_model (double b)
{
  double w = 1.0;
  int64_t one = 1;
  InkFeatureType in = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &one);
  InkFeatureType out = ink_feature_type_double ();
  InkModel *m = ink_glm_regressor_new (&w, 1, 1, &b, INK_GLM_NO_TRANSFORM);
  InkError err = {0};

  ink_assert_ok (ink_model_add_input (m, "x", &in, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "y", &out, "", &err), &err);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  return m;
}

static double
answer (const InkModel *m)
{
  int64_t one = 1;
  double x = 0, y;
  InkFeatures *in = ink_features_new (), *out = NULL;
  InkError err = {0};

  ink_assert_ok (
    ink_features_set (in, "x", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &one, &x)), &err);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  y = ink_value_get_double (ink_features_get (out, "y"));
  ink_features_free (in);
  ink_features_free (out);
  return y;
}

typedef struct {
  GPtrArray *log; /* of InkActivityEntry copies */
  int personalized;
  gboolean fail;
} Observer;

static void
on_log (const InkActivityEntry *entry, void *user_data)
{
  Observer *o = user_data;

  g_ptr_array_add (o->log, g_memdup2 (entry, sizeof *entry));
}

/* The user's examples: +100 on whatever base. */
static InkStatus
on_personalize (const InkModel *base, InkModel **personalized, void *user_data, InkError *err)
{
  Observer *o = user_data;

  if (o->fail)
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "the examples do not fit");
  o->personalized++;
  *personalized = make_model (answer (base) + 100);
  return INK_OK;
}

static gboolean
logged (Observer *o, InkActivityStep step, InkActivityLevel level, const char *words)
{
  for (guint i = 0; i < o->log->len; i++) {
    const InkActivityEntry *e = o->log->pdata[i];

    if (e->step == step && e->level == level && strstr (e->message, words) != NULL)
      return TRUE;
  }
  return FALSE;
}

static double
active_answer (InkModelStore *store)
{
  InkError err = {0};
  InkModel *m = ink_model_store_load (store, 0, NULL, &err);
  double y;

  g_assert_nonnull (m);
  y = answer (m);
  ink_model_free (m);
  return y;
}

static void
test_config (void)
{
  char *dir = ink_test_tmpdir_new ();
  InkError err = {0};
  InkModelStore *store = ink_model_store_open (dir, NULL, &err);
  InkRemoteConfig c;
  InkRemote *remote;
  InkRemoteCheckResult result;

  ink_remote_config_init (&c);
  c.manifest_url = "ftp://example/manifest.json";
  g_assert_null (ink_remote_new (store, &c, &err));
  g_assert_cmpint (err.status, ==, INK_ERR_INVALID_ARGUMENT);
  c.manifest_url = "http://127.0.0.1:9/manifest.json";
  c.public_key = "RWQnot-a-key";
  g_assert_null (ink_remote_new (store, &c, &err));
  g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
  g_assert_nonnull (strstr (err.message, "public key"));
  c.public_key = NULL;
  c.manifest_url = NULL;
  remote = ink_remote_new (store, &c, &err);
  g_assert_nonnull (remote);
  /* No server: the check fails and says so; nothing changes. */
  g_assert_cmpint (ink_remote_check (remote, &result, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (result.outcome, ==, INK_CHECK_FAILED);
  g_assert_nonnull (strstr (result.reason, "no server URL"));
  g_assert_cmpint (result.next_check, >, 0);
  g_assert_cmpuint (ink_remote_n_available (remote), ==, 0);
  /* A refused connection: a network error, a failure counted, backoff. */
  c.manifest_url = "http://127.0.0.1:9/manifest.json";
  c.connect_timeout_ms = 2000;
  ink_assert_ok (ink_remote_set_config (remote, &c, &err), &err);
  g_assert_cmpint (ink_remote_check (remote, &result, &err), ==, INK_ERR_NETWORK);
  {
    InkRemoteStatus s;
    char *json;

    ink_remote_get_status (remote, &s);
    g_assert_cmpint (s.failures, ==, 2);
    g_assert_cmpint (s.last_status, ==, INK_ERR_NETWORK);
    g_assert_cmpstr (s.manifest_url, ==, c.manifest_url);
    /* two failures in a row: in [60, 120) s with the default backoff */
    g_assert_cmpint (s.next_check, >=, s.last_check + 60);
    g_assert_cmpint (s.next_check, <, s.last_check + 120);
    json = ink_remote_status_to_json (remote);
    g_assert_true (strstr (json, "\"failures\":\t2") != NULL ||
                   strstr (json, "\"failures\": 2") != NULL);
    free (json);
  }
  g_assert_cmpstr (ink_check_outcome_to_string (INK_CHECK_UPDATE_AVAILABLE), ==,
                   "update-available");
  ink_remote_free (remote);
  ink_model_store_free (store);
  ink_test_tmpdir_free (dir);
}

/* The features a model needs: the reference model's inputs and outputs. */
static void
test_requirements (void)
{
  InkModel *m = make_model (0);
  InkRemoteRequirements req;
  InkError err = {0};

  ink_assert_ok (
    ink_remote_requirements_from_description (ink_model_get_description (m), &req, &err), &err);
  g_assert_cmpuint (req.n_inputs, ==, 1);
  g_assert_cmpstr (req.inputs[0].name, ==, "x");
  g_assert_cmpint (req.inputs[0].type, ==, INK_VALUE_MULTIARRAY);
  g_assert_cmpuint (req.n_outputs, ==, 1);
  g_assert_cmpstr (req.outputs[0].name, ==, "y");
  g_assert_cmpint (req.outputs[0].type, ==, INK_VALUE_DOUBLE);
  ink_remote_requirements_clear (&req);
  g_assert_null (req.inputs);
  g_assert_cmpuint (req.n_inputs, ==, 0);
  g_assert_null (req.outputs);
  g_assert_cmpuint (req.n_outputs, ==, 0);
  ink_remote_requirements_clear (&req);
  ink_model_free (m);
}

/* A store in a temporary folder (its bundled model answers 0) and an
 * updater on it that applies the examples through o and logs to o. Its
 * manifest is never fetched: the tests install models in the store as the
 * updater does. */
typedef struct {
  char *dir;
  Observer o;
  InkModelStore *store;
  InkRemote *remote;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *bundled = NULL;
  g_autofree char *store_dir = NULL;
  InkModel *m = make_model (0);
  InkError err = {0};
  InkRemoteConfig c;

  f->dir = ink_test_tmpdir_new ();
  f->o.log = g_ptr_array_new_with_free_func (g_free);
  bundled = g_build_filename (f->dir, "bundled.inkmodel", NULL);
  store_dir = g_build_filename (f->dir, "store", NULL);
  ink_assert_ok (ink_model_save (m, bundled, &err), &err);
  ink_model_free (m);
  f->store = ink_model_store_open (store_dir, bundled, &err);
  g_assert_nonnull (f->store);
  ink_remote_config_init (&c);
  c.manifest_url = "http://127.0.0.1:9/manifest.json";
  c.personalize = on_personalize;
  c.personalize_data = &f->o;
  c.log = on_log;
  c.log_data = &f->o;
  f->remote = ink_remote_new (f->store, &c, &err);
  g_assert_nonnull (f->remote);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  ink_remote_free (f->remote);
  ink_model_store_free (f->store);
  g_ptr_array_unref (f->o.log);
  ink_test_tmpdir_free (f->dir);
}

static void
test_rollback_reset (Fixture *f, gconstpointer data)
{
  InkError err = {0};
  InkModel *m;
  InkRemoteStatus s;

  /* Nothing to roll back to. */
  g_assert_cmpint (ink_remote_rollback (f->remote, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_true (logged (&f->o, INK_ACTIVITY_ROLLBACK, INK_ACTIVITY_ERROR, "no previous model"));

  /* Two models installed (as the updater's install step does it). */
  for (int v = 1; v <= 2; v++) {
    InkModelStoreEntry entry = {.id = "m", .version = v == 1 ? "1" : "2"};

    m = make_model (v);
    ink_assert_ok (ink_model_store_install (f->store, &entry, m, NULL, &err), &err);
    ink_model_free (m);
  }
  g_assert_cmpfloat (active_answer (f->store), ==, 2);

  /* Rollback: 1 is active, with the examples applied again; 2 is skipped. */
  ink_assert_ok (ink_remote_rollback (f->remote, &err), &err);
  g_assert_cmpint (f->o.personalized, ==, 1);
  g_assert_cmpfloat (active_answer (f->store), ==, 101);
  g_assert_true (logged (&f->o, INK_ACTIVITY_ROLLBACK, INK_ACTIVITY_INFO, "rolling back"));
  g_assert_true (logged (&f->o, INK_ACTIVITY_PERSONALIZE, INK_ACTIVITY_INFO, "examples"));
  g_assert_true (logged (&f->o, INK_ACTIVITY_ACTIVATE, INK_ACTIVITY_INFO, "m 1 is now active"));
  ink_remote_get_status (f->remote, &s);
  g_assert_cmpstr (s.active.version, ==, "1");
  g_assert_cmpstr (s.previous.version, ==, "2");
  g_assert_cmpstr (s.skipped_id, ==, "m");
  g_assert_cmpstr (s.skipped_version, ==, "2");

  /* A failing personalization fails the reset; the active model stays. */
  f->o.fail = TRUE;
  g_assert_cmpint (ink_remote_reset (f->remote, &err), ==, INK_ERR_UNSUPPORTED);
  g_assert_true (logged (&f->o, INK_ACTIVITY_PERSONALIZE, INK_ACTIVITY_ERROR, "do not fit"));
  g_assert_cmpfloat (active_answer (f->store), ==, 101);
  f->o.fail = FALSE;

  /* Reset: the bundled model with the examples; the skip is forgotten. */
  ink_assert_ok (ink_remote_reset (f->remote, &err), &err);
  g_assert_cmpfloat (active_answer (f->store), ==, 100);
  g_assert_true (logged (&f->o, INK_ACTIVITY_RESET, INK_ACTIVITY_INFO, "resetting"));
  ink_remote_get_status (f->remote, &s);
  g_assert_cmpint (s.active.source, ==, INK_MODEL_SOURCE_BUNDLED);
  g_assert_cmpstr (s.previous.version, ==, "1");
  g_assert_null (s.skipped_id);

  /* Everything went to the store's log too. */
  {
    InkActivityEntry *entries = NULL;
    size_t n = 0;

    ink_assert_ok (ink_activity_read (f->store, 0, &entries, &n, &err), &err);
    g_assert_cmpuint (n, ==, f->o.log->len);
    free (entries);
  }
}

/* A model opened from a file (installed in the store by the app, not by
 * the updater): the updater rolls back from it and to it like any other
 * installed model, and its status says where it came from. */
static void
test_opened_file (Fixture *f, gconstpointer data)
{
  g_autofree char *json = NULL;
  InkModelStoreEntry downloaded = {.id = "m", .version = "2", .url = "https://x.example/m.mlmodel"};
  InkModelStoreEntry opened = {.id = "file-mine",
                               .version = "9",
                               .url = "file:///home/someone/mine.mlmodel",
                               .origin = INK_MODEL_ORIGIN_FILE};
  InkError err = {0};
  InkModel *m;
  InkRemoteStatus s;

  m = make_model (2);
  ink_assert_ok (ink_model_store_install (f->store, &downloaded, m, NULL, &err), &err);
  ink_model_free (m);
  m = make_model (9);
  ink_assert_ok (ink_model_store_install (f->store, &opened, m, NULL, &err), &err);
  ink_model_free (m);
  ink_remote_get_status (f->remote, &s);
  g_assert_cmpint (s.active.origin, ==, INK_MODEL_ORIGIN_FILE);
  json = ink_remote_status_to_json (f->remote);
  g_assert_true (g_regex_match_simple ("\"origin\":\\s*\"file\"", json, 0, 0));

  /* Rolled back from: the downloaded model runs; the opened one is the
   * previous, still from a file. */
  ink_assert_ok (ink_remote_rollback (f->remote, &err), &err);
  g_assert_cmpfloat (active_answer (f->store), ==, 102);
  ink_remote_get_status (f->remote, &s);
  g_assert_cmpstr (s.active.id, ==, "m");
  g_assert_cmpint (s.active.origin, ==, INK_MODEL_ORIGIN_SERVER);
  g_assert_cmpstr (s.previous.id, ==, "file-mine");
  g_assert_cmpint (s.previous.origin, ==, INK_MODEL_ORIGIN_FILE);
  /* Rolled back to: it runs again, with the examples applied. */
  ink_assert_ok (ink_remote_rollback (f->remote, &err), &err);
  g_assert_cmpfloat (active_answer (f->store), ==, 109);
  ink_remote_get_status (f->remote, &s);
  g_assert_cmpstr (s.active.id, ==, "file-mine");
  g_assert_cmpint (s.active.origin, ==, INK_MODEL_ORIGIN_FILE);
  g_assert_true (
    logged (&f->o, INK_ACTIVITY_ACTIVATE, INK_ACTIVITY_INFO, "file-mine 9 is now active"));
  /* Reset: the bundled model; the opened one is kept for rollback. */
  ink_assert_ok (ink_remote_reset (f->remote, &err), &err);
  ink_remote_get_status (f->remote, &s);
  g_assert_cmpint (s.active.source, ==, INK_MODEL_SOURCE_BUNDLED);
  g_assert_cmpstr (s.previous.id, ==, "file-mine");
  g_assert_cmpint (s.previous.origin, ==, INK_MODEL_ORIGIN_FILE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/remote/backoff", test_backoff);
  g_test_add_func ("/remote/retry-after", test_retry_after);
  g_test_add_func ("/remote/activity-json", test_activity_json);
  g_test_add_func ("/remote/activity-file", test_activity_file);
  g_test_add_func ("/remote/config", test_config);
  g_test_add_func ("/remote/requirements", test_requirements);
  g_test_add ("/remote/rollback-reset", Fixture, NULL, fixture_set_up, test_rollback_reset,
              fixture_tear_down);
  g_test_add ("/remote/opened-file", Fixture, NULL, fixture_set_up, test_opened_file,
              fixture_tear_down);
  return g_test_run ();
}

/* test-model-store.c: the model store folder: the pointer file, install,
 * personalized models, rollback, reset, clean-up, fallback to the bundled
 * model, and names that must not leave the store
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

#include <glib/gstdio.h>

#include "ink-builder.h"
#include "test-util.h"

typedef struct {
  char *dir;     /* the temporary folder */
  char *store;   /* DIR/store */
  char *bundled; /* DIR/bundled.inkmodel: y = x + 0 */
} Fixture;

/* A regressor y = x + b, so the model that answers can be told by b. */
static InkModel *
make_model (double b)
{
  double w = 1.0;
  int64_t one = 1;
  InkFeatureType in = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &one);
  InkFeatureType out = ink_feature_type_double ();
  InkModel *m = ink_glm_regressor_new (&w, 1, 1, &b, INK_GLM_NO_TRANSFORM);
  InkError err = {0};

  g_assert_nonnull (m);
  ink_assert_ok (ink_model_add_input (m, "x", &in, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "y", &out, "", &err), &err);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  return m;
}

/* What the model answers for x = 0: its b. */
static double
answer (const InkModel *m)
{
  int64_t one = 1;
  double x = 0;
  InkFeatures *in = ink_features_new (), *out = NULL;
  InkError err = {0};
  double y;

  ink_assert_ok (
    ink_features_set (in, "x", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &one, &x)), &err);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  y = ink_value_get_double (ink_features_get (out, "y"));
  ink_features_free (in);
  ink_features_free (out);
  return y;
}

/* Loads what the store runs and returns its answer; info filled. */
static double
load_answer (InkModelStore *store, unsigned flags, InkModelStoreLoad *info)
{
  InkError err = {0};
  InkModel *m = ink_model_store_load (store, flags, info, &err);
  double y;

  if (m == NULL)
    g_error ("the store loads nothing: %s", err.message);
  y = answer (m);
  ink_model_free (m);
  return y;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  InkModel *m = make_model (0);
  InkError err = {0};

  f->dir = ink_test_tmpdir_new ();
  f->store = g_build_filename (f->dir, "store", NULL);
  f->bundled = g_build_filename (f->dir, "bundled.inkmodel", NULL);
  ink_assert_ok (ink_model_save (m, f->bundled, &err), &err);
  ink_model_free (m);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  ink_test_tmpdir_free (f->dir);
  g_free (f->store);
  g_free (f->bundled);
}

static InkModelStore *
open_store (Fixture *f)
{
  InkError err = {0};
  InkModelStore *store = ink_model_store_open (f->store, f->bundled, &err);

  if (store == NULL)
    g_error ("cannot open the store: %s", err.message);
  return store;
}

static void
install (InkModelStore *store, const char *id, const char *version, double b, double personal_b)
{
  InkModelStoreEntry entry = {.id = id, .version = version, .sha256 = "00", .url = "http://x/"};
  InkModel *base = make_model (b);
  InkModel *personal = personal_b != 0 ? make_model (personal_b) : NULL;
  InkError err = {0};

  ink_assert_ok (ink_model_store_install (store, &entry, base, personal, &err), &err);
  ink_model_free (base);
  ink_model_free (personal);
}

static char *
store_file (Fixture *f, const char *name)
{
  return g_build_filename (f->store, name, NULL);
}

static gboolean
exists (Fixture *f, const char *name)
{
  g_autofree char *path = store_file (f, name);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
test_new_store (Fixture *f, gconstpointer data)
{
  InkModelStore *store = open_store (f), *again;
  InkModelStoreEntry active, previous;
  InkModelStoreLoad info;
  g_autofree char *id = NULL;
  struct stat st;

  g_assert_cmpint (stat (f->store, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_true (exists (f, "models") && exists (f, "downloads"));
  g_assert_false (exists (f, "active.json"));
  id = g_strdup (ink_model_store_get_installation_id (store));
  g_assert_cmpuint (strlen (id), ==, 32);
  g_assert_cmpstr (ink_model_store_get_problem (store), ==, "");
  ink_model_store_get_active (store, &active);
  g_assert_cmpint (active.source, ==, INK_MODEL_SOURCE_BUNDLED);
  g_assert_cmpstr (active.id, ==, INK_MODEL_STORE_BUNDLED_ID);
  g_assert_cmpstr (active.path, ==, f->bundled);
  g_assert_null (active.version);
  g_assert_false (ink_model_store_get_previous (store, &previous));
  g_assert_null (previous.id);
  g_assert_cmpfloat (load_answer (store, 0, &info), ==, 0);
  g_assert_false (info.fell_back);
  g_assert_cmpint (info.entry.source, ==, INK_MODEL_SOURCE_BUNDLED);
  ink_model_store_set_bundled_version (store, "1.5");
  ink_model_store_get_active (store, &active);
  g_assert_cmpstr (active.version, ==, "1.5");
  /* The installation id is made once. */
  again = open_store (f);
  g_assert_cmpstr (ink_model_store_get_installation_id (again), ==, id);
  ink_model_store_free (again);
  ink_model_store_free (store);
}

static void
test_install_rollback_reset (Fixture *f, gconstpointer data)
{
  InkModelStore *store = open_store (f), *other = open_store (f);
  InkModelStoreEntry active, previous;
  InkModelStoreLoad info;
  InkError err = {0};
  InkModel *personal;

  install (store, "knn", "1.0", 1, 0);
  g_assert_true (exists (f, "active.json"));
  g_assert_true (exists (f, "models/knn-1.0.inkmodel"));
  ink_model_store_get_active (store, &active);
  g_assert_cmpint (active.source, ==, INK_MODEL_SOURCE_DOWNLOADED);
  g_assert_cmpstr (active.id, ==, "knn");
  g_assert_cmpstr (active.version, ==, "1.0");
  g_assert_cmpstr (active.sha256, ==, "00");
  g_assert_cmpstr (active.url, ==, "http://x/");
  g_assert_null (active.personal_path);
  g_assert_cmpint (active.installed_at, >, 0);
  g_assert_true (ink_model_store_get_previous (store, &previous));
  g_assert_cmpint (previous.source, ==, INK_MODEL_SOURCE_BUNDLED);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 1);
  /* Another handle sees the change once it refreshes (load refreshes). */
  g_assert_cmpfloat (load_answer (other, 0, NULL), ==, 1);

  /* 2.0 with the user's examples applied. */
  install (store, "knn", "2.0", 2, 20);
  g_assert_cmpfloat (load_answer (store, 0, &info), ==, 20);
  g_assert_true (info.personalized);
  g_assert_cmpfloat (load_answer (store, INK_MODEL_STORE_LOAD_BASE, &info), ==, 2);
  g_assert_false (info.personalized);
  ink_model_store_get_previous (store, &previous);
  g_assert_cmpstr (previous.version, ==, "1.0");

  /* 3.0: the previous one is 2.0 (with its personalized file); 1.0 is
   * deleted. */
  install (store, "knn", "3.0", 3, 0);
  g_assert_false (exists (f, "models/knn-1.0.inkmodel"));
  g_assert_true (exists (f, "models/knn-2.0.inkmodel"));
  g_assert_true (exists (f, "models/knn-2.0.personal.inkmodel"));
  g_assert_true (exists (f, "models/knn-3.0.inkmodel"));

  /* Rollback: 2.0 active (the examples applied again), 3.0 previous. */
  personal = make_model (21);
  ink_assert_ok (ink_model_store_rollback (store, personal, &err), &err);
  ink_model_free (personal);
  ink_model_store_get_active (store, &active);
  g_assert_cmpstr (active.version, ==, "2.0");
  ink_model_store_get_previous (store, &previous);
  g_assert_cmpstr (previous.version, ==, "3.0");
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 21);
  /* A second rollback undoes the first. */
  ink_assert_ok (ink_model_store_rollback (store, NULL, &err), &err);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 3);

  /* Reset: the bundled model, 3.0 kept as the previous one. */
  personal = make_model (50);
  ink_assert_ok (ink_model_store_reset (store, personal, &err), &err);
  ink_model_free (personal);
  ink_model_store_get_active (store, &active);
  g_assert_cmpint (active.source, ==, INK_MODEL_SOURCE_BUNDLED);
  g_assert_nonnull (active.personal_path);
  ink_model_store_get_previous (store, &previous);
  g_assert_cmpstr (previous.version, ==, "3.0");
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 50);
  g_assert_false (exists (f, "models/knn-2.0.inkmodel"));
  g_assert_false (exists (f, "models/knn-2.0.personal.inkmodel"));

  /* Personalization of the active entry: save and clear. */
  personal = make_model (60);
  ink_assert_ok (ink_model_store_save_personalized (store, personal, &err), &err);
  ink_model_free (personal);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 60);
  ink_assert_ok (ink_model_store_clear_personalized (store, &err), &err);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 0);

  ink_model_store_free (other);
  ink_model_store_free (store);
}

static void
test_reinstall_keeps_previous (Fixture *f, gconstpointer data)
{
  InkModelStore *store = open_store (f);
  InkModelStoreEntry previous;

  install (store, "knn", "1.0", 1, 0);
  install (store, "knn", "2.0", 2, 0);
  install (store, "knn", "2.0", 4, 0);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 4);
  g_assert_true (ink_model_store_get_previous (store, &previous));
  g_assert_cmpstr (previous.version, ==, "1.0");
  ink_model_store_free (store);
}

static void
test_rollback_without_previous (Fixture *f, gconstpointer data)
{
  InkModelStore *store = open_store (f);
  InkError err = {0};

  g_assert_cmpint (ink_model_store_rollback (store, NULL, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (err.message, "previous"));
  /* The previous model's file is gone: the rollback is refused and the
   * active model stays. */
  install (store, "knn", "1.0", 1, 0);
  install (store, "knn", "2.0", 2, 0);
  {
    g_autofree char *path = store_file (f, "models/knn-1.0.inkmodel");

    g_assert_cmpint (g_unlink (path), ==, 0);
  }
  g_assert_cmpint (ink_model_store_rollback (store, NULL, &err), !=, INK_OK);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 2);
  ink_model_store_free (store);
}

static void
test_fallback (Fixture *f, gconstpointer data)
{
  InkModelStore *store = open_store (f);
  g_autofree char *pointer = store_file (f, "active.json");
  g_autofree char *good = NULL;
  InkModelStoreLoad info;
  InkModelStoreEntry active;

  install (store, "knn", "1.0", 1, 10);
  g_assert_true (g_file_get_contents (pointer, &good, NULL, NULL));

  /* A corrupt personalized model: its base model runs. */
  {
    g_autofree char *path = store_file (f, "models/knn-1.0.personal.inkmodel");

    g_assert_true (g_file_set_contents (path, "garbage", -1, NULL));
    g_assert_cmpfloat (load_answer (store, 0, &info), ==, 1);
    g_assert_true (info.fell_back);
    g_assert_nonnull (strstr (info.reason, "personalized"));
  }
  /* A missing base model: the bundled model, saying why. */
  {
    g_autofree char *path = store_file (f, "models/knn-1.0.inkmodel");

    g_assert_cmpint (g_unlink (path), ==, 0);
    g_assert_cmpfloat (load_answer (store, INK_MODEL_STORE_LOAD_BASE, &info), ==, 0);
    g_assert_true (info.fell_back);
    g_assert_cmpint (info.entry.source, ==, INK_MODEL_SOURCE_BUNDLED);
    g_assert_nonnull (strstr (info.reason, "knn 1.0"));
    g_assert_nonnull (strstr (info.reason, "bundled"));
  }
  /* A corrupt pointer file: the bundled model, and the problem is told. */
  g_assert_true (g_file_set_contents (pointer, "{\"active\": [", -1, NULL));
  g_assert_cmpfloat (load_answer (store, 0, &info), ==, 0);
  g_assert_true (info.fell_back);
  g_assert_nonnull (strstr (info.reason, "active.json"));
  g_assert_nonnull (strstr (ink_model_store_get_problem (store), "corrupt"));
  ink_model_store_get_active (store, &active);
  g_assert_cmpint (active.source, ==, INK_MODEL_SOURCE_BUNDLED);
  /* A pointer file naming a file outside the store is corrupt too. */
  {
    g_autofree char *evil = NULL;
    char *at = strstr (good, "knn-1.0.inkmodel");

    g_assert_nonnull (at);
    evil = g_strdup_printf ("%.*s../../bundled.inkmodel%s", (int) (at - good), good,
                            at + strlen ("knn-1.0.inkmodel"));
    g_assert_true (g_file_set_contents (pointer, evil, -1, NULL));
    ink_model_store_refresh (store, NULL);
    g_assert_nonnull (strstr (ink_model_store_get_problem (store), "unsafe"));
    ink_model_store_get_active (store, &active);
    g_assert_cmpint (active.source, ==, INK_MODEL_SOURCE_BUNDLED);
  }
  /* A missing pointer file is no problem: nothing was installed. */
  g_assert_cmpint (g_unlink (pointer), ==, 0);
  ink_model_store_refresh (store, NULL);
  g_assert_cmpstr (ink_model_store_get_problem (store), ==, "");
  g_assert_cmpfloat (load_answer (store, 0, &info), ==, 0);
  g_assert_false (info.fell_back);
  ink_model_store_free (store);
}

static void
test_no_bundled (Fixture *f, gconstpointer data)
{
  InkError err = {0};
  InkModelStore *store = ink_model_store_open (f->store, NULL, &err);
  InkModelStoreLoad info;

  g_assert_nonnull (store);
  g_assert_null (ink_model_store_load (store, 0, &info, &err));
  g_assert_cmpint (err.status, !=, INK_OK);
  g_assert_cmpint (ink_model_store_reset (store, NULL, &err), ==, INK_ERR_INVALID_ARGUMENT);
  install (store, "knn", "1.0", 1, 0);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 1);
  ink_model_store_free (store);
}

static void
test_cleanup (Fixture *f, gconstpointer data)
{
  InkModelStore *store = open_store (f);
  g_autofree char *stray = store_file (f, "models/stray.inkmodel");
  g_autofree char *old = store_file (f, "downloads/old.mlmodel.partial");
  g_autofree char *fresh = store_file (f, "downloads/fresh.mlmodel.partial");
  struct utimbuf long_ago = {.actime = 1000000000, .modtime = 1000000000};
  InkError err = {0};
  size_t removed = 99;

  install (store, "knn", "1.0", 1, 0);
  g_assert_true (g_file_set_contents (stray, "x", -1, NULL));
  g_assert_true (g_file_set_contents (old, "x", -1, NULL));
  g_assert_true (g_file_set_contents (fresh, "x", -1, NULL));
  g_assert_cmpint (utime (old, &long_ago), ==, 0);
  ink_assert_ok (ink_model_store_cleanup (store, &removed, &err), &err);
  g_assert_cmpuint (removed, ==, 2);
  g_assert_false (g_file_test (stray, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (fresh, G_FILE_TEST_EXISTS));
  g_assert_true (exists (f, "models/knn-1.0.inkmodel"));
  /* With a corrupt pointer file nothing is known to be unused. */
  {
    g_autofree char *pointer = store_file (f, "active.json");

    g_assert_true (g_file_set_contents (pointer, "junk", -1, NULL));
    ink_assert_ok (ink_model_store_cleanup (store, &removed, &err), &err);
    g_assert_cmpuint (removed, ==, 0);
    g_assert_true (exists (f, "models/knn-1.0.inkmodel"));
  }
  ink_model_store_free (store);
}

static void
test_safe_names (void)
{
  static const char *const refused[] = {
    "",   "../../evil", "/etc/passwd", "a/b",       "a/../../b",
    "..", ".hidden",    "a\\b",        "tab\there", "x..y",
  };
  char out[INK_MODEL_STORE_NAME_SIZE];
  InkError err = {0};
  char long_id[100];

  for (size_t i = 0; i < G_N_ELEMENTS (refused); i++) {
    if (ink_model_store_safe_name (refused[i], out, &err) != INK_ERR_VERIFICATION)
      g_error ("the name \"%s\" was accepted as \"%s\"", refused[i], out);
    g_assert_nonnull (strstr (err.message, "unsafe name"));
    g_assert_true (refused[i][0] == '\0' || strstr (err.message, "leave the store"));
  }
  ink_assert_ok (ink_model_store_safe_name ("knn", out, &err), &err);
  g_assert_cmpstr (out, ==, "knn");
  ink_assert_ok (ink_model_store_safe_name ("80a2-82d1-bcf8_4ab5.9d35", out, &err), &err);
  g_assert_cmpstr (out, ==, "80a2-82d1-bcf8_4ab5.9d35");
  /* Spaces, non-ASCII and long ids map to a hash. */
  ink_assert_ok (ink_model_store_safe_name ("hello world", out, &err), &err);
  g_assert_true (g_str_has_prefix (out, "id-"));
  g_assert_cmpuint (strlen (out), ==, 3 + 16);
  ink_assert_ok (ink_model_store_safe_name ("doodles \xc3\xa9t\xc3\xa9", out, &err), &err);
  g_assert_true (g_str_has_prefix (out, "id-"));
  memset (long_id, 'a', 65);
  long_id[65] = '\0';
  ink_assert_ok (ink_model_store_safe_name (long_id, out, &err), &err);
  g_assert_true (g_str_has_prefix (out, "id-"));
  long_id[64] = '\0';
  ink_assert_ok (ink_model_store_safe_name (long_id, out, &err), &err);
  g_assert_cmpstr (out, ==, long_id);
}

static void
test_install_refuses_unsafe (Fixture *f, gconstpointer data)
{
  InkModelStore *store = open_store (f);
  InkModel *m = make_model (5);
  InkError err = {0};
  InkModelStoreEntry entry = {.id = "../../escape", .version = "1"};
  g_autofree char *outside = g_build_filename (f->dir, "escape-1.inkmodel", NULL);

  g_assert_cmpint (ink_model_store_install (store, &entry, m, NULL, &err), ==,
                   INK_ERR_VERIFICATION);
  entry.id = INK_MODEL_STORE_BUNDLED_ID;
  g_assert_cmpint (ink_model_store_install (store, &entry, m, NULL, &err), ==,
                   INK_ERR_VERIFICATION);
  entry.id = "ok";
  entry.version = "1/../../x";
  g_assert_cmpint (ink_model_store_install (store, &entry, m, NULL, &err), ==,
                   INK_ERR_VERIFICATION);
  g_assert_false (g_file_test (outside, G_FILE_TEST_EXISTS));
  g_assert_false (exists (f, "active.json"));
  ink_model_free (m);
  ink_model_store_free (store);
}

static void
test_default_dir (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("XDG_DATA_HOME"));
  char *dir;

  g_setenv ("XDG_DATA_HOME", "/data/home", TRUE);
  dir = ink_model_store_default_dir ("inkling");
  g_assert_cmpstr (dir, ==, "/data/home/inkling/models");
  free (dir);
  g_unsetenv ("XDG_DATA_HOME");
  dir = ink_model_store_default_dir ("inkling");
  g_assert_true (g_str_has_suffix (dir, "/.local/share/inkling/models"));
  free (dir);
  if (saved != NULL)
    g_setenv ("XDG_DATA_HOME", saved, TRUE);
}

/* A model opened from a file keeps its origin: in the pointer file, for
 * another handle, through rollbacks and a reset; the fallback names it as
 * opened. The updater's downloads are from a server. */
static void
test_origin (Fixture *f, gconstpointer data)
{
  InkModelStore *store = open_store (f), *other;
  g_autofree char *pointer = store_file (f, "active.json");
  g_autofree char *text = NULL;
  InkModelStoreEntry opened = {.id = "file-mine",
                               .version = "3.0",
                               .url = "file:///home/someone/mine.mlmodel",
                               .origin = INK_MODEL_ORIGIN_FILE};
  InkModelStoreEntry active, previous;
  InkModelStoreLoad info;
  InkError err = {0};
  InkModel *m;

  install (store, "knn", "1.0", 1, 0);
  ink_model_store_get_active (store, &active);
  g_assert_cmpint (active.origin, ==, INK_MODEL_ORIGIN_SERVER);
  m = make_model (7);
  ink_assert_ok (ink_model_store_install (store, &opened, m, NULL, &err), &err);
  ink_model_free (m);
  ink_model_store_get_active (store, &active);
  g_assert_cmpint (active.source, ==, INK_MODEL_SOURCE_DOWNLOADED);
  g_assert_cmpint (active.origin, ==, INK_MODEL_ORIGIN_FILE);
  g_assert_cmpstr (active.url, ==, opened.url);
  g_assert_cmpstr (ink_model_origin_to_string (active.origin), ==, "file");
  g_assert_cmpstr (ink_model_store_entry_provenance (&active), ==, "opened from a file");
  g_assert_true (g_file_get_contents (pointer, &text, NULL, NULL));
  g_assert_true (g_regex_match_simple ("\"origin\":\\s*\"file\"", text, 0, 0));
  g_assert_true (g_regex_match_simple ("\"origin\":\\s*\"server\"", text, 0, 0));

  other = open_store (f);
  ink_model_store_get_active (other, &active);
  g_assert_cmpint (active.origin, ==, INK_MODEL_ORIGIN_FILE);
  g_assert_true (ink_model_store_get_previous (other, &previous));
  g_assert_cmpint (previous.origin, ==, INK_MODEL_ORIGIN_SERVER);
  g_assert_cmpstr (previous.version, ==, "1.0");
  ink_model_store_free (other);

  ink_assert_ok (ink_model_store_rollback (store, NULL, &err), &err);
  ink_model_store_get_active (store, &active);
  g_assert_cmpstr (active.id, ==, "knn");
  g_assert_cmpint (active.origin, ==, INK_MODEL_ORIGIN_SERVER);
  g_assert_cmpstr (ink_model_store_entry_provenance (&active), ==, "downloaded");
  ink_model_store_get_previous (store, &previous);
  g_assert_cmpint (previous.origin, ==, INK_MODEL_ORIGIN_FILE);
  ink_assert_ok (ink_model_store_rollback (store, NULL, &err), &err);
  ink_model_store_get_active (store, &active);
  g_assert_cmpint (active.origin, ==, INK_MODEL_ORIGIN_FILE);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 7);

  ink_assert_ok (ink_model_store_reset (store, NULL, &err), &err);
  ink_model_store_get_active (store, &active);
  g_assert_cmpint (active.source, ==, INK_MODEL_SOURCE_BUNDLED);
  g_assert_cmpstr (ink_model_store_entry_provenance (&active), ==, "bundled");
  ink_model_store_get_previous (store, &previous);
  g_assert_cmpstr (previous.id, ==, "file-mine");
  g_assert_cmpint (previous.origin, ==, INK_MODEL_ORIGIN_FILE);

  /* Its file gone, the fallback calls it what it is. */
  ink_assert_ok (ink_model_store_rollback (store, NULL, &err), &err);
  {
    g_autofree char *path = store_file (f, "models/file-mine-3.0.inkmodel");

    g_assert_cmpint (g_unlink (path), ==, 0);
  }
  g_assert_cmpfloat (load_answer (store, 0, &info), ==, 0);
  g_assert_true (info.fell_back);
  g_assert_nonnull (strstr (info.reason, "the opened model file-mine 3.0"));
  ink_model_store_free (store);
}

/* A server's model with the id and version of a model opened from a file
 * is another model: installing one over the other keeps both files, and the
 * one replaced is the previous entry (not reinstalled in place). */
static void
test_origin_same_name (Fixture *f, gconstpointer data)
{
  InkModelStore *store = open_store (f);
  InkModelStoreEntry opened = {.id = "file-x",
                               .version = "2.0",
                               .url = "file:///home/someone/x.mlmodel",
                               .origin = INK_MODEL_ORIGIN_FILE};
  InkModelStoreEntry active, previous;
  InkError err = {0};
  InkModel *m = make_model (7);

  ink_assert_ok (ink_model_store_install (store, &opened, m, NULL, &err), &err);
  ink_model_free (m);
  install (store, "file-x", "2.0", 8, 0);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 8);
  /* Entries are borrowed until the store next changes or reloads. */
  ink_model_store_get_active (store, &active);
  g_assert_cmpint (active.origin, ==, INK_MODEL_ORIGIN_SERVER);
  g_assert_true (ink_model_store_get_previous (store, &previous));
  g_assert_cmpint (previous.origin, ==, INK_MODEL_ORIGIN_FILE);
  g_assert_cmpstr (previous.path, !=, active.path);
  g_assert_true (exists (f, "models/file-x-2.0.inkmodel"));
  g_assert_true (exists (f, "models/file-x-2.0.server.inkmodel"));
  ink_assert_ok (ink_model_store_rollback (store, NULL, &err), &err);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 7);

  /* The other way round: the file opened over the server's model. */
  ink_model_store_free (store);
  g_free (f->store);
  f->store = g_build_filename (f->dir, "store2", NULL);
  store = open_store (f);
  install (store, "file-x", "2.0", 8, 0);
  m = make_model (7);
  ink_assert_ok (ink_model_store_install (store, &opened, m, NULL, &err), &err);
  ink_model_free (m);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 7);
  g_assert_true (ink_model_store_get_previous (store, &previous));
  g_assert_cmpint (previous.origin, ==, INK_MODEL_ORIGIN_SERVER);
  g_assert_true (exists (f, "models/file-x-2.0.inkmodel"));
  g_assert_true (exists (f, "models/file-x-2.0.file.inkmodel"));
  ink_assert_ok (ink_model_store_rollback (store, NULL, &err), &err);
  g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 8);
  ink_model_store_free (store);
}

/* Saves a model y = x + b as DIR/models/name. */
static void
save_store_model (Fixture *f, const char *name, double b)
{
  g_autofree char *path = g_build_filename (f->store, "models", name, NULL);
  InkModel *m = make_model (b);
  InkError err = {0};

  ink_assert_ok (ink_model_save (m, path, &err), &err);
  ink_model_free (m);
}

/* A pointer file an older inkling wrote (no "origin"): nothing in it is
 * lost or misread. Its model opened from a file (a file: url) reads as
 * opened, its download as from a server; an origin this version does not
 * know is inferred, not refused; the next change keeps every field. */
static void
test_older_pointer_file (Fixture *f, gconstpointer data)
{
  g_autofree char *pointer = store_file (f, "active.json");
  InkModelStore *store = open_store (f);
  InkModelStoreEntry active, previous;
  InkModelStoreLoad info;
  InkError err = {0};
  InkModel *m;
  const char *older =
    "{\"format\": 1,\n"
    " \"active\": {\"source\": \"downloaded\", \"id\": \"file-mine\", \"version\": \"3.0\",\n"
    "   \"file\": \"file-mine-3.0.inkmodel\", \"personal\": \"file-mine-3.0.personal.inkmodel\",\n"
    "   \"url\": \"file:///home/someone/mine.mlmodel\", \"installed_at\": 1795341600},\n"
    " \"previous\": {\"source\": \"downloaded\", \"id\": \"knn\", \"version\": \"2.0.0\",\n"
    "   \"file\": \"knn-2.0.0.inkmodel\", \"sha256\": \"ab12\",\n"
    "   \"url\": \"https://models.example/knn.mlmodel\", \"installed_at\": 1795341500}}\n";

  save_store_model (f, "file-mine-3.0.inkmodel", 3);
  save_store_model (f, "file-mine-3.0.personal.inkmodel", 30);
  save_store_model (f, "knn-2.0.0.inkmodel", 2);
  g_assert_true (g_file_set_contents (pointer, older, -1, NULL));

  for (int pass = 0; pass < 2; pass++) {
    ink_model_store_refresh (store, NULL);
    g_assert_cmpstr (ink_model_store_get_problem (store), ==, "");
    ink_model_store_get_active (store, &active);
    g_assert_cmpint (active.source, ==, INK_MODEL_SOURCE_DOWNLOADED);
    g_assert_cmpint (active.origin, ==, INK_MODEL_ORIGIN_FILE);
    g_assert_cmpstr (active.id, ==, "file-mine");
    g_assert_cmpstr (active.version, ==, "3.0");
    g_assert_cmpstr (active.url, ==, "file:///home/someone/mine.mlmodel");
    g_assert_cmpint (active.installed_at, ==, 1795341600);
    g_assert_nonnull (active.personal_path);
    g_assert_true (ink_model_store_get_previous (store, &previous));
    g_assert_cmpint (previous.origin, ==, INK_MODEL_ORIGIN_SERVER);
    g_assert_cmpstr (previous.version, ==, "2.0.0");
    g_assert_cmpstr (previous.sha256, ==, "ab12");
    g_assert_cmpstr (previous.url, ==, "https://models.example/knn.mlmodel");
    g_assert_cmpint (previous.installed_at, ==, 1795341500);
    g_assert_cmpfloat (load_answer (store, 0, &info), ==, 30);
    g_assert_false (info.fell_back);
    if (pass == 0) {
      /* A change writes the pointer file anew (with origins). */
      m = make_model (31);
      ink_assert_ok (ink_model_store_save_personalized (store, m, &err), &err);
      ink_model_free (m);
      g_assert_cmpfloat (load_answer (store, 0, NULL), ==, 31);
      m = make_model (30);
      ink_assert_ok (ink_model_store_save_personalized (store, m, &err), &err);
      ink_model_free (m);
    }
  }

  /* Origins from a newer inkling: inferred from the url, entries kept. */
  {
    g_auto (GStrv) parts = g_strsplit (older, "\"installed_at\"", -1);
    g_autofree char *newer = g_strjoinv ("\"origin\": \"satellite\", \"installed_at\"", parts);

    g_assert_true (g_file_set_contents (pointer, newer, -1, NULL));
    ink_model_store_refresh (store, NULL);
    g_assert_cmpstr (ink_model_store_get_problem (store), ==, "");
    ink_model_store_get_active (store, &active);
    g_assert_cmpint (active.origin, ==, INK_MODEL_ORIGIN_FILE);
    g_assert_true (ink_model_store_get_previous (store, &previous));
    g_assert_cmpint (previous.origin, ==, INK_MODEL_ORIGIN_SERVER);
    g_assert_cmpstr (previous.sha256, ==, "ab12");
  }
  ink_model_store_free (store);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/model-store/new", test_new_store);
  ADD ("/model-store/install-rollback-reset", test_install_rollback_reset);
  ADD ("/model-store/reinstall-keeps-previous", test_reinstall_keeps_previous);
  ADD ("/model-store/rollback-without-previous", test_rollback_without_previous);
  ADD ("/model-store/fallback", test_fallback);
  ADD ("/model-store/no-bundled", test_no_bundled);
  ADD ("/model-store/cleanup", test_cleanup);
  ADD ("/model-store/install-refuses-unsafe", test_install_refuses_unsafe);
  ADD ("/model-store/origin", test_origin);
  ADD ("/model-store/origin-same-name", test_origin_same_name);
  ADD ("/model-store/older-pointer-file", test_older_pointer_file);
#undef ADD
  g_test_add_func ("/model-store/safe-names", test_safe_names);
  g_test_add_func ("/model-store/default-dir", test_default_dir);
  return g_test_run ();
}

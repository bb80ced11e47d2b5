/* test-store.c: InklingStore on real SQLite files: transactions, reopening,
 * migration from an empty file, damaged and locked databases
 *
 * SPDX-License-Identifier: MIT
 */
#include <sqlite3.h>

#include "ink.h"
#include "inkling-store.h"
#include "store-test-support.h"

#define RASTER_BYTES (INKLING_EXAMPLE_RASTER_SIZE * INKLING_EXAMPLE_RASTER_SIZE)

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = store_test_tmpdir_new ("store");
  f->path = g_build_filename (f->dir, "sub", "inkling.db", NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  store_test_tmpdir_free (f->dir);
  g_free (f->path);
}

/* A drawing's JSON: a short diagonal stroke offset by k. */
static char *
strokes_json (int k)
{
  InkDrawing *drawing = ink_drawing_new ();
  InkPoint points[2] = {{10 + k, 10, 0.5, -1}, {50, 60 + k, 0.5, -1}};
  char *json = NULL;

  g_assert_cmpint (ink_drawing_add_stroke (drawing, points, 2, NULL), ==, INK_OK);
  g_assert_cmpint (ink_drawing_to_json (drawing, &json, NULL), ==, INK_OK);
  ink_drawing_free (drawing);
  return json;
}

static GBytes *
raster (guint8 value, gsize size)
{
  guint8 *pixels = g_malloc (size);

  memset (pixels, value, size);
  return g_bytes_new_take (pixels, size);
}

static gint64
count_rows (const char *path, const char *table)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  gint64 n;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

static InklingSticker *
sticker_at (InklingStore *store, guint i)
{
  InklingSticker *sticker = g_list_model_get_item (inkling_store_get_stickers (store), i);

  g_object_unref (sticker); /* the store keeps it */
  return sticker;
}

/* Everything kinds of item, then a new handle finds them all. */
static void
test_reopen (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingStore) store = NULL;
  g_autofree char *json0 = strokes_json (0);
  g_autofree char *json1 = strokes_json (1);
  g_autofree char *json2 = strokes_json (2);
  const char *strokes[] = {json0, json1, json2};
  g_autoptr (GBytes) r0 = raster (10, RASTER_BYTES);
  g_autoptr (GBytes) r1 = raster (20, RASTER_BYTES);
  g_autoptr (GBytes) r2 = raster (30, RASTER_BYTES);
  GBytes *rasters[] = {r0, r1, r2};
  g_autoptr (GBytes) image_data = g_bytes_new_static ("\x89PNG fake", 9);
  InklingSticker *cat, *sun;
  InklingImageItem *image;
  InklingExample *example;
  InklingUpdateRecord *record;
  GListModel *examples;

  store = inkling_store_open (f->path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (inkling_store_get_stickers (store)), ==, 0);

  cat = inkling_store_add_sticker_with_examples (store, "🐱", "cat", strokes, rasters, 3, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cat);
  g_assert_cmpuint (inkling_sticker_get_n_examples (cat), ==, 3);
  sun = inkling_store_add_sticker (store, "☀️", "sun", &error);
  g_assert_no_error (error);
  example = inkling_store_add_example (store, sun, json2, r2, &error);
  g_assert_no_error (error);
  g_assert_nonnull (example);
  image = inkling_store_add_image (store, "boot.png", image_data, &error);
  g_assert_no_error (error);
  g_assert_true (inkling_store_set_image_prediction (store, image, "Sandal", 0.75, &error));
  g_assert_no_error (error);
  g_assert_true (inkling_store_set_image_label (store, image, "Ankle boot", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (inkling_image_item_get_label (image), ==, "Ankle boot");
  record = inkling_store_add_history (store, "teach", 3, "1.0.0", "completed", &error);
  g_assert_no_error (error);
  g_assert_nonnull (record);
  g_assert_cmpuint (inkling_store_count_examples (store), ==, 4);
  g_clear_object (&store);

  store = inkling_store_open (f->path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (inkling_store_get_stickers (store)), ==, 2);
  cat = sticker_at (store, 0);
  g_assert_cmpstr (inkling_sticker_get_label (cat), ==, "cat");
  g_assert_cmpstr (inkling_sticker_get_emoji (cat), ==, "🐱");
  examples = inkling_sticker_get_examples (cat);
  g_assert_cmpuint (g_list_model_get_n_items (examples), ==, 3);
  for (guint i = 0; i < 3; i++) {
    g_autoptr (InklingExample) e = g_list_model_get_item (examples, i);

    g_assert_cmpstr (inkling_example_get_strokes (e), ==, strokes[i]);
    g_assert_true (g_bytes_equal (inkling_example_get_raster (e), rasters[i]));
    g_assert_cmpint (inkling_example_get_sticker_id (e), ==, inkling_sticker_get_id (cat));
  }
  g_assert_true (inkling_store_find_sticker_by_label (store, "sun") == sticker_at (store, 1));
  g_assert_cmpuint (inkling_sticker_get_n_examples (sticker_at (store, 1)), ==, 1);

  g_assert_cmpuint (g_list_model_get_n_items (inkling_store_get_images (store)), ==, 1);
  image = g_list_model_get_item (inkling_store_get_images (store), 0);
  g_object_unref (image);
  g_assert_cmpstr (inkling_image_item_get_name (image), ==, "boot.png");
  g_assert_true (g_bytes_equal (inkling_image_item_get_data (image), image_data));
  g_assert_cmpstr (inkling_image_item_get_predicted_label (image), ==, "Sandal");
  g_assert_cmpfloat_with_epsilon (inkling_image_item_get_confidence (image), 0.75, 1e-9);
  g_assert_cmpstr (inkling_image_item_get_user_label (image), ==, "Ankle boot");

  g_assert_cmpuint (g_list_model_get_n_items (inkling_store_get_history (store)), ==, 1);
  record = g_list_model_get_item (inkling_store_get_history (store), 0);
  g_object_unref (record);
  g_assert_cmpstr (inkling_update_record_get_kind (record), ==, "teach");
  g_assert_cmpint (inkling_update_record_get_examples (record), ==, 3);
  g_assert_cmpstr (inkling_update_record_get_model_version (record), ==, "1.0.0");
  g_assert_cmpstr (inkling_update_record_get_result (record), ==, "completed");

  /* Deleting a sticker takes its examples with it, in the file too. */
  g_assert_true (inkling_store_delete_sticker (store, cat, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->path, "examples"), ==, 1);
  g_assert_cmpint (count_rows (f->path, "stickers"), ==, 1);
  example = g_list_model_get_item (inkling_sticker_get_examples (sticker_at (store, 0)), 0);
  g_object_unref (example);
  g_assert_true (inkling_store_delete_example (store, example, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->path, "examples"), ==, 0);
  g_assert_cmpuint (inkling_store_count_examples (store), ==, 0);
}

/* A failing step undoes the steps before it, in the file and in the lists. */
static void
test_rollback (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingStore) store = NULL;
  g_autofree char *json0 = strokes_json (0);
  const char *strokes[] = {json0, json0, json0};
  g_autoptr (GBytes) good = raster (10, RASTER_BYTES);
  g_autoptr (GBytes) bad = raster (10, RASTER_BYTES - 1);
  GBytes *rasters[] = {good, good, bad};
  const char *bad_strokes[] = {json0, "{\"version\":1,\"strokes\":[{\"x\":[1],\"y\":[]}]}"};
  InklingSticker *sticker;

  store = inkling_store_open (f->path, 0, &error);
  g_assert_no_error (error);

  /* The third drawing is refused after the sticker and two drawings were
   * written in the transaction. */
  sticker =
    inkling_store_add_sticker_with_examples (store, "🐱", "cat", strokes, rasters, 3, &error);
  g_assert_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_INVALID);
  g_assert_null (sticker);
  g_clear_error (&error);
  g_assert_cmpuint (g_list_model_get_n_items (inkling_store_get_stickers (store)), ==, 0);
  g_assert_cmpint (count_rows (f->path, "stickers"), ==, 0);
  g_assert_cmpint (count_rows (f->path, "examples"), ==, 0);

  sticker =
    inkling_store_add_sticker_with_examples (store, "🐱", "cat", bad_strokes, rasters, 2, &error);
  g_assert_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_INVALID);
  g_assert_null (sticker);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (f->path, "stickers"), ==, 0);

  /* A second sticker of the same name: the database refuses it. */
  sticker =
    inkling_store_add_sticker_with_examples (store, "🐱", "cat", strokes, rasters, 2, &error);
  g_assert_no_error (error);
  g_assert_null (
    inkling_store_add_sticker_with_examples (store, "😺", "cat", strokes, rasters, 2, &error));
  g_assert_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (f->path, "stickers"), ==, 1);
  g_assert_cmpint (count_rows (f->path, "examples"), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (inkling_store_get_stickers (store)), ==, 1);
  g_assert_cmpstr (inkling_sticker_get_emoji (sticker), ==, "🐱");

  /* A bad example for an existing sticker changes nothing. */
  g_assert_null (inkling_store_add_example (store, sticker, "not json", good, &error));
  g_assert_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (inkling_sticker_get_n_examples (sticker), ==, 2);
  g_assert_cmpint (count_rows (f->path, "examples"), ==, 2);

  /* Deleting what is gone already is NOT_FOUND and changes nothing. */
  g_object_ref (sticker);
  g_assert_true (inkling_store_delete_sticker (store, sticker, &error));
  g_assert_false (inkling_store_delete_sticker (store, sticker, &error));
  g_object_unref (sticker);
  g_assert_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_NOT_FOUND);
}

static sqlite3_int64
raw_user_version (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3_int64 v;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

/* An empty file is an empty database of version 0: migrated to the current
 * schema, in WAL mode. */
static void
test_migrate_empty (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingStore) store = NULL;
  g_autofree char *sub = g_path_get_dirname (f->path);

  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->path, "", 0, NULL));
  store = inkling_store_open (f->path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (raw_user_version (f->path), ==, INKLING_STORE_SCHEMA_VERSION);
  g_assert_cmpint (count_rows (f->path, "stickers"), ==, 0);
  g_assert_cmpint (count_rows (f->path, "history"), ==, 0);
  g_assert_nonnull (inkling_store_add_sticker (store, "", "x", &error));
  g_assert_no_error (error);
  g_clear_object (&store);

  /* Opening again migrates nothing and keeps it. */
  store = inkling_store_open (f->path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (inkling_store_get_stickers (store)), ==, 1);
}

/* A store with one sticker, closed. */
static void
make_store_with_sticker (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingStore) store = inkling_store_open (path, 0, &error);

  g_assert_no_error (error);
  g_assert_nonnull (inkling_store_add_sticker (store, "🐱", "cat", &error));
  g_assert_no_error (error);
}

static GBytes *
read_file (const char *path)
{
  char *contents = NULL;
  gsize size = 0;

  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  return g_bytes_new_take (contents, size);
}

static void
write_file (const char *path, GBytes *bytes)
{
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      (gssize) g_bytes_get_size (bytes), NULL));
}

static void
expect_corrupt_untouched (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) before = read_file (path);
  g_autoptr (GBytes) after = NULL;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  InklingStore *store;

  store = inkling_store_open (path, 0, &error);
  g_assert_null (store);
  g_assert_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_CORRUPT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "left as it is"));
  after = read_file (path);
  g_assert_true (g_bytes_equal (before, after));
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
}

static void
test_corrupt (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) good = NULL;
  g_autoptr (GBytes) damaged_copy = NULL;
  g_autofree char *moved = NULL;
  g_autofree guint8 *bytes = NULL;
  g_autoptr (InklingStore) store = NULL;
  gsize size;

  make_store_with_sticker (f->path);
  good = read_file (f->path);
  size = g_bytes_get_size (good);
  g_assert_cmpuint (size, >=, 4096 * 2);

  /* Not a database at all (its header overwritten). */
  bytes = g_memdup2 (g_bytes_get_data (good, NULL), size);
  memcpy (bytes, "This is not an SQLite file", 26);
  {
    g_autoptr (GBytes) b = g_bytes_new (bytes, size);

    write_file (f->path, b);
  }
  expect_corrupt_untouched (f->path);

  /* A damaged page: garbage over the stickers table's b-tree page. */
  memcpy (bytes, g_bytes_get_data (good, NULL), size);
  for (gsize i = 4096; i < size; i++)
    bytes[i] = (guint8) (i * 7);
  damaged_copy = g_bytes_new (bytes, size);
  write_file (f->path, damaged_copy);
  expect_corrupt_untouched (f->path);

  /* Moved aside, every byte kept, and a new store can start. */
  g_assert_true (inkling_store_move_aside (f->path, &moved, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  {
    g_autoptr (GBytes) kept = read_file (moved);

    g_assert_true (g_bytes_equal (kept, damaged_copy));
  }
  store = inkling_store_open (f->path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (inkling_store_get_stickers (store)), ==, 0);
  g_assert_true (g_file_test (moved, G_FILE_TEST_EXISTS));
}

static void
test_newer_schema (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) before = NULL;
  g_autoptr (GBytes) after = NULL;
  sqlite3 *db = NULL;

  make_store_with_sticker (f->path);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  sqlite3_close (db);

  before = read_file (f->path);
  g_assert_null (inkling_store_open (f->path, 0, &error));
  g_assert_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_NEWER_SCHEMA);
  g_test_message ("%s", error->message);
  after = read_file (f->path);
  g_assert_true (g_bytes_equal (before, after));
  g_assert_cmpint (raw_user_version (f->path), ==, 99);
}

/* Another program holding the database: a clear error at open and at a
 * change, and what was saved stays. */
static void
test_locked (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingStore) store = NULL;
  sqlite3 *other = NULL;

  make_store_with_sticker (f->path);

  /* An exclusive lock: not even readable. */
  g_assert_cmpint (sqlite3_open (f->path, &other), ==, SQLITE_OK);
  g_assert_cmpint (
    sqlite3_exec (other,
                  "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; "
                  "INSERT INTO history (time, kind, examples, model_version, result) "
                  "VALUES (0, 'other', 0, '', '')",
                  NULL, NULL, NULL),
    ==, SQLITE_OK);
  g_assert_null (inkling_store_open (f->path, 50, &error));
  g_assert_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_LOCKED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "in use by another program"));
  g_clear_error (&error);
  g_assert_cmpint (sqlite3_exec (other, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (other);

  /* A write lock held while the store is open: a change fails, changes
   * nothing, and works once the lock is gone. */
  store = inkling_store_open (f->path, 50, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (f->path, &other), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (other, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_null (inkling_store_add_sticker (store, "☀️", "sun", &error));
  g_assert_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_LOCKED);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (g_list_model_get_n_items (inkling_store_get_stickers (store)), ==, 1);
  g_assert_cmpint (sqlite3_exec (other, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (other);

  g_assert_nonnull (inkling_store_add_sticker (store, "☀️", "sun", &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->path, "stickers"), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/store/reopen", Fixture, NULL, fixture_set_up, test_reopen, fixture_tear_down);
  g_test_add ("/store/rollback", Fixture, NULL, fixture_set_up, test_rollback, fixture_tear_down);
  g_test_add ("/store/migrate-empty", Fixture, NULL, fixture_set_up, test_migrate_empty,
              fixture_tear_down);
  g_test_add ("/store/corrupt", Fixture, NULL, fixture_set_up, test_corrupt, fixture_tear_down);
  g_test_add ("/store/newer-schema", Fixture, NULL, fixture_set_up, test_newer_schema,
              fixture_tear_down);
  g_test_add ("/store/locked", Fixture, NULL, fixture_set_up, test_locked, fixture_tear_down);

  return g_test_run ();
}

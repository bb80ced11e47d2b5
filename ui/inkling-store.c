/* inkling-store.c: the personalization store (SQLite)
 *
 * One connection, on the main thread. Every change runs between BEGIN
 * IMMEDIATE and COMMIT (ROLLBACK on any error) and touches the in-memory
 * lists only after the commit, so the lists always match what is saved.
 *
 * Opening reads before it writes: the file's header and pages are checked
 * (PRAGMA quick_check) first, so a damaged file is reported and left
 * untouched; only then is WAL mode set and the schema migrated.
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-config.h"

#include "inkling-store.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "ink.h"

struct _InklingStore {
  GObject parent_instance;

  /* Owned References */
  char *path;
  sqlite3 *db;
  GListStore *stickers;
  GListStore *images;
  GListStore *history;
};

G_DEFINE_FINAL_TYPE (InklingStore, inkling_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (inkling - store - error - quark, inkling_store_error)

#define MAX_LABEL_CHARS 64
#define RASTER_BYTES (INKLING_EXAMPLE_RASTER_SIZE * INKLING_EXAMPLE_RASTER_SIZE)

/* migrations[v] takes the schema from version v to v + 1. */
static const char *const migrations[INKLING_STORE_SCHEMA_VERSION] = {
  "CREATE TABLE stickers ("
  "  id INTEGER PRIMARY KEY,"
  "  emoji TEXT NOT NULL DEFAULT '',"
  "  label TEXT NOT NULL UNIQUE,"
  "  created INTEGER NOT NULL);"
  "CREATE TABLE examples ("
  "  id INTEGER PRIMARY KEY,"
  "  sticker_id INTEGER NOT NULL REFERENCES stickers (id) ON DELETE CASCADE,"
  "  strokes TEXT NOT NULL,"
  "  raster BLOB NOT NULL,"
  "  created INTEGER NOT NULL);"
  "CREATE INDEX examples_by_sticker ON examples (sticker_id);"
  "CREATE TABLE images ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  data BLOB NOT NULL,"
  "  predicted_label TEXT,"
  "  confidence REAL NOT NULL DEFAULT 0,"
  "  user_label TEXT,"
  "  created INTEGER NOT NULL);"
  "CREATE TABLE history ("
  "  id INTEGER PRIMARY KEY,"
  "  time INTEGER NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  examples INTEGER NOT NULL,"
  "  model_version TEXT NOT NULL,"
  "  result TEXT NOT NULL);",
};

/* ---- Errors ---- */

static InklingStoreError
error_code_from_sqlite (int rc)
{
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED: return INKLING_STORE_ERROR_LOCKED;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB: return INKLING_STORE_ERROR_CORRUPT;
  case SQLITE_CANTOPEN:
  case SQLITE_IOERR:
  case SQLITE_FULL:
  case SQLITE_READONLY:
  case SQLITE_PERM: return INKLING_STORE_ERROR_IO;
  case SQLITE_CONSTRAINT:
    return rc == SQLITE_CONSTRAINT_UNIQUE ? INKLING_STORE_ERROR_EXISTS : INKLING_STORE_ERROR_FAILED;
  default: return INKLING_STORE_ERROR_FAILED;
  }
}

/* "WHAT: the personalization database PATH ..." in words for each case. */
static void
set_sqlite_error (GError **error, const char *path, int rc, const char *detail, const char *what)
{
  InklingStoreError code = error_code_from_sqlite (rc);
  const char *why;

  switch (code) {
  case INKLING_STORE_ERROR_LOCKED:
    why = "is in use by another program (it is locked); close it and try again";
    break;
  case INKLING_STORE_ERROR_CORRUPT:
    why = "is damaged or is not a database; it was left as it is";
    break;
  case INKLING_STORE_ERROR_IO:
    if ((rc & 0xff) == SQLITE_FULL)
      why = "cannot be written: the disk is full; nothing was changed";
    else if ((rc & 0xff) == SQLITE_READONLY)
      why = "cannot be written: it is read-only; nothing was changed";
    else
      why = "cannot be read or written";
    break;
  case INKLING_STORE_ERROR_EXISTS: why = "already has an item with that name"; break;
  default: why = "failed"; break;
  }
  g_set_error (error, INKLING_STORE_ERROR, code, "%s: the personalization database %s %s (%s)",
               what, path, why, detail != NULL ? detail : sqlite3_errstr (rc));
}

/* For an I/O error: a folder that cannot be written (a read-only file
 * system, no permission) says why, where SQLite says only "unable to open
 * database file" or "disk I/O error". */
static void
set_db_error (InklingStore *self, GError **error, int rc, const char *what)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *detail = NULL;

  if (error_code_from_sqlite (rc) == INKLING_STORE_ERROR_IO && g_access (dir, W_OK) != 0) {
    int saved_errno = errno;

    detail = g_strdup_printf ("%s; its folder %s cannot be written: %s", sqlite3_errmsg (self->db),
                              dir, g_strerror (saved_errno));
  }
  set_sqlite_error (error, self->path, rc, detail != NULL ? detail : sqlite3_errmsg (self->db),
                    what);
}

/* ---- Statements ---- */

static gboolean
exec (InklingStore *self, const char *sql, const char *what, GError **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK) {
    set_db_error (self, error, sqlite3_extended_errcode (self->db), what);
    return FALSE;
  }
  return TRUE;
}

static sqlite3_stmt *
prepare (InklingStore *self, const char *sql, const char *what, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK) {
    set_db_error (self, error, sqlite3_extended_errcode (self->db), what);
    sqlite3_finalize (stmt);
    return NULL;
  }
  return stmt;
}

/* Runs a statement that returns no rows to its end. */
static gboolean
step_done (InklingStore *self, sqlite3_stmt *stmt, const char *what, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE) {
    set_db_error (self, error, sqlite3_extended_errcode (self->db), what);
    return FALSE;
  }
  return TRUE;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

static gboolean
begin (InklingStore *self, const char *what, GError **error)
{
  return exec (self, "BEGIN IMMEDIATE", what, error);
}

static gboolean
commit (InklingStore *self, const char *what, GError **error)
{
  if (!exec (self, "COMMIT", what, error)) {
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    return FALSE;
  }
  return TRUE;
}

static void
rollback (InklingStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

static const char *
column_text_or_null (sqlite3_stmt *stmt, int i)
{
  return sqlite3_column_type (stmt, i) == SQLITE_NULL
           ? NULL
           : (const char *) sqlite3_column_text (stmt, i);
}

static GBytes *
column_bytes (sqlite3_stmt *stmt, int i)
{
  const void *data = sqlite3_column_blob (stmt, i);
  int size = sqlite3_column_bytes (stmt, i);

  return g_bytes_new (data, (gsize) size);
}

/* ---- Opening ---- */

char *
inkling_store_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), INKLING_APP_ID, "inkling.db", NULL);
}

/* Reads the whole file through SQLite without writing: a damaged file fails
 * here, before anything could change it. */
static gboolean
check_readable (InklingStore *self, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const char *result;
  int rc;

  stmt = prepare (self, "PRAGMA quick_check", "Cannot open the stickers", error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW) {
    set_db_error (self, error, sqlite3_extended_errcode (self->db), "Cannot open the stickers");
    return FALSE;
  }
  result = (const char *) sqlite3_column_text (stmt, 0);
  if (g_strcmp0 (result, "ok") != 0) {
    set_sqlite_error (error, self->path, SQLITE_CORRUPT, result, "Cannot open the stickers");
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_user_version (InklingStore *self, int *version, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = prepare (self, "PRAGMA user_version", "Cannot open the stickers", error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW) {
    set_db_error (self, error, sqlite3_extended_errcode (self->db), "Cannot open the stickers");
    return FALSE;
  }
  *version = sqlite3_column_int (stmt, 0);
  return TRUE;
}

static gboolean
check_version (InklingStore *self, int version, GError **error)
{
  if (version > INKLING_STORE_SCHEMA_VERSION) {
    g_set_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_NEWER_SCHEMA,
                 "Cannot open the stickers: the personalization database %s was written by a "
                 "newer Inkling (schema version %d; this one knows up to %d); it was left as it is",
                 self->path, version, INKLING_STORE_SCHEMA_VERSION);
    return FALSE;
  }
  return TRUE;
}

static gboolean
migrate (InklingStore *self, GError **error)
{
  const char *what = "Cannot update the personalization database";
  int version;

  if (!read_user_version (self, &version, error) || !check_version (self, version, error))
    return FALSE;
  if (version == INKLING_STORE_SCHEMA_VERSION)
    return TRUE;

  if (!begin (self, what, error))
    return FALSE;
  /* Read again under the write lock: another process may have migrated. */
  if (!read_user_version (self, &version, error) || !check_version (self, version, error)) {
    rollback (self);
    return FALSE;
  }
  for (; version < INKLING_STORE_SCHEMA_VERSION; version++) {
    g_autofree char *set_version = NULL;

    if (!exec (self, migrations[version], what, error)) {
      rollback (self);
      return FALSE;
    }
    set_version = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
    if (!exec (self, set_version, what, error)) {
      rollback (self);
      return FALSE;
    }
    g_debug ("Migrated %s to schema version %d", self->path, version + 1);
  }
  return commit (self, what, error);
}

static gboolean
load_lists (InklingStore *self, GError **error)
{
  const char *what = "Cannot read the stickers";
  g_autoptr (sqlite3_stmt) stickers = NULL;
  g_autoptr (sqlite3_stmt) examples = NULL;
  g_autoptr (sqlite3_stmt) images = NULL;
  g_autoptr (sqlite3_stmt) history = NULL;
  g_autoptr (GHashTable) by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  int rc;

  stickers =
    prepare (self, "SELECT id, emoji, label, created FROM stickers ORDER BY id", what, error);
  examples = prepare (
    self, "SELECT id, sticker_id, strokes, raster, created FROM examples ORDER BY id", what, error);
  images = prepare (self,
                    "SELECT id, name, data, predicted_label, confidence, user_label, created "
                    "FROM images ORDER BY id",
                    what, error);
  history = prepare (self,
                     "SELECT id, time, kind, examples, model_version, result FROM history "
                     "ORDER BY id DESC",
                     what, error);
  if (stickers == NULL || examples == NULL || images == NULL || history == NULL)
    return FALSE;

  while ((rc = sqlite3_step (stickers)) == SQLITE_ROW) {
    g_autoptr (InklingSticker) sticker = inkling_sticker_new (
      sqlite3_column_int64 (stickers, 0), (const char *) sqlite3_column_text (stickers, 1),
      (const char *) sqlite3_column_text (stickers, 2), sqlite3_column_int64 (stickers, 3));

    g_list_store_append (self->stickers, sticker);
  }
  if (rc != SQLITE_DONE)
    goto failed;
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->stickers)); i++) {
    g_autoptr (InklingSticker) sticker = g_list_model_get_item (G_LIST_MODEL (self->stickers), i);
    gint64 *id = g_new (gint64, 1);

    *id = inkling_sticker_get_id (sticker);
    g_hash_table_insert (by_id, id, sticker);
  }

  while ((rc = sqlite3_step (examples)) == SQLITE_ROW) {
    gint64 sticker_id = sqlite3_column_int64 (examples, 1);
    InklingSticker *sticker = g_hash_table_lookup (by_id, &sticker_id);
    g_autoptr (GBytes) raster = column_bytes (examples, 3);
    g_autoptr (InklingExample) example = NULL;

    if (sticker == NULL)
      continue; /* cannot happen with foreign keys on */
    example = inkling_example_new (sqlite3_column_int64 (examples, 0), sticker_id,
                                   (const char *) sqlite3_column_text (examples, 2), raster,
                                   sqlite3_column_int64 (examples, 4));
    g_list_store_append (inkling_sticker_get_example_store (sticker), example);
  }
  if (rc != SQLITE_DONE)
    goto failed;

  while ((rc = sqlite3_step (images)) == SQLITE_ROW) {
    g_autoptr (GBytes) data = column_bytes (images, 2);
    g_autoptr (InklingImageItem) image = inkling_image_item_new (
      sqlite3_column_int64 (images, 0), (const char *) sqlite3_column_text (images, 1), data,
      column_text_or_null (images, 3), sqlite3_column_double (images, 4),
      column_text_or_null (images, 5), sqlite3_column_int64 (images, 6));

    g_list_store_append (self->images, image);
  }
  if (rc != SQLITE_DONE)
    goto failed;

  while ((rc = sqlite3_step (history)) == SQLITE_ROW) {
    g_autoptr (InklingUpdateRecord) record = inkling_update_record_new (
      sqlite3_column_int64 (history, 0), sqlite3_column_int64 (history, 1),
      (const char *) sqlite3_column_text (history, 2), sqlite3_column_int64 (history, 3),
      (const char *) sqlite3_column_text (history, 4),
      (const char *) sqlite3_column_text (history, 5));

    g_list_store_append (self->history, record);
  }
  if (rc != SQLITE_DONE)
    goto failed;
  return TRUE;

failed:
  set_db_error (self, error, sqlite3_extended_errcode (self->db), what);
  return FALSE;
}

InklingStore *
inkling_store_open (const char *path, guint busy_timeout_ms, GError **error)
{
  g_autoptr (InklingStore) self = NULL;
  g_autofree char *default_path = NULL;
  g_autofree char *dir = NULL;
  int rc;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (path == NULL)
    path = default_path = inkling_store_default_path ();
  if (busy_timeout_ms == 0)
    busy_timeout_ms = INKLING_STORE_DEFAULT_BUSY_TIMEOUT;

  self = g_object_new (INKLING_TYPE_STORE, NULL);
  self->path = g_strdup (path);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    int saved_errno = errno;

    g_set_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_IO,
                 "Cannot open the stickers: cannot make the folder %s (%s)", dir,
                 g_strerror (saved_errno));
    return NULL;
  }

  rc = sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) {
    set_sqlite_error (error, path, rc, self->db != NULL ? sqlite3_errmsg (self->db) : NULL,
                      "Cannot open the stickers");
    return NULL;
  }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, (int) MIN (busy_timeout_ms, (guint) G_MAXINT));

  /* Nothing is written before these reads succeed. */
  if (!check_readable (self, error))
    return NULL;
  {
    int version;

    if (!read_user_version (self, &version, error) || !check_version (self, version, error))
      return NULL;
  }

  /* FULL: each commit syncs the write-ahead log, so that what the user
   * taught survives a power cut or a system crash too (NORMAL may roll the
   * last commits back then); one fsync per change, a few milliseconds. */
  if (!exec (self, "PRAGMA journal_mode = WAL", "Cannot open the stickers", error) ||
      !exec (self, "PRAGMA synchronous = FULL", "Cannot open the stickers", error) ||
      !exec (self, "PRAGMA foreign_keys = ON", "Cannot open the stickers", error))
    return NULL;
  if (!migrate (self, error) || !load_lists (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

gboolean
inkling_store_move_aside (const char *path, char **new_path, GError **error)
{
  static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *target = NULL;

  g_return_val_if_fail (path != NULL, FALSE);

  target = g_strdup_printf ("%s.damaged-%s", path, stamp);
  for (int n = 1; g_file_test (target, G_FILE_TEST_EXISTS); n++) {
    g_free (target);
    target = g_strdup_printf ("%s.damaged-%s.%d", path, stamp, n);
  }

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++) {
    g_autofree char *from = g_strconcat (path, suffixes[i], NULL);
    g_autofree char *to = g_strconcat (target, suffixes[i], NULL);

    if (!g_file_test (from, G_FILE_TEST_EXISTS))
      continue;
    if (g_rename (from, to) != 0) {
      int saved_errno = errno;

      g_set_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_IO,
                   "Cannot move %s aside to %s: %s", from, to, g_strerror (saved_errno));
      return FALSE;
    }
  }

  if (new_path != NULL)
    *new_path = g_steal_pointer (&target);
  return TRUE;
}

const char *
inkling_store_get_path (InklingStore *self)
{
  g_return_val_if_fail (INKLING_IS_STORE (self), NULL);

  return self->path;
}

GListModel *
inkling_store_get_stickers (InklingStore *self)
{
  g_return_val_if_fail (INKLING_IS_STORE (self), NULL);

  return G_LIST_MODEL (self->stickers);
}

GListModel *
inkling_store_get_images (InklingStore *self)
{
  g_return_val_if_fail (INKLING_IS_STORE (self), NULL);

  return G_LIST_MODEL (self->images);
}

GListModel *
inkling_store_get_history (InklingStore *self)
{
  g_return_val_if_fail (INKLING_IS_STORE (self), NULL);

  return G_LIST_MODEL (self->history);
}

/* Borrowed item at i of a list (the list keeps a reference). */
static gpointer
list_peek (GListStore *list, guint i)
{
  gpointer item = g_list_model_get_item (G_LIST_MODEL (list), i);

  g_object_unref (item);
  return item;
}

InklingSticker *
inkling_store_find_sticker (InklingStore *self, gint64 id)
{
  g_return_val_if_fail (INKLING_IS_STORE (self), NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->stickers)); i++) {
    InklingSticker *sticker = list_peek (self->stickers, i);

    if (inkling_sticker_get_id (sticker) == id)
      return sticker;
  }
  return NULL;
}

InklingSticker *
inkling_store_find_sticker_by_label (InklingStore *self, const char *label)
{
  g_return_val_if_fail (INKLING_IS_STORE (self), NULL);
  g_return_val_if_fail (label != NULL, NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->stickers)); i++) {
    InklingSticker *sticker = list_peek (self->stickers, i);

    if (g_strcmp0 (inkling_sticker_get_label (sticker), label) == 0)
      return sticker;
  }
  return NULL;
}

guint
inkling_store_count_examples (InklingStore *self)
{
  guint n = 0;

  g_return_val_if_fail (INKLING_IS_STORE (self), 0);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->stickers)); i++)
    n += inkling_sticker_get_n_examples (list_peek (self->stickers, i));
  return n;
}

static gboolean
find_in_list (GListStore *list, gpointer item, guint *position)
{
  return g_list_store_find (list, item, position);
}

/* ---- Changes ---- */

static gboolean
check_label (const char *label, const char *what, GError **error)
{
  glong chars;

  if (label == NULL || !g_utf8_validate (label, -1, NULL)) {
    g_set_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_INVALID,
                 "%s: the name is not valid text", what);
    return FALSE;
  }
  chars = g_utf8_strlen (label, -1);
  if (chars == 0 || chars > MAX_LABEL_CHARS) {
    g_set_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_INVALID,
                 "%s: a name has 1 to %d characters", what, MAX_LABEL_CHARS);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_example (const char *strokes, GBytes *raster, const char *what, GError **error)
{
  InkDrawing *drawing = NULL;
  InkError err;

  ink_error_clear (&err);
  if (strokes == NULL ||
      ink_drawing_from_json (strokes, strlen (strokes), &drawing, &err) != INK_OK) {
    g_set_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_INVALID,
                 "%s: the drawing's strokes are not valid (%s)", what,
                 strokes == NULL ? "none" : err.message);
    return FALSE;
  }
  ink_drawing_free (drawing);
  if (raster == NULL || g_bytes_get_size (raster) != RASTER_BYTES) {
    g_set_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_INVALID,
                 "%s: the drawing's raster must be %dx%d gray pixels", what,
                 INKLING_EXAMPLE_RASTER_SIZE, INKLING_EXAMPLE_RASTER_SIZE);
    return FALSE;
  }
  return TRUE;
}

/* Begins a transaction and prepares sql in it; NULL, rolled back, with
 * error set when either fails. */
static sqlite3_stmt *
begin_statement (InklingStore *self, const char *sql, const char *what, GError **error)
{
  sqlite3_stmt *stmt;

  if (!begin (self, what, error))
    return NULL;
  stmt = prepare (self, sql, what, error);
  if (stmt == NULL)
    rollback (self);
  return stmt;
}

/* Runs stmt (from begin_statement, bound), which changes one item's row,
 * and commits; NOT_FOUND, rolled back, when no row changed. */
static gboolean
commit_row_change (InklingStore *self, sqlite3_stmt *stmt, const char *what, GError **error)
{
  if (!step_done (self, stmt, what, error))
    goto failed;
  if (sqlite3_changes (self->db) != 1) {
    g_set_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_NOT_FOUND,
                 "%s: it is no longer in the store", what);
    goto failed;
  }
  return commit (self, what, error);

failed:
  rollback (self);
  return FALSE;
}

/* Runs stmt (from begin_statement, bound), an INSERT, and commits; the
 * new row's id in *id. Rolled back when the insert fails. */
static gboolean
commit_insert (InklingStore *self, sqlite3_stmt *stmt, gint64 *id, const char *what, GError **error)
{
  if (!step_done (self, stmt, what, error)) {
    rollback (self);
    return FALSE;
  }
  *id = sqlite3_last_insert_rowid (self->db);
  return commit (self, what, error);
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Inserts a sticker row inside a transaction; its id in *id. */
static gboolean
insert_sticker (InklingStore *self, const char *emoji, const char *label, gint64 created,
                gint64 *id, const char *what, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt =
    prepare (self, "INSERT INTO stickers (emoji, label, created) VALUES (?, ?, ?)", what, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, emoji != NULL ? emoji : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, label, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, created);
  if (sqlite3_step (stmt) != SQLITE_DONE) {
    int rc = sqlite3_extended_errcode (self->db);

    if (rc == SQLITE_CONSTRAINT_UNIQUE)
      g_set_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_EXISTS,
                   "%s: there is already a sticker named “%s”", what, label);
    else
      set_db_error (self, error, rc, what);
    return FALSE;
  }
  *id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
insert_example (InklingStore *self, gint64 sticker_id, const char *strokes, GBytes *raster,
                gint64 created, gint64 *id, const char *what, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = prepare (self,
                  "INSERT INTO examples (sticker_id, strokes, raster, created) VALUES (?, ?, ?, ?)",
                  what, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, sticker_id);
  sqlite3_bind_text (stmt, 2, strokes, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob (stmt, 3, g_bytes_get_data (raster, NULL), (int) g_bytes_get_size (raster),
                     SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, created);
  if (!step_done (self, stmt, what, error))
    return FALSE;
  *id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

InklingSticker *
inkling_store_add_sticker (InklingStore *self, const char *emoji, const char *label, GError **error)
{
  const char *what = "Cannot add the sticker";
  g_autoptr (InklingSticker) sticker = NULL;
  gint64 created = now_seconds ();
  gint64 id;

  g_return_val_if_fail (INKLING_IS_STORE (self), NULL);

  if (!check_label (label, what, error) || !begin (self, what, error))
    return NULL;
  if (!insert_sticker (self, emoji, label, created, &id, what, error)) {
    rollback (self);
    return NULL;
  }
  if (!commit (self, what, error))
    return NULL;

  sticker = inkling_sticker_new (id, emoji, label, created);
  g_list_store_append (self->stickers, sticker);
  return sticker;
}

InklingSticker *
inkling_store_add_sticker_with_examples (InklingStore *self, const char *emoji, const char *label,
                                         const char *const *strokes, GBytes *const *rasters,
                                         guint n, GError **error)
{
  const char *what = "Cannot add the sticker";
  g_autoptr (InklingSticker) sticker = NULL;
  g_autoptr (GPtrArray) examples = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 created = now_seconds ();
  gint64 id;

  g_return_val_if_fail (INKLING_IS_STORE (self), NULL);
  g_return_val_if_fail (n == 0 || (strokes != NULL && rasters != NULL), NULL);

  if (n == 0) {
    g_set_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_INVALID,
                 "%s: it needs at least one drawing", what);
    return NULL;
  }
  if (!check_label (label, what, error) || !begin (self, what, error))
    return NULL;
  if (!insert_sticker (self, emoji, label, created, &id, what, error))
    goto failed;
  for (guint i = 0; i < n; i++) {
    gint64 example_id;

    /* Checked inside the transaction, so a bad drawing undoes the rows
     * already written. */
    if (!check_example (strokes[i], rasters[i], what, error) ||
        !insert_example (self, id, strokes[i], rasters[i], created, &example_id, what, error))
      goto failed;
    g_ptr_array_add (examples,
                     inkling_example_new (example_id, id, strokes[i], rasters[i], created));
  }
  if (!commit (self, what, error))
    return NULL;

  sticker = inkling_sticker_new (id, emoji, label, created);
  g_list_store_splice (inkling_sticker_get_example_store (sticker), 0, 0, examples->pdata,
                       examples->len);
  g_list_store_append (self->stickers, sticker);
  return sticker;

failed:
  rollback (self);
  return NULL;
}

gboolean
inkling_store_set_sticker_emoji (InklingStore *self, InklingSticker *sticker, const char *emoji,
                                 GError **error)
{
  const char *what = "Cannot change the sticker";
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (INKLING_IS_STORE (self), FALSE);
  g_return_val_if_fail (INKLING_IS_STICKER (sticker), FALSE);

  stmt = begin_statement (self, "UPDATE stickers SET emoji = ? WHERE id = ?", what, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, emoji != NULL ? emoji : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, inkling_sticker_get_id (sticker));
  if (!commit_row_change (self, stmt, what, error))
    return FALSE;
  inkling_sticker_set_emoji (sticker, emoji);
  return TRUE;
}

InklingExample *
inkling_store_add_example (InklingStore *self, InklingSticker *sticker, const char *strokes,
                           GBytes *raster, GError **error)
{
  const char *what = "Cannot add the drawing";
  g_autoptr (InklingExample) example = NULL;
  gint64 created = now_seconds ();
  gint64 id;

  g_return_val_if_fail (INKLING_IS_STORE (self), NULL);
  g_return_val_if_fail (INKLING_IS_STICKER (sticker), NULL);

  if (!check_example (strokes, raster, what, error) || !begin (self, what, error))
    return NULL;
  if (!insert_example (self, inkling_sticker_get_id (sticker), strokes, raster, created, &id, what,
                       error)) {
    rollback (self);
    return NULL;
  }
  if (!commit (self, what, error))
    return NULL;

  example = inkling_example_new (id, inkling_sticker_get_id (sticker), strokes, raster, created);
  g_list_store_append (inkling_sticker_get_example_store (sticker), example);
  return example;
}

/* DELETE FROM table WHERE id = ?, as one transaction; NOT_FOUND when no
 * row went. */
static gboolean
delete_row (InklingStore *self, const char *sql, gint64 id, const char *what, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = begin_statement (self, sql, what, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  return commit_row_change (self, stmt, what, error);
}

gboolean
inkling_store_delete_sticker (InklingStore *self, InklingSticker *sticker, GError **error)
{
  guint position;

  g_return_val_if_fail (INKLING_IS_STORE (self), FALSE);
  g_return_val_if_fail (INKLING_IS_STICKER (sticker), FALSE);

  /* The examples go with it (ON DELETE CASCADE), in the same transaction. */
  if (!delete_row (self, "DELETE FROM stickers WHERE id = ?", inkling_sticker_get_id (sticker),
                   "Cannot delete the sticker", error))
    return FALSE;
  if (find_in_list (self->stickers, sticker, &position))
    g_list_store_remove (self->stickers, position);
  return TRUE;
}

gboolean
inkling_store_delete_example (InklingStore *self, InklingExample *example, GError **error)
{
  InklingSticker *sticker;
  guint position;

  g_return_val_if_fail (INKLING_IS_STORE (self), FALSE);
  g_return_val_if_fail (INKLING_IS_EXAMPLE (example), FALSE);

  if (!delete_row (self, "DELETE FROM examples WHERE id = ?", inkling_example_get_id (example),
                   "Cannot delete the drawing", error))
    return FALSE;
  sticker = inkling_store_find_sticker (self, inkling_example_get_sticker_id (example));
  if (sticker != NULL &&
      find_in_list (inkling_sticker_get_example_store (sticker), example, &position))
    g_list_store_remove (inkling_sticker_get_example_store (sticker), position);
  return TRUE;
}

gboolean
inkling_store_delete_all_stickers (InklingStore *self, GError **error)
{
  const char *what = "Cannot delete the stickers";

  g_return_val_if_fail (INKLING_IS_STORE (self), FALSE);

  if (!begin (self, what, error))
    return FALSE;
  if (!exec (self, "DELETE FROM examples; DELETE FROM stickers", what, error)) {
    rollback (self);
    return FALSE;
  }
  if (!commit (self, what, error))
    return FALSE;
  g_list_store_remove_all (self->stickers);
  return TRUE;
}

InklingImageItem *
inkling_store_add_image (InklingStore *self, const char *name, GBytes *data, GError **error)
{
  const char *what = "Cannot import the image";
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (InklingImageItem) image = NULL;
  gint64 created = now_seconds ();
  gint64 id;

  g_return_val_if_fail (INKLING_IS_STORE (self), NULL);
  g_return_val_if_fail (data != NULL, NULL);

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    name = "";
  if (g_bytes_get_size (data) == 0 || g_bytes_get_size (data) > G_MAXINT) {
    g_set_error (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_INVALID,
                 "%s: the file is empty or too large", what);
    return NULL;
  }
  stmt = begin_statement (self, "INSERT INTO images (name, data, created) VALUES (?, ?, ?)", what,
                          error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob (stmt, 2, g_bytes_get_data (data, NULL), (int) g_bytes_get_size (data),
                     SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, created);
  if (!commit_insert (self, stmt, &id, what, error))
    return NULL;

  image = inkling_image_item_new (id, name, data, NULL, 0, NULL, created);
  g_list_store_append (self->images, image);
  return image;
}

/* UPDATE images SET ... WHERE id = ?3 with ?1 a text (or NULL) and ?2 a
 * double, as one transaction. */
static gboolean
update_image (InklingStore *self, const char *sql, InklingImageItem *image, const char *text,
              double number, const char *what, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = begin_statement (self, sql, what, error);

  if (stmt == NULL)
    return FALSE;
  if (text != NULL)
    sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 1);
  sqlite3_bind_double (stmt, 2, number);
  sqlite3_bind_int64 (stmt, 3, inkling_image_item_get_id (image));
  return commit_row_change (self, stmt, what, error);
}

gboolean
inkling_store_set_image_prediction (InklingStore *self, InklingImageItem *image, const char *label,
                                    double confidence, GError **error)
{
  g_return_val_if_fail (INKLING_IS_STORE (self), FALSE);
  g_return_val_if_fail (INKLING_IS_IMAGE_ITEM (image), FALSE);

  confidence = CLAMP (confidence, 0.0, 1.0);
  if (!update_image (self, "UPDATE images SET predicted_label = ?1, confidence = ?2 WHERE id = ?3",
                     image, label, confidence, "Cannot save the prediction", error))
    return FALSE;
  inkling_image_item_set_predicted (image, label, confidence);
  return TRUE;
}

gboolean
inkling_store_set_image_label (InklingStore *self, InklingImageItem *image, const char *label,
                               GError **error)
{
  g_return_val_if_fail (INKLING_IS_STORE (self), FALSE);
  g_return_val_if_fail (INKLING_IS_IMAGE_ITEM (image), FALSE);

  if (label != NULL && label[0] == '\0')
    label = NULL;
  if (label != NULL && !check_label (label, "Cannot label the image", error))
    return FALSE;
  if (!update_image (self, "UPDATE images SET user_label = ?1 WHERE id = ?3", image, label, 0,
                     "Cannot label the image", error))
    return FALSE;
  inkling_image_item_set_user_label (image, label);
  return TRUE;
}

gboolean
inkling_store_delete_image (InklingStore *self, InklingImageItem *image, GError **error)
{
  guint position;

  g_return_val_if_fail (INKLING_IS_STORE (self), FALSE);
  g_return_val_if_fail (INKLING_IS_IMAGE_ITEM (image), FALSE);

  if (!delete_row (self, "DELETE FROM images WHERE id = ?", inkling_image_item_get_id (image),
                   "Cannot delete the image", error))
    return FALSE;
  if (find_in_list (self->images, image, &position))
    g_list_store_remove (self->images, position);
  return TRUE;
}

InklingUpdateRecord *
inkling_store_add_history (InklingStore *self, const char *kind, gint64 examples,
                           const char *model_version, const char *result, GError **error)
{
  const char *what = "Cannot record the update";
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (InklingUpdateRecord) record = NULL;
  gint64 time = now_seconds ();
  gint64 id;

  g_return_val_if_fail (INKLING_IS_STORE (self), NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  if (model_version == NULL)
    model_version = "";
  if (result == NULL)
    result = "";
  stmt = begin_statement (self,
                          "INSERT INTO history (time, kind, examples, model_version, result) "
                          "VALUES (?, ?, ?, ?, ?)",
                          what, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, time);
  sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, examples);
  sqlite3_bind_text (stmt, 4, model_version, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, result, -1, SQLITE_TRANSIENT);
  if (!commit_insert (self, stmt, &id, what, error))
    return NULL;

  record = inkling_update_record_new (id, time, kind, examples, model_version, result);
  g_list_store_insert (self->history, 0, record);
  return record;
}

static void
inkling_store_finalize (GObject *object)
{
  InklingStore *self = INKLING_STORE (object);

  g_clear_object (&self->stickers);
  g_clear_object (&self->images);
  g_clear_object (&self->history);
  if (self->db != NULL) {
    sqlite3_close (self->db);
    self->db = NULL;
  }
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (inkling_store_parent_class)->finalize (object);
}

static void
inkling_store_class_init (InklingStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = inkling_store_finalize;
}

static void
inkling_store_init (InklingStore *self)
{
  self->stickers = g_list_store_new (INKLING_TYPE_STICKER);
  self->images = g_list_store_new (INKLING_TYPE_IMAGE_ITEM);
  self->history = g_list_store_new (INKLING_TYPE_UPDATE_RECORD);
}

/* test-model-manager.c: InklingModelManager with the bundled models, a real
 * store and a real model folder: teach, predict, delete, restart, damaged
 * personalized model, image training with progress and cancel
 *
 * The models come from $INKLING_BUNDLED_MODEL and $INKLING_IMAGE_MODEL (the
 * committed models in data/, set by meson); the drawings are drawn with
 * ink-strokes, as the canvas does.
 *
 * SPDX-License-Identifier: MIT
 */
#include <cjson/cJSON.h>
#include <math.h>

#include "ink.h"
#include "inkling-model-manager.h"
#include "store-test-support.h"

typedef struct {
  char *dir;
  char *db_path;
  char *models_dir;
  InklingStore *store;
  InklingModelManager *manager;
  GPtrArray *messages;
  guint model_changed;
} Fixture;

static void
on_message (InklingModelManager *manager, const char *text, Fixture *f)
{
  g_test_message ("message: %s", text);
  g_ptr_array_add (f->messages, g_strdup (text));
}

static void
on_model_changed (InklingModelManager *manager, Fixture *f)
{
  f->model_changed++;
}

/* A new store and manager on the fixture's folders, started. */
static void
open_manager (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  f->store = inkling_store_open (f->db_path, 0, &error);
  g_assert_no_error (error);
  f->manager = inkling_model_manager_new (f->store, f->models_dir, NULL, NULL);
  g_signal_connect (f->manager, "message", G_CALLBACK (on_message), f);
  g_signal_connect (f->manager, "model-changed", G_CALLBACK (on_model_changed), f);
  g_ptr_array_set_size (f->messages, 0);
  f->model_changed = 0;
  g_assert_true (inkling_model_manager_start (f->manager, &error));
  g_assert_no_error (error);
  g_assert_nonnull (inkling_model_manager_get_model (f->manager));
}

static void
wait_idle (Fixture *f)
{
  while (inkling_model_manager_get_busy (f->manager))
    g_main_context_iteration (NULL, TRUE);
  /* What the worker posted last (progress) may still be queued. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
close_manager (Fixture *f)
{
  wait_idle (f);
  g_clear_object (&f->manager);
  g_clear_object (&f->store);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = store_test_tmpdir_new ("manager");
  f->db_path = g_build_filename (f->dir, "data", "inkling.db", NULL);
  f->models_dir = g_build_filename (f->dir, "data", "models", NULL);
  f->messages = g_ptr_array_new_with_free_func (g_free);
  open_manager (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  close_manager (f);
  store_test_tmpdir_free (f->dir);
  g_ptr_array_unref (f->messages);
  g_free (f->db_path);
  g_free (f->models_dir);
}

/* ---- Drawings ---- */

/* A closed polygon through n points on a 200x200 canvas, each point moved
 * by up to jitter, as one stroke of points every few units. */
static InkDrawing *
polygon (const double (*corners)[2], guint n, double jitter, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  InkDrawing *drawing = ink_drawing_new ();

  g_assert_cmpint (ink_drawing_begin_stroke (drawing, NULL), ==, INK_OK);
  for (guint i = 0; i <= n; i++) {
    const double *a = corners[i % n];
    const double *b = corners[(i + 1) % n];

    for (int s = 0; s < 8 && i < n; s++) {
      double t = s / 8.0;
      double x = a[0] + (b[0] - a[0]) * t + g_rand_double_range (rand, -jitter, jitter);
      double y = a[1] + (b[1] - a[1]) * t + g_rand_double_range (rand, -jitter, jitter);

      g_assert_cmpint (ink_drawing_add_point (drawing, x, y, INK_PRESSURE_DEFAULT, -1, NULL), ==,
                       INK_OK);
    }
    if (i == n)
      g_assert_cmpint (ink_drawing_add_point (drawing, a[0], a[1], INK_PRESSURE_DEFAULT, -1, NULL),
                       ==, INK_OK);
  }
  ink_drawing_end_stroke (drawing);
  return drawing;
}

/* An hourglass: two triangles meeting at their tips (no starter sticker
 * looks like it). */
static InkDrawing *
hourglass (guint32 seed)
{
  static const double corners[][2] = {{30, 20}, {170, 20}, {30, 180}, {170, 180}};

  return polygon (corners, G_N_ELEMENTS (corners), 4.0, seed);
}

/* ---- Waiting for results ---- */

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static GPtrArray *
predict (Fixture *f, const InkDrawing *drawing)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *guesses;

  inkling_model_manager_predict_async (f->manager, drawing, 3, NULL, store_result, &result);
  guesses = inkling_model_manager_predict_finish (f->manager, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (guesses);
  for (guint i = 0; i < guesses->len; i++) {
    InklingGuess *g = g_ptr_array_index (guesses, i);

    g_test_message ("guess %u: %s %s %.3f", i, g->label, g->emoji ? g->emoji : "-", g->probability);
  }
  return guesses;
}

static const char *
top_label (GPtrArray *guesses)
{
  g_assert_cmpuint (guesses->len, >, 0);
  return ((InklingGuess *) g_ptr_array_index (guesses, 0))->label;
}

static InklingSticker *
teach_hourglass (Fixture *f)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  InkDrawing *drawings[3];
  InklingSticker *sticker;

  for (guint i = 0; i < 3; i++)
    drawings[i] = hourglass (100 + i);
  inkling_model_manager_teach_async (f->manager, "hourglass", "⌛",
                                     (const InkDrawing *const *) drawings, 3, NULL, store_result,
                                     &result);
  for (guint i = 0; i < 3; i++)
    ink_drawing_free (drawings[i]);
  /* The store has them at once. */
  g_assert_nonnull (inkling_store_find_sticker_by_label (f->store, "hourglass"));
  g_assert_true (inkling_model_manager_get_busy (f->manager));
  sticker = inkling_model_manager_teach_finish (f->manager, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (sticker);
  wait_idle (f);
  return sticker;
}

static void
assert_guesses_hourglass (Fixture *f, gboolean expected)
{
  InkDrawing *drawing = hourglass (7);
  g_autoptr (GPtrArray) guesses = predict (f, drawing);

  ink_drawing_free (drawing);
  if (expected) {
    InklingGuess *g = g_ptr_array_index (guesses, 0);

    g_assert_cmpstr (g->label, ==, "hourglass");
    g_assert_cmpstr (g->emoji, ==, "⌛");
  } else {
    g_assert_cmpstr (top_label (guesses), !=, "hourglass");
  }
}

/* A new store and manager on the same folders, which have nothing to say. */
static void
restart_quietly (Fixture *f)
{
  close_manager (f);
  open_manager (f);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

/* The personalized model runs, idle, with n_examples, and knows the
 * hourglass. */
static void
assert_personalized_hourglass (Fixture *f, int n_examples)
{
  g_assert_false (inkling_model_manager_get_busy (f->manager));
  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==,
                   INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, n_examples);
  assert_guesses_hourglass (f, TRUE);
}

/* ---- Tests ---- */

static void
test_starter (Fixture *f, gconstpointer data)
{
  g_auto (GStrv) labels = inkling_model_manager_dup_labels (f->manager);
  g_autofree char *sun = inkling_model_manager_dup_emoji (f->manager, "sun");

  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==,
                   INKLING_MODEL_SOURCE_BUNDLED);
  g_assert_cmpstr (inkling_model_manager_get_model_name (f->manager), ==,
                   "Inkling drawing classifier");
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 0);
  g_assert_true (g_strv_contains ((const char *const *) labels, "sun"));
  g_assert_cmpstr (sun, ==, "☀️");
  g_assert_cmpuint (f->messages->len, ==, 0);
  assert_guesses_hourglass (f, FALSE);
}

static void
test_teach (Fixture *f, gconstpointer data)
{
  g_autoptr (InklingSticker) sticker = NULL;
  g_autofree char *personal =
    g_build_filename (f->models_dir, "models", "bundled.personal.inkmodel", NULL);
  InklingUpdateRecord *record;

  assert_guesses_hourglass (f, FALSE);
  f->model_changed = 0;
  sticker = teach_hourglass (f);
  g_assert_cmpuint (f->model_changed, ==, 1);
  g_assert_cmpuint (inkling_sticker_get_n_examples (sticker), ==, 3);
  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==,
                   INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 3);
  g_assert_cmpstr (inkling_model_manager_get_updated_at (f->manager), !=, "");
  g_assert_true (g_file_test (personal, G_FILE_TEST_IS_REGULAR));
  assert_guesses_hourglass (f, TRUE);

  record = g_list_model_get_item (inkling_store_get_history (f->store), 0);
  g_assert_cmpstr (inkling_update_record_get_kind (record), ==, INKLING_UPDATE_KIND_TEACH);
  g_assert_cmpstr (inkling_update_record_get_result (record), ==, "completed");
  g_assert_cmpint (inkling_update_record_get_examples (record), ==, 3);
  g_object_unref (record);

  /* A fourth drawing for the same sticker. */
  {
    g_autoptr (GAsyncResult) result = NULL;
    g_autoptr (InklingSticker) again = NULL;
    InkDrawing *drawing = hourglass (200);

    inkling_model_manager_teach_async (f->manager, "hourglass", NULL,
                                       (const InkDrawing *const *) &drawing, 1, NULL, store_result,
                                       &result);
    ink_drawing_free (drawing);
    again = inkling_model_manager_teach_finish (f->manager, wait_for (&result), NULL);
    g_assert_true (again == sticker);
    wait_idle (f);
    g_assert_cmpuint (inkling_sticker_get_n_examples (sticker), ==, 4);
    g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 4);
  }

  /* Restart: the personalized model is loaded again, with nothing to say. */
  g_clear_object (&sticker);
  restart_quietly (f);
  assert_personalized_hourglass (f, 4);
}

static void
test_delete (Fixture *f, gconstpointer data)
{
  g_autoptr (InklingSticker) sticker = teach_hourglass (f);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) result2 = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingExample) example = NULL;

  /* One example less: rebuilt from the bundled model and the other two. */
  example = g_list_model_get_item (inkling_sticker_get_examples (sticker), 0);
  inkling_model_manager_delete_example_async (f->manager, example, NULL, store_result, &result);
  g_assert_true (inkling_model_manager_delete_finish (f->manager, wait_for (&result), &error));
  g_assert_no_error (error);
  wait_idle (f);
  g_assert_cmpuint (inkling_sticker_get_n_examples (sticker), ==, 2);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 2);
  assert_guesses_hourglass (f, TRUE);

  /* The whole sticker: the bundled model runs again. */
  inkling_model_manager_delete_sticker_async (f->manager, sticker, NULL, store_result, &result2);
  g_assert_true (inkling_model_manager_delete_finish (f->manager, wait_for (&result2), &error));
  g_assert_no_error (error);
  wait_idle (f);
  g_assert_null (inkling_store_find_sticker_by_label (f->store, "hourglass"));
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 0);
  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==,
                   INKLING_MODEL_SOURCE_BUNDLED);
  assert_guesses_hourglass (f, FALSE);

  restart_quietly (f);
  assert_guesses_hourglass (f, FALSE);
}

static void
test_reset (Fixture *f, gconstpointer data)
{
  g_autoptr (InklingSticker) sticker = teach_hourglass (f);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  inkling_model_manager_reset_personalization_async (f->manager, NULL, store_result, &result);
  g_assert_true (inkling_model_manager_delete_finish (f->manager, wait_for (&result), &error));
  g_assert_no_error (error);
  wait_idle (f);
  g_assert_cmpuint (g_list_model_get_n_items (inkling_store_get_stickers (f->store)), ==, 0);
  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==,
                   INKLING_MODEL_SOURCE_BUNDLED);
  assert_guesses_hourglass (f, FALSE);
}

/* A damaged personalized model: rebuilt from the store, and a message. */
static void
test_corrupt_personalized (Fixture *f, gconstpointer data)
{
  g_autoptr (InklingSticker) sticker = teach_hourglass (f);
  g_autofree char *personal =
    g_build_filename (f->models_dir, "models", "bundled.personal.inkmodel", NULL);

  g_clear_object (&sticker);
  close_manager (f);
  g_assert_true (g_file_set_contents (personal, "garbage, not a model", -1, NULL));

  open_manager (f);
  g_assert_cmpuint (f->messages->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (f->messages, 0), "being rebuilt"));
  g_assert_true (inkling_model_manager_get_busy (f->manager));
  /* Meanwhile the bundled model answers. */
  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), !=,
                   INKLING_MODEL_SOURCE_PERSONALIZED);
  wait_idle (f);
  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==,
                   INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 3);
  assert_guesses_hourglass (f, TRUE);

  /* Saved again: the next start has nothing to say. */
  restart_quietly (f);
  assert_guesses_hourglass (f, TRUE);
}

/* A newer prediction makes an older one stale. */
static void
test_stale (Fixture *f, gconstpointer data)
{
  g_autoptr (GAsyncResult) first = NULL;
  g_autoptr (GAsyncResult) second = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) guesses = NULL;
  InkDrawing *drawing = hourglass (1);

  inkling_model_manager_predict_async (f->manager, drawing, 3, NULL, store_result, &first);
  inkling_model_manager_predict_async (f->manager, drawing, 3, NULL, store_result, &second);
  ink_drawing_free (drawing);
  g_assert_null (inkling_model_manager_predict_finish (f->manager, wait_for (&first), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  guesses = inkling_model_manager_predict_finish (f->manager, wait_for (&second), NULL);
  g_assert_nonnull (guesses);
  g_assert_cmpuint (guesses->len, ==, 3);
}

/* Exported models load and answer as the live one. */
static void
test_export (Fixture *f, gconstpointer data)
{
  g_autoptr (InklingSticker) sticker = teach_hourglass (f);
  const char *names[] = {"out.inkmodel", "out.mlmodel"};

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autofree char *path = g_build_filename (f->dir, names[i], NULL);
    g_autoptr (GFile) file = g_file_new_for_path (path);
    g_autoptr (GAsyncResult) result = NULL;
    g_autoptr (GError) error = NULL;
    InkModel *model;

    inkling_model_manager_export_async (f->manager, file, NULL, store_result, &result);
    g_assert_true (inkling_model_manager_export_finish (f->manager, wait_for (&result), &error));
    g_assert_no_error (error);
    model = i == 0 ? ink_model_load (path, NULL) : ink_coreml_compile_file (path, NULL);
    g_assert_nonnull (model);
    g_assert_cmpuint (ink_knn_n_examples (model), ==,
                      ink_knn_n_examples (inkling_model_manager_get_model (f->manager)));
    ink_model_free (model);
  }
}

/* Opening a model file installs it as the base model, with the store's
 * examples applied again; it stays after a restart. */
static void
test_open_model (Fixture *f, gconstpointer data)
{
  g_autoptr (InklingSticker) sticker = teach_hourglass (f);
  g_autofree char *path = g_build_filename (f->dir, "other.mlmodel", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFile) missing = g_file_new_for_path ("/nonexistent/model.mlmodel");
  g_autoptr (GAsyncResult) failed = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  InkModel *bundled;
  InklingUpdateRecord *record;

  /* Another model: the bundled one with a different name. */
  bundled = ink_coreml_compile_file (g_getenv ("INKLING_BUNDLED_MODEL"), NULL);
  g_assert_nonnull (bundled);
  {
    InkMetadata meta = ink_description_metadata (ink_model_get_description (bundled));

    meta.short_description = "Another drawing classifier";
    meta.version = "2.0.0";
    g_assert_cmpint (ink_model_set_metadata (bundled, &meta), ==, INK_OK);
  }
  g_assert_cmpint (ink_coreml_export (bundled, path, NULL), ==, INK_OK);
  ink_model_free (bundled);

  inkling_model_manager_open_model_async (f->manager, missing, NULL, store_result, &failed);
  g_assert_false (inkling_model_manager_open_model_finish (f->manager, wait_for (&failed), &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  wait_idle (f);

  inkling_model_manager_open_model_async (f->manager, file, NULL, store_result, &result);
  g_assert_true (inkling_model_manager_open_model_finish (f->manager, wait_for (&result), &error));
  g_assert_no_error (error);
  wait_idle (f);
  g_assert_cmpstr (inkling_model_manager_get_model_name (f->manager), ==,
                   "Another drawing classifier");
  g_assert_cmpstr (inkling_model_manager_get_base_version (f->manager), ==, "2.0.0");
  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==,
                   INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpstr (inkling_model_manager_get_opened_file (f->manager), ==, path);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 3);
  assert_guesses_hourglass (f, TRUE);
  record = g_list_model_get_item (inkling_store_get_history (f->store), 0);
  g_assert_cmpstr (inkling_update_record_get_kind (record), ==, INKLING_UPDATE_KIND_OPEN_MODEL);
  g_object_unref (record);

  g_clear_object (&sticker);
  restart_quietly (f);
  g_assert_cmpstr (inkling_model_manager_get_model_name (f->manager), ==,
                   "Another drawing classifier");
  g_assert_cmpstr (inkling_model_manager_get_opened_file (f->manager), ==, path);
  assert_guesses_hourglass (f, TRUE);
}

/* Opens path, expecting success or failure. */
static void
open_model_file (Fixture *f, const char *path, gboolean ok)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  inkling_model_manager_open_model_async (f->manager, file, NULL, store_result, &result);
  g_assert_true (inkling_model_manager_open_model_finish (f->manager, wait_for (&result), &error) ==
                 ok);
  if (ok)
    g_assert_no_error (error);
  else
    g_test_message ("%s", error->message);
  g_assert_true (ok == (error == NULL));
  wait_idle (f);
}

static void
assert_opened (Fixture *f, const char *path)
{
  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==,
                   INKLING_MODEL_SOURCE_OPENED);
  g_assert_cmpstr (inkling_model_manager_get_opened_file (f->manager), ==, path);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 0);
}

/* A model opened from a file with no examples to apply runs as opened from
 * that file (not as downloaded): after a restart too, and when an older
 * inkling wrote the pointer file (no "origin"). A file that is no model is
 * refused and the model running stays. */
static void
test_open_model_source (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "mine.mlmodel", NULL);
  g_autofree char *bad = g_build_filename (f->dir, "bad.mlmodel", NULL);
  g_autofree char *pointer = g_build_filename (f->models_dir, "active.json", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *older = NULL;
  g_autoptr (GRegex) origin = g_regex_new (",\\s*\"origin\":\\s*\"[a-z]+\"", 0, 0, NULL);
  gsize length;

  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==,
                   INKLING_MODEL_SOURCE_BUNDLED);
  g_assert_cmpstr (inkling_model_manager_get_opened_file (f->manager), ==, "");
  g_assert_true (g_file_set_contents (bad, "not a model", -1, NULL));
  open_model_file (f, bad, FALSE);
  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==,
                   INKLING_MODEL_SOURCE_BUNDLED);
  g_assert_cmpstr (inkling_model_manager_get_opened_file (f->manager), ==, "");

  g_assert_true (
    g_file_get_contents (g_getenv ("INKLING_BUNDLED_MODEL"), &contents, &length, NULL));
  g_assert_true (g_file_set_contents (path, contents, (gssize) length, NULL));
  open_model_file (f, path, TRUE);
  assert_opened (f, path);
  open_model_file (f, bad, FALSE);
  assert_opened (f, path);
  restart_quietly (f);
  assert_opened (f, path);

  close_manager (f);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (pointer, &contents, NULL, NULL));
  older = g_regex_replace (origin, contents, -1, 0, "", 0, NULL);
  g_assert_null (strstr (older, "origin"));
  g_assert_true (g_file_set_contents (pointer, older, -1, NULL));
  open_manager (f);
  g_assert_cmpuint (f->messages->len, ==, 0);
  assert_opened (f, path);
}

/* A personalized model opened as the base (an export of one): its own
 * examples are part of the base, so only the store's count as the user's,
 * after teaching more and after a restart, which finds the model in step
 * (no rebuild) from the personalized model alone. */
static void
test_open_personalized (Fixture *f, gconstpointer data)
{
  g_autoptr (InklingSticker) sticker = teach_hourglass (f);
  g_autofree char *path = g_build_filename (f->dir, "mine.mlmodel", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GAsyncResult) exported = NULL;
  g_autoptr (GAsyncResult) opened = NULL;
  g_autoptr (GAsyncResult) taught = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingSticker) again = NULL;
  InkDrawing *drawing;
  InkProvenance p;
  InkModel *model;

  inkling_model_manager_export_async (f->manager, file, NULL, store_result, &exported);
  g_assert_true (inkling_model_manager_export_finish (f->manager, wait_for (&exported), &error));
  g_assert_no_error (error);
  model = ink_coreml_compile_file (path, NULL);
  g_assert_nonnull (model);
  g_assert_true (ink_model_get_provenance (model, &p));
  g_assert_cmpint (p.examples, ==, 3);
  ink_model_free (model);

  inkling_model_manager_open_model_async (f->manager, file, NULL, store_result, &opened);
  g_assert_true (inkling_model_manager_open_model_finish (f->manager, wait_for (&opened), &error));
  g_assert_no_error (error);
  wait_idle (f);
  g_assert_cmpstr (inkling_model_manager_get_model_source (f->manager), ==,
                   INKLING_MODEL_SOURCE_PERSONALIZED);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 3);
  g_assert_true (ink_model_get_provenance (inkling_model_manager_get_model (f->manager), &p));
  g_assert_cmpint (p.examples, ==, 6);

  drawing = hourglass (300);
  inkling_model_manager_teach_async (f->manager, "hourglass", NULL,
                                     (const InkDrawing *const *) &drawing, 1, NULL, store_result,
                                     &taught);
  ink_drawing_free (drawing);
  again = inkling_model_manager_teach_finish (f->manager, wait_for (&taught), &error);
  g_assert_no_error (error);
  wait_idle (f);
  g_assert_cmpint (inkling_model_manager_get_n_examples (f->manager), ==, 4);

  g_clear_object (&sticker);
  g_clear_object (&again);
  restart_quietly (f);
  assert_personalized_hourglass (f, 4);
}

/* ---- Images ---- */

static void
import_demo_images (Fixture *f, gboolean label_them)
{
  const char *dir = g_getenv ("INKLING_DEMO_IMAGES");
  g_autofree char *json_path = NULL;
  g_autofree char *json = NULL;
  cJSON *root, *images, *item;

  g_assert_nonnull (dir);
  json_path = g_build_filename (dir, "demo.json", NULL);
  g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
  root = cJSON_Parse (json);
  g_assert_nonnull (root);
  images = cJSON_GetObjectItem (root, "images");
  cJSON_ArrayForEach (item, images)
  {
    const char *file = cJSON_GetStringValue (cJSON_GetObjectItem (item, "file"));
    const char *label = cJSON_GetStringValue (cJSON_GetObjectItem (item, "label"));
    g_autofree char *path = g_build_filename (dir, file, NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) bytes = NULL;
    char *contents;
    gsize size;
    InklingImageItem *image;

    g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
    bytes = g_bytes_new_take (contents, size);
    image = inkling_store_add_image (f->store, file, bytes, &error);
    g_assert_no_error (error);
    if (label_them) {
      g_assert_true (inkling_store_set_image_label (f->store, image, label, &error));
      g_assert_no_error (error);
    }
  }
  cJSON_Delete (root);
}

typedef struct {
  guint events;
  double last_fraction;
  double last_loss;
  int last_epoch;
  gboolean monotonic;
  GCancellable *cancel_at_first;
} ProgressLog;

static void
on_progress (InklingModelManager *manager, double fraction, double loss, int epoch,
             ProgressLog *log)
{
  if (fraction < log->last_fraction)
    log->monotonic = FALSE;
  log->events++;
  log->last_fraction = fraction;
  log->last_loss = loss;
  log->last_epoch = epoch;
  if (log->cancel_at_first != NULL && log->events == 2)
    g_cancellable_cancel (log->cancel_at_first);
}

static void
test_images (Fixture *f, gconstpointer data)
{
  g_autoptr (GAsyncResult) classified = NULL;
  g_autoptr (GAsyncResult) trained = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *personal =
    g_build_filename (f->models_dir, INKLING_MODEL_MANAGER_IMAGE_PERSONAL_FILE, NULL);
  const char *const *labels = inkling_model_manager_get_image_labels (f->manager);
  ProgressLog log = {.monotonic = TRUE};
  GListModel *images = inkling_store_get_images (f->store);
  double accuracy, before = -2, after = -2;
  gulong handler;
  const InkModel *old_model;

  g_assert_nonnull (inkling_model_manager_get_image_model (f->manager));
  g_assert_cmpuint (g_strv_length ((char **) labels), ==, 10);
  g_assert_true (g_strv_contains (labels, "Ankle boot"));

  import_demo_images (f, TRUE);
  inkling_model_manager_classify_images_async (f->manager, NULL, store_result, &classified);
  accuracy =
    inkling_model_manager_classify_images_finish (f->manager, wait_for (&classified), &error);
  g_assert_no_error (error);
  g_test_message ("accuracy on the demo images: %.3f", accuracy);
  g_assert_cmpfloat (accuracy, >, 0.3);
  g_assert_cmpfloat (accuracy, <=, 1.0);
  for (guint i = 0; i < g_list_model_get_n_items (images); i++) {
    g_autoptr (InklingImageItem) image = g_list_model_get_item (images, i);

    g_assert_nonnull (inkling_image_item_get_predicted_label (image));
  }

  old_model = inkling_model_manager_get_image_model (f->manager);
  handler = g_signal_connect (f->manager, "progress", G_CALLBACK (on_progress), &log);
  inkling_model_manager_train_images_async (f->manager, 3, 0.01, NULL, store_result, &trained);
  g_assert_true (inkling_model_manager_train_images_finish (f->manager, wait_for (&trained),
                                                            &before, &after, &error));
  g_assert_no_error (error);
  wait_idle (f);
  g_signal_handler_disconnect (f->manager, handler);
  g_test_message ("accuracy %.3f -> %.3f, %u progress events, last loss %.4f", before, after,
                  log.events, log.last_loss);
  g_assert_cmpfloat (before, ==, accuracy);
  g_assert_cmpfloat (after, >=, 0);
  g_assert_cmpuint (log.events, >, 3);
  g_assert_true (log.monotonic);
  g_assert_cmpfloat_with_epsilon (log.last_fraction, 1.0, 1e-9);
  g_assert_cmpint (log.last_epoch, ==, 2);
  g_assert_true (isfinite (log.last_loss));
  g_assert_true (inkling_model_manager_get_image_model (f->manager) != old_model);
  g_assert_true (g_file_test (personal, G_FILE_TEST_IS_REGULAR));

  /* After a restart the trained classifier runs. */
  restart_quietly (f);
  {
    g_autoptr (GAsyncResult) again = NULL;

    inkling_model_manager_classify_images_async (f->manager, NULL, store_result, &again);
    accuracy = inkling_model_manager_classify_images_finish (f->manager, wait_for (&again), &error);
    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (accuracy, after, 1e-9);
  }

  /* Back to the bundled one. */
  g_assert_true (inkling_model_manager_reset_image_model (f->manager, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (personal, G_FILE_TEST_EXISTS));
}

static void
test_images_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr (GAsyncResult) trained = NULL;
  g_autoptr (GAsyncResult) unlabelled = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *personal =
    g_build_filename (f->models_dir, INKLING_MODEL_MANAGER_IMAGE_PERSONAL_FILE, NULL);
  ProgressLog log = {.monotonic = TRUE, .cancel_at_first = cancellable};
  const InkModel *old_model = inkling_model_manager_get_image_model (f->manager);
  InklingUpdateRecord *record;
  gulong handler;

  /* Nothing labelled: nothing to learn from. */
  import_demo_images (f, FALSE);
  inkling_model_manager_train_images_async (f->manager, 1, 0, NULL, store_result, &unlabelled);
  g_assert_false (inkling_model_manager_train_images_finish (f->manager, wait_for (&unlabelled),
                                                             NULL, NULL, &error));
  g_assert_error (error, INKLING_MODEL_MANAGER_ERROR, INKLING_MODEL_MANAGER_ERROR_NO_EXAMPLES);
  g_clear_error (&error);
  wait_idle (f);

  g_clear_object (&f->store);
  g_clear_object (&f->manager);
  open_manager (f);
  import_demo_images (f, TRUE);
  old_model = inkling_model_manager_get_image_model (f->manager);
  log.cancel_at_first = cancellable;
  handler = g_signal_connect (f->manager, "progress", G_CALLBACK (on_progress), &log);
  inkling_model_manager_train_images_async (f->manager, 100, 0.01, cancellable, store_result,
                                            &trained);
  g_assert_false (inkling_model_manager_train_images_finish (f->manager, wait_for (&trained), NULL,
                                                             NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  wait_idle (f);
  g_signal_handler_disconnect (f->manager, handler);
  g_test_message ("cancelled after %u progress events, epoch %d", log.events, log.last_epoch);
  g_assert_cmpint (log.last_epoch, <, 99);
  g_assert_true (inkling_model_manager_get_image_model (f->manager) == old_model);
  g_assert_false (g_file_test (personal, G_FILE_TEST_EXISTS));
  record = g_list_model_get_item (inkling_store_get_history (f->store), 0);
  g_assert_cmpstr (inkling_update_record_get_result (record), ==, "cancelled");
  g_object_unref (record);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("INKLING_BUNDLED_MODEL") == NULL || g_getenv ("INKLING_IMAGE_MODEL") == NULL) {
    g_test_skip ("INKLING_BUNDLED_MODEL and INKLING_IMAGE_MODEL are not set");
    return 0;
  }

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/model-manager/starter", test_starter);
  ADD ("/model-manager/teach-restart", test_teach);
  ADD ("/model-manager/delete", test_delete);
  ADD ("/model-manager/reset", test_reset);
  ADD ("/model-manager/corrupt-personalized", test_corrupt_personalized);
  ADD ("/model-manager/stale", test_stale);
  ADD ("/model-manager/export", test_export);
  ADD ("/model-manager/open-model", test_open_model);
  ADD ("/model-manager/open-personalized", test_open_personalized);
  ADD ("/model-manager/open-model-source", test_open_model_source);
  ADD ("/model-manager/images", test_images);
  ADD ("/model-manager/images-cancel", test_images_cancel);
#undef ADD

  return g_test_run ();
}

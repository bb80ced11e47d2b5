/* crash-helper.c: the real operations test-crash.py kills with SIGKILL, and
 * the checks it runs after each kill
 *
 *   crash-helper save-file MODEL OUT FIRST COUNT
 *       loads MODEL, then for SEQ = FIRST .. FIRST+COUNT-1 sets its
 *       user-defined metadata "inkling.crash.seq" to SEQ and saves it to OUT
 *       with ink_model_save (the engine's atomic write); prints "saved SEQ"
 *       (flushed) after each save has returned
 *   crash-helper save-store STORE BUNDLED MODEL FIRST COUNT
 *       the same through the model store: ink_model_store_save_personalized
 *       (the app's path for a personalized model: the model file, then the
 *       pointer file)
 *   crash-helper model-seq PATH
 *       loads PATH and prints its "inkling.crash.seq" ("none" without one)
 *   crash-helper store-load STORE BUNDLED
 *       opens the store and loads its model as the app does
 *       (ink_model_store_load); prints one JSON object: personalized,
 *       fell_back, reason, seq, path
 *   crash-helper db-write DB TAG COUNT
 *       opens the personalization database (inkling_store) and makes COUNT
 *       changes, each one committed transaction: an example added to the
 *       sticker "crash", and every fourth a new sticker "TAG-N" with three
 *       examples at once. After each commit has returned it prints
 *       "example ID" or "sticker ID EX1 EX2 EX3" (flushed).
 *   crash-helper db-dump DB
 *       opens the database and prints every sticker as
 *       "sticker ID LABEL N EX1 ... EXN", one a line
 *
 * Errors print "crash-helper: MESSAGE" on stderr and exit 1.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ink.h"
#include "inkling-store.h"

#define SEQ_KEY "inkling.crash.seq"
#define RASTER_BYTES (28 * 28)

static int
fail (const char *fmt, const char *message)
{
  fprintf (stderr, "crash-helper: ");
  fprintf (stderr, fmt, message);
  fputc ('\n', stderr);
  return 1;
}

static gboolean
parse_int (const char *text, gint64 *out)
{
  char *end;

  errno = 0;
  *out = g_ascii_strtoll (text, &end, 10);
  return errno == 0 && end != text && *end == '\0';
}

static InkStatus
set_seq (InkModel *model, gint64 seq)
{
  char text[32];

  g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, seq);
  return ink_model_set_user_metadata (model, SEQ_KEY, text);
}

static const char *
get_seq (const InkModel *model)
{
  const char *seq =
    ink_description_user_metadata_lookup (ink_model_get_description (model), SEQ_KEY);

  return seq != NULL ? seq : "none";
}

/* save-file MODEL OUT FIRST COUNT and save-store STORE BUNDLED MODEL FIRST
 * COUNT */
static int
save_loop (const char *model_path, const char *out, InkModelStore *store, const char *first_text,
           const char *count_text)
{
  InkError err;
  InkModel *model;
  gint64 first, count;

  if (!parse_int (first_text, &first) || !parse_int (count_text, &count))
    return fail ("%s", "FIRST and COUNT must be integers");
  model = ink_model_load (model_path, &err);
  if (model == NULL)
    return fail ("%s", err.message);
  for (gint64 seq = first; seq < first + count; seq++) {
    InkStatus st = set_seq (model, seq);

    if (st == INK_OK && store != NULL)
      st = ink_model_store_save_personalized (store, model, &err);
    else if (st == INK_OK)
      st = ink_model_save (model, out, &err);
    else
      ink_error_set (&err, st, "cannot set the metadata");
    if (st != INK_OK) {
      ink_model_free (model);
      return fail ("%s", err.message);
    }
    printf ("saved %" G_GINT64_FORMAT "\n", seq);
    fflush (stdout);
  }
  ink_model_free (model);
  return 0;
}

static int
model_seq (const char *path)
{
  InkError err;
  InkModel *model = ink_model_load (path, &err);

  if (model == NULL)
    return fail ("%s", err.message);
  printf ("%s\n", get_seq (model));
  ink_model_free (model);
  return 0;
}

static int
store_load (const char *dir, const char *bundled)
{
  InkError err;
  InkModelStore *store = ink_model_store_open (dir, bundled, &err);
  InkModelStoreLoad info;
  InkModel *model;
  g_autofree char *reason = NULL;

  if (store == NULL)
    return fail ("%s", err.message);
  model = ink_model_store_load (store, 0, &info, &err);
  if (model == NULL) {
    ink_model_store_free (store);
    return fail ("%s", err.message);
  }
  reason = g_strescape (info.reason, NULL);
  printf ("{\"personalized\": %s, \"fell_back\": %s, \"reason\": \"%s\", \"seq\": \"%s\", "
          "\"path\": \"%s\"}\n",
          info.personalized ? "true" : "false", info.fell_back ? "true" : "false", reason,
          get_seq (model),
          info.personalized ? info.entry.personal_path
                            : (info.entry.path != NULL ? info.entry.path : ""));
  ink_model_free (model);
  ink_model_store_free (store);
  return 0;
}

/* A drawing's strokes as JSON: a short stroke offset by k. */
static char *
strokes_json (int k)
{
  InkDrawing *drawing = ink_drawing_new ();
  InkPoint points[2] = {{10 + k % 20, 10, 0.5, -1}, {50, 60 + k % 20, 0.5, -1}};
  char *json = NULL;

  if (drawing == NULL || ink_drawing_add_stroke (drawing, points, 2, NULL) != INK_OK ||
      ink_drawing_to_json (drawing, &json, NULL) != INK_OK)
    json = NULL;
  ink_drawing_free (drawing);
  return json;
}

static GBytes *
raster (int k)
{
  guint8 *pixels = g_malloc (RASTER_BYTES);

  memset (pixels, k & 0xff, RASTER_BYTES);
  return g_bytes_new_take (pixels, RASTER_BYTES);
}

static int
db_write (const char *path, const char *tag, const char *count_text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingStore) store = NULL;
  InklingSticker *base;
  gint64 count;

  if (!parse_int (count_text, &count))
    return fail ("%s", "COUNT must be an integer");
  store = inkling_store_open (path, 0, &error);
  if (store == NULL)
    return fail ("%s", error->message);
  base = inkling_store_find_sticker_by_label (store, "crash");
  if (base == NULL)
    base = inkling_store_add_sticker (store, "", "crash", &error);
  if (base == NULL)
    return fail ("%s", error->message);
  for (gint64 i = 0; i < count; i++) {
    g_autofree char *json = strokes_json ((int) i);
    g_autoptr (GBytes) pixels = raster ((int) i);

    if (json == NULL)
      return fail ("%s", "cannot make a drawing");
    if (i % 4 == 3) {
      g_autofree char *label = g_strdup_printf ("%s-%" G_GINT64_FORMAT, tag, i);
      const char *strokes[3] = {json, json, json};
      GBytes *rasters[3] = {pixels, pixels, pixels};
      InklingSticker *sticker =
        inkling_store_add_sticker_with_examples (store, "", label, strokes, rasters, 3, &error);
      GListModel *examples;

      if (sticker == NULL)
        return fail ("%s", error->message);
      printf ("sticker %" G_GINT64_FORMAT, inkling_sticker_get_id (sticker));
      examples = inkling_sticker_get_examples (sticker);
      for (guint j = 0; j < g_list_model_get_n_items (examples); j++) {
        g_autoptr (InklingExample) e = g_list_model_get_item (examples, j);

        printf (" %" G_GINT64_FORMAT, inkling_example_get_id (e));
      }
      printf ("\n");
    } else {
      InklingExample *e = inkling_store_add_example (store, base, json, pixels, &error);

      if (e == NULL)
        return fail ("%s", error->message);
      printf ("example %" G_GINT64_FORMAT "\n", inkling_example_get_id (e));
    }
    fflush (stdout);
  }
  return 0;
}

static int
db_dump (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingStore) store = inkling_store_open (path, 0, &error);
  GListModel *stickers;

  if (store == NULL)
    return fail ("%s", error->message);
  stickers = inkling_store_get_stickers (store);
  for (guint i = 0; i < g_list_model_get_n_items (stickers); i++) {
    g_autoptr (InklingSticker) s = g_list_model_get_item (stickers, i);
    GListModel *examples = inkling_sticker_get_examples (s);
    guint n = g_list_model_get_n_items (examples);

    printf ("sticker %" G_GINT64_FORMAT " %s %u", inkling_sticker_get_id (s),
            inkling_sticker_get_label (s), n);
    for (guint j = 0; j < n; j++) {
      g_autoptr (InklingExample) e = g_list_model_get_item (examples, j);

      printf (" %" G_GINT64_FORMAT, inkling_example_get_id (e));
    }
    printf ("\n");
  }
  return 0;
}

int
main (int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : "";

  if (strcmp (cmd, "save-file") == 0 && argc == 6)
    return save_loop (argv[2], argv[3], NULL, argv[4], argv[5]);
  if (strcmp (cmd, "save-store") == 0 && argc == 7) {
    InkError err;
    InkModelStore *store = ink_model_store_open (argv[2], argv[3], &err);
    int rc;

    if (store == NULL)
      return fail ("%s", err.message);
    rc = save_loop (argv[4], NULL, store, argv[5], argv[6]);
    ink_model_store_free (store);
    return rc;
  }
  if (strcmp (cmd, "model-seq") == 0 && argc == 3)
    return model_seq (argv[2]);
  if (strcmp (cmd, "store-load") == 0 && argc == 4)
    return store_load (argv[2], argv[3]);
  if (strcmp (cmd, "db-write") == 0 && argc == 5)
    return db_write (argv[2], argv[3], argv[4]);
  if (strcmp (cmd, "db-dump") == 0 && argc == 3)
    return db_dump (argv[2]);
  fprintf (stderr, "usage: crash-helper save-file MODEL OUT FIRST COUNT\n"
                   "       crash-helper save-store STORE BUNDLED MODEL FIRST COUNT\n"
                   "       crash-helper model-seq PATH\n"
                   "       crash-helper store-load STORE BUNDLED\n"
                   "       crash-helper db-write DB TAG COUNT\n"
                   "       crash-helper db-dump DB\n");
  return 2;
}

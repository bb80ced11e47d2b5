/* inkling-model-manager.c: the live models, prediction and personalization
 *
 * Models are shared between threads through ModelRef, an atomically
 * reference-counted box: a live model is never changed once it is live
 * (every update works on a copy), so a prediction that started on the old
 * model finishes on it while the new one is already live.
 *
 * Two views of the drawing model: `live` (main thread: predictions, the
 * properties) and `latest` (guarded by `lock`: what the serial worker
 * builds on), so that a teach queued behind another applies to the other's
 * result even before the main thread switched to it.
 *
 * Work on the serial worker is a Job: inputs copied on the main thread when
 * it is queued, run on the worker, then completed on the main context
 * (switch the live model, record history, update store items) before its
 * GTask returns. The worker thread alone uses the InkModelStore handle once
 * start() returned.
 *
 * How many of the user's examples a personalized model holds is what its
 * provenance counts (ink_model_get_provenance) less what its base already
 * had there, which the manager records in the personalized model itself
 * (PERSONAL_BASE_EXAMPLES_KEY): start() reads it from the one model it
 * loads, with no second load of the base.
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-config.h"

#include "inkling-model-manager.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>

#include "inkling-engine-autoptr.h"
#include "inkling-error.h"
#include "inkling-tsan-private.h"

#define EMOJI_KEY "inkling.emoji"
/* In a personalized model: its base's provenance example count (decimal). */
#define PERSONAL_BASE_EXAMPLES_KEY "inkling.personal.base-examples"
#define IMAGE_PERSONAL_NAME INKLING_MODEL_MANAGER_IMAGE_PERSONAL_FILE

/* ---- Shared models ---- */

typedef struct {
  InkModel *model;
  gint64 n_examples; /* the user's examples applied to its base (0: a base model) */
  char *version;     /* the model store's version of a downloaded model, else NULL */
  char *opened_file; /* the file its base model was opened from, else NULL */
} ModelRef;

static void
model_ref_clear (gpointer data)
{
  ModelRef *ref = data;

  INKLING_TSAN_ACQUIRE (ref);
  g_clear_pointer (&ref->model, ink_model_free);
  g_clear_pointer (&ref->version, g_free);
  g_clear_pointer (&ref->opened_file, g_free);
}

/* Takes ownership of model. */
static ModelRef *
model_ref_new (InkModel *model)
{
  ModelRef *ref = g_atomic_rc_box_new0 (ModelRef);

  ref->model = model;
  return ref;
}

static ModelRef *
model_ref_acquire (ModelRef *ref)
{
  return ref != NULL ? g_atomic_rc_box_acquire (ref) : NULL;
}

static void
model_ref_release (ModelRef *ref)
{
  if (ref != NULL) {
    INKLING_TSAN_RELEASE (ref);
    g_atomic_rc_box_release_full (ref, model_ref_clear);
  }
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ModelRef, model_ref_release)

/* ---- The object ---- */

struct _InklingModelManager {
  GObject parent_instance;

  GMainContext *context;
  GThreadPool *worker;
  GThreadPool *predictors;
  GMutex lock;
  guint busy;
  gint64 n_examples;
  guint predict_generation; /* atomic */

  /* Owned References */
  InklingStore *store;
  char *models_dir;
  char *bundled_path;
  char *image_path;
  InkModelStore *model_store; /* the worker's, once started */
  ModelRef *live;
  ModelRef *latest; /* guarded by lock */
  ModelRef *image_live;
  GHashTable *emoji; /* label → emoji, from the live model */
  char **image_labels;
  char *model_name;
  char *model_version;
  char *model_source;
  char *opened_file;
  char *base_version;
  char *updated_at;
};

G_DEFINE_FINAL_TYPE (InklingModelManager, inkling_model_manager, G_TYPE_OBJECT)

G_DEFINE_QUARK (inkling - model - manager - error - quark, inkling_model_manager_error)

enum {
  PROP_0,
  PROP_STORE,
  PROP_MODEL_NAME,
  PROP_MODEL_VERSION,
  PROP_MODEL_SOURCE,
  PROP_OPENED_FILE,
  PROP_BASE_VERSION,
  PROP_N_EXAMPLES,
  PROP_UPDATED_AT,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  MODEL_CHANGED,
  IMAGE_MODEL_CHANGED,
  PROGRESS,
  MESSAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- Small helpers ---- */

/* Runs func on context's own thread, always through the loop.
 * (g_main_context_invoke would run it at once in the calling thread when
 * that thread can acquire the context, e.g. the global default context
 * while the main thread is not iterating.) */
static void
hand_over_to_main (GMainContext *context, gint priority, GSourceFunc func, gpointer data,
                   GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, priority);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "[inkling] hand-over to the main context");
  g_source_attach (source, context);
  g_source_unref (source);
}

static void emit_message (InklingModelManager *self, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
emit_message (InklingModelManager *self, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_debug ("Message: %s", text);
  g_signal_emit (self, signals[MESSAGE], 0, text);
}

static void
set_string_property (InklingModelManager *self, char **field, const char *value, guint prop)
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
busy_push (InklingModelManager *self)
{
  if (self->busy++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
busy_pop (InklingModelManager *self)
{
  g_assert (self->busy > 0);
  if (--self->busy == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* A .mlmodel (by content, or by name unless it starts like a compiled
 * model) is compiled, anything else loaded as .inkmodel: so that what is
 * wrong with a file is told in the terms of the format it claims. */
static InkModel *
load_model_file (const char *path, InkError *err)
{
  uint8_t head[64];
  size_t got = 0;
  FILE *file = fopen (path, "rb");
  gboolean compiled;

  if (file == NULL) {
    ink_error_set (err, INK_ERR_IO, "cannot open %s: %s", path, g_strerror (errno));
    return NULL;
  }
  got = fread (head, 1, sizeof head, file);
  fclose (file);
  compiled = got >= 8 && memcmp (head, "INKMODEL", 8) == 0;
  return ink_coreml_sniff (head, got) || (!compiled && g_str_has_suffix (path, ".mlmodel"))
           ? ink_coreml_compile_file (path, err)
           : ink_model_load (path, err);
}

/* How a classifier takes a drawing or image: its image input and, for
 * training, the string training input that is not an input. */
typedef struct {
  const char *image_name;
  int width, height;
  const char *label_name; /* NULL when not updatable */
} ImageIO;

static gboolean
find_image_io (const InkModel *model, ImageIO *io)
{
  const InkModelDescription *d = ink_model_get_description (model);

  memset (io, 0, sizeof *io);
  for (size_t i = 0; i < ink_description_n_inputs (d); i++) {
    const InkFeatureDescription *f = ink_description_input (d, i);

    if (f->type.type == INK_VALUE_IMAGE) {
      io->image_name = f->name;
      io->width = (int) f->type.image.width;
      io->height = (int) f->type.image.height;
      break;
    }
  }
  if (io->image_name == NULL)
    return FALSE;
  for (size_t i = 0; i < ink_description_n_training_inputs (d); i++) {
    const InkFeatureDescription *f = ink_description_training_input (d, i);

    if (ink_description_find_input (d, f->name) == NULL && f->type.type == INK_VALUE_STRING) {
      io->label_name = f->name;
      break;
    }
  }
  return TRUE;
}

static void
set_error_from_engine (GError **error, const char *what, const InkError *err)
{
  g_autoptr (GError) engine_error = NULL;

  inkling_set_engine_error (&engine_error, err);
  g_set_error (error, engine_error->domain, engine_error->code, "%s: %s", what,
               engine_error->message);
}

/* label → probability pairs of a classifier's output, most probable first. */
typedef struct {
  char *label;
  double probability;
} Scored;

static void
scored_clear (gpointer data)
{
  Scored *s = data;

  g_free (s->label);
}

static int
scored_compare (gconstpointer a, gconstpointer b)
{
  const Scored *x = a, *y = b;

  if (x->probability != y->probability)
    return x->probability > y->probability ? -1 : 1;
  return g_strcmp0 (x->label, y->label);
}

static int
scored_compare_labels (gconstpointer a, gconstpointer b)
{
  const Scored *x = a, *y = b;

  return g_strcmp0 (x->label, y->label);
}

static GArray *
classify (const InkModel *model, InkValue *image, InkError *err)
{
  const InkModelDescription *d = ink_model_get_description (model);
  const char *probs_name = ink_description_predicted_probabilities_name (d);
  const char *label_name = ink_description_predicted_feature_name (d);
  g_autoptr (InkFeatures) inputs = ink_features_new ();
  g_autoptr (InkFeatures) outputs = NULL;
  GArray *scores = g_array_new (FALSE, FALSE, sizeof (Scored));
  const InkValue *probs;
  ImageIO io;

  g_array_set_clear_func (scores, scored_clear);
  if (!find_image_io (model, &io)) {
    ink_error_set (err, INK_ERR_MISSING_INPUT, "the model has no image input");
    g_array_unref (scores);
    ink_value_free (image);
    return NULL;
  }
  if (ink_features_set (inputs, io.image_name, image) != INK_OK ||
      ink_model_predict (model, inputs, &outputs, err) != INK_OK) {
    g_array_unref (scores);
    return NULL;
  }

  probs = probs_name[0] != '\0' ? ink_features_get (outputs, probs_name) : NULL;
  if (probs != NULL && ink_value_get_type (probs) == INK_VALUE_DICTIONARY) {
    for (size_t i = 0; i < ink_value_dictionary_count (probs); i++) {
      Scored s;

      if (ink_value_dictionary_key_type (probs) == INK_KEY_STRING)
        s.label = g_strdup (ink_value_dictionary_string_key (probs, i));
      else
        s.label =
          g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) ink_value_dictionary_int64_key (probs, i));
      s.probability = ink_value_dictionary_value (probs, i);
      g_array_append_val (scores, s);
    }
  } else if (label_name[0] != '\0' && ink_features_get (outputs, label_name) != NULL) {
    const InkValue *label = ink_features_get (outputs, label_name);
    Scored s;

    if (ink_value_get_type (label) == INK_VALUE_STRING)
      s.label = g_strdup (ink_value_get_string (label));
    else
      s.label = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) ink_value_get_int64 (label));
    s.probability = 1.0;
    g_array_append_val (scores, s);
  }
  g_array_sort (scores, scored_compare);
  return scores;
}

/* ---- The emoji map (FORMATS.md, "Sticker labels and their emoji") ---- */

static GHashTable *
emoji_map_from_model (const InkModel *model)
{
  GHashTable *map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *json;
  cJSON *root;
  cJSON *item;

  if (model == NULL)
    return map;
  json = ink_description_user_metadata_lookup (ink_model_get_description (model), EMOJI_KEY);
  if (json == NULL || (root = cJSON_Parse (json)) == NULL)
    return map;
  cJSON_ArrayForEach (item, root)
  {
    if (cJSON_IsString (item) && item->string != NULL)
      g_hash_table_insert (map, g_strdup (item->string), g_strdup (item->valuestring));
  }
  cJSON_Delete (root);
  return map;
}

/* Adds the label → emoji pairs (NULL-terminated, alternating) to a model's
 * map, keeping its other entries. */
static InkStatus
model_add_emoji (InkModel *model, char **pairs, InkError *err)
{
  const char *json;
  cJSON *root = NULL;
  char *text;
  InkStatus st;

  if (pairs == NULL || pairs[0] == NULL)
    return INK_OK;
  json = ink_description_user_metadata_lookup (ink_model_get_description (model), EMOJI_KEY);
  if (json != NULL)
    root = cJSON_Parse (json);
  if (root == NULL || !cJSON_IsObject (root)) {
    cJSON_Delete (root);
    root = cJSON_CreateObject ();
  }
  for (size_t i = 0; pairs[i] != NULL && pairs[i + 1] != NULL; i += 2) {
    if (pairs[i + 1][0] == '\0')
      continue;
    cJSON_DeleteItemFromObjectCaseSensitive (root, pairs[i]);
    cJSON_AddStringToObject (root, pairs[i], pairs[i + 1]);
  }
  text = cJSON_PrintUnformatted (root);
  cJSON_Delete (root);
  if (text == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "cannot write the emoji map");
  st = ink_model_set_user_metadata (model, EMOJI_KEY, text);
  cJSON_free (text);
  if (st != INK_OK)
    return ink_error_set (err, st, "cannot write the emoji map");
  return INK_OK;
}

/* ---- Jobs ---- */

typedef enum {
  JOB_TEACH,
  JOB_REBUILD,
  JOB_RESET,
  JOB_OPEN,
  JOB_EXPORT,
  JOB_TRAIN_IMAGES,
  JOB_HANDOFF,
} JobKind;

typedef struct {
  char *label;
  char *strokes;
  GBytes *raster;
} ExampleData;

typedef struct {
  gint64 id;
  GBytes *data;
  char *user_label;
  /* outputs */
  char *predicted;
  double confidence;
} ImageData;

typedef struct {
  JobKind kind;
  InklingModelManager *self; /* owned */
  GTask *task;               /* owned */
  GCancellable *cancellable; /* owned, may be NULL */

  /* inputs */
  GArray *examples; /* ExampleData */
  char **emoji;     /* label, emoji, ... for the model's map */
  char *path;
  GArray *images; /* ImageData */
  guint epochs;
  double learning_rate;
  ModelRef *image_model;
  const char *history_kind;
  InklingModelHandoff *handoff;

  /* outputs */
  ModelRef *result;
  ModelRef *image_result;
  char *source;
  char *version;     /* the model store's version of a downloaded model */
  char *opened_file; /* the file the base model was opened from */
  gint64 n_examples; /* the user's examples in the result */
  double accuracy_before, accuracy_after;
  char *detail;
  GError *error;
} Job;

static void
example_data_clear (gpointer data)
{
  ExampleData *e = data;

  g_free (e->label);
  g_free (e->strokes);
  g_clear_pointer (&e->raster, g_bytes_unref);
}

static void
image_data_clear (gpointer data)
{
  ImageData *d = data;

  g_clear_pointer (&d->data, g_bytes_unref);
  g_free (d->user_label);
  g_free (d->predicted);
}

static Job *
job_new (InklingModelManager *self, JobKind kind, GCancellable *cancellable,
         GAsyncReadyCallback callback, gpointer user_data, gpointer source_tag)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->self = g_object_ref (self);
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, source_tag);
  job->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  job->examples = g_array_new (FALSE, TRUE, sizeof (ExampleData));
  g_array_set_clear_func (job->examples, example_data_clear);
  job->images = g_array_new (FALSE, TRUE, sizeof (ImageData));
  g_array_set_clear_func (job->images, image_data_clear);
  job->n_examples = -1;
  return job;
}

static void
job_free (Job *job)
{
  g_clear_object (&job->task);
  g_clear_object (&job->cancellable);
  g_array_unref (job->examples);
  g_array_unref (job->images);
  g_strfreev (job->emoji);
  g_free (job->path);
  model_ref_release (job->image_model);
  model_ref_release (job->result);
  model_ref_release (job->image_result);
  g_clear_pointer (&job->handoff, inkling_model_handoff_unref);
  g_free (job->source);
  g_free (job->version);
  g_free (job->opened_file);
  g_free (job->detail);
  g_clear_error (&job->error);
  g_clear_object (&job->self);
  g_free (job);
}

/* Every example of every sticker in the store, and the stickers' emoji. */
static void
job_add_store_examples (Job *job, InklingStore *store)
{
  GListModel *stickers = inkling_store_get_stickers (store);
  GPtrArray *emoji = g_ptr_array_new ();

  for (guint i = 0; i < g_list_model_get_n_items (stickers); i++) {
    g_autoptr (InklingSticker) sticker = g_list_model_get_item (stickers, i);
    GListModel *examples = inkling_sticker_get_examples (sticker);

    g_ptr_array_add (emoji, g_strdup (inkling_sticker_get_label (sticker)));
    g_ptr_array_add (emoji, g_strdup (inkling_sticker_get_emoji (sticker)));
    for (guint j = 0; j < g_list_model_get_n_items (examples); j++) {
      g_autoptr (InklingExample) example = g_list_model_get_item (examples, j);
      ExampleData e = {
        .label = g_strdup (inkling_sticker_get_label (sticker)),
        .strokes = g_strdup (inkling_example_get_strokes (example)),
        .raster = g_bytes_ref (inkling_example_get_raster (example)),
      };

      g_array_append_val (job->examples, e);
    }
  }
  g_ptr_array_add (emoji, NULL);
  g_strfreev (job->emoji);
  job->emoji = (char **) g_ptr_array_free (emoji, FALSE);
}

/* ---- Progress, from engine threads to the main context ---- */

typedef struct {
  InklingModelManager *self;
  double fraction, loss;
  int epoch;
} Progress;

static gboolean
progress_on_main (gpointer data)
{
  Progress *p = data;

  INKLING_TSAN_ACQUIRE (p);
  g_signal_emit (p->self, signals[PROGRESS], 0, p->fraction, p->loss, p->epoch);
  return G_SOURCE_REMOVE;
}

static void
progress_free (gpointer data)
{
  Progress *p = data;

  INKLING_TSAN_ACQUIRE (p);
  g_object_unref (p->self);
  g_free (p);
}

static void
post_progress (InklingModelManager *self, double fraction, double loss, int epoch)
{
  Progress *p = g_new0 (Progress, 1);

  p->self = g_object_ref (self);
  p->fraction = CLAMP (fraction, 0.0, 1.0);
  p->loss = loss;
  p->epoch = epoch;
  INKLING_TSAN_RELEASE (p);
  hand_over_to_main (self->context, G_PRIORITY_DEFAULT, progress_on_main, p, progress_free);
}

static void
update_progress (InkUpdateTask *task, InkUpdateEvent event, const InkUpdateMetrics *m,
                 void *user_data)
{
  Job *job = user_data;
  double total, done;

  if (event == INK_EVENT_TRAINING_BEGIN) {
    post_progress (job->self, 0.0, NAN, 0);
    return;
  }
  total = (double) MAX (m->epochs, 1) * (double) MAX (m->mini_batches, 1);
  if (event == INK_EVENT_EPOCH_END)
    done = (double) (m->epoch + 1) * (double) MAX (m->mini_batches, 1);
  else
    done = (double) m->epoch * (double) MAX (m->mini_batches, 1) + (double) (m->mini_batch + 1);
  post_progress (job->self, done / total, m->loss, (int) m->epoch);
}

static void
cancel_update_task (GCancellable *cancellable, gpointer user_data)
{
  ink_update_task_cancel (user_data);
}

/* Runs an update task on model with examples, reporting progress; the new
 * model, or NULL with error set (G_IO_ERROR_CANCELLED when cancelled). */
static InkModel *
run_update (Job *job, const InkModel *model, const InkBatch *batch, const InkUpdateConfig *config,
            const char *what, GError **error)
{
  InkUpdateTask *task;
  InkTaskState state;
  InkModel *result = NULL;
  gulong handler = 0;
  InkError err;

  ink_error_clear (&err);
  task =
    ink_update_task_new (model, batch, config, INK_EVENT_ALL, update_progress, NULL, job, &err);
  if (task == NULL) {
    set_error_from_engine (error, what, &err);
    return NULL;
  }
  if (job->cancellable != NULL)
    handler = g_cancellable_connect (job->cancellable, G_CALLBACK (cancel_update_task), task, NULL);
  if (ink_update_task_resume (task, &err) != INK_OK) {
    set_error_from_engine (error, what, &err);
    state = INK_TASK_FAILED;
  } else {
    state = ink_update_task_wait (task);
  }
  if (handler != 0)
    g_cancellable_disconnect (job->cancellable, handler);

  if (state == INK_TASK_COMPLETED) {
    result = ink_update_task_take_model (task);
  } else if (state == INK_TASK_CANCELLED) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", what);
  } else if (error == NULL || *error == NULL) {
    ink_update_task_get_error (task, &err);
    set_error_from_engine (error, what, &err);
  }
  ink_update_task_free (task);
  return result;
}

/* The examples as training features of model: the stored raster when the
 * model takes 28x28 images, else the strokes rendered at its size. */
static InkBatch *
make_drawing_batch (const InkModel *model, GArray *examples, GError **error)
{
  g_autoptr (InkBatch) batch = ink_batch_new ();
  ImageIO io;

  if (!find_image_io (model, &io) || io.label_name == NULL) {
    g_set_error (error, INKLING_MODEL_MANAGER_ERROR, INKLING_MODEL_MANAGER_ERROR_UNSUITABLE,
                 "The model cannot learn new drawings: it has no image input or is not "
                 "updatable");
    return NULL;
  }
  for (guint i = 0; i < examples->len; i++) {
    ExampleData *e = &g_array_index (examples, ExampleData, i);
    g_autoptr (InkFeatures) features = ink_features_new ();
    InkValue *image = NULL;
    InkError err;

    ink_error_clear (&err);
    if (io.width == INKLING_EXAMPLE_RASTER_SIZE && io.height == INKLING_EXAMPLE_RASTER_SIZE) {
      image = ink_value_new_image (INK_PIXEL_GRAY8, INKLING_EXAMPLE_RASTER_SIZE,
                                   INKLING_EXAMPLE_RASTER_SIZE, INKLING_EXAMPLE_RASTER_SIZE,
                                   g_bytes_get_data (e->raster, NULL));
    } else {
      InkDrawing *drawing = NULL;

      if (ink_drawing_from_json (e->strokes, strlen (e->strokes), &drawing, &err) == INK_OK)
        ink_drawing_render_image (drawing, NULL, MAX (io.width, 1), MAX (io.height, 1), &image,
                                  &err);
      ink_drawing_free (drawing);
    }
    if (image == NULL) {
      set_error_from_engine (error, "Cannot prepare a drawing", &err);
      return NULL;
    }
    if (ink_features_set (features, io.image_name, image) != INK_OK ||
        ink_features_set_string (features, io.label_name, e->label) != INK_OK ||
        ink_batch_append (batch, g_steal_pointer (&features)) != INK_OK) {
      g_set_error (error, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_NO_MEMORY,
                   "Cannot prepare a drawing: out of memory");
      return NULL;
    }
  }
  return g_steal_pointer (&batch);
}

/* The user's examples in a personalized model: its provenance count less
 * its base's, as recorded by apply_examples (none recorded: the base had
 * none). */
static gint64
count_personal_examples (const InkModel *personal)
{
  const char *recorded = ink_description_user_metadata_lookup (ink_model_get_description (personal),
                                                               PERSONAL_BASE_EXAMPLES_KEY);
  InkProvenance p;
  gint64 base = 0;

  if (!ink_model_get_provenance (personal, &p))
    return 0;
  if (recorded != NULL && !g_ascii_string_to_signed (recorded, 10, 0, G_MAXINT64, &base, NULL))
    base = 0;
  return MAX (p.examples - base, 0);
}

/* A k-NN update of a copy of model, which holds n_before of the user's
 * examples (0: a base model), with the job's examples and emoji; sets
 * job->n_examples to the user's examples in the result. */
static InkModel *
apply_examples (Job *job, const InkModel *model, gint64 n_before, GError **error)
{
  g_autoptr (InkBatch) batch = NULL;
  g_autoptr (InkModel) updated = NULL;
  InkProvenance p;
  char base[32];
  InkStatus st;
  InkError err;

  batch = make_drawing_batch (model, job->examples, error);
  if (batch == NULL)
    return NULL;
  updated = run_update (job, model, batch, NULL, "Cannot learn the drawings", error);
  if (updated == NULL)
    return NULL;
  ink_error_clear (&err);
  if (model_add_emoji (updated, job->emoji, &err) != INK_OK) {
    set_error_from_engine (error, "Cannot learn the drawings", &err);
    return NULL;
  }
  /* What the base brought to the provenance count is the rest of it. */
  job->n_examples = n_before + (gint64) job->examples->len;
  ink_model_get_provenance (updated, &p);
  g_snprintf (base, sizeof base, "%" G_GINT64_FORMAT, MAX (p.examples - job->n_examples, 0));
  st = ink_model_set_user_metadata (updated, PERSONAL_BASE_EXAMPLES_KEY, base);
  if (st != INK_OK) {
    ink_error_set (&err, st, "cannot record the base model's examples");
    set_error_from_engine (error, "Cannot learn the drawings", &err);
    return NULL;
  }
  return g_steal_pointer (&updated);
}

/* The "model-source" of a model loaded from the model store's entry. */
static const char *
source_of_entry (const InkModelStoreEntry *entry, gboolean personalized)
{
  if (personalized)
    return INKLING_MODEL_SOURCE_PERSONALIZED;
  if (entry->source == INK_MODEL_SOURCE_BUNDLED)
    return INKLING_MODEL_SOURCE_BUNDLED;
  return entry->origin == INK_MODEL_ORIGIN_FILE ? INKLING_MODEL_SOURCE_OPENED
                                                : INKLING_MODEL_SOURCE_DOWNLOADED;
}

/* The file an entry's model was opened from (its url, a file: URI), or
 * NULL. */
static char *
opened_file_of_entry (const InkModelStoreEntry *entry)
{
  if (entry->source != INK_MODEL_SOURCE_DOWNLOADED || entry->origin != INK_MODEL_ORIGIN_FILE ||
      entry->url == NULL)
    return NULL;
  return g_filename_from_uri (entry->url, NULL, NULL);
}

static void
job_set_source (Job *job, gboolean personalized)
{
  InkModelStoreEntry entry;

  ink_model_store_get_active (job->self->model_store, &entry);
  g_free (job->source);
  job->source = g_strdup (source_of_entry (&entry, personalized));
  g_free (job->version);
  job->version = entry.source == INK_MODEL_SOURCE_DOWNLOADED ? g_strdup (entry.version) : NULL;
  g_free (job->opened_file);
  job->opened_file = opened_file_of_entry (&entry);
}

static void
publish_latest (Job *job, InkModel *model)
{
  InklingModelManager *self = job->self;

  job->result = model_ref_new (model);
  job->result->n_examples = job->n_examples;
  job->result->version = g_strdup (job->version);
  job->result->opened_file = g_strdup (job->opened_file);
  g_mutex_lock (&self->lock);
  INKLING_TSAN_ACQUIRE (&self->lock);
  model_ref_release (self->latest);
  self->latest = model_ref_acquire (job->result);
  INKLING_TSAN_RELEASE (&self->lock);
  g_mutex_unlock (&self->lock);
}

/* Base model + the job's examples (or the base alone when there are none),
 * saved as the personalized model (or the personalized one cleared). */
static gboolean
rebuild (Job *job, GError **error)
{
  InklingModelManager *self = job->self;
  g_autoptr (InkModel) base = NULL;
  g_autoptr (InkModel) personal = NULL;
  InkModelStoreLoad info;
  InkError err;

  ink_error_clear (&err);
  base = ink_model_store_load (self->model_store, INK_MODEL_STORE_LOAD_BASE, &info, &err);
  if (base == NULL) {
    set_error_from_engine (error, "Cannot load the base model", &err);
    return FALSE;
  }
  if (job->examples->len == 0) {
    if (ink_model_store_clear_personalized (self->model_store, &err) != INK_OK) {
      set_error_from_engine (error, "Cannot remove the personalized model", &err);
      return FALSE;
    }
    job->n_examples = 0;
    job_set_source (job, FALSE);
    publish_latest (job, g_steal_pointer (&base));
    return TRUE;
  }

  personal = apply_examples (job, base, 0, error);
  if (personal == NULL)
    return FALSE;
  if (ink_model_store_save_personalized (self->model_store, personal, &err) != INK_OK) {
    set_error_from_engine (error, "Cannot save the personalized model", &err);
    return FALSE;
  }
  job_set_source (job, TRUE);
  publish_latest (job, g_steal_pointer (&personal));
  return TRUE;
}

static gboolean
teach (Job *job, GError **error)
{
  InklingModelManager *self = job->self;
  g_autoptr (ModelRef) current = NULL;
  g_autoptr (InkModel) personal = NULL;
  InkError err;

  g_mutex_lock (&self->lock);
  INKLING_TSAN_ACQUIRE (&self->lock);
  current = model_ref_acquire (self->latest);
  INKLING_TSAN_RELEASE (&self->lock);
  g_mutex_unlock (&self->lock);
  if (current == NULL) {
    g_set_error (error, INKLING_MODEL_MANAGER_ERROR, INKLING_MODEL_MANAGER_ERROR_NO_MODEL,
                 "There is no model to teach");
    return FALSE;
  }

  personal = apply_examples (job, current->model, current->n_examples, error);
  if (personal == NULL)
    return FALSE;
  ink_error_clear (&err);
  if (ink_model_store_save_personalized (self->model_store, personal, &err) != INK_OK) {
    set_error_from_engine (error, "Cannot save the personalized model", &err);
    return FALSE;
  }
  job_set_source (job, TRUE);
  publish_latest (job, g_steal_pointer (&personal));
  return TRUE;
}

static gboolean
open_model (Job *job, GError **error)
{
  InklingModelManager *self = job->self;
  g_autoptr (InkModel) model = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *id = NULL;
  g_autofree char *uri = NULL;
  const InkModelDescription *d;
  InkModelStoreEntry entry = {0};
  InkMetadata meta;
  ImageIO io;
  InkError err;

  ink_error_clear (&err);
  model = load_model_file (job->path, &err);
  if (model == NULL) {
    set_error_from_engine (error, "Cannot open the model", &err);
    return FALSE;
  }
  d = ink_model_get_description (model);
  if (!find_image_io (model, &io) || ink_description_predicted_feature_name (d)[0] == '\0') {
    g_set_error (error, INKLING_MODEL_MANAGER_ERROR, INKLING_MODEL_MANAGER_ERROR_UNSUITABLE,
                 "Cannot open the model: %s is not a classifier with an image input", job->path);
    return FALSE;
  }

  stem = g_path_get_basename (job->path);
  if (strrchr (stem, '.') != NULL)
    *strrchr (stem, '.') = '\0';
  id = g_strconcat ("file-", stem, NULL);
  uri = g_filename_to_uri (job->path, NULL, NULL);
  meta = ink_description_metadata (d);
  entry.id = id;
  entry.version = meta.version[0] != '\0' ? meta.version : NULL;
  entry.url = uri;
  entry.origin = INK_MODEL_ORIGIN_FILE;
  if (ink_model_store_install (self->model_store, &entry, model, NULL, &err) != INK_OK) {
    set_error_from_engine (error, "Cannot install the model", &err);
    return FALSE;
  }
  if (io.label_name == NULL || !ink_description_is_updatable (d))
    g_array_set_size (job->examples, 0); /* it cannot learn: it runs as it is */
  return rebuild (job, error);
}

static gboolean
reset (Job *job, GError **error)
{
  g_array_set_size (job->examples, 0);
  return rebuild (job, error);
}

static gboolean
export_model (Job *job, GError **error)
{
  InklingModelManager *self = job->self;
  g_autoptr (ModelRef) current = NULL;
  InkStatus st;
  InkError err;

  g_mutex_lock (&self->lock);
  INKLING_TSAN_ACQUIRE (&self->lock);
  current = model_ref_acquire (self->latest);
  INKLING_TSAN_RELEASE (&self->lock);
  g_mutex_unlock (&self->lock);
  if (current == NULL) {
    g_set_error (error, INKLING_MODEL_MANAGER_ERROR, INKLING_MODEL_MANAGER_ERROR_NO_MODEL,
                 "There is no model to export");
    return FALSE;
  }
  ink_error_clear (&err);
  if (g_str_has_suffix (job->path, ".mlmodel"))
    st = ink_coreml_export (current->model, job->path, &err);
  else
    st = ink_model_save (current->model, job->path, &err);
  if (st != INK_OK) {
    set_error_from_engine (error, "Cannot export the model", &err);
    return FALSE;
  }
  return TRUE;
}

/* Predicts every image; returns the accuracy over those with a user label
 * (-1 when none), recording the predictions when record is set. */
static double
predict_images (const InkModel *model, GArray *images, gboolean record)
{
  guint labelled = 0, right = 0;

  for (guint i = 0; i < images->len; i++) {
    ImageData *d = &g_array_index (images, ImageData, i);
    InkValue *image = NULL;
    g_autoptr (GArray) scores = NULL;
    const char *best = NULL;
    InkError err;

    ink_error_clear (&err);
    if (ink_image_load_memory (g_bytes_get_data (d->data, NULL), g_bytes_get_size (d->data), &image,
                               &err) == INK_OK)
      scores = classify (model, image, &err);
    if (scores != NULL && scores->len > 0)
      best = g_array_index (scores, Scored, 0).label;
    if (record) {
      g_free (d->predicted);
      d->predicted = g_strdup (best);
      d->confidence = best != NULL ? g_array_index (scores, Scored, 0).probability : 0;
    }
    if (d->user_label != NULL) {
      labelled++;
      if (g_strcmp0 (best, d->user_label) == 0)
        right++;
    }
  }
  return labelled > 0 ? (double) right / labelled : -1;
}

static gboolean
train_images (Job *job, GError **error)
{
  InklingModelManager *self = job->self;
  g_autoptr (InkBatch) batch = ink_batch_new ();
  g_autoptr (InkModel) trained = NULL;
  g_autofree char *path = NULL;
  InkUpdateConfig *config;
  const InkModel *model = job->image_model->model;
  ImageIO io;
  InkError err;

  if (!find_image_io (model, &io) || io.label_name == NULL) {
    g_set_error (error, INKLING_MODEL_MANAGER_ERROR, INKLING_MODEL_MANAGER_ERROR_UNSUITABLE,
                 "The image classifier cannot be trained");
    return FALSE;
  }
  for (guint i = 0; i < job->images->len; i++) {
    ImageData *d = &g_array_index (job->images, ImageData, i);
    g_autoptr (InkFeatures) features = NULL;
    InkValue *image = NULL;

    if (d->user_label == NULL)
      continue;
    ink_error_clear (&err);
    if (ink_image_load_memory (g_bytes_get_data (d->data, NULL), g_bytes_get_size (d->data), &image,
                               &err) != INK_OK)
      continue; /* an image that does not decode teaches nothing */
    features = ink_features_new ();
    ink_features_set (features, io.image_name, image);
    ink_features_set_string (features, io.label_name, d->user_label);
    ink_batch_append (batch, g_steal_pointer (&features));
  }
  if (ink_batch_count (batch) == 0) {
    g_set_error (error, INKLING_MODEL_MANAGER_ERROR, INKLING_MODEL_MANAGER_ERROR_NO_EXAMPLES,
                 "Label some images first: training learns from the labels you set");
    return FALSE;
  }

  job->accuracy_before = predict_images (model, job->images, FALSE);

  config = ink_update_config_new ();
  ink_error_clear (&err);
  if ((job->epochs > 0 &&
       ink_update_config_set_parameter (config, INK_PARAM_EPOCHS, job->epochs, &err) != INK_OK) ||
      (job->learning_rate > 0 &&
       ink_update_config_set_parameter (config, INK_PARAM_LEARNING_RATE, job->learning_rate,
                                        &err) != INK_OK)) {
    ink_update_config_free (config);
    set_error_from_engine (error, "Cannot train the image classifier", &err);
    return FALSE;
  }
  trained = run_update (job, model, batch, config, "Cannot train the image classifier", error);
  ink_update_config_free (config);
  if (trained == NULL)
    return FALSE;

  path = g_build_filename (self->models_dir, IMAGE_PERSONAL_NAME, NULL);
  if (g_mkdir_with_parents (self->models_dir, 0700) != 0 ||
      ink_model_save (trained, path, &err) != INK_OK) {
    if (err.status == INK_OK)
      ink_error_set (&err, INK_ERR_IO, "cannot make %s", self->models_dir);
    set_error_from_engine (error, "Cannot save the trained image classifier", &err);
    return FALSE;
  }
  job->accuracy_after = predict_images (trained, job->images, TRUE);
  job->n_examples = (gint64) ink_batch_count (batch);
  job->image_result = model_ref_new (g_steal_pointer (&trained));
  return TRUE;
}

/* ---- Hand-over from the updater (inkling_model_manager_new_handoff) ---- */

struct _InklingModelHandoff {
  InklingModelManager *self; /* owned */
  const char *history_kind;  /* static */
  GMutex lock;
  GCond cond;

  /* Guarded by lock */
  const InkModel *base; /* the waiting personalize's, borrowed */
  InkModel *personal;   /* the job's answer (NULL: no examples) */
  GError *error;        /* or why it has none */
  gboolean asked;       /* personalize was called */
  gboolean applying;    /* the job is using base */
  gboolean answered;    /* personal or error is set */
  gboolean done;        /* the operation returned */
  gboolean switched;    /* ... and changed the store's active model */
  gboolean cancelled;
};

static void
handoff_lock (InklingModelHandoff *h)
{
  g_mutex_lock (&h->lock);
  INKLING_TSAN_ACQUIRE (&h->lock);
}

static void
handoff_unlock (InklingModelHandoff *h)
{
  INKLING_TSAN_RELEASE (&h->lock);
  g_mutex_unlock (&h->lock);
}

static void
handoff_wait (InklingModelHandoff *h)
{
  INKLING_TSAN_RELEASE (&h->lock);
  g_cond_wait (&h->cond, &h->lock);
  INKLING_TSAN_ACQUIRE (&h->lock);
}

/* On the worker: answers personalize, holds the worker until the
 * operation returned, then loads the store's new active model. */
static gboolean
handoff_run (Job *job, GError **error)
{
  InklingModelHandoff *h = job->handoff;
  InklingModelManager *self = job->self;
  g_autoptr (InkModel) personal = NULL;
  g_autoptr (InkModel) model = NULL;
  GError *apply_error = NULL;
  InkModelStoreLoad info;
  gboolean switched;
  InkError err;

  handoff_lock (h);
  if (h->base != NULL && !h->answered) {
    const InkModel *base = h->base;

    h->applying = TRUE;
    handoff_unlock (h);
    if (job->examples->len > 0)
      personal = apply_examples (job, base, 0, &apply_error);
    handoff_lock (h);
    h->applying = FALSE;
    h->personal = g_steal_pointer (&personal);
    h->error = apply_error;
    h->answered = TRUE;
    g_cond_broadcast (&h->cond);
  }
  while (!h->done)
    handoff_wait (h);
  switched = h->switched;
  handoff_unlock (h);

  if (!switched) {
    job->history_kind = NULL; /* nothing changed */
    return TRUE;
  }
  if (self->model_store == NULL) {
    g_set_error (error, INKLING_MODEL_MANAGER_ERROR, INKLING_MODEL_MANAGER_ERROR_NO_MODEL,
                 "The model folder is not open");
    return FALSE;
  }
  ink_error_clear (&err);
  model = ink_model_store_load (self->model_store, 0, &info, &err);
  if (model == NULL) {
    set_error_from_engine (error, "Cannot load the new model", &err);
    return FALSE;
  }
  job->n_examples = info.personalized ? count_personal_examples (model) : 0;
  job_set_source (job, info.personalized);
  publish_latest (job, g_steal_pointer (&model));
  return TRUE;
}

static void job_complete_on_main_free (gpointer data);
static gboolean job_complete_on_main (gpointer data);

static void
worker_run (gpointer data, gpointer user_data)
{
  Job *job = data;
  GMainContext *context;
  gboolean ok = FALSE;

  INKLING_TSAN_ACQUIRE (job);

  if (job->cancellable != NULL &&
      g_cancellable_set_error_if_cancelled (job->cancellable, &job->error)) {
    ok = FALSE;
  } else {
    switch (job->kind) {
    case JOB_TEACH: ok = teach (job, &job->error); break;
    case JOB_REBUILD: ok = rebuild (job, &job->error); break;
    case JOB_RESET: ok = reset (job, &job->error); break;
    case JOB_OPEN: ok = open_model (job, &job->error); break;
    case JOB_EXPORT: ok = export_model (job, &job->error); break;
    case JOB_TRAIN_IMAGES: ok = train_images (job, &job->error); break;
    case JOB_HANDOFF: ok = handoff_run (job, &job->error); break;
    }
  }
  g_assert (ok == (job->error == NULL));
  context = job->self->context; /* job is the main context's once handed over */
  INKLING_TSAN_RELEASE (job);
  hand_over_to_main (context, G_PRIORITY_DEFAULT, job_complete_on_main, job,
                     job_complete_on_main_free);
}

static void
job_complete_on_main_free (gpointer data)
{
  Job *job = data;

  INKLING_TSAN_ACQUIRE (job);
  job_free (job);
}

static void
queue_job (InklingModelManager *self, Job *job)
{
  busy_push (self);
  INKLING_TSAN_RELEASE (job);
  g_thread_pool_push (self->worker, job, NULL);
}

/* ---- Switching models on the main thread ---- */

static void
update_model_info (InklingModelManager *self, const char *source, gint64 n_examples)
{
  const InkModel *model = self->live != NULL ? self->live->model : NULL;
  InkMetadata meta = {0};
  InkProvenance prov = {0};

  if (model != NULL) {
    meta = ink_description_metadata (ink_model_get_description (model));
    ink_model_get_provenance (model, &prov);
  }
  g_object_freeze_notify (G_OBJECT (self));
  set_string_property (self, &self->model_name,
                       meta.short_description != NULL && meta.short_description[0] != '\0'
                         ? meta.short_description
                         : "Drawing classifier",
                       PROP_MODEL_NAME);
  set_string_property (self, &self->model_version,
                       self->live != NULL && self->live->version != NULL ? self->live->version
                                                                         : meta.version,
                       PROP_MODEL_VERSION);
  if (source != NULL)
    set_string_property (self, &self->model_source, source, PROP_MODEL_SOURCE);
  set_string_property (self, &self->opened_file,
                       self->live != NULL ? self->live->opened_file : NULL, PROP_OPENED_FILE);
  set_string_property (self, &self->base_version, prov.base_version, PROP_BASE_VERSION);
  set_string_property (self, &self->updated_at, prov.updated_at, PROP_UPDATED_AT);
  if (n_examples >= 0 && n_examples != self->n_examples) {
    self->n_examples = n_examples;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_EXAMPLES]);
  }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
switch_live (InklingModelManager *self, ModelRef *ref, const char *source, gint64 n_examples)
{
  model_ref_release (self->live);
  self->live = model_ref_acquire (ref);
  g_clear_pointer (&self->emoji, g_hash_table_unref);
  self->emoji = emoji_map_from_model (ref != NULL ? ref->model : NULL);
  /* Predictions still running were asked of the old model. */
  g_atomic_int_inc (&self->predict_generation);
  update_model_info (self, source, n_examples);
  g_signal_emit (self, signals[MODEL_CHANGED], 0);
}

static char **
labels_of_image_model (const InkModel *model)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GArray) scores = NULL;
  InkValue *blank;
  ImageIO io;

  if (model == NULL || !find_image_io (model, &io))
    return g_strv_builder_end (builder);
  blank = ink_value_new_image (INK_PIXEL_GRAY8, MAX (io.width, 1), MAX (io.height, 1),
                               (size_t) MAX (io.width, 1), NULL);
  if (blank != NULL)
    scores = classify (model, blank, NULL);
  if (scores != NULL)
    g_array_sort (scores, scored_compare_labels);
  for (guint i = 0; scores != NULL && i < scores->len; i++)
    g_strv_builder_add (builder, g_array_index (scores, Scored, i).label);
  return g_strv_builder_end (builder);
}

static void
switch_image_model (InklingModelManager *self, ModelRef *ref)
{
  model_ref_release (self->image_live);
  self->image_live = model_ref_acquire (ref);
  g_strfreev (self->image_labels);
  self->image_labels = labels_of_image_model (ref != NULL ? ref->model : NULL);
  g_signal_emit (self, signals[IMAGE_MODEL_CHANGED], 0);
}

static const char *
model_version_of (ModelRef *ref)
{
  if (ref == NULL)
    return "";
  if (ref->version != NULL)
    return ref->version;
  return ink_description_metadata (ink_model_get_description (ref->model)).version;
}

static void
record_history (InklingModelManager *self, Job *job, gint64 examples, const char *version)
{
  g_autofree char *result = NULL;
  g_autoptr (GError) error = NULL;

  if (self->store == NULL || job->history_kind == NULL)
    return;
  if (job->error == NULL)
    result =
      job->detail != NULL ? g_strdup_printf ("completed: %s", job->detail) : g_strdup ("completed");
  else if (g_error_matches (job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    result = g_strdup ("cancelled");
  else
    result = g_strdup_printf ("failed: %s", job->error->message);
  if (inkling_store_add_history (self->store, job->history_kind, examples, version, result,
                                 &error) == NULL)
    g_warning ("%s", error->message);
}

static gboolean
job_complete_on_main (gpointer data)
{
  Job *job = data;
  InklingModelManager *self = job->self;

  INKLING_TSAN_ACQUIRE (job);

  if (job->result != NULL)
    switch_live (self, job->result, job->source, job->n_examples);

  if (job->kind == JOB_TRAIN_IMAGES && job->error == NULL) {
    switch_image_model (self, job->image_result);
    if (self->store != NULL) {
      GListModel *images = inkling_store_get_images (self->store);

      for (guint i = 0; i < job->images->len; i++) {
        ImageData *d = &g_array_index (job->images, ImageData, i);

        for (guint j = 0; j < g_list_model_get_n_items (images); j++) {
          g_autoptr (InklingImageItem) item = g_list_model_get_item (images, j);
          g_autoptr (GError) error = NULL;

          if (inkling_image_item_get_id (item) == d->id &&
              !inkling_store_set_image_prediction (self->store, item, d->predicted, d->confidence,
                                                   &error))
            g_warning ("%s", error->message);
        }
      }
    }
    if (job->accuracy_before >= 0)
      job->detail = g_strdup_printf ("accuracy %.0f%% → %.0f%%", job->accuracy_before * 100,
                                     job->accuracy_after * 100);
    record_history (self, job, job->n_examples, model_version_of (job->image_result));
  } else if (job->kind != JOB_EXPORT) {
    record_history (self, job, job->n_examples >= 0 ? job->n_examples : (gint64) job->examples->len,
                    model_version_of (job->result));
  }

  /* Errors go to the caller's finish; the rebuild start() queued has none. */
  if (job->error != NULL && g_task_get_source_tag (job->task) == inkling_model_manager_start)
    emit_message (self, "Your drawings could not be applied to the model: %s", job->error->message);
  else if (job->error != NULL && job->kind == JOB_HANDOFF)
    emit_message (self, "%s", job->error->message);

  if (job->kind == JOB_TRAIN_IMAGES && job->error == NULL) {
    double *accuracy = g_new (double, 2);

    accuracy[0] = job->accuracy_before;
    accuracy[1] = job->accuracy_after;
    g_task_set_task_data (job->task, accuracy, g_free);
  }
  busy_pop (self);
  if (job->error != NULL)
    g_task_return_error (job->task, g_steal_pointer (&job->error));
  else
    g_task_return_boolean (job->task, TRUE);
  return G_SOURCE_REMOVE;
}

/* ---- Construction and start ---- */

InklingModelManager *
inkling_model_manager_new (InklingStore *store, const char *models_dir,
                           const char *bundled_model_path, const char *image_model_path)
{
  InklingModelManager *self;

  g_return_val_if_fail (store == NULL || INKLING_IS_STORE (store), NULL);

  self = g_object_new (INKLING_TYPE_MODEL_MANAGER, "store", store, NULL);
  if (models_dir != NULL) {
    self->models_dir = g_strdup (models_dir);
  } else {
    char *dir = ink_model_store_default_dir (INKLING_APP_ID);

    self->models_dir =
      dir != NULL ? g_strdup (dir)
                  : g_build_filename (g_get_user_data_dir (), INKLING_APP_ID, "models", NULL);
    free (dir);
  }
  if (bundled_model_path == NULL) {
    bundled_model_path = g_getenv ("INKLING_BUNDLED_MODEL");
    if (bundled_model_path == NULL || bundled_model_path[0] == '\0')
      bundled_model_path = INKLING_BUNDLED_MODEL_PATH;
  }
  self->bundled_path = g_strdup (bundled_model_path);
  if (image_model_path == NULL) {
    image_model_path = g_getenv ("INKLING_IMAGE_MODEL");
    if (image_model_path == NULL || image_model_path[0] == '\0')
      image_model_path = INKLING_IMAGE_MODEL_PATH;
  }
  self->image_path = g_strdup (image_model_path);
  return self;
}

static void
start_image_model (InklingModelManager *self)
{
  g_autofree char *personal_path = g_build_filename (self->models_dir, IMAGE_PERSONAL_NAME, NULL);
  InkModel *model = NULL;
  InkError err;

  ink_error_clear (&err);
  if (g_file_test (personal_path, G_FILE_TEST_EXISTS)) {
    model = ink_model_load (personal_path, &err);
    if (model == NULL)
      emit_message (self,
                    "Your trained image classifier could not be loaded (%s); the original one "
                    "runs instead",
                    err.message);
  }
  if (model == NULL) {
    ink_error_clear (&err);
    model = load_model_file (self->image_path, &err);
    if (model == NULL)
      emit_message (self, "The image classifier could not be loaded: %s", err.message);
  }
  if (model != NULL) {
    g_autoptr (ModelRef) ref = model_ref_new (model);

    switch_image_model (self, ref);
  }
}

gboolean
inkling_model_manager_start (InklingModelManager *self, GError **error)
{
  g_autoptr (InkModel) model = NULL;
  g_autoptr (ModelRef) ref = NULL;
  InkModelStoreLoad info;
  guint stored = 0;
  gint64 personal_examples;
  gboolean must_rebuild = FALSE;
  InkError err;

  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), FALSE);
  g_return_val_if_fail (self->model_store == NULL, FALSE);

  ink_error_clear (&err);
  self->model_store = ink_model_store_open (self->models_dir, self->bundled_path, &err);
  if (self->model_store == NULL) {
    set_error_from_engine (error, "Cannot open the model folder", &err);
    return FALSE;
  }
  if (ink_model_store_get_problem (self->model_store)[0] != '\0')
    emit_message (self, "%s; the bundled model runs instead",
                  ink_model_store_get_problem (self->model_store));

  model = ink_model_store_load (self->model_store, 0, &info, &err);
  if (model == NULL) {
    g_autoptr (GError) engine_error = NULL;

    inkling_set_engine_error (&engine_error, &err);
    g_set_error (error, INKLING_MODEL_MANAGER_ERROR, INKLING_MODEL_MANAGER_ERROR_NO_MODEL,
                 "No drawing model could be loaded: %s", engine_error->message);
    start_image_model (self);
    return FALSE;
  }

  personal_examples = info.personalized ? count_personal_examples (model) : 0;
  if (self->store != NULL)
    stored = inkling_store_count_examples (self->store);

  if (stored > 0 && !info.personalized) {
    must_rebuild = TRUE;
    emit_message (self,
                  "The personalized model could not be used (%s): it is being rebuilt from your "
                  "%u drawings",
                  info.reason[0] != '\0' ? info.reason : "it is missing", stored);
  } else if (stored > 0 && personal_examples != (gint64) stored) {
    must_rebuild = TRUE;
    emit_message (
      self, "The personalized model did not match your %u drawings: it is being rebuilt", stored);
  } else if (info.fell_back && info.reason[0] != '\0') {
    emit_message (self, "%s", info.reason);
  }

  ref = model_ref_new (g_steal_pointer (&model));
  ref->n_examples = personal_examples;
  if (info.entry.source == INK_MODEL_SOURCE_DOWNLOADED)
    ref->version = g_strdup (info.entry.version);
  ref->opened_file = opened_file_of_entry (&info.entry);
  g_mutex_lock (&self->lock);
  INKLING_TSAN_ACQUIRE (&self->lock);
  self->latest = model_ref_acquire (ref);
  INKLING_TSAN_RELEASE (&self->lock);
  g_mutex_unlock (&self->lock);
  switch_live (self, ref, source_of_entry (&info.entry, info.personalized), personal_examples);

  start_image_model (self);

  if (must_rebuild) {
    Job *job = job_new (self, JOB_REBUILD, NULL, NULL, NULL, inkling_model_manager_start);

    job->history_kind = INKLING_UPDATE_KIND_REBUILD;
    job_add_store_examples (job, self->store);
    queue_job (self, job);
  }
  return TRUE;
}

InklingStore *
inkling_model_manager_get_store (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->store;
}

const InkModel *
inkling_model_manager_get_model (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->live != NULL ? self->live->model : NULL;
}

const char *
inkling_model_manager_get_model_name (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->model_name;
}

const char *
inkling_model_manager_get_model_version (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->model_version;
}

const char *
inkling_model_manager_get_model_source (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->model_source;
}

const char *
inkling_model_manager_get_base_version (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->base_version;
}

gint64
inkling_model_manager_get_n_examples (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), 0);

  return self->n_examples;
}

const char *
inkling_model_manager_get_opened_file (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->opened_file;
}

const char *
inkling_model_manager_get_updated_at (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->updated_at;
}

gboolean
inkling_model_manager_get_busy (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), FALSE);

  return self->busy > 0;
}

char *
inkling_model_manager_dup_emoji (InklingModelManager *self, const char *label)
{
  InklingSticker *sticker;
  const char *emoji;

  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);
  g_return_val_if_fail (label != NULL, NULL);

  if (self->store != NULL &&
      (sticker = inkling_store_find_sticker_by_label (self->store, label)) != NULL &&
      inkling_sticker_get_emoji (sticker)[0] != '\0')
    return g_strdup (inkling_sticker_get_emoji (sticker));
  emoji = self->emoji != NULL ? g_hash_table_lookup (self->emoji, label) : NULL;
  return emoji != NULL && emoji[0] != '\0' ? g_strdup (emoji) : NULL;
}

static int
compare_strings (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

char **
inkling_model_manager_dup_labels (InklingModelManager *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree const char **keys = NULL;
  guint n = 0;

  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  if (self->emoji != NULL) {
    keys = (const char **) g_hash_table_get_keys_as_array (self->emoji, &n);
    g_qsort_with_data (keys, (gint) n, sizeof (char *), compare_strings, NULL);
  }
  for (guint i = 0; i < n; i++) {
    g_hash_table_add (seen, (gpointer) keys[i]);
    g_strv_builder_add (builder, keys[i]);
  }
  if (self->store != NULL) {
    GListModel *stickers = inkling_store_get_stickers (self->store);

    for (guint i = 0; i < g_list_model_get_n_items (stickers); i++) {
      g_autoptr (InklingSticker) sticker = g_list_model_get_item (stickers, i);
      const char *label = inkling_sticker_get_label (sticker);

      if (!g_hash_table_contains (seen, label))
        g_strv_builder_add (builder, label);
    }
  }
  return g_strv_builder_end (builder);
}

/* ---- Work on the predictor threads ----
 *
 * A GTask run with g_task_run_in_thread holds its source object in the
 * worker thread, so the manager could be disposed there; instead the
 * predictor threads get the task's data only, and the task is returned and
 * released on the main context. */

typedef gpointer (*OffMainFunc) (gpointer task_data, GError **error);

typedef struct {
  GTask *task; /* owned; touched on the main context only */
  GMainContext *context;
  OffMainFunc func;
  gpointer task_data; /* borrowed from the task */
  GDestroyNotify result_free;
  gpointer result;
  GError *error;
} Work;

static gboolean
work_complete (gpointer data)
{
  Work *w = data;

  INKLING_TSAN_ACQUIRE (w);
  if (w->error != NULL)
    g_task_return_error (w->task, g_steal_pointer (&w->error));
  else
    g_task_return_pointer (w->task, g_steal_pointer (&w->result), w->result_free);
  return G_SOURCE_REMOVE;
}

static void
work_free (gpointer data)
{
  Work *w = data;

  INKLING_TSAN_ACQUIRE (w);
  if (w->result != NULL && w->result_free != NULL)
    w->result_free (w->result);
  g_clear_error (&w->error);
  g_clear_object (&w->task);
  g_main_context_unref (w->context);
  g_free (w);
}

static void
predictor_run (gpointer data, gpointer user_data)
{
  Work *w = data;
  GMainContext *context;

  INKLING_TSAN_ACQUIRE (w);
  w->result = w->func (w->task_data, &w->error);
  context = w->context; /* w is the main context's once handed over */
  INKLING_TSAN_RELEASE (w);
  hand_over_to_main (context, G_PRIORITY_DEFAULT, work_complete, w, work_free);
}

static void
run_off_main (InklingModelManager *self, GTask *task, OffMainFunc func, GDestroyNotify result_free)
{
  Work *w = g_new0 (Work, 1);

  w->task = g_object_ref (task);
  w->context = g_main_context_ref (self->context);
  w->func = func;
  w->task_data = g_task_get_task_data (task);
  w->result_free = result_free;
  INKLING_TSAN_RELEASE (w);
  g_thread_pool_push (self->predictors, w, NULL);
}

/* ---- Prediction ---- */

typedef struct {
  ModelRef *model;
  InkDrawing *drawing;
  guint top_k;
  guint generation;
  const guint *current_generation; /* the manager's, read atomically */
} PredictData;

static void
predict_data_free (gpointer data)
{
  PredictData *p = data;

  model_ref_release (p->model);
  ink_drawing_free (p->drawing);
  g_free (p);
}

/* On a predictor thread: the guesses, or NULL with error set. */
static gpointer
predict_thread (gpointer task_data, GError **error)
{
  PredictData *p = task_data;
  g_autoptr (GPtrArray) guesses =
    g_ptr_array_new_with_free_func ((GDestroyNotify) inkling_guess_free);
  g_autoptr (GArray) scores = NULL;
  InkValue *image = NULL;
  ImageIO io;
  InkError err;

  ink_error_clear (&err);
  if (ink_drawing_point_count (p->drawing) > 0) {
    if (!find_image_io (p->model->model, &io)) {
      g_set_error (error, INKLING_MODEL_MANAGER_ERROR, INKLING_MODEL_MANAGER_ERROR_UNSUITABLE,
                   "The model has no image input");
      return NULL;
    }
    if (ink_drawing_render_image (p->drawing, NULL, MAX (io.width, 1), MAX (io.height, 1), &image,
                                  &err) != INK_OK ||
        (scores = classify (p->model->model, image, &err)) == NULL) {
      set_error_from_engine (error, "Cannot classify the drawing", &err);
      return NULL;
    }
    for (guint i = 0; i < scores->len && i < p->top_k; i++) {
      Scored *s = &g_array_index (scores, Scored, i);

      g_ptr_array_add (guesses, inkling_guess_new (s->label, NULL, s->probability));
    }
  }
  if (p->generation != (guint) g_atomic_int_get (p->current_generation)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                 "A newer prediction replaced this one (stale)");
    return NULL;
  }
  return g_steal_pointer (&guesses);
}
void
inkling_model_manager_predict_async (InklingModelManager *self, const InkDrawing *drawing,
                                     guint top_k, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  PredictData *p;

  g_return_if_fail (INKLING_IS_MODEL_MANAGER (self));
  g_return_if_fail (drawing != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, inkling_model_manager_predict_async);
  if (self->live == NULL) {
    g_task_return_new_error (task, INKLING_MODEL_MANAGER_ERROR,
                             INKLING_MODEL_MANAGER_ERROR_NO_MODEL, "No drawing model is loaded");
    return;
  }
  p = g_new0 (PredictData, 1);
  p->model = model_ref_acquire (self->live);
  p->drawing = ink_drawing_copy (drawing);
  p->top_k = top_k > 0 ? top_k : 3;
  p->generation = (guint) g_atomic_int_add (&self->predict_generation, 1) + 1;
  p->current_generation = &self->predict_generation;
  if (p->drawing == NULL) {
    predict_data_free (p);
    g_task_return_new_error (task, INKLING_ENGINE_ERROR, INKLING_ENGINE_ERROR_NO_MEMORY,
                             "Out of memory");
    return;
  }
  g_task_set_task_data (task, p, predict_data_free);
  run_off_main (self, task, predict_thread, (GDestroyNotify) g_ptr_array_unref);
}

GPtrArray *
inkling_model_manager_predict_finish (InklingModelManager *self, GAsyncResult *result,
                                      GError **error)
{
  PredictData *p;
  GPtrArray *guesses;

  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  INKLING_TSAN_ACQUIRE (result);

  guesses = g_task_propagate_pointer (G_TASK (result), error);
  if (guesses == NULL)
    return NULL;
  p = g_task_get_task_data (G_TASK (result));
  if (p->generation != (guint) g_atomic_int_get (&self->predict_generation)) {
    g_ptr_array_unref (guesses);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                 "A newer prediction replaced this one (stale)");
    return NULL;
  }
  for (guint i = 0; i < guesses->len; i++) {
    InklingGuess *guess = g_ptr_array_index (guesses, i);

    guess->emoji = inkling_model_manager_dup_emoji (self, guess->label);
  }
  return guesses;
}

/* ---- Teaching and deleting ---- */

static gboolean
require_store (InklingModelManager *self, GTask *task)
{
  if (self->store != NULL && self->model_store != NULL)
    return TRUE;
  g_task_return_new_error (task, INKLING_MODEL_MANAGER_ERROR, INKLING_MODEL_MANAGER_ERROR_NO_STORE,
                           self->store == NULL
                             ? "Your stickers cannot be saved: the personalization database "
                               "could not be opened"
                             : "The models are not loaded yet");
  return FALSE;
}

void
inkling_model_manager_teach_async (InklingModelManager *self, const char *label, const char *emoji,
                                   const InkDrawing *const *drawings, guint n,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  Job *job;
  g_autoptr (GPtrArray) strokes = g_ptr_array_new_with_free_func (free);
  g_autoptr (GPtrArray) rasters = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GError) error = NULL;
  InklingSticker *sticker;

  g_return_if_fail (INKLING_IS_MODEL_MANAGER (self));
  g_return_if_fail (label != NULL);
  g_return_if_fail (n == 0 || drawings != NULL);

  job =
    job_new (self, JOB_TEACH, cancellable, callback, user_data, inkling_model_manager_teach_async);
  if (!require_store (self, job->task)) {
    job_free (job);
    return;
  }
  if (n == 0) {
    g_task_return_new_error (job->task, INKLING_MODEL_MANAGER_ERROR,
                             INKLING_MODEL_MANAGER_ERROR_NO_EXAMPLES, "Draw something first");
    job_free (job);
    return;
  }

  /* What the store keeps: the strokes and the 28x28 raster. */
  for (guint i = 0; i < n; i++) {
    char *json = NULL;
    guint8 *pixels = g_malloc (INKLING_EXAMPLE_RASTER_SIZE * INKLING_EXAMPLE_RASTER_SIZE);
    InkError err;

    ink_error_clear (&err);
    if (ink_drawing_point_count (drawings[i]) == 0) {
      ink_error_set (&err, INK_ERR_INVALID_ARGUMENT, "the drawing is empty");
    } else if (ink_drawing_to_json (drawings[i], &json, &err) == INK_OK) {
      ink_drawing_render_gray8 (drawings[i], NULL, INKLING_EXAMPLE_RASTER_SIZE,
                                INKLING_EXAMPLE_RASTER_SIZE, INKLING_EXAMPLE_RASTER_SIZE, pixels,
                                &err);
    }
    if (err.status != INK_OK) {
      set_error_from_engine (&error, "Cannot teach the drawing", &err);
      free (json);
      g_free (pixels);
      g_task_return_error (job->task, g_steal_pointer (&error));
      job_free (job);
      return;
    }
    g_ptr_array_add (strokes, json);
    g_ptr_array_add (rasters, g_bytes_new_take (pixels, INKLING_EXAMPLE_RASTER_SIZE *
                                                          INKLING_EXAMPLE_RASTER_SIZE));
  }

  sticker = inkling_store_find_sticker_by_label (self->store, label);
  if (sticker == NULL) {
    sticker = inkling_store_add_sticker_with_examples (self->store, emoji, label,
                                                       (const char *const *) strokes->pdata,
                                                       (GBytes *const *) rasters->pdata, n, &error);
  } else {
    /* One transaction per drawing is not all-or-nothing; the examples of an
     * existing sticker are added one by one and the first failure stops. */
    for (guint i = 0; i < n && error == NULL; i++)
      inkling_store_add_example (self->store, sticker, g_ptr_array_index (strokes, i),
                                 g_ptr_array_index (rasters, i), &error);
    if (error == NULL && emoji != NULL && emoji[0] != '\0' &&
        g_strcmp0 (inkling_sticker_get_emoji (sticker), emoji) != 0)
      inkling_store_set_sticker_emoji (self->store, sticker, emoji, &error);
  }
  if (error != NULL) {
    g_task_return_error (job->task, g_steal_pointer (&error));
    job_free (job);
    return;
  }

  for (guint i = 0; i < n; i++) {
    ExampleData e = {
      .label = g_strdup (label),
      .strokes = g_strdup (g_ptr_array_index (strokes, i)),
      .raster = g_bytes_ref (g_ptr_array_index (rasters, i)),
    };

    g_array_append_val (job->examples, e);
  }
  job->emoji = g_new0 (char *, 3);
  job->emoji[0] = g_strdup (label);
  job->emoji[1] = g_strdup (inkling_sticker_get_emoji (sticker));
  job->history_kind = INKLING_UPDATE_KIND_TEACH;
  g_task_set_task_data (job->task, g_object_ref (sticker), g_object_unref);
  queue_job (self, job);
}

InklingSticker *
inkling_model_manager_teach_finish (InklingModelManager *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  INKLING_TSAN_ACQUIRE (result);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_object_ref (g_task_get_task_data (G_TASK (result)));
}

/* Queues a rebuild from the store (as it is now) after a deletion. */
static void
queue_rebuild (InklingModelManager *self, Job *job)
{
  job_add_store_examples (job, self->store);
  queue_job (self, job);
}

/* A job to run after a deletion from the store, or NULL (its task has
 * returned the error) when there is no store. */
static Job *
deletion_job_new (InklingModelManager *self, JobKind kind, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  Job *job =
    job_new (self, kind, cancellable, callback, user_data, inkling_model_manager_delete_finish);

  if (!require_store (self, job->task)) {
    job_free (job);
    return NULL;
  }
  return job;
}

/* Queues job once its deletion went through (deleted), else fails it with
 * error (taken): a reset as it is, anything else as a rebuild. */
static void
queue_deletion (InklingModelManager *self, Job *job, gboolean deleted, GError *error)
{
  if (!deleted) {
    g_task_return_error (job->task, error);
    job_free (job);
    return;
  }
  if (job->kind == JOB_RESET) {
    job->history_kind = INKLING_UPDATE_KIND_RESET;
    queue_job (self, job);
  } else {
    job->history_kind = INKLING_UPDATE_KIND_REBUILD;
    queue_rebuild (self, job);
  }
}

void
inkling_model_manager_delete_sticker_async (InklingModelManager *self, InklingSticker *sticker,
                                            GCancellable *cancellable, GAsyncReadyCallback callback,
                                            gpointer user_data)
{
  GError *error = NULL;
  gboolean deleted;
  Job *job;

  g_return_if_fail (INKLING_IS_MODEL_MANAGER (self));
  g_return_if_fail (INKLING_IS_STICKER (sticker));

  job = deletion_job_new (self, JOB_REBUILD, cancellable, callback, user_data);
  if (job == NULL)
    return;
  deleted = inkling_store_delete_sticker (self->store, sticker, &error);
  queue_deletion (self, job, deleted, error);
}

void
inkling_model_manager_delete_example_async (InklingModelManager *self, InklingExample *example,
                                            GCancellable *cancellable, GAsyncReadyCallback callback,
                                            gpointer user_data)
{
  GError *error = NULL;
  gboolean deleted;
  Job *job;

  g_return_if_fail (INKLING_IS_MODEL_MANAGER (self));
  g_return_if_fail (INKLING_IS_EXAMPLE (example));

  job = deletion_job_new (self, JOB_REBUILD, cancellable, callback, user_data);
  if (job == NULL)
    return;
  deleted = inkling_store_delete_example (self->store, example, &error);
  queue_deletion (self, job, deleted, error);
}

void
inkling_model_manager_reset_personalization_async (InklingModelManager *self,
                                                   GCancellable *cancellable,
                                                   GAsyncReadyCallback callback, gpointer user_data)
{
  GError *error = NULL;
  gboolean deleted;
  Job *job;

  g_return_if_fail (INKLING_IS_MODEL_MANAGER (self));

  job = deletion_job_new (self, JOB_RESET, cancellable, callback, user_data);
  if (job == NULL)
    return;
  deleted = inkling_store_delete_all_stickers (self->store, &error);
  queue_deletion (self, job, deleted, error);
}

gboolean
inkling_model_manager_delete_finish (InklingModelManager *self, GAsyncResult *result,
                                     GError **error)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  INKLING_TSAN_ACQUIRE (result);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Export and open ---- */

static char *
local_path_or_error (GFile *file, GTask *task)
{
  char *path = g_file_get_path (file);

  if (path == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                             "Only local files can be used");
  return path;
}

void
inkling_model_manager_export_async (InklingModelManager *self, GFile *file,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  Job *job;

  g_return_if_fail (INKLING_IS_MODEL_MANAGER (self));
  g_return_if_fail (G_IS_FILE (file));

  job = job_new (self, JOB_EXPORT, cancellable, callback, user_data,
                 inkling_model_manager_export_async);
  job->path = local_path_or_error (file, job->task);
  if (job->path == NULL) {
    job_free (job);
    return;
  }
  queue_job (self, job);
}

gboolean
inkling_model_manager_export_finish (InklingModelManager *self, GAsyncResult *result,
                                     GError **error)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  INKLING_TSAN_ACQUIRE (result);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
inkling_model_manager_open_model_async (InklingModelManager *self, GFile *file,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data)
{
  Job *job;

  g_return_if_fail (INKLING_IS_MODEL_MANAGER (self));
  g_return_if_fail (G_IS_FILE (file));

  job = job_new (self, JOB_OPEN, cancellable, callback, user_data,
                 inkling_model_manager_open_model_async);
  if (self->model_store == NULL) {
    g_task_return_new_error (job->task, INKLING_MODEL_MANAGER_ERROR,
                             INKLING_MODEL_MANAGER_ERROR_NO_MODEL, "The models are not loaded yet");
    job_free (job);
    return;
  }
  job->path = local_path_or_error (file, job->task);
  if (job->path == NULL) {
    job_free (job);
    return;
  }
  if (self->store != NULL)
    job_add_store_examples (job, self->store);
  job->history_kind = INKLING_UPDATE_KIND_OPEN_MODEL;
  queue_job (self, job);
}

gboolean
inkling_model_manager_open_model_finish (InklingModelManager *self, GAsyncResult *result,
                                         GError **error)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  INKLING_TSAN_ACQUIRE (result);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Models the updater installs ---- */

const char *
inkling_model_manager_get_models_dir (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->models_dir;
}

const char *
inkling_model_manager_get_bundled_path (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->bundled_path;
}

static void
handoff_clear (gpointer data)
{
  InklingModelHandoff *h = data;

  INKLING_TSAN_ACQUIRE (h);
  g_clear_pointer (&h->personal, ink_model_free);
  g_clear_error (&h->error);
  g_clear_object (&h->self);
  g_mutex_clear (&h->lock);
  g_cond_clear (&h->cond);
}

InklingModelHandoff *
inkling_model_handoff_ref (InklingModelHandoff *handoff)
{
  return g_atomic_rc_box_acquire (handoff);
}

void
inkling_model_handoff_unref (InklingModelHandoff *handoff)
{
  if (handoff != NULL) {
    INKLING_TSAN_RELEASE (handoff);
    g_atomic_rc_box_release_full (handoff, handoff_clear);
  }
}

InklingModelHandoff *
inkling_model_manager_new_handoff (InklingModelManager *self, const char *history_kind)
{
  InklingModelHandoff *h;

  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  h = g_atomic_rc_box_new0 (InklingModelHandoff);
  h->self = g_object_ref (self);
  h->history_kind = history_kind;
  g_mutex_init (&h->lock);
  g_cond_init (&h->cond);
  return h;
}

/* On the main thread: the job, with the store's examples as they are now
 * (every teach queued before it has already changed the store). */
static gboolean
handoff_queue_on_main (gpointer data)
{
  InklingModelHandoff *h = data;
  InklingModelManager *self = h->self;
  Job *job = job_new (self, JOB_HANDOFF, NULL, NULL, NULL, inkling_model_manager_new_handoff);

  INKLING_TSAN_ACQUIRE (h);
  job->handoff = inkling_model_handoff_ref (h);
  job->history_kind = h->history_kind;
  if (self->store != NULL)
    job_add_store_examples (job, self->store);
  queue_job (self, job);
  return G_SOURCE_REMOVE;
}

static void
handoff_queue (InklingModelHandoff *h)
{
  INKLING_TSAN_RELEASE (h);
  hand_over_to_main (h->self->context, G_PRIORITY_DEFAULT, handoff_queue_on_main,
                     inkling_model_handoff_ref (h), (GDestroyNotify) inkling_model_handoff_unref);
}

InkStatus
inkling_model_handoff_personalize (const InkModel *base, InkModel **personalized, void *handoff,
                                   InkError *err)
{
  InklingModelHandoff *h = handoff;
  InkStatus st = INK_OK;

  *personalized = NULL;
  handoff_lock (h);
  if (h->asked || h->cancelled) {
    gboolean cancelled = h->cancelled;

    handoff_unlock (h);
    return cancelled ? ink_error_set (err, INK_ERR_CANCELLED, "cancelled")
                     : ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                                      "the examples were already applied for this operation");
  }
  h->base = base;
  h->asked = TRUE;
  handoff_unlock (h);

  handoff_queue (h);

  handoff_lock (h);
  while (!h->answered && (h->applying || !h->cancelled))
    handoff_wait (h);
  if (!h->answered) {
    st = ink_error_set (err, INK_ERR_CANCELLED, "cancelled");
  } else if (h->error != NULL) {
    InkStatus code = INK_ERR_UNSUPPORTED;

    if (h->error->domain == INKLING_ENGINE_ERROR)
      code = (InkStatus) h->error->code;
    else if (g_error_matches (h->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      code = INK_ERR_CANCELLED;
    st = ink_error_set (err, code, "%s", h->error->message);
  } else {
    *personalized = g_steal_pointer (&h->personal);
  }
  h->base = NULL; /* the engine's, and only until this returns */
  handoff_unlock (h);
  return st;
}

void
inkling_model_handoff_done (InklingModelHandoff *handoff, gboolean switched)
{
  gboolean asked;

  g_return_if_fail (handoff != NULL);

  handoff_lock (handoff);
  handoff->done = TRUE;
  handoff->switched = switched;
  asked = handoff->asked;
  g_cond_broadcast (&handoff->cond);
  handoff_unlock (handoff);
  /* A switch without personalize (none configured) still loads the model. */
  if (switched && !asked)
    handoff_queue (handoff);
}

void
inkling_model_handoff_cancel (InklingModelHandoff *handoff)
{
  g_return_if_fail (handoff != NULL);

  handoff_lock (handoff);
  handoff->cancelled = TRUE;
  g_cond_broadcast (&handoff->cond);
  handoff_unlock (handoff);
}

/* ---- Images ---- */

const InkModel *
inkling_model_manager_get_image_model (InklingModelManager *self)
{
  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->image_live != NULL ? self->image_live->model : NULL;
}

const char *const *
inkling_model_manager_get_image_labels (InklingModelManager *self)
{
  static const char *const none[] = {NULL};

  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), NULL);

  return self->image_labels != NULL ? (const char *const *) self->image_labels : none;
}

/* The store's images as job inputs. */
static GArray *
snapshot_images (InklingStore *store)
{
  GArray *images = g_array_new (FALSE, TRUE, sizeof (ImageData));
  GListModel *list = inkling_store_get_images (store);

  g_array_set_clear_func (images, image_data_clear);
  for (guint i = 0; i < g_list_model_get_n_items (list); i++) {
    g_autoptr (InklingImageItem) item = g_list_model_get_item (list, i);
    ImageData d = {
      .id = inkling_image_item_get_id (item),
      .data = g_bytes_ref (inkling_image_item_get_data (item)),
      .user_label = g_strdup (inkling_image_item_get_user_label (item)),
    };

    g_array_append_val (images, d);
  }
  return images;
}

typedef struct {
  ModelRef *model;
  GArray *images;
  double accuracy;
} ClassifyData;

static void
classify_data_free (gpointer data)
{
  ClassifyData *c = data;

  model_ref_release (c->model);
  g_array_unref (c->images);
  g_free (c);
}

/* On a predictor thread: always succeeds (an image that does not decode
 * gets no prediction). */
static gpointer
classify_thread (gpointer task_data, GError **error)
{
  ClassifyData *c = task_data;

  c->accuracy = predict_images (c->model->model, c->images, TRUE);
  return GINT_TO_POINTER (TRUE);
}
void
inkling_model_manager_classify_images_async (InklingModelManager *self, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  ClassifyData *c;

  g_return_if_fail (INKLING_IS_MODEL_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, inkling_model_manager_classify_images_async);
  if (self->image_live == NULL || self->store == NULL) {
    g_task_return_new_error (task, INKLING_MODEL_MANAGER_ERROR,
                             self->store == NULL ? INKLING_MODEL_MANAGER_ERROR_NO_STORE
                                                 : INKLING_MODEL_MANAGER_ERROR_NO_MODEL,
                             self->store == NULL ? "The images could not be read"
                                                 : "The image classifier is not loaded");
    return;
  }
  c = g_new0 (ClassifyData, 1);
  c->model = model_ref_acquire (self->image_live);
  c->images = snapshot_images (self->store);
  g_task_set_task_data (task, c, classify_data_free);
  run_off_main (self, task, classify_thread, NULL);
}

double
inkling_model_manager_classify_images_finish (InklingModelManager *self, GAsyncResult *result,
                                              GError **error)
{
  ClassifyData *c;
  GListModel *images;

  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  INKLING_TSAN_ACQUIRE (result);

  if (g_task_propagate_pointer (G_TASK (result), error) == NULL)
    return -1;
  c = g_task_get_task_data (G_TASK (result));
  /* Record them only when the model that made them is still the live one. */
  if (c->model != self->image_live) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                 "The image classifier changed meanwhile (stale)");
    return -1;
  }
  images = inkling_store_get_images (self->store);
  for (guint i = 0; i < c->images->len; i++) {
    ImageData *d = &g_array_index (c->images, ImageData, i);

    for (guint j = 0; j < g_list_model_get_n_items (images); j++) {
      g_autoptr (InklingImageItem) item = g_list_model_get_item (images, j);

      if (inkling_image_item_get_id (item) == d->id &&
          !inkling_store_set_image_prediction (self->store, item, d->predicted, d->confidence,
                                               error))
        return -1;
    }
  }
  return c->accuracy;
}

void
inkling_model_manager_train_images_async (InklingModelManager *self, guint epochs,
                                          double learning_rate, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data)
{
  Job *job;

  g_return_if_fail (INKLING_IS_MODEL_MANAGER (self));

  job = job_new (self, JOB_TRAIN_IMAGES, cancellable, callback, user_data,
                 inkling_model_manager_train_images_async);
  if (self->store == NULL || self->image_live == NULL) {
    g_task_return_new_error (job->task, INKLING_MODEL_MANAGER_ERROR,
                             self->store == NULL ? INKLING_MODEL_MANAGER_ERROR_NO_STORE
                                                 : INKLING_MODEL_MANAGER_ERROR_NO_MODEL,
                             self->store == NULL ? "The images could not be read"
                                                 : "The image classifier is not loaded");
    job_free (job);
    return;
  }
  g_array_unref (job->images);
  job->images = snapshot_images (self->store);
  job->image_model = model_ref_acquire (self->image_live);
  job->epochs = epochs;
  job->learning_rate = learning_rate;
  job->history_kind = INKLING_UPDATE_KIND_TRAIN_IMAGES;
  queue_job (self, job);
}

gboolean
inkling_model_manager_train_images_finish (InklingModelManager *self, GAsyncResult *result,
                                           double *accuracy_before, double *accuracy_after,
                                           GError **error)
{
  const double *accuracy;

  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  INKLING_TSAN_ACQUIRE (result);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  accuracy = g_task_get_task_data (G_TASK (result));
  if (accuracy_before != NULL)
    *accuracy_before = accuracy != NULL ? accuracy[0] : -1;
  if (accuracy_after != NULL)
    *accuracy_after = accuracy != NULL ? accuracy[1] : -1;
  return TRUE;
}

gboolean
inkling_model_manager_reset_image_model (InklingModelManager *self, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr (ModelRef) ref = NULL;
  InkModel *model;
  InkError err;

  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (self), FALSE);

  ink_error_clear (&err);
  model = load_model_file (self->image_path, &err);
  if (model == NULL) {
    set_error_from_engine (error, "Cannot load the original image classifier", &err);
    return FALSE;
  }
  ref = model_ref_new (model);
  path = g_build_filename (self->models_dir, IMAGE_PERSONAL_NAME, NULL);
  if (g_unlink (path) != 0 && errno != ENOENT) {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "Cannot remove %s: %s",
                 path, g_strerror (saved_errno));
    return FALSE;
  }
  switch_image_model (self, ref);
  return TRUE;
}

/* ---- GObject ---- */

static void
inkling_model_manager_dispose (GObject *object)
{
  InklingModelManager *self = INKLING_MODEL_MANAGER (object);

  /* Jobs hold a reference: none is queued or running by now. */
  if (self->worker != NULL) {
    g_thread_pool_free (self->worker, FALSE, TRUE);
    self->worker = NULL;
  }
  if (self->predictors != NULL) {
    g_thread_pool_free (self->predictors, FALSE, TRUE);
    self->predictors = NULL;
  }
  g_clear_object (&self->store);

  G_OBJECT_CLASS (inkling_model_manager_parent_class)->dispose (object);
}

static void
inkling_model_manager_finalize (GObject *object)
{
  InklingModelManager *self = INKLING_MODEL_MANAGER (object);

  g_clear_pointer (&self->model_store, ink_model_store_free);
  g_clear_pointer (&self->live, model_ref_release);
  g_clear_pointer (&self->latest, model_ref_release);
  g_clear_pointer (&self->image_live, model_ref_release);
  g_clear_pointer (&self->emoji, g_hash_table_unref);
  g_clear_pointer (&self->image_labels, g_strfreev);
  g_clear_pointer (&self->models_dir, g_free);
  g_clear_pointer (&self->bundled_path, g_free);
  g_clear_pointer (&self->image_path, g_free);
  g_clear_pointer (&self->model_name, g_free);
  g_clear_pointer (&self->model_version, g_free);
  g_clear_pointer (&self->model_source, g_free);
  g_clear_pointer (&self->opened_file, g_free);
  g_clear_pointer (&self->base_version, g_free);
  g_clear_pointer (&self->updated_at, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (inkling_model_manager_parent_class)->finalize (object);
}

static void
inkling_model_manager_get_property (GObject *object, guint prop_id, GValue *value,
                                    GParamSpec *pspec)
{
  InklingModelManager *self = INKLING_MODEL_MANAGER (object);

  switch (prop_id) {
  case PROP_STORE: g_value_set_object (value, self->store); break;
  case PROP_MODEL_NAME: g_value_set_string (value, self->model_name); break;
  case PROP_MODEL_VERSION: g_value_set_string (value, self->model_version); break;
  case PROP_MODEL_SOURCE: g_value_set_string (value, self->model_source); break;
  case PROP_OPENED_FILE: g_value_set_string (value, self->opened_file); break;
  case PROP_BASE_VERSION: g_value_set_string (value, self->base_version); break;
  case PROP_N_EXAMPLES: g_value_set_int64 (value, self->n_examples); break;
  case PROP_UPDATED_AT: g_value_set_string (value, self->updated_at); break;
  case PROP_BUSY: g_value_set_boolean (value, self->busy > 0); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_model_manager_set_property (GObject *object, guint prop_id, const GValue *value,
                                    GParamSpec *pspec)
{
  InklingModelManager *self = INKLING_MODEL_MANAGER (object);

  switch (prop_id) {
  case PROP_STORE: g_set_object (&self->store, g_value_get_object (value)); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
inkling_model_manager_class_init (InklingModelManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = inkling_model_manager_dispose;
  object_class->finalize = inkling_model_manager_finalize;
  object_class->get_property = inkling_model_manager_get_property;
  object_class->set_property = inkling_model_manager_set_property;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, INKLING_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL_NAME] = g_param_spec_string ("model-name", NULL, NULL, "", flags);
  properties[PROP_MODEL_VERSION] = g_param_spec_string ("model-version", NULL, NULL, "", flags);
  properties[PROP_MODEL_SOURCE] = g_param_spec_string ("model-source", NULL, NULL, "", flags);
  properties[PROP_OPENED_FILE] = g_param_spec_string ("opened-file", NULL, NULL, "", flags);
  properties[PROP_BASE_VERSION] = g_param_spec_string ("base-version", NULL, NULL, "", flags);
  properties[PROP_N_EXAMPLES] =
    g_param_spec_int64 ("n-examples", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_UPDATED_AT] = g_param_spec_string ("updated-at", NULL, NULL, "", flags);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[MODEL_CHANGED] = g_signal_new ("model-changed", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[IMAGE_MODEL_CHANGED] =
    g_signal_new ("image-model-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
  signals[PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_DOUBLE, G_TYPE_DOUBLE, G_TYPE_INT);
  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
inkling_model_manager_init (InklingModelManager *self)
{
  self->context = g_main_context_ref_thread_default ();
  g_mutex_init (&self->lock);
  self->worker = g_thread_pool_new (worker_run, NULL, 1, FALSE, NULL);
  self->predictors = g_thread_pool_new (predictor_run, NULL, 2, FALSE, NULL);
  self->model_name = g_strdup ("");
  self->model_version = g_strdup ("");
  self->model_source = g_strdup ("");
  self->opened_file = g_strdup ("");
  self->base_version = g_strdup ("");
  self->updated_at = g_strdup ("");
}

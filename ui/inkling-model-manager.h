/* inkling-model-manager.h: the live models, prediction and personalization
 *
 * InklingModelManager owns the two models the application runs:
 *
 *  - the drawing classifier: loaded through the engine's model store
 *    (ink-model-store.h, folder $XDG_DATA_HOME/<app-id>/models by default):
 *    the active entry's personalized model when there is one, else its base
 *    model (the bundled one unless another was installed or opened); the
 *    bundled model is INKLING_BUNDLED_MODEL_PATH, or $INKLING_BUNDLED_MODEL;
 *  - the image classifier: MODELS_DIR/image-classifier.personal.inkmodel
 *    once the user trained it, else the bundled one
 *    (INKLING_IMAGE_MODEL_PATH, or $INKLING_IMAGE_MODEL).
 *
 * The store (InklingStore) is the source of truth; the personalized model is
 * derived from it: the base model plus a k-NN update with every example.
 * Teaching adds examples to the store (one transaction), updates a copy of
 * the live model on a worker thread, saves it atomically with the model
 * store, then switches the live model on the main thread and emits
 * "model-changed". Deleting a sticker or an example, opening a model file
 * and resetting rebuild it from the base model and what remains in the
 * store. At start, a personalized model that is missing, corrupt or out of
 * step with the store (its example count differs) is rebuilt from the
 * store, or the base model runs; a "message" says so (for a toast).
 *
 * Threads: make the manager on the main thread (its thread-default main
 * context); call every function there. Work that touches the engine runs
 * off it: predictions on a small thread pool, everything that changes a
 * model on one serial worker (so updates apply in the order they were
 * asked). Every callback, signal and property notification is delivered on
 * the main context. A prediction superseded by a newer one of the same kind
 * (drawing or image) before it finished fails with G_IO_ERROR_CANCELLED
 * ("stale"): ignore that error. Models handed out stay valid until the next
 * "model-changed" (drawing) or "image-model-changed" (image) returns.
 *
 * Errors: INKLING_MODEL_MANAGER_ERROR codes below, INKLING_STORE_ERROR from
 * the store, INKLING_ENGINE_ERROR from the engine, G_IO_ERROR_CANCELLED.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

#include "ink.h"
#include "inkling-guess.h"
#include "inkling-store.h"

G_BEGIN_DECLS

#define INKLING_MODEL_MANAGER_ERROR (inkling_model_manager_error_quark ())

typedef enum {
  INKLING_MODEL_MANAGER_ERROR_NO_MODEL,    /* no model could be loaded */
  INKLING_MODEL_MANAGER_ERROR_NO_STORE,    /* personalization needs the store, which failed */
  INKLING_MODEL_MANAGER_ERROR_UNSUITABLE,  /* the model has no image input / is not updatable */
  INKLING_MODEL_MANAGER_ERROR_NO_EXAMPLES, /* nothing to learn from (e.g. no labelled images) */
} InklingModelManagerError;

GQuark inkling_model_manager_error_quark (void);

/* The trained image classifier's file name in the model folder. */
#define INKLING_MODEL_MANAGER_IMAGE_PERSONAL_FILE "image-classifier.personal.inkmodel"

/* History kinds (InklingUpdateRecord "kind"). */
#define INKLING_UPDATE_KIND_TEACH "teach"
#define INKLING_UPDATE_KIND_REBUILD "rebuild"
#define INKLING_UPDATE_KIND_RESET "reset"
#define INKLING_UPDATE_KIND_TRAIN_IMAGES "train-images"
#define INKLING_UPDATE_KIND_OPEN_MODEL "open-model"
/* Switches made by the updater (inkling-updater.h). */
#define INKLING_UPDATE_KIND_INSTALL "install"
#define INKLING_UPDATE_KIND_ROLLBACK "rollback"
#define INKLING_UPDATE_KIND_RESET_MODEL "reset-to-bundled"

/* Values of the "model-source" property. */
#define INKLING_MODEL_SOURCE_BUNDLED "bundled"
#define INKLING_MODEL_SOURCE_DOWNLOADED "downloaded"
#define INKLING_MODEL_SOURCE_OPENED "opened" /* opened from a file (open_model_async) */
#define INKLING_MODEL_SOURCE_PERSONALIZED "personalized"

#define INKLING_TYPE_MODEL_MANAGER (inkling_model_manager_get_type ())

G_DECLARE_FINAL_TYPE (InklingModelManager, inkling_model_manager, INKLING, MODEL_MANAGER, GObject)

/* A manager over store (may be NULL when it failed to open: predictions
 * work, personalization fails with INKLING_MODEL_MANAGER_ERROR_NO_STORE).
 * models_dir: the model store folder (NULL: ink_model_store_default_dir of
 * the app id); bundled_model_path, image_model_path: NULL for the
 * environment/configured defaults above. Loads nothing yet. */
InklingModelManager *inkling_model_manager_new (InklingStore *store, const char *models_dir,
                                                const char *bundled_model_path,
                                                const char *image_model_path);

/* Loads the live models (mapping compiled models is near-instant, so this
 * runs on the main thread) and, when the personalized model must be
 * rebuilt from the store, starts that on the worker (busy until it ends,
 * then "model-changed"). Emits "message" for anything the user should know
 * (a fallback, a rebuild), so connect to the signals first. FALSE with
 * error when no drawing model could be loaded at all (the image model
 * failing is only a message: see get_image_model). */
gboolean inkling_model_manager_start (InklingModelManager *self, GError **error);

InklingStore *inkling_model_manager_get_store (InklingModelManager *self);

/* ---- The live drawing classifier ---- */

/* Borrowed (see "Threads"); NULL before start or when none loaded. */
const InkModel *inkling_model_manager_get_model (InklingModelManager *self);
/* Properties (read-only, notified on change):
 *  "model-name"     the metadata short description (or the file name)
 *  "model-version"  the version the model store names for a downloaded
 *                   model (the manifest's), else the metadata version
 *                   ("" when none)
 *  "model-source"   INKLING_MODEL_SOURCE_*
 *  "opened-file"    the file the base model was opened from, personalized
 *                   since or not ("" when it was not opened from a file)
 *  "base-version"   the version of the model it was personalized from ("")
 *  "n-examples"     the user's examples applied to it (gint64)
 *  "updated-at"     ISO 8601 time of the last update ("" when never)
 *  "busy"           an update, rebuild, training or export is running */
const char *inkling_model_manager_get_model_name (InklingModelManager *self);
const char *inkling_model_manager_get_model_version (InklingModelManager *self);
const char *inkling_model_manager_get_model_source (InklingModelManager *self);
const char *inkling_model_manager_get_opened_file (InklingModelManager *self);
const char *inkling_model_manager_get_base_version (InklingModelManager *self);
gint64 inkling_model_manager_get_n_examples (InklingModelManager *self);
const char *inkling_model_manager_get_updated_at (InklingModelManager *self);
gboolean inkling_model_manager_get_busy (InklingModelManager *self);

/* The emoji of a label: the store's sticker's, else the model's
 * "inkling.emoji" metadata; NULL when unknown (show the word). Free with
 * g_free. */
char *inkling_model_manager_dup_emoji (InklingModelManager *self, const char *label);
/* Labels the user can teach to: the model's starter labels (its emoji map)
 * then the store's stickers, without duplicates. Free with g_strfreev. */
char **inkling_model_manager_dup_labels (InklingModelManager *self);

/* Classifies a drawing (copied at once: the caller may change it) with the
 * live model, rendered as the model's image input wants. Result: a
 * GPtrArray of InklingGuess, most probable first, at most top_k (transfer
 * full). An empty drawing gives an empty array. */
void inkling_model_manager_predict_async (InklingModelManager *self, const InkDrawing *drawing,
                                          guint top_k, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *inkling_model_manager_predict_finish (InklingModelManager *self, GAsyncResult *result,
                                                 GError **error);

/* Teaches drawings (n >= 1, copied at once) to the sticker labelled label,
 * making the sticker (with emoji, may be NULL) when the store has none:
 * the store change is done before this returns; then the model update runs
 * ("progress" with loss NAN) and the live model switches. Result: the
 * sticker (transfer full). */
void inkling_model_manager_teach_async (InklingModelManager *self, const char *label,
                                        const char *emoji, const InkDrawing *const *drawings,
                                        guint n, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
InklingSticker *inkling_model_manager_teach_finish (InklingModelManager *self, GAsyncResult *result,
                                                    GError **error);

/* Deletes a sticker (with its examples), or one example, from the store,
 * then rebuilds the personalized model from what remains. */
void inkling_model_manager_delete_sticker_async (InklingModelManager *self, InklingSticker *sticker,
                                                 GCancellable *cancellable,
                                                 GAsyncReadyCallback callback, gpointer user_data);
void inkling_model_manager_delete_example_async (InklingModelManager *self, InklingExample *example,
                                                 GCancellable *cancellable,
                                                 GAsyncReadyCallback callback, gpointer user_data);
/* Finishes either deletion and reset_personalization. */
gboolean inkling_model_manager_delete_finish (InklingModelManager *self, GAsyncResult *result,
                                              GError **error);

/* Deletes every sticker and example and the personalized model: the base
 * model runs again. Finish with inkling_model_manager_delete_finish. */
void inkling_model_manager_reset_personalization_async (InklingModelManager *self,
                                                        GCancellable *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer user_data);

/* Writes the live drawing model to file: a Core ML model when its name
 * ends in ".mlmodel", else a compiled .inkmodel (atomically). */
void inkling_model_manager_export_async (InklingModelManager *self, GFile *file,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
gboolean inkling_model_manager_export_finish (InklingModelManager *self, GAsyncResult *result,
                                              GError **error);

/* Opens a model file (.mlmodel or .inkmodel) as the new base drawing model:
 * it must be a classifier with an image input. It is installed in the
 * model store as opened from a file (INK_MODEL_ORIGIN_FILE: so it stays
 * after a restart, and the previous model is kept for rollback), the
 * store's examples are applied to it when it is updatable, and it becomes
 * the live model ("model-source" INKLING_MODEL_SOURCE_OPENED, or
 * INKLING_MODEL_SOURCE_PERSONALIZED with the examples; "opened-file"). */
void inkling_model_manager_open_model_async (InklingModelManager *self, GFile *file,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
gboolean inkling_model_manager_open_model_finish (InklingModelManager *self, GAsyncResult *result,
                                                  GError **error);

/* ---- Models the updater installs (inkling-updater.h) ---- */

/* The model store folder and the bundled drawing model the manager uses. */
const char *inkling_model_manager_get_models_dir (InklingModelManager *self);
const char *inkling_model_manager_get_bundled_path (InklingModelManager *self);

/* The hand-over of one updater operation (install, rollback, reset) that
 * changes the model store's active model from another thread, so that the
 * user's examples are applied to the new base model and the live model
 * switches in step with the manager's own work:
 *  - make it on the main thread, after start(), before the operation;
 *  - give inkling_model_handoff_personalize to the engine as the
 *    operation's InkRemotePersonalizeFunc with the hand-over as its data:
 *    on the operation's thread it queues (through the main context) a job
 *    on the serial worker that applies the store's examples to the new
 *    base model, and waits for its answer. The job then holds the worker,
 *    so that no teach or rebuild runs until the operation returned;
 *  - call inkling_model_handoff_done on the operation's thread when the
 *    operation returned, in every case: when the store's active model
 *    changed, the job loads it and the live model switches on the main
 *    thread ("model-changed", the history records history_kind);
 *  - inkling_model_handoff_cancel (any thread) makes a personalize still
 *    waiting for the worker return INK_ERR_CANCELLED (for shutting down).
 * Reference counted; thread-safe. */
typedef struct _InklingModelHandoff InklingModelHandoff;

InklingModelHandoff *inkling_model_manager_new_handoff (InklingModelManager *self,
                                                        const char *history_kind);
InkStatus inkling_model_handoff_personalize (const InkModel *base, InkModel **personalized,
                                             void *handoff, InkError *err);
void inkling_model_handoff_done (InklingModelHandoff *handoff, gboolean switched);
void inkling_model_handoff_cancel (InklingModelHandoff *handoff);
InklingModelHandoff *inkling_model_handoff_ref (InklingModelHandoff *handoff);
void inkling_model_handoff_unref (InklingModelHandoff *handoff);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InklingModelHandoff, inkling_model_handoff_unref)

/* ---- The image classifier ---- */

/* Borrowed; NULL when it could not be loaded. */
const InkModel *inkling_model_manager_get_image_model (InklingModelManager *self);
/* The labels it can answer (its classes), for relabelling; NULL-terminated,
 * owned by the manager, valid until "image-model-changed". */
const char *const *inkling_model_manager_get_image_labels (InklingModelManager *self);

/* Predicts every image in the store with the image classifier and records
 * each prediction in the store (InklingImageItem "predicted-label"
 * changes). Result: the accuracy over images with a user label, 0..1, or
 * -1 when none has one. */
void inkling_model_manager_classify_images_async (InklingModelManager *self,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback, gpointer user_data);
double inkling_model_manager_classify_images_finish (InklingModelManager *self,
                                                     GAsyncResult *result, GError **error);

/* Trains the image classifier's updatable layers on the images that have a
 * user label (INKLING_MODEL_MANAGER_ERROR_NO_EXAMPLES when none) for epochs
 * epochs at learning_rate (0: the model's defaults), with "progress" at
 * each mini-batch and epoch. Cancel with cancellable (the model is then
 * unchanged; G_IO_ERROR_CANCELLED). On success the trained model is saved
 * atomically, becomes live ("image-model-changed"), the store's images are
 * predicted again, and the accuracy over the labelled images before and
 * after training is returned. */
void inkling_model_manager_train_images_async (InklingModelManager *self, guint epochs,
                                               double learning_rate, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean inkling_model_manager_train_images_finish (InklingModelManager *self, GAsyncResult *result,
                                                    double *accuracy_before, double *accuracy_after,
                                                    GError **error);
/* Goes back to the bundled image classifier (deletes the trained one). */
gboolean inkling_model_manager_reset_image_model (InklingModelManager *self, GError **error);

/* Signals (all on the main context):
 *  "model-changed" ()            the live drawing model was switched
 *  "image-model-changed" ()      the image classifier was switched
 *  "progress" (double fraction, double loss, int epoch)
 *                                of the running update or training:
 *                                fraction 0..1 of the work done, loss NAN
 *                                for a k-NN update, epoch from 0
 *  "message" (const char *text)  something to tell the user (a toast) */

G_END_DECLS

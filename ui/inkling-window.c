/* inkling-window.c: the main window
 *
 * A view switcher over the Draw, Stickers, Images and Model pages, toasts
 * for what the model manager has to say, and presenter mode. Everything a
 * user does is a window action (so also reachable over D-Bus through
 * org.gtk.Actions); the pages do the work. What a file chooser answers goes
 * to the same function as an action that takes the file (a URI or a path):
 * win.open-model-file, win.export-model-file, win.import-image-files.
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-config.h"

#include <string.h>

#include "inkling-window.h"

#include "inkling-confirm-dialog.h"
#include "inkling-draw-page.h"
#include "inkling-images-page.h"
#include "inkling-model-page.h"
#include "inkling-state.h"
#include "inkling-stickers-page.h"

/* How often the test state file is refreshed (ms), when asked for. */
#define STATE_INTERVAL_MS 100
/* How many of the last toasts' texts the state file shows. */
#define STATE_TOASTS 20
#define DEFAULT_STROKE_WIDTH 8.0
#define PRESENTER_STROKE_WIDTH 24.0

struct _InklingWindow {
  AdwApplicationWindow parent_instance;

  /* Template Widgets */
  InklingDrawPage *draw_page;
  AdwStatusPage *error_page;
  InklingImagesPage *images_page;
  InklingModelPage *model_page;
  GtkStack *stack;
  InklingStickersPage *stickers_page;
  AdwViewSwitcherTitle *switcher_title;
  AdwToastOverlay *toast_overlay;
  AdwViewStack *view_stack;

  /* Borrowed References */
  InklingModelManager *manager;
  AdwMessageDialog *dialog; /* weak: the confirmation shown, if any */

  /* Owned References */
  GSettings *settings; /* NULL when the schema is not installed */
  char *state_file;
  char *last_state;
  GPtrArray *toasts; /* the last toasts' texts, oldest first (for the state file) */

  guint state_id;
  guint layouts; /* of the surface, counted for the state file */
  gboolean presenting;
};

G_DEFINE_FINAL_TYPE (InklingWindow, inkling_window, ADW_TYPE_APPLICATION_WINDOW)

static void inkling_window_setup (InklingWindow *self, InklingApplication *app);

InklingWindow *
inkling_window_new (InklingApplication *application)
{
  InklingWindow *self;

  g_return_val_if_fail (INKLING_IS_APPLICATION (application), NULL);

  self = g_object_new (INKLING_TYPE_WINDOW, "application", application, NULL);
  inkling_window_setup (self, application);
  return self;
}

void
inkling_window_add_toast (InklingWindow *self, const char *text)
{
  g_return_if_fail (INKLING_IS_WINDOW (self));
  g_return_if_fail (text != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
  if (self->toasts->len == STATE_TOASTS)
    g_ptr_array_remove_index (self->toasts, 0);
  g_ptr_array_add (self->toasts, g_strdup (text));
}

static void
inkling_window_report (InklingWindow *self, const GError *error)
{
  if (error != NULL)
    inkling_window_add_toast (self, error->message);
}

/* The canvas the editing actions work on: the New sticker flow's while it
 * shows, else the Draw page's. */
static InklingCanvas *
inkling_window_get_active_canvas (InklingWindow *self)
{
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);

  if (g_strcmp0 (page, "stickers") == 0 && inkling_stickers_page_get_editing (self->stickers_page))
    return inkling_sticker_editor_get_canvas (
      inkling_stickers_page_get_editor (self->stickers_page));
  return inkling_draw_page_get_canvas (self->draw_page);
}

static void
inkling_window_show_page (InklingWindow *self, const char *name)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "page");

  adw_view_stack_set_visible_child_name (self->view_stack, name);
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_string (name));
}

/* ---- Actions ---- */

static void
change_page (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  InklingWindow *self = user_data;
  const char *name = g_variant_get_string (value, NULL);

  if (adw_view_stack_get_child_by_name (self->view_stack, name) != NULL)
    inkling_window_show_page (self, name);
}

static void
on_visible_page (AdwViewStack *stack, GParamSpec *pspec, InklingWindow *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "page");
  const char *name = adw_view_stack_get_visible_child_name (stack);

  if (name != NULL)
    g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_string (name));
}

static void
activate_undo (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  inkling_canvas_undo (inkling_window_get_active_canvas (user_data));
}

static void
activate_redo (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  inkling_canvas_redo (inkling_window_get_active_canvas (user_data));
}

static void
activate_clear (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  inkling_canvas_clear (inkling_window_get_active_canvas (user_data));
}

static void
inkling_window_set_presenting (InklingWindow *self, gboolean presenting)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "presenter");
  double width = PRESENTER_STROKE_WIDTH;

  self->presenting = presenting;
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (presenting));
  /* Escape is its accelerator: leave it to popovers and entries otherwise. */
  g_simple_action_set_enabled (
    G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "leave-presenter")),
    presenting);
  if (self->settings != NULL)
    width = g_settings_get_double (self->settings, "presenter-stroke-width");
  inkling_draw_page_set_presenting (self->draw_page, presenting,
                                    presenting ? width : DEFAULT_STROKE_WIDTH);
  if (presenting) {
    inkling_window_show_page (self, "draw");
    gtk_widget_add_css_class (GTK_WIDGET (self), "presenter");
    gtk_window_fullscreen (GTK_WINDOW (self));
  } else {
    gtk_widget_remove_css_class (GTK_WIDGET (self), "presenter");
    gtk_window_unfullscreen (GTK_WINDOW (self));
  }
}

static void
change_presenter (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  inkling_window_set_presenting (user_data, g_variant_get_boolean (value));
}

static void
activate_leave_presenter (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;

  if (self->presenting)
    inkling_window_set_presenting (self, FALSE);
}

static void
activate_teach (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  g_autoptr (GError) error = NULL;

  if (!inkling_draw_page_teach (self->draw_page, g_variant_get_string (parameter, NULL), NULL,
                                &error))
    inkling_window_report (self, error);
}

static void
activate_new_sticker (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;

  if (self->presenting)
    inkling_window_set_presenting (self, FALSE);
  inkling_window_show_page (self, "stickers");
  inkling_stickers_page_show_editor (self->stickers_page);
}

static void
activate_sticker_emoji (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;

  inkling_sticker_editor_set_emoji (inkling_stickers_page_get_editor (self->stickers_page),
                                    g_variant_get_string (parameter, NULL));
}

static void
activate_sticker_next (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  g_autoptr (GError) error = NULL;

  if (!inkling_sticker_editor_next (inkling_stickers_page_get_editor (self->stickers_page), &error))
    inkling_window_report (self, error);
}

static void
activate_sticker_add_drawing (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  g_autoptr (GError) error = NULL;

  if (!inkling_sticker_editor_add_drawing (inkling_stickers_page_get_editor (self->stickers_page),
                                           &error))
    inkling_window_report (self, error);
}

static void
activate_sticker_clear (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;

  inkling_canvas_clear (
    inkling_sticker_editor_get_canvas (inkling_stickers_page_get_editor (self->stickers_page)));
}

static void
activate_sticker_close (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;

  inkling_stickers_page_show_list (self->stickers_page);
}

static void
on_deleted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InklingWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!inkling_model_manager_delete_finish (INKLING_MODEL_MANAGER (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    inkling_window_report (self, error);
}

static InklingStore *
inkling_window_get_store (InklingWindow *self)
{
  return self->manager != NULL ? inkling_model_manager_get_store (self->manager) : NULL;
}

static void
activate_delete_sticker (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  InklingStore *store = inkling_window_get_store (self);
  InklingSticker *found = NULL;
  g_autoptr (InklingSticker) sticker = NULL;

  if (store != NULL)
    found = inkling_store_find_sticker (store, g_variant_get_int64 (parameter));
  if (found == NULL)
    return;
  /* The store's reference is borrowed, and goes with the deletion. */
  sticker = g_object_ref (found);
  inkling_model_manager_delete_sticker_async (self->manager, sticker, NULL, on_deleted,
                                              g_object_ref (self));
}

static void
activate_delete_example (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  InklingStore *store = inkling_window_get_store (self);
  GListModel *stickers = store != NULL ? inkling_store_get_stickers (store) : NULL;
  gint64 id = g_variant_get_int64 (parameter);

  for (guint i = 0; stickers != NULL && i < g_list_model_get_n_items (stickers); i++) {
    g_autoptr (InklingSticker) sticker = g_list_model_get_item (stickers, i);
    GListModel *examples = inkling_sticker_get_examples (sticker);

    for (guint j = 0; j < g_list_model_get_n_items (examples); j++) {
      g_autoptr (InklingExample) example = g_list_model_get_item (examples, j);

      if (inkling_example_get_id (example) == id) {
        inkling_model_manager_delete_example_async (self->manager, example, NULL, on_deleted,
                                                    g_object_ref (self));
        return;
      }
    }
  }
}

/* Files chosen to import: the file chooser's answer and win.import-image-files
 * (the drop target and paste call the page's same import). */
static void
inkling_window_import_images (InklingWindow *self, GSList *files)
{
  inkling_window_show_page (self, "images");
  inkling_images_page_import_files (self->images_page, files);
}

static void
on_import_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  g_autoptr (InklingWindow) self = user_data;
  g_autoptr (GListModel) files = NULL;
  GSList *list = NULL;

  if (response == GTK_RESPONSE_ACCEPT) {
    files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
    for (guint i = g_list_model_get_n_items (files); i > 0; i--)
      list = g_slist_prepend (list, g_list_model_get_item (files, i - 1));
    inkling_window_import_images (self, list);
    g_slist_free_full (list, g_object_unref);
  }
  g_object_unref (dialog);
}

/* Takes file URIs or paths ("as"). */
static void
activate_import_image_files (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  gsize n = 0;
  g_autofree const char **names = g_variant_get_strv (parameter, &n);
  GSList *list = NULL;

  for (gsize i = n; i > 0; i--)
    list = g_slist_prepend (list, g_file_new_for_commandline_arg (names[i - 1]));
  inkling_window_import_images (self, list);
  g_slist_free_full (list, g_object_unref);
}

static void
activate_import_images (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
    "Import Images", GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN, "_Import", "_Cancel");
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, "Images");
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_filter_add_mime_type (filter, "image/jpeg");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (dialog), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_import_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
activate_import_demo_images (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  g_autoptr (GError) error = NULL;

  inkling_window_show_page (self, "images");
  if (!inkling_images_page_import_demo (self->images_page, &error))
    inkling_window_report (self, error);
}

static void
activate_paste_images (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;

  inkling_window_show_page (self, "images");
  inkling_images_page_paste (self->images_page);
}

static void
activate_relabel_image (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  g_autoptr (GError) error = NULL;
  gint64 id;
  const char *label;

  g_variant_get (parameter, "(x&s)", &id, &label);
  if (!inkling_images_page_relabel (self->images_page, id, label, &error))
    inkling_window_report (self, error);
}

static void
activate_train_images (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  g_autoptr (GError) error = NULL;

  inkling_window_show_page (self, "images");
  if (!inkling_images_page_train (self->images_page, &error))
    inkling_window_report (self, error);
}

static void
activate_cancel_training (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;

  inkling_images_page_cancel_training (self->images_page);
}

static void
on_exported (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InklingWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!inkling_model_manager_export_finish (INKLING_MODEL_MANAGER (source), result, &error))
    inkling_window_report (self, error);
  else
    inkling_window_add_toast (self, "Model exported");
}

/* The file chooser's answer and win.export-model-file: a Core ML model
 * when the name ends in ".mlmodel", else a compiled .inkmodel. */
static void
inkling_window_export_model (InklingWindow *self, GFile *file)
{
  if (self->manager != NULL)
    inkling_model_manager_export_async (self->manager, file, NULL, on_exported,
                                        g_object_ref (self));
}

static void
on_export_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  g_autoptr (InklingWindow) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

    inkling_window_export_model (self, file);
  }
  g_object_unref (dialog);
}

/* Takes a file URI or path. */
static void
activate_export_model_file (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (g_variant_get_string (parameter, NULL));

  inkling_window_export_model (user_data, file);
}

static void
activate_export_model (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  const char *format = g_variant_get_string (parameter, NULL);
  g_autofree char *name = NULL;
  GtkFileChooserNative *dialog;

  if (self->manager == NULL)
    return;
  name = g_strdup_printf ("inkling-drawing-classifier.%s",
                          strcmp (format, "mlmodel") == 0 ? "mlmodel" : "inkmodel");
  dialog = gtk_file_chooser_native_new ("Export Model", GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, "_Export", "_Cancel");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_model_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InklingWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  InklingModelManager *manager = INKLING_MODEL_MANAGER (source);
  const char *path;
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;

  if (!inkling_model_manager_open_model_finish (manager, result, &error)) {
    inkling_window_report (self, error);
    return;
  }
  path = inkling_model_manager_get_opened_file (manager);
  name = path[0] != '\0' ? g_path_get_basename (path) : g_strdup ("the model file");
  text = g_strdup_printf ("Opened %s: %s runs now", name,
                          inkling_model_manager_get_model_name (manager));
  inkling_window_add_toast (self, text);
}

/* The file chooser's answer, win.open-model-file and files given to the
 * application (inkling FILE). */
static void
inkling_window_open_model_file (InklingWindow *self, GFile *file)
{
  if (self->manager == NULL) {
    g_autofree char *name = g_file_get_parse_name (file);
    g_autofree char *text =
      g_strdup_printf ("Cannot open %s: Inkling could not load its own model", name);

    inkling_window_add_toast (self, text);
    return;
  }
  inkling_model_manager_open_model_async (self->manager, file, NULL, on_model_opened,
                                          g_object_ref (self));
}

static void
on_open_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  g_autoptr (InklingWindow) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

    inkling_window_open_model_file (self, file);
  }
  g_object_unref (dialog);
}

/* Takes a file URI or path. */
static void
activate_open_model_file (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (g_variant_get_string (parameter, NULL));

  inkling_window_open_model_file (user_data, file);
}

static void
activate_open_model (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  GtkFileChooserNative *dialog;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->manager == NULL)
    return;
  dialog = gtk_file_chooser_native_new ("Open a Model File", GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, "_Open", "_Cancel");
  gtk_file_filter_set_name (filter, "Models (.mlmodel, .inkmodel)");
  gtk_file_filter_add_suffix (filter, "mlmodel");
  gtk_file_filter_add_suffix (filter, "inkmodel");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_reset_response (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  InklingWindow *self = user_data;

  if (g_strcmp0 (response, "reset") == 0 && self->manager != NULL)
    inkling_model_manager_reset_personalization_async (self->manager, NULL, on_deleted,
                                                       g_object_ref (self));
}

static void
activate_reset_personalization (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingWindow *self = user_data;
  AdwMessageDialog *dialog =
    inkling_confirm_dialog_new (GTK_WINDOW (self), "Reset Personalization?",
                                "Every sticker and example you taught is deleted, and the model "
                                "goes back to what it was before. This cannot be undone.",
                                "reset", "_Reset");

  /* Its window's name, for window lists (and the ui tests). */
  gtk_window_set_title (GTK_WINDOW (dialog), "Reset Personalization");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_reset_response), self, 0);
  g_set_weak_pointer (&self->dialog, dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static const GActionEntry win_actions[] = {
  {.name = "page", .parameter_type = "s", .state = "'draw'", .change_state = change_page},
  {.name = "undo", .activate = activate_undo},
  {.name = "redo", .activate = activate_redo},
  {.name = "clear", .activate = activate_clear},
  {.name = "presenter", .state = "false", .change_state = change_presenter},
  {.name = "leave-presenter", .activate = activate_leave_presenter},
  {.name = "teach", .parameter_type = "s", .activate = activate_teach},
  {.name = "new-sticker", .activate = activate_new_sticker},
  {.name = "sticker-emoji", .parameter_type = "s", .activate = activate_sticker_emoji},
  {.name = "sticker-next", .activate = activate_sticker_next},
  {.name = "sticker-add-drawing", .activate = activate_sticker_add_drawing},
  {.name = "sticker-clear", .activate = activate_sticker_clear},
  {.name = "sticker-close", .activate = activate_sticker_close},
  {.name = "delete-sticker", .parameter_type = "x", .activate = activate_delete_sticker},
  {.name = "delete-example", .parameter_type = "x", .activate = activate_delete_example},
  {.name = "import-images", .activate = activate_import_images},
  {.name = "import-image-files", .parameter_type = "as", .activate = activate_import_image_files},
  {.name = "import-demo-images", .activate = activate_import_demo_images},
  {.name = "paste-images", .activate = activate_paste_images},
  {.name = "relabel-image", .parameter_type = "(xs)", .activate = activate_relabel_image},
  {.name = "train-images", .activate = activate_train_images},
  {.name = "cancel-training", .activate = activate_cancel_training},
  {.name = "export-model", .parameter_type = "s", .activate = activate_export_model},
  {.name = "export-model-file", .parameter_type = "s", .activate = activate_export_model_file},
  {.name = "open-model", .activate = activate_open_model},
  {.name = "open-model-file", .parameter_type = "s", .activate = activate_open_model_file},
  {.name = "reset-personalization", .activate = activate_reset_personalization},
};

/* ---- Undo and redo sensitivity ---- */

static void
inkling_window_update_edit_actions (InklingWindow *self)
{
  InklingCanvas *canvas = inkling_window_get_active_canvas (self);
  GAction *undo = g_action_map_lookup_action (G_ACTION_MAP (self), "undo");
  GAction *redo = g_action_map_lookup_action (G_ACTION_MAP (self), "redo");
  GAction *clear = g_action_map_lookup_action (G_ACTION_MAP (self), "clear");

  g_simple_action_set_enabled (G_SIMPLE_ACTION (undo), inkling_canvas_get_can_undo (canvas));
  g_simple_action_set_enabled (G_SIMPLE_ACTION (redo), inkling_canvas_get_can_redo (canvas));
  g_simple_action_set_enabled (G_SIMPLE_ACTION (clear), !inkling_canvas_get_is_empty (canvas) ||
                                                          inkling_canvas_get_can_redo (canvas));
}

static void
on_canvas_state (GObject *object, GParamSpec *pspec, InklingWindow *self)
{
  inkling_window_update_edit_actions (self);
}

static void
inkling_window_watch_canvas (InklingWindow *self, InklingCanvas *canvas)
{
  g_signal_connect_object (canvas, "notify::can-undo", G_CALLBACK (on_canvas_state), self, 0);
  g_signal_connect_object (canvas, "notify::can-redo", G_CALLBACK (on_canvas_state), self, 0);
  g_signal_connect_object (canvas, "notify::is-empty", G_CALLBACK (on_canvas_state), self, 0);
}

/* ---- The test state file ---- */

/* The buttons showing under widget, with their labels and bounds. */
static void
describe_buttons (GtkWidget *widget, GVariantBuilder *buttons)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    if (GTK_IS_BUTTON (child) && gtk_widget_get_mapped (child) &&
        gtk_button_get_label (GTK_BUTTON (child)) != NULL) {
      GVariantDict button;

      g_variant_dict_init (&button, NULL);
      g_variant_dict_insert (&button, "label", "s", gtk_button_get_label (GTK_BUTTON (child)));
      g_variant_dict_insert_value (&button, "bounds", inkling_state_describe_bounds (child));
      g_variant_builder_add_value (buttons, g_variant_dict_end (&button));
    } else {
      describe_buttons (child, buttons);
    }
  }
}

static GVariant *
inkling_window_describe_dialog (InklingWindow *self)
{
  GVariantDict dict;
  GVariantBuilder buttons;
  const char *title = gtk_window_get_title (GTK_WINDOW (self->dialog));
  const char *heading = adw_message_dialog_get_heading (self->dialog);

  g_variant_builder_init (&buttons, G_VARIANT_TYPE ("aa{sv}"));
  describe_buttons (GTK_WIDGET (self->dialog), &buttons);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "title", "s", title != NULL ? title : "");
  g_variant_dict_insert (&dict, "heading", "s", heading != NULL ? heading : "");
  g_variant_dict_insert (&dict, "visible", "b", gtk_widget_get_visible (GTK_WIDGET (self->dialog)));
  g_variant_dict_insert_value (&dict, "buttons", g_variant_builder_end (&buttons));
  return g_variant_dict_end (&dict);
}

static GVariant *
inkling_window_describe (InklingWindow *self)
{
  GVariantDict dict;
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);
  InklingApplication *app = INKLING_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "title", "s", gtk_window_get_title (GTK_WINDOW (self)));
  g_variant_dict_insert (&dict, "view", "s", gtk_stack_get_visible_child_name (self->stack));
  g_variant_dict_insert (&dict, "page", "s", page != NULL ? page : "");
  g_variant_dict_insert (&dict, "presenter", "b", self->presenting);
  g_variant_dict_insert (&dict, "fullscreen", "b", gtk_window_is_fullscreen (GTK_WINDOW (self)));
  g_variant_dict_insert (&dict, "layouts", "u", self->layouts);
  if (self->manager != NULL) {
    g_variant_dict_insert (&dict, "busy", "b", inkling_model_manager_get_busy (self->manager));
    g_variant_dict_insert_value (&dict, "draw", inkling_draw_page_describe (self->draw_page));
    g_variant_dict_insert_value (&dict, "stickers",
                                 inkling_stickers_page_describe (self->stickers_page));
    g_variant_dict_insert_value (&dict, "images", inkling_images_page_describe (self->images_page));
    g_variant_dict_insert_value (&dict, "model", inkling_model_page_describe (self->model_page));
  }
  if (self->dialog != NULL)
    g_variant_dict_insert_value (&dict, "dialog", inkling_window_describe_dialog (self));
  g_variant_dict_insert_value (
    &dict, "toasts",
    g_variant_new_strv ((const char *const *) self->toasts->pdata, self->toasts->len));
  /* The settings pane, a window of its own, while it is open. */
  if (app != NULL && inkling_application_get_preferences (app) != NULL)
    g_variant_dict_insert_value (
      &dict, "preferences",
      inkling_preferences_window_describe (inkling_application_get_preferences (app)));
  return g_variant_dict_end (&dict);
}

/* Each relayout of the whole window: the toplevel computes its size again
 * (under X11 with round trips to the server). The tests check that new
 * guesses cause none. */
static void
on_compute_size (GdkToplevel *toplevel, GdkToplevelSize *size, InklingWindow *self)
{
  self->layouts++;
}

static void
on_realize_count_layouts (GtkWidget *widget, gpointer user_data)
{
  g_signal_connect_object (gtk_native_get_surface (GTK_NATIVE (widget)), "compute-size",
                           G_CALLBACK (on_compute_size), widget, 0);
}

static gboolean
inkling_window_write_state (gpointer user_data)
{
  InklingWindow *self = user_data;
  g_autoptr (GVariant) state = g_variant_ref_sink (inkling_window_describe (self));
  g_autofree char *json = inkling_state_to_json (state);
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (json, self->last_state) == 0)
    return G_SOURCE_CONTINUE;
  if (!g_file_set_contents (self->state_file, json, -1, &error))
    g_warning ("Cannot write the state file: %s", error->message);
  g_free (self->last_state);
  self->last_state = g_steal_pointer (&json);
  return G_SOURCE_CONTINUE;
}

/* ---- Setup ---- */

static void
on_model_name (InklingModelManager *manager, GParamSpec *pspec, InklingWindow *self)
{
  g_autofree char *title =
    g_strdup_printf ("Inkling — %s", inkling_model_manager_get_model_name (manager));

  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_view_switcher_title_set_subtitle (self->switcher_title,
                                        inkling_model_manager_get_model_name (manager));
}

static void
inkling_window_show_error (InklingWindow *self, const char *path, const GError *error)
{
  g_autofree char *description = NULL;
  g_autofree char *markup = NULL;
  const char *message = error != NULL ? error->message : "No model could be loaded.";

  /* Engine messages usually name the file already. */
  if (path == NULL || strstr (message, path) != NULL) {
    description = g_strdup (message);
    markup = g_markup_escape_text (message, -1);
  } else {
    description = g_strdup_printf ("%s\n\n%s", message, path);
    markup = g_markup_printf_escaped ("%s\n\n<small>%s</small>", message, path);
  }
  adw_status_page_set_description (self->error_page, markup);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->error_page),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  gtk_stack_set_visible_child_name (self->stack, "error");
  gtk_window_set_title (GTK_WINDOW (self), "Inkling");
}

static void
inkling_window_setup (InklingWindow *self, InklingApplication *app)
{
  InklingModelManager *manager = inkling_application_get_manager (app);

  if (manager == NULL || inkling_model_manager_get_model (manager) == NULL) {
    inkling_window_show_error (self, inkling_application_get_bundled_model_path (app),
                               inkling_application_get_model_error (app));
    return;
  }

  self->manager = manager;
  inkling_draw_page_set_manager (self->draw_page, manager);
  inkling_stickers_page_set_manager (self->stickers_page, manager);
  inkling_images_page_set_manager (self->images_page, manager);
  inkling_model_page_set_manager (self->model_page, manager);
  g_signal_connect_object (manager, "notify::model-name", G_CALLBACK (on_model_name), self, 0);
  on_model_name (manager, NULL, self);
  gtk_stack_set_visible_child_name (self->stack, "main");
}

static void
inkling_window_dispose (GObject *object)
{
  InklingWindow *self = INKLING_WINDOW (object);

  g_clear_handle_id (&self->state_id, g_source_remove);
  g_clear_weak_pointer (&self->dialog);
  self->manager = NULL;

  G_OBJECT_CLASS (inkling_window_parent_class)->dispose (object);
}

static void
inkling_window_finalize (GObject *object)
{
  InklingWindow *self = INKLING_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_pointer (&self->state_file, g_free);
  g_clear_pointer (&self->last_state, g_free);
  g_clear_pointer (&self->toasts, g_ptr_array_unref);

  G_OBJECT_CLASS (inkling_window_parent_class)->finalize (object);
}

static void
inkling_window_class_init (InklingWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inkling_window_dispose;
  object_class->finalize = inkling_window_finalize;

  g_type_ensure (INKLING_TYPE_DRAW_PAGE);
  g_type_ensure (INKLING_TYPE_IMAGES_PAGE);
  g_type_ensure (INKLING_TYPE_MODEL_PAGE);
  g_type_ensure (INKLING_TYPE_STICKERS_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/inkling/Inkling/inkling-window.ui");
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, draw_page);
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, images_page);
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, model_page);
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, stickers_page);
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, view_stack);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close",
                                       NULL);
}

static void
inkling_window_init (InklingWindow *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;
  const char *state_file = g_getenv ("INKLING_TEST_STATE_FILE");

  gtk_widget_init_template (GTK_WIDGET (self));
  self->toasts = g_ptr_array_new_with_free_func (g_free);

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions),
                                   self);
  g_signal_connect_object (self->view_stack, "notify::visible-child-name",
                           G_CALLBACK (on_visible_page), self, 0);
  g_signal_connect_object (self->view_stack, "notify::visible-child-name",
                           G_CALLBACK (on_canvas_state), self, 0);
  inkling_window_watch_canvas (self, inkling_draw_page_get_canvas (self->draw_page));
  inkling_window_watch_canvas (self, inkling_sticker_editor_get_canvas (
                                       inkling_stickers_page_get_editor (self->stickers_page)));
  inkling_window_update_edit_actions (self);
  g_simple_action_set_enabled (
    G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "leave-presenter")), FALSE);

  /* Preferences when the schema is installed (it is not in every test). */
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, INKLING_APP_ID, TRUE);
  if (schema != NULL) {
    self->settings = g_settings_new (INKLING_APP_ID);
    g_settings_bind (self->settings, "window-width", self, "default-width",
                     G_SETTINGS_BIND_DEFAULT);
    g_settings_bind (self->settings, "window-height", self, "default-height",
                     G_SETTINGS_BIND_DEFAULT);
    g_settings_bind (self->settings, "window-maximized", self, "maximized",
                     G_SETTINGS_BIND_DEFAULT);
  }

  if (state_file != NULL && state_file[0] != '\0') {
    self->state_file = g_strdup (state_file);
    self->state_id = g_timeout_add (STATE_INTERVAL_MS, inkling_window_write_state, self);
    g_signal_connect_after (self, "realize", G_CALLBACK (on_realize_count_layouts), NULL);
  }
}

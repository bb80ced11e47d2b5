/* inkling-application.c: the Inkling application
 *
 * Owns what outlives a window: the personalization store, the model
 * manager (which loads the live models at startup), the updater (remote
 * model updates, its settings bound to GSettings), the application actions
 * (about, quit, preferences, the remote-* operations of the settings pane)
 * and their accelerators. Messages of the model manager and of the
 * operations become toasts in the settings pane when it is the active
 * window, else in the main window (kept until one shows).
 *
 * Files on the command line (`inkling FILE.mlmodel`) or opened from a file
 * manager (the desktop file's MimeType) go to the running instance
 * (G_APPLICATION_HANDLES_OPEN) and are opened as the Model page's "Open a
 * model file" does: its win.open-model-file action.
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-config.h"

#include "inkling-application.h"
#include "inkling-bench.h"
#include "inkling-confirm-dialog.h"
#include "inkling-engine-autoptr.h"
#include "inkling-error.h"
#include "inkling-model-manager.h"
#include "inkling-preferences-window.h"
#include "inkling-store.h"
#include "inkling-updater.h"
#include "inkling-window.h"

struct _InklingApplication {
  AdwApplication parent_instance;

  /* Owned References */
  char *bundled_model_path;
  GError *model_error;
  InklingStore *store;
  InklingModelManager *manager;
  InklingUpdater *updater;     /* NULL when no drawing model loaded */
  GSettings *settings;         /* NULL when the schema is not installed */
  GPtrArray *pending_messages; /* toasts waiting for a window */

  /* Weak References */
  InklingPreferencesWindow *preferences;
};

G_DEFINE_FINAL_TYPE (InklingApplication, inkling_application, ADW_TYPE_APPLICATION)

InklingApplication *
inkling_application_new (void)
{
  /* The resource base path, /io/github/inkling/Inkling, follows from the id. */
  return g_object_new (INKLING_TYPE_APPLICATION, "application-id", INKLING_APP_ID, "flags",
                       G_APPLICATION_HANDLES_OPEN, NULL);
}

const char *
inkling_application_get_bundled_model_path (InklingApplication *self)
{
  g_return_val_if_fail (INKLING_IS_APPLICATION (self), NULL);

  return self->bundled_model_path;
}

const InkModel *
inkling_application_get_model (InklingApplication *self)
{
  g_return_val_if_fail (INKLING_IS_APPLICATION (self), NULL);

  return self->manager != NULL ? inkling_model_manager_get_model (self->manager) : NULL;
}

InklingModelManager *
inkling_application_get_manager (InklingApplication *self)
{
  g_return_val_if_fail (INKLING_IS_APPLICATION (self), NULL);

  return self->manager;
}

const GError *
inkling_application_get_model_error (InklingApplication *self)
{
  g_return_val_if_fail (INKLING_IS_APPLICATION (self), NULL);

  return self->model_error;
}

InklingUpdater *
inkling_application_get_updater (InklingApplication *self)
{
  g_return_val_if_fail (INKLING_IS_APPLICATION (self), NULL);

  return self->updater;
}

InklingPreferencesWindow *
inkling_application_get_preferences (InklingApplication *self)
{
  g_return_val_if_fail (INKLING_IS_APPLICATION (self), NULL);

  return self->preferences;
}

static void
inkling_application_toast (InklingApplication *self, const char *text)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (self->preferences != NULL && gtk_window_is_active (GTK_WINDOW (self->preferences))) {
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self->preferences),
                                      adw_toast_new (text));
    return;
  }
  if (INKLING_IS_WINDOW (window))
    inkling_window_add_toast (INKLING_WINDOW (window), text);
  else
    g_ptr_array_add (self->pending_messages, g_strdup (text));
}

static void
on_manager_message (InklingModelManager *manager, const char *text, InklingApplication *self)
{
  g_message ("%s", text);
  inkling_application_toast (self, text);
}

/* ---- Remote model updates ---- */

static gboolean
hours_to_seconds (GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_uint (value, MIN (g_variant_get_uint32 (variant), G_MAXUINT / 3600) * 3600);
  return TRUE;
}

static void
on_updater_message (InklingUpdater *updater, const char *text, InklingApplication *self)
{
  inkling_application_toast (self, text);
}

static void
on_previous_name (InklingUpdater *updater, GParamSpec *pspec, InklingApplication *self)
{
  GAction *rollback = g_action_map_lookup_action (G_ACTION_MAP (self), "remote-rollback");

  g_simple_action_set_enabled (G_SIMPLE_ACTION (rollback),
                               inkling_updater_get_previous_name (updater)[0] != '\0');
}

static void
on_updater_busy (InklingUpdater *updater, GParamSpec *pspec, InklingApplication *self)
{
  GAction *cancel = g_action_map_lookup_action (G_ACTION_MAP (self), "remote-cancel");

  g_simple_action_set_enabled (G_SIMPLE_ACTION (cancel), inkling_updater_get_busy (updater));
}

/* The updater on the manager's model folder, its settings followed. */
static void
inkling_application_start_updater (InklingApplication *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  self->updater = inkling_updater_new (self->manager);
  g_signal_connect_object (self->updater, "message", G_CALLBACK (on_updater_message), self, 0);
  g_signal_connect_object (self->updater, "notify::previous-name", G_CALLBACK (on_previous_name),
                           self, 0);
  on_previous_name (self->updater, NULL, self);
  g_signal_connect_object (self->updater, "notify::busy", G_CALLBACK (on_updater_busy), self, 0);
  on_updater_busy (self->updater, NULL, self);
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, INKLING_APP_ID, TRUE);
  if (schema == NULL)
    return;
  self->settings = g_settings_new (INKLING_APP_ID);
  g_settings_bind (self->settings, "remote-server-url", self->updater, "server-url",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "remote-channel", self->updater, "channel", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "remote-public-key", self->updater, "public-key",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "remote-ca-file", self->updater, "ca-file", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "remote-automatic-checks", self->updater, "automatic-checks",
                   G_SETTINGS_BIND_GET);
  g_settings_bind_with_mapping (self->settings, "remote-check-interval", self->updater,
                                "check-interval", G_SETTINGS_BIND_GET, hours_to_seconds, NULL, NULL,
                                NULL);
}

/* The end of an operation the user started: its outcome as a toast. */
static void
on_remote_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InklingApplication) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = inkling_updater_finish (INKLING_UPDATER (source), result, &error);

  if (summary != NULL) {
    inkling_application_toast (self, summary);
  } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_autofree char *text = g_strdup_printf ("%s: the running model stays", error->message);

    inkling_application_toast (self, text);
  } else {
    inkling_application_toast (self, error->message);
  }
}

static void
inkling_application_remote_check (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingApplication *self = user_data;

  if (self->updater != NULL)
    inkling_updater_check_async (self->updater, NULL, on_remote_done, g_object_ref (self));
}

/* The parameter: a version of the manifest, or "" for the newest. */
static void
inkling_application_remote_install (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingApplication *self = user_data;

  if (self->updater != NULL)
    inkling_updater_install_async (self->updater, g_variant_get_string (parameter, NULL), NULL,
                                   on_remote_done, g_object_ref (self));
}

static void
inkling_application_remote_rollback (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingApplication *self = user_data;

  if (self->updater != NULL)
    inkling_updater_rollback_async (self->updater, NULL, on_remote_done, g_object_ref (self));
}

static void
on_reset_response (AdwMessageDialog *dialog, const char *response, InklingApplication *self)
{
  if (g_strcmp0 (response, "reset") == 0 && self->updater != NULL)
    inkling_updater_reset_async (self->updater, NULL, on_remote_done, g_object_ref (self));
}

static void
inkling_application_remote_reset (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingApplication *self = user_data;
  GtkWindow *parent = self->preferences != NULL
                        ? GTK_WINDOW (self->preferences)
                        : gtk_application_get_active_window (GTK_APPLICATION (self));
  AdwMessageDialog *dialog = inkling_confirm_dialog_new (
    parent, "Reset to the Bundled Model?",
    "The model Inkling shipped with runs again, with your stickers applied to it. The model "
    "running now is kept, so that you can roll back to it.",
    "reset", "_Reset");

  g_signal_connect_object (dialog, "response", G_CALLBACK (on_reset_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Cancels the update operation running (Cancel in the settings pane). */
static void
inkling_application_remote_cancel (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingApplication *self = user_data;

  if (self->updater != NULL)
    inkling_updater_cancel (self->updater);
}

static void
inkling_application_remote_copy_log (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingApplication *self = user_data;
  g_autofree char *text = NULL;

  if (self->updater == NULL)
    return;
  text = inkling_updater_dup_log_text (self->updater);
  gdk_clipboard_set_text (gdk_display_get_clipboard (gdk_display_get_default ()), text);
  inkling_application_toast (self, "Activity log copied");
}

static void
inkling_application_preferences (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingApplication *self = user_data;

  if (self->updater == NULL)
    return;
  if (self->preferences == NULL) {
    self->preferences =
      inkling_preferences_window_new (self->manager, self->updater, self->settings);
    g_object_add_weak_pointer (G_OBJECT (self->preferences), (gpointer *) &self->preferences);
    /* The buttons' app.* actions, without making it one of the app's
     * windows (the main window stays the active one toasts go to). */
    gtk_widget_insert_action_group (GTK_WIDGET (self->preferences), "app", G_ACTION_GROUP (self));
    gtk_window_set_transient_for (GTK_WINDOW (self->preferences),
                                  gtk_application_get_active_window (GTK_APPLICATION (self)));
  }
  gtk_window_present (GTK_WINDOW (self->preferences));
}

/* Opens the store (a damaged one is moved aside, so that nothing in it is
 * overwritten, and a new one started) and starts the model manager. The
 * models are mapped, which is near-instant; rebuilding a personalized model
 * runs on the manager's worker. */
static void
inkling_application_load (InklingApplication *self)
{
  g_autoptr (GError) error = NULL;

  self->store = inkling_store_open (NULL, 0, &error);
  if (self->store == NULL &&
      g_error_matches (error, INKLING_STORE_ERROR, INKLING_STORE_ERROR_CORRUPT)) {
    g_autofree char *path = inkling_store_default_path ();
    g_autofree char *aside = NULL;
    g_autofree char *text = NULL;

    g_clear_error (&error);
    if (inkling_store_move_aside (path, &aside, &error)) {
      text = g_strdup_printf ("Your stickers database was damaged: it was kept as %s and a new "
                              "one started.",
                              aside);
      inkling_application_toast (self, text);
      self->store = inkling_store_open (NULL, 0, &error);
    }
  }
  if (self->store == NULL) {
    g_autofree char *text = g_strdup_printf ("Your stickers cannot be saved: %s", error->message);

    g_warning ("%s", text);
    inkling_application_toast (self, text);
    g_clear_error (&error);
  }

  self->manager = inkling_model_manager_new (self->store, NULL, self->bundled_model_path, NULL);
  g_signal_connect_object (self->manager, "message", G_CALLBACK (on_manager_message), self, 0);
  if (!inkling_model_manager_start (self->manager, &error)) {
    g_warning ("Cannot load the drawing model %s: %s", self->bundled_model_path, error->message);
    self->model_error = g_steal_pointer (&error);
    return;
  }
  inkling_application_start_updater (self);
}

static void
inkling_application_about (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingApplication *self = user_data;
  static const char *developers[] = {"The Inkling contributors", NULL};
  g_autofree char *debug_info = NULL;
  GtkWindow *parent;
  AdwAboutWindow *about;

  g_assert (INKLING_IS_APPLICATION (self));

  debug_info =
    g_strdup_printf ("Bundled model: %s\nModel status: %s\nStore: %s\n", self->bundled_model_path,
                     self->model_error != NULL ? self->model_error->message : "loaded",
                     self->store != NULL ? inkling_store_get_path (self->store) : "not open");

  parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  about = ADW_ABOUT_WINDOW (adw_about_window_new ());
  adw_about_window_set_application_name (about, "Inkling");
  adw_about_window_set_version (about, INKLING_VERSION);
  adw_about_window_set_comments (about, "Teach the computer your own stickers: draw a doodle, "
                                        "name it, and an on-device classifier learns it at once.");
  adw_about_window_set_developer_name (about, "The Inkling contributors");
  adw_about_window_set_developers (about, developers);
  adw_about_window_set_copyright (about, "© The Inkling contributors");
  adw_about_window_set_license_type (about, GTK_LICENSE_MIT_X11);
  adw_about_window_set_debug_info (about, debug_info);
  gtk_window_set_transient_for (GTK_WINDOW (about), parent);
  gtk_window_set_modal (GTK_WINDOW (about), TRUE);
  gtk_window_present (GTK_WINDOW (about));
}

static void
inkling_application_quit (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  InklingApplication *self = user_data;

  g_assert (INKLING_IS_APPLICATION (self));

  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_actions[] = {
  {.name = "about", .activate = inkling_application_about},
  {.name = "quit", .activate = inkling_application_quit},
  {.name = "preferences", .activate = inkling_application_preferences},
  {.name = "remote-check", .activate = inkling_application_remote_check},
  {.name = "remote-install", .parameter_type = "s", .activate = inkling_application_remote_install},
  {.name = "remote-rollback", .activate = inkling_application_remote_rollback},
  {.name = "remote-reset", .activate = inkling_application_remote_reset},
  {.name = "remote-copy-log", .activate = inkling_application_remote_copy_log},
  {.name = "remote-cancel", .activate = inkling_application_remote_cancel},
};

static void
inkling_application_startup (GApplication *app)
{
  InklingApplication *self = INKLING_APPLICATION (app);
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    {"app.quit", {"<Control>q", NULL}},
    {"app.preferences", {"<Control>comma", NULL}},
    {"win.undo", {"<Control>z", NULL}},
    {"win.redo", {"<Control><Shift>z", "<Control>y", NULL}},
    {"win.clear", {"<Control>Delete", NULL}},
    {"win.presenter", {"F11", NULL}},
    {"win.leave-presenter", {"Escape", NULL}},
    {"win.new-sticker", {"<Control>n", NULL}},
    {"win.open-model", {"<Control>o", NULL}},
    {"win.import-images", {"<Control>i", NULL}},
    {"win.page::draw", {"<Alt>1", NULL}},
    {"win.page::stickers", {"<Alt>2", NULL}},
    {"win.page::images", {"<Alt>3", NULL}},
    {"win.page::model", {"<Alt>4", NULL}},
  };

  G_APPLICATION_CLASS (inkling_application_parent_class)->startup (app);

  /* Light or dark as the system prefers. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);

  inkling_application_load (self);
  if (self->updater == NULL) {
    static const char *const remote[] = {"preferences",     "remote-check", "remote-install",
                                         "remote-rollback", "remote-reset", "remote-copy-log",
                                         "remote-cancel"};

    for (gsize i = 0; i < G_N_ELEMENTS (remote); i++)
      g_simple_action_set_enabled (
        G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), remote[i])), FALSE);
  }
}

/* Stops the updater's worker before the models go (an operation running is
 * cancelled; the model store stays as it was or as it completed). */
static void
inkling_application_shutdown (GApplication *app)
{
  InklingApplication *self = INKLING_APPLICATION (app);

  if (self->updater != NULL)
    inkling_updater_shutdown (self->updater);

  G_APPLICATION_CLASS (inkling_application_parent_class)->shutdown (app);
}

static void
inkling_application_activate (GApplication *app)
{
  InklingApplication *self = INKLING_APPLICATION (app);
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window == NULL) {
    window = GTK_WINDOW (inkling_window_new (self));
    inkling_bench_watch_window (window, self->manager);
    for (guint i = 0; i < self->pending_messages->len; i++)
      inkling_window_add_toast (INKLING_WINDOW (window),
                                g_ptr_array_index (self->pending_messages, i));
    g_ptr_array_set_size (self->pending_messages, 0);
  }

  gtk_window_present (window);
}

/* One model runs at a time, and each one opened replaces the model kept for
 * rollback: of several files, only the first is opened. */
static void
inkling_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  InklingApplication *self = INKLING_APPLICATION (app);
  g_autofree char *uri = NULL;
  GtkWindow *window = NULL;

  g_application_activate (app);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (window == NULL && INKLING_IS_WINDOW (l->data))
      window = l->data;
  if (n_files < 1 || window == NULL)
    return;
  uri = g_file_get_uri (files[0]);
  g_action_group_activate_action (G_ACTION_GROUP (window), "open-model-file",
                                  g_variant_new_string (uri));
  if (n_files > 1) {
    g_autofree char *first = g_file_get_basename (files[0]);
    g_autofree char *second = g_file_get_basename (files[1]);
    g_autofree char *text =
      n_files == 2
        ? g_strdup_printf ("One model runs at a time: only %s was opened, not %s", first, second)
        : g_strdup_printf ("One model runs at a time: only %s was opened, not the %d other files",
                           first, n_files - 1);

    inkling_application_toast (self, text);
  }
}

static void
inkling_application_finalize (GObject *object)
{
  InklingApplication *self = INKLING_APPLICATION (object);

  if (self->preferences != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->preferences), (gpointer *) &self->preferences);
  g_clear_object (&self->updater);
  g_clear_object (&self->settings);
  g_clear_object (&self->manager);
  g_clear_object (&self->store);
  g_clear_error (&self->model_error);
  g_clear_pointer (&self->pending_messages, g_ptr_array_unref);
  g_clear_pointer (&self->bundled_model_path, g_free);

  G_OBJECT_CLASS (inkling_application_parent_class)->finalize (object);
}

static void
inkling_application_class_init (InklingApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = inkling_application_finalize;

  app_class->startup = inkling_application_startup;
  app_class->activate = inkling_application_activate;
  app_class->open = inkling_application_open;
  app_class->shutdown = inkling_application_shutdown;
}

static void
inkling_application_init (InklingApplication *self)
{
  const char *path = g_getenv ("INKLING_BUNDLED_MODEL");

  if (path == NULL || path[0] == '\0')
    path = INKLING_BUNDLED_MODEL_PATH;
  self->bundled_model_path = g_strdup (path);
  self->pending_messages = g_ptr_array_new_with_free_func (g_free);
}

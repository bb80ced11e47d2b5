/* inkling-preferences-window.c: the settings pane
 *
 * A view of the updater (InklingUpdater) and the model manager, followed
 * as they change: the server settings bound to GSettings, the status (a
 * download's progress, with Cancel), the versions of the server's
 * manifest, roll back and reset, the activity log. Every button activates
 * an application action (the CA certificates row's, the pane's own
 * prefs.choose-ca-file and prefs.clear-ca-file); the updater does the work
 * off the main thread.
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-preferences-window.h"

#include "inkling-state.h"

struct _InklingPreferencesWindow {
  AdwPreferencesWindow parent_instance;

  /* Template Widgets */
  GtkSwitch *automatic_switch;
  GtkSpinner *busy_spinner;
  GtkButton *ca_choose_button;
  GtkButton *ca_clear_button;
  AdwActionRow *ca_row;
  GtkButton *cancel_button;
  AdwEntryRow *channel_row;
  GtkButton *check_button;
  GtkSpinButton *interval_spin;
  AdwActionRow *interval_row;
  AdwEntryRow *key_row;
  AdwActionRow *last_check_row;
  GtkTextView *log_view;
  AdwActionRow *next_check_row;
  GtkProgressBar *progress_bar;
  AdwActionRow *progress_row;
  GtkButton *rollback_button;
  AdwActionRow *rollback_row;
  AdwActionRow *running_row;
  AdwPreferencesGroup *server_group;
  AdwEntryRow *server_row;
  AdwPreferencesGroup *status_group;
  GtkListBox *versions_list;

  /* Owned References */
  InklingModelManager *manager;
  InklingUpdater *updater;
  GSettings *settings;
  char *ca_label; /* the choose button's accessible label, for describe() */
};

G_DEFINE_FINAL_TYPE (InklingPreferencesWindow, inkling_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

/* Row data keys of the version rows, for describe(). */
#define ROW_BUTTON "inkling-button"
#define ROW_TARGET "inkling-target"

static char *
format_time (gint64 t)
{
  g_autoptr (GDateTime) time = t > 0 ? g_date_time_new_from_unix_local (t) : NULL;

  return time != NULL ? g_date_time_format (time, "%x %X") : g_strdup ("");
}

static void
set_subtitle (AdwActionRow *row, const char *text)
{
  g_autofree char *markup = g_markup_escape_text (text, -1);

  adw_action_row_set_subtitle (row, markup);
}

static const char *
describe_source (const char *source)
{
  if (g_strcmp0 (source, INKLING_MODEL_SOURCE_BUNDLED) == 0)
    return "bundled with Inkling";
  if (g_strcmp0 (source, INKLING_MODEL_SOURCE_DOWNLOADED) == 0)
    return "downloaded";
  if (g_strcmp0 (source, INKLING_MODEL_SOURCE_OPENED) == 0)
    return "opened from a file";
  if (g_strcmp0 (source, INKLING_MODEL_SOURCE_PERSONALIZED) == 0)
    return "personalized with your stickers";
  return source;
}

/* ---- Following the manager and the updater ---- */

static void
update_running (InklingPreferencesWindow *self)
{
  const char *version = inkling_model_manager_get_model_version (self->manager);
  g_autofree char *text =
    g_strdup_printf ("Version %s · %s", version[0] != '\0' ? version : "unknown",
                     describe_source (inkling_model_manager_get_model_source (self->manager)));

  set_subtitle (self->running_row, text);
}

static void
update_status (InklingPreferencesWindow *self)
{
  InklingUpdater *u = self->updater;
  g_autofree char *last = NULL;
  g_autofree char *next = NULL;
  g_autofree char *rollback = NULL;
  gboolean busy = inkling_updater_get_busy (u);
  const char *operation = inkling_updater_get_operation (u);
  double progress = inkling_updater_get_progress (u);
  const char *problem = inkling_updater_get_problem (u);

  if (inkling_updater_get_last_check (u) == 0) {
    last = g_strdup ("Never");
  } else {
    g_autofree char *when = format_time (inkling_updater_get_last_check (u));

    last = g_strdup_printf ("%s · %s%s", when, inkling_updater_get_last_ok (u) ? "" : "failed: ",
                            inkling_updater_get_last_result (u));
  }
  set_subtitle (self->last_check_row, last);

  if (inkling_updater_get_next_check (u) > 0)
    next = format_time (inkling_updater_get_next_check (u));
  else if (!gtk_switch_get_active (self->automatic_switch))
    next = g_strdup ("Automatic checks are off");
  else
    next = g_strdup ("Set the server URL to check automatically");
  set_subtitle (self->next_check_row, next);

  rollback = inkling_updater_get_previous_name (u)[0] != '\0'
               ? g_strdup_printf ("Back to %s", inkling_updater_get_previous_name (u))
               : g_strdup ("There is no previous model");
  set_subtitle (self->rollback_row, rollback);

  adw_preferences_group_set_description (self->status_group, problem[0] != '\0' ? problem : NULL);
  gtk_spinner_set_spinning (self->busy_spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_row),
                          g_str_equal (operation, "install") || g_str_equal (operation, "update"));
  gtk_progress_bar_set_fraction (self->progress_bar, progress >= 0 ? progress : 0);
}

static void
update_log (InklingPreferencesWindow *self)
{
  g_autofree char *text = inkling_updater_dup_log_text (self->updater);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->log_view);
  GtkTextIter end;

  gtk_text_buffer_set_text (buffer, text, -1);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_view_scroll_to_iter (self->log_view, &end, 0, FALSE, 0, 0);
}

static void
on_manager_notify (GObject *object, GParamSpec *pspec, InklingPreferencesWindow *self)
{
  update_running (self);
}

static void
on_updater_notify (GObject *object, GParamSpec *pspec, InklingPreferencesWindow *self)
{
  update_status (self);
}

static void
on_log_changed (InklingUpdater *updater, InklingPreferencesWindow *self)
{
  update_log (self);
}

static void
on_updater_changed (InklingUpdater *updater, InklingPreferencesWindow *self)
{
  update_status (self);
}

static GtkWidget *
create_version_row (gpointer item, gpointer user_data)
{
  InklingAvailableModel *m = item;
  const char *version = inkling_available_model_get_version (m);
  const char *name = inkling_available_model_get_install_name (m);
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *title = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *label = NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *suffix;

  title = g_markup_printf_escaped ("%s", version[0] != '\0' ? version : name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);

  if (inkling_available_model_get_notes (m)[0] != '\0')
    g_ptr_array_add (parts, g_strdup (inkling_available_model_get_notes (m)));
  if (inkling_available_model_get_published (m) > 0)
    g_ptr_array_add (parts, format_time (inkling_available_model_get_published (m)));
  g_ptr_array_add (parts, g_strdup_printf ("channel %s", inkling_available_model_get_channel (m)));
  if (inkling_available_model_get_size (m) >= 0)
    g_ptr_array_add (parts, g_format_size ((guint64) inkling_available_model_get_size (m)));
  if (!inkling_available_model_get_applies (m))
    g_ptr_array_add (parts, g_strdup_printf ("not for this installation: %s",
                                             inkling_available_model_get_reason (m)));
  else if (inkling_available_model_get_compare (m) < 0)
    g_ptr_array_add (parts, g_strdup ("older than the running model"));
  g_ptr_array_add (parts, NULL);
  joined = g_strjoinv (" · ", (char **) parts->pdata);
  subtitle = g_markup_escape_text (joined, -1);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  if (inkling_available_model_get_active (m)) {
    suffix = gtk_label_new ("Running");
    gtk_widget_add_css_class (suffix, "dim-label");
  } else {
    suffix = gtk_button_new_with_label ("Install");
    label = g_strdup_printf ("Install version %s", name);
    gtk_widget_set_tooltip_text (suffix, label);
    gtk_accessible_update_property (GTK_ACCESSIBLE (suffix), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                    -1);
    gtk_actionable_set_action_name (GTK_ACTIONABLE (suffix), "app.remote-install");
    gtk_actionable_set_action_target (GTK_ACTIONABLE (suffix), "s", name);
  }
  gtk_widget_set_valign (suffix, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix);
  g_object_set_data (G_OBJECT (row), ROW_BUTTON, suffix);
  g_object_set_data_full (G_OBJECT (row), ROW_TARGET, g_strdup (name), g_free);
  return row;
}

/* ---- Settings ---- */

/* The CA certificates row: the file chosen, or the system's. */
static void
update_ca_file (InklingPreferencesWindow *self)
{
  g_autofree char *path =
    self->settings != NULL ? g_settings_get_string (self->settings, "remote-ca-file") : NULL;
  gboolean set = path != NULL && path[0] != '\0';

  set_subtitle (self->ca_row, set ? path : "The system’s (for https:// servers)");
  g_free (self->ca_label);
  self->ca_label =
    g_strdup_printf ("Choose a CA certificates file (now: %s)", set ? path : "the system’s");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->ca_choose_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->ca_label, -1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.clear-ca-file", set);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.choose-ca-file", self->settings != NULL);
}

static void
on_ca_file_changed (GSettings *settings, const char *key, InklingPreferencesWindow *self)
{
  update_ca_file (self);
}

static void
on_ca_file_chosen (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  g_autoptr (InklingPreferencesWindow) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && self->settings != NULL) {
    g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
    g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

    if (path != NULL)
      g_settings_set_string (self->settings, "remote-ca-file", path);
  }
  g_object_unref (dialog);
}

/* prefs.choose-ca-file: a PEM file of CA certificates. */
static void
choose_ca_file (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  InklingPreferencesWindow *self = INKLING_PREFERENCES_WINDOW (widget);
  g_autoptr (GtkFileFilter) pem = gtk_file_filter_new ();
  g_autoptr (GtkFileFilter) all = gtk_file_filter_new ();
  g_autofree char *current = NULL;
  GtkFileChooserNative *dialog;

  if (self->settings == NULL)
    return;
  dialog = gtk_file_chooser_native_new ("Choose CA Certificates", GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, "_Choose", "_Cancel");
  gtk_file_filter_set_name (pem, "PEM certificates (.pem, .crt, .cer)");
  gtk_file_filter_add_suffix (pem, "pem");
  gtk_file_filter_add_suffix (pem, "crt");
  gtk_file_filter_add_suffix (pem, "cer");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), pem);
  gtk_file_filter_set_name (all, "All files");
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
  current = g_settings_get_string (self->settings, "remote-ca-file");
  if (current[0] != '\0') {
    g_autoptr (GFile) file = g_file_new_for_path (current);

    gtk_file_chooser_set_file (GTK_FILE_CHOOSER (dialog), file, NULL);
  }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_ca_file_chosen), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* prefs.clear-ca-file: back to the system's certificates. */
static void
clear_ca_file (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  InklingPreferencesWindow *self = INKLING_PREFERENCES_WINDOW (widget);

  if (self->settings != NULL)
    g_settings_reset (self->settings, "remote-ca-file");
}

static void
bind_settings (InklingPreferencesWindow *self)
{
  if (self->settings == NULL) {
    gtk_widget_set_sensitive (GTK_WIDGET (self->server_group), FALSE);
    adw_preferences_group_set_description (
      self->server_group, "The app’s settings schema is not installed: these cannot be changed.");
    return;
  }
  g_settings_bind (self->settings, "remote-server-url", self->server_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "remote-channel", self->channel_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "remote-public-key", self->key_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "remote-automatic-checks", self->automatic_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "remote-check-interval",
                   gtk_spin_button_get_adjustment (self->interval_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "remote-automatic-checks", self->interval_row, "sensitive",
                   G_SETTINGS_BIND_GET);
  g_signal_connect_object (self->settings, "changed::remote-ca-file",
                           G_CALLBACK (on_ca_file_changed), self, 0);
}

/* ---- Public ---- */

InklingPreferencesWindow *
inkling_preferences_window_new (InklingModelManager *manager, InklingUpdater *updater,
                                GSettings *settings)
{
  InklingPreferencesWindow *self;

  g_return_val_if_fail (INKLING_IS_MODEL_MANAGER (manager), NULL);
  g_return_val_if_fail (INKLING_IS_UPDATER (updater), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (INKLING_TYPE_PREFERENCES_WINDOW, NULL);
  self->manager = g_object_ref (manager);
  self->updater = g_object_ref (updater);
  self->settings = settings != NULL ? g_object_ref (settings) : NULL;

  bind_settings (self);
  update_ca_file (self);
  g_signal_connect_object (manager, "notify", G_CALLBACK (on_manager_notify), self, 0);
  g_signal_connect_object (updater, "notify", G_CALLBACK (on_updater_notify), self, 0);
  g_signal_connect_object (updater, "changed", G_CALLBACK (on_updater_changed), self, 0);
  g_signal_connect_object (updater, "log-changed", G_CALLBACK (on_log_changed), self, 0);
  g_signal_connect_object (self->automatic_switch, "notify::active", G_CALLBACK (on_updater_notify),
                           self, 0);
  gtk_list_box_bind_model (self->versions_list, inkling_updater_get_available (updater),
                           create_version_row, NULL, NULL);
  update_running (self);
  update_status (self);
  update_log (self);
  return self;
}

static GVariant *
describe_versions (InklingPreferencesWindow *self)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->versions_list));
       child != NULL; child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *suffix = g_object_get_data (G_OBJECT (child), ROW_BUTTON);
    GVariantDict dict;

    if (!ADW_IS_ACTION_ROW (child) || suffix == NULL)
      continue;
    g_variant_dict_init (&dict, NULL);
    g_variant_dict_insert (&dict, "title", "s",
                           adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)));
    g_variant_dict_insert (&dict, "subtitle", "s",
                           adw_action_row_get_subtitle (ADW_ACTION_ROW (child)));
    g_variant_dict_insert (&dict, "target", "s", g_object_get_data (G_OBJECT (child), ROW_TARGET));
    g_variant_dict_insert (&dict, "button", "s",
                           GTK_IS_BUTTON (suffix) ? gtk_button_get_label (GTK_BUTTON (suffix))
                                                  : gtk_label_get_label (GTK_LABEL (suffix)));
    g_variant_dict_insert (&dict, "action", "s",
                           GTK_IS_ACTIONABLE (suffix) &&
                               gtk_actionable_get_action_name (GTK_ACTIONABLE (suffix)) != NULL
                             ? gtk_actionable_get_action_name (GTK_ACTIONABLE (suffix))
                             : "");
    g_variant_dict_insert (&dict, "sensitive", "b", gtk_widget_is_sensitive (suffix));
    g_variant_dict_insert_value (&dict, "bounds", inkling_state_describe_bounds (suffix));
    g_variant_builder_add_value (&builder, g_variant_dict_end (&dict));
  }
  return g_variant_builder_end (&builder);
}

/* A confirmation shown over the pane (app.remote-reset's), or NULL. */
static AdwMessageDialog *
find_dialog (InklingPreferencesWindow *self)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++) {
    g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

    if (ADW_IS_MESSAGE_DIALOG (window) &&
        gtk_window_get_transient_for (window) == GTK_WINDOW (self) &&
        gtk_widget_get_visible (GTK_WIDGET (window)))
      return ADW_MESSAGE_DIALOG (window);
  }
  return NULL;
}

GVariant *
inkling_preferences_window_describe (InklingPreferencesWindow *self)
{
  AdwMessageDialog *dialog;
  GtkWidget *focus;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autofree char *log = NULL;
  g_auto (GStrv) lines = NULL;
  const char *page;
  GVariantDict dict;

  g_return_val_if_fail (INKLING_IS_PREFERENCES_WINDOW (self), NULL);

  buffer = gtk_text_view_get_buffer (self->log_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  log = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  lines = log[0] != '\0' ? g_strsplit (log, "\n", -1) : g_new0 (char *, 1);
  page = adw_preferences_window_get_visible_page_name (ADW_PREFERENCES_WINDOW (self));

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "title", "s", gtk_window_get_title (GTK_WINDOW (self)));
  g_variant_dict_insert (&dict, "page", "s", page != NULL ? page : "");
  g_variant_dict_insert (&dict, "server-url", "s",
                         gtk_editable_get_text (GTK_EDITABLE (self->server_row)));
  g_variant_dict_insert (&dict, "channel", "s",
                         gtk_editable_get_text (GTK_EDITABLE (self->channel_row)));
  g_variant_dict_insert (&dict, "public-key", "s",
                         gtk_editable_get_text (GTK_EDITABLE (self->key_row)));
  g_variant_dict_insert (&dict, "ca-file", "s", adw_action_row_get_subtitle (self->ca_row));
  g_variant_dict_insert (&dict, "ca-file-title", "s",
                         adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self->ca_row)));
  g_variant_dict_insert (&dict, "ca-file-label", "s", self->ca_label != NULL ? self->ca_label : "");
  g_variant_dict_insert (&dict, "ca-file-clear-enabled", "b",
                         gtk_widget_is_sensitive (GTK_WIDGET (self->ca_clear_button)));
  g_variant_dict_insert_value (&dict, "ca-file-choose",
                               inkling_state_describe_bounds (GTK_WIDGET (self->ca_choose_button)));
  g_variant_dict_insert (&dict, "automatic", "b", gtk_switch_get_active (self->automatic_switch));
  g_variant_dict_insert (&dict, "interval-hours", "d",
                         gtk_spin_button_get_value (self->interval_spin));
  g_variant_dict_insert (&dict, "settings-sensitive", "b",
                         gtk_widget_is_sensitive (GTK_WIDGET (self->server_group)));
  g_variant_dict_insert (&dict, "busy", "b", gtk_spinner_get_spinning (self->busy_spinner));
  g_variant_dict_insert (&dict, "running", "s", adw_action_row_get_subtitle (self->running_row));
  g_variant_dict_insert (&dict, "last-check", "s",
                         adw_action_row_get_subtitle (self->last_check_row));
  g_variant_dict_insert (&dict, "next-check", "s",
                         adw_action_row_get_subtitle (self->next_check_row));
  g_variant_dict_insert (&dict, "rollback", "s", adw_action_row_get_subtitle (self->rollback_row));
  g_variant_dict_insert (&dict, "can-rollback", "b",
                         gtk_widget_is_sensitive (GTK_WIDGET (self->rollback_button)));
  g_variant_dict_insert (&dict, "check-sensitive", "b",
                         gtk_widget_is_sensitive (GTK_WIDGET (self->check_button)));
  g_variant_dict_insert (&dict, "progress-visible", "b",
                         gtk_widget_get_visible (GTK_WIDGET (self->progress_row)));
  g_variant_dict_insert (&dict, "progress", "d",
                         gtk_progress_bar_get_fraction (self->progress_bar));
  g_variant_dict_insert (&dict, "cancel-sensitive", "b",
                         gtk_widget_is_sensitive (GTK_WIDGET (self->cancel_button)));
  g_variant_dict_insert_value (&dict, "cancel-button",
                               inkling_state_describe_bounds (GTK_WIDGET (self->cancel_button)));
  g_variant_dict_insert_value (&dict, "versions", describe_versions (self));
  g_variant_dict_insert_value (&dict, "log", g_variant_new_strv ((const char *const *) lines, -1));
  g_variant_dict_insert_value (&dict, "server-entry",
                               inkling_state_describe_bounds (GTK_WIDGET (self->server_row)));
  focus = gtk_root_get_focus (GTK_ROOT (self));
  g_variant_dict_insert (&dict, "server-entry-focused", "b",
                         focus != NULL &&
                           gtk_widget_is_ancestor (focus, GTK_WIDGET (self->server_row)));
  g_variant_dict_insert_value (&dict, "check-button",
                               inkling_state_describe_bounds (GTK_WIDGET (self->check_button)));
  dialog = find_dialog (self);
  g_variant_dict_insert (&dict, "dialog", "s",
                         dialog != NULL && adw_message_dialog_get_heading (dialog) != NULL
                           ? adw_message_dialog_get_heading (dialog)
                           : "");
  return g_variant_dict_end (&dict);
}

/* ---- GObject ---- */

static void
inkling_preferences_window_dispose (GObject *object)
{
  InklingPreferencesWindow *self = INKLING_PREFERENCES_WINDOW (object);

  if (self->versions_list != NULL)
    gtk_list_box_bind_model (self->versions_list, NULL, NULL, NULL, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), INKLING_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->manager);
  g_clear_object (&self->updater);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->ca_label, g_free);

  G_OBJECT_CLASS (inkling_preferences_window_parent_class)->dispose (object);
}

static void
inkling_preferences_window_class_init (InklingPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inkling_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/inkling/Inkling/inkling-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, automatic_switch);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, ca_choose_button);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, ca_clear_button);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, ca_row);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, channel_row);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, check_button);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, interval_spin);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, interval_row);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, key_row);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, last_check_row);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, log_view);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, next_check_row);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, progress_row);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, rollback_button);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, rollback_row);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, running_row);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, server_group);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, status_group);
  gtk_widget_class_bind_template_child (widget_class, InklingPreferencesWindow, versions_list);

  gtk_widget_class_install_action (widget_class, "prefs.choose-ca-file", NULL, choose_ca_file);
  gtk_widget_class_install_action (widget_class, "prefs.clear-ca-file", NULL, clear_ca_file);
}

static void
inkling_preferences_window_init (InklingPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

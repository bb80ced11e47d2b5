/* inkling-application.c: the Inkling application
 *
 * Owns what outlives a window: the bundled model (loaded once, at startup)
 * and the application actions (about, quit).
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-config.h"

#include "inkling-application.h"
#include "inkling-engine-autoptr.h"
#include "inkling-error.h"
#include "inkling-window.h"

struct _InklingApplication {
  AdwApplication parent_instance;

  /* Owned References */
  char *bundled_model_path;
  InkModel *model;
  GError *model_error;
};

G_DEFINE_FINAL_TYPE (InklingApplication, inkling_application, ADW_TYPE_APPLICATION)

InklingApplication *
inkling_application_new (void)
{
  /* The resource base path, /io/github/inkling/Inkling, follows from the id. */
  return g_object_new (INKLING_TYPE_APPLICATION, "application-id", INKLING_APP_ID, NULL);
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

  return self->model;
}

const GError *
inkling_application_get_model_error (InklingApplication *self)
{
  g_return_val_if_fail (INKLING_IS_APPLICATION (self), NULL);

  return self->model_error;
}

/* Loading a compiled model maps its weights and parses a small header, so it
 * is near-instant and done on the main thread; the model store will move
 * loading of other models to a GTask. */
static void
inkling_application_load_bundled_model (InklingApplication *self)
{
  g_autoptr (InkModel) model = NULL;
  InkError err;

  g_assert (INKLING_IS_APPLICATION (self));

  ink_error_clear (&err);
  model = ink_model_load (self->bundled_model_path, &err);
  if (model == NULL) {
    inkling_set_engine_error (&self->model_error, &err);
    g_warning ("Cannot load the bundled model %s: %s", self->bundled_model_path,
               self->model_error->message);
    return;
  }

  g_debug ("Loaded the bundled model %s", self->bundled_model_path);
  self->model = g_steal_pointer (&model);
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

  debug_info = g_strdup_printf ("Bundled model: %s\nModel status: %s\n", self->bundled_model_path,
                                self->model_error != NULL ? self->model_error->message : "loaded");

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
};

static void
inkling_application_startup (GApplication *app)
{
  InklingApplication *self = INKLING_APPLICATION (app);
  static const char *quit_accels[] = {"<Control>q", NULL};

  G_APPLICATION_CLASS (inkling_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);

  inkling_application_load_bundled_model (self);
}

static void
inkling_application_activate (GApplication *app)
{
  InklingApplication *self = INKLING_APPLICATION (app);
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window == NULL) {
    InklingWindow *new_window = inkling_window_new (self);

    if (self->model != NULL)
      inkling_window_show_model (new_window, self->model);
    else
      inkling_window_show_model_error (new_window, self->bundled_model_path, self->model_error);
    window = GTK_WINDOW (new_window);
  }

  gtk_window_present (window);
}

static void
inkling_application_finalize (GObject *object)
{
  InklingApplication *self = INKLING_APPLICATION (object);

  g_clear_pointer (&self->model, ink_model_free);
  g_clear_error (&self->model_error);
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
}

static void
inkling_application_init (InklingApplication *self)
{
  const char *path = g_getenv ("INKLING_BUNDLED_MODEL");

  if (path == NULL || path[0] == '\0')
    path = INKLING_BUNDLED_MODEL_PATH;
  self->bundled_model_path = g_strdup (path);
}

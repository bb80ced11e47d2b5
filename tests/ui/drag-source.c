/* drag-source.c: a window to drag files from, for the ui tests
 *
 *   drag-source TITLE FILE...
 *
 * Shows a small window named TITLE whose whole area is a drag source of the
 * files (a GdkFileList, offered as text/uri-list and the like), as a file
 * manager's is. A ui test drags from it with xdotool (real pointer events:
 * the drop is a real X drag-and-drop into the app), then ends it.
 *
 * SPDX-License-Identifier: MIT
 */
#include <gtk/gtk.h>

static GdkContentProvider *
on_prepare (GtkDragSource *source, double x, double y, gpointer user_data)
{
  GSList *files = user_data;

  return gdk_content_provider_new_typed (GDK_TYPE_FILE_LIST, files);
}

static void
free_files (gpointer data)
{
  g_slist_free_full (data, g_object_unref);
}

static void
on_activate (GtkApplication *app, gpointer user_data)
{
  char **argv = user_data;
  GtkWidget *window = gtk_application_window_new (app);
  GtkWidget *label = gtk_label_new ("Drag me");
  GtkDragSource *source = gtk_drag_source_new ();
  GSList *files = NULL;

  for (int i = 2; argv[i] != NULL; i++)
    files = g_slist_append (files, g_file_new_for_commandline_arg (argv[i]));
  gtk_window_set_title (GTK_WINDOW (window), argv[1]);
  gtk_window_set_default_size (GTK_WINDOW (window), 160, 120);
  gtk_window_set_decorated (GTK_WINDOW (window), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  "Files to drag", -1);
  gtk_drag_source_set_actions (source, GDK_ACTION_COPY);
  g_signal_connect (source, "prepare", G_CALLBACK (on_prepare), files);
  g_object_set_data_full (G_OBJECT (window), "files", files, free_files);
  gtk_widget_add_controller (label, GTK_EVENT_CONTROLLER (source));
  gtk_window_set_child (GTK_WINDOW (window), label);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  g_autoptr (GtkApplication) app = NULL;

  if (argc < 3) {
    g_printerr ("usage: drag-source TITLE FILE...\n");
    return 2;
  }
  app = gtk_application_new (NULL, G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), argv);
  return g_application_run (G_APPLICATION (app), 1, argv);
}

/* inkling-images-page.c: the Images page
 *
 * The store's imported images in a grid, each with the image classifier's
 * prediction and a drop-down to label it. Train runs the model manager's
 * training of the image classifier on the labelled images: the progress
 * bar and the loss chart follow its "progress" signal, Cancel stops it, and
 * the accuracy over the labelled images before and after is shown. The
 * epochs and learning rate are the train-epochs and train-learning-rate
 * settings (bound, so a change is kept). Images come in through
 * inkling_images_page_import_files (the window's file chooser and
 * win.import-image-files, and a drop of files here), or are pasted
 * (win.paste-images, Ctrl+V while the page shows: an image or copied files).
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-config.h"

#include <math.h>

#include "inkling-images-page.h"

#include "inkling-loss-chart.h"
#include "inkling-state.h"

#define IMAGE_SIZE 84
#define NO_LABEL "Unlabelled"

struct _InklingImagesPage {
  AdwBin parent_instance;

  /* Template Widgets */
  GtkLabel *accuracy_label;
  GtkLabel *count_label;
  GtkSpinButton *epochs_spin;
  GtkFlowBox *grid;
  GtkStack *grid_stack;
  InklingLossChart *loss_chart;
  GtkProgressBar *progress_bar;
  GtkSpinButton *rate_spin;

  /* Borrowed References */
  InklingModelManager *manager;
  GListModel *images;

  /* Owned References */
  GCancellable *training;
  GtkStringList *label_choices;
  GSettings *settings; /* NULL when the schema is not installed */

  guint importing; /* files being read */
  guint epochs;
  /* While training: the frames that painted new loss points (for the
   * state, so a test can tell the chart grew live, however fast). */
  guint chart_tick;
  guint chart_frames;
  guint chart_points_painted;
};

G_DEFINE_FINAL_TYPE (InklingImagesPage, inkling_images_page, ADW_TYPE_BIN)

/* ---- Grid ---- */

static void
update_item_widget (GtkWidget *box)
{
  InklingImageItem *item = g_object_get_data (G_OBJECT (box), "item");
  GtkLabel *predicted = g_object_get_data (G_OBJECT (box), "predicted");
  GtkDropDown *dropdown = g_object_get_data (G_OBJECT (box), "dropdown");
  GtkStringList *choices = GTK_STRING_LIST (gtk_drop_down_get_model (dropdown));
  const char *label = inkling_image_item_get_predicted_label (item);
  const char *user = inkling_image_item_get_user_label (item);
  g_autofree char *text = NULL;
  guint selected = 0;

  if (label != NULL && label[0] != '\0')
    text = g_strdup_printf ("%s %.0f%%", label, inkling_image_item_get_confidence (item) * 100);
  else
    text = g_strdup ("Not classified");
  gtk_label_set_text (predicted, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (predicted), GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                  -1);

  for (guint i = 1; user != NULL && i < g_list_model_get_n_items (G_LIST_MODEL (choices)); i++)
    if (g_strcmp0 (gtk_string_list_get_string (choices, i), user) == 0)
      selected = i;
  g_object_set_data (G_OBJECT (box), "updating", GINT_TO_POINTER (TRUE));
  gtk_drop_down_set_selected (dropdown, selected);
  g_object_set_data (G_OBJECT (box), "updating", NULL);
}

static void
on_item_notify (InklingImageItem *item, GParamSpec *pspec, GtkWidget *box)
{
  update_item_widget (box);
}

static void
on_label_selected (GtkDropDown *dropdown, GParamSpec *pspec, GtkWidget *box)
{
  InklingImageItem *item = g_object_get_data (G_OBJECT (box), "item");
  guint selected = gtk_drop_down_get_selected (dropdown);
  GtkStringList *choices = GTK_STRING_LIST (gtk_drop_down_get_model (dropdown));
  const char *label = selected == 0 || selected == GTK_INVALID_LIST_POSITION
                        ? ""
                        : gtk_string_list_get_string (choices, selected);

  if (g_object_get_data (G_OBJECT (box), "updating") != NULL)
    return;
  /* Through the action, as every user change. */
  gtk_widget_activate_action (box, "win.relabel-image", "(xs)", inkling_image_item_get_id (item),
                              label);
}

static GtkWidget *
create_image_widget (gpointer object, gpointer user_data)
{
  InklingImagesPage *self = user_data;
  InklingImageItem *item = object;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *predicted = gtk_label_new (NULL);
  GtkWidget *dropdown;
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("Image %s", inkling_image_item_get_name (item));
  g_autofree char *dropdown_name =
    g_strdup_printf ("Label of %s", inkling_image_item_get_name (item));
  g_autoptr (GtkStringList) choices = gtk_string_list_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->label_choices)); i++)
    gtk_string_list_append (choices, gtk_string_list_get_string (self->label_choices, i));
  dropdown = gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&choices)), NULL);

  texture = gdk_texture_new_from_bytes (inkling_image_item_get_data (item), &error);
  if (texture != NULL)
    gtk_picture_set_paintable (GTK_PICTURE (picture), GDK_PAINTABLE (texture));
  gtk_widget_set_size_request (picture, IMAGE_SIZE, IMAGE_SIZE);
  gtk_widget_add_css_class (picture, "thumbnail");
  gtk_widget_set_overflow (picture, GTK_OVERFLOW_HIDDEN);
  gtk_accessible_update_property (GTK_ACCESSIBLE (picture), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  -1);
  gtk_widget_set_tooltip_text (picture, inkling_image_item_get_name (item));
  gtk_label_set_ellipsize (GTK_LABEL (predicted), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (predicted, "caption");
  gtk_accessible_update_property (GTK_ACCESSIBLE (dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  dropdown_name, -1);

  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), predicted);
  gtk_box_append (GTK_BOX (box), dropdown);

  g_object_set_data_full (G_OBJECT (box), "item", g_object_ref (item), g_object_unref);
  g_object_set_data (G_OBJECT (box), "predicted", predicted);
  g_object_set_data (G_OBJECT (box), "dropdown", dropdown);
  update_item_widget (box);
  g_signal_connect_object (item, "notify", G_CALLBACK (on_item_notify), box, 0);
  g_signal_connect_object (dropdown, "notify::selected", G_CALLBACK (on_label_selected), box, 0);
  return box;
}

static void
inkling_images_page_update_count (InklingImagesPage *self)
{
  guint n = self->images != NULL ? g_list_model_get_n_items (self->images) : 0;
  g_autofree char *text = g_strdup_printf (g_dngettext (NULL, "%u image", "%u images", n), n);

  gtk_label_set_text (self->count_label, text);
  gtk_stack_set_visible_child_name (self->grid_stack, n > 0 ? "grid" : "empty");
}

static void
on_images_changed (GListModel *list, guint position, guint removed, guint added,
                   InklingImagesPage *self)
{
  inkling_images_page_update_count (self);
}

static void
inkling_images_page_load_labels (InklingImagesPage *self)
{
  const char *const *labels = inkling_model_manager_get_image_labels (self->manager);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->label_choices));

  gtk_string_list_splice (self->label_choices, 0, n, NULL);
  gtk_string_list_append (self->label_choices, NO_LABEL);
  for (guint i = 0; labels != NULL && labels[i] != NULL; i++)
    gtk_string_list_append (self->label_choices, labels[i]);
}

static void
on_progress (InklingModelManager *manager, double fraction, double loss, int epoch,
             InklingImagesPage *self)
{
  g_autofree char *text = NULL;

  if (self->training == NULL)
    return;
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0.0, 1.0));
  text = isfinite (loss)
           ? g_strdup_printf ("Epoch %d of %u · loss %.4f", epoch + 1, self->epochs, loss)
           : g_strdup_printf ("Epoch %d of %u", epoch + 1, self->epochs);
  gtk_progress_bar_set_text (self->progress_bar, text);
  inkling_loss_chart_add_point (self->loss_chart, fraction * self->epochs, loss);
}

static void
on_image_model_changed (InklingModelManager *manager, InklingImagesPage *self)
{
  /* New cells offer the new model's classes. */
  inkling_images_page_load_labels (self);
}

void
inkling_images_page_set_manager (InklingImagesPage *self, InklingModelManager *manager)
{
  InklingStore *store;

  g_return_if_fail (INKLING_IS_IMAGES_PAGE (self));
  g_return_if_fail (INKLING_IS_MODEL_MANAGER (manager));

  self->manager = manager;
  inkling_images_page_load_labels (self);
  g_signal_connect_object (manager, "progress", G_CALLBACK (on_progress), self, 0);
  g_signal_connect_object (manager, "image-model-changed", G_CALLBACK (on_image_model_changed),
                           self, 0);
  store = inkling_model_manager_get_store (manager);
  if (store != NULL) {
    self->images = inkling_store_get_images (store);
    gtk_flow_box_bind_model (self->grid, self->images, create_image_widget, self, NULL);
    g_signal_connect_object (self->images, "items-changed", G_CALLBACK (on_images_changed), self,
                             0);
  }
  inkling_images_page_update_count (self);
}

/* ---- Import ---- */

static void
on_classified (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InklingImagesPage) self = user_data;
  g_autoptr (GError) error = NULL;
  double accuracy;

  accuracy =
    inkling_model_manager_classify_images_finish (INKLING_MODEL_MANAGER (source), result, &error);
  if (error != NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_warning ("Cannot classify the images: %s", error->message);
    return;
  }
  if (accuracy >= 0 && self->training == NULL &&
      g_strcmp0 (gtk_label_get_text (self->accuracy_label), "") == 0) {
    g_autofree char *text = g_strdup_printf ("Accuracy on labelled images: %.0f%%", accuracy * 100);

    gtk_label_set_text (self->accuracy_label, text);
  }
}

static void
inkling_images_page_classify (InklingImagesPage *self)
{
  if (self->manager != NULL && self->importing == 0)
    inkling_model_manager_classify_images_async (self->manager, NULL, on_classified,
                                                 g_object_ref (self));
}

static void
inkling_images_page_add (InklingImagesPage *self, const char *name, GBytes *bytes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InklingImageItem) item = NULL;
  InklingStore *store =
    self->manager != NULL ? inkling_model_manager_get_store (self->manager) : NULL;

  if (store == NULL)
    return;
  item = inkling_store_add_image (store, name, bytes, &error);
  if (item == NULL)
    g_warning ("Cannot import %s: %s", name, error->message);
}

static void
on_file_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InklingImagesPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *name = g_file_get_basename (G_FILE (source));
  gsize length = 0;

  self->importing--;
  if (g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error)) {
    g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&contents), length);

    inkling_images_page_add (self, name, bytes);
  } else {
    g_warning ("Cannot read %s: %s", name, error->message);
  }
  inkling_images_page_classify (self);
}

void
inkling_images_page_import_files (InklingImagesPage *self, GSList *files)
{
  g_return_if_fail (INKLING_IS_IMAGES_PAGE (self));

  for (GSList *l = files; l != NULL; l = l->next) {
    self->importing++;
    g_file_load_contents_async (G_FILE (l->data), NULL, on_file_loaded, g_object_ref (self));
  }
}

static char *
demo_images_dir (void)
{
  const char *dir = g_getenv ("INKLING_DEMO_IMAGES");

  return g_strdup (dir != NULL && dir[0] != '\0' ? dir : INKLING_DEMO_IMAGES_DIR);
}

gboolean
inkling_images_page_import_demo (InklingImagesPage *self, GError **error)
{
  g_autofree char *path = demo_images_dir ();
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GSList *files = NULL;
  const char *name;

  g_return_val_if_fail (INKLING_IS_IMAGES_PAGE (self), FALSE);

  /* Listing a small local folder: the reads themselves are async. */
  dir = g_dir_open (path, 0, error);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".png"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = names->len; i > 0; i--) {
    g_autofree char *file =
      g_build_filename (path, (char *) g_ptr_array_index (names, i - 1), NULL);

    files = g_slist_prepend (files, g_file_new_for_path (file));
  }
  inkling_images_page_import_files (self, files);
  g_slist_free_full (files, g_object_unref);
  return TRUE;
}

static void
on_clipboard_files (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InklingImagesPage) self = user_data;
  g_autoptr (GError) error = NULL;
  const GValue *value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result, &error);

  if (value != NULL)
    inkling_images_page_import_files (self, g_value_get_boxed (value));
}

static void
on_clipboard_texture (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InklingImagesPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture =
    gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &error);
  g_autoptr (GBytes) png = NULL;
  g_autofree char *name = NULL;

  if (texture == NULL)
    return;
  png = gdk_texture_save_to_png_bytes (texture);
  name = g_strdup_printf ("pasted-%" G_GINT64_FORMAT ".png", g_get_real_time () / 1000);
  inkling_images_page_add (self, name, png);
  inkling_images_page_classify (self);
}

void
inkling_images_page_paste (InklingImagesPage *self)
{
  GdkClipboard *clipboard;
  GdkContentFormats *formats;

  g_return_if_fail (INKLING_IS_IMAGES_PAGE (self));

  clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));
  formats = gdk_clipboard_get_formats (clipboard);
  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT, NULL,
                                    on_clipboard_files, g_object_ref (self));
  else if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    gdk_clipboard_read_texture_async (clipboard, NULL, on_clipboard_texture, g_object_ref (self));
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, InklingImagesPage *self)
{
  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  inkling_images_page_import_files (self, g_value_get_boxed (value));
  return TRUE;
}

/* ---- Labels and training ---- */

gboolean
inkling_images_page_relabel (InklingImagesPage *self, gint64 id, const char *label, GError **error)
{
  g_return_val_if_fail (INKLING_IS_IMAGES_PAGE (self), FALSE);

  for (guint i = 0; self->images != NULL && i < g_list_model_get_n_items (self->images); i++) {
    g_autoptr (InklingImageItem) item = g_list_model_get_item (self->images, i);

    if (inkling_image_item_get_id (item) == id)
      return inkling_store_set_image_label (inkling_model_manager_get_store (self->manager), item,
                                            label != NULL && label[0] != '\0' ? label : NULL,
                                            error);
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No image %" G_GINT64_FORMAT, id);
  return FALSE;
}

static gboolean
count_chart_frame (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  InklingImagesPage *self = INKLING_IMAGES_PAGE (widget);
  guint n = inkling_loss_chart_get_n_points (self->loss_chart);

  if (n > self->chart_points_painted) {
    self->chart_frames++;
    self->chart_points_painted = n;
  }
  return G_SOURCE_CONTINUE;
}

static void
stop_counting_chart_frames (InklingImagesPage *self)
{
  if (self->chart_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->chart_tick);
  self->chart_tick = 0;
}

static void
on_trained (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InklingImagesPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  double before = -1, after = -1;

  if (!inkling_model_manager_train_images_finish (INKLING_MODEL_MANAGER (source), result, &before,
                                                  &after, &error)) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      text = g_strdup ("Training cancelled: the model is unchanged.");
    else
      text = g_strdup_printf ("Training failed: %s", error->message);
  } else {
    text = g_strdup_printf ("Accuracy on labelled images: %.0f%% before, %.0f%% after",
                            before * 100, after * 100);
    gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
  }
  g_clear_object (&self->training);
  stop_counting_chart_frames (self);
  gtk_label_set_text (self->accuracy_label, text);
}

gboolean
inkling_images_page_train (InklingImagesPage *self, GError **error)
{
  g_return_val_if_fail (INKLING_IS_IMAGES_PAGE (self), FALSE);

  if (self->manager == NULL || self->training != NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, "Training is running already");
    return FALSE;
  }
  self->epochs = (guint) gtk_spin_button_get_value_as_int (self->epochs_spin);
  self->training = g_cancellable_new ();
  inkling_loss_chart_reset (self->loss_chart, self->epochs);
  self->chart_frames = 0;
  self->chart_points_painted = 0;
  if (self->chart_tick == 0)
    self->chart_tick =
      gtk_widget_add_tick_callback (GTK_WIDGET (self), count_chart_frame, NULL, NULL);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, "Starting…");
  gtk_label_set_text (self->accuracy_label, "");
  inkling_model_manager_train_images_async (self->manager, self->epochs,
                                            gtk_spin_button_get_value (self->rate_spin),
                                            self->training, on_trained, g_object_ref (self));
  return TRUE;
}

void
inkling_images_page_cancel_training (InklingImagesPage *self)
{
  g_return_if_fail (INKLING_IS_IMAGES_PAGE (self));

  g_cancellable_cancel (self->training);
}

gboolean
inkling_images_page_get_training (InklingImagesPage *self)
{
  g_return_val_if_fail (INKLING_IS_IMAGES_PAGE (self), FALSE);

  return self->training != NULL;
}

GVariant *
inkling_images_page_describe (InklingImagesPage *self)
{
  GVariantDict dict;
  GVariantBuilder items;

  g_return_val_if_fail (INKLING_IS_IMAGES_PAGE (self), NULL);

  /* Each image as its grid cell shows it. */
  g_variant_builder_init (&items, G_VARIANT_TYPE ("aa{sv}"));
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->grid)); child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *box = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child));
    InklingImageItem *item = g_object_get_data (G_OBJECT (box), "item");
    GtkDropDown *dropdown = g_object_get_data (G_OBJECT (box), "dropdown");
    GtkStringList *choices = GTK_STRING_LIST (gtk_drop_down_get_model (dropdown));
    guint selected = gtk_drop_down_get_selected (dropdown);
    GVariantDict cell;

    g_variant_dict_init (&cell, NULL);
    g_variant_dict_insert (&cell, "id", "x", inkling_image_item_get_id (item));
    g_variant_dict_insert (&cell, "name", "s", inkling_image_item_get_name (item));
    g_variant_dict_insert (&cell, "predicted", "s",
                           gtk_label_get_text (g_object_get_data (G_OBJECT (box), "predicted")));
    g_variant_dict_insert (&cell, "label", "s",
                           selected == 0 || selected == GTK_INVALID_LIST_POSITION
                             ? ""
                             : gtk_string_list_get_string (choices, selected));
    g_variant_builder_add_value (&items, g_variant_dict_end (&cell));
  }

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert_value (&dict, "images", g_variant_builder_end (&items));
  g_variant_dict_insert (&dict, "importing", "u", self->importing);
  g_variant_dict_insert (&dict, "training", "b", self->training != NULL);
  g_variant_dict_insert (&dict, "progress", "d",
                         gtk_progress_bar_get_fraction (self->progress_bar));
  g_variant_dict_insert (&dict, "progress-text", "s",
                         gtk_progress_bar_get_text (self->progress_bar) != NULL
                           ? gtk_progress_bar_get_text (self->progress_bar)
                           : "");
  g_variant_dict_insert (&dict, "loss-points", "u",
                         inkling_loss_chart_get_n_points (self->loss_chart));
  g_variant_dict_insert (&dict, "loss-chart-frames", "u", self->chart_frames);
  g_variant_dict_insert (&dict, "accuracy", "s", gtk_label_get_text (self->accuracy_label));
  g_variant_dict_insert (&dict, "epochs", "d", gtk_spin_button_get_value (self->epochs_spin));
  g_variant_dict_insert (&dict, "learning-rate", "d", gtk_spin_button_get_value (self->rate_spin));
  g_variant_dict_insert_value (&dict, "epochs-spin",
                               inkling_state_describe_bounds (GTK_WIDGET (self->epochs_spin)));
  g_variant_dict_insert_value (&dict, "rate-spin",
                               inkling_state_describe_bounds (GTK_WIDGET (self->rate_spin)));
  g_variant_dict_insert_value (&dict, "grid",
                               inkling_state_describe_bounds (GTK_WIDGET (self->grid_stack)));
  return g_variant_dict_end (&dict);
}

static void
inkling_images_page_dispose (GObject *object)
{
  InklingImagesPage *self = INKLING_IMAGES_PAGE (object);

  g_cancellable_cancel (self->training);
  g_clear_object (&self->training);
  stop_counting_chart_frames (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), INKLING_TYPE_IMAGES_PAGE);
  g_clear_object (&self->label_choices);
  g_clear_object (&self->settings);
  self->manager = NULL;
  self->images = NULL;

  G_OBJECT_CLASS (inkling_images_page_parent_class)->dispose (object);
}

static void
inkling_images_page_class_init (InklingImagesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inkling_images_page_dispose;

  g_type_ensure (INKLING_TYPE_LOSS_CHART);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/inkling/Inkling/inkling-images-page.ui");
  gtk_widget_class_bind_template_child (widget_class, InklingImagesPage, accuracy_label);
  gtk_widget_class_bind_template_child (widget_class, InklingImagesPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, InklingImagesPage, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, InklingImagesPage, grid);
  gtk_widget_class_bind_template_child (widget_class, InklingImagesPage, grid_stack);
  gtk_widget_class_bind_template_child (widget_class, InklingImagesPage, loss_chart);
  gtk_widget_class_bind_template_child (widget_class, InklingImagesPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, InklingImagesPage, rate_spin);
}

static void
inkling_images_page_init (InklingImagesPage *self)
{
  GtkDropTarget *drop;
  GtkEventController *shortcuts;
  GSettingsSchemaSource *source;
  g_autoptr (GSettingsSchema) schema = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* The training parameters are settings, when the schema is installed. */
  source = g_settings_schema_source_get_default ();
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, INKLING_APP_ID, TRUE);
  if (schema != NULL) {
    self->settings = g_settings_new (INKLING_APP_ID);
    g_settings_bind (self->settings, "train-epochs", self->epochs_spin, "value",
                     G_SETTINGS_BIND_DEFAULT);
    g_settings_bind (self->settings, "train-learning-rate", self->rate_spin, "value",
                     G_SETTINGS_BIND_DEFAULT);
  }

  /* Ctrl+V pastes images while the page shows, unless a text field takes it
   * first (managed by the window, after the focus widget's own keys). */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                     GTK_SHORTCUT_SCOPE_MANAGED);
  gtk_shortcut_controller_add_shortcut (
    GTK_SHORTCUT_CONTROLLER (shortcuts),
    gtk_shortcut_new (gtk_shortcut_trigger_parse_string ("<Control>v"),
                      gtk_named_action_new ("win.paste-images")));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  self->label_choices = gtk_string_list_new (NULL);
  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (drop, "drop", G_CALLBACK (on_drop), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}

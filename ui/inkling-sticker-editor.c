/* inkling-sticker-editor.c: New sticker: emoji and label, three drawings,
 * then personalization with progress
 *
 * As in Apple's sticker sample: the user names the sticker, draws it three
 * times on a small canvas, and the model is personalized with the three
 * drawings at once; the progress bar follows the update.
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>

#include "inkling-sticker-editor.h"

#include "inkling-state.h"
#include "inkling-thumbnail.h"

#define DEFAULT_EMOJI "✏️"

struct _InklingStickerEditor {
  AdwBin parent_instance;

  /* Template Widgets */
  InklingCanvas *canvas;
  GtkBox *drawings_box;
  GtkButton *done_button;
  GtkMenuButton *emoji_button;
  GtkEmojiChooser *emoji_chooser;
  GtkEntry *label_entry;
  AdwStatusPage *personalize_page;
  GtkProgressBar *progress_bar;
  GtkLabel *step_label;
  GtkStack *steps;

  /* Borrowed References */
  InklingModelManager *manager;

  /* Owned References */
  GPtrArray *drawings; /* of InkDrawing */
  char *emoji;
  char *label;
  GCancellable *cancellable;

  gboolean personalizing;
};

G_DEFINE_FINAL_TYPE (InklingStickerEditor, inkling_sticker_editor, ADW_TYPE_BIN)

void
inkling_sticker_editor_set_emoji (InklingStickerEditor *self, const char *emoji)
{
  g_autofree char *accessible = NULL;

  g_return_if_fail (INKLING_IS_STICKER_EDITOR (self));
  g_return_if_fail (emoji != NULL);

  g_free (self->emoji);
  self->emoji = g_strdup (emoji);
  gtk_menu_button_set_label (self->emoji_button, emoji);
  accessible = g_strdup_printf ("Choose the sticker's emoji (now %s)", emoji);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->emoji_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static void
on_emoji_picked (GtkEmojiChooser *chooser, const char *text, InklingStickerEditor *self)
{
  /* Through the action, as every user change. */
  gtk_widget_activate_action (GTK_WIDGET (self), "win.sticker-emoji", "s", text);
}

static void
inkling_sticker_editor_update_step_label (InklingStickerEditor *self)
{
  g_autofree char *text =
    g_strdup_printf ("%s Draw “%s” (%u of %u)", self->emoji, self->label, self->drawings->len + 1,
                     INKLING_STICKER_EDITOR_N_DRAWINGS);

  gtk_label_set_text (self->step_label, text);
}

static void
on_progress (InklingModelManager *manager, double fraction, double loss, int epoch,
             InklingStickerEditor *self)
{
  if (self->personalizing && isfinite (fraction))
    gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0.0, 1.0));
}

void
inkling_sticker_editor_set_manager (InklingStickerEditor *self, InklingModelManager *manager)
{
  g_return_if_fail (INKLING_IS_STICKER_EDITOR (self));
  g_return_if_fail (INKLING_IS_MODEL_MANAGER (manager));

  self->manager = manager;
  g_signal_connect_object (manager, "progress", G_CALLBACK (on_progress), self, 0);
}

void
inkling_sticker_editor_start (InklingStickerEditor *self)
{
  g_return_if_fail (INKLING_IS_STICKER_EDITOR (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->personalizing = FALSE;
  g_ptr_array_set_size (self->drawings, 0);
  g_clear_pointer (&self->label, g_free);
  inkling_sticker_editor_set_emoji (self, DEFAULT_EMOJI);
  gtk_editable_set_text (GTK_EDITABLE (self->label_entry), "");
  inkling_canvas_clear (self->canvas);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->drawings_box));
       child != NULL; child = gtk_widget_get_first_child (GTK_WIDGET (self->drawings_box)))
    gtk_box_remove (self->drawings_box, child);
  gtk_stack_set_visible_child_name (self->steps, "name");
  gtk_widget_grab_focus (GTK_WIDGET (self->label_entry));
}

gboolean
inkling_sticker_editor_next (InklingStickerEditor *self, GError **error)
{
  g_autofree char *label = NULL;

  g_return_val_if_fail (INKLING_IS_STICKER_EDITOR (self), FALSE);

  label = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->label_entry))));
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->steps), "name") != 0 || label[0] == '\0') {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         "Give the sticker a name first");
    return FALSE;
  }
  g_free (self->label);
  self->label = g_steal_pointer (&label);
  inkling_sticker_editor_update_step_label (self);
  gtk_stack_set_visible_child_name (self->steps, "draw");
  return TRUE;
}

static void
on_taught (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InklingStickerEditor) self = user_data;
  g_autoptr (InklingSticker) sticker = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *title = NULL;

  sticker = inkling_model_manager_teach_finish (INKLING_MODEL_MANAGER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !self->personalizing)
    return;
  self->personalizing = FALSE;
  if (sticker == NULL) {
    adw_status_page_set_title (self->personalize_page, "Cannot Personalize");
    adw_status_page_set_description (self->personalize_page, error->message);
  } else {
    title = g_strdup_printf ("%s “%s” Is Ready", inkling_sticker_get_emoji (sticker),
                             inkling_sticker_get_label (sticker));
    adw_status_page_set_title (self->personalize_page, title);
    adw_status_page_set_description (self->personalize_page,
                                     "Draw it on the Draw page: the model knows it now.");
    gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
  }
  gtk_widget_set_visible (GTK_WIDGET (self->done_button), TRUE);
}

static void
inkling_sticker_editor_personalize (InklingStickerEditor *self)
{
  self->personalizing = TRUE;
  adw_status_page_set_title (self->personalize_page, "Personalizing…");
  adw_status_page_set_description (self->personalize_page, NULL);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->done_button), FALSE);
  gtk_stack_set_visible_child_name (self->steps, "personalize");

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  inkling_model_manager_teach_async (
    self->manager, self->label, self->emoji, (const InkDrawing *const *) self->drawings->pdata,
    self->drawings->len, self->cancellable, on_taught, g_object_ref (self));
}

gboolean
inkling_sticker_editor_add_drawing (InklingStickerEditor *self, GError **error)
{
  InkDrawing *drawing;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (INKLING_IS_STICKER_EDITOR (self), FALSE);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->steps), "draw") != 0 ||
      inkling_canvas_get_is_empty (self->canvas) || self->manager == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         "Draw the sticker on the canvas first");
    return FALSE;
  }
  drawing = inkling_canvas_copy_drawing (self->canvas);
  if (drawing == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Out of memory");
    return FALSE;
  }
  g_ptr_array_add (self->drawings, drawing);

  name = g_strdup_printf ("Drawing %u", self->drawings->len);
  texture = inkling_thumbnail_from_drawing (drawing, 56);
  if (texture != NULL)
    gtk_box_append (self->drawings_box, inkling_thumbnail_new_picture (texture, 56, name));
  inkling_canvas_clear (self->canvas);

  if (self->drawings->len >= INKLING_STICKER_EDITOR_N_DRAWINGS)
    inkling_sticker_editor_personalize (self);
  else
    inkling_sticker_editor_update_step_label (self);
  return TRUE;
}

InklingCanvas *
inkling_sticker_editor_get_canvas (InklingStickerEditor *self)
{
  g_return_val_if_fail (INKLING_IS_STICKER_EDITOR (self), NULL);

  return self->canvas;
}

const char *
inkling_sticker_editor_get_step (InklingStickerEditor *self)
{
  g_return_val_if_fail (INKLING_IS_STICKER_EDITOR (self), NULL);

  return gtk_stack_get_visible_child_name (self->steps);
}

GVariant *
inkling_sticker_editor_describe (InklingStickerEditor *self)
{
  GVariantDict dict;

  g_return_val_if_fail (INKLING_IS_STICKER_EDITOR (self), NULL);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "step", "s", inkling_sticker_editor_get_step (self));
  g_variant_dict_insert (&dict, "emoji", "s", self->emoji != NULL ? self->emoji : "");
  g_variant_dict_insert (&dict, "label", "s",
                         gtk_editable_get_text (GTK_EDITABLE (self->label_entry)));
  g_variant_dict_insert (&dict, "drawings", "u", self->drawings->len);
  g_variant_dict_insert (&dict, "strokes", "u", inkling_canvas_get_stroke_count (self->canvas));
  g_variant_dict_insert (&dict, "personalizing", "b", self->personalizing);
  g_variant_dict_insert (&dict, "title", "s", adw_status_page_get_title (self->personalize_page));
  g_variant_dict_insert (&dict, "progress", "d",
                         gtk_progress_bar_get_fraction (self->progress_bar));
  g_variant_dict_insert_value (&dict, "canvas",
                               inkling_state_describe_bounds (GTK_WIDGET (self->canvas)));
  return g_variant_dict_end (&dict);
}

static void
on_entry_activate (GtkEntry *entry, InklingStickerEditor *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.sticker-next", NULL);
}

static void
inkling_sticker_editor_dispose (GObject *object)
{
  InklingStickerEditor *self = INKLING_STICKER_EDITOR (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), INKLING_TYPE_STICKER_EDITOR);
  self->personalizing = FALSE;
  self->manager = NULL;

  G_OBJECT_CLASS (inkling_sticker_editor_parent_class)->dispose (object);
}

static void
inkling_sticker_editor_finalize (GObject *object)
{
  InklingStickerEditor *self = INKLING_STICKER_EDITOR (object);

  g_clear_pointer (&self->drawings, g_ptr_array_unref);
  g_clear_pointer (&self->emoji, g_free);
  g_clear_pointer (&self->label, g_free);

  G_OBJECT_CLASS (inkling_sticker_editor_parent_class)->finalize (object);
}

static void
inkling_sticker_editor_class_init (InklingStickerEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inkling_sticker_editor_dispose;
  object_class->finalize = inkling_sticker_editor_finalize;

  g_type_ensure (INKLING_TYPE_CANVAS);
  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/inkling/Inkling/inkling-sticker-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, InklingStickerEditor, canvas);
  gtk_widget_class_bind_template_child (widget_class, InklingStickerEditor, done_button);
  gtk_widget_class_bind_template_child (widget_class, InklingStickerEditor, drawings_box);
  gtk_widget_class_bind_template_child (widget_class, InklingStickerEditor, emoji_button);
  gtk_widget_class_bind_template_child (widget_class, InklingStickerEditor, emoji_chooser);
  gtk_widget_class_bind_template_child (widget_class, InklingStickerEditor, label_entry);
  gtk_widget_class_bind_template_child (widget_class, InklingStickerEditor, personalize_page);
  gtk_widget_class_bind_template_child (widget_class, InklingStickerEditor, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, InklingStickerEditor, step_label);
  gtk_widget_class_bind_template_child (widget_class, InklingStickerEditor, steps);
}

static void
inkling_sticker_editor_init (InklingStickerEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->drawings = g_ptr_array_new_with_free_func ((GDestroyNotify) ink_drawing_free);
  inkling_sticker_editor_set_emoji (self, DEFAULT_EMOJI);
  g_signal_connect_object (self->emoji_chooser, "emoji-picked", G_CALLBACK (on_emoji_picked), self,
                           0);
  g_signal_connect_object (self->label_entry, "activate", G_CALLBACK (on_entry_activate), self, 0);
}

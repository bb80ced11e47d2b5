/* inkling-stickers-page.c: the Stickers page
 *
 * The user's stickers from the store (a live GListModel): emoji, label,
 * example count and a thumbnail of each example as the model sees it.
 * Deleting a sticker or an example goes through the window's actions
 * (win.delete-sticker, win.delete-example), after which the model manager
 * rebuilds the model from what remains. The New sticker flow is an
 * InklingStickerEditor in the same stack.
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-stickers-page.h"

#include "inkling-state.h"
#include "inkling-thumbnail.h"

#define THUMBNAIL_SIZE 48

struct _InklingStickersPage {
  AdwBin parent_instance;

  /* Template Widgets */
  InklingStickerEditor *editor;
  GtkStack *stack;
  GtkListBox *sticker_list;

  /* Borrowed References */
  InklingModelManager *manager;
  GListModel *stickers;
};

G_DEFINE_FINAL_TYPE (InklingStickersPage, inkling_stickers_page, ADW_TYPE_BIN)

static GtkWidget *
example_thumbnail (InklingExample *example, const char *label, guint index)
{
  g_autoptr (GdkTexture) texture = inkling_thumbnail_from_gray8 (
    inkling_example_get_raster (example), INKLING_EXAMPLE_RASTER_SIZE);
  g_autofree char *name = g_strdup_printf ("Example %u of %s", index + 1, label);
  g_autofree char *delete_name = g_strdup_printf ("Delete example %u of %s", index + 1, label);
  GtkWidget *overlay = gtk_overlay_new ();
  GtkWidget *button = gtk_button_new_from_icon_name ("window-close-symbolic");

  if (texture != NULL)
    gtk_overlay_set_child (GTK_OVERLAY (overlay),
                           inkling_thumbnail_new_picture (texture, THUMBNAIL_SIZE, name));
  gtk_widget_set_halign (button, GTK_ALIGN_END);
  gtk_widget_set_valign (button, GTK_ALIGN_START);
  gtk_widget_add_css_class (button, "circular");
  gtk_widget_add_css_class (button, "osd");
  gtk_widget_add_css_class (button, "example-delete");
  gtk_widget_set_tooltip_text (button, "Delete This Example");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  delete_name, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.delete-example");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button),
                                          g_variant_new_int64 (inkling_example_get_id (example)));
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), button);
  return overlay;
}

/* Fills a row's thumbnails and count from its sticker's examples. */
static void
update_row (GtkWidget *row)
{
  InklingSticker *sticker = g_object_get_data (G_OBJECT (row), "sticker");
  GtkFlowBox *thumbnails = g_object_get_data (G_OBJECT (row), "thumbnails");
  GtkLabel *count = g_object_get_data (G_OBJECT (row), "count");
  GListModel *examples = inkling_sticker_get_examples (sticker);
  guint n = g_list_model_get_n_items (examples);
  g_autofree char *count_text =
    g_strdup_printf (g_dngettext (NULL, "%u example", "%u examples", n), n);

  gtk_label_set_text (count, count_text);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (thumbnails)); child != NULL;
       child = gtk_widget_get_first_child (GTK_WIDGET (thumbnails)))
    gtk_flow_box_remove (thumbnails, child);
  for (guint i = 0; i < n; i++) {
    g_autoptr (InklingExample) example = g_list_model_get_item (examples, i);

    gtk_flow_box_append (thumbnails,
                         example_thumbnail (example, inkling_sticker_get_label (sticker), i));
  }
}

static void
on_examples_changed (GListModel *examples, guint position, guint removed, guint added,
                     GtkWidget *row)
{
  update_row (row);
}

static GtkWidget *
create_sticker_row (gpointer item, gpointer user_data)
{
  InklingSticker *sticker = item;
  const char *label = inkling_sticker_get_label (sticker);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *emoji = gtk_label_new (inkling_sticker_get_emoji (sticker));
  GtkWidget *info = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *name = gtk_label_new (label);
  GtkWidget *count = gtk_label_new (NULL);
  GtkWidget *thumbnails = gtk_flow_box_new ();
  GtkWidget *delete = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *delete_name = g_strdup_printf ("Delete the sticker %s", label);
  g_autofree char *row_name = g_strdup_printf ("Sticker %s", label);

  gtk_widget_set_margin_top (row, 12);
  gtk_widget_set_margin_bottom (row, 12);
  gtk_widget_set_margin_start (row, 12);
  gtk_widget_set_margin_end (row, 12);
  gtk_widget_add_css_class (emoji, "sticker-emoji");
  gtk_widget_set_valign (emoji, GTK_ALIGN_START);
  gtk_widget_set_hexpand (info, TRUE);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_widget_add_css_class (name, "heading");
  gtk_label_set_xalign (GTK_LABEL (count), 0);
  gtk_widget_add_css_class (count, "dim-label");
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (thumbnails), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (thumbnails), 12);
  gtk_widget_set_valign (delete, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (delete, "flat");
  gtk_widget_set_tooltip_text (delete, "Delete Sticker");
  gtk_accessible_update_property (GTK_ACCESSIBLE (delete), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  delete_name, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (delete), "win.delete-sticker");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (delete),
                                          g_variant_new_int64 (inkling_sticker_get_id (sticker)));
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, row_name,
                                  -1);

  gtk_box_append (GTK_BOX (info), name);
  gtk_box_append (GTK_BOX (info), count);
  gtk_box_append (GTK_BOX (info), thumbnails);
  gtk_box_append (GTK_BOX (row), emoji);
  gtk_box_append (GTK_BOX (row), info);
  gtk_box_append (GTK_BOX (row), delete);

  g_object_set_data_full (G_OBJECT (row), "sticker", g_object_ref (sticker), g_object_unref);
  g_object_set_data (G_OBJECT (row), "thumbnails", thumbnails);
  g_object_set_data (G_OBJECT (row), "count", count);
  g_object_set_data (G_OBJECT (row), "delete", delete);
  g_signal_connect_object (inkling_sticker_get_examples (sticker), "items-changed",
                           G_CALLBACK (on_examples_changed), row, 0);
  update_row (row);
  return row;
}

static void
inkling_stickers_page_update_stack (InklingStickersPage *self)
{
  const char *visible = gtk_stack_get_visible_child_name (self->stack);
  gboolean empty = self->stickers == NULL || g_list_model_get_n_items (self->stickers) == 0;

  if (g_strcmp0 (visible, "new") != 0)
    gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "list");
}

static void
on_stickers_changed (GListModel *list, guint position, guint removed, guint added,
                     InklingStickersPage *self)
{
  inkling_stickers_page_update_stack (self);
}

void
inkling_stickers_page_set_manager (InklingStickersPage *self, InklingModelManager *manager)
{
  InklingStore *store;

  g_return_if_fail (INKLING_IS_STICKERS_PAGE (self));
  g_return_if_fail (INKLING_IS_MODEL_MANAGER (manager));

  self->manager = manager;
  inkling_sticker_editor_set_manager (self->editor, manager);
  store = inkling_model_manager_get_store (manager);
  if (store != NULL) {
    self->stickers = inkling_store_get_stickers (store);
    gtk_list_box_bind_model (self->sticker_list, self->stickers, create_sticker_row, NULL, NULL);
    g_signal_connect_object (self->stickers, "items-changed", G_CALLBACK (on_stickers_changed),
                             self, 0);
  }
  inkling_stickers_page_update_stack (self);
}

InklingStickerEditor *
inkling_stickers_page_get_editor (InklingStickersPage *self)
{
  g_return_val_if_fail (INKLING_IS_STICKERS_PAGE (self), NULL);

  return self->editor;
}

void
inkling_stickers_page_show_editor (InklingStickersPage *self)
{
  g_return_if_fail (INKLING_IS_STICKERS_PAGE (self));

  gtk_stack_set_visible_child_name (self->stack, "new");
  inkling_sticker_editor_start (self->editor);
}

void
inkling_stickers_page_show_list (InklingStickersPage *self)
{
  g_return_if_fail (INKLING_IS_STICKERS_PAGE (self));

  gtk_stack_set_visible_child_name (self->stack, "list");
  inkling_stickers_page_update_stack (self);
}

gboolean
inkling_stickers_page_get_editing (InklingStickersPage *self)
{
  g_return_val_if_fail (INKLING_IS_STICKERS_PAGE (self), FALSE);

  return g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "new") == 0;
}

GVariant *
inkling_stickers_page_describe (InklingStickersPage *self)
{
  GVariantDict dict;
  GVariantBuilder rows;

  g_return_val_if_fail (INKLING_IS_STICKERS_PAGE (self), NULL);

  /* The rows as listed: their labels and thumbnails. */
  g_variant_builder_init (&rows, G_VARIANT_TYPE ("aa{sv}"));
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->sticker_list));
       child != NULL; child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *row =
      GTK_IS_LIST_BOX_ROW (child) ? gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (child)) : NULL;
    InklingSticker *sticker = row != NULL ? g_object_get_data (G_OBJECT (row), "sticker") : NULL;
    GtkWidget *thumbnails = row != NULL ? g_object_get_data (G_OBJECT (row), "thumbnails") : NULL;
    GVariantDict item;
    GVariantBuilder examples;
    guint n_thumbnails = 0;

    if (sticker == NULL)
      continue;
    /* Each thumbnail's example and its delete button (the overlay's). */
    g_variant_builder_init (&examples, G_VARIANT_TYPE ("aa{sv}"));
    for (GtkWidget *t = gtk_widget_get_first_child (thumbnails); t != NULL;
         t = gtk_widget_get_next_sibling (t)) {
      GtkWidget *overlay = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (t));
      GtkWidget *button = gtk_widget_get_last_child (overlay);
      GVariant *target = GTK_IS_ACTIONABLE (button)
                           ? gtk_actionable_get_action_target_value (GTK_ACTIONABLE (button))
                           : NULL;
      GVariantDict example;

      n_thumbnails++;
      if (target == NULL || !g_variant_is_of_type (target, G_VARIANT_TYPE_INT64))
        continue;
      g_variant_dict_init (&example, NULL);
      g_variant_dict_insert (&example, "id", "x", g_variant_get_int64 (target));
      g_variant_dict_insert_value (&example, "delete", inkling_state_describe_bounds (button));
      g_variant_builder_add_value (&examples, g_variant_dict_end (&example));
    }
    g_variant_dict_init (&item, NULL);
    g_variant_dict_insert (&item, "id", "x", inkling_sticker_get_id (sticker));
    g_variant_dict_insert (&item, "label", "s", inkling_sticker_get_label (sticker));
    g_variant_dict_insert (&item, "emoji", "s", inkling_sticker_get_emoji (sticker));
    g_variant_dict_insert (&item, "count", "s",
                           gtk_label_get_text (g_object_get_data (G_OBJECT (row), "count")));
    g_variant_dict_insert (&item, "thumbnails", "u", n_thumbnails);
    g_variant_dict_insert_value (&item, "examples", g_variant_builder_end (&examples));
    g_variant_dict_insert_value (
      &item, "delete",
      inkling_state_describe_bounds (g_object_get_data (G_OBJECT (row), "delete")));
    g_variant_builder_add_value (&rows, g_variant_dict_end (&item));
  }

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "view", "s", gtk_stack_get_visible_child_name (self->stack));
  g_variant_dict_insert_value (&dict, "stickers", g_variant_builder_end (&rows));
  g_variant_dict_insert_value (&dict, "editor", inkling_sticker_editor_describe (self->editor));
  return g_variant_dict_end (&dict);
}

static void
inkling_stickers_page_dispose (GObject *object)
{
  InklingStickersPage *self = INKLING_STICKERS_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), INKLING_TYPE_STICKERS_PAGE);
  self->manager = NULL;
  self->stickers = NULL;

  G_OBJECT_CLASS (inkling_stickers_page_parent_class)->dispose (object);
}

static void
inkling_stickers_page_class_init (InklingStickersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inkling_stickers_page_dispose;

  g_type_ensure (INKLING_TYPE_STICKER_EDITOR);
  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/inkling/Inkling/inkling-stickers-page.ui");
  gtk_widget_class_bind_template_child (widget_class, InklingStickersPage, editor);
  gtk_widget_class_bind_template_child (widget_class, InklingStickersPage, stack);
  gtk_widget_class_bind_template_child (widget_class, InklingStickersPage, sticker_list);
}

static void
inkling_stickers_page_init (InklingStickersPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* inkling-model-page.c: the Model page
 *
 * What model is running (the model manager's properties, followed as they
 * change) and the update history from the store. Export, Open and Reset are
 * window actions (win.export-model, win.open-model,
 * win.reset-personalization).
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-model-page.h"

struct _InklingModelPage {
  AdwBin parent_instance;

  /* Template Widgets */
  AdwActionRow *base_version_row;
  GtkSpinner *busy_spinner;
  AdwActionRow *examples_row;
  GtkListBox *history_list;
  AdwActionRow *name_row;
  AdwActionRow *source_row;
  AdwActionRow *updated_row;
  AdwActionRow *version_row;

  /* Borrowed References */
  InklingModelManager *manager;
};

G_DEFINE_FINAL_TYPE (InklingModelPage, inkling_model_page, ADW_TYPE_BIN)

static const char *
or_none (const char *text)
{
  return text != NULL && text[0] != '\0' ? text : "—";
}

/* opened_file: the file the base model was opened from, or "". */
static char *
describe_source (const char *source, const char *opened_file)
{
  g_autofree char *name = opened_file[0] != '\0' ? g_path_get_basename (opened_file) : NULL;

  if (g_strcmp0 (source, INKLING_MODEL_SOURCE_BUNDLED) == 0)
    return g_strdup ("Bundled with Inkling");
  if (g_strcmp0 (source, INKLING_MODEL_SOURCE_DOWNLOADED) == 0)
    return g_strdup ("Downloaded");
  if (g_strcmp0 (source, INKLING_MODEL_SOURCE_OPENED) == 0)
    return name != NULL ? g_strdup_printf ("Opened from file “%s”", name)
                        : g_strdup ("Opened from a file");
  if (g_strcmp0 (source, INKLING_MODEL_SOURCE_PERSONALIZED) == 0 && name != NULL)
    return g_strdup_printf ("Personalized with your stickers, on “%s” opened from a file", name);
  if (g_strcmp0 (source, INKLING_MODEL_SOURCE_PERSONALIZED) == 0)
    return g_strdup ("Personalized with your stickers");
  return g_strdup (or_none (source));
}

static void
set_row (AdwActionRow *row, const char *value)
{
  g_autofree char *markup = g_markup_escape_text (value, -1);

  adw_action_row_set_subtitle (row, markup);
}

static void
inkling_model_page_update (InklingModelPage *self)
{
  g_autofree char *examples = NULL;
  g_autofree char *source = NULL;
  InklingModelManager *m = self->manager;

  set_row (self->name_row, or_none (inkling_model_manager_get_model_name (m)));
  set_row (self->version_row, or_none (inkling_model_manager_get_model_version (m)));
  source = describe_source (inkling_model_manager_get_model_source (m),
                            inkling_model_manager_get_opened_file (m));
  set_row (self->source_row, source);
  set_row (self->base_version_row, or_none (inkling_model_manager_get_base_version (m)));
  examples = g_strdup_printf ("%" G_GINT64_FORMAT, inkling_model_manager_get_n_examples (m));
  set_row (self->examples_row, examples);
  set_row (self->updated_row, or_none (inkling_model_manager_get_updated_at (m)));
  gtk_spinner_set_spinning (self->busy_spinner, inkling_model_manager_get_busy (m));
}

static void
on_manager_notify (InklingModelManager *manager, GParamSpec *pspec, InklingModelPage *self)
{
  inkling_model_page_update (self);
}

static GtkWidget *
create_history_row (gpointer item, gpointer user_data)
{
  InklingUpdateRecord *record = item;
  g_autoptr (GDateTime) time =
    g_date_time_new_from_unix_local (inkling_update_record_get_time (record));
  g_autofree char *when = time != NULL ? g_date_time_format (time, "%x %X") : g_strdup ("");
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  GtkWidget *row = adw_action_row_new ();

  title = g_markup_printf_escaped ("%s · %s", inkling_update_record_get_kind (record), when);
  subtitle = g_markup_printf_escaped ("%" G_GINT64_FORMAT " examples · version %s · %s",
                                      inkling_update_record_get_examples (record),
                                      or_none (inkling_update_record_get_model_version (record)),
                                      or_none (inkling_update_record_get_result (record)));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  return row;
}

void
inkling_model_page_set_manager (InklingModelPage *self, InklingModelManager *manager)
{
  InklingStore *store;

  g_return_if_fail (INKLING_IS_MODEL_PAGE (self));
  g_return_if_fail (INKLING_IS_MODEL_MANAGER (manager));

  self->manager = manager;
  g_signal_connect_object (manager, "notify", G_CALLBACK (on_manager_notify), self, 0);
  store = inkling_model_manager_get_store (manager);
  if (store != NULL)
    gtk_list_box_bind_model (self->history_list, inkling_store_get_history (store),
                             create_history_row, NULL, NULL);
  inkling_model_page_update (self);
}

GVariant *
inkling_model_page_describe (InklingModelPage *self)
{
  GVariantDict dict;
  GVariantBuilder titles;
  guint n_history = 0;

  g_return_val_if_fail (INKLING_IS_MODEL_PAGE (self), NULL);

  /* The history rows' titles ("kind · time"), newest first. */
  g_variant_builder_init (&titles, G_VARIANT_TYPE_STRING_ARRAY);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->history_list));
       child != NULL; child = gtk_widget_get_next_sibling (child)) {
    if (!GTK_IS_LIST_BOX_ROW (child))
      continue;
    n_history++;
    if (ADW_IS_PREFERENCES_ROW (child))
      g_variant_builder_add (&titles, "s",
                             adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)));
  }

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", adw_action_row_get_subtitle (self->name_row));
  g_variant_dict_insert (&dict, "version", "s", adw_action_row_get_subtitle (self->version_row));
  g_variant_dict_insert (&dict, "source", "s", adw_action_row_get_subtitle (self->source_row));
  g_variant_dict_insert (&dict, "examples", "s", adw_action_row_get_subtitle (self->examples_row));
  g_variant_dict_insert (&dict, "updated", "s", adw_action_row_get_subtitle (self->updated_row));
  g_variant_dict_insert (&dict, "busy", "b", gtk_spinner_get_spinning (self->busy_spinner));
  g_variant_dict_insert (&dict, "history", "u", n_history);
  g_variant_dict_insert_value (&dict, "history-titles", g_variant_builder_end (&titles));
  return g_variant_dict_end (&dict);
}

static void
inkling_model_page_dispose (GObject *object)
{
  InklingModelPage *self = INKLING_MODEL_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), INKLING_TYPE_MODEL_PAGE);
  self->manager = NULL;

  G_OBJECT_CLASS (inkling_model_page_parent_class)->dispose (object);
}

static void
inkling_model_page_class_init (InklingModelPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inkling_model_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/inkling/Inkling/inkling-model-page.ui");
  gtk_widget_class_bind_template_child (widget_class, InklingModelPage, base_version_row);
  gtk_widget_class_bind_template_child (widget_class, InklingModelPage, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, InklingModelPage, examples_row);
  gtk_widget_class_bind_template_child (widget_class, InklingModelPage, history_list);
  gtk_widget_class_bind_template_child (widget_class, InklingModelPage, name_row);
  gtk_widget_class_bind_template_child (widget_class, InklingModelPage, source_row);
  gtk_widget_class_bind_template_child (widget_class, InklingModelPage, updated_row);
  gtk_widget_class_bind_template_child (widget_class, InklingModelPage, version_row);
}

static void
inkling_model_page_init (InklingModelPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* inkling-window.c: the main window
 *
 * For now it shows which model is running, or why none could be loaded; the
 * drawing canvas, stickers, images and model pages grow into its stack.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "inkling-window.h"

struct _InklingWindow {
  AdwApplicationWindow parent_instance;

  /* Template Widgets */
  AdwStatusPage *error_page;
  AdwStatusPage *model_page;
  GtkStack *stack;
};

G_DEFINE_FINAL_TYPE (InklingWindow, inkling_window, ADW_TYPE_APPLICATION_WINDOW)

InklingWindow *
inkling_window_new (InklingApplication *application)
{
  g_return_val_if_fail (INKLING_IS_APPLICATION (application), NULL);

  return g_object_new (INKLING_TYPE_WINDOW, "application", application, NULL);
}

static const char *
describe_kind (InkModelKind kind)
{
  switch (kind) {
  case INK_MODEL_NEURAL_NETWORK: return "Neural network";
  case INK_MODEL_NEURAL_NETWORK_CLASSIFIER: return "Neural network classifier";
  case INK_MODEL_NEURAL_NETWORK_REGRESSOR: return "Neural network regressor";
  case INK_MODEL_KNN_CLASSIFIER: return "k-nearest neighbors classifier";
  case INK_MODEL_TREE_ENSEMBLE_CLASSIFIER: return "Tree ensemble classifier";
  case INK_MODEL_TREE_ENSEMBLE_REGRESSOR: return "Tree ensemble regressor";
  case INK_MODEL_GLM_CLASSIFIER: return "Linear classifier";
  case INK_MODEL_GLM_REGRESSOR: return "Linear regressor";
  case INK_MODEL_PIPELINE: return "Pipeline";
  case INK_MODEL_PIPELINE_CLASSIFIER: return "Pipeline classifier";
  case INK_MODEL_PIPELINE_REGRESSOR: return "Pipeline regressor";
  default: return ink_model_kind_to_string (kind);
  }
}

/* "Input: drawing" or "Outputs: label, labelProbability". */
static void
append_feature_names (GString *text, const char *singular, const char *plural, size_t n,
                      const InkFeatureDescription *(*nth) (const InkModelDescription *, size_t),
                      const InkModelDescription *desc)
{
  g_string_append_printf (text, "%s: ", n == 1 ? singular : plural);
  if (n == 0)
    g_string_append (text, "none");
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      g_string_append (text, ", ");
    g_string_append (text, nth (desc, i)->name);
  }
}

/* The plain-text summary under the model's name, one fact per line. */
static char *
describe_model (const InkModel *model)
{
  const InkModelDescription *desc = ink_model_get_description (model);
  InkMetadata meta = ink_description_metadata (desc);
  GString *text = g_string_new (NULL);

  if (meta.version[0] != '\0')
    g_string_append_printf (text, "Version %s", meta.version);
  if (meta.author[0] != '\0')
    g_string_append_printf (text, "%sby %s", text->len > 0 ? " · " : "", meta.author);
  if (text->len > 0)
    g_string_append_c (text, '\n');

  g_string_append_printf (text, "%s\n", describe_kind (ink_model_get_kind (model)));
  append_feature_names (text, "Input", "Inputs", ink_description_n_inputs (desc),
                        ink_description_input, desc);
  g_string_append_c (text, '\n');
  append_feature_names (text, "Output", "Outputs", ink_description_n_outputs (desc),
                        ink_description_output, desc);

  return g_string_free (text, FALSE);
}

void
inkling_window_show_model (InklingWindow *self, const InkModel *model)
{
  InkMetadata meta;
  const char *name;
  g_autofree char *summary = NULL;
  g_autofree char *summary_markup = NULL;
  g_autofree char *title = NULL;

  g_return_if_fail (INKLING_IS_WINDOW (self));
  g_return_if_fail (model != NULL);

  meta = ink_description_metadata (ink_model_get_description (model));
  name = meta.short_description[0] != '\0' ? meta.short_description : "Untitled model";
  summary = describe_model (model);
  summary_markup = g_markup_escape_text (summary, -1);
  title = g_strdup_printf ("Inkling — %s", name);

  adw_status_page_set_title (self->model_page, name);
  adw_status_page_set_description (self->model_page, summary_markup);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->model_page), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  name, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, summary, -1);
  gtk_stack_set_visible_child (self->stack, GTK_WIDGET (self->model_page));
  gtk_window_set_title (GTK_WINDOW (self), title);
}

void
inkling_window_show_model_error (InklingWindow *self, const char *path, const GError *error)
{
  g_autofree char *description = NULL;
  g_autofree char *markup = NULL;

  g_return_if_fail (INKLING_IS_WINDOW (self));
  g_return_if_fail (path != NULL);
  g_return_if_fail (error != NULL);

  /* Engine messages usually name the file already. */
  if (strstr (error->message, path) != NULL) {
    description = g_strdup (error->message);
    markup = g_markup_escape_text (error->message, -1);
  } else {
    description = g_strdup_printf ("%s\n\n%s", error->message, path);
    markup = g_markup_printf_escaped ("%s\n\n<small>%s</small>", error->message, path);
  }

  adw_status_page_set_description (self->error_page, markup);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->error_page),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  gtk_stack_set_visible_child (self->stack, GTK_WIDGET (self->error_page));
  gtk_window_set_title (GTK_WINDOW (self), "Inkling");
}

static void
inkling_window_class_init (InklingWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/inkling/Inkling/inkling-window.ui");
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, model_page);
  gtk_widget_class_bind_template_child (widget_class, InklingWindow, stack);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close",
                                       NULL);
}

static void
inkling_window_init (InklingWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* cli-predict.c: `inkling-cli predict MODEL ...`, one prediction from the command line
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-common.h"

#include <stdio.h>
#include <string.h>

static int
fail_unknown_input (const InkModelDescription *d, const char *name)
{
  g_autofree char *inputs = cli_describe_inputs (d);

  return cli_fail ("the model has no input named '%s'; its inputs are: %s", name, inputs);
}

/* --input NAME=VALUE: the value is read as NAME's declared type. */
static int
add_input (const InkModelDescription *d, InkFeatures *features, const char *arg)
{
  const char *eq = strchr (arg, '=');
  g_autofree char *name = g_strndup (arg, (gsize) (eq - arg));
  const InkFeatureDescription *input = ink_description_find_input (d, name);
  InkValue *value;
  InkError err = {0};

  if (input == NULL)
    return fail_unknown_input (d, name);
  value = cli_parse_value (input, eq + 1, &err);
  if (value == NULL)
    return cli_fail_engine (&err);
  if (ink_features_set (features, input->name, value) != INK_OK)
    return cli_fail ("out of memory");
  return CLI_EXIT_OK;
}

/* The model's only image input, for --image FILE. */
static const InkFeatureDescription *
find_only_image_input (const InkModelDescription *d)
{
  const InkFeatureDescription *found = NULL;
  g_autoptr (GString) names = g_string_new (NULL);
  size_t n = 0;

  for (size_t i = 0; i < ink_description_n_inputs (d); i++) {
    const InkFeatureDescription *input = ink_description_input (d, i);

    if (input->type.type != INK_VALUE_IMAGE)
      continue;
    g_string_append_printf (names, "%s%s", n > 0 ? ", " : "", input->name);
    found = input;
    n++;
  }
  if (n == 0) {
    g_autofree char *inputs = cli_describe_inputs (d);

    cli_fail ("the model has no image input; its inputs are: %s", inputs);
    return NULL;
  }
  if (n > 1) {
    cli_fail ("the model has several image inputs (%s); say which with --image NAME=FILE",
              names->str);
    return NULL;
  }
  return found;
}

/* --image [NAME=]FILE: decoded as is; ink_model_predict converts it to the
 * input's size and pixel format. A FILE whose name holds '=' still works
 * when the part before it names no input. */
static int
add_image (const InkModelDescription *d, InkFeatures *features, const char *arg)
{
  const char *eq = strchr (arg, '=');
  const char *path = arg;
  const InkFeatureDescription *input = NULL;
  InkValue *value = NULL;
  InkError err = {0};

  if (eq != NULL) {
    g_autofree char *name = g_strndup (arg, (gsize) (eq - arg));

    input = ink_description_find_input (d, name);
    if (input != NULL)
      path = eq + 1;
    else if (!g_file_test (arg, G_FILE_TEST_EXISTS))
      return fail_unknown_input (d, name);
  }
  if (input == NULL) {
    input = find_only_image_input (d);
    if (input == NULL)
      return CLI_EXIT_ERROR;
  }
  if (ink_image_load_file (path, &value, &err) != INK_OK)
    return cli_fail_engine (&err);
  if (ink_features_set (features, input->name, value) != INK_OK)
    return cli_fail ("out of memory");
  return CLI_EXIT_OK;
}

/* Output names in the description's order, then any others the model gave. */
static GPtrArray *
output_names (const InkModelDescription *d, const InkFeatures *outputs)
{
  GPtrArray *names = g_ptr_array_new ();

  for (size_t i = 0; i < ink_description_n_outputs (d); i++) {
    const char *name = ink_description_output (d, i)->name;

    if (ink_features_get (outputs, name) != NULL)
      g_ptr_array_add (names, (gpointer) name);
  }
  for (size_t i = 0; i < ink_features_count (outputs); i++) {
    const char *name = ink_features_name_at (outputs, i);

    if (ink_description_find_output (d, name) == NULL)
      g_ptr_array_add (names, (gpointer) name);
  }
  return names;
}

static int
print_outputs (const InkModelDescription *d, const InkFeatures *outputs, gboolean json)
{
  g_autoptr (GPtrArray) names = output_names (d, outputs);
  g_autoptr (cJSON) document = NULL;
  cJSON *object = NULL;

  if (json) {
    document = cJSON_CreateObject ();
    object = cJSON_AddObjectToObject (document, "outputs");
  }
  for (guint i = 0; i < names->len; i++) {
    const char *name = g_ptr_array_index (names, i);
    const InkValue *value = ink_features_get (outputs, name);

    if (json) {
      cJSON_AddItemToObject (object, name, cli_value_to_json (value));
    } else {
      g_autofree char *text = cli_value_to_text (value);

      printf ("%s: %s\n", name, text);
    }
  }
  return json ? cli_print_json (document) : cli_finish_output ();
}

int
cli_predict (int argc, char **argv)
{
  gboolean json = FALSE;
  g_auto (GStrv) inputs = NULL;
  g_auto (GStrv) images = NULL;
  g_auto (GStrv) remaining = NULL;
  const GOptionEntry entries[] = {
    {"input", 0, 0, G_OPTION_ARG_STRING_ARRAY, &inputs, "Set input NAME to VALUE (repeatable)",
     "NAME=VALUE"},
    {"image", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &images,
     "Decode a PNG or JPEG file for image input NAME, or for the only one (repeatable)",
     "[NAME=]FILE"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print {\"outputs\": {NAME: VALUE, ...}}", NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &remaining, NULL, "MODEL"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (InkModel) model = NULL;
  g_autoptr (InkFeatures) features = NULL;
  g_autoptr (InkFeatures) outputs = NULL;
  const InkModelDescription *d;
  InkError err = {0};
  int status;

  g_option_context_set_summary (
    context, "Runs MODEL (.inkmodel, or .mlmodel compiled in memory) on one example.");
  g_option_context_set_description (
    context, "VALUE is read as the input's declared type: a number (Int64, Double), text\n"
             "(String), comma-separated numbers for a MultiArray (as many as its shape\n"
             "holds), or KEY:NUMBER,KEY:NUMBER for a Dictionary. Outputs print one per\n"
             "line as NAME: VALUE; dictionaries by value, highest first.\n");
  g_option_context_add_main_entries (context, entries, NULL);
  status = cli_parse_options (context, "predict", &argc, &argv);
  if (status == CLI_EXIT_OK)
    status = cli_check_arguments ("predict", remaining, 1, "MODEL");
  for (guint i = 0; status == CLI_EXIT_OK && inputs != NULL && inputs[i] != NULL; i++) {
    const char *eq = strchr (inputs[i], '=');

    if (eq == NULL || eq == inputs[i])
      status = cli_usage_error ("predict", "--input takes NAME=VALUE, not '%s'", inputs[i]);
  }
  if (status != CLI_EXIT_OK)
    return status;

  model = cli_load_model (remaining[0], &err);
  if (model == NULL)
    return cli_fail_engine (&err);
  d = ink_model_get_description (model);
  features = ink_features_new ();
  if (features == NULL)
    return cli_fail ("out of memory");
  for (guint i = 0; status == CLI_EXIT_OK && inputs != NULL && inputs[i] != NULL; i++)
    status = add_input (d, features, inputs[i]);
  for (guint i = 0; status == CLI_EXIT_OK && images != NULL && images[i] != NULL; i++)
    status = add_image (d, features, images[i]);
  if (status != CLI_EXIT_OK)
    return status;

  if (ink_model_predict (model, features, &outputs, &err) != INK_OK)
    return cli_fail_engine (&err);
  return print_outputs (d, outputs, json);
}

/* cli-inspect.c: `inkling-cli inspect MODEL [--json]`, a model's description
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-common.h"

#include <stdio.h>

typedef const InkFeatureDescription *(*FeatureGetter) (const InkModelDescription *d, size_t i);

static const char *
param_type_to_string (InkParamType type)
{
  switch (type) {
  case INK_PARAM_INT64: return "Int64";
  case INK_PARAM_DOUBLE: return "Double";
  case INK_PARAM_BOOL: return "Bool";
  }
  return "Invalid";
}

/* A parameter's value as text: int64 and bool values are stored exactly. */
static char *
format_param_value (InkParamType type, double v)
{
  switch (type) {
  case INK_PARAM_INT64: return g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) v);
  case INK_PARAM_BOOL: return g_strdup (v != 0 ? "true" : "false");
  case INK_PARAM_DOUBLE: return cli_format_double (v);
  }
  return cli_format_double (v);
}

static cJSON *
param_value_to_json (InkParamType type, double v)
{
  switch (type) {
  case INK_PARAM_INT64: return cli_json_int64 ((int64_t) v);
  case INK_PARAM_BOOL: return cJSON_CreateBool (v != 0);
  case INK_PARAM_DOUBLE: return cJSON_CreateNumber (v);
  }
  return cJSON_CreateNumber (v);
}

/* ---- Text ---- */

static void
print_metadata_line (const char *label, const char *value)
{
  if (value[0] != '\0')
    printf ("  %s: %s\n", label, value);
}

static void
print_features (const char *title, const InkModelDescription *d, size_t n, FeatureGetter get)
{
  printf ("%s:%s\n", title, n == 0 ? " (none)" : "");
  for (size_t i = 0; i < n; i++) {
    const InkFeatureDescription *f = get (d, i);
    char type[128];

    ink_feature_type_describe (&f->type, type, sizeof type);
    printf ("  %s: %s%s\n", f->name, type, f->type.optional ? ", optional" : "");
    if (f->short_description[0] != '\0')
      printf ("    %s\n", f->short_description);
  }
}

static void
print_update_parameter (const InkUpdateParameter *p)
{
  g_autofree char *def = format_param_value (p->type, p->default_value);

  printf ("  %s: %s, default %s", p->key, param_type_to_string (p->type), def);
  if (p->has_range) {
    g_autofree char *min = format_param_value (p->type, p->min);
    g_autofree char *max = format_param_value (p->type, p->max);

    printf (", range [%s, %s]", min, max);
  }
  if (p->n_set > 0) {
    printf (", one of {");
    for (size_t i = 0; i < p->n_set; i++)
      printf ("%s%" G_GINT64_FORMAT, i > 0 ? ", " : "", (gint64) p->set[i]);
    printf ("}");
  }
  printf ("\n");
}

static int
print_text (const InkModel *model)
{
  const InkModelDescription *d = ink_model_get_description (model);
  InkMetadata meta = ink_description_metadata (d);
  const char *predicted = ink_description_predicted_feature_name (d);
  const char *probabilities = ink_description_predicted_probabilities_name (d);
  size_t n_user = ink_description_n_user_metadata (d);
  size_t n_params = ink_description_n_update_parameters (d);
  bool has_metadata = meta.short_description[0] != '\0' || meta.version[0] != '\0' ||
                      meta.author[0] != '\0' || meta.license[0] != '\0' || n_user > 0;

  printf ("Kind: %s\n", ink_model_kind_to_string (ink_model_get_kind (model)));
  printf ("Specification version: %d\n", ink_model_get_specification_version (model));
  printf ("Metadata:%s\n", has_metadata ? "" : " (none)");
  print_metadata_line ("Description", meta.short_description);
  print_metadata_line ("Version", meta.version);
  print_metadata_line ("Author", meta.author);
  print_metadata_line ("License", meta.license);
  for (size_t i = 0; i < n_user; i++)
    printf ("  %s: %s\n", ink_description_user_metadata_key (d, i),
            ink_description_user_metadata_value (d, i));
  print_features ("Inputs", d, ink_description_n_inputs (d), ink_description_input);
  print_features ("Outputs", d, ink_description_n_outputs (d), ink_description_output);
  print_features ("Training inputs", d, ink_description_n_training_inputs (d),
                  ink_description_training_input);
  printf ("Predicted feature: %s\n", predicted[0] != '\0' ? predicted : "(none)");
  printf ("Predicted probabilities: %s\n", probabilities[0] != '\0' ? probabilities : "(none)");
  printf ("Updatable: %s\n", ink_description_is_updatable (d) ? "yes" : "no");
  printf ("Update parameters:%s\n", n_params == 0 ? " (none)" : "");
  for (size_t i = 0; i < n_params; i++)
    print_update_parameter (ink_description_update_parameter (d, i));
  return cli_finish_output ();
}

/* ---- JSON ---- */

static cJSON *
metadata_to_json (const InkModelDescription *d)
{
  InkMetadata meta = ink_description_metadata (d);
  cJSON *json = cJSON_CreateObject ();
  cJSON *user = cJSON_CreateObject ();

  cJSON_AddStringToObject (json, "shortDescription", meta.short_description);
  cJSON_AddStringToObject (json, "version", meta.version);
  cJSON_AddStringToObject (json, "author", meta.author);
  cJSON_AddStringToObject (json, "license", meta.license);
  for (size_t i = 0; i < ink_description_n_user_metadata (d); i++)
    cJSON_AddStringToObject (user, ink_description_user_metadata_key (d, i),
                             ink_description_user_metadata_value (d, i));
  cJSON_AddItemToObject (json, "userDefined", user);
  return json;
}

static cJSON *
features_to_json (const InkModelDescription *d, size_t n, FeatureGetter get)
{
  cJSON *json = cJSON_CreateArray ();

  for (size_t i = 0; i < n; i++) {
    const InkFeatureDescription *f = get (d, i);
    cJSON *feature = cJSON_CreateObject ();

    cJSON_AddStringToObject (feature, "name", f->name);
    cJSON_AddStringToObject (feature, "shortDescription", f->short_description);
    cJSON_AddItemToObject (feature, "type", cli_feature_type_to_json (&f->type));
    cJSON_AddBoolToObject (feature, "optional", f->type.optional);
    cJSON_AddItemToArray (json, feature);
  }
  return json;
}

static cJSON *
update_parameter_to_json (const InkUpdateParameter *p)
{
  cJSON *json = cJSON_CreateObject ();

  cJSON_AddStringToObject (json, "key", p->key);
  cJSON_AddStringToObject (json, "type", param_type_to_string (p->type));
  cJSON_AddItemToObject (json, "default", param_value_to_json (p->type, p->default_value));
  if (p->has_range) {
    cJSON *range = cJSON_AddArrayToObject (json, "range");

    cJSON_AddItemToArray (range, param_value_to_json (p->type, p->min));
    cJSON_AddItemToArray (range, param_value_to_json (p->type, p->max));
  }
  if (p->n_set > 0) {
    cJSON *set = cJSON_AddArrayToObject (json, "set");

    for (size_t i = 0; i < p->n_set; i++)
      cJSON_AddItemToArray (set, cli_json_int64 (p->set[i]));
  }
  return json;
}

/* A name that may be unset: null rather than "". */
static cJSON *
optional_name (const char *name)
{
  return name[0] != '\0' ? cJSON_CreateString (name) : cJSON_CreateNull ();
}

static int
print_json (const InkModel *model)
{
  const InkModelDescription *d = ink_model_get_description (model);
  g_autoptr (cJSON) json = cJSON_CreateObject ();
  cJSON *params;

  cJSON_AddStringToObject (json, "kind", ink_model_kind_to_string (ink_model_get_kind (model)));
  cJSON_AddNumberToObject (json, "specificationVersion",
                           ink_model_get_specification_version (model));
  cJSON_AddItemToObject (json, "metadata", metadata_to_json (d));
  cJSON_AddItemToObject (json, "inputs",
                         features_to_json (d, ink_description_n_inputs (d), ink_description_input));
  cJSON_AddItemToObject (
    json, "outputs", features_to_json (d, ink_description_n_outputs (d), ink_description_output));
  cJSON_AddItemToObject (
    json, "trainingInputs",
    features_to_json (d, ink_description_n_training_inputs (d), ink_description_training_input));
  cJSON_AddItemToObject (json, "predictedFeatureName",
                         optional_name (ink_description_predicted_feature_name (d)));
  cJSON_AddItemToObject (json, "predictedProbabilitiesName",
                         optional_name (ink_description_predicted_probabilities_name (d)));
  cJSON_AddBoolToObject (json, "isUpdatable", ink_description_is_updatable (d));
  params = cJSON_AddArrayToObject (json, "updateParameters");
  for (size_t i = 0; i < ink_description_n_update_parameters (d); i++)
    cJSON_AddItemToArray (params,
                          update_parameter_to_json (ink_description_update_parameter (d, i)));
  return cli_print_json (json);
}

int
cli_inspect (int argc, char **argv)
{
  gboolean json = FALSE;
  g_auto (GStrv) remaining = NULL;
  const GOptionEntry entries[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON document", NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &remaining, NULL, "MODEL"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (InkModel) model = NULL;
  InkError err = {0};
  int status;

  g_option_context_set_summary (
    context, "Shows a model's kind, metadata, inputs, outputs, training inputs\n"
             "and update parameters. MODEL is a .inkmodel or a Core ML .mlmodel file.");
  g_option_context_add_main_entries (context, entries, NULL);
  status = cli_parse_options (context, "inspect", &argc, &argv);
  if (status == CLI_EXIT_OK)
    status = cli_check_arguments ("inspect", remaining, 1, "MODEL");
  if (status != CLI_EXIT_OK)
    return status;

  model = cli_load_model (remaining[0], &err);
  if (model == NULL)
    return cli_fail_engine (&err);
  return json ? print_json (model) : print_text (model);
}

/* cli-common.c: what inkling-cli's commands share
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-common.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first bytes of every compiled model (ink-inkmodel.c). */
#define INKMODEL_MAGIC "INKMODEL"
#define INKMODEL_MAGIC_SIZE 8

/* Multi-arrays longer than this are shortened in text output. */
#define TEXT_MAX_ELEMENTS 16

/* ---- Messages and exit statuses ---- */

int
cli_fail (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("inkling-cli: %s\n", message);
  return CLI_EXIT_ERROR;
}

int
cli_fail_engine (const InkError *err)
{
  if (err->message[0] != '\0')
    return cli_fail ("%s", err->message);
  return cli_fail ("%s", ink_status_to_string (err->status));
}

int
cli_usage_error (const char *command, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *name = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  name = command != NULL ? g_strdup_printf ("inkling-cli %s", command) : g_strdup ("inkling-cli");
  g_printerr ("%s: %s\nTry '%s --help' for more information.\n", name, message, name);
  return CLI_EXIT_USAGE;
}

int
cli_parse_options (GOptionContext *context, const char *command, int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    return cli_usage_error (command, "%s", error->message);
  return CLI_EXIT_OK;
}

int
cli_check_arguments (const char *command, char **remaining, guint n, const char *what)
{
  guint count = remaining != NULL ? g_strv_length (remaining) : 0;

  if (count < n)
    return cli_usage_error (command, "missing %s", what);
  if (count > n)
    return cli_usage_error (command, "unexpected argument '%s'", remaining[n]);
  return CLI_EXIT_OK;
}

int
cli_finish_output (void)
{
  if (fflush (stdout) != 0 || ferror (stdout))
    return cli_fail ("cannot write the output: %s", g_strerror (errno));
  return CLI_EXIT_OK;
}

/* ---- Models ---- */

bool
cli_is_compiled_model (const char *path)
{
  char head[INKMODEL_MAGIC_SIZE];
  FILE *file = fopen (path, "rb");
  bool compiled;

  if (file == NULL)
    return false;
  compiled = fread (head, 1, sizeof head, file) == sizeof head &&
             memcmp (head, INKMODEL_MAGIC, sizeof head) == 0;
  fclose (file);
  return compiled;
}

InkModel *
cli_load_model (const char *path, InkError *err)
{
  char head[INKMODEL_MAGIC_SIZE];
  size_t n;
  FILE *file;

  file = fopen (path, "rb");
  if (file == NULL) {
    ink_error_set (err, INK_ERR_IO, "cannot open %s: %s", path, g_strerror (errno));
    return NULL;
  }
  n = fread (head, 1, sizeof head, file);
  if (n < sizeof head && ferror (file)) {
    ink_error_set (err, INK_ERR_IO, "cannot read %s: %s", path, g_strerror (errno));
    fclose (file);
    return NULL;
  }
  fclose (file);

  /* A file that starts like a compiled model (even a truncated one) goes to
   * the loader, which says what is wrong with it. Anything else is taken as
   * a Core ML source and compiled in memory. */
  if (n > 0 && memcmp (head, INKMODEL_MAGIC, n) != 0)
    return ink_coreml_compile_file (path, err);
  return ink_model_load (path, err);
}

char *
cli_describe_features (const InkModelDescription *d, size_t n,
                       const InkFeatureDescription *(*at) (const InkModelDescription *d, size_t i))
{
  g_autoptr (GString) list = g_string_new (NULL);

  for (size_t i = 0; i < n; i++) {
    const InkFeatureDescription *feature = at (d, i);
    char type[128];

    ink_feature_type_describe (&feature->type, type, sizeof type);
    g_string_append_printf (list, "%s%s (%s)", i > 0 ? ", " : "", feature->name, type);
  }
  if (n == 0)
    g_string_append (list, "(none)");
  return g_string_free (g_steal_pointer (&list), FALSE);
}

char *
cli_describe_inputs (const InkModelDescription *d)
{
  return cli_describe_features (d, ink_description_n_inputs (d), ink_description_input);
}

/* ---- Parsing values ---- */

static bool
parse_double (const char *text, double *out)
{
  g_autofree char *s = g_strstrip (g_strdup (text));
  char *end = NULL;

  if (*s == '\0')
    return false;
  errno = 0;
  *out = g_ascii_strtod (s, &end);
  if (*end != '\0')
    return false;
  /* Overflow to infinity is refused; underflow to 0 or a denormal is fine. */
  return !(errno == ERANGE && isinf (*out));
}

static bool
parse_int64 (const char *text, int64_t *out)
{
  g_autofree char *s = g_strstrip (g_strdup (text));
  gint64 v;

  if (!g_ascii_string_to_signed (s, 10, G_MININT64, G_MAXINT64, &v, NULL))
    return false;
  *out = v;
  return true;
}

static char *
format_shape (size_t rank, const int64_t *shape)
{
  g_autoptr (GString) s = g_string_new ("[");

  for (size_t i = 0; i < rank; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "", (gint64) shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Splits comma-separated items; "" (or only blanks) gives none. */
static char **
split_items (const char *text)
{
  g_autofree char *s = g_strstrip (g_strdup (text));

  if (*s == '\0')
    return g_new0 (char *, 1);
  return g_strsplit (s, ",", -1);
}

static bool
store_element (InkValue *array, size_t i, double v, const char *name, const char *item,
               InkError *err)
{
  void *data = ink_value_array_data (array);

  switch (ink_value_array_type (array)) {
  case INK_ARRAY_FLOAT32: ((float *) data)[i] = (float) v; return true;
  case INK_ARRAY_FLOAT64: ((double *) data)[i] = v; return true;
  case INK_ARRAY_INT32:
    if (v != floor (v) || v < G_MININT32 || v > G_MAXINT32) {
      ink_error_set (err, INK_ERR_TYPE_MISMATCH, "input '%s' holds Int32 values; '%s' is not one",
                     name, item);
      return false;
    }
    ((int32_t *) data)[i] = (int32_t) v;
    return true;
  }
  return false;
}

static InkValue *
parse_multiarray (const InkFeatureDescription *input, const char *text, InkError *err)
{
  const InkFeatureType *t = &input->type;
  g_auto (GStrv) items = split_items (text);
  size_t n = g_strv_length (items);
  size_t expected = 1;
  int64_t flat_shape[1] = {(int64_t) n};
  g_autoptr (InkValue) array = NULL;

  for (size_t d = 0; d < t->rank; d++)
    expected *= t->shape[d] > 0 ? (size_t) t->shape[d] : 0;
  if (t->rank > 0 && n != expected) {
    g_autofree char *shape = format_shape (t->rank, t->shape);
    ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                   "input '%s' takes %zu comma-separated numbers (shape %s), got %zu", input->name,
                   expected, shape, n);
    return NULL;
  }
  if (n == 0) {
    ink_error_set (err, INK_ERR_SHAPE_MISMATCH, "input '%s' needs at least one number",
                   input->name);
    return NULL;
  }
  if (t->rank > 0)
    array = ink_value_new_multiarray (t->array_type, t->rank, t->shape, NULL);
  else
    array = ink_value_new_multiarray (t->array_type, 1, flat_shape, NULL);
  if (array == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "input '%s': cannot make a multi-array", input->name);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    double v;

    if (!parse_double (items[i], &v)) {
      ink_error_set (err, INK_ERR_TYPE_MISMATCH, "input '%s': '%s' is not a number", input->name,
                     items[i]);
      return NULL;
    }
    if (!store_element (array, i, v, input->name, items[i], err))
      return NULL;
  }
  return g_steal_pointer (&array);
}

static InkValue *
parse_dictionary (const InkFeatureDescription *input, const char *text, InkError *err)
{
  g_auto (GStrv) items = split_items (text);
  g_autoptr (InkValue) dict = ink_value_new_dictionary (input->type.key_type);

  for (size_t i = 0; dict != NULL && items[i] != NULL; i++) {
    char *colon = strrchr (items[i], ':');
    int64_t int_key;
    double v;

    if (colon == NULL) {
      ink_error_set (err, INK_ERR_TYPE_MISMATCH, "input '%s': '%s' is not KEY:NUMBER", input->name,
                     items[i]);
      return NULL;
    }
    *colon = '\0';
    g_strstrip (items[i]);
    if (!parse_double (colon + 1, &v)) {
      ink_error_set (err, INK_ERR_TYPE_MISMATCH, "input '%s': '%s' is not a number", input->name,
                     colon + 1);
      return NULL;
    }
    if (input->type.key_type == INK_KEY_STRING) {
      ink_value_dictionary_set_string (dict, items[i], v);
    } else if (parse_int64 (items[i], &int_key)) {
      ink_value_dictionary_set_int64 (dict, int_key, v);
    } else {
      ink_error_set (err, INK_ERR_TYPE_MISMATCH, "input '%s': key '%s' is not an integer",
                     input->name, items[i]);
      return NULL;
    }
  }
  if (dict == NULL)
    ink_error_set (err, INK_ERR_NO_MEMORY, "input '%s': out of memory", input->name);
  return g_steal_pointer (&dict);
}

static InkValue *
parse_sequence (const InkFeatureDescription *input, const char *text, InkError *err)
{
  g_auto (GStrv) items = split_items (text);
  InkValueType element_type = input->type.element_type;
  g_autoptr (InkValue) seq = ink_value_new_sequence (element_type);

  for (size_t i = 0; seq != NULL && items[i] != NULL; i++) {
    InkValue *element;
    int64_t v;

    if (element_type == INK_VALUE_INT64) {
      if (!parse_int64 (items[i], &v)) {
        ink_error_set (err, INK_ERR_TYPE_MISMATCH, "input '%s': '%s' is not an integer",
                       input->name, items[i]);
        return NULL;
      }
      element = ink_value_new_int64 (v);
    } else {
      element = ink_value_new_string (items[i]);
    }
    if (ink_value_sequence_append (seq, element) != INK_OK) {
      ink_error_set (err, INK_ERR_TYPE_MISMATCH, "input '%s': cannot hold '%s'", input->name,
                     items[i]);
      return NULL;
    }
  }
  if (seq == NULL)
    ink_error_set (err, INK_ERR_NO_MEMORY, "input '%s': out of memory", input->name);
  return g_steal_pointer (&seq);
}

InkValue *
cli_parse_value (const InkFeatureDescription *input, const char *text, InkError *err)
{
  InkValue *value = NULL;
  double d;
  int64_t i;

  switch (input->type.type) {
  case INK_VALUE_INT64:
    if (!parse_int64 (text, &i)) {
      ink_error_set (err, INK_ERR_TYPE_MISMATCH, "input '%s' is an Int64; '%s' is not an integer",
                     input->name, text);
      return NULL;
    }
    value = ink_value_new_int64 (i);
    break;
  case INK_VALUE_DOUBLE:
    if (!parse_double (text, &d)) {
      ink_error_set (err, INK_ERR_TYPE_MISMATCH, "input '%s' is a Double; '%s' is not a number",
                     input->name, text);
      return NULL;
    }
    value = ink_value_new_double (d);
    break;
  case INK_VALUE_STRING: value = ink_value_new_string (text); break;
  case INK_VALUE_MULTIARRAY: return parse_multiarray (input, text, err);
  case INK_VALUE_DICTIONARY: return parse_dictionary (input, text, err);
  case INK_VALUE_SEQUENCE: return parse_sequence (input, text, err);
  case INK_VALUE_IMAGE:
    if (ink_image_load_file (text, &value, err) != INK_OK)
      return NULL;
    return value;
  case INK_VALUE_INVALID:
  default:
    ink_error_set (err, INK_ERR_UNSUPPORTED, "input '%s' has a type inkling-cli cannot parse",
                   input->name);
    return NULL;
  }
  if (value == NULL)
    ink_error_set (err, INK_ERR_NO_MEMORY, "input '%s': out of memory", input->name);
  return value;
}

/* ---- Printing values ---- */

char *
cli_format_double (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char format[8];

  if (isnan (v))
    return g_strdup ("nan");
  if (isinf (v))
    return g_strdup (v > 0 ? "inf" : "-inf");
  for (int precision = 1; precision <= 17; precision++) {
    g_snprintf (format, sizeof format, "%%.%dg", precision);
    g_ascii_formatd (buf, sizeof buf, format, v);
    if (g_ascii_strtod (buf, NULL) == v)
      break;
  }
  return g_strdup (buf);
}

/* The double with the shortest decimal form that still rounds to f: a
 * float32 0.1f prints as 0.1, not 0.10000000149011612, and reads back as
 * the same float32. */
static double
float_as_short_double (float f)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char format[8];

  if (!isfinite (f))
    return f;
  for (int precision = 1; precision <= 9; precision++) {
    double d;

    g_snprintf (format, sizeof format, "%%.%dg", precision);
    g_ascii_formatd (buf, sizeof buf, format, f);
    d = g_ascii_strtod (buf, NULL);
    if ((float) d == f)
      return d;
  }
  return f;
}

static double
array_element (const InkValue *array, size_t i)
{
  double v = ink_value_array_get (array, i);

  if (ink_value_array_type (array) == INK_ARRAY_FLOAT32)
    return float_as_short_double ((float) v);
  return v;
}

/* Dictionary values, usually probabilities: three decimals. */
static char *
format_score (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (v == 0 || (fabs (v) >= 0.001 && fabs (v) < 1e6))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.3f", v));
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.3g", v));
}

typedef struct {
  size_t index;
  double value;
} DictEntry;

static int
compare_entries (const void *a, const void *b)
{
  const DictEntry *x = a, *y = b;
  bool x_nan = isnan (x->value), y_nan = isnan (y->value);

  if (x_nan != y_nan)
    return x_nan ? 1 : -1;
  if (!x_nan && x->value != y->value)
    return x->value > y->value ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static void
append_dictionary_text (GString *out, const InkValue *dict)
{
  size_t n = ink_value_dictionary_count (dict);
  g_autofree DictEntry *entries = g_new (DictEntry, n > 0 ? n : 1);

  for (size_t i = 0; i < n; i++)
    entries[i] = (DictEntry){i, ink_value_dictionary_value (dict, i)};
  qsort (entries, n, sizeof *entries, compare_entries);
  for (size_t i = 0; i < n; i++) {
    g_autofree char *score = format_score (entries[i].value);

    if (i > 0)
      g_string_append (out, ", ");
    if (ink_value_dictionary_key_type (dict) == INK_KEY_STRING)
      g_string_append (out, ink_value_dictionary_string_key (dict, entries[i].index));
    else
      g_string_append_printf (out, "%" G_GINT64_FORMAT,
                              (gint64) ink_value_dictionary_int64_key (dict, entries[i].index));
    g_string_append_printf (out, " (%s)", score);
  }
}

static void
append_array_text (GString *out, const InkValue *array)
{
  size_t n = ink_value_array_count (array);

  g_string_append_c (out, '[');
  for (size_t i = 0; i < n && i < TEXT_MAX_ELEMENTS; i++) {
    g_autofree char *element = cli_format_double (array_element (array, i));

    g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", element);
  }
  if (n > TEXT_MAX_ELEMENTS)
    g_string_append_printf (out, ", … (%zu values)", n);
  g_string_append_c (out, ']');
}

static void
append_value_text (GString *out, const InkValue *value)
{
  g_autofree char *number = NULL;

  switch (ink_value_get_type (value)) {
  case INK_VALUE_INT64:
    g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) ink_value_get_int64 (value));
    break;
  case INK_VALUE_DOUBLE:
    number = cli_format_double (ink_value_get_double (value));
    g_string_append (out, number);
    break;
  case INK_VALUE_STRING: g_string_append (out, ink_value_get_string (value)); break;
  case INK_VALUE_MULTIARRAY: append_array_text (out, value); break;
  case INK_VALUE_DICTIONARY: append_dictionary_text (out, value); break;
  case INK_VALUE_IMAGE:
    g_string_append_printf (out, "Image (%s %dx%d)",
                            ink_pixel_format_to_string (ink_value_image_format (value)),
                            ink_value_image_width (value), ink_value_image_height (value));
    break;
  case INK_VALUE_SEQUENCE:
    g_string_append_c (out, '[');
    for (size_t i = 0; i < ink_value_sequence_count (value); i++) {
      if (i > 0)
        g_string_append (out, ", ");
      append_value_text (out, ink_value_sequence_get (value, i));
    }
    g_string_append_c (out, ']');
    break;
  case INK_VALUE_INVALID:
  default: g_string_append (out, "(invalid)"); break;
  }
}

char *
cli_value_to_text (const InkValue *value)
{
  g_autoptr (GString) out = g_string_new (NULL);

  append_value_text (out, value);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ---- JSON ---- */

cJSON *
cli_json_int64 (int64_t v)
{
  char buf[32];

  /* cJSON numbers are doubles: exact up to 2^53. Beyond, print the digits. */
  if (v >= -(INT64_C (1) << 53) && v <= (INT64_C (1) << 53))
    return cJSON_CreateNumber ((double) v);
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, (gint64) v);
  return cJSON_CreateRaw (buf);
}

/* Dimension dim of a row-major array as nested JSON arrays; *next is the
 * next element to take. */
static cJSON *
array_to_json (const InkValue *array, size_t dim, size_t *next)
{
  size_t rank = ink_value_array_rank (array);
  const int64_t *shape = ink_value_array_shape (array);
  cJSON *json = cJSON_CreateArray ();

  for (int64_t i = 0; json != NULL && i < shape[dim]; i++) {
    if (dim + 1 == rank)
      cJSON_AddItemToArray (json, cJSON_CreateNumber (array_element (array, (*next)++)));
    else
      cJSON_AddItemToArray (json, array_to_json (array, dim + 1, next));
  }
  return json;
}

static cJSON *
dictionary_to_json (const InkValue *dict)
{
  cJSON *json = cJSON_CreateObject ();
  char key[32];

  for (size_t i = 0; json != NULL && i < ink_value_dictionary_count (dict); i++) {
    double v = ink_value_dictionary_value (dict, i);

    if (ink_value_dictionary_key_type (dict) == INK_KEY_STRING) {
      cJSON_AddNumberToObject (json, ink_value_dictionary_string_key (dict, i), v);
    } else {
      g_snprintf (key, sizeof key, "%" G_GINT64_FORMAT,
                  (gint64) ink_value_dictionary_int64_key (dict, i));
      cJSON_AddNumberToObject (json, key, v);
    }
  }
  return json;
}

cJSON *
cli_value_to_json (const InkValue *value)
{
  cJSON *json;
  size_t next = 0;

  switch (ink_value_get_type (value)) {
  case INK_VALUE_INT64: return cli_json_int64 (ink_value_get_int64 (value));
  case INK_VALUE_DOUBLE: return cJSON_CreateNumber (ink_value_get_double (value));
  case INK_VALUE_STRING: return cJSON_CreateString (ink_value_get_string (value));
  case INK_VALUE_MULTIARRAY: return array_to_json (value, 0, &next);
  case INK_VALUE_DICTIONARY: return dictionary_to_json (value);
  case INK_VALUE_IMAGE:
    json = cJSON_CreateObject ();
    cJSON_AddNumberToObject (json, "width", ink_value_image_width (value));
    cJSON_AddNumberToObject (json, "height", ink_value_image_height (value));
    cJSON_AddStringToObject (json, "pixelFormat",
                             ink_pixel_format_to_string (ink_value_image_format (value)));
    return json;
  case INK_VALUE_SEQUENCE:
    json = cJSON_CreateArray ();
    for (size_t i = 0; json != NULL && i < ink_value_sequence_count (value); i++)
      cJSON_AddItemToArray (json, cli_value_to_json (ink_value_sequence_get (value, i)));
    return json;
  case INK_VALUE_INVALID:
  default: return cJSON_CreateNull ();
  }
}

static void
add_image_constraint (cJSON *json, const InkImageConstraint *c)
{
  cJSON_AddNumberToObject (json, "width", (double) c->width);
  cJSON_AddNumberToObject (json, "height", (double) c->height);
  cJSON_AddStringToObject (json, "pixelFormat", ink_pixel_format_to_string (c->format));
  if (c->n_sizes > 0) {
    cJSON *sizes = cJSON_AddArrayToObject (json, "sizes");

    for (size_t i = 0; sizes != NULL && i < c->n_sizes; i++) {
      cJSON *size = cJSON_CreateObject ();

      cJSON_AddNumberToObject (size, "width", (double) c->sizes[i].width);
      cJSON_AddNumberToObject (size, "height", (double) c->sizes[i].height);
      cJSON_AddItemToArray (sizes, size);
    }
  }
  if (c->has_range) {
    /* Bounds as Core ML's SizeRange: an upper bound of -1 is unbounded. */
    cJSON *range = cJSON_AddObjectToObject (json, "sizeRange");
    cJSON *width = cJSON_CreateArray ();
    cJSON *height = cJSON_CreateArray ();

    cJSON_AddItemToArray (width, cli_json_int64 (c->min_width));
    cJSON_AddItemToArray (width, cli_json_int64 (c->max_width));
    cJSON_AddItemToArray (height, cli_json_int64 (c->min_height));
    cJSON_AddItemToArray (height, cli_json_int64 (c->max_height));
    cJSON_AddItemToObject (range, "width", width);
    cJSON_AddItemToObject (range, "height", height);
  }
}

cJSON *
cli_feature_type_to_json (const InkFeatureType *t)
{
  cJSON *json = cJSON_CreateObject ();
  cJSON *shape;

  cJSON_AddStringToObject (json, "type", ink_value_type_to_string (t->type));
  switch (t->type) {
  case INK_VALUE_MULTIARRAY:
    cJSON_AddStringToObject (json, "dataType", ink_array_type_to_string (t->array_type));
    shape = cJSON_AddArrayToObject (json, "shape");
    for (size_t i = 0; shape != NULL && i < t->rank; i++)
      cJSON_AddItemToArray (shape, cli_json_int64 (t->shape[i]));
    break;
  case INK_VALUE_IMAGE: add_image_constraint (json, &t->image); break;
  case INK_VALUE_DICTIONARY:
    cJSON_AddStringToObject (json, "keyType", t->key_type == INK_KEY_INT64 ? "Int64" : "String");
    break;
  case INK_VALUE_SEQUENCE:
    cJSON_AddStringToObject (json, "elementType", ink_value_type_to_string (t->element_type));
    break;
  case INK_VALUE_INT64:
  case INK_VALUE_DOUBLE:
  case INK_VALUE_STRING:
  case INK_VALUE_INVALID:
  default: break;
  }
  return json;
}

void
cli_print_json_line (const cJSON *json)
{
  char *text = cJSON_PrintUnformatted (json);

  if (text != NULL) {
    fputs (text, stdout);
    fputc ('\n', stdout);
    cJSON_free (text);
  }
  fflush (stdout);
}

int
cli_print_json (const cJSON *json)
{
  char *text = json != NULL ? cJSON_Print (json) : NULL;

  if (text == NULL)
    return cli_fail ("out of memory while writing JSON");
  fputs (text, stdout);
  fputc ('\n', stdout);
  cJSON_free (text);
  return cli_finish_output ();
}

/* cli-examples.c: training examples for `inkling-cli update`, read from
 * image files, a folder of label folders, or a CSV file
 *
 * A CSV file (RFC 4180: comma-separated, fields with commas, quotes or
 * line breaks in double quotes, a quote doubled inside them; LF or CRLF
 * line ends; UTF-8, with or without a byte-order mark) starts with a header
 * row naming every training input of the model once, in any order. Each
 * following row is one example; each cell is read as its column's declared
 * type, as predict reads --input VALUE: a number, a string, comma-separated
 * numbers for a multi-array (so a quoted cell: "0.5,1.25,3"), KEY:NUMBER
 * pairs for a dictionary, or a PNG/JPEG file for an image (relative to the
 * CSV file's folder). An empty cell leaves an optional input out. Blank
 * lines are skipped.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-examples.h"

#include <errno.h>
#include <string.h>

/* ---- The model's training inputs ---- */

char *
cli_describe_training_inputs (const InkModelDescription *d)
{
  return cli_describe_features (d, ink_description_n_training_inputs (d),
                                ink_description_training_input);
}

const InkFeatureDescription *
cli_training_target (const InkModelDescription *d, InkError *err)
{
  const InkFeatureDescription *found = NULL;
  g_autofree char *inputs = NULL;
  size_t n = 0;

  for (size_t i = 0; i < ink_description_n_training_inputs (d); i++) {
    const InkFeatureDescription *t = ink_description_training_input (d, i);

    if (ink_description_find_input (d, t->name) == NULL) {
      found = t;
      n++;
    }
  }
  if (n == 1)
    return found;
  /* Else the predicted feature, when it is a training input. */
  for (size_t i = 0; n == 0 && i < ink_description_n_training_inputs (d); i++) {
    const InkFeatureDescription *t = ink_description_training_input (d, i);

    if (strcmp (t->name, ink_description_predicted_feature_name (d)) == 0)
      return t;
  }
  inputs = cli_describe_training_inputs (d);
  if (n == 0)
    ink_error_set (err, INK_ERR_INVALID_MODEL,
                   "the model has no training target (a training input that is not an input); "
                   "its training inputs are: %s",
                   inputs);
  else
    ink_error_set (err, INK_ERR_INVALID_MODEL,
                   "the model has several training targets; give them all in a CSV file "
                   "(--examples FILE.csv); its training inputs are: %s",
                   inputs);
  return NULL;
}

/* The training target and the image training input that labelled images
 * go to: the model's training inputs must be exactly those two. False with
 * err set otherwise. */
static bool
find_image_training_inputs (const InkModelDescription *d, const InkFeatureDescription **target,
                            const InkFeatureDescription **image_input, InkError *err)
{
  const InkFeatureDescription *found = NULL;
  g_autofree char *inputs = NULL;
  size_t n = 0;

  *target = cli_training_target (d, err);
  if (*target == NULL)
    return false;
  for (size_t i = 0; i < ink_description_n_training_inputs (d); i++) {
    const InkFeatureDescription *t = ink_description_training_input (d, i);

    if (t != *target) {
      found = t;
      n++;
    }
  }
  if (n == 1 && found->type.type == INK_VALUE_IMAGE) {
    *image_input = found;
    return true;
  }
  inputs = cli_describe_training_inputs (d);
  ink_error_set (err, INK_ERR_TYPE_MISMATCH,
                 "labelled images need a model trained on one image and a label; its training "
                 "inputs are: %s (give other examples in a CSV file)",
                 inputs);
  return false;
}

/* ---- Values ---- */

/* Decodes an image file and converts it to input's constraint. */
static InkValue *
load_image (const InkFeatureDescription *input, const char *path, InkError *err)
{
  g_autoptr (InkValue) raw = NULL;
  InkValue *image = NULL;

  if (ink_image_load_file (path, &raw, err) != INK_OK)
    return NULL;
  if (ink_image_convert_value (raw, &input->type.image, NULL, &image, err) != INK_OK) {
    ink_error_prefix (err, "%s", path);
    return NULL;
  }
  return image;
}

/* A label as the target's type; where names its origin for messages. */
static InkValue *
parse_label (const InkFeatureDescription *target, const char *text, const char *where,
             InkError *err)
{
  InkValue *value;

  if (!g_utf8_validate (text, -1, NULL)) {
    ink_error_set (err, INK_ERR_TYPE_MISMATCH, "%s: the label is not UTF-8 text", where);
    return NULL;
  }
  value = cli_parse_value (target, text, err);
  if (value == NULL)
    ink_error_prefix (err, "%s", where);
  return value;
}

/* Appends {image_input: FILE's image, target: a copy of label}. */
static bool
append_image_example (InkBatch *batch, const InkFeatureDescription *image_input,
                      const InkFeatureDescription *target, const InkValue *label, const char *file,
                      InkError *err)
{
  g_autoptr (InkFeatures) example = ink_features_new ();
  InkValue *image;

  if (example == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return false;
  }
  image = load_image (image_input, file, err);
  if (image == NULL)
    return false;
  if (ink_features_set (example, image_input->name, image) != INK_OK ||
      ink_features_set (example, target->name, ink_value_copy (label)) != INK_OK ||
      ink_batch_append (batch, g_steal_pointer (&example)) != INK_OK) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return false;
  }
  return true;
}

InkBatch *
cli_examples_from_images (const InkModelDescription *d, const char *label, const char *const *files,
                          InkError *err)
{
  const InkFeatureDescription *target, *image_input;
  g_autoptr (InkValue) label_value = NULL;
  g_autoptr (InkBatch) batch = ink_batch_new ();

  if (!find_image_training_inputs (d, &target, &image_input, err))
    return NULL;
  label_value = parse_label (target, label, "--label", err);
  if (label_value == NULL)
    return NULL;
  for (size_t i = 0; files[i] != NULL; i++) {
    if (!append_image_example (batch, image_input, target, label_value, files[i], err))
      return NULL;
  }
  return g_steal_pointer (&batch);
}

/* ---- A folder of label folders ---- */

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The names in a folder but hidden ones (".*"), sorted. */
static GPtrArray *
list_folder (const char *path, InkError *err)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL) {
    ink_error_set (err, INK_ERR_IO, "%s", error->message);
    return NULL;
  }
  while ((name = g_dir_read_name (dir)) != NULL) {
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  }
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

static InkBatch *
read_label_folders (const InkModelDescription *d, const char *path, InkError *err)
{
  const InkFeatureDescription *target, *image_input;
  g_autoptr (GPtrArray) labels = NULL;
  g_autoptr (InkBatch) batch = ink_batch_new ();

  if (!find_image_training_inputs (d, &target, &image_input, err))
    return NULL;
  labels = list_folder (path, err);
  if (labels == NULL)
    return NULL;
  for (guint i = 0; i < labels->len; i++) {
    const char *label = g_ptr_array_index (labels, i);
    g_autofree char *folder = g_build_filename (path, label, NULL);
    g_autoptr (InkValue) label_value = NULL;
    g_autoptr (GPtrArray) files = NULL;

    if (!g_file_test (folder, G_FILE_TEST_IS_DIR)) {
      ink_error_set (err, INK_ERR_FORMAT,
                     "%s: not a folder; examples go in one folder per label (%s/LABEL/IMAGE)",
                     folder, path);
      return NULL;
    }
    label_value = parse_label (target, label, folder, err);
    if (label_value == NULL)
      return NULL;
    files = list_folder (folder, err);
    if (files == NULL)
      return NULL;
    if (files->len == 0) {
      ink_error_set (err, INK_ERR_FORMAT, "%s: the label folder holds no images", folder);
      return NULL;
    }
    for (guint j = 0; j < files->len; j++) {
      g_autofree char *file = g_build_filename (folder, g_ptr_array_index (files, j), NULL);

      if (!append_image_example (batch, image_input, target, label_value, file, err))
        return NULL;
    }
  }
  if (ink_batch_count (batch) == 0) {
    ink_error_set (err, INK_ERR_FORMAT, "%s: no label folders; examples go in %s/LABEL/IMAGE", path,
                   path);
    return NULL;
  }
  return g_steal_pointer (&batch);
}

/* ---- A CSV file ---- */

typedef struct {
  const char *path; /* for messages */
  const char *p;    /* the next byte to read */
  const char *end;
  size_t line; /* the line p is on, from 1 */
} CsvReader;

static bool
at_line_end (const CsvReader *r)
{
  return *r->p == '\n' || (*r->p == '\r' && (r->p + 1 == r->end || r->p[1] == '\n'));
}

/* Reads one record into fields and the line it starts on into *line.
 * Returns 1 for a record, 0 at the end of the text, -1 on an error. */
static int
csv_read_record (CsvReader *r, GPtrArray *fields, size_t *line, InkError *err)
{
  g_autoptr (GString) field = g_string_new (NULL);

  g_ptr_array_set_size (fields, 0);
  if (r->p >= r->end)
    return 0;
  *line = r->line;
  for (;;) {
    if (r->p < r->end && *r->p == '"') {
      size_t start = r->line;

      for (r->p++;; r->p++) {
        if (r->p >= r->end) {
          ink_error_set (err, INK_ERR_FORMAT, "%s:%zu: a quoted field is not closed", r->path,
                         start);
          return -1;
        }
        if (*r->p == '"') {
          if (r->p + 1 < r->end && r->p[1] == '"') {
            r->p++;
          } else {
            r->p++;
            break;
          }
        } else if (*r->p == '\n') {
          r->line++;
        }
        g_string_append_c (field, *r->p);
      }
      if (r->p < r->end && *r->p != ',' && !at_line_end (r)) {
        ink_error_set (err, INK_ERR_FORMAT,
                       "%s:%zu: text after a closing quote (a quote inside a quoted field is "
                       "written twice)",
                       r->path, r->line);
        return -1;
      }
    } else {
      while (r->p < r->end && *r->p != ',' && !at_line_end (r))
        g_string_append_c (field, *r->p++);
    }
    g_ptr_array_add (fields, g_strdup (field->str));
    g_string_truncate (field, 0);
    if (r->p >= r->end)
      return 1;
    if (*r->p == ',') {
      r->p++;
      continue;
    }
    if (*r->p == '\r')
      r->p++;
    if (r->p < r->end && *r->p == '\n')
      r->p++;
    r->line++;
    return 1;
  }
}

/* Reads the next record that is not a blank line. */
static int
csv_next_record (CsvReader *r, GPtrArray *fields, size_t *line, InkError *err)
{
  int got;

  do {
    got = csv_read_record (r, fields, line, err);
  } while (got == 1 && fields->len == 1 && ((char *) fields->pdata[0])[0] == '\0');
  return got;
}

/* Maps the header's columns to training inputs; every training input must
 * have exactly one column. */
static GPtrArray *
csv_columns (const InkModelDescription *d, const char *path, GPtrArray *header, InkError *err)
{
  g_autoptr (GPtrArray) columns = g_ptr_array_new ();

  for (guint i = 0; i < header->len; i++) {
    char *name = g_strstrip ((char *) header->pdata[i]);
    const InkFeatureDescription *input = NULL;

    for (size_t j = 0; j < ink_description_n_training_inputs (d); j++) {
      if (strcmp (ink_description_training_input (d, j)->name, name) == 0)
        input = ink_description_training_input (d, j);
    }
    if (input == NULL) {
      g_autofree char *inputs = cli_describe_training_inputs (d);

      ink_error_set (err, INK_ERR_FORMAT,
                     "%s:1: column '%s' is not a training input of the model; its training "
                     "inputs are: %s",
                     path, name, inputs);
      return NULL;
    }
    for (guint j = 0; j < columns->len; j++) {
      if (columns->pdata[j] == input) {
        ink_error_set (err, INK_ERR_FORMAT, "%s:1: column '%s' appears twice", path, name);
        return NULL;
      }
    }
    g_ptr_array_add (columns, (gpointer) input);
  }
  for (size_t j = 0; j < ink_description_n_training_inputs (d); j++) {
    const InkFeatureDescription *input = ink_description_training_input (d, j);
    gboolean found = FALSE;

    for (guint i = 0; i < columns->len; i++)
      found = found || columns->pdata[i] == input;
    if (!found) {
      ink_error_set (err, INK_ERR_FORMAT,
                     "%s:1: no column for training input '%s'; the header row names every "
                     "training input",
                     path, input->name);
      return NULL;
    }
  }
  return g_steal_pointer (&columns);
}

/* One row as an example. */
static InkFeatures *
csv_example (GPtrArray *columns, GPtrArray *fields, const char *folder, InkError *err)
{
  g_autoptr (InkFeatures) example = ink_features_new ();

  if (example == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  for (guint i = 0; i < columns->len; i++) {
    const InkFeatureDescription *input = columns->pdata[i];
    const char *cell = fields->pdata[i];
    InkValue *value;

    if (cell[0] == '\0' && input->type.optional)
      continue;
    if (input->type.type == INK_VALUE_IMAGE) {
      g_autofree char *file =
        g_path_is_absolute (cell) ? g_strdup (cell) : g_build_filename (folder, cell, NULL);

      if (cell[0] == '\0') {
        ink_error_set (err, INK_ERR_MISSING_INPUT, "column '%s' names no image file", input->name);
        return NULL;
      }
      value = load_image (input, file, err);
    } else {
      value = cli_parse_value (input, cell, err);
    }
    if (value == NULL)
      return NULL;
    if (ink_features_set (example, input->name, value) != INK_OK) {
      ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
      return NULL;
    }
  }
  return g_steal_pointer (&example);
}

static size_t
line_of (const char *text, const char *at)
{
  size_t line = 1;

  for (const char *p = text; p < at; p++)
    line += *p == '\n';
  return line;
}

static InkBatch *
read_csv (const InkModelDescription *d, const char *path, InkError *err)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr (GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) columns = NULL;
  g_autoptr (InkBatch) batch = ink_batch_new ();
  const char *bad = NULL;
  gsize size = 0;
  CsvReader r = {path, NULL, NULL, 1};
  size_t line = 1;
  int got;

  if (!g_file_get_contents (path, &text, &size, &error)) {
    ink_error_set (err, INK_ERR_IO, "%s", error->message);
    return NULL;
  }
  if (!g_utf8_validate (text, (gssize) size, &bad)) {
    ink_error_set (err, INK_ERR_FORMAT, "%s:%zu: not UTF-8 text (a CSV file of examples)", path,
                   line_of (text, bad));
    return NULL;
  }
  r.p = text;
  r.end = text + size;
  if (size >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0)
    r.p += 3;

  got = csv_next_record (&r, fields, &line, err);
  if (got < 0)
    return NULL;
  if (got == 0) {
    g_autofree char *inputs = cli_describe_training_inputs (d);

    ink_error_set (err, INK_ERR_FORMAT,
                   "%s: the file is empty; it needs a header row naming the training inputs (%s) "
                   "and a row per example",
                   path, inputs);
    return NULL;
  }
  if (line != 1) {
    ink_error_set (err, INK_ERR_FORMAT, "%s:%zu: the header row must be the first line", path,
                   line);
    return NULL;
  }
  columns = csv_columns (d, path, fields, err);
  if (columns == NULL)
    return NULL;

  while ((got = csv_next_record (&r, fields, &line, err)) == 1) {
    InkFeatures *example;

    if (fields->len != columns->len) {
      ink_error_set (err, INK_ERR_FORMAT, "%s:%zu: %u %s, but the header names %u columns", path,
                     line, fields->len, fields->len == 1 ? "field" : "fields", columns->len);
      return NULL;
    }
    example = csv_example (columns, fields, folder, err);
    if (example == NULL) {
      ink_error_prefix (err, "%s:%zu", path, line);
      return NULL;
    }
    if (ink_batch_append (batch, example) != INK_OK) {
      ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
      return NULL;
    }
  }
  if (got < 0)
    return NULL;
  if (ink_batch_count (batch) == 0) {
    ink_error_set (err, INK_ERR_FORMAT, "%s: no examples after the header row", path);
    return NULL;
  }
  return g_steal_pointer (&batch);
}

InkBatch *
cli_examples_read (const InkModelDescription *d, const char *path, InkError *err)
{
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    ink_error_set (err, INK_ERR_IO, "cannot open %s: %s", path, g_strerror (ENOENT));
    return NULL;
  }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return read_label_folders (d, path, err);
  return read_csv (d, path, err);
}

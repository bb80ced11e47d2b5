/* test-image-classifier.c: the bundled image classifier
 * (data/image-classifier.mlmodel, trained by tools/train-images)
 *
 * It compiles (and the build's compiled copy loads), describes itself as
 * docs/MODELS.md says (input, outputs, ten labels, updatable fc1 and fc2
 * only, the update parameters and their ranges), classifies the demo images
 * (data/demo-images) exactly as demo.json records, mostly right, and a short
 * relabel-and-retrain through an update task (Shirt and T-shirt swapped)
 * moves its predictions the intended way, changing only fc1 and fc2.
 *
 * Usage: test-image-classifier COMPILED.inkmodel SOURCE.mlmodel DEMO_DIR
 *
 * SPDX-License-Identifier: MIT
 */
#include <cjson/cJSON.h>
#include <glib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "ink-nn-private.h"
#include "ink.h"

static const char *compiled_path, *source_path, *demo_dir;

#define assert_ok(st, err)                                                                         \
  G_STMT_START                                                                                     \
  {                                                                                                \
    InkStatus st__ = (st);                                                                         \
    if (st__ != INK_OK)                                                                            \
      g_error ("%s:%d: %s: %s", __FILE__, __LINE__, ink_status_to_string (st__), (err)->message);  \
  }                                                                                                \
  G_STMT_END

static const char *const labels[10] = {
  "T-shirt", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal",  "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

/* The layers an update task may change. */
static const char *const updatable_layers[] = {"fc1", "fc2"};

static InkModel *
load_source (void)
{
  InkError err;
  InkModel *m = ink_coreml_compile_file (source_path, &err);

  if (m == NULL)
    g_error ("%s: %s", source_path, err.message);
  return m;
}

static void
test_compiles (void)
{
  struct stat st;
  InkModel *source = load_source ();
  InkModel *compiled;
  InkError err;

  /* Committed under 2 MB. */
  g_assert_cmpint (stat (source_path, &st), ==, 0);
  g_assert_cmpint (st.st_size, <, 2 * 1024 * 1024);
  compiled = ink_model_load (compiled_path, &err);
  if (compiled == NULL)
    g_error ("%s: %s", compiled_path, err.message);
  g_assert_cmpint (ink_model_get_kind (compiled), ==, INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  g_assert_cmpint (ink_model_get_kind (source), ==, INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  ink_model_free (compiled);
  ink_model_free (source);
}

static void
assert_param (const InkModelDescription *d, const char *key, InkParamType type, double def,
              double min, double max)
{
  const InkUpdateParameter *p = ink_description_find_update_parameter (d, key);

  g_assert_nonnull (p);
  g_assert_cmpint (p->type, ==, type);
  g_assert_cmpfloat_with_epsilon (p->default_value, def, 1e-12);
  if (type == INK_PARAM_BOOL)
    return;
  g_assert_true (p->has_range);
  g_assert_cmpfloat_with_epsilon (p->min, min, 1e-12);
  g_assert_cmpfloat_with_epsilon (p->max, max, 1e-12);
}

static void
test_description (void)
{
  InkModel *m = load_source ();
  const InkModelDescription *d = ink_model_get_description (m);
  const InkFeatureDescription *f;
  InkMetadata meta = ink_description_metadata (d);
  const InkNetwork *nn = m->body.nn;
  size_t n_updatable = 0;

  g_assert_cmpint (ink_model_get_specification_version (m), >=, 4);
  g_assert_cmpuint (ink_description_n_inputs (d), ==, 1);
  f = ink_description_input (d, 0);
  g_assert_cmpstr (f->name, ==, "image");
  g_assert_cmpint (f->type.type, ==, INK_VALUE_IMAGE);
  g_assert_cmpint (f->type.image.format, ==, INK_PIXEL_GRAY8);
  g_assert_cmpint (f->type.image.width, ==, 28);
  g_assert_cmpint (f->type.image.height, ==, 28);
  g_assert_cmpuint (ink_description_n_outputs (d), ==, 2);
  f = ink_description_find_output (d, "label");
  g_assert_nonnull (f);
  g_assert_cmpint (f->type.type, ==, INK_VALUE_STRING);
  f = ink_description_find_output (d, "labelProbability");
  g_assert_nonnull (f);
  g_assert_cmpint (f->type.type, ==, INK_VALUE_DICTIONARY);
  g_assert_cmpint (f->type.key_type, ==, INK_KEY_STRING);
  g_assert_cmpstr (ink_description_predicted_feature_name (d), ==, "label");
  g_assert_cmpstr (ink_description_predicted_probabilities_name (d), ==, "labelProbability");

  /* The ten Fashion-MNIST classes, in the data set's order. */
  g_assert_false (m->class_labels.is_int64);
  g_assert_cmpuint (m->class_labels.n, ==, 10);
  for (size_t i = 0; i < 10; i++)
    g_assert_cmpstr (m->class_labels.strings[i], ==, labels[i]);

  /* Metadata, with the data set's attribution. */
  g_assert_cmpstr (meta.author, ==, "Inkling contributors");
  g_assert_nonnull (strstr (meta.license, "MIT"));
  g_assert_nonnull (strstr (meta.license, "Zalando"));
  g_assert_nonnull (strstr (meta.short_description, "Fashion-MNIST"));
  g_assert_nonnull (ink_description_user_metadata_lookup (d, "dataset"));
  g_assert_nonnull (ink_description_user_metadata_lookup (d, "training"));

  /* Updatable: image and label train it, with cross-entropy and SGD. */
  g_assert_true (ink_description_is_updatable (d));
  g_assert_cmpuint (ink_description_n_training_inputs (d), ==, 2);
  g_assert_cmpstr (ink_description_training_input (d, 0)->name, ==, "image");
  g_assert_cmpstr (ink_description_training_input (d, 1)->name, ==, "label");
  g_assert_true (nn->has_loss);
  g_assert_cmpint (nn->loss_type, ==, INK_LOSS_CATEGORICAL_CROSS_ENTROPY);
  g_assert_cmpstr (nn->loss_target, ==, "label");
  g_assert_true (nn->has_optimizer);
  g_assert_cmpint (nn->optimizer, ==, INK_OPTIMIZER_SGD);
  assert_param (d, INK_PARAM_EPOCHS, INK_PARAM_INT64, 10, 1, 100);
  assert_param (d, INK_PARAM_LEARNING_RATE, INK_PARAM_DOUBLE, 0.01, 1e-5, 1);
  assert_param (d, INK_PARAM_MINI_BATCH_SIZE, INK_PARAM_INT64, 16, 1, 256);
  assert_param (d, INK_PARAM_MOMENTUM, INK_PARAM_DOUBLE, 0.9, 0, 0.99);
  assert_param (d, INK_PARAM_SHUFFLE, INK_PARAM_BOOL, 1, 0, 0);

  /* Only the last two inner products are updatable. */
  for (size_t i = 0; i < nn->n_layers; i++) {
    const InkLayer *l = &nn->layers[i];
    bool expected = false;
    for (size_t k = 0; k < G_N_ELEMENTS (updatable_layers); k++)
      expected |= strcmp (l->name, updatable_layers[k]) == 0;
    if (expected)
      g_assert_cmpint (l->kind, ==, INK_LAYER_INNER_PRODUCT);
    if (l->updatable != expected)
      g_error ("layer %s: updatable is %d", l->name, l->updatable);
    n_updatable += l->updatable;
  }
  g_assert_cmpuint (n_updatable, ==, G_N_ELEMENTS (updatable_layers));
  ink_model_free (m);
}

typedef struct {
  char *file;
  char *label;
  char *prediction;
  InkValue *image;
} Demo;

static Demo *
load_demos (size_t *n)
{
  g_autofree char *path = g_build_filename (demo_dir, "demo.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  cJSON *json, *images, *item;
  Demo *demos;
  size_t i = 0;

  if (!g_file_get_contents (path, &text, NULL, &error))
    g_error ("%s", error->message);
  json = cJSON_Parse (text);
  g_assert_nonnull (json);
  images = cJSON_GetObjectItem (json, "images");
  g_assert_true (cJSON_IsArray (images));
  *n = (size_t) cJSON_GetArraySize (images);
  demos = g_new0 (Demo, *n);
  cJSON_ArrayForEach (item, images)
  {
    Demo *d = &demos[i++];
    g_autofree char *file = NULL;
    InkError err;

    d->file = g_strdup (cJSON_GetStringValue (cJSON_GetObjectItem (item, "file")));
    d->label = g_strdup (cJSON_GetStringValue (cJSON_GetObjectItem (item, "label")));
    d->prediction = g_strdup (cJSON_GetStringValue (cJSON_GetObjectItem (item, "prediction")));
    g_assert_nonnull (d->file);
    g_assert_nonnull (d->label);
    g_assert_nonnull (d->prediction);
    file = g_build_filename (demo_dir, d->file, NULL);
    assert_ok (ink_image_load_file (file, &d->image, &err), &err);
  }
  cJSON_Delete (json);
  return demos;
}

static void
free_demos (Demo *demos, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    g_free (demos[i].file);
    g_free (demos[i].label);
    g_free (demos[i].prediction);
    ink_value_free (demos[i].image);
  }
  g_free (demos);
}

/* The model's label for an image (caller frees). */
static char *
predict (const InkModel *m, const InkValue *image)
{
  InkFeatures *in = ink_features_new (), *out = NULL;
  const InkValue *probs;
  double sum = 0;
  char *label;
  InkError err;

  ink_features_set (in, "image", ink_value_copy (image));
  assert_ok (ink_model_predict (m, in, &out, &err), &err);
  label = g_strdup (ink_value_get_string (ink_features_get (out, "label")));
  probs = ink_features_get (out, "labelProbability");
  g_assert_cmpuint (ink_value_dictionary_count (probs), ==, 10);
  for (size_t i = 0; i < 10; i++) {
    double p = -1;
    g_assert_true (ink_value_dictionary_lookup_string (probs, labels[i], &p));
    g_assert_cmpfloat (p, >=, 0);
    sum += p;
  }
  g_assert_cmpfloat (fabs (sum - 1), <, 1e-4);
  ink_features_free (in);
  ink_features_free (out);
  return label;
}

static void
test_demo_images (void)
{
  InkError err;
  InkModel *m = ink_model_load (compiled_path, &err);
  size_t n, correct = 0, classes[10] = {0};
  Demo *demos = load_demos (&n);

  g_assert_nonnull (m);
  g_assert_cmpuint (n, >=, 30);
  for (size_t i = 0; i < n; i++) {
    g_autofree char *got = predict (m, demos[i].image);
    size_t c;
    for (c = 0; c < 10 && strcmp (labels[c], demos[i].label) != 0; c++)
      ;
    g_assert_cmpuint (c, <, 10);
    classes[c]++;
    /* Exactly the recorded prediction. */
    if (strcmp (got, demos[i].prediction) != 0)
      g_error ("%s: predicted %s, demo.json says %s", demos[i].file, got, demos[i].prediction);
    correct += strcmp (got, demos[i].label) == 0;
  }
  /* Every class is shown, and the model gets at least 85% right. */
  for (size_t c = 0; c < 10; c++)
    g_assert_cmpuint (classes[c], >, 0);
  g_test_message ("%zu of %zu demo images right", correct, n);
  g_assert_cmpuint (correct * 100, >=, n * 85);
  free_demos (demos, n);
  ink_model_free (m);
}

static const InkLayer *
find_layer (const InkModel *m, const char *name)
{
  for (size_t i = 0; i < m->body.nn->n_layers; i++)
    if (strcmp (m->body.nn->layers[i].name, name) == 0)
      return &m->body.nn->layers[i];
  g_error ("no layer %s", name);
  return NULL;
}

static bool
same_weights (const InkModel *a, const InkModel *b, const char *layer)
{
  const InkLayer *la = find_layer (a, layer), *lb = find_layer (b, layer);

  for (int s = 0; s < INK_W_SLOTS; s++) {
    if (la->w[s].count != lb->w[s].count)
      return false;
    if (la->w[s].count > 0 &&
        memcmp (la->w[s].data, lb->w[s].data, la->w[s].count * sizeof (float)) != 0)
      return false;
  }
  return true;
}

/* Shirt and T-shirt swapped: the demo images, relabelled so, train the
 * model for its default epochs; the swapped classes' images then get the
 * other label and the rest keep theirs. */
static void
test_relabel_and_retrain (void)
{
  const char *a = "Shirt", *b = "T-shirt";
  InkError err;
  InkModel *m = ink_model_load (compiled_path, &err), *updated;
  size_t n, swapped = 0, swapped_before = 0, n_swapped = 0, kept = 0, n_kept = 0;
  Demo *demos = load_demos (&n);
  InkBatch *batch = ink_batch_new ();
  InkUpdateConfig *config = ink_update_config_new ();
  InkUpdateTask *task;

  g_assert_nonnull (m);
  for (size_t i = 0; i < n; i++) {
    const char *label = demos[i].label;
    InkFeatures *f = ink_features_new ();
    if (strcmp (label, a) == 0)
      label = b;
    else if (strcmp (label, b) == 0)
      label = a;
    ink_features_set (f, "image", ink_value_copy (demos[i].image));
    ink_features_set_string (f, "label", label);
    ink_batch_append (batch, f);
  }
  task = ink_update_task_new (m, batch, config, 0, NULL, NULL, NULL, &err);
  if (task == NULL)
    g_error ("update task: %s", err.message);
  assert_ok (ink_update_task_resume (task, &err), &err);
  g_assert_cmpint (ink_update_task_wait (task), ==, INK_TASK_COMPLETED);
  updated = ink_update_task_take_model (task);
  ink_update_task_free (task);
  g_assert_nonnull (updated);

  for (size_t i = 0; i < n; i++) {
    g_autofree char *before = predict (m, demos[i].image);
    g_autofree char *after = predict (updated, demos[i].image);
    const char *label = demos[i].label;
    if (strcmp (label, a) == 0 || strcmp (label, b) == 0) {
      const char *other = strcmp (label, a) == 0 ? b : a;
      n_swapped++;
      swapped_before += strcmp (before, other) == 0;
      swapped += strcmp (after, other) == 0;
    } else {
      n_kept++;
      kept += strcmp (after, label) == 0;
    }
  }
  g_test_message ("swapped classes: %zu of %zu get the other label before, %zu after; "
                  "other classes: %zu of %zu right after",
                  swapped_before, n_swapped, swapped, kept, n_kept);
  g_assert_cmpuint (n_swapped, >=, 4);
  g_assert_cmpuint (swapped, >, swapped_before);
  g_assert_cmpuint (swapped * 4, >=, n_swapped * 3);
  g_assert_cmpuint (kept * 100, >=, n_kept * 85);

  /* Only fc1 and fc2 changed. */
  for (size_t i = 0; i < m->body.nn->n_layers; i++) {
    const InkLayer *l = &m->body.nn->layers[i];
    bool changes = l->updatable;
    if (l->w[INK_W_WEIGHTS].count == 0)
      continue;
    if (same_weights (m, updated, l->name) == changes)
      g_error ("layer %s: weights %s", l->name, changes ? "unchanged" : "changed");
  }

  ink_model_free (updated);
  ink_update_config_free (config);
  ink_batch_free (batch);
  free_demos (demos, n);
  ink_model_free (m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc != 4) {
    g_printerr ("usage: test-image-classifier COMPILED.inkmodel SOURCE.mlmodel DEMO_DIR\n");
    return 2;
  }
  compiled_path = argv[1];
  source_path = argv[2];
  demo_dir = argv[3];
  g_test_add_func ("/image-classifier/compiles", test_compiles);
  g_test_add_func ("/image-classifier/description", test_description);
  g_test_add_func ("/image-classifier/demo-images", test_demo_images);
  g_test_add_func ("/image-classifier/relabel-and-retrain", test_relabel_and_retrain);
  return g_test_run ();
}

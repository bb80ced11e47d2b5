/* demo.c: the demo images that ship with the image classifier
 *
 * The first N images of each class in Fashion-MNIST's test split (in the
 * split's order, not picked by how the model does on them) become
 * DIR/<label>-<test index>.png (28x28 Gray8, as in the data set), with
 * DIR/demo.json (each file's test index, label and the model's prediction,
 * which tests/data checks) and DIR/README.md (the attribution).
 *
 * SPDX-License-Identifier: MIT
 */
#include "train-images.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "image-net.h"

#define README_HEAD                                                                                \
  "# Demo images\n"                                                                                \
  "\n"                                                                                             \
  "Images for Inkling's Images page and tests: the first %d images of each class\n"                \
  "in the **test split** of Fashion-MNIST (`t10k-images-idx3-ubyte`), in the\n"                    \
  "split's order, as 28x28 grayscale PNGs exactly as the data set has them (a\n"                   \
  "light garment on black). They were not picked by how the model does on them.\n"                 \
  "`<label>-<test index>.png` names each one's Fashion-MNIST class (`t-shirt`\n"                   \
  "is the data set's \"T-shirt/top\") and its index in the test split.\n"                          \
  "`demo.json` lists them with their label and the prediction of\n"                                \
  "`data/image-classifier.mlmodel`.\n"                                                             \
  "\n"                                                                                             \
  "Written by `inkling-train-images --write-demo data/demo-images --model\n"                       \
  "data/image-classifier.mlmodel --per-class %d` (tools/train-images) from Debian's\n"             \
  "`dataset-fashion-mnist`; see docs/MODELS.md.\n"                                                 \
  "\n"                                                                                             \
  "## Source and licence\n"                                                                        \
  "\n"                                                                                             \
  "Fashion-MNIST by Zalando Research, https://github.com/zalandoresearch/fashion-mnist\n"          \
  "(Han Xiao, Kashif Rasul, Roland Vollgraf: \"Fashion-MNIST: a Novel Image Dataset\n"             \
  "for Benchmarking Machine Learning Algorithms\", arXiv:1708.07747, 2017).\n"                     \
  "\n"                                                                                             \
  "The MIT License (MIT)\n"                                                                        \
  "\n"                                                                                             \
  "Copyright (c) 2017 Zalando SE\n"                                                                \
  "\n"                                                                                             \
  "Permission is hereby granted, free of charge, to any person obtaining a copy\n"                 \
  "of this software and associated documentation files (the \"Software\"), to deal\n"              \
  "in the Software without restriction, including without limitation the rights\n"                 \
  "to use, copy, modify, merge, publish, distribute, sublicense, and/or sell\n"                    \
  "copies of the Software, and to permit persons to whom the Software is\n"                        \
  "furnished to do so, subject to the following conditions:\n"                                     \
  "\n"                                                                                             \
  "The above copyright notice and this permission notice shall be included in all\n"               \
  "copies or substantial portions of the Software.\n"                                              \
  "\n"                                                                                             \
  "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\n"                 \
  "IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\n"                     \
  "FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\n"                  \
  "AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\n"                       \
  "LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,\n"                \
  "OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE\n"                \
  "SOFTWARE.\n"                                                                                    \
  "\n"                                                                                             \
  "## The images\n"                                                                                \
  "\n"                                                                                             \
  "| label | test indices |\n"                                                                     \
  "| --- | --- |\n"

/* Removes the PNGs an earlier run wrote. */
static bool
clear_pngs (const char *dir, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  const char *name;

  if (d == NULL)
    return false;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".png")) {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_remove (path) != 0) {
        g_set_error (error, NET_ERROR, 0, "cannot remove %s: %s", path, g_strerror (errno));
        return false;
      }
    }
  return true;
}

int
train_images_write_demo (const TrainOptions *o)
{
  g_autoptr (GError) error = NULL;
  FmnistSplit test = {0};
  InkModel *m = NULL;
  g_autofree size_t *picked = NULL;
  g_autofree int *predicted = NULL;
  g_autoptr (GString) readme = NULL;
  cJSON *json = NULL, *images;
  char *text = NULL;
  size_t n = 0, correct = 0;
  int status = 1;

  if (g_mkdir_with_parents (o->demo_dir, 0755) != 0) {
    g_set_error (&error, NET_ERROR, 0, "cannot make %s: %s", o->demo_dir, g_strerror (errno));
    goto out;
  }
  m = net_load (o->model, &error);
  if (m == NULL || !fmnist_load (o->data_dir, "t10k", &test, &error) ||
      !clear_pngs (o->demo_dir, &error))
    goto out;

  /* The first per_class images of each class, class by class. */
  picked = g_new (size_t, (size_t) o->per_class * FMNIST_CLASSES);
  for (int c = 0; c < FMNIST_CLASSES; c++) {
    int got = 0;
    for (size_t i = 0; i < test.n && got < o->per_class; i++)
      if (test.labels[i] == c) {
        picked[n++] = i;
        got++;
      }
  }
  predicted = g_new (int, n);
  if (!net_predict_split (m, &test, picked, n, o->threads, predicted, &error))
    goto out;

  readme = g_string_new (NULL);
  g_string_append_printf (readme, README_HEAD, o->per_class, o->per_class);
  json = cJSON_CreateObject ();
  cJSON_AddStringToObject (json, "source",
                           "Fashion-MNIST test split (t10k), Copyright (c) 2017 Zalando SE, MIT "
                           "licence, https://github.com/zalandoresearch/fashion-mnist");
  cJSON_AddStringToObject (json, "model", "image-classifier.mlmodel");
  images = cJSON_AddArrayToObject (json, "images");
  for (size_t i = 0; i < n; i++) {
    size_t idx = picked[i];
    int label = test.labels[idx];
    g_autofree char *file = g_strdup_printf ("%s-%05zu.png", fmnist_slug (label), idx);
    g_autofree char *path = g_build_filename (o->demo_dir, file, NULL);
    InkValue *image = ink_value_new_image (INK_PIXEL_GRAY8, FMNIST_SIDE, FMNIST_SIDE, FMNIST_SIDE,
                                           test.images + idx * FMNIST_PIXELS);
    cJSON *entry = cJSON_CreateObject ();
    InkError err;
    InkStatus st;

    ink_error_clear (&err);
    st = ink_image_save_png (image, path, &err);
    ink_value_free (image);
    if (st != INK_OK) {
      net_set_error (&error, path, st, &err);
      goto out;
    }
    cJSON_AddStringToObject (entry, "file", file);
    cJSON_AddNumberToObject (entry, "testIndex", (double) idx);
    cJSON_AddStringToObject (entry, "label", fmnist_labels[label]);
    cJSON_AddStringToObject (entry, "prediction", fmnist_labels[predicted[i]]);
    cJSON_AddItemToArray (images, entry);
    correct += predicted[i] == label;
    if (i % (size_t) o->per_class == 0)
      g_string_append_printf (readme, "| %s | ", fmnist_labels[label]);
    g_string_append_printf (readme, "%zu%s", idx,
                            i % (size_t) o->per_class == (size_t) o->per_class - 1 ? " |\n" : ", ");
  }
  text = cJSON_Print (json);
  {
    g_autofree char *json_path = g_build_filename (o->demo_dir, "demo.json", NULL);
    g_autofree char *readme_path = g_build_filename (o->demo_dir, "README.md", NULL);
    g_autofree char *json_text = g_strconcat (text, "\n", NULL);
    if (!g_file_set_contents (json_path, json_text, -1, &error) ||
        !g_file_set_contents (readme_path, readme->str, -1, &error))
      goto out;
  }
  printf ("wrote %zu images to %s; %s predicts %zu of them right\n", n, o->demo_dir, o->model,
          correct);
  status = 0;

out:
  if (error != NULL)
    fprintf (stderr, "inkling-train-images: %s\n", error->message);
  cJSON_free (text);
  cJSON_Delete (json);
  ink_model_free (m);
  fmnist_clear (&test);
  return status;
}

/* evaluate.c: a trained image classifier's accuracy on Fashion-MNIST's
 * test split, in all and per class, with its confusion pairs
 *
 * SPDX-License-Identifier: MIT
 */
#include "train-images.h"

#include <stdio.h>

#include "image-net.h"

int
train_images_evaluate (const TrainOptions *o)
{
  g_autoptr (GError) error = NULL;
  FmnistSplit test = {0};
  InkModel *m = NULL;
  g_autofree int *predicted = NULL;
  int confusion[FMNIST_CLASSES][FMNIST_CLASSES] = {{0}};
  int total[FMNIST_CLASSES] = {0};
  size_t correct = 0;
  gint64 start;
  int status = 1;

  m = net_load (o->model, &error);
  if (m == NULL || !fmnist_load (o->data_dir, "t10k", &test, &error))
    goto out;
  predicted = g_new (int, test.n);
  start = g_get_monotonic_time ();
  if (!net_predict_split (m, &test, NULL, test.n, o->threads, predicted, &error))
    goto out;
  for (size_t i = 0; i < test.n; i++) {
    int truth = test.labels[i];
    total[truth]++;
    if (predicted[i] >= 0)
      confusion[truth][predicted[i]]++;
    correct += predicted[i] == truth;
  }
  printf ("%s: test accuracy %.2f%% (%zu of %zu Fashion-MNIST test images, %.1f s)\n", o->model,
          100.0 * (double) correct / (double) test.n, correct, test.n,
          (double) (g_get_monotonic_time () - start) / 1e6);
  for (int c = 0; c < FMNIST_CLASSES; c++) {
    int worst = -1;
    for (int p = 0; p < FMNIST_CLASSES; p++)
      if (p != c && (worst < 0 || confusion[c][p] > confusion[c][worst]))
        worst = p;
    printf ("  %-10s %5.1f%%  (most often mistaken for %s: %d)\n", fmnist_labels[c],
            100.0 * confusion[c][c] / MAX (total[c], 1), fmnist_labels[worst], confusion[c][worst]);
  }
  status = 0;

out:
  if (error != NULL)
    fprintf (stderr, "inkling-train-images: %s\n", error->message);
  ink_model_free (m);
  fmnist_clear (&test);
  return status;
}

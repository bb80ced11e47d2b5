/* relabel.c: measures the relabel-and-retrain flow of the seed article
 *
 * The user's labelling differs from the model's: two classes are swapped
 * (by default Shirt and T-shirt). As in the app, the user labels a small
 * collection of images their way, per_class training images of every
 * class: those of the two swapped classes get the other label (the model
 * gets all of them wrong now), the rest keep theirs. An update task (the
 * path the app takes; only the model's updatable layers change) trains on
 * that collection with the model's update parameters. Accuracy is measured
 * on Fashion-MNIST's 10000 test images under the user's labelling, before
 * and after, over several draws of the collection (trials).
 *
 * SPDX-License-Identifier: MIT
 */
#include "train-images.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "image-net.h"

typedef struct {
  double all, swapped, others;
} Scores;

/* Accuracy over the test split under the labelling map. */
static bool
score (const InkModel *m, const FmnistSplit *test, const int map[FMNIST_CLASSES], int a, int b,
       int threads, Scores *s, GError **error)
{
  g_autofree int *predicted = g_new (int, test->n);
  size_t right[2] = {0}, total[2] = {0};

  if (!net_predict_split (m, test, NULL, test->n, threads, predicted, error))
    return false;
  for (size_t i = 0; i < test->n; i++) {
    int truth = test->labels[i], k = truth == a || truth == b ? 0 : 1;
    total[k]++;
    right[k] += predicted[i] == map[truth];
  }
  s->swapped = (double) right[0] / (double) MAX (total[0], 1);
  s->others = (double) right[1] / (double) MAX (total[1], 1);
  s->all = (double) (right[0] + right[1]) / (double) test->n;
  return true;
}

static void
print_scores (const char *what, const Scores *s)
{
  printf ("%s %5.1f%% (swapped classes %5.1f%%, others %5.1f%%)", what, 100 * s->all,
          100 * s->swapped, 100 * s->others);
}

static void
on_epoch (InkUpdateTask *task, InkUpdateEvent event, const InkUpdateMetrics *metrics,
          void *user_data)
{
  double *losses = user_data;

  if (metrics->epoch >= 0 && metrics->epoch < 1000)
    losses[metrics->epoch] = metrics->loss;
}

int
train_images_relabel_eval (const TrainOptions *o)
{
  enum {
    TRIALS = 5
  };
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) pair = g_strsplit (o->swap, ",", -1);
  FmnistSplit train = {0}, test = {0};
  InkModel *base = NULL;
  InkUpdateConfig *config = NULL;
  int map[FMNIST_CLASSES], a, b;
  Scores before, original, after_sum = {0};
  double worst = 1, best = 0;
  InkError err;
  int status = 1;

  ink_error_clear (&err);
  if (g_strv_length (pair) != 2 || (a = fmnist_label_index (pair[0])) < 0 ||
      (b = fmnist_label_index (pair[1])) < 0 || a == b) {
    fprintf (stderr, "inkling-train-images: --swap wants two different labels, A,B: %s\n", o->swap);
    return 2;
  }
  for (int c = 0; c < FMNIST_CLASSES; c++)
    map[c] = c == a ? b : c == b ? a : c;

  base = net_load (o->model, &error);
  if (base == NULL || !fmnist_load (o->data_dir, "train", &train, &error) ||
      !fmnist_load (o->data_dir, "t10k", &test, &error))
    goto out;

  config = ink_update_config_new ();
  ink_update_config_set_threads (config, o->threads);
  if ((o->update_epochs > 0 && ink_update_config_set_parameter (
                                 config, INK_PARAM_EPOCHS, o->update_epochs, &err) != INK_OK) ||
      (o->learning_rate > 0 &&
       ink_update_config_set_parameter (config, INK_PARAM_LEARNING_RATE, o->learning_rate, &err) !=
         INK_OK)) {
    net_set_error (&error, "parameters", err.status, &err);
    goto out;
  }

  {
    const int identity[FMNIST_CLASSES] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    if (!score (base, &test, identity, a, b, o->threads, &original, &error) ||
        !score (base, &test, map, a, b, o->threads, &before, &error))
      goto out;
  }
  printf ("swap %s <-> %s; each trial: an update task on %d training images per class "
          "(%d relabelled), %d threads\n",
          fmnist_labels[a], fmnist_labels[b], o->per_class, 2 * o->per_class, o->threads);
  print_scores ("base model, Fashion-MNIST's labels:", &original);
  printf ("\n");
  print_scores ("base model, the swapped labels:    ", &before);
  printf ("\n");

  for (int trial = 0; trial < TRIALS; trial++) {
    uint64_t rng = o->seed * 1000003u + (uint64_t) trial;
    InkBatch *batch = ink_batch_new ();
    InkUpdateTask *task = NULL;
    InkModel *updated = NULL;
    double losses[1000], epochs = 0, lr = 0, mb = 0, momentum = 0;
    gint64 start;
    Scores after;
    bool ok;

    /* per_class distinct random training images of each class. */
    for (int c = 0; c < FMNIST_CLASSES; c++) {
      int got = 0;
      while (got < o->per_class) {
        size_t i = net_below (&rng, train.n);
        /* Picked images are marked (label + 10) so that none comes twice. */
        if (train.labels[i] != c)
          continue;
        ink_batch_append (batch, net_example (train.images + i * FMNIST_PIXELS,
                                              fmnist_labels[map[train.labels[i]]]));
        train.labels[i] += FMNIST_CLASSES;
        got++;
      }
    }
    for (size_t i = 0; i < train.n; i++)
      train.labels[i] %= FMNIST_CLASSES;

    start = g_get_monotonic_time ();
    task =
      ink_update_task_new (base, batch, config, INK_EVENT_EPOCH_END, on_epoch, NULL, losses, &err);
    ok = task != NULL && ink_update_task_resume (task, &err) == INK_OK &&
         ink_update_task_wait (task) == INK_TASK_COMPLETED;
    if (task != NULL) {
      if (!ok)
        ink_update_task_get_error (task, &err);
      ink_update_task_get_parameter (task, INK_PARAM_EPOCHS, &epochs, NULL);
      ink_update_task_get_parameter (task, INK_PARAM_LEARNING_RATE, &lr, NULL);
      ink_update_task_get_parameter (task, INK_PARAM_MINI_BATCH_SIZE, &mb, NULL);
      ink_update_task_get_parameter (task, INK_PARAM_MOMENTUM, &momentum, NULL);
      updated = ok ? ink_update_task_take_model (task) : NULL;
    }
    ink_update_task_free (task);
    ink_batch_free (batch);
    if (!ok) {
      net_set_error (&error, "the update task", err.status, &err);
      goto out;
    }
    if (trial == 0)
      printf ("update parameters: epochs %.0f, learningRate %g, miniBatchSize %.0f, "
              "momentum %g\n",
              epochs, lr, mb, momentum);
    printf ("trial %d: update %.1f s, loss %.3f -> %.3f; ", trial + 1,
            (double) (g_get_monotonic_time () - start) / 1e6, losses[0], losses[(int) epochs - 1]);
    ok = score (updated, &test, map, a, b, o->threads, &after, &error);
    ink_model_free (updated);
    if (!ok)
      goto out;
    print_scores ("after:", &after);
    printf ("\n");
    fflush (stdout);
    after_sum.all += after.all / TRIALS;
    after_sum.swapped += after.swapped / TRIALS;
    after_sum.others += after.others / TRIALS;
    worst = MIN (worst, after.all);
    best = MAX (best, after.all);
  }
  print_scores ("mean after the update, the swapped labels:", &after_sum);
  printf ("; trials from %.1f%% to %.1f%%\n", 100 * worst, 100 * best);
  status = 0;

out:
  if (error != NULL)
    fprintf (stderr, "inkling-train-images: %s\n", error->message);
  ink_update_config_free (config);
  ink_model_free (base);
  fmnist_clear (&train);
  fmnist_clear (&test);
  return status;
}

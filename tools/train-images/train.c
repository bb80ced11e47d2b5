/* train.c: trains the image classifier from scratch on Fashion-MNIST with
 * the engine's own trainer, then writes it as a Core ML model
 *
 * Adam with a cosine-decayed learning rate, mini-batches of a shuffled
 * order (splitmix64 from the seed), and light augmentation (a random
 * horizontal flip and a shift of up to one pixel). The result depends only
 * on the seed, the options and the thread count.
 *
 * SPDX-License-Identifier: MIT
 */
#include "train-images.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "image-net.h"
#include "ink-nn-train-private.h"

static double
seconds_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / 1e6;
}

/* The CPU time of the whole process (every thread) so far, in seconds: on a
 * shared machine it tells the work apart from the wait. */
static double
cpu_seconds (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
    return 0;
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Flips (when flip) and shifts src by dx, dy into dst; uncovered pixels
 * are background (0). */
static void
augment (const uint8_t *src, uint8_t *dst, bool flip, int dx, int dy)
{
  for (int y = 0; y < FMNIST_SIDE; y++)
    for (int x = 0; x < FMNIST_SIDE; x++) {
      int sx = x - dx, sy = y - dy;
      if (flip)
        sx = FMNIST_SIDE - 1 - sx;
      dst[y * FMNIST_SIDE + x] =
        sx >= 0 && sx < FMNIST_SIDE && sy >= 0 && sy < FMNIST_SIDE ? src[sy * FMNIST_SIDE + sx] : 0;
    }
}

int
train_images_train (const TrainOptions *o)
{
  g_autoptr (GError) error = NULL;
  FmnistSplit train = {0}, test = {0};
  g_autofree size_t *order = NULL;
  g_autofree size_t *held = NULL;
  InkModel *m = NULL;
  InkNnTrainer *trainer = NULL;
  InkOptimizerConfig opt = {.optimizer = INK_OPTIMIZER_ADAM,
                            .learning_rate = o->train_lr,
                            .beta1 = 0.9,
                            .beta2 = 0.999,
                            .eps = 1e-8};
  uint64_t rng = o->seed ^ 0x5eed5eed5eedull;
  size_t n_train, n_held, steps_per_epoch, total_steps, step = 0;
  size_t batch = (size_t) o->batch;
  int correct[FMNIST_CLASSES] = {0}, total[FMNIST_CLASSES] = {0};
  double acc;
  gint64 start = g_get_monotonic_time ();
  InkError err;
  int status = 1;

  ink_error_clear (&err);
  if (!fmnist_load (o->data_dir, "train", &train, &error) ||
      !fmnist_load (o->data_dir, "t10k", &test, &error))
    goto out;
  m = net_new (o->seed, &error);
  if (m == NULL)
    goto out;
  trainer = ink_nn_trainer_new (m, true, o->threads, &err);
  if (trainer == NULL) {
    net_set_error (&error, "the trainer", err.status, &err);
    goto out;
  }

  /* A fixed shuffle of the training images decides the held-out ones. */
  n_train = train.n;
  if (o->limit > 0 && (size_t) o->limit < n_train)
    n_train = (size_t) o->limit;
  order = g_new (size_t, train.n);
  for (size_t i = 0; i < train.n; i++)
    order[i] = i;
  for (size_t i = train.n; i > 1; i--) {
    size_t j = net_below (&rng, i), t = order[i - 1];
    order[i - 1] = order[j];
    order[j] = t;
  }
  n_held = o->validation > 0 ? MIN ((size_t) o->validation, n_train / 2) : 0;
  held = g_memdup2 (order + n_train - n_held, n_held * sizeof *held);
  n_train -= n_held;

  steps_per_epoch = (n_train + batch - 1) / batch;
  total_steps = steps_per_epoch * (size_t) o->epochs;
  printf ("training on %zu images (%zu held out), %d epochs of %zu mini-batches of %zu, "
          "%d threads, seed %" G_GUINT64_FORMAT "\n",
          n_train, n_held, o->epochs, steps_per_epoch, batch, o->threads, o->seed);
  fflush (stdout);

  for (int epoch = 0; epoch < o->epochs; epoch++) {
    double sum = 0;
    gint64 epoch_start = g_get_monotonic_time ();

    for (size_t i = n_train; i > 1; i--) {
      size_t j = net_below (&rng, i), t = order[i - 1];
      order[i - 1] = order[j];
      order[j] = t;
    }
    for (size_t b = 0; b < n_train; b += batch) {
      size_t k = MIN (batch, n_train - b);
      InkFeatures *ex[1024];
      double loss;
      InkStatus st;

      for (size_t e = 0; e < k; e++) {
        size_t idx = order[b + e];
        const uint8_t *src = train.images + idx * FMNIST_PIXELS;
        uint8_t pixels[FMNIST_PIXELS];
        if (o->no_augment)
          memcpy (pixels, src, sizeof pixels);
        else {
          bool flip = net_rand (&rng) & 1;
          int dx = (int) net_below (&rng, 3) - 1, dy = (int) net_below (&rng, 3) - 1;
          augment (src, pixels, flip, dx, dy);
        }
        ex[e] = net_example (pixels, fmnist_labels[train.labels[idx]]);
      }
      /* Cosine decay from the peak rate to zero over the whole run. */
      opt.learning_rate =
        o->train_lr * 0.5 * (1.0 + cos (G_PI * (double) step / (double) total_steps));
      ink_nn_trainer_set_optimizer (trainer, &opt);
      st = ink_nn_trainer_step (trainer, (const InkFeatures *const *) ex, k, &loss, &err);
      for (size_t e = 0; e < k; e++)
        ink_features_free (ex[e]);
      if (st != INK_OK) {
        net_set_error (&error, "a training step", st, &err);
        goto out;
      }
      sum += loss * (double) k;
      step++;
    }
    printf ("epoch %d: loss %.4f, %.0f s (%.0f s in all, %.0f s of CPU)", epoch + 1,
            sum / (double) n_train, seconds_since (epoch_start), seconds_since (start),
            cpu_seconds ());
    if (n_held > 0) {
      acc = net_accuracy (m, &train, held, n_held, o->threads, NULL, NULL, &error);
      if (acc < 0)
        goto out;
      printf (", held-out accuracy %.2f%%", 100 * acc);
    }
    printf ("\n");
    fflush (stdout);
  }

  acc = net_accuracy (m, &test, NULL, test.n, o->threads, correct, total, &error);
  if (acc < 0)
    goto out;
  printf ("test accuracy: %.2f%% (%zu images); training took %.0f s (%.0f s of CPU)\n", 100 * acc,
          test.n, seconds_since (start), cpu_seconds ());
  for (int c = 0; c < FMNIST_CLASSES; c++)
    printf ("  %-10s %.1f%%\n", fmnist_labels[c], 100.0 * correct[c] / MAX (total[c], 1));
  {
    g_autofree char *how = g_strdup_printf (
      "tools/train-images: inkling-train-images --seed %" G_GUINT64_FORMAT
      " --epochs %d --threads %d%s; %.2f%% correct on Fashion-MNIST's %zu test images",
      o->seed, o->epochs, o->threads, o->no_augment ? " --no-augment" : "", 100 * acc, test.n);
    InkStatus st;

    ink_model_set_user_metadata (m, "training", how);
    st = ink_coreml_export (m, o->out, &err);
    if (st != INK_OK) {
      net_set_error (&error, o->out, st, &err);
      goto out;
    }
  }
  printf ("wrote %s\n", o->out);
  status = 0;

out:
  if (error != NULL)
    fprintf (stderr, "inkling-train-images: %s\n", error->message);
  ink_nn_trainer_free (trainer);
  ink_model_free (m);
  fmnist_clear (&train);
  fmnist_clear (&test);
  return status;
}

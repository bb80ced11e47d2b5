/* train-images.h: the commands of inkling-train-images
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

typedef struct {
  const char *data_dir; /* Fashion-MNIST's files (NULL: the Debian package's) */
  const char *out;      /* --out: the .mlmodel to write */
  const char *model;    /* --model, --evaluate, --relabel-eval: the trained model */
  const char *demo_dir; /* --write-demo */
  const char *swap;     /* --swap A,B */
  guint64 seed;         /* --seed */
  int epochs;           /* --epochs: training from scratch */
  int threads;          /* --threads */
  int per_class;        /* --per-class: demo images, or relabel examples per class */
  int validation;       /* --validation: training images held out to watch */
  int limit;            /* --limit: training images used (0: all) */
  int update_epochs;    /* --update-epochs (0: the model's default) */
  double learning_rate; /* --learning-rate of the update (0: the model's default) */
  double train_lr;      /* --train-learning-rate: Adam's peak rate from scratch */
  int batch;            /* --batch: mini-batch size from scratch */
  gboolean no_augment;  /* --no-augment */
} TrainOptions;

/* Each returns the exit status. */
int train_images_train (const TrainOptions *o);
int train_images_write_demo (const TrainOptions *o);
int train_images_relabel_eval (const TrainOptions *o);
int train_images_evaluate (const TrainOptions *o);

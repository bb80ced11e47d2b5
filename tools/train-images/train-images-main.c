/* train-images-main.c: inkling-train-images, the image classifier's tool
 *
 *   inkling-train-images --out data/image-classifier.mlmodel [--seed N] [--epochs N]
 *                        [--threads N]
 *       trains the classifier on Fashion-MNIST from scratch and writes it
 *   inkling-train-images --write-demo data/demo-images --model MODEL [--per-class N]
 *       writes demo images from Fashion-MNIST's test split, their attribution,
 *       and demo.json (each image's label and MODEL's prediction)
 *   inkling-train-images --evaluate MODEL
 *       prints MODEL's accuracy on Fashion-MNIST's test split, per class too
 *   inkling-train-images --relabel-eval MODEL [--swap A,B] [--per-class N]
 *                        [--update-epochs N] [--learning-rate X] [--seed N]
 *       measures relabel-and-retrain with an update task (docs/MODELS.md)
 *
 * Fashion-MNIST is read from Debian's dataset-fashion-mnist
 * (/usr/share/datasets/fashion-mnist) or --data DIR.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>

#include "train-images.h"

int
main (int argc, char **argv)
{
  TrainOptions o = {
    .seed = 1,
    .epochs = 15,
    .threads = 2,
    .per_class = 0,
    .train_lr = 0.002,
    .batch = 32,
  };
  g_autofree char *data_dir = NULL, *out = NULL, *model = NULL, *demo_dir = NULL, *swap = NULL,
                  *relabel = NULL, *evaluate = NULL;
  GOptionEntry entries[] = {
    {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Train from scratch and write the .mlmodel", "FILE"},
    {"write-demo", 0, 0, G_OPTION_ARG_FILENAME, &demo_dir,
     "Write demo images from the test split into DIR", "DIR"},
    {"relabel-eval", 0, 0, G_OPTION_ARG_FILENAME, &relabel,
     "Measure relabel-and-retrain of MODEL with an update task", "MODEL"},
    {"evaluate", 0, 0, G_OPTION_ARG_FILENAME, &evaluate, "Print MODEL's accuracy on the test split",
     "MODEL"},
    {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "The trained model (--write-demo)", "MODEL"},
    {"data", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
     "Fashion-MNIST's folder (default /usr/share/datasets/fashion-mnist)", "DIR"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &o.seed, "Random seed (default 1)", "N"},
    {"epochs", 0, 0, G_OPTION_ARG_INT, &o.epochs, "Training epochs from scratch (default 15)", "N"},
    {"threads", 0, 0, G_OPTION_ARG_INT, &o.threads, "Compute threads (default 2)", "N"},
    {"batch", 0, 0, G_OPTION_ARG_INT, &o.batch, "Mini-batch size from scratch (default 32)", "N"},
    {"train-learning-rate", 0, 0, G_OPTION_ARG_DOUBLE, &o.train_lr,
     "Adam's peak learning rate from scratch (default 0.002)", "X"},
    {"no-augment", 0, 0, G_OPTION_ARG_NONE, &o.no_augment, "No flips or shifts", NULL},
    {"validation", 0, 0, G_OPTION_ARG_INT, &o.validation,
     "Hold out N training images and report their accuracy each epoch", "N"},
    {"limit", 0, 0, G_OPTION_ARG_INT, &o.limit, "Use only N training images", "N"},
    {"per-class", 0, 0, G_OPTION_ARG_INT, &o.per_class,
     "Demo images (default 4) or relabel examples (default 10) per class", "N"},
    {"swap", 0, 0, G_OPTION_ARG_STRING, &swap, "The two labels to swap (default \"Shirt,T-shirt\")",
     "A,B"},
    {"update-epochs", 0, 0, G_OPTION_ARG_INT, &o.update_epochs,
     "Epochs of the update (default: the model's)", "N"},
    {"learning-rate", 0, 0, G_OPTION_ARG_DOUBLE, &o.learning_rate,
     "Learning rate of the update (default: the model's)", "X"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr (GOptionContext) context =
    g_option_context_new ("- train and evaluate Inkling's image classifier");
  g_autoptr (GError) error = NULL;
  int modes;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    fprintf (stderr, "inkling-train-images: %s\n", error->message);
    return 2;
  }
  modes = (out != NULL) + (demo_dir != NULL) + (relabel != NULL) + (evaluate != NULL);
  if (argc > 1 || modes != 1 || o.epochs < 1 || o.threads < 1 || o.threads > 64 || o.batch < 1 ||
      o.batch > 1024 || o.per_class < 0 || o.train_lr <= 0) {
    fprintf (stderr, "inkling-train-images: give one of --out, --write-demo, --evaluate or "
                     "--relabel-eval "
                     "(see --help)\n");
    return 2;
  }
  o.data_dir = data_dir;
  o.out = out;
  o.model = relabel != NULL ? relabel : evaluate != NULL ? evaluate : model;
  o.demo_dir = demo_dir;
  o.swap = swap != NULL ? swap : "Shirt,T-shirt";
  if (out != NULL)
    return train_images_train (&o);
  if (evaluate != NULL)
    return train_images_evaluate (&o);
  if (demo_dir != NULL) {
    if (model == NULL) {
      fprintf (stderr, "inkling-train-images: --write-demo needs --model MODEL\n");
      return 2;
    }
    if (o.per_class == 0)
      o.per_class = 4;
    return train_images_write_demo (&o);
  }
  if (o.per_class == 0)
    o.per_class = 10;
  return train_images_relabel_eval (&o);
}

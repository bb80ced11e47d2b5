/* train-drawing.c: inkling-train-drawing, trains the drawing embedding
 * network on synthetic doodles with the engine's own trainer and writes the
 * bundled drawing classifier (data/drawing-classifier.mlmodel)
 *
 * Each epoch draws fresh samples of the training classes (drawing-data.h)
 * with the doodle generator, renders them as the app does, and trains the
 * network with its classification head (softmax, cross-entropy, Adam with a
 * cosine learning-rate decay). The head is then dropped: the classifier is
 * the embedding network followed by an updatable k-NN seeded with the
 * starter stickers. Same options and thread count, same file.
 *
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "drawing-cli.h"
#include "drawing-data.h"
#include "ink-nn-train-private.h"

#define PROGRAM "inkling-train-drawing"

static void
usage (FILE *f)
{
  fputs ("Usage: inkling-train-drawing --out FILE.mlmodel [OPTION]...\n"
         "Trains the drawing embedding network on synthetic doodles and writes the\n"
         "bundled drawing classifier (embedding network -> updatable k-NN).\n\n"
         "  --out FILE         the Core ML model to write\n"
         "  --seed N           seed of the weights, the samples and their order (0..4095;\n"
         "                     default 1)\n"
         "  --epochs N         epochs (default 12)\n"
         "  --per-class N      fresh samples of each class per epoch (default 220)\n"
         "  --batch N          mini-batch size (default 64)\n"
         "  --lr X             Adam's initial learning rate (default 0.002), decayed\n"
         "                     along a cosine to 2% of it\n"
         "  --widths A,B,C     convolution widths (default 32,64,64)\n"
         "  --relu             a ReLU embedding (as Apple's) instead of a standardized one\n"
         "  --k N              numberOfNeighbors' default (default 2)\n"
         "  --weighting W      uniform or inverse (inverse distance, the default)\n"
         "  --starter N        examples per starter sticker (default 20)\n"
         "  --version V        the model's metadata version (default 1.0.0)\n"
         "  --threads N        compute threads (default 2)\n"
         "  --bench            time a few mini-batches and the sample generation, then stop\n",
         f);
}

_Noreturn static void
die (const char *what, const InkError *err)
{
  drawing_cli_die (PROGRAM, what, err);
}

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* CPU time of the whole process (all threads, user and system), s. */
static double
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec * 1e-6 +
         (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec * 1e-6;
}

static void
generate (const char *const *classes, size_t n_classes, size_t per_class,
          DrawingSeedPurpose purpose, uint32_t stream, int threads, uint8_t *pixels,
          int32_t *labels)
{
  InkError err;

  if (drawing_generate (classes, n_classes, per_class, purpose, stream, DOODLE_FONTS_TRAIN, threads,
                        pixels, labels, &err) != INK_OK)
    die ("generating samples", &err);
}

static InkFeatures *
example (const uint8_t *pixels, int32_t label)
{
  InkFeatures *f = drawing_features (pixels);

  if (f == NULL || ink_features_set_int64 (f, "classLabel", label) != INK_OK)
    die ("out of memory", NULL);
  return f;
}

/* Top-1 accuracy of the training network over n samples. */
static double
accuracy (const InkModel *model, const uint8_t *pixels, const int32_t *labels, size_t n)
{
  size_t right = 0;

  for (size_t i = 0; i < n; i++) {
    InkFeatures *in = drawing_features (pixels + i * DRAWING_PIXELS), *out = NULL;
    InkError err;
    const InkValue *v;
    if (in == NULL)
      die ("out of memory", NULL);
    if (ink_model_predict (model, in, &out, &err) != INK_OK)
      die ("predicting", &err);
    v = ink_features_get (out, "classLabel");
    if (v != NULL && ink_value_get_int64 (v) == labels[i])
      right++;
    ink_features_free (in);
    ink_features_free (out);
  }
  return n > 0 ? (double) right / (double) n : 0.0;
}

typedef struct {
  const char *out;
  unsigned seed;
  int epochs;
  size_t per_class, batch;
  double lr;
  DrawingNetShape shape;
  int64_t k;
  InkKnnWeighting weighting;
  size_t starter;
  const char *version;
  int threads;
  bool bench;
} Options;

static void
parse_widths (const char *s, DrawingNetShape *shape)
{
  if (sscanf (s, "%zu,%zu,%zu", &shape->c1, &shape->c2, &shape->c3) != 3 || shape->c1 < 1 ||
      shape->c2 < 1 || shape->c3 < 1 || shape->c1 > 512 || shape->c2 > 512 || shape->c3 > 512)
    die ("--widths takes three positive numbers: A,B,C", NULL);
}

static long
parse_long (const char *s, const char *name, long min, long max)
{
  return drawing_cli_parse_long (PROGRAM, s, name, min, max);
}

static void
parse_options (int argc, char **argv, Options *o)
{
  enum {
    OPT_OUT = 1,
    OPT_SEED,
    OPT_EPOCHS,
    OPT_PER_CLASS,
    OPT_BATCH,
    OPT_LR,
    OPT_WIDTHS,
    OPT_RELU,
    OPT_K,
    OPT_WEIGHTING,
    OPT_STARTER,
    OPT_VERSION,
    OPT_THREADS,
    OPT_BENCH,
    OPT_HELP,
  };
  static const struct option longopts[] = {
    {"out", required_argument, NULL, OPT_OUT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"per-class", required_argument, NULL, OPT_PER_CLASS},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"lr", required_argument, NULL, OPT_LR},
    {"widths", required_argument, NULL, OPT_WIDTHS},
    {"relu", no_argument, NULL, OPT_RELU},
    {"k", required_argument, NULL, OPT_K},
    {"weighting", required_argument, NULL, OPT_WEIGHTING},
    {"starter", required_argument, NULL, OPT_STARTER},
    {"version", required_argument, NULL, OPT_VERSION},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"bench", no_argument, NULL, OPT_BENCH},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
  };
  int c;

  *o = (Options){
    .seed = 1,
    .epochs = 12,
    .per_class = 220,
    .batch = 64,
    .lr = 0.002,
    .shape = {32, 64, 64, true},
    .k = 2,
    .weighting = INK_KNN_INVERSE_DISTANCE,
    .starter = 20,
    .version = "1.0.0",
    .threads = 2,
  };
  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_OUT: o->out = optarg; break;
    case OPT_SEED: o->seed = (unsigned) parse_long (optarg, "--seed", 0, 4095); break;
    case OPT_EPOCHS: o->epochs = (int) parse_long (optarg, "--epochs", 1, 4095); break;
    case OPT_PER_CLASS:
      o->per_class = (size_t) parse_long (optarg, "--per-class", 1, 1 << 20);
      break;
    case OPT_BATCH: o->batch = (size_t) parse_long (optarg, "--batch", 1, 4096); break;
    case OPT_LR:
      o->lr = strtod (optarg, NULL);
      if (!(o->lr > 0 && o->lr < 1))
        die ("--lr must be in (0, 1)", NULL);
      break;
    case OPT_WIDTHS: parse_widths (optarg, &o->shape); break;
    case OPT_RELU: o->shape.normalize = false; break;
    case OPT_K: o->k = parse_long (optarg, "--k", 1, 10); break;
    case OPT_WEIGHTING: o->weighting = drawing_cli_parse_weighting (PROGRAM, optarg); break;
    case OPT_STARTER: o->starter = (size_t) parse_long (optarg, "--starter", 1, 1000); break;
    case OPT_VERSION: o->version = optarg; break;
    case OPT_THREADS: o->threads = (int) parse_long (optarg, "--threads", 1, 64); break;
    case OPT_BENCH: o->bench = true; break;
    case OPT_HELP: usage (stdout); exit (EXIT_SUCCESS);
    default: usage (stderr); exit (2);
    }
  }
  if (optind != argc || (o->out == NULL && !o->bench)) {
    usage (stderr);
    exit (2);
  }
}

static void
bench (const Options *o, InkNnTrainer *trainer, const char *const *classes, size_t n_classes)
{
  size_t per_class = 8, n = n_classes * per_class;
  uint8_t *pixels = malloc (n * DRAWING_PIXELS);
  int32_t *labels = malloc (n * sizeof *labels);
  InkFeatures **batch = calloc (o->batch, sizeof *batch);
  double t0, t1, loss;
  int steps = 10;
  InkError err;

  if (pixels == NULL || labels == NULL || batch == NULL)
    die ("out of memory", NULL);
  t0 = now ();
  generate (classes, n_classes, per_class, DRAWING_SEEDS_TRAIN, 0xfff000, o->threads, pixels,
            labels);
  t1 = now ();
  printf ("generation: %.0f samples/s on %d threads\n", (double) n / (t1 - t0), o->threads);
  t0 = now ();
  for (int s = 0; s < steps; s++) {
    for (size_t i = 0; i < o->batch; i++) {
      size_t j = (s * o->batch + i) % n;
      batch[i] = example (pixels + j * DRAWING_PIXELS, labels[j]);
    }
    if (ink_nn_trainer_step (trainer, (const InkFeatures *const *) batch, o->batch, &loss, &err) !=
        INK_OK)
      die ("a training step", &err);
    for (size_t i = 0; i < o->batch; i++)
      ink_features_free (batch[i]);
  }
  t1 = now ();
  printf ("training: %.0f examples/s on %d threads (loss %.3f)\n",
          (double) steps * (double) o->batch / (t1 - t0), o->threads, loss);
  free (pixels);
  free (labels);
  free (batch);
}

/* Seeds the k-NN of the pipeline with the starter stickers' examples. */
static void
seed_stickers (InkModel *pipeline, const InkModel *embedding, size_t per_sticker, int threads)
{
  const DrawingSticker *st = drawing_stickers ();
  InkModel *knn = ink_pipeline_get_model (pipeline, 1);
  uint8_t *pixels = malloc (per_sticker * DRAWING_PIXELS);
  int32_t *labels = malloc (per_sticker * sizeof *labels);
  float vector[DRAWING_EMBEDDING];
  InkError err;

  if (pixels == NULL || labels == NULL)
    die ("out of memory", NULL);
  for (size_t s = 0; s < DRAWING_N_STICKERS; s++) {
    const char *cls[1] = {st[s].doodle_class};
    generate (cls, 1, per_sticker, DRAWING_SEEDS_STARTER, (uint32_t) s, threads, pixels, labels);
    for (size_t i = 0; i < per_sticker; i++) {
      if (drawing_embed (embedding, "embedding", pixels + i * DRAWING_PIXELS, vector, &err) !=
            INK_OK ||
          ink_knn_add_example_string (knn, vector, st[s].label, &err) != INK_OK)
        die ("seeding the starter stickers", &err);
    }
  }
  free (pixels);
  free (labels);
}

int
main (int argc, char **argv)
{
  Options o;
  size_t n_classes, n, n_val, val_per_class = 10;
  const char *const *classes;
  DrawingNet *net;
  InkModel *model, *embedding, *pipeline;
  InkNnTrainer *trainer;
  InkOptimizerConfig opt = {
    .optimizer = INK_OPTIMIZER_ADAM, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
  uint8_t *pixels, *val_pixels;
  int32_t *labels, *val_labels;
  size_t *order;
  InkFeatures **batch;
  uint64_t order_state;
  double start, total_steps, step = 0;
  DrawingClassifierOptions copts;
  InkError err;

  parse_options (argc, argv, &o);
  setvbuf (stdout, NULL, _IOLBF, 0);
  classes = drawing_classes (DRAWING_TRAIN, &n_classes);
  net = drawing_net_new (&o.shape, n_classes, drawing_seed (DRAWING_SEEDS_TRAIN, 0xffffff, o.seed));
  if (net == NULL)
    die ("out of memory", NULL);
  printf ("network: conv3x3 %zu/%zu/%zu + ReLU + max pool x3, dense %zu -> %d%s; "
          "%zu parameters (%zu with the %zu-class head)\n",
          o.shape.c1, o.shape.c2, o.shape.c3, o.shape.c3 * 9, DRAWING_EMBEDDING,
          o.shape.normalize ? ", standardized" : " + ReLU", drawing_net_n_parameters (net, false),
          drawing_net_n_parameters (net, true), n_classes);
  model = drawing_net_build_trainer (net, &err);
  if (model == NULL)
    die ("building the network", &err);
  trainer = ink_nn_trainer_new (model, true, o.threads, &err);
  if (trainer == NULL)
    die ("the trainer", &err);
  opt.learning_rate = o.lr;
  ink_nn_trainer_set_optimizer (trainer, &opt);
  if (o.bench) {
    bench (&o, trainer, classes, n_classes);
    return EXIT_SUCCESS;
  }

  n = n_classes * o.per_class;
  n_val = n_classes * val_per_class;
  pixels = malloc (n * DRAWING_PIXELS);
  labels = malloc (n * sizeof *labels);
  order = malloc (n * sizeof *order);
  batch = calloc (o.batch, sizeof *batch);
  val_pixels = malloc (n_val * DRAWING_PIXELS);
  val_labels = malloc (n_val * sizeof *val_labels);
  if (pixels == NULL || labels == NULL || order == NULL || batch == NULL || val_pixels == NULL ||
      val_labels == NULL)
    die ("out of memory", NULL);
  /* A fixed validation set of the training classes, for the per-epoch
   * accuracy (validation seeds: never trained on). */
  generate (classes, n_classes, val_per_class, DRAWING_SEEDS_VALIDATE, 0xfffffe, o.threads,
            val_pixels, val_labels);

  order_state = drawing_seed (DRAWING_SEEDS_TRAIN, 0xfffffd, o.seed);
  total_steps = (double) o.epochs * (double) ((n + o.batch - 1) / o.batch);
  start = now ();
  for (int e = 0; e < o.epochs; e++) {
    double t0 = now (), t1, sum = 0, acc;
    size_t batches = 0;

    generate (classes, n_classes, o.per_class, DRAWING_SEEDS_TRAIN, (uint32_t) (o.seed << 12 | e),
              o.threads, pixels, labels);
    t1 = now ();
    for (size_t i = 0; i < n; i++)
      order[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
      size_t j = drawing_draw_below (&order_state, i + 1), tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    for (size_t i = 0; i < n; i += o.batch) {
      size_t k = n - i < o.batch ? n - i : o.batch;
      double loss;
      /* Cosine decay to 2% of the initial rate over the whole run. */
      opt.learning_rate = o.lr * (0.02 + 0.98 * 0.5 * (1.0 + cos (M_PI * step / total_steps)));
      ink_nn_trainer_set_optimizer (trainer, &opt);
      for (size_t j = 0; j < k; j++)
        batch[j] = example (pixels + order[i + j] * DRAWING_PIXELS, labels[order[i + j]]);
      if (ink_nn_trainer_step (trainer, (const InkFeatures *const *) batch, k, &loss, &err) !=
          INK_OK)
        die ("a training step", &err);
      for (size_t j = 0; j < k; j++)
        ink_features_free (batch[j]);
      sum += loss;
      batches++;
      step++;
    }
    acc = accuracy (model, val_pixels, val_labels, n_val);
    printf ("epoch %d/%d: loss %.4f, validation accuracy %.2f%% (%zu samples), lr %.5f, "
            "generation %.0f s, training %.0f s, elapsed %.1f min (CPU %.1f min)\n",
            e + 1, o.epochs, sum / (double) batches, 100.0 * acc, n_val, opt.learning_rate, t1 - t0,
            now () - t1, (now () - start) / 60.0, cpu_seconds () / 60.0);
  }
  ink_nn_trainer_free (trainer);
  if (drawing_net_read_back (net, model, &err) != INK_OK)
    die ("reading the trained weights", &err);
  ink_model_free (model);

  /* The embedding network alone, to embed the starter stickers. */
  embedding = drawing_net_build_embedding (net, &err);
  if (embedding == NULL || ink_model_finish (embedding, &err) != INK_OK)
    die ("building the embedding network", &err);
  copts = (DrawingClassifierOptions){.k = o.k, .weighting = o.weighting, .version = o.version};
  pipeline = drawing_classifier_new (drawing_net_build_embedding (net, &err), &copts, &err);
  if (pipeline == NULL)
    die ("building the classifier", &err);
  seed_stickers (pipeline, embedding, o.starter, o.threads);
  if (ink_model_finish (pipeline, &err) != INK_OK)
    die ("finishing the classifier", &err);
  if (ink_coreml_export (pipeline, o.out, &err) != INK_OK)
    die ("writing the model", &err);
  printf ("wrote %s: %zu starter examples; training took %.1f min (CPU time %.1f min)\n", o.out,
          ink_knn_n_examples (pipeline), (now () - start) / 60.0, cpu_seconds () / 60.0);

  ink_model_free (embedding);
  ink_model_free (pipeline);
  drawing_net_free (net);
  free (pixels);
  free (labels);
  free (order);
  free (batch);
  free (val_pixels);
  free (val_labels);
  return EXIT_SUCCESS;
}

/* eval-drawing.c: inkling-eval-drawing, measures the drawing classifier
 * for docs/MODELS.md
 *
 * 1. Starter stickers: the classifier as shipped (compiled from its
 *    .mlmodel, as the build does) on fresh drawings of the ten starter
 *    classes: top-1 accuracy.
 * 2. Few-shot: trials of N-way K-shot classification over classes the
 *    network never saw (drawing-data.h's held-out classes, glyphs drawn with
 *    the held-out fonts): each trial picks N classes, puts K drawings of
 *    each into a fresh k-NN (the classifier's k and weighting) and asks it
 *    about Q other drawings of each. The same trials, drawing for drawing,
 *    run on our embedding and on Apple's TinyDrawingEmbedding (with the
 *    same k-NN, and with Apple's own: k = 3, inverse distance).
 *
 * --seeds evaluate (the default) uses the evaluation seeds, whose numbers
 * docs/MODELS.md reports and nothing is tuned on; --seeds validate uses the
 * validation seeds, for design choices.
 *
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drawing-cli.h"
#include "drawing-data.h"
#include "ink-classic-private.h"

#define PROGRAM "inkling-eval-drawing"

static void
usage (FILE *f)
{
  fputs ("Usage: inkling-eval-drawing MODEL.mlmodel [OPTION]...\n"
         "Measures the drawing classifier: starter stickers' top-1 accuracy and few-shot\n"
         "accuracy on classes its network never saw, beside Apple's tiny drawing embedding.\n\n"
         "  --apple FILE       Apple's TinyDrawingEmbedding .mlmodel (default\n"
         "                     ../shared/fixtures/coreml/nn_tiny_drawing_embedding.mlmodel)\n"
         "  --seeds SET        evaluate (default) or validate\n"
         "  --per-class N      starter drawings per sticker (default 100)\n"
         "  --trials N         few-shot trials (default 200)\n"
         "  --ways N           classes per trial (default 5)\n"
         "  --shots N          examples per class (default 3)\n"
         "  --queries N        queries per class (default 5)\n"
         "  --k N              the k-NN's k (default: the model's numberOfNeighbors)\n"
         "  --weighting W      uniform or inverse (default: the model's)\n"
         "                     (either rebuilds our starter k-NN with the new choice)\n"
         "  --threads N        threads to draw with (default 2)\n",
         f);
}

_Noreturn static void
die (const char *what, const InkError *err)
{
  drawing_cli_die (PROGRAM, what, err);
}

static long
parse_long (const char *s, const char *name, long min, long max)
{
  return drawing_cli_parse_long (PROGRAM, s, name, min, max);
}

/* The label a k-NN gives an embedding. The caller frees it. */
static char *
knn_label (const InkModel *knn, const float *vector)
{
  const int64_t shape[1] = {DRAWING_EMBEDDING};
  InkFeatures *in = ink_features_new (), *out = NULL;
  InkValue *v = ink_value_new_multiarray (INK_ARRAY_FLOAT32, 1, shape, vector);
  InkError err;
  char *label;

  if (in == NULL || v == NULL || ink_features_set (in, "embedding", v) != INK_OK)
    die ("out of memory", NULL);
  if (ink_model_predict (knn, in, &out, &err) != INK_OK)
    die ("k-NN prediction", &err);
  label = strdup (ink_value_get_string (ink_features_get (out, "label")));
  ink_features_free (in);
  ink_features_free (out);
  return label;
}

/* A fresh k-NN holding the n embeddings with their labels. */
static InkModel *
fresh_knn (const DrawingClassifierOptions *o, const float *vectors, const char *const *labels,
           size_t n)
{
  InkError err;
  InkModel *knn = drawing_knn_new (o, &err);

  if (knn == NULL)
    die ("a k-NN", &err);
  for (size_t i = 0; i < n; i++)
    if (ink_knn_add_example_string (knn, vectors + i * DRAWING_EMBEDDING, labels[i], &err) !=
        INK_OK)
      die ("a k-NN example", &err);
  if (ink_model_finish (knn, &err) != INK_OK)
    die ("a k-NN", &err);
  return knn;
}

static void
embed_all (const InkModel *network, const char *output, const uint8_t *pixels, size_t n, float *out)
{
  InkError err;

  for (size_t i = 0; i < n; i++)
    if (drawing_embed (network, output, pixels + i * DRAWING_PIXELS, out + i * DRAWING_EMBEDDING,
                       &err) != INK_OK)
      die ("embedding a drawing", &err);
}

typedef struct {
  const char *model_path, *apple_path;
  DrawingSeedPurpose seeds;
  size_t per_class, trials, ways, shots, queries;
  DrawingClassifierOptions knn;
  bool k_given, weighting_given, knn_override;
  int threads;
} Options;

/* The starter stickers: the shipped classifier on per_class fresh drawings
 * of each; and, for comparison, Apple's embedding with a k-NN of the same
 * starter drawings. */
static void
evaluate_starter (const Options *o, const InkModel *classifier, const InkModel *apple)
{
  const DrawingSticker *st = drawing_stickers ();
  size_t n = o->per_class, right = 0, apple_right = 0, total = DRAWING_N_STICKERS * n;
  size_t n_seed = 20;
  size_t n_buf = n > n_seed ? n : n_seed;
  uint8_t *pixels = malloc (n_buf * DRAWING_PIXELS);
  int32_t *labels = malloc (n_buf * sizeof *labels);
  float *vectors = malloc (DRAWING_N_STICKERS * n_seed * DRAWING_EMBEDDING * sizeof *vectors);
  float *our_vectors =
    malloc (DRAWING_N_STICKERS * n_seed * DRAWING_EMBEDDING * sizeof *our_vectors);
  const char **seed_labels = malloc (DRAWING_N_STICKERS * n_seed * sizeof *seed_labels);
  float query[DRAWING_EMBEDDING];
  InkModel *apple_knn, *our_knn = NULL;
  InkError err;

  if (pixels == NULL || labels == NULL || vectors == NULL || our_vectors == NULL ||
      seed_labels == NULL)
    die ("out of memory", NULL);
  /* Apple's k-NN gets the starter drawings the shipped one was seeded with
   * (inkling-train-drawing's default of 20 per sticker). */
  for (size_t s = 0; s < DRAWING_N_STICKERS; s++) {
    const char *cls[1] = {st[s].doodle_class};
    if (drawing_generate (cls, 1, n_seed, DRAWING_SEEDS_STARTER, (uint32_t) s, DOODLE_FONTS_TRAIN,
                          o->threads, pixels, labels, &err) != INK_OK)
      die ("drawing", &err);
    embed_all (apple, "embedding", pixels, n_seed, vectors + s * n_seed * DRAWING_EMBEDDING);
    embed_all (ink_pipeline_get_model ((InkModel *) classifier, 0), "embedding", pixels, n_seed,
               our_vectors + s * n_seed * DRAWING_EMBEDDING);
    for (size_t i = 0; i < n_seed; i++)
      seed_labels[s * n_seed + i] = st[s].label;
  }
  apple_knn = fresh_knn (&o->knn, vectors, seed_labels, DRAWING_N_STICKERS * n_seed);
  /* With another k or weighting than the model's, ours is rebuilt the
   * same way. */
  if (o->knn_override)
    our_knn = fresh_knn (&o->knn, our_vectors, seed_labels, DRAWING_N_STICKERS * n_seed);

  printf ("Starter stickers (%zu fresh drawings each):\n", n);
  for (size_t s = 0; s < DRAWING_N_STICKERS; s++) {
    const char *cls[1] = {st[s].doodle_class};
    size_t ok = 0, apple_ok = 0;
    /* Streams 0x200000 + s: none of the training's or the seeding's. */
    if (drawing_generate (cls, 1, n, o->seeds, (uint32_t) (0x200000 + s), DOODLE_FONTS_TRAIN,
                          o->threads, pixels, labels, &err) != INK_OK)
      die ("drawing", &err);
    for (size_t i = 0; i < n; i++) {
      InkFeatures *in = drawing_features (pixels + i * DRAWING_PIXELS), *out = NULL;
      const char *label;
      char *apple_label;
      if (in == NULL)
        die ("out of memory", NULL);
      if (our_knn != NULL) {
        char *our_label;
        embed_all (ink_pipeline_get_model ((InkModel *) classifier, 0), "embedding",
                   pixels + i * DRAWING_PIXELS, 1, query);
        our_label = knn_label (our_knn, query);
        ok += strcmp (our_label, st[s].label) == 0;
        free (our_label);
      } else {
        if (ink_model_predict (classifier, in, &out, &err) != INK_OK)
          die ("predicting", &err);
        label = ink_value_get_string (ink_features_get (out, "label"));
        if (strcmp (label, st[s].label) == 0)
          ok++;
        ink_features_free (out);
      }
      ink_features_free (in);
      embed_all (apple, "embedding", pixels + i * DRAWING_PIXELS, 1, query);
      apple_label = knn_label (apple_knn, query);
      if (strcmp (apple_label, st[s].label) == 0)
        apple_ok++;
      free (apple_label);
    }
    printf ("  %-10s %s  ours %5.1f%%   Apple's embedding %5.1f%%\n", st[s].label, st[s].emoji,
            100.0 * (double) ok / (double) n, 100.0 * (double) apple_ok / (double) n);
    right += ok;
    apple_right += apple_ok;
  }
  printf ("Starter top-1: ours %.2f%% (%zu/%zu), Apple's embedding with the same k-NN %.2f%% "
          "(%zu/%zu)\n",
          100.0 * (double) right / (double) total, right, total,
          100.0 * (double) apple_right / (double) total, apple_right, total);
  ink_model_free (apple_knn);
  ink_model_free (our_knn);
  free (our_vectors);
  free (pixels);
  free (labels);
  free (vectors);
  free (seed_labels);
}

static void
evaluate_few_shot (const Options *o, const InkModel *ours, const InkModel *apple)
{
  size_t n_pool, per = o->shots + o->queries, n_draw = o->ways * per;
  const char *const *pool = drawing_classes (DRAWING_HELDOUT, &n_pool);
  uint8_t *pixels = malloc (n_draw * DRAWING_PIXELS);
  float *our_vec = malloc (n_draw * DRAWING_EMBEDDING * sizeof *our_vec);
  float *apple_vec = malloc (n_draw * DRAWING_EMBEDDING * sizeof *apple_vec);
  const char **support_labels = malloc (o->ways * o->shots * sizeof *support_labels);
  float *support = malloc (o->ways * o->shots * DRAWING_EMBEDDING * sizeof *support);
  size_t *picked = malloc (n_pool * sizeof *picked);
  size_t right[3] = {0, 0, 0}, total = 0, ours_better = 0, apple_better = 0;
  size_t *class_right = calloc (3 * n_pool, sizeof *class_right);
  /* Apple's UpdatableDrawingClassifier puts its embedding before a k-NN
   * with k = 3 and inverse-distance weighting: run 2 is that. */
  DrawingClassifierOptions apple_own = {.k = 3, .weighting = INK_KNN_INVERSE_DISTANCE};
  const DrawingClassifierOptions *run_knn[3] = {&o->knn, &o->knn, &apple_own};
  size_t *class_total = calloc (n_pool, sizeof *class_total);
  uint64_t state = drawing_seed (o->seeds, 0x300000, 0);
  InkError err;

  if (pixels == NULL || our_vec == NULL || apple_vec == NULL || support_labels == NULL ||
      support == NULL || picked == NULL || class_right == NULL || class_total == NULL)
    die ("out of memory", NULL);
  if (o->ways > n_pool)
    die ("more ways than held-out classes", NULL);
  for (size_t t = 0; t < o->trials; t++) {
    size_t trial_right[3] = {0, 0, 0};
    /* A partial Fisher-Yates shuffle picks the trial's classes. */
    for (size_t i = 0; i < n_pool; i++)
      picked[i] = i;
    for (size_t i = 0; i < o->ways; i++) {
      size_t j = i + drawing_draw_below (&state, n_pool - i), tmp = picked[i];
      picked[i] = picked[j];
      picked[j] = tmp;
    }
    for (size_t w = 0; w < o->ways; w++) {
      const char *cls = pool[picked[w]];
      DoodleFontSet fonts = drawing_font_set (DRAWING_HELDOUT);
      for (size_t j = 0; j < per; j++) {
        /* Stream 0x400000 + t: sample j of held-out class picked[w]. */
        uint64_t seed =
          drawing_seed (o->seeds, (uint32_t) (0x400000 + t), (uint32_t) (picked[w] << 20 | j));
        if (drawing_render (cls, seed, fonts, pixels + (w * per + j) * DRAWING_PIXELS, &err) !=
            INK_OK)
          die ("drawing", &err);
      }
    }
    embed_all (ours, "embedding", pixels, n_draw, our_vec);
    embed_all (apple, "embedding", pixels, n_draw, apple_vec);
    for (int m = 0; m < 3; m++) {
      const float *vec = m == 0 ? our_vec : apple_vec;
      InkModel *knn;
      for (size_t w = 0; w < o->ways; w++)
        for (size_t j = 0; j < o->shots; j++) {
          memcpy (support + (w * o->shots + j) * DRAWING_EMBEDDING,
                  vec + (w * per + j) * DRAWING_EMBEDDING, DRAWING_EMBEDDING * sizeof *vec);
          support_labels[w * o->shots + j] = pool[picked[w]];
        }
      knn = fresh_knn (run_knn[m], support, support_labels, o->ways * o->shots);
      for (size_t w = 0; w < o->ways; w++)
        for (size_t j = o->shots; j < per; j++) {
          char *label = knn_label (knn, vec + (w * per + j) * DRAWING_EMBEDDING);
          if (strcmp (label, pool[picked[w]]) == 0) {
            trial_right[m]++;
            class_right[(size_t) m * n_pool + picked[w]]++;
          }
          class_total[picked[w]] += m == 0;
          free (label);
        }
      ink_model_free (knn);
    }
    right[0] += trial_right[0];
    right[1] += trial_right[1];
    right[2] += trial_right[2];
    total += o->ways * o->queries;
    ours_better += trial_right[0] > trial_right[1];
    apple_better += trial_right[1] > trial_right[0];
  }
  printf ("Few-shot, %zu-way %zu-shot, %zu trials of %zu queries over %zu classes never trained "
          "on:\n"
          "  ours %.2f%% (%zu/%zu), Apple's embedding %.2f%% (%zu/%zu); trials ours better %zu, "
          "Apple's better %zu, tied %zu\n",
          o->ways, o->shots, o->trials, o->ways * o->queries, n_pool,
          100.0 * (double) right[0] / (double) total, right[0], total,
          100.0 * (double) right[1] / (double) total, right[1], total, ours_better, apple_better,
          o->trials - ours_better - apple_better);
  printf ("  Apple's embedding with Apple's own k-NN (k = 3, inverse distance) %.2f%% (%zu/%zu)\n",
          100.0 * (double) right[2] / (double) total, right[2], total);
  printf ("  by class (queries: ours, Apple's embedding):\n");
  for (size_t c = 0; c < n_pool; c++)
    if (class_total[c] > 0)
      printf ("    %-10s %4zu  %5.1f%%  %5.1f%%\n", pool[c], class_total[c],
              100.0 * (double) class_right[c] / (double) class_total[c],
              100.0 * (double) class_right[n_pool + c] / (double) class_total[c]);
  free (class_right);
  free (class_total);
  free (pixels);
  free (our_vec);
  free (apple_vec);
  free (support_labels);
  free (support);
  free (picked);
}

int
main (int argc, char **argv)
{
  enum {
    OPT_APPLE = 1,
    OPT_SEEDS,
    OPT_PER_CLASS,
    OPT_TRIALS,
    OPT_WAYS,
    OPT_SHOTS,
    OPT_QUERIES,
    OPT_K,
    OPT_WEIGHTING,
    OPT_THREADS,
    OPT_HELP,
  };
  static const struct option longopts[] = {
    {"apple", required_argument, NULL, OPT_APPLE},
    {"seeds", required_argument, NULL, OPT_SEEDS},
    {"per-class", required_argument, NULL, OPT_PER_CLASS},
    {"trials", required_argument, NULL, OPT_TRIALS},
    {"ways", required_argument, NULL, OPT_WAYS},
    {"shots", required_argument, NULL, OPT_SHOTS},
    {"queries", required_argument, NULL, OPT_QUERIES},
    {"k", required_argument, NULL, OPT_K},
    {"weighting", required_argument, NULL, OPT_WEIGHTING},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
  };
  Options o = {
    .apple_path = "../shared/fixtures/coreml/nn_tiny_drawing_embedding.mlmodel",
    .seeds = DRAWING_SEEDS_EVALUATE,
    .per_class = 100,
    .trials = 200,
    .ways = 5,
    .shots = 3,
    .queries = 5,
    .knn = {.k = 3, .weighting = INK_KNN_UNIFORM, .version = "eval"},
    .threads = 2,
  };
  InkModel *classifier, *apple;
  const InkModel *ours;
  const InkUpdateParameter *k_param;
  InkError err;
  int c;

  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_APPLE: o.apple_path = optarg; break;
    case OPT_SEEDS:
      if (strcmp (optarg, "evaluate") == 0)
        o.seeds = DRAWING_SEEDS_EVALUATE;
      else if (strcmp (optarg, "validate") == 0)
        o.seeds = DRAWING_SEEDS_VALIDATE;
      else
        die ("--seeds is evaluate or validate", NULL);
      break;
    case OPT_PER_CLASS: o.per_class = (size_t) parse_long (optarg, "--per-class", 1, 100000); break;
    case OPT_TRIALS: o.trials = (size_t) parse_long (optarg, "--trials", 1, 1000000); break;
    case OPT_WAYS: o.ways = (size_t) parse_long (optarg, "--ways", 2, 22); break;
    case OPT_SHOTS: o.shots = (size_t) parse_long (optarg, "--shots", 1, 100); break;
    case OPT_QUERIES: o.queries = (size_t) parse_long (optarg, "--queries", 1, 100); break;
    case OPT_K:
      o.knn.k = parse_long (optarg, "--k", 1, 10);
      o.k_given = o.knn_override = true;
      break;
    case OPT_WEIGHTING:
      o.knn.weighting = drawing_cli_parse_weighting (PROGRAM, optarg);
      o.weighting_given = o.knn_override = true;
      break;
    case OPT_THREADS: o.threads = (int) parse_long (optarg, "--threads", 1, 64); break;
    case OPT_HELP: usage (stdout); return EXIT_SUCCESS;
    default: usage (stderr); return 2;
    }
  }
  if (optind + 1 != argc) {
    usage (stderr);
    return 2;
  }
  o.model_path = argv[optind];
  setvbuf (stdout, NULL, _IOLBF, 0);

  classifier = ink_coreml_compile_file (o.model_path, &err);
  if (classifier == NULL)
    die (o.model_path, &err);
  apple = ink_coreml_compile_file (o.apple_path, &err);
  if (apple == NULL)
    die (o.apple_path, &err);
  if (ink_model_get_kind (classifier) != INK_MODEL_PIPELINE_CLASSIFIER ||
      ink_pipeline_n_models (classifier) != 2)
    die ("the model is not a two-stage pipeline classifier", NULL);
  ours = ink_pipeline_get_model (classifier, 0);
  k_param = ink_description_find_update_parameter (
    ink_model_get_description (ink_pipeline_get_model (classifier, 1)),
    INK_PARAM_NUMBER_OF_NEIGHBORS);
  if (!o.k_given && k_param != NULL)
    o.knn.k = (int64_t) k_param->default_value;
  if (!o.weighting_given) {
    InkKnnView view;
    if (!ink_knn_view (ink_pipeline_get_model (classifier, 1), &view))
      die ("the model's second stage is not a k-NN", NULL);
    o.knn.weighting = view.weighting;
  }
  printf ("Model: %s; seeds: %s; k-NN: k = %lld, %s weighting\n", o.model_path,
          o.seeds == DRAWING_SEEDS_EVALUATE ? "evaluation" : "validation", (long long) o.knn.k,
          o.knn.weighting == INK_KNN_UNIFORM ? "uniform" : "inverse-distance");

  evaluate_starter (&o, classifier, apple);
  evaluate_few_shot (&o, ours, apple);

  ink_model_free (classifier);
  ink_model_free (apple);
  return EXIT_SUCCESS;
}

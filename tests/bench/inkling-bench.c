/* inkling-bench.c: the engine side of the benchmark (tests/bench/run)
 *
 * Times the engine's hot paths on the bundled models and prints, for each
 * case, the median, minimum and maximum wall time of its repetitions in
 * microseconds: as a table, or with --json as the object tests/bench/run
 * merges with the PyTorch and ONNX Runtime figures. With --export DIR it
 * also writes what the peers need to run the same work: the compiled
 * drawing and image classifiers, the drawing the forward pass is timed on
 * (28x28 gray8 bytes) and the embedding Inkling computes for it (float32).
 *
 * Usage: inkling-bench [--json] [--tiny] [--case NAME] [--export DIR]
 *                      [--drawing-model FILE] [--image-model FILE]
 *
 * --tiny runs every case once on reduced work (a smoke test of the
 * program, no timing value). The models default to the bundled
 * data/ .mlmodel files of the source tree this program was built from.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ink-builder.h"
#include "ink.h"

#ifndef INK_BENCH_DATA_DIR
#define INK_BENCH_DATA_DIR "data"
#endif

typedef struct {
  const char *name;
  double median_us, min_us, max_us;
  size_t runs;
} Result;

typedef struct {
  bool json, tiny;
  const char *only; /* --case: run just this case */
  const char *export_dir;
  const char *drawing_model, *image_model;
  char tmp_dir[256];
  Result results[24];
  size_t n_results;
} Bench;

static void
die (const char *what, const InkError *err)
{
  fprintf (stderr, "inkling-bench: %s%s%s\n", what, err != NULL ? ": " : "",
           err != NULL ? err->message : "");
  exit (1);
}

static double
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

typedef void (*CaseFunc) (void *ctx);

/* Runs fn once untimed, then repeatedly until budget_s seconds or
 * max_runs runs (at least min_runs), and records the statistics. */
static void
measure (Bench *b, const char *name, CaseFunc fn, void *ctx, size_t min_runs, size_t max_runs,
         double budget_s)
{
  double *t;
  double start;
  size_t n = 0;
  Result *r;

  if (b->only != NULL && strcmp (b->only, name) != 0)
    return;
  r = &b->results[b->n_results++];
  if (b->tiny) {
    min_runs = max_runs = 1;
    budget_s = 0.0;
  }
  t = malloc (max_runs * sizeof *t);
  if (t == NULL)
    die ("out of memory", NULL);
  fn (ctx);
  start = now_us ();
  while (n < max_runs && (n < min_runs || now_us () - start < budget_s * 1e6)) {
    double t0 = now_us ();
    fn (ctx);
    t[n++] = now_us () - t0;
  }
  qsort (t, n, sizeof *t, cmp_double);
  r->name = name;
  r->runs = n;
  r->min_us = t[0];
  r->max_us = t[n - 1];
  r->median_us = n % 2 == 1 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
  free (t);
  if (!b->json)
    fprintf (stderr, "  %-18s %10.1f us (%zu runs)\n", name, r->median_us, n);
}

/* A deterministic pseudo-random stream (splitmix64). */
static uint64_t
rng_next (uint64_t *s)
{
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static float
rng_float (uint64_t *s)
{
  return (float) (rng_next (s) >> 40) / (float) (1u << 24);
}

/* A drawing of a few strokes (a circle, a cross and a zigzag, shifted by
 * variant), in canvas units of a size x size canvas. */
static InkDrawing *
make_drawing (int variant, double size)
{
  InkDrawing *d = ink_drawing_new ();
  InkPoint pts[64];
  double cx = size * (0.45 + 0.03 * variant), cy = size * 0.5, r = size * (0.25 + 0.02 * variant);

  if (d == NULL)
    die ("out of memory", NULL);
  for (int i = 0; i < 48; i++) {
    double a = 2.0 * M_PI * i / 47.0;
    pts[i] = (InkPoint){cx + r * cos (a), cy + r * sin (a), INK_PRESSURE_DEFAULT, -1.0};
  }
  ink_drawing_add_stroke (d, pts, 48, NULL);
  pts[0] = (InkPoint){cx - r, cy - r, INK_PRESSURE_DEFAULT, -1.0};
  pts[1] = (InkPoint){cx + r, cy + r, INK_PRESSURE_DEFAULT, -1.0};
  ink_drawing_add_stroke (d, pts, 2, NULL);
  for (int i = 0; i < 6; i++)
    pts[i] = (InkPoint){size * (0.2 + 0.12 * i), size * (i % 2 == 0 ? 0.15 : 0.3),
                        INK_PRESSURE_DEFAULT, -1.0};
  ink_drawing_add_stroke (d, pts, 6, NULL);
  return d;
}

static InkValue *
render_drawing (int variant, int side)
{
  InkDrawing *d = make_drawing (variant, 100.0);
  InkRenderOptions o = ink_render_options_default ();
  InkValue *img = NULL;
  InkError err = {0};

  if (ink_drawing_render_image (d, &o, side, side, &img, &err) != INK_OK)
    die ("rendering a drawing", &err);
  ink_drawing_free (d);
  return img;
}

/* A 560x560 canvas as the app's Cairo surface holds it (ARGB32, that is
 * BGRA bytes): dark strokes on white. */
static uint8_t *
render_canvas (int variant, int side)
{
  InkDrawing *d = make_drawing (variant, side);
  InkRenderOptions o = ink_render_options_default ();
  uint8_t *px = malloc ((size_t) side * side * 4);
  InkError err = {0};

  if (px == NULL)
    die ("out of memory", NULL);
  for (size_t i = 0; i < (size_t) side * side; i++)
    memcpy (px + 4 * i, (const uint8_t[]){255, 255, 255, 255}, 4);
  o.framing = INK_FRAMING_CANVAS;
  o.canvas_line_width = 16;
  if (ink_drawing_render_argb32 (d, &o, 0xff202020u, side, side, (size_t) side * 4, px, &err) !=
      INK_OK)
    die ("rendering a canvas", &err);
  ink_drawing_free (d);
  return px;
}

static void
write_file (const Bench *b, const char *name, const void *data, size_t size)
{
  char path[512];
  FILE *f;

  snprintf (path, sizeof path, "%s/%s", b->export_dir, name);
  f = fopen (path, "wb");
  if (f == NULL || fwrite (data, 1, size, f) != size || fclose (f) != 0)
    die (path, NULL);
}

/* ---- compile and load ---- */

typedef struct {
  const char *in;
  char out[512];
} CompileCtx;

static void
run_compile (void *p)
{
  CompileCtx *c = p;
  InkError err = {0};
  InkModel *m = ink_coreml_compile_file (c->in, &err);

  if (m == NULL || ink_model_save (m, c->out, &err) != INK_OK)
    die ("compiling", &err);
  ink_model_free (m);
}

static void
run_load (void *p)
{
  CompileCtx *c = p;
  InkError err = {0};
  InkModel *m = ink_model_load (c->out, &err);

  if (m == NULL)
    die ("loading", &err);
  ink_model_free (m);
}

/* ---- embedding-forward ---- */

typedef struct {
  const InkModel *net;
  InkFeatures *in;
  const char *out_name;
  size_t dims;
} ForwardCtx;

static void
run_forward (void *p)
{
  ForwardCtx *c = p;
  InkFeatures *out = NULL;
  InkError err = {0};

  if (ink_model_predict (c->net, c->in, &out, &err) != INK_OK)
    die ("embedding", &err);
  ink_features_free (out);
}

/* ---- knn ---- */

typedef struct {
  InkModel *knn;
  InkFeatures *in;
} KnnCtx;

static InkModel *
make_knn (size_t n, size_t dims, uint64_t seed)
{
  InkModel *m = ink_knn_new (dims, INK_KNN_UNIFORM, 3, false);
  int64_t shape[1] = {(int64_t) dims};
  InkFeatureType in = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, shape);
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_STRING);
  float *v = malloc (dims * sizeof *v);
  InkError err = {0};

  if (m == NULL || v == NULL)
    die ("out of memory", NULL);
  if (ink_model_add_input (m, "embedding", &in, "", &err) != INK_OK ||
      ink_model_add_output (m, "label", &label, "", &err) != INK_OK ||
      ink_model_add_output (m, "labelProbability", &probs, "", &err) != INK_OK ||
      ink_model_set_predicted_feature_name (m, "label") != INK_OK ||
      ink_model_set_predicted_probabilities_name (m, "labelProbability") != INK_OK)
    die ("building a k-NN", &err);
  for (size_t i = 0; i < n; i++) {
    char name[16];
    snprintf (name, sizeof name, "class%zu", i % 10);
    for (size_t j = 0; j < dims; j++)
      v[j] = rng_float (&seed) * 2.0f - 1.0f;
    if (ink_knn_add_example_string (m, v, name, &err) != INK_OK)
      die ("building a k-NN", &err);
  }
  if (ink_model_finish (m, &err) != INK_OK)
    die ("building a k-NN", &err);
  free (v);
  return m;
}

static void
run_knn (void *p)
{
  KnnCtx *c = p;
  InkFeatures *out = NULL;
  InkError err = {0};

  if (ink_model_predict (c->knn, c->in, &out, &err) != INK_OK)
    die ("k-NN", &err);
  ink_features_free (out);
}

/* ---- image-convert ---- */

typedef struct {
  const uint8_t *canvas;
  int side;
  InkImageConstraint constraint;
} ConvertCtx;

static void
run_convert (void *p)
{
  ConvertCtx *c = p;
  InkValue *out = NULL;
  InkError err = {0};

  if (ink_image_convert (INK_PIXEL_BGRA8, c->side, c->side, (size_t) c->side * 4, c->canvas,
                         &c->constraint, NULL, &out, &err) != INK_OK)
    die ("converting", &err);
  ink_value_free (out);
}

/* ---- sticker-update ---- */

typedef struct {
  const InkModel *model;
  uint8_t *canvases[3];
  int side;
  const char *image_name, *label_name;
  InkImageConstraint constraint;
  char path[512];
} StickerCtx;

static void
run_sticker (void *p)
{
  StickerCtx *c = p;
  InkBatch *batch = ink_batch_new ();
  InkUpdateTask *task;
  InkModel *updated, *reloaded;
  InkError err = {0};

  for (int i = 0; i < 3; i++) {
    InkFeatures *f = ink_features_new ();
    InkValue *img = NULL;
    if (ink_image_convert (INK_PIXEL_BGRA8, c->side, c->side, (size_t) c->side * 4, c->canvases[i],
                           &c->constraint, NULL, &img, &err) != INK_OK ||
        ink_features_set (f, c->image_name, img) != INK_OK ||
        ink_features_set_string (f, c->label_name, "bench-sticker") != INK_OK ||
        ink_batch_append (batch, f) != INK_OK)
      die ("sticker examples", &err);
  }
  task = ink_update_task_new (c->model, batch, NULL, 0, NULL, NULL, NULL, &err);
  if (task == NULL || ink_update_task_resume (task, &err) != INK_OK)
    die ("sticker update", &err);
  if (ink_update_task_wait (task) != INK_TASK_COMPLETED) {
    ink_update_task_get_error (task, &err);
    die ("sticker update", &err);
  }
  updated = ink_update_task_take_model (task);
  if (updated == NULL || ink_model_save (updated, c->path, &err) != INK_OK)
    die ("saving the sticker model", &err);
  reloaded = ink_model_load (c->path, &err);
  if (reloaded == NULL)
    die ("reloading the sticker model", &err);
  ink_model_free (reloaded);
  ink_model_free (updated);
  ink_update_task_free (task);
  ink_batch_free (batch);
}

/* ---- model-id ----
 *
 * The id of a base model is computed once (ink_model_get_id caches it, and
 * update tasks share the cache with the model they were made from), so
 * sticker-update measures the later updates. This is the first one's
 * extra cost: a copy's id computed from scratch (the copy, about 0.1 ms,
 * included). */

static void
run_model_id (void *p)
{
  const InkModel *m = p;
  InkError err = {0};
  InkModel *copy = ink_model_copy (m, &err);
  char *id = copy != NULL ? ink_model_get_id (copy, &err) : NULL;

  if (id == NULL)
    die ("model id", &err);
  free (id);
  ink_model_free (copy);
}

/* ---- network-update ---- */

typedef struct {
  const InkModel *model;
  InkBatch *batch;
  InkUpdateConfig *config;
} NetUpdateCtx;

static void
run_net_update (void *p)
{
  NetUpdateCtx *c = p;
  InkError err = {0};
  InkUpdateTask *task =
    ink_update_task_new (c->model, c->batch, c->config, 0, NULL, NULL, NULL, &err);
  InkModel *updated;

  if (task == NULL || ink_update_task_resume (task, &err) != INK_OK)
    die ("network update", &err);
  if (ink_update_task_wait (task) != INK_TASK_COMPLETED) {
    ink_update_task_get_error (task, &err);
    die ("network update", &err);
  }
  updated = ink_update_task_take_model (task);
  ink_model_free (updated);
  ink_update_task_free (task);
}

static const InkFeatureDescription *
image_input (const InkModel *m)
{
  const InkModelDescription *d = ink_model_get_description (m);

  for (size_t i = 0; i < ink_description_n_inputs (d); i++) {
    if (ink_description_input (d, i)->type.type == INK_VALUE_IMAGE)
      return ink_description_input (d, i);
  }
  die ("the model has no image input", NULL);
  return NULL;
}

static void
bench_all (Bench *b)
{
  InkError err = {0};
  CompileCtx cc = {.in = b->drawing_model};
  InkModel *drawing, *images;
  size_t n_stages;

  /* compile, load */
  snprintf (cc.out, sizeof cc.out, "%s/drawing-classifier.inkmodel", b->tmp_dir);
  run_compile (&cc); /* what the other cases load, whichever run */
  measure (b, "compile", run_compile, &cc, 5, 200, 1.0);
  measure (b, "load", run_load, &cc, 5, 2000, 0.5);
  drawing = ink_model_load (cc.out, &err);
  if (drawing == NULL)
    die ("loading the drawing classifier", &err);

  /* embedding-forward: the pipeline's first stage, a network */
  n_stages = ink_pipeline_n_models (drawing);
  if (n_stages < 2)
    die ("the drawing classifier is not a pipeline of an embedding and a k-NN", NULL);
  {
    InkModel *net = ink_pipeline_get_model (drawing, 0);
    const InkFeatureDescription *in = image_input (net);
    const InkModelDescription *d = ink_model_get_description (net);
    InkValue *img = render_drawing (0, (int) in->type.image.width);
    ForwardCtx fc = {.net = net, .in = ink_features_new ()};
    InkFeatures *out = NULL;
    const InkValue *emb;

    if (in->type.image.format != INK_PIXEL_GRAY8)
      die ("the embedding's input is not a gray image", NULL);
    fc.out_name = ink_description_output (d, 0)->name;
    if (b->export_dir != NULL)
      write_file (b, "drawing.gray8", ink_value_image_pixels (img),
                  (size_t) (in->type.image.width * in->type.image.height));
    ink_features_set (fc.in, in->name, img);
    if (ink_model_predict (net, fc.in, &out, &err) != INK_OK)
      die ("embedding", &err);
    emb = ink_features_get (out, fc.out_name);
    if (emb == NULL || ink_value_get_type (emb) != INK_VALUE_MULTIARRAY)
      die ("the embedding's output is not a multi-array", NULL);
    fc.dims = ink_value_array_count (emb);
    if (b->export_dir != NULL) {
      float *v = malloc (fc.dims * sizeof *v);
      for (size_t i = 0; i < fc.dims; i++)
        v[i] = (float) ink_value_array_get (emb, i);
      write_file (b, "embedding-inkling.f32", v, fc.dims * sizeof *v);
      free (v);
    }
    ink_features_free (out);
    measure (b, "embedding-forward", run_forward, &fc, 20, 20000, 1.0);

    /* knn-1000, knn-10000: a k-NN over random vectors of the embedding's
     * size, queried with a vector of the same distribution. */
    for (int big = 0; big < 2; big++) {
      size_t n = b->tiny ? (big ? 100 : 10) : (big ? 10000 : 1000);
      KnnCtx kc = {.knn = make_knn (n, fc.dims, 42 + (uint64_t) big), .in = ink_features_new ()};
      int64_t shape[1] = {(int64_t) fc.dims};
      InkValue *q = ink_value_new_multiarray (INK_ARRAY_FLOAT32, 1, shape, NULL);
      uint64_t seed = 7;
      float *qd = ink_value_array_data (q);
      for (size_t j = 0; j < fc.dims; j++)
        qd[j] = rng_float (&seed) * 2.0f - 1.0f;
      ink_features_set (kc.in, "embedding", q);
      measure (b, big ? "knn-10000" : "knn-1000", run_knn, &kc, 20, 20000, 1.0);
      ink_features_free (kc.in);
      ink_model_free (kc.knn);
    }

    /* image-convert: the 560x560 canvas to the embedding's constraint */
    {
      ConvertCtx cv = {.side = 560, .constraint = in->type.image};
      uint8_t *canvas = render_canvas (0, cv.side);
      cv.canvas = canvas;
      measure (b, "image-convert", run_convert, &cv, 20, 20000, 0.5);
      free (canvas);
    }

    /* sticker-update */
    {
      const InkModelDescription *dd = ink_model_get_description (drawing);
      StickerCtx sc = {.model = drawing, .side = 560, .constraint = in->type.image};
      sc.image_name = image_input (drawing)->name;
      sc.label_name = ink_description_predicted_feature_name (dd);
      snprintf (sc.path, sizeof sc.path, "%s/sticker.inkmodel", b->tmp_dir);
      for (int i = 0; i < 3; i++)
        sc.canvases[i] = render_canvas (i, sc.side);
      measure (b, "sticker-update", run_sticker, &sc, 5, 100, 1.0);
      measure (b, "model-id", run_model_id, drawing, 5, 100, 1.0);
      for (int i = 0; i < 3; i++)
        free (sc.canvases[i]);
      unlink (sc.path);
    }
    ink_features_free (fc.in);
  }

  /* network-update: the image classifier's updatable layers */
  cc.in = b->image_model;
  snprintf (cc.out, sizeof cc.out, "%s/image-classifier.inkmodel", b->tmp_dir);
  run_compile (&cc);
  images = ink_model_load (cc.out, &err);
  if (images == NULL)
    die ("loading the image classifier", &err);
  {
    const InkModelDescription *d = ink_model_get_description (images);
    const InkFeatureDescription *in = image_input (images);
    const char *label_name = ink_description_predicted_feature_name (d);
    const char *probs_name = ink_description_predicted_probabilities_name (d);
    NetUpdateCtx nc = {
      .model = images, .batch = ink_batch_new (), .config = ink_update_config_new ()};
    size_t n = b->tiny ? 10 : 100, w = (size_t) in->type.image.width,
           h = (size_t) in->type.image.height;
    uint8_t *px = malloc (w * h);
    InkFeatures *probe = ink_features_new (), *out = NULL;
    const InkValue *dict;
    uint64_t seed = 1234;

    if (in->type.image.format != INK_PIXEL_GRAY8)
      die ("the image classifier's input is not a gray image", NULL);
    /* The class labels, from one prediction's probabilities. */
    ink_features_set (
      probe, in->name,
      ink_value_new_image (INK_PIXEL_GRAY8, (int) w, (int) h, w, memset (px, 0, w * h)));
    if (ink_model_predict (images, probe, &out, &err) != INK_OK)
      die ("image classifier", &err);
    dict = ink_features_get (out, probs_name);
    if (dict == NULL || ink_value_dictionary_count (dict) == 0)
      die ("the image classifier has no probabilities output", NULL);
    for (size_t i = 0; i < n; i++) {
      InkFeatures *f = ink_features_new ();
      for (size_t j = 0; j < w * h; j++)
        px[j] = (uint8_t) (rng_next (&seed) >> 56);
      ink_features_set (f, in->name,
                        ink_value_new_image (INK_PIXEL_GRAY8, (int) w, (int) h, w, px));
      ink_features_set_string (
        f, label_name,
        ink_value_dictionary_string_key (dict, i % ink_value_dictionary_count (dict)));
      ink_batch_append (nc.batch, f);
    }
    if (ink_update_config_set_parameter (nc.config, "epochs", b->tiny ? 1 : 10, &err) != INK_OK ||
        ink_update_config_set_parameter (nc.config, "miniBatchSize", 16, &err) != INK_OK ||
        ink_update_config_set_parameter (nc.config, "learningRate", 0.01, &err) != INK_OK ||
        ink_update_config_set_parameter (nc.config, "momentum", 0.9, &err) != INK_OK ||
        ink_update_config_set_parameter (nc.config, "shuffle", 0, &err) != INK_OK)
      die ("network update parameters", &err);
    ink_update_config_set_threads (nc.config, 1);
    measure (b, "network-update", run_net_update, &nc, 3, 20, 3.0);
    ink_features_free (out);
    ink_features_free (probe);
    ink_batch_free (nc.batch);
    ink_update_config_free (nc.config);
    free (px);
  }
  if (b->export_dir != NULL) {
    char path[1024];
    snprintf (path, sizeof path, "%s/image-classifier.inkmodel", b->export_dir);
    if (ink_model_save (images, path, &err) != INK_OK)
      die (path, &err);
    snprintf (path, sizeof path, "%s/drawing-classifier.inkmodel", b->export_dir);
    if (ink_model_save (drawing, path, &err) != INK_OK)
      die (path, &err);
  }
  ink_model_free (images);
  ink_model_free (drawing);
}

static void
print_results (const Bench *b)
{
  if (b->json) {
    printf ("{\"cases\": [");
    for (size_t i = 0; i < b->n_results; i++) {
      const Result *r = &b->results[i];
      printf ("%s\n  {\"case\": \"%s\", \"system\": \"inkling\", \"median_us\": %.3f, "
              "\"min_us\": %.3f, \"max_us\": %.3f}",
              i > 0 ? "," : "", r->name, r->median_us, r->min_us, r->max_us);
    }
    printf ("\n]}\n");
    return;
  }
  printf ("%-20s %12s %12s %12s %6s\n", "case", "median_us", "min_us", "max_us", "runs");
  for (size_t i = 0; i < b->n_results; i++) {
    const Result *r = &b->results[i];
    printf ("%-20s %12.1f %12.1f %12.1f %6zu\n", r->name, r->median_us, r->min_us, r->max_us,
            r->runs);
  }
}

static void
usage (void)
{
  fprintf (stderr, "usage: inkling-bench [--json] [--tiny] [--case NAME] [--export DIR] "
                   "[--drawing-model FILE] [--image-model FILE]\n");
  exit (2);
}

int
main (int argc, char **argv)
{
  Bench b = {
    .drawing_model = INK_BENCH_DATA_DIR "/drawing-classifier.mlmodel",
    .image_model = INK_BENCH_DATA_DIR "/image-classifier.mlmodel",
  };
  const char *tmp = getenv ("TMPDIR");

  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--json") == 0)
      b.json = true;
    else if (strcmp (argv[i], "--tiny") == 0)
      b.tiny = true;
    else if (strcmp (argv[i], "--case") == 0 && i + 1 < argc)
      b.only = argv[++i];
    else if (strcmp (argv[i], "--export") == 0 && i + 1 < argc)
      b.export_dir = argv[++i];
    else if (strcmp (argv[i], "--drawing-model") == 0 && i + 1 < argc)
      b.drawing_model = argv[++i];
    else if (strcmp (argv[i], "--image-model") == 0 && i + 1 < argc)
      b.image_model = argv[++i];
    else
      usage ();
  }
  snprintf (b.tmp_dir, sizeof b.tmp_dir, "%s/inkling-bench-XXXXXX",
            tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
  if (mkdtemp (b.tmp_dir) == NULL)
    die ("cannot make a temporary folder", NULL);
  if (b.export_dir != NULL && mkdir (b.export_dir, 0755) != 0 && errno != EEXIST)
    die (b.export_dir, NULL);
  bench_all (&b);
  print_results (&b);
  {
    char path[512];
    snprintf (path, sizeof path, "%s/drawing-classifier.inkmodel", b.tmp_dir);
    unlink (path);
    snprintf (path, sizeof path, "%s/image-classifier.inkmodel", b.tmp_dir);
    unlink (path);
    rmdir (b.tmp_dir);
  }
  return 0;
}

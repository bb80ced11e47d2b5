/* test-doodles.c: the synthetic drawing generator
 *
 * SPDX-License-Identifier: MIT
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "doodle.h"

/* Under LeakSanitizer: fontconfig 2.14 leaks a pattern while it parses
 * Debian's /etc/fonts/conf.d/70-no-bitmaps.conf; not ours to fix. Matching
 * its function needs full stacks of allocations (fontconfig has no frame
 * pointers), which this test can afford. */
const char *__lsan_default_suppressions (void);
const char *__asan_default_options (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:FcInitLoadConfigAndFonts\n";
}

const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

#define SIDE 28
#define PIXELS (SIDE * SIDE)

#define assert_ok(st, err)                                                                         \
  G_STMT_START                                                                                     \
  {                                                                                                \
    InkStatus st__ = (st);                                                                         \
    if (st__ != INK_OK)                                                                            \
      g_error ("%s:%d: expected INK_OK, got %s: %s", __FILE__, __LINE__,                           \
               ink_status_to_string (st__), (err)->message);                                       \
  }                                                                                                \
  G_STMT_END

/* Renders a sample as the drawing models see it. */
static void
sample (const char *cls, guint64 seed, const DoodleOptions *o, guint8 *px)
{
  InkDrawing *d = ink_drawing_new ();
  InkError err = {0};

  assert_ok (doodle_generate_with (cls, seed, o, d, &err), &err);
  assert_ok (ink_drawing_render_gray8 (d, NULL, SIDE, SIDE, SIDE, px, &err), &err);
  ink_drawing_free (d);
}

/* Checks a drawing's points and its rendering. */
static void
check_drawing (const char *cls, guint64 seed, const InkDrawing *d)
{
  InkError err = {0};
  guint8 px[PIXELS];
  double x0, y0, x1, y1, ink = 0;

  if (ink_drawing_stroke_count (d) == 0)
    g_error ("%s seed %" G_GUINT64_FORMAT ": no strokes", cls, seed);
  g_assert_true (ink_drawing_get_bounds (d, &x0, &y0, &x1, &y1));
  if (x0 < 0 || y0 < 0 || x1 > 1000 || y1 > 800 || MAX (x1 - x0, y1 - y0) < 40)
    g_error ("%s seed %" G_GUINT64_FORMAT ": bounds %.0f,%.0f..%.0f,%.0f outside the canvas or "
             "too small",
             cls, seed, x0, y0, x1, y1);
  for (size_t s = 0; s < ink_drawing_stroke_count (d); s++) {
    size_t n;
    const InkPoint *p = ink_drawing_get_stroke (d, s, &n);

    g_assert_cmpuint (n, >=, 1);
    for (size_t i = 0; i < n; i++) {
      g_assert_true (isfinite (p[i].x) && isfinite (p[i].y));
      g_assert_cmpfloat (p[i].pressure, >, 0.0);
      g_assert_cmpfloat (p[i].pressure, <=, 1.0);
      g_assert_cmpfloat (p[i].time, >=, 0.0);
    }
  }
  assert_ok (ink_drawing_render_gray8 (d, NULL, SIDE, SIDE, SIDE, px, &err), &err);
  for (int i = 0; i < PIXELS; i++)
    ink += px[i];
  if (ink < 255.0 * 15)
    g_error ("%s seed %" G_GUINT64_FORMAT ": almost no ink (%.0f)", cls, seed, ink / 255);
  /* Framed with a margin: nothing on the image's border. */
  for (int i = 0; i < SIDE; i++) {
    if (px[i] || px[(SIDE - 1) * SIDE + i] || px[i * SIDE] || px[i * SIDE + SIDE - 1])
      g_error ("%s seed %" G_GUINT64_FORMAT ": ink on the border", cls, seed);
  }
}

static gboolean
have_fonts (void)
{
  return doodle_fonts_available (DOODLE_FONTS_ALL, NULL, 0) > 0;
}

/* Tests */

static void
test_classes (void)
{
  static const char *const required[] = {
    "circle", "square", "triangle", "star",     "heart", "arrow",  "spiral",
    "zigzag", "house",  "sun",      "moon",     "cloud", "smiley", "lightning",
    "flower", "fish",   "tree",     "cat_face", "eye",   "key",
  };
  size_t n, n_shapes, n_glyphs;
  const char *const *all = doodle_classes (&n);
  const char *const *shapes = doodle_classes_of_kind (DOODLE_KIND_SHAPE, &n_shapes);
  const char *const *glyphs = doodle_classes_of_kind (DOODLE_KIND_GLYPH, &n_glyphs);
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpuint (n_shapes, >=, 40);
  g_assert_cmpuint (n_glyphs, ==, 62);
  g_assert_cmpuint (n, ==, n_shapes + n_glyphs);
  g_assert_null (all[n]);
  g_assert_null (shapes[n_shapes]);
  g_assert_null (glyphs[n_glyphs]);
  for (size_t i = 0; i < n; i++) {
    g_assert_false (g_hash_table_contains (seen, all[i]));
    g_hash_table_add (seen, (gpointer) all[i]);
    g_assert_cmpint (doodle_class_kind (all[i]), ==,
                     i < n_shapes ? DOODLE_KIND_SHAPE : DOODLE_KIND_GLYPH);
  }
  for (size_t i = 0; i < G_N_ELEMENTS (required); i++) {
    if (!g_hash_table_contains (seen, required[i]))
      g_error ("class %s is missing", required[i]);
  }
  g_assert_true (g_hash_table_contains (seen, "glyph:A"));
  g_assert_true (g_hash_table_contains (seen, "glyph:z"));
  g_assert_true (g_hash_table_contains (seen, "glyph:7"));
  g_assert_cmpint (doodle_class_kind ("glyph:"), ==, DOODLE_KIND_NONE);
  g_assert_cmpint (doodle_class_kind ("glyph:AB"), ==, DOODLE_KIND_NONE);
  g_assert_cmpint (doodle_class_kind ("glyph:%"), ==, DOODLE_KIND_NONE);
  g_assert_cmpint (doodle_class_kind ("unicorn"), ==, DOODLE_KIND_NONE);
  g_assert_cmpint (doodle_class_kind (NULL), ==, DOODLE_KIND_NONE);
  g_hash_table_destroy (seen);
}

static void
test_every_shape (void)
{
  size_t n;
  const char *const *shapes = doodle_classes_of_kind (DOODLE_KIND_SHAPE, &n);
  InkDrawing *d = ink_drawing_new ();
  InkError err = {0};

  for (size_t c = 0; c < n; c++) {
    for (guint64 seed = 1; seed <= 12; seed++) {
      assert_ok (doodle_generate (shapes[c], seed, d, &err), &err);
      check_drawing (shapes[c], seed, d);
    }
    /* The clean template, and more than the usual distortion. */
    for (int v = 0; v <= 2; v += 2) {
      DoodleOptions o = doodle_options_default ();

      o.variation = v;
      assert_ok (doodle_generate_with (shapes[c], 99, &o, d, &err), &err);
      check_drawing (shapes[c], 99, d);
    }
  }
  ink_drawing_free (d);
}

static void
test_deterministic (void)
{
  size_t n;
  const char *const *all = doodle_classes (&n);
  gboolean fonts = have_fonts ();

  for (size_t c = 0; c < n; c++) {
    guint8 a[PIXELS], b[PIXELS], other[PIXELS];
    InkDrawing *d1 = ink_drawing_new (), *d2 = ink_drawing_new ();
    InkError err = {0};
    char *j1 = NULL, *j2 = NULL;

    if (doodle_class_kind (all[c]) == DOODLE_KIND_GLYPH && !fonts)
      continue;
    sample (all[c], 7, NULL, a);
    sample (all[c], 7, NULL, b);
    sample (all[c], 8, NULL, other);
    if (memcmp (a, b, PIXELS) != 0)
      g_error ("%s: the same seed gave different pixels", all[c]);
    if (memcmp (a, other, PIXELS) == 0)
      g_error ("%s: seeds 7 and 8 gave the same pixels", all[c]);
    /* The strokes too, to the last point. */
    assert_ok (doodle_generate (all[c], 1234567890123ull, d1, &err), &err);
    assert_ok (doodle_generate (all[c], 1234567890123ull, d2, &err), &err);
    assert_ok (ink_drawing_to_json (d1, &j1, &err), &err);
    assert_ok (ink_drawing_to_json (d2, &j2, &err), &err);
    g_assert_cmpstr (j1, ==, j2);
    free (j1);
    free (j2);
    ink_drawing_free (d1);
    ink_drawing_free (d2);
  }
}

/* Crude separability: the mean images of the classes differ, and a nearest
 * mean classifier on raw pixels does far better than chance on new seeds. */
static void
test_distinguishable (void)
{
  enum {
    TRAIN = 24,
    TEST = 8
  };
  size_t n;
  const char *const *shapes = doodle_classes_of_kind (DOODLE_KIND_SHAPE, &n);
  double *means = g_new0 (double, n *PIXELS);
  double min_dist = INFINITY;
  const char *close_a = NULL, *close_b = NULL;
  int correct = 0, total = 0;
  guint8 px[PIXELS];

  for (size_t c = 0; c < n; c++) {
    for (guint64 s = 0; s < TRAIN; s++) {
      sample (shapes[c], 1000 + s, NULL, px);
      for (int i = 0; i < PIXELS; i++)
        means[c * PIXELS + i] += px[i] / 255.0 / TRAIN;
    }
  }
  for (size_t a = 0; a < n; a++) {
    for (size_t b = a + 1; b < n; b++) {
      double dist = 0;

      for (int i = 0; i < PIXELS; i++) {
        double diff = means[a * PIXELS + i] - means[b * PIXELS + i];

        dist += diff * diff;
      }
      dist = sqrt (dist);
      if (dist < min_dist) {
        min_dist = dist;
        close_a = shapes[a];
        close_b = shapes[b];
      }
    }
  }
  for (size_t c = 0; c < n; c++) {
    for (guint64 s = 0; s < TEST; s++) {
      size_t best = 0;
      double best_d = INFINITY;

      sample (shapes[c], 500000 + s, NULL, px);
      for (size_t m = 0; m < n; m++) {
        double dist = 0;

        for (int i = 0; i < PIXELS; i++) {
          double diff = px[i] / 255.0 - means[m * PIXELS + i];

          dist += diff * diff;
        }
        if (dist < best_d) {
          best_d = dist;
          best = m;
        }
      }
      correct += best == c;
      total++;
    }
  }
  g_test_message ("closest class means: %s and %s at %.2f; nearest-mean accuracy %d/%d", close_a,
                  close_b, min_dist, correct, total);
  g_assert_cmpfloat (min_dist, >, 0.5);
  /* Chance is 1 in n (2%). */
  g_assert_cmpfloat ((double) correct / total, >, 0.3);
  g_free (means);
}

static void
test_glyphs (void)
{
  const char *installed[16];
  size_t n_installed = doodle_fonts_available (DOODLE_FONTS_ALL, installed, 16);
  size_t n_train = doodle_fonts_available (DOODLE_FONTS_TRAIN, NULL, 0);
  size_t n_held = doodle_fonts_available (DOODLE_FONTS_HELDOUT, NULL, 0);
  size_t n;
  const char *const *glyphs = doodle_classes_of_kind (DOODLE_KIND_GLYPH, &n);
  InkDrawing *d = ink_drawing_new ();
  InkError err = {0};

  g_assert_cmpuint (n_installed, ==, n_train + n_held);
  if (n_installed == 0) {
    InkStatus st = doodle_generate ("glyph:A", 1, d, &err);

    g_assert_cmpint (st, ==, INK_ERR_UNSUPPORTED);
    g_assert_nonnull (strstr (err.message, "apt-get install"));
    g_assert_cmpuint (ink_drawing_stroke_count (d), ==, 0);
    ink_drawing_free (d);
    g_test_skip ("no handwriting font is installed (scripts/setup-deps installs them)");
    return;
  }
  for (size_t i = 0; i < n_installed; i++)
    g_test_message ("installed: %s (%s)", installed[i], doodle_font_package (installed[i]));
  for (int set = DOODLE_FONTS_TRAIN; set <= DOODLE_FONTS_HELDOUT; set++) {
    DoodleOptions o = doodle_options_default ();

    o.font_set = (DoodleFontSet) set;
    if (doodle_fonts_available (o.font_set, NULL, 0) == 0) {
      g_test_message ("no %s font installed", set == DOODLE_FONTS_TRAIN ? "training" : "held-out");
      continue;
    }
    for (size_t c = 0; c < n; c++) {
      for (guint64 seed = 1; seed <= 3; seed++) {
        assert_ok (doodle_generate_with (glyphs[c], seed, &o, d, &err), &err);
        check_drawing (glyphs[c], seed, d);
      }
    }
  }
  /* Each font on its own. */
  for (size_t i = 0; i < n_installed; i++) {
    DoodleOptions o = doodle_options_default ();

    o.fonts = &installed[i];
    o.n_fonts = 1;
    assert_ok (doodle_generate_with ("glyph:G", 5, &o, d, &err), &err);
    check_drawing (installed[i], 5, d);
  }
  ink_drawing_free (d);
}

/* A font that is not installed is skipped with a message, whatever is. */
static void
test_missing_font (void)
{
  static const char *const nothing[] = {"Inkling No Such Font Family"};
  DoodleOptions o = doodle_options_default ();
  InkDrawing *d = ink_drawing_new ();
  InkError err = {0};

  g_assert_false (doodle_font_installed (nothing[0]));
  o.fonts = nothing;
  o.n_fonts = 1;
  g_assert_cmpint (doodle_generate_with ("glyph:B", 1, &o, d, &err), ==, INK_ERR_UNSUPPORTED);
  g_test_message ("%s", err.message);
  g_assert_nonnull (strstr (err.message, "glyph"));
  g_assert_cmpuint (ink_drawing_stroke_count (d), ==, 0);
  /* Shapes do not need fonts. */
  assert_ok (doodle_generate_with ("circle", 1, &o, d, &err), &err);
  ink_drawing_free (d);
}

static void
test_font_sets (void)
{
  size_t n_all, n_train, n_held;
  const char *const *all = doodle_font_families (DOODLE_FONTS_ALL, &n_all);
  const char *const *train = doodle_font_families (DOODLE_FONTS_TRAIN, &n_train);
  const char *const *held = doodle_font_families (DOODLE_FONTS_HELDOUT, &n_held);

  g_assert_cmpuint (n_all, ==, n_train + n_held);
  g_assert_cmpuint (n_train, >=, 3);
  g_assert_cmpuint (n_held, >=, 1);
  for (size_t i = 0; i < n_all; i++)
    g_assert_nonnull (doodle_font_package (all[i]));
  /* Disjoint. */
  for (size_t i = 0; i < n_train; i++) {
    for (size_t j = 0; j < n_held; j++)
      g_assert_cmpstr (train[i], !=, held[j]);
  }
}

static void
test_bad_arguments (void)
{
  InkDrawing *d = ink_drawing_new ();
  DoodleOptions o = doodle_options_default ();
  InkError err = {0};

  g_assert_cmpint (doodle_generate ("unicorn", 1, d, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (err.message, "unicorn"));
  g_assert_cmpint (doodle_generate ("circle", 1, NULL, &err), ==, INK_ERR_INVALID_ARGUMENT);
  o.variation = 3;
  g_assert_cmpint (doodle_generate_with ("circle", 1, &o, d, &err), ==, INK_ERR_INVALID_ARGUMENT);
  o = doodle_options_default ();
  o.n_fonts = 2;
  g_assert_cmpint (doodle_generate_with ("glyph:A", 1, &o, d, &err), ==, INK_ERR_INVALID_ARGUMENT);
  ink_drawing_free (d);
}

/* Generating from several threads gives what one thread gives. */
typedef struct {
  guint64 seed;
  guint8 px[8][PIXELS];
} ThreadJob;

static const char *const thread_classes[8] = {"star",    "house",  "cat_face",  "glyph:Q",
                                              "glyph:5", "flower", "butterfly", "glyph:k"};

static gpointer
thread_main (gpointer data)
{
  ThreadJob *job = data;

  for (int i = 0; i < 8; i++) {
    if (doodle_class_kind (thread_classes[i]) == DOODLE_KIND_GLYPH && !have_fonts ())
      continue;
    sample (thread_classes[i], job->seed, NULL, job->px[i]);
  }
  return NULL;
}

static void
test_threads (void)
{
  ThreadJob *jobs = g_new0 (ThreadJob, 4), *serial = g_new0 (ThreadJob, 4);
  GThread *threads[4];

  for (int t = 0; t < 4; t++) {
    jobs[t].seed = serial[t].seed = 40 + (guint64) t;
    threads[t] = g_thread_new ("doodles", thread_main, &jobs[t]);
  }
  for (int t = 0; t < 4; t++)
    g_thread_join (threads[t]);
  for (int t = 0; t < 4; t++) {
    thread_main (&serial[t]);
    g_assert_cmpmem (jobs[t].px, sizeof jobs[t].px, serial[t].px, sizeof serial[t].px);
  }
  g_free (jobs);
  g_free (serial);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/doodles/classes", test_classes);
  g_test_add_func ("/doodles/every-shape", test_every_shape);
  g_test_add_func ("/doodles/deterministic", test_deterministic);
  g_test_add_func ("/doodles/distinguishable", test_distinguishable);
  g_test_add_func ("/doodles/font-sets", test_font_sets);
  g_test_add_func ("/doodles/glyphs", test_glyphs);
  g_test_add_func ("/doodles/missing-font", test_missing_font);
  g_test_add_func ("/doodles/bad-arguments", test_bad_arguments);
  g_test_add_func ("/doodles/threads", test_threads);
  return g_test_run ();
}

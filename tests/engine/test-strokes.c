/* test-strokes.c: drawings as strokes, the shared stroke rasterizer and the
 * drawings' JSON form
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "ink-strokes.h"
#include "test-util.h"

/* Helpers */

static void
add_line (InkDrawing *d, double x0, double y0, double x1, double y1, double pressure, int n)
{
  InkError err = {0};

  ink_assert_ok (ink_drawing_begin_stroke (d, &err), &err);
  for (int i = 0; i < n; i++) {
    double t = n > 1 ? (double) i / (n - 1) : 0.0;

    ink_assert_ok (
      ink_drawing_add_point (d, x0 + t * (x1 - x0), y0 + t * (y1 - y0), pressure, -1.0, &err),
      &err);
  }
  ink_drawing_end_stroke (d);
}

static void
add_circle (InkDrawing *d, double cx, double cy, double r, double pressure)
{
  InkPoint p[41];
  InkError err = {0};

  for (int i = 0; i <= 40; i++) {
    p[i].x = cx + r * cos (2 * M_PI * i / 40);
    p[i].y = cy + r * sin (2 * M_PI * i / 40);
    p[i].pressure = pressure;
    p[i].time = 0.01 * i;
  }
  ink_assert_ok (ink_drawing_add_stroke (d, p, 41, &err), &err);
}

/* A house-like test drawing: a triangle, a square and a circle. */
static InkDrawing *
sample_drawing (void)
{
  InkDrawing *d = ink_drawing_new ();

  g_assert_nonnull (d);
  add_line (d, 100, 200, 300, 200, 0.5, 12);
  add_line (d, 300, 200, 300, 400, 0.7, 12);
  add_line (d, 300, 400, 100, 400, 0.3, 12);
  add_line (d, 100, 400, 100, 200, 0.5, 12);
  add_line (d, 80, 210, 200, 90, 0.6, 8);
  add_line (d, 200, 90, 320, 210, 0.6, 8);
  add_circle (d, 200, 320, 40, 0.5);
  return d;
}

static guint8 *
render (const InkDrawing *d, const InkRenderOptions *o, int w, int h)
{
  guint8 *px = g_malloc (w * h);
  InkError err = {0};

  ink_assert_ok (ink_drawing_render_gray8 (d, o, w, h, w, px, &err), &err);
  return px;
}

static double
ink_sum (const guint8 *px, size_t n)
{
  double s = 0;

  for (size_t i = 0; i < n; i++)
    s += px[i];
  return s;
}

/* Distance from (px, py) to the segment (x0, y0)-(x1, y1). */
static double
segment_distance (double px, double py, double x0, double y0, double x1, double y1)
{
  double dx = x1 - x0, dy = y1 - y0;
  double t = ((px - x0) * dx + (py - y0) * dy) / (dx * dx + dy * dy);

  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return hypot (px - (x0 + t * dx), py - (y0 + t * dy));
}

/* Tests */

static void
test_defaults (void)
{
  InkRenderOptions o = ink_render_options_default ();

  /* What the drawing models expect: white strokes on black. */
  g_assert_cmpint (o.framing, ==, INK_FRAMING_FIT);
  g_assert_cmpint (o.background, ==, 0);
  g_assert_cmpint (o.ink, ==, 255);
  g_assert_true (o.smooth);
  g_assert_cmpint (o.supersample, >=, 1);
}

/* Ink exactly where a known stroke is, nothing elsewhere. */
static void
test_known_stroke (void)
{
  InkDrawing *d = ink_drawing_new ();
  InkRenderOptions o = ink_render_options_default ();
  const double x0 = 4, y0 = 10, x1 = 28, y1 = 22, w = 4;
  guint8 *px;

  add_line (d, x0, y0, x1, y1, 0.5, 9);
  o.framing = INK_FRAMING_CANVAS;
  o.canvas_line_width = w;
  px = render (d, &o, 32, 32);
  for (int y = 0; y < 32; y++) {
    for (int x = 0; x < 32; x++) {
      double dist = segment_distance (x + 0.5, y + 0.5, x0, y0, x1, y1);
      guint8 v = px[y * 32 + x];

      if (dist < w / 2 - 0.75 && v < 250)
        g_error ("pixel %d,%d at %.2f from the stroke's centre is %u, expected ink", x, y, dist, v);
      if (dist > w / 2 + 0.75 && v != 0)
        g_error ("pixel %d,%d at %.2f from the stroke's centre is %u, expected nothing", x, y, dist,
                 v);
    }
  }
  g_free (px);

  /* Colours are the options'. */
  o.background = 255;
  o.ink = 0;
  px = render (d, &o, 32, 32);
  g_assert_cmpint (px[0], ==, 255);
  g_assert_cmpint (px[16 * 32 + 16], ==, 0);
  g_free (px);
  ink_drawing_free (d);
}

/* Fit framing centres the bounding box: a diagonal fills the diagonal of
 * the square less the margin. */
static void
test_fit_framing (void)
{
  InkDrawing *d = ink_drawing_new ();
  InkRenderOptions o = ink_render_options_default ();
  guint8 *px;
  double x0, y0, x1, y1;

  add_line (d, 1000, 1000, 1300, 1300, 0.5, 20);
  g_assert_true (ink_drawing_get_bounds (d, &x0, &y0, &x1, &y1));
  g_assert_cmpfloat (x0, ==, 1000);
  g_assert_cmpfloat (y1, ==, 1300);
  o.margin = 0.1;
  px = render (d, &o, 100, 100);
  /* Ends at 10 and 90. */
  g_assert_cmpint (px[12 * 100 + 12], >, 200);
  g_assert_cmpint (px[50 * 100 + 50], >, 200);
  g_assert_cmpint (px[87 * 100 + 87], >, 200);
  g_assert_cmpint (px[2 * 100 + 2], ==, 0);
  g_assert_cmpint (px[97 * 100 + 97], ==, 0);
  g_assert_cmpint (px[10 * 100 + 90], ==, 0);
  g_assert_cmpint (px[90 * 100 + 10], ==, 0);
  g_free (px);

  /* A horizontal line (no height) is centred vertically; a non-square
   * output keeps the aspect ratio. */
  ink_drawing_clear (d);
  add_line (d, -50, 7, 50, 7, 0.5, 5);
  px = render (d, &o, 60, 30);
  for (int x = 8; x < 52; x++) {
    g_assert_cmpint (px[15 * 60 + x], >, 100);
    g_assert_cmpint (px[2 * 60 + x], ==, 0);
    g_assert_cmpint (px[28 * 60 + x], ==, 0);
  }
  g_assert_cmpint (px[15 * 60 + 1], ==, 0);
  g_free (px);

  /* A dot: one point, drawn in the middle. */
  ink_drawing_clear (d);
  add_line (d, 123, 456, 0, 0, 0.5, 1);
  px = render (d, &o, 28, 28);
  g_assert_cmpint (px[14 * 28 + 14], >, 100);
  g_assert_cmpint (px[0], ==, 0);
  g_assert_cmpint (px[14 * 28 + 4], ==, 0);
  g_free (px);
  ink_drawing_free (d);
}

/* Where and how big the drawing is on the canvas does not change the fit
 * rendering. */
static void
test_framing_invariance (void)
{
  InkDrawing *a = sample_drawing ();
  InkDrawing *b = ink_drawing_copy (a);
  InkDrawing *c = ink_drawing_copy (a);
  guint8 *pa, *pb, *pc;
  double diff_b = 0, diff_c = 0;
  int max_b = 0, max_c = 0;

  ink_drawing_transform (b, 3.7, 0, 0, 3.7, 512.25, -200.5);
  ink_drawing_transform (c, 0.05, 0, 0, 0.05, 3, 9000);
  pa = render (a, NULL, 28, 28);
  pb = render (b, NULL, 28, 28);
  pc = render (c, NULL, 28, 28);
  for (int i = 0; i < 28 * 28; i++) {
    diff_b += abs (pa[i] - pb[i]);
    diff_c += abs (pa[i] - pc[i]);
    max_b = MAX (max_b, abs (pa[i] - pb[i]));
    max_c = MAX (max_c, abs (pa[i] - pc[i]));
  }
  g_test_message ("mean |diff| %.3f and %.3f, max %d and %d", diff_b / 784, diff_c / 784, max_b,
                  max_c);
  g_assert_cmpfloat (diff_b / 784, <, 0.5);
  g_assert_cmpfloat (diff_c / 784, <, 0.5);
  g_assert_cmpint (max_b, <=, 8);
  g_assert_cmpint (max_c, <=, 8);
  g_assert_cmpfloat (ink_sum (pa, 784), >, 255 * 60);
  g_free (pa);
  g_free (pb);
  g_free (pc);
  ink_drawing_free (a);
  ink_drawing_free (b);
  ink_drawing_free (c);
}

static void
test_pressure_widens (void)
{
  InkDrawing *light = ink_drawing_new (), *heavy = ink_drawing_new ();
  InkRenderOptions o = ink_render_options_default ();
  guint8 *pl, *ph;
  double sl, sh;

  add_line (light, 0, 0, 100, 100, 0.1, 10);
  add_line (heavy, 0, 0, 100, 100, 0.9, 10);
  pl = render (light, &o, 64, 64);
  ph = render (heavy, &o, 64, 64);
  sl = ink_sum (pl, 64 * 64);
  sh = ink_sum (ph, 64 * 64);
  g_test_message ("ink at pressure 0.1: %.0f, at 0.9: %.0f", sl, sh);
  g_assert_cmpfloat (sh, >, 2.0 * sl);
  g_free (pl);
  g_free (ph);

  /* Without pressure gain they are the same. */
  o.pressure_gain = 0;
  pl = render (light, &o, 64, 64);
  ph = render (heavy, &o, 64, 64);
  g_assert_cmpmem (pl, 64 * 64, ph, 64 * 64);
  g_free (pl);
  g_free (ph);

  /* Pressure varying along one stroke: the heavy end is wider. */
  {
    InkDrawing *d = ink_drawing_new ();
    InkError err = {0};
    int top = 0, bottom = 0;

    for (int i = 0; i <= 20; i++)
      ink_assert_ok (ink_drawing_add_point (d, 50, i * 5.0, i / 20.0, -1, &err), &err);
    o = ink_render_options_default ();
    o.margin = 0.2;
    pl = render (d, &o, 64, 64);
    for (int x = 0; x < 64; x++) {
      top += pl[16 * 64 + x] > 127;
      bottom += pl[47 * 64 + x] > 127;
    }
    g_test_message ("width near the light end %d, near the heavy end %d", top, bottom);
    g_assert_cmpint (bottom, >, top + 2);
    g_free (pl);
    ink_drawing_free (d);
  }
  ink_drawing_free (light);
  ink_drawing_free (heavy);
}

/* A drawing spanning a big canvas with a very thin pen still shows every
 * stroke at 28x28. */
static void
test_thin_strokes_survive (void)
{
  InkDrawing *d = ink_drawing_new ();
  InkRenderOptions o = ink_render_options_default ();
  guint8 *px;

  add_line (d, 0, 0, 1000, 0, 0.0, 50);
  add_line (d, 0, 1000, 1000, 1000, 0.0, 50);
  add_line (d, 500, 0, 500, 1000, 0.0, 50);
  o.fit_line_width = 0.001; /* far below a pixel */
  px = render (d, &o, 28, 28);
  for (int i = 4; i < 24; i++) {
    int col_top = 0, col_bottom = 0, row_mid = 0;

    for (int j = 0; j < 28; j++) {
      col_top = MAX (col_top, px[j * 28 + i] * (j < 8));
      col_bottom = MAX (col_bottom, px[j * 28 + i] * (j > 20));
      row_mid = MAX (row_mid, px[i * 28 + j]);
    }
    g_assert_cmpint (col_top, >=, 100);
    g_assert_cmpint (col_bottom, >=, 100);
    g_assert_cmpint (row_mid, >=, 100);
  }
  g_free (px);

  /* And supersampling changes little against Cairo's own antialiasing. */
  {
    guint8 *p1, *p4;
    double diff = 0;
    InkDrawing *s = sample_drawing ();

    o = ink_render_options_default ();
    o.supersample = 1;
    p1 = render (s, &o, 28, 28);
    o.supersample = 4;
    p4 = render (s, &o, 28, 28);
    for (int i = 0; i < 784; i++)
      diff += abs (p1[i] - p4[i]);
    g_test_message ("mean |supersampled - direct| %.2f", diff / 784);
    g_assert_cmpfloat (diff / 784, <, 12);
    g_free (p1);
    g_free (p4);
    ink_drawing_free (s);
  }
  ink_drawing_free (d);
}

static void
test_smoothing (void)
{
  InkDrawing *d = ink_drawing_new ();
  InkRenderOptions o = ink_render_options_default ();
  guint8 *sharp, *smooth;

  /* A right angle: smoothing cuts the corner, so the corner pixel gets less
   * ink and the inside of the bend more. */
  add_line (d, 0, 0, 0, 100, 0.5, 2);
  {
    InkError err = {0};

    ink_drawing_undo (d);
    ink_assert_ok (ink_drawing_begin_stroke (d, &err), &err);
    ink_assert_ok (ink_drawing_add_point (d, 0, 0, 0.5, -1, &err), &err);
    ink_assert_ok (ink_drawing_add_point (d, 0, 100, 0.5, -1, &err), &err);
    ink_assert_ok (ink_drawing_add_point (d, 100, 100, 0.5, -1, &err), &err);
  }
  o.margin = 0.1;
  o.smooth = false;
  sharp = render (d, &o, 50, 50);
  o.smooth = true;
  smooth = render (d, &o, 50, 50);
  g_assert_cmpint (sharp[45 * 50 + 5], >, 200);
  g_assert_cmpint (smooth[45 * 50 + 5], <, 50);
  g_assert_cmpint (smooth[5 * 50 + 5], >, 200);
  g_assert_cmpint (smooth[45 * 50 + 45], >, 200);
  g_free (sharp);
  g_free (smooth);
  ink_drawing_free (d);
}

static void
test_undo_redo (void)
{
  InkDrawing *d = ink_drawing_new ();
  InkDrawing *two = ink_drawing_new ();
  InkError err = {0};
  guint8 *pd, *pt;
  const InkPoint *pts;
  size_t n;

  g_assert_false (ink_drawing_undo (d));
  g_assert_false (ink_drawing_redo (d));
  g_assert_cmpuint (ink_drawing_stroke_count (d), ==, 0);
  g_assert_false (ink_drawing_get_bounds (d, NULL, NULL, NULL, NULL));

  add_line (d, 0, 0, 10, 10, 0.5, 3);
  add_line (d, 10, 0, 0, 10, 0.5, 4);
  add_line (two, 0, 0, 10, 10, 0.5, 3);
  add_line (two, 10, 0, 0, 10, 0.5, 4);
  /* add_point without begin_stroke opens a stroke. */
  ink_assert_ok (ink_drawing_add_point (d, 5, 20, 0.5, 1.0, &err), &err);
  ink_assert_ok (ink_drawing_add_point (d, 5, 30, 0.5, 1.1, &err), &err);
  g_assert_cmpuint (ink_drawing_stroke_count (d), ==, 3);
  g_assert_cmpuint (ink_drawing_point_count (d), ==, 9);

  g_assert_true (ink_drawing_undo (d));
  g_assert_cmpuint (ink_drawing_stroke_count (d), ==, 2);
  g_assert_cmpuint (ink_drawing_point_count (d), ==, 7);
  g_assert_true (ink_drawing_can_redo (d));
  pd = render (d, NULL, 28, 28);
  pt = render (two, NULL, 28, 28);
  g_assert_cmpmem (pd, 784, pt, 784);
  g_free (pd);
  g_free (pt);

  g_assert_true (ink_drawing_redo (d));
  g_assert_cmpuint (ink_drawing_stroke_count (d), ==, 3);
  pts = ink_drawing_get_stroke (d, 2, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpfloat (pts[1].y, ==, 30);
  g_assert_cmpfloat (pts[1].time, ==, 1.1);
  g_assert_null (ink_drawing_get_stroke (d, 3, &n));
  g_assert_cmpuint (n, ==, 0);

  /* A new stroke forgets the redo history. */
  g_assert_true (ink_drawing_undo (d));
  add_line (d, 1, 1, 2, 2, 0.5, 2);
  g_assert_false (ink_drawing_can_redo (d));
  g_assert_false (ink_drawing_redo (d));

  /* An empty stroke is dropped when it ends; undo then removes the last
   * real one. */
  ink_assert_ok (ink_drawing_begin_stroke (d, &err), &err);
  g_assert_true (ink_drawing_undo (d));
  g_assert_cmpuint (ink_drawing_stroke_count (d), ==, 2);

  /* Undo everything; the copy keeps its own history. */
  {
    InkDrawing *copy = ink_drawing_copy (d);

    while (ink_drawing_undo (d))
      ;
    g_assert_cmpuint (ink_drawing_stroke_count (d), ==, 0);
    g_assert_cmpuint (ink_drawing_point_count (d), ==, 0);
    g_assert_cmpuint (ink_drawing_stroke_count (copy), ==, 2);
    g_assert_true (ink_drawing_redo (copy));
    g_assert_cmpuint (ink_drawing_stroke_count (copy), ==, 3);
    ink_drawing_free (copy);
  }
  pd = render (d, NULL, 28, 28);
  g_assert_cmpfloat (ink_sum (pd, 784), ==, 0);
  g_free (pd);

  ink_drawing_clear (two);
  g_assert_cmpuint (ink_drawing_stroke_count (two), ==, 0);
  ink_drawing_free (d);
  ink_drawing_free (two);
}

static void
test_bad_arguments (void)
{
  InkDrawing *d = ink_drawing_new ();
  InkRenderOptions o = ink_render_options_default ();
  InkError err = {0};
  InkPoint p = {1, 2, 0.5, -1};
  InkValue *img = NULL;
  guint8 px[64];

  g_assert_cmpint (ink_drawing_add_point (d, NAN, 0, 0.5, -1, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_drawing_add_point (d, 0, INFINITY, 0.5, -1, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_drawing_add_stroke (d, &p, 0, &err), ==, INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_drawing_add_point (NULL, 0, 0, 0.5, -1, &err), ==, INK_ERR_INVALID_ARGUMENT);
  /* Pressure is clamped. */
  ink_assert_ok (ink_drawing_add_point (d, 0, 0, 7, -1, &err), &err);
  g_assert_cmpfloat (ink_drawing_get_stroke (d, 0, NULL)[0].pressure, ==, 1.0);

  g_assert_cmpint (ink_drawing_render_gray8 (d, NULL, 0, 8, 8, px, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_drawing_render_gray8 (d, NULL, 8, 8, 7, px, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  o.supersample = 0;
  g_assert_cmpint (ink_drawing_render_gray8 (d, &o, 8, 8, 8, px, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (err.message, "supersample"));
  o = ink_render_options_default ();
  o.margin = 0.6;
  g_assert_cmpint (ink_drawing_render_gray8 (d, &o, 8, 8, 8, px, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  o = ink_render_options_default ();
  o.scale = 0;
  g_assert_cmpint (ink_drawing_render_gray8 (d, &o, 8, 8, 8, px, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_drawing_render_image (d, NULL, 20000, 8, &img, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  g_assert_null (img);
  g_assert_cmpint (ink_drawing_render_argb32 (d, NULL, 0xff000000u, 4, 4, 15, px, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);

  /* An empty drawing is all background. */
  ink_drawing_clear (d);
  o = ink_render_options_default ();
  o.background = 17;
  ink_assert_ok (ink_drawing_render_gray8 (d, &o, 8, 8, 8, px, &err), &err);
  for (int i = 0; i < 64; i++)
    g_assert_cmpint (px[i], ==, 17);
  ink_drawing_free (d);
}

static void
test_image_value (void)
{
  InkDrawing *d = sample_drawing ();
  InkError err = {0};
  InkValue *img = NULL;
  guint8 *px = render (d, NULL, 28, 28);

  ink_assert_ok (ink_drawing_render_image (d, NULL, 28, 28, &img, &err), &err);
  g_assert_cmpint (ink_value_get_type (img), ==, INK_VALUE_IMAGE);
  g_assert_cmpint (ink_value_image_format (img), ==, INK_PIXEL_GRAY8);
  g_assert_cmpint (ink_value_image_width (img), ==, 28);
  g_assert_cmpint (ink_value_image_height (img), ==, 28);
  g_assert_cmpmem (ink_value_image_pixels (img), 784, px, 784);
  ink_value_free (img);
  g_free (px);
  ink_drawing_free (d);
}

static void
test_argb32 (void)
{
  InkDrawing *d = ink_drawing_new ();
  InkRenderOptions o = ink_render_options_default ();
  InkError err = {0};
  guint32 px[16 * 16];

  for (int i = 0; i < 256; i++)
    px[i] = 0xffffffffu; /* opaque white canvas */
  add_line (d, 2, 8, 14, 8, 0.5, 4);
  o.framing = INK_FRAMING_CANVAS;
  o.canvas_line_width = 2;
  o.scale = 1;
  ink_assert_ok (ink_drawing_render_argb32 (d, &o, 0xff0000ffu, 16, 16, 64, (guint8 *) px, &err),
                 &err);
  g_assert_cmphex (px[8 * 16 + 8] & 0xffffffu, ==, 0x0000ffu); /* blue ink */
  g_assert_cmphex (px[8 * 16 + 8] >> 24, ==, 0xff);
  g_assert_cmphex (px[2 * 16 + 8], ==, 0xffffffffu); /* untouched */
  g_assert_cmphex (px[8 * 16 + 15], ==, 0xffffffffu);

  /* HiDPI: scale 2 draws the same stroke twice as big. */
  {
    guint32 big[32 * 32] = {0};

    o.scale = 2;
    ink_assert_ok (
      ink_drawing_render_argb32 (d, &o, 0xff000000u, 32, 32, 128, (guint8 *) big, &err), &err);
    g_assert_cmphex (big[16 * 32 + 16] >> 24, ==, 0xff);
    g_assert_cmphex (big[16 * 32 + 27] >> 24, ==, 0xff);
    g_assert_cmphex (big[16 * 32 + 31] >> 24, ==, 0);
    g_assert_cmphex (big[20 * 32 + 16] >> 24, ==, 0);
  }
  ink_drawing_free (d);
}

static void
test_json_round_trip (void)
{
  InkDrawing *d = ink_drawing_new (), *back = NULL;
  InkError err = {0};
  char *json = NULL, *again = NULL;
  InkPoint pts[3] = {{10.123, 20.5, 0.25, 0.0}, {-3.5, 1e4, 0.75, 0.016}, {0, 0, 1, 0.5}};

  ink_assert_ok (ink_drawing_add_stroke (d, pts, 3, &err), &err);
  add_line (d, 1, 2, 3, 4, 0.5, 2); /* no times */
  add_line (d, 7, 7, 7, 7, 0.333, 1);
  ink_drawing_undo (d);
  add_line (d, 8, 9, 8, 9, 0.0, 1);
  ink_assert_ok (ink_drawing_to_json (d, &json, &err), &err);
  g_test_message ("%s", json);
  g_assert_true (g_str_has_prefix (json, "{\"version\":1,\"strokes\":["));
  g_assert_null (strstr (json, " "));
  ink_assert_ok (ink_drawing_from_json (json, strlen (json), &back, &err), &err);
  g_assert_cmpuint (ink_drawing_stroke_count (back), ==, 3);
  g_assert_false (ink_drawing_can_redo (back));
  for (size_t s = 0; s < 3; s++) {
    size_t na, nb;
    const InkPoint *a = ink_drawing_get_stroke (d, s, &na);
    const InkPoint *b = ink_drawing_get_stroke (back, s, &nb);

    g_assert_cmpuint (na, ==, nb);
    for (size_t i = 0; i < na; i++) {
      g_assert_cmpfloat_with_epsilon (a[i].x, b[i].x, 0.005 + 1e-9);
      g_assert_cmpfloat_with_epsilon (a[i].y, b[i].y, 0.005 + 1e-9);
      g_assert_cmpfloat_with_epsilon (a[i].pressure, b[i].pressure, 0.0005 + 1e-9);
      if (a[i].time >= 0)
        g_assert_cmpfloat_with_epsilon (a[i].time, b[i].time, 0.0005 + 1e-9);
      else
        g_assert_cmpfloat (b[i].time, <, 0);
    }
  }
  /* Writing what was read gives the same text. */
  ink_assert_ok (ink_drawing_to_json (back, &again, &err), &err);
  g_assert_cmpstr (json, ==, again);
  free (json);
  free (again);
  ink_drawing_free (back);

  /* An empty drawing. */
  ink_drawing_clear (d);
  ink_assert_ok (ink_drawing_to_json (d, &json, &err), &err);
  g_assert_cmpstr (json, ==, "{\"version\":1,\"strokes\":[]}");
  ink_assert_ok (ink_drawing_from_json (json, strlen (json), &back, &err), &err);
  g_assert_cmpuint (ink_drawing_stroke_count (back), ==, 0);
  free (json);
  ink_drawing_free (back);

  /* "p" and "t" are optional; whitespace and a size without NUL are fine. */
  {
    const char *text = " {\"strokes\": [{\"x\": [1, 2], \"y\": [3, 4]}], \"version\": 1}\n xyz";
    const InkPoint *p;

    ink_assert_ok (ink_drawing_from_json (text, strlen (text) - 3, &back, &err), &err);
    p = ink_drawing_get_stroke (back, 0, NULL);
    g_assert_cmpfloat (p[1].x, ==, 2);
    g_assert_cmpfloat (p[1].pressure, ==, INK_PRESSURE_DEFAULT);
    g_assert_cmpfloat (p[1].time, <, 0);
    ink_drawing_free (back);
  }
  ink_drawing_free (d);
}

static void
test_json_malformed (void)
{
  static const struct {
    const char *json;
    InkStatus status;
  } cases[] = {
    {"", INK_ERR_FORMAT},
    {"{", INK_ERR_FORMAT},
    {"[]", INK_ERR_FORMAT},
    {"null", INK_ERR_FORMAT},
    {"{\"version\":1}", INK_ERR_FORMAT},
    {"{\"strokes\":[]}", INK_ERR_FORMAT},
    {"{\"version\":\"1\",\"strokes\":[]}", INK_ERR_FORMAT},
    {"{\"version\":1.5,\"strokes\":[]}", INK_ERR_FORMAT},
    {"{\"version\":0,\"strokes\":[]}", INK_ERR_FORMAT},
    {"{\"version\":2,\"strokes\":[]}", INK_ERR_VERSION},
    {"{\"version\":1,\"strokes\":{}}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[1]}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[{\"x\":[1]}]}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[{\"x\":[],\"y\":[]}]}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[{\"x\":[1,2],\"y\":[1]}]}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[{\"x\":[1],\"y\":[1],\"p\":[0.5,0.5]}]}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[{\"x\":[1],\"y\":[1],\"t\":[]}]}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[{\"x\":[1],\"y\":[\"1\"]}]}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[{\"x\":[1],\"y\":[1],\"p\":[1.5]}]}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[{\"x\":[1],\"y\":[1],\"p\":[-0.1]}]}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[{\"x\":[1e999],\"y\":[1]}]}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[{\"x\":1,\"y\":1}]}", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[]} trailing", INK_ERR_FORMAT},
    {"{\"version\":1,\"strokes\":[{\"x\":[1],\"y\":[1]},{\"x\":[1],\"y\":[1],\"p\":[2]}]}",
     INK_ERR_FORMAT},
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    InkDrawing *d = (InkDrawing *) 0x1;
    InkError err = {0};
    InkStatus st = ink_drawing_from_json (cases[i].json, strlen (cases[i].json), &d, &err);

    g_test_message ("%s -> %s: %s", cases[i].json, ink_status_to_string (st), err.message);
    g_assert_cmpint (st, ==, cases[i].status);
    g_assert_cmpint (err.status, ==, cases[i].status);
    g_assert_cmpstr (err.message, !=, "");
    g_assert_null (d);
  }
  {
    InkDrawing *d = NULL;

    g_assert_cmpint (ink_drawing_from_json (NULL, 3, &d, NULL), ==, INK_ERR_INVALID_ARGUMENT);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/strokes/defaults", test_defaults);
  g_test_add_func ("/strokes/known-stroke", test_known_stroke);
  g_test_add_func ("/strokes/fit-framing", test_fit_framing);
  g_test_add_func ("/strokes/framing-invariance", test_framing_invariance);
  g_test_add_func ("/strokes/pressure-widens", test_pressure_widens);
  g_test_add_func ("/strokes/thin-strokes-survive", test_thin_strokes_survive);
  g_test_add_func ("/strokes/smoothing", test_smoothing);
  g_test_add_func ("/strokes/undo-redo", test_undo_redo);
  g_test_add_func ("/strokes/bad-arguments", test_bad_arguments);
  g_test_add_func ("/strokes/image-value", test_image_value);
  g_test_add_func ("/strokes/argb32", test_argb32);
  g_test_add_func ("/strokes/json-round-trip", test_json_round_trip);
  g_test_add_func ("/strokes/json-malformed", test_json_malformed);
  return g_test_run ();
}

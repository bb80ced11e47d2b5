/* ink-strokes.c: drawings as strokes, their Cairo rasterizer and JSON form
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-strokes.h"

#include <cairo.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ink-util-private.h"

#define MAX_SIDE 16384
#define MAX_SUPERSAMPLE 8
#define FORMAT_VERSION 1

typedef struct {
  InkPoint *pts;
  size_t n, cap;
} Stroke;

struct InkDrawing {
  Stroke *strokes;
  size_t n_strokes, cap_strokes;
  Stroke *redo; /* undone strokes, the most recent last */
  size_t n_redo, cap_redo;
  bool open; /* the last stroke takes ink_drawing_add_point's points */
  size_t n_points;
};

/* Drawings */

InkDrawing *
ink_drawing_new (void)
{
  return calloc (1, sizeof (InkDrawing));
}

static void
strokes_free (Stroke *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (s[i].pts);
  free (s);
}

static bool
strokes_copy (const Stroke *src, size_t n, Stroke **out, size_t *cap)
{
  Stroke *s;

  *out = NULL;
  *cap = 0;
  if (n == 0)
    return true;
  s = calloc (n, sizeof *s);
  if (s == NULL)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (src[i].n > 0) {
      s[i].pts = malloc (src[i].n * sizeof (InkPoint));
      if (s[i].pts == NULL) {
        strokes_free (s, i);
        return false;
      }
      memcpy (s[i].pts, src[i].pts, src[i].n * sizeof (InkPoint));
    }
    s[i].n = s[i].cap = src[i].n;
  }
  *out = s;
  *cap = n;
  return true;
}

InkDrawing *
ink_drawing_copy (const InkDrawing *drawing)
{
  InkDrawing *d;

  if (drawing == NULL)
    return NULL;
  d = ink_drawing_new ();
  if (d == NULL)
    return NULL;
  if (!strokes_copy (drawing->strokes, drawing->n_strokes, &d->strokes, &d->cap_strokes) ||
      !strokes_copy (drawing->redo, drawing->n_redo, &d->redo, &d->cap_redo)) {
    ink_drawing_free (d);
    return NULL;
  }
  d->n_strokes = drawing->n_strokes;
  d->n_redo = drawing->n_redo;
  d->open = drawing->open;
  d->n_points = drawing->n_points;
  return d;
}

static void
redo_clear (InkDrawing *d)
{
  for (size_t i = 0; i < d->n_redo; i++)
    free (d->redo[i].pts);
  d->n_redo = 0;
}

void
ink_drawing_clear (InkDrawing *drawing)
{
  if (drawing == NULL)
    return;
  for (size_t i = 0; i < drawing->n_strokes; i++)
    free (drawing->strokes[i].pts);
  drawing->n_strokes = 0;
  drawing->n_points = 0;
  drawing->open = false;
  redo_clear (drawing);
}

void
ink_drawing_free (InkDrawing *drawing)
{
  if (drawing == NULL)
    return;
  strokes_free (drawing->strokes, drawing->n_strokes);
  strokes_free (drawing->redo, drawing->n_redo);
  free (drawing);
}

void
ink_drawing_end_stroke (InkDrawing *drawing)
{
  if (drawing == NULL || !drawing->open)
    return;
  drawing->open = false;
  if (drawing->strokes[drawing->n_strokes - 1].n == 0) {
    free (drawing->strokes[drawing->n_strokes - 1].pts);
    drawing->n_strokes--;
  }
}

InkStatus
ink_drawing_begin_stroke (InkDrawing *drawing, InkError *err)
{
  if (drawing == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no drawing");
  ink_drawing_end_stroke (drawing);
  if (!INK_GROW (drawing->strokes, drawing->n_strokes, drawing->cap_strokes))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory for a stroke");
  redo_clear (drawing);
  drawing->strokes[drawing->n_strokes++] = (Stroke){0};
  drawing->open = true;
  return INK_OK;
}

static InkStatus
check_point (double x, double y, double pressure, InkError *err)
{
  if (!isfinite (x) || !isfinite (y) || !isfinite (pressure))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "a point's coordinates and pressure "
                          "must be finite numbers");
  return INK_OK;
}

static double
clamp01 (double v)
{
  return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

InkStatus
ink_drawing_add_point (InkDrawing *drawing, double x, double y, double pressure, double time,
                       InkError *err)
{
  InkStatus st;
  Stroke *s;

  if (drawing == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no drawing");
  st = check_point (x, y, pressure, err);
  if (st != INK_OK)
    return st;
  if (drawing->n_points >= INK_DRAWING_MAX_POINTS)
    return ink_error_set (err, INK_ERR_SHAPE_MISMATCH, "a drawing holds at most %d points",
                          INK_DRAWING_MAX_POINTS);
  if (!drawing->open) {
    st = ink_drawing_begin_stroke (drawing, err);
    if (st != INK_OK)
      return st;
  }
  s = &drawing->strokes[drawing->n_strokes - 1];
  if (!INK_GROW (s->pts, s->n, s->cap))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory for a point");
  s->pts[s->n++] = (InkPoint){
    .x = x, .y = y, .pressure = clamp01 (pressure), .time = isfinite (time) ? time : -1.0};
  drawing->n_points++;
  return INK_OK;
}

InkStatus
ink_drawing_add_stroke (InkDrawing *drawing, const InkPoint *points, size_t n, InkError *err)
{
  InkStatus st;

  if (drawing == NULL || points == NULL || n == 0)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "a stroke needs at least one point");
  for (size_t i = 0; i < n; i++) {
    st = check_point (points[i].x, points[i].y, points[i].pressure, err);
    if (st != INK_OK)
      return st;
  }
  if (n > INK_DRAWING_MAX_POINTS || drawing->n_points > INK_DRAWING_MAX_POINTS - n)
    return ink_error_set (err, INK_ERR_SHAPE_MISMATCH, "a drawing holds at most %d points",
                          INK_DRAWING_MAX_POINTS);
  st = ink_drawing_begin_stroke (drawing, err);
  if (st != INK_OK)
    return st;
  for (size_t i = 0; i < n; i++) {
    st = ink_drawing_add_point (drawing, points[i].x, points[i].y, points[i].pressure,
                                points[i].time, err);
    if (st != INK_OK) {
      ink_drawing_undo (drawing);
      redo_clear (drawing);
      return st;
    }
  }
  ink_drawing_end_stroke (drawing);
  return INK_OK;
}

bool
ink_drawing_undo (InkDrawing *drawing)
{
  if (drawing == NULL)
    return false;
  ink_drawing_end_stroke (drawing);
  if (drawing->n_strokes == 0)
    return false;
  if (!INK_GROW (drawing->redo, drawing->n_redo, drawing->cap_redo))
    return false;
  drawing->n_strokes--;
  drawing->n_points -= drawing->strokes[drawing->n_strokes].n;
  drawing->redo[drawing->n_redo++] = drawing->strokes[drawing->n_strokes];
  return true;
}

bool
ink_drawing_redo (InkDrawing *drawing)
{
  if (drawing == NULL || drawing->n_redo == 0)
    return false;
  ink_drawing_end_stroke (drawing);
  if (!INK_GROW (drawing->strokes, drawing->n_strokes, drawing->cap_strokes))
    return false;
  drawing->n_redo--;
  drawing->strokes[drawing->n_strokes++] = drawing->redo[drawing->n_redo];
  drawing->n_points += drawing->redo[drawing->n_redo].n;
  return true;
}

bool
ink_drawing_can_redo (const InkDrawing *drawing)
{
  return drawing != NULL && drawing->n_redo > 0;
}

size_t
ink_drawing_stroke_count (const InkDrawing *drawing)
{
  return drawing != NULL ? drawing->n_strokes : 0;
}

size_t
ink_drawing_point_count (const InkDrawing *drawing)
{
  return drawing != NULL ? drawing->n_points : 0;
}

const InkPoint *
ink_drawing_get_stroke (const InkDrawing *drawing, size_t i, size_t *n)
{
  if (n != NULL)
    *n = 0;
  if (drawing == NULL || i >= drawing->n_strokes)
    return NULL;
  if (n != NULL)
    *n = drawing->strokes[i].n;
  return drawing->strokes[i].pts;
}

bool
ink_drawing_get_bounds (const InkDrawing *drawing, double *x0, double *y0, double *x1, double *y1)
{
  double bx0 = INFINITY, by0 = INFINITY, bx1 = -INFINITY, by1 = -INFINITY;

  if (drawing == NULL || drawing->n_points == 0)
    return false;
  for (size_t i = 0; i < drawing->n_strokes; i++) {
    const Stroke *s = &drawing->strokes[i];

    for (size_t j = 0; j < s->n; j++) {
      bx0 = fmin (bx0, s->pts[j].x);
      by0 = fmin (by0, s->pts[j].y);
      bx1 = fmax (bx1, s->pts[j].x);
      by1 = fmax (by1, s->pts[j].y);
    }
  }
  if (x0 != NULL)
    *x0 = bx0;
  if (y0 != NULL)
    *y0 = by0;
  if (x1 != NULL)
    *x1 = bx1;
  if (y1 != NULL)
    *y1 = by1;
  return true;
}

void
ink_drawing_transform (InkDrawing *drawing, double xx, double yx, double xy, double yy, double x0,
                       double y0)
{
  if (drawing == NULL)
    return;
  for (size_t i = 0; i < drawing->n_strokes; i++) {
    Stroke *s = &drawing->strokes[i];

    for (size_t j = 0; j < s->n; j++) {
      double x = s->pts[j].x, y = s->pts[j].y;

      s->pts[j].x = xx * x + xy * y + x0;
      s->pts[j].y = yx * x + yy * y + y0;
    }
  }
}

/* Rendering */

InkRenderOptions
ink_render_options_default (void)
{
  InkRenderOptions o = {
    .framing = INK_FRAMING_FIT,
    .margin = 0.1,
    .fit_line_width = 0.06,
    .canvas_line_width = 8.0,
    .scale = 1.0,
    .origin_x = 0.0,
    .origin_y = 0.0,
    .pressure_gain = 0.6,
    .min_line_width = 1.0,
    .smooth = true,
    .supersample = 4,
    .background = 0,
    .ink = 255,
  };

  return o;
}

static InkStatus
check_options (const InkRenderOptions *o, int width, int height, InkError *err)
{
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "an output of %dx%d pixels: each side must be 1..%d", width, height,
                          MAX_SIDE);
  if (o->framing != INK_FRAMING_FIT && o->framing != INK_FRAMING_CANVAS)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "unknown framing %d", (int) o->framing);
  if (!(o->margin >= 0.0 && o->margin <= 0.45))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "margin must be 0..0.45");
  if (!(o->fit_line_width > 0.0 && o->fit_line_width <= 1.0))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "fit_line_width must be in (0, 1]");
  if (!(o->canvas_line_width > 0.0 && isfinite (o->canvas_line_width)))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "canvas_line_width must be positive");
  if (!(o->scale > 0.0 && isfinite (o->scale)) || !isfinite (o->origin_x) ||
      !isfinite (o->origin_y))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "scale must be positive and the origin finite");
  if (!(o->pressure_gain >= 0.0 && o->pressure_gain <= 1.0))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "pressure_gain must be 0..1");
  if (!(o->min_line_width >= 0.0 && o->min_line_width <= 1000.0))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "min_line_width must be 0..1000");
  if (o->supersample < 1 || o->supersample > MAX_SUPERSAMPLE)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "supersample must be 1..%d",
                          MAX_SUPERSAMPLE);
  return INK_OK;
}

/* Canvas coordinates to output pixels: (x * s + tx, y * s + ty), and the pen
 * width at INK_PRESSURE_DEFAULT in output pixels. */
typedef struct {
  double s, tx, ty;
  double width;
  double min_width;
  double gain;
} Frame;

static Frame
frame_for (const InkDrawing *d, const InkRenderOptions *o, int width, int height)
{
  Frame f = {.s = 1.0, .min_width = o->min_line_width, .gain = o->pressure_gain};
  double shorter = width < height ? width : height;

  if (o->framing == INK_FRAMING_CANVAS) {
    f.s = o->scale;
    f.tx = -o->origin_x * o->scale;
    f.ty = -o->origin_y * o->scale;
    f.width = o->canvas_line_width * o->scale;
  } else {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    double m = o->margin * shorter;
    double aw = width - 2.0 * m, ah = height - 2.0 * m;
    double bw, bh, sx = INFINITY, sy = INFINITY;

    ink_drawing_get_bounds (d, &x0, &y0, &x1, &y1);
    bw = x1 - x0;
    bh = y1 - y0;
    /* A side too short to measure (a straight line, a dot) does not limit
     * the scale; a dot keeps its canvas size, which does not matter. */
    if (bw > 1e-9 * (1.0 + fabs (x0) + fabs (x1)))
      sx = aw / bw;
    if (bh > 1e-9 * (1.0 + fabs (y0) + fabs (y1)))
      sy = ah / bh;
    f.s = fmin (sx, sy);
    if (!isfinite (f.s) || f.s <= 0.0)
      f.s = 1.0;
    f.tx = width / 2.0 - f.s * (x0 + x1) / 2.0;
    f.ty = height / 2.0 - f.s * (y0 + y1) / 2.0;
    f.width = o->fit_line_width * shorter;
  }
  return f;
}

static double
pen_width (const Frame *f, double pressure)
{
  double w = f->width * (1.0 + f->gain * (2.0 * pressure - 1.0));

  return w < f->min_width ? f->min_width : w;
}

/* Strokes the path built so far at width w, and starts the next piece of the
 * stroke at (x, y). */
static void
flush_run (cairo_t *cr, double w, double x, double y)
{
  cairo_set_line_width (cr, w);
  cairo_stroke (cr);
  cairo_move_to (cr, x, y);
}

/* Consecutive pieces whose widths differ by less than this are stroked as
 * one path, which joins them more cleanly than separate round caps do. */
static bool
same_width (double a, double b)
{
  return fabs (a - b) <= fmax (0.03 * a, 0.02);
}

static void
draw_stroke (cairo_t *cr, const Frame *f, bool smooth, const InkPoint *p, size_t n)
{
  double run_w;

#define PX(i) (p[i].x * f->s + f->tx)
#define PY(i) (p[i].y * f->s + f->ty)
  if (n == 1) {
    cairo_new_path (cr);
    cairo_arc (cr, PX (0), PY (0), pen_width (f, p[0].pressure) / 2.0, 0.0, 2.0 * M_PI);
    cairo_fill (cr);
    return;
  }
  cairo_new_path (cr);
  cairo_move_to (cr, PX (0), PY (0));
  if (!smooth || n == 2) {
    run_w = (pen_width (f, p[0].pressure) + pen_width (f, p[1].pressure)) / 2.0;
    for (size_t i = 0; i + 1 < n; i++) {
      double w = (pen_width (f, p[i].pressure) + pen_width (f, p[i + 1].pressure)) / 2.0;

      if (!same_width (run_w, w)) {
        flush_run (cr, run_w, PX (i), PY (i));
        run_w = w;
      }
      cairo_line_to (cr, PX (i + 1), PY (i + 1));
    }
    flush_run (cr, run_w, PX (n - 1), PY (n - 1));
    cairo_new_path (cr);
    return;
  }
  /* A straight piece to the first midpoint, a quadratic curve through each
   * inner point (its control point) from midpoint to midpoint, a straight
   * piece to the end: the curve passes through the stroke's ends and is
   * smooth at every midpoint. */
  run_w = pen_width (f, p[0].pressure);
  {
    double mx = (PX (0) + PX (1)) / 2.0, my = (PY (0) + PY (1)) / 2.0;

    cairo_line_to (cr, mx, my);
    for (size_t i = 1; i + 1 < n; i++) {
      double w = pen_width (f, p[i].pressure);
      double qx = PX (i), qy = PY (i);
      double ex = (PX (i) + PX (i + 1)) / 2.0, ey = (PY (i) + PY (i + 1)) / 2.0;

      if (!same_width (run_w, w)) {
        flush_run (cr, run_w, mx, my);
        run_w = w;
      }
      cairo_curve_to (cr, mx + 2.0 / 3.0 * (qx - mx), my + 2.0 / 3.0 * (qy - my),
                      ex + 2.0 / 3.0 * (qx - ex), ey + 2.0 / 3.0 * (qy - ey), ex, ey);
      mx = ex;
      my = ey;
    }
    {
      double w = pen_width (f, p[n - 1].pressure);

      if (!same_width (run_w, w)) {
        flush_run (cr, run_w, mx, my);
        run_w = w;
      }
    }
    cairo_line_to (cr, PX (n - 1), PY (n - 1));
    flush_run (cr, run_w, PX (n - 1), PY (n - 1));
    cairo_new_path (cr);
  }
#undef PX
#undef PY
}

/* Draws every stroke in colour (r, g, b, a) over surface, whose pixels are
 * the output's times oversample. */
static InkStatus
draw_all (cairo_surface_t *surface, const InkDrawing *d, const InkRenderOptions *o, int width,
          int height, int oversample, const double rgba[4], InkError *err)
{
  Frame f = frame_for (d, o, width, height);
  cairo_t *cr = cairo_create (surface);
  cairo_status_t cs;

  if (oversample > 1)
    cairo_scale (cr, oversample, oversample);
  cairo_set_source_rgba (cr, rgba[0], rgba[1], rgba[2], rgba[3]);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_tolerance (cr, 0.05);
  for (size_t i = 0; i < d->n_strokes; i++) {
    if (d->strokes[i].n > 0)
      draw_stroke (cr, &f, o->smooth, d->strokes[i].pts, d->strokes[i].n);
  }
  cs = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  if (cs != CAIRO_STATUS_SUCCESS)
    return ink_error_set (err, cs == CAIRO_STATUS_NO_MEMORY ? INK_ERR_NO_MEMORY : INK_ERR_IMAGE,
                          "cannot draw the strokes: %s", cairo_status_to_string (cs));
  return INK_OK;
}

InkStatus
ink_drawing_render_gray8 (const InkDrawing *drawing, const InkRenderOptions *options, int width,
                          int height, size_t stride, uint8_t *pixels, InkError *err)
{
  InkRenderOptions o = options != NULL ? *options : ink_render_options_default ();
  cairo_surface_t *surface;
  const uint8_t *cov;
  int k, cstride;
  unsigned kk;
  InkStatus st;

  if (drawing == NULL || pixels == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no drawing or no pixels");
  st = check_options (&o, width, height, err);
  if (st != INK_OK)
    return st;
  if (stride < (size_t) width)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "a stride of %zu bytes is below %d",
                          stride, width);
  if (drawing->n_points == 0) {
    for (int y = 0; y < height; y++)
      memset (pixels + (size_t) y * stride, o.background, (size_t) width);
    return INK_OK;
  }
  /* Cairo's sides are limited to 32767 pixels. */
  k = o.supersample;
  while (k > 1 && ((long) width * k > 32767 || (long) height * k > 32767))
    k--;
  surface = cairo_image_surface_create (CAIRO_FORMAT_A8, width * k, height * k);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy (surface);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "no memory for a %dx%d image", width * k,
                          height * k);
  }
  st = draw_all (surface, drawing, &o, width, height, k, (const double[4]){0, 0, 0, 1}, err);
  if (st != INK_OK) {
    cairo_surface_destroy (surface);
    return st;
  }
  cov = cairo_image_surface_get_data (surface);
  cstride = cairo_image_surface_get_stride (surface);
  kk = (unsigned) (k * k);
  for (int y = 0; y < height; y++) {
    uint8_t *row = pixels + (size_t) y * stride;

    for (int x = 0; x < width; x++) {
      unsigned sum = 0, c;

      for (int j = 0; j < k; j++) {
        const uint8_t *src = cov + (size_t) (y * k + j) * (size_t) cstride + (size_t) x * k;

        for (int i = 0; i < k; i++)
          sum += src[i];
      }
      c = (sum + kk / 2) / kk;
      row[x] = (uint8_t) ((o.background * (255u - c) + o.ink * c + 127u) / 255u);
    }
  }
  cairo_surface_destroy (surface);
  return INK_OK;
}

InkStatus
ink_drawing_render_image (const InkDrawing *drawing, const InkRenderOptions *options, int width,
                          int height, InkValue **out, InkError *err)
{
  uint8_t *buf;
  InkStatus st;

  if (out == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no output");
  *out = NULL;
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "an output of %dx%d pixels: each side must be 1..%d", width, height,
                          MAX_SIDE);
  buf = malloc ((size_t) width * (size_t) height);
  if (buf == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "no memory for a %dx%d image", width, height);
  st = ink_drawing_render_gray8 (drawing, options, width, height, (size_t) width, buf, err);
  if (st == INK_OK) {
    *out = ink_value_new_image (INK_PIXEL_GRAY8, width, height, (size_t) width, buf);
    if (*out == NULL)
      st = ink_error_set (err, INK_ERR_NO_MEMORY, "no memory for an image value");
  }
  free (buf);
  return st;
}

InkStatus
ink_drawing_render_argb32 (const InkDrawing *drawing, const InkRenderOptions *options,
                           uint32_t argb, int width, int height, size_t stride, uint8_t *pixels,
                           InkError *err)
{
  InkRenderOptions o = options != NULL ? *options : ink_render_options_default ();
  cairo_surface_t *surface;
  InkStatus st;

  if (drawing == NULL || pixels == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no drawing or no pixels");
  st = check_options (&o, width, height, err);
  if (st != INK_OK)
    return st;
  if (stride < (size_t) width * 4 || stride % 4 != 0 || stride > 0x7fffffff)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "an ARGB32 stride must be a multiple of 4 of at least %d bytes",
                          width * 4);
  if (drawing->n_points == 0)
    return INK_OK;
  surface =
    cairo_image_surface_create_for_data (pixels, CAIRO_FORMAT_ARGB32, width, height, (int) stride);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy (surface);
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "cannot wrap the pixels");
  }
  st = draw_all (surface, drawing, &o, width, height, 1,
                 (const double[4]){((argb >> 16) & 0xff) / 255.0, ((argb >> 8) & 0xff) / 255.0,
                                   (argb & 0xff) / 255.0, ((argb >> 24) & 0xff) / 255.0},
                 err);
  cairo_surface_destroy (surface);
  return st;
}

/* JSON */

static double
round_to (double v, double unit)
{
  double r = round (v / unit) * unit;

  return r == 0.0 ? 0.0 : r; /* no "-0" */
}

static cJSON *
number_array (const InkPoint *p, size_t n, size_t field, double unit)
{
  cJSON *a = cJSON_CreateArray ();

  for (size_t i = 0; a != NULL && i < n; i++) {
    double v = field == 0 ? p[i].x : field == 1 ? p[i].y : field == 2 ? p[i].pressure : p[i].time;
    cJSON *num = cJSON_CreateNumber (round_to (v, unit));

    if (num == NULL || !cJSON_AddItemToArray (a, num)) {
      cJSON_Delete (num);
      cJSON_Delete (a);
      return NULL;
    }
  }
  return a;
}

InkStatus
ink_drawing_to_json (const InkDrawing *drawing, char **out, InkError *err)
{
  static const char *const names[] = {"x", "y", "p", "t"};
  static const double units[] = {0.01, 0.01, 0.001, 0.001};
  cJSON *root, *strokes;
  char *text;

  if (drawing == NULL || out == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no drawing or no output");
  *out = NULL;
  root = cJSON_CreateObject ();
  if (root == NULL || cJSON_AddNumberToObject (root, "version", FORMAT_VERSION) == NULL)
    goto oom;
  strokes = cJSON_AddArrayToObject (root, "strokes");
  if (strokes == NULL)
    goto oom;
  for (size_t i = 0; i < drawing->n_strokes; i++) {
    const Stroke *s = &drawing->strokes[i];
    bool timed = true;
    cJSON *obj;

    if (s->n == 0)
      continue;
    for (size_t j = 0; j < s->n; j++)
      timed = timed && s->pts[j].time >= 0.0;
    obj = cJSON_CreateObject ();
    if (obj == NULL || !cJSON_AddItemToArray (strokes, obj)) {
      cJSON_Delete (obj);
      goto oom;
    }
    for (size_t field = 0; field < (timed ? 4u : 3u); field++) {
      cJSON *a = number_array (s->pts, s->n, field, units[field]);

      if (a == NULL || !cJSON_AddItemToObject (obj, names[field], a)) {
        cJSON_Delete (a);
        goto oom;
      }
    }
  }
  text = cJSON_PrintUnformatted (root);
  cJSON_Delete (root);
  if (text == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a drawing as JSON");
  /* cJSON's buffer comes from its own hooks (malloc by default); hand the
   * caller one that free() certainly releases. */
  *out = ink_strdup (text);
  cJSON_free (text);
  if (*out == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a drawing as JSON");
  return INK_OK;

oom:
  cJSON_Delete (root);
  return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a drawing as JSON");
}

/* The numbers of array key of stroke obj, checked: *a is NULL when absent
 * and optional. */
static InkStatus
get_numbers (const cJSON *obj, const char *key, bool optional, size_t stroke, const cJSON **a,
             size_t *n, InkError *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  const cJSON *e;

  *a = NULL;
  *n = 0;
  if (item == NULL && optional)
    return INK_OK;
  if (!cJSON_IsArray (item))
    return ink_error_set (err, INK_ERR_FORMAT, "stroke %zu: \"%s\" must be an array of numbers",
                          stroke, key);
  cJSON_ArrayForEach (e, item)
  {
    if (!cJSON_IsNumber (e) || !isfinite (e->valuedouble))
      return ink_error_set (err, INK_ERR_FORMAT, "stroke %zu: \"%s\" holds a non-number", stroke,
                            key);
    (*n)++;
  }
  *a = item;
  return INK_OK;
}

static InkStatus
parse_stroke (InkDrawing *d, const cJSON *obj, size_t index, InkError *err)
{
  const cJSON *xs, *ys, *ps, *ts;
  size_t nx, ny, np, nt;
  InkStatus st;

  if (!cJSON_IsObject (obj))
    return ink_error_set (err, INK_ERR_FORMAT, "stroke %zu is not an object", index);
  if ((st = get_numbers (obj, "x", false, index, &xs, &nx, err)) != INK_OK ||
      (st = get_numbers (obj, "y", false, index, &ys, &ny, err)) != INK_OK ||
      (st = get_numbers (obj, "p", true, index, &ps, &np, err)) != INK_OK ||
      (st = get_numbers (obj, "t", true, index, &ts, &nt, err)) != INK_OK)
    return st;
  if (nx == 0)
    return ink_error_set (err, INK_ERR_FORMAT, "stroke %zu has no points", index);
  if (ny != nx || (ps != NULL && np != nx) || (ts != NULL && nt != nx))
    return ink_error_set (err, INK_ERR_FORMAT,
                          "stroke %zu: \"x\", \"y\", \"p\" and \"t\" "
                          "must have the same length",
                          index);
  if (d->n_points + nx > INK_DRAWING_MAX_POINTS)
    return ink_error_set (err, INK_ERR_FORMAT, "a drawing holds at most %d points",
                          INK_DRAWING_MAX_POINTS);
  xs = xs->child;
  ys = ys->child;
  ps = ps != NULL ? ps->child : NULL;
  ts = ts != NULL ? ts->child : NULL;
  st = ink_drawing_begin_stroke (d, err);
  if (st != INK_OK)
    return st;
  for (size_t i = 0; i < nx; i++) {
    double p = ps != NULL ? ps->valuedouble : INK_PRESSURE_DEFAULT;
    double t = ts != NULL ? ts->valuedouble : -1.0;

    if (!(p >= 0.0 && p <= 1.0))
      return ink_error_set (err, INK_ERR_FORMAT, "stroke %zu: pressure %g is outside 0..1", index,
                            p);
    st = ink_drawing_add_point (d, xs->valuedouble, ys->valuedouble, p, t, err);
    if (st != INK_OK)
      return st;
    xs = xs->next;
    ys = ys->next;
    if (ps != NULL)
      ps = ps->next;
    if (ts != NULL)
      ts = ts->next;
  }
  ink_drawing_end_stroke (d);
  return INK_OK;
}

InkStatus
ink_drawing_from_json (const char *json, size_t size, InkDrawing **out, InkError *err)
{
  const char *end = NULL;
  const cJSON *version, *strokes, *s;
  cJSON *root;
  InkDrawing *d;
  InkStatus st = INK_OK;
  size_t index = 0;

  if (out == NULL || (json == NULL && size > 0))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no JSON or no output");
  *out = NULL;
  if (size == 0)
    return ink_error_set (err, INK_ERR_FORMAT, "a drawing's JSON is empty");
  root = cJSON_ParseWithLengthOpts (json, size, &end, false);
  if (root == NULL)
    return ink_error_set (err, INK_ERR_FORMAT, "a drawing is not valid JSON");
  for (; end != NULL && end < json + size; end++) {
    if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r' && *end != '\0') {
      cJSON_Delete (root);
      return ink_error_set (err, INK_ERR_FORMAT, "a drawing's JSON has trailing data");
    }
  }
  version = cJSON_IsObject (root) ? cJSON_GetObjectItemCaseSensitive (root, "version") : NULL;
  strokes = cJSON_IsObject (root) ? cJSON_GetObjectItemCaseSensitive (root, "strokes") : NULL;
  if (!cJSON_IsNumber (version) || !cJSON_IsArray (strokes) ||
      version->valuedouble != floor (version->valuedouble) || version->valuedouble < 1.0) {
    cJSON_Delete (root);
    return ink_error_set (err, INK_ERR_FORMAT,
                          "not a drawing: expected {\"version\": 1, \"strokes\": [...]}");
  }
  if (version->valuedouble > FORMAT_VERSION) {
    st = ink_error_set (err, INK_ERR_VERSION, "a drawing of format version %g (this reads %d)",
                        version->valuedouble, FORMAT_VERSION);
    cJSON_Delete (root);
    return st;
  }
  d = ink_drawing_new ();
  if (d == NULL) {
    cJSON_Delete (root);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading a drawing");
  }
  cJSON_ArrayForEach (s, strokes)
  {
    st = parse_stroke (d, s, index++, err);
    if (st != INK_OK)
      break;
  }
  cJSON_Delete (root);
  if (st != INK_OK) {
    ink_drawing_free (d);
    return st;
  }
  *out = d;
  return INK_OK;
}

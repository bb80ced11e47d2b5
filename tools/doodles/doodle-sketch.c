/* doodle-sketch.c: the PRNG, sketch building, and the hand-drawing effects
 * that turn a sketch into canvas strokes
 *
 * SPDX-License-Identifier: MIT
 */
#include "doodle-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* PRNG */

static uint64_t
splitmix64 (uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void
doodle_rng_seed (DoodleRng *r, uint64_t seed, const char *stream)
{
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a of the stream name */
  uint64_t x;

  for (const char *c = stream != NULL ? stream : ""; *c != '\0'; c++)
    h = (h ^ (uint8_t) *c) * 0x100000001b3ull;
  x = seed ^ h;
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64 (&x);
}

static uint64_t
rotl (uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

uint64_t
doodle_rng_next (DoodleRng *r)
{
  uint64_t *s = r->s;
  uint64_t result = rotl (s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
doodle_rng_uniform (DoodleRng *r, double lo, double hi)
{
  return lo + (hi - lo) * ((double) (doodle_rng_next (r) >> 11) * 0x1.0p-53);
}

int
doodle_rng_int (DoodleRng *r, int lo, int hi)
{
  uint64_t span = (uint64_t) ((int64_t) hi - lo + 1);

  return hi <= lo ? lo : (int) (lo + (int64_t) (doodle_rng_next (r) % span));
}

bool
doodle_rng_chance (DoodleRng *r, double p)
{
  return doodle_rng_uniform (r, 0.0, 1.0) < p;
}

double
doodle_rng_normal (DoodleRng *r)
{
  double u = doodle_rng_uniform (r, 1e-12, 1.0);
  double v = doodle_rng_uniform (r, 0.0, 1.0);

  return sqrt (-2.0 * log (u)) * cos (2.0 * M_PI * v);
}

/* Paths */

static bool
path_push (DoodlePath *p, double x, double y)
{
  if (p->n == p->cap) {
    size_t cap = p->cap == 0 ? 32 : p->cap * 2;
    DoodlePt *pts = realloc (p->pts, cap * sizeof *pts);

    if (pts == NULL)
      return false;
    p->pts = pts;
    p->cap = cap;
  }
  p->pts[p->n++] = (DoodlePt){x, y};
  return true;
}

static double
path_length (const DoodlePath *p)
{
  double len = 0;

  for (size_t i = 1; i < p->n; i++)
    len += hypot (p->pts[i].x - p->pts[i - 1].x, p->pts[i].y - p->pts[i - 1].y);
  return len;
}

/* Resamples p at about spacing apart along its length (keeping both ends),
 * each step scaled by 1 + jitter * U(-1, 1). */
static bool
path_resample (DoodlePath *p, double spacing, double jitter, DoodleRng *rng)
{
  DoodlePath out = {0};
  double len = path_length (p), next, walked = 0;
  size_t seg = 1;

  if (p->n < 2 || len <= 0.0)
    return true;
  if (!path_push (&out, p->pts[0].x, p->pts[0].y))
    return false;
  next = spacing * (1.0 + jitter * doodle_rng_uniform (rng, -1, 1));
  while (next < len - 0.5 * spacing) {
    double sl;

    while (seg < p->n) {
      sl = hypot (p->pts[seg].x - p->pts[seg - 1].x, p->pts[seg].y - p->pts[seg - 1].y);
      if (walked + sl >= next)
        break;
      walked += sl;
      seg++;
    }
    if (seg >= p->n)
      break;
    {
      double t = sl > 0 ? (next - walked) / sl : 0;
      const DoodlePt *a = &p->pts[seg - 1], *b = &p->pts[seg];

      if (!path_push (&out, a->x + t * (b->x - a->x), a->y + t * (b->y - a->y))) {
        free (out.pts);
        return false;
      }
    }
    next += spacing * (1.0 + jitter * doodle_rng_uniform (rng, -1, 1));
  }
  if (!path_push (&out, p->pts[p->n - 1].x, p->pts[p->n - 1].y)) {
    free (out.pts);
    return false;
  }
  free (p->pts);
  p->pts = out.pts;
  p->n = out.n;
  p->cap = out.cap;
  return true;
}

void
doodle_sketch_clear (DoodleSketch *sk)
{
  for (size_t i = 0; i < sk->n; i++)
    free (sk->paths[i].pts);
  free (sk->paths);
  sk->paths = NULL;
  sk->n = sk->cap = 0;
}

static DoodlePath *
current (DoodleSketch *sk)
{
  if (sk->n == 0)
    sk_begin (sk);
  return sk->n > 0 ? &sk->paths[sk->n - 1] : NULL;
}

void
sk_begin (DoodleSketch *sk)
{
  if (sk->n == sk->cap) {
    size_t cap = sk->cap == 0 ? 16 : sk->cap * 2;
    DoodlePath *paths = realloc (sk->paths, cap * sizeof *paths);

    if (paths == NULL) {
      sk->failed = true;
      return;
    }
    sk->paths = paths;
    sk->cap = cap;
  }
  sk->paths[sk->n++] = (DoodlePath){0};
}

void
sk_to (DoodleSketch *sk, double x, double y)
{
  DoodlePath *p = current (sk);

  if (p == NULL || !path_push (p, x, y))
    sk->failed = true;
}

void
sk_close (DoodleSketch *sk)
{
  DoodlePath *p = current (sk);

  if (p == NULL || p->n < 2)
    return;
  sk_to (sk, p->pts[0].x, p->pts[0].y);
  p->closed = true;
}

void
sk_mark_closed (DoodleSketch *sk)
{
  if (!sk->failed && sk->n > 0 && sk->paths[sk->n - 1].n > 1)
    sk->paths[sk->n - 1].closed = true;
}

void
sk_arc (DoodleSketch *sk, double cx, double cy, double rx, double ry, double a0, double a1)
{
  int steps = (int) ceil (fabs (a1 - a0) / (M_PI / 48)) + 1;

  for (int i = 0; i <= steps; i++) {
    double a = a0 + (a1 - a0) * i / steps;

    sk_to (sk, cx + rx * cos (a), cy + ry * sin (a));
  }
}

static DoodlePt
last_point (DoodleSketch *sk)
{
  DoodlePath *p = current (sk);

  if (p == NULL || p->n == 0)
    return (DoodlePt){0, 0};
  return p->pts[p->n - 1];
}

void
sk_curve (DoodleSketch *sk, double x1, double y1, double x2, double y2, double x3, double y3)
{
  DoodlePt p0 = last_point (sk);

  for (int i = 1; i <= 32; i++) {
    double t = i / 32.0, u = 1 - t;

    sk_to (sk, u * u * u * p0.x + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x3,
           u * u * u * p0.y + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y3);
  }
}

void
sk_quad (DoodleSketch *sk, double cx, double cy, double x, double y)
{
  DoodlePt p0 = last_point (sk);

  sk_curve (sk, p0.x + 2.0 / 3.0 * (cx - p0.x), p0.y + 2.0 / 3.0 * (cy - p0.y),
            x + 2.0 / 3.0 * (cx - x), y + 2.0 / 3.0 * (cy - y), x, y);
}

void
sk_line (DoodleSketch *sk, double x0, double y0, double x1, double y1)
{
  sk_begin (sk);
  sk_to (sk, x0, y0);
  sk_to (sk, x1, y1);
}

void
sk_polyline (DoodleSketch *sk, size_t n, const double *xy)
{
  sk_begin (sk);
  for (size_t i = 0; i < n; i++)
    sk_to (sk, xy[2 * i], xy[2 * i + 1]);
}

void
sk_polygon (DoodleSketch *sk, size_t n, const double *xy)
{
  sk_polyline (sk, n, xy);
  sk_close (sk);
}

void
sk_ellipse (DoodleSketch *sk, double cx, double cy, double rx, double ry)
{
  double a0 = doodle_rng_uniform (sk->rng, 0, 2 * M_PI);
  double dir = doodle_rng_chance (sk->rng, 0.5) ? 1.0 : -1.0;

  sk_begin (sk);
  sk_arc (sk, cx, cy, rx, ry, a0, a0 + dir * 2 * M_PI);
  sk_mark_closed (sk);
}

void
sk_dot (DoodleSketch *sk, double x, double y, double r)
{
  if (doodle_rng_chance (sk->rng, 0.6)) {
    sk_begin (sk);
    sk_to (sk, x, y);
    if (!sk->failed)
      sk->paths[sk->n - 1].dot = true;
  } else {
    sk_ellipse (sk, x, y, r, r * doodle_rng_uniform (sk->rng, 0.8, 1.0));
  }
}

void
sk_transform (DoodleSketch *sk, size_t first, double angle, double sx, double sy, double tx,
              double ty)
{
  double c = cos (angle), s = sin (angle);

  for (size_t i = first; i < sk->n; i++) {
    DoodlePath *p = &sk->paths[i];

    for (size_t j = 0; j < p->n; j++) {
      double x = p->pts[j].x, y = p->pts[j].y;

      p->pts[j].x = (c * x - s * y) * sx + tx;
      p->pts[j].y = (s * x + c * y) * sy + ty;
    }
  }
}

/* Hand effects */

/* Starts a closed path at another of its points. */
static bool
rotate_start (DoodlePath *p, size_t k)
{
  size_t m = p->n - 1; /* without the repeated first point */
  DoodlePt *tmp;

  if (m < 3 || k % m == 0)
    return true;
  k %= m;
  tmp = malloc (m * sizeof *tmp);
  if (tmp == NULL)
    return false;
  for (size_t i = 0; i < m; i++)
    tmp[i] = p->pts[(i + k) % m];
  memcpy (p->pts, tmp, m * sizeof *tmp);
  p->pts[m] = tmp[0];
  free (tmp);
  return true;
}

/* A closed path goes on past its start for frac of its length. */
static bool
overshoot_closed (DoodlePath *p, double frac)
{
  double len = path_length (p), want = frac * len, walked = 0;
  size_t n = p->n;

  for (size_t i = 1; i < n && walked < want; i++) {
    double sl = hypot (p->pts[i].x - p->pts[i - 1].x, p->pts[i].y - p->pts[i - 1].y);
    double t = walked + sl > want && sl > 0 ? (want - walked) / sl : 1.0;
    DoodlePt a = p->pts[i - 1], b = p->pts[i];

    if (!path_push (p, a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)))
      return false;
    walked += sl;
  }
  return true;
}

/* Drops the last frac of a path's length. */
static void
trim_end (DoodlePath *p, double frac)
{
  double len = path_length (p), keep = (1.0 - frac) * len, walked = 0;

  for (size_t i = 1; i < p->n; i++) {
    double sl = hypot (p->pts[i].x - p->pts[i - 1].x, p->pts[i].y - p->pts[i - 1].y);

    if (walked + sl >= keep) {
      double t = sl > 0 ? (keep - walked) / sl : 0;

      p->pts[i].x = p->pts[i - 1].x + t * (p->pts[i].x - p->pts[i - 1].x);
      p->pts[i].y = p->pts[i - 1].y + t * (p->pts[i].y - p->pts[i - 1].y);
      p->n = i + 1;
      return;
    }
    walked += sl;
  }
}

/* Extends an open path's end straight on by len. */
static bool
extend_end (DoodlePath *p, double len)
{
  DoodlePt a, b;
  double d;
  size_t i = p->n - 1;

  while (i > 0 && hypot (p->pts[i].x - p->pts[p->n - 1].x, p->pts[i].y - p->pts[p->n - 1].y) < 0.05)
    i--;
  a = p->pts[i];
  b = p->pts[p->n - 1];
  d = hypot (b.x - a.x, b.y - a.y);
  if (d <= 1e-9)
    return true;
  return path_push (p, b.x + (b.x - a.x) / d * len, b.y + (b.y - a.y) / d * len);
}

static void
reverse (DoodlePath *p)
{
  for (size_t i = 0, j = p->n - 1; p->n > 1 && i < j; i++, j--) {
    DoodlePt t = p->pts[i];

    p->pts[i] = p->pts[j];
    p->pts[j] = t;
  }
}

/* Low-frequency wobble: each point moves along the stroke's normal by a sum
 * of two slow sinusoids of the distance walked. */
static void
wobble (DoodlePath *p, double amplitude, DoodleRng *rng)
{
  double f1 = doodle_rng_uniform (rng, 2.0, 5.0), f2 = doodle_rng_uniform (rng, 6.0, 12.0);
  double ph1 = doodle_rng_uniform (rng, 0, 2 * M_PI), ph2 = doodle_rng_uniform (rng, 0, 2 * M_PI);
  double a2 = doodle_rng_uniform (rng, 0.1, 0.35);
  double s = 0;
  DoodlePt *orig;

  if (p->n < 3)
    return;
  orig = malloc (p->n * sizeof *orig);
  if (orig == NULL)
    return; /* wobble is optional */
  memcpy (orig, p->pts, p->n * sizeof *orig);
  for (size_t i = 0; i < p->n; i++) {
    size_t a = i > 0 ? i - 1 : 0, b = i + 1 < p->n ? i + 1 : i;
    double tx = orig[b].x - orig[a].x, ty = orig[b].y - orig[a].y;
    double tl = hypot (tx, ty), d;

    if (i > 0)
      s += hypot (orig[i].x - orig[i - 1].x, orig[i].y - orig[i - 1].y);
    if (tl <= 1e-12)
      continue;
    d = amplitude * (sin (f1 * s + ph1) + a2 * sin (f2 * s + ph2));
    p->pts[i].x += -ty / tl * d;
    p->pts[i].y += tx / tl * d;
  }
  /* A closed stroke stays closed where it was. */
  free (orig);
}

InkStatus
doodle_finish (DoodleSketch *sk, const DoodleStyle *style, InkDrawing *out, InkError *err)
{
  DoodleRng *rng = sk->rng;
  double var = sk->var;
  double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
  size_t *order = NULL;
  InkPoint *pts = NULL;
  size_t pts_cap = 0;
  InkStatus st = INK_OK;
  double angle, aspect, shear, scale, cx, cy, spacing, speed, base_p, t = 0;
  /* Elastic warp: a smooth displacement field over the unit frame. */
  double wk[2][2], wp[2][2], wa = var * style->warp * doodle_rng_uniform (rng, 0.02, 0.06);

  ink_drawing_clear (out);
  if (sk->failed)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory drawing a doodle");
  for (int a = 0; a < 2; a++) {
    for (int b = 0; b < 2; b++) {
      wk[a][b] = doodle_rng_uniform (rng, 1.0, 3.0);
      wp[a][b] = doodle_rng_uniform (rng, 0, 2 * M_PI);
    }
  }

  /* Per stroke, in the unit frame: where a closed stroke starts, overshoot
   * or gap, direction, wobble, jitter. */
  for (size_t i = 0; i < sk->n; i++) {
    DoodlePath *p = &sk->paths[i];

    if (p->n == 0 || p->dot)
      continue;
    if (p->closed && p->n > 3) {
      if (doodle_rng_chance (rng, 0.7) && !rotate_start (p, doodle_rng_next (rng) % (p->n - 1)))
        goto oom;
      if (doodle_rng_chance (rng, 0.3 * var * style->overshoot)) {
        if (!overshoot_closed (p, doodle_rng_uniform (rng, 0.02, 0.12)))
          goto oom;
      } else if (doodle_rng_chance (rng, 0.15 * var * style->overshoot)) {
        trim_end (p, doodle_rng_uniform (rng, 0.01, 0.05));
      }
    } else if (p->n >= 2) {
      if (doodle_rng_chance (rng, 0.15 * var * style->overshoot) &&
          !extend_end (p, doodle_rng_uniform (rng, 0.03, 0.12)))
        goto oom;
      reverse (p);
      if (doodle_rng_chance (rng, 0.15 * var * style->overshoot) &&
          !extend_end (p, doodle_rng_uniform (rng, 0.03, 0.12)))
        goto oom;
      reverse (p);
    }
    if (doodle_rng_chance (rng, 0.35))
      reverse (p);
    if (!path_resample (p, 0.015, 0.0, rng))
      goto oom;
    wobble (p, var * style->wobble * doodle_rng_uniform (rng, 0.004, 0.02), rng);
  }

  /* The whole drawing: warp, small rotation, aspect and shear, jitter. */
  angle = var * doodle_rng_uniform (rng, -20.0, 20.0) * M_PI / 180.0;
  aspect = exp (var * doodle_rng_uniform (rng, -0.2, 0.2));
  shear = var * doodle_rng_uniform (rng, -0.12, 0.12);
  for (size_t i = 0; i < sk->n; i++) {
    DoodlePath *p = &sk->paths[i];

    for (size_t j = 0; j < p->n; j++) {
      double x = p->pts[j].x, y = p->pts[j].y, c = cos (angle), s = sin (angle);

      x += wa * sin (wk[0][0] * x + wk[0][1] * y + wp[0][0]) * cos (wk[0][1] * y + wp[0][1]);
      y += wa * sin (wk[1][0] * y + wk[1][1] * x + wp[1][0]) * cos (wk[1][1] * x + wp[1][1]);
      x += shear * y;
      x *= aspect;
      y /= aspect;
      p->pts[j].x = c * x - s * y + var * 0.003 * doodle_rng_normal (rng);
      p->pts[j].y = s * x + c * y + var * 0.003 * doodle_rng_normal (rng);
      x0 = fmin (x0, p->pts[j].x);
      y0 = fmin (y0, p->pts[j].y);
      x1 = fmax (x1, p->pts[j].x);
      y1 = fmax (y1, p->pts[j].y);
    }
  }
  if (!(x1 >= x0))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "a doodle without points");

  /* Onto the canvas: somewhere in 1000x800, 80 to 500 units big. */
  scale = doodle_rng_uniform (rng, 80.0, 500.0) / fmax (fmax (x1 - x0, y1 - y0), 1e-6);
  cx = doodle_rng_uniform (rng, 350.0, 650.0) - scale * (x0 + x1) / 2;
  cy = doodle_rng_uniform (rng, 250.0, 550.0) - scale * (y0 + y1) / 2;
  spacing = doodle_rng_uniform (rng, 2.5, 7.0);
  speed = doodle_rng_uniform (rng, 400.0, 1200.0);
  base_p = fmin (fmax (0.5 + var * doodle_rng_uniform (rng, -0.3, 0.35), 0.1), 0.95);

  /* Stroke order: as designed, or shuffled now and then. */
  order = malloc ((sk->n + 1) * sizeof *order);
  if (order == NULL)
    goto oom;
  for (size_t i = 0; i < sk->n; i++)
    order[i] = i;
  if (doodle_rng_chance (rng, 0.3 * fmin (var, 1.0))) {
    for (size_t i = sk->n; i > 1; i--) {
      size_t j = doodle_rng_next (rng) % i, tmp = order[i - 1];

      order[i - 1] = order[j];
      order[j] = tmp;
    }
  }

  for (size_t k = 0; k < sk->n; k++) {
    DoodlePath *p = &sk->paths[order[k]];
    double sp = base_p * doodle_rng_uniform (rng, 0.85, 1.15), len, taper, walked = 0;
    double pf = doodle_rng_uniform (rng, 3.0, 9.0), pph = doodle_rng_uniform (rng, 0, 6.3);

    if (p->n == 0)
      continue;
    for (size_t j = 0; j < p->n; j++) {
      p->pts[j].x = p->pts[j].x * scale + cx;
      p->pts[j].y = p->pts[j].y * scale + cy;
    }
    if (!p->dot && !path_resample (p, spacing, 0.25, rng))
      goto oom;
    if (p->n > pts_cap) {
      InkPoint *np = realloc (pts, p->n * sizeof *np);

      if (np == NULL)
        goto oom;
      pts = np;
      pts_cap = p->n;
    }
    len = path_length (p);
    taper = fmin (0.15 * len, 25.0);
    for (size_t j = 0; j < p->n; j++) {
      double edge, f;

      if (j > 0)
        walked += hypot (p->pts[j].x - p->pts[j - 1].x, p->pts[j].y - p->pts[j - 1].y);
      /* Lighter where the pen lands and lifts, and a slow drift. */
      edge = taper > 0 ? fmin (fmin (walked, len - walked) / taper, 1.0) : 1.0;
      f = 0.6 + 0.4 * edge * edge * (3 - 2 * edge);
      pts[j].x = p->pts[j].x;
      pts[j].y = p->pts[j].y;
      pts[j].pressure =
        fmin (fmax (sp * f * (1.0 + 0.1 * var * sin (pf * walked / 100.0 + pph)), 0.05), 1.0);
      pts[j].time = t + walked / speed;
    }
    t += len / speed + doodle_rng_uniform (rng, 0.08, 0.35);
    st = ink_drawing_add_stroke (out, pts, p->n, err);
    if (st != INK_OK)
      break;
  }
  free (order);
  free (pts);
  if (st != INK_OK)
    ink_drawing_clear (out);
  return st;

oom:
  free (order);
  free (pts);
  ink_drawing_clear (out);
  return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory drawing a doodle");
}

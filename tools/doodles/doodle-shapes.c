/* doodle-shapes.c: the procedural doodle classes
 *
 * Each draws its ideal strokes in the unit frame (about [-1, 1], y down) in
 * the order and manner people tend to draw them, with structural variation
 * (how many petals, which way the arrow points, one stroke or several);
 * doodle_finish adds the hand: wobble, warping, jitter, rotation, pressure.
 *
 * SPDX-License-Identifier: MIT
 */
#include "doodle-private.h"

#include <math.h>

#define U(a, b) doodle_rng_uniform (sk->rng, (a), (b))
#define I(a, b) doodle_rng_int (sk->rng, (a), (b))
#define P(p) doodle_rng_chance (sk->rng, (p))
#define XY(...)                                                                                    \
  (sizeof ((const double[]){__VA_ARGS__}) / (2 * sizeof (double))), (const double[])               \
  {                                                                                                \
    __VA_ARGS__                                                                                    \
  }
#define PL(...) sk_polyline (sk, XY (__VA_ARGS__))
#define PG(...) sk_polygon (sk, XY (__VA_ARGS__))

/* Helpers */

/* A closed polygon the way people draw one: in one stroke, edge by edge, or
 * in two strokes that meet. */
static void
outline (DoodleSketch *sk, size_t n, const double *xy)
{
  double r = U (0, 1);

  if (r < 0.65) {
    sk_polygon (sk, n, xy);
  } else if (r < 0.85) {
    for (size_t i = 0; i < n; i++) {
      size_t j = (i + 1) % n;

      sk_line (sk, xy[2 * i], xy[2 * i + 1], xy[2 * j], xy[2 * j + 1]);
    }
  } else {
    size_t k = (size_t) I (1, (int) n - 1);

    sk_begin (sk);
    for (size_t i = 0; i <= k; i++)
      sk_to (sk, xy[2 * i], xy[2 * i + 1]);
    sk_begin (sk);
    for (size_t i = k; i <= n; i++)
      sk_to (sk, xy[2 * (i % n)], xy[2 * (i % n) + 1]);
  }
}

#define OUTLINE(...) outline (sk, XY (__VA_ARGS__))

static void
regular (DoodleSketch *sk, int n, double r, double start)
{
  double xy[2 * 12];

  for (int i = 0; i < n && i < 12; i++) {
    xy[2 * i] = r * cos (start + 2 * M_PI * i / n);
    xy[2 * i + 1] = r * sin (start + 2 * M_PI * i / n);
  }
  outline (sk, (size_t) n, xy);
}

/* An elliptic bulge from (ax, ay) to (bx, by) on the side of the normal
 * (nx, ny), of height h, appended to the current stroke. */
static void
bulge (DoodleSketch *sk, double ax, double ay, double bx, double by, double nx, double ny, double h)
{
  double mx = (ax + bx) / 2, my = (ay + by) / 2;

  for (int i = 1; i <= 16; i++) {
    double a = M_PI * i / 16;

    sk_to (sk, mx + (ax - mx) * cos (a) + nx * h * sin (a),
           my + (ay - my) * cos (a) + ny * h * sin (a));
  }
}

/* A closed bumpy loop around an ellipse (clouds, tree crowns). */
static void
bumpy (DoodleSketch *sk, double cx, double cy, double rx, double ry, int bumps, bool flat_bottom)
{
  double a0 = flat_bottom ? M_PI * 0.85 : U (0, 2 * M_PI);
  double span = flat_bottom ? M_PI * 1.3 : 2 * M_PI;
  double prev_x, prev_y;

  sk_begin (sk);
  prev_x = cx + rx * cos (a0);
  prev_y = cy + ry * sin (a0);
  sk_to (sk, prev_x, prev_y);
  for (int i = 1; i <= bumps; i++) {
    double a = a0 + span * (i + (i < bumps ? U (-0.2, 0.2) : 0)) / bumps;
    double x = cx + rx * cos (a), y = cy + ry * sin (a);
    double mx = (prev_x + x) / 2 - cx, my = (prev_y + y) / 2 - cy, ml = hypot (mx, my);
    double h = hypot (x - prev_x, y - prev_y) / 2 * U (0.7, 1.15);

    if (ml < 1e-9)
      ml = 1;
    bulge (sk, prev_x, prev_y, x, y, mx / ml, my / ml, h);
    prev_x = x;
    prev_y = y;
  }
  if (flat_bottom)
    sk_quad (sk, cx, cy + ry * U (0.4, 0.9), cx + rx * cos (a0), cy + ry * sin (a0));
  sk_mark_closed (sk);
}

/* A wavy line from (x0, y0) to (x1, y1). */
static void
wavy (DoodleSketch *sk, double x0, double y0, double x1, double y1, double waves, double amp)
{
  double dx = x1 - x0, dy = y1 - y0, l = hypot (dx, dy), ph = U (0, 2 * M_PI);

  sk_begin (sk);
  for (int i = 0; i <= 40; i++) {
    double t = i / 40.0, w = amp * sin (ph + 2 * M_PI * waves * t) * sin (M_PI * t);

    sk_to (sk, x0 + t * dx - dy / l * w, y0 + t * dy + dx / l * w);
  }
}

/* Classes */

static void
circle (DoodleSketch *sk)
{
  sk_ellipse (sk, 0, 0, 1, U (0.85, 1.0));
}

static void
square (DoodleSketch *sk)
{
  double h = U (0.88, 1.0);

  OUTLINE (-1, -h, 1, -h, 1, h, -1, h);
}

static void
triangle (DoodleSketch *sk)
{
  OUTLINE (U (-0.2, 0.2), -0.95, 1, 0.8, -1, 0.8);
}

static void
star (DoodleSketch *sk)
{
  double inner = U (0.36, 0.5), a0 = -M_PI / 2;

  if (P (0.55)) {
    double xy[20];

    for (int i = 0; i < 10; i++) {
      double r = i % 2 ? inner : 1, a = a0 + M_PI * i / 5;

      xy[2 * i] = r * cos (a);
      xy[2 * i + 1] = r * sin (a);
    }
    sk_polygon (sk, 10, xy);
  } else {
    /* A pentagram in one stroke. */
    sk_begin (sk);
    for (int i = 0; i <= 5; i++) {
      double a = a0 + 4 * M_PI * i / 5;

      sk_to (sk, cos (a), sin (a));
    }
    sk_mark_closed (sk);
  }
}

static void
heart (DoodleSketch *sk)
{
  double dip = U (-0.55, -0.35), w = U (0.95, 1.1), tip = U (0.9, 1.05);

  if (P (0.6)) {
    sk_begin (sk);
    sk_to (sk, 0, dip);
    sk_curve (sk, -0.1, -1.05, -w, -1.05, -w, -0.3);
    sk_curve (sk, -w, 0.25, -0.3, 0.6, 0, tip);
    sk_curve (sk, 0.3, 0.6, w, 0.25, w, -0.3);
    sk_curve (sk, w, -1.05, 0.1, -1.05, 0, dip);
    sk_mark_closed (sk);
  } else {
    for (int side = -1; side <= 1; side += 2) {
      sk_begin (sk);
      sk_to (sk, 0, dip);
      sk_curve (sk, side * 0.1, -1.05, side * w, -1.05, side * w, -0.3);
      sk_curve (sk, side * w, 0.25, side * 0.3, 0.6, 0, tip);
    }
  }
}

static void
arrow (DoodleSketch *sk)
{
  size_t first = sk->n;
  double h = U (0.35, 0.6), hw = h * U (0.6, 1.0), r = U (0, 1);
  double dirs[] = {0, 0, M_PI, -M_PI / 2, M_PI / 2, -M_PI / 4, M_PI / 4};

  if (r < 0.45) {
    sk_line (sk, -1, 0, 1, 0);
    PL (1 - h, -hw, 1, 0, 1 - h, hw);
  } else if (r < 0.75) {
    PL (-1, 0, 1, 0, 1 - h, -hw);
    sk_line (sk, 1, 0, 1 - h, hw);
  } else if (r < 0.9) {
    sk_line (sk, -1, 0, 1, 0);
    sk_line (sk, 1, 0, 1 - h, -hw);
    sk_line (sk, 1, 0, 1 - h, hw);
  } else {
    sk_line (sk, -1, 0, 1 - h, 0);
    PG (1 - h, -hw, 1, 0, 1 - h, hw);
  }
  sk_transform (sk, first, dirs[I (0, 6)], 1, 1, 0, 0);
}

static void
spiral (DoodleSketch *sk)
{
  double turns = U (2.0, 3.5), r0 = U (0.0, 0.1), a0 = U (0, 2 * M_PI);
  double dir = P (0.5) ? 1 : -1;
  int steps = (int) (turns * 48);

  sk_begin (sk);
  for (int i = 0; i <= steps; i++) {
    double t = (double) i / steps, a = a0 + dir * 2 * M_PI * turns * t, r = r0 + (1 - r0) * t;

    sk_to (sk, r * cos (a), r * sin (a));
  }
}

static void
zigzag (DoodleSketch *sk)
{
  int peaks = I (3, 6);
  double amp = U (0.3, 0.6);

  sk_begin (sk);
  for (int i = 0; i <= 2 * peaks; i++)
    sk_to (sk, -1 + 2.0 * i / (2 * peaks) + U (-0.03, 0.03), (i % 2 ? -amp : amp) + U (-0.1, 0.1));
}

static void
house (DoodleSketch *sk)
{
  double w = U (0.65, 0.8), eave = U (0.0, 0.15), top = U (-1.0, -0.75);

  if (P (0.6))
    OUTLINE (-w, 0, w, 0, w, 1, -w, 1);
  else
    PL (-w, 0, -w, 1, w, 1, w, 0);
  PL (-w - eave, 0.05, U (-0.05, 0.05), top, w + eave, 0.05);
  if (P (0.7)) {
    double dx = U (-0.4, 0.4), dw = U (0.12, 0.2), dh = U (0.35, 0.55);

    PL (dx - dw, 1, dx - dw, 1 - dh, dx + dw, 1 - dh, dx + dw, 1);
  }
  if (P (0.45)) {
    double wx = P (0.5) ? -0.45 : 0.45, s = U (0.1, 0.16);

    OUTLINE (wx - s, 0.3 - s, wx + s, 0.3 - s, wx + s, 0.3 + s, wx - s, 0.3 + s);
  }
  if (P (0.25))
    PL (0.35, -0.4, 0.35, -0.75, 0.55, -0.75, 0.55, -0.25);
}

static void
sun (DoodleSketch *sk)
{
  double r = U (0.4, 0.55);
  int rays = I (6, 12);
  double a0 = U (0, 2 * M_PI);

  sk_ellipse (sk, 0, 0, r, r * U (0.9, 1.0));
  for (int i = 0; i < rays; i++) {
    double a = a0 + 2 * M_PI * i / rays + U (-0.08, 0.08);
    double r0 = r + U (0.08, 0.16), r1 = r + U (0.3, 0.45);

    sk_line (sk, r0 * cos (a), r0 * sin (a), r1 * cos (a), r1 * sin (a));
  }
}

static void
moon (DoodleSketch *sk)
{
  size_t first = sk->n;
  double d = U (0.4, 0.65), rb = U (0.85, 1.0);
  double xi = (1 + d * d - rb * rb) / (2 * d), yi = sqrt (fmax (1 - xi * xi, 0.01));
  double at = atan2 (-yi, xi), ab = atan2 (yi, xi);
  double bt = atan2 (-yi, xi - d), bb = atan2 (yi, xi - d);

  sk_begin (sk);
  sk_arc (sk, 0, 0, 1, 1, at, ab - 2 * M_PI);
  sk_arc (sk, d, 0, rb, rb, bb, bt + 2 * M_PI);
  sk_mark_closed (sk);
  sk_transform (sk, first, U (-0.5, 0.5), P (0.35) ? -1 : 1, 1, 0, 0);
}

static void
cloud (DoodleSketch *sk)
{
  bumpy (sk, 0, 0, 1, U (0.5, 0.65), I (5, 8), P (0.4));
}

static void
smiley (DoodleSketch *sk)
{
  double ex = U (0.25, 0.4), ey = U (-0.45, -0.25), mr = U (0.45, 0.65);

  sk_ellipse (sk, 0, 0, 1, U (0.9, 1.0));
  if (P (0.7)) {
    sk_dot (sk, -ex, ey, 0.06);
    sk_dot (sk, ex, ey, 0.06);
  } else {
    sk_line (sk, -ex, ey - 0.1, -ex, ey + 0.1);
    sk_line (sk, ex, ey - 0.1, ex, ey + 0.1);
  }
  sk_begin (sk);
  sk_arc (sk, 0, U (-0.05, 0.1), mr, mr * U (0.6, 1.0), U (0.15, 0.45), M_PI - U (0.15, 0.45));
}

static void
lightning (DoodleSketch *sk)
{
  size_t first = sk->n;

  if (P (0.6)) {
    double k = U (-0.1, 0.1);

    PG (0.15, -1, -0.5, 0.15 + k, 0.0, 0.15 + k, -0.35, 1.0, 0.55, -0.25 + k, 0.05, -0.25 + k, 0.5,
        -1);
  } else {
    PL (0.35, -1, -0.35, 0.05, 0.35, -0.05, -0.3, 1);
    if (P (0.5))
      PL (-0.5, 0.7, -0.3, 1, 0.0, 0.8);
  }
  sk_transform (sk, first, 0, P (0.3) ? -1 : 1, 1, 0, 0);
}

static void
flower (DoodleSketch *sk)
{
  int petals = I (5, 8);
  double cy = -0.35, r = U (0.15, 0.25), R = U (0.55, 0.7), a0 = U (0, 2 * M_PI);
  bool one = P (0.6);

  sk_ellipse (sk, 0, cy, r, r);
  for (int i = 0; i < petals; i++) {
    double a = a0 + 2 * M_PI * i / petals, w = M_PI / petals * U (0.7, 0.95);
    double wide = w * U (1.2, 1.6);

    if (!one || i == 0) {
      sk_begin (sk);
      sk_to (sk, r * cos (a - w), cy + r * sin (a - w));
    }
    sk_curve (sk, R * 1.1 * cos (a - wide), cy + R * 1.1 * sin (a - wide), R * 1.1 * cos (a + wide),
              cy + R * 1.1 * sin (a + wide), r * cos (a + w), cy + r * sin (a + w));
  }
  if (P (0.7)) {
    double bend = U (-0.3, 0.3);

    sk_begin (sk);
    sk_to (sk, 0, cy + R);
    sk_quad (sk, bend, 0.6, U (-0.1, 0.1), 1.1);
    if (P (0.5)) {
      double s = P (0.5) ? 1 : -1;

      sk_begin (sk);
      sk_to (sk, bend * 0.5, 0.75);
      sk_quad (sk, s * 0.3, 0.4, s * 0.45, 0.45);
      sk_quad (sk, s * 0.3, 0.75, bend * 0.5, 0.75);
    }
  }
}

static void
fish (DoodleSketch *sk)
{
  size_t first = sk->n;
  double bh = U (0.45, 0.65), tj = U (0.45, 0.6), th = U (0.35, 0.55);

  if (P (0.6)) {
    sk_begin (sk);
    sk_to (sk, -1, 0);
    sk_curve (sk, -0.6, -bh * 1.3, 0.2, -bh * 1.3, tj, 0);
    sk_to (sk, 1, -th);
    sk_to (sk, 1, th);
    sk_to (sk, tj, 0);
    sk_curve (sk, 0.2, bh * 1.3, -0.6, bh * 1.3, -1, 0);
  } else {
    sk_begin (sk);
    sk_to (sk, -1, 0);
    sk_curve (sk, -0.6, -bh * 1.3, 0.2, -bh * 1.3, tj + 0.05, 0.05);
    sk_begin (sk);
    sk_to (sk, -1, 0);
    sk_curve (sk, -0.6, bh * 1.3, 0.2, bh * 1.3, tj + 0.05, -0.05);
    PG (tj, 0, 1, -th, 1, th);
  }
  sk_dot (sk, -0.6, -0.12, 0.06);
  if (P (0.4)) {
    sk_begin (sk);
    sk_arc (sk, -0.55, 0, 0.3, bh * 0.7, -0.9, 0.9);
  }
  sk_transform (sk, first, 0, P (0.5) ? -1 : 1, 1, 0, 0);
}

static void
tree (DoodleSketch *sk)
{
  double tw = U (0.14, 0.24);

  if (P (0.7)) {
    double ty = U (0.2, 0.4);

    sk_line (sk, -tw, ty, -tw * 1.2, 1);
    sk_line (sk, tw, ty, tw * 1.2, 1);
    if (P (0.4))
      sk_line (sk, -tw * 1.2, 1, tw * 1.2, 1);
    if (P (0.65))
      bumpy (sk, 0, -0.35, U (0.75, 0.95), U (0.6, 0.75), I (5, 9), false);
    else
      sk_ellipse (sk, 0, -0.35, U (0.7, 0.9), U (0.6, 0.75));
  } else {
    int tiers = I (2, 3);

    for (int i = 0; i < tiers; i++) {
      double top = -1 + 0.45 * i, bottom = top + 0.8, w = 0.5 + 0.2 * i;

      PL (-w, bottom, 0, top, w, bottom, -w, bottom);
    }
    PL (-tw, -1 + 0.45 * (tiers - 1) + 0.8, -tw, 1, tw, 1, tw, -1 + 0.45 * (tiers - 1) + 0.8);
  }
}

static void
cat_face (DoodleSketch *sk)
{
  double ex = U (0.3, 0.4), ey = U (0.0, 0.15), eh = U (0.1, 0.45);

  sk_ellipse (sk, 0, 0.2, U (0.85, 1.0), U (0.7, 0.8));
  PL (-0.8, -0.15, -0.7 - U (0, 0.15), -0.85 - eh * 0.3, -0.25, -0.45);
  PL (0.25, -0.45, 0.7 + U (0, 0.15), -0.85 - eh * 0.3, 0.8, -0.15);
  if (P (0.6)) {
    sk_dot (sk, -ex, ey, 0.07);
    sk_dot (sk, ex, ey, 0.07);
  } else {
    sk_ellipse (sk, -ex, ey, 0.1, 0.13);
    sk_ellipse (sk, ex, ey, 0.1, 0.13);
  }
  PG (-0.08, 0.3, 0.08, 0.3, 0, 0.4);
  if (P (0.6))
    PL (-0.2, 0.5, -0.1, 0.55, 0, 0.42, 0.1, 0.55, 0.2, 0.5);
  for (int side = -1; side <= 1; side += 2) {
    int n = I (2, 3);

    for (int i = 0; i < n; i++)
      sk_line (sk, side * 0.3, 0.35 + 0.07 * i, side * U (1.0, 1.2),
               0.2 + 0.15 * i + U (-0.05, 0.05));
  }
}

static void
eye (DoodleSketch *sk)
{
  double h = U (0.5, 0.8), ix = U (-0.15, 0.15), ir = U (0.28, 0.38);

  if (P (0.6)) {
    sk_begin (sk);
    sk_to (sk, -1, 0);
    sk_quad (sk, 0, -h * 1.6, 1, 0);
    sk_quad (sk, 0, h * 1.6, -1, 0);
    sk_mark_closed (sk);
  } else {
    sk_begin (sk);
    sk_to (sk, -1, 0);
    sk_quad (sk, 0, -h * 1.6, 1, 0);
    sk_begin (sk);
    sk_to (sk, -1, 0);
    sk_quad (sk, 0, h * 1.6, 1, 0);
  }
  sk_ellipse (sk, ix, 0, ir, ir * U (0.95, 1.05));
  if (P (0.7))
    sk_dot (sk, ix, 0, 0.08);
  if (P (0.3)) {
    int n = I (3, 5);

    for (int i = 0; i < n; i++) {
      double t = (i + 1.0) / (n + 1), x = -1 + 2 * t, y = -h * 1.6 * 2 * t * (1 - t);

      sk_line (sk, x, y, x * 1.2, y - 0.25);
    }
  }
}

static void
key (DoodleSketch *sk)
{
  size_t first = sk->n;
  double rr = U (0.28, 0.4), sx = -1 + 2 * rr;

  sk_ellipse (sk, -1 + rr, 0, rr, rr * U (0.9, 1.1));
  if (P (0.6)) {
    sk_line (sk, sx, 0, 1, 0);
    sk_line (sk, 0.85, 0, 0.85, 0.3);
    if (P (0.7))
      sk_line (sk, 0.6, 0, 0.6, 0.25);
  } else {
    PL (sx, 0, 1, 0, 1, 0.3, 0.85, 0.3, 0.85, 0.12, 0.7, 0.12, 0.7, 0.3, 0.55, 0.3, 0.55, 0);
  }
  sk_transform (sk, first, P (0.3) ? U (-0.8, 0.8) : 0, 1, 1, 0, 0);
}

static void
umbrella (DoodleSketch *sk)
{
  int scallops = I (3, 5);

  sk_begin (sk);
  sk_arc (sk, 0, 0, 1, U (0.7, 0.9), M_PI, 2 * M_PI);
  for (int i = 0; i < scallops; i++) {
    double x0 = 1 - 2.0 * i / scallops, x1 = 1 - 2.0 * (i + 1) / scallops;

    bulge (sk, x0, 0, x1, 0, 0, -1, U (0.1, 0.2));
  }
  sk_mark_closed (sk);
  sk_begin (sk);
  sk_to (sk, 0, 0);
  sk_to (sk, 0, 0.85);
  sk_arc (sk, -0.15, 0.85, 0.15, 0.15, 0, M_PI);
  if (P (0.5))
    sk_line (sk, 0, -0.75, 0, -0.95);
}

static void
cup (DoodleSketch *sk)
{
  double w = U (0.5, 0.65), b = w * U (0.7, 0.95);

  PL (-w, -0.6, -b, 0.8, b, 0.8, w, -0.6);
  if (P (0.5))
    sk_line (sk, -w, -0.6, w, -0.6);
  else if (P (0.6))
    sk_ellipse (sk, 0, -0.6, w, 0.12);
  sk_begin (sk);
  sk_arc (sk, (w + b) / 2, 0.05, U (0.3, 0.4), U (0.25, 0.35), -M_PI / 2, M_PI / 2);
  if (P (0.3)) {
    wavy (sk, -0.2, -0.75, -0.15, -1.2, 1, 0.08);
    wavy (sk, 0.15, -0.75, 0.2, -1.2, 1, 0.08);
  }
}

static void
bell (DoodleSketch *sk)
{
  double w = U (0.8, 1.0), s = U (0.5, 0.7);

  sk_begin (sk);
  sk_to (sk, -w, 0.6);
  sk_curve (sk, -s, 0.4, -0.75, -0.8, 0, -0.8);
  sk_curve (sk, 0.75, -0.8, s, 0.4, w, 0.6);
  sk_to (sk, -w, 0.6);
  sk_mark_closed (sk);
  sk_dot (sk, 0, 0.8, 0.12);
  if (P (0.6)) {
    sk_begin (sk);
    sk_arc (sk, 0, -0.93, 0.12, 0.13, M_PI * 0.6, M_PI * 2.4);
  }
}

static void
envelope (DoodleSketch *sk)
{
  double h = U (0.55, 0.75), v = U (0.0, 0.3);

  OUTLINE (-1, -h, 1, -h, 1, h, -1, h);
  PL (-1, -h, 0, v, 1, -h);
  if (P (0.2)) {
    sk_line (sk, -1, h, -0.25, v * 0.5);
    sk_line (sk, 1, h, 0.25, v * 0.5);
  }
}

static void
car (DoodleSketch *sk)
{
  size_t first = sk->n;
  double wr = U (0.18, 0.25), roof = U (-0.65, -0.45);

  PL (-0.55 + wr, 0.4, 0.55 - wr, 0.4);
  PL (0.55 + wr, 0.4, 1, 0.4, 1, -0.05, 0.6, -0.1, 0.35, roof, -0.3, roof, -0.55, -0.1, -1, -0.05,
      -1, 0.4, -0.55 - wr, 0.4);
  sk_ellipse (sk, -0.55, 0.42, wr, wr);
  sk_ellipse (sk, 0.55, 0.42, wr, wr);
  if (P (0.5))
    sk_line (sk, 0.0, roof, 0.0, -0.1);
  sk_transform (sk, first, 0, P (0.5) ? -1 : 1, 1, 0, 0);
}

static void
boat (DoodleSketch *sk)
{
  double s = P (0.5) ? 1 : -1, hb = U (0.5, 0.75);

  OUTLINE (-1, 0.3, 1, 0.3, hb, 0.8, -hb, 0.8);
  sk_line (sk, 0, 0.3, 0, -1);
  if (P (0.8))
    PL (0, -0.95, s * U (0.55, 0.8), 0.15, 0, 0.15);
  else
    PL (0, -0.95, s * 0.7, -0.3, 0, -0.2);
  if (P (0.3))
    wavy (sk, -1.1, 0.95, 1.1, 0.95, 3, 0.06);
}

static void
mushroom (DoodleSketch *sk)
{
  double sw = U (0.22, 0.35);

  sk_begin (sk);
  sk_arc (sk, 0, 0, 1, U (0.75, 0.95), M_PI, 2 * M_PI);
  sk_quad (sk, 0, U (0.05, 0.25), -1, 0);
  sk_mark_closed (sk);
  PL (-sw, 0.08, -sw * 1.15, 0.95, sw * 1.15, 0.95, sw, 0.08);
  if (P (0.5)) {
    int n = I (2, 4);

    for (int i = 0; i < n; i++)
      sk_ellipse (sk, -0.55 + 1.1 * (i + 0.5) / n, U (-0.6, -0.3), 0.1, 0.08);
  }
}

static void
leaf (DoodleSketch *sk)
{
  size_t first = sk->n;
  double w = U (0.4, 0.6);

  sk_begin (sk);
  sk_to (sk, 0, 0.8);
  sk_curve (sk, -w * 1.3, 0.4, -w * 1.1, -0.5, 0, -1);
  sk_curve (sk, w * 1.1, -0.5, w * 1.3, 0.4, 0, 0.8);
  sk_mark_closed (sk);
  sk_line (sk, 0, 1.05, 0, -0.7);
  if (P (0.5)) {
    int n = I (2, 4);

    for (int i = 0; i < n; i++) {
      double y = 0.5 - 1.0 * (i + 0.5) / n;

      sk_line (sk, 0, y, -w * 0.6, y - 0.25);
      sk_line (sk, 0, y, w * 0.6, y - 0.25);
    }
  }
  sk_transform (sk, first, U (-0.8, 0.8), 1, 1, 0, 0);
}

static void
crown (DoodleSketch *sk)
{
  int peaks = I (3, 5);

  sk_begin (sk);
  sk_to (sk, -1, 0.6);
  sk_to (sk, 1, 0.6);
  sk_to (sk, 1, -0.7);
  for (int i = 1; i < 2 * peaks; i++) {
    double x = 1 - 2.0 * i / (2 * peaks);

    sk_to (sk, x, i % 2 ? U (-0.05, 0.2) : U (-0.9, -0.6));
  }
  sk_to (sk, -1, -0.7);
  sk_close (sk);
  if (P (0.4))
    sk_line (sk, -1, 0.3, 1, 0.3);
  if (P (0.3)) {
    for (int i = 0; i <= peaks; i++)
      sk_dot (sk, 1 - 2.0 * i / peaks, -0.85, 0.06);
  }
}

static void
diamond (DoodleSketch *sk)
{
  double w = U (0.55, 0.8);

  OUTLINE (0, -1, w, 0, 0, 1, -w, 0);
}

static void
hexagon (DoodleSketch *sk)
{
  regular (sk, 6, 1, P (0.5) ? 0 : M_PI / 6);
}

static void
pentagon (DoodleSketch *sk)
{
  regular (sk, 5, 1, -M_PI / 2);
}

static void
plus (DoodleSketch *sk)
{
  double a = U (0.85, 1.0), b = U (0.85, 1.0);

  if (P (0.5)) {
    sk_line (sk, 0, -a, 0, a);
    sk_line (sk, -b, 0, b, 0);
  } else {
    sk_line (sk, -b, 0, b, 0);
    sk_line (sk, 0, -a, 0, a);
  }
}

static void
checkmark (DoodleSketch *sk)
{
  double kx = U (-0.5, -0.25), ky = U (0.6, 0.8);

  if (P (0.85)) {
    PL (-0.9, U (-0.1, 0.15), kx, ky, 0.9, U (-1.0, -0.8));
  } else {
    sk_line (sk, -0.9, 0.0, kx, ky);
    sk_line (sk, kx, ky, 0.9, -0.9);
  }
}

static void
musical_note (DoodleSketch *sk)
{
  if (P (0.65)) {
    double hx = -0.35, hy = 0.7, sx = hx + 0.28;

    sk_ellipse (sk, hx, hy, 0.3, 0.2);
    if (P (0.6))
      sk_ellipse (sk, hx, hy, 0.15, 0.09);
    sk_line (sk, sx, hy, sx, -0.95);
    sk_begin (sk);
    sk_to (sk, sx, -0.95);
    sk_curve (sk, sx + 0.2, -0.6, sx + 0.65, -0.5, sx + 0.45, -0.05);
  } else {
    for (int i = 0; i < 2; i++) {
      double hx = -0.65 + 1.1 * i, hy = 0.7;

      sk_ellipse (sk, hx, hy, 0.28, 0.19);
      sk_line (sk, hx + 0.26, hy, hx + 0.26, -0.8);
    }
    sk_line (sk, -0.39, -0.8, 0.71, -0.8);
    if (P (0.6))
      sk_line (sk, -0.39, -0.62, 0.71, -0.62);
  }
}

static void
ladder (DoodleSketch *sk)
{
  int rungs = I (3, 6);
  double w = U (0.35, 0.55);

  sk_line (sk, -w, -1, -w, 1);
  sk_line (sk, w, -1, w, 1);
  for (int i = 0; i < rungs; i++) {
    double y = -1 + 2.0 * (i + 0.5) / rungs + U (-0.05, 0.05);

    sk_line (sk, -w, y, w, y);
  }
}

static void
fork (DoodleSketch *sk)
{
  int tines = I (3, 4);
  double w = U (0.3, 0.4), base = U (-0.45, -0.3);

  for (int i = 0; i < tines; i++) {
    double x = -w + 2 * w * i / (tines - 1);

    sk_line (sk, x, -1, x, base);
  }
  sk_begin (sk);
  sk_to (sk, -w, base);
  sk_curve (sk, -w, base + 0.35, w, base + 0.35, w, base);
  if (P (0.7)) {
    sk_line (sk, 0, base + 0.26, 0, 1);
  } else {
    PL (-0.06, base + 0.26, -0.09, 1, 0.09, 1, 0.06, base + 0.26);
  }
}

static void
candle (DoodleSketch *sk)
{
  double w = U (0.25, 0.35), top = U (-0.4, -0.2);

  OUTLINE (-w, top, w, top, w, 1, -w, 1);
  sk_line (sk, 0, top, 0, top - 0.15);
  sk_begin (sk);
  sk_to (sk, 0, top - 0.15);
  sk_curve (sk, -0.3, top - 0.25, -0.1, top - 0.5, 0, -1);
  sk_curve (sk, 0.1, top - 0.5, 0.3, top - 0.25, 0, top - 0.15);
  sk_mark_closed (sk);
  if (P (0.2))
    PL (-w, top + 0.1, -w + 0.1, top + 0.35, -w + 0.2, top + 0.05);
}

static void
glasses (DoodleSketch *sk)
{
  double r = U (0.32, 0.42), c = U (0.45, 0.55);

  if (P (0.7)) {
    sk_ellipse (sk, -c, 0, r, r * U (0.8, 1.0));
    sk_ellipse (sk, c, 0, r, r * U (0.8, 1.0));
  } else {
    OUTLINE (-c - r, -r * 0.8, -c + r, -r * 0.8, -c + r, r * 0.8, -c - r, r * 0.8);
    OUTLINE (c - r, -r * 0.8, c + r, -r * 0.8, c + r, r * 0.8, c - r, r * 0.8);
  }
  sk_begin (sk);
  sk_to (sk, -c + r, 0);
  sk_quad (sk, 0, -0.25, c - r, 0);
  if (P (0.6)) {
    sk_line (sk, -c - r, -0.05, -c - r - 0.3, -0.25);
    sk_line (sk, c + r, -0.05, c + r + 0.3, -0.25);
  }
}

static void
balloon (DoodleSketch *sk)
{
  double rx = U (0.5, 0.65), ry = U (0.6, 0.75), cy = -1 + ry;
  double by = cy + ry;

  sk_ellipse (sk, 0, cy, rx, ry);
  PG (0, by, -0.08, by + 0.1, 0.08, by + 0.1);
  wavy (sk, 0, by + 0.1, U (-0.25, 0.25), 1.1, U (1.0, 2.0), 0.08);
}

static void
kite (DoodleSketch *sk)
{
  double w = U (0.45, 0.65), mid = U (-0.5, -0.35);
  double tx = U (-0.4, 0.4);

  OUTLINE (0, -1, w, mid, 0, 0.5, -w, mid);
  sk_line (sk, 0, -1, 0, 0.5);
  sk_line (sk, -w, mid, w, mid);
  wavy (sk, 0, 0.5, tx, 1.3, 2, 0.08);
  if (P (0.6)) {
    for (int i = 1; i <= 2; i++) {
      double x = tx * i / 3.0, y = 0.5 + 0.8 * i / 3.0;

      PG (x, y, x - 0.12, y - 0.08, x - 0.12, y + 0.08);
      PG (x, y, x + 0.12, y - 0.08, x + 0.12, y + 0.08);
    }
  }
}

static void
snowflake (DoodleSketch *sk)
{
  double a0 = U (0, M_PI / 3), b = U (0.5, 0.7), bl = U (0.2, 0.3);
  bool second = P (0.5);

  for (int i = 0; i < 3; i++) {
    double a = a0 + M_PI * i / 3;

    sk_line (sk, -cos (a), -sin (a), cos (a), sin (a));
  }
  for (int i = 0; i < 6; i++) {
    double a = a0 + M_PI * i / 3, x = b * cos (a), y = b * sin (a);

    PL (x + bl * cos (a + 2.4), y + bl * sin (a + 2.4), x, y, x + bl * cos (a - 2.4),
        y + bl * sin (a - 2.4));
    if (second) {
      x = 0.8 * cos (a);
      y = 0.8 * sin (a);
      PL (x + 0.12 * cos (a + 2.4), y + 0.12 * sin (a + 2.4), x, y, x + 0.12 * cos (a - 2.4),
          y + 0.12 * sin (a - 2.4));
    }
  }
}

static void
hourglass (DoodleSketch *sk)
{
  double w = U (0.5, 0.7), n = U (0.05, 0.15);

  if (P (0.5)) {
    PG (-w, -1, w, -1, n, 0, w, 1, -w, 1, -n, 0);
  } else {
    sk_line (sk, -w - 0.1, -1, w + 0.1, -1);
    sk_line (sk, -w - 0.1, 1, w + 0.1, 1);
    sk_begin (sk);
    sk_to (sk, -w, -1);
    sk_curve (sk, -w, -0.4, -n, -0.2, -n, 0);
    sk_curve (sk, -n, 0.2, -w, 0.4, -w, 1);
    sk_begin (sk);
    sk_to (sk, w, -1);
    sk_curve (sk, w, -0.4, n, -0.2, n, 0);
    sk_curve (sk, n, 0.2, w, 0.4, w, 1);
  }
  if (P (0.3))
    PL (-w * 0.6, 0.85, 0, 0.5, w * 0.6, 0.85);
}

static void
apple (DoodleSketch *sk)
{
  double w = U (0.85, 1.0);

  sk_begin (sk);
  sk_to (sk, 0, -0.45);
  sk_curve (sk, -0.3, -0.75, -w, -0.7, -w, 0.05);
  sk_curve (sk, -w * 0.95, 0.75, -0.35, 1.05, 0, 0.85);
  sk_curve (sk, 0.35, 1.05, w * 0.95, 0.75, w, 0.05);
  sk_curve (sk, w, -0.7, 0.3, -0.75, 0, -0.45);
  sk_mark_closed (sk);
  sk_begin (sk);
  sk_to (sk, 0, -0.45);
  sk_quad (sk, 0.02, -0.75, U (0.0, 0.2), -1.0);
  if (P (0.6)) {
    sk_begin (sk);
    sk_to (sk, 0.05, -0.75);
    sk_quad (sk, 0.3, -1.05, 0.55, -0.85);
    sk_quad (sk, 0.3, -0.6, 0.05, -0.75);
  }
}

static void
bird (DoodleSketch *sk)
{
  size_t first = sk->n;

  sk_ellipse (sk, -0.1, 0.15, U (0.6, 0.7), U (0.38, 0.48));
  sk_ellipse (sk, 0.55, -0.35, 0.28, 0.26);
  PL (0.8, -0.45, 1.1, -0.33, 0.82, -0.25);
  sk_dot (sk, 0.6, -0.42, 0.04);
  if (P (0.7)) {
    sk_begin (sk);
    sk_to (sk, -0.45, 0.05);
    sk_quad (sk, -0.1, -0.25, 0.2, 0.15);
  }
  PL (-0.7, 0.05, -1.1, -0.2, -1.05, 0.3, -0.72, 0.25);
  sk_line (sk, -0.2, 0.55, -0.25, 0.95);
  sk_line (sk, 0.05, 0.55, 0.05, 0.95);
  sk_transform (sk, first, 0, P (0.5) ? -1 : 1, 1, 0, 0);
}

static void
butterfly (DoodleSketch *sk)
{
  double uw = U (0.9, 1.05), lw = U (0.6, 0.8);
  bool joined = P (0.5);

  sk_ellipse (sk, 0, 0.05, 0.08, 0.6);
  for (int s = -1; s <= 1; s += 2) {
    sk_begin (sk);
    sk_to (sk, 0, -0.2);
    sk_curve (sk, s * 0.5, -1.2, s * uw * 1.2, -0.95, s * uw, -0.1);
    sk_curve (sk, s * uw * 0.85, 0.1, s * 0.3, 0.05, 0, 0.0);
    if (!joined)
      sk_begin (sk);
    sk_to (sk, 0, 0.05);
    sk_curve (sk, s * lw, 0.0, s * lw * 1.1, 0.6, s * lw * 0.6, 0.75);
    sk_curve (sk, s * 0.25, 0.85, s * 0.05, 0.5, 0, 0.2);
  }
  for (int s = -1; s <= 1; s += 2) {
    sk_begin (sk);
    sk_to (sk, 0, -0.55);
    sk_quad (sk, s * 0.1, -0.95, s * 0.35, -1.05);
  }
}

static void
rocket (DoodleSketch *sk)
{
  size_t first = sk->n;
  double w = U (0.25, 0.35);

  sk_begin (sk);
  sk_to (sk, -w, 0.6);
  sk_to (sk, -w, -0.3);
  sk_quad (sk, -w, -0.75, 0, -1);
  sk_quad (sk, w, -0.75, w, -0.3);
  sk_to (sk, w, 0.6);
  sk_close (sk);
  PL (-w, 0.1, -w - 0.3, 0.7, -w, 0.6);
  PL (w, 0.1, w + 0.3, 0.7, w, 0.6);
  sk_ellipse (sk, 0, -0.2, 0.13, 0.13);
  if (P (0.5))
    PL (-w * 0.7, 0.65, -w * 0.35, 1.0, 0, 0.75, w * 0.35, 1.0, w * 0.7, 0.65);
  sk_transform (sk, first, P (0.4) ? M_PI / 4 : 0, 1, 1, 0, 0);
}

static void
tent (DoodleSketch *sk)
{
  double ax = U (-0.1, 0.1), d = U (0.2, 0.35);

  if (P (0.6)) {
    OUTLINE (ax, -0.9, 1, 0.7, -1, 0.7);
  } else {
    sk_line (sk, ax - 0.1, -1.0, 1, 0.7);
    sk_line (sk, ax + 0.1, -1.0, -1, 0.7);
    sk_line (sk, -1, 0.7, 1, 0.7);
  }
  PL (ax - d, 0.7, ax, U (-0.2, 0.1), ax + d, 0.7);
  if (P (0.4))
    sk_line (sk, -1.2, 0.72, 1.2, 0.72);
}

static void
infinity (DoodleSketch *sk)
{
  double h = U (1.1, 1.6), a0 = U (0, 2 * M_PI);

  sk_begin (sk);
  for (int i = 0; i <= 96; i++) {
    double t = a0 + 2 * M_PI * i / 96, s = sin (t), c = cos (t);

    sk_to (sk, c / (1 + s * s), h * s * c / (1 + s * s));
  }
  sk_mark_closed (sk);
}

static void
lollipop (DoodleSketch *sk)
{
  double r = U (0.45, 0.55), cy = -1 + r;

  if (P (0.5)) {
    double a0 = U (0, 2 * M_PI), turns = U (2.0, 3.0);

    sk_begin (sk);
    for (int i = 0; i <= 120; i++) {
      double t = i / 120.0;

      sk_to (sk, r * t * cos (a0 + 2 * M_PI * turns * t),
             cy + r * t * sin (a0 + 2 * M_PI * turns * t));
    }
  } else {
    sk_ellipse (sk, 0, cy, r, r);
    if (P (0.6)) {
      sk_begin (sk);
      sk_arc (sk, 0, cy, r * 0.55, r * 0.55, 0, 3 * M_PI / 2);
    }
  }
  if (P (0.7))
    sk_line (sk, 0, cy + r, U (-0.1, 0.1), 1.1);
  else
    PL (-0.05, cy + r, -0.05, 1.1, 0.05, 1.1, 0.05, cy + r);
}

const DoodleShape doodle_shapes[] = {
  {"circle", circle},
  {"square", square},
  {"triangle", triangle},
  {"star", star},
  {"heart", heart},
  {"arrow", arrow},
  {"spiral", spiral},
  {"zigzag", zigzag},
  {"house", house},
  {"sun", sun},
  {"moon", moon},
  {"cloud", cloud},
  {"smiley", smiley},
  {"lightning", lightning},
  {"flower", flower},
  {"fish", fish},
  {"tree", tree},
  {"cat_face", cat_face},
  {"eye", eye},
  {"key", key},
  {"umbrella", umbrella},
  {"cup", cup},
  {"bell", bell},
  {"envelope", envelope},
  {"car", car},
  {"boat", boat},
  {"mushroom", mushroom},
  {"leaf", leaf},
  {"crown", crown},
  {"diamond", diamond},
  {"hexagon", hexagon},
  {"pentagon", pentagon},
  {"plus", plus},
  {"checkmark", checkmark},
  {"musical_note", musical_note},
  {"ladder", ladder},
  {"fork", fork},
  {"candle", candle},
  {"glasses", glasses},
  {"balloon", balloon},
  {"kite", kite},
  {"snowflake", snowflake},
  {"hourglass", hourglass},
  {"apple", apple},
  {"bird", bird},
  {"butterfly", butterfly},
  {"rocket", rocket},
  {"tent", tent},
  {"infinity", infinity},
  {"lollipop", lollipop},
};

const size_t doodle_n_shapes = sizeof doodle_shapes / sizeof doodle_shapes[0];

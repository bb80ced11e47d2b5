/* doodle-private.h: the generator's insides: PRNG, sketches, hand effects
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doodle.h"

/* xoshiro256** seeded through splitmix64: fast, good, and the same on every
 * machine. */
typedef struct {
  uint64_t s[4];
} DoodleRng;

/* Seeds from a seed and a stream name, so that classes do not share streams. */
void doodle_rng_seed (DoodleRng *r, uint64_t seed, const char *stream);
uint64_t doodle_rng_next (DoodleRng *r);
/* Uniform in [lo, hi). */
double doodle_rng_uniform (DoodleRng *r, double lo, double hi);
/* Uniform integer in [lo, hi]. */
int doodle_rng_int (DoodleRng *r, int lo, int hi);
bool doodle_rng_chance (DoodleRng *r, double p);
/* Standard normal. */
double doodle_rng_normal (DoodleRng *r);

typedef struct {
  double x, y;
} DoodlePt;

typedef struct {
  DoodlePt *pts;
  size_t n, cap;
  bool closed; /* the last point repeats the first */
  bool dot;    /* a single tap */
} DoodlePath;

/* A drawing being built in a unit frame: shapes span about [-1, 1] on both
 * axes, y down; angles are in radians from +x towards +y (so -pi/2 is up). */
typedef struct {
  DoodlePath *paths;
  size_t n, cap;
  DoodleRng *rng;
  double var;  /* DoodleOptions.variation */
  bool failed; /* out of memory somewhere */
} DoodleSketch;

void doodle_sketch_clear (DoodleSketch *sk);

/* Building strokes. sk_begin starts a stroke that sk_to, sk_arc, sk_quad and
 * sk_curve extend; sk_close ends it back at its first point. */
void sk_begin (DoodleSketch *sk);
void sk_to (DoodleSketch *sk, double x, double y);
void sk_close (DoodleSketch *sk);
/* Marks the current stroke closed when it already ends at its start. */
void sk_mark_closed (DoodleSketch *sk);
/* Appends an elliptic arc from angle a0 to a1 (either direction). */
void sk_arc (DoodleSketch *sk, double cx, double cy, double rx, double ry, double a0, double a1);
/* Appends a quadratic (control c) or cubic curve from the last point. */
void sk_quad (DoodleSketch *sk, double cx, double cy, double x, double y);
void sk_curve (DoodleSketch *sk, double x1, double y1, double x2, double y2, double x3, double y3);

/* Whole strokes. */
void sk_line (DoodleSketch *sk, double x0, double y0, double x1, double y1);
void sk_polyline (DoodleSketch *sk, size_t n, const double *xy);
void sk_polygon (DoodleSketch *sk, size_t n, const double *xy);
/* A closed ellipse starting at a random angle, in a random direction. */
void sk_ellipse (DoodleSketch *sk, double cx, double cy, double rx, double ry);
/* A dot: a tap, or a tiny circle of radius r. */
void sk_dot (DoodleSketch *sk, double x, double y, double r);

/* Maps every point of strokes first..end through a rotation by angle, then a
 * scale (sx, sy), then a translation. */
void sk_transform (DoodleSketch *sk, size_t first, double angle, double sx, double sy, double tx,
                   double ty);

/* How hand effects apply to a kind of sample. */
typedef struct {
  double wobble;    /* scales the stroke wobble */
  double overshoot; /* scales the chance of overshoots and gaps */
  double warp;      /* scales the elastic warping */
} DoodleStyle;

/* Turns the sketch into strokes in canvas coordinates, with hand-drawing
 * effects, pressure and time, replacing out's strokes. */
InkStatus doodle_finish (DoodleSketch *sk, const DoodleStyle *style, InkDrawing *out,
                         InkError *err);

/* One procedural class: draws its ideal strokes (with structural choices
 * from sk->rng) into sk. */
typedef void (*DoodleShapeFunc) (DoodleSketch *sk);

typedef struct {
  const char *name;
  DoodleShapeFunc draw;
} DoodleShape;

extern const DoodleShape doodle_shapes[];
extern const size_t doodle_n_shapes;

/* Draws character ch of one of the fonts (chosen by sk->rng, skipping fonts
 * without the glyph) from its flattened outline: the outline's contours as
 * strokes, or the centrelines of the filled outline. */
InkStatus doodle_glyph_sketch (DoodleSketch *sk, const char *ch, const char *const *fonts,
                               size_t n_fonts, bool outlines, InkError *err);

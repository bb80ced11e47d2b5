/* doodle.h: a synthetic drawing generator, for training and evaluating the
 * drawing models
 *
 * Procedural doodles of many classes (circle, house, cat face, ...) and
 * glyphs of handwriting-like fonts, each made as strokes of points with
 * pressure and time, as a person would draw them on the canvas, so that they
 * go through the engine's one stroke rasterizer (ink-strokes.h). Every
 * sample is a pure function of its class, its seed and the font list:
 * random variation (jitter, stroke wobble, elastic warping, pen pressure
 * and so width, position, scale, rotation within +-20 degrees, aspect,
 * stroke order and direction, overshoot and gaps at closed strokes) comes
 * from a PRNG seeded with them.
 *
 * Held-out data: use seeds the training never used, and fonts from
 * DOODLE_FONTS_HELDOUT (the training draws glyphs from DOODLE_FONTS_TRAIN).
 *
 * Plain C11 over the engine, Cairo and fontconfig (no GLib). Thread-safe:
 * samples may be generated from several threads at once.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ink-status.h"
#include "ink-strokes.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  DOODLE_KIND_NONE = 0,  /* not a class */
  DOODLE_KIND_SHAPE = 1, /* a procedural doodle: "circle", "cat_face", ... */
  DOODLE_KIND_GLYPH = 2, /* a letter or digit of a font: "glyph:A", "glyph:7" */
} DoodleKind;

/* Every class name, shapes first then glyphs ("glyph:A".."glyph:Z",
 * "glyph:a".."glyph:z", "glyph:0".."glyph:9"), in a fixed order; *n (when
 * not NULL) is their number. The array is static and NULL-terminated.
 * Beware that some glyph classes look alike once framed (o O 0, c C, s S,
 * v V, w W, x X, z Z, l I 1): choose among them. */
const char *const *doodle_classes (size_t *n);

/* The classes of one kind, as doodle_classes. */
const char *const *doodle_classes_of_kind (DoodleKind kind, size_t *n);

/* The kind of a class name; DOODLE_KIND_NONE for an unknown name. */
DoodleKind doodle_class_kind (const char *name);

typedef enum {
  DOODLE_FONTS_ALL = 0,     /* every known handwriting family */
  DOODLE_FONTS_TRAIN = 1,   /* the families training draws glyphs from */
  DOODLE_FONTS_HELDOUT = 2, /* families kept for evaluation only */
} DoodleFontSet;

/* The handwriting font families the generator knows, installed or not, with
 * the Debian package that has each: static NULL-terminated arrays. */
const char *const *doodle_font_families (DoodleFontSet set, size_t *n);
const char *doodle_font_package (const char *family);

/* Whether fontconfig has a font of exactly this family. */
bool doodle_font_installed (const char *family);

/* Up to max installed families of the set, in the set's order, into out (the
 * strings are static); returns how many there are in all. */
size_t doodle_fonts_available (DoodleFontSet set, const char **out, size_t max);

typedef struct {
  /* The families glyphs are drawn from (each sample picks one); NULL means
   * the installed families of font_set. */
  const char *const *fonts;
  size_t n_fonts;
  DoodleFontSet font_set; /* default DOODLE_FONTS_ALL */
  /* Scales the random distortions (jitter, wobble, warping, rotation,
   * aspect, overshoot): 0 draws each sample's structure cleanly, 1 (the
   * default) is the normal amount. 0..2. */
  double variation;
  /* Glyphs are drawn along the centrelines of their filled outlines, as a
   * pen writes them (default); true strokes the outline contours instead,
   * which draws thick letters hollow. */
  bool glyph_outlines;
} DoodleOptions;

DoodleOptions doodle_options_default (void);

/* Replaces the strokes of out with a sample of class_name for seed, in
 * canvas coordinates (somewhere in a 1000x800 canvas). Errors:
 * INK_ERR_INVALID_ARGUMENT for an unknown class or bad options,
 * INK_ERR_UNSUPPORTED for a glyph class when none of the fonts is installed
 * or has the glyph (the message says which packages to install),
 * INK_ERR_NO_MEMORY. On error out is left empty. */
InkStatus doodle_generate (const char *class_name, uint64_t seed, InkDrawing *out, InkError *err);

/* The same with options (NULL for the defaults). */
InkStatus doodle_generate_with (const char *class_name, uint64_t seed, const DoodleOptions *options,
                                InkDrawing *out, InkError *err);

#ifdef __cplusplus
}
#endif

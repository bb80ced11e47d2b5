/* doodle-classes.c: the class list and doodle_generate
 *
 * SPDX-License-Identifier: MIT
 */
#include "doodle-private.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define GLYPH_PREFIX "glyph:"
#define GLYPH_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define N_GLYPHS (sizeof GLYPH_CHARS - 1)
#define MAX_SHAPES 64

static pthread_once_t classes_once = PTHREAD_ONCE_INIT;
static char glyph_names[N_GLYPHS][sizeof GLYPH_PREFIX + 1];
static const char *all_names[MAX_SHAPES + N_GLYPHS + 1];
static const char *shape_names[MAX_SHAPES + 1];
static const char *glyph_list[N_GLYPHS + 1];
static size_t n_all, n_shape_names;

static void
build_classes (void)
{
  for (size_t i = 0; i < doodle_n_shapes && i < MAX_SHAPES; i++) {
    shape_names[n_shape_names++] = doodle_shapes[i].name;
    all_names[n_all++] = doodle_shapes[i].name;
  }
  for (size_t i = 0; i < N_GLYPHS; i++) {
    snprintf (glyph_names[i], sizeof glyph_names[i], GLYPH_PREFIX "%c", GLYPH_CHARS[i]);
    glyph_list[i] = glyph_names[i];
    all_names[n_all++] = glyph_names[i];
  }
}

const char *const *
doodle_classes (size_t *n)
{
  pthread_once (&classes_once, build_classes);
  if (n != NULL)
    *n = n_all;
  return all_names;
}

const char *const *
doodle_classes_of_kind (DoodleKind kind, size_t *n)
{
  static const char *const none[] = {NULL};

  pthread_once (&classes_once, build_classes);
  if (kind == DOODLE_KIND_SHAPE) {
    if (n != NULL)
      *n = n_shape_names;
    return shape_names;
  }
  if (kind == DOODLE_KIND_GLYPH) {
    if (n != NULL)
      *n = N_GLYPHS;
    return glyph_list;
  }
  if (n != NULL)
    *n = 0;
  return none;
}

static const DoodleShape *
find_shape (const char *name)
{
  for (size_t i = 0; i < doodle_n_shapes; i++) {
    if (strcmp (doodle_shapes[i].name, name) == 0)
      return &doodle_shapes[i];
  }
  return NULL;
}

DoodleKind
doodle_class_kind (const char *name)
{
  if (name == NULL)
    return DOODLE_KIND_NONE;
  if (find_shape (name) != NULL)
    return DOODLE_KIND_SHAPE;
  if (strncmp (name, GLYPH_PREFIX, strlen (GLYPH_PREFIX)) == 0) {
    const char *c = name + strlen (GLYPH_PREFIX);

    if (c[0] != '\0' && c[1] == '\0' && strchr (GLYPH_CHARS, c[0]) != NULL)
      return DOODLE_KIND_GLYPH;
  }
  return DOODLE_KIND_NONE;
}

DoodleOptions
doodle_options_default (void)
{
  DoodleOptions o = {.fonts = NULL,
                     .n_fonts = 0,
                     .font_set = DOODLE_FONTS_ALL,
                     .variation = 1.0,
                     .glyph_outlines = false};

  return o;
}

InkStatus
doodle_generate (const char *class_name, uint64_t seed, InkDrawing *out, InkError *err)
{
  return doodle_generate_with (class_name, seed, NULL, out, err);
}

/* The message for a glyph class without any installed font. */
static InkStatus
no_fonts (const DoodleOptions *o, InkError *err)
{
  char packages[256] = "";
  size_t n, used = 0;
  const char *const *families = doodle_font_families (o->font_set, &n);

  for (size_t i = 0; i < n; i++) {
    const char *package = doodle_font_package (families[i]);
    int w;

    if (strstr (packages, package) != NULL)
      continue;
    w = snprintf (packages + used, sizeof packages - used, "%s%s", used > 0 ? " " : "", package);

    if (w < 0 || (size_t) w >= sizeof packages - used)
      break;
    used += (size_t) w;
  }
  return ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "no handwriting font is installed for glyph classes (apt-get install %s)",
                        packages);
}

InkStatus
doodle_generate_with (const char *class_name, uint64_t seed, const DoodleOptions *options,
                      InkDrawing *out, InkError *err)
{
  DoodleOptions o = options != NULL ? *options : doodle_options_default ();
  DoodleKind kind = doodle_class_kind (class_name);
  DoodleRng rng;
  DoodleSketch sk = {0};
  DoodleStyle style = {.wobble = 1.0, .overshoot = 1.0, .warp = 1.0};
  InkStatus st;

  if (out == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no drawing to fill");
  ink_drawing_clear (out);
  if (kind == DOODLE_KIND_NONE)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "unknown doodle class \"%s\"",
                          class_name != NULL ? class_name : "(null)");
  if (!(o.variation >= 0.0 && o.variation <= 2.0))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "variation must be 0..2");
  if (o.font_set != DOODLE_FONTS_ALL && o.font_set != DOODLE_FONTS_TRAIN &&
      o.font_set != DOODLE_FONTS_HELDOUT)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "unknown font set %d", (int) o.font_set);
  if (o.fonts == NULL && o.n_fonts > 0)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "n_fonts without fonts");

  doodle_rng_seed (&rng, seed, class_name);
  sk.rng = &rng;
  sk.var = o.variation;
  if (kind == DOODLE_KIND_SHAPE) {
    find_shape (class_name)->draw (&sk);
  } else {
    const char *available[16];
    const char *const *fonts = o.fonts;
    size_t n_fonts = o.n_fonts;

    if (fonts == NULL) {
      n_fonts = doodle_fonts_available (o.font_set, available, 16);
      if (n_fonts > 16)
        n_fonts = 16;
      fonts = available;
      if (n_fonts == 0)
        return no_fonts (&o, err);
    }
    st = doodle_glyph_sketch (&sk, class_name + strlen (GLYPH_PREFIX), fonts, n_fonts,
                              o.glyph_outlines, err);
    if (st != INK_OK) {
      doodle_sketch_clear (&sk);
      return st;
    }
    /* Outlines are detailed: less wobble and fewer overshoots. */
    style = (DoodleStyle){.wobble = 0.4, .overshoot = 0.3, .warp = 0.6};
  }
  st = doodle_finish (&sk, &style, out, err);
  doodle_sketch_clear (&sk);
  return st;
}

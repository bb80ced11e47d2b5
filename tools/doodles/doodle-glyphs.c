/* doodle-glyphs.c: letters and digits of handwriting-like fonts, as strokes
 *
 * Fonts are found through fontconfig by family; a glyph's outline is
 * flattened by Cairo (cairo_glyph_path + cairo_copy_path_flat) into point
 * lists, one stroke per contour, so glyph samples go through the same stroke
 * rasterizer as everything else.
 *
 * SPDX-License-Identifier: MIT
 */
#include "doodle-private.h"

#include <cairo-ft.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *family;
  const char *package;
  DoodleFontSet set;
  bool caps_only; /* its small letters are capitals */
} KnownFont;

/* Training families first, then the held-out ones. */
static const KnownFont known_fonts[] = {
  {"DkgHandwriting", "fonts-dkg-handwriting", DOODLE_FONTS_TRAIN, false},
  {"Comic Neue", "fonts-comic-neue", DOODLE_FONTS_TRAIN, false},
  {"Humor Sans", "fonts-humor-sans", DOODLE_FONTS_TRAIN, true},
  {"Dancing Script", "fonts-dancingscript", DOODLE_FONTS_TRAIN, false},
  {"Breip", "fonts-breip", DOODLE_FONTS_TRAIN, false},
  {"Because We Build", "fonts-bwht", DOODLE_FONTS_TRAIN, true},
  {"Because We Create", "fonts-bwht", DOODLE_FONTS_TRAIN, true},
  {"Because We Mentor", "fonts-bwht", DOODLE_FONTS_TRAIN, true},
  {"Delphine", "fonts-sjfonts", DOODLE_FONTS_TRAIN, false},
  {"Because We Learn", "fonts-bwht", DOODLE_FONTS_HELDOUT, true},
  {"Because We Organize", "fonts-bwht", DOODLE_FONTS_HELDOUT, false},
  {"Steve", "fonts-sjfonts", DOODLE_FONTS_HELDOUT, false},
  {"Rufscript", "fonts-rufscript", DOODLE_FONTS_HELDOUT, false},
};
#define N_KNOWN (sizeof known_fonts / sizeof known_fonts[0])

/* femkeklaver (its letters are drawn double-lined) and Kristi (a few
 * letters unlike anyone's: a slash for N) were tried and left out. */
static const char *const all_families[] = {
  "DkgHandwriting",
  "Comic Neue",
  "Humor Sans",
  "Dancing Script",
  "Breip",
  "Because We Build",
  "Because We Create",
  "Because We Mentor",
  "Delphine",
  "Because We Learn",
  "Because We Organize",
  "Steve",
  "Rufscript",
  NULL,
};
static const char *const train_families[] = {
  "DkgHandwriting",   "Comic Neue",        "Humor Sans",        "Dancing Script", "Breip",
  "Because We Build", "Because We Create", "Because We Mentor", "Delphine",       NULL,
};
static const char *const heldout_families[] = {
  "Because We Learn", "Because We Organize", "Steve", "Rufscript", NULL,
};

static pthread_once_t installed_once = PTHREAD_ONCE_INIT;
static bool installed[N_KNOWN];

const char *const *
doodle_font_families (DoodleFontSet set, size_t *n)
{
  const char *const *list = set == DOODLE_FONTS_TRAIN     ? train_families
                            : set == DOODLE_FONTS_HELDOUT ? heldout_families
                                                          : all_families;

  if (n != NULL) {
    *n = 0;
    while (list[*n] != NULL)
      (*n)++;
  }
  return list;
}

static bool
caps_only (const char *family)
{
  for (size_t i = 0; i < N_KNOWN; i++) {
    if (strcmp (known_fonts[i].family, family) == 0)
      return known_fonts[i].caps_only;
  }
  return false;
}

const char *
doodle_font_package (const char *family)
{
  for (size_t i = 0; family != NULL && i < N_KNOWN; i++) {
    if (strcmp (known_fonts[i].family, family) == 0)
      return known_fonts[i].package;
  }
  return NULL;
}

static bool
fontconfig_has (const char *family)
{
  FcPattern *pat = FcPatternCreate ();
  FcObjectSet *os = FcObjectSetBuild (FC_FAMILY, (char *) NULL);
  FcFontSet *fs = NULL;
  bool found = false;

  if (pat != NULL && os != NULL &&
      FcPatternAddString (pat, FC_FAMILY, (const FcChar8 *) family) == FcTrue) {
    fs = FcFontList (NULL, pat, os);
    found = fs != NULL && fs->nfont > 0;
  }
  if (fs != NULL)
    FcFontSetDestroy (fs);
  if (os != NULL)
    FcObjectSetDestroy (os);
  if (pat != NULL)
    FcPatternDestroy (pat);
  return found;
}

static void
check_installed (void)
{
  for (size_t i = 0; i < N_KNOWN; i++)
    installed[i] = fontconfig_has (known_fonts[i].family);
}

bool
doodle_font_installed (const char *family)
{
  if (family == NULL)
    return false;
  pthread_once (&installed_once, check_installed);
  for (size_t i = 0; i < N_KNOWN; i++) {
    if (strcmp (known_fonts[i].family, family) == 0)
      return installed[i];
  }
  return fontconfig_has (family);
}

size_t
doodle_fonts_available (DoodleFontSet set, const char **out, size_t max)
{
  size_t n, count = 0;
  const char *const *list = doodle_font_families (set, &n);

  for (size_t i = 0; i < n; i++) {
    if (!doodle_font_installed (list[i]))
      continue;
    if (out != NULL && count < max)
      out[count] = list[i];
    count++;
  }
  return count;
}

/* Font faces, made once per family and slant and kept for the process
 * (Cairo's toy font API is not used: it leaks a pattern per face). */

typedef struct {
  char *family;
  bool italic;
  cairo_font_face_t *face; /* NULL: fontconfig has no such family */
} FaceEntry;

#define MAX_FACES 64

static pthread_mutex_t faces_lock = PTHREAD_MUTEX_INITIALIZER;
static FaceEntry faces[MAX_FACES];
static size_t n_faces;

/* True when one of the families of pattern m is family. */
static bool
pattern_has_family (FcPattern *m, const char *family)
{
  FcChar8 *f;

  for (int i = 0; FcPatternGetString (m, FC_FAMILY, i, &f) == FcResultMatch; i++) {
    if (FcStrCmpIgnoreCase (f, (const FcChar8 *) family) == 0)
      return true;
  }
  return false;
}

static cairo_font_face_t *
make_face (const char *family, bool italic)
{
  FcPattern *p = FcPatternCreate (), *m = NULL;
  cairo_font_face_t *face = NULL;
  FcResult result;

  if (p == NULL)
    return NULL;
  FcPatternAddString (p, FC_FAMILY, (const FcChar8 *) family);
  FcPatternAddInteger (p, FC_SLANT, italic ? FC_SLANT_ITALIC : FC_SLANT_ROMAN);
  FcPatternAddInteger (p, FC_WEIGHT, FC_WEIGHT_REGULAR);
  FcConfigSubstitute (NULL, p, FcMatchPattern);
  FcDefaultSubstitute (p);
  m = FcFontMatch (NULL, p, &result);
  /* Fontconfig always finds something: refuse a fallback family. */
  if (m != NULL && pattern_has_family (m, family)) {
    face = cairo_ft_font_face_create_for_pattern (m);
    if (cairo_font_face_status (face) != CAIRO_STATUS_SUCCESS) {
      cairo_font_face_destroy (face);
      face = NULL;
    }
  }
  if (m != NULL)
    FcPatternDestroy (m);
  FcPatternDestroy (p);
  return face;
}

/* A new reference to the face of family, or NULL. */
static cairo_font_face_t *
font_face (const char *family, bool italic)
{
  cairo_font_face_t *face = NULL;
  bool found = false;

  pthread_mutex_lock (&faces_lock);
  for (size_t i = 0; i < n_faces && !found; i++) {
    if (faces[i].italic == italic && strcmp (faces[i].family, family) == 0) {
      face = faces[i].face != NULL ? cairo_font_face_reference (faces[i].face) : NULL;
      found = true;
    }
  }
  if (!found) {
    face = make_face (family, italic);
    if (n_faces < MAX_FACES && (faces[n_faces].family = strdup (family)) != NULL) {
      faces[n_faces].italic = italic;
      faces[n_faces].face = face != NULL ? cairo_font_face_reference (face) : NULL;
      n_faces++;
    }
  }
  pthread_mutex_unlock (&faces_lock);
  return face;
}

/* Centrelines: the filled outline is rasterized, thinned to a one-pixel
 * skeleton (Zhang and Suen) and traced into strokes, the way a pen would
 * have written the glyph. */

#define RASTER 72 /* the glyph's longer side, in skeleton pixels */
#define SPUR 5    /* shorter branches off a stroke are thinning noise */

typedef struct {
  uint8_t *px; /* 1 = ink */
  int w, h;
} Bitmap;

static int
bit (const Bitmap *b, int x, int y)
{
  return x >= 0 && y >= 0 && x < b->w && y < b->h && b->px[y * b->w + x];
}

/* Neighbours in Zhang and Suen's order P2..P9: N, NE, E, SE, S, SW, W, NW. */
static const int nbx[8] = {0, 1, 1, 1, 0, -1, -1, -1};
static const int nby[8] = {-1, -1, 0, 1, 1, 1, 0, -1};

static bool
thin (Bitmap *b)
{
  uint8_t *mark = calloc ((size_t) b->w * (size_t) b->h, 1);
  bool changed = true;

  if (mark == NULL)
    return false;
  while (changed) {
    changed = false;
    for (int pass = 0; pass < 2; pass++) {
      for (int y = 0; y < b->h; y++) {
        for (int x = 0; x < b->w; x++) {
          int p[8], n = 0, a = 0;

          if (!b->px[y * b->w + x])
            continue;
          for (int k = 0; k < 8; k++) {
            p[k] = bit (b, x + nbx[k], y + nby[k]);
            n += p[k];
          }
          for (int k = 0; k < 8; k++)
            a += !p[k] && p[(k + 1) % 8];
          if (n < 2 || n > 6 || a != 1)
            continue;
          if (pass == 0 ? (p[0] && p[2] && p[4]) || (p[2] && p[4] && p[6])
                        : (p[0] && p[2] && p[6]) || (p[0] && p[4] && p[6]))
            continue;
          mark[y * b->w + x] = 1;
        }
      }
      for (int i = 0; i < b->w * b->h; i++) {
        if (mark[i]) {
          b->px[i] = 0;
          mark[i] = 0;
          changed = true;
        }
      }
    }
  }
  free (mark);
  return true;
}

static int
degree (const Bitmap *b, int x, int y)
{
  int n = 0;

  for (int k = 0; k < 8; k++)
    n += bit (b, x + nbx[k], y + nby[k]);
  return n;
}

typedef struct {
  int *xy; /* pixel coordinates, interleaved */
  int n, cap;
} Trace;

static bool
trace_push (Trace *t, int x, int y)
{
  if (t->n == t->cap) {
    int cap = t->cap == 0 ? 64 : t->cap * 2;
    int *xy = realloc (t->xy, (size_t) cap * 2 * sizeof *xy);

    if (xy == NULL)
      return false;
    t->xy = xy;
    t->cap = cap;
  }
  t->xy[2 * t->n] = x;
  t->xy[2 * t->n + 1] = y;
  t->n++;
  return true;
}

/* A visited neighbour of (x, y) that is not among the last points of t, or
 * -1. */
static int
visited_neighbour (const Bitmap *skel, const uint8_t *seen, const Trace *t, int x, int y)
{
  for (int k = 0; k < 8; k++) {
    int nx = x + nbx[k], ny = y + nby[k];
    bool recent = false;

    if (!bit (skel, nx, ny) || !seen[ny * skel->w + nx])
      continue;
    for (int i = t->n - 1; i >= 0 && i >= t->n - 4; i--)
      recent = recent || (t->xy[2 * i] == nx && t->xy[2 * i + 1] == ny);
    if (!recent)
      return k;
  }
  return -1;
}

/* Walks the skeleton from (x, y), going on as straight as it can; *joined
 * tells whether the walk starts or ends on a stroke already traced. */
static bool
walk (const Bitmap *skel, uint8_t *seen, Trace *t, int x, int y, bool *joined)
{
  int k = visited_neighbour (skel, seen, t, x, y);

  /* A branch off a stroke already drawn starts where it joins. */
  *joined = k >= 0;
  if (k >= 0 && !trace_push (t, x + nbx[k], y + nby[k]))
    return false;
  for (;;) {
    int best = -1;
    double best_score = -INFINITY, dx = 0, dy = 0;

    seen[y * skel->w + x] = 1;
    if (!trace_push (t, x, y))
      return false;
    if (t->n >= 2) {
      int back = t->n > 4 ? 4 : t->n - 1;

      dx = x - t->xy[2 * (t->n - 1 - back)];
      dy = y - t->xy[2 * (t->n - 1 - back) + 1];
    }
    for (int j = 0; j < 8; j++) {
      int nx = x + nbx[j], ny = y + nby[j];
      double score, l = hypot (dx, dy);

      if (!bit (skel, nx, ny) || seen[ny * skel->w + nx])
        continue;
      score = (l > 0 ? (dx * nbx[j] + dy * nby[j]) / (l * hypot (nbx[j], nby[j])) : 0) +
              (j % 2 == 0 ? 0.3 : 0.0);
      if (score > best_score) {
        best_score = score;
        best = j;
      }
    }
    if (best < 0)
      break;
    x += nbx[best];
    y += nby[best];
  }
  /* Closes a loop, or ends on the stroke it runs into. */
  k = visited_neighbour (skel, seen, t, x, y);
  if (k >= 0 && t->n >= 3) {
    bool own = false; /* a loop closing on this walk's own start */

    for (int i = 0; i < 2 && i < t->n; i++)
      own = own || (t->xy[2 * i] == x + nbx[k] && t->xy[2 * i + 1] == y + nby[k]);
    *joined = *joined || !own;
    if (!trace_push (t, x + nbx[k], y + nby[k]))
      return false;
  }
  return true;
}

/* Adds the trace as a stroke, smoothed (a moving average over 5 points). */
static void
add_trace (DoodleSketch *sk, const Trace *t)
{
  sk_begin (sk);
  for (int i = 0; i < t->n; i++) {
    double sx = 0, sy = 0;
    int n = 0;

    for (int j = i - 2; j <= i + 2; j++) {
      if (j < 0 || j >= t->n || (i == 0 || i == t->n - 1 ? j != i : false))
        continue;
      sx += t->xy[2 * j];
      sy += t->xy[2 * j + 1];
      n++;
    }
    sk_to (sk, sx / n, sy / n);
  }
  if (t->n == 1 && !sk->failed)
    sk->paths[sk->n - 1].dot = true;
}

/* Traces the skeleton into sk's strokes: from the free ends first, top to
 * bottom, then whatever is left (loops). */
static bool
trace_skeleton (DoodleSketch *sk, const Bitmap *skel)
{
  uint8_t *seen = calloc ((size_t) skel->w * (size_t) skel->h, 1);
  Trace t = {0};
  bool ok = seen != NULL;

  for (int round = 0; ok && round < 2; round++) {
    for (int y = 0; ok && y < skel->h; y++) {
      for (int x = 0; ok && x < skel->w; x++) {
        bool joined;

        if (!bit (skel, x, y) || seen[y * skel->w + x] || (round == 0 && degree (skel, x, y) > 1))
          continue;
        t.n = 0;
        ok = walk (skel, seen, &t, x, y, &joined);
        /* Short branches hanging off other strokes are thinning noise;
         * small separate pieces (the dot of an i) are kept. */
        if (ok && (t.n >= SPUR || !joined))
          add_trace (sk, &t);
      }
    }
  }
  free (t.xy);
  free (seen);
  return ok && !sk->failed;
}

static bool
sketch_centrelines (DoodleSketch *sk, cairo_path_t *path, double x0, double y0, double x1,
                    double y1)
{
  double k = RASTER / fmax (x1 - x0, y1 - y0);
  Bitmap b = {0};
  cairo_surface_t *surface;
  cairo_t *cr;
  bool ok = false;

  b.w = (int) ceil ((x1 - x0) * k) + 6;
  b.h = (int) ceil ((y1 - y0) * k) + 6;
  surface = cairo_image_surface_create (CAIRO_FORMAT_A8, b.w, b.h);
  cr = cairo_create (surface);
  b.px = calloc ((size_t) b.w * (size_t) b.h, 1);
  if (b.px != NULL && cairo_status (cr) == CAIRO_STATUS_SUCCESS) {
    const uint8_t *data;
    int stride;

    cairo_translate (cr, 3 - x0 * k, 3 - y0 * k);
    cairo_scale (cr, k, k);
    cairo_append_path (cr, path);
    cairo_fill (cr);
    cairo_surface_flush (surface);
    data = cairo_image_surface_get_data (surface);
    stride = cairo_image_surface_get_stride (surface);
    for (int y = 0; y < b.h; y++) {
      for (int x = 0; x < b.w; x++)
        b.px[y * b.w + x] = data[y * stride + x] >= 128;
    }
    ok = thin (&b) && trace_skeleton (sk, &b);
  }
  free (b.px);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  return ok;
}

/* Appends ch in family to sk (its outline contours, or its centrelines);
 * false (sk untouched) when the font has no such glyph. */
static bool
sketch_glyph (DoodleSketch *sk, const char *family, bool italic, bool outlines, const char *ch)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_A8, 1, 1);
  cairo_t *cr = cairo_create (surface);
  cairo_glyph_t *glyphs = NULL;
  int n_glyphs = 0;
  cairo_path_t *path = NULL;
  bool ok = false;
  size_t first = sk->n;
  double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY, s;
  cairo_font_face_t *face = font_face (family, italic);

  if (face == NULL)
    goto out;
  cairo_set_font_face (cr, face);
  cairo_set_font_size (cr, 100.0);
  cairo_set_tolerance (cr, 0.5);
  if (cairo_scaled_font_text_to_glyphs (cairo_get_scaled_font (cr), 0, 0, ch, -1, &glyphs,
                                        &n_glyphs, NULL, NULL, NULL) != CAIRO_STATUS_SUCCESS ||
      n_glyphs != 1 || glyphs[0].index == 0)
    goto out;
  cairo_glyph_path (cr, glyphs, 1);
  path = cairo_copy_path_flat (cr);
  if (path == NULL || path->status != CAIRO_STATUS_SUCCESS)
    goto out;
  for (int i = 0; i < path->num_data; i += path->data[i].header.length) {
    const cairo_path_data_t *d = &path->data[i];

    if (d->header.type == CAIRO_PATH_MOVE_TO || d->header.type == CAIRO_PATH_LINE_TO) {
      x0 = fmin (x0, d[1].point.x);
      y0 = fmin (y0, d[1].point.y);
      x1 = fmax (x1, d[1].point.x);
      y1 = fmax (y1, d[1].point.y);
    }
  }
  if (!(x1 - x0 > 1.0 || y1 - y0 > 1.0))
    goto out; /* an empty glyph */
  if (outlines) {
    for (int i = 0; i < path->num_data; i += path->data[i].header.length) {
      const cairo_path_data_t *d = &path->data[i];

      switch (d->header.type) {
      case CAIRO_PATH_MOVE_TO:
        sk_begin (sk);
        sk_to (sk, d[1].point.x, d[1].point.y);
        break;
      case CAIRO_PATH_LINE_TO: sk_to (sk, d[1].point.x, d[1].point.y); break;
      case CAIRO_PATH_CLOSE_PATH: sk_close (sk); break;
      case CAIRO_PATH_CURVE_TO: break; /* not in a flattened path */
      }
    }
  } else {
    if (!sketch_centrelines (sk, path, x0, y0, x1, y1))
      goto out;
    /* Back from skeleton pixels (centres) to font units. */
    s = (fmax (x1 - x0, y1 - y0)) / RASTER;
    sk_transform (sk, first, 0, s, s, x0 - 2.5 * s, y0 - 2.5 * s);
  }
  if (sk->n == first)
    goto out;
  /* Into the unit frame. */
  x0 = y0 = INFINITY;
  x1 = y1 = -INFINITY;
  for (size_t i = first; i < sk->n; i++) {
    for (size_t j = 0; j < sk->paths[i].n; j++) {
      x0 = fmin (x0, sk->paths[i].pts[j].x);
      y0 = fmin (y0, sk->paths[i].pts[j].y);
      x1 = fmax (x1, sk->paths[i].pts[j].x);
      y1 = fmax (y1, sk->paths[i].pts[j].y);
    }
  }
  s = 2.0 / fmax (fmax (x1 - x0, y1 - y0), 1e-9);
  sk_transform (sk, first, 0, s, s, -s * (x0 + x1) / 2, -s * (y0 + y1) / 2);
  ok = true;

out:
  if (!ok) {
    for (size_t i = first; i < sk->n; i++)
      free (sk->paths[i].pts);
    sk->n = first;
  }
  if (path != NULL)
    cairo_path_destroy (path);
  cairo_glyph_free (glyphs);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  cairo_font_face_destroy (face);
  return ok;
}

InkStatus
doodle_glyph_sketch (DoodleSketch *sk, const char *ch, const char *const *fonts, size_t n_fonts,
                     bool outlines, InkError *err)
{
  size_t start;
  bool italic, lower = ch[0] >= 'a' && ch[0] <= 'z';

  if (n_fonts == 0)
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "no font to draw \"%s\" with", ch);
  start = (size_t) (doodle_rng_next (sk->rng) % n_fonts);
  italic = doodle_rng_chance (sk->rng, 0.15);
  for (size_t k = 0; k < n_fonts; k++) {
    const char *family = fonts[(start + k) % n_fonts];

    /* A font whose small letters are capitals does not draw them. */
    if (lower && caps_only (family))
      continue;
    if (doodle_font_installed (family) && sketch_glyph (sk, family, italic, outlines, ch))
      return sk->failed ? ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory") : INK_OK;
    if (sk->failed)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  return ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "no installed font of the %zu given draws glyph \"%s\"", n_fonts, ch);
}

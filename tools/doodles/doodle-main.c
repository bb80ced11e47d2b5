/* doodle-main.c: inkling-doodles, writes synthetic drawings as PNG files or
 * a contact sheet, to look at them
 *
 * SPDX-License-Identifier: MIT
 */
#include <cairo.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doodle.h"
#include "ink-image.h"
#include "ink-strokes.h"

static void
usage (FILE *f)
{
  fprintf (f,
           "Usage: inkling-doodles [OPTION]... (--out DIR | --sheet FILE.png | --list | "
           "--list-fonts)\n"
           "Writes synthetic drawings, rendered as the drawing models see them.\n\n"
           "  --classes LIST    comma-separated class names, or all, shapes, glyphs (default all)\n"
           "  --count N         samples per class (default 8)\n"
           "  --seed S          seed of the first sample; sample i uses S + i (default 1)\n"
           "  --size PX         side of each image (default 28)\n"
           "  --fonts SET       fonts for glyph classes: all, train, heldout (default all)\n"
           "  --font FAMILY     draw glyphs with this font family only (repeatable)\n"
           "  --glyph-outlines  draw glyphs as their outline contours, not centrelines\n"
           "  --variation V     amount of random distortion, 0..2 (default 1)\n"
           "  --out DIR         write DIR/CLASS/SEED.png (':' in a class name becomes '_')\n"
           "  --json            with --out, also write each sample's strokes as SEED.json\n"
           "  --sheet FILE.png  write one contact sheet: a row of samples per class\n"
           "  --zoom Z          sheet pixels per image pixel (default 2)\n"
           "  --list            print the class names\n"
           "  --list-fonts      print the known handwriting fonts and whether installed\n");
}

typedef struct {
  const char **classes;
  size_t n_classes;
  int count;
  uint64_t seed;
  int size;
  int zoom;
  DoodleOptions options;
  InkRenderOptions render;
} Job;

static bool
parse_classes (const char *spec, Job *job)
{
  size_t n;
  const char *const *list;

  if (strcmp (spec, "all") == 0 || strcmp (spec, "shapes") == 0 || strcmp (spec, "glyphs") == 0) {
    list = strcmp (spec, "all") == 0      ? doodle_classes (&n)
           : strcmp (spec, "shapes") == 0 ? doodle_classes_of_kind (DOODLE_KIND_SHAPE, &n)
                                          : doodle_classes_of_kind (DOODLE_KIND_GLYPH, &n);
    job->classes = malloc (n * sizeof *job->classes);
    if (job->classes == NULL)
      return false;
    memcpy (job->classes, list, n * sizeof *job->classes);
    job->n_classes = n;
    return true;
  }
  {
    char *copy = strdup (spec), *save = NULL;

    if (copy == NULL)
      return false;
    job->classes = calloc (strlen (spec) / 2 + 2, sizeof *job->classes);
    if (job->classes == NULL) {
      free (copy);
      return false;
    }
    for (char *tok = strtok_r (copy, ",", &save); tok != NULL; tok = strtok_r (NULL, ",", &save)) {
      const char *const *all = doodle_classes (&n);
      const char *found = NULL;

      for (size_t i = 0; i < n && found == NULL; i++) {
        if (strcmp (all[i], tok) == 0)
          found = all[i];
      }
      if (found == NULL) {
        fprintf (stderr, "inkling-doodles: unknown class \"%s\" (see --list)\n", tok);
        free (copy);
        return false;
      }
      job->classes[job->n_classes++] = found;
    }
    free (copy);
    return job->n_classes > 0;
  }
}

static int
make_dir (const char *path)
{
  if (mkdir (path, 0777) != 0 && errno != EEXIST) {
    fprintf (stderr, "inkling-doodles: cannot create %s: %s\n", path, strerror (errno));
    return -1;
  }
  return 0;
}

/* Generates sample i of a class; false with a message for a skipped class. */
static InkStatus
generate (const Job *job, const char *cls, int i, InkDrawing *d, InkError *err)
{
  return doodle_generate_with (cls, job->seed + (uint64_t) i, &job->options, d, err);
}

static bool
skip_glyphs_message (const char *cls, InkStatus st, const InkError *err)
{
  static bool told;

  if (st != INK_ERR_UNSUPPORTED || doodle_class_kind (cls) != DOODLE_KIND_GLYPH)
    return false;
  if (!told)
    fprintf (stderr, "inkling-doodles: skipping glyph classes: %s\n", err->message);
  told = true;
  return true;
}

static int
write_files (const Job *job, const char *dir, bool json)
{
  InkDrawing *d = ink_drawing_new ();
  InkError err = {0};
  int written = 0;

  if (d == NULL || make_dir (dir) != 0) {
    ink_drawing_free (d);
    return 1;
  }
  for (size_t c = 0; c < job->n_classes; c++) {
    char sub[4096], path[4200], name[256];

    snprintf (name, sizeof name, "%s", job->classes[c]);
    for (char *p = name; *p != '\0'; p++) {
      if (*p == ':' || *p == '/')
        *p = '_';
    }
    snprintf (sub, sizeof sub, "%s/%s", dir, name);
    for (int i = 0; i < job->count; i++) {
      InkValue *img = NULL;
      InkStatus st = generate (job, job->classes[c], i, d, &err);

      if (skip_glyphs_message (job->classes[c], st, &err))
        break;
      if (st == INK_OK && i == 0 && make_dir (sub) != 0)
        st = INK_ERR_IO;
      if (st == INK_OK)
        st = ink_drawing_render_image (d, &job->render, job->size, job->size, &img, &err);
      snprintf (path, sizeof path, "%s/%" PRIu64 ".png", sub, job->seed + (uint64_t) i);
      if (st == INK_OK)
        st = ink_image_save_png (img, path, &err);
      ink_value_free (img);
      if (st == INK_OK && json) {
        char *text = NULL;
        FILE *f;

        snprintf (path, sizeof path, "%s/%" PRIu64 ".json", sub, job->seed + (uint64_t) i);
        st = ink_drawing_to_json (d, &text, &err);
        if (st == INK_OK) {
          f = fopen (path, "w");
          if (f == NULL || fputs (text, f) < 0 || fclose (f) != 0)
            st = ink_error_set (&err, INK_ERR_IO, "cannot write %s", path);
        }
        free (text);
      }
      if (st != INK_OK) {
        fprintf (stderr, "inkling-doodles: %s #%d: %s\n", job->classes[c], i, err.message);
        ink_drawing_free (d);
        return 1;
      }
      written++;
    }
  }
  ink_drawing_free (d);
  printf ("wrote %d samples under %s\n", written, dir);
  return 0;
}

static int
write_sheet (const Job *job, const char *file)
{
  const int label_w = 120, pad = 4, cell = job->size * job->zoom;
  int panels = job->n_classes > 60 ? 3 : job->n_classes > 20 ? 2 : 1;
  int rows = (int) ((job->n_classes + (size_t) panels - 1) / (size_t) panels);
  int panel_w = label_w + job->count * (cell + pad) + 2 * pad;
  cairo_surface_t *sheet, *tile;
  cairo_t *cr;
  InkDrawing *d = ink_drawing_new ();
  uint8_t *px = malloc ((size_t) job->size * (size_t) job->size);
  InkError err = {0};
  int status = 0;

  sheet =
    cairo_image_surface_create (CAIRO_FORMAT_RGB24, panels * panel_w, rows * (cell + pad) + pad);
  tile = cairo_image_surface_create (CAIRO_FORMAT_A8, job->size, job->size);
  cr = cairo_create (sheet);
  if (d == NULL || px == NULL || cairo_status (cr) != CAIRO_STATUS_SUCCESS ||
      cairo_surface_status (tile) != CAIRO_STATUS_SUCCESS) {
    fprintf (stderr, "inkling-doodles: out of memory for the sheet\n");
    status = 1;
    goto out;
  }
  cairo_set_source_rgb (cr, 0.22, 0.22, 0.25);
  cairo_paint (cr);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 12);
  for (size_t c = 0; c < job->n_classes; c++) {
    int x0 = (int) (c / (size_t) rows) * panel_w + pad,
        y0 = (int) (c % (size_t) rows) * (cell + pad) + pad;

    cairo_set_source_rgb (cr, 0.9, 0.9, 0.9);
    cairo_move_to (cr, x0, y0 + cell / 2 + 4);
    cairo_show_text (cr, job->classes[c]);
    for (int i = 0; i < job->count; i++) {
      InkStatus st = generate (job, job->classes[c], i, d, &err);
      int x = x0 + label_w + i * (cell + pad);
      uint8_t *data;
      int stride;
      cairo_pattern_t *pattern;

      if (skip_glyphs_message (job->classes[c], st, &err)) {
        cairo_set_source_rgb (cr, 0.6, 0.6, 0.6);
        cairo_move_to (cr, x0 + label_w, y0 + cell / 2 + 4);
        cairo_show_text (cr, "(no handwriting font installed)");
        break;
      }
      if (st == INK_OK)
        st = ink_drawing_render_gray8 (d, &job->render, job->size, job->size, (size_t) job->size,
                                       px, &err);
      if (st != INK_OK) {
        fprintf (stderr, "inkling-doodles: %s #%d: %s\n", job->classes[c], i, err.message);
        status = 1;
        goto out;
      }
      cairo_surface_flush (tile);
      data = cairo_image_surface_get_data (tile);
      stride = cairo_image_surface_get_stride (tile);
      for (int y = 0; y < job->size; y++)
        memcpy (data + (size_t) y * (size_t) stride, px + (size_t) y * (size_t) job->size,
                (size_t) job->size);
      cairo_surface_mark_dirty (tile);
      /* The image as the model sees it: gray levels, black background. */
      cairo_set_source_rgb (cr, 0, 0, 0);
      cairo_rectangle (cr, x, y0, cell, cell);
      cairo_fill (cr);
      cairo_save (cr);
      cairo_translate (cr, x, y0);
      cairo_scale (cr, job->zoom, job->zoom);
      cairo_set_source_rgb (cr, 1, 1, 1);
      pattern = cairo_pattern_create_for_surface (tile);
      cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
      cairo_mask (cr, pattern);
      cairo_pattern_destroy (pattern);
      cairo_restore (cr);
    }
  }
  cairo_surface_flush (sheet);
  if (cairo_surface_write_to_png (sheet, file) != CAIRO_STATUS_SUCCESS) {
    fprintf (stderr, "inkling-doodles: cannot write %s\n", file);
    status = 1;
  } else {
    printf ("wrote %s: %zu classes x %d samples\n", file, job->n_classes, job->count);
  }

out:
  cairo_destroy (cr);
  cairo_surface_destroy (tile);
  cairo_surface_destroy (sheet);
  ink_drawing_free (d);
  free (px);
  return status;
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    {"classes", required_argument, NULL, 'c'},  {"count", required_argument, NULL, 'n'},
    {"seed", required_argument, NULL, 's'},     {"size", required_argument, NULL, 'S'},
    {"fonts", required_argument, NULL, 'f'},    {"variation", required_argument, NULL, 'v'},
    {"out", required_argument, NULL, 'o'},      {"json", no_argument, NULL, 'j'},
    {"sheet", required_argument, NULL, 'p'},    {"zoom", required_argument, NULL, 'z'},
    {"list", no_argument, NULL, 'l'},           {"list-fonts", no_argument, NULL, 'F'},
    {"help", no_argument, NULL, 'h'},           {"font", required_argument, NULL, 'a'},
    {"glyph-outlines", no_argument, NULL, 'g'}, {NULL, 0, NULL, 0},
  };
  Job job = {.count = 8, .seed = 1, .size = 28, .zoom = 2};
  const char *families[16];
  size_t n_families = 0;
  const char *classes = "all", *out = NULL, *sheet = NULL;
  bool json = false, list = false, list_fonts = false;
  int opt, status;
  char *end;

  job.options = doodle_options_default ();
  job.render = ink_render_options_default ();
  while ((opt = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'c': classes = optarg; break;
    case 'n':
      job.count = (int) strtol (optarg, &end, 10);
      if (*end != '\0' || job.count < 1 || job.count > 100000)
        goto bad;
      break;
    case 's':
      job.seed = strtoull (optarg, &end, 10);
      if (*end != '\0')
        goto bad;
      break;
    case 'S':
      job.size = (int) strtol (optarg, &end, 10);
      if (*end != '\0' || job.size < 8 || job.size > 1024)
        goto bad;
      break;
    case 'f':
      if (strcmp (optarg, "all") == 0)
        job.options.font_set = DOODLE_FONTS_ALL;
      else if (strcmp (optarg, "train") == 0)
        job.options.font_set = DOODLE_FONTS_TRAIN;
      else if (strcmp (optarg, "heldout") == 0)
        job.options.font_set = DOODLE_FONTS_HELDOUT;
      else
        goto bad;
      break;
    case 'v':
      job.options.variation = strtod (optarg, &end);
      if (*end != '\0' || !(job.options.variation >= 0 && job.options.variation <= 2))
        goto bad;
      break;
    case 'a':
      if (n_families == 16)
        goto bad;
      families[n_families++] = optarg;
      job.options.fonts = families;
      job.options.n_fonts = n_families;
      break;
    case 'g': job.options.glyph_outlines = true; break;
    case 'o': out = optarg; break;
    case 'j': json = true; break;
    case 'p': sheet = optarg; break;
    case 'z':
      job.zoom = (int) strtol (optarg, &end, 10);
      if (*end != '\0' || job.zoom < 1 || job.zoom > 16)
        goto bad;
      break;
    case 'l': list = true; break;
    case 'F': list_fonts = true; break;
    case 'h': usage (stdout); return 0;
    default: usage (stderr); return 2;
    }
  }
  if (optind != argc || (out == NULL && sheet == NULL && !list && !list_fonts)) {
    usage (stderr);
    return 2;
  }
  if (list) {
    size_t n;
    const char *const *all = doodle_classes (&n);

    for (size_t i = 0; i < n; i++)
      printf ("%s\n", all[i]);
  }
  if (list_fonts) {
    size_t n;
    const char *const *fams = doodle_font_families (DOODLE_FONTS_ALL, &n);
    const char *const *held = doodle_font_families (DOODLE_FONTS_HELDOUT, NULL);

    for (size_t i = 0; i < n; i++) {
      bool is_held = false;

      for (size_t k = 0; held[k] != NULL; k++)
        is_held = is_held || strcmp (held[k], fams[i]) == 0;
      printf ("%-20s %-8s %-22s %s\n", fams[i], is_held ? "heldout" : "train",
              doodle_font_package (fams[i]),
              doodle_font_installed (fams[i]) ? "installed" : "not installed");
    }
  }
  if (out == NULL && sheet == NULL)
    return 0;
  if (!parse_classes (classes, &job)) {
    free (job.classes);
    return 2;
  }
  status = 0;
  if (out != NULL)
    status = write_files (&job, out, json);
  if (status == 0 && sheet != NULL)
    status = write_sheet (&job, sheet);
  free (job.classes);
  return status;

bad:
  fprintf (stderr, "inkling-doodles: bad option value \"%s\"\n", optarg);
  usage (stderr);
  return 2;
}

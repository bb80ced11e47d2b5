/* make-fuzz-seeds.c: small seed inputs for the fuzz targets, made by the
 * engine itself
 *
 * Usage: make-fuzz-seeds OUTDIR [MODEL...]. Writes
 *   OUTDIR/inkmodel/  each Core ML model given (NAME.mlmodel) that
 *                     compiles, as NAME.mlmodel.inkmodel
 *   OUTDIR/coreml/    each compiled model given (NAME.inkmodel), exported
 *                     as NAME.mlmodel
 *   OUTDIR/minisign/  the fixed key (public, unencrypted secret) and
 *                     signatures of FUZZ_MINISIGN_MESSAGE in both algorithms
 *   OUTDIR/manifest/  manifests in both forms
 *   OUTDIR/image/     small PNG and JPEG images (gray, colour, progressive,
 *                     translucent) and raw inputs for the conversion path
 * The folders must exist. Exits non-zero when a seed cannot be made.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "fuzz-common.h"
#include "ink-manifest.h"

static const char *outdir;

static void
fail (const char *what, const InkError *err)
{
  fprintf (stderr, "make-fuzz-seeds: %s: %s\n", what, err != NULL ? err->message : "failed");
  exit (1);
}

static char *
out_path (const char *folder, const char *name)
{
  size_t size = strlen (outdir) + strlen (folder) + strlen (name) + 3;
  char *path = malloc (size);

  if (path == NULL)
    fail ("malloc", NULL);
  snprintf (path, size, "%s/%s/%s", outdir, folder, name);
  return path;
}

static void
write_file (const char *folder, const char *name, const void *data, size_t size)
{
  char *path = out_path (folder, name);
  FILE *f = fopen (path, "wb");

  if (f == NULL || fwrite (data, 1, size, f) != size || fclose (f) != 0)
    fail (path, NULL);
  free (path);
}

static void
write_text (const char *folder, const char *name, char *text)
{
  if (text == NULL)
    fail (name, NULL);
  write_file (folder, name, text, strlen (text));
  free (text);
}

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);

  return n >= m && strcmp (s + n - m, suffix) == 0;
}

static void
model_seeds (int n, char **models)
{
  for (int i = 0; i < n; i++) {
    const char *base = strrchr (models[i], '/');
    bool compiled = has_suffix (models[i], ".inkmodel");
    char name[256];
    InkError err = {0};
    InkModel *model;
    char *path;

    base = base != NULL ? base + 1 : models[i];
    model = compiled ? ink_model_load (models[i], &err) : ink_coreml_compile_file (models[i], &err);
    if (model == NULL)
      continue; /* the INVALID fixtures, unsupported layers */
    if (compiled) {
      snprintf (name, sizeof name, "%.*s.mlmodel", (int) (strlen (base) - strlen (".inkmodel")),
                base);
      path = out_path ("coreml", name);
      if (ink_coreml_export (model, path, &err) != INK_OK)
        fail (path, &err);
    } else {
      snprintf (name, sizeof name, "%s.inkmodel", base);
      path = out_path ("inkmodel", name);
      if (ink_model_save (model, path, &err) != INK_OK)
        fail (path, &err);
    }
    free (path);
    ink_model_free (model);
  }
}

static void
minisign_seeds (void)
{
  InkMinisignSecretKey sk;
  InkMinisignPublicKey pk;
  char b64[INK_MINISIGN_PUBLIC_KEY_BASE64_SIZE];
  InkError err = {0};
  const char *msg = FUZZ_MINISIGN_MESSAGE;

  fuzz_minisign_key (&sk, &pk);
  write_text ("minisign", "minisign.pub", ink_minisign_public_key_to_text (&pk));
  ink_minisign_public_key_to_base64 (&pk, b64);
  write_file ("minisign", "public-key-line", b64, strlen (b64));
  write_text ("minisign", "minisign.key", ink_minisign_secret_key_to_text (&sk, NULL, 0, 0, &err));
  write_text ("minisign", "prehashed.minisig",
              ink_minisign_sign (&sk, msg, strlen (msg), INK_MINISIGN_PREHASHED, NULL,
                                 "timestamp:1700000000\tfile:model.mlmodel", &err));
  write_text (
    "minisign", "legacy.minisig",
    ink_minisign_sign (&sk, msg, strlen (msg), INK_MINISIGN_LEGACY, "a comment", "trusted", &err));
  /* A signature over other data: parses, fails to verify. */
  write_text ("minisign", "other-data.minisig",
              ink_minisign_sign (&sk, "x", 1, INK_MINISIGN_PREHASHED, NULL, NULL, &err));
  ink_minisign_secret_key_clear (&sk);
}

static void
manifest_seeds (void)
{
  InkManifest *m = ink_manifest_new ();
  InkManifestModel a = {
    .id = "doodles",
    .version = "1.2.0",
    .url = "models/0d3c5e4a.mlmodel",
    .size = 8074,
    .sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    .min_app_version = "0.1",
    .channel = "stable",
    .rollout_percent = 40,
    .published = 1764000000,
    .notes = "first \"release\"\n",
  };
  InkManifestModel b = {
    .id = "doodles",
    .version = "2.0",
    .url = "https://cdn.example.org/../models/b.mlmodel",
    .size = -1,
    .channel = "beta",
    .rollout_percent = 100,
  };
  InkManifestModel c = {
    .id = "digits",
    .version = "10.0.3",
    .url = "//mirror.example.org/d.inkmodel",
    .size = 0,
    .rollout_percent = 0,
  };
  InkError err = {0};

  if (m == NULL || ink_manifest_add_model (m, &a, &err) != INK_OK ||
      ink_manifest_add_model (m, &b, &err) != INK_OK ||
      ink_manifest_add_model (m, &c, &err) != INK_OK)
    fail ("manifest", &err);
  ink_manifest_set_expires (m, 1800000000);
  write_text ("manifest", "extended.json", ink_manifest_to_json (m, INK_MANIFEST_EXTENDED, &err));
  write_text ("manifest", "simple.json", ink_manifest_to_json (m, INK_MANIFEST_SIMPLE, &err));
  ink_manifest_free (m);
}

static void
write_jpeg (const char *name, int width, int height, int components, bool progressive)
{
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr jerr;
  unsigned char *buf = NULL;
  unsigned long size = 0;
  unsigned char row[64 * 3];

  cinfo.err = jpeg_std_error (&jerr);
  jpeg_create_compress (&cinfo);
  jpeg_mem_dest (&cinfo, &buf, &size);
  cinfo.image_width = (JDIMENSION) width;
  cinfo.image_height = (JDIMENSION) height;
  cinfo.input_components = components;
  cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, 75, TRUE);
  if (progressive)
    jpeg_simple_progression (&cinfo);
  jpeg_start_compress (&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW rows[1] = {row};

    for (int x = 0; x < width * components; x++)
      row[x] = (unsigned char) ((x * 37 + (int) cinfo.next_scanline * 11) & 0xff);
    jpeg_write_scanlines (&cinfo, rows, 1);
  }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  write_file ("image", name, buf, size);
  free (buf);
}

static void
write_png (const char *name, InkPixelFormat format, int width, int height)
{
  size_t bpp = ink_pixel_format_bytes (format);
  uint8_t pixels[32 * 32 * 4];
  InkValue *image;
  InkError err = {0};
  char *path;

  for (size_t i = 0; i < (size_t) width * height * bpp; i++)
    pixels[i] = (uint8_t) (i * 13 + (i % bpp == 3 ? 100 : 0));
  image = ink_value_new_image (format, width, height, (size_t) width * bpp, pixels);
  if (image == NULL)
    fail (name, NULL);
  path = out_path ("image", name);
  if (ink_image_save_png (image, path, &err) != INK_OK)
    fail (path, &err);
  free (path);
  ink_value_free (image);
}

static void
image_seeds (void)
{
  uint8_t raw[8 + 7 * 5 * 4];

  write_png ("gray.png", INK_PIXEL_GRAY8, 12, 7);
  write_png ("rgba.png", INK_PIXEL_RGBA8, 9, 16);
  write_png ("one.png", INK_PIXEL_GRAY8, 1, 1);
  write_jpeg ("gray.jpg", 16, 9, 1, false);
  write_jpeg ("rgb.jpg", 13, 21, 3, false);
  write_jpeg ("progressive.jpg", 24, 8, 3, true);
  /* Raw: RGBA 7x5 to gray 3x2, aspect-fit, flexible. */
  raw[0] = INK_PIXEL_RGBA8;
  raw[1] = 6;
  raw[2] = 4;
  raw[3] = INK_PIXEL_GRAY8;
  raw[4] = 2;
  raw[5] = 1;
  raw[6] = 0x80 | INK_ASPECT_FIT;
  raw[7] = 7;
  for (size_t i = 8; i < sizeof raw; i++)
    raw[i] = (uint8_t) (i * 29);
  write_file ("image", "raw-rgba", raw, sizeof raw);
}

int
main (int argc, char **argv)
{
  if (argc < 2) {
    fprintf (stderr, "usage: make-fuzz-seeds OUTDIR [MODEL.mlmodel...]\n");
    return 2;
  }
  outdir = argv[1];
  model_seeds (argc - 2, argv + 2);
  minisign_seeds ();
  manifest_seeds ();
  image_seeds ();
  return 0;
}

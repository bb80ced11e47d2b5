/* test-image.c: image conversion and PNG/JPEG decoding
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "test-util.h"

/* Helpers */

static InkImageConstraint
fixed (InkPixelFormat format, int64_t w, int64_t h)
{
  InkImageConstraint c = {0};

  c.width = w;
  c.height = h;
  c.format = format;
  return c;
}

static InkValue *
convert_c (InkPixelFormat format, int w, int h, const guint8 *px, const InkImageConstraint *c,
           InkCropScale mode, guint8 pad)
{
  InkImageOptions opts = {.crop_scale = mode, .pad_value = pad};
  InkError err = {0};
  InkValue *out = NULL;

  ink_assert_ok (ink_image_convert (format, w, h, (size_t) w * ink_pixel_format_bytes (format), px,
                                    c, &opts, &out, &err),
                 &err);
  g_assert_nonnull (out);
  g_assert_cmpint (ink_value_image_format (out), ==, c->format);
  return out;
}

static InkValue *
convert (InkPixelFormat format, int w, int h, const guint8 *px, InkPixelFormat to, int tw, int th,
         InkCropScale mode, guint8 pad)
{
  InkImageConstraint c = fixed (to, tw, th);
  InkValue *out = convert_c (format, w, h, px, &c, mode, pad);

  g_assert_cmpint (ink_value_image_width (out), ==, tw);
  g_assert_cmpint (ink_value_image_height (out), ==, th);
  return out;
}

static void
assert_pixels (const InkValue *img, const guint8 *expected, size_t n)
{
  const guint8 *px = ink_value_image_pixels (img);

  g_assert_cmpuint (ink_value_image_stride (img) * (size_t) ink_value_image_height (img), ==, n);
  for (size_t i = 0; i < n; i++) {
    if (px[i] != expected[i])
      g_error ("byte %zu: got %u, expected %u", i, px[i], expected[i]);
  }
}

/* Deterministic bytes. */
static void
fill_bytes (guint8 *p, size_t n, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);

  for (size_t i = 0; i < n; i++)
    p[i] = (guint8) g_rand_int_range (r, 0, 256);
  g_rand_free (r);
}

/* Reference resampling, written independently of the engine: a dense
 * out x in weight matrix per axis, in double. Shrinking: the overlap of each
 * source pixel [j, j+1) with the output footprint, over the footprint width.
 * Enlarging: a tent around the clamped, centre-aligned source position. */
static double *
ref_weights (int in, int out)
{
  double *W = g_new0 (double, (size_t) in *out);

  for (int i = 0; i < out; i++) {
    for (int j = 0; j < in; j++) {
      double wt;

      if (in == out) {
        wt = i == j ? 1.0 : 0.0;
      } else if (in > out) {
        double s = (double) in / out;
        double ov = MIN ((i + 1) * s, j + 1.0) - MAX (i * s, (double) j);

        wt = ov > 0 ? ov / s : 0.0;
      } else {
        double x = CLAMP ((i + 0.5) * in / out - 0.5, 0.0, in - 1.0);

        wt = MAX (0.0, 1.0 - fabs (x - j));
      }
      W[(size_t) i * in + j] = wt;
    }
  }
  return W;
}

/* Resizes one channel (pixels bpp bytes apart) of a w x h image to tw x th. */
static double *
ref_resize (const guint8 *src, int w, int h, int bpp, int chan, int tw, int th)
{
  double *wx = ref_weights (w, tw), *wy = ref_weights (h, th);
  double *out = g_new0 (double, (size_t) tw *th);

  for (int y = 0; y < th; y++)
    for (int x = 0; x < tw; x++) {
      double sum = 0;

      for (int k = 0; k < h; k++)
        for (int j = 0; j < w; j++)
          sum += wy[(size_t) y * h + k] * wx[(size_t) x * w + j] *
                 src[((size_t) k * w + j) * bpp + chan];
      out[(size_t) y * tw + x] = sum;
    }
  g_free (wx);
  g_free (wy);
  return out;
}

/* Output equals the reference, rounded (allowing float error at .5). */
static void
assert_matches_ref (const InkValue *img, int bpp, int chan, const double *ref, int tw, int th)
{
  const guint8 *px = ink_value_image_pixels (img);

  for (int i = 0; i < tw * th; i++) {
    double got = px[(size_t) i * bpp + chan];

    if (fabs (got - ref[i]) > 0.5 + 1e-3)
      g_error ("pixel %d (%d,%d) channel %d: got %g, reference %.4f", i, i % tw, i / tw, chan, got,
               ref[i]);
  }
}

/* Constraints and options */

static void
test_options_default (void)
{
  InkImageOptions o = ink_image_options_default ();

  g_assert_cmpint (o.crop_scale, ==, INK_SCALE_FILL);
  g_assert_cmpint (o.pad_value, ==, 0);
}

static void
test_constraint_allows (void)
{
  InkImageConstraint c = fixed (INK_PIXEL_GRAY8, 28, 28);
  InkImageSize sizes[] = {{32, 32}, {64, 48}};

  g_assert_true (ink_image_constraint_allows (&c, 28, 28));
  g_assert_false (ink_image_constraint_allows (&c, 28, 29));
  g_assert_false (ink_image_constraint_allows (&c, 56, 56));
  g_assert_false (ink_image_constraint_allows (NULL, 28, 28));

  c.n_sizes = G_N_ELEMENTS (sizes);
  c.sizes = sizes;
  g_assert_true (ink_image_constraint_allows (&c, 32, 32));
  g_assert_true (ink_image_constraint_allows (&c, 64, 48));
  g_assert_false (ink_image_constraint_allows (&c, 48, 64));
  g_assert_false (ink_image_constraint_allows (&c, 40, 40));

  c = fixed (INK_PIXEL_GRAY8, 28, 28);
  c.has_range = true;
  c.min_width = 16;
  c.max_width = -1;
  c.min_height = 10;
  c.max_height = 100;
  g_assert_true (ink_image_constraint_allows (&c, 16, 10));
  g_assert_true (ink_image_constraint_allows (&c, 100000, 100));
  g_assert_false (ink_image_constraint_allows (&c, 15, 50));
  g_assert_false (ink_image_constraint_allows (&c, 50, 9));
  g_assert_false (ink_image_constraint_allows (&c, 50, 101));
  g_assert_false (ink_image_constraint_allows (&c, 0, 50));
}

/* Resampling */

static void
test_copy_same_size (void)
{
  guint8 gray[5 * 3];
  guint8 rgba[3 * 2 * 4];
  guint8 expected[3 * 2 * 4];
  InkValue *out;

  fill_bytes (gray, sizeof gray, 1);
  out = convert (INK_PIXEL_GRAY8, 5, 3, gray, INK_PIXEL_GRAY8, 5, 3, INK_SCALE_FILL, 0);
  assert_pixels (out, gray, sizeof gray);
  ink_value_free (out);

  /* Same size and format: a copy, except that alpha becomes opaque. */
  fill_bytes (rgba, sizeof rgba, 2);
  memcpy (expected, rgba, sizeof rgba);
  for (size_t i = 3; i < sizeof expected; i += 4)
    expected[i] = 255;
  out = convert (INK_PIXEL_RGBA8, 3, 2, rgba, INK_PIXEL_RGBA8, 3, 2, INK_CENTER_CROP, 0);
  assert_pixels (out, expected, sizeof expected);
  ink_value_free (out);
}

static void
test_stride (void)
{
  /* 3x2 gray rows padded to 8 bytes; the padding must never be read. */
  guint8 src[2 * 8] = {1, 2, 3, 99, 99, 99, 99, 99, 4, 5, 6, 99, 99, 99, 99, 99};
  guint8 expected[] = {1, 2, 3, 4, 5, 6};
  InkImageConstraint c = fixed (INK_PIXEL_GRAY8, 3, 2);
  InkError err = {0};
  InkValue *out = NULL;

  ink_assert_ok (ink_image_convert (INK_PIXEL_GRAY8, 3, 2, 8, src, &c, NULL, &out, &err), &err);
  assert_pixels (out, expected, sizeof expected);
  ink_value_free (out);

  /* 2x1 down: each output is the mean of a 1.5-pixel footprint of real
   * pixels: (1 + 0.5*2)/1.5 and (0.5*2 + 3)/1.5, averaged with row 2. */
  c = fixed (INK_PIXEL_GRAY8, 2, 1);
  ink_assert_ok (ink_image_convert (INK_PIXEL_GRAY8, 3, 2, 8, src, &c, NULL, &out, &err), &err);
  g_assert_cmpuint (ink_value_image_pixels (out)[0], ==, 3); /* (1.333 + 4.333) / 2 = 2.83 */
  g_assert_cmpuint (ink_value_image_pixels (out)[1], ==, 4); /* (2.667 + 5.667) / 2 = 4.17 */
  ink_value_free (out);
}

static void
test_area_4x4_to_2x2 (void)
{
  guint8 src[] = {
    0,   10,  20,  30,  /**/
    40,  50,  60,  70,  /**/
    80,  90,  255, 255, /**/
    120, 130, 0,   0,   /**/
  };
  /* Means of the 2x2 blocks; 127.5 rounds half up. */
  guint8 expected[] = {25, 45, 105, 128};
  InkValue *out = convert (INK_PIXEL_GRAY8, 4, 4, src, INK_PIXEL_GRAY8, 2, 2, INK_SCALE_FILL, 0);

  assert_pixels (out, expected, sizeof expected);
  ink_value_free (out);
}

static void
test_area_3x3_to_2x2 (void)
{
  guint8 src[] = {10, 20, 30, 40, 50, 60, 70, 80, 90};
  /* Each output covers 1.5 x 1.5 source pixels: weights 2/3 and 1/3 per
   * axis. E.g. (0,0) = 2/3 (2/3 10 + 1/3 20) + 1/3 (2/3 40 + 1/3 50) = 23.33,
   * (0,1) = 1/3 (2/3 40 + 1/3 50) + 2/3 (2/3 70 + 1/3 80) = 63.33. */
  guint8 expected[] = {23, 37, 63, 77};
  InkValue *out = convert (INK_PIXEL_GRAY8, 3, 3, src, INK_PIXEL_GRAY8, 2, 2, INK_SCALE_FILL, 0);
  double *ref = ref_resize (src, 3, 3, 1, 0, 2, 2);

  assert_pixels (out, expected, sizeof expected);
  assert_matches_ref (out, 1, 0, ref, 2, 2);
  g_free (ref);
  ink_value_free (out);
}

static void
test_bilinear_2x2_to_4x4 (void)
{
  guint8 src[] = {0, 100, 200, 40};
  /* Per axis the outputs sit at source positions -0.25 (clamped to 0),
   * 0.25, 0.75 and 1.25 (clamped to 1). */
  guint8 expected[] = {
    0,   25,  75, 100, /**/
    50,  59,  76, 85,  /* 0.75 row 0 + 0.25 row 3 */
    150, 126, 79, 55,  /**/
    200, 160, 80, 40,  /**/
  };
  InkValue *out = convert (INK_PIXEL_GRAY8, 2, 2, src, INK_PIXEL_GRAY8, 4, 4, INK_SCALE_FILL, 0);

  assert_pixels (out, expected, sizeof expected);
  ink_value_free (out);
}

static void
test_against_reference (void)
{
  /* Shrinking, enlarging, mixed and odd ratios, gray and colour. */
  static const int cases[][4] = {
    {37, 23, 10, 7},  {7, 5, 19, 13}, {20, 3, 6, 11}, {5, 31, 17, 4},
    {64, 64, 28, 28}, {9, 9, 9, 4},   {1, 1, 3, 2},   {13, 1, 4, 1},
  };

  for (size_t t = 0; t < G_N_ELEMENTS (cases); t++) {
    int w = cases[t][0], h = cases[t][1], tw = cases[t][2], th = cases[t][3];
    guint8 *gray = g_malloc ((size_t) w * h);
    guint8 *rgba = g_malloc ((size_t) w * h * 4);
    InkValue *out;

    fill_bytes (gray, (size_t) w * h, 10 + (guint32) t);
    fill_bytes (rgba, (size_t) w * h * 4, 20 + (guint32) t);

    out = convert (INK_PIXEL_GRAY8, w, h, gray, INK_PIXEL_GRAY8, tw, th, INK_SCALE_FILL, 0);
    {
      double *ref = ref_resize (gray, w, h, 1, 0, tw, th);

      assert_matches_ref (out, 1, 0, ref, tw, th);
      g_free (ref);
    }
    ink_value_free (out);

    out = convert (INK_PIXEL_RGBA8, w, h, rgba, INK_PIXEL_RGBA8, tw, th, INK_SCALE_FILL, 0);
    for (int chan = 0; chan < 3; chan++) {
      double *ref = ref_resize (rgba, w, h, 4, chan, tw, th);

      assert_matches_ref (out, 4, chan, ref, tw, th);
      g_free (ref);
    }
    for (int i = 0; i < tw * th; i++)
      g_assert_cmpuint (ink_value_image_pixels (out)[4 * i + 3], ==, 255);
    ink_value_free (out);

    /* RGBA to BGRA (swapped) and to gray (luma of the resampled channels,
     * as luma is linear). */
    {
      double *ref[3];
      InkValue *bgra, *luma;

      for (int chan = 0; chan < 3; chan++)
        ref[chan] = ref_resize (rgba, w, h, 4, chan, tw, th);
      bgra = convert (INK_PIXEL_RGBA8, w, h, rgba, INK_PIXEL_BGRA8, tw, th, INK_SCALE_FILL, 0);
      for (int chan = 0; chan < 3; chan++)
        assert_matches_ref (bgra, 4, 2 - chan, ref[chan], tw, th);
      luma = convert (INK_PIXEL_RGBA8, w, h, rgba, INK_PIXEL_GRAY8, tw, th, INK_SCALE_FILL, 0);
      for (int i = 0; i < tw * th; i++)
        ref[0][i] = 0.299 * ref[0][i] + 0.587 * ref[1][i] + 0.114 * ref[2][i];
      assert_matches_ref (luma, 1, 0, ref[0], tw, th);
      for (int chan = 0; chan < 3; chan++)
        g_free (ref[chan]);
      ink_value_free (bgra);
      ink_value_free (luma);
    }

    g_free (gray);
    g_free (rgba);
  }
}

/* Crop and scale modes */

static void
test_aspect_fit (void)
{
  /* Wide 8x4 into 4x4: content 4x2 in rows 1-2, rows 0 and 3 padded. */
  guint8 wide[8 * 4];
  guint8 tall[4 * 8];
  guint8 rgba[6 * 2 * 4];
  InkValue *out;
  const guint8 *px;

  for (int i = 0; i < 8 * 4; i++) {
    wide[i] = (guint8) (i * 7);
    tall[i] = (guint8) (i * 7);
  }
  out = convert (INK_PIXEL_GRAY8, 8, 4, wide, INK_PIXEL_GRAY8, 4, 4, INK_ASPECT_FIT, 9);
  px = ink_value_image_pixels (out);
  for (int x = 0; x < 4; x++) {
    g_assert_cmpuint (px[x], ==, 9);
    g_assert_cmpuint (px[12 + x], ==, 9);
    for (int r = 0; r < 2; r++) {
      /* Mean of the 2x2 block at source (2x, 2r). */
      int s = (2 * r) * 8 + 2 * x;
      double mean = (wide[s] + wide[s + 1] + wide[s + 8] + wide[s + 9]) / 4.0;

      g_assert_cmpuint (px[(1 + r) * 4 + x], ==, (guint) floor (mean + 0.5));
    }
  }
  ink_value_free (out);

  /* Tall 4x8 into 4x4: content 2x4 in columns 1-2. */
  out = convert (INK_PIXEL_GRAY8, 4, 8, tall, INK_PIXEL_GRAY8, 4, 4, INK_ASPECT_FIT, 200);
  px = ink_value_image_pixels (out);
  for (int y = 0; y < 4; y++) {
    g_assert_cmpuint (px[y * 4], ==, 200);
    g_assert_cmpuint (px[y * 4 + 3], ==, 200);
    for (int c = 0; c < 2; c++) {
      int s = (2 * y) * 4 + 2 * c;
      double mean = (tall[s] + tall[s + 1] + tall[s + 4] + tall[s + 5]) / 4.0;

      g_assert_cmpuint (px[y * 4 + 1 + c], ==, (guint) floor (mean + 0.5));
    }
  }
  ink_value_free (out);

  /* Colour 6x2 into 3x3 BGRA: content 3x1 in row 1, padding opaque gray. */
  fill_bytes (rgba, sizeof rgba, 3);
  out = convert (INK_PIXEL_RGBA8, 6, 2, rgba, INK_PIXEL_BGRA8, 3, 3, INK_ASPECT_FIT, 77);
  px = ink_value_image_pixels (out);
  for (int y = 0; y < 3; y += 2)
    for (int x = 0; x < 3; x++) {
      const guint8 *p = px + (y * 3 + x) * 4;

      g_assert_cmpuint (p[0], ==, 77);
      g_assert_cmpuint (p[1], ==, 77);
      g_assert_cmpuint (p[2], ==, 77);
      g_assert_cmpuint (p[3], ==, 255);
    }
  for (int x = 0; x < 3; x++) {
    const guint8 *p = px + (3 + x) * 4;

    for (int chan = 0; chan < 3; chan++) {
      /* BGRA byte chan holds RGBA channel 2 - chan. */
      int rc = 2 - chan;
      double mean = (rgba[(2 * x) * 4 + rc] + rgba[(2 * x + 1) * 4 + rc] +
                     rgba[(6 + 2 * x) * 4 + rc] + rgba[(6 + 2 * x + 1) * 4 + rc]) /
                    4.0;

      g_assert_cmpfloat (fabs (p[chan] - mean), <=, 0.5 + 1e-3);
    }
    g_assert_cmpuint (p[3], ==, 255);
  }
  ink_value_free (out);
}

static void
test_center_crop (void)
{
  guint8 wide[8 * 4];
  guint8 tall[4 * 8];
  guint8 big[12 * 6];
  InkValue *out;
  const guint8 *px;

  fill_bytes (wide, sizeof wide, 4);
  fill_bytes (tall, sizeof tall, 5);
  fill_bytes (big, sizeof big, 6);

  /* 8x4 into 4x4 at scale 1: exactly columns 2-5. */
  out = convert (INK_PIXEL_GRAY8, 8, 4, wide, INK_PIXEL_GRAY8, 4, 4, INK_CENTER_CROP, 0);
  px = ink_value_image_pixels (out);
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 4; x++)
      g_assert_cmpuint (px[y * 4 + x], ==, wide[y * 8 + 2 + x]);
  ink_value_free (out);

  /* 4x8 into 4x4: exactly rows 2-5. */
  out = convert (INK_PIXEL_GRAY8, 4, 8, tall, INK_PIXEL_GRAY8, 4, 4, INK_CENTER_CROP, 0);
  px = ink_value_image_pixels (out);
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 4; x++)
      g_assert_cmpuint (px[y * 4 + x], ==, tall[(2 + y) * 4 + x]);
  ink_value_free (out);

  /* 12x6 into 2x2: the centre 6x6 (columns 3-8), each output the mean of a
   * 3x3 block. */
  out = convert (INK_PIXEL_GRAY8, 12, 6, big, INK_PIXEL_GRAY8, 2, 2, INK_CENTER_CROP, 0);
  px = ink_value_image_pixels (out);
  for (int by = 0; by < 2; by++)
    for (int bx = 0; bx < 2; bx++) {
      double sum = 0;

      for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++)
          sum += big[(by * 3 + y) * 12 + 3 + bx * 3 + x];
      g_assert_cmpfloat (fabs (px[by * 2 + bx] - sum / 9), <=, 0.5 + 1e-3);
    }
  ink_value_free (out);

  /* Scale fill, by contrast, squeezes the whole width. */
  out = convert (INK_PIXEL_GRAY8, 8, 4, wide, INK_PIXEL_GRAY8, 4, 4, INK_SCALE_FILL, 0);
  px = ink_value_image_pixels (out);
  g_assert_cmpfloat (fabs (px[0] - (wide[0] + wide[1]) / 2.0), <=, 0.5 + 1e-3);
  ink_value_free (out);
}

/* Pixel formats */

static void
test_luma (void)
{
  guint8 rgba[] = {255, 0, 0, 0, 0, 255, 0, 17, 0, 0, 255, 255, 10, 20, 30, 99};
  guint8 bgra[sizeof rgba];
  /* 0.299 * 255 = 76.2, 0.587 * 255 = 149.7, 0.114 * 255 = 29.1,
   * 0.299 * 10 + 0.587 * 20 + 0.114 * 30 = 18.15 */
  guint8 expected[] = {76, 150, 29, 18};
  guint8 random[16 * 16 * 4];
  InkValue *out;

  for (size_t i = 0; i < sizeof rgba; i += 4) {
    bgra[i] = rgba[i + 2];
    bgra[i + 1] = rgba[i + 1];
    bgra[i + 2] = rgba[i];
    bgra[i + 3] = rgba[i + 3];
  }
  out = convert (INK_PIXEL_RGBA8, 4, 1, rgba, INK_PIXEL_GRAY8, 4, 1, INK_SCALE_FILL, 0);
  assert_pixels (out, expected, sizeof expected);
  ink_value_free (out);
  out = convert (INK_PIXEL_BGRA8, 4, 1, bgra, INK_PIXEL_GRAY8, 4, 1, INK_SCALE_FILL, 0);
  assert_pixels (out, expected, sizeof expected);
  ink_value_free (out);

  fill_bytes (random, sizeof random, 7);
  out = convert (INK_PIXEL_RGBA8, 16, 16, random, INK_PIXEL_GRAY8, 16, 16, INK_SCALE_FILL, 0);
  for (int i = 0; i < 256; i++) {
    const guint8 *p = random + 4 * i;
    double y = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];

    g_assert_cmpfloat (fabs (ink_value_image_pixels (out)[i] - y), <=, 0.5 + 1e-3);
  }
  ink_value_free (out);
}

static void
test_format_swaps (void)
{
  guint8 rgba[] = {1, 2, 3, 4, 250, 251, 252, 0};
  guint8 as_bgra[] = {3, 2, 1, 255, 252, 251, 250, 255};
  guint8 as_rgba[] = {1, 2, 3, 255, 250, 251, 252, 255};
  guint8 gray[] = {0, 128, 255};
  guint8 gray_rgba[] = {0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255};
  InkValue *out;

  out = convert (INK_PIXEL_RGBA8, 2, 1, rgba, INK_PIXEL_BGRA8, 2, 1, INK_SCALE_FILL, 0);
  assert_pixels (out, as_bgra, sizeof as_bgra);
  ink_value_free (out);
  /* The same bytes read as BGRA come out swapped as RGBA. */
  out = convert (INK_PIXEL_BGRA8, 2, 1, rgba, INK_PIXEL_RGBA8, 2, 1, INK_SCALE_FILL, 0);
  assert_pixels (out, as_bgra, sizeof as_bgra);
  ink_value_free (out);
  out = convert (INK_PIXEL_BGRA8, 2, 1, rgba, INK_PIXEL_BGRA8, 2, 1, INK_SCALE_FILL, 0);
  assert_pixels (out, as_rgba, sizeof as_rgba);
  ink_value_free (out);

  out = convert (INK_PIXEL_GRAY8, 3, 1, gray, INK_PIXEL_RGBA8, 3, 1, INK_SCALE_FILL, 0);
  assert_pixels (out, gray_rgba, sizeof gray_rgba);
  ink_value_free (out);
  out = convert (INK_PIXEL_GRAY8, 3, 1, gray, INK_PIXEL_BGRA8, 3, 1, INK_SCALE_FILL, 0);
  assert_pixels (out, gray_rgba, sizeof gray_rgba);
  ink_value_free (out);
}

static void
test_flexible (void)
{
  InkImageSize sizes[] = {{28, 28}, {64, 32}};
  InkImageConstraint c = fixed (INK_PIXEL_GRAY8, 28, 28);
  guint8 *src = g_malloc (200 * 50 * 4);
  InkValue *out;

  fill_bytes (src, 200 * 50 * 4, 8);

  /* Enumerated: an allowed size is kept (only the format converts). */
  c.n_sizes = G_N_ELEMENTS (sizes);
  c.sizes = sizes;
  out = convert_c (INK_PIXEL_RGBA8, 64, 32, src, &c, INK_ASPECT_FIT, 0);
  g_assert_cmpint (ink_value_image_width (out), ==, 64);
  g_assert_cmpint (ink_value_image_height (out), ==, 32);
  for (int i = 0; i < 64 * 32; i++) {
    const guint8 *p = src + 4 * i;
    double y = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];

    g_assert_cmpfloat (fabs (ink_value_image_pixels (out)[i] - y), <=, 0.5 + 1e-3);
  }
  ink_value_free (out);
  /* A size not listed goes to the default. */
  out = convert_c (INK_PIXEL_RGBA8, 50, 50, src, &c, INK_SCALE_FILL, 0);
  g_assert_cmpint (ink_value_image_width (out), ==, 28);
  g_assert_cmpint (ink_value_image_height (out), ==, 28);
  ink_value_free (out);

  /* Range, unbounded width: 200x50 kept, 10x50 and 50x200 go to default. */
  c = fixed (INK_PIXEL_BGRA8, 28, 28);
  c.has_range = true;
  c.min_width = 16;
  c.max_width = -1;
  c.min_height = 16;
  c.max_height = 100;
  out = convert_c (INK_PIXEL_RGBA8, 200, 50, src, &c, INK_SCALE_FILL, 0);
  g_assert_cmpint (ink_value_image_width (out), ==, 200);
  g_assert_cmpint (ink_value_image_height (out), ==, 50);
  for (int i = 0; i < 200 * 50; i++) {
    g_assert_cmpuint (ink_value_image_pixels (out)[4 * i], ==, src[4 * i + 2]);
    g_assert_cmpuint (ink_value_image_pixels (out)[4 * i + 2], ==, src[4 * i]);
  }
  ink_value_free (out);
  out = convert_c (INK_PIXEL_RGBA8, 10, 50, src, &c, INK_SCALE_FILL, 0);
  g_assert_cmpint (ink_value_image_width (out), ==, 28);
  g_assert_cmpint (ink_value_image_height (out), ==, 28);
  ink_value_free (out);
  out = convert_c (INK_PIXEL_RGBA8, 50, 200, src, &c, INK_SCALE_FILL, 0);
  g_assert_cmpint (ink_value_image_width (out), ==, 28);
  g_assert_cmpint (ink_value_image_height (out), ==, 28);
  ink_value_free (out);

  g_free (src);
}

/* A white canvas with 6-pixel black strokes, as the drawing canvas makes. */
static guint8 *
stroke_canvas (int size)
{
  guint8 *px = g_malloc ((size_t) size * size * 4);

  memset (px, 255, (size_t) size * size * 4);
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++) {
      /* A diagonal band |x - y| <= 4 (6 pixels across), a vertical stroke at
       * x 430-435 (inside output column 21) and one at x 477-482 (split
       * between columns 23 and 24). */
      if (abs (x - y) <= 4 || (x >= 430 && x < 436) || (x >= 477 && x < 483)) {
        guint8 *p = px + ((size_t) y * size + x) * 4;

        p[0] = p[1] = p[2] = 0;
      }
    }
  return px;
}

static void
test_thin_stroke (void)
{
  guint8 *canvas = stroke_canvas (560);
  InkValue *out;
  const guint8 *px;
  gint64 start, elapsed;
  const int reps = 200;

  out = convert (INK_PIXEL_BGRA8, 560, 560, canvas, INK_PIXEL_GRAY8, 28, 28, INK_SCALE_FILL, 0);
  px = ink_value_image_pixels (out);
  for (int y = 0; y < 28; y++) {
    /* Every cell on the diagonal is clearly dark. */
    g_assert_cmpuint (px[y * 28 + y], <, 200);
    g_assert_cmpuint (px[y * 28 + 21], <, 200);
    g_assert_cmpuint (px[y * 28 + 23], <, 230);
    g_assert_cmpuint (px[y * 28 + 24], <, 230);
    /* Away from the diagonal: 6 of 20 columns give 255 * 14 / 20 = 178.5;
     * split 3 and 3, 255 * 17 / 20 = 216.75, still visible. */
    if (abs (y - 21) > 1)
      g_assert_cmpuint (px[y * 28 + 21], ==, 179);
    if (abs (y - 23) > 1 && abs (y - 24) > 1) {
      g_assert_cmpuint (px[y * 28 + 23], ==, 217);
      g_assert_cmpuint (px[y * 28 + 24], ==, 217);
    }
    /* The background stays white. */
    for (int x = 0; x < 28; x++) {
      if (abs (x - y) > 1 && x != 21 && x != 23 && x != 24)
        g_assert_cmpuint (px[y * 28 + x], ==, 255);
    }
  }
  ink_value_free (out);

  /* Timing for the record (not asserted tightly: sanitizers are slow). */
  start = g_get_monotonic_time ();
  for (int i = 0; i < reps; i++) {
    out = convert (INK_PIXEL_BGRA8, 560, 560, canvas, INK_PIXEL_GRAY8, 28, 28, INK_SCALE_FILL, 0);
    ink_value_free (out);
  }
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("560x560 BGRA -> 28x28 gray: %.1f us per conversion", (double) elapsed / reps);
  g_assert_cmpint (elapsed / reps, <, 50000);
  g_free (canvas);
}

static void
test_errors (void)
{
  guint8 px[16] = {0};
  InkImageConstraint c = fixed (INK_PIXEL_GRAY8, 28, 28);
  InkError err = {0};
  InkValue *out = (InkValue *) 0x1;
  InkValue *num;
  InkImageOptions bad_mode = {.crop_scale = (InkCropScale) 42};

  /* Bad constraints */
  c.width = 0;
  g_assert_cmpint (ink_image_convert (INK_PIXEL_GRAY8, 4, 4, 4, px, &c, NULL, &out, &err), ==,
                   INK_ERR_IMAGE);
  g_assert_null (out);
  g_assert_cmpint (err.status, ==, INK_ERR_IMAGE);
  g_assert_nonnull (strstr (err.message, "constraint"));
  c = fixed (INK_PIXEL_GRAY8, 28, -3);
  g_assert_cmpint (ink_image_convert (INK_PIXEL_GRAY8, 4, 4, 4, px, &c, NULL, &out, &err), ==,
                   INK_ERR_IMAGE);
  /* Too large to allocate sensibly: a corrupt model, not a request. */
  c = fixed (INK_PIXEL_GRAY8, 100000, 100000);
  g_assert_cmpint (ink_image_convert (INK_PIXEL_GRAY8, 4, 4, 4, px, &c, NULL, &out, &err), ==,
                   INK_ERR_IMAGE);
  c = fixed ((InkPixelFormat) 9, 28, 28);
  ink_error_clear (&err);
  g_assert_cmpint (ink_image_convert (INK_PIXEL_GRAY8, 4, 4, 4, px, &c, NULL, &out, &err), ==,
                   INK_ERR_IMAGE);
  g_assert_nonnull (strstr (err.message, "format"));

  /* Bad sources */
  c = fixed (INK_PIXEL_GRAY8, 28, 28);
  g_assert_cmpint (ink_image_convert (INK_PIXEL_GRAY8, 4, 4, 4, NULL, &c, NULL, &out, &err), ==,
                   INK_ERR_IMAGE);
  g_assert_cmpint (ink_image_convert (INK_PIXEL_GRAY8, 0, 4, 4, px, &c, NULL, &out, &err), ==,
                   INK_ERR_IMAGE);
  g_assert_cmpint (ink_image_convert (INK_PIXEL_GRAY8, 4, -1, 4, px, &c, NULL, &out, &err), ==,
                   INK_ERR_IMAGE);
  ink_error_clear (&err);
  g_assert_cmpint (ink_image_convert (INK_PIXEL_RGBA8, 4, 1, 15, px, &c, NULL, &out, &err), ==,
                   INK_ERR_IMAGE);
  g_assert_nonnull (strstr (err.message, "stride"));
  g_assert_cmpint (ink_image_convert ((InkPixelFormat) 7, 4, 1, 16, px, &c, NULL, &out, &err), ==,
                   INK_ERR_IMAGE);
  g_assert_null (out);
  /* NULL err is allowed. */
  g_assert_cmpint (ink_image_convert (INK_PIXEL_GRAY8, 4, 4, 4, NULL, &c, NULL, &out, NULL), ==,
                   INK_ERR_IMAGE);

  /* Misuse */
  g_assert_cmpint (ink_image_convert (INK_PIXEL_GRAY8, 4, 4, 4, px, NULL, NULL, &out, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (ink_image_convert (INK_PIXEL_GRAY8, 4, 4, 4, px, &c, &bad_mode, &out, &err), ==,
                   INK_ERR_INVALID_ARGUMENT);
  num = ink_value_new_double (1.0);
  g_assert_cmpint (ink_image_convert_value (num, &c, NULL, &out, &err), ==, INK_ERR_TYPE_MISMATCH);
  g_assert_null (out);
  ink_value_free (num);
}

static void
test_convert_value (void)
{
  guint8 src[4 * 4 * 4];
  InkValue *img, *out = NULL;
  InkImageConstraint c = fixed (INK_PIXEL_GRAY8, 2, 2);
  InkError err = {0};

  for (int i = 0; i < 16; i++) {
    src[4 * i] = src[4 * i + 1] = src[4 * i + 2] = (guint8) (i * 10);
    src[4 * i + 3] = 255;
  }
  img = ink_value_new_image (INK_PIXEL_RGBA8, 4, 4, 16, src);
  ink_assert_ok (ink_image_convert_value (img, &c, NULL, &out, &err), &err);
  g_assert_cmpint (ink_value_image_width (out), ==, 2);
  /* Means of 2x2 blocks of gray values 10 i. */
  g_assert_cmpuint (ink_value_image_pixels (out)[0], ==, 25);  /* 0 10 40 50 */
  g_assert_cmpuint (ink_value_image_pixels (out)[3], ==, 125); /* 100 110 140 150 */
  ink_value_free (out);
  ink_value_free (img);
}

/* Files */

static char *
write_temp (const char *dir, const char *name, const void *data, gsize size)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, data, (gssize) size, &error);
  g_assert_no_error (error);
  return path;
}

/* Encodes a PNG with libpng directly. rows holds height rows of
 * rowbytes; depth 16 samples are big-endian as PNG stores them. */
static guint8 *
encode_png (int w, int h, int color_type, int depth, int interlace, const guint8 *data,
            size_t rowbytes, const png_color *palette, int n_palette, const guint8 *trns,
            int n_trns, gsize *size)
{
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  png_bytep *rows = g_new (png_bytep, h);

  g_assert_nonnull (f);
  if (setjmp (png_jmpbuf (png)))
    g_error ("test PNG encoding failed");
  png_init_io (png, f);
  png_set_IHDR (png, info, (png_uint_32) w, (png_uint_32) h, depth, color_type, interlace,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (palette != NULL)
    png_set_PLTE (png, info, palette, n_palette);
  if (trns != NULL)
    png_set_tRNS (png, info, trns, n_trns, NULL);
  png_write_info (png, info);
  for (int y = 0; y < h; y++)
    rows[y] = (png_bytep) (data + (size_t) y * rowbytes);
  png_write_image (png, rows);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  fclose (f);
  g_free (rows);
  *size = len;
  return (guint8 *) buf;
}

static InkValue *
load_ok (const guint8 *data, gsize size)
{
  InkError err = {0};
  InkValue *v = NULL;

  ink_assert_ok (ink_image_load_memory (data, size, &v, &err), &err);
  g_assert_cmpint (ink_value_image_format (v), ==, INK_PIXEL_RGBA8);
  return v;
}

static void
assert_rgba (const InkValue *v, int x, int y, int r, int g, int b, int tol)
{
  const guint8 *p = ink_value_image_pixels (v) + ((size_t) y * ink_value_image_width (v) + x) * 4;

  if (abs (p[0] - r) > tol || abs (p[1] - g) > tol || abs (p[2] - b) > tol || p[3] != 255)
    g_error ("pixel (%d,%d) is %u,%u,%u,%u; expected %d,%d,%d,255 (tolerance %d)", x, y, p[0], p[1],
             p[2], p[3], r, g, b, tol);
}

static void
test_png_roundtrip (void)
{
  char *dir = ink_test_tmpdir_new ();
  guint8 rgba[13 * 7 * 4], bgra[13 * 7 * 4], gray[13 * 7];
  InkError err = {0};
  InkValue *img, *back = NULL;
  char *path;

  fill_bytes (rgba, sizeof rgba, 11);
  for (size_t i = 3; i < sizeof rgba; i += 4)
    rgba[i] = 255;
  fill_bytes (gray, sizeof gray, 12);

  /* RGBA: identical. */
  path = g_build_filename (dir, "rgba.png", NULL);
  img = ink_value_new_image (INK_PIXEL_RGBA8, 13, 7, 13 * 4, rgba);
  ink_assert_ok (ink_image_save_png (img, path, &err), &err);
  ink_assert_ok (ink_image_load_file (path, &back, &err), &err);
  g_assert_cmpint (ink_value_image_format (back), ==, INK_PIXEL_RGBA8);
  g_assert_cmpint (ink_value_image_width (back), ==, 13);
  g_assert_cmpint (ink_value_image_height (back), ==, 7);
  assert_pixels (back, rgba, sizeof rgba);
  ink_value_free (back);
  ink_value_free (img);
  g_free (path);

  /* BGRA comes back as the same colours in RGBA order. */
  for (size_t i = 0; i < sizeof rgba; i += 4) {
    bgra[i] = rgba[i + 2];
    bgra[i + 1] = rgba[i + 1];
    bgra[i + 2] = rgba[i];
    bgra[i + 3] = 255;
  }
  path = g_build_filename (dir, "bgra.png", NULL);
  img = ink_value_new_image (INK_PIXEL_BGRA8, 13, 7, 13 * 4, bgra);
  ink_assert_ok (ink_image_save_png (img, path, &err), &err);
  ink_assert_ok (ink_image_load_file (path, &back, &err), &err);
  assert_pixels (back, rgba, sizeof rgba);
  ink_value_free (back);
  ink_value_free (img);
  g_free (path);

  /* Gray comes back replicated; the extension does not matter. */
  path = g_build_filename (dir, "gray.jpg", NULL);
  img = ink_value_new_image (INK_PIXEL_GRAY8, 13, 7, 13, gray);
  ink_assert_ok (ink_image_save_png (img, path, &err), &err);
  ink_assert_ok (ink_image_load_file (path, &back, &err), &err);
  for (int i = 0; i < 13 * 7; i++)
    assert_rgba (back, i % 13, i / 13, gray[i], gray[i], gray[i], 0);
  ink_value_free (back);
  ink_value_free (img);
  g_free (path);

  /* An unwritable path is an I/O error. */
  img = ink_value_new_image (INK_PIXEL_GRAY8, 13, 7, 13, gray);
  path = g_build_filename (dir, "no-such-folder", "x.png", NULL);
  g_assert_cmpint (ink_image_save_png (img, path, &err), ==, INK_ERR_IO);
  g_assert_cmpstr (err.message, !=, "");
  ink_value_free (img);
  g_free (path);

  ink_test_tmpdir_free (dir);
}

static void
test_png_kinds (void)
{
  gsize size;
  guint8 *png;
  InkValue *v;

  /* 8-bit gray */
  {
    guint8 px[] = {0, 64, 128, 255};

    png =
      encode_png (2, 2, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, px, 2, NULL, 0, NULL, 0, &size);
    v = load_ok (png, size);
    assert_rgba (v, 0, 0, 0, 0, 0, 0);
    assert_rgba (v, 1, 0, 64, 64, 64, 0);
    assert_rgba (v, 0, 1, 128, 128, 128, 0);
    assert_rgba (v, 1, 1, 255, 255, 255, 0);
    ink_value_free (v);
    free (png);
  }
  /* 2-bit gray: levels 0..3 are 0, 85, 170, 255. */
  {
    guint8 px[] = {0x1B}; /* 00 01 10 11 */

    png =
      encode_png (4, 1, PNG_COLOR_TYPE_GRAY, 2, PNG_INTERLACE_NONE, px, 1, NULL, 0, NULL, 0, &size);
    v = load_ok (png, size);
    assert_rgba (v, 0, 0, 0, 0, 0, 0);
    assert_rgba (v, 1, 0, 85, 85, 85, 0);
    assert_rgba (v, 2, 0, 170, 170, 170, 0);
    assert_rgba (v, 3, 0, 255, 255, 255, 0);
    ink_value_free (v);
    free (png);
  }
  /* 4-bit palette with a transparent entry 0 (over white) and a half
   * transparent entry 2. */
  {
    png_color pal[] = {{1, 2, 3}, {10, 20, 30}, {0, 0, 0}};
    guint8 trns[] = {0, 255, 128};
    guint8 px[] = {0x01, 0x20}; /* 0 1 2 0 */

    png = encode_png (4, 1, PNG_COLOR_TYPE_PALETTE, 4, PNG_INTERLACE_NONE, px, 2, pal, 3, trns, 3,
                      &size);
    v = load_ok (png, size);
    assert_rgba (v, 0, 0, 255, 255, 255, 0);
    assert_rgba (v, 1, 0, 10, 20, 30, 0);
    assert_rgba (v, 2, 0, 127, 127, 127, 0); /* 255 * 127 / 255 */
    assert_rgba (v, 3, 0, 255, 255, 255, 0);
    ink_value_free (v);
    free (png);
  }
  /* 16-bit RGB, big-endian samples: about the high byte. */
  {
    guint8 px[] = {0xFF, 0xFF, 0x00, 0x00, 0x80, 0x80, 0x12, 0x34, 0xAB, 0xCD, 0x00, 0xFF};

    png = encode_png (2, 1, PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_NONE, px, 12, NULL, 0, NULL, 0,
                      &size);
    v = load_ok (png, size);
    assert_rgba (v, 0, 0, 255, 0, 128, 0);
    assert_rgba (v, 1, 0, 0x12, 0xAB, 1, 1);
    ink_value_free (v);
    free (png);
  }
  /* 16-bit gray + alpha, half transparent: over white. */
  {
    guint8 px[] = {0x64, 0x64, 0x80, 0x80};

    png = encode_png (1, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 16, PNG_INTERLACE_NONE, px, 4, NULL, 0, NULL,
                      0, &size);
    v = load_ok (png, size);
    /* Gray 100, alpha 128: 100 * 128 / 255 + 255 * 127 / 255 = 177.2 */
    assert_rgba (v, 0, 0, 177, 177, 177, 1);
    ink_value_free (v);
    free (png);
  }
  /* 8-bit RGBA translucency over white. */
  {
    guint8 px[] = {0, 0, 0, 128, 255, 0, 0, 0, 200, 100, 50, 255, 100, 100, 100, 128};
    double a = 128 / 255.0;

    png = encode_png (4, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_NONE, px, 16, NULL, 0, NULL,
                      0, &size);
    v = load_ok (png, size);
    assert_rgba (v, 0, 0, 127, 127, 127, 0);
    assert_rgba (v, 1, 0, 255, 255, 255, 0);
    assert_rgba (v, 2, 0, 200, 100, 50, 0);
    {
      int e = (int) floor (100 * a + 255 * (1 - a) + 0.5);

      assert_rgba (v, 3, 0, e, e, e, 0);
    }
    ink_value_free (v);
    free (png);
  }
  /* Interlaced RGB decodes like the plain one. */
  {
    guint8 px[9 * 9 * 3];

    fill_bytes (px, sizeof px, 13);
    png = encode_png (9, 9, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7, px, 27, NULL, 0, NULL, 0,
                      &size);
    v = load_ok (png, size);
    for (int i = 0; i < 81; i++)
      assert_rgba (v, i % 9, i / 9, px[3 * i], px[3 * i + 1], px[3 * i + 2], 0);
    ink_value_free (v);
    free (png);
  }
}

static guint8 *
encode_jpeg (const guint8 *px, int w, int h, int components, gboolean progressive, gsize *size)
{
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr e;
  unsigned char *buf = NULL;
  unsigned long n = 0;

  c.err = jpeg_std_error (&e);
  jpeg_create_compress (&c);
  jpeg_mem_dest (&c, &buf, &n);
  c.image_width = (JDIMENSION) w;
  c.image_height = (JDIMENSION) h;
  c.input_components = components;
  c.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults (&c);
  jpeg_set_quality (&c, 95, TRUE);
  /* No chroma subsampling, so solid colour blocks stay exact-ish. */
  c.comp_info[0].h_samp_factor = 1;
  c.comp_info[0].v_samp_factor = 1;
  if (progressive)
    jpeg_simple_progression (&c);
  jpeg_start_compress (&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = (JSAMPROW) (px + (size_t) c.next_scanline * w * components);

    jpeg_write_scanlines (&c, &row, 1);
  }
  jpeg_finish_compress (&c);
  jpeg_destroy_compress (&c);
  *size = n;
  return buf;
}

/* 32x32 with four solid 16x16 quadrants. */
static const guint8 quadrant_rgb[4][3] = {
  {200, 30, 40}, {20, 180, 60}, {30, 40, 220}, {128, 128, 128}};

static guint8 *
quadrants (int components)
{
  guint8 *px = g_malloc (32 * 32 * components);

  for (int y = 0; y < 32; y++)
    for (int x = 0; x < 32; x++) {
      const guint8 *q = quadrant_rgb[(y / 16) * 2 + x / 16];
      guint8 *p = px + (y * 32 + x) * components;

      if (components == 1)
        p[0] = q[0];
      else
        memcpy (p, q, 3);
    }
  return px;
}

static void
test_jpeg (void)
{
  char *dir = ink_test_tmpdir_new ();
  guint8 *rgb = quadrants (3), *gray = quadrants (1);
  InkError err = {0};
  gsize size;
  guint8 *jpg;
  InkValue *v = NULL;
  char *path;

  for (int progressive = 0; progressive < 2; progressive++) {
    jpg = encode_jpeg (rgb, 32, 32, 3, progressive, &size);
    /* From a file named .png: detection is by content. */
    path = write_temp (dir, "colour.png", jpg, size);
    ink_assert_ok (ink_image_load_file (path, &v, &err), &err);
    g_assert_cmpint (ink_value_image_format (v), ==, INK_PIXEL_RGBA8);
    g_assert_cmpint (ink_value_image_width (v), ==, 32);
    g_assert_cmpint (ink_value_image_height (v), ==, 32);
    for (int q = 0; q < 4; q++) {
      int cx = (q % 2) * 16 + 8, cy = (q / 2) * 16 + 8;

      assert_rgba (v, cx, cy, quadrant_rgb[q][0], quadrant_rgb[q][1], quadrant_rgb[q][2], 6);
    }
    ink_value_free (v);
    g_free (path);
    free (jpg);

    jpg = encode_jpeg (gray, 32, 32, 1, progressive, &size);
    v = load_ok (jpg, size);
    for (int q = 0; q < 4; q++) {
      int cx = (q % 2) * 16 + 8, cy = (q / 2) * 16 + 8;
      int g = quadrant_rgb[q][0];

      assert_rgba (v, cx, cy, g, g, g, 3);
    }
    ink_value_free (v);
    free (jpg);
  }
  g_free (rgb);
  g_free (gray);
  ink_test_tmpdir_free (dir);
}

static guint32
png_crc (const guint8 *p, size_t n)
{
  guint32 c = 0xFFFFFFFFu;

  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

static void
expect_image_error (const guint8 *data, gsize size, const char *what)
{
  InkError err = {0};
  InkValue *v = (InkValue *) 0x1;
  InkStatus st = ink_image_load_memory (data, size, &v, &err);

  if (st != INK_ERR_IMAGE)
    g_error ("%s: expected an image error, got %s (%s)", what, ink_status_to_string (st),
             err.message);
  g_assert_null (v);
  g_assert_cmpint (err.status, ==, INK_ERR_IMAGE);
  g_assert_cmpstr (err.message, !=, "");
}

static void
test_corrupt (void)
{
  guint8 rgb[16 * 16 * 3];
  guint8 garbage[300];
  gsize png_size, jpg_size;
  guint8 *png, *jpg, *copy;
  GRand *rand = g_rand_new_with_seed (99);
  InkError err = {0};
  InkValue *v = NULL;

  fill_bytes (rgb, sizeof rgb, 14);
  png = encode_png (16, 16, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, rgb, 48, NULL, 0, NULL, 0,
                    &png_size);
  jpg = encode_jpeg (rgb, 16, 16, 3, FALSE, &jpg_size);

  /* Every truncation of a PNG and of a JPEG fails cleanly. */
  for (gsize n = 0; n < png_size; n++) {
    copy = g_memdup2 (png, n); /* exact-size copy, so ASan sees overreads */
    expect_image_error (copy, n, "truncated PNG");
    g_free (copy);
  }
  for (gsize n = 0; n < jpg_size; n++) {
    copy = g_memdup2 (jpg, n);
    expect_image_error (copy, n, "truncated JPEG");
    g_free (copy);
  }
  ink_value_free (load_ok (png, png_size));
  ink_value_free (load_ok (jpg, jpg_size));

  /* Garbage, alone and behind valid signatures. */
  fill_bytes (garbage, sizeof garbage, 15);
  garbage[0] = 'G';
  expect_image_error (garbage, sizeof garbage, "garbage");
  memcpy (garbage, png, 8);
  expect_image_error (garbage, sizeof garbage, "PNG signature and garbage");
  memcpy (garbage, jpg, 3);
  expect_image_error (garbage, sizeof garbage, "JPEG signature and garbage");
  expect_image_error ((const guint8 *) "GIF89a", 6, "GIF");

  /* Random byte flips never crash; the result is an image or an error. */
  for (int round = 0; round < 300; round++) {
    gboolean is_png = round % 2 == 0;
    gsize size = is_png ? png_size : jpg_size;
    InkStatus st;

    copy = g_memdup2 (is_png ? png : jpg, size);
    for (int k = 0; k < 4; k++) {
      gsize at = (gsize) g_rand_int_range (rand, is_png ? 8 : 3, (gint32) size);

      copy[at] = (guint8) g_rand_int_range (rand, 0, 256);
    }
    st = ink_image_load_memory (copy, size, &v, &err);
    g_assert_true (st == INK_OK || st == INK_ERR_IMAGE);
    g_assert_true ((st == INK_OK) == (v != NULL));
    ink_value_free (v);
    v = NULL;
    g_free (copy);
  }

  /* Oversized headers are refused before decoding: PNG 20000 wide (over the
   * side limit) and 12000x12000 (over the pixel limit), JPEG 12000x12000. */
  copy = g_memdup2 (png, png_size);
  put_be32 (copy + 16, 20000);
  put_be32 (copy + 29, png_crc (copy + 12, 17));
  expect_image_error (copy, png_size, "PNG too wide");
  put_be32 (copy + 16, 12000);
  put_be32 (copy + 20, 12000);
  put_be32 (copy + 29, png_crc (copy + 12, 17));
  expect_image_error (copy, png_size, "PNG too many pixels");
  g_free (copy);

  copy = g_memdup2 (jpg, jpg_size);
  for (gsize i = 2; i + 9 < jpg_size; i++) {
    if (copy[i] == 0xFF && copy[i + 1] == 0xC0) {
      copy[i + 5] = 12000 >> 8; /* height */
      copy[i + 6] = 12000 & 0xFF;
      copy[i + 7] = 12000 >> 8; /* width */
      copy[i + 8] = 12000 & 0xFF;
      break;
    }
  }
  expect_image_error (copy, jpg_size, "JPEG too many pixels");
  g_free (copy);

  g_rand_free (rand);
  free (png);
  free (jpg);
}

static void
test_files (void)
{
  char *dir = ink_test_tmpdir_new ();
  char *missing = g_build_filename (dir, "missing.png", NULL);
  char *empty = write_temp (dir, "empty.png", "", 0);
  char *text = write_temp (dir, "text.png", "hello, not an image\n", 20);
  InkError err = {0};
  InkValue *v = (InkValue *) 0x1;

  g_assert_cmpint (ink_image_load_file (missing, &v, &err), ==, INK_ERR_IO);
  g_assert_null (v);
  g_assert_nonnull (strstr (err.message, "missing.png"));
  g_assert_cmpint (ink_image_load_file (dir, &v, &err), ==, INK_ERR_IO);
  g_assert_cmpint (ink_image_load_file (empty, &v, &err), ==, INK_ERR_IMAGE);
  g_assert_cmpint (ink_image_load_file (text, &v, &err), ==, INK_ERR_IMAGE);
  g_assert_nonnull (strstr (err.message, "text.png"));
  g_assert_null (v);

  g_free (missing);
  g_free (empty);
  g_free (text);
  ink_test_tmpdir_free (dir);
}

/* A decoded photo-like file converted the way prediction does. */
static void
test_load_and_convert (void)
{
  guint8 *rgb = quadrants (3);
  gsize size;
  guint8 *jpg = encode_jpeg (rgb, 32, 32, 3, FALSE, &size);
  InkValue *img = load_ok (jpg, size), *out = NULL;
  InkImageConstraint c = fixed (INK_PIXEL_GRAY8, 2, 2);
  InkError err = {0};

  ink_assert_ok (ink_image_convert_value (img, &c, NULL, &out, &err), &err);
  for (int q = 0; q < 4; q++) {
    const guint8 *k = quadrant_rgb[q];
    double y = 0.299 * k[0] + 0.587 * k[1] + 0.114 * k[2];

    g_assert_cmpfloat (fabs (ink_value_image_pixels (out)[q] - y), <=, 4);
  }
  ink_value_free (out);
  ink_value_free (img);
  free (jpg);
  g_free (rgb);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/options-default", test_options_default);
  g_test_add_func ("/image/constraint-allows", test_constraint_allows);
  g_test_add_func ("/image/copy-same-size", test_copy_same_size);
  g_test_add_func ("/image/stride", test_stride);
  g_test_add_func ("/image/area-4x4-to-2x2", test_area_4x4_to_2x2);
  g_test_add_func ("/image/area-3x3-to-2x2", test_area_3x3_to_2x2);
  g_test_add_func ("/image/bilinear-2x2-to-4x4", test_bilinear_2x2_to_4x4);
  g_test_add_func ("/image/against-reference", test_against_reference);
  g_test_add_func ("/image/aspect-fit", test_aspect_fit);
  g_test_add_func ("/image/center-crop", test_center_crop);
  g_test_add_func ("/image/luma", test_luma);
  g_test_add_func ("/image/format-swaps", test_format_swaps);
  g_test_add_func ("/image/flexible", test_flexible);
  g_test_add_func ("/image/thin-stroke", test_thin_stroke);
  g_test_add_func ("/image/errors", test_errors);
  g_test_add_func ("/image/convert-value", test_convert_value);
  g_test_add_func ("/image/png-roundtrip", test_png_roundtrip);
  g_test_add_func ("/image/png-kinds", test_png_kinds);
  g_test_add_func ("/image/jpeg", test_jpeg);
  g_test_add_func ("/image/corrupt", test_corrupt);
  g_test_add_func ("/image/files", test_files);
  g_test_add_func ("/image/load-and-convert", test_load_and_convert);
  return g_test_run ();
}

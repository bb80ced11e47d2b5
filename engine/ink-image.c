/* ink-image.c: pixel conversion to an image constraint
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ink-util-private.h"

/* The largest default size a constraint may ask for, as for decoded files:
 * a corrupt model must not make us allocate gigabytes. */
#define MAX_SIDE 16384
#define MAX_PIXELS 100000000

InkImageOptions
ink_image_options_default (void)
{
  InkImageOptions o = {.crop_scale = INK_SCALE_FILL, .pad_value = 0};

  return o;
}

bool
ink_image_constraint_allows (const InkImageConstraint *c, int64_t width, int64_t height)
{
  if (c == NULL || width <= 0 || height <= 0)
    return false;
  if (c->n_sizes == 0 && !c->has_range)
    return width == c->width && height == c->height;
  for (size_t i = 0; c->sizes != NULL && i < c->n_sizes; i++) {
    if (c->sizes[i].width == width && c->sizes[i].height == height)
      return true;
  }
  if (c->has_range) {
    return width >= c->min_width && (c->max_width < 0 || width <= c->max_width) &&
           height >= c->min_height && (c->max_height < 0 || height <= c->max_height);
  }
  return false;
}

/* A rectangle in pixels. */
typedef struct {
  int x, y, w, h;
} Rect;

/* Resampling weights along one axis: output sample i is the sum over k <
 * count[i] of weight[i * taps + k] * in[start[i] + k]. */
typedef struct {
  int *start;
  int *count;
  float *weight;
  int taps;
} Axis;

static void
axis_clear (Axis *a)
{
  free (a->start);
  memset (a, 0, sizeof *a);
}

static bool
axis_init (Axis *a, int in, int out)
{
  size_t n_weights, bytes;
  double scale = (double) in / out;

  memset (a, 0, sizeof *a);
  a->taps = in == out ? 1 : in < out ? 2 : (in + out - 1) / out + 1;
  if (!ink_size_mul ((size_t) out, (size_t) a->taps, &n_weights) ||
      !ink_size_mul (n_weights, sizeof (float), &bytes) ||
      bytes > SIZE_MAX - 2 * sizeof (int) * (size_t) out)
    return false;
  /* One block: start[out], count[out], weight[out * taps]. */
  a->start = malloc (bytes + 2 * sizeof (int) * (size_t) out);
  if (a->start == NULL)
    return false;
  a->count = a->start + out;
  a->weight = (float *) (a->count + out);

  for (int i = 0; i < out; i++) {
    float *w = a->weight + (size_t) i * a->taps;

    if (in == out) {
      a->start[i] = i;
      a->count[i] = 1;
      w[0] = 1.0f;
    } else if (in > out) {
      /* Area average: the footprint [lo, hi) of output pixel i, with the
       * partly covered source pixels at its ends weighted by coverage. */
      double lo = (double) i * in / out;
      double hi = (double) (i + 1) * in / out;
      int j0 = (int) floor (lo);
      int j1 = (int) ceil (hi);
      int n = 0;

      if (j1 > in)
        j1 = in;
      a->start[i] = j0;
      for (int j = j0; j < j1 && n < a->taps; j++) {
        double cover = fmin (hi, j + 1.0) - fmax (lo, (double) j);

        if (cover <= 1e-9 && n == 0) {
          a->start[i] = j + 1;
          continue;
        }
        w[n++] = (float) (cover / scale);
      }
      a->count[i] = n;
    } else {
      /* Bilinear, pixel centres aligned, clamped at the edges. */
      double s = ((double) i + 0.5) * scale - 0.5;
      int j;

      if (s < 0.0)
        s = 0.0;
      if (s > in - 1)
        s = in - 1;
      j = (int) s;
      if (j >= in - 1) {
        a->start[i] = in - 1;
        a->count[i] = 1;
        w[0] = 1.0f;
      } else {
        a->start[i] = j;
        a->count[i] = 2;
        w[0] = (float) (1.0 - (s - j));
        w[1] = (float) (s - j);
      }
    }
  }
  return true;
}

/* Generic vectors (GCC and Clang) for the per-pixel loops; plain C
 * elsewhere. Each vector loop has a scalar tail doing the same arithmetic. */
#if defined(__has_builtin) && !defined(INK_IMAGE_NO_VECTORS)
#if __has_builtin(__builtin_convertvector)
#define INK_IMAGE_VECTORS 1
typedef float VecF __attribute__ ((vector_size (16)));
typedef int32_t VecI __attribute__ ((vector_size (16)));
#endif
#endif

/* Shift of byte i of a pixel loaded as a 32-bit word. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BYTE_SHIFT(i) (24 - 8 * (i))
#else
#define BYTE_SHIFT(i) (8 * (i))
#endif

/* Source rows become planar float rows: one plane (gray, or luma) or three
 * (R, G, B), each of the row's width. The kind is chosen once per call. */
typedef enum {
  ROW_GRAY,        /* gray source: one plane */
  ROW_RGBA_LUMA,   /* RGBA source, gray output */
  ROW_BGRA_LUMA,   /* BGRA source, gray output */
  ROW_RGBA_PLANES, /* RGBA source, colour output */
  ROW_BGRA_PLANES, /* BGRA source, colour output */
} RowKind;

typedef struct {
  RowKind kind;
  int planes;     /* 1 or 3 */
  size_t src_bpp; /* bytes per source pixel */
  InkPixelFormat to;
} RowConv;

static void
row_conv_init (RowConv *rc, InkPixelFormat from, InkPixelFormat to)
{
  bool bgra = from == INK_PIXEL_BGRA8;

  rc->src_bpp = ink_pixel_format_bytes (from);
  rc->to = to;
  if (from == INK_PIXEL_GRAY8)
    rc->kind = ROW_GRAY;
  else if (to == INK_PIXEL_GRAY8)
    rc->kind = bgra ? ROW_BGRA_LUMA : ROW_RGBA_LUMA;
  else
    rc->kind = bgra ? ROW_BGRA_PLANES : ROW_RGBA_PLANES;
  rc->planes = rc->kind == ROW_RGBA_PLANES || rc->kind == ROW_BGRA_PLANES ? 3 : 1;
}

/* Inlined with constant byte offsets r and b, so each case compiles to its
 * own loop. */
static inline void
luma_row (const uint8_t *restrict src, int n, float *restrict dst, int r, int b)
{
  int x = 0;

  /* Rec. 601 luma; linear, so it commutes with the resampling. */
#ifdef INK_IMAGE_VECTORS
  for (; x + 4 <= n; x += 4) {
    VecI p;
    VecF fr, fg, fb, y;

    memcpy (&p, src + 4 * x, sizeof p);
    fr = __builtin_convertvector((p >> BYTE_SHIFT (r)) & 0xff, VecF);
    fg = __builtin_convertvector((p >> BYTE_SHIFT (1)) & 0xff, VecF);
    fb = __builtin_convertvector((p >> BYTE_SHIFT (b)) & 0xff, VecF);
    y = 0.299f * fr + 0.587f * fg + 0.114f * fb;
    memcpy (dst + x, &y, sizeof y);
  }
#endif
  for (; x < n; x++)
    dst[x] = 0.299f * src[4 * x + r] + 0.587f * src[4 * x + 1] + 0.114f * src[4 * x + b];
}

static inline void
planes_row (const uint8_t *restrict src, int n, float *restrict dst, int r, int b)
{
  float *restrict pr = dst, *restrict pg = dst + n, *restrict pb = dst + 2 * (size_t) n;
  int x = 0;

#ifdef INK_IMAGE_VECTORS
  for (; x + 4 <= n; x += 4) {
    VecI p;
    VecF f;

    memcpy (&p, src + 4 * x, sizeof p);
    f = __builtin_convertvector((p >> BYTE_SHIFT (r)) & 0xff, VecF);
    memcpy (pr + x, &f, sizeof f);
    f = __builtin_convertvector((p >> BYTE_SHIFT (1)) & 0xff, VecF);
    memcpy (pg + x, &f, sizeof f);
    f = __builtin_convertvector((p >> BYTE_SHIFT (b)) & 0xff, VecF);
    memcpy (pb + x, &f, sizeof f);
  }
#endif
  for (; x < n; x++) {
    pr[x] = src[4 * x + r];
    pg[x] = src[4 * x + 1];
    pb[x] = src[4 * x + b];
  }
}

static void
row_convert (const RowConv *rc, const uint8_t *restrict src, int n, float *restrict dst)
{
  switch (rc->kind) {
  case ROW_GRAY:
    for (int x = 0; x < n; x++)
      dst[x] = src[x];
    break;
  case ROW_RGBA_LUMA: luma_row (src, n, dst, 0, 2); break;
  case ROW_BGRA_LUMA: luma_row (src, n, dst, 2, 0); break;
  case ROW_RGBA_PLANES: planes_row (src, n, dst, 0, 2); break;
  case ROW_BGRA_PLANES: planes_row (src, n, dst, 2, 0); break;
  }
}

/* acc = w * r, or acc += w * r. */
static void
row_axpy (float *restrict acc, const float *restrict r, float w, size_t n, bool add)
{
  size_t e = 0;

#ifdef INK_IMAGE_VECTORS
  for (; e + 4 <= n; e += 4) {
    VecF a, v;

    memcpy (&v, r + e, sizeof v);
    if (add) {
      memcpy (&a, acc + e, sizeof a);
      a += w * v;
    } else {
      a = w * v;
    }
    memcpy (acc + e, &a, sizeof a);
  }
#endif
  if (add) {
    for (; e < n; e++)
      acc[e] += w * r[e];
  } else {
    for (; e < n; e++)
      acc[e] = w * r[e];
  }
}

static inline uint8_t
to_u8 (float v)
{
  if (!(v > 0.0f))
    return 0;
  if (v >= 255.0f)
    return 255;
  return (uint8_t) (v + 0.5f);
}

/* Planar floats of n pixels to output pixels. */
static void
row_pack (const RowConv *rc, const float *restrict src, int n, uint8_t *restrict dst)
{
  if (rc->to == INK_PIXEL_GRAY8) {
    for (int x = 0; x < n; x++)
      dst[x] = to_u8 (src[x]);
  } else if (rc->planes == 1) {
    for (int x = 0; x < n; x++, dst += 4) {
      dst[0] = dst[1] = dst[2] = to_u8 (src[x]);
      dst[3] = 255;
    }
  } else {
    const int r = rc->to == INK_PIXEL_BGRA8 ? 2 : 0;
    const float *pr = src, *pg = src + n, *pb = src + 2 * (size_t) n;

    for (int x = 0; x < n; x++, dst += 4) {
      dst[r] = to_u8 (pr[x]);
      dst[1] = to_u8 (pg[x]);
      dst[2 - r] = to_u8 (pb[x]);
      dst[3] = 255;
    }
  }
}

/* One plane: n_out samples from src by the axis weights. */
static void
row_resample (const Axis *ax, const float *restrict src, int n_out, float *restrict dst)
{
  for (int i = 0; i < n_out; i++) {
    const float *w = ax->weight + (size_t) i * ax->taps;
    const float *s = src + ax->start[i];
    const int n = ax->count[i];
    float acc = 0.0f;

    for (int k = 0; k < n; k++)
      acc += w[k] * s[k];
    dst[i] = acc;
  }
}

static int
clamp_int (long long v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : (int) v;
}

/* The source rectangle mapped onto the output rectangle for a mode. */
static void
fit_geometry (int w, int h, int tw, int th, InkCropScale mode, Rect *src, Rect *dst)
{
  *src = (Rect){0, 0, w, h};
  *dst = (Rect){0, 0, tw, th};
  if (mode == INK_ASPECT_FIT) {
    if ((int64_t) tw * h <= (int64_t) th * w)
      dst->h = clamp_int (llround ((double) h * tw / w), 1, th);
    else
      dst->w = clamp_int (llround ((double) w * th / h), 1, tw);
    dst->x = (tw - dst->w) / 2;
    dst->y = (th - dst->h) / 2;
  } else if (mode == INK_CENTER_CROP) {
    if ((int64_t) tw * h >= (int64_t) th * w)
      src->h = clamp_int (llround ((double) th * w / tw), 1, h);
    else
      src->w = clamp_int (llround ((double) tw * h / th), 1, w);
    src->x = (w - src->w) / 2;
    src->y = (h - src->h) / 2;
  }
}

/* Resamples the source rectangle into the output rectangle. Vertical pass
 * first: each needed source row is converted once into a ring of ay.taps
 * rows and blended into one row (independent lanes, so it vectorizes); only
 * that row is then resampled horizontally. */
static InkStatus
resample (const RowConv *rc, const uint8_t *pixels, size_t stride, Rect s, uint8_t *out,
          size_t out_stride, size_t out_bpp, Rect d, InkError *err)
{
  const int planes = rc->planes;
  const size_t in_len = (size_t) s.w * planes, out_len = (size_t) d.w * planes;
  Axis ax = {0}, ay = {0};
  float *buf = NULL, *ring, *vrow, *hrow;
  size_t n_floats;
  int next_row = 0;
  InkStatus st = INK_OK;

  if (!axis_init (&ax, s.w, d.w) || !axis_init (&ay, s.h, d.h))
    goto oom;
  /* ring (taps * in_len) + vrow (in_len) + hrow (out_len) */
  if (!ink_size_mul ((size_t) ay.taps + 1, in_len, &n_floats) ||
      n_floats > SIZE_MAX / sizeof (float) - out_len)
    goto oom;
  buf = malloc ((n_floats + out_len) * sizeof (float));
  if (buf == NULL)
    goto oom;
  ring = buf;
  vrow = ring + (size_t) ay.taps * in_len;
  hrow = vrow + in_len;

  for (int y = 0; y < d.h; y++) {
    const float *w = ay.weight + (size_t) y * ay.taps;
    const int first = ay.start[y], n = ay.count[y];
    const float *v, *h;

    if (next_row < first)
      next_row = first;
    for (; next_row < first + n; next_row++) {
      const uint8_t *p = pixels + (size_t) (s.y + next_row) * stride + (size_t) s.x * rc->src_bpp;

      row_convert (rc, p, s.w, ring + (size_t) (next_row % ay.taps) * in_len);
    }
    if (n == 1 && w[0] == 1.0f) {
      v = ring + (size_t) (first % ay.taps) * in_len;
    } else {
      for (int k = 0; k < n; k++)
        row_axpy (vrow, ring + (size_t) ((first + k) % ay.taps) * in_len, w[k], in_len, k > 0);
      v = vrow;
    }
    if (s.w == d.w) {
      h = v;
    } else {
      for (int p = 0; p < planes; p++)
        row_resample (&ax, v + (size_t) p * s.w, d.w, hrow + (size_t) p * d.w);
      h = hrow;
    }
    row_pack (rc, h, d.w, out + (size_t) (d.y + y) * out_stride + (size_t) d.x * out_bpp);
  }
  goto done;

oom:
  st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory resampling a %dx%d image to %dx%d",
                      s.w, s.h, d.w, d.h);
done:
  free (buf);
  axis_clear (&ax);
  axis_clear (&ay);
  return st;
}

static bool
format_valid (InkPixelFormat format)
{
  return format == INK_PIXEL_GRAY8 || format == INK_PIXEL_RGBA8 || format == INK_PIXEL_BGRA8;
}

InkStatus
ink_image_convert (InkPixelFormat format, int width, int height, size_t stride,
                   const uint8_t *pixels, const InkImageConstraint *constraint,
                   const InkImageOptions *options, InkValue **out, InkError *err)
{
  InkImageOptions opts = options != NULL ? *options : ink_image_options_default ();
  const InkImageConstraint *c = constraint;
  size_t row_bytes, out_stride, out_bpp;
  int tw, th;
  RowConv rc;
  Rect s, d;
  InkValue *v;
  uint8_t *dst;
  InkStatus st;

  if (out == NULL || c == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "image conversion needs a constraint and an output");
  *out = NULL;
  if (c->width <= 0 || c->height <= 0 || c->width > MAX_SIDE || c->height > MAX_SIDE ||
      c->width * c->height > MAX_PIXELS)
    return ink_error_set (err, INK_ERR_IMAGE,
                          "image constraint size %lldx%lld is not valid (1 to %d pixels a side)",
                          (long long) c->width, (long long) c->height, MAX_SIDE);
  if (!format_valid (c->format))
    return ink_error_set (err, INK_ERR_IMAGE, "image constraint has an unknown pixel format (%d)",
                          (int) c->format);
  if (opts.crop_scale != INK_SCALE_FILL && opts.crop_scale != INK_ASPECT_FIT &&
      opts.crop_scale != INK_CENTER_CROP)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "unknown crop and scale option (%d)",
                          (int) opts.crop_scale);
  if (!format_valid (format))
    return ink_error_set (err, INK_ERR_IMAGE, "source image has an unknown pixel format (%d)",
                          (int) format);
  if (pixels == NULL)
    return ink_error_set (err, INK_ERR_IMAGE, "source image has no pixels");
  if (width <= 0 || height <= 0)
    return ink_error_set (err, INK_ERR_IMAGE, "source image size %dx%d is not valid", width,
                          height);
  if (!ink_size_mul ((size_t) width, ink_pixel_format_bytes (format), &row_bytes) ||
      stride < row_bytes)
    return ink_error_set (err, INK_ERR_IMAGE,
                          "source image stride %zu is smaller than a row of %d %s pixels", stride,
                          width, ink_pixel_format_to_string (format));

  if ((c->n_sizes > 0 || c->has_range) && ink_image_constraint_allows (c, width, height)) {
    tw = width;
    th = height;
  } else {
    tw = (int) c->width;
    th = (int) c->height;
  }

  v = ink_value_new_image (c->format, tw, th, 0, NULL);
  if (v == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory for a %dx%d image", tw, th);
  /* The value is new and ours: fill its pixels in place. */
  dst = (uint8_t *) ink_value_image_pixels (v);
  out_bpp = ink_pixel_format_bytes (c->format);
  out_stride = ink_value_image_stride (v);

  fit_geometry (width, height, tw, th, opts.crop_scale, &s, &d);
  if (d.w < tw || d.h < th) {
    if (out_bpp == 1) {
      memset (dst, opts.pad_value, out_stride * (size_t) th);
    } else {
      uint8_t px[4] = {opts.pad_value, opts.pad_value, opts.pad_value, 255};

      for (size_t i = 0; i < (size_t) tw * th; i++)
        memcpy (dst + 4 * i, px, 4);
    }
  }

  row_conv_init (&rc, format, c->format);
  st = resample (&rc, pixels, stride, s, dst, out_stride, out_bpp, d, err);
  if (st != INK_OK) {
    ink_value_free (v);
    return st;
  }
  *out = v;
  return INK_OK;
}

InkStatus
ink_image_convert_value (const InkValue *image, const InkImageConstraint *constraint,
                         const InkImageOptions *options, InkValue **out, InkError *err)
{
  if (out != NULL)
    *out = NULL;
  if (image == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no image to convert");
  if (ink_value_get_type (image) != INK_VALUE_IMAGE)
    return ink_error_set (err, INK_ERR_TYPE_MISMATCH, "cannot convert a %s value to an image",
                          ink_value_type_to_string (ink_value_get_type (image)));
  return ink_image_convert (ink_value_image_format (image), ink_value_image_width (image),
                            ink_value_image_height (image), ink_value_image_stride (image),
                            ink_value_image_pixels (image), constraint, options, out, err);
}

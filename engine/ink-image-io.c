/* ink-image-io.c: PNG and JPEG decoding, PNG writing
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-image.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "ink-util-private.h"

/* Decoding limits, checked before any pixel buffer is allocated. */
#define MAX_SIDE 16384
#define MAX_PIXELS 100000000u
/* Files larger than this are not read into memory. */
#define MAX_FILE_SIZE ((size_t) 1 << 30)

static bool
dimensions_ok (unsigned long w, unsigned long h)
{
  return w > 0 && h > 0 && w <= MAX_SIDE && h <= MAX_SIDE && (uint64_t) w * h <= MAX_PIXELS;
}

/* out = c over white, by alpha a (all 0..255). */
static inline uint8_t
over_white (unsigned c, unsigned a)
{
  return (uint8_t) ((c * a + 255u * (255u - a) + 127u) / 255u);
}

static void
composite_over_white (uint8_t *px, size_t n)
{
  for (size_t i = 0; i < n; i++, px += 4) {
    unsigned a = px[3];

    if (a != 255) {
      px[0] = over_white (px[0], a);
      px[1] = over_white (px[1], a);
      px[2] = over_white (px[2], a);
      px[3] = 255;
    }
  }
}

/* PNG */

typedef struct {
  const uint8_t *data;
  size_t size, pos;
  char message[256];
} PngReader;

static void
png_error_cb (png_structp png, png_const_charp msg)
{
  PngReader *r = png_get_error_ptr (png);

  snprintf (r->message, sizeof r->message, "%s", msg);
  png_longjmp (png, 1);
}

static void
png_warning_cb (png_structp png, png_const_charp msg)
{
  (void) png;
  (void) msg;
}

static void
png_read_cb (png_structp png, png_bytep out, png_size_t len)
{
  PngReader *r = png_get_io_ptr (png);

  if (len > r->size - r->pos)
    png_error (png, "the PNG data is truncated");
  memcpy (out, r->data + r->pos, len);
  r->pos += len;
}

static InkStatus
decode_png (const uint8_t *data, size_t size, InkValue **out, InkError *err)
{
  PngReader reader = {.data = data, .size = size};
  png_structp png;
  png_infop info;
  png_bytep *volatile rows = NULL;
  InkValue *volatile value = NULL;
  png_uint_32 w, h;
  int depth, color_type;
  uint8_t *pixels;

  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &reader, png_error_cb, png_warning_cb);
  if (png == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory decoding a PNG image");
  info = png_create_info_struct (png);
  if (info == NULL) {
    png_destroy_read_struct (&png, NULL, NULL);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory decoding a PNG image");
  }
  if (setjmp (png_jmpbuf (png))) {
    png_destroy_read_struct (&png, &info, NULL);
    free (rows);
    ink_value_free (value);
    return ink_error_set (err, INK_ERR_IMAGE, "invalid PNG image: %s", reader.message);
  }

  png_set_read_fn (png, &reader, png_read_cb);
  /* libpng itself then rejects oversized headers, before any allocation. */
  png_set_user_limits (png, MAX_SIDE, MAX_SIDE);
  png_read_info (png, info);
  png_get_IHDR (png, info, &w, &h, &depth, &color_type, NULL, NULL, NULL);
  if (!dimensions_ok (w, h))
    png_error (png, "the image is too large");

  png_set_expand (png); /* palette to RGB, gray below 8 bits to 8, tRNS to alpha */
  png_set_scale_16 (png);
  png_set_gray_to_rgb (png);
  png_set_add_alpha (png, 0xff, PNG_FILLER_AFTER);
  png_set_interlace_handling (png);
  png_read_update_info (png, info);
  if (png_get_rowbytes (png, info) != (size_t) w * 4)
    png_error (png, "unexpected row layout after conversion");

  value = ink_value_new_image (INK_PIXEL_RGBA8, (int) w, (int) h, 0, NULL);
  rows = malloc (sizeof *rows * h);
  if (value == NULL || rows == NULL) {
    png_destroy_read_struct (&png, &info, NULL);
    free (rows);
    ink_value_free (value);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory for a %ux%u image", (unsigned) w,
                          (unsigned) h);
  }
  pixels = (uint8_t *) ink_value_image_pixels (value);
  for (png_uint_32 y = 0; y < h; y++)
    rows[y] = pixels + (size_t) y * w * 4;
  png_read_image (png, rows);
  png_read_end (png, NULL);
  png_destroy_read_struct (&png, &info, NULL);
  free (rows);

  composite_over_white (pixels, (size_t) w * h);
  *out = value;
  return INK_OK;
}

/* JPEG */

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} JpegError;

static void
jpeg_error_exit_cb (j_common_ptr cinfo)
{
  JpegError *e = (JpegError *) cinfo->err;

  e->pub.format_message (cinfo, e->message);
  longjmp (e->jump, 1);
}

static void
jpeg_emit_message_cb (j_common_ptr cinfo, int level)
{
  JpegError *e = (JpegError *) cinfo->err;

  /* libjpeg pads a truncated stream with gray and only warns: treat that as
   * an error. Other warnings (stray bytes and the like) are tolerated. */
  if (level < 0) {
    e->pub.num_warnings++;
    if (e->pub.msg_code == JWRN_JPEG_EOF)
      jpeg_error_exit_cb (cinfo);
  }
}

static InkStatus
decode_jpeg (const uint8_t *data, size_t size, InkValue **out, InkError *err)
{
  struct jpeg_decompress_struct cinfo;
  JpegError jerr;
  uint8_t *volatile row = NULL;
  InkValue *volatile value = NULL;
  InkStatus st = INK_OK;
  uint8_t *pixels;
  int w, h;
  bool gray;

  memset (&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error (&jerr.pub);
  jerr.pub.error_exit = jpeg_error_exit_cb;
  jerr.pub.emit_message = jpeg_emit_message_cb;
  jerr.message[0] = '\0';
  if (setjmp (jerr.jump)) {
    jpeg_destroy_decompress (&cinfo);
    free (row);
    ink_value_free (value);
    return ink_error_set (err, INK_ERR_IMAGE, "invalid JPEG image: %s", jerr.message);
  }
  jpeg_create_decompress (&cinfo);
  jpeg_mem_src (&cinfo, data, (unsigned long) size);
  jpeg_read_header (&cinfo, TRUE);
  if (!dimensions_ok (cinfo.image_width, cinfo.image_height)) {
    st = ink_error_set (err, INK_ERR_IMAGE, "JPEG image of %ux%u pixels is too large",
                        (unsigned) cinfo.image_width, (unsigned) cinfo.image_height);
    goto fail;
  }
  switch (cinfo.jpeg_color_space) {
  case JCS_GRAYSCALE:
    cinfo.out_color_space = JCS_GRAYSCALE;
    gray = true;
    break;
  case JCS_RGB:
  case JCS_YCbCr:
#ifdef JCS_EXTENSIONS
    cinfo.out_color_space = JCS_EXT_RGBA;
#else
    cinfo.out_color_space = JCS_RGB;
#endif
    gray = false;
    break;
  default:
    st = ink_error_set (err, INK_ERR_IMAGE,
                        "JPEG images in CMYK, YCCK or an unknown colour space are not supported");
    goto fail;
  }
  jpeg_start_decompress (&cinfo);
  w = (int) cinfo.output_width;
  h = (int) cinfo.output_height;
  value = ink_value_new_image (INK_PIXEL_RGBA8, w, h, 0, NULL);
  row = malloc ((size_t) w * 3);
  if (value == NULL || row == NULL) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory for a %dx%d image", w, h);
    goto fail;
  }
  pixels = (uint8_t *) ink_value_image_pixels (value);
  while (cinfo.output_scanline < cinfo.output_height) {
    uint8_t *dst = pixels + (size_t) cinfo.output_scanline * w * 4;
    JSAMPROW r = row;

#ifdef JCS_EXTENSIONS
    if (!gray)
      r = dst;
#endif
    if (jpeg_read_scanlines (&cinfo, &r, 1) != 1) {
      st = ink_error_set (err, INK_ERR_IMAGE, "invalid JPEG image: no more scanlines");
      goto fail;
    }
    if (gray) {
      for (int x = w - 1; x >= 0; x--) {
        dst[4 * x] = dst[4 * x + 1] = dst[4 * x + 2] = row[x];
        dst[4 * x + 3] = 255;
      }
    }
#ifndef JCS_EXTENSIONS
    else {
      for (int x = 0; x < w; x++) {
        dst[4 * x] = row[3 * x];
        dst[4 * x + 1] = row[3 * x + 1];
        dst[4 * x + 2] = row[3 * x + 2];
        dst[4 * x + 3] = 255;
      }
    }
#endif
  }
  jpeg_finish_decompress (&cinfo);
  jpeg_destroy_decompress (&cinfo);
  free (row);
  *out = value;
  return INK_OK;

fail:
  jpeg_destroy_decompress (&cinfo);
  free (row);
  ink_value_free (value);
  return st;
}

static bool
is_png (const uint8_t *data, size_t size)
{
  return size >= 8 && png_sig_cmp (data, 0, 8) == 0;
}

static bool
is_jpeg (const uint8_t *data, size_t size)
{
  return size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

InkStatus
ink_image_load_memory (const uint8_t *data, size_t size, InkValue **out, InkError *err)
{
  if (out == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "image decoding needs an output");
  *out = NULL;
  if (data == NULL || size == 0)
    return ink_error_set (err, INK_ERR_IMAGE, "the image data is empty");
  if (is_png (data, size))
    return decode_png (data, size, out, err);
  if (is_jpeg (data, size))
    return decode_jpeg (data, size, out, err);
  return ink_error_set (err, INK_ERR_IMAGE, "the data is not a PNG or JPEG image");
}

InkStatus
ink_image_load_file (const char *path, InkValue **out, InkError *err)
{
  uint8_t *data = NULL;
  size_t size = 0, cap = 0;
  struct stat sb;
  InkStatus st;
  FILE *f;

  if (out == NULL || path == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "image loading needs a path and output");
  *out = NULL;
  f = fopen (path, "rb");
  if (f == NULL)
    return ink_error_set (err, INK_ERR_IO, "cannot open %s: %s", path, strerror (errno));
  if (fstat (fileno (f), &sb) == 0 && S_ISREG (sb.st_mode) && sb.st_size > 0)
    cap = (uint64_t) sb.st_size < MAX_FILE_SIZE ? (size_t) sb.st_size + 1 : MAX_FILE_SIZE + 1;
  if (cap == 0)
    cap = 64 * 1024;
  for (;;) {
    size_t got;

    if (size == cap) {
      uint8_t *p;

      if (cap > MAX_FILE_SIZE) {
        free (data);
        fclose (f);
        return ink_error_set (err, INK_ERR_IMAGE, "%s: the file is too large for an image", path);
      }
      cap *= 2;
      p = realloc (data, cap);
      if (p == NULL)
        goto oom;
      data = p;
    } else if (data == NULL) {
      data = malloc (cap);
      if (data == NULL)
        goto oom;
    }
    got = fread (data + size, 1, cap - size, f);
    size += got;
    if (got == 0)
      break;
  }
  if (ferror (f)) {
    st = ink_error_set (err, INK_ERR_IO, "cannot read %s: %s", path, strerror (errno));
    free (data);
    fclose (f);
    return st;
  }
  fclose (f);
  st = ink_image_load_memory (data, size, out, err);
  free (data);
  if (st != INK_OK && err != NULL)
    ink_error_prefix (err, "%s", path);
  return st;

oom:
  free (data);
  fclose (f);
  return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading %s", path);
}

/* PNG writing: encoded into memory first, so a failed encode leaves no file. */

typedef struct {
  uint8_t *data;
  size_t size, cap;
  bool oom;
  char message[256];
} PngWriter;

static void
png_write_cb (png_structp png, png_bytep in, png_size_t len)
{
  PngWriter *wr = png_get_io_ptr (png);

  if (len > wr->cap - wr->size) {
    size_t cap = wr->cap > 0 ? wr->cap : 4096;
    uint8_t *p;

    while (cap - wr->size < len) {
      if (cap > SIZE_MAX / 2) {
        wr->oom = true;
        png_error (png, "out of memory");
      }
      cap *= 2;
    }
    p = realloc (wr->data, cap);
    if (p == NULL) {
      wr->oom = true;
      png_error (png, "out of memory");
    }
    wr->data = p;
    wr->cap = cap;
  }
  memcpy (wr->data + wr->size, in, len);
  wr->size += len;
}

static void
png_flush_cb (png_structp png)
{
  (void) png;
}

static void
png_write_error_cb (png_structp png, png_const_charp msg)
{
  PngWriter *wr = png_get_error_ptr (png);

  snprintf (wr->message, sizeof wr->message, "%s", msg);
  png_longjmp (png, 1);
}

InkStatus
ink_image_save_png (const InkValue *image, const char *path, InkError *err)
{
  PngWriter wr = {0};
  png_structp png;
  png_infop info;
  png_bytep *volatile rows = NULL;
  InkPixelFormat format;
  int w, h;
  size_t stride;
  const uint8_t *pixels;
  FILE *f;
  bool ok;

  if (image == NULL || path == NULL || ink_value_get_type (image) != INK_VALUE_IMAGE)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "saving a PNG needs an image and a path");
  format = ink_value_image_format (image);
  w = ink_value_image_width (image);
  h = ink_value_image_height (image);
  stride = ink_value_image_stride (image);
  pixels = ink_value_image_pixels (image);

  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &wr, png_write_error_cb, png_warning_cb);
  if (png == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory encoding a PNG image");
  info = png_create_info_struct (png);
  if (info == NULL) {
    png_destroy_write_struct (&png, NULL);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory encoding a PNG image");
  }
  if (setjmp (png_jmpbuf (png))) {
    png_destroy_write_struct (&png, &info);
    free (rows);
    free (wr.data);
    if (wr.oom)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory encoding a PNG image");
    return ink_error_set (err, INK_ERR_IMAGE, "cannot encode a PNG image: %s", wr.message);
  }
  png_set_write_fn (png, &wr, png_write_cb, png_flush_cb);
  /* Alpha means nothing to models, so colour images are written as RGB. */
  png_set_IHDR (png, info, (png_uint_32) w, (png_uint_32) h, 8,
                format == INK_PIXEL_GRAY8 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  if (format != INK_PIXEL_GRAY8) {
    png_set_filler (png, 0, PNG_FILLER_AFTER); /* strips the 4th byte */
    if (format == INK_PIXEL_BGRA8)
      png_set_bgr (png);
  }
  rows = malloc (sizeof *rows * (size_t) h);
  if (rows == NULL) {
    wr.oom = true;
    png_error (png, "out of memory");
  }
  for (int y = 0; y < h; y++)
    rows[y] = (png_bytep) (pixels + (size_t) y * stride);
  png_write_image (png, rows);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  free (rows);

  f = fopen (path, "wb");
  if (f == NULL) {
    int e = errno;

    free (wr.data);
    return ink_error_set (err, INK_ERR_IO, "cannot create %s: %s", path, strerror (e));
  }
  ok = fwrite (wr.data, 1, wr.size, f) == wr.size;
  ok = (fclose (f) == 0) && ok;
  free (wr.data);
  if (!ok) {
    int e = errno;

    remove (path);
    return ink_error_set (err, INK_ERR_IO, "cannot write %s: %s", path, strerror (e));
  }
  return INK_OK;
}

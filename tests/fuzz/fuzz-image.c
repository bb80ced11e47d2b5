/* fuzz-image.c: PNG and JPEG decoding from memory, and conversion to an
 * image constraint
 *
 * An input that starts with a PNG or JPEG signature is decoded with
 * ink_image_load_memory; a decoded image (of at most MAX_PIXELS) is
 * converted to small constraints of every pixel format with every crop and
 * scale option, fixed and flexible. Any other input is raw pixels for
 * ink_image_convert: an 8-byte header picks the source format and size, the
 * target constraint and the options (so sizes of 1 and extreme aspect
 * ratios are reached directly), the rest are the pixels.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "fuzz-common.h"

#define MAX_INPUT ((size_t) 1 << 20)
/* Decoded images above this many pixels are not converted (a tiny JPEG
 * can declare a huge size). */
#define MAX_PIXELS (1 << 20)

static void
convert_value (const InkValue *image, InkPixelFormat format, int64_t w, int64_t h,
               InkCropScale crop, uint8_t pad, bool flexible)
{
  static const InkImageSize sizes[] = {{3, 5}, {16, 16}};
  InkFeatureType type = ink_feature_type_image (format, w, h);
  InkImageOptions options = ink_image_options_default ();
  InkValue *out = NULL;
  InkError err;

  if (flexible) {
    type.image.n_sizes = sizeof sizes / sizeof sizes[0];
    type.image.sizes = sizes;
  }
  options.crop_scale = crop;
  options.pad_value = pad;
  ink_error_clear (&err);
  if (ink_image_convert_value (image, &type.image, &options, &out, &err) == INK_OK)
    ink_value_free (out);
}

static void
decode (const uint8_t *data, size_t size)
{
  InkValue *image = NULL;
  InkError err;
  int w, h;

  ink_error_clear (&err);
  if (ink_image_load_memory (data, size, &image, &err) != INK_OK)
    return;
  w = ink_value_image_width (image);
  h = ink_value_image_height (image);
  if (w > 0 && h > 0 && (int64_t) w * h <= MAX_PIXELS) {
    convert_value (image, INK_PIXEL_GRAY8, 28, 28, INK_SCALE_FILL, 0, false);
    convert_value (image, INK_PIXEL_RGBA8, 17, 9, INK_ASPECT_FIT, 255, false);
    convert_value (image, INK_PIXEL_BGRA8, 9, 31, INK_CENTER_CROP, 0, false);
    convert_value (image, INK_PIXEL_GRAY8, 1, 1, INK_ASPECT_FIT, 128, false);
    convert_value (image, INK_PIXEL_RGBA8, 16, 16, INK_CENTER_CROP, 0, true);
  }
  ink_value_free (image);
}

/* Header: source format, width, height; target format, width, height;
 * crop and scale option; pad value. Sizes are 1..64. */
static void
convert_raw (const uint8_t *data, size_t size)
{
  InkPixelFormat format, target;
  InkFeatureType type;
  InkImageOptions options = ink_image_options_default ();
  InkValue *out = NULL;
  InkError err;
  int w, h;
  size_t stride;

  if (size < 8)
    return;
  format = (InkPixelFormat) (data[0] % 3);
  w = data[1] % 64 + 1;
  h = data[2] % 64 + 1;
  target = (InkPixelFormat) (data[3] % 3);
  type = ink_feature_type_image (target, data[4] % 64 + 1, data[5] % 64 + 1);
  options.crop_scale = (InkCropScale) (data[6] % 3);
  options.pad_value = data[7];
  if (data[6] & 0x80) {
    /* A flexible range around the default size. */
    type.image.has_range = true;
    type.image.min_width = 1;
    type.image.max_width = type.image.width + (data[6] & 0x3f);
    type.image.min_height = 1;
    type.image.max_height = type.image.height + (data[6] & 0x3f);
  }
  stride = (size_t) w * ink_pixel_format_bytes (format);
  data += 8;
  size -= 8;
  if (size < stride * (size_t) h)
    return;
  ink_error_clear (&err);
  if (ink_image_convert (format, w, h, stride, data, &type.image, &options, &out, &err) == INK_OK)
    ink_value_free (out);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const uint8_t png_magic[] = {0x89, 'P', 'N', 'G'};

  if (size > MAX_INPUT)
    return 0;
  if ((size >= 4 && memcmp (data, png_magic, 4) == 0) ||
      (size >= 2 && data[0] == 0xff && data[1] == 0xd8))
    decode (data, size);
  else
    convert_raw (data, size);
  return 0;
}

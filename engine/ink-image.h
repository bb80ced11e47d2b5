/* ink-image.h: pixel conversion to an image constraint, and image files
 * (Core ML's MLFeatureValue(cgImage:constraint:options:))
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ink-description.h"
#include "ink-status.h"
#include "ink-value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a source image is mapped onto the constraint's size (Core ML's
 * VNImageCropAndScaleOption). */
typedef enum {
  INK_SCALE_FILL = 0,  /* stretch to the target size, ignoring aspect ratio */
  INK_ASPECT_FIT = 1,  /* scale to fit inside, centred, pad with the pad value */
  INK_CENTER_CROP = 2, /* scale to cover, centred, crop the overflow */
} InkCropScale;

typedef struct {
  InkCropScale crop_scale;
  /* Padding for INK_ASPECT_FIT, as gray level / RGB component (0..255). */
  uint8_t pad_value;
} InkImageOptions;

InkImageOptions ink_image_options_default (void); /* scale-fill, pad 0 */

/* Converts pixels (height rows of stride bytes, any InkPixelFormat) to a new
 * image value meeting the constraint: its pixel format, and its default size
 * unless the source size is already allowed by a flexible constraint.
 * Shrinking averages the source area each output pixel covers (so thin
 * strokes survive); enlarging interpolates bilinearly. Colour to gray uses
 * Rec. 601 luma. *out is owned by the caller. Errors: INK_ERR_IMAGE for a
 * bad source or a constraint that cannot be met. */
InkStatus ink_image_convert (InkPixelFormat format, int width, int height, size_t stride,
                             const uint8_t *pixels, const InkImageConstraint *constraint,
                             const InkImageOptions *options, InkValue **out, InkError *err);

/* The same for an image value. */
InkStatus ink_image_convert_value (const InkValue *image, const InkImageConstraint *constraint,
                                   const InkImageOptions *options, InkValue **out, InkError *err);

/* Decodes a PNG or JPEG file (detected by its signature) into an RGBA8
 * image value; translucent pixels are composited over white. */
InkStatus ink_image_load_file (const char *path, InkValue **out, InkError *err);

/* Decodes PNG or JPEG bytes held in memory, as ink_image_load_file. */
InkStatus ink_image_load_memory (const uint8_t *data, size_t size, InkValue **out, InkError *err);

/* Writes an image value (any format) as a PNG file. */
InkStatus ink_image_save_png (const InkValue *image, const char *path, InkError *err);

#ifdef __cplusplus
}
#endif

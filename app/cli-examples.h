/* cli-examples.h: training examples for `inkling-cli update`, read from
 * image files, a folder of label folders, or a CSV file
 *
 * Every example holds the model's training inputs, by name. Images are
 * decoded (PNG or JPEG) and converted to their training input's image
 * constraint (scale-fill, area averaging when shrinking), as predict does.
 * Errors name the file (and, in a CSV file, the line).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "cli-common.h"

G_BEGIN_DECLS

/* The training input labels go under (the target): the one training input
 * that is not also an input of the model, else the predicted feature when
 * it is a training input. NULL with err set when there is none, or
 * several. */
const InkFeatureDescription *cli_training_target (const InkModelDescription *d, InkError *err);

/* "image (Image (Gray8 28x28)), label (String)", or "(none)". Caller frees. */
char *cli_describe_training_inputs (const InkModelDescription *d);

/* One example per file, each labelled label (read as the target's type).
 * The model's training inputs must be one image and the target. */
InkBatch *cli_examples_from_images (const InkModelDescription *d, const char *label,
                                    const char *const *files, InkError *err);

/* The examples at path: a folder holding one folder per label (the folder's
 * name is the label) of images, or a CSV file (see cli-examples.c). At
 * least one example; NULL with err set otherwise. */
InkBatch *cli_examples_read (const InkModelDescription *d, const char *path, InkError *err);

G_END_DECLS

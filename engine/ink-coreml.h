/* ink-coreml.h: Core ML .mlmodel files: compile into a model, export back
 * (Core ML's MLModel.compileModel(at:), and writing a specification)
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ink-model.h"
#include "ink-status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads a Core ML .mlmodel file (a serialized CoreML.Specification.Model)
 * and returns the finished model it describes, owned by the caller; save it
 * with ink_model_save to get a compiled .inkmodel. A model type, layer or
 * option the engine cannot run is an INK_ERR_UNSUPPORTED error that names it
 * and its field number; a file Core ML's validator would refuse is an
 * INK_ERR_INVALID_MODEL error with the validator's reason; malformed bytes
 * are INK_ERR_FORMAT. */
InkModel *ink_coreml_compile_file (const char *path, InkError *err);
InkModel *ink_coreml_compile_memory (const uint8_t *data, size_t size, InkError *err);

/* Whether a file looks like a Core ML model rather than a compiled
 * .inkmodel (by content, not name). */
int ink_coreml_sniff (const uint8_t *data, size_t size);

/* Writes any model the engine holds (including updated, personalized ones)
 * as a Core ML .mlmodel file, atomically, with the lowest specification
 * version that has every feature it uses. Compiling the result gives the
 * same predictions. */
InkStatus ink_coreml_export (const InkModel *model, const char *path, InkError *err);
/* The same into memory: *data (malloc) of *size bytes, owned by the caller. */
InkStatus ink_coreml_export_memory (const InkModel *model, uint8_t **data, size_t *size,
                                    InkError *err);

#ifdef __cplusplus
}
#endif

/* fuzz-coreml.c: the Core ML .mlmodel reader and compiler
 *
 * Compiles the input as a .mlmodel; when it compiles, runs one prediction
 * on a zero input, exports the model back to .mlmodel bytes and compiles
 * those again (the export of a model the engine accepted must be
 * accepted).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz-common.h"

/* The largest real fixture is 3.6 MB; larger inputs only slow fuzzing. */
#define MAX_INPUT ((size_t) 8 << 20)

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  InkError err;
  InkModel *model, *again;
  uint8_t *exported = NULL;
  size_t exported_size = 0;

  if (size > MAX_INPUT)
    return 0;
  (void) ink_coreml_sniff (data, size);
  ink_error_clear (&err);
  model = ink_coreml_compile_memory (data, size, &err);
  if (model == NULL)
    return 0;
  fuzz_predict_zero (model);
  ink_error_clear (&err);
  if (ink_coreml_export_memory (model, &exported, &exported_size, &err) == INK_OK) {
    ink_error_clear (&err);
    again = ink_coreml_compile_memory (exported, exported_size, &err);
    if (again == NULL) {
      fprintf (stderr, "fuzz-coreml: the export of an accepted model does not compile: %s\n",
               err.message);
      abort ();
    }
    ink_model_free (again);
    free (exported);
  }
  ink_model_free (model);
  return 0;
}

/* ink-pipeline.c: being written */
#include "ink-model-private.h"

const InkModelOps ink_pipeline_ops = { 0 };

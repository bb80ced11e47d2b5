/* ink-pipeline.c: being written */
#include "ink-model-private.h"

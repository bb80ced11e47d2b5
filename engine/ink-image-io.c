/* ink-image-io.c: being written */
#include "ink-model-private.h"

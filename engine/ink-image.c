/* ink-image.c: being written */
#include "ink-model-private.h"

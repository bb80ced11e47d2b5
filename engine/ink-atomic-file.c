/* ink-atomic-file.c: being written */
#include "ink-model-private.h"

/* ink-description.c: being written */
#include "ink-model-private.h"

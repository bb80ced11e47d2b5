/* ink-model.c: being written */
#include "ink-model-private.h"

/* ink-labels.c: being written */
#include "ink-model-private.h"

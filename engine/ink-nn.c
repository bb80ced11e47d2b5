/* ink-nn.c: being written */
#include "ink-model-private.h"

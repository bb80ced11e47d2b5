/* ink-tree.c: being written */
#include "ink-model-private.h"

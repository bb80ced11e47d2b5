/* ink-nn-kernels.c: being written */
#include "ink-model-private.h"

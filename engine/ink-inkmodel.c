/* ink-inkmodel.c: being written */
#include "ink-model-private.h"

/* ink-glm.c: being written */
#include "ink-model-private.h"

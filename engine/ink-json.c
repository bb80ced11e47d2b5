/* ink-json.c: being written */
#include "ink-model-private.h"

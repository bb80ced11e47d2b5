/* ink-glm.c: being written */
#include "ink-model-private.h"

const InkModelOps ink_glm_ops = { 0 };

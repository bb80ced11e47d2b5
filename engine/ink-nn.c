/* ink-nn.c: being written */
#include "ink-model-private.h"


const InkModelOps ink_nn_ops = { 0 };

/* ink-knn.c: being written */
#include "ink-model-private.h"

const InkModelOps ink_knn_ops = { 0 };

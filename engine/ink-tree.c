/* ink-tree.c: being written */
#include "ink-model-private.h"

const InkModelOps ink_tree_ops = { 0 };

/* ink-knn.c: being written */
#include "ink-model-private.h"

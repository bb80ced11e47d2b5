/* inkling-engine-autoptr.h: g_autoptr cleanups for the engine's handles
 *
 * The engine is plain C and knows nothing of GLib; the cleanups live on this
 * side of the boundary (as ggml's C++ wrappers live in their own header).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

#include "ink.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkModel, ink_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkFeatures, ink_features_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkBatch, ink_batch_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InkValue, ink_value_free)

G_END_DECLS

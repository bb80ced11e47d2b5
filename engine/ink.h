/* ink.h: the Inkling engine's public API, in one include
 *
 * The engine is plain C11 with no GLib or GTK. Every handle is opaque and
 * owned by whoever created it unless a function says "takes ownership".
 * Errors are an InkStatus plus an optional caller-owned InkError.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "ink-activity.h"
#include "ink-builder.h"
#include "ink-coreml.h"
#include "ink-description.h"
#include "ink-features.h"
#include "ink-image.h"
#include "ink-manifest.h"
#include "ink-minisign.h"
#include "ink-model-store.h"
#include "ink-model.h"
#include "ink-remote.h"
#include "ink-status.h"
#include "ink-strokes.h"
#include "ink-update.h"
#include "ink-value.h"

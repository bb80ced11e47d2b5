/* inkling-state.h: what the window shows, written as JSON for tests
 *
 * When $INKLING_TEST_STATE_FILE is set, the window writes there (atomically,
 * shortly after anything changes) a description that each page builds from
 * its own widgets: the guesses' labels as shown, the stickers listed, the
 * training progress bar, and where the canvases are on the window's surface
 * so that a test can draw on them with real pointer events.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* An a{sv} with the widget's bounds in its native surface's coordinates
 * ("x", "y", "width", "height", doubles) and "mapped" (boolean). */
GVariant *inkling_state_describe_bounds (GtkWidget *widget);

/* value as JSON text (a{sv} become objects, arrays lists; other types as
 * numbers, booleans or strings). Free with g_free. */
char *inkling_state_to_json (GVariant *value);

G_END_DECLS

/* store-test-support.h: the temporary folders the store tests work in
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A new empty folder under the system's temporary folder, named
 * "inkling-NAME-XXXXXX"; the test fails when it cannot be made. Free it
 * with store_test_tmpdir_free. */
char *store_test_tmpdir_new (const char *name);

/* Removes dir and everything in it, then frees the string. NULL is fine. */
void store_test_tmpdir_free (char *dir);

G_END_DECLS

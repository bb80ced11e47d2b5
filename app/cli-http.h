/* cli-http.h: the pieces of HTTP/1.1 that `inkling-cli serve` needs (RFC 9110,
 * 9111, 9112): dates, entity tags, byte ranges, request targets
 *
 * Pure functions, no I/O.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The reason phrase of a status code ("Not Found"); "Unknown" otherwise. */
const char *cli_http_reason (int status);

/* An HTTP-date (IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT", in English
 * whatever the locale. Caller frees. */
char *cli_http_format_date (gint64 unix_seconds);

/* Parses the three HTTP-date forms a recipient must accept: IMF-fixdate,
 * RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6
 * 08:49:37 1994"). FALSE when text is none of them. */
gboolean cli_http_parse_date (const char *text, gint64 *unix_seconds);

/* Whether an If-None-Match value ("*" or a list of entity tags, weak or
 * strong) matches etag (a strong tag, quotes included) by the weak
 * comparison RFC 9110 13.1.2 requires. */
gboolean cli_http_etag_list_matches (const char *header, const char *etag);

typedef enum {
  CLI_RANGE_NONE,          /* no usable Range: send the whole representation */
  CLI_RANGE_SATISFIABLE,   /* send bytes first..last, as 206 */
  CLI_RANGE_UNSATISFIABLE, /* 416 */
} CliRange;

/* Reads a Range header ("bytes=a-b", "bytes=a-", "bytes=-n") against a
 * representation of size bytes. Only one range is served: a list of
 * several, another unit or a malformed value are ignored (CLI_RANGE_NONE),
 * as RFC 9110 14.2 allows. */
CliRange cli_http_parse_range (const char *header, gint64 size, gint64 *first, gint64 *last);

/* The path of a request target ("/a%20b?x=1" or "http://host/a%20b"),
 * percent-decoded: "/a b". NULL when it is not a path (an empty or "*"
 * target, another scheme), has a malformed escape or decodes to a NUL byte.
 * Caller frees. */
char *cli_http_target_path (const char *target);

/* Splits a decoded path into the names of its segments, leaving out empty
 * ones and "."; NULL when a segment is "..", which would climb out of the
 * site. Caller frees with g_strfreev. */
char **cli_http_path_segments (const char *path);

/* A Content-Type for a file name, by its extension. */
const char *cli_http_content_type (const char *name);

G_END_DECLS

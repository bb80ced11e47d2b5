/* cli-serve.c: `inkling-cli serve SITE_DIR [--port N] [--fault SPEC]...`, a
 * static file server on 127.0.0.1 for demos and for QA of remote updates
 *
 * HTTP/1.1 GET and HEAD with persistent connections, strong ETags,
 * Last-Modified, conditional requests (304), single byte ranges (206, 416),
 * and faults injected on request (cli-fault.h). Each connection is served
 * by a worker thread of a GThreadedSocketService with blocking I/O; all of
 * it is cancelled through one GCancellable when SIGINT or SIGTERM reaches
 * the main loop, which then waits for the workers and exits 0.
 *
 * Standard output gets one line, the URL served, as soon as the port is
 * bound (with --port 0 the system picks a free one); standard error gets a
 * line per request.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-common.h"
#include "cli-fault.h"
#include "cli-http.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef INKLING_VERSION
#define INKLING_VERSION "unknown"
#endif

#define DEFAULT_PORT 8000
#define MAX_CONNECTIONS 32        /* served at once; more wait to be accepted */
#define MAX_HEAD_SIZE (16 * 1024) /* request line and header fields */
#define IO_TIMEOUT_SECONDS 30     /* an idle connection is closed after this */
#define CHUNK_SIZE (64 * 1024)
/* The query parameter that carries a redirect fault's chain: the
 * redirects still to make before the answer. */
#define REDIRECTS_LEFT "redirects-left="
#define SHUTDOWN_WAIT_MS 3000 /* for the workers to see the cancellation */

typedef struct {
  char *root; /* SITE_DIR, resolved */
  CliFaults *faults;
  GCancellable *shutdown;
  gint active; /* connections being served (atomic) */
} Server;

typedef struct {
  Server *server;
  GInputStream *in;
  GOutputStream *out;
  GByteArray *buffer; /* bytes received and not yet parsed */
} Connection;

typedef struct {
  char *method;
  char *target;
  char *version;
  GHashTable *headers; /* lower-case name to value; repeated fields joined by ", " */
  gboolean keep_alive;
} Request;

/* What a request's log line says beyond the request line. */
typedef struct {
  int status;
  gint64 sent; /* body bytes */
  char *range; /* "a-b/size", or NULL */
  const char *faults;
  const char *note; /* "dropped", "client gone", ... or NULL */
} Outcome;

/* ---- Output ---- */

static void
log_request (const Request *r, const Outcome *o)
{
  g_autoptr (GString) line = g_string_new (NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%H:%M:%S.%f");

  /* %f gives microseconds: keep milliseconds. */
  if (time != NULL && strlen (time) > 12)
    time[12] = '\0';
  g_string_append_printf (line, "[%s] \"%s %s\" %d %" G_GINT64_FORMAT, time ? time : "",
                          r->method ? r->method : "-", r->target ? r->target : "-", o->status,
                          o->sent);
  if (o->range != NULL)
    g_string_append_printf (line, " range=%s", o->range);
  if (o->faults != NULL && o->faults[0] != '\0')
    g_string_append_printf (line, " fault=%s", o->faults);
  if (o->note != NULL)
    g_string_append_printf (line, " %s", o->note);
  g_string_append_c (line, '\n');
  fputs (line->str, stderr);
  fflush (stderr);
}

/* ---- Requests ---- */

static void
request_clear (Request *r)
{
  g_clear_pointer (&r->method, g_free);
  g_clear_pointer (&r->target, g_free);
  g_clear_pointer (&r->version, g_free);
  g_clear_pointer (&r->headers, g_hash_table_unref);
}

static const char *
header (const Request *r, const char *name)
{
  return r->headers != NULL ? g_hash_table_lookup (r->headers, name) : NULL;
}

/* Whether a comma-separated header value lists token (case-insensitive). */
static gboolean
lists_token (const char *value, const char *token)
{
  g_auto (GStrv) items = value != NULL ? g_strsplit (value, ",", -1) : NULL;

  for (guint i = 0; items != NULL && items[i] != NULL; i++) {
    if (g_ascii_strcasecmp (g_strstrip (items[i]), token) == 0)
      return TRUE;
  }
  return FALSE;
}

static gboolean
is_token_char (char ch)
{
  return g_ascii_isalnum (ch) || (ch != '\0' && strchr ("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Fills r from a request head (lines without their terminator); returns 0,
 * or the status to answer a malformed request with. */
static int
parse_request (const char *head, Request *r)
{
  g_auto (GStrv) lines = g_strsplit (head, "\n", -1);
  g_auto (GStrv) parts = NULL;
  const char *connection;

  for (guint i = 0; lines[i] != NULL; i++) {
    size_t n = strlen (lines[i]);

    if (n > 0 && lines[i][n - 1] == '\r')
      lines[i][n - 1] = '\0';
  }
  parts = g_strsplit (lines[0], " ", -1);
  if (g_strv_length (parts) != 3 || parts[0][0] == '\0' || parts[1][0] == '\0')
    return 400;
  r->method = g_strdup (parts[0]);
  r->target = g_strdup (parts[1]);
  r->version = g_strdup (parts[2]);
  r->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (strcmp (r->version, "HTTP/1.1") != 0 && strcmp (r->version, "HTTP/1.0") != 0)
    return g_str_has_prefix (r->version, "HTTP/") && g_ascii_isdigit (r->version[5]) ? 505 : 400;
  for (guint i = 1; lines[i] != NULL; i++) {
    const char *colon = strchr (lines[i], ':');
    g_autofree char *name = NULL;
    char *value, *old;

    if (colon == NULL || colon == lines[i])
      return 400; /* also an obsolete folded line, which starts with a blank */
    for (const char *p = lines[i]; p < colon; p++) {
      if (!is_token_char (*p))
        return 400;
    }
    name = g_ascii_strdown (lines[i], colon - lines[i]);
    value = g_strstrip (g_strdup (colon + 1));
    old = g_hash_table_lookup (r->headers, name);
    if (old != NULL) {
      char *joined = g_strdup_printf ("%s, %s", old, value);

      g_free (value);
      value = joined;
    }
    g_hash_table_replace (r->headers, g_steal_pointer (&name), value);
  }
  connection = header (r, "connection");
  /* HTTP/1.0 clients get one response per connection. */
  r->keep_alive = strcmp (r->version, "HTTP/1.1") == 0 && !lists_token (connection, "close");
  /* A request with a body (unusual for GET) is answered, then the
   * connection closed rather than the body read. */
  if (header (r, "transfer-encoding") != NULL ||
      (header (r, "content-length") != NULL && strcmp (header (r, "content-length"), "0") != 0))
    r->keep_alive = FALSE;
  return 0;
}

typedef enum {
  READ_OK,
  READ_EOF,
  READ_FAILED,
  READ_TOO_LARGE,
} ReadResult;

/* The end of a request head in data (the blank line after the header
 * fields, CRLF or bare LF), or -1; *term_len is the terminator's length. */
static gssize
find_head_end (const guint8 *data, gsize len, gsize *term_len)
{
  for (gsize i = 0; i < len; i++) {
    if (data[i] != '\n')
      continue;
    if (i + 1 < len && data[i + 1] == '\n') {
      *term_len = 2;
      return (gssize) i;
    }
    if (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n') {
      *term_len = 3;
      return (gssize) i;
    }
  }
  return -1;
}

/* Reads one request head into *head (NUL-terminated, without the blank
 * line); bytes after it stay in the buffer for the next request. */
static ReadResult
read_head (Connection *c, char **head)
{
  guint8 chunk[4096];

  for (;;) {
    gsize term_len = 0;
    gssize end;
    gssize n;

    /* Empty lines before a request line are ignored (RFC 9112 2.2). */
    while (c->buffer->len > 0 && (c->buffer->data[0] == '\r' || c->buffer->data[0] == '\n'))
      g_byte_array_remove_index (c->buffer, 0);
    end = find_head_end (c->buffer->data, c->buffer->len, &term_len);
    if (end >= 0) {
      if (memchr (c->buffer->data, '\0', (gsize) end) != NULL)
        return READ_FAILED;
      *head = g_strndup ((const char *) c->buffer->data, (gsize) end);
      g_byte_array_remove_range (c->buffer, 0, (guint) (end + (gssize) term_len));
      return READ_OK;
    }
    if (c->buffer->len >= MAX_HEAD_SIZE)
      return READ_TOO_LARGE;
    n = g_input_stream_read (c->in, chunk, sizeof chunk, c->server->shutdown, NULL);
    if (n < 0)
      return READ_FAILED;
    if (n == 0)
      return c->buffer->len == 0 ? READ_EOF : READ_FAILED;
    g_byte_array_append (c->buffer, chunk, (guint) n);
  }
}

/* ---- Responses ---- */

static gboolean
send_bytes (Connection *c, const void *data, gsize n)
{
  return g_output_stream_write_all (c->out, data, n, NULL, c->server->shutdown, NULL);
}

/* Waits until the monotonic clock reaches deadline; FALSE when the server
 * is shutting down first. */
static gboolean
wait_until (Server *s, gint64 deadline)
{
  while (!g_cancellable_is_cancelled (s->shutdown)) {
    gint64 now = g_get_monotonic_time ();

    if (now >= deadline)
      return TRUE;
    g_usleep ((gulong) MIN (deadline - now, 20 * 1000));
  }
  return FALSE;
}

/* The status line and the fields every response has. */
static GString *
start_response (int status, gboolean keep_alive)
{
  GString *head = g_string_new (NULL);
  g_autofree char *date = cli_http_format_date (g_get_real_time () / G_USEC_PER_SEC);

  g_string_append_printf (head, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: inkling-cli/%s\r\n", status,
                          cli_http_reason (status), date, INKLING_VERSION);
  if (!keep_alive)
    g_string_append (head, "Connection: close\r\n");
  return head;
}

/* A response with a short text body saying what status is; extra holds
 * more header fields, each ending with CRLF. Returns whether the
 * connection may serve another request. */
static gboolean
send_simple (Connection *c, const Request *r, int status, const char *extra, gboolean keep_alive,
             const char *faults)
{
  g_autofree char *body = g_strdup_printf ("%d %s\n", status, cli_http_reason (status));
  g_autoptr (GString) head = start_response (status, keep_alive);
  gboolean head_only = r->method != NULL && strcmp (r->method, "HEAD") == 0;
  Outcome outcome = {.status = status, .faults = faults};
  gboolean ok;

  if (extra != NULL)
    g_string_append (head, extra);
  if (status == 304) {
    g_string_append (head, "\r\n");
  } else {
    g_string_append_printf (head,
                            "Content-Type: text/plain; charset=utf-8\r\n"
                            "Content-Length: %zu\r\n\r\n",
                            strlen (body));
    if (!head_only) {
      g_string_append (head, body);
      outcome.sent = (gint64) strlen (body);
    }
  }
  ok = send_bytes (c, head->str, head->len);
  if (!ok)
    outcome.note = "client gone";
  log_request (r, &outcome);
  return ok && keep_alive;
}

/* The redirects-left=N parameter of target's query: N, -1 without one,
 * -2 when it is malformed or larger than a fault makes. */
static int
redirects_left (const char *target)
{
  const char *query = strchr (target, '?');
  g_auto (GStrv) params = NULL;
  gint64 n;

  if (query == NULL)
    return -1;
  params = g_strsplit (query + 1, "&", -1);
  for (guint i = 0; params[i] != NULL; i++) {
    if (!g_str_has_prefix (params[i], REDIRECTS_LEFT))
      continue;
    if (!g_ascii_string_to_signed (params[i] + strlen (REDIRECTS_LEFT), 10, 0,
                                   CLI_FAULT_MAX_REDIRECTS, &n, NULL))
      return -2;
    return (int) n;
  }
  return -1;
}

/* 302 Found to path (decoded), with left redirects still to make after it. */
static gboolean
send_redirect (Connection *c, const Request *r, const char *path, int left, gboolean keep_alive,
               const char *faults)
{
  g_autofree char *escaped = g_uri_escape_string (path, "/", FALSE);
  g_autofree char *extra = g_strdup_printf ("Location: %s?" REDIRECTS_LEFT "%d\r\n", escaped, left);

  return send_simple (c, r, 302, extra, keep_alive, faults);
}

typedef enum {
  BODY_SENT,
  BODY_DROPPED,
  BODY_FAILED,
} BodyResult;

/* Fills buf with n bytes of the representation from offset: the file's
 * bytes up to file_size, zeros beyond (a pad fault). */
static gboolean
read_representation (int fd, gint64 file_size, gint64 offset, guint8 *buf, gint64 n)
{
  gint64 from_file = offset < file_size ? MIN (n, file_size - offset) : 0;
  gint64 done = 0;

  while (done < from_file) {
    ssize_t got = pread (fd, buf + done, (size_t) (from_file - done), (off_t) (offset + done));

    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return FALSE; /* the file changed under us */
    done += got;
  }
  memset (buf + from_file, 0, (size_t) (n - from_file));
  return TRUE;
}

/* Sends bytes first..last of the representation, as the fault plan says:
 * at most drip_rate bytes a second, the bytes at the corrupt offsets
 * flipped, and the connection dropped after drop_after bytes. */
static BodyResult
send_body (Connection *c, int fd, gint64 file_size, gint64 first, gint64 last,
           const CliFaultPlan *plan, gint64 *sent)
{
  g_autofree guint8 *chunk = g_malloc (CHUNK_SIZE);
  gint64 chunk_max = CHUNK_SIZE;
  gint64 start = g_get_monotonic_time ();
  gint64 offset = first;

  *sent = 0;
  if (plan->drip_rate > 0) /* ten writes a second */
    chunk_max = CLAMP (plan->drip_rate / 10, 1, CHUNK_SIZE);
  while (offset <= last) {
    gint64 n = MIN (chunk_max, last - offset + 1);
    gboolean drop = FALSE;

    if (plan->drop_after >= 0 && *sent + n > plan->drop_after) {
      n = plan->drop_after - *sent;
      drop = TRUE;
    }
    if (n > 0) {
      if (!read_representation (fd, file_size, offset, chunk, n))
        return BODY_FAILED;
      for (guint i = 0; i < plan->corrupt->len; i++) {
        gint64 at = g_array_index (plan->corrupt, gint64, i);

        if (at >= offset && at < offset + n)
          chunk[at - offset] ^= 0xff;
      }
      if (!send_bytes (c, chunk, (gsize) n))
        return BODY_FAILED;
      *sent += n;
      offset += n;
    }
    if (drop)
      return BODY_DROPPED;
    if (plan->drip_rate > 0 && offset <= last &&
        !wait_until (c->server, start + *sent * G_USEC_PER_SEC / plan->drip_rate))
      return BODY_FAILED;
  }
  return BODY_SENT;
}

static gboolean
is_inside (const char *root, const char *path)
{
  size_t n = strlen (root);

  return strncmp (path, root, n) == 0 && (path[n] == '/' || path[n] == '\0' || n == 1);
}

/* Resolves path (already split into segments) under the site, following
 * symbolic links only when they stay inside it, a folder to its
 * index.html; opens it. Returns 0 with *fd and *st set, or a status. */
static int
open_file (const Server *s, char **segments, int *fd, struct stat *st)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new ();
  g_autofree char *joined = NULL;
  g_autofree char *real = NULL;

  g_ptr_array_add (parts, s->root);
  for (guint i = 0; segments[i] != NULL; i++)
    g_ptr_array_add (parts, segments[i]);
  g_ptr_array_add (parts, NULL);
  joined = g_build_filenamev ((char **) parts->pdata);
  real = realpath (joined, NULL);
  if (real == NULL)
    return errno == EACCES ? 403 : 404;
  if (!is_inside (s->root, real))
    return 404;
  if (g_file_test (real, G_FILE_TEST_IS_DIR)) {
    g_autofree char *index = g_build_filename (real, "index.html", NULL);

    g_free (real);
    real = realpath (index, NULL);
    if (real == NULL)
      return errno == EACCES ? 403 : 404;
    if (!is_inside (s->root, real))
      return 404;
  }
  *fd = open (real, O_RDONLY | O_CLOEXEC);
  if (*fd < 0)
    return errno == EACCES ? 403 : 404;
  if (fstat (*fd, st) != 0 || !S_ISREG (st->st_mode)) {
    close (*fd);
    *fd = -1;
    return 404;
  }
  return 0;
}

/* Whether the conditional fields make a GET or HEAD a 304 (RFC 9110 13.2.2:
 * If-None-Match first; If-Modified-Since only without it). */
static gboolean
not_modified (const Request *r, const char *etag, gint64 mtime)
{
  const char *inm = header (r, "if-none-match");
  const char *ims = header (r, "if-modified-since");
  gint64 since;

  if (inm != NULL)
    return cli_http_etag_list_matches (inm, etag);
  if (ims != NULL && cli_http_parse_date (ims, &since) &&
      since <= g_get_real_time () / G_USEC_PER_SEC)
    return mtime <= since;
  return FALSE;
}

/* Whether an If-Range field (an entity tag, or a date) lets the Range
 * apply: only when it names this representation exactly. */
static gboolean
if_range_holds (const Request *r, const char *etag, gint64 mtime)
{
  const char *value = header (r, "if-range");
  gint64 date;

  if (value == NULL)
    return TRUE;
  if (value[0] == '"')
    return strcmp (value, etag) == 0;
  return cli_http_parse_date (value, &date) && date == mtime;
}

/* Serves one request; returns whether the connection may serve another. */
static gboolean
serve_request (Connection *c, const Request *r)
{
  Server *s = c->server;
  g_autofree char *path = NULL;
  g_auto (GStrv) segments = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *last_modified = NULL;
  g_autoptr (GString) head = NULL;
  CliFaultPlan plan;
  gboolean head_only = strcmp (r->method, "HEAD") == 0;
  gboolean keep_alive = r->keep_alive;
  Outcome outcome = {0};
  struct stat st;
  gint64 file_size, size, first, last, mtime;
  BodyResult result;
  int status, left, fd = -1;

  if (!head_only && strcmp (r->method, "GET") != 0)
    return send_simple (c, r, 405, "Allow: GET, HEAD\r\n", keep_alive, NULL);
  path = cli_http_target_path (r->target);
  if (path == NULL)
    return send_simple (c, r, 400, NULL, keep_alive, NULL);

  /* A redirect fault's chain: the hops get no other fault; its end is
   * answered as any request, but not redirected again. */
  left = redirects_left (r->target);
  if (left == -2)
    return send_simple (c, r, 400, NULL, keep_alive, NULL);
  if (left > 0)
    return send_redirect (c, r, path, left - 1, keep_alive, NULL);
  cli_faults_plan (s->faults, path, left == 0, &plan);
  if (plan.delay_ms > 0 && !wait_until (s, g_get_monotonic_time () + plan.delay_ms * 1000)) {
    cli_fault_plan_clear (&plan);
    return FALSE;
  }
  if (plan.status != 0) {
    g_autofree char *extra =
      plan.retry_after >= 0
        ? g_strdup_printf ("Retry-After: %" G_GINT64_FORMAT "\r\n", plan.retry_after)
        : NULL;

    keep_alive = send_simple (c, r, plan.status, extra, keep_alive, plan.applied->str);
    cli_fault_plan_clear (&plan);
    return keep_alive;
  }
  if (plan.redirects > 0) {
    keep_alive = send_redirect (c, r, path, plan.redirects - 1, keep_alive, plan.applied->str);
    cli_fault_plan_clear (&plan);
    return keep_alive;
  }

  segments = cli_http_path_segments (path);
  status = segments != NULL ? open_file (s, segments, &fd, &st) : 404;
  if (status != 0) {
    keep_alive = send_simple (c, r, status, NULL, keep_alive, plan.applied->str);
    cli_fault_plan_clear (&plan);
    return keep_alive;
  }

  /* The representation: the file, cut or padded by faults. Its validators
   * are the file's. */
  file_size = st.st_size;
  if (plan.truncate_to >= 0 && plan.truncate_to < file_size)
    file_size = plan.truncate_to;
  size = file_size + plan.pad;
  mtime = st.st_mtime;
  etag = g_strdup_printf (
    "\"%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x\"", (gint64) st.st_size,
    (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec);
  last_modified = cli_http_format_date (mtime);

  if (not_modified (r, etag, mtime)) {
    g_autofree char *extra =
      g_strdup_printf ("ETag: %s\r\nLast-Modified: %s\r\n", etag, last_modified);

    keep_alive = send_simple (c, r, 304, extra, keep_alive, plan.applied->str);
    close (fd);
    cli_fault_plan_clear (&plan);
    return keep_alive;
  }

  first = 0;
  last = size - 1;
  status = 200;
  if (header (r, "range") != NULL && if_range_holds (r, etag, mtime)) {
    switch (cli_http_parse_range (header (r, "range"), size, &first, &last)) {
    case CLI_RANGE_NONE: break;
    case CLI_RANGE_SATISFIABLE: status = 206; break;
    case CLI_RANGE_UNSATISFIABLE: {
      g_autofree char *extra =
        g_strdup_printf ("Content-Range: bytes */%" G_GINT64_FORMAT "\r\n", size);

      keep_alive = send_simple (c, r, 416, extra, keep_alive, plan.applied->str);
      close (fd);
      cli_fault_plan_clear (&plan);
      return keep_alive;
    }
    }
  }

  head = start_response (status, keep_alive);
  g_string_append_printf (head,
                          "Content-Type: %s\r\nContent-Length: %" G_GINT64_FORMAT "\r\n"
                          "ETag: %s\r\nLast-Modified: %s\r\nAccept-Ranges: bytes\r\n",
                          cli_http_content_type (path), last - first + 1, etag, last_modified);
  if (status == 206) {
    outcome.range = g_strdup_printf ("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
                                     first, last, size);
    g_string_append_printf (head, "Content-Range: bytes %s\r\n", outcome.range);
  }
  g_string_append (head, "\r\n");

  outcome.status = status;
  outcome.faults = plan.applied->str;
  if (!send_bytes (c, head->str, head->len)) {
    result = BODY_FAILED;
  } else if (head_only) {
    result = BODY_SENT;
  } else {
    result = send_body (c, fd, file_size, first, last, &plan, &outcome.sent);
  }
  if (result == BODY_DROPPED)
    outcome.note = "dropped";
  else if (result == BODY_FAILED)
    outcome.note = g_cancellable_is_cancelled (s->shutdown) ? "stopped" : "client gone";
  log_request (r, &outcome);
  g_free (outcome.range);
  close (fd);
  cli_fault_plan_clear (&plan);
  return result == BODY_SENT && keep_alive;
}

static void
serve_connection (Server *s, GSocketConnection *connection)
{
  Connection c = {
    .server = s,
    .in = g_io_stream_get_input_stream (G_IO_STREAM (connection)),
    .out = g_io_stream_get_output_stream (G_IO_STREAM (connection)),
    .buffer = g_byte_array_new (),
  };
  GSocket *socket = g_socket_connection_get_socket (connection);

  g_socket_set_timeout (socket, IO_TIMEOUT_SECONDS);
  /* Headers and body go out in separate writes: no Nagle delay between. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  for (;;) {
    g_autofree char *head = NULL;
    Request r = {0};
    ReadResult read = read_head (&c, &head);
    gboolean more;
    int status;

    if (read == READ_TOO_LARGE) {
      send_simple (&c, &r, 431, NULL, FALSE, NULL);
      break;
    }
    if (read != READ_OK)
      break;
    status = parse_request (head, &r);
    if (status != 0)
      more = send_simple (&c, &r, status, NULL, FALSE, NULL);
    else
      more = serve_request (&c, &r);
    request_clear (&r);
    if (!more)
      break;
  }
  g_byte_array_unref (c.buffer);
}

/* Runs in a worker thread for each connection. */
static gboolean
on_run (GThreadedSocketService *service, GSocketConnection *connection, GObject *source,
        gpointer user_data)
{
  Server *s = user_data;

  g_atomic_int_inc (&s->active);
  serve_connection (s, connection);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  g_atomic_int_dec_and_test (&s->active);
  return TRUE;
}

/* ---- The command ---- */

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static int
listen_on (GSocketService *service, int port, guint16 *bound)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, (guint16) port);
  g_autoptr (GSocketAddress) effective = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error))
    return cli_fail ("cannot listen on 127.0.0.1:%d: %s", port, error->message);
  *bound = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  return CLI_EXIT_OK;
}

static int
run_server (Server *s, int port)
{
  g_autoptr (GSocketService) service = g_threaded_socket_service_new (MAX_CONNECTIONS);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint16 bound = 0;
  guint sigint, sigterm;
  gint64 deadline;
  int status;

  status = listen_on (service, port, &bound);
  if (status != CLI_EXIT_OK)
    return status;
  g_signal_connect (service, "run", G_CALLBACK (on_run), s);
  sigint = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_socket_service_start (service);

  printf ("http://127.0.0.1:%u/\n", (unsigned) bound);
  status = cli_finish_output ();
  if (status == CLI_EXIT_OK) {
    g_printerr ("Serving %s on http://127.0.0.1:%u/ with %u %s; Ctrl-C stops.\n", s->root,
                (unsigned) bound, cli_faults_count (s->faults),
                cli_faults_count (s->faults) == 1 ? "fault" : "faults");
    g_main_loop_run (loop);
  }

  /* Stop accepting, wake every worker, and give them a moment to finish. */
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_cancellable_cancel (s->shutdown);
  deadline = g_get_monotonic_time () + SHUTDOWN_WAIT_MS * 1000;
  while (g_atomic_int_get (&s->active) > 0 && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (status == CLI_EXIT_OK)
    g_printerr ("Stopped.\n");
  return status;
}

int
cli_serve (int argc, char **argv)
{
  int port = DEFAULT_PORT;
  g_auto (GStrv) fault_specs = NULL;
  g_auto (GStrv) remaining = NULL;
  const GOptionEntry entries[] = {
    {"port", 0, 0, G_OPTION_ARG_INT, &port,
     "Listen on port N of 127.0.0.1 (default 8000; 0 picks a free port)", "N"},
    {"fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &fault_specs,
     "Inject a fault (repeatable; see below)", "SPEC"},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &remaining, NULL, "SITE_DIR"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  /* Static: a worker that outlives the shutdown wait may still read it. */
  static Server server;
  int status;

  g_option_context_set_summary (
    context, "Serves the files of SITE_DIR (a site written by 'inkling-cli publish', or any\n"
             "static site) over HTTP/1.1 on 127.0.0.1 only, with ETag, Last-Modified, 304\n"
             "and byte ranges, and injects faults on request. Prints the URL it serves on\n"
             "standard output, and a line per request on standard error.");
  g_option_context_set_description (
    context, "Faults: --fault KIND=PATH:VALUE[:TIMES], PATH a glob over the request's path\n"
             "('*' matches '/' too: '*.mlmodel', '/manifest.json'); with TIMES, only the\n"
             "first TIMES requests whose path matches get the fault.\n"
             "  status=PATH:CODE          answer with status CODE (300 to 599)\n"
             "  retry-after=PATH:SECONDS  answer 503 with 'Retry-After: SECONDS'\n"
             "  delay=PATH:MS             wait MS milliseconds before answering\n"
             "  drip=PATH:BYTES_PER_SEC   send the body at most this fast\n"
             "  drop=PATH:BYTES           close the connection after BYTES of the body\n"
             "  truncate=PATH:BYTES       serve only the first BYTES of the file\n"
             "  pad=PATH:BYTES            serve the file with BYTES zero bytes appended\n"
             "  corrupt=PATH:OFFSET       flip the bits of the file's byte at OFFSET\n"
             "  redirect=PATH:HOPS        answer 302 Found, back to PATH through HOPS\n"
             "                            redirects in all (1 to 100)\n"
             "Example: --fault 'drop=*.mlmodel:4096:1' drops the first model download\n"
             "after 4 KiB; the resumed download then succeeds.\n"
             "Ctrl-C (SIGINT) or SIGTERM stops the server: exit status 0.\n");
  g_option_context_add_main_entries (context, entries, NULL);
  status = cli_parse_options (context, "serve", &argc, &argv);
  if (status == CLI_EXIT_OK)
    status = cli_check_arguments ("serve", remaining, 1, "SITE_DIR");
  if (status != CLI_EXIT_OK)
    return status;
  if (port < 0 || port > 65535)
    return cli_usage_error ("serve", "--port takes 0 to 65535, not %d", port);

  server.faults = cli_faults_new ();
  for (guint i = 0; fault_specs != NULL && fault_specs[i] != NULL; i++) {
    g_autoptr (GError) error = NULL;

    if (!cli_faults_add (server.faults, fault_specs[i], &error)) {
      g_clear_pointer (&server.faults, cli_faults_free);
      return cli_usage_error ("serve", "%s", error->message);
    }
  }
  server.root = realpath (remaining[0], NULL);
  if (server.root == NULL || !g_file_test (server.root, G_FILE_TEST_IS_DIR)) {
    status = cli_fail ("cannot serve %s: %s", remaining[0],
                       server.root == NULL ? g_strerror (errno) : "not a folder");
  } else {
    /* A client that goes away must not kill the server. */
    signal (SIGPIPE, SIG_IGN);
    server.shutdown = g_cancellable_new ();
    status = run_server (&server, port);
    if (g_atomic_int_get (&server.active) > 0)
      return status; /* the process exits with workers still running */
    g_clear_object (&server.shutdown);
  }
  g_clear_pointer (&server.root, free);
  g_clear_pointer (&server.faults, cli_faults_free);
  return status;
}

/* ink-http.c: one HTTP GET with libcurl: conditional requests, ranges,
 * caps, time limits, redirects, progress and cancel
 *
 * SPDX-License-Identifier: MIT
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ink-remote-private.h"
#include "ink-util-private.h"

#ifndef INK_VERSION
#define INK_VERSION "0"
#endif

/* Bytes of an error page read (and dropped) before giving up on it. */
#define MAX_ERROR_BODY (64 * 1024)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_status;

static void
init_curl (void)
{
  curl_init_status = curl_global_init (CURL_GLOBAL_DEFAULT);
}

const char *
ink_http_user_agent (void)
{
  return "Inkling/" INK_VERSION " (model updater)";
}

typedef struct {
  const InkHttpRequest *req;
  InkHttpResponse *resp;
  bool body_started;
  bool discard;
  size_t discarded;
  size_t cap;
  int64_t last_reported;
  char errbuf[CURL_ERROR_SIZE];
} Transfer;

void
ink_http_response_clear (InkHttpResponse *resp)
{
  if (resp == NULL)
    return;
  free (resp->body);
  memset (resp, 0, sizeof *resp);
  resp->content_length = -1;
}

/* Copies a header's value (trimmed) into dst. */
static bool
header_value (const char *line, size_t n, const char *name, char *dst, size_t size)
{
  size_t len = strlen (name);

  if (n <= len || strncasecmp (line, name, len) != 0 || line[len] != ':')
    return false;
  line += len + 1;
  n -= len + 1;
  while (n > 0 && (*line == ' ' || *line == '\t')) {
    line++;
    n--;
  }
  while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
    n--;
  if (n >= size)
    n = size - 1;
  memcpy (dst, line, n);
  dst[n] = '\0';
  return true;
}

static size_t
on_header (char *line, size_t size, size_t nitems, void *data)
{
  Transfer *t = data;
  InkHttpResponse *r = t->resp;
  size_t n = size * nitems;
  char value[128];

  if (n >= 5 && strncmp (line, "HTTP/", 5) == 0) {
    /* a new response (after a redirect or a 100): forget the last one's */
    const char *sp = memchr (line, ' ', n);

    r->status = sp != NULL ? strtol (sp + 1, NULL, 10) : 0;
    r->etag[0] = r->last_modified[0] = r->retry_after[0] = r->content_range[0] = '\0';
    r->location[0] = '\0';
    r->content_length = -1;
    return n;
  }
  if (header_value (line, n, "Content-Length", value, sizeof value))
    r->content_length = strtoll (value, NULL, 10);
  else if (!header_value (line, n, "ETag", r->etag, sizeof r->etag) &&
           !header_value (line, n, "Last-Modified", r->last_modified, sizeof r->last_modified) &&
           !header_value (line, n, "Retry-After", r->retry_after, sizeof r->retry_after) &&
           !header_value (line, n, "X-Retry-After", r->retry_after, sizeof r->retry_after) &&
           !header_value (line, n, "Content-Range", r->content_range, sizeof r->content_range))
    header_value (line, n, "Location", r->location, sizeof r->location);
  return n;
}

/* "bytes START-END/TOTAL": the start, or -1. */
static int64_t
range_start (const char *content_range)
{
  long long start, end;

  if (sscanf (content_range, "bytes %lld-%lld/", &start, &end) != 2 || start < 0 || end < start)
    return -1;
  return start;
}

static bool
start_body (Transfer *t)
{
  const InkHttpRequest *q = t->req;
  InkHttpResponse *r = t->resp;

  t->body_started = true;
  if (r->status < 200 || r->status > 299) {
    t->discard = true;
    return true;
  }
  r->range_start = 0;
  if (q->fd < 0)
    return true;
  if (r->status == 206) {
    int64_t start = range_start (r->content_range);

    if (start != q->resume_from) {
      r->bad_range = true;
      return false;
    }
    r->range_start = start;
  } else if (q->resume_from > 0) {
    /* the server ignored the range: start the file again */
    if (ftruncate (q->fd, 0) < 0)
      return false;
    r->restarted = true;
  }
  return true;
}

static size_t
on_body (char *data, size_t size, size_t nitems, void *user)
{
  Transfer *t = user;
  const InkHttpRequest *q = t->req;
  InkHttpResponse *r = t->resp;
  size_t n = size * nitems;

  if (!t->body_started && !start_body (t))
    return 0;
  if (t->discard) {
    t->discarded += n;
    return t->discarded > MAX_ERROR_BODY ? 0 : n;
  }
  if (q->max_size >= 0 && r->range_start + r->bytes + (int64_t) n > q->max_size) {
    r->too_large = true;
    return 0;
  }
  if (q->fd >= 0) {
    size_t done = 0;

    while (done < n) {
      ssize_t w = write (q->fd, data + done, n - done);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return 0;
      done += (size_t) w;
    }
  } else {
    if (r->body_size + n + 1 > t->cap) {
      size_t cap = t->cap ? t->cap : 4096;
      char *bigger;

      while (cap < r->body_size + n + 1)
        cap *= 2;
      bigger = realloc (r->body, cap);
      if (bigger == NULL)
        return 0;
      r->body = bigger;
      t->cap = cap;
    }
    memcpy (r->body + r->body_size, data, n);
    r->body_size += n;
    r->body[r->body_size] = '\0';
  }
  r->bytes += (int64_t) n;
  return n;
}

static int
on_progress (void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  Transfer *t = user;
  const InkHttpRequest *q = t->req;
  InkHttpResponse *r = t->resp;

  (void) dltotal;
  (void) dlnow;
  (void) ultotal;
  (void) ulnow;
  if (q->stop != NULL && q->stop (q->stop_data)) {
    r->cancelled = true;
    return 1;
  }
  if (q->progress != NULL && !t->discard) {
    int64_t received = r->range_start + r->bytes;

    if (received != t->last_reported) {
      t->last_reported = received;
      if (!q->progress (received, q->progress_total, q->progress_data)) {
        r->cancelled = true;
        return 1;
      }
    }
  }
  return 0;
}

static bool
is_https (const char *url)
{
  return strncasecmp (url, "https:", 6) == 0;
}

/* A redirect to a protocol not allowed (CURLOPT_REDIR_PROTOCOLS_STR):
 * libcurl has moved on to the refused URL (target) when it stops. */
static InkStatus
refused_redirect (const InkHttpRequest *q, const char *target, InkError *err)
{
  const char *why;

  if (is_https (q->url) && strncasecmp (target, "http:", 5) == 0)
    why = "a redirect from https down to plain http is never followed";
  else if (q->require_https)
    why = "only https is allowed";
  else
    why = "only http and https are allowed";
  return ink_error_set (err, INK_ERR_NETWORK, "refused the redirect to %s fetching %s: %s", target,
                        q->url, why);
}

static InkStatus
map_error (const InkHttpRequest *q, InkHttpResponse *r, CURLcode rc, const char *errbuf,
           const char *final_url, InkError *err)
{
  const char *detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror (rc);

  switch (rc) {
  case CURLE_OK: return INK_OK;
  case CURLE_ABORTED_BY_CALLBACK:
    return ink_error_set (err, INK_ERR_CANCELLED, "cancelled: %s", q->url);
  case CURLE_FILESIZE_EXCEEDED: r->too_large = true; /* fall through */
  case CURLE_WRITE_ERROR:
    if (r->too_large)
      return ink_error_set (err, INK_ERR_VERIFICATION,
                            "refused %s: larger than the cap of %" PRId64 " bytes", q->url,
                            q->max_size);
    if (r->bad_range)
      return ink_error_set (err, INK_ERR_HTTP,
                            "%s: asked for bytes from %" PRId64 " but got Content-Range \"%s\"",
                            q->url, q->resume_from, r->content_range);
    return ink_error_set (err, INK_ERR_IO, "cannot store the download of %s: %s", q->url,
                          strerror (errno));
  case CURLE_OPERATION_TIMEDOUT:
    return ink_error_set (err, INK_ERR_NETWORK, "timed out fetching %s after %" PRId64 " bytes: %s",
                          q->url, r->bytes, detail);
  case CURLE_TOO_MANY_REDIRECTS:
    return ink_error_set (err, INK_ERR_NETWORK, "too many redirects fetching %s (limit %ld)",
                          q->url, q->max_redirects);
  case CURLE_UNSUPPORTED_PROTOCOL:
    if (r->redirects > 0 && final_url != NULL)
      return refused_redirect (q, final_url, err);
    return ink_error_set (err, INK_ERR_NETWORK,
                          "refused %s: only http and https are allowed (%s)%s", q->url, detail,
                          q->require_https ? ", and https is required" : "");
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
    r->interrupted = true;
    return ink_error_set (err, INK_ERR_NETWORK,
                          "the connection broke fetching %s after %" PRId64 " bytes: %s", q->url,
                          r->bytes, detail);
  case CURLE_PEER_FAILED_VERIFICATION:
    return ink_error_set (err, INK_ERR_NETWORK,
                          "refused %s: its HTTPS certificate is not trusted (%s; trusted CA "
                          "certificates: %s)",
                          q->url, detail, q->ca_bundle != NULL ? q->ca_bundle : "the system's");
  case CURLE_SSL_CACERT_BADFILE:
    return ink_error_set (err, INK_ERR_NETWORK,
                          "cannot check the HTTPS certificate of %s: the CA certificates %s do "
                          "not load (%s)",
                          q->url, q->ca_bundle != NULL ? q->ca_bundle : "of the system", detail);
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
    return ink_error_set (err, INK_ERR_NETWORK, "TLS failed for %s: %s", q->url, detail);
  default: return ink_error_set (err, INK_ERR_NETWORK, "cannot fetch %s: %s", q->url, detail);
  }
}

InkStatus
ink_http_get (const InkHttpRequest *q, InkHttpResponse *r, InkError *err)
{
  Transfer t = {.req = q, .resp = r, .last_reported = -1};
  struct curl_slist *headers = NULL;
  char line[512], range[64];
  char *final_url = NULL;
  CURL *curl;
  CURLcode rc;
  InkStatus st;

  memset (r, 0, sizeof *r);
  r->content_length = -1;
  if (q == NULL || q->url == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no URL");
  pthread_once (&curl_once, init_curl);
  if (curl_init_status != CURLE_OK)
    return ink_error_set (err, INK_ERR_NETWORK, "libcurl could not be initialized");
  curl = curl_easy_init ();
  if (curl == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");

  curl_easy_setopt (curl, CURLOPT_URL, q->url);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_USERAGENT, ink_http_user_agent ());
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, q->require_https ? "https" : "http,https");
  /* never from https down to http */
  curl_easy_setopt (curl, CURLOPT_REDIR_PROTOCOLS_STR,
                    q->require_https || is_https (q->url) ? "https" : "http,https");
  curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt (curl, CURLOPT_MAXREDIRS, q->max_redirects);
  curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (q->ca_bundle != NULL)
    curl_easy_setopt (curl, CURLOPT_CAINFO, q->ca_bundle);
  if (q->connect_timeout_ms > 0)
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, q->connect_timeout_ms);
  if (q->timeout_ms > 0)
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, q->timeout_ms);
  if (q->low_speed_limit > 0 && q->low_speed_time_s > 0) {
    curl_easy_setopt (curl, CURLOPT_LOW_SPEED_LIMIT, q->low_speed_limit);
    curl_easy_setopt (curl, CURLOPT_LOW_SPEED_TIME, q->low_speed_time_s);
  }
  if (q->max_size >= 0 && q->max_size - q->resume_from >= 0)
    curl_easy_setopt (curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) (q->max_size - q->resume_from));
  if (q->etag != NULL && q->etag[0] != '\0') {
    snprintf (line, sizeof line, "If-None-Match: %s", q->etag);
    headers = curl_slist_append (headers, line);
  }
  if (q->last_modified != NULL && q->last_modified[0] != '\0') {
    snprintf (line, sizeof line, "If-Modified-Since: %s", q->last_modified);
    headers = curl_slist_append (headers, line);
  }
  if (headers != NULL)
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  if (q->fd >= 0 && q->resume_from > 0) {
    snprintf (range, sizeof range, "%" PRId64 "-", q->resume_from);
    curl_easy_setopt (curl, CURLOPT_RANGE, range);
  }
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt (curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);

  if (q->stop != NULL && q->stop (q->stop_data)) {
    /* cancelled before anything was asked of the server */
    curl_slist_free_all (headers);
    curl_easy_cleanup (curl);
    r->cancelled = true;
    return ink_error_set (err, INK_ERR_CANCELLED, "cancelled: %s", q->url);
  }
  rc = curl_easy_perform (curl);
  {
    long status = 0, redirects = 0;
    double seconds = 0;

    curl_easy_getinfo (curl, CURLINFO_EFFECTIVE_URL, &final_url);
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo (curl, CURLINFO_REDIRECT_COUNT, &redirects);
    curl_easy_getinfo (curl, CURLINFO_TOTAL_TIME, &seconds);
    if (status != 0)
      r->status = status;
    r->redirects = redirects;
    r->seconds = seconds;
  }
  if (rc == CURLE_OK && !t.body_started && r->status >= 200 && r->status <= 299 && q->fd >= 0 &&
      q->resume_from > 0 && r->status == 200) {
    /* an empty 200 to a range request: the file is empty now */
    if (ftruncate (q->fd, 0) == 0)
      r->restarted = true;
  }
  st = map_error (q, r, rc, t.errbuf, final_url, err);
  if (r->cancelled && st != INK_ERR_CANCELLED)
    st = ink_error_set (err, INK_ERR_CANCELLED, "cancelled: %s", q->url);
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
  return st;
}

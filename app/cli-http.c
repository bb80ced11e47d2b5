/* cli-http.c: the pieces of HTTP/1.1 that `inkling-cli serve` needs
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli-http.h"

#include <stdio.h>
#include <string.h>

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const long_day_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                             "Thursday", "Friday", "Saturday"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

const char *
cli_http_reason (int status)
{
  static const struct {
    int status;
    const char *reason;
  } reasons[] = {
    {200, "OK"},
    {206, "Partial Content"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {416, "Range Not Satisfiable"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
  };

  for (size_t i = 0; i < G_N_ELEMENTS (reasons); i++) {
    if (reasons[i].status == status)
      return reasons[i].reason;
  }
  return "Unknown";
}

/* ---- Dates ---- */

char *
cli_http_format_date (gint64 unix_seconds)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (unix_seconds);

  if (t == NULL)
    t = g_date_time_new_from_unix_utc (0);
  /* g_date_time_format's %a and %b follow the locale; HTTP wants English. */
  return g_strdup_printf (
    "%s, %02d %s %04d %02d:%02d:%02d GMT", day_names[g_date_time_get_day_of_week (t) % 7],
    g_date_time_get_day_of_month (t), month_names[g_date_time_get_month (t) - 1],
    g_date_time_get_year (t), g_date_time_get_hour (t), g_date_time_get_minute (t),
    g_date_time_get_second (t));
}

static int
month_number (const char *name)
{
  for (int i = 0; i < 12; i++) {
    if (strcmp (name, month_names[i]) == 0)
      return i + 1;
  }
  return 0;
}

static gboolean
is_day_name (const char *name, const char *const *names)
{
  for (int i = 0; i < 7; i++) {
    if (strcmp (name, names[i]) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Fills *y, *month (1..12), *d, *hh, *mm and *ss from one of the three
 * forms; FALSE when text is none of them. */
static gboolean
scan_date (const char *text, int *y, int *month, int *d, int *hh, int *mm, int *ss)
{
  char day[16], mon[4];
  int end = -1;

  /* IMF-fixdate */
  if (sscanf (text, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", day, d, mon, y, hh, mm, ss,
              &end) == 7 &&
      end > 0 && text[end] == '\0' && is_day_name (day, day_names)) {
    *month = month_number (mon);
    return TRUE;
  }
  /* RFC 850; a two-digit year more than 50 years ahead is in the past. */
  end = -1;
  if (sscanf (text, "%15[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT%n", day, d, mon, y, hh, mm, ss,
              &end) == 7 &&
      end > 0 && text[end] == '\0' && is_day_name (day, long_day_names)) {
    *y += *y < 70 ? 2000 : 1900;
    *month = month_number (mon);
    return TRUE;
  }
  /* asctime */
  end = -1;
  if (sscanf (text, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", day, mon, d, hh, mm, ss, y,
              &end) == 7 &&
      end > 0 && text[end] == '\0' && is_day_name (day, day_names)) {
    *month = month_number (mon);
    return TRUE;
  }
  return FALSE;
}

gboolean
cli_http_parse_date (const char *text, gint64 *unix_seconds)
{
  int y, month, d, hh, mm, ss;
  g_autoptr (GDateTime) t = NULL;

  if (!scan_date (text, &y, &month, &d, &hh, &mm, &ss) || month == 0)
    return FALSE;
  t = g_date_time_new_utc (y, month, d, hh, mm, ss);
  if (t == NULL)
    return FALSE;
  *unix_seconds = g_date_time_to_unix (t);
  return TRUE;
}

/* ---- Entity tags ---- */

gboolean
cli_http_etag_list_matches (const char *header, const char *etag)
{
  const char *p = header;
  size_t etag_len = strlen (etag);

  while (*p != '\0') {
    const char *start, *close;

    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    if (*p == '\0')
      break;
    if (*p == '*')
      return TRUE;
    if (strncmp (p, "W/", 2) == 0)
      p += 2;
    if (*p != '"')
      return FALSE; /* malformed: no match */
    start = p;
    close = strchr (p + 1, '"');
    if (close == NULL)
      return FALSE;
    if ((size_t) (close + 1 - start) == etag_len && memcmp (start, etag, etag_len) == 0)
      return TRUE;
    p = close + 1;
  }
  return FALSE;
}

/* ---- Ranges ---- */

/* Reads decimal digits at *p; FALSE when there are none or too many. */
static gboolean
read_number (const char **p, gint64 *out)
{
  gint64 v = 0;
  const char *s = *p;

  if (!g_ascii_isdigit (*s))
    return FALSE;
  for (; g_ascii_isdigit (*s); s++) {
    if (v > (G_MAXINT64 - 9) / 10)
      return FALSE;
    v = v * 10 + (*s - '0');
  }
  *p = s;
  *out = v;
  return TRUE;
}

CliRange
cli_http_parse_range (const char *header, gint64 size, gint64 *first, gint64 *last)
{
  const char *p = header;
  gint64 a = -1, b = -1;

  while (*p == ' ' || *p == '\t')
    p++;
  if (g_ascii_strncasecmp (p, "bytes=", 6) != 0)
    return CLI_RANGE_NONE;
  p += 6;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '-') {
    p++;
    if (!read_number (&p, &b))
      return CLI_RANGE_NONE;
  } else {
    if (!read_number (&p, &a) || *p != '-')
      return CLI_RANGE_NONE;
    p++;
    if (g_ascii_isdigit (*p) && !read_number (&p, &b))
      return CLI_RANGE_NONE;
  }
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p != '\0') /* several ranges, or garbage */
    return CLI_RANGE_NONE;

  if (a < 0) {
    /* Suffix: the last b bytes. */
    if (b == 0 || size == 0)
      return CLI_RANGE_UNSATISFIABLE;
    *first = b >= size ? 0 : size - b;
    *last = size - 1;
    return CLI_RANGE_SATISFIABLE;
  }
  if (b >= 0 && b < a)
    return CLI_RANGE_NONE; /* invalid: ignored */
  if (a >= size)
    return CLI_RANGE_UNSATISFIABLE;
  *first = a;
  *last = b < 0 || b >= size ? size - 1 : b;
  return CLI_RANGE_SATISFIABLE;
}

/* ---- Targets and paths ---- */

char *
cli_http_target_path (const char *target)
{
  const char *start = target, *end;
  g_autoptr (GString) path = g_string_new (NULL);

  if (g_ascii_strncasecmp (target, "http://", 7) == 0) {
    start = strchr (target + 7, '/');
    if (start == NULL)
      start = "/";
  }
  if (*start != '/')
    return NULL;
  end = start + strcspn (start, "?#");
  for (const char *p = start; p < end; p++) {
    if (*p == '%') {
      int hi = p + 1 < end ? g_ascii_xdigit_value (p[1]) : -1;
      int lo = p + 2 < end ? g_ascii_xdigit_value (p[2]) : -1;

      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return NULL;
      g_string_append_c (path, (char) (hi * 16 + lo));
      p += 2;
    } else {
      g_string_append_c (path, *p);
    }
  }
  return g_string_free (g_steal_pointer (&path), FALSE);
}

char **
cli_http_path_segments (const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  GPtrArray *segments = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; parts[i] != NULL; i++) {
    if (strcmp (parts[i], "..") == 0) {
      g_ptr_array_free (segments, TRUE);
      return NULL;
    }
    if (parts[i][0] != '\0' && strcmp (parts[i], ".") != 0)
      g_ptr_array_add (segments, g_strdup (parts[i]));
  }
  g_ptr_array_add (segments, NULL);
  return (char **) g_ptr_array_free (segments, FALSE);
}

const char *
cli_http_content_type (const char *name)
{
  static const struct {
    const char *suffix;
    const char *type;
  } types[] = {
    {".json", "application/json"},
    {".minisig", "text/plain; charset=utf-8"},
    {".pub", "text/plain; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
    {".md", "text/markdown; charset=utf-8"},
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css"},
    {".js", "text/javascript"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".svg", "image/svg+xml"},
  };

  for (size_t i = 0; i < G_N_ELEMENTS (types); i++) {
    if (g_str_has_suffix (name, types[i].suffix))
      return types[i].type;
  }
  /* .mlmodel, .inkmodel and anything else. */
  return "application/octet-stream";
}

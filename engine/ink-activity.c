/* ink-activity.c: the activity log: entries, JSON lines, the capped file
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-activity.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ink-remote-private.h"
#include "ink-util-private.h"

#define LOG_FILE "activity.jsonl"
/* A line is at least this long: the file is only counted past cap * this. */
#define MIN_LINE 120
#define MAX_LOG_SIZE (64u << 20)

static const char *const step_names[] = {
  "check",       "http",     "decision", "download", "verify", "compile",  "install",
  "personalize", "activate", "cleanup",  "rollback", "reset",  "schedule",
};

static const char *const level_names[] = {"info", "warning", "error"};

const char *
ink_activity_step_to_string (InkActivityStep step)
{
  if ((unsigned) step < sizeof step_names / sizeof *step_names)
    return step_names[step];
  return "unknown";
}

const char *
ink_activity_level_to_string (InkActivityLevel level)
{
  if ((unsigned) level < sizeof level_names / sizeof *level_names)
    return level_names[level];
  return "unknown";
}

static void
format_time (int64_t time_ms, char *buf, size_t size, bool iso)
{
  time_t t = (time_t) (time_ms / 1000);
  struct tm tm;
  char base[32];

  if (gmtime_r (&t, &tm) == NULL ||
      strftime (base, sizeof base, iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm) == 0) {
    snprintf (buf, size, "?");
    return;
  }
  if (iso)
    snprintf (buf, size, "%s.%03dZ", base, (int) (time_ms % 1000));
  else
    snprintf (buf, size, "%s UTC", base);
}

static cJSON *
entry_object (const InkActivityEntry *e)
{
  cJSON *obj = cJSON_CreateObject ();
  char when[48];

  if (obj == NULL)
    return NULL;
  format_time (e->time_ms, when, sizeof when, true);
  if (cJSON_AddStringToObject (obj, "time", when) == NULL ||
      cJSON_AddNumberToObject (obj, "time_ms", (double) e->time_ms) == NULL ||
      cJSON_AddStringToObject (obj, "step", ink_activity_step_to_string (e->step)) == NULL ||
      cJSON_AddStringToObject (obj, "level", ink_activity_level_to_string (e->level)) == NULL ||
      cJSON_AddStringToObject (
        obj, "status", e->status == INK_OK ? "ok" : ink_status_to_string (e->status)) == NULL ||
      cJSON_AddNumberToObject (obj, "http_status", (double) e->http_status) == NULL ||
      cJSON_AddNumberToObject (obj, "bytes", (double) e->bytes) == NULL ||
      cJSON_AddStringToObject (obj, "model", e->model) == NULL ||
      cJSON_AddStringToObject (obj, "version", e->version) == NULL ||
      cJSON_AddStringToObject (obj, "message", e->message) == NULL) {
    cJSON_Delete (obj);
    return NULL;
  }
  return obj;
}

static char *
to_malloc (char *printed)
{
  char *copy = printed != NULL ? ink_strdup (printed) : NULL;

  cJSON_free (printed);
  return copy;
}

char *
ink_activity_entry_to_json (const InkActivityEntry *entry)
{
  cJSON *obj = entry != NULL ? entry_object (entry) : NULL;
  char *text = obj != NULL ? to_malloc (cJSON_PrintUnformatted (obj)) : NULL;

  cJSON_Delete (obj);
  return text;
}

char *
ink_activity_to_json (const InkActivityEntry *entries, size_t n)
{
  cJSON *arr = cJSON_CreateArray ();
  char *text;

  for (size_t i = 0; arr != NULL && i < n; i++) {
    cJSON *obj = entry_object (&entries[i]);

    if (obj == NULL) {
      cJSON_Delete (arr);
      return NULL;
    }
    cJSON_AddItemToArray (arr, obj);
  }
  text = arr != NULL ? to_malloc (cJSON_Print (arr)) : NULL;
  cJSON_Delete (arr);
  return text;
}

static int
lookup (const char *const *names, size_t n, const char *s)
{
  for (size_t i = 0; s != NULL && i < n; i++) {
    if (strcmp (names[i], s) == 0)
      return (int) i;
  }
  return -1;
}

static InkStatus
status_from_string (const char *s)
{
  if (s == NULL || strcmp (s, "ok") == 0)
    return INK_OK;
  for (int i = 1; i < 64; i++) {
    const char *name = ink_status_to_string ((InkStatus) i);

    if (name != NULL && strcmp (name, s) == 0)
      return (InkStatus) i;
  }
  return INK_ERR_FORMAT;
}

static const char *
get_string (const cJSON *obj, const char *key)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);

  return cJSON_IsString (item) ? item->valuestring : NULL;
}

static double
get_number (const cJSON *obj, const char *key, double fallback)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);

  return cJSON_IsNumber (item) ? item->valuedouble : fallback;
}

InkStatus
ink_activity_entry_from_json (const char *line, InkActivityEntry *out, InkError *err)
{
  cJSON *obj;
  int step, level;

  if (line == NULL || out == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no line or entry");
  obj = cJSON_Parse (line);
  if (!cJSON_IsObject (obj)) {
    cJSON_Delete (obj);
    return ink_error_set (err, INK_ERR_FORMAT, "not an activity log entry");
  }
  step = lookup (step_names, sizeof step_names / sizeof *step_names, get_string (obj, "step"));
  level = lookup (level_names, sizeof level_names / sizeof *level_names, get_string (obj, "level"));
  if (step < 0 || level < 0 ||
      !cJSON_IsNumber (cJSON_GetObjectItemCaseSensitive (obj, "time_ms"))) {
    cJSON_Delete (obj);
    return ink_error_set (err, INK_ERR_FORMAT,
                          "an activity log entry lacks its time, step or "
                          "level");
  }
  memset (out, 0, sizeof *out);
  out->time_ms = (int64_t) get_number (obj, "time_ms", 0);
  out->step = (InkActivityStep) step;
  out->level = (InkActivityLevel) level;
  out->status = status_from_string (get_string (obj, "status"));
  out->http_status = (long) get_number (obj, "http_status", 0);
  out->bytes = (int64_t) get_number (obj, "bytes", -1);
  ink_copy_text (out->model, sizeof out->model, get_string (obj, "model"));
  ink_copy_text (out->version, sizeof out->version, get_string (obj, "version"));
  ink_copy_text (out->message, sizeof out->message, get_string (obj, "message"));
  cJSON_Delete (obj);
  return INK_OK;
}

void
ink_activity_format (const InkActivityEntry *e, char *buf, size_t size)
{
  char when[48], extra[64] = "";

  if (size == 0)
    return;
  format_time (e->time_ms, when, sizeof when, false);
  if (e->http_status != 0)
    snprintf (extra, sizeof extra, " (HTTP %ld)", e->http_status);
  snprintf (buf, size, "%s  %-8s %s%s%s%s%s", when, ink_activity_step_to_string (e->step),
            e->version, e->version[0] != '\0' ? "  " : "",
            e->level == INK_ACTIVITY_ERROR     ? "ERROR: "
            : e->level == INK_ACTIVITY_WARNING ? "warning: "
                                               : "",
            e->message, extra);
}

/* ---- The file ---- */

static size_t
count_lines (const char *text, size_t size)
{
  size_t n = 0;

  for (size_t i = 0; i < size; i++)
    n += text[i] == '\n';
  return n;
}

/* The text after the first (lines - keep) lines. */
static const char *
last_lines (const char *text, size_t size, size_t lines, size_t keep)
{
  const char *p = text;

  for (size_t skip = lines > keep ? lines - keep : 0; skip > 0 && p < text + size; skip--) {
    const char *nl = memchr (p, '\n', (size_t) (text + size - p));

    if (nl == NULL)
      break;
    p = nl + 1;
  }
  return p;
}

InkStatus
ink_activity_append (InkModelStore *store, const InkActivityEntry *entry, size_t cap, InkError *err)
{
  char *path, *line;
  int fd = -1, lock = -1;
  InkStatus st;
  size_t len;
  off_t end;

  if (store == NULL || entry == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store or entry");
  if (cap == 0)
    cap = INK_ACTIVITY_DEFAULT_CAP;
  line = ink_activity_entry_to_json (entry);
  path = ink_store_file (store, LOG_FILE);
  if (line == NULL || path == NULL) {
    free (line);
    free (path);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  len = strlen (line);
  line[len++] = '\n'; /* replaces the NUL: written with its length */
  st = ink_store_lock (store, &lock, err);
  if (st != INK_OK)
    goto out;
  fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0 || write (fd, line, len) != (ssize_t) len) {
    st = ink_error_set (err, INK_ERR_IO, "cannot append to %s: %s", path, strerror (errno));
    goto out;
  }
  end = lseek (fd, 0, SEEK_END);
  if (end > (off_t) (cap * MIN_LINE)) {
    size_t size;
    char *text = ink_read_file (path, MAX_LOG_SIZE, &size, NULL);
    size_t lines = text != NULL ? count_lines (text, size) : 0;

    /* trim to three quarters of the cap, so that trimming is rare */
    if (text != NULL && lines > cap) {
      const char *keep = last_lines (text, size, lines, cap - cap / 4);

      st = ink_write_file (path, keep, (size_t) (text + size - keep), err);
    } else if (text == NULL) {
      /* too large to read: start again */
      st = ink_write_file (path, line, len, err);
    }
    free (text);
  }
out:
  if (fd >= 0)
    close (fd);
  ink_store_unlock (lock);
  free (line);
  free (path);
  return st;
}

InkStatus
ink_activity_read (const InkModelStore *store, size_t max, InkActivityEntry **entries, size_t *n,
                   InkError *err)
{
  char *path, *text;
  size_t size = 0, lines, count = 0;
  const char *p;
  InkActivityEntry *out;

  if (store == NULL || entries == NULL || n == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store or output");
  *entries = NULL;
  *n = 0;
  path = ink_store_file (store, LOG_FILE);
  if (path == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  text = ink_read_file (path, MAX_LOG_SIZE, &size, err);
  free (path);
  if (text == NULL)
    return errno == ENOENT ? (ink_error_clear (err), INK_OK) : INK_ERR_IO;
  /* a last line without its newline counts too */
  lines = count_lines (text, size) + (size > 0 && text[size - 1] != '\n' ? 1 : 0);
  p = max > 0 ? last_lines (text, size, lines, max) : text;
  out = calloc (lines + 1, sizeof *out);
  if (out == NULL) {
    free (text);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  while (p < text + size) {
    char *nl = strchr (p, '\n');

    if (nl != NULL)
      *nl = '\0';
    if (*p != '\0' && ink_activity_entry_from_json (p, &out[count], NULL) == INK_OK)
      count++;
    if (nl == NULL)
      break;
    p = nl + 1;
  }
  free (text);
  if (max > 0 && count > max) {
    memmove (out, out + (count - max), max * sizeof *out);
    count = max;
  }
  *entries = out;
  *n = count;
  return INK_OK;
}

InkStatus
ink_activity_clear (InkModelStore *store, InkError *err)
{
  char *path;
  int lock = -1;
  InkStatus st;

  if (store == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store");
  path = ink_store_file (store, LOG_FILE);
  if (path == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  st = ink_store_lock (store, &lock, err);
  if (st == INK_OK && unlink (path) < 0 && errno != ENOENT)
    st = ink_error_set (err, INK_ERR_IO, "cannot remove %s: %s", path, strerror (errno));
  ink_store_unlock (lock);
  free (path);
  return st;
}

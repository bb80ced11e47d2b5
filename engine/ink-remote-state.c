/* ink-remote-state.c: the updater's persistent state (DIR/remote.json):
 * validators, last check, backoff, the model rolled back from
 *
 * SPDX-License-Identifier: MIT
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "ink-remote-private.h"
#include "ink-util-private.h"

#define STATE_FILE "remote.json"

void
ink_remote_state_set (char **field, const char *value)
{
  char *copy = value != NULL && value[0] != '\0' ? ink_strdup (value) : NULL;

  free (*field);
  *field = copy;
}

void
ink_remote_state_clear (InkRemoteState *s)
{
  free (s->manifest_url);
  free (s->etag);
  free (s->last_modified);
  free (s->skipped_id);
  free (s->skipped_version);
  memset (s, 0, sizeof *s);
}

static const char *
get_string (const cJSON *obj, const char *key)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);

  return cJSON_IsString (item) ? item->valuestring : NULL;
}

static int64_t
get_int (const cJSON *obj, const char *key)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);

  return cJSON_IsNumber (item) ? (int64_t) item->valuedouble : 0;
}

void
ink_remote_state_load (const InkModelStore *store, InkRemoteState *s)
{
  char *path = ink_store_file (store, STATE_FILE), *text;
  size_t size;
  cJSON *root;

  memset (s, 0, sizeof *s);
  text = path != NULL ? ink_read_file (path, 1 << 20, &size, NULL) : NULL;
  free (path);
  if (text == NULL)
    return;
  root = cJSON_ParseWithLength (text, size);
  free (text);
  if (cJSON_IsObject (root)) {
    ink_remote_state_set (&s->manifest_url, get_string (root, "manifest_url"));
    ink_remote_state_set (&s->etag, get_string (root, "etag"));
    ink_remote_state_set (&s->last_modified, get_string (root, "last_modified"));
    ink_remote_state_set (&s->skipped_id, get_string (root, "skipped_id"));
    ink_remote_state_set (&s->skipped_version, get_string (root, "skipped_version"));
    ink_copy_text (s->last_result, sizeof s->last_result, get_string (root, "last_result"));
    s->last_check = get_int (root, "last_check");
    s->last_status = (InkStatus) get_int (root, "last_status");
    s->last_http_status = (long) get_int (root, "last_http_status");
    s->last_success = get_int (root, "last_success");
    s->failures = (int) get_int (root, "failures");
    s->next_check = get_int (root, "next_check");
    s->retry_after_until = get_int (root, "retry_after_until");
    if (s->failures < 0)
      s->failures = 0;
  }
  cJSON_Delete (root);
}

static void
add_opt (cJSON *obj, const char *key, const char *value)
{
  if (value != NULL)
    cJSON_AddStringToObject (obj, key, value);
}

InkStatus
ink_remote_state_save (const InkModelStore *store, const InkRemoteState *s, InkError *err)
{
  cJSON *root = cJSON_CreateObject ();

  if (root == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  add_opt (root, "manifest_url", s->manifest_url);
  add_opt (root, "etag", s->etag);
  add_opt (root, "last_modified", s->last_modified);
  cJSON_AddNumberToObject (root, "last_check", (double) s->last_check);
  cJSON_AddNumberToObject (root, "last_status", (double) s->last_status);
  cJSON_AddNumberToObject (root, "last_http_status", (double) s->last_http_status);
  cJSON_AddStringToObject (root, "last_result", s->last_result);
  cJSON_AddNumberToObject (root, "last_success", (double) s->last_success);
  cJSON_AddNumberToObject (root, "failures", s->failures);
  cJSON_AddNumberToObject (root, "next_check", (double) s->next_check);
  cJSON_AddNumberToObject (root, "retry_after_until", (double) s->retry_after_until);
  add_opt (root, "skipped_id", s->skipped_id);
  add_opt (root, "skipped_version", s->skipped_version);
  return ink_store_write_json (store, STATE_FILE, root, err);
}

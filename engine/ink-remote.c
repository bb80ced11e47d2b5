/* ink-remote.c: the updater: configuration, log, status, scheduling and
 * the manifest check
 *
 * SPDX-License-Identifier: MIT
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "ink-remote-private.h"
#include "ink-util-private.h"

#ifndef INK_VERSION
#define INK_VERSION "0"
#endif

#define MANIFEST_FILE "manifest.json"
#define SIGNATURE_FILE "manifest.json.minisig"
#define SIGNATURE_SUFFIX ".minisig"
#define MAX_SIGNATURE_SIZE (64 * 1024)
#define MAX_RETRY_AFTER_S (7 * 24 * 3600)

const char *
ink_check_outcome_to_string (InkCheckOutcome outcome)
{
  switch (outcome) {
  case INK_CHECK_NO_UPDATE: return "no-update";
  case INK_CHECK_UPDATE_AVAILABLE: return "update-available";
  case INK_CHECK_FAILED: return "failed";
  }
  return "unknown";
}

void
ink_remote_config_init (InkRemoteConfig *c)
{
  memset (c, 0, sizeof *c);
  c->connect_timeout_ms = 10000;
  c->manifest_timeout_ms = 30000;
  c->download_timeout_ms = 600000;
  c->low_speed_limit = 1;
  c->low_speed_time_s = 30;
  c->max_redirects = 5;
  c->max_manifest_size = 1 << 20;
  c->max_download_size = (int64_t) 256 << 20;
  c->download_retries = 2;
  c->check_interval_s = 86400;
  c->backoff_initial_s = 60;
  c->backoff_max_s = 86400;
}

/* ---- Required features ---- */

static InkRemoteFeature *
features_of (const InkModelDescription *d, size_t n,
             const InkFeatureDescription *(*nth) (const InkModelDescription *, size_t), bool *ok)
{
  InkRemoteFeature *features;

  if (n == 0)
    return NULL;
  features = calloc (n, sizeof *features);
  if (features == NULL) {
    *ok = false;
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    const InkFeatureDescription *f = nth (d, i);

    features[i] = (InkRemoteFeature){f->name, f->type.type};
  }
  return features;
}

InkStatus
ink_remote_requirements_from_description (const InkModelDescription *description,
                                          InkRemoteRequirements *req, InkError *err)
{
  size_t n_inputs = ink_description_n_inputs (description);
  size_t n_outputs = ink_description_n_outputs (description);
  bool ok = true;

  memset (req, 0, sizeof *req);
  req->inputs = features_of (description, n_inputs, ink_description_input, &ok);
  req->outputs = features_of (description, n_outputs, ink_description_output, &ok);
  if (!ok) {
    ink_remote_requirements_clear (req);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  req->n_inputs = n_inputs;
  req->n_outputs = n_outputs;
  return INK_OK;
}

void
ink_remote_requirements_clear (InkRemoteRequirements *req)
{
  free (req->inputs);
  free (req->outputs);
  memset (req, 0, sizeof *req);
}

/* ---- Settings: an owned copy of a configuration ---- */

static void
settings_clear (InkRemoteSettings *s)
{
  for (size_t i = 0; i < s->n_strings; i++)
    free (s->strings[i]);
  free (s->strings);
  free (s->rewrites);
  free (s->inputs);
  free (s->outputs);
  ink_features_free (s->test_input);
  memset (s, 0, sizeof *s);
}

/* A copy owned by the settings; *ok turns false when out of memory. */
static const char *
own (InkRemoteSettings *s, const char *str, bool *ok)
{
  char *copy;
  char **bigger;

  if (str == NULL || !*ok)
    return NULL;
  copy = ink_strdup (str);
  bigger = copy != NULL ? realloc (s->strings, (s->n_strings + 1) * sizeof *s->strings) : NULL;
  if (bigger == NULL) {
    free (copy);
    *ok = false;
    return NULL;
  }
  s->strings = bigger;
  s->strings[s->n_strings++] = copy;
  return copy;
}

static InkRemoteFeature *
own_features (InkRemoteSettings *s, const InkRemoteFeature *src, size_t n, bool *ok)
{
  InkRemoteFeature *copy;

  if (n == 0 || src == NULL || !*ok)
    return NULL;
  copy = calloc (n, sizeof *copy);
  if (copy == NULL) {
    *ok = false;
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    copy[i].name = own (s, src[i].name, ok);
    copy[i].type = src[i].type;
  }
  return copy;
}

static bool
is_http_url (const char *url)
{
  return strncasecmp (url, "http://", 7) == 0 || strncasecmp (url, "https://", 8) == 0;
}

static InkStatus
settings_make (InkRemoteSettings *s, const InkRemoteConfig *in, InkError *err)
{
  InkRemoteConfig defaults, *c = &s->config;
  bool ok = true;

  memset (s, 0, sizeof *s);
  if (in == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no configuration");
  ink_remote_config_init (&defaults);
  *c = *in;
  if (in->manifest_url != NULL && in->manifest_url[0] != '\0' && !is_http_url (in->manifest_url))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "the server URL \"%s\" is not an http:// or https:// URL",
                          in->manifest_url);
  if (in->public_key != NULL && in->public_key[0] != '\0') {
    if (ink_minisign_public_key_parse (in->public_key, strlen (in->public_key), &s->key, err) !=
        INK_OK)
      return ink_error_prefix (err, "public key");
    s->has_key = true;
  }
#define DEFAULT_IF_NOT_POSITIVE(field)                                                             \
  if (c->field <= 0)                                                                               \
  c->field = defaults.field
  DEFAULT_IF_NOT_POSITIVE (connect_timeout_ms);
  DEFAULT_IF_NOT_POSITIVE (manifest_timeout_ms);
  DEFAULT_IF_NOT_POSITIVE (download_timeout_ms);
  DEFAULT_IF_NOT_POSITIVE (low_speed_limit);
  DEFAULT_IF_NOT_POSITIVE (low_speed_time_s);
  DEFAULT_IF_NOT_POSITIVE (max_manifest_size);
  DEFAULT_IF_NOT_POSITIVE (max_download_size);
  DEFAULT_IF_NOT_POSITIVE (check_interval_s);
  DEFAULT_IF_NOT_POSITIVE (backoff_initial_s);
  DEFAULT_IF_NOT_POSITIVE (backoff_max_s);
#undef DEFAULT_IF_NOT_POSITIVE
  if (c->max_redirects < 0)
    c->max_redirects = 0;
  if (c->download_retries < 0)
    c->download_retries = 0;
  c->manifest_url =
    in->manifest_url != NULL && in->manifest_url[0] != '\0' ? own (s, in->manifest_url, &ok) : NULL;
  c->channel = own (
    s, in->channel != NULL && in->channel[0] != '\0' ? in->channel : INK_MANIFEST_DEFAULT_CHANNEL,
    &ok);
  c->app_version = own (s, in->app_version != NULL ? in->app_version : INK_VERSION, &ok);
  c->installation_id = own (s, in->installation_id, &ok);
  c->public_key = own (s, in->public_key, &ok);
  c->ca_bundle = own (s, in->ca_bundle, &ok);
  if (in->n_url_rewrites > 0 && in->url_rewrites != NULL) {
    s->rewrites = calloc (in->n_url_rewrites, sizeof *s->rewrites);
    ok = ok && s->rewrites != NULL;
    for (size_t i = 0; ok && i < in->n_url_rewrites; i++) {
      s->rewrites[i].from = own (s, in->url_rewrites[i].from, &ok);
      s->rewrites[i].to = own (s, in->url_rewrites[i].to, &ok);
    }
  }
  c->url_rewrites = s->rewrites;
  c->n_url_rewrites = s->rewrites != NULL ? in->n_url_rewrites : 0;
  s->inputs = own_features (s, in->required_inputs, in->n_required_inputs, &ok);
  s->outputs = own_features (s, in->required_outputs, in->n_required_outputs, &ok);
  c->required_inputs = s->inputs;
  c->n_required_inputs = s->inputs != NULL ? in->n_required_inputs : 0;
  c->required_outputs = s->outputs;
  c->n_required_outputs = s->outputs != NULL ? in->n_required_outputs : 0;
  if (ok && in->test_input != NULL) {
    s->test_input = ink_features_copy (in->test_input);
    ok = s->test_input != NULL;
  }
  c->test_input = s->test_input;
  if (!ok) {
    settings_clear (s);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  return INK_OK;
}

/* ---- Life cycle ---- */

static void
forget_manifest (InkRemote *remote)
{
  ink_manifest_free (remote->manifest);
  remote->manifest = NULL;
  free (remote->judged);
  remote->judged = NULL;
}

/* Loads the kept manifest when it belongs to the configured URL (with no
 * URL configured, the one of the last check: so a status without a server
 * still lists what is available). */
static void
load_kept_manifest (InkRemote *remote)
{
  const char *url = remote->settings.config.manifest_url;
  char *path;

  forget_manifest (remote);
  if (url == NULL)
    url = remote->state.manifest_url;
  if (url == NULL || remote->state.manifest_url == NULL ||
      strcmp (url, remote->state.manifest_url) != 0)
    return;
  path = ink_store_file (remote->store, MANIFEST_FILE);
  if (path != NULL)
    remote->manifest = ink_manifest_load (path, url, NULL);
  free (path);
  ink_remote_judge (remote);
}

static void
apply_identity (InkRemote *remote)
{
  const char *id = remote->settings.config.installation_id;

  ink_copy_text (remote->installation_id, sizeof remote->installation_id,
                 id != NULL ? id : ink_model_store_get_installation_id (remote->store));
}

InkRemote *
ink_remote_new (InkModelStore *store, const InkRemoteConfig *config, InkError *err)
{
  InkRemote *remote;

  if (store == NULL || config == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no store or configuration");
    return NULL;
  }
  remote = calloc (1, sizeof *remote);
  if (remote == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  remote->store = store;
  atomic_init (&remote->run, 0u);
  if (settings_make (&remote->settings, config, err) != INK_OK) {
    free (remote);
    return NULL;
  }
  apply_identity (remote);
  ink_remote_state_load (store, &remote->state);
  load_kept_manifest (remote);
  return remote;
}

void
ink_remote_free (InkRemote *remote)
{
  if (remote == NULL)
    return;
  forget_manifest (remote);
  settings_clear (&remote->settings);
  ink_remote_state_clear (&remote->state);
  free (remote);
}

InkStatus
ink_remote_set_config (InkRemote *remote, const InkRemoteConfig *config, InkError *err)
{
  InkRemoteSettings fresh;

  if (remote == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no updater");
  if (!ink_remote_begin (remote))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "busy: an update operation is running");
  if (settings_make (&fresh, config, err) != INK_OK) {
    ink_remote_end (remote);
    return err != NULL ? err->status : INK_ERR_INVALID_ARGUMENT;
  }
  settings_clear (&remote->settings);
  remote->settings = fresh;
  apply_identity (remote);
  load_kept_manifest (remote);
  ink_remote_end (remote);
  return INK_OK;
}

/* ---- Running and cancelling ---- */

bool
ink_remote_begin (InkRemote *remote)
{
  unsigned idle = 0;

  return atomic_compare_exchange_strong (&remote->run, &idle, INK_REMOTE_RUN_BUSY);
}

void
ink_remote_end (InkRemote *remote)
{
  atomic_store (&remote->run, 0u);
}

void
ink_remote_cancel (InkRemote *remote)
{
  unsigned run;

  if (remote == NULL)
    return;
  /* only an operation running is cancelled: none starts cancelled */
  run = atomic_load (&remote->run);
  while ((run & INK_REMOTE_RUN_BUSY) && !(run & INK_REMOTE_RUN_CANCEL) &&
         !atomic_compare_exchange_weak (&remote->run, &run, run | INK_REMOTE_RUN_CANCEL))
    ;
}

bool
ink_remote_cancelled (InkRemote *remote)
{
  return (atomic_load (&remote->run) & INK_REMOTE_RUN_CANCEL) != 0;
}

InkStatus
ink_remote_check_cancel (InkRemote *remote, const char *step, InkError *e)
{
  if (ink_remote_cancelled (remote))
    return ink_error_set (e, INK_ERR_CANCELLED, "cancelled before %s", step);
  return INK_OK;
}

static bool
http_stop (void *data)
{
  return ink_remote_cancelled (data);
}

/* ---- Log ---- */

void
ink_remote_log (InkRemote *remote, InkActivityStep step, InkActivityLevel level, InkStatus status,
                long http_status, int64_t bytes, const InkManifestModel *model, const char *fmt,
                ...)
{
  InkActivityEntry e;
  va_list ap;

  memset (&e, 0, sizeof e);
  e.time_ms = ink_now_ms ();
  e.step = step;
  e.level = level;
  e.status = status;
  e.http_status = http_status;
  e.bytes = bytes;
  if (model != NULL) {
    ink_copy_text (e.model, sizeof e.model, model->id);
    ink_copy_text (e.version, sizeof e.version, model->version);
  }
  va_start (ap, fmt);
  vsnprintf (e.message, sizeof e.message, fmt, ap);
  va_end (ap);
  ink_activity_append (remote->store, &e, remote->settings.config.log_cap, NULL);
  if (remote->settings.config.log != NULL)
    remote->settings.config.log (&e, remote->settings.config.log_data);
}

/* ---- Helpers ---- */

const char *
ink_remote_active_version (InkRemote *remote)
{
  InkModelStoreEntry active;

  ink_model_store_get_active (remote->store, &active);
  return active.version;
}

char *
ink_remote_rewrite_url (const InkRemote *remote, const char *url)
{
  const InkRemoteConfig *c = &remote->settings.config;

  for (size_t i = 0; url != NULL && i < c->n_url_rewrites; i++) {
    const InkUrlRewrite *r = &c->url_rewrites[i];
    size_t n = r->from != NULL ? strlen (r->from) : 0;

    if (n > 0 && r->to != NULL && strncmp (url, r->from, n) == 0) {
      size_t m = strlen (r->to), rest = strlen (url + n);
      char *out = malloc (m + rest + 1);

      if (out != NULL) {
        memcpy (out, r->to, m);
        memcpy (out + m, url + n, rest + 1);
      }
      return out;
    }
  }
  return url != NULL ? ink_strdup (url) : NULL;
}

void
ink_remote_http_defaults (const InkRemote *remote, InkHttpRequest *req)
{
  const InkRemoteConfig *c = &remote->settings.config;

  memset (req, 0, sizeof *req);
  req->fd = -1;
  req->max_size = c->max_manifest_size;
  req->connect_timeout_ms = c->connect_timeout_ms;
  req->timeout_ms = c->manifest_timeout_ms;
  req->low_speed_limit = c->low_speed_limit;
  req->low_speed_time_s = c->low_speed_time_s;
  req->max_redirects = c->max_redirects;
  req->ca_bundle = c->ca_bundle;
  req->require_https = c->require_https;
  req->progress_total = -1;
  req->stop = http_stop;
  req->stop_data = (InkRemote *) remote;
}

static bool
same_str (const char *a, const char *b)
{
  return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp (a, b) == 0);
}

/* Whether m is the model of entry e (same id, and version when either has).
 * A model opened from a file is never a manifest model, whatever its id. */
static bool
is_entry (const InkManifestModel *m, const InkModelStoreEntry *e)
{
  return e != NULL && e->source == INK_MODEL_SOURCE_DOWNLOADED &&
         e->origin == INK_MODEL_ORIGIN_SERVER && e->id != NULL && strcmp (m->id, e->id) == 0 &&
         same_str (m->version, e->version);
}

void
ink_remote_judge (InkRemote *remote)
{
  const InkRemoteConfig *c = &remote->settings.config;
  InkManifestAudience audience = {c->channel, c->app_version, remote->installation_id};
  InkModelStoreEntry active, previous;
  bool has_previous;
  size_t n = ink_manifest_n_models (remote->manifest);

  free (remote->judged);
  remote->judged = NULL;
  if (n == 0)
    return;
  remote->judged = calloc (n, sizeof *remote->judged);
  if (remote->judged == NULL)
    return;
  ink_model_store_get_active (remote->store, &active);
  has_previous = ink_model_store_get_previous (remote->store, &previous);
  for (size_t i = 0; i < n; i++) {
    InkRemoteAvailable *a = &remote->judged[i];

    a->model = *ink_manifest_get_model (remote->manifest, i);
    a->applies = ink_manifest_model_applies (&a->model, &audience, a->reason, sizeof a->reason);
    a->compare = ink_version_compare (a->model.version, active.version);
    a->active = is_entry (&a->model, &active);
    a->previous = has_previous && is_entry (&a->model, &previous);
  }
}

/* ---- Scheduling ---- */

int64_t
ink_remote_backoff_delay (const InkRemoteConfig *config, int failures, int64_t retry_after_s,
                          double jitter)
{
  InkRemoteConfig defaults;
  int64_t interval, initial, max, delay;

  ink_remote_config_init (&defaults);
  interval = config != NULL && config->check_interval_s > 0 ? config->check_interval_s
                                                            : defaults.check_interval_s;
  initial = config != NULL && config->backoff_initial_s > 0 ? config->backoff_initial_s
                                                            : defaults.backoff_initial_s;
  max =
    config != NULL && config->backoff_max_s > 0 ? config->backoff_max_s : defaults.backoff_max_s;
  if (!(jitter >= 0.0) || jitter >= 1.0)
    jitter = 0.0;
  if (failures <= 0) {
    delay = interval + (int64_t) (jitter * (double) interval / 10.0);
  } else {
    int64_t d = initial;

    for (int i = 1; i < failures && d < max; i++)
      d *= 2;
    if (d > max)
      d = max;
    delay = d / 2 + (int64_t) (jitter * (double) (d - d / 2));
  }
  if (retry_after_s > MAX_RETRY_AFTER_S)
    retry_after_s = MAX_RETRY_AFTER_S;
  if (retry_after_s > delay)
    delay = retry_after_s;
  return delay;
}

int64_t
ink_remote_parse_retry_after (const char *value, int64_t now)
{
  struct tm tm;
  const char *end;
  bool digits = value != NULL && *value != '\0';

  if (value == NULL)
    return -1;
  while (*value == ' ')
    value++;
  for (const char *p = value; *p != '\0' && *p != ' '; p++)
    digits = digits && isdigit ((unsigned char) *p);
  if (digits && *value != '\0') {
    long long v = strtoll (value, NULL, 10);

    return v > MAX_RETRY_AFTER_S * 10LL ? MAX_RETRY_AFTER_S * 10LL : v;
  }
  memset (&tm, 0, sizeof tm);
  end = strptime (value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == NULL || *end != '\0')
    return -1;
  {
    int64_t at = (int64_t) timegm (&tm);

    return at > now ? at - now : 0;
  }
}

static double
random_unit (void)
{
  uint32_t v = 0;

  if (getrandom (&v, sizeof v, GRND_NONBLOCK) != (ssize_t) sizeof v)
    v = (uint32_t) ink_now_ms () * 2654435761u;
  return (double) v / 4294967296.0;
}

/* ---- Status ---- */

void
ink_remote_get_status (InkRemote *remote, InkRemoteStatus *out)
{
  const InkRemoteState *s = &remote->state;

  memset (out, 0, sizeof *out);
  ink_model_store_refresh (remote->store, NULL);
  ink_model_store_get_active (remote->store, &out->active);
  out->has_previous = ink_model_store_get_previous (remote->store, &out->previous);
  out->store_problem = ink_model_store_get_problem (remote->store);
  out->manifest_url = remote->settings.config.manifest_url;
  out->installation_id = remote->installation_id;
  out->last_check = s->last_check;
  out->last_status = s->last_status;
  out->last_http_status = s->last_http_status;
  ink_copy_text (out->last_result, sizeof out->last_result, s->last_result);
  out->last_success = s->last_success;
  out->failures = s->failures;
  out->next_check = s->next_check;
  out->retry_after_until = s->retry_after_until;
  out->etag = s->etag;
  out->last_modified = s->last_modified;
  out->skipped_id = s->skipped_id;
  out->skipped_version = s->skipped_version;
}

static void
add_string_or_null (cJSON *obj, const char *key, const char *value)
{
  if (value != NULL)
    cJSON_AddStringToObject (obj, key, value);
  else
    cJSON_AddNullToObject (obj, key);
}

static void
add_time_or_null (cJSON *obj, const char *key, int64_t t)
{
  char buf[32];

  if (t == 0) {
    cJSON_AddNullToObject (obj, key);
    return;
  }
  ink_manifest_format_date (t, buf, sizeof buf);
  cJSON_AddStringToObject (obj, key, buf);
}

static cJSON *
entry_json (const InkModelStoreEntry *e)
{
  cJSON *obj = cJSON_CreateObject ();

  if (obj == NULL)
    return NULL;
  cJSON_AddStringToObject (obj, "source", ink_model_source_to_string (e->source));
  add_string_or_null (obj, "id", e->id);
  add_string_or_null (obj, "version", e->version);
  add_string_or_null (obj, "path", e->path);
  add_string_or_null (obj, "personal_path", e->personal_path);
  add_string_or_null (obj, "sha256", e->sha256);
  add_string_or_null (obj, "url", e->url);
  add_time_or_null (obj, "installed_at", e->installed_at);
  add_string_or_null (
    obj, "origin",
    e->source == INK_MODEL_SOURCE_DOWNLOADED ? ink_model_origin_to_string (e->origin) : NULL);
  return obj;
}

static cJSON *
available_json (const InkRemoteAvailable *a)
{
  cJSON *obj = cJSON_CreateObject ();
  const InkManifestModel *m = &a->model;

  if (obj == NULL)
    return NULL;
  cJSON_AddStringToObject (obj, "id", m->id);
  add_string_or_null (obj, "version", m->version);
  cJSON_AddStringToObject (obj, "url", m->resolved_url);
  if (m->size >= 0)
    cJSON_AddNumberToObject (obj, "size", (double) m->size);
  else
    cJSON_AddNullToObject (obj, "size");
  add_string_or_null (obj, "sha256", m->sha256);
  add_string_or_null (obj, "min_app_version", m->min_app_version);
  cJSON_AddStringToObject (obj, "channel", m->channel);
  cJSON_AddNumberToObject (obj, "rollout_percent", m->rollout_percent);
  add_time_or_null (obj, "published", m->published);
  add_string_or_null (obj, "notes", m->notes);
  cJSON_AddBoolToObject (obj, "applies", a->applies);
  cJSON_AddStringToObject (obj, "reason", a->reason);
  cJSON_AddNumberToObject (obj, "compare", a->compare < 0 ? -1 : a->compare > 0 ? 1 : 0);
  cJSON_AddBoolToObject (obj, "active", a->active);
  cJSON_AddBoolToObject (obj, "previous", a->previous);
  return obj;
}

char *
ink_remote_status_to_json (InkRemote *remote)
{
  InkRemoteStatus s;
  cJSON *root, *arr;
  char *printed, *text;

  if (remote == NULL)
    return NULL;
  ink_remote_get_status (remote, &s);
  ink_remote_judge (remote);
  root = cJSON_CreateObject ();
  if (root == NULL)
    return NULL;
  cJSON_AddItemToObject (root, "active", entry_json (&s.active));
  if (s.has_previous)
    cJSON_AddItemToObject (root, "previous", entry_json (&s.previous));
  else
    cJSON_AddNullToObject (root, "previous");
  cJSON_AddStringToObject (root, "store_problem", s.store_problem);
  add_string_or_null (root, "manifest_url", s.manifest_url);
  cJSON_AddStringToObject (root, "installation_id", s.installation_id);
  add_time_or_null (root, "last_check", s.last_check);
  cJSON_AddStringToObject (root, "last_status",
                           s.last_status == INK_OK ? "ok" : ink_status_to_string (s.last_status));
  cJSON_AddNumberToObject (root, "last_http_status", (double) s.last_http_status);
  cJSON_AddStringToObject (root, "last_result", s.last_result);
  add_time_or_null (root, "last_success", s.last_success);
  cJSON_AddNumberToObject (root, "failures", s.failures);
  add_time_or_null (root, "next_check", s.next_check);
  add_time_or_null (root, "retry_after_until", s.retry_after_until);
  add_string_or_null (root, "etag", s.etag);
  add_string_or_null (root, "last_modified", s.last_modified);
  if (s.skipped_id != NULL) {
    cJSON *skipped = cJSON_AddObjectToObject (root, "skipped");

    add_string_or_null (skipped, "id", s.skipped_id);
    add_string_or_null (skipped, "version", s.skipped_version);
  } else {
    cJSON_AddNullToObject (root, "skipped");
  }
  arr = cJSON_AddArrayToObject (root, "available");
  for (size_t i = 0;
       arr != NULL && remote->judged != NULL && i < ink_manifest_n_models (remote->manifest); i++)
    cJSON_AddItemToArray (arr, available_json (&remote->judged[i]));
  printed = cJSON_Print (root);
  cJSON_Delete (root);
  text = printed != NULL ? ink_strdup (printed) : NULL;
  cJSON_free (printed);
  return text;
}

size_t
ink_remote_n_available (InkRemote *remote)
{
  return remote != NULL && remote->judged != NULL ? ink_manifest_n_models (remote->manifest) : 0;
}

bool
ink_remote_get_available (InkRemote *remote, size_t i, InkRemoteAvailable *out)
{
  if (i >= ink_remote_n_available (remote))
    return false;
  *out = remote->judged[i];
  return true;
}

/* ---- The check ---- */

/* Picks the candidate among the judged models; -1 with a reason when
 * none. */
static int
choose (InkRemote *remote, char *reason, size_t size)
{
  InkModelStoreEntry active;
  const InkRemoteState *s = &remote->state;
  size_t n = ink_remote_n_available (remote);
  int best = -1, skipped = 0, not_applying = 0;
  const char *why = NULL;

  ink_model_store_get_active (remote->store, &active);
  for (size_t i = 0; i < n; i++) {
    const InkRemoteAvailable *a = &remote->judged[i];
    bool newer;

    if (!a->applies) {
      not_applying++;
      why = a->reason;
      continue;
    }
    if (s->skipped_id != NULL && strcmp (a->model.id, s->skipped_id) == 0 &&
        same_str (a->model.version, s->skipped_version)) {
      skipped++;
      continue;
    }
    if (a->model.version != NULL && active.version != NULL)
      newer = ink_version_compare (a->model.version, active.version) > 0;
    else
      newer = !a->active && (a->model.version != NULL || active.origin != INK_MODEL_ORIGIN_SERVER ||
                             strcmp (a->model.id, active.id) != 0);
    if (!newer)
      continue;
    if (best < 0 || ink_version_compare (a->model.version, remote->judged[best].model.version) >= 0)
      best = (int) i;
  }
  if (best >= 0) {
    const InkManifestModel *m = &remote->judged[best].model;

    snprintf (reason, size, "update available: %s %s (installed: %s %s)", m->id,
              m->version != NULL ? m->version : "(no version)", active.id,
              active.version != NULL ? active.version : "(no version)");
  } else if (n > 0 && not_applying + skipped == (int) n) {
    snprintf (reason, size, "no model applies to this installation%s%s%s", why != NULL ? " (" : "",
              why != NULL ? why : "", why != NULL ? ")" : "");
    if (skipped > 0 && not_applying == 0)
      snprintf (reason, size, "no update: the newest model was rolled back from and is skipped");
  } else {
    snprintf (reason, size, "up to date: %s %s is installed and nothing newer applies", active.id,
              active.version != NULL ? active.version : "(no version)");
  }
  return best;
}

/* Fetches the signature of the manifest; the caller frees *sig. */
static InkStatus
fetch_signature (InkRemote *remote, const char *manifest_url, char **sig, size_t *size,
                 InkError *err)
{
  InkHttpRequest req;
  InkHttpResponse resp;
  size_t n = strlen (manifest_url);
  char *url = malloc (n + sizeof SIGNATURE_SUFFIX);
  InkStatus st;

  *sig = NULL;
  if (url == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  memcpy (url, manifest_url, n);
  memcpy (url + n, SIGNATURE_SUFFIX, sizeof SIGNATURE_SUFFIX);
  ink_remote_http_defaults (remote, &req);
  req.url = url;
  req.max_size = MAX_SIGNATURE_SIZE;
  st = ink_http_get (&req, &resp, err);
  if (st == INK_OK) {
    ink_remote_log (remote, INK_ACTIVITY_HTTP,
                    resp.status == 200 ? INK_ACTIVITY_INFO : INK_ACTIVITY_ERROR, INK_OK,
                    resp.status, resp.bytes, NULL, "GET %s: HTTP %ld, %" PRId64 " bytes", url,
                    resp.status, resp.bytes);
    if (resp.status == 404 || resp.status == 410)
      st = ink_error_set (err, INK_ERR_VERIFICATION,
                          "missing signature: %s answered HTTP %ld and a public key is configured",
                          url, resp.status);
    else if (resp.status != 200)
      st = ink_error_set (err, INK_ERR_HTTP, "HTTP %ld for %s", resp.status, url);
  }
  if (st == INK_OK) {
    *sig = resp.body != NULL ? resp.body : ink_strdup ("");
    *size = resp.body_size;
    resp.body = NULL;
    if (*sig == NULL)
      st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  ink_http_response_clear (&resp);
  free (url);
  return st;
}

/* Keeps the verified manifest (and signature) in the store. */
static InkStatus
keep_manifest (InkRemote *remote, const char *body, size_t size, const char *sig, size_t sig_size,
               InkError *err)
{
  char *path = ink_store_file (remote->store, MANIFEST_FILE);
  char *sig_path = ink_store_file (remote->store, SIGNATURE_FILE);
  InkStatus st = path != NULL && sig_path != NULL
                   ? INK_OK
                   : ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");

  if (st == INK_OK && sig != NULL)
    st = ink_write_file (sig_path, sig, sig_size, err);
  else if (st == INK_OK)
    remove (sig_path);
  if (st == INK_OK)
    st = ink_write_file (path, body, size, err);
  free (path);
  free (sig_path);
  return st;
}

/* Records the end of a check and when the next is due. */
static void
finish_check (InkRemote *remote, InkStatus st, long http, const char *text, int64_t retry_after,
              InkRemoteCheckResult *result)
{
  InkRemoteState *s = &remote->state;
  int64_t now = ink_now ();
  int64_t delay;
  char when[32];

  s->last_check = now;
  s->last_status = st;
  s->last_http_status = http;
  ink_copy_text (s->last_result, sizeof s->last_result, text);
  if (st == INK_OK) {
    s->failures = 0;
    s->last_success = now;
  } else if (st != INK_ERR_CANCELLED) {
    s->failures++;
  }
  delay = ink_remote_backoff_delay (&remote->settings.config, s->failures,
                                    retry_after > 0 ? retry_after : 0, random_unit ());
  s->next_check = now + delay;
  s->retry_after_until = retry_after > 0 ? now + retry_after : 0;
  ink_remote_state_save (remote->store, s, NULL);
  ink_manifest_format_date (s->next_check, when, sizeof when);
  ink_remote_log (remote, INK_ACTIVITY_SCHEDULE, INK_ACTIVITY_INFO, INK_OK, 0, -1, NULL,
                  "next automatic check at %s (in %" PRId64 " s%s%s)", when, delay,
                  s->failures > 0 ? ", backing off after failures" : "",
                  retry_after > 0 ? ", honouring Retry-After" : "");
  if (result != NULL)
    result->next_check = s->next_check;
}

InkStatus
ink_remote_do_check (InkRemote *remote, InkRemoteCheckResult *result, InkError *err)
{
  const InkRemoteConfig *c = &remote->settings.config;
  InkRemoteState *s = &remote->state;
  InkRemoteCheckResult local;
  InkHttpRequest req;
  InkHttpResponse resp;
  InkManifest *manifest = NULL;
  char *url = NULL, *body = NULL, *sig = NULL;
  size_t body_size = 0, sig_size = 0;
  int64_t retry_after = 0;
  InkError e;
  InkStatus st;
  bool have_kept;

  if (result == NULL)
    result = &local;
  memset (result, 0, sizeof *result);
  memset (&resp, 0, sizeof resp);
  result->candidate = -1;
  ink_error_clear (&e);
  ink_model_store_refresh (remote->store, NULL);
  if (c->manifest_url == NULL) {
    st = ink_error_set (&e, INK_ERR_INVALID_ARGUMENT, "no server URL is configured");
    goto fail;
  }
  /* validators belong to one URL */
  if (s->manifest_url == NULL || strcmp (s->manifest_url, c->manifest_url) != 0) {
    ink_remote_state_set (&s->manifest_url, c->manifest_url);
    ink_remote_state_set (&s->etag, NULL);
    ink_remote_state_set (&s->last_modified, NULL);
    forget_manifest (remote);
  }
  have_kept = remote->manifest != NULL;
  url = ink_remote_rewrite_url (remote, c->manifest_url);
  if (url == NULL) {
    st = ink_error_set (&e, INK_ERR_NO_MEMORY, "out of memory");
    goto fail;
  }
  ink_remote_log (
    remote, INK_ACTIVITY_CHECK, INK_ACTIVITY_INFO, INK_OK, 0, -1, NULL, "checking %s%s", url,
    have_kept && (s->etag || s->last_modified) ? " (conditional: If-None-Match/If-Modified-Since)"
                                               : "");
  ink_remote_http_defaults (remote, &req);
  req.url = url;
  if (have_kept) {
    req.etag = s->etag;
    req.last_modified = s->last_modified;
  }
  st = ink_http_get (&req, &resp, &e);
  result->http_status = resp.status;
  if (resp.retry_after[0] != '\0')
    retry_after = ink_remote_parse_retry_after (resp.retry_after, ink_now ());
  if (st != INK_OK)
    goto fail;
  ink_remote_log (remote, INK_ACTIVITY_HTTP,
                  resp.status == 200 || resp.status == 304 ? INK_ACTIVITY_INFO : INK_ACTIVITY_ERROR,
                  INK_OK, resp.status, resp.bytes, NULL,
                  "GET %s: HTTP %ld, %" PRId64 " bytes in %.2f s%s%s%s%s", url, resp.status,
                  resp.bytes, resp.seconds, resp.etag[0] ? ", ETag " : "", resp.etag,
                  resp.redirects > 0 ? ", after redirects" : "",
                  resp.retry_after[0] ? ", Retry-After given" : "");
  if (resp.status == 304 && have_kept) {
    char *path = ink_store_file (remote->store, MANIFEST_FILE);

    result->not_modified = true;
    body =
      path != NULL ? ink_read_file (path, (size_t) c->max_manifest_size, &body_size, &e) : NULL;
    free (path);
    if (body == NULL) {
      st = ink_error_prefix (&e, "the kept manifest is unreadable");
      goto fail;
    }
    if (remote->settings.has_key) {
      path = ink_store_file (remote->store, SIGNATURE_FILE);
      sig = path != NULL ? ink_read_file (path, MAX_SIGNATURE_SIZE, &sig_size, NULL) : NULL;
      free (path);
      if (sig == NULL) {
        /* kept before a key was configured: fetch it now */
        st = fetch_signature (remote, url, &sig, &sig_size, &e);
        if (st != INK_OK)
          goto fail;
      }
    }
  } else if (resp.status == 200) {
    result->manifest_bytes = resp.bytes;
    body = resp.body != NULL ? resp.body : ink_strdup ("");
    body_size = resp.body_size;
    resp.body = NULL;
    if (remote->settings.has_key) {
      st = fetch_signature (remote, url, &sig, &sig_size, &e);
      if (st != INK_OK)
        goto fail;
    }
  } else {
    st = ink_error_set (&e, INK_ERR_HTTP, "HTTP %ld for %s", resp.status, url);
    goto fail;
  }
  st = ink_remote_check_cancel (remote, "verifying the manifest", &e);
  if (st != INK_OK)
    goto fail;
  if (remote->settings.has_key) {
    InkMinisignSignatureInfo info;
    char id[INK_MINISIGN_KEY_ID_HEX_SIZE];

    st = ink_minisign_verify (&remote->settings.key, body, body_size, sig, sig_size, &info, &e);
    if (st != INK_OK) {
      ink_error_prefix (&e, "manifest signature");
      goto fail;
    }
    ink_minisign_key_id_to_hex (info.key_id, id);
    result->signature_verified = true;
    ink_remote_log (remote, INK_ACTIVITY_VERIFY, INK_ACTIVITY_INFO, INK_OK, 0, -1, NULL,
                    "manifest signature verified (key %s, trusted comment \"%.200s\")", id,
                    info.trusted_comment);
  }
  manifest = ink_manifest_parse (body, body_size, c->manifest_url, &e);
  if (manifest == NULL) {
    st = e.status;
    goto fail;
  }
  if (ink_manifest_is_expired (manifest, ink_now ())) {
    char when[32];

    ink_manifest_format_date (ink_manifest_get_expires (manifest), when, sizeof when);
    st = ink_error_set (&e, INK_ERR_VERIFICATION, "the manifest expired on %s: refused", when);
    goto fail;
  }
  if (resp.status == 200) {
    st = keep_manifest (remote, body, body_size, sig, sig_size, &e);
    if (st != INK_OK)
      goto fail;
    ink_remote_state_set (&s->etag, resp.etag);
    ink_remote_state_set (&s->last_modified, resp.last_modified);
  }
  forget_manifest (remote);
  remote->manifest = manifest;
  manifest = NULL;
  ink_remote_judge (remote);
  result->candidate = choose (remote, result->reason, sizeof result->reason);
  if (result->candidate >= 0) {
    const InkManifestModel *m = &remote->judged[result->candidate].model;

    result->outcome = INK_CHECK_UPDATE_AVAILABLE;
    ink_copy_text (result->id, sizeof result->id, m->id);
    ink_copy_text (result->version, sizeof result->version, m->version);
  } else {
    result->outcome = INK_CHECK_NO_UPDATE;
  }
  ink_remote_log (remote, INK_ACTIVITY_DECISION, INK_ACTIVITY_INFO, INK_OK, 0, -1,
                  result->candidate >= 0 ? &remote->judged[result->candidate].model : NULL, "%s%s",
                  result->not_modified ? "manifest not modified (304, nothing downloaded); " : "",
                  result->reason);
  finish_check (remote, INK_OK, resp.status, result->reason, retry_after, result);
  free (url);
  free (body);
  free (sig);
  ink_http_response_clear (&resp);
  return INK_OK;

fail:
  result->outcome = INK_CHECK_FAILED;
  result->candidate = -1;
  ink_copy_text (result->reason, sizeof result->reason, e.message);
  ink_remote_log (remote, INK_ACTIVITY_CHECK, INK_ACTIVITY_ERROR, st, resp.status, -1, NULL,
                  "check failed: %s", e.message);
  finish_check (remote, st, resp.status, e.message, retry_after, result);
  ink_manifest_free (manifest);
  free (url);
  free (body);
  free (sig);
  ink_http_response_clear (&resp);
  if (err != NULL)
    *err = e;
  return st;
}

InkStatus
ink_remote_check (InkRemote *remote, InkRemoteCheckResult *result, InkError *err)
{
  InkStatus st;

  if (remote == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no updater");
  if (!ink_remote_begin (remote))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "busy: an update operation is running");
  st = ink_remote_do_check (remote, result, err);
  ink_remote_end (remote);
  return st;
}

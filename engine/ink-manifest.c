/* ink-manifest.c: reading manifests of both forms, and editing them
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-manifest.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ink-util-private.h"

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the dates with a
 * four-digit year. */
#define INK_MANIFEST_DATE_MIN (-62167219200LL)
#define INK_MANIFEST_DATE_MAX (253402300799LL)

struct InkManifest {
  InkManifestForm form;
  int schema;
  int64_t expires;
  InkManifestModel *models; /* every string owned */
  size_t n_models, cap;
};

static void
model_clear (InkManifestModel *m)
{
  free ((char *) m->id);
  free ((char *) m->version);
  free ((char *) m->url);
  free ((char *) m->resolved_url);
  free ((char *) m->sha256);
  free ((char *) m->min_app_version);
  free ((char *) m->channel);
  free ((char *) m->notes);
  memset (m, 0, sizeof *m);
}

void
ink_manifest_free (InkManifest *manifest)
{
  if (manifest == NULL)
    return;
  for (size_t i = 0; i < manifest->n_models; i++)
    model_clear (&manifest->models[i]);
  free (manifest->models);
  free (manifest);
}

InkManifest *
ink_manifest_new (void)
{
  InkManifest *m = calloc (1, sizeof *m);

  if (m != NULL) {
    m->form = INK_MANIFEST_EXTENDED;
    m->schema = INK_MANIFEST_SCHEMA;
  }
  return m;
}

/* ---- Dates ---- */

static bool
read_digits (const char **s, int n, int *out)
{
  int v = 0;

  for (int i = 0; i < n; i++) {
    if (!isdigit ((unsigned char) (*s)[i]))
      return false;
    v = v * 10 + ((*s)[i] - '0');
  }
  *s += n;
  *out = v;
  return true;
}

InkStatus
ink_manifest_parse_date (const char *s, int64_t *out, InkError *err)
{
  const char *p = s;
  int year, month, day, hour = 0, min = 0, sec = 0, off_h = 0, off_m = 0, sign = 0;
  struct tm tm = {0};
  time_t t;

  if (s == NULL)
    return ink_error_set (err, INK_ERR_FORMAT, "no date");
  if (!read_digits (&p, 4, &year) || *p++ != '-' || !read_digits (&p, 2, &month) || *p++ != '-' ||
      !read_digits (&p, 2, &day))
    goto bad;
  if (*p == 'T' || *p == 't' || *p == ' ') {
    p++;
    if (!read_digits (&p, 2, &hour) || *p++ != ':' || !read_digits (&p, 2, &min) || *p++ != ':' ||
        !read_digits (&p, 2, &sec))
      goto bad;
    if (*p == '.') {
      p++;
      if (!isdigit ((unsigned char) *p))
        goto bad;
      while (isdigit ((unsigned char) *p))
        p++;
    }
    if (*p == 'Z' || *p == 'z') {
      p++;
    } else if (*p == '+' || *p == '-') {
      sign = *p++ == '+' ? 1 : -1;
      if (!read_digits (&p, 2, &off_h) || *p++ != ':' || !read_digits (&p, 2, &off_m) ||
          off_h > 23 || off_m > 59)
        goto bad;
    } else {
      goto bad;
    }
  }
  if (*p != '\0' || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
      sec > 60)
    goto bad;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  t = timegm (&tm);
  if (tm.tm_mday != day) /* 2026-02-30 normalized to March */
    goto bad;
  *out = (int64_t) t - sign * (off_h * 3600 + off_m * 60);
  /* An offset can carry the time out of the years written with four
   * digits; such a date could not be written back. */
  if (*out < INK_MANIFEST_DATE_MIN || *out > INK_MANIFEST_DATE_MAX)
    goto bad;
  return INK_OK;
bad:
  return ink_error_set (err, INK_ERR_FORMAT, "\"%s\" is not an ISO 8601 date", s);
}

void
ink_manifest_format_date (int64_t t, char *buf, size_t size)
{
  time_t tt = (time_t) t;
  struct tm tm;

  if (size == 0)
    return;
  /* Not strftime's %Y: glibc does not pad years below 1000 to four digits,
   * and the parser only reads four. */
  if (gmtime_r (&tt, &tm) == NULL)
    buf[0] = '\0';
  else
    snprintf (buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- Checking and copying a model ---- */

static bool
is_sha256_hex (const char *s)
{
  size_t n = 0;

  for (; s[n] != '\0'; n++) {
    if (!isxdigit ((unsigned char) s[n]))
      return false;
  }
  return n == 64;
}

/* Checks what the parser and ink_manifest_add_model require; where is
 * "models[3]" or "manifest". */
static InkStatus
check_model (const InkManifestModel *m, const char *where, InkError *err)
{
  if (m->id == NULL || m->id[0] == '\0')
    return ink_error_set (err, INK_ERR_FORMAT, "%s: \"id\" is missing or empty", where);
  if (m->url == NULL || m->url[0] == '\0')
    return ink_error_set (err, INK_ERR_FORMAT, "%s: \"url\" is missing or empty", where);
  if (m->version != NULL && !ink_version_is_valid (m->version))
    return ink_error_set (err, INK_ERR_FORMAT,
                          "%s: \"version\" \"%s\" is not a dotted version (like 1.2.0)", where,
                          m->version);
  if (m->min_app_version != NULL && !ink_version_is_valid (m->min_app_version))
    return ink_error_set (err, INK_ERR_FORMAT,
                          "%s: \"min_app_version\" \"%s\" is not a dotted version", where,
                          m->min_app_version);
  if (m->sha256 != NULL && !is_sha256_hex (m->sha256))
    return ink_error_set (err, INK_ERR_FORMAT, "%s: \"sha256\" is not 64 hex digits", where);
  if (m->size < -1)
    return ink_error_set (err, INK_ERR_FORMAT, "%s: \"size\" is negative", where);
  if (m->rollout_percent < 0 || m->rollout_percent > 100)
    return ink_error_set (err, INK_ERR_FORMAT, "%s: \"rollout_percent\" %d is not within 0..100",
                          where, m->rollout_percent);
  if (m->channel != NULL && m->channel[0] == '\0')
    return ink_error_set (err, INK_ERR_FORMAT, "%s: \"channel\" is empty", where);
  return INK_OK;
}

static bool
dup_opt (const char *s, const char **out)
{
  *out = NULL;
  if (s == NULL)
    return true;
  *out = ink_strdup (s);
  return *out != NULL;
}

/* Copies src into dst (zeroed), lower-casing the hash and defaulting the
 * channel; resolved is the resolved URL (NULL: the URL). */
static InkStatus
copy_model (InkManifestModel *dst, const InkManifestModel *src, const char *resolved, InkError *err)
{
  bool ok =
    dup_opt (src->id, &dst->id) && dup_opt (src->version, &dst->version) &&
    dup_opt (src->url, &dst->url) &&
    dup_opt (resolved != NULL ? resolved : src->url, &dst->resolved_url) &&
    dup_opt (src->sha256, &dst->sha256) && dup_opt (src->min_app_version, &dst->min_app_version) &&
    dup_opt (src->channel != NULL ? src->channel : INK_MANIFEST_DEFAULT_CHANNEL, &dst->channel) &&
    dup_opt (src->notes, &dst->notes);

  dst->size = src->size;
  dst->rollout_percent = src->rollout_percent;
  dst->published = src->published;
  if (!ok) {
    model_clear (dst);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  for (char *p = (char *) dst->sha256; p != NULL && *p != '\0'; p++)
    *p = (char) tolower ((unsigned char) *p);
  return INK_OK;
}

static InkStatus
append_model (InkManifest *m, const InkManifestModel *model, const char *resolved, InkError *err)
{
  if (!INK_GROW (m->models, m->n_models, m->cap))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  if (copy_model (&m->models[m->n_models], model, resolved, err) != INK_OK)
    return err != NULL ? err->status : INK_ERR_NO_MEMORY;
  m->n_models++;
  return INK_OK;
}

InkStatus
ink_manifest_add_model (InkManifest *manifest, const InkManifestModel *model, InkError *err)
{
  if (manifest == NULL || model == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no manifest or model");
  if (model->version == NULL)
    return ink_error_set (err, INK_ERR_FORMAT, "model: \"version\" is missing");
  if (check_model (model, "model", err) != INK_OK)
    return err != NULL ? err->status : INK_ERR_FORMAT;
  return append_model (manifest, model, NULL, err);
}

bool
ink_manifest_remove_model (InkManifest *manifest, size_t i)
{
  if (manifest == NULL || i >= manifest->n_models)
    return false;
  model_clear (&manifest->models[i]);
  memmove (&manifest->models[i], &manifest->models[i + 1],
           (manifest->n_models - i - 1) * sizeof *manifest->models);
  manifest->n_models--;
  return true;
}

void
ink_manifest_set_expires (InkManifest *manifest, int64_t expires)
{
  if (manifest != NULL)
    manifest->expires = expires;
}

/* ---- Parsing ---- */

/* A member that is absent or null gives NULL; one of another type than
 * wanted is an error naming it. */
static InkStatus
member (const cJSON *obj, const char *key, int type, const char *where, const cJSON **out,
        InkError *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  static const char *const names[] = {[cJSON_String] = "a string",
                                      [cJSON_Number] = "a number",
                                      [cJSON_Array] = "an array",
                                      [cJSON_Object] = "an object"};

  *out = NULL;
  if (item == NULL || cJSON_IsNull (item))
    return INK_OK;
  if ((item->type & 0xFF) != type)
    return ink_error_set (err, INK_ERR_FORMAT, "%s: \"%s\" is not %s", where, key, names[type]);
  *out = item;
  return INK_OK;
}

static InkStatus
member_string (const cJSON *obj, const char *key, bool required, const char *where,
               const char **out, InkError *err)
{
  const cJSON *item;
  InkStatus st = member (obj, key, cJSON_String, where, &item, err);

  *out = NULL;
  if (st != INK_OK)
    return st;
  if (item == NULL) {
    if (required)
      return ink_error_set (err, INK_ERR_FORMAT, "%s: \"%s\" is missing", where, key);
    return INK_OK;
  }
  if (item->valuestring[0] == '\0')
    return ink_error_set (err, INK_ERR_FORMAT, "%s: \"%s\" is empty", where, key);
  *out = item->valuestring;
  return INK_OK;
}

/* An integer member in [min, max]; *out kept when absent. */
static InkStatus
member_int (const cJSON *obj, const char *key, double min, double max, const char *where,
            int64_t *out, InkError *err)
{
  const cJSON *item;
  InkStatus st = member (obj, key, cJSON_Number, where, &item, err);

  if (st != INK_OK || item == NULL)
    return st;
  if (!isfinite (item->valuedouble) || floor (item->valuedouble) != item->valuedouble)
    return ink_error_set (err, INK_ERR_FORMAT, "%s: \"%s\" is not an integer", where, key);
  if (item->valuedouble < min || item->valuedouble > max)
    return ink_error_set (err, INK_ERR_FORMAT, "%s: \"%s\" %.0f is not within %.0f..%.0f", where,
                          key, item->valuedouble, min, max);
  *out = (int64_t) item->valuedouble;
  return INK_OK;
}

static InkStatus
member_date (const cJSON *obj, const char *key, const char *where, int64_t *out, InkError *err)
{
  const char *s;
  InkStatus st = member_string (obj, key, false, where, &s, err);

  if (st != INK_OK || s == NULL)
    return st;
  if (ink_manifest_parse_date (s, out, err) != INK_OK)
    return ink_error_prefix (err, "%s: \"%s\"", where, key);
  return INK_OK;
}

/* The file name of a URL's path without its extension (the seed form's
 * id, a uuid); NULL when the path ends with '/'. */
static char *
url_stem (const char *url)
{
  size_t end = strcspn (url, "?#"), start = end, dot;
  char *stem;

  while (start > 0 && url[start - 1] != '/')
    start--;
  if (start == end)
    return NULL;
  dot = end;
  while (dot > start && url[dot - 1] != '.')
    dot--;
  if (dot > start + 1)
    end = dot - 1;
  stem = malloc (end - start + 1);
  if (stem == NULL)
    return NULL;
  memcpy (stem, url + start, end - start);
  stem[end - start] = '\0';
  return stem;
}

static InkStatus
add_parsed (InkManifest *m, const InkManifestModel *model, const char *where, const char *base_url,
            InkError *err)
{
  char *resolved = NULL;
  InkStatus st;

  if (check_model (model, where, err) != INK_OK)
    return err != NULL ? err->status : INK_ERR_FORMAT;
  if (base_url != NULL) {
    resolved = ink_url_resolve (base_url, model->url, err);
    if (resolved == NULL)
      return ink_error_prefix (err, "%s", where);
  }
  st = append_model (m, model, resolved, err);
  free (resolved);
  return st;
}

static InkStatus
parse_simple (InkManifest *m, const cJSON *root, const char *base_url, InkError *err)
{
  InkManifestModel model = {.size = -1, .rollout_percent = 100};
  char *stem;
  InkStatus st;

  m->form = INK_MANIFEST_SIMPLE;
  m->schema = 1;
  st = member_string (root, "url", true, "manifest", &model.url, err);
  if (st != INK_OK)
    return st;
  stem = url_stem (model.url);
  if (stem == NULL)
    return ink_error_set (err, INK_ERR_FORMAT, "manifest: \"url\" \"%s\" names no file", model.url);
  model.id = stem;
  st = add_parsed (m, &model, "manifest", base_url, err);
  free (stem);
  return st;
}

static InkStatus
parse_model (InkManifest *m, const cJSON *obj, size_t index, const char *base_url, InkError *err)
{
  InkManifestModel model = {.size = -1, .rollout_percent = 100};
  int64_t rollout = 100;
  char where[32];
  InkStatus st;

  snprintf (where, sizeof where, "models[%zu]", index);
  if (!cJSON_IsObject (obj))
    return ink_error_set (err, INK_ERR_FORMAT, "%s is not an object", where);
  if ((st = member_string (obj, "id", true, where, &model.id, err)) != INK_OK ||
      (st = member_string (obj, "version", true, where, &model.version, err)) != INK_OK ||
      (st = member_string (obj, "url", true, where, &model.url, err)) != INK_OK ||
      (st = member_string (obj, "sha256", false, where, &model.sha256, err)) != INK_OK ||
      (st = member_string (obj, "min_app_version", false, where, &model.min_app_version, err)) !=
        INK_OK ||
      (st = member_string (obj, "channel", false, where, &model.channel, err)) != INK_OK ||
      (st = member_int (obj, "size", 0, 9007199254740992.0, where, &model.size, err)) != INK_OK ||
      (st = member_int (obj, "rollout_percent", 0, 100, where, &rollout, err)) != INK_OK ||
      (st = member_date (obj, "published", where, &model.published, err)) != INK_OK)
    return st;
  {
    const cJSON *notes;

    st = member (obj, "notes", cJSON_String, where, &notes, err);
    if (st != INK_OK)
      return st;
    model.notes = notes != NULL ? notes->valuestring : NULL;
  }
  model.rollout_percent = (int) rollout;
  return add_parsed (m, &model, where, base_url, err);
}

static InkStatus
parse_extended (InkManifest *m, const cJSON *root, const cJSON *models, const char *base_url,
                InkError *err)
{
  int64_t schema = 1;
  InkStatus st;
  size_t i = 0;
  const cJSON *item;

  m->form = INK_MANIFEST_EXTENDED;
  st = member_int (root, "schema", 1, 1e9, "manifest", &schema, err);
  if (st != INK_OK)
    return st;
  if (schema > INK_MANIFEST_SCHEMA)
    return ink_error_set (err, INK_ERR_VERSION,
                          "manifest schema %lld is newer than this app reads (%d)",
                          (long long) schema, INK_MANIFEST_SCHEMA);
  m->schema = (int) schema;
  st = member_date (root, "expires", "manifest", &m->expires, err);
  if (st != INK_OK)
    return st;
  if (!cJSON_IsArray (models))
    return ink_error_set (err, INK_ERR_FORMAT, "manifest: \"models\" is not an array");
  if (cJSON_GetArraySize (models) == 0)
    return ink_error_set (err, INK_ERR_FORMAT, "manifest: \"models\" is empty");
  cJSON_ArrayForEach (item, models)
  {
    st = parse_model (m, item, i++, base_url, err);
    if (st != INK_OK)
      return st;
  }
  return INK_OK;
}

InkManifest *
ink_manifest_parse (const char *data, size_t size, const char *base_url, InkError *err)
{
  const char *end = NULL;
  cJSON *root;
  const cJSON *models;
  InkManifest *m;
  InkStatus st;

  if (data == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no manifest data");
    return NULL;
  }
  root = cJSON_ParseWithLengthOpts (data, size, &end, false);
  if (root == NULL) {
    size_t at = end != NULL && end >= data && end <= data + size ? (size_t) (end - data) : 0;

    ink_error_set (err, INK_ERR_FORMAT, "manifest is not valid JSON (error near byte %zu of %zu)",
                   at, size);
    return NULL;
  }
  /* trailing bytes other than white space are malformed too */
  for (const char *p = end; p != NULL && p < data + size; p++) {
    if (!isspace ((unsigned char) *p) && *p != '\0') {
      cJSON_Delete (root);
      ink_error_set (err, INK_ERR_FORMAT, "manifest has trailing bytes after its JSON (byte %zu)",
                     (size_t) (p - data));
      return NULL;
    }
  }
  if (!cJSON_IsObject (root)) {
    cJSON_Delete (root);
    ink_error_set (err, INK_ERR_FORMAT, "manifest is not a JSON object");
    return NULL;
  }
  m = ink_manifest_new ();
  if (m == NULL) {
    cJSON_Delete (root);
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  models = cJSON_GetObjectItemCaseSensitive (root, "models");
  if (models != NULL)
    st = parse_extended (m, root, models, base_url, err);
  else if (cJSON_GetObjectItemCaseSensitive (root, "url") != NULL)
    st = parse_simple (m, root, base_url, err);
  else
    st = ink_error_set (err, INK_ERR_FORMAT, "manifest has neither \"url\" nor \"models\"");
  cJSON_Delete (root);
  if (st != INK_OK) {
    ink_manifest_free (m);
    return NULL;
  }
  return m;
}

InkManifest *
ink_manifest_load (const char *path, const char *base_url, InkError *err)
{
  FILE *f = fopen (path, "rb");
  char *data = NULL;
  size_t size = 0, cap = 0;
  InkManifest *m;

  if (f == NULL) {
    ink_error_set (err, INK_ERR_IO, "cannot open %s: %s", path, strerror (errno));
    return NULL;
  }
  for (;;) {
    size_t n;

    if (size == cap) {
      char *bigger = realloc (data, cap = cap ? cap * 2 : 4096);

      if (bigger == NULL) {
        free (data);
        fclose (f);
        ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
        return NULL;
      }
      data = bigger;
    }
    n = fread (data + size, 1, cap - size, f);
    size += n;
    if (n == 0)
      break;
  }
  if (ferror (f)) {
    free (data);
    fclose (f);
    ink_error_set (err, INK_ERR_IO, "cannot read %s", path);
    return NULL;
  }
  fclose (f);
  m = ink_manifest_parse (data, size, base_url, err);
  free (data);
  if (m == NULL)
    ink_error_prefix (err, "%s", path);
  return m;
}

/* ---- Accessors ---- */

InkManifestForm
ink_manifest_get_form (const InkManifest *manifest)
{
  return manifest->form;
}

int
ink_manifest_get_schema (const InkManifest *manifest)
{
  return manifest->schema;
}

int64_t
ink_manifest_get_expires (const InkManifest *manifest)
{
  return manifest->expires;
}

bool
ink_manifest_is_expired (const InkManifest *manifest, int64_t now)
{
  return manifest->expires != 0 && now >= manifest->expires;
}

size_t
ink_manifest_n_models (const InkManifest *manifest)
{
  return manifest != NULL ? manifest->n_models : 0;
}

const InkManifestModel *
ink_manifest_get_model (const InkManifest *manifest, size_t i)
{
  return manifest != NULL && i < manifest->n_models ? &manifest->models[i] : NULL;
}

const InkManifestModel *
ink_manifest_find (const InkManifest *manifest, const char *id, const char *version)
{
  for (size_t i = 0; manifest != NULL && i < manifest->n_models; i++) {
    const InkManifestModel *m = &manifest->models[i];

    if (id != NULL && strcmp (m->id, id) != 0)
      continue;
    if (version != NULL && (m->version == NULL || ink_version_compare (m->version, version) != 0))
      continue;
    return m;
  }
  return NULL;
}

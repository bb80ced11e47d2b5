/* ink-manifest-write.c: writing a manifest in either form (for publish)
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-manifest.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "ink-util-private.h"

static bool
add_date (cJSON *obj, const char *key, int64_t t)
{
  char buf[32];

  ink_manifest_format_date (t, buf, sizeof buf);
  return cJSON_AddStringToObject (obj, key, buf) != NULL;
}

static cJSON *
model_to_json (const InkManifestModel *m)
{
  cJSON *obj = cJSON_CreateObject ();
  bool ok =
    obj != NULL && cJSON_AddStringToObject (obj, "id", m->id) != NULL &&
    (m->version == NULL || cJSON_AddStringToObject (obj, "version", m->version) != NULL) &&
    cJSON_AddStringToObject (obj, "url", m->url) != NULL &&
    (m->size < 0 || cJSON_AddNumberToObject (obj, "size", (double) m->size) != NULL) &&
    (m->sha256 == NULL || cJSON_AddStringToObject (obj, "sha256", m->sha256) != NULL) &&
    (m->min_app_version == NULL ||
     cJSON_AddStringToObject (obj, "min_app_version", m->min_app_version) != NULL) &&
    cJSON_AddStringToObject (
      obj, "channel", m->channel != NULL ? m->channel : INK_MANIFEST_DEFAULT_CHANNEL) != NULL &&
    cJSON_AddNumberToObject (obj, "rollout_percent", m->rollout_percent) != NULL &&
    (m->published == 0 || add_date (obj, "published", m->published)) &&
    (m->notes == NULL || cJSON_AddStringToObject (obj, "notes", m->notes) != NULL);

  if (!ok) {
    cJSON_Delete (obj);
    return NULL;
  }
  return obj;
}

/* The model a seed-article client should fetch. */
static const InkManifestModel *
simple_choice (const InkManifest *manifest)
{
  const InkManifestModel *best = NULL;

  for (size_t i = 0; i < ink_manifest_n_models (manifest); i++) {
    const InkManifestModel *m = ink_manifest_get_model (manifest, i);

    if (strcmp (m->channel != NULL ? m->channel : INK_MANIFEST_DEFAULT_CHANNEL,
                INK_MANIFEST_DEFAULT_CHANNEL) != 0)
      continue;
    if (best == NULL || ink_version_compare (m->version, best->version) >= 0)
      best = m;
  }
  return best;
}

static char *
print (cJSON *root, InkError *err)
{
  char *text = root != NULL ? cJSON_Print (root) : NULL;
  char *out = NULL;

  cJSON_Delete (root);
  if (text != NULL) {
    size_t n = strlen (text);

    out = malloc (n + 2);
    if (out != NULL) {
      memcpy (out, text, n);
      out[n] = '\n';
      out[n + 1] = '\0';
    }
    cJSON_free (text);
  }
  if (out == NULL)
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  return out;
}

char *
ink_manifest_to_json (const InkManifest *manifest, InkManifestForm form, InkError *err)
{
  cJSON *root, *models;

  if (manifest == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no manifest");
    return NULL;
  }
  root = cJSON_CreateObject ();
  if (root == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  if (form == INK_MANIFEST_SIMPLE) {
    const InkManifestModel *m = simple_choice (manifest);

    if (m == NULL) {
      cJSON_Delete (root);
      ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                     "the manifest has no model on the \"%s\" channel for the simple form",
                     INK_MANIFEST_DEFAULT_CHANNEL);
      return NULL;
    }
    if (cJSON_AddStringToObject (root, "url", m->url) == NULL) {
      cJSON_Delete (root);
      root = NULL;
    }
    return print (root, err);
  }
  if (cJSON_AddNumberToObject (root, "schema", INK_MANIFEST_SCHEMA) == NULL ||
      (ink_manifest_get_expires (manifest) != 0 &&
       !add_date (root, "expires", ink_manifest_get_expires (manifest))) ||
      (models = cJSON_AddArrayToObject (root, "models")) == NULL) {
    cJSON_Delete (root);
    return print (NULL, err);
  }
  for (size_t i = 0; i < ink_manifest_n_models (manifest); i++) {
    cJSON *obj = model_to_json (ink_manifest_get_model (manifest, i));

    if (obj == NULL) {
      cJSON_Delete (root);
      return print (NULL, err);
    }
    cJSON_AddItemToArray (models, obj);
  }
  return print (root, err);
}

/* fuzz-manifest.c: the model server's manifest parser (ink-manifest.h)
 *
 * Parses the input as a manifest, with and without a base URL; for a
 * manifest that parses, looks every model up, checks it against an
 * audience, writes the manifest back in both forms and, for an extended
 * manifest, parses the extended form again (what was accepted must
 * round-trip; a simple manifest's model has no version, which the extended
 * form requires). Also feeds the input to the date, version and URL
 * functions.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "ink-manifest.h"

#define MAX_INPUT ((size_t) 1 << 20)

static void
exercise (const InkManifest *m)
{
  InkManifestAudience audience = {"stable", "0.1.0", "fuzz-installation"};
  char reason[128];
  char date[32];
  size_t n = ink_manifest_n_models (m);
  InkError err;
  char *json;

  (void) ink_manifest_get_form (m);
  (void) ink_manifest_get_schema (m);
  (void) ink_manifest_is_expired (m, 1700000000);
  ink_manifest_format_date (ink_manifest_get_expires (m), date, sizeof date);
  for (size_t i = 0; i <= n; i++) {
    const InkManifestModel *model = ink_manifest_get_model (m, i);

    if (model == NULL)
      continue;
    (void) ink_manifest_find (m, model->id, model->version);
    (void) ink_manifest_find (m, model->id, NULL);
    (void) ink_manifest_model_applies (model, &audience, reason, sizeof reason);
    (void) ink_version_compare (model->version, model->min_app_version);
    ink_manifest_format_date (model->published, date, sizeof date);
  }

  ink_error_clear (&err);
  json = ink_manifest_to_json (m, INK_MANIFEST_SIMPLE, &err);
  free (json);
  ink_error_clear (&err);
  json = ink_manifest_to_json (m, INK_MANIFEST_EXTENDED, &err);
  if (json != NULL && ink_manifest_get_form (m) == INK_MANIFEST_EXTENDED) {
    InkManifest *again;

    ink_error_clear (&err);
    again = ink_manifest_parse (json, strlen (json), NULL, &err);
    if (again == NULL || ink_manifest_n_models (again) != n) {
      fprintf (stderr, "fuzz-manifest: a written manifest does not parse back: %s\n%s\n",
               err.message, json);
      abort ();
    }
    ink_manifest_free (again);
  }
  free (json);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const bases[] = {NULL, "https://example.org/site/models/manifest.json"};
  InkError err;
  char *text;

  if (size > MAX_INPUT)
    return 0;
  for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
    InkManifest *m;

    ink_error_clear (&err);
    m = ink_manifest_parse ((const char *) data, size, bases[b], &err);
    if (m != NULL) {
      exercise (m);
      ink_manifest_free (m);
    }
  }

  /* The same bytes as one string for the free functions. */
  text = malloc (size + 1);
  if (text == NULL)
    return 0;
  memcpy (text, data, size);
  text[size] = '\0';
  {
    int64_t t;
    char *url;

    ink_error_clear (&err);
    (void) ink_manifest_parse_date (text, &t, &err);
    (void) ink_version_is_valid (text);
    (void) ink_version_compare (text, "1.2.3");
    ink_error_clear (&err);
    url = ink_url_resolve ("https://example.org/a/b/manifest.json", text, &err);
    free (url);
  }
  free (text);
  return 0;
}

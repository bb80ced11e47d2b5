/* ink-manifest.h: the model server's manifest (what a static site publishes)
 *
 * Two forms are read and written:
 *
 *  - the seed article's form, a JSON object with one string member:
 *      {"url": "https://host/models/<uuid>.mlmodel"}
 *    It describes one model whose id is the file name of the URL without its
 *    extension (the uuid), with no version, size or hash.
 *
 *  - the extended form, recognized by a "models" member:
 *      {
 *        "schema": 1,
 *        "expires": "2026-12-31T00:00:00Z",
 *        "models": [
 *          {"id": "doodles", "version": "1.2.0", "url": "models/<uuid>.mlmodel",
 *           "size": 8074, "sha256": "<64 hex>", "min_app_version": "0.1.0",
 *           "channel": "stable", "rollout_percent": 100,
 *           "published": "2026-11-22T10:00:00Z", "notes": "..."}
 *        ]
 *      }
 *    "schema" is optional (1 when absent; a larger value is INK_ERR_VERSION).
 *    Per model "id", "version" and "url" are required; "size" (bytes,
 *    >= 0), "sha256" (64 hex digits, either case), "min_app_version" (a
 *    dotted version), "channel" (default "stable"), "rollout_percent"
 *    (integer 0..100, default 100), "published" (a date) and "notes" are
 *    optional. A document-level "url" beside "models" is ignored.
 *
 * Unknown members are ignored at every level. Anything else that is wrong
 * is INK_ERR_FORMAT with a message naming the member (and the model index):
 * bytes that are not JSON, a document that is not an object, neither "url"
 * nor "models", a member of the wrong JSON type, an empty string where a
 * value is required, a version that is not dotted numbers, a sha256 that is
 * not 64 hex digits, a negative size, a rollout outside 0..100, a date that
 * is not ISO 8601, an empty "models" array.
 *
 * Dates: "YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ" or with a "+hh:mm"/"-hh:mm"
 * offset (fractional seconds allowed and dropped); stored as Unix seconds.
 *
 * URLs: a model URL is either absolute ("http://", "https://") or relative
 * to the manifest's own URL, resolved as a browser would (RFC 3986: "a.b",
 * "models/a.b", "../a.b", "/models/a.b", "//host/a.b"). The URL as written
 * is kept too, so that a manifest read from disk can be written back as it
 * was.
 *
 * Ids never name files directly: see ink_model_store_safe_name.
 *
 * Ownership: an InkManifest is owned by its creator (ink_manifest_free).
 * Strings in an InkManifestModel returned by ink_manifest_get_model are
 * borrowed from the manifest and valid until it is freed or changed.
 * Thread safety: a manifest is plain data; concurrent reads are safe, a
 * change needs exclusive access. The free functions (version compare,
 * rollout bucket, date parsing) are thread-safe.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ink-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct InkManifest InkManifest;

typedef enum {
  INK_MANIFEST_SIMPLE = 0,   /* the seed article's {"url": ...} */
  INK_MANIFEST_EXTENDED = 1, /* {"schema", "expires", "models": [...]} */
} InkManifestForm;

/* The highest extended-form schema this engine reads and writes. */
#define INK_MANIFEST_SCHEMA 1

/* The channel of a model that names none. */
#define INK_MANIFEST_DEFAULT_CHANNEL "stable"

/* One model of a manifest. Plain data; the strings are borrowed (see the
 * top of this file) or, when passed to ink_manifest_add_model, copied. */
typedef struct {
  const char *id;              /* required; simple form: the URL's file stem */
  const char *version;         /* dotted numbers; NULL in the simple form */
  const char *url;             /* as written in the document */
  const char *resolved_url;    /* absolute (url when no base URL was given) */
  int64_t size;                /* bytes; -1 when not given */
  const char *sha256;          /* 64 lower-case hex digits; NULL when not given */
  const char *min_app_version; /* NULL when not given */
  const char *channel;         /* never NULL: INK_MANIFEST_DEFAULT_CHANNEL when absent */
  int rollout_percent;         /* 0..100; 100 when absent */
  int64_t published;           /* Unix seconds; 0 when not given */
  const char *notes;           /* NULL when not given */
} InkManifestModel;

/* Parses a manifest of either form from size bytes (not NUL-terminated).
 * base_url is the manifest's own URL, used to resolve relative model URLs;
 * NULL keeps them as written (resolved_url == url). Returns NULL with err
 * set (INK_ERR_FORMAT, INK_ERR_VERSION, INK_ERR_NO_MEMORY) on failure. */
InkManifest *ink_manifest_parse (const char *data, size_t size, const char *base_url,
                                 InkError *err);
/* Reads and parses a file (base_url as above). */
InkManifest *ink_manifest_load (const char *path, const char *base_url, InkError *err);
void ink_manifest_free (InkManifest *manifest);

InkManifestForm ink_manifest_get_form (const InkManifest *manifest);
/* The schema number (1 for the simple form). */
int ink_manifest_get_schema (const InkManifest *manifest);
/* The document's expiry in Unix seconds, 0 when it has none. */
int64_t ink_manifest_get_expires (const InkManifest *manifest);
/* Whether the manifest has an expiry and now (Unix seconds) is at or past
 * it. A caller must refuse an expired manifest (freeze attacks). */
bool ink_manifest_is_expired (const InkManifest *manifest, int64_t now);

size_t ink_manifest_n_models (const InkManifest *manifest);
/* The i-th model, in document order; NULL when i is out of range. */
const InkManifestModel *ink_manifest_get_model (const InkManifest *manifest, size_t i);
/* The first model with this id and version (version NULL: any version);
 * NULL when none. */
const InkManifestModel *ink_manifest_find (const InkManifest *manifest, const char *id,
                                           const char *version);

/* ---- Building and writing (for `inkling-cli publish`) ---- */

/* An empty extended-form manifest (schema INK_MANIFEST_SCHEMA). */
InkManifest *ink_manifest_new (void);
/* Appends a copy of model. Checked as the parser checks a document's model
 * (id, version and url required; version, sha256, size, rollout valid);
 * channel NULL means the default, rollout_percent is taken as is, size -1
 * and published 0 mean not given. resolved_url is ignored (set to url). */
InkStatus ink_manifest_add_model (InkManifest *manifest, const InkManifestModel *model,
                                  InkError *err);
/* Removes the i-th model; false when out of range. */
bool ink_manifest_remove_model (InkManifest *manifest, size_t i);
/* Sets (Unix seconds) or clears (0) the document's expiry. */
void ink_manifest_set_expires (InkManifest *manifest, int64_t expires);

/* Writes the manifest as JSON text (malloc'd, NUL-terminated, ending in a
 * newline; the caller frees). INK_MANIFEST_EXTENDED writes every model
 * with every field that is set (dates in UTC "YYYY-MM-DDThh:mm:ssZ").
 * INK_MANIFEST_SIMPLE writes {"url": URL} for the model a client of the
 * seed article should fetch: the one with the highest version on the
 * default channel (the last one on ties; models without a version count as
 * lowest); with no model on that channel, INK_ERR_INVALID_ARGUMENT. The URL
 * written is the model's url as written (relative URLs stay relative). */
char *ink_manifest_to_json (const InkManifest *manifest, InkManifestForm form, InkError *err);

/* ---- Versions, rollout, applicability (free functions) ---- */

/* Whether s is a dotted version: 1 to 8 components of decimal digits
 * separated by single dots ("1", "1.2", "10.0.3"), each at most 9 digits. */
bool ink_version_is_valid (const char *s);
/* Compares dotted versions numerically, component by component, missing
 * components counting as 0 ("1.2" == "1.2.0" < "1.10"). Returns <0, 0 or
 * >0. An invalid version sorts below every valid one; two invalid ones
 * compare with strcmp. NULL counts as invalid. */
int ink_version_compare (const char *a, const char *b);

/* The rollout bucket of an installation for a model, 0..99: the first four
 * bytes of SHA-256(installation_id "\n" model_id) as a big-endian integer,
 * modulo 100. Stable across runs and platforms; uniform over ids. */
int ink_rollout_bucket (const char *installation_id, const char *model_id);

/* Who a model is for. All borrowed. */
typedef struct {
  const char *channel;         /* NULL: INK_MANIFEST_DEFAULT_CHANNEL */
  const char *app_version;     /* NULL: no minimum-version gate */
  const char *installation_id; /* NULL: every rollout applies */
} InkManifestAudience;

/* Whether model is meant for this audience: same channel, app version at
 * least min_app_version, and rollout bucket (ink_rollout_bucket of the
 * installation id and the model id) below rollout_percent. When not, and
 * reason is not NULL, a short English reason is written into it
 * ("channel beta, not stable", "needs app 2.0, this is 1.0", "rollout 10%,
 * this installation is in bucket 57"). */
bool ink_manifest_model_applies (const InkManifestModel *model, const InkManifestAudience *audience,
                                 char *reason, size_t reason_size);

/* Parses an ISO 8601 date as accepted in manifests (see the top of this
 * file) into Unix seconds; INK_ERR_FORMAT when malformed. */
InkStatus ink_manifest_parse_date (const char *s, int64_t *out, InkError *err);
/* Formats Unix seconds as "YYYY-MM-DDThh:mm:ssZ" into buf (>= 21 bytes). */
void ink_manifest_format_date (int64_t t, char *buf, size_t size);

/* Resolves a model URL against the manifest URL (RFC 3986 reference
 * resolution, without dot-segment tricks beyond "." and ".."). Returns a
 * malloc'd absolute URL; an absolute ref is returned as is. NULL with
 * INK_ERR_FORMAT when base is not an absolute http(s) URL and ref is
 * relative. */
char *ink_url_resolve (const char *base, const char *ref, InkError *err);

#ifdef __cplusplus
}
#endif

/* ink-version.c: dotted versions, rollout buckets and who a model is for
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-manifest.h"

#include <stdio.h>
#include <string.h>

#include "ink-sha256.h"

#define MAX_COMPONENTS 8
#define MAX_DIGITS 9

/* Splits a dotted version into numbers; -1 when invalid. */
static int
parse_version (const char *s, long parts[MAX_COMPONENTS])
{
  int n = 0;

  if (s == NULL || *s == '\0')
    return -1;
  for (;;) {
    long v = 0;
    int digits = 0;

    while (*s >= '0' && *s <= '9') {
      if (++digits > MAX_DIGITS)
        return -1;
      v = v * 10 + (*s++ - '0');
    }
    if (digits == 0 || n == MAX_COMPONENTS)
      return -1;
    parts[n++] = v;
    if (*s == '\0')
      return n;
    if (*s++ != '.')
      return -1;
  }
}

bool
ink_version_is_valid (const char *s)
{
  long parts[MAX_COMPONENTS];

  return parse_version (s, parts) > 0;
}

int
ink_version_compare (const char *a, const char *b)
{
  long pa[MAX_COMPONENTS], pb[MAX_COMPONENTS];
  int na = parse_version (a, pa), nb = parse_version (b, pb);

  if (na < 0 || nb < 0) {
    if (na >= 0)
      return 1;
    if (nb >= 0)
      return -1;
    return strcmp (a != NULL ? a : "", b != NULL ? b : "");
  }
  for (int i = 0; i < MAX_COMPONENTS; i++) {
    long x = i < na ? pa[i] : 0, y = i < nb ? pb[i] : 0;

    if (x != y)
      return x < y ? -1 : 1;
  }
  return 0;
}

int
ink_rollout_bucket (const char *installation_id, const char *model_id)
{
  InkSha256 ctx;
  uint8_t digest[INK_SHA256_DIGEST_SIZE];
  uint32_t v;

  ink_sha256_init (&ctx);
  if (installation_id != NULL)
    ink_sha256_update (&ctx, installation_id, strlen (installation_id));
  ink_sha256_update (&ctx, "\n", 1);
  if (model_id != NULL)
    ink_sha256_update (&ctx, model_id, strlen (model_id));
  ink_sha256_final (&ctx, digest);
  v = (uint32_t) digest[0] << 24 | (uint32_t) digest[1] << 16 | (uint32_t) digest[2] << 8 |
      (uint32_t) digest[3];
  return (int) (v % 100);
}

bool
ink_manifest_model_applies (const InkManifestModel *model, const InkManifestAudience *audience,
                            char *reason, size_t reason_size)
{
  const char *channel = audience != NULL && audience->channel != NULL && *audience->channel
                          ? audience->channel
                          : INK_MANIFEST_DEFAULT_CHANNEL;
  const char *model_channel =
    model->channel != NULL ? model->channel : INK_MANIFEST_DEFAULT_CHANNEL;
  char dummy[1];

  if (reason == NULL || reason_size == 0) {
    reason = dummy;
    reason_size = sizeof dummy;
  }
  reason[0] = '\0';
  if (strcmp (channel, model_channel) != 0) {
    snprintf (reason, reason_size, "channel %s, not %s", model_channel, channel);
    return false;
  }
  if (model->min_app_version != NULL && audience != NULL && audience->app_version != NULL &&
      ink_version_compare (audience->app_version, model->min_app_version) < 0) {
    snprintf (reason, reason_size, "needs app %s, this is %s", model->min_app_version,
              audience->app_version);
    return false;
  }
  if (model->rollout_percent < 100 && audience != NULL && audience->installation_id != NULL) {
    int bucket = ink_rollout_bucket (audience->installation_id, model->id);

    if (bucket >= model->rollout_percent) {
      snprintf (reason, reason_size, "rollout %d%%, this installation is in bucket %d",
                model->rollout_percent, bucket);
      return false;
    }
  }
  return true;
}

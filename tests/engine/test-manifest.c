/* test-manifest.c: the model server's manifest (both forms, errors,
 * writing), URL resolution, versions, rollout buckets and applicability
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "ink-sha256.h"
#include "test-util.h"

#define BASE "https://models.example/demo/latest_model_details.json"
#define HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static InkManifest *
parse_ok (const char *json, const char *base)
{
  InkError err = {0};
  InkManifest *m = ink_manifest_parse (json, strlen (json), base, &err);

  if (m == NULL)
    g_error ("expected the manifest to parse, got %s: %s\n%s", ink_status_to_string (err.status),
             err.message, json);
  return m;
}

/* Parsing fails with status and a message containing every word given. */
static void
parse_fails (const char *json, InkStatus status, const char *word1, const char *word2)
{
  InkError err = {0};
  InkManifest *m = ink_manifest_parse (json, strlen (json), BASE, &err);

  if (m != NULL)
    g_error ("expected the manifest to be refused:\n%s", json);
  g_assert_cmpstr (ink_status_to_string (err.status), ==, ink_status_to_string (status));
  if (word1 != NULL && strstr (err.message, word1) == NULL)
    g_error ("expected \"%s\" in the error \"%s\" for\n%s", word1, err.message, json);
  if (word2 != NULL && strstr (err.message, word2) == NULL)
    g_error ("expected \"%s\" in the error \"%s\" for\n%s", word2, err.message, json);
}

static void
test_seed_relative (void)
{
  InkManifest *m = parse_ok ("{\"url\": \"models/80a2-82d1.mlmodel\"}", BASE);
  const InkManifestModel *model;

  g_assert_cmpint (ink_manifest_get_form (m), ==, INK_MANIFEST_SIMPLE);
  g_assert_cmpint (ink_manifest_get_schema (m), ==, 1);
  g_assert_cmpint (ink_manifest_get_expires (m), ==, 0);
  g_assert_false (ink_manifest_is_expired (m, G_MAXINT64));
  g_assert_cmpuint (ink_manifest_n_models (m), ==, 1);
  model = ink_manifest_get_model (m, 0);
  g_assert_cmpstr (model->id, ==, "80a2-82d1");
  g_assert_null (model->version);
  g_assert_cmpstr (model->url, ==, "models/80a2-82d1.mlmodel");
  g_assert_cmpstr (model->resolved_url, ==, "https://models.example/demo/models/80a2-82d1.mlmodel");
  g_assert_cmpint (model->size, ==, -1);
  g_assert_null (model->sha256);
  g_assert_cmpstr (model->channel, ==, INK_MANIFEST_DEFAULT_CHANNEL);
  g_assert_cmpint (model->rollout_percent, ==, 100);
  g_assert_null (ink_manifest_get_model (m, 1));
  ink_manifest_free (m);
}

static void
test_seed_absolute (void)
{
  /* The seed article's own form; unknown members are ignored. */
  InkManifest *m = parse_ok ("{\"url\": \"https://cdn.example/m/abc.mlmodel?sig=1\", "
                             "\"comment\": [1, 2], \"x\": {\"y\": null}}",
                             BASE);
  const InkManifestModel *model = ink_manifest_get_model (m, 0);

  g_assert_cmpstr (model->id, ==, "abc");
  g_assert_cmpstr (model->resolved_url, ==, "https://cdn.example/m/abc.mlmodel?sig=1");
  ink_manifest_free (m);

  /* Without a base URL, relative URLs stay as written. */
  m = parse_ok ("{\"url\": \"../x/y.mlmodel\"}", NULL);
  g_assert_cmpstr (ink_manifest_get_model (m, 0)->resolved_url, ==, "../x/y.mlmodel");
  ink_manifest_free (m);
}

static const char extended[] =
  "{\n"
  "  \"schema\": 1, \"expires\": \"2030-01-02T03:04:05Z\", \"future\": true,\n"
  "  \"models\": [\n"
  "    {\"id\": \"doodles\", \"version\": \"1.2.0\", \"url\": \"models/a.mlmodel\",\n"
  "     \"size\": 8074, \"sha256\": \"" HASH "\",\n"
  "     \"min_app_version\": \"0.1\", \"channel\": \"beta\", \"rollout_percent\": 25,\n"
  "     \"published\": \"2026-11-22T10:00:00+01:00\", \"notes\": \"more doodles\",\n"
  "     \"signature_of_the_future\": \"ignored\"},\n"
  "    {\"id\": \"doodles\", \"version\": \"1.10\", \"url\": \"/abs/b.mlmodel\"}\n"
  "  ]\n"
  "}\n";

static void
test_extended (void)
{
  InkManifest *m = parse_ok (extended, BASE);
  const InkManifestModel *a, *b;
  int64_t t = 0;

  g_assert_cmpint (ink_manifest_get_form (m), ==, INK_MANIFEST_EXTENDED);
  ink_assert_ok (ink_manifest_parse_date ("2030-01-02T03:04:05Z", &t, NULL), &(InkError){0});
  g_assert_cmpint (ink_manifest_get_expires (m), ==, t);
  g_assert_false (ink_manifest_is_expired (m, t - 1));
  g_assert_true (ink_manifest_is_expired (m, t));
  g_assert_cmpuint (ink_manifest_n_models (m), ==, 2);
  a = ink_manifest_get_model (m, 0);
  g_assert_cmpstr (a->id, ==, "doodles");
  g_assert_cmpstr (a->version, ==, "1.2.0");
  g_assert_cmpstr (a->resolved_url, ==, "https://models.example/demo/models/a.mlmodel");
  g_assert_cmpint (a->size, ==, 8074);
  g_assert_cmpstr (a->sha256, ==, HASH);
  g_assert_cmpstr (a->min_app_version, ==, "0.1");
  g_assert_cmpstr (a->channel, ==, "beta");
  g_assert_cmpint (a->rollout_percent, ==, 25);
  ink_assert_ok (ink_manifest_parse_date ("2026-11-22T09:00:00Z", &t, NULL), &(InkError){0});
  g_assert_cmpint (a->published, ==, t);
  g_assert_cmpstr (a->notes, ==, "more doodles");
  b = ink_manifest_get_model (m, 1);
  g_assert_cmpstr (b->resolved_url, ==, "https://models.example/abs/b.mlmodel");
  g_assert_cmpstr (b->channel, ==, "stable");
  g_assert_cmpint (b->size, ==, -1);
  g_assert_true (ink_manifest_find (m, "doodles", "1.10") == b);
  g_assert_true (ink_manifest_find (m, "doodles", NULL) == a);
  g_assert_null (ink_manifest_find (m, "doodles", "2"));
  ink_manifest_free (m);

  /* Upper-case hex digits are accepted and kept lower-case. */
  m = parse_ok ("{\"models\": [{\"id\": \"x\", \"version\": \"1\", \"url\": \"x.mlmodel\", "
                "\"sha256\": \"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\"}"
                "]}",
                BASE);
  g_assert_cmpstr (ink_manifest_get_model (m, 0)->sha256, ==, HASH);
  ink_manifest_free (m);
}

static void
test_malformed (void)
{
  parse_fails ("", INK_ERR_FORMAT, "JSON", NULL);
  parse_fails ("{\"models\": [ {\"id\": \"knn\", ", INK_ERR_FORMAT, "not valid JSON", NULL);
  parse_fails ("[1, 2]", INK_ERR_FORMAT, "not a JSON object", NULL);
  parse_fails ("{\"url\": \"a.mlmodel\"} trailing", INK_ERR_FORMAT, "trailing", NULL);
  parse_fails ("{\"name\": \"x\"}", INK_ERR_FORMAT, "neither \"url\" nor \"models\"", NULL);
  parse_fails ("{\"url\": 42}", INK_ERR_FORMAT, "\"url\"", NULL);
  parse_fails ("{\"url\": \"\"}", INK_ERR_FORMAT, "\"url\"", NULL);
  parse_fails ("{\"models\": []}", INK_ERR_FORMAT, "\"models\" is empty", NULL);
  parse_fails ("{\"models\": {}}", INK_ERR_FORMAT, "\"models\" is not an array", NULL);
  parse_fails ("{\"models\": [42]}", INK_ERR_FORMAT, "models[0]", "not an object");
  parse_fails ("{\"schema\": 99, \"models\": [{\"id\": \"a\", \"version\": \"1\", \"url\": "
               "\"a\"}]}",
               INK_ERR_VERSION, "schema", NULL);
  parse_fails ("{\"models\": [{\"id\": \"a\", \"version\": \"1\", \"url\": \"a\"}, "
               "{\"version\": \"1\", \"url\": \"b\"}]}",
               INK_ERR_FORMAT, "models[1]", "\"id\"");
  parse_fails ("{\"models\": [{\"id\": \"a\", \"url\": \"a\"}]}", INK_ERR_FORMAT, "models[0]",
               "\"version\"");
  parse_fails ("{\"models\": [{\"id\": \"a\", \"version\": \"1.x\", \"url\": \"a\"}]}",
               INK_ERR_FORMAT, "models[0]", "version");
  parse_fails ("{\"models\": [{\"id\": \"a\", \"version\": \"1\", \"url\": \"a\", "
               "\"sha256\": \"xyz\"}]}",
               INK_ERR_FORMAT, "models[0]", "sha256");
  parse_fails ("{\"models\": [{\"id\": \"a\", \"version\": \"1\", \"url\": \"a\", "
               "\"size\": -1}]}",
               INK_ERR_FORMAT, "models[0]", "size");
  parse_fails ("{\"models\": [{\"id\": \"a\", \"version\": \"1\", \"url\": \"a\", "
               "\"size\": \"12\"}]}",
               INK_ERR_FORMAT, "models[0]", "size");
  parse_fails ("{\"models\": [{\"id\": \"a\", \"version\": \"1\", \"url\": \"a\", "
               "\"rollout_percent\": 101}]}",
               INK_ERR_FORMAT, "models[0]", "rollout_percent");
  parse_fails ("{\"models\": [{\"id\": \"a\", \"version\": \"1\", \"url\": \"a\", "
               "\"published\": \"yesterday\"}]}",
               INK_ERR_FORMAT, "yesterday", NULL);
  parse_fails ("{\"expires\": \"2026-13-45\", \"models\": [{\"id\": \"a\", \"version\": \"1\", "
               "\"url\": \"a\"}]}",
               INK_ERR_FORMAT, "2026-13-45", NULL);
  parse_fails ("{\"models\": [{\"id\": \"a\", \"version\": \"1\", \"url\": \"a\", "
               "\"min_app_version\": 2}]}",
               INK_ERR_FORMAT, "min_app_version", NULL);
}

static void
test_dates (void)
{
  int64_t t = -1;
  char buf[32];

  ink_assert_ok (ink_manifest_parse_date ("1970-01-02", &t, NULL), &(InkError){0});
  g_assert_cmpint (t, ==, 86400);
  ink_assert_ok (ink_manifest_parse_date ("2001-09-09T01:46:40.5Z", &t, NULL), &(InkError){0});
  g_assert_cmpint (t, ==, 1000000000);
  ink_assert_ok (ink_manifest_parse_date ("2001-09-09T03:46:40+02:00", &t, NULL), &(InkError){0});
  g_assert_cmpint (t, ==, 1000000000);
  ink_manifest_format_date (1000000000, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "2001-09-09T01:46:40Z");
  g_assert_cmpint (ink_manifest_parse_date ("2001-09-09 01:46", &t, NULL), ==, INK_ERR_FORMAT);
  g_assert_cmpint (ink_manifest_parse_date ("", &t, NULL), ==, INK_ERR_FORMAT);
}

static void
test_write_round_trip (void)
{
  InkManifest *m = parse_ok (extended, BASE), *again;
  InkError err = {0};
  char *json, *seed;

  json = ink_manifest_to_json (m, INK_MANIFEST_EXTENDED, &err);
  g_assert_nonnull (json);
  again = parse_ok (json, BASE);
  g_assert_cmpuint (ink_manifest_n_models (again), ==, 2);
  g_assert_cmpint (ink_manifest_get_expires (again), ==, ink_manifest_get_expires (m));
  for (size_t i = 0; i < 2; i++) {
    const InkManifestModel *a = ink_manifest_get_model (m, i),
                           *b = ink_manifest_get_model (again, i);

    g_assert_cmpstr (a->id, ==, b->id);
    g_assert_cmpstr (a->version, ==, b->version);
    g_assert_cmpstr (a->url, ==, b->url);
    g_assert_cmpstr (a->sha256, ==, b->sha256);
    g_assert_cmpint (a->size, ==, b->size);
    g_assert_cmpstr (a->channel, ==, b->channel);
    g_assert_cmpint (a->rollout_percent, ==, b->rollout_percent);
    g_assert_cmpint (a->published, ==, b->published);
  }
  /* The seed form names the newest model on the default channel: 1.10 is
   * "stable", 1.2.0 "beta". */
  seed = ink_manifest_to_json (m, INK_MANIFEST_SIMPLE, &err);
  g_assert_nonnull (seed);
  g_assert_nonnull (strstr (seed, "\"url\""));
  g_assert_nonnull (strstr (seed, "/abs/b.mlmodel"));
  free (seed);
  free (json);
  ink_manifest_free (again);
  ink_manifest_free (m);
}

static void
test_build (void)
{
  InkManifest *m = ink_manifest_new ();
  InkManifestModel model = {.id = "knn",
                            .version = "2.0",
                            .url = "models/k.mlmodel",
                            .size = 10,
                            .sha256 = HASH,
                            .rollout_percent = 100};
  InkError err = {0};
  char *json;

  ink_assert_ok (ink_manifest_add_model (m, &model, &err), &err);
  model.version = "two";
  g_assert_cmpint (ink_manifest_add_model (m, &model, &err), ==, INK_ERR_FORMAT);
  model.version = "3";
  model.sha256 = "abc";
  g_assert_cmpint (ink_manifest_add_model (m, &model, &err), ==, INK_ERR_FORMAT);
  g_assert_cmpuint (ink_manifest_n_models (m), ==, 1);
  /* No model on the default channel: no seed form. */
  model.sha256 = NULL;
  model.channel = "beta";
  ink_assert_ok (ink_manifest_add_model (m, &model, &err), &err);
  g_assert_true (ink_manifest_remove_model (m, 0));
  g_assert_false (ink_manifest_remove_model (m, 5));
  json = ink_manifest_to_json (m, INK_MANIFEST_SIMPLE, &err);
  g_assert_null (json);
  g_assert_cmpint (err.status, ==, INK_ERR_INVALID_ARGUMENT);
  ink_manifest_set_expires (m, 1000000000);
  json = ink_manifest_to_json (m, INK_MANIFEST_EXTENDED, &err);
  g_assert_nonnull (strstr (json, "\"expires\""));
  g_assert_nonnull (strstr (json, "2001-09-09T01:46:40Z"));
  free (json);
  ink_manifest_free (m);
}

/* RFC 3986, 5.4: the normal and abnormal examples (http base). */
static void
test_url_resolve (void)
{
  static const char *const cases[][2] = {
    {"g", "http://a/b/c/g"},
    {"./g", "http://a/b/c/g"},
    {"g/", "http://a/b/c/g/"},
    {"/g", "http://a/g"},
    {"//g", "http://g"},
    {"?y", "http://a/b/c/d;p?y"},
    {"g?y", "http://a/b/c/g?y"},
    {"#s", "http://a/b/c/d;p?q#s"},
    {"g#s", "http://a/b/c/g#s"},
    {";x", "http://a/b/c/;x"},
    {"", "http://a/b/c/d;p?q"},
    {".", "http://a/b/c/"},
    {"./", "http://a/b/c/"},
    {"..", "http://a/b/"},
    {"../", "http://a/b/"},
    {"../g", "http://a/b/g"},
    {"../..", "http://a/"},
    {"../../g", "http://a/g"},
    {"../../../g", "http://a/g"},
    {"../../../../g", "http://a/g"},
    {"/./g", "http://a/g"},
    {"/../g", "http://a/g"},
    {"g.", "http://a/b/c/g."},
    {"..g", "http://a/b/c/..g"},
    {"./../g", "http://a/b/g"},
    {"g/./h", "http://a/b/c/g/h"},
    {"g/../h", "http://a/b/c/h"},
    {"g;x=1/../y", "http://a/b/c/y"},
    {"https://other/x.mlmodel", "https://other/x.mlmodel"},
  };
  InkError err = {0};
  char *url;

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    url = ink_url_resolve ("http://a/b/c/d;p?q", cases[i][0], &err);
    if (url == NULL || strcmp (url, cases[i][1]) != 0)
      g_error ("resolving \"%s\": got %s, want %s", cases[i][0], url ? url : err.message,
               cases[i][1]);
    free (url);
  }
  url = ink_url_resolve ("https://h:8080", "m.mlmodel", &err);
  g_assert_cmpstr (url, ==, "https://h:8080/m.mlmodel");
  free (url);
  /* A relative reference needs an http(s) base. */
  g_assert_null (ink_url_resolve ("file:///etc/", "passwd", &err));
  g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
  g_assert_null (ink_url_resolve ("models/", "a.mlmodel", &err));
  g_assert_cmpint (err.status, ==, INK_ERR_FORMAT);
}

static void
test_versions (void)
{
  g_assert_true (ink_version_is_valid ("1"));
  g_assert_true (ink_version_is_valid ("1.2"));
  g_assert_true (ink_version_is_valid ("10.0.3"));
  g_assert_true (ink_version_is_valid ("1.2.3.4.5.6.7.8"));
  g_assert_false (ink_version_is_valid ("1.2.3.4.5.6.7.8.9"));
  g_assert_false (ink_version_is_valid (""));
  g_assert_false (ink_version_is_valid (NULL));
  g_assert_false (ink_version_is_valid ("1..2"));
  g_assert_false (ink_version_is_valid (".1"));
  g_assert_false (ink_version_is_valid ("1."));
  g_assert_false (ink_version_is_valid ("v1"));
  g_assert_false (ink_version_is_valid ("1.2-beta"));
  g_assert_false (ink_version_is_valid ("1234567890"));
  g_assert_false (ink_version_is_valid ("-1"));

  g_assert_cmpint (ink_version_compare ("1.2", "1.2.0"), ==, 0);
  g_assert_cmpint (ink_version_compare ("1.2", "1.10"), <, 0);
  g_assert_cmpint (ink_version_compare ("1.10", "1.9.9"), >, 0);
  g_assert_cmpint (ink_version_compare ("2", "10"), <, 0);
  g_assert_cmpint (ink_version_compare ("1.0.1", "1"), >, 0);
  g_assert_cmpint (ink_version_compare ("007", "7"), ==, 0);
  /* Invalid versions sort below every valid one. */
  g_assert_cmpint (ink_version_compare ("junk", "0"), <, 0);
  g_assert_cmpint (ink_version_compare ("0", NULL), >, 0);
  g_assert_cmpint (ink_version_compare (NULL, NULL), ==, 0);
  g_assert_cmpint (ink_version_compare ("a", "b"), <, 0);
}

static void
test_rollout_buckets (void)
{
  int counts[100] = {0};
  int a = ink_rollout_bucket ("0123456789abcdef0123456789abcdef", "doodles");

  /* Stable, and the same on every platform (SHA-256 based). */
  g_assert_cmpint (a, ==, ink_rollout_bucket ("0123456789abcdef0123456789abcdef", "doodles"));
  {
    /* SHA-256("x\ny") starts with the bytes below; bucket = big-endian % 100. */
    uint8_t digest[INK_SHA256_DIGEST_SIZE];
    uint32_t v;

    ink_sha256 ("x\ny", 3, digest);
    v = (uint32_t) digest[0] << 24 | (uint32_t) digest[1] << 16 | (uint32_t) digest[2] << 8 |
        digest[3];
    g_assert_cmpint (ink_rollout_bucket ("x", "y"), ==, (int) (v % 100));
  }
  /* Roughly uniform over installations. */
  for (int i = 0; i < 10000; i++) {
    char id[32];
    int b;

    g_snprintf (id, sizeof id, "installation-%d", i);
    b = ink_rollout_bucket (id, "doodles");
    g_assert_cmpint (b, >=, 0);
    g_assert_cmpint (b, <, 100);
    counts[b]++;
  }
  for (int b = 0; b < 100; b++)
    g_assert_cmpint (counts[b], >, 50);
}

static void
test_applies (void)
{
  InkManifestModel m = {.id = "doodles",
                        .version = "2",
                        .url = "a",
                        .channel = "stable",
                        .rollout_percent = 100,
                        .size = -1};
  InkManifestAudience who = {.channel = NULL, .app_version = "1.0", .installation_id = "abc"};
  int bucket = ink_rollout_bucket ("abc", "doodles");
  char reason[256];

  g_assert_true (ink_manifest_model_applies (&m, &who, reason, sizeof reason));
  m.channel = "beta";
  g_assert_false (ink_manifest_model_applies (&m, &who, reason, sizeof reason));
  g_assert_nonnull (strstr (reason, "beta"));
  who.channel = "beta";
  g_assert_true (ink_manifest_model_applies (&m, &who, reason, sizeof reason));
  m.min_app_version = "1.0.1";
  g_assert_false (ink_manifest_model_applies (&m, &who, reason, sizeof reason));
  g_assert_nonnull (strstr (reason, "1.0.1"));
  who.app_version = "1.1";
  g_assert_true (ink_manifest_model_applies (&m, &who, reason, sizeof reason));
  /* A rollout of p% takes the buckets below p. */
  m.rollout_percent = bucket;
  g_assert_false (ink_manifest_model_applies (&m, &who, reason, sizeof reason));
  g_assert_nonnull (strstr (reason, "bucket"));
  m.rollout_percent = bucket + 1;
  g_assert_true (ink_manifest_model_applies (&m, &who, reason, sizeof reason));
  m.rollout_percent = 0;
  g_assert_false (ink_manifest_model_applies (&m, &who, NULL, 0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manifest/seed-relative", test_seed_relative);
  g_test_add_func ("/manifest/seed-absolute", test_seed_absolute);
  g_test_add_func ("/manifest/extended", test_extended);
  g_test_add_func ("/manifest/malformed", test_malformed);
  g_test_add_func ("/manifest/dates", test_dates);
  g_test_add_func ("/manifest/write-round-trip", test_write_round_trip);
  g_test_add_func ("/manifest/build", test_build);
  g_test_add_func ("/manifest/url-resolve", test_url_resolve);
  g_test_add_func ("/manifest/versions", test_versions);
  g_test_add_func ("/manifest/rollout-buckets", test_rollout_buckets);
  g_test_add_func ("/manifest/applies", test_applies);
  return g_test_run ();
}

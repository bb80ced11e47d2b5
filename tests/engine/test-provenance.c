/* test-provenance.c: SHA-256, model ids, the provenance of personalized
 * models, and updated models surviving save, load, export and compile
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>
#include <time.h>

#include "ink-sha256.h"
#include "test-util.h"

/* ---- SHA-256 (FIPS 180-2, appendix B, and the empty message) ---- */

static void
assert_digest (const void *data, size_t size, const char *want)
{
  uint8_t digest[INK_SHA256_DIGEST_SIZE];
  char hex[INK_SHA256_HEX_SIZE];

  ink_sha256 (data, size, digest);
  ink_sha256_hex (digest, hex);
  g_assert_cmpstr (hex, ==, want);
}

static void
test_sha256_vectors (void)
{
  static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  char *million = g_malloc (1000000);

  assert_digest ("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_digest (two_blocks, strlen (two_blocks),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  memset (million, 'a', 1000000);
  assert_digest (million, 1000000,
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  assert_digest ("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert_digest (NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  /* Streaming in uneven pieces (crossing block edges, 55/56/64 byte
   * paddings) gives the same digests. */
  {
    static const size_t pieces[] = {1, 63, 64, 65, 7, 55, 56, 57, 1000, 3};
    InkSha256 ctx;
    uint8_t digest[INK_SHA256_DIGEST_SIZE];
    char hex[INK_SHA256_HEX_SIZE];
    size_t done = 0, i = 0;

    ink_sha256_init (&ctx);
    while (done < 1000000) {
      size_t n = MIN (pieces[i++ % G_N_ELEMENTS (pieces)], 1000000 - done);
      ink_sha256_update (&ctx, million + done, n);
      done += n;
    }
    ink_sha256_final (&ctx, digest);
    ink_sha256_hex (digest, hex);
    g_assert_cmpstr (hex, ==, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
  /* Every length around the padding boundary against one-shot hashing of
   * the same bytes streamed one at a time. */
  for (size_t len = 50; len < 130; len++) {
    InkSha256 ctx;
    uint8_t a[INK_SHA256_DIGEST_SIZE], b[INK_SHA256_DIGEST_SIZE];
    ink_sha256 (million, len, a);
    ink_sha256_init (&ctx);
    for (size_t k = 0; k < len; k++)
      ink_sha256_update (&ctx, million + k, 1);
    ink_sha256_final (&ctx, b);
    g_assert_cmpmem (a, sizeof a, b, sizeof b);
  }
  g_free (million);
}

/* ---- A model to personalize ---- */

enum {
  DIMS = 3
};

static InkModel *
new_knn (const char *version, const char *explicit_id)
{
  InkModel *m = ink_knn_new (DIMS, INK_KNN_INVERSE_DISTANCE, 3, false);
  const int64_t shape[] = {DIMS};
  InkFeatureType x = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, shape);
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_STRING);
  InkMetadata md = {.short_description = "stickers", .version = version, .author = "tests"};
  InkError err = {0};

  ink_assert_ok (ink_model_add_input (m, "x", &x, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "labelProbability", &probs, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (m, "x", &x, "", &err), &err);
  ink_assert_ok (ink_model_add_training_input (m, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "labelProbability"), &err);
  ink_assert_ok (ink_knn_set_default_label_string (m, "none"), &err);
  ink_assert_ok (ink_model_set_metadata (m, &md), &err);
  ink_assert_ok (ink_model_set_user_metadata (m, "com.example.note", "kept"), &err);
  if (explicit_id != NULL)
    ink_assert_ok (ink_model_set_user_metadata (m, "inkling.id", explicit_id), &err);
  ink_assert_ok (ink_model_set_updatable (m, true), &err);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  return m;
}

static InkFeatures *
example (const float *v, const char *label)
{
  const int64_t shape[] = {DIMS};
  InkFeatures *f = ink_features_new ();

  ink_features_set (f, "x", ink_test_array (1, shape, v));
  if (label != NULL)
    ink_features_set_string (f, "label", label);
  return f;
}

static InkBatch *
batch (size_t n, guint32 seed)
{
  static const char *const labels[] = {"sun", "moon", "star"};
  InkBatch *b = ink_batch_new ();
  float v[DIMS];

  for (size_t i = 0; i < n; i++) {
    ink_test_fill_random (v, DIMS, seed + (guint32) i, -1.0f, 1.0f);
    v[i % 3] += 5.0f;
    ink_batch_append (b, example (v, labels[i % 3]));
  }
  return b;
}

static InkModel *
update (const InkModel *m, const InkBatch *b)
{
  InkError err = {0};
  InkUpdateTask *t = ink_update_task_new (m, b, NULL, 0, NULL, NULL, NULL, &err);
  InkModel *out;

  if (t == NULL)
    g_error ("ink_update_task_new: %s", err.message);
  ink_assert_ok (ink_update_task_resume (t, &err), &err);
  g_assert_cmpint (ink_update_task_wait (t), ==, INK_TASK_COMPLETED);
  out = ink_update_task_take_model (t);
  ink_update_task_free (t);
  return out;
}

static char *
model_id (const InkModel *m)
{
  InkError err = {0};
  char *id = ink_model_get_id (m, &err);

  if (id == NULL)
    g_error ("ink_model_get_id: %s", err.message);
  return id;
}

/* The id computed from scratch: the hash of the Core ML export. */
static char *
export_id (const InkModel *m)
{
  InkError err = {0};
  uint8_t *data = NULL;
  size_t size = 0;
  uint8_t digest[INK_SHA256_DIGEST_SIZE];
  char hex[INK_SHA256_HEX_SIZE];

  ink_assert_ok (ink_coreml_export_memory (m, &data, &size, &err), &err);
  ink_sha256 (data, size, digest);
  ink_sha256_hex (digest, hex);
  free (data);
  return g_strconcat ("sha256:", hex, NULL);
}

/* After a change made in place to m (or to a stage of it): its id is new,
 * and it is the id computed from scratch. */
static void
assert_new_id (const InkModel *m, const char *before)
{
  g_autofree char *after = model_id (m);
  g_autofree char *want = export_id (m);

  g_assert_cmpstr (after, !=, before);
  g_assert_cmpstr (after, ==, want);
}

/* ---- Ids ---- */

static void
test_model_id (void)
{
  InkModel *m = new_knn ("1.0", NULL), *named = new_knn ("1.0", "drawings-2026");
  InkError err = {0};
  g_autofree char *id = model_id (m), *again = model_id (m), *want = NULL, *nid = NULL;
  InkModel *copy = ink_model_copy (m, &err);
  g_autofree char *copy_id = model_id (copy);

  /* sha256: and the hash of the Core ML export; stable; the same for a
   * copy. */
  want = export_id (m);
  g_assert_cmpstr (id, ==, want);
  g_assert_cmpstr (again, ==, id);
  g_assert_cmpstr (copy_id, ==, id);
  /* inkling.id, when set, is the id. */
  nid = model_id (named);
  g_assert_cmpstr (nid, ==, "drawings-2026");
  g_assert_null (ink_model_get_id (NULL, &err));
  g_assert_cmpint (err.status, ==, INK_ERR_INVALID_ARGUMENT);
  ink_model_free (copy);
  ink_model_free (named);
  ink_model_free (m);
}

/* Ids are cached (shared with the update tasks made from a model), and a
 * change made in place, to the model or to a pipeline's stage, is never
 * answered with the id of the content before it. */
static void
test_model_id_cache (void)
{
  InkModel *m = new_knn ("1.0", NULL), *p, *knn, *updated;
  InkBatch *b3 = batch (3, 7);
  InkProvenance prov;
  InkError err = {0};
  const int64_t shape[] = {DIMS};
  InkFeatureType x = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 1, shape);
  InkFeatureType label = ink_feature_type_string ();
  InkFeatureType probs = ink_feature_type_dictionary (INK_KEY_STRING);
  const float v[DIMS] = {1, 2, 3};

  /* The first update computes the base's id; the model then knows it, and
   * a second update records the same. */
  for (int round = 0; round < 2; round++) {
    g_autofree char *want = export_id (m), *got = NULL;
    updated = update (m, b3);
    g_assert_true (ink_model_get_provenance (updated, &prov));
    g_assert_cmpstr (prov.base_id, ==, want);
    got = model_id (m);
    g_assert_cmpstr (got, ==, want);
    ink_model_free (updated);
  }
  /* In-place changes: examples, k, metadata. */
  {
    g_autofree char *before = model_id (m);

    ink_assert_ok (ink_knn_add_example_string (m, v, "sun", &err), &err);
    assert_new_id (m, before);
  }
  {
    g_autofree char *before = model_id (m);

    ink_assert_ok (ink_knn_remove_example (m, 0, &err), &err);
    assert_new_id (m, before);
  }
  {
    g_autofree char *before = model_id (m);

    ink_assert_ok (ink_model_set_user_metadata (m, "com.example.note", "changed"), &err);
    assert_new_id (m, before);
  }
  /* An update from the changed model records the new id. */
  {
    g_autofree char *want = export_id (m);
    updated = update (m, b3);
    g_assert_true (ink_model_get_provenance (updated, &prov));
    g_assert_cmpstr (prov.base_id, ==, want);
    ink_model_free (updated);
  }
  ink_model_free (m);

  /* A pipeline whose k-NN stage is changed through the stage. */
  p = ink_pipeline_new (INK_MODEL_PIPELINE_CLASSIFIER);
  ink_assert_ok (ink_model_add_input (p, "x", &x, "", &err), &err);
  ink_assert_ok (ink_model_add_output (p, "label", &label, "", &err), &err);
  ink_assert_ok (ink_model_add_output (p, "labelProbability", &probs, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (p, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (p, "labelProbability"), &err);
  ink_assert_ok (ink_pipeline_add_model (p, "knn", new_knn ("1.0", NULL), &err), &err);
  ink_assert_ok (ink_model_finish (p, &err), &err);
  knn = ink_pipeline_get_model (p, 0);
  {
    g_autofree char *before = model_id (p);

    ink_assert_ok (ink_knn_add_example_string (knn, v, "moon", &err), &err);
    assert_new_id (p, before);
  }
  ink_model_free (p);
  ink_batch_free (b3);
}

/* ---- Provenance ---- */

static void
assert_iso8601_now (const char *s)
{
  struct tm tm = {0};
  time_t now = time (NULL), when;

  g_assert_nonnull (s);
  g_assert_true (
    g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", s, 0, 0));
  g_assert_nonnull (strptime (s, "%Y-%m-%dT%H:%M:%SZ", &tm));
  when = timegm (&tm);
  g_assert_cmpint (llabs ((long long) (now - when)), <=, 120);
}

static void
test_provenance (void)
{
  InkModel *base = new_knn ("2.1", NULL), *named = new_knn ("3.0", "bundled-drawings");
  InkModel *once, *twice, *from_named;
  InkBatch *b5 = batch (5, 1), *b7 = batch (7, 100);
  g_autofree char *base_id = model_id (base), *once_id = NULL;
  InkProvenance p;
  const InkModelDescription *d;

  /* A model never updated has none. */
  g_assert_false (ink_model_get_provenance (base, &p));
  g_assert_null (p.base_id);
  g_assert_null (p.updated_at);
  g_assert_cmpint (p.examples, ==, 0);

  once = update (base, b5);
  g_assert_true (ink_model_get_provenance (once, &p));
  g_assert_cmpstr (p.base_id, ==, base_id);
  g_assert_cmpstr (p.base_version, ==, "2.1");
  g_assert_cmpint (p.examples, ==, 5);
  assert_iso8601_now (p.updated_at);
  d = ink_model_get_description (once);
  g_assert_cmpstr (ink_description_user_metadata_lookup (d, "inkling.base.id"), ==, base_id);
  g_assert_cmpstr (ink_description_user_metadata_lookup (d, "inkling.update.examples"), ==, "5");
  /* Other metadata stays; the base keeps none of this. */
  g_assert_cmpstr (ink_description_user_metadata_lookup (d, "com.example.note"), ==, "kept");
  g_assert_cmpstr (ink_description_metadata (d).version, ==, "2.1");
  g_assert_false (ink_model_get_provenance (base, &p));
  /* The updated model is a different model. */
  once_id = model_id (once);
  g_assert_cmpstr (once_id, !=, base_id);

  /* Updating a personalized model keeps the original base and counts on. */
  twice = update (once, b7);
  g_assert_true (ink_model_get_provenance (twice, &p));
  g_assert_cmpstr (p.base_id, ==, base_id);
  g_assert_cmpstr (p.base_version, ==, "2.1");
  g_assert_cmpint (p.examples, ==, 12);

  /* A base with an explicit id: the update records it and does not take
   * it as its own id. */
  from_named = update (named, b5);
  g_assert_true (ink_model_get_provenance (from_named, &p));
  g_assert_cmpstr (p.base_id, ==, "bundled-drawings");
  g_assert_cmpstr (p.base_version, ==, "3.0");
  {
    g_autofree char *id = model_id (from_named);
    g_assert_true (g_str_has_prefix (id, "sha256:"));
  }

  ink_model_free (from_named);
  ink_model_free (twice);
  ink_model_free (once);
  ink_model_free (named);
  ink_model_free (base);
  ink_batch_free (b5);
  ink_batch_free (b7);
}

/* ---- Writing the updated model ---- */

static void
assert_same_predictions (const InkModel *a, const InkModel *b)
{
  float v[DIMS];

  for (guint32 i = 0; i < 30; i++) {
    InkFeatures *in, *oa = NULL, *ob = NULL;
    InkError err = {0};
    const InkValue *pa, *pb;
    ink_test_fill_random (v, DIMS, 5000 + i, -2.0f, 7.0f);
    in = example (v, NULL);
    ink_assert_ok (ink_model_predict (a, in, &oa, &err), &err);
    ink_assert_ok (ink_model_predict (b, in, &ob, &err), &err);
    g_assert_cmpstr (ink_value_get_string (ink_features_get (oa, "label")), ==,
                     ink_value_get_string (ink_features_get (ob, "label")));
    pa = ink_features_get (oa, "labelProbability");
    pb = ink_features_get (ob, "labelProbability");
    g_assert_cmpuint (ink_value_dictionary_count (pa), ==, ink_value_dictionary_count (pb));
    for (size_t k = 0; k < ink_value_dictionary_count (pa); k++) {
      double q = -1;
      g_assert_true (
        ink_value_dictionary_lookup_string (pb, ink_value_dictionary_string_key (pa, k), &q));
      g_assert_cmpfloat (q, ==, ink_value_dictionary_value (pa, k));
    }
    ink_features_free (in);
    ink_features_free (oa);
    ink_features_free (ob);
  }
}

static void
assert_same_provenance (const InkModel *a, const InkModel *b)
{
  InkProvenance pa, pb;

  g_assert_true (ink_model_get_provenance (a, &pa));
  g_assert_true (ink_model_get_provenance (b, &pb));
  g_assert_cmpstr (pa.base_id, ==, pb.base_id);
  g_assert_cmpstr (pa.base_version, ==, pb.base_version);
  g_assert_cmpint (pa.examples, ==, pb.examples);
  g_assert_cmpstr (pa.updated_at, ==, pb.updated_at);
}

static void
test_save_load (void)
{
  char *dir = ink_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "personal.inkmodel", NULL);
  g_autofree char *mlpath = g_build_filename (dir, "personal.mlmodel", NULL);
  InkModel *base = new_knn ("1.2", NULL);
  InkBatch *b = batch (9, 7);
  InkModel *updated = update (base, b), *loaded, *compiled, *again;
  InkError err = {0};
  InkBatch *more = batch (3, 900);

  /* .inkmodel: same predictions, same record. */
  ink_assert_ok (ink_model_save (updated, path, &err), &err);
  loaded = ink_model_load (path, &err);
  g_assert_nonnull (loaded);
  g_assert_cmpuint (ink_knn_n_examples (loaded), ==, 9);
  assert_same_predictions (updated, loaded);
  assert_same_provenance (updated, loaded);

  /* Core ML export, compiled again. */
  ink_assert_ok (ink_coreml_export (updated, mlpath, &err), &err);
  compiled = ink_coreml_compile_file (mlpath, &err);
  g_assert_nonnull (compiled);
  assert_same_predictions (updated, compiled);
  assert_same_provenance (updated, compiled);

  /* A loaded personalized model can be updated again (its weights were
   * mapped read-only), and saved over itself. */
  again = update (loaded, more);
  g_assert_cmpuint (ink_knn_n_examples (again), ==, 12);
  {
    InkProvenance p;
    g_assert_true (ink_model_get_provenance (again, &p));
    g_assert_cmpint (p.examples, ==, 12);
  }
  ink_assert_ok (ink_model_save (again, path, &err), &err);
  ink_model_free (loaded);
  loaded = ink_model_load (path, &err);
  g_assert_nonnull (loaded);
  assert_same_predictions (again, loaded);
  assert_same_provenance (again, loaded);

  ink_model_free (again);
  ink_model_free (loaded);
  ink_model_free (compiled);
  ink_model_free (updated);
  ink_model_free (base);
  ink_batch_free (b);
  ink_batch_free (more);
  ink_test_tmpdir_free (dir);
}

/* The Core ML fixture, personalized, written and read back both ways. */
static void
test_fixture_round_trip (void)
{
  g_autofree char *fixture = ink_test_fixture_path ("coreml/knn_updatable_empty_kdtree.mlmodel");
  char *dir;
  g_autofree char *path = NULL, *mlpath = NULL, *base_id = NULL;
  InkModel *base, *updated, *loaded, *compiled;
  InkBatch *b;
  InkError err = {0};
  InkProvenance p;
  const int64_t shape[] = {21};
  float v[21];

  if (fixture == NULL)
    return;
  dir = ink_test_tmpdir_new ();
  path = g_build_filename (dir, "p.inkmodel", NULL);
  mlpath = g_build_filename (dir, "p.mlmodel", NULL);
  base = ink_coreml_compile_file (fixture, &err);
  g_assert_nonnull (base);
  base_id = model_id (base);
  /* The same model, compiled from Core ML or loaded from .inkmodel, has
   * the same id. */
  ink_assert_ok (ink_model_save (base, path, &err), &err);
  loaded = ink_model_load (path, &err);
  g_assert_nonnull (loaded);
  {
    g_autofree char *loaded_id = model_id (loaded);
    g_assert_cmpstr (loaded_id, ==, base_id);
  }
  ink_model_free (loaded);
  b = ink_batch_new ();
  for (guint32 i = 0; i < 8; i++) {
    InkFeatures *f = ink_features_new ();
    ink_test_fill_random (v, 21, i + 1, 0.0f, 1.0f);
    v[i % 2] += 4.0f;
    ink_features_set (f, "input", ink_test_array (1, shape, v));
    ink_features_set_string (f, "output", i % 2 ? "left" : "right");
    ink_batch_append (b, f);
  }
  updated = update (base, b);
  g_assert_true (ink_model_get_provenance (updated, &p));
  g_assert_cmpstr (p.base_id, ==, base_id);
  g_assert_cmpint (p.examples, ==, 8);
  ink_assert_ok (ink_model_save (updated, path, &err), &err);
  ink_assert_ok (ink_coreml_export (updated, mlpath, &err), &err);
  loaded = ink_model_load (path, &err);
  compiled = ink_coreml_compile_file (mlpath, &err);
  g_assert_nonnull (loaded);
  g_assert_nonnull (compiled);
  assert_same_provenance (updated, loaded);
  assert_same_provenance (updated, compiled);
  for (guint32 i = 0; i < 20; i++) {
    InkFeatures *in = ink_features_new (), *o1 = NULL, *o2 = NULL, *o3 = NULL;
    ink_test_fill_random (v, 21, 77 + i, 0.0f, 4.0f);
    ink_features_set (in, "input", ink_test_array (1, shape, v));
    ink_assert_ok (ink_model_predict (updated, in, &o1, &err), &err);
    ink_assert_ok (ink_model_predict (loaded, in, &o2, &err), &err);
    ink_assert_ok (ink_model_predict (compiled, in, &o3, &err), &err);
    g_assert_cmpstr (ink_value_get_string (ink_features_get (o1, "output")), ==,
                     ink_value_get_string (ink_features_get (o2, "output")));
    g_assert_cmpstr (ink_value_get_string (ink_features_get (o1, "output")), ==,
                     ink_value_get_string (ink_features_get (o3, "output")));
    ink_features_free (in);
    ink_features_free (o1);
    ink_features_free (o2);
    ink_features_free (o3);
  }
  ink_model_free (compiled);
  ink_model_free (loaded);
  ink_model_free (updated);
  ink_model_free (base);
  ink_batch_free (b);
  ink_test_tmpdir_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/provenance/sha256", test_sha256_vectors);
  g_test_add_func ("/engine/provenance/model-id", test_model_id);
  g_test_add_func ("/engine/provenance/model-id-cache", test_model_id_cache);
  g_test_add_func ("/engine/provenance/record", test_provenance);
  g_test_add_func ("/engine/provenance/save-load", test_save_load);
  g_test_add_func ("/engine/provenance/fixture-round-trip", test_fixture_round_trip);
  return g_test_run ();
}

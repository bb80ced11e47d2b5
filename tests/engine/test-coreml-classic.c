/* test-coreml-classic.c: Core ML tree ensembles, GLMs, k-NN classifiers and
 * feature-engineering models, read and written
 *
 * The references are computed here from the protobuf decoded with the
 * low-level ink_pb_* reader, never through the engine's model code.
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "ink-classic-private.h"
#include "ink-coreml.h"
#include "ink-features-private.h"
#include "ink-protobuf.h"
#include "test-util.h"

/* ---- A small protobuf decoder for the references ---- */

typedef struct {
  const uint8_t *data;
  size_t size;
} Bytes;

/* Calls fn for every field of msg; stops the test on malformed bytes. */
typedef void (*FieldFn) (const InkPbField *f, void *user);

static void
pb_each (Bytes msg, FieldFn fn, void *user)
{
  InkPbReader r;
  InkPbField f;
  InkError err;
  int rc;

  ink_pb_reader_init (&r, msg.data, msg.size);
  while ((rc = ink_pb_next (&r, &f, &err)) > 0)
    fn (&f, user);
  if (rc < 0)
    g_error ("fixture does not decode: %s", err.message);
}

typedef struct {
  uint32_t number;
  GArray *out; /* of Bytes */
} FindAll;

static void
find_all_fn (const InkPbField *f, void *user)
{
  FindAll *fa = user;

  if (f->number == fa->number && f->wire == INK_PB_LEN) {
    Bytes b = {f->data, f->size};
    g_array_append_val (fa->out, b);
  }
}

/* Every length-delimited field number of msg. */
static GArray *
pb_all (Bytes msg, uint32_t number)
{
  FindAll fa = {number, g_array_new (FALSE, FALSE, sizeof (Bytes))};

  pb_each (msg, find_all_fn, &fa);
  return fa.out;
}

/* The first length-delimited field number of msg. */
static gboolean
pb_find (Bytes msg, uint32_t number, Bytes *out)
{
  g_autoptr (GArray) all = pb_all (msg, number);

  if (all->len == 0)
    return FALSE;
  *out = g_array_index (all, Bytes, 0);
  return TRUE;
}

static Bytes
pb_get (Bytes msg, uint32_t number)
{
  Bytes b = {NULL, 0};

  if (!pb_find (msg, number, &b))
    g_error ("field %u missing", number);
  return b;
}

typedef struct {
  uint32_t number;
  uint64_t value;
  gboolean found;
} FindScalar;

static void
find_scalar_fn (const InkPbField *f, void *user)
{
  FindScalar *fs = user;

  if (f->number == fs->number && f->wire != INK_PB_LEN) {
    fs->value = f->value;
    fs->found = TRUE;
  }
}

/* The last varint / fixed value of field number (its raw bits), or 0. */
static uint64_t
pb_scalar (Bytes msg, uint32_t number)
{
  FindScalar fs = {number, 0, FALSE};

  pb_each (msg, find_scalar_fn, &fs);
  return fs.value;
}

static double
pb_double (Bytes msg, uint32_t number)
{
  uint64_t bits = pb_scalar (msg, number);
  double d;

  memcpy (&d, &bits, sizeof d);
  return d;
}

typedef struct {
  uint32_t number;
  GArray *out; /* of double */
} FindDoubles;

static void
find_doubles_fn (const InkPbField *f, void *user)
{
  FindDoubles *fd = user;

  if (f->number != fd->number)
    return;
  if (f->wire == INK_PB_LEN) {
    for (size_t i = 0; i + 8 <= f->size; i += 8) {
      double d;
      memcpy (&d, f->data + i, 8);
      g_array_append_val (fd->out, d);
    }
  } else if (f->wire == INK_PB_I64) {
    double d;
    memcpy (&d, &f->value, 8);
    g_array_append_val (fd->out, d);
  }
}

/* A repeated double field (packed or not). */
static GArray *
pb_doubles (Bytes msg, uint32_t number)
{
  FindDoubles fd = {number, g_array_new (FALSE, FALSE, sizeof (double))};

  pb_each (msg, find_doubles_fn, &fd);
  return fd.out;
}

/* A repeated string field, as a NULL-terminated vector. */
static char **
pb_strings (Bytes msg, uint32_t number)
{
  g_autoptr (GArray) all = pb_all (msg, number);
  char **v = g_new0 (char *, all->len + 1);

  for (guint i = 0; i < all->len; i++) {
    Bytes b = g_array_index (all, Bytes, i);
    v[i] = g_strndup ((const char *) b.data, b.size);
  }
  return v;
}

/* Packed int64s (non-negative in the fixtures: single-byte varints and up). */
static GArray *
pb_packed_int64s (Bytes msg, uint32_t number)
{
  g_autoptr (GArray) all = pb_all (msg, number);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (int64_t));

  for (guint i = 0; i < all->len; i++) {
    Bytes b = g_array_index (all, Bytes, i);
    uint64_t v = 0;
    int shift = 0;

    for (size_t j = 0; j < b.size; j++) {
      v |= (uint64_t) (b.data[j] & 0x7f) << shift;
      shift += 7;
      if (b.data[j] < 0x80) {
        int64_t s = (int64_t) v;
        g_array_append_val (out, s);
        v = 0;
        shift = 0;
      }
    }
  }
  return out;
}

/* The Model's Type field (the first field numbered 200 or more). */
typedef struct {
  uint32_t number;
  Bytes body;
} FindBody;

static void
find_body_fn (const InkPbField *f, void *user)
{
  FindBody *fb = user;

  if (fb->number == 0 && f->number >= 200 && f->number != 1000 && f->wire == INK_PB_LEN) {
    fb->number = f->number;
    fb->body = (Bytes){f->data, f->size};
  }
}

static Bytes
model_body (Bytes model, uint32_t *number)
{
  FindBody fb = {0, {NULL, 0}};

  pb_each (model, find_body_fn, &fb);
  g_assert_cmpuint (fb.number, !=, 0);
  if (number != NULL)
    *number = fb.number;
  return fb.body;
}

/* The models of a pipeline model (200 / 201 / 202). */
static GArray *
pipeline_models (Bytes model)
{
  uint32_t number;
  Bytes body = model_body (model, &number);
  Bytes pipe = number == 202 ? body : pb_get (body, 1);

  return pb_all (pipe, 1);
}

/* ---- Reference tree evaluation ---- */

#define REF_MAX_DIMS 4

typedef struct {
  uint64_t tree, id, feature, true_child, false_child;
  int behavior;
  double value;
  gboolean missing_true;
  double leaf[REF_MAX_DIMS];
} RefNode;

typedef struct {
  GArray *nodes; /* of RefNode */
  size_t dims;
  double base[REF_MAX_DIMS];
  int transform;
} RefTrees;

typedef struct {
  RefNode *node;
} NodeFill;

static void
evaluation_fn (const InkPbField *f, void *user)
{
  RefNode *n = user;

  if (f->number == 20) {
    Bytes ev = {f->data, f->size};
    uint64_t index = pb_scalar (ev, 1);

    g_assert_cmpuint (index, <, REF_MAX_DIMS);
    n->leaf[index] += pb_double (ev, 2);
  }
}

static void
ref_trees_decode (Bytes ensemble_body, RefTrees *rt)
{
  Bytes params = pb_get (ensemble_body, 1);
  g_autoptr (GArray) nodes = pb_all (params, 1);
  g_autoptr (GArray) base = pb_doubles (params, 3);

  rt->nodes = g_array_new (FALSE, TRUE, sizeof (RefNode));
  rt->dims = (size_t) pb_scalar (params, 2);
  rt->transform = (int) pb_scalar (ensemble_body, 2);
  g_assert_cmpuint (rt->dims, >=, 1);
  g_assert_cmpuint (rt->dims, <=, REF_MAX_DIMS);
  memset (rt->base, 0, sizeof rt->base);
  for (guint i = 0; i < base->len && i < REF_MAX_DIMS; i++)
    rt->base[i] = g_array_index (base, double, i);
  for (guint i = 0; i < nodes->len; i++) {
    Bytes nb = g_array_index (nodes, Bytes, i);
    RefNode n = {0};

    n.tree = pb_scalar (nb, 1);
    n.id = pb_scalar (nb, 2);
    n.behavior = (int) pb_scalar (nb, 3);
    n.feature = pb_scalar (nb, 10);
    n.value = pb_double (nb, 11);
    n.true_child = pb_scalar (nb, 12);
    n.false_child = pb_scalar (nb, 13);
    n.missing_true = pb_scalar (nb, 14) != 0;
    pb_each (nb, evaluation_fn, &n);
    g_array_append_val (rt->nodes, n);
  }
}

static const RefNode *
ref_find (const RefTrees *rt, uint64_t tree, uint64_t id)
{
  for (guint i = 0; i < rt->nodes->len; i++) {
    const RefNode *n = &g_array_index (rt->nodes, RefNode, i);
    if (n->tree == tree && n->id == id)
      return n;
  }
  g_error ("tree %" G_GUINT64_FORMAT " has no node %" G_GUINT64_FORMAT, tree, id);
  return NULL;
}

static gboolean
ref_is_child (const RefTrees *rt, uint64_t tree, uint64_t id)
{
  for (guint i = 0; i < rt->nodes->len; i++) {
    const RefNode *n = &g_array_index (rt->nodes, RefNode, i);
    if (n->tree == tree && n->behavior != 6 && (n->true_child == id || n->false_child == id))
      return TRUE;
  }
  return FALSE;
}

static gboolean
ref_branch (const RefNode *n, double x)
{
  if (isnan (x))
    return n->missing_true;
  switch (n->behavior) {
  case 0: return x <= n->value;
  case 1: return x < n->value;
  case 2: return x >= n->value;
  case 3: return x > n->value;
  case 4: return x == n->value;
  case 5: return x != n->value;
  default: g_error ("bad behavior %d", n->behavior);
  }
  return FALSE;
}

/* pred[dims] = base + the leaves reached in every tree, then the transform
 * (NoTransform or Regression_Logistic, the ones the fixtures use). */
static void
ref_trees_eval (const RefTrees *rt, const double *x, double *pred)
{
  for (size_t d = 0; d < rt->dims; d++)
    pred[d] = rt->base[d];
  for (guint i = 0; i < rt->nodes->len; i++) {
    const RefNode *n = &g_array_index (rt->nodes, RefNode, i);
    int steps = 0;

    if (ref_is_child (rt, n->tree, n->id))
      continue; /* not a root */
    while (n->behavior != 6) {
      g_assert_cmpint (++steps, <, 10000);
      n = ref_find (rt, n->tree, ref_branch (n, x[n->feature]) ? n->true_child : n->false_child);
    }
    for (size_t d = 0; d < rt->dims; d++)
      pred[d] += n->leaf[d];
  }
  g_assert_true (rt->transform == 0 || rt->transform == 2);
  if (rt->transform == 2) {
    for (size_t d = 0; d < rt->dims; d++)
      pred[d] = 1.0 / (1.0 + exp (-pred[d]));
  }
}

static void
ref_trees_clear (RefTrees *rt)
{
  g_array_unref (rt->nodes);
}

/* ---- Engine helpers ---- */

/* The fixture's bytes, or NULL when skipped. */
static guint8 *
load_fixture (const char *relative, gsize *size)
{
  g_autofree char *path = ink_test_fixture_path (relative);
  g_autoptr (GError) error = NULL;
  char *data = NULL;

  if (path == NULL)
    return NULL;
  g_file_get_contents (path, &data, size, &error);
  g_assert_no_error (error);
  return (guint8 *) data;
}

static InkModel *
compile (const guint8 *data, gsize size)
{
  InkError err;
  InkModel *m = ink_coreml_compile_memory (data, size, &err);

  if (m == NULL)
    g_error ("compile failed: %s: %s", ink_status_to_string (err.status), err.message);
  return m;
}

/* Export, then compile the export. */
static InkModel *
round_trip (const InkModel *m, int *spec_version)
{
  uint8_t *data = NULL;
  size_t size = 0;
  InkError err;
  InkModel *copy;

  ink_assert_ok (ink_coreml_export_memory (m, &data, &size, &err), &err);
  g_assert_nonnull (data);
  if (spec_version != NULL)
    *spec_version = (int) pb_scalar ((Bytes){data, size}, 1);
  copy = compile (data, size);
  free (data);
  return copy;
}

static InkFeatures *
predict (const InkModel *m, const InkFeatures *in)
{
  InkFeatures *out = NULL;
  InkError err;

  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  return out;
}

static gboolean
same_double (double a, double b)
{
  return memcmp (&a, &b, sizeof a) == 0 || (isnan (a) && isnan (b));
}

static void
assert_same_value (const char *name, const InkValue *a, const InkValue *b)
{
  g_assert_nonnull (b);
  g_assert_cmpint (ink_value_get_type (a), ==, ink_value_get_type (b));
  switch (ink_value_get_type (a)) {
  case INK_VALUE_INT64:
    g_assert_cmpint (ink_value_get_int64 (a), ==, ink_value_get_int64 (b));
    break;
  case INK_VALUE_DOUBLE:
    if (!same_double (ink_value_get_double (a), ink_value_get_double (b)))
      g_error ("%s: %.17g != %.17g", name, ink_value_get_double (a), ink_value_get_double (b));
    break;
  case INK_VALUE_STRING:
    g_assert_cmpstr (ink_value_get_string (a), ==, ink_value_get_string (b));
    break;
  case INK_VALUE_MULTIARRAY:
    g_assert_cmpint (ink_value_array_type (a), ==, ink_value_array_type (b));
    g_assert_cmpuint (ink_value_array_rank (a), ==, ink_value_array_rank (b));
    g_assert_cmpuint (ink_value_array_count (a), ==, ink_value_array_count (b));
    for (size_t i = 0; i < ink_value_array_count (a); i++)
      g_assert_true (same_double (ink_value_array_get (a, i), ink_value_array_get (b, i)));
    break;
  case INK_VALUE_DICTIONARY:
    g_assert_cmpint (ink_value_dictionary_key_type (a), ==, ink_value_dictionary_key_type (b));
    g_assert_cmpuint (ink_value_dictionary_count (a), ==, ink_value_dictionary_count (b));
    for (size_t i = 0; i < ink_value_dictionary_count (a); i++) {
      double v = 0;
      gboolean found =
        ink_value_dictionary_key_type (a) == INK_KEY_STRING
          ? ink_value_dictionary_lookup_string (b, ink_value_dictionary_string_key (a, i), &v)
          : ink_value_dictionary_lookup_int64 (b, ink_value_dictionary_int64_key (a, i), &v);
      g_assert_true (found);
      if (!same_double (ink_value_dictionary_value (a, i), v))
        g_error ("%s[%zu]: %.17g != %.17g", name, i, ink_value_dictionary_value (a, i), v);
    }
    break;
  default: g_error ("%s: unexpected output type", name);
  }
}

/* Every output of a is in b with the identical value. */
static void
assert_same_outputs (const InkFeatures *a, const InkFeatures *b)
{
  g_assert_cmpuint (ink_features_count (a), ==, ink_features_count (b));
  for (size_t i = 0; i < ink_features_count (a); i++) {
    const char *name = ink_features_name_at (a, i);

    assert_same_value (name, ink_features_value_at (a, i), ink_features_get (b, name));
  }
}

/* Predicts with a model and its round trip, checks they agree, returns the
 * original's outputs. */
static InkFeatures *
predict_both (const InkModel *m, const InkModel *copy, const InkFeatures *in)
{
  InkFeatures *out = predict (m, in);
  InkFeatures *out2 = predict (copy, in);

  assert_same_outputs (out, out2);
  ink_features_free (out2);
  return out;
}

static double
dict_string (const InkFeatures *out, const char *name, const char *key)
{
  const InkValue *d = ink_features_get (out, name);
  double v = NAN;

  g_assert_nonnull (d);
  g_assert_true (ink_value_dictionary_lookup_string (d, key, &v));
  return v;
}

static double
dict_int64 (const InkFeatures *out, const char *name, int64_t key)
{
  const InkValue *d = ink_features_get (out, name);
  double v = NAN;

  g_assert_nonnull (d);
  g_assert_true (ink_value_dictionary_lookup_int64 (d, key, &v));
  return v;
}

#define TOL 1e-12

/* ---- The seed site's random forests ---- */

static void
check_forest (const char *relative)
{
  gsize size = 0;
  g_autofree guint8 *data = load_fixture (relative, &size);
  Bytes model_bytes = {data, size};
  g_auto (GStrv) labels = NULL;
  InkModel *m, *copy;
  RefTrees rt;
  uint32_t number;
  Bytes body;
  int spec = 0;

  if (data == NULL)
    return;
  body = model_body (model_bytes, &number);
  g_assert_cmpuint (number, ==, 402);
  ref_trees_decode (body, &rt);
  labels = pb_strings (pb_get (body, 100), 1);
  g_assert_cmpuint (g_strv_length (labels), ==, 2);
  g_assert_cmpuint (rt.dims, ==, 1);

  m = compile (data, size);
  g_assert_cmpint (ink_model_get_kind (m), ==, INK_MODEL_TREE_ENSEMBLE_CLASSIFIER);
  copy = round_trip (m, &spec);
  g_assert_cmpint (spec, ==, 1);
  for (int charging = 0; charging <= 1; charging++) {
    for (int step = 0; step <= 20; step++) {
      double x[2] = {step * 0.05, charging}, pred[1];
      int64_t shape = 2;
      InkFeatures *in = ink_features_new ();
      InkFeatures *out;
      double p0, p1;

      ink_features_set (in, "input", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &shape, x));
      out = predict_both (m, copy, in);
      ref_trees_eval (&rt, x, pred);
      p1 = pred[0];
      p0 = 1.0 - p1;
      g_assert_cmpfloat_with_epsilon (dict_string (out, "classProbability", labels[0]), p0, TOL);
      g_assert_cmpfloat_with_epsilon (dict_string (out, "classProbability", labels[1]), p1, TOL);
      if (fabs (p1 - p0) > 1e-9)
        g_assert_cmpstr (ink_value_get_string (ink_features_get (out, "classLabel")), ==,
                         p1 > p0 ? labels[1] : labels[0]);
      ink_features_free (out);
      ink_features_free (in);
    }
  }
  ref_trees_clear (&rt);
  ink_model_free (copy);
  ink_model_free (m);
}

static void
test_forest_v1 (void)
{
  check_forest ("coreml/tree_ensemble_rf_krause_v1.mlmodel");
}

static void
test_forest_v2 (void)
{
  check_forest ("coreml/tree_ensemble_rf_krause_v2.mlmodel");
}

static void
test_forest_bundled (void)
{
  check_forest ("seed-site/MyFirstCustomModel.bundled.mlmodel");
}

static void
test_forest_served (void)
{
  check_forest ("seed-site/models/80a2-82d1-bcf8-4ab5-9d35-d7f257c4c31e.mlmodel");
}

/* compile_file gives the same model as compile_memory. */
static void
test_forest_file (void)
{
  g_autofree char *path = ink_test_fixture_path ("coreml/tree_ensemble_rf_krause_v2.mlmodel");
  gsize size = 0;
  g_autofree guint8 *data = NULL;
  InkModel *a, *b;
  InkError err;
  double x[2] = {0.3, 1};
  int64_t shape = 2;
  InkFeatures *in, *out;

  if (path == NULL)
    return;
  data = load_fixture ("coreml/tree_ensemble_rf_krause_v2.mlmodel", &size);
  a = ink_coreml_compile_file (path, &err);
  if (a == NULL)
    g_error ("%s", err.message);
  b = compile (data, size);
  in = ink_features_new ();
  ink_features_set (in, "input", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &shape, x));
  out = predict_both (a, b, in);
  ink_features_free (out);
  ink_features_free (in);
  ink_model_free (a);
  ink_model_free (b);
}

/* ---- The pipelines ---- */

/* The names of a FeatureVectorizer's columns and their sizes. */
static void
vectorizer_columns (Bytes model, char ***names, GArray **dims)
{
  Bytes body = model_body (model, NULL);
  g_autoptr (GArray) cols = pb_all (body, 1);

  *names = g_new0 (char *, cols->len + 1);
  *dims = g_array_new (FALSE, FALSE, sizeof (size_t));
  for (guint i = 0; i < cols->len; i++) {
    Bytes c = g_array_index (cols, Bytes, i);
    Bytes name = pb_get (c, 1);
    size_t d = (size_t) pb_scalar (c, 2);

    (*names)[i] = g_strndup ((const char *) name.data, name.size);
    g_array_append_val (*dims, d);
  }
}

typedef struct {
  size_t rows, cols;
  double w[8][8];
  double offset[8];
  int transform, encoding;
} RefGlm;

static void
ref_glm_decode (Bytes body, RefGlm *g)
{
  g_autoptr (GArray) rows = pb_all (body, 1);
  g_autoptr (GArray) offsets = pb_doubles (body, 2);

  memset (g, 0, sizeof *g);
  g->rows = rows->len;
  g_assert_cmpuint (g->rows, <=, 8);
  g_assert_cmpuint (offsets->len, ==, g->rows);
  for (guint r = 0; r < rows->len; r++) {
    g_autoptr (GArray) v = pb_doubles (g_array_index (rows, Bytes, r), 1);

    g_assert_cmpuint (v->len, <=, 8);
    g->cols = v->len;
    for (guint c = 0; c < v->len; c++)
      g->w[r][c] = g_array_index (v, double, c);
    g->offset[r] = g_array_index (offsets, double, r);
  }
  g->transform = (int) pb_scalar (body, 3);
  g->encoding = (int) pb_scalar (body, 4);
}

static double
ref_glm_row (const RefGlm *g, size_t r, const double *x)
{
  double z = g->offset[r];

  for (size_t c = 0; c < g->cols; c++)
    z += g->w[r][c] * x[c];
  return z;
}

static void
test_iris (void)
{
  static const double inputs[][4] = {
    {5.1, 3.5, 1.4, 0.2}, {6.2, 2.9, 4.3, 1.3}, {7.7, 3.0, 6.1, 2.3},
    {5.9, 3.0, 5.1, 1.8}, {4.4, 2.9, 1.4, 0.2}, {0.0, 0.0, 0.0, 0.0},
  };
  gsize size = 0;
  g_autofree guint8 *data = load_fixture ("coreml/pipeline_iris_glm_classifier.mlmodel", &size);
  g_autoptr (GArray) models = NULL;
  g_auto (GStrv) columns = NULL;
  g_autoptr (GArray) dims = NULL;
  g_autoptr (GArray) labels = NULL;
  Bytes glm_body;
  uint32_t number;
  RefGlm g;
  InkModel *m, *copy;

  if (data == NULL)
    return;
  models = pipeline_models ((Bytes){data, size});
  g_assert_cmpuint (models->len, ==, 2);
  vectorizer_columns (g_array_index (models, Bytes, 0), &columns, &dims);
  g_assert_cmpuint (g_strv_length (columns), ==, 4);
  glm_body = model_body (g_array_index (models, Bytes, 1), &number);
  g_assert_cmpuint (number, ==, 400);
  ref_glm_decode (glm_body, &g);
  labels = pb_packed_int64s (pb_get (glm_body, 101), 1);
  g_assert_cmpuint (g.rows, ==, 3);
  g_assert_cmpuint (labels->len, ==, 3);
  g_assert_cmpint (g.transform, ==, 0); /* Logit */
  g_assert_cmpint (g.encoding, ==, 1);  /* OneVsRest */

  m = compile (data, size);
  g_assert_cmpint (ink_model_get_kind (m), ==, INK_MODEL_PIPELINE_CLASSIFIER);
  copy = round_trip (m, NULL);
  for (size_t k = 0; k < G_N_ELEMENTS (inputs); k++) {
    InkFeatures *in = ink_features_new ();
    InkFeatures *out;
    double p[3], sum = 0;
    size_t best = 0;

    for (size_t c = 0; c < 4; c++)
      ink_features_set_double (in, columns[c], inputs[k][c]);
    out = predict_both (m, copy, in);
    /* One vs rest with the logistic link: each row scores its class, the
     * probabilities are the scores normalised to sum to 1. */
    for (size_t r = 0; r < 3; r++) {
      p[r] = 1.0 / (1.0 + exp (-ref_glm_row (&g, r, inputs[k])));
      sum += p[r];
    }
    for (size_t r = 0; r < 3; r++) {
      p[r] /= sum;
      if (p[r] > p[best])
        best = r;
      g_assert_cmpfloat_with_epsilon (
        dict_int64 (out, "classProbability", g_array_index (labels, int64_t, r)), p[r], TOL);
    }
    g_assert_cmpint (ink_value_get_int64 (ink_features_get (out, "iris")), ==,
                     g_array_index (labels, int64_t, best));
    ink_features_free (out);
    ink_features_free (in);
  }
  ink_model_free (copy);
  ink_model_free (m);
}

static void
test_mars (void)
{
  static const double inputs[][3] = {
    {1, 1, 750}, {2, 3, 1500}, {5, 5, 10000}, {0, 0, 0}, {1.5, 2, 3000},
  };
  gsize size = 0;
  g_autofree guint8 *data = load_fixture ("coreml/pipeline_regressor_mars_glm.mlmodel", &size);
  g_autoptr (GArray) models = NULL;
  g_auto (GStrv) columns = NULL;
  g_autoptr (GArray) dims = NULL;
  uint32_t number;
  RefGlm g;
  InkModel *m, *copy;

  if (data == NULL)
    return;
  models = pipeline_models ((Bytes){data, size});
  g_assert_cmpuint (models->len, ==, 2);
  vectorizer_columns (g_array_index (models, Bytes, 0), &columns, &dims);
  g_assert_cmpuint (g_strv_length (columns), ==, 3);
  ref_glm_decode (model_body (g_array_index (models, Bytes, 1), &number), &g);
  g_assert_cmpuint (number, ==, 300);
  g_assert_cmpuint (g.rows, ==, 1);
  g_assert_cmpuint (g.cols, ==, 3);
  g_assert_cmpint (g.transform, ==, 0); /* NoTransform */

  m = compile (data, size);
  g_assert_cmpint (ink_model_get_kind (m), ==, INK_MODEL_PIPELINE_REGRESSOR);
  copy = round_trip (m, NULL);
  for (size_t k = 0; k < G_N_ELEMENTS (inputs); k++) {
    InkFeatures *in = ink_features_new ();
    InkFeatures *out;
    double x[3];
    const char *const names[3] = {"solarPanels", "greenhouses", "size"};

    /* The vectorizer's column order decides the weight each input meets. */
    for (size_t c = 0; c < 3; c++) {
      ink_features_set_double (in, names[c], inputs[k][c]);
      for (size_t j = 0; j < 3; j++) {
        if (strcmp (columns[j], names[c]) == 0)
          x[j] = inputs[k][c];
      }
    }
    out = predict_both (m, copy, in);
    g_assert_cmpfloat_with_epsilon (ink_value_get_double (ink_features_get (out, "price")),
                                    ref_glm_row (&g, 0, x), 1e-9);
    ink_features_free (out);
    ink_features_free (in);
  }
  ink_model_free (copy);
  ink_model_free (m);
}

/* A one-hot encoder stage: its input name and categories. */
typedef struct {
  char *input, *output;
  char **categories;
} RefOneHot;

static void
ref_one_hot_decode (Bytes model, RefOneHot *oh)
{
  uint32_t number;
  Bytes body = model_body (model, &number);
  Bytes desc = pb_get (model, 2);
  Bytes in = pb_get (desc, 1), out = pb_get (desc, 10);
  Bytes name;

  g_assert_cmpuint (number, ==, 600);
  name = pb_get (in, 1);
  oh->input = g_strndup ((const char *) name.data, name.size);
  name = pb_get (out, 1);
  oh->output = g_strndup ((const char *) name.data, name.size);
  oh->categories = pb_strings (pb_get (body, 1), 1);
  g_assert_cmpuint (pb_scalar (body, 10), ==, 1); /* outputSparse */
  g_assert_cmpuint (pb_scalar (body, 11), ==, 1); /* IgnoreUnknown */
}

static void
ref_one_hot_clear (RefOneHot *oh)
{
  g_free (oh->input);
  g_free (oh->output);
  g_strfreev (oh->categories);
}

static void
test_lunch (void)
{
  static const struct {
    const char *company, *name;
    double price;
  } inputs[] = {
    {"McDonalds", "Burger", 3.0},    {"Fresh", "Salad", 7.5},  {"KFC", "Fried chicken bucket", 4.5},
    {"Natural", "Fruit salad", 4.6}, {"Nowhere", "Soup", 5.0}, {"Mars", "Snickers", 1.0},
  };
  gsize size = 0;
  g_autofree guint8 *data = load_fixture ("coreml/pipeline_lunch_onehot_tree.mlmodel", &size);
  g_autoptr (GArray) models = NULL;
  g_auto (GStrv) columns = NULL;
  g_autoptr (GArray) dims = NULL;
  g_auto (GStrv) labels = NULL;
  RefOneHot oh[2];
  RefTrees rt;
  uint32_t number;
  Bytes tree_body;
  InkModel *m, *copy;

  if (data == NULL)
    return;
  models = pipeline_models ((Bytes){data, size});
  g_assert_cmpuint (models->len, ==, 4);
  ref_one_hot_decode (g_array_index (models, Bytes, 0), &oh[0]);
  ref_one_hot_decode (g_array_index (models, Bytes, 1), &oh[1]);
  vectorizer_columns (g_array_index (models, Bytes, 2), &columns, &dims);
  tree_body = model_body (g_array_index (models, Bytes, 3), &number);
  g_assert_cmpuint (number, ==, 402);
  ref_trees_decode (tree_body, &rt);
  g_assert_cmpint (rt.transform, ==, 2); /* Regression_Logistic */
  labels = pb_strings (pb_get (tree_body, 100), 1);
  g_assert_cmpuint (g_strv_length (labels), ==, 2);

  m = compile (data, size);
  copy = round_trip (m, NULL);
  for (size_t k = 0; k < G_N_ELEMENTS (inputs); k++) {
    const char *values[2] = {inputs[k].company, inputs[k].name};
    InkFeatures *in = ink_features_new ();
    InkFeatures *out;
    double x[64] = {0}, pred[1], p0, p1;
    size_t pos = 0;

    ink_features_set_string (in, "company", inputs[k].company);
    ink_features_set_string (in, "name", inputs[k].name);
    ink_features_set_double (in, "price", inputs[k].price);
    /* The vectorizer's columns: each encoder's output becomes its
     * one-hot block, the price one value. */
    for (guint c = 0; columns[c] != NULL; c++) {
      size_t d = g_array_index (dims, size_t, c);
      gboolean encoded = FALSE;

      g_assert_cmpuint (pos + d, <=, G_N_ELEMENTS (x));
      for (int e = 0; e < 2; e++) {
        if (strcmp (columns[c], oh[e].output) != 0)
          continue;
        encoded = TRUE;
        g_assert_cmpstr (oh[e].input, ==, e == 0 ? "company" : "name");
        for (size_t i = 0; oh[e].categories[i] != NULL; i++) {
          if (strcmp (oh[e].categories[i], values[e]) == 0)
            x[pos + i] = 1.0;
        }
      }
      if (!encoded) {
        g_assert_cmpstr (columns[c], ==, "price");
        x[pos] = inputs[k].price;
      }
      pos += d;
    }
    g_assert_cmpuint (pos, ==, 19);
    out = predict_both (m, copy, in);
    ref_trees_eval (&rt, x, pred);
    p1 = pred[0];
    p0 = 1.0 - p1;
    g_assert_cmpfloat_with_epsilon (dict_string (out, "typeProbability", labels[0]), p0, TOL);
    g_assert_cmpfloat_with_epsilon (dict_string (out, "typeProbability", labels[1]), p1, TOL);
    g_assert_cmpstr (ink_value_get_string (ink_features_get (out, "type")), ==,
                     p1 > p0 ? labels[1] : labels[0]);
    ink_features_free (out);
    ink_features_free (in);
  }
  ref_one_hot_clear (&oh[0]);
  ref_one_hot_clear (&oh[1]);
  ref_trees_clear (&rt);
  ink_model_free (copy);
  ink_model_free (m);
}

/* ---- The empty updatable k-NN classifiers ---- */

static void
check_empty_knn (const char *relative, size_t dims, int64_t k, double lo, double hi,
                 const char *label_output, const char *probs_output, const char *default_label)
{
  gsize size = 0;
  g_autofree guint8 *data = load_fixture (relative, &size);
  InkModel *m, *copy;
  int spec = 0;

  if (data == NULL)
    return;
  m = compile (data, size);
  copy = round_trip (m, &spec);
  g_assert_cmpint (spec, ==, 4);
  for (int which = 0; which < 2; which++) {
    const InkModel *model = which == 0 ? m : copy;
    const InkModelDescription *d = ink_model_get_description (model);
    const InkUpdateParameter *p =
      ink_description_find_update_parameter (d, INK_PARAM_NUMBER_OF_NEIGHBORS);
    InkFeatures *in = ink_features_new (), *out;
    float *zeros = g_new0 (float, dims);
    int64_t shape = (int64_t) dims;

    g_assert_cmpint (ink_model_get_kind (model), ==, INK_MODEL_KNN_CLASSIFIER);
    g_assert_cmpint (ink_model_get_specification_version (model), ==, 4);
    g_assert_true (ink_description_is_updatable (d));
    g_assert_cmpuint (ink_knn_n_examples (model), ==, 0);
    g_assert_nonnull (p);
    g_assert_cmpint (p->type, ==, INK_PARAM_INT64);
    g_assert_cmpfloat (p->default_value, ==, (double) k);
    g_assert_true (p->has_range);
    g_assert_cmpfloat (p->min, ==, lo);
    g_assert_cmpfloat (p->max, ==, hi);
    ink_features_set (in, "input", ink_value_new_multiarray (INK_ARRAY_FLOAT32, 1, &shape, zeros));
    out = predict (model, in);
    g_assert_cmpstr (ink_value_get_string (ink_features_get (out, label_output)), ==,
                     default_label);
    g_assert_cmpfloat (dict_string (out, probs_output, default_label), ==, 1.0);
    ink_features_free (out);
    ink_features_free (in);
    g_free (zeros);
  }
  ink_model_free (copy);
  ink_model_free (m);
}

static void
test_knn_kdtree (void)
{
  check_empty_knn ("coreml/knn_updatable_empty_kdtree.mlmodel", 21, 3, 1, 10, "output",
                   "outputProbs", "defaultLabel");
}

static void
test_knn_linear (void)
{
  check_empty_knn ("coreml/knn_updatable_empty_linear.mlmodel", 3, 5, 1, 1000, "output",
                   "stationProbability", "???");
}

/* ---- Models built in code: export, compile, compare ---- */

/* Input "x" (MultiArray Double [n]). */
static void
add_vector_input (InkModel *m, int64_t n)
{
  InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &n);
  InkError err;

  ink_assert_ok (ink_model_add_input (m, "x", &t, "", &err), &err);
}

/* Outputs "label" and "probs" of a classifier. */
static void
add_classifier_outputs (InkModel *m, gboolean int64_labels)
{
  InkFeatureType l = int64_labels ? ink_feature_type_int64 () : ink_feature_type_string ();
  InkFeatureType d = ink_feature_type_dictionary (int64_labels ? INK_KEY_INT64 : INK_KEY_STRING);
  InkError err;

  ink_assert_ok (ink_model_add_output (m, "label", &l, "", &err), &err);
  ink_assert_ok (ink_model_add_output (m, "probs", &d, "", &err), &err);
  ink_assert_ok (ink_model_set_predicted_feature_name (m, "label"), &err);
  ink_assert_ok (ink_model_set_predicted_probabilities_name (m, "probs"), &err);
}

/* Output "y": a Double for one value, else a multi-array. */
static void
add_regressor_output (InkModel *m, int64_t n)
{
  InkFeatureType t =
    n == 1 ? ink_feature_type_double () : ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &n);
  InkError err;

  ink_assert_ok (ink_model_add_output (m, "y", &t, "", &err), &err);
}

static void
finish (InkModel *m)
{
  InkError err;

  ink_assert_ok (ink_model_finish (m, &err), &err);
}

/* Compares predictions of m and copy on n_points pseudo-random inputs of
 * n_inputs values in [lo, hi), every fifth value NaN when with_nan. */
static void
compare_on_random_inputs (const InkModel *m, const InkModel *copy, size_t n_inputs, float lo,
                          float hi, gboolean with_nan, guint32 seed)
{
  const size_t n_points = 50;
  float *v = g_new (float, n_points *n_inputs);

  ink_test_fill_random (v, n_points * n_inputs, seed, lo, hi);
  for (size_t i = 0; i < n_points; i++) {
    double *x = g_new (double, n_inputs);
    int64_t shape = (int64_t) n_inputs;
    InkFeatures *in = ink_features_new (), *out;

    for (size_t j = 0; j < n_inputs; j++)
      x[j] = with_nan && (i * n_inputs + j) % 5 == 3 ? NAN : v[i * n_inputs + j];
    ink_features_set (in, "x", ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &shape, x));
    out = predict_both (m, copy, in);
    ink_features_free (out);
    ink_features_free (in);
    g_free (x);
  }
  g_free (v);
}

static void
assert_same_trees (const InkModel *a, const InkModel *b)
{
  InkTreeEnsembleView va, vb;

  g_assert_true (ink_tree_ensemble_view (a, &va));
  g_assert_true (ink_tree_ensemble_view (b, &vb));
  g_assert_cmpuint (va.n_dimensions, ==, vb.n_dimensions);
  g_assert_cmpint (va.transform, ==, vb.transform);
  g_assert_cmpuint (va.n_base, ==, vb.n_base);
  if (va.n_base > 0)
    g_assert_cmpmem (va.base, va.n_base * sizeof (double), vb.base, vb.n_base * sizeof (double));
  g_assert_cmpuint (va.n_nodes, ==, vb.n_nodes);
  for (size_t i = 0; i < va.n_nodes; i++) {
    InkTreeNode x = ink_tree_ensemble_node (a, i), y = ink_tree_ensemble_node (b, i);

    g_assert_cmpuint (x.tree_id, ==, y.tree_id);
    g_assert_cmpuint (x.node_id, ==, y.node_id);
    g_assert_cmpint (x.behavior, ==, y.behavior);
    g_assert_cmpuint (x.feature_index, ==, y.feature_index);
    g_assert_true (same_double (x.feature_value, y.feature_value));
    g_assert_cmpuint (x.true_child, ==, y.true_child);
    g_assert_cmpuint (x.false_child, ==, y.false_child);
    g_assert_cmpint (x.missing_goes_true, ==, y.missing_goes_true);
    g_assert_cmpuint (x.n_evaluations, ==, y.n_evaluations);
    if (x.n_evaluations > 0)
      g_assert_cmpmem (x.evaluations, x.n_evaluations * sizeof *x.evaluations, y.evaluations,
                       y.n_evaluations * sizeof *y.evaluations);
  }
}

static void
add_tree_node (InkModel *m, uint64_t tree, uint64_t id, InkTreeNodeBehavior b, uint64_t feature,
               double value, uint64_t t, uint64_t f, gboolean missing_true)
{
  InkTreeNode n = {tree, id, b, feature, value, t, f, missing_true, 0, NULL};
  InkError err;

  ink_assert_ok (ink_tree_ensemble_add_node (m, &n, &err), &err);
}

static void
add_tree_leaf (InkModel *m, uint64_t tree, uint64_t id, const InkTreeEvaluation *e, size_t n)
{
  InkTreeNode node = {tree, id, INK_TREE_LEAF, 0, 0.0, 0, 0, false, n, e};
  InkError err;

  ink_assert_ok (ink_tree_ensemble_add_node (m, &node, &err), &err);
}

/* Two trees over 3 inputs using every branch mode, huge ids, negative
 * and signed-zero thresholds, missing values and sparse leaves. */
static void
add_two_trees (InkModel *m, size_t dims)
{
  const uint64_t big = (uint64_t) 1 << 40;
  InkTreeEvaluation e0[] = {{0, 0.75}}, e1[] = {{dims - 1, -1.5}, {0, 0.125}};
  InkTreeEvaluation e2[] = {{0, -0.0}}, e3[] = {{dims - 1, 2.0}}, e4[] = {{0, 1e-300}};
  InkTreeEvaluation e5[] = {{0, -3.25}, {dims - 1, 0.5}};

  /* Tree 0: root LE, then LT / GE. */
  add_tree_node (m, 0, 0, INK_TREE_BRANCH_LE, 0, -0.0, 1, 2, TRUE);
  add_tree_node (m, 0, 1, INK_TREE_BRANCH_LT, 1, 0.25, 3, 4, FALSE);
  add_tree_node (m, 0, 2, INK_TREE_BRANCH_GE, 2, -0.5, 5, 6, TRUE);
  add_tree_leaf (m, 0, 3, e0, 1);
  add_tree_leaf (m, 0, 4, e1, 2);
  add_tree_leaf (m, 0, 5, e2, 1);
  add_tree_leaf (m, 0, 6, e3, 1);
  /* Tree 2^40, nodes listed out of order: GT, EQ, NE. */
  add_tree_leaf (m, big, big + 7, e4, 1);
  add_tree_node (m, big, big + 1, INK_TREE_BRANCH_EQ, 1, 0.5, big + 7, big + 8, FALSE);
  add_tree_node (m, big, 5, INK_TREE_BRANCH_GT, 2, 0.125, big + 1, big + 2, TRUE);
  add_tree_node (m, big, big + 2, INK_TREE_BRANCH_NE, 0, 0.0, big + 8 + 1, big + 9 + 1, FALSE);
  add_tree_leaf (m, big, big + 8, e5, 2);
  add_tree_leaf (m, big, big + 9, e1, 2);
  add_tree_leaf (m, big, big + 10, e3, 1);
}

static void
test_built_tree_regressor (void)
{
  const double base[] = {0.5, -0.25};
  InkModel *m = ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_REGRESSOR, 2, INK_TREE_LOGISTIC);
  InkModel *copy;
  int spec = 0;

  g_assert_nonnull (m);
  add_vector_input (m, 3);
  add_regressor_output (m, 2);
  g_assert_cmpint (ink_tree_ensemble_set_base_prediction (m, base, 2), ==, INK_OK);
  add_two_trees (m, 2);
  finish (m);
  copy = round_trip (m, &spec);
  g_assert_cmpint (spec, ==, 1);
  g_assert_cmpint (ink_model_get_kind (copy), ==, INK_MODEL_TREE_ENSEMBLE_REGRESSOR);
  assert_same_trees (m, copy);
  compare_on_random_inputs (m, copy, 3, -1, 1, TRUE, 11);
  ink_model_free (copy);
  ink_model_free (m);
}

static void
test_built_tree_classifier (void)
{
  const int64_t labels[] = {7, -3, 1000000000000};
  InkModel *m = ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_CLASSIFIER, 2,
                                       INK_TREE_SOFTMAX_ZERO_CLASS_REFERENCE);
  InkModel *copy;

  g_assert_nonnull (m);
  add_vector_input (m, 3);
  add_classifier_outputs (m, TRUE);
  g_assert_cmpint (ink_model_set_class_labels_int64 (m, labels, 3), ==, INK_OK);
  add_two_trees (m, 2);
  finish (m);
  copy = round_trip (m, NULL);
  assert_same_trees (m, copy);
  compare_on_random_inputs (m, copy, 3, -1, 1, TRUE, 12);
  ink_model_free (copy);
  ink_model_free (m);

  /* Softmax without a reference class, string labels, no base. */
  m = ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_CLASSIFIER, 3, INK_TREE_SOFTMAX);
  {
    const char *const names[] = {"cat", "dog", ""};

    add_vector_input (m, 3);
    add_classifier_outputs (m, FALSE);
    g_assert_cmpint (ink_model_set_class_labels_string (m, names, 3), ==, INK_OK);
  }
  add_two_trees (m, 3);
  finish (m);
  copy = round_trip (m, NULL);
  assert_same_trees (m, copy);
  compare_on_random_inputs (m, copy, 3, -1, 1, FALSE, 13);
  ink_model_free (copy);
  ink_model_free (m);
}

static void
assert_same_glm (const InkModel *a, const InkModel *b)
{
  InkGlmView va, vb;

  g_assert_true (ink_glm_view (a, &va));
  g_assert_true (ink_glm_view (b, &vb));
  g_assert_cmpuint (va.n_rows, ==, vb.n_rows);
  g_assert_cmpuint (va.n_columns, ==, vb.n_columns);
  g_assert_cmpint (va.transform, ==, vb.transform);
  g_assert_cmpmem (va.weights, va.n_rows * va.n_columns * sizeof (double), vb.weights,
                   vb.n_rows * vb.n_columns * sizeof (double));
  g_assert_cmpmem (va.offsets, va.n_rows * sizeof (double), vb.offsets,
                   vb.n_rows * sizeof (double));
  if (ink_model_get_kind (a) == INK_MODEL_GLM_CLASSIFIER)
    g_assert_cmpint (va.encoding, ==, vb.encoding);
}

static void
check_glm_round_trip (InkModel *m, size_t n_inputs, guint32 seed)
{
  InkModel *copy;
  int spec = 0;

  finish (m);
  copy = round_trip (m, &spec);
  g_assert_cmpint (spec, ==, 1);
  g_assert_cmpint (ink_model_get_kind (copy), ==, ink_model_get_kind (m));
  assert_same_glm (m, copy);
  compare_on_random_inputs (m, copy, n_inputs, -3, 3, FALSE, seed);
  ink_model_free (copy);
  ink_model_free (m);
}

static void
test_built_glm (void)
{
  const double w[] = {0.5, -1.25, 0.0, 3.0, -0.0, 1e-9, 2.5, -2.5, 0.125};
  const double b[] = {0.0, -0.75, 1.5};
  const char *const two[] = {"no", "yes"};
  const int64_t three[] = {10, 20, 30};
  InkModel *m;

  for (int tr = 0; tr <= 2; tr++) {
    m = ink_glm_regressor_new (w, 2, 3, b, (InkGlmTransform) tr);
    add_vector_input (m, 3);
    add_regressor_output (m, 2);
    check_glm_round_trip (m, 3, 20 + (guint32) tr);
  }
  m = ink_glm_regressor_new (w, 1, 3, b + 1, INK_GLM_NO_TRANSFORM);
  add_vector_input (m, 3);
  add_regressor_output (m, 1);
  check_glm_round_trip (m, 3, 23);
  for (int tr = 0; tr <= 1; tr++) {
    for (int enc = 0; enc <= 1; enc++) {
      m = ink_glm_classifier_new (w, 1, 3, b, (InkGlmTransform) tr, (InkGlmEncoding) enc);
      add_vector_input (m, 3);
      add_classifier_outputs (m, FALSE);
      g_assert_cmpint (ink_model_set_class_labels_string (m, two, 2), ==, INK_OK);
      check_glm_round_trip (m, 3, 30 + (guint32) (tr * 2 + enc));
    }
  }
  m = ink_glm_classifier_new (w, 3, 3, b, INK_GLM_LOGIT, INK_GLM_ONE_VS_REST);
  add_vector_input (m, 3);
  add_classifier_outputs (m, TRUE);
  g_assert_cmpint (ink_model_set_class_labels_int64 (m, three, 3), ==, INK_OK);
  check_glm_round_trip (m, 3, 40);
  m = ink_glm_classifier_new (w, 2, 3, b, INK_GLM_LOGIT, INK_GLM_REFERENCE_CLASS);
  add_vector_input (m, 3);
  add_classifier_outputs (m, TRUE);
  g_assert_cmpint (ink_model_set_class_labels_int64 (m, three, 3), ==, INK_OK);
  check_glm_round_trip (m, 3, 41);
}

static void
assert_same_knn (const InkModel *a, const InkModel *b)
{
  InkKnnView va, vb;
  const InkUpdateParameter *pa, *pb;

  g_assert_true (ink_knn_view (a, &va));
  g_assert_true (ink_knn_view (b, &vb));
  g_assert_cmpuint (va.dimensions, ==, vb.dimensions);
  g_assert_cmpint (va.weighting, ==, vb.weighting);
  g_assert_cmpint (va.k, ==, vb.k);
  g_assert_cmpint (va.labels_int64, ==, vb.labels_int64);
  g_assert_cmpuint (va.n_examples, ==, vb.n_examples);
  if (va.n_examples > 0)
    g_assert_cmpmem (va.samples, va.n_examples * va.dimensions * sizeof (float), vb.samples,
                     vb.n_examples * vb.dimensions * sizeof (float));
  g_assert_cmpuint (va.labels->n, ==, vb.labels->n);
  for (size_t i = 0; i < va.labels->n; i++) {
    if (va.labels_int64)
      g_assert_cmpint (va.labels->ints[i], ==, vb.labels->ints[i]);
    else
      g_assert_cmpstr (va.labels->strings[i], ==, vb.labels->strings[i]);
  }
  g_assert_cmpint (va.default_label != NULL, ==, vb.default_label != NULL);
  pa = ink_description_find_update_parameter (ink_model_get_description (a),
                                              INK_PARAM_NUMBER_OF_NEIGHBORS);
  pb = ink_description_find_update_parameter (ink_model_get_description (b),
                                              INK_PARAM_NUMBER_OF_NEIGHBORS);
  g_assert_nonnull (pa);
  g_assert_nonnull (pb);
  g_assert_cmpfloat (pa->default_value, ==, pb->default_value);
  g_assert_cmpint (pa->has_range, ==, pb->has_range);
  g_assert_cmpfloat (pa->min, ==, pb->min);
  g_assert_cmpfloat (pa->max, ==, pb->max);
  g_assert_cmpuint (pa->n_set, ==, pb->n_set);
}

static void
test_built_knn (void)
{
  const int64_t set[] = {1, 3, 5};
  InkUpdateParameter k = {INK_PARAM_NUMBER_OF_NEIGHBORS, INK_PARAM_INT64, 3, false, 0, 0, 3, set};
  float v[60];
  InkModel *m, *copy;
  InkError err;
  int spec = 0;

  ink_test_fill_random (v, G_N_ELEMENTS (v), 7, -2, 2);
  for (int int64_labels = 0; int64_labels <= 1; int64_labels++) {
    m = ink_knn_new (3, int64_labels ? INK_KNN_UNIFORM : INK_KNN_INVERSE_DISTANCE, 3, int64_labels);
    add_vector_input (m, 3);
    add_classifier_outputs (m, int64_labels);
    for (size_t i = 0; i < 20; i++) {
      char label[16];

      g_snprintf (label, sizeof label, "class %zu", i % 4);
      if (int64_labels)
        ink_assert_ok (ink_knn_add_example_int64 (m, v + 3 * i, (int64_t) (i % 4) - 2, &err), &err);
      else
        ink_assert_ok (ink_knn_add_example_string (m, v + 3 * i, label, &err), &err);
    }
    if (int64_labels) {
      g_assert_cmpint (ink_knn_set_default_label_int64 (m, -9), ==, INK_OK);
      ink_assert_ok (ink_model_set_update_parameter (m, &k, &err), &err);
    }
    finish (m);
    copy = round_trip (m, &spec);
    g_assert_cmpint (spec, ==, 4);
    assert_same_knn (m, copy);
    compare_on_random_inputs (m, copy, 3, -2, 2, FALSE, 50 + (guint32) int64_labels);
    ink_model_free (copy);
    ink_model_free (m);
  }
}

/* ---- Malformed and invalid bodies ---- */

/* The export of base with its Type field replaced by body (as field number). */
static guint8 *
graft (const InkModel *base, uint32_t number, const InkPbWriter *body, size_t *size)
{
  uint8_t *data = NULL;
  size_t n = 0;
  InkPbReader r;
  InkPbField f;
  InkPbWriter w;
  InkError err;
  guint8 *out;

  ink_assert_ok (ink_coreml_export_memory (base, &data, &n, &err), &err);
  ink_pb_writer_init (&w);
  ink_pb_reader_init (&r, data, n);
  while (ink_pb_next (&r, &f, &err) > 0) {
    if (f.number == 1 || f.number == 10)
      ink_pb_put_varint (&w, f.number, f.value);
    else if (f.number == 2)
      ink_pb_put_bytes (&w, 2, f.data, f.size);
  }
  ink_pb_put_message (&w, number, body);
  g_assert_false (ink_pb_writer_failed (&w));
  out = g_memdup2 (w.buf, w.len);
  *size = w.len;
  ink_pb_writer_clear (&w);
  free (data);
  return out;
}

/* Compiling base's description with body fails with status and a message
 * holding each of the NULL-terminated fragments. */
static void
expect_refused (const InkModel *base, uint32_t number, const InkPbWriter *body, InkStatus status,
                ...)
{
  size_t size = 0;
  g_autofree guint8 *data = graft (base, number, body, &size);
  InkError err;
  InkModel *m = ink_coreml_compile_memory (data, size, &err);
  const char *fragment;
  va_list ap;

  if (m != NULL)
    g_error ("a malformed body compiled");
  g_test_message ("refused: %s", err.message);
  g_assert_cmpstr (ink_status_to_string (err.status), ==, ink_status_to_string (status));
  va_start (ap, status);
  while ((fragment = va_arg (ap, const char *)) != NULL) {
    if (strstr (err.message, fragment) == NULL)
      g_error ("\"%s\" is not in the error \"%s\"", fragment, err.message);
  }
  va_end (ap);
}

static InkModel *
tree_base (void)
{
  const char *const labels[] = {"a", "b"};
  InkTreeEvaluation e = {0, 1.0};
  InkModel *m =
    ink_tree_ensemble_new (INK_MODEL_TREE_ENSEMBLE_CLASSIFIER, 1, INK_TREE_NO_TRANSFORM);

  add_vector_input (m, 2);
  add_classifier_outputs (m, FALSE);
  g_assert_cmpint (ink_model_set_class_labels_string (m, labels, 2), ==, INK_OK);
  add_tree_leaf (m, 0, 0, &e, 1);
  finish (m);
  return m;
}

static void
put_string_labels (InkPbWriter *w, uint32_t number, size_t n)
{
  InkPbWriter v;

  ink_pb_writer_init (&v);
  for (size_t i = 0; i < n; i++)
    ink_pb_put_string (&v, 1, i % 2 == 0 ? "a" : "b");
  ink_pb_put_message (w, number, &v);
  ink_pb_writer_clear (&v);
}

/* A TreeEnsembleClassifier body holding one node (its bytes) and dims. */
static void
tree_body (InkPbWriter *body, const InkPbWriter *node, uint64_t dims)
{
  InkPbWriter params;

  ink_pb_writer_init (&params);
  ink_pb_put_message (&params, 1, node);
  if (dims > 0)
    ink_pb_put_varint (&params, 2, dims);
  ink_pb_writer_reset (body);
  ink_pb_put_message (body, 1, &params);
  put_string_labels (body, 100, 2);
  ink_pb_writer_clear (&params);
}

static void
test_malformed_trees (void)
{
  InkModel *base = tree_base ();
  InkPbWriter node, body, ev;

  ink_pb_writer_init (&node);
  ink_pb_writer_init (&body);
  ink_pb_writer_init (&ev);

  /* The base itself compiles. */
  ink_pb_put_varint (&node, 3, 6);
  ink_pb_put_double (&ev, 2, 1.0);
  ink_pb_put_message (&node, 20, &ev);
  tree_body (&body, &node, 1);
  {
    size_t size = 0;
    g_autofree guint8 *data = graft (base, 402, &body, &size);
    InkModel *m = compile (data, size);
    ink_model_free (m);
  }

  /* branchFeatureValue as a varint. */
  ink_pb_writer_reset (&node);
  ink_pb_put_varint (&node, 10, 1);
  ink_pb_put_varint (&node, 11, 5);
  tree_body (&body, &node, 1);
  expect_refused (base, 402, &body, INK_ERR_FORMAT, "TreeNode.branchFeatureValue (field 11)",
                  "treeEnsembleClassifier (Model field 402)", "nodes (field 1) entry 0", NULL);

  /* treeId as a 64-bit value. */
  ink_pb_writer_reset (&node);
  ink_pb_put_double (&node, 1, 2.0);
  tree_body (&body, &node, 1);
  expect_refused (base, 402, &body, INK_ERR_FORMAT, "TreeNode.treeId (field 1)", NULL);

  /* evaluationInfo as a double, and an evaluation value as a varint. */
  ink_pb_writer_reset (&node);
  ink_pb_put_varint (&node, 3, 6);
  ink_pb_put_double (&node, 20, 1.0);
  tree_body (&body, &node, 1);
  expect_refused (base, 402, &body, INK_ERR_FORMAT, "TreeNode.evaluationInfo (field 20)", NULL);
  ink_pb_writer_reset (&node);
  ink_pb_writer_reset (&ev);
  ink_pb_put_varint (&ev, 2, 1);
  ink_pb_put_varint (&node, 3, 6);
  ink_pb_put_message (&node, 20, &ev);
  tree_body (&body, &node, 1);
  expect_refused (base, 402, &body, INK_ERR_FORMAT, "EvaluationInfo.evaluationValue (field 2)",
                  NULL);

  /* A node that is not a message. */
  ink_pb_writer_reset (&body);
  {
    InkPbWriter params;

    ink_pb_writer_init (&params);
    ink_pb_put_varint (&params, 1, 3);
    ink_pb_put_message (&body, 1, &params);
    ink_pb_writer_clear (&params);
  }
  expect_refused (base, 402, &body, INK_ERR_FORMAT, "TreeEnsembleParameters.nodes (field 1)",
                  "TreeNode", NULL);

  /* An unknown node behavior, a leaf without values, a leaf adding twice
   * to one dimension, no prediction dimensions, an unknown transform. */
  ink_pb_writer_reset (&node);
  ink_pb_put_varint (&node, 3, 9);
  tree_body (&body, &node, 1);
  expect_refused (base, 402, &body, INK_ERR_INVALID_MODEL, "TreeNode.nodeBehavior (field 3)", "9",
                  NULL);
  ink_pb_writer_reset (&node);
  ink_pb_put_varint (&node, 3, 6);
  tree_body (&body, &node, 1);
  expect_refused (base, 402, &body, INK_ERR_INVALID_MODEL, "has no evaluation value(s)", NULL);
  ink_pb_writer_reset (&node);
  ink_pb_put_varint (&node, 3, 6);
  ink_pb_writer_reset (&ev);
  ink_pb_put_double (&ev, 2, 1.0);
  ink_pb_put_message (&node, 20, &ev);
  ink_pb_put_message (&node, 20, &ev);
  tree_body (&body, &node, 1);
  expect_refused (base, 402, &body, INK_ERR_INVALID_MODEL, "multiple evaluation values", NULL);
  ink_pb_writer_reset (&node);
  ink_pb_put_varint (&node, 3, 6);
  ink_pb_put_message (&node, 20, &ev);
  tree_body (&body, &node, 0);
  expect_refused (base, 402, &body, INK_ERR_INVALID_MODEL, "Given output dimension equals 0", NULL);
  tree_body (&body, &node, 1);
  ink_pb_put_varint (&body, 2, 7);
  expect_refused (base, 402, &body, INK_ERR_INVALID_MODEL, "postEvaluationTransform (field 2)",
                  NULL);

  /* A nested length running past its message. */
  ink_pb_writer_reset (&body);
  ink_pb_put_bytes (&body, 1, "\x0a\x10\x08", 3);
  expect_refused (base, 402, &body, INK_ERR_FORMAT, NULL);

  /* Label count against the prediction dimensions (found by finish). */
  ink_pb_writer_reset (&node);
  ink_pb_put_varint (&node, 3, 6);
  ink_pb_put_message (&node, 20, &ev);
  tree_body (&body, &node, 3);
  expect_refused (base, 402, &body, INK_ERR_INVALID_MODEL, "3 class scores for 2 class labels",
                  NULL);

  ink_pb_writer_clear (&node);
  ink_pb_writer_clear (&body);
  ink_pb_writer_clear (&ev);
  ink_model_free (base);
}

static InkModel *
glm_base (void)
{
  const char *const labels[] = {"a", "b"};
  const double w[] = {1, 2}, b[] = {0};
  InkModel *m = ink_glm_classifier_new (w, 1, 2, b, INK_GLM_LOGIT, INK_GLM_REFERENCE_CLASS);

  add_vector_input (m, 2);
  add_classifier_outputs (m, FALSE);
  g_assert_cmpint (ink_model_set_class_labels_string (m, labels, 2), ==, INK_OK);
  finish (m);
  return m;
}

/* A GLMClassifier body: rows of the given lengths, n_offsets offsets. */
static void
glm_body (InkPbWriter *body, const size_t *lengths, size_t n_rows, size_t n_offsets,
          size_t n_labels)
{
  const double values[4] = {1, 2, 3, 4};
  InkPbWriter row;

  ink_pb_writer_init (&row);
  ink_pb_writer_reset (body);
  for (size_t r = 0; r < n_rows; r++) {
    ink_pb_writer_reset (&row);
    ink_pb_put_packed_doubles (&row, 1, values, lengths[r]);
    ink_pb_put_message (body, 1, &row);
  }
  ink_pb_put_packed_doubles (body, 2, values, n_offsets);
  put_string_labels (body, 100, n_labels);
  ink_pb_writer_clear (&row);
}

static void
test_malformed_glms (void)
{
  InkModel *base = glm_base ();
  const size_t two[] = {2, 2, 2}, uneven[] = {2, 1}, empty[] = {0};
  InkPbWriter body, row;

  ink_pb_writer_init (&body);
  ink_pb_writer_init (&row);

  glm_body (&body, two, 1, 1, 2);
  {
    size_t size = 0;
    g_autofree guint8 *data = graft (base, 400, &body, &size);
    InkModel *m = compile (data, size);
    ink_model_free (m);
  }
  /* Wrong wire types: a weights row, a weight, an offset; a packed run
   * that is not whole doubles. */
  ink_pb_writer_reset (&body);
  ink_pb_put_varint (&body, 1, 3);
  expect_refused (base, 400, &body, INK_ERR_FORMAT, "weights (field 1)",
                  "glmClassifier (Model field 400)", NULL);
  ink_pb_writer_reset (&body);
  ink_pb_put_varint (&row, 1, 3);
  ink_pb_put_message (&body, 1, &row);
  expect_refused (base, 400, &body, INK_ERR_FORMAT, "DoubleArray.value (field 1)", "row 0", NULL);
  ink_pb_writer_reset (&body);
  ink_pb_put_varint (&body, 2, 3);
  expect_refused (base, 400, &body, INK_ERR_FORMAT, "offset (field 2)", NULL);
  ink_pb_writer_reset (&body);
  ink_pb_writer_reset (&row);
  ink_pb_put_bytes (&row, 1, "1234567", 7);
  ink_pb_put_message (&body, 1, &row);
  expect_refused (base, 400, &body, INK_ERR_FORMAT, "DoubleArray.value (field 1)", "multiple of 8",
                  NULL);

  /* Core ML's validator rules. */
  glm_body (&body, uneven, 2, 2, 3);
  expect_refused (base, 400, &body, INK_ERR_INVALID_MODEL,
                  "Weight DoubleArrays must have the same length", NULL);
  glm_body (&body, two, 1, 2, 2);
  expect_refused (base, 400, &body, INK_ERR_INVALID_MODEL,
                  "The number of DoubleArrays in weights must match number of offsets", NULL);
  glm_body (&body, two, 0, 0, 2);
  expect_refused (base, 400, &body, INK_ERR_INVALID_MODEL, "must be greater than zero", NULL);
  glm_body (&body, two, 2, 2, 2);
  expect_refused (base, 400, &body, INK_ERR_INVALID_MODEL, "one less than number of classes", NULL);
  glm_body (&body, empty, 1, 1, 2);
  expect_refused (base, 400, &body, INK_ERR_INVALID_MODEL, "must have nonzero length", NULL);
  glm_body (&body, two, 2, 2, 3);
  ink_pb_put_varint (&body, 3, 1); /* Probit with 3 classes */
  expect_refused (base, 400, &body, INK_ERR_INVALID_MODEL, "only supported for binary", NULL);
  glm_body (&body, two, 3, 3, 3);
  ink_pb_put_varint (&body, 4, 1); /* OneVsRest */
  ink_pb_put_varint (&body, 3, 5);
  expect_refused (base, 400, &body, INK_ERR_INVALID_MODEL, "Invalid post evaluation transform",
                  NULL);
  glm_body (&body, two, 2, 2, 2);
  ink_pb_put_varint (&body, 4, 1);
  expect_refused (base, 400, &body, INK_ERR_INVALID_MODEL,
                  "OneVsRest encoding for only two classes", NULL);
  glm_body (&body, two, 1, 1, 0);
  ink_pb_put_varint (&body, 4, 2);
  expect_refused (base, 400, &body, INK_ERR_INVALID_MODEL, "Invalid class encoding", NULL);

  /* Regressors: rows against offsets, rows of different lengths, an
   * unknown transform. */
  glm_body (&body, two, 2, 1, 0);
  expect_refused (base, 300, &body, INK_ERR_INVALID_MODEL,
                  "Weights and offsets must be the same size", "glmRegressor (Model field 300)",
                  NULL);
  glm_body (&body, uneven, 2, 2, 0);
  expect_refused (base, 300, &body, INK_ERR_INVALID_MODEL,
                  "All weight coefficients must be the same size", NULL);
  glm_body (&body, two, 1, 1, 0);
  ink_pb_put_varint (&body, 3, 3);
  expect_refused (base, 300, &body, INK_ERR_INVALID_MODEL, "postEvaluationTransform (field 3)",
                  NULL);

  ink_pb_writer_clear (&body);
  ink_pb_writer_clear (&row);
  ink_model_free (base);
}

static InkModel *
knn_base (void)
{
  InkModel *m = ink_knn_new (3, INK_KNN_UNIFORM, 1, false);

  add_vector_input (m, 3);
  add_classifier_outputs (m, FALSE);
  g_assert_cmpint (ink_knn_set_default_label_string (m, "none"), ==, INK_OK);
  finish (m);
  return m;
}

/* What a hand-made KNearestNeighborsClassifier body holds. */
typedef struct {
  int32_t dims;
  size_t n_samples;
  size_t short_sample; /* a sample one value short, or SIZE_MAX */
  gboolean samples_as_varints;
  size_t n_labels;
  uint32_t label_field; /* 100 / 101 / 0 */
  uint32_t index_field; /* 100 / 110 / other / 0 */
  int32_t leaf_size;
  uint32_t distance_field; /* 200 / other / 0 */
  gboolean has_k;
  int64_t k, k_min, k_max;
  uint32_t weighting_field; /* 200 / 210 / other / 0 */
  uint32_t default_field;   /* 110 / 111 / 0 */
} KnnSpec;

static KnnSpec
knn_good (void)
{
  return (KnnSpec){3, 2, SIZE_MAX, FALSE, 2, 100, 100, 0, 200, TRUE, 1, 1, 5, 200, 0};
}

static void
knn_body (InkPbWriter *body, const KnnSpec *s)
{
  const float values[3] = {1, 2, 3};
  const int64_t ints[4] = {1, 2, 3, 4};
  InkPbWriter index, sub, inner;

  ink_pb_writer_init (&index);
  ink_pb_writer_init (&sub);
  ink_pb_writer_init (&inner);
  ink_pb_writer_reset (body);
  ink_pb_put_varint (&index, 1, (uint64_t) (int64_t) s->dims);
  for (size_t i = 0; i < s->n_samples; i++) {
    if (s->samples_as_varints) {
      ink_pb_put_varint (&index, 2, 1);
      continue;
    }
    ink_pb_writer_reset (&sub);
    ink_pb_put_packed_floats (&sub, 1, values, i == s->short_sample ? 2 : 3);
    ink_pb_put_message (&index, 2, &sub);
  }
  ink_pb_writer_reset (&sub);
  if (s->index_field == 110 && s->leaf_size != 0)
    ink_pb_put_int64 (&sub, 1, s->leaf_size);
  if (s->index_field != 0)
    ink_pb_put_message (&index, s->index_field, &sub);
  ink_pb_writer_reset (&sub);
  if (s->distance_field != 0)
    ink_pb_put_message (&index, s->distance_field, &sub);
  ink_pb_put_message (body, 1, &index);
  if (s->has_k) {
    ink_pb_writer_reset (&sub);
    ink_pb_put_int64 (&sub, 1, s->k);
    ink_pb_put_int64 (&inner, 1, s->k_min);
    ink_pb_put_int64 (&inner, 2, s->k_max);
    ink_pb_put_message (&sub, 10, &inner);
    ink_pb_put_message (body, 3, &sub);
  }
  if (s->label_field == 100) {
    put_string_labels (body, 100, s->n_labels);
  } else if (s->label_field == 101) {
    ink_pb_writer_reset (&sub);
    ink_pb_put_packed_int64s (&sub, 1, ints, s->n_labels);
    ink_pb_put_message (body, 101, &sub);
  }
  if (s->default_field == 110)
    ink_pb_put_string (body, 110, "none");
  else if (s->default_field == 111)
    ink_pb_put_int64 (body, 111, -1);
  ink_pb_writer_reset (&sub);
  if (s->weighting_field != 0)
    ink_pb_put_message (body, s->weighting_field, &sub);
  ink_pb_writer_clear (&index);
  ink_pb_writer_clear (&sub);
  ink_pb_writer_clear (&inner);
}

static void
test_malformed_knn (void)
{
  InkModel *base = knn_base ();
  InkPbWriter body;
  KnnSpec s;

  ink_pb_writer_init (&body);
  s = knn_good ();
  knn_body (&body, &s);
  {
    size_t size = 0;
    g_autofree guint8 *data = graft (base, 404, &body, &size);
    InkModel *m = compile (data, size);

    g_assert_cmpuint (ink_knn_n_examples (m), ==, 2);
    ink_model_free (m);
  }
  /* A kd-tree index is an exact search too. */
  s.index_field = 110;
  s.leaf_size = 30;
  knn_body (&body, &s);
  {
    size_t size = 0;
    g_autofree guint8 *data = graft (base, 404, &body, &size);
    InkModel *m = compile (data, size);
    ink_model_free (m);
  }

  s = knn_good ();
  s.short_sample = 1;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL, "Unexpected length \"2\" of sample 1",
                  "number of dimensions \"3\"", "kNearestNeighborsClassifier (Model field 404)",
                  NULL);
  s = knn_good ();
  s.n_labels = 1;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL,
                  "Unexpected number of labels \"1\" for the given number of examples: \"2\"",
                  NULL);
  s = knn_good ();
  s.label_field = 101;
  s.n_labels = 3;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL, "Unexpected number of labels", NULL);
  s = knn_good ();
  s.n_samples = 0;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL, "has no data points", NULL);
  s = knn_good ();
  s.samples_as_varints = TRUE;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_FORMAT, "NearestNeighborsIndex.floatSamples (field 2)",
                  "FloatVector", NULL);
  s = knn_good ();
  s.distance_field = 0;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL, "requires a distance function", NULL);
  s.distance_field = 201;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_UNSUPPORTED, "NearestNeighborsIndex field 201",
                  "squaredEuclideanDistance", NULL);
  s = knn_good ();
  s.index_field = 0;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL, "no index type specified", NULL);
  s.index_field = 110;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL, "leaf size to be a positive", NULL);
  s.index_field = 120;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_UNSUPPORTED, "index type", "field 120", NULL);
  s = knn_good ();
  s.weighting_field = 0;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL, "requires a weighting scheme", NULL);
  s.weighting_field = 220;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_UNSUPPORTED, "weighting scheme", "field 220", NULL);
  s = knn_good ();
  s.has_k = FALSE;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL,
                  "Default Value (0) for 'numberOfNeighbors' expected to be a positive value",
                  NULL);
  s = knn_good ();
  s.k = 7;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL, "out of Allowed Value Range", NULL);
  s = knn_good ();
  s.k_min = 0;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL, "Non-positive min value", NULL);
  s = knn_good ();
  s.default_field = 111;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL,
                  "class label and default class label have different types", NULL);
  s = knn_good ();
  s.n_samples = 0;
  s.n_labels = 0;
  s.label_field = 0;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL, "should specify default class labels",
                  NULL);
  s.dims = 0;
  s.default_field = 110;
  knn_body (&body, &s);
  expect_refused (base, 404, &body, INK_ERR_INVALID_MODEL, "numberOfDimensions (field 1)", NULL);

  ink_pb_writer_clear (&body);
  ink_model_free (base);
}

/* ---- Feature-engineering models built in code ---- */

static void
add_io (InkModel *m, const char *name, InkFeatureType t, gboolean output)
{
  InkError err;

  if (output)
    ink_assert_ok (ink_model_add_output (m, name, &t, "", &err), &err);
  else
    ink_assert_ok (ink_model_add_input (m, name, &t, "", &err), &err);
}

static InkFeatureType
vector_type (int64_t n)
{
  return ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, &n);
}

static InkFeatureType
optional_type (InkFeatureType t)
{
  t.optional = true;
  return t;
}

static InkValue *
vector_value (const double *v, int64_t n)
{
  return ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, &n, v);
}

/* Finishes m, round-trips it (specification version 1) and returns the
 * copy. */
static InkModel *
finish_and_round_trip (InkModel *m)
{
  InkModel *copy;
  int spec = 0;

  finish (m);
  copy = round_trip (m, &spec);
  g_assert_cmpint (spec, ==, 1);
  g_assert_cmpint (ink_model_get_kind (copy), ==, ink_model_get_kind (m));
  return copy;
}

static void
predict_both_and_free (const InkModel *m, const InkModel *copy, InkFeatures *in)
{
  InkFeatures *out = predict_both (m, copy, in);

  ink_features_free (out);
  ink_features_free (in);
}

static void
assert_same_labels (const InkLabels *a, const InkLabels *b)
{
  g_assert_cmpint (a->is_int64, ==, b->is_int64);
  g_assert_cmpuint (a->n, ==, b->n);
  for (size_t i = 0; i < a->n; i++) {
    if (a->is_int64)
      g_assert_cmpint (a->ints[i], ==, b->ints[i]);
    else
      g_assert_cmpstr (a->strings[i], ==, b->strings[i]);
  }
}

static void
test_built_one_hot (void)
{
  const char *const names[] = {"red", "green", "", "blue"};
  const int64_t ints[] = {5, -1, 1 << 30};
  InkModel *m, *copy;
  InkFeatures *in;

  /* Strings, sparse, unknown values ignored. */
  m = ink_one_hot_encoder_new_string (names, 4, true, true);
  add_io (m, "c", ink_feature_type_string (), FALSE);
  add_io (m, "v", ink_feature_type_dictionary (INK_KEY_INT64), TRUE);
  copy = finish_and_round_trip (m);
  assert_same_labels (&ink_one_hot_encoder_body (m)->categories,
                      &ink_one_hot_encoder_body (copy)->categories);
  g_assert_true (ink_one_hot_encoder_body (copy)->output_sparse);
  g_assert_true (ink_one_hot_encoder_body (copy)->ignore_unknown);
  for (size_t i = 0; i < 5; i++) {
    in = ink_features_new ();
    ink_features_set_string (in, "c", i < 4 ? names[i] : "purple");
    predict_both_and_free (m, copy, in);
  }
  ink_model_free (copy);
  ink_model_free (m);

  /* Int64, dense, unknown values an error. */
  m = ink_one_hot_encoder_new_int64 (ints, 3, false, false);
  add_io (m, "c", ink_feature_type_int64 (), FALSE);
  add_io (m, "v", vector_type (3), TRUE);
  copy = finish_and_round_trip (m);
  assert_same_labels (&ink_one_hot_encoder_body (m)->categories,
                      &ink_one_hot_encoder_body (copy)->categories);
  g_assert_false (ink_one_hot_encoder_body (copy)->output_sparse);
  g_assert_false (ink_one_hot_encoder_body (copy)->ignore_unknown);
  for (size_t i = 0; i < 3; i++) {
    in = ink_features_new ();
    ink_features_set_int64 (in, "c", ints[i]);
    predict_both_and_free (m, copy, in);
  }
  ink_model_free (copy);
  ink_model_free (m);
}

static void
test_built_vectorizers (void)
{
  const char *const keys[] = {"b", "a", "z"};
  const double column_b[2] = {-1.5, 2.25};
  InkModel *m, *copy;
  InkFeatures *in;
  InkValue *d;
  InkError err;

  /* DictVectorizer: string keys to a dense vector. */
  m = ink_dict_vectorizer_new_string (keys, 3);
  add_io (m, "d", ink_feature_type_dictionary (INK_KEY_STRING), FALSE);
  add_io (m, "v", vector_type (3), TRUE);
  copy = finish_and_round_trip (m);
  assert_same_labels (&ink_dict_vectorizer_body (m)->categories,
                      &ink_dict_vectorizer_body (copy)->categories);
  in = ink_features_new ();
  d = ink_value_new_dictionary (INK_KEY_STRING);
  ink_value_dictionary_set_string (d, "a", 4.0);
  ink_value_dictionary_set_string (d, "z", -0.5);
  ink_value_dictionary_set_string (d, "unknown", 9.0);
  ink_features_set (in, "d", d);
  predict_both_and_free (m, copy, in);
  ink_model_free (copy);
  ink_model_free (m);

  /* FeatureVectorizer: a double, a 2-vector and a sparse dictionary. */
  m = ink_feature_vectorizer_new ();
  add_io (m, "a", ink_feature_type_double (), FALSE);
  add_io (m, "b", vector_type (2), FALSE);
  add_io (m, "c", ink_feature_type_dictionary (INK_KEY_INT64), FALSE);
  add_io (m, "v", vector_type (6), TRUE);
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "c", 3, &err), &err);
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "a", 1, &err), &err);
  ink_assert_ok (ink_feature_vectorizer_add_column (m, "b", 2, &err), &err);
  copy = finish_and_round_trip (m);
  {
    const InkFeatureVectorizer *x = ink_feature_vectorizer_body (m);
    const InkFeatureVectorizer *y = ink_feature_vectorizer_body (copy);

    g_assert_cmpuint (x->n_columns, ==, y->n_columns);
    for (size_t i = 0; i < x->n_columns; i++) {
      g_assert_cmpstr (x->columns[i].name, ==, y->columns[i].name);
      g_assert_cmpuint (x->columns[i].dims, ==, y->columns[i].dims);
    }
  }
  in = ink_features_new ();
  ink_features_set_double (in, "a", 0.5);
  ink_features_set (in, "b", vector_value (column_b, 2));
  d = ink_value_new_dictionary (INK_KEY_INT64);
  ink_value_dictionary_set_int64 (d, 2, 7.0);
  ink_features_set (in, "c", d);
  predict_both_and_free (m, copy, in);
  ink_model_free (copy);
  ink_model_free (m);
}

static void
test_built_scalers (void)
{
  const double shift[] = {1.0, -2.0, 0.0}, scale[] = {0.5};
  const double x[] = {3.0, 4.0, -1.0, 0.25};
  InkModel *m, *copy;
  InkFeatures *in;

  m = ink_scaler_new (shift, 3, scale, 1);
  add_io (m, "x", vector_type (3), FALSE);
  add_io (m, "y", vector_type (3), TRUE);
  copy = finish_and_round_trip (m);
  {
    const InkScaler *a = ink_scaler_body (m), *b = ink_scaler_body (copy);

    g_assert_cmpuint (a->n_shift, ==, b->n_shift);
    g_assert_cmpuint (a->n_scale, ==, b->n_scale);
    g_assert_cmpmem (a->shift, a->n_shift * sizeof (double), b->shift,
                     b->n_shift * sizeof (double));
    g_assert_cmpmem (a->scale, a->n_scale * sizeof (double), b->scale,
                     b->n_scale * sizeof (double));
  }
  in = ink_features_new ();
  ink_features_set (in, "x", vector_value (x, 3));
  predict_both_and_free (m, copy, in);
  ink_model_free (copy);
  ink_model_free (m);

  /* No shift, no scale: a Double passes through. */
  m = ink_scaler_new (NULL, 0, NULL, 0);
  add_io (m, "x", ink_feature_type_double (), FALSE);
  add_io (m, "y", ink_feature_type_double (), TRUE);
  copy = finish_and_round_trip (m);
  g_assert_cmpuint (ink_scaler_body (copy)->n_shift, ==, 0);
  g_assert_cmpuint (ink_scaler_body (copy)->n_scale, ==, 0);
  in = ink_features_new ();
  ink_features_set_double (in, "x", -7.5);
  predict_both_and_free (m, copy, in);
  ink_model_free (copy);
  ink_model_free (m);

  for (int norm = INK_NORM_LMAX; norm <= INK_NORM_L2; norm++) {
    m = ink_normalizer_new ((InkNormType) norm);
    add_io (m, "x", vector_type (4), FALSE);
    add_io (m, "y", vector_type (4), TRUE);
    copy = finish_and_round_trip (m);
    g_assert_cmpint (ink_normalizer_body (copy)->norm, ==, norm);
    in = ink_features_new ();
    ink_features_set (in, "x", vector_value (x, 4));
    predict_both_and_free (m, copy, in);
    ink_model_free (copy);
    ink_model_free (m);
  }

  {
    const uint64_t picks[] = {3, 0, 3}, one[] = {2};

    m = ink_array_feature_extractor_new (picks, 3);
    add_io (m, "x", vector_type (4), FALSE);
    add_io (m, "y", vector_type (3), TRUE);
    copy = finish_and_round_trip (m);
    g_assert_cmpuint (ink_array_feature_extractor_body (copy)->n, ==, 3);
    g_assert_cmpmem (ink_array_feature_extractor_body (copy)->indices, 3 * sizeof (uint64_t), picks,
                     sizeof picks);
    in = ink_features_new ();
    ink_features_set (in, "x", vector_value (x, 4));
    predict_both_and_free (m, copy, in);
    ink_model_free (copy);
    ink_model_free (m);

    m = ink_array_feature_extractor_new (one, 1);
    add_io (m, "x", vector_type (4), FALSE);
    add_io (m, "y", ink_feature_type_double (), TRUE);
    copy = finish_and_round_trip (m);
    in = ink_features_new ();
    ink_features_set (in, "x", vector_value (x, 4));
    predict_both_and_free (m, copy, in);
    ink_model_free (copy);
    ink_model_free (m);
  }
}

static void
assert_same_imputer (const InkModel *a, const InkModel *b)
{
  const InkImputer *x = ink_imputer_body (a), *y = ink_imputer_body (b);

  g_assert_cmpint (x->imputed, ==, y->imputed);
  g_assert_cmpint (x->replace, ==, y->replace);
  switch (x->imputed) {
  case INK_IMPUTED_DOUBLE:
    g_assert_true (same_double (x->imputed_double, y->imputed_double));
    break;
  case INK_IMPUTED_INT64: g_assert_cmpint (x->imputed_int64, ==, y->imputed_int64); break;
  case INK_IMPUTED_STRING: g_assert_cmpstr (x->imputed_string, ==, y->imputed_string); break;
  case INK_IMPUTED_DOUBLE_ARRAY:
    g_assert_cmpmem (x->imputed_doubles, x->n_imputed * sizeof (double), y->imputed_doubles,
                     y->n_imputed * sizeof (double));
    break;
  case INK_IMPUTED_INT64_ARRAY:
    g_assert_cmpmem (x->imputed_ints, x->n_imputed * sizeof (int64_t), y->imputed_ints,
                     y->n_imputed * sizeof (int64_t));
    break;
  case INK_IMPUTED_STRING_DICTIONARY:
  case INK_IMPUTED_INT64_DICTIONARY:
    assert_same_labels (&x->dict_keys, &y->dict_keys);
    g_assert_cmpmem (x->dict_values, x->dict_keys.n * sizeof (double), y->dict_values,
                     y->dict_keys.n * sizeof (double));
    break;
  case INK_IMPUTED_NONE: break;
  }
  switch (x->replace) {
  case INK_REPLACE_DOUBLE:
    g_assert_true (same_double (x->replace_double, y->replace_double));
    break;
  case INK_REPLACE_INT64: g_assert_cmpint (x->replace_int64, ==, y->replace_int64); break;
  case INK_REPLACE_STRING: g_assert_cmpstr (x->replace_string, ==, y->replace_string); break;
  case INK_REPLACE_NONE: break;
  }
}

static void
test_built_imputers (void)
{
  const double values[] = {1.5, 0.0, -2.0};
  const int64_t ints[] = {0, 7, -7};
  const char *const keys[] = {"k", "a"};
  const double with_nan[] = {NAN, 3.0, -1.0};
  InkModel *m, *copy;
  InkFeatures *in;

  /* A Double: NaN (no replace value), then -1 (replace value). */
  for (int replace = 0; replace <= 1; replace++) {
    m = ink_imputer_new_double (0.0);
    if (replace)
      g_assert_cmpint (ink_imputer_set_replace_double (m, -1.0), ==, INK_OK);
    add_io (m, "x", optional_type (ink_feature_type_double ()), FALSE);
    add_io (m, "y", ink_feature_type_double (), TRUE);
    copy = finish_and_round_trip (m);
    assert_same_imputer (m, copy);
    for (int k = 0; k < 3; k++) {
      in = ink_features_new ();
      ink_features_set_double (in, "x", k == 0 ? NAN : k == 1 ? -1.0 : 2.5);
      predict_both_and_free (m, copy, in);
    }
    in = ink_features_new ();
    predict_both_and_free (m, copy, in); /* absent */
    ink_model_free (copy);
    ink_model_free (m);
  }

  /* An Int64 with a replace value, a String with one. */
  m = ink_imputer_new_int64 (0);
  g_assert_cmpint (ink_imputer_set_replace_int64 (m, -1), ==, INK_OK);
  add_io (m, "x", ink_feature_type_int64 (), FALSE);
  add_io (m, "y", ink_feature_type_int64 (), TRUE);
  copy = finish_and_round_trip (m);
  assert_same_imputer (m, copy);
  in = ink_features_new ();
  ink_features_set_int64 (in, "x", -1);
  predict_both_and_free (m, copy, in);
  ink_model_free (copy);
  ink_model_free (m);

  m = ink_imputer_new_string ("");
  g_assert_cmpint (ink_imputer_set_replace_string (m, "?"), ==, INK_OK);
  add_io (m, "x", ink_feature_type_string (), FALSE);
  add_io (m, "y", ink_feature_type_string (), TRUE);
  copy = finish_and_round_trip (m);
  assert_same_imputer (m, copy);
  in = ink_features_new ();
  ink_features_set_string (in, "x", "?");
  predict_both_and_free (m, copy, in);
  ink_model_free (copy);
  ink_model_free (m);

  /* Arrays: doubles (NaN elements), int64s (replace value 0). */
  m = ink_imputer_new_double_array (values, 3);
  add_io (m, "x", vector_type (3), FALSE);
  add_io (m, "y", vector_type (3), TRUE);
  copy = finish_and_round_trip (m);
  assert_same_imputer (m, copy);
  in = ink_features_new ();
  ink_features_set (in, "x", vector_value (with_nan, 3));
  predict_both_and_free (m, copy, in);
  ink_model_free (copy);
  ink_model_free (m);

  m = ink_imputer_new_int64_array (ints, 3);
  g_assert_cmpint (ink_imputer_set_replace_int64 (m, 0), ==, INK_OK);
  add_io (m, "x", vector_type (3), FALSE);
  add_io (m, "y", vector_type (3), TRUE);
  copy = finish_and_round_trip (m);
  assert_same_imputer (m, copy);
  in = ink_features_new ();
  ink_features_set (in, "x", vector_value (values, 3));
  predict_both_and_free (m, copy, in);
  ink_model_free (copy);
  ink_model_free (m);

  /* Dictionaries, imputed when the input is absent. */
  for (int int_keys = 0; int_keys <= 1; int_keys++) {
    InkKeyType kt = int_keys ? INK_KEY_INT64 : INK_KEY_STRING;

    m = int_keys ? ink_imputer_new_int64_dictionary (ints, values, 3)
                 : ink_imputer_new_string_dictionary (keys, values, 2);
    add_io (m, "x", optional_type (ink_feature_type_dictionary (kt)), FALSE);
    add_io (m, "y", ink_feature_type_dictionary (kt), TRUE);
    copy = finish_and_round_trip (m);
    assert_same_imputer (m, copy);
    in = ink_features_new ();
    predict_both_and_free (m, copy, in);
    ink_model_free (copy);
    ink_model_free (m);
  }
}

/* Bodies of the feature models that break their messages' rules. */
static void
test_malformed_feature_models (void)
{
  const char *const names[] = {"a", "b"};
  InkModel *one_hot = ink_one_hot_encoder_new_string (names, 2, true, false);
  InkModel *imputer = ink_imputer_new_string_dictionary (names, (const double[]){1, 2}, 2);
  InkPbWriter body, sub, entry;

  add_io (one_hot, "c", ink_feature_type_string (), FALSE);
  add_io (one_hot, "v", ink_feature_type_dictionary (INK_KEY_INT64), TRUE);
  finish (one_hot);
  add_io (imputer, "x", optional_type (ink_feature_type_dictionary (INK_KEY_STRING)), FALSE);
  add_io (imputer, "y", ink_feature_type_dictionary (INK_KEY_STRING), TRUE);
  finish (imputer);
  ink_pb_writer_init (&body);
  ink_pb_writer_init (&sub);
  ink_pb_writer_init (&entry);

  /* OneHotEncoder: no categories, categories of the wrong wire type, an
   * unknown handleUnknown. */
  ink_pb_put_bool (&body, 10, true);
  expect_refused (one_hot, 600, &body, INK_ERR_INVALID_MODEL,
                  "OneHotEncoder parameter incorrect type", "oneHotEncoder (Model field 600)",
                  NULL);
  ink_pb_writer_reset (&body);
  ink_pb_put_varint (&body, 1, 1);
  expect_refused (one_hot, 600, &body, INK_ERR_FORMAT, "OneHotEncoder.stringCategories (field 1)",
                  NULL);
  ink_pb_writer_reset (&body);
  ink_pb_put_string (&sub, 1, "a");
  ink_pb_put_message (&body, 1, &sub);
  ink_pb_put_bool (&body, 10, true);
  ink_pb_put_varint (&body, 11, 4);
  expect_refused (one_hot, 600, &body, INK_ERR_INVALID_MODEL,
                  "OneHotEncoder.handleUnknown (field 11)", NULL);

  /* DictVectorizer: no map. FeatureVectorizer: a column of 0 dimensions,
   * a dimension that is not a varint. */
  ink_pb_writer_reset (&body);
  expect_refused (one_hot, 603, &body, INK_ERR_INVALID_MODEL, "DictVectorizerValidator", NULL);
  ink_pb_writer_reset (&sub);
  ink_pb_put_string (&sub, 1, "c");
  ink_pb_put_message (&body, 1, &sub);
  expect_refused (one_hot, 602, &body, INK_ERR_INVALID_MODEL,
                  "Dimension size must be greater than zero", "column 0", NULL);
  ink_pb_writer_reset (&body);
  ink_pb_put_double (&sub, 2, 1.0);
  ink_pb_put_message (&body, 1, &sub);
  expect_refused (one_hot, 602, &body, INK_ERR_FORMAT, "InputColumn.inputDimensions (field 2)",
                  NULL);

  /* Scaler, Normalizer, ArrayFeatureExtractor: wrong wire types, an
   * unknown norm. */
  ink_pb_writer_reset (&body);
  ink_pb_put_varint (&body, 1, 3);
  expect_refused (one_hot, 604, &body, INK_ERR_FORMAT, "Scaler.shiftValue (field 1)", NULL);
  ink_pb_writer_reset (&body);
  ink_pb_put_varint (&body, 1, 3);
  expect_refused (one_hot, 607, &body, INK_ERR_INVALID_MODEL, "NormalizerValidator", NULL);
  ink_pb_writer_reset (&body);
  ink_pb_put_double (&body, 1, 3);
  expect_refused (one_hot, 609, &body, INK_ERR_FORMAT,
                  "ArrayFeatureExtractor.extractIndex (field 1)", NULL);

  /* Imputer: nothing imputed, a replace value of the wrong kind, a map
   * value of the wrong wire type. */
  ink_pb_writer_reset (&body);
  ink_pb_put_double (&body, 11, 0.0);
  expect_refused (imputer, 601, &body, INK_ERR_INVALID_MODEL, "Imputer parameter must be set",
                  NULL);
  ink_pb_writer_reset (&body);
  ink_pb_put_int64 (&body, 2, 3);
  ink_pb_put_double (&body, 11, 0.0);
  expect_refused (imputer, 601, &body, INK_ERR_INVALID_MODEL,
                  "Type of given replace value not compatible", NULL);
  ink_pb_writer_reset (&body);
  ink_pb_writer_reset (&sub);
  ink_pb_put_string (&entry, 1, "a");
  ink_pb_put_varint (&entry, 2, 1);
  ink_pb_put_message (&sub, 1, &entry);
  ink_pb_put_message (&body, 6, &sub);
  expect_refused (imputer, 601, &body, INK_ERR_FORMAT, "map entry value (field 2)",
                  "StringToDoubleMap", NULL);

  /* A map keeps the last value of a repeated key. */
  ink_pb_writer_reset (&body);
  ink_pb_writer_reset (&sub);
  for (int i = 0; i < 3; i++) {
    ink_pb_writer_reset (&entry);
    ink_pb_put_string (&entry, 1, i == 1 ? "b" : "a");
    ink_pb_put_double (&entry, 2, (double) i);
    ink_pb_put_message (&sub, 1, &entry);
  }
  ink_pb_put_message (&body, 6, &sub);
  {
    size_t size = 0;
    g_autofree guint8 *data = graft (imputer, 601, &body, &size);
    InkModel *m = compile (data, size);
    const InkImputer *b = ink_imputer_body (m);

    g_assert_cmpuint (b->dict_keys.n, ==, 2);
    for (size_t i = 0; i < 2; i++)
      g_assert_cmpfloat (b->dict_values[i], ==,
                         strcmp (b->dict_keys.strings[i], "a") == 0 ? 2.0 : 1.0);
    ink_model_free (m);
  }

  ink_pb_writer_clear (&body);
  ink_pb_writer_clear (&sub);
  ink_pb_writer_clear (&entry);
  ink_model_free (one_hot);
  ink_model_free (imputer);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/coreml-classic/forest/v1", test_forest_v1);
  g_test_add_func ("/engine/coreml-classic/forest/v2", test_forest_v2);
  g_test_add_func ("/engine/coreml-classic/forest/bundled", test_forest_bundled);
  g_test_add_func ("/engine/coreml-classic/forest/served", test_forest_served);
  g_test_add_func ("/engine/coreml-classic/forest/file", test_forest_file);
  g_test_add_func ("/engine/coreml-classic/pipeline/iris", test_iris);
  g_test_add_func ("/engine/coreml-classic/pipeline/mars", test_mars);
  g_test_add_func ("/engine/coreml-classic/pipeline/lunch", test_lunch);
  g_test_add_func ("/engine/coreml-classic/knn/empty-kdtree", test_knn_kdtree);
  g_test_add_func ("/engine/coreml-classic/knn/empty-linear", test_knn_linear);
  g_test_add_func ("/engine/coreml-classic/built/tree-regressor", test_built_tree_regressor);
  g_test_add_func ("/engine/coreml-classic/built/tree-classifier", test_built_tree_classifier);
  g_test_add_func ("/engine/coreml-classic/built/glm", test_built_glm);
  g_test_add_func ("/engine/coreml-classic/built/knn", test_built_knn);
  g_test_add_func ("/engine/coreml-classic/built/one-hot", test_built_one_hot);
  g_test_add_func ("/engine/coreml-classic/built/vectorizers", test_built_vectorizers);
  g_test_add_func ("/engine/coreml-classic/built/scalers", test_built_scalers);
  g_test_add_func ("/engine/coreml-classic/built/imputers", test_built_imputers);
  g_test_add_func ("/engine/coreml-classic/malformed/trees", test_malformed_trees);
  g_test_add_func ("/engine/coreml-classic/malformed/glms", test_malformed_glms);
  g_test_add_func ("/engine/coreml-classic/malformed/knn", test_malformed_knn);
  g_test_add_func ("/engine/coreml-classic/malformed/feature-models",
                   test_malformed_feature_models);
  return g_test_run ();
}

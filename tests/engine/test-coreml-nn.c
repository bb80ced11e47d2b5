/* test-coreml-nn.c: Core ML neural networks: reading, running, exporting
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "ink-coreml-private.h"
#include "ink-image.h"
#include "ink-nn-private.h"
#include "test-util.h"

/* References are computed here from plain loops (double accumulation) over
 * weights read straight out of the .mlmodel files by the small protobuf
 * walker below, independent of the engine's reader and kernels. */

#define TOL 1e-5

/* ---- An independent protobuf walker ---- */

typedef struct {
  const guint8 *p, *end;
} Walk;

typedef struct {
  guint32 number;
  int wire;
  guint64 value;
  const guint8 *data;
  gsize size;
} Field;

static guint64
walk_varint (Walk *w)
{
  guint64 v = 0;

  for (int shift = 0; w->p < w->end && shift < 64; shift += 7) {
    guint8 b = *w->p++;
    v |= (guint64) (b & 0x7f) << shift;
    if (b < 0x80)
      return v;
  }
  g_error ("bad varint in a fixture");
  return 0;
}

static gboolean
walk_next (Walk *w, Field *f)
{
  guint64 key;

  if (w->p >= w->end)
    return FALSE;
  key = walk_varint (w);
  f->number = (guint32) (key >> 3);
  f->wire = (int) (key & 7);
  f->data = NULL;
  f->size = 0;
  switch (f->wire) {
  case 0: f->value = walk_varint (w); break;
  case 1: w->p += 8; break;
  case 5: w->p += 4; break;
  case 2:
    f->size = (gsize) walk_varint (w);
    f->data = w->p;
    w->p += f->size;
    break;
  default: g_error ("bad wire type in a fixture");
  }
  g_assert_true (w->p <= w->end);
  return TRUE;
}

static Walk
walk_of (const Field *f)
{
  Walk w = {f->data, f->data + f->size};
  return w;
}

/* The first LEN field `number` of a message, or FALSE (and *out zeroed). */
static gboolean
walk_find (Walk w, guint32 number, Field *out)
{
  Field f = {0};

  while (walk_next (&w, &f)) {
    if (f.number == number && f.wire == 2) {
      *out = f;
      return TRUE;
    }
  }
  *out = (Field){0};
  return FALSE;
}

/* WeightParams.floatValue (packed) as a new array. */
static float *
walk_floats (const Field *weight_params, gsize *n)
{
  Field f;
  float *v;

  g_assert_true (walk_find (walk_of (weight_params), 1, &f));
  g_assert_cmpuint (f.size % 4, ==, 0);
  *n = f.size / 4;
  v = g_new (float, *n);
  memcpy (v, f.data, f.size); /* little-endian hosts only, as Core ML */
  return v;
}

typedef struct {
  char *name;
  guint32 kind; /* the layer oneof field number */
  float *w, *b;
  gsize n_w, n_b;
} RefLayer;

typedef struct {
  GBytes *file;
  RefLayer layers[32];
  size_t n;
} RefNet;

static void
ref_net_load (RefNet *net, const char *path)
{
  gsize size;
  const guint8 *data;
  Walk top;
  Field body = {0}, f;
  gboolean found = FALSE;
  g_autoptr (GError) error = NULL;
  gchar *contents;

  memset (net, 0, sizeof *net);
  g_assert_true (g_file_get_contents (path, &contents, &size, &error));
  net->file = g_bytes_new_take (contents, size);
  data = g_bytes_get_data (net->file, &size);
  top = (Walk){data, data + size};
  while (walk_next (&top, &f)) {
    if (f.number == 500 || f.number == 403 || f.number == 303) {
      body = f;
      found = TRUE;
    }
  }
  g_assert_true (found);
  {
    Walk nn = walk_of (&body);
    while (walk_next (&nn, &f)) {
      Walk lw;
      Field g, wp;
      RefLayer *l;
      if (f.number != 1)
        continue;
      g_assert_cmpuint (net->n, <, G_N_ELEMENTS (net->layers));
      l = &net->layers[net->n++];
      lw = walk_of (&f);
      while (walk_next (&lw, &g)) {
        if (g.number == 1)
          l->name = g_strndup ((const char *) g.data, g.size);
        else if (g.number >= 100)
          l->kind = g.number;
      }
      if (l->kind == 100 || l->kind == 140) {
        Field params;
        g_assert_true (walk_find (walk_of (&f), l->kind, &params));
        g_assert_true (walk_find (walk_of (&params), l->kind == 100 ? 90 : 20, &wp));
        l->w = walk_floats (&wp, &l->n_w);
        if (walk_find (walk_of (&params), l->kind == 100 ? 91 : 21, &wp))
          l->b = walk_floats (&wp, &l->n_b);
      }
    }
  }
}

static void
ref_net_clear (RefNet *net)
{
  for (size_t i = 0; i < net->n; i++) {
    g_free (net->layers[i].name);
    g_free (net->layers[i].w);
    g_free (net->layers[i].b);
  }
  g_bytes_unref (net->file);
}

/* The i-th layer with weights (convolution or innerProduct). */
static const RefLayer *
ref_weighted (const RefNet *net, size_t i)
{
  for (size_t k = 0; k < net->n; k++) {
    if (net->layers[k].w != NULL && i-- == 0)
      return &net->layers[k];
  }
  g_error ("the fixture has too few weighted layers");
  return NULL;
}

/* ---- Reference layers (double accumulation) ---- */

/* 3x3 convolution, stride 1, SAME padding (one pixel each side), + bias. */
static void
ref_conv3x3_same (const double *in, size_t c_in, size_t h, size_t w, const RefLayer *l,
                  size_t c_out, double *out)
{
  g_assert_cmpuint (l->n_w, ==, c_out * c_in * 9);
  g_assert_cmpuint (l->n_b, ==, c_out);
  for (size_t o = 0; o < c_out; o++) {
    for (size_t y = 0; y < h; y++) {
      for (size_t x = 0; x < w; x++) {
        double s = l->b[o];
        for (size_t c = 0; c < c_in; c++) {
          for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
              long iy = (long) y + ky - 1, ix = (long) x + kx - 1;
              if (iy < 0 || ix < 0 || iy >= (long) h || ix >= (long) w)
                continue;
              s += (double) l->w[((o * c_in + c) * 3 + (size_t) ky) * 3 + (size_t) kx] *
                   in[(c * h + (size_t) iy) * w + (size_t) ix];
            }
          }
        }
        out[(o * h + y) * w + x] = s;
      }
    }
  }
}

static void
ref_relu (double *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    v[i] = v[i] > 0 ? v[i] : 0;
}

/* 2x2 max pooling, stride 2, no padding: floor(h / 2) x floor(w / 2). */
static void
ref_maxpool2 (const double *in, size_t c, size_t h, size_t w, double *out)
{
  size_t oh = h / 2, ow = w / 2;

  for (size_t k = 0; k < c; k++) {
    for (size_t y = 0; y < oh; y++) {
      for (size_t x = 0; x < ow; x++) {
        const double *p = in + (k * h + 2 * y) * w + 2 * x;
        out[(k * oh + y) * ow + x] = MAX (MAX (p[0], p[1]), MAX (p[w], p[w + 1]));
      }
    }
  }
}

static void
ref_inner_product (const double *in, size_t n_in, const RefLayer *l, size_t n_out, double *out)
{
  g_assert_cmpuint (l->n_w, ==, n_in * n_out);
  for (size_t o = 0; o < n_out; o++) {
    double s = l->b != NULL ? l->b[o] : 0.0;
    for (size_t i = 0; i < n_in; i++)
      s += (double) l->w[o * n_in + i] * in[i];
    out[o] = s;
  }
}

/* ---- Helpers ---- */

static InkModel *
compile_fixture (const char *name)
{
  g_autofree char *rel = g_strdup_printf ("coreml/%s", name);
  g_autofree char *path = ink_test_fixture_path (rel);
  InkError err = {0};
  InkModel *m;

  if (path == NULL)
    return NULL;
  m = ink_coreml_compile_file (path, &err);
  if (m == NULL)
    g_error ("%s: %s", name, err.message);
  return m;
}

/* Export to memory, then compile the bytes again. */
static InkModel *
round_trip (const InkModel *m, int *spec)
{
  uint8_t *data = NULL;
  size_t size = 0;
  InkError err = {0};
  InkModel *again;

  ink_assert_ok (ink_coreml_export_memory (m, &data, &size, &err), &err);
  again = ink_coreml_compile_memory (data, size, &err);
  if (again == NULL)
    g_error ("compiling the export: %s", err.message);
  if (spec != NULL)
    *spec = ink_model_get_specification_version (again);
  free (data);
  return again;
}

/* Exporting the round-tripped model gives the same bytes again. */
static void
assert_stable_export (const InkModel *a, const InkModel *b)
{
  uint8_t *da = NULL, *db = NULL;
  size_t na = 0, nb = 0;
  InkError err = {0};

  ink_assert_ok (ink_coreml_export_memory (a, &da, &na, &err), &err);
  ink_assert_ok (ink_coreml_export_memory (b, &db, &nb, &err), &err);
  g_assert_cmpuint (na, ==, nb);
  g_assert_true (memcmp (da, db, na) == 0);
  free (da);
  free (db);
}

static InkFeatures *
predict (const InkModel *m, InkFeatures *in)
{
  InkFeatures *out = NULL;
  InkError err = {0};

  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  return out;
}

static InkFeatures *
one_input (const char *name, InkValue *v)
{
  InkFeatures *in = ink_features_new ();

  g_assert_nonnull (v);
  g_assert_cmpint (ink_features_set (in, name, v), ==, INK_OK);
  return in;
}

/* The values of a multi-array output as floats. */
static float *
output_floats (InkFeatures *out, const char *name, size_t *n)
{
  const InkValue *v = ink_features_get (out, name);
  float *f;

  g_assert_nonnull (v);
  g_assert_cmpint (ink_value_get_type (v), ==, INK_VALUE_MULTIARRAY);
  *n = ink_value_array_count (v);
  f = g_new (float, *n);
  for (size_t i = 0; i < *n; i++)
    f[i] = (float) ink_value_array_get (v, i);
  return f;
}

static void
assert_same_outputs (InkFeatures *a, InkFeatures *b, const char *name)
{
  const InkValue *va = ink_features_get (a, name), *vb = ink_features_get (b, name);

  g_assert_nonnull (va);
  g_assert_nonnull (vb);
  g_assert_cmpint (ink_value_get_type (va), ==, ink_value_get_type (vb));
  if (ink_value_get_type (va) == INK_VALUE_IMAGE) {
    size_t n = ink_value_image_stride (va) * (size_t) ink_value_image_height (va);
    g_assert_cmpint (ink_value_image_width (va), ==, ink_value_image_width (vb));
    g_assert_cmpint (ink_value_image_height (va), ==, ink_value_image_height (vb));
    g_assert_true (memcmp (ink_value_image_pixels (va), ink_value_image_pixels (vb), n) == 0);
  } else {
    g_assert_cmpuint (ink_value_array_count (va), ==, ink_value_array_count (vb));
    for (size_t i = 0; i < ink_value_array_count (va); i++)
      g_assert_cmpfloat (ink_value_array_get (va, i), ==, ink_value_array_get (vb, i));
  }
}

static void
assert_close_relative (const float *got, const double *want, size_t n, double tol)
{
  for (size_t i = 0; i < n; i++) {
    double scale = MAX (1.0, fabs (want[i]));
    if (!(fabs ((double) got[i] - want[i]) <= tol * scale))
      g_error ("element %zu differs: %.9g vs %.9g (tolerance %g x %g)", i, got[i], want[i], tol,
               scale);
  }
}

/* ---- The tiny drawing embedding ---- */

enum {
  DRAW_CIRCLE,
  DRAW_LINE,
  DRAW_NOISE,
  DRAW_BLANK
};

static InkValue *
drawing (int kind)
{
  guint8 px[28 * 28];
  GRand *r = g_rand_new_with_seed (7);

  for (int y = 0; y < 28; y++) {
    for (int x = 0; x < 28; x++) {
      double d = hypot (x - 13.5, y - 13.5);
      guint8 v = 0;
      switch (kind) {
      case DRAW_CIRCLE: v = fabs (d - 9.0) < 1.2 ? 255 : 0; break;
      case DRAW_LINE: v = abs (x - y) <= 1 ? 255 : 0; break;
      case DRAW_NOISE: v = (guint8) g_rand_int_range (r, 0, 256); break;
      default: break;
      }
      px[y * 28 + x] = v;
    }
  }
  g_rand_free (r);
  return ink_value_new_image (INK_PIXEL_GRAY8, 28, 28, 28, px);
}

/* conv 3x3 SAME + ReLU + maxpool 2x2, three times; flatten in H, W, C
 * order; innerProduct 576 -> 128; ReLU. */
static void
ref_drawing_embedding (const RefNet *net, const InkValue *image, double *embedding)
{
  static const size_t channels[4] = {1, 16, 32, 64};
  double *a = g_new0 (double, 16 * 28 * 28), *b = g_new0 (double, 16 * 28 * 28);
  size_t h = 28, w = 28;
  double flat[576];

  for (size_t i = 0; i < 28 * 28; i++)
    a[i] = ink_value_image_pixels (image)[i];
  for (int s = 0; s < 3; s++) {
    ref_conv3x3_same (a, channels[s], h, w, ref_weighted (net, (size_t) s), channels[s + 1], b);
    ref_relu (b, channels[s + 1] * h * w);
    ref_maxpool2 (b, channels[s + 1], h, w, a);
    h /= 2;
    w /= 2;
  }
  g_assert_cmpuint (h * w * 64, ==, 576);
  for (size_t c = 0; c < 64; c++) {
    for (size_t p = 0; p < h * w; p++)
      flat[p * 64 + c] = a[c * h * w + p];
  }
  ref_inner_product (flat, 576, ref_weighted (net, 3), 128, embedding);
  ref_relu (embedding, 128);
  g_free (a);
  g_free (b);
}

static void
test_tiny_drawing (void)
{
  g_autofree char *path = ink_test_fixture_path ("coreml/nn_tiny_drawing_embedding.mlmodel");
  InkModel *m, *again;
  RefNet net;
  int spec = 0;

  if (path == NULL)
    return;
  m = compile_fixture ("nn_tiny_drawing_embedding.mlmodel");
  ref_net_load (&net, path);
  g_assert_cmpuint (net.n, ==, 12);
  g_assert_cmpuint (m->body.nn->n_layers, ==, 12);
  again = round_trip (m, &spec);
  g_assert_cmpint (spec, ==, 1);
  for (int kind = DRAW_CIRCLE; kind <= DRAW_BLANK; kind++) {
    InkValue *image = drawing (kind);
    InkFeatures *in = one_input ("drawing", ink_value_copy (image));
    InkFeatures *out = predict (m, in), *out2 = predict (again, in);
    double want[128];
    size_t n;
    float *got = output_floats (out, "embedding", &n);
    g_assert_cmpuint (n, ==, 128);
    ref_drawing_embedding (&net, image, want);
    /* For 0..255 pixels the embedding reaches the thousands, where float32
     * is good to about 1e-4 (its rounding is ~4e-7 of the largest value
     * here): the tolerance is 1e-5 of the embedding's scale, and absolute
     * below 1 (the blank drawing). */
    {
      double scale = 1.0;
      for (size_t i = 0; i < n; i++)
        scale = MAX (scale, fabs (want[i]));
      for (size_t i = 0; i < n; i++) {
        if (!(fabs ((double) got[i] - want[i]) <= TOL * scale))
          g_error ("drawing %d, element %zu: %.9g vs %.9g (scale %g)", kind, i, got[i], want[i],
                   scale);
      }
    }
    assert_same_outputs (out, out2, "embedding");
    g_free (got);
    ink_features_free (out);
    ink_features_free (out2);
    ink_features_free (in);
    ink_value_free (image);
  }
  assert_stable_export (m, again);
  ref_net_clear (&net);
  ink_model_free (again);
  ink_model_free (m);
}

/* ---- Boston (13 -> 64 -> 32 -> 1) and the 1x1 linear network ---- */

/* The first rows of the Boston housing data shipped with the fixtures. */
static size_t
boston_rows (double rows[][13], size_t max)
{
  g_autofree char *path = ink_test_fixture_path ("coreml/data/boston_housing.txt");
  g_autofree char *text = NULL;
  char **lines;
  size_t n = 0;

  if (path == NULL)
    return 0;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (size_t i = 0; lines[i] != NULL && n < max; i++) {
    char *p = lines[i], *end;
    size_t k;
    for (k = 0; k < 13; k++, p = end) {
      rows[n][k] = g_ascii_strtod (p, &end);
      if (end == p)
        break;
    }
    if (k == 13)
      n++;
  }
  g_strfreev (lines);
  return n;
}

static void
check_update_parameter (const InkModel *m, const char *key, InkParamType type, double dflt,
                        bool has_range, double lo, double hi, size_t n_set)
{
  const InkUpdateParameter *p =
    ink_description_find_update_parameter (ink_model_get_description (m), key);

  g_assert_nonnull (p);
  g_assert_cmpint (p->type, ==, type);
  g_assert_cmpfloat_with_epsilon (p->default_value, dflt, 1e-12);
  g_assert_cmpint (p->has_range, ==, has_range);
  if (has_range) {
    g_assert_cmpfloat_with_epsilon (p->min, lo, 1e-12);
    g_assert_cmpfloat_with_epsilon (p->max, hi, 1e-12);
  }
  g_assert_cmpuint (p->n_set, ==, n_set);
}

static void
check_boston_training (const InkModel *m)
{
  const InkNetwork *nn = m->body.nn;

  g_assert_true (nn->has_loss);
  g_assert_cmpint (nn->loss_type, ==, INK_LOSS_MEAN_SQUARED_ERROR);
  g_assert_cmpstr (nn->loss_input, ==, "output");
  g_assert_cmpstr (nn->loss_target, ==, "output_true");
  g_assert_true (nn->has_optimizer);
  g_assert_cmpint (nn->optimizer, ==, INK_OPTIMIZER_SGD);
  g_assert_true (nn->layers[0].updatable);
  g_assert_false (nn->layers[1].updatable);
  g_assert_true (nn->layers[4].updatable);
  check_update_parameter (m, INK_PARAM_LEARNING_RATE, INK_PARAM_DOUBLE, 0.001, true, 0, 0.3, 0);
  check_update_parameter (m, INK_PARAM_MINI_BATCH_SIZE, INK_PARAM_INT64, 32, false, 0, 0, 1);
  check_update_parameter (m, INK_PARAM_MOMENTUM, INK_PARAM_DOUBLE, 0, true, 0, 1, 0);
  check_update_parameter (m, INK_PARAM_EPOCHS, INK_PARAM_INT64, 500, false, 0, 0, 1);
  check_update_parameter (m, INK_PARAM_SHUFFLE, INK_PARAM_BOOL, 1, false, 0, 0, 0);
  g_assert_null (
    ink_description_find_update_parameter (ink_model_get_description (m), INK_PARAM_SEED));
}

static void
test_boston (void)
{
  g_autofree char *path = ink_test_fixture_path ("coreml/nn_updatable_boston_mse.mlmodel");
  double rows[8][13];
  size_t n_rows;
  InkModel *m, *again;
  RefNet net;
  int spec = 0;

  if (path == NULL)
    return;
  n_rows = boston_rows (rows, 8);
  g_assert_cmpuint (n_rows, ==, 8);
  m = compile_fixture ("nn_updatable_boston_mse.mlmodel");
  ref_net_load (&net, path);
  check_boston_training (m);
  again = round_trip (m, &spec);
  g_assert_cmpint (spec, ==, 4);
  check_boston_training (again);
  for (size_t r = 0; r < n_rows; r++) {
    int64_t shape[1] = {13};
    float x[13];
    double in[13], h1[64], h2[32], want[1];
    InkFeatures *in_f, *out, *out2;
    float *got;
    size_t n;
    for (int k = 0; k < 13; k++) {
      x[k] = (float) rows[r][k];
      in[k] = x[k];
    }
    ref_inner_product (in, 13, ref_weighted (&net, 0), 64, h1);
    ref_relu (h1, 64);
    ref_inner_product (h1, 64, ref_weighted (&net, 1), 32, h2);
    ref_relu (h2, 32);
    ref_inner_product (h2, 32, ref_weighted (&net, 2), 1, want);
    in_f = one_input ("input", ink_test_array (1, shape, x));
    out = predict (m, in_f);
    out2 = predict (again, in_f);
    got = output_floats (out, "output", &n);
    g_assert_cmpuint (n, ==, 1);
    g_test_message ("Boston row %zu: %.9g (reference %.9g)", r, got[0], want[0]);
    assert_close_relative (got, want, 1, TOL);
    assert_same_outputs (out, out2, "output");
    g_free (got);
    ink_features_free (in_f);
    ink_features_free (out);
    ink_features_free (out2);
  }
  assert_stable_export (m, again);
  ref_net_clear (&net);
  ink_model_free (again);
  ink_model_free (m);
}

static void
test_linear1x1 (void)
{
  /* Weights as listed in SOURCES.md: w = 0.8645877, b = 2.0458913. */
  static const double xs[] = {-2.0, 0.0, 1.5, 10.0, 123.25};
  InkModel *m = compile_fixture ("nn_updatable_linear1x1_mse.mlmodel"), *again;
  int spec = 0;

  if (m == NULL)
    return;
  g_assert_true (m->body.nn->layers[0].updatable);
  check_update_parameter (m, INK_PARAM_LEARNING_RATE, INK_PARAM_DOUBLE, 0.03, true, 0, 1, 0);
  check_update_parameter (m, INK_PARAM_EPOCHS, INK_PARAM_INT64, 100, false, 0, 0, 1);
  again = round_trip (m, &spec);
  g_assert_cmpint (spec, ==, 4);
  for (size_t i = 0; i < G_N_ELEMENTS (xs); i++) {
    int64_t shape[1] = {1};
    InkValue *x = ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, shape, &xs[i]);
    InkFeatures *in = one_input ("dense_input", x), *out = predict (m, in),
                *out2 = predict (again, in);
    const InkValue *y = ink_features_get (out, "output");
    double want = 0.8645877 * xs[i] + 2.0458913;
    g_assert_nonnull (y);
    g_assert_cmpfloat (fabs (ink_value_array_get (y, 0) - want), <=, TOL * MAX (1.0, fabs (want)));
    assert_same_outputs (out, out2, "output");
    ink_features_free (in);
    ink_features_free (out);
    ink_features_free (out2);
  }
  assert_stable_export (m, again);
  ink_model_free (again);
  ink_model_free (m);
}

/* ---- SRCNN: deconvolution, flexible image sizes, an image output ---- */

static InkValue *
smooth_rgb (int width, int height)
{
  guint8 *px = g_new (guint8, (gsize) width * (gsize) height * 4);
  InkValue *v;

  for (int y = 0; y < height; y++) {
    for (int x = 0; x < width; x++) {
      guint8 *p = px + ((gsize) y * (gsize) width + (gsize) x) * 4;
      p[0] = (guint8) (128 + 100 * sin (x * 0.05) * cos (y * 0.07));
      p[1] = (guint8) (x * 255 / width);
      p[2] = (guint8) (y * 255 / height);
      p[3] = 255;
    }
  }
  v = ink_value_new_image (INK_PIXEL_RGBA8, width, height, (size_t) width * 4, px);
  g_free (px);
  return v;
}

static void
test_srcnn (void)
{
  InkModel *m = compile_fixture ("nn_srcnn_flexible_image_range.mlmodel"), *again;
  InkFeatures *in, *out, *out2, *in_big, *out_big;
  InkImageConstraint fixed = {.width = 200, .height = 200, .format = INK_PIXEL_RGBA8};
  const InkValue *x, *y;
  InkValue *big, *small = NULL;
  double diff = 0;
  int spec = 0, deconvs = 0;
  InkError err = {0};

  if (m == NULL)
    return;
  for (size_t i = 0; i < m->body.nn->n_layers; i++)
    deconvs += m->body.nn->layers[i].kind == INK_LAYER_DECONVOLUTION;
  g_assert_cmpint (deconvs, ==, 6);
  again = round_trip (m, &spec);
  g_assert_cmpint (spec, ==, 3);

  /* A 300x300 picture (which the 100..400 range allows) runs at the
   * default size: the same as converting it to 200x200 first. */
  big = smooth_rgb (300, 300);
  ink_assert_ok (ink_image_convert_value (big, &fixed, NULL, &small, &err), &err);
  in = one_input ("input1", small);
  in_big = one_input ("input1", big);
  out = predict (m, in);
  out_big = predict (m, in_big);
  assert_same_outputs (out, out_big, "output1");

  /* An RGB image out, close to the input for a smooth picture (the network
   * adds a learned residual to its input). */
  x = ink_features_get (in, "input1");
  y = ink_features_get (out, "output1");
  g_assert_nonnull (y);
  g_assert_cmpint (ink_value_get_type (y), ==, INK_VALUE_IMAGE);
  g_assert_cmpint (ink_value_image_format (y), ==, INK_PIXEL_RGBA8);
  g_assert_cmpint (ink_value_image_width (y), ==, 200);
  g_assert_cmpint (ink_value_image_height (y), ==, 200);
  for (size_t i = 0; i < 200 * 200 * 4; i += 4) {
    for (size_t c = 0; c < 3; c++)
      diff += fabs ((double) ink_value_image_pixels (y)[i + c] -
                    (double) ink_value_image_pixels (x)[i + c]);
  }
  g_test_message ("SRCNN mean absolute change on a smooth image: %.3f", diff / (200 * 200 * 3));
  g_assert_cmpfloat (diff / (200 * 200 * 3), <, 4.0);

  out2 = predict (again, in);
  assert_same_outputs (out, out2, "output1");
  assert_stable_export (m, again);

  ink_features_free (in);
  ink_features_free (out);
  ink_features_free (out2);
  ink_features_free (in_big);
  ink_features_free (out_big);
  ink_model_free (again);
  ink_model_free (m);
}

/* ---- rgb150: transpose and reshapeStatic under the exact mappings ---- */

static void
test_rgb150 (void)
{
  InkModel *m = compile_fixture ("nn_updatable_rgb150_conv_cce.mlmodel"), *again;
  const InkNetwork *nn;
  InkFeatures *in, *out, *out2;
  int spec = 0;
  size_t n;
  float *got;

  if (m == NULL)
    return;
  nn = m->body.nn;
  g_assert_true (nn->exact_array_mapping);
  g_assert_true (nn->rank4_image_mapping);
  g_assert_cmpint (nn->layers[12].kind, ==, INK_LAYER_TRANSPOSE);
  g_assert_cmpuint (nn->layers[12].p.transpose.axes[0], ==, 1);
  g_assert_cmpuint (nn->layers[12].p.transpose.axes[1], ==, 2);
  g_assert_cmpuint (nn->layers[12].p.transpose.axes[2], ==, 0);
  g_assert_cmpint (nn->layers[13].kind, ==, INK_LAYER_RESHAPE_STATIC);
  g_assert_cmpuint (nn->layers[13].p.reshape_static.rank, ==, 2);
  g_assert_cmpint (nn->layers[13].p.reshape_static.shape[0], ==, -1);
  g_assert_cmpint (nn->layers[13].p.reshape_static.shape[1], ==, 6272);
  g_assert_cmpint (nn->loss_type, ==, INK_LOSS_CATEGORICAL_CROSS_ENTROPY);
  g_assert_cmpstr (nn->scalers[0].feature_name, ==, "conv2d_input");
  g_assert_cmpfloat_with_epsilon (nn->scalers[0].scale, 1.0 / 255, 1e-9);
  again = round_trip (m, &spec);
  g_assert_cmpint (spec, ==, 4);
  g_assert_true (again->body.nn->exact_array_mapping);

  in = one_input ("conv2d_input", smooth_rgb (150, 150));
  out = predict (m, in);
  got = output_floats (out, "Identity", &n);
  g_assert_cmpuint (n, ==, 1);
  /* A sigmoid's output. */
  g_assert_cmpfloat (got[0], >=, 0.0f);
  g_assert_cmpfloat (got[0], <=, 1.0f);
  out2 = predict (again, in);
  assert_same_outputs (out, out2, "Identity");
  assert_stable_export (m, again);
  g_free (got);
  ink_features_free (in);
  ink_features_free (out);
  ink_features_free (out2);
  ink_model_free (again);
  ink_model_free (m);
}

/* The flatten before the dense layers is TensorFlow's (H, W, C) order: the
 * transpose + reshapeStatic pair equals a CHANNEL_LAST flatten. */
static void
test_rgb150_flatten_order (void)
{
  InkModel *m = compile_fixture ("nn_updatable_rgb150_conv_cce.mlmodel");
  const InkNetwork *nn;
  float *ws;
  InkFeatures *in;
  InkError err = {0};
  const InkBlob *pool, *flat;

  if (m == NULL)
    return;
  nn = m->body.nn;
  ws = g_new0 (float, nn->workspace_floats);
  in = one_input ("conv2d_input", smooth_rgb (150, 150));
  ink_assert_ok (ink_nn_forward (m, in, ws, false, &err), &err);
  pool = &nn->blobs[ink_nn_find_blob (nn, "max_pool_3")];
  flat = &nn->blobs[ink_nn_find_blob (nn, "model_1/flatten_1/Reshape")];
  g_assert_cmpuint (ink_shape_count (flat->shape), ==, 6272);
  for (size_t c = 0; c < pool->shape.c; c++) {
    for (size_t p = 0; p < pool->shape.h * pool->shape.w; p++)
      g_assert_cmpfloat (ws[flat->offset + p * pool->shape.c + c], ==,
                         ws[pool->offset + c * pool->shape.h * pool->shape.w + p]);
  }
  g_free (ws);
  ink_features_free (in);
  ink_model_free (m);
}

/* ---- Refused fixtures ---- */

static void
assert_refused (const char *name, InkStatus status, const char *const *fragments)
{
  g_autofree char *rel = g_strdup_printf ("coreml/%s", name);
  g_autofree char *path = ink_test_fixture_path (rel);
  InkError err = {0};

  if (path == NULL)
    return;
  g_assert_null (ink_coreml_compile_file (path, &err));
  g_test_message ("%s: %s", name, err.message);
  g_assert_cmpint (err.status, ==, status);
  for (size_t i = 0; fragments[i] != NULL; i++) {
    if (strstr (err.message, fragments[i]) == NULL)
      g_error ("'%s' is not in the error '%s'", fragments[i], err.message);
  }
}

static void
test_lstm_refused (void)
{
  const char *const fragments[] = {"getShape", "NeuralNetworkLayer field 1065",
                                   "sequential/lstm/Shape", NULL};

  assert_refused ("nn_updatable_lstm_controlflow_mse.mlmodel", INK_ERR_UNSUPPORTED, fragments);
}

/* ---- Networks built here with the protobuf writer ---- */

static void
put_sub (InkPbWriter *w, uint32_t number, InkPbWriter *sub)
{
  ink_pb_put_message (w, number, sub);
  ink_pb_writer_clear (sub);
}

/* FeatureDescription of a Float32 multi-array [n] (rank 1) or [c, h, w]. */
static void
put_array_feature (InkPbWriter *w, uint32_t number, const char *name, size_t rank,
                   const int64_t *shape)
{
  InkPbWriter fd, type, arr;

  ink_pb_writer_init (&fd);
  ink_pb_writer_init (&type);
  ink_pb_writer_init (&arr);
  ink_pb_put_string (&fd, 1, name);
  ink_pb_put_packed_int64s (&arr, 1, shape, rank);
  ink_pb_put_varint (&arr, 2, 65568);
  put_sub (&type, 5, &arr);
  put_sub (&fd, 3, &type);
  put_sub (w, number, &fd);
}

static void
put_image_feature (InkPbWriter *w, uint32_t number, const char *name, int size)
{
  InkPbWriter fd, type, img;

  ink_pb_writer_init (&fd);
  ink_pb_writer_init (&type);
  ink_pb_writer_init (&img);
  ink_pb_put_string (&fd, 1, name);
  ink_pb_put_varint (&img, 1, (uint64_t) size);
  ink_pb_put_varint (&img, 2, (uint64_t) size);
  ink_pb_put_varint (&img, 3, 10);
  put_sub (&type, 4, &img);
  put_sub (&fd, 3, &type);
  put_sub (w, number, &fd);
}

/* A layer: name, one or two inputs, an output (NULL for none) and the
 * kind's parameters (consumed). */
static void
put_layer (InkPbWriter *nn, const char *name, const char *in, const char *in2, const char *out,
           uint32_t kind, InkPbWriter *params)
{
  InkPbWriter l;

  ink_pb_writer_init (&l);
  ink_pb_put_string (&l, 1, name);
  ink_pb_put_string (&l, 2, in);
  if (in2 != NULL)
    ink_pb_put_string (&l, 2, in2);
  if (out != NULL)
    ink_pb_put_string (&l, 3, out);
  put_sub (&l, kind, params);
  put_sub (nn, 1, &l);
}

static void
put_float_weights (InkPbWriter *w, uint32_t number, const float *v, size_t n)
{
  InkPbWriter p;

  ink_pb_writer_init (&p);
  ink_pb_put_packed_floats (&p, 1, v, n);
  put_sub (w, number, &p);
}

/* A whole Model: specification version, a description with one input and
 * one output ("x" -> "y"), and the body under its Model.Type number. The
 * caller frees the bytes. */
static uint8_t *
make_model (int spec, uint32_t type, InkPbWriter *body, InkPbWriter *desc, size_t *size)
{
  InkPbWriter m;

  ink_pb_writer_init (&m);
  ink_pb_put_varint (&m, 1, (uint64_t) spec);
  put_sub (&m, 2, desc);
  put_sub (&m, type, body);
  g_assert_false (ink_pb_writer_failed (&m));
  *size = m.len;
  return m.buf;
}

static InkPbWriter
vector_desc (size_t n_in, size_t n_out)
{
  InkPbWriter d;
  int64_t a[1] = {(int64_t) n_in}, b[1] = {(int64_t) n_out};

  ink_pb_writer_init (&d);
  put_array_feature (&d, 1, "x", 1, a);
  put_array_feature (&d, 10, "y", 1, b);
  return d;
}

static InkModel *
compile_bytes (uint8_t *data, size_t size, InkError *err)
{
  InkModel *m = ink_coreml_compile_memory (data, size, err);

  free (data);
  return m;
}

static guint16
half_of (float f)
{
  /* Exact for the values used here (normal halves and one subnormal). */
  guint32 bits;
  int e;

  memcpy (&bits, &f, 4);
  if (f == 0.0f)
    return (guint16) (bits >> 16);
  e = (int) ((bits >> 23) & 0xff) - 127 + 15;
  if (e <= 0) /* subnormal: value / 2^-24 */
    return (guint16) (((bits >> 16) & 0x8000) | (guint16) lrintf (fabsf (f) * 16777216.0f));
  return (guint16) (((bits >> 16) & 0x8000) | (guint32) e << 10 | ((bits >> 13) & 0x3ff));
}

static void
put_half_weights (InkPbWriter *w, uint32_t number, const float *v, size_t n)
{
  InkPbWriter p;
  guint8 *bytes = g_new (guint8, n * 2);

  for (size_t i = 0; i < n; i++) {
    guint16 h = half_of (v[i]);
    g_assert_cmpfloat (ink_pb_half_to_float (h), ==, v[i]);
    bytes[2 * i] = (guint8) (h & 0xff);
    bytes[2 * i + 1] = (guint8) (h >> 8);
  }
  ink_pb_writer_init (&p);
  ink_pb_put_bytes (&p, 2, bytes, n * 2);
  put_sub (w, number, &p);
  g_free (bytes);
}

static void
test_float16_weights (void)
{
  const float w[6] = {0.5f, -1.25f, 2.0f, 3.0f, 5.9604645e-08f, -0.0078125f};
  const float b[2] = {0.25f, -4.0f};
  const float x[3] = {1.0f, 2.0f, -3.0f};
  InkPbWriter nn, ip, desc = vector_desc (3, 2);
  InkFeatures *in, *out;
  InkError err = {0};
  InkModel *m, *again;
  int64_t shape[1] = {3};
  size_t size, n;
  uint8_t *data;
  float *got;

  ink_pb_writer_init (&nn);
  ink_pb_writer_init (&ip);
  ink_pb_put_varint (&ip, 1, 3);
  ink_pb_put_varint (&ip, 2, 2);
  ink_pb_put_bool (&ip, 10, true);
  put_half_weights (&ip, 20, w, 6);
  put_half_weights (&ip, 21, b, 2);
  put_layer (&nn, "dense", "x", NULL, "y", 140, &ip);
  data = make_model (2, 500, &nn, &desc, &size);
  m = compile_bytes (data, size, &err);
  if (m == NULL)
    g_error ("%s", err.message);
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat (m->body.nn->layers[0].w[INK_W_WEIGHTS].data[i], ==, w[i]);
  in = one_input ("x", ink_test_array (1, shape, x));
  out = predict (m, in);
  got = output_floats (out, "y", &n);
  g_assert_cmpuint (n, ==, 2);
  for (int o = 0; o < 2; o++) {
    double want = b[o];
    for (int i = 0; i < 3; i++)
      want += (double) w[o * 3 + i] * x[i];
    g_assert_cmpfloat (fabs (got[o] - want), <=, TOL);
  }
  /* Written back as float32: the same network. */
  again = round_trip (m, NULL);
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat (again->body.nn->layers[0].w[INK_W_WEIGHTS].data[i], ==, w[i]);
  g_free (got);
  ink_features_free (in);
  ink_features_free (out);
  ink_model_free (again);
  ink_model_free (m);
}

/* A classifier (403) with string labels and a named probability blob, and
 * a regressor (303). */
static void
test_classifier_and_regressor (void)
{
  const float w[6] = {1, 0, 0, 1, -1, -1};
  const float x[2] = {0.5f, 2.0f};
  InkPbWriter nn, ip, sm, labels, desc;
  InkFeatures *in, *out, *out2;
  InkError err = {0};
  InkModel *m, *again;
  int64_t shape2[1] = {2};
  size_t size;
  uint8_t *data;
  const InkValue *label, *probs;
  double p[3], e[3], sum = 0;

  ink_pb_writer_init (&nn);
  ink_pb_writer_init (&ip);
  ink_pb_writer_init (&sm);
  ink_pb_writer_init (&labels);
  ink_pb_writer_init (&desc);
  ink_pb_put_varint (&ip, 1, 2);
  ink_pb_put_varint (&ip, 2, 3);
  put_float_weights (&ip, 20, w, 6);
  put_layer (&nn, "dense", "x", NULL, "scores", 140, &ip);
  put_layer (&nn, "softmax", "scores", NULL, "probs", 175, &sm);
  ink_pb_put_string (&labels, 1, "cat");
  ink_pb_put_string (&labels, 1, "dog");
  ink_pb_put_string (&labels, 1, "eel");
  put_sub (&nn, 100, &labels);
  ink_pb_put_string (&nn, 200, "probs");
  put_array_feature (&desc, 1, "x", 1, shape2);
  {
    InkPbWriter fd, type, dict, key;
    ink_pb_writer_init (&fd);
    ink_pb_writer_init (&type);
    ink_pb_writer_init (&dict);
    ink_pb_writer_init (&key);
    ink_pb_put_string (&fd, 1, "classProbability");
    put_sub (&dict, 2, &key);
    put_sub (&type, 6, &dict);
    put_sub (&fd, 3, &type);
    put_sub (&desc, 10, &fd);
    ink_pb_writer_init (&fd);
    ink_pb_writer_init (&type);
    ink_pb_writer_init (&key);
    ink_pb_put_string (&fd, 1, "label");
    put_sub (&type, 3, &key);
    put_sub (&fd, 3, &type);
    put_sub (&desc, 10, &fd);
  }
  ink_pb_put_string (&desc, 11, "label");
  ink_pb_put_string (&desc, 12, "classProbability");
  data = make_model (1, 403, &nn, &desc, &size);
  m = compile_bytes (data, size, &err);
  if (m == NULL)
    g_error ("%s", err.message);
  g_assert_cmpstr (m->body.nn->probability_blob, ==, "probs");
  in = one_input ("x", ink_test_array (1, shape2, x));
  out = predict (m, in);
  label = ink_features_get (out, "label");
  probs = ink_features_get (out, "classProbability");
  g_assert_nonnull (label);
  g_assert_nonnull (probs);
  e[0] = x[0];
  e[1] = x[1];
  e[2] = -x[0] - x[1];
  for (int i = 0; i < 3; i++)
    sum += exp (e[i]);
  g_assert_cmpstr (ink_value_get_string (label), ==, "dog");
  g_assert_true (ink_value_dictionary_lookup_string (probs, "cat", &p[0]));
  g_assert_true (ink_value_dictionary_lookup_string (probs, "dog", &p[1]));
  g_assert_true (ink_value_dictionary_lookup_string (probs, "eel", &p[2]));
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat (fabs (p[i] - exp (e[i]) / sum), <=, TOL);
  again = round_trip (m, NULL);
  g_assert_cmpint (ink_model_get_kind (again), ==, INK_MODEL_NEURAL_NETWORK_CLASSIFIER);
  out2 = predict (again, in);
  g_assert_cmpstr (ink_value_get_string (ink_features_get (out2, "label")), ==, "dog");
  assert_stable_export (m, again);
  ink_features_free (in);
  ink_features_free (out);
  ink_features_free (out2);
  ink_model_free (again);
  ink_model_free (m);

  /* The regressor: the last layer's output is the prediction. */
  ink_pb_writer_init (&nn);
  ink_pb_writer_init (&ip);
  ink_pb_put_varint (&ip, 1, 2);
  ink_pb_put_varint (&ip, 2, 1);
  put_float_weights (&ip, 20, w, 2);
  put_layer (&nn, "dense", "x", NULL, "y", 140, &ip);
  desc = vector_desc (2, 1);
  ink_pb_put_string (&desc, 11, "y");
  data = make_model (1, 303, &nn, &desc, &size);
  m = compile_bytes (data, size, &err);
  if (m == NULL)
    g_error ("%s", err.message);
  g_assert_cmpint (ink_model_get_kind (m), ==, INK_MODEL_NEURAL_NETWORK_REGRESSOR);
  in = one_input ("x", ink_test_array (1, shape2, x));
  out = predict (m, in);
  g_assert_cmpfloat (ink_value_array_get (ink_features_get (out, "y"), 0), ==, 0.5);
  again = round_trip (m, NULL);
  g_assert_cmpint (ink_model_get_kind (again), ==, INK_MODEL_NEURAL_NETWORK_REGRESSOR);
  ink_features_free (in);
  ink_features_free (out);
  ink_model_free (again);
  ink_model_free (m);
}

/* A scaler without a feature name applies to the only image input. */
static void
test_scaler_without_name (void)
{
  InkPbWriter nn, fl, pre, sc, desc;
  InkFeatures *in, *out;
  InkError err = {0};
  InkModel *m;
  int64_t out_shape[1] = {4};
  const guint8 px[4] = {0, 10, 20, 200};
  size_t size, n;
  uint8_t *data;
  float *got;

  ink_pb_writer_init (&nn);
  ink_pb_writer_init (&fl);
  ink_pb_writer_init (&pre);
  ink_pb_writer_init (&sc);
  ink_pb_writer_init (&desc);
  put_layer (&nn, "flat", "img", NULL, "y", 301, &fl);
  ink_pb_put_float (&sc, 10, 0.5f);
  ink_pb_put_float (&sc, 30, 1.0f);
  put_sub (&pre, 10, &sc);
  put_sub (&nn, 2, &pre);
  put_image_feature (&desc, 1, "img", 2);
  put_array_feature (&desc, 10, "y", 1, out_shape);
  data = make_model (1, 500, &nn, &desc, &size);
  m = compile_bytes (data, size, &err);
  if (m == NULL)
    g_error ("%s", err.message);
  g_assert_cmpstr (m->body.nn->scalers[0].feature_name, ==, "img");
  in = one_input ("img", ink_value_new_image (INK_PIXEL_GRAY8, 2, 2, 2, px));
  out = predict (m, in);
  got = output_floats (out, "y", &n);
  g_assert_cmpuint (n, ==, 4);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (got[i], ==, 0.5f * px[i] + 1.0f);
  g_free (got);
  ink_features_free (in);
  ink_features_free (out);
  ink_model_free (m);

  /* Two image inputs: the scaler cannot be placed. */
  ink_pb_writer_init (&nn);
  ink_pb_writer_init (&fl);
  ink_pb_writer_init (&pre);
  ink_pb_writer_init (&sc);
  ink_pb_writer_init (&desc);
  put_layer (&nn, "flat", "img", NULL, "y", 301, &fl);
  ink_pb_put_float (&sc, 10, 0.5f);
  put_sub (&pre, 10, &sc);
  put_sub (&nn, 2, &pre);
  put_image_feature (&desc, 1, "img", 2);
  put_image_feature (&desc, 1, "img2", 2);
  put_array_feature (&desc, 10, "y", 1, out_shape);
  data = make_model (1, 500, &nn, &desc, &size);
  g_assert_null (compile_bytes (data, size, &err));
  g_assert_cmpint (err.status, ==, INK_ERR_INVALID_MODEL);
  g_assert_nonnull (strstr (err.message, "2 image inputs"));
}

/* ---- Malformed and refused bodies ---- */

typedef void (*BodyFn) (InkPbWriter *nn);

/* Compiles a network "x" [1, 4, 4] -> "y" whose body fn writes, and
 * checks the error's status and a fragment of its message. */
static void
assert_body_error (BodyFn fn, InkStatus status, const char *fragment)
{
  InkPbWriter nn, desc;
  int64_t in_shape[3] = {1, 4, 4}, out_shape[1] = {1};
  InkError err = {0};
  size_t size;
  uint8_t *data;

  ink_pb_writer_init (&nn);
  ink_pb_writer_init (&desc);
  fn (&nn);
  put_array_feature (&desc, 1, "x", 3, in_shape);
  put_array_feature (&desc, 10, "y", 1, out_shape);
  data = make_model (4, 500, &nn, &desc, &size);
  g_assert_null (compile_bytes (data, size, &err));
  g_test_message ("%s", err.message);
  g_assert_cmpint (err.status, ==, status);
  if (strstr (err.message, fragment) == NULL)
    g_error ("'%s' is not in the error '%s'", fragment, err.message);
}

static void
body_layers_as_varint (InkPbWriter *nn)
{
  ink_pb_put_varint (nn, 1, 7);
}

static void
body_name_as_varint (InkPbWriter *nn)
{
  InkPbWriter l, sm;

  ink_pb_writer_init (&l);
  ink_pb_writer_init (&sm);
  ink_pb_put_varint (&l, 1, 3);
  put_sub (&l, 175, &sm);
  put_sub (nn, 1, &l);
}

static void
body_channels_as_bytes (InkPbWriter *nn)
{
  InkPbWriter ip;

  ink_pb_writer_init (&ip);
  ink_pb_put_string (&ip, 1, "sixteen");
  put_layer (nn, "dense", "x", NULL, "y", 140, &ip);
}

static void
body_truncated_layer (InkPbWriter *nn)
{
  /* Field 1 (layers), length 40, but only 3 bytes follow. */
  static const uint8_t bytes[] = {0x0a, 0x28, 0x0a, 0x01, 'a'};
  uint8_t *p = realloc (nn->buf, sizeof bytes);

  g_assert_nonnull (p);
  memcpy (p, bytes, sizeof bytes);
  nn->buf = p;
  nn->len = nn->cap = sizeof bytes;
}

static void
body_conv_weight_count (InkPbWriter *nn)
{
  InkPbWriter c;
  float w[8] = {0};

  ink_pb_writer_init (&c);
  ink_pb_put_varint (&c, 1, 1);
  ink_pb_put_varint (&c, 2, 1);
  put_float_weights (&c, 90, w, 8);
  put_layer (nn, "conv", "x", NULL, "y", 100, &c);
}

static void
body_no_output (InkPbWriter *nn)
{
  InkPbWriter sm;

  ink_pb_writer_init (&sm);
  put_layer (nn, "softmax", "x", NULL, NULL, 175, &sm);
}

static void
body_unknown_layer (InkPbWriter *nn)
{
  InkPbWriter p;

  ink_pb_writer_init (&p);
  put_layer (nn, "mystery", "x", NULL, "y", 9999, &p);
}

static void
body_lstm_layer (InkPbWriter *nn)
{
  InkPbWriter p;

  ink_pb_writer_init (&p);
  put_layer (nn, "rnn", "x", NULL, "y", 420, &p);
}

static void
body_quantized (InkPbWriter *nn)
{
  InkPbWriter ip, wp;
  const uint8_t raw[2] = {1, 2};

  ink_pb_writer_init (&ip);
  ink_pb_writer_init (&wp);
  ink_pb_put_varint (&ip, 1, 16);
  ink_pb_put_varint (&ip, 2, 1);
  ink_pb_put_bytes (&wp, 30, raw, 2);
  put_sub (&ip, 20, &wp);
  put_layer (nn, "dense", "x", NULL, "y", 140, &ip);
}

static void
body_elu (InkPbWriter *nn)
{
  InkPbWriter act, elu;

  ink_pb_writer_init (&act);
  ink_pb_writer_init (&elu);
  put_sub (&act, 50, &elu);
  put_layer (nn, "elu", "x", NULL, "y", 130, &act);
}

static void
body_l2_pool (InkPbWriter *nn)
{
  InkPbWriter p;

  ink_pb_writer_init (&p);
  ink_pb_put_varint (&p, 1, 2);
  put_layer (nn, "pool", "x", NULL, "y", 120, &p);
}

static void
body_transpose_batch (InkPbWriter *nn)
{
  InkPbWriter p;
  const int64_t axes[4] = {1, 0, 2, 3};

  ink_pb_writer_init (&p);
  ink_pb_put_packed_int64s (&p, 1, axes, 4);
  put_layer (nn, "swap", "x", NULL, "y", 985, &p);
}

static void
body_mean_image (InkPbWriter *nn)
{
  InkPbWriter pre, mean, sm;

  ink_pb_writer_init (&pre);
  ink_pb_writer_init (&mean);
  ink_pb_writer_init (&sm);
  ink_pb_put_string (&pre, 1, "x");
  put_sub (&pre, 11, &mean);
  put_sub (nn, 2, &pre);
  put_layer (nn, "softmax", "x", NULL, "y", 175, &sm);
}

static void
body_two_losses (InkPbWriter *nn)
{
  InkPbWriter sm, up;

  ink_pb_writer_init (&sm);
  ink_pb_writer_init (&up);
  put_layer (nn, "softmax", "x", NULL, "y", 175, &sm);
  for (int i = 0; i < 2; i++) {
    InkPbWriter loss, mse;
    ink_pb_writer_init (&loss);
    ink_pb_writer_init (&mse);
    ink_pb_put_string (&loss, 1, i == 0 ? "l1" : "l2");
    ink_pb_put_string (&mse, 1, "y");
    ink_pb_put_string (&mse, 2, "t");
    put_sub (&loss, 11, &mse);
    put_sub (&up, 1, &loss);
  }
  put_sub (nn, 10, &up);
}

static void
body_deconv_output_shape (InkPbWriter *nn)
{
  InkPbWriter c;
  float w[9] = {0};
  const int64_t shape[2] = {9, 9};

  ink_pb_writer_init (&c);
  ink_pb_put_varint (&c, 1, 1);
  ink_pb_put_varint (&c, 2, 1);
  ink_pb_put_bool (&c, 60, true);
  put_float_weights (&c, 90, w, 9);
  ink_pb_put_packed_int64s (&c, 100, shape, 2);
  put_layer (nn, "up", "x", NULL, "y", 100, &c);
}

static void
test_malformed_bodies (void)
{
  assert_body_error (body_layers_as_varint, INK_ERR_FORMAT, "NeuralNetwork.layers (field 1)");
  assert_body_error (body_name_as_varint, INK_ERR_FORMAT, "NeuralNetworkLayer.name (field 1)");
  assert_body_error (body_channels_as_bytes, INK_ERR_FORMAT,
                     "InnerProductLayerParams.inputChannels (field 1)");
  assert_body_error (body_truncated_layer, INK_ERR_FORMAT, "past the end");
  assert_body_error (body_conv_weight_count, INK_ERR_INVALID_MODEL,
                     "convolution layer 'conv': its weights hold 8 values, expected 9");
  assert_body_error (body_no_output, INK_ERR_INVALID_MODEL,
                     "softmax layer 'softmax' has no output");
}

static void
test_refused_bodies (void)
{
  assert_body_error (body_unknown_layer, INK_ERR_UNSUPPORTED,
                     "layer 'mystery' is an unknown layer type (NeuralNetworkLayer field 9999)");
  assert_body_error (body_lstm_layer, INK_ERR_UNSUPPORTED,
                     "layer 'rnn' is a uniDirectionalLSTM layer (NeuralNetworkLayer field 420)");
  assert_body_error (body_quantized, INK_ERR_UNSUPPORTED, "quantized weights in layer 'dense'");
  assert_body_error (body_elu, INK_ERR_UNSUPPORTED, "ELU activation (ActivationParams field 50)");
  assert_body_error (body_l2_pool, INK_ERR_UNSUPPORTED, "L2 pooling");
  assert_body_error (body_transpose_batch, INK_ERR_UNSUPPORTED, "axes [1, 0, 2, 3]");
  assert_body_error (body_mean_image, INK_ERR_UNSUPPORTED, "mean-image preprocessing");
  assert_body_error (body_two_losses, INK_ERR_UNSUPPORTED, "2 loss layers");
  assert_body_error (body_deconv_output_shape, INK_ERR_UNSUPPORTED, "9x9 output");
}

/* ---- The runtime's new layers against direct references ---- */

/* Deconvolution by its definition: each input pixel scatters its weighted
 * kernel into the full output, which is then cropped. */
static void
ref_deconv (const float *in, size_t c_in, size_t h, size_t w, const float *wt, const float *bias,
            size_t c_out, size_t groups, size_t k, size_t s, size_t crop_top, size_t crop_left,
            size_t oh, size_t ow, double *out)
{
  size_t icg = c_in / groups, ocg = c_out / groups;

  for (size_t o = 0; o < c_out * oh * ow; o++)
    out[o] = bias != NULL ? bias[o / (oh * ow)] : 0.0;
  for (size_t ic = 0; ic < c_in; ic++) {
    size_t g = ic / icg;
    for (size_t o = 0; o < ocg; o++) {
      for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
          for (size_t ky = 0; ky < k; ky++) {
            for (size_t kx = 0; kx < k; kx++) {
              long fy = (long) (y * s + ky) - (long) crop_top;
              long fx = (long) (x * s + kx) - (long) crop_left;
              if (fy < 0 || fx < 0 || fy >= (long) oh || fx >= (long) ow)
                continue;
              out[((g * ocg + o) * oh + (size_t) fy) * ow + (size_t) fx] +=
                (double) wt[((ic * ocg + o) * k + ky) * k + kx] * in[(ic * h + y) * w + x];
            }
          }
        }
      }
    }
  }
}

typedef struct {
  size_t c_in, c_out, groups, k, s, h, w;
  InkPaddingType pad;
  size_t top, bottom, left, right;
  InkSamePadding mode;
  size_t out_h, out_w, crop_top, crop_left; /* expected */
} DeconvCase;

static void
test_deconvolution_layer (void)
{
  const DeconvCase cases[] = {
    /* SAME, stride 1 and 2 (the odd cropped row goes at the bottom). */
    {2, 3, 1, 3, 1, 4, 5, INK_PAD_SAME, 0, 0, 0, 0, INK_SAME_BOTTOM_RIGHT_HEAVY, 4, 5, 1, 1},
    {2, 3, 1, 3, 2, 4, 5, INK_PAD_SAME, 0, 0, 0, 0, INK_SAME_BOTTOM_RIGHT_HEAVY, 8, 10, 0, 0},
    {2, 3, 1, 3, 2, 4, 5, INK_PAD_SAME, 0, 0, 0, 0, INK_SAME_TOP_LEFT_HEAVY, 8, 10, 1, 1},
    /* Stride larger than the kernel: nothing to crop, gaps hold the bias. */
    {1, 2, 1, 2, 3, 3, 2, INK_PAD_SAME, 0, 0, 0, 0, INK_SAME_BOTTOM_RIGHT_HEAVY, 9, 6, 0, 0},
    /* VALID: the full result, then explicit crops. */
    {4, 4, 2, 3, 2, 3, 3, INK_PAD_VALID, 0, 0, 0, 0, INK_SAME_BOTTOM_RIGHT_HEAVY, 7, 7, 0, 0},
    {4, 2, 2, 4, 2, 3, 4, INK_PAD_VALID, 1, 2, 0, 1, INK_SAME_BOTTOM_RIGHT_HEAVY, 5, 9, 1, 0},
  };

  for (size_t t = 0; t < G_N_ELEMENTS (cases); t++) {
    const DeconvCase *c = &cases[t];
    size_t n_w = c->c_in * (c->c_out / c->groups) * c->k * c->k;
    size_t n_in = c->c_in * c->h * c->w, n_out = c->c_out * c->out_h * c->out_w;
    float *wt = g_new (float, n_w), *bias = g_new (float, c->c_out), *x = g_new (float, n_in);
    double *want = g_new (double, n_out);
    const char *ins[1] = {"x"}, *outs[1] = {"y"};
    int64_t in_shape[3] = {(int64_t) c->c_in, (int64_t) c->h, (int64_t) c->w};
    InkFeatureType tin = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 3, in_shape);
    InkFeatureType tout = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 0, NULL);
    InkLayerSpec spec = {.name = "up",
                         .kind = INK_LAYER_DECONVOLUTION,
                         .inputs = ins,
                         .n_inputs = 1,
                         .outputs = outs,
                         .n_outputs = 1};
    InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK), *again, *loaded;
    g_autofree char *dir = ink_test_tmpdir_new ();
    g_autofree char *file = g_build_filename (dir, "d.inkmodel", NULL);
    InkFeatures *in, *out, *out2, *out3;
    InkError err = {0};
    size_t n;
    float *got;

    ink_test_fill_random (wt, n_w, (guint32) t + 1, -1, 1);
    ink_test_fill_random (bias, c->c_out, (guint32) t + 100, -1, 1);
    ink_test_fill_random (x, n_in, (guint32) t + 200, -2, 2);
    spec.params.convolution = (InkConvolutionParams){
      .out_channels = c->c_out,
      .kernel_channels = c->c_in,
      .groups = c->groups,
      .kernel_h = c->k,
      .kernel_w = c->k,
      .stride_h = c->s,
      .stride_w = c->s,
      .padding = {c->pad, c->top, c->bottom, c->left, c->right, c->mode},
      .has_bias = true,
      .weights = wt,
      .bias = bias,
    };
    ink_assert_ok (ink_model_add_input (m, "x", &tin, "", &err), &err);
    ink_assert_ok (ink_model_add_output (m, "y", &tout, "", &err), &err);
    ink_assert_ok (ink_nn_add_layer (m, &spec, &err), &err);
    ink_assert_ok (ink_model_finish (m, &err), &err);
    in = one_input ("x", ink_test_array (3, in_shape, x));
    out = predict (m, in);
    got = output_floats (out, "y", &n);
    g_assert_cmpuint (n, ==, n_out);
    ref_deconv (x, c->c_in, c->h, c->w, wt, bias, c->c_out, c->groups, c->k, c->s, c->crop_top,
                c->crop_left, c->out_h, c->out_w, want);
    assert_close_relative (got, want, n, TOL);
    g_assert_cmpuint (m->body.nn->blobs[1].shape.h, ==, c->out_h);
    g_assert_cmpuint (m->body.nn->blobs[1].shape.w, ==, c->out_w);
    /* Through Core ML and back, then through an .inkmodel file. */
    again = round_trip (m, NULL);
    out2 = predict (again, in);
    assert_same_outputs (out, out2, "y");
    ink_assert_ok (ink_model_save (again, file, &err), &err);
    loaded = ink_model_load (file, &err);
    g_assert_nonnull (loaded);
    out3 = predict (loaded, in);
    assert_same_outputs (out, out3, "y");
    ink_features_free (out3);
    ink_model_free (loaded);
    ink_test_tmpdir_free (g_steal_pointer (&dir));
    g_free (got);
    g_free (wt);
    g_free (bias);
    g_free (x);
    g_free (want);
    ink_features_free (in);
    ink_features_free (out);
    ink_features_free (out2);
    ink_model_free (again);
    ink_model_free (m);
  }
}

/* transpose then reshapeStatic, against index arithmetic; the .inkmodel
 * JSON keeps them. */
static void
test_transpose_reshape_static (void)
{
  const size_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  const size_t dims[3] = {2, 3, 4};
  float x[24];

  ink_test_fill_random (x, 24, 5, -1, 1);
  for (size_t t = 0; t < 6; t++) {
    const char *ins[1] = {"x"}, *mid[1] = {"t"}, *outs[1] = {"y"};
    int64_t in_shape[3] = {2, 3, 4};
    InkFeatureType tin = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 3, in_shape);
    InkFeatureType tout = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 0, NULL);
    InkLayerSpec tr = {.name = "tr",
                       .kind = INK_LAYER_TRANSPOSE,
                       .inputs = ins,
                       .n_inputs = 1,
                       .outputs = mid,
                       .n_outputs = 1};
    InkLayerSpec rs = {.name = "rs",
                       .kind = INK_LAYER_RESHAPE_STATIC,
                       .inputs = mid,
                       .n_inputs = 1,
                       .outputs = outs,
                       .n_outputs = 1};
    InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK), *again, *loaded;
    g_autofree char *dir = ink_test_tmpdir_new ();
    g_autofree char *file = g_build_filename (dir, "t.inkmodel", NULL);
    InkFeatures *in, *out, *out2, *out3;
    const InkNetwork *nn;
    InkError err = {0};
    size_t n, od[3];
    float *got;

    memcpy (tr.params.transpose.axes, perms[t], sizeof perms[t]);
    rs.params.reshape_static = (InkReshapeStaticParams){3, {1, -1, 2}};
    ink_assert_ok (ink_model_add_input (m, "x", &tin, "", &err), &err);
    ink_assert_ok (ink_model_add_output (m, "y", &tout, "", &err), &err);
    ink_assert_ok (ink_nn_add_layer (m, &tr, &err), &err);
    ink_assert_ok (ink_nn_add_layer (m, &rs, &err), &err);
    ink_assert_ok (ink_model_finish (m, &err), &err);
    nn = m->body.nn;
    for (int i = 0; i < 3; i++)
      od[i] = dims[perms[t][i]];
    g_assert_cmpuint (nn->blobs[1].shape.c, ==, od[0]);
    g_assert_cmpuint (nn->blobs[1].shape.h, ==, od[1]);
    g_assert_cmpuint (nn->blobs[1].shape.w, ==, od[2]);
    g_assert_cmpuint (nn->blobs[2].shape.c, ==, 1);
    g_assert_cmpuint (nn->blobs[2].shape.h, ==, 12);
    g_assert_cmpuint (nn->blobs[2].shape.w, ==, 2);
    in = one_input ("x", ink_test_array (3, in_shape, x));
    out = predict (m, in);
    got = output_floats (out, "y", &n);
    g_assert_cmpuint (n, ==, 24);
    for (size_t i = 0; i < od[0]; i++) {
      for (size_t j = 0; j < od[1]; j++) {
        for (size_t k = 0; k < od[2]; k++) {
          size_t idx[3] = {0, 0, 0};
          idx[perms[t][0]] = i;
          idx[perms[t][1]] = j;
          idx[perms[t][2]] = k;
          g_assert_cmpfloat (got[(i * od[1] + j) * od[2] + k], ==,
                             x[(idx[0] * 3 + idx[1]) * 4 + idx[2]]);
        }
      }
    }
    again = round_trip (m, NULL);
    g_assert_true (again->body.nn->exact_array_mapping);
    out2 = predict (again, in);
    assert_same_outputs (out, out2, "y");
    ink_assert_ok (ink_model_save (again, file, &err), &err);
    loaded = ink_model_load (file, &err);
    g_assert_nonnull (loaded);
    g_assert_true (loaded->body.nn->rank4_image_mapping);
    out3 = predict (loaded, in);
    assert_same_outputs (out, out3, "y");
    g_free (got);
    ink_features_free (in);
    ink_features_free (out);
    ink_features_free (out2);
    ink_features_free (out3);
    ink_model_free (loaded);
    ink_model_free (again);
    ink_model_free (m);
    ink_test_tmpdir_free (g_steal_pointer (&dir));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/coreml-nn/fixtures/tiny-drawing", test_tiny_drawing);
  g_test_add_func ("/engine/coreml-nn/fixtures/boston", test_boston);
  g_test_add_func ("/engine/coreml-nn/fixtures/linear1x1", test_linear1x1);
  g_test_add_func ("/engine/coreml-nn/fixtures/srcnn", test_srcnn);
  g_test_add_func ("/engine/coreml-nn/fixtures/rgb150", test_rgb150);
  g_test_add_func ("/engine/coreml-nn/fixtures/rgb150-flatten-order", test_rgb150_flatten_order);
  g_test_add_func ("/engine/coreml-nn/fixtures/lstm-refused", test_lstm_refused);
  g_test_add_func ("/engine/coreml-nn/built/float16", test_float16_weights);
  g_test_add_func ("/engine/coreml-nn/built/classifier-regressor", test_classifier_and_regressor);
  g_test_add_func ("/engine/coreml-nn/built/scaler-without-name", test_scaler_without_name);
  g_test_add_func ("/engine/coreml-nn/errors/malformed", test_malformed_bodies);
  g_test_add_func ("/engine/coreml-nn/errors/refused", test_refused_bodies);
  g_test_add_func ("/engine/coreml-nn/runtime/deconvolution", test_deconvolution_layer);
  g_test_add_func ("/engine/coreml-nn/runtime/transpose-reshape-static",
                   test_transpose_reshape_static);
  return g_test_run ();
}

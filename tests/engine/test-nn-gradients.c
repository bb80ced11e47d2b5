/* test-nn-gradients.c: every layer's backward pass against finite differences
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "ink-nn-backward-private.h"
#include "test-util.h"

/* Each test builds a small network with the builder API, runs it forward
 * and takes the objective L = sum_i r_i * y_i over its blob "y", with fixed
 * random r (so dL/dy = r). Backpropagating r through the layers, last to
 * first, with ink_nn_layer_backward gives dL/dx for every network input and
 * dL/dw for every weight; each is compared with the central difference
 * (L(v + eps) - L(v - eps)) / 2 eps, to a relative tolerance of 1e-2 of
 * max(|analytic|, |numeric|, 1e-2). eps is 1e-2: the forward pass runs in
 * float32, whose rounding of L (about 1e-7 of it) a smaller step would
 * magnify past the tolerance. Inputs of ReLU and max pooling are kept
 * further than eps from their kinks.
 *
 * Each layer is then called alone on arrays holding other values, to check
 * that it adds (twice gives twice the derivative), skips NULL arrays and
 * leaves the workspace alone. Its scratch is exactly the size
 * ink_nn_layer_backward_scratch reports, filled with NaN. */

#define MAX_INPUTS 4
#define EPS 1e-2f
#define RTOL 1e-2
#define FLOOR 1e-2

typedef struct {
  size_t c, h, w;
} Shape;

typedef struct {
  InkModel *m;
  size_t n_inputs;
  char *names[MAX_INPUTS];
  Shape shapes[MAX_INPUTS];
  float *x[MAX_INPUTS];
  float eps;
} Net;

static size_t
shape_count (Shape s)
{
  return s.c * s.h * s.w;
}

/* ---- Data ---- */

static float *
random_floats (size_t n, guint32 seed, float lo, float hi)
{
  float *v = g_new (float, n);

  ink_test_fill_random (v, n, seed, lo, hi);
  return v;
}

/* Distinct values at least 0.05 apart, shuffled: every max-pooling window
 * has a clear winner. */
static float *
distinct_floats (size_t n, guint32 seed)
{
  float *v = g_new (float, n);
  GRand *r = g_rand_new_with_seed (seed);

  for (size_t i = 0; i < n; i++)
    v[i] = ((float) i - (float) n / 2.0f) * 0.05f;
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t) g_rand_int_range (r, 0, (gint32) i);
    float t = v[i - 1];
    v[i - 1] = v[j];
    v[j] = t;
  }
  g_rand_free (r);
  return v;
}

/* Random magnitudes in [0.05, 1] with random signs: no value near 0. */
static float *
away_from_zero (size_t n, guint32 seed)
{
  float *v = random_floats (n, seed, 0.05f, 1.0f);
  GRand *r = g_rand_new_with_seed (seed + 1);

  for (size_t i = 0; i < n; i++)
    v[i] = g_rand_boolean (r) ? v[i] : -v[i];
  g_rand_free (r);
  return v;
}

/* ---- Building ---- */

static Net *
net_new (void)
{
  Net *t = g_new0 (Net, 1);

  t->m = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  g_assert_nonnull (t->m);
  t->eps = EPS;
  return t;
}

/* A multi-array input holding data (taken over); rank 1 [C] when
 * H = W = 1, else rank 3. */
static void
net_input (Net *t, const char *name, Shape s, float *data)
{
  int64_t dims[3] = {(int64_t) s.c, (int64_t) s.h, (int64_t) s.w};
  InkFeatureType type =
    ink_feature_type_multiarray (INK_ARRAY_FLOAT32, s.h == 1 && s.w == 1 ? 1 : 3, dims);
  InkError err;

  g_assert_cmpuint (t->n_inputs, <, MAX_INPUTS);
  ink_assert_ok (ink_model_add_input (t->m, name, &type, "", &err), &err);
  t->names[t->n_inputs] = g_strdup (name);
  t->shapes[t->n_inputs] = s;
  t->x[t->n_inputs++] = data;
}

static void
net_random_input (Net *t, const char *name, Shape s, guint32 seed)
{
  net_input (t, name, s, random_floats (shape_count (s), seed, -1.0f, 1.0f));
}

/* ins: NULL-terminated blob names. The layer is named after its output
 * unless the spec has a name. */
static void
net_layer (Net *t, InkLayerSpec spec, const char *const *ins, const char *out)
{
  const char *outs[1] = {out};
  InkError err;

  spec.inputs = ins;
  for (spec.n_inputs = 0; ins[spec.n_inputs] != NULL;)
    spec.n_inputs++;
  spec.outputs = outs;
  spec.n_outputs = 1;
  if (spec.name == NULL)
    spec.name = out;
  ink_assert_ok (ink_nn_add_layer (t->m, &spec, &err), &err);
}

#define INS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void
net_free (Net *t)
{
  for (size_t i = 0; i < t->n_inputs; i++) {
    g_free (t->names[i]);
    g_free (t->x[i]);
  }
  ink_model_free (t->m);
  g_free (t);
}

/* ---- Running ---- */

static void
forward (Net *t, float *ws)
{
  InkFeatures *f = ink_features_new ();
  InkError err;

  for (size_t i = 0; i < t->n_inputs; i++) {
    Shape s = t->shapes[i];
    int64_t dims[3] = {(int64_t) s.c, (int64_t) s.h, (int64_t) s.w};
    InkValue *v = ink_test_array (s.h == 1 && s.w == 1 ? 1 : 3, dims, t->x[i]);
    g_assert_cmpint (ink_features_set (f, t->names[i], v), ==, INK_OK);
  }
  ink_assert_ok (ink_nn_forward (t->m, f, ws, false, &err), &err);
  ink_features_free (f);
}

static double
objective (Net *t, float *ws, const InkBlob *y, const float *r)
{
  double sum = 0.0;

  forward (t, ws);
  for (size_t i = 0; i < ink_shape_count (y->shape); i++)
    sum += (double) r[i] * (double) ws[y->offset + i];
  return sum;
}

static bool
slot_trained (const InkLayer *l, int s)
{
  if (l->w[s].data == NULL)
    return false;
  return l->kind != INK_LAYER_BATCHNORM || s == INK_W_GAMMA || s == INK_W_BETA;
}

/* Calls the layer's backward with a scratch area of exactly the reported
 * size, full of NaN, and checks that the workspace is left as it was. */
static void
backward (const InkNetwork *nn, const InkLayer *l, const float *ws, const float *d_out,
          float *const *d_in, float *const *d_w)
{
  size_t n_scratch = ink_nn_layer_backward_scratch (nn, l);
  float *scratch = n_scratch > 0 ? g_new (float, n_scratch) : NULL;
  float *before = g_memdup2 (ws, nn->scratch_offset * sizeof *ws);

  for (size_t i = 0; i < n_scratch; i++)
    scratch[i] = NAN;
  ink_nn_layer_backward (nn, l, ws, d_out, d_in, d_w, scratch);
  g_assert_true (memcmp (before, ws, nn->scratch_offset * sizeof *ws) == 0);
  g_free (before);
  g_free (scratch);
}

/* ---- Comparing ---- */

static void
expect_gradient (const char *what, size_t i, double analytic, double numeric, double *worst)
{
  double scale = fmax (fmax (fabs (analytic), fabs (numeric)), FLOOR);
  double ratio = fabs (analytic - numeric) / (RTOL * scale);

  if (!(ratio <= 1.0))
    g_error ("%s[%zu]: backward gives %.7g, finite differences %.7g", what, i, analytic, numeric);
  *worst = fmax (*worst, ratio);
}

/* The derivative arrays of one layer call: per input, per weight slot. */
typedef struct {
  size_t n_in;
  float *in[MAX_INPUTS];
  size_t in_n[MAX_INPUTS];
  float *w[INK_W_SLOTS];
  size_t w_n[INK_W_SLOTS];
} Grads;

/* fill: 0 for zeros, else a seed for random values in [-1, 1). */
static Grads
grads_new (const InkNetwork *nn, const InkLayer *l, guint32 fill)
{
  Grads g = {0};

  g_assert_cmpuint (l->n_inputs, <=, MAX_INPUTS);
  g.n_in = l->n_inputs;
  for (size_t k = 0; k < l->n_inputs; k++) {
    g.in_n[k] = ink_shape_count (nn->blobs[l->in_blobs[k]].shape);
    g.in[k] = fill == 0 ? g_new0 (float, g.in_n[k])
                        : random_floats (g.in_n[k], fill + (guint32) k, -1.0f, 1.0f);
  }
  for (int s = 0; s < INK_W_SLOTS; s++) {
    if (!slot_trained (l, s))
      continue;
    g.w_n[s] = l->w[s].count;
    g.w[s] = fill == 0 ? g_new0 (float, g.w_n[s])
                       : random_floats (g.w_n[s], fill + 100 + (guint32) s, -1.0f, 1.0f);
  }
  return g;
}

static void
grads_free (Grads *g)
{
  for (size_t k = 0; k < g->n_in; k++)
    g_free (g->in[k]);
  for (int s = 0; s < INK_W_SLOTS; s++)
    g_free (g->w[s]);
}

/* Asserts got == base + times * ref (ref NULL: got == base exactly). */
static void
expect_added (const char *what, const float *got, const float *base, const float *ref, double times,
              size_t n)
{
  for (size_t i = 0; i < n; i++) {
    double want = (double) base[i] + (ref != NULL ? times * (double) ref[i] : 0.0);
    double tol = ref != NULL ? 1e-5 * (1.0 + fabs (want)) : 0.0;
    if (!(fabs ((double) got[i] - want) <= tol))
      g_error ("%s[%zu] is %.9g, expected %.9g", what, i, got[i], want);
  }
}

/* Checks that a layer adds into its arrays and skips NULL ones. */
static void
check_layer_calls (const InkNetwork *nn, const InkLayer *l, const float *ws, const float *d_out)
{
  const guint32 seed = 77;
  Grads ref = grads_new (nn, l, 0);
  Grads base = grads_new (nn, l, seed);
  Grads g;
  float *some_in[MAX_INPUTS] = {NULL};
  float *no_w[INK_W_SLOTS] = {NULL};

  backward (nn, l, ws, d_out, ref.in, ref.w);

  /* Added onto what the arrays held, once and then twice. */
  g = grads_new (nn, l, seed);
  for (int times = 1; times <= 2; times++) {
    backward (nn, l, ws, d_out, g.in, g.w);
    for (size_t k = 0; k < g.n_in; k++)
      expect_added ("d_in", g.in[k], base.in[k], ref.in[k], times, g.in_n[k]);
    for (int s = 0; s < INK_W_SLOTS; s++) {
      if (g.w[s] != NULL)
        expect_added ("d_w", g.w[s], base.w[s], ref.w[s], times, g.w_n[s]);
    }
  }
  grads_free (&g);

  /* No input arrays at all: the weights' derivatives alone. */
  g = grads_new (nn, l, seed);
  backward (nn, l, ws, d_out, NULL, g.w);
  for (int s = 0; s < INK_W_SLOTS; s++) {
    if (g.w[s] != NULL)
      expect_added ("d_w without d_in", g.w[s], base.w[s], ref.w[s], 1, g.w_n[s]);
  }
  grads_free (&g);

  /* No weight arrays; every other input's array NULL. */
  g = grads_new (nn, l, seed);
  backward (nn, l, ws, d_out, g.in, NULL);
  for (size_t k = 0; k < g.n_in; k++)
    expect_added ("d_in without d_w", g.in[k], base.in[k], ref.in[k], 1, g.in_n[k]);
  for (size_t k = 1; k < g.n_in; k += 2)
    some_in[k] = g.in[k];
  backward (nn, l, ws, d_out, some_in, no_w);
  for (size_t k = 0; k < g.n_in; k++)
    expect_added ("d_in with some NULL", g.in[k], base.in[k], ref.in[k], k % 2 == 1 ? 2 : 1,
                  g.in_n[k]);
  for (int s = 0; s < INK_W_SLOTS; s++) {
    if (g.w[s] != NULL)
      expect_added ("d_w left alone", g.w[s], base.w[s], NULL, 0, g.w_n[s]);
  }
  grads_free (&g);

  grads_free (&base);
  grads_free (&ref);
}

/* Finishes the network and checks every derivative of L over "y". */
static void
net_check (Net *t)
{
  InkNetwork *nn;
  InkError err;
  const InkBlob *y;
  float *ws, *ws_fd, *r;
  float **blob_grads;
  Grads *layer_grads;
  double worst = 0.0;
  int yb;
  InkFeatureType any = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 0, NULL);

  ink_assert_ok (ink_model_add_output (t->m, "y", &any, "", &err), &err);
  ink_assert_ok (ink_model_finish (t->m, &err), &err);
  nn = t->m->body.nn;
  yb = ink_nn_find_blob (nn, "y");
  g_assert_cmpint (yb, >=, 0);
  y = &nn->blobs[yb];
  ws = g_new (float, nn->workspace_floats);
  ws_fd = g_new (float, nn->workspace_floats);
  r = random_floats (ink_shape_count (y->shape), 5, -1.0f, 1.0f);
  forward (t, ws);

  /* Backpropagation: every blob's derivative, summed over its readers. */
  blob_grads = g_new0 (float *, nn->n_blobs);
  for (size_t b = 0; b < nn->n_blobs; b++)
    blob_grads[b] = g_new0 (float, ink_shape_count (nn->blobs[b].shape));
  memcpy (blob_grads[yb], r, ink_shape_count (y->shape) * sizeof *r);
  layer_grads = g_new0 (Grads, nn->n_layers);
  for (size_t li = nn->n_layers; li-- > 0;) {
    const InkLayer *l = &nn->layers[li];
    float *d_in[MAX_INPUTS] = {NULL};
    layer_grads[li] = grads_new (nn, l, 0);
    for (size_t k = 0; k < l->n_inputs; k++)
      d_in[k] = blob_grads[l->in_blobs[k]];
    backward (nn, l, ws, blob_grads[l->out_blob], d_in, layer_grads[li].w);
  }

  /* Each network input, then each trained weight, against L's differences. */
  for (size_t i = 0; i < t->n_inputs; i++) {
    const float *analytic = blob_grads[ink_nn_find_blob (nn, t->names[i])];
    g_autofree char *what = g_strdup_printf ("d %s", t->names[i]);
    for (size_t e = 0; e < shape_count (t->shapes[i]); e++) {
      float v = t->x[i][e];
      double up, down;
      t->x[i][e] = v + t->eps;
      up = objective (t, ws_fd, y, r);
      t->x[i][e] = v - t->eps;
      down = objective (t, ws_fd, y, r);
      t->x[i][e] = v;
      expect_gradient (what, e, analytic[e], (up - down) / (2.0 * t->eps), &worst);
    }
  }
  for (size_t li = 0; li < nn->n_layers; li++) {
    InkLayer *l = &nn->layers[li];
    for (int s = 0; s < INK_W_SLOTS; s++) {
      g_autofree char *what = g_strdup_printf ("d %s.w[%d]", l->name, s);
      if (!slot_trained (l, s))
        continue;
      for (size_t e = 0; e < l->w[s].count; e++) {
        float v = l->w[s].data[e];
        double up, down;
        l->w[s].data[e] = v + t->eps;
        up = objective (t, ws_fd, y, r);
        l->w[s].data[e] = v - t->eps;
        down = objective (t, ws_fd, y, r);
        l->w[s].data[e] = v;
        expect_gradient (what, e, layer_grads[li].w[s][e], (up - down) / (2.0 * t->eps), &worst);
      }
    }
  }
  g_test_message ("worst error: %.3f of the tolerance", worst);

  for (size_t li = 0; li < nn->n_layers; li++)
    check_layer_calls (nn, &nn->layers[li], ws, blob_grads[nn->layers[li].out_blob]);

  for (size_t li = 0; li < nn->n_layers; li++)
    grads_free (&layer_grads[li]);
  g_free (layer_grads);
  for (size_t b = 0; b < nn->n_blobs; b++)
    g_free (blob_grads[b]);
  g_free (blob_grads);
  g_free (r);
  g_free (ws_fd);
  g_free (ws);
  net_free (t);
}

/* ---- Convolution and deconvolution ---- */

typedef struct {
  const char *name;
  Shape in;
  size_t out_c, groups, kh, kw, sh, sw, dh, dw;
  InkPaddingType pad;
  size_t top, bottom, left, right;
  InkSamePadding same;
  bool bias;
  size_t out_h, out_w; /* deconvolution's output shape, or 0 */
} ConvCase;

#define PV INK_PAD_VALID
#define PS INK_PAD_SAME
#define BRH INK_SAME_BOTTOM_RIGHT_HEAVY
#define TLH INK_SAME_TOP_LEFT_HEAVY

static const ConvCase conv_cases[] = {
  {"valid-3x3", {2, 5, 6}, 3, 1, 3, 3, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, true, 0, 0},
  {"valid-asymmetric-pads", {2, 7, 5}, 2, 1, 3, 2, 1, 1, 1, 1, PV, 1, 2, 0, 1, BRH, true, 0, 0},
  {"valid-stride-2-odd", {3, 7, 9}, 4, 1, 3, 3, 2, 2, 1, 1, PV, 0, 0, 0, 0, BRH, false, 0, 0},
  {"valid-stride-3-padded", {2, 8, 7}, 3, 1, 2, 3, 3, 2, 1, 1, PV, 1, 1, 2, 0, BRH, true, 0, 0},
  {"same-stride-2x3", {2, 7, 8}, 3, 1, 3, 3, 2, 3, 1, 1, PS, 0, 0, 0, 0, BRH, true, 0, 0},
  {"same-even-kernel-top-left", {2, 6, 5}, 2, 1, 4, 2, 1, 1, 1, 1, PS, 0, 0, 0, 0, TLH, true, 0, 0},
  {"same-5x5-stride-2-odd", {1, 9, 9}, 2, 1, 5, 5, 2, 2, 1, 1, PS, 0, 0, 0, 0, BRH, false, 0, 0},
  {"groups-2", {4, 5, 5}, 6, 2, 3, 3, 1, 1, 1, 1, PS, 0, 0, 0, 0, BRH, true, 0, 0},
  {"depthwise-stride-2", {4, 6, 6}, 4, 4, 3, 3, 2, 2, 1, 1, PV, 1, 1, 1, 1, BRH, true, 0, 0},
  {"dilation-2", {2, 9, 8}, 3, 1, 3, 3, 1, 1, 2, 2, PV, 0, 0, 0, 0, BRH, true, 0, 0},
  {"dilation-2x3-same-stride-2",
   {2, 9, 9},
   2,
   1,
   3,
   3,
   2,
   2,
   2,
   3,
   PS,
   0,
   0,
   0,
   0,
   BRH,
   true,
   0,
   0},
  {"1x1", {5, 4, 6}, 3, 1, 1, 1, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, true, 0, 0},
  {"1x1-stride-2", {3, 5, 5}, 2, 1, 1, 1, 2, 2, 1, 1, PV, 0, 0, 0, 0, BRH, false, 0, 0},
  {"1x1-padded", {2, 3, 4}, 2, 1, 1, 1, 1, 1, 1, 1, PV, 1, 0, 0, 1, BRH, true, 0, 0},
  /* Blocks of the product: 8 rows, 64 and 289 (> one 256 chunk) pixels. */
  {"blocks-8-out", {3, 8, 8}, 8, 1, 3, 3, 1, 1, 1, 1, PS, 0, 0, 0, 0, BRH, true, 0, 0},
  {"blocks-17x17", {1, 17, 17}, 5, 1, 3, 3, 1, 1, 1, 1, PS, 0, 0, 0, 0, BRH, true, 0, 0},
};

static const ConvCase deconv_cases[] = {
  {"valid", {2, 3, 4}, 3, 1, 3, 3, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, true, 0, 0},
  {"stride-2-cropped", {2, 4, 3}, 2, 1, 3, 3, 2, 2, 1, 1, PV, 1, 0, 1, 1, BRH, true, 0, 0},
  {"same-stride-2", {3, 3, 4}, 2, 1, 4, 4, 2, 2, 1, 1, PS, 0, 0, 0, 0, BRH, false, 0, 0},
  {"same-stride-3x2-top-left", {2, 3, 3}, 2, 1, 3, 5, 3, 2, 1, 1, PS, 0, 0, 0, 0, TLH, true, 0, 0},
  {"groups-2", {4, 3, 3}, 6, 2, 3, 3, 2, 2, 1, 1, PV, 0, 0, 0, 0, BRH, true, 0, 0},
  {"output-shape", {2, 3, 3}, 2, 1, 3, 3, 2, 2, 1, 1, PV, 1, 1, 0, 1, BRH, true, 5, 6},
  {"stride-larger-than-kernel", {2, 3, 3}, 2, 1, 2, 2, 3, 3, 1, 1, PV, 0, 0, 0, 0, BRH, true, 0, 0},
  /* 8 * 6 * 6 = 288 taps: more than one 256 chunk of the product. */
  {"blocks-288-taps", {2, 3, 3}, 8, 1, 6, 6, 2, 2, 1, 1, PV, 0, 0, 0, 0, BRH, true, 0, 0},
};

static InkLayerSpec
conv_spec (const ConvCase *k, bool deconv, const float *w, const float *b)
{
  InkLayerSpec spec = {.kind = deconv ? INK_LAYER_DECONVOLUTION : INK_LAYER_CONVOLUTION};
  InkConvolutionParams *p = &spec.params.convolution;

  p->out_channels = k->out_c;
  p->kernel_channels = deconv ? k->in.c : k->in.c / k->groups;
  p->groups = k->groups;
  p->kernel_h = k->kh;
  p->kernel_w = k->kw;
  p->stride_h = k->sh;
  p->stride_w = k->sw;
  p->dilation_h = k->dh;
  p->dilation_w = k->dw;
  p->padding = (InkPadding){k->pad, k->top, k->bottom, k->left, k->right, k->same};
  p->has_bias = k->bias;
  p->weights = w;
  p->bias = b;
  p->output_h = k->out_h;
  p->output_w = k->out_w;
  return spec;
}

static void
run_conv_case (const ConvCase *k, bool deconv)
{
  Net *t = net_new ();
  size_t n_w = deconv ? k->in.c * (k->out_c / k->groups) * k->kh * k->kw
                      : k->out_c * (k->in.c / k->groups) * k->kh * k->kw;
  float *w = random_floats (n_w, 21, -0.5f, 0.5f);
  float *b = random_floats (k->out_c, 22, -0.5f, 0.5f);

  net_random_input (t, "x", k->in, 20);
  net_layer (t, conv_spec (k, deconv, w, k->bias ? b : NULL), INS ("x"), "y");
  g_free (w);
  g_free (b);
  net_check (t);
}

static void
test_convolution (gconstpointer data)
{
  run_conv_case (data, false);
}

static void
test_deconvolution (gconstpointer data)
{
  run_conv_case (data, true);
}

/* ---- Inner product ---- */

static void
run_inner_product (Shape in, size_t n_out, bool bias)
{
  Net *t = net_new ();
  size_t n_in = shape_count (in);
  float *w = random_floats (n_in * n_out, 31, -0.5f, 0.5f);
  float *b = random_floats (n_out, 32, -0.5f, 0.5f);
  InkLayerSpec spec = {.kind = INK_LAYER_INNER_PRODUCT};

  spec.params.inner_product = (InkInnerProductParams){n_in, n_out, bias, w, bias ? b : NULL};
  net_random_input (t, "x", in, 30);
  net_layer (t, spec, INS ("x"), "y");
  g_free (w);
  g_free (b);
  net_check (t);
}

static void
test_inner_product_bias (void)
{
  run_inner_product ((Shape){7, 1, 1}, 5, true);
}

static void
test_inner_product_no_bias (void)
{
  run_inner_product ((Shape){9, 1, 1}, 3, false);
}

static void
test_inner_product_rank3 (void)
{
  run_inner_product ((Shape){2, 3, 4}, 6, true);
}

/* ---- Pooling ---- */

typedef struct {
  const char *name;
  Shape in;
  InkPoolType type;
  size_t kh, kw, sh, sw;
  InkPaddingType pad;
  size_t top, bottom, left, right;
  InkSamePadding same;
  bool exclude_padding, global;
} PoolCase;

#define PMAX INK_POOL_MAX
#define PAVG INK_POOL_AVERAGE
#define PL INK_PAD_INCLUDE_LAST

static const PoolCase pool_cases[] = {
  {"max-2x2-stride-2", {2, 6, 6}, PMAX, 2, 2, 2, 2, PV, 0, 0, 0, 0, BRH, false, false},
  {"max-3x3-stride-2-odd", {2, 7, 7}, PMAX, 3, 3, 2, 2, PV, 0, 0, 0, 0, BRH, false, false},
  {"max-same-overlapping", {2, 5, 6}, PMAX, 3, 3, 1, 1, PS, 0, 0, 0, 0, BRH, false, false},
  {"max-same-stride-2-top-left", {1, 6, 7}, PMAX, 4, 3, 2, 2, PS, 0, 0, 0, 0, TLH, false, false},
  {"max-include-last", {1, 6, 7}, PMAX, 3, 3, 2, 2, PL, 1, 1, 1, 1, BRH, false, false},
  {"max-window-in-padding", {1, 4, 4}, PMAX, 2, 2, 2, 2, PV, 2, 0, 0, 1, BRH, false, false},
  {"max-global", {3, 4, 5}, PMAX, 0, 0, 0, 0, PV, 0, 0, 0, 0, BRH, false, true},
  {"average-valid", {2, 6, 7}, PAVG, 2, 3, 2, 2, PV, 0, 0, 0, 0, BRH, false, false},
  {"average-valid-padded", {2, 5, 5}, PAVG, 3, 3, 2, 2, PV, 1, 1, 1, 1, BRH, false, false},
  {"average-valid-padded-exclude", {2, 5, 5}, PAVG, 3, 3, 2, 2, PV, 1, 1, 1, 1, BRH, true, false},
  {"average-same", {2, 7, 6}, PAVG, 3, 3, 2, 2, PS, 0, 0, 0, 0, BRH, false, false},
  {"average-same-exclude", {2, 7, 6}, PAVG, 3, 3, 2, 2, PS, 0, 0, 0, 0, BRH, true, false},
  {"average-include-last", {1, 6, 7}, PAVG, 3, 3, 2, 2, PL, 1, 1, 1, 1, BRH, false, false},
  {"average-include-last-exclude", {1, 6, 7}, PAVG, 3, 3, 2, 2, PL, 1, 1, 1, 1, BRH, true, false},
  {"average-global", {3, 4, 5}, PAVG, 0, 0, 0, 0, PV, 0, 0, 0, 0, BRH, false, true},
};

static InkLayerSpec
pool_spec (const PoolCase *k)
{
  InkLayerSpec spec = {.kind = INK_LAYER_POOLING};
  InkPoolingParams *p = &spec.params.pooling;

  p->type = k->type;
  p->kernel_h = k->kh;
  p->kernel_w = k->kw;
  p->stride_h = k->sh;
  p->stride_w = k->sw;
  p->padding = (InkPadding){k->pad, k->top, k->bottom, k->left, k->right, k->same};
  p->exclude_padding = k->exclude_padding;
  p->global = k->global;
  return spec;
}

static void
test_pooling (gconstpointer data)
{
  const PoolCase *k = data;
  Net *t = net_new ();

  net_input (t, "x", k->in, distinct_floats (shape_count (k->in), 40));
  net_layer (t, pool_spec (k), INS ("x"), "y");
  net_check (t);
}

/* Ties go to the first maximum in scan order, as in the forward pass. */
static void
test_pooling_max_ties (void)
{
  Net *t = net_new ();
  PoolCase k = {"ties", {1, 4, 5}, PMAX, 3, 3, 1, 2, PV, 0, 0, 0, 0, BRH, false, false};
  float *x = g_new (float, 20);
  InkNetwork *nn;
  InkError err;
  float *ws, d_out[4] = {1.0f, 10.0f, 100.0f, 1000.0f}, d_in[20] = {0};
  float *d_ins[1] = {d_in};
  float want[20] = {0};
  InkFeatureType any = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 0, NULL);

  for (size_t i = 0; i < 20; i++)
    x[i] = 2.0f;
  x[13] = 1.0f; /* row 2, column 3: not a maximum */
  net_input (t, "x", k.in, x);
  net_layer (t, pool_spec (&k), INS ("x"), "y");
  ink_assert_ok (ink_model_add_output (t->m, "y", &any, "", &err), &err);
  ink_assert_ok (ink_model_finish (t->m, &err), &err);
  nn = t->m->body.nn;
  g_assert_cmpuint (ink_shape_count (nn->blobs[nn->layers[0].out_blob].shape), ==, 4);
  ws = g_new (float, nn->workspace_floats);
  forward (t, ws);
  ink_nn_layer_backward (nn, &nn->layers[0], ws, d_out, d_ins, NULL, NULL);
  /* Windows start at (0, 0), (0, 2), (1, 0), (1, 2). */
  want[0] += 1.0f;
  want[2] += 10.0f;
  want[5] += 100.0f;
  want[7] += 1000.0f;
  ink_test_assert_close (d_in, want, 20, 0.0);
  g_free (ws);
  net_free (t);
}

/* ---- Activations, softmax ---- */

static void
run_activation (InkActivationType type, float alpha, float beta, float *x, Shape s)
{
  Net *t = net_new ();
  InkLayerSpec spec = {.kind = INK_LAYER_ACTIVATION};

  spec.params.activation = (InkActivationParams){type, alpha, beta};
  net_input (t, "x", s, x);
  net_layer (t, spec, INS ("x"), "y");
  net_check (t);
}

static void
test_activation_relu (void)
{
  Shape s = {3, 4, 5};
  run_activation (INK_ACT_RELU, 0.0f, 0.0f, away_from_zero (shape_count (s), 50), s);
}

static void
test_activation_leaky_relu (void)
{
  Shape s = {3, 4, 5};
  run_activation (INK_ACT_LEAKY_RELU, 0.3f, 0.0f, away_from_zero (shape_count (s), 51), s);
}

static void
test_activation_sigmoid (void)
{
  Shape s = {3, 4, 5};
  run_activation (INK_ACT_SIGMOID, 0.0f, 0.0f, random_floats (shape_count (s), 52, -3, 3), s);
}

static void
test_activation_tanh (void)
{
  Shape s = {3, 4, 5};
  run_activation (INK_ACT_TANH, 0.0f, 0.0f, random_floats (shape_count (s), 53, -2, 2), s);
}

static void
test_activation_linear (void)
{
  Shape s = {2, 3, 4};
  run_activation (INK_ACT_LINEAR, -1.7f, 0.4f, random_floats (shape_count (s), 54, -2, 2), s);
}

static void
run_softmax (Shape s)
{
  Net *t = net_new ();
  InkLayerSpec spec = {.kind = INK_LAYER_SOFTMAX};

  net_input (t, "x", s, random_floats (shape_count (s), 60, -2.0f, 2.0f));
  net_layer (t, spec, INS ("x"), "y");
  net_check (t);
}

static void
test_softmax_vector (void)
{
  run_softmax ((Shape){7, 1, 1});
}

static void
test_softmax_channels (void)
{
  run_softmax ((Shape){5, 3, 4});
}

/* ---- Flatten, reshape, transpose, reshapeStatic ---- */

static void
run_shape_layer (InkLayerSpec spec, Shape in)
{
  Net *t = net_new ();

  net_random_input (t, "x", in, 70);
  net_layer (t, spec, INS ("x"), "y");
  net_check (t);
}

static void
test_flatten_channel_first (void)
{
  InkLayerSpec spec = {.kind = INK_LAYER_FLATTEN};

  spec.params.flatten.order = INK_ORDER_CHANNEL_FIRST;
  run_shape_layer (spec, (Shape){3, 4, 5});
}

static void
test_flatten_channel_last (void)
{
  InkLayerSpec spec = {.kind = INK_LAYER_FLATTEN};

  spec.params.flatten.order = INK_ORDER_CHANNEL_LAST;
  run_shape_layer (spec, (Shape){3, 4, 5});
}

static void
test_reshape_channel_first (void)
{
  InkLayerSpec spec = {.kind = INK_LAYER_RESHAPE};

  spec.params.reshape = (InkReshapeParams){{5, 6, 2}, INK_ORDER_CHANNEL_FIRST};
  run_shape_layer (spec, (Shape){3, 4, 5});
}

static void
test_reshape_channel_last (void)
{
  InkLayerSpec spec = {.kind = INK_LAYER_RESHAPE};

  spec.params.reshape = (InkReshapeParams){{4, 3, 5}, INK_ORDER_CHANNEL_LAST};
  run_shape_layer (spec, (Shape){3, 5, 4});
}

static const size_t transpose_axes[6][3] = {
  {0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0},
};

static void
test_transpose (gconstpointer data)
{
  const size_t *axes = data;
  InkLayerSpec spec = {.kind = INK_LAYER_TRANSPOSE};

  memcpy (spec.params.transpose.axes, axes, sizeof spec.params.transpose.axes);
  run_shape_layer (spec, (Shape){2, 3, 4});
}

static void
test_reshape_static (void)
{
  static const InkReshapeStaticParams targets[] = {
    {1, {-1}}, {2, {6, -1}}, {3, {4, 3, 2}}, {4, {1, 2, -1, 4}}, {5, {1, 1, 3, 8, 1}},
  };

  for (size_t i = 0; i < G_N_ELEMENTS (targets); i++) {
    InkLayerSpec spec = {.kind = INK_LAYER_RESHAPE_STATIC};
    spec.params.reshape_static = targets[i];
    run_shape_layer (spec, (Shape){2, 3, 4});
  }
}

/* ---- Batchnorm ---- */

static void
run_batchnorm (bool instance)
{
  Net *t = net_new ();
  Shape s = {3, 4, 5};
  float *gamma = random_floats (3, 81, 0.5f, 1.5f), *beta = random_floats (3, 82, -1.0f, 1.0f);
  float *mean = random_floats (3, 83, -0.5f, 0.5f), *var = random_floats (3, 84, 0.5f, 2.0f);
  InkLayerSpec spec = {.kind = INK_LAYER_BATCHNORM};

  spec.params.batchnorm = (InkBatchnormParams){
    3, 1e-3f, instance, gamma, beta, instance ? NULL : mean, instance ? NULL : var};
  net_random_input (t, "x", s, 80);
  net_layer (t, spec, INS ("x"), "y");
  g_free (gamma);
  g_free (beta);
  g_free (mean);
  g_free (var);
  net_check (t);
}

static void
test_batchnorm_fixed (void)
{
  run_batchnorm (false);
}

static void
test_batchnorm_instance (void)
{
  run_batchnorm (true);
}

/* ---- Add, concat ---- */

static void
test_add_alpha (void)
{
  Net *t = net_new ();
  InkLayerSpec spec = {.kind = INK_LAYER_ADD};

  spec.params.add.alpha = 0.7f;
  net_random_input (t, "x", (Shape){2, 3, 4}, 90);
  net_layer (t, spec, INS ("x"), "y");
  net_check (t);
}

typedef struct {
  const char *name;
  size_t n;
  Shape shapes[3];
} AddCase;

static const AddCase add_cases[] = {
  {"same-shape", 2, {{2, 3, 4}, {2, 3, 4}}},
  {"broadcast-channels", 2, {{3, 4, 5}, {1, 4, 5}}},
  {"broadcast-plane", 2, {{3, 4, 5}, {3, 1, 1}}},
  {"broadcast-width", 2, {{1, 1, 5}, {3, 4, 5}}},
  {"broadcast-both", 2, {{1, 4, 1}, {3, 1, 5}}},
  {"three-with-scalar", 3, {{3, 4, 5}, {1, 1, 1}, {3, 4, 1}}},
};

static void
test_add (gconstpointer data)
{
  const AddCase *k = data;
  Net *t = net_new ();
  const char *names[] = {"a", "b", "c", NULL};
  InkLayerSpec spec = {.kind = INK_LAYER_ADD};

  for (size_t i = 0; i < k->n; i++)
    net_random_input (t, names[i], k->shapes[i], 91 + (guint32) i);
  names[k->n] = NULL;
  net_layer (t, spec, names, "y");
  net_check (t);
}

/* One blob read twice: both derivatives land in its array. */
static void
test_add_same_blob (void)
{
  Net *t = net_new ();
  InkLayerSpec spec = {.kind = INK_LAYER_ADD};

  net_random_input (t, "x", (Shape){2, 3, 3}, 95);
  net_layer (t, spec, INS ("x", "x"), "y");
  net_check (t);
}

static void
test_concat (void)
{
  Net *t = net_new ();
  InkLayerSpec spec = {.kind = INK_LAYER_CONCAT};

  net_random_input (t, "a", (Shape){2, 3, 4}, 100);
  net_random_input (t, "b", (Shape){1, 3, 4}, 101);
  net_random_input (t, "c", (Shape){3, 3, 4}, 102);
  net_layer (t, spec, INS ("a", "b", "c", "a"), "y");
  net_check (t);
}

/* ---- Whole networks ---- */

/* Conv, tanh, a blob read by two layers, pooling, instance norm, grouped
 * strided conv, channel-last flatten, inner product, softmax. */
static void
test_chain_classifier (void)
{
  Net *t = net_new ();
  ConvCase c1 = {"c1", {1, 9, 9}, 4, 1, 3, 3, 1, 1, 1, 1, PS, 0, 0, 0, 0, BRH, true, 0, 0};
  ConvCase c2 = {"c2", {4, 5, 5}, 6, 2, 3, 3, 2, 2, 1, 1, PV, 0, 0, 0, 0, BRH, true, 0, 0};
  PoolCase p1 = {"p1", {4, 9, 9}, PAVG, 3, 3, 2, 2, PS, 0, 0, 0, 0, BRH, true, false};
  float *w1 = random_floats (36, 111, -0.5f, 0.5f), *b1 = random_floats (4, 112, -0.5f, 0.5f);
  float *w2 = random_floats (108, 113, -0.5f, 0.5f), *b2 = random_floats (6, 114, -0.5f, 0.5f);
  float *gamma = random_floats (4, 115, 0.5f, 1.5f), *beta = random_floats (4, 116, -1, 1);
  float *w3 = random_floats (120, 117, -0.5f, 0.5f), *b3 = random_floats (5, 118, -0.5f, 0.5f);
  InkLayerSpec act = {.kind = INK_LAYER_ACTIVATION}, add = {.kind = INK_LAYER_ADD};
  InkLayerSpec bn = {.kind = INK_LAYER_BATCHNORM}, flat = {.kind = INK_LAYER_FLATTEN};
  InkLayerSpec ip = {.kind = INK_LAYER_INNER_PRODUCT}, sm = {.kind = INK_LAYER_SOFTMAX};

  act.params.activation.type = INK_ACT_TANH;
  bn.params.batchnorm = (InkBatchnormParams){4, 1e-3f, true, gamma, beta, NULL, NULL};
  flat.params.flatten.order = INK_ORDER_CHANNEL_LAST;
  ip.params.inner_product = (InkInnerProductParams){24, 5, true, w3, b3};
  net_random_input (t, "x", (Shape){1, 9, 9}, 110);
  net_layer (t, conv_spec (&c1, false, w1, b1), INS ("x"), "c1");
  net_layer (t, act, INS ("c1"), "a1");
  net_layer (t, add, INS ("c1", "a1"), "s1");
  net_layer (t, pool_spec (&p1), INS ("s1"), "p1");
  net_layer (t, bn, INS ("p1"), "n1");
  net_layer (t, conv_spec (&c2, false, w2, b2), INS ("n1"), "c2");
  net_layer (t, flat, INS ("c2"), "f");
  net_layer (t, ip, INS ("f"), "logits");
  net_layer (t, sm, INS ("logits"), "y");
  g_free (w1);
  g_free (b1);
  g_free (w2);
  g_free (b2);
  g_free (gamma);
  g_free (beta);
  g_free (w3);
  g_free (b3);
  net_check (t);
}

/* Deconvolution, concat of a blob with itself, transpose, reshapeStatic,
 * fixed batchnorm, sigmoid. */
static void
test_chain_decoder (void)
{
  Net *t = net_new ();
  ConvCase d1 = {"d1", {2, 3, 3}, 3, 1, 3, 3, 2, 2, 1, 1, PS, 0, 0, 0, 0, BRH, true, 0, 0};
  float *w1 = random_floats (54, 121, -0.5f, 0.5f), *b1 = random_floats (3, 122, -0.5f, 0.5f);
  float *gamma = random_floats (6, 123, 0.5f, 1.5f), *beta = random_floats (6, 124, -1, 1);
  float *mean = random_floats (6, 125, -0.5f, 0.5f), *var = random_floats (6, 126, 0.5f, 2);
  InkLayerSpec cat = {.kind = INK_LAYER_CONCAT}, tr = {.kind = INK_LAYER_TRANSPOSE};
  InkLayerSpec rs = {.kind = INK_LAYER_RESHAPE_STATIC}, bn = {.kind = INK_LAYER_BATCHNORM};
  InkLayerSpec act = {.kind = INK_LAYER_ACTIVATION};

  tr.params.transpose = (InkTransposeParams){{1, 2, 0}};
  rs.params.reshape_static = (InkReshapeStaticParams){3, {6, 6, -1}};
  bn.params.batchnorm = (InkBatchnormParams){6, 1e-3f, false, gamma, beta, mean, var};
  act.params.activation.type = INK_ACT_SIGMOID;
  net_random_input (t, "x", (Shape){2, 3, 3}, 120);
  net_layer (t, conv_spec (&d1, true, w1, b1), INS ("x"), "d1");
  net_layer (t, cat, INS ("d1", "d1"), "cat");
  net_layer (t, tr, INS ("cat"), "tr");
  net_layer (t, rs, INS ("tr"), "rs");
  net_layer (t, bn, INS ("rs"), "bn");
  net_layer (t, act, INS ("bn"), "y");
  g_free (w1);
  g_free (b1);
  g_free (gamma);
  g_free (beta);
  g_free (mean);
  g_free (var);
  net_check (t);
}

/* ---- Speed (with -m perf) ---- */

static void
test_perf_convolution (void)
{
  Net *t = net_new ();
  ConvCase k = {"conv", {32, 14, 14}, 64, 1, 3, 3, 1, 1, 1, 1, PS, 0, 0, 0, 0, BRH, true, 0, 0};
  float *w = random_floats (64 * 32 * 9, 131, -0.1f, 0.1f), *b = g_new0 (float, 64);
  InkFeatureType any = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 0, NULL);
  InkNetwork *nn;
  const InkLayer *l;
  InkError err;
  float *ws, *d_out, *d_in, *d_w, *d_b, *scratch;
  float *d_ins[1], *d_ws[INK_W_SLOTS] = {NULL};
  const int reps = 200;
  gint64 t0;
  double fwd_ms, bwd_ms, bwd_w_ms;

  net_random_input (t, "x", k.in, 130);
  net_layer (t, conv_spec (&k, false, w, b), INS ("x"), "y");
  ink_assert_ok (ink_model_add_output (t->m, "y", &any, "", &err), &err);
  ink_assert_ok (ink_model_finish (t->m, &err), &err);
  nn = t->m->body.nn;
  l = &nn->layers[0];
  ws = g_new (float, nn->workspace_floats);
  d_out = random_floats (64 * 14 * 14, 132, -1, 1);
  d_in = g_new0 (float, 32 * 14 * 14);
  d_w = g_new0 (float, 64 * 32 * 9);
  d_b = g_new0 (float, 64);
  scratch = g_new (float, ink_nn_layer_backward_scratch (nn, l));
  d_ins[0] = d_in;
  d_ws[INK_W_WEIGHTS] = d_w;
  d_ws[INK_W_BIAS] = d_b;
  forward (t, ws);
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < reps; i++)
    ink_kernel_convolution (&l->win, ws + nn->blobs[0].offset, l->w[0].data, l->w[1].data,
                            ws + nn->blobs[1].offset, ws + nn->scratch_offset);
  fwd_ms = (double) (g_get_monotonic_time () - t0) / 1e3 / reps;
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < reps; i++)
    ink_nn_layer_backward (nn, l, ws, d_out, d_ins, d_ws, scratch);
  bwd_ms = (double) (g_get_monotonic_time () - t0) / 1e3 / reps;
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < reps; i++)
    ink_nn_layer_backward (nn, l, ws, d_out, NULL, d_ws, scratch);
  bwd_w_ms = (double) (g_get_monotonic_time () - t0) / 1e3 / reps;
  g_test_minimized_result (bwd_ms,
                           "convolution 32->64 3x3 on 14x14: forward %.3f ms, backward "
                           "%.3f ms (weights only %.3f ms)",
                           fwd_ms, bwd_ms, bwd_w_ms);
  g_free (w);
  g_free (b);
  g_free (ws);
  g_free (d_out);
  g_free (d_in);
  g_free (d_w);
  g_free (d_b);
  g_free (scratch);
  net_free (t);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (size_t i = 0; i < G_N_ELEMENTS (conv_cases); i++) {
    g_autofree char *path =
      g_strdup_printf ("/engine/nn-gradients/convolution/%s", conv_cases[i].name);
    g_test_add_data_func (path, &conv_cases[i], test_convolution);
  }
  for (size_t i = 0; i < G_N_ELEMENTS (deconv_cases); i++) {
    g_autofree char *path =
      g_strdup_printf ("/engine/nn-gradients/deconvolution/%s", deconv_cases[i].name);
    g_test_add_data_func (path, &deconv_cases[i], test_deconvolution);
  }
  g_test_add_func ("/engine/nn-gradients/inner-product/bias", test_inner_product_bias);
  g_test_add_func ("/engine/nn-gradients/inner-product/no-bias", test_inner_product_no_bias);
  g_test_add_func ("/engine/nn-gradients/inner-product/rank3", test_inner_product_rank3);
  for (size_t i = 0; i < G_N_ELEMENTS (pool_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/engine/nn-gradients/pooling/%s", pool_cases[i].name);
    g_test_add_data_func (path, &pool_cases[i], test_pooling);
  }
  g_test_add_func ("/engine/nn-gradients/pooling/max-ties", test_pooling_max_ties);
  g_test_add_func ("/engine/nn-gradients/activation/relu", test_activation_relu);
  g_test_add_func ("/engine/nn-gradients/activation/leaky-relu", test_activation_leaky_relu);
  g_test_add_func ("/engine/nn-gradients/activation/sigmoid", test_activation_sigmoid);
  g_test_add_func ("/engine/nn-gradients/activation/tanh", test_activation_tanh);
  g_test_add_func ("/engine/nn-gradients/activation/linear", test_activation_linear);
  g_test_add_func ("/engine/nn-gradients/softmax/vector", test_softmax_vector);
  g_test_add_func ("/engine/nn-gradients/softmax/channels", test_softmax_channels);
  g_test_add_func ("/engine/nn-gradients/flatten/channel-first", test_flatten_channel_first);
  g_test_add_func ("/engine/nn-gradients/flatten/channel-last", test_flatten_channel_last);
  g_test_add_func ("/engine/nn-gradients/reshape/channel-first", test_reshape_channel_first);
  g_test_add_func ("/engine/nn-gradients/reshape/channel-last", test_reshape_channel_last);
  for (size_t i = 0; i < G_N_ELEMENTS (transpose_axes); i++) {
    const size_t *a = transpose_axes[i];
    g_autofree char *path =
      g_strdup_printf ("/engine/nn-gradients/transpose/%zu-%zu-%zu", a[0], a[1], a[2]);
    g_test_add_data_func (path, a, test_transpose);
  }
  g_test_add_func ("/engine/nn-gradients/reshape-static", test_reshape_static);
  g_test_add_func ("/engine/nn-gradients/batchnorm/fixed", test_batchnorm_fixed);
  g_test_add_func ("/engine/nn-gradients/batchnorm/instance", test_batchnorm_instance);
  g_test_add_func ("/engine/nn-gradients/add/alpha", test_add_alpha);
  for (size_t i = 0; i < G_N_ELEMENTS (add_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/engine/nn-gradients/add/%s", add_cases[i].name);
    g_test_add_data_func (path, &add_cases[i], test_add);
  }
  g_test_add_func ("/engine/nn-gradients/add/same-blob", test_add_same_blob);
  g_test_add_func ("/engine/nn-gradients/concat/multi", test_concat);
  g_test_add_func ("/engine/nn-gradients/chain/classifier", test_chain_classifier);
  g_test_add_func ("/engine/nn-gradients/chain/decoder", test_chain_decoder);
  if (g_test_perf ())
    g_test_add_func ("/engine/nn-gradients/perf/convolution", test_perf_convolution);
  return g_test_run ();
}

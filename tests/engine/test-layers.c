/* test-layers.c: every neural-network layer type against plain reference implementations
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "test-util.h"

/* Each test builds a one-layer network (input "x", output "y"), runs it, and
 * compares the result with a naive reference written here from Core ML's
 * layer semantics: nested loops over [C][H][W] with double accumulation, or
 * values worked out by hand. */

#define TOL 1e-5

/* ---- Shapes, buffers ---- */

typedef struct {
  size_t c, h, w;
} Shape;

static size_t
shape_count (Shape s)
{
  return s.c * s.h * s.w;
}

static float *
random_floats (size_t n, guint32 seed, float lo, float hi)
{
  float *v = g_new (float, n);

  ink_test_fill_random (v, n, seed, lo, hi);
  return v;
}

/* ---- Running one layer ---- */

/* A multi-array input of per-example shape s: rank 1 [C] when H = W = 1,
 * else rank 3 [C, H, W]. */
static void
add_array_input (InkModel *m, const char *name, Shape s)
{
  int64_t dims[3] = {(int64_t) s.c, (int64_t) s.h, (int64_t) s.w};
  InkFeatureType t =
    ink_feature_type_multiarray (INK_ARRAY_FLOAT32, s.h == 1 && s.w == 1 ? 1 : 3, dims);
  InkError err;

  ink_assert_ok (ink_model_add_input (m, name, &t, "", &err), &err);
}

static InkValue *
array_value (Shape s, const float *data)
{
  int64_t dims[3] = {(int64_t) s.c, (int64_t) s.h, (int64_t) s.w};

  return ink_test_array (s.h == 1 && s.w == 1 ? 1 : 3, dims, data);
}

/* An output of any shape, so the test sees the shape the network produced. */
static void
add_any_output (InkModel *m, const char *name)
{
  InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 0, NULL);
  InkError err;

  ink_assert_ok (ink_model_add_output (m, name, &t, "", &err), &err);
}

static void
add_layer_n (InkModel *m, InkLayerSpec spec, const char *const *ins, size_t n_ins, const char *out)
{
  const char *outs[1] = {out};
  InkError err;

  spec.inputs = ins;
  spec.n_inputs = n_ins;
  spec.outputs = outs;
  spec.n_outputs = 1;
  if (spec.name == NULL)
    spec.name = "layer";
  ink_assert_ok (ink_nn_add_layer (m, &spec, &err), &err);
}

/* Copies output name into a new buffer after checking its shape is s. A
 * [C, 1, 1] blob may come out as rank 1 [C] or rank 3 [C, 1, 1]. */
static float *
take_output (const InkFeatures *out, const char *name, Shape s)
{
  const InkValue *v = ink_features_get (out, name);
  const int64_t *dims;
  size_t rank, n;
  float *y;

  g_assert_nonnull (v);
  g_assert_cmpint (ink_value_get_type (v), ==, INK_VALUE_MULTIARRAY);
  rank = ink_value_array_rank (v);
  dims = ink_value_array_shape (v);
  if (s.h == 1 && s.w == 1 && rank == 1) {
    g_assert_cmpint (dims[0], ==, (int64_t) s.c);
  } else {
    g_assert_cmpuint (rank, ==, 3);
    g_assert_cmpint (dims[0], ==, (int64_t) s.c);
    g_assert_cmpint (dims[1], ==, (int64_t) s.h);
    g_assert_cmpint (dims[2], ==, (int64_t) s.w);
  }
  n = ink_value_array_count (v);
  g_assert_cmpuint (n, ==, shape_count (s));
  y = g_new (float, n);
  for (size_t i = 0; i < n; i++)
    y[i] = (float) ink_value_array_get (v, i);
  return y;
}

/* Runs a network whose inputs x0, x1, ... (or just x for one input) feed a
 * single layer producing y; returns y, checked to have shape out_shape. */
static float *
run_layer_multi (InkLayerSpec spec, size_t n, const Shape *in_shapes, const float *const *xs,
                 Shape out_shape)
{
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  InkFeatures *in = ink_features_new ();
  InkFeatures *out = NULL;
  char **names = g_new0 (char *, n + 1);
  InkError err;
  float *y;

  g_assert_nonnull (m);
  for (size_t i = 0; i < n; i++) {
    names[i] = n == 1 ? g_strdup ("x") : g_strdup_printf ("x%zu", i);
    add_array_input (m, names[i], in_shapes[i]);
    g_assert_cmpint (ink_features_set (in, names[i], array_value (in_shapes[i], xs[i])), ==,
                     INK_OK);
  }
  add_any_output (m, "y");
  add_layer_n (m, spec, (const char *const *) names, n, "y");
  ink_assert_ok (ink_model_finish (m, &err), &err);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  y = take_output (out, "y", out_shape);
  ink_features_free (out);
  ink_features_free (in);
  ink_model_free (m);
  g_strfreev (names);
  return y;
}

static float *
run_layer (InkLayerSpec spec, Shape in_shape, const float *x, Shape out_shape)
{
  return run_layer_multi (spec, 1, &in_shape, &x, out_shape);
}

/* ---- Window geometry, from Core ML's rules ---- */

typedef struct {
  size_t out;   /* output length */
  size_t lead;  /* padding before the input (top or left) */
  size_t trail; /* padding after it: the padded input ends at in + trail */
} Axis;

static Axis
ref_axis (size_t in, size_t k, size_t stride, size_t dil, InkPaddingType type, size_t before,
          size_t after, InkSamePadding mode)
{
  size_t k_eff = (k - 1) * dil + 1;
  Axis a = {0, 0, 0};

  if (type == INK_PAD_VALID) {
    /* floor((in + pads - k_eff) / stride) + 1 */
    a.out = (in + before + after - k_eff) / stride + 1;
    a.lead = before;
    a.trail = after;
  } else if (type == INK_PAD_SAME) {
    size_t total;
    a.out = (size_t) ceil ((double) in / (double) stride);
    total = (a.out - 1) * stride + k_eff > in ? (a.out - 1) * stride + k_eff - in : 0;
    a.lead = mode == INK_SAME_BOTTOM_RIGHT_HEAVY ? total / 2 : total - total / 2;
    a.trail = total - a.lead;
  } else {
    /* Caffe: ceil((in + 2 pad - k) / stride) + 1, less the last window when
     * it would start at or beyond in + pad. */
    a.out = (size_t) ceil ((double) (in + 2 * before - k_eff) / (double) stride) + 1;
    if (before > 0 && (a.out - 1) * stride >= in + before)
      a.out--;
    a.lead = before;
    a.trail = before;
  }
  return a;
}

/* ---- Convolution ---- */

/* Short names for the case tables. */
#define PV INK_PAD_VALID
#define PS INK_PAD_SAME
#define PL INK_PAD_INCLUDE_LAST
#define BRH INK_SAME_BOTTOM_RIGHT_HEAVY
#define TLH INK_SAME_TOP_LEFT_HEAVY

typedef struct {
  const char *name;
  Shape in;
  size_t out_c, groups;
  size_t kh, kw, sh, sw, dh, dw;
  InkPaddingType pad;
  size_t top, bottom, left, right;
  InkSamePadding same;
  bool bias;
  size_t expect_h, expect_w; /* worked out by hand */
} ConvCase;

/* Columns: name, input [C, H, W], output channels, groups, kernel h w, stride h w,
 * dilation h w, padding, top bottom left right, SAME mode, bias, output h w. */
/* clang-format off */
static const ConvCase conv_cases[] = {
  { "basic-3x3", {3, 7, 7}, 4, 1, 3, 3, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, true, 5, 5 },
  { "basic-3x3-no-bias", {3, 7, 7}, 4, 1, 3, 3, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, false, 5, 5 },
  { "1x1", {5, 4, 6}, 3, 1, 1, 1, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, true, 4, 6 },
  { "1x1-no-bias", {8, 3, 3}, 2, 1, 1, 1, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, false, 3, 3 },
  { "1x1-stride", {4, 5, 5}, 3, 1, 1, 1, 2, 2, 1, 1, PV, 0, 0, 0, 0, BRH, true, 3, 3 },
  { "1x1-padded", {2, 3, 4}, 3, 1, 1, 1, 1, 1, 1, 1, PV, 1, 0, 2, 1, BRH, true, 4, 7 },
  { "1x1-groups", {6, 3, 3}, 4, 2, 1, 1, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, true, 3, 3 },
  { "stride", {2, 9, 8}, 3, 1, 3, 3, 2, 2, 1, 1, PV, 0, 0, 0, 0, BRH, true, 4, 3 },
  { "stride-asymmetric", {2, 8, 9}, 3, 1, 3, 2, 3, 1, 1, 1, PV, 0, 0, 0, 0, BRH, false, 2, 8 },
  { "dilation", {2, 9, 9}, 2, 1, 3, 3, 1, 1, 2, 2, PV, 0, 0, 0, 0, BRH, true, 5, 5 },
  { "dilation-asymmetric", {1, 10, 8}, 2, 1, 2, 3, 1, 1, 3, 2, PV, 0, 0, 0, 0, BRH, true, 7, 4 },
  { "dilation-stride", {2, 11, 11}, 3, 1, 3, 3, 2, 2, 2, 2, PV, 0, 0, 0, 0, BRH, false, 4, 4 },
  { "valid-pad", {2, 5, 6}, 3, 1, 3, 3, 1, 1, 1, 1, PV, 1, 2, 0, 3, BRH, true, 6, 7 },
  { "valid-pad-stride", {3, 6, 6}, 2, 1, 3, 3, 2, 2, 1, 1, PV, 1, 1, 1, 1, BRH, true, 3, 3 },
  { "valid-pad-dilation", {2, 5, 5}, 2, 1, 3, 3, 1, 1, 2, 2, PV, 2, 2, 2, 2, BRH, false, 5, 5 },
  { "valid-pad-large", {1, 3, 3}, 2, 1, 2, 2, 1, 1, 1, 1, PV, 3, 0, 0, 3, BRH, true, 5, 5 },
  { "same-odd", {2, 7, 7}, 3, 1, 3, 3, 1, 1, 1, 1, PS, 0, 0, 0, 0, BRH, true, 7, 7 },
  { "same-odd-tlh", {2, 7, 7}, 3, 1, 3, 3, 1, 1, 1, 1, PS, 0, 0, 0, 0, TLH, true, 7, 7 },
  { "same-even-kernel-brh", {2, 6, 6}, 2, 1, 4, 4, 1, 1, 1, 1, PS, 0, 0, 0, 0, BRH, true, 6, 6 },
  { "same-even-kernel-tlh", {2, 6, 6}, 2, 1, 4, 4, 1, 1, 1, 1, PS, 0, 0, 0, 0, TLH, true, 6, 6 },
  { "same-stride-brh", {3, 8, 7}, 2, 1, 3, 3, 2, 2, 1, 1, PS, 0, 0, 0, 0, BRH, true, 4, 4 },
  { "same-stride-tlh", {3, 8, 7}, 2, 1, 3, 3, 2, 2, 1, 1, PS, 0, 0, 0, 0, TLH, false, 4, 4 },
  { "same-stride-no-pad", {1, 9, 9}, 2, 1, 2, 2, 3, 3, 1, 1, PS, 0, 0, 0, 0, BRH, true, 3, 3 },
  { "same-dilation", {2, 7, 6}, 2, 1, 3, 3, 1, 1, 2, 2, PS, 0, 0, 0, 0, BRH, true, 7, 6 },
  { "same-asymmetric-tlh", {2, 5, 8}, 3, 1, 2, 5, 1, 2, 1, 1, PS, 0, 0, 0, 0, TLH, true, 5, 4 },
  { "same-asymmetric-brh", {2, 5, 8}, 3, 1, 2, 5, 1, 2, 1, 1, PS, 0, 0, 0, 0, BRH, true, 5, 4 },
  { "groups", {4, 6, 6}, 6, 2, 3, 3, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, true, 4, 4 },
  { "groups-no-bias", {4, 6, 6}, 6, 2, 3, 3, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, false, 4, 4 },
  { "groups-3-same", {6, 5, 5}, 9, 3, 2, 2, 1, 1, 1, 1, PS, 0, 0, 0, 0, BRH, true, 5, 5 },
  { "groups-stride-pad", {4, 7, 7}, 2, 2, 3, 3, 2, 2, 1, 1, PV, 1, 1, 1, 1, BRH, true, 4, 4 },
  { "depthwise", {4, 6, 6}, 4, 4, 3, 3, 1, 1, 1, 1, PS, 0, 0, 0, 0, BRH, true, 6, 6 },
  { "depthwise-multiplier", {3, 5, 5}, 6, 3, 3, 3, 1, 1, 1, 1, PV, 1, 1, 1, 1, BRH, false, 5, 5 },
  { "depthwise-dilated", {3, 9, 9}, 3, 3, 3, 3, 2, 2, 2, 2, PS, 0, 0, 0, 0, TLH, true, 5, 5 },
  { "kernel-equals-input", {3, 4, 5}, 4, 1, 4, 5, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, true, 1, 1 },
  { "single-channel-5x5", {1, 12, 12}, 1, 1, 5, 5, 1, 1, 1, 1, PV, 0, 0, 0, 0, BRH, true, 8, 8 },
  { "wide-input", {2, 3, 10}, 2, 1, 3, 3, 1, 1, 1, 1, PV, 0, 0, 1, 1, BRH, true, 1, 10 },
  { "tall-input-stride", {2, 10, 2}, 3, 1, 3, 1, 2, 1, 1, 1, PV, 0, 0, 0, 0, BRH, true, 4, 2 },
  { "many-channels", {16, 4, 4}, 8, 1, 3, 3, 1, 1, 1, 1, PS, 0, 0, 0, 0, BRH, true, 4, 4 },
};
/* clang-format on */

static void
ref_convolution (const ConvCase *k, const float *x, const float *w, const float *b, Axis ay,
                 Axis ax, float *y)
{
  size_t kc = k->in.c / k->groups, oc_per_group = k->out_c / k->groups;

  for (size_t oc = 0; oc < k->out_c; oc++) {
    size_t grp = oc / oc_per_group;
    for (size_t oy = 0; oy < ay.out; oy++) {
      for (size_t ox = 0; ox < ax.out; ox++) {
        double acc = b != NULL ? b[oc] : 0.0;
        for (size_t c = 0; c < kc; c++) {
          size_t ic = grp * kc + c;
          for (size_t ky = 0; ky < k->kh; ky++) {
            for (size_t kx = 0; kx < k->kw; kx++) {
              long iy = (long) (oy * k->sh + ky * k->dh) - (long) ay.lead;
              long ix = (long) (ox * k->sw + kx * k->dw) - (long) ax.lead;
              if (iy < 0 || ix < 0 || iy >= (long) k->in.h || ix >= (long) k->in.w)
                continue; /* zero padding */
              acc += (double) w[((oc * kc + c) * k->kh + ky) * k->kw + kx] *
                     (double) x[(ic * k->in.h + (size_t) iy) * k->in.w + (size_t) ix];
            }
          }
        }
        y[(oc * ay.out + oy) * ax.out + ox] = (float) acc;
      }
    }
  }
}

static InkLayerSpec
conv_spec (const ConvCase *k, const float *w, const float *b)
{
  InkLayerSpec spec = {.kind = INK_LAYER_CONVOLUTION, .name = k->name};
  InkConvolutionParams *p = &spec.params.convolution;

  p->out_channels = k->out_c;
  p->kernel_channels = k->in.c / k->groups;
  p->groups = k->groups;
  p->kernel_h = k->kh;
  p->kernel_w = k->kw;
  p->stride_h = k->sh;
  p->stride_w = k->sw;
  p->dilation_h = k->dh;
  p->dilation_w = k->dw;
  p->padding.type = k->pad;
  p->padding.top = k->top;
  p->padding.bottom = k->bottom;
  p->padding.left = k->left;
  p->padding.right = k->right;
  p->padding.same_mode = k->same;
  p->has_bias = k->bias;
  p->weights = w;
  p->bias = b;
  return spec;
}

static void
test_convolution_case (gconstpointer data)
{
  const ConvCase *k = data;
  size_t n_w = k->out_c * (k->in.c / k->groups) * k->kh * k->kw;
  Axis ay = ref_axis (k->in.h, k->kh, k->sh, k->dh, k->pad, k->top, k->bottom, k->same);
  Axis ax = ref_axis (k->in.w, k->kw, k->sw, k->dw, k->pad, k->left, k->right, k->same);
  Shape out_shape = {k->out_c, ay.out, ax.out};
  float *x = random_floats (shape_count (k->in), 11, -1.0f, 1.0f);
  float *w = random_floats (n_w, 12, -0.5f, 0.5f);
  float *b = k->bias ? random_floats (k->out_c, 13, -1.0f, 1.0f) : NULL;
  float *want = g_new (float, shape_count (out_shape));
  float *got;

  /* The table's hand-worked sizes guard the reference's geometry. */
  g_assert_cmpuint (ay.out, ==, k->expect_h);
  g_assert_cmpuint (ax.out, ==, k->expect_w);
  ref_convolution (k, x, w, b, ay, ax, want);
  got = run_layer (conv_spec (k, w, b), k->in, x, out_shape);
  ink_test_assert_close (got, want, shape_count (out_shape), TOL);
  g_free (got);
  g_free (want);
  g_free (b);
  g_free (w);
  g_free (x);
}

/* A VALID, unpadded, stride-1 case with a square kernel and a bias. */
static ConvCase
plain_conv_case (const char *name, Shape in, size_t out_c, size_t groups, size_t k)
{
  ConvCase c = {.name = name, .in = in, .out_c = out_c, .groups = groups, .kh = k, .kw = k};

  c.sh = c.sw = c.dh = c.dw = 1;
  c.pad = INK_PAD_VALID;
  c.bias = true;
  c.expect_h = in.h - k + 1;
  c.expect_w = in.w - k + 1;
  return c;
}

/* Input 1..9 as a 3x3 image, 2x2 kernel [1 2; 3 4]. */
static void
test_convolution_hand_worked (void)
{
  static const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  static const float w[4] = {1, 2, 3, 4};
  static const float bias[1] = {0.5f};
  static const float valid[4] = {37.5f, 47.5f, 67.5f, 77.5f};
  /* SAME, one pixel of padding: at the bottom/right, or at the top/left. */
  static const float brh[9] = {37, 47, 21, 67, 77, 33, 23, 26, 9};
  static const float tlh[9] = {4, 11, 18, 18, 37, 47, 36, 67, 77};
  ConvCase k = plain_conv_case ("hand", (Shape){1, 3, 3}, 1, 1, 2);
  float *got;

  got = run_layer (conv_spec (&k, w, bias), k.in, x, (Shape){1, 2, 2});
  ink_test_assert_close (got, valid, 4, TOL);
  g_free (got);

  k.bias = false;
  k.pad = INK_PAD_SAME;
  k.same = INK_SAME_BOTTOM_RIGHT_HEAVY;
  got = run_layer (conv_spec (&k, w, NULL), k.in, x, (Shape){1, 3, 3});
  ink_test_assert_close (got, brh, 9, TOL);
  g_free (got);

  k.same = INK_SAME_TOP_LEFT_HEAVY;
  got = run_layer (conv_spec (&k, w, NULL), k.in, x, (Shape){1, 3, 3});
  ink_test_assert_close (got, tlh, 9, TOL);
  g_free (got);
}

/* Two groups: output channel 0 sees only input channel 0, channel 1 only 1. */
static void
test_convolution_groups_hand_worked (void)
{
  static const float x[8] = {1, 2, 3, 4, 10, 20, 30, 40}; /* [2, 2, 2] */
  static const float w[8] = {1, 0, 0, 1, 0, 1, 1, 0};     /* [2][1][2][2] */
  static const float want[2] = {1 + 4, 20 + 30};
  ConvCase k = plain_conv_case ("groups", (Shape){2, 2, 2}, 2, 2, 2);
  float *got;

  k.bias = false;
  got = run_layer (conv_spec (&k, w, NULL), k.in, x, (Shape){2, 1, 1});

  ink_test_assert_close (got, want, 2, TOL);
  g_free (got);
}

/* 0 for groups, stride and dilation means 1. */
static void
test_convolution_defaults (void)
{
  ConvCase k = plain_conv_case ("defaults", (Shape){2, 5, 5}, 3, 1, 3);
  float *x = random_floats (50, 21, -1, 1), *w = random_floats (54, 22, -1, 1);
  float *b = random_floats (3, 23, -1, 1), want[27];
  InkLayerSpec spec = conv_spec (&k, w, b);
  float *got;

  spec.params.convolution.groups = 0;
  spec.params.convolution.stride_h = spec.params.convolution.stride_w = 0;
  spec.params.convolution.dilation_h = spec.params.convolution.dilation_w = 0;
  ref_convolution (&k, x, w, b, ref_axis (5, 3, 1, 1, INK_PAD_VALID, 0, 0, 0),
                   ref_axis (5, 3, 1, 1, INK_PAD_VALID, 0, 0, 0), want);
  got = run_layer (spec, k.in, x, (Shape){3, 3, 3});
  ink_test_assert_close (got, want, 27, TOL);
  g_free (got);
  g_free (b);
  g_free (w);
  g_free (x);
}

/* ---- Inner product ---- */

static void
ref_inner_product (const float *x, size_t n_in, const float *w, const float *b, size_t n_out,
                   float *y)
{
  for (size_t o = 0; o < n_out; o++) {
    double acc = b != NULL ? b[o] : 0.0;
    for (size_t i = 0; i < n_in; i++)
      acc += (double) w[o * n_in + i] * (double) x[i];
    y[o] = (float) acc;
  }
}

static InkLayerSpec
inner_product_spec (size_t n_in, size_t n_out, const float *w, const float *b)
{
  InkLayerSpec spec = {.kind = INK_LAYER_INNER_PRODUCT};

  spec.params.inner_product.in_channels = n_in;
  spec.params.inner_product.out_channels = n_out;
  spec.params.inner_product.has_bias = b != NULL;
  spec.params.inner_product.weights = w;
  spec.params.inner_product.bias = b;
  return spec;
}

static void
check_inner_product (Shape in, size_t n_out, bool bias, guint32 seed)
{
  size_t n_in = shape_count (in);
  float *x = random_floats (n_in, seed, -1, 1);
  float *w = random_floats (n_in * n_out, seed + 1, -0.5f, 0.5f);
  float *b = bias ? random_floats (n_out, seed + 2, -1, 1) : NULL;
  float *want = g_new (float, n_out);
  float *got;

  ref_inner_product (x, n_in, w, b, n_out, want);
  got = run_layer (inner_product_spec (n_in, n_out, w, b), in, x, (Shape){n_out, 1, 1});
  ink_test_assert_close (got, want, n_out, TOL);
  g_free (got);
  g_free (want);
  g_free (b);
  g_free (w);
  g_free (x);
}

static void
test_inner_product_bias (void)
{
  check_inner_product ((Shape){7, 1, 1}, 5, true, 31);
  check_inner_product ((Shape){1, 1, 1}, 1, true, 34);
  check_inner_product ((Shape){33, 1, 1}, 10, true, 37); /* not a multiple of 4 */
}

static void
test_inner_product_no_bias (void)
{
  check_inner_product ((Shape){9, 1, 1}, 4, false, 41);
  check_inner_product ((Shape){64, 1, 1}, 3, false, 44);
}

/* A [C, H, W] input is read flat in channel-first order. */
static void
test_inner_product_rank3 (void)
{
  check_inner_product ((Shape){3, 4, 5}, 6, true, 51);
  check_inner_product ((Shape){2, 3, 3}, 2, false, 54);
}

static void
test_inner_product_hand_worked (void)
{
  static const float x[3] = {1, 2, 3};
  static const float w[6] = {1, 0, -1, 0.5f, 0.5f, 0.5f};
  static const float b[2] = {10, -1};
  static const float want[2] = {10 + 1 - 3, -1 + 3};
  float *got = run_layer (inner_product_spec (3, 2, w, b), (Shape){3, 1, 1}, x, (Shape){2, 1, 1});

  ink_test_assert_close (got, want, 2, TOL);
  g_free (got);
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
  bool exclude;
  size_t expect_h, expect_w; /* worked out by hand */
} PoolCase;

#define PMAX INK_POOL_MAX
#define PAVG INK_POOL_AVERAGE

/* Columns: name, input [C, H, W], type, kernel h w, stride h w, padding,
 * top bottom left right, SAME mode, exclude padding, output h w. */
/* clang-format off */
static const PoolCase pool_cases[] = {
  { "max-2x2-stride-2", {3, 8, 8}, PMAX, 2, 2, 2, 2, PV, 0, 0, 0, 0, BRH, false, 4, 4 },
  { "avg-2x2-stride-2", {3, 8, 8}, PAVG, 2, 2, 2, 2, PV, 0, 0, 0, 0, BRH, false, 4, 4 },
  { "max-3x3-stride-1", {2, 7, 6}, PMAX, 3, 3, 1, 1, PV, 0, 0, 0, 0, BRH, false, 5, 4 },
  { "avg-3x3-stride-2", {2, 9, 9}, PAVG, 3, 3, 2, 2, PV, 0, 0, 0, 0, BRH, false, 4, 4 },
  { "max-rectangular", {2, 7, 9}, PMAX, 2, 3, 1, 2, PV, 0, 0, 0, 0, BRH, false, 6, 4 },
  { "avg-odd-remainder", {1, 7, 7}, PAVG, 2, 2, 2, 2, PV, 0, 0, 0, 0, BRH, true, 3, 3 },
  { "max-valid-pad", {2, 5, 5}, PMAX, 3, 3, 2, 2, PV, 1, 1, 1, 1, BRH, false, 3, 3 },
  { "avg-valid-pad-include", {2, 5, 5}, PAVG, 3, 3, 2, 2, PV, 1, 1, 1, 1, BRH, false, 3, 3 },
  { "avg-valid-pad-exclude", {2, 5, 5}, PAVG, 3, 3, 2, 2, PV, 1, 1, 1, 1, BRH, true, 3, 3 },
  { "max-valid-asym", {1, 6, 5}, PMAX, 3, 2, 2, 1, PV, 0, 1, 1, 0, BRH, false, 3, 5 },
  { "avg-valid-asym-include", {1, 6, 5}, PAVG, 3, 2, 2, 1, PV, 0, 1, 1, 0, BRH, false, 3, 5 },
  { "avg-valid-asym-exclude", {1, 6, 5}, PAVG, 3, 2, 2, 1, PV, 0, 1, 1, 0, BRH, true, 3, 5 },
  { "max-same-brh", {2, 7, 7}, PMAX, 2, 2, 2, 2, PS, 0, 0, 0, 0, BRH, false, 4, 4 },
  { "max-same-tlh", {2, 7, 7}, PMAX, 2, 2, 2, 2, PS, 0, 0, 0, 0, TLH, false, 4, 4 },
  { "avg-same-exclude", {2, 7, 7}, PAVG, 3, 3, 2, 2, PS, 0, 0, 0, 0, BRH, true, 4, 4 },
  { "avg-same-include", {2, 7, 7}, PAVG, 3, 3, 2, 2, PS, 0, 0, 0, 0, BRH, false, 4, 4 },
  { "avg-same-brh-include", {1, 6, 6}, PAVG, 2, 2, 1, 1, PS, 0, 0, 0, 0, BRH, false, 6, 6 },
  { "avg-same-tlh-include", {1, 6, 6}, PAVG, 2, 2, 1, 1, PS, 0, 0, 0, 0, TLH, false, 6, 6 },
  { "avg-same-tlh-exclude", {1, 6, 6}, PAVG, 2, 2, 1, 1, PS, 0, 0, 0, 0, TLH, true, 6, 6 },
  { "max-same-stride-1", {3, 5, 4}, PMAX, 3, 3, 1, 1, PS, 0, 0, 0, 0, BRH, false, 5, 4 },
  { "max-include-last", {2, 6, 6}, PMAX, 3, 3, 2, 2, PL, 0, 0, 0, 0, BRH, false, 3, 3 },
  { "avg-include-last-include", {2, 6, 6}, PAVG, 3, 3, 2, 2, PL, 0, 0, 0, 0, BRH, false, 3, 3 },
  { "avg-include-last-exclude", {2, 6, 6}, PAVG, 3, 3, 2, 2, PL, 0, 0, 0, 0, BRH, true, 3, 3 },
  { "max-include-last-pad", {1, 5, 5}, PMAX, 3, 3, 2, 2, PL, 1, 0, 1, 0, BRH, false, 3, 3 },
  { "avg-include-last-pad-include", {1, 5, 5}, PAVG, 3, 3, 2, 2, PL, 1, 0, 1, 0, BRH, false, 3, 3 },
  { "avg-include-last-pad-exclude", {1, 5, 5}, PAVG, 3, 3, 2, 2, PL, 1, 0, 1, 0, BRH, true, 3, 3 },
  /* ceil((5 + 2 - 2) / 2) + 1 = 4, but window 4 would start at 6 >= 5 + 1: 3. */
  { "max-include-last-drop", {2, 5, 5}, PMAX, 2, 2, 2, 2, PL, 1, 0, 1, 0, BRH, false, 3, 3 },
  { "avg-include-last-drop-incl", {2, 5, 5}, PAVG, 2, 2, 2, 2, PL, 1, 0, 1, 0, BRH, false, 3, 3 },
  { "avg-include-last-drop-excl", {2, 5, 5}, PAVG, 2, 2, 2, 2, PL, 1, 0, 1, 0, BRH, true, 3, 3 },
  /* Only one axis padded: 7 rows with pad 1 give ceil(6 / 2) + 1 = 4, 8
   * columns without pad give ceil(5 / 2) + 1 = 4, the last hanging over. */
  { "avg-include-last-mixed", {2, 7, 8}, PAVG, 3, 3, 2, 2, PL, 1, 0, 0, 0, BRH, false, 4, 4 },
  { "max-include-last-mixed", {2, 7, 8}, PMAX, 3, 3, 2, 2, PL, 1, 0, 0, 0, BRH, false, 4, 4 },
};
/* clang-format on */

static void
ref_pooling (const PoolCase *k, const float *x, Axis ay, Axis ax, float *y)
{
  for (size_t c = 0; c < k->in.c; c++) {
    for (size_t oy = 0; oy < ay.out; oy++) {
      for (size_t ox = 0; ox < ax.out; ox++) {
        /* The window in input coordinates. */
        long y0 = (long) (oy * k->sh) - (long) ay.lead, y1 = y0 + (long) k->kh;
        long x0 = (long) (ox * k->sw) - (long) ax.lead, x1 = x0 + (long) k->kw;
        double best = -INFINITY, sum = 0.0;
        long inside = 0, padded;
        for (long iy = y0; iy < y1; iy++) {
          for (long ix = x0; ix < x1; ix++) {
            double v;
            if (iy < 0 || ix < 0 || iy >= (long) k->in.h || ix >= (long) k->in.w)
              continue;
            v = x[(c * k->in.h + (size_t) iy) * k->in.w + (size_t) ix];
            best = v > best ? v : best;
            sum += v;
            inside++;
          }
        }
        /* The window's area clipped to the padded input. */
        padded = (MIN (y1, (long) (k->in.h + ay.trail)) - MAX (y0, -(long) ay.lead)) *
                 (MIN (x1, (long) (k->in.w + ax.trail)) - MAX (x0, -(long) ax.lead));
        g_assert_cmpint (inside, >, 0);
        if (k->type == INK_POOL_MAX)
          y[(c * ay.out + oy) * ax.out + ox] = (float) best;
        else
          y[(c * ay.out + oy) * ax.out + ox] =
            (float) (sum / (double) (k->exclude ? inside : padded));
      }
    }
  }
}

static InkLayerSpec
pool_spec (const PoolCase *k)
{
  InkLayerSpec spec = {.kind = INK_LAYER_POOLING, .name = k->name};
  InkPoolingParams *p = &spec.params.pooling;

  p->type = k->type;
  p->kernel_h = k->kh;
  p->kernel_w = k->kw;
  p->stride_h = k->sh;
  p->stride_w = k->sw;
  p->padding.type = k->pad;
  p->padding.top = k->top;
  p->padding.bottom = k->bottom;
  p->padding.left = k->left;
  p->padding.right = k->right;
  p->padding.same_mode = k->same;
  p->exclude_padding = k->exclude;
  return spec;
}

static void
test_pooling_case (gconstpointer data)
{
  const PoolCase *k = data;
  Axis ay = ref_axis (k->in.h, k->kh, k->sh, 1, k->pad, k->top, k->bottom, k->same);
  Axis ax = ref_axis (k->in.w, k->kw, k->sw, 1, k->pad, k->left, k->right, k->same);
  Shape out_shape = {k->in.c, ay.out, ax.out};
  /* Negative values too, so a max that wrongly counted padding as 0 shows. */
  float *x = random_floats (shape_count (k->in), 61, -2.0f, 1.0f);
  float *want = g_new (float, shape_count (out_shape));
  float *got;

  g_assert_cmpuint (ay.out, ==, k->expect_h);
  g_assert_cmpuint (ax.out, ==, k->expect_w);
  ref_pooling (k, x, ay, ax, want);
  got = run_layer (pool_spec (k), k->in, x, out_shape);
  ink_test_assert_close (got, want, shape_count (out_shape), TOL);
  g_free (got);
  g_free (want);
  g_free (x);
}

/* 4x4 input 1..16 in one channel. */
static void
test_pooling_hand_worked (void)
{
  float x[16];
  static const float max_2x2[4] = {6, 8, 14, 16};
  static const float avg_2x2[4] = {3.5f, 5.5f, 11.5f, 13.5f};
  /* 3x3 windows, stride 2, one pixel of padding all round: windows start at
   * -1 and 1. Top-left window holds 1, 2, 5, 6 (4 pixels of 9). */
  static const float avg_pad_include[4] = {14.0f / 9, 30.0f / 9, 57.0f / 9, 99.0f / 9};
  static const float avg_pad_exclude[4] = {14.0f / 4, 30.0f / 6, 57.0f / 6, 99.0f / 9};
  PoolCase k = {"hand", {1, 4, 4}, PMAX, 2, 2, 2, 2, PV, 0, 0, 0, 0, BRH, false, 2, 2};
  float *got;

  for (int i = 0; i < 16; i++)
    x[i] = (float) (i + 1);
  got = run_layer (pool_spec (&k), k.in, x, (Shape){1, 2, 2});
  ink_test_assert_close (got, max_2x2, 4, TOL);
  g_free (got);
  k.type = PAVG;
  got = run_layer (pool_spec (&k), k.in, x, (Shape){1, 2, 2});
  ink_test_assert_close (got, avg_2x2, 4, TOL);
  g_free (got);

  k.kh = k.kw = 3;
  k.top = k.bottom = k.left = k.right = 1;
  got = run_layer (pool_spec (&k), k.in, x, (Shape){1, 2, 2});
  ink_test_assert_close (got, avg_pad_include, 4, TOL);
  g_free (got);
  k.exclude = true;
  got = run_layer (pool_spec (&k), k.in, x, (Shape){1, 2, 2});
  ink_test_assert_close (got, avg_pad_exclude, 4, TOL);
  g_free (got);
}

/* Max pooling ignores padding: all-negative inputs never yield 0. */
static void
test_pooling_max_negative_padding (void)
{
  float x[9];
  PoolCase k = {"neg", {1, 3, 3}, PMAX, 2, 2, 1, 1, PV, 1, 1, 1, 1, BRH, false, 4, 4};
  float *got;

  for (int i = 0; i < 9; i++)
    x[i] = -1.0f - (float) i;
  got = run_layer (pool_spec (&k), k.in, x, (Shape){1, 4, 4});
  /* Corner windows each hold one input pixel. */
  g_assert_cmpfloat_with_epsilon (got[0], -1.0f, TOL);
  g_assert_cmpfloat_with_epsilon (got[3], -3.0f, TOL);
  g_assert_cmpfloat_with_epsilon (got[12], -7.0f, TOL);
  g_assert_cmpfloat_with_epsilon (got[15], -9.0f, TOL);
  for (int i = 0; i < 16; i++)
    g_assert_cmpfloat (got[i], <, 0.0f);
  g_free (got);
}

static void
check_global_pooling (InkPoolType type, Shape in, guint32 seed)
{
  InkLayerSpec spec = {.kind = INK_LAYER_POOLING};
  float *x = random_floats (shape_count (in), seed, -3, 2);
  float *want = g_new (float, in.c);
  float *got;

  spec.params.pooling.type = type;
  spec.params.pooling.global = true;
  /* A kernel that is ignored: global pooling covers the whole plane. */
  spec.params.pooling.kernel_h = spec.params.pooling.kernel_w = 2;
  for (size_t c = 0; c < in.c; c++) {
    double best = -INFINITY, sum = 0.0;
    for (size_t i = 0; i < in.h * in.w; i++) {
      double v = x[c * in.h * in.w + i];
      best = v > best ? v : best;
      sum += v;
    }
    want[c] = (float) (type == INK_POOL_MAX ? best : sum / (double) (in.h * in.w));
  }
  got = run_layer (spec, in, x, (Shape){in.c, 1, 1});
  ink_test_assert_close (got, want, in.c, TOL);
  g_free (got);
  g_free (want);
  g_free (x);
}

static void
test_pooling_global_max (void)
{
  check_global_pooling (INK_POOL_MAX, (Shape){3, 5, 4}, 71);
  check_global_pooling (INK_POOL_MAX, (Shape){1, 1, 7}, 72);
}

static void
test_pooling_global_average (void)
{
  check_global_pooling (INK_POOL_AVERAGE, (Shape){3, 5, 4}, 73);
  check_global_pooling (INK_POOL_AVERAGE, (Shape){4, 9, 9}, 74);
}

/* ---- Activations ---- */

static double
ref_activation (InkActivationType type, double alpha, double beta, double v)
{
  switch (type) {
  case INK_ACT_RELU: return v > 0 ? v : 0;
  case INK_ACT_LEAKY_RELU: return v >= 0 ? v : alpha * v;
  case INK_ACT_SIGMOID: return 1.0 / (1.0 + exp (-v));
  case INK_ACT_TANH: return tanh (v);
  case INK_ACT_LINEAR: return alpha * v + beta;
  }
  g_assert_not_reached ();
}

static void
check_activation (InkActivationType type, float alpha, float beta)
{
  Shape s = {3, 4, 5};
  size_t n = shape_count (s);
  InkLayerSpec spec = {.kind = INK_LAYER_ACTIVATION};
  float *x = random_floats (n, 81 + (guint32) type, -4, 4);
  float *want = g_new (float, n);
  float *got;

  spec.params.activation = (InkActivationParams){type, alpha, beta};
  for (size_t i = 0; i < n; i++)
    want[i] = (float) ref_activation (type, alpha, beta, x[i]);
  got = run_layer (spec, s, x, s);
  ink_test_assert_close (got, want, n, TOL);
  g_free (got);
  g_free (want);
  g_free (x);
}

static void
test_activation_relu (void)
{
  check_activation (INK_ACT_RELU, 0, 0);
}

static void
test_activation_leaky_relu (void)
{
  check_activation (INK_ACT_LEAKY_RELU, 0.1f, 0);
  check_activation (INK_ACT_LEAKY_RELU, 0.3f, 0);
}

static void
test_activation_sigmoid (void)
{
  check_activation (INK_ACT_SIGMOID, 0, 0);
}

static void
test_activation_tanh (void)
{
  check_activation (INK_ACT_TANH, 0, 0);
}

static void
test_activation_linear (void)
{
  check_activation (INK_ACT_LINEAR, 2.5f, -0.75f);
  check_activation (INK_ACT_LINEAR, -1.0f, 3.0f);
}

static void
test_activation_hand_worked (void)
{
  static const float x[4] = {-2, -0.5f, 0, 3};
  static const struct {
    InkActivationType type;
    float alpha, beta;
    float want[4];
  } cases[] = {
    {INK_ACT_RELU, 0, 0, {0, 0, 0, 3}},
    {INK_ACT_LEAKY_RELU, 0.1f, 0, {-0.2f, -0.05f, 0, 3}},
    {INK_ACT_SIGMOID, 0, 0, {0.119202922f, 0.377540669f, 0.5f, 0.952574127f}},
    {INK_ACT_TANH, 0, 0, {-0.964027580f, -0.462117157f, 0, 0.995054754f}},
    {INK_ACT_LINEAR, 2, 1, {-3, 0, 1, 7}},
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    InkLayerSpec spec = {.kind = INK_LAYER_ACTIVATION};
    float *got;
    spec.params.activation = (InkActivationParams){cases[i].type, cases[i].alpha, cases[i].beta};
    got = run_layer (spec, (Shape){4, 1, 1}, x, (Shape){4, 1, 1});
    ink_test_assert_close (got, cases[i].want, 4, TOL);
    g_free (got);
  }
}

/* ---- Softmax ---- */

static void
ref_softmax (Shape s, const float *x, float *y)
{
  size_t plane = s.h * s.w;

  for (size_t p = 0; p < plane; p++) {
    double m = -INFINITY, sum = 0.0;
    for (size_t c = 0; c < s.c; c++)
      m = MAX (m, (double) x[c * plane + p]);
    for (size_t c = 0; c < s.c; c++)
      sum += exp ((double) x[c * plane + p] - m);
    for (size_t c = 0; c < s.c; c++)
      y[c * plane + p] = (float) (exp ((double) x[c * plane + p] - m) / sum);
  }
}

static void
check_softmax (Shape s, float lo, float hi, guint32 seed)
{
  size_t n = shape_count (s);
  InkLayerSpec spec = {.kind = INK_LAYER_SOFTMAX};
  float *x = random_floats (n, seed, lo, hi);
  float *want = g_new (float, n);
  float *got;

  ref_softmax (s, x, want);
  got = run_layer (spec, s, x, s);
  ink_test_assert_close (got, want, n, TOL);
  /* Each (h, w) position sums to one over the channels. */
  for (size_t p = 0; p < s.h * s.w; p++) {
    double sum = 0.0;
    for (size_t c = 0; c < s.c; c++)
      sum += got[c * s.h * s.w + p];
    g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-5);
  }
  g_free (got);
  g_free (want);
  g_free (x);
}

static void
test_softmax_vector (void)
{
  static const float x[3] = {1, 2, 3};
  /* e^-2, e^-1, 1 over their sum. */
  static const float want[3] = {0.0900305732f, 0.244728471f, 0.665240956f};
  InkLayerSpec spec = {.kind = INK_LAYER_SOFTMAX};
  float *got = run_layer (spec, (Shape){3, 1, 1}, x, (Shape){3, 1, 1});

  ink_test_assert_close (got, want, 3, TOL);
  g_free (got);
  check_softmax ((Shape){10, 1, 1}, -5, 5, 91);
}

static void
test_softmax_channels (void)
{
  check_softmax ((Shape){5, 3, 4}, -5, 5, 92);
  check_softmax ((Shape){2, 6, 1}, -3, 3, 93);
}

/* Large logits must not overflow float exp. */
static void
test_softmax_large (void)
{
  check_softmax ((Shape){4, 2, 2}, 150, 250, 94);
  check_softmax ((Shape){4, 2, 2}, -250, -150, 95);
}

/* ---- Flatten and reshape ---- */

static void
check_flatten (Shape s, InkChannelOrder order, guint32 seed)
{
  size_t n = shape_count (s);
  InkLayerSpec spec = {.kind = INK_LAYER_FLATTEN};
  float *x = random_floats (n, seed, -1, 1);
  float *want = g_new (float, n);
  float *got;

  spec.params.flatten.order = order;
  for (size_t c = 0; c < s.c; c++) {
    for (size_t y = 0; y < s.h; y++) {
      for (size_t xx = 0; xx < s.w; xx++) {
        size_t src = (c * s.h + y) * s.w + xx;
        size_t dst = order == INK_ORDER_CHANNEL_FIRST ? src : (y * s.w + xx) * s.c + c;
        want[dst] = x[src];
      }
    }
  }
  got = run_layer (spec, s, x, (Shape){n, 1, 1});
  ink_test_assert_close (got, want, n, 0);
  g_free (got);
  g_free (want);
  g_free (x);
}

static void
test_flatten_channel_first (void)
{
  check_flatten ((Shape){3, 2, 4}, INK_ORDER_CHANNEL_FIRST, 101);
  check_flatten ((Shape){6, 1, 1}, INK_ORDER_CHANNEL_FIRST, 102);
}

static void
test_flatten_channel_last (void)
{
  static const float x[4] = {1, 2, 3, 4}; /* [2, 1, 2]: channel 0 is 1 2 */
  static const float want[4] = {1, 3, 2, 4};
  InkLayerSpec spec = {.kind = INK_LAYER_FLATTEN};
  float *got;

  spec.params.flatten.order = INK_ORDER_CHANNEL_LAST;
  got = run_layer (spec, (Shape){2, 1, 2}, x, (Shape){4, 1, 1});
  ink_test_assert_close (got, want, 4, 0);
  g_free (got);
  check_flatten ((Shape){3, 2, 4}, INK_ORDER_CHANNEL_LAST, 103);
  check_flatten ((Shape){5, 3, 3}, INK_ORDER_CHANNEL_LAST, 104);
  /* One channel: both orders agree. */
  check_flatten ((Shape){1, 3, 4}, INK_ORDER_CHANNEL_LAST, 105);
}

static void
check_reshape (Shape from, Shape to, InkChannelOrder order, guint32 seed)
{
  size_t n = shape_count (from);
  InkLayerSpec spec = {.kind = INK_LAYER_RESHAPE};
  float *x = random_floats (n, seed, -1, 1);
  float *hwc = g_new (float, n), *want = g_new (float, n);
  float *got;

  spec.params.reshape.shape[0] = (int64_t) to.c;
  spec.params.reshape.shape[1] = (int64_t) to.h;
  spec.params.reshape.shape[2] = (int64_t) to.w;
  spec.params.reshape.order = order;
  if (order == INK_ORDER_CHANNEL_FIRST) {
    memcpy (want, x, n * sizeof *want);
  } else {
    /* Read the input in H, W, C order ... */
    for (size_t y = 0, i = 0; y < from.h; y++) {
      for (size_t xx = 0; xx < from.w; xx++) {
        for (size_t c = 0; c < from.c; c++)
          hwc[i++] = x[(c * from.h + y) * from.w + xx];
      }
    }
    /* ... and write the output in H, W, C order. */
    for (size_t y = 0, i = 0; y < to.h; y++) {
      for (size_t xx = 0; xx < to.w; xx++) {
        for (size_t c = 0; c < to.c; c++)
          want[(c * to.h + y) * to.w + xx] = hwc[i++];
      }
    }
  }
  got = run_layer (spec, from, x, to);
  ink_test_assert_close (got, want, n, 0);
  g_free (got);
  g_free (want);
  g_free (hwc);
  g_free (x);
}

static void
test_reshape_channel_first (void)
{
  check_reshape ((Shape){2, 3, 4}, (Shape){4, 3, 2}, INK_ORDER_CHANNEL_FIRST, 111);
  check_reshape ((Shape){6, 1, 1}, (Shape){1, 2, 3}, INK_ORDER_CHANNEL_FIRST, 112);
  check_reshape ((Shape){2, 2, 3}, (Shape){12, 1, 1}, INK_ORDER_CHANNEL_FIRST, 113);
}

static void
test_reshape_channel_last (void)
{
  /* [4, 1, 1] a b c d into [2, 1, 2]: (x0: a b) (x1: c d) so channel 0 is
   * a c and channel 1 is b d. */
  static const float x[4] = {1, 2, 3, 4};
  static const float want[4] = {1, 3, 2, 4};
  InkLayerSpec spec = {.kind = INK_LAYER_RESHAPE};
  float *got;

  spec.params.reshape.shape[0] = 2;
  spec.params.reshape.shape[1] = 1;
  spec.params.reshape.shape[2] = 2;
  spec.params.reshape.order = INK_ORDER_CHANNEL_LAST;
  got = run_layer (spec, (Shape){4, 1, 1}, x, (Shape){2, 1, 2});
  ink_test_assert_close (got, want, 4, 0);
  g_free (got);
  check_reshape ((Shape){2, 3, 4}, (Shape){4, 3, 2}, INK_ORDER_CHANNEL_LAST, 114);
  check_reshape ((Shape){3, 2, 2}, (Shape){2, 3, 2}, INK_ORDER_CHANNEL_LAST, 115);
  check_reshape ((Shape){6, 1, 1}, (Shape){1, 2, 3}, INK_ORDER_CHANNEL_LAST, 116);
  check_reshape ((Shape){2, 2, 3}, (Shape){12, 1, 1}, INK_ORDER_CHANNEL_LAST, 117);
}

/* ---- Batchnorm ---- */

static void
ref_batchnorm (Shape s, const float *x, const float *gamma, const float *beta, const float *mean,
               const float *var, double eps, bool compute, float *y)
{
  size_t plane = s.h * s.w;

  for (size_t c = 0; c < s.c; c++) {
    double mu, v;
    if (compute) {
      double sum = 0.0, sq = 0.0;
      for (size_t p = 0; p < plane; p++)
        sum += x[c * plane + p];
      mu = sum / (double) plane;
      for (size_t p = 0; p < plane; p++)
        sq += (x[c * plane + p] - mu) * (x[c * plane + p] - mu);
      v = sq / (double) plane; /* population variance */
    } else {
      mu = mean[c];
      v = var[c];
    }
    for (size_t p = 0; p < plane; p++)
      y[c * plane + p] = (float) (gamma[c] * (x[c * plane + p] - mu) / sqrt (v + eps) + beta[c]);
  }
}

static void
check_batchnorm (Shape s, float eps, bool compute, float var_lo, float var_hi, double tol,
                 guint32 seed)
{
  size_t n = shape_count (s);
  InkLayerSpec spec = {.kind = INK_LAYER_BATCHNORM};
  float *x = random_floats (n, seed, -2, 3);
  float *gamma = random_floats (s.c, seed + 1, 0.5f, 2);
  float *beta = random_floats (s.c, seed + 2, -1, 1);
  float *mean = random_floats (s.c, seed + 3, -1, 1);
  float *var = random_floats (s.c, seed + 4, var_lo, var_hi);
  float *want = g_new (float, n);
  float *got;

  spec.params.batchnorm.channels = s.c;
  spec.params.batchnorm.epsilon = eps;
  spec.params.batchnorm.compute_mean_var = compute;
  spec.params.batchnorm.gamma = gamma;
  spec.params.batchnorm.beta = beta;
  spec.params.batchnorm.mean = compute ? NULL : mean;
  spec.params.batchnorm.variance = compute ? NULL : var;
  ref_batchnorm (s, x, gamma, beta, mean, var, eps == 0.0f ? 1e-5 : (double) eps, compute, want);
  got = run_layer (spec, s, x, s);
  ink_test_assert_close (got, want, n, tol);
  g_free (got);
  g_free (want);
  g_free (var);
  g_free (mean);
  g_free (beta);
  g_free (gamma);
  g_free (x);
}

static void
test_batchnorm_basic (void)
{
  check_batchnorm ((Shape){4, 3, 5}, 1e-3f, false, 0.1f, 2.0f, TOL, 121);
  check_batchnorm ((Shape){6, 1, 1}, 1e-3f, false, 0.1f, 2.0f, TOL, 126);
}

/* Epsilon 0 means 1e-5: it matters when the variance is tiny. */
static void
test_batchnorm_default_epsilon (void)
{
  static const float x[2] = {1.0f, 0.0f};
  static const float gamma[1] = {1}, beta[1] = {0}, mean[1] = {0}, var[1] = {1e-5f};
  InkLayerSpec spec = {.kind = INK_LAYER_BATCHNORM};
  float want[2] = {(float) (1.0 / sqrt (2e-5)), 0.0f};
  float *got;

  spec.params.batchnorm = (InkBatchnormParams){1, 0.0f, false, gamma, beta, mean, var};
  got = run_layer (spec, (Shape){1, 1, 2}, x, (Shape){1, 1, 2});
  ink_test_assert_close (got, want, 2, 1e-3); /* values near 224 */
  g_free (got);
  /* Outputs reach a few hundred: float resolution there is ~3e-5. */
  check_batchnorm ((Shape){3, 2, 2}, 0.0f, false, 1e-5f, 1e-4f, 1e-3, 131);
}

static void
test_batchnorm_instance (void)
{
  /* One channel 1 2 3 4: mean 2.5, variance 1.25. */
  static const float x[4] = {1, 2, 3, 4};
  static const float gamma[1] = {2}, beta[1] = {1};
  InkLayerSpec spec = {.kind = INK_LAYER_BATCHNORM};
  float want[4];
  float *got;

  for (int i = 0; i < 4; i++)
    want[i] = (float) (2.0 * (x[i] - 2.5) / sqrt (1.25 + 1e-5) + 1.0);
  spec.params.batchnorm = (InkBatchnormParams){1, 0.0f, true, gamma, beta, NULL, NULL};
  got = run_layer (spec, (Shape){1, 2, 2}, x, (Shape){1, 2, 2});
  ink_test_assert_close (got, want, 4, TOL);
  g_free (got);
  check_batchnorm ((Shape){4, 5, 6}, 1e-3f, true, 0, 1, 1e-4, 141);
  check_batchnorm ((Shape){2, 1, 9}, 0.0f, true, 0, 1, 1e-4, 146);
}

/* ---- Add ---- */

static void
test_add_alpha (void)
{
  Shape s = {2, 3, 4};
  InkLayerSpec spec = {.kind = INK_LAYER_ADD};
  float *x = random_floats (24, 151, -1, 1);
  float want[24];
  float *got;

  spec.params.add.alpha = 1.5f;
  for (int i = 0; i < 24; i++)
    want[i] = x[i] + 1.5f;
  got = run_layer (spec, s, x, s);
  ink_test_assert_close (got, want, 24, TOL);
  g_free (got);
  g_free (x);
}

/* Sums n inputs broadcast to out: a dimension of 1 repeats. */
static void
check_add (size_t n, const Shape *shapes, Shape out, float alpha, guint32 seed)
{
  InkLayerSpec spec = {.kind = INK_LAYER_ADD};
  float **xs = g_new (float *, n);
  float *want = g_new (float, shape_count (out));
  float *got;

  /* alpha is used only with a single input. */
  spec.params.add.alpha = alpha;
  for (size_t i = 0; i < n; i++)
    xs[i] = random_floats (shape_count (shapes[i]), seed + (guint32) i, -1, 1);
  for (size_t c = 0; c < out.c; c++) {
    for (size_t y = 0; y < out.h; y++) {
      for (size_t x = 0; x < out.w; x++) {
        double acc = 0.0;
        for (size_t i = 0; i < n; i++) {
          Shape s = shapes[i];
          acc += xs[i][((s.c == 1 ? 0 : c) * s.h + (s.h == 1 ? 0 : y)) * s.w + (s.w == 1 ? 0 : x)];
        }
        want[(c * out.h + y) * out.w + x] = (float) acc;
      }
    }
  }
  got = run_layer_multi (spec, n, shapes, (const float *const *) xs, out);
  ink_test_assert_close (got, want, shape_count (out), TOL);
  g_free (got);
  g_free (want);
  for (size_t i = 0; i < n; i++)
    g_free (xs[i]);
  g_free (xs);
}

static void
test_add_same_shape (void)
{
  static const Shape two[2] = {{2, 3, 4}, {2, 3, 4}};
  static const Shape three[3] = {{3, 2, 2}, {3, 2, 2}, {3, 2, 2}};
  static const Shape vectors[2] = {{5, 1, 1}, {5, 1, 1}};

  check_add (2, two, two[0], 0, 161);
  check_add (3, three, three[0], 7.0f, 165);
  check_add (2, vectors, vectors[0], 0, 169);
}

static void
test_add_hand_worked (void)
{
  static const float a[4] = {1, 2, 3, 4}; /* [1, 2, 2] */
  static const float b[2] = {10, 100};    /* [2, 1, 1] */
  static const float want[8] = {11, 12, 13, 14, 101, 102, 103, 104};
  static const Shape shapes[2] = {{1, 2, 2}, {2, 1, 1}};
  const float *xs[2] = {a, b};
  InkLayerSpec spec = {.kind = INK_LAYER_ADD};
  float *got = run_layer_multi (spec, 2, shapes, xs, (Shape){2, 2, 2});

  ink_test_assert_close (got, want, 8, TOL);
  g_free (got);
}

static void
test_add_broadcast_channels (void)
{
  static const Shape a[2] = {{3, 4, 5}, {3, 1, 1}};
  static const Shape b[2] = {{3, 1, 1}, {3, 4, 5}};

  check_add (2, a, a[0], 0, 171);
  check_add (2, b, a[0], 0, 173);
}

static void
test_add_broadcast_plane (void)
{
  static const Shape a[2] = {{3, 4, 5}, {1, 4, 5}};
  static const Shape b[3] = {{1, 4, 5}, {3, 4, 5}, {1, 4, 5}};

  check_add (2, a, a[0], 0, 175);
  check_add (3, b, a[0], 0, 177);
}

static void
test_add_broadcast_scalar (void)
{
  static const Shape a[2] = {{3, 4, 5}, {1, 1, 1}};
  static const Shape b[4] = {{1, 1, 1}, {2, 3, 3}, {2, 1, 1}, {1, 3, 3}};

  check_add (2, a, a[0], 0, 181);
  check_add (4, b, b[1], 0, 183);
}

/* More inputs than the engine sums at once. */
static void
test_add_many_inputs (void)
{
  static const Shape kinds[4] = {{2, 3, 3}, {2, 1, 1}, {1, 3, 3}, {1, 1, 1}};
  Shape shapes[40];

  for (size_t i = 0; i < 40; i++)
    shapes[i] = kinds[i % 4];
  check_add (17, shapes, kinds[0], 0, 191);
  check_add (20, shapes, kinds[0], 0, 192);
  check_add (33, shapes, kinds[0], 0, 193);
  check_add (40, shapes, kinds[0], 0, 194);
}

/* ---- Concat ---- */

static void
check_concat (size_t n, const Shape *shapes, guint32 seed)
{
  InkLayerSpec spec = {.kind = INK_LAYER_CONCAT};
  Shape out = {0, shapes[0].h, shapes[0].w};
  float **xs = g_new (float *, n);
  float *want;
  float *got;

  for (size_t i = 0; i < n; i++) {
    xs[i] = random_floats (shape_count (shapes[i]), seed + (guint32) i, -1, 1);
    out.c += shapes[i].c;
  }
  want = g_new (float, shape_count (out));
  for (size_t i = 0, oc = 0; i < n; i++) {
    for (size_t c = 0; c < shapes[i].c; c++, oc++) {
      for (size_t p = 0; p < out.h * out.w; p++)
        want[oc * out.h * out.w + p] = xs[i][c * out.h * out.w + p];
    }
  }
  got = run_layer_multi (spec, n, shapes, (const float *const *) xs, out);
  ink_test_assert_close (got, want, shape_count (out), 0);
  g_free (got);
  g_free (want);
  for (size_t i = 0; i < n; i++)
    g_free (xs[i]);
  g_free (xs);
}

static void
test_concat_two (void)
{
  static const Shape a[2] = {{2, 3, 4}, {3, 3, 4}};
  static const Shape v[2] = {{3, 1, 1}, {5, 1, 1}};

  check_concat (2, a, 201);
  check_concat (2, v, 203);
}

static void
test_concat_three (void)
{
  static const Shape a[3] = {{1, 2, 2}, {2, 2, 2}, {4, 2, 2}};

  check_concat (3, a, 205);
}

/* ---- Inputs and image preprocessing ---- */

/* Runs the image (or any value) through a network whose single layer is an
 * identity (linear 1 * x + 0) on input "image" of the given type. */
static float *
run_identity (const InkFeatureType *type, const InkImageScaler *scaler, InkValue *value,
              Shape out_shape)
{
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  InkLayerSpec spec = {.kind = INK_LAYER_ACTIVATION, .name = "identity"};
  const char *ins[1] = {"image"};
  InkFeatures *in = ink_features_new (), *out = NULL;
  InkError err;
  float *y;

  ink_assert_ok (ink_model_add_input (m, "image", type, "", &err), &err);
  add_any_output (m, "y");
  spec.params.activation = (InkActivationParams){INK_ACT_LINEAR, 1.0f, 0.0f};
  add_layer_n (m, spec, ins, 1, "y");
  if (scaler != NULL)
    ink_assert_ok (ink_nn_add_image_scaler (m, scaler, &err), &err);
  ink_assert_ok (ink_model_finish (m, &err), &err);
  g_assert_cmpint (ink_features_set (in, "image", value), ==, INK_OK);
  ink_assert_ok (ink_model_predict (m, in, &out, &err), &err);
  y = take_output (out, "y", out_shape);
  ink_features_free (out);
  ink_features_free (in);
  ink_model_free (m);
  return y;
}

static uint8_t *
random_pixels (size_t n, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  uint8_t *px = g_new (uint8_t, n);

  for (size_t i = 0; i < n; i++)
    px[i] = (uint8_t) g_rand_int_range (r, 0, 256);
  g_rand_free (r);
  return px;
}

static void
test_image_gray (void)
{
  const int w = 5, h = 4;
  uint8_t *px = random_pixels ((size_t) (w * h), 211);
  InkFeatureType t = ink_feature_type_image (INK_PIXEL_GRAY8, w, h);
  InkImageScaler s = {"image", 1.0f / 255.0f, 7, 8, 9, -0.5f};
  float want[20];
  float *got;

  /* Without a scaler: the raw pixel values. */
  for (int i = 0; i < w * h; i++)
    want[i] = px[i];
  got = run_identity (&t, NULL, ink_value_new_image (INK_PIXEL_GRAY8, w, h, (size_t) w, px),
                      (Shape){1, 4, 5});
  ink_test_assert_close (got, want, 20, 0);
  g_free (got);
  /* With one: scale * pixel + gray bias (the colour biases play no part). */
  for (int i = 0; i < w * h; i++)
    want[i] = (float) (px[i] / 255.0 - 0.5);
  got = run_identity (&t, &s, ink_value_new_image (INK_PIXEL_GRAY8, w, h, (size_t) w, px),
                      (Shape){1, 4, 5});
  ink_test_assert_close (got, want, 20, TOL);
  g_free (got);
  g_free (px);
}

/* Colour inputs: channels R, G, B for RGBA8 and B, G, R for BGRA8, each
 * with its own bias. */
static void
check_image_colour (InkPixelFormat format)
{
  const int w = 4, h = 3;
  const size_t plane = (size_t) (w * h);
  uint8_t *px = random_pixels (plane * 4, 221 + (guint32) format);
  InkFeatureType t = ink_feature_type_image (format, w, h);
  InkImageScaler s = {"image", 2.0f, 1000, 2000, 3000, -1};
  bool bgr = format == INK_PIXEL_BGRA8;
  /* Byte offsets of R, G, B within a pixel. */
  size_t r_at = bgr ? 2 : 0, g_at = 1, b_at = bgr ? 0 : 2;
  float *want = g_new (float, plane * 3);
  float *got;

  for (size_t p = 0; p < plane; p++) {
    double r = 2.0 * px[p * 4 + r_at] + 1000;
    double g = 2.0 * px[p * 4 + g_at] + 2000;
    double b = 2.0 * px[p * 4 + b_at] + 3000;
    want[0 * plane + p] = (float) (bgr ? b : r);
    want[1 * plane + p] = (float) g;
    want[2 * plane + p] = (float) (bgr ? r : b);
  }
  got =
    run_identity (&t, &s, ink_value_new_image (format, w, h, (size_t) w * 4, px), (Shape){3, 3, 4});
  ink_test_assert_close (got, want, plane * 3, TOL);
  g_free (got);
  /* Without a scaler, the same channel order with no scale or bias. */
  for (size_t p = 0; p < plane; p++) {
    want[0 * plane + p] = px[p * 4 + (bgr ? b_at : r_at)];
    want[1 * plane + p] = px[p * 4 + g_at];
    want[2 * plane + p] = px[p * 4 + (bgr ? r_at : b_at)];
  }
  got = run_identity (&t, NULL, ink_value_new_image (format, w, h, (size_t) w * 4, px),
                      (Shape){3, 3, 4});
  ink_test_assert_close (got, want, plane * 3, 0);
  g_free (got);
  g_free (want);
  g_free (px);
}

static void
test_image_rgba (void)
{
  check_image_colour (INK_PIXEL_RGBA8);
}

static void
test_image_bgra (void)
{
  check_image_colour (INK_PIXEL_BGRA8);
}

/* An RGBA image given to a BGRA input is converted: same as the BGRA image. */
static void
test_image_format_converted (void)
{
  const int w = 3, h = 2;
  uint8_t *rgba = random_pixels (24, 231), bgra[24];
  InkFeatureType t = ink_feature_type_image (INK_PIXEL_BGRA8, w, h);
  InkImageScaler s = {"image", 0.5f, 1, 2, 3, 0};
  float *a, *b;

  for (int p = 0; p < w * h; p++) {
    bgra[p * 4 + 0] = rgba[p * 4 + 2];
    bgra[p * 4 + 1] = rgba[p * 4 + 1];
    bgra[p * 4 + 2] = rgba[p * 4 + 0];
    bgra[p * 4 + 3] = rgba[p * 4 + 3] = 255;
  }
  a =
    run_identity (&t, &s, ink_value_new_image (INK_PIXEL_RGBA8, w, h, 12, rgba), (Shape){3, 2, 3});
  b =
    run_identity (&t, &s, ink_value_new_image (INK_PIXEL_BGRA8, w, h, 12, bgra), (Shape){3, 2, 3});
  ink_test_assert_close (a, b, 18, 0);
  g_free (a);
  g_free (b);
  g_free (rgba);
}

/* A Double input is a [1, 1, 1] blob. */
static void
test_input_scalar (void)
{
  InkFeatureType t = ink_feature_type_double ();
  float *got = run_identity (&t, NULL, ink_value_new_double (2.25), (Shape){1, 1, 1});

  g_assert_cmpfloat_with_epsilon (got[0], 2.25f, TOL);
  g_free (got);
}

/* A multi-array input [1, 1, C, H, W] (Core ML's rank-5 layout) is [C, H, W]. */
static void
test_input_rank5 (void)
{
  static const int64_t dims[5] = {1, 1, 2, 3, 2};
  InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 5, dims);
  float *x = random_floats (12, 241, -1, 1);
  float *got = run_identity (&t, NULL, ink_test_array (5, dims, x), (Shape){2, 3, 2});

  ink_test_assert_close (got, x, 12, 0);
  g_free (got);
  g_free (x);
}

/* A Float64 multi-array input is converted to the network's floats. */
static void
test_input_float64 (void)
{
  static const int64_t dims[1] = {3};
  static const double x[3] = {0.1, -2.5, 1e3};
  static const float want[3] = {0.1f, -2.5f, 1e3f};
  InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT64, 1, dims);
  float *got = run_identity (&t, NULL, ink_value_new_multiarray (INK_ARRAY_FLOAT64, 1, dims, x),
                             (Shape){3, 1, 1});

  ink_test_assert_close (got, want, 3, 0);
  g_free (got);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (size_t i = 0; i < G_N_ELEMENTS (conv_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/engine/layers/convolution/%s", conv_cases[i].name);
    g_test_add_data_func (path, &conv_cases[i], test_convolution_case);
  }
  g_test_add_func ("/engine/layers/convolution/hand-worked", test_convolution_hand_worked);
  g_test_add_func ("/engine/layers/convolution/groups-hand-worked",
                   test_convolution_groups_hand_worked);
  g_test_add_func ("/engine/layers/convolution/defaults", test_convolution_defaults);

  g_test_add_func ("/engine/layers/inner-product/bias", test_inner_product_bias);
  g_test_add_func ("/engine/layers/inner-product/no-bias", test_inner_product_no_bias);
  g_test_add_func ("/engine/layers/inner-product/rank3", test_inner_product_rank3);
  g_test_add_func ("/engine/layers/inner-product/hand-worked", test_inner_product_hand_worked);

  for (size_t i = 0; i < G_N_ELEMENTS (pool_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/engine/layers/pooling/%s", pool_cases[i].name);
    g_test_add_data_func (path, &pool_cases[i], test_pooling_case);
  }
  g_test_add_func ("/engine/layers/pooling/hand-worked", test_pooling_hand_worked);
  g_test_add_func ("/engine/layers/pooling/max-negative-padding",
                   test_pooling_max_negative_padding);
  g_test_add_func ("/engine/layers/pooling/global-max", test_pooling_global_max);
  g_test_add_func ("/engine/layers/pooling/global-average", test_pooling_global_average);

  g_test_add_func ("/engine/layers/activation/relu", test_activation_relu);
  g_test_add_func ("/engine/layers/activation/leaky-relu", test_activation_leaky_relu);
  g_test_add_func ("/engine/layers/activation/sigmoid", test_activation_sigmoid);
  g_test_add_func ("/engine/layers/activation/tanh", test_activation_tanh);
  g_test_add_func ("/engine/layers/activation/linear", test_activation_linear);
  g_test_add_func ("/engine/layers/activation/hand-worked", test_activation_hand_worked);

  g_test_add_func ("/engine/layers/softmax/vector", test_softmax_vector);
  g_test_add_func ("/engine/layers/softmax/channels", test_softmax_channels);
  g_test_add_func ("/engine/layers/softmax/large", test_softmax_large);

  g_test_add_func ("/engine/layers/flatten/channel-first", test_flatten_channel_first);
  g_test_add_func ("/engine/layers/flatten/channel-last", test_flatten_channel_last);
  g_test_add_func ("/engine/layers/reshape/channel-first", test_reshape_channel_first);
  g_test_add_func ("/engine/layers/reshape/channel-last", test_reshape_channel_last);

  g_test_add_func ("/engine/layers/batchnorm/basic", test_batchnorm_basic);
  g_test_add_func ("/engine/layers/batchnorm/default-epsilon", test_batchnorm_default_epsilon);
  g_test_add_func ("/engine/layers/batchnorm/instance", test_batchnorm_instance);

  g_test_add_func ("/engine/layers/add/alpha", test_add_alpha);
  g_test_add_func ("/engine/layers/add/same-shape", test_add_same_shape);
  g_test_add_func ("/engine/layers/add/hand-worked", test_add_hand_worked);
  g_test_add_func ("/engine/layers/add/broadcast-channels", test_add_broadcast_channels);
  g_test_add_func ("/engine/layers/add/broadcast-plane", test_add_broadcast_plane);
  g_test_add_func ("/engine/layers/add/broadcast-scalar", test_add_broadcast_scalar);
  g_test_add_func ("/engine/layers/add/many-inputs", test_add_many_inputs);

  g_test_add_func ("/engine/layers/concat/two", test_concat_two);
  g_test_add_func ("/engine/layers/concat/three", test_concat_three);

  g_test_add_func ("/engine/layers/image/gray", test_image_gray);
  g_test_add_func ("/engine/layers/image/rgba", test_image_rgba);
  g_test_add_func ("/engine/layers/image/bgra", test_image_bgra);
  g_test_add_func ("/engine/layers/image/format-converted", test_image_format_converted);
  g_test_add_func ("/engine/layers/input/scalar", test_input_scalar);
  g_test_add_func ("/engine/layers/input/rank5", test_input_rank5);
  g_test_add_func ("/engine/layers/input/float64", test_input_float64);

  return g_test_run ();
}

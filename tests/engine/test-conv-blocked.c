/* test-conv-blocked.c: the inference convolution vectorized over output channels
 *
 * At inference a stride-1 convolution runs ink_kernel_conv_blocked, alone
 * or fused with an activation and a max pooling. Its results must be bit
 * for bit those of the training path (ink_nn_forward with inference off:
 * the flat direct kernel, then the activation and pooling kernels), for
 * every tile it picks: widths under, at, between and over its tile widths,
 * channel counts that leave partial blocks, groups, kernel sizes, paddings,
 * each activation. A plain-loop reference (double sums) checks the values.
 * tests/engine/meson.build runs this unit again with INKLING_SIMD=avx2.
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "ink-nn-private.h"
#include "ink-nn-train-private.h"
#include "test-util.h"

typedef struct {
  size_t c, h, w;    /* input */
  size_t oc, kh, kw; /* convolution */
  size_t groups;
  InkPadding pad;
  InkActivationType act;
  size_t pk, ps;   /* max pooling kernel and stride */
  size_t pool_pad; /* pooling's top and left padding */
  bool fusable;
  bool packed; /* the blocked kernel applies (given AVX2) */
} ConvCase;

#define SAME                                                                                       \
  {                                                                                                \
    .type = INK_PAD_SAME                                                                           \
  }
#define VALID                                                                                      \
  {                                                                                                \
    .type = INK_PAD_VALID                                                                          \
  }

static const ConvCase cases[] = {
  /* The bundled drawing network's three convolutions. */
  {1, 28, 28, 32, 3, 3, 1, SAME, INK_ACT_RELU, 2, 2, 0, true, true},
  {32, 14, 14, 64, 3, 3, 1, SAME, INK_ACT_RELU, 2, 2, 0, true, true},
  {64, 7, 7, 64, 3, 3, 1, SAME, INK_ACT_RELU, 2, 2, 0, true, true},
  /* Rows narrower than every tile; one column; partial blocks. */
  {3, 5, 4, 5, 3, 3, 1, SAME, INK_ACT_RELU, 2, 2, 0, true, true},
  {3, 6, 1, 8, 3, 3, 1, SAME, INK_ACT_RELU, 1, 1, 0, true, true},
  /* Overlapping last tiles; 17 and 33 channels; several block groups. */
  {2, 9, 20, 17, 3, 3, 1, SAME, INK_ACT_LEAKY_RELU, 3, 2, 0, true, true},
  {4, 8, 12, 33, 5, 5, 1, SAME, INK_ACT_SIGMOID, 2, 1, 0, true, true},
  {8, 6, 6, 70, 3, 3, 1, VALID, INK_ACT_TANH, 2, 2, 0, true, true},
  {16, 5, 30, 16, 3, 3, 1, SAME, INK_ACT_RELU, 2, 2, 0, true, true},
  {5, 4, 28, 64, 3, 3, 1, SAME, INK_ACT_RELU, 2, 2, 0, true, true},
  /* Groups. */
  {6, 10, 10, 48, 3, 3, 2, SAME, INK_ACT_LINEAR, 2, 2, 0, true, true},
  {4, 7, 9, 6, 3, 3, 2, SAME, INK_ACT_RELU, 2, 2, 0, true, true},
  /* A 2x3 kernel with uneven explicit padding; a padded 1x1. */
  {3,
   7,
   11,
   9,
   2,
   3,
   1,
   {.type = INK_PAD_VALID, .top = 1, .left = 2, .right = 1},
   INK_ACT_RELU,
   2,
   2,
   0,
   true,
   true},
  {5,
   7,
   7,
   20,
   1,
   1,
   1,
   {.type = INK_PAD_VALID, .top = 1, .bottom = 1, .left = 1, .right = 1},
   INK_ACT_RELU,
   3,
   3,
   0,
   true,
   true},
  /* Pooling windows that start in the padding. */
  {3, 8, 8, 12, 3, 3, 1, SAME, INK_ACT_RELU, 3, 2, 1, true, true},
  /* Not for the blocked kernel: an unpadded 1x1 (a plain product), an
   * output too large for its buffer. */
  {6, 5, 5, 10, 1, 1, 1, VALID, INK_ACT_RELU, 2, 2, 0, true, false},
  {2, 70, 70, 64, 3, 3, 1, SAME, INK_ACT_RELU, 2, 2, 0, true, false},
};

/* x -> conv -> act -> pool; with conv_output, the convolution's output is
 * a model output too, so nothing is fused. With target (the pooling's
 * shape), the convolution is updatable and trained on the mean squared
 * error of the pooling's output against training input "t". */
static InkModel *
conv_model (const ConvCase *cc, const float *w, const float *b, bool conv_output,
            const int64_t *target)
{
  InkModel *m = ink_nn_new (INK_MODEL_NEURAL_NETWORK);
  int64_t dims[3] = {(int64_t) cc->c, (int64_t) cc->h, (int64_t) cc->w};
  InkFeatureType in = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 3, dims);
  InkFeatureType out = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 0, NULL);
  InkLayerSpec conv = {.kind = INK_LAYER_CONVOLUTION, .name = "conv"};
  InkLayerSpec act = {.kind = INK_LAYER_ACTIVATION, .name = "act"};
  InkLayerSpec pool = {.kind = INK_LAYER_POOLING, .name = "pool"};
  const char *names[4] = {"x", "conv", "act", "pool"};
  InkLayerSpec *specs[3] = {&conv, &act, &pool};
  InkError err;

  ink_assert_ok (ink_model_add_input (m, "x", &in, "", &err), &err);
  if (target != NULL) {
    InkFeatureType t = ink_feature_type_multiarray (INK_ARRAY_FLOAT32, 3, target);
    ink_assert_ok (ink_model_add_training_input (m, "x", &in, "", &err), &err);
    ink_assert_ok (ink_model_add_training_input (m, "t", &t, "", &err), &err);
    g_assert_cmpint (ink_nn_set_loss (m, "loss", INK_LOSS_MEAN_SQUARED_ERROR, "pool", "t"), ==,
                     INK_OK);
    conv.updatable = true;
  }
  ink_assert_ok (ink_model_add_output (m, "pool", &out, "", &err), &err);
  if (conv_output)
    ink_assert_ok (ink_model_add_output (m, "conv", &out, "", &err), &err);
  conv.params.convolution = (InkConvolutionParams){
    .out_channels = cc->oc,
    .kernel_channels = cc->c / cc->groups,
    .groups = cc->groups,
    .kernel_h = cc->kh,
    .kernel_w = cc->kw,
    .padding = cc->pad,
    .has_bias = true,
    .weights = w,
    .bias = b,
  };
  act.params.activation = (InkActivationParams){.type = cc->act, .alpha = 0.1f, .beta = -0.2f};
  pool.params.pooling = (InkPoolingParams){
    .type = INK_POOL_MAX,
    .kernel_h = cc->pk,
    .kernel_w = cc->pk,
    .stride_h = cc->ps,
    .stride_w = cc->ps,
    .padding = {.type = INK_PAD_VALID, .top = cc->pool_pad, .left = cc->pool_pad},
  };
  for (size_t i = 0; i < 3; i++) {
    specs[i]->inputs = &names[i];
    specs[i]->n_inputs = 1;
    specs[i]->outputs = &names[i + 1];
    specs[i]->n_outputs = 1;
    ink_assert_ok (ink_nn_add_layer (m, specs[i], &err), &err);
  }
  ink_assert_ok (ink_model_finish (m, &err), &err);
  return m;
}

/* The convolution from plain loops, in double. */
static void
reference_conv (const ConvCase *cc, const InkWindow *g, const float *x, const float *w,
                const float *b, float *out)
{
  size_t kc = cc->c / cc->groups, opg = cc->oc / cc->groups;

  for (size_t o = 0; o < cc->oc; o++) {
    size_t grp = o / opg;
    for (size_t y = 0; y < g->out_h; y++) {
      for (size_t xo = 0; xo < g->out_w; xo++) {
        double s = b[o];
        for (size_t c = 0; c < kc; c++) {
          for (size_t ky = 0; ky < cc->kh; ky++) {
            for (size_t kx = 0; kx < cc->kw; kx++) {
              ptrdiff_t iy = (ptrdiff_t) (y + ky) - (ptrdiff_t) g->pad_top;
              ptrdiff_t ix = (ptrdiff_t) (xo + kx) - (ptrdiff_t) g->pad_left;
              if (iy < 0 || ix < 0 || iy >= (ptrdiff_t) cc->h || ix >= (ptrdiff_t) cc->w)
                continue;
              s += (double) w[((o * kc + c) * cc->kh + ky) * cc->kw + kx] *
                   x[((grp * kc + c) * cc->h + (size_t) iy) * cc->w + (size_t) ix];
            }
          }
        }
        out[(o * g->out_h + y) * g->out_w + xo] = (float) s;
      }
    }
  }
}

static const float *
output (const InkFeatures *f, const char *name, size_t n)
{
  const InkValue *v = ink_features_get (f, name);

  g_assert_nonnull (v);
  g_assert_cmpuint (ink_value_array_count (v), ==, n);
  return ink_value_array_const_data (v);
}

static void
check_case (const ConvCase *cc, guint32 seed)
{
  size_t kc = cc->c / cc->groups, n_in = cc->c * cc->h * cc->w;
  float *w = g_new (float, cc->oc *kc * cc->kh * cc->kw), *b = g_new (float, cc->oc);
  float *x = g_new (float, n_in);
  InkModel *plain, *fused;
  const InkNetwork *nn;
  const InkLayer *conv;
  const InkBlob *conv_blob, *pool_blob;
  InkFeatures *in = ink_features_new (), *out_p = NULL, *out_f = NULL;
  float *ws, *ref;
  size_t n_conv, n_pool;
  bool simd = ink_kernel_simd_level () != INK_SIMD_NONE;
  InkError err;

  ink_test_fill_random (w, cc->oc * kc * cc->kh * cc->kw, seed, -0.5f, 0.5f);
  ink_test_fill_random (b, cc->oc, seed + 1, -0.3f, 0.3f);
  ink_test_fill_random (x, n_in, seed + 2, -1.0f, 1.0f);
  /* Zeros, so that ties and zero outputs occur too. */
  for (size_t i = 0; i < n_in; i += 5)
    x[i] = 0.0f;
  plain = conv_model (cc, w, b, true, NULL);
  fused = conv_model (cc, w, b, false, NULL);
  nn = plain->body.nn;
  conv = &nn->layers[0];
  g_assert_cmpint (fused->body.nn->layers[0].fused, ==, cc->fusable);
  g_assert_false (conv->fused);
  g_assert_cmpint (conv->packed != NULL, ==, simd && cc->packed);
  g_assert_cmpint (fused->body.nn->layers[0].packed != NULL, ==, simd && cc->packed);
  conv_blob = &nn->blobs[conv->out_blob];
  pool_blob = &nn->blobs[nn->layers[2].out_blob];
  n_conv = ink_shape_count (conv_blob->shape);
  n_pool = ink_shape_count (pool_blob->shape);

  {
    int64_t dims[3] = {(int64_t) cc->c, (int64_t) cc->h, (int64_t) cc->w};
    ink_features_set (in, "x", ink_test_array (3, dims, x));
  }
  /* The training path, one layer at a time with the direct kernel. */
  ws = g_new0 (float, nn->workspace_floats);
  ink_assert_ok (ink_nn_forward (plain, in, ws, false, &err), &err);
  /* Inference: blocked, unfused and fused. */
  ink_assert_ok (ink_model_predict (plain, in, &out_p, &err), &err);
  ink_assert_ok (ink_model_predict (fused, in, &out_f, &err), &err);
  g_assert_cmpmem (output (out_p, "conv", n_conv), n_conv * sizeof (float), ws + conv_blob->offset,
                   n_conv * sizeof (float));
  g_assert_cmpmem (output (out_p, "pool", n_pool), n_pool * sizeof (float), ws + pool_blob->offset,
                   n_pool * sizeof (float));
  g_assert_cmpmem (output (out_f, "pool", n_pool), n_pool * sizeof (float), ws + pool_blob->offset,
                   n_pool * sizeof (float));

  ref = g_new (float, n_conv);
  reference_conv (cc, &conv->win, x, w, b, ref);
  ink_test_assert_close (output (out_p, "conv", n_conv), ref, n_conv, 1e-5);

  g_free (ref);
  g_free (ws);
  ink_features_free (out_p);
  ink_features_free (out_f);
  ink_features_free (in);
  ink_model_free (plain);
  ink_model_free (fused);
  g_free (w);
  g_free (b);
  g_free (x);
}

static void
test_cases (void)
{
  g_test_message ("SIMD level %d", (int) ink_kernel_simd_level ());
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_test_message ("case %zu", i);
    check_case (&cases[i], 100 + 10 * (guint32) i);
  }
}

/* A model copy packs its own weights; training a convolution packs them
 * again after each step, so that predictions see the new weights. */
static void
test_repacked_after_training (void)
{
  static const ConvCase cc = {2, 6, 6, 3, 3, 3, 1, VALID, INK_ACT_RELU, 2, 2, 0, true, true};
  float w[3 * 2 * 9], b[3], x[2 * 6 * 6], t[3 * 2 * 2];
  int64_t dims[3] = {2, 6, 6}, tdims[3] = {3, 2, 2};
  InkModel *m, *copy;
  InkNnTrainer *tr;
  InkFeatures *ex = ink_features_new (), *before = NULL, *after = NULL, *again = NULL;
  const InkFeatures *batch[1] = {ex};
  InkOptimizerConfig sgd = {.optimizer = INK_OPTIMIZER_SGD, .learning_rate = 0.5};
  double loss;
  InkError err;

  ink_test_fill_random (w, G_N_ELEMENTS (w), 7, -0.5f, 0.5f);
  ink_test_fill_random (b, G_N_ELEMENTS (b), 8, 0.1f, 0.3f);
  ink_test_fill_random (x, G_N_ELEMENTS (x), 9, 0.0f, 1.0f);
  ink_test_fill_random (t, G_N_ELEMENTS (t), 10, 1.0f, 2.0f);
  m = conv_model (&cc, w, b, false, tdims);
  g_assert_true (m->body.nn->layers[0].fused);
  g_assert_cmpint (m->body.nn->layers[0].packed != NULL, ==,
                   ink_kernel_simd_level () != INK_SIMD_NONE);
  ink_features_set (ex, "x", ink_test_array (3, dims, x));
  ink_features_set (ex, "t", ink_test_array (3, tdims, t));

  ink_assert_ok (ink_model_predict (m, ex, &before, &err), &err);
  tr = ink_nn_trainer_new (m, false, 1, &err);
  g_assert_nonnull (tr);
  ink_nn_trainer_set_optimizer (tr, &sgd);
  ink_assert_ok (ink_nn_trainer_step (tr, batch, 1, &loss, &err), &err);
  ink_nn_trainer_free (tr);
  ink_assert_ok (ink_model_predict (m, ex, &after, &err), &err);
  copy = ink_model_copy (m, &err);
  g_assert_nonnull (copy);
  ink_assert_ok (ink_model_predict (copy, ex, &again, &err), &err);

  /* The step moved the prediction, and the trained model predicts what a
   * fresh copy of it (packed from the trained weights) predicts. */
  g_assert_true (
    memcmp (output (before, "pool", 12), output (after, "pool", 12), 12 * sizeof (float)) != 0);
  g_assert_cmpmem (output (after, "pool", 12), 12 * sizeof (float), output (again, "pool", 12),
                   12 * sizeof (float));

  ink_features_free (before);
  ink_features_free (after);
  ink_features_free (again);
  ink_features_free (ex);
  ink_model_free (copy);
  ink_model_free (m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/conv-blocked/cases", test_cases);
  g_test_add_func ("/engine/conv-blocked/repacked-after-training", test_repacked_after_training);

  return g_test_run ();
}

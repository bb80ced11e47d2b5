/* test-dense-grad.c: an inner product's weight derivative over a group of examples
 *
 * The trainer adds inner products' weight derivatives a group of examples
 * at a time (ink_kernel_dense_weight_grad). Its results must not depend on
 * how the examples are grouped: one call over r examples gives bit for bit
 * what r calls of one example each give, for sizes that leave partial
 * register tiles in both directions. A double-precision reference checks
 * the values. tests/engine/meson.build runs this unit again with
 * INKLING_SIMD=avx2 and generic.
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "ink-nn-private.h"
#include "test-util.h"

typedef struct {
  size_t rows, n_out, n_in;
} DenseCase;

static const DenseCase cases[] = {
  {1, 1, 1},   {1, 4, 16},  {2, 3, 15},  {3, 5, 17},     {16, 4, 64}, {16, 9, 65},
  {7, 8, 100}, {5, 1, 129}, {16, 7, 33}, {16, 128, 196}, {4, 10, 63}, {1, 6, 1568},
};

static void
check_case (const DenseCase *c)
{
  size_t n_dw = c->n_out * c->n_in;
  float *dy = g_new (float, c->rows * c->n_out);
  float *x = g_new (float, c->rows * c->n_in);
  float *start = g_new (float, n_dw);
  float *grouped = g_new (float, n_dw), *one_by_one = g_new (float, n_dw);
  float *expected = g_new (float, n_dw);

  ink_test_fill_random (dy, c->rows * c->n_out, (guint32) (7 * c->rows + c->n_in), -1, 1);
  ink_test_fill_random (x, c->rows * c->n_in, (guint32) (11 * c->n_out + c->n_in), -2, 2);
  /* The derivative array already holds earlier groups' sums. */
  ink_test_fill_random (start, n_dw, (guint32) c->n_in, -0.5f, 0.5f);
  memcpy (grouped, start, n_dw * sizeof *start);
  memcpy (one_by_one, start, n_dw * sizeof *start);

  ink_kernel_dense_weight_grad (c->rows, c->n_out, c->n_in, dy, x, grouped);
  for (size_t r = 0; r < c->rows; r++)
    ink_kernel_dense_weight_grad (1, c->n_out, c->n_in, dy + r * c->n_out, x + r * c->n_in,
                                  one_by_one);
  g_assert_cmpmem (grouped, n_dw * sizeof *grouped, one_by_one, n_dw * sizeof *one_by_one);

  for (size_t o = 0; o < c->n_out; o++) {
    for (size_t i = 0; i < c->n_in; i++) {
      double s = start[o * c->n_in + i];
      for (size_t r = 0; r < c->rows; r++)
        s += (double) dy[r * c->n_out + o] * x[r * c->n_in + i];
      expected[o * c->n_in + i] = (float) s;
    }
  }
  ink_test_assert_close (grouped, expected, n_dw, 1e-5 * (double) (c->rows + 1));

  g_free (dy);
  g_free (x);
  g_free (start);
  g_free (grouped);
  g_free (one_by_one);
  g_free (expected);
}

static void
test_dense_grad (gconstpointer data)
{
  check_case (data);
}

/* Entries outside the n_out x n_in array are never touched, though the
 * AVX-512 tiles mask their last vectors. */
static void
test_dense_grad_bounds (void)
{
  const size_t rows = 3, n_out = 5, n_in = 37, pad = 64;
  float dy[3 * 5], x[3 * 37];
  float *dw = g_new (float, n_out *n_in + 2 * pad);

  ink_test_fill_random (dy, G_N_ELEMENTS (dy), 1, -1, 1);
  ink_test_fill_random (x, G_N_ELEMENTS (x), 2, -1, 1);
  for (size_t i = 0; i < n_out * n_in + 2 * pad; i++)
    dw[i] = 1234.5f;
  ink_kernel_dense_weight_grad (rows, n_out, n_in, dy, x, dw + pad);
  for (size_t i = 0; i < pad; i++) {
    g_assert_cmpfloat (dw[i], ==, 1234.5f);
    g_assert_cmpfloat (dw[pad + n_out * n_in + i], ==, 1234.5f);
  }
  g_free (dw);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_message ("SIMD level %d", (int) ink_kernel_simd_level ());
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++) {
    char *path = g_strdup_printf ("/dense-grad/rows%zu-out%zu-in%zu", cases[i].rows, cases[i].n_out,
                                  cases[i].n_in);
    g_test_add_data_func (path, &cases[i], test_dense_grad);
    g_free (path);
  }
  g_test_add_func ("/dense-grad/bounds", test_dense_grad_bounds);
  return g_test_run ();
}

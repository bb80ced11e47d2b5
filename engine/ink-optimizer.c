/* ink-optimizer.c: SGD with momentum and Adam, as PyTorch computes them
 *
 * The arithmetic follows torch.optim.SGD and torch.optim.Adam (single-tensor
 * code path) operation by operation in float32, with the scalars computed in
 * double and rounded to float as PyTorch's CPU kernels do, so a network
 * trained here follows one trained by PyTorch to within float rounding.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-nn-train-private.h"

#include <math.h>

void
ink_optimizer_sgd (float *w, float *v, const float *g, size_t n, double lr, double momentum)
{
  const float neg_lr = (float) -lr;
  const float mu = (float) momentum;

  if (momentum == 0.0) {
    for (size_t i = 0; i < n; i++)
      w[i] = w[i] + neg_lr * g[i];
    return;
  }
  for (size_t i = 0; i < n; i++) {
    v[i] = v[i] * mu + g[i];
    w[i] = w[i] + neg_lr * v[i];
  }
}

void
ink_optimizer_adam (float *w, float *m, float *v, const float *g, size_t n, double lr, double beta1,
                    double beta2, double eps, int64_t step)
{
  const double bias_correction1 = 1.0 - pow (beta1, (double) step);
  const double bias_correction2 = 1.0 - pow (beta2, (double) step);
  const float b1 = (float) beta1, one_minus_b1 = (float) (1.0 - beta1);
  const float b2 = (float) beta2, one_minus_b2 = (float) (1.0 - beta2);
  const float neg_step_size = (float) -(lr / bias_correction1);
  const float bc2_sqrt = (float) sqrt (bias_correction2);
  const float epsf = (float) eps;

  for (size_t i = 0; i < n; i++) {
    float denom;
    m[i] = m[i] * b1 + one_minus_b1 * g[i];
    v[i] = v[i] * b2 + one_minus_b2 * g[i] * g[i];
    denom = sqrtf (v[i]) / bc2_sqrt + epsf;
    w[i] = w[i] + neg_step_size * m[i] / denom;
  }
}

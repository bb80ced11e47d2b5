/* ink-update-config.c: update configuration (Core ML's MLModelConfiguration
 * with MLParameterKey overrides) and its checking against a model's
 * declared update parameters
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ink-update-private.h"

static const char *const known_keys[] = {
  INK_PARAM_EPOCHS,
  INK_PARAM_LEARNING_RATE,
  INK_PARAM_MINI_BATCH_SIZE,
  INK_PARAM_MOMENTUM,
  INK_PARAM_BETA1,
  INK_PARAM_BETA2,
  INK_PARAM_EPS,
  INK_PARAM_SHUFFLE,
  INK_PARAM_SEED,
  INK_PARAM_NUMBER_OF_NEIGHBORS,
};

bool
ink_update_param_key_known (const char *key)
{
  for (size_t i = 0; key != NULL && i < sizeof known_keys / sizeof *known_keys; i++) {
    if (strcmp (known_keys[i], key) == 0)
      return true;
  }
  return false;
}

InkUpdateConfig *
ink_update_config_new (void)
{
  InkUpdateConfig *c = calloc (1, sizeof *c);

  if (c != NULL)
    c->threads = 1;
  return c;
}

void
ink_update_config_free (InkUpdateConfig *c)
{
  if (c == NULL)
    return;
  ink_strv_free (c->keys, c->n);
  free (c->values);
  free (c);
}

InkUpdateConfig *
ink_update_config_copy (const InkUpdateConfig *src)
{
  InkUpdateConfig *c;

  if (src == NULL)
    return NULL;
  c = ink_update_config_new ();
  if (c == NULL)
    return NULL;
  c->threads = src->threads;
  for (size_t i = 0; i < src->n; i++) {
    if (ink_update_config_set_parameter (c, src->keys[i], src->values[i], NULL) != INK_OK) {
      ink_update_config_free (c);
      return NULL;
    }
  }
  return c;
}

void
ink_update_config_set_threads (InkUpdateConfig *c, int threads)
{
  if (c != NULL)
    c->threads = threads < 0 ? 1 : threads;
}

InkStatus
ink_update_config_set_parameter (InkUpdateConfig *c, const char *key, double value, InkError *err)
{
  char *copy;

  if (c == NULL || key == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "a parameter needs a configuration and a key");
  if (!ink_update_param_key_known (key))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "unknown update parameter '%s' (the parameters are epochs, "
                          "learningRate, miniBatchSize, momentum, beta1, beta2, eps, shuffle, "
                          "seed and numberOfNeighbors)",
                          key);
  if (!isfinite (value))
    return ink_error_set (err, INK_ERR_PARAMETER, "parameter %s must be a finite number", key);
  for (size_t i = 0; i < c->n; i++) {
    if (strcmp (c->keys[i], key) == 0) {
      c->values[i] = value;
      return INK_OK;
    }
  }
  copy = ink_strdup (key);
  if (copy == NULL || !INK_GROW (c->keys, c->n, c->cap_keys) ||
      !INK_GROW (c->values, c->n, c->cap_values)) {
    free (copy);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  c->keys[c->n] = copy;
  c->values[c->n] = value;
  c->n++;
  return INK_OK;
}

size_t
ink_update_config_n_parameters (const InkUpdateConfig *c)
{
  return c != NULL ? c->n : 0;
}

const char *
ink_update_config_parameter_key (const InkUpdateConfig *c, size_t i)
{
  return c != NULL && i < c->n ? c->keys[i] : NULL;
}

double
ink_update_config_parameter_value (const InkUpdateConfig *c, size_t i)
{
  return c != NULL && i < c->n ? c->values[i] : NAN;
}

int
ink_update_config_resolve_threads (const InkUpdateConfig *c)
{
  int threads = c != NULL ? c->threads : 1;

  if (threads == 0) {
    long n = sysconf (_SC_NPROCESSORS_ONLN);
    threads = n < 1 ? 1 : n > 256 ? 256 : (int) n;
  }
  return threads < 1 ? 1 : threads;
}

/* ---- Parameter values ---- */

void
ink_update_params_set (InkUpdateParams *p, const char *key, double v)
{
  if (strcmp (key, INK_PARAM_EPOCHS) == 0)
    p->epochs = (int64_t) v;
  else if (strcmp (key, INK_PARAM_LEARNING_RATE) == 0)
    p->learning_rate = v;
  else if (strcmp (key, INK_PARAM_MINI_BATCH_SIZE) == 0)
    p->mini_batch_size = (int64_t) v;
  else if (strcmp (key, INK_PARAM_MOMENTUM) == 0)
    p->momentum = v;
  else if (strcmp (key, INK_PARAM_BETA1) == 0)
    p->beta1 = v;
  else if (strcmp (key, INK_PARAM_BETA2) == 0)
    p->beta2 = v;
  else if (strcmp (key, INK_PARAM_EPS) == 0)
    p->eps = v;
  else if (strcmp (key, INK_PARAM_SHUFFLE) == 0)
    p->shuffle = v != 0.0;
  else if (strcmp (key, INK_PARAM_SEED) == 0)
    p->seed = (int64_t) v;
  else if (strcmp (key, INK_PARAM_NUMBER_OF_NEIGHBORS) == 0)
    p->k = (int64_t) v;
}

void
ink_update_params_init (InkUpdateParams *p, const InkModelDescription *d)
{
  *p = (InkUpdateParams){
    .epochs = 1,
    .learning_rate = 0.01,
    .mini_batch_size = 0,
    .momentum = 0.0,
    .beta1 = 0.9,
    .beta2 = 0.999,
    .eps = 1e-8,
    .shuffle = true,
    .seed = 0,
    .k = 0,
  };
  for (size_t i = 0; d != NULL && i < ink_description_n_update_parameters (d); i++) {
    const InkUpdateParameter *up = ink_description_update_parameter (d, i);
    ink_update_params_set (p, up->key, up->default_value);
  }
}

void
ink_update_params_apply (InkUpdateParams *p, const InkUpdateConfig *c)
{
  for (size_t i = 0; c != NULL && i < c->n; i++)
    ink_update_params_set (p, c->keys[i], c->values[i]);
}

/* "epochs, learningRate and miniBatchSize" into buf. */
static void
list_declared (const InkModelDescription *d, char *buf, size_t size)
{
  size_t n = ink_description_n_update_parameters (d), used = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < n && used < size; i++) {
    const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
    used += (size_t) snprintf (buf + used, size - used, "%s%s", sep,
                               ink_description_update_parameter (d, i)->key);
  }
}

InkStatus
ink_update_config_check (const InkUpdateConfig *c, const InkModelDescription *d, InkError *err)
{
  for (size_t i = 0; c != NULL && i < c->n; i++) {
    const InkUpdateParameter *p = ink_description_find_update_parameter (d, c->keys[i]);
    char declared[256];

    if (p == NULL) {
      list_declared (d, declared, sizeof declared);
      if (declared[0] == '\0')
        return ink_error_set (err, INK_ERR_PARAMETER,
                              "parameter %s is not declared by the model, which declares no "
                              "update parameters",
                              c->keys[i]);
      return ink_error_set (err, INK_ERR_PARAMETER,
                            "parameter %s is not declared by the model (it declares %s)",
                            c->keys[i], declared);
    }
    if (ink_update_parameter_check (p, c->values[i], err) != INK_OK)
      return INK_ERR_PARAMETER;
    /* Sizes and counts must stay positive even when no range says so. */
    if ((strcmp (p->key, INK_PARAM_EPOCHS) == 0 ||
         strcmp (p->key, INK_PARAM_MINI_BATCH_SIZE) == 0 ||
         strcmp (p->key, INK_PARAM_NUMBER_OF_NEIGHBORS) == 0) &&
        !(c->values[i] >= 1.0 && c->values[i] <= (double) INT32_MAX))
      return ink_error_set (err, INK_ERR_PARAMETER, "parameter %s = %g must be a positive integer",
                            p->key, c->values[i]);
  }
  return INK_OK;
}

/* fuzz-common.c: zero inputs and scratch files for the fuzz targets
 *
 * SPDX-License-Identifier: MIT
 */
#include "fuzz-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

static InkValue *
zero_value (const InkFeatureType *type)
{
  switch (type->type) {
  case INK_VALUE_INT64: return ink_value_new_int64 (0);
  case INK_VALUE_DOUBLE: return ink_value_new_double (0.0);
  case INK_VALUE_STRING: return ink_value_new_string ("");
  case INK_VALUE_MULTIARRAY: {
    int64_t one = 1;
    uint64_t count = 1;

    if (type->rank == 0)
      return ink_value_new_multiarray (type->array_type, 1, &one, NULL);
    for (size_t i = 0; i < type->rank; i++) {
      if (type->shape[i] < 0 || (type->shape[i] > 0 && count > FUZZ_MAX_INPUT_ELEMENTS))
        return NULL;
      count *= (uint64_t) type->shape[i];
    }
    if (count > FUZZ_MAX_INPUT_ELEMENTS)
      return NULL;
    return ink_value_new_multiarray (type->array_type, type->rank, type->shape, NULL);
  }
  case INK_VALUE_IMAGE: {
    const InkImageConstraint *c = &type->image;
    InkValue *v;
    uint8_t *pixels;
    size_t stride;

    if (c->width <= 0 || c->height <= 0 || c->width > FUZZ_MAX_INPUT_ELEMENTS ||
        c->width * c->height > FUZZ_MAX_INPUT_ELEMENTS)
      return NULL;
    stride = (size_t) c->width * ink_pixel_format_bytes (c->format);
    pixels = calloc ((size_t) c->height, stride);
    if (pixels == NULL)
      return NULL;
    v = ink_value_new_image (c->format, (int) c->width, (int) c->height, stride, pixels);
    free (pixels);
    return v;
  }
  case INK_VALUE_DICTIONARY: return ink_value_new_dictionary (type->key_type);
  case INK_VALUE_SEQUENCE: return ink_value_new_sequence (type->element_type);
  default: return NULL;
  }
}

void
fuzz_predict_zero (const InkModel *model)
{
  const InkModelDescription *d = ink_model_get_description (model);
  InkFeatures *inputs = ink_features_new ();
  InkFeatures *outputs = NULL;
  InkError err;

  if (inputs == NULL)
    return;
  for (size_t i = 0; i < ink_description_n_inputs (d); i++) {
    const InkFeatureDescription *f = ink_description_input (d, i);
    InkValue *v = zero_value (&f->type);

    if (v == NULL || ink_features_set (inputs, f->name, v) != INK_OK) {
      ink_features_free (inputs);
      return;
    }
  }
  ink_error_clear (&err);
  if (ink_model_predict (model, inputs, &outputs, &err) == INK_OK) {
    /* Touch every output so that a bad value is noticed. */
    for (size_t i = 0; i < ink_features_count (outputs); i++)
      (void) ink_value_get_type (ink_features_value_at (outputs, i));
    ink_features_free (outputs);
  }
  ink_features_free (inputs);
}

static char temp_path[64];

static void
remove_temp (void)
{
  if (temp_path[0] != '\0')
    unlink (temp_path);
}

const char *
fuzz_write_temp (const uint8_t *data, size_t size)
{
  FILE *f;

  if (temp_path[0] == '\0') {
    const char *dir = getenv ("TMPDIR");

    snprintf (temp_path, sizeof temp_path, "%s/inkling-fuzz-%ld",
              dir != NULL && strlen (dir) < 32 ? dir : "/tmp", (long) getpid ());
    atexit (remove_temp);
  }
  f = fopen (temp_path, "wb");
  if (f == NULL)
    return NULL;
  if (size > 0 && fwrite (data, 1, size, f) != size) {
    fclose (f);
    return NULL;
  }
  if (fclose (f) != 0)
    return NULL;
  return temp_path;
}

void
fuzz_minisign_key (InkMinisignSecretKey *sk, InkMinisignPublicKey *pk)
{
  unsigned char seed[crypto_sign_SEEDBYTES];
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];

  for (size_t i = 0; i < sizeof seed; i++)
    seed[i] = (unsigned char) (i * 7 + 1);
  if (sodium_init () < 0)
    abort ();
  crypto_sign_seed_keypair (public_key, sk->secret_key, seed);
  for (size_t i = 0; i < INK_MINISIGN_KEY_ID_SIZE; i++)
    sk->key_id[i] = (uint8_t) (0xa0 + i);
  ink_minisign_secret_key_public (sk, pk);
}

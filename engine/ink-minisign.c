/* ink-minisign.c: minisign keys and signatures, with libsodium
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-minisign.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ink-util-private.h"

#define SIG_ALG_LEGACY "Ed"
#define SIG_ALG_HASHED "ED"
#define KDF_ALG_SCRYPT "Sc"
#define CHK_ALG "B2"
#define SALT_SIZE 32
#define CHK_SIZE 32
#define SIG_SIZE 64
#define PREHASH_SIZE 64

/* Sizes of the decoded blobs. */
#define PUBLIC_BLOB (2 + INK_MINISIGN_KEY_ID_SIZE + INK_MINISIGN_PUBLIC_KEY_SIZE)
#define KEYNUM_SK (INK_MINISIGN_KEY_ID_SIZE + INK_MINISIGN_SECRET_KEY_SIZE + CHK_SIZE)
#define SECRET_BLOB (2 + 2 + 2 + SALT_SIZE + 8 + 8 + KEYNUM_SK)
#define SIGNATURE_BLOB (2 + INK_MINISIGN_KEY_ID_SIZE + SIG_SIZE)

/* minisign's defaults: crypto_pwhash_scryptsalsa208sha256_*_SENSITIVE */
#define DEFAULT_OPSLIMIT 33554432ULL
#define DEFAULT_MEMLIMIT 1073741824ULL

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status;

static void
init_sodium (void)
{
  sodium_status = sodium_init ();
}

static InkStatus
ensure_sodium (InkError *err)
{
  pthread_once (&sodium_once, init_sodium);
  if (sodium_status < 0)
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "libsodium could not be initialized");
  return INK_OK;
}

static uint64_t
le64_load (const uint8_t *p)
{
  uint64_t v = 0;

  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void
le64_store (uint8_t *p, uint64_t v)
{
  for (int i = 0; i < 8; i++, v >>= 8)
    p[i] = (uint8_t) (v & 0xff);
}

void
ink_minisign_key_id_to_hex (const uint8_t key_id[INK_MINISIGN_KEY_ID_SIZE],
                            char out[INK_MINISIGN_KEY_ID_HEX_SIZE])
{
  snprintf (out, INK_MINISIGN_KEY_ID_HEX_SIZE, "%016" PRIX64, le64_load (key_id));
}

/* ---- Lines ---- */

typedef struct {
  const char *p;
  size_t n;
} Line;

/* Splits text into lines (without "\n" or "\r\n"); returns how many were
 * found, at most max. Trailing empty lines are not counted. */
static size_t
split_lines (const char *text, size_t size, Line *lines, size_t max)
{
  size_t count = 0, i = 0;

  while (i < size && count < max) {
    size_t start = i, end;

    while (i < size && text[i] != '\n')
      i++;
    end = i;
    if (end > start && text[end - 1] == '\r')
      end--;
    lines[count].p = text + start;
    lines[count].n = end - start;
    count++;
    if (i < size)
      i++;
  }
  while (count > 0 && lines[count - 1].n == 0)
    count--;
  return count;
}

static bool
line_has_prefix (const Line *l, const char *prefix)
{
  size_t n = strlen (prefix);

  return l->n >= n && memcmp (l->p, prefix, n) == 0;
}

/* Decodes a base64 line of exactly size bytes. */
static bool
decode_line (const char *p, size_t n, uint8_t *out, size_t size)
{
  size_t len = 0;
  const char *end = NULL;

  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
    n--;
  while (n > 0 && (*p == ' ' || *p == '\t')) {
    p++;
    n--;
  }
  if (sodium_base642bin (out, size, p, n, NULL, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  return len == size && end == p + n;
}

static char *
encode (const uint8_t *bin, size_t n)
{
  size_t size = sodium_base64_ENCODED_LEN (n, sodium_base64_VARIANT_ORIGINAL);
  char *out = malloc (size);

  if (out != NULL)
    sodium_bin2base64 (out, size, bin, n, sodium_base64_VARIANT_ORIGINAL);
  return out;
}

static char *
read_file (const char *path, size_t *size, InkError *err)
{
  FILE *f = fopen (path, "rb");
  char *data = NULL;
  size_t n = 0, cap = 0;

  if (f == NULL) {
    ink_error_set (err, INK_ERR_IO, "cannot open %s: %s", path, strerror (errno));
    return NULL;
  }
  for (;;) {
    size_t got;

    if (n == cap) {
      char *bigger = cap >= (1u << 20) ? NULL : realloc (data, cap = cap ? cap * 2 : 1024);

      if (bigger == NULL) {
        sodium_memzero (data, n);
        free (data);
        fclose (f);
        ink_error_set (err, INK_ERR_FORMAT, "%s is too large for a minisign file", path);
        return NULL;
      }
      data = bigger;
    }
    got = fread (data + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror (f)) {
    sodium_memzero (data, n);
    free (data);
    fclose (f);
    ink_error_set (err, INK_ERR_IO, "cannot read %s", path);
    return NULL;
  }
  fclose (f);
  *size = n;
  return data;
}

/* ---- Key generation ---- */

InkStatus
ink_minisign_generate (InkMinisignPublicKey *pk, InkMinisignSecretKey *sk, InkError *err)
{
  if (pk == NULL || sk == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no key to fill");
  if (ensure_sodium (err) != INK_OK)
    return err != NULL ? err->status : INK_ERR_UNSUPPORTED;
  if (crypto_sign_keypair (pk->public_key, sk->secret_key) != 0)
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "cannot generate an Ed25519 key pair");
  randombytes_buf (pk->key_id, sizeof pk->key_id);
  memcpy (sk->key_id, pk->key_id, sizeof sk->key_id);
  return INK_OK;
}

/* ---- Public keys ---- */

InkStatus
ink_minisign_public_key_parse (const char *text, size_t size, InkMinisignPublicKey *out,
                               InkError *err)
{
  Line lines[3];
  size_t n;
  const Line *key;
  uint8_t blob[PUBLIC_BLOB];

  if (text == NULL || out == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no public key");
  if (ensure_sodium (err) != INK_OK)
    return err != NULL ? err->status : INK_ERR_UNSUPPORTED;
  /* leading white space (blank lines) is ignored */
  while (size > 0 && (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')) {
    text++;
    size--;
  }
  n = split_lines (text, size, lines, 3);
  if (n == 1 && !line_has_prefix (&lines[0], "untrusted comment:"))
    key = &lines[0];
  else if (n == 2 && line_has_prefix (&lines[0], "untrusted comment:"))
    key = &lines[1];
  else
    return ink_error_set (err, INK_ERR_FORMAT,
                          "not a minisign public key: expected a comment line and a key line, "
                          "or the key line alone");
  if (!decode_line (key->p, key->n, blob, sizeof blob))
    return ink_error_set (err, INK_ERR_FORMAT,
                          "not a minisign public key: the key line is not %d bytes of base64",
                          PUBLIC_BLOB);
  if (memcmp (blob, SIG_ALG_LEGACY, 2) != 0)
    return ink_error_set (err, INK_ERR_UNSUPPORTED,
                          "unsupported minisign public key algorithm \"%.2s\"", (char *) blob);
  memcpy (out->key_id, blob + 2, INK_MINISIGN_KEY_ID_SIZE);
  memcpy (out->public_key, blob + 2 + INK_MINISIGN_KEY_ID_SIZE, INK_MINISIGN_PUBLIC_KEY_SIZE);
  return INK_OK;
}

InkStatus
ink_minisign_public_key_load (const char *path, InkMinisignPublicKey *out, InkError *err)
{
  size_t size;
  char *text = read_file (path, &size, err);
  InkStatus st;

  if (text == NULL)
    return err != NULL ? err->status : INK_ERR_IO;
  st = ink_minisign_public_key_parse (text, size, out, err);
  free (text);
  if (st != INK_OK)
    ink_error_prefix (err, "%s", path);
  return st;
}

void
ink_minisign_public_key_to_base64 (const InkMinisignPublicKey *pk,
                                   char out[INK_MINISIGN_PUBLIC_KEY_BASE64_SIZE])
{
  uint8_t blob[PUBLIC_BLOB];

  memcpy (blob, SIG_ALG_LEGACY, 2);
  memcpy (blob + 2, pk->key_id, INK_MINISIGN_KEY_ID_SIZE);
  memcpy (blob + 2 + INK_MINISIGN_KEY_ID_SIZE, pk->public_key, INK_MINISIGN_PUBLIC_KEY_SIZE);
  sodium_bin2base64 (out, INK_MINISIGN_PUBLIC_KEY_BASE64_SIZE, blob, sizeof blob,
                     sodium_base64_VARIANT_ORIGINAL);
}

char *
ink_minisign_public_key_to_text (const InkMinisignPublicKey *pk)
{
  char b64[INK_MINISIGN_PUBLIC_KEY_BASE64_SIZE], id[INK_MINISIGN_KEY_ID_HEX_SIZE];
  size_t size = 128 + sizeof b64;
  char *text;

  if (pk == NULL || ensure_sodium (NULL) != INK_OK)
    return NULL;
  text = malloc (size);
  if (text == NULL)
    return NULL;
  ink_minisign_public_key_to_base64 (pk, b64);
  ink_minisign_key_id_to_hex (pk->key_id, id);
  snprintf (text, size, "untrusted comment: minisign public key %s\n%s\n", id, b64);
  return text;
}

/* ---- Secret keys ---- */

/* BLAKE2b-256 of "Ed" || key id || secret key. */
static void
secret_checksum (const uint8_t *sig_alg, const uint8_t *keynum_sk, uint8_t chk[CHK_SIZE])
{
  crypto_generichash_state hs;

  crypto_generichash_init (&hs, NULL, 0, CHK_SIZE);
  crypto_generichash_update (&hs, sig_alg, 2);
  crypto_generichash_update (&hs, keynum_sk,
                             INK_MINISIGN_KEY_ID_SIZE + INK_MINISIGN_SECRET_KEY_SIZE);
  crypto_generichash_final (&hs, chk, CHK_SIZE);
}

/* XORs the 104 key bytes with the scrypt stream of the password. */
static InkStatus
scrypt_xor (uint8_t *keynum_sk, const char *password, const uint8_t *salt, uint64_t opslimit,
            uint64_t memlimit, InkError *err)
{
  uint8_t *stream = sodium_malloc (KEYNUM_SK);

  if (stream == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  if (crypto_pwhash_scryptsalsa208sha256 (stream, KEYNUM_SK, password, strlen (password), salt,
                                          (unsigned long long) opslimit, (size_t) memlimit) != 0) {
    sodium_free (stream);
    return ink_error_set (err, INK_ERR_NO_MEMORY,
                          "scrypt key derivation failed (opslimit %" PRIu64 ", memlimit %" PRIu64
                          "): out of memory?",
                          opslimit, memlimit);
  }
  for (size_t i = 0; i < KEYNUM_SK; i++)
    keynum_sk[i] ^= stream[i];
  sodium_free (stream);
  return INK_OK;
}

/* Decodes a secret key file's blob; false when the text is not one. */
static bool
decode_secret (const char *text, size_t size, uint8_t blob[SECRET_BLOB])
{
  Line lines[3];
  size_t n;

  while (size > 0 && (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')) {
    text++;
    size--;
  }
  n = split_lines (text, size, lines, 3);
  if (n != 2 || !line_has_prefix (&lines[0], "untrusted comment:"))
    return false;
  return decode_line (lines[1].p, lines[1].n, blob, SECRET_BLOB);
}

bool
ink_minisign_secret_key_is_encrypted (const char *text, size_t size)
{
  uint8_t blob[SECRET_BLOB];
  bool encrypted;

  if (text == NULL || ensure_sodium (NULL) != INK_OK || !decode_secret (text, size, blob))
    return false;
  encrypted = memcmp (blob + 2, KDF_ALG_SCRYPT, 2) == 0;
  sodium_memzero (blob, sizeof blob);
  return encrypted;
}

InkStatus
ink_minisign_secret_key_parse (const char *text, size_t size, const char *password,
                               InkMinisignSecretKey *out, InkError *err)
{
  uint8_t blob[SECRET_BLOB], chk[CHK_SIZE];
  uint8_t *salt = blob + 6, *keynum_sk = blob + 6 + SALT_SIZE + 16;
  static const uint8_t zeros[CHK_SIZE] = {0};
  InkStatus st = INK_OK;

  if (text == NULL || out == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no secret key");
  if (ensure_sodium (err) != INK_OK)
    return err != NULL ? err->status : INK_ERR_UNSUPPORTED;
  if (!decode_secret (text, size, blob))
    return ink_error_set (err, INK_ERR_FORMAT,
                          "not a minisign secret key: expected a comment line and a line of "
                          "%d bytes of base64",
                          SECRET_BLOB);
  if (memcmp (blob, SIG_ALG_LEGACY, 2) != 0 || memcmp (blob + 4, CHK_ALG, 2) != 0) {
    st = ink_error_set (err, INK_ERR_UNSUPPORTED,
                        "unsupported minisign secret key algorithms \"%.2s\"/\"%.2s\"",
                        (char *) blob, (char *) blob + 4);
    goto out;
  }
  if (memcmp (blob + 2, KDF_ALG_SCRYPT, 2) == 0) {
    if (password == NULL) {
      st =
        ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "the key is encrypted: a password is needed");
      goto out;
    }
    st = scrypt_xor (keynum_sk, password, salt, le64_load (blob + 6 + SALT_SIZE),
                     le64_load (blob + 6 + SALT_SIZE + 8), err);
    if (st != INK_OK)
      goto out;
    secret_checksum (blob, keynum_sk, chk);
    if (sodium_memcmp (chk, keynum_sk + INK_MINISIGN_KEY_ID_SIZE + INK_MINISIGN_SECRET_KEY_SIZE,
                       CHK_SIZE) != 0) {
      st = ink_error_set (err, INK_ERR_VERIFICATION, "wrong password for that minisign key");
      goto out;
    }
  } else if (blob[2] == 0 && blob[3] == 0) {
    /* unencrypted: minisign -W leaves the checksum zero; accept a real one */
    const uint8_t *stored = keynum_sk + INK_MINISIGN_KEY_ID_SIZE + INK_MINISIGN_SECRET_KEY_SIZE;

    secret_checksum (blob, keynum_sk, chk);
    if (memcmp (stored, zeros, CHK_SIZE) != 0 && sodium_memcmp (chk, stored, CHK_SIZE) != 0) {
      st = ink_error_set (err, INK_ERR_FORMAT, "the minisign secret key's checksum is wrong");
      goto out;
    }
  } else {
    st = ink_error_set (err, INK_ERR_UNSUPPORTED, "unsupported minisign key derivation \"%.2s\"",
                        (char *) blob + 2);
    goto out;
  }
  memcpy (out->key_id, keynum_sk, INK_MINISIGN_KEY_ID_SIZE);
  memcpy (out->secret_key, keynum_sk + INK_MINISIGN_KEY_ID_SIZE, INK_MINISIGN_SECRET_KEY_SIZE);
out:
  sodium_memzero (blob, sizeof blob);
  sodium_memzero (chk, sizeof chk);
  return st;
}

InkStatus
ink_minisign_secret_key_load (const char *path, const char *password, InkMinisignSecretKey *out,
                              InkError *err)
{
  size_t size;
  char *text = read_file (path, &size, err);
  InkStatus st;

  if (text == NULL)
    return err != NULL ? err->status : INK_ERR_IO;
  st = ink_minisign_secret_key_parse (text, size, password, out, err);
  sodium_memzero (text, size);
  free (text);
  if (st != INK_OK)
    ink_error_prefix (err, "%s", path);
  return st;
}

char *
ink_minisign_secret_key_to_text (const InkMinisignSecretKey *sk, const char *password,
                                 uint64_t opslimit, uint64_t memlimit, InkError *err)
{
  uint8_t blob[SECRET_BLOB] = {0};
  uint8_t *salt = blob + 6, *keynum_sk = blob + 6 + SALT_SIZE + 16;
  const char *comment = password != NULL ? "untrusted comment: minisign encrypted secret key\n"
                                         : "untrusted comment: minisign secret key\n";
  char *b64 = NULL, *text = NULL;
  size_t size;

  if (sk == NULL) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no secret key");
    return NULL;
  }
  if (ensure_sodium (err) != INK_OK)
    return NULL;
  memcpy (blob, SIG_ALG_LEGACY, 2);
  memcpy (blob + 4, CHK_ALG, 2);
  memcpy (keynum_sk, sk->key_id, INK_MINISIGN_KEY_ID_SIZE);
  memcpy (keynum_sk + INK_MINISIGN_KEY_ID_SIZE, sk->secret_key, INK_MINISIGN_SECRET_KEY_SIZE);
  if (password != NULL) {
    if (opslimit == 0)
      opslimit = DEFAULT_OPSLIMIT;
    if (memlimit == 0)
      memlimit = DEFAULT_MEMLIMIT;
    memcpy (blob + 2, KDF_ALG_SCRYPT, 2);
    randombytes_buf (salt, SALT_SIZE);
    le64_store (blob + 6 + SALT_SIZE, opslimit);
    le64_store (blob + 6 + SALT_SIZE + 8, memlimit);
    secret_checksum (blob, keynum_sk,
                     keynum_sk + INK_MINISIGN_KEY_ID_SIZE + INK_MINISIGN_SECRET_KEY_SIZE);
    if (scrypt_xor (keynum_sk, password, salt, opslimit, memlimit, err) != INK_OK)
      goto out;
  }
  /* unencrypted: as minisign -W, kdf "\0\0", zero salt, limits and checksum */
  b64 = encode (blob, sizeof blob);
  if (b64 == NULL)
    goto oom;
  size = strlen (comment) + strlen (b64) + 2;
  text = malloc (size);
  if (text == NULL)
    goto oom;
  snprintf (text, size, "%s%s\n", comment, b64);
  goto out;
oom:
  ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
out:
  if (b64 != NULL) {
    sodium_memzero (b64, strlen (b64));
    free (b64);
  }
  sodium_memzero (blob, sizeof blob);
  return text;
}

void
ink_minisign_secret_key_public (const InkMinisignSecretKey *sk, InkMinisignPublicKey *out)
{
  memcpy (out->key_id, sk->key_id, INK_MINISIGN_KEY_ID_SIZE);
  /* libsodium's secret key ends with the public key */
  memcpy (out->public_key, sk->secret_key + 32, INK_MINISIGN_PUBLIC_KEY_SIZE);
}

void
ink_minisign_secret_key_clear (InkMinisignSecretKey *sk)
{
  if (sk != NULL)
    sodium_memzero (sk, sizeof *sk);
}

/* ---- Signatures ---- */

static InkStatus
check_comment (const char *comment, const char *which, InkError *err)
{
  if (strlen (comment) >= INK_MINISIGN_COMMENT_SIZE - 20 || strpbrk (comment, "\r\n") != NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "the %s comment must be one line shorter than %d bytes", which,
                          INK_MINISIGN_COMMENT_SIZE - 20);
  return INK_OK;
}

/* The message Ed25519 signs: the data, or its BLAKE2b-512. */
static const uint8_t *
message_for (InkMinisignAlgorithm algorithm, const void *data, size_t size,
             uint8_t hash[PREHASH_SIZE], size_t *len)
{
  if (algorithm == INK_MINISIGN_LEGACY) {
    *len = size;
    return data;
  }
  crypto_generichash (hash, PREHASH_SIZE, data, size, NULL, 0);
  *len = PREHASH_SIZE;
  return hash;
}

char *
ink_minisign_sign (const InkMinisignSecretKey *sk, const void *data, size_t size,
                   InkMinisignAlgorithm algorithm, const char *untrusted_comment,
                   const char *trusted_comment, InkError *err)
{
  uint8_t blob[SIGNATURE_BLOB], hash[PREHASH_SIZE], global[SIG_SIZE];
  uint8_t *with_comment;
  char default_trusted[64], *sig_b64, *global_b64, *text;
  const uint8_t *message;
  size_t len, tlen, text_size;

  if (sk == NULL || (data == NULL && size > 0)) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no key or data to sign");
    return NULL;
  }
  if (algorithm != INK_MINISIGN_PREHASHED && algorithm != INK_MINISIGN_LEGACY) {
    ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "unknown minisign algorithm %d", (int) algorithm);
    return NULL;
  }
  if (ensure_sodium (err) != INK_OK)
    return NULL;
  if (untrusted_comment == NULL)
    untrusted_comment = "signature from minisign secret key";
  if (trusted_comment == NULL) {
    snprintf (default_trusted, sizeof default_trusted, "timestamp:%lld", (long long) time (NULL));
    trusted_comment = default_trusted;
  }
  if (check_comment (untrusted_comment, "untrusted", err) != INK_OK ||
      check_comment (trusted_comment, "trusted", err) != INK_OK)
    return NULL;

  memcpy (blob, algorithm == INK_MINISIGN_LEGACY ? SIG_ALG_LEGACY : SIG_ALG_HASHED, 2);
  memcpy (blob + 2, sk->key_id, INK_MINISIGN_KEY_ID_SIZE);
  message = message_for (algorithm, data != NULL ? data : "", size, hash, &len);
  crypto_sign_detached (blob + 2 + INK_MINISIGN_KEY_ID_SIZE, NULL, message, len, sk->secret_key);

  tlen = strlen (trusted_comment);
  with_comment = malloc (SIG_SIZE + tlen);
  if (with_comment == NULL) {
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    return NULL;
  }
  memcpy (with_comment, blob + 2 + INK_MINISIGN_KEY_ID_SIZE, SIG_SIZE);
  memcpy (with_comment + SIG_SIZE, trusted_comment, tlen);
  crypto_sign_detached (global, NULL, with_comment, SIG_SIZE + tlen, sk->secret_key);
  free (with_comment);

  sig_b64 = encode (blob, sizeof blob);
  global_b64 = encode (global, sizeof global);
  text = NULL;
  if (sig_b64 != NULL && global_b64 != NULL) {
    text_size = sizeof "untrusted comment: \n\ntrusted comment: \n\n" + strlen (untrusted_comment) +
                strlen (sig_b64) + tlen + strlen (global_b64);
    text = malloc (text_size);
  }
  if (text != NULL)
    snprintf (text, text_size, "untrusted comment: %s\n%s\ntrusted comment: %s\n%s\n",
              untrusted_comment, sig_b64, trusted_comment, global_b64);
  else
    ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  free (sig_b64);
  free (global_b64);
  return text;
}

static void
copy_comment (char *dst, const char *src, size_t n)
{
  if (n >= INK_MINISIGN_COMMENT_SIZE)
    n = INK_MINISIGN_COMMENT_SIZE - 1;
  memcpy (dst, src, n);
  dst[n] = '\0';
}

InkStatus
ink_minisign_verify (const InkMinisignPublicKey *pk, const void *data, size_t size,
                     const char *sig_text, size_t sig_size, InkMinisignSignatureInfo *info,
                     InkError *err)
{
  static const char untrusted_prefix[] = "untrusted comment:";
  static const char trusted_prefix[] = "trusted comment: ";
  Line lines[5];
  size_t n, len;
  uint8_t blob[SIGNATURE_BLOB], global[SIG_SIZE], hash[PREHASH_SIZE];
  const uint8_t *message;
  InkMinisignAlgorithm algorithm;
  uint8_t *with_comment;
  const char *tc;
  size_t tlen;
  int bad;

  if (pk == NULL || sig_text == NULL || (data == NULL && size > 0))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "no key, data or signature");
  if (ensure_sodium (err) != INK_OK)
    return err != NULL ? err->status : INK_ERR_UNSUPPORTED;
  n = split_lines (sig_text, sig_size, lines, 5);
  if (n != 4 || !line_has_prefix (&lines[0], untrusted_prefix) ||
      !line_has_prefix (&lines[2], trusted_prefix))
    return ink_error_set (err, INK_ERR_FORMAT,
                          "not a minisign signature: expected 4 lines (untrusted comment, "
                          "signature, trusted comment, global signature)");
  if (!decode_line (lines[1].p, lines[1].n, blob, sizeof blob))
    return ink_error_set (err, INK_ERR_FORMAT,
                          "not a minisign signature: the signature line is not %d bytes of base64",
                          SIGNATURE_BLOB);
  if (!decode_line (lines[3].p, lines[3].n, global, sizeof global))
    return ink_error_set (err, INK_ERR_FORMAT,
                          "not a minisign signature: the global signature is not %d bytes of "
                          "base64",
                          SIG_SIZE);
  if (memcmp (blob, SIG_ALG_HASHED, 2) == 0)
    algorithm = INK_MINISIGN_PREHASHED;
  else if (memcmp (blob, SIG_ALG_LEGACY, 2) == 0)
    algorithm = INK_MINISIGN_LEGACY;
  else
    return ink_error_set (err, INK_ERR_UNSUPPORTED, "unsupported minisign signature algorithm");
  if (memcmp (blob + 2, pk->key_id, INK_MINISIGN_KEY_ID_SIZE) != 0) {
    char got[INK_MINISIGN_KEY_ID_HEX_SIZE], want[INK_MINISIGN_KEY_ID_HEX_SIZE];

    ink_minisign_key_id_to_hex (blob + 2, got);
    ink_minisign_key_id_to_hex (pk->key_id, want);
    return ink_error_set (err, INK_ERR_VERIFICATION,
                          "signed by another key (key id %s, the configured key is %s)", got, want);
  }
  message = message_for (algorithm, data != NULL ? data : "", size, hash, &len);
  if (crypto_sign_verify_detached (blob + 2 + INK_MINISIGN_KEY_ID_SIZE, message, len,
                                   pk->public_key) != 0)
    return ink_error_set (err, INK_ERR_VERIFICATION,
                          "bad signature: the data does not match its minisign signature");

  tc = lines[2].p + strlen (trusted_prefix);
  tlen = lines[2].n - strlen (trusted_prefix);
  with_comment = malloc (SIG_SIZE + tlen + 1);
  if (with_comment == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  memcpy (with_comment, blob + 2 + INK_MINISIGN_KEY_ID_SIZE, SIG_SIZE);
  memcpy (with_comment + SIG_SIZE, tc, tlen);
  bad = crypto_sign_verify_detached (global, with_comment, SIG_SIZE + tlen, pk->public_key);
  free (with_comment);
  if (bad != 0)
    return ink_error_set (err, INK_ERR_VERIFICATION,
                          "bad global signature: the trusted comment was altered");
  if (info != NULL) {
    const char *uc = lines[0].p + strlen (untrusted_prefix);
    size_t ulen = lines[0].n - strlen (untrusted_prefix);

    if (ulen > 0 && *uc == ' ') {
      uc++;
      ulen--;
    }
    info->algorithm = algorithm;
    memcpy (info->key_id, blob + 2, INK_MINISIGN_KEY_ID_SIZE);
    copy_comment (info->trusted_comment, tc, tlen);
    copy_comment (info->untrusted_comment, uc, ulen);
  }
  return INK_OK;
}
